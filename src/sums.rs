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

use crate::codebook::Codebook;
use crate::design::{DesignAcc, Mass};
use crate::error::{DataError, Result};
use crate::plan::{Plan, State};
use crate::tabulate::{question_sums, weight_max_median, Tabulation};
use crate::tally::Tally;

/// Largest sums file read, and most rows: sums do not grow with respondents, so a file
/// past these is not a result of the query.
const MAX_BYTES: u64 = 1 << 30;
const MAX_ROWS: u64 = 10_000_000;
/// Distinct weights read from sums at most.
const MAX_DISTINCT_WEIGHTS: usize = 1_000_000;

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
    /// The query keys of the rows rows.
    keys: Vec<String>,
    /// Per question: the respondents of its cells, and of its cells outside --where; and
    /// the valid rows of the units. Each must add up to what the rows row says.
    in_cells: Vec<u64>,
    in_outside: Vec<u64>,
    in_units: u64,
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

/// An exact decimal with up to `scale` places, in units of 10^-scale.
fn decimal(text: &str, scale: usize) -> Option<u128> {
    let t = text.trim_ascii();
    if t.is_empty() {
        return Some(0);
    }
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if int.is_empty() && frac.is_empty()
        || frac.len() > scale
        || int.len() > 38 - scale
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut v: u128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        v = v.checked_mul(10)?.checked_add((b - b'0') as u128)?;
    }
    v.checked_mul(10u128.checked_pow((scale - frac.len()) as u32)?)
}

/// A weight as the file reader reads it.
fn read_weight(v: &str) -> Option<f64> {
    crate::plan::read_weight(v.as_bytes())
}

/// Σw and Σw² (exact, then floating point) of a cell of `count` respondents, as the query
/// sums them: a decimal weight is at most 10^6 and any other at most 10^9 (the reader's
/// range), and every respondent has a weight of one kind or the other. Else the column
/// and what was expected.
/// A cell's weight sums: (Σw, Σw²) exact, then as floats.
type CellWeights = ((u128, u128), (f64, f64));

fn cell_weights(
    count: u64,
    [w, w2, wf, wf2]: [&str; 4],
) -> std::result::Result<CellWeights, (&'static str, &'static str)> {
    let fixed_max = crate::plan::FIXED_ONE as u128 * 1_000_000;
    let n = count as u128;
    let (w, w2) = (w.trim_ascii(), w2.trim_ascii());
    if w.is_empty() != w2.is_empty() {
        return Err(("w", "Σw and Σw² both given or both empty"));
    }
    let fixed = (
        decimal(w, 9).ok_or(("w", "a decimal of up to 9 places"))?,
        decimal(w2, 18).ok_or(("w2", "a decimal of up to 18 places"))?,
    );
    if fixed.0 > n * fixed_max {
        return Err((
            "w",
            "at most 10^6 per respondent (the largest decimal weight)",
        ));
    }
    if fixed.1 / (fixed_max * fixed_max) > n {
        return Err(("w2", "at most 10^12 per respondent"));
    }
    let float = |t: &str, max: f64, column: &'static str| {
        let t = t.trim_ascii();
        if t.is_empty() {
            return Ok(None);
        }
        t.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0 && *x <= count as f64 * max)
            .map(Some)
            .ok_or((column, "a sum of weights of at most 10^9 per respondent"))
    };
    let (f, f2) = (
        float(wf, crate::plan::MAX_WEIGHT, "wf")?,
        float(
            wf2,
            crate::plan::MAX_WEIGHT * crate::plan::MAX_WEIGHT,
            "wf2",
        )?,
    );
    if f.is_some() != f2.is_some() {
        return Err(("wf", "Σw and Σw² both given or both empty"));
    }
    if w.is_empty() && f.is_none() {
        return Err((
            "w",
            "the sum of the cell's weights (empty here, and wf too)",
        ));
    }
    Ok((fixed, (f.unwrap_or(0.0), f2.unwrap_or(0.0))))
}

