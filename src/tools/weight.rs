//! Raking weights (`concerns weight`): iterative proportional fitting of the weights to
//! population margins, as R `survey::rake` does it, with optional trimming as
//! `survey::trimWeights` followed by `rake`.
//!
//! Every row is one cell of the cross table of the raking variables (and of its base
//! weight): rows of one cell always share a weight, so each iteration works on the cells,
//! not the rows, and 10 million rows rake as fast as a few thousand once counted.

use std::borrow::Cow;
use std::io::{BufReader, Read};
use std::path::Path;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::error::{DataError, Error, IoContext, Result};
use crate::load::{encoding_for, Source};
use crate::text::{closest, is_safe_id, visible};

/// Largest targets file read.
pub(crate) const MAX_TARGETS_BYTES: u64 = 1 << 20;
/// Raking variables of one targets file.
pub(crate) const MAX_MARGINS: usize = 50;
/// Categories of one raking variable.
pub(crate) const MAX_CATEGORIES: usize = 10_000;

/// One population margin: the categories of a column and their targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Margin {
    pub column: String,
    pub categories: Vec<String>,
    /// As given: shares (summing to 1) or counts.
    pub values: Vec<f64>,
    pub shares: bool,
}

/// The margins of a targets file, in its order (the order R rakes them in).
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    pub margins: Vec<Margin>,
}

impl Margin {
    /// One `[column]` table of the targets: its categories and their shares or counts.
    fn parse(
        column: &str,
        table: &dyn toml_edit::TableLike,
        origin: &str,
        tolerance: f64,
    ) -> Result<Margin> {
        let col = visible(column);
        let mut categories = Vec::new();
        let mut values = Vec::new();
        for (code, v) in table.iter() {
            let value = v
                .as_float()
                .or_else(|| v.as_integer().map(|i| i as f64))
                .filter(|x| x.is_finite() && *x > 0.0 && *x <= MAX_COUNT)
                .ok_or_else(|| {
                    targets_error(
                        origin,
                        &format!(
                            "[{col}] {} = {}: expected a positive share or count of at most 10^15 (a category nobody belongs to is left out, not given 0)",
                            visible(code),
                            visible(v.to_string().trim())
                        ),
                    )
                })?;
            categories.push(code.to_string());
            values.push(value);
        }
        if categories.is_empty() {
            return Err(targets_error(origin, &format!("[{col}] lists no category")));
        }
        if categories.len() > MAX_CATEGORIES {
            return Err(targets_error(
                origin,
                &format!(
                    "[{col}] has {} categories: at most {MAX_CATEGORIES}",
                    categories.len()
                ),
            ));
        }
        let shares = values.iter().all(|v| *v <= 1.0);
        if shares {
            let sum: f64 = values.iter().sum();
            if (sum - 1.0).abs() > tolerance {
                return Err(targets_error(
                    origin,
                    &format!(
                        "the shares of [{col}] sum to {sum}, not 1 (tolerance {tolerance}): give shares that add up to 1, or counts"
                    ),
                ));
            }
            values.iter_mut().for_each(|v| *v /= sum);
        }
        Ok(Margin {
            column: column.to_string(),
            categories,
            values,
            shares,
        })
    }
}

impl Targets {
    /// Reads a targets file (see [`Targets::parse`]).
    pub fn from_file(path: &Path, tolerance: f64) -> Result<Targets> {
        let origin = path.display().to_string();
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_TARGETS_BYTES + 1).read_to_end(&mut bytes))
            .io(|| format!("cannot read targets {origin}"))?;
        if bytes.len() as u64 > MAX_TARGETS_BYTES {
            return Err(targets_error(
                &origin,
                "larger than 1 MiB; targets are a short TOML file",
            ));
        }
        let text =
            String::from_utf8(bytes).map_err(|_| targets_error(&origin, "not UTF-8 text"))?;
        Targets::parse(&text, &origin, tolerance)
    }

    /// Parses targets: one table per column, categories as keys, shares or counts as values.
    /// Shares within `tolerance` of summing to 1 are scaled to sum to exactly 1.
    pub(crate) fn parse(text: &str, origin: &str, tolerance: f64) -> Result<Targets> {
        let doc: toml_edit::DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| targets_error(origin, e.to_string().trim_end()))?;
        let mut margins = Vec::new();
        for (column, item) in doc.iter() {
            let col = visible(column);
            let Some(table) = item.as_table_like() else {
                return Err(targets_error(
                    origin,
                    &format!("'{col}' is not a table: write [{col}] and one `category = share` line per category"),
                ));
            };
            margins.push(Margin::parse(column, table, origin, tolerance)?);
        }
        if margins.is_empty() {
            return Err(targets_error(
                origin,
                "no margins: add one [column] table per raking variable",
            ));
        }
        if margins.len() > MAX_MARGINS {
            return Err(targets_error(
                origin,
                &format!("{} margins: at most {MAX_MARGINS}", margins.len()),
            ));
        }
        let counts: Vec<(&str, f64)> = margins
            .iter()
            .filter(|m| !m.shares)
            .map(|m| (m.column.as_str(), m.values.iter().sum()))
            .collect();
        if let (Some(a), Some(b)) = (
            counts.first(),
            counts
                .iter()
                .find(|b| ((b.1 - counts[0].1) / counts[0].1).abs() > 1e-9),
        ) {
            return Err(targets_error(
                origin,
                &format!(
                    "the counts of [{}] sum to {} but those of [{}] to {}: every margin must describe one population",
                    visible(a.0),
                    a.1,
                    visible(b.0),
                    b.1
                ),
            ));
        }
        Ok(Targets { margins })
    }

    /// The population total the counts give, if any margin is in counts.
    fn population(&self) -> Option<f64> {
        self.margins
            .iter()
            .find(|m| !m.shares)
            .map(|m| m.values.iter().sum())
    }
}

