//! A report's files as one set, in a directory that stays the user's: the directory itself
//! (its inode, mode, owner, ACLs) and every file the report does not own are never touched.
//!
//! A run stages the whole new set in a hidden folder inside the directory, marked as its
//! own, then commits by renaming a journal into that folder (one atomic step), then moves
//! the files into place one rename each and removes the files of the previous set that the
//! new one lacks. Which files are the report's is what the manifest of the previous run
//! lists (and only names a report can have): a hand-made `figure12_x.svg` is never taken.
//! Killed before the commit, the old set stays and the next run discards the staging;
//! killed after it, the next run (which takes the same lock) finishes the moves first.
//! Runs into one directory are serialised by a lock on it.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};
use crate::render::output::pause_point;

/// One file of a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The list of the files the last run wrote, kept beside them.
pub const MANIFEST: &str = ".concerns-manifest";
/// Staging folders start so; each holds [`MARKER`].
const STAGING_PREFIX: &str = ".concerns-staging-";
/// The file that marks a staging folder as the tool's own, and its first line.
const MARKER: &str = ".concerns-staging";
const MARKER_LINE: &str = "concerns report staging";
/// The journal whose arrival commits a run, and its first line.
const COMMIT: &str = ".concerns-commit";
const COMMIT_LINE: &str = "concerns report commit";

/// Whether a name is a plain file name of the directory (no path, not hidden, printable).
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
}

/// Which names a set of this kind can hold (a second guard beside the manifest).
pub(crate) type Owned = fn(&str) -> bool;

/// The manifest's bytes for `files`.
fn manifest_bytes(files: &[NamedFile]) -> Vec<u8> {
    let mut s = String::from(
        "# concerns: the files of the report last written here, which the next run replaces\n# or removes. Every other file in this directory is left alone.\n",
    );
    for f in files {
        s.push_str(&f.name);
        s.push('\n');
    }
    s.into_bytes()
}

/// The names the manifest in `dir` lists (only names a set can hold).
fn manifest(dir: &Path, owned: Owned) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(dir.join(MANIFEST)) else {
        return Vec::new();
    };
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| plain(l) && owned(l))
        .take(100_000)
        .map(str::to_string)
        .collect()
}

/// Holds the lock that serialises runs into one directory.
struct Lock(std::fs::File);

