use std::path::PathBuf;

use concerns::error::{exit, IoContext};
use concerns::output::write_file;
use concerns::simulate::{simulate, SimOptions, DEFAULT_N, DEFAULT_SEED};
use concerns::{Error, Result};

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
        return Err(Error::Usage("--n must be at least 1".into()));
    }
    let opts = SimOptions {
        n: args.n,
        seed: args.seed,
    };
    match &args.output {
        Some(path) => write_file(path, |w| simulate(opts, w))?,
        None => {
            let stdout = std::io::stdout().lock();
            match simulate(opts, std::io::BufWriter::new(stdout)) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                r => r.io(|| "writing to standard output".into())?,
            }
        }
    }
    Ok(exit::OK)
}
