//! `concerns sql`: the codebook compiled to one aggregate query, so that the pass over the
//! rows can run where the data lives (DuckDB, Spark, PostgreSQL). The query applies the
//! same rules as [`crate::plan::Plan::eval`] (validity of every value, the screener, the
//! answer state of each question) and returns the additive sums the tally keeps: per
//! question, per combination of grouping values and per answer state, the respondents,
//! Σw and Σw², plus the checks the file reader makes.
//!
//! The query reads the rows once: one aggregation with a grouping set per kind of sum.
//! The result is one table in long form:
//!
//! | column | what |
//! | --- | --- |
//! | `kind` | `rows` (one row: every row read, with the checks), `invalid` (per rule of the codebook that rows broke), `excluded` (per screener), `weight` (per distinct weight of kept respondents), `cell` (per question, grouping values and answer state of kept respondents); for a "check all" of more than 10 items, summed per item instead of per answer pattern, `base` (who answered it) and `item` (per item and net, selecting or not); with `--where`, `filtered` (kept respondents outside it), `outside` and `outside_item` (their answers, for the design's n); with strata or clusters, `unit` (valid rows per stratum, PSU and fpc), and cells per unit |
//! | `name` | the question (`cell`, `base`, `item`) |
//! | `g0`, `g1`, … | grouping values (`--by` segments, then contrasts' questions); empty: blank |
//! | `stratum`, `psu` | the unit (`unit`, `cell`, `outside`), only when the design has strata or clusters |
//! | `state` | the answer state as [`crate::plan::State`] numbers it; 1/0 answered (`base`) or selected (`item`); the screener (`excluded`); the rule (`invalid`) |
//! | `item` | the row of a question summed per item: its items, then its nets |
//! | `n` | rows |
//! | `w`, `w2` | Σw and Σw² of weights written as decimals of up to 9 places, exact (DECIMAL) |
//! | `wf`, `wf2` | Σw and Σw² of other weights (floating point) |
//! | `partial` | respondents who answered some items of a "check all" and left others blank |
//! | `value` | the weight (`weight`: each distinct one, or past 100,000 of them rounded to 4 significant digits); the fpc as written (`unit`); the least value breaking the rule (`invalid`) |
//! | `invalid_rows` | rows breaking any rule, each once (`rows`: what `--lenient` leaves out) |
//! | `query_key` | what the query was compiled from (`rows`): a digest, then the options in words; `table --sums` refuses sums of other options and names them |
//! | `duplicate_ids`, `unmarked_ids` | rows whose respondent ID an earlier row has; IDs without the synthetic-data prefix (`rows`) |
//! | `weight_max`, `weight_max_float` | the largest decimal and other weight of kept respondents (`rows`) |
//!
//! The sums grow with the grouping values, the PSUs and a question's answer patterns (at
//! most 2,048 for a question summed per pattern), never with the respondents.

use std::fmt::Write as _;

use super::wire::row::{KEPT, OUTSIDE_FILTER, PROBLEM};
use super::wire::Kind;
use crate::codebook::{Codebook, Coding};
use crate::error::{Error, Result};
use crate::load::WeightChoice;
use crate::pipeline::Options;
use crate::plan::{states, Codes, MultiForm, Plan, QuestionPlan, Separator};

/// The SQL engines the query is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Dialect {
    #[cfg_attr(feature = "cli", value(name = "duckdb"))]
    DuckDb,
    Spark,
    Postgres,
}

impl Dialect {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Postgres => "postgres",
            Dialect::Spark => "spark",
        }
    }

    /// An identifier, quoted: `"a""b"` (DuckDB, PostgreSQL) or `` `a``b` `` (Spark).
    fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// A string literal. Spark reads backslash escapes in literals, so backslashes are
    /// doubled there; control characters are written as `chr(n)` so that no byte of the
    /// codebook reaches the query raw.
    fn lit(self, s: &str) -> String {
        let mut out = String::new();
        let mut open = false;
        let mut parts: Vec<String> = Vec::new();
        for ch in s.chars() {
            if ch.is_control() {
                if open {
                    out.push('\'');
                    parts.push(std::mem::take(&mut out));
                    open = false;
                }
                parts.push(self.chr(ch as u32));
                continue;
            }
            if !open {
                out.push('\'');
                open = true;
            }
            match ch {
                '\'' => out.push_str("''"),
                '\\' if self == Dialect::Spark => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
        if open {
            out.push('\'');
            parts.push(out);
        }
        match parts.len() {
            0 => "''".into(),
            1 => parts.remove(0),
            _ => self.concat(&parts),
        }
    }

    fn chr(self, code: u32) -> String {
        match self {
            Dialect::Spark => format!("char({code})"),
            _ => format!("chr({code})"),
        }
    }

    fn concat(self, parts: &[String]) -> String {
        match self {
            Dialect::Spark => format!("concat({})", parts.join(", ")),
            _ => format!("({})", parts.join(" || ")),
        }
    }

    fn text_type(self) -> &'static str {
        match self {
            Dialect::DuckDb => "VARCHAR",
            Dialect::Postgres => "TEXT",
            Dialect::Spark => "STRING",
        }
    }

    /// A text value without the ASCII white space around it ('' when NULL), as the file
    /// reader trims each field.
    fn trimmed(self, v: &str) -> String {
        // Trimming a set of characters is slow (DuckDB: two thirds of the query); most values
        // start and end with neither, so they are tested first (a character above 32 is
        // none of them).
        format!(
            "CASE WHEN {v} IS NULL THEN '' WHEN ascii({v}) > 32 AND ascii(right({v}, 1)) > 32 THEN {v} ELSE {} END",
            self.trim(v)
        )
    }

    /// How a CTE read by several grouping sets is kept: computed once where the engine
    /// allows (DuckDB and PostgreSQL would otherwise evaluate it again for each).
    fn materialized(self) -> &'static str {
        match self {
            Dialect::Spark => "",
            _ => "MATERIALIZED ",
        }
    }

    /// `expr` without the ASCII white space around it.
    fn trim(self, expr: &str) -> String {
        let cast = expr;
        let space = self.concat(&[
            "' '".into(),
            self.chr(9),
            self.chr(10),
            self.chr(12),
            self.chr(13),
        ]);
        match self {
            Dialect::DuckDb => format!("trim({cast}, {space})"),
            Dialect::Postgres => format!("btrim({cast}, {space})"),
            Dialect::Spark => format!("trim(BOTH {space} FROM {cast})"),
        }
    }

    /// Whether `expr` matches `regex` as a whole.
    fn full_match(self, expr: &str, regex: &str) -> String {
        // Spark unescapes backslashes in literals: a regex's `\.` is written `\\.` there.
        let spark = regex.replace('\\', "\\\\");
        match self {
            Dialect::DuckDb => format!("regexp_full_match({expr}, '{regex}')"),
            Dialect::Postgres => format!("({expr} ~ '^(?:{regex})$')"),
            Dialect::Spark => format!("({expr} RLIKE '^(?:{spark})$')"),
        }
    }

    /// `expr` as a double, NULL when it is not a number as the file reader reads one. The
    /// engines' casts read more than the reader (DuckDB `1_0.5`, Spark `1.5d`, `0x1p0`), so
    /// the text is checked against the reader's grammar first.
    fn number(self, expr: &str) -> String {
        let cast = match self {
            // try_cast: Spark 4's ANSI mode makes CAST fail on what it cannot read, and may
            // evaluate the cast before the check.
            Dialect::DuckDb | Dialect::Spark => format!("TRY_CAST({expr} AS DOUBLE)"),
            Dialect::Postgres => format!("CAST({expr} AS DOUBLE PRECISION)"),
        };
        format!(
            "CASE WHEN {} THEN {cast} END",
            self.full_match(expr, NUMBER)
        )
    }

    fn double(self) -> &'static str {
        match self {
            Dialect::Postgres => "DOUBLE PRECISION",
            _ => "DOUBLE",
        }
    }

    /// A column of the table, by its exact name. DuckDB binds quoted names without regard
    /// to case (and renames one of two columns that differ only in case when it loads a
    /// CSV), so there the column is chosen by an anchored, literal, case-sensitive pattern:
    /// a name that differs in case is not found, as the file reader would not find it.
    /// Spark refuses such columns itself; PostgreSQL's quoted names are exact.
    fn column(self, name: &str) -> String {
        match self {
            Dialect::DuckDb => format!(
                "COLUMNS({})",
                self.lit(&format!("^{}$", regex_literal(name)))
            ),
            _ => self.ident(name),
        }
    }

    /// Bit `at` (0 or 1) of the BIGINT `mask`.
    fn bit(self, mask: &str, at: &str) -> String {
        match self {
            Dialect::Spark => format!("(shiftright({mask}, {at}) & 1)"),
            _ => format!("(({mask} >> ({at})) & 1)"),
        }
    }

    /// A table name: dotted parts quoted one by one (`catalog.schema.table`).
    fn table(self, name: &str) -> String {
        name.split('.')
            .map(|p| self.ident(p))
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// A decimal as the file reader sums exactly: up to 7 digits, a point, up to 9 decimals.
const FIXED: &str = r"[0-9]{0,7}(\.[0-9]{0,9})?";
/// A number in the forms the SQL engines and the reader both read.
const NUMBER: &str = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?";

/// Why a codebook cannot be compiled to SQL (yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unsupported(pub String);

/// `v IN ('a', 'b')`, or FALSE for no codes.
fn in_codes(d: Dialect, v: &str, codes: &[String]) -> String {
    if codes.is_empty() {
        return "FALSE".into();
    }
    let list: Vec<String> = codes.iter().map(|c| d.lit(c)).collect();
    format!("{v} IN ({})", list.join(", "))
}

fn code_texts(codes: &Codes) -> Vec<String> {
    codes
        .values()
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

/// The plan of `codebook` with `opts` (weight, `--by`, design, `--where`) over the columns
/// it names, as the query and the sums read them.
pub(crate) struct Planned<'c> {
    pub plan: Plan,
    pub columns: Vec<String>,
    pub segments: Vec<&'c crate::codebook::Segment>,
    /// The weight column in use.
    pub weight: Option<String>,
    /// The options as a user gives them ("codebook 'x', --by generation, --weight weight"):
    /// the query key carries them so that sums finished with others can say which.
    pub made_with: String,
}

/// The options a query is made with, as its key names them.
fn made_with(codebook: &Codebook, opts: &Options, weight: Option<&str>) -> String {
    let mut parts = vec![format!("codebook '{}'", codebook.survey.id)];
    match opts.by.is_empty() {
        true => parts.push("no --by".into()),
        false => parts.extend(opts.by.iter().map(|b| format!("--by {b}"))),
    }
    if let Some(f) = &opts.filter {
        parts.push(format!("--where \"{f}\""));
    }
    parts.push(match weight {
        Some(w) => format!("--weight {w}"),
        None => "--no-weight".into(),
    });
    let d = &codebook.design;
    for (flag, column) in [
        ("--strata", &d.strata),
        ("--psu", &d.psu),
        ("--fpc", &d.fpc),
    ] {
        if let Some(c) = column {
            parts.push(format!("{flag} {c}"));
        }
    }
    parts.join(", ")
}

pub(crate) fn plan_for<'c>(codebook: &'c Codebook, opts: &Options) -> Result<Planned<'c>> {
    opts.check()?;
    let segments = opts.segments(codebook)?;
    let weight = match &opts.weight {
        WeightChoice::Codebook => codebook.weight.clone(),
        WeightChoice::None => None,
        WeightChoice::Column(c) => Some(c.clone()),
    };
    // The table's columns are those the codebook and the segments name.
    let mut columns = codebook.needed_columns(weight.as_deref());
    let groupings = codebook.groupings(&segments);
    // The segments' columns too, so that a --where term can name any segment.
    let segment_columns = codebook.segments.iter().map(|s| &s.column);
    for g in groupings.iter().chain(segment_columns) {
        if !columns.contains(g) {
            columns.push(g.clone());
        }
    }
    let mut plan = Plan::new(codebook, &columns, weight.as_deref(), &groupings, &segments)
        .map_err(|m| Error::Usage(format!("column {} is needed and unknown", m.0)))?;
    plan.restrict(opts.filter.as_deref(), codebook, &columns)?;
    Ok(Planned {
        made_with: made_with(codebook, opts, weight.as_deref()),
        plan,
        columns,
        segments,
        weight,
    })
}

