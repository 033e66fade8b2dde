//! The `concerns` command line: parse, call the library, map errors to exit codes.

mod cmd;

use clap::Parser;

fn main() {
    let cli = cmd::Cli::parse();
    let lang = cli.lang();
    let code = match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // Messages quote data and codebook text: never let it drive the terminal. Line
            // breaks are kept (a filter error draws a caret under the expression).
            let message = concerns::locale::error_text(&err, lang);
            let lines: Vec<_> = message.lines().map(concerns::text::visible).collect();
            eprintln!(
                "{}",
                cmd::say(lang, "cli_error", &[("message", &lines.join("\n"))])
            );
            err.exit_code()
        }
    };
    std::process::exit(code);
}
