//! Bad input: one clear message naming file, row and column; exit 1; nothing on stdout;
//! never a panic.

use super::{concerns, root, DATA};

/// The bundled data with `edit` applied to every (data row index, column, value) cell.
fn edited(edit: impl Fn(usize, &str, &str) -> Option<String>) -> Vec<u8> {
    let mut rdr = csv::Reader::from_path(root().join(DATA)).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap();
        let fields: Vec<String> = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| edit(i, h, v).unwrap_or_else(|| v.to_string()))
            .collect();
        w.write_record(&fields).unwrap();
    }
    w.into_inner().unwrap()
}

fn cell(
    row: usize,
    column: &'static str,
    value: &'static str,
) -> impl Fn(usize, &str, &str) -> Option<String> {
    move |i, h, _| (i == row && h == column).then(|| value.to_string())
}

struct Case {
    name: &'static str,
    content: Option<Vec<u8>>,
    extra: &'static [&'static str],
    expect: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    let data = std::fs::read(root().join(DATA)).unwrap();
    let header_end = data.iter().position(|&b| b == b'\n').unwrap() + 1;
    let header = data[..header_end].to_vec();
    vec![
        Case {
            name: "missing file",
            content: None,
            extra: &[],
            expect: &["does-not-exist.csv", "cannot open"],
        },
        Case {
            name: "empty file",
            content: Some(Vec::new()),
            extra: &[],
            expect: &["empty"],
        },
        Case {
            name: "header only",
            content: Some(header.clone()),
            extra: &[],
            expect: &["row 1", "no respondent rows"],
        },
        Case {
            name: "misspelled column",
            content: Some(
                String::from_utf8(data.clone())
                    .unwrap()
                    .replacen("concern_bias", "concern_bais", 1)
                    .into_bytes(),
            ),
            extra: &[],
            expect: &[
                "row 1",
                "column 'concern_bias'",
                "missing",
                "did you mean 'concern_bais'",
            ],
        },
        Case {
            name: "unknown screener code",
            content: Some(edited(cell(3, "ai_familiarity", "maybe"))),
            extra: &[],
            expect: &[
                "row 5",
                "column 'ai_familiarity'",
                "found 'maybe'",
                "dont_know_ai",
            ],
        },
        Case {
            name: "empty screener",
            content: Some(edited(cell(0, "ai_familiarity", ""))),
            extra: &[],
            expect: &["row 2", "column 'ai_familiarity'", "empty"],
        },
        Case {
            name: "non-0/1 in a concern column",
            content: Some(edited(cell(9, "concern_job_loss", "2"))),
            extra: &[],
            expect: &[
                "row 11",
                "column 'concern_job_loss'",
                "found '2'",
                "0 (not selected)",
            ],
        },
        Case {
            name: "unknown single-choice code",
            content: Some(edited(cell(20, "switch_intent", "maybe"))),
            extra: &[],
            expect: &["row 22", "column 'switch_intent'", "'unsure'"],
        },
        Case {
            name: "non-numeric weight",
            content: Some(edited(cell(6, "weight", "heavy"))),
            extra: &[],
            expect: &[
                "row 8",
                "column 'weight'",
                "found 'heavy'",
                "positive number",
            ],
        },
        Case {
            name: "negative weight",
            content: Some(edited(cell(100, "weight", "-1.5"))),
            extra: &[],
            expect: &["row 102", "column 'weight'", "found '-1.5'"],
        },
        Case {
            name: "NaN weight",
            content: Some(edited(cell(50, "weight", "NaN"))),
            extra: &[],
            expect: &["row 52", "column 'weight'", "found 'NaN'"],
        },
        Case {
            name: "missing weight",
            content: Some(edited(cell(1, "weight", ""))),
            extra: &[],
            expect: &["row 3", "column 'weight'", "empty"],
        },
        Case {
            name: "zero-sum weights",
            content: Some(edited(|_, h, _| (h == "weight").then(|| "0".to_string()))),
            extra: &[],
            expect: &["row 2", "column 'weight'", "found '0'", "5728 rows"],
        },
        Case {
            name: "everyone excluded",
            content: Some(edited(|_, h, _| {
                (h == "ai_familiarity").then(|| "dont_know_ai".to_string())
            })),
            extra: &[],
            expect: &[
                "column 'ai_familiarity'",
                "all 5728 respondents are excluded",
            ],
        },
        Case {
            name: "Windows-1251 without --encoding",
            content: Some(
                [
                    header.clone(),
                    String::from_utf8(data[header_end..].to_vec())
                        .unwrap()
                        .lines()
                        .take(3)
                        .map(|l| format!("{l}\n"))
                        .collect::<String>()
                        .into_bytes(),
                    b"syn-9,us,gen_z,female,1.0,very_familiar,yes,yes,1,0,0,0,0,1,\xd7\xe0\xf2-\xe1\xee\xf2\n".to_vec(),
                ]
                .concat(),
            ),
            extra: &[],
            expect: &["row 5", "not UTF-8", "--encoding windows-1251"],
        },
        Case {
            name: "unknown --weight column",
            content: Some(data.clone()),
            extra: &["--weight", "wieght"],
            expect: &["column 'wieght'", "--weight", "did you mean 'weight'"],
        },
        Case {
            name: "non-UTF-8 header",
            content: Some([b"respondent_id,pa\xefs\n1,x\n".as_slice()].concat()),
            extra: &[],
            expect: &["not UTF-8", "row 1"],
        },
        Case {
            name: "ragged row",
            content: Some([header.clone(), b"syn-1,us,gen_z\n".to_vec()].concat()),
            extra: &[],
            expect: &["row 2", "ragged row", "3 fields but the header has 15"],
        },
        Case {
            name: "extra field deep in the file",
            content: Some(
                String::from_utf8(data.clone())
                    .unwrap()
                    .lines()
                    .enumerate()
                    .map(|(i, l)| {
                        if i == 4001 {
                            format!("{l},extra\n")
                        } else {
                            format!("{l}\n")
                        }
                    })
                    .collect::<String>()
                    .into_bytes(),
            ),
            extra: &[],
            expect: &["row 4002", "ragged row", "16 fields"],
        },
        Case {
            name: "Latin-1 text in a row",
            content: Some(
                [data[..header_end].to_vec(), data[header_end..].to_vec()]
                    .concat()
                    .into_iter()
                    .enumerate()
                    .fold(Vec::new(), |mut acc, (i, b)| {
                        acc.push(b);
                        if i == header_end + 5 {
                            acc.push(0xe9);
                        }
                        acc
                    }),
            ),
            extra: &[],
            expect: &["row 2", "not UTF-8"],
        },
    ]
}

