//! Charts in the style of Figure 1: ranked horizontal bars with the percentage at each bar's
//! end, title, question, base, exclusion note and a synthetic-data tag. Drawn with plotters
//! from `Results` only, with fonts embedded in the binary so every machine renders the same.

mod layout;

use std::sync::Once;

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle, RGBColor};

use crate::results::Results;
use layout::{Layout, Line};

/// One family name for layout and for SVG: metric-compatible fallbacks for viewers
/// without Liberation Sans.
pub(crate) const FAMILY: &str = "Liberation Sans, Arial, Helvetica, sans-serif";
static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/LiberationSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../../assets/fonts/LiberationSans-Bold.ttf");

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The fonts are compiled in; a unit test proves they parse.
        let _ = register_font(FAMILY, FontStyle::Normal, REGULAR);
        let _ = register_font(FAMILY, FontStyle::Bold, BOLD);
    });
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartFormat {
    Svg,
    Png,
}

impl ChartFormat {
    /// From a file name's extension.
    pub fn from_path(path: &std::path::Path) -> Option<ChartFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "svg" => Some(ChartFormat::Svg),
            "png" => Some(ChartFormat::Png),
            _ => None,
        }
    }

    pub(crate) fn extension(self) -> &'static str {
        match self {
            ChartFormat::Svg => "svg",
            ChartFormat::Png => "png",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChartOptions {
    /// Draw the confidence intervals as whiskers.
    ci: bool,
    /// Size multiplier; 1 gives a 1600 px wide PNG.
    scale: f64,
    /// The `--by` segment whose groups are drawn (the first when `None`).
    segment: Option<String>,
    /// The letter after the figure's number of a further chart of one question ("b" for
    /// its second segment): every chart has a title of its own.
    suffix: String,
    /// Half as wide, labels above their bars: for a phone's screen.
    narrow: bool,
    /// Without the title, for a page whose heading already says it.
    untitled: bool,
}

impl ChartOptions {
    /// Options with whiskers or not, at `scale` (0.25 to 8).
    pub fn new(ci: bool, scale: f64) -> Result<ChartOptions> {
        if !(scale.is_finite() && (0.25..=8.0).contains(&scale)) {
            return Err(Error::Usage(format!(
                "--scale must be between 0.25 and 8, got {scale}"
            )));
        }
        Ok(ChartOptions {
            ci,
            scale,
            segment: None,
            suffix: String::new(),
            narrow: false,
            untitled: false,
        })
    }

    /// The same options drawing the groups of `segment`, the figure numbered with
    /// `suffix` after its number.
    pub(crate) fn with_segment(&self, segment: &str, suffix: &str) -> ChartOptions {
        ChartOptions {
            segment: Some(segment.to_string()),
            suffix: suffix.to_string(),
            ..self.clone()
        }
    }

    /// The same options for a page: without the title (the page's heading has it), wide
    /// or narrow (a phone's screen).
    pub(crate) fn for_page(&self, narrow: bool) -> ChartOptions {
        ChartOptions {
            narrow,
            untitled: true,
            ..self.clone()
        }
    }

    pub(crate) fn suffix(&self) -> &str {
        &self.suffix
    }

    pub(crate) fn narrow(&self) -> bool {
        self.narrow
    }

    pub(crate) fn untitled(&self) -> bool {
        self.untitled
    }

    pub(crate) fn segment(&self) -> Option<&str> {
        self.segment.as_deref()
    }
}

impl Default for ChartOptions {
    fn default() -> Self {
        ChartOptions {
            ci: false,
            scale: 1.0,
            suffix: String::new(),
            narrow: false,
            untitled: false,
            segment: None,
        }
    }
}

pub(crate) const BASE_WIDTH: u32 = 1600;

const INK: RGBColor = RGBColor(0x1a, 0x1a, 0x1a);
const MUTED: RGBColor = RGBColor(0x55, 0x5b, 0x63);
pub(crate) const BAR: RGBColor = RGBColor(0x1f, 0x5f, 0x8b);
pub(crate) const BAR_LAST: RGBColor = RGBColor(0x9a, 0xa5, 0xb1);
/// Nets: another hue than the items' bars, so a net is never read as one more item.
pub(crate) const BAR_NET: RGBColor = RGBColor(0x7a, 0x4e, 0x8c);
/// Groups of a segment, in the segment's order: one sequential hue light to dark
/// (ColorBrewer Blues), so ordered groups such as generations read as a scale, nothing is
/// told apart by hue alone (colour-blind safe) and it prints in greyscale.
const GROUP_COLORS: [RGBColor; 6] = [
    RGBColor(0x9e, 0xca, 0xe1),
    RGBColor(0x6b, 0xae, 0xd6),
    RGBColor(0x42, 0x92, 0xc6),
    RGBColor(0x21, 0x71, 0xb5),
    RGBColor(0x08, 0x51, 0x9c),
    RGBColor(0x08, 0x30, 0x6b),
];

/// Drawn under each whisker so it stays visible on dark bars.
const HALO: RGBColor = RGBColor(0xff, 0xff, 0xff);

/// The colour of group `k` of `n` (spread over the palette); `flagged`: a low base, drawn
/// in a lighter tint of the group's own colour, so that it is still told apart from the
/// others (the legend and the base line mark it with `*` too).
pub(crate) fn group_color(k: usize, n: usize, flagged: bool) -> RGBColor {
    let last = GROUP_COLORS.len() - 1;
    let at = match n {
        0 | 1 => last - 1,
        n if n <= GROUP_COLORS.len() => k * last / (n - 1),
        _ => k % GROUP_COLORS.len(),
    };
    let c = GROUP_COLORS[at.min(last)];
    if !flagged {
        return c;
    }
    // Half way to white.
    let tint = |x: u8| (x as u16 + (255 - x as u16) / 2) as u8;
    RGBColor(tint(c.0), tint(c.1), tint(c.2))
}
const RULE: RGBColor = RGBColor(0xc8, 0xcd, 0xd3);
const TAG: RGBColor = RGBColor(0xfc, 0xe8, 0xd2);
const TAG_INK: RGBColor = RGBColor(0x8a, 0x3b, 0x00);
const WHISKER: RGBColor = RGBColor(0x11, 0x11, 0x11);

/// Renders the chart of `question` ("concerns", "switch_intent", …) as SVG or PNG bytes.
pub fn render(
    results: &Results,
    question: &str,
    opts: &ChartOptions,
    format: ChartFormat,
) -> Result<Vec<u8>> {
    register_fonts();
    let figure = results
        .questions
        .iter()
        .position(|q| q.id == question)
        .ok_or_else(|| Error::Usage(format!("no question '{question}' in the results")))?;
    let layout = Layout::new(results, figure, opts)?;
    // Drawing never ends the process: a panic in a drawing library is an error.
    crate::error::no_panic(
        || Error::Output(format!("drawing the chart of '{question}' failed")),
        || draw_format(&layout, format),
    )
}

/// The title of the chart of `question` drawn with `opts`: "Figure 1b. …, by age".
pub(crate) fn title(results: &Results, question: &str, opts: &ChartOptions) -> Result<String> {
    let figure = results
        .questions
        .iter()
        .position(|q| q.id == question)
        .ok_or_else(|| Error::Usage(format!("no question '{question}' in the results")))?;
    Ok(layout::title(results, figure, opts))
}

fn draw_format(layout: &Layout, format: ChartFormat) -> Result<Vec<u8>> {
    let (w, h) = (layout.width, layout.height);
    match format {
        ChartFormat::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
                draw(&root, layout, TextMode::Svg)?;
                root.present()
                    .map_err(|e| Error::Output(format!("drawing the SVG: {e:?}")))?;
            }
            Ok(svg.into_bytes())
        }
        ChartFormat::Png => {
            let mut pixels = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
                draw(&root, layout, TextMode::Raster)?;
                root.present()
                    .map_err(|e| Error::Output(format!("drawing the PNG: {e:?}")))?;
            }
            encode_png(&pixels, w, h)
        }
    }
}

