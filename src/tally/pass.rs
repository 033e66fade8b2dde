//! Exclude and tabulate in one pass: every record is checked against the plan, excluded
//! respondents are counted, and kept ones are added to the tally. The same pass counts
//! problems, collects respondent-ID digests and kept weights, so the file is read once.

use std::borrow::Cow;
use std::collections::HashSet;

use xxhash_rust::xxh3::xxh3_64;

use crate::load::record::{Consumer, Fields};
use crate::plan::{id_less, trim, BadValue, Eval, Plan};
use crate::stats::{BaseSums, ItemSums};
use crate::tally::design::{DesignAcc, DesignSums};
use crate::tally::problems::{ProblemCounts, ProblemKind, RowProblem};
use crate::tally::{CellKey, Tally};

/// Raw additive sums of one question.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionSums {
    pub id: String,
    pub base: BaseSums,
    /// In codebook item order.
    pub items: Vec<ItemSums>,
    /// Each item has its own base (`base = "each_item"`).
    pub each_item: bool,
    /// Per row (items, then nets): respondents of its base in the design before the
    /// `--where` filter. A weights-only design is the base's respondents (R
    /// `svydesign(ids = ~1, data = base)`), and the filter a domain of it (`subset()`),
    /// whose n/(n−1) counts them all. Empty: no filter, the base itself.
    pub design_n: Vec<u64>,
}

impl QuestionSums {
    /// The base of item `i`: the question's, or the item's own.
    pub fn item_base(&self, i: usize) -> BaseSums {
        match self.items.get(i) {
            Some(item) if self.each_item => item.own_base(),
            _ => self.base,
        }
    }

    /// Respondents of row `i`'s base in the design, the filtered-out ones included.
    pub fn design_n(&self, i: usize) -> u64 {
        self.design_n
            .get(i)
            .copied()
            .unwrap_or_else(|| self.item_base(i).n)
    }
}

/// Sums of every question within one value of a grouping column.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSums {
    pub value: String,
    pub questions: Vec<QuestionSums>,
}

/// Everything the pass produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Tabulation {
    pub rows: u64,
    /// Excluded respondents per codebook exclusion (a respondent counts under the first that applies).
    pub excluded_by: Vec<u64>,
    pub excluded: u64,
    /// Rows with problems left out (`--lenient` only).
    pub dropped: Vec<crate::tally::problems::Dropped>,
    /// Rows left out, each once (a row can break several rules of `dropped`).
    pub dropped_total: u64,
    pub synthetic: bool,
    /// Largest and median weight among kept respondents (weighted runs only).
    pub weight_max: Option<f64>,
    pub weight_median: Option<f64>,
    pub questions: Vec<QuestionSums>,
    /// Per grouping column of the plan: the questions within each of its values.
    pub groupings: Vec<Vec<GroupSums>>,
    /// Per grouping column: kept respondents whose value is blank (in no group).
    pub blank_groups: Vec<u64>,
    /// Per question: kept respondents who answered some of its items and left others blank.
    pub partial: Vec<u64>,
    /// Sums per PSU of a design with strata or clusters.
    pub design: Option<DesignSums>,
    /// Valid respondents the screener kept and the `--where` filter left out.
    pub filtered: u64,
}

impl Tabulation {
    pub fn dropped_rows(&self) -> u64 {
        self.dropped_total
    }
}

/// How strictly a pass treats problems.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Problems kept with their location (all are counted).
    pub max_problems: usize,
    /// Byte offsets of records to leave out (later duplicates of a respondent ID).
    pub skip: HashSet<u64>,
}

/// The pass over one chunk of records (or all of them, for the Parquet and SPSS readers).
pub struct Pass<'p> {
    plan: &'p Plan,
    settings: &'p Settings,
    scratch: Scratch,
    tally: Tally,
    records: u64,
    excluded_by: Vec<u64>,
    found: Found,
    ids: IdOrder,
    weights: WeightStats,
    /// Per grouping column: kept respondents with a blank value.
    blank_groups: Vec<u64>,
    /// Per question: kept respondents who left some of its items blank.
    partial: Vec<u64>,
    /// Sums per PSU, when the design has strata or clusters.
    design: Option<DesignAcc>,
    /// Kept respondents outside the `--where` filter, and their sums (for the design's n).
    filtered: u64,
    outside: Option<Tally>,
}

