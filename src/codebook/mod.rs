//! The codebook: which columns form which question, who is excluded, labels per language.
//!
//! The canonical format's codebook (`codebooks/canonical.toml`) is embedded in the binary;
//! any other survey is described by a TOML file of the same shape.

pub(crate) mod domain;
pub(crate) mod filter;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::error::{Error, IoContext, Result};

/// Returns a codebook error (its file is named by [`Codebook::parse`]).
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err(Error::codebook(format!($($arg)*)))
    };
}
use serde::{Deserialize, Serialize};

use crate::text::{is_safe_id, visible, MAX_ID};

/// The codebook of the canonical data format (SPEC §2), embedded at build time.
pub const CANONICAL_TOML: &str = include_str!("../../codebooks/canonical.toml");

/// Largest codebook file read.
pub(crate) const MAX_CODEBOOK_BYTES: u64 = 8 << 20;

/// Text per language code (`en`, `ru`, …).
pub(crate) type Labels = BTreeMap<String, String>;

/// Picks the text for `lang`, falling back to English, then to any language present.
pub(crate) fn pick(labels: &Labels, lang: crate::locale::Lang) -> &str {
    labels
        .get(lang.code())
        .or_else(|| labels.get("en"))
        .or_else(|| labels.values().next())
        .map(String::as_str)
        .unwrap_or("")
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Codebook {
    /// Column holding the respondent ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub respondent_id: Option<String>,
    /// Column holding the survey weight; absent from the data means unweighted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<String>,
    /// How the sample was drawn: strata, clusters (PSUs), finite population correction.
    #[serde(default, skip_serializing_if = "is_default")]
    pub design: Design,
    /// How the file is laid out (platform exports with several header rows).
    #[serde(default, skip_serializing_if = "is_default")]
    pub input: InputLayout,
    pub survey: Survey,
    #[serde(default, skip_serializing_if = "is_default")]
    pub exclude: Vec<Exclusion>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub segments: Vec<Segment>,
    pub questions: Vec<Question>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub contrasts: Vec<Contrast>,
    /// Named filters (`--where NAME`): domains such as "customers in the US".
    #[serde(default, skip_serializing_if = "is_default")]
    pub filters: Vec<NamedFilter>,
}

/// A filter with a name, usable in `--where` as a term of its own.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NamedFilter {
    pub id: String,
    /// The expression, as `--where` takes it.
    #[serde(rename = "where")]
    pub expr: String,
    #[serde(default, skip_serializing_if = "is_default")]
    pub label: Labels,
}

/// Items combined into one row: a respondent counts when any of them is chosen.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Net {
    pub id: String,
    pub label: Labels,
    /// Ids of the question's items it combines.
    pub items: Vec<String>,
    /// This net leads the question's headline sentence (a scale's top two boxes) instead
    /// of its single largest answer.
    #[serde(default, skip_serializing_if = "is_default")]
    pub headline: bool,
}

/// The layout of an export: how many header rows, and how column names are formed.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InputLayout {
    /// Rows before the first respondent: 1 for a plain CSV, 3 for Qualtrics (names,
    /// question text, ImportId), 2 for SurveyMonkey (question text, choice text).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub header_rows: usize,
    #[serde(default, skip_serializing_if = "is_default")]
    pub column_names: ColumnNames,
    /// Field delimiter (`","`, `";"`, `"tab"`); detected when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// Text encoding (`utf-8`, `windows-1251`, `latin-1`); `--encoding` overrides it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The codes a BOOLEAN column of a Parquet file stands for (engines type a file's
    /// yes/no columns as BOOLEAN); without it `true` reads as `1` and `false` as `0`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub booleans: Option<Booleans>,
}

/// `[input.booleans] true = "yes"`, `false = "no"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Booleans {
    #[serde(rename = "true")]
    pub when_true: String,
    #[serde(rename = "false")]
    pub when_false: String,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

/// Whether a value is its type's default: such keys are left out of a written codebook.
fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

impl Default for InputLayout {
    fn default() -> Self {
        InputLayout {
            header_rows: 1,
            column_names: ColumnNames::default(),
            delimiter: None,
            encoding: None,
            booleans: None,
        }
    }
}

