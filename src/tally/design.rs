//! Sums per primary sampling unit, for designs with strata and clusters. A question's
//! standard error under such a design needs, for every PSU, the weighted sums of the
//! selecting and the not-selecting respondents of its base (and of each group's base):
//! additive, so one pass and chunk merging work as for the tally, and the memory grows
//! with the number of PSUs, not of rows. Without a PSU column every respondent is its own
//! PSU and the sums are kept per stratum, squares included.
//!
//! As in the tally, decimal weights are summed exactly (billionths and their squares), and
//! strata and PSUs are put in the order of their names at the end: the sums, and the
//! variances made from them, do not depend on the order of the rows, their chunking, or
//! whether they came from the rows or from an engine's sums (`concerns sql`).

use rustc_hash::FxHashMap;

use crate::codebook::LonelyPsu;
use crate::plan::{Eval, Plan, QuestionPlan, State, FIXED_ONE};
use crate::tally::Mass;

/// Slots of one item in a block: Σw·y, Σw·(1−y), and when every respondent is its own
/// PSU also Σw²·y, Σw²·(1−y).
fn item_slots(psus_given: bool) -> usize {
    if psus_given {
        2
    } else {
        4
    }
}

/// What a slot of a block holds, for turning it into a number. Counts and Σw take one
/// word (a u64; the rare carry past 2^64 is kept apart), Σw² two (low, high).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Count,
    Weight,
    Square,
}

impl Slot {
    fn words(self) -> usize {
        match self {
            Slot::Square => 2,
            _ => 1,
        }
    }
}

/// The running sums of one pass (or one chunk).
#[derive(Debug, Clone)]
pub struct DesignAcc {
    /// What a block of sums holds (the same for every unit and domain).
    shape: BlockShape,
    psus_given: bool,
    lonely: LonelyPsu,
    strata: Vec<Vec<u8>>,
    strata_index: FxHashMap<Vec<u8>, u32>,
    /// Per stratum: the least and the greatest fpc seen.
    fpc: Vec<Option<(f64, f64)>>,
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
    /// Per unit: one block of exact sums per slot (grown as slots appear), and the same
    /// for the sums of weights that are not decimals (empty until one is seen).
    blocks: Vec<Vec<u64>>,
    floats: Vec<Vec<f64>>,
    /// (unit, word) → how many times the word passed 2^64.
    carries: FxHashMap<(u32, u32), u64>,
    /// More than [`MAX_PSUS`] units or strata were seen.
    overflow: bool,
    /// Kept rows not yet added to the sums (a chunk touching many units), and whether this
    /// pass may still hold rows back.
    held: Held,
    holds: bool,
}

/// A chunk's kept rows, as they came, once the chunk has touched more than [`HOLD_FROM`]
/// units (rows in random PSU order): added to the absorbing pass's sums in file order, so
/// a chunk in flight costs its rows (tens of bytes each), not a block of sums for every
/// unit of the design. Files sorted by PSU never hold: a chunk touches a few units.
#[derive(Debug, Clone, Default)]
struct Held {
    units: Vec<u32>,
    /// The weight in billionths (0 when it is not a decimal), and as a number.
    weights: Vec<(u64, f64)>,
    /// Per row, one state per question and one value index per grouping column.
    states: Vec<State>,
    groups: Vec<u32>,
}

/// Units a pass sums in blocks before it holds its rows back.
const HOLD_FROM: usize = 512;
/// Rows a pass holds back at most; past them it adds them to its own sums (a pass that
/// reads the whole file, as the Parquet sums reader's, becomes the total).
const HOLD_MOST: usize = 1 << 18;

/// The layout of one block of sums: per question its slots, and what each slot and word holds.
#[derive(Debug, Clone)]
struct BlockShape {
    /// Per question: where its slots start in a block (its base count first), its items,
    /// and whether each item also counts its own base (`base = "each_item"`).
    offsets: Vec<usize>,
    items: Vec<usize>,
    counted: Vec<bool>,
    /// What each slot of a block holds; per question where its words start; the words of
    /// a block.
    layout: Vec<Slot>,
    words: Vec<usize>,
    /// What each word of a block holds: `None` for the high word of a square.
    kinds: Vec<Option<Slot>>,
    block: usize,
    item_slots: usize,
}

