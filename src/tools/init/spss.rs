//! A draft from an SPSS file's own dictionary: multiple-response sets become multi-response
//! questions, labelled variables single-choice questions or segments, the file's weight
//! variable the weight, and a value labelled "don't know" a screener.

use std::collections::BTreeSet;

use super::names::{id_for, is_dont_know, is_other};
use super::{en, multi_question, name_has, single_question, Draft, SEGMENT_WORDS};
use crate::codebook::{Choice, Codebook, Coding, Exclusion, InputLayout, Item, Question, Segment};
use crate::error::{DataError, Result};
use crate::load::frame::number_text;
use crate::load::spss::{metadata, MissingSpec, MrType, SpssMetadata, Value};
use crate::load::Source;

/// The text of a value-label key as the pass sees the value (`1`, not `1.0`).
fn code(v: &Value) -> String {
    match v {
        Value::Numeric(x) => number_text(*x),
        Value::String(s) => s.trim_end().to_string(),
    }
}

/// A variable name as an id: itself when safe and free, else its words.
fn id_of(name: &str, taken: &mut BTreeSet<String>) -> String {
    if crate::text::is_safe_id(name) && taken.insert(name.to_string()) {
        name.to_string()
    } else {
        id_for(name, "q", taken)
    }
}

/// Whether `code` is one of the variable's user-missing values.
fn is_missing(meta: &SpssMetadata, var: &str, code: &str) -> bool {
    meta.variable_missing_values.get(var).is_some_and(|specs| {
        specs.iter().any(|s| match s {
            MissingSpec::Value(x) => number_text(*x) == code,
            MissingSpec::Range { lo, hi } => {
                code.parse::<f64>().is_ok_and(|x| *lo <= x && x <= *hi)
            }
            MissingSpec::StringValue(m) => m.trim_end() == code,
        })
    })
}

pub(super) fn draft(src: &Source) -> Result<Draft> {
    let meta = metadata(src)?;
    let label = |v: &str| {
        meta.label(v)
            .filter(|l| !l.is_empty())
            .unwrap_or(v)
            .to_string()
    };
    let id = meta
        .variable_names
        .iter()
        .find(|v| {
            let l = v.to_lowercase();
            l == "id" || l.ends_with("_id") || l.starts_with("id_") || l == "respid"
        })
        .cloned();
    let weight = meta.weight_variable.clone().or_else(|| {
        meta.variable_names
            .iter()
            .find(|v| name_has(v, &["weight", "wgt"]))
            .cloned()
    });
    let title = match meta.file_label.trim() {
        "" => "Survey results",
        t => t,
    };
    let mut codebook = super::blank(title, InputLayout::default());
    codebook.respondent_id = id.clone();
    codebook.weight = weight.clone();
    let mut notes = Vec::new();
    let mut question_ids = BTreeSet::new();
    codebook.questions = sets(&meta, &mut question_ids, &mut notes);
    let in_sets: BTreeSet<&str> = meta
        .mr_sets
        .values()
        .flat_map(|s| s.variables.iter().map(String::as_str))
        .collect();
    let mut segment_ids = BTreeSet::new();
    for v in &meta.variable_names {
        if in_sets.contains(v.as_str()) || Some(v) == weight.as_ref() || Some(v) == id.as_ref() {
            continue;
        }
        let labels = meta.value_labels(v).filter(|l| !l.is_empty());
        let Some(labels) = labels else {
            // Segments without value labels: variables named like one.
            if name_has(v, SEGMENT_WORDS) {
                codebook.segments.push(Segment {
                    id: id_of(v, &mut segment_ids),
                    column: v.clone(),
                    label: en(&label(v)),
                    lowercase: Vec::new(),
                    values: Vec::new(),
                });
            }
            continue;
        };
        let valid: Vec<(String, String)> = labels
            .iter()
            .map(|(k, l)| (code(k), l.clone()))
            .filter(|(c, _)| !is_missing(&meta, v, c))
            .collect();
        labelled(
            &mut codebook,
            (v, &label(v), valid),
            &mut segment_ids,
            &mut question_ids,
        );
    }
    if codebook.exclude.is_empty() {
        notes.push("no value is labelled \"don't know\": no screener; add an [[exclude]] if some respondents must be left out".into());
    }
    let draft = Draft {
        codebook,
        source: src.name.clone(),
        notes,
    };
    super::write::checked(&draft)?;
    Ok(draft)
}

