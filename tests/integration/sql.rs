//! `concerns sql` run on a real engine: DuckDB (Python package; `.ci/run` installs it when
//! missing) over the bundled CSV gives the sums the file reader finds, and counts the same
//! problems in data with problems.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::{concerns, json, root, succeeded};

const DATA: &str = "data/ai-customer-service-2023.csv";

/// Runs the query of `sql_args` on DuckDB over `csv` (every column read as text, as the
/// file reader does) and returns the result rows as JSON objects.
fn on_duckdb(csv: &Path, sql_args: &[&str]) -> Vec<Value> {
    let mut args = vec!["sql", "--dialect", "duckdb", "--table", "responses"];
    args.extend_from_slice(sql_args);
    let sql = succeeded(concerns().args(&args)).stdout;
    let dir = tempfile::tempdir().unwrap();
    let query = dir.path().join("q.sql");
    std::fs::write(&query, sql).unwrap();
    let script = r#"
import duckdb, json, sys
con = duckdb.connect()
path = sys.argv[1].replace("'", "''")
con.execute(f"CREATE VIEW responses AS SELECT * FROM read_csv('{path}', all_varchar = true)")
cur = con.execute(open(sys.argv[2]).read())
names = [d[0] for d in cur.description]
print(json.dumps([{k: (None if v is None else v if isinstance(v, (int, str)) else str(v)) for k, v in zip(names, row)} for row in cur.fetchall()]))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(csv)
        .arg(&query)
        .output()
        .expect("python3 runs (DuckDB's Python package: `python3 -m pip install duckdb`; .ci/run installs it)");
    assert!(
        out.status.success(),
        "DuckDB ran the query: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Runs the query of `sql_args` on DuckDB over `csv` and saves its result at `out`.
fn sums_on_duckdb(csv: &Path, sql_args: &[&str], out: &Path) {
    super::support::duckdb_sums(csv, sql_args, out)
}

/// `table --sums SUMS ARGS --format json`.
fn table_from(sums: &Path, args: &[&str]) -> Value {
    let mut all = vec![
        "table",
        "--sums",
        sums.to_str().unwrap(),
        "--format",
        "json",
    ];
    all.extend_from_slice(args);
    json(&all)
}

/// The JSON of `table` without its `input` block.
fn without_input(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("input");
    v
}

#[test]
fn table_from_sums_is_the_table_from_rows() {
    let csv = root().join(DATA);
    let dir = tempfile::tempdir().unwrap();
    for by in [
        vec![],
        vec!["--by", "generation", "--by", "gender"],
        // A domain: respondents outside it still count in the design's n.
        vec![
            "--by",
            "generation",
            "--where",
            "country in (us, gb) and not switch_intent = no",
        ],
    ] {
        let sums = dir.path().join("sums.csv");
        sums_on_duckdb(&csv, &by, &sums);
        let from_sums = table_from(&sums, &by);
        let mut args = vec!["table", DATA, "--format", "json"];
        args.extend(&by);
        let from_rows = json(&args);
        assert_eq!(from_sums["input"]["from_sums"], true);
        assert_eq!(from_sums["input"]["path"], "sums.csv");
        assert_eq!(from_sums["input"]["rows"], 5728);
        assert!(from_rows["input"].get("from_sums").is_none());
        // The same sums saved as Parquet (decimals as DECIMAL(38, 9) and (38, 18)).
        let parquet = dir.path().join("sums.parquet");
        sums_on_duckdb(&csv, &by, &parquet);
        let from_parquet = table_from(&parquet, &by);
        assert_eq!(from_parquet["input"]["path"], "sums.parquet");
        assert_eq!(
            without_input(from_parquet),
            without_input(from_rows.clone()),
            "Parquet, --by {by:?}"
        );
        // Every number, letter, warning and note, to the last digit.
        assert_eq!(
            without_input(from_sums),
            without_input(from_rows),
            "--by {by:?}"
        );
    }
}

const DESIGN: &str = "tests/fixtures/design/sample.csv";

/// The sums of `sql_args` on DuckDB over `csv`, finished with `finish_args` too, against
/// `table` on the rows with both: the same JSON but for `input`.
fn design_case(csv: &Path, sql_args: &[&str], finish_args: &[&str], sums: &Path) {
    sums_on_duckdb(csv, sql_args, sums);
    let mut args: Vec<&str> = sql_args.to_vec();
    args.extend_from_slice(finish_args);
    let from_sums = table_from(sums, &args);
    let mut rows = vec!["table", csv.to_str().unwrap(), "--format", "json"];
    rows.extend(&args);
    let from_rows = json(&rows);
    assert!(from_rows["design"]["psus"].as_u64().unwrap() > 0);
    assert_eq!(from_sums["input"]["from_sums"], true);
    assert_eq!(
        without_input(from_sums),
        without_input(from_rows),
        "{args:?}"
    );
}

#[test]
fn designs_with_strata_clusters_and_fpc_sum_per_psu_as_they_read() {
    use super::design::case_args;
    let csv = root().join(DESIGN);
    let dir = tempfile::tempdir().unwrap();
    let sums = dir.path().join("design.sums.csv");
    // The cases compared with R survey in design.rs: clusters in strata with a population
    // size, clusters alone, strata of respondents with a sampling fraction (sums of squares
    // per stratum), lonely PSUs.
    for (case, by, finish) in [
        ("strata_psu_fpc", &["--by", "generation"][..], &[][..]),
        // Degrees of freedom per domain, covariances of groups and with the rest.
        (
            "strata_psu_fpc",
            &["--by", "gender"][..],
            &["--interval", "beta", "--test", "wald", "--compare", "total"][..],
        ),
        ("psu", &["--by", "generation"][..], &[][..]),
        ("strata_fraction", &["--by", "generation"][..], &[][..]),
        ("lonely_adjust", &[][..], &[][..]),
        ("lonely_remove", &["--by", "gender"][..], &[][..]),
    ] {
        let design: Vec<&str> = case_args(case)
            .into_iter()
            .scan(false, |skip, a| {
                // --lonely-psu is for finishing; the query does not depend on it.
                let keep = !*skip && a != "--lonely-psu";
                *skip = a == "--lonely-psu";
                Some(keep.then_some(a))
            })
            .flatten()
            .collect();
        let lonely: Vec<&str> = case_args(case)
            .into_iter()
            .skip_while(|a| *a != "--lonely-psu")
            .collect();
        let mut sql_args = design.clone();
        sql_args.extend_from_slice(by);
        let mut finish_args = lonely.clone();
        finish_args.extend_from_slice(finish);
        design_case(&csv, &sql_args, &finish_args, &sums);
    }
    // A domain (respondents outside it stay in the design), and the sums as Parquet.
    let parquet = dir.path().join("design.sums.parquet");
    design_case(
        &csv,
        &[
            "--strata",
            "stratum",
            "--psu",
            "psu",
            "--fpc",
            "fpc",
            "--where",
            "country in (us, gb)",
        ],
        &[],
        &parquet,
    );
    // Sums of a design are finished with it, and only with it.
    sums_on_duckdb(&csv, &["--strata", "stratum", "--psu", "psu"], &sums);
    let o = concerns()
        .args(["table", "--sums", sums.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("finish them with the design"));
    let o = concerns()
        .args([
            "table",
            "--sums",
            sums.to_str().unwrap(),
            "--strata",
            "stratum",
            "--psu",
            "psu",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn design_problems_from_sums_are_those_of_the_rows() {
    let text = std::fs::read_to_string(root().join(DESIGN)).unwrap();
    let edit = |row: usize, column: &str, value: &str| super::with_field(&text, row, column, value);
    let dir = tempfile::tempdir().unwrap();
    let design = ["--strata", "stratum", "--psu", "psu", "--fpc", "fpc"];
    for (data, words, args) in [
        (
            edit(3, "psu", ""),
            "expected a primary sampling unit",
            &design[..],
        ),
        (
            edit(5, "fpc", "many"),
            "expected a positive number",
            &design[..],
        ),
        (
            edit(5, "fpc", "inf"),
            "expected a positive number",
            &design[..],
        ),
        (
            edit(2, "fpc", "241"),
            "the fpc of stratum 'us' is 240 on one row and 241 on another",
            &design[..],
        ),
        (
            text.replace(",240,", ",3,"),
            "stratum 'us' has 12 PSUs in the sample but an fpc (population size) of 3",
            &design[..],
        ),
        (
            text.clone(),
            "stratum 'zz' has a single PSU",
            &["--strata", "stratum2", "--psu", "psu2"][..],
        ),
    ] {
        let csv = dir.path().join("bad.csv");
        std::fs::write(&csv, data).unwrap();
        let sums = dir.path().join("bad.sums.csv");
        sums_on_duckdb(&csv, args, &sums);
        let from_sums = concerns()
            .args(["table", "--sums", sums.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap();
        let from_rows = concerns()
            .arg("table")
            .arg(&csv)
            .args(args)
            .output()
            .unwrap();
        let (e1, e2) = (
            String::from_utf8_lossy(&from_sums.stderr),
            String::from_utf8_lossy(&from_rows.stderr),
        );
        assert_eq!(from_sums.status.code(), Some(1), "{e1}");
        assert_eq!(from_rows.status.code(), Some(1), "{e2}");
        assert!(
            e1.contains(words) && e2.contains(words),
            "'{words}' in: {e1} / {e2}"
        );
        // The same message but for the file named and the row the reader knows.
        let tail = |e: &str| {
            e.split(", column ").nth(1).map(|t| {
                t.split_once(": expected")
                    .map_or(t.to_string(), |(c, rest)| {
                        format!("{c}{}", rest.split(" (").next().unwrap_or(rest))
                    })
            })
        };
        assert_eq!(tail(&e1), tail(&e2), "{e1} / {e2}");
    }
}

#[test]
fn lenient_sums_leave_out_the_rows_the_reader_leaves_out() {
    // Rows with an unknown code, a negative weight, a blank screener and one with two
    // problems: left out by the query's cells as by the reader, counted once each.
    let (header, rows) = bundled();
    let text = format!("{header}\n{}\n", rows.join("\n"));
    let mut bad = text.clone();
    for (row, column, value) in [
        (7, "ai_familiarity", "maybe"),
        (12, "concern_job_loss", "7"),
        (101, "weight", "-2"),
        (301, "ai_familiarity", ""),
        (301, "concern_bias", "x"),
    ] {
        bad = super::with_field(&bad, row, column, value);
    }
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bad.csv");
    std::fs::write(&csv, &bad).unwrap();
    let sums = dir.path().join("bad.sums.csv");
    sums_on_duckdb(&csv, &["--by", "generation"], &sums);
    let from_sums = table_from(&sums, &["--by", "generation", "--lenient"]);
    let from_rows = json(&[
        "table",
        csv.to_str().unwrap(),
        "--by",
        "generation",
        "--lenient",
        "--format",
        "json",
    ]);
    assert_eq!(from_rows["base"]["dropped"], 4);
    assert_eq!(without_input(from_sums), without_input(from_rows));
    // A repeated ID: the reader keeps its first row, which sums cannot tell.
    let first_id = rows[0].split(',').next().unwrap().to_string();
    let dup = super::with_field(&text, 2, "respondent_id", &first_id);
    std::fs::write(&csv, dup).unwrap();
    sums_on_duckdb(&csv, &[], &sums);
    let o = concerns()
        .args(["table", "--sums", sums.to_str().unwrap(), "--lenient"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("which sums cannot tell"), "{err}");
}

#[test]
fn sums_cut_short_do_not_add_up() {
    // The committed sums of the bundled study by generation, with one line left out: a
    // file cut at a line boundary would otherwise give other numbers without a word.
    let text =
        std::fs::read_to_string(root().join("tests/fixtures/sums/by-generation.sums.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.sums.csv");
    let whole = table_from(
        &root().join("tests/fixtures/sums/by-generation.sums.csv"),
        &["--by", "generation"],
    );
    assert_eq!(whole["base"]["kept"], 5140);
    for kind in ["cell,concerns", "cell,switch_intent", "rows,", "excluded,"] {
        let at = lines.iter().position(|l| l.starts_with(kind)).unwrap();
        let mut cut = lines.clone();
        cut.remove(at);
        std::fs::write(&path, cut.join("\n") + "\n").unwrap();
        let o = concerns()
            .args([
                "table",
                "--sums",
                path.to_str().unwrap(),
                "--by",
                "generation",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{kind}: {err}");
        assert!(err.contains("the sums do not add up"), "{kind}: {err}");
    }
    // The same file twice (by another path) would count everyone twice.
    let fixture = "tests/fixtures/sums/by-generation.sums.csv";
    let again = "tests/fixtures/sums/../sums/by-generation.sums.csv";
    let o = concerns()
        .args([
            "table",
            "--sums",
            fixture,
            "--sums",
            again,
            "--by",
            "generation",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("given twice"), "{err}");
}

#[test]
fn raked_weights_written_with_9_decimals_sum_as_they_read() {
    // `concerns weight` writes the shortest text of each raked weight (16 or 17 digits):
    // summed as floats, by the reader and by an engine in other orders. With --decimals 9
    // every sum is exact, and the sums give the rows' JSON to the last digit.
    let dir = tempfile::tempdir().unwrap();
    let weighted = dir.path().join("weighted.csv");
    succeeded(concerns().args([
        "weight",
        DATA,
        "--targets",
        "docs/examples/targets.toml",
        "--decimals",
        "9",
        "-o",
        weighted.to_str().unwrap(),
    ]));
    let text = std::fs::read_to_string(&weighted).unwrap();
    let weights: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    assert!(weights
        .iter()
        .all(|w| w.split_once('.').is_some_and(|(_, f)| f.len() == 9)));
    let args = ["--weight", "rake_weight", "--by", "generation"];
    let sums = dir.path().join("weighted.sums.csv");
    sums_on_duckdb(&weighted, &args, &sums);
    let mut rows = vec!["table", weighted.to_str().unwrap(), "--format", "json"];
    rows.extend(args);
    assert_eq!(
        without_input(table_from(&sums, &args)),
        without_input(json(&rows))
    );
    // Gen Z at 3% of the population (10% of the sample): their weights are about 0.3, which
    // 0 decimals would write as 0. Refused, nothing written.
    let targets = dir.path().join("few-gen-z.toml");
    std::fs::write(
        &targets,
        "[generation]\ngen_z = 0.03\nmillennial = 0.40\ngen_x = 0.32\nboomer = 0.25\n",
    )
    .unwrap();
    let out = dir.path().join("zero.csv");
    let o = concerns()
        .args(["weight", DATA, "--targets", targets.to_str().unwrap()])
        .args(["--decimals", "0", "-o", out.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("is 0 when written with 0 decimals"), "{err}");
    assert!(!out.exists());
}

#[test]
fn sums_are_finished_with_the_options_they_were_made_with() {
    // The committed sums were made with `--by generation` alone. Other options would read
    // them as something else (the US only as everyone, unweighted as weighted).
    let fixture = "tests/fixtures/sums/by-generation.sums.csv";
    for other in [
        &["--where", "country = us"][..],
        &["--no-weight"][..],
        &[
            "--weight",
            "weight",
            "--codebook",
            "docs/codebooks/spss.toml",
        ][..],
    ] {
        let o = concerns()
            .args(["table", "--sums", fixture, "--by", "generation"])
            .args(other)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_ne!(o.status.code(), Some(0), "{other:?}: {err}");
        assert!(
            err.contains("made by a query for other options") || err.contains("no column"),
            "{other:?}: {err}"
        );
    }
    // The same options, and options that only change the finishing, are fine.
    for same in [&[][..], &["--interval", "beta", "--lang", "ru"][..]] {
        let o = concerns()
            .args(["table", "--sums", fixture, "--by", "generation"])
            .args(same)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{same:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// The bundled data's header and rows.
fn bundled() -> (String, Vec<String>) {
    let text = std::fs::read_to_string(root().join(DATA)).unwrap();
    let mut lines = text.lines().map(str::to_string);
    let header = lines.next().unwrap();
    (header, lines.collect())
}

#[test]
fn continuous_weights_keep_the_sums_small() {
    // 21 copies of the bundled data, every weight made distinct (k billionths added to the
    // k-th row's) and one large: over 100,000 distinct weights among the kept respondents.
    // The sums list them rounded to 4 significant digits instead, so they stay a few
    // thousand rows; the numbers are those of the rows, the warning's median within rounding.
    let (header, rows) = bundled();
    let mut out = vec![header.to_string()];
    let mut k = 0u64;
    for copy in 0..21 {
        for row in &rows {
            let mut f: Vec<String> = row.split(',').map(String::from).collect();
            f[0] = format!("{}-{copy}", f[0]);
            k += 1;
            // In billionths: a decimal of 9 places, as the reader and the query sum exactly.
            let w = (f[4].parse::<f64>().unwrap() * 1e4).round() as u64 * 100_000 + k;
            f[4] = format!("{}.{:09}", w / 1_000_000_000, w % 1_000_000_000);
            // One large weight: the warning that names the largest and the median weight.
            if k == 2 {
                f[4] = "60.123456789".into();
            }
            out.push(f.join(","));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("continuous.csv");
    std::fs::write(&csv, out.join("\n") + "\n").unwrap();
    let sums = dir.path().join("continuous.sums.csv");
    sums_on_duckdb(&csv, &["--by", "generation"], &sums);
    let sums_rows = std::fs::read_to_string(&sums).unwrap().lines().count();
    let weight_rows = std::fs::read_to_string(&sums)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("weight,"))
        .count();
    // The study's 16 cell weights, perturbed past the fourth significant digit: 16 again.
    assert!(
        (1..=100).contains(&weight_rows) && sums_rows < 1_000,
        "{weight_rows} of {sums_rows}"
    );
    let mut from_sums = table_from(&sums, &["--by", "generation"]);
    let mut from_rows = json(&[
        "table",
        csv.to_str().unwrap(),
        "--by",
        "generation",
        "--format",
        "json",
    ]);
    assert!(from_rows["base"]["kept"].as_u64().unwrap() > 100_000);
    let warning = |v: &mut Value| -> String {
        let w = v["warnings"].as_array_mut().unwrap();
        let at = w.iter().position(|x| x["code"] == "weights").unwrap();
        w.remove(at)["message"].as_str().unwrap().to_string()
    };
    let (a, b) = (warning(&mut from_sums), warning(&mut from_rows));
    let number = |t: &str, after: &str| -> f64 {
        let rest = &t[t.find(after).unwrap() + after.len()..];
        rest[..rest.find(')').unwrap()].parse().unwrap()
    };
    // The largest weight is exact; the median within its rounding.
    assert_eq!(
        number(&a, "largest weight ("),
        number(&b, "largest weight (")
    );
    let (ma, mb) = (number(&a, "median weight ("), number(&b, "median weight ("));
    assert!(((ma - mb) / mb).abs() < 1e-3, "{a} / {b}");
    assert_eq!(without_input(from_sums), without_input(from_rows));
}

#[test]
fn sums_of_partitions_add_up_to_the_whole() {
    let (header, rows) = bundled();
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["table".to_string()];
    // Three partitions of unequal size, as days of a continuous survey.
    for (k, part) in [&rows[..1000], &rows[1000..4500], &rows[4500..]]
        .iter()
        .enumerate()
    {
        let csv = dir.path().join(format!("day{k}.csv"));
        std::fs::write(&csv, format!("{header}\n{}\n", part.join("\n"))).unwrap();
        let sums = dir.path().join(format!("day{k}.sums.csv"));
        sums_on_duckdb(&csv, &["--by", "generation"], &sums);
        args.extend(["--sums".to_string(), sums.to_str().unwrap().to_string()]);
    }
    args.extend(["--by", "generation", "--format", "json"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let added = json(&args);
    assert_eq!(
        added["input"]["path"],
        "day0.sums.csv + day1.sums.csv + day2.sums.csv"
    );
    let whole = json(&["table", DATA, "--by", "generation", "--format", "json"]);
    assert_eq!(without_input(added), without_input(whole));
}

#[test]
fn sums_with_problems_are_refused_as_the_rows_are() {
    let text = std::fs::read_to_string(root().join(DATA)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("bad.csv");
    std::fs::write(&csv, text.replacen(",1,0,0,0,0,", ",1,0,7,0,0,", 1)).unwrap();
    let sums = dir.path().join("bad.sums.csv");
    sums_on_duckdb(&csv, &[], &sums);
    let o = concerns()
        .args(["table", "--sums", sums.to_str().unwrap()])
        .output()
        .unwrap();
    let rows = concerns()
        .args(["table", csv.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(rows.status.code(), Some(1));
    // The file reader's message, without the row.
    let err = String::from_utf8_lossy(&o.stderr);
    let from_rows = String::from_utf8_lossy(&rows.stderr);
    let body = |e: &str| e.split(": expected").nth(1).map(str::to_string);
    assert!(
        err.starts_with("error: ") && err.contains("bad.sums.csv, column 'concern_"),
        "{err}"
    );
    assert_eq!(body(&err), body(&from_rows), "{err} / {from_rows}");
    assert!(err.contains("found '7'"), "{err}");
    // In Russian too, worded as the file reader words it.
    let ru = |args: &[&str]| {
        let o = concerns()
            .args(args)
            .args(["--lang", "ru"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let (err, from_rows) = (
        ru(&["table", "--sums", sums.to_str().unwrap()]),
        ru(&["table", csv.to_str().unwrap()]),
    );
    let body = |e: &str| e.split(": ожидалось").nth(1).map(str::to_string);
    assert!(
        err.contains("столбец 'concern_") && err.contains("найдено '7'"),
        "{err}"
    );
    assert_eq!(body(&err), body(&from_rows), "{err} / {from_rows}");
    // Sums that are not the query's: a clear error naming the row and column.
    for (bytes, expected) in [
        ("kind,name\nrows,\n".to_string(), "no column state"),
        (
            std::fs::read_to_string(&sums)
                .unwrap()
                .replacen("cell,concerns", "cell,nosuch", 1),
            "a question of the codebook",
        ),
        (
            std::fs::read_to_string(&sums)
                .unwrap()
                .replacen("\nrows,", "\nrowz,", 1),
            "rows, excluded, filtered, invalid, weight, unit, cell, base, item, outside or outside_item",
        ),
    ] {
        std::fs::write(&sums, bytes).unwrap();
        let o = concerns()
            .args(["table", "--sums", sums.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(expected), "{err}");
    }
}

/// Spark in local mode (PySpark with a Java runtime; `.ci/run` installs them when
/// missing): reads each CSV of `tables` with typed columns, writes it as Parquet, reads the
/// Parquet back as a table of that name and saves the result of each query as CSV.
fn sums_on_spark(tables: &[(&str, &Path)], queries: &[(&Path, &Path)]) {
    let script = r#"
import csv, os, sys
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").appName("concerns-test")
         .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
n = int(sys.argv[1])
for name, path in zip(sys.argv[2:2 + 2 * n:2], sys.argv[3:2 + 2 * n:2]):
    parquet = os.path.join(sys.argv[2 + 2 * n], name + ".parquet")
    # RFC 4180 quoting: a backslash in a field is text, not Spark's default escape. Tables
    # named *_text keep every column as text (Spark's type inference reads `1.5d` as 1.5).
    infer = not name.endswith("_text")
    spark.read.option("header", True).option("inferSchema", infer).option("escape", "\"").csv(path).write.parquet(parquet)
    spark.read.parquet(parquet).createOrReplaceTempView(name)
rest = sys.argv[3 + 2 * n:]
for query, out in zip(rest[0::2], rest[1::2]):
    df = spark.sql(open(query).read())
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(df.columns)
        for row in df.collect():
            w.writerow(["" if v is None else str(v) for v in row])
spark.stop()
"#;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("python3");
    cmd.args(["-c", script]).arg(tables.len().to_string());
    for (name, csv) in tables {
        cmd.arg(name).arg(csv);
    }
    cmd.arg(dir.path());
    for (q, out) in queries {
        cmd.arg(q).arg(out);
    }
    let o = cmd.output().expect("python3 runs");
    assert!(
        o.status.success(),
        "Spark ran the queries (PySpark and Java: `python3 -m pip install pyspark`; .ci/run installs them): {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn table_from_sums_computed_by_spark_is_the_table_from_rows() {
    let dir = tempfile::tempdir().unwrap();
    let design = ["--strata", "stratum", "--psu", "psu", "--fpc", "fpc"];
    let forms = google_forms_with_hard_cells(dir.path());
    let gf = root().join("docs/codebooks/google-forms.toml");
    // A weight that is not a number: refused as the reader refuses it.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        std::fs::read_to_string(root().join(DATA))
            .unwrap()
            .replacen(",1.3087,", ",abc,", 1),
    )
    .unwrap();
    // Weights Spark's cast reads and the reader does not (`1.5d`, `2f`, `0x1p0`).
    let spelled = dir.path().join("spelled.csv");
    let mut text = std::fs::read_to_string(root().join(DATA)).unwrap();
    for (from, to) in [
        (",1.3087,", ",1.5d,"),
        (",1.3087,", ",2f,"),
        (",1.3087,", ",0x1p0,"),
    ] {
        text = text.replacen(from, to, 1);
    }
    std::fs::write(&spelled, text).unwrap();
    // (table, data, options): the bundled data, a design with strata, clusters and fpc,
    // Google Forms' joined choice texts that hold the delimiter, the weights that are no
    // numbers to the reader.
    let design_by = [&design[..], &["--by", "generation"]].concat();
    // Wide "check all" questions, summed per item (63 items, a base per item, joined codes).
    let (wide, wide_codebook) = super::limits::wide_survey(dir.path(), 300);
    let wide_options = vec![
        "--codebook",
        wide_codebook.to_str().unwrap(),
        "--strata",
        "stratum",
        "--psu",
        "psu",
        "--by",
        "region",
        "--where",
        "region in (north, east)",
    ];
    let cases: [(&str, &str, Vec<&str>); 7] = [
        ("responses", DATA, vec![]),
        ("responses", DATA, vec!["--by", "generation"]),
        ("design", DESIGN, design_by),
        (
            "forms",
            forms.to_str().unwrap(),
            vec!["--codebook", gf.to_str().unwrap()],
        ),
        ("bad", bad.to_str().unwrap(), vec![]),
        ("spelled_text", spelled.to_str().unwrap(), vec![]),
        ("wide_text", wide.to_str().unwrap(), wide_options),
    ];
    let mut files = Vec::new();
    for (k, (table, _, by)) in cases.iter().enumerate() {
        let mut args = vec!["sql", "--dialect", "spark", "--table", table];
        args.extend_from_slice(by);
        let query = dir.path().join(format!("q{k}.sql"));
        std::fs::write(&query, succeeded(concerns().args(&args)).stdout).unwrap();
        files.push((query, dir.path().join(format!("sums{k}.csv"))));
    }
    let pairs: Vec<(&Path, &Path)> = files
        .iter()
        .map(|(q, o)| (q.as_path(), o.as_path()))
        .collect();
    let (data, design_data) = (root().join(DATA), root().join(DESIGN));
    sums_on_spark(
        &[
            ("responses", &data),
            ("design", &design_data),
            ("forms", &forms),
            ("bad", &bad),
            ("spelled_text", &spelled),
            ("wide_text", &wide),
        ],
        &pairs,
    );
    let from_sums = concerns()
        .args(["table", "--sums", files[5].1.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&from_sums.stderr);
    assert_eq!(from_sums.status.code(), Some(1), "{err}");
    assert!(
        err.contains("column 'weight'") && err.contains("(3 rows have such values)"),
        "{err}"
    );
    let from_sums = concerns()
        .args(["table", "--sums", files[4].1.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&from_sums.stderr);
    assert_eq!(from_sums.status.code(), Some(1), "{err}");
    assert!(
        err.contains("column 'weight'") && err.contains("found 'abc'"),
        "{err}"
    );
    for ((_, rows, by), (_, sums)) in cases
        .iter()
        .zip(&files)
        .enumerate()
        .filter(|(k, _)| ![4, 5].contains(k))
        .map(|(_, c)| c)
    {
        let mut args = vec![
            "table",
            "--sums",
            sums.to_str().unwrap(),
            "--format",
            "json",
        ];
        args.extend_from_slice(by);
        let from_sums = json(&args);
        let mut args = vec!["table", rows, "--format", "json"];
        args.extend_from_slice(by);
        assert_eq!(
            without_input(from_sums),
            without_input(json(&args)),
            "{rows} {by:?}"
        );
    }
}

/// The Qualtrics export fixture as a table would hold it: the names row, then the data
/// (the two rows of question texts and import IDs dropped).
fn qualtrics_as_table(dir: &Path) -> std::path::PathBuf {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(root().join("tests/fixtures/platforms/qualtrics.csv"))
        .unwrap();
    let path = dir.join("qualtrics-table.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    for (i, r) in reader.records().enumerate() {
        if i == 0 || i > 2 {
            w.write_record(&r.unwrap()).unwrap();
        }
    }
    w.flush().unwrap();
    path
}

#[test]
fn a_check_all_question_joined_in_one_column_sums_as_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    let table = qualtrics_as_table(dir.path());
    let codebook = "docs/codebooks/qualtrics.toml";
    let sums = dir.path().join("q.sums.csv");
    // The table has one header row; the codebook describes the export's three.
    let one_header = dir.path().join("one-header.toml");
    std::fs::write(
        &one_header,
        std::fs::read_to_string(root().join(codebook))
            .unwrap()
            .replace("header_rows = 3", "header_rows = 1"),
    )
    .unwrap();
    let cb = one_header.to_str().unwrap();
    sums_on_duckdb(&table, &["--codebook", cb, "--by", "gender"], &sums);
    let from_sums = table_from(&sums, &["--codebook", cb, "--by", "gender"]);
    let from_rows = json(&[
        "table",
        "tests/fixtures/platforms/qualtrics.csv",
        "--codebook",
        codebook,
        "--by",
        "gender",
        "--format",
        "json",
    ]);
    assert_eq!(without_input(from_sums), without_input(from_rows));
}

/// The Google Forms fixture with cells that test the reading of joined codes whose codes
/// hold the delimiter: a code without its space, empty tokens, white space and a tab
/// around delimiters, a write-in that starts like a code, and regex characters.
fn google_forms_with_hard_cells(dir: &Path) -> std::path::PathBuf {
    let text =
        std::fs::read_to_string(root().join("tests/fixtures/platforms/google-forms.csv")).unwrap();
    // Rows end as the export's do (CRLF).
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = text.trim_end().to_string();
    for (k, cell) in [
        "It will be harder to reach a human agent,not a bot",
        "Other, , ,It will be harder to reach a human agent, not a bot",
        "  It will be harder to reach a human agent, not a bot ,\t AI will take people's jobs  ",
        "It will be harder to reach a human agent, not a bot, and more, AI bias will make service unequal",
        "My data will be less secure (.*?)|\\Q, AI will give wrong answers,",
        ",,,",
    ]
    .iter()
    .enumerate()
    {
        out.push_str(&format!(
            "{eol}2023/12/31 1:0{k}:00 PM GMT,Very familiar,Yes,No,\"{}\",United States,Gen X (born 1965–1980),Man,1.25",
            cell.replace('"', "\"\"")
        ));
    }
    let path = dir.join("google-forms.csv");
    std::fs::write(&path, out + eol).unwrap();
    path
}

#[test]
fn codes_that_hold_the_delimiter_are_read_as_the_file_reader_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let csv = google_forms_with_hard_cells(dir.path());
    let codebook = root().join("docs/codebooks/google-forms.toml");
    let cb = codebook.to_str().unwrap();
    let sums = dir.path().join("gf.sums.csv");
    for by in [&[][..], &["--by", "generation"][..]] {
        let mut args = vec!["--codebook", cb];
        args.extend_from_slice(by);
        sums_on_duckdb(&csv, &args, &sums);
        let from_sums = table_from(&sums, &args);
        let mut rows = vec!["table", csv.to_str().unwrap(), "--format", "json"];
        rows.extend(&args);
        let from_rows = json(&rows);
        assert_eq!(from_rows["input"]["rows"], 306);
        assert_eq!(without_input(from_sums), without_input(from_rows), "{by:?}");
    }
    // Without an item for other text, a token that is no code is an invalid value, found by
    // the query as by the reader.
    let strict = dir.path().join("strict.toml");
    std::fs::write(
        &strict,
        std::fs::read_to_string(&codebook)
            .unwrap()
            .replace("unlisted = \"other\"\n", ""),
    )
    .unwrap();
    let args = ["--codebook", strict.to_str().unwrap()];
    let rows = on_duckdb(&csv, &args);
    let (n, examples) = invalid(&rows);
    let o = concerns()
        .args(["validate", csv.to_str().unwrap(), "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let text = report.to_string();
    assert!(n > 5.0, "{n}");
    assert!(
        examples
            .iter()
            .all(|e| text.contains(&e.replace('"', "\\\""))),
        "{examples:?}"
    );
    // One bad row: the same message from the sums as from the rows, hint included.
    let text = std::fs::read_to_string(&csv).unwrap();
    let one = dir.path().join("one.csv");
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let bad = lines.find(|l| l.contains("and more")).unwrap();
    std::fs::write(&one, format!("{header}\n{bad}\n")).unwrap();
    let sums = dir.path().join("one.sums.csv");
    sums_on_duckdb(&one, &args, &sums);
    let from_sums = concerns()
        .args(["table", "--sums", sums.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    let from_rows = concerns()
        .arg("table")
        .arg(&one)
        .args(args)
        .output()
        .unwrap();
    let (e1, e2) = (
        String::from_utf8_lossy(&from_sums.stderr).into_owned(),
        String::from_utf8_lossy(&from_rows.stderr).into_owned(),
    );
    assert!(
        e1.contains("found 'and more'; if respondents typed their own answers"),
        "{e1}"
    );
    let body = |e: &str| e.split(", column ").nth(1).map(str::to_string);
    assert_eq!(body(&e1), body(&e2), "{e1} / {e2}");
    // PostgreSQL's regular expressions prefer the longest match: not compiled there.
    let o = concerns()
        .args([
            "sql",
            "--dialect",
            "postgres",
            "--table",
            "t",
            "--codebook",
            cb,
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not for PostgreSQL"));
}

fn of_kind<'a>(rows: &'a [Value], kind: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["kind"] == kind).collect()
}

/// Rows breaking any rule (the `rows` row's `invalid_R`), and the examples given.
/// Rows breaking the codebook's rules (summed over the rules) and the example of each rule:
/// the `invalid` rows of the sums, one per rule that rows broke.
fn invalid(rows: &[Value]) -> (f64, Vec<String>) {
    let rules = of_kind(rows, "invalid");
    let n = rules.iter().map(|r| num(&r["n"])).sum();
    let mut examples: Vec<String> = rules
        .iter()
        .filter(|r| !r["value"].is_null())
        .map(|r| r["value"].as_str().unwrap().to_string())
        .collect();
    examples.sort();
    (n, examples)
}

fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().unwrap(),
        Value::Null => 0.0,
        v => v.as_f64().unwrap(),
    }
}

#[test]
fn the_query_on_duckdb_gives_the_sums_of_the_file_reader() {
    let csv = root().join(DATA);
    let rows = on_duckdb(&csv, &["--by", "generation"]);
    let file = json(&["table", DATA, "--by", "generation", "--format", "json"]);
    assert_eq!(num(&of_kind(&rows, "rows")[0]["n"]), 5728.0);
    assert_eq!(of_kind(&rows, "rows").len(), 1);
    assert_eq!(invalid(&rows), (0.0, vec![]));
    let excluded = of_kind(&rows, "excluded");
    assert_eq!(excluded.len(), 1);
    assert_eq!(excluded[0]["state"], 0, "the first screener");
    assert_eq!(
        num(&excluded[0]["n"]),
        file["base"]["excluded"].as_f64().unwrap()
    );
    assert_eq!(num(&of_kind(&rows, "rows")[0]["duplicate_ids"]), 0.0);
    let weights: f64 = of_kind(&rows, "weight").iter().map(|r| num(&r["n"])).sum();
    assert_eq!(weights, file["base"]["kept"].as_f64().unwrap());

    // Every base and item, total and per generation, from the cells' answer states.
    let cells = of_kind(&rows, "cell");
    let mut checked = 0;
    for q in file["questions"].as_array().unwrap() {
        let multi = q["kind"] != "single_choice";
        let mine: Vec<&&Value> = cells.iter().filter(|c| c["name"] == q["id"]).collect();
        let groups = std::iter::once((None, q)).chain(
            q["by"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| (Some(b["value"].as_str().unwrap()), b)),
        );
        for (group, expected) in groups {
            let sum = |select: &dyn Fn(u64) -> bool| {
                mine.iter()
                    .filter(|c| group.is_none_or(|g| c["g0"] == g))
                    .filter(|c| select(c["state"].as_u64().unwrap()))
                    .fold((0.0, 0.0), |(n, w), c| (n + num(&c["n"]), w + num(&c["w"])))
            };
            let (n, w) = sum(&|s| if multi { s & 1 == 1 } else { s > 0 });
            assert_eq!(
                n,
                expected["base"]["unweighted"].as_f64().unwrap(),
                "{} {group:?}",
                q["id"]
            );
            assert!((w - expected["base"]["weighted"].as_f64().unwrap()).abs() < 1e-9);
            for (i, item) in expected["items"].as_array().unwrap().iter().enumerate() {
                let (n, w) = sum(&|s| {
                    if multi {
                        s >> (i + 1) & 1 == 1
                    } else {
                        s == i as u64 + 1
                    }
                });
                assert_eq!(
                    n,
                    item["count"].as_f64().unwrap(),
                    "{} {group:?} {}",
                    q["id"],
                    item["id"]
                );
                assert!((w - item["weighted_count"].as_f64().unwrap()).abs() < 1e-9);
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "{checked} items compared");
}

#[test]
fn the_query_counts_the_problems_the_file_reader_finds() {
    let text = std::fs::read_to_string(root().join(DATA)).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let at = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let (bias, weight, id) = (at("concern_bias"), at("weight"), at("respondent_id"));
    let set = |line: &mut String, col: usize, value: &str| {
        let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
        fields[col] = value.to_string();
        *line = fields.join(",");
    };
    set(&mut lines[3], bias, "2");
    set(&mut lines[5], weight, "abc");
    let first_id = lines[1].split(',').nth(id).unwrap().to_string();
    set(&mut lines[7], id, &first_id);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("problems.csv");
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();

    let rows = on_duckdb(&csv, &[]);
    assert_eq!(
        invalid(&rows),
        (2.0, vec!["2".to_string(), "abc".to_string()])
    );
    assert_eq!(num(&of_kind(&rows, "rows")[0]["duplicate_ids"]), 1.0);
    // The file reader finds the same two values.
    let o = super::run(&["validate", csv.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("concern_bias") && text.contains("abc"),
        "{text}"
    );
}

#[test]
fn unsupported_codebooks_and_bad_tables_are_usage_errors() {
    for (dialect, args, expected) in [
        ("spark", vec!["--table", "a..b"], "expected a table name"),
        ("duckdb", vec!["--table", ""], "expected a table name"),
        (
            "postgres",
            vec![
                "--table",
                "t",
                "--codebook",
                "docs/codebooks/google-forms.toml",
            ],
            "not for PostgreSQL",
        ),
    ] {
        let mut all = vec!["sql", "--dialect", dialect];
        all.extend(args);
        let o = concerns().args(&all).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{all:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(expected), "{all:?}: {err}");
    }
}

#[test]
fn codebook_text_stays_inside_its_quotes_in_every_dialect() {
    // A codebook whose codes and labels hold quotes, backslashes, comment markers and ESC.
    let canonical = std::fs::read_to_string(root().join("codebooks/canonical.toml")).unwrap();
    let hostile = canonical.replace(
        "code = \"unsure\"",
        "code = \"it's \\\\'; DROP TABLE t; --\\u001b\"",
    );
    assert_ne!(hostile, canonical, "the codebook has the code to replace");
    let dir = tempfile::tempdir().unwrap();
    let cb = dir.path().join("hostile.toml");
    std::fs::write(&cb, &hostile).unwrap();
    for dialect in ["duckdb", "postgres", "spark"] {
        let out = succeeded(concerns().args([
            "sql",
            "--dialect",
            dialect,
            "--table",
            "responses",
            "--codebook",
            cb.to_str().unwrap(),
        ]));
        let sql = String::from_utf8(out.stdout).unwrap();
        assert!(
            !sql.contains('\u{1b}'),
            "{dialect}: a raw control character"
        );
        assert!(
            sql.contains("'it''s ") && sql.contains("; DROP TABLE t; --"),
            "{dialect}"
        );
    }
    // And DuckDB runs it.
    let csv = root().join(DATA);
    let rows = on_duckdb(&csv, &["--codebook", cb.to_str().unwrap()]);
    // The code stayed one literal: every "unsure" answer is now an invalid value, as the
    // file reader says.
    let unsure = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .filter(|l| l.split(',').any(|f| f == "unsure"))
        .count() as f64;
    assert_eq!(invalid(&rows), (unsure, vec!["unsure".to_string()]));
    assert!(unsure > 100.0);
}

#[test]
fn a_table_loaded_the_ordinary_way_is_read_or_the_error_says_how_to_load_it() {
    let csv = root().join(DATA);
    let dir = tempfile::tempdir().unwrap();
    let sums = dir.path().join("sums.csv");
    let by = ["--by", "generation"];
    // read_csv_auto types the columns: the 0/1 items BIGINT, the weight DOUBLE, yes/no
    // BOOLEAN. The yes/no codes cannot be read back from true/false.
    let o = super::support::duckdb_sums_loaded(&csv, "read_csv_auto('{path}')", &by, &sums);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = concerns()
        .args([
            "table",
            "--sums",
            sums.to_str().unwrap(),
            "--by",
            "generation",
        ])
        .output()
        .unwrap();
    super::support::refused(&o, 1, "found 'false'");
    super::support::refused(&o, 1, "BOOLEAN");
    super::support::refused(&o, 1, "all_varchar = true");
    // Typed integer and number columns are read exactly: with the yes/no column kept as
    // text, the sums are those of the rows to the last digit.
    let o = super::support::duckdb_sums_loaded(
        &csv,
        "read_csv_auto('{path}', types = {'prefer_no_ai': 'VARCHAR'})",
        &by,
        &sums,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let from_sums = table_from(&sums, &by);
    let from_rows = json(&["table", DATA, "--by", "generation", "--format", "json"]);
    assert_eq!(without_input(from_sums), without_input(from_rows));
}

#[test]
fn sums_of_other_options_name_the_options_they_were_made_with() {
    let csv = root().join(DATA);
    let dir = tempfile::tempdir().unwrap();
    let sums = dir.path().join("sums.csv");
    sums_on_duckdb(&csv, &["--by", "generation"], &sums);
    for (here, says) in [
        (&[][..], "no --by"),
        (&["--by", "gender"][..], "--by gender"),
        (
            &["--by", "generation", "--by", "gender"][..],
            "--by generation, --by gender",
        ),
        (&["--by", "generation", "--no-weight"][..], "--no-weight"),
    ] {
        let o = concerns()
            .args(["table", "--sums", sums.to_str().unwrap()])
            .args(here)
            .output()
            .unwrap();
        super::support::refused(&o, 1, "made by a query for other options (codebook 'gartner-ai-customer-service-2023', --by generation, --weight weight; here:");
        super::support::refused(&o, 1, says);
    }
}
