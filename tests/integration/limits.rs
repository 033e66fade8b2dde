//! Limits as data arrives: what a file, a sums file or a codebook declares or holds is
//! bounded while it is read (groups, rows, PSUs, items, targets, drafts, charts), with one
//! clear message and exit 1 or 2 — never gigabytes of memory, a wrapped sum or a crash.

use std::path::Path;
use std::process::Command;

use super::concerns;

use super::support::{duckdb_sums, refused, stderr};

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
    refused(&o, 1, "more than 100 distinct values");
    // The same from sums with 20,000 groups (the query does not cap them).
    let sums = dir.path().join("sums.csv");
    let cb = codebook.to_str().unwrap();
    duckdb_sums(&data, &["--by", "region", "--codebook", cb], &sums);
    let o = concerns()
        .args(["table", "--sums"])
        .arg(&sums)
        .arg("--codebook")
        .arg(&codebook)
        .args(["--by", "region"])
        .output()
        .unwrap();
    refused(&o, 1, "more than 100 distinct values");
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
    refused(&o, 1, "declares more rows than a file of");
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
    let sums = dir.path().join("sums.csv");
    duckdb_sums(&data, &["--psu", "respondent_id"], &sums);
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
        let mut sql = vec!["--codebook", cb];
        sql.extend(&options);
        let sums = dir.path().join("sums.csv");
        duckdb_sums(&data, &sql, &sums);
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

#[test]
fn targets_that_would_give_weights_table_refuses_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = super::root().join("data/ai-customer-service-2023.csv");
    for (targets, words) in [
        // Counts no population has (their sum was infinite: "Achieved NaN%", exit 0).
        (
            "gen_z = 1e308\nmillennial = 1e308\ngen_x = 1e308\nboomer = 1e308",
            "at most 10^15",
        ),
        (
            "gen_z = 9223372036854775807\nmillennial = 1\ngen_x = 1\nboomer = 1",
            "at most 10^15",
        ),
        // Shares that make weights of 10^-300.
        (
            "gen_z = 0.999999999\nmillennial = 1e-300\ngen_x = 0.0000000005\nboomer = 0.0000000005",
            "outside the 1e-9 to 1e9",
        ),
        // Counts that make weights past 10^9.
        (
            "gen_z = 1e14\nmillennial = 1\ngen_x = 1\nboomer = 1",
            "outside the 1e-9 to 1e9",
        ),
    ] {
        let file = dir.path().join("targets.toml");
        std::fs::write(&file, format!("[generation]\n{targets}\n")).unwrap();
        let out = dir.path().join("weighted.csv");
        let o = concerns()
            .arg("weight")
            .arg(&data)
            .arg("--targets")
            .arg(&file)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{targets}: {}", stderr(&o));
        assert!(stderr(&o).contains(words), "{targets}: {}", stderr(&o));
        assert!(!out.exists(), "nothing is written");
    }
    // A base weight out of the range `table` reads is refused as `table` refuses it.
    let text = std::fs::read_to_string(&data)
        .unwrap()
        .replacen(",1.3087,", ",1e-300,", 1);
    let tiny = dir.path().join("tiny.csv");
    std::fs::write(&tiny, text).unwrap();
    let file = dir.path().join("t.toml");
    std::fs::write(
        &file,
        "[generation]\ngen_z = 0.25\nmillennial = 0.25\ngen_x = 0.25\nboomer = 0.25\n",
    )
    .unwrap();
    let o = concerns()
        .arg("weight")
        .arg(&tiny)
        .args(["--base-weight", "weight", "--targets"])
        .arg(&file)
        .arg("-o")
        .arg(dir.path().join("w.csv"))
        .output()
        .unwrap();
    refused(&o, 1, "'1e-300' is not a base weight");
}

