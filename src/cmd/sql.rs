use concerns::error::exit;
use concerns::sql::{compile, Dialect};
use concerns::{Codebook, Result};

use super::{print_stdout, Common};

/// The result has one row per kind of sum: `kind` (rows, invalid, excluded, duplicate_ids,
/// weight, cell), `name`, one `g0`, `g1`, … per grouping column (`--by` segments, then the
/// contrasts' questions), `state`, `n`, `w`, `w2` (exact decimal sums), `wf`, `wf2` (sums of
/// weights that are not decimals of up to 9 places), `partial`, `value`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// SQL dialect of the engine that runs the query.
    #[arg(long, value_enum)]
    pub dialect: DialectArg,
    /// Table (or view) holding one row per respondent, with the codebook's columns;
    /// `schema.table` is quoted part by part.
    #[arg(long, value_name = "NAME")]
    pub table: String,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DialectArg {
    Duckdb,
    Spark,
    Postgres,
}

pub fn run(args: Args) -> Result<i32> {
    let codebook = match &args.common.codebook {
        Some(p) => Codebook::from_file(p)?,
        None => Codebook::canonical(),
    };
    let dialect = match args.dialect {
        DialectArg::Duckdb => Dialect::DuckDb,
        DialectArg::Spark => Dialect::Spark,
        DialectArg::Postgres => Dialect::Postgres,
    };
    let sql = compile(&codebook, &args.common.options(), dialect, &args.table)?;
    print_stdout(sql.as_bytes())?;
    Ok(exit::OK)
}
