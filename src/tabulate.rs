//! Exclude and tabulate in one polars query: every validation count, base and item sum is
//! an aggregate of the same scan, so the file is read once.

use anyhow::{anyhow, Result};
use polars::prelude::*;

use crate::codebook::{Codebook, Kind, Question};
use crate::error::DataError;
use crate::load::ROW_INDEX;
use crate::stats::{BaseSums, ItemSums};

/// Raw additive sums of one question.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionSums {
    pub id: String,
    pub base: BaseSums,
    /// In codebook item order.
    pub items: Vec<ItemSums>,
}

/// Everything the scan produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Tabulation {
    pub rows: u64,
    /// Excluded respondents per codebook exclusion (a respondent counts under the first that applies).
    pub excluded_by: Vec<u64>,
    pub excluded: u64,
    pub synthetic: bool,
    /// Largest and median weight among kept respondents (weighted runs only).
    pub weight_max: Option<f64>,
    pub weight_median: Option<f64>,
    pub questions: Vec<QuestionSums>,
}

/// Sums of every question within one value of a grouping column.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSums {
    pub value: String,
    pub questions: Vec<QuestionSums>,
}

/// Name of the parsed weight column added by [`with_weight`].
const WEIGHT: &str = "__concerns_weight";

/// Parses the weight once into its own column (null where it is not a number), so the
/// many sums below read floats instead of re-parsing text.
fn with_weight(lf: LazyFrame, weight: Option<&str>) -> (LazyFrame, Expr) {
    match weight {
        Some(c) => (
            lf.with_column(col(c).cast(DataType::Float64).alias(WEIGHT)),
            col(WEIGHT),
        ),
        None => (lf, lit(1.0)),
    }
}

pub(crate) fn keep_expr(codebook: &Codebook) -> Expr {
    codebook.exclude.iter().fold(lit(true), |keep, e| {
        keep.and(any_of(&e.column, &e.exclude).not())
    })
}

/// Base and item sums of every question, named `q{question}_…`.
fn question_aggs(codebook: &Codebook, keep: &Expr, w: &Expr) -> Result<Vec<Expr>> {
    let mut aggs = Vec::new();
    for (qi, q) in codebook.questions.iter().enumerate() {
        let (in_base, items) = question_masks(q, keep)?;
        aggs.push(count(in_base.clone()).alias(format!("q{qi}_n")));
        aggs.push(wsum(in_base.clone(), w).alias(format!("q{qi}_w")));
        aggs.push(w2sum(in_base, w).alias(format!("q{qi}_w2")));
        for (ii, y) in items.into_iter().enumerate() {
            aggs.push(count(y.clone()).alias(format!("q{qi}_i{ii}_n")));
            aggs.push(wsum(y.clone(), w).alias(format!("q{qi}_i{ii}_wy")));
            aggs.push(w2sum(y, w).alias(format!("q{qi}_i{ii}_w2y")));
        }
    }
    Ok(aggs)
}

