//! Subcommands, one file each. They parse options, call the library and print.

pub mod chart;
pub mod codebook;
pub mod report;
pub mod schema;
pub mod simulate;
pub mod sql;
pub mod table;
pub mod validate;
pub mod weight;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use concerns::error::IoContext;
use concerns::locale::Lang;
use concerns::{Adjust, WeightChoice};
use concerns::{Codebook, Options, Result};

#[derive(Parser, Debug)]
#[command(
    name = "concerns",
    version,
    about = "Rank what customers fear about AI in customer service, from respondent-level survey data"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The language the run's own words are in (`--lang`; English for commands without it).
    pub fn lang(&self) -> Lang {
        match &self.command {
            Command::Report(a) => a.common.lang,
            Command::Table(a) => a.common.lang,
            Command::Chart(a) => a.common.lang,
            Command::Validate(a) => a.common.lang,
            _ => Lang::En,
        }
    }
}

/// "warning: …", "предупреждение: …": the run's own words in its language.
pub fn say(lang: Lang, key: &str, values: &[(&str, &str)]) -> String {
    concerns::locale::words(lang).fill(key, values)
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Full report: charts (SVG and PNG), summary.json, summary.md, the banner workbook
    /// (banners.xlsx), a self-contained page (report.html), and the table on stdout.
    Report(report::Args),
    /// Tabulations to stdout, or to a file with -o (the extension chooses the format).
    Table(table::Args),
    /// One chart, as SVG or PNG (from the file extension).
    Chart(chart::Args),
    /// Check data against the codebook and list every problem with row and column.
    Validate(validate::Args),
    /// Codebook tools: `codebook init DATA` guesses a starting codebook.
    Codebook(codebook::Args),
    /// Synthetic respondent-level data calibrated to the published study.
    Simulate(simulate::Args),
    /// The JSON Schema of summary.json and `table --format json` (docs/summary.schema.json).
    Schema(schema::Args),
    /// Raking weights to population margins (as R survey::rake), written beside every row.
    Weight(weight::Args),
    /// The codebook as one SQL query that returns the sums `table --sums` finishes, for
    /// data in DuckDB, Spark or PostgreSQL.
    ///
    /// The query reads the table once and checks every value as the file reader does. Its
    /// result (save it as CSV with a header, or as Parquet) has one row per kind of sum:
    /// `kind` (rows, invalid, excluded, weight, cell; base and item for a "check all" of more
    /// than 10 items, summed per item; with --where also filtered, outside and outside_item;
    /// with a design also unit), `name` (the question), `g0`, `g1`, … (the values of the --by
    /// segments, then of the contrasts' questions), with a design `stratum` and `psu` (cells
    /// are then per PSU), `state` (the answer state; answered or selected for base and item;
    /// the screener; the rule), `item` (the item or net of an item row), `n`, `w` and `w2`
    /// (exact decimal Σw and Σw²), `wf` and `wf2` (sums of other weights), `partial`, `value`
    /// (a weight; the fpc of a unit; a rule's example), and on the rows row `duplicate_ids`,
    /// `unmarked_ids`, `invalid_rows`, `query_key`, `weight_max` and `weight_max_float`.
    Sql(sql::Args),
}

/// The columns of a sampling design, over the codebook's `[design]` (`concerns sql` and
/// the analysing commands take the same).
#[derive(Args, Debug, Clone, Default)]
pub struct Design {
    /// Stratum column of the sampling design (over the codebook's [design]).
    #[arg(long, value_name = "COL")]
    pub strata: Option<String>,
    /// Primary sampling unit (cluster) column of the sampling design.
    #[arg(long, value_name = "COL")]
    pub psu: Option<String>,
    /// Finite population correction column: the stratum's population size in PSUs, or its
    /// sampling fraction.
    #[arg(long, value_name = "COL")]
    pub fpc: Option<String>,
}

impl Design {
    /// The design as the library takes it.
    pub fn choice(&self, lonely_psu: Option<concerns::stats::LonelyPsu>) -> concerns::DesignChoice {
        concerns::DesignChoice {
            strata: self.strata.clone(),
            psu: self.psu.clone(),
            fpc: self.fpc.clone(),
            lonely_psu,
        }
    }
}

