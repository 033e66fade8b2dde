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
        Case {
            name: "duplicate header name",
            content: Some(
                String::from_utf8(data.clone())
                    .unwrap()
                    .replacen("concern_other_text", "ai_familiarity", 1)
                    .into_bytes(),
            ),
            extra: &[],
            expect: &["row 1", "duplicate column name", "'ai_familiarity'", "columns 6 and 15"],
        },
        Case {
            name: "binary file",
            content: Some(b"\x00\x01\x02\x03respondent_id\x00\x00".to_vec()),
            extra: &[],
            expect: &["binary data", "NUL byte on line 1"],
        },
        Case {
            name: "Excel workbook",
            content: Some(b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml".to_vec()),
            extra: &[],
            expect: &["Excel workbook", "save it as CSV"],
        },
        Case {
            name: "PDF",
            content: Some(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec()),
            extra: &[],
            expect: &["PDF document"],
        },
        Case {
            name: "unterminated quote",
            content: Some(
                [
                    data[..header_end].to_vec(),
                    data[header_end..]
                        .split(|&b| b == b'\n')
                        .take(40)
                        .flat_map(|l| [l, b"\n"].concat())
                        .collect(),
                    b"syn-x,\"us,gen_z,male,1,very_familiar,yes,yes,1,0,0,0,0,0,\nsyn-y,us\n".to_vec(),
                ]
                .concat(),
            ),
            extra: &[],
            expect: &["row 42", "unterminated quote", "closing quote is never found"],
        },
        Case {
            name: "unknown choice in a Qualtrics multi-answer column",
            content: Some(
                std::fs::read_to_string(root().join("tests/fixtures/platforms/qualtrics.csv"))
                    .unwrap()
                    .replacen("AI will take people's jobs", "AI will be rude", 1)
                    .into_bytes(),
            ),
            extra: &["--codebook", "docs/codebooks/qualtrics.toml"],
            expect: &["column 'Q4'", "found 'AI will be rude'", "separated by ','"],
        },
        Case {
            name: "fewer rows than the export's header rows",
            content: Some(
                std::fs::read_to_string(root().join("tests/fixtures/platforms/qualtrics.csv"))
                    .unwrap()
                    .split("\r\n")
                    .take(2)
                    .collect::<Vec<_>>()
                    .join("\r\n")
                    .into_bytes(),
            ),
            extra: &["--codebook", "docs/codebooks/qualtrics.toml"],
            expect: &["ends after 2 rows", "3 header rows"],
        },
        Case {
            name: "platform export read with the default codebook",
            content: Some(
                std::fs::read(root().join("tests/fixtures/platforms/surveymonkey.csv")).unwrap(),
            ),
            extra: &[],
            expect: &["column 'respondent_id'", "missing from the header", "did you mean 'Respondent ID'"],
        },
        Case {
            name: "infinite weight",
            content: Some(edited(cell(12, "weight", "inf"))),
            extra: &[],
            expect: &["row 14", "column 'weight'", "found 'inf'"],
        },
        Case {
            name: "decimal comma in a weight",
            content: Some(edited(cell(30, "weight", "1,3087"))),
            extra: &[],
            expect: &["row 32", "column 'weight'", "found '1,3087'"],
        },
        Case {
            name: "duplicate respondent IDs",
            content: Some(edited(|i, h, v| {
                (i == 77 && h == "respondent_id").then(|| v.replace("078", "077"))
            })),
            extra: &[],
            expect: &["1 respondent IDs are duplicates", "column 'respondent_id'", "concerns validate"],
        },
        Case {
            name: "pipe-delimited file",
            content: Some(
                String::from_utf8(data.clone())
                    .unwrap()
                    .replace(',', "|")
                    .into_bytes(),
            ),
            extra: &[],
            expect: &["row 1", "one field but looks delimited", "--delimiter"],
        },
        Case {
            name: "corrupt SPSS file",
            content: Some([b"$FL2".as_slice(), &[7u8; 100]].concat()),
            extra: &[],
            expect: &["cannot read as an SPSS file"],
        },
        Case {
            name: "misspelled --weight on a Parquet file",
            content: Some(
                std::fs::read(root().join("tests/fixtures/platforms/canonical.parquet")).unwrap(),
            ),
            extra: &["--weight", "wieght"],
            expect: &["column 'wieght'", "did you mean 'weight'"],
        },
    ]
}

#[test]
fn every_bad_input_gets_one_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    for case in cases {
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