/// How column names come out of the header rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnNames {
    /// The first header row names the columns (Qualtrics, Google Forms, plain CSV).
    #[default]
    FirstRow,
    /// The first row, carried right over the empty cells a question spans, then
    /// `" / "` and the second row when it is not empty (SurveyMonkey).
    Joined,
}

/// The sampling design: which columns hold the stratum, the primary sampling unit
/// (cluster) and the finite population correction. Without any, the design is weights only
/// (R `svydesign(ids = ~1, weights = ~w)`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Design {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strata: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psu: Option<String>,
    /// Population size of the stratum (in PSUs), or the sampling fraction when at most 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fpc: Option<String>,
    /// What a stratum with a single PSU contributes (R `options(survey.lonely.psu)`).
    #[serde(default, skip_serializing_if = "is_default")]
    pub lonely_psu: LonelyPsu,
}

impl Design {
    pub(crate) fn is_complex(&self) -> bool {
        self.strata.is_some() || self.psu.is_some() || self.fpc.is_some()
    }

    /// Its columns, in the order strata, PSU, fpc.
    pub(crate) fn columns(&self) -> Vec<&str> {
        [&self.strata, &self.psu, &self.fpc]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect()
    }
}

pub use crate::stats::LonelyPsu;

/// A delimiter as written on the command line or in a codebook.
pub fn delimiter_byte(s: &str) -> Option<u8> {
    match s {
        "," | "comma" => Some(b','),
        ";" | "semicolon" => Some(b';'),
        "tab" | "\\t" | "\t" => Some(b'\t'),
        "|" | "pipe" => Some(b'|'),
        _ => None,
    }
}

/// The separator between the two header rows of a `joined` column name.
pub(crate) const JOINED_SEPARATOR: &str = " / ";

/// One question compared between answers of another, e.g. concerns among those who would
/// switch vs those who would not.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Contrast {
    pub id: String,
    pub question: String,
    /// A single-choice question whose answers form the groups.
    pub by: String,
    /// Its codes to compare, in order.
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Survey {
    pub id: String,
    pub title: Labels,
    #[serde(default, skip_serializing_if = "is_default")]
    pub source: Labels,
    /// Who the shares describe, for the report's sentences.
    #[serde(default, skip_serializing_if = "is_default")]
    pub population: Labels,
    /// Respondent IDs with this prefix mark synthetic data (every ID must carry it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synthetic_id_prefix: Option<String>,
}

/// A screener: respondents whose `column` holds one of `exclude` are dropped from every base.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Exclusion {
    pub column: String,
    /// Every valid code of the screener; anything else is a data error.
    pub codes: Vec<String>,
    pub exclude: Vec<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub note: Labels,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    pub id: String,
    pub column: String,
    #[serde(default, skip_serializing_if = "is_default")]
    pub label: Labels,
    /// Languages in which the label may be lowercased inside a sentence ("By generation");
    /// elsewhere it is written as given.
    #[serde(default, skip_serializing_if = "is_default")]
    pub lowercase: Vec<String>,
    /// Known values in display order; empty means any value, sorted.
    #[serde(default, skip_serializing_if = "is_default")]
    pub values: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub code: String,
    #[serde(default, skip_serializing_if = "is_default")]
    pub label: Labels,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One column, one answer code per respondent.
    SingleChoice,
    /// "Check all that apply" as one column per item (dichotomies).
    MultiResponse,
    /// "Check all that apply" as one column holding the chosen codes joined by a
    /// delimiter ("a;b;c"), the way Google Forms and many panels export it.
    MultiResponseDelimited,
}

/// How a dichotomy column says "selected".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Coding {
    /// `1` selected, `0` not selected, empty not asked.
    #[default]
    ZeroOne,
    /// Any text selected (SurveyMonkey writes the choice text), empty not selected;
    /// the base is then every respondent who selected at least one item.
    Filled,
}

