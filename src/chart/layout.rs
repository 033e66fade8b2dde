//! Where everything goes. Text is measured with the embedded font and wrapped, and every
//! height follows from the wrapped text, so no label is clipped or overlaps at any length.

use crate::error::{Error, Result};
use plotters::style::{FontDesc, FontFamily, FontStyle};

use super::words::{base, number, words};
use super::{BASE_WIDTH, FAMILY};
use crate::chart::ChartOptions;
use crate::results::{GroupResult, ItemResult, Results};
use plotters::style::RGBColor;

use super::{BAR, BAR_LAST, GROUP_COLORS};

/// One line of text, anchored at its left edge and vertical centre.
#[derive(Debug, Clone)]
pub struct Line {
    pub text: String,
    pub x: i32,
    pub y: i32,
    pub size: f64,
    pub bold: bool,
}

#[derive(Debug, Clone)]
pub struct Tag {
    pub rect: ((i32, i32), (i32, i32)),
    pub text: Line,
}

#[derive(Debug, Clone)]
pub struct Whisker {
    pub x0: i32,
    pub x1: i32,
    pub y: i32,
    pub cap: i32,
    pub stroke: u32,
}

#[derive(Debug, Clone)]
pub struct Bar {
    pub label: Vec<Line>,
    /// One mark for the total, or one per group of the segment.
    pub marks: Vec<Mark>,
}

#[derive(Debug, Clone)]
pub struct Mark {
    pub rect: ((i32, i32), (i32, i32)),
    pub value: Line,
    pub whisker: Option<Whisker>,
    pub color: RGBColor,
}

/// A legend entry: colour swatch and text.
#[derive(Debug, Clone)]
pub struct Key {
    pub rect: ((i32, i32), (i32, i32)),
    pub color: RGBColor,
    pub text: Line,
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub width: u32,
    pub height: u32,
    pub title: Vec<Line>,
    pub tag: Option<Tag>,
    pub question: Vec<Line>,
    /// Horizontal rules: (y, x0, x1).
    pub rules: Vec<(i32, i32, i32)>,
    pub rule_width: u32,
    pub legend: Vec<Key>,
    pub bars: Vec<Bar>,
    pub footer: Vec<Line>,
}

/// Width in pixels of `text` in the embedded font.
pub fn text_width(text: &str, size: f64, bold: bool) -> Result<f64> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    let (w, _) = FontDesc::new(FontFamily::Name(FAMILY), size, style)
        .box_size(text)
        .map_err(|e| Error::Output(format!("measuring text: {e:?}")))?;
    Ok(w as f64)
}

