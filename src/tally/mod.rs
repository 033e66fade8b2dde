//! Additive sums of one pass, kept per cell (one combination of grouping values) and per
//! answer state of each question. A record costs one bucket update per question; bases
//! and item sums of the total and of every group are expanded from the buckets at the end.
//!
//! Weighted sums do not depend on the order rows were added in, so the parallel CSV
//! scanner, its chunking and the polars loader give the same results: decimal weights
//! (nearly all survey weights) are summed exactly as integers, others with compensated
//! float sums (`accurate::Sum2`, twice the precision of f64).

pub(crate) mod design;
pub(crate) mod pass;
pub(crate) mod problems;

use std::collections::BTreeMap;

use accurate::sum::Sum2;
use accurate::traits::SumAccumulator;
use rustc_hash::FxHashMap;

use crate::plan::{dense_states, same, Eval, Plan, QuestionPlan, State, FIXED_ONE};
use crate::stats::{BaseSums, ItemSums};

/// Respondents and their Σw and Σw², the one exact-sum value of the crate: decimal weights
/// (nearly all) as integers in billionths and their squares, other weights as floats. The
/// tally's buckets and the design's per-PSU sums add these.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Mass {
    pub n: u64,
    pub fixed: u128,
    pub fixed2: u128,
    pub w: f64,
    pub w2: f64,
}

impl Mass {
    /// One respondent.
    #[inline]
    pub fn of(eval: &Eval) -> Mass {
        Mass::of_weight(eval.fixed.unwrap_or(0), eval.weight)
    }

    /// One respondent of weight `w`, `fixed` billionths when not 0 (see [`Eval::fixed`]).
    #[inline]
    pub fn of_weight(fixed: u64, w: f64) -> Mass {
        match (fixed != 0).then_some(fixed) {
            Some(m) => Mass {
                n: 1,
                fixed: m as u128,
                fixed2: m as u128 * m as u128,
                ..Mass::default()
            },
            None => Mass {
                n: 1,
                w,
                w2: w * w,
                ..Mass::default()
            },
        }
    }

    /// Whether it holds sums of weights that are not decimals.
    #[inline]
    pub fn has_floats(&self) -> bool {
        self.w != 0.0 || self.w2 != 0.0
    }
}

/// The running [`Mass`] of one answer state in one cell, its float part summed with
/// compensation.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    n: u64,
    fixed: u128,
    fixed2: u128,
    w: Sum2<f64>,
    w2: Sum2<f64>,
}

impl Default for Bucket {
    fn default() -> Self {
        Bucket {
            n: 0,
            fixed: 0,
            fixed2: 0,
            w: Sum2::zero(),
            w2: Sum2::zero(),
        }
    }
}

/// Sums made elsewhere: `n` respondents, Σw and Σw² exact and as floats.
fn mass(n: u64, (fixed, fixed2): (u128, u128), (w, w2): (f64, f64)) -> Mass {
    Mass {
        n,
        fixed,
        fixed2,
        w,
        w2,
    }
}

impl Bucket {
    #[inline]
    fn add(&mut self, m: &Mass) {
        self.n += m.n;
        self.fixed += m.fixed;
        self.fixed2 += m.fixed2;
        // Adding 0.0 to a compensated sum changes nothing: skipped for decimal weights.
        if m.has_floats() {
            self.w += m.w;
            self.w2 += m.w2;
        }
    }

    fn merge(&mut self, o: &Bucket) {
        self.n += o.n;
        self.fixed += o.fixed;
        self.fixed2 += o.fixed2;
        self.w = self.w + o.w;
        self.w2 = self.w2 + o.w2;
    }
}

/// The sums of one question in one cell: per answer state (densely when the states are
/// few), or — from sums made per item ([`QuestionPlan::summed_per_item`]) — per item.
#[derive(Debug, Clone)]
enum States {
    Dense(Vec<Bucket>),
    Sparse(FxHashMap<State, Bucket>),
    Items(ItemBuckets),
}

/// A question's base, and per row (item, then net) its selecting and its answering but not
/// selecting respondents.
#[derive(Debug, Clone)]
struct ItemBuckets {
    base: Bucket,
    selected: Vec<Bucket>,
    not: Vec<Bucket>,
}

