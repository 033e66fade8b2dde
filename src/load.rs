//! Load: open the input, check its header against the codebook, and scan it lazily with
//! polars, reading only the columns the analysis needs.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::codebook::Codebook;
use crate::error::{DataError, UsageError};

/// Text encodings of survey exports that `--encoding` accepts.
pub fn encoding_for(label: &str) -> Option<&'static encoding_rs::Encoding> {
    match label.to_ascii_lowercase().as_str() {
        "latin-1" | "latin1" | "iso-8859-1" => Some(encoding_rs::WINDOWS_1252),
        other => encoding_rs::Encoding::for_label(other.as_bytes()),
    }
}

/// An input file ready to scan. Standard input (`-`) is spooled to a temporary file first,
/// because the scan needs a seekable file; a non-UTF-8 file is transcoded to one.
pub struct Source {
    /// The name the user gave, used in every message and in the JSON.
    pub name: String,
    /// The UTF-8 file the scan reads.
    pub path: PathBuf,
    /// The bytes as given, for the digest.
    pub original: PathBuf,
    /// Field delimiter: given, or detected from the header.
    pub delimiter: u8,
    from_stdin: bool,
    _spools: Vec<tempfile::NamedTempFile>,
}

fn spool(bytes: &[u8], what: &str) -> Result<tempfile::NamedTempFile> {
    let mut f = tempfile::NamedTempFile::new()
        .with_context(|| format!("cannot create a temporary file for {what}"))?;
    f.write_all(bytes)
        .with_context(|| format!("cannot spool {what}"))?;
    f.flush()?;
    Ok(f)
}

