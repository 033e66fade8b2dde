//! The design's variances, as R `survey` computes them: one design object ([`Design`]) and
//! one engine ([`covariance`], R `svyrecvar` for one stage) that every statistic goes
//! through. A statistic hands the engine its estimating functions summed per PSU (its
//! [`Scores`]); the engine returns their covariance matrix. Shares, nets, differences of
//! groups, a group against the rest and the Rao–Scott cell covariance are all such scores.

use std::collections::{BTreeMap, BTreeSet};

use crate::stats::{BaseSums, ItemSums, LonelyPsu};
use crate::tally::design::{DesignSums, UnitItem};
use crate::tally::pass::GroupSums;

/// Where an item's respondents are: everyone kept (`None`) or one value of a grouping
/// column (its index, the value).
pub(super) type Domain<'v> = Option<(usize, &'v [u8])>;

/// An item of a question, by their places in the codebook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ItemAt {
    pub(super) question: usize,
    pub(super) item: usize,
}

/// One stratum's sums of `k` estimating functions: Σ_j z_j (per function) and Σ_j z_j z_jᵀ
/// (k × k, row-major) over its PSUs `j`, and whether the domain has respondents in it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct StratumScores {
    pub(super) total: Vec<f64>,
    pub(super) cross: Vec<f64>,
    pub(super) present: bool,
}

/// The covariance of `k` linearised estimates over strata and PSUs (R `svyrecvar`, one
/// stage): Σ_h (1 − f_h) n_h/(n_h − 1) Σ_j (z_hj − z̄_h)(z_hj − z̄_h)ᵀ, with `psus[h]` = n_h
/// and `fpc_factor[h]` = 1 − f_h. A stratum with one PSU follows `lonely`; `Err(h)` when
/// it fails there. A census stratum (factor 0) contributes nothing.
pub(super) fn covariance(
    psus: &[u64],
    fpc_factor: &[f64],
    strata: &[StratumScores],
    k: usize,
    lonely: LonelyPsu,
) -> Result<Vec<f64>, usize> {
    let mut v = vec![0.0; k * k];
    let (mut present, mut estimable) = (0usize, 0usize);
    for (h, st) in strata.iter().enumerate() {
        if !st.present {
            continue;
        }
        present += 1;
        let f = fpc_factor[h];
        if f < 1e-7 {
            estimable += 1;
            continue;
        }
        let n = psus[h] as f64;
        // Around the stratum's mean, or (a lonely PSU under "adjust") around zero.
        let (scale, centred) = if psus[h] > 1 {
            (f * n / (n - 1.0), true)
        } else {
            match lonely {
                LonelyPsu::Fail => return Err(h),
                LonelyPsu::Adjust => (f, false),
                LonelyPsu::Remove | LonelyPsu::Certainty => {
                    estimable += 1;
                    continue;
                }
                LonelyPsu::Average => continue,
            }
        };
        estimable += 1;
        for a in 0..k {
            for b in 0..k {
                let mean = if centred {
                    st.total[a] * st.total[b] / n
                } else {
                    0.0
                };
                v[a * k + b] += scale * (st.cross[a * k + b] - mean);
            }
        }
    }
    if estimable == 0 {
        let empty = if present == 0 { 0.0 } else { f64::NAN };
        return Ok(vec![empty; k * k]);
    }
    // "average": the strata that could not say take the mean of those that could.
    Ok(v.into_iter()
        .map(|x| x * present as f64 / estimable as f64)
        .collect())
}

/// The design of one analysis, ready for variances: per unit (PSU, or respondent when no
/// PSUs are given) its stratum and sums, per stratum its PSUs and finite population
/// correction factor, and the lonely-PSU rule.
pub(super) struct Design<'a> {
    pub(super) sums: &'a DesignSums,
    pub(super) psus: Vec<u64>,
    pub(super) fpc_factor: Vec<f64>,
}

/// Estimating functions being summed per PSU, stratum by stratum, for [`covariance`].
pub(super) struct Scores<'d, 'a> {
    design: &'d Design<'a>,
    k: usize,
    strata: Vec<StratumScores>,
}

