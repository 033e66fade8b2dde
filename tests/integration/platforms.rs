//! Platform exports, Parquet and SPSS files holding the answers of
//! `tests/fixtures/platforms/canonical.csv` give exactly its numbers (fixtures written by
//! `tests/fixtures/make.py` and `make-sav.sh`, independently of this program).

use serde_json::Value;

use super::{concerns, json, succeeded};

const DIR: &str = "tests/fixtures/platforms";

/// The numbers of a JSON report: bases, items, groups, tests; without the texts, labels
/// and group values, which differ by platform (choice text vs code).
fn numbers(v: &Value) -> Value {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(k, _)| {
                        !matches!(
                            k.as_str(),
                            "label" | "value" | "title" | "text" | "note" | "kind"
                        )
                    })
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    let mut questions: Vec<Value> = v["questions"].as_array().unwrap().clone();
    questions.sort_by_key(|q| q["id"].as_str().unwrap().to_string());
    serde_json::json!({
        "base": v["base"],
        "weight_used": v["weight"].is_string(),
        "questions": strip(&Value::Array(questions)),
        "contrasts": strip(&v["contrasts"]),
    })
}

/// The path of the first place two JSON values differ.
fn first_difference(a: &Value, b: &Value, at: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, format!("{at}.{k}")),
                _ => Some(format!("{at}.{k} (present on one side only)")),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, format!("{at}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{at}: {a} vs {b}")),
    }
}

/// `table --format json` of a fixture with a codebook given as text.
fn table_with_codebook(file: &str, codebook: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let cb = dir.path().join("codebook.toml");
    std::fs::write(&cb, codebook).unwrap();
    json(&[
        "table",
        &format!("{DIR}/{file}"),
        "--codebook",
        cb.to_str().unwrap(),
        "--format",
        "json",
    ])
}

fn table(file: &str, codebook: Option<&str>) -> Value {
    let path = format!("{DIR}/{file}");
    let mut args = vec!["table", &path, "--format", "json", "--by", "generation"];
    if let Some(c) = codebook {
        args.extend(["--codebook", c]);
    }
    json(&args)
}

#[test]
fn every_export_gives_the_canonical_numbers() {
    let canonical = numbers(&table("canonical.csv", None));
    // The fixture is not trivial: weighted, with exclusions, groups and contrasts.
    assert_eq!(canonical["base"]["respondents"], 300);
    assert!(canonical["base"]["excluded"].as_u64().unwrap() > 0);
    assert_eq!(canonical["weight_used"], true);
    assert_eq!(
        canonical["questions"][0]["by"].as_array().unwrap().len(),
        4,
        "four generations"
    );
    for (file, codebook) in [
        ("qualtrics.csv", Some("docs/codebooks/qualtrics.toml")),
        ("surveymonkey.csv", Some("docs/codebooks/surveymonkey.toml")),
        ("google-forms.csv", Some("docs/codebooks/google-forms.toml")),
        ("canonical.parquet", None),
        ("survey.sav", Some("docs/codebooks/spss.toml")),
        ("survey.zsav", Some("docs/codebooks/spss.toml")),
    ] {
        let got = numbers(&table(file, codebook));
        if let Some(at) = first_difference(&got, &canonical, String::new()) {
            panic!("{file}: differs from canonical.csv at {at}");
        }
    }
}