/// Options every analysing command shares.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Codebook (TOML) describing the survey; default: the embedded canonical codebook.
    #[arg(long, value_name = "FILE")]
    pub codebook: Option<PathBuf>,
    /// Weight column to use instead of the codebook's.
    #[arg(long, value_name = "COL", conflicts_with = "no_weight")]
    pub weight: Option<String>,
    /// Ignore weights: unweighted shares.
    #[arg(long)]
    pub no_weight: bool,
    /// Language of labels and notes.
    #[arg(long, value_enum, default_value_t = Lang::En)]
    pub lang: Lang,
    /// Tabulate every question per group of this segment, beside the total (repeatable).
    #[arg(long, value_name = "SEGMENT")]
    pub by: Vec<String>,
    /// Multiple-comparison correction of the pairwise tests of one item row.
    #[arg(long, value_enum, default_value_t = Adjust::Holm)]
    pub adjust: Adjust,
    /// Significance level of the letters.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Text encoding of the input: utf-8 (default), windows-1251 (Cyrillic Excel), latin-1, …
    #[arg(long)]
    pub encoding: Option<String>,
    /// Field delimiter: ',', ';', 'tab' or '|' (default: the codebook's, else detected).
    #[arg(long, value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Leave out rows with problems, and say how many and why, instead of stopping.
    #[arg(long)]
    pub lenient: bool,
    /// No significance test where a group's effective base is under N.
    #[arg(long, value_name = "N", default_value_t = 30.0)]
    pub min_base: f64,
    #[command(flatten)]
    pub design: Design,
    /// What a stratum with a single PSU contributes to a variance (R's survey.lonely.psu).
    #[arg(long, value_enum)]
    pub lonely_psu: Option<concerns::stats::LonelyPsu>,
    /// Interval method: wilson (on the Kish effective base), or R svyciprop's beta (Korn-Graubard), logit, xlogit, asin, mean (with the design's degrees of freedom).
    #[arg(long, value_enum, default_value_t = concerns::stats::Interval::Wilson)]
    pub interval: concerns::stats::Interval,
    /// Significance test of the letters: pooled-z (two proportions on Kish effective bases) or wald (design-based difference with its covariance).
    #[arg(long, value_enum, default_value_t = concerns::stats::Test::PooledZ)]
    pub test: concerns::stats::Test,
    /// Compare each group with every other (letters) or with the rest of the sample (+ / –).
    #[arg(long, value_enum, default_value_t = concerns::stats::Compare::Pairs)]
    pub compare: concerns::stats::Compare,
    /// Only respondents matching EXPR form the bases (a domain of the design), e.g.
    /// "country in (us, gb) and not generation = boomer", or a codebook filter's name.
    #[arg(long = "where", value_name = "EXPR")]
    pub filter: Option<String>,
    /// What each cell of the tables shows, in order: share (with letters), count
    /// (respondents), ci (the interval), e.g. --cells share,count,ci [default: share, ci and
    /// count in a ranked table, share in a banner].
    #[arg(long, value_enum, value_delimiter = ',', value_name = "CELLS")]
    pub cells: Vec<concerns::results::Cell>,
}

pub(crate) fn parse_delimiter(s: &str) -> Result<u8, String> {
    concerns::delimiter_byte(s)
        .ok_or_else(|| format!("'{s}' is not a delimiter: use ',', ';', 'tab' or '|'"))
}

/// `--weight COL` / `--no-weight` / neither.
pub(crate) fn weight_choice(weight: &Option<String>, no_weight: bool) -> WeightChoice {
    match (weight, no_weight) {
        (_, true) => WeightChoice::None,
        (Some(c), false) => WeightChoice::Column(c.clone()),
        (None, false) => WeightChoice::Codebook,
    }
}

/// What `report`, `table` and `chart` analyse: the rows of DATA, or the sums of
/// `concerns sql`'s query.
#[derive(Args, Debug, Clone, Default)]
pub struct Input {
    /// Respondent-level data: CSV, Parquet or SPSS .sav/.zsav (`-` for standard input).
    #[arg(required_unless_present = "sums")]
    pub data: Option<String>,
    /// The result of `concerns sql`'s query (CSV with a header, or Parquet) instead of DATA, with the
    /// same codebook and --by; repeat to add up several (partitions, days).
    #[arg(long, value_name = "FILE", conflicts_with = "data")]
    pub sums: Vec<String>,
}