/// Printed width the PNG declares (pHYs): 16 cm, a page's text width, whatever the scale,
/// so Word and PowerPoint place it at a sensible size.
const PRINT_WIDTH_M: f64 = 0.16;

fn encode_png(pixels: &[u8], w: u32, h: u32) -> Result<Vec<u8>> {
    let fail = |e: png::EncodingError| Error::Output(format!("encoding the PNG: {e}"));
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let ppm = (w as f64 / PRINT_WIDTH_M).round() as u32;
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: ppm,
            yppu: ppm,
            unit: png::Unit::Meter,
        }));
        let mut writer = encoder.write_header().map_err(fail)?;
        writer.write_image_data(pixels).map_err(fail)?;
        writer.finish().map_err(fail)?;
    }
    Ok(out)
}

/// How text reaches the image.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TextMode {
    /// SVG `<text>` elements: searchable, accessible.
    Svg,
    /// Glyphs rasterised here with their side bearings and kerning (plotters' own bitmap
    /// text drops the bearings, which spaces letters unevenly).
    Raster,
}

/// ab_glyph scales a font by its height (ascent − descent); CSS and SVG `font-size` is the
/// em. The scale whose em is `size` px, so the PNG's text is the SVG's declared size.
pub(crate) fn em_scale(font: &impl ab_glyph::Font, size: f64) -> ab_glyph::PxScale {
    let em = font.units_per_em().unwrap_or(2048.0);
    ab_glyph::PxScale::from(size as f32 * font.height_unscaled() / em)
}

