//! Sums per primary sampling unit, for designs with strata and clusters. A question's
//! standard error under such a design needs, for every PSU, the weighted sums of the
//! selecting and the not-selecting respondents of its base (and of each group's base):
//! additive, so one pass and chunk merging work as for the tally, and the memory grows
//! with the number of PSUs, not of rows. Without a PSU column every respondent is its own
//! PSU and the sums are kept per stratum, squares included.

use rustc_hash::FxHashMap;

use crate::codebook::LonelyPsu;
use crate::plan::{Eval, Plan, QuestionPlan, State};

/// Slots of one item in a block: Σw·y, Σw·(1−y), Σw²·y, Σw²·(1−y).
const ITEM_SLOTS: usize = 4;

/// The running sums of one pass (or one chunk).
#[derive(Debug, Clone)]
pub struct DesignAcc {
    /// Per question: where its slots start in a block (its base count first), and its items.
    offsets: Vec<usize>,
    items: Vec<usize>,
    block: usize,
    psus_given: bool,
    lonely: LonelyPsu,
    strata: Vec<Vec<u8>>,
    strata_index: FxHashMap<Vec<u8>, u32>,
    /// Per stratum: the first fpc seen, and a second, different one if any.
    fpc: Vec<Option<f64>>,
    fpc_conflict: Option<(u32, f64, f64)>,
    /// Per stratum: PSU name → unit.
    units: Vec<FxHashMap<Vec<u8>, u32>>,
    unit_keys: Vec<(u32, Vec<u8>)>,
    /// Valid rows (excluded respondents included) per unit.
    unit_rows: Vec<u64>,
    /// Per grouping column: value → index, and the values.
    value_index: Vec<FxHashMap<Vec<u8>, u32>>,
    values: Vec<Vec<Vec<u8>>>,
    /// (unit, domain) → block; domain 0 is everyone kept, g + 1 a grouping column's value.
    sums: FxHashMap<(u32, u32, u32), Vec<f64>>,
}

fn item_count(q: &QuestionPlan) -> usize {
    match q {
        QuestionPlan::Single { codes, .. } => codes.len(),
        QuestionPlan::Multi { items, .. } => *items,
    }
}

fn selected(q: &QuestionPlan, s: State, i: usize) -> bool {
    match q {
        QuestionPlan::Single { .. } => s as usize == i + 1,
        QuestionPlan::Multi { .. } => s >> (i + 1) & 1 == 1,
    }
}

impl DesignAcc {
    pub fn new(plan: &Plan) -> Option<DesignAcc> {
        let d = plan.design.as_ref()?;
        let items: Vec<usize> = plan.questions.iter().map(item_count).collect();
        let mut offsets = Vec::new();
        let mut at = 0;
        for &n in &items {
            offsets.push(at);
            at += 1 + ITEM_SLOTS * n;
        }
        Some(DesignAcc {
            offsets,
            items,
            block: at,
            psus_given: d.psu.is_some(),
            lonely: d.lonely,
            strata: Vec::new(),
            strata_index: FxHashMap::default(),
            fpc: Vec::new(),
            fpc_conflict: None,
            units: Vec::new(),
            unit_keys: Vec::new(),
            unit_rows: Vec::new(),
            value_index: vec![FxHashMap::default(); plan.groupings.len()],
            values: vec![Vec::new(); plan.groupings.len()],
            sums: FxHashMap::default(),
        })
    }

    fn stratum(&mut self, name: &[u8]) -> u32 {
        if let Some(&s) = self.strata_index.get(name) {
            return s;
        }
        let s = self.strata.len() as u32;
        self.strata.push(name.to_vec());
        self.strata_index.insert(name.to_vec(), s);
        self.fpc.push(None);
        self.units.push(FxHashMap::default());
        s
    }

    fn unit(&mut self, stratum: u32, psu: &[u8]) -> u32 {
        if let Some(&u) = self.units[stratum as usize].get(psu) {
            return u;
        }
        let u = self.unit_keys.len() as u32;
        self.units[stratum as usize].insert(psu.to_vec(), u);
        self.unit_keys.push((stratum, psu.to_vec()));
        self.unit_rows.push(0);
        u
    }

