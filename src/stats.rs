//! Pure survey statistics: shares, standard errors, intervals, effective bases.
//!
//! Everything works on additive sums (Σw, Σw², Σwy, Σw²y), so one pass over the data
//! gives every number and per-group sums add up to the total.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// Sums over the respondents in a question's base.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct BaseSums {
    /// Unweighted number of respondents.
    pub n: u64,
    /// Σw.
    pub w: f64,
    /// Σw².
    pub w2: f64,
}

/// Sums over the respondents of the base who selected an item (y = 1), and over those
/// who did not (y = 0): kept apart so that 1 − p and the variance need no subtraction of
/// nearly equal sums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemSums {
    pub count: u64,
    /// Respondents of the item's base: the question's, or with a base per item those who
    /// answered the item.
    pub answered: u64,
    /// Σwy.
    pub wy: f64,
    /// Σw²y.
    pub w2y: f64,
    /// Σw(1−y).
    pub wn: f64,
    /// Σw²(1−y).
    pub w2n: f64,
}

impl ItemSums {
    /// The item's own base: those who selected it and those who did not.
    pub(crate) fn own_base(&self) -> BaseSums {
        BaseSums {
            n: self.answered,
            w: self.wy + self.wn,
            w2: self.w2y + self.w2n,
        }
    }
}

/// Two-sided critical value of the standard normal for a confidence `level` (0.95 → 1.95996…).
pub(crate) fn z_critical(level: f64) -> f64 {
    Normal::standard().inverse_cdf(1.0 - (1.0 - level) / 2.0)
}

/// Weighted share Σwy / Σw (the unweighted share when all weights are 1).
pub(crate) fn share(base: &BaseSums, item: &ItemSums) -> Option<f64> {
    (base.w > 0.0).then(|| item.wy / base.w)
}

/// Kish effective base (Σw)² / Σw².
pub(crate) fn effective_base(base: &BaseSums) -> f64 {
    if base.w2 > 0.0 {
        base.w * base.w / base.w2
    } else {
        0.0
    }
}

/// Kish design effect due to weighting: n Σw² / (Σw)².
pub(crate) fn design_effect(base: &BaseSums) -> Option<f64> {
    (base.w > 0.0).then(|| base.n as f64 * base.w2 / (base.w * base.w))
}

#[cfg(test)]
/// Standard error of a weighted share as R `survey::svymean` gives it for
/// `svydesign(ids = ~1, weights = ~w)`: Taylor linearisation of the ratio Σwy/Σw,
/// with the n/(n−1) with-replacement factor. With all weights 1 this is √(p(1−p)/(n−1)).
pub(crate) fn svymean_se(base: &BaseSums, item: &ItemSums) -> Option<f64> {
    svyby_se(base.n, base, item)
}

/// Wilson score interval for share `p` on base `n` (n may be a non-integer effective base).
/// Identical to statsmodels `proportion_confint(count, nobs, method="wilson")` when p = count/n.
pub(crate) fn wilson(p: f64, n: f64, z: f64) -> Option<(f64, f64)> {
    if n.is_nan() || n <= 0.0 || !(0.0..=1.0).contains(&p) {
        return None;
    }
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // At p = 0 and p = 1 one end is exactly 0 or 1, not a rounding residue of it.
    let low = if p == 0.0 {
        0.0
    } else {
        (center - half).max(0.0)
    };
    let high = if p == 1.0 {
        1.0
    } else {
        (center + half).min(1.0)
    };
    Some((low, high))
}

