//! Filters (`--where`, and named `[[filters]]` of the codebook): which respondents form the
//! domain every base is out of. A filter is a domain, not a new sample: rows outside it
//! stay in the design (R `subset()`), so standard errors are those of the domain.
//!
//! Grammar (keywords in any case; names and codes bare or quoted with `'` or `"`):
//!
//! ```text
//! expr       = and ("or" and)*
//! and        = unary ("and" unary)*
//! unary      = "not" unary | "(" expr ")" | comparison
//! comparison = name ("=" | "!=") code | name ["not"] "in" "(" code ("," code)* ")"
//!            | name                      (a named filter of the codebook)
//! ```

use std::ops::Range;

use winnow::ascii::{multispace0, Caseless};
use winnow::combinator::{alt, cut_err, delimited, not, opt, peek, preceded, separated};
use winnow::error::{ContextError, ErrMode, StrContext, StrContextValue};
use winnow::prelude::*;
use winnow::token::{take_till, take_while};
use winnow::LocatingSlice;

use crate::error::{Error, Result};
use crate::text::visible;

/// Longest expression accepted (a filter is a line on a command line or in a codebook).
pub(crate) const MAX_FILTER: usize = 4096;
/// Deepest nesting of parentheses, `not` and named filters.
pub(crate) const MAX_DEPTH: usize = 32;

/// A name or code with where it stands in the expression (byte range).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Word {
    pub text: String,
    pub at: Range<usize>,
}

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Any(Vec<Expr>),
    All(Vec<Expr>),
    Not(Box<Expr>),
    /// `name = code`, `name != code`, `name in (…)`, `name not in (…)`.
    In {
        name: Word,
        codes: Vec<Word>,
        negated: bool,
    },
    /// A named filter of the codebook.
    Named(Word),
}

type Input<'s> = LocatingSlice<&'s str>;

fn expected(what: &'static str) -> StrContext {
    StrContext::Expected(StrContextValue::Description(what))
}

/// A keyword, not the start of a longer word.
fn keyword<'s>(k: &'static str) -> impl Parser<Input<'s>, (), ErrMode<ContextError>> {
    (Caseless(k), not(take_while(1, is_bare))).void()
}

fn is_bare(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '(' | ')' | ',' | '=' | '!' | '\'' | '"')
}

fn word(i: &mut Input<'_>) -> ModalResult<Word> {
    let quoted = |q: char| {
        delimited(
            q,
            take_till(0.., move |c| c == q),
            cut_err(q).context(expected("a closing quote")),
        )
    };
    let (text, at) = alt((quoted('\''), quoted('"'), take_while(1.., is_bare)))
        .with_span()
        .parse_next(i)?;
    Ok(Word {
        text: text.to_string(),
        at,
    })
}

fn code(i: &mut Input<'_>) -> ModalResult<Word> {
    preceded(multispace0, word)
        .context(expected("a code"))
        .parse_next(i)
}

fn comparison(i: &mut Input<'_>) -> ModalResult<Expr> {
    let name = word
        .context(expected("a column, a segment or a filter name"))
        .parse_next(i)?;
    let _ = multispace0.parse_next(i)?;
    let list = || {
        cut_err(delimited(
            ('(', multispace0).context(expected("'(' and a list of codes")),
            separated(1.., code, (multispace0, ',')),
            (multispace0, ')').context(expected("',' or ')'")),
        ))
    };
    let op = opt(alt((
        preceded("!=", cut_err(code)).map(|c| (vec![c], true)),
        preceded("=", cut_err(code)).map(|c| (vec![c], false)),
        preceded(
            (keyword("not"), multispace0, keyword("in"), multispace0),
            list(),
        )
        .map(|c| (c, true)),
        preceded((keyword("in"), multispace0), list()).map(|c| (c, false)),
    )))
    .parse_next(i)?;
    Ok(match op {
        Some((codes, negated)) => Expr::In {
            name,
            codes,
            negated,
        },
        None => Expr::Named(name),
    })
}

fn unary(i: &mut Input<'_>) -> ModalResult<Expr> {
    let _ = multispace0.parse_next(i)?;
    let e = alt((
        preceded(keyword("not"), cut_err(unary)).map(|e| Expr::Not(Box::new(e))),
        delimited(
            '(',
            cut_err(expr),
            cut_err((multispace0, ')')).context(expected("')'")),
        ),
        comparison,
    ))
    .parse_next(i)?;
    let _ = multispace0.parse_next(i)?;
    Ok(e)
}

fn joined<'s>(
    k: &'static str,
    item: fn(&mut Input<'s>) -> ModalResult<Expr>,
    make: fn(Vec<Expr>) -> Expr,
) -> impl Parser<Input<'s>, Expr, ErrMode<ContextError>> {
    separated(1.., item, (keyword(k), peek(cut_err(unary.void())))).map(move |mut v: Vec<Expr>| {
        if v.len() == 1 {
            v.remove(0)
        } else {
            make(v)
        }
    })
}

fn and(i: &mut Input<'_>) -> ModalResult<Expr> {
    joined("and", unary, Expr::All).parse_next(i)
}

fn expr(i: &mut Input<'_>) -> ModalResult<Expr> {
    joined("or", and, Expr::Any).parse_next(i)
}

