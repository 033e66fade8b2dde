//! `concerns codebook init`: a draft codebook from a file's columns and values. Every
//! column is classified first (ID, weight, screener, segment, single choice, "check all"
//! in one of three layouts, write-in text, export metadata); the draft is then a typed
//! [`Codebook`], written as TOML by serde, with notes on what could not be known.

mod names;
mod profile;
mod scales;
mod special;
mod spss;
mod write;

use std::collections::{BTreeMap, BTreeSet};

use crate::codebook::{
    Choice, Codebook, Coding, ColumnNames, Exclusion, InputLayout, Item, ItemBase, Kind, Labels,
    Order, Question, Segment, Survey, JOINED_SEPARATOR,
};
use crate::error::{DataError, Result};
use crate::load::{Format, Source};
use names::{id_for, is_dont_know, is_other, ordered};
use profile::{Export, Profile, MAX_PIECES};

pub use spss::spss_codebook;

/// A codebook drafted from a file, and what the user should check in it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub codebook: Codebook,
    /// The file it was drafted from, as named in the header comment.
    pub source: String,
    /// What could not be known or was assumed, one sentence each.
    pub notes: Vec<String>,
}

impl Draft {
    /// The codebook as TOML, with the notes as a comment at the top.
    pub fn to_toml(&self) -> Result<String> {
        write::toml(self)
    }

    /// Records how the file was read — its encoding (given or `guessed`) and a delimiter
    /// other than the comma — in `[input]`, so that later commands need no flag.
    pub fn record_input(
        &mut self,
        src: &Source,
        encoding: Option<&str>,
        guessed: bool,
    ) -> Result<()> {
        if src.format != Format::Csv {
            return Ok(());
        }
        let input = &mut self.codebook.input;
        if let Some(e) = encoding.filter(|e| !e.eq_ignore_ascii_case("utf-8")) {
            input.encoding = Some(e.to_string());
            self.notes.push(match guessed {
                true => format!("the file is not UTF-8: read as {e} (guessed from its bytes; [input] encoding below): check that accented letters read right"),
                false => format!("read as {e} (--encoding; [input] encoding below)"),
            });
        }
        let delimiter = match src.delimiter {
            b';' => Some(";"),
            b'\t' => Some("tab"),
            b'|' => Some("|"),
            _ => None,
        };
        if let Some(d) = delimiter {
            input.delimiter = Some(d.to_string());
            self.notes.push(format!(
                "fields are separated by '{d}' ([input] delimiter below)"
            ));
        }
        write::checked(self)
    }
}

/// Drafts a codebook for a CSV or SPSS file.
pub fn draft(src: &Source) -> Result<Draft> {
    match src.format {
        Format::Csv => csv_draft(src),
        Format::Spss => spss::draft(src),
        Format::Parquet => Err(DataError::new(
            &src.name,
            "codebook init reads CSV and SPSS files; for Parquet, export a few rows as CSV and draft from those",
        )
        .into()),
    }
}

/// Column names that suggest a segment for `--by`.
const SEGMENT_WORDS: &[&str] = &[
    "country",
    "region",
    "gender",
    "sex",
    "age",
    "generation",
    "segment",
    "state",
    "income",
    "education",
];

/// Names of the columns survey platforms add about the response, not the respondent.
const METADATA: &[&str] = &[
    "startdate",
    "enddate",
    "start date",
    "end date",
    "timestamp",
    "status",
    "ipaddress",
    "ip address",
    "progress",
    "duration",
    "finished",
    "recordeddate",
    "recorded date",
    "response type",
    "distributionchannel",
    "userlanguage",
    "locationlatitude",
    "locationlongitude",
    "email",
    "first name",
    "last name",
    "firstname",
    "lastname",
    "custom data",
    "collector id",
    "externalreference",
    "recipient",
];

/// Words of a question text that mark a screener on awareness ("How familiar are you…").
const SCREENER_WORDS: &[&str] = &["familiar", "aware", "heard of", "know what"];

