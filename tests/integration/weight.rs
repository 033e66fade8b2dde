//! `concerns weight`: raking weights against R `survey::rake` (tests/reference/rake.R →
//! rake_r.csv), the margins they reproduce, the rows copied untouched, and the errors for
//! targets that cannot be met.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use super::{concerns, json, read_rows, root, DATA};

const TARGETS: &str = "docs/examples/targets.toml";
const COUNTS: &str = "tests/fixtures/rake/counts.toml";

fn weigh(data: &Path, targets: &str, out: &Path, extra: &[&str]) -> Output {
    concerns()
        .arg("weight")
        .arg(data)
        .args(["--targets", targets, "-o"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn weights(path: &Path) -> Vec<(String, f64)> {
    read_rows(path)
        .into_iter()
        .map(|r| {
            (
                r["respondent_id"].clone(),
                r["rake_weight"].parse().unwrap(),
            )
        })
        .collect()
}

fn r_weights(case: &str) -> HashMap<String, f64> {
    read_rows(&root().join("tests/reference/rake_r.csv"))
        .into_iter()
        .filter(|r| r["case"] == case)
        .map(|r| (r["respondent_id"].clone(), r["weight"].parse().unwrap()))
        .collect()
}

#[test]
fn weights_equal_r_survey_rake_plain_from_a_base_weight_and_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    for (case, targets, extra) in [
        ("shares", TARGETS, vec![]),
        ("counts", COUNTS, vec!["--base-weight", "weight"]),
        (
            "trimmed",
            TARGETS,
            vec!["--trim-max", "2.5", "--trim-min", "0.6"],
        ),
    ] {
        let out = dir.path().join(format!("{case}.csv"));
        let run = weigh(&root().join(DATA), targets, &out, &extra);
        assert!(
            run.status.success(),
            "{case}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let want = r_weights(case);
        let got = weights(&out);
        assert_eq!(got.len(), want.len(), "{case}: every row weighted");
        for (id, w) in got {
            let r = want[&id];
            assert!((w - r).abs() <= 1e-9 * r, "{case} {id}: {w} vs R {r}");
        }
    }
}

#[test]
fn the_weighted_file_reproduces_every_target_margin() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w.csv");
    let report = dir.path().join("report.json");
    let run = weigh(
        &root().join(DATA),
        TARGETS,
        &out,
        &["--report", report.to_str().unwrap()],
    );
    assert!(run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("Raked 5728 rows on 3 variables: converged"),
        "{stderr}"
    );
    // Summed here, independently of the program: each category's share of the weights.
    let rows = read_rows(&out);
    let total: f64 = rows
        .iter()
        .map(|r| r["rake_weight"].parse::<f64>().unwrap())
        .sum();
    assert!(
        (total - rows.len() as f64).abs() < 1e-6,
        "shares keep the sample size"
    );
    let targets: toml::Table = std::fs::read_to_string(root().join(TARGETS))
        .unwrap()
        .parse()
        .unwrap();
    for (column, cats) in &targets {
        for (code, share) in cats.as_table().unwrap() {
            let sum: f64 = rows
                .iter()
                .filter(|r| &r[column.as_str()] == code)
                .map(|r| r["rake_weight"].parse::<f64>().unwrap())
                .sum();
            let share = share.as_float().unwrap();
            assert!(
                (sum / total - share).abs() < 1e-9,
                "{column}={code}: {} vs {share}",
                sum / total
            );
        }
    }
    // `concerns table` on the weighted file, with the raking variables as questions and no
    // screener (raking weighs every row), gives the targets back.
    let cb = dir.path().join("cb.toml");
    let question = |id: &str, codes: &[&str]| {
        let items: Vec<String> = codes
            .iter()
            .map(|c| format!("  {{ id = \"{c}\", code = \"{c}\", label.en = \"{c}\" }},"))
            .collect();
        format!(
            "[[questions]]\nid = \"{id}\"\nkind = \"single_choice\"\ncolumn = \"{id}\"\norder = \"codebook\"\ntext.en = \"{id}\"\nitems = [\n{}\n]\n",
            items.join("\n")
        )
    };
    let text = format!(
        "respondent_id = \"respondent_id\"\nweight = \"rake_weight\"\n[survey]\nid = \"check\"\ntitle.en = \"check\"\n{}{}",
        question("generation", &["gen_z", "millennial", "gen_x", "boomer"]),
        question("country", &["us", "gb", "de", "fr", "au", "ca"])
    );
    std::fs::write(&cb, text).unwrap();
    let v = json(&[
        "table",
        out.to_str().unwrap(),
        "--codebook",
        cb.to_str().unwrap(),
        "--format",
        "json",
    ]);
    for q in v["questions"].as_array().unwrap() {
        let id = q["id"].as_str().unwrap();
        for i in q["items"].as_array().unwrap() {
            let want = targets[id][i["id"].as_str().unwrap()].as_float().unwrap();
            let got = i["share"].as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-9,
                "table {id} {}: {got} vs {want}",
                i["id"]
            );
        }
    }
    // The report: every margin achieved, the weights described.
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["converged"], true);
    assert_eq!(r["rows"], 5728);
    let deff = r["design_effect"].as_f64().unwrap();
    let eff = r["weighting_efficiency"].as_f64().unwrap();
    assert!((deff * eff - 1.0).abs() < 1e-12 && deff > 1.0);
    let w: Vec<f64> = rows
        .iter()
        .map(|r| r["rake_weight"].parse().unwrap())
        .collect();
    let kish =
        w.iter().sum::<f64>().powi(2) / (w.len() as f64 * w.iter().map(|x| x * x).sum::<f64>());
    assert!((eff - kish).abs() < 1e-9);
    let max = w.iter().cloned().fold(0.0, f64::max);
    assert_eq!(r["weights"]["max"].as_f64(), Some(max));
    for m in r["margins"].as_array().unwrap() {
        for c in m["categories"].as_array().unwrap() {
            let (t, a) = (
                c["target"].as_f64().unwrap(),
                c["achieved"].as_f64().unwrap(),
            );
            assert!((t - a).abs() < 1e-7, "{m} {c}");
        }
    }
}

