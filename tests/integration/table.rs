//! `concerns table`: the JSON contract and the human-readable formats.

use serde_json::Value;

use super::{concerns, json, run, DATA};

fn item<'a>(q: &'a Value, id: &str) -> &'a Value {
    q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("item {id}"))
}

fn question<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == id)
        .unwrap_or_else(|| panic!("question {id}"))
}

fn pct(v: &Value) -> f64 {
    (v["share"].as_f64().unwrap() * 100.0).round()
}

#[test]
fn json_reports_the_published_study() {
    for weighting in [&[][..], &["--no-weight"][..]] {
        let mut args = vec!["table", DATA, "--format", "json"];
        args.extend_from_slice(weighting);
        let r = json(&args);
        assert_eq!(r["schema_version"], 4);
        assert_eq!(r["tool"]["name"], "concerns");
        // The file name only: the same bytes whatever the working directory.
        assert_eq!(r["input"]["path"], "ai-customer-service-2023.csv");
        assert_eq!(r["input"]["rows"], 5728);
        assert_eq!(r["input"]["blake3"].as_str().unwrap().len(), 64);
        assert_eq!(r["base"]["respondents"], 5728);
        assert_eq!(r["base"]["excluded"], 588);
        assert_eq!(r["base"]["kept"], 5140);
        assert_eq!(r["survey"]["synthetic"], true);
        let weighted = weighting.is_empty();
        assert_eq!(
            r["weight"],
            if weighted {
                Value::from("weight")
            } else {
                Value::Null
            }
        );

        let c = question(&r, "concerns");
        assert_eq!(c["kind"], "multi_response");
        assert_eq!(c["weighted"], weighted);
        assert_eq!(c["base"]["unweighted"], 5140);
        let order: Vec<&str> = c["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            order,
            [
                "reach_person",
                "job_loss",
                "wrong_answers",
                "data_security",
                "bias",
                "other"
            ]
        );
        for (rank, (id, published)) in [
            ("reach_person", 60.0),
            ("job_loss", 46.0),
            ("wrong_answers", 42.0),
            ("data_security", 34.0),
            ("bias", 25.0),
            ("other", 5.0),
        ]
        .into_iter()
        .enumerate()
        {
            let i = item(c, id);
            assert_eq!(pct(i), published, "{id}");
            assert_eq!(i["rank"], rank as u64 + 1);
            let (lo, hi, p) = (
                i["ci_low"].as_f64().unwrap(),
                i["ci_high"].as_f64().unwrap(),
                i["share"].as_f64().unwrap(),
            );
            assert!(lo < p && p < hi && hi - lo < 0.05, "{id}: {lo} {p} {hi}");
            assert!(i["se"].as_f64().unwrap() > 0.0);
            for key in ["label", "count", "weighted_count"] {
                assert!(!i[key].is_null(), "{id}.{key}");
            }
        }
        if !weighted {
            assert_eq!(c["base"]["weighted"], 5140.0);
            assert_eq!(item(c, "reach_person")["count"], 3084); // 60% of 5,140
        }
        assert_eq!(pct(item(question(&r, "switch_intent"), "yes")), 53.0);
        assert_eq!(pct(item(question(&r, "prefer_no_ai"), "yes")), 64.0);
        let s = question(&r, "switch_intent");
        assert_eq!(s["kind"], "single_choice");
        let total: f64 = s["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["share"].as_f64().unwrap())
            .sum();
        assert!(
            (total - 1.0).abs() < 1e-12,
            "single-choice shares sum to 1: {total}"
        );
        assert!(
            s["base"]["unweighted"].as_u64().unwrap() < 5140,
            "a few did not answer"
        );
    }
}

#[test]
fn weighted_bases_show_the_design_effect() {
    let r = json(&["table", DATA, "--format", "json"]);
    let b = &question(&r, "concerns")["base"];
    let (n, eff, deff) = (
        b["unweighted"].as_f64().unwrap(),
        b["effective"].as_f64().unwrap(),
        b["design_effect"].as_f64().unwrap(),
    );
    assert!(eff < n);
    assert!((n / eff - deff).abs() < 1e-9);
}

#[test]
fn russian_labels_follow_the_seed() {
    let r = json(&["table", DATA, "--format", "json", "--lang", "ru"]);
    let c = question(&r, "concerns");
    assert_eq!(
        item(c, "reach_person")["label"],
        "Затруднится доступ к сотрудникам службы поддержки"
    );
    assert_eq!(item(c, "other")["label"], "Другое");
    assert_eq!(
        c["text"],
        "Каковы Ваши главные опасения по поводу использования ИИ в клиентском обслуживании?"
    );
}

#[test]
fn terminal_table_shows_ranks_bars_bases_and_exclusions() {
    let out = run(&["table", DATA]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("It will be harder to reach a human agent"));
    assert!(text.contains("60.0%"));
    assert!(text.contains("█"));
    assert!(text.contains("Base: 5,140 respondents"));
    assert!(text.contains("588 of 5,728 respondents excluded"));
    assert!(text.contains("don't know what AI technology is"));
    assert!(
        !text.contains('\u{1b}'),
        "no colour codes outside a terminal"
    );
    let reach = text.find("harder to reach").unwrap();
    let other = text.find("┆ Other").unwrap();
    assert!(reach < text.find("AI bias").unwrap() && text.find("AI bias").unwrap() < other);
}

#[test]
fn csv_and_markdown_carry_the_same_numbers() {
    let r = json(&["table", DATA, "--format", "json"]);
    let share = item(question(&r, "concerns"), "job_loss")["share"]
        .as_f64()
        .unwrap();

    let out = run(&["table", DATA, "--format", "csv"]);
    assert!(out.status.success());
    let mut rdr = csv::Reader::from_reader(&out.stdout[..]);
    let headers = rdr.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6 + 3 + 2 + 3, "items and nets");
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let job = rows
        .iter()
        .find(|r| &r[col("item_id")] == "job_loss")
        .unwrap();
    assert_eq!(job[col("share")].parse::<f64>().unwrap(), share);
    assert_eq!(&job[col("question_id")], "concerns");

    let out = run(&["table", DATA, "--format", "md"]);
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("| Rank | Answer | Share | 95% CI | Count (unweighted) |"));
    // A question in its own order (a scale) has no rank column.
    assert!(md.contains("\n| Answer | Share | 95% CI | Count (unweighted) |\n| --- | ---: | ---: | ---: |\n| Yes, would consider switching |"));
    assert!(md.contains(&format!("{:.1}%", share * 100.0)));
    assert!(md.contains("Synthetic data"));
}

