use std::path::PathBuf;

use clap::Subcommand;
use concerns::error::exit;
use concerns::Result;
use concerns::guess::{guess, guess_spss};
use concerns::{InputFormat as Format, Source};
use concerns::output::write_atomic;

use super::print_stdout;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Subcommand, Debug)]
pub enum Action {
    /// Write a starting codebook guessed from a file's columns and values.
    Init {
        /// Respondent-level CSV or SPSS .sav/.zsav (`-` for standard input).
        data: String,
        /// Where to write the TOML; default: standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Text encoding of the input.
        #[arg(long, default_value = "utf-8")]
        encoding: String,
    },
}

pub fn run(args: Args) -> Result<i32> {
    match args.action {
        Action::Init {
            data,
            output,
            encoding,
        } => {
            let src = Source::open(&data, &encoding, None)?;
            let text = match src.format {
                Format::Csv => guess(&src)?,
                Format::Spss => guess_spss(&src)?,
                Format::Parquet => {
                    return Err(concerns::error::DataError::new(
                        &src.name,
                        "codebook init reads CSV and SPSS files; for Parquet, export a few rows as CSV and guess from those",
                    )
                    .into())
                }
            };
            match output {
                Some(path) => {
                    write_atomic(&path, |w| Ok(w.write_all(text.as_bytes())?))?;
                    eprintln!("wrote {}", path.display());
                }
                None => print_stdout(&text)?,
            }
            Ok(exit::OK)
        }
    }
}