/// What one column is.
#[derive(Debug, Clone, PartialEq)]
enum Role {
    Id,
    Weight,
    /// A column of the sampling design (strata, PSUs, fpc).
    Design,
    /// Numbers that measure (a score, a count, a percentage): left out for now.
    Measurement,
    /// About the response (dates, status, IP address) or empty or constant.
    Metadata,
    /// Words the respondent typed ("Other - Text", free comments).
    WriteIn,
    /// A screener; `assumed` when the excluded code was not named in the data.
    Screener {
        exclude: Vec<String>,
        assumed: bool,
    },
    Segment,
    Single,
    /// A 0/1 column of a "check all" question (the question's key).
    Dichotomy(String),
    /// SurveyMonkey: a column holding a choice's text when it was chosen.
    Filled {
        question: String,
        choice: String,
    },
    /// Chosen answers joined by commas in one cell.
    Delimited,
}

fn name_has(name: &str, words: &[&str]) -> bool {
    let l = name.to_lowercase();
    words.iter().any(|w| l.contains(w))
}

fn classify(export: &Export, special: &special::Special) -> Vec<Role> {
    let mut roles = Vec::new();
    let mut screener = false;
    for (i, (name, p)) in export.columns.iter().zip(&export.profiles).enumerate() {
        let role = if special.id == Some(i) {
            Role::Id
        } else if special.weight == Some(i) {
            Role::Weight
        } else if special.has(i) {
            Role::Design
        } else {
            // The ID and the weight were chosen over the whole file.
            classify_one(export, i, name, p, (true, true, screener))
        };
        screener |= matches!(role, Role::Screener { .. });
        roles.push(role);
    }
    roles
}

/// One column's role, given whether an ID, weight and screener were already found.
fn classify_one(
    export: &Export,
    i: usize,
    name: &str,
    p: &Profile,
    (id, weight, screener): (bool, bool, bool),
) -> Role {
    let lower = name.to_lowercase();
    let text = export.text(i);
    if let Some((question, choice)) = name.split_once(JOINED_SEPARATOR) {
        if choice != "Response" && p.filled > 0 && (p.constant() || is_other(choice)) {
            return Role::Filled {
                question: question.to_string(),
                choice: choice.to_string(),
            };
        }
    }
    if lower.ends_with("_text") || name_has(text, &["- text", "please specify"]) {
        return Role::WriteIn;
    }
    if !id && p.unique && p.filled > 1 && (lower == "id" || name_has(name, &["id"])) {
        return Role::Id;
    }
    if !weight && p.numeric && !p.codes && name_has(name, &["weight", "wgt", "wt"]) {
        return Role::Weight;
    }
    if METADATA
        .iter()
        .any(|m| lower == *m || lower.replace('_', " ") == *m)
        || p.filled == 0
    {
        return Role::Metadata;
    }
    if p.constant() {
        return Role::Metadata;
    }
    let binary = !p.too_many && p.values.iter().all(|(v, _)| v == "0" || v == "1");
    if binary {
        let key = name.split('_').next().unwrap_or(name).to_string();
        return Role::Dichotomy(key);
    }
    let repeated = p.pieces.iter().filter(|(_, n)| *n > 1).count();
    if p.joined > 0 && p.joined * 20 >= p.filled && p.pieces.len() <= MAX_PIECES && repeated >= 2 {
        return Role::Delimited;
    }
    // Numbers that measure (scores, counts, percentages): numeric questions are not
    // drafted yet; the notes name them.
    if p.measurement() {
        return Role::Measurement;
    }
    if p.too_many {
        // Many distinct values that are not numbers: text people typed.
        return Role::WriteIn;
    }
    if let Some(role) = (!screener).then(|| screener_role(p, text)).flatten() {
        return role;
    }
    if name_has(name, SEGMENT_WORDS) || name_has(text, SEGMENT_WORDS) {
        return Role::Segment;
    }
    Role::Single
}