/// When the targets key the data's code `code` by its label ("Gen Z" for `gen_z`): the
/// codebook's label, or the code written as words.
fn label_key(code: &str, margin: &Margin, labels: &[(String, String, String)]) -> Option<String> {
    if code.is_empty() {
        return None;
    }
    let words = |s: &str| -> String {
        s.chars()
            .map(|c| match c.is_alphanumeric() {
                true => c.to_lowercase().next().unwrap_or(c),
                false => ' ',
            })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let label = labels
        .iter()
        .filter(|(column, c, _)| *column == margin.column && c == code)
        .find_map(|(_, _, label)| margin.categories.iter().find(|k| words(k) == words(label)));
    let spelled = || margin.categories.iter().find(|k| words(k) == words(code));
    match (label, spelled()) {
        (Some(k), _) => Some(format!(
            "the targets' '{}' is the label of code '{}': key the targets by code. ",
            visible(k),
            visible(code)
        )),
        (None, Some(k)) => Some(format!(
            "the targets' '{}' looks like code '{}' written as a label: key the targets by code. ",
            visible(k),
            visible(code)
        )),
        (None, None) => None,
    }
}

/// Largest count a target may give: more than any population, and far from where sums of
/// counts lose their meaning in floating point.
const MAX_COUNT: f64 = 1e15;

fn targets_error(origin: &str, message: &str) -> Error {
    Error::Usage(format!("targets {origin}: {message}"))
}

/// How to rake.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RakeOptions {
    /// R `rake(control = list(epsilon))`: below 1, a fraction of the total weight; else in
    /// weight units. Raking stops when no cell of the cross table moves more than that.
    pub epsilon: f64,
    /// R `rake(control = list(maxit))`: sweeps over every margin at most.
    pub max_iterations: usize,
    pub trim: Option<Trim>,
}

impl Default for RakeOptions {
    fn default() -> Self {
        RakeOptions {
            epsilon: 1e-10,
            max_iterations: 100,
            trim: None,
        }
    }
}

/// Trimming bounds, as multiples of the mean weight, and how often trimming and raking
/// alternate at most.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trim {
    pub upper: Option<f64>,
    pub lower: Option<f64>,
    pub rounds: usize,
}

/// Rows grouped by their categories and base weight: every row of a cell has one weight.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cells {
    /// Margins' category index of each cross-table cell.
    combos: Vec<Vec<u32>>,
    combo_of: FxHashMap<Vec<u32>, u32>,
    /// Per cell: its cross-table cell, rows, and the weight of each of its rows.
    combo: Vec<u32>,
    rows: Vec<u64>,
    weight: Vec<f64>,
    index: FxHashMap<(u32, u64), u32>,
}

impl Cells {
    /// The cell of a row with these category indices and base weight (added when new).
    fn cell(&mut self, categories: &[u32], base: f64) -> u32 {
        let combo = match self.combo_of.get(categories) {
            Some(&c) => c,
            None => {
                let c = self.combos.len() as u32;
                self.combos.push(categories.to_vec());
                self.combo_of.insert(categories.to_vec(), c);
                c
            }
        };
        let key = (combo, base.to_bits());
        if let Some(&c) = self.index.get(&key) {
            return c;
        }
        let c = self.combo.len() as u32;
        self.index.insert(key, c);
        self.combo.push(combo);
        self.rows.push(0);
        self.weight.push(base);
        c
    }

    fn add(&mut self, categories: &[u32], base: f64) -> u32 {
        let c = self.cell(categories, base);
        self.rows[c as usize] += 1;
        c
    }

    /// Adds the rows of another chunk's cells (before any raking: weights are base weights).
    fn merge(&mut self, other: &Cells) {
        for c in 0..other.combo.len() {
            let categories = &other.combos[other.combo[c] as usize];
            let cell = self.cell(categories, other.weight[c]);
            self.rows[cell as usize] += other.rows[c];
        }
    }

    fn find(&self, categories: &[u32], base: f64) -> Option<u32> {
        let combo = *self.combo_of.get(categories)?;
        self.index.get(&(combo, base.to_bits())).copied()
    }

    fn total(&self) -> f64 {
        accurate_sum(
            self.rows
                .iter()
                .zip(&self.weight)
                .map(|(&n, &w)| n as f64 * w),
        )
    }