/// Scratch space reused from record to record.
struct Scratch {
    eval: Eval,
    bad_values: Vec<BadValue>,
    /// The record's value index per grouping column.
    groups: Vec<u32>,
    /// Per grouping column: value indices made once per table entry (Parquet dictionaries).
    group_memos: Vec<crate::plan::Memo>,
}

/// The problems a pass found: counted per kind, the first few kept with their place.
struct Found {
    counts: ProblemCounts,
    problems: Vec<RowProblem>,
    /// (record number, byte offset) of the last record seen.
    last_record: Option<(u64, u64)>,
}

/// Respondent IDs as they pass: digests to find repeats, except while the IDs come in
/// strictly increasing order (then none repeats), as exports sorted by ID do; and whether
/// every ID carries the synthetic-data prefix.
#[derive(Debug, Clone, Default)]
struct IdOrder {
    /// xxh3 digests of the non-empty IDs seen while the order was not trusted.
    digests: Vec<u64>,
    /// Whether `digests` holds every ID of the pass.
    complete: bool,
    increasing: bool,
    first: Option<Vec<u8>>,
    last: Option<Vec<u8>>,
    /// IDs without the synthetic-data prefix.
    unmarked: u64,
}

impl IdOrder {
    fn new() -> IdOrder {
        IdOrder {
            complete: true,
            increasing: true,
            ..IdOrder::default()
        }
    }

    fn note(&mut self, id: &[u8], prefix: Option<&[u8]>) {
        if let Some(prefix) = prefix {
            let marked = id.len() >= prefix.len() && crate::plan::same(&id[..prefix.len()], prefix);
            self.unmarked += !marked as u64;
        }
        if id.is_empty() {
            return;
        }
        match &mut self.last {
            None => {
                self.first = Some(id.to_vec());
                self.last = Some(id.to_vec());
            }
            Some(last) => {
                if self.increasing && !id_less(last, id) {
                    self.increasing = false;
                }
                last.clear();
                last.extend_from_slice(id);
            }
        }
        if !self.increasing || self.digests.len() < IDS_BEFORE_TRUSTING_ORDER {
            self.digests.push(xxh3_64(id));
        } else {
            self.complete = false;
        }
    }

    /// Appends the IDs of the next chunk.
    fn absorb(&mut self, next: IdOrder) {
        let joined = match (&self.last, &next.first) {
            (Some(a), Some(b)) => id_less(a, b),
            _ => true,
        };
        self.increasing &= next.increasing && joined;
        self.complete &= next.complete;
        self.digests.extend(next.digests);
        self.unmarked += next.unmarked;
        if self.first.is_none() {
            self.first = next.first;
        }
        if next.last.is_some() {
            self.last = next.last;
        }
    }

    /// See [`Pass::repeated_ids`].
    fn repeated(&mut self) -> Option<HashSet<u64>> {
        if self.increasing {
            return Some(HashSet::new());
        }
        if !self.complete {
            return None;
        }
        Some(repeated(&mut self.digests))
    }
}

/// Kept respondents' weights: the largest, and all of them for the median.
#[derive(Debug, Clone)]
struct WeightStats {
    weights: Weights,
    max: f64,
}

impl WeightStats {
    fn new() -> WeightStats {
        WeightStats {
            weights: Weights::Counts(Default::default()),
            max: 0.0,
        }
    }

    fn push(&mut self, w: f64) {
        self.weights.push(w);
        self.max = self.max.max(w);
    }

    fn absorb(&mut self, next: WeightStats) {
        self.weights.absorb(next.weights);
        self.max = self.max.max(next.max);
    }

