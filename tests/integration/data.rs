//! The bundled synthetic study: reproducible, calibrated, realistic. Checked from the raw
//! CSV with the `csv` crate, independently of the program's own tabulation.

use std::collections::HashMap;

use super::{concerns, read_rows, root, succeeded, DATA};

const CONCERNS: [(&str, f64); 6] = [
    ("concern_reach_person", 60.0),
    ("concern_job_loss", 46.0),
    ("concern_wrong_answers", 42.0),
    ("concern_data_security", 34.0),
    ("concern_bias", 25.0),
    ("concern_other", 5.0),
];

type Row = HashMap<String, String>;

fn kept(rows: &[Row]) -> Vec<&Row> {
    rows.iter()
        .filter(|r| r["ai_familiarity"] != "dont_know_ai")
        .collect()
}

fn weight(r: &Row) -> f64 {
    r["weight"].parse().expect("numeric weight")
}

/// (unweighted %, weighted %) of `is_yes` among rows where `answered`.
fn shares(
    rows: &[&Row],
    answered: impl Fn(&Row) -> bool,
    is_yes: impl Fn(&Row) -> bool,
) -> (f64, f64) {
    let base: Vec<&&Row> = rows.iter().filter(|r| answered(r)).collect();
    let n = base.len() as f64;
    let yes = base.iter().filter(|r| is_yes(r)).count() as f64;
    let w: f64 = base.iter().map(|r| weight(r)).sum();
    let wy: f64 = base.iter().filter(|r| is_yes(r)).map(|r| weight(r)).sum();
    (100.0 * yes / n, 100.0 * wy / w)
}

#[test]
fn committed_data_equals_a_fresh_simulation() {
    let out = concerns().args(["simulate"]).output().unwrap();
    assert!(out.status.success());
    let committed = std::fs::read(root().join(DATA)).unwrap();
    assert!(
        out.stdout == committed,
        "data/ is stale: run `concerns simulate -o {DATA}`"
    );
}

