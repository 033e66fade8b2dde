use std::path::PathBuf;

use concerns::error::exit;
use concerns::output::{write_file, Inputs};
use concerns::weight::{RakeOptions, Targets, Trim, WeightJob, WeightReport};
use concerns::{Error, Result};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Respondent-level CSV (`-` for standard input). Every row is weighted: the screener
    /// does not apply.
    pub data: String,
    /// Population margins (TOML): one [column] table per raking variable, categories as
    /// keys, shares (summing to 1) or counts as values.
    #[arg(long, value_name = "FILE")]
    pub targets: PathBuf,
    /// The weighted CSV: every input row as it was, plus the new weight column.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Name of the new weight column.
    #[arg(long, value_name = "COL", default_value = "rake_weight")]
    pub name: String,
    /// Column of weights to start from (design weights); default: every row starts at 1.
    #[arg(long, value_name = "COL")]
    pub base_weight: Option<String>,
    /// Convergence as R rake's epsilon: below 1, a fraction of the total weight; else in
    /// weight units. Stops when no cell of the cross table moves by more.
    #[arg(long, default_value_t = 1e-10)]
    pub epsilon: f64,
    /// Sweeps over all margins at most (R rake's maxit).
    #[arg(long, default_value_t = 100)]
    pub max_iterations: usize,
    /// Trim weights above this multiple of the mean weight, then rake again (repeated).
    #[arg(long, value_name = "X")]
    pub trim_max: Option<f64>,
    /// Trim weights below this multiple of the mean weight, then rake again (repeated).
    #[arg(long, value_name = "X")]
    pub trim_min: Option<f64>,
    /// Rounds of trimming and raking at most.
    #[arg(long, default_value_t = 20)]
    pub trim_rounds: usize,
    /// Shares of a margin may miss 1 by this much (then they are scaled to sum to 1).
    #[arg(long, default_value_t = 0.005)]
    pub share_tolerance: f64,
    /// Write the weights with N decimal places (such as 9: decimals of up to 9 places are
    /// summed exactly by `concerns` and by `concerns sql`'s query); default: the shortest
    /// text that reads back as the computed weight.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=17))]
    pub decimals: Option<u8>,
    /// Also write the report as JSON.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Text encoding of the input (its rows are copied in it): utf-8, windows-1251, latin-1, …
    #[arg(long, default_value = "utf-8")]
    pub encoding: String,
    /// Field delimiter: ',', ';', 'tab' or '|' (default: detected).
    #[arg(long, value_parser = super::parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Codebook (TOML) of the data: its labels name a target keyed by a label instead of
    /// a code [default: the embedded canonical codebook].
    #[arg(long, value_name = "FILE")]
    pub codebook: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<i32> {
    let rake = options(&args)?;
    // Refused before reading: the rows would be lost to the weighted copy.
    let mut paths = vec![std::path::Path::new(&args.data), args.targets.as_path()];
    paths.extend(args.codebook.as_deref());
    let inputs = Inputs::of(paths);
    inputs.refuse(&args.output)?;
    if let Some(report) = &args.report {
        inputs.refuse(report)?;
        if report == &args.output {
            return Err(Error::Usage(
                "--report and -o name the same file: give the report a file of its own".into(),
            ));
        }
    }
    let targets = Targets::from_file(&args.targets, args.share_tolerance)?;
    let labels = match &args.codebook {
        Some(path) => concerns::codebook::Codebook::from_file(path)?,
        None => concerns::codebook::Codebook::canonical(),
    }
    .code_labels();
    let job = WeightJob {
        input: args.data.clone(),
        targets,
        base_weight: args.base_weight.clone(),
        column: args.name.clone(),
        rake,
        encoding: args.encoding.clone(),
        delimiter: args.delimiter,
        decimals: args.decimals.map(usize::from),
        labels,
    };
    let report = job.run(&args.output)?;
    eprint!("{}", summary(&report));
    if let Some(path) = &args.report {
        let json = serde_json::to_string_pretty(&report)? + "\n";
        write_file(path, |w| w.write_all(json.as_bytes()))?;
    }
    Ok(exit::OK)
}

fn options(args: &Args) -> Result<RakeOptions> {
    let bad = |what: &str| Err(Error::Usage(what.into()));
    if !(args.epsilon.is_finite() && args.epsilon > 0.0) {
        return bad("--epsilon must be a positive number");
    }
    if args.max_iterations == 0 || args.max_iterations > 100_000 {
        return bad("--max-iterations must be from 1 to 100000");
    }
    if !(args.share_tolerance.is_finite() && (0.0..0.5).contains(&args.share_tolerance)) {
        return bad("--share-tolerance must be from 0 to 0.5");
    }
    if args.trim_max.is_some_and(|x| !(x.is_finite() && x > 1.0)) {
        return bad("--trim-max is a multiple of the mean weight above 1 (such as 5)");
    }
    if args
        .trim_min
        .is_some_and(|x| !(x.is_finite() && x > 0.0 && x < 1.0))
    {
        return bad("--trim-min is a multiple of the mean weight between 0 and 1 (such as 0.2)");
    }
    let trim = (args.trim_max.is_some() || args.trim_min.is_some()).then_some(Trim {
        upper: args.trim_max,
        lower: args.trim_min,
        rounds: args.trim_rounds,
    });
    Ok(RakeOptions {
        epsilon: args.epsilon,
        max_iterations: args.max_iterations,
        trim,
    })
}

/// The report for stderr: how raking went, the weights, and each margin.
fn summary(r: &WeightReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Raked {} rows on {} variable{}: converged after {} iteration{}{} (epsilon {:e}).",
        r.rows,
        r.margins.len(),
        if r.margins.len() == 1 { "" } else { "s" },
        r.iterations,
        if r.iterations == 1 { "" } else { "s" },
        if r.trim.is_some() {
            " of the last raking"
        } else {
            ""
        },
        r.epsilon
    );
    if let Some(t) = &r.trim {
        let _ = writeln!(
            s,
            "Trimmed {} rows, {} round{} of trimming and raking; weights {} the bounds.",
            t.trimmed_rows,
            t.rounds,
            if t.rounds == 1 { "" } else { "s" },
            if t.within_bounds {
                "within"
            } else {
                "NOT within"
            }
        );
    }
    let _ = writeln!(
        s,
        "Weights: min {:.4}, max {:.4}, mean {:.4}; weighting efficiency {:.1}% (design effect {:.3}).",
        r.weights.min,
        r.weights.max,
        r.weights.mean,
        100.0 * r.weighting_efficiency,
        r.design_effect
    );
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header([
        "Variable",
        "Category",
        "Respondents",
        "Sample",
        "Target",
        "Achieved",
    ]);
    for m in &r.margins {
        for c in &m.categories {
            t.add_row([
                concerns::text::visible(&m.column).into_owned(),
                concerns::text::visible(&c.code).into_owned(),
                c.respondents.to_string(),
                format!("{:.1}%", 100.0 * c.unweighted_share),
                format!("{:.1}%", 100.0 * c.target_share),
                format!("{:.1}%", 100.0 * c.achieved_share),
            ]);
        }
    }
    let _ = writeln!(s, "{t}");
    for w in &r.warnings {
        let _ = writeln!(s, "warning: {w}");
    }
    s
}