#[test]
fn rows_are_copied_as_they_were_in_their_encoding_and_delimiter() {
    let dir = tempfile::tempdir().unwrap();
    // Windows-1251, semicolons, CRLF, a quoted field with a line break and a delimiter.
    let mut bytes = b"id;region;note\r\n".to_vec();
    let regions = ["north", "south"];
    for k in 0..40 {
        let note: &[u8] = if k == 3 {
            b"\"two\r\nlines; quoted\""
        } else {
            b"\xcf\xf0\xe8\xe2\xe5\xf2"
        };
        bytes.extend(format!("{k};{};", regions[k % 2]).as_bytes());
        bytes.extend(note);
        bytes.extend(b"\r\n");
    }
    let data = dir.path().join("in.csv");
    std::fs::write(&data, &bytes).unwrap();
    let targets = dir.path().join("t.toml");
    std::fs::write(&targets, "[region]\nnorth = 0.3\nsouth = 0.7\n").unwrap();
    let out = dir.path().join("out.csv");
    let run = weigh(
        &data,
        targets.to_str().unwrap(),
        &out,
        &["--encoding", "windows-1251"],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let written = std::fs::read(&out).unwrap();
    // Each input line is a prefix of the output line: the original bytes, then ";weight".
    let split = |b: &[u8]| -> Vec<Vec<u8>> {
        let text = b.to_vec();
        let mut lines = Vec::new();
        let mut quoted = false;
        let mut cur = Vec::new();
        for (i, &c) in text.iter().enumerate() {
            if c == b'"' {
                quoted = !quoted;
            }
            if c == b'\n' && !quoted && i > 0 && text[i - 1] == b'\r' {
                cur.pop();
                lines.push(std::mem::take(&mut cur));
            } else {
                cur.push(c);
            }
        }
        lines
    };
    let (before, after) = (split(&bytes), split(&written));
    assert_eq!(before.len(), after.len());
    assert_eq!(after[0], b"id;region;note;rake_weight");
    for (a, b) in before.iter().zip(&after).skip(1) {
        assert!(
            b.starts_with(a) && b[a.len()] == b';',
            "{:?}",
            String::from_utf8_lossy(b)
        );
        let w: f64 = std::str::from_utf8(&b[a.len() + 1..])
            .unwrap()
            .parse()
            .unwrap();
        let north = a.windows(5).any(|x| x == b"north");
        // 20 rows each: north 0.3 × 40 / 20, south 0.7 × 40 / 20.
        let want = if north { 0.6 } else { 1.4 };
        assert!((w - want).abs() < 1e-12, "{w}");
    }
}

#[test]
fn standard_input_is_weighted_too() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w.csv");
    let mut child = concerns()
        .args(["weight", "-", "--targets", TARGETS, "-o"])
        .arg(&out)
        .stdin(std::process::Stdio::from(
            std::fs::File::open(root().join(DATA)).unwrap(),
        ))
        .output()
        .unwrap();
    assert!(
        child.status.success(),
        "{}",
        String::from_utf8_lossy(&child.stderr)
    );
    child.stderr.clear();
    let want = r_weights("shares");
    for (id, w) in weights(&out) {
        assert!((w - want[&id]).abs() <= 1e-9 * w);
    }
}

/// Runs `weight` on `data` (CSV text) with `targets` (TOML text) and `extra` options.
fn refused(
    data: &str,
    targets: &str,
    extra: &[&str],
) -> (Option<i32>, String, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data.csv");
    let t = dir.path().join("targets.toml");
    std::fs::write(&d, data).unwrap();
    std::fs::write(&t, targets).unwrap();
    let out = dir.path().join("out.csv");
    let run = weigh(&d, t.to_str().unwrap(), &out, extra);
    (
        run.status.code(),
        String::from_utf8_lossy(&run.stderr).into_owned(),
        out,
        dir,
    )
}