impl Input {
    /// The codebook: as [`Common::codebook`] for DATA; for sums `--codebook` or the embedded one.
    pub fn codebook(&self, common: &Common) -> Result<Codebook> {
        match self.data.as_deref() {
            Some(d) => common.codebook(d),
            None => match &common.codebook {
                Some(p) => Codebook::from_file(p),
                None => Ok(Codebook::canonical()),
            },
        }
    }

    /// The results of DATA, or of the sums.
    pub fn analyse(&self, common: &Common) -> Result<(Codebook, concerns::Results)> {
        let data = self.data.as_deref();
        let codebook = self.codebook(common)?;
        let opts = common.options();
        let results = match data {
            Some(d) => concerns::analyse(d, &codebook, &opts)?,
            None => concerns::analyse_sums(&self.sums, &codebook, &opts)?,
        };
        Ok((codebook, results))
    }
}

impl Common {
    /// The codebook: `--codebook`, else an SPSS file's own dictionary, else the embedded one.
    pub fn codebook(&self, data: &str) -> Result<Codebook> {
        match &self.codebook {
            Some(p) => Codebook::from_file(p),
            None => match concerns::init::spss_codebook(data)? {
                Some(cb) => {
                    eprintln!(
                        "note: no --codebook: reading {data} with its own dictionary (`concerns codebook init {data}` writes it out to edit)"
                    );
                    Ok(cb)
                }
                None => Ok(Codebook::canonical()),
            },
        }
    }

    pub fn options(&self) -> Options {
        let weight = weight_choice(&self.weight, self.no_weight);
        Options {
            lang: self.lang,
            weight,
            by: self.by.clone(),
            adjust: self.adjust,
            alpha: self.alpha,
            encoding: self.encoding.clone(),
            delimiter: self.delimiter,
            lenient: self.lenient,
            min_base: self.min_base,
            design: self.design.choice(self.lonely_psu),
            filter: self.filter.clone(),
            cells: self.cells.clone(),
            interval: self.interval,
            compare: self.compare,
            test: self.test,
            ..Options::default()
        }
    }
}

pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Report(a) => report::run(a),
        Command::Table(a) => table::run(a),
        Command::Chart(a) => chart::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Codebook(a) => codebook::run(a),
        Command::Simulate(a) => simulate::run(a),
        Command::Schema(a) => schema::run(a),
        Command::Weight(a) => weight::run(a),
        Command::Sql(a) => sql::run(a),
    }
}

/// Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org).
pub fn stdout_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Columns the terminal table may fill: the terminal's width, else `COLUMNS`, else 80 (so
/// piped output does not depend on the window it was run from).
pub fn stdout_width() -> usize {
    let columns = || {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
    };
    let tty = || {
        std::io::stdout()
            .is_terminal()
            .then(|| comfy_table::Table::new().width())
            .flatten()
            .map(usize::from)
    };
    tty().or_else(columns).unwrap_or(80).clamp(40, 1000)
}

/// The terminal table's colour and width for standard output.
pub fn stdout_terminal() -> concerns::export::Terminal {
    concerns::export::Terminal {
        color: stdout_color(),
        width: stdout_width(),
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub fn print_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.io(|| "writing to standard output".into()),
    }
}

/// The files a command reads (DATA, the codebook, sums files), so that no output is one.
pub fn inputs(input: &Input, common: &Common) -> concerns::output::Inputs {
    let mut paths: Vec<&std::path::Path> = Vec::new();
    paths.extend(input.data.as_deref().map(std::path::Path::new));
    paths.extend(common.codebook.as_deref());
    paths.extend(input.sums.iter().map(std::path::Path::new));
    concerns::output::Inputs::of(paths)
}

/// Weighting and base warnings go to stderr; they are in the JSON `warnings` too.
pub fn print_warnings(results: &concerns::Results) {
    for w in &results.warnings {
        eprintln!(
            "{}",
            say(
                results.lang,
                "cli_warning",
                &[(
                    "message",
                    &concerns::text::visible(&results.warning_text(w, results.lang))
                )]
            )
        );
    }
}