#[test]
fn every_bad_input_gets_one_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    for case in cases() {
        let path = dir.path().join(if case.content.is_some() {
            "input.csv"
        } else {
            "does-not-exist.csv"
        });
        if let Some(content) = &case.content {
            std::fs::write(&path, content).unwrap();
        }
        for format in ["json", "table"] {
            let out = concerns()
                .arg("table")
                .arg(&path)
                .args(["--format", format])
                .args(case.extra)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{}: exit code; stderr: {stderr}",
                case.name
            );
            assert!(out.stdout.is_empty(), "{}: stdout must be empty", case.name);
            assert!(
                !stderr.contains("panicked"),
                "{}: panic: {stderr}",
                case.name
            );
            assert_eq!(
                stderr.trim_end().lines().count(),
                1,
                "{}: one message: {stderr}",
                case.name
            );
            assert!(
                stderr.contains(path.file_name().unwrap().to_str().unwrap()),
                "{}: names the file: {stderr}",
                case.name
            );
            for key in case.expect {
                assert!(
                    stderr.contains(key),
                    "{}: expected {key:?} in: {stderr}",
                    case.name
                );
            }
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    let out = concerns()
        .args(["table", DATA, "--format", "xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = concerns().args(["simulate", "--n", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = concerns()
        .args(["table", DATA, "--lang", "de"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
