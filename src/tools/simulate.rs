//! `concerns simulate`: synthetic respondent-level data calibrated to the published study.
//!
//! Respondents are drawn from a small latent model (scepticism about AI, a tendency to tick
//! many boxes, generation effects), so concerns, preference and switching intent are
//! correlated as in real data. Each block of up to 5,728 respondents is then calibrated:
//! the fewest selections are flipped so that unweighted and weighted shares land on the
//! published percentages. Blocks are written as they are made, so any size streams.

use std::io::Write;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

pub const DEFAULT_N: u64 = 5728;
pub const DEFAULT_SEED: u64 = 20231201;
/// Published: 588 of 5,728 don't know what AI technology is.
pub(crate) const PUBLISHED_EXCLUDED: u64 = 588;
/// Published shares of Figure 1 in codebook order; "Other" (5%) is our documented assumption.
pub(crate) const CONCERN_TARGETS: [f64; 6] = [0.60, 0.46, 0.42, 0.34, 0.25, 0.05];
pub(crate) const PREFER_NO_AI_TARGET: f64 = 0.64;
pub(crate) const SWITCH_TARGET: f64 = 0.53;

pub(crate) const HEADER: [&str; 15] = [
    "respondent_id",
    "country",
    "generation",
    "gender",
    "weight",
    "ai_familiarity",
    "prefer_no_ai",
    "switch_intent",
    "concern_reach_person",
    "concern_job_loss",
    "concern_wrong_answers",
    "concern_data_security",
    "concern_bias",
    "concern_other",
    "concern_other_text",
];

const GENERATIONS: [&str; 4] = ["gen_z", "millennial", "gen_x", "boomer"];
/// Who answers the panel vs who lives in the population: the gap the weights correct.
const GENERATION_SAMPLE: [f64; 4] = [0.10, 0.40, 0.30, 0.20];
const GENERATION_POPULATION: [f64; 4] = [0.20, 0.27, 0.25, 0.28];
const GENDERS: [&str; 3] = ["female", "male", "other"];
const GENDER_SAMPLE: [f64; 3] = [0.58, 0.41, 0.01];
const GENDER_POPULATION: [f64; 3] = [0.51, 0.47, 0.02];
const COUNTRIES: [&str; 6] = ["us", "gb", "de", "fr", "au", "ca"];
const COUNTRY_SAMPLE: [f64; 6] = [0.42, 0.16, 0.12, 0.11, 0.10, 0.09];
const FAMILIARITY: [&str; 4] = [
    "very_familiar",
    "somewhat_familiar",
    "not_very_familiar",
    "dont_know_ai",
];

/// Older generations know AI less (screened out more) and are more sceptical.
const EXCLUSION_EFFECT: [f64; 4] = [-0.6, -0.3, 0.1, 0.6];
const SCEPTICISM_EFFECT: [f64; 4] = [-0.2, -0.1, 0.1, 0.25];
const VERY_FAMILIAR: [f64; 4] = [0.40, 0.33, 0.22, 0.14];
const SOMEWHAT_FAMILIAR: [f64; 4] = [0.45, 0.47, 0.48, 0.46];

/// Loading of each concern on scepticism, and generation effects (gen_z … boomer).
const CONCERN_SLOPE: [f64; 6] = [0.8, 0.6, 0.5, 0.6, 0.5, 0.3];
const CONCERN_GENERATION: [[f64; 4]; 6] = [
    [-0.45, -0.15, 0.15, 0.45], // older: harder to reach a person
    [0.15, 0.05, 0.0, -0.10],
    [0.10, 0.05, 0.0, -0.10],
    [-0.10, 0.0, 0.05, 0.15],
    [0.25, 0.10, -0.05, -0.20],
    [0.0, 0.0, 0.0, 0.0],
];
const PREFER_GENERATION: [f64; 4] = [-0.2, -0.1, 0.1, 0.25];
/// Younger customers switch more readily.
const SWITCH_GENERATION: [f64; 4] = [0.55, 0.25, -0.15, -0.55];
/// Share of "unsure" among those who would not switch.
const UNSURE_SHARE: f64 = 0.36;