impl States {
    fn new(dense: Option<usize>) -> States {
        match dense {
            Some(n) => States::Dense(vec![Bucket::default(); n]),
            None => States::Sparse(FxHashMap::default()),
        }
    }

    fn items(rows: usize) -> States {
        States::Items(ItemBuckets {
            base: Bucket::default(),
            selected: vec![Bucket::default(); rows],
            not: vec![Bucket::default(); rows],
        })
    }

    #[inline]
    fn bucket(&mut self, s: State) -> &mut Bucket {
        match self {
            States::Dense(v) => &mut v[s as usize],
            States::Sparse(m) => m.entry(s).or_default(),
            // Never asked of per-item sums: the reader adds states to state tallies only.
            States::Items(i) => &mut i.base,
        }
    }

    /// Non-empty buckets in ascending state order.
    fn iter(&self) -> Vec<(State, Bucket)> {
        let mut out: Vec<(State, Bucket)> = match self {
            States::Dense(v) => v
                .iter()
                .enumerate()
                .filter(|(_, b)| b.n > 0)
                .map(|(s, b)| (s as State, *b))
                .collect(),
            States::Sparse(m) => m.iter().map(|(s, b)| (*s, *b)).collect(),
            States::Items(_) => Vec::new(),
        };
        out.sort_by_key(|(s, _)| *s);
        out
    }

