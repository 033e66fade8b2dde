//! Hostile input (issue 10): every case of docs/robustness.md that is not a mutation of
//! the bundled file. Each test states the promise it checks.

use std::path::{Path, PathBuf};
use std::process::Output;

use super::report::report;
use super::{concerns, output_with_stdin, root, run, DATA};

/// The canonical codebook with `from` replaced by `to`, written to `dir`.
fn codebook_with(dir: &Path, edits: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(root().join("codebooks/canonical.toml")).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    let path = dir.join("codebook.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The bundled codebook's list of countries: removed, any value of the column is a group.
const COUNTRIES: &str = r#"values = [
  { code = "us", label.en = "United States", label.ru = "США" },
  { code = "gb", label.en = "United Kingdom", label.ru = "Великобритания" },
  { code = "de", label.en = "Germany", label.ru = "Германия" },
  { code = "fr", label.en = "France", label.ru = "Франция" },
  { code = "au", label.en = "Australia", label.ru = "Австралия" },
  { code = "ca", label.en = "Canada", label.ru = "Канада" },
]
"#;

/// The bundled data with its text edited line by line.
fn data_with(dir: &Path, edit: impl Fn(usize, &str) -> String) -> PathBuf {
    let text = std::fs::read_to_string(root().join(DATA)).unwrap();
    let out: Vec<String> = text.lines().enumerate().map(|(i, l)| edit(i, l)).collect();
    let path = dir.join("data.csv");
    std::fs::write(&path, out.join("\n") + "\n").unwrap();
    path
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 1 with one clear message containing `words`, nothing on stdout, no panic.
fn refused(o: &Output, words: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(words), "expected '{words}' in: {err}");
    assert!(
        o.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// `report` of the bundled data with codebook `cb` into `out`.
fn report_with(cb: &Path, out: &Path) -> Output {
    concerns()
        .args(["report", DATA, "--codebook"])
        .arg(cb)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn table(args: &[&std::ffi::OsStr]) -> Output {
    concerns().arg("table").args(args).output().unwrap()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn an_id_cannot_name_a_path_outside_out() {
    let dir = tempfile::tempdir().unwrap();
    for id in [
        "x/../../../../elsewhere/PWNED",
        "../up",
        "a b",
        "dot.dot",
        "\u{1b}[31m",
    ] {
        let toml_id = id.replace('\u{1b}', "\\u001b");
        let cb = codebook_with(
            dir.path(),
            &[("id = \"switch_intent\"", &format!("id = \"{toml_id}\""))],
        );
        let out = dir.path().join("out");
        let o = report_with(&cb, &out);
        refused(&o, "is not allowed: ids use only letters, digits");
        assert!(!stderr(&o).contains('\u{1b}'), "raw escape in the message");
        assert!(!out.exists());
        // Nothing was written anywhere in the scratch directory but the codebook.
        assert_eq!(files_under(dir.path()), vec![cb.clone()]);
    }
    // Item, segment and contrast ids are checked the same way.
    for (from, to) in [
        ("id = \"job_loss\"", "id = \"job/loss\""),
        ("id = \"gender\"", "id = \"../gender\""),
        ("id = \"concerns_by_switch_intent\"", "id = \"c:d\""),
    ] {
        let cb = codebook_with(dir.path(), &[(from, to)]);
        refused(
            &table(&[DATA.as_ref(), "--codebook".as_ref(), cb.as_os_str()]),
            "is not allowed",
        );
    }
}

#[test]
fn duplicate_codes_ids_and_values_are_codebook_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (from, to, words) in [
        (
            "code = \"unsure\"",
            "code = \"no\"",
            "question 'switch_intent': answer code 'no' is used twice",
        ),
        (
            "id = \"job_loss\"",
            "id = \"reach_person\"",
            "question 'concerns': item or net id 'reach_person' is used twice",
        ),
        (
            "{ code = \"gen_x\"",
            "{ code = \"gen_z\"",
            "segment 'generation': value code 'gen_z' is used twice",
        ),
        (
            "column = \"concern_job_loss\"",
            "column = \"concern_reach_person\"",
            "item column 'concern_reach_person' is used twice",
        ),
        (
            "id = \"gender\"",
            "id = \"generation\"",
            "segment id 'generation' is used twice",
        ),
    ] {
        let cb = codebook_with(dir.path(), &[(from, to)]);
        refused(
            &table(&[DATA.as_ref(), "--codebook".as_ref(), cb.as_os_str()]),
            words,
        );
    }
}

#[test]
fn numeric_keys_and_label_lengths_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    for (rows, words) in [
        ("4611686018427387904", "header_rows"),
        ("1000000", "expected 1 to 100"),
        ("0", "expected 1 to 100"),
        ("-1", "header_rows"),
    ] {
        let cb = codebook_with(
            dir.path(),
            &[(
                "[survey]",
                &format!("[input]\nheader_rows = {rows}\n\n[survey]"),
            )],
        );
        refused(
            &table(&[DATA.as_ref(), "--codebook".as_ref(), cb.as_os_str()]),
            words,
        );
    }
    let long_word = "x".repeat(1_000_000);
    let many_words = "word ".repeat(200_000);
    for label in [long_word, many_words] {
        let cb = codebook_with(
            dir.path(),
            &[(
                "label.en = \"AI will take people's jobs\"",
                &format!("label.en = \"{label}\""),
            )],
        );
        refused(&report_with(&cb, &dir.path().join("out")), "at most 500");
    }
}

#[test]
fn control_characters_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    // A country (segment without listed values) holding ESC, BEL and a C1 CSI.
    let data = data_with(dir.path(), |i, l| {
        if i == 1 {
            l.replacen(",fr,", ",\u{1b}[2J\u{7}x\u{9b}31m,", 1)
                .replacen(",us,", ",\u{1b}[2J\u{7}x\u{9b}31m,", 1)
        } else {
            l.to_string()
        }
    });
    // Country as an open segment: its values are shown as they come.
    let cb = codebook_with(dir.path(), &[(COUNTRIES, "")]);
    let o = table(&[
        data.as_os_str(),
        "--codebook".as_ref(),
        cb.as_os_str(),
        "--by".as_ref(),
        "country".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{9b}'));
    assert!(text.contains("\\u{1b}[2J\\u{7}x\\u{9b}31m"), "{text}");
    assert!(!stderr(&o).chars().any(|c| c.is_control() && c != '\n'));
    // In an error message too: a bad code with an escape in it.
    let data = data_with(dir.path(), |i, l| {
        if i == 3 {
            l.replacen("somewhat_familiar", "\u{1b}]0;pwned\u{7}", 1)
                .replacen("very_familiar", "\u{1b}]0;pwned\u{7}", 1)
                .replacen("not_very_familiar", "\u{1b}]0;pwned\u{7}", 1)
        } else {
            l.to_string()
        }
    });
    let o = table(&[data.as_os_str()]);
    refused(&o, "\\u{1b}]0;pwned\\u{7}");
    let o = concerns().arg("validate").arg(&data).output().unwrap();
    let all = [o.stdout.clone(), o.stderr.clone()].concat();
    assert!(!all.contains(&0x1b) && !all.contains(&0x07));
}

#[test]
fn csv_cells_cannot_start_a_formula() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_with(dir.path(), |_, l| {
        l.replacen(",fr,", ",=HYPERLINK(\"http://x\"),", 1)
    });
    let cb = codebook_with(
        dir.path(),
        &[
            (
                "label.en = \"AI will take people's jobs\"",
                "label.en = \"@SUM(A1:A9)\"",
            ),
            (COUNTRIES, ""),
        ],
    );
    let o = table(&[
        data.as_os_str(),
        "--codebook".as_ref(),
        cb.as_os_str(),
        "--by".as_ref(),
        "country".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut r = csv::Reader::from_reader(&o.stdout[..]);
    let mut seen = (false, false);
    for rec in r.records() {
        let rec = rec.unwrap();
        for cell in rec.iter() {
            let formula = cell.starts_with(['=', '+', '@', '\t', '\r'])
                || (cell.starts_with('-') && cell.parse::<f64>().is_err());
            assert!(!formula, "formula cell {cell:?}");
        }
        seen.0 |= rec.iter().any(|c| c == "'@SUM(A1:A9)");
        seen.1 |= rec.iter().any(|c| c == "'=HYPERLINK(\"http://x\")");
        // Numbers stay numbers.
        assert!(rec[9].is_empty() || rec[9].parse::<f64>().is_ok());
    }
    assert!(seen.0 && seen.1, "the neutralised cells are there");
}

/// Labels that try to break SVG and Markdown.
const NASTY: [&str; 6] = [
    "esc \\u001b bel \\u0007 nul \\u0000 end",
    "two\\nlines | and a pipe",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "back`tick` and [link](javascript:alert(1))",
    "*star* _under_ ~strike~ $x$ &amp;",
];

#[test]
fn svg_stays_xml_and_markdown_tables_keep_their_shape_whatever_the_labels() {
    let dir = tempfile::tempdir().unwrap();
    for nasty in NASTY {
        let cb = codebook_with(
            dir.path(),
            &[
                (
                    "label.en = \"AI will take people's jobs\"",
                    &format!("label.en = \"{nasty}\""),
                ),
                ("label.en = \"Gen Z\"", &format!("label.en = \"{nasty}\"")),
            ],
        );
        // The input's file name, too, holds a backtick and a line break.
        let data = dir.path().join("odd`name\nx.csv");
        std::fs::copy(root().join(DATA), &data).unwrap();
        let out = dir.path().join("out");
        let o = concerns()
            .arg("report")
            .arg(&data)
            .arg("--codebook")
            .arg(&cb)
            .args(["--by", "generation", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{nasty}: {}", stderr(&o));
        for f in files_under(&out) {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".svg") {
                let svg = std::fs::read_to_string(&f).unwrap();
                roxmltree::Document::parse(&svg)
                    .unwrap_or_else(|e| panic!("{name} with {nasty:?} is not XML: {e}"));
                assert!(!svg.contains("<script") && !svg.contains("<img"), "{nasty}");
            }
        }
        let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
        check_markdown(&md, nasty);
        let o = table(&[
            data.as_os_str(),
            "--codebook".as_ref(),
            cb.as_os_str(),
            "--by".as_ref(),
            "generation".as_ref(),
            "--format".as_ref(),
            "md".as_ref(),
        ]);
        assert!(o.status.success());
        check_markdown(&String::from_utf8(o.stdout).unwrap(), nasty);
    }
}

/// Every table row has as many cells as its header; no raw tag or control character.
fn check_markdown(md: &str, nasty: &str) {
    assert!(!md.chars().any(|c| c.is_control() && c != '\n'), "{nasty}");
    // Escaped characters (`\<`) are text; what is left must hold no tag or link.
    let bare = md.replace("\\<", "").replace("\\]", "");
    assert!(
        !bare.contains("<script") && !bare.contains("<img"),
        "{nasty}"
    );
    assert!(!bare.contains("](javascript"), "{nasty}");
    let cells = |line: &str| {
        let mut n = 0;
        let mut escaped = false;
        for c in line.chars() {
            match c {
                '\\' if !escaped => escaped = true,
                '|' if !escaped => n += 1,
                _ => escaped = false,
            }
            if c != '\\' {
                escaped = false;
            }
        }
        n
    };
    let mut width = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = cells(line);
            assert_eq!(*width.get_or_insert(n), n, "{nasty}: row {line}");
        } else {
            width = None;
        }
    }
    // A code span of the input's name cannot open: backticks in it are escaped.
    for line in md.lines().filter(|l| l.starts_with("Input:")) {
        assert!(!line.contains("`odd`"), "{line}");
    }
}

#[test]
fn a_run_removes_stale_charts_and_check_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    // An older codebook had a fourth question: its run wrote figure4_….
    let canonical = std::fs::read_to_string(root().join("codebooks/canonical.toml")).unwrap();
    let extra = r#"
[[questions]]
id = "old_question"
kind = "single_choice"
column = "prefer_no_ai"
title.en = "Old"
title.ru = "Старый"
text.en = "Old?"
text.ru = "Старый?"

[[questions.items]]
id = "yes"
code = "yes"
label.en = "Yes"
label.ru = "Да"

[[questions.items]]
id = "no"
code = "no"
label.en = "No"
label.ru = "Нет"
"#;
    let older = dir.path().join("older.toml");
    std::fs::write(&older, format!("{canonical}\n{extra}")).unwrap();
    assert!(report_with(&older, &out).status.success());
    assert!(out.join("figure4_old_question.svg").exists());
    // A file of the user's, and one named like a chart that no run wrote.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    std::fs::write(out.join("figure9_drawn_by_hand.svg"), "<svg/>").unwrap();
    let o = report(&out, &["--check"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("figure4_old_question.svg"));
    assert!(!stderr(&o).contains("figure9_drawn_by_hand.svg"));
    assert!(
        out.join("figure4_old_question.svg").exists(),
        "--check writes nothing"
    );
    assert!(report(&out, &[]).status.success());
    assert!(!out.join("figure4_old_question.svg").exists());
    assert!(!out.join("figure4_old_question.png").exists());
    for (name, bytes) in [
        ("notes.txt", "mine"),
        ("figure9_drawn_by_hand.svg", "<svg/>"),
    ] {
        assert_eq!(std::fs::read_to_string(out.join(name)).unwrap(), bytes);
    }
    let o = report(&out, &["--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn the_working_directory_can_be_the_report_directory() {
    // The directory is never swapped, so `--out .` and `--out ..` keep it and its files.
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("mine.txt"), "kept").unwrap();
    let data = root().join(DATA);
    for (out, at) in [(".", sub.clone()), ("..", dir.path().to_path_buf())] {
        let o = concerns()
            .current_dir(&sub)
            .arg("report")
            .arg(&data)
            .args(["--out", out])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(at.join("figure1.svg").exists());
    }
    assert_eq!(
        std::fs::read_to_string(sub.join("mine.txt")).unwrap(),
        "kept"
    );
}

#[test]
fn check_gives_the_same_verdict_from_any_directory_and_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    assert!(report(&out, &[]).status.success());
    let abs = root().join(DATA);
    let spelled = root().join("data/../data/./ai-customer-service-2023.csv");
    for (cwd, data) in [
        (root(), abs.clone()),
        (
            root().join("data"),
            PathBuf::from("ai-customer-service-2023.csv"),
        ),
        (dir.path().to_path_buf(), spelled),
    ] {
        let o = concerns()
            .current_dir(&cwd)
            .arg("report")
            .arg(&data)
            .arg("--check")
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "from {}: {}",
            cwd.display(),
            stderr(&o)
        );
    }
}

#[test]
fn a_misspelt_weight_column_is_an_error_not_an_unweighted_table() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["wieght", "Weight "] {
        let cb = codebook_with(
            dir.path(),
            &[("weight = \"weight\"", &format!("weight = \"{name}\""))],
        );
        let args = [DATA.as_ref(), "--codebook".as_ref(), cb.as_os_str()];
        refused(&table(&args), "did you mean 'weight'?");
        let o = concerns().arg("validate").args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&o.stdout).contains("did you mean 'weight'?"));
        let o = table(&[
            DATA.as_ref(),
            "--codebook".as_ref(),
            cb.as_os_str(),
            "--no-weight".as_ref(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

#[test]
fn weights_at_the_limits_of_floating_point_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (all, weight) in [
        (true, "1e200"),
        (false, "1e308"),
        (false, "1e-320"),
        (false, "1e10"),
    ] {
        let data = data_with(dir.path(), |i, l| {
            if i == 0 || (!all && i != 7) {
                return l.to_string();
            }
            let mut f: Vec<String> = l.split(',').map(String::from).collect();
            f[4] = weight.to_string();
            f.join(",")
        });
        let o = table(&[data.as_os_str(), "--format".as_ref(), "json".as_ref()]);
        refused(&o, "a positive number from 1e-9 to 1e9");
    }
}

#[test]
fn blank_respondent_ids_are_problems() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_with(dir.path(), |i, l| {
        if (5..8).contains(&i) {
            l.replacen("syn-", "", 1)
                .split_once(',')
                .map(|(_, rest)| format!(",{rest}"))
                .unwrap()
        } else {
            l.to_string()
        }
    });
    refused(
        &table(&[data.as_os_str()]),
        "expected a respondent ID (not empty)",
    );
    let o = concerns().arg("validate").arg(&data).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        text.matches("respondent ID (not empty)").count(),
        3,
        "{text}"
    );
}

#[test]
fn a_segment_value_the_codebook_does_not_list_is_a_problem_and_blanks_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_with(dir.path(), |i, l| {
        if i == 9 {
            l.replacen(",gen_z,", ",genz,", 1)
                .replacen(",millennial,", ",genz,", 1)
                .replacen(",gen_x,", ",genz,", 1)
                .replacen(",boomer,", ",genz,", 1)
        } else {
            l.to_string()
        }
    });
    let by = [data.as_os_str(), "--by".as_ref(), "generation".as_ref()];
    refused(&table(&by), "found 'genz'");
    let o = concerns().arg("validate").arg(&data).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("found 'genz'"));
    // Blank values: not a group, but counted and said.
    let data = data_with(dir.path(), |i, l| {
        if (10..13).contains(&i) && !l.contains("dont_know_ai") {
            ["gen_z", "millennial", "gen_x", "boomer"]
                .iter()
                .fold(l.to_string(), |acc, g| {
                    acc.replacen(&format!(",{g},"), ",,", 1)
                })
        } else {
            l.to_string()
        }
    });
    let o = table(&[
        data.as_os_str(),
        "--by".as_ref(),
        "generation".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = super::results_json(&o.stdout);
    let note = super::support::warning(&r, "blank_segment");
    assert!(note.contains("segment 'generation'"), "{note}");
    let groups: u64 = r["questions"][0]["by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["base"]["unweighted"].as_u64().unwrap())
        .sum();
    let total = r["questions"][0]["base"]["unweighted"].as_u64().unwrap();
    let blanks: u64 = note
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap();
    assert_eq!(groups + blanks, total, "{note}");
    // The question says it too, and the banner under its base line.
    let no_group = &r["questions"][0]["no_group"][0];
    assert_eq!(no_group["segment"], "generation");
    assert_eq!(no_group["unweighted"].as_u64(), Some(blanks));
    let o = table(&[data.as_os_str(), "--by".as_ref(), "generation".as_ref()]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&format!("No value of generation: {blanks} respondents")),
        "{text}"
    );
}

#[test]
fn small_bases_are_warned_and_said_in_the_singular() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(DATA)).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("dont_know_ai"))
        .take(2)
        .collect();
    let path = dir.path().join("one.csv");
    std::fs::write(&path, kept.join("\n") + "\n").unwrap();
    let o = table(&[path.as_os_str(), "--no-weight".as_ref()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(out.contains("Base: 1 respondent (unweighted)"), "{out}");
    assert!(
        stderr(&o).contains("under 30; its shares are unreliable"),
        "{}",
        stderr(&o)
    );
    // At p = 0 and p = 1 the interval ends are exactly 0 and 1.
    let o = table(&[
        path.as_os_str(),
        "--no-weight".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let r: serde_json::Value = super::results_json(&o.stdout);
    let mut ends = 0;
    for q in r["questions"].as_array().unwrap() {
        for i in q["items"].as_array().unwrap() {
            match i["share"].as_f64() {
                Some(0.0) => assert_eq!(i["ci_low"].as_f64(), Some(0.0)),
                Some(1.0) => assert_eq!(i["ci_high"].as_f64(), Some(1.0)),
                other => panic!("one respondent gives shares of 0 or 1, not {other:?}"),
            }
            ends += 1;
        }
    }
    assert!(ends >= 6);
}

#[test]
fn domain_standard_errors_survive_weights_twelve_orders_apart() {
    let exact = csv_map("extreme_exact.csv");
    let by_r = csv_map("extreme_r.csv");
    let r = super::json(&[
        "table",
        "tests/fixtures/extreme/extreme.csv",
        "--codebook",
        "tests/fixtures/extreme/extreme.toml",
        "--by",
        "g",
        "--format",
        "json",
        "--min-base",
        "0",
    ]);
    let q = &r["questions"][0];
    let mut ours = vec![("total".to_string(), q["items"][0]["se"].as_f64().unwrap())];
    for g in q["by"].as_array().unwrap() {
        ours.push((
            g["value"].as_str().unwrap().into(),
            g["items"][0]["se"].as_f64().unwrap(),
        ));
    }
    assert_eq!(ours.len(), 4);
    for (group, se) in ours {
        let e = exact[&group];
        assert!(
            ((se - e) / e).abs() < 1e-12,
            "{group}: ours {se}, exact {e}"
        );
        // R's own linearisation subtracts nearly equal numbers where the heavy respondent
        // selected the item (group a): R is right there to about 1e-5 only.
        let tol = if group == "a" { 1e-4 } else { 1e-12 };
        let rv = by_r[&group];
        assert!(((se - rv) / rv).abs() < tol, "{group}: ours {se}, R {rv}");
    }
}

fn csv_map(file: &str) -> std::collections::HashMap<String, f64> {
    let path = root().join("tests/reference").join(file);
    csv::Reader::from_path(path)
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[2].parse().unwrap())
        })
        .collect()
}

