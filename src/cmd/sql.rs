use std::path::PathBuf;

use concerns::error::exit;
use concerns::sql::{compile, Dialect};
use concerns::{Codebook, Options, Result};

use super::print_stdout;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// SQL dialect of the engine that runs the query.
    #[arg(long, value_enum)]
    pub dialect: Dialect,
    /// Table (or view) holding one row per respondent, with the codebook's columns;
    /// `schema.table` is quoted part by part.
    #[arg(long, value_name = "NAME")]
    pub table: String,
    /// Codebook (TOML) describing the survey; default: the embedded canonical codebook.
    #[arg(long, value_name = "FILE")]
    pub codebook: Option<PathBuf>,
    /// Weight column to use instead of the codebook's.
    #[arg(long, value_name = "COL", conflicts_with = "no_weight")]
    pub weight: Option<String>,
    /// Ignore weights.
    #[arg(long)]
    pub no_weight: bool,
    /// A segment to sum per group of (repeatable); `table --sums` takes the same.
    #[arg(long, value_name = "SEGMENT")]
    pub by: Vec<String>,
    /// With a design the sums are per stratum and PSU; `table --sums` takes the same.
    #[command(flatten)]
    pub design: super::Design,
    /// Only respondents matching EXPR form the bases (a domain); its terms name the
    /// codebook's segments, questions or screeners. `table --sums` takes the same.
    #[arg(long = "where", value_name = "EXPR")]
    pub filter: Option<String>,
}

pub fn run(args: Args) -> Result<i32> {
    let codebook = match &args.codebook {
        Some(p) => Codebook::from_file(p)?,
        None => Codebook::canonical(),
    };
    let dialect = args.dialect;
    let opts = Options {
        weight: super::weight_choice(&args.weight, args.no_weight),
        by: args.by,
        design: args.design.choice(None),
        filter: args.filter,
        ..Options::default()
    };
    let sql = compile(&codebook, &opts, dialect, &args.table)?;
    print_stdout(sql.as_bytes())?;
    Ok(exit::OK)
}
