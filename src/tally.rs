//! Additive sums of one pass, kept per cell (one combination of grouping values) and per
//! answer state of each question. A record costs one bucket update per question; bases
//! and item sums of the total and of every group are expanded from the buckets at the end.
//!
//! Weighted sums are compensated (`accurate::Sum2`, twice the precision of f64), so the
//! numbers do not depend on the order rows were added in: the parallel CSV scanner, its
//! chunking and the polars loader give the same results.

use std::collections::BTreeMap;

use accurate::sum::Sum2;
use accurate::traits::SumAccumulator;
use rustc_hash::FxHashMap;

use crate::plan::{dense_states, Eval, Plan, QuestionPlan, State};
use crate::stats::{BaseSums, ItemSums};

/// Respondents, Σw and Σw² of one answer state in one cell.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    n: u64,
    w: Sum2<f64>,
    w2: Sum2<f64>,
}

impl Default for Bucket {
    fn default() -> Self {
        Bucket {
            n: 0,
            w: Sum2::zero(),
            w2: Sum2::zero(),
        }
    }
}

impl Bucket {
    #[inline]
    fn add(&mut self, w: f64, w2: f64) {
        self.n += 1;
        self.w += w;
        self.w2 += w2;
    }

    fn merge(&mut self, o: &Bucket) {
        self.n += o.n;
        self.w = self.w + o.w;
        self.w2 = self.w2 + o.w2;
    }
}

#[derive(Debug, Clone)]
enum States {
    Dense(Vec<Bucket>),
    Sparse(FxHashMap<State, Bucket>),
}

impl States {
    fn new(dense: Option<usize>) -> States {
        match dense {
            Some(n) => States::Dense(vec![Bucket::default(); n]),
            None => States::Sparse(FxHashMap::default()),
        }
    }

    #[inline]
    fn bucket(&mut self, s: State) -> &mut Bucket {
        match self {
            States::Dense(v) => &mut v[s as usize],
            States::Sparse(m) => m.entry(s).or_default(),
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
        };
        out.sort_by_key(|(s, _)| *s);
        out
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
    /// Per grouping column: value → local index (0 is "empty").
    dicts: Vec<FxHashMap<Vec<u8>, u32>>,
    values: Vec<Vec<Option<Vec<u8>>>>,
    index: FxHashMap<Vec<u32>, u32>,
    cells: Vec<Cell>,
    keys: Vec<Vec<u32>>,
    key: Vec<u32>,
}

impl Tally {
    pub fn new(plan: &Plan) -> Tally {
        let g = plan.groupings.len();
        Tally {
            dense: plan.questions.iter().map(dense_states).collect(),
            dicts: vec![FxHashMap::default(); g],
            values: vec![vec![None]; g],
            index: FxHashMap::default(),
            cells: Vec::new(),
            keys: Vec::new(),
            key: Vec::with_capacity(g),
        }
    }

    fn cell_for(&mut self) -> usize {
        if let Some(&c) = self.index.get(self.key.as_slice()) {
            return c as usize;
        }
        let c = self.cells.len();
        self.cells.push(Cell {
            questions: self.dense.iter().map(|d| States::new(*d)).collect(),
        });
        self.keys.push(self.key.clone());
        self.index.insert(self.key.clone(), c as u32);
        c
    }

    /// Adds one kept respondent: its answers and the (trimmed) values of its grouping columns.
    #[inline]
    pub fn add(&mut self, eval: &Eval, groups: &[Vec<u8>]) {
        self.key.clear();
        for (g, v) in groups.iter().enumerate() {
            let i = if v.is_empty() {
                0
            } else {
                match self.dicts[g].get(v.as_slice()) {
                    Some(&i) => i,
                    None => {
                        let i = self.values[g].len() as u32;
                        self.values[g].push(Some(v.to_vec()));
                        self.dicts[g].insert(v.to_vec(), i);
                        i
                    }
                }
            };
            self.key.push(i);
        }
        let c = self.cell_for();
        let (w, w2) = (eval.weight, eval.weight * eval.weight);
        let cell = &mut self.cells[c];
        for (q, &s) in eval.states.iter().enumerate() {
            if s != 0 {
                cell.questions[q].bucket(s).add(w, w2);
            }
        }
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
            self.key.clear();
            for (g, v) in key.iter().enumerate() {
                let i = match v {
                    None => 0,
                    Some(v) => match self.dicts[g].get(v.as_slice()) {
                        Some(&i) => i,
                        None => {
                            let i = self.values[g].len() as u32;
                            self.values[g].push(Some(v.clone()));
                            self.dicts[g].insert(v.clone(), i);
                            i
                        }
                    },
                };
                self.key.push(i);
            }
            let c = self.cell_for();
            for (q, states) in cell.questions.iter().enumerate() {
                for (s, b) in states.iter() {
                    self.cells[c].questions[q].bucket(s).merge(&b);
                }
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
                for (s, b) in states.iter() {
                    a.add(q, s, &b);
                }
            }
        }
        acc.into_iter().map(QuestionAcc::finish).collect()
    }

    /// The distinct non-empty values of grouping column `g`, sorted.
    pub fn group_values(&self, g: usize) -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = self.values[g].iter().flatten().cloned().collect();
        v.sort();
        v
    }
}

/// Compensated running sums of one question.
struct QuestionAcc {
    base: (u64, Sum2<f64>, Sum2<f64>),
    items: Vec<(u64, Sum2<f64>, Sum2<f64>)>,
}

impl QuestionAcc {
    fn new(q: &QuestionPlan) -> QuestionAcc {
        let n = match q {
            QuestionPlan::Single { codes, .. } => codes.len(),
            QuestionPlan::Multi { items, .. } => *items,
        };
        let zero = (0, Sum2::zero(), Sum2::zero());
        QuestionAcc {
            base: zero,
            items: vec![zero; n],
        }
    }

    fn add(&mut self, q: &QuestionPlan, s: State, b: &Bucket) {
        let add = |t: &mut (u64, Sum2<f64>, Sum2<f64>)| {
            t.0 += b.n;
            t.1 = t.1 + b.w;
            t.2 = t.2 + b.w2;
        };
        add(&mut self.base);
        match q {
            QuestionPlan::Single { .. } => add(&mut self.items[s as usize - 1]),
            QuestionPlan::Multi { .. } => {
                let mut bits = s >> 1;
                while bits != 0 {
                    let i = bits.trailing_zeros() as usize;
                    add(&mut self.items[i]);
                    bits &= bits - 1;
                }
            }
        }
    }

    fn finish(self) -> (BaseSums, Vec<ItemSums>) {
        let base = BaseSums {
            n: self.base.0,
            w: self.base.1.sum(),
            w2: self.base.2.sum(),
        };
        let items = self
            .items
            .into_iter()
            .map(|(n, w, w2)| ItemSums {
                count: n,
                wy: w.sum(),
                w2y: w2.sum(),
            })
            .collect();
        (base, items)
    }
}
