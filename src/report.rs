//! The full report: every chart plus `summary.json` and `summary.md`, rendered in memory,
//! then written all-or-nothing, or compared with what is on disk (`--check`).

use std::path::Path;

use anyhow::{Context, Result};

use crate::chart::{self, ChartFormat, ChartOptions};
use crate::export::{Exporter, JsonExporter, ReportMarkdown};
use crate::output::temp_in;
use crate::results::Results;

/// One output file of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// File stem of a question's chart: `figure1` for the first, `figure2_switch_intent` after.
pub fn chart_stem(results: &Results, question: &str) -> String {
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
    for q in &results.questions {
        let stem = chart_stem(results, &q.id);
        for format in [ChartFormat::Svg, ChartFormat::Png] {
            let name = format!("{stem}.{}", format.extension());
            let bytes = chart::render(results, &q.id, opts, format)
                .with_context(|| format!("rendering {name}"))?;
            files.push(ReportFile { name, bytes });
        }
        charts.push((q.id.clone(), format!("{stem}.svg")));
    }
    files.push(ReportFile {
        name: "summary.json".into(),
        bytes: JsonExporter.render(results)?.into_bytes(),
    });
    let md = ReportMarkdown { charts }.render(results)?;
    files.push(ReportFile {
        name: "summary.md".into(),
        bytes: md.into_bytes(),
    });
    Ok(files)
}

/// Writes every file into `dir` atomically as a set: all are staged under temporary names
/// first and renamed into place only when every one was written, so a failure leaves the
/// previous report as it was.
pub fn write(dir: &Path, files: &[ReportFile]) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the report directory {}", dir.display()))?;
    for f in files {
        let target = dir.join(&f.name);
        if target.is_dir() {
            anyhow::bail!(
                "cannot write {}: a directory of that name is in the way",
                target.display()
            );
        }
    }
    let mut staged = Vec::with_capacity(files.len());
    for f in files {
        let mut tmp = temp_in(dir)?;
        std::io::Write::write_all(&mut tmp, &f.bytes)
            .with_context(|| format!("writing {}", f.name))?;
        tmp.as_file().sync_all().ok();
        staged.push((tmp, dir.join(&f.name)));
    }
    for (tmp, target) in staged {
        tmp.persist(&target)
            .with_context(|| format!("cannot move {} into place", target.display()))?;
    }
    Ok(())
}

/// Names of the files in `dir` that are missing or differ from `files`.
pub fn stale(dir: &Path, files: &[ReportFile]) -> Vec<String> {
    files
        .iter()
        .filter(|f| {
            std::fs::read(dir.join(&f.name))
                .map(|b| b != f.bytes)
                .unwrap_or(true)
        })
        .map(|f| f.name.clone())
        .collect()
}