/// The query that returns the sums of `codebook` with `opts` (weight, `--by`, design,
/// `--where`) from the rows of `table`.
pub fn compile(
    codebook: &Codebook,
    opts: &Options,
    dialect: Dialect,
    table: &str,
) -> Result<String> {
    let codebook = &opts.with_design(codebook);
    if table.is_empty() || table.split('.').any(str::is_empty) {
        return Err(Error::Usage(format!(
            "--table {table:?}: expected a table name such as responses or schema.responses"
        )));
    }
    let p = plan_for(codebook, opts)?;
    let ids = codebook.question_ids();
    let unsupported = |u: Unsupported| Error::Usage(format!("concerns sql: {}", u.0));
    let key = query_key(&p.plan, &p.columns, &ids, &p.made_with).map_err(unsupported)?;
    query(&p.plan, &p.columns, &ids, dialect, table, Some(&key)).map_err(unsupported)
}

/// What the sums of `plan` were made with, as `table --sums` checks it: the digest of the
/// query (DuckDB's, on a table `t`) without this key, then the options in words
/// (`made_with`). Other options, another codebook or another version of `concerns` give
/// another digest.
pub(crate) fn query_key(
    plan: &Plan,
    columns: &[String],
    question_ids: &[String],
    made_with: &str,
) -> std::result::Result<String, Unsupported> {
    let text = query(plan, columns, question_ids, Dialect::DuckDb, "t", None)?;
    Ok(super::wire::key(&text, made_with))
}

/// The query for `plan` (compiled against `columns`) reading `table`; `key` goes on the
/// `rows` row.
fn query(
    plan: &Plan,
    columns: &[String],
    question_ids: &[String],
    dialect: Dialect,
    table: &str,
    key: Option<&str>,
) -> std::result::Result<String, Unsupported> {
    let q = Query {
        d: dialect,
        plan,
        columns,
        question_ids,
        key,
    };
    let used = q.used_columns();
    q.check_names(&used, table)?;
    let rules = q.rules();
    let mut sql = q.row_stages(&used, table, &rules)?;
    q.evaluated(&mut sql, &rules)?;
    q.sums(&mut sql, &rules);
    q.long_form(&mut sql);
    Ok(sql)
}

/// What the stages of the query share.
struct Query<'a> {
    d: Dialect,
    plan: &'a Plan,
    columns: &'a [String],
    question_ids: &'a [String],
    key: Option<&'a str>,
}

/// Per rule of the codebook: the condition under which a row breaks it, and the value it
/// shows as an example when not its column's; the weight's two readings (`wd`, `wf`).
struct Rules {
    conditions: Vec<Option<String>>,
    examples: Vec<Option<String>>,
    weighed: (String, String),
}

impl Rules {
    /// A row breaks rule `r` also when `cond` holds.
    fn add(&mut self, r: usize, cond: String) {
        self.conditions[r] = Some(match self.conditions[r].take() {
            Some(prev) => format!("({prev}) OR ({cond})"),
            None => cond,
        });
    }

    /// The rules of a question's values.
    fn question(&mut self, d: Dialect, q: &QuestionPlan) {
        let c = |i: usize| format!("c{i}");
        match q {
            QuestionPlan::Single {
                column,
                codes,
                rule,
                ..
            } => {
                let v = c(*column);
                self.add(
                    *rule,
                    format!("{v} <> '' AND NOT {}", in_codes(d, &v, &code_texts(codes))),
                );
            }
            QuestionPlan::Multi {
                form:
                    MultiForm::Dichotomies {
                        columns,
                        coding: Coding::ZeroOne,
                        rules: item_rules,
                        ..
                    },
                ..
            } => {
                for (&col, &r) in columns.iter().zip(item_rules) {
                    self.add(r, format!("{} NOT IN ('', '0', '1')", c(col)));
                }
            }
            QuestionPlan::Multi {
                form:
                    MultiForm::Delimited {
                        column,
                        codes,
                        unlisted: None,
                        rule,
                        ..
                    },
                ..
            } => {
                let tokens = format!("t{column}");
                self.add(
                    *rule,
                    format!(
                        "{} <> '' AND {}",
                        c(*column),
                        joined_unknown(d, &tokens, codes)
                    ),
                );
                // The example is the first token that is no code, as the reader shows it.
                self.examples[*rule] = Some(first_unknown(d, &tokens, codes));
            }
            QuestionPlan::Multi { .. } => {}
        }
    }
}

