//! The full report: every chart plus `summary.json` and `summary.md`, rendered in memory,
//! then written all-or-nothing, or compared with what is on disk (`--check`).

use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

use crate::chart::{self, ChartFormat, ChartOptions};
use crate::export::{Exporter, HtmlReport, JsonExporter, ReportMarkdown, XlsxExporter};
use crate::results::Results;

/// One output file of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// File stem of a question's chart: `figure1` for the first, `figure2_switch_intent` after.
pub fn chart_stem(results: &Results, question: &str) -> String {
    match results.questions.iter().position(|q| q.id == question) {
        Some(0) => "figure1".into(),
        Some(i) => format!("figure{}_{}", i + 1, question),
        None => question.into(),
    }
}

/// Renders every file of the report, in a fixed order.
pub fn render(results: &Results, opts: &ChartOptions) -> Result<Vec<ReportFile>> {
    let mut files = Vec::new();
    let mut charts = Vec::new();
    let mut svgs = Vec::new();
    for q in &results.questions {
        let stem = chart_stem(results, &q.id);
        for format in [ChartFormat::Svg, ChartFormat::Png] {
            let name = format!("{stem}.{}", format.extension());
            let bytes = chart::render(results, &q.id, opts, format).map_err(|e| match e {
                Error::Output(m) => Error::Output(format!("rendering {name}: {m}")),
                e => e,
            })?;
            if format == ChartFormat::Svg {
                svgs.push((q.id.clone(), String::from_utf8_lossy(&bytes).into_owned()));
            }
            files.push(ReportFile { name, bytes });
        }
        charts.push((q.id.clone(), format!("{stem}.svg")));
        // The first segment is in the figure; each further one gets its own.
        let segments = q.segments();
        for (k, (segment, _)) in segments.iter().enumerate().skip(1) {
            let tail = if crate::text::is_safe_id(segment) {
                format!("by_{segment}")
            } else {
                format!("by{}", k + 1)
            };
            let seg_stem = format!("{stem}_{tail}");
            let seg_opts = opts.with_segment(segment);
            for format in [ChartFormat::Svg, ChartFormat::Png] {
                let name = format!("{seg_stem}.{}", format.extension());
                let bytes = chart::render(results, &q.id, &seg_opts, format)?;
                if format == ChartFormat::Svg {
                    svgs.push((q.id.clone(), String::from_utf8_lossy(&bytes).into_owned()));
                }
                files.push(ReportFile { name, bytes });
            }
            charts.push((q.id.clone(), format!("{seg_stem}.svg")));
        }
    }
    files.push(ReportFile {
        name: "summary.json".into(),
        bytes: JsonExporter.render(results)?,
    });
    files.push(ReportFile {
        name: "summary.md".into(),
        bytes: ReportMarkdown { charts }.render(results)?,
    });
    files.push(ReportFile {
        name: "banners.xlsx".into(),
        bytes: XlsxExporter.render(results)?,
    });
    files.push(ReportFile {
        name: "report.html".into(),
        bytes: HtmlReport { charts: svgs }.render(results)?,
    });
    Ok(files)
}

/// Whether `name` is a file a report writes: a chart (`figure3_prefer_no_ai.svg`), or one
/// of the summaries. A run replaces every such file, so charts of questions a codebook no
/// longer has do not linger beside the new set; other files in `--out` are kept.
pub fn is_owned(name: &str) -> bool {
    if matches!(
        name,
        "summary.json" | "summary.md" | "banners.xlsx" | "report.html"
    ) {
        return true;
    }
    let Some(stem) = name
        .strip_suffix(".svg")
        .or_else(|| name.strip_suffix(".png"))
        .and_then(|s| s.strip_prefix("figure"))
    else {
        return false;
    };
    let (number, id) = stem.split_once('_').unwrap_or((stem, "x"));
    !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) && crate::text::is_safe_id(id)
}

/// Prefix of the staging directories a run makes beside `--out` (hidden, and named after
/// it so that runs into other directories leave them alone).
fn staging_prefix(name: &str) -> String {
    format!(".{name}.concerns-")
}

/// Where a report goes: the real directory (a symbolic link followed), its parent and name.
struct Target {
    dir: PathBuf,
    parent: PathBuf,
    name: String,
}

