//! `--lang ru`: every output speaks Russian — the terminal table, warnings, Markdown,
//! summary.md, report.html, the workbook and the JSON warnings — with Russian number
//! formats. A word of the English interface anywhere fails the test.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Reader, Xlsx};

use super::{concerns, json, markup_text, DATA};

/// Words of the English interface (from locales/en.toml and the legends), never Russian.
/// (`base` and `share` are left out: `base = "each_item"` is a codebook key, quoted as is.)
const ENGLISH: [&str; 42] = [
    "Answer",
    "Share",
    "Total",
    "Base",
    "Count",
    "Rank",
    "Question",
    "Figure",
    "Contrast",
    "Difference",
    "Significant",
    "Significance",
    "Headline",
    "Bases",
    "Weighted",
    "Unweighted",
    "respondents",
    "respondent",
    "excluded",
    "weighted",
    "effective",
    "answered",
    "worry",
    "among",
    "ahead",
    "ranges",
    "Synthetic",
    "Letters",
    "Whiskers",
    "Note",
    "Source",
    "Input",
    "Standard",
    "interval",
    "Sheet",
    "Contents",
    "Sig",
    "yes",
    "unreliable",
    "blank",
    "selected",
    "By",
];

fn english_words(what: &str, text: &str) {
    let found: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| ENGLISH.contains(w))
        .collect();
    assert!(
        found.is_empty(),
        "{what}: English words {found:?} in\n{text}"
    );
}

#[test]
fn russian_outputs_hold_no_english_interface_word() {
    let dir = tempfile::tempdir().unwrap();
    let o = concerns()
        .env("COLUMNS", "100")
        .args([
            "report",
            DATA,
            "--lang",
            "ru",
            "--by",
            "generation",
            "--by",
            "gender",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8(o.stdout).unwrap();
    english_words("terminal table", &table);
    assert!(
        table.contains("Всего") && table.contains("5\u{a0}140"),
        "{table}"
    );
    let stderr = String::from_utf8(o.stderr).unwrap();
    let warnings: String = stderr
        .lines()
        .filter(|l| l.starts_with("предупреждение: "))
        .map(|l| l.trim_start_matches("предупреждение: "))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!warnings.is_empty());
    english_words("warnings", &warnings);

    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    english_words("summary.md", &summary);
    assert!(summary.contains("## Главные выводы") && summary.contains("**60\u{a0}%**"));

    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("<html lang=\"ru\">"));
    english_words("report.html", &markup_text(&html));

    let xlsx = std::fs::read(dir.path().join("banners.xlsx")).unwrap();
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    assert_eq!(book.sheet_names()[0], "Содержание");
    for name in book.sheet_names().to_vec() {
        let range = book.worksheet_range(&name).unwrap();
        let cells: Vec<String> = range.cells().map(|(_, _, d)| d.to_string()).collect();
        english_words(&format!("banners.xlsx {name}"), &cells.join("\n"));
    }

    let md = String::from_utf8(
        concerns()
            .args(["table", DATA, "--lang", "ru", "--format", "md"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    english_words("table --format md", &md);
    // Russian numbers: a decimal comma, a space before %, spaces between thousands.
    assert!(
        md.contains("| 60,0\u{a0}% | 58,5–61,5 | 3\u{a0}084 |"),
        "{md}"
    );

    // The JSON keeps each warning's code and its English message; the terminal said it in
    // Russian (above).
    let v = json(&["table", DATA, "--lang", "ru", "--format", "json"]);
    let warnings = super::support::warnings(&v);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].0, "partial_any");
    assert!(
        warnings[0].1.contains("answered some items"),
        "{warnings:?}"
    );
    assert!(stderr.contains("ответили на часть пунктов"), "{stderr}");
}

#[test]
fn english_stays_english() {
    let md = String::from_utf8(
        concerns()
            .args(["table", DATA, "--format", "md"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(
        md.contains("| 1 | It will be harder to reach a human agent | 60.0% | 58.5–61.5 | 3,084 |"),
        "{md}"
    );
    assert!(!md.chars().any(|c| ('а'..='я').contains(&c)), "{md}");
}
