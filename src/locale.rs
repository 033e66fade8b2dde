//! The interface's words and number formats per language: one message catalogue per
//! language (`locales/LANG.toml`, embedded), so every human-readable output — tables,
//! Markdown, the HTML report, the workbook, warnings — speaks the language of `--lang`.
//! Labels and question texts come from the codebook; only the tool's own words live here.

use std::collections::BTreeMap;
use std::sync::OnceLock;

const EN: &str = include_str!("../locales/en.toml");
const RU: &str = include_str!("../locales/ru.toml");

/// A language with a catalogue: the language of a run's own words and of the labels it
/// picks from a codebook.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Lang {
    #[default]
    En,
    Ru,
}

impl Lang {
    /// Every language with a catalogue.
    #[cfg(test)]
    pub(crate) const ALL: [Lang; 2] = [Lang::En, Lang::Ru];

    /// Its code: the key of a codebook's labels and the name of its catalogue.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// One language's catalogue.
#[derive(Debug)]
pub struct Words {
    lang: Lang,
    text: BTreeMap<String, String>,
    /// Plural forms of a counted noun: noun → form ("one", "few", "many") → text.
    plural: BTreeMap<String, BTreeMap<String, String>>,
}

fn parse(lang: Lang, source: &str) -> Words {
    // The catalogues are part of the program (a unit test parses both): a broken one is a
    // build defect, not a user error, so it yields an empty catalogue rather than a panic.
    let table: toml::Table = source.parse().unwrap_or_default();
    let mut text = BTreeMap::new();
    let mut plural = BTreeMap::new();
    for (key, value) in table {
        match value {
            toml::Value::String(s) => {
                text.insert(key, s);
            }
            toml::Value::Table(forms) => {
                let forms = forms
                    .into_iter()
                    .filter_map(|(form, v)| v.as_str().map(|s| (form, s.to_string())))
                    .collect();
                plural.insert(key, forms);
            }
            _ => {}
        }
    }
    Words { lang, text, plural }
}

/// The catalogue of `lang`.
pub fn words(lang: Lang) -> &'static Words {
    static CATALOGUES: OnceLock<[Words; 2]> = OnceLock::new();
    let [en, ru] = CATALOGUES.get_or_init(|| [parse(Lang::En, EN), parse(Lang::Ru, RU)]);
    match lang {
        Lang::Ru => ru,
        Lang::En => en,
    }
}

/// A catalogue message in `lang`, its nested messages included.
pub fn render(said: &crate::error::Said, lang: Lang) -> String {
    use crate::error::Arg;
    let values: Vec<(&str, String)> = (said.values.iter())
        .map(|(name, arg)| match arg {
            Arg::Text(t) => (*name, t.clone()),
            Arg::Said(inner) => (*name, render(inner, lang)),
        })
        .collect();
    let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    words(lang).fill(said.key, &values)
}

/// An error as the command line says it in `lang`: where it is (file, row, column) and,
/// for messages the catalogue has, what is wrong. Other messages stay English.
pub fn error_text(err: &crate::error::Error, lang: Lang) -> String {
    use crate::error::Error;
    let w = words(lang);
    match err {
        Error::Data(d) => {
            let message = d
                .said
                .as_ref()
                .map_or_else(|| d.message.clone(), |s| render(s, lang));
            let at = match (&d.row, &d.column) {
                (Some(r), Some(c)) => w.fill(
                    "err_at_row_column",
                    &[("row", &r.to_string()), ("column", c)],
                ),
                (Some(r), None) => w.fill("err_at_row", &[("row", &r.to_string())]),
                (None, Some(c)) => w.fill("err_at_column", &[("column", c)]),
                (None, None) => String::new(),
            };
            format!("{}{at}: {message}", d.file)
        }
        Error::Codebook { origin, message } => {
            let origin = if origin.is_empty() {
                String::new()
            } else {
                format!(" {origin}")
            };
            w.fill("err_codebook", &[("origin", &origin), ("message", message)])
        }
        other => other.to_string(),
    }
}

/// The CLDR plural category of `n` in `lang`.
fn category(lang: Lang, n: u64) -> &'static str {
    match lang {
        Lang::Ru => match (n % 10, n % 100) {
            (1, r) if r != 11 => "one",
            (2..=4, r) if !(12..=14).contains(&r) => "few",
            _ => "many",
        },
        _ if n == 1 => "one",
        _ => "many",
    }
}

