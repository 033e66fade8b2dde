//! `concerns codebook init`: a starting codebook guessed from a file's columns and values.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::error::{IoContext, Result};

use std::io::Seek;

use crate::codebook::InputLayout;
use crate::load::{header_columns, Source};

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
];

/// Distinct values kept per column; more means free text or numbers.
const MAX_CODES: usize = 15;

use crate::text::visible;

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
    /// Comma-separated pieces and how often each appears (up to a limit), and how many
    /// cells held more than one: the mark of "check all" answers joined in one cell.
    pieces: BTreeMap<String, u64>,
    joined: u64,
}

/// Distinct pieces of a joined "check all" column; more means free text.
const MAX_PIECES: usize = 60;

/// The export layout, from the first rows: Qualtrics' third row of ImportId JSON, or
/// SurveyMonkey's second row of choice texts ("Response" over single-choice columns).
/// Also returns Qualtrics' question texts by column.
fn detect_layout(src: &Source) -> (InputLayout, Vec<String>) {
    let mut reader = match csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(src.delimiter)
        .from_path(&src.path)
    {
        Ok(r) => r,
        Err(_) => return (InputLayout::default(), Vec::new()),
    };
    let rows: Vec<csv::StringRecord> = reader.records().take(3).flatten().collect();
    let filled = |r: &csv::StringRecord| r.iter().filter(|f| !f.is_empty()).count();
    if let Some(third) = rows.get(2) {
        let imports = third.iter().filter(|f| f.contains("\"ImportId\"")).count();
        if imports > 0 && imports * 2 >= filled(third) {
            let texts = rows[1]
                .iter()
                .map(|t| t.trim_end_matches(" - Selected Choice").to_string())
                .collect();
            return (
                InputLayout {
                    header_rows: 3,
                    ..InputLayout::default()
                },
                texts,
            );
        }
    }
    if let (Some(first), Some(second)) = (rows.first(), rows.get(1)) {
        let spans = first.iter().any(|f| f.is_empty());
        if spans && second.iter().any(|f| f == "Response") {
            return (
                InputLayout {
                    header_rows: 2,
                    column_names: crate::codebook::ColumnNames::Joined,
                    ..InputLayout::default()
                },
                Vec::new(),
            );
        }
    }
    (InputLayout::default(), Vec::new())
}

/// A name as an id: itself when it is a safe id, else its slug.
fn id_of(name: &str) -> String {
    id_in(name, &mut BTreeSet::new())
}

/// A name as an id not yet in `taken`: itself when safe and free, else a slug.
fn id_in(name: &str, taken: &mut BTreeSet<String>) -> String {
    if crate::text::is_safe_id(name) && taken.insert(name.to_string()) {
        name.to_string()
    } else {
        slug(name, taken)
    }
}

