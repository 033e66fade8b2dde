//! The one way through: load → exclude → tabulate → `Results`.

use crate::codebook::{pick, Codebook, Contrast, Order, Question, Segment};
use crate::design::DesignSums;
use crate::error::{DataError, Error, Result};
use crate::pipeline::{open_source, Options, Prepared};
use crate::problems::{describe, ProblemKind};
use crate::results::{
    Association, Base, BaseFlag, Comparison, ContrastResult, DesignInfo, ExclusionCount,
    FilterInfo, GroupItem, GroupResult, Input, ItemResult, Method, NoGroup, QuestionBase,
    QuestionResult, Results, Significance, SurveyInfo, Tool, SCHEMA_VERSION,
};
use crate::stats::{self, BaseSums, ItemSums, StratumSums};
use crate::tabulate::{GroupSums, Pass, QuestionSums, Settings, Tabulation};
use crate::text::thousands;

/// A set of groups: a segment (`--by`) or the answers of a contrast's question.
pub struct Grouping {
    /// Segment id or question id.
    pub name: String,
    /// The segment's label in the results' language (empty: say the id).
    pub label: String,
    /// Whether the label may be lowercased inside a sentence.
    pub lowercase: bool,
    /// Its place among the plan's grouping columns.
    pub index: usize,
    /// (value, label) in letter order.
    pub groups: Vec<(String, String)>,
    pub sums: Vec<GroupSums>,
}

/// Groups of a tabulation in letter order: known codes first (in codebook order), then the
/// other values sorted; `only` keeps just the listed codes.
fn order_groups(sums: Vec<GroupSums>, known: &[(String, String)], only: bool) -> Grouping {
    let mut groups: Vec<(String, String)> = known
        .iter()
        .filter(|(v, _)| sums.iter().any(|g| &g.value == v))
        .cloned()
        .collect();
    if !only {
        for g in &sums {
            if !known.iter().any(|(v, _)| v == &g.value) {
                groups.push((g.value.clone(), g.value.clone()));
            }
        }
    }
    Grouping {
        name: String::new(),
        label: String::new(),
        lowercase: false,
        index: 0,
        groups,
        sums,
    }
}

/// Analyses one input (`-` for standard input) with `codebook`.
pub fn analyse(input: &str, codebook: &Codebook, opts: &Options) -> Result<Results> {
    opts.check()?;
    let codebook = &opts.with_design(codebook);
    let segments = opts.segments(codebook)?;
    let src = open_source(input, codebook, opts)?;
    let prepared = Prepared::new(
        codebook,
        src,
        &opts.weight,
        segments.clone(),
        (&segments, opts.filter.as_deref()),
    )?;
    let (tab, blake3) = if opts.lenient {
        lenient(&prepared)?
    } else {
        strict(&prepared)?
    };
    let strata = match &tab.design {
        Some(d) => Some(strata(codebook, &prepared.src.name, d)?),
        None => None,
    };
    let input = Input {
        path: prepared.src.json_path(),
        blake3,
        rows: tab.rows,
        from_sums: false,
    };
    let weight = prepared.header.weight.clone();
    finish(
        codebook,
        opts,
        &segments,
        &prepared.src.name,
        &tab,
        input,
        weight,
        strata,
    )
}

/// Analyses the sums `concerns sql`'s query returned (one file or several, added up), as
/// [`analyse`] would the rows they came from.
pub fn analyse_sums(files: &[String], codebook: &Codebook, opts: &Options) -> Result<Results> {
    opts.check()?;
    let codebook = &opts.with_design(codebook);
    let crate::sql::Planned {
        plan,
        columns,
        segments,
        weight,
        made_with,
    } = crate::sql::plan_for(codebook, opts)?;
    let key = crate::sql::query_key(&plan, &columns, &codebook.question_ids(), &made_with)
        .map_err(|u| Error::Usage(format!("--sums: {}", u.0)))?;
    let (tab, digest) = crate::sums::tabulation(files, &plan, codebook, (opts.lenient, &key))?;
    let name = files.join(" + ");
    let strata = match &tab.design {
        Some(d) => Some(strata(codebook, &name, d)?),
        None => None,
    };
    let names: Vec<String> = files
        .iter()
        .map(|f| {
            std::path::Path::new(f)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| f.clone())
        })
        .collect();
    let input = Input {
        path: names.join(" + "),
        blake3: blake3::Hash::from_bytes(digest.try_into().unwrap_or([0; 32]))
            .to_hex()
            .to_string(),
        rows: tab.rows,
        from_sums: true,
    };
    finish(
        codebook, opts, &segments, &name, &tab, input, weight, strata,
    )
}

