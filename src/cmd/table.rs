use std::io::IsTerminal;
use std::path::PathBuf;

use clap::ValueEnum;
use concerns::error::exit;
use concerns::export::Format;
use concerns::output::write_file;
use concerns::{Error, Result};

use super::{print_stdout, stdout_color, stdout_width, Common};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Respondent-level data: CSV, Parquet or SPSS .sav/.zsav (`-` for standard input).
    #[arg(required_unless_present = "sums")]
    pub data: Option<String>,
    #[command(flatten)]
    pub sums: super::Sums,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
    /// Write to this file instead of standard output: a file is replaced only once complete
    /// (its mode kept), a FIFO or device written in place, a symbolic link followed.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
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

pub fn run(args: Args) -> Result<i32> {
    if matches!(args.format, FormatArg::Xlsx)
        && args.output.is_none()
        && std::io::stdout().is_terminal()
    {
        return Err(Error::Usage(
            "--format xlsx writes a binary workbook: give it a file with -o FILE.xlsx".into(),
        ));
    }
    if let Some(path) = &args.output {
        super::inputs(args.data.as_deref(), &args.sums, &args.common).refuse(path)?;
    }
    let (_, results) = args.sums.analyse(args.data.as_deref(), &args.common)?;
    super::print_warnings(&results);
    let terminal = concerns::export::Terminal {
        color: args.output.is_none() && stdout_color(),
        width: stdout_width(),
    };
    let bytes = Format::from(args.format)
        .exporter(terminal)
        .render(&results)?;
    match &args.output {
        Some(path) => {
            write_file(path, |w| w.write_all(&bytes))?;
            if path.as_os_str() != "-" {
                eprintln!("wrote {}", path.display());
            }
        }
        None => print_stdout(&bytes)?,
    }
    Ok(exit::OK)
}