/// The weight in column `v`, read once: `wd` when the reader sums it exactly (a decimal of
/// up to 7 digits and 9 places, above 0 and at most 10^6), else `wf` when it is a number.
fn weight_readings(d: Dialect, v: &str) -> (String, String) {
    // 16 digits hold every such decimal and keep w · w within 38 digits: Spark would
    // otherwise round the product to 6 places. Guarded by the pattern, yet Spark may
    // evaluate the cast first (and fail on text in ANSI mode): try_cast where the engine
    // has it.
    let decimal = match d {
        Dialect::Postgres => format!("CAST({v} AS DECIMAL(16, 9))"),
        _ => format!("TRY_CAST({v} AS DECIMAL(16, 9))"),
    };
    let wd = format!(
        "CASE WHEN {} AND {v} NOT IN ('', '.') AND {decimal} > 0 AND {decimal} <= 1000000 THEN {decimal} END",
        d.full_match(v, FIXED)
    );
    let wf = format!(
        "CAST(CASE WHEN wd IS NULL THEN {} END AS {})",
        d.number(v),
        d.double()
    );
    (wd, wf)
}

impl Query<'_> {
    /// The questions summed, the grouping columns' names, and whether the sums are per unit.
    fn shape(&self) -> (usize, Vec<String>, bool) {
        let questions = self.plan.questions.len().min(self.question_ids.len());
        let groups = (0..self.plan.groupings.len())
            .map(super::wire::column::group)
            .collect();
        (questions, groups, self.plan.design.is_some())
    }

    /// Every column the plan reads, once.
    fn used_columns(&self) -> Vec<usize> {
        let plan = self.plan;
        let mut used: Vec<usize> = Vec::new();
        let mut use_col = |i: usize| {
            if !used.contains(&i) {
                used.push(i);
            }
        };
        plan.id.into_iter().for_each(&mut use_col);
        if let Some((w, _)) = plan.weight {
            use_col(w);
        }
        plan.exclusions.iter().for_each(|e| use_col(e.column));
        if let Some(design) = &plan.design {
            [design.strata, design.psu, design.fpc]
                .into_iter()
                .flatten()
                .for_each(|(col, _)| use_col(col));
        }
        plan.segment_rules()
            .iter()
            .for_each(|(col, _, _)| use_col(*col));
        for q in &plan.questions {
            match q {
                QuestionPlan::Single { column, .. } => use_col(*column),
                QuestionPlan::Multi { form, .. } => match form {
                    MultiForm::Dichotomies { columns, .. } => {
                        columns.iter().for_each(|&x| use_col(x))
                    }
                    MultiForm::Delimited { column, .. } => use_col(*column),
                },
            }
        }
        plan.groupings.iter().for_each(|&g| use_col(g));
        if let Some(f) = &plan.filter {
            let mut cols = Vec::new();
            f.test.columns(&mut cols);
            cols.into_iter().for_each(&mut use_col);
        }
        used
    }

    /// Identifiers are written as they are, in quotes: a control character cannot be.
    fn check_names(&self, used: &[usize], table: &str) -> std::result::Result<(), Unsupported> {
        let columns = self.columns;
        for name in used
            .iter()
            .map(|&i| columns[i].as_str())
            .chain(std::iter::once(table))
        {
            if name.chars().any(char::is_control) {
                return Err(Unsupported(format!(
                    "the name {:?} holds a control character, which an SQL identifier cannot hold safely",
                    crate::text::visible(name)
                )));
            }
        }
        // DuckDB and Spark match names without regard to case: two such columns are one.
        for (k, &i) in used.iter().enumerate() {
            let name = &columns[i];
            if let Some(&j) = used[..k]
                .iter()
                .find(|&&j| columns[j].to_lowercase() == name.to_lowercase())
            {
                return Err(Unsupported(format!(
                    "columns '{}' and '{}' differ only in case, which SQL engines take for one column; rename one in the table and the codebook",
                    crate::text::visible(&columns[j]),
                    crate::text::visible(name)
                )));
            }
        }

        Ok(())
    }

    fn rules(&self) -> Rules {
        let (d, plan) = (self.d, self.plan);
        let c = |i: usize| format!("c{i}");
        let mut rules = Rules {
            conditions: vec![None; plan.rules.len()],
            examples: vec![None; plan.rules.len()],
            weighed: (String::new(), String::new()),
        };
        if let (Some(i), Some(r)) = (plan.id, plan.id_rule()) {
            rules.add(r, format!("{} = ''", c(i)));
        }
        rules.weighed = match plan.weight {
            Some((w, r)) => {
                rules.add(
                    r,
                    "NOT COALESCE(wd IS NOT NULL OR wf BETWEEN 1e-9 AND 1e9, FALSE)".into(),
                );
                weight_readings(d, &c(w))
            }
            None => (
                "CAST(1 AS DECIMAL(16, 9))".to_string(),
                format!("CAST(NULL AS {})", d.double()),
            ),
        };
        if let Some(design) = &plan.design {
            for (col, r) in [design.strata, design.psu].into_iter().flatten() {
                rules.add(r, format!("{} = ''", c(col)));
            }
            // A positive, finite number, read as the file reader reads it.
            if let Some((col, r)) = design.fpc {
                let number = d.number(&c(col));
                rules.add(
                    r,
                    format!(
                        "NOT COALESCE({number} > 0 AND {number} <= 1.7976931348623157e308, FALSE)"
                    ),
                );
            }
        }
        for e in &plan.exclusions {
            rules.add(
                e.rule,
                format!("NOT {}", in_codes(d, &c(e.column), &code_texts(&e.codes))),
            );
        }
        for (col, codes, r) in plan.segment_rules() {
            let v = c(*col);
            rules.add(
                *r,
                format!("{v} <> '' AND NOT {}", in_codes(d, &v, &code_texts(codes))),
            );
        }
        for q in &plan.questions {
            rules.question(d, q);
        }
        rules
    }

    /// The tokens of each column of joined codes, split once: `, <tokens> AS t<column>`.
    fn split_tokens(&self) -> std::result::Result<String, Unsupported> {
        let d = self.d;
        let c = |i: usize| format!("c{i}");
        let mut split = String::new();
        for q in &self.plan.questions {
            if let QuestionPlan::Multi {
                form:
                    MultiForm::Delimited {
                        column,
                        separator,
                        codes,
                        ..
                    },
                ..
            } = q
            {
                let tokens = joined_tokens(d, &c(*column), separator, codes)?;
                let _ = write!(split, ", {tokens} AS t{column}");
            }
        }
        Ok(split)
    }

    /// The header, then the stages that read each row: its text, its weight, its checks.
    fn row_stages(
        &self,
        used: &[usize],
        table: &str,
        rules: &Rules,
    ) -> std::result::Result<String, Unsupported> {
        let (d, plan, columns) = (self.d, self.plan, self.columns);
        let c = |i: usize| format!("c{i}");
        let (weighed, rules) = (&rules.weighed, &rules.conditions);
        let mut sql = String::new();
        let _ = writeln!(
            sql,
            "-- concerns sql ({}): the sums `concerns table --sums` finishes. One row per kind of\n-- sum; see `concerns sql --help` for the columns.",
            d.name()
        );
        let _ = writeln!(sql, "WITH");
        // Stage 1: the needed columns as trimmed text.
        let raw: Vec<String> = used
            .iter()
            .map(|&i| {
                format!(
                    "    CAST({} AS {}) AS r{i}",
                    d.column(&columns[i]),
                    d.text_type()
                )
            })
            .collect();
        let _ = writeln!(
            sql,
            "-- every needed column as text\nraw AS (\n  SELECT\n{}\n  FROM {}\n),",
            raw.join(",\n"),
            d.table(table)
        );
        let cols: Vec<String> = used
            .iter()
            .map(|&i| format!("    {} AS {}", d.trimmed(&format!("r{i}")), c(i)))
            .collect();
        let _ = writeln!(
            sql,
            "-- without the white space around it ('' when missing)\nsrc AS (\n  SELECT\n{}\n  FROM raw\n),",
            cols.join(",\n")
        );
        let split = self.split_tokens()?;
        let _ = writeln!(
            sql,
            "-- the weight, read once; joined codes split into tokens\nweighed AS (\n  SELECT src.*, {} AS wd{split}\n  FROM src\n),",
            weighed.0
        );
        let _ = writeln!(
            sql,
            "weighed2 AS (\n  SELECT weighed.*, {} AS wf\n  FROM weighed\n),",
            weighed.1
        );
        // Stage 2: the rules each row breaks.
        let _ = writeln!(
            sql,
            "-- 1 where a row breaks a rule of the codebook\nchecked AS (\n  SELECT weighed2.*\n    , COALESCE(CAST(wd AS {}), wf) AS wx -- the weight as a number",
            d.double()
        );
        for (r, cond) in rules.iter().enumerate() {
            let cond = cond.clone().unwrap_or_else(|| "FALSE".into());
            let _ = writeln!(
                sql,
                "    , CASE WHEN {cond} THEN 1 ELSE 0 END AS b{r} -- {}: {}",
                comment(&plan.rules[r].column),
                comment(&plan.rules[r].expected.to_string())
            );
        }
        let _ = writeln!(sql, "  FROM weighed2\n),");
        Ok(sql)
    }

    /// Stage 3: valid rows, their screener, weight, grouping values and answer states.
    fn evaluated(&self, sql: &mut String, rules: &Rules) -> std::result::Result<(), Unsupported> {
        let (d, plan) = (self.d, self.plan);
        let c = |i: usize| format!("c{i}");
        let rules = &rules.conditions;
        let valid = if rules.is_empty() {
            "TRUE".to_string()
        } else {
            (0..rules.len())
                .map(|r| format!("b{r} = 0"))
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        let _ = writeln!(
            sql,
            "-- each row: valid or not, the screener that excludes it, the weight, the answers"
        );
        // Kept from the checks: what the sums read; the rule flags and the values they show
        // as examples are counted from `checked` (a wide codebook's thousands of them made
        // every stored row thousands of columns wide).
        let kept: Vec<String> = vec!["wf".into()];
        let _ = write!(
            sql,
            "evaluated AS {}(\n  SELECT {}",
            d.materialized(),
            kept.join(", ")
        );
        let mut fields: Vec<String> = Vec::new();
        let excluded = self.excluded_by(&valid);
        fields.push(format!(
            "    -- {PROBLEM}: a row with a problem; {KEPT}: kept\n    {excluded} AS excluded_by"
        ));
        fields.push("    wd AS w".into());
        fields.push(format!("    {} AS wr", rounded_weight(d)));
        // The unit of a valid row: its stratum, PSU and fpc ('' where the design has none).
        if let Some(design) = &plan.design {
            let text =
                |col: Option<(usize, usize)>| col.map(|(i, _)| c(i)).unwrap_or_else(|| "''".into());
            fields.push(format!(
                "    -- the design: the valid row's stratum, PSU and fpc\n    CASE WHEN {valid} THEN {} END AS st",
                text(design.strata)
            ));
            fields.push(format!("    {} AS psu", text(design.psu)));
            fields.push(format!("    {} AS fpc", text(design.fpc)));
        }
        for (j, &g) in plan.groupings.iter().enumerate() {
            fields.push(format!("    {} AS g{j}", c(g)));
        }
        self.question_fields(&mut fields)?;
        // Blank IDs are problems of their own, not duplicates.
        let id = plan
            .id
            .map(|i| format!("NULLIF({}, '')", c(i)))
            .unwrap_or_else(|| format!("CAST(NULL AS {})", d.text_type()));
        fields.push(format!("    {id} AS id"));
        let unmarked = match (plan.id, &plan.synthetic_prefix) {
            (Some(i), Some(prefix)) => {
                let prefix = String::from_utf8_lossy(prefix);
                format!(
                    "CASE WHEN substr({}, 1, {}) <> {} THEN 1 ELSE 0 END",
                    c(i),
                    prefix.chars().count(),
                    d.lit(&prefix)
                )
            }
            _ => "0".into(),
        };
        fields.push(format!("    {unmarked} AS unmarked"));
        let _ = writeln!(sql, ",\n{}\n  FROM checked\n),", fields.join(",\n"));

        Ok(())
    }

    /// Where a row stands (`wire::row`): a problem, excluded by screener k, outside
    /// `--where` (a domain: still counted for the design's n), or kept.
    fn excluded_by(&self, valid: &str) -> String {
        let (d, plan) = (self.d, self.plan);
        let c = |i: usize| format!("c{i}");
        let mut excluded = format!("CASE WHEN NOT ({valid}) THEN {PROBLEM}");
        for (k, e) in plan.exclusions.iter().enumerate() {
            let codes: Vec<String> = code_texts(&e.codes)
                .into_iter()
                .zip(&e.excludes)
                .filter(|(_, &x)| x)
                .map(|(code, _)| code)
                .collect();
            let _ = write!(
                excluded,
                " WHEN {} THEN {k}",
                in_codes(d, &c(e.column), &codes)
            );
        }
        if let Some(f) = &plan.filter {
            let _ = write!(
                excluded,
                " WHEN NOT {} THEN {OUTSIDE_FILTER}",
                test_sql(d, &f.test, &c)
            );
        }
        let _ = write!(excluded, " ELSE {KEPT} END");
        excluded
    }

    /// Each question's answer state (or, summed per item, its answered flag and row masks)
    /// and its partial flag.
    fn question_fields(&self, fields: &mut Vec<String>) -> std::result::Result<(), Unsupported> {
        let (d, plan, question_ids) = (self.d, self.plan, self.question_ids);
        let c = |i: usize| format!("c{i}");
        for (k, (q, id)) in plan.questions.iter().zip(question_ids).enumerate() {
            let (state, partial) = state_sql(d, q, &c)?;
            if q.summed_per_item() {
                // Summed per item: answered (0/1), then its rows as bits of masks, 62 rows a
                // word: selected, and in the row's base (as QuestionPlan::selected and
                // unanswered read a state).
                let (answered, rows) = item_sql(d, q, &c);
                fields.push(format!(
                    "    -- {} (per item)\n    CASE WHEN {answered} THEN 1 ELSE 0 END AS s{k}",
                    comment(id)
                ));
                for (word, chunk) in rows.chunks(MASK_BITS).enumerate() {
                    let bits = |test: &dyn Fn(&str) -> String| -> String {
                        chunk
                            .iter()
                            .enumerate()
                            .map(|(b, y)| {
                                format!("CASE WHEN {} THEN {} ELSE 0 END", test(y), 1u64 << b)
                            })
                            .collect::<Vec<_>>()
                            .join(" + ")
                    };
                    let selected = bits(&|y| format!("({y}) = 1"));
                    let based = bits(&|y| format!("({y}) IS NOT NULL"));
                    fields.push(format!("    CAST({selected} AS BIGINT) AS sel{k}_{word}"));
                    fields.push(format!("    CAST({based} AS BIGINT) AS in{k}_{word}"));
                }
            } else {
                fields.push(format!("    -- {}\n    {state} AS s{k}", comment(id)));
            }
            fields.push(format!("    {partial} AS p{k}"));
        }
        Ok(())
    }

    /// The grouping sets of the one pass, and what each row of it holds.
    fn grouping_sets(&self) -> (Vec<String>, Vec<String>) {
        let (questions, g_cols, design) = self.shape();
        let mut sets: Vec<String> = vec![
            "()".into(),
            "(excluded_by)".into(),
            "(excluded_by, w, wf)".into(),
            "(excluded_by, wr)".into(),
        ];
        // With a design: the valid rows of each unit, and every cell per unit.
        if design {
            sets.push("(st, psu, fpc)".into());
        }
        for k in 0..questions {
            let mut cols = vec!["excluded_by".to_string()];
            if design {
                cols.extend(["st".to_string(), "psu".to_string()]);
            }
            cols.extend(g_cols.iter().cloned());
            cols.push(format!("s{k}"));
            sets.push(format!("({})", cols.join(", ")));
        }
        let mut aggs: Vec<String> = vec![
            "GROUPING(excluded_by) AS by_screener".into(),
            "GROUPING(w) AS by_weight".into(),
            "GROUPING(wr) AS by_rounded".into(),
            if design {
                "GROUPING(fpc) AS by_unit, st, psu, fpc".into()
            } else {
                "1 AS by_unit".into()
            },
        ];
        aggs.extend((0..questions).map(|k| format!("GROUPING(s{k}) AS by_q{k}")));
        aggs.push(
            "excluded_by, w AS weight_value, wf AS weight_float, wr AS weight_rounded".into(),
        );
        aggs.extend(g_cols.iter().cloned());
        aggs.extend((0..questions).map(|k| format!("s{k}")));
        aggs.push("COUNT(*) AS n".into());
        aggs.push("CAST(SUM(w) AS DECIMAL(38, 9)) AS w_sum".into());
        aggs.push("CAST(SUM(w * w) AS DECIMAL(38, 18)) AS w2_sum".into());
        aggs.push("SUM(wf) AS wf_sum, SUM(wf * wf) AS wf2_sum".into());
        aggs.extend((0..questions).map(|k| format!("SUM(p{k}) AS p{k}_sum")));
        (sets, aggs)
    }

    /// One pass over the rows: every sum at once, one grouping set per kind.
    fn sums(&self, sql: &mut String, rules: &Rules) {
        let (plan, columns) = (self.plan, self.columns);
        let c = |i: usize| format!("c{i}");
        let examples = &rules.examples;
        let (sets, aggs) = self.grouping_sets();
        // What only the rows row carries, in one row of its own: computed in every grouping
        // set, a wide codebook's thousands of rule counts ran DuckDB out of memory.
        let mut checks: Vec<String> = Vec::new();
        for r in 0..plan.rules.len() {
            checks.push(format!(
                "SUM(b{r}) AS invalid_{r}, MIN(CASE WHEN b{r} = 1 THEN {} END) AS example_{r}",
                match examples.get(r).and_then(Option::as_ref) {
                    Some(e) => e.clone(),
                    None => rule_value(plan, columns, r, &c),
                }
            ));
        }
        let totals = [
            "SUM(unmarked) AS unmarked_ids".to_string(),
            format!("SUM(CASE WHEN excluded_by = {PROBLEM} THEN 1 ELSE 0 END) AS invalid_rows"),
            format!("MAX(CASE WHEN excluded_by = {KEPT} THEN w END) AS w_max, MAX(CASE WHEN excluded_by = {KEPT} THEN wf END) AS wf_max"),
        ];
        let _ = writeln!(
            sql,
            "-- counts of every row, for the rows row\ntotals AS (\n  SELECT\n    {}\n  FROM evaluated\n),",
            totals.join(",\n    ")
        );
        let _ = writeln!(
            sql,
            "-- the rules every row breaks, for the rows row\nchecks AS (\n  SELECT\n    {}\n  FROM checked\n),",
            checks.join(",\n    ")
        );
        // Repeated IDs apart: a distinct count inside the grouping sets would be made per set.
        let ids = match plan.id {
            Some(_) => "SELECT COUNT(id) - COUNT(DISTINCT id) AS repeated FROM evaluated",
            None => "SELECT 0 AS repeated",
        };
        let _ = writeln!(
            sql,
            "-- rows whose respondent ID an earlier row has\nids AS ({ids}),"
        );
        let _ = writeln!(
            sql,
            "-- every sum in one pass over the rows: one grouping set per kind of sum\nsums AS (\n  SELECT\n    {}\n  FROM evaluated\n  GROUP BY GROUPING SETS (\n    {}\n  )\n),",
            aggs.join(",\n    "),
            sets.join(",\n    ")
        );
        self.items(sql);
        // Weights as they are while they are few (survey weights: a few hundred values), else
        // rounded to 4 significant digits, so that the sums stay small whatever the weights.
        let _ = writeln!(
            sql,
            "-- the distinct weights of kept respondents\ncounted AS (\n  SELECT sums.*, SUM(CASE WHEN by_weight = 0 AND excluded_by = {KEPT} THEN 1 ELSE 0 END) OVER () AS distinct_weights\n  FROM sums\n)"
        );
    }

    /// The questions summed per item ([`QuestionPlan::summed_per_item`]) with their rows.
    fn per_item(&self) -> Vec<(usize, usize)> {
        let (questions, _, _) = self.shape();
        (0..questions)
            .filter(|&k| self.plan.questions[k].summed_per_item())
            .map(|k| (k, self.plan.questions[k].rows()))
            .collect()
    }

    /// Sums per item and net of the questions summed so: each kept row once per row of the
    /// question, with its value there (1 selected, 0 not, NULL outside the row's base).
    fn items(&self, sql: &mut String) {
        let wide = self.per_item();
        let Some(most) = wide.iter().map(|&(_, rows)| rows).max() else {
            return;
        };
        let (_, g_cols, design) = self.shape();
        let mut keys: Vec<String> = vec!["excluded_by".into()];
        if design {
            keys.extend(["st".to_string(), "psu".to_string()]);
        }
        keys.extend(g_cols.iter().cloned());
        let numbers = d_numbers(self.d, most);
        let mut values: Vec<String> = Vec::new();
        for &(k, rows) in &wide {
            // Row i's bit: word i / 62, bit i % 62.
            let bit = |mask: &str| {
                let words: Vec<String> = (0..rows.div_ceil(MASK_BITS))
                    .map(|w| {
                        format!(
                            " WHEN r.i < {} THEN {}",
                            (w + 1) * MASK_BITS,
                            self.d.bit(
                                &format!("{mask}{k}_{w}"),
                                &format!("r.i - {}", w * MASK_BITS)
                            )
                        )
                    })
                    .collect();
                format!("CASE{} END", words.join(""))
            };
            values.push(format!(
                "CASE WHEN s{k} = 0 OR r.i >= {rows} OR {} = 0 THEN NULL ELSE {} END AS v{k}",
                bit("in"),
                bit("sel")
            ));
        }
        let _ = writeln!(
            sql,
            "-- the questions summed per item: each kept row once per item and net\nitem_rows AS (\n  SELECT {}, w, wf, r.i AS i,\n    {}\n  FROM evaluated CROSS JOIN ({}) r\n  WHERE excluded_by IN ({KEPT}, {OUTSIDE_FILTER})\n),",
            keys.join(", "),
            values.join(",\n    "),
            numbers
        );
        let sets: Vec<String> = wide
            .iter()
            .map(|&(k, _)| format!("({}, i, v{k})", keys.join(", ")))
            .collect();
        let flags: Vec<String> = wide
            .iter()
            .map(|&(k, _)| format!("GROUPING(v{k}) AS by_v{k}"))
            .collect();
        let picked: Vec<String> = wide.iter().map(|&(k, _)| format!("v{k}")).collect();
        let _ = writeln!(
            sql,
            "items AS (\n  SELECT {}, {}, i, {},\n    COUNT(*) AS n, CAST(SUM(w) AS DECIMAL(38, 9)) AS w_sum, CAST(SUM(w * w) AS DECIMAL(38, 18)) AS w2_sum, SUM(wf) AS wf_sum, SUM(wf * wf) AS wf2_sum\n  FROM item_rows\n  GROUP BY GROUPING SETS (\n    {}\n  )\n),",
            flags.join(", "),
            keys.join(", "),
            picked.join(", "),
            sets.join(",\n    ")
        );
    }

    /// The `kind` and `name` columns of a row of sums, from its grouping set.
    fn kind_and_name(&self) -> (String, String) {
        let (d, plan, question_ids) = (self.d, self.plan, self.question_ids);
        let (questions, _, _) = self.shape();
        let mut kind = format!(
            "CASE WHEN by_unit = 0 THEN {} WHEN by_screener = 1 THEN {} WHEN by_weight = 0 OR by_rounded = 0 THEN {}",
            Kind::Unit.lit(),
            Kind::Rows.lit(),
            Kind::Weight.lit()
        );
        let mut name = "CASE".to_string();
        for (k, id) in question_ids.iter().enumerate().take(questions) {
            let cell = match plan.questions[k].summed_per_item() {
                true => Kind::Base,
                false => Kind::Cell,
            };
            let _ = write!(kind, " WHEN by_q{k} = 0 THEN {}", cell.lit());
            let _ = write!(name, " WHEN by_q{k} = 0 THEN {}", d.lit(id));
        }
        let in_question: Vec<String> = (0..questions).map(|k| format!("by_q{k} = 0")).collect();
        if !in_question.is_empty() {
            kind = kind.replacen(
                " WHEN by_q0 = 0 THEN '",
                &format!(
                    " WHEN excluded_by = {OUTSIDE_FILTER} AND ({}) THEN {} WHEN by_q0 = 0 THEN '",
                    in_question.join(" OR "),
                    Kind::Outside.lit()
                ),
                1,
            );
        }
        let _ = write!(
            kind,
            " WHEN excluded_by = {OUTSIDE_FILTER} THEN {} ELSE {} END",
            Kind::Filtered.lit(),
            Kind::Excluded.lit()
        );
        name.push_str(" ELSE '' END");
        (kind, name)
    }

    /// The rows of sums written: every row count; screeners: valid rows they exclude;
    /// weights and cells: kept rows.
    fn kept_rows(&self) -> String {
        let (questions, _, design) = self.shape();
        let mut keep = if design {
            "(by_unit = 0 AND st IS NOT NULL) OR (by_unit = 1 AND by_screener = 1) OR (by_weight = 1 AND by_rounded = 1"
        } else {
            "by_screener = 1 OR (by_weight = 1 AND by_rounded = 1"
        }
        .to_string();
        for k in 0..questions {
            let _ = write!(keep, " AND by_q{k} = 1");
        }
        let _ = write!(
            keep,
            " AND (excluded_by >= 0 OR excluded_by = {OUTSIDE_FILTER})) OR (by_weight = 0 AND excluded_by = {KEPT} AND distinct_weights <= {MAX_WEIGHTS}) OR (by_rounded = 0 AND excluded_by = {KEPT} AND distinct_weights > {MAX_WEIGHTS}) OR ((FALSE"
        );
        for k in 0..questions {
            let _ = write!(keep, " OR by_q{k} = 0");
        }
        let _ = write!(keep, ") AND excluded_by IN ({KEPT}, {OUTSIDE_FILTER}))");
        keep
    }

    /// The long form: kind, name, grouping values, state, the sums.
    fn long_form(&self, sql: &mut String) {
        let d = self.d;
        let (questions, g_cols, design) = self.shape();
        let (kind, name) = self.kind_and_name();
        let mut state =
            "CASE WHEN by_screener = 0 AND by_weight = 1 AND by_rounded = 1".to_string();
        let mut partial = "CASE".to_string();
        for k in 0..questions {
            let _ = write!(state, " AND by_q{k} = 1");
        }
        state.push_str(" AND excluded_by >= 0 THEN excluded_by");
        for k in 0..questions {
            let _ = write!(state, " WHEN by_q{k} = 0 THEN s{k}");
            let _ = write!(partial, " WHEN by_q{k} = 0 THEN p{k}_sum");
        }
        state.push_str(" ELSE 0 END");
        partial.push_str(" ELSE 0 END");
        let mut out: Vec<String> = vec![format!("{kind} AS kind"), format!("{name} AS name")];
        out.extend(g_cols.iter().map(|g| format!("COALESCE({g}, '') AS {g}")));
        if design {
            out.push("COALESCE(st, '') AS stratum, COALESCE(psu, '') AS psu".into());
        }
        out.push(format!("CAST({state} AS BIGINT) AS state"));
        out.push("CAST(NULL AS BIGINT) AS item".into());
        out.push("n".into());
        out.push("w_sum AS w, w2_sum AS w2, wf_sum AS wf, wf2_sum AS wf2".into());
        out.push(format!("CAST({partial} AS BIGINT) AS partial"));
        out.push(format!(
            "COALESCE(CAST(weight_value AS {0}), CAST(weight_float AS {0}), CAST(weight_rounded AS {0}){1}) AS value",
            d.text_type(),
            if design { ", fpc" } else { "" }
        ));
        // The checks on the rows row only (each rule's count on a row of its own).
        let rows_row = "by_screener = 1 AND by_unit = 1";
        out.push(
            "CAST(CASE WHEN by_screener = 1 AND by_unit = 1 THEN repeated ELSE 0 END AS BIGINT) AS duplicate_ids"
                .into(),
        );
        out.push(format!(
            "CAST(CASE WHEN {rows_row} THEN unmarked_ids ELSE 0 END AS BIGINT) AS unmarked_ids"
        ));
        out.push(format!(
            "CAST(CASE WHEN {rows_row} THEN invalid_rows ELSE 0 END AS BIGINT) AS invalid_rows"
        ));
        out.push(format!(
            "CASE WHEN by_screener = 1 AND by_unit = 1 THEN {} END AS query_key",
            self.key
                .map_or_else(|| format!("CAST(NULL AS {})", d.text_type()), |k| d.lit(k))
        ));
        out.push(format!(
            "CASE WHEN by_screener = 1 AND by_unit = 1 THEN CAST(w_max AS {0}) END AS weight_max, CASE WHEN by_screener = 1 AND by_unit = 1 THEN CAST(wf_max AS {0}) END AS weight_max_float",
            d.text_type()
        ));
        let keep = self.kept_rows();
        let _ = writeln!(
            sql,
            "SELECT\n  {}\nFROM counted CROSS JOIN ids CROSS JOIN totals\nWHERE {keep}",
            out.join(",\n  ")
        );
        self.item_form(sql);
        self.rule_form(sql);
    }

    /// One row per rule of the codebook that rows broke: kind `invalid`, `state` the rule,
    /// `n` the rows breaking it, `value` the least such value (a column per rule made the
    /// sums of a wide codebook thousands of columns wide).
    fn rule_form(&self, sql: &mut String) {
        let (d, plan) = (self.d, self.plan);
        let rules = plan.rules.len();
        if rules == 0 {
            return;
        }
        let (_, g_cols, design) = self.shape();
        let text = d.text_type();
        let numbers = d_numbers(d, rules);
        let pick = |column: &str| {
            let cases: Vec<String> = (0..rules)
                .map(|r| format!(" WHEN {r} THEN {column}_{r}"))
                .collect();
            format!("CASE r.i{} END", cases.join(""))
        };
        let mut out: Vec<String> = vec![
            format!("{} AS kind", Kind::Invalid.lit()),
            "'' AS name".into(),
        ];
        out.extend(g_cols.iter().map(|g| format!("'' AS {g}")));
        if design {
            out.push("'' AS stratum, '' AS psu".into());
        }
        out.push("CAST(r.i AS BIGINT) AS state, CAST(NULL AS BIGINT) AS item".into());
        out.push(format!("CAST({} AS BIGINT) AS n", pick("invalid")));
        out.push(format!(
            "CAST(NULL AS DECIMAL(38, 9)) AS w, CAST(NULL AS DECIMAL(38, 18)) AS w2, CAST(NULL AS {0}) AS wf, CAST(NULL AS {0}) AS wf2",
            d.double()
        ));
        out.push(format!(
            "CAST(0 AS BIGINT) AS partial, CAST({} AS {text}) AS value",
            pick("example")
        ));
        out.push("CAST(0 AS BIGINT) AS duplicate_ids, CAST(0 AS BIGINT) AS unmarked_ids, CAST(0 AS BIGINT) AS invalid_rows".into());
        out.push(format!(
            "CAST(NULL AS {text}) AS query_key, CAST(NULL AS {text}) AS weight_max, CAST(NULL AS {text}) AS weight_max_float"
        ));
        let _ = writeln!(
            sql,
            "UNION ALL\nSELECT\n  {}\nFROM checks CROSS JOIN ({}) r\nWHERE {} > 0",
            out.join(",\n  "),
            numbers,
            pick("invalid")
        );
    }

    /// The rows of the questions summed per item, in the same columns: kind `item` (or
    /// `outside_item`), the question, its groups (and unit), `item` the row (item, then
    /// net), `state` 1 for selecting respondents and 0 for those answering otherwise.
    fn item_form(&self, sql: &mut String) {
        let (d, question_ids) = (self.d, self.question_ids);
        let wide = self.per_item();
        if wide.is_empty() {
            return;
        }
        let (_, g_cols, design) = self.shape();
        let text = d.text_type();
        let mut name = "CASE".to_string();
        let mut state = "CASE".to_string();
        for &(k, _) in &wide {
            let _ = write!(name, " WHEN by_v{k} = 0 THEN {}", d.lit(&question_ids[k]));
            let _ = write!(state, " WHEN by_v{k} = 0 THEN v{k}");
        }
        let mut out: Vec<String> = vec![
            format!(
                "CASE WHEN excluded_by = {OUTSIDE_FILTER} THEN {} ELSE {} END AS kind",
                Kind::OutsideItem.lit(),
                Kind::Item.lit()
            ),
            format!("{name} END AS name"),
        ];
        out.extend(g_cols.iter().map(|g| format!("COALESCE({g}, '') AS {g}")));
        if design {
            out.push("COALESCE(st, '') AS stratum, COALESCE(psu, '') AS psu".into());
        }
        out.push(format!("CAST({state} END AS BIGINT) AS state"));
        out.push("CAST(i AS BIGINT) AS item".into());
        out.push("n, w_sum AS w, w2_sum AS w2, wf_sum AS wf, wf2_sum AS wf2".into());
        out.push(format!(
            "CAST(0 AS BIGINT) AS partial, CAST(NULL AS {text}) AS value"
        ));
        out.push("CAST(0 AS BIGINT) AS duplicate_ids, CAST(0 AS BIGINT) AS unmarked_ids, CAST(0 AS BIGINT) AS invalid_rows".into());
        out.push(format!(
            "CAST(NULL AS {text}) AS query_key, CAST(NULL AS {text}) AS weight_max, CAST(NULL AS {text}) AS weight_max_float"
        ));
        let keep: Vec<String> = wide
            .iter()
            .map(|&(k, _)| format!("(by_v{k} = 0 AND v{k} IS NOT NULL)"))
            .collect();
        let _ = writeln!(
            sql,
            "UNION ALL\nSELECT\n  {}\nFROM items\nWHERE {}",
            out.join(",\n  "),
            keep.join(" OR ")
        );
    }
}

