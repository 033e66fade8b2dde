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
                            "label"
                                | "value"
                                | "title"
                                | "text"
                                | "note"
                                | "kind"
                                // How sentences read: the wording, not the numbers.
                                | "headline"
                                | "lowercase"
                                | "segment_lowercase"
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
        ("types.parquet", None),
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
    let own: Value = super::results_json(&out.stdout);
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

/// A question's numbers without its names: the base, and every item's count, weighted
/// count, share and SE, sorted (a draft names items by their text, the canonical codebook
/// by hand); per group of `--by generation`, the same in letter order.
fn question_numbers(q: &Value) -> Value {
    fn items(list: &Value) -> Value {
        let mut v: Vec<Value> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let i = i.get("item").unwrap_or(i);
                serde_json::json!([i["count"], i["weighted_count"], i["share"], i["se"]])
            })
            .collect();
        v.sort_by_key(|x| x.to_string());
        Value::Array(v)
    }
    let groups: Vec<Value> = q["by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| serde_json::json!({"letter": g["letter"], "base": g["base"], "items": items(&g["items"])}))
        .collect();
    serde_json::json!({"base": q["base"], "items": items(&q["items"]), "groups": groups})
}

/// Asserts that `got` excludes as `want` does and has a question with the numbers of each
/// of `want`'s questions (`what` names the case).
fn same_numbers(got: &Value, want: &Value, what: &str) {
    assert_eq!(got["base"], want["base"], "who is excluded: {what}");
    for q in want["questions"].as_array().unwrap() {
        let numbers = question_numbers(q);
        let found = got["questions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| question_numbers(g) == numbers);
        assert!(
            found,
            "no question has the numbers of '{}': {what}",
            q["id"]
        );
    }
}

/// `codebook init` of a fixture, its notes, and `table --by generation` with that draft
/// used unchanged.
fn drafted(file: &str) -> (String, String, Value) {
    let out = succeeded(concerns().args(["codebook", "init", &format!("{DIR}/{file}")]));
    let text = String::from_utf8(out.stdout).unwrap();
    let notes = String::from_utf8(out.stderr).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cb = dir.path().join("draft.toml");
    std::fs::write(&cb, &text).unwrap();
    let v = json(&[
        "table",
        &format!("{DIR}/{file}"),
        "--codebook",
        cb.to_str().unwrap(),
        "--by",
        "generation",
        "--format",
        "json",
    ]);
    (text, notes, v)
}

#[test]
fn a_drafted_codebook_used_unchanged_gives_the_canonical_numbers() {
    let canonical = table("canonical.csv", None);
    let questions = canonical["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 3);
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
                // The choice whose text holds a comma is one code, not two.
                "code = \"It will be harder to reach a human agent, not a bot\"",
            ][..],
        ),
        (
            "qualtrics-numeric.csv",
            &["header_rows = 3", "exclude = [\"4\"]"][..],
        ),
    ] {
        let (text, notes, v) = drafted(file);
        for mark in marks
            .iter()
            .chain(&["weight = \"weight\"", "order = \"codebook\""])
        {
            assert!(
                text.contains(mark),
                "{file}: {mark:?} missing from:\n{text}"
            );
        }
        same_numbers(&v, &canonical, &format!("{file}:\n{text}"));
        // Write-in text is neither a question nor an item; export metadata is no question.
        assert_eq!(
            v["questions"].as_array().unwrap().len(),
            3,
            "{file}:\n{text}"
        );
        assert!(!text.contains("Q4_6_TEXT\"\nkind"), "{file}");
        if file == "qualtrics-numeric.csv" {
            // It says plainly what it could not know.
            assert!(notes.contains("no labels for them"), "{notes}");
            assert!(
                notes.contains("assumed to be the \"don't know\" answer"),
                "{notes}"
            );
            assert!(text.contains("# - screener: 'Q1'"), "{text}");
        }
    }
}

