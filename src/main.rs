//! The `concerns` command line: parse, call the library, map errors to exit codes.

mod cmd;

use clap::Parser;

fn main() {
    let cli = cmd::Cli::parse();
    let code = match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // Messages quote data and codebook text: never let it drive the terminal.
            eprintln!("error: {}", concerns::text::visible(&err.to_string()));
            err.exit_code()
        }
    };
    std::process::exit(code);
}
