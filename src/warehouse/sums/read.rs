//! Reading one sums file — the long-form result of `concerns sql`'s query, as CSV or
//! Parquet — row by row into the tally, the design's per-unit sums and the checks. Every
//! value is checked before it is used: what the query cannot have written is refused with
//! the file, row and column.

use std::borrow::Cow;

use crate::error::{DataError, Error, Result};
use crate::load::record::{Consumer, Fields};
use crate::plan::{states, Codes, Plan, QuestionPlan, State};
use crate::tally::design::DesignAcc;
use crate::tally::Mass;
use crate::tally::Tally;
use crate::warehouse::wire::{column, Kind};

use super::Checks;

/// Most rows of one sums file: sums do not grow with respondents.
const MAX_ROWS: u64 = 10_000_000;
/// Distinct weights read from sums at most.
const MAX_DISTINCT_WEIGHTS: usize = 1_000_000;

/// An exact decimal with up to `scale` places, in units of 10^-scale.
fn decimal(text: &str, scale: usize) -> Option<u128> {
    let t = text.trim_ascii();
    if t.is_empty() {
        return Some(0);
    }
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() && frac.is_empty()
        || frac.len() > scale
        || int.len() > 38 - scale
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut v: u128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        v = v.checked_mul(10)?.checked_add((b - b'0') as u128)?;
    }
    v.checked_mul(10u128.checked_pow((scale - frac.len()) as u32)?)
}

/// A weight as the file reader reads it.
fn read_weight(v: &str) -> Option<f64> {
    crate::plan::read_weight(v.as_bytes())
}

/// Σw and Σw² (exact, then floating point) of a cell of `count` respondents, as the query
/// sums them: a decimal weight is at most 10^6 and any other at most 10^9 (the reader's
/// range), and every respondent has a weight of one kind or the other. Else the column
/// and what was expected.
/// A cell's weight sums: (Σw, Σw²) exact, then as floats.
type CellWeights = ((u128, u128), (f64, f64));

fn cell_weights(
    count: u64,
    [w, w2, wf, wf2]: [&str; 4],
) -> std::result::Result<CellWeights, (&'static str, &'static str)> {
    let fixed_max = crate::plan::FIXED_ONE as u128 * 1_000_000;
    let n = count as u128;
    let (w, w2) = (w.trim_ascii(), w2.trim_ascii());
    if w.is_empty() != w2.is_empty() {
        return Err(("w", "Σw and Σw² both given or both empty"));
    }
    let fixed = (
        decimal(w, 9).ok_or(("w", "a decimal of up to 9 places"))?,
        decimal(w2, 18).ok_or(("w2", "a decimal of up to 18 places"))?,
    );
    if fixed.0 > n * fixed_max {
        return Err((
            "w",
            "at most 10^6 per respondent (the largest decimal weight)",
        ));
    }
    if fixed.1 / (fixed_max * fixed_max) > n {
        return Err(("w2", "at most 10^12 per respondent"));
    }
    let float = |t: &str, max: f64, column: &'static str| {
        let t = t.trim_ascii();
        if t.is_empty() {
            return Ok(None);
        }
        t.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0 && *x <= count as f64 * max)
            .map(Some)
            .ok_or((column, "a sum of weights of at most 10^9 per respondent"))
    };
    let (f, f2) = (
        float(wf, crate::plan::MAX_WEIGHT, "wf")?,
        float(
            wf2,
            crate::plan::MAX_WEIGHT * crate::plan::MAX_WEIGHT,
            "wf2",
        )?,
    );
    if f.is_some() != f2.is_some() {
        return Err(("wf", "Σw and Σw² both given or both empty"));
    }
    if w.is_empty() && f.is_none() {
        return Err((
            "w",
            "the sum of the cell's weights (empty here, and wf too)",
        ));
    }
    Ok((fixed, (f.unwrap_or(0.0), f2.unwrap_or(0.0))))
}