#[test]
fn corrupt_parquet_and_spss_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(root().join("tests/fixtures/platforms/canonical.parquet")).unwrap();
    let mut cases: Vec<Vec<u8>> = vec![
        good[..good.len() / 2].to_vec(),
        good[..12].to_vec(),
        b"PAR1".to_vec(),
    ];
    for at in [good.len() / 3, good.len() / 2, good.len() - 20] {
        let mut b = good.clone();
        for x in &mut b[at..at + 16] {
            *x ^= 0x5a;
        }
        cases.push(b);
    }
    let sav = std::fs::read(root().join("tests/fixtures/platforms/survey.sav")).unwrap();
    cases.push(sav[..sav.len() / 2].to_vec());
    let mut flipped = sav.clone();
    let mid = sav.len() / 2;
    for x in &mut flipped[mid..mid + 64] {
        *x ^= 0xff;
    }
    cases.push(flipped);
    for (k, bytes) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case{k}"));
        std::fs::write(&path, bytes).unwrap();
        let o = table(&[path.as_os_str()]);
        let err = stderr(&o);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "case {k}: {:?} {err}",
            o.status
        );
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "case {k}: {err}"
        );
        if o.status.code() == Some(1) {
            assert!(o.stdout.is_empty());
        }
    }
    let path = dir.path().join("case0");
    refused(&table(&[path.as_os_str()]), "not a valid Parquet file");
}