#[test]
fn drafted_ids_are_short_words_and_answers_keep_questionnaire_order() {
    let (text, _, _) = drafted("qualtrics.csv");
    let codebook: toml::Value = toml::from_str(&text).unwrap();
    let ids: Vec<&str> = codebook["questions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|q| {
            std::iter::once(q["id"].as_str().unwrap()).chain(
                q["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["id"].as_str().unwrap()),
            )
        })
        .collect();
    for id in &ids {
        assert!(
            id.len() <= 40
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{id}"
        );
    }
    assert!(ids.contains(&"top_concerns_use_ai"), "{ids:?}");
    // Segment values in age order (letters A–D youngest first), scales in their order.
    let generation = codebook["segments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"].as_str() == Some("generation"))
        .unwrap();
    let codes: Vec<&str> = generation["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "Gen Z (born 1997–2012)",
            "Millennial (born 1981–1996)",
            "Gen X (born 1965–1980)",
            "Baby boomer (born 1946–1964)"
        ]
    );
    let screener = &codebook["exclude"][0]["codes"];
    assert_eq!(
        screener.as_array().unwrap()[0].as_str(),
        Some("Very familiar"),
        "{screener}"
    );
    let switch: Vec<&str> = codebook["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["column"].as_str() == Some("Q3"))
        .unwrap()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(switch, ["Yes", "Not sure", "No"]);
}

#[test]
fn codebook_init_never_overwrites_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("survey.toml");
    std::fs::write(&out, "# hand-edited\n").unwrap();
    let data = format!("{DIR}/google-forms.csv");
    let o = concerns()
        .args(["codebook", "init", &data, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "# hand-edited\n");
    succeeded(
        concerns()
            .args(["codebook", "init", &data, "--force", "-o"])
            .arg(&out),
    );
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("[[questions]]"));
}

/// A platform codebook with some lines left out, written to a temporary file.
fn codebook_without(dir: &std::path::Path, name: &str, drop: &[&str]) -> std::path::PathBuf {
    let text = std::fs::read_to_string(super::root().join("docs/codebooks").join(name)).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !drop.iter().any(|d| l.starts_with(d)))
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, kept.join("\n")).unwrap();
    path
}

