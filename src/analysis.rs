//! The one way through: load → exclude → tabulate → `Results`.

use anyhow::Result;

use crate::codebook::{pick, Codebook, Order, Question};
use crate::error::DataError;
use crate::error::UsageError;
use crate::load::{check_header, Source, WeightChoice};
use crate::plan::Plan;
use crate::results::{
    Base, Comparison, ContrastResult, DroppedRows, ExclusionCount, GroupItem, GroupResult, Input,
    ItemResult, Method, QuestionBase, QuestionResult, Results, Significance, SurveyInfo, Tool,
    SCHEMA_VERSION,
};
use crate::stats::{self, Adjust, BaseSums, ItemSums};
use crate::tabulate::{GroupSums, Issue, Pass, QuestionSums, Settings, Tabulation};

#[derive(Debug, Clone)]
pub struct Options {
    /// Label language (`en`, `ru`, …).
    pub lang: String,
    pub weight: WeightChoice,
    /// Confidence level of the intervals.
    pub confidence: f64,
    /// Segments (codebook id or column) to tabulate beside the total.
    pub by: Vec<String>,
    pub adjust: Adjust,
    pub alpha: f64,
    /// Text encoding of the input (`utf-8`, `windows-1251`, `latin-1`, …); `None`: the
    /// codebook's, else UTF-8.
    pub encoding: Option<String>,
    /// Field delimiter; `None`: the codebook's, else detected from the header.
    pub delimiter: Option<u8>,
    /// Leave out rows with problems (and say so) instead of refusing to compute.
    pub lenient: bool,
    /// Smallest effective base of a group that is tested against others.
    pub min_base: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            lang: "en".into(),
            weight: WeightChoice::Codebook,
            confidence: 0.95,
            by: Vec::new(),
            adjust: Adjust::Holm,
            alpha: 0.05,
            encoding: None,
            delimiter: None,
            lenient: false,
            min_base: 30.0,
        }
    }
}

/// A set of groups: a segment (`--by`) or the answers of a contrast's question.
pub struct Grouping {
    /// Segment id or question id.
    pub name: String,
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
        groups,
        sums,
    }
}

/// Opens `input` with the encoding and delimiter of the options, else of the codebook's layout.
pub fn open_source(input: &str, codebook: &Codebook, opts: &Options) -> Result<Source> {
    let encoding = opts
        .encoding
        .clone()
        .or_else(|| codebook.input.encoding.clone())
        .unwrap_or_else(|| "utf-8".into());
    let delimiter = match (opts.delimiter, &codebook.input.delimiter) {
        (Some(d), _) => Some(d),
        (None, Some(d)) => Some(delimiter_byte(d).ok_or_else(|| {
            anyhow::anyhow!(
                "codebook: [input] delimiter = '{}' is not one of ',', ';', 'tab', '|'",
                crate::text::visible(d)
            )
        })?),
        (None, None) => None,
    };
    Source::open(input, &encoding, delimiter)
}

/// A delimiter as written on the command line or in a codebook.
pub fn delimiter_byte(s: &str) -> Option<u8> {
    match s {
        "," | "comma" => Some(b','),
        ";" | "semicolon" => Some(b';'),
        "tab" | "\\t" | "\t" => Some(b'\t'),
        "|" | "pipe" => Some(b'|'),
        _ => None,
    }
}

