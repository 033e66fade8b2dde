//! Exporters: one small file per format behind one trait. They read only `Results`.

mod banner;
mod csv;
mod html;
mod json;
pub(crate) mod legend;
mod markdown;
mod summary;
mod table;
mod xlsx;

use crate::error::Result;

use crate::locale::{words, Words};
use crate::results::Results;

pub use self::csv::CsvExporter;
pub use self::html::{HtmlReport, PageChart};
pub use self::json::JsonExporter;
pub use self::markdown::MarkdownExporter;
pub use self::summary::ReportMarkdown;
pub use self::table::TableExporter;
pub use self::xlsx::XlsxExporter;

pub trait Exporter {
    /// Renders the whole document.
    fn render(&self, results: &Results) -> Result<Vec<u8>>;
}

/// An exporter whose document is text.
pub(crate) trait TextExporter {
    fn text(&self, results: &Results) -> Result<String>;
}

impl<T: TextExporter> Exporter for T {
    fn render(&self, results: &Results) -> Result<Vec<u8>> {
        self.text(results).map(String::into_bytes)
    }
}

/// Where the terminal table goes: ANSI colour or not, and the columns it may fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    pub color: bool,
    pub width: usize,
}

/// The formats of `concerns table --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
    Markdown,
    /// The banner workbook for Excel (binary).
    Xlsx,
}

impl Format {
    /// `color` applies to the terminal table only.
    pub fn exporter(self, terminal: Terminal) -> Box<dyn Exporter> {
        match self {
            Format::Table => Box::new(TableExporter {
                color: terminal.color,
                width: terminal.width,
            }),
            Format::Json => Box::new(JsonExporter),
            Format::Csv => Box::new(CsvExporter),
            Format::Markdown => Box::new(MarkdownExporter),
            Format::Xlsx => Box::new(XlsxExporter),
        }
    }
}

/// What a table row is called: an item's label, or a net's marked as one ("Net: …").
pub(crate) fn row_label(w: &Words, i: &crate::results::ItemResult) -> String {
    if i.is_net() {
        w.fill("net_row", &[("label", &i.label)])
    } else {
        i.label.clone()
    }
}

/// The line every human-readable output carries about who was left out.
pub(crate) fn exclusion_line(r: &Results) -> String {
    let w = words(r.lang);
    let mut line = format!(
        "{} {}",
        w.fill(
            "excluded",
            &[
                ("excluded", &w.number(r.base.excluded)),
                ("respondents", &w.respondents(r.base.respondents)),
            ],
        ),
        r.exclusion_notes()
    )
    .trim_end()
    .to_string();
    if let Some(d) = r.dropped_note() {
        line.push(' ');
        line.push_str(&d);
    }
    line
}

/// "Filter “country = us”: 1,234 of 5,140 respondents.", when a filter was given: every
/// output shows it under its title.
pub(crate) fn filter_line(r: &Results) -> Option<String> {
    let f = r.filter.as_ref()?;
    let w = words(r.lang);
    let name = match &f.label {
        Some(l) => w.fill(
            "filter_name_label",
            &[("expression", &f.expression), ("label", l)],
        ),
        None => w.fill("filter_name", &[("expression", &f.expression)]),
    };
    Some(w.fill(
        "filter_line",
        &[
            ("filter", &name),
            ("kept", &w.number(r.base.kept)),
            ("eligible", &w.respondents(f.eligible)),
        ],
    ))
}

/// A cell's name as a table heads it: "Share", "Count", "95% CI".
pub(crate) fn cell_name(r: &Results, kind: crate::results::Cell) -> String {
    let w = words(r.lang);
    match kind {
        crate::results::Cell::Share => w.get("share").into(),
        crate::results::Cell::Count => w.get("count").into(),
        crate::results::Cell::Ci => legend::ci_head(r),
    }
}

/// "Cells: Share, Count, 95% CI.", when `--cells` chose them: what each row of an item is.
pub(crate) fn cells_line(r: &Results) -> Option<String> {
    if r.cells.is_empty() {
        return None;
    }
    let names: Vec<String> = r.cells.iter().map(|&c| cell_name(r, c)).collect();
    Some(words(r.lang).fill("cells_line", &[("cells", &names.join(", "))]))
}

/// "Base: 5,140 respondents (weighted 5,101.3; effective 4,410.2; …)" for one question.
pub(crate) fn base_line(w: &Words, q: &crate::results::QuestionResult) -> String {
    let line = if q.weighted {
        w.fill(
            "base_line_weighted",
            &[
                ("respondents", &w.respondents(q.base.unweighted)),
                ("weighted", &w.tenths(q.base.weighted)),
                ("effective", &w.tenths(q.base.effective)),
                ("deff", &w.decimal(q.base.design_effect.unwrap_or(1.0), 2)),
            ],
        )
    } else {
        w.fill(
            "base_line_unweighted",
            &[("respondents", &w.respondents(q.base.unweighted))],
        )
    };
    match q.item_base_range() {
        Some((low, high)) => w.fill(
            "item_bases",
            &[
                ("line", &line),
                ("low", &w.number(low)),
                ("high", &w.number(high)),
            ],
        ),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_for_people() {
        let w = words(crate::locale::Lang::En);
        assert_eq!(crate::text::thousands(5140), "5,140");
        assert_eq!(w.number(588), "588");
        assert_eq!(w.respondents(1), "1 respondent");
        assert_eq!(w.respondents(5140), "5,140 respondents");
        assert_eq!(w.number(10_000_000), "10,000,000");
        assert_eq!(w.tenths(5101.26), "5,101.3");
        assert_eq!(w.tenths(999.96), "1,000.0");
        assert_eq!(w.percent(Some(0.6), 1), "60.0%");
        assert_eq!(w.percent(None, 1), "–");
        assert_eq!(w.interval(Some(0.587), Some(0.613)), "58.7–61.3");
    }
}
