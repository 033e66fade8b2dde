//! Where everything goes. Text is measured with the embedded font and wrapped, and every
//! height follows from the wrapped text, so no label is clipped or overlaps at any length.

use crate::error::{Error, Result};

use plotters::style::RGBColor;

use super::{group_color, ChartOptions, BAR, BAR_LAST, BAR_NET, BASE_WIDTH};
use crate::locale::words;
use crate::locale::Words;
use crate::render::export::legend::{letters_legend, whiskers_legend};
use crate::results::{BaseFlag, GroupResult, ItemResult, QuestionResult, Results};

/// One line of text, anchored at its left edge and vertical centre.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub text: String,
    pub x: i32,
    pub y: i32,
    pub size: f64,
    pub bold: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Tag {
    pub rect: ((i32, i32), (i32, i32)),
    pub text: Line,
}

#[derive(Debug, Clone)]
pub(crate) struct Whisker {
    pub x0: i32,
    pub x1: i32,
    pub y: i32,
    pub cap: i32,
    pub stroke: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Bar {
    pub label: Vec<Line>,
    /// One mark for the total, or one per group of the segment.
    pub marks: Vec<Mark>,
}

#[derive(Debug, Clone)]
pub(crate) struct Mark {
    pub rect: ((i32, i32), (i32, i32)),
    pub value: Line,
    pub whisker: Option<Whisker>,
    pub color: RGBColor,
}

/// A legend entry: colour swatch and text.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    pub rect: ((i32, i32), (i32, i32)),
    pub color: RGBColor,
    pub text: Line,
}

#[derive(Debug, Clone)]
pub(crate) struct Layout {
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

/// Width in pixels of `text` in the embedded font at `size` px to the em (as SVG and CSS
/// size text), advances and kerning included: what both the PNG and an SVG viewer draw.
pub(crate) fn text_width(text: &str, size: f64, bold: bool) -> Result<f64> {
    use ab_glyph::{Font, FontRef, ScaleFont};
    let font = FontRef::try_from_slice(super::font_bytes(bold))
        .map_err(|e| Error::Output(format!("embedded font: {e}")))?;
    let scaled = font.as_scaled(super::em_scale(&font, size));
    let mut width = 0.0f32;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            width += scaled.kern(p, id);
        }
        width += scaled.h_advance(id);
        previous = Some(id);
    }
    Ok(width.ceil() as f64)
}