/// The delimiter among `,` `;` tab that occurs most in the header line, outside quotes.
pub fn detect_delimiter(header_line: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in header_line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            b'\n' if !quoted => break,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

impl Source {
    /// Opens `input` (`-` for standard input), transcoding from `encoding` when it is not
    /// UTF-8, and settles the delimiter (`None`: detect).
    pub fn open(input: &str, encoding: &str, delimiter: Option<u8>) -> Result<Source> {
        let enc = encoding_for(encoding).ok_or_else(|| {
            UsageError(format!(
                "--encoding {encoding}: unknown encoding (try utf-8, windows-1251, latin-1)"
            ))
        })?;
        let mut spools = Vec::new();
        let (name, original) = if input == "-" {
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut buf)
                .context("cannot read standard input")?;
            let f = spool(&buf, "standard input")?;
            let p = f.path().to_path_buf();
            spools.push(f);
            ("<stdin>".to_string(), p)
        } else {
            let p = PathBuf::from(input);
            match std::fs::metadata(&p) {
                Err(e) => {
                    return Err(DataError::new(input, format!("cannot open the file: {e}")).into())
                }
                Ok(m) if m.is_dir() => {
                    return Err(DataError::new(input, "is a directory, expected a CSV file").into())
                }
                Ok(_) => (input.to_string(), p),
            }
        };
        let path = if enc == encoding_rs::UTF_8 {
            original.clone()
        } else {
            let bytes = std::fs::read(&original)
                .map_err(|e| DataError::new(&name, format!("cannot read the file: {e}")))?;
            let (text, _, _) = enc.decode(&bytes);
            let f = spool(text.as_bytes(), "the transcoded input")?;
            let p = f.path().to_path_buf();
            spools.push(f);
            p
        };
        let delimiter = match delimiter {
            Some(d) => d,
            None => {
                let mut head = vec![0u8; 64 * 1024];
                let n = std::fs::File::open(&path)
                    .and_then(|mut f| f.read(&mut head))
                    .unwrap_or(0);
                detect_delimiter(&head[..n])
            }
        };
        Ok(Source {
            name,
            path,
            original,
            delimiter,
            from_stdin: input == "-",
            _spools: spools,
        })
    }

    /// The path as the JSON reports it: as given, or `-` for standard input.
    pub fn json_path(&self) -> &str {
        if self.from_stdin {
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

fn hex(hasher: Sha256) -> String {
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The advice for text that is not UTF-8.
pub const ENCODING_HINT: &str =
    "save it as UTF-8 (CSV UTF-8), or name its encoding, e.g. --encoding windows-1251 (Cyrillic) or --encoding latin-1";

/// Walks the CSV structure polars would gloss over: every row must have the header's
/// number of fields and be UTF-8 text. Each problem goes to `problem`; returning false stops.
pub(crate) fn scan_structure<R: Read>(
    src: &Source,
    input: R,
    mut problem: impl FnMut(DataError) -> bool,
) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(src.delimiter)
        .from_reader(input);
    let mut record = csv::ByteRecord::new();
    let mut fields = None;
    let mut row: u64 = 0;
    loop {
        let more = reader.read_byte_record(&mut record).map_err(|e| {
            DataError::new(&src.name, format!("cannot read as CSV: {e}")).row(row + 1)
        })?;
        if !more {
            return Ok(());
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
                let e = DataError::new(
                    &src.name,
                    format!(
                        "ragged row{at}: it has {} fields but the header has {n}",
                        record.len()
                    ),
                )
                .row(row);
                if !problem(e) {
                    return Ok(());
                }
            }
            Some(_) => {}
        }
        if std::str::from_utf8(record.as_slice()).is_err() {
            let e = DataError::new(
                &src.name,
                format!("the row{at} is not UTF-8 text; {ENCODING_HINT}"),
            )
            .row(row);
            if !problem(e) {
                return Ok(());
            }
        }
    }
}

/// The first structural problem, as an error.
fn check_structure<R: Read>(src: &Source, input: R) -> Result<()> {
    let mut first = None;
    scan_structure(src, input, |e| {
        first = Some(e);
        false
    })?;
    match first {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Reads the input once for both jobs: its SHA-256 (lowercase hex, of the bytes as given)
/// and the structure check. A transcoded input is hashed from the original bytes.
pub fn digest_and_check(src: &Source) -> Result<String> {
    let open = |p: &PathBuf| {
        std::fs::File::open(p)
            .map_err(|e| DataError::new(&src.name, format!("cannot open the file: {e}")))
    };
    if src.original != src.path {
        check_structure(src, std::io::BufReader::new(open(&src.path)?))?;
        let mut hashing = Hashing {
            inner: open(&src.original)?,
            hasher: Sha256::new(),
        };
        std::io::copy(&mut hashing, &mut std::io::sink())?;
        return Ok(hex(hashing.hasher));
    }
    let mut hashing = Hashing {
        inner: std::io::BufReader::with_capacity(1 << 20, open(&src.path)?),
        hasher: Sha256::new(),
    };
    check_structure(src, &mut hashing)?;
    std::io::copy(&mut hashing, &mut std::io::sink())?;
    Ok(hex(hashing.hasher))
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

/// The header's column names (a byte-order mark removed) and the reader positioned after it.
pub fn header_columns(src: &Source) -> Result<(Vec<String>, csv::Reader<std::fs::File>)> {
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
        .delimiter(src.delimiter)
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
                format!("header field {} is not UTF-8 text; {ENCODING_HINT}", i + 1),
            )
            .row(1)
        })?;
        columns.push(name.trim_start_matches('\u{feff}').to_string());
    }
    Ok((columns, reader))
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
    let (columns, mut reader) = header_columns(src)?;
    if columns.len() == 1
        && (columns[0].contains(';') || columns[0].contains('\t') || columns[0].contains(','))
    {
        return Err(DataError::new(
            file,
            format!(
                "the header is one field but looks delimited; the delimiter used was {:?}: pass --delimiter ',', ';' or 'tab'",
                src.delimiter as char
            ),
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

pub(crate) fn missing_column(file: &str, wanted: &str, columns: &[String], why: &str) -> DataError {
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
        .with_separator(src.delimiter)
        .with_infer_schema_length(Some(0))
        .with_null_values(Some(NullValues::AllColumnsSingle("".into())))
        .finish()
        .map_err(|e| DataError::new(&src.name, format!("cannot read as CSV: {e}")))?;
    Ok(lf.with_row_index(ROW_INDEX, None))
}

/// Name of the row-index column added by [`scan_csv`].
pub const ROW_INDEX: &str = "__concerns_row";