/// Rows of a question summed per item held in one BIGINT mask (the sign bit left alone).
const MASK_BITS: usize = 62;

/// The whole numbers from 0 to `n` − 1 as a table of one column `i`.
fn d_numbers(d: Dialect, n: usize) -> String {
    let last = n.saturating_sub(1);
    match d {
        Dialect::DuckDb => format!("SELECT range AS i FROM range({n})"),
        Dialect::Postgres => format!("SELECT generate_series(0, {last}) AS i"),
        Dialect::Spark => format!("SELECT explode(sequence(0, {last})) AS i"),
    }
}

/// Distinct weights the sums list as they are; past this, rounded.
pub(crate) const MAX_WEIGHTS: usize = 100_000;

/// A kept respondent's weight rounded to 4 significant digits.
fn rounded_weight(d: Dialect) -> String {
    let scale = "POWER(10, FLOOR(LOG10(wx)))";
    match d {
        Dialect::Postgres => {
            format!("CAST(ROUND(CAST(wx / {scale} AS NUMERIC), 3) AS DOUBLE PRECISION) * {scale}")
        }
        _ => format!("ROUND(wx / {scale}, 3) * {scale}"),
    }
}

/// The value an `invalid` row shows as an example: the rule's column.
fn rule_value(plan: &Plan, columns: &[String], r: usize, c: &impl Fn(usize) -> String) -> String {
    let column = &plan.rules[r].column;
    crate::plan::position(columns, column)
        .map(c)
        .unwrap_or_else(|| "''".into())
}

