//! `Results`: every number of an analysis, in one serde struct.
//!
//! Exporters and charts read only this; none of them computes a statistic. The JSON form
//! of this struct is the researchers' contract: renaming a field needs a schema bump.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::codebook::Kind;
use crate::stats::Adjust;

/// Bumped whenever a JSON field is renamed, removed or changes meaning. 2: `input.path`
/// holds the file name without its directory (it held the path as typed).
pub(crate) const SCHEMA_VERSION: u32 = 4;

/// A group's unweighted base too small to read (under 30) or low (under 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum BaseFlag {
    #[serde(rename = "under_30")]
    Under30,
    #[serde(rename = "under_100")]
    Under100,
}

impl BaseFlag {
    /// The flag of an unweighted base, if any.
    pub fn of(unweighted: u64) -> Option<BaseFlag> {
        match unweighted {
            n if n < 30 => Some(BaseFlag::Under30),
            n if n < 100 => Some(BaseFlag::Under100),
            _ => None,
        }
    }

    /// How tables and charts mark it after the base: " !" or " *".
    pub(crate) fn mark(self) -> &'static str {
        match self {
            BaseFlag::Under30 => " !",
            BaseFlag::Under100 => " *",
        }
    }
}

/// Every number of one analysis of `concerns` (summary.json, `table --format json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Results {
    /// Bumped whenever a field is renamed, removed or changes meaning.
    pub schema_version: u32,
    pub tool: Tool,
    pub input: Input,
    pub survey: SurveyInfo,
    /// Language of every label and text below.
    pub lang: crate::locale::Lang,
    /// The weight column used, or null when unweighted.
    pub weight: Option<String>,
    pub method: Method,
    /// The sampling design, when it has strata, clusters or a finite population correction
    /// (absent: weights only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub design: Option<DesignInfo>,
    pub base: Base,
    /// The `--where` filter every base is within, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<FilterInfo>,
    pub exclusions: Vec<ExclusionCount>,
    /// Rows left out because of problems (`--lenient`), per reason (a row with several
    /// problems counts under each); empty otherwise.
    pub dropped: Vec<DroppedRows>,
    pub significance: Significance,
    pub questions: Vec<QuestionResult>,
    /// Contrasts between the answers of one question, such as concerns among those who
    /// would switch to a competitor vs those who would not.
    pub contrasts: Vec<ContrastResult>,
    /// Weighting and base warnings, also printed on stderr (in the run's language).
    pub warnings: Vec<Warning>,
    /// What each cell of the tables shows, in order, as `--cells` asked; absent: each
    /// table's own (share, interval and count in a ranked table; the share in a banner).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cells: Vec<Cell>,
}

