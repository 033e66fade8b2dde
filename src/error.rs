//! Errors a user can act on, and the exit codes they map to.

use std::fmt;

/// Exit codes of the command line (SPEC §7).
pub mod exit {
    pub const OK: i32 = 0;
    /// Error in the data or in reading/writing files.
    pub const DATA: i32 = 1;
    /// Wrong command-line usage.
    pub const USAGE: i32 = 2;
    /// `--check` found outputs that are stale or missing.
    pub const STALE: i32 = 3;
}

/// A problem in an input file, located as precisely as we can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    pub file: String,
    /// Row as a spreadsheet shows it: the header is row 1, the first respondent row 2.
    pub row: Option<u64>,
    pub column: Option<String>,
    pub message: String,
}

impl DataError {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        DataError {
            file: file.into(),
            row: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn row(mut self, row: u64) -> Self {
        self.row = Some(row);
        self
    }

    pub fn column(mut self, column: impl Into<String>) -> Self {
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

/// The command line was used wrongly (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Panics expected inside [`no_panic`] right now: the hook stays silent for them.
static QUIET: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Runs `f`, turning a panic inside it (a third-party reader given a corrupt file) into
/// `fail()`, without the panic's message on stderr.
pub fn no_panic<T>(
    fail: impl FnOnce() -> anyhow::Error,
    f: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
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

/// Exit code for an error that ended a command.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if err.chain().any(|e| e.is::<UsageError>()) {
        exit::USAGE
    } else {
        exit::DATA
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_becomes_an_error() {
        let r: anyhow::Result<()> = no_panic(|| anyhow::anyhow!("not valid"), || panic!("boom"));
        assert_eq!(r.unwrap_err().to_string(), "not valid");
        let ok = no_panic(|| anyhow::anyhow!("unused"), || Ok(7));
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
        let any = anyhow::Error::new(UsageError("bad flag".into()));
        assert_eq!(exit_code(&any), exit::USAGE);
        assert_eq!(exit_code(&anyhow::Error::new(e)), exit::DATA);
    }
}
