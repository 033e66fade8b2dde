//! `concerns report` and `concerns chart`: files, determinism, atomicity, `--check`.

use std::path::Path;

use super::{concerns, run, succeeded, DATA};

const FILES: [&str; 10] = [
    "banners.xlsx",
    "figure1.svg",
    "figure1.png",
    "figure2_switch_intent.svg",
    "figure2_switch_intent.png",
    "figure3_prefer_no_ai.svg",
    "figure3_prefer_no_ai.png",
    "report.html",
    "summary.json",
    "summary.md",
];

pub(crate) fn report(out: &Path, extra: &[&str]) -> std::process::Output {
    concerns()
        .args(["report", DATA, "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// The files (not directories) of `dir` with their bytes.
pub(crate) fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let e = e.unwrap();
            e.path().is_file().then(|| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
        })
        .collect();
    files.sort();
    files
}

/// Every text element of an SVG, unescaped, in document order.
pub(crate) fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|part| {
            let start = part.find('>')? + 1;
            let end = part.find("</text>")?;
            Some(
                part[start..end]
                    .trim()
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&apos;", "'")
                    .replace("&#39;", "'")
                    .replace("&amp;", "&"),
            )
        })
        .collect()
}

#[test]
fn report_writes_every_file_and_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = report(dir.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: Vec<String> = snapshot(dir.path()).into_iter().map(|(n, _)| n).collect();
    // The files, and the manifest that says which files the next run may replace.
    let mut expected: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
    expected.push(".concerns-manifest".into());
    expected.sort();
    assert_eq!(names, expected, "exactly the report files, no temporaries");
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("Base: 5,140 respondents"));

    // summary.json is identical to `table --format json`, and is what the schema says.
    let table = run(&["table", DATA, "--format", "json"]).stdout;
    super::results_json(&table);
    assert_eq!(
        std::fs::read(dir.path().join("summary.json")).unwrap(),
        table
    );

    // PNGs decode at print size.
    for name in FILES.iter().filter(|n| n.ends_with(".png")) {
        let img = image::open(dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(img.width(), 1600, "{name}");
        assert!(img.height() > 400, "{name}");
    }

    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("**60%** of customers who know what AI is worry that *it will be harder to reach a human agent*"), "{md}");
    assert!(md.contains("*AI will take people's jobs* (46%)"));
    assert!(md.contains("**53%**") && md.contains("**64%**"));
    assert!(md.contains("![Figure 1. "));
    assert!(md.contains("(figure1.svg)"));
    assert!(md.contains("Synthetic data calibrated to published figures"));
    assert!(md.contains("5,728 respondents surveyed, 588 excluded, 5,140 kept"));
    assert!(md.contains("svymean"));
}

#[test]
fn figure1_svg_holds_every_label_and_percentage_in_rank_order() {
    let dir = tempfile::tempdir().unwrap();
    assert!(report(dir.path(), &[]).status.success());
    let svg = std::fs::read_to_string(dir.path().join("figure1.svg")).unwrap();
    let texts = svg_texts(&svg);
    let all = texts.join(" ");
    let labels = [
        "It will be harder to reach a human agent",
        "AI will take people's jobs",
        "AI will give wrong answers",
        "My data will be less secure",
        "AI bias will make service unequal",
        "Other",
    ];
    let mut last = 0;
    for label in labels {
        let at = all
            .find(label)
            .unwrap_or_else(|| panic!("{label} missing from {all}"));
        assert!(at >= last, "{label} out of rank order");
        last = at;
    }
    for pct in ["60%", "46%", "42%", "34%", "25%", "5%"] {
        assert!(texts.iter().any(|t| t == pct), "{pct} missing");
    }
    for needed in [
        "n = 5,140",
        "Synthetic data calibrated to published figures",
        "What are your top concerns about the use of AI in customer service?",
        "don't know what AI technology is",
        "Figure 1.",
    ] {
        assert!(all.contains(needed), "{needed} missing");
    }
    assert!(
        svg.contains("font-family=\"Liberation Sans"),
        "text stays text, in the embedded family"
    );
}

