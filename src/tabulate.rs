//! Exclude and tabulate in one pass: every record is checked against the plan, excluded
//! respondents are counted, and kept ones are added to the tally. The same pass counts
//! problems, collects respondent-ID digests and kept weights, so the file is read once.

use std::borrow::Cow;
use std::collections::HashSet;

use xxhash_rust::xxh3::xxh3_64;

use crate::load::scan::Consumer;
use crate::plan::{id_less, trim, Eval, Fields, Plan, Violation};
use crate::stats::{BaseSums, ItemSums};
use crate::tally::{CellKey, Tally};

/// Raw additive sums of one question.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionSums {
    pub id: String,
    pub base: BaseSums,
    /// In codebook item order.
    pub items: Vec<ItemSums>,
}

/// Sums of every question within one value of a grouping column.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSums {
    pub value: String,
    pub questions: Vec<QuestionSums>,
}

/// Rows left out by `--lenient`, per reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    pub column: Option<String>,
    pub reason: String,
    pub rows: u64,
}

/// Everything the pass produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Tabulation {
    pub rows: u64,
    /// Excluded respondents per codebook exclusion (a respondent counts under the first that applies).
    pub excluded_by: Vec<u64>,
    pub excluded: u64,
    /// Rows with problems left out (`--lenient` only).
    pub dropped: Vec<Dropped>,
    pub synthetic: bool,
    /// Largest and median weight among kept respondents (weighted runs only).
    pub weight_max: Option<f64>,
    pub weight_median: Option<f64>,
    pub questions: Vec<QuestionSums>,
    /// Per grouping column of the plan: the questions within each of its values.
    pub groupings: Vec<Vec<GroupSums>>,
    /// Per grouping column: kept respondents whose value is blank (in no group).
    pub blank_groups: Vec<u64>,
}

impl Tabulation {
    pub fn dropped_rows(&self) -> u64 {
        self.dropped.iter().map(|d| d.rows).sum()
    }
}

/// What is wrong with one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Issue {
    /// It has `fields` fields, not the header's number.
    Ragged { fields: usize },
    /// Its bytes are not UTF-8 text.
    NotUtf8,
    /// A value breaks a rule of the codebook.
    Check(Violation),
    /// A quoted field opens in it and never closes: the rest of the file became one field.
    UnterminatedQuote,
    /// Its respondent ID was seen on an earlier row.
    DuplicateId { id: String, first_record: u64 },
}

/// One problem, located by record number (within its chunk until merged) and byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub record: u64,
    pub offset: u64,
    pub issue: Issue,
}

/// How strictly a pass treats problems.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Leave out rows with problems instead of stopping.
    pub lenient: bool,
    /// Problems kept with their location (all are counted).
    pub max_problems: usize,
    /// Byte offsets of records to leave out (later duplicates of a respondent ID).
    pub skip: HashSet<u64>,
}

/// Counters of the problem kinds that are not codebook checks.
pub const RAGGED: usize = 0;
pub const NOT_UTF8: usize = 1;
pub const DUPLICATE_ID: usize = 2;

/// The pass over one chunk of records (or all of them, for the polars and SPSS loaders).
pub struct Pass<'p> {
    plan: &'p Plan,
    settings: &'p Settings,
    eval: Eval,
    violations: Vec<Violation>,
    groups: Vec<u32>,
    pub tally: Tally,
    pub records: u64,
    pub excluded_by: Vec<u64>,
    /// Rows with each problem: the plan's checks, then [`RAGGED`], [`NOT_UTF8`], [`DUPLICATE_ID`].
    pub problem_counts: Vec<u64>,
    pub problem_rows: u64,
    pub problems: Vec<Found>,
    /// (record number, byte offset) of the last record seen.
    pub last_record: Option<(u64, u64)>,
    pub skipped: u64,
    pub unmarked_ids: u64,
    /// Kept respondents' weights, for the median.
    pub weights: Weights,
    pub weight_max: f64,
    /// Per grouping column: kept respondents with a blank value.
    pub blank_groups: Vec<u64>,
    /// xxh3 digests of the non-empty respondent IDs — not kept while the IDs come in
    /// strictly increasing order (then none repeats), as exports sorted by ID do.
    ids: Vec<u64>,
    /// Whether `ids` holds a digest of every ID of the pass.
    ids_complete: bool,
    ids_increasing: bool,
    first_id: Option<Vec<u8>>,
    last_id: Option<Vec<u8>>,
}