#[test]
fn reads_standard_input() {
    let data = std::fs::read(super::root().join(DATA)).unwrap();
    let out = super::output_with_stdin(concerns().args(["table", "-", "--format", "json"]), &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = super::results_json(&out.stdout);
    let file = json(&["table", DATA, "--format", "json"]);
    assert_eq!(r["input"]["path"], "-");
    assert_eq!(r["input"]["blake3"], file["input"]["blake3"]);
    assert_eq!(r["questions"], file["questions"]);
}

#[test]
fn standard_input_redirected_from_a_file_is_read_in_place_from_where_it_stands() {
    use std::io::{Seek, SeekFrom};
    let data = std::fs::read(super::root().join(DATA)).unwrap();
    let file = json(&["table", DATA, "--format", "json"]);
    // `concerns table - < file`, and the same file after a line someone already read from
    // standard input (`{ read junk; concerns table -; } < file`): only the rest is the data.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prefixed.csv");
    let junk = b"a line read before concerns starts\n";
    std::fs::write(&path, [&junk[..], &data].concat()).unwrap();
    for skip in [None, Some(junk.len() as u64)] {
        let mut f = std::fs::File::open(if skip.is_some() {
            path.clone()
        } else {
            super::root().join(DATA)
        })
        .unwrap();
        if let Some(n) = skip {
            f.seek(SeekFrom::Start(n)).unwrap();
        }
        let out = super::succeeded(
            concerns()
                .args(["table", "-", "--format", "json"])
                .stdin(std::process::Stdio::from(f)),
        );
        let r: Value = super::results_json(&out.stdout);
        assert_eq!(r["input"]["path"], "-");
        assert_eq!(
            r["input"]["blake3"], file["input"]["blake3"],
            "skip {skip:?}"
        );
        assert_eq!(r["questions"], file["questions"]);
    }
}

#[test]
fn output_is_byte_identical_across_runs() {
    let a = run(&["table", DATA, "--format", "json"]).stdout;
    let b = run(&["table", DATA, "--format", "json"]).stdout;
    assert_eq!(a, b);
}

#[test]
fn the_digest_is_the_files_blake3() {
    let r = json(&["table", DATA, "--format", "json"]);
    let bytes = std::fs::read(super::root().join(DATA)).unwrap();
    assert_eq!(r["input"]["blake3"], blake3::hash(&bytes).to_hex().as_str());
}

/// The cells of a Markdown table row (`\|` inside a cell is text, not a border).
fn md_cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = vec![String::new()];
    let mut escaped = false;
    for c in inner.chars() {
        match c {
            '|' if !escaped => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
        escaped = c == '\\' && !escaped;
    }
    cells
}

#[test]
fn every_markdown_table_of_every_output_is_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let mut documents = Vec::new();
    for by in [
        &[][..],
        &["--by", "generation"],
        &["--by", "generation", "--by", "gender"],
    ] {
        let args = [&["table", DATA, "--format", "md"][..], by].concat();
        documents.push(String::from_utf8(run(&args).stdout).unwrap());
        let out = dir.path().join(by.len().to_string());
        let o = super::report::report(&out, by);
        assert!(o.status.success());
        documents.push(std::fs::read_to_string(out.join("summary.md")).unwrap());
    }
    let mut tables = 0;
    for doc in &documents {
        let lines: Vec<&str> = doc.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            if !lines[i].starts_with('|') {
                i += 1;
                continue;
            }
            let start = i;
            while i < lines.len() && lines[i].starts_with('|') {
                i += 1;
            }
            let rows: Vec<Vec<String>> = lines[start..i].iter().map(|l| md_cells(l)).collect();
            assert!(
                rows.len() >= 3,
                "a table has a header, a rule and rows: {:?}",
                &lines[start..i]
            );
            let width = rows[0].len();
            assert!(
                rows[1]
                    .iter()
                    .all(|c| matches!(c.trim(), "---" | "---:" | ":---" | ":---:")),
                "second line is the rule: {}",
                lines[start + 1]
            );
            for (k, row) in rows.iter().enumerate() {
                assert_eq!(row.len(), width, "row {k} of {:?}", &lines[start..i]);
            }
            assert!(
                rows[0].iter().all(|h| !h.trim().is_empty()),
                "every column has a heading: {}",
                lines[start]
            );
            tables += 1;
        }
    }
    assert!(tables >= 20, "{tables} tables");
}

