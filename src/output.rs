//! Writing files atomically: a temporary file in the target directory, renamed into place,
//! so a failed or interrupted run never leaves a half-written file.

use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{IoContext, Result};

/// Creates `path` by calling `fill` on a buffered temporary file, then renaming it over `path`.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = temp_in(dir)?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        fill(&mut w).io(|| format!("writing {}", path.display()))?;
        w.flush().io(|| format!("writing {}", path.display()))?;
    }
    tmp.as_file().sync_all().ok();
    tmp.persist(path)
        .map_err(|e| e.error)
        .io(|| format!("cannot move the new file into place at {}", path.display()))?;
    Ok(())
}

/// A temporary file in `dir` (so the final rename stays on one file system), readable by
/// others like any file the user writes (tempfile's default is owner-only).
pub fn temp_in(dir: &Path) -> Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".concerns-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    builder
        .tempfile_in(dir)
        .io(|| format!("cannot create a temporary file in {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_fill_leaves_the_old_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.txt");
        write_atomic(&path, |w| w.write_all(b"old")).unwrap();
        let err = write_atomic(&path, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("interrupted"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        // No temporary files are left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