/// The longest query key kept: its digest and the options it was made with.
const MAX_KEY: usize = 1_000;

/// Where each column of the wire format is in one file.
struct Columns {
    names: Vec<String>,
    kind: usize,
    name: usize,
    state: usize,
    n: usize,
    w: usize,
    w2: usize,
    wf: usize,
    wf2: usize,
    partial: usize,
    value: usize,
    /// The row (item, then net) of a question summed per item.
    item: usize,
    g: Vec<usize>,
    /// The file's grouping columns are not those of these options.
    other_groups: bool,
    duplicate_ids: usize,
    unmarked_ids: usize,
    weight_max: usize,
    weight_max_float: usize,
    invalid_rows: usize,
    query_key: usize,
    /// Stratum and PSU, when the design has strata or clusters.
    unit: Option<(usize, usize)>,
}

impl Columns {
    fn of(file: &str, names: Vec<String>, plan: &Plan, design: bool) -> Result<Columns> {
        let at = |name: &str| -> Result<usize> {
            names.iter().position(|h| h == name).ok_or_else(|| {
                DataError::new(
                    file,
                    format!("no column {name}: these are not the sums of this version's `concerns sql` for this codebook and these options (--by, --where, design)"),
                )
                .row(1)
                .into()
            })
        };
        let groups = plan.groupings.len();
        // Grouping columns other than these options give: sums of other options. Only
        // their rows row is read, whose query key names the options (see `refusals`).
        let g: Option<Vec<usize>> = (0..groups)
            .map(|j| names.iter().position(|h| *h == column::group(j)))
            .collect();
        let more = names
            .iter()
            .any(|h| column::group_index(h).is_some_and(|j| j >= groups));
        let other_groups = g.is_none() || more;
        // Sums per unit when the design has strata or clusters, and only then.
        let unit = match design {
            true => Some((at(column::STRATUM)?, at(column::PSU)?)),
            false if names.iter().any(|h| h == column::STRATUM || h == column::PSU) => {
                return Err(DataError::new(
                    file,
                    "the sums are per stratum and PSU: finish them with the design they were made with (--strata, --psu, --fpc or the codebook's [design])",
                )
                .row(1)
                .into())
            }
            false => None,
        };
        Ok(Columns {
            kind: at(column::KIND)?,
            name: at(column::NAME)?,
            state: at(column::STATE)?,
            n: at(column::N)?,
            w: at(column::W)?,
            w2: at(column::W2)?,
            wf: at(column::WF)?,
            wf2: at(column::WF2)?,
            partial: at(column::PARTIAL)?,
            value: at(column::VALUE)?,
            item: at(column::ITEM)?,
            g: g.unwrap_or_default(),
            other_groups,

            duplicate_ids: at(column::DUPLICATE_IDS)?,
            unmarked_ids: at(column::UNMARKED_IDS)?,
            weight_max: at(column::WEIGHT_MAX)?,
            weight_max_float: at(column::WEIGHT_MAX_FLOAT)?,
            invalid_rows: at(column::INVALID_ROWS)?,
            query_key: at(column::QUERY_KEY)?,
            unit,
            names,
        })
    }
}

/// One row of a sums file: its fields, and what locates it in messages.
struct Row<'r> {
    file: &'r str,
    number: u64,
    columns: &'r Columns,
    fields: &'r [&'r str],
}

impl Row<'_> {
    /// The field at `i`, without the white space around it (as the reader trims values).
    fn get(&self, i: usize) -> &str {
        self.fields.get(i).copied().unwrap_or_default().trim_ascii()
    }

    /// The error for the field of `column`, which is not `expected`.
    fn bad(&self, column: &str, expected: &str) -> Error {
        let i = self.columns.names.iter().position(|h| h == column);
        DataError::new(
            self.file,
            format!(
                "value '{}' where {expected} was expected",
                crate::text::visible(i.map(|i| self.get(i)).unwrap_or_default())
            ),
        )
        .row(self.number)
        .column(column.to_string())
        .into()
    }

    /// A count (empty: 0).
    fn count(&self, i: usize, column: &str) -> Result<u64> {
        match self.get(i) {
            "" => Ok(0),
            t => t.parse::<u64>().map_err(|_| self.bad(column, "a count")),
        }
    }
}