/// Primary sampling units (and strata) a design may have. Each costs its sums in memory
/// (about a kilobyte for the bundled codebook), and a column with a value per respondent is
/// no PSU column: a design whose every respondent is its own PSU needs no --psu.
pub const MAX_PSUS: usize = 100_000;

const NO_SLOT: u32 = u32::MAX;

impl DesignAcc {
    pub fn new(plan: &Plan) -> Option<DesignAcc> {
        let d = plan.design.as_ref()?;
        let items: Vec<usize> = plan.questions.iter().map(QuestionPlan::rows).collect();
        let counted: Vec<bool> = plan.questions.iter().map(QuestionPlan::each_item).collect();
        let item_slots = item_slots(d.psu.is_some());
        let mut offsets = Vec::new();
        let mut words = Vec::new();
        let mut layout: Vec<Slot> = Vec::new();
        for (&n, &c) in items.iter().zip(&counted) {
            offsets.push(layout.len());
            words.push(layout.iter().map(|s| s.words()).sum());
            layout.push(Slot::Count);
            for _ in 0..n {
                layout.extend([Slot::Weight, Slot::Weight]);
                if item_slots == 4 {
                    layout.extend([Slot::Square, Slot::Square]);
                }
                if c {
                    layout.push(Slot::Count);
                }
            }
        }
        let shape = BlockShape {
            offsets,
            items,
            counted,
            block: layout.iter().map(|s| s.words()).sum(),
            kinds: layout
                .iter()
                .flat_map(|&s| [Some(s), None].into_iter().take(s.words()))
                .collect(),
            layout,
            words,
            item_slots,
        };
        Some(DesignAcc {
            shape,
            psus_given: d.psu.is_some(),
            lonely: d.lonely,
            strata: Vec::new(),
            strata_index: FxHashMap::default(),
            fpc: Vec::new(),
            units: Vec::new(),
            unit_keys: Vec::new(),
            unit_rows: Vec::new(),
            last: None,
            slot_of: vec![Vec::new(); plan.groupings.len()],
            slots: vec![(0, 0)],
            blocks: Vec::new(),
            floats: Vec::new(),
            carries: FxHashMap::default(),
            overflow: false,
            held: Held::default(),
            holds: true,
        })
    }

