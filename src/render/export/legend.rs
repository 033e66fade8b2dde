//! The legends every banner and chart with groups or whiskers carries, written once per
//! language from what `Results` says was computed.

use crate::results::{BaseFlag, Results};
use crate::stats::Adjust;

/// What the significance letters mean: the test, its adjustment and level, the minimum
/// base, and the base marks.
pub(crate) fn letters_legend(r: &Results) -> String {
    let sig = &r.significance;
    let w = crate::locale::words(r.lang);
    let what = match sig.compare {
        crate::stats::Compare::Pairs => "legend_pairs",
        crate::stats::Compare::Total => "legend_rest",
    };
    let test = match sig.test {
        crate::stats::Test::Wald => "legend_test_wald",
        crate::stats::Test::PooledZ => "legend_test_pooled",
    };
    let adjust = match sig.adjust {
        Adjust::None => "legend_adjust_none",
        Adjust::Bonferroni => "legend_adjust_bonferroni",
        Adjust::Holm => "legend_adjust_holm",
        Adjust::Bh => "legend_adjust_bh",
    };
    w.fill(
        "legend",
        &[
            ("what", w.get(what)),
            ("test", w.get(test)),
            ("adjust", w.get(adjust)),
            ("alpha", &w.plain(sig.alpha)),
            ("min", &w.plain(sig.min_base)),
            ("under_100", BaseFlag::Under100.mark()),
            ("under_30", BaseFlag::Under30.mark()),
        ],
    )
}

/// The confidence level as a percentage: "95".
pub(crate) fn level(r: &Results) -> String {
    let pct = (r.method.confidence_level * 1e4).round() / 1e2;
    format!("{pct}")
}

/// The head of an interval column: "95% CI", and the method when it is not Wilson's.
pub(crate) fn ci_head(r: &Results) -> String {
    let w = crate::locale::words(r.lang);
    match r.method.interval {
        crate::stats::Interval::Wilson => w.fill("ci", &[("level", &level(r))]),
        m => w.fill("ci_method", &[("level", &level(r)), ("method", m.name())]),
    }
}

/// What the whiskers of a chart are: the level and the interval method.
pub(crate) fn whiskers_legend(r: &Results) -> String {
    let w = crate::locale::words(r.lang);
    let method = match r.method.interval {
        crate::stats::Interval::Wilson => w.get("whiskers_wilson").to_string(),
        m => format!("svyciprop {}", m.name()),
    };
    w.fill("whiskers", &[("level", &level(r)), ("method", &method)])
}

/// How the numbers were computed, one sentence each, in the results' language (English
/// uses the exact descriptions the analysis wrote; other languages their catalogue's).
pub(crate) fn method_lines(r: &Results) -> Vec<String> {
    let w = crate::locale::words(r.lang);
    let english = w.lang() == crate::locale::Lang::En;
    let weighting = match &r.weight {
        Some(c) => w.fill("weighted_by", &[("column", c)]),
        None => w.get("unweighted").to_string(),
    };
    let se = match (english, r.design.is_some()) {
        (true, _) => r.method.se.clone(),
        (false, true) => w.get("se_design").to_string(),
        (false, false) => w.get("se_weights").to_string(),
    };
    let ci = match (english, r.method.interval) {
        (true, _) => r.method.ci.clone(),
        (false, crate::stats::Interval::Wilson) => w.get("ci_wilson").to_string(),
        (false, m) => w.fill("ci_svyciprop", &[("method", m.name())]),
    };
    let test = match (english, r.significance.test) {
        (true, _) => r.significance.test_description.clone(),
        (false, crate::stats::Test::Wald) => w.get("test_wald").to_string(),
        (false, crate::stats::Test::PooledZ) => w.get("test_pooled").to_string(),
    };
    let adjust = w.get(match r.significance.adjust {
        Adjust::None => "adjust_none",
        Adjust::Bonferroni => "adjust_bonferroni",
        Adjust::Holm => "adjust_holm",
        Adjust::Bh => "adjust_bh",
    });
    vec![
        weighting,
        w.get("method_share").to_string(),
        w.fill("method_se", &[("se", &se)]),
        w.fill("method_interval", &[("level", &level(r)), ("ci", &ci)]),
        w.fill(
            "method_test",
            &[
                ("test", &test),
                ("adjust", adjust),
                ("alpha", &w.plain(r.significance.alpha)),
            ],
        ),
        w.get("method_ranking").to_string(),
    ]
}

/// The input and the tool that made the output.
pub(crate) fn input_line(r: &Results, path: &str) -> String {
    let w = crate::locale::words(r.lang);
    w.fill(
        "input_line",
        &[
            ("path", path),
            ("rows", &w.number(r.input.rows)),
            ("digest", &r.input.blake3),
            ("tool", &r.tool.name),
            ("version", &r.tool.version),
        ],
    )
}
