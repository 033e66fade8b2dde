//! A filter compiled against a header: which columns it reads and the codes each may
//! hold, so every record is tested in one short walk. Names resolve to a codebook filter,
//! a segment, a single-choice question, a screener or any column of the data.

use std::borrow::Cow;

use crate::codebook::filter::{parse, pointed, Expr, Word, MAX_DEPTH};
use crate::codebook::{Codebook, Kind};
use crate::error::{Error, Result};
use crate::text::visible;

/// A filter compiled against a header: column positions and their accepted codes.
#[derive(Debug, Clone)]
pub enum Test {
    Any(Vec<Test>),
    All(Vec<Test>),
    Not(Box<Test>),
    In { column: usize, codes: Vec<Vec<u8>> },
}

impl Test {
    /// Whether the record whose fields `field` gives is in the domain.
    pub(crate) fn keeps<'a>(&self, field: &impl Fn(usize) -> Cow<'a, [u8]>) -> bool {
        match self {
            Test::Any(v) => v.iter().any(|t| t.keeps(field)),
            Test::All(v) => v.iter().all(|t| t.keeps(field)),
            Test::Not(t) => !t.keeps(field),
            Test::In { column, codes } => codes
                .iter()
                .any(|c| c.as_slice() == field(*column).trim_ascii()),
        }
    }

    /// Header positions the test reads.
    pub(crate) fn columns(&self, out: &mut Vec<usize>) {
        match self {
            Test::Any(v) | Test::All(v) => v.iter().for_each(|t| t.columns(out)),
            Test::Not(t) => t.columns(out),
            Test::In { column, .. } => out.push(*column),
        }
    }
}

/// A filter ready to run against one header: its test of a record.
#[derive(Debug, Clone)]
pub struct Filter {
    pub test: Test,
}

/// What a filter name stands for: a column, and the codes it may hold when the codebook
/// lists them.
struct Target<'c> {
    column: &'c str,
    codes: Option<Vec<&'c str>>,
    what: String,
}

/// Compiles `text` (from `origin`) against `codebook` and the header `columns`.
pub fn compile(
    text: &str,
    origin: &str,
    codebook: &Codebook,
    columns: &[String],
) -> Result<Filter> {
    let expr = parse(text, origin)?;
    let mut stack = Vec::new();
    let test = resolve(&expr, (text, origin), codebook, columns, &mut stack)?;
    Ok(Filter { test })
}

fn target<'c>(name: &str, codebook: &'c Codebook, columns: &'c [String]) -> Option<Target<'c>> {
    if let Some(s) = codebook
        .segments
        .iter()
        .find(|s| s.id == name || s.column == name)
    {
        let codes =
            (!s.values.is_empty()).then(|| s.values.iter().map(|v| v.code.as_str()).collect());
        return Some(Target {
            column: &s.column,
            codes,
            what: format!("segment '{}'", s.id),
        });
    }
    if let Some(q) = codebook.questions.iter().find(|q| {
        q.kind == Kind::SingleChoice && (q.id == name || q.column.as_deref() == Some(name))
    }) {
        return Some(Target {
            column: q.column.as_deref().unwrap_or_default(),
            codes: Some(q.items.iter().filter_map(|i| i.code.as_deref()).collect()),
            what: format!("question '{}'", q.id),
        });
    }
    if let Some(e) = codebook.exclude.iter().find(|e| e.column == name) {
        return Some(Target {
            column: &e.column,
            codes: Some(e.codes.iter().map(String::as_str).collect()),
            what: format!("screener '{}'", e.column),
        });
    }
    columns.iter().find(|c| *c == name).map(|c| Target {
        column: c,
        codes: None,
        what: format!("column '{c}'"),
    })
}

