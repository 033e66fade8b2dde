//! The sums' wire format, owned here: what the query of `concerns sql` writes and
//! `table --sums` reads — the kinds of row, the columns, where a row stands after the
//! screeners and checks, and the query key.

/// What one row of the sums holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The counts of every row read (one row per file, with the checks and the key).
    Rows,
    /// Valid rows a screener excludes (`state` the screener).
    Excluded,
    /// The kept rows of one weight (`value`), for the weight warning.
    Weight,
    /// Rows kept by the screeners and outside `--where`.
    Filtered,
    /// The rows breaking one rule (`state` the rule, `value` an example).
    Invalid,
    /// One PSU of the design (`value` its fpc).
    Unit,
    /// A question's cell outside `--where` (still in the design).
    Outside,
    /// A question's cell: its answer state and the sums of its respondents.
    Cell,
    /// The base of a question summed per item.
    Base,
    /// One item or net of a question summed per item.
    Item,
    /// As `item`, outside `--where`.
    OutsideItem,
}

impl Kind {
    const ALL: [Kind; 11] = [
        Kind::Rows,
        Kind::Excluded,
        Kind::Weight,
        Kind::Filtered,
        Kind::Invalid,
        Kind::Unit,
        Kind::Outside,
        Kind::Cell,
        Kind::Base,
        Kind::Item,
        Kind::OutsideItem,
    ];

    /// As the `kind` column writes it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Rows => "rows",
            Kind::Excluded => "excluded",
            Kind::Weight => "weight",
            Kind::Filtered => "filtered",
            Kind::Invalid => "invalid",
            Kind::Unit => "unit",
            Kind::Outside => "outside",
            Kind::Cell => "cell",
            Kind::Base => "base",
            Kind::Item => "item",
            Kind::OutsideItem => "outside_item",
        }
    }

    /// The kind a `kind` field names.
    pub(crate) fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == text)
    }

    /// As an SQL literal.
    pub(crate) fn lit(self) -> String {
        format!("'{}'", self.name())
    }
}

/// The columns of the sums.
pub(crate) mod column {
    pub(crate) const KIND: &str = "kind";
    pub(crate) const NAME: &str = "name";
    pub(crate) const STRATUM: &str = "stratum";
    pub(crate) const PSU: &str = "psu";
    pub(crate) const STATE: &str = "state";
    pub(crate) const ITEM: &str = "item";
    pub(crate) const N: &str = "n";
    pub(crate) const W: &str = "w";
    pub(crate) const W2: &str = "w2";
    pub(crate) const WF: &str = "wf";
    pub(crate) const WF2: &str = "wf2";
    pub(crate) const PARTIAL: &str = "partial";
    pub(crate) const VALUE: &str = "value";
    pub(crate) const DUPLICATE_IDS: &str = "duplicate_ids";
    pub(crate) const UNMARKED_IDS: &str = "unmarked_ids";
    pub(crate) const INVALID_ROWS: &str = "invalid_rows";
    pub(crate) const QUERY_KEY: &str = "query_key";
    pub(crate) const WEIGHT_MAX: &str = "weight_max";
    pub(crate) const WEIGHT_MAX_FLOAT: &str = "weight_max_float";

    /// The column of grouping `j` (a `--by` segment or a contrast's question).
    pub(crate) fn group(j: usize) -> String {
        format!("g{j}")
    }

    /// The grouping a column is, if it is one.
    pub(crate) fn group_index(name: &str) -> Option<usize> {
        name.strip_prefix('g')?.parse().ok()
    }
}

/// Where a row stands after the screeners and the checks (the query's `excluded_by`): the
/// index of the screener that excludes it (0, 1, …), or one of these.
pub(crate) mod row {
    /// Kept: in the bases.
    pub(crate) const KEPT: i64 = -1;
    /// A problem in the row (a rule broken): counted as invalid, in no cell.
    pub(crate) const PROBLEM: i64 = -2;
    /// Kept by the screeners, outside `--where`: in the design, in no base.
    pub(crate) const OUTSIDE_FILTER: i64 = -3;
}

/// The query key: the first 32 hex digits of the BLAKE3 digest of the query's DuckDB text
/// for these options, then the options in words (to name them when sums are refused).
pub(crate) fn key(query_text: &str, options: &str) -> String {
    let digest = blake3::hash(query_text.as_bytes()).to_hex();
    format!("{} {options}", &digest[..32])
}

/// The digest part of a key: only it decides whether sums fit the options.
pub(crate) fn key_digest(key: &str) -> &str {
    key.split(' ').next().unwrap_or_default()
}

/// The options part of a key, if it has one.
pub(crate) fn key_options(key: &str) -> Option<&str> {
    key.split_once(' ').map(|(_, options)| options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_keys_read_back_as_written() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.name()), Some(kind));
        }
        assert_eq!(Kind::parse("cells"), None);
        let k = key("SELECT 1", "codebook 'x', no --by");
        assert_eq!(key_digest(&k).len(), 32);
        assert_eq!(key_options(&k), Some("codebook 'x', no --by"));
        assert_eq!(column::group_index(&column::group(12)), Some(12));
        assert_eq!(column::group_index("gender"), None);
    }
}
