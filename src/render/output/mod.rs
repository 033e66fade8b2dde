//! Writing what the user asked for without harming what is already there. A regular file
//! is replaced atomically, keeping its mode and owner (an unnamed temporary file, linked in
//! only when complete, so a killed run leaves nothing behind); a FIFO or a character device
//! is written in place; a symbolic link is followed, and stays; `-` is standard output; and
//! no output may be one of the run's inputs. A report's set of files is [`set`].

pub mod set;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

/// Where an output goes, once its path is looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `-`: standard output.
    Stdout,
    /// A FIFO or a character device: opened and written as it is.
    InPlace(PathBuf),
    /// A regular file (or none yet): a new file renamed over it.
    Replace(PathBuf),
}

/// Links followed at most before a path is refused (as the kernel's `ELOOP`).
const MAX_LINKS: usize = 40;

/// What writing to `path` means: a symbolic link is followed to the file it names (which
/// may not exist yet, as the shell's `>` creates it).
pub fn destination(path: &Path) -> Result<Destination> {
    if path.as_os_str() == "-" {
        return Ok(Destination::Stdout);
    }
    let mut at = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let meta = match std::fs::symlink_metadata(&at) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Destination::Replace(at))
            }
            Err(e) => return Err(e).io(|| format!("cannot look at {}", path.display())),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let to =
                std::fs::read_link(&at).io(|| format!("cannot read the link {}", at.display()))?;
            at = match at.parent() {
                Some(dir) if to.is_relative() => dir.join(to),
                _ => to,
            };
            continue;
        }
        if kind.is_file() {
            return Ok(Destination::Replace(at));
        }
        if kind.is_dir() {
            return Err(Error::Usage(format!(
                "{}: is a directory; name a file to write",
                path.display()
            )));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if kind.is_fifo() || kind.is_char_device() {
                return Ok(Destination::InPlace(at));
            }
        }
        return Err(Error::Usage(format!(
            "{}: is neither a file, a FIFO nor a character device (a block device or a socket); write to a file, a FIFO or standard output (-)",
            path.display()
        )));
    }
    Err(Error::Usage(format!(
        "{}: more than {MAX_LINKS} symbolic links in a row",
        path.display()
    )))
}

/// Writes the bytes `fill` makes to `path` (see [`destination`]). A regular file is only
/// replaced once every byte is written; on any failure the old file is untouched.
pub fn write_file<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> std::io::Result<()>,
{
    let what = || format!("writing {}", path.display());
    match destination(path)? {
        Destination::Stdout => {
            let mut out = std::io::stdout().lock();
            let mut w = BufWriter::new(&mut out);
            match fill(&mut w).and_then(|_| w.flush()) {
                // A closed pipe (`| head`) is the reader's choice, not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.io(what),
            }
        }
        Destination::InPlace(at) => {
            // No truncation and no creation: a FIFO's reader or a device gets the bytes.
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&at)
                .io(|| format!("cannot open {}", path.display()))?;
            let mut w = BufWriter::new(file);
            fill(&mut w).and_then(|_| w.flush()).io(what)
        }
        Destination::Replace(at) => {
            // Mode and owner of a file being replaced are kept (the crate's defaults); a
            // new file gets the mode `>` would give it.
            let mut file = atomic_write_file::AtomicWriteFile::options()
                .open(&at)
                .io(|| format!("cannot create {}", path.display()))?;
            {
                let mut w = BufWriter::new(&mut file);
                fill(&mut w).and_then(|_| w.flush()).io(what)?;
            }
            pause_point("writing");
            file.commit()
                .io(|| format!("cannot move the new file into place at {}", path.display()))
        }
    }
}

/// The files a run reads, by identity (device and inode), so that none of them is
/// chosen as an output under any name: a hard link, a symbolic link or another spelling.
#[derive(Debug, Default)]
pub struct Inputs(Vec<(u64, u64, String)>);

impl Inputs {
    /// Adds the files of `paths` that exist (`-`, standard input, is no file).
    pub fn of<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Inputs {
        let mut inputs = Inputs::default();
        for p in paths {
            if p.as_os_str() == "-" {
                continue;
            }
            if let Some(id) = identity(p) {
                inputs.0.push((id.0, id.1, p.display().to_string()));
            }
        }
        inputs
    }

    /// The input that `path` is, if it is one.
    fn find(&self, path: &Path) -> Option<&str> {
        let id = identity(path)?;
        self.0
            .iter()
            .find(|(dev, ino, _)| (*dev, *ino) == id)
            .map(|(_, _, name)| name.as_str())
    }

    /// Refuses `output` when it is one of the inputs (before anything is read, so that
    /// the input is never lost).
    pub fn refuse(&self, output: &Path) -> Result<()> {
        match self.find(output) {
            Some(name) => Err(Error::Usage(format!(
                "{}: is the input {name}; writing it would destroy what is being read: choose another output",
                output.display()
            ))),
            None => Ok(()),
        }
    }

    /// Refuses a report directory that holds an input under a name the report writes or
    /// removes.
    pub fn refuse_in(&self, dir: &Path, names: &[String]) -> Result<()> {
        for name in names {
            self.refuse(&dir.join(name))?;
        }
        Ok(())
    }
}

/// Device and inode of the file `path` names (following links).
pub(crate) fn identity(path: &Path) -> Option<(u64, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Variable that stops the process at a named stage of writing (tests kill it there, so
/// that where a run is interrupted does not depend on the machine's speed).
pub(crate) const PAUSE_VARIABLE: &str = "CONCERNS_TEST_PAUSE_AT";

/// With [`PAUSE_VARIABLE`] set to `stage`, says so on stderr and stops the process
/// (`SIGSTOP`); `SIGCONT` lets it go on. A test hook: unset, it costs one lookup.
pub(crate) fn pause_point(stage: &str) {
    if std::env::var_os(PAUSE_VARIABLE).is_some_and(|v| v == stage) {
        eprintln!("concerns: paused at {stage}");
        #[cfg(unix)]
        // Safety: raising a signal in this process; SIGSTOP cannot be caught.
        unsafe {
            libc::raise(libc::SIGSTOP);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_fill_leaves_the_old_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.txt");
        write_file(&path, |w| w.write_all(b"old")).unwrap();
        let err = write_file(&path, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("interrupted"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        // No temporary files are left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_followed_and_stays_and_a_mode_is_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("kept.txt");
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink("kept.txt", &link).unwrap();
        write_file(&link, |w| w.write_all(b"new")).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o600);
        // A link to a file not there yet creates it where it points.
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("made.txt", &dangling).unwrap();
        write_file(&dangling, |w| w.write_all(b"made")).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("made.txt")).unwrap(),
            "made"
        );
        // A loop of links is refused.
        std::os::unix::fs::symlink("b", dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
        assert!(write_file(&dir.path().join("a"), |w| w.write_all(b"x")).is_err());
    }

    #[test]
    fn an_input_is_never_an_output_under_any_name() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data.csv");
        std::fs::write(&data, "a\n1\n").unwrap();
        let hard = dir.path().join("hard.csv");
        std::fs::hard_link(&data, &hard).unwrap();
        let inputs = Inputs::of([data.as_path()]);
        assert!(inputs.refuse(&data).is_err());
        assert!(inputs.refuse(&hard).is_err());
        assert!(inputs
            .refuse(&dir.path().join(".").join("data.csv"))
            .is_err());
        assert!(inputs.refuse(&dir.path().join("other.csv")).is_ok());
        assert!(Inputs::of([Path::new("-")]).refuse(Path::new("-")).is_ok());
    }
}
