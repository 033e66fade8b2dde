//! Load: open the input, check its header against the codebook, and hand every record,
//! reading only the fields the analysis needs, to the pass: CSV through the parallel
//! scanner ([`scan`]), Parquet through polars ([`frame`]), SPSS through ambers ([`spss`]).

pub mod frame;
pub mod record;
pub mod scan;
pub mod spss;

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

use crate::codebook::{Codebook, ColumnNames, InputLayout, JOINED_SEPARATOR};
use crate::error::DataError;
use crate::load::record::Consumer;

/// What kind of file an input is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
    /// SPSS `.sav` or `.zsav`.
    Spss,
}

impl Format {
    fn sniff(head: &[u8]) -> Format {
        if head.starts_with(b"PAR1") {
            Format::Parquet
        } else if head.starts_with(b"$FL2") || head.starts_with(b"$FL3") {
            Format::Spss
        } else {
            Format::Csv
        }
    }
}

/// Text encodings of survey exports that `--encoding` accepts.
pub fn encoding_for(label: &str) -> Option<&'static encoding_rs::Encoding> {
    match label.to_ascii_lowercase().as_str() {
        "latin-1" | "latin1" | "iso-8859-1" => Some(encoding_rs::WINDOWS_1252),
        other => encoding_rs::Encoding::for_label(other.as_bytes()),
    }
}

/// The encoding of a file that is not UTF-8, guessed from its first megabyte (chardetng,
/// the detector of Firefox): `None` for UTF-8 (or UTF-16 with a byte-order mark, which is
/// recognised anyway), for what is not a regular file, and for what cannot be read.
pub fn guess_encoding(path: &Path) -> Option<&'static encoding_rs::Encoding> {
    use std::io::Read;
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(1 << 20).read_to_end(&mut head))
        .ok()?;
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return None;
    }
    // Valid UTF-8, but for a character the megabyte cut in two.
    let valid = match std::str::from_utf8(&head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    if valid {
        return None;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(&head, false);
    Some(detector.guess(None, chardetng::Utf8Detection::Deny)).filter(|e| *e != encoding_rs::UTF_8)
}

/// An input file ready to scan. Anything that is not a regular file (standard input, a
/// FIFO, `<(…)`) is copied once to an unnamed temporary file, because the scan reads the
/// file several times and in parallel; a non-UTF-8 file is transcoded to one.
pub struct Source {
    /// The name the user gave, used in every message.
    pub name: String,
    /// The UTF-8 file the scan reads.
    pub path: PathBuf,
    /// The bytes as given, for the digest.
    pub original: PathBuf,
    /// Field delimiter: given, or detected from the header.
    pub delimiter: u8,
    pub format: Format,
    from_stdin: bool,
    /// Length and modification time of the input when opened, to notice it changing.
    stamp: Option<(u64, Option<std::time::SystemTime>)>,
    _spools: Vec<Spool>,
}

/// Longest record (CSV row) read, and longest header: past this a file is refused rather
/// than buffered (a "line" of hundreds of megabytes is not survey data).
pub const MAX_RECORD: u64 = 16 << 20;
/// Columns of a header.
pub const MAX_COLUMNS: usize = 100_000;
/// Largest input copied from standard input or a pipe.
pub const MAX_SPOOL: u64 = 64 << 30;

/// Hands `input` to `f` a block (up to 1 MiB) at a time until it ends or `f` returns
/// `false`; a read error becomes a message naming `name`. Every input is streamed this way,
/// so no file or pipe is ever held whole in memory.
pub(crate) fn each_block(
    mut input: impl Read,
    name: &str,
    mut f: impl FnMut(&[u8]) -> Result<bool>,
) -> Result<()> {
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(DataError::new(name, format!("cannot read: {e}")).into()),
        };
        if !f(&buf[..n])? {
            return Ok(());
        }
    }
}

