//! Sums per primary sampling unit, for designs with strata and clusters. A question's
//! standard error under such a design needs, for every PSU, the weighted sums of the
//! selecting and the not-selecting respondents of its base (and of each group's base):
//! additive, so one pass and chunk merging work as for the tally, and the memory grows
//! with the number of PSUs, not of rows. Without a PSU column every respondent is its own
//! PSU and the sums are kept per stratum, squares included.

use rustc_hash::FxHashMap;

use crate::codebook::LonelyPsu;
use crate::plan::{Eval, Plan, QuestionPlan};

/// Slots of one item in a block: Σw·y, Σw·(1−y), and when every respondent is its own
/// PSU also Σw²·y, Σw²·(1−y).
fn item_slots(psus_given: bool) -> usize {
    if psus_given {
        2
    } else {
        4
    }
}

/// The running sums of one pass (or one chunk).
#[derive(Debug, Clone)]
pub struct DesignAcc {
    /// Per question: where its slots start in a block (its base count first), its items,
    /// and whether each item also counts its own base (`base = "each_item"`).
    offsets: Vec<usize>,
    items: Vec<usize>,
    counted: Vec<bool>,
    block: usize,
    item_slots: usize,
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
    /// The last (stratum, PSU) seen and its unit: files are often sorted by PSU.
    last: Option<(Vec<u8>, Vec<u8>, u32)>,
    /// Domains: slot 0 is everyone kept; then (grouping column, value index of the
    /// tally) → slot, in the order first seen.
    slot_of: Vec<Vec<u32>>,
    slots: Vec<(u32, u32)>,
    /// Per unit: one block of sums per slot (grown as slots appear).
    blocks: Vec<Vec<f64>>,
}

const NO_SLOT: u32 = u32::MAX;

