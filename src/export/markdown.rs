use std::fmt::Write;

use anyhow::Result;

use super::{base_line, exclusion_line, interval, percent, thousands, Exporter};
use crate::results::{QuestionResult, Results};

/// GitHub-flavoured Markdown tables, one per question.
pub struct MarkdownExporter;

/// Pipes inside labels would break the table.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// One question's ranked table and its base line.
pub(crate) fn question_table(q: &QuestionResult) -> Result<String> {
    let mut out = String::new();
    writeln!(out, "| Rank | Answer | Share | 95% CI | Count |")?;
    writeln!(out, "| ---: | --- | ---: | ---: | ---: |")?;
    for i in &q.items {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            i.rank,
            cell(&i.label),
            percent(i.share, 1),
            interval(i.ci_low, i.ci_high),
            thousands(i.count)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}.", base_line(q))?;
    if !q.note.is_empty() {
        writeln!(out, "{}", q.note)?;
    }
    Ok(out)
}

impl Exporter for MarkdownExporter {
    fn render(&self, r: &Results) -> Result<String> {
        let mut out = String::new();
        writeln!(out, "# {}\n", cell(&r.survey.title))?;
        if r.survey.synthetic {
            writeln!(
                out,
                "> Synthetic data calibrated to published figures: not real respondents.\n"
            )?;
        }
        for q in &r.questions {
            writeln!(out, "## {}\n", cell(&q.text))?;
            writeln!(out, "{}", question_table(q)?)?;
        }
        writeln!(out, "{}", exclusion_line(r))?;
        Ok(out)
    }
}
