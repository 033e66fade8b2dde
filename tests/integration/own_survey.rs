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
    assert!(md[title..].lines().nth(2).unwrap().contains(&line), "{md}");
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

/// `codebook init FILE -o draft.toml` with `extra` options; the draft's text and the notes.
fn draft(file: &Path, extra: &[&str]) -> (tempfile::TempDir, PathBuf, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("draft.toml");
    let o = concerns()
        .args(["codebook", "init"])
        .arg(file)
        .arg("-o")
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    (dir, out, text, stderr(&o))
}

#[test]
fn a_windows_1252_export_from_excel_is_drafted_in_its_encoding_and_keeps_every_answer() {
    let dir = tempfile::tempdir().unwrap();
    // French answers in Windows-1252, separated by ';', CRLF: what Excel writes.
    let answers = [
        "Très satisfait",
        "Satisfait",
        "Insatisfait",
        "Très insatisfait",
    ];
    let mut text = String::from("id;satisfaction;forfait\r\n");
    for i in 0..40 {
        text.push_str(&format!(
            "r{i};{};{}\r\n",
            answers[i % 4],
            ["Basique", "Famille"][i % 2]
        ));
    }
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    let file = dir.path().join("excel.csv");
    std::fs::write(&file, &bytes).unwrap();
    let (_d, cb, draft, notes) = draft(&file, &[]);
    assert!(draft.contains("encoding = \"windows-1252\""), "{draft}");
    assert!(draft.contains("delimiter = \";\""), "{draft}");
    assert!(notes.contains("not UTF-8: read as windows-1252"), "{notes}");
    for a in answers {
        assert!(
            draft.contains(&format!("code = \"{a}\"")),
            "{a} missing: {draft}"
        );
    }
    // Later commands need no flag, and every respondent counts: 10 per answer.
    let o = concerns()
        .arg("table")
        .arg(&file)
        .arg("--codebook")
        .arg(&cb)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let q = &v["questions"][0];
    assert_eq!(q["base"]["unweighted"], 40);
    assert!(
        q["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["count"] == 10),
        "{q}"
    );
}

#[test]
fn a_public_use_file_gets_its_id_weight_and_design_and_its_scores_are_left_out() {
    let file = root().join("tests/fixtures/public/school.csv");
    let (_d, cb, draft, notes) = draft(&file, &[]);
    assert!(draft.contains("respondent_id = \"cds\""), "{draft}");
    // `pw`, not `growth` (a score change with negative values).
    assert!(draft.contains("weight = \"pw\""), "{draft}");
    assert!(
        notes.contains("weight: 'pw' (named like a weight"),
        "{notes}"
    );
    assert!(
        draft.contains("[design]\nstrata = \"stratum\"\nfpc = \"fpc\""),
        "{draft}"
    );
    assert!(
        notes.contains("design: strata 'stratum', fpc 'fpc'"),
        "{notes}"
    );
    // The scores, percentages and counts are not questions of dozens of answers.
    for measure in ["pcttest", "api00", "growth", "acs.k3"] {
        assert!(
            !draft.contains(&format!("column = \"{measure}\"")),
            "{measure}: {draft}"
        );
        assert!(
            notes.contains(&format!("'{measure}'")),
            "{measure} not named: {notes}"
        );
    }
    assert!(draft.contains("column = \"yr.rnd\""), "{draft}");
    // The draft reads the file with its design.
    let o = concerns()
        .arg("table")
        .arg(&file)
        .arg("--codebook")
        .arg(&cb)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["weight"], "pw");
    assert_eq!(v["design"]["strata"], "stratum");
}

