//! The one way through, up to the sums: open the input, check its header, compile the
//! plan, read it (one pass, hashed alongside; a narrow second pass only to name repeated
//! respondent IDs). `analysis` and `validate` both start here and differ only in what they
//! do with the outcome (stop at the first problem, leave problem rows out, or list them).

use std::collections::HashSet;

use crate::codebook::{Codebook, Segment};
use crate::error::{DataError, Error, Result};
use crate::load::{self, check_header, digest, Format, Header, Source, WeightChoice};
use crate::plan::Plan;
use crate::stats::Adjust;
use crate::tally::pass::{repeated, IdDigests, IdRows, Pass, Settings};
use crate::tally::problems::{ProblemKind, RowProblem};

/// The design's columns and lonely-PSU rule as a run gives them (`--strata`, `--psu`,
/// `--fpc`, `--lonely-psu`); each one given replaces the codebook's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DesignChoice {
    pub strata: Option<String>,
    pub psu: Option<String>,
    pub fpc: Option<String>,
    pub lonely_psu: Option<crate::stats::LonelyPsu>,
}

/// How a run reads and analyses its input.
#[derive(Debug, Clone)]
pub struct Options {
    /// Label language (`en`, `ru`, …).
    pub lang: crate::locale::Lang,
    pub weight: WeightChoice,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Segments (codebook id or column) to tabulate beside the total.
    pub by: Vec<String>,
    pub adjust: Adjust,
    pub alpha: f64,
    /// Text encoding of the input (`utf-8`, `windows-1251`, `latin-1`, …); `None`: the
    /// codebook's, else UTF-8.
    pub encoding: Option<String>,
    /// Field delimiter; `None`: the codebook's, else detected from the header.
    pub delimiter: Option<u8>,
    /// Leave out rows with problems (and say so) instead of refusing to compute.
    pub lenient: bool,
    /// Smallest effective base of a group that is tested against others.
    pub min_base: f64,
    /// The design as given on the command line, over the codebook's `[design]`.
    pub design: DesignChoice,
    /// How intervals are computed.
    pub interval: crate::stats::Interval,
    /// How groups are tested.
    pub test: crate::stats::Test,
    /// What a group is compared with.
    pub compare: crate::stats::Compare,
    /// `--where`: the domain every base is out of (an expression, or a codebook filter's name).
    pub filter: Option<String>,
    /// `--cells`: what the tables' cells show (empty: each table's own).
    pub cells: Vec<crate::results::Cell>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            lang: crate::locale::Lang::En,
            weight: WeightChoice::Codebook,
            confidence: 0.95,
            by: Vec::new(),
            adjust: Adjust::Holm,
            alpha: 0.05,
            encoding: None,
            delimiter: None,
            lenient: false,
            min_base: 30.0,
            design: DesignChoice::default(),
            interval: crate::stats::Interval::Wilson,
            test: crate::stats::Test::PooledZ,
            compare: crate::stats::Compare::Pairs,
            filter: None,
            cells: Vec::new(),
        }
    }
}

impl Options {
    /// The codebook with the design given on the command line in place of its own.
    pub fn with_design<'c>(&self, codebook: &'c Codebook) -> std::borrow::Cow<'c, Codebook> {
        let given = &self.design;
        if *given == DesignChoice::default() {
            return std::borrow::Cow::Borrowed(codebook);
        }
        let mut c = codebook.clone();
        let d = &mut c.design;
        for (given, into) in [
            (&given.strata, &mut d.strata),
            (&given.psu, &mut d.psu),
            (&given.fpc, &mut d.fpc),
        ] {
            if given.is_some() {
                into.clone_from(given);
            }
        }
        if let Some(l) = given.lonely_psu {
            d.lonely_psu = l;
        }
        std::borrow::Cow::Owned(c)
    }

    /// Refuses settings no analysis can use.
    pub fn check(&self) -> Result<()> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(Error::Usage(format!(
                "--alpha must be between 0 and 1, got {}",
                self.alpha
            )));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(Error::Usage(format!(
                "the confidence level must be between 0 and 1, got {}",
                self.confidence
            )));
        }
        if !(self.min_base.is_finite() && self.min_base >= 0.0) {
            return Err(Error::Usage(format!(
                "--min-base must be a number of at least 0, got {}",
                self.min_base
            )));
        }
        Ok(())
    }

    /// The segments of `--by`, each once, in the order given.
    pub fn segments<'c>(&self, codebook: &'c Codebook) -> Result<Vec<&'c Segment>> {
        let mut segments: Vec<&Segment> = Vec::new();
        for name in &self.by {
            let segment = codebook.segment(name).ok_or_else(|| {
                let known: Vec<&str> = codebook.segments.iter().map(|s| s.id.as_str()).collect();
                // `--by a,b`: one option per segment.
                let parts: Vec<&str> = name.split(',').map(str::trim).collect();
                if parts.len() > 1 && parts.iter().all(|p| codebook.segment(p).is_some()) {
                    return Error::Usage(format!(
                        "--by {name}: repeat --by for each segment: --by {}",
                        parts.join(" --by ")
                    ));
                }
                let hint = crate::text::closest(name, known.iter().copied())
                    .map(|c| format!("did you mean '{c}'? "))
                    .unwrap_or_default();
                Error::Usage(format!(
                    "--by {name}: not a segment of the codebook; {hint}(segments: {})",
                    known.join(", ")
                ))
            })?;
            if !segments.iter().any(|s| s.id == segment.id) {
                segments.push(segment);
            }
        }
        Ok(segments)
    }
}

pub use crate::codebook::delimiter_byte;

