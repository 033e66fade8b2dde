//! `Results`: every number of an analysis, in one serde struct.
//!
//! Exporters and charts read only this; none of them computes a statistic. The JSON form
//! of this struct is the researchers' contract: renaming a field needs a schema bump.

use serde::{Deserialize, Serialize};

use crate::codebook::Kind;

/// Bumped whenever a JSON field is renamed, removed or changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub schema_version: u32,
    pub tool: Tool,
    pub input: Input,
    pub survey: SurveyInfo,
    /// Language of every label and text below.
    pub lang: String,
    /// The weight column used, or null when unweighted.
    pub weight: Option<String>,
    pub method: Method,
    pub base: Base,
    pub exclusions: Vec<ExclusionCount>,
    pub questions: Vec<QuestionResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    /// As given on the command line (`-` for standard input).
    pub path: String,
    /// SHA-256 of the input bytes, lowercase hex.
    pub sha256: String,
    /// Data rows (respondents) read.
    pub rows: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyInfo {
    pub id: String,
    pub title: String,
    pub source: String,
    /// Who the shares describe ("customers who know what AI is").
    pub population: String,
    /// True when every respondent ID carries the codebook's synthetic prefix.
    pub synthetic: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Method {
    pub confidence_level: f64,
    pub share: String,
    pub se: String,
    pub ci: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Base {
    pub respondents: u64,
    pub excluded: u64,
    pub kept: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExclusionCount {
    pub column: String,
    pub codes: Vec<String>,
    pub count: u64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionResult {
    pub id: String,
    /// Chart title.
    pub title: String,
    pub text: String,
    pub note: String,
    pub kind: Kind,
    pub weighted: bool,
    pub base: QuestionBase,
    /// Items in display order (ranked, or codebook order for natural scales).
    pub items: Vec<ItemResult>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuestionBase {
    pub unweighted: u64,
    pub weighted: f64,
    /// Kish effective base (Σw)²/Σw².
    pub effective: f64,
    /// Kish design effect n·Σw²/(Σw)²; 1 when unweighted.
    pub design_effect: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

impl Results {
    /// The notes of every exclusion that left someone out, as one sentence group.
    pub fn exclusion_notes(&self) -> String {
        let notes: Vec<&str> = self
            .exclusions
            .iter()
            .filter(|e| e.count > 0)
            .map(|e| e.note.as_str())
            .collect();
        notes.join(" ")
    }

    pub fn question(&self, id: &str) -> Option<&QuestionResult> {
        self.questions.iter().find(|q| q.id == id)
    }
}

impl QuestionResult {
    pub fn item(&self, id: &str) -> Option<&ItemResult> {
        self.items.iter().find(|i| i.id == id)
    }
}
