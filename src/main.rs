//! The `concerns` command line: parse, call the library, map errors to exit codes.

mod cmd;

use clap::Parser;

fn main() {
    let cli = cmd::Cli::parse();
    let code = match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            concerns::error::exit_code(&err)
        }
    };
    std::process::exit(code);
}
