use std::path::PathBuf;

use concerns::error::exit;
use concerns::export::Format;
use concerns::{report, Result};

use super::chart::Look;
use super::{print_stdout, Common};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub input: super::Input,
    /// Directory to write the report into.
    #[arg(long, default_value = "reports")]
    pub out: PathBuf,
    /// Write nothing: compare a fresh report with the one in --out; exit 3 naming stale files.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub look: Look,
    #[command(flatten)]
    pub common: Common,
}

pub fn run(args: Args) -> Result<i32> {
    let opts = args.look.options()?;
    let (_, results) = args.input.analyse(&args.common)?;
    super::print_warnings(&results);
    let files = report::render(&results, &opts)?;
    if args.check {
        let check = report::Check::of(&args.out, &files);
        if check.current() {
            eprintln!(
                "{}: all {} files are current",
                args.out.display(),
                files.len()
            );
            return Ok(exit::OK);
        }
        if check.interrupted {
            eprintln!(
                "interrupted: a run was killed while moving its files into {}; the next run finishes or replaces them",
                args.out.display()
            );
        }
        for name in &check.stale {
            eprintln!("stale: {}", args.out.join(name).display());
        }
        for name in &check.extra {
            eprintln!(
                "not part of this report: {} (a run removes it)",
                args.out.join(name).display()
            );
        }
        eprintln!(
            "{} of {} report files are stale or missing and {} should not be there; regenerate with: concerns report {} --out {}",
            check.stale.len(),
            files.len(),
            check.extra.len(),
            args.input.data.as_deref().map_or_else(|| format!("--sums {}", args.input.sums.join(" --sums ")), str::to_string),
            args.out.display()
        );
        return Ok(exit::STALE);
    }
    // No input may be a file of the report (a --sums file named summary.json in --out).
    let mut names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
    names.push(concerns::output::set::MANIFEST.to_string());
    super::inputs(&args.input, &args.common).refuse_in(&args.out, &names)?;
    report::write(&args.out, &files)?;
    print_stdout(
        &Format::Table
            .exporter(super::stdout_terminal())
            .render(&results)?,
    )?;
    let lang = results.lang;
    let files = concerns::locale::words(lang).counted("files", files.len() as u64);
    eprintln!(
        "{}",
        super::say(
            lang,
            "cli_wrote_files",
            &[("files", &files), ("dir", &args.out.display().to_string())]
        )
    );
    Ok(exit::OK)
}