    /// Weighted totals of every cross-table cell (R `svytable` over all raking variables).
    fn table(&self) -> Vec<f64> {
        let mut t = vec![0.0; self.combos.len()];
        for c in 0..self.combo.len() {
            t[self.combo[c] as usize] += self.rows[c] as f64 * self.weight[c];
        }
        t
    }

    /// Weighted totals of each category of margin `m`.
    fn margin(&self, m: usize, categories: usize) -> Vec<f64> {
        let mut t = vec![0.0; categories];
        for c in 0..self.combo.len() {
            let k = self.combos[self.combo[c] as usize][m] as usize;
            t[k] += self.rows[c] as f64 * self.weight[c];
        }
        t
    }

    /// Respondents of each category of margin `m`.
    fn margin_rows(&self, m: usize, categories: usize) -> Vec<u64> {
        let mut t = vec![0; categories];
        for c in 0..self.combo.len() {
            t[self.combos[self.combo[c] as usize][m] as usize] += self.rows[c];
        }
        t
    }

    /// R `rake`: sweeps of post-stratification on each margin until no cross-table cell
    /// moves by `epsilon` (or `max_iterations` sweeps). Returns (sweeps, converged).
    fn rake(&mut self, targets: &[Vec<f64>], opts: &RakeOptions) -> (usize, bool) {
        let epsilon = if opts.epsilon < 1.0 {
            opts.epsilon * self.total()
        } else {
            opts.epsilon
        };
        let mut old = self.table();
        let mut sweeps = 0;
        while sweeps < opts.max_iterations {
            for (m, target) in targets.iter().enumerate() {
                let now = self.margin(m, target.len());
                let factor: Vec<f64> = target.iter().zip(&now).map(|(t, n)| t / n).collect();
                for c in 0..self.combo.len() {
                    self.weight[c] *= factor[self.combos[self.combo[c] as usize][m] as usize];
                }
            }
            sweeps += 1;
            let new = self.table();
            let delta = old
                .iter()
                .zip(&new)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            if delta < epsilon {
                return (sweeps, true);
            }
            old = new;
        }
        (sweeps, false)
    }

    /// R `trimWeights(strict = FALSE)`: weights outside [lower, upper] are set to the
    /// bound, and what was cut is shared equally by the rows within. Rows trimmed.
    fn trim(&mut self, lower: f64, upper: f64) -> u64 {
        let outside: Vec<bool> = self
            .weight
            .iter()
            .map(|&w| w < lower || w > upper)
            .collect();
        let trimmed: u64 = self
            .rows
            .iter()
            .zip(&outside)
            .filter(|(_, &o)| o)
            .map(|(n, _)| n)
            .sum();
        let within: u64 = self.rows.iter().sum::<u64>() - trimmed;
        if trimmed == 0 || within == 0 {
            return 0;
        }
        let cut = accurate_sum((0..self.weight.len()).filter(|&c| outside[c]).map(|c| {
            let w = self.weight[c];
            self.rows[c] as f64 * (w - w.clamp(lower, upper))
        }));
        let share = cut / within as f64;
        for (w, &out) in self.weight.iter_mut().zip(&outside) {
            *w = if out {
                w.clamp(lower, upper)
            } else {
                *w + share
            };
        }
        trimmed
    }
}

fn accurate_sum(values: impl Iterator<Item = f64>) -> f64 {
    use accurate::sum::Sum2;
    use accurate::traits::SumAccumulator;
    values.fold(Sum2::zero(), |s, v| s + v).sum()
}

