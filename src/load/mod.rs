//! Load: open the input, check its header against the codebook, and hand every record,
//! reading only the fields the analysis needs, to the pass: CSV through the parallel
//! scanner ([`scan`]), Parquet through polars ([`frame`]), SPSS through ambers ([`spss`]).

pub mod frame;
pub mod scan;
pub mod spss;

use std::io::{Read, Seek, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::codebook::{Codebook, ColumnNames, InputLayout, JOINED_SEPARATOR};
use crate::error::{DataError, UsageError};
use crate::plan::Plan;
use crate::tabulate::{repeated, Found, IdDigests, IdRows, Issue, Pass, Settings, DUPLICATE_ID};
use scan::Consumer;

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
    pub format: Format,
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
                    return Err(DataError::new(
                        input,
                        "is a directory, expected a data file (CSV, Parquet or SPSS)",
                    )
                    .into())
                }
                Ok(_) => (input.to_string(), p),
            }
        };
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
            let bytes = std::fs::read(&original)
                .map_err(|e| DataError::new(&name, format!("cannot read the file: {e}")))?;
            // `decode` follows a byte-order mark over the encoding given.
            let (text, _, _) = enc.decode(&bytes);
            let f = spool(text.as_bytes(), "the transcoded input")?;
            let p = f.path().to_path_buf();
            spools.push(f);
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

/// SHA-256 of the input as given (lowercase hex) and, for a CSV, the number of quote characters in what
/// the scanner reads: an odd number means a quoted field is never closed.
fn digest(src: &Source, count_quotes: bool) -> Result<(String, u64)> {
    let read_err =
        |e: std::io::Error| DataError::new(&src.name, format!("cannot read the file: {e}"));
    let file = std::fs::File::open(&src.original).map_err(read_err)?;
    let len = file.metadata().map_err(read_err)?.len();
    let mut hasher = Sha256::new();
    let same = src.original == src.path;
    let mut quotes = 0u64;
    // Mapped a window at a time: no copy into a buffer, and only one window resident.
    const WINDOW: u64 = 16 << 20;
    let mut at = 0;
    while at < len {
        let n = WINDOW.min(len - at);
        // Safety: the file is only read; a file changed underneath while being read gives
        // a digest of mixed bytes (as `sha256sum` would), never undefined behaviour here.
        let map = unsafe {
            memmap2::MmapOptions::new()
                .offset(at)
                .len(n as usize)
                .populate()
                .map(&file)
        }
        .map_err(read_err)?;
        hasher.update(&map[..]);
        if count_quotes && same {
            quotes += memchr::memchr_iter(b'"', &map[..]).count() as u64;
        }
        at += n;
    }
    if count_quotes && !same {
        let text = std::fs::read(&src.path).map_err(read_err)?;
        quotes = memchr::memchr_iter(b'"', &text).count() as u64;
    }
    let hex = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((hex, quotes))
}

/// The advice for text that is not UTF-8.
pub const ENCODING_HINT: &str =
    "save it as UTF-8 (CSV UTF-8), or name its encoding, e.g. --encoding windows-1251 (Cyrillic) or --encoding latin-1";

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
    /// Byte offset of the first respondent row (CSV).
    pub data_start: u64,
    /// Row number of the first respondent: header rows + 1 for a CSV, 1 otherwise.
    pub first_row: u64,
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

/// The column names of a CSV's header rows (a byte-order mark removed), and the byte
/// offset where respondent rows start.
pub fn header_columns(src: &Source, layout: &InputLayout) -> Result<(Vec<String>, u64)> {
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
    let rows = layout.header_rows.max(1);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(src.delimiter)
        .from_path(&src.path)
        .map_err(|e| DataError::new(file, format!("cannot open the file: {e}")))?;
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
        header_rows.push(fields);
    }
    let columns = match layout.column_names {
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
    };
    Ok((columns, reader.position().byte()))
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
    let mut needed = codebook.needed_columns(weight.as_deref());
    for s in segments {
        if !columns.contains(s) {
            return Err(missing_column(file, s, &columns, "the segment column of --by").into());
        }
        needed.push(s.clone());
    }
    for c in &needed {
        if !columns.contains(c) {
            return Err(missing_column(file, c, &columns, "required by the codebook").into());
        }
        let at: Vec<usize> = columns
            .iter()
            .enumerate()
            .filter(|(_, n)| *n == c)
            .map(|(i, _)| i + 1)
            .collect();
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
    }
    if src.format == Format::Csv {
        let len = std::fs::metadata(&src.path).map(|m| m.len()).unwrap_or(0);
        let mut rest = vec![0u8; 4096];
        let n = std::fs::File::open(&src.path)
            .and_then(|mut f| {
                f.seek(std::io::SeekFrom::Start(data_start))?;
                f.read(&mut rest)
            })
            .unwrap_or(0);
        if data_start >= len || rest[..n].iter().all(|b| b.is_ascii_whitespace()) {
            return Err(
                DataError::new(file, "the file has a header but no respondent rows")
                    .row(first_row - 1)
                    .into(),
            );
        }
    }
    Ok(Header {
        columns,
        weight,
        data_start,
        first_row,
    })
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

