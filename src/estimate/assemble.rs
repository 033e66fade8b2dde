//! Results assembled from the sums: shares, intervals, bases, ranks, labels, warnings.

use super::compare::{association, compare, compare_with_rest, letter};
use super::variance::{Design, ItemAt};
use super::Grouping;
use crate::codebook::{pick, Codebook, Order, Question};
use crate::pipeline::Options;
use crate::results::{
    Base, BaseFlag, Comparison, ContrastResult, DesignInfo, ExclusionCount, FilterInfo, GroupItem,
    GroupResult, Input, ItemResult, Method, NoGroup, QuestionBase, QuestionResult, Results,
    Significance, SurveyInfo, Tool, Warning, WarningCode, SCHEMA_VERSION,
};
use crate::stats::{self, BaseSums, ItemSums};
use crate::tally::pass::{QuestionSums, Tabulation};

/// Bases under this many (effective) respondents are flagged as unreliable.
pub(super) const MIN_READABLE_BASE: f64 = 30.0;

/// Turns raw sums into `Results`: shares, SEs, intervals, ranks, labels, letters, warnings.
pub(super) fn build(
    codebook: &Codebook,
    tab: &Tabulation,
    (groupings, contrast_groupings): (&[Grouping], &[Grouping]),
    input: Input,
    weight: Option<String>,
    opts: &Options,
    design: Option<Design>,
) -> Results {
    let lang = opts.lang;
    let design_info = design.as_ref().map(|d| DesignInfo {
        strata: codebook.design.strata.clone(),
        psu: codebook.design.psu.clone(),
        fpc: codebook.design.fpc.clone(),
        lonely_psu: d.sums.lonely,
        strata_count: d.sums.strata.len() as u64,
        psus: d.sums.psus(),
        df: d.sums.df(),
    });
    let ctx = Context {
        weighted: weight.is_some(),
        lang,
        opts,
        design,
    };
    let mut warnings: Vec<Warning> = weight_warning(tab).into_iter().collect();
    let mut questions = question_results(codebook, tab, groupings, &ctx, &mut warnings);
    let mut contrasts = contrast_results(codebook, tab, &questions, contrast_groupings, &ctx);
    split_nets(&mut questions, &mut contrasts);
    let mut results = Results {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        input,
        survey: SurveyInfo {
            id: codebook.survey.id.clone(),
            title: pick(&codebook.survey.title, lang).into(),
            source: pick(&codebook.survey.source, lang).into(),
            population: pick(&codebook.survey.population, lang).into(),
            synthetic: tab.synthetic,
        },
        lang: lang.into(),
        method: method(opts, &codebook.design),
        design: design_info,
        weight,
        base: Base {
            respondents: tab.rows,
            excluded: tab.excluded,
            dropped: tab.dropped_rows(),
            filtered: tab.filtered,
            kept: tab.rows - tab.excluded - tab.dropped_rows() - tab.filtered,
        },
        filter: filter_info(codebook, tab, opts),
        dropped: tab.dropped.iter().map(|d| d.in_lang(lang)).collect(),
        exclusions: codebook
            .exclude
            .iter()
            .zip(&tab.excluded_by)
            .map(|(e, &count)| ExclusionCount {
                column: e.column.clone(),
                codes: e.exclude.clone(),
                count,
                note: pick(&e.note, lang).into(),
            })
            .collect(),
        significance: significance(opts),
        questions,
        contrasts,
        warnings,
        cells: opts.cells.clone(),
    };
    if let Some(left_out) = results.rows_left_out() {
        results.warnings.insert(0, left_out);
    }
    results
}