/// A temporary copy of an input. On Linux it has no name (`O_TMPFILE`), so nothing is
/// left behind whatever ends the process, and it is reopened through `/proc/self/fd`.
struct Spool {
    path: PathBuf,
    _file: std::fs::File,
    _named: Option<tempfile::NamedTempFile>,
}

impl Spool {
    fn new(what: &str) -> Result<(Spool, std::fs::File)> {
        let fail = || format!("cannot create a temporary file for {what}");
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            let file = tempfile::tempfile().io(fail)?;
            let path = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
            if let Ok(writer) = std::fs::OpenOptions::new().write(true).open(&path) {
                return Ok((
                    Spool {
                        path,
                        _file: file,
                        _named: None,
                    },
                    writer,
                ));
            }
        }
        let named = tempfile::NamedTempFile::new().io(fail)?;
        let writer = named.reopen().io(fail)?;
        let file = named.reopen().io(fail)?;
        Ok((
            Spool {
                path: named.path().to_path_buf(),
                _file: file,
                _named: Some(named),
            },
            writer,
        ))
    }
}

/// Standard input as a path the scan can open again, when it is a regular file read from
/// its start (a shell's `< file`); a pipe or a partly read file is spooled instead.
fn stdin_as_file() -> Option<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        use std::io::Seek;
        use std::os::fd::AsFd;
        let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
        let mut file = std::fs::File::from(fd);
        let regular = file.metadata().ok()?.is_file();
        // The duplicate shares the offset of standard input.
        let at_start = file.stream_position().ok()? == 0;
        (regular && at_start).then(|| PathBuf::from("/proc/self/fd/0"))
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Copies a stream to a spool, with bounds: a text stream with a NUL byte in its first
/// block, or a line longer than [`MAX_RECORD`], is refused at once (`/dev/zero` on
/// standard input ends with a message, not with a full disk).
fn spool_stream(input: impl Read, name: &str) -> Result<Spool> {
    let (spool, file) = Spool::new(name)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let (mut total, mut line) = (0u64, 0u64);
    let mut text = None;
    each_block(input, name, |block| {
        let is_text = *text.get_or_insert_with(|| Format::sniff(block) == Format::Csv);
        if is_text {
            if total == 0 {
                if let Some(kind) = binary_kind(block) {
                    return Err(DataError::new(
                        name,
                        format!("this is {kind}; expected a CSV text file"),
                    )
                    .into());
                }
            }
            // The longest stretch without a line break, carried across blocks.
            let mut start = 0usize;
            let mut longest = 0u64;
            for at in memchr::memchr_iter(b'\n', block) {
                longest = longest.max(line + (at - start) as u64);
                line = 0;
                start = at + 1;
            }
            line += (block.len() - start) as u64;
            longest = longest.max(line);
            if longest > MAX_RECORD {
                return Err(DataError::new(
                    name,
                    format!(
                        "a line is longer than {} MiB; this is not one row per respondent",
                        MAX_RECORD >> 20
                    ),
                )
                .into());
            }
        }
        total += block.len() as u64;
        if total > MAX_SPOOL {
            return Err(DataError::new(
                name,
                format!(
                    "more than {} GiB on a pipe; save the data to a file and name it",
                    MAX_SPOOL >> 30
                ),
            )
            .into());
        }
        out.write_all(block)
            .io(|| format!("cannot copy {name} to a temporary file"))?;
        Ok(true)
    })?;
    out.flush()
        .io(|| format!("cannot copy {name} to a temporary file"))?;
    Ok(spool)
}