/// The p-quantile of the Beta(a, b) distribution (R `qbeta`), by bisection on the
/// regularised incomplete beta function: to the last bits of f64, whatever a and b.
pub(crate) fn qbeta(p: f64, a: f64, b: f64) -> Option<f64> {
    if !(0.0..=1.0).contains(&p) || a.is_nan() || b.is_nan() || a < 0.0 || b < 0.0 {
        return None;
    }
    // R's limits: a shape of 0 puts all mass at 0, of b at 1.
    if a == 0.0 || p == 0.0 {
        return Some(0.0);
    }
    if b == 0.0 || p == 1.0 {
        return Some(1.0);
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..2000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        let c = statrs::function::beta::checked_beta_reg(a, b, mid).ok()?;
        if c < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// The p-quantile of Student's t with `df` degrees of freedom (R `qt`), from the beta
/// quantile: t² = df (1 − y)/y with y the quantile of Beta(df/2, 1/2) at 2·min(p, 1 − p).
pub(crate) fn qt(p: f64, df: f64) -> Option<f64> {
    if df.is_nan() || df <= 0.0 || !(0.0..1.0).contains(&p) || p == 0.0 {
        return None;
    }
    if p == 0.5 {
        return Some(0.0);
    }
    let tail = p.min(1.0 - p);
    let y = qbeta(2.0 * tail, df / 2.0, 0.5)?;
    let t = (df * (1.0 - y) / y).sqrt();
    Some(if p < 0.5 { -t } else { t })
}

/// The design effect of a share (R `svymean(…, deff = "replace")`): the variance over that
/// of a simple random sample of the domain's `n` respondents with replacement,
/// p(1 − p)/(n − 1) (R's `svyvar`/n).
pub(crate) fn deff(p: f64, se: f64, n: u64) -> Option<f64> {
    let srs = p * (1.0 - p) / (n as f64 - 1.0);
    (n > 1 && srs > 0.0).then(|| se * se / srs)
}

/// How an interval is computed: Wilson on the Kish effective base, or one of the methods
/// of R `svyciprop` with the design's degrees of freedom.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Interval {
    #[default]
    Wilson,
    /// Korn–Graubard (R `method = "beta"`).
    Beta,
    Logit,
    Xlogit,
    Asin,
    Mean,
}

impl Interval {
    pub(crate) fn is_wilson(&self) -> bool {
        *self == Interval::Wilson
    }

    /// The name R gives it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Interval::Wilson => "wilson",
            Interval::Beta => "beta",
            Interval::Logit => "logit",
            Interval::Xlogit => "xlogit",
            Interval::Asin => "asin",
            Interval::Mean => "mean",
        }
    }
}

/// What an interval of share `p` needs to know about its domain: the SE, the Kish
/// effective base, the respondents and the degrees of freedom of the domain's design.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Domain {
    pub se: Option<f64>,
    pub kish: f64,
    pub rows: f64,
    pub df: f64,
}

/// The interval of share `p` at confidence `level` by `method` (R `svyciprop` for all
/// but Wilson).
pub(crate) fn interval(method: Interval, p: f64, d: &Domain, level: f64) -> Option<(f64, f64)> {
    let alpha = 1.0 - level;
    if method == Interval::Wilson {
        let z = z_critical(level);
        return wilson(p, d.kish, z);
    }
    let se = d.se?;
    let t = qt(1.0 - alpha / 2.0, d.df)?;
    let expit = |x: f64| 1.0 / (1.0 + (-x).exp());
    let ci = match method {
        Interval::Wilson => unreachable!("handled above"),
        Interval::Mean => (p - t * se, p + t * se),
        Interval::Asin => {
            let theta = p.sqrt().asin();
            let s = se / (2.0 * (p * (1.0 - p)).sqrt());
            ((theta - t * s).sin().powi(2), (theta + t * s).sin().powi(2))
        }
        Interval::Logit | Interval::Xlogit => {
            let eta = (p / (1.0 - p)).ln();
            let s = se / (p * (1.0 - p));
            (expit(eta - t * s), expit(eta + t * s))
        }
        Interval::Beta => {
            let var = se * se;
            let mut n_eff = p * (1.0 - p) / var;
            let ratio = qt(alpha / 2.0, d.rows - 1.0)? / qt(alpha / 2.0, d.df)?;
            n_eff *= ratio * ratio;
            (
                qbeta(alpha / 2.0, n_eff * p, n_eff * (1.0 - p) + 1.0)?,
                qbeta(1.0 - alpha / 2.0, n_eff * p + 1.0, n_eff * (1.0 - p))?,
            )
        }
    };
    (ci.0.is_finite() && ci.1.is_finite()).then_some(ci)
}

