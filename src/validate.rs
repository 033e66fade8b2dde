//! `concerns validate`: every problem the analysis would stop at, not only the first; and
//! the wording of problems for every command.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::codebook::{Codebook, Segment};
use crate::error::{DataError, Error, Result};
use crate::load::record::{Consumer, Fields};
use crate::load::{
    header_columns, missing_column, schema_columns, Format, Header, Source, WeightChoice,
};
use crate::pipeline::{open_source, Options, Prepared};
use crate::plan::Plan;
use crate::tally::pass::Settings;
use crate::tally::problems::{describe_at, lines_at, Problem, ProblemKind, RowProblem};
use crate::text::thousands;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    pub file: String,
    pub rows: u64,
    pub valid: bool,
    /// Problems found; only the first `listed` carry a location when there are very many.
    pub problems: Vec<Problem>,
    /// Problems found beyond those listed (see `--max-problems`).
    pub unlisted: u64,
    /// With `--where`: the expression, and how many of the respondents the screener kept
    /// (valid rows only) it matches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<FilterCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilterCount {
    pub expression: String,
    pub matching: u64,
    pub eligible: u64,
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
                said: None,
            };
            out.push_str(&crate::text::visible(&e.to_string()));
            out.push('\n');
        }
        if self.unlisted > 0 {
            out.push_str(&format!(
                "{}: … and {} more problems (raise --max-problems to list them)\n",
                self.file,
                thousands(self.unlisted)
            ));
        }
        if self.valid {
            out.push_str(&format!(
                "{}: valid ({} respondents, no problems)\n",
                self.file,
                thousands(self.rows)
            ));
        } else {
            let rows: std::collections::BTreeSet<u64> =
                self.problems.iter().filter_map(|p| p.row).collect();
            let total = self.problems.len() as u64 + self.unlisted;
            // Problems of the design as a whole have no row.
            let within = if rows.is_empty() {
                String::new()
            } else {
                format!(
                    " in {}{} row{}",
                    if self.unlisted > 0 { "at least " } else { "" },
                    rows.len(),
                    if rows.len() == 1 { "" } else { "s" }
                )
            };
            out.push_str(&format!(
                "{}: NOT valid: {} problem{}{within}\n",
                self.file,
                thousands(total),
                if total == 1 { "" } else { "s" },
            ));
        }
        if let Some(f) = &self.filter {
            out.push_str(&format!(
                "{}: filter “{}” matches {} of the {} respondents the screener kept\n",
                self.file,
                crate::text::visible(&f.expression),
                thousands(f.matching),
                thousands(f.eligible)
            ));
        }
        out
    }
}

/// Rows broken in themselves (ragged, not UTF-8), for when the header is broken too.
struct Structure {
    width: usize,
    max: usize,
    problems: Vec<RowProblem>,
}

impl Structure {
    fn new(width: usize, max: usize) -> Structure {
        Structure {
            width,
            max,
            problems: Vec::new(),
        }
    }
}

impl Consumer for Structure {
    fn record<F: Fields>(&mut self, rec: &F, offset: u64, index: u64) {
        let kind = if rec.len() != self.width {
            ProblemKind::Ragged { fields: rec.len() }
        } else if !rec.is_utf8() {
            ProblemKind::NotUtf8
        } else {
            return;
        };
        if self.problems.len() < self.max {
            self.problems.push(RowProblem {
                record: index,
                offset,
                kind,
            });
        }
    }

    fn absorb(&mut self, next: Self, before: u64) {
        for mut f in next.problems {
            if self.problems.len() < self.max {
                f.record += before;
                self.problems.push(f);
            }
        }
    }
}

