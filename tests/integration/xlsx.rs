//! The banner workbook (`table --format xlsx -o FILE`, `banners.xlsx` in a report): read back
//! with calamine, every number equals the JSON of the same run; raw parts of the file show
//! the percent format, frozen panes, the landscape fit-to-width page and the fixed date.

use std::io::{Cursor, Read};
use std::path::Path;

use calamine::{open_workbook_from_rs, Data, Range, Reader, Xlsx};
use serde_json::Value;

use super::{json, run, DATA};

const ARGS: [&str; 6] = ["table", DATA, "--by", "generation", "--by", "gender"];

fn workbook(dir: &Path, extra: &[&str]) -> Vec<u8> {
    let path = dir.join("banners.xlsx");
    let mut args = ARGS.to_vec();
    args.extend(extra);
    args.extend(["--format", "xlsx", "-o", path.to_str().unwrap()]);
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read(path).unwrap()
}

fn text(range: &Range<Data>, row: u32, col: u32) -> String {
    match range.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => panic!("({row}, {col}): {other:?} is not text"),
    }
}

fn number(range: &Range<Data>, row: u32, col: u32) -> f64 {
    match range.get_value((row, col)) {
        Some(Data::Float(x)) => *x,
        Some(Data::Int(x)) => *x as f64,
        other => panic!("({row}, {col}): {other:?} is not a number"),
    }
}

/// The XML of one part of the workbook.
fn part(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// Every cell of a question sheet checked against the JSON question `q`: the head of the
/// total's column is `total`; each item has a row per cell of `cells` ("share", "count",
/// "ci"), under the three base rows.
fn check_sheet(range: &Range<Data>, q: &Value, total: &str, cells: &[&str]) {
    assert_eq!(text(range, 0, 0), q["title"].as_str().unwrap());
    assert_eq!(text(range, 1, 0), q["text"].as_str().unwrap());
    let (segment_row, head) = (4, 5);
    assert_eq!(text(range, head, 1), total);
    // Headed once: nothing over the total's head.
    assert_eq!(text(range, segment_row, 1), "");
    let width = range.end().unwrap().1;
    let mut items = q["items"].as_array().unwrap().clone();
    let nets = q["nets"].as_array().cloned().unwrap_or_default();
    items.extend(nets.iter().cloned());
    let base_row = head + 1;
    let first = head + 4;
    let row_of = |k: usize, cell: usize| first + (k * cells.len() + cell) as u32;
    // The cell of `item` named `cell`, as the sheet must hold it.
    let check = |row: u32, col: u32, cell: &str, item: &Value| match cell {
        "share" => assert_eq!(number(range, row, col), item["share"].as_f64().unwrap()),
        "count" => assert_eq!(number(range, row, col), item["count"].as_f64().unwrap()),
        _ => {
            let (lo, hi) = (
                item["ci_low"].as_f64().unwrap(),
                item["ci_high"].as_f64().unwrap(),
            );
            assert_eq!(
                text(range, row, col),
                format!("{:.1}–{:.1}", lo * 100.0, hi * 100.0)
            );
        }
    };
    for (k, item) in items.iter().enumerate() {
        let row = row_of(k, 0);
        let label = item["label"].as_str().unwrap();
        if item["items"].is_array() {
            assert_eq!(text(range, row, 0), format!("Net: {label}"));
        } else {
            assert_eq!(text(range, row, 0), label);
        }
        for (n, cell) in cells.iter().enumerate() {
            check(row_of(k, n), 1, cell, item);
        }
    }
    let bases = |row: u32, col: u32, b: &Value| {
        assert_eq!(text(range, row, 0), "Base (unweighted)");
        assert_eq!(number(range, row, col), b["unweighted"].as_f64().unwrap());
        assert_eq!(number(range, row + 1, col), b["weighted"].as_f64().unwrap());
        assert_eq!(
            number(range, row + 2, col),
            b["effective"].as_f64().unwrap()
        );
    };
    bases(base_row, 1, &q["base"]);
    let groups = q["by"].as_array().unwrap();
    assert!(!groups.is_empty());
    for g in groups {
        let head_text = format!(
            "({}) {}",
            g["letter"].as_str().unwrap(),
            g["label"].as_str().unwrap()
        );
        let col = (2..=width)
            .find(|&c| {
                text(range, head, c) == head_text
                    && (2..=c)
                        .rev()
                        .map(|s| text(range, segment_row, s))
                        .find(|s| !s.is_empty())
                        .as_deref()
                        == g["segment_label"].as_str()
            })
            .unwrap_or_else(|| panic!("no column for {head_text} of {}", g["segment"]));
        assert_eq!(text(range, head, col + 1), "Sig.");
        let mut rows = g["items"].as_array().unwrap().clone();
        rows.extend(g["nets"].as_array().cloned().unwrap_or_default());
        for (k, gi) in rows.iter().enumerate() {
            assert_eq!(gi["id"], items[k]["id"], "groups in the total's order");
            for (n, cell) in cells.iter().enumerate() {
                check(row_of(k, n), col, cell, gi);
            }
            let letters: String = gi["higher_than"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap())
                .collect();
            let marks = match gi.get("versus_rest").and_then(|v| v.as_str()) {
                Some("higher") => "+".to_string(),
                Some("lower") => "–".to_string(),
                _ => letters,
            };
            let share_row = row_of(k, cells.iter().position(|c| *c == "share").unwrap());
            assert_eq!(
                text(range, share_row, col + 1),
                marks,
                "{head_text} row {k}"
            );
        }
        bases(base_row, col, &g["base"]);
        let flag = text(range, base_row, col + 1);
        assert_eq!(
            flag.is_empty(),
            g.get("base_flag").is_none_or(|f| f.is_null()),
            "{head_text}"
        );
    }
}

#[test]
fn the_banner_workbook_holds_every_number_of_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = workbook(dir.path(), &[]);
    let v: Value = json(&[&ARGS[..], &["--format", "json"]].concat());
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    let names = book.sheet_names().to_vec();
    let questions = v["questions"].as_array().unwrap();
    assert_eq!(names.len(), questions.len() + 1);
    assert_eq!(names[0], "Contents");
    let contents = book.worksheet_range("Contents").unwrap();
    let all: Vec<String> = contents.cells().map(|(_, _, d)| d.to_string()).collect();
    assert!(
        all.iter().any(|c| c.starts_with("Synthetic data")),
        "synthetic note"
    );
    assert!(
        all.iter().any(|c| c.contains("respondents excluded")),
        "exclusion note"
    );
    for (i, q) in questions.iter().enumerate() {
        let name = format!("Q{} {}", i + 1, q["id"].as_str().unwrap());
        assert_eq!(names[i + 1], name);
        assert!(all.contains(&name), "the contents list {name}");
        let range = book.worksheet_range(&name).unwrap();
        check_sheet(&range, q, "Total", &["share"]);
        let notes: Vec<String> = range.cells().map(|(_, _, d)| d.to_string()).collect();
        for needle in [
            "Letters: significantly higher",
            "respondents excluded",
            "Standard error:",
            "Synthetic data",
        ] {
            assert!(notes.iter().any(|n| n.contains(needle)), "{name}: {needle}");
        }
    }
    // Percent format, frozen panes under the headers, landscape and fit to one page wide,
    // a fixed date, and no formula anywhere.
    assert!(part(&bytes, "xl/styles.xml").contains("formatCode=\"0.0%\""));
    let sheet = part(&bytes, "xl/worksheets/sheet2.xml");
    assert!(
        sheet.contains("state=\"frozen\"") && sheet.contains("topLeftCell=\"B10\""),
        "{sheet}"
    );
    assert!(
        sheet.contains("orientation=\"landscape\"")
            && sheet.contains("fitToPage=\"1\"")
            && sheet.contains("fitToHeight=\"0\""),
        "printable: landscape, one page wide (fitToWidth 1 is the default), any height"
    );
    assert!(part(&bytes, "docProps/core.xml").contains("2000-01-01T00:00:00Z"));
    for k in 1..=names.len() {
        assert!(!part(&bytes, &format!("xl/worksheets/sheet{k}.xml")).contains("<f>"));
    }
    // The same results give the same bytes.
    assert_eq!(workbook(dir.path(), &[]), bytes);
}