impl Target {
    fn new(dir: &Path) -> Result<Target> {
        let dir = if dir.exists() {
            if !dir.is_dir() {
                return Err(Error::Output(format!(
                    "--out {}: is a file, not a directory",
                    dir.display()
                )));
            }
            dir.canonicalize()
                .io(|| format!("cannot resolve {}", dir.display()))?
        } else {
            let name = dir.file_name().ok_or_else(|| {
                Error::Output(format!("--out {}: not a directory name", dir.display()))
            })?;
            let parent = match dir.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            std::fs::create_dir_all(&parent).io(|| {
                format!(
                    "cannot create the report directory's parent {}",
                    parent.display()
                )
            })?;
            parent
                .canonicalize()
                .io(|| format!("cannot resolve {}", parent.display()))?
                .join(name)
        };
        // The directory is swapped out whole: it must not hold the working directory.
        if let Ok(cwd) = std::env::current_dir().and_then(|c| c.canonicalize()) {
            if cwd.starts_with(&dir) {
                return Err(Error::Output(format!(
                    "--out {}: the report directory contains the working directory; name a directory of its own (for example --out reports)",
                    dir.display()
                )));
            }
        }
        let parent = dir.parent().map(Path::to_path_buf).ok_or_else(|| {
            Error::Output(format!(
                "--out {}: the report directory cannot be the root",
                dir.display()
            ))
        })?;
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Target { dir, parent, name })
    }

    /// Staging directories left by runs that were killed.
    fn orphans(&self) -> Vec<PathBuf> {
        let prefix = staging_prefix(&self.name);
        let Ok(entries) = std::fs::read_dir(&self.parent) else {
            return Vec::new();
        };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .map(|e| e.path())
            .collect();
        found.sort();
        found
    }
}

/// Holds the lock that serialises report runs into one parent directory.
struct Lock(std::fs::File);

impl Lock {
    fn take(parent: &Path) -> Result<Lock> {
        let f = std::fs::File::open(parent)
            .io(|| format!("cannot open {} to lock it", parent.display()))?;
        f.lock()
            .io(|| format!("cannot lock {}", parent.display()))?;
        Ok(Lock(f))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// Writes the report into `dir` as a set: the complete new set is staged in a hidden
/// directory beside `dir` (with every file of `dir` that a report does not own, hard
/// linked), then swapped in with one atomic exchange of the two directories. A failed,
/// killed or concurrent run therefore leaves `dir` holding exactly the old set or exactly
/// the new one. Runs into the same parent are serialised by a lock on it, and staging
/// directories of killed runs are removed by the next run.
pub fn write(dir: &Path, files: &[ReportFile]) -> Result<()> {
    let target = Target::new(dir)?;
    let _lock = Lock::take(&target.parent)?;
    for orphan in target.orphans() {
        std::fs::remove_dir_all(&orphan).io(|| {
            format!(
                "cannot remove {} left by an interrupted run",
                orphan.display()
            )
        })?;
    }
    let staging = target.parent.join(format!(
        "{}{}",
        staging_prefix(&target.name),
        std::process::id()
    ));
    let staged = stage(&target, &staging, files);
    if let Err(e) = staged {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if target.dir.exists() {
        swap(&staging, &target.dir)?;
        // `staging` now holds the previous set.
        std::fs::remove_dir_all(&staging)
            .io(|| format!("cannot remove the previous report at {}", staging.display()))?;
    } else {
        std::fs::rename(&staging, &target.dir).io(|| {
            format!(
                "cannot move the new report into place at {}",
                target.dir.display()
            )
        })?;
    }
    sync_dir(&target.parent);
    Ok(())
}

/// Fills `staging` with the files of `dir` a report does not own, then the new set.
fn stage(target: &Target, staging: &Path, files: &[ReportFile]) -> Result<()> {
    std::fs::create_dir(staging).io(|| format!("cannot create {}", staging.display()))?;
    if let Ok(entries) = std::fs::read_dir(&target.dir) {
        for entry in entries {
            let entry = entry.io(|| format!("cannot list {}", target.dir.display()))?;
            let name = entry.file_name();
            let text = name.to_string_lossy();
            if is_owned(&text) && entry.file_type().is_ok_and(|t| t.is_dir()) {
                return Err(Error::Output(format!(
                    "cannot write {}: a directory of that name is in the way",
                    entry.path().display()
                )));
            }
            // Temporary files of versions that wrote into the directory itself go too.
            if is_owned(&text) || text.starts_with(".concerns-") {
                continue;
            }
            keep(&entry.path(), &staging.join(&name))?;
        }
    }
    for f in files {
        let path = staging.join(&f.name);
        let mut out =
            std::fs::File::create(&path).io(|| format!("cannot create {}", path.display()))?;
        std::io::Write::write_all(&mut out, &f.bytes)
            .io(|| format!("writing {}", path.display()))?;
        out.sync_all()
            .io(|| format!("writing {}", path.display()))?;
    }
    sync_dir(staging);
    Ok(())
}

/// Carries a file the report does not own into the new directory: a hard link (a copy
/// across file systems), a directory recursively, a symbolic link as a link.
fn keep(from: &Path, to: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(from).io(|| format!("cannot read {}", from.display()))?;
    let ctx = || format!("cannot keep {} in the new report", from.display());
    if meta.file_type().is_symlink() {
        #[cfg(unix)]
        std::os::unix::fs::symlink(std::fs::read_link(from).io(ctx)?, to).io(ctx)?;
    } else if meta.is_dir() {
        std::fs::create_dir(to).io(ctx)?;
        for entry in std::fs::read_dir(from).io(ctx)? {
            let entry = entry.io(ctx)?;
            keep(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).io(ctx)?;
    }
    Ok(())
}

/// Exchanges two directories in one step (Linux `renameat2(RENAME_EXCHANGE)`); where the
/// file system cannot, two renames (a moment without `dir`, never a mixed set).
fn swap(staging: &Path, dir: &Path) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes());
        let (a, b) = c(staging)
            .and_then(|a| Ok((a, c(dir)?)))
            .map_err(|_| Error::Output(format!("{}: a path with a NUL byte", dir.display())))?;
        // Safety: two valid NUL-terminated paths; the call only renames.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if rc == 0 {
            return Ok(());
        }
    }
    let aside = staging.with_extension("old");
    std::fs::rename(dir, &aside)
        .and_then(|_| std::fs::rename(staging, dir))
        .and_then(|_| std::fs::rename(&aside, staging))
        .io(|| format!("cannot move the new report into place at {}", dir.display()))
}

