use anyhow::Result;
use concerns::error::exit;
use concerns::validate::validate;

use super::{print_stdout, Common};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Respondent-level CSV (`-` for standard input).
    pub data: String,
    /// `text` (one line per problem, then a verdict) or `json`.
    #[arg(long, short, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    /// Problems listed with their row at most (all are counted).
    #[arg(long, default_value_t = 10_000)]
    pub max_problems: usize,
    #[command(flatten)]
    pub common: Common,
}

pub fn run(args: Args) -> Result<i32> {
    let codebook = args.common.codebook(&args.data)?;
    let opts = args.common.options();
    let v = validate(&args.data, &codebook, &opts, args.max_problems)?;
    let text = if args.format == "json" {
        serde_json::to_string_pretty(&v)? + "\n"
    } else {
        v.to_text()
    };
    print_stdout(&text)?;
    Ok(if v.valid { exit::OK } else { exit::DATA })
}
