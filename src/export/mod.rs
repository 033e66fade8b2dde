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

use crate::results::Results;
pub use crate::text::{respondents, thousands};

pub use self::csv::CsvExporter;
pub use self::html::HtmlReport;
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
pub trait TextExporter {
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

/// "60.0%" from a 0–1 share; "–" when there is no estimate.
pub(crate) fn percent(share: Option<f64>, decimals: usize) -> String {
    match share {
        Some(p) => format!("{:.*}%", decimals, p * 100.0),
        None => "–".into(),
    }
}

/// "58.7–61.3" (percent) from interval bounds.
pub(crate) fn interval(low: Option<f64>, high: Option<f64>) -> String {
    match (low, high) {
        (Some(l), Some(h)) => format!("{:.1}–{:.1}", l * 100.0, h * 100.0),
        _ => "–".into(),
    }
}

/// A weighted base to one decimal, with thousands separators.
pub(crate) fn thousands_f(x: f64) -> String {
    let whole = x.trunc() as u64;
    let tenth = ((x - x.trunc()) * 10.0).round() as u64;
    if tenth == 10 {
        format!("{}.0", thousands(whole + 1))
    } else {
        format!("{}.{}", thousands(whole), tenth)
    }
}

/// The line every human-readable output carries about who was left out.
pub(crate) fn exclusion_line(r: &Results) -> String {
    let mut line = format!(
        "{} of {} respondents excluded. {}",
        thousands(r.base.excluded),
        thousands(r.base.respondents),
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

/// "Base: 5,140 (weighted 5,101.3; effective 4,410.2)" for one question.
pub(crate) fn base_line(q: &crate::results::QuestionResult) -> String {
    let line = question_base_line(q);
    match q.item_base_range() {
        Some((low, high)) => format!(
            "{line}; each item's share is of those who answered it ({} to {})",
            thousands(low),
            thousands(high)
        ),
        None => line,
    }
}

fn question_base_line(q: &crate::results::QuestionResult) -> String {
    if q.weighted {
        format!(
            "Base: {} (weighted {}; effective {}; Kish design effect {:.2})",
            respondents(q.base.unweighted),
            thousands_f(q.base.weighted),
            thousands_f(q.base.effective),
            q.base.design_effect.unwrap_or(1.0)
        )
    } else {
        format!("Base: {} (unweighted)", respondents(q.base.unweighted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(thousands(5140), "5,140");
        assert_eq!(thousands(588), "588");
        assert_eq!(respondents(1), "1 respondent");
        assert_eq!(respondents(5140), "5,140 respondents");
        assert_eq!(thousands(10_000_000), "10,000,000");
        assert_eq!(thousands_f(5101.26), "5,101.3");
        assert_eq!(thousands_f(999.96), "1,000.0");
        assert_eq!(percent(Some(0.6), 1), "60.0%");
        assert_eq!(percent(None, 1), "–");
        assert_eq!(interval(Some(0.587), Some(0.613)), "58.7–61.3");
    }
}
