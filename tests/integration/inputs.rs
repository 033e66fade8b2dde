//! Real exports: other delimiters, a byte-order mark, CRLF line ends and Windows code pages
//! give exactly the numbers of the canonical file.

use super::{concerns, json, root, succeeded, DATA};

fn numbers(r: &serde_json::Value) -> (serde_json::Value, serde_json::Value) {
    (r["base"].clone(), r["questions"].clone())
}

fn same_as_canonical(bytes: Vec<u8>, extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    std::fs::write(&path, bytes).unwrap();
    let out = succeeded(
        concerns()
            .arg("table")
            .arg(&path)
            .args(["--format", "json"])
            .args(extra),
    );
    let ours: serde_json::Value = super::results_json(&out.stdout);
    let canonical = json(&["table", DATA, "--format", "json"]);
    assert_eq!(numbers(&ours), numbers(&canonical));
}

fn canonical_text() -> String {
    std::fs::read_to_string(root().join(DATA)).unwrap()
}

/// The canonical file re-written with another delimiter by a CSV writer (quoting as needed).
fn with_delimiter(d: u8) -> Vec<u8> {
    let mut r = csv::Reader::from_path(root().join(DATA)).unwrap();
    let mut w = csv::WriterBuilder::new()
        .delimiter(d)
        .from_writer(Vec::new());
    w.write_record(r.headers().unwrap()).unwrap();
    for rec in r.records() {
        w.write_record(&rec.unwrap()).unwrap();
    }
    w.into_inner().unwrap()
}

#[test]
fn semicolon_and_tab_files_are_detected() {
    same_as_canonical(with_delimiter(b';'), &[]);
    same_as_canonical(with_delimiter(b'\t'), &[]);
    same_as_canonical(with_delimiter(b'|'), &["--delimiter", "|"]);
}

#[test]
fn byte_order_mark_and_crlf_are_read() {
    let text = canonical_text().replace('\n', "\r\n");
    same_as_canonical([b"\xef\xbb\xbf".to_vec(), text.into_bytes()].concat(), &[]);
}

#[test]
fn windows_1251_and_latin_1_exports_are_transcoded() {
    let text = canonical_text().replace("Chatbots go in circles", "Чат-боты ходят по кругу");
    let (cp1251, _, bad) = encoding_rs::WINDOWS_1251.encode(&text);
    assert!(!bad);
    same_as_canonical(cp1251.into_owned(), &["--encoding", "windows-1251"]);
    let text = canonical_text().replace(
        "Chatbots go in circles",
        "Les chatbots tournent en rond et ça énerve",
    );
    let (latin1, _, bad) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!bad);
    same_as_canonical(latin1.into_owned(), &["--encoding", "latin-1"]);
}

#[test]
fn unknown_encoding_is_a_usage_error() {
    let out = concerns()
        .args(["table", DATA, "--encoding", "klingon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("windows-1251"));
}
