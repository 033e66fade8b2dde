//! `concerns codebook init`: a starting codebook guessed from a file's columns and values.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use anyhow::Result;

use crate::load::{header_columns, Source};

/// Distinct values kept per column; more means free text or numbers.
const MAX_CODES: usize = 15;

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Column profile: distinct non-empty values (up to a limit) and whether all are numbers.
struct Profile {
    values: BTreeSet<String>,
    too_many: bool,
    numeric: bool,
    unique: bool,
    filled: u64,
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
    let p = &first[..len];
    match p.rfind('_') {
        Some(i) => p[..=i].to_string(),
        None => p.to_string(),
    }
}

fn is_dont_know(v: &str) -> bool {
    let v = v.to_lowercase();
    v.contains("dont_know")
        || v.contains("don't know")
        || v.contains("dont know")
        || v.contains("don_t_know")
}

/// Reads `src` once and writes a codebook in the format of `codebooks/canonical.toml`.
pub fn guess(src: &Source) -> Result<String> {
    let (columns, mut reader) = header_columns(src)?;
    let mut profiles: Vec<Profile> = columns
        .iter()
        .map(|_| Profile {
            values: BTreeSet::new(),
            too_many: false,
            numeric: true,
            unique: true,
            filled: 0,
        })
        .collect();
    let mut seen_ids: Vec<BTreeSet<String>> = columns.iter().map(|_| BTreeSet::new()).collect();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        for (i, field) in record.iter().enumerate().take(columns.len()) {
            if field.is_empty() {
                continue;
            }
            let p = &mut profiles[i];
            p.filled += 1;
            p.numeric &= field.parse::<f64>().is_ok();
            if p.unique && !seen_ids[i].insert(field.to_string()) {
                p.unique = false;
                seen_ids[i].clear();
            }
            if !p.too_many {
                p.values.insert(field.to_string());
                if p.values.len() > MAX_CODES {
                    p.too_many = true;
                    p.values.clear();
                }
            }
        }
    }

    let name_has = |c: &str, words: &[&str]| words.iter().any(|w| c.to_lowercase().contains(w));
    let mut out = String::new();
    let mut id = None;
    let mut weight = None;
    let mut dichotomies: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut singles = Vec::new();
    let mut segments = Vec::new();
    let mut screener = None;
    for (c, p) in columns.iter().zip(&profiles) {
        let binary =
            !p.too_many && !p.values.is_empty() && p.values.iter().all(|v| v == "0" || v == "1");
        if id.is_none() && p.unique && name_has(c, &["id"]) {
            id = Some(c.as_str());
        } else if weight.is_none() && p.numeric && name_has(c, &["weight", "wt"]) {
            weight = Some(c.as_str());
        } else if binary {
            // `concern_reach_person`, `concern_bias`… form one question `concern`.
            let key = match c.find('_') {
                Some(i) => c[..i].to_string(),
                None => c.clone(),
            };
            dichotomies.entry(key).or_default().push(c);
        } else if !p.too_many && !p.values.is_empty() {
            let free_text = p.values.len() > 5 && p.values.iter().any(|v| v.contains(' '));
            if free_text {
                continue;
            }
            if p.values.iter().any(|v| is_dont_know(v)) {
                screener = Some((c.as_str(), p));
            } else if name_has(
                c,
                &[
                    "country",
                    "region",
                    "gender",
                    "sex",
                    "age",
                    "generation",
                    "segment",
                    "state",
                ],
            ) {
                segments.push((c.as_str(), p));
            } else {
                singles.push((c.as_str(), p));
            }
        }
    }

    writeln!(
        out,
        "# Codebook guessed by `concerns codebook init` from {}.",
        src.name
    )?;
    writeln!(
        out,
        "# Check every entry: labels are the codes until you write better ones."
    )?;
    writeln!(out, "# The keys are documented in docs/codebook.md.\n")?;
    if let Some(id) = id {
        writeln!(out, "respondent_id = {}", quote(id))?;
    }
    if let Some(w) = weight {
        writeln!(out, "weight = {}", quote(w))?;
    }
    writeln!(
        out,
        "\n[survey]\nid = \"my-survey\"\ntitle.en = \"Survey results\"\n"
    )?;
    match screener {
        Some((c, p)) => {
            let codes: Vec<String> = p.values.iter().map(|v| quote(v)).collect();
            let excluded: Vec<String> = p
                .values
                .iter()
                .filter(|v| is_dont_know(v))
                .map(|v| quote(v))
                .collect();
            writeln!(
                out,
                "# Screener guessed from a \"don't know\" answer: check it."
            )?;
            writeln!(
                out,
                "[[exclude]]\ncolumn = {}\ncodes = [{}]\nexclude = [{}]",
                quote(c),
                codes.join(", "),
                excluded.join(", ")
            )?;
            writeln!(
                out,
                "note.en = \"Respondents who answered {} are excluded.\"\n",
                excluded.join(" or ").replace('"', "")
            )?;
        }
        None => {
            writeln!(
                out,
                "# Screener: uncomment and name the codes that exclude a respondent."
            )?;
            writeln!(out, "# [[exclude]]\n# column = \"...\"\n# codes = [\"...\"]\n# exclude = [\"...\"]\n# note.en = \"...\"\n")?;
        }
    }
    for (c, p) in &segments {
        writeln!(
            out,
            "[[segments]]\nid = {}\ncolumn = {}\nlabel.en = {}",
            quote(c),
            quote(c),
            quote(c)
        )?;
        let values: Vec<String> = p
            .values
            .iter()
            .map(|v| format!("{{ code = {}, label.en = {} }}", quote(v), quote(v)))
            .collect();
        writeln!(out, "values = [\n  {},\n]\n", values.join(",\n  "))?;
    }
    for (key, cols) in &dichotomies {
        let group = if cols.len() > 1 {
            stem(cols)
        } else {
            key.clone()
        };
        let qid = group.trim_end_matches('_');
        writeln!(
            out,
            "[[questions]]\nid = {}\nkind = \"multi_response\"\ntext.en = {}\n",
            quote(qid),
            quote(qid)
        )?;
        for c in cols {
            let item = c
                .strip_prefix(group.as_str())
                .filter(|s| !s.is_empty())
                .unwrap_or(c);
            let last = if item.contains("other") {
                "last = true\n"
            } else {
                ""
            };
            writeln!(
                out,
                "[[questions.items]]\nid = {}\ncolumn = {}\n{last}label.en = {}\n",
                quote(item),
                quote(c),
                quote(item)
            )?;
        }
    }
    for (c, p) in &singles {
        writeln!(out, "[[questions]]\nid = {}\nkind = \"single_choice\"\ncolumn = {}\norder = \"codebook\"\ntext.en = {}\n", quote(c), quote(c), quote(c))?;
        for v in &p.values {
            writeln!(
                out,
                "[[questions.items]]\nid = {}\ncode = {}\nlabel.en = {}\n",
                quote(v),
                quote(v),
                quote(v)
            )?;
        }
    }
    Ok(out)
}