    /// (largest, median), when there are any.
    fn max_median(&self) -> Option<(f64, f64)> {
        (!self.weights.is_empty()).then(|| (self.max, self.weights.median()))
    }
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
            scratch: Scratch {
                eval: Eval::default(),
                bad_values: Vec::new(),
                groups: vec![0; plan.groupings.len()],
                group_memos: vec![Default::default(); plan.groupings.len()],
            },
            tally: Tally::new(plan),
            records: 0,
            excluded_by: vec![0; plan.exclusions.len()],
            found: Found {
                counts: ProblemCounts::new(plan.rules.len()),
                problems: Vec::new(),
                last_record: None,
            },
            ids: IdOrder::new(),
            weights: WeightStats::new(),
            blank_groups: vec![0; plan.groupings.len()],
            partial: vec![0; plan.questions.len()],
            design: DesignAcc::new(plan),
            filtered: 0,
            outside: plan.filter.as_ref().map(|_| Tally::new(plan)),
        }
    }

    /// Counts the record in its PSU; `kept`: its groups (`self.scratch.groups`) are its domains.
    fn note_design<F: Fields>(&mut self, rec: &F, kept: bool) {
        let (Some(acc), Some(d)) = (self.design.as_mut(), self.plan.design.as_ref()) else {
            return;
        };
        let field = |c: Option<(usize, usize)>| {
            c.and_then(|(c, _)| rec.get(c))
                .unwrap_or(Cow::Borrowed(&[]))
        };
        let (stratum, psu) = (field(d.strata), field(d.psu));
        let groups = kept.then_some(self.scratch.groups.as_slice());
        acc.add(
            self.plan,
            trim(&stratum),
            trim(&psu),
            &self.scratch.eval,
            groups,
        );
    }

    /// Records read (skipped ones included).
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Respondents left out by the screener.
    pub fn excluded(&self) -> u64 {
        self.excluded_by.iter().sum()
    }

    pub fn counts(&self) -> &ProblemCounts {
        &self.found.counts
    }

    pub fn set_duplicate_ids(&mut self, rows: u64) {
        self.found.counts.set_duplicate_ids(rows);
    }

    /// The first problems, located (up to the settings' `max_problems`).
    pub fn problems(&self) -> &[RowProblem] {
        &self.found.problems
    }

    /// (record number, byte offset) of the last record seen.
    pub fn last_record(&self) -> Option<(u64, u64)> {
        self.found.last_record
    }

    fn problem(&mut self, record: u64, offset: u64, kind: ProblemKind) {
        self.found.counts.add(&kind);
        if self.found.problems.len() < self.settings.max_problems {
            self.found.problems.push(RowProblem {
                record,
                offset,
                kind,
            });
        }
    }

    fn absorb_pass(&mut self, next: Pass<'p>, before: u64) {
        self.tally.merge(&next.tally);
        if let (Some(a), Some(b)) = (self.outside.as_mut(), next.outside.as_ref()) {
            a.merge(b);
        }
        self.filtered += next.filtered;
        self.records += next.records;
        for (a, b) in self.excluded_by.iter_mut().zip(&next.excluded_by) {
            *a += b;
        }
        self.found.counts.absorb(&next.found.counts);
        if let Some((record, offset)) = next.found.last_record {
            self.found.last_record = Some((record + before, offset));
        }
        for mut f in next.found.problems {
            if self.found.problems.len() >= self.settings.max_problems {
                break;
            }
            f.record += before;
            self.found.problems.push(f);
        }
        self.weights.absorb(next.weights);
        for (a, b) in self.blank_groups.iter_mut().zip(&next.blank_groups) {
            *a += b;
        }
        self.ids.absorb(next.ids);
        for (a, b) in self.partial.iter_mut().zip(&next.partial) {
            *a += b;
        }
        if let (Some(a), Some(b)) = (self.design.as_mut(), next.design) {
            // The tallies are merged already: a value of the next chunk has an index here.
            let map: Vec<Vec<u32>> = (0..self.plan.groupings.len())
                .map(|g| {
                    (0..next.tally.value_count(g) as u32)
                        .map(|i| self.tally.value_index(g, next.tally.value(g, i)))
                        .collect()
                })
                .collect();
            a.absorb(self.plan, b, |g, v| map[g][v as usize]);
        }
    }

    /// Digests that occur more than once (none when the IDs were strictly increasing);
    /// `None` when the pass trusted an order that later broke, so the digests must be
    /// taken again ([`IdDigests`]).
    pub fn repeated_ids(&mut self) -> Option<HashSet<u64>> {
        self.ids.repeated()
    }

    /// The sums of the pass, by question, and per value of each grouping column.
    pub fn finish(&mut self, codebook_ids: &[String]) -> Tabulation {
        if let Some(d) = self.design.as_mut() {
            d.settle(self.plan);
        }
        let (mut questions, groupings) = question_sums(self.plan, &self.tally, codebook_ids);
        if let Some(outside) = &self.outside {
            let (outside, _) = question_sums(self.plan, outside, codebook_ids);
            for (q, o) in questions.iter_mut().zip(&outside) {
                q.design_n = (0..q.items.len())
                    .map(|i| q.item_base(i).n + o.item_base(i).n)
                    .collect();
            }
        }
        let weight = self.plan.weight.and(self.weights.max_median());
        Tabulation {
            rows: self.records,
            excluded_by: self.excluded_by.clone(),
            excluded: self.excluded(),
            dropped: Vec::new(),
            dropped_total: 0,
            synthetic: self.plan.synthetic_prefix.is_some()
                && self.plan.id.is_some()
                && self.ids.unmarked == 0,
            weight_max: weight.map(|w| w.0),
            weight_median: weight.map(|w| w.1),
            questions,
            groupings,
            blank_groups: self.blank_groups.clone(),
            partial: self.partial.clone(),
            design: self
                .design
                .as_mut()
                .map(|d| d.finish(|g, v| self.tally.value(g, v).to_vec())),
            filtered: self.filtered,
        }
    }
}

