//! The one way through: load → exclude → tabulate → `Results`.

mod assemble;
mod compare;
mod variance;

use self::assemble::build;
use self::variance::Design;
use crate::codebook::{pick, Codebook, Contrast, Segment};
use crate::error::{DataError, Error, Result};
use crate::pipeline::{open_source, Options, Prepared};
use crate::results::{Input, Results, Warning, WarningCode};
use crate::tally::design::DesignSums;
use crate::tally::pass::{GroupSums, Pass, Settings, Tabulation};
use crate::tally::problems::{describe, ProblemKind};

/// A set of groups: a segment (`--by`) or the answers of a contrast's question.
pub struct Grouping {
    /// Segment id or question id.
    pub name: String,
    /// The segment's label in the results' language (empty: say the id).
    pub label: String,
    /// Whether the label may be lowercased inside a sentence.
    pub lowercase: bool,
    /// Its place among the plan's grouping columns.
    pub index: usize,
    /// (value, label) in letter order.
    pub groups: Vec<(String, String)>,
    pub sums: Vec<GroupSums>,
}

/// Groups of a tabulation in letter order: known codes first (in codebook order), then the
/// other values sorted; `only` keeps just the listed codes.
fn order_groups(sums: Vec<GroupSums>, known: &[(String, String)], only: bool) -> Grouping {
    let mut groups: Vec<(String, String)> = known
        .iter()
        .filter(|(v, _)| sums.iter().any(|g| &g.value == v))
        .cloned()
        .collect();
    if !only {
        for g in &sums {
            if !known.iter().any(|(v, _)| v == &g.value) {
                groups.push((g.value.clone(), g.value.clone()));
            }
        }
    }
    Grouping {
        name: String::new(),
        label: String::new(),
        lowercase: false,
        index: 0,
        groups,
        sums,
    }
}

/// Analyses one input (`-` for standard input) with `codebook`.
pub fn analyse(input: &str, codebook: &Codebook, opts: &Options) -> Result<Results> {
    opts.check()?;
    let codebook = &opts.with_design(codebook);
    let segments = opts.segments(codebook)?;
    let src = open_source(input, codebook, opts)?;
    let prepared = Prepared::new(
        codebook,
        src,
        &opts.weight,
        segments.clone(),
        (&segments, opts.filter.as_deref()),
    )?;
    let (tab, blake3) = if opts.lenient {
        lenient(&prepared)?
    } else {
        strict(&prepared)?
    };
    let input = Input {
        path: prepared.src.json_path(),
        blake3,
        rows: tab.rows,
        from_sums: false,
    };
    let weight = prepared.header.weight.clone();
    finish(
        codebook,
        opts,
        &segments,
        &prepared.src.name,
        &tab,
        input,
        weight,
    )
}

/// From the tabulation on, the same for rows and for sums.
#[allow(clippy::too_many_arguments)]
pub(crate) fn finish(
    codebook: &Codebook,
    opts: &Options,
    segments: &[&crate::codebook::Segment],
    name: &str,
    tab: &Tabulation,
    input: Input,
    weight: Option<String>,
) -> Result<Results> {
    let strata = match &tab.design {
        Some(d) => Some(strata(codebook, name, d)?),
        None => None,
    };
    let dropped = tab.dropped_rows();
    if let Some(e) = crate::pipeline::all_excluded(codebook, name, tab.rows, tab.excluded, dropped)
    {
        return Err(e.into());
    }
    if tab.rows == dropped {
        return Err(DataError::new(
            name,
            format!("all {} rows have problems; nothing is left to tabulate (run `concerns validate {name}`)", tab.rows),
        )
        .into());
    }
    if tab.filtered > 0 && tab.rows == tab.excluded + dropped + tab.filtered {
        return Err(Error::Usage(format!(
            "--where {}: none of the {} respondents the screener kept matches; nothing is left to tabulate",
            crate::text::visible(opts.filter.as_deref().unwrap_or_default()),
            tab.filtered
        )));
    }
    check_groups(segments, name, tab)?;
    let mut sums = tab.groupings.clone().into_iter();
    let groupings: Vec<Grouping> = segments
        .iter()
        .enumerate()
        .map(|(k, seg)| {
            let own = sums
                .next()
                .expect("the tally has a grouping per --by segment");
            let mut g = segment_grouping(seg, own, opts.lang);
            g.index = k;
            g
        })
        .collect();
    let contrast_groupings: Vec<Grouping> = codebook
        .contrasts
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let own = (sums.next()).expect(
                "the tally has a grouping per contrast (its `by` is a single choice, checked)",
            );
            let mut g = contrast_grouping(codebook, c, own, opts.lang);
            g.index = segments.len() + k;
            g
        })
        .collect();
    let mut results = build(
        codebook,
        tab,
        (&groupings, &contrast_groupings),
        input,
        weight,
        opts,
        strata,
    );
    results.warnings.extend(blank_notes(segments, tab));
    Ok(results)
}