/// Who a multi-response question's shares are out of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemBase {
    /// Everyone who answered any item; a blank item beside answered ones is "not selected".
    #[default]
    AnyItem,
    /// Each item its own base: those who answered that item (0 or 1); a blank item is
    /// unanswered, as when items were shown to random subsets of respondents.
    EachItem,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Descending share, ties in codebook order, `last` items at the end.
    #[default]
    Ranked,
    /// As listed in the codebook (natural scales such as yes / unsure / no).
    Codebook,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub kind: Kind,
    /// The answer column of a single-choice question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub text: Labels,
    /// Chart title; the question text when absent.
    #[serde(default, skip_serializing_if = "is_default")]
    pub title: Labels,
    #[serde(default, skip_serializing_if = "is_default")]
    pub note: Labels,
    #[serde(default, skip_serializing_if = "is_default")]
    pub order: Order,
    /// Dichotomies: how a column says "selected".
    #[serde(default, skip_serializing_if = "is_default")]
    pub coding: Coding,
    /// Dichotomies coded 0/1: one base for the question, or one per item.
    #[serde(default, skip_serializing_if = "is_default")]
    pub base: ItemBase,
    /// Delimited multi-response: the separator between chosen codes (default `;`).
    /// Spaces around it are ignored, and codes that contain it are still recognised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// Delimited multi-response: the item credited with answers that are not among the
    /// items' codes (Google Forms writes an "Other:" answer's own text); without it such
    /// an answer is a data error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unlisted: Option<String>,
    pub items: Vec<Item>,
    /// Nets of items ("any concern", top-2-box): estimated like items, never ranked among them.
    #[serde(default, skip_serializing_if = "is_default")]
    pub nets: Vec<Net>,
    /// The verb phrase of its headline sentence per language, with `{answer}` where the
    /// answer's label goes ("worry that {answer}"); else a neutral one from its kind
    /// ("chose {answer}", "answered {answer}").
    #[serde(default, skip_serializing_if = "is_default")]
    pub headline: Labels,
    /// Languages in which its answers' labels may be lowercased inside a sentence ("It will
    /// be harder…" → "worry that it will be harder…"); elsewhere labels are written as given.
    #[serde(default, skip_serializing_if = "is_default")]
    pub lowercase: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    /// The column of a multi-response (dichotomy) item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The answer code of a single-choice or delimited multi-response item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub label: Labels,
    /// "Other"-type items stay last whatever their share.
    #[serde(default, skip_serializing_if = "is_default")]
    pub last: bool,
}

impl Codebook {
    /// The grouping columns of a tabulation: the segments' (`--by`), then each contrast's
    /// question's. The reader and the query group by these, in this order.
    pub(crate) fn groupings(&self, segments: &[&Segment]) -> Vec<String> {
        let mut groupings: Vec<String> = segments.iter().map(|s| s.column.clone()).collect();
        for c in &self.contrasts {
            if let Some(column) = self.question(&c.by).and_then(|q| q.column.clone()) {
                groupings.push(column);
            }
        }
        groupings
    }

    pub fn canonical() -> Codebook {
        // The embedded codebook is checked by a unit test, so this cannot fail at run time.
        Codebook::parse(CANONICAL_TOML, "embedded canonical codebook")
            .expect("embedded codebook is valid")
    }

    /// Question ids in codebook order.
    pub(crate) fn question_ids(&self) -> Vec<String> {
        self.questions.iter().map(|q| q.id.clone()).collect()
    }

