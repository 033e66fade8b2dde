//! Per-item bases (`base = "each_item"`): on tests/fixtures/design/partial.csv, where one
//! answered concern in five is blank, each concern is out of those who answered it, equal to
//! R `survey` on that item's respondents (tests/reference/each_item.R, each_item_r.csv):
//! shares, SEs, Korn–Graubard intervals at the item's degrees of freedom, Wald tests between
//! groups and against the rest, and the Rao–Scott test, weights only and with strata and
//! clusters (a lonely PSU averaged too).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use super::design::{case_args, close, comparisons, items};
use super::{json, root, run};

const PARTIAL: &str = "tests/fixtures/design/partial.csv";

/// The bundled codebook with `base = "each_item"` on the concerns question, in `dir`.
fn each_item_codebook(dir: &std::path::Path) -> PathBuf {
    let canonical = std::fs::read_to_string(root().join("codebooks/canonical.toml")).unwrap();
    let at = "id = \"concerns\"\nkind = \"multi_response\"\n";
    assert!(canonical.contains(at));
    let text = canonical.replacen(at, &format!("{at}base = \"each_item\"\n"), 1);
    let path = dir.join("each_item.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The nets of the concerns question, total and per group, keyed as [`items`] keys items.
fn nets(v: &Value) -> Vec<(super::design::Key, &Value)> {
    let q = &v["questions"][0];
    let mut out = Vec::new();
    let key = |group: &str, net: &Value| {
        (
            group.to_string(),
            "concerns".to_string(),
            net["id"].as_str().unwrap().to_string(),
        )
    };
    for net in q["nets"].as_array().unwrap() {
        out.push((key("total", net), net));
    }
    for g in q["by"].as_array().unwrap() {
        for net in g["nets"].as_array().unwrap() {
            out.push((key(g["value"].as_str().unwrap(), net), net));
        }
    }
    out
}

/// R's rows of one kind: case → (item, group, other) → values.
type Rows = BTreeMap<String, BTreeMap<(String, String, String), Vec<f64>>>;

fn reference(kind: &str) -> Rows {
    let path = root().join("tests/reference/each_item_r.csv");
    let mut r = csv::Reader::from_path(path).unwrap();
    let mut out = Rows::new();
    for row in r.records() {
        let row = row.unwrap();
        if &row[0] != kind {
            continue;
        }
        let values = (5..10).filter_map(|k| row[k].parse::<f64>().ok()).collect();
        out.entry(row[1].to_string()).or_default().insert(
            (row[2].to_string(), row[3].to_string(), row[4].to_string()),
            values,
        );
    }
    out
}

/// `table` of the partial fixture by generation with the each-item codebook, for a case of
/// each_item.R, and `extra` options.
fn table(codebook: &std::path::Path, case: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "table",
        PARTIAL,
        "--codebook",
        codebook.to_str().unwrap(),
        "--by",
        "generation",
        "--format",
        "json",
        "--interval",
        "beta",
    ];
    args.extend(extra);
    match case {
        "weights" => {}
        "design" => args.extend(case_args("strata_psu_fpc")),
        other => args.extend(case_args(other)),
    }
    json(&args)
}

fn near(a: f64, b: f64, what: &str) {
    assert!(close(a, b), "{what}: {a} vs R {b}");
}

#[test]
fn each_item_has_its_own_base_equal_to_r_survey() {
    let dir = tempfile::tempdir().unwrap();
    let codebook = each_item_codebook(dir.path());
    let (means, walds, rests, chisqs) = (
        reference("mean"),
        reference("wald"),
        reference("rest"),
        reference("chisq"),
    );
    assert_eq!(means.len(), 3, "three designs");
    for case in ["weights", "design", "lonely_average"] {
        let v = table(&codebook, case, &["--test", "wald"]);
        let concerns = &v["questions"][0];
        assert_eq!(concerns["id"], "concerns");
        let mut seen = 0;
        for ((group, question, item), x) in items(&v).into_iter().chain(nets(&v)) {
            if question != "concerns" {
                assert!(x.get("base").is_none(), "one base for {question}");
                continue;
            }
            let want = &means[case][&(item.clone(), group.clone(), String::new())];
            let what = format!("{case} {group} {item}");
            near(
                x["share"].as_f64().unwrap(),
                want[0],
                &format!("{what} share"),
            );
            near(x["se"].as_f64().unwrap(), want[1], &format!("{what} SE"));
            near(
                x["ci_low"].as_f64().unwrap(),
                want[3],
                &format!("{what} low"),
            );
            near(
                x["ci_high"].as_f64().unwrap(),
                want[4],
                &format!("{what} high"),
            );
            let base = &x["base"];
            if case == "weights" {
                // A data frame design: degrees of freedom are its respondents − 1.
                assert_eq!(base["unweighted"].as_f64(), Some(want[2] + 1.0), "{what}");
            }
            // Any concern's base is the question's: those who answered any item.
            assert!(
                base["unweighted"].as_u64().unwrap()
                    < concerns["base"]["unweighted"].as_u64().unwrap()
                    || group != "total"
                    || item == "any_concern",
                "{what}: an item's base is smaller than the question's"
            );
            seen += 1;
        }
        assert_eq!(seen, means[case].len(), "{case}: every share compared");

        let mut seen = 0;
        for ((q, item, [a, b]), c) in comparisons(&v) {
            if q != "concerns" {
                continue;
            }
            let want = &walds[case][&(item, a, b)];
            near(c["difference"].as_f64().unwrap(), want[0], case);
            near(c["se"].as_f64().unwrap(), want[1], case);
            seen += 1;
        }
        assert_eq!(seen, walds[case].len(), "{case}: every pair compared");

        let tests = concerns["association"].as_array().unwrap();
        assert_eq!(tests.len(), 6 + 2, "{case}: six concerns and two nets");
        for a in tests {
            let item = a["item"].as_str().unwrap();
            let key = (item.to_string(), String::new(), String::new());
            let want = &chisqs[case][&key];
            for (k, field) in ["f", "ndf", "ddf", "p_value"].iter().enumerate() {
                near(
                    a[field].as_f64().unwrap(),
                    want[k],
                    &format!("{case} {field}"),
                );
            }
        }

        let v = table(&codebook, case, &["--test", "wald", "--compare", "total"]);
        let mut seen = 0;
        for ((q, item, [group, _]), c) in comparisons(&v) {
            if q != "concerns" {
                continue;
            }
            let want = &rests[case][&(item, group, String::new())];
            near(c["difference"].as_f64().unwrap(), want[0], case);
            near(c["se"].as_f64().unwrap(), want[1], case);
            seen += 1;
        }
        assert_eq!(
            seen,
            rests[case].len(),
            "{case}: every group against the rest"
        );
    }
}

#[test]
fn without_each_item_a_blank_counts_as_not_selected_and_the_warning_says_how_to_change_it() {
    let dir = tempfile::tempdir().unwrap();
    let codebook = each_item_codebook(dir.path());
    let any = json(&["table", PARTIAL, "--format", "json"]);
    let each = json(&[
        "table",
        PARTIAL,
        "--format",
        "json",
        "--codebook",
        codebook.to_str().unwrap(),
    ]);
    let (a, e) = (&any["questions"][0], &each["questions"][0]);
    // The question's base is the same (answered any item); each item's share is out of
    // fewer respondents, so it is higher than when blanks count as "not selected".
    assert_eq!(a["base"], e["base"]);
    for (x, y) in a["items"]
        .as_array()
        .unwrap()
        .iter()
        .zip(e["items"].as_array().unwrap())
    {
        assert_eq!(x["id"], y["id"]);
        assert_eq!(x["count"], y["count"], "the same respondents selected it");
        assert!(y["share"].as_f64() > x["share"].as_f64(), "{}", x["id"]);
        let own = y["base"]["weighted"].as_f64().unwrap();
        near(
            y["share"].as_f64().unwrap(),
            y["weighted_count"].as_f64().unwrap() / own,
            "share out of the item's base",
        );
        assert!(x.get("base").is_none());
    }
    let warning = |v: &Value| {
        super::support::warnings(v)
            .into_iter()
            .map(|(_, m)| m)
            .find(|w| w.starts_with("concerns: "))
            .unwrap()
    };
    assert!(
        warning(&any).contains("base = \"each_item\""),
        "{}",
        warning(&any)
    );
    assert!(warning(&each).contains("each item's base is those who answered it"));
}

#[test]
fn each_item_is_refused_where_a_blank_means_not_selected() {
    let dir = tempfile::tempdir().unwrap();
    let canonical = std::fs::read_to_string(root().join("codebooks/canonical.toml")).unwrap();
    let at = "id = \"switch_intent\"\nkind = \"single_choice\"\n";
    assert!(canonical.contains(at));
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        canonical.replacen(at, &format!("{at}base = \"each_item\"\n"), 1),
    )
    .unwrap();
    let o = run(&["table", PARTIAL, "--codebook", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("question 'switch_intent': `base = \"each_item\"` is for multi_response questions coded 0/1"),
        "{err}"
    );
}