impl DesignAcc {
    pub fn new(plan: &Plan) -> Option<DesignAcc> {
        let d = plan.design.as_ref()?;
        let items: Vec<usize> = plan.questions.iter().map(QuestionPlan::rows).collect();
        let counted: Vec<bool> = plan.questions.iter().map(QuestionPlan::each_item).collect();
        let item_slots = item_slots(d.psu.is_some());
        let mut offsets = Vec::new();
        let mut at = 0;
        for (&n, &c) in items.iter().zip(&counted) {
            offsets.push(at);
            at += 1 + (item_slots + c as usize) * n;
        }
        Some(DesignAcc {
            offsets,
            items,
            counted,
            block: at,
            item_slots,
            psus_given: d.psu.is_some(),
            lonely: d.lonely,
            strata: Vec::new(),
            strata_index: FxHashMap::default(),
            fpc: Vec::new(),
            fpc_conflict: None,
            units: Vec::new(),
            unit_keys: Vec::new(),
            unit_rows: Vec::new(),
            last: None,
            slot_of: vec![Vec::new(); plan.groupings.len()],
            slots: vec![(0, 0)],
            blocks: Vec::new(),
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
        self.blocks.push(Vec::new());
        u
    }

    /// The unit of a row, looked up once per run of rows of one PSU.
    fn unit_of(&mut self, stratum: &[u8], psu: &[u8]) -> (u32, u32) {
        let psu = if self.psus_given { psu } else { b"" };
        if let Some((s, p, u)) = &self.last {
            if s == stratum && p == psu {
                return (self.unit_keys[*u as usize].0, *u);
            }
        }
        let s = self.stratum(stratum);
        let u = self.unit(s, psu);
        match &mut self.last {
            Some((ls, lp, lu)) => {
                ls.clear();
                ls.extend_from_slice(stratum);
                lp.clear();
                lp.extend_from_slice(psu);
                *lu = u;
            }
            None => self.last = Some((stratum.to_vec(), psu.to_vec(), u)),
        }
        (s, u)
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

    /// The slot of value `v` (the tally's index; 0 is blank) of grouping column `g`.
    fn slot(&mut self, g: usize, v: u32) -> u32 {
        let of = &mut self.slot_of[g];
        if of.len() <= v as usize {
            of.resize(v as usize + 1, NO_SLOT);
        }
        if of[v as usize] == NO_SLOT {
            of[v as usize] = self.slots.len() as u32;
            self.slots.push((g as u32 + 1, v));
        }
        of[v as usize]
    }

    /// Counts one valid row in its PSU; `kept`: the tally's value indices of its grouping
    /// columns when the screener kept it (an excluded respondent stays in the design,
    /// outside every base).
    pub fn add(
        &mut self,
        plan: &Plan,
        stratum: &[u8],
        psu: &[u8],
        eval: &Eval,
        kept: Option<&[u32]>,
    ) {
        let (s, u) = self.unit_of(stratum, psu);
        self.unit_rows[u as usize] += 1;
        self.note_fpc(s, eval.fpc);
        let Some(groups) = kept else { return };
        self.add_to(plan, u, 0, eval);
        for (g, &v) in groups.iter().enumerate() {
            if v != 0 {
                let slot = self.slot(g, v);
                self.add_to(plan, u, slot, eval);
            }
        }
    }

    fn add_to(&mut self, plan: &Plan, u: u32, slot: u32, eval: &Eval) {
        let block = self.block;
        let sums = &mut self.blocks[u as usize];
        let start = slot as usize * block;
        if sums.len() < start + block {
            sums.resize(start + block, 0.0);
        }
        let sums = &mut sums[start..start + block];
        let (w, w2) = (eval.weight, eval.weight * eval.weight);
        let k = self.item_slots;
        for (q, (&s, qp)) in eval.states.iter().zip(&plan.questions).enumerate() {
            if s == 0 {
                continue;
            }
            let at = self.offsets[q];
            sums[at] += 1.0;
            let counted = self.counted[q];
            let width = k + counted as usize;
            for i in 0..self.items[q] {
                if qp.unanswered(s, i) {
                    continue;
                }
                let slot = at + 1 + width * i;
                let chosen = !qp.selected(s, i) as usize;
                sums[slot + chosen] += w;
                if k == 4 {
                    sums[slot + 2 + chosen] += w2;
                }
                if counted {
                    sums[slot + k] += 1.0;
                }
            }
        }
    }

    /// Appends the sums of the next chunk (units and strata matched by name; `value` maps
    /// the next chunk's grouping value indices to this one's).
    pub fn absorb(&mut self, next: DesignAcc, value: impl Fn(usize, u32) -> u32) {
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
        let slots: Vec<u32> = next
            .slots
            .iter()
            .map(|&(g, v)| match g {
                0 => 0,
                g => self.slot(g as usize - 1, value(g as usize - 1, v)),
            })
            .collect();
        let block = self.block;
        for (k, from) in next.blocks.iter().enumerate() {
            let into = &mut self.blocks[units[k] as usize];
            for (slot, sums) in from.chunks(block).enumerate() {
                let start = slots[slot] as usize * block;
                if into.len() < start + block {
                    into.resize(start + block, 0.0);
                }
                for (a, b) in into[start..start + block].iter_mut().zip(sums) {
                    *a += b;
                }
            }
        }
    }

    /// The sums by domain; `value` gives the bytes of a grouping value index.
    pub fn finish(&self, value: impl Fn(usize, u32) -> Vec<u8>) -> DesignSums {
        let mut domains = Domains::default();
        for (u, blocks) in self.blocks.iter().enumerate() {
            for (slot, sums) in blocks.chunks(self.block).enumerate() {
                if sums.iter().all(|&x| x == 0.0) {
                    continue;
                }
                let key = match self.slots[slot] {
                    (0, _) => (0, Vec::new()),
                    (g, v) => (g, value(g as usize - 1, v)),
                };
                domains.entry(key).or_default().push((u, sums.to_vec()));
            }
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
            counted: self.counted.clone(),
            item_slots: self.item_slots,
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
    counted: Vec<bool>,
    item_slots: usize,
    /// (grouping + 1 or 0, value) → (unit, block), units ascending.
    domains: Domains,
}

/// One item's sums in one unit of a domain.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UnitItem {
    /// Respondents of the item's base in the unit.
    pub n: f64,
    pub wy: f64,
    pub wn: f64,
    pub w2y: f64,
    pub w2n: f64,
}

/// A design that cannot give a variance, and the column to fix.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignProblem {
    pub on: On,
    pub message: String,
}

/// The design column a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    Strata,
    Fpc,
}

impl DesignSums {
    /// Per stratum its PSUs and its finite population correction factor (1 − n/N, or 1);
    /// a problem for a stratum whose fpc varies or is smaller than its PSUs, and for a
    /// stratum with a single PSU unless the lonely-PSU rule says what it contributes.
    pub fn strata_factors(&self) -> Result<(Vec<u64>, Vec<f64>), DesignProblem> {
        if let Some((s, a, b)) = &self.fpc_conflict {
            return Err(DesignProblem {
                on: On::Fpc,
                message: format!(
                    "the fpc of stratum '{s}' is {a} on one row and {b} on another; it must be one value per stratum"
                ),
            });
        }
        let psus = self.stratum_psus();
        let fractions = self.fpc.iter().flatten().all(|&f| f <= 1.0);
        let mut factors = Vec::with_capacity(psus.len());
        for (h, (&n, fpc)) in psus.iter().zip(&self.fpc).enumerate() {
            factors.push(match fpc {
                None => 1.0,
                Some(fraction) if fractions => 1.0 - fraction,
                Some(size) if *size < n as f64 => {
                    return Err(DesignProblem {
                        on: On::Fpc,
                        message: format!(
                            "stratum '{}' has {n} PSUs in the sample but an fpc (population size) of {size}",
                            self.strata[h]
                        ),
                    })
                }
                Some(size) => (size - n as f64) / size,
            });
        }
        if self.lonely == LonelyPsu::Fail {
            if let Some(h) = (0..psus.len()).find(|&h| psus[h] == 1 && factors[h] >= 1e-7) {
                return Err(DesignProblem {
                    on: On::Strata,
                    message: format!(
                        "stratum '{}' has a single PSU, so its variance cannot be estimated; choose what it contributes with --lonely-psu adjust, average, remove or certainty (R's survey.lonely.psu)",
                        self.strata[h]
                    ),
                });
            }
        }
        Ok((psus, factors))
    }

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
        let k = self.item_slots;
        let counted = self.counted[q];
        let slot = at + 1 + (k + counted as usize) * item;
        let squares = k == 4;
        // Units with no respondent in the item's base are not in its domain.
        units
            .iter()
            .filter(|(_, b)| (if counted { b[slot + k] } else { b[at] }) > 0.0)
            .map(|(u, b)| {
                (
                    *u,
                    UnitItem {
                        n: if counted { b[slot + k] } else { b[at] },
                        wy: b[slot],
                        wn: b[slot + 1],
                        w2y: if squares { b[slot + 2] } else { 0.0 },
                        w2n: if squares { b[slot + 3] } else { 0.0 },
                    },
                )
            })
            .collect()
    }
}