/// Where the rows of the sums go: the tally of the cells, that of the cells outside
/// `--where`, the design's per-unit sums and the checks.
pub(super) struct Sink<'a> {
    file: &'a str,
    plan: &'a Plan,
    ids: &'a [String],
    tally: &'a mut Tally,
    outside: &'a mut Tally,
    design: Option<&'a mut DesignAcc>,
    checks: &'a mut Checks,
    /// Per grouping: the codes it may hold when the codebook lists them (a segment's
    /// values, a contrast question's codes), and the rule the reader checks them by.
    listed: Vec<Option<(&'a Codes, usize)>>,
    indices: Vec<u32>,
}

impl<'a> Sink<'a> {
    pub(super) fn new(
        file: &'a str,
        (plan, ids): (&'a Plan, &'a [String]),
        (tally, outside, design): (&'a mut Tally, &'a mut Tally, Option<&'a mut DesignAcc>),
        checks: &'a mut Checks,
    ) -> Sink<'a> {
        let listed = plan
            .groupings
            .iter()
            .map(|&col| {
                plan.segment_rules()
                    .iter()
                    .find(|(c, _, _)| *c == col)
                    .map(|(_, codes, r)| (codes, *r))
                    .or_else(|| {
                        plan.questions.iter().find_map(|q| match q {
                            QuestionPlan::Single {
                                column,
                                codes,
                                rule,
                                ..
                            } if *column == col => Some((codes, *rule)),
                            _ => None,
                        })
                    })
            })
            .collect();
        Sink {
            file,
            plan,
            ids,
            tally,
            outside,
            design,
            checks,
            listed,
            indices: vec![0; plan.groupings.len()],
        }
    }

    fn columns(&self, names: Vec<String>) -> Result<Columns> {
        Columns::of(self.file, names, self.plan, self.design.is_some())
    }

    /// Adds one row of sums.
    fn row(&mut self, r: &Row) -> Result<()> {
        let c = r.columns;
        let count = r
            .get(c.n)
            .parse::<u64>()
            .map_err(|_| r.bad(column::N, "a count"))?;
        let add = |a: &mut u64| -> Result<()> {
            *a = a
                .checked_add(count)
                .ok_or_else(|| r.bad(column::N, "a count that adds up"))?;
            Ok(())
        };
        let kind = Kind::parse(r.get(c.kind));
        if c.other_groups {
            self.checks.other_groups = true;
            if kind != Some(Kind::Rows) {
                return Ok(());
            }
        }
        let Some(kind) = kind else {
            return Err(r.bad(
                column::KIND,
                "rows, excluded, filtered, invalid, weight, unit, cell, base, item, outside or outside_item",
            ));
        };
        match kind {
            Kind::Rows => {
                add(&mut self.checks.rows)?;
                self.rows_row(r)
            }
            Kind::Excluded => {
                let k = self.state(r)?;
                add(self
                    .checks
                    .excluded_by
                    .get_mut(k as usize)
                    .ok_or_else(|| r.bad(column::STATE, "a screener of the codebook"))?)
            }
            Kind::Weight => {
                let w =
                    read_weight(r.get(c.value)).ok_or_else(|| r.bad(column::VALUE, "a weight"))?;
                // The query lists at most 100,000 weights, or rounds them: a few partitions'
                // worth, never millions.
                let weights = &mut self.checks.weights;
                if weights.len() >= MAX_DISTINCT_WEIGHTS && !weights.contains_key(&w.to_bits()) {
                    return Err(r.bad(column::VALUE, "at most a million distinct weights in all (the query rounds them past 100,000)"));
                }
                add(weights.entry(w.to_bits()).or_default())
            }
            Kind::Filtered => add(&mut self.checks.filtered),
            Kind::Invalid => self.invalid(r, count),
            Kind::Unit => {
                self.unit(r, count)?;
                add(&mut self.checks.in_units)
            }
            Kind::Outside => {
                let (q, s) = self.question_state(r, false)?;
                add(&mut self.checks.in_outside[q])?;
                self.outside_cell((q, s), count);
                Ok(())
            }
            Kind::Cell => {
                let (q, s) = self.question_state(r, false)?;
                add(&mut self.checks.in_cells[q])?;
                self.cell(r, (q, s), count)
            }
            Kind::Base => {
                let (q, s) = self.question_state(r, true)?;
                add(&mut self.checks.in_cells[q])?;
                if s == states::ANSWERED {
                    add(&mut self.checks.answered[q])?;
                }
                self.cell(r, (q, s), count)
            }
            Kind::Item | Kind::OutsideItem => self.item_row(r, kind, count),
        }
    }