/// IDs of a chunk digested while they still increase, so that a chunk whose IDs turn out
/// unordered early (random IDs) still has every digest without a second pass.
const IDS_BEFORE_TRUSTING_ORDER: usize = 256;

/// Distinct weights counted before falling back to keeping every weight: survey weights
/// are usually per cell, so a few hundred values cover millions of respondents.
const DISTINCT_WEIGHTS: usize = 1 << 16;

/// Kept respondents' weights: counted per distinct value while there are few, else listed.
#[derive(Debug, Clone)]
pub enum Weights {
    Counts(rustc_hash::FxHashMap<u64, u64>),
    All(Vec<f64>),
}

impl Weights {
    #[inline]
    fn push(&mut self, w: f64) {
        match self {
            Weights::Counts(m) => {
                *m.entry(w.to_bits()).or_default() += 1;
                if m.len() > DISTINCT_WEIGHTS {
                    *self = Weights::All(self.values());
                }
            }
            Weights::All(v) => v.push(w),
        }
    }

    fn values(&self) -> Vec<f64> {
        match self {
            Weights::Counts(m) => m
                .iter()
                .flat_map(|(&w, &n)| std::iter::repeat_n(f64::from_bits(w), n as usize))
                .collect(),
            Weights::All(v) => v.clone(),
        }
    }

    fn absorb(&mut self, other: Weights) {
        match (&mut *self, other) {
            (Weights::Counts(a), Weights::Counts(b)) if a.len() + b.len() <= DISTINCT_WEIGHTS => {
                for (w, n) in b {
                    *a.entry(w).or_default() += n;
                }
            }
            (Weights::All(a), Weights::All(b)) => a.extend(b),
            (_, other) => {
                let mut all = self.values();
                all.extend(other.values());
                *self = Weights::All(all);
            }
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Weights::Counts(m) => m.is_empty(),
            Weights::All(v) => v.is_empty(),
        }
    }

    /// The median as polars and R compute it: the mean of the two middle values when even.
    fn median(&self) -> f64 {
        match self {
            Weights::All(v) => median(&mut v.clone()),
            Weights::Counts(m) => {
                let mut distinct: Vec<(f64, u64)> =
                    m.iter().map(|(&w, &n)| (f64::from_bits(w), n)).collect();
                distinct.sort_by(|a, b| a.0.total_cmp(&b.0));
                let total: u64 = distinct.iter().map(|d| d.1).sum();
                // The values at 0-based ranks (total - 1) / 2 and total / 2.
                let at = |rank: u64| {
                    let mut seen = 0;
                    for &(w, n) in &distinct {
                        seen += n;
                        if rank < seen {
                            return w;
                        }
                    }
                    f64::NAN
                };
                (at((total - 1) / 2) + at(total / 2)) / 2.0
            }
        }
    }
}

