//! Load: open the input, check its header against the codebook, and scan it lazily with
//! polars, reading only the columns the analysis needs.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::codebook::Codebook;
use crate::error::{DataError, UsageError};

/// An input file ready to scan. Standard input (`-`) is spooled to a temporary file first,
/// because the scan needs a seekable file.
pub struct Source {
    /// The name the user gave, used in every message and in the JSON.
    pub name: String,
    pub path: PathBuf,
    _spool: Option<tempfile::NamedTempFile>,
}

impl Source {
    pub fn open(input: &str) -> Result<Source> {
        if input == "-" {
            let mut spool = tempfile::NamedTempFile::new()
                .context("cannot create a temporary file for standard input")?;
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .context("cannot read standard input")?;
            spool
                .write_all(&buf)
                .context("cannot spool standard input")?;
            spool.flush()?;
            let path = spool.path().to_path_buf();
            return Ok(Source {
                name: "<stdin>".into(),
                path,
                _spool: Some(spool),
            });
        }
        let path = PathBuf::from(input);
        match std::fs::metadata(&path) {
            Err(e) => Err(DataError::new(input, format!("cannot open the file: {e}")).into()),
            Ok(m) if m.is_dir() => {
                Err(DataError::new(input, "is a directory, expected a CSV file").into())
            }
            Ok(_) => Ok(Source {
                name: input.to_string(),
                path,
                _spool: None,
            }),
        }
    }

    /// The path as the JSON reports it: as given, or `-` for standard input.
    pub fn json_path(&self) -> &str {
        if self._spool.is_some() {
            "-"
        } else {
            &self.name
        }
    }
}

/// Passes bytes through while hashing them, so the file is read once for both jobs.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Reads the whole file once: returns its SHA-256 (lowercase hex) and checks the CSV
/// structure polars would gloss over: every row has the header's number of fields and
/// is UTF-8 text.
pub fn digest_and_check(src: &Source) -> Result<String> {
    let file = std::fs::File::open(&src.path)
        .map_err(|e| DataError::new(&src.name, format!("cannot open the file: {e}")))?;
    let mut hashing = Hashing {
        inner: std::io::BufReader::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
    };
    {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&mut hashing);
        let mut record = csv::ByteRecord::new();
        let mut fields = None;
        let mut row: u64 = 0;
        loop {
            let more = reader.read_byte_record(&mut record).map_err(|e| {
                DataError::new(&src.name, format!("cannot read as CSV: {e}")).row(row + 1)
            })?;
            if !more {
                break;
            }
            row += 1;
            let line = record.position().map(|p| p.line()).unwrap_or(row);
            let at = if line != row {
                format!(" (line {line})")
            } else {
                String::new()
            };
            match fields {
                None => fields = Some(record.len()),
                Some(n) if n != record.len() => {
                    return Err(DataError::new(
                        &src.name,
                        format!(
                            "ragged row{at}: it has {} fields but the header has {n}",
                            record.len()
                        ),
                    )
                    .row(row)
                    .into())
                }
                Some(_) => {}
            }
            if std::str::from_utf8(record.as_slice()).is_err() {
                return Err(DataError::new(
                    &src.name,
                    format!("the row{at} is not UTF-8 text; save the file as UTF-8 (CSV UTF-8)"),
                )
                .row(row)
                .into());
            }
        }
    }
    let mut rest = Vec::new();
    hashing.read_to_end(&mut rest)?;
    Ok(hashing
        .hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// How the user chose the weight.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WeightChoice {
    /// The codebook's weight column if the file has it, else unweighted.
    #[default]
    Codebook,
    /// `--no-weight`.
    None,
    /// `--weight COL`: must exist.
    Column(String),
}

/// What the header check found.
#[derive(Debug, Clone)]
pub struct Header {
    pub columns: Vec<String>,
    /// The weight column that will be used, if any.
    pub weight: Option<String>,
}