    /// The sums of one item or net of a question summed per item.
    fn item_row(&mut self, r: &Row, kind: Kind, count: u64) -> Result<()> {
        let (q, s) = self.question_state(r, true)?;
        let rows = self.plan.questions[q].rows();
        let row = r
            .get(r.columns.item)
            .parse::<usize>()
            .ok()
            .filter(|&i| i < rows)
            .ok_or_else(|| r.bad(column::ITEM, "a row (item or net) of the question"))?;
        if count == 0 {
            return Err(r.bad(
                column::N,
                "a count of at least 1 (a group of no rows is no sum)",
            ));
        }
        let answered = s == states::ANSWERED;
        if kind == Kind::OutsideItem {
            let none = vec![0; self.indices.len()];
            self.outside
                .add_item_sums(&none, (q, Some(row), answered), count, (0, 0), (0.0, 0.0));
            return Ok(());
        }
        let in_items = &mut self.checks.in_items[q][row];
        *in_items = in_items
            .checked_add(count)
            .ok_or_else(|| r.bad(column::N, "a count that adds up"))?;
        self.item(r, (q, row, answered), count)
    }

    /// A rule of the codebook, the rows breaking it and the least such value.
    fn invalid(&mut self, r: &Row, count: u64) -> Result<()> {
        let k = self.state(r)? as usize;
        let (total, first) = self
            .checks
            .invalid
            .get_mut(k)
            .ok_or_else(|| r.bad(column::STATE, "a rule of the codebook"))?;
        *total = total.saturating_add(count);
        let example = r.get(r.columns.value);
        if first.is_none() && count > 0 && !example.is_empty() {
            *first = Some(crate::text::clip(example));
        }
        Ok(())
    }

    /// A cell outside `--where`: only its count matters (the design's n), in no group.
    fn outside_cell(&mut self, (q, s): (usize, State), count: u64) {
        let none = vec![0; self.indices.len()];
        if s != states::NONE && self.plan.questions[q].summed_per_item() {
            self.outside
                .add_item_sums(&none, (q, None, true), count, (0, 0), (0.0, 0.0));
        } else if s != states::NONE {
            self.outside
                .add_sums(&none, q, s, count, (0, 0), (0.0, 0.0));
        }
    }

    fn state(&self, r: &Row) -> Result<u64> {
        r.get(r.columns.state)
            .parse::<u64>()
            .map_err(|_| r.bad(column::STATE, "a whole number"))
    }

