//! Finishing from sums: the result of `concerns sql`'s query (saved as CSV by the engine),
//! one file or several (partitions, days of a continuous survey) added together, turned
//! into the same [`Tabulation`] the file reader makes, so that every statistic, test,
//! letter, warning and error follows unchanged.
//!
//! Decimal sums are read exactly (Σw in billionths, Σw² in their squares) and converted as
//! the tally converts its own, so the numbers equal those of reading the rows to the last
//! digit when the weights are decimals of up to 9 places, as survey weights are.

use std::collections::HashMap;
use std::path::Path;

mod read;

use crate::codebook::Codebook;
use crate::error::{DataError, Result};
use crate::plan::Plan;
use crate::tally::design::DesignAcc;
use crate::tally::pass::{question_sums, weight_max_median, Tabulation};
use crate::tally::Tally;

/// Largest sums file read: sums do not grow with respondents, so a file past this is not a
/// result of the query.
const MAX_BYTES: u64 = 1 << 30;

/// What the sums say beside the cells.
#[derive(Default)]
struct Checks {
    rows: u64,
    excluded_by: Vec<u64>,
    /// Per rule: rows breaking it, and an example value.
    invalid: Vec<(u64, Option<String>)>,
    duplicate_ids: u64,
    unmarked_ids: u64,
    /// Rows breaking any rule, each once.
    invalid_rows: u64,
    /// The query keys of the rows rows: a digest, then the options it was made with.
    keys: Vec<String>,
    /// A file's grouping columns were not those of these options.
    other_groups: bool,
    /// Per question: the respondents of its cells, and of its cells outside --where; and
    /// the valid rows of the units. Each must add up to what the rows row says.
    in_cells: Vec<u64>,
    in_outside: Vec<u64>,
    in_units: u64,
    /// Per question summed per item: respondents who answered it (its base), and per row
    /// those its item rows hold; each row holds them all (or fewer, with a base per item).
    answered: Vec<u64>,
    in_items: Vec<Vec<u64>>,
    weights: HashMap<u64, u64>,
    /// The largest weight of kept respondents (the weights may be rounded).
    weight_max: Option<f64>,
    partial: Vec<u64>,
    blank_groups: Vec<u64>,
    /// Kept respondents outside the --where filter.
    filtered: u64,
    /// Σw and Σw² of every cell, exact: past u128 no bucket could hold its part.
    total: (u128, u128),
    /// The first grouping value the query cannot have written (unlisted, or one too many).
    foreign: Option<DataError>,
}

impl Checks {
    /// Empty checks for the rules, screeners, questions and groupings of `plan`.
    fn for_plan(plan: &Plan) -> Checks {
        Checks {
            excluded_by: vec![0; plan.exclusions.len()],
            invalid: vec![(0, None); plan.rules.len()],
            partial: vec![0; plan.questions.len()],
            blank_groups: vec![0; plan.groupings.len()],
            in_cells: vec![0; plan.questions.len()],
            in_outside: vec![0; plan.questions.len()],
            answered: vec![0; plan.questions.len()],
            in_items: plan.questions.iter().map(|q| vec![0; q.rows()]).collect(),
            ..Default::default()
        }
    }
}

/// Reads every sums file into the tallies and checks, hashing its bytes on the way.
fn read_files(
    files: &[String],
    (plan, ids): (&Plan, &[String]),
    (tally, outside, mut design): (&mut Tally, &mut Tally, Option<&mut DesignAcc>),
    checks: &mut Checks,
    digest: &mut blake3::Hasher,
) -> Result<()> {
    // The same file given twice would count its respondents twice. (Two files with the same
    // content may be two small partitions that happen to sum alike: allowed.)
    // By device and inode: a hard link or a symbolic link to a file given is the same file.
    let mut seen: Vec<((u64, u64), &String)> = Vec::new();
    for file in files {
        use std::io::BufRead;
        if let Some(id) = crate::render::output::identity(Path::new(file)) {
            if let Some((_, first)) = seen.iter().find(|(p, _)| *p == id) {
                return Err(DataError::new(
                    file,
                    format!("given twice (as {first} too): its respondents would count twice"),
                )
                .into());
            }
            seen.push((id, file));
        }
        let f = std::fs::File::open(Path::new(file))
            .map_err(|e| DataError::new(file, format!("cannot open the sums: {e}")))?;
        // Read as it is parsed, hashed on the way: the file is never held whole.
        let mut reader = std::io::BufReader::with_capacity(
            1 << 16,
            Hashed {
                file: f,
                digest: &mut *digest,
                read: 0,
            },
        );
        let cannot = |e: std::io::Error| DataError::new(file, format!("cannot read the sums: {e}"));
        let parquet = reader.fill_buf().map_err(cannot)?.starts_with(b"PAR1");
        let mut sink = read::Sink::new(
            file,
            (plan, ids),
            (&mut *tally, &mut *outside, design.as_deref_mut()),
            &mut *checks,
        );
        if parquet {
            // Hashed whole first; then decoded a row group at a time.
            std::io::copy(&mut reader, &mut std::io::sink()).map_err(cannot)?;
            read::parquet(file, &mut sink)?;
        } else {
            read::csv(file, reader, &mut sink)?;
        }
    }
    Ok(())
}