/// Transcodes `from` (in `enc`, or as its byte-order mark says) to a UTF-8 spool, a block
/// at a time.
fn transcode(from: &Path, enc: &'static encoding_rs::Encoding, name: &str) -> Result<Spool> {
    let input = std::fs::File::open(from)
        .map_err(|e| DataError::new(name, format!("cannot read the file: {e}")))?;
    let (spool, file) = Spool::new(name)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut decoder = enc.new_decoder();
    let mut text = String::with_capacity(3 << 20);
    let mut decode = |mut rest: &[u8], last: bool| -> Result<bool> {
        loop {
            text.clear();
            let (result, read, _) = decoder.decode_to_string(rest, &mut text, last);
            out.write_all(text.as_bytes())
                .io(|| format!("cannot transcode {name}"))?;
            rest = &rest[read..];
            if result == encoding_rs::CoderResult::InputEmpty {
                return Ok(true);
            }
        }
    };
    each_block(input, name, |block| decode(block, false))?;
    decode(&[], true)?;
    out.flush().io(|| format!("cannot transcode {name}"))?;
    Ok(spool)
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

/// The input's name in messages and the file to read: standard input read in place or
/// spooled, a FIFO spooled (it can be read once only), or the named file.
fn located(
    input: &str,
    stdin_file: Option<PathBuf>,
    regular: bool,
    spools: &mut Vec<Spool>,
) -> Result<(String, PathBuf)> {
    Ok(if let Some(path) = stdin_file {
        // `concerns table - < file`: the file itself, read in place like a named one.
        ("<stdin>".to_string(), path)
    } else if input == "-" {
        let spool = spool_stream(std::io::stdin().lock(), "<stdin>")?;
        let p = spool.path.clone();
        spools.push(spool);
        ("<stdin>".to_string(), p)
    } else {
        let p = PathBuf::from(input);
        match std::fs::metadata(&p) {
            Err(e) => {
                return Err(DataError::new(input, format!("cannot open the file: {e}")).into())
            }
            Ok(m) if m.is_dir() => {
                return Err(DataError::new(
                    input,
                    "is a directory, expected a data file (CSV, Parquet or SPSS)",
                )
                .into())
            }
            Ok(_) if !regular => {
                // A FIFO or `<(…)`: it can be read once only.
                let f = std::fs::File::open(&p)
                    .map_err(|e| DataError::new(input, format!("cannot open: {e}")))?;
                let spool = spool_stream(f, input)?;
                let path = spool.path.clone();
                spools.push(spool);
                (input.to_string(), path)
            }
            Ok(_) => (input.to_string(), p),
        }
    })
}

impl Source {
    /// Opens `input` (`-` for standard input), transcoding from `encoding` when it is not
    /// UTF-8, and settles the delimiter (`None`: detect).
    pub fn open(input: &str, encoding: &str, delimiter: Option<u8>) -> Result<Source> {
        let enc = encoding_for(encoding).ok_or_else(|| {
            Error::Usage(format!(
                "--encoding {encoding}: unknown encoding (try utf-8, windows-1251, latin-1)"
            ))
        })?;
        let mut spools = Vec::new();
        let stdin_file = (input == "-").then(stdin_as_file).flatten();
        let regular = match &stdin_file {
            Some(_) => true,
            None => input != "-" && std::fs::metadata(input).is_ok_and(|m| m.is_file()),
        };
        let (name, original) = located(input, stdin_file, regular, &mut spools)?;
        let stamp = regular
            .then(|| std::fs::metadata(&original).ok())
            .flatten()
            .map(|m| (m.len(), m.modified().ok()));
        let mut head = [0u8; 4];
        let n = std::fs::File::open(&original)
            .and_then(|mut f| f.read(&mut head))
            .unwrap_or(0);
        let format = Format::sniff(&head[..n]);
        // Excel's "Unicode text" is UTF-16 with a byte-order mark: read it as such.
        let utf16 = head[..n].starts_with(b"\xff\xfe") || head[..n].starts_with(b"\xfe\xff");
        let path = if format != Format::Csv || (enc == encoding_rs::UTF_8 && !utf16) {
            original.clone()
        } else {
            let spool = transcode(&original, enc, &name)?;
            let p = spool.path.clone();
            spools.push(spool);
            p
        };
        let delimiter = match delimiter {
            Some(d) => d,
            None if format != Format::Csv => b',',
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
            format,
            from_stdin: input == "-",
            stamp,
            _spools: spools,
        })
    }

    /// An error if the input file changed (length or modification time) since it was
    /// opened: its numbers would mix two versions of the data.
    pub fn unchanged(&self) -> Result<()> {
        let Some(then) = self.stamp else {
            return Ok(());
        };
        let now = std::fs::metadata(&self.original)
            .ok()
            .map(|m| (m.len(), m.modified().ok()));
        if now != Some(then) {
            return Err(DataError::new(
                &self.name,
                "the file changed while it was being read; run again once it is complete",
            )
            .into());
        }
        Ok(())
    }

    /// The input as outputs name it: the file name without its directory (so outputs do
    /// not depend on the working directory or on how the path was spelled), or `-` for
    /// standard input.
    pub fn json_path(&self) -> String {
        if self.from_stdin {
            return "-".into();
        }
        std::path::Path::new(&self.name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.name.clone())
    }
}