#[test]
fn a_draft_always_loads_whatever_the_width_of_the_export() {
    let dir = tempfile::tempdir().unwrap();
    // 300 single-choice questions: the draft keeps 200 and names the others.
    let mut csv = String::from("id");
    for i in 0..300 {
        csv.push_str(&format!(",q{i}"));
    }
    csv.push('\n');
    for r in 0..40 {
        csv.push_str(&format!("r{r}"));
        for i in 0..300 {
            csv.push_str([",yes", ",no", ",maybe"][(r * 7 + i) % 3]);
        }
        csv.push('\n');
    }
    let data = dir.path().join("wide.csv");
    std::fs::write(&data, csv).unwrap();
    let draft = dir.path().join("draft.toml");
    let o = concerns()
        .args(["codebook", "init"])
        .arg(&data)
        .arg("-o")
        .arg(&draft)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("left out 100 ('q200'"),
        "{}",
        stderr(&o)
    );
    let o = concerns()
        .arg("validate")
        .arg(&data)
        .arg("--codebook")
        .arg(&draft)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // 100,000 columns of numbers: read in bounded memory, and said clearly.
    let mut csv = (0..100_000)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    for r in 0..5 {
        csv.push_str(
            &(0..100_000)
                .map(|i| (i * 31 + r * 7).to_string())
                .collect::<Vec<_>>()
                .join(","),
        );
        csv.push('\n');
    }
    let data = dir.path().join("numbers.csv");
    std::fs::write(&data, csv).unwrap();
    let o = concerns()
        .args(["codebook", "init"])
        .arg(&data)
        .arg("-o")
        .arg(&draft)
        .arg("--force")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("the file has 100000 columns; the draft reads the first 5000"));
    let o = concerns()
        .arg("validate")
        .arg(&data)
        .arg("--codebook")
        .arg(&draft)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // A file of no question at all: one clear message, not a codebook error.
    let data = dir.path().join("ids.csv");
    std::fs::write(
        &data,
        (0..50).map(|i| format!("x{i}\n")).collect::<String>(),
    )
    .unwrap();
    let o = concerns()
        .args(["codebook", "init"])
        .arg(&data)
        .output()
        .unwrap();
    refused(&o, 1, "no column looks like a survey question");
}

#[test]
fn a_question_of_a_thousand_answers_is_drawn_as_far_as_a_chart_goes() {
    let dir = tempfile::tempdir().unwrap();
    let items: String = (0..1000)
        .map(|i| {
            format!("  {{ id = \"a{i}\", code = \"{i}\", label.en = \"Answer number {i}\" }},\n")
        })
        .collect();
    let codebook = dir.path().join("c.toml");
    std::fs::write(
        &codebook,
        format!(
            "[survey]\nid = \"s\"\ntitle.en = \"S\"\n[[questions]]\nid = \"many\"\nkind = \"single_choice\"\ncolumn = \"a\"\ntext.en = \"Which?\"\nitems = [\n{items}]\n"
        ),
    )
    .unwrap();
    let data = dir.path().join("d.csv");
    std::fs::write(
        &data,
        format!(
            "a\n{}",
            (0..3000)
                .map(|i| format!("{}\n", i % 1000))
                .collect::<String>()
        ),
    )
    .unwrap();
    let out = dir.path().join("report");
    let o = concerns()
        .arg("report")
        .arg(&data)
        .arg("--codebook")
        .arg(&codebook)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(out.join("figure1.svg")).unwrap();
    let texts = super::report::svg_texts(&svg).join(" ");
    assert!(texts.contains("more rows are not drawn"), "{texts}");
    let png = image::open(out.join("figure1.png")).unwrap();
    assert!(
        png.height() <= 20_000 && png.height() > 10_000,
        "{}",
        png.height()
    );
    // Every row is in the tables.
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("Answer number 999"));
}

