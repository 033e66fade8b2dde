//! A bounded mutation test: a few thousand inputs made by breaking the small fixture and
//! the canonical codebook in hostile ways (seeded, so every run tries the same ones).
//! Whatever the input: exit 0 or 1 only, never a panic, nothing on stdout when failing,
//! nothing written outside `--out`, the same output when the same input comes again, and
//! the same verdict through standard input as from a file. Parquet and SPSS files are
//! mutated too (flipped bytes, truncation, holes).

use std::path::Path;
use std::process::Output;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{concerns, root};

/// Values that have broken parsers, terminals, spreadsheets and renderers.
const HOSTILE: [&str; 28] = [
    "",
    "\"",
    "\"\"\"",
    ",",
    "\n",
    "\r\n",
    "\u{0}",
    "\u{1b}[2J",
    "\u{7}",
    "\u{feff}",
    "=cmd|' /C calc'!A0",
    "+1",
    "-1",
    "@SUM(1)",
    "1e308",
    "1e-320",
    "NaN",
    "-0",
    "99999999999999999999999",
    "<script>",
    "../../etc/passwd",
    "ü",
    "\u{202e}",
    "very_familiar",
    // Spaces only some readers take for white space.
    "\u{a0}",
    "us\u{3000}",
    " us ",
    "1_0.5",
];

fn mutate_data(base: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut b = base.to_vec();
    for _ in 0..rng.gen_range(1..4) {
        if b.is_empty() {
            b.extend_from_slice(HOSTILE[rng.gen_range(0..HOSTILE.len())].as_bytes());
            continue;
        }
        let at = rng.gen_range(0..b.len());
        match rng.gen_range(0..8) {
            0 => b[at] = rng.gen(),
            1 => {
                let v = HOSTILE[rng.gen_range(0..HOSTILE.len())];
                b.splice(at..at, v.bytes());
            }
            2 => {
                let end = (at + rng.gen_range(1..40)).min(b.len());
                b.drain(at..end);
            }
            3 => b.truncate(at),
            4 => {
                // Replace one field (between delimiters) with a hostile value.
                let start = b[..at]
                    .iter()
                    .rposition(|&c| c == b',' || c == b'\n')
                    .map_or(0, |p| p + 1);
                let end = b[at..]
                    .iter()
                    .position(|&c| c == b',' || c == b'\n')
                    .map_or(b.len(), |p| at + p);
                let v = HOSTILE[rng.gen_range(0..HOSTILE.len())];
                b.splice(start..end, v.bytes());
            }
            5 => {
                // Repeat a line (duplicate IDs, ragged joins).
                let start = b[..at]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |p| p + 1);
                let end = b[at..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| at + p + 1);
                let line = b[start..end].to_vec();
                b.splice(end..end, line);
            }
            6 => b.insert(at, [b'"', b',', b'\n', b';', b'\t', 0][rng.gen_range(0..6)]),
            _ => {
                let n = rng.gen_range(1..3000);
                b.splice(at..at, std::iter::repeat_n(b'x', n));
            }
        }
    }
    b
}

