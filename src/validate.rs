//! `concerns validate`: every problem the analysis would stop at, not only the first; and
//! the wording of problems for every command.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use crate::analysis::{open_source, Options};
use crate::codebook::Codebook;
use crate::error::DataError;
use crate::load::{
    check_header, missing_column, read, schema_columns, Format, Header, Source, ENCODING_HINT,
};
use crate::plan::Plan;
use crate::tabulate::{Dropped, Found, Issue, Pass, Settings, DUPLICATE_ID, NOT_UTF8, RAGGED};

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// Spreadsheet row: the header is row 1.
    pub row: Option<u64>,
    pub column: Option<String>,
    pub value: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    pub file: String,
    pub rows: u64,
    pub valid: bool,
    /// Problems found; only the first `listed` carry a location when there are very many.
    pub problems: Vec<Problem>,
    /// Problems found beyond those listed (see `--max-problems`).
    pub unlisted: u64,
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

impl Validation {
    /// One line per problem, then the verdict.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for p in &self.problems {
            let e = DataError {
                file: self.file.clone(),
                row: p.row,
                column: p.column.clone(),
                message: p.message.clone(),
            };
            out.push_str(&crate::text::visible(&e.to_string()));
            out.push('\n');
        }
        if self.unlisted > 0 {
            out.push_str(&format!(
                "{}: … and {} more problems (raise --max-problems to list them)\n",
                self.file,
                crate::export::thousands(self.unlisted)
            ));
        }
        if self.valid {
            out.push_str(&format!(
                "{}: valid ({} respondents, no problems)\n",
                self.file,
                crate::export::thousands(self.rows)
            ));
        } else {
            let rows: std::collections::BTreeSet<u64> =
                self.problems.iter().filter_map(|p| p.row).collect();
            let total = self.problems.len() as u64 + self.unlisted;
            out.push_str(&format!(
                "{}: NOT valid: {} problem{} in {}{} row{}\n",
                self.file,
                crate::export::thousands(total),
                if total == 1 { "" } else { "s" },
                if self.unlisted > 0 { "at least " } else { "" },
                rows.len(),
                if rows.len() == 1 { "" } else { "s" }
            ));
        }
        out
    }
}