/// From the tabulation on, the same for rows and for sums.
#[allow(clippy::too_many_arguments)]
fn finish(
    codebook: &Codebook,
    opts: &Options,
    segments: &[&crate::codebook::Segment],
    name: &str,
    tab: &Tabulation,
    input: Input,
    weight: Option<String>,
    strata: Option<Strata>,
) -> Result<Results> {
    let dropped = tab.dropped_rows();
    if let Some(e) = crate::pipeline::all_excluded(codebook, name, tab.rows, tab.excluded, dropped)
    {
        return Err(e.into());
    }
    if tab.rows == dropped {
        return Err(DataError::new(
            name,
            format!("all {} rows have problems; nothing is left to tabulate (run `concerns validate {name}`)", tab.rows),
        )
        .into());
    }
    if tab.filtered > 0 && tab.rows == tab.excluded + dropped + tab.filtered {
        return Err(Error::Usage(format!(
            "--where {}: none of the {} respondents the screener kept matches; nothing is left to tabulate",
            crate::text::visible(opts.filter.as_deref().unwrap_or_default()),
            tab.filtered
        )));
    }
    check_groups(segments, name, tab)?;
    let mut sums = tab.groupings.clone().into_iter();
    let groupings: Vec<Grouping> = segments
        .iter()
        .enumerate()
        .map(|(k, seg)| {
            let mut g = segment_grouping(seg, sums.next().unwrap_or_default(), &opts.lang);
            g.index = k;
            g
        })
        .collect();
    let contrast_groupings: Vec<Grouping> = codebook
        .contrasts
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let mut g = contrast_grouping(codebook, c, sums.next().unwrap_or_default(), &opts.lang);
            g.index = segments.len() + k;
            g
        })
        .collect();
    let mut results = build(
        codebook,
        tab,
        (&groupings, &contrast_groupings),
        input,
        weight,
        opts,
        strata,
    );
    results.warnings.extend(blank_notes(segments, tab));
    Ok(results)
}

/// The sums when every row must be right: the first problem is the error.
fn strict(prepared: &Prepared) -> Result<(Tabulation, String)> {
    let settings = Settings {
        max_problems: 1,
        skip: Default::default(),
    };
    let read = prepared.read(&settings)?;
    let (src, header, plan) = (&prepared.src, &prepared.header, &prepared.plan);
    if let Some(u) = &read.unterminated {
        // Whatever else is wrong, this explains the end of the file: fix it first.
        return Err(describe(src, header, plan, u).into());
    }
    if let Some(first) = read.pass.problems().first() {
        let mut e = describe(src, header, plan, first);
        if let ProblemKind::Value(v) = &first.kind {
            let count = read.pass.counts().rule(v.rule);
            if count > 1 {
                e = crate::problems::with_rows_like_it(e, count);
            }
        }
        return Err(e.into());
    }
    if !read.duplicates.is_empty() {
        let column = prepared.codebook.respondent_id.clone().unwrap_or_default();
        return Err(DataError::new(
            &src.name,
            format!(
                "{} respondent IDs are duplicates; `concerns validate {}` lists their rows",
                read.duplicates.len(),
                src.name
            ),
        )
        .column(column)
        .into());
    }
    Ok((
        read.pass.finish(&prepared.codebook.question_ids()),
        read.blake3,
    ))
}

/// The sums of the rows without problems; what was left out is counted per reason.
fn lenient(prepared: &Prepared) -> Result<(Tabulation, String)> {
    let settings = Settings::default();
    let read = prepared.read(&settings)?;
    if let Some(u) = &read.unterminated {
        return Err(describe(&prepared.src, &prepared.header, &prepared.plan, u).into());
    }
    let ids = prepared.codebook.question_ids();
    if read.duplicates.is_empty() {
        let mut tab = read.pass.finish(&ids);
        tab.dropped = read.pass.counts().dropped(&prepared.plan);
        tab.dropped_total = read.pass.counts().dropped_rows();
        return Ok((tab, read.blake3));
    }
    // Keep the first row of each repeated ID; pass again without the later ones.
    let again = Settings {
        max_problems: 0,
        skip: read.duplicates.iter().map(|f| f.offset).collect(),
    };
    let mut pass = prepared.run(false, &|| Pass::new(&prepared.plan, &again))?;
    pass.set_duplicate_ids(again.skip.len() as u64);
    let mut tab = pass.finish(&ids);
    tab.dropped = pass.counts().dropped(&prepared.plan);
    tab.dropped_total = pass.counts().dropped_rows();
    Ok((tab, read.blake3))
}

