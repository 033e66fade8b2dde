//! The market-research banner: groups as columns with their letters, each share with the
//! letters of the groups it is significantly higher than, bases in a row. A grid of strings
//! that the terminal, Markdown and summary exporters lay out.

use crate::results::{QuestionResult, Results};

use super::thousands;

pub(crate) struct Banner {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub base: Vec<String>,
}

/// "72% ABC": whole percent and letters.
fn cell(share: Option<f64>, letters: &[String]) -> String {
    let pct = super::percent(share, 0);
    if letters.is_empty() {
        pct
    } else {
        format!("{pct} {}", letters.concat())
    }
}

/// "838", "95 *" (under 100), "24 !" (under 30).
fn base_cell(n: u64, flag: Option<&str>) -> String {
    match flag {
        Some("under_30") => format!("{} !", thousands(n)),
        Some("under_100") => format!("{} *", thousands(n)),
        _ => thousands(n),
    }
}

pub(crate) fn banner(q: &QuestionResult) -> Banner {
    let mut header = vec!["Answer".to_string(), "Total".to_string()];
    header.extend(q.by.iter().map(|g| format!("({}) {}", g.letter, g.label)));
    let rows = q
        .items
        .iter()
        .enumerate()
        .map(|(row, item)| {
            let mut cells = vec![item.label.clone(), super::percent(item.share, 0)];
            cells.extend(q.by.iter().map(|g| {
                g.items
                    .get(row)
                    .map(|gi| cell(gi.item.share, &gi.higher_than))
                    .unwrap_or_default()
            }));
            cells
        })
        .collect();
    let mut base = vec!["Base".to_string(), thousands(q.base.unweighted)];
    base.extend(
        q.by.iter()
            .map(|g| base_cell(g.base.unweighted, g.base_flag.as_deref())),
    );
    Banner { header, rows, base }
}

/// The legend every banner carries.
pub(crate) fn legend(r: &Results) -> String {
    let adjust = match r.significance.adjust {
        crate::stats::Adjust::None => "no adjustment".to_string(),
        crate::stats::Adjust::Bonferroni => "Bonferroni-adjusted".to_string(),
        crate::stats::Adjust::Holm => "Holm-adjusted".to_string(),
        crate::stats::Adjust::Bh => "Benjamini–Hochberg-adjusted".to_string(),
    };
    format!(
        "Letters: significantly higher than the group of that letter in the same segment \
         (two-proportion z-test on effective bases, {adjust}, alpha = {}; no test where a group's \
         effective base is under {}). Base * under 100 (low base); ! under 30 (too small to read).",
        r.significance.alpha, r.significance.min_base
    )
}

pub(crate) fn any_groups(r: &Results) -> bool {
    r.questions.iter().any(|q| !q.by.is_empty())
}
