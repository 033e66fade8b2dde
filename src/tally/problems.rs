//! Problems in the data: what a pass finds in a record, how many of each kind, and the
//! wording every command uses for them (file, row, line, column, what was expected).

use serde::Serialize;

use crate::error::{Arg, DataError, Said};
use crate::load::{Format, Header, Source};
use crate::plan::{BadValue, Plan};
use crate::results::DroppedRows;

/// What is wrong with one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// It has `fields` fields, not the header's number.
    Ragged { fields: usize },
    /// Its bytes are not UTF-8 text.
    NotUtf8,
    /// A value breaks a rule of the codebook.
    Value(BadValue),
    /// A quoted field opens in it and never closes: the rest of the file became one field.
    UnterminatedQuote,
    /// Its respondent ID was seen on an earlier row.
    DuplicateId { id: String, first_record: u64 },
}

/// One problem, located by record number (within its chunk until merged) and byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub record: u64,
    pub offset: u64,
    pub kind: ProblemKind,
}

/// Rows with each kind of problem. A row counts once per codebook rule it breaks,
/// however many of its fields break it, and once in `rows`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProblemCounts {
    by_rule: Vec<u64>,
    ragged: u64,
    not_utf8: u64,
    duplicate_id: u64,
    rows: u64,
}

impl ProblemCounts {
    pub fn new(rules: usize) -> ProblemCounts {
        ProblemCounts {
            by_rule: vec![0; rules],
            ..ProblemCounts::default()
        }
    }

    /// The counts a query returns: rows breaking each rule, and rows breaking any.
    pub fn of_rules(by_rule: Vec<u64>, rows: u64) -> ProblemCounts {
        ProblemCounts {
            by_rule,
            rows,
            ..ProblemCounts::default()
        }
    }

    /// Counts one kind of problem of a row (call [`Self::row`] once for the row).
    pub fn add(&mut self, issue: &ProblemKind) {
        match issue {
            ProblemKind::Ragged { .. } => self.ragged += 1,
            ProblemKind::NotUtf8 => self.not_utf8 += 1,
            ProblemKind::Value(v) => self.by_rule[v.rule] += 1,
            ProblemKind::DuplicateId { .. } => self.duplicate_id += 1,
            ProblemKind::UnterminatedQuote => {}
        }
    }

    /// Counts a row with at least one problem.
    pub fn row(&mut self) {
        self.rows += 1;
    }

    /// Rows with at least one problem (duplicate IDs aside: they are found after the pass).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Rows that break the codebook rule `rule`.
    pub fn rule(&self, rule: usize) -> u64 {
        self.by_rule[rule]
    }

    pub fn set_duplicate_ids(&mut self, rows: u64) {
        self.duplicate_id = rows;
    }

    /// Rows left out by `--lenient`, each once however many problems it has.
    pub fn dropped_rows(&self) -> u64 {
        self.rows + self.duplicate_id
    }

    /// Problems of every kind found in rows by the pass (duplicate IDs not included).
    pub fn in_rows(&self) -> u64 {
        self.by_rule.iter().sum::<u64>() + self.ragged + self.not_utf8
    }

    pub fn absorb(&mut self, other: &ProblemCounts) {
        for (a, b) in self.by_rule.iter_mut().zip(&other.by_rule) {
            *a += b;
        }
        self.ragged += other.ragged;
        self.not_utf8 += other.not_utf8;
        self.duplicate_id += other.duplicate_id;
        self.rows += other.rows;
    }

    /// What `--lenient` left out, per reason.
    pub fn dropped(&self, plan: &Plan) -> Vec<Dropped> {
        let mut out: Vec<Dropped> = plan
            .rules
            .iter()
            .zip(&self.by_rule)
            .filter(|(_, &rows)| rows > 0)
            .map(|(c, &rows)| Dropped {
                column: Some(c.column.clone()),
                reason: DropReason::Rule(c.expected.clone()),
                rows,
            })
            .collect();
        for (rows, reason) in [
            (self.ragged, DropReason::Ragged),
            (self.not_utf8, DropReason::NotUtf8),
            (self.duplicate_id, DropReason::DuplicateId),
        ] {
            if rows > 0 {
                out.push(Dropped {
                    column: None,
                    reason,
                    rows,
                });
            }
        }
        out
    }
}