/// Makes renames inside `dir` durable; best effort (not every file system supports it).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Names of the files in `dir` that are missing or differ from `files`.
pub fn stale(dir: &Path, files: &[ReportFile]) -> Vec<String> {
    files
        .iter()
        .filter(|f| {
            std::fs::read(dir.join(&f.name))
                .map(|b| b != f.bytes)
                .unwrap_or(true)
        })
        .map(|f| f.name.clone())
        .collect()
}

/// Files in `dir` that a report owns but this run would not write: charts of questions
/// the codebook no longer has, left by an older run.
pub fn extra(dir: &Path, files: &[ReportFile]) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_owned(n) && !files.iter().any(|f| &f.name == n))
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_owns_its_charts_and_summaries_only() {
        for owned in [
            "figure1.svg",
            "figure1.png",
            "figure2_switch_intent.svg",
            "figure12_q-3.png",
            "summary.json",
            "summary.md",
        ] {
            assert!(is_owned(owned), "{owned}");
        }
        for other in [
            "README.md",
            "figure.svg",
            "figurex_a.svg",
            "figure1_.svg",
            "figure1_a.b.svg",
            "notes.txt",
            "summary.json.bak",
        ] {
            assert!(!is_owned(other), "{other}");
        }
    }

    fn set(names: &[(&str, &str)]) -> Vec<ReportFile> {
        names
            .iter()
            .map(|(n, b)| ReportFile {
                name: n.to_string(),
                bytes: b.as_bytes().to_vec(),
            })
            .collect()
    }

    fn listing(dir: &Path) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                let b = std::fs::read_to_string(e.path()).unwrap_or_default();
                (n, b)
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_run_replaces_the_set_keeps_other_files_and_leaves_no_staging() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("reports");
        write(
            &out,
            &set(&[
                ("figure1.svg", "a"),
                ("figure4_gone.svg", "old"),
                ("summary.md", "a"),
            ]),
        )
        .unwrap();
        std::fs::write(out.join("README.md"), "mine").unwrap();
        std::fs::write(out.join(".concerns-abc123"), "orphan of an old version").unwrap();
        write(&out, &set(&[("figure1.svg", "b"), ("summary.md", "b")])).unwrap();
        assert_eq!(
            listing(&out),
            vec![
                ("README.md".to_string(), "mine".to_string()),
                ("figure1.svg".to_string(), "b".to_string()),
                ("summary.md".to_string(), "b".to_string()),
            ]
        );
        // Only the report directory is left in the parent.
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
        assert!(stale(&out, &set(&[("figure1.svg", "b")])).is_empty());
        assert_eq!(
            extra(&out, &set(&[("figure1.svg", "b")])),
            vec!["summary.md"]
        );
    }

    #[test]
    fn staging_left_by_a_killed_run_is_removed_by_the_next() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("r");
        let orphan = root.path().join(".r.concerns-99999");
        std::fs::create_dir(&orphan).unwrap();
        std::fs::write(orphan.join("figure1.svg"), "half").unwrap();
        // Another directory's staging is not ours to remove.
        let other = root.path().join(".rr.concerns-1");
        std::fs::create_dir(&other).unwrap();
        write(&out, &set(&[("figure1.svg", "new")])).unwrap();
        assert!(!orphan.exists());
        assert!(other.exists());
        assert_eq!(
            listing(&out),
            vec![("figure1.svg".to_string(), "new".to_string())]
        );
    }
}
