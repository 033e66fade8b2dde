use anyhow::Result;
use concerns::error::exit;
use concerns::load::Source;
use concerns::validate::validate;

use super::{print_stdout, Common};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Respondent-level CSV (`-` for standard input).
    pub data: String,
    /// `text` (one line per problem, then a verdict) or `json`.
    #[arg(long, short, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    #[command(flatten)]
    pub common: Common,
}

pub fn run(args: Args) -> Result<i32> {
    let codebook = args.common.codebook()?;
    let opts = args.common.options();
    let src = Source::open(&args.data, &opts.encoding, opts.delimiter)?;
    let weight = match &opts.weight {
        concerns::load::WeightChoice::None => None,
        concerns::load::WeightChoice::Column(c) => Some(c.clone()),
        concerns::load::WeightChoice::Codebook => codebook.weight.clone(),
    };
    let v = validate(&src, &codebook, weight.as_deref())?;
    let text = if args.format == "json" {
        serde_json::to_string_pretty(&v)? + "\n"
    } else {
        v.to_text()
    };
    print_stdout(&text)?;
    Ok(if v.valid { exit::OK } else { exit::DATA })
}