    /// Every labelled code of a column, in every language: (column, code, label), from the
    /// segments' values and the single-choice questions' items.
    pub fn code_labels(&self) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for s in &self.segments {
            for v in &s.values {
                for label in v.label.values() {
                    out.push((s.column.clone(), v.code.clone(), label.clone()));
                }
            }
        }
        for q in &self.questions {
            let Some(column) = &q.column else { continue };
            for i in &q.items {
                let Some(code) = &i.code else { continue };
                for label in i.label.values() {
                    out.push((column.clone(), code.clone(), label.clone()));
                }
            }
        }
        out
    }

    pub fn from_file(path: &Path) -> Result<Codebook> {
        use std::io::Read;
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_CODEBOOK_BYTES + 1).read_to_end(&mut bytes))
            .io(|| format!("cannot read codebook {}", path.display()))?;
        let origin = path.display().to_string();
        if bytes.len() as u64 > MAX_CODEBOOK_BYTES {
            return Err(Error::codebook(format!(
                "larger than {} MiB; a codebook is a short text file",
                MAX_CODEBOOK_BYTES >> 20
            ))
            .in_codebook(&origin));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| Error::codebook("not UTF-8 text").in_codebook(&origin))?;
        Codebook::parse(&text, &origin)
    }

    pub(crate) fn parse(text: &str, origin: &str) -> Result<Codebook> {
        let mut codebook: Codebook = toml::from_str(text)
            .map_err(|e| Error::codebook(e.to_string().trim_end()).in_codebook(origin))?;
        codebook.trim_codes();
        codebook.check().map_err(|e| e.in_codebook(origin))?;
        Ok(codebook)
    }

    /// Codes as every reader reads values: without the ASCII white space around them (the
    /// file reader trims each field, and so do the SQL query and the sums reader). A code
    /// written `"apple "` is the code `apple`; one of white space only is refused by
    /// [`Codebook::check`].
    fn trim_codes(&mut self) {
        let trim = |c: &mut String| {
            let t = c.trim_ascii();
            if t.len() != c.len() {
                *c = t.to_string();
            }
        };
        for e in &mut self.exclude {
            e.codes.iter_mut().for_each(trim);
            e.exclude.iter_mut().for_each(trim);
        }
        for s in &mut self.segments {
            s.values.iter_mut().for_each(|v| trim(&mut v.code));
        }
        for q in &mut self.questions {
            q.items
                .iter_mut()
                .filter_map(|i| i.code.as_mut())
                .for_each(trim);
        }
        for c in &mut self.contrasts {
            c.groups.iter_mut().for_each(trim);
        }
    }

    fn check(&self) -> Result<()> {
        self.check_bounds()?;
        if let Some(d) = self
            .input
            .delimiter
            .as_deref()
            .filter(|d| delimiter_byte(d).is_none())
        {
            bail!(
                "[input] delimiter = '{}' is not one of ',', ';', 'tab', '|'",
                visible(d)
            );
        }
        self.check_ids()?;
        self.check_unique()?;
        if self.questions.is_empty() {
            bail!("it defines no [[questions]]");
        }
        for q in &self.questions {
            q.check()?;
        }
        for seg in &self.segments {
            if seg.values.iter().any(|v| v.code.is_empty()) {
                bail!(
                    "segment '{}': a value code is empty (or white space only)",
                    seg.id
                );
            }
        }
        for e in &self.exclude {
            if e.codes.iter().any(String::is_empty) {
                bail!(
                    "exclusion on '{}': a code is empty (or white space only)",
                    e.column
                );
            }
            if let Some(code) = e.exclude.iter().find(|c| !e.codes.contains(c)) {
                bail!(
                    "exclusion on '{}': code '{code}' is not among its `codes`",
                    e.column
                );
            }
        }
        for c in &self.contrasts {
            self.check_contrast(c)?;
        }
        for f in &self.filters {
            // Names are resolved against the data's header when a filter is used.
            crate::codebook::filter::parse(&f.expr, &format!("filter '{}'", f.id)).map_err(
                |e| match e {
                    Error::Usage(m) => Error::codebook(m),
                    other => other,
                },
            )?;
        }
        Ok(())
    }

    /// A contrast compares a question between codes of a single-choice question.
    fn check_contrast(&self, c: &Contrast) -> Result<()> {
        if self.question(&c.question).is_none() {
            bail!("contrast '{}': no question '{}'", c.id, c.question);
        }
        match self.question(&c.by) {
            Some(q) if q.kind == Kind::SingleChoice => {
                if let Some(g) = c.groups.iter().find(|g| {
                    !q.items
                        .iter()
                        .any(|i| i.code.as_deref() == Some(g.as_str()))
                }) {
                    bail!(
                        "contrast '{}': '{g}' is not a code of question '{}'",
                        c.id,
                        c.by
                    );
                }
            }
            _ => bail!(
                "contrast '{}': `by` must name a single_choice question",
                c.id
            ),
        }
        Ok(())
    }

    /// Ids, answer codes, item columns and listed values must each name one thing: two
    /// items with one code would silently share their answers.
    fn check_unique(&self) -> Result<()> {
        let mut lists: Vec<(String, Vec<&str>)> = vec![
            (
                "question id".into(),
                self.questions.iter().map(|q| q.id.as_str()).collect(),
            ),
            (
                "segment id".into(),
                self.segments.iter().map(|s| s.id.as_str()).collect(),
            ),
            (
                "contrast id".into(),
                self.contrasts.iter().map(|c| c.id.as_str()).collect(),
            ),
            (
                "filter id".into(),
                self.filters.iter().map(|f| f.id.as_str()).collect(),
            ),
        ];
        for q in &self.questions {
            let qid = visible(&q.id);
            let items = &q.items;
            lists.push((
                format!("question '{qid}': item or net id"),
                items
                    .iter()
                    .map(|i| i.id.as_str())
                    .chain(q.nets.iter().map(|n| n.id.as_str()))
                    .collect(),
            ));
            lists.push((
                format!("question '{qid}': answer code"),
                items.iter().filter_map(|i| i.code.as_deref()).collect(),
            ));
            lists.push((
                format!("question '{qid}': item column"),
                items.iter().filter_map(|i| i.column.as_deref()).collect(),
            ));
        }
        for s in &self.segments {
            let values = s.values.iter().map(|v| v.code.as_str()).collect();
            lists.push((format!("segment '{}': value code", visible(&s.id)), values));
        }
        for e in &self.exclude {
            let codes = e.codes.iter().map(String::as_str).collect();
            lists.push((
                format!("exclusion on '{}': code", visible(&e.column)),
                codes,
            ));
        }
        for (what, values) in lists {
            if let Some(v) = first_repeat(values.into_iter()) {
                bail!(
                    "{what} '{}' is used twice; each must name one thing",
                    visible(v)
                );
            }
        }
        Ok(())
    }

    /// Ids name output files and JSON keys: each must match the safe pattern.
    fn check_ids(&self) -> Result<()> {
        let mut ids: Vec<(&str, &str)> = Vec::new();
        for q in &self.questions {
            ids.push(("question", &q.id));
            ids.extend(q.items.iter().map(|i| ("item", i.id.as_str())));
            ids.extend(q.nets.iter().map(|n| ("net", n.id.as_str())));
        }
        ids.extend(self.segments.iter().map(|s| ("segment", s.id.as_str())));
        ids.extend(self.contrasts.iter().map(|c| ("contrast", c.id.as_str())));
        ids.extend(self.filters.iter().map(|f| ("filter", f.id.as_str())));
        ids.push(("survey", &self.survey.id));
        for (what, id) in ids {
            if !is_safe_id(id) {
                bail!(
                    "{what} id '{}' is not allowed: ids use only letters, digits, '_' and '-', \
                     start with a letter or digit, and have at most {MAX_ID} characters",
                    visible(id)
                );
            }
        }
        Ok(())
    }

    /// Sizes and counts are bounded, so no codebook can exhaust memory or draw a chart
    /// too large to render (docs/codebook.md lists the limits).
    fn check_bounds(&self) -> Result<()> {
        let rows = self.input.header_rows;
        if !(1..=MAX_HEADER_ROWS).contains(&rows) {
            bail!("[input] header_rows = {rows}: expected 1 to {MAX_HEADER_ROWS}");
        }
        let mut counts = vec![
            (
                "[[questions]]".to_string(),
                self.questions.len(),
                MAX_QUESTIONS,
            ),
            ("[[segments]]".into(), self.segments.len(), MAX_SEGMENTS),
            ("[[exclude]]".into(), self.exclude.len(), MAX_SEGMENTS),
            ("[[contrasts]]".into(), self.contrasts.len(), MAX_SEGMENTS),
            ("[[filters]]".into(), self.filters.len(), MAX_SEGMENTS),
        ];
        counts.extend(self.questions.iter().map(|q| {
            (
                format!("items of question '{}'", visible(&q.id)),
                q.items.len(),
                MAX_CODES,
            )
        }));
        counts.extend(self.questions.iter().map(|q| {
            (
                format!("nets of question '{}'", visible(&q.id)),
                q.nets.len(),
                MAX_NETS,
            )
        }));
        counts.extend(self.segments.iter().map(|s| {
            (
                format!("values of segment '{}'", visible(&s.id)),
                s.values.len(),
                MAX_CODES,
            )
        }));
        counts.extend(self.exclude.iter().map(|e| {
            (
                format!("codes of the exclusion on '{}'", visible(&e.column)),
                e.codes.len(),
                MAX_CODES,
            )
        }));
        for (what, n, max) in counts {
            if n > max {
                bail!("{n} {what}: at most {max} are allowed");
            }
        }
        for (what, text) in self.texts() {
            let chars = text.chars().count();
            if chars > MAX_LABEL {
                bail!("{what} has {chars} characters: at most {MAX_LABEL} (a label is a line on a chart)");
            }
        }
        for (what, v) in self.short_values() {
            if v.len() > MAX_CODE {
                bail!(
                    "{what} '{}…' is {} bytes long: at most {MAX_CODE}",
                    visible(&v.chars().take(20).collect::<String>()),
                    v.len()
                );
            }
        }
        Ok(())
    }

    /// Every label and text, named for a message.
    fn texts(&self) -> Vec<(String, &str)> {
        let mut labels: Vec<(String, &Labels)> = Vec::new();
        let mut add = |what: String, l| labels.push((what, l));
        add("survey title".into(), &self.survey.title);
        add("survey source".into(), &self.survey.source);
        add("survey population".into(), &self.survey.population);
        for e in &self.exclude {
            add(
                format!("exclusion note on '{}'", visible(&e.column)),
                &e.note,
            );
        }
        for s in &self.segments {
            add(format!("segment '{}' label", visible(&s.id)), &s.label);
            for v in &s.values {
                add(
                    format!("segment '{}' value label", visible(&s.id)),
                    &v.label,
                );
            }
        }
        for q in &self.questions {
            let qid = visible(&q.id).into_owned();
            add(format!("question '{qid}' text"), &q.text);
            add(format!("question '{qid}' title"), &q.title);
            add(format!("question '{qid}' note"), &q.note);
            add(format!("question '{qid}' headline"), &q.headline);
            for i in &q.items {
                add(format!("question '{qid}' item label"), &i.label);
            }
            for n in &q.nets {
                add(format!("question '{qid}' net label"), &n.label);
            }
        }
        for f in &self.filters {
            add(format!("filter '{}' label", visible(&f.id)), &f.label);
        }
        labels
            .into_iter()
            .flat_map(|(what, l)| {
                l.iter()
                    .map(move |(lang, t)| (format!("{what} ({lang})"), t.as_str()))
            })
            .collect()
    }

    /// Codes, column names and delimiters: short by nature.
    fn short_values(&self) -> Vec<(&'static str, &str)> {
        let mut out: Vec<(&'static str, &str)> = Vec::new();
        out.extend(self.respondent_id.as_deref().map(|c| ("column name", c)));
        out.extend(self.weight.as_deref().map(|c| ("column name", c)));
        out.extend(
            self.survey
                .synthetic_id_prefix
                .as_deref()
                .map(|c| ("synthetic_id_prefix", c)),
        );
        for e in &self.exclude {
            out.push(("column name", &e.column));
            out.extend(e.codes.iter().map(|c| ("code", c.as_str())));
        }
        for s in &self.segments {
            out.push(("column name", &s.column));
            out.extend(s.values.iter().map(|v| ("code", v.code.as_str())));
        }
        for q in &self.questions {
            out.extend(q.column.as_deref().map(|c| ("column name", c)));
            out.extend(q.delimiter.as_deref().map(|c| ("delimiter", c)));
            for i in &q.items {
                out.extend(i.column.as_deref().map(|c| ("column name", c)));
                out.extend(i.code.as_deref().map(|c| ("code", c)));
            }
        }
        out
    }

    /// Every column the analysis reads, in a stable order, without duplicates.
    pub(crate) fn needed_columns(&self, weight: Option<&str>) -> Vec<String> {
        let mut cols: Vec<String> = Vec::new();
        let mut push = |c: &str| {
            if !cols.iter().any(|x| x == c) {
                cols.push(c.to_string());
            }
        };
        if let Some(id) = &self.respondent_id {
            push(id);
        }
        if let Some(w) = weight {
            push(w);
        }
        for c in self.design.columns() {
            push(c);
        }
        for e in &self.exclude {
            push(&e.column);
        }
        for q in &self.questions {
            for c in q.columns() {
                push(c);
            }
        }
        cols
    }

    /// The header rows of the input layout (at least 1).
    pub(crate) fn header_rows(&self) -> usize {
        self.input.header_rows.max(1)
    }

    /// A segment by id or by column name.
    pub(crate) fn segment(&self, name: &str) -> Option<&Segment> {
        self.segments
            .iter()
            .find(|s| s.id == name || s.column == name)
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
}

/// Multi-response answers are held as bits of one 64-bit word (bit 0: answered).
pub(crate) const MAX_MULTI_ITEMS: usize = 63;
/// With a base per item, each item takes two bits (selected, blank).
pub(crate) const MAX_EACH_ITEM_ITEMS: usize = 31;
/// Header rows of an export (Qualtrics has 3).
pub(crate) const MAX_HEADER_ROWS: usize = 100;
/// Characters of one label or text.
pub(crate) const MAX_LABEL: usize = 500;
/// Bytes of one code, column name or delimiter.
pub(crate) const MAX_CODE: usize = 1000;
/// Questions of one codebook.
pub(crate) const MAX_QUESTIONS: usize = 200;
/// Segments, exclusions or contrasts of one codebook.
pub(crate) const MAX_SEGMENTS: usize = 100;
/// Items of a single-choice question, values of a segment, codes of an exclusion.
pub(crate) const MAX_CODES: usize = 1000;
/// Nets of one question.
pub(crate) const MAX_NETS: usize = 20;

/// The first value that occurs twice.
fn first_repeat<'a>(values: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = BTreeSet::new();
    values.into_iter().find(|v| !seen.insert(*v))
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::SingleChoice => "single_choice",
            Kind::MultiResponse => "multi_response",
            Kind::MultiResponseDelimited => "multi_response_delimited",
        }
    }
}