/// BLAKE3 of the input as given (lowercase hex; what `b3sum` prints) and, for a CSV, the number of quote characters in what
/// the scanner reads: an odd number means a quoted field is never closed.
pub(crate) fn digest(src: &Source, count_quotes: bool) -> Result<(String, u64)> {
    let read_err =
        |e: std::io::Error| DataError::new(&src.name, format!("cannot read the file: {e}"));
    let mut hasher = blake3::Hasher::new();
    let same = src.original == src.path;
    let mut quotes = 0u64;
    let count = |block: &[u8]| memchr::memchr_iter(b'"', block).count() as u64;
    // Read, not mapped: a file truncated underneath must give an error, not SIGBUS.
    let file = std::fs::File::open(&src.original).map_err(read_err)?;
    each_block(file, &src.name, |block| {
        hasher.update(block);
        if count_quotes && same {
            quotes += count(block);
        }
        Ok(true)
    })?;
    if count_quotes && !same {
        let file = std::fs::File::open(&src.path).map_err(read_err)?;
        each_block(file, &src.name, |block| {
            quotes += count(block);
            Ok(true)
        })?;
    }
    let hex = hasher.finalize().to_hex().to_string();
    Ok((hex, quotes))
}

/// The advice for text that is not UTF-8.
/// Kept equal to the catalogue's `err_encoding_hint` (a unit test).
pub const ENCODING_HINT: &str =
    "save it as UTF-8 (CSV UTF-8), or name its encoding, e.g. --encoding windows-1251 (Cyrillic) or --encoding latin-1";

/// How the user chose the weight.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum WeightChoice {
    /// The codebook's weight column, which the file must have.
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
    /// Byte offset of the first respondent row (CSV).
    pub data_start: u64,
    /// Row number of the first respondent: header rows + 1 for a CSV, 1 otherwise.
    pub first_row: u64,
    /// The texts a Parquet BOOLEAN reads as (true, false): the codebook's, else `1`, `0`.
    pub booleans: (String, String),
}

impl Header {
    /// The texts of a BOOLEAN column's true and false under `layout`.
    pub fn booleans_of(layout: &InputLayout) -> (String, String) {
        match &layout.booleans {
            Some(b) => (b.when_true.clone(), b.when_false.clone()),
            None => ("1".into(), "0".into()),
        }
    }
}

/// What a binary file's first bytes say it is, for the message.
fn binary_kind(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"PK\x03\x04") {
        Some("a ZIP archive, such as an Excel workbook (.xlsx): save it as CSV UTF-8 first")
    } else if head.starts_with(b"\xd0\xcf\x11\xe0") {
        Some("an old Excel workbook (.xls): save it as CSV UTF-8 first")
    } else if head.starts_with(b"%PDF") {
        Some("a PDF document, not survey data")
    } else if head.contains(&0) {
        Some("binary data, not CSV text")
    } else {
        None
    }
}