impl Scores<'_, '_> {
    /// The stratum's part from one PSU's totals `z`.
    fn add_psu(&mut self, h: usize, z: &[f64]) {
        let st = &mut self.strata[h];
        st.present = true;
        for a in 0..self.k {
            st.total[a] += z[a];
            for b in 0..self.k {
                st.cross[a * self.k + b] += z[a] * z[b];
            }
        }
    }

    /// The stratum's part when its respondents are its PSUs: their totals `z` and
    /// Σ_i z_i z_iᵀ as the respondents' squared weights give it (`cross(a, b)`).
    fn add_respondents(&mut self, h: usize, z: &[f64], cross: impl Fn(usize, usize) -> f64) {
        let st = &mut self.strata[h];
        st.present = true;
        for a in 0..self.k {
            st.total[a] += z[a];
            for b in 0..self.k {
                st.cross[a * self.k + b] += cross(a, b);
            }
        }
    }

    /// The k × k covariance (`None` when the design cannot give it).
    fn covariance(&self) -> Option<Vec<f64>> {
        let d = self.design;
        covariance(&d.psus, &d.fpc_factor, &self.strata, self.k, d.sums.lonely).ok()
    }
}

/// The linearised share of one unit's item sums: (1 − p)·Σw·y − p·Σw·(1 − y), over w.
fn share_score(x: &UnitItem, p: f64, w: f64) -> f64 {
    ((1.0 - p) * x.wy - p * x.wn) / w
}

/// Σ_i z_i² of a share over the respondents of one unit (each its own PSU).
fn share_square(wy2: f64, wn2: f64, p: f64, w: f64) -> f64 {
    ((1.0 - p).powi(2) * wy2 + p * p * wn2) / (w * w)
}

impl<'a> Design<'a> {
    /// Scores of `k` estimating functions, empty.
    fn scores(&self, k: usize) -> Scores<'_, 'a> {
        let empty = StratumScores {
            total: vec![0.0; k],
            cross: vec![0.0; k * k],
            present: false,
        };
        Scores {
            design: self,
            k,
            strata: vec![empty; self.psus.len()],
        }
    }

    /// The stratum of unit `u`.
    fn stratum(&self, u: usize) -> usize {
        self.sums.unit_stratum[u]
    }

    /// Degrees of freedom of the design restricted to the respondents of `groups` (of
    /// grouping column `g`) in the base of `at`: their PSUs − their strata.
    pub(super) fn df_of(&self, groups: &[&GroupSums], g: usize, at: ItemAt) -> f64 {
        let mut units = BTreeMap::new();
        for s in groups {
            for (u, x) in self.item(Some((g, s.value.as_bytes())), at) {
                if x.n > 0.0 {
                    *units.entry(u).or_insert(0.0) += x.n;
                }
            }
        }
        let strata: BTreeSet<usize> = units.keys().map(|u| self.stratum(*u)).collect();
        let psus: f64 = if self.sums.psus_given {
            units.len() as f64
        } else {
            units.values().sum()
        };
        psus - strata.len() as f64
    }

    /// Degrees of freedom of a domain's design, as R `degf` of `subset(design, domain)`:
    /// its PSUs with respondents − its strata with respondents (those of `at`'s base).
    pub(super) fn df(&self, domain: Domain, at: ItemAt) -> f64 {
        let mut strata = BTreeSet::new();
        let mut psus = 0.0;
        for (u, x) in self.item(domain, at).iter().filter(|(_, x)| x.n > 0.0) {
            strata.insert(self.stratum(*u));
            psus += if self.sums.psus_given { 1.0 } else { x.n };
        }
        psus - strata.len() as f64
    }

    fn item(&self, domain: Domain, at: ItemAt) -> Vec<(usize, UnitItem)> {
        self.sums.item(domain, at.question, at.item)
    }

    /// The SE of `at`'s share in a domain with base sums `base` and item sums `item`.
    pub(super) fn se(
        &self,
        domain: Domain,
        at: ItemAt,
        base: &BaseSums,
        item: &ItemSums,
    ) -> Option<f64> {
        let w = base.w;
        if w <= 0.0 {
            return None;
        }
        let p = item.wy / w;
        let mut scores = self.scores(1);
        for (u, x) in self.item(domain, at) {
            let z = [share_score(&x, p, w)];
            if self.sums.psus_given {
                scores.add_psu(self.stratum(u), &z);
            } else {
                // Every respondent its own PSU: the unit is the stratum.
                let sq = share_square(x.w2y, x.w2n, p, w);
                scores.add_respondents(self.stratum(u), &z, |_, _| sq);
            }
        }
        scores
            .covariance()
            .map(|v| v[0])
            .filter(|v| v.is_finite())
            // A sum of squares: below zero only by rounding.
            .map(|v| v.max(0.0).sqrt())
    }