pub(crate) fn font_bytes(bold: bool) -> &'static [u8] {
    if bold {
        BOLD
    } else {
        REGULAR
    }
}

/// Draws `l` glyph by glyph: anti-aliased coverage blended over the background, with the
/// capitals centred on `l.y`.
fn raster_text<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Line,
    color: RGBColor,
) -> Result<()> {
    use ab_glyph::{point, Font, FontRef, ScaleFont};
    let font = FontRef::try_from_slice(font_bytes(l.bold))
        .map_err(|e| Error::Output(format!("embedded font: {e}")))?;
    let scale = em_scale(&font, l.size);
    let scaled = font.as_scaled(scale);
    let baseline = l.y as f32 + scaled.ascent() * CAP_TO_ASCENT / 2.0;
    let mut caret = l.x as f32;
    let mut previous = None;
    for c in l.text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            caret += scaled.kern(p, id);
        }
        previous = Some(id);
        let glyph = id.with_scale_and_position(scale, point(caret, baseline));
        caret += scaled.h_advance(id);
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            let mut result = Ok(());
            outline.draw(|gx, gy, coverage| {
                if result.is_ok() && coverage > 0.0 {
                    let at = (
                        bounds.min.x as i32 + gx as i32,
                        bounds.min.y as i32 + gy as i32,
                    );
                    result = root.draw_pixel(at, &color.mix(coverage.min(1.0) as f64));
                }
            });
            result.map_err(|e| Error::Output(format!("drawing text: {e:?}")))?;
        }
    }
    Ok(())
}

/// Cap height over ascent for Liberation Sans (1409 / 1854 font units).
const CAP_TO_ASCENT: f32 = 0.76;

fn drawing_error<E: std::fmt::Debug>(e: E) -> Error {
    Error::Output(format!("drawing the chart: {e:?}"))
}

/// Text as SVG `<text>` (the viewer renders it with the embedded font's family).
fn svg_text<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Line,
    color: RGBColor,
) -> Result<()> {
    let style = if l.bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    // plotters' SVG backend writes font-size as size / 1.24: undo it, so the declared size
    // is the em the layout measured and the PNG drew.
    let font = FontDesc::new(FontFamily::Name(FAMILY), l.size * SVG_FONT_SHRINK, style)
        .color(&color)
        .pos(Pos::new(HPos::Left, VPos::Center));
    // plotters puts the baseline 0.5ex below the anchor; lower it to centre capitals.
    let y = l.y + (0.08 * l.size).round() as i32;
    root.draw(&plotters::element::Text::new(
        l.text.clone(),
        (l.x, y),
        font,
    ))
    .map_err(drawing_error)
}