impl Question {
    /// The separator of a delimited question.
    pub(crate) fn delimiter(&self) -> &str {
        self.delimiter.as_deref().unwrap_or(";")
    }

    /// The data columns this question reads.
    pub(crate) fn columns(&self) -> Vec<&str> {
        match self.kind {
            Kind::SingleChoice | Kind::MultiResponseDelimited => {
                self.column.as_deref().into_iter().collect()
            }
            Kind::MultiResponse => self
                .items
                .iter()
                .filter_map(|i| i.column.as_deref())
                .collect(),
        }
    }
}

impl Question {
    /// The keys its kind needs, and no key it cannot use.
    fn check(&self) -> Result<()> {
        if self.items.is_empty() {
            bail!("question '{}' has no items", self.id);
        }
        if self.kind != Kind::SingleChoice && self.items.len() > MAX_MULTI_ITEMS {
            bail!(
                "question '{}' has {} items; a multi-response question can have at most {MAX_MULTI_ITEMS}",
                self.id,
                self.items.len()
            );
        }
        for item in &self.items {
            self.check_item(item)?;
        }
        if self.kind != Kind::MultiResponse && self.column.is_none() {
            bail!(
                "question '{}': a {} question needs `column`",
                self.id,
                self.kind.name()
            );
        }
        if let Some(u) = &self.unlisted {
            if self.kind != Kind::MultiResponseDelimited {
                bail!(
                    "question '{}': `unlisted` is only for multi_response_delimited questions",
                    self.id
                );
            }
            if !self.items.iter().any(|i| &i.id == u) {
                bail!(
                    "question '{}': `unlisted = \"{u}\"` is not one of its item ids",
                    self.id
                );
            }
        }
        if self.delimiter.as_deref() == Some("") {
            bail!("question '{}': `delimiter` is empty", self.id);
        }
        self.check_base()?;
        for net in &self.nets {
            self.check_net(net)?;
        }
        if self.nets.iter().filter(|n| n.headline).count() > 1 {
            bail!(
                "question '{}': more than one net has `headline = true`; a headline leads with one",
                self.id
            );
        }
        if let Some((lang, _)) = self.headline.iter().find(|(_, p)| !p.contains("{answer}")) {
            bail!(
                "question '{}': headline.{} must hold {{answer}}, where the answer's label goes (for example \"worry that {{answer}}\")",
                self.id,
                visible(lang)
            );
        }
        Ok(())
    }