/// Reads the header (and peeks at the first row) and checks that every needed column is
/// there, so the common mistakes get a precise message before any scanning starts.
pub fn check_header(
    src: &Source,
    codebook: &Codebook,
    weight: &WeightChoice,
    segments: &[String],
) -> Result<Header> {
    let file = &src.name;
    let bytes_len = std::fs::metadata(&src.path).map(|m| m.len()).unwrap_or(0);
    if bytes_len == 0 {
        return Err(DataError::new(
            file,
            "the file is empty: expected a header row and one row per respondent",
        )
        .into());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_path(&src.path)
        .map_err(|e| DataError::new(file, format!("cannot open the file: {e}")))?;
    let raw = reader
        .byte_headers()
        .map_err(|e| DataError::new(file, format!("cannot read the header row: {e}")).row(1))?
        .clone();
    let mut columns = Vec::with_capacity(raw.len());
    for (i, field) in raw.iter().enumerate() {
        let name = std::str::from_utf8(field).map_err(|_| {
            DataError::new(
                file,
                format!(
                    "header field {} is not UTF-8 text; save the file as UTF-8 (CSV UTF-8)",
                    i + 1
                ),
            )
            .row(1)
        })?;
        columns.push(name.trim_start_matches('\u{feff}').to_string());
    }
    if columns.len() == 1 && columns[0].contains(';') {
        return Err(DataError::new(
            file,
            "the header is separated by ';', but the file must be comma-separated (CSV with ',')",
        )
        .row(1)
        .into());
    }
    if columns.len() == 1 && columns[0].contains('\t') {
        return Err(DataError::new(
            file,
            "the header is separated by tabs, but the file must be comma-separated (CSV with ',')",
        )
        .row(1)
        .into());
    }

    let weight = match weight {
        WeightChoice::None => None,
        WeightChoice::Column(c) => {
            if !columns.contains(c) {
                return Err(missing_column(
                    file,
                    c,
                    &columns,
                    "the weight column given by --weight",
                )
                .into());
            }
            Some(c.clone())
        }
        WeightChoice::Codebook => codebook.weight.clone().filter(|w| columns.contains(w)),
    };
    for needed in codebook.needed_columns(None) {
        if !columns.contains(&needed) {
            return Err(missing_column(file, &needed, &columns, "required by the codebook").into());
        }
    }
    for needed in segments {
        if !columns.contains(needed) {
            return Err(
                missing_column(file, needed, &columns, "the segment column of --by").into(),
            );
        }
    }

    let mut first = csv::ByteRecord::new();
    let has_row = reader
        .read_byte_record(&mut first)
        .map_err(|e| DataError::new(file, format!("cannot read the first data row: {e}")).row(2))?;
    if !has_row {
        return Err(
            DataError::new(file, "the file has a header but no respondent rows")
                .row(1)
                .into(),
        );
    }
    Ok(Header { columns, weight })
}

fn missing_column(file: &str, wanted: &str, columns: &[String], why: &str) -> DataError {
    let closest = columns
        .iter()
        .map(|c| {
            (
                strsim::normalized_damerau_levenshtein(&c.to_lowercase(), &wanted.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let hint = match closest {
        Some((_, c)) => format!("; did you mean '{c}'?"),
        None => String::new(),
    };
    DataError::new(
        file,
        format!("column '{wanted}' ({why}) is missing from the header{hint}"),
    )
    .row(1)
    .column(wanted)
}

/// Lazily scans the CSV with every column read as text (codes are compared, never inferred),
/// empty fields as null, and a 0-based row index `ROW_INDEX`.
pub fn scan_csv(src: &Source) -> Result<LazyFrame> {
    let path = src
        .path
        .to_str()
        .ok_or_else(|| UsageError(format!("{}: the path is not valid UTF-8", src.name)))?;
    let lf = LazyCsvReader::new(PlRefPath::new(path))
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_null_values(Some(NullValues::AllColumnsSingle("".into())))
        .finish()
        .map_err(|e| DataError::new(&src.name, format!("cannot read as CSV: {e}")))?;
    Ok(lf.with_row_index(ROW_INDEX, None))
}

/// Name of the row-index column added by [`scan_csv`].
pub const ROW_INDEX: &str = "__concerns_row";
