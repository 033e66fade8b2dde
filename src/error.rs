//! Errors a user can act on, and the exit codes they map to.

use std::fmt;

/// Exit codes of the command line (SPEC §7).
pub mod exit {
    pub const OK: i32 = 0;
    /// Error in the data or in reading/writing files.
    pub const DATA: i32 = 1;
    /// Wrong command-line usage.
    pub(crate) const USAGE: i32 = 2;
    /// `--check` found outputs that are stale or missing.
    pub const STALE: i32 = 3;
}

/// A message in catalogue form: a key of `locales/*.toml` and its values, so the command
/// line can say it in the run's language (`locale::error_text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    pub key: &'static str,
    pub values: Vec<(&'static str, Arg)>,
}

/// One value of a [`Said`]: text as it is (data, labels) or a message of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Said(Said),
}

/// A problem in an input file, located as precisely as we can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    pub file: String,
    /// Row as a spreadsheet shows it: the header is row 1, the first respondent row 2.
    pub row: Option<u64>,
    pub column: Option<String>,
    /// The English text.
    pub message: String,
    /// The same message for the catalogue, when it has one.
    pub said: Option<Said>,
}

impl DataError {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        DataError {
            file: file.into(),
            row: None,
            column: None,
            message: message.into(),
            said: None,
        }
    }

    /// The message in catalogue form (its English is `message`).
    pub fn said(mut self, said: Said) -> Self {
        self.said = Some(said);
        self
    }

    pub(crate) fn row(mut self, row: u64) -> Self {
        self.row = Some(row);
        self
    }

    pub(crate) fn column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        match (&self.row, &self.column) {
            (Some(r), Some(c)) => write!(f, ", row {r}, column '{c}'")?,
            (Some(r), None) => write!(f, ", row {r}")?,
            (None, Some(c)) => write!(f, ", column '{c}'")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for DataError {}

/// Every way a library call can fail, by what the user has to fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asked for something impossible (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The codebook is wrong; `origin` names its file (empty: not from a file).
    #[error("codebook{}: {message}", if origin.is_empty() { String::new() } else { format!(" {origin}") })]
    Codebook { origin: String, message: String },
    /// The data is wrong, located by file, row and column.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Reading or writing a file failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// An output could not be made (a chart could not be drawn or encoded).
    #[error("{0}")]
    Output(String),
}

impl From<std::fmt::Error> for Error {
    fn from(_: std::fmt::Error) -> Error {
        Error::Output("formatting an output failed".into())
    }
}

impl From<csv::Error> for Error {
    fn from(e: csv::Error) -> Error {
        Error::Output(format!("writing CSV failed: {e}"))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::Output(format!("writing JSON failed: {e}"))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A codebook error not yet tied to its file.
    pub(crate) fn codebook(message: impl Into<String>) -> Error {
        Error::Codebook {
            origin: String::new(),
            message: message.into(),
        }
    }

    /// Names the codebook file of a codebook error.
    pub(crate) fn in_codebook(self, origin: &str) -> Error {
        match self {
            Error::Codebook { message, .. } => Error::Codebook {
                origin: origin.to_string(),
                message,
            },
            other => other,
        }
    }

    /// The exit code of the command line (SPEC §7): 2 for usage, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => exit::USAGE,
            Error::Codebook { .. } | Error::Data(_) | Error::Io { .. } | Error::Output(_) => {
                exit::DATA
            }
        }
    }
}

/// `io::Result` to [`Error::Io`], saying what was being done.
pub trait IoContext<T> {
    fn io(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn io(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Io {
            what: what(),
            source,
        })
    }
}

/// Panics expected inside [`no_panic`] right now: the hook stays silent for them.
static QUIET: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Runs `f`, turning a panic inside it (a third-party reader given a corrupt file) into
/// `fail()`, without the panic's message on stderr.
pub(crate) fn no_panic<T>(
    fail: impl FnOnce() -> Error,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    use std::sync::atomic::Ordering;
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.load(Ordering::SeqCst) == 0 {
                previous(info);
            }
        }));
    });
    QUIET.fetch_add(1, Ordering::SeqCst);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.fetch_sub(1, Ordering::SeqCst);
    result.unwrap_or_else(|_| Err(fail()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_becomes_an_error() {
        let r: Result<()> = no_panic(|| Error::Output("not valid".into()), || panic!("boom"));
        assert_eq!(r.unwrap_err().to_string(), "not valid");
        let ok = no_panic(|| Error::Output("unused".into()), || Ok(7));
        assert_eq!(ok.unwrap(), 7);
    }

    #[test]
    fn message_names_file_row_and_column() {
        let e = DataError::new("d.csv", "expected 0 or 1, found '2'")
            .row(7)
            .column("concern_bias");
        assert_eq!(
            e.to_string(),
            "d.csv, row 7, column 'concern_bias': expected 0 or 1, found '2'"
        );
        assert_eq!(Error::Usage("bad flag".into()).exit_code(), exit::USAGE);
        assert_eq!(Error::from(e).exit_code(), exit::DATA);
        let cb = Error::codebook("no [[questions]]").in_codebook("cb.toml");
        assert_eq!(cb.to_string(), "codebook cb.toml: no [[questions]]");
        assert_eq!(cb.exit_code(), exit::DATA);
    }
}
