//! Groups compared: pairwise letters, each group against the rest, Rao–Scott.

use super::assemble::{rows, Context};
use super::variance::{cell_cov_weighted, ItemAt};
use super::Grouping;
use crate::codebook::Question;
use crate::results::{Association, Comparison, GroupResult, QuestionResult};
use crate::stats::{self, BaseSums, ItemSums};
use crate::tally::pass::{GroupSums, QuestionSums};

/// Column letters: A…Z, then A2…Z2 and so on.
pub fn letter(i: usize) -> String {
    let c = (b'A' + (i % 26) as u8) as char;
    if i < 26 {
        c.to_string()
    } else {
        format!("{c}{}", i / 26 + 1)
    }
}

/// Per item, the Rao–Scott test across the groups of `g` (R `svychisq`, statistic "F").
/// `subset`: the table holds only the groups' respondents (a contrast), as R's svychisq on
/// `subset(design, …)` sees them; else every respondent of the base (a segment, blanks
/// included in the design).
pub(super) fn association(
    q: &Question,
    qi: usize,
    total: &QuestionSums,
    g: &Grouping,
    ctx: &Context,
    subset: bool,
) -> Vec<Association> {
    let mut out = Vec::new();
    for (i, item) in rows(q).into_iter().enumerate() {
        // In letter order, so that the same survey under other codes gives the same digits.
        let groups: Vec<&GroupSums> = g
            .groups
            .iter()
            .filter_map(|(value, _)| g.sums.iter().find(|s| &s.value == value))
            .filter(|s| s.questions[qi].item_base(i).n > 0)
            .collect();
        if groups.len() < 2 {
            continue;
        }
        // The design's n (the filtered-out respondents included), and the table's.
        let n = total.design_n(i) as f64;
        let in_groups: f64 = groups
            .iter()
            .map(|s| s.questions[qi].item_base(i).n as f64)
            .sum();
        let table_n = if subset {
            in_groups
        } else {
            total.item_base(i).n as f64
        };
        // Cells in R's order: per group, "not selected" then "selected".
        let w: Vec<f64> = groups
            .iter()
            .flat_map(|s| [s.questions[qi].items[i].wn, s.questions[qi].items[i].wy])
            .collect();
        let wd: f64 = w.iter().sum();
        if wd <= 0.0 {
            continue;
        }
        let m: Vec<f64> = w.iter().map(|x| x / wd).collect();
        let at = ItemAt {
            question: qi,
            item: i,
        };
        let (v, nu) = match &ctx.design {
            Some(d) => match d.cell_cov(&groups, (g.index, at), &m, wd) {
                Some(v) if subset => (v, d.df_of(&groups, g.index, at)),
                Some(v) => (v, d.df(None, at)),
                None => continue,
            },
            None => {
                let s2: Vec<f64> = groups
                    .iter()
                    .flat_map(|s| [s.questions[qi].items[i].w2n, s.questions[qi].items[i].w2y])
                    .collect();
                (cell_cov_weighted(&s2, &m, n, wd), table_n - 1.0)
            }
        };
        if let Some(t) = stats::rao_scott(&m, &v, table_n, nu) {
            out.push(Association {
                segment: g.name.clone(),
                item: item.id.into(),
                f: t.f,
                ndf: t.ndf,
                ddf: t.ddf,
                p_value: t.p,
            });
        }
    }
    out
}