/// A `--where` test as a condition on the trimmed columns (never NULL: they are text).
fn test_sql(d: Dialect, t: &crate::codebook::domain::Test, c: &impl Fn(usize) -> String) -> String {
    use crate::codebook::domain::Test;
    let join = |v: &[Test], op: &str, empty: &str| {
        if v.is_empty() {
            return empty.to_string();
        }
        let parts: Vec<String> = v.iter().map(|t| test_sql(d, t, c)).collect();
        format!("({})", parts.join(op))
    };
    match t {
        Test::Any(v) => join(v, " OR ", "FALSE"),
        Test::All(v) => join(v, " AND ", "TRUE"),
        Test::Not(t) => format!("(NOT {})", test_sql(d, t, c)),
        Test::In { column, codes } => {
            let codes: Vec<String> = codes
                .iter()
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect();
            format!("({})", in_codes(d, &c(*column), &codes))
        }
    }
}

/// A question summed per item: whether a row answered it, and per row (items, then nets)
/// 1 when selected, 0 when not, NULL when outside that row's base with a base per item
/// (the item blank; a net whose items all are). Rows of respondents who did not answer the
/// question are left out where the rows are summed.
fn item_sql(d: Dialect, q: &QuestionPlan, c: &impl Fn(usize) -> String) -> (String, Vec<String>) {
    let (answered, mut rows): (String, Vec<String>) = match q {
        QuestionPlan::Multi {
            form:
                MultiForm::Dichotomies {
                    columns,
                    coding,
                    each_item,
                    ..
                },
            ..
        } => {
            let (answers, selected): (Vec<String>, Vec<String>) = columns
                .iter()
                .map(|&col| {
                    let v = c(col);
                    match coding {
                        Coding::ZeroOne => (format!("{v} IN ('0', '1')"), format!("{v} = '1'")),
                        Coding::Filled => (format!("{v} <> ''"), format!("{v} <> ''")),
                    }
                })
                .unzip();
            let any = format!("({})", answers.join(" OR "));
            let rows = answers
                .iter()
                .zip(&selected)
                .map(|(a, sel)| {
                    let blank = match each_item {
                        true => format!(" WHEN NOT ({a}) THEN NULL"),
                        false => String::new(),
                    };
                    format!("CASE{blank} WHEN {sel} THEN 1 ELSE 0 END")
                })
                .collect();
            (any, rows)
        }
        QuestionPlan::Multi {
            items,
            form:
                MultiForm::Delimited {
                    column,
                    codes,
                    unlisted,
                    ..
                },
            ..
        } => {
            let v = c(*column);
            let tokens = format!("t{column}");
            let rows = (0..*items)
                .map(|item| {
                    let chosen = chosen_sql(d, &tokens, (codes, *unlisted), item)
                        .unwrap_or_else(|| "FALSE".to_string());
                    format!("CASE WHEN {chosen} THEN 1 ELSE 0 END")
                })
                .collect();
            (format!("{v} <> ''"), rows)
        }
        QuestionPlan::Single { .. } => ("FALSE".into(), Vec::new()),
    };
    for members in q.nets() {
        let ys: Vec<&String> = members.iter().filter_map(|&m| rows.get(m)).collect();
        let all_blank: Vec<String> = ys.iter().map(|y| format!("({y}) IS NULL")).collect();
        let any: Vec<String> = ys.iter().map(|y| format!("({y}) = 1")).collect();
        rows.push(format!(
            "CASE WHEN {} THEN NULL WHEN {} THEN 1 ELSE 0 END",
            all_blank.join(" AND "),
            any.join(" OR ")
        ));
    }
    (answered, rows)
}

