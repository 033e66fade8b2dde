use concerns::error::exit;
use concerns::validate::validate;
use concerns::Result;

use super::{print_stdout, Common};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Respondent-level data: CSV, Parquet or SPSS .sav/.zsav (`-` for standard input).
    pub data: String,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,
    /// Problems listed with their row at most (all are counted).
    #[arg(long, default_value_t = 10_000)]
    pub max_problems: usize,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// One line per problem, then the verdict.
    Text,
    Json,
}

pub fn run(args: Args) -> Result<i32> {
    let codebook = args.common.codebook(&args.data)?;
    let opts = args.common.options();
    let v = validate(&args.data, &codebook, &opts, args.max_problems)?;
    let text = match args.format {
        FormatArg::Json => serde_json::to_string_pretty(&v)? + "\n",
        FormatArg::Text => v.to_text(),
    };
    print_stdout(text.as_bytes())?;
    Ok(if v.valid { exit::OK } else { exit::DATA })
}