/// The Rao–Scott test of association of a 2 × G table, second-order corrected and given
/// as an F statistic (R `svychisq(…, statistic = "F")`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RaoScott {
    pub f: f64,
    pub ndf: f64,
    pub ddf: f64,
    pub p: f64,
}

/// Solves A X = B by Gauss–Jordan elimination with partial pivoting (A square).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let d = a[col][col];
        a[col].iter_mut().for_each(|x| *x /= d);
        b[col].iter_mut().for_each(|x| *x /= d);
        let (pivot_a, pivot_b) = (a[col].clone(), b[col].clone());
        for row in (0..n).filter(|&r| r != col) {
            let factor = a[row][col];
            if factor != 0.0 {
                for (x, p) in a[row].iter_mut().zip(&pivot_a) {
                    *x -= factor * p;
                }
                for (x, p) in b[row].iter_mut().zip(&pivot_b) {
                    *x -= factor * p;
                }
            }
        }
    }
    Some(b)
}

fn matmul(a: &[Vec<f64>], b: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let cols = b.first().map_or(0, Vec::len);
    a.iter()
        .map(|row| {
            (0..cols)
                .map(|j| row.iter().zip(b).map(|(x, r)| x * r[j]).sum())
                .collect()
        })
        .collect()
}

fn transpose(a: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let cols = a.first().map_or(0, Vec::len);
    (0..cols)
        .map(|j| a.iter().map(|r| r[j]).collect())
        .collect()
}

/// The Rao–Scott F of a 2 × G table from its cell shares `m` (cells in R's order: the
/// answer varies fastest, "not selected" first), their design covariance `v`, the
/// respondents `n` (R's N) and the design's degrees of freedom `nu`.
pub(crate) fn rao_scott(m: &[f64], v: &[Vec<f64>], n: f64, nu: f64) -> Option<RaoScott> {
    let g = m.len() / 2;
    if g < 2 || m.len() != 2 * g || v.len() != m.len() {
        return None;
    }
    // Pearson's X² of the table scaled to n respondents.
    let t: Vec<f64> = m.iter().map(|x| x * n).collect();
    let rows = [
        (0..g).map(|c| t[2 * c]).sum::<f64>(),
        (0..g).map(|c| t[2 * c + 1]).sum::<f64>(),
    ];
    let mut x2 = 0.0;
    for c in 0..g {
        let col = t[2 * c] + t[2 * c + 1];
        for r in 0..2 {
            let e = rows[r] * col / n;
            if e > 0.0 {
                x2 += (t[2 * c + r] - e).powi(2) / e;
            }
        }
    }
    // Main effects (intercept, answer, group) and the interaction contrasts, whose
    // residuals on the main effects are C.
    let cells = 2 * g;
    let x1: Vec<Vec<f64>> = (0..cells)
        .map(|k| {
            let (r, c) = (k % 2, k / 2);
            let mut row = vec![1.0, (r == 1) as u8 as f64];
            row.extend((1..g).map(|j| (c == j) as u8 as f64));
            row
        })
        .collect();
    let x12: Vec<Vec<f64>> = (0..cells)
        .map(|k| {
            let (r, c) = (k % 2, k / 2);
            (1..g).map(|j| (r == 1 && c == j) as u8 as f64).collect()
        })
        .collect();
    let x1t = transpose(&x1);
    let coef = solve(matmul(&x1t, &x1), matmul(&x1t, &x12))?;
    let fitted = matmul(&x1, &coef);
    let cm: Vec<Vec<f64>> = x12
        .iter()
        .zip(&fitted)
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x - y).collect())
        .collect();
    let inv: Vec<f64> = m
        .iter()
        .map(|&x| if x == 0.0 { 0.0 } else { 1.0 / x })
        .collect();
    // D⁻¹C, then C'(D⁻¹/N)C and C'D⁻¹VD⁻¹C.
    let dc: Vec<Vec<f64>> = cm
        .iter()
        .zip(&inv)
        .map(|(row, i)| row.iter().map(|x| x * i).collect())
        .collect();
    let ct = transpose(&cm);
    let denom: Vec<Vec<f64>> = matmul(&ct, &dc)
        .into_iter()
        .map(|r| r.into_iter().map(|x| x / n).collect())
        .collect();
    let numr = matmul(&transpose(&dc), &matmul(v, &dc));
    let delta = solve(denom, numr)?;
    let tr: f64 = (0..delta.len()).map(|i| delta[i][i]).sum();
    let d2 = matmul(&delta, &delta);
    let tr2: f64 = (0..d2.len()).map(|i| d2[i][i]).sum();
    if !(tr > 0.0 && tr2 > 0.0) {
        return None;
    }
    let f = x2 / tr;
    let ndf = tr * tr / tr2;
    let ddf = ndf * nu;
    // P(F > f) = I_x(ddf/2, ndf/2) with x = ddf/(ddf + ndf f): no digits lost in the tail.
    let x = ddf / (ddf + ndf * f);
    let p = statrs::function::beta::checked_beta_reg(ddf / 2.0, ndf / 2.0, x).ok()?;
    Some(RaoScott { f, ndf, ddf, p })
}

