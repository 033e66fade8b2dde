//! `concerns validate`: every seeded problem listed with row and column, then a verdict.

use super::{concerns, root, DATA};

/// The bundled data with problems seeded at known rows (spreadsheet numbering).
fn broken() -> (tempfile::TempDir, std::path::PathBuf) {
    let mut r = csv::Reader::from_path(root().join(DATA)).unwrap();
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let mut rows: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    // data index i is spreadsheet row i + 2
    rows[2][col("ai_familiarity")] = "maybe".into(); // row 4
    rows[9][col("concern_job_loss")] = "2".into(); // row 11
    rows[19][col("weight")] = "-1".into(); // row 21
    rows[30][col("respondent_id")] = rows[29][col("respondent_id")].clone(); // rows 31 and 32
    rows[39][col("switch_intent")] = "perhaps".into(); // row 41
    rows[49][col("weight")] = "".into(); // row 51
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(&headers).unwrap();
    for row in rows {
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
    (dir, path)
}

#[test]
fn clean_data_is_valid() {
    let out = concerns().args(["validate", DATA]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("valid (5,728 respondents, no problems)"));
}

#[test]
fn every_seeded_problem_is_listed() {
    let (_dir, path) = broken();
    let out = concerns().arg("validate").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "row 4, column 'ai_familiarity': expected one of",
        "row 11, column 'concern_job_loss'",
        "row 21, column 'weight'",
        "row 31, column 'respondent_id': duplicate respondent ID 'syn-000030'",
        "row 41, column 'switch_intent'",
        "row 51, column 'weight'",
        "NOT valid: 6 problems in 6 rows",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }

    let out = concerns()
        .arg("validate")
        .arg(&path)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    let rows: Vec<u64> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [4, 11, 21, 31, 41, 51]);
    assert_eq!(v["problems"][1]["value"], "2");

    // The analysing commands refuse the same file, naming the first problem.
    let out = concerns().arg("table").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_columns_and_ragged_rows_are_all_listed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.csv");
    let text = std::fs::read_to_string(root().join(DATA)).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[0] = lines[0]
        .replace("concern_bias", "concern_bais")
        .replace("prefer_no_ai", "prefer_noai");
    lines[5].push_str(",extra");
    lines[9].push_str(",extra");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let out = concerns().arg("validate").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "did you mean 'concern_bais'",
        "did you mean 'prefer_noai'",
        "row 6: ragged row",
        "row 10: ragged row",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[test]
fn duplicate_ids_stop_the_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dup.csv");
    let text = std::fs::read_to_string(root().join(DATA))
        .unwrap()
        .replacen("syn-000031,", "syn-000030,", 1);
    std::fs::write(&path, text).unwrap();
    let out = concerns().arg("table").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("column 'respondent_id'") && stderr.contains("duplicates"),
        "{stderr}"
    );
}

#[test]
fn duplicates_are_found_after_a_long_ordered_run() {
    // IDs increase for 5,727 rows, then the last repeats row 11's: the scanner trusts
    // the order, so finding it takes the second look at every ID.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("late-dup.csv");
    let text = std::fs::read_to_string(root().join(DATA)).unwrap();
    let text = text.replacen("syn-005728,", "syn-000010,", 1);
    std::fs::write(&path, text).unwrap();
    let out = concerns().arg("validate").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("row 11, column 'respondent_id': duplicate respondent ID 'syn-000010': it appears on 2 rows (11, 5729)"),
        "{text}"
    );
    let out = concerns().arg("table").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 respondent IDs are duplicates"));
}