impl Words {
    pub(crate) fn lang(&self) -> Lang {
        self.lang
    }

    /// The text of `key` (the key itself if a catalogue lacks it; a test keeps them equal).
    pub(crate) fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.text
            .get(key)
            .or_else(|| words(Lang::En).text.get(key))
            .map_or(key, String::as_str)
    }

    /// The text of `key` with each `{name}` replaced by its value, in one pass: a value
    /// (a label from a codebook, say) that holds `{name}` itself stays as it is.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        let template = self.get(key);
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let value = after.find('}').and_then(|close| {
                let name = &after[..close];
                args.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v, close))
            });
            match value {
                Some((v, close)) => {
                    out.push_str(v);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// "5,140 respondents", "5 140 респондентов": a count with its noun in the right form.
    pub fn counted(&self, noun: &str, n: u64) -> String {
        let forms = self.plural.get(noun);
        let form = forms
            .and_then(|f| f.get(category(self.lang, n)).or_else(|| f.get("many")))
            .map_or("{n}", String::as_str);
        form.replace("{n}", &self.number(n))
    }

    /// A whole number: "5,140" (en), "5 140" (ru, with a no-break space).
    pub(crate) fn number(&self, n: u64) -> String {
        let digits = n.to_string();
        let sep = self.group_separator();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(c);
        }
        out
    }

    fn group_separator(&self) -> &'static str {
        match self.lang {
            Lang::Ru => "\u{a0}",
            _ => ",",
        }
    }

    fn decimal_mark(&self) -> &'static str {
        match self.lang {
            Lang::Ru => ",",
            _ => ".",
        }
    }

    /// A number with `decimals` places: "5,076.2" (en), "5 076,2" (ru).
    pub(crate) fn decimal(&self, x: f64, decimals: usize) -> String {
        if !x.is_finite() {
            return "–".into();
        }
        let text = format!("{:.*}", decimals, x.abs());
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let whole: u64 = whole.parse().unwrap_or(0);
        let sign = if x < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
            "-"
        } else {
            ""
        };
        if fraction.is_empty() {
            format!("{sign}{}", self.number(whole))
        } else {
            format!(
                "{sign}{}{}{fraction}",
                self.number(whole),
                self.decimal_mark()
            )
        }
    }

    /// A number as Rust writes it most briefly (0.05, 12.5), with the language's decimal mark.
    pub(crate) fn plain(&self, x: f64) -> String {
        x.to_string().replace('.', self.decimal_mark())
    }

    /// A number to `digits` significant digits (all of its whole part), without trailing
    /// zeros: "22.91", "0.7433", "50".
    pub(crate) fn significant(&self, x: f64, digits: i32) -> String {
        if !x.is_finite() || x == 0.0 {
            return self.plain(x);
        }
        let decimals = (digits - 1 - x.abs().log10().floor() as i32).max(0) as usize;
        let text = format!("{x:.decimals$}");
        let text = if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.')
        } else {
            &text
        };
        text.replace('.', self.decimal_mark())
    }

    /// A number to one decimal: a weighted or effective base.
    pub(crate) fn tenths(&self, x: f64) -> String {
        self.decimal(x, 1)
    }

    /// "5,140 respondents" in the language, its noun in the right form.
    pub(crate) fn respondents(&self, n: u64) -> String {
        self.counted("respondents", n)
    }

    /// A 0–1 share as a percentage: "60.0%" (en), "60,0 %" (ru); "–" when there is none.
    pub(crate) fn percent(&self, share: Option<f64>, decimals: usize) -> String {
        match share {
            Some(p) => {
                let space = if self.lang == Lang::Ru { "\u{a0}" } else { "" };
                format!("{}{space}%", self.decimal(p * 100.0, decimals))
            }
            None => "–".into(),
        }
    }

    /// An interval in percent: "58.5–61.5" (en), "58,5–61,5" (ru).
    pub(crate) fn interval(&self, low: Option<f64>, high: Option<f64>) -> String {
        match (low, high) {
            (Some(l), Some(h)) => format!(
                "{}–{}",
                self.decimal(l * 100.0, 1),
                self.decimal(h * 100.0, 1)
            ),
            _ => "–".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_in_english_are_their_display_and_russian_keeps_the_data() {
        use crate::error::{Arg, DataError, Error, Said};
        let expected = Said {
            key: "expect_one_of",
            values: vec![("codes", Arg::Text("'a', 'b'".into()))],
        };
        let said = Said {
            key: "err_value",
            values: vec![
                ("expected", Arg::Said(expected)),
                ("value", Arg::Text("c".into())),
            ],
        };
        let e = Error::Data(
            DataError::new("d.csv", render(&said, Lang::En))
                .said(said)
                .row(3)
                .column("q1"),
        );
        assert_eq!(error_text(&e, Lang::En), e.to_string());
        assert_eq!(
            e.to_string(),
            "d.csv, row 3, column 'q1': expected one of 'a', 'b', found 'c'"
        );
        assert_eq!(
            error_text(&e, Lang::Ru),
            "d.csv, строка 3, столбец 'q1': ожидалось одно из 'a', 'b', найдено 'c'"
        );
        for cb in [
            Error::codebook("no questions"),
            Error::codebook("no questions").in_codebook("cb.toml"),
        ] {
            assert_eq!(error_text(&cb, Lang::En), cb.to_string());
            assert!(error_text(&cb, Lang::Ru).starts_with("кодовая книга"));
        }
        assert_eq!(
            words(Lang::En).get("err_encoding_hint"),
            crate::load::ENCODING_HINT
        );
    }

    #[test]
    fn every_catalogue_has_every_key_and_form() {
        let en = words(Lang::En);
        for lang in Lang::ALL {
            let w = words(lang);
            assert!(w.text.len() > 50, "{lang}: {}", w.text.len());
            let keys: Vec<&String> = w.text.keys().collect();
            let en_keys: Vec<&String> = en.text.keys().collect();
            assert_eq!(keys, en_keys, "{lang}");
            for (key, value) in &w.text {
                // The same placeholders as English.
                let names = |s: &str| -> Vec<String> {
                    let mut v: Vec<String> = s
                        .split('{')
                        .skip(1)
                        .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
                        .collect();
                    v.sort();
                    v
                };
                assert_eq!(names(value), names(&en.text[key]), "{lang} {key}");
            }
            assert!(w.plural["respondents"].contains_key("many"));
        }
    }

    #[test]
    fn significant_digits_keep_the_whole_part_and_drop_trailing_zeros() {
        let (en, ru) = (words(Lang::En), words(Lang::Ru));
        assert_eq!(en.significant(22.912, 4), "22.91");
        assert_eq!(en.significant(0.7432525910000001, 4), "0.7433");
        assert_eq!(en.significant(0.7433000000000001, 4), "0.7433");
        assert_eq!(en.significant(50.0, 4), "50");
        assert_eq!(en.significant(1234567.8, 4), "1234568");
        assert_eq!(en.significant(0.000123456, 4), "0.0001235");
        assert_eq!(en.significant(1.5, 4), "1.5");
        assert_eq!(ru.significant(0.7433, 4), "0,7433");
    }

    #[test]
    fn placeholders_are_filled_once_and_values_stay_as_given() {
        let en = words(Lang::En);
        let line = en.fill(
            "no_group",
            &[
                ("segment", "{respondents} {weighted}"),
                ("respondents", "3 respondents"),
                ("weighted", "2.5"),
            ],
        );
        assert_eq!(
            line,
            "No value of {respondents} {weighted}: 3 respondents (weighted 2.5) in the total, in no group."
        );
    }

    #[test]
    fn russian_numbers_and_plurals() {
        let ru = words(Lang::Ru);
        assert_eq!(ru.number(5140), "5\u{a0}140");
        assert_eq!(ru.decimal(5076.24, 1), "5\u{a0}076,2");
        assert_eq!(ru.percent(Some(0.6), 1), "60,0\u{a0}%");
        assert_eq!(ru.interval(Some(0.585), Some(0.615)), "58,5–61,5");
        let forms: Vec<String> = [1, 2, 5, 11, 21, 22, 25, 111, 5140]
            .iter()
            .map(|&n| ru.counted("respondents", n))
            .collect();
        assert_eq!(
            forms,
            [
                "1 респондент",
                "2 респондента",
                "5 респондентов",
                "11 респондентов",
                "21 респондент",
                "22 респондента",
                "25 респондентов",
                "111 респондентов",
                "5\u{a0}140 респондентов"
            ]
        );
        let en = words(Lang::En);
        assert_eq!(en.number(5140), "5,140");
        assert_eq!(en.percent(Some(0.6), 1), "60.0%");
        assert_eq!(en.counted("respondents", 1), "1 respondent");
        assert_eq!(en.decimal(-0.04, 1), "0.0");
    }
}