/// A question id from a column name: lowercase ASCII letters, digits and underscores
/// (the safe id pattern of codebooks).
fn slug(name: &str, taken: &mut BTreeSet<String>) -> String {
    let mut s: String = name
        .split(crate::codebook::JOINED_SEPARATOR)
        .next()
        .unwrap_or(name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    s = s
        .split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    s.truncate(40);
    let s = s.trim_end_matches('_').to_string();
    let base = if s.is_empty() { "q".to_string() } else { s };
    let mut id = base.clone();
    let mut n = 2;
    while !taken.insert(id.clone()) {
        id = format!("{base}_{n}");
        n += 1;
    }
    id
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
    let (layout, texts) = detect_layout(src);
    let (columns, start) = header_columns(src, &layout)?;
    // The question as asked: Qualtrics' second header row, SurveyMonkey's first, else the name.
    let text_of = |c: &str| -> String {
        columns
            .iter()
            .position(|x| x == c)
            .and_then(|i| texts.get(i))
            .filter(|t| !t.is_empty())
            .cloned()
            .unwrap_or_else(|| {
                c.split(crate::codebook::JOINED_SEPARATOR)
                    .next()
                    .unwrap_or(c)
                    .to_string()
            })
    };
    let mut file = std::fs::File::open(&src.path).io(|| format!("cannot read {}", src.name))?;
    file.seek(std::io::SeekFrom::Start(start))
        .io(|| format!("cannot read {}", src.name))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(src.delimiter)
        .from_reader(file);
    let mut profiles: Vec<Profile> = columns
        .iter()
        .map(|_| Profile {
            values: BTreeSet::new(),
            too_many: false,
            numeric: true,
            unique: true,
            filled: 0,
            pieces: BTreeMap::new(),
            joined: 0,
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
            if p.pieces.len() <= MAX_PIECES {
                let pieces: Vec<&str> = field
                    .split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .collect();
                p.joined += (pieces.len() > 1) as u64;
                for x in pieces {
                    *p.pieces.entry(x.to_string()).or_default() += 1;
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
    let mut delimited = Vec::new();
    // SurveyMonkey: "question / choice" columns holding the choice text when chosen.
    let mut filled: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for (c, p) in columns.iter().zip(&profiles) {
        if let Some((question, choice)) = c.split_once(crate::codebook::JOINED_SEPARATOR) {
            let one_text = !p.too_many && p.values.len() <= 1;
            let other = choice.to_lowercase().starts_with("other");
            if choice != "Response" && (one_text || other) && p.filled > 0 {
                filled
                    .entry(question)
                    .or_default()
                    .push((c.as_str(), choice));
                continue;
            }
        }
        let repeated = p.pieces.values().filter(|&&n| n > 1).count();
        // Qualtrics' "_TEXT" columns hold what people typed, not choices.
        let typed = c.to_uppercase().ends_with("_TEXT");
        if !typed
            && p.joined * 20 >= p.filled.max(1)
            && p.joined > 0
            && p.pieces.len() <= MAX_PIECES
            && repeated >= 2
        {
            delimited.push((c.as_str(), p));
            continue;
        }
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
        } else if !p.too_many && p.values.len() > 1 {
            let free_text = p.values.len() > 5 && p.values.iter().any(|v| v.contains(' '));
            if free_text {
                continue;
            }
            if p.values.iter().any(|v| is_dont_know(v)) {
                screener = Some((c.as_str(), p));
            } else if name_has(c, SEGMENT_WORDS) || name_has(&text_of(c), SEGMENT_WORDS) {
                segments.push((c.as_str(), p));
            } else {
                singles.push((c.as_str(), p));
            }
        }
    }

    writeln!(
        out,
        "# Codebook guessed by `concerns codebook init` from {}.",
        visible(&src.name)
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
    if layout.header_rows > 1 {
        let what = if layout.column_names == crate::codebook::ColumnNames::Joined {
            "# SurveyMonkey layout: question text, then choice text; names join the two.\n[input]\nheader_rows = 2\ncolumn_names = \"joined\""
        } else {
            "# Qualtrics layout: names, question text, ImportId JSON.\n[input]\nheader_rows = 3"
        };
        writeln!(out, "\n{what}")?;
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
    let mut segment_ids = BTreeSet::new();
    for (c, p) in &segments {
        writeln!(
            out,
            "[[segments]]\nid = {}\ncolumn = {}\nlabel.en = {}",
            quote(&slug(&text_of(c), &mut segment_ids)),
            quote(c),
            quote(&text_of(c))
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
            quote(&id_of(qid)),
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
                quote(&id_of(item)),
                quote(c),
                quote(item)
            )?;
        }
    }
    let mut taken = BTreeSet::new();
    for (question, cols) in &filled {
        if cols.len() < 2 {
            continue;
        }
        writeln!(
            out,
            "[[questions]]\nid = {}\nkind = \"multi_response\"\ncoding = \"filled\"\ntext.en = {}\n",
            quote(&slug(question, &mut taken)),
            quote(question)
        )?;
        let mut items = BTreeSet::new();
        for (c, choice) in cols {
            let last = if choice.to_lowercase().starts_with("other") {
                "last = true\n"
            } else {
                ""
            };
            writeln!(
                out,
                "[[questions.items]]\nid = {}\ncolumn = {}\n{last}label.en = {}\n",
                quote(&slug(choice, &mut items)),
                quote(c),
                quote(choice)
            )?;
        }
    }
    for (c, p) in &delimited {
        // Pieces seen once are taken for write-ins ("Other:" answers in one's own words).
        let codes: Vec<&String> = p
            .pieces
            .iter()
            .filter(|(_, &n)| n > 1)
            .map(|(x, _)| x)
            .collect();
        let write_ins = p.pieces.values().any(|&n| n == 1);
        writeln!(
            out,
            "# Choices joined by commas in one cell; a choice whose text holds a comma shows here as two codes: join them.\n[[questions]]\nid = {}\nkind = \"multi_response_delimited\"\ncolumn = {}\ndelimiter = \",\"{}\ntext.en = {}\n",
            quote(&slug(c, &mut taken)),
            quote(c),
            if write_ins { "\nunlisted = \"other\"" } else { "" },
            quote(&text_of(c))
        )?;
        let mut items = BTreeSet::new();
        for code in &codes {
            let is_other = code.to_lowercase() == "other";
            let id = if is_other && write_ins {
                items.insert("other".to_string());
                "other".to_string()
            } else {
                slug(code, &mut items)
            };
            let last = if is_other { "last = true\n" } else { "" };
            writeln!(
                out,
                "[[questions.items]]\nid = {}\ncode = {}\n{last}label.en = {}\n",
                quote(&id),
                quote(code),
                quote(code)
            )?;
        }
        if write_ins && !items.contains("other") {
            writeln!(
                out,
                "[[questions.items]]\nid = \"other\"\ncode = \"Other\"\nlast = true\nlabel.en = \"Other\"\n"
            )?;
        }
    }
    for (c, p) in &singles {
        writeln!(out, "[[questions]]\nid = {}\nkind = \"single_choice\"\ncolumn = {}\norder = \"codebook\"\ntext.en = {}\n", quote(&slug(c, &mut taken)), quote(c), quote(&text_of(c)))?;
        let mut items = BTreeSet::new();
        for v in &p.values {
            writeln!(
                out,
                "[[questions.items]]\nid = {}\ncode = {}\nlabel.en = {}\n",
                quote(&id_in(v, &mut items)),
                quote(v),
                quote(v)
            )?;
        }
    }
    Ok(out)
}

/// The text of an SPSS value-label key as the pass sees the value (`1`, not `1.0`).
fn spss_code(v: &crate::load::spss::Value) -> String {
    match v {
        crate::load::spss::Value::Numeric(x) => crate::load::frame::number_text(*x),
        crate::load::spss::Value::String(s) => s.trim_end().to_string(),
    }
}

/// A starting codebook from an SPSS file's own dictionary: multiple-response sets become
/// multi-response questions, labelled variables single-choice questions or segments, the
/// file's weight variable the weight, and a value labelled "don't know" a screener.
pub fn guess_spss(src: &Source) -> Result<String> {
    use crate::load::spss::{metadata, MrType};
    let meta = metadata(src)?;
    let var_label = |v: &str| {
        meta.label(v)
            .filter(|l| !l.is_empty())
            .unwrap_or(v)
            .to_string()
    };
    let in_sets: BTreeSet<&str> = meta
        .mr_sets
        .values()
        .flat_map(|s| s.variables.iter().map(String::as_str))
        .collect();
    let name_has = |c: &str, words: &[&str]| words.iter().any(|w| c.to_lowercase().contains(w));
    let mut out = String::new();
    writeln!(
        out,
        "# Codebook written by `concerns codebook init` from the dictionary of {}.",
        visible(&src.name)
    )?;
    writeln!(
        out,
        "# Labels come from the file's variable and value labels; check the screener and segments."
    )?;
    writeln!(out, "# The keys are documented in docs/codebook.md.\n")?;
    let id = meta.variable_names.iter().find(|v| {
        let l = v.to_lowercase();
        l == "id" || l.ends_with("_id") || l.starts_with("id_") || l == "respid"
    });
    if let Some(id) = id {
        writeln!(out, "respondent_id = {}", quote(id))?;
    }
    let weight = meta.weight_variable.clone().or_else(|| {
        meta.variable_names
            .iter()
            .find(|v| name_has(v, &["weight", "wgt"]))
            .cloned()
    });
    if let Some(w) = &weight {
        writeln!(out, "weight = {}", quote(w))?;
    }
    let title = if meta.file_label.trim().is_empty() {
        "Survey results".to_string()
    } else {
        meta.file_label.trim().to_string()
    };
    writeln!(
        out,
        "\n[survey]\nid = \"my-survey\"\ntitle.en = {}\n",
        quote(&title)
    )?;

    let labelled: Vec<_> = meta
        .variable_names
        .iter()
        .filter(|v| !in_sets.contains(v.as_str()) && Some(*v) != weight.as_ref() && Some(*v) != id)
        .filter_map(|v| {
            meta.value_labels(v)
                .filter(|l| !l.is_empty())
                .map(|l| (v, l))
        })
        .collect();
    let mut questions = String::new();
    for (v, labels) in &labelled {
        let codes: Vec<(String, &String)> = labels.iter().map(|(k, l)| (spss_code(k), l)).collect();
        let missing = meta.variable_missing_values.get(v.as_str());
        let is_missing = |code: &str| {
            missing.is_some_and(|specs| {
                specs.iter().any(|s| match s {
                    crate::load::spss::MissingSpec::Value(x) => {
                        crate::load::frame::number_text(*x) == code
                    }
                    crate::load::spss::MissingSpec::Range { lo, hi } => {
                        code.parse::<f64>().is_ok_and(|x| *lo <= x && x <= *hi)
                    }
                    crate::load::spss::MissingSpec::StringValue(m) => m.trim_end() == code,
                })
            })
        };
        let valid: Vec<&(String, &String)> = codes.iter().filter(|(c, _)| !is_missing(c)).collect();
        if valid.iter().any(|(_, l)| is_dont_know(l)) {
            let all: Vec<String> = valid.iter().map(|(c, _)| quote(c)).collect();
            let excluded: Vec<&(String, &String)> = valid
                .iter()
                .copied()
                .filter(|(_, l)| is_dont_know(l))
                .collect();
            writeln!(
                out,
                "# Screener: {} (\"{}\"); check it.",
                visible(v),
                visible(&var_label(v))
            )?;
            writeln!(
                out,
                "[[exclude]]\ncolumn = {}\ncodes = [{}]\nexclude = [{}]\nnote.en = {}\n",
                quote(v),
                all.join(", "),
                excluded
                    .iter()
                    .map(|(c, _)| quote(c))
                    .collect::<Vec<_>>()
                    .join(", "),
                quote(&format!(
                    "Respondents who answered \"{}\" are excluded.",
                    excluded
                        .iter()
                        .map(|(_, l)| l.as_str())
                        .collect::<Vec<_>>()
                        .join("\" or \"")
                ))
            )?;
        } else if name_has(v, SEGMENT_WORDS) {
            let values: Vec<String> = valid
                .iter()
                .map(|(c, l)| format!("{{ code = {}, label.en = {} }}", quote(c), quote(l)))
                .collect();
            writeln!(
                out,
                "[[segments]]\nid = {}\ncolumn = {}\nlabel.en = {}\nvalues = [\n  {},\n]\n",
                quote(&id_of(v)),
                quote(v),
                quote(&var_label(v)),
                values.join(",\n  ")
            )?;
        } else {
            writeln!(
                questions,
                "[[questions]]\nid = {}\nkind = \"single_choice\"\ncolumn = {}\norder = \"codebook\"\ntext.en = {}",
                quote(&id_of(v)),
                quote(v),
                quote(&var_label(v))
            )?;
            let mut taken = BTreeSet::new();
            let items: Vec<String> = valid
                .iter()
                .map(|(c, l)| {
                    format!(
                        "{{ id = {}, code = {}, label.en = {} }}",
                        quote(&id_in(c, &mut taken)),
                        quote(c),
                        quote(l)
                    )
                })
                .collect();
            writeln!(questions, "items = [\n  {},\n]\n", items.join(",\n  "))?;
        }
    }
    // Segments without value labels: string variables named like one.
    for v in &meta.variable_names {
        if meta.value_labels(v).is_none_or(|l| l.is_empty())
            && Some(v) != id
            && Some(v) != weight.as_ref()
            && name_has(v, SEGMENT_WORDS)
        {
            writeln!(
                out,
                "[[segments]]\nid = {}\ncolumn = {}\nlabel.en = {}\n",
                quote(&id_of(v)),
                quote(v),
                quote(&var_label(v))
            )?;
        }
    }
    let mut sets = String::new();
    for set in meta.mr_sets.values() {
        let qid = set.name.trim_start_matches('$');
        if set.mr_type != MrType::MultipleDichotomy {
            writeln!(
                sets,
                "# {}: a multiple-category set; list its codes as a single_choice per variable or recode it to dichotomies.\n",
                visible(&set.name)
            )?;
            continue;
        }
        let counted = set.counted_value.as_deref().map(str::trim).unwrap_or("1");
        if counted != "1" {
            writeln!(
                sets,
                "# {}: the counted value is {}; recode it to 1 (selected) and 0 (not selected).",
                visible(&set.name),
                visible(counted)
            )?;
        }
        let text = if set.label.is_empty() {
            qid.to_string()
        } else {
            set.label.clone()
        };
        writeln!(
            sets,
            "[[questions]]\nid = {}\nkind = \"multi_response\"\ntext.en = {}",
            quote(&id_of(qid)),
            quote(&text)
        )?;
        let items: Vec<String> = set
            .variables
            .iter()
            .map(|v| {
                let label = var_label(v);
                let last = if is_other(&label) {
                    ", last = true"
                } else {
                    ""
                };
                format!(
                    "{{ id = {}, column = {}, label.en = {}{last} }}",
                    quote(&id_of(v)),
                    quote(v),
                    quote(&label)
                )
            })
            .collect();
        writeln!(sets, "items = [\n  {},\n]\n", items.join(",\n  "))?;
    }
    out.push_str(&sets);
    out.push_str(&questions);
    Ok(out)
}

/// For an SPSS file (not standard input), the codebook its own dictionary describes.
pub fn spss_codebook(data: &str) -> Result<Option<crate::Codebook>> {
    let mut head = [0u8; 4];
    let n = if std::fs::metadata(data).is_ok_and(|m| m.is_file()) {
        std::fs::File::open(data)
            .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
            .unwrap_or(0)
    } else {
        0
    };
    // A pipe can be read once only: it is left to the analysis, which needs --codebook.
    let regular = std::fs::metadata(data).is_ok_and(|m| m.is_file());
    if data == "-"
        || !regular
        || !(head[..n].starts_with(b"$FL2") || head[..n].starts_with(b"$FL3"))
    {
        return Ok(None);
    }
    let src = Source::open(data, "utf-8", None)?;
    let text = guess_spss(&src)?;
    crate::Codebook::parse(&text, &format!("the dictionary of {data}"))
        .map(Some)
        .map_err(|e| {
            crate::error::DataError::new(
                data,
                format!(
                    "its dictionary does not describe a survey concerns can tabulate ({e:#}); write a codebook with `concerns codebook init {data} -o survey.toml` and pass --codebook survey.toml"
                ),
            )
            .into()
        })
}

fn is_other(label: &str) -> bool {
    let l = label.to_lowercase();
    l == "other" || l.starts_with("other ") || l.starts_with("other (") || l.starts_with("other:")
}
