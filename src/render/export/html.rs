//! `report.html`: the report as one self-contained page — headline findings, every chart
//! inline as SVG, every table and banner with letters and bases, the notes and the method.
//! No script, no external resource (it works offline and as an e-mail attachment); table
//! headers carry `scope`, charts a text alternative, the page its language; it reflows to a
//! phone's width and prints each figure on one page.

use std::fmt::Write;

use crate::error::Result;
use crate::locale::{words, Words};
use crate::results::{Cell, ItemResult, QuestionResult, Results};
use crate::text::html as esc;

use super::banner::no_group_lines;
use super::legend::{input_line, letters_legend, method_lines};
use super::markdown::ranked_value;
use super::summary::{contrast_rows, headline, segment_stories, Marks};
use super::{base_line, exclusion_line, TextExporter};

/// The page, with each question's charts as drawn for it.
pub struct HtmlReport {
    pub charts: Vec<PageChart>,
}

/// One chart of the page: its title (the page's heading for it; the drawing has none) and
/// its SVG text drawn for a wide screen and for a phone's, of which CSS shows one.
pub struct PageChart {
    pub question: String,
    pub title: String,
    pub wide: String,
    pub narrow: String,
}

const HTML: Marks = Marks {
    esc,
    em: |s| format!("<em>{s}</em>"),
    strong: |s| format!("<strong>{s}</strong>"),
};