/// Checks `input` against `codebook` as `table --by` every segment would: header,
/// structure, codes, segment values, weights, IDs, exclusion; lists up to `max_problems`
/// problems with their location.
pub fn validate(
    input: &str,
    codebook: &Codebook,
    opts: &Options,
    max_problems: usize,
) -> Result<Validation> {
    let codebook = &opts.with_design(codebook);
    let src = open_source(input, codebook, opts)?;
    let file = src.name.clone();
    let finish = |mut problems: Vec<Problem>, rows: u64, unlisted: u64| {
        // Header problems are limited as row problems are.
        let unlisted = unlisted + problems.len().saturating_sub(max_problems) as u64;
        problems.truncate(max_problems);
        Validation {
            file: file.clone(),
            rows,
            valid: problems.is_empty() && unlisted == 0,
            problems,
            unlisted,
            filter: None,
        }
    };
    let columns = match header_problems(&src, codebook, opts, max_problems) {
        Err(Error::Data(d)) => return Ok(finish(vec![d.into()], 0, 0)),
        Err(e) => return Err(e),
        Ok(Err(problems)) => return Ok(finish(problems, 0, 0)),
        Ok(Ok(columns)) => columns,
    };
    // Every segment in the file is tabulated and checked, as with `--by`.
    let segments: Vec<&Segment> = codebook
        .segments
        .iter()
        .filter(|s| columns.contains(&s.column))
        .collect();
    let prepared = match Prepared::new(
        codebook,
        src,
        &opts.weight,
        segments.clone(),
        (&segments, opts.filter.as_deref()),
    ) {
        Ok(p) => p,
        Err(Error::Data(d)) => return Ok(finish(vec![d.into()], 0, 0)),
        Err(e) => return Err(e),
    };
    let found = row_problems(&prepared, max_problems)?;
    let mut v = finish(found.problems, found.rows, found.unlisted);
    v.filter = opts.filter.as_ref().map(|f| FilterCount {
        expression: f.trim().to_string(),
        matching: found.matching,
        eligible: found.eligible,
    });
    Ok(v)
}

/// The header's columns, or every column the codebook needs that it lacks (segments
/// included), with the rows that are broken in themselves.
fn header_problems(
    src: &Source,
    codebook: &Codebook,
    opts: &Options,
    max_problems: usize,
) -> Result<Result<Vec<String>, Vec<Problem>>> {
    let columns = match src.format {
        Format::Csv => header_columns(src, &codebook.input)?.0,
        _ => schema_columns(src)?,
    };
    let weight_col = match &opts.weight {
        WeightChoice::None => None,
        WeightChoice::Column(c) => Some(c.clone()),
        WeightChoice::Codebook => codebook.weight.clone(),
    };
    let mut missing: Vec<Problem> = codebook
        .needed_columns(weight_col.as_deref())
        .iter()
        .filter(|c| !columns.contains(c))
        .map(|c| missing_column(&src.name, c, &columns, "required by the codebook").into())
        .collect();
    missing.extend(
        codebook
            .segments
            .iter()
            .filter(|s| !columns.contains(&s.column))
            .map(|s| {
                let why = format!("segment '{}' of the codebook", s.id);
                missing_column(&src.name, &s.column, &columns, &why).into()
            }),
    );
    if missing.is_empty() {
        return Ok(Ok(columns));
    }
    // The header is broken; still list the rows that are broken in themselves.
    let mut problems = missing;
    if src.format == Format::Csv {
        let (_, data_start) = header_columns(src, &codebook.input)?;
        let header = Header {
            columns: columns.clone(),
            weight: None,
            data_start,
            first_row: codebook.header_rows() as u64 + 1,
            booleans: ("1".into(), "0".into()),
        };
        let plan = Plan::structure(columns.len());
        let found = crate::load::run(src, &header, &[], false, &|| {
            Structure::new(columns.len(), max_problems)
        })?;
        let lines = lines_at(
            src,
            &found.problems.iter().map(|f| f.offset).collect::<Vec<_>>(),
        );
        for (f, line) in found.problems.iter().zip(lines) {
            problems.push(describe_at(&header, &plan, f, &src.name, Some(line)).into());
        }
        problems.sort_by_key(|p| p.row.unwrap_or(0));
    }
    Ok(Err(problems))
}

/// Every problem in the rows: listed up to `max_problems`, all counted.
/// What the rows hold: problems (listed, and found beyond), records, and the valid
/// respondents within the filter out of those the screener kept.
struct RowProblems {
    problems: Vec<Problem>,
    rows: u64,
    unlisted: u64,
    matching: u64,
    eligible: u64,
}

