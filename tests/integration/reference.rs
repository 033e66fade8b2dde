//! Shares, SEs and intervals against R `survey::svymean` and statsmodels Wilson intervals,
//! computed outside the program by tests/reference/make.sh and committed.

use super::{json, DATA};

use super::support::{item, number, question, reference};

const TOLERANCE: f64 = 1e-9;

fn check(case: &str, args: &[&str]) {
    let r = json(args);
    let mut checked = 0;
    for rec in reference("reference.csv") {
        if rec["case"] != case {
            continue;
        }
        let q = question(&r, &rec["question"]);
        let item = item(&r, &rec["question"], &rec["item"]);
        let f = |k: &str| number(&rec, k).unwrap();
        let close = |ours: &serde_json::Value, theirs: f64, what: &str| {
            let ours = ours
                .as_f64()
                .unwrap_or_else(|| panic!("{case} {} {what} missing", rec["item"]));
            assert!(
                (ours - theirs).abs() <= TOLERANCE,
                "{case} {}/{} {what}: ours {ours}, reference {theirs}",
                rec["question"],
                rec["item"]
            );
        };
        close(&item["share"], f("share"), "share");
        close(&item["se"], f("se"), "se");
        close(&item["ci_low"], f("ci_low"), "ci_low");
        close(&item["ci_high"], f("ci_high"), "ci_high");
        assert_eq!(
            q["base"]["unweighted"].as_u64().unwrap(),
            rec["base_unweighted"].parse::<u64>().unwrap()
        );
        // Bases are large numbers: compared relative to their size.
        let rel = |ours: &serde_json::Value, theirs: f64, what: &str| {
            let ours = ours.as_f64().unwrap();
            assert!(
                (ours - theirs).abs() <= TOLERANCE * theirs.abs().max(1.0),
                "{case} {what}: ours {ours}, reference {theirs}"
            );
        };
        rel(&q["base"]["weighted"], f("base_weighted"), "weighted base");
        rel(
            &q["base"]["effective"],
            f("base_effective"),
            "effective base",
        );
        checked += 1;
    }
    assert_eq!(checked, 11, "{case}: every item of every question checked");
}

#[test]
fn weighted_matches_r_survey() {
    check("weighted", &["table", DATA, "--format", "json"]);
}

#[test]
fn unweighted_matches_r_survey_and_statsmodels() {
    check(
        "unweighted",
        &["table", DATA, "--format", "json", "--no-weight"],
    );
}

#[test]
fn small_base_matches_r_survey() {
    check(
        "small_weighted",
        &["table", "tests/fixtures/small.csv", "--format", "json"],
    );
    check(
        "small_unweighted",
        &[
            "table",
            "tests/fixtures/small.csv",
            "--format",
            "json",
            "--no-weight",
        ],
    );
}
