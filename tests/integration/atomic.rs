//! A report is a set: killed at any stage, or run several times at once, `--out` ends up
//! holding exactly the complete old set or exactly the complete new one; the directory
//! itself and every file the report does not own are never touched.
//!
//! Runs are stopped at named stages (`CONCERNS_TEST_PAUSE_AT`), then killed, so where a run
//! is interrupted does not depend on the machine's speed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use super::report::snapshot;
use super::{concerns, run, DATA};

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

/// Runs a report that stops at `stage`, and kills it there.
fn killed_at(data: &Path, out: &Path, lang: &str, stage: &str) {
    let mut child = report(data, out, lang)
        .env("CONCERNS_TEST_PAUSE_AT", stage)
        .spawn()
        .unwrap();
    let mut said = String::new();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let reached = loop {
        match lines.next() {
            Some(Ok(line)) if line == format!("concerns: paused at {stage}") => break true,
            Some(Ok(line)) => said.push_str(&line),
            _ => break false,
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(reached, "the run never reached {stage}: {said}");
}

/// The report folders a killed run may leave inside `--out`.
fn stagings(out: &Path) -> usize {
    std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".concerns-staging-")
        })
        .count()
}

/// The two complete sets of the bundled data (English and Russian).
fn sets(root: &Path, data: &Path) -> (Set, Set) {
    let sets: Vec<_> = ["en", "ru"]
        .iter()
        .map(|lang| {
            let out = root.join(format!("set-{lang}"));
            assert!(report(data, &out, lang).status().unwrap().success());
            snapshot(&out)
        })
        .collect();
    assert_ne!(sets[0], sets[1]);
    (sets[0].clone(), sets[1].clone())
}

#[test]
fn a_killed_report_leaves_the_old_set_or_the_new_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = super::root().join(DATA);
    let (en, ru) = sets(tmp.path(), &data);
    let out = tmp.path().join("reports");
    // Killed before its commit: the old set, untouched; the next run clears the staging.
    for stage in ["recovered", "staged"] {
        assert!(report(&data, &out, "en").status().unwrap().success());
        killed_at(&data, &out, "ru", stage);
        assert!(snapshot(&out) == en, "killed at {stage}: not the old set");
    }
    assert_eq!(stagings(&out), 1, "the staged run's folder is left");
    // Killed after it (committed, or one file moved): the next run finishes the killed
    // run's set before anything else, so the set is whole before it writes its own.
    for stage in ["committed", "moving"] {
        assert!(report(&data, &out, "en").status().unwrap().success());
        assert_eq!(stagings(&out), 0);
        killed_at(&data, &out, "ru", stage);
        let check = report(&data, &out, "ru").arg("--check").output().unwrap();
        assert_eq!(
            check.status.code(),
            Some(3),
            "--check names the interrupted run"
        );
        assert!(String::from_utf8_lossy(&check.stderr).contains("interrupted: "));
        killed_at(&data, &out, "en", "recovered");
        assert!(
            snapshot(&out) == ru,
            "killed at {stage}: not finished as the new set"
        );
    }
    assert!(report(&data, &out, "en").status().unwrap().success());
    assert_eq!(snapshot(&out), en);
    assert_eq!(stagings(&out), 0);
    // Nothing was made beside --out.
    let beside: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("set-"))
        .collect();
    assert_eq!(beside, vec!["reports".to_string()]);
}

#[test]
fn concurrent_reports_into_one_directory_do_not_mix_or_lose_other_files() {
    let tmp = tempfile::tempdir().unwrap();
    // Large enough that runs overlap.
    let data = tmp.path().join("data.csv");
    let o = run(&["simulate", "--n", "300000", "-o", data.to_str().unwrap()]);
    assert!(o.status.success());
    let (en, ru) = sets(tmp.path(), &data);
    let out = tmp.path().join("shared");
    std::fs::create_dir(&out).unwrap();
    // Another program writes its own files into the directory all along.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (out, stop) = (out.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut k = 0u32;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                std::fs::write(out.join(format!("other-{k}.log")), "theirs").unwrap();
                k += 1;
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            k
        })
    };
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
        let now: Set = snapshot(&out)
            .into_iter()
            .filter(|(n, _)| !n.starts_with("other-"))
            .collect();
        assert!(
            now == en || now == ru,
            "round {round}: a mixed set: {:?}",
            now.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let written = writer.join().unwrap();
    assert!(written > 0);
    for k in 0..written {
        assert!(
            out.join(format!("other-{k}.log")).exists(),
            "other-{k}.log, written during the runs, was lost"
        );
    }
    assert_eq!(stagings(&out), 0);
}

#[cfg(unix)]
#[test]
fn a_report_keeps_its_directory_and_every_file_it_does_not_own() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let tmp = tempfile::tempdir().unwrap();
    let data = super::root().join(DATA);
    let out = tmp.path().join("reports");
    std::fs::create_dir(&out).unwrap();
    let root_user = unsafe { libc::geteuid() } == 0;
    for mode in [0o700, 0o2775] {
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(mode)).unwrap();
        if root_user {
            std::os::unix::fs::chown(&out, Some(4321), Some(4321)).unwrap();
        }
        let before = std::fs::metadata(&out).unwrap();
        assert!(report(&data, &out, "en").status().unwrap().success());
        let after = std::fs::metadata(&out).unwrap();
        assert_eq!(after.ino(), before.ino(), "the directory was replaced");
        assert_eq!(after.mode() & 0o7777, mode);
        assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    }
    // What is not the report's: a hand-made chart, a folder named like staging without the
    // tool's marker, and a folder beside --out named like the staging of older versions.
    std::fs::write(out.join("figure12_x.svg"), "hand-made").unwrap();
    std::fs::create_dir(out.join(".concerns-staging-notes")).unwrap();
    std::fs::write(out.join(".concerns-staging-notes/a.txt"), "mine").unwrap();
    let beside = tmp.path().join(".reports.concerns-old-drafts");
    std::fs::create_dir(&beside).unwrap();
    std::fs::write(beside.join("draft.md"), "mine").unwrap();
    // A replaced file keeps its mode.
    std::fs::set_permissions(
        out.join("summary.md"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    assert!(report(&data, &out, "ru").status().unwrap().success());
    assert_eq!(
        std::fs::read_to_string(out.join("figure12_x.svg")).unwrap(),
        "hand-made"
    );
    assert_eq!(
        std::fs::read_to_string(out.join(".concerns-staging-notes/a.txt")).unwrap(),
        "mine"
    );
    assert_eq!(
        std::fs::read_to_string(beside.join("draft.md")).unwrap(),
        "mine"
    );
    let md = std::fs::metadata(out.join("summary.md")).unwrap();
    assert_eq!(md.mode() & 0o7777, 0o600);
    // --out . now works (the directory is never swapped).
    let o = concerns()
        .current_dir(&out)
        .args(["report"])
        .arg(&data)
        .args(["--out", "."])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
