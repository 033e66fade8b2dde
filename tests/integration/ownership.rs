//! Never replace what the tool does not own: `-o` writes FIFOs and devices in place, follows
//! symbolic links, keeps a replaced file's mode (and owner, where the user may keep it),
//! refuses any input as its output, and leaves no temporary file when killed.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::{concerns, root, DATA};

const TARGETS: &str = "docs/examples/targets.toml";

fn is_root() -> bool {
    // Safety: a plain query of this process's user.
    unsafe { libc::geteuid() == 0 }
}

fn make_fifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // Safety: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

/// Every command that writes a file with -o, writing to `out`.
fn writers(out: &Path) -> Vec<(&'static str, Vec<String>)> {
    let o = out.to_str().unwrap().to_string();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let with = |mut v: Vec<String>| {
        v.push("-o".into());
        v.push(o.clone());
        v
    };
    vec![
        ("table", with(s(&["table", DATA, "--format", "csv"]))),
        ("chart", {
            let mut v = s(&["chart", DATA, "-o"]);
            let svg = if out.extension().is_some_and(|e| e == "svg") {
                out.to_path_buf()
            } else {
                out.with_extension("svg")
            };
            v.push(svg.to_str().unwrap().to_string());
            v
        }),
        ("simulate", with(s(&["simulate", "--n", "20"]))),
        ("weight", with(s(&["weight", DATA, "--targets", TARGETS]))),
        (
            "codebook init",
            with(s(&["codebook", "init", DATA, "--force"])),
        ),
    ]
}

#[test]
fn a_fifo_gets_the_bytes_and_stays_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("out.fifo");
    make_fifo(&fifo);
    for (name, args) in writers(&fifo) {
        if name == "chart" {
            continue; // a chart's format comes from its extension
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                std::fs::File::open(fifo)
                    .unwrap()
                    .read_to_end(&mut bytes)
                    .unwrap();
                bytes
            })
        };
        let o = concerns().args(&args).output().unwrap();
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        // Checked before waiting for the reader: a replaced FIFO never gets a writer.
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo(),
            "{name} replaced the FIFO"
        );
        let got = reader.join().unwrap();
        assert!(got.len() > 10, "{name}: the reader got {} bytes", got.len());
    }
}

#[test]
fn a_character_device_is_written_in_place() {
    let dir = tempfile::tempdir().unwrap();
    // A null device of our own where we may make one; else the machine's (a regression could
    // not replace it without root, and would fail here).
    let device: PathBuf = if is_root() {
        let node = dir.path().join("null");
        let c = std::ffi::CString::new(node.as_os_str().as_encoded_bytes()).unwrap();
        // Safety: a valid path; makes the device node (1, 3), as /dev/null.
        let rc = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
        assert_eq!(rc, 0);
        node
    } else {
        PathBuf::from("/dev/null")
    };
    for (name, args) in writers(&device) {
        if name == "chart" {
            continue;
        }
        let o = concerns().args(&args).output().unwrap();
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let meta = std::fs::symlink_metadata(&device).unwrap();
        assert!(
            meta.file_type().is_char_device(),
            "{name} replaced the device"
        );
    }
}

#[test]
fn a_link_is_followed_and_a_replaced_file_keeps_its_mode_and_owner() {
    let dir = tempfile::tempdir().unwrap();
    for (name, _) in writers(Path::new("x")) {
        let ext = if name == "chart" { "svg" } else { "txt" };
        let target = dir.path().join(format!("{}.{ext}", name.replace(' ', "-")));
        std::fs::write(&target, "the user's old file").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        if is_root() {
            std::os::unix::fs::chown(&target, Some(4321), Some(4321)).unwrap();
        }
        let link = dir
            .path()
            .join(format!("link-{}.{ext}", name.replace(' ', "-")));
        std::os::unix::fs::symlink(target.file_name().unwrap(), &link).unwrap();
        let args = writers(&link)
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1;
        let o = concerns().args(&args).output().unwrap();
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink(),
            "{name}: the link was replaced by a file"
        );
        let meta = std::fs::metadata(&target).unwrap();
        assert_ne!(std::fs::read(&target).unwrap(), b"the user's old file");
        assert_eq!(meta.mode() & 0o7777, 0o640, "{name}: mode not kept");
        if is_root() {
            assert_eq!(
                (meta.uid(), meta.gid()),
                (4321, 4321),
                "{name}: owner not kept"
            );
        }
    }
}

#[test]
fn an_input_is_refused_as_the_output_before_anything_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.csv");
    std::fs::copy(root().join(DATA), &data).unwrap();
    let original = std::fs::read(&data).unwrap();
    let hard = dir.path().join("hard.csv");
    std::fs::hard_link(&data, &hard).unwrap();
    let soft = dir.path().join("soft.csv");
    std::os::unix::fs::symlink("data.csv", &soft).unwrap();
    let codebook = dir.path().join("codebook.toml");
    std::fs::copy(root().join("codebooks/canonical.toml"), &codebook).ok();
    let d = data.to_str().unwrap();
    for out in [&data, &hard, &soft] {
        let o = out.to_str().unwrap();
        for args in [
            vec!["weight", d, "--targets", TARGETS, "-o", o],
            vec!["table", d, "-o", o],
            vec!["codebook", "init", d, "-o", o, "--force"],
            vec![
                "weight",
                d,
                "--targets",
                TARGETS,
                "-o",
                "w.csv",
                "--report",
                o,
            ],
        ] {
            let r = concerns()
                .args(&args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&r.stderr);
            assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
            assert!(err.contains("is the input"), "{args:?}: {err}");
            assert_eq!(
                std::fs::read(&data).unwrap(),
                original,
                "{args:?} changed the data"
            );
        }
    }
    if codebook.exists() {
        let c = codebook.to_str().unwrap();
        let r = concerns()
            .args(["table", DATA, "--codebook", c, "-o", c])
            .output()
            .unwrap();
        assert_eq!(r.status.code(), Some(2));
    }
}

#[test]
fn a_killed_writer_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    std::fs::write(&out, "old").unwrap();
    for (name, args) in writers(&out) {
        let mut child = concerns()
            .args(&args)
            .env("CONCERNS_TEST_PAUSE_AT", "writing")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let line = BufReader::new(child.stderr.take().unwrap())
            .lines()
            .map_while(Result::ok)
            .find(|l| l == "concerns: paused at writing");
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(line.is_some(), "{name} never got to writing");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["out.csv".to_string()], "{name} left a file");
        assert_eq!(std::fs::read(&out).unwrap(), b"old");
    }
}