#[test]
fn simulation_is_deterministic_and_seed_dependent() {
    let a = concerns()
        .args(["simulate", "--n", "500", "--seed", "3"])
        .output()
        .unwrap()
        .stdout;
    let b = concerns()
        .args(["simulate", "--n", "500", "--seed", "3"])
        .output()
        .unwrap()
        .stdout;
    let c = concerns()
        .args(["simulate", "--n", "500", "--seed", "4"])
        .output()
        .unwrap()
        .stdout;
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn bundled_data_reproduces_every_published_figure() {
    let rows = read_rows(&root().join(DATA));
    assert_eq!(rows.len(), 5728);
    let kept = kept(&rows);
    assert_eq!(rows.len() - kept.len(), 588);
    let any_concern = |r: &Row| CONCERNS.iter().any(|(c, _)| !r[*c].is_empty());
    assert_eq!(kept.iter().filter(|r| any_concern(r)).count(), 5140);
    for (column, target) in CONCERNS {
        let (u, w) = shares(&kept, any_concern, |r| r[column] == "1");
        assert_eq!(u.round(), target, "{column} unweighted {u}");
        assert_eq!(w.round(), target, "{column} weighted {w}");
    }
    for (column, target) in [("prefer_no_ai", 64.0), ("switch_intent", 53.0)] {
        let (u, w) = shares(&kept, |r| !r[column].is_empty(), |r| r[column] == "yes");
        assert_eq!(u.round(), target, "{column} unweighted {u}");
        assert_eq!(w.round(), target, "{column} weighted {w}");
    }
}

#[test]
fn bundled_data_looks_like_real_survey_data() {
    let rows = read_rows(&root().join(DATA));
    let kept = kept(&rows);
    let selected = |r: &Row| CONCERNS.iter().filter(|(c, _)| r[*c] == "1").count();
    let counts: Vec<usize> = kept.iter().map(|r| selected(r)).collect();
    for k in 0..=6 {
        assert!(counts.contains(&k), "nobody selected exactly {k} concerns");
    }
    // Older generations worry more about reaching a person.
    let reach = |g: &str| {
        let group: Vec<&&Row> = kept.iter().filter(|r| r["generation"] == g).collect();
        group
            .iter()
            .filter(|r| r["concern_reach_person"] == "1")
            .count() as f64
            / group.len() as f64
    };
    assert!(
        reach("boomer") > reach("gen_z") + 0.10,
        "boomer {} vs gen_z {}",
        reach("boomer"),
        reach("gen_z")
    );
    // Switching intent varies by generation.
    let switch = |g: &str| {
        let group: Vec<&&Row> = kept
            .iter()
            .filter(|r| r["generation"] == g && !r["switch_intent"].is_empty())
            .collect();
        group.iter().filter(|r| r["switch_intent"] == "yes").count() as f64 / group.len() as f64
    };
    assert!((switch("gen_z") - switch("boomer")).abs() > 0.05);
    // Concerns go with switching: switchers tick more concerns.
    let mean_concerns = |answer: &str| {
        let group: Vec<&&Row> = kept
            .iter()
            .filter(|r| r["switch_intent"] == answer)
            .collect();
        group.iter().map(|r| selected(r) as f64).sum::<f64>() / group.len() as f64
    };
    assert!(mean_concerns("yes") > mean_concerns("no") + 0.3);
    // A few unanswered items, all three switching answers, free text for some "Other".
    assert!(kept.iter().any(|r| r["prefer_no_ai"].is_empty()));
    assert!(kept.iter().any(|r| r["switch_intent"].is_empty()));
    assert!(kept
        .iter()
        .any(|r| CONCERNS.iter().any(|(c, _)| r[*c].is_empty())));
    assert!(kept.iter().any(|r| r["switch_intent"] == "unsure"));
    let texts = kept
        .iter()
        .filter(|r| !r["concern_other_text"].is_empty())
        .count();
    let others = kept.iter().filter(|r| r["concern_other"] == "1").count();
    assert!(
        texts > 0 && texts < others,
        "{texts} texts for {others} Other answers"
    );
    assert!(rows
        .iter()
        .filter(|r| r["ai_familiarity"] == "dont_know_ai")
        .all(|r| r["concern_bias"].is_empty()));
    // Post-stratification weights with a Kish design effect between 1.1 and 1.6.
    let w: Vec<f64> = kept.iter().map(|r| weight(r)).collect();
    let (s, s2): (f64, f64) = (w.iter().sum(), w.iter().map(|x| x * x).sum());
    let deff = w.len() as f64 * s2 / (s * s);
    assert!((1.1..=1.6).contains(&deff), "design effect {deff}");
    let cells: std::collections::HashSet<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r["generation"].clone(),
                r["gender"].clone(),
                r["weight"].clone(),
            )
        })
        .collect();
    let cell_keys: std::collections::HashSet<(String, String)> =
        cells.iter().map(|c| (c.0.clone(), c.1.clone())).collect();
    assert_eq!(
        cells.len(),
        cell_keys.len(),
        "one weight per generation × gender cell"
    );
}

#[test]
fn large_simulations_stay_calibrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    succeeded(
        concerns()
            .args(["simulate", "--n", "20000", "-o"])
            .arg(&path),
    );
    let rows = read_rows(&path);
    assert_eq!(rows.len(), 20000);
    let ids: std::collections::HashSet<&String> =
        rows.iter().map(|r| &r["respondent_id"]).collect();
    assert_eq!(ids.len(), 20000, "respondent IDs are unique");
    let kept = kept(&rows);
    let excluded = rows.len() - kept.len();
    assert!(
        (excluded as f64 / 20000.0 - 588.0 / 5728.0).abs() < 0.001,
        "{excluded}"
    );
    for (column, target) in CONCERNS {
        let (u, w) = shares(&kept, |_| true, |r| r[column] == "1");
        assert_eq!(u.round(), target, "{column} {u}");
        assert_eq!(w.round(), target, "{column} {w}");
    }
}