    /// Adds another cell's sums of the same question.
    fn merge(&mut self, other: &States) {
        match (self, other) {
            (States::Items(a), States::Items(b)) => {
                a.base.merge(&b.base);
                for (x, y) in a.selected.iter_mut().zip(&b.selected) {
                    x.merge(y);
                }
                for (x, y) in a.not.iter_mut().zip(&b.not) {
                    x.merge(y);
                }
            }
            (me, other) => {
                for (s, b) in other.iter() {
                    me.bucket(s).merge(&b);
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Cell {
    questions: Vec<States>,
}

/// Values of the grouping columns of one cell; `None` where the column is empty.
pub type CellKey = Vec<Option<Vec<u8>>>;

/// The sums of one pass (or of one chunk of it).
#[derive(Debug, Clone)]
pub struct Tally {
    dense: Vec<Option<usize>>,
    /// Per question: its rows when its sums are kept per item (sums made so).
    per_item: Vec<Option<usize>>,
    /// Per grouping column: local index → value (index 0 is "empty").
    values: Vec<Vec<Option<Vec<u8>>>>,
    /// Per grouping column with many values: value → local index.
    dicts: Vec<FxHashMap<Vec<u8>, u32>>,
    /// Cell of the local indices, 4 bits each, for up to 3 groupings of < 16 values…
    table: Vec<u32>,
    /// …packed 16 bits each (up to 4 groupings of < 65536 values)…
    packed: FxHashMap<u64, u32>,
    /// …or as a list otherwise.
    index: FxHashMap<Vec<u32>, u32>,
    cells: Vec<Cell>,
    keys: Vec<Vec<u32>>,
    key: Vec<u32>,
}

const NO_CELL: u32 = u32::MAX;

/// Groups of one segment a banner compares at most; the tally keeps one more, so that a
/// segment with too many values is known without holding them all.
pub const MAX_GROUPS: usize = 100;

/// Grouping values kept in a list (searched in order) before a hash map pays off.
const FEW_VALUES: usize = 16;

impl Tally {
    pub fn new(plan: &Plan) -> Tally {
        let g = plan.groupings.len();
        Tally {
            dense: plan.questions.iter().map(dense_states).collect(),
            per_item: vec![None; plan.questions.len()],
            values: vec![vec![None]; g],
            dicts: vec![FxHashMap::default(); g],
            table: if g <= 3 {
                vec![NO_CELL; 1 << (4 * g)]
            } else {
                Vec::new()
            },
            packed: FxHashMap::default(),
            index: FxHashMap::default(),
            cells: Vec::new(),
            keys: Vec::new(),
            key: Vec::with_capacity(g),
        }
    }

    /// A tally for sums made by `concerns sql`: the questions it sums per item are kept
    /// per item ([`QuestionPlan::summed_per_item`]).
    pub fn for_sums(plan: &Plan) -> Tally {
        let mut t = Tally::new(plan);
        t.per_item = plan
            .questions
            .iter()
            .map(|q| q.summed_per_item().then(|| q.rows()))
            .collect();
        t
    }

    /// The local index of value `v` (trimmed; empty is 0) of grouping column `g`. Past
    /// [`MAX_GROUPS`] values every new one shares the last index, so that memory stays
    /// bounded whatever the data holds; [`Tally::overflowed`] then says so.
    #[inline]
    pub fn value_index(&mut self, g: usize, v: &[u8]) -> u32 {
        if v.is_empty() {
            return 0;
        }
        let values = &self.values[g];
        if values.len() <= FEW_VALUES {
            if let Some(i) = values[1..]
                .iter()
                .position(|x| x.as_deref().is_some_and(|x| same(x, v)))
            {
                return i as u32 + 1;
            }
        } else if let Some(&i) = self.dicts[g].get(v) {
            return i;
        }
        if values.len() > MAX_GROUPS + 1 {
            return MAX_GROUPS as u32 + 1;
        }
        let i = values.len() as u32;
        self.values[g].push(Some(v.to_vec()));
        self.dicts[g].insert(v.to_vec(), i);
        i
    }

    fn cell_for(&mut self) -> usize {
        if !self.table.is_empty() && self.key.iter().all(|&i| i < 16) {
            let at = self
                .key
                .iter()
                .enumerate()
                .fold(0usize, |acc, (g, &i)| acc | (i as usize) << (4 * g));
            if self.table[at] == NO_CELL {
                self.table[at] = self.new_cell() as u32;
            }
            return self.table[at] as usize;
        }
        let packable = self.key.len() <= 4 && self.key.iter().all(|&i| i < 1 << 16);
        let packed = self
            .key
            .iter()
            .enumerate()
            .fold(0u64, |acc, (g, &i)| acc | (i as u64) << (16 * g));
        let found = if packable {
            self.packed.get(&packed)
        } else {
            self.index.get(self.key.as_slice())
        };
        if let Some(&c) = found {
            return c as usize;
        }
        let c = self.new_cell();
        if packable {
            self.packed.insert(packed, c as u32);
        } else {
            self.index.insert(self.key.clone(), c as u32);
        }
        c
    }

    /// A new cell for the current key.
    fn new_cell(&mut self) -> usize {
        self.cells.push(Cell {
            questions: self
                .dense
                .iter()
                .zip(&self.per_item)
                .map(|(d, rows)| match rows {
                    Some(rows) => States::items(*rows),
                    None => States::new(*d),
                })
                .collect(),
        });
        self.keys.push(self.key.clone());
        self.cells.len() - 1
    }

    /// Adds one kept respondent: its answers, and the local index of each grouping
    /// column's value ([`Tally::value_index`]).
    #[inline]
    pub fn add(&mut self, eval: &Eval, groups: &[u32]) {
        self.key.clear();
        self.key.extend_from_slice(groups);
        let c = self.cell_for();
        let cell = &mut self.cells[c];
        for (q, &s) in eval.states.iter().enumerate() {
            if s != 0 {
                cell.questions[q].bucket(s).add(&Mass::of(eval));
            }
        }
    }

    /// Adds sums made elsewhere (the cells of `concerns sql`): `n` respondents in answer
    /// state `s` (valid for the question, not 0) of question `q`, in the cell of `groups`,
    /// with Σw and Σw² of decimal weights exactly (billionths and their squares) and of
    /// other weights as floats.
    pub fn add_sums(
        &mut self,
        groups: &[u32],
        q: usize,
        s: State,
        n: u64,
        fixed: (u128, u128),
        float: (f64, f64),
    ) {
        self.key.clear();
        self.key.extend_from_slice(groups);
        let c = self.cell_for();
        self.cells[c].questions[q]
            .bucket(s)
            .add(&mass(n, fixed, float));
    }

    /// Adds per-item sums made elsewhere to question `q` (summed per item) in the cell of
    /// `groups`: its base (`row` None: the respondents who answered it), or row `row`'s
    /// selecting or answering-but-not-selecting respondents.
    pub fn add_item_sums(
        &mut self,
        groups: &[u32],
        (q, row, selected): (usize, Option<usize>, bool),
        n: u64,
        fixed: (u128, u128),
        float: (f64, f64),
    ) {
        self.key.clear();
        self.key.extend_from_slice(groups);
        let c = self.cell_for();
        let States::Items(items) = &mut self.cells[c].questions[q] else {
            return;
        };
        let b = match row {
            None => &mut items.base,
            Some(i) if selected => &mut items.selected[i],
            Some(i) => &mut items.not[i],
        };
        b.add(&mass(n, fixed, float));
    }

    fn key_values(&self, c: usize) -> CellKey {
        self.keys[c]
            .iter()
            .enumerate()
            .map(|(g, &i)| self.values[g][i as usize].clone())
            .collect()
    }

    /// Cells keyed by their values, in value order.
    fn by_value(&self) -> BTreeMap<CellKey, &Cell> {
        (0..self.cells.len())
            .map(|c| (self.key_values(c), &self.cells[c]))
            .collect()
    }

    /// Adds another tally's sums into this one (chunks are merged in file order).
    pub fn merge(&mut self, other: &Tally) {
        for (key, cell) in other.by_value() {
            let indices: Vec<u32> = key
                .iter()
                .enumerate()
                .map(|(g, v)| self.value_index(g, v.as_deref().unwrap_or_default()))
                .collect();
            self.key.clear();
            self.key.extend_from_slice(&indices);
            let c = self.cell_for();
            for (q, states) in cell.questions.iter().enumerate() {
                self.cells[c].questions[q].merge(states);
            }
        }
    }

    /// Base and item sums of every question over the cells `keep` accepts.
    pub fn sums(
        &self,
        plan: &Plan,
        keep: impl Fn(&CellKey) -> bool,
    ) -> Vec<(BaseSums, Vec<ItemSums>)> {
        let mut acc: Vec<QuestionAcc> = plan.questions.iter().map(QuestionAcc::new).collect();
        for (key, cell) in self.by_value() {
            if !keep(&key) {
                continue;
            }
            for ((q, states), a) in plan.questions.iter().zip(&cell.questions).zip(&mut acc) {
                match states {
                    States::Items(items) => a.add_items(items),
                    states => {
                        for (s, b) in states.iter() {
                            a.add(q, s, &b);
                        }
                    }
                }
            }
        }
        acc.into_iter().map(QuestionAcc::finish).collect()
    }

    /// Whether grouping column `g` has more than [`MAX_GROUPS`] distinct values.
    pub fn overflowed(&self, g: usize) -> bool {
        self.values[g].len() > MAX_GROUPS + 1
    }

    /// Value indices of grouping column `g` (the blank value 0 included).
    pub fn value_count(&self, g: usize) -> usize {
        self.values[g].len()
    }

    /// The bytes of value index `i` of grouping column `g` (empty for 0, the blank value).
    pub fn value(&self, g: usize, i: u32) -> &[u8] {
        self.values[g]
            .get(i as usize)
            .and_then(|v| v.as_deref())
            .unwrap_or_default()
    }

    /// The distinct non-empty values of grouping column `g`, sorted.
    pub fn group_values(&self, g: usize) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = self.values[g].iter().flatten().cloned().collect();
        v.sort();
        v
    }
}

/// Running sums of one question: the base, then each item among those who selected it
/// and among those who did not.
struct QuestionAcc {
    base: Bucket,
    items: Vec<Bucket>,
    not: Vec<Bucket>,
}

impl Bucket {
    /// (n, Σw, Σw²): the exact integer part converted once, plus the float part.
    fn values(&self) -> (u64, f64, f64) {
        let one = FIXED_ONE as f64;
        let w = (self.w + self.fixed as f64 / one).sum();
        let w2 = (self.w2 + self.fixed2 as f64 / (one * one)).sum();
        (self.n, w, w2)
    }
}

impl QuestionAcc {
    fn new(q: &QuestionPlan) -> QuestionAcc {
        let n = q.rows();
        QuestionAcc {
            base: Bucket::default(),
            items: vec![Bucket::default(); n],
            not: vec![Bucket::default(); n],
        }
    }

    /// Adds the respondents of answer state `s`: once per state, not per respondent.
    fn add(&mut self, q: &QuestionPlan, s: State, b: &Bucket) {
        self.base.merge(b);
        for i in 0..self.items.len() {
            if q.unanswered(s, i) {
                continue;
            }
            if q.selected(s, i) {
                self.items[i].merge(b);
            } else {
                self.not[i].merge(b);
            }
        }
    }

    /// Adds sums kept per item: the same sums [`QuestionAcc::add`] makes of states.
    fn add_items(&mut self, b: &ItemBuckets) {
        self.base.merge(&b.base);
        for (a, x) in self.items.iter_mut().zip(&b.selected) {
            a.merge(x);
        }
        for (a, x) in self.not.iter_mut().zip(&b.not) {
            a.merge(x);
        }
    }

    fn finish(self) -> (BaseSums, Vec<ItemSums>) {
        let (n, w, w2) = self.base.values();
        let base = BaseSums { n, w, w2 };
        let items = self
            .items
            .iter()
            .zip(&self.not)
            .map(|(b, not)| {
                let (count, wy, w2y) = b.values();
                let (not_selected, wn, w2n) = not.values();
                ItemSums {
                    count,
                    answered: count + not_selected,
                    wy,
                    w2y,
                    wn,
                    w2n,
                }
            })
            .collect();
        (base, items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codebook::Codebook;
    use crate::plan::{states, Eval};

    fn plan() -> Plan {
        let toml = r#"
[survey]
id = "t"
title.en = "t"
[[questions]]
id = "q"
kind = "single_choice"
column = "q"
text.en = "q"
items = [{ id = "a", code = "a", label.en = "A" }, { id = "b", code = "b", label.en = "B" }]
"#;
        let cb = Codebook::parse(toml, "t.toml").unwrap();
        Plan::new(&cb, &["q".to_string()], None, &[], &[]).unwrap()
    }

    /// A respondent answering item `i` with weight `w` (exact when `fixed`).
    fn eval(i: Option<usize>, w: f64, fixed: bool) -> Eval {
        Eval {
            weight: w,
            fixed: fixed.then(|| (w * 1e9).round() as u64),
            states: vec![i.map_or(states::NONE, states::single)],
            partial: vec![false],
            ..Eval::default()
        }
    }

    #[test]
    fn sums_are_exact_for_decimal_weights_and_add_up_across_chunks() {
        // Weights 0.1 (×3, answer a), 0.2 (answer b), 1.7 (float, answer a); a blank answer
        // (weight 5) is outside the base.
        // Σw over the base = 0.3 + 0.2 + 1.7 = 2.2; Σw² = 0.03 + 0.04 + 2.89 = 2.96.
        let plan = plan();
        let (mut one, mut two) = (Tally::new(&plan), Tally::new(&plan));
        for _ in 0..3 {
            one.add(&eval(Some(0), 0.1, true), &[]);
        }
        two.add(&eval(Some(1), 0.2, true), &[]);
        two.add(&eval(Some(0), 1.7, false), &[]);
        two.add(&eval(None, 5.0, true), &[]);
        one.merge(&two);
        let sums = one.sums(&plan, |_| true);
        let (base, items) = &sums[0];
        assert_eq!(base.n, 5);
        assert_eq!(base.w, 2.2);
        assert!((base.w2 - 2.96).abs() < 1e-15, "{}", base.w2);
        assert_eq!((items[0].count, items[1].count), (4, 1));
        // 0.1 · 3 summed in billionths is 0.3 exactly (as a float sum it is not).
        assert_eq!(items[0].wy, 0.3 + 1.7);
        assert_eq!(items[1].wy, 0.2);
        assert_eq!(items[0].wn, 0.2);
    }
}