#[test]
fn a_fifo_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("data.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let bytes = std::fs::read(root().join(DATA)).unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(&fifo, bytes))
    };
    let o = table(&[fifo.as_os_str(), "--format".as_ref(), "json".as_ref()]);
    writer.join().unwrap().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let via_fifo: serde_json::Value = super::results_json(&o.stdout);
    let direct = super::json(&["table", DATA, "--format", "json"]);
    assert_eq!(via_fifo["questions"], direct["questions"]);
    assert_eq!(via_fifo["input"]["blake3"], direct["input"]["blake3"]);
}

#[test]
fn standard_input_is_bounded_and_leaves_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    // Endless NUL bytes: refused at the first block.
    let mut child = concerns()
        .env("TMPDIR", tmp.path())
        .args(["table", "-"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().ok();
            panic!("/dev/zero on stdin did not end");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    refused(&o, "binary data");
    // A header line longer than a record may be.
    let mut long = b"respondent_id,".to_vec();
    long.extend(std::iter::repeat_n(b'x', 17 << 20));
    let o = refusing_stdin(
        concerns().env("TMPDIR", tmp.path()).args(["table", "-"]),
        long,
    );
    refused(&o, "longer than 16 MiB");
    // The bundled data through stdin: the same numbers, no spool file left in TMPDIR.
    let bytes = std::fs::read(root().join(DATA)).unwrap();
    let o = output_with_stdin(
        concerns()
            .env("TMPDIR", tmp.path())
            .args(["table", "-", "--format", "json"]),
        &bytes,
    );
    assert!(o.status.success());
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn a_file_that_shrinks_while_read_gives_an_error_never_a_signal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    let o = run(&["simulate", "--n", "400000", "-o", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let full = std::fs::read(&path).unwrap();
    for delay_ms in [0u64, 5, 20, 60, 150] {
        std::fs::write(&path, &full).unwrap();
        let child = concerns()
            .args(["table", path.to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(full.len() as u64 / 3).unwrap();
        let o = child.wait_with_output().unwrap();
        // Exit 0 (it finished before the cut) or 1 with a message; never a signal.
        let code = o.status.code();
        assert!(
            matches!(code, Some(0 | 1)),
            "delay {delay_ms}: {:?} {}",
            o.status,
            stderr(&o)
        );
        if code == Some(1) {
            assert!(o.stdout.is_empty() && !stderr(&o).is_empty());
        }
    }
}

#[test]
fn the_cross_check_engine_is_gone() {
    let o = run(&["table", DATA, "--engine", "polars"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Runs `cmd` feeding `input` on stdin, where the program may stop reading early.
fn refusing_stdin(cmd: &mut std::process::Command, input: Vec<u8>) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

#[test]
fn the_chart_legend_names_the_minimum_base_of_the_tests() {
    let dir = tempfile::tempdir().unwrap();
    for (min, lang, words) in [
        ("30", "en", "no test where an effective base is under 30"),
        ("50", "en", "no test where an effective base is under 50"),
        ("50", "ru", "без теста, если эффективная база меньше 50"),
    ] {
        let svg = dir.path().join("c.svg");
        let o = concerns()
            .args([
                "chart",
                DATA,
                "--by",
                "generation",
                "--min-base",
                min,
                "--lang",
                lang,
                "-o",
            ])
            .arg(&svg)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let text = super::report::svg_texts(&std::fs::read_to_string(&svg).unwrap()).join(" ");
        assert!(text.contains(words), "{text}");
    }
}

#[test]
fn a_codebook_drafted_from_hostile_names_is_still_a_codebook() {
    // Column names and answers that would end a comment, open a table, drive the terminal.
    let header = "\"id\",\"gen\n[[questions]]\nid = \"\"x\"\"\",\"\u{1b}[31mcountry\",\"weight\",\"q\"\"]]\"";
    let mut csv = format!("{header}\n");
    for i in 0..40 {
        let answer = ["yes\n# not a comment", "no", "\u{7}maybe"][i % 3];
        csv.push_str(&format!(
            "r{i},\"{}\",\"x{}\",1.{},\"{}\"\n",
            ["a", "b"][i % 2],
            i % 3,
            i % 7,
            answer
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hostile.csv");
    std::fs::write(&data, csv).unwrap();
    let o = concerns()
        .args(["codebook", "init"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text}"
    );
    // Every line of the header comment is still a comment.
    for line in text.lines().take_while(|l| !l.is_empty()) {
        assert!(line.starts_with('#'), "{line:?} in:\n{text}");
    }
    let draft = dir.path().join("draft.toml");
    std::fs::write(&draft, &text).unwrap();
    let v = concerns()
        .arg("validate")
        .arg(&data)
        .arg("--codebook")
        .arg(&draft)
        .output()
        .unwrap();
    assert!(v.status.success(), "{}\n{}", stderr(&v), text);
}
