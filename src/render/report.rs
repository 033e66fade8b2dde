//! The full report: every chart plus `summary.json` and `summary.md`, rendered in memory,
//! then written as one set, or compared with what is on disk (`--check`).

use std::path::Path;

use crate::error::{Error, Result};

use crate::render::chart::{self, ChartFormat, ChartOptions};
use crate::render::export::{
    Exporter, HtmlReport, JsonExporter, PageChart, ReportMarkdown, XlsxExporter,
};
use crate::results::Results;

/// One output file of a report.
pub use crate::render::output::set::NamedFile as ReportFile;

/// File stem of a question's chart: `figure1` for the first, `figure2_switch_intent` after.
pub(crate) fn chart_stem(results: &Results, question: &str) -> String {
    match results.questions.iter().position(|q| q.id == question) {
        Some(0) => "figure1".into(),
        Some(i) => format!("figure{}_{}", i + 1, question),
        None => question.into(),
    }
}

/// Renders every file of the report, in a fixed order.
pub fn render(results: &Results, opts: &ChartOptions) -> Result<Vec<ReportFile>> {
    let mut files = Vec::new();
    let mut charts = Vec::new();
    let mut page = Vec::new();
    for q in &results.questions {
        let stem = chart_stem(results, &q.id);
        for format in [ChartFormat::Svg, ChartFormat::Png] {
            let name = format!("{stem}.{}", format.extension());
            let bytes = chart::render(results, &q.id, opts, format).map_err(|e| match e {
                Error::Output(m) => Error::Output(format!("rendering {name}: {m}")),
                e => e,
            })?;
            files.push(ReportFile { name, bytes });
        }
        page.push(page_chart(results, &q.id, opts)?);
        charts.push((q.id.clone(), format!("{stem}.svg")));
        // The first segment is in the figure; each further one gets its own.
        let segments = q.segments();
        for (k, (segment, _)) in segments.iter().enumerate().skip(1) {
            let tail = if crate::text::is_safe_id(segment) {
                format!("by_{segment}")
            } else {
                format!("by{}", k + 1)
            };
            let seg_stem = format!("{stem}_{tail}");
            // The question's further charts: 1b, 1c, … each titled with its segment.
            let letter = (b'a' + (k % 26) as u8) as char;
            let seg_opts = opts.with_segment(segment, &letter.to_string());
            for format in [ChartFormat::Svg, ChartFormat::Png] {
                let name = format!("{seg_stem}.{}", format.extension());
                let bytes = chart::render(results, &q.id, &seg_opts, format)?;
                files.push(ReportFile { name, bytes });
            }
            page.push(page_chart(results, &q.id, &seg_opts)?);
            charts.push((q.id.clone(), format!("{seg_stem}.svg")));
        }
    }
    files.push(ReportFile {
        name: "summary.json".into(),
        bytes: JsonExporter.render(results)?,
    });
    files.push(ReportFile {
        name: "summary.md".into(),
        bytes: ReportMarkdown { charts }.render(results)?,
    });
    files.push(ReportFile {
        name: "banners.xlsx".into(),
        bytes: XlsxExporter.render(results)?,
    });
    files.push(ReportFile {
        name: "report.html".into(),
        bytes: HtmlReport { charts: page }.render(results)?,
    });
    Ok(files)
}

/// A chart as the page shows it: its title as the page's heading, drawn without it twice,
/// for a wide screen and for a phone's.
fn page_chart(results: &Results, question: &str, opts: &ChartOptions) -> Result<PageChart> {
    let svg = |narrow| -> Result<String> {
        let bytes = chart::render(results, question, &opts.for_page(narrow), ChartFormat::Svg)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    Ok(PageChart {
        question: question.to_string(),
        title: chart::title(results, question, opts)?,
        wide: svg(false)?,
        narrow: svg(true)?,
    })
}

/// Whether `name` is a file a report can write: a chart (`figure3_prefer_no_ai.svg`), or one
/// of the summaries. Only such files that the previous run's manifest lists are removed
/// when a run no longer writes them; every other file in `--out` is kept.
pub(crate) fn is_owned(name: &str) -> bool {
    if matches!(
        name,
        "summary.json" | "summary.md" | "banners.xlsx" | "report.html"
    ) {
        return true;
    }
    let Some(stem) = name
        .strip_suffix(".svg")
        .or_else(|| name.strip_suffix(".png"))
        .and_then(|s| s.strip_prefix("figure"))
    else {
        return false;
    };
    let (number, id) = stem.split_once('_').unwrap_or((stem, "x"));
    !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) && crate::text::is_safe_id(id)
}

/// Writes the report into `dir` as a set ([`crate::render::output::set`]): the directory and every
/// file a report does not own stay as they are.
pub fn write(dir: &Path, files: &[ReportFile]) -> Result<()> {
    crate::render::output::set::write(dir, files, is_owned)
}

/// What `--check` finds in `dir`: files missing or different, files of the previous set
/// this one lacks, and whether a killed run left its set half moved into place.
pub struct Check {
    pub stale: Vec<String>,
    pub extra: Vec<String>,
    pub interrupted: bool,
}

impl Check {
    pub fn of(dir: &Path, files: &[ReportFile]) -> Check {
        Check {
            stale: crate::render::output::set::stale(dir, files),
            extra: crate::render::output::set::extra(dir, files, is_owned),
            interrupted: crate::render::output::set::interrupted(dir, is_owned),
        }
    }

    pub fn current(&self) -> bool {
        self.stale.is_empty() && self.extra.is_empty() && !self.interrupted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_owns_its_charts_and_summaries_only() {
        for owned in [
            "figure1.svg",
            "figure1.png",
            "figure2_switch_intent.svg",
            "figure12_q-3.png",
            "summary.json",
            "summary.md",
        ] {
            assert!(is_owned(owned), "{owned}");
        }
        for other in [
            "README.md",
            "figure.svg",
            "figurex_a.svg",
            "figure1_.svg",
            "figure1_a.b.svg",
            "notes.txt",
            "summary.json.bak",
        ] {
            assert!(!is_owned(other), "{other}");
        }
    }
}