/// One number a table's cell can show (`--cells share,count,ci`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Cell {
    /// The share, with a group's significance letters.
    Share,
    /// The unweighted number of respondents.
    Count,
    /// The confidence interval of the share.
    Ci,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Significance {
    /// `pairs`: every pair of groups (letters); `total`: each group against the rest.
    #[serde(default, skip_serializing_if = "crate::stats::Compare::is_pairs")]
    pub compare: crate::stats::Compare,
    /// The test of two groups: `pooled-z` or `wald`.
    pub test: crate::stats::Test,
    /// The test in English words, with its R equivalent.
    pub test_description: String,
    pub adjust: Adjust,
    pub alpha: f64,
    /// Groups with an effective base under this are not tested (their p-values are null).
    #[serde(default)]
    pub min_base: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Input {
    /// The input's file name without its directory, so that outputs do not depend on
    /// the working directory or on how the path was spelled (`-` for standard input).
    pub path: String,
    /// BLAKE3 of the input bytes, lowercase hex (what `b3sum FILE` prints).
    pub blake3: String,
    /// Data rows (respondents) read.
    pub rows: u64,
    /// The numbers came from sums (`--sums`, the result of `concerns sql`'s query run where
    /// the data lives), not from the rows: `path` names the sums files and `blake3` is the
    /// digest of their bytes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_sums: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SurveyInfo {
    pub id: String,
    pub title: String,
    pub source: String,
    /// Who the shares describe ("customers who know what AI is").
    pub population: String,
    /// True when every respondent ID carries the codebook's synthetic prefix.
    pub synthetic: bool,
}

/// A design with strata and clusters, as the standard errors used it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DesignInfo {
    /// The stratum column, if any.
    pub strata: Option<String>,
    /// The PSU (cluster) column; null: every respondent is its own PSU.
    pub psu: Option<String>,
    /// The finite population correction column, if any.
    pub fpc: Option<String>,
    pub lonely_psu: crate::stats::LonelyPsu,
    /// Strata in the design (1 when there is no stratum column).
    pub strata_count: u64,
    /// PSUs in the design, excluded respondents' PSUs included.
    pub psus: u64,
    /// Degrees of freedom: PSUs − strata (R `degf`).
    pub df: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Method {
    pub confidence_level: f64,
    pub share: String,
    pub se: String,
    pub ci: String,
    /// The interval method (`--interval`); absent: `wilson`, on the Kish effective base.
    #[serde(default, skip_serializing_if = "crate::stats::Interval::is_wilson")]
    pub interval: crate::stats::Interval,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Base {
    pub respondents: u64,
    pub excluded: u64,
    /// Rows with problems left out by `--lenient`, each once (0 otherwise).
    pub dropped: u64,
    /// Respondents the screener kept and the `--where` filter left out (0 without one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub filtered: u64,
    /// Respondents in the bases: not excluded, not dropped, within the filter.
    pub kept: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A filter (`--where`): a domain of the design, not a new sample. Rows outside it stay
/// in the design (R `subset()`), so the standard errors are the domain's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FilterInfo {
    /// The expression as given (or a codebook filter's name).
    pub expression: String,
    /// The codebook filter's label, when the expression is one named filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Respondents the screener kept (the filter's universe); `base.kept` are within it.
    pub eligible: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DroppedRows {
    /// The column at fault, if one is.
    pub column: Option<String>,
    /// Why, in the results' language.
    pub reason: String,
    pub rows: u64,
    /// The reason as the catalogue says it, for any language.
    #[serde(skip)]
    #[schemars(skip)]
    pub said: Option<crate::error::Said>,
}

/// A warning about the numbers: a code a program can act on, the values it is made of,
/// and its English message. The command line says it in the run's language from the code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Warning {
    pub code: WarningCode,
    /// The warning in English.
    pub message: String,
    /// The values in the message, by name (question and segment ids, counts, bases).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, serde_json::Value>,
}

/// What a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// Rows with problems were left out (`--lenient`); `params.rows` of them, per reason in
    /// `dropped`.
    RowsLeftOut,
    /// The largest weight (`max`) is more than 10 times the median (`median`).
    Weights,
    /// `respondents` answered some items of `question` and left others blank, which count
    /// as not selected.
    PartialAny,
    /// `respondents` answered some items of `question` and left others blank; each item has
    /// its own base.
    PartialEach,
    /// The base of `question` (`respondents`, effective base `effective`) is under `min`.
    SmallBase,
    /// As `small_base`, unweighted.
    SmallBaseUnweighted,
    /// The group `segment` = `value` of `question` has an effective base (`effective`)
    /// under `min`.
    SmallGroup,
    /// `n` kept respondents have no value of segment `segment`: in the total, in no group.
    BlankSegment,
}

impl Warning {
    /// A warning with its English message.
    pub fn new(code: WarningCode, params: Vec<(&str, serde_json::Value)>) -> Warning {
        let params: BTreeMap<String, serde_json::Value> = (params.into_iter())
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let mut w = Warning {
            code,
            message: String::new(),
            params,
        };
        w.message = w.text(crate::locale::Lang::En, &[], 0);
        w
    }

    /// The warning in `lang` (`dropped` and `rows`: the rows left out, for that warning).
    fn text(&self, lang: crate::locale::Lang, dropped: &[DroppedRows], rows: u64) -> String {
        let w = crate::locale::words(lang);
        if self.code == WarningCode::RowsLeftOut {
            return dropped_note(w, dropped, rows);
        }
        let param = |name: &str| -> String {
            let v = self.params.get(name);
            let count = || v.and_then(serde_json::Value::as_u64).unwrap_or(0);
            let number = || v.and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);
            match name {
                "respondents" => w.respondents(count()),
                "n" => w.number(count()),
                "effective" => w.tenths(number()),
                "min" => w.plain(number()),
                "max" | "median" => w.significant(number(), 4),
                _ => v
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            }
        };
        let key = match self.code {
            WarningCode::Weights => "warn_weights",
            WarningCode::PartialAny => "warn_partial_any",
            WarningCode::PartialEach => "warn_partial_each",
            WarningCode::SmallBase => "warn_small_base",
            WarningCode::SmallBaseUnweighted => "warn_small_base_unweighted",
            WarningCode::SmallGroup => "warn_small_group",
            WarningCode::BlankSegment if param("n") == "1" => "warn_blank_segment_one",
            WarningCode::BlankSegment => "warn_blank_segment",
            WarningCode::RowsLeftOut => "dropped_note",
        };
        let names = [
            "question",
            "segment",
            "value",
            "respondents",
            "n",
            "effective",
            "min",
            "max",
            "median",
        ];
        let values: Vec<(&str, String)> = names.iter().map(|n| (*n, param(n))).collect();
        let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        w.fill(key, &values)
    }
}