    /// The question a row names and its state, both checked: for sums kept per item
    /// (`per_item`) the question must be one summed so and the state 0 or 1 (answered, or
    /// selected); else an answer state of a question summed per pattern.
    fn question_state(&self, r: &Row, per_item: bool) -> Result<(usize, State)> {
        let q = self
            .ids
            .iter()
            .position(|id| id == r.get(r.columns.name))
            .filter(|&q| q < self.plan.questions.len())
            .ok_or_else(|| r.bad(column::NAME, "a question of the codebook"))?;
        let s = self.state(r)? as State;
        let question = &self.plan.questions[q];
        let outside = Kind::parse(r.get(r.columns.kind)) == Some(Kind::Outside);
        if question.summed_per_item() != (per_item || (outside && question.summed_per_item())) {
            return Err(r.bad(
                "kind",
                if question.summed_per_item() {
                    "base, item or outside_item for this question (its sums are per item)"
                } else {
                    "cell or outside for this question (its sums are per answer pattern)"
                },
            ));
        }
        let valid = match question.summed_per_item() {
            true => s <= 1,
            false => question.valid_state(s),
        };
        if !valid {
            return Err(r.bad(column::STATE, "an answer state of the question"));
        }
        Ok((q, s))
    }

    /// The `rows` row: every row read, and the checks of the query.
    fn rows_row(&mut self, r: &Row) -> Result<()> {
        let (c, checks) = (r.columns, &mut *self.checks);
        checks.duplicate_ids = checks
            .duplicate_ids
            .saturating_add(r.count(c.duplicate_ids, "duplicate_ids")?);
        checks.unmarked_ids = checks
            .unmarked_ids
            .saturating_add(r.count(c.unmarked_ids, "unmarked_ids")?);
        checks.invalid_rows = checks
            .invalid_rows
            .saturating_add(r.count(c.invalid_rows, "invalid_rows")?);
        let key = r.get(c.query_key);
        if !checks.keys.iter().any(|k| k == key) && checks.keys.len() < 100 {
            checks.keys.push(key.chars().take(MAX_KEY).collect());
        }
        for (i, column) in [
            (c.weight_max, "weight_max"),
            (c.weight_max_float, "weight_max_float"),
        ] {
            let v = r.get(i);
            if !v.is_empty() {
                let w = read_weight(v).ok_or_else(|| r.bad(column, "a weight"))?;
                checks.weight_max = Some(checks.weight_max.map_or(w, |m: f64| m.max(w)));
            }
        }
        Ok(())
    }

    /// A unit's valid rows and its fpc.
    fn unit(&mut self, r: &Row, count: u64) -> Result<()> {
        let c = r.columns;
        let (Some(d), Some((stratum, psu))) = (self.design.as_deref_mut(), c.unit) else {
            return Err(r.bad(column::KIND, "no sums per unit without a design"));
        };
        let fpc = match self.plan.design.as_ref().and_then(|d| d.fpc) {
            None => None,
            Some(_) => Some(
                crate::plan::parse_fpc(r.get(c.value).as_bytes())
                    .ok_or_else(|| r.bad(column::VALUE, "a positive number (the fpc)"))?,
            ),
        };
        d.add_unit(r.get(stratum).as_bytes(), r.get(psu).as_bytes(), fpc, count);
        Ok(())
    }