#[test]
fn a_rating_scale_is_drafted_in_its_order_with_its_top_two_leading() {
    let dir = tempfile::tempdir().unwrap();
    let scale = [
        "Very satisfied",
        "Satisfied",
        "Neither satisfied nor dissatisfied",
        "Dissatisfied",
        "Very dissatisfied",
    ];
    let mut csv = String::from("id,satisfaction,prefer_no_ai\n");
    for i in 0..60 {
        // Most frequent first would be the wrong order: satisfied answers are commonest.
        let a = scale[[0, 1, 1, 1, 2, 3, 4, 0, 1, 1][i % 10]];
        csv.push_str(&format!("r{i},{a},{}\n", ["yes", "no", "yes"][i % 3]));
    }
    let file = dir.path().join("scale.csv");
    std::fs::write(&file, csv).unwrap();
    let (_d, cb, draft, _) = draft(&file, &[]);
    let at = |s: &str| draft.find(&format!("code = \"{s}\"")).unwrap();
    let positions: Vec<usize> = scale.iter().rev().map(|s| at(s)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{draft}");
    assert!(
        draft.contains(
            "{ id = \"top2\", items = [\"satisfied\", \"very_satisfied\"], headline = true"
        ),
        "{draft}"
    );
    assert!(draft.contains("id = \"bottom2\""), "{draft}");
    // The report leads with the top two, and a scale shows no rank column.
    let out = dir.path().join("r");
    let o = concerns()
        .arg("report")
        .arg(&file)
        .arg("--codebook")
        .arg(&cb)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let md = read(&out, "summary.md");
    assert!(
        md.contains("answered *Very satisfied or Satisfied* to “satisfaction”"),
        "{md}"
    );
    let section = &md[md.find("Question: satisfaction").unwrap()..];
    assert!(
        !section.lines().nth(2).unwrap().contains("Rank"),
        "{section}"
    );
}

/// The fill colours of the legend's swatches and the bars of a chart, in order of first use.
fn fills(svg: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for rect in svg.split("<rect").skip(1) {
        let tag = rect.split('>').next().unwrap();
        if let Some(at) = tag.find("fill=\"#") {
            let colour = tag[at + 6..at + 13].to_string();
            if colour != "#FFFFFF" && !seen.contains(&colour) {
                seen.push(colour);
            }
        }
    }
    seen
}

/// The luminance of "#RRGGBB", 0 to 255.
fn lightness(colour: &str) -> f64 {
    let c = |k: usize| u8::from_str_radix(&colour[1 + 2 * k..3 + 2 * k], 16).unwrap() as f64;
    0.2126 * c(0) + 0.7152 * c(1) + 0.0722 * c(2)
}

#[test]
fn groups_under_a_hundred_keep_their_own_colours_and_each_chart_its_own_title() {
    // Every age group is under 100 respondents: each is marked, none loses its colour.
    let (_dir, out) = report(&["--by", "age"]);
    let svg = read(&out, "figure1.svg");
    let colours = fills(&svg);
    assert_eq!(colours.len(), 3, "three groups, three colours: {colours:?}");
    // Told apart at a glance: their lightness differs, not only their hue.
    let mut l: Vec<f64> = colours.iter().map(|c| lightness(c)).collect();
    l.sort_by(f64::total_cmp);
    assert!(
        l.windows(2).all(|w| w[1] - w[0] > 15.0),
        "{colours:?} are too alike ({l:?})"
    );
    // The low bases are marked in the legend, by the mark and not by a colour.
    for group in ["(A) 18–34 *", "(B) 35–54 *", "(C) 55 and over *"] {
        assert!(svg.contains(group), "{group} in the legend");
    }
    // The bundled study with two segments: figure 1 and 1b, each titled with its segment.
    let dir = tempfile::tempdir().unwrap();
    let o = super::report::report(dir.path(), &["--by", "generation", "--by", "gender"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Titles wrap over lines in the drawing: the words of each, in order.
    let words = |name: &str| super::report::svg_texts(&read(dir.path(), name)).join(" ");
    let first = words("figure1.svg");
    let second = words("figure1_by_gender.svg");
    assert!(first.starts_with("Figure 1. Customers"), "{first}");
    assert!(second.starts_with("Figure 1b. Customers"), "{second}");
    assert!(first.contains("— by generation") && second.contains("— by gender"));
}
