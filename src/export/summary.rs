use std::fmt::Write;

use crate::error::Result;

use super::markdown::question_table;
use super::{percent, thousands, thousands_f, TextExporter};
use crate::codebook::Kind;
use crate::results::{QuestionResult, Results};
use crate::text::markdown as md;

/// `summary.md`: the report a manager reads — findings as sentences, charts, tables, bases,
/// method and the synthetic-data note.
pub struct ReportMarkdown {
    /// (question id, chart file name relative to the report).
    pub charts: Vec<(String, String)>,
}

/// "It will be…" → "it will be…" inside a sentence; acronyms such as "AI will…" stay.
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => {
            a.to_lowercase().chain(s.chars().skip(1)).collect()
        }
        _ => s.to_string(),
    }
}

/// A code span when the text cannot break out of one, else escaped text.
fn code(s: &str) -> String {
    if s.contains('`') || s.chars().any(char::is_control) {
        md(s)
    } else {
        format!("`{s}`")
    }
}

fn whole(share: Option<f64>) -> String {
    percent(share, 0)
}

/// How a headline marks its parts up: escaping, emphasis, strong emphasis.
pub(crate) struct Marks {
    pub esc: fn(&str) -> String,
    pub em: fn(String) -> String,
    pub strong: fn(String) -> String,
}

const MARKDOWN: Marks = Marks {
    esc: md,
    em: |s| format!("*{s}*"),
    strong: |s| format!("**{s}**"),
};

/// The headline sentence of a question: its top answer, and for a check-all question the
/// next two.
pub(crate) fn headline(r: &Results, q: &QuestionResult, m: &Marks) -> Option<String> {
    let md = m.esc;
    let who = if r.survey.population.is_empty() {
        "respondents in the base".to_string()
    } else {
        md(&r.survey.population)
    };
    let first = q.items.iter().find(|i| i.rank == 1)?;
    Some(match q.kind {
        Kind::MultiResponse | Kind::MultiResponseDelimited => {
            let next: Vec<String> = q
                .items
                .iter()
                .filter(|i| (2..=3).contains(&i.rank) && !i.pinned_last)
                .map(|i| {
                    format!(
                        "{} ({})",
                        (m.em)(md(&lower_first(&i.label))),
                        whole(i.share)
                    )
                })
                .collect();
            let mut s = format!(
                "{} of {who} worry that {} — the top answer to “{}”",
                (m.strong)(whole(first.share)),
                (m.em)(md(&lower_first(&first.label))),
                md(&q.text)
            );
            if !next.is_empty() {
                write!(s, ", ahead of {}", next.join(" and ")).ok()?;
            }
            s.push('.');
            s
        }
        Kind::SingleChoice => format!(
            "{} of {who} answered {} to “{}”.",
            (m.strong)(whole(first.share)),
            (m.em)(md(&first.label)),
            md(&q.text)
        ),
    })
}

/// Per `--by` segment, the widest significant gap between two of its groups on one item:
/// "By generation, *it will be harder…* ranges from 47% (Gen Z) to 72% (Baby boomers)."
pub(crate) fn segment_stories(q: &QuestionResult, m: &Marks) -> Vec<String> {
    let mut out = Vec::new();
    for (segment, groups) in q.segments() {
        let mut best: Option<(f64, usize, usize, usize)> = None;
        for c in q
            .comparisons
            .iter()
            .filter(|c| c.segment == segment && c.significant)
        {
            let Some(row) = q.items.iter().position(|i| i.id == c.item) else {
                continue;
            };
            let find = |letter: &str| groups.iter().position(|g| g.letter == letter);
            let (Some(a), Some(b)) = (find(&c.groups[0]), find(&c.groups[1])) else {
                continue;
            };
            let share = |g: usize| groups[g].items.get(row).and_then(|i| i.item.share);
            let (Some(sa), Some(sb)) = (share(a), share(b)) else {
                continue;
            };
            let (lo, hi) = if sa < sb { (a, b) } else { (b, a) };
            let gap = (sa - sb).abs();
            if best.is_none_or(|(g, ..)| gap > g) {
                best = Some((gap, row, lo, hi));
            }
        }
        if let Some((_, row, lo, hi)) = best {
            let share = |g: usize| whole(groups[g].items[row].item.share);
            out.push(format!(
                "By {}, {} ranges from {} ({}) to {} ({}).",
                (m.esc)(segment),
                (m.em)((m.esc)(&lower_first(&q.items[row].label))),
                share(lo),
                (m.esc)(&groups[lo].label),
                share(hi),
                (m.esc)(&groups[hi].label)
            ));
        }
    }
    out
}

impl TextExporter for ReportMarkdown {
    fn text(&self, r: &Results) -> Result<String> {
        let mut out = String::new();
        headlines(&mut out, r)?;
        contrasts(&mut out, r)?;
        self.figures(&mut out, r)?;
        bases(&mut out, r)?;
        method(&mut out, r)?;
        Ok(out)
    }
}

impl ReportMarkdown {
    /// One section per question: title, chart, question text, table.
    fn figures(&self, out: &mut String, r: &Results) -> Result<()> {
        for (n, q) in r.questions.iter().enumerate() {
            writeln!(out, "## Figure {}. {}\n", n + 1, md(&q.title))?;
            for (_, file) in self.charts.iter().filter(|(id, _)| id == &q.id) {
                writeln!(out, "![Figure {}: {}]({file})\n", n + 1, md(&q.title))?;
            }
            writeln!(out, "Question: {}\n", md(&q.text))?;
            writeln!(out, "{}", question_table(r, q)?)?;
        }

        if super::banner::any_groups(r) {
            writeln!(out, "{}\n", super::banner::legend(r))?;
        }
        Ok(())
    }
}