const SKIP_CONCERN_ITEM: f64 = 0.003;
const SKIP_PREFER: f64 = 0.004;
const SKIP_SWITCH: f64 = 0.006;
const OTHER_TEXT_SHARE: f64 = 0.7;
const OTHER_TEXTS: [&str; 12] = [
    "Chatbots go in circles",
    "No way to escalate, it just loops",
    "Privacy of voice recordings",
    "It \"forgets\" what I said earlier",
    "Companies will use it to cut corners",
    "Hard to complain to a machine",
    "Accessibility for older relatives",
    "Scams pretending to be support bots",
    "Too many surveys after every chat",
    "Can't handle accents",
    "Won't understand complex problems, e.g. billing disputes",
    "Less accountability when things go wrong",
];

/// Calibration tolerance of weighted shares (absolute); well inside whole-percent rounding.
const WEIGHTED_TOLERANCE: f64 = 0.0005;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimOptions {
    pub n: u64,
    pub seed: u64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            n: DEFAULT_N,
            seed: DEFAULT_SEED,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Switch {
    Yes,
    Unsure,
    No,
}

struct Respondent {
    country: usize,
    generation: usize,
    gender: usize,
    familiarity: usize,
    weight: f64,
    scepticism: f64,
    breadth: f64,
    concerns: [Option<bool>; 6],
    prefer: Option<bool>,
    switch: Option<Switch>,
    other_text: Option<&'static str>,
}

impl Respondent {
    fn excluded(&self) -> bool {
        self.familiarity == 3
    }

    fn concern_count(&self) -> f64 {
        self.concerns.iter().filter(|c| **c == Some(true)).count() as f64
    }
}

/// Intercepts found on the first block so that expected shares equal the targets;
/// later blocks reuse them (same model), keeping big files fast.
#[derive(Clone, Copy)]
struct Intercepts {
    concerns: [f64; 6],
    prefer: f64,
    switch: f64,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The intercept a with mean(sigmoid(a + lin)) = target, by bisection.
/// The linear predictor of concern `k`.
fn concern_lin(p: &Respondent, k: usize) -> f64 {
    CONCERN_SLOPE[k] * p.scepticism + p.breadth + CONCERN_GENERATION[k][p.generation]
}

/// The linear predictor of preferring no AI.
fn prefer_lin(p: &Respondent) -> f64 {
    0.9 * p.scepticism + 0.25 * (p.concern_count() - 2.1) + PREFER_GENERATION[p.generation]
}

/// The linear predictor of switching to a competitor.
fn switch_lin(p: &Respondent) -> f64 {
    let reach = if p.concerns[0] == Some(true) {
        0.3
    } else {
        0.0
    };
    0.7 * p.scepticism + 0.2 * (p.concern_count() - 2.1) + reach + SWITCH_GENERATION[p.generation]
}

fn solve_intercept(lin: &[f64], target: f64) -> f64 {
    let (mut lo, mut hi) = (-12.0, 12.0);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        let mean = lin.iter().map(|l| sigmoid(mid + l)).sum::<f64>() / lin.len().max(1) as f64;
        if mean < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

fn draw_index(rng: &mut ChaCha8Rng, probs: &[f64]) -> usize {
    let u: f64 = rng.gen();
    let mut acc = 0.0;
    for (i, p) in probs.iter().enumerate() {
        acc += p;
        if u < acc {
            return i;
        }
    }
    probs.len() - 1
}

/// Flips the fewest answers so that the unweighted share is the closest count to `target`,
/// then swaps selected/unselected pairs with different weights until the weighted share is
/// within tolerance. `None` answers are outside the base (`none_in_base` false) or inside it
/// but fixed at "not selected" (`none_in_base` true, a skipped item of a multi-response set).
fn calibrate(
    rng: &mut ChaCha8Rng,
    values: &mut [Option<bool>],
    weights: &[f64],
    target: f64,
    none_in_base: bool,
) -> Vec<usize> {
    let in_base = |v: &Option<bool>| v.is_some() || none_in_base;
    let n = values.iter().filter(|v| in_base(v)).count();
    let mut flipped = Vec::new();
    if n == 0 {
        return flipped;
    }
    let want = (target * n as f64).round() as usize;
    let mut trues: Vec<usize> = (0..values.len())
        .filter(|&i| values[i] == Some(true))
        .collect();
    let mut falses: Vec<usize> = (0..values.len())
        .filter(|&i| values[i] == Some(false))
        .collect();
    if trues.len() < want {
        falses.shuffle(rng);
        let k = (want - trues.len()).min(falses.len());
        for i in falses.drain(..k) {
            values[i] = Some(true);
            trues.push(i);
            flipped.push(i);
        }
    } else if trues.len() > want {
        trues.shuffle(rng);
        let k = trues.len() - want;
        for i in trues.drain(..k) {
            values[i] = Some(false);
            falses.push(i);
            flipped.push(i);
        }
    }

    let total: f64 = (0..values.len())
        .filter(|&i| in_base(&values[i]))
        .map(|i| weights[i])
        .sum();
    let mut gap: f64 = trues.iter().map(|&i| weights[i]).sum::<f64>() - target * total;
    let tolerance = WEIGHTED_TOLERANCE * total;
    let mut attempts = 0;
    while gap.abs() > tolerance && attempts < 200_000 && !trues.is_empty() && !falses.is_empty() {
        attempts += 1;
        let a = rng.gen_range(0..trues.len());
        let b = rng.gen_range(0..falses.len());
        let (i, j) = (trues[a], falses[b]);
        let new_gap = gap - weights[i] + weights[j];
        if new_gap.abs() < gap.abs() {
            values[i] = Some(false);
            values[j] = Some(true);
            trues[a] = j;
            falses[b] = i;
            flipped.push(i);
            flipped.push(j);
            gap = new_gap;
        }
    }
    flipped
}

struct Simulator {
    rng: ChaCha8Rng,
    intercepts: Option<Intercepts>,
}

impl Simulator {
    fn normal(&mut self) -> f64 {
        self.rng.sample(StandardNormal)
    }

    fn block(&mut self, size: usize, excluded: usize) -> Vec<Respondent> {
        let mut people: Vec<Respondent> = (0..size).map(|_| self.person()).collect();
        self.screen(&mut people, excluded);
        post_stratify(&mut people);
        let kept: Vec<usize> = (0..people.len())
            .filter(|&i| !people[i].excluded())
            .collect();
        let intercepts = self.concerns(&mut people, &kept);
        self.attitudes(&mut people, &kept, intercepts);
        self.calibrate_block(&mut people, &kept);
        for &i in &kept {
            if people[i].concerns[5] == Some(true) && self.rng.gen::<f64>() < OTHER_TEXT_SHARE {
                people[i].other_text = Some(OTHER_TEXTS[self.rng.gen_range(0..OTHER_TEXTS.len())]);
            }
        }
        people
    }

    /// One respondent's demographics, familiarity and latent attitudes.
    fn person(&mut self) -> Respondent {
        let generation = draw_index(&mut self.rng, &GENERATION_SAMPLE);
        let gender = draw_index(&mut self.rng, &GENDER_SAMPLE);
        let country = draw_index(&mut self.rng, &COUNTRY_SAMPLE);
        let f = generation;
        let familiarity = draw_index(
            &mut self.rng,
            &[
                VERY_FAMILIAR[f],
                SOMEWHAT_FAMILIAR[f],
                1.0 - VERY_FAMILIAR[f] - SOMEWHAT_FAMILIAR[f],
            ],
        );
        let familiarity_effect = [-0.25, 0.0, 0.25][familiarity];
        let scepticism = self.normal() + SCEPTICISM_EFFECT[generation] + familiarity_effect;
        let breadth = 0.6 * self.normal();
        Respondent {
            country,
            generation,
            gender,
            familiarity,
            weight: 1.0,
            scepticism,
            breadth,
            concerns: [None; 6],
            prefer: None,
            switch: None,
            other_text: None,
        }
    }

    /// Screener: exactly `excluded` respondents, the least familiar with AI by propensity.
    fn screen(&mut self, people: &mut [Respondent], excluded: usize) {
        let mut propensity: Vec<(f64, usize)> = people
            .iter()
            .enumerate()
            .map(|(i, p)| (EXCLUSION_EFFECT[p.generation] + self.normal(), i))
            .collect();
        propensity.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, i) in propensity.iter().take(excluded) {
            people[i].familiarity = 3;
        }
    }

    /// Concerns: scepticism, breadth and generation, intercepts solved for the targets
    /// (on the first block; later blocks reuse them).
    fn concerns(&mut self, people: &mut [Respondent], kept: &[usize]) -> Intercepts {
        let intercepts = match self.intercepts {
            Some(x) => x,
            None => {
                let mut concerns = [0.0; 6];
                for (k, c) in concerns.iter_mut().enumerate() {
                    let l: Vec<f64> = kept.iter().map(|&i| concern_lin(&people[i], k)).collect();
                    *c = solve_intercept(&l, CONCERN_TARGETS[k]);
                }
                Intercepts {
                    concerns,
                    prefer: 0.0,
                    switch: 0.0,
                }
            }
        };
        for &i in kept {
            for k in 0..6 {
                let p = sigmoid(intercepts.concerns[k] + concern_lin(&people[i], k));
                let chosen = self.rng.gen::<f64>() < p;
                let skipped = self.rng.gen::<f64>() < SKIP_CONCERN_ITEM;
                people[i].concerns[k] = if skipped { None } else { Some(chosen) };
            }
            if people[i].concerns.iter().all(Option::is_none) {
                people[i].concerns[0] = Some(false);
            }
        }
        intercepts
    }

    /// Preference and switching follow scepticism and how many concerns were ticked.
    /// `first`: the intercepts so far (those of the concerns, on the first block).
    fn attitudes(&mut self, people: &mut [Respondent], kept: &[usize], first: Intercepts) {
        let intercepts = match self.intercepts {
            Some(x) => x,
            None => {
                let l: Vec<f64> = kept.iter().map(|&i| prefer_lin(&people[i])).collect();
                let prefer = solve_intercept(&l, PREFER_NO_AI_TARGET);
                let l: Vec<f64> = kept.iter().map(|&i| switch_lin(&people[i])).collect();
                let switch = solve_intercept(&l, SWITCH_TARGET);
                let x = Intercepts {
                    prefer,
                    switch,
                    ..first
                };
                self.intercepts = Some(x);
                x
            }
        };
        for &i in kept {
            let prefer =
                self.rng.gen::<f64>() < sigmoid(intercepts.prefer + prefer_lin(&people[i]));
            let switch =
                if self.rng.gen::<f64>() < sigmoid(intercepts.switch + switch_lin(&people[i])) {
                    Switch::Yes
                } else if self.rng.gen::<f64>() < UNSURE_SHARE {
                    Switch::Unsure
                } else {
                    Switch::No
                };
            let p = &mut people[i];
            p.prefer = (self.rng.gen::<f64>() >= SKIP_PREFER).then_some(prefer);
            p.switch = (self.rng.gen::<f64>() >= SKIP_SWITCH).then_some(switch);
        }
    }

    fn calibrate_block(&mut self, people: &mut [Respondent], kept: &[usize]) {
        let weights: Vec<f64> = kept.iter().map(|&i| people[i].weight).collect();
        for (k, &target) in CONCERN_TARGETS.iter().enumerate() {
            let mut v: Vec<Option<bool>> = kept.iter().map(|&i| people[i].concerns[k]).collect();
            calibrate(&mut self.rng, &mut v, &weights, target, true);
            for (j, &i) in kept.iter().enumerate() {
                people[i].concerns[k] = v[j];
            }
        }
        let mut v: Vec<Option<bool>> = kept.iter().map(|&i| people[i].prefer).collect();
        calibrate(&mut self.rng, &mut v, &weights, PREFER_NO_AI_TARGET, false);
        for (j, &i) in kept.iter().enumerate() {
            people[i].prefer = v[j];
        }
        let mut v: Vec<Option<bool>> = kept
            .iter()
            .map(|&i| people[i].switch.map(|s| s == Switch::Yes))
            .collect();
        let flipped = calibrate(&mut self.rng, &mut v, &weights, SWITCH_TARGET, false);
        for j in flipped {
            let i = kept[j];
            people[i].switch = match v[j] {
                Some(true) => Some(Switch::Yes),
                _ if self.rng.gen::<f64>() < UNSURE_SHARE => Some(Switch::Unsure),
                _ => Some(Switch::No),
            };
        }
    }
}

/// Post-stratification on generation × gender: each cell's weights sum to its population
/// share of the block; rounded to 4 decimals as written, so readers see the same numbers.
fn post_stratify(people: &mut [Respondent]) {
    let mut cells = [[0usize; 3]; 4];
    for p in people.iter() {
        cells[p.generation][p.gender] += 1;
    }
    // Population shares of the cells present in this block, renormalised.
    let present: f64 = (0..4)
        .flat_map(|g| (0..3).map(move |s| (g, s)))
        .filter(|&(g, s)| cells[g][s] > 0)
        .map(|(g, s)| GENERATION_POPULATION[g] * GENDER_POPULATION[s])
        .sum();
    let n = people.len() as f64;
    for p in people.iter_mut() {
        let pop = GENERATION_POPULATION[p.generation] * GENDER_POPULATION[p.gender] / present;
        let w = pop * n / cells[p.generation][p.gender] as f64;
        p.weight = (w * 10_000.0).round() / 10_000.0;
    }
}

fn flag(v: Option<bool>, yes: &'static str, no: &'static str) -> &'static str {
    match v {
        Some(true) => yes,
        Some(false) => no,
        None => "",
    }
}

/// Writes `opts.n` respondents as canonical CSV to `out`, block by block.
pub fn simulate<W: Write>(opts: SimOptions, out: W) -> std::io::Result<()> {
    let mut sim = Simulator {
        rng: ChaCha8Rng::seed_from_u64(opts.seed),
        intercepts: None,
    };
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    let width = opts.n.to_string().len().max(6);
    let mut next_id: u64 = 1;
    let mut remaining = opts.n;
    while remaining > 0 {
        let size = remaining.min(DEFAULT_N);
        let excluded =
            (size as f64 * PUBLISHED_EXCLUDED as f64 / DEFAULT_N as f64).round() as usize;
        let people = sim.block(size as usize, excluded);
        for p in &people {
            let id = format!("syn-{next_id:0width$}");
            next_id += 1;
            let weight = format!("{:.4}", p.weight);
            let switch = match p.switch {
                Some(Switch::Yes) => "yes",
                Some(Switch::Unsure) => "unsure",
                Some(Switch::No) => "no",
                None => "",
            };
            let mut record: Vec<&str> = vec![
                &id,
                COUNTRIES[p.country],
                GENERATIONS[p.generation],
                GENDERS[p.gender],
                &weight,
                FAMILIARITY[p.familiarity],
                flag(p.prefer, "yes", "no"),
                switch,
            ];
            record.extend(p.concerns.iter().map(|c| flag(*c, "1", "0")));
            record.push(p.other_text.unwrap_or(""));
            w.write_record(&record)?;
        }
        remaining -= size;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intercept_solver_hits_the_target_mean() {
        let lin: Vec<f64> = (0..100).map(|i| (i as f64 - 50.0) / 25.0).collect();
        let a = solve_intercept(&lin, 0.3);
        let mean = lin.iter().map(|l| sigmoid(a + l)).sum::<f64>() / 100.0;
        assert!((mean - 0.3).abs() < 1e-9);
    }

    #[test]
    fn calibration_lands_on_the_target_both_ways() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let weights: Vec<f64> = (0..1000)
            .map(|i| if i % 3 == 0 { 2.0 } else { 0.5 })
            .collect();
        let mut v: Vec<Option<bool>> = (0..1000).map(|i| Some(i % 2 == 0)).collect();
        v[10] = None;
        calibrate(&mut rng, &mut v, &weights, 0.42, false);
        let base: Vec<usize> = (0..1000).filter(|&i| v[i].is_some()).collect();
        let yes = base.iter().filter(|&&i| v[i] == Some(true)).count();
        assert_eq!(yes, (0.42f64 * 999.0).round() as usize);
        let w: f64 = base.iter().map(|&i| weights[i]).sum();
        let wy: f64 = base
            .iter()
            .filter(|&&i| v[i] == Some(true))
            .map(|&i| weights[i])
            .sum();
        assert!((wy / w - 0.42).abs() <= WEIGHTED_TOLERANCE, "{}", wy / w);
        assert_eq!(v[10], None);
    }

    #[test]
    fn tiny_files_do_not_hang_or_panic() {
        for n in [1, 2, 7, 30] {
            let mut out = Vec::new();
            simulate(SimOptions { n, seed: 1 }, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert_eq!(text.lines().count() as u64, n + 1, "n = {n}");
        }
    }
}
