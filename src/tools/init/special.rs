//! The columns of an export that are not questions, chosen over the whole file before any
//! column is classified: the respondent ID, the weight, the design (strata, PSUs, fpc),
//! and the numbers that measure rather than code an answer. Each choice says why in a note.

use super::profile::{Export, Profile};

/// What the special columns are, and the notes that explain the choices.
#[derive(Debug, Default)]
pub(super) struct Special {
    pub id: Option<usize>,
    pub weight: Option<usize>,
    pub strata: Option<usize>,
    pub psu: Option<usize>,
    pub fpc: Option<usize>,
    pub notes: Vec<String>,
}

impl Special {
    pub fn of(export: &Export) -> Special {
        let mut s = Special {
            id: pick_id(export),
            ..Special::default()
        };
        if let Some(i) = s.id {
            s.notes.push(format!(
                "respondent ID: '{}' (every row has a value and no two the same)",
                export.columns[i]
            ));
        }
        s.weight = s.pick_weight(export);
        s.pick_design(export);
        s
    }

    /// Whether column `i` is one of them.
    pub(crate) fn has(&self, i: usize) -> bool {
        [self.id, self.weight, self.strata, self.psu, self.fpc].contains(&Some(i))
    }

    fn pick_weight(&mut self, export: &Export) -> Option<usize> {
        let mut candidates: Vec<(usize, f64, String)> = Vec::new();
        let mut refused: Vec<String> = Vec::new();
        for (i, (name, p)) in export.columns.iter().zip(&export.profiles).enumerate() {
            if Some(i) == self.id || !p.numeric || p.filled == 0 {
                continue;
            }
            let named = weight_name(name);
            // Weights are positive: a column with zero or negative values never is one.
            if p.min <= 0.0 {
                if named {
                    refused.push(format!("'{name}' (it holds zero or negative values)"));
                }
                continue;
            }
            let mean = p.mean();
            let mut score = 0.0;
            let mut why = Vec::new();
            if named {
                score += 3.0;
                why.push("named like a weight");
            }
            if !p.integers {
                score += 1.0;
                why.push("positive fractions");
            }
            if (0.2..=5.0).contains(&mean) {
                score += 1.0;
                why.push("a mean near 1");
            } else if p.sum >= 10.0 * export.rows as f64 {
                score += 0.5;
                why.push("a sum like a population's");
            }
            // Without a weight's name, fractions alone may be a score: only a named column.
            if named {
                candidates.push((i, score, why.join(", ")));
            }
        }
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let chosen = candidates.first().map(|(i, _, why)| (*i, why.clone()));
        match &chosen {
            Some((i, why)) => {
                let others: Vec<String> = candidates[1..]
                    .iter()
                    .map(|(j, _, _)| format!("'{}'", export.columns[*j]))
                    .chain(refused)
                    .collect();
                let mean = export.profiles[*i].mean();
                let mut note = format!(
                    "weight: '{}' ({why}; mean {})",
                    export.columns[*i],
                    round(mean)
                );
                if !others.is_empty() {
                    note.push_str(&format!("; also considered: {}", others.join(", ")));
                }
                self.notes.push(note);
            }
            None if !refused.is_empty() => self.notes.push(format!(
                "no weight column found: not {} (shares will be unweighted)",
                refused.join(", ")
            )),
            None => {}
        }
        chosen.map(|(i, _)| i)
    }