    /// The variance of the rest of the base's share (everyone in the base outside group
    /// `domain`) and its covariance with the group's, over the PSUs; `(p, Σw)` of each.
    pub(super) fn versus_rest(
        &self,
        domain: (usize, &[u8]),
        at: ItemAt,
        (pg, wg): (f64, f64),
        (pr, wr): (f64, f64),
    ) -> Option<(f64, f64)> {
        if wg <= 0.0 || wr <= 0.0 {
            return None;
        }
        let group: BTreeMap<usize, UnitItem> = self.item(Some(domain), at).into_iter().collect();
        let mut scores = self.scores(2);
        for (u, all) in self.item(None, at) {
            let own = group.get(&u).copied().unwrap_or_default();
            let rest = UnitItem {
                n: all.n - own.n,
                wy: all.wy - own.wy,
                wn: all.wn - own.wn,
                w2y: all.w2y - own.w2y,
                w2n: all.w2n - own.w2n,
            };
            let z = [share_score(&own, pg, wg), share_score(&rest, pr, wr)];
            if self.sums.psus_given {
                scores.add_psu(self.stratum(u), &z);
            } else {
                // Respondents are their own PSUs, each in the group or in the rest.
                let squares = [
                    share_square(own.w2y, own.w2n, pg, wg),
                    share_square(rest.w2y, rest.w2n, pr, wr),
                ];
                scores.add_respondents(
                    self.stratum(u),
                    &z,
                    |a, b| {
                        if a == b {
                            squares[a]
                        } else {
                            0.0
                        }
                    },
                );
            }
        }
        let v = scores.covariance()?;
        Some((v[3], v[1]))
    }

    /// The covariance of the cell shares `m` of a 2 × G table (`at` by the groups of
    /// grouping column `g`; cells as [`super::compare`]'s association orders them), whose
    /// weights sum to `wd`.
    pub(super) fn cell_cov(
        &self,
        groups: &[&GroupSums],
        (g, at): (usize, ItemAt),
        m: &[f64],
        wd: f64,
    ) -> Option<Vec<Vec<f64>>> {
        let k = m.len();
        // Per unit, each cell's Σw (and Σw² when respondents are their own PSUs).
        let mut units: BTreeMap<usize, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
        for (c, s) in groups.iter().enumerate() {
            for (u, x) in self.item(Some((g, s.value.as_bytes())), at) {
                let e = units
                    .entry(u)
                    .or_insert_with(|| (vec![0.0; k], vec![0.0; k]));
                e.0[2 * c] += x.wn;
                e.0[2 * c + 1] += x.wy;
                e.1[2 * c] += x.w2n;
                e.1[2 * c + 1] += x.w2y;
            }
        }
        let mut scores = self.scores(k);
        for (u, (w, sq)) in &units {
            let h = self.stratum(*u);
            let wu: f64 = w.iter().sum();
            let z: Vec<f64> = (0..k).map(|a| (w[a] - m[a] * wu) / wd).collect();
            if self.sums.psus_given {
                scores.add_psu(h, &z);
            } else {
                // Respondents are their own PSUs, each in one cell: Σ_i z_a z_b from the
                // cells' Σw² (the unit is the stratum).
                let sd: f64 = sq.iter().sum();
                scores.add_respondents(h, &z, |a, b| {
                    let own = if a == b { sq[a] } else { 0.0 };
                    (own - m[b] * sq[a] - m[a] * sq[b] + m[a] * m[b] * sd) / (wd * wd)
                });
            }
        }
        let v = scores.covariance()?;
        Some(v.chunks(k).map(<[f64]>::to_vec).collect())
    }