/// The test, adjustment and level of the comparisons.
fn significance(opts: &Options) -> Significance {
    Significance {
        compare: opts.compare,
        test: opts.test,
        test_description: match opts.test {
            stats::Test::PooledZ => "two-proportion z-test, pooled, no continuity correction (R prop.test(correct = FALSE)), \
               on Kish effective bases"
                .into(),
            stats::Test::Wald => "Wald test of the design-based difference of the two shares over its SE, covariance \
               included (R svyby(..., covmat = TRUE) and svycontrast), against the normal distribution"
                .into(),
        },
        adjust: opts.adjust,
        alpha: opts.alpha,
        min_base: opts.min_base,
    }
}

/// The `--where` filter every base is within, with its label when it is a named filter.
fn filter_info(codebook: &Codebook, tab: &Tabulation, opts: &Options) -> Option<FilterInfo> {
    opts.filter.as_ref().map(|f| FilterInfo {
        expression: f.trim().to_string(),
        label: codebook
            .filters
            .iter()
            .find(|n| n.id == f.trim() && !n.label.is_empty())
            .map(|n| pick(&n.label, opts.lang).to_string()),
        eligible: tab.rows - tab.excluded - tab.dropped_rows(),
    })
}

/// How every number was computed, in words.
pub(super) fn method(opts: &Options, design: &crate::codebook::Design) -> Method {
    let se = if design.is_complex() {
        let arg = |name: &str, c: &Option<String>| c.as_ref().map(|c| format!(", {name} = ~{c}"));
        format!(
            "Taylor linearisation, as R survey::svymean with svydesign(ids = ~{}{}{}, weights = ~weight, nest = TRUE) \
             on every valid row; a question's base is a domain (R subset(): excluded respondents stay in the design); \
             groups as svyby",
            design.psu.as_deref().unwrap_or("1"),
            arg("strata", &design.strata).unwrap_or_default(),
            arg("fpc", &design.fpc).unwrap_or_default(),
        )
    } else {
        "Taylor linearisation, as R survey::svymean with svydesign(ids = ~1, weights = ~weight); \
         groups as svyby (domain estimation)"
            .into()
    };
    Method {
        confidence_level: opts.confidence,
        share: "weighted selections / weighted base (% of respondents in the base)".into(),
        se,
        ci: interval_words(opts.interval).into(),
        interval: opts.interval,
    }
}

/// What an interval method is, for `method.ci`.
pub(super) fn interval_words(method: stats::Interval) -> &'static str {
    use stats::Interval as I;
    match method {
        I::Wilson => "Wilson score interval on the Kish effective base",
        I::Beta => "Korn-Graubard (R svyciprop(method = \"beta\")): a Clopper-Pearson interval on the design-effective base, with the domain's design degrees of freedom",
        I::Logit => "Wald interval on the logit scale with t on the domain's design degrees of freedom (R svyciprop(method = \"logit\"))",
        I::Xlogit => "Wald interval on the logit scale of the mean, with t on the domain's design degrees of freedom (R svyciprop(method = \"xlogit\"))",
        I::Asin => "Wald interval on the arcsine-square-root scale with t on the domain's design degrees of freedom (R svyciprop(method = \"asin\"))",
        I::Mean => "Wald interval on the share with t on the domain's design degrees of freedom (R svyciprop(method = \"mean\"))",
    }
}

/// A warning when the largest weight is more than 10 times the median.
pub(super) fn weight_warning(tab: &Tabulation) -> Option<Warning> {
    let (max, median) = (tab.weight_max?, tab.weight_median?);
    // Said with four significant digits: enough to judge the ratio, and the same whether
    // the weights were read or summed (the sums may round them).
    (median > 0.0 && max > 10.0 * median).then(|| {
        Warning::new(
            WarningCode::Weights,
            vec![("max", max.into()), ("median", median.into())],
        )
    })
}