    fn stratum(&mut self, name: &[u8]) -> u32 {
        if let Some(&s) = self.strata_index.get(name) {
            return s;
        }
        // Past the most units, memory stays bounded and the finish says so.
        if self.strata.len() >= MAX_PSUS {
            self.overflow = true;
            return MAX_PSUS as u32 - 1;
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
        if self.unit_keys.len() >= MAX_PSUS {
            self.overflow = true;
            return MAX_PSUS as u32 - 1;
        }
        let u = self.unit_keys.len() as u32;
        self.units[stratum as usize].insert(psu.to_vec(), u);
        self.unit_keys.push((stratum, psu.to_vec()));
        self.unit_rows.push(0);
        self.blocks.push(Vec::new());
        self.floats.push(Vec::new());
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

    fn note_fpc(&mut self, stratum: u32, fpc: Option<(f64, f64)>) {
        let Some((lo, hi)) = fpc else { return };
        let seen = &mut self.fpc[stratum as usize];
        *seen = Some(match *seen {
            None => (lo, hi),
            Some((a, b)) => (a.min(lo), b.max(hi)),
        });
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
        self.note_fpc(s, eval.fpc.map(|f| (f, f)));
        let Some(groups) = kept else { return };
        if self.holds && self.unit_keys.len() > HOLD_FROM {
            let h = &mut self.held;
            h.units.push(u);
            h.weights.push((eval.fixed.unwrap_or(0), eval.weight));
            h.states.extend_from_slice(&eval.states);
            h.groups.extend_from_slice(groups);
            if h.units.len() >= HOLD_MOST {
                self.settle(plan);
            }
            return;
        }
        self.add_row(plan, u, groups, &eval.states, Mass::of(eval));
    }

    fn add_row(&mut self, plan: &Plan, u: u32, groups: &[u32], states: &[State], mass: Mass) {
        for (q, (&state, qp)) in states.iter().zip(&plan.questions).enumerate() {
            if state != 0 {
                self.add_domains(qp, u, groups, (q, state), mass);
            }
        }
    }

    #[cfg(test)]
    pub fn held_rows(&self) -> usize {
        self.held.units.len()
    }

    /// Adds the rows held back to the sums; the pass holds none from now on.
    pub fn settle(&mut self, plan: &Plan) {
        self.holds = false;
        let held = std::mem::take(&mut self.held);
        self.replay(plan, &held, |u| u, |_, v| v);
    }

    /// Adds held rows, their units and grouping values mapped to this pass's.
    fn replay(
        &mut self,
        plan: &Plan,
        held: &Held,
        unit: impl Fn(u32) -> u32,
        value: impl Fn(usize, u32) -> u32,
    ) {
        let (q, g) = (plan.questions.len(), plan.groupings.len());
        let mut groups = vec![0u32; g];
        for (k, (&u, &(fixed, w))) in held.units.iter().zip(&held.weights).enumerate() {
            for (j, (to, &v)) in groups.iter_mut().zip(&held.groups[k * g..]).enumerate() {
                *to = if v == 0 { 0 } else { value(j, v) };
            }
            let mass = Mass::of_weight(fixed, w);
            self.add_row(
                plan,
                unit(u),
                &groups,
                &held.states[k * q..(k + 1) * q],
                mass,
            );
        }
    }

    /// Valid rows of a unit (from sums), with the unit's fpc if the design has one.
    pub fn add_unit(&mut self, stratum: &[u8], psu: &[u8], fpc: Option<f64>, rows: u64) {
        let (s, u) = self.unit_of(stratum, psu);
        self.unit_rows[u as usize] += rows;
        self.note_fpc(s, fpc.map(|f| (f, f)));
    }

    /// Kept respondents of a unit (from sums) with answer state `state` of question `q` and
    /// grouping values `groups` (the tally's value indices).
    pub fn add_sums(
        &mut self,
        plan: &Plan,
        (stratum, psu): (&[u8], &[u8]),
        groups: &[u32],
        (q, state): (usize, State),
        mass: Mass,
    ) {
        let (_, u) = self.unit_of(stratum, psu);
        if state != 0 {
            self.add_domains(&plan.questions[q], u, groups, (q, state), mass);
        }
    }

    /// Kept respondents of a unit (from sums kept per item) in question `q`: its base
    /// (`row` None), or row `row`'s selecting or answering-but-not-selecting respondents.
    pub fn add_item_sums(
        &mut self,
        (stratum, psu): (&[u8], &[u8]),
        groups: &[u32],
        (q, row, selected): (usize, Option<usize>, bool),
        mass: Mass,
    ) {
        let (_, u) = self.unit_of(stratum, psu);
        self.add_item_to(u, 0, (q, row, selected), mass);
        for (g, &v) in groups.iter().enumerate() {
            if v != 0 {
                let slot = self.slot(g, v);
                self.add_item_to(u, slot, (q, row, selected), mass);
            }
        }
    }

    /// The words of one row of one question in one slot of a unit, as [`DesignAcc::add_to`]
    /// fills them from a state.
    fn add_item_to(
        &mut self,
        u: u32,
        slot: u32,
        (q, row, selected): (usize, Option<usize>, bool),
        m: Mass,
    ) {
        let block = self.shape.block;
        let start = slot as usize * block;
        let ui = u as usize;
        self.ensure_slot(ui, start + block, m.has_floats());
        let at = start + self.shape.words[q];
        let Some(i) = row else {
            self.add_word(u, at, m.n as u128);
            return;
        };
        let squares = self.shape.item_slots == 4;
        let counted = self.shape.counted[q];
        let width = 2 + 4 * squares as usize + counted as usize;
        let word = at + 1 + width * i;
        let chosen = !selected as usize;
        self.add_word(u, word + chosen, m.fixed);
        if counted {
            self.add_word(u, word + width - 1, m.n as u128);
        }
        if squares {
            // Σw² in two words (low, high), carried as in add_to.
            let lo = word + 2 + 2 * chosen;
            let sums = &mut self.blocks[ui];
            let (low, carry) = sums[lo].overflowing_add(m.fixed2 as u64);
            sums[lo] = low;
            sums[lo + 1] = sums[lo + 1]
                .wrapping_add((m.fixed2 >> 64) as u64)
                .wrapping_add(carry as u64);
        }
        if m.has_floats() {
            let f = &mut self.floats[ui];
            f[word + chosen] += m.w;
            if squares {
                f[word + 2 + 2 * chosen] += m.w2;
            }
        }
    }

    /// A unit's blocks (and float blocks, when `floats`) at least `len` words long, grown
    /// exactly: a unit holds the slots it has respondents in, nothing spare.
    fn ensure_slot(&mut self, ui: usize, len: usize, floats: bool) {
        fn grow<T: Clone>(v: &mut Vec<T>, len: usize, zero: T) {
            if v.len() < len {
                v.reserve_exact(len - v.len());
                v.resize(len, zero);
            }
        }
        grow(&mut self.blocks[ui], len, 0);
        if floats {
            grow(&mut self.floats[ui], len, 0.0);
        }
    }

    /// Adds to everyone kept and to each group of the respondents.
    fn add_domains(
        &mut self,
        qp: &QuestionPlan,
        u: u32,
        groups: &[u32],
        (q, state): (usize, State),
        mass: Mass,
    ) {
        self.add_to(qp, u, 0, (q, state), mass);
        for (g, &v) in groups.iter().enumerate() {
            if v != 0 {
                let slot = self.slot(g, v);
                self.add_to(qp, u, slot, (q, state), mass);
            }
        }
    }

    fn add_to(
        &mut self,
        qp: &QuestionPlan,
        u: u32,
        slot: u32,
        (q, state): (usize, State),
        m: Mass,
    ) {
        let block = self.shape.block;
        let start = slot as usize * block;
        let ui = u as usize;
        let floats = m.has_floats();
        self.ensure_slot(ui, start + block, floats);
        let squares = self.shape.item_slots == 4;
        let at = self.shape.words[q];
        let counted = self.shape.counted[q];
        // Words of an item: Σw·y, Σw·(1−y), then Σw²·y and Σw²·(1−y) in two words each,
        // then its base count.
        let width = 2 + 4 * squares as usize + counted as usize;
        let sums = &mut self.blocks[ui][start..start + block];
        // What passes 2^64 in a one-word sum (rare: 1.8·10^10 in weight), kept apart.
        let mut passed: Vec<(usize, u64)> = Vec::new();
        let mut add = |j: usize, x: u128| {
            let (low, carry) = sums[j].overflowing_add(x as u64);
            sums[j] = low;
            let high = (x >> 64) as u64 + carry as u64;
            if high > 0 {
                passed.push((j, high));
            }
        };
        add(at, m.n as u128);
        for i in 0..self.shape.items[q] {
            if qp.unanswered(state, i) {
                continue;
            }
            let word = at + 1 + width * i;
            let chosen = !qp.selected(state, i) as usize;
            add(word + chosen, m.fixed);
            if counted {
                add(word + width - 1, m.n as u128);
            }
        }
        if squares {
            for i in 0..self.shape.items[q] {
                if qp.unanswered(state, i) {
                    continue;
                }
                let lo = at + 1 + width * i + 2 + 2 * !qp.selected(state, i) as usize;
                let (low, carry) = sums[lo].overflowing_add(m.fixed2 as u64);
                sums[lo] = low;
                sums[lo + 1] = sums[lo + 1]
                    .wrapping_add((m.fixed2 >> 64) as u64)
                    .wrapping_add(carry as u64);
            }
        }
        for (j, high) in passed {
            *self.carries.entry((u, (start + j) as u32)).or_default() += high;
        }
        if floats {
            let f = &mut self.floats[ui][start..start + block];
            for i in 0..self.shape.items[q] {
                if qp.unanswered(state, i) {
                    continue;
                }
                let word = at + 1 + width * i;
                let chosen = !qp.selected(state, i) as usize;
                f[word + chosen] += m.w;
                if squares {
                    f[word + 2 + 2 * chosen] += m.w2;
                }
            }
        }
    }

    /// Adds `x` to a one-word sum, keeping what passes 2^64 apart.
    fn add_word(&mut self, u: u32, word: usize, x: u128) {
        let sum = &mut self.blocks[u as usize][word];
        let (low, carry) = sum.overflowing_add(x as u64);
        *sum = low;
        let high = (x >> 64) as u64 + carry as u64;
        if high > 0 {
            *self.carries.entry((u, word as u32)).or_default() += high;
        }
    }

    /// Appends the sums of the next chunk (units and strata matched by name; `value` maps
    /// the next chunk's grouping value indices to this one's).
    pub fn absorb(&mut self, plan: &Plan, next: DesignAcc, value: impl Fn(usize, u32) -> u32) {
        // The pass that absorbs is the total: it sums every unit, whatever it held.
        if self.holds {
            self.settle(plan);
        }
        self.overflow |= next.overflow;
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
        let slots: Vec<u32> = next
            .slots
            .iter()
            .map(|&(g, v)| match g {
                0 => 0,
                g => self.slot(g as usize - 1, value(g as usize - 1, v)),
            })
            .collect();
        let block = self.shape.block;
        for (&(u, word), &high) in &next.carries {
            let word = slots[word as usize / block] as usize * block + word as usize % block;
            *self
                .carries
                .entry((units[u as usize], word as u32))
                .or_default() += high;
        }
        for (k, (from, floats)) in next.blocks.iter().zip(&next.floats).enumerate() {
            let u = units[k] as usize;
            for (slot, sums) in from.chunks(block).enumerate() {
                let start = slots[slot] as usize * block;
                if self.blocks[u].len() < start + block {
                    self.blocks[u].resize(start + block, 0);
                }
                self.add_block(u, start, sums);
            }
            for (slot, sums) in floats.chunks(block).enumerate() {
                let start = slots[slot] as usize * block;
                let into = &mut self.floats[u];
                if into.len() < start + block {
                    into.resize(start + block, 0.0);
                }
                for (a, b) in into[start..start + block].iter_mut().zip(sums) {
                    *a += b;
                }
            }
        }
        self.replay(plan, &next.held, |u| units[u as usize], value);
    }

    /// Adds one slot's block of another pass's sums into unit `u` at word `start`, carries
    /// kept apart.
    fn add_block(&mut self, u: usize, start: usize, sums: &[u64]) {
        let block = self.shape.block;
        if self.shape.item_slots == 2 {
            // One word per slot (no squares): the common, many-PSU case.
            let into = &mut self.blocks[u][start..start + block];
            let mut passed = Vec::new();
            for (j, (a, &b)) in into.iter_mut().zip(sums).enumerate() {
                let (low, carry) = a.overflowing_add(b);
                *a = low;
                if carry {
                    passed.push(start + j);
                }
            }
            for word in passed {
                *self.carries.entry((u as u32, word as u32)).or_default() += 1;
            }
            return;
        }
        for (j, &b) in sums.iter().enumerate() {
            match self.shape.kinds[j] {
                // The high word of a square: its low word carried into it already.
                None => {}
                Some(Slot::Square) => {
                    let into = &mut self.blocks[u];
                    let (low, carry) = into[start + j].overflowing_add(b);
                    into[start + j] = low;
                    into[start + j + 1] = into[start + j + 1]
                        .wrapping_add(sums[j + 1])
                        .wrapping_add(carry as u64);
                }
                Some(_) => self.add_word(u as u32, start + j, b as u128),
            }
        }
    }

    /// Slot `slot` of unit `u` as numbers, one per slot of the layout: counts, Σw, Σw².
    fn numbers(&self, u: usize, slot: usize, (blocks, floats): (&[u64], &[f64])) -> Vec<f64> {
        let one = FIXED_ONE as f64;
        let start = slot * self.shape.block;
        let words = &blocks[start..start + self.shape.block];
        let floats = floats.get(start..start + self.shape.block);
        let mut out = Vec::with_capacity(self.shape.layout.len());
        let mut j = 0;
        for kind in &self.shape.layout {
            let float = floats.map_or(0.0, |f| f[j]);
            out.push(match kind {
                Slot::Count | Slot::Weight => {
                    let high = self
                        .carries
                        .get(&(u as u32, (start + j) as u32))
                        .copied()
                        .unwrap_or(0);
                    let x = ((high as u128) << 64 | words[j] as u128) as f64;
                    if *kind == Slot::Count {
                        x
                    } else {
                        x / one + float
                    }
                }
                Slot::Square => {
                    let x = ((words[j + 1] as u128) << 64 | words[j] as u128) as f64;
                    x / (one * one) + float
                }
            });
            j += kind.words();
        }
        out
    }

    /// The sums by domain, strata and units in the order of their names; `value` gives the
    /// bytes of a grouping value index.
    /// Each unit's blocks are freed as they become numbers: the sums are not held twice.
    pub fn finish(&mut self, value: impl Fn(usize, u32) -> Vec<u8>) -> DesignSums {
        let mut strata_order: Vec<u32> = (0..self.strata.len() as u32).collect();
        strata_order.sort_by(|&a, &b| self.strata[a as usize].cmp(&self.strata[b as usize]));
        let mut stratum_rank = vec![0usize; self.strata.len()];
        for (rank, &s) in strata_order.iter().enumerate() {
            stratum_rank[s as usize] = rank;
        }
        let mut unit_order: Vec<usize> = (0..self.unit_keys.len()).collect();
        unit_order.sort_by(|&a, &b| {
            let (sa, pa) = &self.unit_keys[a];
            let (sb, pb) = &self.unit_keys[b];
            (stratum_rank[*sa as usize], pa).cmp(&(stratum_rank[*sb as usize], pb))
        });
        let mut domains = Domains::default();
        for (rank, &u) in unit_order.iter().enumerate() {
            let blocks = std::mem::take(&mut self.blocks[u]);
            let floats = std::mem::take(&mut self.floats[u]);
            for (slot, sums) in blocks.chunks(self.shape.block).enumerate() {
                // Each respondent of a slot adds one to its question's base count.
                if sums.iter().all(|&x| x == 0) {
                    continue;
                }
                let key = match self.slots[slot] {
                    (0, _) => (0, Vec::new()),
                    (g, v) => (g, value(g as usize - 1, v)),
                };
                domains
                    .entry(key)
                    .or_default()
                    .push((rank, self.numbers(u, slot, (&blocks, &floats))));
            }
        }
        let name = |s: u32| String::from_utf8_lossy(&self.strata[s as usize]).into_owned();
        let fpc: Vec<Option<(f64, f64)>> =
            strata_order.iter().map(|&s| self.fpc[s as usize]).collect();
        DesignSums {
            strata: strata_order.iter().map(|&s| name(s)).collect(),
            fpc: fpc.iter().map(|f| f.map(|(lo, _)| lo)).collect(),
            fpc_conflict: strata_order.iter().zip(&fpc).find_map(|(&s, f)| match f {
                Some((lo, hi)) if lo != hi => Some((name(s), *lo, *hi)),
                _ => None,
            }),
            unit_stratum: unit_order
                .iter()
                .map(|&u| stratum_rank[self.unit_keys[u].0 as usize])
                .collect(),
            unit_rows: unit_order.iter().map(|&u| self.unit_rows[u]).collect(),
            psus_given: self.psus_given,
            lonely: self.lonely,
            offsets: self.shape.offsets.clone(),
            counted: self.shape.counted.clone(),
            item_slots: self.shape.item_slots,
            domains,
            overflow: self.overflow,
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
    /// More than [`MAX_PSUS`] units or strata: no variance is given.
    overflow: bool,
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
    Psu,
    Fpc,
}

impl DesignSums {
    /// Per stratum its PSUs and its finite population correction factor (1 − n/N, or 1);
    /// a problem for a stratum whose fpc varies or is smaller than its PSUs, and for a
    /// stratum with a single PSU unless the lonely-PSU rule says what it contributes.
    pub fn strata_factors(&self) -> Result<(Vec<u64>, Vec<f64>), DesignProblem> {
        if self.overflow {
            return Err(DesignProblem {
                on: if self.psus_given { On::Psu } else { On::Strata },
                message: format!(
                    "the design has more than {} primary sampling units (or strata), the most concerns keeps sums for; a column with a value per respondent is no PSU column (a design whose every respondent is its own PSU needs no --psu)",
                    crate::text::thousands(MAX_PSUS as u64)
                ),
            });
        }
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