/// Greedy word wrap to `width` pixels; a word longer than a line is broken by characters.
pub fn wrap(text: &str, size: f64, bold: bool, width: f64) -> Result<Vec<String>> {
    let text = crate::text::chart(text);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if text_width(&candidate, size, bold)? <= width {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if text_width(word, size, bold)? <= width {
            current = word.to_string();
        } else {
            for ch in word.chars() {
                let mut next = current.clone();
                next.push(ch);
                if !current.is_empty() && text_width(&next, size, bold)? > width {
                    lines.push(std::mem::replace(&mut current, ch.to_string()));
                } else {
                    current = next;
                }
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    Ok(lines)
}

/// Stacks wrapped lines downward from `*y`, each `lh` high; returns them.
fn stack(
    text: &str,
    x: f64,
    y: &mut f64,
    size: f64,
    bold: bool,
    width: f64,
    lh: f64,
) -> Result<Vec<Line>> {
    let mut out = Vec::new();
    for t in wrap(text, size, bold, width)? {
        out.push(Line {
            text: t,
            x: x.round() as i32,
            y: (*y + lh / 2.0).round() as i32,
            size,
            bold,
        });
        *y += lh;
    }
    Ok(out)
}

/// Tallest chart at scale 1, in pixels: a Figure 1 is about 1,100.
const MAX_HEIGHT: f64 = 20_000.0;

fn px(x: f64) -> i32 {
    x.round() as i32
}

impl Layout {
    pub fn new(r: &Results, figure: usize, opts: &ChartOptions) -> Result<Layout> {
        let q = &r.questions[figure];
        let w = words(&r.lang);
        let s = opts.scale;
        let width = (BASE_WIDTH as f64 * s).round();
        let margin = 64.0 * s;
        let content = width - 2.0 * margin;
        let (title_size, tag_size, question_size, label_size, value_size, footer_size) =
            (44.0 * s, 26.0 * s, 30.0 * s, 30.0 * s, 30.0 * s, 25.0 * s);
        let lh = |size: f64| size * 1.3;

        let mut y = margin;
        let title_text = format!("{} {}. {}", w.figure, figure + 1, q.title);
        let title = stack(
            &title_text,
            margin,
            &mut y,
            title_size,
            true,
            content,
            lh(title_size),
        )?;

        let tag = if r.survey.synthetic {
            let pad = 14.0 * s;
            y += 12.0 * s;
            let tag_text = wrap(w.synthetic, tag_size, true, content - 2.0 * pad)?.join(" ");
            let tw = text_width(&tag_text, tag_size, true)?.min(content - 2.0 * pad);
            let h = tag_size * 1.7;
            let tag = Tag {
                rect: (
                    (px(margin), px(y)),
                    (px(margin + tw + 2.0 * pad), px(y + h)),
                ),
                text: Line {
                    text: tag_text,
                    x: px(margin + pad),
                    y: px(y + h / 2.0),
                    size: tag_size,
                    bold: true,
                },
            };
            y += h;
            Some(tag)
        } else {
            None
        };

        y += 18.0 * s;
        let question_text = format!("{}: {}", w.question, q.text);
        let question = stack(
            &question_text,
            margin,
            &mut y,
            question_size,
            false,
            content,
            lh(question_size),
        )?;

        // A segment comparison (`--by`): the first segment's groups, one colour each.
        let groups: Vec<&GroupResult> = match q.by.first() {
            Some(first) => q.by.iter().filter(|g| g.segment == first.segment).collect(),
            None => Vec::new(),
        };
        let mut legend = Vec::new();
        if !groups.is_empty() {
            y += 16.0 * s;
            let swatch = 22.0 * s;
            let row_h = lh(label_size);
            let mut x = margin;
            for (k, g) in groups.iter().enumerate() {
                let text = format!("({}) {}", g.letter, crate::text::chart(&g.label));
                let w = swatch + 10.0 * s + text_width(&text, label_size, false)?;
                if x > margin && x + w > margin + content {
                    x = margin;
                    y += row_h;
                }
                let centre = y + row_h / 2.0;
                legend.push(Key {
                    rect: (
                        (px(x), px(centre - swatch / 2.0)),
                        (px(x + swatch), px(centre + swatch / 2.0)),
                    ),
                    color: GROUP_COLORS[k % GROUP_COLORS.len()],
                    text: Line {
                        text,
                        x: px(x + swatch + 10.0 * s),
                        y: px(centre),
                        size: label_size,
                        bold: false,
                    },
                });
                x += w + 32.0 * s;
            }
            y += row_h;
        }

        let rule_width = (2.0 * s).round().max(1.0) as u32;
        let mut rules = Vec::new();
        y += 20.0 * s;
        rules.push((px(y), px(margin), px(margin + content)));
        y += 30.0 * s;

        // Bars: labels on the left, bars to their right, the percentage after each bar.
        let label_w = 0.40 * content;
        let gap = 24.0 * s;
        let bar_x0 = margin + label_w + gap;
        let value_size = if groups.is_empty() {
            value_size
        } else {
            value_size * 0.8
        };
        let widest_value = if groups.is_empty() {
            "100%".to_string()
        } else {
            format!(
                "100% {}",
                groups.iter().map(|g| g.letter.as_str()).collect::<String>()
            )
        };
        let value_w = text_width(&widest_value, value_size, true)? + 16.0 * s;
        let bar_area = content - label_w - gap - value_w;
        let bar_h = if groups.is_empty() {
            46.0 * s
        } else {
            26.0 * s
        };
        let mark_gap = 6.0 * s;
        let row_gap = 22.0 * s;
        let reach = |i: &ItemResult| {
            let hi = if opts.ci {
                i.ci_high.unwrap_or(0.0)
            } else {
                0.0
            };
            i.share.unwrap_or(0.0).max(hi)
        };
        let top = if groups.is_empty() {
            q.items.iter().map(reach).fold(0.0f64, f64::max)
        } else {
            groups
                .iter()
                .flat_map(|g| g.items.iter().map(|i| reach(&i.item)))
                .fold(0.0f64, f64::max)
        };
        let top = if top > 0.0 { top } else { 1.0 };
        let to_x = |share: f64| bar_x0 + bar_area * (share / top).clamp(0.0, 1.0);
        let mark = |item: &ItemResult, letters: &[String], centre: f64, color: RGBColor| -> Mark {
            let end = to_x(item.share.unwrap_or(0.0));
            let whisker = match (opts.ci, item.ci_low, item.ci_high) {
                (true, Some(lo), Some(hi)) => Some(Whisker {
                    x0: px(to_x(lo)),
                    x1: px(to_x(hi)),
                    y: px(centre),
                    cap: px(bar_h * 0.28),
                    stroke: (2.5 * s).round().max(1.0) as u32,
                }),
                _ => None,
            };
            let value_x = whisker
                .as_ref()
                .map(|w| w.x1 as f64)
                .unwrap_or(end)
                .max(end)
                + 12.0 * s;
            let mut text = match item.share {
                Some(p) => format!("{}%", (p * 100.0).round() as i64),
                None => "–".into(),
            };
            if !letters.is_empty() {
                text = format!("{text} {}", letters.concat());
            }
            Mark {
                rect: (
                    (px(bar_x0), px(centre - bar_h / 2.0)),
                    (px(end), px(centre + bar_h / 2.0)),
                ),
                value: Line {
                    text,
                    x: px(value_x),
                    y: px(centre),
                    size: value_size,
                    bold: true,
                },
                whisker,
                color,
            }
        };

        let mut bars = Vec::new();
        for (row, item) in q.items.iter().enumerate() {
            let lines = wrap(&item.label, label_size, false, label_w)?;
            let text_h = lines.len() as f64 * lh(label_size);
            let marks_n = groups.len().max(1) as f64;
            let block_h = marks_n * bar_h + (marks_n - 1.0) * mark_gap;
            let row_h = text_h.max(block_h);
            let centre = y + row_h / 2.0;
            let mut ly = centre - text_h / 2.0;
            let label = lines
                .into_iter()
                .map(|t| {
                    let line = Line {
                        text: t,
                        x: px(margin),
                        y: px(ly + lh(label_size) / 2.0),
                        size: label_size,
                        bold: false,
                    };
                    ly += lh(label_size);
                    line
                })
                .collect();
            let marks = if groups.is_empty() {
                vec![mark(
                    item,
                    &[],
                    centre,
                    if item.pinned_last { BAR_LAST } else { BAR },
                )]
            } else {
                let first = centre - block_h / 2.0 + bar_h / 2.0;
                groups
                    .iter()
                    .enumerate()
                    .filter_map(|(k, g)| {
                        let gi = g.items.get(row)?;
                        let c = first + k as f64 * (bar_h + mark_gap);
                        Some(mark(
                            &gi.item,
                            &gi.higher_than,
                            c,
                            GROUP_COLORS[k % GROUP_COLORS.len()],
                        ))
                    })
                    .collect()
            };
            bars.push(Bar { label, marks });
            y += row_h + row_gap;
        }

        y += 8.0 * s;
        rules.push((px(y), px(margin), px(margin + content)));
        y += 22.0 * s;

        let mut footer_text = vec![base(&r.lang, q.base.unweighted)];
        if !groups.is_empty() {
            let parts: Vec<String> = groups
                .iter()
                .map(|g| {
                    let flag = match g.base_flag.as_deref() {
                        Some("under_30") => " !",
                        Some("under_100") => " *",
                        _ => "",
                    };
                    format!("{} {}{flag}", g.letter, number(&r.lang, g.base.unweighted))
                })
                .collect();
            footer_text[0] = format!("{} ({})", footer_text[0], parts.join(", "));
        }
        if q.weighted {
            footer_text[0] = format!(
                "{}. {} {}.",
                footer_text[0],
                w.weighted,
                number(&r.lang, q.base.effective.round() as u64)
            );
        }
        if !q.note.is_empty() {
            footer_text.push(q.note.clone());
        }
        let notes = r.exclusion_notes();
        if !notes.is_empty() {
            footer_text.push(format!("{}: {notes}", w.note));
        }
        if !groups.is_empty() {
            footer_text.push(
                w.letters
                    .replace("{alpha}", &r.significance.alpha.to_string())
                    .replace("{min_base}", &r.significance.min_base.to_string()),
            );
        }
        if opts.ci {
            footer_text.push(w.whiskers.to_string());
        }
        let source = r.survey.source.trim_end_matches('.');
        footer_text.push(if source.is_empty() {
            format!("{} {}", w.made_with, r.tool.version)
        } else {
            format!("{}: {source}. {} {}", w.source, w.made_with, r.tool.version)
        });
        let mut footer = Vec::new();
        for t in footer_text {
            footer.extend(stack(
                &t,
                margin,
                &mut y,
                footer_size,
                false,
                content,
                lh(footer_size),
            )?);
        }
        let height = (y + margin * 0.75).round();
        if height > MAX_HEIGHT * s {
            return Err(Error::Output(format!(
                "the chart would be {height} pixels tall (at most {}): too many items or lines to draw; use `concerns table`",
                MAX_HEIGHT * s
            )));
        }
        Ok(Layout {
            width: width as u32,
            height: height as u32,
            title,
            tag,
            question,
            rules,
            rule_width,
            legend,
            bars,
            footer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_respects_the_width_and_keeps_every_word() {
        super::super::register_fonts();
        let text = "Из-за предвзятости ИИ не будет равенства в обслуживании";
        let lines = wrap(text, 30.0, false, 300.0).unwrap();
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(text_width(l, 30.0, false).unwrap() <= 300.0, "{l}");
        }
        assert_eq!(lines.join(" "), text);
        // A single word longer than the line is broken, not clipped.
        let long = "x".repeat(200);
        let lines = wrap(&long, 30.0, false, 300.0).unwrap();
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), long);
    }
}