/// Every question, in the total and in each group of each `--by` segment; a warning per
/// base too small to read.
pub(super) fn question_results(
    codebook: &Codebook,
    tab: &Tabulation,
    groupings: &[Grouping],
    ctx: &Context,
    warnings: &mut Vec<Warning>,
) -> Vec<QuestionResult> {
    let mut questions = Vec::new();
    for (qi, (q, sums)) in codebook.questions.iter().zip(&tab.questions).enumerate() {
        let mut result = question_result(q, qi, sums, ctx);
        if let Some(&n) = tab.partial.get(qi).filter(|&&n| n > 0) {
            let code = if sums.each_item {
                WarningCode::PartialEach
            } else {
                WarningCode::PartialAny
            };
            warnings.push(Warning::new(
                code,
                vec![("question", q.id.clone().into()), ("respondents", n.into())],
            ));
        }
        if result.base.effective < MIN_READABLE_BASE {
            let code = if ctx.weighted {
                WarningCode::SmallBase
            } else {
                WarningCode::SmallBaseUnweighted
            };
            warnings.push(Warning::new(
                code,
                vec![
                    ("question", q.id.clone().into()),
                    ("respondents", result.base.unweighted.into()),
                    ("effective", result.base.effective.into()),
                    ("min", MIN_READABLE_BASE.into()),
                ],
            ));
        }
        for g in groupings {
            let (groups, comparisons) = group_results(q, qi, sums, &result, g, ctx);
            let in_groups: u64 = groups.iter().map(|x| x.base.unweighted).sum();
            if in_groups < result.base.unweighted {
                let weighted: f64 = groups.iter().map(|x| x.base.weighted).sum();
                result.no_group.push(NoGroup {
                    segment: g.name.clone(),
                    unweighted: result.base.unweighted - in_groups,
                    weighted: (result.base.weighted - weighted).max(0.0),
                });
            }
            for group in groups
                .iter()
                .filter(|g| g.base.effective < MIN_READABLE_BASE)
            {
                warnings.push(Warning::new(
                    WarningCode::SmallGroup,
                    vec![
                        ("question", q.id.clone().into()),
                        ("segment", g.name.clone().into()),
                        ("value", group.value.clone().into()),
                        ("effective", group.base.effective.into()),
                        ("min", MIN_READABLE_BASE.into()),
                    ],
                ));
            }
            result
                .association
                .extend(association(q, qi, sums, g, ctx, false));
            result.by.extend(groups);
            result.comparisons.extend(comparisons);
        }
        questions.push(result);
    }
    questions
}

/// Each contrast: its question within the answers of another.
pub(super) fn contrast_results(
    codebook: &Codebook,
    tab: &Tabulation,
    questions: &[QuestionResult],
    groupings: &[Grouping],
    ctx: &Context,
) -> Vec<ContrastResult> {
    codebook
        .contrasts
        .iter()
        .zip(groupings)
        .filter_map(|(c, g)| {
            let qi = codebook.questions.iter().position(|q| q.id == c.question)?;
            let (groups, comparisons) = group_results(
                &codebook.questions[qi],
                qi,
                &tab.questions[qi],
                &questions[qi],
                g,
                ctx,
            );
            let association = association(
                &codebook.questions[qi],
                qi,
                &tab.questions[qi],
                g,
                ctx,
                true,
            );
            Some(ContrastResult {
                id: c.id.clone(),
                question: c.question.clone(),
                by: c.by.clone(),
                groups,
                comparisons,
                association,
            })
        })
        .collect()
}

pub(super) struct Context<'a> {
    pub(super) weighted: bool,
    pub(super) lang: crate::locale::Lang,
    pub(super) opts: &'a Options,
    /// The strata and PSUs, when the design has them.
    pub(super) design: Option<Design<'a>>,
}

pub(super) fn question_base(b: &BaseSums) -> QuestionBase {
    QuestionBase {
        unweighted: b.n,
        weighted: b.w,
        effective: stats::effective_base(b),
        design_effect: stats::design_effect(b),
        weighting_efficiency: stats::weighting_efficiency(b),
    }
}