fn resolve(
    expr: &Expr,
    (text, origin): (&str, &str),
    codebook: &Codebook,
    columns: &[String],
    stack: &mut Vec<String>,
) -> Result<Test> {
    let mut each = |v: &[Expr]| -> Result<Vec<Test>> {
        v.iter()
            .map(|e| resolve(e, (text, origin), codebook, columns, stack))
            .collect()
    };
    Ok(match expr {
        Expr::Any(v) => Test::Any(each(v)?),
        Expr::All(v) => Test::All(each(v)?),
        Expr::Not(e) => Test::Not(Box::new(resolve(
            e,
            (text, origin),
            codebook,
            columns,
            stack,
        )?)),
        Expr::Named(name) => named(name, (text, origin), codebook, columns, stack)?,
        Expr::In {
            name,
            codes,
            negated,
        } => membership((name, codes, *negated), (text, origin), codebook, columns)?,
    })
}

/// A named filter of the codebook, resolved in turn (`stack`: the filters being resolved).
fn named(
    name: &Word,
    (text, origin): (&str, &str),
    codebook: &Codebook,
    columns: &[String],
    stack: &mut Vec<String>,
) -> Result<Test> {
    let Some(f) = codebook.filters.iter().find(|f| f.id == name.text) else {
        let hint = if target(&name.text, codebook, columns).is_some() {
            format!(
                "'{}' is a column: compare it, as in {} = CODE",
                visible(&name.text),
                visible(&name.text)
            )
        } else {
            unknown_hint(&name.text, codebook, columns)
        };
        return Err(pointed(
            origin,
            text,
            name.at.start,
            &format!(
                "'{}' is not a filter of the codebook; {hint}",
                visible(&name.text)
            ),
        ));
    };
    if stack.contains(&f.id) || stack.len() >= MAX_DEPTH {
        return Err(Error::codebook(format!(
            "filter '{}' refers to itself (through {})",
            f.id,
            stack.join(" → ")
        )));
    }
    stack.push(f.id.clone());
    let inner_origin = format!("filter '{}' of the codebook", f.id);
    let inner = parse(&f.expr, &inner_origin)?;
    let t = resolve(&inner, (&f.expr, &inner_origin), codebook, columns, stack)?;
    stack.pop();
    Ok(t)
}

/// `name in (codes)`, or its negation, against the header's columns.
fn membership(
    (name, codes, negated): (&Word, &[Word], bool),
    (text, origin): (&str, &str),
    codebook: &Codebook,
    columns: &[String],
) -> Result<Test> {
    let Some(t) = target(&name.text, codebook, columns) else {
        return Err(pointed(
            origin,
            text,
            name.at.start,
            &format!(
                "no column, segment or single-choice question '{}'; {}",
                visible(&name.text),
                unknown_hint(&name.text, codebook, columns)
            ),
        ));
    };
    let Some(column) = columns.iter().position(|c| c == t.column) else {
        return Err(pointed(
            origin,
            text,
            name.at.start,
            &format!(
                "{} reads column '{}', which the data does not have",
                t.what,
                visible(t.column)
            ),
        ));
    };
    if let Some(known) = &t.codes {
        if let Some(bad) = codes.iter().find(|c| !known.contains(&c.text.trim_ascii())) {
            let hint = crate::text::closest(&bad.text, known.iter().copied())
                .map(|c| format!("did you mean '{}'? ", visible(c)))
                .unwrap_or_default();
            return Err(pointed(
                origin,
                text,
                bad.at.start,
                &format!(
                    "'{}' is not a code of {}; {hint}(codes: {})",
                    visible(&bad.text),
                    t.what,
                    visible(&known.join(", "))
                ),
            ));
        }
    }
    let test = Test::In {
        column,
        codes: codes
            .iter()
            .map(|c| c.text.trim_ascii().as_bytes().to_vec())
            .collect(),
    };
    Ok(if negated {
        Test::Not(Box::new(test))
    } else {
        test
    })
}

/// "did you mean 'generation'? " from the names a filter can use.
fn unknown_hint(name: &str, codebook: &Codebook, columns: &[String]) -> String {
    let names = codebook
        .filters
        .iter()
        .map(|f| f.id.as_str())
        .chain(codebook.segments.iter().map(|s| s.id.as_str()))
        .chain(columns.iter().map(String::as_str));
    match crate::text::closest(name, names) {
        Some(c) => format!("did you mean '{}'?", visible(c)),
        None => "filters compare a column, a segment or a single-choice question with codes".into(),
    }
}
