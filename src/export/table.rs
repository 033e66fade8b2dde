use std::fmt::Write;

use crate::error::Result;
use comfy_table::{
    presets::UTF8_FULL_CONDENSED, Attribute, Cell, CellAlignment, Color, ColumnConstraint,
    ContentArrangement, Table, Width,
};

use super::banner::{any_groups, banner, legend};
use super::legend::ci_head;
use super::{base_line, exclusion_line, TextExporter};
use crate::locale::{words, Words};
use crate::results::{QuestionResult, Results};
use crate::text::visible;

/// The table an analyst reads first: ranked items, shares, a text bar, bases, exclusions.
pub struct TableExporter {
    /// ANSI colour; the caller decides (terminal and no `NO_COLOR`).
    pub color: bool,
    /// Columns the tables may fill: labels wrap and the bar shrinks or goes to fit.
    pub width: usize,
}

/// Widest bar, and the narrowest worth drawing.
const BAR_WIDTH: usize = 30;
const MIN_BAR: usize = 10;
/// Narrowest a label column wraps to for the bar's sake.
const LABEL_MIN: usize = 24;

/// A bar of eighth-blocks, `share` of `width` characters wide.
fn bar(share: Option<f64>, width: usize) -> String {
    let eighths = (share.unwrap_or(0.0).clamp(0.0, 1.0) * width as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    s.push_str(PARTS[eighths % 8]);
    s
}

impl TableExporter {
    /// A condensed UTF-8 table within the width (wrapping cells), styled only when colour
    /// is on.
    fn table(&self) -> Table {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(self.width.min(u16::MAX as usize) as u16);
        if self.color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        t
    }
}

impl TableExporter {
    /// Prose (question texts, bases, legends) wrapped to the width, shown safely.
    fn wrap(&self, text: &str) -> String {
        textwrap::fill(&visible(text), self.width)
    }

    /// The banner of `q`: one table when its segments fit the width side by side (each
    /// segment's name over its first group), else one table per segment.
    fn banners(&self, w: &Words, q: &QuestionResult) -> Vec<String> {
        let segments = q.segments();
        let named = segments.len() > 1;
        // Measured at its natural width: squeezed, every table "fits".
        let mut natural = self.banner_table(w, q, named);
        natural.set_content_arrangement(ContentArrangement::Disabled);
        let fits = natural
            .to_string()
            .lines()
            .all(|l| l.chars().count() <= self.width);
        if fits || (!named && min_width(&banner(w, q)) <= self.width) {
            return vec![self.banner_table(w, q, named).to_string()];
        }
        // One table per segment, and a segment's groups over several tables when even
        // wrapped at word boundaries they would not fit.
        let mut tables = Vec::new();
        for (name, groups) in &segments {
            let title = w.fill(
                "by_segment",
                &[("segment", &visible(groups[0].segment_name()))],
            );
            let mut start = 0;
            while start < groups.len() {
                let mut end = start + 1;
                while end < groups.len() && {
                    let next = self.subset(q, name, &groups[start..=end]);
                    min_width(&banner(w, &next)) <= self.width
                } {
                    end += 1;
                }
                let part = self.subset(q, name, &groups[start..end]);
                let table = self.banner_table(w, &part, false);
                tables.push(if start == 0 {
                    format!("{title}\n{table}")
                } else {
                    table.to_string()
                });
                start = end;
            }
        }
        tables
    }

    /// `q` with only `groups` of segment `name` (letters kept as they are).
    fn subset(
        &self,
        q: &QuestionResult,
        name: &str,
        groups: &[&crate::results::GroupResult],
    ) -> QuestionResult {
        let mut one = q.clone();
        one.by
            .retain(|g| g.segment == name && groups.iter().any(|x| x.letter == g.letter));
        one
    }

    fn banner_table(&self, w: &Words, q: &QuestionResult, named: bool) -> Table {
        let b = banner(w, q);
        let widths = word_widths(&b);
        let mut t = self.table();
        let mut header = b.header.clone();
        if named {
            let mut at = 2;
            for (_, groups) in q.segments() {
                header[at] = format!("{}\n{}", groups[0].segment_name(), header[at]);
                for h in &mut header[at + 1..at + groups.len()] {
                    *h = format!("\n{h}");
                }
                at += groups.len();
            }
        }
        t.set_header(header.iter().map(|h| {
            let lines: Vec<String> = h.split('\n').map(|l| visible(l).into_owned()).collect();
            Cell::new(lines.join("\n")).add_attribute(Attribute::Bold)
        }));
        let right = |k: usize, cell: Cell| {
            if k == 0 {
                cell
            } else {
                cell.set_alignment(CellAlignment::Right)
            }
        };
        for row in b.rows {
            t.add_row(
                row.into_iter()
                    .enumerate()
                    .map(|(k, c)| right(k, Cell::new(visible(&c)))),
            );
        }
        t.add_row(
            b.base
                .into_iter()
                .enumerate()
                .map(|(k, c)| right(k, Cell::new(visible(&c)).add_attribute(Attribute::Italic))),
        );
        // Labels keep a readable width; no other column breaks inside a word.
        for (k, width) in widths.into_iter().enumerate() {
            if let Some(c) = t.column_mut(k) {
                // comfy-table's widths count the cell's padding (one space each side).
                let width = (width + 2).min(u16::MAX as usize) as u16;
                c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(width)));
            }
        }
        t
    }

    /// A question without groups: rank (when ranked), label, share, interval, count and a
    /// bar that shrinks, or goes, to fit the width.
    fn ranked_table(&self, w: &Words, r: &Results, q: &QuestionResult) -> Table {
        let mut t = self.table();
        let head = |s: &str| Cell::new(s).add_attribute(Attribute::Bold);
        let ranked = q.ranked();
        let mut rows: Vec<Vec<String>> = q
            .rows()
            .map(|i| {
                // A net's rank is among the nets only: no place in the items' rank column.
                let mut row = match (ranked, i.is_net()) {
                    (true, false) => vec![i.rank.to_string()],
                    (true, true) => vec![String::new()],
                    (false, _) => vec![],
                };
                row.extend([
                    visible(&super::row_label(w, i)).into_owned(),
                    w.percent(i.share, 1),
                    w.interval(i.ci_low, i.ci_high),
                    w.number(i.count),
                ]);
                row
            })
            .collect();
        let mut header: Vec<String> = if ranked { vec!["#".into()] } else { vec![] };
        header.extend([
            w.get("answer").into(),
            w.get("share").into(),
            ci_head(r),
            w.get("count").into(),
        ]);
        // What the other columns leave for the bar (labels wrap before the bar goes).
        let label = usize::from(ranked);
        let used = used_width(&header, &rows, 1);
        // Long labels may wrap down to LABEL_MIN to keep a bar of MIN_BAR.
        let label_width = rows
            .iter()
            .map(|r| r[label].chars().count())
            .max()
            .unwrap_or(0);
        let give = (used + MIN_BAR).saturating_sub(self.width);
        let (bar_width, label_cap) = if give == 0 {
            ((self.width - used).min(BAR_WIDTH), None)
        } else if label_width >= LABEL_MIN + give {
            (MIN_BAR, Some(label_width - give))
        } else {
            (0, None)
        };
        if bar_width >= MIN_BAR {
            header.push(String::new());
            for (row, i) in rows.iter_mut().zip(q.rows()) {
                row.push(bar(i.share, bar_width));
            }
        }
        t.set_header(header.iter().map(|h| head(h)));
        if let (Some(cap), Some(c)) = (label_cap, t.column_mut(label)) {
            c.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(cap as u16)));
        }
        for row in rows {
            let bar_column = row.len() == header.len() && bar_width >= MIN_BAR;
            let last = row.len() - 1;
            t.add_row(row.into_iter().enumerate().map(|(k, c)| {
                let cell = Cell::new(c);
                if k == label {
                    cell
                } else if bar_column && k == last {
                    cell.fg(Color::Cyan)
                } else {
                    cell.set_alignment(CellAlignment::Right)
                }
            }));
        }
        t
    }
}

