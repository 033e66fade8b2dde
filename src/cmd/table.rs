use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use concerns::error::exit;
use concerns::export::Format;
use concerns::output::write_file;
use concerns::{Error, Result};

use super::{print_stdout, stdout_color, stdout_width, Common};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub input: super::Input,
    /// Output format [default: from the -o file's extension (.json, .csv, .md, .xlsx), else
    /// the text table].
    #[arg(long, short, value_enum)]
    pub format: Option<FormatArg>,
    /// Write to this file instead of standard output; its extension chooses the format. A
    /// file is replaced only once complete (its mode kept), a FIFO or device written in
    /// place, a symbolic link followed.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Table,
    Json,
    Csv,
    /// Markdown (`md` also accepted).
    #[value(alias = "md")]
    Markdown,
    /// The banner workbook for Excel (with `-o FILE.xlsx`).
    Xlsx,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Csv => Format::Csv,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Xlsx => Format::Xlsx,
        }
    }
}

impl FormatArg {
    /// The format a file's name asks for: `out.json` is JSON.
    fn from_path(path: &Path) -> Option<FormatArg> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "json" => FormatArg::Json,
            "csv" => FormatArg::Csv,
            "md" | "markdown" => FormatArg::Markdown,
            "xlsx" => FormatArg::Xlsx,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            FormatArg::Table => "table",
            FormatArg::Json => "json",
            FormatArg::Csv => "csv",
            FormatArg::Markdown => "markdown",
            FormatArg::Xlsx => "xlsx",
        }
    }
}

/// The format: `--format`, else the output file's extension, else the text table. A
/// `--format` that contradicts the file's extension is a mistake, never a guess.
fn format(args: &Args) -> Result<FormatArg> {
    let named = args.output.as_deref().and_then(FormatArg::from_path);
    match (args.format, named) {
        (Some(f), Some(n)) if f != n => Err(Error::Usage(format!(
            "--format {} contradicts the name {}, which asks for {}: drop --format, or name the file for {}",
            f.name(),
            args.output.as_deref().map(Path::display).map(|d| d.to_string()).unwrap_or_default(),
            n.name(),
            f.name()
        ))),
        (Some(f), _) => Ok(f),
        (None, Some(n)) => Ok(n),
        (None, None) => match args.output.as_deref().and_then(Path::extension) {
            // Any text suits a `.txt` file; the table unless --format says otherwise.
            Some(ext) if ext.eq_ignore_ascii_case("txt") => Ok(FormatArg::Table),
            // A name such as `out.html` that no format of `table` writes.
            Some(ext) => Err(Error::Usage(format!(
                "no format of `table` writes .{} files: name the file .json, .csv, .md, .xlsx or .txt, or give --format",
                ext.to_string_lossy()
            ))),
            None => Ok(FormatArg::Table),
        },
    }
}

pub fn run(args: Args) -> Result<i32> {
    let format = format(&args)?;
    if matches!(format, FormatArg::Xlsx) && args.output.is_none() && std::io::stdout().is_terminal()
    {
        return Err(Error::Usage(
            "--format xlsx writes a binary workbook: give it a file with -o FILE.xlsx".into(),
        ));
    }
    if let Some(path) = &args.output {
        super::inputs(&args.input, &args.common).refuse(path)?;
    }
    let (_, results) = args.input.analyse(&args.common)?;
    super::print_warnings(&results);
    let terminal = concerns::export::Terminal {
        color: args.output.is_none() && stdout_color(),
        width: stdout_width(),
    };
    let bytes = Format::from(format).exporter(terminal).render(&results)?;
    match &args.output {
        Some(path) => {
            write_file(path, |w| w.write_all(&bytes))?;
            if path.as_os_str() != "-" {
                let path = path.display().to_string();
                eprintln!(
                    "{}",
                    super::say(results.lang, "cli_wrote", &[("path", &path)])
                );
            }
        }
        None => print_stdout(&bytes)?,
    }
    Ok(exit::OK)
}
