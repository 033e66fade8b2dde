use std::fmt::Write;

use crate::error::Result;
use comfy_table::{
    presets::UTF8_FULL_CONDENSED, Attribute, Cell, CellAlignment, Color, ContentArrangement, Table,
};

use super::banner::{any_groups, banner, legend};
use super::legend::ci_head;
use super::{base_line, exclusion_line, interval, percent, thousands, TextExporter};
use crate::results::Results;
use crate::text::visible;

/// The table an analyst reads first: ranked items, shares, a text bar, bases, exclusions.
pub struct TableExporter {
    /// ANSI colour; the caller decides (terminal and no `NO_COLOR`).
    pub color: bool,
}

const BAR_WIDTH: f64 = 30.0;

/// A bar of eighth-blocks, `share` of `BAR_WIDTH` characters wide.
fn bar(share: Option<f64>) -> String {
    let eighths = (share.unwrap_or(0.0).clamp(0.0, 1.0) * BAR_WIDTH * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    s.push_str(PARTS[eighths % 8]);
    s
}

impl TableExporter {
    /// A condensed UTF-8 table, styled only when colour is on.
    fn table(&self) -> Table {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled);
        if self.color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        t
    }
}

impl TextExporter for TableExporter {
    fn text(&self, r: &Results) -> Result<String> {
        let mut out = String::new();
        writeln!(out, "{}", visible(&r.survey.title))?;
        if r.survey.synthetic {
            writeln!(
                out,
                "Synthetic data calibrated to published figures: not real respondents."
            )?;
        }
        for q in &r.questions {
            if !q.by.is_empty() {
                let b = banner(q);
                let mut t = self.table();
                t.set_header(
                    b.header
                        .iter()
                        .map(|h| Cell::new(visible(h)).add_attribute(Attribute::Bold)),
                );
                for row in b.rows {
                    t.add_row(row.into_iter().enumerate().map(|(i, c)| {
                        let cell = Cell::new(visible(&c));
                        if i == 0 {
                            cell
                        } else {
                            cell.set_alignment(CellAlignment::Right)
                        }
                    }));
                }
                t.add_row(b.base.into_iter().enumerate().map(|(i, c)| {
                    let cell = Cell::new(visible(&c)).add_attribute(Attribute::Italic);
                    if i == 0 {
                        cell
                    } else {
                        cell.set_alignment(CellAlignment::Right)
                    }
                }));
                writeln!(out, "\n{}", visible(&q.text))?;
                writeln!(out, "{t}")?;
                writeln!(out, "{}", base_line(q))?;
                for line in super::banner::no_group_lines(q) {
                    writeln!(out, "{}", visible(&line))?;
                }
                continue;
            }
            let mut t = self.table();
            let head = |s: &str| Cell::new(s).add_attribute(Attribute::Bold);
            t.set_header(vec![
                head("#"),
                head("Answer"),
                head("Share"),
                head(&ci_head(r)),
                head("Count"),
                head(""),
            ]);
            for i in &q.items {
                t.add_row(vec![
                    Cell::new(i.rank).set_alignment(CellAlignment::Right),
                    Cell::new(visible(&i.label)),
                    Cell::new(percent(i.share, 1)).set_alignment(CellAlignment::Right),
                    Cell::new(interval(i.ci_low, i.ci_high)).set_alignment(CellAlignment::Right),
                    Cell::new(thousands(i.count)).set_alignment(CellAlignment::Right),
                    Cell::new(bar(i.share)).fg(Color::Cyan),
                ]);
            }
            writeln!(out, "\n{}", visible(&q.text))?;
            writeln!(out, "{t}")?;
            writeln!(out, "{}", base_line(q))?;
        }
        if any_groups(r) {
            writeln!(out, "\n{}", legend(r))?;
        }
        writeln!(out, "\n{}", visible(&exclusion_line(r)))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn bar_length_is_proportional_to_share() {
        assert_eq!(bar(Some(1.0)).chars().count(), 30);
        assert_eq!(bar(Some(0.5)), "█".repeat(15));
        assert_eq!(bar(Some(0.0)), "");
        assert_eq!(bar(None), "");
        // 0.6 × 30 = 18 full blocks.
        assert_eq!(bar(Some(0.6)).chars().count(), 18);
    }
}