/// Line numbers (1-based) of byte offsets in a file, for rows that span several lines.
fn lines_at(src: &Source, offsets: &[u64]) -> Vec<u64> {
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

/// The row of a record, as the user sees it.
fn row_of(header: &Header, found: &Found) -> u64 {
    header.first_row + found.record
}

/// A problem in words, located by row and column (`line` given when a row spans lines).
fn describe_at(
    header: &Header,
    plan: &Plan,
    found: &Found,
    file: &str,
    line: Option<u64>,
) -> DataError {
    let row = row_of(header, found);
    let at = match line {
        Some(l) if l != row => format!(" (line {l})"),
        _ => String::new(),
    };
    match &found.issue {
        Issue::Ragged { fields } => DataError::new(
            file,
            format!(
                "ragged row{at}: it has {fields} fields but the header has {}",
                plan.width
            ),
        )
        .row(row),
        Issue::NotUtf8 => DataError::new(
            file,
            format!("the row{at} is not UTF-8 text; {ENCODING_HINT}"),
        )
        .row(row),
        Issue::Check(v) => {
            let check = &plan.checks[v.check];
            let found = match &v.value {
                Some(x) => format!("found '{x}'"),
                None => "found an empty value".to_string(),
            };
            DataError::new(file, format!("expected {}, {found}", check.expected))
                .row(row)
                .column(check.column.clone())
        }
        Issue::UnterminatedQuote => DataError::new(
            file,
            format!(
                "unterminated quote: a quoted field opens on this row{at} and its closing quote is never found, so the rest of the file was read as one field"
            ),
        )
        .row(row),
        Issue::DuplicateId { id, first_record } => DataError::new(
            file,
            format!(
                "duplicate respondent ID '{id}': first on row {}",
                header.first_row + first_record
            ),
        )
        .row(row),
    }
}

/// One problem as an error naming file, row (and line) and column.
pub fn describe(src: &Source, header: &Header, plan: &Plan, found: &Found) -> DataError {
    let line = (src.format == Format::Csv).then(|| lines_at(src, &[found.offset])[0]);
    describe_at(header, plan, found, &src.name, line)
}

/// What `--lenient` left out, per reason.
pub fn dropped(plan: &Plan, pass: &Pass) -> Vec<Dropped> {
    let n = plan.checks.len();
    let mut out: Vec<Dropped> = plan
        .checks
        .iter()
        .zip(&pass.problem_counts)
        .filter(|(_, &rows)| rows > 0)
        .map(|(c, &rows)| Dropped {
            column: Some(c.column.clone()),
            reason: format!("not {}", c.expected),
            rows,
        })
        .collect();
    for (k, reason) in [
        (RAGGED, "ragged row (wrong number of fields)"),
        (NOT_UTF8, "not UTF-8 text"),
        (DUPLICATE_ID, "repeats an earlier row's respondent ID"),
    ] {
        if pass.problem_counts[n + k] > 0 {
            out.push(Dropped {
                column: None,
                reason: reason.into(),
                rows: pass.problem_counts[n + k],
            });
        }
    }
    out
}

/// Rows broken in themselves (ragged, not UTF-8), for when the header is broken too.
struct Structure {
    width: usize,
    max: usize,
    found: Vec<Found>,
}

impl Structure {
    fn new(width: usize, max: usize) -> Structure {
        Structure {
            width,
            max,
            found: Vec::new(),
        }
    }
}

impl crate::load::scan::Consumer for Structure {
    fn record<F: crate::plan::Fields>(&mut self, rec: &F, offset: u64, index: u64) {
        let issue = if rec.len() != self.width {
            Issue::Ragged { fields: rec.len() }
        } else if !rec.is_utf8() {
            Issue::NotUtf8
        } else {
            return;
        };
        if self.found.len() < self.max {
            self.found.push(Found {
                record: index,
                offset,
                issue,
            });
        }
    }

    fn absorb(&mut self, next: Self, before: u64) {
        for mut f in next.found {
            if self.found.len() < self.max {
                f.record += before;
                self.found.push(f);
            }
        }
    }
}

/// Checks `input` against `codebook`: header, structure, codes, weights, IDs, exclusion;
/// lists up to `max_problems` problems with their location.
pub fn validate(
    input: &str,
    codebook: &Codebook,
    opts: &Options,
    max_problems: usize,
) -> Result<Validation> {
    let src = open_source(input, codebook, opts)?;
    let file = src.name.clone();
    let finish = |problems: Vec<Problem>, rows: u64, unlisted: u64| Validation {
        file: file.clone(),
        rows,
        valid: problems.is_empty() && unlisted == 0,
        problems,
        unlisted,
    };
    let as_problem = |e: anyhow::Error| -> Result<Validation> {
        match e.downcast::<DataError>() {
            Ok(d) => Ok(finish(vec![d.into()], 0, 0)),
            Err(e) => Err(e),
        }
    };
    // Every missing column at once, before the first-problem header check.
    let columns = match src.format {
        Format::Csv => crate::load::header_columns(&src, &codebook.input).map(|c| c.0),
        _ => schema_columns(&src),
    };
    let columns = match columns {
        Ok(c) => c,
        Err(e) => return as_problem(e),
    };
    let weight_col = match &opts.weight {
        crate::load::WeightChoice::None => None,
        crate::load::WeightChoice::Column(c) => Some(c.clone()),
        crate::load::WeightChoice::Codebook => codebook.weight.clone(),
    };
    let missing: Vec<Problem> = codebook
        .needed_columns(weight_col.as_deref())
        .iter()
        .filter(|c| !columns.contains(c))
        .map(|c| missing_column(&file, c, &columns, "required by the codebook").into())
        .collect();
    if !missing.is_empty() {
        // The header is broken; still list the rows that are broken in themselves.
        let mut problems = missing;
        if src.format == Format::Csv {
            let (_, data_start) = crate::load::header_columns(&src, &codebook.input)?;
            let header = Header {
                columns: columns.clone(),
                weight: None,
                data_start,
                first_row: codebook.header_rows() as u64 + 1,
            };
            let plan = Plan::new(codebook, &columns, None, &[], &[]);
            let found = crate::load::run(&src, &header, &plan, false, &|| {
                Structure::new(columns.len(), max_problems)
            })?;
            let lines = lines_at(
                &src,
                &found.found.iter().map(|f| f.offset).collect::<Vec<_>>(),
            );
            for (f, line) in found.found.iter().zip(lines) {
                problems.push(describe_at(&header, &plan, f, &file, Some(line)).into());
            }
            problems.sort_by_key(|p| p.row.unwrap_or(0));
        }
        return Ok(finish(problems, 0, 0));
    }
    let header = match check_header(&src, codebook, &opts.weight, &[]) {
        Ok(h) => h,
        Err(e) => return as_problem(e),
    };
    // Every segment that lists its values and is in the file is checked.
    let segments: Vec<&crate::codebook::Segment> = codebook.segments.iter().collect();
    let plan = Plan::new(
        codebook,
        &header.columns,
        header.weight.as_deref(),
        &[],
        &segments,
    );
    let settings = Settings {
        lenient: true,
        max_problems,
        skip: Default::default(),
    };
    let read = read(&src, &header, &plan, &settings)?;
    src.unchanged()?;
    let pass = read.pass;
    let mut found: Vec<&Found> = pass.problems.iter().collect();
    let mut merged = 0;
    if let Some(u) = &read.unterminated {
        // The ragged row it makes is the same problem.
        let before = found.len();
        found.retain(|f| f.record != u.record);
        merged = (before - found.len()) as u64;
        found.push(u);
    }
    // One line per repeated ID, at its first row, listing every row it is on.
    let mut repeats: BTreeMap<&str, (u64, Vec<u64>)> = BTreeMap::new();
    for f in &read.duplicates {
        if let Issue::DuplicateId { id, first_record } = &f.issue {
            let e = repeats
                .entry(id.as_str())
                .or_insert((*first_record, vec![header.first_row + first_record]));
            e.1.push(header.first_row + f.record);
        }
    }
    let mut repeat_found: Vec<(&str, u64, Vec<u64>)> = repeats
        .into_iter()
        .map(|(id, (first, rows))| (id, first, rows))
        .collect();
    repeat_found.sort_by_key(|(_, first, _)| *first);
    let duplicate_problems: Vec<Problem> = repeat_found
        .iter()
        .map(|(id, first, rows)| {
            let list: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
            Problem {
                row: Some(header.first_row + first),
                column: codebook.respondent_id.clone(),
                value: Some(id.to_string()),
                message: format!(
                    "duplicate respondent ID '{id}': it appears on {} rows ({})",
                    rows.len(),
                    list.join(", ")
                ),
            }
        })
        .collect();
    let lines = if src.format == Format::Csv {
        lines_at(&src, &found.iter().map(|f| f.offset).collect::<Vec<_>>())
    } else {
        vec![0; found.len()]
    };
    let mut problems: Vec<Problem> = found
        .iter()
        .zip(&lines)
        .map(|(f, &line)| {
            let line = (src.format == Format::Csv).then_some(line);
            let mut p = Problem::from(describe_at(&header, &plan, f, &file, line));
            if let Issue::Check(v) = &f.issue {
                p.value = v.value.clone();
            }
            p
        })
        .chain(duplicate_problems)
        .take(max_problems)
        .collect();
    let total_found = pass
        .problem_counts
        .iter()
        .take(plan.checks.len() + DUPLICATE_ID)
        .sum::<u64>()
        + repeat_found.len() as u64
        + read.unterminated.is_some() as u64
        - merged;
    let unlisted = total_found.saturating_sub(problems.len() as u64);
    let rows = pass.records;
    let kept = rows - pass.problem_rows - pass.excluded_by.iter().sum::<u64>();
    if rows > 0 && kept == 0 && problems.is_empty() {
        problems.push(Problem {
            row: None,
            column: codebook.exclude.first().map(|e| e.column.clone()),
            value: None,
            message: format!(
                "all {rows} respondents are excluded by the screener; nothing is left to tabulate"
            ),
        });
    }
    problems.sort_by_key(|p| p.row.unwrap_or(0));
    Ok(finish(problems, rows, unlisted))
}