/// What raking did, for stderr and `--report`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightReport {
    pub input: String,
    pub rows: u64,
    /// The new column.
    pub column: String,
    /// The column the weights started from; null: every row started at 1.
    pub base_weight: Option<String>,
    pub method: String,
    pub epsilon: f64,
    pub max_iterations: usize,
    /// Sweeps over every margin (in the last raking, when trimming alternates with it).
    pub iterations: usize,
    pub converged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trim: Option<TrimReport>,
    pub margins: Vec<MarginReport>,
    pub weights: WeightSummary,
    /// Kish: (Σw)² / (n Σw²).
    pub weighting_efficiency: f64,
    /// Kish design effect of the weights: 1 / weighting efficiency.
    pub design_effect: f64,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrimReport {
    /// Bounds as given (multiples of the mean weight) and in weight units.
    pub upper: Option<f64>,
    pub lower: Option<f64>,
    pub upper_weight: Option<f64>,
    pub lower_weight: Option<f64>,
    /// Trim-and-rake rounds done.
    pub rounds: usize,
    /// Rows trimmed in the first round.
    pub trimmed_rows: u64,
    /// Whether the final weights are within the bounds (raking may push them out again).
    pub within_bounds: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MarginReport {
    pub column: String,
    pub categories: Vec<CategoryReport>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryReport {
    pub code: String,
    pub respondents: u64,
    pub unweighted_share: f64,
    pub target: f64,
    pub target_share: f64,
    pub achieved: f64,
    pub achieved_share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightSummary {
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub total: f64,
}

/// How to read the input and name the output.
#[derive(Debug, Clone)]
pub struct WeightJob {
    pub input: String,
    pub targets: Targets,
    pub base_weight: Option<String>,
    pub column: String,
    pub rake: RakeOptions,
    pub encoding: String,
    pub delimiter: Option<u8>,
    /// Decimal places of the weights written; `None`: the shortest text that reads back as
    /// the computed weight. With 9 or fewer every reader (and `concerns sql`) sums them exactly.
    pub decimals: Option<usize>,
    /// The codebook's labels of the raking columns' codes, (column, code, label), so that a
    /// target keyed by a label is named for what it is.
    pub labels: Vec<(String, String, String)>,
}

/// The input read once: the header, the raking columns and each row's cell.
struct Layout {
    columns: Vec<String>,
    at: Vec<usize>,
    base_at: Option<usize>,
    lookup: Vec<FxHashMap<String, u32>>,
}

/// A CSV reader over the input's raw bytes (any ASCII-compatible encoding).
fn reader(src: &Source, delimiter: u8) -> Result<csv::Reader<std::fs::File>> {
    let f = std::fs::File::open(&src.original).io(|| format!("cannot open {}", src.name))?;
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(f))
}

/// What is wrong with a row: the column at fault (empty: the row) and why.
#[derive(Debug)]
struct RowError {
    column: String,
    message: String,
}

/// The first pass: each row's cell counted, chunk by chunk; the first problem in file
/// order stops it (with its record number).
struct CellPass<'a> {
    job: &'a WeightJob,
    enc: &'static encoding_rs::Encoding,
    layout: &'a Layout,
    cells: Cells,
    key: Vec<u32>,
    rows: u64,
    error: Option<(u64, RowError)>,
}

impl crate::load::record::Consumer for CellPass<'_> {
    fn record<F: crate::load::record::Fields>(&mut self, rec: &F, _offset: u64, index: u64) {
        if self.error.is_some() {
            return;
        }
        let width = self.layout.columns.len();
        if rec.len() != width {
            let message = format!("{} fields where the header has {width}", rec.len());
            let column = String::new();
            self.error = Some((index, RowError { column, message }));
            return;
        }
        let field = |c: usize| rec.get(c).unwrap_or(Cow::Borrowed(&[]));
        match self
            .job
            .row_key((self.enc, self.layout), field, &mut self.key)
        {
            Ok(base) => {
                self.cells.add(&self.key, base);
                self.rows += 1;
            }
            Err(e) => self.error = Some((index, e)),
        }
    }

    fn absorb(&mut self, next: Self, before: u64) {
        if self.error.is_some() {
            return;
        }
        if let Some((index, e)) = next.error {
            self.error = Some((before + index, e));
            return;
        }
        self.cells.merge(&next.cells);
        self.rows += next.rows;
    }
}

/// How the file's first line ends (`\r\n` or `\n`): every written row ends the same way.
fn line_ending(path: &Path) -> Result<&'static str> {
    let mut head = vec![0u8; 1 << 16];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .io(|| format!("cannot read {}", path.display()))?;
    let mut quoted = false;
    for i in 0..n {
        match head[i] {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                return Ok(if i > 0 && head[i - 1] == b'\r' {
                    "\r\n"
                } else {
                    "\n"
                })
            }
            _ => {}
        }
    }
    Ok("\n")
}

fn decode<'a>(enc: &'static encoding_rs::Encoding, v: &'a [u8]) -> Cow<'a, str> {
    if enc == encoding_rs::UTF_8 {
        String::from_utf8_lossy(v)
    } else {
        enc.decode_without_bom_handling(v).0
    }
}

impl WeightJob {
    /// Reads the input, rakes, and writes the input rows with the new weight column to
    /// `out`. The report says how it went; raking that does not converge is an error.
    pub fn run(&self, out: &Path) -> Result<WeightReport> {
        let enc = encoding_for(&self.encoding).ok_or_else(|| {
            Error::Usage(format!(
                "--encoding {}: unknown encoding (try utf-8, windows-1251, latin-1)",
                self.encoding
            ))
        })?;
        // Opened as UTF-8 bytes: the rows are copied as they are, in their own encoding.
        let src = Source::open(&self.input, "utf-8", self.delimiter)?;
        let (record, data_start) = csv_header(&src)?;
        let layout = self.layout(&src, enc, &record)?;
        let (mut cells, rows) = self.count_cells(&src, enc, &layout, data_start)?;
        let population = self.targets.population().unwrap_or(cells.total());
        let targets: Vec<Vec<f64>> = (self.targets.margins.iter())
            .map(|m| match m.shares {
                true => m.values.iter().map(|v| v * population).collect(),
                false => m.values.clone(),
            })
            .collect();
        let unweighted = self.reachable(&src, &cells)?;
        let (mut iterations, mut converged) = cells.rake(&targets, &self.rake);
        let mut warnings = Vec::new();
        // Shares are of the counts' total: say which total the weights add up to.
        let margins = &self.targets.margins;
        if let (Some(share), Some(count)) = (
            margins.iter().find(|m| m.shares),
            margins.iter().find(|m| !m.shares),
        ) {
            warnings.push(format!(
                "[{}] is given in shares and [{}] in counts: the weights add up to the counts' total, {}, and the shares are taken of it",
                visible(&share.column),
                visible(&count.column),
                population
            ));
        }
        let mut trim = None;
        if let (Some(t), true) = (self.rake.trim, converged) {
            let (report, last, ok) = self.trim(&mut cells, &targets, rows, t, &mut warnings);
            (trim, iterations, converged) = (Some(report), last.unwrap_or(iterations), ok);
        }
        if !converged {
            return Err(Error::Data(DataError::new(
                &src.name,
                format!(
                    "raking did not converge in {iterations} iterations (epsilon {}): the margins may contradict each other in the data (a cell with no respondents where the targets need some); try --max-iterations",
                    self.rake.epsilon
                ),
            )));
        }
        self.met(&src, &cells, &targets)?;
        self.readable(&cells)?;
        let report = self.report(
            &src,
            &cells,
            &targets,
            (&unweighted, rows),
            (iterations, trim, warnings),
        );
        self.write(&src, enc, &layout, &cells, out)?;
        src.unchanged()?;
        Ok(report)
    }

