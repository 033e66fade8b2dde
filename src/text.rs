//! Text from data and codebooks made safe for where it goes: a terminal, a CSV cell, SVG,
//! Markdown. Every byte of input is hostile: it must never become a terminal escape, a
//! spreadsheet formula, markup or a path.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters a terminal or an XML parser would act on: C0 and C1 controls and DEL, the
/// bidirectional overrides that reorder what a reader sees, and the XML non-characters.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{fffe}' | '\u{ffff}')
}

/// `\u{1b}` for ESC and the like: visible, and inert everywhere.
fn escaped(c: char, out: &mut String) {
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

/// Control characters shown escaped (`\u{1b}`), for the terminal and for messages.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            escaped(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Characters of a data value quoted in a message at most: a 10 MB cell is not repeated.
pub(crate) const QUOTED: usize = 100;

/// A data value as messages quote it: its first [`QUOTED`] characters, then "…".
pub(crate) fn clip(value: &str) -> String {
    match value.char_indices().nth(QUOTED) {
        Some((at, _)) => format!("{}…", &value[..at]),
        None => value.to_string(),
    }
}

/// A text cell of a CSV or spreadsheet that cannot start a formula: cells beginning with
/// `=`, `+`, `-`, `@`, tab or carriage return get a leading `'` (OWASP's advice). Text that
/// is a plain number (`-5`, `+1.5`) is left alone: it is not a formula.
pub(crate) fn spreadsheet_cell(s: &str) -> Cow<'_, str> {
    let starts_formula = matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'));
    if starts_formula && s.parse::<f64>().map_or(true, |x| !x.is_finite()) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Text for a chart: control characters escaped so the SVG stays valid XML (plotters
/// escapes `<`, `>`, `&` and quotes itself), line breaks as spaces so wrapping decides.
pub(crate) fn chart(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if is_unsafe(c) => escaped(c, &mut out),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Text inside Markdown (a sentence or a table cell, never at the start of a line): the
/// characters Markdown or HTML could act on there are backslash-escaped, so no label
/// becomes a link, an image, a tag, an entity, emphasis, code, math or a new cell; line
/// breaks become spaces so a row stays one row; control characters are shown escaped.
pub(crate) fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if is_unsafe(c) => {
                out.push('\\');
                escaped(c, &mut out);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text inside HTML (element content or a quoted attribute): markup characters become
/// entities, control characters are shown escaped, so no label becomes a tag or a script.
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if is_unsafe(c) => escaped(c, &mut out),
            c => out.push(c),
        }
    }
    out
}

/// Identifiers that name files and JSON keys: letters, digits, `_` and `-`, starting with
/// a letter or digit, at most [`MAX_ID`] bytes.
pub(crate) fn is_safe_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Longest identifier in a codebook.
pub(crate) const MAX_ID: usize = 64;

/// A count with thousands separators: 5,140.
pub(crate) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The name in `known` closest to `wanted` (case aside), when it is close enough to be a
/// likely misspelling.
pub(crate) fn closest<'a>(
    wanted: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wanted = wanted.to_lowercase();
    known
        .into_iter()
        .map(|c| {
            (
                strsim::normalized_damerau_levenshtein(&c.to_lowercase(), &wanted),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(visible("gen_z"), "gen_z");
        assert_eq!(visible("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(visible("bell\u{7}"), "bell\\u{7}");
        assert_eq!(visible("x\u{9b}y"), "x\\u{9b}y");
        assert_eq!(visible("a\nb"), "a\\u{a}b");
        assert_eq!(visible("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(visible("Поколение Z"), "Поколение Z");
    }

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for f in [
            "=1+1",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(spreadsheet_cell(f), format!("'{f}"));
        }
        for keep in ["-5", "+1.5", "plain", "a=b", "", "1e3"] {
            assert_eq!(spreadsheet_cell(keep), keep);
        }
        assert_eq!(spreadsheet_cell("-inf"), "'-inf");
    }

    #[test]
    fn markdown_text_cannot_make_markup() {
        let m = markdown("<script>alert(1)</script> | [x](javascript:y) `code`\nnext");
        assert!(!m.contains('\n'));
        // Every character that could open markup is escaped.
        for c in ['<', '[', '`', '|'] {
            assert_eq!(
                m.matches(c).count(),
                m.matches(&format!("\\{c}")).count(),
                "{c}: {m}"
            );
        }
        // Every pipe is escaped, so a table row keeps its cells.
        assert_eq!(m.matches('|').count(), m.matches("\\|").count());
        assert_eq!(markdown("Gen Z"), "Gen Z");
        assert_eq!(markdown("a\u{1b}b"), "a\\\\u{1b}b");
    }

    #[test]
    fn chart_text_has_no_xml_control_characters() {
        let c = chart("a\u{1b}b\u{0}c\nd");
        assert!(!c.chars().any(|c| c.is_control()));
        assert_eq!(c, "a\\u{1b}b\\u{0}c d");
    }

    #[test]
    fn safe_ids() {
        for ok in ["concerns", "switch_intent", "gen-z", "q1", "Q_2b"] {
            assert!(is_safe_id(ok), "{ok}");
        }
        for bad in [
            "",
            "x/../../elsewhere/PWNED",
            "..",
            "a b",
            "a.b",
            "_x",
            "-x",
            "é",
            "a\u{1b}",
            &"a".repeat(65),
        ] {
            assert!(!is_safe_id(bad), "{bad}");
        }
    }
}
