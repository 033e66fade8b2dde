use std::fmt::Write;

use crate::error::Result;

use super::banner::{any_groups, banner, legend};
use super::legend::ci_head;
use super::{base_line, exclusion_line, TextExporter};
use crate::locale::{words, Words};
use crate::results::{QuestionResult, Results};

/// GitHub-flavoured Markdown tables, one per question.
pub struct MarkdownExporter;

/// Text from data or codebook, inert in Markdown (no markup, one line, one cell).
fn cell(s: &str) -> String {
    crate::text::markdown(s)
}

/// One question's banner (groups as columns) and its base line.
fn banner_table(w: &Words, q: &QuestionResult) -> Result<String> {
    let b = banner(w, q);
    let mut out = String::new();
    let line = |cells: &[String]| format!("| {} |", cells.join(" | "));
    let escaped = |cells: &[String]| cells.iter().map(|c| cell(c)).collect::<Vec<_>>();
    writeln!(out, "{}", line(&escaped(&b.header)))?;
    let mut align = vec!["---".to_string()];
    align.extend((1..b.header.len()).map(|_| "---:".to_string()));
    writeln!(out, "| {} |", align.join(" | "))?;
    for row in &b.rows {
        writeln!(out, "{}", line(&escaped(row)))?;
    }
    let base: Vec<String> = b.base.iter().map(|c| format!("*{}*", cell(c))).collect();
    writeln!(out, "{}", line(&base))?;
    writeln!(out)?;
    writeln!(out, "{}.", base_line(w, q))?;
    for line in super::banner::no_group_lines(w, q) {
        writeln!(out, "{}", cell(&line))?;
    }
    Ok(out)
}

/// One question's ranked table (a banner when it has groups) and its base line.
pub(crate) fn question_table(r: &Results, q: &QuestionResult) -> Result<String> {
    let w = words(&r.lang);
    if !q.by.is_empty() {
        return banner_table(w, q);
    }
    let mut out = String::new();
    // A question kept in its own order (a scale) has no rank column.
    let ranked = q.ranked();
    let (rank_head, rank_align) = if ranked {
        (format!("| {} ", w.get("rank")), "| ---: ")
    } else {
        (String::new(), "")
    };
    writeln!(
        out,
        "{rank_head}| {} | {} | {} | {} |",
        w.get("answer"),
        w.get("share"),
        ci_head(r),
        w.get("count_unweighted")
    )?;
    writeln!(out, "{rank_align}| --- | ---: | ---: | ---: |")?;
    for i in q.rows() {
        // A net's rank is among the nets: shown as its label's mark, not in the rank column.
        let rank = match (ranked, i.is_net()) {
            (true, false) => format!("| {} ", i.rank),
            (true, true) => "| ".into(),
            (false, _) => String::new(),
        };
        let label = if i.is_net() {
            format!("*{}*", cell(&super::row_label(w, i)))
        } else {
            cell(&i.label)
        };
        writeln!(
            out,
            "{rank}| {label} | {} | {} | {} |",
            w.percent(i.share, 1),
            w.interval(i.ci_low, i.ci_high),
            w.number(i.count)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}.", base_line(w, q))?;
    if !q.note.is_empty() {
        writeln!(out, "{}", cell(&q.note))?;
    }
    Ok(out)
}

impl TextExporter for MarkdownExporter {
    fn text(&self, r: &Results) -> Result<String> {
        let mut out = String::new();
        writeln!(out, "# {}\n", cell(&r.survey.title))?;
        if let Some(f) = super::filter_line(r) {
            writeln!(out, "*{}*\n", cell(&f))?;
        }
        if r.survey.synthetic {
            writeln!(out, "> {}\n", words(&r.lang).get("synthetic_line"))?;
        }
        for q in &r.questions {
            writeln!(out, "## {}\n", cell(&q.text))?;
            writeln!(out, "{}", question_table(r, q)?)?;
        }
        if any_groups(r) {
            writeln!(out, "{}\n", legend(r))?;
        }
        writeln!(out, "{}", cell(&exclusion_line(r)))?;
        Ok(out)
    }
}