fn mutate_codebook(base: &str, rng: &mut ChaCha8Rng) -> String {
    // Replace the contents of one quoted string, or one number, of the codebook.
    let quotes: Vec<usize> = base.match_indices('"').map(|(i, _)| i).collect();
    let pair = rng.gen_range(0..quotes.len() / 2) * 2;
    let (a, b) = (quotes[pair] + 1, quotes[pair + 1]);
    let v = match rng.gen_range(0..6) {
        0 => "x/../../PWNED".to_string(),
        1 => base[a..b].to_string() + "\\u001b[31m",
        2 => "\\n[[questions]]".to_string(),
        3 => "y".repeat(rng.gen_range(400..700)),
        4 => {
            // Another string of the codebook: duplicate ids, codes, columns.
            let other = rng.gen_range(0..quotes.len() / 2) * 2;
            base[quotes[other] + 1..quotes[other + 1]].to_string()
        }
        _ => HOSTILE[rng.gen_range(0..HOSTILE.len())]
            .escape_default()
            .to_string()
            .replace("\\u{", "\\u00")
            .replace('}', ""),
    };
    let mut out = format!("{}{}{}", &base[..a], v, &base[b..]);
    if rng.gen_bool(0.2) {
        // A base per item on some question: accepted on 0/1 dichotomies, refused elsewhere.
        let kinds: Vec<usize> = out.match_indices("\nkind = ").map(|(i, _)| i + 1).collect();
        if let Some(&at) = kinds.get(rng.gen_range(0..kinds.len().max(1))) {
            out.insert_str(at, "base = \"each_item\"\n");
        }
    }
    if rng.gen_bool(0.1) {
        out = out.replacen(
            "[survey]",
            "[input]\nheader_rows = 99999999999\n\n[survey]",
            1,
        );
    }
    // Separators with white space around them, and codes padded with spaces (trimmed when
    // the codebook loads, as every reader trims values).
    if rng.gen_bool(0.15) {
        let separator = [" , ", "\\t", " ", " ;", "  "][rng.gen_range(0..5)];
        out = out.replacen(
            "delimiter = \",\"",
            &format!("delimiter = \"{separator}\""),
            1,
        );
    }
    if rng.gen_bool(0.15) {
        out = out.replacen("code = \"", "code = \" ", 3);
    }
    // Headline phrases holding markup, formulas and escapes around the answer.
    if rng.gen_bool(0.15) {
        let phrase = [
            "<script>alert(1)</script> {answer}",
            "=cmd|' /C calc'!A0 {answer}",
            "\\u001b[2J{answer}\\u0007",
            "{answer} *bold* [x](javascript:1) | {answer}",
        ][rng.gen_range(0..4)];
        out = out.replacen("worry that {answer}", phrase, 1);
    }
    out
}

/// `validate` lists problems on stdout by design; every other command prints nothing there
/// when it fails.
fn check(o: &Output, what: &str, validate: bool) {
    let err = String::from_utf8_lossy(&o.stderr);
    let code = o.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "{what}: exit {:?}: {err}",
        o.status
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{what}: {err}"
    );
    if code == Some(1) && validate {
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            out.contains("NOT valid") || err.contains("error: "),
            "{what}: {out} {err}"
        );
    } else if code == Some(1) {
        assert!(o.stdout.is_empty(), "{what}: output on failure");
        assert!(
            err.starts_with("error: ") || err.contains("\nerror: "),
            "{what}: {err}"
        );
    }
    let raw = o
        .stdout
        .iter()
        .chain(&o.stderr)
        .any(|&b| b == 0x1b || b == 0x07 || b == 0);
    if raw {
        std::fs::write(
            "/tmp/mutation-failure.out",
            [&o.stdout[..], b"\n=====\n", &o.stderr[..]].concat(),
        )
        .ok();
    }
    assert!(
        !raw,
        "{what}: a raw control character reached the terminal: {:?} {:?}",
        String::from_utf8_lossy(&o.stdout),
        err
    );
}

/// The names in `dir`, sorted.
fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn run_in(dir: &Path, args: &[&std::ffi::OsStr]) -> Output {
    concerns().current_dir(dir).args(args).output().unwrap()
}