/// Domain (subgroup) standard error as R `svyby(~y, ~group, design, svymean)` gives it for
/// `svydesign(ids = ~1, weights = ~w)`: the group's linearised residuals with the n/(n−1)
/// factor of the whole design, `design_n` being the respondents of the question's base.
///
/// The residual sum Σw²(y−p)² is taken as Σw²y·(1−p)² + Σw²(1−y)·p², with 1 − p from the
/// non-selecting respondents' own sum: two non-negative terms, so one huge weight among
/// tiny ones cannot cancel the answer away.
pub(crate) fn svyby_se(design_n: u64, group: &BaseSums, item: &ItemSums) -> Option<f64> {
    let w = item.wy + item.wn;
    if design_n < 2 || group.w <= 0.0 || w <= 0.0 {
        return None;
    }
    let (p, q) = (item.wy / w, item.wn / w);
    let n = design_n as f64;
    // Scaled by the group's total weight before squaring: no overflow or underflow of w².
    let (sy, sn) = (item.w2y / (w * w), item.w2n / (w * w));
    Some((n / (n - 1.0) * (sy * q * q + sn * p * p)).sqrt())
}

/// Weighting efficiency, the inverse of the Kish design effect (effective / actual base).
pub(crate) fn weighting_efficiency(base: &BaseSums) -> Option<f64> {
    design_effect(base).filter(|d| *d > 0.0).map(|d| 1.0 / d)
}

/// Two-sided p-value of the pooled two-proportion z-test without continuity correction,
/// as R `prop.test(c(x1, x2), c(n1, n2), correct = FALSE)`; `n` may be effective bases.
pub(crate) fn two_proportion_p(p1: f64, n1: f64, p2: f64, n2: f64) -> Option<f64> {
    if n1 <= 0.0 || n2 <= 0.0 || !n1.is_finite() || !n2.is_finite() {
        return None;
    }
    let pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    let var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
    if var <= 0.0 {
        // Both groups all 0 or all 1: no difference to test.
        return None;
    }
    let z = (p1 - p2) / var.sqrt();
    // erfc from libm is accurate to the last bits in the tail, where statrs' sf is not.
    Some(libm::erfc(z.abs() / std::f64::consts::SQRT_2))
}

/// R `survey`'s treatment of a stratum with one PSU.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum LonelyPsu {
    /// An error naming the stratum.
    #[default]
    Fail,
    /// Centred at the population mean (zero) instead of the stratum mean.
    Adjust,
    /// The average variance of the other strata.
    Average,
    /// Contributes nothing.
    Remove,
    /// Contributes nothing (a PSU sampled with certainty).
    Certainty,
}

/// Two-sided p-value of a standard normal statistic.
pub(crate) fn normal_p(z: f64) -> f64 {
    // The lower tail: 1 − Φ(|z|) would lose the digits of small p-values.
    2.0 * Normal::standard().cdf(-z.abs())
}

/// What a group is compared with.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Compare {
    /// Every other group of the segment (letters).
    #[default]
    Pairs,
    /// The rest of the base (+ and –), as Displayr's exception tests.
    Total,
}

impl Compare {
    pub(crate) fn is_pairs(&self) -> bool {
        *self == Compare::Pairs
    }
}

