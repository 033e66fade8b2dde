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

/// `csv` copied to Parquet by DuckDB (every column as text) in row groups of `rows`.
fn parquet_of(csv: &std::path::Path, out: &std::path::Path, rows: usize) {
    parquet_as(csv, out, rows, Typing::Text)
}

/// The canonical codebook with `[input.booleans]` true = "yes", false = "no", in `dir`.
fn booleans_codebook(dir: &std::path::Path) -> std::path::PathBuf {
    let canonical = std::fs::read_to_string(root().join("codebooks/canonical.toml")).unwrap();
    let codebook = dir.join("typed.toml");
    std::fs::write(
        &codebook,
        format!("{canonical}\n[input.booleans]\ntrue = \"yes\"\nfalse = \"no\"\n"),
    )
    .unwrap();
    codebook
}

/// How the CSV's columns are typed in the Parquet file.
#[derive(Debug, Clone, Copy)]
enum Typing {
    /// All text (dictionary-encoded where DuckDB chooses).
    Text,
    /// As DuckDB's CSV sniffer types them: integers, doubles, booleans, text.
    Engine,
    /// The 0/1 items as doubles with NaN for blanks, as pandas writes integer columns that
    /// have missing values, and the yes/no column as BOOLEAN.
    Pandas,
}

/// The CSV written to Parquet by DuckDB, in row groups of `rows`, typed by `typing`.
fn parquet_as(csv: &std::path::Path, out: &std::path::Path, rows: usize, typing: Typing) {
    let script = r#"
import duckdb, sys
con = duckdb.connect()
src = sys.argv[1].replace("'", "''")
out = sys.argv[2].replace("'", "''")
typing = sys.argv[4]
if typing == "Text":
    select = f"SELECT * FROM read_csv('{src}', all_varchar = true)"
elif typing == "Engine":
    select = f"SELECT * FROM read_csv('{src}')"
else:
    cols = [c for (c,) in con.execute(f"SELECT column_name FROM (DESCRIBE SELECT * FROM read_csv('{src}', all_varchar = true))").fetchall()]
    swap = [f"CASE WHEN trim({c}) = '' THEN 'NaN'::DOUBLE ELSE TRY_CAST({c} AS DOUBLE) END AS {c}"
            for c in cols if c.startswith("concern_") and c != "concern_other_text"]
    swap.append("CASE WHEN prefer_no_ai = '' THEN NULL ELSE prefer_no_ai = 'yes' END AS prefer_no_ai")
    select = f"SELECT * REPLACE ({', '.join(swap)}) FROM read_csv('{src}', all_varchar = true)"
con.execute(f"COPY ({select}) TO '{out}' (FORMAT PARQUET, ROW_GROUP_SIZE {sys.argv[3]})")
"#;
    let o = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(csv)
        .arg(out)
        .arg(rows.to_string())
        .arg(format!("{typing:?}"))
        .output()
        .expect("python3 runs (DuckDB's Python package; ./test.sh installs it)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn parquet_row_groups_read_on_every_core_give_the_numbers_and_rows_of_the_csv() {
    // Row groups of 700 rows: the 5,728 respondents in 9 groups, read in parallel.
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("groups.parquet");
    parquet_of(&root().join(DATA), &parquet, 700);
    let by = ["--by", "generation", "--format", "json"];
    let ours = json(&[
        "table",
        parquet.to_str().unwrap(),
        by[0],
        by[1],
        by[2],
        by[3],
    ]);
    let csv = json(&["table", DATA, by[0], by[1], by[2], by[3]]);
    assert_eq!(numbers(&ours), numbers(&csv));
    assert_eq!(ours["warnings"], csv["warnings"]);
    // A bad value in a late row group: the error names the respondent the CSV names (a
    // Parquet file has no header row: its row 5,000 is the CSV's row 5,001).
    let mut text = canonical_text();
    let row = 5_000;
    text = super::with_field(&text, row, "ai_familiarity", "maybe");
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, &text).unwrap();
    let broken_parquet = dir.path().join("broken.parquet");
    parquet_of(&broken, &broken_parquet, 700);
    let err = |path: &std::path::Path| {
        let o = concerns().arg("table").arg(path).output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        let e = String::from_utf8_lossy(&o.stderr).into_owned();
        e.split_once(": ")
            .map(|(_, rest)| rest.to_string())
            .unwrap_or(e)
    };
    let (from_csv, from_parquet) = (err(&broken), err(&broken_parquet));
    assert!(from_csv.contains(&format!("row {}", row + 1)), "{from_csv}");
    // The same respondent and message: a Parquet file has no header row, so its row 5,000
    // is the CSV's row 5,001.
    assert!(
        from_parquet.contains(&format!("row {row},")),
        "{from_parquet}"
    );
    let strip = |e: &str| {
        e.split_once(", column ")
            .map(|(_, r)| r.to_string())
            .unwrap_or_default()
    };
    assert_eq!(strip(&from_parquet), strip(&from_csv));
    // With --lenient, the row is left out alike.
    let lenient = |p: &std::path::Path| {
        let o = succeeded(
            concerns()
                .arg("table")
                .arg(p)
                .args(["--lenient", "--format", "json"]),
        );
        super::results_json(&o.stdout)
    };
    assert_eq!(
        numbers(&lenient(&broken_parquet)),
        numbers(&lenient(&broken))
    );
}