    /// An item has what its question's kind reads: a column, or a non-empty code.
    fn check_item(&self, item: &Item) -> Result<()> {
        match self.kind {
            Kind::MultiResponse if item.column.is_none() => bail!(
                "question '{}' item '{}': a multi_response item needs `column`",
                self.id,
                item.id
            ),
            Kind::SingleChoice | Kind::MultiResponseDelimited
                if item.code.as_deref().is_some_and(str::is_empty) =>
            {
                bail!(
                    "question '{}' item '{}': `code` is empty (or white space only)",
                    self.id,
                    item.id
                )
            }
            Kind::SingleChoice | Kind::MultiResponseDelimited if item.code.is_none() => {
                bail!(
                    "question '{}' item '{}': a {} item needs `code`",
                    self.id,
                    item.id,
                    self.kind.name()
                )
            }
            _ => {}
        }
        Ok(())
    }

    /// A base per item is for 0/1 "check all" questions, of a bounded number of items.
    fn check_base(&self) -> Result<()> {
        if self.base == ItemBase::EachItem {
            if self.kind != Kind::MultiResponse || self.coding != Coding::ZeroOne {
                bail!(
                    "question '{}': `base = \"each_item\"` is for multi_response questions coded 0/1, where a blank item is unanswered (with other codings a blank means not selected)",
                    self.id
                );
            }
            if self.items.len() > MAX_EACH_ITEM_ITEMS {
                bail!(
                    "question '{}' has {} items; with `base = \"each_item\"` a question can have at most {MAX_EACH_ITEM_ITEMS}",
                    self.id,
                    self.items.len()
                );
            }
        }
        Ok(())
    }

