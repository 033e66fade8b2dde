//! `concerns validate`: every problem the analysis would stop at, not only the first.

use anyhow::Result;
use polars::prelude::*;
use serde::Serialize;

use crate::codebook::Codebook;
use crate::error::DataError;
use crate::load::ROW_INDEX;
use crate::load::{header_columns, missing_column, scan_csv, scan_structure, Source};
use crate::tabulate::{checks, keep_expr, polars_message};

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
    pub problems: Vec<Problem>,
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
            out.push_str(&e.to_string());
            out.push('\n');
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
            out.push_str(&format!(
                "{}: NOT valid: {} problem{} in {} row{}\n",
                self.file,
                self.problems.len(),
                if self.problems.len() == 1 { "" } else { "s" },
                rows.len(),
                if rows.len() == 1 { "" } else { "s" }
            ));
        }
        out
    }
}

/// Checks `src` against `codebook`: header, structure, codes, weights, IDs, exclusion.
pub fn validate(src: &Source, codebook: &Codebook, weight: Option<&str>) -> Result<Validation> {
    let file = src.name.clone();
    let finish = |problems: Vec<Problem>, rows: u64| Validation {
        file: file.clone(),
        rows,
        valid: problems.is_empty(),
        problems,
    };
    let columns = match header_columns(src) {
        Ok((columns, _)) => columns,
        Err(e) => match e.downcast::<DataError>() {
            Ok(d) => return Ok(finish(vec![d.into()], 0)),
            Err(e) => return Err(e),
        },
    };
    let mut problems: Vec<Problem> = Vec::new();
    let weight = weight.filter(|w| columns.iter().any(|c| c == w));
    for needed in codebook.needed_columns(weight) {
        if !columns.contains(&needed) {
            problems
                .push(missing_column(&file, &needed, &columns, "required by the codebook").into());
        }
    }
    let mut structural = Vec::new();
    scan_structure(
        src,
        std::io::BufReader::new(std::fs::File::open(&src.path)?),
        |e| {
            structural.push(Problem::from(e));
            true
        },
    )?;
    let structure_ok = structural.is_empty();
    problems.extend(structural);
    if !problems.is_empty() || !structure_ok {
        return Ok(finish(problems, 0));
    }

    let checks = checks(codebook, weight);
    let lf = scan_csv(src)?;
    let any_bad = checks
        .iter()
        .fold(lit(false), |acc, c| acc.or(c.bad.clone()));
    let mut select = vec![col(ROW_INDEX)];
    for (k, c) in checks.iter().enumerate() {
        select.push(c.bad.clone().alias(format!("bad{k}")));
        select.push(col(c.column.as_str()).alias(format!("value{k}")));
    }
    let polars_err = |e: PolarsError| {
        DataError::new(&file, format!("cannot read as CSV: {}", polars_message(&e)))
    };
    let bad = lf
        .clone()
        .filter(any_bad)
        .select(select)
        .collect()
        .map_err(polars_err)?;
    let rows_col = bad
        .column(ROW_INDEX)
        .map_err(polars_err)?
        .cast(&DataType::UInt64)
        .map_err(polars_err)?;
    for i in 0..bad.height() {
        let row = rows_col
            .get(i)
            .ok()
            .and_then(|v| v.extract::<u64>())
            .unwrap_or(0)
            + 2;
        for (k, c) in checks.iter().enumerate() {
            let is_bad = matches!(
                bad.column(&format!("bad{k}"))
                    .map_err(polars_err)?
                    .get(i)
                    .map_err(polars_err)?,
                AnyValue::Boolean(true)
            );
            if is_bad {
                let value = match bad
                    .column(&format!("value{k}"))
                    .map_err(polars_err)?
                    .get(i)
                    .map_err(polars_err)?
                {
                    AnyValue::Null => None,
                    AnyValue::String(s) => Some(s.to_string()),
                    v => Some(v.to_string()),
                };
                let found = match &value {
                    Some(v) => format!("found '{v}'"),
                    None => "found an empty value".into(),
                };
                problems.push(Problem {
                    row: Some(row),
                    column: Some(c.column.clone()),
                    value,
                    message: format!("expected {}, {found}", c.expected),
                });
            }
        }
    }

    // Duplicate respondent IDs: every row of every repeated ID.
    if let Some(id) = &codebook.respondent_id {
        let dups = lf
            .clone()
            .filter(col(id.as_str()).is_not_null())
            .group_by([col(id.as_str()).alias("id")])
            .agg([len().alias("n"), col(ROW_INDEX).min().alias("first")])
            .filter(col("n").gt(lit(1)))
            .sort(["first"], SortMultipleOptions::default())
            .collect()
            .map_err(polars_err)?;
        for i in 0..dups.height() {
            let id_value = dups
                .column("id")
                .map_err(polars_err)?
                .get(i)
                .map_err(polars_err)?
                .to_string()
                .trim_matches('"')
                .to_string();
            let n = dups
                .column("n")
                .map_err(polars_err)?
                .get(i)
                .map_err(polars_err)?
                .extract::<u64>()
                .unwrap_or(0);
            let first = dups
                .column("first")
                .map_err(polars_err)?
                .get(i)
                .map_err(polars_err)?
                .extract::<u64>()
                .unwrap_or(0)
                + 2;
            problems.push(Problem {
                row: Some(first),
                column: Some(id.clone()),
                value: Some(id_value.clone()),
                message: format!("duplicate respondent ID '{id_value}': it appears on {n} rows (first on row {first})"),
            });
        }
    }

    let counts = lf
        .select([
            len().cast(DataType::UInt64).alias("rows"),
            keep_expr(codebook)
                .cast(DataType::UInt64)
                .sum()
                .alias("kept"),
        ])
        .collect()
        .map_err(polars_err)?;
    let get = |name: &str| {
        counts
            .column(name)
            .ok()
            .and_then(|c| c.get(0).ok())
            .and_then(|v| v.extract::<u64>())
            .unwrap_or(0)
    };
    let (rows, kept) = (get("rows"), get("kept"));
    if rows == 0 {
        problems.push(Problem {
            row: Some(1),
            column: None,
            value: None,
            message: "the file has a header but no respondent rows".into(),
        });
    } else if kept == 0 && problems.is_empty() {
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
    Ok(finish(problems, rows))
}