/// Refuses a file that is empty or not text (its first 64 KiB hold a NUL or a known
/// binary signature).
fn text_file(src: &Source) -> Result<()> {
    let file = &src.name;
    let mut head = vec![0u8; 64 * 1024];
    let n = std::fs::File::open(&src.path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| DataError::new(file, format!("cannot read the file: {e}")))?;
    if n == 0 {
        return Err(DataError::new(
            file,
            "the file is empty: expected a header row and one row per respondent",
        )
        .into());
    }
    if let Some(kind) = binary_kind(&head[..n]) {
        let line = head[..n]
            .iter()
            .position(|&b| b == 0)
            .map(|p| head[..p].iter().filter(|&&b| b == b'\n').count() + 1);
        let at = line
            .map(|l| format!(" (a NUL byte on line {l})"))
            .unwrap_or_default();
        return Err(DataError::new(
            file,
            format!("this is {kind}{at}; expected a CSV text file"),
        )
        .into());
    }
    Ok(())
}

/// The column names of a CSV's header rows (a byte-order mark removed), and the byte
/// offset where respondent rows start.
pub fn header_columns(src: &Source, layout: &InputLayout) -> Result<(Vec<String>, u64)> {
    let file = &src.name;
    text_file(src)?;
    let rows = layout.header_rows.max(1);
    let opened = std::fs::File::open(&src.path)
        .map_err(|e| DataError::new(file, format!("cannot open the file: {e}")))?;
    // Header rows are read through a window of one record's length: a longer header is
    // refused, not buffered.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(src.delimiter)
        .from_reader(opened.take(MAX_RECORD));
    let mut header_rows: Vec<Vec<String>> = Vec::with_capacity(rows);
    let mut record = csv::ByteRecord::new();
    for r in 1..=rows {
        let more = reader.read_byte_record(&mut record).map_err(|e| {
            DataError::new(file, format!("cannot read header row {r}: {e}")).row(r as u64)
        })?;
        if !more {
            return Err(DataError::new(
                file,
                if r == 1 {
                    "the file is empty: expected a header row and one row per respondent".to_string()
                } else {
                    format!("the file ends after {} rows, but the codebook's export has {rows} header rows", r - 1)
                },
            )
            .into());
        }
        if reader.position().byte() >= MAX_RECORD {
            return Err(DataError::new(
                file,
                format!(
                    "the header is longer than {} MiB; is this a CSV export of survey data?",
                    MAX_RECORD >> 20
                ),
            )
            .row(r as u64)
            .into());
        }
        if record.len() > MAX_COLUMNS {
            return Err(DataError::new(
                file,
                format!(
                    "the header has {} columns, more than the {MAX_COLUMNS} a survey export has",
                    record.len()
                ),
            )
            .row(r as u64)
            .into());
        }
        let fields = header_fields(&record, file, r)?;
        header_rows.push(fields);
    }
    let columns = column_names(&header_rows, layout.column_names);
    Ok((columns, reader.position().byte()))
}

/// The fields of header row `r` as text (a byte-order mark removed).
fn header_fields(record: &csv::ByteRecord, file: &str, r: usize) -> Result<Vec<String>> {
    let mut fields = Vec::with_capacity(record.len());
    for (i, field) in record.iter().enumerate() {
        let text = std::str::from_utf8(field).map_err(|_| {
            DataError::new(
                file,
                format!("header field {} is not UTF-8 text; {ENCODING_HINT}", i + 1),
            )
            .row(r as u64)
        })?;
        fields.push(text.trim_start_matches('\u{feff}').to_string());
    }
    Ok(fields)
}

