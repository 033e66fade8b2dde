//! User codebooks: `--codebook FILE`, `codebook init`, and errors that name the line.

use super::{concerns, json, root, succeeded, DATA};

/// Per question: id, base and (item id, share), sorted.
type Numbers = Vec<(String, u64, Vec<(String, f64)>)>;

fn numbers(r: &serde_json::Value) -> Numbers {
    r["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            let mut items: Vec<(String, f64)> = q["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    (
                        i["id"].as_str().unwrap().to_string(),
                        i["share"].as_f64().unwrap(),
                    )
                })
                .collect();
            items.sort_by(|a, b| a.0.cmp(&b.0));
            (
                q["id"].as_str().unwrap().to_string(),
                q["base"]["unweighted"].as_u64().unwrap(),
                items,
            )
        })
        .collect()
}

#[test]
fn a_guessed_codebook_reproduces_the_canonical_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("guess.toml");
    succeeded(concerns().args(["codebook", "init", DATA, "-o"]).arg(&toml));
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(text.contains("exclude = [\"dont_know_ai\"]"), "{text}");
    let guessed = json(&[
        "table",
        DATA,
        "--format",
        "json",
        "--codebook",
        toml.to_str().unwrap(),
    ]);
    let canonical = json(&["table", DATA, "--format", "json"]);
    assert_eq!(guessed["base"], canonical["base"]);
    let g = numbers(&guessed);
    let c = numbers(&canonical);
    // Guessed question ids are column stems ("concern"); the numbers are the same.
    assert_eq!(g.len(), 3);
    let find = |v: &Numbers, id: &str| v.iter().find(|q| q.0 == id).unwrap().clone();
    assert_eq!(find(&g, "concern").1, find(&c, "concerns").1);
    assert_eq!(find(&g, "concern").2, find(&c, "concerns").2);
    assert_eq!(find(&g, "switch_intent"), find(&c, "switch_intent"));
}

#[test]
fn any_survey_with_its_own_codebook() {
    // A differently named survey: columns renamed, codes kept.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("pilot.csv");
    let text = std::fs::read_to_string(root().join(DATA)).unwrap();
    let header_end = text.find('\n').unwrap();
    let header = text[..header_end]
        .replace("respondent_id", "rid")
        .replace("ai_familiarity", "aware")
        .replace("concern_reach_person", "w_reach")
        .replace("concern_other,", "w_other,");
    std::fs::write(&data, format!("{header}{}", &text[header_end..])).unwrap();
    let codebook = dir.path().join("pilot.toml");
    std::fs::write(
        &codebook,
        r#"respondent_id = "rid"
weight = "weight"

[survey]
id = "pilot"
title.en = "What worries customers"

[[exclude]]
column = "aware"
codes = ["very_familiar", "somewhat_familiar", "not_very_familiar", "dont_know_ai"]
exclude = ["dont_know_ai"]
note.en = "Respondents not aware of AI are excluded."

[[questions]]
id = "worries"
kind = "multi_response"
text.en = "What worries you?"

[[questions.items]]
id = "other"
column = "w_other"
last = true
label.en = "Other"

[[questions.items]]
id = "reach"
column = "w_reach"
label.en = "Reaching a person"
"#,
    )
    .unwrap();
    let r = json(&[
        "table",
        data.to_str().unwrap(),
        "--format",
        "json",
        "--codebook",
        codebook.to_str().unwrap(),
    ]);
    let canonical = json(&["table", DATA, "--format", "json"]);
    assert_eq!(r["base"], canonical["base"]);
    let items = r["questions"][0]["items"].as_array().unwrap();
    assert_eq!(items[0]["id"], "reach", "Other stays last");
    assert_eq!(items[1]["id"], "other");
    // The base differs (two items, not six), so compare counts, which do not depend on it.
    let concern = |id: &str| {
        canonical["questions"][0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(items[0]["count"], concern("reach_person")["count"]);
    assert_eq!(items[1]["count"], concern("other")["count"]);
}

#[test]
fn a_codebook_error_names_the_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let codebook = dir.path().join("bad.toml");
    std::fs::write(&codebook, "[survey]\nid = \"x\"\ntitle.en = \"t\"\n\n[[questions]]\nid = \"q\"\nkind = \"multi_response\"\ncolum = \"a\"\n").unwrap();
    let out = concerns()
        .args(["table", DATA, "--codebook"])
        .arg(&codebook)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("line 8") && stderr.contains("colum"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn every_codebook_error_exits_1_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let canonical = std::fs::read_to_string(root().join("codebooks/canonical.toml")).unwrap();
    for (name, text, words) in [
        (
            "delimiter.toml",
            format!("{canonical}\n[input]\ndelimiter = \"x\"\n"),
            "[input] delimiter = 'x' is not one of",
        ),
        (
            "rows.toml",
            format!("{canonical}\n[input]\nheader_rows = 0\n"),
            "header_rows = 0",
        ),
        (
            "id.toml",
            canonical.replacen("id = \"concerns\"", "id = \"con cerns\"", 1),
            "con cerns",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = concerns()
            .args(["table", DATA, "--codebook"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains(name) && stderr.contains(words),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn errors_say_what_to_do() {
    // `--by a,b`: one option per segment.
    let o = concerns()
        .args(["table", DATA, "--by", "gender,generation"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("repeat --by for each segment: --by gender --by generation"),
        "{err}"
    );
    // A typo in a net's item: the item it was meant to be.
    let canonical = std::fs::read_to_string(root().join("codebooks/canonical.toml")).unwrap();
    let net = "items = [\"reach_person\", \"job_loss\"]";
    assert!(canonical.contains(net));
    let typo = canonical.replacen(net, "items = [\"reach_persn\", \"job_loss\"]", 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.toml");
    std::fs::write(&path, typo).unwrap();
    let o = concerns()
        .args(["table", DATA, "--codebook"])
        .arg(&path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("'reach_persn' is not one of its item ids; did you mean 'reach_person'?"),
        "{err}"
    );
}