#[test]
fn a_header_newline_is_shown_escaped_and_cr_only_line_ends_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let nl = dir.path().join("nl.csv");
    std::fs::write(
        &nl,
        "respondent_id,country,generation,gender,\"wei\nght\",ai_familiarity\nsyn-1,us,boomer,female,1,very_familiar\n",
    )
    .unwrap();
    for command in ["table", "validate"] {
        let o = concerns().arg(command).arg(&nl).output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        let all = format!("{}{}", stderr(&o), String::from_utf8_lossy(&o.stdout));
        assert!(
            all.contains("did you mean 'wei\\u{a}ght'?"),
            "{command}: {all}"
        );
        assert!(!all.contains("wei\nght"), "{command}: a raw line break");
    }
    // Classic Mac line ends: the header's reader and the scanner would disagree.
    let text = std::fs::read_to_string(super::root().join("data/ai-customer-service-2023.csv"))
        .unwrap()
        .lines()
        .take(50)
        .collect::<Vec<_>>()
        .join("\r");
    let cr = dir.path().join("cr.csv");
    std::fs::write(&cr, text).unwrap();
    for command in ["table", "validate"] {
        let o = concerns().arg(command).arg(&cr).output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        let all = format!("{}{}", stderr(&o), String::from_utf8_lossy(&o.stdout));
        assert!(all.contains("line ends are CR only"), "{command}: {all}");
        assert!(
            !all.contains("fields but the header has"),
            "{command}: {all}"
        );
    }
}

