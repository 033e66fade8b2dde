//! `report.html` in a real headless Chromium (Debian's `chromium`; `.ci/run` installs it when
//! missing, `CHROMIUM` names another binary): it loads with no console error and no request
//! beyond the file itself, fits 1280 px and 390 px without horizontal overflow, draws every
//! chart (coloured pixels where each figure is), and in print every figure fits one A4 page
//! and is kept whole.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::cdp::{Browser, Tab};
use super::report::report;

fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "{} not found: the browser test needs Chromium (Debian: apt-get install chromium; .ci/run installs it), or CHROMIUM=/path/to/chrome",
        path.display()
    );
    path
}

fn launch() -> Browser {
    Browser::launch(
        &chromium(),
        &[
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1280,900",
        ],
    )
}

/// A device `width` × `height` px (a phone's under 600), on screen or in print.
fn viewport(tab: &Tab, (width, height): (u32, u32), print: bool) {
    tab.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
    );
    tab.call(
        "Emulation.setEmulatedMedia",
        json!({"media": if print { "print" } else { "" }}),
    );
}

/// Page rectangles of every chart shown (each figure has a wide and a narrow drawing, of
/// which CSS shows one): [x, y, width, height].
fn charts(tab: &Tab) -> Vec<[f64; 4]> {
    let v = tab.eval(
        "JSON.stringify([...document.querySelectorAll('figure .chart')] \
           .filter(e => getComputedStyle(e).display !== 'none').map(e => { \
           const r = e.getBoundingClientRect(); \
           return [r.left + scrollX, r.top + scrollY, r.width, r.height]; }))",
    );
    serde_json::from_value(v).unwrap()
}

/// The smallest text of the charts shown, in CSS pixels: each text's font size times its
/// drawing's scale on the page.
fn smallest_chart_text(tab: &Tab) -> f64 {
    let v = tab.eval(
        "JSON.stringify(Math.min(...[...document.querySelectorAll('figure .chart')] \
           .filter(e => getComputedStyle(e).display !== 'none').flatMap(e => { \
             const svg = e.querySelector('svg'); \
             const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width; \
             return [...svg.querySelectorAll('text')].map(t => \
               parseFloat(getComputedStyle(t).fontSize) * scale); })))",
    );
    v.as_f64().unwrap()
}

/// Tables whose content is wider than their box, as [content width, box width].
fn clipped_tables(tab: &Tab) -> Vec<[f64; 2]> {
    let v = tab.eval(
        "JSON.stringify([...document.querySelectorAll('.scroll')] \
           .filter(e => e.scrollWidth > e.clientWidth + 1) \
           .map(e => [e.scrollWidth, e.clientWidth]))",
    );
    serde_json::from_value(v).unwrap()
}

/// Share of pixels of a PNG that are not near-white, and its number of distinct colours.
fn ink(png: &[u8]) -> (f64, usize) {
    let img = image::load_from_memory(png).unwrap().to_rgb8();
    let mut colours = std::collections::HashSet::new();
    let mut inked = 0usize;
    for p in img.pixels() {
        if p.0.iter().any(|&c| c < 235) {
            inked += 1;
        }
        colours.insert(p.0.map(|c| c / 32));
    }
    (
        inked as f64 / (img.width() * img.height()) as f64,
        colours.len(),
    )
}