/// How records are read from a CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// The parallel scanner for CSV; polars for Parquet; ambers for SPSS.
    #[default]
    Auto,
    /// Polars' CSV reader, to cross-check the scanner.
    Polars,
}

/// The outcome of reading an input once.
pub struct Outcome<'p> {
    pub pass: Pass<'p>,
    pub sha256: String,
    /// A quoted field opens on the file's last record and never closes (CSV only).
    pub unterminated: Option<Found>,
    /// Every row whose respondent ID appeared on an earlier row.
    pub duplicates: Vec<Found>,
}

/// Runs one pass of `plan` over the input, hashing it alongside, then names the rows of
/// any repeated respondent ID (a second, narrow pass, only when there are some).
pub fn read<'p>(
    src: &Source,
    header: &Header,
    plan: &'p Plan,
    settings: &'p Settings,
    engine: Engine,
) -> Result<Outcome<'p>> {
    let (pass, sha) = std::thread::scope(|s| {
        let hash = s.spawn(|| digest(src, src.format == Format::Csv));
        let pass = run(src, header, plan, engine, true, &|| {
            Pass::new(plan, settings)
        });
        let sha = hash
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("reading the input failed")));
        (pass, sha)
    });
    let mut pass = pass?;
    let (sha256, quotes) = sha?;
    let unterminated = match pass.last_record {
        Some((record, offset)) if !quotes.is_multiple_of(2) => Some(Found {
            record,
            offset,
            issue: Issue::UnterminatedQuote,
        }),
        _ => None,
    };
    let repeated = match pass.repeated_ids() {
        Some(r) => r,
        None => {
            let mut all = run(src, header, plan, engine, false, &|| IdDigests::new(plan))?.digests;
            repeated(&mut all)
        }
    };
    let duplicates = if repeated.is_empty() {
        Vec::new()
    } else {
        run(src, header, plan, engine, false, &|| {
            IdRows::new(plan, &repeated)
        })?
        .later_occurrences()
    };
    pass.problem_counts[plan.checks.len() + DUPLICATE_ID] = duplicates.len() as u64;
    Ok(Outcome {
        pass,
        sha256,
        unterminated,
        duplicates,
    })
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
    plan: &Plan,
    engine: Engine,
    show_progress: bool,
    make: &(dyn Fn() -> C + Sync),
) -> Result<C> {
    let fail = |e: anyhow::Error| -> anyhow::Error {
        if e.is::<DataError>() {
            e
        } else {
            DataError::new(&src.name, format!("{e:#}")).into()
        }
    };
    let needed = needed_positions(plan, header.columns.len());
    match (src.format, engine) {
        (Format::Csv, Engine::Auto) => {
            let file = scan::CsvFile {
                path: &src.path,
                data_start: header.data_start,
                delimiter: src.delimiter,
                chunk: scan::CHUNK,
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
            .map_err(fail)?;
            if let Some(b) = bar {
                b.bar.finish_and_clear();
            }
            Ok(total)
        }
        (Format::Csv, Engine::Polars) => {
            let mut c = make();
            frame::polars_csv(src, header, &needed, &mut c).map_err(fail)?;
            Ok(c)
        }
        (Format::Parquet, _) => {
            let mut c = make();
            frame::parquet(src, header, &needed, &mut c).map_err(fail)?;
            Ok(c)
        }
        (Format::Spss, _) => {
            let mut c = make();
            spss::records(src, header, &needed, &mut c).map_err(fail)?;
            Ok(c)
        }
    }
}

/// Header positions the plan reads, in ascending order.
fn needed_positions(plan: &Plan, width: usize) -> Vec<usize> {
    let mut v: Vec<usize> = plan.columns().into_iter().filter(|&c| c < width).collect();
    v.sort_unstable();
    v.dedup();
    v
}