    /// Every row's cell, counted in parallel over chunks of the file, and the rows.
    fn count_cells(
        &self,
        src: &Source,
        enc: &'static encoding_rs::Encoding,
        layout: &Layout,
        data_start: u64,
    ) -> Result<(Cells, u64)> {
        let header = crate::load::Header {
            columns: layout.columns.clone(),
            weight: None,
            data_start,
            first_row: 2,
            booleans: ("1".into(), "0".into()),
        };
        let needed: Vec<usize> = layout.at.iter().copied().chain(layout.base_at).collect();
        let make = || CellPass {
            job: self,
            enc,
            layout,
            cells: Cells::default(),
            key: vec![0; layout.at.len()],
            rows: 0,
            error: None,
        };
        let pass = crate::load::run(src, &header, &needed, true, &make)?;
        if let Some((record, e)) = pass.error {
            let error = DataError::new(&src.name, e.message).row(record + 2);
            return Err(match e.column.is_empty() {
                true => error,
                false => error.column(e.column),
            }
            .into());
        }
        if pass.rows == 0 {
            return Err(DataError::new(&src.name, "the file has a header and no rows").into());
        }
        Ok((pass.cells, pass.rows))
    }

    /// The respondents per category of each margin; an error for a category with a target
    /// and no respondent.
    fn reachable(&self, src: &Source, cells: &Cells) -> Result<Vec<Vec<u64>>> {
        let mut unweighted = Vec::new();
        for (m, margin) in self.targets.margins.iter().enumerate() {
            let n = cells.margin_rows(m, margin.categories.len());
            if let Some(k) = n.iter().position(|&n| n == 0) {
                return Err(DataError::new(
                    &src.name,
                    format!(
                        "no respondent has '{}', which the targets give {}: a target cannot be met without respondents (merge the category or drop its target)",
                        visible(&margin.categories[k]),
                        margin.values[k]
                    ),
                )
                .column(margin.column.clone())
                .into());
            }
            unweighted.push(n);
        }
        Ok(unweighted)
    }

    /// Trimming and raking again, in rounds, until the weights are within the bounds: the
    /// report, the last raking's iterations (if one ran) and whether it converged.
    fn trim(
        &self,
        cells: &mut Cells,
        targets: &[Vec<f64>],
        rows: u64,
        t: Trim,
        warnings: &mut Vec<String>,
    ) -> (TrimReport, Option<usize>, bool) {
        let mean = cells.total() / rows as f64;
        let (lower, upper) = (
            t.lower.map_or(f64::NEG_INFINITY, |l| l * mean),
            t.upper.map_or(f64::INFINITY, |u| u * mean),
        );
        let (mut rounds, mut first, mut last, mut converged) = (0, None, None, true);
        let inside = |c: &Cells| {
            c.weight
                .iter()
                .all(|&w| w >= lower * (1.0 - 1e-9) && w <= upper * (1.0 + 1e-9))
        };
        while rounds < t.rounds && !inside(cells) {
            let trimmed = cells.trim(lower, upper);
            first.get_or_insert(trimmed);
            let (iterations, ok) = cells.rake(targets, &self.rake);
            (last, converged) = (Some(iterations), ok);
            rounds += 1;
            if !converged {
                break;
            }
        }
        let within = inside(cells);
        if !within {
            warnings.push(format!(
                "after {rounds} rounds of trimming and raking some weights are still outside the bounds: the margins pull them out again (loosen the bounds or allow more --trim-rounds)"
            ));
        }
        let report = TrimReport {
            upper: t.upper,
            lower: t.lower,
            upper_weight: t.upper.map(|_| upper),
            lower_weight: t.lower.map(|_| lower),
            rounds,
            trimmed_rows: first.unwrap_or(0),
            within_bounds: within,
        };
        (report, last, converged)
    }