#[test]
fn thousands_of_mutated_inputs_exit_cleanly() {
    let base = std::fs::read(root().join("tests/fixtures/small.csv")).unwrap();
    let codebook = std::fs::read_to_string(root().join("codebooks/canonical.toml")).unwrap();
    let workers = 2;
    std::thread::scope(|s| {
        for worker in 0..workers {
            let (base, codebook) = (&base, &codebook);
            s.spawn(move || {
                let mut rng = ChaCha8Rng::seed_from_u64(10 + worker as u64);
                let dir = tempfile::tempdir().unwrap();
                let data = dir.path().join("in.csv");
                let cb = dir.path().join("cb.toml");
                let out = dir.path().join("out");
                for case in 0..1500 {
                    let what = format!("worker {worker} case {case}");
                    let bytes = mutate_data(base, &mut rng);
                    std::fs::write(&data, &bytes).unwrap();
                    let with_codebook = case % 5 == 4;
                    if with_codebook {
                        std::fs::write(&cb, mutate_codebook(codebook, &mut rng)).unwrap();
                    } else {
                        std::fs::write(&cb, codebook).unwrap();
                    }
                    let mut args: Vec<&std::ffi::OsStr> = match case % 6 {
                        0 => vec![
                            "table".as_ref(),
                            data.as_os_str(),
                            "--format".as_ref(),
                            "json".as_ref(),
                        ],
                        1 => vec![
                            "table".as_ref(),
                            data.as_os_str(),
                            "--by".as_ref(),
                            "generation".as_ref(),
                        ],
                        2 => vec![
                            "table".as_ref(),
                            data.as_os_str(),
                            "--format".as_ref(),
                            "csv".as_ref(),
                            "--lenient".as_ref(),
                        ],
                        3 => vec!["validate".as_ref(), data.as_os_str()],
                        4 => vec![
                            "table".as_ref(),
                            data.as_os_str(),
                            "--format".as_ref(),
                            "md".as_ref(),
                            "--by".as_ref(),
                            "country".as_ref(),
                        ],
                        // A design read from hostile columns: strata and PSUs.
                        _ => vec![
                            "table".as_ref(),
                            data.as_os_str(),
                            "--lenient".as_ref(),
                            "--by".as_ref(),
                            "gender".as_ref(),
                            "--strata".as_ref(),
                            "country".as_ref(),
                            "--psu".as_ref(),
                            "generation".as_ref(),
                            "--lonely-psu".as_ref(),
                            ["adjust", "average", "remove", "certainty", "fail"][case % 5].as_ref(),
                        ],
                    };
                    args.extend(["--codebook".as_ref(), cb.as_os_str()]);
                    let o = run_in(dir.path(), &args);
                    check(&o, &what, case % 6 == 3);
                    // Whatever the input, JSON results are what the schema promises.
                    if case % 6 == 0 && o.status.success() {
                        super::results_json(&o.stdout);
                    }
                    // Through standard input too: the spooled path gives the same verdict.
                    if case % 7 == 1 && !with_codebook {
                        let piped = super::output_with_stdin(
                            concerns()
                                .current_dir(dir.path())
                                .args(["table", "-", "--format", "json"]),
                            &bytes,
                        );
                        check(&piped, &format!("{what} stdin"), false);
                        let file = run_in(
                            dir.path(),
                            &[
                                "table".as_ref(),
                                data.as_os_str(),
                                "--format".as_ref(),
                                "json".as_ref(),
                            ],
                        );
                        assert_eq!(
                            piped.status.code(),
                            file.status.code(),
                            "{what}: stdin and file disagree"
                        );
                    }
                    // A drafted codebook is always a valid codebook, whatever the data.
                    if case % 4 == 2 {
                        let init = run_in(
                            dir.path(),
                            &["codebook".as_ref(), "init".as_ref(), data.as_os_str()],
                        );
                        check(&init, &format!("{what} init"), false);
                        if init.status.success() {
                            let draft = dir.path().join("draft.toml");
                            std::fs::write(&draft, &init.stdout).unwrap();
                            let v = run_in(
                                dir.path(),
                                &[
                                    "validate".as_ref(),
                                    data.as_os_str(),
                                    "--codebook".as_ref(),
                                    draft.as_os_str(),
                                ],
                            );
                            check(&v, &format!("{what} validate the draft"), true);
                            let err = String::from_utf8_lossy(&v.stderr);
                            assert!(!err.contains("error: codebook"), "{what}: {err}");
                            std::fs::remove_file(&draft).unwrap();
                        }
                    }
                    // The same input again: the same bytes out.
                    if case % 10 == 0 {
                        let again = run_in(dir.path(), &args);
                        assert_eq!(o.stdout, again.stdout, "{what}: not deterministic");
                        assert_eq!(o.status.code(), again.status.code(), "{what}");
                    }
                    // Now and then a whole report: files only inside --out.
                    if case % 50 == 7 {
                        let o = run_in(
                            dir.path(),
                            &[
                                "report".as_ref(),
                                data.as_os_str(),
                                "--codebook".as_ref(),
                                cb.as_os_str(),
                                "--out".as_ref(),
                                out.as_os_str(),
                            ],
                        );
                        check(&o, &format!("{what} report"), false);
                        let mut names = file_names(dir.path());
                        names.retain(|n| n != "out");
                        assert_eq!(
                            names,
                            vec!["cb.toml", "in.csv"],
                            "{what}: a file outside --out"
                        );
                        if o.status.success() {
                            inert_outputs(&out, &what);
                        }
                    }
                }
            });
        }
    });
}

