//! A report is a set: killed at any moment, or run twice at once, `--out` holds exactly
//! the complete old set or exactly the complete new one, and no staging is left once a
//! run has finished.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::report::snapshot;
use super::{concerns, run};

fn report(data: &Path, out: &Path, lang: &str) -> Command {
    let mut c = concerns();
    c.arg("report")
        .arg(data)
        .args(["--lang", lang, "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// The files of a report with their bytes.
type Set = Vec<(String, Vec<u8>)>;

/// A data file large enough that a report takes a while, and the two complete sets.
fn fixture(root: &Path) -> (std::path::PathBuf, Set, Set) {
    let data = root.join("data.csv");
    let o = run(&["simulate", "--n", "300000", "-o", data.to_str().unwrap()]);
    assert!(o.status.success());
    let sets: Vec<_> = ["en", "ru"]
        .iter()
        .map(|lang| {
            let out = root.join(format!("set-{lang}"));
            assert!(report(&data, &out, lang).status().unwrap().success());
            snapshot(&out)
        })
        .collect();
    assert_ne!(sets[0], sets[1]);
    (data, sets[0].clone(), sets[1].clone())
}

#[test]
fn a_killed_report_leaves_the_old_set_or_the_new_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, en, ru) = fixture(tmp.path());
    let parent = tmp.path().join("site");
    std::fs::create_dir(&parent).unwrap();
    let out = parent.join("reports");
    assert!(report(&data, &out, "en").status().unwrap().success());
    let mut seen_new = false;
    // Kill points spread over the whole run (reading, rendering, staging, swapping).
    for step in 0..40u64 {
        let mut child = report(&data, &out, if step % 2 == 0 { "ru" } else { "en" })
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(step * step * 250));
        child.kill().ok();
        child.wait().unwrap();
        let now = snapshot(&out);
        assert!(
            now == en || now == ru,
            "step {step}: a mixed set: {:?}",
            now.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        seen_new |= now == ru;
    }
    assert!(
        seen_new,
        "no run got as far as the swap: kill points too early"
    );
    // The next complete run removes what killed runs left beside --out.
    assert!(report(&data, &out, "en").status().unwrap().success());
    assert_eq!(snapshot(&out), en);
    let left: Vec<String> = std::fs::read_dir(&parent)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["reports".to_string()]);
}

#[test]
fn concurrent_reports_into_one_directory_do_not_mix() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, en, ru) = fixture(tmp.path());
    let out = tmp.path().join("shared");
    for round in 0..3 {
        let children: Vec<_> = (0..4)
            .map(|k| {
                report(&data, &out, if k % 2 == 0 { "en" } else { "ru" })
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        let now = snapshot(&out);
        assert!(
            now == en || now == ru,
            "round {round}: a mixed set: {:?}",
            now.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
    }
    let staging = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".concerns-"))
        .count();
    assert_eq!(staging, 0);
}
