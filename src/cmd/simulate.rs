use std::path::PathBuf;

use anyhow::Result;
use concerns::error::{exit, UsageError};
use concerns::output::write_atomic;
use concerns::simulate::{simulate, SimOptions, DEFAULT_N, DEFAULT_SEED};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of respondents.
    #[arg(long, default_value_t = DEFAULT_N)]
    pub n: u64,
    /// Random seed; the same seed gives the same file, byte for byte.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Output CSV (written atomically); default: standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<i32> {
    if args.n == 0 {
        return Err(UsageError("--n must be at least 1".into()).into());
    }
    let opts = SimOptions {
        n: args.n,
        seed: args.seed,
    };
    match &args.output {
        Some(path) => write_atomic(path, |w| simulate(opts, w))?,
        None => {
            let stdout = std::io::stdout().lock();
            if let Err(e) = simulate(opts, std::io::BufWriter::new(stdout)) {
                let broken_pipe = e
                    .downcast_ref::<csv::Error>()
                    .is_some_and(|c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe));
                if !broken_pipe {
                    return Err(e);
                }
            }
        }
    }
    Ok(exit::OK)
}