/// Reads the sums files into the tabulation reading the rows would give.
pub(crate) fn tabulation(
    files: &[String],
    plan: &Plan,
    codebook: &Codebook,
    (lenient, key): (bool, &str),
) -> Result<(Tabulation, blake3::Hash)> {
    let ids = codebook.question_ids();
    let mut tally = Tally::for_sums(plan);
    // Kept respondents outside the filter, per question and state: the design's n.
    let mut outside = Tally::for_sums(plan);
    let mut design = DesignAcc::new(plan);
    let mut checks = Checks::for_plan(plan);
    let mut digest = blake3::Hasher::new();
    read_files(
        files,
        (plan, &ids),
        (&mut tally, &mut outside, design.as_mut()),
        &mut checks,
        &mut digest,
    )?;
    let (mut questions, groupings) = question_sums(plan, &tally, &ids);
    if plan.filter.is_some() {
        let (out, _) = question_sums(plan, &outside, &ids);
        for (q, o) in questions.iter_mut().zip(&out) {
            q.design_n = (0..q.items.len())
                .map(|i| q.item_base(i).n + o.item_base(i).n)
                .collect();
        }
    }
    let weight = plan
        .weight
        .and(weight_max_median(
            checks.weights.iter().map(|(&w, &n)| (f64::from_bits(w), n)),
        ))
        .map(|(max, median)| (checks.weight_max.unwrap_or(max), median));
    let name = files.join(" + ");
    refusals(&name, (plan, codebook, &ids), &checks, (lenient, key))?;
    let counts = crate::tally::problems::ProblemCounts::of_rules(
        checks.invalid.iter().map(|(rows, _)| *rows).collect(),
        checks.invalid_rows,
    );
    let tab = Tabulation {
        rows: checks.rows,
        excluded: checks.excluded_by.iter().sum(),
        excluded_by: checks.excluded_by,
        dropped: if lenient {
            counts.dropped(plan)
        } else {
            Vec::new()
        },
        dropped_total: if lenient { counts.dropped_rows() } else { 0 },
        synthetic: plan.synthetic_prefix.is_some() && plan.id.is_some() && checks.unmarked_ids == 0,
        weight_max: weight.map(|w| w.0),
        weight_median: weight.map(|w| w.1),
        questions,
        groupings,
        blank_groups: checks.blank_groups,
        partial: checks.partial,
        design: design.map(|mut d| d.finish(|g, v| tally.value(g, v).to_vec())),
        filtered: checks.filtered,
    };
    Ok((tab, digest.finalize()))
}

/// What the file reader would refuse, refused from the counts, as it words it but without
/// the row (a table has no row order); and sums that are not those of these options, or that
/// do not add up.
fn refusals(
    name: &str,
    (plan, codebook, ids): (&Plan, &Codebook, &[String]),
    checks: &Checks,
    (lenient, key): (bool, &str),
) -> Result<()> {
    use crate::warehouse::wire::{key_digest, key_options};
    if let Some(other) = checks
        .keys
        .iter()
        .find(|k| key_digest(k) != key_digest(key))
    {
        let options = |k: &str| match key_options(k) {
            Some(o) => crate::text::visible(&o.chars().take(300).collect::<String>()).into_owned(),
            None => "options this version cannot name".to_string(),
        };
        return Err(DataError::new(
            name,
            format!(
                "these sums were made by a query for other options ({}; here: {}): finish them with the options they were made with, or run `concerns sql` again with these",
                options(other),
                options(key)
            ),
        )
        .into());
    }
    if checks.other_groups {
        return Err(DataError::new(
            name,
            "the sums' grouping columns (g0, g1, …) are not those of these options (--by and the codebook's contrasts)",
        )
        .row(1)
        .into());
    }
    if let Some(e) = &checks.foreign {
        return Err(e.clone().into());
    }
    check_totals(name, plan, ids, checks)?;
    if let Some(e) = (!lenient)
        .then(|| invalid_values(name, plan, checks))
        .flatten()
    {
        return Err(e.into());
    }
    // With --lenient the rows with problems are left out as the reader leaves them out (the
    // query's cells hold valid rows only), but not repeated IDs: the reader keeps the first
    // row of each, and the sums do not know which came first.
    if checks.duplicate_ids > 0 {
        let why = if lenient {
            "; --lenient keeps the first row of each, which sums cannot tell: remove the repeats in the table"
        } else {
            " (counted by the query)"
        };
        return Err(DataError::new(
            name,
            format!(
                "{} respondent IDs are duplicates{why}; `concerns validate` on the rows lists them",
                checks.duplicate_ids
            ),
        )
        .column(codebook.respondent_id.clone().unwrap_or_default())
        .into());
    }
    Ok(())
}