/// A variable with value labels: the screener (the first with a "don't know"), a segment
/// (named like one) or a single-choice question.
fn labelled(
    codebook: &mut Codebook,
    (v, label, valid): (&String, &str, Vec<(String, String)>),
    segment_ids: &mut BTreeSet<String>,
    question_ids: &mut BTreeSet<String>,
) {
    if codebook.exclude.is_empty() && valid.iter().any(|(_, l)| is_dont_know(l)) {
        let excluded: Vec<&(String, String)> =
            valid.iter().filter(|(_, l)| is_dont_know(l)).collect();
        let words: Vec<&str> = excluded.iter().map(|(_, l)| l.as_str()).collect();
        codebook.exclude.push(Exclusion {
            column: v.clone(),
            codes: valid.iter().map(|(c, _)| c.clone()).collect(),
            exclude: excluded.iter().map(|(c, _)| c.clone()).collect(),
            note: en(&format!(
                "Respondents who answered \"{}\" are excluded.",
                words.join("\" or \"")
            )),
        });
    } else if name_has(v, SEGMENT_WORDS) {
        codebook.segments.push(Segment {
            id: id_of(v, segment_ids),
            column: v.clone(),
            label: en(label),
            lowercase: Vec::new(),
            values: valid
                .into_iter()
                .map(|(code, l)| Choice {
                    code,
                    label: en(&l),
                })
                .collect(),
        });
    } else {
        let mut taken = BTreeSet::new();
        let items = valid
            .into_iter()
            .map(|(code, l)| Item {
                id: id_of(&code, &mut taken),
                column: None,
                label: en(&l),
                last: false,
                code: Some(code),
            })
            .collect();
        let id = id_of(v, question_ids);
        codebook
            .questions
            .push(single_question(id, v, label, items));
    }
}

/// Multiple-dichotomy sets as multi-response questions; other sets are noted.
fn sets(meta: &SpssMetadata, ids: &mut BTreeSet<String>, notes: &mut Vec<String>) -> Vec<Question> {
    let label = |v: &str| {
        meta.label(v)
            .filter(|l| !l.is_empty())
            .unwrap_or(v)
            .to_string()
    };
    let mut questions = Vec::new();
    for set in meta.mr_sets.values() {
        let name = set.name.trim_start_matches('$');
        if set.mr_type != MrType::MultipleDichotomy {
            notes.push(format!(
                "{}: a multiple-category set; list its codes as a single_choice per variable or recode it to dichotomies",
                set.name
            ));
            continue;
        }
        let counted = set.counted_value.as_deref().map(str::trim).unwrap_or("1");
        if counted != "1" {
            notes.push(format!(
                "{}: the counted value is {counted}; recode it to 1 (selected) and 0 (not selected)",
                set.name
            ));
        }
        let text = if set.label.is_empty() {
            name.to_string()
        } else {
            set.label.clone()
        };
        let mut taken = BTreeSet::new();
        let items = set
            .variables
            .iter()
            .map(|v| Item {
                id: id_of(v, &mut taken),
                column: Some(v.clone()),
                code: None,
                label: en(&label(v)),
                last: is_other(&label(v)),
            })
            .collect();
        questions.push(multi_question(
            id_of(name, ids),
            &text,
            items,
            Coding::ZeroOne,
        ));
    }
    questions
}

/// For an SPSS file (not standard input), the codebook its own dictionary describes.
pub fn spss_codebook(data: &str) -> Result<Option<Codebook>> {
    let regular = data != "-" && std::fs::metadata(data).is_ok_and(|m| m.is_file());
    let mut head = [0u8; 4];
    let n = if regular {
        std::fs::File::open(data)
            .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
            .unwrap_or(0)
    } else {
        0
    };
    // A pipe can be read once only: it is left to the analysis, which needs --codebook.
    if !regular || !(head[..n].starts_with(b"$FL2") || head[..n].starts_with(b"$FL3")) {
        return Ok(None);
    }
    let src = Source::open(data, "utf-8", None)?;
    match draft(&src) {
        Ok(d) => Ok(Some(d.codebook)),
        Err(crate::Error::Codebook { message, .. }) => Err(DataError::new(
            data,
            format!(
                "its dictionary does not describe a survey concerns can tabulate ({message}); write a codebook with `concerns codebook init {data} -o survey.toml` and pass --codebook survey.toml"
            ),
        )
        .into()),
        Err(e) => Err(e),
    }
}