/// "12 rows with problems were left out (--lenient): …".
fn dropped_note(w: &crate::locale::Words, dropped: &[DroppedRows], rows: u64) -> String {
    let reasons: Vec<String> = dropped
        .iter()
        .map(|d| {
            let n = w.counted("rows", d.rows);
            let reason = match &d.said {
                Some(s) => crate::locale::render(s, w.lang()),
                None => d.reason.clone(),
            };
            match &d.column {
                Some(c) => w.fill(
                    "dropped_column",
                    &[("rows", &n), ("column", c), ("reason", &reason)],
                ),
                None => w.fill("dropped_rows", &[("rows", &n), ("reason", &reason)]),
            }
        })
        .collect();
    w.fill(
        "dropped_note",
        &[
            ("n", &w.counted("rows", rows)),
            ("reasons", &reasons.join("; ")),
        ],
    )
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ExclusionCount {
    pub column: String,
    pub codes: Vec<String>,
    pub count: u64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QuestionResult {
    pub id: String,
    /// Chart title.
    pub title: String,
    pub text: String,
    pub note: String,
    pub kind: Kind,
    pub weighted: bool,
    pub base: QuestionBase,
    /// How its items are shown: `ranked` by share, or in the codebook's order (a scale);
    /// only ranked questions show a rank column.
    pub order: crate::codebook::Order,
    /// Items in display order (ranked, or codebook order for natural scales).
    pub items: Vec<ItemResult>,
    /// Nets of items ("any concern", "yes or unsure"), ranked among themselves only; each
    /// names the items it combines in `items`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nets: Vec<ItemResult>,
    /// The question per segment group (`--by`), beside the total above.
    pub by: Vec<GroupResult>,
    /// Every pairwise test behind the `higher_than` letters.
    pub comparisons: Vec<Comparison>,
    /// Per `--by` segment, the base's respondents with no value of it: in the total, in no
    /// group (so the groups' bases add up to the total with them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub no_group: Vec<NoGroup>,
    /// Per `--by` segment and item: the Rao–Scott test that the share is the same in every
    /// group (R `svychisq(~item + segment, design, statistic = "F")`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub association: Vec<Association>,
    /// The codebook's verb phrase for the headline sentence in this language, with
    /// `{answer}` where the answer goes; absent: a neutral phrase from the question's kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
    /// Whether its labels may be lowercased inside a sentence in this language (the
    /// codebook says so); else they are written as given.
    #[serde(default, skip_serializing_if = "crate::results::is_false")]
    pub lowercase: bool,
}

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

/// The Rao–Scott F test across all groups of a segment, for one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Association {
    pub segment: String,
    pub item: String,
    pub f: f64,
    /// Numerator and denominator degrees of freedom (second-order corrected).
    pub ndf: f64,
    pub ddf: f64,
    pub p_value: f64,
}

/// Respondents of a question's base in no group of a segment (a blank value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NoGroup {
    pub segment: String,
    pub unweighted: u64,
    pub weighted: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GroupResult {
    pub segment: String,
    /// The segment's label in the results' language, when the codebook gives one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub segment_label: String,
    /// Whether the segment's label may be lowercased inside a sentence in this language.
    #[serde(default, skip_serializing_if = "crate::results::is_false")]
    pub segment_lowercase: bool,
    pub value: String,
    pub label: String,
    /// Column letter within its segment: A, B, C… in codebook order.
    pub letter: String,
    pub base: QuestionBase,
    /// "under_30" (too small to read) or "under_100" (low base), else null.
    pub base_flag: Option<BaseFlag>,
    /// Items in the order of the total's items.
    pub items: Vec<GroupItem>,
    /// Nets in the order of the total's nets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nets: Vec<GroupItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GroupItem {
    #[serde(flatten)]
    pub item: ItemResult,
    /// Letters of the groups of the same segment this group's share is significantly higher than.
    pub higher_than: Vec<String>,
    /// `--compare total`: significantly higher or lower than the rest of the base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versus_rest: Option<Versus>,
}

/// A group's share against the rest of the sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Versus {
    Higher,
    Lower,
}