/// A group against the rest of the base on item row `row` (`own`: the group's sums, `at`:
/// grouping column, question, item): the pooled z-test on Kish bases, or the Wald test of
/// the difference (the rest's sums are the base's minus the group's).
pub(super) fn rest_test(
    group: &GroupResult,
    row: usize,
    own: &QuestionSums,
    total: &QuestionSums,
    (g, at): (usize, ItemAt),
    ctx: &Context,
) -> Option<PairTest> {
    let i = at.item;
    let (t, o) = (&total.items[i], &own.items[i]);
    let (total_base, own_base) = (total.item_base(i), own.item_base(i));
    let rest_base = BaseSums {
        n: total_base.n - own_base.n,
        w: total_base.w - own_base.w,
        w2: total_base.w2 - own_base.w2,
    };
    let rest_item = ItemSums {
        count: t.count - o.count,
        answered: t.answered - o.answered,
        wy: t.wy - o.wy,
        w2y: t.w2y - o.w2y,
        wn: t.wn - o.wn,
        w2n: t.w2n - o.w2n,
    };
    if rest_base.w <= 0.0 || rest_base.w2 <= 0.0 {
        return None;
    }
    let rest_p = (rest_item.wy / rest_base.w).clamp(0.0, 1.0);
    let rest_eff = rest_base.w * rest_base.w / rest_base.w2;
    let group_eff = stats::effective_base(&own_base);
    if group_eff < ctx.opts.min_base || rest_eff < ctx.opts.min_base {
        return None;
    }
    let share = group.items[row].item.share?;
    match ctx.opts.test {
        stats::Test::PooledZ => Some(PairTest {
            p: stats::two_proportion_p(share, group_eff, rest_p, rest_eff),
            ..PairTest::default()
        }),
        stats::Test::Wald => {
            let se_g = group.items[row].item.se?;
            let (var_rest, cov) = match &ctx.design {
                // Disjoint domains of a weights-only design do not covary.
                None => (
                    stats::svyby_se(total.design_n(i), &rest_base, &rest_item)?.powi(2),
                    0.0,
                ),
                Some(d) => d.versus_rest(
                    (g, group.value.as_bytes()),
                    at,
                    (share, own_base.w),
                    (rest_p, rest_base.w),
                )?,
            };
            let var = se_g * se_g + var_rest - 2.0 * cov;
            let se = (var > 0.0).then(|| var.sqrt());
            let difference = share - rest_p;
            Some(PairTest {
                p: se.map(|s| stats::normal_p(difference / s)),
                difference: Some(difference),
                se,
            })
        }
    }
}

/// The place of row `id` (an item, or a net after the items) in the order of the sums.
pub(super) fn row_index(q: &Question, id: &str) -> usize {
    rows(q)
        .iter()
        .position(|x| x.id == id)
        .expect("a row shown for a question is one of its own rows (items, then nets)")
}

/// Each group against the rest of the question's base (everyone else, respondents in no
/// group included), item by item; the groups of one item row are one family.
pub(super) fn compare_with_rest(
    groups: &mut [GroupResult],
    shown: &QuestionResult,
    (g, q, qi): (&Grouping, &Question, usize),
    total: &QuestionSums,
    ctx: &Context,
) -> Vec<Comparison> {
    let sums_of = |value: &str| {
        g.sums
            .iter()
            .find(|s| s.value == value)
            .map(|s| &s.questions[qi])
    };
    let mut comparisons = Vec::new();
    for (row, total_item) in shown.items.iter().enumerate() {
        let i = row_index(q, &total_item.id);
        let tests: Vec<PairTest> = groups
            .iter()
            .map(|group| {
                sums_of(&group.value)
                    .and_then(|own| {
                        rest_test(
                            group,
                            row,
                            own,
                            total,
                            (
                                g.index,
                                ItemAt {
                                    question: qi,
                                    item: i,
                                },
                            ),
                            ctx,
                        )
                    })
                    .unwrap_or_default()
            })
            .collect();
        let raw: Vec<f64> = tests.iter().filter_map(|t| t.p).collect();
        let adjusted = stats::adjust(&raw, ctx.opts.adjust);
        let mut next = adjusted.iter();
        for (k, test) in tests.into_iter().enumerate() {
            let p = test.p;
            let p_adjusted = p.and_then(|_| next.next().copied());
            let significant = p_adjusted.is_some_and(|x| x < ctx.opts.alpha);
            let group = &mut groups[k];
            if significant {
                let own = group.items[row].item.share.unwrap_or(0.0);
                let higher = sums_of(&group.value).is_some_and(|s| {
                    let rest_w = total.item_base(i).w - s.item_base(i).w;
                    own > (total.items[i].wy - s.items[i].wy) / rest_w
                });
                group.items[row].versus_rest = Some(if higher {
                    crate::results::Versus::Higher
                } else {
                    crate::results::Versus::Lower
                });
            }
            comparisons.push(Comparison {
                segment: g.name.clone(),
                item: total_item.id.clone(),
                groups: [group.letter.clone(), "rest".into()],
                p_value: p,
                p_adjusted,
                significant,
                difference: test.difference,
                se: test.se,
            });
        }
    }
    comparisons
}

