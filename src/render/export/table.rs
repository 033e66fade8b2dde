use std::fmt::Write;

use crate::error::Result;
use comfy_table::{
    presets::UTF8_FULL_CONDENSED, Attribute, Cell, CellAlignment, Color, ColumnConstraint,
    ContentArrangement, Table, Width,
};

use super::banner::{any_groups, banner, legend};
use super::markdown::ranked_value;
use super::{base_line, exclusion_line, TextExporter};
use crate::locale::words;
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
/// Narrowest a banner's label column wraps to.
const LABEL_WRAP: usize = 18;

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
    /// segment's name over its first group), else one table per segment, their label
    /// columns equally wide.
    fn banners(&self, r: &Results, q: &QuestionResult) -> Vec<String> {
        let w = words(r.lang);
        let segments = q.segments();
        let named = segments.len() > 1;
        // Measured at its natural width: squeezed, every table "fits".
        let mut natural = self.banner_table(r, q, named, None);
        natural.set_content_arrangement(ContentArrangement::Disabled);
        let fits = natural
            .to_string()
            .lines()
            .all(|l| l.chars().count() <= self.width);
        if fits || (!named && min_width(&banner(r, q)) <= self.width) {
            return vec![self.banner_table(r, q, named, None).to_string()];
        }
        // One table per segment, and a segment's groups over several tables when even
        // wrapped at word boundaries they would not fit.
        let mut parts = Vec::new();
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
                    min_width(&banner(r, &next)) <= self.width
                } {
                    end += 1;
                }
                let part = self.subset(q, name, &groups[start..end]);
                parts.push(((start == 0).then(|| title.clone()), part));
                start = end;
            }
        }
        // Stacked tables read as one: the labels as wide in each, as wide as the
        // narrowest table's room allows.
        let label = parts
            .iter()
            .map(|(_, part)| {
                let b = banner(r, part);
                let natural = natural_widths(&b);
                let others: usize = natural[1..].iter().sum::<usize>() + 3 * natural.len() + 1;
                self.width.saturating_sub(others).min(natural[0])
            })
            .min()
            .unwrap_or(0)
            .max(LABEL_WRAP);
        parts
            .into_iter()
            .map(|(title, part)| {
                let table = self.banner_table(r, &part, false, Some(label));
                match title {
                    Some(t) => format!("{t}\n{table}"),
                    None => table.to_string(),
                }
            })
            .collect()
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

    /// The banner of `q` as one table; `label`: the label column's width.
    fn banner_table(
        &self,
        r: &Results,
        q: &QuestionResult,
        named: bool,
        label: Option<usize>,
    ) -> Table {
        let b = banner(r, q);
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
        // comfy-table's widths count the cell's padding (one space each side).
        let fixed = |width: usize| Width::Fixed((width + 2).min(u16::MAX as usize) as u16);
        for (k, width) in widths.into_iter().enumerate() {
            if let Some(c) = t.column_mut(k) {
                c.set_constraint(match (k, label) {
                    (0, Some(l)) => ColumnConstraint::Absolute(fixed(l)),
                    _ => ColumnConstraint::LowerBoundary(fixed(width)),
                });
            }
        }
        t
    }

    /// A question without groups: rank (when ranked), label, the cells (share, interval,
    /// count) and a bar `bar` characters wide for a share of 100% (none when 0).
    fn ranked_table(&self, r: &Results, q: &QuestionResult, bar_width: usize) -> Table {
        let mut t = self.table();
        let head = |s: &str| Cell::new(s).add_attribute(Attribute::Bold);
        let (mut header, mut rows) = ranked_cells(r, q);
        let label = usize::from(q.ranked());
        if bar_width > 0 {
            // Long labels wrap to leave the bar its room.
            let give = (used_width(&header, &rows, 1) + bar_width).saturating_sub(self.width);
            if give > 0 {
                let longest = rows.iter().map(|r| r[label].chars().count()).max();
                if let (Some(longest), Some(c)) = (longest, t.column_mut(label)) {
                    let cap = longest.saturating_sub(give).max(LABEL_MIN);
                    c.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(
                        cap.min(u16::MAX as usize) as u16,
                    )));
                }
            }
            header.push(String::new());
            for (row, i) in rows.iter_mut().zip(q.rows()) {
                row.push(bar(i.share, bar_width));
            }
        }
        t.set_header(header.iter().map(|h| head(h)));
        for row in rows {
            let last = row.len() - 1;
            t.add_row(row.into_iter().enumerate().map(|(k, c)| {
                let cell = Cell::new(c);
                if k == label {
                    cell
                } else if bar_width > 0 && k == last {
                    cell.fg(Color::Cyan)
                } else {
                    cell.set_alignment(CellAlignment::Right)
                }
            }));
        }
        t
    }

    /// The widest bar a ranked table of `q` has room for: what the other columns leave,
    /// labels wrapping down to LABEL_MIN before the bar goes (0: no bar).
    fn bar_room(&self, r: &Results, q: &QuestionResult) -> usize {
        if !r.ranked_cells().contains(&crate::results::Cell::Share) {
            return 0;
        }
        let (header, rows) = ranked_cells(r, q);
        let label = usize::from(q.ranked());
        let used = used_width(&header, &rows, 1);
        let longest = rows
            .iter()
            .map(|r| r[label].chars().count())
            .max()
            .unwrap_or(0);
        let give = (used + MIN_BAR).saturating_sub(self.width);
        if give == 0 {
            (self.width - used).min(BAR_WIDTH)
        } else if longest >= LABEL_MIN + give {
            MIN_BAR
        } else {
            0
        }
    }
}