/// Analyses one input (`-` for standard input) with `codebook`.
pub fn analyse(input: &str, codebook: &Codebook, opts: &Options) -> Result<Results> {
    if !(opts.alpha > 0.0 && opts.alpha < 1.0) {
        return Err(UsageError(format!(
            "--alpha must be between 0 and 1, got {}",
            opts.alpha
        ))
        .into());
    }
    if !(opts.min_base.is_finite() && opts.min_base >= 0.0) {
        return Err(UsageError(format!(
            "--min-base must be a number of at least 0, got {}",
            opts.min_base
        ))
        .into());
    }
    let mut segments = Vec::new();
    for name in &opts.by {
        let segment = codebook.segment(name).ok_or_else(|| {
            let known: Vec<&str> = codebook.segments.iter().map(|s| s.id.as_str()).collect();
            UsageError(format!(
                "--by {name}: not a segment of the codebook (segments: {})",
                known.join(", ")
            ))
        })?;
        if !segments
            .iter()
            .any(|s: &&crate::codebook::Segment| s.id == segment.id)
        {
            segments.push(segment);
        }
    }
    let segment_columns: Vec<String> = segments.iter().map(|s| s.column.clone()).collect();

    let src = open_source(input, codebook, opts)?;
    let header = check_header(&src, codebook, &opts.weight, &segment_columns)?;
    // Grouping columns: the segments, then each contrast's question.
    let mut grouping_columns = segment_columns.clone();
    for c in &codebook.contrasts {
        grouping_columns.push(
            codebook
                .question(&c.by)
                .and_then(|q| q.column.clone())
                .unwrap_or_default(),
        );
    }
    let plan = Plan::new(
        codebook,
        &header.columns,
        header.weight.as_deref(),
        &grouping_columns,
        &segments,
    );
    let mut settings = Settings {
        lenient: opts.lenient,
        max_problems: if opts.lenient { 0 } else { 1 },
        skip: Default::default(),
    };
    let read = crate::load::read(&src, &header, &plan, &settings)?;
    src.unchanged()?;
    let (mut pass, sha) = (read.pass, read.sha256);
    if let Some(u) = &read.unterminated {
        // Whatever else is wrong, this explains the end of the file: fix it first.
        return Err(crate::validate::describe(&src, &header, &plan, u).into());
    }
    if !opts.lenient {
        if let Some(first) = pass.problems.first() {
            let count = match &first.issue {
                Issue::Check(v) => pass.problem_counts[v.check],
                _ => 1,
            };
            let mut e = crate::validate::describe(&src, &header, &plan, first);
            if count > 1 {
                e.message
                    .push_str(&format!(" ({count} rows have such values)"));
            }
            return Err(e.into());
        }
        if !read.duplicates.is_empty() {
            let column = codebook.respondent_id.clone().unwrap_or_default();
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
    } else if !read.duplicates.is_empty() {
        // Keep the first row of each repeated ID; pass again without the later ones.
        settings.skip = read.duplicates.iter().map(|f| f.offset).collect();
        let skipped = settings.skip.len() as u64;
        pass = crate::load::run(&src, &header, &plan, false, &|| Pass::new(&plan, &settings))?;
        pass.problem_counts[plan.checks.len() + crate::tabulate::DUPLICATE_ID] = skipped;
    }
    let ids: Vec<String> = codebook.questions.iter().map(|q| q.id.clone()).collect();
    let mut tab = pass.finish(&ids);
    tab.dropped = crate::validate::dropped(&plan, &pass);
    let dropped = tab.dropped_rows();
    if tab.rows > dropped && tab.excluded == tab.rows - dropped {
        let column = codebook
            .exclude
            .first()
            .map(|e| e.column.clone())
            .unwrap_or_default();
        return Err(DataError::new(
            &src.name,
            format!(
                "all {} respondents are excluded by the screener; nothing is left to tabulate",
                tab.rows - dropped
            ),
        )
        .column(column)
        .into());
    }
    if tab.rows == dropped {
        return Err(DataError::new(
            &src.name,
            format!("all {} rows have problems; nothing is left to tabulate (run `concerns validate {}`)", tab.rows, src.name),
        )
        .into());
    }

    for (g, seg) in segments.iter().enumerate() {
        let groups = &tab.groupings[g];
        if groups.len() > MAX_GROUPS {
            return Err(DataError::new(
                &src.name,
                format!(
                    "segment '{}' has {} distinct values, more than the {MAX_GROUPS} a banner can compare; list its values in the codebook or choose another segment",
                    seg.id,
                    groups.len()
                ),
            )
            .column(seg.column.clone())
            .into());
        }
        if let Some(long) = groups
            .iter()
            .find(|v| v.value.chars().count() > MAX_GROUP_VALUE)
        {
            return Err(DataError::new(
                &src.name,
                format!(
                    "segment '{}' has a value of {} characters (at most {MAX_GROUP_VALUE}): '{}…'",
                    seg.id,
                    long.value.chars().count(),
                    long.value.chars().take(20).collect::<String>()
                ),
            )
            .column(seg.column.clone())
            .into());
        }
    }
    let mut sums = tab.groupings.clone().into_iter();
    let mut groupings = Vec::new();
    for seg in &segments {
        let known: Vec<(String, String)> = seg
            .values
            .iter()
            .map(|v| (v.code.clone(), pick(&v.label, &opts.lang).to_string()))
            .collect();
        let mut g = order_groups(sums.next().unwrap_or_default(), &known, false);
        for (value, label) in g.groups.iter_mut() {
            if label.is_empty() {
                *label = value.clone();
            }
        }
        g.name = seg.id.clone();
        groupings.push(g);
    }
    let mut contrast_groupings = Vec::new();
    for c in &codebook.contrasts {
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
                    .map(|i| pick(&i.label, &opts.lang).to_string())
                    .unwrap_or_else(|| code.clone());
                (code.clone(), label)
            })
            .collect();
        let mut g = order_groups(sums.next().unwrap_or_default(), &known, true);
        g.name = c.by.clone();
        contrast_groupings.push(g);
    }

    let blank_notes: Vec<String> = segments
        .iter()
        .zip(&tab.blank_groups)
        .filter(|(_, &n)| n > 0)
        .map(|(seg, &n)| {
            format!(
                "segment '{}': {} kept {} no value; {} in the total but in no group",
                seg.id,
                crate::export::thousands(n),
                if n == 1 {
                    "respondent has"
                } else {
                    "respondents have"
                },
                if n == 1 { "it counts" } else { "they count" }
            )
        })
        .collect();
    let input = Input {
        path: src.json_path(),
        sha256: sha,
        rows: tab.rows,
    };
    let mut results = build(
        codebook,
        &tab,
        &groupings,
        &contrast_groupings,
        input,
        header.weight,
        opts,
    );
    results.warnings.extend(blank_notes);
    Ok(results)
}