/// Rows `--lenient` left out for one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// The column at fault, if one is.
    pub column: Option<String>,
    pub reason: DropReason,
    pub rows: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropReason {
    /// A value the rule does not allow.
    Rule(crate::plan::Expect),
    Ragged,
    NotUtf8,
    DuplicateId,
}

impl Dropped {
    /// As the results say it, in `lang`.
    pub fn in_lang(&self, lang: crate::locale::Lang) -> DroppedRows {
        let said = match &self.reason {
            DropReason::Rule(e) => said("dropped_not", vec![("expected", Arg::Said(e.said()))]),
            DropReason::Ragged => said("dropped_ragged", vec![]),
            DropReason::NotUtf8 => said("dropped_not_utf8", vec![]),
            DropReason::DuplicateId => said("dropped_duplicate_id", vec![]),
        };
        DroppedRows {
            column: self.column.clone(),
            reason: crate::locale::render(&said, lang),
            rows: self.rows,
            said: Some(said),
        }
    }
}

/// One problem as `validate` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// Spreadsheet row: the header is row 1.
    pub row: Option<u64>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
}

impl From<DataError> for Problem {
    fn from(e: DataError) -> Problem {
        Problem {
            row: e.row,
            column: e.column,
            value: None,
            message: e.message,
        }
    }
}

/// Line numbers (1-based) of byte offsets in a file, for rows that span several lines.
pub fn lines_at(src: &Source, offsets: &[u64]) -> Vec<u64> {
    let Some(&last) = offsets.iter().max() else {
        return Vec::new();
    };
    // Newlines counted a block at a time, each offset taken as the count passes it.
    let mut order: Vec<usize> = (0..offsets.len()).collect();
    order.sort_by_key(|&i| offsets[i]);
    let mut lines = vec![0u64; offsets.len()];
    let Ok(file) = std::fs::File::open(&src.path) else {
        return lines;
    };
    let (mut at, mut newlines, mut next) = (0u64, 0u64, 0usize);
    // A read error leaves the lines not reached at 0; the rows are still named.
    let _ = crate::load::each_block(file, &src.name, |block| {
        let end = at + block.len() as u64;
        while next < order.len() && offsets[order[next]] <= end {
            let upto = (offsets[order[next]] - at) as usize;
            lines[order[next]] =
                newlines + memchr::memchr_iter(b'\n', &block[..upto]).count() as u64 + 1;
            next += 1;
        }
        newlines += memchr::memchr_iter(b'\n', block).count() as u64;
        at = end;
        Ok(next < order.len() && at < last)
    });
    lines
}

/// A problem in words, located by row and column (`line` given when a row spans lines).
pub fn describe_at(
    header: &Header,
    plan: &Plan,
    found: &RowProblem,
    file: &str,
    line: Option<u64>,
) -> DataError {
    let row = header.first_row + found.record;
    let at = match line {
        Some(l) if l != row => said("err_line", vec![("line", text(l))]),
        _ => said("err_nothing", vec![]),
    };
    let at = Arg::Said(at);
    let message = match &found.kind {
        ProblemKind::Ragged { fields } => said(
            "err_ragged",
            vec![
                ("at", at),
                ("fields", text(fields)),
                ("width", text(plan.width)),
            ],
        ),
        ProblemKind::NotUtf8 => said(
            "err_not_utf8",
            vec![
                ("at", at),
                ("hint", Arg::Said(said("err_encoding_hint", vec![]))),
            ],
        ),
        ProblemKind::Value(v) => {
            let rule = &plan.rules[v.rule];
            let hint = match header_row_hint(header, plan, v, row) {
                Some(()) => Some(Arg::Said(said("err_header_row_hint", vec![]))),
                None => rule.hint.as_ref().filter(|_| v.value.is_some()).map(text),
            };
            return value_error(file, rule, v.value.as_deref(), 1, hint).row(row);
        }
        ProblemKind::UnterminatedQuote => said("err_unterminated_quote", vec![("at", at)]),
        ProblemKind::DuplicateId { id, first_record } => said(
            "err_duplicate_id",
            vec![
                ("id", text(id)),
                ("first", text(header.first_row + first_record)),
            ],
        ),
    };
    keyed(file, message).row(row)
}