/// Hostile labels and values stay text in the report's HTML and workbook: no script, tag,
/// external reference or formula.
fn inert_outputs(out: &Path, what: &str) {
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for banned in [
        "<script",
        "<iframe",
        "<link",
        // A label may say "javascript:" as text; no attribute may start with it.
        "=\"javascript:",
        "='javascript:",
        "<a ",
        "src=\"http",
        "href=\"http",
        "url(",
    ] {
        assert!(
            !html.to_ascii_lowercase().contains(banned),
            "{what}: {banned} in report.html"
        );
    }
    let xlsx = std::fs::read(out.join("banners.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    for k in 0..zip.len() {
        let mut part = String::new();
        let mut f = zip.by_index(k).unwrap();
        let name = f.name().unwrap().to_string();
        if name.starts_with("xl/worksheets/") {
            std::io::Read::read_to_string(&mut f, &mut part).unwrap();
            assert!(!part.contains("<f>"), "{what}: a formula in {name}");
        }
    }
}

#[test]
fn mutated_parquet_and_spss_files_exit_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.bin");
    for (k, fixture) in ["canonical.parquet", "types.parquet", "survey.sav"]
        .iter()
        .enumerate()
    {
        let base = std::fs::read(root().join("tests/fixtures/platforms").join(fixture)).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(100 + k as u64);
        for case in 0..150 {
            let mut b = base.clone();
            for _ in 0..rng.gen_range(1..6) {
                let at = rng.gen_range(0..b.len());
                match rng.gen_range(0..3) {
                    0 => b[at] = rng.gen(),
                    1 => b.truncate(at.max(4)),
                    _ => {
                        let end = (at + rng.gen_range(1..64)).min(b.len());
                        b.drain(at..end);
                    }
                }
            }
            std::fs::write(&path, &b).unwrap();
            let o = run_in(
                dir.path(),
                &[
                    "table".as_ref(),
                    path.as_os_str(),
                    "--format".as_ref(),
                    "json".as_ref(),
                ],
            );
            check(&o, &format!("{fixture} case {case}"), false);
        }
    }
}

/// Pieces of filter expressions and of targets files, hostile ones among them.
const PIECES: [&str; 22] = [
    "country",
    "generation",
    "=",
    "!=",
    "in",
    "not",
    "and",
    "or",
    "(",
    ")",
    ",",
    "us",
    "gen_z",
    "'",
    "\"",
    "respondent_id",
    "weight",
    "\u{1b}[2J",
    "=cmd|' /C calc'!A0",
    "<script>",
    "../../x",
    "ü",
];