    fn note_fpc(&mut self, stratum: u32, fpc: Option<f64>) {
        let Some(f) = fpc else { return };
        match self.fpc[stratum as usize] {
            None => self.fpc[stratum as usize] = Some(f),
            Some(g) if g != f && self.fpc_conflict.is_none() => {
                self.fpc_conflict = Some((stratum, g, f));
            }
            _ => {}
        }
    }

    fn value(&mut self, g: usize, v: &[u8]) -> u32 {
        if let Some(&i) = self.value_index[g].get(v) {
            return i;
        }
        let i = self.values[g].len() as u32;
        self.values[g].push(v.to_vec());
        self.value_index[g].insert(v.to_vec(), i);
        i
    }

    /// Counts one valid row in its PSU; `kept`: its answers and grouping values when the
    /// screener kept it (an excluded respondent stays in the design, outside every base).
    pub fn add(
        &mut self,
        plan: &Plan,
        stratum: &[u8],
        psu: &[u8],
        eval: &Eval,
        kept: Option<&[&[u8]]>,
    ) {
        let s = self.stratum(stratum);
        let u = self.unit(s, if self.psus_given { psu } else { b"" });
        self.unit_rows[u as usize] += 1;
        self.note_fpc(s, eval.fpc);
        let Some(groups) = kept else { return };
        self.add_to(plan, (u, 0, 0), eval);
        for (g, v) in groups.iter().enumerate() {
            if !v.is_empty() {
                let i = self.value(g, v);
                self.add_to(plan, (u, g as u32 + 1, i), eval);
            }
        }
    }

    fn add_to(&mut self, plan: &Plan, key: (u32, u32, u32), eval: &Eval) {
        let block = self.block;
        let sums = self.sums.entry(key).or_insert_with(|| vec![0.0; block]);
        let (w, w2) = (eval.weight, eval.weight * eval.weight);
        for (q, (&s, qp)) in eval.states.iter().zip(&plan.questions).enumerate() {
            if s == 0 {
                continue;
            }
            let at = self.offsets[q];
            sums[at] += 1.0;
            for i in 0..self.items[q] {
                let slot = at + 1 + ITEM_SLOTS * i;
                if selected(qp, s, i) {
                    sums[slot] += w;
                    sums[slot + 2] += w2;
                } else {
                    sums[slot + 1] += w;
                    sums[slot + 3] += w2;
                }
            }
        }
    }

    /// Appends the sums of the next chunk (units, strata and values matched by name).
    pub fn absorb(&mut self, next: DesignAcc) {
        let strata: Vec<u32> = next.strata.iter().map(|s| self.stratum(s)).collect();
        let units: Vec<u32> = next
            .unit_keys
            .iter()
            .map(|(s, p)| self.unit(strata[*s as usize], p))
            .collect();
        for (u, rows) in units.iter().zip(&next.unit_rows) {
            self.unit_rows[*u as usize] += rows;
        }
        for (s, f) in next.fpc.iter().enumerate() {
            self.note_fpc(strata[s], *f);
        }
        if self.fpc_conflict.is_none() {
            self.fpc_conflict = next
                .fpc_conflict
                .map(|(s, a, b)| (strata[s as usize], a, b));
        }
        let values: Vec<Vec<u32>> = next
            .values
            .iter()
            .enumerate()
            .map(|(g, vs)| vs.iter().map(|v| self.value(g, v)).collect())
            .collect();
        // In a fixed order, so that the float sums do not depend on hashing.
        let mut blocks: Vec<((u32, u32, u32), Vec<f64>)> = next.sums.into_iter().collect();
        blocks.sort_by_key(|(k, _)| *k);
        for ((u, g, v), block) in blocks {
            let v = if g == 0 {
                0
            } else {
                values[g as usize - 1][v as usize]
            };
            let into = self
                .sums
                .entry((units[u as usize], g, v))
                .or_insert_with(|| vec![0.0; block.len()]);
            for (a, b) in into.iter_mut().zip(&block) {
                *a += b;
            }
        }
    }