/// Reads the sums files into the tabulation reading the rows would give.
pub(crate) fn tabulation(
    files: &[String],
    plan: &Plan,
    codebook: &Codebook,
    (lenient, key): (bool, &str),
) -> Result<(Tabulation, Vec<u8>)> {
    let ids = codebook.question_ids();
    let groups = plan.groupings.len();
    let mut tally = Tally::new(plan);
    // Kept respondents outside the filter, per question and state: the design's n.
    let mut outside = Tally::new(plan);
    let mut design = DesignAcc::new(plan);
    let mut checks = Checks {
        excluded_by: vec![0; plan.exclusions.len()],
        invalid: vec![(0, None); plan.rules.len()],
        partial: vec![0; plan.questions.len()],
        blank_groups: vec![0; groups],
        in_cells: vec![0; plan.questions.len()],
        in_outside: vec![0; plan.questions.len()],
        ..Default::default()
    };
    let mut digest = blake3::Hasher::new();
    // The same file given twice would count its respondents twice. (Two files with the same
    // content may be two small partitions that happen to sum alike: allowed.)
    // By device and inode: a hard link or a symbolic link to a file given is the same file.
    let mut seen: Vec<((u64, u64), &String)> = Vec::new();
    for file in files {
        use std::io::BufRead;
        if let Some(id) = crate::output::identity(Path::new(file)) {
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
                digest: &mut digest,
                read: 0,
            },
        );
        let cannot = |e: std::io::Error| DataError::new(file, format!("cannot read the sums: {e}"));
        let parquet = reader.fill_buf().map_err(cannot)?.starts_with(b"PAR1");
        let sums = (&mut tally, &mut outside, design.as_mut());
        if parquet {
            std::io::copy(&mut reader, &mut std::io::sink()).map_err(cannot)?;
            let bytes = parquet_as_csv(file)?;
            read_file(file, bytes.as_slice(), plan, &ids, sums, &mut checks)?;
        } else {
            read_file(file, reader, plan, &ids, sums, &mut checks)?;
        }
    }
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
    let counts = crate::problems::ProblemCounts::of_rules(
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
        design: design.map(|d| d.finish(|g, v| tally.value(g, v).to_vec())),
        filtered: checks.filtered,
    };
    Ok((tab, digest.finalize().as_bytes().to_vec()))
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
    if let Some(other) = checks.keys.iter().find(|k| *k != key) {
        return Err(DataError::new(
            name,
            format!(
                "these sums were made by a query for other options (query key {}, these options give {key}): run `concerns sql` again with the same codebook, --weight, --by, --where and design as here",
                crate::text::visible(other)
            ),
        )
        .into());
    }
    if let Some(e) = &checks.foreign {
        return Err(e.clone().into());
    }
    check_totals(name, plan, ids, checks)?;
    if let Some((r, (n, example))) = checks
        .invalid
        .iter()
        .enumerate()
        .find(|(_, (n, _))| *n > 0 && !lenient)
    {
        let rule = &plan.rules[r];
        let found = example
            .as_deref()
            .map(|v| format!(", found '{}'", crate::text::visible(v)))
            .unwrap_or_else(|| ", found an empty value".into());
        let count = if *n > 1 {
            format!(" ({n} rows have such values)")
        } else {
            String::new()
        };
        // The reader's hint too (a typed answer where codes are joined).
        let hint = match (&rule.hint, example) {
            (Some(hint), Some(_)) => format!("; {hint}"),
            _ => String::new(),
        };
        return Err(DataError::new(
            name,
            format!("expected {}{found}{count}{hint}", rule.expected),
        )
        .column(rule.column.clone())
        .into());
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
    Ok(())
}

/// Collects records as CSV rows.
struct AsCsv(csv::Writer<Vec<u8>>, u64);

impl crate::record::Consumer for AsCsv {
    fn record<F: crate::record::Fields>(&mut self, rec: &F, _: u64, _: u64) {
        self.1 += 1;
        if self.1 <= MAX_ROWS {
            let fields: Vec<Vec<u8>> = (0..rec.len())
                .map(|i| rec.get(i).map(|v| v.into_owned()).unwrap_or_default())
                .collect();
            // Writing to memory does not fail.
            let _ = self.0.write_record(&fields);
        }
    }

    fn absorb(&mut self, _: Self, _: u64) {}
}