/// A screener: a column with a "don't know" answer, or (numeric codes) a question worded
/// like one, whose last choice is taken for "don't know".
fn screener_role(p: &Profile, text: &str) -> Option<Role> {
    let dont_know: Vec<String> = p
        .values
        .iter()
        .filter(|(v, _)| is_dont_know(v))
        .map(|(v, _)| v.clone())
        .collect();
    if !dont_know.is_empty() {
        return Some(Role::Screener {
            exclude: dont_know,
            assumed: false,
        });
    }
    if p.codes && name_has(text, SCREENER_WORDS) {
        // Numeric codes: the "don't know" answer is, by convention, the last choice.
        let last = ordered(&p.values).pop().unwrap_or_default();
        return Some(Role::Screener {
            exclude: vec![last],
            assumed: true,
        });
    }
    None
}

/// A codebook with a title and a layout, and nothing else yet.
fn blank(title: &str, input: InputLayout) -> Codebook {
    Codebook {
        respondent_id: None,
        design: Default::default(),
        weight: None,
        input,
        survey: Survey {
            id: "survey".into(),
            title: en(title),
            source: Labels::new(),
            population: Labels::new(),
            synthetic_id_prefix: None,
        },
        exclude: Vec::new(),
        segments: Vec::new(),
        questions: Vec::new(),
        contrasts: Vec::new(),
        filters: Vec::new(),
    }
}

fn en(text: &str) -> Labels {
    Labels::from([("en".to_string(), text.to_string())])
}

/// Builds the draft of a CSV export.
fn csv_draft(src: &Source) -> Result<Draft> {
    let export = Export::read(src)?;
    let special = special::Special::of(&export);
    let roles = classify(&export, &special);
    let mut b = Builder::new(&export);
    for (i, role) in roles.iter().enumerate() {
        b.column(i, role);
    }
    let column = |i: Option<usize>| i.map(|i| export.columns[i].clone());
    b.codebook.design = crate::codebook::Design {
        strata: column(special.strata),
        psu: column(special.psu),
        fpc: column(special.fpc),
        ..Default::default()
    };
    b.notes.extend(special.notes);
    b.finish(src)
}

/// Builds the codebook column by column.
struct Builder<'a> {
    export: &'a Export,
    codebook: Codebook,
    notes: Vec<String>,
    question_ids: BTreeSet<String>,
    segment_ids: BTreeSet<String>,
    /// Multi-response questions (first in the codebook) and single-choice ones.
    multi: Vec<Question>,
    single: Vec<Question>,
    dichotomies: BTreeMap<String, Vec<usize>>,
    filled: Vec<(String, Vec<(usize, String)>)>,
    /// Columns holding numeric codes whose labels the file does not have.
    unlabelled: Vec<String>,
    write_ins: Vec<String>,
    measurements: Vec<String>,
}