/// How groups are tested against each other.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Test {
    /// Two-proportion z-test, pooled, on Kish effective bases (the market-research custom).
    #[default]
    PooledZ,
    /// The design-based difference of the two shares over its SE (covariance included),
    /// against the normal distribution.
    Wald,
}

/// Multiple-comparison adjustment of one family of p-values (R `p.adjust`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Adjust {
    None,
    Bonferroni,
    Holm,
    /// Benjamini–Hochberg false discovery rate.
    Bh,
}

/// Adjusted p-values in the input order, identical to R `p.adjust(p, method)`.
pub(crate) fn adjust(p: &[f64], method: Adjust) -> Vec<f64> {
    let m = p.len();
    let mf = m as f64;
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let mut out = vec![0.0; m];
    match method {
        Adjust::None => out.copy_from_slice(p),
        Adjust::Bonferroni => {
            for i in 0..m {
                out[i] = (p[i] * mf).min(1.0);
            }
        }
        Adjust::Holm => {
            // Step-down: cumulative maximum of (m − k) p_(k) over ascending p.
            let mut running: f64 = 0.0;
            for (k, &i) in order.iter().enumerate() {
                running = running.max((mf - k as f64) * p[i]);
                out[i] = running.min(1.0);
            }
        }
        Adjust::Bh => {
            // Step-up: cumulative minimum of m/k p_(k) over descending p.
            let mut running: f64 = 1.0;
            for (k, &i) in order.iter().enumerate().rev() {
                running = running.min(mf / (k as f64 + 1.0) * p[i]);
                out[i] = running.min(1.0);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// Item sums of respondents with weights `w` and answers `y` (0 or 1).
    fn sums(w: &[f64], y: &[f64]) -> (BaseSums, ItemSums) {
        let base = BaseSums {
            n: w.len() as u64,
            w: w.iter().sum(),
            w2: w.iter().map(|x| x * x).sum(),
        };
        let pick = |sel: f64, sq: bool| -> f64 {
            w.iter()
                .zip(y)
                .filter(|(_, &y)| y == sel)
                .map(|(&w, _)| if sq { w * w } else { w })
                .sum()
        };
        let item = ItemSums {
            count: y.iter().filter(|&&y| y == 1.0).count() as u64,
            answered: w.len() as u64,
            wy: pick(1.0, false),
            w2y: pick(1.0, true),
            wn: pick(0.0, false),
            w2n: pick(0.0, true),
        };
        (base, item)
    }

    #[test]
    fn z_matches_the_published_normal_quantile() {
        // qnorm(0.975) in R: 1.959963984540054
        assert!(close(z_critical(0.95), 1.959963984540054, 1e-14));
        // qnorm(0.995): 2.5758293035489
        assert!(close(z_critical(0.99), 2.575829303548901, 1e-13));
    }

    #[test]
    fn wilson_matches_textbook_example() {
        // Agresti & Coull (1998) / Newcombe (1998) example: 81 of 263 → 0.2553 to 0.3662
        // (Newcombe 1998, Table I, method 3: 0.2553, 0.3662).
        let (lo, hi) = wilson(81.0 / 263.0, 263.0, z_critical(0.95)).unwrap();
        assert!(close(lo, 0.2553, 5e-5), "{lo}");
        assert!(close(hi, 0.3662, 5e-5), "{hi}");
        // Newcombe's 15/148 → 0.0624, 0.1605
        let (lo, hi) = wilson(15.0 / 148.0, 148.0, z_critical(0.95)).unwrap();
        assert!(
            close(lo, 0.0624, 5e-5) && close(hi, 0.1605, 5e-5),
            "{lo} {hi}"
        );
        // 0/20 → 0, 0.1611 (Newcombe, Table I)
        let (lo, hi) = wilson(0.0, 20.0, z_critical(0.95)).unwrap();
        assert!(close(lo, 0.0, 1e-15), "{lo}");
        assert!(close(hi, 0.1611, 5e-5), "{hi}");
    }

    #[test]
    fn interval_ends_at_zero_and_one_are_exact() {
        // Without the pinning, 1 − half + centre leaves residues like 0.9999999999999999.
        for n in [1.0, 2.0, 3.0, 7.0, 29.5, 100.0, 4138.1, 1e6] {
            let (lo, hi) = wilson(0.0, n, z_critical(0.95)).unwrap();
            assert_eq!(lo, 0.0, "n = {n}");
            assert!(hi > 0.0 && hi < 1.0);
            let (lo, hi) = wilson(1.0, n, z_critical(0.95)).unwrap();
            assert_eq!(hi, 1.0, "n = {n}");
            assert!(lo > 0.0 && lo < 1.0);
        }
    }

    #[test]
    fn unweighted_se_is_binomial_with_n_minus_one() {
        let (base, item) = sums(&[1.0; 10], &[1., 1., 1., 0., 0., 0., 0., 0., 0., 0.]);
        let expected = (0.3f64 * 0.7 / 9.0).sqrt();
        assert!(close(svymean_se(&base, &item).unwrap(), expected, 1e-15));
        assert_eq!(effective_base(&base), 10.0);
        assert_eq!(design_effect(&base), Some(1.0));
    }

    #[test]
    fn weighted_se_matches_the_direct_linearisation() {
        // Four respondents, weights 1, 2, 3, 4, y = 1, 0, 1, 0: p = 4/10.
        // Residuals w(y−p): 0.6, −0.8, 1.8, −1.6; Σ² = 0.36+0.64+3.24+2.56 = 6.8.
        // var = 4/3 · 6.8 / 100; se = √0.0906667.
        let (base, item) = sums(&[1.0, 2.0, 3.0, 4.0], &[1.0, 0.0, 1.0, 0.0]);
        assert!(close(share(&base, &item).unwrap(), 0.4, 1e-15));
        let expected = (4.0 / 3.0 * 6.8 / 100.0f64).sqrt();
        assert!(close(svymean_se(&base, &item).unwrap(), expected, 1e-15));
        assert!(close(effective_base(&base), 100.0 / 30.0, 1e-15));
        assert!(close(design_effect(&base).unwrap(), 1.2, 1e-15));
    }

    #[test]
    fn z_test_matches_r_prop_test() {
        // Values printed by R 4.x:
        // prop.test(c(45, 30), c(100, 100), correct = FALSE)$p.value = 0.028459736916310541
        let p = two_proportion_p(0.45, 100.0, 0.30, 100.0).unwrap();
        assert!(close(p, 0.028_459_736_916_310_54, 1e-15), "{p}");
        // prop.test(c(15, 25), c(50, 60), correct = FALSE)$p.value = 0.20531373142318135
        let p = two_proportion_p(0.3, 50.0, 25.0 / 60.0, 60.0).unwrap();
        assert!(close(p, 0.20531373142318135, 1e-14), "{p}");
        // Non-integer (effective) counts: prop.test(c(45.5, 30.2), c(100.3, 99.1),
        // correct = FALSE)$p.value = 0.0302948696817058
        let p = two_proportion_p(45.5 / 100.3, 100.3, 30.2 / 99.1, 99.1).unwrap();
        assert!(close(p, 0.0302948696817058, 1e-13), "{p}");
        assert_eq!(two_proportion_p(0.0, 10.0, 0.0, 12.0), None);
    }

    #[test]
    fn adjustments_match_r_p_adjust() {
        let p = [0.01, 0.02, 0.03, 0.04, 0.05];
        // p.adjust(p, "holm"):       0.05 0.08 0.09 0.09 0.09
        // p.adjust(p, "BH"):         0.05 0.05 0.05 0.05 0.05
        // p.adjust(p, "bonferroni"): 0.05 0.10 0.15 0.20 0.25
        let eq = |a: Vec<f64>, b: [f64; 5]| a.iter().zip(b).all(|(x, y)| close(*x, y, 1e-12));
        assert!(eq(adjust(&p, Adjust::Holm), [0.05, 0.08, 0.09, 0.09, 0.09]));
        assert!(eq(adjust(&p, Adjust::Bh), [0.05; 5]));
        assert!(eq(
            adjust(&p, Adjust::Bonferroni),
            [0.05, 0.10, 0.15, 0.20, 0.25]
        ));
        // Unsorted input keeps its order: p.adjust(c(0.04, 0.001, 0.03, 0.5), "holm")
        // = 0.090 0.004 0.090 0.500; "BH" = 0.05333333 0.00400000 0.05333333 0.50000000.
        let q = [0.04, 0.001, 0.03, 0.5];
        let holm = adjust(&q, Adjust::Holm);
        assert!(
            holm.iter()
                .zip([0.09, 0.004, 0.09, 0.5])
                .all(|(x, y)| close(*x, y, 1e-12)),
            "{holm:?}"
        );
        let bh = adjust(&q, Adjust::Bh);
        assert!(
            bh.iter()
                .zip([0.16 / 3.0, 0.004, 0.16 / 3.0, 0.5])
                .all(|(x, y)| close(*x, y, 1e-12)),
            "{bh:?}"
        );
        assert_eq!(adjust(&q, Adjust::None), q.to_vec());
    }

    #[test]
    fn domain_se_uses_the_whole_design_n() {
        // Group of 3 inside a design of 10, unweighted: √(10/9 · p(1−p)/3) with p = 2/3.
        let (group, item) = sums(&[1.0; 3], &[1.0, 1.0, 0.0]);
        let expected = (10.0 / 9.0 * (2.0 / 3.0) * (1.0 / 3.0) / 3.0f64).sqrt();
        assert!(close(svyby_se(10, &group, &item).unwrap(), expected, 1e-15));
        assert!(close(
            weighting_efficiency(&BaseSums {
                n: 4,
                w: 10.0,
                w2: 30.0
            })
            .unwrap(),
            1.0 / 1.2,
            1e-15
        ));
    }

    #[test]
    fn weighted_case_with_design_effect_above_1_3_matches_r_survey() {
        // R: d <- data.frame(w = c(1,1,1,1,4,4,1,2), y = c(1,0,1,0,1,0,1,1))
        // svymean(~y, svydesign(ids = ~1, weights = ~w, data = d)): mean 0.6, SE 0.2271703088133421
        let w = [1.0, 1.0, 1.0, 1.0, 4.0, 4.0, 1.0, 2.0];
        let y = [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0];
        let (base, item) = sums(&w, &y);
        assert!(close(share(&base, &item).unwrap(), 0.6, 1e-15));
        assert!(close(
            svymean_se(&base, &item).unwrap(),
            0.2271703088133421,
            1e-15
        ));
        let deff = design_effect(&base).unwrap();
        assert!(close(deff, 1.4577777777777778, 1e-15) && deff > 1.3);
    }

    #[test]
    fn degenerate_bases_give_no_estimate_instead_of_nan() {
        let one = BaseSums {
            n: 1,
            w: 1.0,
            w2: 1.0,
        };
        assert_eq!(
            svymean_se(
                &one,
                &ItemSums {
                    count: 1,
                    answered: 1,
                    wy: 1.0,
                    w2y: 1.0,
                    wn: 0.0,
                    w2n: 0.0,
                }
            ),
            None
        );
        assert_eq!(share(&BaseSums::default(), &ItemSums::default()), None);
        assert_eq!(wilson(0.5, 0.0, 1.96), None);
    }

    #[test]
    fn quantiles_equal_r() {
        // R: qt(0.975, c(10, 27, 1499)); qbeta(…) as below, printed with 17 digits.
        for (p, df, want) in [
            (0.975, 10.0, 2.228_138_851_986_274),
            (0.975, 27.0, 2.051830516480285),
            (0.975, 1499.0, 1.9615478106169344),
        ] {
            let t = qt(p, df).unwrap();
            assert!(close(t, want, 1e-12), "qt({p}, {df}) = {t}, R {want}");
            assert!(close(qt(1.0 - p, df).unwrap(), -want, 1e-12));
        }
        for (p, a, b, want) in [
            (0.025, 50.5, 30.2, 0.518_199_176_436_885),
            (0.975, 896.3, 600.1, 0.623_665_737_862_127_8),
            (0.025, 0.7, 3000.2, 1.499414075512807e-06),
        ] {
            let q = qbeta(p, a, b).unwrap();
            assert!(
                close(q, want, 1e-10),
                "qbeta({p}, {a}, {b}) = {q}, R {want}"
            );
        }
    }
}