    /// The covariance of the shares of two disjoint domains (groups of one segment), each
    /// given with its share and Σw, over the PSUs they share (R `svyby(…, covmat = TRUE)`).
    pub(super) fn cov(
        &self,
        (da, pa, wa): ((usize, &[u8]), f64, f64),
        (db, pb, wb): ((usize, &[u8]), f64, f64),
        at: ItemAt,
    ) -> Option<f64> {
        if wa <= 0.0 || wb <= 0.0 {
            return None;
        }
        let za: BTreeMap<usize, f64> = (self.item(Some(da), at).into_iter())
            .map(|(u, x)| (u, share_score(&x, pa, wa)))
            .collect();
        let zb: BTreeMap<usize, f64> = (self.item(Some(db), at).into_iter())
            .map(|(u, x)| (u, share_score(&x, pb, wb)))
            .collect();
        let mut scores = self.scores(2);
        let units: BTreeSet<usize> = za.keys().chain(zb.keys()).copied().collect();
        for u in units {
            let z = [
                za.get(&u).copied().unwrap_or(0.0),
                zb.get(&u).copied().unwrap_or(0.0),
            ];
            if self.sums.psus_given {
                scores.add_psu(self.stratum(u), &z);
            } else {
                // Respondents are their own PSUs: no two groups share one.
                scores.add_respondents(self.stratum(u), &z, |_, _| 0.0);
            }
        }
        scores.covariance().map(|v| v[1]).filter(|v| v.is_finite())
    }
}

