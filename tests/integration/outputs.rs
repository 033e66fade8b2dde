//! Outputs that do what their name says: `-o` chooses the format by its extension, the
//! terminal draws one bar scale per run and stacked banners with equal label columns,
//! `--cells` adds counts and intervals, and the help says what each command writes.

use std::io::Read;

use serde_json::Value;

use super::{concerns, json, run, DATA};

#[test]
fn the_extension_of_the_output_chooses_its_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let write = |name: &str, extra: &[&str]| {
        concerns()
            .args(["table", DATA, "--by", "generation", "-o"])
            .arg(path(name))
            .args(extra)
            .output()
            .unwrap()
    };
    // A workbook: a zip holding the parts of an xlsx.
    assert!(write("gen.xlsx", &[]).status.success());
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path("gen.xlsx")).unwrap()).unwrap();
    for part in [
        "[Content_Types].xml",
        "xl/workbook.xml",
        "xl/worksheets/sheet2.xml",
    ] {
        let mut text = String::new();
        zip.by_name(part)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert!(text.starts_with("<?xml"), "{part}");
    }
    // JSON, the same as --format json prints.
    assert!(write("gen.JSON", &[]).status.success());
    let written: Value = serde_json::from_slice(&std::fs::read(path("gen.JSON")).unwrap()).unwrap();
    let printed = json(&["table", DATA, "--by", "generation", "--format", "json"]);
    assert_eq!(written, printed);
    // CSV: a header and a row per number, not the box-drawing table.
    assert!(write("gen.csv", &[]).status.success());
    let csv = std::fs::read_to_string(path("gen.csv")).unwrap();
    assert!(!csv.contains('│') && !csv.contains('┌'), "{csv}");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert!(reader.headers().unwrap().len() > 3);
    assert!(reader.records().count() > 10);
    // Markdown and a plain text file.
    assert!(write("gen.md", &[]).status.success());
    assert!(std::fs::read_to_string(path("gen.md"))
        .unwrap()
        .starts_with("# "));
    assert!(write("gen.txt", &[]).status.success());
    assert!(std::fs::read_to_string(path("gen.txt"))
        .unwrap()
        .contains('┌'));

    // A name that contradicts --format, or that no format writes: a usage error, no file.
    let o = write("out.json", &["--format", "csv"]);
    assert_eq!(o.status.code(), Some(2));
    let message = String::from_utf8_lossy(&o.stderr);
    assert!(
        message.contains("--format csv contradicts the name"),
        "{message}"
    );
    assert!(!path("out.json").exists());
    let o = write("out.html", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no format of `table` writes .html"));
    assert!(!path("out.html").exists());
    // --format agreeing with the name, or naming the format of a file without one.
    assert!(write("same.csv", &["--format", "csv"]).status.success());
    assert!(write("plain", &["--format", "json"]).status.success());
    let _: Value = serde_json::from_slice(&std::fs::read(path("plain")).unwrap()).unwrap();
}

/// The bars of the terminal's ranked tables: (share from its row, bar length in eighths).
fn bars(table: &str) -> Vec<(f64, usize)> {
    let eighths = |c: char| match c {
        '█' => 8,
        '▏' => 1,
        '▎' => 2,
        '▍' => 3,
        '▌' => 4,
        '▋' => 5,
        '▊' => 6,
        '▉' => 7,
        _ => 0,
    };
    table
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('┆').map(str::trim).collect();
            let share = cells
                .iter()
                .find_map(|c| c.strip_suffix('%').and_then(|p| p.parse::<f64>().ok()))?;
            let bar = cells.last()?.trim_end_matches('│').trim();
            let n: usize = bar.chars().map(eighths).sum();
            (n > 0).then_some((share, n))
        })
        .collect()
}

#[test]
fn one_bar_scale_for_every_table_of_a_run() {
    for columns in ["80", "100", "140"] {
        let o = concerns()
            .args(["table", DATA])
            .env("COLUMNS", columns)
            .output()
            .unwrap();
        let text = String::from_utf8(o.stdout).unwrap();
        let bars = bars(&text);
        assert!(bars.len() >= 10, "{columns}: {text}");
        // Eighths per percentage point, the same in every table (rounding aside).
        let scale: Vec<f64> = bars
            .iter()
            .filter(|(share, _)| *share >= 20.0)
            .map(|(share, n)| *n as f64 / share)
            .collect();
        let (lo, hi) = scale
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), s| (lo.min(*s), hi.max(*s)));
        assert!(
            hi - lo < 0.05 * hi,
            "{columns} columns: scales {scale:?}\n{text}"
        );
    }
}