fn failure(args: &[&std::ffi::OsStr]) -> String {
    let o = concerns().args(args).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn messages_point_at_the_layout_setting_that_would_fix_them() {
    let dir = tempfile::tempdir().unwrap();
    // Qualtrics read with one header row: its second header row is taken for a respondent.
    let table = |file: &str, codebook: &std::path::Path| {
        failure(&[
            "table".as_ref(),
            format!("{DIR}/{file}").as_ref(),
            "--codebook".as_ref(),
            codebook.as_os_str(),
        ])
    };
    let q = codebook_without(dir.path(), "qualtrics.toml", &["header_rows"]);
    let err = table("qualtrics.csv", &q);
    assert!(err.contains("row 2, column 'weight'"), "{err}");
    assert!(err.contains("set [input] header_rows"), "{err}");
    // SurveyMonkey without its layout: the two header rows are named.
    let sm = codebook_without(
        dir.path(),
        "surveymonkey.toml",
        &["header_rows", "column_names", "[input]"],
    );
    let err = table("surveymonkey.csv", &sm);
    assert!(err.contains("column_names = \"joined\""), "{err}");
    // Google Forms write-ins without `unlisted`: the setting is named with its item.
    let g = codebook_without(dir.path(), "google-forms.toml", &["unlisted"]);
    let err = table("google-forms.csv", &g);
    assert!(
        err.contains("set unlisted = \"other\" on question 'concerns'"),
        "{err}"
    );
    // A misspelt segment gets the closest one.
    let o = concerns()
        .args([
            "table",
            "data/ai-customer-service-2023.csv",
            "--by",
            "generatoin",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean 'generation'?"));
}

#[test]
fn validate_and_table_refuse_a_missing_segment_column_alike() {
    let dir = tempfile::tempdir().unwrap();
    // The codebook's gender segment names a column the file does not have.
    let text = std::fs::read_to_string(super::root().join("docs/codebooks/qualtrics.toml"))
        .unwrap()
        .replace("column = \"Q7\"", "column = \"Q7_gender\"");
    let cb = dir.path().join("cb.toml");
    std::fs::write(&cb, text).unwrap();
    let data = format!("{DIR}/qualtrics.csv");
    let table = failure(&[
        "table".as_ref(),
        data.as_ref(),
        "--codebook".as_ref(),
        cb.as_os_str(),
        "--by".as_ref(),
        "gender".as_ref(),
    ]);
    assert!(table.contains("column 'Q7_gender'"), "{table}");
    let o = concerns()
        .args(["validate", &data, "--codebook"])
        .arg(&cb)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("column 'Q7_gender' (segment 'gender' of the codebook) is missing"),
        "{out}"
    );
    // --max-problems limits header problems too.
    let o = concerns()
        .args(["validate", &data, "--max-problems", "0", "--codebook"])
        .arg(&cb)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("Q7_gender"), "{out}");
    assert!(out.contains("1 more problems"), "{out}");
}

/// Fresh exports made the way the fixtures are (tests/fixtures/make.py), from another
/// slice of the bundled data: the draft of each, unchanged, gives that slice's numbers.
#[test]
fn drafts_of_fresh_exports_give_the_numbers_of_their_data() {
    const CONCERNS: [&str; 6] = [
        "It will be harder to reach a human agent",
        "AI will take people's jobs",
        "AI will give wrong answers",
        "My data will be less secure",
        "AI bias will make service unequal",
        "Other",
    ];
    let text = |col: &str, v: &str| -> String {
        let t = match (col, v) {
            ("ai_familiarity", "very_familiar") => "Very familiar",
            ("ai_familiarity", "somewhat_familiar") => "Somewhat familiar",
            ("ai_familiarity", "not_very_familiar") => "Not very familiar",
            ("ai_familiarity", "dont_know_ai") => "I don't know what AI technology is",
            ("prefer_no_ai" | "switch_intent", "yes") => "Yes",
            ("prefer_no_ai" | "switch_intent", "no") => "No",
            ("switch_intent", "unsure") => "Not sure",
            ("generation", "gen_z") => "Gen Z (born 1997–2012)",
            ("generation", "millennial") => "Millennial (born 1981–1996)",
            ("generation", "gen_x") => "Gen X (born 1965–1980)",
            ("generation", "boomer") => "Baby boomer (born 1946–1964)",
            ("gender", "female") => "Woman",
            ("gender", "male") => "Man",
            ("gender", "other") => "Another gender",
            (_, v) => v,
        };
        t.to_string()
    };
    let mut reader = csv::Reader::from_path(super::root().join(super::DATA)).unwrap();
    let header = reader.headers().unwrap().clone();
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .skip(2000)
        .take(800)
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let concern_cols: Vec<usize> = (8..14).collect();
    for r in &mut rows {
        // No export can say "asked, chose nothing": such respondents were not asked.
        if concern_cols.iter().all(|&c| r[c] != "1") {
            for &c in &concern_cols {
                r[c].clear();
            }
            r[14].clear();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, head: Vec<Vec<String>>, body: Vec<Vec<String>>| {
        let mut w = csv::Writer::from_path(dir.path().join(name)).unwrap();
        for r in head.iter().chain(&body) {
            w.write_record(r).unwrap();
        }
        w.flush().unwrap();
    };
    write(
        "canonical.csv",
        vec![header.iter().map(String::from).collect()],
        rows.clone(),
    );
    let chosen = |r: &Vec<String>| -> Vec<usize> { (0..6).filter(|&k| r[8 + k] == "1").collect() };
    let other = |r: &Vec<String>| {
        if r[14].is_empty() {
            "Something else".to_string()
        } else {
            r[14].clone()
        }
    };
    let answers = |r: &Vec<String>| {
        [
            text("ai_familiarity", &r[at("ai_familiarity")]),
            text("prefer_no_ai", &r[at("prefer_no_ai")]),
            text("switch_intent", &r[at("switch_intent")]),
        ]
    };
    let people = |r: &Vec<String>| {
        [
            r[at("country")].clone(),
            text("generation", &r[at("generation")]),
            text("gender", &r[at("gender")]),
            r[at("weight")].clone(),
        ]
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    // Qualtrics, choice text.
    let q_names = s(&[
        "ResponseId",
        "Q1",
        "Q2",
        "Q3",
        "Q4",
        "Q4_6_TEXT",
        "Q5",
        "Q6",
        "Q7",
        "weight",
    ]);
    let q_texts = s(&[
        "Response ID",
        "How familiar are you with AI technology?",
        "Would you prefer that companies did not use AI in customer service?",
        "Would you consider switching to a competitor if a company used AI for customer service?",
        "What are your top concerns? Select all that apply. - Selected Choice",
        "What are your top concerns? Select all that apply. - Other - Text",
        "Which country do you live in?",
        "Which generation do you belong to?",
        "What is your gender?",
        "weight",
    ]);
    let q_imports: Vec<String> = q_names
        .iter()
        .map(|n| format!("{{\"ImportId\": \"{n}\"}}"))
        .collect();
    let qualtrics: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let picks = chosen(r);
            let mut row = vec![r[0].clone()];
            row.extend(answers(r));
            row.push(
                picks
                    .iter()
                    .map(|&k| CONCERNS[k])
                    .collect::<Vec<_>>()
                    .join(","),
            );
            row.push(if picks.contains(&5) {
                other(r)
            } else {
                String::new()
            });
            row.extend(people(r));
            row
        })
        .collect();
    write(
        "qualtrics.csv",
        vec![q_names, q_texts, q_imports],
        qualtrics,
    );
    // SurveyMonkey: a column per choice holding its text.
    let mut first = s(&[
        "Respondent ID",
        "How familiar are you with AI technology?",
        "Would you prefer that companies did not use AI in customer service?",
        "Would you consider switching to a competitor if a company used AI for customer service?",
        "What are your top concerns?",
        "",
        "",
        "",
        "",
        "",
    ]);
    first.extend(s(&[
        "Which country do you live in?",
        "Which generation do you belong to?",
        "What is your gender?",
        "weight",
    ]));
    let mut second = s(&["", "Response", "Response", "Response"]);
    second.extend(CONCERNS[..5].iter().map(|c| c.to_string()));
    second.extend(s(&[
        "Other (please specify)",
        "Response",
        "Response",
        "Response",
        "",
    ]));
    let monkey: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let picks = chosen(r);
            let mut row = vec![r[0].trim_start_matches("syn-").to_string()];
            row.extend(answers(r));
            for k in 0..6 {
                row.push(match (picks.contains(&k), k) {
                    (false, _) => String::new(),
                    (true, 5) => other(r),
                    (true, k) => CONCERNS[k].to_string(),
                });
            }
            row.extend(people(r));
            row
        })
        .collect();
    write("surveymonkey.csv", vec![first, second], monkey);
    // Google Forms: choices joined by ", ", one holding a comma, write-ins as typed.
    let g_header = s(&[
        "Timestamp",
        "How familiar are you with AI technology?",
        "Would you prefer that companies did not use AI in customer service?",
        "Would you consider switching to a competitor if a company used AI for customer service?",
        "What are your top concerns?",
        "Which country do you live in?",
        "Which generation do you belong to?",
        "What is your gender?",
        "weight",
    ]);
    let google: Vec<Vec<String>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let words: Vec<String> = chosen(r)
                .iter()
                .map(|&k| match k {
                    0 => "It will be harder to reach a human agent, not a bot".to_string(),
                    5 => other(r),
                    k => CONCERNS[k].to_string(),
                })
                .collect();
            let mut row = vec![format!("2024/01/{:02} 10:00:00 AM GMT", 1 + i % 28)];
            row.extend(answers(r));
            row.push(words.join(", "));
            row.extend(people(r));
            row
        })
        .collect();
    write("google-forms.csv", vec![g_header], google);

    let path = |f: &str| dir.path().join(f).to_string_lossy().into_owned();
    let canonical = json(&[
        "table",
        &path("canonical.csv"),
        "--by",
        "generation",
        "--format",
        "json",
    ]);
    assert_eq!(canonical["base"]["respondents"], 800);
    for file in ["qualtrics.csv", "surveymonkey.csv", "google-forms.csv"] {
        let out = succeeded(concerns().args(["codebook", "init", &path(file)]));
        let cb = dir.path().join(format!("{file}.toml"));
        std::fs::write(&cb, &out.stdout).unwrap();
        let v = json(&[
            "table",
            &path(file),
            "--codebook",
            cb.to_str().unwrap(),
            "--by",
            "generation",
            "--format",
            "json",
        ]);
        let draft = String::from_utf8_lossy(&out.stdout);
        same_numbers(&v, &canonical, &format!("{file}:\n{draft}"));
    }
}

#[test]
fn a_parquet_column_of_dates_is_refused_when_needed_and_ignored_when_not() {
    let path = format!("{DIR}/types.parquet");
    // Not needed: the file reads (every-export test above compares its numbers).
    succeeded(concerns().args(["table", &path]));
    let o = concerns()
        .args(["table", &path, "--where", "interviewed = \"2023-05-01\""])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("types.parquet")
            && err.contains("column \"interviewed\" holds Date32")
            && err.contains("expected text, integers, decimals or booleans"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}