fn row_problems(prepared: &Prepared, max_problems: usize) -> Result<RowProblems> {
    let settings = Settings {
        max_problems,
        skip: Default::default(),
    };
    let mut read = prepared.read(&settings)?;
    let (src, header, plan) = (&prepared.src, &prepared.header, &prepared.plan);
    let pass = &mut read.pass;
    let mut found: Vec<&RowProblem> = pass.problems().iter().collect();
    let mut merged = 0;
    if let Some(u) = &read.unterminated {
        // The ragged row it makes is the same problem.
        let before = found.len();
        found.retain(|f| f.record != u.record);
        merged = (before - found.len()) as u64;
        found.push(u);
    }
    let repeats = repeated_ids(prepared, &read.duplicates);
    let lines = if src.format == Format::Csv {
        lines_at(src, &found.iter().map(|f| f.offset).collect::<Vec<_>>())
    } else {
        vec![0; found.len()]
    };
    let mut problems: Vec<Problem> = found
        .iter()
        .zip(&lines)
        .map(|(f, &line)| {
            let line = (src.format == Format::Csv).then_some(line);
            let mut p = Problem::from(describe_at(header, plan, f, &src.name, line));
            if let ProblemKind::Value(v) = &f.kind {
                p.value = v.value.clone();
            }
            p
        })
        .chain(repeats.iter().cloned())
        .take(max_problems)
        .collect();
    let total_found =
        pass.counts().in_rows() + repeats.len() as u64 + read.unterminated.is_some() as u64
            - merged;
    let unlisted = total_found.saturating_sub(problems.len() as u64);
    let rows = pass.records();
    let tab = pass.finish(&prepared.codebook.question_ids());
    let eligible = rows.saturating_sub(tab.excluded + pass.counts().rows());
    // A design that cannot give a variance (a lonely PSU, a varying fpc) is a problem too.
    if problems.len() < max_problems {
        let design = tab.design;
        if let Some(Err(p)) = design.map(|d| d.strata_factors()) {
            let d = &prepared.codebook.design;
            let column = match p.on {
                crate::tally::design::On::Strata => d.strata.clone(),
                crate::tally::design::On::Psu => d.psu.clone(),
                crate::tally::design::On::Fpc => d.fpc.clone(),
            };
            problems.push(Problem {
                row: None,
                column,
                value: None,
                message: p.message,
            });
        }
    }
    if problems.is_empty() {
        if let Some(e) = prepared.all_excluded(rows, pass.excluded(), pass.counts().rows()) {
            problems.push(Problem {
                row: None,
                ..e.into()
            });
        }
    }
    problems.sort_by_key(|p| p.row.unwrap_or(0));
    Ok(RowProblems {
        problems,
        rows,
        unlisted,
        matching: eligible.saturating_sub(tab.filtered),
        eligible,
    })
}

/// One problem per repeated respondent ID, at its first row, listing every row it is on.
fn repeated_ids(prepared: &Prepared, duplicates: &[RowProblem]) -> Vec<Problem> {
    let first_row = prepared.header.first_row;
    let mut repeats: BTreeMap<&str, (u64, Vec<u64>)> = BTreeMap::new();
    for f in duplicates {
        if let ProblemKind::DuplicateId { id, first_record } = &f.kind {
            let e = repeats
                .entry(id.as_str())
                .or_insert((*first_record, vec![first_row + first_record]));
            e.1.push(first_row + f.record);
        }
    }
    let mut repeats: Vec<(&str, u64, Vec<u64>)> = repeats
        .into_iter()
        .map(|(id, (first, rows))| (id, first, rows))
        .collect();
    repeats.sort_by_key(|(_, first, _)| *first);
    repeats
        .iter()
        .map(|(id, first, rows)| {
            let list: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
            Problem {
                row: Some(first_row + first),
                column: prepared.codebook.respondent_id.clone(),
                value: Some(id.to_string()),
                message: format!(
                    "duplicate respondent ID '{id}': it appears on {} rows ({})",
                    rows.len(),
                    list.join(", ")
                ),
            }
        })
        .collect()
}
