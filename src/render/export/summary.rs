use std::fmt::Write;

use crate::error::Result;

use super::markdown::question_table;
use super::TextExporter;
use crate::codebook::Kind;
use crate::locale::{words, Words};
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

/// A label inside a sentence: lowercased only where the codebook says it may be (a brand,
/// a name or a scale point keeps its case otherwise).
fn in_sentence(label: &str, lowercase: bool) -> String {
    match lowercase {
        true => lower_first(label),
        false => label.to_string(),
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

fn whole(w: &Words, share: Option<f64>) -> String {
    w.percent(share, 0)
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

/// Whom a sentence speaks of: the survey's population (else "respondents in the base"),
/// within the `--where` filter when one was given.
pub(crate) fn who(r: &Results, m: &Marks) -> String {
    let w = words(r.lang);
    let who = if r.survey.population.is_empty() {
        w.get("who_default").to_string()
    } else {
        closed(w, &r.survey.population, (m.esc)(&r.survey.population))
    };
    match &r.filter {
        Some(f) => w.fill(
            "who_filtered",
            &[
                ("who", &who),
                (
                    "filter",
                    &(m.esc)(f.label.as_deref().unwrap_or(&f.expression)),
                ),
            ],
        ),
        None => who,
    }
}

/// `marked`, the rendering of `text`, with the language's clause end when `text` opened a
/// clause with a comma (Russian closes it before the verb or the dash).
fn closed(w: &Words, text: &str, marked: String) -> String {
    match text.contains(',') {
        true => marked + w.get("clause_end"),
        false => marked,
    }
}

/// The codebook's verb phrase with the answer in place of `{answer}`; its text escaped
/// as the output needs, the answer already marked up.
fn phrase(text: &str, answer: &str, esc: fn(&str) -> String) -> String {
    text.split("{answer}")
        .map(esc)
        .collect::<Vec<_>>()
        .join(answer)
}

/// The headline sentence of a question: its top answer (or the net the codebook marks, a
/// scale's top two boxes), and for a check-all question the next two. Words from the
/// question's kind ("chose", "answered") unless the codebook gives its own phrase; labels
/// keep their case unless the codebook says they may be lowercased. None for a question
/// whose lead answer everyone gave (a screener kept as a question says nothing).
pub(crate) fn headline(r: &Results, q: &QuestionResult, m: &Marks) -> Option<String> {
    let w = words(r.lang);
    let whole = |p| whole(w, p);
    let md = m.esc;
    let lead = q
        .nets
        .iter()
        .find(|n| n.headline)
        .or_else(|| q.items.iter().find(|i| i.rank == 1))?;
    if lead.share.is_none_or(|s| s >= 1.0) {
        return None;
    }
    let label = |i: &crate::results::ItemResult| (m.em)(md(&in_sentence(&i.label, q.lowercase)));
    let default = match q.kind {
        Kind::MultiResponse | Kind::MultiResponseDelimited => w.get("headline_chose"),
        Kind::SingleChoice => w.get("headline_answered"),
    };
    let text = q.headline.as_deref().unwrap_or(default);
    let verb = closed(w, text, phrase(text, &label(lead), md));
    let who = who(r, m);
    Some(match q.kind {
        Kind::MultiResponse | Kind::MultiResponseDelimited if !lead.is_net() => {
            let next: Vec<String> = q
                .items
                .iter()
                .filter(|i| (2..=3).contains(&i.rank) && !i.pinned_last)
                .map(|i| format!("{} ({})", label(i), whole(i.share)))
                .collect();
            let rest = if next.is_empty() {
                String::new()
            } else {
                w.fill(
                    "headline_rest",
                    &[("items", &next.join(w.get("headline_and")))],
                )
            };
            w.fill(
                "headline_multi",
                &[
                    ("share", &(m.strong)(whole(lead.share))),
                    ("who", &who),
                    ("phrase", &verb),
                    ("question", &md(&q.text)),
                    ("rest", &rest),
                ],
            )
        }
        _ => w.fill(
            "headline_single",
            &[
                ("share", &(m.strong)(whole(lead.share))),
                ("who", &who),
                ("phrase", &verb),
                ("question", &md(&q.text)),
            ],
        ),
    })
}

/// Per `--by` segment, the widest significant gap between two of its groups on one item:
/// "By generation, *it will be harder…* ranges from 47% (Gen Z) to 72% (Baby boomers)."
pub(crate) fn segment_stories(w: &Words, q: &QuestionResult, m: &Marks) -> Vec<String> {
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
            let share = |g: usize| whole(w, groups[g].items[row].item.share);
            let segment = in_sentence(groups[0].segment_name(), groups[0].segment_lowercase);
            let item = in_sentence(&q.items[row].label, q.lowercase);
            out.push(w.fill(
                "segment_story",
                &[
                    ("segment", &(m.esc)(&segment)),
                    ("item", &(m.em)((m.esc)(&item))),
                    ("low", &share(lo)),
                    ("low_group", &(m.esc)(&groups[lo].label)),
                    ("high", &share(hi)),
                    ("high_group", &(m.esc)(&groups[hi].label)),
                ],
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
        let w = words(r.lang);
        for (n, q) in r.questions.iter().enumerate() {
            let figure = w.fill(
                "figure",
                &[("n", &(n + 1).to_string()), ("title", &md(&q.title))],
            );
            writeln!(out, "## {figure}\n")?;
            for (_, file) in self.charts.iter().filter(|(id, _)| id == &q.id) {
                writeln!(out, "![{figure}]({file})\n")?;
            }
            writeln!(
                out,
                "{}\n",
                w.fill("question_text", &[("text", &md(&q.text))])
            )?;
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
    let w = words(r.lang);
    writeln!(out, "# {}\n", md(&r.survey.title))?;
    if let Some(f) = super::filter_line(r) {
        writeln!(out, "*{}*\n", md(&f))?;
    }
    if r.survey.synthetic {
        writeln!(out, "> {}\n", w.get("synthetic_block"))?;
    }
    writeln!(out, "## {}\n", w.get("headline_findings"))?;
    for q in &r.questions {
        if let Some(h) = headline(r, q, &MARKDOWN) {
            writeln!(out, "- {h}")?;
        }
        for s in segment_stories(w, q, &MARKDOWN) {
            writeln!(out, "  - {s}")?;
        }
    }
    // The counts add up: surveyed = excluded + outside the filter + left out + kept.
    let base = match &r.filter {
        Some(f) => w.fill(
            "base_summary_filtered",
            &[
                ("respondents", &w.respondents(r.base.respondents)),
                ("excluded", &w.number(r.base.excluded)),
                ("outside", &w.number(f.eligible.saturating_sub(r.base.kept))),
                ("kept", &w.number(r.base.kept)),
            ],
        ),
        None => w.fill(
            "base_summary",
            &[
                ("respondents", &w.respondents(r.base.respondents)),
                ("excluded", &w.number(r.base.excluded)),
                ("kept", &w.number(r.base.kept)),
            ],
        ),
    };
    writeln!(
        out,
        "\n{} {}{}\n",
        base,
        md(&r.exclusion_notes()),
        r.dropped_note()
            .into_iter()
            .map(|d| format!(" {}", md(&d)))
            .collect::<String>()
    )?;
    Ok(())
}

/// Per contrast, one table: each item's share in the two groups, the difference and its
/// adjusted p-value.
fn contrasts(out: &mut String, r: &Results) -> Result<()> {
    let w = words(r.lang);
    for c in &r.contrasts {
        let (Some(a), Some(b)) = (c.groups.first(), c.groups.get(1)) else {
            continue;
        };
        let title = |id: &str| r.question(id).map(|q| q.title.clone()).unwrap_or(id.into());
        writeln!(
            out,
            "## {}\n",
            w.fill("contrast_title", &[("title", &md(&title(&c.by)))])
        )?;
        writeln!(
            out,
            "{}\n",
            w.fill(
                "contrast_lead",
                &[
                    ("question", &md(&title(&c.question))),
                    ("a", &format!("*{}*", md(&a.label))),
                    ("b", &format!("*{}*", md(&b.label))),
                ],
            )
        )?;
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            w.get("answer"),
            md(&a.label),
            md(&b.label),
            w.get("difference"),
            w.get("adjusted_p"),
            w.get("significant")
        )?;
        writeln!(out, "| --- | ---: | ---: | ---: | ---: | --- |")?;
        for [label, sa, sb, difference, p, significant] in contrast_rows(w, c) {
            writeln!(
                out,
                "| {} | {sa} | {sb} | {difference} | {p} | {significant} |",
                md(&label)
            )?;
        }
        // The significance line of the method, as the method section words it.
        if let Some(line) = super::legend::method_lines(r).get(4) {
            writeln!(out, "\n{}\n", md(line))?;
        }
    }
    Ok(())
}

/// A contrast's rows as people read them: the item's label, its share in each of the two
/// groups, the difference in points, the adjusted p-value and whether it is significant.
pub(crate) fn contrast_rows(w: &Words, c: &crate::results::ContrastResult) -> Vec<[String; 6]> {
    let (Some(a), Some(b)) = (c.groups.first(), c.groups.get(1)) else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for cmp in &c.comparisons {
        let share = |g: &crate::results::GroupResult| {
            g.rows()
                .find(|i| i.item.id == cmp.item)
                .map(|i| (super::row_label(w, &i.item), i.item.share))
        };
        let (Some((label, sa)), Some((_, sb))) = (share(a), share(b)) else {
            continue;
        };
        let difference = match (sa, sb) {
            (Some(x), Some(y)) => {
                let d = (x - y) * 100.0;
                let sign = if d.round() > 0.0 { "+" } else { "" };
                w.fill("points", &[("d", &format!("{sign}{}", w.decimal(d, 0)))])
            }
            _ => "–".into(),
        };
        let p = match cmp.p_adjusted {
            Some(p) if p < 0.001 => format!("< {}", w.decimal(0.001, 3)),
            Some(p) => w.decimal(p, 3),
            None => "–".into(),
        };
        rows.push([
            label,
            whole(w, sa),
            whole(w, sb),
            difference,
            p,
            w.get(if cmp.significant { "yes" } else { "no" })
                .to_string(),
        ]);
    }
    rows
}

/// Every question's bases and weighting diagnostics.
fn bases(out: &mut String, r: &Results) -> Result<()> {
    let w = words(r.lang);
    writeln!(out, "## {}\n", w.get("bases"))?;
    let head: Vec<&str> = [
        "question",
        "base",
        "weighted_base",
        "effective_base",
        "kish_deff",
        "weighting_efficiency",
    ]
    .iter()
    .map(|k| w.get(k))
    .collect();
    writeln!(out, "| {} |", head.join(" | "))?;
    writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: |")?;
    for q in &r.questions {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            md(&q.title),
            w.number(q.base.unweighted),
            w.tenths(q.base.weighted),
            w.tenths(q.base.effective),
            w.decimal(q.base.design_effect.unwrap_or(1.0), 3),
            w.percent(q.base.weighting_efficiency, 1)
        )?;
    }
    Ok(())
}

/// How the numbers were computed, and what they were computed from.
fn method(out: &mut String, r: &Results) -> Result<()> {
    let w = words(r.lang);
    writeln!(out, "\n## {}\n", w.get("how_computed"))?;
    for line in super::legend::method_lines(r) {
        writeln!(out, "- {}", md(&line))?;
    }
    writeln!(
        out,
        "\n{}",
        super::legend::input_line(r, &code(&r.input.path))
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