/// A Parquet file of sums (an engine's `COPY … TO 'sums.parquet'`) as the CSV it holds.
fn parquet_as_csv(file: &str) -> Result<Vec<u8>> {
    use crate::load::{frame, Header, Source};
    let src = Source::open(file, "utf-8", None)?;
    let columns = frame::parquet_columns(&src)?;
    let header = Header {
        columns: columns.clone(),
        weight: None,
        data_start: 0,
        first_row: 1,
    };
    let mut out = AsCsv(csv::Writer::from_writer(Vec::new()), 0);
    let _ = out.0.write_record(&columns);
    let needed: Vec<usize> = (0..columns.len()).collect();
    frame::parquet(&src, &header, &needed, &mut out)?;
    if out.1 > MAX_ROWS {
        return Err(DataError::new(file, format!("over {MAX_ROWS} rows of sums")).into());
    }
    out.0
        .into_inner()
        .map_err(|e| DataError::new(file, format!("cannot read the sums: {e}")).into())
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

fn read_file(
    file: &str,
    bytes: impl std::io::Read,
    plan: &Plan,
    ids: &[String],
    (tally, outside, mut design): (&mut Tally, &mut Tally, Option<&mut DesignAcc>),
    checks: &mut Checks,
) -> Result<()> {
    let groups = plan.groupings.len();
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| DataError::new(file, format!("cannot read the sums as CSV: {e}")))?
        .clone();
    let col = |name: &str| -> Result<usize> {
        header.iter().position(|h| h == name).ok_or_else(|| {
            DataError::new(
                file,
                format!("no column {name}: these are not the sums of this version's `concerns sql` for this codebook and these options (--by, --where, design)"),
            )
            .row(1)
            .into()
        })
    };
    let [kind, name, state, n, w, w2, wf, wf2, partial, value] = [
        "kind", "name", "state", "n", "w", "w2", "wf", "wf2", "partial", "value",
    ]
    .map(col);
    let (kind, name, state, n, w, w2, wf, wf2, partial, value) = (
        kind?, name?, state?, n?, w?, w2?, wf?, wf2?, partial?, value?,
    );
    let g: Vec<usize> = (0..groups)
        .map(|j| col(&format!("g{j}")))
        .collect::<Result<_>>()?;
    let invalid: Vec<(usize, usize)> = (0..plan.rules.len())
        .map(|r| Ok((col(&format!("invalid_{r}"))?, col(&format!("example_{r}"))?)))
        .collect::<Result<_>>()?;
    let (duplicate_ids, unmarked_ids) = (col("duplicate_ids")?, col("unmarked_ids")?);
    let (weight_max, weight_max_float) = (col("weight_max")?, col("weight_max_float")?);
    let invalid_rows = col("invalid_rows")?;
    let query_key = col("query_key")?;
    // Sums per unit when the design has strata or clusters, and only then.
    let unit = match &design {
        Some(_) => Some((col("stratum")?, col("psu")?)),
        None if header.iter().any(|h| h == "stratum" || h == "psu") => {
            return Err(DataError::new(
                file,
                "the sums are per stratum and PSU: finish them with the design they were made with (--strata, --psu, --fpc or the codebook's [design])",
            )
            .row(1)
            .into())
        }
        None => None,
    };
    if header
        .iter()
        .any(|h| h.starts_with('g') && h[1..].parse::<usize>().is_ok_and(|j| j >= groups))
    {
        return Err(DataError::new(
            file,
            format!("the sums have more grouping columns than the {groups} of these options (--by and the codebook's contrasts)"),
        )
        .row(1)
        .into());
    }
    // Per grouping: the codes it may hold, when the codebook lists them (a segment's
    // values, a contrast question's codes), and the rule the reader checks them by.
    let listed: Vec<Option<(&crate::plan::Codes, usize)>> = plan
        .groupings
        .iter()
        .map(|&col| {
            plan.segment_rules()
                .iter()
                .find(|(c, _, _)| *c == col)
                .map(|(_, codes, r)| (codes, *r))
                .or_else(|| {
                    plan.questions.iter().find_map(|q| match q {
                        crate::plan::QuestionPlan::Single {
                            column,
                            codes,
                            rule,
                            ..
                        } if *column == col => Some((codes, *rule)),
                        _ => None,
                    })
                })
        })
        .collect();
    let mut record = csv::StringRecord::new();
    let mut row = 1u64;
    let mut indices = vec![0u32; groups];
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(
                    DataError::new(file, format!("cannot read the sums as CSV: {e}"))
                        .row(row + 1)
                        .into(),
                )
            }
        }
        row += 1;
        if row > MAX_ROWS {
            return Err(DataError::new(file, format!("over {MAX_ROWS} rows of sums")).into());
        }
        let field = |i: usize| record.get(i).unwrap_or_default();
        let bad = |column: &str, expected: &str| -> crate::error::Error {
            DataError::new(
                file,
                format!(
                    "value '{}' where {expected} was expected",
                    crate::text::visible(field(
                        header.iter().position(|h| h == column).unwrap_or(0)
                    ))
                ),
            )
            .row(row)
            .column(column.to_string())
            .into()
        };
        let count = field(n)
            .trim_ascii()
            .parse::<u64>()
            .map_err(|_| bad("n", "a count"))?;
        let index = field(state)
            .trim_ascii()
            .parse::<u64>()
            .map_err(|_| bad("state", "a whole number"))?;
        let add = |a: &mut u64| -> Result<()> {
            *a = a
                .checked_add(count)
                .ok_or_else(|| bad("n", "a count that adds up"))?;
            Ok(())
        };
        let number = |i: usize, column: &str| -> Result<u64> {
            let t = field(i).trim_ascii();
            if t.is_empty() {
                return Ok(0);
            }
            t.parse::<u64>().map_err(|_| bad(column, "a count"))
        };
        // The question a cell names and its answer state, both checked.
        let question_state = || -> Result<(usize, State)> {
            let q = ids
                .iter()
                .position(|id| id == field(name))
                .filter(|&q| q < plan.questions.len())
                .ok_or_else(|| bad("name", "a question of the codebook"))?;
            let s = index as State;
            if !plan.questions[q].valid_state(s) {
                return Err(bad("state", "an answer state of the question"));
            }
            Ok((q, s))
        };
        match field(kind) {
            "rows" => {
                add(&mut checks.rows)?;
                for (r, &(n, example)) in invalid.iter().enumerate() {
                    let rows = number(n, &format!("invalid_{r}"))?;
                    let (total, first) = &mut checks.invalid[r];
                    *total = total.saturating_add(rows);
                    if first.is_none() && rows > 0 && !field(example).is_empty() {
                        *first = Some(field(example).chars().take(100).collect());
                    }
                }
                checks.duplicate_ids = checks
                    .duplicate_ids
                    .saturating_add(number(duplicate_ids, "duplicate_ids")?);
                checks.unmarked_ids = checks
                    .unmarked_ids
                    .saturating_add(number(unmarked_ids, "unmarked_ids")?);
                checks.invalid_rows = checks
                    .invalid_rows
                    .saturating_add(number(invalid_rows, "invalid_rows")?);
                let key = field(query_key).trim_ascii();
                if !checks.keys.iter().any(|k| k == key) && checks.keys.len() < 100 {
                    checks.keys.push(key.chars().take(64).collect());
                }
                for (i, column) in [
                    (weight_max, "weight_max"),
                    (weight_max_float, "weight_max_float"),
                ] {
                    let v = field(i).trim_ascii();
                    if !v.is_empty() {
                        let w = read_weight(v).ok_or_else(|| bad(column, "a weight"))?;
                        checks.weight_max = Some(checks.weight_max.map_or(w, |m: f64| m.max(w)));
                    }
                }
            }
            "excluded" => add(checks
                .excluded_by
                .get_mut(index as usize)
                .ok_or_else(|| bad("state", "a screener of the codebook"))?)?,
            "weight" => {
                let w = read_weight(field(value).trim_ascii())
                    .ok_or_else(|| bad("value", "a weight"))?;
                // The query lists at most 100,000 weights, or rounds them: a few partitions'
                // worth, never millions.
                if checks.weights.len() >= MAX_DISTINCT_WEIGHTS
                    && !checks.weights.contains_key(&w.to_bits())
                {
                    return Err(bad("value", "at most a million distinct weights in all (the query rounds them past 100,000)"));
                }
                add(checks.weights.entry(w.to_bits()).or_default())?;
            }
            "filtered" => add(&mut checks.filtered)?,
            "unit" => {
                let (Some(d), Some((stratum, psu))) = (design.as_deref_mut(), unit) else {
                    return Err(bad("kind", "no sums per unit without a design"));
                };
                let fpc = match plan.design.as_ref().and_then(|d| d.fpc) {
                    None => None,
                    Some(_) => Some(
                        crate::plan::parse_fpc(field(value).trim_ascii().as_bytes())
                            .ok_or_else(|| bad("value", "a positive number (the fpc)"))?,
                    ),
                };
                d.add_unit(
                    field(stratum).trim_ascii().as_bytes(),
                    field(psu).trim_ascii().as_bytes(),
                    fpc,
                    count,
                );
                add(&mut checks.in_units)?;
            }
            "outside" => {
                let (q, s) = question_state()?;
                add(&mut checks.in_outside[q])?;
                if s != 0 {
                    // Only counts matter here (the design's n), in no group.
                    outside.add_sums(&vec![0; groups], q, s, count, (0, 0), (0.0, 0.0));
                }
            }
            "cell" => {
                let (q, s) = question_state()?;
                add(&mut checks.in_cells[q])?;
                if count == 0 {
                    return Err(bad(
                        "n",
                        "a count of at least 1 (a group of no rows is no sum)",
                    ));
                }
                for (j, &c) in g.iter().enumerate() {
                    let v = field(c).trim_ascii();
                    // A value the codebook does not list is a problem of the row, which the
                    // query leaves out of every cell: here, these are not its sums.
                    // (Said after the query key is compared: sums of other options would
                    // hold other values.)
                    if let (false, Some((codes, r)), None) =
                        (v.is_empty(), listed[j], &checks.foreign)
                    {
                        if codes.find(v.as_bytes()).is_none() {
                            let rule = &plan.rules[r];
                            checks.foreign = Some(
                                DataError::new(
                                    file,
                                    format!(
                                        "expected {}, found '{}' (the query counts such rows as invalid, never in a cell)",
                                        rule.expected,
                                        crate::text::visible(v)
                                    ),
                                )
                                .row(row)
                                .column(rule.column.clone()),
                            );
                        }
                    }
                    // Memory stays bounded: past the most groups, values share one index.
                    indices[j] = tally.value_index(j, v.as_bytes());
                    if tally.overflowed(j) && checks.foreign.is_none() {
                        checks.foreign = Some(
                            DataError::new(
                                file,
                                format!(
                                    "column g{j} has more than {} distinct values, more than a banner can compare",
                                    crate::tally::MAX_GROUPS
                                ),
                            )
                            .row(row)
                            .column(format!("g{j}")),
                        );
                    }
                    if q == 0 && indices[j] == 0 {
                        checks.blank_groups[j] += count;
                    }
                }
                let answered_some = number(partial, "partial")?;
                if answered_some > count {
                    return Err(bad("partial", "at most the cell's count"));
                }
                checks.partial[q] += answered_some;
                if s != 0 {
                    let (fixed, float) = cell_weights(count, [w, w2, wf, wf2].map(field))
                        .map_err(|(column, expected)| bad(column, expected))?;
                    checks.total = checks
                        .total
                        .0
                        .checked_add(fixed.0)
                        .zip(checks.total.1.checked_add(fixed.1))
                        .ok_or_else(|| {
                            bad("w2", "sums of weights no survey reaches (past 2^128)")
                        })?;
                    tally.add_sums(&indices, q, s, count, fixed, float);
                    if let (Some(d), Some((stratum, psu))) = (design.as_deref_mut(), unit) {
                        let mass = Mass {
                            n: count,
                            fixed: fixed.0,
                            fixed2: fixed.1,
                            w: float.0,
                            w2: float.1,
                        };
                        let at = (
                            field(stratum).trim_ascii().as_bytes(),
                            field(psu).trim_ascii().as_bytes(),
                        );
                        d.add_sums(plan, at, &indices, (q, s), mass);
                    }
                }
            }
            _ => {
                return Err(bad(
                    "kind",
                    "rows, excluded, filtered, weight, unit, cell or outside",
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn decimals_are_read_exactly() {
        assert_eq!(decimal("5076.210800000", 9), Some(5_076_210_800_000));
        assert_eq!(decimal("0.5", 9), Some(500_000_000));
        assert_eq!(decimal("12", 18), Some(12 * 10u128.pow(18)));
        assert_eq!(decimal("", 9), Some(0));
        assert_eq!(decimal("1.0000000001", 9), None);
        assert_eq!(decimal("-1", 9), None);
        assert_eq!(decimal("1e3", 9), None);
        assert_eq!(decimal(".", 9), None);
        assert_eq!(decimal(&"9".repeat(40), 9), None);
    }
}