#[test]
fn a_sav_file_describes_itself() {
    let out = succeeded(concerns().args(["codebook", "init", &format!("{DIR}/survey.sav")]));
    let text = String::from_utf8(out.stdout).unwrap();
    // From the file's multiple-response set, weight, value labels and variable labels.
    for expected in [
        "weight = \"weight\"",
        "id = \"concerns\"\nkind = \"multi_response\"",
        "text.en = \"What are your top concerns about the use of AI in customer service?\"",
        "label.en = \"AI will take people's jobs\"",
        "column = \"ai_familiarity\"\ncodes = [\"1\", \"2\", \"3\", \"9\"]\nexclude = [\"9\"]",
        "{ code = \"1\", label.en = \"Gen Z\" }",
        "label.en = \"Other\", last = true",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // The user-missing code is not offered as an answer.
    assert!(!text.contains("Prefer not to say"), "{text}");

    // The guessed codebook analyses the file as it stands.
    let v = table_with_codebook("survey.sav", &text);
    let canonical = table("canonical.csv", None);
    assert_eq!(v["base"], canonical["base"]);
    assert_eq!(v["questions"][0]["base"], canonical["questions"][0]["base"]);

    // Without --codebook, an SPSS file is read with that same dictionary.
    let out =
        succeeded(concerns().args(["table", &format!("{DIR}/survey.sav"), "--format", "json"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("its own dictionary"));
    let own: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(own["questions"], v["questions"]);
}

#[test]
fn validate_lists_every_seeded_problem_of_a_platform_export() {
    // Data starts on row 4 (three header rows); seed problems on rows 5, 9 and 12.
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(format!("{DIR}/qualtrics.csv"))
        .unwrap();
    let mut rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let set = |rows: &mut Vec<csv::StringRecord>, row: usize, col: usize, v: &str| {
        let mut fields: Vec<String> = rows[row - 1].iter().map(String::from).collect();
        fields[col] = v.to_string();
        rows[row - 1] = csv::StringRecord::from(fields);
    };
    set(&mut rows, 5, 6, "Not sure what that is"); // Q1
    set(&mut rows, 9, 7, "Maybe"); // Q2
    let q4 = rows[11][9].replacen("AI", "AI will be rude,AI", 1); // Q4
    set(&mut rows, 12, 9, &q4);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken-qualtrics.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    for row in &rows {
        w.write_record(row).unwrap();
    }
    w.flush().unwrap();
    let out = concerns()
        .arg("validate")
        .arg(&path)
        .args([
            "--codebook",
            "docs/codebooks/qualtrics.toml",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems = v["problems"].as_array().unwrap();
    let seen: Vec<(u64, &str)> = problems
        .iter()
        .map(|p| (p["row"].as_u64().unwrap(), p["column"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [(5, "Q1"), (9, "Q2"), (12, "Q4")], "{v:#}");
    assert_eq!(problems[2]["value"], "AI will be rude");
}

#[test]
fn codebook_init_recognises_platform_layouts() {
    let canonical = table("canonical.csv", None);
    let concerns_base = &canonical["questions"][0]["base"];
    let mut expected: Vec<u64> = canonical["questions"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["count"].as_u64().unwrap())
        .collect();
    expected.sort();
    for (file, marks) in [
        (
            "qualtrics.csv",
            &[
                "header_rows = 3",
                "kind = \"multi_response_delimited\"",
                "column = \"Q4\"",
            ][..],
        ),
        (
            "surveymonkey.csv",
            &[
                "header_rows = 2",
                "column_names = \"joined\"",
                "coding = \"filled\"",
            ][..],
        ),
        (
            "google-forms.csv",
            &[
                "kind = \"multi_response_delimited\"",
                "unlisted = \"other\"",
            ][..],
        ),
    ] {
        let out = succeeded(concerns().args(["codebook", "init", &format!("{DIR}/{file}")]));
        let text = String::from_utf8(out.stdout).unwrap();
        for mark in marks.iter().chain(&[
            "exclude = [\"I don't know what AI technology is\"]",
            "weight = \"weight\"",
        ]) {
            assert!(
                text.contains(mark),
                "{file}: {mark:?} missing from:\n{text}"
            );
        }
        // The guess analyses its file as it stands, and finds the concerns question.
        let v = table_with_codebook(file, &text);
        let q = &v["questions"][0];
        assert_eq!(&q["base"], concerns_base, "{file}");
        let mut counts: Vec<u64> = q["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["count"].as_u64().unwrap())
            .collect();
        counts.sort();
        if file == "google-forms.csv" {
            // A guess to edit: the choice whose text holds a comma comes out as two codes,
            // and write-ins given more than once as codes of their own; the other choices
            // are exact.
            let other = canonical["questions"][0]["items"][5]["count"].as_u64();
            for c in expected.iter().filter(|c| Some(**c) != other) {
                assert!(counts.contains(c), "{file}: {counts:?} vs {expected:?}");
            }
        } else {
            assert_eq!(counts, expected, "{file}");
        }
    }
}