/// Checks the page; returns its printed pages and its sections.
fn check_page(browser: &Browser, html: &Path, title: &str) -> (usize, usize) {
    // One chart per question and segment, as the report's SVG files.
    let svgs = std::fs::read_dir(html.parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "svg")
        })
        .count();
    let tab = browser.new_tab();
    tab.call("Log.enable", json!({}));
    tab.call("Runtime.enable", json!({}));
    tab.call("Network.enable", json!({}));
    // The page's own Content-Security-Policy would block a stray request silently: bypass
    // it, so that anything the page asks for shows up here.
    tab.call("Page.setBypassCSP", json!({"enabled": true}));
    let url = format!("file://{}", html.display());
    tab.navigate(&url);
    assert_eq!(tab.eval("JSON.stringify(document.title)"), json!(title));
    let figures = tab.eval("JSON.stringify(document.querySelectorAll('section').length)");
    let lang = tab.eval("JSON.stringify(document.documentElement.lang)");
    assert_eq!(lang, "en");

    for width in [1280u32, 390] {
        viewport(&tab, (width, 900), false);
        // Against the device's width: a mobile browser would widen its layout viewport.
        let overflow = tab.eval(&format!(
            "JSON.stringify(document.documentElement.scrollWidth - {width})"
        ));
        assert!(
            overflow.as_f64().unwrap() <= 0.0,
            "{width} px: {overflow} px of horizontal overflow"
        );
        let rects = charts(&tab);
        assert_eq!(rects.len(), svgs, "{width} px: every chart of the report");
        let smallest = smallest_chart_text(&tab);
        assert!(
            smallest >= 12.0,
            "{width} px: chart text as small as {smallest:.1} px"
        );
        let clipped = clipped_tables(&tab);
        if width >= 1280 {
            assert!(clipped.is_empty(), "{width} px: tables cut off {clipped:?}");
        } else if !clipped.is_empty() {
            // On a phone a wide table scrolls: its row labels stay in view.
            let sticky = tab.eval(
                "JSON.stringify([...document.querySelectorAll('.scroll th[scope=row]')] \
                   .every(e => getComputedStyle(e).position === 'sticky'))",
            );
            assert_eq!(sticky, json!(true), "{width} px: row labels scroll away");
        }
        for [x, y, w, h] in rects {
            assert!(
                w > 300.0 && x + w <= width as f64 + 0.5,
                "{width} px: chart {w} wide at {x}"
            );
            let png = tab.data(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "clip": {"x": x, "y": y, "width": w, "height": h, "scale": 1},
                    "fromSurface": true,
                    "captureBeyondViewport": true,
                }),
            );
            let (share, colours) = ink(&png);
            assert!(
                share > 0.05 && colours >= 4,
                "{width} px: chart at y {y} looks blank ({share:.3} inked, {colours} colours)"
            );
        }
    }

    // Print: A4 with 14 mm margins is 182 × 269 mm, 688 × 1017 CSS px.
    viewport(&tab, (688, 900), true);
    let kept = tab.eval(
        "JSON.stringify([...document.querySelectorAll('figure')].map(f => [getComputedStyle(f).breakInside, f.getBoundingClientRect().height]))",
    );
    let kept: Vec<(String, f64)> = serde_json::from_value(kept).unwrap();
    assert_eq!(kept.len(), svgs);
    for (rule, height) in kept {
        assert_eq!(rule, "avoid", "a figure may not break across pages");
        assert!(
            height < 1017.0,
            "a printed figure is {height} px, more than a page"
        );
    }
    // As a browser's print dialog: no device emulation, the style sheet's page size (A4).
    tab.call("Emulation.clearDeviceMetricsOverride", json!({}));
    let pdf = tab.data("Page.printToPDF", json!({"preferCSSPageSize": true}));
    assert!(pdf.starts_with(b"%PDF") && pdf.len() > 10_000);
    // Page objects of the printout (Chromium writes them as plain dictionaries).
    let pages = pdf
        .windows(12)
        .filter(|w| w.starts_with(b"/Type /Page") && w[11] != b's')
        .count();

    // Everything the page logged or asked for on the way.
    let mut problems = Vec::new();
    let mut requests = Vec::new();
    for e in tab.events() {
        let p = &e["params"];
        match e["method"].as_str().unwrap_or_default() {
            "Runtime.consoleAPICalled" => problems.push(format!("console {}", p["type"])),
            "Runtime.exceptionThrown" => {
                problems.push(format!("exception {}", p["exceptionDetails"]["text"]))
            }
            "Log.entryAdded" => problems.push(format!(
                "log {}: {}",
                p["entry"]["level"], p["entry"]["text"]
            )),
            "Network.requestWillBeSent" => {
                requests.push(p["request"]["url"].as_str().unwrap_or_default().to_string())
            }
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{problems:?}");
    assert!(
        requests.iter().all(|u| u == &url),
        "the page asked for more than itself: {requests:?}"
    );
    assert_eq!(
        requests.len(),
        1,
        "the page itself was requested and seen: {requests:?}"
    );
    let sections = figures.as_u64().unwrap() as usize;
    assert!(sections >= 3);
    assert!(
        pages > sections,
        "every section starts a page: {pages} pages"
    );
    (pages, sections)
}

#[test]
fn the_html_report_works_offline_on_a_desktop_a_phone_and_paper() {
    let dir = tempfile::tempdir().unwrap();
    let browser = launch();
    for (name, extra) in [
        ("plain", vec![]),
        ("banners", vec!["--by", "generation", "--by", "gender"]),
    ] {
        let out = dir.path().join(name);
        let o = report(&out, &extra);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (pages, sections) = check_page(
            &browser,
            &out.join("report.html"),
            "Customers' top concerns about the use of AI in customer service",
        );
        if name == "plain" {
            // The headlines, then one page per section: each figure with its table whole.
            assert_eq!(pages, sections + 1, "{name}");
        }
    }
    // A small survey of its own: three age groups, each under 100 respondents.
    let out = dir.path().join("streaming");
    let o = super::concerns()
        .args([
            "report",
            "tests/fixtures/streaming/streaming.csv",
            "--codebook",
            "tests/fixtures/streaming/streaming.toml",
            "--by",
            "age",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    check_page(&browser, &out.join("report.html"), "Streaming services");
}

/// Right edge of the ink in each band of rows (a band per text line of the header and
/// footer), as a share of the width.
fn ink_edges(png: &[u8], bands: &[(f64, f64)]) -> Vec<f64> {
    let img = image::load_from_memory(png).unwrap().to_rgb8();
    let (w, h) = (img.width(), img.height());
    bands
        .iter()
        .map(|&(top, bottom)| {
            let mut right = 0;
            for y in (top * h as f64) as u32..(bottom * h as f64) as u32 {
                for x in 0..w {
                    if img.get_pixel(x, y).0.iter().any(|&c| c < 160) {
                        right = right.max(x);
                    }
                }
            }
            right as f64 / w as f64
        })
        .collect()
}

#[test]
fn the_svg_draws_its_text_as_the_png_does() {
    let dir = tempfile::tempdir().unwrap();
    let o = report(dir.path(), &[]);
    assert!(o.status.success());
    let png = std::fs::read(dir.path().join("figure1.png")).unwrap();
    let size = image::load_from_memory(&png).unwrap();
    let (w, h) = (size.width(), size.height());
    let browser = launch();
    let tab = browser.new_tab();
    viewport(&tab, (w, h), false);
    let url = format!("file://{}", dir.path().join("figure1.svg").display());
    tab.navigate(&url);
    let shot = tab.data(
        "Page.captureScreenshot",
        json!({"format": "png", "fromSurface": true}),
    );
    // The title's lines and the footer's: where each text ends, in both renderings.
    let bands = [(0.03, 0.17), (0.80, 0.97)];
    let (svg, raster) = (ink_edges(&shot, &bands), ink_edges(&png, &bands));
    for (a, b) in svg.iter().zip(&raster) {
        assert!(
            (a - b).abs() < 0.015,
            "text ends at {a:.3} in the SVG, {b:.3} in the PNG"
        );
    }
}

#[test]
fn the_html_report_is_inert_and_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    let o = report(dir.path(), &["--by", "generation"]);
    assert!(o.status.success());
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    for banned in [
        "<script",
        "<link",
        "<iframe",
        "src=\"http",
        "href=\"http",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(banned), "{banned}");
    }
    assert!(html.contains("<html lang=\"en\">"));
    assert_eq!(
        html.matches("<svg").count(),
        6,
        "every chart inline, wide and narrow"
    );
    // One title per figure: the page's heading, not the drawing too.
    assert_eq!(html.matches("<h2>Figure 1. ").count(), 1);
    for svg in html.split("<svg").skip(1) {
        let drawing = svg.split("</svg>").next().unwrap();
        assert!(
            !drawing.contains("Figure"),
            "a chart on the page has a title"
        );
    }
    assert!(
        html.contains("scope=\"col\"")
            && html.contains("scope=\"row\"")
            && html.contains("scope=\"colgroup\"")
    );
    assert!(html.contains("<figure role=\"img\" aria-label=\"Bar chart: Figure 1."));
}