impl Lock {
    fn take(dir: &Path) -> Result<Lock> {
        let f =
            std::fs::File::open(dir).io(|| format!("cannot open {} to lock it", dir.display()))?;
        f.lock().io(|| format!("cannot lock {}", dir.display()))?;
        Ok(Lock(f))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// The report directory, created when missing (a symbolic link to a directory followed).
fn open_dir(dir: &Path) -> Result<PathBuf> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Output(format!(
            "--out {}: is a file, not a directory",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .io(|| format!("cannot create the report directory {}", dir.display()))?;
    dir.canonicalize()
        .io(|| format!("cannot resolve {}", dir.display()))
}

/// Writes `files` into `dir` as a set (see the module's text); `owned` says which names a
/// set can hold, so that nothing else is ever removed.
pub fn write(dir: &Path, files: &[NamedFile], owned: Owned) -> Result<()> {
    let dir = open_dir(dir)?;
    let _lock = Lock::take(&dir)?;
    recover(&dir, owned)?;
    pause_point("recovered");
    in_the_way(&dir, files)?;
    let previous = manifest(&dir, owned);
    let staging = stage(&dir, files)?;
    pause_point("staged");
    let mut moves: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    moves.push(MANIFEST);
    let removes: Vec<&str> = previous
        .iter()
        .map(String::as_str)
        .filter(|p| !files.iter().any(|f| f.name == *p))
        .collect();
    commit(&staging, &moves, &removes)?;
    pause_point("committed");
    finish(&dir, &staging, owned)
}

/// A file of the set whose name is taken in `dir` by something that is not a regular
/// file: never replaced.
fn in_the_way(dir: &Path, files: &[NamedFile]) -> Result<()> {
    for f in files {
        let path = dir.join(&f.name);
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            let kind = meta.file_type();
            if !kind.is_file() {
                let what = if kind.is_dir() {
                    "a directory"
                } else if kind.is_symlink() {
                    "a symbolic link"
                } else {
                    "a special file"
                };
                return Err(Error::Output(format!(
                    "cannot write {}: {what} of that name is in the way (a report replaces only regular files)",
                    path.display()
                )));
            }
        }
    }
    Ok(())
}

/// A new staging folder in `dir`, marked, holding the whole set and the new manifest; each
/// file that replaces one gets that file's mode and (where allowed) owner.
fn stage(dir: &Path, files: &[NamedFile]) -> Result<PathBuf> {
    let staging = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .tempdir_in(dir)
        .io(|| format!("cannot create a staging folder in {}", dir.display()))?
        .keep();
    let written = (|| {
        write_synced(
            &staging.join(MARKER),
            format!("{MARKER_LINE}\npid {}\n", std::process::id()).as_bytes(),
            None,
        )?;
        for f in files {
            write_synced(&staging.join(&f.name), &f.bytes, Some(&dir.join(&f.name)))?;
        }
        let manifest = manifest_bytes(files);
        write_synced(
            &staging.join(MANIFEST),
            &manifest,
            Some(&dir.join(MANIFEST)),
        )?;
        sync_dir(&staging);
        Ok(())
    })();
    if let Err(e) = written {
        discard(&staging);
        return Err(e);
    }
    Ok(staging)
}

/// Writes a file and flushes it to disk; with `like`, takes that file's mode and owner.
fn write_synced(path: &Path, bytes: &[u8], like: Option<&Path>) -> Result<()> {
    let ctx = || format!("writing {}", path.display());
    let mut f = std::fs::File::create(path).io(ctx)?;
    f.write_all(bytes).io(ctx)?;
    #[cfg(unix)]
    if let Some(meta) = like.and_then(|p| std::fs::symlink_metadata(p).ok()) {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        if meta.is_file() {
            f.set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o7777))
                .io(ctx)?;
            // Only root may give a file away; others keep their own files as they are.
            let _ = std::os::unix::fs::fchown(&f, Some(meta.uid()), Some(meta.gid()));
        }
    }
    #[cfg(not(unix))]
    let _ = like;
    f.sync_all().io(ctx)
}

/// Commits a staged set: the journal is written, then renamed into place in one step.
fn commit(staging: &Path, moves: &[&str], removes: &[&str]) -> Result<()> {
    let mut text = format!("{COMMIT_LINE}\n");
    for m in moves {
        text.push_str(&format!("move {m}\n"));
    }
    for r in removes {
        text.push_str(&format!("remove {r}\n"));
    }
    let draft = staging.join(".concerns-commit-draft");
    write_synced(&draft, text.as_bytes(), None)?;
    std::fs::rename(&draft, staging.join(COMMIT))
        .io(|| format!("cannot commit the report staged in {}", staging.display()))?;
    sync_dir(staging);
    Ok(())
}

/// What a committed journal says to do.
struct Journal {
    moves: Vec<String>,
    removes: Vec<String>,
}

fn journal(staging: &Path, owned: Owned) -> Option<Journal> {
    let text = std::fs::read_to_string(staging.join(COMMIT)).ok()?;
    let mut lines = text.lines();
    if lines.next() != Some(COMMIT_LINE) {
        return None;
    }
    let mut j = Journal {
        moves: Vec::new(),
        removes: Vec::new(),
    };
    for line in lines {
        match line.split_once(' ') {
            Some(("move", n)) if n == MANIFEST || (plain(n) && owned(n)) => {
                j.moves.push(n.to_string())
            }
            Some(("remove", n)) if plain(n) && owned(n) => j.removes.push(n.to_string()),
            _ => return None,
        }
    }
    Some(j)
}