    /// A net combines at least two of the question's own items, each once.
    fn check_net(&self, net: &Net) -> Result<()> {
        if net.items.len() < 2 {
            bail!(
                "question '{}' net '{}': a net combines at least two items",
                self.id,
                net.id
            );
        }
        if let Some(unknown) = net
            .items
            .iter()
            .find(|id| !self.items.iter().any(|i| &i.id == *id))
        {
            let ids = self.items.iter().map(|i| i.id.as_str());
            let hint = match crate::text::closest(unknown, ids) {
                Some(c) => format!("did you mean '{}'? ", visible(c)),
                None => String::new(),
            };
            bail!(
                "question '{}' net '{}': '{}' is not one of its item ids; {hint}(items: {})",
                self.id,
                net.id,
                visible(unknown),
                self.items
                    .iter()
                    .map(|i| visible(&i.id).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if let Some(twice) = first_repeat(net.items.iter().map(String::as_str)) {
            bail!(
                "question '{}' net '{}': item '{twice}' is listed twice",
                self.id,
                net.id
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_codebook_parses_and_names_the_canonical_columns() {
        let cb = Codebook::canonical();
        let cols = cb.needed_columns(cb.weight.as_deref());
        for c in [
            "respondent_id",
            "weight",
            "ai_familiarity",
            "concern_reach_person",
            "concern_other",
            "switch_intent",
            "prefer_no_ai",
        ] {
            assert!(cols.iter().any(|x| x == c), "missing {c}");
        }
        assert_eq!(cb.question("concerns").map(|q| q.items.len()), Some(6));
        assert!(cb.question("concerns").unwrap().items[5].last);
    }

    #[test]
    fn every_label_has_english_and_russian() {
        let cb = Codebook::canonical();
        for q in &cb.questions {
            assert!(
                q.text.contains_key("en") && q.text.contains_key("ru"),
                "{}",
                q.id
            );
            for i in &q.items {
                assert!(
                    i.label.contains_key("en") && i.label.contains_key("ru"),
                    "{}",
                    i.id
                );
            }
        }
    }

    #[test]
    fn a_bad_codebook_names_the_key_and_line() {
        let err = Codebook::parse("respondent_id = 3\n", "x.toml").unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("x.toml") && msg.contains("line 1"), "{msg}");
        let err = Codebook::parse(
            "[survey]\nid='s'\ntitle.en='t'\n[[questions]]\nid='q'\nkind='single_choice'\ntext.en='?'\nitems=[{id='a', code='a', label.en='A'}]\n",
            "y.toml",
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("needs `column`"));
    }

    #[test]
    fn pick_falls_back_to_english() {
        let mut l = Labels::new();
        l.insert("en".into(), "Other".into());
        assert_eq!(pick(&l, crate::locale::Lang::Ru), "Other");
        l.insert("ru".into(), "Другое".into());
        assert_eq!(pick(&l, crate::locale::Lang::Ru), "Другое");
    }
}