fn read_questions(get: &Row, codebook: &Codebook) -> Result<Vec<QuestionSums>> {
    let mut questions = Vec::with_capacity(codebook.questions.len());
    for (qi, q) in codebook.questions.iter().enumerate() {
        let base = BaseSums {
            n: get.u64(&format!("q{qi}_n"))?,
            w: get.f64(&format!("q{qi}_w"))?,
            w2: get.f64(&format!("q{qi}_w2"))?,
        };
        let items = (0..q.items.len())
            .map(|ii| {
                Ok(ItemSums {
                    count: get.u64(&format!("q{qi}_i{ii}_n"))?,
                    wy: get.f64(&format!("q{qi}_i{ii}_wy"))?,
                    w2y: get.f64(&format!("q{qi}_i{ii}_w2y"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        questions.push(QuestionSums {
            id: q.id.clone(),
            base,
            items,
        });
    }
    Ok(questions)
}

/// Every question tabulated within each value of `column` (rows with it empty are left
/// out), in one grouped query. Run after [`tabulate`] has validated the data.
pub fn tabulate_by(
    lf: LazyFrame,
    file: &str,
    codebook: &Codebook,
    weight: Option<&str>,
    column: &str,
) -> Result<Vec<GroupSums>> {
    let (lf, w) = with_weight(lf, weight);
    let aggs = question_aggs(codebook, &keep_expr(codebook), &w)?;
    let df = lf
        .filter(col(column).is_not_null())
        .group_by([col(column).alias(GROUP)])
        .agg(aggs)
        .sort([GROUP], SortMultipleOptions::default())
        .collect_with_engine(Engine::Streaming)
        .map(|r| r.unwrap_single())
        .map_err(|e| {
            DataError::new(
                file,
                format!("cannot group by '{column}': {}", polars_message(&e)),
            )
        })?;
    (0..df.height())
        .map(|row| {
            let get = Row { df: &df, row };
            Ok(GroupSums {
                value: get.text(GROUP)?.unwrap_or_default(),
                questions: read_questions(&get, codebook)?,
            })
        })
        .collect()
}

const GROUP: &str = "__concerns_group";

/// One validity rule on one column.
pub(crate) struct Check {
    pub column: String,
    pub expected: String,
    pub bad: Expr,
}

fn any_of(column: &str, codes: &[String]) -> Expr {
    codes
        .iter()
        .map(|c| col(column).eq(lit(c.as_str())))
        .reduce(|a, b| a.or(b))
        .unwrap_or_else(|| lit(false))
        .fill_null(lit(false))
}

fn quoted_list(codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn checks(codebook: &Codebook, weight: Option<&str>) -> Vec<Check> {
    let mut out = Vec::new();
    if let Some(w) = weight {
        let v = col(w).cast(DataType::Float64);
        let bad = v
            .clone()
            .is_null()
            .or(v.clone().is_nan())
            .or(v.clone().is_infinite())
            .or(v.lt_eq(lit(0.0)))
            .fill_null(lit(true));
        out.push(Check {
            column: w.to_string(),
            expected: "a positive number (survey weight)".into(),
            bad,
        });
    }
    for e in &codebook.exclude {
        out.push(Check {
            column: e.column.clone(),
            expected: format!("one of {}", quoted_list(&e.codes)),
            bad: any_of(&e.column, &e.codes).not(),
        });
    }
    for q in &codebook.questions {
        match q.kind {
            Kind::MultiResponse => {
                for c in q.columns() {
                    let ok = any_of(c, &["0".into(), "1".into()]);
                    out.push(Check {
                        column: c.to_string(),
                        expected: "1 (selected), 0 (not selected) or empty (not asked)".into(),
                        bad: col(c).is_not_null().and(ok.not()),
                    });
                }
            }
            Kind::SingleChoice => {
                let c = q.column.as_deref().unwrap_or_default();
                let codes: Vec<String> = q.items.iter().filter_map(|i| i.code.clone()).collect();
                out.push(Check {
                    column: c.to_string(),
                    expected: format!("one of {} or empty (not answered)", quoted_list(&codes)),
                    bad: col(c).is_not_null().and(any_of(c, &codes).not()),
                });
            }
        }
    }
    out
}

fn count(mask: Expr) -> Expr {
    mask.cast(DataType::UInt64).sum()
}

fn wsum(mask: Expr, w: &Expr) -> Expr {
    when(mask).then(w.clone()).otherwise(lit(0.0)).sum()
}

fn w2sum(mask: Expr, w: &Expr) -> Expr {
    when(mask)
        .then(w.clone() * w.clone())
        .otherwise(lit(0.0))
        .sum()
}

/// The respondents of `q`'s base and, per item, the mask of those who chose it.
fn question_masks(q: &Question, keep: &Expr) -> Result<(Expr, Vec<Expr>)> {
    match q.kind {
        Kind::MultiResponse => {
            let answered = any_horizontal(
                q.columns()
                    .iter()
                    .map(|c| col(*c).is_not_null())
                    .collect::<Vec<_>>(),
            )
            .map_err(|e| anyhow!("building the query for '{}': {e}", q.id))?;
            let in_base = keep.clone().and(answered);
            let items = q
                .columns()
                .iter()
                .map(|c| {
                    in_base
                        .clone()
                        .and(col(*c).eq(lit("1")).fill_null(lit(false)))
                })
                .collect();
            Ok((in_base, items))
        }
        Kind::SingleChoice => {
            let c = q.column.as_deref().unwrap_or_default();
            let in_base = keep.clone().and(col(c).is_not_null());
            let items = q
                .items
                .iter()
                .map(|i| {
                    in_base.clone().and(
                        col(c)
                            .eq(lit(i.code.as_deref().unwrap_or_default()))
                            .fill_null(lit(false)),
                    )
                })
                .collect();
            Ok((in_base, items))
        }
    }
}

/// Runs the one aggregate query over `lf` and returns the sums, or the first data problem.
pub fn tabulate(
    lf: LazyFrame,
    file: &str,
    codebook: &Codebook,
    weight: Option<&str>,
) -> Result<Tabulation> {
    let checks = checks(codebook, weight);
    let (lf, w) = with_weight(lf, weight);
    let mut aggs: Vec<Expr> = vec![len().cast(DataType::UInt64).alias("rows")];
    // Only counts here; where a problem is, is looked up by a second query on the rare
    // failing path, which keeps the common pass lean.
    for (k, ch) in checks.iter().enumerate() {
        aggs.push(count(ch.bad.clone()).alias(format!("bad{k}")));
    }

    // A respondent is excluded by the first exclusion whose code they carry.
    let mut keep = lit(true);
    for (k, e) in codebook.exclude.iter().enumerate() {
        let hit = any_of(&e.column, &e.exclude);
        aggs.push(count(keep.clone().and(hit.clone())).alias(format!("excl{k}")));
        keep = keep.and(hit.not());
    }
    aggs.push(count(keep.clone().not()).alias("excluded"));
    if weight.is_some() {
        aggs.push(w.clone().filter(keep.clone()).max().alias("w_max"));
        aggs.push(w.clone().filter(keep.clone()).median().alias("w_median"));
    }

    if let (Some(prefix), Some(id)) = (
        &codebook.survey.synthetic_id_prefix,
        &codebook.respondent_id,
    ) {
        let marked = col(id.as_str())
            .str()
            .starts_with(lit(prefix.as_str()))
            .fill_null(lit(false));
        aggs.push(count(marked.not()).alias("unmarked_ids"));
    }
    if let Some(id) = &codebook.respondent_id {
        aggs.push(
            col(id.as_str())
                .drop_nulls()
                .n_unique()
                .cast(DataType::UInt64)
                .alias("ids_unique"),
        );
        aggs.push(
            col(id.as_str())
                .drop_nulls()
                .len()
                .cast(DataType::UInt64)
                .alias("ids"),
        );
    }
    aggs.extend(question_aggs(codebook, &keep, &w)?);

    let df = lf
        .clone()
        .select(aggs)
        .collect_with_engine(Engine::Streaming)
        .map(|r| r.unwrap_single())
        .map_err(|e| DataError::new(file, format!("cannot read as CSV: {}", polars_message(&e))))?;
    let get = Row { df: &df, row: 0 };

    for (k, ch) in checks.iter().enumerate() {
        let n = get.u64(&format!("bad{k}"))?;
        if n > 0 {
            let first = lf
                .filter(ch.bad.clone())
                .select([
                    col(ROW_INDEX).cast(DataType::UInt64).alias("row"),
                    col(ch.column.as_str()).alias("value"),
                ])
                .limit(1)
                .collect()
                .map_err(|e| {
                    DataError::new(file, format!("cannot read as CSV: {}", polars_message(&e)))
                })?;
            let at = Row { df: &first, row: 0 };
            let row = at.u64("row")? + 2;
            let value = at.text("value")?;
            let found = match value {
                Some(v) => format!("found '{v}'"),
                None => "found an empty value".to_string(),
            };
            let more = if n > 1 {
                format!(" ({} rows have such values)", n)
            } else {
                String::new()
            };
            return Err(
                DataError::new(file, format!("expected {}, {found}{more}", ch.expected))
                    .row(row)
                    .column(ch.column.clone())
                    .into(),
            );
        }
    }

    if let Some(id) = &codebook.respondent_id {
        let (ids, unique) = (get.u64("ids")?, get.u64("ids_unique")?);
        if unique < ids {
            return Err(DataError::new(
                file,
                format!(
                    "{} respondent IDs are duplicates; `concerns validate {file}` lists their rows",
                    ids - unique
                ),
            )
            .column(id.clone())
            .into());
        }
    }
    let rows = get.u64("rows")?;
    let excluded = get.u64("excluded")?;
    let excluded_by = (0..codebook.exclude.len())
        .map(|k| get.u64(&format!("excl{k}")))
        .collect::<Result<Vec<_>>>()?;
    if rows > 0 && excluded == rows {
        let column = codebook
            .exclude
            .first()
            .map(|e| e.column.clone())
            .unwrap_or_default();
        return Err(DataError::new(
            file,
            format!(
                "all {rows} respondents are excluded by the screener; nothing is left to tabulate"
            ),
        )
        .column(column)
        .into());
    }
    let synthetic = codebook.survey.synthetic_id_prefix.is_some()
        && codebook.respondent_id.is_some()
        && get.u64("unmarked_ids")? == 0;

    let questions = read_questions(&get, codebook)?;
    let (weight_max, weight_median) = if weight.is_some() {
        (Some(get.f64("w_max")?), Some(get.f64("w_median")?))
    } else {
        (None, None)
    };
    Ok(Tabulation {
        weight_max,
        weight_median,
        rows,
        excluded_by,
        excluded,
        synthetic,
        questions,
    })
}

/// Polars errors carry a context chain; the first line is the one a person needs.
pub(crate) fn polars_message(e: &PolarsError) -> String {
    let s = e.to_string();
    s.lines().next().unwrap_or_default().trim().to_string()
}

/// `x` rounded to 12 significant digits.
pub fn stable(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let digits = 11 - x.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// Typed access to one row of an aggregate frame.
struct Row<'a> {
    df: &'a DataFrame,
    row: usize,
}

impl Row<'_> {
    fn value(&self, name: &str) -> Result<AnyValue<'_>> {
        let c = self
            .df
            .column(name)
            .map_err(|e| anyhow!("internal: no aggregate {name}: {e}"))?;
        c.get(self.row)
            .map_err(|e| anyhow!("internal: empty aggregate {name}: {e}"))
    }

    fn u64(&self, name: &str) -> Result<u64> {
        match self.value(name)? {
            AnyValue::Null => Ok(0),
            v => v
                .extract::<u64>()
                .ok_or_else(|| anyhow!("internal: aggregate {name} is not an integer")),
        }
    }

    /// A weighted sum, rounded to 12 significant digits: polars adds in parallel chunks
    /// whose boundaries vary, which changes the last bits; rounding keeps outputs
    /// byte-identical from run to run and machine to machine.
    fn f64(&self, name: &str) -> Result<f64> {
        self.raw_f64(name).map(stable)
    }

    fn raw_f64(&self, name: &str) -> Result<f64> {
        match self.value(name)? {
            AnyValue::Null => Ok(0.0),
            v => v
                .extract::<f64>()
                .ok_or_else(|| anyhow!("internal: aggregate {name} is not a number")),
        }
    }

    fn text(&self, name: &str) -> Result<Option<String>> {
        Ok(match self.value(name)? {
            AnyValue::Null => None,
            AnyValue::String(s) => Some(s.to_string()),
            AnyValue::StringOwned(s) => Some(s.to_string()),
            v => Some(v.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::stable;

    #[test]
    fn stable_sums_forget_the_last_bits_only() {
        assert_eq!(stable(5076.210800000001), stable(5076.2107999999998));
        assert_eq!(stable(5140.0), 5140.0);
        assert_eq!(stable(10_000_000.0), 10_000_000.0);
        assert!((stable(3047.8131000000012) - 3047.8131).abs() < 1e-12);
        assert_eq!(stable(0.12345678901234), 0.123456789012);
        assert_eq!(stable(0.0), 0.0);
    }
}
