//! One read of a CSV export: its layout (Qualtrics, SurveyMonkey, plain), the question
//! text over each column, and a profile of every column's values.

use std::collections::HashMap;
use std::io::{Read, Seek};

use crate::codebook::{ColumnNames, InputLayout, JOINED_SEPARATOR};
use crate::error::{IoContext, Result};
use crate::load::{header_columns, Source};

/// Distinct values kept per column; more means free text, numbers or IDs.
pub(crate) const MAX_CODES: usize = 15;
/// Distinct pieces of a joined "check all" column kept; more means free text.
pub(crate) const MAX_PIECES: usize = 60;
/// Columns profiled at most: a draft holds at most 200 questions, and an export of a
/// hundred thousand columns must not take gigabytes to draft.
pub(crate) const MAX_PROFILED: usize = 5_000;
/// Values remembered in all to tell a column of unique values (an ID), shared by the
/// columns: a column unique over its first share is taken as unique.
const MAX_SEEN: usize = 4_000_000;

/// What one column holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct Profile {
    /// Distinct non-empty values with their counts, in the order first seen (up to
    /// [`MAX_CODES`]); `too_many` once there are more.
    pub values: Vec<(String, u64)>,
    pub too_many: bool,
    /// Every non-empty value is a number.
    pub numeric: bool,
    /// Every number is whole; their least and greatest, and their sum.
    pub integers: bool,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    /// Every non-empty value is a whole number of at most 3 digits: an answer code.
    pub codes: bool,
    /// No non-empty value repeats.
    pub unique: bool,
    /// Non-empty cells.
    pub filled: u64,
    /// Cells holding more than one comma-separated piece.
    pub joined: u64,
    /// The pieces of the cells split at commas, with their counts, first seen first.
    pub pieces: Vec<(String, u64)>,
    /// Times piece `a` came right before piece `b` in a cell.
    pub follows: HashMap<(usize, usize), u64>,
    /// Pieces after a comma that started with a space (Google Forms joins with ", ").
    pub spaced: u64,
    pub unspaced: u64,
    seen: std::collections::HashSet<u64>,
    /// Values `seen` may hold.
    seen_most: usize,
}

impl Profile {
    fn new(seen_most: usize) -> Profile {
        Profile {
            numeric: true,
            codes: true,
            unique: true,
            integers: true,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            seen_most,
            ..Profile::default()
        }
    }

    fn add(&mut self, field: &str) {
        if field.is_empty() {
            return;
        }
        self.filled += 1;
        match field.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => {
                self.integers &= x.fract() == 0.0;
                self.min = self.min.min(x);
                self.max = self.max.max(x);
                self.sum += x;
            }
            _ => self.numeric = false,
        }
        self.codes &= field.len() <= 3 && field.bytes().all(|b| b.is_ascii_digit());
        if self.unique
            && self.seen.len() < self.seen_most
            && !self
                .seen
                .insert(xxhash_rust::xxh3::xxh3_64(field.as_bytes()))
        {
            self.unique = false;
            self.seen = Default::default();
        }
        if !self.too_many {
            match self.values.iter().position(|(v, _)| v == field) {
                Some(at) => self.values[at].1 += 1,
                None if self.values.len() < MAX_CODES => self.values.push((field.to_string(), 1)),
                None => {
                    self.too_many = true;
                    self.values = Vec::new();
                }
            }
        }
        self.add_pieces(field);
    }

    fn add_pieces(&mut self, field: &str) {
        if self.pieces.len() > MAX_PIECES {
            return;
        }
        let mut previous: Option<usize> = None;
        let mut n = 0;
        for (k, raw) in field.split(',').enumerate() {
            if k > 0 {
                if raw.starts_with(' ') {
                    self.spaced += 1;
                } else {
                    self.unspaced += 1;
                }
            }
            let piece = raw.trim();
            if piece.is_empty() {
                continue;
            }
            n += 1;
            let at = match self.pieces.iter().position(|(p, _)| p == piece) {
                Some(at) => at,
                None => {
                    self.pieces.push((piece.to_string(), 0));
                    self.pieces.len() - 1
                }
            };
            self.pieces[at].1 += 1;
            if let Some(before) = previous {
                *self.follows.entry((before, at)).or_default() += 1;
            }
            previous = Some(at);
        }
        self.joined += (n > 1) as u64;
    }

    /// The only value, when every filled cell holds the same one.
    pub(crate) fn constant(&self) -> bool {
        !self.too_many && self.values.len() <= 1
    }

    /// Numbers that measure rather than code an answer: fractions, negative numbers, more
    /// distinct values than a 0–10 scale has, or values past two digits (a score, a count,
    /// a percentage, an amount).
    pub(crate) fn measurement(&self) -> bool {
        self.numeric
            && self.filled > 0
            && (!self.integers
                || self.min < 0.0
                || self.too_many
                || self.values.len() > 11
                || self.max > 99.0)
    }

    /// The mean of the numbers.
    pub(crate) fn mean(&self) -> f64 {
        self.sum / self.filled.max(1) as f64
    }
}

