use std::path::PathBuf;

use clap::Subcommand;
use concerns::error::exit;
use concerns::{Error, Result, Source};

use super::print_stdout;
use concerns::output::{destination, write_file, Destination, Inputs};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Subcommand, Debug)]
pub enum Action {
    /// Draft a codebook from a file's columns and values (CSV exports of Qualtrics,
    /// SurveyMonkey, Google Forms; SPSS files with their dictionary).
    Init {
        /// Respondent-level CSV or SPSS .sav/.zsav (`-` for standard input).
        data: String,
        /// Where to write the TOML; default: standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace the output file if it exists.
        #[arg(long, requires = "output")]
        force: bool,
        /// Text encoding of the input (default: UTF-8, else guessed from the file, as
        /// Excel's Windows-1252 or 1251 exports are); written into the draft's [input].
        #[arg(long)]
        encoding: Option<String>,
    },
}

pub fn run(args: Args) -> Result<i32> {
    match args.action {
        Action::Init {
            data,
            output,
            force,
            encoding,
        } => {
            // Refused before reading: a hand-edited codebook is never lost to a typo.
            // (A FIFO or a device holds nothing to lose: written without --force.)
            let replaces =
                |p: &PathBuf| matches!(destination(p), Ok(Destination::Replace(at)) if at.exists());
            if let Some(path) = output.as_ref().filter(|p| replaces(p) && !force) {
                return Err(Error::Usage(format!(
                    "{} exists; pass --force to replace it, or choose another file",
                    path.display()
                )));
            }
            if let Some(path) = &output {
                Inputs::of([std::path::Path::new(&data)]).refuse(path)?;
            }
            // An export that is not UTF-8 is read in the encoding guessed from its bytes,
            // and the draft records it, so that later commands need no flag.
            let guessed = match &encoding {
                Some(_) => None,
                None => concerns::load_guess_encoding(std::path::Path::new(&data)),
            };
            let encoding = encoding
                .clone()
                .or_else(|| guessed.map(|e| e.name().to_ascii_lowercase()));
            let src = Source::open(&data, encoding.as_deref().unwrap_or("utf-8"), None)?;
            let mut draft = concerns::init::draft(&src)?;
            draft.record_input(&src, encoding.as_deref(), guessed.is_some())?;
            let text = draft.to_toml()?;
            for note in &draft.notes {
                eprintln!("note: {}", concerns::text::visible(note));
            }
            match output {
                Some(path) => {
                    write_file(&path, |w| w.write_all(text.as_bytes()))?;
                    eprintln!("wrote {}", path.display());
                }
                None => print_stdout(text.as_bytes())?,
            }
            Ok(exit::OK)
        }
    }
}