impl GroupResult {
    /// Its rows in the order of the total's [`QuestionResult::rows`].
    pub(crate) fn rows(&self) -> impl Iterator<Item = &GroupItem> + Clone {
        self.items.iter().chain(&self.nets)
    }

    /// What a person reads for the segment: its label, else its id.
    pub(crate) fn segment_name(&self) -> &str {
        if self.segment_label.is_empty() {
            &self.segment
        } else {
            &self.segment_label
        }
    }
}

impl ItemResult {
    /// Whether this row is a net of items.
    pub(crate) fn is_net(&self) -> bool {
        !self.items.is_empty()
    }

    /// The base the item's share is out of: its own, or else `question`'s.
    pub(crate) fn base_within<'a>(&'a self, question: &'a QuestionBase) -> &'a QuestionBase {
        self.base.as_ref().unwrap_or(question)
    }
}

impl GroupItem {
    /// What a table or chart writes after the share: the letters, or + / – against the rest.
    pub(crate) fn marks(&self) -> Vec<String> {
        match self.versus_rest {
            Some(Versus::Higher) => vec!["+".into()],
            Some(Versus::Lower) => vec!["–".into()],
            None => self.higher_than.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Comparison {
    pub segment: String,
    pub item: String,
    /// The two group letters compared.
    pub groups: [String; 2],
    pub p_value: Option<f64>,
    /// Adjusted together with the other pairs of the same item and segment.
    pub p_adjusted: Option<f64>,
    pub significant: bool,
    /// `--test wald`: the first group's share minus the second's, and its design-based SE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ContrastResult {
    pub id: String,
    pub question: String,
    /// The question whose answers define the groups.
    pub by: String,
    pub groups: Vec<GroupResult>,
    pub comparisons: Vec<Comparison>,
    /// Per item, the Rao–Scott test across the contrast's groups, on the respondents of
    /// those groups (R `svychisq` on `subset(design, by %in% groups)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub association: Vec<Association>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct QuestionBase {
    pub unweighted: u64,
    pub weighted: f64,
    /// Kish effective base (Σw)²/Σw².
    pub effective: f64,
    /// Kish design effect of the weights, n·Σw²/(Σw)² (1 + CV² of the weights); 1 when
    /// unweighted. The design effect of each item is the item's `deff`.
    pub design_effect: Option<f64>,
    /// Effective / actual base, 1/design effect.
    pub weighting_efficiency: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ItemResult {
    pub id: String,
    pub label: String,
    /// 1 = highest share; "Other"-type items rank last.
    pub rank: u32,
    /// Unweighted number of respondents selecting the item.
    pub count: u64,
    pub weighted_count: f64,
    /// 0 to 1; null when the base is empty.
    pub share: Option<f64>,
    pub se: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Kept out of the ranking and shown last ("Other").
    pub pinned_last: bool,
    /// The item's design effect: its variance over that of a simple random sample of the
    /// same respondents with replacement (R `svymean(…, deff = "replace")`); unlike the
    /// base's Kish design effect it reflects the clustering and the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deff: Option<f64>,
    /// The item's own base, when the question's base is per item (`base = "each_item"`):
    /// the respondents who answered this item. Absent when the question's base applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<QuestionBase>,
    /// A net: the ids of the items it combines (a respondent counts when any is chosen).
    /// Empty (absent) for an item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// A net that leads the question's headline (a scale's top two boxes).
    #[serde(default, skip_serializing_if = "crate::results::is_false")]
    pub headline: bool,
}

/// The JSON Schema of `Results` (draft 2020-12), as committed in `docs/summary.schema.json`.
pub fn schema() -> String {
    let schema = schemars::schema_for!(Results);
    // A schema is plain data: serialising it cannot fail.
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

impl Results {
    /// The cells of a banner: the share unless `--cells` said otherwise.
    pub(crate) fn banner_cells(&self) -> Vec<Cell> {
        match self.cells.is_empty() {
            true => vec![Cell::Share],
            false => self.cells.clone(),
        }
    }

    /// The columns of a ranked table: share, interval and count unless `--cells` said
    /// otherwise.
    pub(crate) fn ranked_cells(&self) -> Vec<Cell> {
        match self.cells.is_empty() {
            true => vec![Cell::Share, Cell::Ci, Cell::Count],
            false => self.cells.clone(),
        }
    }

    /// The notes of every exclusion that left someone out, as one sentence group.
    pub(crate) fn exclusion_notes(&self) -> String {
        let notes: Vec<&str> = self
            .exclusions
            .iter()
            .filter(|e| e.count > 0)
            .map(|e| e.note.as_str())
            .collect();
        notes.join(" ")
    }

    /// "12 rows with problems were left out (--lenient): …", when any were, in the
    /// results' language.
    pub(crate) fn dropped_note(&self) -> Option<String> {
        (self.base.dropped > 0).then(|| {
            dropped_note(
                crate::locale::words(self.lang),
                &self.dropped,
                self.base.dropped,
            )
        })
    }

    /// The warning that rows were left out, when any were.
    pub(crate) fn rows_left_out(&self) -> Option<Warning> {
        (self.base.dropped > 0).then(|| {
            let mut w = Warning {
                code: WarningCode::RowsLeftOut,
                message: String::new(),
                params: BTreeMap::from([("rows".to_string(), self.base.dropped.into())]),
            };
            w.message = self.warning_text(&w, crate::locale::Lang::En);
            w
        })
    }

    /// A warning of these results in `lang`.
    pub fn warning_text(&self, warning: &Warning, lang: crate::locale::Lang) -> String {
        warning.text(lang, &self.dropped, self.base.dropped)
    }

    pub fn question(&self, id: &str) -> Option<&QuestionResult> {
        self.questions.iter().find(|q| q.id == id)
    }
}

impl QuestionResult {
    /// The rows of its table: the items in display order, then the nets.
    pub(crate) fn rows(&self) -> impl Iterator<Item = &ItemResult> + Clone {
        self.items.iter().chain(&self.nets)
    }

    /// Whether the items are shown in rank order (else in the codebook's own order).
    pub(crate) fn ranked(&self) -> bool {
        self.order == crate::codebook::Order::Ranked
    }

    /// The `--by` segments of the groups, in order, each with its groups.
    pub fn segments(&self) -> Vec<(&str, Vec<&GroupResult>)> {
        let mut out: Vec<(&str, Vec<&GroupResult>)> = Vec::new();
        for g in &self.by {
            match out.iter_mut().find(|(s, _)| *s == g.segment) {
                Some((_, gs)) => gs.push(g),
                None => out.push((&g.segment, vec![g])),
            }
        }
        out
    }

    /// The smallest and largest item base, when each item has its own.
    pub(crate) fn item_base_range(&self) -> Option<(u64, u64)> {
        let n = self
            .items
            .iter()
            .filter_map(|i| i.base.as_ref())
            .map(|b| b.unweighted);
        Some((n.clone().min()?, n.max()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::locale::Lang;

    #[test]
    fn warnings_keep_their_code_and_say_it_in_each_language() {
        let one = Warning::new(
            WarningCode::BlankSegment,
            vec![("segment", "gender".into()), ("n", 1u64.into())],
        );
        assert_eq!(
            one.message,
            "segment 'gender': 1 kept respondent has no value; it counts in the total but in no group"
        );
        let many = Warning::new(
            WarningCode::SmallGroup,
            vec![
                ("question", "concerns".into()),
                ("segment", "generation".into()),
                ("value", "{min}".into()),
                ("effective", 12.345.into()),
                ("min", 30.0.into()),
            ],
        );
        // A value holding a placeholder stays as it is; numbers in each language's style.
        assert!(
            many.message
                .contains("generation = {min}: effective base 12.3 is under 30"),
            "{}",
            many.message
        );
        let ru = many.text(Lang::Ru, &[], 0);
        assert!(ru.contains("эффективная база 12,3 меньше 30"), "{ru}");
        let json = serde_json::to_value(&many).unwrap();
        assert_eq!(json["code"], "small_group");
        assert_eq!(json["params"]["effective"], 12.345);
    }
}
