//! A user's own survey, right the first time: an analyst's small streaming-services survey
//! (a screener, a "check all" joined in one column, a 5-point scale with its top-two net,
//! a yes/no, an age segment of three groups under 100 each) gets sentences, drafts, charts
//! and outputs made for it, not for the bundled study.

use std::path::{Path, PathBuf};

use super::support::stderr;
use super::{concerns, root};

const DATA: &str = "tests/fixtures/streaming/streaming.csv";
const CODEBOOK: &str = "tests/fixtures/streaming/streaming.toml";

/// A report of the streaming survey into a new directory, with `extra` options.
fn report(extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let o = concerns()
        .args(["report", DATA, "--codebook", CODEBOOK, "--out"])
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    (dir, out)
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn sentences_are_neutral_keep_label_case_and_lead_a_scale_with_its_top_two() {
    let (_dir, out) = report(&["--by", "age"]);
    let md = read(&out, "summary.md");
    // The kind's own words, the labels as written.
    assert!(
        md.contains("of respondents in the base chose *Netflix* — the top answer to “Which streaming services do you use?”, ahead of *Prime Video* ("),
        "{md}"
    );
    for wrong in ["worry that", "*netflix*", "*prime Video*", "*disney+*"] {
        assert!(!md.contains(wrong), "{wrong} in {md}");
    }
    // The scale leads with its top-two net, not its single largest answer.
    assert!(
        md.contains("answered *Satisfied or very satisfied* to “How satisfied are you with your streaming services?”"),
        "{md}"
    );
    assert!(md.contains("answered *No* to “Would you recommend"), "{md}");
    // The shares in the sentences are the JSON's.
    let json: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    let top2 = json["questions"][1]["nets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "top2")
        .unwrap()["share"]
        .as_f64()
        .unwrap();
    assert!(md.contains(&format!(
        "**{:.0}%** of respondents in the base answered *Satisfied",
        top2 * 100.0
    )));
    // The same in the page.
    let html = read(&out, "report.html");
    assert!(html.contains("chose <em>Netflix</em>"), "{html}");
    // Russian: the neutral words of the catalogue, no stray commas.
    let (_ru, out) = report(&["--lang", "ru"]);
    let md = read(&out, "summary.md");
    assert!(
        md.contains("респондентов базы выбрали *Netflix* — самый частый ответ"),
        "{md}"
    );
    assert!(
        md.contains("респондентов базы ответили *Доволен или очень доволен* на вопрос"),
        "{md}"
    );
}

#[test]
fn a_codebook_gives_its_own_phrase_and_says_where_labels_may_be_lowercased() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(CODEBOOK)).unwrap().replacen(
        "delimiter = \";\"\n",
        "delimiter = \";\"\nheadline.en = \"pay for {answer}\"\nheadline.ru = \"платят за {answer}\"\nlowercase = [\"ru\"]\n",
        1,
    );
    let cb = dir.path().join("own.toml");
    std::fs::write(&cb, &text).unwrap();
    let out = dir.path().join("r");
    let o = concerns()
        .args(["report", DATA, "--codebook"])
        .arg(&cb)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let md = read(&out, "summary.md");
    assert!(
        md.contains("of respondents in the base pay for *Netflix* — the top answer"),
        "{md}"
    );
    // A phrase without the place of the answer is a codebook error.
    std::fs::write(&cb, text.replace("pay for {answer}", "pay for it")).unwrap();
    let o = concerns()
        .args(["table", DATA, "--codebook"])
        .arg(&cb)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("headline.en must hold {answer}"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_question_everyone_gave_one_answer_to_gets_no_headline() {
    let dir = tempfile::tempdir().unwrap();
    // The screener kept as a question: every kept respondent answered "yes".
    let text = std::fs::read_to_string(root().join(CODEBOOK)).unwrap()
        + r#"
[[questions]]
id = "uses"
kind = "single_choice"
column = "uses_streaming"
text.en = "Do you use streaming services?"
items = [
  { id = "yes", code = "yes", label.en = "Yes" },
  { id = "no", code = "no", label.en = "No" },
]
"#;
    let cb = dir.path().join("own.toml");
    std::fs::write(&cb, text).unwrap();
    let out = dir.path().join("r");
    let o = concerns()
        .args(["report", DATA, "--codebook"])
        .arg(&cb)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let md = read(&out, "summary.md");
    assert!(!md.contains("to “Do you use streaming services?”"), "{md}");
    assert_eq!(md.matches("\n- **").count(), 3, "{md}");
}

#[test]
fn a_filter_is_named_in_every_sentence_under_every_title_and_the_counts_add_up() {
    let filter = "age in ('18-34', '35-54')";
    let (_dir, out) = report(&["--where", filter]);
    let json: serde_json::Value = serde_json::from_str(&read(&out, "summary.json")).unwrap();
    let (surveyed, excluded, kept) = (
        json["base"]["respondents"].as_u64().unwrap(),
        json["base"]["excluded"].as_u64().unwrap(),
        json["base"]["kept"].as_u64().unwrap(),
    );
    let outside = json["filter"]["eligible"].as_u64().unwrap() - kept;
    assert_eq!(surveyed, excluded + outside + kept);
    let md = read(&out, "summary.md");
    let line = format!("Filter “{filter}”: {kept} of ");
    // Under the title, in the sentences, in the count line.
    let title = md.find("# Streaming services").unwrap();
    assert!(
        md[title..]
            .lines()
            .nth(2)
            .unwrap()
            .contains(&line),
        "{md}"
    );
    assert_eq!(
        md.matches(&format!("of respondents in the base ({filter})"))
            .count(),
        3,
        "{md}"
    );
    assert!(md.contains(&format!(
        "Base: {surveyed} respondents surveyed, {excluded} excluded, {outside} outside the filter, {kept} kept."
    )), "{md}");
    // The page, the terminal table, every chart.
    let html = read(&out, "report.html");
    assert!(
        html.contains("<p class=\"filter\">Filter “age in (&#39;18-34&#39;, &#39;35-54&#39;)”"),
        "{html}"
    );
    let table = concerns()
        .args(["table", DATA, "--codebook", CODEBOOK, "--where", filter])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.lines().nth(1).unwrap().starts_with(&line), "{text}");
    for chart in [
        "figure1.svg",
        "figure2_satisfaction.svg",
        "figure3_recommend.svg",
    ] {
        let texts = super::report::svg_texts(&read(&out, chart)).join(" ");
        assert!(texts.contains(&line), "{chart}: {texts}");
    }
}
