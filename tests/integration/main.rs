//! Integration tests: the `concerns` binary end to end, one test binary for build speed.

mod atomic;
mod bad_input;
mod browser;
mod cdp;
mod codebooks;
mod data;
mod design;
mod each_item;
mod inputs;
mod language;
mod layout;
mod lenient;
mod limits;
mod mutation;
mod nets;
mod one_reading;
mod outputs;
mod own_survey;
mod ownership;
mod platforms;
mod reference;
mod report;
mod robustness;
mod schema;
mod segments;
mod sql;
mod support;
mod table;
mod validate;
mod weight;
mod xlsx;

use std::path::{Path, PathBuf};
use std::process::Output;

use std::process::Command;

pub const DATA: &str = "data/ai-customer-service-2023.csv";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn concerns() -> Command {
    // Cargo builds the binary for integration tests and names it here.
    let mut c = Command::new(env!("CARGO_BIN_EXE_concerns"));
    // Wide: tests read whole sentences and rows; the width's own test narrows it.
    c.current_dir(root())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "1000");
    c
}

/// Runs a prepared command and asserts it succeeded, showing its stderr if not.
pub fn succeeded(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn run(args: &[&str]) -> Output {
    concerns().args(args).output().expect("runs")
}

pub fn json(args: &[&str]) -> serde_json::Value {
    let out = run(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    if v.get("schema_version").is_some() {
        conforms(&v);
    }
    v
}

/// JSON results as a command printed or wrote them, checked against the committed schema.
pub fn results_json(bytes: &[u8]) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_slice(bytes).expect("valid JSON");
    conforms(&v);
    v
}

/// Asserts that `v` conforms to `docs/summary.schema.json`.
pub fn conforms(v: &serde_json::Value) {
    static SCHEMA: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator = SCHEMA.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("docs/summary.schema.json")).unwrap();
        jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
    });
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not as docs/summary.schema.json says: {errors:#?}"
    );
}

/// Parsed canonical CSV as rows of field maps, read independently of the program.
pub fn read_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).expect("readable CSV");
    let headers = r.headers().expect("header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// The header of a CSV file.
pub fn read_header(path: &Path) -> Vec<String> {
    let mut r = csv::Reader::from_path(path).expect("readable CSV");
    r.headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect()
}

/// Runs `cmd` with `input` on its standard input.
pub fn output_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().expect("runs");
    writer.join().expect("writer").expect("writes stdin");
    out
}

/// CSV text (no quoted commas) with field `column` of line `row` (0: the header) set to
/// `value`.
pub fn with_field(text: &str, row: usize, column: &str, value: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let at = lines[0].split(',').position(|h| h == column).unwrap();
    let mut fields: Vec<String> = lines[row].split(',').map(String::from).collect();
    fields[at] = value.to_string();
    lines[row] = fields.join(",");
    lines.join("\n") + "\n"
}

/// The element of JSON array `list` whose `key` equals `value`.
pub fn find<'a>(list: &'a serde_json::Value, key: &str, value: &str) -> &'a serde_json::Value {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .find(|x| x[key] == value)
        .unwrap_or_else(|| panic!("no element with {key} = {value}"))
}

/// The text of HTML or SVG markup: no style sheet, no tags, whitespace collapsed (so lines
/// a chart wrapped read as one).
pub fn markup_text(markup: &str) -> String {
    let body = match (markup.find("<style>"), markup.find("</style>")) {
        (Some(a), Some(b)) => format!("{}{}", &markup[..a], &markup[b..]),
        _ => markup.to_string(),
    };
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}