/// Column names from the header rows: the first row, or SurveyMonkey's two rows joined
/// (the first carried right over the cells a question spans).
fn column_names(header_rows: &[Vec<String>], names: ColumnNames) -> Vec<String> {
    match names {
        ColumnNames::FirstRow => header_rows[0].clone(),
        ColumnNames::Joined => {
            let second = header_rows.get(1).cloned().unwrap_or_default();
            let mut carried = String::new();
            header_rows[0]
                .iter()
                .enumerate()
                .map(|(i, first)| {
                    if !first.is_empty() {
                        carried = first.clone();
                    }
                    match second.get(i).map(String::as_str) {
                        Some(choice) if !choice.is_empty() => {
                            format!("{carried}{JOINED_SEPARATOR}{choice}")
                        }
                        _ => carried.clone(),
                    }
                })
                .collect()
        }
    }
}

/// Column names of a Parquet or SPSS file.
pub fn schema_columns(src: &Source) -> Result<Vec<String>> {
    match src.format {
        Format::Parquet => frame::parquet_columns(src),
        Format::Spss => spss::columns(src),
        Format::Csv => Ok(header_columns(src, &InputLayout::default())?.0),
    }
}

/// Reads the header and checks that every needed column is there, once, so the common
/// mistakes get a precise message before any scanning starts.
pub fn check_header(
    src: &Source,
    codebook: &Codebook,
    weight: &WeightChoice,
    segments: &[String],
) -> Result<Header> {
    let file = &src.name;
    let (columns, data_start, first_row) = match src.format {
        Format::Csv => {
            let (columns, start) = header_columns(src, &codebook.input)?;
            let rows = codebook.header_rows() as u64;
            (columns, start, rows + 1)
        }
        _ => (schema_columns(src)?, 0, 1),
    };
    if src.format == Format::Csv
        && columns.len() == 1
        && [';', '\t', ',', '|']
            .iter()
            .any(|d| columns[0].contains(*d))
    {
        return Err(DataError::new(
            file,
            format!(
                "the header is one field but looks delimited; the delimiter used was {:?}: pass --delimiter ',', ';', 'tab' or '|'",
                src.delimiter as char
            ),
        )
        .row(1)
        .into());
    }

    let weight = weight_column(file, &columns, codebook, weight)?;
    let mut needed = codebook.needed_columns(weight.as_deref());
    for s in segments {
        if !columns.contains(s) {
            return Err(missing_column(file, s, &columns, "the segment column of --by").into());
        }
        needed.push(s.clone());
    }
    for c in &needed {
        one_column(file, c, &columns, &needed)?;
    }
    if src.format == Format::Csv && cr_only(src, data_start) {
        return Err(DataError::new(
            file,
            "the line ends are CR only (an old Mac export): the rows cannot be told apart; save the file with line feeds (LF or CRLF)",
        )
        .row(first_row - 1)
        .into());
    }
    if src.format == Format::Csv && !has_rows(src, data_start) {
        return Err(
            DataError::new(file, "the file has a header but no respondent rows")
                .row(first_row - 1)
                .into(),
        );
    }
    Ok(Header {
        columns,
        weight,
        data_start,
        first_row,
        booleans: Header::booleans_of(&codebook.input),
    })
}

/// A column the codebook reads: present once, and not one differing only in case from
/// another it reads.
fn one_column(file: &str, c: &String, columns: &[String], needed: &[String]) -> Result<()> {
    if !columns.contains(c) {
        return Err(missing_column(file, c, columns, "required by the codebook").into());
    }
    let at: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, n)| *n == c)
        .map(|(i, _)| i + 1)
        .collect();
    // SQL engines match names without regard to case: two columns the codebook reads
    // that differ only in case would be one there (`concerns sql` refuses them too).
    if let Some(other) = needed
        .iter()
        .find(|n| *n != c && n.to_lowercase() == c.to_lowercase())
    {
        return Err(DataError::new(
            file,
            format!(
                "the codebook reads columns '{}' and '{}', which differ only in case; SQL engines take them for one column: rename one",
                crate::text::visible(c),
                crate::text::visible(other)
            ),
        )
        .row(1)
        .column(c.clone())
        .into());
    }
    if at.len() > 1 {
        let list: Vec<String> = at.iter().map(|i| i.to_string()).collect();
        return Err(DataError::new(
            file,
            format!(
                "duplicate column name: '{c}' heads columns {}; rename all but one so the analysis knows which to read",
                list.join(" and ")
            ),
        )
        .row(1)
        .column(c.clone())
        .into());
    }
    Ok(())
}