#[test]
fn against_the_rest_the_workbook_has_plus_and_minus_marks() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = workbook(dir.path(), &["--compare", "total"]);
    let v: Value = json(&[&ARGS[..], &["--compare", "total", "--format", "json"]].concat());
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("Q1 concerns").unwrap();
    check_sheet(&range, &v["questions"][0], "Total", &["share"]);
    let marks: Vec<String> = range.cells().map(|(_, _, d)| d.to_string()).collect();
    assert!(marks.iter().any(|m| m == "+") && marks.iter().any(|m| m == "–"));
}

#[test]
fn counts_and_intervals_stand_under_each_share_and_a_filter_heads_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let extra = ["--cells", "share,count,ci", "--where", "country = us"];
    let bytes = workbook(dir.path(), &extra);
    let v: Value = json(&[&ARGS[..], &extra[..], &["--format", "json"]].concat());
    assert_eq!(v["cells"], serde_json::json!(["share", "count", "ci"]));
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    for (i, q) in v["questions"].as_array().unwrap().iter().enumerate() {
        let name = format!("Q{} {}", i + 1, q["id"].as_str().unwrap());
        let range = book.worksheet_range(&name).unwrap();
        check_sheet(&range, q, "country = us", &["share", "count", "ci"]);
        // The further rows of an item say what they hold; the filter stands under the text.
        assert_eq!(text(&range, 10, 0), "Count");
        assert_eq!(text(&range, 11, 0), "95% CI");
        assert!(text(&range, 2, 0).starts_with("Filter “country = us”"));
    }
}