impl TextExporter for TableExporter {
    fn text(&self, r: &Results) -> Result<String> {
        let w = words(&r.lang);
        let mut out = String::new();
        writeln!(out, "{}", self.wrap(&r.survey.title))?;
        if let Some(f) = super::filter_line(r) {
            writeln!(out, "{}", self.wrap(&f))?;
        }
        if r.survey.synthetic {
            writeln!(out, "{}", self.wrap(w.get("synthetic_line")))?;
        }
        for q in &r.questions {
            if !q.by.is_empty() {
                writeln!(out, "\n{}", self.wrap(&q.text))?;
                for t in self.banners(w, q) {
                    writeln!(out, "{t}")?;
                }
                writeln!(out, "{}", self.wrap(&base_line(w, q)))?;
                for line in super::banner::no_group_lines(w, q) {
                    writeln!(out, "{}", self.wrap(&line))?;
                }
                continue;
            }
            let t = self.ranked_table(w, r, q);
            writeln!(out, "\n{}", self.wrap(&q.text))?;
            writeln!(out, "{t}")?;
            writeln!(out, "{}", self.wrap(&base_line(w, q)))?;
        }
        if any_groups(r) {
            writeln!(out, "\n{}", self.wrap(&legend(r)))?;
        }
        writeln!(out, "\n{}", self.wrap(&exclusion_line(r)))?;
        Ok(out)
    }
}

/// Per column of a banner, the narrowest it can be without breaking a word: labels wrap to
/// 18 columns, every other column is as wide as its longest word.
fn word_widths(b: &super::banner::Banner) -> Vec<usize> {
    let widest_word = |s: &str| {
        s.split_whitespace()
            .map(|x| x.chars().count())
            .max()
            .unwrap_or(0)
    };
    (0..b.header.len())
        .map(|k| {
            if k == 0 {
                return 18;
            }
            std::iter::once(&b.header[k])
                .chain(b.rows.iter().map(|r| &r[k]))
                .chain([&b.base[k]])
                .map(|c| widest_word(c))
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// The narrowest a banner can be without breaking a word, borders included.
fn min_width(b: &super::banner::Banner) -> usize {
    let widths = word_widths(b);
    widths.iter().sum::<usize>() + 3 * widths.len() + 1
}

/// Characters a table of these cells takes with its borders and padding, plus `extra`
/// more columns of one character (the bar's column before its content).
fn used_width(header: &[String], rows: &[Vec<String>], extra: usize) -> usize {
    let content: usize = (0..header.len())
        .map(|k| {
            rows.iter()
                .map(|r| r[k].chars().count())
                .chain([header[k].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .sum();
    content + 3 * (header.len() + extra) + 1
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn bar_length_is_proportional_to_share() {
        assert_eq!(bar(Some(1.0), 30).chars().count(), 30);
        assert_eq!(bar(Some(0.5), 30), "█".repeat(15));
        assert_eq!(bar(Some(0.0), 30), "");
        assert_eq!(bar(None, 30), "");
        // 0.6 × 30 = 18 full blocks; 0.5 × 10 = 5.
        assert_eq!(bar(Some(0.6), 30).chars().count(), 18);
        assert_eq!(bar(Some(0.5), 10), "█".repeat(5));
    }
}