/// The sums of every question over all kept respondents, and within each group of each
/// grouping column, from a tally.
pub(crate) fn question_sums(
    plan: &Plan,
    tally: &Tally,
    codebook_ids: &[String],
) -> (Vec<QuestionSums>, Vec<Vec<GroupSums>>) {
    let to_questions = |sums: Vec<(BaseSums, Vec<ItemSums>)>| -> Vec<QuestionSums> {
        sums.into_iter()
            .zip(codebook_ids)
            .zip(&plan.questions)
            .map(|(((base, items), id), q)| QuestionSums {
                id: id.clone(),
                base,
                items,
                each_item: q.each_item(),
                design_n: Vec::new(),
            })
            .collect()
    };
    let questions = to_questions(tally.sums(plan, |_| true));
    let groupings = (0..plan.groupings.len())
        .map(|g| {
            tally
                .group_values(g)
                .into_iter()
                .map(|value| {
                    let keep = |key: &CellKey| key[g].as_deref() == Some(value.as_slice());
                    GroupSums {
                        value: String::from_utf8_lossy(&value).into_owned(),
                        questions: to_questions(tally.sums(plan, keep)),
                    }
                })
                .collect()
        })
        .collect();
    (questions, groupings)
}

/// Largest and median of weights given as (weight, respondents).
pub(crate) fn weight_max_median(
    counts: impl IntoIterator<Item = (f64, u64)>,
) -> Option<(f64, f64)> {
    let mut m: rustc_hash::FxHashMap<u64, u64> = rustc_hash::FxHashMap::default();
    let mut max = f64::NEG_INFINITY;
    for (w, n) in counts {
        if n > 0 {
            *m.entry(w.to_bits()).or_default() += n;
            max = max.max(w);
        }
    }
    let weights = Weights::Counts(m);
    (!weights.is_empty()).then(|| (max, weights.median()))
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
        self.found.last_record = Some((index, offset));
        if !self.settings.skip.is_empty() && self.settings.skip.contains(&offset) {
            return;
        }
        if rec.len() != self.plan.width {
            self.found.counts.row();
            self.problem(index, offset, ProblemKind::Ragged { fields: rec.len() });
            return;
        }
        if !rec.is_utf8() {
            self.found.counts.row();
            self.problem(index, offset, ProblemKind::NotUtf8);
            return;
        }
        if let Some(c) = self.plan.id {
            let raw = rec.get(c).unwrap_or(Cow::Borrowed(&[]));
            self.ids
                .note(trim(&raw), self.plan.synthetic_prefix.as_deref());
        }
        self.scratch.bad_values.clear();
        self.plan
            .eval(rec, &mut self.scratch.eval, &mut self.scratch.bad_values);
        if !self.scratch.bad_values.is_empty() {
            self.found.counts.row();
            let bad_values = std::mem::take(&mut self.scratch.bad_values);
            for (i, v) in bad_values.iter().enumerate() {
                // A row counts once per rule, however many of its fields broke it.
                if bad_values[..i].iter().any(|earlier| earlier.rule == v.rule) {
                    continue;
                }
                self.problem(index, offset, ProblemKind::Value(v.clone()));
            }
            self.scratch.bad_values = bad_values;
            return;
        }
        if let Some(k) = self.scratch.eval.excluded_by {
            self.excluded_by[k] += 1;
            // Outside every base, still in the design (R `subset`, not deletion).
            self.note_design(rec, false);
            return;
        }
        if self.scratch.eval.filtered_out {
            self.filtered += 1;
            if let Some(t) = self.outside.as_mut() {
                self.scratch.groups.fill(0);
                t.add(&self.scratch.eval, &self.scratch.groups);
            }
            // A domain: still in the design.
            self.note_design(rec, false);
            return;
        }
        if self.plan.weight.is_some() {
            self.weights.push(self.scratch.eval.weight);
        }
        for (g, &c) in self.plan.groupings.iter().enumerate() {
            let memo = &mut self.scratch.group_memos[g];
            let tally = &mut self.tally;
            self.scratch.groups[g] = memo.of(rec, c, |v| tally.value_index(g, v));
            self.blank_groups[g] += (self.scratch.groups[g] == 0) as u64;
        }
        self.tally.add(&self.scratch.eval, &self.scratch.groups);
        for (n, &p) in self.partial.iter_mut().zip(&self.scratch.eval.partial) {
            *n += p as u64;
        }
        self.note_design(rec, true);
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
    pub fn later_occurrences(self) -> Vec<RowProblem> {
        let mut first: std::collections::HashMap<&[u8], u64> = std::collections::HashMap::new();
        let mut out = Vec::new();
        for (id, offset, record) in &self.rows {
            match first.get(id.as_slice()) {
                None => {
                    first.insert(id, *record);
                }
                Some(&first_record) => out.push(RowProblem {
                    record: *record,
                    offset: *offset,
                    kind: ProblemKind::DuplicateId {
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
    use crate::codebook::Codebook;

    /// A record of string fields.
    struct Row(Vec<String>);

    impl Fields for Row {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn get(&self, c: usize) -> Option<Cow<'_, [u8]>> {
            self.0.get(c).map(|s| Cow::Borrowed(s.as_bytes()))
        }
    }

    /// Canonical rows, varied by `i`: kept, excluded, broken, repeated IDs.
    fn row(i: usize) -> Row {
        let pick = |v: &[&str]| v[i % v.len()].to_string();
        let mut r = vec![
            format!("syn-{:06}", if i % 11 == 10 { i - 1 } else { i }),
            pick(&["us", "gb", "de"]),
            pick(&["gen_z", "millennial", "gen_x", "boomer", ""]),
            pick(&["female", "male"]),
            pick(&["0.5939", "1.3087", "0.9869", "2"]),
            pick(&[
                "very_familiar",
                "somewhat_familiar",
                "dont_know_ai",
                "not_very_familiar",
            ]),
            pick(&["yes", "no", ""]),
            pick(&["yes", "no", "unsure", "perhaps"]),
        ];
        for k in 0..6 {
            r.push(["0", "1", "1", ""][(i + k) % 4].to_string());
        }
        r.push(String::new());
        if i % 29 == 28 {
            r.pop();
        }
        Row(r)
    }

    fn pass_over<'p>(
        plan: &'p Plan,
        settings: &'p Settings,
        rows: std::ops::Range<usize>,
    ) -> Pass<'p> {
        let mut pass = Pass::new(plan, settings);
        for (index, i) in rows.clone().enumerate() {
            pass.record(&row(i), i as u64 * 100, index as u64);
        }
        pass
    }

    #[test]
    fn passes_over_parts_merge_into_the_pass_over_the_whole() {
        let cb = Codebook::canonical();
        let header: Vec<String> = crate::tools::simulate::HEADER
            .iter()
            .map(|s| s.to_string())
            .collect();
        let plan = Plan::new(&cb, &header, Some("weight"), &["generation".into()], &[]).unwrap();
        let settings = Settings {
            max_problems: 1000,
            skip: Default::default(),
        };
        let ids = cb.question_ids();
        let mut whole = pass_over(&plan, &settings, 0..400);
        assert!(whole.excluded() > 0 && whole.counts().rows() > 0);
        for cut in [1, 97, 200, 399] {
            let mut left = pass_over(&plan, &settings, 0..cut);
            left.absorb(pass_over(&plan, &settings, cut..400), cut as u64);
            assert_eq!(left.finish(&ids), whole.finish(&ids), "cut at {cut}");
            assert_eq!(left.counts(), whole.counts());
            assert_eq!(left.problems(), whole.problems(), "records renumbered");
            assert_eq!(left.last_record(), whole.last_record());
            // IDs out of order across the cut are seen as such.
            assert_eq!(
                left.repeated_ids(),
                pass_over(&plan, &settings, 0..400).repeated_ids()
            );
        }
    }

    /// A canonical row with a stratum and a PSU, the PSUs in scrambled order.
    struct Clustered(Row);

    impl Fields for Clustered {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn get(&self, c: usize) -> Option<Cow<'_, [u8]>> {
            self.0.get(c)
        }
    }

    fn clustered(i: usize) -> Clustered {
        let mut r = row(i);
        if r.0.len() == crate::tools::simulate::HEADER.len() {
            let psu = (i * 7919) % 1500;
            r.0.extend([format!("s{}", psu % 7), format!("p{psu}")]);
        }
        Clustered(r)
    }

    #[test]
    fn rows_held_back_in_many_psus_sum_as_rows_summed_at_once() {
        let mut cb = Codebook::canonical();
        cb.design.strata = Some("stratum".into());
        cb.design.psu = Some("psu".into());
        let mut header: Vec<String> = crate::tools::simulate::HEADER
            .iter()
            .map(|s| s.to_string())
            .collect();
        header.extend(["stratum".into(), "psu".into()]);
        let plan = Plan::new(&cb, &header, Some("weight"), &["generation".into()], &[]).unwrap();
        let settings = Settings {
            max_problems: 0,
            skip: Default::default(),
        };
        let over = |rows: std::ops::Range<usize>| {
            let mut pass = Pass::new(&plan, &settings);
            for (index, i) in rows.enumerate() {
                pass.record(&clustered(i), i as u64 * 100, index as u64);
            }
            pass
        };
        let ids = cb.question_ids();
        let mut whole = over(0..6000);
        // 1,500 PSUs: past the first 512 the pass holds its rows back.
        let held = whole.design.as_ref().unwrap().held_rows();
        assert!(held > 1000, "{held} rows held");
        let expected = whole.finish(&ids);
        let design = expected.design.as_ref().unwrap();
        assert!(design.psus() > 1000);
        // Each PSU's respondents add up to the valid rows.
        assert_eq!(
            design.unit_rows.iter().sum::<u64>(),
            whole.records() - whole.counts().rows()
        );
        for cut in [1, 700, 3001, 5999] {
            let mut left = over(0..cut);
            left.absorb(over(cut..6000), cut as u64);
            assert_eq!(left.finish(&ids), expected, "cut at {cut}");
        }
    }

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