/// The first rule rows broke, worded as the file reader words it (without the row).
fn invalid_values(name: &str, plan: &Plan, checks: &Checks) -> Option<DataError> {
    use crate::error::Arg;
    let (r, (n, example)) = (checks.invalid.iter().enumerate()).find(|(_, (n, _))| *n > 0)?;
    let rule = &plan.rules[r];
    // The reader's hint too (a typed answer where codes are joined), or what to do when the
    // engine typed the column and lost its text.
    let hint = match (&rule.hint, example.as_deref()) {
        (Some(hint), Some(_)) => Some(Arg::Text(hint.clone())),
        (None, Some("true" | "false")) => Some(Arg::Said(crate::tally::problems::said(
            "err_boolean_hint",
            vec![],
        ))),
        _ => None,
    };
    let e = crate::tally::problems::value_error(name, rule, example.as_deref(), *n, hint);
    Some(e)
}

/// Every part of the sums must count the same respondents: a file cut at a row boundary, or
/// sums of different queries mixed, would otherwise give other numbers without a word.
fn check_totals(name: &str, plan: &Plan, ids: &[String], c: &Checks) -> Result<()> {
    let outside_rows = c
        .excluded_by
        .iter()
        .try_fold(c.invalid_rows, |a, &b| a.checked_add(b));
    let valid = c.rows.checked_sub(c.invalid_rows);
    let kept = outside_rows
        .and_then(|o| o.checked_add(c.filtered))
        .and_then(|o| c.rows.checked_sub(o));
    let differ = |what: String, found: u64, expected: Option<u64>| -> Result<()> {
        match expected {
            Some(e) if e == found => Ok(()),
            _ => Err(DataError::new(
                name,
                format!(
                    "the sums do not add up: {what} hold {found} rows where the rows row implies {}; the file is cut short, or mixes the results of different queries (codebook, --by, --where, design)",
                    expected.map_or("fewer".to_string(), |e| format!("{e}"))
                ),
            )
            .into()),
        }
    };
    for (q, id) in ids.iter().enumerate().take(plan.questions.len()) {
        differ(format!("the cells of question '{id}'"), c.in_cells[q], kept)?;
        if plan.filter.is_some() {
            differ(
                format!("the cells of question '{id}' outside --where"),
                c.in_outside[q],
                Some(c.filtered),
            )?;
        }
    }
    if plan.design.is_some() {
        differ("the units".to_string(), c.in_units, valid)?;
    }
    for (q, id) in ids.iter().enumerate().take(plan.questions.len()) {
        let question = &plan.questions[q];
        if !question.summed_per_item() {
            continue;
        }
        for (i, &held) in c.in_items[q].iter().enumerate() {
            // With a base per item a row holds those who answered that item (or any of a
            // net's items): at most the question's base.
            let whole = !question.each_item();
            if held > c.answered[q] || (whole && held != c.answered[q]) {
                differ(
                    format!("the item rows of question '{id}' (row {i})"),
                    held,
                    Some(c.answered[q]),
                )?;
            }
        }
    }
    Ok(())
}

/// A sums file read through its digest, refused past [`MAX_BYTES`].
struct Hashed<'h> {
    file: std::fs::File,
    digest: &'h mut blake3::Hasher,
    read: u64,
}

impl std::io::Read for Hashed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read += n as u64;
        if self.read > MAX_BYTES {
            return Err(std::io::Error::other(format!(
                "the sums are over {} MiB; sums do not grow with respondents, so this is not the query's result",
                MAX_BYTES >> 20
            )));
        }
        self.digest.update(&buf[..n]);
        Ok(n)
    }
}