/// The answer state and partial flag of a "check all" question in 0/1 or filled columns.
fn dichotomies_state_sql(
    columns: &[usize],
    coding: Coding,
    each_item: bool,
    c: &impl Fn(usize) -> String,
) -> (String, String) {
    let k = columns.len();
    let (answered, selected): (Vec<String>, Vec<String>) = columns
        .iter()
        .map(|&col| {
            let v = c(col);
            match coding {
                Coding::ZeroOne => (format!("{v} IN ('0', '1')"), format!("{v} = '1'")),
                Coding::Filled => (format!("{v} <> ''"), format!("{v} <> ''")),
            }
        })
        .unzip();
    let any = answered.join(" OR ");
    let mut bits = vec![states::ANSWERED.to_string()];
    for (i, sel) in selected.iter().enumerate() {
        bits.push(format!(
            "CASE WHEN {sel} THEN {} ELSE 0 END",
            1u64 << states::selected_bit(i)
        ));
    }
    if each_item {
        for (i, &col) in columns.iter().enumerate() {
            bits.push(format!(
                "CASE WHEN {} = '' THEN {} ELSE 0 END",
                c(col),
                1u64 << states::blank_bit(k, i)
            ));
        }
    }
    let state = format!(
        "CASE WHEN {any} THEN {} ELSE {} END",
        bits.join(" + "),
        states::NONE
    );
    let partial = match coding {
        Coding::ZeroOne => {
            let blank: Vec<String> = columns
                .iter()
                .map(|&col| format!("{} = ''", c(col)))
                .collect();
            format!(
                "CASE WHEN ({any}) AND ({}) THEN 1 ELSE 0 END",
                blank.join(" OR ")
            )
        }
        Coding::Filled => "0".into(),
    };
    (state, partial)
}

