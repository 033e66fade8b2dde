//! `concerns sql`: the codebook compiled to one aggregate query, so that the pass over the
//! rows can run where the data lives (DuckDB, Spark, PostgreSQL). The query applies the
//! same rules as [`crate::plan::Plan::eval`] (validity of every value, the screener, the
//! answer state of each question) and returns the additive sums the tally keeps: per
//! question, per combination of grouping values and per answer state, the respondents,
//! Σw and Σw², plus the checks the file reader makes.
//!
//! The result is one table in long form, whatever the codebook:
//!
//! | column | what |
//! | --- | --- |
//! | `kind` | `rows`, `invalid` (per rule), `excluded` (per screener), `duplicate_ids`, `unmarked_ids` (IDs without the synthetic-data prefix, when the codebook names one), `weight` (per distinct weight), `cell` (per question, grouping values and state) |
//! | `name` | the question (`cell`), the rule's column (`invalid`), the screener's column |
//! | `g0`, `g1`, … | grouping values (`--by` segments, then contrasts' questions); empty: blank |
//! | `state` | the answer state, as [`crate::plan::State`] numbers it |
//! | `n` | rows |
//! | `w`, `w2` | Σw and Σw² of weights written as decimals of up to 9 places, exact (DECIMAL) |
//! | `wf`, `wf2` | Σw and Σw² of other weights (floating point) |
//! | `partial` | respondents who answered some items of a "check all" and left others blank |
//! | `value` | an example of an invalid value; a distinct weight |

use std::fmt::Write as _;

use crate::codebook::{Codebook, Coding};
use crate::error::{Error, Result};
use crate::load::WeightChoice;
use crate::pipeline::Options;
use crate::plan::{Codes, MultiForm, Plan, QuestionPlan};

/// The SQL engines the query is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    DuckDb,
    Postgres,
    Spark,
}

impl Dialect {
    pub fn name(self) -> &'static str {
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

