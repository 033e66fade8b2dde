//! The warehouse route: the codebook compiled to one aggregate query (`query`), and the
//! sums it returns read back into the tally (`sums`), so `table --sums` finishes them as
//! `table` finishes the rows.

pub mod query;
pub(crate) mod sums;
pub(crate) mod wire;

use crate::codebook::Codebook;
use crate::error::{Error, Result};
use crate::pipeline::Options;
use crate::results::{Input, Results};

/// Analyses the sums `concerns sql`'s query returned (one file or several, added up), as
/// [`analyse`] would the rows they came from.
pub fn analyse_sums(files: &[String], codebook: &Codebook, opts: &Options) -> Result<Results> {
    opts.check()?;
    let codebook = &opts.with_design(codebook);
    let query::Planned {
        plan,
        columns,
        segments,
        weight,
        made_with,
    } = query::plan_for(codebook, opts)?;
    let key = query::query_key(&plan, &columns, &codebook.question_ids(), &made_with)
        .map_err(|u| Error::Usage(format!("--sums: {}", u.0)))?;
    let (tab, digest) = sums::tabulation(files, &plan, codebook, (opts.lenient, &key))?;
    let name = files.join(" + ");
    let names: Vec<String> = files
        .iter()
        .map(|f| {
            std::path::Path::new(f)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| f.clone())
        })
        .collect();
    let input = Input {
        path: names.join(" + "),
        blake3: digest.to_hex().to_string(),
        rows: tab.rows,
        from_sums: true,
    };
    crate::estimate::finish(codebook, opts, &segments, &name, &tab, input, weight)
}