/// A value that breaks `rule`, worded alike from the rows and from the sums: what was
/// expected and found (`None`: an empty value), a hint, and how many rows have such values.
pub(crate) fn value_error(
    file: &str,
    rule: &crate::plan::Rule,
    value: Option<&str>,
    rows: u64,
    hint: Option<Arg>,
) -> DataError {
    let expected = Arg::Said(rule.expected.said());
    let found = match value {
        Some(x) => said(
            "err_value",
            vec![("expected", expected), ("value", text(x))],
        ),
        None => said("err_value_empty", vec![("expected", expected)]),
    };
    let message = match hint {
        Some(hint) => said(
            "err_with_hint",
            vec![("message", Arg::Said(found)), ("hint", hint)],
        ),
        None => found,
    };
    let e = keyed(file, message).column(rule.column.clone());
    if rows > 1 {
        with_rows_like_it(e, rows)
    } else {
        e
    }
}

/// The first problem of a kind, saying how many rows have it.
pub fn with_rows_like_it(e: DataError, count: u64) -> DataError {
    let message = e
        .said
        .clone()
        .map_or_else(|| Arg::Text(e.message.clone()), Arg::Said);
    let said = said(
        "err_rows_like_it",
        vec![("message", message), ("count", text(count))],
    );
    DataError {
        message: crate::locale::render(&said, crate::locale::Lang::En),
        said: Some(said),
        ..e
    }
}

pub(crate) fn said(key: &'static str, values: Vec<(&'static str, Arg)>) -> Said {
    Said { key, values }
}

fn text(value: impl ToString) -> Arg {
    Arg::Text(value.to_string())
}

/// An error whose English is the catalogue's, so that every language says the same.
fn keyed(file: &str, message: Said) -> DataError {
    DataError::new(
        file,
        crate::locale::render(&message, crate::locale::Lang::En),
    )
    .said(message)
}

/// On the first respondent row, a value that is a column name, or text where the weight
/// should be, means a header row is being read as a respondent.
fn header_row_hint(header: &Header, plan: &Plan, v: &BadValue, row: u64) -> Option<()> {
    let value = v.value.as_deref()?;
    let first = row == header.first_row;
    let is_weight = plan.weight.is_some_and(|(_, r)| r == v.rule);
    let names_a_column = header.columns.iter().any(|c| c == value);
    (first && (names_a_column || (is_weight && value.trim().parse::<f64>().is_err()))).then_some(())
}

/// One problem as an error naming file, row (and line) and column.
pub fn describe(src: &Source, header: &Header, plan: &Plan, found: &RowProblem) -> DataError {
    let line = (src.format == Format::Csv).then(|| lines_at(src, &[found.offset])[0]);
    let e = describe_at(header, plan, found, &src.name, line);
    // A Parquet BOOLEAN reads as 1/0 unless the codebook says which codes it stands for.
    let boolean = |v: &BadValue| {
        matches!(v.value.as_deref(), Some("1" | "0")) && header.booleans == ("1".into(), "0".into())
    };
    match &found.kind {
        ProblemKind::Value(v) if src.format == Format::Parquet && boolean(v) => {
            let message = e
                .said
                .clone()
                .map_or_else(|| Arg::Text(e.message.clone()), Arg::Said);
            let hint = Arg::Said(said("err_booleans_hint", vec![]));
            let said = said("err_with_hint", vec![("message", message), ("hint", hint)]);
            DataError {
                message: crate::locale::render(&said, crate::locale::Lang::En),
                said: Some(said),
                ..e
            }
        }
        _ => e,
    }
}