/// Carries out a committed journal: moves what is still staged, removes the files of the
/// previous set the new one lacks, then the staging folder.
fn finish(dir: &Path, staging: &Path, owned: Owned) -> Result<()> {
    let Some(j) = journal(staging, owned) else {
        return Err(Error::Output(format!(
            "{}: the commit journal cannot be read",
            staging.display()
        )));
    };
    for (k, name) in j.moves.iter().enumerate() {
        let from = staging.join(name);
        if from.exists() {
            std::fs::rename(&from, dir.join(name))
                .io(|| format!("cannot move {} into place", dir.join(name).display()))?;
        }
        if k == 0 {
            pause_point("moving");
        }
    }
    for name in &j.removes {
        let path = dir.join(name);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            std::fs::remove_file(&path).io(|| format!("cannot remove {}", path.display()))?;
        }
    }
    sync_dir(dir);
    discard(staging);
    Ok(())
}

/// Whether `path` is a staging folder of this tool: a real folder named so, with the marker.
fn is_staging(path: &Path) -> bool {
    let named = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with(STAGING_PREFIX));
    let folder = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    let marked = std::fs::symlink_metadata(path.join(MARKER)).is_ok_and(|m| m.is_file())
        && std::fs::read_to_string(path.join(MARKER))
            .is_ok_and(|t| t.lines().next() == Some(MARKER_LINE));
    named && folder && marked
}

/// Removes a staging folder of ours: its files, then the folder (left if anything else
/// was put in it).
fn discard(staging: &Path) {
    if let Ok(entries) = std::fs::read_dir(staging) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_file()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    let _ = std::fs::remove_dir(staging);
}

/// Staging folders of ours in `dir`, in name order.
fn stagings(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| is_staging(p))
        .collect();
    found.sort();
    found
}

/// What killed runs left: a committed set is finished, anything else discarded. Called
/// under the lock, so no other run is writing.
fn recover(dir: &Path, owned: Owned) -> Result<()> {
    for staging in stagings(dir) {
        if journal(&staging, owned).is_some() {
            finish(dir, &staging, owned)?;
        } else {
            discard(&staging);
        }
    }
    Ok(())
}

/// Whether a run was killed after committing its set and before finishing the moves.
pub(crate) fn interrupted(dir: &Path, owned: Owned) -> bool {
    stagings(dir).iter().any(|s| journal(s, owned).is_some())
}

/// Makes renames inside `dir` durable; best effort (not every file system supports it).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Names of the files in `dir` that are missing or differ from `files`, the manifest
/// included.
pub(crate) fn stale(dir: &Path, files: &[NamedFile]) -> Vec<String> {
    let manifest = NamedFile {
        name: MANIFEST.into(),
        bytes: manifest_bytes(files),
    };
    files
        .iter()
        .chain(std::iter::once(&manifest))
        .filter(|f| {
            std::fs::read(dir.join(&f.name))
                .map(|b| b != f.bytes)
                .unwrap_or(true)
        })
        .map(|f| f.name.clone())
        .collect()
}

