//! The market-research banner: groups as columns with their letters, each share with the
//! letters of the groups it is significantly higher than, bases in a row. A grid of strings
//! that the terminal, Markdown and summary exporters lay out.

use crate::results::{BaseFlag, Cell, ItemResult, QuestionResult, Results};

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

/// The banner of `q`: a row per item and cell (`--cells`), the cell's name heading each
/// further row of an item.
pub(crate) fn banner(r: &Results, q: &QuestionResult) -> Banner {
    let w = crate::locale::words(r.lang);
    let cells = r.banner_cells();
    let mut header = vec![w.get("answer").to_string(), w.get("total").to_string()];
    header.extend(q.by.iter().map(|g| format!("({}) {}", g.letter, g.label)));
    let mut rows = Vec::new();
    for (row, item) in q.rows().enumerate() {
        for (k, &kind) in cells.iter().enumerate() {
            let label = match k {
                0 => super::row_label(w, item),
                _ => super::cell_name(r, kind),
            };
            let mut line = vec![label, value(w, kind, item, &[])];
            line.extend(q.by.iter().map(|g| {
                g.rows()
                    .nth(row)
                    .map(|gi| value(w, kind, &gi.item, &gi.marks()))
                    .unwrap_or_default()
            }));
            rows.push(line);
        }
    }
    let mut base = vec![w.get("base").to_string(), w.number(q.base.unweighted)];
    base.extend(
        q.by.iter()
            .map(|g| base_cell(w, g.base.unweighted, g.base_flag)),
    );
    Banner { header, rows, base }
}

/// One cell of a banner: "72% ABC", "1,204" or "69.4–74.6".
fn value(w: &Words, kind: Cell, item: &ItemResult, letters: &[String]) -> String {
    match kind {
        Cell::Share => cell(w, item.share, letters),
        Cell::Count => w.number(item.count),
        Cell::Ci => w.interval(item.ci_low, item.ci_high),
    }
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