/// `--where` expressions, named `[[filters]]` and targets files built from random pieces:
/// exit 0, 1 or 2 (a bad expression or targets file is a usage error), never a panic, no
/// raw control character on the terminal, nothing written but the asked-for output.
#[test]
fn mutated_filters_and_targets_exit_cleanly() {
    let base = std::fs::read(root().join("tests/fixtures/small.csv")).unwrap();
    let codebook = std::fs::read_to_string(root().join("codebooks/canonical.toml")).unwrap();
    // Margins the small fixture can meet.
    let targets = "[generation]\ngen_z = 0.2\nmillennial = 0.3\ngen_x = 0.3\nboomer = 0.2\n\n\
                   [gender]\nfemale = 0.5\nmale = 0.5\n"
        .to_string();
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    let dir = tempfile::tempdir().unwrap();
    let (data, cb, t, out) = (
        dir.path().join("in.csv"),
        dir.path().join("cb.toml"),
        dir.path().join("t.toml"),
        dir.path().join("w.csv"),
    );
    let (mut filtered, mut weighted) = (0, 0);
    for case in 0..600 {
        let what = format!("case {case}");
        let bytes = if case % 3 == 0 {
            mutate_data(&base, &mut rng)
        } else {
            base.clone()
        };
        std::fs::write(&data, &bytes).unwrap();
        let expr: Vec<&str> = (0..rng.gen_range(1..9))
            .map(|_| PIECES[rng.gen_range(0..PIECES.len())])
            .collect();
        let expr = expr.join(if rng.gen_bool(0.7) { " " } else { "" });
        // A named filter: the random expression now and then (a codebook error when it
        // does not parse), else a valid one.
        let named_expr = if case % 8 == 0 {
            expr.as_str()
        } else {
            "country in (us, gb)"
        };
        let named = format!(
            "{codebook}\n[[filters]]\nid = \"f\"\nwhere = {}\n",
            toml::Value::String(named_expr.to_string())
        );
        std::fs::write(&cb, &named).unwrap();
        let filter = if case % 4 == 0 {
            "f and country = us"
        } else {
            expr.as_str()
        };
        let o = concerns()
            .current_dir(dir.path())
            .args([
                "table",
                "--format",
                "json",
                "--by",
                "generation",
                "--where",
                filter,
                "--codebook",
            ])
            .arg(&cb)
            .arg(&data)
            .output()
            .unwrap();
        check_usage(&o, &format!("{what} --where {expr:?}"));
        if o.status.success() {
            super::results_json(&o.stdout);
            filtered += 1;
        }
        // A targets file with one string or number replaced.
        let broken = mutate_codebook(
            &targets.replace(" = ", " = \"").replace('\n', "\"\n"),
            &mut rng,
        )
        .replace("= \"", "= ")
        .replace("\"\n", "\n");
        std::fs::write(&t, if case % 2 == 0 { &broken } else { &targets }).unwrap();
        let o = concerns()
            .current_dir(dir.path())
            .args(["weight", "--targets"])
            .arg(&t)
            .arg("-o")
            .arg(&out)
            .arg(&data)
            .output()
            .unwrap();
        check_usage(&o, &format!("{what} weight"));
        assert_eq!(
            out.exists(),
            o.status.success(),
            "{what}: output only on success"
        );
        weighted += o.status.success() as usize;
        let _ = std::fs::remove_file(&out);
        assert_eq!(
            file_names(dir.path()),
            ["cb.toml", "in.csv", "t.toml"],
            "{what}: stray files"
        );
    }
    // The pieces make valid filters and targets often enough to test the good path too.
    assert!(
        filtered > 20 && weighted > 100,
        "{filtered} filtered, {weighted} weighted"
    );
}

/// As [`check`], with exit 2 allowed: the expression or targets file was at fault.
fn check_usage(o: &Output, what: &str) {
    if o.status.code() == Some(2) {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.stdout.is_empty(), "{what}: output on failure");
        assert!(err.starts_with("error: "), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
        assert!(
            !o.stderr.iter().any(|&b| b == 0x1b || b == 0x07 || b == 0),
            "{what}: raw control character: {err}"
        );
        return;
    }
    check(o, what, false);
}

/// The data of the codebooks mutated for `concerns sql`: the bundled study, Google Forms'.
const DATA_FOR_SQL: [&str; 2] = [
    "data/ai-customer-service-2023.csv",
    "tests/fixtures/platforms/google-forms.csv",
];