/// The weight column in use: none, `--weight COL`, or the codebook's, which must exist.
fn weight_column(
    file: &str,
    columns: &[String],
    codebook: &Codebook,
    weight: &WeightChoice,
) -> Result<Option<String>> {
    Ok(match weight {
        WeightChoice::None => None,
        WeightChoice::Column(c) => {
            if !columns.contains(c) {
                return Err(missing_column(
                    file,
                    c,
                    columns,
                    "the weight column given by --weight",
                )
                .into());
            }
            Some(c.clone())
        }
        // A misspelt weight column must not quietly give unweighted numbers.
        WeightChoice::Codebook => match &codebook.weight {
            Some(w) if !columns.contains(w) => {
                return Err(missing_column(
                    file,
                    w,
                    columns,
                    "the codebook's weight; pass --no-weight to analyse unweighted",
                )
                .into())
            }
            w => w.clone(),
        },
    })
}

/// Whether a CSV has anything but white space after its header.
/// Whether the header ended with a carriage return alone: the file's lines end in CR only,
/// which the header's reader takes for line ends and the scanner does not.
fn cr_only(src: &Source, data_start: u64) -> bool {
    let mut around = [0u8; 2];
    let n = std::fs::File::open(&src.path)
        .and_then(|mut f| {
            f.seek(std::io::SeekFrom::Start(data_start.saturating_sub(1)))?;
            f.read(&mut around)
        })
        .unwrap_or(0);
    data_start > 0 && n >= 1 && around[0] == b'\r' && (n < 2 || around[1] != b'\n')
}

fn has_rows(src: &Source, data_start: u64) -> bool {
    let len = std::fs::metadata(&src.path).map(|m| m.len()).unwrap_or(0);
    let mut rest = vec![0u8; 4096];
    let n = std::fs::File::open(&src.path)
        .and_then(|mut f| {
            f.seek(std::io::SeekFrom::Start(data_start))?;
            f.read(&mut rest)
        })
        .unwrap_or(0);
    data_start < len && !rest[..n].iter().all(|b| b.is_ascii_whitespace())
}

pub(crate) fn missing_column(file: &str, wanted: &str, columns: &[String], why: &str) -> DataError {
    let joined = columns.iter().any(|c| c.contains(JOINED_SEPARATOR));
    let blanks = columns.iter().filter(|c| c.is_empty()).count();
    let mut hint = match crate::text::closest(wanted, columns.iter().map(String::as_str)) {
        Some(c) => format!("; did you mean '{}'?", crate::text::visible(c)),
        None => String::new(),
    };
    // SurveyMonkey's first header row is blank over the choices of a question.
    if !joined && (wanted.contains(JOINED_SEPARATOR) || blanks >= 2) {
        hint.push_str("; the header looks like SurveyMonkey's two rows (question, then choice): set [input] header_rows = 2 and column_names = \"joined\"");
    }
    DataError::new(
        file,
        format!(
            "column '{}' ({why}) is missing from the header{hint}",
            crate::text::visible(wanted)
        ),
    )
    .row(1)
    .column(wanted)
}

/// Threads for the scanner: every core.
fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// A progress bar on stderr when it is a terminal, shown once a scan has taken a second
/// (a few hundred megabytes): quick runs and pipes never see one.
struct Progress {
    bar: indicatif::ProgressBar,
    started: std::time::Instant,
    shown: std::sync::atomic::AtomicBool,
}

