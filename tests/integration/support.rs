//! What many test files need: the error text of a run, lookups in the JSON results, the
//! committed R references, and sums made by DuckDB.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use super::{concerns, read_rows, root, succeeded};

/// The standard error of a run, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `concerns sql --dialect duckdb --table responses SQL_ARGS` on DuckDB over `csv`
/// (every column read as text, as the file reader reads it) and saves the result at `out`,
/// as CSV or, for a `.parquet` name, as Parquet (`COPY … TO`, as a user would).
pub fn duckdb_sums(csv: &Path, sql_args: &[&str], out: &Path) {
    let o = duckdb_sums_loaded(csv, "read_csv('{path}', all_varchar = true)", sql_args, out);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// As [`duckdb_sums`], the table loaded into a DuckDB database by `load` (`{path}` is the
/// CSV), as a user would load it (`read_csv_auto('{path}')` types its columns); the run's
/// output, to check.
pub fn duckdb_sums_loaded(csv: &Path, load: &str, sql_args: &[&str], out: &Path) -> Output {
    let mut args = vec!["sql", "--dialect", "duckdb", "--table", "responses"];
    args.extend_from_slice(sql_args);
    let sql = String::from_utf8(succeeded(concerns().args(&args)).stdout).unwrap();
    let script = r#"
import duckdb, sys
con = duckdb.connect()
path = sys.argv[1].replace("'", "''")
load = sys.argv[4].replace("{path}", path)
con.execute(f"CREATE TABLE responses AS SELECT * FROM {load}")
out = sys.argv[3].replace("'", "''")
form = "FORMAT PARQUET" if out.endswith(".parquet") else "HEADER"
con.execute(f"COPY ({open(sys.argv[2]).read()}) TO '{out}' ({form})")
"#;
    let dir = tempfile::tempdir().unwrap();
    let query = dir.path().join("q.sql");
    std::fs::write(&query, sql.trim_end().trim_end_matches(';')).unwrap();
    Command::new("python3")
        .args(["-c", script])
        .arg(csv)
        .arg(&query)
        .arg(out)
        .arg(load)
        .output()
        .expect("python3 runs (DuckDB's Python package; ./test.sh installs it)")
}

/// Asserts that a run exited with `code` and said `words` on standard error.
pub fn refused(o: &Output, code: i32, words: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert!(err.contains(words), "expected '{words}' in: {err}");
}

/// A committed reference table (`tests/reference/NAME`, written by R or Python scripts
/// beside it), as rows of named fields.
pub fn reference(name: &str) -> Vec<std::collections::HashMap<String, String>> {
    read_rows(&root().join("tests/reference").join(name))
}

/// A field of a reference row as a number (`None` for R's `NA`).
pub fn number(row: &std::collections::HashMap<String, String>, column: &str) -> Option<f64> {
    let text = row
        .get(column)
        .unwrap_or_else(|| panic!("no column {column} in {row:?}"));
    (text != "NA").then(|| text.parse().unwrap_or_else(|_| panic!("{column} = {text}")))
}

/// The elements of a JSON array (a test fails on anything else).
pub fn list<'a>(v: &'a Value, what: &str) -> &'a [Value] {
    v.as_array()
        .unwrap_or_else(|| panic!("{what} is not a list: {v}"))
}

/// A question of the results, by id.
pub fn question<'a>(results: &'a Value, id: &str) -> &'a Value {
    super::find(&results["questions"], "id", id)
}

/// An item of a question of the results, by id (nets included).
pub fn item<'a>(results: &'a Value, question_id: &str, id: &str) -> &'a Value {
    let q = question(results, question_id);
    list(&q["items"], "items")
        .iter()
        .chain(q["nets"].as_array().into_iter().flatten())
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id} in question {question_id}"))
}

/// The warnings of the results: (code, English message).
pub fn warnings(results: &Value) -> Vec<(String, String)> {
    list(&results["warnings"], "warnings")
        .iter()
        .map(|w| {
            let text = |k: &str| w[k].as_str().unwrap_or_else(|| panic!("warning {k}: {w}"));
            (text("code").to_string(), text("message").to_string())
        })
        .collect()
}

/// The English message of the results' warning with `code`.
pub fn warning(results: &Value, code: &str) -> String {
    warnings(results)
        .into_iter()
        .find(|(c, _)| c == code)
        .map(|(_, m)| m)
        .unwrap_or_else(|| panic!("no {code} warning in {}", results["warnings"]))
}
