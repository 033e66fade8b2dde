//! `--by`: per-group shares, SEs and intervals against R `survey::svyby`, and significance
//! letters against R `prop.test` + `p.adjust(method = "holm")` (tests/reference/svyby.R).

use std::collections::HashMap;

use serde_json::Value;

use super::{json, run, DATA};

const TOLERANCE: f64 = 1e-9;

fn rows(file: &str, case: &str) -> Vec<HashMap<String, String>> {
    let path = super::root().join("tests/reference").join(file);
    csv::Reader::from_path(path)
        .unwrap()
        .deserialize::<HashMap<String, String>>()
        .map(Result::unwrap)
        .filter(|r| r["case"] == case)
        .collect()
}

fn close(ours: &Value, theirs: &str, what: &str) {
    if theirs == "NaN" {
        // R's test is undefined when both groups are all 0 or all 1: we report null.
        assert!(ours.is_null(), "{what}: R gives NaN, ours {ours}");
        return;
    }
    let (a, b) = (
        ours.as_f64().unwrap_or_else(|| panic!("{what} missing")),
        theirs.parse::<f64>().unwrap(),
    );
    assert!((a - b).abs() <= TOLERANCE, "{what}: ours {a}, R {b}");
}

/// Bases are large numbers: compared relative to their size.
fn close_rel(ours: &Value, theirs: &str, what: &str) {
    let (a, b) = (ours.as_f64().unwrap(), theirs.parse::<f64>().unwrap());
    assert!(
        (a - b).abs() <= TOLERANCE * b.abs().max(1.0),
        "{what}: ours {a}, R {b}"
    );
}

