//! Complex designs: strata, clusters of unequal size, finite population corrections and
//! lonely PSUs give R `survey`'s standard errors (tests/reference/design.R on
//! tests/fixtures/design/sample.csv, output committed as design_r.csv).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{concerns, json, root};

const SAMPLE: &str = "tests/fixtures/design/sample.csv";
/// The nets of the bundled codebook (compared with R in nets.rs).
pub(super) const NETS: [&str; 3] = ["any_concern", "human_touch", "yes_or_unsure"];

/// The command-line design of each case of design.R.
pub(super) fn case_args(case: &str) -> Vec<&'static str> {
    match case {
        "strata_psu_fpc" => vec!["--strata", "stratum", "--psu", "psu", "--fpc", "fpc"],
        "psu" => vec!["--psu", "psu"],
        "strata_fraction" => vec!["--strata", "stratum", "--fpc", "fraction"],
        "lonely_adjust" => vec![
            "--strata",
            "stratum2",
            "--psu",
            "psu2",
            "--lonely-psu",
            "adjust",
        ],
        "lonely_average" => vec![
            "--strata",
            "stratum2",
            "--psu",
            "psu2",
            "--lonely-psu",
            "average",
        ],
        "lonely_remove" => vec![
            "--strata",
            "stratum2",
            "--psu",
            "psu2",
            "--lonely-psu",
            "remove",
        ],
        "lonely_certainty" => {
            vec![
                "--strata",
                "stratum2",
                "--psu",
                "psu2",
                "--lonely-psu",
                "certainty",
            ]
        }
        other => panic!("unknown case {other}"),
    }
}

/// (group, question, item).
pub(super) type Key = (String, String, String);

/// R's rows: case → (group, question, item) → (share, se); and case → df.
type Reference = BTreeMap<String, BTreeMap<Key, (f64, f64)>>;

fn reference() -> (Reference, BTreeMap<String, u64>) {
    let mut r = csv::Reader::from_path(root().join("tests/reference/design_r.csv")).unwrap();
    let (mut values, mut df) = (Reference::new(), BTreeMap::new());
    for row in r.records() {
        let row = row.unwrap();
        if &row[1] == "df" {
            df.insert(row[0].to_string(), row[5].parse().unwrap());
            continue;
        }
        values.entry(row[0].to_string()).or_default().insert(
            (row[1].to_string(), row[2].to_string(), row[3].to_string()),
            (row[4].parse().unwrap(), row[5].parse().unwrap()),
        );
    }
    (values, df)
}

/// Every item of a JSON result with the key R's rows use: (group or "total", question, item).
pub(super) fn items(v: &Value) -> Vec<(Key, &Value)> {
    let mut out = Vec::new();
    for q in v["questions"].as_array().unwrap() {
        let qid = q["id"].as_str().unwrap();
        let key = |group: &str, item: &Value| {
            (
                group.to_string(),
                qid.to_string(),
                item["id"].as_str().unwrap().to_string(),
            )
        };
        for item in q["items"].as_array().unwrap() {
            out.push((key("total", item), item));
        }
        for g in q["by"].as_array().unwrap() {
            for item in g["items"].as_array().unwrap() {
                out.push((key(g["value"].as_str().unwrap(), item), item));
            }
        }
    }
    out
}

/// (question, item, the two groups' values).
pub(super) type PairKey = (String, String, [String; 2]);

/// Every pairwise comparison of a JSON result: (question, item, the two groups' values —
/// "rest" for the rest of the base) and the comparison.
pub(super) fn comparisons(v: &Value) -> Vec<(PairKey, &Value)> {
    let mut out = Vec::new();
    for q in v["questions"].as_array().unwrap() {
        let value: BTreeMap<&str, &str> = q["by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| (g["letter"].as_str().unwrap(), g["value"].as_str().unwrap()))
            .chain([("rest", "rest")])
            .collect();
        for c in q["comparisons"].as_array().unwrap() {
            let group = |k: usize| value[c["groups"][k].as_str().unwrap()].to_string();
            let key = (
                q["id"].as_str().unwrap().to_string(),
                c["item"].as_str().unwrap().to_string(),
                [group(0), group(1)],
            );
            out.push((key, c));
        }
    }
    out
}

/// `table --by generation --format json` of the fixture with `extra` options, weights only
/// (`case` "weights") or with the stratified cluster design ("design").
fn by_generation(case: &str, extra: &[&str]) -> Value {
    let mut args = vec!["table", SAMPLE, "--by", "generation", "--format", "json"];
    args.extend(extra);
    if case == "design" {
        args.extend(case_args("strata_psu_fpc"));
    }
    json(&args)
}

pub(super) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1e-12)
}