/// Title, the synthetic-data warning, one sentence per question, the base.
fn headlines(out: &mut String, r: &Results) -> Result<()> {
    writeln!(out, "# {}\n", md(&r.survey.title))?;
    if r.survey.synthetic {
        writeln!(
        out,
        "> **Synthetic data calibrated to published figures.** No respondent in this report is real: \
         the data were generated by `concerns simulate` to reproduce the published results of the study.\n"
    )?;
    }
    writeln!(out, "## Headline findings\n")?;
    for q in &r.questions {
        if let Some(h) = headline(r, q, &MARKDOWN) {
            writeln!(out, "- {h}")?;
        }
        for s in segment_stories(q, &MARKDOWN) {
            writeln!(out, "  - {s}")?;
        }
    }
    writeln!(
        out,
        "\nBase: {} respondents surveyed, {} excluded, {} kept. {}{}\n",
        thousands(r.base.respondents),
        thousands(r.base.excluded),
        thousands(r.base.kept),
        md(&r.exclusion_notes()),
        r.dropped_note()
            .map(|d| format!(" {}", md(&d)))
            .unwrap_or_default()
    )?;
    Ok(())
}

/// Per contrast, one table: each item's share in the two groups, the difference and its
/// adjusted p-value.
fn contrasts(out: &mut String, r: &Results) -> Result<()> {
    for c in &r.contrasts {
        let (Some(a), Some(b)) = (c.groups.first(), c.groups.get(1)) else {
            continue;
        };
        let title = |id: &str| r.question(id).map(|q| q.title.clone()).unwrap_or(id.into());
        writeln!(
            out,
            "## Contrast: {}
",
            md(&title(&c.by))
        )?;
        writeln!(
            out,
            "{}, among those who answered *{}* and those who answered *{}*:\n",
            md(&title(&c.question)),
            md(&a.label),
            md(&b.label)
        )?;
        writeln!(
            out,
            "| Answer | {} | {} | Difference | Adjusted p | Significant |",
            md(&a.label),
            md(&b.label)
        )?;
        writeln!(out, "| --- | ---: | ---: | ---: | ---: | --- |")?;
        for cmp in &c.comparisons {
            let share = |g: &crate::results::GroupResult| {
                g.items
                    .iter()
                    .find(|i| i.item.id == cmp.item)
                    .map(|i| (i.item.label.clone(), i.item.share))
            };
            let (Some((label, sa)), Some((_, sb))) = (share(a), share(b)) else {
                continue;
            };
            let difference = match (sa, sb) {
                (Some(x), Some(y)) => format!("{:+.0} pts", (x - y) * 100.0),
                _ => "–".into(),
            };
            writeln!(
                out,
                "| {} | {} | {} | {difference} | {} | {} |",
                md(&label),
                whole(sa),
                whole(sb),
                match cmp.p_adjusted {
                    Some(p) if p < 0.001 => "< 0.001".to_string(),
                    Some(p) => format!("{p:.3}"),
                    None => "–".into(),
                },
                if cmp.significant { "yes" } else { "no" }
            )?;
        }
        writeln!(
            out,
            "\nSignificance: {} ({} adjustment), alpha = {}.\n",
            md(&r.significance.test),
            r.significance.adjust.name(),
            r.significance.alpha
        )?;
    }
    Ok(())
}

/// Every question's bases and weighting diagnostics.
fn bases(out: &mut String, r: &Results) -> Result<()> {
    writeln!(out, "## Bases\n")?;
    writeln!(
    out,
    "| Question | Base | Weighted base | Effective base | Kish design effect | Weighting efficiency |"
)?;
    writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: |")?;
    for q in &r.questions {
        writeln!(
            out,
            "| {} | {} | {} | {} | {:.3} | {} |",
            md(&q.title),
            thousands(q.base.unweighted),
            thousands_f(q.base.weighted),
            thousands_f(q.base.effective),
            q.base.design_effect.unwrap_or(1.0),
            percent(q.base.weighting_efficiency, 1)
        )?;
    }
    Ok(())
}

/// How the numbers were computed, and what they were computed from.
fn method(out: &mut String, r: &Results) -> Result<()> {
    writeln!(out, "\n## How the numbers were computed\n")?;
    let weighting = match &r.weight {
        Some(w) => format!("Weighted by the column {}.", code(w)),
        None => "Unweighted.".to_string(),
    };
    writeln!(out, "- {weighting}")?;
    writeln!(out, "- Share: {}.", r.method.share)?;
    writeln!(out, "- Standard error: {}.", r.method.se)?;
    writeln!(
        out,
        "- {}% interval: {}.",
        (r.method.confidence_level * 100.0).round(),
        r.method.ci
    )?;
    writeln!(
        out,
        "- Ranking by share; ties keep codebook order; “Other” is shown last."
    )?;
    writeln!(
    out,
    "\nInput: {} ({} rows, SHA-256 `{}`). Made by {} {}; the same input gives byte-identical files.",
    code(&r.input.path), thousands(r.input.rows), r.input.sha256, r.tool.name, r.tool.version
)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::lower_first;

    #[test]
    fn only_ordinary_capitals_are_lowered() {
        assert_eq!(lower_first("It will be harder"), "it will be harder");
        assert_eq!(
            lower_first("AI will take people's jobs"),
            "AI will take people's jobs"
        );
        assert_eq!(lower_first("Затруднится доступ"), "затруднится доступ");
        assert_eq!(lower_first(""), "");
    }
}
