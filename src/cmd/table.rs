use clap::ValueEnum;
use concerns::error::exit;
use concerns::export::Format;
use concerns::{analyse, Result};

use super::{print_stdout, stdout_color, Common};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Respondent-level data: CSV, Parquet or SPSS .sav/.zsav (`-` for standard input).
    pub data: String,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = FormatArg::Table)]
    pub format: FormatArg,
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
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
            FormatArg::Csv => Format::Csv,
            FormatArg::Markdown => Format::Markdown,
        }
    }
}

pub fn run(args: Args) -> Result<i32> {
    let codebook = args.common.codebook(&args.data)?;
    let results = analyse(&args.data, &codebook, &args.common.options())?;
    super::print_warnings(&results);
    let text = Format::from(args.format)
        .exporter(stdout_color())
        .render(&results)?;
    print_stdout(&text)?;
    Ok(exit::OK)
}