#[test]
fn standard_errors_equal_r_survey_for_strata_clusters_fpc_and_lonely_psus() {
    let (reference, dfs) = reference();
    assert_eq!(reference.len(), 7);
    for (case, rows) in &reference {
        let mut args = vec![SAMPLE, "--by", "generation", "--format", "json"];
        args.extend(case_args(case));
        let v: Value = json(&[&["table"][..], &args].concat());
        assert_eq!(
            v["design"]["df"].as_u64(),
            Some(dfs[case]),
            "{case}: degrees of freedom"
        );
        let mut seen = 0;
        for (key, item) in items(&v) {
            let Some(&(share, se)) = rows.get(&key) else {
                continue;
            };
            let (ours_share, ours_se) = (
                item["share"].as_f64().unwrap(),
                item["se"].as_f64().unwrap(),
            );
            assert!(
                close(ours_share, share),
                "{case} {key:?}: share {ours_share} vs R {share}"
            );
            assert!(close(ours_se, se), "{case} {key:?}: SE {ours_se} vs R {se}");
            seen += 1;
        }
        assert_eq!(seen, rows.len(), "{case}: every reference value compared");
    }
}

#[test]
fn a_lonely_psu_fails_by_default_naming_its_stratum() {
    let o = concerns()
        .args(["table", SAMPLE, "--strata", "stratum2", "--psu", "psu2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("stratum 'zz' has a single PSU") && err.contains("--lonely-psu"),
        "{err}"
    );
    // validate says the same, and is satisfied once the rule is chosen.
    let o = concerns()
        .args(["validate", SAMPLE, "--strata", "stratum2", "--psu", "psu2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("column 'stratum2': stratum 'zz' has a single PSU"),
        "{out}"
    );
    assert!(out.ends_with("NOT valid: 1 problem\n"), "{out}");
    let o = concerns()
        .args([
            "validate",
            SAMPLE,
            "--strata",
            "stratum2",
            "--psu",
            "psu2",
            "--lonely-psu",
            "adjust",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn the_design_can_live_in_the_codebook_and_bad_design_values_are_problems() {
    let dir = tempfile::tempdir().unwrap();
    let canonical = std::fs::read_to_string(root().join("codebooks/canonical.toml")).unwrap();
    let cb = dir.path().join("design.toml");
    std::fs::write(
        &cb,
        format!("{canonical}\n[design]\nstrata = \"stratum\"\npsu = \"psu\"\nfpc = \"fpc\"\n"),
    )
    .unwrap();
    let from_codebook = json(&[
        "table",
        SAMPLE,
        "--codebook",
        cb.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let from_flags = json(&[
        "table", SAMPLE, "--strata", "stratum", "--psu", "psu", "--fpc", "fpc", "--format", "json",
    ]);
    assert_eq!(from_codebook["questions"], from_flags["questions"]);
    assert!(from_flags["method"]["se"]
        .as_str()
        .unwrap()
        .contains("ids = ~psu, strata = ~stratum, fpc = ~fpc"));

    // An empty PSU, an fpc that is not a number, an fpc that varies within a stratum, an
    // fpc smaller than the stratum's PSUs.
    let text = std::fs::read_to_string(root().join(SAMPLE)).unwrap();
    let edit = |row: usize, column: &str, value: &str| super::with_field(&text, row, column, value);
    for (data, words) in [
        (
            edit(3, "psu", ""),
            "row 4, column 'psu': expected a primary sampling unit",
        ),
        (
            edit(5, "fpc", "many"),
            "row 6, column 'fpc': expected a positive number",
        ),
        (edit(2, "fpc", "241"), "the fpc of stratum 'us' is"),
        (
            text.replace(",240,", ",3,"),
            "stratum 'us' has 12 PSUs in the sample but an fpc (population size) of 3",
        ),
    ] {
        let path = dir.path().join("bad.csv");
        std::fs::write(&path, data).unwrap();
        let o = concerns()
            .arg("table")
            .arg(&path)
            .args(["--strata", "stratum", "--psu", "psu", "--fpc", "fpc"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(words), "expected '{words}' in: {err}");
    }
}

#[test]
fn without_a_design_the_numbers_are_those_of_weights_only() {
    // The design block appears only with a design; the bundled report is unchanged.
    let plain = json(&["table", SAMPLE, "--format", "json"]);
    assert!(plain.get("design").is_none());
    assert!(plain["method"]["se"]
        .as_str()
        .unwrap()
        .contains("ids = ~1, weights = ~weight"));
}

#[test]
fn every_interval_method_equals_r_svyciprop() {
    // R's rows: (case, method) → (group, question, item) → (low, high).
    let mut r = csv::Reader::from_path(root().join("tests/reference/intervals_r.csv")).unwrap();
    let mut reference: BTreeMap<(String, String), BTreeMap<Key, (f64, f64)>> = BTreeMap::new();
    for row in r.records() {
        let row = row.unwrap();
        reference
            .entry((row[0].to_string(), row[1].to_string()))
            .or_default()
            .insert(
                (row[2].to_string(), row[3].to_string(), row[4].to_string()),
                (row[5].parse().unwrap(), row[6].parse().unwrap()),
            );
    }
    assert_eq!(reference.len(), 10, "two designs × five methods");
    for ((case, method), rows) in &reference {
        let v = by_generation(case, &["--interval", method]);
        assert_eq!(v["method"]["interval"], method.as_str());
        let mut seen = 0;
        for (key, item) in items(&v) {
            let Some(&(low, high)) = rows.get(&key) else {
                continue;
            };
            let (ours_low, ours_high) = (
                item["ci_low"].as_f64().unwrap(),
                item["ci_high"].as_f64().unwrap(),
            );
            // R's "logit" refits the share by IRLS (svyglm) and stops at glm's convergence
            // tolerance: it differs from its own "xlogit" (the exact limit, which we equal at
            // 1e-9) by about 1e-8. Compared at 1e-7.
            let tol = if method == "logit" { 1e-7 } else { 1e-9 };
            let near = |a: f64, b: f64| (a - b).abs() <= tol * b.abs();
            assert!(
                near(ours_low, low) && near(ours_high, high),
                "{case} {method} {key:?}: [{ours_low}, {ours_high}] vs R [{low}, {high}]"
            );
            seen += 1;
        }
        assert_eq!(
            seen,
            rows.len(),
            "{case} {method}: every reference value compared"
        );
    }
}

#[test]
fn item_design_effects_equal_r_deff_replace() {
    let mut r = csv::Reader::from_path(root().join("tests/reference/deff_r.csv")).unwrap();
    let mut reference: BTreeMap<String, BTreeMap<Key, f64>> = BTreeMap::new();
    for row in r.records() {
        let row = row.unwrap();
        reference.entry(row[0].to_string()).or_default().insert(
            (row[1].to_string(), row[2].to_string(), row[3].to_string()),
            row[4].parse().unwrap(),
        );
    }
    for (case, rows) in &reference {
        let v = by_generation(case, &[]);
        let mut seen = 0;
        for (key, item) in items(&v) {
            if let Some(&want) = rows.get(&key) {
                let got = item["deff"].as_f64().unwrap();
                assert!(close(got, want), "{case} {key:?}: deff {got} vs R {want}");
                seen += 1;
            }
        }
        assert_eq!(seen, rows.len(), "{case}: every reference value compared");
    }
}

#[test]
fn the_wald_test_uses_r_svycontrast_differences_and_ses() {
    let mut r = csv::Reader::from_path(root().join("tests/reference/wald_r.csv")).unwrap();
    let mut reference: BTreeMap<String, BTreeMap<Key, (String, f64, f64)>> = BTreeMap::new();
    for row in r.records() {
        let row = row.unwrap();
        reference.entry(row[0].to_string()).or_default().insert(
            (
                row[1].to_string(),
                row[2].to_string(),
                format!("{}-{}", &row[3], &row[4]),
            ),
            (
                row[3].to_string(),
                row[5].parse().unwrap(),
                row[6].parse().unwrap(),
            ),
        );
    }
    for (case, rows) in &reference {
        let v = by_generation(case, &["--test", "wald"]);
        assert_eq!(v["significance"]["test"], "wald");
        assert!(v["significance"]["test_description"]
            .as_str()
            .unwrap()
            .starts_with("Wald"));
        let mut seen = 0;
        for ((q, item, [a, b]), c) in comparisons(&v) {
            let key = (q, item, format!("{a}-{b}"));
            let Some((_, difference, se)) = rows.get(&key) else {
                continue;
            };
            let (d, s) = (c["difference"].as_f64().unwrap(), c["se"].as_f64().unwrap());
            assert!(
                close(d, *difference) && close(s, *se),
                "{case} {key:?}: {d} ± {s} vs R {difference} ± {se}"
            );
            // The p-value is the normal one of that statistic.
            let z: f64 = (d / s).abs();
            let p = c["p_value"].as_f64().unwrap();
            assert!(
                p > 0.0 && p < 1.0 && (z > 1.96) == (p < 0.05),
                "{case} {key:?}: z {z}, p {p}"
            );
            seen += 1;
        }
        assert_eq!(seen, rows.len(), "{case}: every reference pair compared");
    }
}

#[test]
fn the_rao_scott_test_of_each_item_across_groups_equals_r_svychisq() {
    let mut r = csv::Reader::from_path(root().join("tests/reference/chisq_r.csv")).unwrap();
    let mut reference: BTreeMap<String, BTreeMap<(String, String), [f64; 4]>> = BTreeMap::new();
    for row in r.records() {
        let row = row.unwrap();
        let x = |k: usize| row[k].parse::<f64>().unwrap();
        reference.entry(row[0].to_string()).or_default().insert(
            (row[1].to_string(), row[2].to_string()),
            [x(3), x(4), x(5), x(6)],
        );
    }
    assert_eq!(reference.len(), 2);
    for (case, rows) in &reference {
        let v = by_generation(case, &[]);
        let mut seen = 0;
        for q in v["questions"].as_array().unwrap() {
            for a in q["association"].as_array().unwrap() {
                let key = (
                    q["id"].as_str().unwrap().to_string(),
                    a["item"].as_str().unwrap().to_string(),
                );
                // Nets are compared with R in nets.rs.
                let Some(&want) = rows.get(&key) else {
                    assert!(NETS.contains(&key.1.as_str()), "{case} {key:?}");
                    continue;
                };
                let got =
                    [&a["f"], &a["ndf"], &a["ddf"], &a["p_value"]].map(|x| x.as_f64().unwrap());
                for (g, w) in got.iter().zip(want) {
                    assert!(close(*g, w), "{case} {key:?}: {got:?} vs R {want:?}");
                }
                seen += 1;
            }
        }
        assert_eq!(seen, rows.len(), "{case}: every item tested");
    }
}

#[test]
fn each_group_against_the_rest_with_the_wald_test_equals_r() {
    let mut r = csv::Reader::from_path(root().join("tests/reference/rest_r.csv")).unwrap();
    let mut reference: BTreeMap<String, BTreeMap<Key, (f64, f64)>> = BTreeMap::new();
    for row in r.records() {
        let row = row.unwrap();
        reference.entry(row[0].to_string()).or_default().insert(
            (row[1].to_string(), row[2].to_string(), row[3].to_string()),
            (row[4].parse().unwrap(), row[5].parse().unwrap()),
        );
    }
    for (case, rows) in &reference {
        let v = by_generation(case, &["--compare", "total", "--test", "wald"]);
        let mut seen = 0;
        for ((q, item, [group, rest]), c) in comparisons(&v) {
            assert_eq!(rest, "rest");
            let key = (q, item, group);
            let Some(&(difference, se)) = rows.get(&key) else {
                continue;
            };
            let (d, s) = (c["difference"].as_f64().unwrap(), c["se"].as_f64().unwrap());
            assert!(
                close(d, difference) && close(s, se),
                "{case} {key:?}: {d} ± {s} vs R {difference} ± {se}"
            );
            seen += 1;
        }
        assert_eq!(seen, rows.len(), "{case}: every group compared");
    }
}

#[test]
fn the_rao_scott_test_of_a_contrast_equals_r_svychisq_on_its_groups() {
    let mut r =
        csv::Reader::from_path(root().join("tests/reference/chisq_contrast_r.csv")).unwrap();
    let mut reference: BTreeMap<(String, String), [f64; 4]> = BTreeMap::new();
    for row in r.records() {
        let row = row.unwrap();
        let x = |k: usize| row[k].parse::<f64>().unwrap();
        reference.insert(
            (row[0].to_string(), row[2].to_string()),
            [x(3), x(4), x(5), x(6)],
        );
    }
    assert_eq!(reference.len(), 12, "two designs × six concerns");
    for case in ["weights", "design"] {
        let v = by_generation(case, &[]);
        let contrast = &v["contrasts"][0];
        assert_eq!(contrast["by"], "switch_intent");
        let tests = contrast["association"].as_array().unwrap();
        assert_eq!(tests.len(), 6 + 2, "{case}: six concerns and two nets");
        for a in tests {
            let item = a["item"].as_str().unwrap();
            let Some(&want) = reference.get(&(case.to_string(), item.to_string())) else {
                assert!(NETS.contains(&item), "{case} {item}");
                continue;
            };
            let got = [&a["f"], &a["ndf"], &a["ddf"], &a["p_value"]].map(|x| x.as_f64().unwrap());
            for (g, w) in got.iter().zip(want) {
                assert!(close(*g, w), "{case} {}: {got:?} vs R {want:?}", a["item"]);
            }
        }
    }
}

#[test]
fn psu_sums_past_two_to_the_64_billionths_stay_exact_and_rows_order_does_not_matter() {
    // 16 copies of the bundled data (three 4 MiB chunks of the parallel scan, each with sums
    // past 2^64 to add up); PSU "a" holds 9 rows in 10 (about 82,000), each
    // weighing 10^6 or 999,999: its Σw passes 2^64 billionths (1.8·10^19). The same rows
    // weighing 1 or 0.999999 give the same shares and SEs (a share does not change when
    // every weight is multiplied by one number).
    let text = std::fs::read_to_string(root().join("data/ai-customer-service-2023.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, weights: [&str; 2], reverse: bool| {
        let mut out = vec![format!("{header},psu")];
        for copy in 0..16 {
            for (i, row) in rows.iter().enumerate() {
                let mut f: Vec<String> = row.split(',').map(String::from).collect();
                f[0] = format!("{}-{copy}", f[0]);
                f[4] = weights[i % 2].to_string();
                let psu = if i % 10 == 0 { "b" } else { "a" };
                out.push(format!("{},{psu}", f.join(",")));
            }
        }
        if reverse {
            out[1..].reverse();
        }
        let path = dir.path().join(name);
        std::fs::write(&path, out.join("\n") + "\n").unwrap();
        path
    };
    let table = |path: &std::path::Path| {
        json(&[
            "table",
            path.to_str().unwrap(),
            "--psu",
            "psu",
            "--by",
            "generation",
            "--format",
            "json",
        ])
    };
    let big = table(&write("big.csv", ["1000000", "999999"], false));
    let small = table(&write("small.csv", ["1", "0.999999"], false));
    assert!(big["questions"][0]["base"]["weighted"].as_f64().unwrap() > 1e10);
    let (mut compared, mut worst) = (0, 0.0f64);
    for q in 0..3 {
        let (b, s) = (
            &big["questions"][q]["items"],
            &small["questions"][q]["items"],
        );
        for (x, y) in b.as_array().unwrap().iter().zip(s.as_array().unwrap()) {
            for key in ["share", "se"] {
                let (x, y) = (x[key].as_f64().unwrap(), y[key].as_f64().unwrap());
                worst = worst.max(((x - y) / y).abs());
                compared += 1;
            }
        }
    }
    assert!(
        compared >= 20 && worst < 1e-9,
        "{compared} numbers, worst {worst}"
    );
    // The rows in reverse order: byte-identical output.
    let reversed = table(&write("big-reversed.csv", ["1000000", "999999"], true));
    let mut a = big.clone();
    let mut b = reversed;
    a.as_object_mut().unwrap().remove("input");
    b.as_object_mut().unwrap().remove("input");
    assert_eq!(a, b);
}