/// One pairwise test: its p-value, and for the Wald test the difference and its SE.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PairTest {
    pub(super) p: Option<f64>,
    pub(super) difference: Option<f64>,
    pub(super) se: Option<f64>,
}

/// Group `a` against group `b` on item row `row` (`at`: grouping column, question, item).
pub(super) fn pair_test(
    a: &GroupResult,
    b: &GroupResult,
    row: usize,
    (g, at): (usize, ItemAt),
    ctx: &Context,
) -> PairTest {
    let (ia, ib) = (&a.items[row].item, &b.items[row].item);
    let (Some(pa), Some(pb)) = (ia.share, ib.share) else {
        return PairTest::default();
    };
    let (base_a, base_b) = (ia.base_within(&a.base), ib.base_within(&b.base));
    match ctx.opts.test {
        stats::Test::PooledZ => PairTest {
            p: stats::two_proportion_p(pa, base_a.effective, pb, base_b.effective),
            ..PairTest::default()
        },
        stats::Test::Wald => {
            let (Some(sa), Some(sb)) = (ia.se, ib.se) else {
                return PairTest::default();
            };
            // Disjoint groups of a weights-only design do not covary; under strata and
            // clusters they do, through the PSUs they share.
            let cov = match &ctx.design {
                Some(d) => d.cov(
                    ((g, a.value.as_bytes()), pa, base_a.weighted),
                    ((g, b.value.as_bytes()), pb, base_b.weighted),
                    at,
                ),
                None => Some(0.0),
            };
            let se = cov
                .map(|c| sa * sa + sb * sb - 2.0 * c)
                .filter(|v| *v > 0.0)
                .map(f64::sqrt);
            let difference = pa - pb;
            PairTest {
                p: se.map(|s| stats::normal_p(difference / s)),
                difference: Some(difference),
                se,
            }
        }
    }
}

/// Every pair of groups tested item by item (one family per item row, adjusted), and the
/// letters of the higher group of each significant pair.
pub(super) fn compare(
    groups: &mut [GroupResult],
    shown: &QuestionResult,
    (g, q, qi): (&Grouping, &Question, usize),
    ctx: &Context,
) -> Vec<Comparison> {
    let segment = g.name.as_str();
    let mut comparisons = Vec::new();
    for (row, total_item) in shown.items.iter().enumerate() {
        let i = row_index(q, &total_item.id);
        let mut pairs = Vec::new();
        for a in 0..groups.len() {
            for b in a + 1..groups.len() {
                let (ga, gb) = (&groups[a], &groups[b]);
                let effective = |x: &GroupResult| x.items[row].item.base_within(&x.base).effective;
                let testable =
                    effective(ga) >= ctx.opts.min_base && effective(gb) >= ctx.opts.min_base;
                let test = if testable {
                    pair_test(
                        ga,
                        gb,
                        row,
                        (
                            g.index,
                            ItemAt {
                                question: qi,
                                item: i,
                            },
                        ),
                        ctx,
                    )
                } else {
                    PairTest::default()
                };
                pairs.push((a, b, test));
            }
        }
        let raw: Vec<f64> = pairs.iter().filter_map(|p| p.2.p).collect();
        let adjusted = stats::adjust(&raw, ctx.opts.adjust);
        let mut next = adjusted.iter();
        for (a, b, test) in pairs {
            let p = test.p;
            let p_adjusted = p.and_then(|_| next.next().copied());
            let significant = p_adjusted.is_some_and(|x| x < ctx.opts.alpha);
            if significant {
                let (sa, sb) = (
                    groups[a].items[row].item.share,
                    groups[b].items[row].item.share,
                );
                let (hi, lo) = if sa > sb { (a, b) } else { (b, a) };
                let lo_letter = groups[lo].letter.clone();
                groups[hi].items[row].higher_than.push(lo_letter);
            }
            comparisons.push(Comparison {
                segment: segment.to_string(),
                item: total_item.id.clone(),
                groups: [groups[a].letter.clone(), groups[b].letter.clone()],
                p_value: p,
                p_adjusted,
                significant,
                difference: test.difference,
                se: test.se,
            });
        }
    }
    for group in groups.iter_mut() {
        for item in &mut group.items {
            item.higher_than.sort();
        }
    }
    comparisons
}
