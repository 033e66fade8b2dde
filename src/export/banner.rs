//! The market-research banner: groups as columns with their letters, each share with the
//! letters of the groups it is significantly higher than, bases in a row. A grid of strings
//! that the terminal, Markdown and summary exporters lay out.

use crate::results::{BaseFlag, QuestionResult, Results};

use crate::locale::Words;

pub(crate) struct Banner {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub base: Vec<String>,
}

/// "72% ABC": whole percent and letters.
fn cell(w: &Words, share: Option<f64>, letters: &[String]) -> String {
    let pct = w.percent(share, 0);
    if letters.is_empty() {
        pct
    } else {
        format!("{pct} {}", letters.concat())
    }
}

/// "838", "95 *" (under 100), "24 !" (under 30).
fn base_cell(w: &Words, n: u64, flag: Option<BaseFlag>) -> String {
    format!(
        "{}{}",
        w.number(n),
        flag.map(BaseFlag::mark).unwrap_or_default()
    )
}

pub(crate) fn banner(w: &Words, q: &QuestionResult) -> Banner {
    let mut header = vec![w.get("answer").to_string(), w.get("total").to_string()];
    header.extend(q.by.iter().map(|g| format!("({}) {}", g.letter, g.label)));
    let rows = q
        .rows()
        .enumerate()
        .map(|(row, item)| {
            let mut cells = vec![super::row_label(w, item), w.percent(item.share, 0)];
            cells.extend(q.by.iter().map(|g| {
                g.rows()
                    .nth(row)
                    .map(|gi| cell(w, gi.item.share, &gi.marks()))
                    .unwrap_or_default()
            }));
            cells
        })
        .collect();
    let mut base = vec![w.get("base").to_string(), w.number(q.base.unweighted)];
    base.extend(
        q.by.iter()
            .map(|g| base_cell(w, g.base.unweighted, g.base_flag)),
    );
    Banner { header, rows, base }
}

/// Under a banner: the base's respondents in no group of a segment, so the groups' bases
/// add up to the total.
pub(crate) fn no_group_lines(w: &Words, q: &QuestionResult) -> Vec<String> {
    q.no_group
        .iter()
        .map(|n| {
            w.fill(
                "no_group",
                &[
                    ("segment", &n.segment),
                    ("respondents", &w.respondents(n.unweighted)),
                    ("weighted", &w.tenths(n.weighted)),
                ],
            )
        })
        .collect()
}

/// The legend every banner carries.
pub(crate) fn legend(r: &Results) -> String {
    super::legend::letters_legend(r)
}

pub(crate) fn any_groups(r: &Results) -> bool {
    r.questions.iter().any(|q| !q.by.is_empty())
}