/// Hostile sums for `table --sums` (a committed result of `concerns sql`'s query, with one
/// field replaced or bytes cut) and hostile codebooks for `concerns sql`: every run ends with
/// a result or one clear error, never a panic or a raw control character.
#[test]
fn mutated_sums_and_sql_codebooks_exit_cleanly() {
    let codebook = std::fs::read_to_string(root().join("codebooks/canonical.toml")).unwrap();
    let values = [
        "",
        "-1",
        "18446744073709551616",
        "99999999999999999999999999999999999999",
        "1e309",
        "NaN",
        "0.0000000001",
        "cell",
        "rows",
        "weight",
        "excluded",
        "\u{1b}[31m",
        "=cmd|' /C calc'!A0",
        "\"",
        "gen_z",
        "4611686018427387904",
        "12.123456789012345678901",
        // Sums per unit of a design.
        "unit",
        "us",
        "us-1",
        "240",
        "0.5",
        "inf",
        // Sums per item, rules as rows, values the query cannot write.
        "item",
        "base",
        "outside_item",
        "invalid",
        "62",
        "100000000000000000000",
        "us\u{a0}",
        "martian",
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(16);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.sums.csv");
    let design = ["--strata", "stratum", "--psu", "psu", "--fpc", "fpc"];
    // Sums of wide questions (summed per item), made on DuckDB from the wide survey.
    let (wide, wide_codebook) = super::limits::wide_survey(dir.path(), 120);
    let wide_sums = dir.path().join("wide.sums.csv");
    let wide_args = ["--codebook", wide_codebook.to_str().unwrap()];
    let with_region = [&["--by", "region"][..], &wide_args[..]].concat();
    super::support::duckdb_sums(&wide, &with_region, &wide_sums);
    for (fixture, design) in [
        ("by-generation", &[][..]),
        ("design", &design[..]),
        ("wide", &wide_args[..]),
    ] {
        let sums = match fixture {
            "wide" => std::fs::read_to_string(&wide_sums).unwrap(),
            _ => std::fs::read_to_string(
                root().join(format!("tests/fixtures/sums/{fixture}.sums.csv")),
            )
            .unwrap(),
        };
        let by = if fixture == "wide" {
            "region"
        } else {
            "generation"
        };
        let lines: Vec<&str> = sums.lines().collect();
        let mut results = 0;
        for case in 0..300 {
            let mut rows: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            for _ in 0..rng.gen_range(1..4) {
                let r = rng.gen_range(0..rows.len());
                let mut fields: Vec<String> = rows[r].split(',').map(str::to_string).collect();
                let f = rng.gen_range(0..fields.len());
                fields[f] = values[rng.gen_range(0..values.len())].to_string();
                rows[r] = fields.join(",");
            }
            let mut bytes = rows.join("\n").into_bytes();
            if case % 7 == 6 {
                bytes.truncate(rng.gen_range(0..bytes.len()));
            }
            std::fs::write(&path, &bytes).unwrap();
            let mut args: Vec<&std::ffi::OsStr> = vec![
                "table".as_ref(),
                "--sums".as_ref(),
                path.as_os_str(),
                "--by".as_ref(),
                by.as_ref(),
                "--format".as_ref(),
                "json".as_ref(),
            ];
            args.extend(design.iter().map(std::ffi::OsStr::new));
            let o = run_in(dir.path(), &args);
            check_usage(&o, &format!("{fixture} sums case {case}"));
            results += o.status.success() as usize;
        }
        assert!(
            results > 10,
            "some mutations leave valid {fixture} sums: {results}"
        );
    }
    // Mutated codebooks compiled to SQL: the canonical one, and Google Forms' (choice texts
    // holding the delimiter), some with a design. Every DuckDB query is then run on the data
    // the codebook describes: it may fail to bind (a mutated column name), never to parse.
    let forms = std::fs::read_to_string(root().join("docs/codebooks/google-forms.toml")).unwrap();
    let bases = [
        (&codebook, DATA_FOR_SQL[0], ["country", "generation"]),
        (
            &forms,
            DATA_FOR_SQL[1],
            ["Which country do you live in?", "What is your gender?"],
        ),
    ];
    let mut duckdb = Vec::new();
    for case in 0..200 {
        let (base, data, [strata, psu]) = bases[case % 2];
        let cb = dir.path().join(format!("cb{case}.toml"));
        std::fs::write(&cb, mutate_codebook(base, &mut rng)).unwrap();
        let dialect = ["duckdb", "postgres", "spark"][case % 3];
        let mut words = vec!["sql", "--dialect", dialect, "--table", "responses"];
        if case % 4 < 2 {
            words.extend(["--strata", strata, "--psu", psu]);
        }
        let mut args: Vec<&std::ffi::OsStr> = words.iter().map(std::ffi::OsStr::new).collect();
        args.extend([std::ffi::OsStr::new("--codebook"), cb.as_os_str()]);
        let o = run_in(dir.path(), &args);
        check_usage(&o, &format!("sql case {case}"));
        if dialect == "duckdb" && o.status.success() {
            let query = dir.path().join(format!("q{case}.sql"));
            std::fs::write(&query, &o.stdout).unwrap();
            duckdb.push((case, root().join(data), query));
        }
    }
    assert!(duckdb.len() > 20, "{} queries to run", duckdb.len());
    let script = r#"
import duckdb, sys
args = sys.argv[1:]
for case, data, query in zip(args[0::3], args[1::3], args[2::3]):
    con = duckdb.connect()
    path = data.replace("'", "''")
    con.execute(f"CREATE VIEW responses AS SELECT * FROM read_csv('{path}', all_varchar = true)")
    try:
        con.execute(open(query).read()).fetchall()
        print(case, "ran")
    except duckdb.ParserException as e:
        print(case, "PARSER", str(e).splitlines()[0])
    except duckdb.Error as e:
        print(case, "error", type(e).__name__)
"#;
    let mut cmd = std::process::Command::new("python3");
    cmd.args(["-c", script]);
    for (case, data, query) in &duckdb {
        cmd.arg(case.to_string()).arg(data).arg(query);
    }
    let o = cmd
        .output()
        .expect("python3 runs (DuckDB's Python package)");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.contains("PARSER"), "{out}");
    assert!(
        out.lines().filter(|l| l.ends_with(" ran")).count() > 10,
        "most mutated queries still run: {out}"
    );
}