#[test]
fn a_parquet_boolean_column_reads_as_the_codes_the_codebook_gives_it() {
    // A table whose yes/no columns an engine typed as BOOLEAN, written to Parquet.
    let dir = tempfile::tempdir().unwrap();
    let parquet = dir.path().join("typed.parquet");
    let script = r#"
import duckdb, sys
con = duckdb.connect()
src = sys.argv[1].replace("'", "''")
out = sys.argv[2].replace("'", "''")
typed = "CASE WHEN prefer_no_ai = '' THEN NULL ELSE prefer_no_ai = 'yes' END AS prefer_no_ai"
con.execute(f"COPY (SELECT * REPLACE ({typed}) FROM read_csv('{src}', all_varchar = true)) TO '{out}' (FORMAT PARQUET)")
kind = con.execute(f"SELECT typeof(prefer_no_ai) FROM read_parquet('{out}') LIMIT 1").fetchone()[0]
assert kind == "BOOLEAN", kind
"#;
    let o = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(root().join(DATA))
        .arg(&parquet)
        .output()
        .expect("python3 runs (DuckDB's Python package; ./test.sh installs it)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Without a word from the codebook, true is 1: not a code of the question.
    let o = concerns().arg("table").arg(&parquet).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("found '1'") || err.contains("found '0'"),
        "{err}"
    );
    // With [input.booleans], the numbers of the CSV.
    let codebook = booleans_codebook(dir.path());
    let canonical = std::fs::read_to_string(root().join("codebooks/canonical.toml")).unwrap();
    let out = succeeded(
        concerns()
            .arg("table")
            .arg(&parquet)
            .arg("--codebook")
            .arg(&codebook)
            .args(["--by", "generation", "--format", "json"]),
    );
    let ours = super::results_json(&out.stdout);
    let csv = json(&["table", DATA, "--by", "generation", "--format", "json"]);
    assert!(
        numbers(&ours) == numbers(&csv),
        "the numbers differ from the CSV's"
    );
    // A codebook that gives only one side is refused when it loads.
    std::fs::write(
        &codebook,
        format!("{canonical}\n[input.booleans]\ntrue = \"yes\"\n"),
    )
    .unwrap();
    let o = concerns()
        .arg("table")
        .arg(&parquet)
        .arg("--codebook")
        .arg(&codebook)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("false"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

mod parquet_property {
    use proptest::prelude::*;

    use super::super::{concerns, results_json, root, succeeded, DATA};

    /// One respondent of the canonical layout, problems included (bad codes, weights).
    fn respondent() -> impl Strategy<Value = Vec<String>> {
        let pick = |v: &'static [&'static str]| prop::sample::select(v).prop_map(str::to_string);
        (
            pick(&["us", "gb", "de", "", " fr "]),
            pick(&["gen_z", "millennial", "gen_x", "boomer", ""]),
            pick(&["female", "male", "other"]),
            prop_oneof![
                pick(&["0.5939", "1.3087", "2", "-1"]),
                (1u32..5_000_000).prop_map(|x| format!("{}", x as f64 / 1_000_000.0)),
            ],
            pick(&[
                "very_familiar",
                "somewhat_familiar",
                "dont_know_ai",
                "maybe",
            ]),
            pick(&["yes", "no", ""]),
            pick(&["yes", "no", "unsure", "", "perhaps"]),
            prop::collection::vec(pick(&["0", "1", "1", "", "2"]), 6),
        )
            .prop_map(
                |(country, generation, gender, weight, fam, prefer, switch, concerns)| {
                    let mut row = vec![
                        String::new(),
                        country,
                        generation,
                        gender,
                        weight,
                        fam,
                        prefer,
                        switch,
                    ];
                    row.extend(concerns);
                    row.push(String::new());
                    row
                },
            )
    }

    /// The JSON of `table --lenient --by generation` on `path`, without the input's name.
    fn numbers(path: &std::path::Path) -> serde_json::Value {
        numbers_with(path, &[])
    }

    fn numbers_with(path: &std::path::Path, args: &[&std::ffi::OsStr]) -> serde_json::Value {
        let o = succeeded(concerns().arg("table").arg(path).args(args).args([
            "--lenient",
            "--by",
            "generation",
            "--format",
            "json",
        ]));
        let mut v = results_json(&o.stdout);
        v.as_object_mut().unwrap().remove("input");
        v
    }

    /// `rows` as a CSV of the canonical header, IDs numbered (`r00000`, …; or whole numbers
    /// far apart, which an engine types as integers, when `numeric_ids`).
    fn csv_of(rows: &[Vec<String>], csv: &std::path::Path, numeric_ids: bool) {
        let mut w = csv::Writer::from_path(csv).unwrap();
        let text = std::fs::read_to_string(root().join(DATA)).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        w.write_record(&header).unwrap();
        for (k, row) in rows.iter().enumerate() {
            let mut row = row.clone();
            row[0] = if numeric_ids {
                (1_000_000 + k * 7919).to_string()
            } else {
                format!("r{k:05}")
            };
            w.write_record(&row).unwrap();
        }
        w.flush().unwrap();
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10))]

        #[test]
        fn parquet_in_row_groups_gives_the_csvs_results(
            rows in prop::collection::vec(respondent(), 40..400),
            group in 7usize..120,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let csv = dir.path().join("r.csv");
            csv_of(&rows, &csv, false);
            let parquet = dir.path().join("r.parquet");
            super::parquet_of(&csv, &parquet, group);
            prop_assert_eq!(numbers(&parquet), numbers(&csv));
        }

        /// Typed columns (integers, doubles, booleans, dictionaries) read in place give the
        /// CSV's JSON: codes matched per dictionary entry and per whole number, weights read
        /// as doubles, NaN as blank, integer IDs (too far apart for a table) as text.
        #[test]
        fn typed_parquet_gives_the_csvs_results(
            rows in prop::collection::vec(respondent(), 40..400),
            group in 7usize..120,
            pandas in any::<bool>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let csv = dir.path().join("r.csv");
            csv_of(&rows, &csv, true);
            let parquet = dir.path().join("r.parquet");
            let typing = if pandas { super::Typing::Pandas } else { super::Typing::Engine };
            super::parquet_as(&csv, &parquet, group, typing);
            let codebook = super::booleans_codebook(dir.path());
            let args = [std::ffi::OsStr::new("--codebook"), codebook.as_os_str()];
            prop_assert_eq!(numbers_with(&parquet, &args), numbers_with(&csv, &args));
        }
    }
}