#[test]
fn stacked_banners_have_equal_label_columns() {
    let o = concerns()
        .args(["table", DATA, "--by", "generation", "--by", "gender"])
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    // Every table's top border: where its first column ends.
    let firsts: Vec<usize> = text
        .lines()
        .filter(|l| l.starts_with('┌'))
        .map(|l| l.chars().position(|c| c == '┬').unwrap())
        .collect();
    assert!(firsts.len() >= 4, "stacked at 80 columns: {text}");
    let banners = &firsts[..];
    assert!(
        banners.windows(2).all(|w| w[0] == w[1]),
        "label columns {banners:?}\n{text}"
    );
}

#[test]
fn cells_add_counts_and_intervals_to_every_table() {
    let args = [
        "table",
        DATA,
        "--by",
        "generation",
        "--cells",
        "share,count,ci",
    ];
    let v = json(&[&args[..], &["--format", "json"]].concat());
    let q = &v["questions"][0];
    let total = &q["items"][0];
    let gen_z = &q["by"][0]["items"][0];
    let count = |x: &Value| {
        let n = x["count"].as_u64().unwrap();
        // As the tables write it: 3,084.
        let s = n.to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let interval = |x: &Value| {
        format!(
            "{:.1}–{:.1}",
            x["ci_low"].as_f64().unwrap() * 100.0,
            x["ci_high"].as_f64().unwrap() * 100.0
        )
    };
    // Markdown: a row per cell under each answer, each further row named.
    let md = String::from_utf8(run(&[&args[..], &["--format", "md"]].concat()).stdout).unwrap();
    let row = |label: &str| -> Vec<String> {
        md.lines()
            .find(|l| l.starts_with(&format!("| {label} |")))
            .unwrap_or_else(|| panic!("no row {label} in {md}"))
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let counts = row("Count");
    assert_eq!(counts[2], count(total));
    assert_eq!(counts[3], count(gen_z));
    let cis = row("95% CI");
    assert_eq!(cis[2], interval(total));
    assert_eq!(cis[3], interval(gen_z));
    assert!(md.contains("Each answer's rows: Share, Count, 95% CI."));
    // The terminal table holds the same.
    let text = String::from_utf8(
        concerns()
            .args(args)
            .env("COLUMNS", "200")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(text.contains(&count(gen_z)) && text.contains(&interval(gen_z)));
    // A ranked table shows the cells asked for, in that order.
    let md =
        String::from_utf8(run(&["table", DATA, "--cells", "count,share", "--format", "md"]).stdout)
            .unwrap();
    assert!(
        md.contains("| Rank | Answer | Count (unweighted) | Share |"),
        "{md}"
    );
    assert!(!md.contains("95% CI |"), "{md}");
}

#[test]
fn the_help_says_what_each_command_writes() {
    let help = |cmd: &str| String::from_utf8(run(&[cmd, "--help"]).stdout).unwrap();
    let report = help("report");
    assert!(
        report.contains("banners.xlsx") && report.contains("report.html"),
        "{report}"
    );
    let table = help("table");
    assert!(!table.contains("nothing is written"), "{table}");
    assert!(table.contains("extension chooses the format"), "{table}");
    let weight = help("weight");
    let after = |flag: &str| {
        let at = weight.find(flag).unwrap();
        weight[at..].lines().take(3).collect::<Vec<_>>().join(" ")
    };
    assert!(after("--decimals").contains("decimal places"), "{weight}");
    assert!(after("--report <FILE>").contains("report"), "{weight}");
}

#[test]
fn russian_charts_write_numbers_as_russian_tables_do() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("ru.svg");
    let o = concerns()
        .args(["chart", DATA, "--lang", "ru", "-o"])
        .arg(&svg)
        .output()
        .unwrap();
    assert!(o.status.success());
    let svg = std::fs::read_to_string(&svg).unwrap();
    let table = String::from_utf8(run(&["table", DATA, "--lang", "ru"]).stdout).unwrap();
    // "60 %" and "5 140" with no-break spaces in both (the chart to whole percents).
    for (chart, text) in [("60\u{a0}%", "60,0\u{a0}%"), ("5\u{a0}140", "5\u{a0}140")] {
        assert!(svg.contains(chart), "{chart} in the chart");
        assert!(table.contains(text), "{text} in the table");
    }
    assert!(!svg.contains(">60%"));
    // The run's own words too.
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("записан файл"), "{stderr}");
}