#[test]
fn russian_chart_follows_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let svg_path = dir.path().join("fig.svg");
    succeeded(
        concerns()
            .args(["chart", DATA, "--lang", "ru", "-o"])
            .arg(&svg_path),
    );
    let all = svg_texts(&std::fs::read_to_string(&svg_path).unwrap()).join(" ");
    for needed in [
        "Затруднится доступ к сотрудникам службы поддержки",
        "ИИ заменит людей на этой работе",
        "Другое",
        // One number style per language: the tables' "5 140" (no-break space).
        "База респондентов: 5\u{a0}140 человек",
        "Каковы Ваши главные опасения по поводу использования ИИ в клиентском обслуживании?",
        "Респонденты, ответившие, что не знают, что такое технология ИИ, исключены из результатов.",
        "Рис. 1.",
    ] {
        assert!(all.contains(needed), "{needed} missing from {all}");
    }
    let png_path = dir.path().join("fig.png");
    let out = concerns()
        .args(["chart", DATA, "--lang", "ru", "--scale", "1.5", "-o"])
        .arg(&png_path)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(image::open(&png_path).unwrap().width(), 2400);
}

#[test]
fn ci_whiskers_add_marks_and_a_legend_line() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.svg");
    let ci = dir.path().join("ci.svg");
    assert!(concerns()
        .args(["chart", DATA, "-o"])
        .arg(&plain)
        .output()
        .unwrap()
        .status
        .success());
    assert!(concerns()
        .args(["chart", DATA, "--ci", "-o"])
        .arg(&ci)
        .output()
        .unwrap()
        .status
        .success());
    let (plain, ci) = (
        std::fs::read_to_string(plain).unwrap(),
        std::fs::read_to_string(ci).unwrap(),
    );
    // Three strokes per whisker (line and two caps) for six items and two nets, each over a
    // white halo so it shows on dark bars.
    assert_eq!(
        ci.matches("<polyline").count(),
        plain.matches("<polyline").count() + 2 * 24
    );
    assert_eq!(ci.matches("stroke=\"#FFFFFF\"").count(), 24, "halos");
    assert!(ci.contains("95% Wilson confidence intervals"));
}

#[test]
fn two_runs_give_byte_identical_reports() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    assert!(report(a.path(), &["--ci"]).status.success());
    assert!(report(b.path(), &["--ci"]).status.success());
    assert_eq!(snapshot(a.path()), snapshot(b.path()));
}