/// Files in `dir` of the previous set that this one lacks (a run removes them).
pub(crate) fn extra(dir: &Path, files: &[NamedFile], owned: Owned) -> Vec<String> {
    let mut out: Vec<String> = manifest(dir, owned)
        .into_iter()
        .filter(|n| !files.iter().any(|f| &f.name == n))
        .filter(|n| std::fs::symlink_metadata(dir.join(n)).is_ok_and(|m| m.is_file()))
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(name: &str) -> bool {
        name.starts_with("figure") || name.starts_with("summary")
    }

    fn set(names: &[(&str, &str)]) -> Vec<NamedFile> {
        names
            .iter()
            .map(|(n, b)| NamedFile {
                name: n.to_string(),
                bytes: b.as_bytes().to_vec(),
            })
            .collect()
    }

    fn listing(dir: &Path) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name() != MANIFEST)
            .map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                let b = std::fs::read_to_string(e.path()).unwrap_or_default();
                (n, b)
            })
            .collect();
        v.sort();
        v
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn a_run_replaces_its_own_set_and_nothing_else() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("reports");
        write(
            &out,
            &set(&[
                ("figure1.svg", "a"),
                ("figure4_gone.svg", "old"),
                ("summary.md", "a"),
            ]),
            owned,
        )
        .unwrap();
        std::fs::write(out.join("README.md"), "mine").unwrap();
        // Named like the report's, but no run wrote it: the user's.
        std::fs::write(out.join("figure12_x.svg"), "hand-made").unwrap();
        write(
            &out,
            &set(&[("figure1.svg", "b"), ("summary.md", "b")]),
            owned,
        )
        .unwrap();
        assert_eq!(
            listing(&out),
            pairs(&[
                ("README.md", "mine"),
                ("figure1.svg", "b"),
                ("figure12_x.svg", "hand-made"),
                ("summary.md", "b"),
            ])
        );
        assert!(stale(&out, &set(&[("figure1.svg", "b"), ("summary.md", "b")])).is_empty());
        assert_eq!(
            extra(&out, &set(&[("figure1.svg", "b")]), owned),
            vec!["summary.md"]
        );
    }

    #[test]
    fn a_staging_folder_is_removed_only_with_its_marker() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("r");
        std::fs::create_dir(&out).unwrap();
        let ours = out.join(format!("{STAGING_PREFIX}killed"));
        std::fs::create_dir(&ours).unwrap();
        std::fs::write(ours.join(MARKER), format!("{MARKER_LINE}\npid 1\n")).unwrap();
        std::fs::write(ours.join("figure1.svg"), "half").unwrap();
        let theirs = out.join(format!("{STAGING_PREFIX}drafts"));
        std::fs::create_dir(&theirs).unwrap();
        std::fs::write(theirs.join("notes.txt"), "mine").unwrap();
        write(&out, &set(&[("figure1.svg", "new")]), owned).unwrap();
        assert!(!ours.exists());
        assert_eq!(
            std::fs::read_to_string(theirs.join("notes.txt")).unwrap(),
            "mine"
        );
        assert_eq!(
            std::fs::read_to_string(out.join("figure1.svg")).unwrap(),
            "new"
        );
    }

    #[test]
    fn a_committed_set_is_finished_by_the_next_run() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("r");
        write(
            &out,
            &set(&[("figure1.svg", "a"), ("figure2_x.svg", "a")]),
            owned,
        )
        .unwrap();
        // A run killed after its commit, one file moved.
        let new = set(&[("figure1.svg", "b")]);
        let staging = stage(&out, &new).unwrap();
        commit(&staging, &["figure1.svg", MANIFEST], &["figure2_x.svg"]).unwrap();
        std::fs::rename(staging.join("figure1.svg"), out.join("figure1.svg")).unwrap();
        assert!(interrupted(&out, owned));
        recover(&out, owned).unwrap();
        assert!(!interrupted(&out, owned));
        assert_eq!(listing(&out), pairs(&[("figure1.svg", "b")]));
        assert!(stale(&out, &new).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn the_directory_and_replaced_files_keep_their_modes() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("r");
        std::fs::create_dir(&out).unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o2700)).unwrap();
        let inode = std::fs::metadata(&out).unwrap().ino();
        write(&out, &set(&[("figure1.svg", "a")]), owned).unwrap();
        std::fs::set_permissions(
            out.join("figure1.svg"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        write(&out, &set(&[("figure1.svg", "b")]), owned).unwrap();
        let meta = std::fs::metadata(&out).unwrap();
        assert_eq!(meta.ino(), inode);
        assert_eq!(meta.mode() & 0o7777, 0o2700);
        let file = std::fs::metadata(out.join("figure1.svg")).unwrap();
        assert_eq!(file.mode() & 0o7777, 0o600);
    }

    #[test]
    fn what_is_in_the_way_is_refused_not_replaced() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("r");
        std::fs::create_dir_all(out.join("figure1.svg")).unwrap();
        assert!(write(&out, &set(&[("figure1.svg", "a")]), owned).is_err());
        assert!(out.join("figure1.svg").is_dir());
        assert!(stagings(&out).is_empty());
    }
}