/// The terminal table at a given width (`COLUMNS`, as when piped).
fn terminal(width: usize, extra: &[&str]) -> String {
    let o = super::concerns()
        .env("COLUMNS", width.to_string())
        .args([&["table", DATA][..], extra].concat())
        .output()
        .unwrap();
    assert!(o.status.success());
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn the_terminal_table_fits_the_width_and_names_each_segment() {
    for width in [60, 80, 100] {
        for extra in [
            &[][..],
            &["--by", "generation"],
            &["--by", "generation", "--by", "gender"],
            &["--lang", "ru", "--by", "generation"],
        ] {
            let out = terminal(width, extra);
            let widest = out.lines().map(|l| l.chars().count()).max().unwrap();
            assert!(
                widest <= width,
                "{width} {extra:?}: a line of {widest}\n{out}"
            );
            // Nothing was cut: every label word is still there.
            let (word, base) = if extra.contains(&"ru") {
                ("сотрудникам", "База")
            } else {
                ("human", "Base")
            };
            assert!(out.contains(word) && out.contains(base), "{out}");
        }
    }
    // Wide enough for the bar, not at 60.
    assert!(terminal(120, &[]).contains("██████"));
    assert!(!terminal(60, &[]).contains('█'));
    // Two segments side by side name themselves over their groups when they fit…
    let wide = terminal(200, &["--by", "generation", "--by", "gender"]);
    assert_eq!(
        wide.matches("┌").count(),
        3,
        "one table per question:\n{wide}"
    );
    // Under the segments' labels from the codebook.
    assert!(
        wide.contains("Generation") && wide.contains("Gender"),
        "{wide}"
    );
    // …and come one segment per table when they do not.
    let narrow = terminal(80, &["--by", "generation", "--by", "gender"]);
    assert!(
        narrow.contains("By Generation:\n┌") && narrow.contains("By Gender:\n┌"),
        "{narrow}"
    );
    assert_eq!(narrow.matches("┌").count(), 6);
    // Six countries at 80 columns: split over two tables rather than breaking a word.
    let countries = terminal(80, &["--by", "country"]);
    for name in [
        "(A)",
        "States",
        "Kingdom",
        "Germany",
        "France",
        "Australia",
        "(F) Canada",
    ] {
        assert!(countries.contains(name), "{name}:\n{countries}");
    }
    assert!(countries.contains("By Country:\n┌"));
    assert_eq!(countries.matches("┌").count(), 6, "two tables per question");
}