#[test]
fn targets_that_cannot_be_met_are_refused_with_a_clear_message() {
    let data = "id,g,r,w\n1,a,x,1\n2,a,y,2\n3,b,x,1\n4,b,y,1\n";
    for (targets, extra, code, words) in [
        (
            "[g]\na = 0.5\nb = 0.5\nc = 0.1\n",
            vec![],
            2,
            "sum to 1.1, not 1",
        ),
        ("[g]\na = 0.5\nb = 0.4\n", vec![], 2, "sum to 0.9, not 1"),
        (
            "[g]\na = 10\n",
            vec![],
            1,
            "row 4, column 'g': 'b' has no target",
        ),
        (
            "[g]\na = 0.4\nb = 0.4\nc = 0.2\n",
            vec![],
            1,
            "no respondent has 'c'",
        ),
        (
            "[gg]\na = 0.5\nb = 0.5\n",
            vec![],
            1,
            "column 'gg' (a raking variable of the targets) is missing",
        ),
        (
            "[g]\na = 0\nb = 1\n",
            vec![],
            2,
            "expected a positive share or count",
        ),
        (
            "[g]\na = 10\nb = 10\n[r]\nx = 10\ny = 11\n",
            vec![],
            2,
            "every margin must describe one population",
        ),
        ("g = 1\n", vec![], 2, "'g' is not a table"),
        (
            "[g]\na = 0.5\nb = 0.5\n",
            vec!["--base-weight", "r"],
            1,
            "'x' is not a base weight: a positive number",
        ),
        (
            "[g]\na = 0.5\nb = 0.5\n",
            vec!["--name", "w"],
            2,
            "already has a column 'w'",
        ),
        (
            "[g]\na = 0.5\nb = 0.5\n",
            vec!["--trim-max", "0.5"],
            2,
            "--trim-max",
        ),
    ] {
        let (got, err, out, _dir) = refused(data, targets, &extra);
        assert_eq!(got, Some(code), "{targets}: {err}");
        assert!(
            err.contains(words),
            "{targets}: expected '{words}' in {err}"
        );
        assert!(!out.exists(), "nothing written");
    }
    // Margins the data cannot meet together: g and r are the same split.
    let data = "id,g,r\n1,a,x\n2,a,x\n3,b,y\n4,b,y\n";
    let (got, err, out, _dir) =
        refused(data, "[g]\na = 0.5\nb = 0.5\n[r]\nx = 0.9\ny = 0.1\n", &[]);
    assert_eq!(got, Some(1), "{err}");
    assert!(err.contains("the margins cannot be met together"), "{err}");
    assert!(!out.exists());
    // Too few sweeps for the bundled data's three margins.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("w.csv");
    let run = weigh(
        &root().join(DATA),
        TARGETS,
        &out,
        &["--max-iterations", "1"],
    );
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("raking did not converge in 1 iterations"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn a_target_keyed_by_a_label_and_targets_in_shares_and_counts_are_named() {
    // The codebook's labels of the generation codes, as an analyst copies them from a table.
    let dir = tempfile::tempdir().unwrap();
    let labels = dir.path().join("labels.toml");
    std::fs::write(
        &labels,
        "[generation]\n\"Gen Z\" = 0.2\n\"Millennials\" = 0.35\n\"Gen X\" = 0.3\n\"Baby boomers\" = 0.15\n",
    )
    .unwrap();
    let out = dir.path().join("w.csv");
    let o = weigh(&root().join(DATA), labels.to_str().unwrap(), &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("'Baby boomers' is the label of code 'boomer': key the targets by code"),
        "{err}"
    );
    assert!(!out.exists());
    // Without a codebook that knows the label: a code written as words is recognised.
    let (code, err, _, _dir) = refused(
        "id,g,w\n1,gen_z,1\n2,boomer,1\n",
        "[g]\n\"Gen Z\" = 0.5\nboomer = 0.5\n",
        &[],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("'Gen Z' looks like code 'gen_z' written as a label"),
        "{err}"
    );
    // One margin in shares, one in counts: the weights add up to the counts' total, and the
    // run says so.
    let mixed = dir.path().join("mixed.toml");
    std::fs::write(
        &mixed,
        "[generation]\ngen_z = 0.2\nmillennial = 0.35\ngen_x = 0.3\nboomer = 0.15\n\n[gender]\nfemale = 5050\nmale = 4850\nother = 100\n",
    )
    .unwrap();
    let report = dir.path().join("report.json");
    let o = weigh(
        &root().join(DATA),
        mixed.to_str().unwrap(),
        &out,
        &["--report", report.to_str().unwrap()],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("[generation] is given in shares and [gender] in counts: the weights add up to the counts' total, 10000"),
        "{err}"
    );
    let total: f64 = weights(&out).iter().map(|(_, w)| w).sum();
    assert!((total - 10_000.0).abs() < 1e-6, "{total}");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(v["warnings"][0].as_str().unwrap().contains("in counts"));
}