impl<'p> Pass<'p> {
    pub fn new(plan: &'p Plan, settings: &'p Settings) -> Pass<'p> {
        Pass {
            plan,
            settings,
            eval: Eval::default(),
            violations: Vec::new(),
            groups: vec![0; plan.groupings.len()],
            tally: Tally::new(plan),
            records: 0,
            excluded_by: vec![0; plan.exclusions.len()],
            problem_counts: vec![0; plan.checks.len() + 3],
            problem_rows: 0,
            problems: Vec::new(),
            last_record: None,
            skipped: 0,
            unmarked_ids: 0,
            weights: Weights::Counts(Default::default()),
            weight_max: 0.0,
            blank_groups: vec![0; plan.groupings.len()],
            ids: Vec::new(),
            ids_complete: true,
            ids_increasing: true,
            first_id: None,
            last_id: None,
        }
    }

    fn problem(&mut self, record: u64, offset: u64, issue: Issue) {
        if self.problems.len() < self.settings.max_problems {
            self.problems.push(Found {
                record,
                offset,
                issue,
            });
        }
    }

    fn note_id(&mut self, id: &[u8]) {
        if let Some(prefix) = &self.plan.synthetic_prefix {
            let marked = id.len() >= prefix.len() && crate::plan::same(&id[..prefix.len()], prefix);
            self.unmarked_ids += !marked as u64;
        }
        if id.is_empty() {
            return;
        }
        match &mut self.last_id {
            None => {
                self.first_id = Some(id.to_vec());
                self.last_id = Some(id.to_vec());
            }
            Some(last) => {
                if self.ids_increasing && !id_less(last, id) {
                    self.ids_increasing = false;
                }
                last.clear();
                last.extend_from_slice(id);
            }
        }
        if !self.ids_increasing || self.ids.len() < IDS_BEFORE_TRUSTING_ORDER {
            self.ids.push(xxh3_64(id));
        } else {
            self.ids_complete = false;
        }
    }

    fn absorb_pass(&mut self, other: Pass<'p>, before: u64) {
        self.tally.merge(&other.tally);
        self.records += other.records;
        for (a, b) in self.excluded_by.iter_mut().zip(&other.excluded_by) {
            *a += b;
        }
        for (a, b) in self.problem_counts.iter_mut().zip(&other.problem_counts) {
            *a += b;
        }
        self.problem_rows += other.problem_rows;
        self.skipped += other.skipped;
        if let Some((record, offset)) = other.last_record {
            self.last_record = Some((record + before, offset));
        }
        for mut f in other.problems {
            if self.problems.len() >= self.settings.max_problems {
                break;
            }
            f.record += before;
            self.problems.push(f);
        }
        self.unmarked_ids += other.unmarked_ids;
        self.weights.absorb(other.weights);
        self.weight_max = self.weight_max.max(other.weight_max);
        for (a, b) in self.blank_groups.iter_mut().zip(&other.blank_groups) {
            *a += b;
        }
        let joined = match (&self.last_id, &other.first_id) {
            (Some(a), Some(b)) => id_less(a, b),
            _ => true,
        };
        self.ids_increasing &= other.ids_increasing && joined;
        self.ids_complete &= other.ids_complete;
        self.ids.extend(other.ids);
        if self.first_id.is_none() {
            self.first_id = other.first_id;
        }
        if other.last_id.is_some() {
            self.last_id = other.last_id;
        }
    }

    /// Digests that occur more than once (none when the IDs were strictly increasing);
    /// `None` when the pass trusted an order that later broke, so the digests must be
    /// taken again ([`IdDigests`]).
    pub fn repeated_ids(&mut self) -> Option<HashSet<u64>> {
        if self.ids_increasing {
            return Some(HashSet::new());
        }
        if !self.ids_complete {
            return None;
        }
        Some(repeated(&mut self.ids))
    }

    /// The sums of the pass, by question, and per value of each grouping column.
    pub fn finish(&mut self, codebook_ids: &[String]) -> Tabulation {
        let to_questions = |sums: Vec<(BaseSums, Vec<ItemSums>)>| -> Vec<QuestionSums> {
            sums.into_iter()
                .zip(codebook_ids)
                .map(|((base, items), id)| QuestionSums {
                    id: id.clone(),
                    base,
                    items,
                })
                .collect()
        };
        let questions = to_questions(self.tally.sums(self.plan, |_| true));
        let groupings = (0..self.plan.groupings.len())
            .map(|g| {
                self.tally
                    .group_values(g)
                    .into_iter()
                    .map(|value| {
                        let keep = |key: &CellKey| key[g].as_deref() == Some(value.as_slice());
                        GroupSums {
                            value: String::from_utf8_lossy(&value).into_owned(),
                            questions: to_questions(self.tally.sums(self.plan, keep)),
                        }
                    })
                    .collect()
            })
            .collect();
        let (weight_max, weight_median) = match self.plan.weight {
            Some(_) if !self.weights.is_empty() => {
                (Some(self.weight_max), Some(self.weights.median()))
            }
            _ => (None, None),
        };
        let excluded: u64 = self.excluded_by.iter().sum();
        Tabulation {
            rows: self.records,
            excluded_by: self.excluded_by.clone(),
            excluded,
            dropped: Vec::new(),
            synthetic: self.plan.synthetic_prefix.is_some()
                && self.plan.id.is_some()
                && self.unmarked_ids == 0,
            weight_max,
            weight_median,
            questions,
            groupings,
            blank_groups: self.blank_groups.clone(),
        }
    }
}