/// The sums when every row must be right: the first problem is the error.
fn strict(prepared: &Prepared) -> Result<(Tabulation, String)> {
    let settings = Settings {
        max_problems: 1,
        skip: Default::default(),
    };
    let mut read = prepared.read(&settings)?;
    let (src, header, plan) = (&prepared.src, &prepared.header, &prepared.plan);
    if let Some(u) = &read.unterminated {
        // Whatever else is wrong, this explains the end of the file: fix it first.
        return Err(describe(src, header, plan, u).into());
    }
    if let Some(first) = read.pass.problems().first() {
        let mut e = describe(src, header, plan, first);
        if let ProblemKind::Value(v) = &first.kind {
            let count = read.pass.counts().rule(v.rule);
            if count > 1 {
                e = crate::tally::problems::with_rows_like_it(e, count);
            }
        }
        return Err(e.into());
    }
    if !read.duplicates.is_empty() {
        let column = prepared.codebook.respondent_id.clone().unwrap_or_default();
        return Err(DataError::new(
            &src.name,
            format!(
                "{} respondent IDs are duplicates; `concerns validate {}` lists their rows",
                read.duplicates.len(),
                src.name
            ),
        )
        .column(column)
        .into());
    }
    Ok((
        read.pass.finish(&prepared.codebook.question_ids()),
        read.blake3,
    ))
}

/// The sums of the rows without problems; what was left out is counted per reason.
fn lenient(prepared: &Prepared) -> Result<(Tabulation, String)> {
    let settings = Settings::default();
    let mut read = prepared.read(&settings)?;
    if let Some(u) = &read.unterminated {
        return Err(describe(&prepared.src, &prepared.header, &prepared.plan, u).into());
    }
    let ids = prepared.codebook.question_ids();
    if read.duplicates.is_empty() {
        let mut tab = read.pass.finish(&ids);
        tab.dropped = read.pass.counts().dropped(&prepared.plan);
        tab.dropped_total = read.pass.counts().dropped_rows();
        return Ok((tab, read.blake3));
    }
    // Keep the first row of each repeated ID; pass again without the later ones.
    let again = Settings {
        max_problems: 0,
        skip: read.duplicates.iter().map(|f| f.offset).collect(),
    };
    let mut pass = prepared.run(false, &|| Pass::new(&prepared.plan, &again))?;
    pass.set_duplicate_ids(again.skip.len() as u64);
    let mut tab = pass.finish(&ids);
    tab.dropped = pass.counts().dropped(&prepared.plan);
    tab.dropped_total = pass.counts().dropped_rows();
    Ok((tab, read.blake3))
}

/// The design's strata ready for variances, or the design problem as an error.
fn strata<'a>(codebook: &Codebook, name: &str, sums: &'a DesignSums) -> Result<Design<'a>> {
    match sums.strata_factors() {
        Ok((psus, fpc_factor)) => Ok(Design {
            sums,
            psus,
            fpc_factor,
        }),
        Err(p) => {
            let design = &codebook.design;
            let column = match p.on {
                crate::tally::design::On::Strata => &design.strata,
                crate::tally::design::On::Psu => &design.psu,
                crate::tally::design::On::Fpc => &design.fpc,
            };
            let e = DataError::new(name, p.message);
            Err(match column {
                Some(c) => e.column(c.clone()).into(),
                None => e.into(),
            })
        }
    }
}

/// A banner compares a bounded number of groups with labels of bounded length.
fn check_groups(
    segments: &[&crate::codebook::Segment],
    name: &str,
    tab: &Tabulation,
) -> Result<()> {
    for (seg, groups) in segments.iter().zip(&tab.groupings) {
        let error = |message: String| {
            Err(DataError::new(name, message)
                .column(seg.column.clone())
                .into())
        };
        if groups.len() > MAX_GROUPS {
            return error(format!(
                "segment '{}' has more than {MAX_GROUPS} distinct values, more than a banner can compare; list its values in the codebook or choose another segment",
                seg.id,
            ));
        }
        if let Some(long) = groups
            .iter()
            .find(|v| v.value.chars().count() > MAX_GROUP_VALUE)
        {
            return error(format!(
                "segment '{}' has a value of {} characters (at most {MAX_GROUP_VALUE}): '{}…'",
                seg.id,
                long.value.chars().count(),
                long.value.chars().take(20).collect::<String>()
            ));
        }
    }
    Ok(())
}

/// The groups of a `--by` segment: its listed values in codebook order, then the others.
fn segment_grouping(seg: &Segment, sums: Vec<GroupSums>, lang: crate::locale::Lang) -> Grouping {
    let known: Vec<(String, String)> = seg
        .values
        .iter()
        .map(|v| (v.code.clone(), pick(&v.label, lang).to_string()))
        .collect();
    let mut g = order_groups(sums, &known, false);
    for (value, label) in g.groups.iter_mut() {
        if label.is_empty() {
            *label = value.clone();
        }
    }
    g.name = seg.id.clone();
    g.label = pick(&seg.label, lang).to_string();
    g.lowercase = seg.lowercase.iter().any(|l| l == lang.code());
    g
}