/// What plotters-svg divides a font size by.
const SVG_FONT_SHRINK: f64 = 1.24;

/// One bar and its whisker.
fn draw_mark<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, m: &layout::Mark) -> Result<()> {
    if m.rect.1 .0 > m.rect.0 .0 {
        root.draw(&Rectangle::new([m.rect.0, m.rect.1], m.color.filled()))
            .map_err(drawing_error)?;
    }
    if let Some(w) = &m.whisker {
        let halo = HALO.stroke_width(w.stroke + 2 * (w.stroke / 2).max(1));
        for (a, b) in [
            ((w.x0, w.y), (w.x1, w.y)),
            ((w.x0, w.y - w.cap), (w.x0, w.y + w.cap)),
            ((w.x1, w.y - w.cap), (w.x1, w.y + w.cap)),
        ] {
            root.draw(&PathElement::new(vec![a, b], halo))
                .map_err(drawing_error)?;
        }
        let style = WHISKER.stroke_width(w.stroke);
        root.draw(&PathElement::new(vec![(w.x0, w.y), (w.x1, w.y)], style))
            .map_err(drawing_error)?;
        for x in [w.x0, w.x1] {
            root.draw(&PathElement::new(
                vec![(x, w.y - w.cap), (x, w.y + w.cap)],
                style,
            ))
            .map_err(drawing_error)?;
        }
    }
    Ok(())
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    l: &Layout,
    text: TextMode,
) -> Result<()> {
    let err = drawing_error::<DrawingAreaErrorKind<DB::ErrorType>>;
    root.fill(&WHITE).map_err(err)?;
    let line = |l: &Line, color: RGBColor| -> Result<()> {
        match text {
            TextMode::Raster => raster_text(root, l, color),
            TextMode::Svg => svg_text(root, l, color),
        }
    };
    for t in &l.title {
        line(t, INK)?;
    }
    if let Some(tag) = &l.tag {
        root.draw(&Rectangle::new([tag.rect.0, tag.rect.1], TAG.filled()))
            .map_err(err)?;
        line(&tag.text, TAG_INK)?;
    }
    for t in &l.question {
        line(t, MUTED)?;
    }
    for &(y, x0, x1) in &l.rules {
        root.draw(&PathElement::new(
            vec![(x0, y), (x1, y)],
            RULE.stroke_width(l.rule_width),
        ))
        .map_err(err)?;
    }
    for key in &l.legend {
        root.draw(&Rectangle::new(
            [key.rect.0, key.rect.1],
            key.color.filled(),
        ))
        .map_err(err)?;
        line(&key.text, INK)?;
    }
    for bar in &l.bars {
        for t in &bar.label {
            line(t, INK)?;
        }
        for m in &bar.marks {
            draw_mark(root, m)?;
            line(&m.value, INK)?;
        }
    }
    for t in &l.footer {
        line(t, MUTED)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_fonts_parse_and_cover_cyrillic() {
        use ab_glyph::Font;
        for bytes in [REGULAR, BOLD] {
            let font = ab_glyph::FontRef::try_from_slice(bytes).expect("font parses");
            for c in "Затруднится доступ ИИ Другое % n = 5,140"
                .chars()
                .filter(|c| !c.is_whitespace())
            {
                assert_ne!(font.glyph_id(c).0, 0, "no glyph for {c:?}");
            }
        }
    }

    #[test]
    fn format_follows_the_extension() {
        use std::path::Path;
        assert_eq!(
            ChartFormat::from_path(Path::new("a/fig.SVG")),
            Some(ChartFormat::Svg)
        );
        assert_eq!(
            ChartFormat::from_path(Path::new("fig.png")),
            Some(ChartFormat::Png)
        );
        assert_eq!(ChartFormat::from_path(Path::new("fig.jpg")), None);
        assert_eq!(ChartFormat::from_path(Path::new("fig")), None);
    }
}