/// Greedy word wrap to `width` pixels; a word longer than a line is broken by characters.
pub(crate) fn wrap(text: &str, size: f64, bold: bool, width: f64) -> Result<Vec<String>> {
    let text = crate::text::chart(text);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    // A no-break space ("5 140", "60 %") holds its word together.
    let breaks = |c: char| c.is_whitespace() && c != '\u{a0}' && c != '\u{202f}';
    for word in text.split(breaks).filter(|w| !w.is_empty()) {
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

/// Width of a chart for a phone's screen: text at 390 CSS pixels stays over 12 pixels.
const NARROW_WIDTH: u32 = 640;

fn px(x: f64) -> i32 {
    x.round() as i32
}

/// Sizes of one chart at its scale.
struct Metrics {
    /// The scale: every length below is multiplied by it.
    s: f64,
    width: f64,
    margin: f64,
    /// Width between the margins.
    content: f64,
    title: f64,
    tag: f64,
    question: f64,
    label: f64,
    value: f64,
    footer: f64,
}

impl Metrics {
    fn new(scale: f64, narrow: bool) -> Metrics {
        let base = if narrow { NARROW_WIDTH } else { BASE_WIDTH };
        let width = (base as f64 * scale).round();
        let margin = if narrow { 28.0 } else { 64.0 } * scale;
        Metrics {
            s: scale,
            width,
            margin,
            content: width - 2.0 * margin,
            title: 44.0 * scale,
            tag: 26.0 * scale,
            question: 30.0 * scale,
            label: 30.0 * scale,
            value: 30.0 * scale,
            footer: 25.0 * scale,
        }
    }

    /// Line height of text of `size`.
    fn lh(size: f64) -> f64 {
        size * 1.3
    }

    /// A rule across the content width at `y`.
    fn rule(&self, y: f64) -> (i32, i32, i32) {
        (px(y), px(self.margin), px(self.margin + self.content))
    }
}

/// The top of what is laid out next; sections move it down.
struct Cursor {
    y: f64,
}

impl Cursor {
    /// `text` wrapped to the content width, one line under another.
    fn stack(&mut self, m: &Metrics, text: &str, size: f64, bold: bool) -> Result<Vec<Line>> {
        stack(
            text,
            m.margin,
            &mut self.y,
            size,
            bold,
            m.content,
            Metrics::lh(size),
        )
    }
}

impl Layout {
    pub fn new(r: &Results, figure: usize, opts: &ChartOptions) -> Result<Layout> {
        let q = &r.questions[figure];
        let w = words(r.lang);
        let m = Metrics::new(opts.scale, opts.narrow());
        // Without a title the page's heading stands right above: less space on top.
        let top = if opts.untitled() { 0.4 } else { 1.0 };
        let mut at = Cursor { y: m.margin * top };
        let groups = drawn_groups(q, opts);
        let title = match opts.untitled() {
            true => Vec::new(),
            false => at.stack(&m, &figure_title(r, figure, opts, &groups), m.title, true)?,
        };
        let tag = if r.survey.synthetic {
            Some(synthetic_tag(&m, &mut at, w.get("chart_synthetic"))?)
        } else {
            None
        };
        at.y += 18.0 * m.s;
        let mut question = at.stack(
            &m,
            &w.fill("question_text", &[("text", &q.text)]),
            m.question,
            false,
        )?;
        // The filter under the title and question, as in every output.
        if let Some(f) = crate::render::export::filter_line(r) {
            at.y += 6.0 * m.s;
            question.extend(at.stack(&m, &f, m.footer, false)?);
        }
        let legend = legend(&m, &mut at, &groups)?;
        at.y += 20.0 * m.s;
        let top = at.y;
        // Every row while the chart stays under the tallest drawn; else the first rows (in
        // rank order) that fit, and a line saying how many more are in the tables.
        let rows = q.rows().count();
        let mut drawn = rows;
        let (rules, bars, footer, height) = loop {
            at.y = top;
            let (rules, bars, footer) =
                rows_and_footer((r, q, &groups, opts), (&m, w), &mut at, drawn)?;
            let height = (at.y + m.margin * 0.75).round();
            if height <= MAX_HEIGHT * m.s {
                break (rules, bars, footer, height);
            }
            if drawn == 0 {
                return Err(Error::Output(format!(
                    "the chart would be {height} pixels tall without a single bar (at most {}): its title, question and notes are too long to draw; use `concerns table`",
                    MAX_HEIGHT * m.s
                )));
            }
            // Fewer rows, in proportion to what is too much (at least one fewer).
            let fit = (drawn as f64 * MAX_HEIGHT * m.s / height).floor() as usize;
            drawn = fit.min(drawn - 1);
        };
        Ok(Layout {
            width: m.width as u32,
            height: height as u32,
            title,
            tag,
            question,
            rules,
            rule_width: (2.0 * m.s).round().max(1.0) as u32,
            legend,
            bars,
            footer,
        })
    }
}

/// One try at the chart's body from the cursor down: the rules, the first `drawn` rows of
/// bars and the footer (saying how many rows more the tables have).
fn rows_and_footer(
    (r, q, groups, opts): (&Results, &QuestionResult, &[&GroupResult], &ChartOptions),
    (m, w): (&Metrics, &'static Words),
    at: &mut Cursor,
    drawn: usize,
) -> Result<(Vec<(i32, i32, i32)>, Vec<Bar>, Vec<Line>)> {
    let rows = q.rows().count();
    let mut rules = vec![m.rule(at.y)];
    at.y += 30.0 * m.s;
    let bars = Bars::new(w, m, q, groups, (opts.ci, opts.narrow()))?.lay_out(
        (m, w),
        (at, &mut rules),
        (q, drawn),
        groups,
    )?;
    at.y += 8.0 * m.s;
    rules.push(m.rule(at.y));
    at.y += 22.0 * m.s;
    let mut footer = Vec::new();
    let mut texts = footer_text(r, q, groups, opts);
    if drawn < rows {
        let more = w.fill(
            "chart_more_rows",
            &[("n", &w.number((rows - drawn) as u64))],
        );
        texts.insert(0, more);
    }
    for t in texts {
        footer.extend(at.stack(m, &t, m.footer, false)?);
    }
    Ok((rules, bars, footer))
}

/// The "synthetic data" tag under the title.
fn synthetic_tag(m: &Metrics, at: &mut Cursor, words: &str) -> Result<Tag> {
    let pad = 14.0 * m.s;
    at.y += 12.0 * m.s;
    let text = wrap(words, m.tag, true, m.content - 2.0 * pad)?.join(" ");
    let tw = text_width(&text, m.tag, true)?.min(m.content - 2.0 * pad);
    let h = m.tag * 1.7;
    let tag = Tag {
        rect: (
            (px(m.margin), px(at.y)),
            (px(m.margin + tw + 2.0 * pad), px(at.y + h)),
        ),
        text: Line {
            text,
            x: px(m.margin + pad),
            y: px(at.y + h / 2.0),
            size: m.tag,
            bold: true,
        },
    };
    at.y += h;
    Ok(tag)
}

/// One key per group, flowing onto further rows when the width is used up.
fn legend(m: &Metrics, at: &mut Cursor, groups: &[&GroupResult]) -> Result<Vec<Key>> {
    let mut keys = Vec::new();
    if groups.is_empty() {
        return Ok(keys);
    }
    at.y += 16.0 * m.s;
    let swatch = 22.0 * m.s;
    let row_h = Metrics::lh(m.label);
    let mut x = m.margin;
    for (k, g) in groups.iter().enumerate() {
        // A low base keeps its colour (a lighter tint) and is marked as in the tables.
        let flag = g.base_flag.map(BaseFlag::mark).unwrap_or_default();
        let text = format!("({}) {}{flag}", g.letter, crate::text::chart(&g.label));
        let w = swatch + 10.0 * m.s + text_width(&text, m.label, false)?;
        if x > m.margin && x + w > m.margin + m.content {
            x = m.margin;
            at.y += row_h;
        }
        let centre = at.y + row_h / 2.0;
        keys.push(Key {
            rect: (
                (px(x), px(centre - swatch / 2.0)),
                (px(x + swatch), px(centre + swatch / 2.0)),
            ),
            color: group_color(k, groups.len(), groups[k].base_flag.is_some()),
            text: Line {
                text,
                x: px(x + swatch + 10.0 * m.s),
                y: px(centre),
                size: m.label,
                bold: false,
            },
        });
        x += w + 32.0 * m.s;
    }
    at.y += row_h;
    Ok(keys)
}

/// The geometry of the bar area: labels on the left, bars to their right, the
/// percentage after each bar.
struct Bars {
    s: f64,
    /// Labels above their bars (a narrow chart), else to their left.
    narrow: bool,
    label_w: f64,
    bar_x0: f64,
    bar_area: f64,
    bar_h: f64,
    value_size: f64,
    /// The share drawn full width: the longest bar or whisker.
    top: f64,
    ci: bool,
    /// The language's words and number style.
    w: &'static Words,
}

impl Bars {
    fn new(
        w: &'static Words,
        m: &Metrics,
        q: &QuestionResult,
        groups: &[&GroupResult],
        (ci, narrow): (bool, bool),
    ) -> Result<Bars> {
        let label_w = if narrow { m.content } else { 0.40 * m.content };
        let gap = if narrow { 0.0 } else { 24.0 * m.s };
        let (value_size, widest_value, bar_h) = if groups.is_empty() {
            (m.value, w.percent(Some(1.0), 0), 46.0 * m.s)
        } else {
            let letters: String = groups.iter().map(|g| g.letter.as_str()).collect();
            (
                m.value * 0.8,
                format!("{} {letters}", w.percent(Some(1.0), 0)),
                26.0 * m.s,
            )
        };
        let value_w = text_width(&widest_value, value_size, true)? + 16.0 * m.s;
        let reach = |i: &ItemResult| {
            let hi = if ci { i.ci_high.unwrap_or(0.0) } else { 0.0 };
            i.share.unwrap_or(0.0).max(hi)
        };
        let top = if groups.is_empty() {
            q.rows().map(reach).fold(0.0f64, f64::max)
        } else {
            groups
                .iter()
                .flat_map(|g| g.rows().map(|i| reach(&i.item)))
                .fold(0.0f64, f64::max)
        };
        let bar_x0 = if narrow {
            m.margin
        } else {
            m.margin + label_w + gap
        };
        Ok(Bars {
            s: m.s,
            narrow,
            label_w,
            bar_x0,
            bar_area: m.content - (bar_x0 - m.margin) - value_w,
            bar_h,
            value_size,
            top: if top > 0.0 { top } else { 1.0 },
            ci,
            w,
        })
    }

    fn to_x(&self, share: f64) -> f64 {
        self.bar_x0 + self.bar_area * (share / self.top).clamp(0.0, 1.0)
    }

    /// One bar centred at `centre`, with its whisker and its value (and letters).
    fn mark(&self, item: &ItemResult, letters: &[String], centre: f64, color: RGBColor) -> Mark {
        let s = self.s;
        let end = self.to_x(item.share.unwrap_or(0.0));
        let whisker = match (self.ci, item.ci_low, item.ci_high) {
            (true, Some(lo), Some(hi)) => Some(Whisker {
                x0: px(self.to_x(lo)),
                x1: px(self.to_x(hi)),
                y: px(centre),
                cap: px(self.bar_h * 0.28),
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
        let mut text = self.w.percent(item.share, 0);
        if !letters.is_empty() {
            text = format!("{text} {}", letters.concat());
        }
        Mark {
            rect: (
                (px(self.bar_x0), px(centre - self.bar_h / 2.0)),
                (px(end), px(centre + self.bar_h / 2.0)),
            ),
            value: Line {
                text,
                x: px(value_x),
                y: px(centre),
                size: self.value_size,
                bold: true,
            },
            whisker,
            color,
        }
    }

    /// One row per item: its wrapped label beside one mark, or one mark per group. Nets
    /// follow the items under a rule of their own, labelled and coloured as nets.
    fn lay_out(
        &self,
        (m, w): (&Metrics, &Words),
        (at, rules): (&mut Cursor, &mut Vec<(i32, i32, i32)>),
        (q, drawn): (&QuestionResult, usize),
        groups: &[&GroupResult],
    ) -> Result<Vec<Bar>> {
        let (mark_gap, row_gap) = (6.0 * m.s, 22.0 * m.s);
        let lh = Metrics::lh(m.label);
        let mut bars = Vec::new();
        for (row, item) in q.rows().enumerate().take(drawn) {
            if row == q.items.len() {
                rules.push(m.rule(at.y - row_gap / 2.0));
                at.y += row_gap / 2.0;
            }
            let lines = wrap(
                &crate::render::export::row_label(w, item),
                m.label,
                false,
                self.label_w,
            )?;
            let text_h = lines.len() as f64 * lh;
            let marks_n = groups.len().max(1) as f64;
            let block_h = marks_n * self.bar_h + (marks_n - 1.0) * mark_gap;
            // Beside the label, centred on it; or below it in a narrow chart.
            let (row_h, centre, mut ly) = match self.narrow {
                false => {
                    let row_h = text_h.max(block_h);
                    let centre = at.y + row_h / 2.0;
                    (row_h, centre, centre - text_h / 2.0)
                }
                true => {
                    let below = 6.0 * self.s;
                    let centre = at.y + text_h + below + block_h / 2.0;
                    (text_h + below + block_h, centre, at.y)
                }
            };
            let label = lines
                .into_iter()
                .map(|text| {
                    let line = Line {
                        text,
                        x: px(m.margin),
                        y: px(ly + lh / 2.0),
                        size: m.label,
                        bold: false,
                    };
                    ly += lh;
                    line
                })
                .collect();
            let marks = if groups.is_empty() {
                let color = match (item.is_net(), item.pinned_last) {
                    (true, _) => BAR_NET,
                    (false, true) => BAR_LAST,
                    (false, false) => BAR,
                };
                vec![self.mark(item, &[], centre, color)]
            } else {
                let first = centre - block_h / 2.0 + self.bar_h / 2.0;
                groups
                    .iter()
                    .enumerate()
                    .filter_map(|(k, g)| {
                        let gi = g.rows().nth(row)?;
                        let c = first + k as f64 * (self.bar_h + mark_gap);
                        let color = group_color(k, groups.len(), g.base_flag.is_some());
                        Some(self.mark(&gi.item, &gi.marks(), c, color))
                    })
                    .collect()
            };
            bars.push(Bar { label, marks });
            at.y += row_h + row_gap;
        }
        Ok(bars)
    }
}

/// A segment comparison (`--by`): the chosen (else the first) segment's groups.
fn drawn_groups<'a>(q: &'a QuestionResult, opts: &ChartOptions) -> Vec<&'a GroupResult> {
    let segment = opts
        .segment()
        .or_else(|| q.by.first().map(|g| g.segment.as_str()));
    match segment {
        Some(s) => q.by.iter().filter(|g| g.segment == s).collect(),
        None => Vec::new(),
    }
}

/// The title of figure `figure` drawn with `opts` (whether or not the chart shows it).
pub(super) fn title(r: &Results, figure: usize, opts: &ChartOptions) -> String {
    figure_title(r, figure, opts, &drawn_groups(&r.questions[figure], opts))
}

/// The title of a figure: its number (with a letter for a further segment's chart) and the
/// question's title, and the segment its groups are of.
fn figure_title(
    r: &Results,
    figure: usize,
    opts: &ChartOptions,
    groups: &[&GroupResult],
) -> String {
    let w = words(r.lang);
    let n = format!("{}{}", figure + 1, opts.suffix());
    let title = &r.questions[figure].title;
    match groups.first() {
        Some(g) => {
            let segment = if g.segment_lowercase {
                let name = g.segment_name();
                let mut c = name.chars();
                c.next()
                    .map(|f| f.to_lowercase().chain(c).collect())
                    .unwrap_or_default()
            } else {
                g.segment_name().to_string()
            };
            w.fill(
                "figure_by",
                &[("n", &n), ("title", title), ("segment", &segment)],
            )
        }
        None => w.fill("figure", &[("n", &n), ("title", title)]),
    }
}

/// The footer's paragraphs: base (per group, flagged), weighting, notes, exclusions, the
/// letters' and whiskers' legends, source.
fn footer_text(
    r: &Results,
    q: &QuestionResult,
    groups: &[&GroupResult],
    opts: &ChartOptions,
) -> Vec<String> {
    let w = words(r.lang);
    let n = |x: u64| w.number(x);
    let mut base_line = w.fill("chart_base", &[("n", &n(q.base.unweighted))]);
    if let Some((low, high)) = q.item_base_range() {
        base_line = w.fill(
            "chart_item_bases",
            &[("line", &base_line), ("low", &n(low)), ("high", &n(high))],
        );
    }
    if !groups.is_empty() {
        let parts: Vec<String> = groups
            .iter()
            .map(|g| {
                let flag = g.base_flag.map(BaseFlag::mark).unwrap_or_default();
                format!("{} {}{flag}", g.letter, n(g.base.unweighted))
            })
            .collect();
        base_line = format!("{base_line} ({})", parts.join(", "));
    }
    if q.weighted {
        base_line = w.fill(
            "chart_weighted",
            &[
                ("line", &base_line),
                ("effective", &n(q.base.effective.round() as u64)),
            ],
        );
    }
    let mut text = vec![base_line];
    if !q.note.is_empty() {
        text.push(q.note.clone());
    }
    let notes = r.exclusion_notes();
    if !notes.is_empty() {
        text.push(w.fill("chart_note", &[("notes", &notes)]));
    }
    if !groups.is_empty() {
        text.push(letters_legend(r));
    }
    if opts.ci {
        text.push(whiskers_legend(r));
    }
    let source = r.survey.source.trim_end_matches('.');
    text.push(if source.is_empty() {
        w.fill("chart_made", &[("version", &r.tool.version)])
    } else {
        w.fill(
            "chart_source",
            &[("source", source), ("version", &r.tool.version)],
        )
    });
    text
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
