//! Limits as data arrives: what a file, a sums file or a codebook declares or holds is
//! bounded while it is read (groups, rows, PSUs, items, targets, drafts, charts), with one
//! clear message and exit 1 or 2 — never gigabytes of memory, a wrapped sum or a crash.

use std::path::Path;
use std::process::Command;

use super::concerns;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs Python with DuckDB (installed by ./test.sh).
fn duckdb(script: &str, args: &[&Path]) {
    let o = Command::new("python3")
        .args(["-c", script])
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_segment_with_thousands_of_values_is_refused_as_they_arrive() {
    let dir = tempfile::tempdir().unwrap();
    // 20,000 rows, each of its own region (not listed in the codebook).
    let mut csv = String::from("id,w,region,services,satisfied\n");
    for i in 0..20_000 {
        csv.push_str(&format!("r{i},1,region-{i},apple,yes\n"));
    }
    let data = dir.path().join("many.csv");
    std::fs::write(&data, csv).unwrap();
    let codebook = dir.path().join("c.toml");
    std::fs::write(
        &codebook,
        r#"respondent_id = "id"
weight = "w"
[survey]
id = "s"
title.en = "S"
[[segments]]
id = "region"
column = "region"
label.en = "Region"
[[questions]]
id = "services"
kind = "multi_response_delimited"
column = "services"
text.en = "Services?"
items = [{ id = "a", code = "apple", label.en = "A" }]
"#,
    )
    .unwrap();
    let o = concerns()
        .arg("table")
        .arg(&data)
        .arg("--codebook")
        .arg(&codebook)
        .args(["--by", "region"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("more than 100 distinct values"),
        "{}",
        stderr(&o)
    );
    // The same from sums with 20,000 groups (the query does not cap them).
    let sql = concerns()
        .args([
            "sql",
            "--dialect",
            "duckdb",
            "--table",
            "t",
            "--by",
            "region",
            "--codebook",
        ])
        .arg(&codebook)
        .output()
        .unwrap();
    assert!(sql.status.success());
    let query = dir.path().join("q.sql");
    std::fs::write(&query, sql.stdout).unwrap();
    let sums = dir.path().join("sums.csv");
    duckdb(
        r#"
import duckdb, sys
con = duckdb.connect()
con.execute(f"CREATE VIEW t AS SELECT * FROM read_csv('{sys.argv[1]}', all_varchar = true)")
con.execute(f"COPY ({open(sys.argv[2]).read().rstrip().rstrip(';')}) TO '{sys.argv[3]}' (HEADER)")
"#,
        &[&data, &query, &sums],
    );
    let o = concerns()
        .args(["table", "--sums"])
        .arg(&sums)
        .arg("--codebook")
        .arg(&codebook)
        .args(["--by", "region"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("more than 100 distinct values"),
        "{}",
        stderr(&o)
    );
}

/// A varint of Parquet's compact Thrift (zigzag for signed integers).
fn varint(n: i64) -> Vec<u8> {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    let mut out = Vec::new();
    loop {
        let b = (z & 0x7f) as u8;
        z >>= 7;
        if z == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

#[test]
fn a_parquet_file_declaring_more_rows_than_it_can_hold_is_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("small.parquet");
    // 100,000 answers of seven codes in one row group: about 40 kB.
    duckdb(
        r#"
import duckdb, sys
duckdb.connect().execute(f"COPY (SELECT CAST(hash(i) % 7 AS VARCHAR) AS a FROM range(100000) t(i)) TO '{sys.argv[1]}' (FORMAT PARQUET, ROW_GROUP_SIZE 100000)")
"#,
        &[&file],
    );
    let codebook = dir.path().join("c.toml");
    std::fs::write(
        &codebook,
        r#"[survey]
id = "s"
title.en = "S"
[[questions]]
id = "a"
kind = "single_choice"
column = "a"
text.en = "A?"
items = [
  { id = "c0", code = "0", label.en = "0" }, { id = "c1", code = "1", label.en = "1" },
  { id = "c2", code = "2", label.en = "2" }, { id = "c3", code = "3", label.en = "3" },
  { id = "c4", code = "4", label.en = "4" }, { id = "c5", code = "5", label.en = "5" },
  { id = "c6", code = "6", label.en = "6" },
]
"#,
    )
    .unwrap();
    let read = |path: &Path| {
        concerns()
            .arg("table")
            .arg(path)
            .arg("--codebook")
            .arg(&codebook)
            .args(["--format", "json"])
            .output()
            .unwrap()
    };
    let o = read(&file);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["base"]["respondents"], 100_000);
    // The same data, the footer claiming 2^40 rows (file, row group and column counts): the
    // footer grows by the longer numbers, and its length at the end says so.
    let bytes = std::fs::read(&file).unwrap();
    let n = bytes.len();
    let footer_len = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
    let (data, footer) = bytes[..n - 8].split_at(n - 8 - footer_len);
    let (from, to) = (varint(100_000), varint(1 << 40));
    let mut patched = 0;
    let mut new_footer = Vec::new();
    let mut at = 0;
    while at < footer.len() {
        if footer[at..].starts_with(&from) {
            new_footer.extend_from_slice(&to);
            at += from.len();
            patched += 1;
        } else {
            new_footer.push(footer[at]);
            at += 1;
        }
    }
    assert!(patched >= 2, "patched {patched}");
    let mut bytes = data.to_vec();
    bytes.extend_from_slice(&new_footer);
    bytes.extend_from_slice(&(new_footer.len() as u32).to_le_bytes());
    bytes.extend_from_slice(b"PAR1");
    let hostile = dir.path().join("hostile.parquet");
    std::fs::write(&hostile, bytes).unwrap();
    let o = read(&hostile);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("declares more rows than a file of"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_design_with_more_psus_than_the_most_is_refused_from_rows_and_from_sums() {
    let dir = tempfile::tempdir().unwrap();
    // 100,001 respondents, each its own PSU in one stratum: one too many.
    let data = dir.path().join("psus.csv");
    assert!(concerns()
        .args(["simulate", "--n", "100001", "-o"])
        .arg(&data)
        .status()
        .unwrap()
        .success());
    let args = ["--psu", "respondent_id", "--lonely-psu", "adjust"];
    let o = concerns()
        .arg("table")
        .arg(&data)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("more than 100,000 primary sampling units"),
        "{err}"
    );
    assert!(err.contains("column 'respondent_id'"), "{err}");
    // The same from the sums DuckDB computes (a unit row and cells per PSU).
    let sql = concerns()
        .args([
            "sql",
            "--dialect",
            "duckdb",
            "--table",
            "t",
            "--psu",
            "respondent_id",
        ])
        .output()
        .unwrap();
    assert!(sql.status.success());
    let query = dir.path().join("q.sql");
    std::fs::write(&query, sql.stdout).unwrap();
    let sums = dir.path().join("sums.csv");
    duckdb(
        r#"
import duckdb, sys
con = duckdb.connect()
con.execute(f"CREATE VIEW t AS SELECT * FROM read_csv('{sys.argv[1]}', all_varchar = true)")
con.execute(f"COPY ({open(sys.argv[2]).read().rstrip().rstrip(';')}) TO '{sys.argv[3]}' (HEADER)")
"#,
        &[&data, &query, &sums],
    );
    let o = concerns()
        .args(["table", "--sums"])
        .arg(&sums)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("more than 100,000 primary sampling units"));
    // One fewer is read (the cap is not a tighter limit in disguise).
    let fewer = dir.path().join("fewer.csv");
    let text = std::fs::read_to_string(&data).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&fewer, lines[..lines.len() - 1].join("\n") + "\n").unwrap();
    let o = concerns()
        .arg("table")
        .arg(&fewer)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A survey of wide "check all" questions: 63 items coded 0/1 (blanks too) with nets, 31
/// items with a base per item, 15 codes joined in one column with typed answers, and a
/// design; `rows` respondents.
pub(super) fn wide_survey(dir: &Path, rows: usize) -> (std::path::PathBuf, std::path::PathBuf) {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(63);
    let mut header = vec![
        "id".to_string(),
        "w".into(),
        "region".into(),
        "stratum".into(),
        "psu".into(),
    ];
    header.extend((0..63).map(|i| format!("a{i}")));
    header.extend((0..31).map(|i| format!("b{i}")));
    header.push("c".into());
    let mut csv = csv::Writer::from_path(dir.join("wide.csv")).unwrap();
    csv.write_record(&header).unwrap();
    for r in 0..rows {
        let mut row = vec![
            format!("r{r}"),
            ["1", "0.5", "2.25", "1.5"][rng.gen_range(0..4)].to_string(),
            ["north", "south", "east"][rng.gen_range(0..3)].to_string(),
            format!("s{}", r % 3),
            format!("p{}", r % 12),
        ];
        let answered_a = rng.gen_bool(0.9);
        row.extend((0..63).map(|_| match (answered_a, rng.gen_range(0..10)) {
            (false, _) => String::new(),
            (true, 0) => String::new(),
            (true, k) => (k % 2).to_string(),
        }));
        row.extend((0..31).map(|_| ["", "0", "1", "1"][rng.gen_range(0..4)].to_string()));
        let mut chosen: Vec<String> = (0..15)
            .filter(|_| rng.gen_bool(0.2))
            .map(|i| format!("code {i}"))
            .collect();
        if rng.gen_bool(0.1) {
            chosen.push("my own words".to_string());
        }
        row.push(chosen.join("; "));
        csv.write_record(&row).unwrap();
    }
    csv.flush().unwrap();
    let items = |prefix: &str, n: usize| -> String {
        (0..n)
            .map(|i| format!("  {{ id = \"{prefix}{i}\", column = \"{prefix}{i}\", label.en = \"{prefix}{i}\" }},\n"))
            .collect()
    };
    let codes: String = (0..15)
        .map(|i| format!("  {{ id = \"c{i}\", code = \"code {i}\", label.en = \"C{i}\" }},\n"))
        .collect();
    let codebook = format!(
        r#"respondent_id = "id"
weight = "w"
[survey]
id = "wide"
title.en = "Wide"
[[segments]]
id = "region"
column = "region"
label.en = "Region"
values = [{{ code = "north", label.en = "North" }}, {{ code = "south", label.en = "South" }}, {{ code = "east", label.en = "East" }}]
[[questions]]
id = "a"
kind = "multi_response"
text.en = "A?"
items = [
{}]
nets = [
  {{ id = "first", label.en = "First two", items = ["a0", "a1"] }},
  {{ id = "last", label.en = "Last three", items = ["a60", "a61", "a62"] }},
]
[[questions]]
id = "b"
kind = "multi_response"
base = "each_item"
text.en = "B?"
items = [
{}]
nets = [{{ id = "some", label.en = "Some", items = ["b0", "b5", "b30"] }}]
[[questions]]
id = "c"
kind = "multi_response_delimited"
column = "c"
delimiter = ";"
unlisted = "c14"
text.en = "C?"
items = [
{}]
"#,
        items("a", 63),
        items("b", 31),
        codes
    );
    let path = dir.join("wide.toml");
    std::fs::write(&path, codebook).unwrap();
    (dir.join("wide.csv"), path)
}

#[test]
fn wide_check_all_questions_sum_per_item_on_duckdb_as_they_read() {
    let dir = tempfile::tempdir().unwrap();
    let (data, codebook) = wide_survey(dir.path(), 400);
    let cb = codebook.to_str().unwrap();
    let design = ["--strata", "stratum", "--psu", "psu"];
    for options in [
        vec![],
        vec!["--by", "region"],
        vec!["--where", "region in (north, south)"],
        [&design[..], &["--by", "region", "--where", "region = east"]].concat(),
    ] {
        let mut sql = vec![
            "sql",
            "--dialect",
            "duckdb",
            "--table",
            "t",
            "--codebook",
            cb,
        ];
        sql.extend(&options);
        let o = concerns().args(&sql).output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let query = dir.path().join("q.sql");
        std::fs::write(&query, o.stdout).unwrap();
        let sums = dir.path().join("sums.csv");
        duckdb(
            r#"
import duckdb, sys
con = duckdb.connect()
con.execute(f"CREATE VIEW t AS SELECT * FROM read_csv('{sys.argv[1]}', all_varchar = true)")
con.execute(f"COPY ({open(sys.argv[2]).read().rstrip().rstrip(';')}) TO '{sys.argv[3]}' (HEADER)")
"#,
            &[&data, &query, &sums],
        );
        // Sums per item: the rows do not grow with the answer patterns (400 respondents
        // with 63 random items give 400 patterns).
        let text = std::fs::read_to_string(&sums).unwrap();
        assert!(
            text.lines().any(|l| l.starts_with("item,a,")),
            "{options:?}"
        );
        assert!(
            !text.lines().any(|l| l.starts_with("cell,a,")),
            "{options:?}"
        );
        let table = |source: &[&str]| {
            let mut c = concerns();
            c.arg("table")
                .args(source)
                .args(["--format", "json", "--codebook", cb]);
            c.args(&options);
            let o = c.output().unwrap();
            assert!(o.status.success(), "{options:?}: {}", stderr(&o));
            let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            v.as_object_mut().unwrap().remove("input");
            v
        };
        let from_rows = table(&[data.to_str().unwrap()]);
        let from_sums = table(&["--sums", sums.to_str().unwrap()]);
        assert_eq!(from_sums, from_rows, "{options:?}");
    }
}
