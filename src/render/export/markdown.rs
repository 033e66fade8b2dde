use std::fmt::Write;

use crate::error::Result;

use super::banner::{any_groups, banner, legend};
use super::{base_line, exclusion_line, TextExporter};
use crate::locale::{words, Words};
use crate::results::{Cell, ItemResult, QuestionResult, Results};

/// GitHub-flavoured Markdown tables, one per question.
pub struct MarkdownExporter;

/// Text from data or codebook, inert in Markdown (no markup, one line, one cell).
fn cell(s: &str) -> String {
    crate::text::markdown(s)
}

/// One question's banner (groups as columns) and its base line.
fn banner_table(r: &Results, q: &QuestionResult) -> Result<String> {
    let w = words(r.lang);
    let b = banner(r, q);
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
    if let Some(line) = super::cells_line(r) {
        writeln!(out, "{}", cell(&line))?;
    }
    Ok(out)
}

/// One question's ranked table (a banner when it has groups) and its base line.
pub(crate) fn question_table(r: &Results, q: &QuestionResult) -> Result<String> {
    let w = words(r.lang);
    if !q.by.is_empty() {
        return banner_table(r, q);
    }
    let mut out = String::new();
    let cells = r.ranked_cells();
    // A question kept in its own order (a scale) has no rank column.
    let ranked = q.ranked();
    let mut head = Vec::new();
    let mut align = Vec::new();
    if ranked {
        head.push(w.get("rank").to_string());
        align.push("---:");
    }
    head.push(w.get("answer").to_string());
    align.push("---");
    for &c in &cells {
        head.push(match c {
            Cell::Count => w.get("count_unweighted").to_string(),
            c => super::cell_name(r, c),
        });
        align.push("---:");
    }
    writeln!(out, "| {} |", head.join(" | "))?;
    writeln!(out, "| {} |", align.join(" | "))?;
    for i in q.rows() {
        let mut row = Vec::new();
        // A net's rank is among the nets: shown as its label's mark, not in the rank column.
        match (ranked, i.is_net()) {
            (true, false) => row.push(i.rank.to_string()),
            (true, true) => row.push(String::new()),
            (false, _) => {}
        }
        row.push(if i.is_net() {
            format!("*{}*", cell(&super::row_label(w, i)))
        } else {
            cell(&i.label)
        });
        row.extend(cells.iter().map(|&c| ranked_value(w, c, i)));
        writeln!(out, "| {} |", row.join(" | "))?;
    }
    writeln!(out)?;
    writeln!(out, "{}.", base_line(w, q))?;
    if !q.note.is_empty() {
        writeln!(out, "{}", cell(&q.note))?;
    }
    Ok(out)
}

/// One cell of a ranked table: "60.0%", "58.7–61.3" or "3,084".
pub(crate) fn ranked_value(w: &Words, kind: Cell, i: &ItemResult) -> String {
    match kind {
        Cell::Share => w.percent(i.share, 1),
        Cell::Ci => w.interval(i.ci_low, i.ci_high),
        Cell::Count => w.number(i.count),
    }
}

impl TextExporter for MarkdownExporter {
    fn text(&self, r: &Results) -> Result<String> {
        let mut out = String::new();
        writeln!(out, "# {}\n", cell(&r.survey.title))?;
        if let Some(f) = super::filter_line(r) {
            writeln!(out, "*{}*\n", cell(&f))?;
        }
        if r.survey.synthetic {
            writeln!(out, "> {}\n", words(r.lang).get("synthetic_line"))?;
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