/// The covariance of the cell shares `m` of a table under weights only (every respondent
/// its own PSU, one stratum of `n`), from the cells' Σw² `s2`; the weights sum to `wd`.
pub(super) fn cell_cov_weighted(s2: &[f64], m: &[f64], n: f64, wd: f64) -> Vec<Vec<f64>> {
    let sd: f64 = s2.iter().sum();
    let k = m.len();
    (0..k)
        .map(|a| {
            (0..k)
                .map(|b| {
                    let own = if a == b { s2[a] } else { 0.0 };
                    n / (n - 1.0) * (own - m[b] * s2[a] - m[a] * s2[b] + m[a] * m[b] * sd)
                        / (wd * wd)
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-14 * b.abs().max(1.0)
    }

    /// A stratum from its PSU totals of k functions (each PSU a row).
    fn stratum(psu_totals: &[&[f64]]) -> StratumScores {
        let k = psu_totals[0].len();
        let mut st = StratumScores {
            total: vec![0.0; k],
            cross: vec![0.0; k * k],
            present: true,
        };
        for z in psu_totals {
            for a in 0..k {
                st.total[a] += z[a];
                for b in 0..k {
                    st.cross[a * k + b] += z[a] * z[b];
                }
            }
        }
        st
    }

    #[test]
    fn a_variance_by_hand_and_the_lonely_psu_rules() {
        // Stratum A: PSU totals 1, 2, 3 (mean 2, Σ(z − z̄)² = 2), 3 PSUs of 30 (f = 0.9):
        // 0.9 · 3/2 · 2 = 2.7; stratum B: 0.5 and −0.5 (Σ = 0.5), no fpc: 2 · 0.5 = 1.
        let a = stratum(&[&[1.0], &[2.0], &[3.0]]);
        let b = stratum(&[&[0.5], &[-0.5]]);
        let v = covariance(
            &[3, 2],
            &[0.9, 1.0],
            &[a.clone(), b.clone()],
            1,
            LonelyPsu::Fail,
        );
        assert!(close(v.unwrap()[0], 3.7));
        // A lonely stratum C with total 0.3.
        let c = stratum(&[&[0.3]]);
        let all = [a, b, c.clone()];
        let (psus, f) = ([3, 2, 1], [0.9, 1.0, 1.0]);
        assert_eq!(covariance(&psus, &f, &all, 1, LonelyPsu::Fail), Err(2));
        let got = |l| covariance(&psus, &f, &all, 1, l).unwrap()[0];
        // Adjust: centred at zero, 0.3² added; remove and certainty: nothing added.
        assert!(close(got(LonelyPsu::Adjust), 3.7 + 0.09));
        assert!(close(got(LonelyPsu::Remove), 3.7));
        assert!(close(got(LonelyPsu::Certainty), 3.7));
        // Average: the two others' sum scaled by 3 strata / 2 estimable.
        assert!(close(got(LonelyPsu::Average), 3.7 * 1.5));
        // A census stratum (f = 0) contributes nothing, lonely or not; absent strata neither.
        let absent = StratumScores {
            present: false,
            ..c.clone()
        };
        let v = covariance(&[1, 1], &[0.0, 1.0], &[c, absent], 1, LonelyPsu::Fail);
        assert_eq!(v, Ok(vec![0.0]));
    }

    #[test]
    fn a_covariance_matrix_by_hand() {
        // One stratum, three PSUs with totals of two functions: (1, 2), (2, 0), (3, 1).
        // Means (2, 1); Σ(a − ā)² = 2, Σ(b − b̄)² = 2, Σ(a − ā)(b − b̄) = (−1)(1) + 0 + (1)(0)
        // = −1; times n/(n − 1) = 3/2.
        let st = stratum(&[&[1.0, 2.0], &[2.0, 0.0], &[3.0, 1.0]]);
        let v = covariance(&[3], &[1.0], &[st], 2, LonelyPsu::Fail).unwrap();
        let want = [3.0, -1.5, -1.5, 3.0];
        for (got, want) in v.iter().zip(want) {
            assert!(close(*got, want), "{v:?}");
        }
        // The diagonal is each function's variance alone.
        let alone = stratum(&[&[1.0], &[2.0], &[3.0]]);
        let va = covariance(&[3], &[1.0], &[alone], 1, LonelyPsu::Fail).unwrap();
        assert!(close(va[0], v[0]));
    }

    #[test]
    fn a_share_linearised_over_psus_by_hand() {
        // Two strata of two PSUs each; the PSUs' Σw·y and Σw·(1 − y):
        //   h1: (2, 2), (1, 3); h2: (3, 1), (0, 4). Σw = 16, p = 6/16 = 0.375.
        // z = ((1 − p)·wy − p·wn)/Σw per PSU: h1 ±0.03125, h2 ±0.09375 (means 0).
        // h1: 2/1 · 2 · 0.03125² = 0.00390625; h2: 2 · 2 · 0.09375² = 0.03515625.
        let p: f64 = 0.375;
        let z = |wy: f64, wn: f64| ((1.0 - p) * wy - p * wn) / 16.0;
        let unit = |wy, wn| UnitItem {
            n: 1.0,
            wy,
            wn,
            w2y: 0.0,
            w2n: 0.0,
        };
        assert!(close(share_score(&unit(2.0, 2.0), p, 16.0), z(2.0, 2.0)));
        let h1 = stratum(&[&[z(2.0, 2.0)], &[z(1.0, 3.0)]]);
        let h2 = stratum(&[&[z(3.0, 1.0)], &[z(0.0, 4.0)]]);
        let v = covariance(&[2, 2], &[1.0, 1.0], &[h1, h2], 1, LonelyPsu::Fail).unwrap();
        assert!(close(v[0], 0.0390625), "{v:?}");
    }

    #[test]
    fn respondents_as_their_own_psus_from_squared_weights() {
        // Three respondents in one stratum, weights 1, 2, 3, answers 1, 0, 1: Σw = 6,
        // p = 4/6. Each respondent's z = w·(y − p)/Σw; the engine fed per respondent and
        // fed the stratum's Σw²·y, Σw²·(1 − y) agree.
        let (w, y) = ([1.0, 2.0, 3.0], [1.0, 0.0, 1.0]);
        let p = 4.0 / 6.0;
        let z: Vec<f64> = (0..3).map(|i| w[i] * (y[i] - p) / 6.0).collect();
        let each = stratum(&[&[z[0]], &[z[1]], &[z[2]]]);
        let by_psu = covariance(&[3], &[1.0], &[each], 1, LonelyPsu::Fail).unwrap()[0];
        let (w2y, w2n) = (1.0 + 9.0, 4.0);
        let pooled = StratumScores {
            total: vec![z.iter().sum()],
            cross: vec![share_square(w2y, w2n, p, 6.0)],
            present: true,
        };
        let from_squares = covariance(&[3], &[1.0], &[pooled], 1, LonelyPsu::Fail).unwrap()[0];
        assert!(close(by_psu, from_squares), "{by_psu} {from_squares}");
        // By hand: z = (1/18, −4/18, 3/18), Σz = 0, Σz² = 26/324; 3/2 · 26/324.
        assert!(close(by_psu, 1.5 * 26.0 / 324.0), "{by_psu}");
    }
}