#[test]
fn long_parquet_values_are_read_in_bounded_blocks_and_quoted_short() {
    let dir = tempfile::tempdir().unwrap();
    let (long, huge) = (
        dir.path().join("long.parquet"),
        dir.path().join("huge.parquet"),
    );
    // 20,000 rows of one 100 kB value (2 GB of text) in a 6 kB file; a 17 MB value.
    duckdb(
        r#"
import duckdb, sys
duckdb.connect().execute(f"COPY (SELECT repeat('x', 100000) AS a FROM range(20000)) TO '{sys.argv[1]}'")
duckdb.connect().execute(f"COPY (SELECT repeat('x', 17000000) AS a FROM range(2)) TO '{sys.argv[2]}'")
"#,
        &[&long, &huge],
    );
    let codebook = dir.path().join("a.toml");
    std::fs::write(
        &codebook,
        "[survey]\nid = \"s\"\ntitle.en = \"S\"\n[[questions]]\nid = \"a\"\nkind = \"single_choice\"\ncolumn = \"a\"\ntext.en = \"A?\"\nitems = [{ id = \"x\", code = \"x\", label.en = \"X\" }]\n",
    )
    .unwrap();
    let o = concerns()
        .arg("table")
        .arg(&long)
        .arg("--codebook")
        .arg(&codebook)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("found 'xxxxxxxxxx") && err.contains("…'"),
        "{}",
        &err[..err.len().min(300)]
    );
    assert!(
        err.len() < 1_000,
        "the value is quoted whole: {} bytes",
        err.len()
    );
    let o = concerns()
        .arg("table")
        .arg(&huge)
        .arg("--codebook")
        .arg(&codebook)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("a value of 17000000 bytes in column \"a\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_parquet_footer_declaring_a_billion_columns_is_refused_not_an_abort() {
    // Found by the fuzzer: a footer of a few kilobytes declaring a list of a billion
    // entries made the decoder ask for 34 GB and abort the process (no error, no message).
    let file = super::root().join("tests/fixtures/extreme/footer-of-a-billion-columns.parquet");
    for args in [&["table"][..], &["validate"][..], &["table", "--sums"][..]] {
        let o = concerns().args(args).arg(&file).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("its footer is corrupt or declares more than it holds")
                || String::from_utf8_lossy(&o.stdout).contains("declares more than it holds"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

/// A stratified design of 100,000 PSUs (the most) whose rows come in random PSU order, as
/// a file shuffled by an engine: every chunk of the scan touches tens of thousands of PSUs.
#[test]
fn a_design_of_the_most_psus_in_random_order_gives_the_results_of_the_sorted_file() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.csv");
    assert!(concerns()
        .args(["simulate", "--n", "300000", "--seed", "27", "-o"])
        .arg(&plain)
        .status()
        .unwrap()
        .success());
    let mut reader = csv::Reader::from_path(&plain).unwrap();
    let mut header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    header.extend(["stratum".into(), "psu".into()]);
    // Row i in PSU (7919 i + 13) mod 100,000: scrambled; 1,000 strata of 100 PSUs.
    let rows: Vec<(u32, Vec<String>)> = reader
        .records()
        .enumerate()
        .map(|(i, r)| {
            let psu = ((i as u64 * 7919 + 13) % 100_000) as u32;
            let mut row: Vec<String> = r.unwrap().iter().map(String::from).collect();
            row.extend([format!("s{}", psu % 1000), format!("p{psu}")]);
            (psu, row)
        })
        .collect();
    let write = |path: &Path, rows: &[(u32, Vec<String>)]| {
        let mut w = csv::Writer::from_path(path).unwrap();
        w.write_record(&header).unwrap();
        for (_, row) in rows {
            w.write_record(row).unwrap();
        }
        w.flush().unwrap();
    };
    let random = dir.path().join("random.csv");
    write(&random, &rows);
    let mut sorted_rows = rows.clone();
    sorted_rows.sort_by_key(|(psu, _)| *psu);
    let sorted = dir.path().join("sorted.csv");
    write(&sorted, &sorted_rows);
    let results = |path: &Path| {
        let o = super::succeeded(concerns().arg("table").arg(path).args([
            "--strata",
            "stratum",
            "--psu",
            "psu",
            "--by",
            "generation",
            "--format",
            "json",
        ]));
        let mut v = super::results_json(&o.stdout);
        v.as_object_mut().unwrap().remove("input");
        v
    };
    let (a, b) = (results(&random), results(&sorted));
    assert!(a == b, "the order of the rows changed the results");
    assert_eq!(a["design"]["psus"], 100_000);
    assert_eq!(a["design"]["strata_count"], 1000);
    // The standard error of one share, by the formula: the share's linearised values
    // summed per PSU, their spread within each stratum (R `svyciprop`'s variance, with
    // replacement). Excluded respondents stay in the design with a value of 0.
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (w, fam, y) = (
        at("weight"),
        at("ai_familiarity"),
        at("concern_reach_person"),
    );
    let items: Vec<usize> = (0..header.len())
        .filter(|&c| header[c].starts_with("concern_") && !header[c].ends_with("_text"))
        .collect();
    let in_base = |r: &[String]| {
        r[fam] != "dont_know_ai" && items.iter().any(|&c| r[c] == "0" || r[c] == "1")
    };
    let weight = |r: &[String]| r[w].parse::<f64>().unwrap();
    let base: Vec<&Vec<String>> = rows.iter().map(|(_, r)| r).filter(|r| in_base(r)).collect();
    let total: f64 = base.iter().map(|r| weight(r)).sum();
    let share = base
        .iter()
        .filter(|r| r[y] == "1")
        .map(|r| weight(r))
        .sum::<f64>()
        / total;
    let mut z = vec![0.0f64; 100_000];
    for (psu, r) in &rows {
        if in_base(r) {
            let yi = (r[y] == "1") as u8 as f64;
            z[*psu as usize] += weight(r) * (yi - share) / total;
        }
    }
    let mut variance = 0.0;
    for h in 0..1000 {
        let units: Vec<f64> = (0..100).map(|j| z[h + 1000 * j]).collect();
        let mean = units.iter().sum::<f64>() / 100.0;
        variance += 100.0 / 99.0 * units.iter().map(|u| (u - mean).powi(2)).sum::<f64>();
    }
    let item = super::support::item(&a, "concerns", "reach_person");
    let got = (
        item["share"].as_f64().unwrap(),
        item["se"].as_f64().unwrap(),
    );
    assert!((got.0 - share).abs() < 1e-12, "share {} vs {share}", got.0);
    let se = variance.sqrt();
    assert!((got.1 - se).abs() < 1e-9 * se, "se {} vs {se}", got.1);
}