/// A usage error pointing at byte `at` of `text`: the expression, and a caret under the place.
pub(crate) fn pointed(origin: &str, text: &str, at: usize, message: &str) -> Error {
    let shown = visible(text);
    let before = visible(text.get(..at).unwrap_or(text));
    let caret = " ".repeat(before.chars().count());
    Error::Usage(format!(
        "{origin}, character {}: {message}\n  {shown}\n  {caret}^",
        before.chars().count() + 1
    ))
}

/// Parses a filter expression; `origin` names where it came from (`--where`, a codebook
/// filter) for the message.
pub(crate) fn parse(text: &str, origin: &str) -> Result<Expr> {
    if text.len() > MAX_FILTER {
        return Err(Error::Usage(format!(
            "{origin}: the expression is {} bytes long: at most {MAX_FILTER}",
            text.len()
        )));
    }
    if text.trim().is_empty() {
        return Err(Error::Usage(format!("{origin}: the expression is empty")));
    }
    if let Some(at) = text.find(|c: char| c.is_control() && !c.is_whitespace()) {
        return Err(pointed(origin, text, at, "a control character"));
    }
    if nesting(text) > MAX_DEPTH {
        return Err(Error::Usage(format!(
            "{origin}: parentheses nest deeper than {MAX_DEPTH}"
        )));
    }
    expr.parse(LocatingSlice::new(text)).map_err(|e| {
        let at = e.offset();
        let wanted: Vec<String> = e
            .inner()
            .context()
            .filter_map(|c| match c {
                StrContext::Expected(v) => Some(v.to_string()),
                _ => None,
            })
            .collect();
        let found = match text[at..].chars().next() {
            None => "the end".to_string(),
            Some(_) => format!("'{}'", visible(&take_token(&text[at..]))),
        };
        let message = match wanted.first() {
            Some(w) => format!("expected {w}, found {found}"),
            None if at < text.len() => format!(
                "unexpected {found}: join conditions with `and` / `or`, compare with `=`, `!=` or `in (…)`"
            ),
            None => "incomplete expression".into(),
        };
        pointed(origin, text, at, &message)
    })
}

/// The first token of `s`, for "found …" in a message.
fn take_token(s: &str) -> String {
    let end = s
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_whitespace() || matches!(c, '(' | ')' | ','))
        .map_or(s.len(), |(i, _)| i);
    s[..end].chars().take(40).collect()
}

/// The deepest parenthesis nesting, checked before parsing so no input recurses deeply.
fn nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut nots = 0usize;
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    for w in text.split_whitespace() {
        nots += w.eq_ignore_ascii_case("not") as usize;
    }
    max.max(nots)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(e: &Expr) -> String {
        match e {
            Expr::Any(v) => format!(
                "any({})",
                v.iter().map(names).collect::<Vec<_>>().join(", ")
            ),
            Expr::All(v) => format!(
                "all({})",
                v.iter().map(names).collect::<Vec<_>>().join(", ")
            ),
            Expr::Not(e) => format!("not({})", names(e)),
            Expr::In {
                name,
                codes,
                negated,
            } => format!(
                "{}{}[{}]",
                name.text,
                if *negated { "!" } else { "" },
                codes
                    .iter()
                    .map(|c| c.text.as_str())
                    .collect::<Vec<_>>()
                    .join("|")
            ),
            Expr::Named(n) => format!("@{}", n.text),
        }
    }

    fn parsed(s: &str) -> String {
        names(&parse(s, "--where").unwrap())
    }

    fn error(s: &str) -> String {
        match parse(s, "--where") {
            Err(Error::Usage(m)) => m,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_group() {
        assert_eq!(
            parsed("a = 1 or b = 2 and c = 3"),
            "any(a[1], all(b[2], c[3]))"
        );
        assert_eq!(
            parsed("(a = 1 or b = 2) and c = 3"),
            "all(any(a[1], b[2]), c[3])"
        );
        assert_eq!(parsed("not a = 1 AND b != 2"), "all(not(a[1]), b![2])");
        assert_eq!(
            parsed("country in (us, 'united kingdom') or gen not in(gen_z)"),
            "any(country[us|united kingdom], gen![gen_z])"
        );
        assert_eq!(parsed("young and \"my col\"=x"), "all(@young, my col[x])");
        assert_eq!(parsed("  android  "), "@android");
        assert_eq!(
            parsed("order = 1"),
            "order[1]",
            "a keyword inside a name is a name"
        );
    }

    #[test]
    fn errors_point_at_the_place() {
        let e = error("generation = ");
        assert!(
            e.contains("character 14: expected a code, found the end"),
            "{e}"
        );
        assert!(e.ends_with("\n  generation = \n               ^"), "{e}");
        let e = error("country in (us gb)");
        assert!(
            e.contains("character 16: expected ',' or ')', found 'gb'"),
            "{e}"
        );
        let e = error("a = 1 b = 2");
        assert!(e.contains("unexpected 'b'"), "{e}");
        assert!(e.contains("character 7: "), "{e}");
        let e = error("(a = 1");
        assert!(e.contains("expected ')'"), "{e}");
        let e = error("a = 'open");
        assert!(e.contains("character 10: expected a closing quote"), "{e}");
        assert!(error("a = 1 and").contains("found the end"));
        assert!(error("").contains("empty"));
        assert!(error("a = \u{1b}[31m").contains("control character"));
        assert!(error(&"(".repeat(100)).contains("nest deeper"));
        assert!(error(&"not ".repeat(100)).contains("nest deeper"));
    }
}