impl Progress {
    fn inc(&self, n: u64) {
        use std::sync::atomic::Ordering;
        self.bar.inc(n);
        if !self.shown.load(Ordering::Relaxed)
            && self.started.elapsed() >= std::time::Duration::from_secs(1)
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }
}

fn progress_bar(src: &Source, len: u64) -> Option<Progress> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len),
        indicatif::ProgressDrawTarget::hidden(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} {wide_bar} {binary_bytes}/{binary_total_bytes} {eta}",
    ) {
        bar.set_style(style);
    }
    bar.set_message(src.name.clone());
    Some(Progress {
        bar,
        started: std::time::Instant::now(),
        shown: std::sync::atomic::AtomicBool::new(false),
    })
}

/// Hands every record of the input to consumers made by `make` and returns their merge:
/// a CSV goes through the parallel scanner (one consumer per chunk), everything else
/// through one consumer in file order.
pub fn run<C: Consumer>(
    src: &Source,
    header: &Header,
    needed: &[usize],
    show_progress: bool,
    make: &(dyn Fn() -> C + Sync),
) -> Result<C> {
    Ok(read(src, header, needed, show_progress, false, make)?.0)
}

/// [`run`], with the input's digest computed by the CSV scan itself when `digest` is set
/// and the scanned file is the input as given (not a transcoded copy).
pub fn run_digested<C: Consumer>(
    src: &Source,
    header: &Header,
    needed: &[usize],
    show_progress: bool,
    make: &(dyn Fn() -> C + Sync),
) -> Result<(C, Option<scan::Digest>)> {
    let digest = src.format == Format::Csv && src.original == src.path;
    read(src, header, needed, show_progress, digest, make)
}

fn read<C: Consumer>(
    src: &Source,
    header: &Header,
    needed: &[usize],
    show_progress: bool,
    digest: bool,
    make: &(dyn Fn() -> C + Sync),
) -> Result<(C, Option<scan::Digest>)> {
    match src.format {
        Format::Csv => {
            let file = scan::CsvFile {
                path: &src.path,
                data_start: header.data_start,
                delimiter: src.delimiter,
                chunk: scan::CHUNK,
                digest,
            };
            let len = std::fs::metadata(&src.path).map(|m| m.len()).unwrap_or(0);
            let bar = if show_progress {
                progress_bar(src, len)
            } else {
                None
            };
            let total = scan::scan(&file, threads(), make, &|n| {
                if let Some(b) = &bar {
                    b.inc(n)
                }
            })
            .map_err(|e| DataError::new(&src.name, e))?;
            if let Some(b) = bar {
                b.bar.finish_and_clear();
            }
            Ok(total)
        }
        Format::Parquet => Ok((
            frame::parquet_parallel(src, header, needed, threads(), make)?,
            None,
        )),
        Format::Spss => {
            let mut c = make();
            spss::records(src, header, needed, &mut c)?;
            Ok((c, None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{digest, Source};

    fn digest_of(bytes: &[u8]) -> (String, u64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("input.csv");
        std::fs::write(&path, bytes).unwrap();
        let src = Source::open(path.to_str().unwrap(), "utf-8", None).unwrap();
        digest(&src, true).unwrap()
    }

    #[test]
    fn the_digest_is_blake3_and_quotes_are_counted() {
        // BLAKE3 of no bytes, from the BLAKE3 specification's test vectors.
        assert_eq!(
            digest_of(b"").0,
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
        // Read a block at a time (1 MiB): the same as hashing the bytes at once.
        let bytes: Vec<u8> = (0..3_000_017u32).map(|i| (i % 251) as u8).collect();
        let quotes = bytes.iter().filter(|&&b| b == b'"').count() as u64;
        assert_eq!(
            digest_of(&bytes),
            (blake3::hash(&bytes).to_hex().to_string(), quotes)
        );
    }
}