    pub fn finish(&self) -> DesignSums {
        let mut domains = Domains::default();
        for (&(u, g, v), block) in &self.sums {
            let value = if g == 0 {
                Vec::new()
            } else {
                self.values[g as usize - 1][v as usize].clone()
            };
            domains
                .entry((g, value))
                .or_default()
                .push((u as usize, block.clone()));
        }
        for units in domains.values_mut() {
            units.sort_by_key(|(u, _)| *u);
        }
        DesignSums {
            strata: self
                .strata
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect(),
            fpc: self.fpc.clone(),
            fpc_conflict: self.fpc_conflict.map(|(s, a, b)| {
                (
                    String::from_utf8_lossy(&self.strata[s as usize]).into_owned(),
                    a,
                    b,
                )
            }),
            unit_stratum: self.unit_keys.iter().map(|(s, _)| *s as usize).collect(),
            unit_rows: self.unit_rows.clone(),
            psus_given: self.psus_given,
            lonely: self.lonely,
            offsets: self.offsets.clone(),
            domains,
        }
    }
}

/// (grouping + 1 or 0, value) → (unit, block).
type Domains = FxHashMap<(u32, Vec<u8>), Vec<(usize, Vec<f64>)>>;

/// The design's sums at the end of the pass.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignSums {
    pub strata: Vec<String>,
    /// Per stratum: its finite population correction as given.
    pub fpc: Vec<Option<f64>>,
    /// A stratum with two different fpc values: (stratum, one, another).
    pub fpc_conflict: Option<(String, f64, f64)>,
    pub unit_stratum: Vec<usize>,
    pub unit_rows: Vec<u64>,
    /// Whether PSUs were given (else every respondent is its own PSU).
    pub psus_given: bool,
    pub lonely: LonelyPsu,
    offsets: Vec<usize>,
    /// (grouping + 1 or 0, value) → (unit, block), units ascending.
    domains: Domains,
}

/// One item's sums in one unit of a domain.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UnitItem {
    /// Respondents of the question's base in the unit.
    pub n: f64,
    pub wy: f64,
    pub wn: f64,
    pub w2y: f64,
    pub w2n: f64,
}

impl DesignSums {
    /// PSUs in the design: units, or respondents when no PSU column was given.
    pub fn psus(&self) -> u64 {
        if self.psus_given {
            self.unit_rows.len() as u64
        } else {
            self.unit_rows.iter().sum()
        }
    }

    /// Degrees of freedom of the design: PSUs − strata (R `degf`).
    pub fn df(&self) -> u64 {
        self.psus().saturating_sub(self.strata.len() as u64)
    }

    /// PSUs of each stratum.
    pub fn stratum_psus(&self) -> Vec<u64> {
        let mut n = vec![0u64; self.strata.len()];
        for (u, &s) in self.unit_stratum.iter().enumerate() {
            n[s] += if self.psus_given {
                1
            } else {
                self.unit_rows[u]
            };
        }
        n
    }

    /// The sums of item `item` of question `q` per unit of a domain: everyone kept
    /// (`group` None) or one value of grouping column `g`.
    pub fn item(
        &self,
        group: Option<(usize, &[u8])>,
        q: usize,
        item: usize,
    ) -> Vec<(usize, UnitItem)> {
        let key = match group {
            None => (0, Vec::new()),
            Some((g, v)) => (g as u32 + 1, v.to_vec()),
        };
        let Some(units) = self.domains.get(&key) else {
            return Vec::new();
        };
        let at = self.offsets[q];
        let slot = at + 1 + ITEM_SLOTS * item;
        units
            .iter()
            .map(|(u, b)| {
                (
                    *u,
                    UnitItem {
                        n: b[at],
                        wy: b[slot],
                        wn: b[slot + 1],
                        w2y: b[slot + 2],
                        w2n: b[slot + 3],
                    },
                )
            })
            .collect()
    }
}