impl<'a> Builder<'a> {
    fn new(export: &'a Export) -> Builder<'a> {
        Builder {
            export,
            codebook: blank("Survey results", export.layout.clone()),
            notes: Vec::new(),
            question_ids: BTreeSet::new(),
            segment_ids: BTreeSet::new(),
            multi: Vec::new(),
            single: Vec::new(),
            dichotomies: BTreeMap::new(),
            filled: Vec::new(),
            unlabelled: Vec::new(),
            write_ins: Vec::new(),
            measurements: Vec::new(),
        }
    }

    fn column(&mut self, i: usize, role: &Role) {
        let name = self.export.columns[i].clone();
        let p = &self.export.profiles[i];
        match role {
            Role::Id => self.codebook.respondent_id = Some(name.clone()),
            Role::Weight => self.codebook.weight = Some(name.clone()),
            Role::Metadata | Role::Design => {}
            Role::Measurement => self.measurements.push(name.clone()),
            Role::WriteIn => self.write_ins.push(name.clone()),
            Role::Screener { exclude, assumed } => self.screener(i, exclude, *assumed),
            Role::Segment => self.segment(i),
            Role::Single => {
                let q = self.single_choice(i);
                self.single.push(q);
            }
            Role::Dichotomy(key) => self.dichotomies.entry(key.clone()).or_default().push(i),
            Role::Filled { question, choice } => {
                match self.filled.iter_mut().find(|(q, _)| q == question) {
                    Some((_, cols)) => cols.push((i, choice.clone())),
                    None => self
                        .filled
                        .push((question.clone(), vec![(i, choice.clone())])),
                }
            }
            Role::Delimited => {
                let q = self.delimited(i, p);
                self.multi.push(q);
            }
        }
        let pieces_are_codes = !p.pieces.is_empty()
            && p.pieces
                .iter()
                .all(|(x, _)| x.len() <= 3 && x.bytes().all(|b| b.is_ascii_digit()));
        let codes = match role {
            Role::Delimited => pieces_are_codes,
            Role::Screener { .. } | Role::Segment | Role::Single => p.codes,
            _ => false,
        };
        if codes {
            self.unlabelled.push(name);
        }
    }

    fn screener(&mut self, i: usize, exclude: &[String], assumed: bool) {
        let p = &self.export.profiles[i];
        let codes = ordered(&p.values);
        let column = self.export.columns[i].clone();
        let note = if assumed {
            self.notes.push(format!(
                "screener: '{}' (\"{}\") holds numeric codes; code {} (its last choice) is assumed to be the \"don't know\" answer that excludes a respondent: check it against the questionnaire",
                column,
                self.export.text(i),
                exclude.join(", ")
            ));
            format!(
                "Respondents who answered code {} are excluded.",
                exclude.join(" or ")
            )
        } else {
            format!(
                "Respondents who answered \"{}\" are excluded.",
                exclude.join("\" or \"")
            )
        };
        self.codebook.exclude.push(Exclusion {
            column,
            codes,
            exclude: exclude.to_vec(),
            note: en(&note),
        });
    }

    fn segment(&mut self, i: usize) {
        let p = &self.export.profiles[i];
        let text = self.export.text(i).to_string();
        let fallback = format!("segment_{}", i + 1);
        let values = if p.too_many {
            Vec::new()
        } else {
            ordered(&p.values)
                .into_iter()
                .map(|v| Choice {
                    label: en(&v),
                    code: v,
                })
                .collect()
        };
        // "Which country do you live in?" is labelled "Country".
        let word = SEGMENT_WORDS.iter().find(|w| {
            text.to_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .any(|x| x == **w)
        });
        let label = match word {
            Some(w) => format!("{}{}", w[..1].to_uppercase(), &w[1..]),
            None => text.clone(),
        };
        self.codebook.segments.push(Segment {
            id: id_for(&label, &fallback, &mut self.segment_ids),
            column: self.export.columns[i].clone(),
            label: en(&label),
            lowercase: Vec::new(),
            values,
        });
    }

    fn question_id(&mut self, i: usize) -> String {
        let fallback = id_for(&self.export.columns[i], "q", &mut BTreeSet::new());
        let text = self.export.text(i).to_string();
        id_for(&text, &fallback, &mut self.question_ids)
    }

    fn single_choice(&mut self, i: usize) -> Question {
        let p = &self.export.profiles[i];
        let mut taken = BTreeSet::new();
        let values = ordered(&p.values);
        // A rating scale in its own order, its top two boxes leading its headline.
        let (values, scale) = match scales::order(&values) {
            Some((order, points)) => (order, Some(points)),
            None => (values, None),
        };
        let items: Vec<Item> = values
            .into_iter()
            .map(|v| Item {
                id: id_for(&v, &format!("code_{}", taken.len() + 1), &mut taken),
                column: None,
                label: en(&v),
                last: false,
                code: Some(v),
            })
            .collect();
        let id = self.question_id(i);
        let mut q = single_question(id, &self.export.columns[i], self.export.text(i), items);
        match scale {
            Some(points) => {
                q.order = Order::Codebook;
                if points >= 4 {
                    q.nets = scale_nets(&q.items[..points]);
                    self.notes.push(format!(
                        "'{}' is read as a rating scale: its answers in scale order, with its top two and bottom two as nets (the top two lead its headline)",
                        self.export.columns[i]
                    ));
                }
            }
            // Answers without an order of their own are ranked by share; yes / no stays.
            None if q.items.len() > 2 => q.order = Order::Ranked,
            None => {}
        }
        q
    }

    /// Answers joined by commas. A choice whose text holds a comma shows as two pieces
    /// that always come together, in order: joined again. Pieces chosen by fewer than 5%
    /// of those who answered are taken for write-ins (an "Other" answer in the
    /// respondent's words) and credited to an "Other" item.
    fn delimited(&mut self, i: usize, p: &Profile) -> Question {
        let column = self.export.columns[i].clone();
        let joiner = if p.spaced > p.unspaced { ", " } else { "," };
        let pieces = joined_choices(p, joiner);
        let threshold = (p.filled as f64 * 0.05).max(2.0);
        let (choices, typed): (Vec<_>, Vec<_>) = pieces
            .into_iter()
            .partition(|(_, n)| *n as f64 >= threshold);
        let mut taken = BTreeSet::new();
        let mut items: Vec<Item> = Vec::new();
        let mut choices = choices;
        // Most chosen first (the order of a ranked question); ties as first seen.
        choices.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        for (code, _) in &choices {
            let other = is_other(code);
            let id = if other && !taken.contains("other") {
                taken.insert("other".to_string());
                "other".to_string()
            } else {
                id_for(code, &format!("item_{}", items.len() + 1), &mut taken)
            };
            items.push(Item {
                id,
                column: None,
                code: Some(code.clone()),
                label: en(code),
                last: other,
            });
        }
        items.sort_by_key(|item| item.last);
        let unlisted = if typed.is_empty() {
            None
        } else {
            if !taken.contains("other") {
                items.push(Item {
                    id: "other".into(),
                    column: None,
                    code: Some("Other".into()),
                    label: en("Other"),
                    last: true,
                });
            }
            let shown: Vec<String> = typed
                .iter()
                .take(3)
                .map(|(t, _)| format!("\"{t}\""))
                .collect();
            self.notes.push(format!(
                "'{column}': {} answers chosen by fewer than 5% of respondents (such as {}) are taken for write-ins and counted as \"Other\" (unlisted = \"other\"); list any that is a choice of the questionnaire as an item",
                typed.len(),
                shown.join(", ")
            ));
            Some("other".to_string())
        };
        Question {
            id: self.question_id(i),
            kind: Kind::MultiResponseDelimited,
            column: Some(column),
            text: en(self.export.text(i)),
            title: Labels::new(),
            note: en("Multiple answers allowed; shares are % of respondents, so they sum to more than 100%."),
            order: Order::Ranked,
            coding: Coding::ZeroOne,
            base: ItemBase::AnyItem,
            delimiter: Some(",".into()),
            unlisted,
            items,
            nets: Vec::new(),
            headline: Labels::new(),
            lowercase: Vec::new(),
        }
    }

    /// 0/1 columns sharing a name stem (`concern_bias`, `concern_jobs`) form one question.
    fn dichotomy_questions(&mut self) {
        for (key, cols) in std::mem::take(&mut self.dichotomies) {
            let names: Vec<&str> = cols
                .iter()
                .map(|&c| self.export.columns[c].as_str())
                .collect();
            let stem = if names.len() > 1 {
                stem(&names)
            } else {
                key.clone()
            };
            let qid = id_for(stem.trim_end_matches('_'), "q", &mut self.question_ids);
            let mut taken = BTreeSet::new();
            let items = names
                .iter()
                .map(|c| {
                    let item = c
                        .strip_prefix(stem.as_str())
                        .filter(|s| !s.is_empty())
                        .unwrap_or(c);
                    Item {
                        id: id_for(item, "item", &mut taken),
                        column: Some(c.to_string()),
                        code: None,
                        label: en(item),
                        last: is_other(item),
                    }
                })
                .collect();
            self.multi
                .push(multi_question(qid, &stem, items, Coding::ZeroOne));
        }
    }

    /// SurveyMonkey's columns per choice, under one question text.
    fn filled_questions(&mut self) {
        for (question, cols) in std::mem::take(&mut self.filled) {
            if cols.len() < 2 {
                continue;
            }
            let qid = id_for(&question, "q", &mut self.question_ids);
            let mut taken = BTreeSet::new();
            let items = cols
                .iter()
                .map(|(c, choice)| {
                    let other = is_other(choice);
                    let label = if other { "Other" } else { choice.as_str() };
                    Item {
                        id: id_for(label, "item", &mut taken),
                        column: Some(self.export.columns[*c].clone()),
                        code: None,
                        label: en(label),
                        last: other,
                    }
                })
                .collect();
            self.multi
                .push(multi_question(qid, &question, items, Coding::Filled));
        }
    }

    /// What the draft leaves out or could not find, said in its notes.
    fn left_out_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let columns = self.export.columns.len();
        if columns > profile::MAX_PROFILED {
            notes.push(format!(
                "the file has {columns} columns; the draft reads the first {}: add the others by hand, or draft from a file of fewer columns",
                profile::MAX_PROFILED
            ));
        }
        if self.codebook.exclude.is_empty() {
            notes.push("no screener found: if some respondents must be left out, add an [[exclude]] (docs/codebook.md)".to_string());
        }
        if !self.unlabelled.is_empty() {
            notes.push(format!(
                "{} hold numeric codes and the file has no labels for them: every label below is its code; write the questionnaire's choice texts in label.en",
                self.unlabelled.iter().map(|c| format!("'{c}'")).collect::<Vec<_>>().join(", ")
            ));
        }
        if !self.measurements.is_empty() {
            notes.push(format!(
                "left out as numbers that measure (scores, counts, percentages; numeric questions are not drafted yet): {}",
                self.measurements
                    .iter()
                    .map(|c| format!("'{c}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !self.write_ins.is_empty() {
            notes.push(format!(
                "left out as text respondents typed: {}",
                self.write_ins
                    .iter()
                    .map(|c| format!("'{c}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if self.codebook.respondent_id.is_none() {
            notes.push(
                "no respondent ID column found: repeated respondents cannot be detected"
                    .to_string(),
            );
        }
        if self.codebook.weight.is_none() && !self.notes.iter().any(|n| n.starts_with("no weight"))
        {
            notes.push("no weight column found: shares will be unweighted".to_string());
        }
        if self.export.layout.column_names == ColumnNames::Joined {
            notes.push("SurveyMonkey layout: two header rows; column names join the question and the choice with \" / \"".to_string());
        } else if self.export.layout.header_rows == 3 {
            notes.push(
                "Qualtrics layout: three header rows (names, question text, ImportId)".to_string(),
            );
        }
        notes
    }

    fn finish(mut self, src: &Source) -> Result<Draft> {
        self.dichotomy_questions();
        self.filled_questions();
        let mut questions = std::mem::take(&mut self.multi);
        questions.append(&mut self.single);
        if questions.is_empty() {
            return Err(DataError::new(
                &src.name,
                "no column looks like a survey question (answers from a short list of codes, or the 0/1 columns of a \"check all\"): write the codebook by hand (docs/codebook.md)",
            )
            .into());
        }
        // A codebook holds at most MAX_QUESTIONS: the draft keeps the first and says which
        // it left out, so that it always loads.
        let most = crate::codebook::MAX_QUESTIONS;
        if questions.len() > most {
            let left: Vec<String> = questions[most..].iter().map(|q| q.id.clone()).collect();
            self.notes.push(format!(
                "the file has {} questions; a codebook holds at most {most}: left out {} ({}{}); split the survey into codebooks of {most} questions or fewer",
                questions.len(),
                left.len(),
                left.iter().take(10).map(|q| format!("'{q}'")).collect::<Vec<_>>().join(", "),
                if left.len() > 10 { ", …" } else { "" }
            ));
            questions.truncate(most);
        }
        self.codebook.questions = questions;
        self.codebook.survey.id = id_for(
            std::path::Path::new(&src.name)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
                .as_str(),
            "survey",
            &mut BTreeSet::new(),
        )
        .replace('_', "-");
        let mut notes = self.left_out_notes();
        notes.append(&mut self.notes);
        let draft = Draft {
            codebook: self.codebook,
            source: src.name.clone(),
            notes,
        };
        write::checked(&draft)?;
        Ok(draft)
    }
}

/// The top-two and bottom-two nets of a scale's points (low to high).
fn scale_nets(points: &[Item]) -> Vec<crate::codebook::Net> {
    let label = |a: &Item, b: &Item| {
        en(&format!(
            "{} or {}",
            a.label.get("en").map_or("", String::as_str),
            b.label.get("en").map_or("", String::as_str)
        ))
    };
    let n = points.len();
    vec![
        crate::codebook::Net {
            id: "top2".into(),
            label: label(&points[n - 1], &points[n - 2]),
            items: vec![points[n - 2].id.clone(), points[n - 1].id.clone()],
            headline: true,
        },
        crate::codebook::Net {
            id: "bottom2".into(),
            label: label(&points[0], &points[1]),
            items: vec![points[0].id.clone(), points[1].id.clone()],
            headline: false,
        },
    ]
}

/// A single-choice question in codebook order.
fn single_question(id: String, column: &str, text: &str, items: Vec<Item>) -> Question {
    Question {
        id,
        kind: Kind::SingleChoice,
        column: Some(column.to_string()),
        text: en(text),
        title: Labels::new(),
        note: Labels::new(),
        order: Order::Codebook,
        coding: Coding::ZeroOne,
        base: ItemBase::AnyItem,
        delimiter: None,
        unlisted: None,
        items,
        nets: Vec::new(),
        headline: Labels::new(),
        lowercase: Vec::new(),
    }
}

fn multi_question(id: String, text: &str, items: Vec<Item>, coding: Coding) -> Question {
    Question {
        id,
        kind: Kind::MultiResponse,
        column: None,
        text: en(text),
        title: Labels::new(),
        note: en(
            "Multiple answers allowed; shares are % of respondents, so they sum to more than 100%.",
        ),
        order: Order::Ranked,
        coding,
        base: ItemBase::AnyItem,
        delimiter: None,
        unlisted: None,
        items,
        nets: Vec::new(),
        headline: Labels::new(),
        lowercase: Vec::new(),
    }
}

/// The pieces of a comma-joined column with pieces that always come together joined
/// again ("…a human agent" + "not a bot" → "…a human agent, not a bot"), first seen first.
fn joined_choices(p: &Profile, joiner: &str) -> Vec<(String, u64)> {
    let mut pieces: Vec<(String, u64)> = p.pieces.clone();
    let mut next: Vec<Option<usize>> = vec![None; pieces.len()];
    let mut has_before = vec![false; pieces.len()];
    for (&(a, b), &n) in &p.follows {
        // `b` only ever after `a`, and `a` never without `b` after it.
        if n == pieces[a].1 && n == pieces[b].1 && a != b {
            next[a] = Some(b);
            has_before[b] = true;
        }
    }
    let mut out = Vec::new();
    let mut emitted = vec![false; pieces.len()];
    for start in 0..pieces.len() {
        if has_before[start] {
            continue;
        }
        let (mut text, count) = std::mem::take(&mut pieces[start]);
        emitted[start] = true;
        let mut at = start;
        while let Some(b) = next[at].filter(|&b| !emitted[b]) {
            text = format!("{text}{joiner}{}", p.pieces[b].0);
            emitted[b] = true;
            at = b;
        }
        out.push((text, count));
    }
    // Pieces only ever found inside a loop of such pairs stand alone.
    for (k, piece) in pieces.into_iter().enumerate() {
        if !emitted[k] {
            out.push(piece);
        }
    }
    out
}

/// The longest common prefix of names, cut after its last `_` (e.g. `concern_`).
fn stem(names: &[&str]) -> String {
    let first = names.first().copied().unwrap_or_default();
    let mut len = first.len();
    for n in names {
        len = len.min(
            first
                .bytes()
                .zip(n.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    while !first.is_char_boundary(len) {
        len -= 1;
    }
    let p = &first[..len];
    match p.rfind('_') {
        Some(i) => p[..=i].to_string(),
        None => p.to_string(),
    }
}