/// An export read once: layout, names, question texts and profiles.
pub(crate) struct Export {
    pub layout: InputLayout,
    pub columns: Vec<String>,
    /// The question as asked, per column (Qualtrics' second row, SurveyMonkey's first),
    /// else empty.
    pub texts: Vec<String>,
    pub profiles: Vec<Profile>,
    /// Respondent rows read.
    pub rows: u64,
}

impl Export {
    pub(crate) fn read(src: &Source) -> Result<Export> {
        let (layout, texts) = detect_layout(src);
        let (columns, start) = header_columns(src, &layout)?;
        let mut file = std::fs::File::open(&src.path).io(|| format!("cannot read {}", src.name))?;
        file.seek(std::io::SeekFrom::Start(start))
            .io(|| format!("cannot read {}", src.name))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(src.delimiter)
            .from_reader(file.take(crate::load::MAX_SPOOL));
        let profiled = columns.len().min(MAX_PROFILED);
        let seen_most = (MAX_SEEN / profiled.max(1)).max(1_000);
        let mut profiles: Vec<Profile> = (0..profiled).map(|_| Profile::new(seen_most)).collect();
        let mut record = csv::StringRecord::new();
        let mut rows = 0u64;
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => rows += 1,
                Ok(false) => break,
                // A row that is not text or not CSV: `validate` names it; the guess uses the rest.
                Err(_) => continue,
            }
            for (p, field) in profiles.iter_mut().zip(record.iter()) {
                p.add(field);
            }
        }
        let texts = match layout.column_names {
            ColumnNames::Joined => columns
                .iter()
                .map(|c| c.split(JOINED_SEPARATOR).next().unwrap_or(c).to_string())
                .collect(),
            ColumnNames::FirstRow => texts,
        };
        Ok(Export {
            layout,
            columns,
            texts,
            profiles,
            rows,
        })
    }

    /// The question text over column `i`, else its name.
    pub(crate) fn text(&self, i: usize) -> &str {
        match self.texts.get(i) {
            Some(t) if !t.is_empty() => t,
            _ => &self.columns[i],
        }
    }
}

/// The export layout, from the first rows: Qualtrics' third row of ImportId JSON, or
/// SurveyMonkey's second row of choice texts ("Response" over single-choice columns).
/// Also returns Qualtrics' question texts by column.
fn detect_layout(src: &Source) -> (InputLayout, Vec<String>) {
    let Ok(file) = std::fs::File::open(&src.path) else {
        return (InputLayout::default(), Vec::new());
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(src.delimiter)
        .from_reader(file.take(3 * crate::load::MAX_RECORD));
    let rows: Vec<csv::StringRecord> = reader.records().take(3).flatten().collect();
    let filled = |r: &csv::StringRecord| r.iter().filter(|f| !f.is_empty()).count();
    if let Some(third) = rows.get(2) {
        let imports = third.iter().filter(|f| f.contains("\"ImportId\"")).count();
        if imports > 0 && imports * 2 >= filled(third) {
            let texts = rows[1]
                .iter()
                .map(|t| qualtrics_text(t).to_string())
                .collect();
            let layout = InputLayout {
                header_rows: 3,
                ..InputLayout::default()
            };
            return (layout, texts);
        }
    }
    if let (Some(first), Some(second)) = (rows.first(), rows.get(1)) {
        let spans = first.iter().any(|f| f.is_empty());
        if spans && second.iter().any(|f| f == "Response") {
            let layout = InputLayout {
                header_rows: 2,
                column_names: ColumnNames::Joined,
                ..InputLayout::default()
            };
            return (layout, Vec::new());
        }
    }
    (InputLayout::default(), Vec::new())
}

/// A Qualtrics question text without the export's suffixes and instructions.
fn qualtrics_text(t: &str) -> &str {
    let t = t.trim_end_matches(" - Selected Choice");
    let t = t.split(" - ").next().unwrap_or(t).trim();
    match t.find("? ") {
        // "…service? Select all that apply." keeps the question.
        Some(i) => &t[..=i],
        None => t,
    }
}