/// The design's strata ready for variances, or the design problem as an error.
fn strata<'a>(codebook: &Codebook, name: &str, sums: &'a DesignSums) -> Result<Strata<'a>> {
    match sums.strata_factors() {
        Ok((psus, fpc_factor)) => Ok(Strata {
            sums,
            psus,
            fpc_factor,
        }),
        Err(p) => {
            let design = &codebook.design;
            let column = match p.on {
                crate::design::On::Strata => &design.strata,
                crate::design::On::Psu => &design.psu,
                crate::design::On::Fpc => &design.fpc,
            };
            let e = DataError::new(name, p.message);
            Err(match column {
                Some(c) => e.column(c.clone()).into(),
                None => e.into(),
            })
        }
    }
}

/// A banner compares a bounded number of groups with labels of bounded length.
fn check_groups(
    segments: &[&crate::codebook::Segment],
    name: &str,
    tab: &Tabulation,
) -> Result<()> {
    for (seg, groups) in segments.iter().zip(&tab.groupings) {
        let error = |message: String| {
            Err(DataError::new(name, message)
                .column(seg.column.clone())
                .into())
        };
        if groups.len() > MAX_GROUPS {
            return error(format!(
                "segment '{}' has more than {MAX_GROUPS} distinct values, more than a banner can compare; list its values in the codebook or choose another segment",
                seg.id,
            ));
        }
        if let Some(long) = groups
            .iter()
            .find(|v| v.value.chars().count() > MAX_GROUP_VALUE)
        {
            return error(format!(
                "segment '{}' has a value of {} characters (at most {MAX_GROUP_VALUE}): '{}…'",
                seg.id,
                long.value.chars().count(),
                long.value.chars().take(20).collect::<String>()
            ));
        }
    }
    Ok(())
}

/// The groups of a `--by` segment: its listed values in codebook order, then the others.
fn segment_grouping(seg: &Segment, sums: Vec<GroupSums>, lang: &str) -> Grouping {
    let known: Vec<(String, String)> = seg
        .values
        .iter()
        .map(|v| (v.code.clone(), pick(&v.label, lang).to_string()))
        .collect();
    let mut g = order_groups(sums, &known, false);
    for (value, label) in g.groups.iter_mut() {
        if label.is_empty() {
            *label = value.clone();
        }
    }
    g.name = seg.id.clone();
    g.label = pick(&seg.label, lang).to_string();
    g.lowercase = seg.lowercase.iter().any(|l| l == lang);
    g
}

/// The groups of a contrast: just the answers it names, labelled as the question's items.
fn contrast_grouping(
    codebook: &Codebook,
    c: &Contrast,
    sums: Vec<GroupSums>,
    lang: &str,
) -> Grouping {
    let q = codebook.question(&c.by);
    let known: Vec<(String, String)> = c
        .groups
        .iter()
        .map(|code| {
            let label = q
                .and_then(|q| {
                    q.items
                        .iter()
                        .find(|i| i.code.as_deref() == Some(code.as_str()))
                })
                .map(|i| pick(&i.label, lang).to_string())
                .unwrap_or_else(|| code.clone());
            (code.clone(), label)
        })
        .collect();
    let mut g = order_groups(sums, &known, true);
    g.name = c.by.clone();
    g
}

/// Kept respondents with no value of a segment: in the total, in no group.
fn blank_notes(segments: &[&Segment], tab: &Tabulation) -> Vec<String> {
    segments
        .iter()
        .zip(&tab.blank_groups)
        .filter(|(_, &n)| n > 0)
        .map(|(seg, &n)| {
            format!(
                "segment '{}': {} kept {} no value; {} in the total but in no group",
                seg.id,
                thousands(n),
                if n == 1 {
                    "respondent has"
                } else {
                    "respondents have"
                },
                if n == 1 { "it counts" } else { "they count" }
            )
        })
        .collect()
}