/// Opens `input` with the encoding and delimiter of the options, else of the codebook's layout.
pub fn open_source(input: &str, codebook: &Codebook, opts: &Options) -> Result<Source> {
    let encoding = opts
        .encoding
        .clone()
        .or_else(|| codebook.input.encoding.clone())
        .unwrap_or_else(|| "utf-8".into());
    // The codebook's delimiter was checked when it loaded.
    let delimiter = opts
        .delimiter
        .or_else(|| codebook.input.delimiter.as_deref().and_then(delimiter_byte));
    Source::open(input, &encoding, delimiter)
}

/// An input with its header checked and the codebook compiled against it.
pub struct Prepared<'c> {
    pub codebook: &'c Codebook,
    pub src: Source,
    pub header: Header,
    pub plan: Plan,
}

impl<'c> Prepared<'c> {
    /// Checks the header of `src` and compiles the plan. `segments` are tabulated (their
    /// columns must exist); `checked` are the segments whose values are checked.
    pub fn new(
        codebook: &'c Codebook,
        src: Source,
        weight: &WeightChoice,
        segments: Vec<&'c Segment>,
        (checked, filter): (&[&Segment], Option<&str>),
    ) -> Result<Prepared<'c>> {
        let columns: Vec<String> = segments.iter().map(|s| s.column.clone()).collect();
        let header = check_header(&src, codebook, weight, &columns)?;
        let groupings = codebook.groupings(&segments);
        let plan = Plan::new(
            codebook,
            &header.columns,
            header.weight.as_deref(),
            &groupings,
            checked,
        )
        .map_err(|m| load::missing_column(&src.name, &m.0, &header.columns, "needed"))?;
        let mut plan = plan;
        plan.restrict(filter, codebook, &header.columns)?;
        Ok(Prepared {
            codebook,
            src,
            header,
            plan,
        })
    }

    /// Header positions the plan reads, in ascending order.
    fn needed(&self) -> Vec<usize> {
        let width = self.header.columns.len();
        let mut v: Vec<usize> = self
            .plan
            .columns()
            .into_iter()
            .filter(|&c| c < width)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Runs `make`'s consumers over every record.
    pub fn run<C: crate::load::record::Consumer>(
        &self,
        show_progress: bool,
        make: &(dyn Fn() -> C + Sync),
    ) -> Result<C> {
        load::run(&self.src, &self.header, &self.needed(), show_progress, make)
    }

    /// One pass of the plan over the input, hashing it alongside, then the rows of any
    /// repeated respondent ID (a second, narrow pass, only when there are some). An error
    /// if the file changed while it was read.
    pub fn read<'p>(&'p self, settings: &'p Settings) -> Result<Outcome<'p>> {
        let plan = &self.plan;
        let (read, hashed) = std::thread::scope(|s| {
            // A CSV read as given is digested by the scan itself; any other input here.
            let separate = !(self.src.format == Format::Csv && self.src.original == self.src.path);
            let hash =
                separate.then(|| s.spawn(|| digest(&self.src, self.src.format == Format::Csv)));
            let read = load::run_digested(&self.src, &self.header, &self.needed(), true, &|| {
                Pass::new(plan, settings)
            });
            let hashed = hash.map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(DataError::new(&self.src.name, "reading the input failed").into())
                })
            });
            (read, hashed)
        });
        let (mut pass, scanned) = read?;
        let (blake3, quotes) = match (hashed, scanned) {
            (Some(hashed), _) => hashed?,
            (None, Some(d)) => (d.hash.to_hex().to_string(), d.quotes),
            (None, None) => digest(&self.src, self.src.format == Format::Csv)?,
        };
        let unterminated = match pass.last_record() {
            Some((record, offset)) if !quotes.is_multiple_of(2) => Some(RowProblem {
                record,
                offset,
                kind: ProblemKind::UnterminatedQuote,
            }),
            _ => None,
        };
        let repeated: HashSet<u64> = match pass.repeated_ids() {
            Some(r) => r,
            None => {
                let mut all = self.run(false, &|| IdDigests::new(plan))?.digests;
                repeated(&mut all)
            }
        };
        let duplicates = if repeated.is_empty() {
            Vec::new()
        } else {
            self.run(false, &|| IdRows::new(plan, &repeated))?
                .later_occurrences()
        };
        pass.set_duplicate_ids(duplicates.len() as u64);
        self.src.unchanged()?;
        Ok(Outcome {
            pass,
            blake3,
            unterminated,
            duplicates,
        })
    }

    /// The error when the screener leaves nobody of `rows` respondents (`dropped`
    /// rows with problems aside), naming the screener's column.
    pub fn all_excluded(&self, rows: u64, excluded: u64, dropped: u64) -> Option<DataError> {
        all_excluded(self.codebook, &self.src.name, rows, excluded, dropped)
    }
}

/// The error when the screener leaves nobody of `rows` respondents (`dropped` rows with
/// problems aside), naming the screener's column.
pub(crate) fn all_excluded(
    codebook: &Codebook,
    name: &str,
    rows: u64,
    excluded: u64,
    dropped: u64,
) -> Option<DataError> {
    let left = rows.saturating_sub(dropped);
    (left > 0 && excluded == left).then(|| {
        let e = DataError::new(
            name,
            format!(
                "all {left} respondents are excluded by the screener; nothing is left to tabulate"
            ),
        );
        match codebook.exclude.first() {
            Some(x) => e.column(x.column.clone()),
            None => e,
        }
    })
}

/// The outcome of reading an input once.
pub struct Outcome<'p> {
    pub pass: Pass<'p>,
    pub blake3: String,
    /// A quoted field opens on the file's last record and never closes (CSV only).
    pub unterminated: Option<RowProblem>,
    /// Every row whose respondent ID appeared on an earlier row.
    pub duplicates: Vec<RowProblem>,
}