    /// The grouping values of a cell as the tally's indices; a value the query cannot
    /// have written is noted (and said after the query key is compared: sums of other
    /// options would hold other values).
    fn groups(&mut self, r: &Row, q: usize, count: u64, cell: bool) {
        for (j, &col) in r.columns.g.iter().enumerate() {
            let v = r.get(col);
            // A value the codebook does not list is a problem of the row, which the query
            // leaves out of every cell.
            if let (false, Some((codes, k)), None) =
                (v.is_empty(), self.listed[j], &self.checks.foreign)
            {
                if codes.find(v.as_bytes()).is_none() {
                    let rule = &self.plan.rules[k];
                    self.checks.foreign = Some(
                        DataError::new(
                            self.file,
                            format!(
                                "expected {}, found '{}' (the query counts such rows as invalid, never in a cell)",
                                rule.expected,
                                crate::text::visible(v)
                            ),
                        )
                        .row(r.number)
                        .column(rule.column.clone()),
                    );
                }
            }
            // Memory stays bounded: past the most groups, values share one index.
            self.indices[j] = self.tally.value_index(j, v.as_bytes());
            if self.tally.overflowed(j) && self.checks.foreign.is_none() {
                self.checks.foreign = Some(
                    DataError::new(
                        self.file,
                        format!(
                            "column g{j} has more than {} distinct values, more than a banner can compare",
                            crate::tally::MAX_GROUPS
                        ),
                    )
                    .row(r.number)
                    .column(column::group(j)),
                );
            }
            // Blank groups counted once: on the cells (or bases) of the first question.
            if cell && q == 0 && self.indices[j] == 0 {
                self.checks.blank_groups[j] += count;
            }
        }
    }

    /// The weights of a cell or item row, checked, added to the total checked for overflow.
    fn weights(&mut self, r: &Row, count: u64) -> Result<(Mass, CellWeights)> {
        let c = r.columns;
        let (fixed, float) = cell_weights(count, [c.w, c.w2, c.wf, c.wf2].map(|i| r.get(i)))
            .map_err(|(column, expected)| r.bad(column, expected))?;
        let total = &mut self.checks.total;
        *total = total
            .0
            .checked_add(fixed.0)
            .zip(total.1.checked_add(fixed.1))
            .ok_or_else(|| r.bad(column::W2, "sums of weights no survey reaches (past 2^128)"))?;
        let mass = Mass {
            n: count,
            fixed: fixed.0,
            fixed2: fixed.1,
            w: float.0,
            w2: float.1,
        };
        Ok((mass, (fixed, float)))
    }

    /// A row of a question summed per item: its selecting (or answering, not selecting)
    /// respondents in a combination of groups (and unit), with their weights.
    fn item(
        &mut self,
        r: &Row,
        (q, row, selected): (usize, usize, bool),
        count: u64,
    ) -> Result<()> {
        self.groups(r, q, count, false);
        let (mass, (fixed, float)) = self.weights(r, count)?;
        let what = (q, Some(row), selected);
        self.tally
            .add_item_sums(&self.indices, what, count, fixed, float);
        if let (Some(d), Some((stratum, psu))) = (self.design.as_deref_mut(), r.columns.unit) {
            let at = (r.get(stratum).as_bytes(), r.get(psu).as_bytes());
            d.add_item_sums(at, &self.indices, what, mass);
        }
        Ok(())
    }

    /// A cell: respondents of one question, answer state and combination of groups (and
    /// unit), with their weights.
    fn cell(&mut self, r: &Row, (q, s): (usize, State), count: u64) -> Result<()> {
        let c = r.columns;
        if count == 0 {
            return Err(r.bad(
                column::N,
                "a count of at least 1 (a group of no rows is no sum)",
            ));
        }
        self.groups(r, q, count, true);
        let answered_some = r.count(c.partial, "partial")?;
        if answered_some > count {
            return Err(r.bad(column::PARTIAL, "at most the cell's count"));
        }
        self.checks.partial[q] += answered_some;
        if s == 0 {
            return Ok(());
        }
        let (mass, (fixed, float)) = self.weights(r, count)?;
        let at = c
            .unit
            .map(|(stratum, psu)| (r.get(stratum).as_bytes(), r.get(psu).as_bytes()));
        if self.plan.questions[q].summed_per_item() {
            self.tally
                .add_item_sums(&self.indices, (q, None, true), count, fixed, float);
            if let (Some(d), Some(at)) = (self.design.as_deref_mut(), at) {
                d.add_item_sums(at, &self.indices, (q, None, true), mass);
            }
        } else {
            self.tally
                .add_sums(&self.indices, q, s, count, fixed, float);
            if let (Some(d), Some(at)) = (self.design.as_deref_mut(), at) {
                d.add_sums(self.plan, at, &self.indices, (q, s), mass);
            }
        }
        Ok(())
    }
}