/// Groups of one segment a banner compares at most.
pub use crate::tally::MAX_GROUPS;
/// Characters of one segment value shown as a group label.
pub const MAX_GROUP_VALUE: usize = 200;

/// Bases under this many (effective) respondents are flagged as unreliable.
const MIN_READABLE_BASE: f64 = 30.0;

/// Turns raw sums into `Results`: shares, SEs, intervals, ranks, labels, letters, warnings.
fn build(
    codebook: &Codebook,
    tab: &Tabulation,
    (groupings, contrast_groupings): (&[Grouping], &[Grouping]),
    input: Input,
    weight: Option<String>,
    opts: &Options,
    design: Option<Strata>,
) -> Results {
    let lang = opts.lang.as_str();
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
    let mut warnings: Vec<String> = weight_warning(tab, lang).into_iter().collect();
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
        filter: opts.filter.as_ref().map(|f| FilterInfo {
            expression: f.trim().to_string(),
            label: codebook
                .filters
                .iter()
                .find(|n| n.id == f.trim() && !n.label.is_empty())
                .map(|n| pick(&n.label, lang).to_string()),
            eligible: tab.rows - tab.excluded - tab.dropped_rows(),
        }),
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
        significance: Significance {
            compare: opts.compare,
            test: match opts.test {
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
        },
        questions,
        contrasts,
        warnings,
        cells: opts.cells.clone(),
    };
    if let Some(note) = results.dropped_note() {
        results.warnings.insert(0, note);
    }
    results
}