fn check(case: &str, args: &[&str]) {
    let r = json(args);
    let question = |id: &str| super::find(&r["questions"], "id", id).clone();
    let groups = rows("groups_by_generation.csv", case);
    assert!(!groups.is_empty());
    for g in &groups {
        let q = question(&g["question"]);
        let group = q["by"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["value"] == g["group"].as_str())
            .unwrap();
        let item = group["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == g["item"].as_str())
            .unwrap();
        let what = format!("{case} {} {} {}", g["question"], g["group"], g["item"]);
        close(&item["share"], &g["share"], &format!("{what} share"));
        close(&item["se"], &g["se"], &format!("{what} se"));
        close(&item["ci_low"], &g["ci_low"], &format!("{what} ci_low"));
        close(&item["ci_high"], &g["ci_high"], &format!("{what} ci_high"));
        close_rel(
            &group["base"]["weighted"],
            &g["base_weighted"],
            &format!("{what} weighted base"),
        );
        close_rel(
            &group["base"]["effective"],
            &g["base_effective"],
            &format!("{what} effective base"),
        );
        assert_eq!(
            group["base"]["unweighted"].as_u64().unwrap().to_string(),
            g["base_unweighted"]
        );
    }

    // Letters: a group is higher than another where R's Holm-adjusted p < 0.05.
    let mut expected: HashMap<(String, String, String), Vec<String>> = HashMap::new();
    for t in rows("tests_by_generation.csv", case) {
        let q = question(&t["question"]);
        let cmp = q["comparisons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| {
                c["item"] == t["item"].as_str()
                    && c["groups"][0] == t["a"].as_str()
                    && c["groups"][1] == t["b"].as_str()
            })
            .unwrap_or_else(|| panic!("no comparison {:?}", t));
        let what = format!(
            "{case} {} {} {}–{}",
            t["question"], t["item"], t["a"], t["b"]
        );
        close(&cmp["p_value"], &t["p_value"], &format!("{what} p"));
        close(&cmp["p_adjusted"], &t["p_holm"], &format!("{what} Holm p"));
        if t["p_holm"].parse::<f64>().is_ok_and(|p| p < 0.05) {
            let share = |letter: &str| {
                let g = super::find(&q["by"], "letter", letter);
                let i = g["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|i| i["id"] == t["item"].as_str())
                    .unwrap();
                i["share"].as_f64().unwrap()
            };
            let (hi, lo) = if share(&t["a"]) > share(&t["b"]) {
                (&t["a"], &t["b"])
            } else {
                (&t["b"], &t["a"])
            };
            expected
                .entry((t["question"].clone(), t["item"].clone(), hi.clone()))
                .or_default()
                .push(lo.clone());
        }
    }
    let mut any_letter = false;
    for qid in ["concerns", "switch_intent"] {
        for g in question(qid)["by"].as_array().unwrap() {
            for i in g["items"].as_array().unwrap() {
                let ours: Vec<String> = i["higher_than"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_str().unwrap().to_string())
                    .collect();
                let key = (
                    qid.to_string(),
                    i["id"].as_str().unwrap().to_string(),
                    g["letter"].as_str().unwrap().to_string(),
                );
                let mut theirs = expected.get(&key).cloned().unwrap_or_default();
                theirs.sort();
                any_letter |= !ours.is_empty();
                assert_eq!(ours, theirs, "{case} letters of {key:?}");
            }
        }
    }
    if case == "weighted" {
        assert!(
            any_letter,
            "the bundled data has real generation differences"
        );
    }
}

#[test]
fn weighted_groups_match_r_svyby_and_holm_letters() {
    check(
        "weighted",
        &["table", DATA, "--by", "generation", "--format", "json"],
    );
}

#[test]
fn unweighted_groups_match_r_svyby_and_holm_letters() {
    check(
        "unweighted",
        &[
            "table",
            DATA,
            "--by",
            "generation",
            "--format",
            "json",
            "--no-weight",
        ],
    );
}

#[test]
fn small_groups_under_30_match_and_are_flagged() {
    // R's tests on groups this small, with the minimum base lifted so ours run too.
    check(
        "small_weighted",
        &[
            "table",
            "tests/fixtures/small.csv",
            "--by",
            "generation",
            "--format",
            "json",
            "--min-base",
            "0",
        ],
    );
    let r = json(&[
        "table",
        "tests/fixtures/small.csv",
        "--by",
        "generation",
        "--format",
        "json",
    ]);
    let q = &r["questions"][0];
    assert!(q["by"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g["base_flag"] == "under_30"));
    // By default groups under an effective base of 30 are not tested: no p, no letter.
    for c in q["comparisons"].as_array().unwrap() {
        assert!(c["p_value"].is_null() && c["significant"] == false, "{c}");
    }
    assert!(q["by"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["items"].as_array().unwrap())
        .all(|i| i["higher_than"].as_array().unwrap().is_empty()));
    assert_eq!(r["significance"]["min_base"], 30.0);
    let warnings = super::support::warnings(&r);
    assert!(
        warnings
            .iter()
            .any(|(code, w)| code == "small_group" && w.contains("under 30")),
        "{warnings:?}"
    );
}

#[test]
fn groups_follow_codebook_order_with_letters() {
    let r = json(&[
        "table",
        DATA,
        "--by",
        "generation",
        "--by",
        "gender",
        "--format",
        "json",
    ]);
    let by = r["questions"][0]["by"].as_array().unwrap();
    let seen: Vec<(String, String, String)> = by
        .iter()
        .map(|g| {
            (
                g["segment"].as_str().unwrap().into(),
                g["value"].as_str().unwrap().into(),
                g["letter"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expect = [
        ("generation", "gen_z", "A"),
        ("generation", "millennial", "B"),
        ("generation", "gen_x", "C"),
        ("generation", "boomer", "D"),
        ("gender", "female", "A"),
        ("gender", "male", "B"),
        ("gender", "other", "C"),
    ];
    assert_eq!(seen.len(), expect.len());
    for (s, e) in seen.iter().zip(expect) {
        assert_eq!((s.0.as_str(), s.1.as_str(), s.2.as_str()), e);
    }
    assert_eq!(by[0]["label"], "Gen Z");
}

#[test]
fn adjustment_and_alpha_change_the_letters() {
    let count = |args: &[&str]| {
        let r = json(args);
        r["questions"][0]["comparisons"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["significant"] == true)
            .count()
    };
    let base = ["table", DATA, "--by", "generation", "--format", "json"];
    let none = count(&[&base[..], &["--adjust", "none"]].concat());
    let bonferroni = count(&[&base[..], &["--adjust", "bonferroni"]].concat());
    let strict = count(&[&base[..], &["--alpha", "0.001"]].concat());
    let holm = count(&base);
    assert!(
        none >= holm && holm >= bonferroni,
        "{none} {holm} {bonferroni}"
    );
    assert!(strict <= holm);
    let r = json(&[&base[..], &["--adjust", "bh"]].concat());
    assert_eq!(r["significance"]["adjust"], "bh");
}

#[test]
fn switchers_worry_more_and_the_contrast_says_so() {
    let r = json(&["table", DATA, "--format", "json"]);
    let c = &r["contrasts"][0];
    assert_eq!(c["question"], "concerns");
    assert_eq!(c["by"], "switch_intent");
    let groups = c["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["value"], "yes");
    let reach = groups[0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "reach_person")
        .unwrap();
    assert_eq!(reach["higher_than"], serde_json::json!(["B"]));
    // Independent check of one contrast share from the raw file.
    let rows = super::read_rows(&super::root().join(DATA));
    let yes: Vec<_> = rows
        .iter()
        .filter(|r| r["ai_familiarity"] != "dont_know_ai" && r["switch_intent"] == "yes")
        .collect();
    let w: f64 = yes
        .iter()
        .map(|r| r["weight"].parse::<f64>().unwrap())
        .sum();
    let wy: f64 = yes
        .iter()
        .filter(|r| r["concern_reach_person"] == "1")
        .map(|r| r["weight"].parse::<f64>().unwrap())
        .sum();
    assert!((reach["share"].as_f64().unwrap() - wy / w).abs() < 1e-12);
}

#[test]
fn unknown_segment_is_a_usage_error() {
    let out = run(&["table", DATA, "--by", "age"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("generation"));
}

#[test]
fn grouped_chart_and_banner_report_show_groups_and_letters() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("by.svg");
    let out = super::concerns()
        .args(["chart", DATA, "--by", "generation", "-o"])
        .arg(&svg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let texts = super::report::svg_texts(&std::fs::read_to_string(&svg).unwrap());
    for label in [
        "(A) Gen Z",
        "(B) Millennials",
        "(C) Gen X",
        "(D) Baby boomers",
    ] {
        assert!(
            texts.iter().any(|t| t == label),
            "{label} missing from the legend"
        );
    }
    // Every group's share and letters, as the JSON has them, is printed at its bar.
    let r = json(&["table", DATA, "--by", "generation", "--format", "json"]);
    for g in r["questions"][0]["by"].as_array().unwrap() {
        for i in g["items"].as_array().unwrap() {
            let pct = format!("{}%", (i["share"].as_f64().unwrap() * 100.0).round());
            let letters: String = i["higher_than"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap())
                .collect();
            let expected = if letters.is_empty() {
                pct
            } else {
                format!("{pct} {letters}")
            };
            assert!(texts.contains(&expected), "{expected} missing");
        }
    }

    let out = super::concerns()
        .args(["report", DATA, "--by", "generation", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("(D) Baby boomers") && stdout.contains("ABC"),
        "{stdout}"
    );
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("| Answer | Total | (A) Gen Z |"), "{md}");
    assert!(md.contains("Holm-adjusted"));
    assert!(
        md.contains("| Answer | Yes, would consider switching | No, would not switch | Difference | Adjusted p | Significant |"),
        "one contrast table"
    );
    // The segment story: the widest significant gap of the generations, from the banner.
    assert!(
        md.contains("  - By generation, *it will be harder to reach a human agent* ranges from 47% (Gen Z) to 72% (Baby boomers)."),
        "{md}"
    );
    let csv = run(&["table", DATA, "--by", "generation", "--format", "csv"]);
    let text = String::from_utf8(csv.stdout).unwrap();
    assert_eq!(
        text.lines().count(),
        1 + (11 + 3) * 5,
        "total and four groups for 11 items and 3 nets"
    );
    assert!(text.contains(",generation,boomer,D,reach_person,"));
}

#[test]
fn extreme_weights_are_warned_about_on_stderr_and_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("heavy.csv");
    let text = std::fs::read_to_string(super::root().join(DATA)).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Respondent on row 2 gets a weight of 50, far above the median (about 1).
    let fields: Vec<&str> = lines[1].split(',').collect();
    let mut edited: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    edited[4] = "50".into();
    lines[1] = edited.join(",");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let out = super::concerns()
        .arg("table")
        .arg(&path)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: the largest weight (50)"),
        "{stderr}"
    );
    let r: Value = super::results_json(&out.stdout);
    assert!(super::support::warning(&r, "weights").contains("more than 10 times the median"));
    assert_eq!(r["warnings"][0]["params"]["max"], 50.0);
    // The bundled data has no such weight; its only warning is about partial answers.
    let warnings = json(&["table", DATA, "--format", "json"])["warnings"].clone();
    assert!(
        !warnings.to_string().contains("largest weight"),
        "{warnings}"
    );
}

#[test]
fn partial_check_all_answers_are_counted_and_said() {
    // Independently: kept respondents with some concern items blank and others answered.
    let mut reader = csv::Reader::from_path(super::root().join(DATA)).unwrap();
    let header = reader.headers().unwrap().clone();
    let concern: Vec<usize> = (0..header.len())
        .filter(|&i| header[i].starts_with("concern_") && &header[i] != "concern_other_text")
        .collect();
    let familiarity = header.iter().position(|h| h == "ai_familiarity").unwrap();
    let partial = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[familiarity] != "dont_know_ai")
        .filter(|r| {
            concern.iter().any(|&c| r[c].is_empty()) && concern.iter().any(|&c| !r[c].is_empty())
        })
        .count();
    assert!(partial > 0);
    let v = json(&["table", DATA, "--format", "json"]);
    assert_eq!(
        super::support::warnings(&v),
        [("partial_any".to_string(), format!(
            "concerns: {partial} respondents answered some items and left others blank; a blank item counts as not selected (base = \"each_item\" in the codebook gives each item its own base)"
        ))]
    );
    assert_eq!(v["warnings"][0]["params"]["respondents"], partial);
    assert_eq!(v["warnings"][0]["params"]["question"], "concerns");
}

#[test]
fn weight_picks_another_column_and_diagnostics_follow_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two-weights.csv");
    let rows = super::read_rows(&super::root().join(DATA));
    let mut w = csv::Writer::from_path(&path).unwrap();
    let mut header: Vec<String> = super::read_header(&super::root().join(DATA));
    header.push("weight_alt".into());
    w.write_record(&header).unwrap();
    for (i, r) in rows.iter().enumerate() {
        let mut rec: Vec<String> = header[..header.len() - 1]
            .iter()
            .map(|h| r[h].clone())
            .collect();
        rec.push(if i % 2 == 0 { "1" } else { "3" }.into());
        w.write_record(&rec).unwrap();
    }
    w.flush().unwrap();
    let path_s = path.to_str().unwrap();
    let r = json(&[
        "table",
        path_s,
        "--format",
        "json",
        "--weight",
        "weight_alt",
    ]);
    assert_eq!(r["weight"], "weight_alt");
    // Independent: the concern base's Σw, Σw² and design effect from the raw alternating weights.
    let kept: Vec<f64> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r["ai_familiarity"] != "dont_know_ai")
        .map(|(i, _)| if i % 2 == 0 { 1.0 } else { 3.0 })
        .collect();
    let (s, s2) = (
        kept.iter().sum::<f64>(),
        kept.iter().map(|x| x * x).sum::<f64>(),
    );
    let b = &r["questions"][0]["base"];
    assert_eq!(b["weighted"].as_f64().unwrap(), s);
    let deff = kept.len() as f64 * s2 / (s * s);
    assert!((b["design_effect"].as_f64().unwrap() - deff).abs() < 1e-12);
    assert!((b["weighting_efficiency"].as_f64().unwrap() - 1.0 / deff).abs() < 1e-12);
}

#[test]
fn compare_total_tests_each_group_against_the_rest_of_the_base() {
    use statrs::distribution::{ContinuousCDF, Normal};
    // Independently from the CSV: Gen Z against everyone else in the concern base, on the
    // first item, with the pooled two-proportion z-test on Kish effective bases.
    let mut reader = csv::Reader::from_path(super::root().join(DATA)).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let concern: Vec<usize> = (0..header.len())
        .filter(|&i| header[i].starts_with("concern_") && &header[i] != "concern_other_text")
        .collect();
    let (fam, gen, w, reach) = (
        col("ai_familiarity"),
        col("generation"),
        col("weight"),
        col("concern_reach_person"),
    );
    // (Σw, Σw², Σw·y) for Gen Z and for the rest.
    let mut sums = [[0.0f64; 3]; 2];
    for r in reader.records().map(|r| r.unwrap()) {
        if &r[fam] == "dont_know_ai" || concern.iter().all(|&c| r[c].is_empty()) {
            continue;
        }
        let k = usize::from(&r[gen] != "gen_z");
        let wt: f64 = r[w].parse().unwrap();
        let y = if &r[reach] == "1" { 1.0 } else { 0.0 };
        sums[k][0] += wt;
        sums[k][1] += wt * wt;
        sums[k][2] += wt * y;
    }
    let (p1, n1) = (
        sums[0][2] / sums[0][0],
        sums[0][0] * sums[0][0] / sums[0][1],
    );
    let (p2, n2) = (
        sums[1][2] / sums[1][0],
        sums[1][0] * sums[1][0] / sums[1][1],
    );
    let pool = (p1 * n1 + p2 * n2) / (n1 + n2);
    let z = (p1 - p2) / (pool * (1.0 - pool) * (1.0 / n1 + 1.0 / n2)).sqrt();
    let want = 2.0 * Normal::standard().cdf(-z.abs());

    let r = json(&[
        "table",
        DATA,
        "--by",
        "generation",
        "--compare",
        "total",
        "--format",
        "json",
    ]);
    assert_eq!(r["significance"]["compare"], "total");
    let q = &r["questions"][0];
    let c = q["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["item"] == "reach_person" && c["groups"] == serde_json::json!(["A", "rest"]))
        .unwrap();
    let got = c["p_value"].as_f64().unwrap();
    assert!(
        (got - want).abs() <= 1e-9 * want.max(1e-300),
        "{got} vs {want}"
    );
    // Gen Z worries less than the rest about reaching a person: marked lower.
    assert!(p1 < p2 && c["significant"] == true);
    let gen_z = &q["by"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "reach_person")
        .unwrap()
        .clone();
    assert_eq!(gen_z["versus_rest"], "lower");
    assert!(gen_z["higher_than"].as_array().unwrap().is_empty());
}