/// The head and rows of a ranked table's text columns: rank (when ranked), label, cells.
fn ranked_cells(r: &Results, q: &QuestionResult) -> (Vec<String>, Vec<Vec<String>>) {
    let w = words(r.lang);
    let cells = r.ranked_cells();
    let ranked = q.ranked();
    let rows = q
        .rows()
        .map(|i| {
            // A net's rank is among the nets only: no place in the items' rank column.
            let mut row = match (ranked, i.is_net()) {
                (true, false) => vec![i.rank.to_string()],
                (true, true) => vec![String::new()],
                (false, _) => vec![],
            };
            row.push(visible(&super::row_label(w, i)).into_owned());
            row.extend(cells.iter().map(|&c| ranked_value(w, c, i)));
            row
        })
        .collect();
    let mut header: Vec<String> = if ranked { vec!["#".into()] } else { vec![] };
    header.push(w.get("answer").into());
    header.extend(cells.iter().map(|&c| super::cell_name(r, c)));
    (header, rows)
}

impl TextExporter for TableExporter {
    fn text(&self, r: &Results) -> Result<String> {
        let w = words(r.lang);
        let mut out = String::new();
        writeln!(out, "{}", self.wrap(&r.survey.title))?;
        if let Some(f) = super::filter_line(r) {
            writeln!(out, "{}", self.wrap(&f))?;
        }
        if r.survey.synthetic {
            writeln!(out, "{}", self.wrap(w.get("synthetic_line")))?;
        }
        // One bar scale for every table: the room of the tightest that has a bar.
        let bar_width = r
            .questions
            .iter()
            .filter(|q| q.by.is_empty())
            .map(|q| self.bar_room(r, q))
            .filter(|&b| b > 0)
            .min()
            .unwrap_or(0);
        for q in &r.questions {
            if !q.by.is_empty() {
                writeln!(out, "\n{}", self.wrap(&q.text))?;
                for t in self.banners(r, q) {
                    writeln!(out, "{t}")?;
                }
                writeln!(out, "{}", self.wrap(&base_line(w, q)))?;
                for line in super::banner::no_group_lines(w, q) {
                    writeln!(out, "{}", self.wrap(&line))?;
                }
                if let Some(line) = super::cells_line(r) {
                    writeln!(out, "{}", self.wrap(&line))?;
                }
                continue;
            }
            let bar = match self.bar_room(r, q) {
                0 => 0,
                _ => bar_width,
            };
            let t = self.ranked_table(r, q, bar);
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
                return LABEL_WRAP;
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

/// Per column of a banner, its widest cell.
fn natural_widths(b: &super::banner::Banner) -> Vec<usize> {
    (0..b.header.len())
        .map(|k| {
            std::iter::once(&b.header[k])
                .chain(b.rows.iter().map(|r| &r[k]))
                .chain([&b.base[k]])
                .flat_map(|c| c.lines())
                .map(|l| l.chars().count())
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