    /// Raking stops when the weights stop moving; margins that contradict each other in
    /// the data (a combination the targets need and nobody has) stop it short of them.
    fn met(&self, src: &Source, cells: &Cells, targets: &[Vec<f64>]) -> Result<()> {
        for (m, margin) in self.targets.margins.iter().enumerate() {
            let achieved = cells.margin(m, margin.categories.len());
            let total: f64 = targets[m].iter().sum();
            if let Some(k) =
                (0..achieved.len()).find(|&k| (achieved[k] - targets[m][k]).abs() > 1e-6 * total)
            {
                return Err(DataError::new(
                    &src.name,
                    format!(
                        "the margins cannot be met together: raking settles with '{}' at {:.4}% of the weight, the target is {:.4}% (another margin pulls it away: the data lacks combinations the targets need)",
                        visible(&margin.categories[k]),
                        100.0 * achieved[k] / total,
                        100.0 * targets[m][k] / total
                    ),
                )
                .column(margin.column.clone())
                .into());
            }
        }
        Ok(())
    }

    /// Every weight must be one `table` reads (tiny shares or huge counts could make weights
    /// it refuses, or no number at all), and none may be written as 0.
    fn readable(&self, cells: &Cells) -> Result<()> {
        let (lo, hi) = (crate::plan::MIN_WEIGHT, crate::plan::MAX_WEIGHT);
        if let Some(w) = cells
            .weight
            .iter()
            .find(|w| !(w.is_finite() && (lo..=hi).contains(*w)))
        {
            return Err(Error::Usage(format!(
                "the targets give a weight of {w:e}, outside the {lo:e} to {hi:e} that concerns reads: give shares, or counts of the population's size (only the ratios of weights matter)"
            )));
        }
        if let Some(n) = self.decimals {
            if let Some(w) = cells
                .weight
                .iter()
                .find(|w| format!("{w:.n$}").parse::<f64>().is_ok_and(|x| x <= 0.0))
            {
                return Err(Error::Usage(format!(
                    "a weight of {w:e} is 0 when written with {n} decimals; use more (--decimals)"
                )));
            }
        }
        Ok(())
    }