/// Digests that occur more than once.
pub fn repeated(digests: &mut [u64]) -> HashSet<u64> {
    digests.sort_unstable();
    digests
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect()
}

/// The median as polars and R compute it: the mean of the two middle values when even.
fn median(v: &mut [f64]) -> f64 {
    let n = v.len();
    let mid = n / 2;
    let (_, &mut upper, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        let lower = v[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

impl<'p> Consumer for Pass<'p> {
    fn absorb(&mut self, next: Pass<'p>, before: u64) {
        self.absorb_pass(next, before);
    }

    #[inline]
    fn record<F: Fields>(&mut self, rec: &F, offset: u64, index: u64) {
        self.records += 1;
        self.last_record = Some((index, offset));
        if !self.settings.skip.is_empty() && self.settings.skip.contains(&offset) {
            self.skipped += 1;
            return;
        }
        if rec.len() != self.plan.width {
            self.problem_rows += 1;
            self.problem_counts[self.plan.checks.len() + RAGGED] += 1;
            self.problem(index, offset, Issue::Ragged { fields: rec.len() });
            return;
        }
        if !rec.is_utf8() {
            self.problem_rows += 1;
            self.problem_counts[self.plan.checks.len() + NOT_UTF8] += 1;
            self.problem(index, offset, Issue::NotUtf8);
            return;
        }
        if let Some(c) = self.plan.id {
            let raw = rec.get(c).unwrap_or(Cow::Borrowed(&[]));
            self.note_id(trim(&raw));
        }
        self.violations.clear();
        self.plan.eval(rec, &mut self.eval, &mut self.violations);
        if !self.violations.is_empty() {
            self.problem_rows += 1;
            let mut seen = 0u64;
            let violations = std::mem::take(&mut self.violations);
            for v in &violations {
                // A row counts once per check, however many of its fields broke it.
                if v.check < 64 && seen & (1 << v.check) != 0 {
                    continue;
                }
                if v.check < 64 {
                    seen |= 1 << v.check;
                }
                self.problem_counts[v.check] += 1;
                self.problem(index, offset, Issue::Check(v.clone()));
            }
            self.violations = violations;
            return;
        }
        if let Some(k) = self.eval.excluded_by {
            self.excluded_by[k] += 1;
            return;
        }
        if self.plan.weight.is_some() {
            self.weights.push(self.eval.weight);
            self.weight_max = self.weight_max.max(self.eval.weight);
        }
        for (g, &c) in self.plan.groupings.iter().enumerate() {
            let v = rec.get(c).unwrap_or(Cow::Borrowed(&[]));
            self.groups[g] = self.tally.value_index(g, trim(&v));
            self.blank_groups[g] += (self.groups[g] == 0) as u64;
        }
        self.tally.add(&self.eval, &self.groups);
    }
}

/// The second, narrow pass when respondent-ID digests repeat: the rows of those IDs.
pub struct IdRows<'a> {
    column: Option<usize>,
    digests: &'a HashSet<u64>,
    /// (ID, byte offset, record number) in file order.
    rows: Vec<(Vec<u8>, u64, u64)>,
}

impl<'a> IdRows<'a> {
    pub fn new(plan: &Plan, digests: &'a HashSet<u64>) -> IdRows<'a> {
        IdRows {
            column: plan.id,
            digests,
            rows: Vec::new(),
        }
    }

    /// Every row whose ID appeared earlier, naming where it first appeared.
    pub fn later_occurrences(self) -> Vec<Found> {
        let mut first: std::collections::HashMap<&[u8], u64> = std::collections::HashMap::new();
        let mut out = Vec::new();
        for (id, offset, record) in &self.rows {
            match first.get(id.as_slice()) {
                None => {
                    first.insert(id, *record);
                }
                Some(&first_record) => out.push(Found {
                    record: *record,
                    offset: *offset,
                    issue: Issue::DuplicateId {
                        id: String::from_utf8_lossy(id).into_owned(),
                        first_record,
                    },
                }),
            }
        }
        out
    }
}

impl Consumer for IdRows<'_> {
    fn record<F: Fields>(&mut self, rec: &F, offset: u64, index: u64) {
        let Some(c) = self.column else { return };
        let Some(raw) = rec.get(c) else { return };
        let id = trim(&raw);
        if !id.is_empty() && self.digests.contains(&xxh3_64(id)) {
            self.rows.push((id.to_vec(), offset, index));
        }
    }

    fn absorb(&mut self, next: Self, before: u64) {
        self.rows.extend(
            next.rows
                .into_iter()
                .map(|(id, offset, record)| (id, offset, record + before)),
        );
    }
}

/// Every respondent-ID digest, when the first pass could not keep them all.
pub struct IdDigests {
    column: Option<usize>,
    pub digests: Vec<u64>,
}

impl IdDigests {
    pub fn new(plan: &Plan) -> IdDigests {
        IdDigests {
            column: plan.id,
            digests: Vec::new(),
        }
    }
}

impl Consumer for IdDigests {
    fn record<F: Fields>(&mut self, rec: &F, _: u64, _: u64) {
        let Some(c) = self.column else { return };
        let Some(raw) = rec.get(c) else { return };
        let id = trim(&raw);
        if !id.is_empty() {
            self.digests.push(xxh3_64(id));
        }
    }

    fn absorb(&mut self, next: Self, _: u64) {
        self.digests.extend(next.digests);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_counted_weights_is_the_median_of_the_list() {
        let cases: Vec<Vec<f64>> = vec![
            vec![1.0],
            vec![2.0, 1.0],
            vec![0.5939, 1.3087, 0.5939, 0.9869],
            vec![3.0, 1.0, 2.0, 2.0, 5.0],
            (0..1001)
                .map(|i| ((i * 7919) % 13) as f64 / 4.0 + 0.25)
                .collect(),
        ];
        for v in cases {
            let mut counted = Weights::Counts(Default::default());
            let mut listed = Weights::All(Vec::new());
            for &w in &v {
                counted.push(w);
                listed.push(w);
            }
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len();
            let expected = (sorted[(n - 1) / 2] + sorted[n / 2]) / 2.0;
            assert_eq!(counted.median(), expected, "{v:?}");
            assert_eq!(listed.median(), expected, "{v:?}");
            // Merging a counted and a listed half gives the same median.
            let (a, b) = v.split_at(n / 2);
            let mut left = Weights::Counts(Default::default());
            a.iter().for_each(|&w| left.push(w));
            let mut right = Weights::All(Vec::new());
            b.iter().for_each(|&w| right.push(w));
            left.absorb(right);
            assert_eq!(left.median(), expected, "{v:?}");
        }
    }
}