/// Reads a sums file saved as CSV (with a header).
pub(super) fn csv(file: &str, bytes: impl std::io::Read, sink: &mut Sink) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let cannot = |e: csv::Error| DataError::new(file, format!("cannot read the sums as CSV: {e}"));
    let names: Vec<String> = reader
        .headers()
        .map_err(cannot)?
        .iter()
        .map(str::to_string)
        .collect();
    let columns = sink.columns(names)?;
    let mut record = csv::StringRecord::new();
    let mut number = 1u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => return Err(cannot(e).row(number + 1).into()),
        }
        number += 1;
        if number > MAX_ROWS {
            return Err(DataError::new(file, format!("over {MAX_ROWS} rows of sums")).into());
        }
        let fields: Vec<&str> = record.iter().collect();
        sink.row(&Row {
            file,
            number,
            columns: &columns,
            fields: &fields,
        })?;
    }
}

/// Reads a sums file saved as Parquet (an engine's `COPY … TO 'sums.parquet'`), a row
/// group at a time, as the data reader reads Parquet.
pub(super) fn parquet(file: &str, sink: &mut Sink) -> Result<()> {
    use crate::load::{frame, Header, Source};
    let src = Source::open(file, "utf-8", None)?;
    let names = frame::parquet_columns(&src)?;
    let columns = sink.columns(names.clone())?;
    let header = Header {
        columns: names,
        weight: None,
        data_start: 0,
        first_row: 1,
        booleans: ("1".into(), "0".into()),
    };
    let needed: Vec<usize> = (0..header.columns.len()).collect();
    let mut rows = ParquetRows {
        sink,
        columns: &columns,
        file,
        number: 1,
        error: None,
    };
    frame::parquet(&src, &header, &needed, &mut rows)?;
    match rows.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Records of a Parquet file of sums, handed to the sink; the first error stops it.
struct ParquetRows<'s, 'a> {
    sink: &'s mut Sink<'a>,
    columns: &'s Columns,
    file: &'s str,
    number: u64,
    error: Option<Error>,
}

impl Consumer for ParquetRows<'_, '_> {
    fn record<F: Fields>(&mut self, rec: &F, _: u64, _: u64) {
        if self.error.is_some() {
            return;
        }
        self.number += 1;
        if self.number > MAX_ROWS {
            self.error =
                Some(DataError::new(self.file, format!("over {MAX_ROWS} rows of sums")).into());
            return;
        }
        let cells: Vec<Cow<[u8]>> = (0..rec.len())
            .map(|i| rec.get(i).unwrap_or(Cow::Borrowed(&[])))
            .collect();
        let fields: Vec<&str> = cells
            .iter()
            .map(|c| std::str::from_utf8(c).unwrap_or("\u{fffd}"))
            .collect();
        let row = Row {
            file: self.file,
            number: self.number,
            columns: self.columns,
            fields: &fields,
        };
        if let Err(e) = self.sink.row(&row) {
            self.error = Some(e);
        }
    }

    fn absorb(&mut self, _: Self, _: u64) {}
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn decimals_are_read_exactly() {
        assert_eq!(decimal("5076.210800000", 9), Some(5_076_210_800_000));
        assert_eq!(decimal("0.5", 9), Some(500_000_000));
        assert_eq!(decimal("12", 18), Some(12 * 10u128.pow(18)));
        assert_eq!(decimal("", 9), Some(0));
        assert_eq!(decimal("1.0000000001", 9), None);
        assert_eq!(decimal("-1", 9), None);
        assert_eq!(decimal("1e3", 9), None);
        assert_eq!(decimal(".", 9), None);
        assert_eq!(decimal(&"9".repeat(40), 9), None);
    }
}