/// How every number was computed, in words.
fn method(opts: &Options, design: &crate::codebook::Design) -> Method {
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
fn interval_words(method: stats::Interval) -> &'static str {
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
fn weight_warning(tab: &Tabulation, lang: &str) -> Option<String> {
    let (max, median) = (tab.weight_max?, tab.weight_median?);
    let w = crate::locale::words(lang);
    (median > 0.0 && max > 10.0 * median).then(|| {
        w.fill(
            "warn_weights",
            // Four significant digits: enough to judge the ratio, and the same whether the
            // weights were read or summed (the sums may round them).
            &[
                ("max", &w.significant(max, 4)),
                ("median", &w.significant(median, 4)),
            ],
        )
    })
}

/// Every question, in the total and in each group of each `--by` segment; a warning per
/// base too small to read.
fn question_results(
    codebook: &Codebook,
    tab: &Tabulation,
    groupings: &[Grouping],
    ctx: &Context,
    warnings: &mut Vec<String>,
) -> Vec<QuestionResult> {
    let w = crate::locale::words(ctx.lang);
    let mut questions = Vec::new();
    for (qi, (q, sums)) in codebook.questions.iter().zip(&tab.questions).enumerate() {
        let mut result = question_result(q, qi, sums, ctx);
        if let Some(&n) = tab.partial.get(qi).filter(|&&n| n > 0) {
            let key = if sums.each_item {
                "warn_partial_each"
            } else {
                "warn_partial_any"
            };
            warnings.push(w.fill(
                key,
                &[("question", &q.id), ("respondents", &w.respondents(n))],
            ));
        }
        if result.base.effective < MIN_READABLE_BASE {
            let key = if ctx.weighted {
                "warn_small_base"
            } else {
                "warn_small_base_unweighted"
            };
            warnings.push(w.fill(
                key,
                &[
                    ("question", &q.id),
                    ("respondents", &w.respondents(result.base.unweighted)),
                    ("effective", &w.tenths(result.base.effective)),
                    ("min", &w.plain(MIN_READABLE_BASE)),
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
                warnings.push(w.fill(
                    "warn_small_group",
                    &[
                        ("question", &q.id),
                        ("segment", &g.name),
                        ("value", &group.value),
                        ("effective", &w.tenths(group.base.effective)),
                        ("min", &w.plain(MIN_READABLE_BASE)),
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
fn contrast_results(
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

struct Context<'a> {
    weighted: bool,
    lang: &'a str,
    opts: &'a Options,
    /// The strata and PSUs, when the design has them.
    design: Option<Strata<'a>>,
}

/// A complex design ready for variances: its sums, and per stratum its PSUs and finite
/// population correction factor.
struct Strata<'a> {
    sums: &'a DesignSums,
    psus: Vec<u64>,
    fpc_factor: Vec<f64>,
}

impl Strata<'_> {
    /// Degrees of freedom of the design restricted to the respondents of `groups` (of
    /// grouping column `g`) in the base of item `i` of question `qi`: their PSUs − their
    /// strata.
    fn df_of(&self, groups: &[&GroupSums], g: usize, (qi, i): (usize, usize)) -> f64 {
        let mut units = std::collections::BTreeMap::new();
        for s in groups {
            for (u, x) in self.sums.item(Some((g, s.value.as_bytes())), qi, i) {
                if x.n > 0.0 {
                    *units.entry(u).or_insert(0.0) += x.n;
                }
            }
        }
        let strata: std::collections::BTreeSet<usize> =
            units.keys().map(|u| self.sums.unit_stratum[*u]).collect();
        let psus: f64 = if self.sums.psus_given {
            units.len() as f64
        } else {
            units.values().sum()
        };
        psus - strata.len() as f64
    }

    /// The variance of the rest of the base's share (everyone in the base outside group
    /// `domain`) and its covariance with the group's, over the PSUs.
    fn versus_rest(
        &self,
        domain: (usize, &[u8]),
        (qi, i): (usize, usize),
        (pg, wg): (f64, f64),
        (pr, wr): (f64, f64),
    ) -> Option<(f64, f64)> {
        if wg <= 0.0 || wr <= 0.0 {
            return None;
        }
        let group: std::collections::BTreeMap<usize, crate::design::UnitItem> =
            self.sums.item(Some(domain), qi, i).into_iter().collect();
        let strata_n = self.psus.len();
        let (mut zg, mut zr) = (vec![0.0; strata_n], vec![0.0; strata_n]);
        let (mut gg, mut rr, mut gr) = (
            vec![0.0; strata_n],
            vec![0.0; strata_n],
            vec![0.0; strata_n],
        );
        let mut present = vec![false; strata_n];
        for (u, all) in self.sums.item(None, qi, i) {
            let h = self.sums.unit_stratum[u];
            present[h] = true;
            let own = group.get(&u).copied().unwrap_or_default();
            let (wy, wn) = (all.wy - own.wy, all.wn - own.wn);
            let a = ((1.0 - pg) * own.wy - pg * own.wn) / wg;
            let b = ((1.0 - pr) * wy - pr * wn) / wr;
            zg[h] += a;
            zr[h] += b;
            if self.sums.psus_given {
                gg[h] += a * a;
                rr[h] += b * b;
                gr[h] += a * b;
            } else {
                // Respondents are their own PSUs, each in the group or in the rest.
                let (w2y, w2n) = (all.w2y - own.w2y, all.w2n - own.w2n);
                gg[h] += ((1.0 - pg).powi(2) * own.w2y + pg * pg * own.w2n) / (wg * wg);
                rr[h] += ((1.0 - pr).powi(2) * w2y + pr * pr * w2n) / (wr * wr);
            }
        }
        let cross = |a: &[f64], b: &[f64], ab: &[f64]| {
            let strata: Vec<stats::StratumCross> = (0..strata_n)
                .map(|h| stats::StratumCross {
                    psus: self.psus[h],
                    fpc_factor: self.fpc_factor[h],
                    a: a[h],
                    b: b[h],
                    ab: ab[h],
                    present: present[h],
                })
                .collect();
            stats::stratified_covariance(&strata, self.sums.lonely).ok()
        };
        Some((cross(&zr, &zr, &rr)?, cross(&zg, &zr, &gr)?))
    }

    /// The covariance of the cell shares `m` of a 2 × G table (item `i` of question `qi`
    /// by the groups of grouping column `g`; cells as [`association`] orders them), whose
    /// weights sum to `wd`.
    fn cell_cov(
        &self,
        groups: &[&GroupSums],
        (g, qi, i): (usize, usize, usize),
        m: &[f64],
        wd: f64,
    ) -> Option<Vec<Vec<f64>>> {
        let k = m.len();
        // Per unit, each cell's Σw (and Σw² when respondents are their own PSUs).
        let mut units: std::collections::BTreeMap<usize, (Vec<f64>, Vec<f64>)> =
            std::collections::BTreeMap::new();
        for (c, s) in groups.iter().enumerate() {
            for (u, x) in self.sums.item(Some((g, s.value.as_bytes())), qi, i) {
                let e = units
                    .entry(u)
                    .or_insert_with(|| (vec![0.0; k], vec![0.0; k]));
                e.0[2 * c] += x.wn;
                e.0[2 * c + 1] += x.wy;
                e.1[2 * c] += x.w2n;
                e.1[2 * c + 1] += x.w2y;
            }
        }
        let strata_n = self.psus.len();
        // Per stratum: Σ_j Z_a, and Σ_j Z_a Z_b.
        let mut s1 = vec![vec![0.0; k]; strata_n];
        let mut s2 = vec![vec![vec![0.0; k]; k]; strata_n];
        let mut present = vec![false; strata_n];
        for (u, (w, sq)) in &units {
            let h = self.sums.unit_stratum[*u];
            present[h] = true;
            let wu: f64 = w.iter().sum();
            let z: Vec<f64> = (0..k).map(|a| (w[a] - m[a] * wu) / wd).collect();
            for a in 0..k {
                s1[h][a] += z[a];
            }
            if self.sums.psus_given {
                for a in 0..k {
                    for b in 0..k {
                        s2[h][a][b] += z[a] * z[b];
                    }
                }
            } else {
                // Respondents are their own PSUs, each in one cell: Σ_i z_a z_b from the
                // cells' Σw² (the unit is the stratum).
                let sd: f64 = sq.iter().sum();
                for a in 0..k {
                    for b in 0..k {
                        let own = if a == b { sq[a] } else { 0.0 };
                        s2[h][a][b] +=
                            (own - m[b] * sq[a] - m[a] * sq[b] + m[a] * m[b] * sd) / (wd * wd);
                    }
                }
            }
        }
        let mut v = vec![vec![0.0; k]; k];
        for a in 0..k {
            for b in 0..k {
                let strata: Vec<stats::StratumCross> = (0..strata_n)
                    .map(|h| stats::StratumCross {
                        psus: self.psus[h],
                        fpc_factor: self.fpc_factor[h],
                        a: s1[h][a],
                        b: s1[h][b],
                        ab: s2[h][a][b],
                        present: present[h],
                    })
                    .collect();
                v[a][b] = stats::stratified_covariance(&strata, self.sums.lonely).ok()?;
            }
        }
        Some(v)
    }

    /// The covariance of the shares of two disjoint domains (groups of one segment), each
    /// given with its share and Σw, over the PSUs they share (R `svyby(…, covmat = TRUE)`).
    fn cov(
        &self,
        (da, pa, wa): ((usize, &[u8]), f64, f64),
        (db, pb, wb): ((usize, &[u8]), f64, f64),
        qi: usize,
        i: usize,
    ) -> Option<f64> {
        if wa <= 0.0 || wb <= 0.0 {
            return None;
        }
        let mut strata: Vec<stats::StratumCross> = self
            .psus
            .iter()
            .zip(&self.fpc_factor)
            .map(|(&psus, &f)| stats::StratumCross {
                psus,
                fpc_factor: f,
                a: 0.0,
                b: 0.0,
                ab: 0.0,
                present: false,
            })
            .collect();
        let za: std::collections::BTreeMap<usize, f64> = self
            .sums
            .item(Some(da), qi, i)
            .into_iter()
            .map(|(u, x)| (u, ((1.0 - pa) * x.wy - pa * x.wn) / wa))
            .collect();
        for (u, &z) in &za {
            let st = &mut strata[self.sums.unit_stratum[*u]];
            st.a += z;
            st.present = true;
        }
        for (u, x) in self.sums.item(Some(db), qi, i) {
            let z = ((1.0 - pb) * x.wy - pb * x.wn) / wb;
            let st = &mut strata[self.sums.unit_stratum[u]];
            st.b += z;
            st.present = true;
            // Respondents are their own PSUs: no two groups share one.
            if self.sums.psus_given {
                st.ab += z * za.get(&u).copied().unwrap_or(0.0);
            }
        }
        stats::stratified_covariance(&strata, self.sums.lonely)
            .ok()
            .filter(|v| v.is_finite())
    }

    /// Degrees of freedom of a domain's design, as R `degf` of `subset(design, domain)`:
    /// its PSUs with respondents − its strata with respondents (the respondents of item
    /// `i`'s base).
    fn df(&self, domain: Option<(usize, &[u8])>, (qi, i): (usize, usize)) -> f64 {
        let units = self.sums.item(domain, qi, i);
        let mut strata = std::collections::BTreeSet::new();
        let mut psus = 0.0;
        for (u, x) in units.iter().filter(|(_, x)| x.n > 0.0) {
            strata.insert(self.sums.unit_stratum[*u]);
            psus += if self.sums.psus_given { 1.0 } else { x.n };
        }
        psus - strata.len() as f64
    }

    /// The SE of item `i` of question `qi` in a domain (everyone kept, or a group of
    /// grouping column `g`) with base sums `base` and item sums `item`.
    fn se(
        &self,
        domain: Option<(usize, &[u8])>,
        qi: usize,
        i: usize,
        base: &BaseSums,
        item: &ItemSums,
    ) -> Option<f64> {
        let w = base.w;
        if w <= 0.0 {
            return None;
        }
        let p = item.wy / w;
        let mut strata: Vec<StratumSums> = self
            .psus
            .iter()
            .zip(&self.fpc_factor)
            .map(|(&psus, &f)| StratumSums {
                psus,
                fpc_factor: f,
                s1: 0.0,
                s2: 0.0,
                present: false,
            })
            .collect();
        for (u, x) in self.sums.item(domain, qi, i) {
            let st = &mut strata[self.sums.unit_stratum[u]];
            st.present |= x.n > 0.0;
            let z = ((1.0 - p) * x.wy - p * x.wn) / w;
            if self.sums.psus_given {
                st.s1 += z;
                st.s2 += z * z;
            } else {
                // Every respondent its own PSU: the unit is the stratum.
                st.s1 += z;
                st.s2 += ((1.0 - p) * (1.0 - p) * x.w2y + p * p * x.w2n) / (w * w);
            }
        }
        stats::stratified_variance(&strata, self.sums.lonely)
            .ok()
            .filter(|v| v.is_finite())
            // A sum of squares: below zero only by rounding.
            .map(|v| v.max(0.0).sqrt())
    }
}

fn question_base(b: &BaseSums) -> QuestionBase {
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
fn items(
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
struct Row<'a> {
    id: &'a str,
    label: &'a crate::codebook::Labels,
    last: bool,
    /// The items a net combines; empty for an item.
    combines: &'a [String],
    /// A net that leads the headline.
    headline: bool,
}

/// The rows of a question in the order of its sums: the items, then the nets.
fn rows(q: &Question) -> Vec<Row<'_>> {
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
fn split_nets(questions: &mut [QuestionResult], contrasts: &mut [ContrastResult]) {
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

fn question_result(q: &Question, qi: usize, sums: &QuestionSums, ctx: &Context) -> QuestionResult {
    let se = |i: usize, base: &BaseSums, s: &ItemSums| match &ctx.design {
        Some(d) => d.se(None, qi, i, base, s),
        // A domain of the design when filtered: n counts the filtered-out respondents.
        None => stats::svyby_se(sums.design_n(i), base, s),
    };
    let df = |i: usize| match &ctx.design {
        Some(d) => d.df(None, (qi, i)),
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
        headline: q.headline.get(ctx.lang).cloned(),
        lowercase: q.lowercase.iter().any(|l| l == ctx.lang),
    }
}

/// Column letters: A…Z, then A2…Z2 and so on.
pub fn letter(i: usize) -> String {
    let c = (b'A' + (i % 26) as u8) as char;
    if i < 26 {
        c.to_string()
    } else {
        format!("{c}{}", i / 26 + 1)
    }
}

/// Question `q` within each group of `g`, with pairwise tests item by item.
fn group_results(
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
            Some(d) => d.se(Some((g.index, value.as_bytes())), qi, i, base, s),
            None => stats::svyby_se(total.design_n(i), base, s),
        };
        let df = |i: usize| match &ctx.design {
            Some(d) => d.df(Some((g.index, value.as_bytes())), (qi, i)),
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

/// Per item, the Rao–Scott test across the groups of `g` (R `svychisq`, statistic "F").
/// `subset`: the table holds only the groups' respondents (a contrast), as R's svychisq on
/// `subset(design, …)` sees them; else every respondent of the base (a segment, blanks
/// included in the design).
fn association(
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
        let (v, nu) = match &ctx.design {
            Some(d) => match d.cell_cov(&groups, (g.index, qi, i), &m, wd) {
                Some(v) if subset => (v, d.df_of(&groups, g.index, (qi, i))),
                Some(v) => (v, d.df(None, (qi, i))),
                None => continue,
            },
            None => {
                let s2: Vec<f64> = groups
                    .iter()
                    .flat_map(|s| [s.questions[qi].items[i].w2n, s.questions[qi].items[i].w2y])
                    .collect();
                let sd: f64 = s2.iter().sum();
                let k = m.len();
                let v = (0..k)
                    .map(|a| {
                        (0..k)
                            .map(|b| {
                                let own = if a == b { s2[a] } else { 0.0 };
                                n / (n - 1.0)
                                    * (own - m[b] * s2[a] - m[a] * s2[b] + m[a] * m[b] * sd)
                                    / (wd * wd)
                            })
                            .collect()
                    })
                    .collect();
                (v, table_n - 1.0)
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
fn rest_test(
    group: &GroupResult,
    row: usize,
    own: &QuestionSums,
    total: &QuestionSums,
    (g, qi, i): (usize, usize, usize),
    ctx: &Context,
) -> Option<PairTest> {
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
                    (qi, i),
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
fn row_index(q: &Question, id: &str) -> usize {
    rows(q).iter().position(|x| x.id == id).unwrap_or(0)
}

/// Each group against the rest of the question's base (everyone else, respondents in no
/// group included), item by item; the groups of one item row are one family.
fn compare_with_rest(
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
                    .and_then(|own| rest_test(group, row, own, total, (g.index, qi, i), ctx))
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
struct PairTest {
    p: Option<f64>,
    difference: Option<f64>,
    se: Option<f64>,
}

/// Group `a` against group `b` on item row `row` (`at`: grouping column, question, item).
fn pair_test(
    a: &GroupResult,
    b: &GroupResult,
    row: usize,
    (g, qi, i): (usize, usize, usize),
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
                    qi,
                    i,
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
fn compare(
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
                    pair_test(ga, gb, row, (g.index, qi, i), ctx)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codebook::Codebook;

    fn sums(value: &str) -> GroupSums {
        GroupSums {
            value: value.into(),
            questions: Vec::new(),
        }
    }

    #[test]
    fn groups_come_in_codebook_order_then_the_others_as_given() {
        let known = vec![
            ("gen_z".to_string(), "Gen Z".to_string()),
            ("millennial".to_string(), "Millennials".to_string()),
            ("boomer".to_string(), "Boomers".to_string()),
        ];
        // Sums arrive sorted by value; a listed value with no respondents has no group.
        let g = order_groups(
            vec![sums("boomer"), sums("gen_z"), sums("martian")],
            &known,
            false,
        );
        let values: Vec<&str> = g.groups.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(values, ["gen_z", "boomer", "martian"]);
        assert_eq!(
            g.groups[2].1, "martian",
            "an unlisted value is its own label"
        );
        // A contrast keeps only its listed answers.
        let only = order_groups(vec![sums("boomer"), sums("martian")], &known, true);
        assert_eq!(
            only.groups,
            vec![("boomer".to_string(), "Boomers".to_string())]
        );
    }

    #[test]
    fn letters_run_a_to_z_then_repeat_with_a_number() {
        let l: Vec<String> = [0, 1, 25, 26, 27, 51, 52]
            .iter()
            .map(|&i| letter(i))
            .collect();
        assert_eq!(l, ["A", "B", "Z", "A2", "B2", "Z2", "A3"]);
    }

    #[test]
    fn ties_keep_codebook_order_and_pinned_items_stay_last() {
        let cb = Codebook::canonical();
        let q = cb.question("concerns").unwrap();
        let base = BaseSums {
            n: 10,
            w: 10.0,
            w2: 10.0,
        };
        // Shares 0.3, 0.5, 0.3, 0.5, 0.1 and "other" (pinned) at 0.9.
        let counts = [3u64, 5, 3, 5, 1, 9];
        let sums: Vec<ItemSums> = counts
            .iter()
            .map(|&c| ItemSums {
                count: c,
                answered: 10,
                wy: c as f64,
                w2y: c as f64,
                wn: (10 - c) as f64,
                w2n: (10 - c) as f64,
            })
            .collect();
        let opts = Options::default();
        let ctx = Context {
            weighted: false,
            lang: "en",
            opts: &opts,
            design: None,
        };
        let sums = QuestionSums {
            id: q.id.clone(),
            base,
            items: sums,
            each_item: false,
            design_n: Vec::new(),
        };
        let ranked = items(q, &sums, (|_, _, _| None, |_| 9.0), &ctx);
        let ranks: Vec<u32> = ranked.iter().map(|i| i.rank).collect();
        assert_eq!(ranks, [3, 1, 4, 2, 5, 6]);
    }
}