/// Groups of one segment a banner compares at most.
pub const MAX_GROUPS: usize = 100;
/// Characters of one segment value shown as a group label.
pub const MAX_GROUP_VALUE: usize = 200;

/// Bases under this many (effective) respondents are flagged as unreliable.
const MIN_READABLE_BASE: f64 = 30.0;

/// Turns raw sums into `Results`: shares, SEs, intervals, ranks, labels, letters, warnings.
pub fn build(
    codebook: &Codebook,
    tab: &Tabulation,
    groupings: &[Grouping],
    contrast_groupings: &[Grouping],
    input: Input,
    weight: Option<String>,
    opts: &Options,
) -> Results {
    let lang = opts.lang.as_str();
    let ctx = Context {
        weighted: weight.is_some(),
        lang,
        z: stats::z_critical(opts.confidence),
        opts,
    };
    let mut warnings = Vec::new();
    if let (Some(max), Some(median)) = (tab.weight_max, tab.weight_median) {
        if median > 0.0 && max > 10.0 * median {
            warnings.push(format!(
                "the largest weight ({max}) is more than 10 times the median weight ({median}); consider trimming"
            ));
        }
    }
    let mut questions = Vec::new();
    for (qi, (q, sums)) in codebook.questions.iter().zip(&tab.questions).enumerate() {
        let mut result = question_result(q, sums, &ctx);
        if result.base.effective < MIN_READABLE_BASE {
            warnings.push(format!(
                "{}: the base is {} ({}effective base {:.1}), under {MIN_READABLE_BASE}; its shares are unreliable",
                q.id,
                crate::export::respondents(result.base.unweighted),
                if ctx.weighted { "" } else { "unweighted; " },
                result.base.effective
            ));
        }
        for g in groupings {
            let (groups, comparisons) = group_results(q, qi, sums, &result, g, &ctx);
            for group in &groups {
                if group.base.effective < MIN_READABLE_BASE {
                    warnings.push(format!(
                        "{}: {} = {}: effective base {:.1} is under 30; its shares are unreliable",
                        q.id, g.name, group.value, group.base.effective
                    ));
                }
            }
            result.by.extend(groups);
            result.comparisons.extend(comparisons);
        }
        questions.push(result);
    }
    let contrasts = codebook
        .contrasts
        .iter()
        .zip(contrast_groupings)
        .filter_map(|(c, g)| {
            let qi = codebook.questions.iter().position(|q| q.id == c.question)?;
            let (groups, comparisons) = group_results(
                &codebook.questions[qi],
                qi,
                &tab.questions[qi],
                &questions[qi],
                g,
                &ctx,
            );
            Some(ContrastResult {
                id: c.id.clone(),
                question: c.question.clone(),
                by: c.by.clone(),
                groups,
                comparisons,
            })
        })
        .collect();

    let mut results = Results {
        schema_version: SCHEMA_VERSION,
        tool: Tool { name: env!("CARGO_PKG_NAME").into(), version: env!("CARGO_PKG_VERSION").into() },
        input,
        survey: SurveyInfo {
            id: codebook.survey.id.clone(),
            title: pick(&codebook.survey.title, lang).into(),
            source: pick(&codebook.survey.source, lang).into(),
            population: pick(&codebook.survey.population, lang).into(),
            synthetic: tab.synthetic,
        },
        lang: lang.into(),
        method: Method {
            confidence_level: opts.confidence,
            share: "weighted selections / weighted base (% of respondents in the base)".into(),
            se: "Taylor linearisation, as R survey::svymean with svydesign(ids = ~1, weights = ~weight); \
                 groups as svyby (domain estimation)"
                .into(),
            ci: "Wilson score interval on the Kish effective base".into(),
        },
        weight,
        base: Base {
            respondents: tab.rows,
            excluded: tab.excluded,
            dropped: tab.dropped_rows(),
            kept: tab.rows - tab.excluded - tab.dropped_rows(),
        },
        dropped: tab
            .dropped
            .iter()
            .map(|d| DroppedRows { column: d.column.clone(), reason: d.reason.clone(), rows: d.rows })
            .collect(),
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
            test: "two-proportion z-test, pooled, no continuity correction (R prop.test(correct = FALSE)), \
                   on Kish effective bases"
                .into(),
            adjust: opts.adjust,
            alpha: opts.alpha,
            min_base: opts.min_base,
        },
        questions,
        contrasts,
        warnings,
    };
    if let Some(note) = results.dropped_note() {
        results.warnings.insert(0, note);
    }
    results
}

