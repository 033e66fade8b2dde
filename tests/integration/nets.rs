//! Nets and filters against R `survey` (tests/reference/nets_filters.R →
//! nets_filters_r.csv): a net is `svymean` of "any of its items", a filtered table is
//! `svymean(~y, subset(design, filter))` and `svyby` on that subset, for a weights-only
//! design (the bundled data) and a stratified cluster design with fpc (the design fixture).

use std::collections::BTreeMap;

use serde_json::Value;

use super::design::{case_args, close};
use super::{concerns, json, read_rows, root, DATA};

const SAMPLE: &str = "tests/fixtures/design/sample.csv";
const FILTER: &str = "country in (us, gb) and not generation = boomer";
const FILTER2: &str = "country = us or gender = female";

/// (case, question, row, group) → (share, se).
type Reference = BTreeMap<(String, String, String, String), (f64, f64)>;

fn reference() -> Reference {
    let mut out = Reference::new();
    for row in super::support::reference("nets_filters_r.csv") {
        let key = ["case", "question", "row", "group"].map(|k| row[k].clone());
        let [case, question, item, group] = key;
        let value = |k| super::support::number(&row, k).unwrap();
        out.insert((case, question, item, group), (value("share"), value("se")));
    }
    out
}

fn table(case: &str) -> Value {
    let mut args = vec!["table", "--by", "generation", "--format", "json"];
    match case {
        "weights" => args.push(DATA),
        "weights_filtered" => args.extend([DATA, "--where", FILTER]),
        "design" => args.push(SAMPLE),
        "design_filtered" => args.extend([SAMPLE, "--where", FILTER2]),
        _ => unreachable!(),
    }
    if case.starts_with("design") {
        args.extend(case_args("strata_psu_fpc"));
    }
    json(&args)
}

/// Every row (items and nets) of every question, total and per group: (question, row,
/// group, value).
fn rows(v: &Value) -> Vec<(String, String, String, Value)> {
    let mut out = Vec::new();
    for q in v["questions"].as_array().unwrap() {
        let id = q["id"].as_str().unwrap().to_string();
        let all = |x: &Value| -> Vec<Value> {
            let mut r = x["items"].as_array().unwrap().clone();
            r.extend(x["nets"].as_array().cloned().unwrap_or_default());
            r
        };
        for i in all(q) {
            out.push((
                id.clone(),
                i["id"].as_str().unwrap().into(),
                "total".into(),
                i,
            ));
        }
        for g in q["by"].as_array().unwrap() {
            for i in all(g) {
                let group = g["value"].as_str().unwrap().to_string();
                out.push((id.clone(), i["id"].as_str().unwrap().into(), group, i));
            }
        }
    }
    out
}