/// The answer state of question `q` and whether it is a partial "check all" (0/1).
fn state_sql(
    d: Dialect,
    q: &QuestionPlan,
    c: &impl Fn(usize) -> String,
) -> std::result::Result<(String, String), Unsupported> {
    match q {
        QuestionPlan::Single { column, codes, .. } => {
            let v = c(*column);
            let mut s = "CASE".to_string();
            for (i, code) in code_texts(codes).iter().enumerate() {
                let _ = write!(s, " WHEN {v} = {} THEN {}", d.lit(code), states::single(i));
            }
            Ok((s + &format!(" ELSE {} END", states::NONE), "0".into()))
        }
        QuestionPlan::Multi {
            form:
                MultiForm::Dichotomies {
                    columns,
                    coding,
                    each_item,
                    ..
                },
            ..
        } => Ok(dichotomies_state_sql(columns, *coding, *each_item, c)),
        QuestionPlan::Multi {
            items,
            form:
                MultiForm::Delimited {
                    column,
                    codes,
                    unlisted,
                    ..
                },
            ..
        } => {
            let v = c(*column);
            let tokens = format!("t{column}");
            let mut bits = vec![states::ANSWERED.to_string()];
            for item in 0..*items {
                if let Some(chosen) = chosen_sql(d, &tokens, (codes, *unlisted), item) {
                    bits.push(format!(
                        "CASE WHEN {chosen} THEN {} ELSE 0 END",
                        1u64 << states::selected_bit(item)
                    ));
                }
            }
            Ok((
                format!(
                    "CASE WHEN {v} <> '' THEN {} ELSE {} END",
                    bits.join(" + "),
                    states::NONE
                ),
                "0".into(),
            ))
        }
    }
}