    fn layout(
        &self,
        src: &Source,
        enc: &'static encoding_rs::Encoding,
        header: &csv::ByteRecord,
    ) -> Result<Layout> {
        // Names as the other commands read them: as written (a byte-order mark aside).
        let mut columns: Vec<String> = header.iter().map(|c| decode(enc, c).to_string()).collect();
        if let Some(first) = columns.first_mut() {
            *first = first.trim_start_matches('\u{feff}').to_string();
        }
        let find = |name: &str, what: &str| -> Result<usize> {
            columns
                .iter()
                .position(|c| c == name)
                .ok_or_else(|| crate::load::missing_column(&src.name, name, &columns, what).into())
        };
        let at = self
            .targets
            .margins
            .iter()
            .map(|m| find(&m.column, "a raking variable of the targets"))
            .collect::<Result<Vec<_>>>()?;
        let base_at = self
            .base_weight
            .as_deref()
            .map(|b| find(b, "the base weight (--base-weight)"))
            .transpose()?;
        if !is_safe_id(&self.column) {
            return Err(Error::Usage(format!(
                "--name {}: a column name of letters, digits, '_' and '-'",
                visible(&self.column)
            )));
        }
        if columns.contains(&self.column) {
            return Err(Error::Usage(format!(
                "{}: already has a column '{}'; name the new weights with --name",
                src.name, self.column
            )));
        }
        let lookup = self
            .targets
            .margins
            .iter()
            .map(|m| {
                m.categories
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.clone(), i as u32))
                    .collect()
            })
            .collect();
        Ok(Layout {
            columns,
            at,
            base_at,
            lookup,
        })
    }

    /// The category indices of a row into `key`, and its base weight; else what is wrong
    /// with it (the caller adds the file and row).
    fn row_key<'r>(
        &self,
        (enc, layout): (&'static encoding_rs::Encoding, &Layout),
        field: impl Fn(usize) -> Cow<'r, [u8]>,
        key: &mut [u32],
    ) -> std::result::Result<f64, RowError> {
        for (m, &c) in layout.at.iter().enumerate() {
            let raw = field(c);
            let v = decode(enc, &raw);
            // Trimmed as every reader trims a value (ASCII white space only).
            let v = v.trim_ascii();
            match layout.lookup[m].get(v) {
                Some(&k) => key[m] = k,
                None => {
                    let margin = &self.targets.margins[m];
                    let what = if v.is_empty() {
                        "is empty".to_string()
                    } else {
                        format!("'{}' has no target", visible(v))
                    };
                    let hint = match label_key(v, margin, &self.labels) {
                        Some(hint) => hint,
                        None => closest(v, margin.categories.iter().map(String::as_str))
                            .filter(|_| !v.is_empty())
                            .map(|c| format!("did you mean '{}'? ", visible(c)))
                            .unwrap_or_default(),
                    };
                    return Err(RowError {
                        column: margin.column.clone(),
                        message: format!(
                            "{what}; every respondent needs a category of the targets to be weighted: {hint}(targets: {})",
                            margin.categories.iter().map(|c| visible(c).into_owned()).collect::<Vec<_>>().join(", ")
                        ),
                    });
                }
            }
        }
        let Some(b) = layout.base_at else {
            return Ok(1.0);
        };
        let field = field(b);
        let raw = decode(enc, &field);
        // Read as `table` reads a weight, so that what is raked is what is tabulated.
        let text = raw.trim_ascii();
        crate::plan::read_weight(text.as_bytes()).ok_or_else(|| RowError {
            column: layout.columns[b].clone(),
            message: format!(
                "'{}' is not a base weight: a positive number from {:e} to {:e}",
                visible(text),
                crate::plan::MIN_WEIGHT,
                crate::plan::MAX_WEIGHT
            ),
        })
    }

    fn report(
        &self,
        src: &Source,
        cells: &Cells,
        targets: &[Vec<f64>],
        (unweighted, rows): (&[Vec<u64>], u64),
        (iterations, trim, warnings): (usize, Option<TrimReport>, Vec<String>),
    ) -> WeightReport {
        let total = cells.total();
        let margins = self
            .targets
            .margins
            .iter()
            .enumerate()
            .map(|(m, margin)| {
                let achieved = cells.margin(m, margin.categories.len());
                let target_total: f64 = targets[m].iter().sum();
                MarginReport {
                    column: margin.column.clone(),
                    categories: margin
                        .categories
                        .iter()
                        .enumerate()
                        .map(|(k, code)| CategoryReport {
                            code: code.clone(),
                            respondents: unweighted[m][k],
                            unweighted_share: unweighted[m][k] as f64 / rows as f64,
                            target: targets[m][k],
                            target_share: targets[m][k] / target_total,
                            achieved: achieved[k],
                            achieved_share: achieved[k] / total,
                        })
                        .collect(),
                }
            })
            .collect();
        let w2 = accurate_sum(
            cells
                .rows
                .iter()
                .zip(&cells.weight)
                .map(|(&n, &w)| n as f64 * w * w),
        );
        let efficiency = total * total / (rows as f64 * w2);
        let used = || {
            cells
                .weight
                .iter()
                .zip(&cells.rows)
                .filter(|(_, &n)| n > 0)
                .map(|(w, _)| *w)
        };
        WeightReport {
            input: src.json_path(),
            rows,
            column: self.column.clone(),
            base_weight: self.base_weight.clone(),
            method: "iterative proportional fitting as R survey::rake (postStratify on each margin in turn; stops when no cell of the cross table moves by epsilon); trimming as survey::trimWeights(strict = FALSE) then rake again".into(),
            epsilon: self.rake.epsilon,
            max_iterations: self.rake.max_iterations,
            iterations,
            converged: true,
            trim,
            margins,
            weights: WeightSummary {
                min: used().fold(f64::INFINITY, f64::min),
                max: used().fold(f64::NEG_INFINITY, f64::max),
                mean: total / rows as f64,
                total,
            },
            weighting_efficiency: efficiency,
            design_effect: 1.0 / efficiency,
            warnings,
        }
    }

    /// Copies every row as it is (its bytes, delimiter and encoding), adding the weight:
    /// a record's bytes run from where it starts to where the next one does.
    fn write(
        &self,
        src: &Source,
        enc: &'static encoding_rs::Encoding,
        layout: &Layout,
        cells: &Cells,
        out: &Path,
    ) -> Result<()> {
        let mut rdr = reader(src, src.delimiter)?;
        let raw = std::fs::File::open(&src.original).io(|| format!("cannot open {}", src.name))?;
        let mut raw = BufReader::with_capacity(1 << 20, raw);
        let ending = line_ending(&src.original)?;
        crate::render::output::write_file(out, |w| {
            let fail = |m: String| std::io::Error::other(m);
            let mut record = csv::ByteRecord::new();
            let mut key = vec![0u32; layout.at.len()];
            let (mut at, mut chunk) = (0u64, Vec::new());
            // Each cell's weight as text, formatted once: the shortest round-trip form, or
            // the decimals asked for.
            let text: Vec<String> = cells
                .weight
                .iter()
                .map(|w| match self.decimals {
                    Some(n) => format!("{w:.n$}"),
                    None => format!("{w}"),
                })
                .collect();
            // What goes after the record read last: the column name, then each weight.
            let mut pending: Option<&[u8]> = None;
            loop {
                let more = rdr
                    .read_byte_record(&mut record)
                    .map_err(|e| fail(e.to_string()))?;
                let end = if more {
                    record.position().map_or(at, |p| p.byte())
                } else {
                    u64::MAX
                };
                chunk.clear();
                (&mut raw).take(end - at).read_to_end(&mut chunk)?;
                at = end;
                if let Some(suffix) = pending.take() {
                    // Line breaks around a record are not part of it (a record starts with
                    // a field and ends with one; a quoted field keeps its own breaks).
                    let eol = |b: &u8| *b == b'\n' || *b == b'\r';
                    let start = chunk.iter().position(|b| !eol(b)).unwrap_or(chunk.len());
                    let end = chunk.iter().rposition(|b| !eol(b)).map_or(start, |p| p + 1);
                    w.write_all(&chunk[start..end])?;
                    w.write_all(&[src.delimiter])?;
                    w.write_all(suffix)?;
                    w.write_all(ending.as_bytes())?;
                }
                if !more {
                    break;
                }
                let header = record.position().is_some_and(|p| p.record() == 0);
                pending = Some(if header {
                    self.column.as_bytes()
                } else {
                    let field = |c: usize| Cow::Borrowed(record.get(c).unwrap_or_default());
                    let base = self
                        .row_key((enc, layout), field, &mut key)
                        .map_err(|e| fail(e.message))?;
                    let cell = cells.find(&key, base).ok_or_else(|| {
                        fail(format!("{}: the file changed while it was read", src.name))
                    })?;
                    text[cell as usize].as_bytes()
                });
            }
            Ok(())
        })
    }
}

