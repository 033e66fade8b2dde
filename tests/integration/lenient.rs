//! `--lenient`: rows with problems are left out, counted and named; what remains is
//! tabulated exactly as if those rows had never been in the file.

use serde_json::Value;

use super::{concerns, root, succeeded, DATA};

/// The bundled data as rows of fields, header first.
fn rows() -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(root().join(DATA))
        .unwrap();
    r.records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect()
}

fn write(dir: &tempfile::TempDir, name: &str, rows: &[Vec<String>]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    let mut w = csv::Writer::from_path(&path).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    path
}

#[test]
fn lenient_leaves_out_bad_rows_and_says_so() {
    let mut data = rows();
    let col = |name: &str| data[0].iter().position(|h| h == name).unwrap();
    let (fam, job, weight, id) = (
        col("ai_familiarity"),
        col("concern_job_loss"),
        col("weight"),
        col("respondent_id"),
    );
    // Spreadsheet rows 7, 12, 101 and 202 (the last repeats row 201's ID).
    data[6][fam] = "maybe".into();
    data[11][job] = "7".into();
    data[100][weight] = "-2".into();
    data[201][id] = data[200][id].clone();
    // A row with two problems is one row left out (listed under both reasons).
    data[300][fam] = "maybe".into();
    data[300][job] = "7".into();
    let dir = tempfile::tempdir().unwrap();
    let broken = write(&dir, "broken.csv", &data);
    // The same file without those rows, written independently of the program.
    let clean: Vec<Vec<String>> = data
        .iter()
        .enumerate()
        .filter(|(i, _)| ![6, 11, 100, 201, 300].contains(i))
        .map(|(_, r)| r.clone())
        .collect();
    let cleaned = write(&dir, "cleaned.csv", &clean);

    let strict = concerns().arg("table").arg(&broken).output().unwrap();
    assert_eq!(strict.status.code(), Some(1));

    let out =
        succeeded(
            concerns()
                .arg("table")
                .arg(&broken)
                .args(["--lenient", "--format", "json"]),
        );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("5 rows with problems left out (--lenient)")
            && stderr.contains("2 rows with 'ai_familiarity' not one of")
            && stderr.contains("1 row repeats an earlier row's respondent ID"),
        "{stderr}"
    );
    let lenient: Value = super::results_json(&out.stdout);
    assert_eq!(lenient["base"]["dropped"], 5);
    assert_eq!(lenient["base"]["respondents"], 5728);
    let reasons: Vec<(Value, u64)> = lenient["dropped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["column"].clone(), d["rows"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        [
            (Value::from("weight"), 1),
            (Value::from("ai_familiarity"), 2),
            (Value::from("concern_job_loss"), 2),
            (Value::Null, 1),
        ]
    );

    let expected = super::json(&["table", cleaned.to_str().unwrap(), "--format", "json"]);
    assert_eq!(lenient["questions"], expected["questions"]);
    assert_eq!(
        lenient["base"]["kept"], expected["base"]["kept"],
        "kept respondents"
    );

    // The human-readable outputs say it too.
    let out = concerns()
        .arg("table")
        .arg(&broken)
        .arg("--lenient")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("5 rows with problems left out"));
}

#[test]
fn lenient_reasons_are_in_the_language_of_the_run() {
    let mut data = rows();
    let fam = data[0].iter().position(|h| h == "ai_familiarity").unwrap();
    data[6][fam] = "maybe".into();
    let dir = tempfile::tempdir().unwrap();
    let broken = write(&dir, "broken.csv", &data);
    let out = succeeded(
        concerns()
            .arg("table")
            .arg(&broken)
            .args(["--lenient", "--lang", "ru"]),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("предупреждение: Исключены из-за ошибок (--lenient): 1 строка. Причины: 1 строка со значением в 'ai_familiarity': не одно из"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("warning") && !stderr.contains("not one of"),
        "{stderr}"
    );
}

#[test]
fn errors_are_in_the_language_of_the_run() {
    let mut data = rows();
    let fam = data[0].iter().position(|h| h == "ai_familiarity").unwrap();
    data[6][fam] = "maybe".into();
    let dir = tempfile::tempdir().unwrap();
    let broken = write(&dir, "broken.csv", &data);
    let run = |lang: &str| {
        let out = concerns()
            .arg("table")
            .arg(&broken)
            .args(["--lang", lang])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let ru = run("ru");
    assert!(
        ru.contains("ошибка: ")
            && ru.contains("broken.csv, строка 7, столбец 'ai_familiarity': ожидалось одно из")
            && ru.contains("найдено 'maybe'"),
        "{ru}"
    );
    assert!(!ru.contains("expected") && !ru.contains("row "), "{ru}");
    let en = run("en");
    assert!(
        en.contains("broken.csv, row 7, column 'ai_familiarity': expected one of")
            && en.contains("found 'maybe'"),
        "{en}"
    );
}