/// Whether item `item` of a question of joined codes is chosen in a cell: one of its codes
/// is a token, or (for the item of typed answers) a token is no code; `None` when nothing
/// can choose it.
fn chosen_sql(
    d: Dialect,
    tokens: &str,
    (codes, unlisted): (&[(Vec<u8>, usize)], Option<usize>),
    item: usize,
) -> Option<String> {
    let mut chosen: Vec<String> = codes
        .iter()
        .filter(|(_, i)| *i == item)
        .map(|(code, _)| contains(d, tokens, &String::from_utf8_lossy(code)))
        .collect();
    if unlisted == Some(item) {
        chosen.push(joined_unknown(d, tokens, codes));
    }
    (!chosen.is_empty()).then(|| chosen.join(" OR "))
}

/// ASCII white space as the reader trims it, in a regular expression.
const WHITE_SPACE: &str = "[ \\t\\n\\f\\r]";

/// The tokens of `v` when no code holds a character of the separator: a plain split.
fn split_plainly(d: Dialect, v: &str, separator: &Separator) -> String {
    let space = WHITE_SPACE;
    match separator {
        Separator::Text(t) => {
            let delim = String::from_utf8_lossy(t).into_owned();
            match d {
                // A list comprehension: DuckDB's lambda syntax changed between versions.
                Dialect::DuckDb => format!(
                    "[{} FOR tok IN string_split({v}, {})]",
                    d.trim("tok"),
                    d.lit(&delim)
                ),
                Dialect::Spark => format!(
                    "transform(split({v}, {}), tok -> {})",
                    d.lit(&regex_literal(&delim)),
                    d.trim("tok")
                ),
                Dialect::Postgres => format!("string_to_array({v}, {})", d.lit(&delim)),
            }
        }
        // The cell is trimmed: no empty token at either end.
        Separator::Space => {
            let runs = format!("{space}+");
            match d {
                Dialect::DuckDb => format!("regexp_split_to_array({v}, {})", d.lit(&runs)),
                Dialect::Spark => format!("split({v}, {})", d.lit(&runs)),
                Dialect::Postgres => {
                    format!("regexp_split_to_array({v}, {})", d.lit(&runs))
                }
            }
        }
    }
}

/// The trimmed tokens of a cell of joined codes, as an array (DuckDB, Spark); PostgreSQL
/// trims them where it reads them. The cell is split at each separator (white space around
/// it is not part of it; a separator of white space is any run of it), unless a code shares
/// a character with the separator (Google Forms' choice texts with commas, codes with
/// spaces between white-space separators): then it is read as the file reader reads it, the
/// longest code that ends at a separator first, by a regular expression whose alternatives
/// are tried in order (RE2 in DuckDB, Java's in Spark; PostgreSQL's prefer the longest
/// match, so it is refused there).
fn joined_tokens(
    d: Dialect,
    v: &str,
    separator: &Separator,
    codes: &[(Vec<u8>, usize)],
) -> std::result::Result<String, Unsupported> {
    let space = WHITE_SPACE;
    let shared = codes.iter().any(|(code, _)| match separator {
        Separator::Text(t) => code
            .iter()
            .any(|b| !b.is_ascii_whitespace() && t.contains(b)),
        Separator::Space => code.iter().any(u8::is_ascii_whitespace),
    });
    if !shared {
        return Ok(split_plainly(d, v, separator));
    }
    if d == Dialect::Postgres {
        return Err(Unsupported(format!(
            "a code of a \"check all\" question joined in one column holds a character of its separator ({separator}); compiled for DuckDB and Spark, not for PostgreSQL"
        )));
    }
    // Each match: a code followed by a separator or the end (group 1), else the text up to
    // the next separator (group 2); white space around a separator is skipped, as the reader
    // skips it. Codes come longest first, as the plan holds them.
    let end = match separator {
        Separator::Text(t) => format!(
            "{space}*(?:{}{space}*|\\z)",
            regex_literal(&String::from_utf8_lossy(t))
        ),
        Separator::Space => format!("(?:{space}+|\\z)"),
    };
    let alternatives: Vec<String> = codes
        .iter()
        .map(|(code, _)| regex_literal(&String::from_utf8_lossy(code)))
        .collect();
    let pattern = d.lit(&format!("(?s)({}){end}|(.*?){end}", alternatives.join("|")));
    let group = |k: u8| format!("regexp_extract_all({v}, {pattern}, {k})");
    let token = |code: &str, text: &str| {
        format!(
            "CASE WHEN {code} IS NOT NULL AND {code} <> '' THEN {code} ELSE COALESCE({}, '') END",
            d.trim(text)
        )
    };
    Ok(match d {
        Dialect::DuckDb => format!(
            "[{} FOR p IN list_zip({}, {})]",
            token("p[1]", "p[2]"),
            group(1),
            group(2)
        ),
        _ => format!(
            "zip_with({}, {}, (x, y) -> {})",
            group(1),
            group(2),
            token("x", "y")
        ),
    })
}

/// A regular expression matching `text` literally.
fn regex_literal(text: &str) -> String {
    text.chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == ' ' {
                ch.to_string()
            } else {
                format!("\\Q{ch}\\E")
            }
        })
        .collect()
}

/// Whether a token of the cell is `code`.
fn contains(d: Dialect, tokens: &str, code: &str) -> String {
    match d {
        Dialect::DuckDb => format!("list_contains({tokens}, {})", d.lit(code)),
        Dialect::Spark => format!("array_contains({tokens}, {})", d.lit(code)),
        Dialect::Postgres => format!(
            "EXISTS (SELECT 1 FROM unnest({tokens}) AS t(tok) WHERE {} = {})",
            d.trim("tok"),
            d.lit(code)
        ),
    }
}

/// The non-blank tokens of the cell that are none of the codes: a list (DuckDB, Spark), or
/// for PostgreSQL the `FROM … WHERE …` of a subquery over them (`tok` trimmed, `k` its place).
fn unknown_tokens(d: Dialect, tokens: &str, codes: &[(Vec<u8>, usize)]) -> String {
    let texts: Vec<String> = codes
        .iter()
        .map(|(code, _)| String::from_utf8_lossy(code).into_owned())
        .collect();
    match d {
        Dialect::DuckDb => format!(
            "[tok FOR tok IN {tokens} IF tok <> '' AND NOT {}]",
            in_codes(d, "tok", &texts)
        ),
        Dialect::Spark => format!(
            "filter({tokens}, tok -> tok <> '' AND NOT {})",
            in_codes(d, "tok", &texts)
        ),
        Dialect::Postgres => {
            let t = d.trim("tok");
            format!(
                "FROM unnest({tokens}) WITH ORDINALITY AS t(tok, k) WHERE {t} <> '' AND NOT {}",
                in_codes(d, &t, &texts)
            )
        }
    }
}

/// Whether a non-blank token of the cell is none of the codes.
fn joined_unknown(d: Dialect, tokens: &str, codes: &[(Vec<u8>, usize)]) -> String {
    let unknown = unknown_tokens(d, tokens, codes);
    match d {
        Dialect::DuckDb => format!("len({unknown}) > 0"),
        Dialect::Spark => format!("size({unknown}) > 0"),
        Dialect::Postgres => format!("EXISTS (SELECT 1 {unknown})"),
    }
}

/// The first non-blank token of the cell that is none of the codes (NULL if none).
fn first_unknown(d: Dialect, tokens: &str, codes: &[(Vec<u8>, usize)]) -> String {
    let unknown = unknown_tokens(d, tokens, codes);
    match d {
        Dialect::DuckDb => format!("{unknown}[1]"),
        Dialect::Spark => format!("try_element_at({unknown}, 1)"),
        Dialect::Postgres => format!("(SELECT {} {unknown} ORDER BY k LIMIT 1)", d.trim("tok")),
    }
}

/// Text for a `--` comment: one line, no control characters.
fn comment(s: &str) -> String {
    s.chars()
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Dialect;

    #[test]
    fn identifiers_and_literals_cannot_escape_their_quotes() {
        for d in [Dialect::DuckDb, Dialect::Postgres] {
            assert_eq!(d.ident("a\"b"), "\"a\"\"b\"");
            assert_eq!(d.lit("it's"), "'it''s'");
            assert_eq!(d.lit("a\\b"), "'a\\b'");
            assert_eq!(d.lit(""), "''");
            assert_eq!(d.lit("a\nb"), "('a' || chr(10) || 'b')");
            assert_eq!(d.table("db.s.t\"x"), "\"db\".\"s\".\"t\"\"x\"");
        }
        let s = Dialect::Spark;
        assert_eq!(s.ident("a`b"), "`a``b`");
        assert_eq!(s.lit("it's \\' x"), "'it''s \\\\'' x'");
        assert_eq!(s.lit("\u{1b}[31m"), "concat(char(27), '[31m')");
    }
}