/// Lines a tampered manifest or commit journal may hold.
const PATHS: [&str; 10] = [
    "../outside.txt",
    "/etc/hostname",
    "notes.txt",
    "keep",
    "figure1.svg",
    "figure7_old.png",
    "summary.md/../../outside.txt",
    ".concerns-manifest",
    "\u{1b}[2J",
    "",
];

#[test]
fn report_folders_lose_nothing_they_do_not_own_whatever_they_hold() {
    let mut rng = ChaCha8Rng::seed_from_u64(24);
    let root_dir = tempfile::tempdir().unwrap();
    let data = root().join(super::DATA);
    let mut results = [0usize; 2];
    for case in 0..40 {
        let top = root_dir.path().join(format!("case{case}"));
        let out = top.join("reports");
        std::fs::create_dir_all(out.join("keep")).unwrap();
        let mut theirs = vec![
            (top.join("outside.txt"), "outside"),
            (out.join("notes.txt"), "notes"),
            (out.join("keep/inner.svg"), "inner"),
            (out.join("figure9_by_hand.svg"), "hand-made"),
        ];
        // A first report, then the folder tampered with.
        if rng.gen_bool(0.7) {
            let o = concerns()
                .arg("report")
                .arg(&data)
                .arg("--out")
                .arg(&out)
                .output()
                .unwrap();
            assert!(o.status.success());
        }
        let line = |rng: &mut ChaCha8Rng| PATHS[rng.gen_range(0..PATHS.len())].to_string();
        match rng.gen_range(0..5) {
            0 => {
                let lines: Vec<String> = (0..4).map(|_| line(&mut rng)).collect();
                std::fs::write(out.join(".concerns-manifest"), lines.join("\n")).unwrap();
            }
            1 | 2 => {
                // A staging folder: ours (marker) or not, committed or not, its journal sane or not.
                let staging = out.join(format!(".concerns-staging-{case}"));
                std::fs::create_dir_all(&staging).unwrap();
                if rng.gen_bool(0.7) {
                    std::fs::write(
                        staging.join(".concerns-staging"),
                        "concerns report staging\npid 1\n",
                    )
                    .unwrap();
                } else {
                    std::fs::write(staging.join(".concerns-staging"), "not ours").unwrap();
                    theirs.push((staging.join("theirs.txt"), "staged by someone"));
                }
                let mut journal = String::from("concerns report commit\n");
                for _ in 0..3 {
                    let verb = ["move", "remove"][rng.gen_range(0..2)];
                    journal.push_str(&format!("{verb} {}\n", line(&mut rng)));
                }
                if rng.gen_bool(0.5) {
                    std::fs::write(staging.join(".concerns-commit"), journal).unwrap();
                }
                std::fs::write(staging.join("figure1.svg"), "<svg/>").unwrap();
            }
            3 => {
                // A symbolic link where a report file goes: refused, never followed.
                let _ = std::fs::remove_file(out.join("figure1.png"));
                std::os::unix::fs::symlink("../outside.txt", out.join("figure1.png")).unwrap();
            }
            _ => {
                // A folder named like staging, without the tool's marker.
                let fake = out.join(".concerns-staging-fake");
                std::fs::create_dir_all(&fake).unwrap();
                theirs.push((fake.join("draft.md"), "a user's draft"));
            }
        }
        for (path, text) in &theirs {
            std::fs::write(path, text).unwrap();
        }
        let o = concerns()
            .arg("report")
            .arg(&data)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(matches!(o.status.code(), Some(0 | 1)), "case {case}: {err}");
        assert!(!err.contains("panicked"), "case {case}: {err}");
        results[o.status.success() as usize] += 1;
        for (path, text) in &theirs {
            assert_eq!(
                std::fs::read_to_string(path).ok().as_deref(),
                Some(*text),
                "case {case}: {} was changed or removed",
                path.display()
            );
        }
    }
    assert!(results[0] > 0 && results[1] > 20, "{results:?}");
}