/// Items in codebook order; `se` computes each item's standard error from its base and
/// sums, `df` the degrees of freedom of its domain's design (for the intervals that use them).
pub(super) fn items(
    q: &Question,
    sums: &QuestionSums,
    (se, df): (
        impl Fn(usize, &BaseSums, &ItemSums) -> Option<f64>,
        impl Fn(usize) -> f64,
    ),
    ctx: &Context,
) -> Vec<ItemResult> {
    let mut items: Vec<ItemResult> = rows(q)
        .into_iter()
        .zip(&sums.items)
        .enumerate()
        .map(|(i, (item, s))| {
            let base = sums.item_base(i);
            let share = stats::share(&base, s);
            let se = se(i, &base, s);
            let domain = stats::Domain {
                se,
                kish: stats::effective_base(&base),
                rows: base.n as f64,
                df: df(i),
            };
            let ci = share
                .and_then(|p| stats::interval(ctx.opts.interval, p, &domain, ctx.opts.confidence));
            ItemResult {
                id: item.id.into(),
                label: pick(item.label, ctx.lang).into(),
                rank: 0,
                count: s.count,
                weighted_count: s.wy,
                share,
                se,
                deff: share.and_then(|p| stats::deff(p, se?, base.n)),
                ci_low: ci.map(|c| c.0),
                ci_high: ci.map(|c| c.1),
                pinned_last: item.last,
                base: sums.each_item.then(|| question_base(&base)),
                items: item.combines.to_vec(),
                headline: item.headline,
            }
        })
        .collect();
    // Items and nets are ranked apart: pinned items last, then descending share; the
    // stable sort keeps codebook order for ties.
    for nets in [false, true] {
        let mut ranked: Vec<usize> = (0..items.len())
            .filter(|&i| items[i].is_net() == nets)
            .collect();
        ranked.sort_by(|&a, &b| {
            let (ia, ib) = (&items[a], &items[b]);
            ia.pinned_last.cmp(&ib.pinned_last).then_with(|| {
                ib.share
                    .unwrap_or(-1.0)
                    .total_cmp(&ia.share.unwrap_or(-1.0))
            })
        });
        for (pos, &i) in ranked.iter().enumerate() {
            items[i].rank = pos as u32 + 1;
        }
    }
    items
}

/// One row of a question's table: an item, or a net of items.
pub(super) struct Row<'a> {
    pub(super) id: &'a str,
    pub(super) label: &'a crate::codebook::Labels,
    pub(super) last: bool,
    /// The items a net combines; empty for an item.
    pub(super) combines: &'a [String],
    /// A net that leads the headline.
    pub(super) headline: bool,
}

/// The rows of a question in the order of its sums: the items, then the nets.
pub(super) fn rows(q: &Question) -> Vec<Row<'_>> {
    let items = q.items.iter().map(|i| Row {
        id: &i.id,
        label: &i.label,
        last: i.last,
        combines: &[],
        headline: false,
    });
    let nets = q.nets.iter().map(|n| Row {
        id: &n.id,
        label: &n.label,
        last: false,
        combines: &n.items,
        headline: n.headline,
    });
    items.chain(nets).collect()
}

/// Moves the nets out of the rows of a question, of its groups and of its contrasts'
/// groups (statistics and tests treat them as rows; outputs keep them apart).
pub(super) fn split_nets(questions: &mut [QuestionResult], contrasts: &mut [ContrastResult]) {
    let split_groups = |groups: &mut Vec<GroupResult>| {
        for g in groups {
            let (nets, items) = std::mem::take(&mut g.items)
                .into_iter()
                .partition(|i| i.item.is_net());
            g.items = items;
            g.nets = nets;
        }
    };
    for q in questions {
        let (nets, items) = std::mem::take(&mut q.items)
            .into_iter()
            .partition(ItemResult::is_net);
        q.items = items;
        q.nets = nets;
        split_groups(&mut q.by);
    }
    for c in contrasts {
        split_groups(&mut c.groups);
    }
}