    /// A column's value as text without the ASCII white space around it ('' when NULL),
    /// as the file reader trims each field.
    fn trimmed(self, column: &str) -> String {
        let cast = format!(
            "COALESCE(CAST({} AS {}), '')",
            self.ident(column),
            self.text_type()
        );
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

    /// `expr` as a double, NULL when it is not a number.
    fn try_double(self, expr: &str) -> String {
        match self {
            Dialect::DuckDb => format!("TRY_CAST({expr} AS DOUBLE)"),
            // Spark's CAST gives NULL for what it cannot read (ANSI mode off, the default).
            Dialect::Spark => format!("CAST({expr} AS DOUBLE)"),
            Dialect::Postgres => format!(
                "CASE WHEN {} THEN CAST({expr} AS DOUBLE PRECISION) END",
                self.full_match(expr, NUMBER)
            ),
        }
    }

    fn double(self) -> &'static str {
        match self {
            Dialect::Postgres => "DOUBLE PRECISION",
            _ => "DOUBLE",
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
pub struct Unsupported(pub String);

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
/// it names, as the query and the sums read them: (plan, columns, segments).
pub(crate) fn plan_for<'c>(
    codebook: &'c Codebook,
    opts: &Options,
) -> Result<(Plan, Vec<String>, Vec<&'c crate::codebook::Segment>)> {
    opts.check()?;
    let segments = opts.segments(codebook)?;
    let weight = match &opts.weight {
        WeightChoice::Codebook => codebook.weight.clone(),
        WeightChoice::None => None,
        WeightChoice::Column(c) => Some(c.clone()),
    };
    // The table's columns are those the codebook and the segments name.
    let mut columns = codebook.needed_columns(weight.as_deref());
    let mut groupings: Vec<String> = segments.iter().map(|s| s.column.clone()).collect();
    for c in &codebook.contrasts {
        if let Some(column) = codebook.question(&c.by).and_then(|q| q.column.clone()) {
            groupings.push(column);
        }
    }
    for g in &groupings {
        if !columns.contains(g) {
            columns.push(g.clone());
        }
    }
    let mut plan = Plan::new(codebook, &columns, weight.as_deref(), &groupings, &segments)
        .map_err(|m| Error::Usage(format!("column {} is needed and unknown", m.0)))?;
    plan.filter = opts
        .filter
        .as_deref()
        .map(|f| crate::domain::compile(f, "--where", codebook, &columns))
        .transpose()?;
    Ok((plan, columns, segments))
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
    let (plan, columns, _) = plan_for(codebook, opts)?;
    query(&plan, &columns, &codebook.question_ids(), dialect, table)
        .map_err(|u| Error::Usage(format!("concerns sql: {}", u.0)))
}

/// The query for `plan` (compiled against `columns`) reading `table`.
fn query(
    plan: &Plan,
    columns: &[String],
    question_ids: &[String],
    dialect: Dialect,
    table: &str,
) -> std::result::Result<String, Unsupported> {
    let d = dialect;
    if plan.design.is_some() {
        return Err(Unsupported(
            "designs with strata or clusters are not compiled to SQL yet".into(),
        ));
    }
    if plan.filter.is_some() {
        return Err(Unsupported("--where is not compiled to SQL yet".into()));
    }
    let c = |i: usize| format!("c{i}");
    // Every column the plan reads, once.
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
    plan.segment_rules()
        .iter()
        .for_each(|(col, _, _)| use_col(*col));
    for q in &plan.questions {
        match q {
            QuestionPlan::Single { column, .. } => use_col(*column),
            QuestionPlan::Multi { form, .. } => match form {
                MultiForm::Dichotomies { columns, .. } => columns.iter().for_each(|&x| use_col(x)),
                MultiForm::Delimited { .. } => {
                    return Err(Unsupported(
                        "a \"check all\" question held in one column of joined codes is not compiled to SQL yet".into(),
                    ))
                }
            },
        }
    }
    plan.groupings.iter().for_each(|&g| use_col(g));

    // Each rule: the condition under which a row breaks it, and the column it names.
    let mut rules: Vec<Option<String>> = vec![None; plan.rules.len()];
    let mut add_rule = |r: usize, cond: String| {
        rules[r] = Some(match rules[r].take() {
            Some(prev) => format!("({prev}) OR ({cond})"),
            None => cond,
        });
    };
    if let (Some(i), Some(r)) = (plan.id, plan.id_rule()) {
        add_rule(r, format!("{} = ''", c(i)));
    }
    let weight_ok = plan.weight.map(|(w, r)| {
        let v = c(w);
        let fixed = format!(
            "({} AND {v} NOT IN ('', '.'))",
            d.full_match(&v, FIXED)
        );
        // 16 digits hold every accepted decimal weight (up to 10^6, 9 places), and keep
        // w · w within 38 digits: Spark would otherwise round the product to 6 places.
        let fixed_value = format!("CAST(CASE WHEN {fixed} THEN {v} END AS DECIMAL(16, 9))");
        let float_value = d.try_double(&v);
        // NULL (not a number) is not valid.
        let ok = format!(
            "COALESCE(({fixed_value} > 0 AND {fixed_value} <= 1000000) OR (NOT {fixed} AND {float_value} BETWEEN 1e-9 AND 1e9), FALSE)"
        );
        add_rule(r, format!("NOT {ok}"));
        (fixed, fixed_value, float_value)
    });
    for e in &plan.exclusions {
        add_rule(
            e.rule,
            format!("NOT {}", in_codes(d, &c(e.column), &code_texts(&e.codes))),
        );
    }
    for (col, codes, r) in plan.segment_rules() {
        let v = c(*col);
        add_rule(
            *r,
            format!("{v} <> '' AND NOT {}", in_codes(d, &v, &code_texts(codes))),
        );
    }
    for q in &plan.questions {
        match q {
            QuestionPlan::Single {
                column,
                codes,
                rule,
                ..
            } => {
                let v = c(*column);
                add_rule(
                    *rule,
                    format!("{v} <> '' AND NOT {}", in_codes(d, &v, &code_texts(codes))),
                );
            }
            QuestionPlan::Multi {
                form:
                    MultiForm::Dichotomies {
                        columns,
                        coding,
                        rules: item_rules,
                        ..
                    },
                ..
            } => {
                if *coding == Coding::ZeroOne {
                    for (&col, &r) in columns.iter().zip(item_rules) {
                        add_rule(r, format!("{} NOT IN ('', '0', '1')", c(col)));
                    }
                }
            }
            QuestionPlan::Multi { .. } => {}
        }
    }

    let mut sql = String::new();
    let _ = writeln!(
        sql,
        "-- concerns sql ({}): the sums `concerns table --sums` finishes. One row per kind of\n-- sum; see `concerns sql --help` for the columns.",
        d.name()
    );
    let _ = writeln!(sql, "WITH");
    // Stage 1: the needed columns as trimmed text.
    let _ = writeln!(
        sql,
        "-- every needed column as text, without the white space around it"
    );
    let _ = writeln!(sql, "src AS (\n  SELECT");
    let cols: Vec<String> = used
        .iter()
        .map(|&i| format!("    {} AS {}", d.trimmed(&columns[i]), c(i)))
        .collect();
    let _ = writeln!(sql, "{}\n  FROM {}\n),", cols.join(",\n"), d.table(table));
    // Stage 2: the rules each row breaks.
    let _ = writeln!(sql, "-- 1 where a row breaks a rule of the codebook");
    let _ = writeln!(sql, "checked AS (\n  SELECT src.*");
    for (r, cond) in rules.iter().enumerate() {
        let cond = cond.clone().unwrap_or_else(|| "FALSE".into());
        let _ = writeln!(
            sql,
            "    , CASE WHEN {cond} THEN 1 ELSE 0 END AS b{r} -- {}: {}",
            comment(&plan.rules[r].column),
            comment(&plan.rules[r].expected)
        );
    }
    let _ = writeln!(sql, "  FROM src\n),");
    // Stage 3: valid rows, their screener, weight, grouping values and answer states.
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
        "-- valid rows: the screener that excludes them, the weight, the answers"
    );
    let _ = writeln!(sql, "evaluated AS (\n  SELECT");
    let mut fields: Vec<String> = Vec::new();
    let excluded = if plan.exclusions.is_empty() {
        "-1".to_string()
    } else {
        let mut s = "CASE".to_string();
        for (k, e) in plan.exclusions.iter().enumerate() {
            let codes: Vec<String> = code_texts(&e.codes)
                .into_iter()
                .zip(&e.excludes)
                .filter(|(_, &x)| x)
                .map(|(code, _)| code)
                .collect();
            let _ = write!(s, " WHEN {} THEN {k}", in_codes(d, &c(e.column), &codes));
        }
        s + " ELSE -1 END"
    };
    fields.push(format!("    {excluded} AS excluded_by"));
    match &weight_ok {
        Some((fixed, fixed_value, float_value)) => {
            fields.push(format!("    {fixed_value} AS w"));
            fields.push(format!(
                "    CAST(CASE WHEN NOT {fixed} THEN {float_value} END AS {}) AS wf",
                d.double()
            ));
        }
        None => {
            fields.push("    CAST(1 AS DECIMAL(16, 9)) AS w".into());
            fields.push(format!("    CAST(NULL AS {}) AS wf", d.double()));
        }
    }
    for (j, &g) in plan.groupings.iter().enumerate() {
        fields.push(format!("    {} AS g{j}", c(g)));
    }
    for (k, (q, id)) in plan.questions.iter().zip(question_ids).enumerate() {
        let (state, partial) = state_sql(d, q, &c)?;
        fields.push(format!("    -- {}\n    {state} AS s{k}", comment(id)));
        fields.push(format!("    {partial} AS p{k}"));
    }
    if let Some(i) = plan.id {
        fields.push(format!("    {} AS id", c(i)));
    }
    let _ = writeln!(
        sql,
        "{}\n  FROM checked\n  WHERE {valid}\n),",
        fields.join(",\n")
    );
    let _ = writeln!(sql, "-- the respondents the screener keeps");
    let _ = writeln!(
        sql,
        "kept AS (SELECT * FROM evaluated WHERE excluded_by = -1)"
    );

    // The result, one SELECT per kind of sum.
    let groups = plan.groupings.len();
    let blank_groups = |values: &[String]| -> String {
        (0..groups)
            .map(|j| {
                format!(
                    "{} AS g{j}",
                    values.get(j).cloned().unwrap_or_else(|| "''".into())
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let select = |kind: &str, name: &str, g: &str, rest: &str| -> String {
        let g = if g.is_empty() {
            String::new()
        } else {
            format!("{g}, ")
        };
        format!(
            "SELECT {} AS kind, {} AS name, {g}{rest}",
            d.lit(kind),
            d.lit(name)
        )
    };
    let null_sums = format!(
        "CAST(NULL AS DECIMAL(38, 9)) AS w, CAST(NULL AS DECIMAL(38, 18)) AS w2, CAST(NULL AS {0}) AS wf, CAST(NULL AS {0}) AS wf2, CAST(0 AS BIGINT) AS partial",
        d.double()
    );
    let no_value = format!("CAST(NULL AS {}) AS value", d.text_type());
    let mut parts: Vec<String> = Vec::new();
    parts.push(format!(
        "-- rows read\n{} FROM src",
        select(
            "rows",
            "",
            &blank_groups(&[]),
            &format!("CAST(0 AS BIGINT) AS state, COUNT(*) AS n, {null_sums}, {no_value}")
        )
    ));
    for (r, rule) in plan.rules.iter().enumerate() {
        parts.push(format!(
            "-- rows breaking rule {r}: {} {}\n{} FROM checked",
            comment(&rule.column),
            comment(&rule.expected),
            select(
                "invalid",
                &rule.column,
                &blank_groups(&[]),
                &format!(
                    "CAST({r} AS BIGINT) AS state, CAST(COALESCE(SUM(b{r}), 0) AS BIGINT) AS n, {null_sums}, MIN(CASE WHEN b{r} = 1 THEN {} END) AS value",
                    rule_value(plan, columns, r, &c)
                )
            )
        ));
    }
    for (k, e) in plan.exclusions.iter().enumerate() {
        parts.push(format!(
            "-- excluded by screener {k}\n{} FROM evaluated WHERE excluded_by = {k}",
            select(
                "excluded",
                &columns[e.column],
                &blank_groups(&[]),
                &format!("CAST({k} AS BIGINT) AS state, COUNT(*) AS n, {null_sums}, {no_value}")
            )
        ));
    }
    if plan.id.is_some() {
        parts.push(format!(
            "-- rows whose respondent ID an earlier row has\n{} FROM evaluated",
            select(
                "duplicate_ids",
                "",
                &blank_groups(&[]),
                &format!("CAST(0 AS BIGINT) AS state, COUNT(*) - COUNT(DISTINCT id) AS n, {null_sums}, {no_value}")
            )
        ));
    }
    if let (Some(i), Some(prefix)) = (plan.id, &plan.synthetic_prefix) {
        let prefix = String::from_utf8_lossy(prefix);
        parts.push(format!(
            "-- respondent IDs without the synthetic-data prefix\n{} FROM src WHERE substr({}, 1, {}) <> {}",
            select(
                "unmarked_ids",
                "",
                &blank_groups(&[]),
                &format!("CAST(0 AS BIGINT) AS state, COUNT(*) AS n, {null_sums}, {no_value}")
            ),
            c(i),
            prefix.chars().count(),
            d.lit(&prefix)
        ));
    }
    parts.push(format!(
        "-- kept respondents per distinct weight (largest and median)\n{} FROM kept GROUP BY w, wf",
        select(
            "weight",
            "",
            &blank_groups(&[]),
            &format!(
                "CAST(0 AS BIGINT) AS state, COUNT(*) AS n, {null_sums}, COALESCE(CAST(w AS {0}), CAST(wf AS {0})) AS value",
                d.text_type()
            )
        )
    ));
    let group_cols: Vec<String> = (0..groups).map(|j| format!("g{j}")).collect();
    for (k, id) in question_ids.iter().enumerate().take(plan.questions.len()) {
        let mut by = group_cols.clone();
        by.push(format!("s{k}"));
        parts.push(format!(
            "-- {}: respondents, Σw and Σw² per grouping values and answer state\n{} FROM kept GROUP BY {}",
            comment(id),
            select(
                "cell",
                id,
                &group_cols.join(", "),
                &format!(
                    "CAST(s{k} AS BIGINT) AS state, COUNT(*) AS n, CAST(SUM(w) AS DECIMAL(38, 9)) AS w, CAST(SUM(w * w) AS DECIMAL(38, 18)) AS w2, SUM(wf) AS wf, SUM(wf * wf) AS wf2, CAST(SUM(p{k}) AS BIGINT) AS partial, {no_value}"
                )
            ),
            by.join(", ")
        ));
    }
    sql.push_str(&parts.join("\nUNION ALL\n"));
    sql.push('\n');
    Ok(sql)
}

/// The value an `invalid` row shows as an example: the rule's column.
fn rule_value(plan: &Plan, columns: &[String], r: usize, c: &impl Fn(usize) -> String) -> String {
    let column = &plan.rules[r].column;
    crate::plan::position(columns, column)
        .map(c)
        .unwrap_or_else(|| "''".into())
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
                let _ = write!(s, " WHEN {v} = {} THEN {}", d.lit(code), i + 1);
            }
            Ok((s + " ELSE 0 END", "0".into()))
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
        } => {
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
            let mut bits = vec!["1".to_string()];
            for (i, sel) in selected.iter().enumerate() {
                bits.push(format!("CASE WHEN {sel} THEN {} ELSE 0 END", 1u64 << (i + 1)));
            }
            if *each_item {
                for (i, &col) in columns.iter().enumerate() {
                    bits.push(format!(
                        "CASE WHEN {} = '' THEN {} ELSE 0 END",
                        c(col),
                        1u64 << (k + 1 + i)
                    ));
                }
            }
            let state = format!("CASE WHEN {any} THEN {} ELSE 0 END", bits.join(" + "));
            let partial = match coding {
                Coding::ZeroOne => {
                    let blank: Vec<String> = columns.iter().map(|&col| format!("{} = ''", c(col))).collect();
                    format!("CASE WHEN ({any}) AND ({}) THEN 1 ELSE 0 END", blank.join(" OR "))
                }
                Coding::Filled => "0".into(),
            };
            Ok((state, partial))
        }
        QuestionPlan::Multi { .. } => Err(Unsupported(
            "a \"check all\" question held in one column of joined codes is not compiled to SQL yet"
                .into(),
        )),
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
