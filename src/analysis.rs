//! The one way through: load → exclude → tabulate → `Results`.

use anyhow::Result;

use crate::codebook::{pick, Codebook, Order};
use crate::load::{check_header, digest_and_check, scan_csv, Source, WeightChoice};
use crate::results::{
    Base, ExclusionCount, Input, ItemResult, Method, QuestionBase, QuestionResult, Results,
    SurveyInfo, Tool, SCHEMA_VERSION,
};
use crate::stats::{self, BaseSums};
use crate::tabulate::{tabulate, QuestionSums, Tabulation};

#[derive(Debug, Clone)]
pub struct Options {
    /// Label language (`en`, `ru`, …).
    pub lang: String,
    pub weight: WeightChoice,
    /// Confidence level of the intervals.
    pub confidence: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            lang: "en".into(),
            weight: WeightChoice::Codebook,
            confidence: 0.95,
        }
    }
}

/// Analyses one input (`-` for standard input) with `codebook`.
pub fn analyse(input: &str, codebook: &Codebook, opts: &Options) -> Result<Results> {
    let src = Source::open(input)?;
    let header = check_header(&src, codebook, &opts.weight)?;
    let lf = scan_csv(&src)?;
    // Hash and check the structure while polars scans; a structural problem explains
    // whatever polars made of the file, so it is reported first.
    let (tab, sha) = std::thread::scope(|s| {
        let hash = s.spawn(|| digest_and_check(&src));
        let tab = tabulate(lf, &src.name, codebook, header.weight.as_deref());
        let sha = hash
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("reading the input failed")));
        (tab, sha)
    });
    let sha = sha?;
    let tab = tab?;
    let input = Input {
        path: src.json_path().to_string(),
        sha256: sha,
        rows: tab.rows,
    };
    Ok(build(codebook, &tab, input, header.weight, opts))
}

/// Turns raw sums into `Results`: shares, SEs, intervals, ranks, labels.
pub fn build(
    codebook: &Codebook,
    tab: &Tabulation,
    input: Input,
    weight: Option<String>,
    opts: &Options,
) -> Results {
    let lang = opts.lang.as_str();
    let z = stats::z_critical(opts.confidence);
    let questions = codebook
        .questions
        .iter()
        .zip(&tab.questions)
        .map(|(q, sums)| question_result(q, sums, weight.is_some(), lang, z))
        .collect();
    Results {
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
            se: "Taylor linearisation, as R survey::svymean with svydesign(ids = ~1, weights = ~weight)".into(),
            ci: "Wilson score interval on the Kish effective base".into(),
        },
        weight,
        base: Base { respondents: tab.rows, excluded: tab.excluded, kept: tab.rows - tab.excluded },
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
        questions,
    }
}

fn question_base(b: &BaseSums) -> QuestionBase {
    QuestionBase {
        unweighted: b.n,
        weighted: b.w,
        effective: stats::effective_base(b),
        design_effect: stats::design_effect(b),
    }
}

fn question_result(
    q: &crate::codebook::Question,
    sums: &QuestionSums,
    weighted: bool,
    lang: &str,
    z: f64,
) -> QuestionResult {
    let base = question_base(&sums.base);
    let mut items: Vec<ItemResult> = q
        .items
        .iter()
        .zip(&sums.items)
        .map(|(item, s)| {
            let share = stats::share(&sums.base, s);
            let ci = share.and_then(|p| stats::wilson(p, base.effective, z));
            ItemResult {
                id: item.id.clone(),
                label: pick(&item.label, lang).into(),
                rank: 0,
                count: s.count,
                weighted_count: s.wy,
                share,
                se: stats::svymean_se(&sums.base, s),
                ci_low: ci.map(|c| c.0),
                ci_high: ci.map(|c| c.1),
                pinned_last: item.last,
            }
        })
        .collect();

    // Ranked order: pinned items last, then descending share; the stable sort keeps
    // codebook order for ties.
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
        title: pick(title, lang).into(),
        text: pick(&q.text, lang).into(),
        note: pick(&q.note, lang).into(),
        kind: q.kind,
        weighted,
        base,
        items,
    }
}