/// The CSV `concerns weight` copies: its header record and where its rows start. Other
/// formats and UTF-16 text are refused.
fn csv_header(src: &Source) -> Result<(csv::ByteRecord, u64)> {
    if src.format != crate::load::Format::Csv {
        return Err(DataError::new(
            &src.name,
            "`concerns weight` reads and writes CSV: export the data as CSV first",
        )
        .into());
    }
    let mut head = [0u8; 2];
    let n = std::fs::File::open(&src.original)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    if head[..n].starts_with(b"\xff\xfe") || head[..n].starts_with(b"\xfe\xff") {
        return Err(DataError::new(
            &src.name,
            "UTF-16 text: save the file as UTF-8 CSV for `concerns weight`",
        )
        .into());
    }
    let mut rdr = reader(src, src.delimiter)?;
    let mut record = csv::ByteRecord::new();
    let header = rdr.read_byte_record(&mut record).map_err(|e| {
        Error::from(DataError::new(&src.name, format!("not readable as CSV: {e}")).row(1))
    })?;
    if !header {
        return Err(DataError::new(&src.name, "the file is empty: expected a header row").into());
    }
    Ok((record, rdr.position().byte()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    /// A 2 × 2 table of rows: gender (0, 1) × age (0, 1), `counts[g][a]` rows of weight 1.
    fn table(counts: [[u64; 2]; 2]) -> Cells {
        let mut cells = Cells::default();
        for (g, row) in counts.iter().enumerate() {
            for (a, &n) in row.iter().enumerate() {
                for _ in 0..n {
                    cells.add(&[g as u32, a as u32], 1.0);
                }
            }
        }
        cells
    }

    #[test]
    fn raking_an_independent_table_gives_the_product_of_the_margins() {
        // Rows 10 in every cell (independent); targets gender 60/40, age 30/70 of 100. The
        // raked table is the product of the margins / 100: a cell's weight is that over 10.
        let mut cells = table([[10, 10], [10, 10]]);
        let targets = vec![vec![60.0, 40.0], vec![30.0, 70.0]];
        let (sweeps, converged) = cells.rake(&targets, &RakeOptions::default());
        assert!(converged && sweeps <= 3, "{sweeps}");
        for (g, a, want) in [(0, 0, 18.0), (0, 1, 42.0), (1, 0, 12.0), (1, 1, 28.0)] {
            let c = cells.find(&[g, a], 1.0).unwrap() as usize;
            assert!(
                close(cells.weight[c] * 10.0, want),
                "cell {g},{a}: {}",
                cells.weight[c]
            );
        }
        assert!(close(cells.total(), 100.0));
    }

    #[test]
    fn raking_a_dependent_table_meets_both_margins() {
        // An unbalanced sample: raking is iterative here; both margins are met and the
        // odds ratio of the table is kept (IPF preserves it): (30·10)/(5·15) = 4.
        let mut cells = table([[30, 5], [15, 10]]);
        let targets = vec![vec![0.5, 0.5], vec![0.5, 0.5]];
        let (_, converged) = cells.rake(&targets, &RakeOptions::default());
        assert!(converged);
        for m in 0..2 {
            let got = cells.margin(m, 2);
            assert!(
                close(got[0], 0.5) && close(got[1], 0.5),
                "margin {m}: {got:?}"
            );
        }
        let t = cells.table();
        let at = |g: u32, a: u32| t[*cells.combo_of.get(&vec![g, a]).unwrap() as usize];
        let odds = at(0, 0) * at(1, 1) / (at(0, 1) * at(1, 0));
        assert!(close(odds, 4.0), "{odds}");
    }

    #[test]
    fn trimming_caps_weights_and_shares_what_was_cut() {
        // Weights 1, 1, 1, 5 (total 8); capped at 3: 2 cut, shared by the three within
        // (each + 2/3); the total is kept.
        let mut cells = Cells::default();
        for w in [1.0, 1.0, 1.0] {
            cells.add(&[0], w);
        }
        cells.add(&[1], 5.0);
        let trimmed = cells.trim(0.0, 3.0);
        assert_eq!(trimmed, 1);
        assert!(close(cells.total(), 8.0));
        let big = cells.find(&[1], 5.0).unwrap() as usize;
        assert!(close(cells.weight[big], 3.0));
        let small = cells.find(&[0], 1.0).unwrap() as usize;
        assert!(
            close(cells.weight[small], 1.0 + 2.0 / 3.0),
            "{}",
            cells.weight[small]
        );
    }
}