pub(super) fn question_result(
    q: &Question,
    qi: usize,
    sums: &QuestionSums,
    ctx: &Context,
) -> QuestionResult {
    let se = |i: usize, base: &BaseSums, s: &ItemSums| match &ctx.design {
        Some(d) => d.se(
            None,
            ItemAt {
                question: qi,
                item: i,
            },
            base,
            s,
        ),
        // A domain of the design when filtered: n counts the filtered-out respondents.
        None => stats::svyby_se(sums.design_n(i), base, s),
    };
    let df = |i: usize| match &ctx.design {
        Some(d) => d.df(
            None,
            ItemAt {
                question: qi,
                item: i,
            },
        ),
        None => sums.item_base(i).n as f64 - 1.0,
    };
    let mut items = items(q, sums, (se, df), ctx);
    if q.order == Order::Ranked {
        items.sort_by_key(|i| (i.is_net(), i.rank));
    }
    let title = if q.title.is_empty() {
        &q.text
    } else {
        &q.title
    };
    QuestionResult {
        id: q.id.clone(),
        title: pick(title, ctx.lang).into(),
        text: pick(&q.text, ctx.lang).into(),
        note: pick(&q.note, ctx.lang).into(),
        kind: q.kind,
        weighted: ctx.weighted,
        base: question_base(&sums.base),
        order: q.order,
        items,
        nets: Vec::new(),
        by: Vec::new(),
        comparisons: Vec::new(),
        no_group: Vec::new(),
        association: Vec::new(),
        // Only the language's own phrase: another language's would not fit its sentence.
        headline: q.headline.get(ctx.lang.code()).cloned(),
        lowercase: q.lowercase.iter().any(|l| l == ctx.lang.code()),
    }
}

/// Question `q` within each group of `g`, with pairwise tests item by item.
pub(super) fn group_results(
    q: &Question,
    qi: usize,
    total: &QuestionSums,
    shown: &QuestionResult,
    g: &Grouping,
    ctx: &Context,
) -> (Vec<GroupResult>, Vec<Comparison>) {
    let mut groups: Vec<GroupResult> = Vec::new();
    for (k, (value, label)) in g.groups.iter().enumerate() {
        let Some(sums) = g
            .sums
            .iter()
            .find(|s| &s.value == value)
            .map(|s| &s.questions[qi])
        else {
            continue;
        };
        let se = |i: usize, base: &BaseSums, s: &ItemSums| match &ctx.design {
            Some(d) => d.se(
                Some((g.index, value.as_bytes())),
                ItemAt {
                    question: qi,
                    item: i,
                },
                base,
                s,
            ),
            None => stats::svyby_se(total.design_n(i), base, s),
        };
        let df = |i: usize| match &ctx.design {
            Some(d) => d.df(
                Some((g.index, value.as_bytes())),
                ItemAt {
                    question: qi,
                    item: i,
                },
            ),
            None => sums.item_base(i).n as f64 - 1.0,
        };
        let by_codebook = items(q, sums, (se, df), ctx);
        // Same order as the total.
        let items = shown
            .items
            .iter()
            .filter_map(|t| by_codebook.iter().find(|i| i.id == t.id))
            .map(|i| GroupItem {
                item: i.clone(),
                higher_than: Vec::new(),
                versus_rest: None,
            })
            .collect();
        let base = question_base(&sums.base);
        let base_flag = BaseFlag::of(base.unweighted);
        groups.push(GroupResult {
            segment: g.name.clone(),
            segment_label: g.label.clone(),
            segment_lowercase: g.lowercase,
            value: value.clone(),
            label: label.clone(),
            letter: letter(k),
            base,
            base_flag,
            items,
            nets: Vec::new(),
        });
    }

    let comparisons = match ctx.opts.compare {
        stats::Compare::Pairs => compare(&mut groups, shown, (g, q, qi), ctx),
        stats::Compare::Total => compare_with_rest(&mut groups, shown, (g, q, qi), total, ctx),
    };
    (groups, comparisons)
}