/// The groups of a contrast: just the answers it names, labelled as the question's items.
fn contrast_grouping(
    codebook: &Codebook,
    c: &Contrast,
    sums: Vec<GroupSums>,
    lang: crate::locale::Lang,
) -> Grouping {
    let q = codebook.question(&c.by);
    let known: Vec<(String, String)> = c
        .groups
        .iter()
        .map(|code| {
            let label = q
                .and_then(|q| {
                    q.items
                        .iter()
                        .find(|i| i.code.as_deref() == Some(code.as_str()))
                })
                .map(|i| pick(&i.label, lang).to_string())
                .unwrap_or_else(|| code.clone());
            (code.clone(), label)
        })
        .collect();
    let mut g = order_groups(sums, &known, true);
    g.name = c.by.clone();
    g
}

/// Kept respondents with no value of a segment: in the total, in no group.
fn blank_notes(segments: &[&Segment], tab: &Tabulation) -> Vec<Warning> {
    segments
        .iter()
        .zip(&tab.blank_groups)
        .filter(|(_, &n)| n > 0)
        .map(|(seg, &n)| {
            Warning::new(
                WarningCode::BlankSegment,
                vec![("segment", seg.id.clone().into()), ("n", n.into())],
            )
        })
        .collect()
}

/// Groups of one segment a banner compares at most.
pub use crate::tally::MAX_GROUPS;
/// Characters of one segment value shown as a group label.
pub const MAX_GROUP_VALUE: usize = 200;

#[cfg(test)]
mod tests {
    use super::assemble::{items, Context};
    use super::compare::letter;
    use super::*;
    use crate::codebook::Codebook;
    use crate::stats::{BaseSums, ItemSums};
    use crate::tally::pass::QuestionSums;

    fn sums(value: &str) -> GroupSums {
        GroupSums {
            value: value.into(),
            questions: Vec::new(),
        }
    }

    #[test]
    fn groups_come_in_codebook_order_then_the_others_as_given() {
        let known = vec![
            ("gen_z".to_string(), "Gen Z".to_string()),
            ("millennial".to_string(), "Millennials".to_string()),
            ("boomer".to_string(), "Boomers".to_string()),
        ];
        // Sums arrive sorted by value; a listed value with no respondents has no group.
        let g = order_groups(
            vec![sums("boomer"), sums("gen_z"), sums("martian")],
            &known,
            false,
        );
        let values: Vec<&str> = g.groups.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(values, ["gen_z", "boomer", "martian"]);
        assert_eq!(
            g.groups[2].1, "martian",
            "an unlisted value is its own label"
        );
        // A contrast keeps only its listed answers.
        let only = order_groups(vec![sums("boomer"), sums("martian")], &known, true);
        assert_eq!(
            only.groups,
            vec![("boomer".to_string(), "Boomers".to_string())]
        );
    }

    #[test]
    fn letters_run_a_to_z_then_repeat_with_a_number() {
        let l: Vec<String> = [0, 1, 25, 26, 27, 51, 52]
            .iter()
            .map(|&i| letter(i))
            .collect();
        assert_eq!(l, ["A", "B", "Z", "A2", "B2", "Z2", "A3"]);
    }

    #[test]
    fn ties_keep_codebook_order_and_pinned_items_stay_last() {
        let cb = Codebook::canonical();
        let q = cb.question("concerns").unwrap();
        let base = BaseSums {
            n: 10,
            w: 10.0,
            w2: 10.0,
        };
        // Shares 0.3, 0.5, 0.3, 0.5, 0.1 and "other" (pinned) at 0.9.
        let counts = [3u64, 5, 3, 5, 1, 9];
        let sums: Vec<ItemSums> = counts
            .iter()
            .map(|&c| ItemSums {
                count: c,
                answered: 10,
                wy: c as f64,
                w2y: c as f64,
                wn: (10 - c) as f64,
                w2n: (10 - c) as f64,
            })
            .collect();
        let opts = Options::default();
        let ctx = Context {
            weighted: false,
            lang: crate::locale::Lang::En,
            opts: &opts,
            design: None,
        };
        let sums = QuestionSums {
            id: q.id.clone(),
            base,
            items: sums,
            each_item: false,
            design_n: Vec::new(),
        };
        let ranked = items(q, &sums, (|_, _, _| None, |_| 9.0), &ctx);
        let ranks: Vec<u32> = ranked.iter().map(|i| i.rank).collect();
        assert_eq!(ranks, [3, 1, 4, 2, 5, 6]);
    }
}