    fn pick_design(&mut self, export: &Export) {
        let find = |test: fn(&str) -> bool, taken: &[Option<usize>]| {
            export
                .columns
                .iter()
                .enumerate()
                .find(|(i, name)| {
                    !taken.contains(&Some(*i))
                        && test(&name.to_lowercase())
                        && export.profiles[*i].filled > 0
                })
                .map(|(i, _)| i)
        };
        let taken = [self.id, self.weight];
        self.strata = find(strata_name, &taken);
        self.psu = find(psu_name, &[self.id, self.weight, self.strata]);
        self.fpc = find(fpc_name, &[self.id, self.weight, self.strata, self.psu])
            .filter(|&i| export.profiles[i].numeric && export.profiles[i].min > 0.0);
        let named: Vec<String> = [
            ("strata", self.strata),
            ("PSU", self.psu),
            ("fpc", self.fpc),
        ]
        .iter()
        .filter_map(|(what, i)| i.map(|i| format!("{what} '{}'", export.columns[i])))
        .collect();
        if !named.is_empty() {
            self.notes.push(format!(
                "design: {} taken from their names: check them against the survey's documentation (PSUs are read within their stratum, as R's nest = TRUE)",
                named.join(", ")
            ));
        }
    }
}

/// The respondent ID: a column whose values are all there and all different, id-like
/// names first, then text codes, then whole numbers counting up.
fn pick_id(export: &Export) -> Option<usize> {
    let whole = |p: &Profile| p.unique && p.filled > 1 && p.filled == export.rows;
    let candidates: Vec<(usize, u8)> = export
        .columns
        .iter()
        .zip(&export.profiles)
        .enumerate()
        .filter(|(_, (_, p))| whole(p) && (!p.numeric || p.integers))
        .filter_map(|(i, (name, p))| {
            let rank = if id_name(name) {
                0
            } else if !p.numeric {
                1
            } else if p.max - p.min + 1.0 == export.rows as f64 {
                2
            } else {
                return None;
            };
            Some((i, rank))
        })
        .collect();
    candidates
        .iter()
        .min_by_key(|(i, rank)| (*rank, *i))
        .map(|(i, _)| *i)
}

fn round(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

fn id_name(name: &str) -> bool {
    let l = name.to_lowercase();
    matches!(
        l.as_str(),
        "id" | "seqn" | "cds" | "snum" | "caseid" | "uid" | "uuid" | "respid" | "responseid"
    ) || l.ends_with("_id")
        || l.ends_with(" id")
        || l.starts_with("id_")
        || l.contains("respondent")
        || l.ends_with("id") && l.len() <= 8
}

/// Names survey weights go by: `weight`, `wt`, `wgt`, `pw`, `pwt`, `finalwt`, `WTMEC2YR`,
/// `…_wt`, `…weight…`.
fn weight_name(name: &str) -> bool {
    let l = name.to_lowercase();
    matches!(
        l.as_str(),
        "wt" | "wgt" | "pw" | "pwt" | "pwgt" | "finalwt" | "w"
    ) || l.contains("weight")
        || l.contains("wgt")
        || l.starts_with("wt")
        || l.ends_with("_wt")
        || l.ends_with("wt") && l.len() <= 8
}

fn strata_name(l: &str) -> bool {
    l == "strata" || l == "stratum" || l.contains("strat") || l.ends_with("stra")
}

fn psu_name(l: &str) -> bool {
    l == "psu" || l == "cluster" || l.contains("psu") || l == "clus" || l.starts_with("cluster")
}

fn fpc_name(l: &str) -> bool {
    l == "fpc" || l.starts_with("fpc") || l.ends_with("_fpc")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_weights_ids_and_designs() {
        for w in [
            "weight",
            "pw",
            "WTMEC2YR",
            "final_wt",
            "finalwt",
            "rake_weight",
            "wgt",
        ] {
            assert!(weight_name(w), "{w}");
        }
        for w in ["growth", "awards", "newt_count", "twitter"] {
            assert!(!weight_name(w), "{w}");
        }
        for id in ["id", "respondent_id", "SEQN", "cds", "snum", "ResponseId"] {
            assert!(id_name(id), "{id}");
        }
        assert!(strata_name("sdmvstra") && strata_name("stratum"));
        assert!(psu_name("sdmvpsu") && psu_name("psu") && !psu_name("pseudo"));
        assert!(fpc_name("fpc") && fpc_name("fpc1") && !fpc_name("ufpca"));
    }
}