#[test]
fn hostile_scale_labels_draft_valid_codebooks_and_inert_reports() {
    // A 5-point satisfaction scale `codebook init` recognises, one of its labels made
    // hostile (markup, a formula, escapes around its words) and now and then one hostile
    // answer off the scale: the draft still reads the file, and the report shows the
    // labels as text.
    let scale = [
        "Very dissatisfied",
        "Dissatisfied",
        "Neither",
        "Satisfied",
        "Very satisfied",
    ];
    let wrap = [
        "<script>alert(1)</script>{}",
        "={}+1",
        "{}\u{1b}[2J\u{7}",
        "[{}](javascript:1)",
        "{} | x",
        "\u{202e}{}",
        "<b>{}</b>",
    ];
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("scale.csv");
    let draft = dir.path().join("draft.toml");
    let out = dir.path().join("out");
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    let (mut reports, mut scales) = (0, 0);
    for case in 0..40 {
        let what = format!("scale case {case}");
        let mut labels = scale.map(String::from);
        let k = rng.gen_range(0..scale.len());
        labels[k] = wrap[rng.gen_range(0..wrap.len())].replace("{}", scale[k]);
        let off = HOSTILE[rng.gen_range(0..HOSTILE.len())];
        let mut csv = String::from("id,satisfaction,group\n");
        for row in 0..120 {
            let answer = match (row, case % 2) {
                (7, 1) => off,
                _ => &labels[row % scale.len()],
            };
            let mut field = answer.replace('"', "\"\"");
            if field.contains([',', '\n', '\r', '"']) {
                field = format!("\"{field}\"");
            }
            csv.push_str(&format!("r{row},{field},{}\n", ["a", "b"][row % 2]));
        }
        std::fs::write(&data, &csv).unwrap();
        let init = run_in(
            dir.path(),
            &["codebook".as_ref(), "init".as_ref(), data.as_os_str()],
        );
        check(&init, &format!("{what} init"), false);
        if !init.status.success() {
            continue;
        }
        std::fs::write(&draft, &init.stdout).unwrap();
        let o = run_in(
            dir.path(),
            &[
                "report".as_ref(),
                data.as_os_str(),
                "--codebook".as_ref(),
                draft.as_os_str(),
                "--lenient".as_ref(),
                "--out".as_ref(),
                out.as_os_str(),
            ],
        );
        check(&o, &format!("{what} report"), false);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("error: codebook"), "{what}: {err}");
        if o.status.success() {
            inert_outputs(&out, &what);
            // The scale was recognised: its top-two net leads.
            let json = std::fs::read_to_string(out.join("summary.json")).unwrap();
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            let top2 = v["questions"][0]["nets"]
                .as_array()
                .is_some_and(|n| n.iter().any(|n| n["id"] == "top2" && n["headline"] == true));
            scales += usize::from(top2);
            reports += 1;
        }
    }
    assert!(
        reports >= 30 && scales >= 20,
        "{reports} reports, {scales} scales"
    );
}