struct Context<'a> {
    weighted: bool,
    lang: &'a str,
    z: f64,
    opts: &'a Options,
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

/// Items in codebook order; `se` computes each item's standard error.
fn items(
    q: &Question,
    base: &BaseSums,
    sums: &[ItemSums],
    se: impl Fn(&ItemSums) -> Option<f64>,
    ctx: &Context,
) -> Vec<ItemResult> {
    let effective = stats::effective_base(base);
    let mut items: Vec<ItemResult> = q
        .items
        .iter()
        .zip(sums)
        .map(|(item, s)| {
            let share = stats::share(base, s);
            let ci = share.and_then(|p| stats::wilson(p, effective, ctx.z));
            ItemResult {
                id: item.id.clone(),
                label: pick(&item.label, ctx.lang).into(),
                rank: 0,
                count: s.count,
                weighted_count: s.wy,
                share,
                se: se(s),
                ci_low: ci.map(|c| c.0),
                ci_high: ci.map(|c| c.1),
                pinned_last: item.last,
            }
        })
        .collect();
    // Pinned items last, then descending share; the stable sort keeps codebook order for ties.
    let mut ranked: Vec<usize> = (0..items.len()).collect();
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
    items
}

fn question_result(q: &Question, sums: &QuestionSums, ctx: &Context) -> QuestionResult {
    let mut items = items(
        q,
        &sums.base,
        &sums.items,
        |s| stats::svymean_se(&sums.base, s),
        ctx,
    );
    if q.order == Order::Ranked {
        items.sort_by_key(|i| i.rank);
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
        items,
        by: Vec::new(),
        comparisons: Vec::new(),
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
        let by_codebook = items(
            q,
            &sums.base,
            &sums.items,
            |s| stats::svyby_se(total.base.n, &sums.base, s),
            ctx,
        );
        // Same order as the total.
        let items = shown
            .items
            .iter()
            .filter_map(|t| by_codebook.iter().find(|i| i.id == t.id))
            .map(|i| GroupItem {
                item: i.clone(),
                higher_than: Vec::new(),
            })
            .collect();
        let base = question_base(&sums.base);
        let base_flag = match base.unweighted {
            n if n < 30 => Some("under_30".to_string()),
            n if n < 100 => Some("under_100".to_string()),
            _ => None,
        };
        groups.push(GroupResult {
            segment: g.name.clone(),
            value: value.clone(),
            label: label.clone(),
            letter: letter(k),
            base,
            base_flag,
            items,
        });
    }

    let mut comparisons = Vec::new();
    for (row, total_item) in shown.items.iter().enumerate() {
        let mut pairs = Vec::new();
        for a in 0..groups.len() {
            for b in a + 1..groups.len() {
                let (ia, ib) = (&groups[a].items[row].item, &groups[b].items[row].item);
                let (na, nb) = (groups[a].base.effective, groups[b].base.effective);
                let testable = na >= ctx.opts.min_base && nb >= ctx.opts.min_base;
                let p = match (ia.share, ib.share) {
                    (Some(pa), Some(pb)) if testable => stats::two_proportion_p(
                        pa,
                        groups[a].base.effective,
                        pb,
                        groups[b].base.effective,
                    ),
                    _ => None,
                };
                pairs.push((a, b, p));
            }
        }
        let raw: Vec<f64> = pairs.iter().filter_map(|p| p.2).collect();
        let adjusted = stats::adjust(&raw, ctx.opts.adjust);
        let mut next = adjusted.iter();
        for (a, b, p) in pairs {
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
                segment: g.name.clone(),
                item: total_item.id.clone(),
                groups: [groups[a].letter.clone(), groups[b].letter.clone()],
                p_value: p,
                p_adjusted,
                significant,
            });
        }
    }
    for group in &mut groups {
        for item in &mut group.items {
            item.higher_than.sort();
        }
    }
    (groups, comparisons)
}