#[test]
fn nets_and_filtered_tables_equal_r_survey() {
    let reference = reference();
    for case in ["weights", "weights_filtered", "design", "design_filtered"] {
        let v = table(case);
        let mut seen = 0;
        let mut nets = 0;
        for (q, row, group, x) in rows(&v) {
            let key = (case.to_string(), q.clone(), row.clone(), group.clone());
            let &(share, se) = reference
                .get(&key)
                .unwrap_or_else(|| panic!("no R value for {key:?}"));
            let what = format!("{case} {q} {row} {group}");
            let (s, e) = (x["share"].as_f64().unwrap(), x["se"].as_f64().unwrap());
            assert!(close(s, share), "{what}: share {s} vs R {share}");
            assert!(close(e, se), "{what}: se {e} vs R {se}");
            seen += 1;
            nets += x["items"].is_array() as usize;
        }
        let expected = reference.keys().filter(|k| k.0 == case).count();
        assert_eq!(seen, expected, "{case}: every R value compared");
        assert!(nets >= 3, "{case}: the nets are among them");
        // The Rao-Scott test across generations, on every item and net.
        let mut tests = 0;
        for row in read_rows(&root().join("tests/reference/nets_filters_chisq_r.csv")) {
            if row["case"] != case {
                continue;
            }
            let q = v["questions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|q| q["id"] == row["question"].as_str())
                .unwrap();
            let a = q["association"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["item"] == row["row"].as_str())
                .unwrap_or_else(|| panic!("{case}: no test for {row:?}"));
            for (ours, theirs) in [("f", "f"), ("ndf", "ndf"), ("ddf", "ddf"), ("p_value", "p")] {
                let (x, y) = (
                    a[ours].as_f64().unwrap(),
                    row[theirs].parse::<f64>().unwrap(),
                );
                assert!(close(x, y), "{case} {row:?} {ours}: {x} vs R {y}");
            }
            tests += 1;
        }
        assert_eq!(tests, 14, "{case}: 11 items and 3 nets tested");
    }
}

#[test]
fn nets_rank_apart_and_name_their_items() {
    let v = json(&["table", DATA, "--format", "json"]);
    let q = &v["questions"][0];
    let items = q["items"].as_array().unwrap();
    let nets = q["nets"].as_array().unwrap();
    // Items keep ranks 1..6 whatever the nets' shares (any concern is above every item).
    let ranks: Vec<u64> = items.iter().map(|i| i["rank"].as_u64().unwrap()).collect();
    assert_eq!(ranks, [1, 2, 3, 4, 5, 6]);
    let any = &nets[0];
    assert_eq!(any["id"], "any_concern");
    assert_eq!(any["rank"], 1, "ranked among the nets");
    assert!(any["share"].as_f64().unwrap() > items[0]["share"].as_f64().unwrap());
    assert_eq!(any["items"].as_array().unwrap().len(), 6);
    // A net of two items: at least the larger, at most the sum of the two.
    let share = |id: &str| {
        items.iter().find(|i| i["id"] == id).unwrap()["share"]
            .as_f64()
            .unwrap()
    };
    let touch = nets[1]["share"].as_f64().unwrap();
    assert!(touch >= share("reach_person") && touch <= share("reach_person") + share("job_loss"));
    // Counted by hand from the file: respondents kept who chose either item.
    let rows = super::read_rows(&root().join(DATA));
    let kept: Vec<_> = rows
        .iter()
        .filter(|r| r["ai_familiarity"] != "dont_know_ai")
        .collect();
    let either = kept
        .iter()
        .filter(|r| r["concern_reach_person"] == "1" || r["concern_job_loss"] == "1")
        .count() as u64;
    assert_eq!(nets[1]["count"].as_u64(), Some(either));
    // Single choice: yes + unsure is the sum of the two shares.
    let s = &v["questions"][1];
    let net = &s["nets"][0];
    let part = |k: usize| s["items"][k]["share"].as_f64().unwrap();
    assert!((net["share"].as_f64().unwrap() - part(0) - part(1)).abs() < 1e-12);
}

#[test]
fn every_output_shows_nets_apart_from_items() {
    let md = super::run(&["table", DATA, "--format", "markdown"]);
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.contains("|  | *Net: Any concern* | 88.1% |"), "{md}");
    let text = super::run(&["table", DATA, "--by", "generation"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("Net: Yes or unsure"), "{text}");
    let csv = super::run(&["table", DATA, "--format", "csv"]);
    let csv = String::from_utf8(csv.stdout).unwrap();
    let net = csv.lines().find(|l| l.contains(",human_touch,")).unwrap();
    assert!(net.contains(",reach_person;job_loss,"), "{net}");
    let dir = tempfile::tempdir().unwrap();
    let out = concerns()
        .args(["report", DATA, "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let svg = std::fs::read_to_string(dir.path().join("figure1.svg")).unwrap();
    assert!(svg.contains("Net: Any concern"));
    assert!(svg.contains("#7A4E8C"), "nets in their own colour");
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("<tr class=\"net first\">"));
}

#[test]
fn a_filter_is_stated_in_every_output_with_its_base() {
    let v = json(&["table", DATA, "--format", "json", "--where", FILTER]);
    let rows = super::read_rows(&root().join(DATA));
    let eligible = rows
        .iter()
        .filter(|r| r["ai_familiarity"] != "dont_know_ai")
        .collect::<Vec<_>>();
    let inside = eligible
        .iter()
        .filter(|r| ["us", "gb"].contains(&r["country"].as_str()) && r["generation"] != "boomer")
        .count() as u64;
    assert_eq!(v["filter"]["expression"], FILTER);
    assert_eq!(
        v["filter"]["eligible"].as_u64(),
        Some(eligible.len() as u64)
    );
    assert_eq!(v["base"]["kept"].as_u64(), Some(inside));
    assert_eq!(
        v["base"]["filtered"].as_u64(),
        Some(eligible.len() as u64 - inside)
    );
    let n = format!("{},{:03}", inside / 1000, inside % 1000);
    assert!(inside >= 1000, "the fixture's filter keeps thousands");
    let line = format!("Filter “{FILTER}”: {n} of");
    for format in ["table", "markdown"] {
        let out = super::run(&["table", DATA, "--format", format, "--where", FILTER]);
        let text = String::from_utf8(out.stdout).unwrap().replace('\n', " ");
        assert!(text.contains(&line), "{format}: {text}");
    }
    let csv = super::run(&["table", DATA, "--format", "csv", "--where", FILTER]);
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(csv.lines().skip(1).all(|l| l.contains(FILTER)));
    let dir = tempfile::tempdir().unwrap();
    let out = concerns()
        .args(["report", DATA, "--where", FILTER, "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    for file in ["summary.md", "report.html", "figure1.svg"] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        // The chart wraps the footer: join its lines.
        let text = text.replace('\n', " ");
        assert!(text.contains(&line), "{file}");
    }
}

#[test]
fn named_filters_of_the_codebook_combine_with_expressions() {
    let dir = tempfile::tempdir().unwrap();
    let cb = dir.path().join("codebook.toml");
    let text = concerns::codebook::CANONICAL_TOML.to_string()
        + "\n[[filters]]\nid = \"anglo\"\nwhere = \"country in (us, gb)\"\nlabel.en = \"US and UK\"\n";
    std::fs::write(&cb, text).unwrap();
    let cb = cb.to_str().unwrap();
    let filtered = |expr: &str| {
        json(&[
            "table",
            DATA,
            "--codebook",
            cb,
            "--format",
            "json",
            "--where",
            expr,
        ])
    };
    let named = filtered("anglo and not generation = boomer");
    let direct = json(&["table", DATA, "--format", "json", "--where", FILTER]);
    assert_eq!(named["questions"], direct["questions"]);
    let alone = filtered("anglo");
    assert_eq!(alone["filter"]["label"], "US and UK");
    // Filters that refer to each other are refused, naming the chain.
    let looped = concerns::codebook::CANONICAL_TOML.to_string()
        + "\n[[filters]]\nid = \"a\"\nwhere = \"b\"\n\n[[filters]]\nid = \"b\"\nwhere = \"not a\"\n";
    std::fs::write(dir.path().join("codebook.toml"), looped).unwrap();
    let out = super::run(&["table", DATA, "--codebook", cb, "--where", "a"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("filter 'a' refers to itself (through a → b)"),
        "{err}"
    );
}

#[test]
fn bad_filters_exit_2_with_a_caret_under_the_place() {
    for (expr, words) in [
        ("generation = ", "character 14: expected a code"),
        (
            "country = usa",
            "'usa' is not a code of segment 'country'; did you mean 'us'?",
        ),
        ("contry = us", "did you mean 'country'?"),
        ("country in (us gb)", "expected ',' or ')'"),
        ("young", "'young' is not a filter of the codebook"),
        (
            "respondent_id = nobody",
            "none of the 5140 respondents the screener kept matches",
        ),
    ] {
        let out = super::run(&["table", DATA, "--where", expr]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{expr}: {err}");
        assert!(err.contains(words), "{expr}: {err}");
        assert!(out.stdout.is_empty());
    }
    let out = super::run(&["table", DATA, "--where", "country = usa"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.ends_with("  country = usa\n            ^\n"), "{err}");
}

#[test]
fn validate_and_chart_take_a_filter() {
    let out = super::run(&["validate", DATA, "--where", "country = xx"]);
    assert_eq!(out.status.code(), Some(2));
    let out = super::run(&["validate", DATA, "--where", "country = us"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = read_rows(&root().join(DATA));
    let kept: Vec<_> = rows
        .iter()
        .filter(|r| r["ai_familiarity"] != "dont_know_ai")
        .collect();
    let us = kept.iter().filter(|r| r["country"] == "us").count();
    let line = format!(
        "filter “country = us” matches {},{:03} of the {},{:03} respondents the screener kept",
        us / 1000,
        us % 1000,
        kept.len() / 1000,
        kept.len() % 1000
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&line),
        "{line}"
    );
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("c.svg");
    let out = concerns()
        .args(["chart", DATA, "--where", "country = us", "-o"])
        .arg(&svg)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(std::fs::read_to_string(&svg)
        .unwrap()
        .contains("Filter “country = us”"));
}