const STYLE: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 "Liberation Sans", Arial, Helvetica, sans-serif; color: #1a1a1a; background: #fff; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 16px 48px; }
h1 { font-size: 1.8rem; line-height: 1.25; margin: 0 0 12px; }
h2 { font-size: 1.3rem; line-height: 1.3; margin: 40px 0 8px; }
p, li { overflow-wrap: anywhere; }
.synthetic { background: #fde7d4; color: #7c2d12; padding: 8px 12px; border-radius: 4px; }
figure { margin: 16px 0; }
.chart svg { display: block; width: 100%; height: auto; }
.chart.narrow { display: none; }
figcaption, .note { color: #555; font-size: 0.9rem; }
/* A table wider than the page scrolls: its first column stays, and a shadow on the side
   with more to see says so (it moves with the content; the shadows stay at the edges). */
.scroll { overflow-x: auto; max-width: 100%;
  background: linear-gradient(to right, #fff 30%, rgba(255,255,255,0)) 0 0 / 40px 100% no-repeat local,
    linear-gradient(to left, #fff 30%, rgba(255,255,255,0)) 100% 0 / 40px 100% no-repeat local,
    radial-gradient(farthest-side at 100% 50%, rgba(0,0,0,.25), rgba(0,0,0,0)) 100% 0 / 14px 100% no-repeat scroll; }
.scroll th[scope="row"] { position: sticky; left: 0; background: #fff; }
table { border-collapse: collapse; margin: 12px 0; font-variant-numeric: tabular-nums; }
th, td { white-space: nowrap; padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right; vertical-align: top; }
th[scope="row"], td.label { text-align: left; font-weight: normal; white-space: normal; min-width: 10em; max-width: 22em; }
thead th { border-bottom: 2px solid #999; }
th.answer { text-align: left; }
th.segment { text-align: center; background: #eef2f6; }
tr.base td, tr.base th { font-style: italic; color: #444; }
tr.net th { font-style: italic; }
tr.cell th { padding-left: 1.5em; color: #555; }
tr.cell td { color: #444; }
tr.net.first td, tr.net.first th { border-top: 2px solid #999; }
.marks { color: #1f5f8b; font-weight: bold; }
thead th { white-space: normal; min-width: 4em; }
/* Under 800 px the wide chart's text would be under 12 px: the narrow drawing instead. */
@media (max-width: 800px) {
  .chart.wide { display: none; }
  .chart.narrow { display: block; }
}
@media (max-width: 600px) {
  body { font-size: 15px; }
  h1 { font-size: 1.4rem; }
  th, td { padding: 3px 6px; }
}
@media print {
  @page { size: A4; margin: 14mm; }
  main { max-width: none; padding: 0; }
  section { break-before: page; }
  figure, table, .keep { break-inside: avoid; page-break-inside: avoid; }
  .scroll { overflow: visible; }
  .chart.wide { display: block; }
  .chart.narrow { display: none; }
}
"#;

impl TextExporter for HtmlReport {
    fn text(&self, r: &Results) -> Result<String> {
        let mut out = String::new();
        let lang = esc(r.lang.code());
        writeln!(out, "<!DOCTYPE html>")?;
        writeln!(out, "<html lang=\"{lang}\">")?;
        writeln!(out, "<head>\n<meta charset=\"utf-8\">")?;
        writeln!(
            out,
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        )?;
        // Nothing may be fetched: no script, no frame, no remote image, font or style.
        writeln!(
            out,
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        )?;
        writeln!(out, "<title>{}</title>", esc(&r.survey.title))?;
        writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>\n<main>")?;
        self.headlines(&mut out, r)?;
        for (n, q) in r.questions.iter().enumerate() {
            self.question(&mut out, r, n, q)?;
        }
        contrasts(&mut out, r)?;
        method(&mut out, r)?;
        writeln!(out, "</main>\n</body>\n</html>")?;
        Ok(out)
    }
}

impl HtmlReport {
    fn headlines(&self, out: &mut String, r: &Results) -> Result<()> {
        let w = words(r.lang);
        writeln!(out, "<h1>{}</h1>", esc(&r.survey.title))?;
        if let Some(f) = super::filter_line(r) {
            writeln!(out, "<p class=\"filter\">{}</p>", esc(&f))?;
        }
        if r.survey.synthetic {
            writeln!(
                out,
                "<p class=\"synthetic\">{}</p>",
                w.get("synthetic_html")
            )?;
        }
        writeln!(out, "<h2>{}</h2>\n<ul>", w.get("headline_findings"))?;
        for q in &r.questions {
            if let Some(h) = headline(r, q, &HTML) {
                writeln!(out, "<li>{h}")?;
                let stories = segment_stories(w, q, &HTML);
                if !stories.is_empty() {
                    writeln!(out, "<ul>")?;
                    for s in stories {
                        writeln!(out, "<li>{s}</li>")?;
                    }
                    writeln!(out, "</ul>")?;
                }
                writeln!(out, "</li>")?;
            }
        }
        writeln!(out, "</ul>")?;
        writeln!(out, "<p class=\"note\">{}</p>", esc(&exclusion_line(r)))?;
        Ok(())
    }

    fn question(&self, out: &mut String, r: &Results, n: usize, q: &QuestionResult) -> Result<()> {
        let w = words(r.lang);
        let charts: Vec<&PageChart> = self.charts.iter().filter(|c| c.question == q.id).collect();
        let title = match charts.first() {
            Some(c) => c.title.clone(),
            None => w.fill(
                "figure",
                &[("n", &(n + 1).to_string()), ("title", &q.title)],
            ),
        };
        writeln!(out, "<section id=\"{}\">", esc(&q.id))?;
        writeln!(out, "<h2>{}</h2>", esc(&title))?;
        if charts.is_empty() {
            writeln!(
                out,
                "<p>{}</p>",
                esc(&w.fill("question_text", &[("text", &q.text)]))
            )?;
        }
        // One chart per `--by` segment, each under its own heading (the drawings have none);
        // CSS shows the wide drawing or the phone's.
        for (k, chart) in charts.iter().enumerate() {
            if k > 0 {
                writeln!(out, "<h3>{}</h3>", esc(&chart.title))?;
            }
            let alt = esc(&chart_alt(w, &chart.title, q));
            writeln!(
                out,
                "<figure role=\"img\" aria-label=\"{alt}\" title=\"{alt}\">"
            )?;
            for (class, svg) in [("wide", &chart.wide), ("narrow", &chart.narrow)] {
                writeln!(
                    out,
                    "<div class=\"chart {class}\">\n{}\n</div>",
                    svg_body(svg)
                )?;
            }
            writeln!(out, "</figure>")?;
        }
        if q.by.is_empty() {
            ranked_table(out, r, q)?;
        } else {
            banner_table(out, r, q)?;
        }
        writeln!(out, "<div class=\"note keep\">")?;
        writeln!(out, "<p>{}.</p>", esc(&base_line(w, q)))?;
        for line in no_group_lines(w, q) {
            writeln!(out, "<p>{}</p>", esc(&line))?;
        }
        if let Some(line) = super::cells_line(r).filter(|_| !q.by.is_empty()) {
            writeln!(out, "<p>{}</p>", esc(&line))?;
        }
        if !q.note.is_empty() {
            writeln!(out, "<p>{}</p>", esc(&q.note))?;
        }
        if !q.by.is_empty() {
            writeln!(out, "<p>{}</p>", esc(&letters_legend(r)))?;
        }
        writeln!(out, "</div>\n</section>")?;
        Ok(())
    }
}

/// The chart's text alternative: its title and every bar's share.
fn chart_alt(w: &Words, title: &str, q: &QuestionResult) -> String {
    let bars: Vec<String> = q
        .rows()
        .map(|i| format!("{} {}", super::row_label(w, i), w.percent(i.share, 0)))
        .collect();
    w.fill("bar_chart", &[("title", title), ("bars", &bars.join("; "))])
}

/// The class of table row `k` of [`QuestionResult::rows`]: nets are set apart from items.
fn net_class(q: &QuestionResult, k: usize) -> &'static str {
    match k.checked_sub(q.items.len()) {
        None => "",
        Some(0) => " class=\"net first\"",
        Some(_) => " class=\"net\"",
    }
}

/// The chart's `<svg>` element, without any XML prologue before it.
fn svg_body(svg: &str) -> &str {
    svg.find("<svg").map(|at| &svg[at..]).unwrap_or_default()
}

fn ranked_table(out: &mut String, r: &Results, q: &QuestionResult) -> Result<()> {
    let w = words(r.lang);
    let ranked = q.ranked();
    let cells = r.ranked_cells();
    writeln!(out, "<div class=\"scroll\"><table>\n<thead><tr>")?;
    if ranked {
        writeln!(out, "<th scope=\"col\">{}</th>", w.get("rank"))?;
    }
    write!(
        out,
        "<th scope=\"col\" class=\"answer\">{}</th>",
        w.get("answer")
    )?;
    for &c in &cells {
        let head = match c {
            Cell::Count => w.get("respondents_unweighted").to_string(),
            c => super::cell_name(r, c),
        };
        write!(out, "<th scope=\"col\">{}</th>", esc(&head))?;
    }
    writeln!(out, "</tr></thead>\n<tbody>")?;
    for (k, i) in q.rows().enumerate() {
        write!(out, "<tr{}>", net_class(q, k))?;
        if ranked {
            // A net is ranked among the nets only: no place in the items' rank column.
            match i.is_net() {
                false => write!(out, "<td>{}</td>", i.rank)?,
                true => write!(out, "<td></td>")?,
            }
        }
        write!(
            out,
            "<th scope=\"row\">{}</th>",
            esc(&super::row_label(w, i))
        )?;
        for &c in &cells {
            write!(out, "<td>{}</td>", esc(&ranked_value(w, c, i)))?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody></table></div>")?;
    Ok(())
}

/// One table per segment (so that a banner of several segments fits the page): the total
/// and the segment's groups as columns, each share with its letters, bases in the last row.
fn banner_table(out: &mut String, r: &Results, q: &QuestionResult) -> Result<()> {
    let w = words(r.lang);
    let cells = r.banner_cells();
    for (_, groups) in q.segments() {
        writeln!(
            out,
            "<div class=\"scroll\"><table class=\"banner\">\n<thead>"
        )?;
        write!(
            out,
            "<tr><td rowspan=\"2\"></td><th scope=\"col\" rowspan=\"2\">{}</th>",
            w.get("total")
        )?;
        writeln!(
            out,
            "<th scope=\"colgroup\" colspan=\"{}\" class=\"segment\">{}</th></tr>\n<tr>",
            groups.len(),
            esc(groups[0].segment_name())
        )?;
        for g in &groups {
            write!(
                out,
                "<th scope=\"col\">({}) {}</th>",
                esc(&g.letter),
                esc(&g.label)
            )?;
        }
        writeln!(out, "</tr>\n</thead>\n<tbody>")?;
        for (row, item) in q.rows().enumerate() {
            for (k, &kind) in cells.iter().enumerate() {
                // An item's further cells under it, each named.
                let (class, label) = match k {
                    0 => (net_class(q, row), super::row_label(w, item)),
                    _ => (" class=\"cell\"", super::cell_name(r, kind)),
                };
                write!(
                    out,
                    "<tr{class}><th scope=\"row\">{}</th><td>{}</td>",
                    esc(&label),
                    esc(&banner_value(w, kind, item))
                )?;
                for g in &groups {
                    match g.rows().nth(row) {
                        Some(gi) => {
                            write!(out, "<td>{}", esc(&banner_value(w, kind, &gi.item)))?;
                            let marks = gi.marks().concat();
                            if kind == Cell::Share && !marks.is_empty() {
                                write!(out, " <span class=\"marks\">{}</span>", esc(&marks))?;
                            }
                            write!(out, "</td>")?;
                        }
                        None => write!(out, "<td></td>")?,
                    }
                }
                writeln!(out, "</tr>")?;
            }
        }
        write!(
            out,
            "<tr class=\"base\"><th scope=\"row\">{}</th><td>{}</td>",
            w.get("base"),
            w.number(q.base.unweighted)
        )?;
        for g in &groups {
            let flag = g
                .base_flag
                .map(crate::results::BaseFlag::mark)
                .unwrap_or_default();
            write!(out, "<td>{}{}</td>", w.number(g.base.unweighted), esc(flag))?;
        }
        writeln!(out, "</tr>\n</tbody></table></div>")?;
    }
    Ok(())
}

/// A banner's cell without letters: "72%", "1,204" or "69.4–74.6".
fn banner_value(w: &Words, kind: Cell, i: &ItemResult) -> String {
    match kind {
        Cell::Share => w.percent(i.share, 0),
        kind => ranked_value(w, kind, i),
    }
}

/// Each contrast as one table: the items' shares in its two groups and the adjusted p-value.
fn contrasts(out: &mut String, r: &Results) -> Result<()> {
    let w = words(r.lang);
    for c in &r.contrasts {
        let (Some(a), Some(b)) = (c.groups.first(), c.groups.get(1)) else {
            continue;
        };
        let title = |id: &str| r.question(id).map(|q| q.title.clone()).unwrap_or(id.into());
        writeln!(out, "<section id=\"contrast-{}\">", esc(&c.by))?;
        writeln!(
            out,
            "<h2>{}</h2>",
            esc(&w.fill("contrast_title", &[("title", &title(&c.by))]))
        )?;
        writeln!(
            out,
            "<p>{}</p>",
            esc(&w.fill(
                "contrast_lead",
                &[
                    ("question", &title(&c.question)),
                    ("a", &w.fill("quoted", &[("text", &a.label)])),
                    ("b", &w.fill("quoted", &[("text", &b.label)])),
                ],
            ))
        )?;
        write!(out, "<div class=\"scroll\"><table>\n<thead><tr>")?;
        let head = [
            w.get("answer"),
            &a.label,
            &b.label,
            w.get("difference"),
            w.get("adjusted_p"),
            w.get("significant"),
        ];
        for (k, h) in head.iter().enumerate() {
            let class = if k == 0 { " class=\"answer\"" } else { "" };
            write!(out, "<th scope=\"col\"{class}>{}</th>", esc(h))?;
        }
        writeln!(out, "</tr></thead>\n<tbody>")?;
        for [label, cells @ ..] in contrast_rows(w, c) {
            write!(out, "<tr><th scope=\"row\">{}</th>", esc(&label))?;
            for cell in cells {
                write!(out, "<td>{}</td>", esc(&cell))?;
            }
            writeln!(out, "</tr>")?;
        }
        writeln!(out, "</tbody></table></div>")?;
        if let Some(line) = method_lines(r).get(4) {
            writeln!(out, "<p class=\"note\">{}</p>", esc(line))?;
        }
        writeln!(out, "</section>")?;
    }
    Ok(())
}

fn method(out: &mut String, r: &Results) -> Result<()> {
    let w = words(r.lang);
    writeln!(out, "<section id=\"method\" class=\"keep\">")?;
    writeln!(out, "<h2>{}</h2>\n<ul>", w.get("how_computed"))?;
    for line in method_lines(r) {
        writeln!(out, "<li>{}</li>", esc(&line))?;
    }
    writeln!(out, "</ul>")?;
    writeln!(
        out,
        "<p class=\"note\">{}</p>",
        esc(&input_line(r, &r.input.path))
    )?;
    writeln!(out, "</section>")?;
    Ok(())
}