#[test]
fn a_failed_run_leaves_the_previous_report_alone() {
    let dir = tempfile::tempdir().unwrap();
    assert!(report(dir.path(), &[]).status.success());
    let before = snapshot(dir.path());
    let bad = dir.path().join("../bad-input.csv");
    let text = std::fs::read_to_string(super::root().join(DATA))
        .unwrap()
        .replacen(",1,0,0,0,", ",1,9,0,0,", 1);
    std::fs::write(&bad, text).unwrap();
    let out = concerns()
        .args(["report"])
        .arg(&bad)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    std::fs::remove_file(&bad).ok();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        snapshot(dir.path()),
        before,
        "no file changed, no temporaries left"
    );

    // A file that cannot be replaced stops the run before anything is renamed.
    let blocker = dir.path().join("summary.md");
    std::fs::remove_file(&blocker).unwrap();
    std::fs::create_dir(&blocker).unwrap();
    let before = snapshot(dir.path());
    let out = report(dir.path(), &["--ci"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("summary.md"));
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn check_names_stale_files_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = report(dir.path(), &["--check"]);
    assert_eq!(out.status.code(), Some(3), "missing files are stale");
    assert!(snapshot(dir.path()).is_empty(), "--check writes nothing");
    assert!(String::from_utf8_lossy(&out.stderr).contains("figure1.png"));

    assert!(report(dir.path(), &[]).status.success());
    let out = report(dir.path(), &["--check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Different data: every number-bearing file is stale.
    let other = dir.path().join("../other-data.csv");
    assert!(concerns()
        .args(["simulate", "--seed", "99", "-o"])
        .arg(&other)
        .output()
        .unwrap()
        .status
        .success());
    let before = snapshot(dir.path());
    let out = concerns()
        .args(["report"])
        .arg(&other)
        .args(["--check", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    std::fs::remove_file(&other).ok();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for name in ["summary.json", "summary.md", "figure1.svg"] {
        assert!(stderr.contains(name), "{name} not named: {stderr}");
    }
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn committed_reports_are_current() {
    let out = report(&super::root().join("reports"), &["--check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "reports/ is stale: run `cargo run --release -- report {DATA}`\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn chart_usage_errors_exit_2() {
    let out = run(&["chart", DATA, "-o", "fig.jpg"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".svg or .png"));
    let out = run(&["chart", DATA, "--question", "nope", "-o", "fig.svg"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!super::root().join("fig.svg").exists());
}

#[test]
fn each_further_segment_gets_its_own_chart_and_chart_refuses_two() {
    let dir = tempfile::tempdir().unwrap();
    let o = report(dir.path(), &["--by", "generation", "--by", "gender"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = std::fs::read_to_string(dir.path().join("figure1_by_gender.svg")).unwrap();
    assert!(svg.contains("(C) Another gender") && !svg.contains("Gen Z"));
    let first = std::fs::read_to_string(dir.path().join("figure1.svg")).unwrap();
    assert!(first.contains("Gen Z") && !first.contains("Another gender"));
    for name in [
        "figure2_switch_intent_by_gender.png",
        "figure3_prefer_no_ai_by_gender.svg",
    ] {
        assert!(dir.path().join(name).exists(), "{name}");
    }
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("](figure1_by_gender.svg)"));
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    // Three questions by two segments, each drawn wide and narrow; one heading each.
    assert_eq!(html.matches("<svg").count(), 12);
    assert!(html.contains("<h3>Figure 1b. "));
    // A chart is one image: two segments are a usage error, never one silently dropped.
    let out = dir.path().join("x.png");
    let o = run(&[
        "chart",
        DATA,
        "--by",
        "generation",
        "--by",
        "gender",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("a chart draws one segment"));
    assert!(!out.exists());
}

#[test]
fn pngs_declare_a_print_size() {
    let dir = tempfile::tempdir().unwrap();
    for scale in ["1", "2"] {
        let out = dir.path().join(format!("f{scale}.png"));
        let o = run(&["chart", DATA, "--scale", scale, "-o", out.to_str().unwrap()]);
        assert!(o.status.success());
        let png = std::fs::read(&out).unwrap();
        let at = png
            .windows(4)
            .position(|w| w == b"pHYs")
            .expect("a pHYs chunk");
        let word = |k: usize| u32::from_be_bytes(png[at + 4 + k..at + 8 + k].try_into().unwrap());
        let (x, y, unit) = (word(0), word(4), png[at + 12]);
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert_eq!((x, y, unit), (x, x, 1), "square pixels, per metre");
        // 16 cm wide whatever the scale.
        let cm = width as f64 / x as f64 * 100.0;
        assert!((cm - 16.0).abs() < 0.01, "{cm} cm");
    }
}

#[test]
fn legends_name_the_test_and_the_interval_that_were_used() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("f.svg");
    let o = run(&[
        "chart",
        DATA,
        "--by",
        "generation",
        "--ci",
        "--test",
        "wald",
        "--interval",
        "beta",
        "-o",
        svg.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    // The chart's words, lines joined (the footer wraps).
    let words = |svg: &std::path::Path| super::markup_text(&std::fs::read_to_string(svg).unwrap());
    let text = words(&svg);
    assert!(
        text.contains("design-based Wald test of the difference"),
        "the letters' test"
    );
    assert!(!text.contains("z-test"));
    assert!(text.contains("Whiskers: 95% svyciprop beta confidence intervals."));
    // The defaults say what they are.
    let o = run(&[
        "chart",
        DATA,
        "--by",
        "generation",
        "--ci",
        "-o",
        svg.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let text = words(&svg);
    assert!(text.contains("two-proportion z-test on effective bases, Holm-adjusted"));
    assert!(text.contains("Whiskers: 95% Wilson confidence intervals."));
}
