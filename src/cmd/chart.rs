use std::path::PathBuf;

use concerns::chart::{self, ChartFormat, ChartOptions};
use concerns::error::exit;
use concerns::output::write_file;
use concerns::{Error, Result};

use super::Common;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub input: super::Input,
    /// Output file: `.svg` or `.png`.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Which question to draw.
    #[arg(long, default_value = "concerns")]
    pub question: String,
    #[command(flatten)]
    pub look: Look,
    #[command(flatten)]
    pub common: Common,
}

/// Chart options shared by `chart` and `report`.
#[derive(clap::Args, Debug, Clone)]
pub struct Look {
    /// Draw the confidence intervals as whiskers.
    #[arg(long)]
    pub ci: bool,
    /// Size multiplier (1 = 1600 px wide PNG).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
}

impl Look {
    pub fn options(&self) -> Result<ChartOptions> {
        ChartOptions::new(self.ci, self.scale)
    }
}

pub fn run(args: Args) -> Result<i32> {
    let format = ChartFormat::from_path(&args.output).ok_or_else(|| {
        Error::Usage(format!(
            "{}: the chart file must end in .svg or .png",
            args.output.display()
        ))
    })?;
    let opts = args.look.options()?;
    if args.common.by.len() > 1 {
        return Err(Error::Usage(format!(
            "--by {}: a chart draws one segment; give one --by per chart (report draws a chart per segment)",
            args.common.by.join(", --by ")
        )));
    }
    super::inputs(&args.input, &args.common).refuse(&args.output)?;
    let codebook = args.input.codebook(&args.common)?;
    if codebook.question(&args.question).is_none() {
        let ids: Vec<&str> = codebook.questions.iter().map(|q| q.id.as_str()).collect();
        return Err(Error::Usage(format!(
            "--question {}: no such question; the codebook has {}",
            args.question,
            ids.join(", ")
        )));
    }
    let (_, results) = args.input.analyse(&args.common)?;
    super::print_warnings(&results);
    let bytes = chart::render(&results, &args.question, &opts, format)?;
    write_file(&args.output, |w| w.write_all(&bytes))?;
    let path = args.output.display().to_string();
    eprintln!(
        "{}",
        super::say(results.lang, "cli_wrote", &[("path", &path)])
    );
    Ok(exit::OK)
}
