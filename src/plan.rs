//! The codebook compiled against one file's header: which fields to read and what each
//! value means. Every input (the CSV scanner, Parquet, SPSS) hands records to [`Plan::eval`],
//! so the rules of validity and of who counts where exist once.

use std::borrow::Cow;

use crate::codebook::{Codebook, Coding, ItemBase, Kind, Question, Segment};
use crate::load::record::Fields;

/// One validity rule, as the messages and the `--lenient` summary name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub column: String,
    pub expected: Expect,
    /// What to change when the value is not a mistake in the data.
    pub hint: Option<String>,
}

/// What a rule expects, in any language of the catalogue: a key of `locales/*.toml`
/// ("expect_…") and its values. Displayed, it is the English (error messages are English).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    key: &'static str,
    values: Vec<(&'static str, String)>,
}

impl Expect {
    fn new(key: &'static str, values: &[(&'static str, String)]) -> Expect {
        Expect {
            key,
            values: values.to_vec(),
        }
    }

    /// The expectation as a catalogue message.
    pub fn said(&self) -> crate::error::Said {
        crate::error::Said {
            key: self.key,
            values: (self.values.iter())
                .map(|(k, v)| (*k, crate::error::Arg::Text(v.clone())))
                .collect(),
        }
    }

    /// "a respondent ID (not empty)", "идентификатор респондента (не пустой)".
    pub fn text(&self, lang: crate::locale::Lang) -> String {
        let values: Vec<(&str, &str)> = self.values.iter().map(|(k, v)| (*k, v.as_str())).collect();
        crate::locale::words(lang).fill(self.key, &values)
    }
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text(crate::locale::Lang::En))
    }
}

/// What one field of a record broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadValue {
    /// Index into [`Plan::rules`].
    pub rule: usize,
    /// The value as found (`None`: empty).
    pub value: Option<String>,
}

/// The answer of one question in one record: for a single choice 0 (not answered) or
/// item index + 1; for a multi-response question bit 0 = answered, bit i + 1 = item i
/// selected, and with a base per item bit k + 1 + i = item i blank (k items).
pub type State = u64;

/// The answer states, defined once: the reader ([`Plan::eval`]) builds them from a record,
/// the query of `concerns sql` from a row, and the tally reads them, all with these.
pub(crate) mod states {
    use super::State;

    /// A single choice left blank; a multi-response question with no item answered.
    pub const NONE: State = 0;
    /// Bit 0 of a multi-response state: the question was answered.
    pub const ANSWERED: State = 1;

    /// The state of a single choice of item `i`.
    pub const fn single(i: usize) -> State {
        i as State + 1
    }

    /// The bit of a multi-response state that says item `i` is selected.
    pub const fn selected_bit(i: usize) -> usize {
        i + 1
    }

    /// The bit that says item `i` of `k` was left blank (questions with a base per item).
    pub const fn blank_bit(k: usize, i: usize) -> usize {
        k + 1 + i
    }

    /// Whether bit `bit` of state `s` is set.
    pub const fn has(s: State, bit: usize) -> bool {
        s >> bit & 1 == 1
    }
}

/// Bits of a multi-response state up to which answer patterns are few (2,048): counted
/// densely by the reader, and summed per pattern by `concerns sql`.
const FEW_PATTERN_BITS: usize = 11;

/// Number of distinct states of a question, when small enough to count densely.
pub fn dense_states(q: &QuestionPlan) -> Option<usize> {
    match q {
        QuestionPlan::Single { codes, .. } => Some(codes.len() + 1),
        QuestionPlan::Multi { .. } => {
            let bits = q.state_bits();
            (bits <= FEW_PATTERN_BITS).then(|| 1 << bits)
        }
    }
}

impl QuestionPlan {
    /// Whether each item has its own base (a blank item is unanswered, not "not selected").
    pub fn each_item(&self) -> bool {
        matches!(
            self,
            QuestionPlan::Multi {
                form: MultiForm::Dichotomies {
                    each_item: true,
                    ..
                },
                ..
            }
        )
    }

    /// Bits of a multi-response state: answered, selected per item, blank per item.
    fn state_bits(&self) -> usize {
        match self {
            QuestionPlan::Single { .. } => 0,
            QuestionPlan::Multi { items, .. } => 1 + items * (1 + self.each_item() as usize),
        }
    }

    /// Whether `s` is an answer state this question can have.
    pub fn valid_state(&self, s: State) -> bool {
        match self {
            QuestionPlan::Single { codes, .. } => s <= codes.len() as State,
            QuestionPlan::Multi { .. } => {
                let bits = self.state_bits();
                bits >= State::BITS as usize || s < 1 << bits
            }
        }
    }

    /// Whether sums of this question are kept per item (and net) rather than per answer
    /// pattern: a "check all" of many items, whose patterns could be as many as its
    /// respondents. `concerns sql` sums it so, and the sums reader reads it so.
    pub fn summed_per_item(&self) -> bool {
        matches!(self, QuestionPlan::Multi { .. }) && dense_states(self).is_none()
    }

    /// Items of the question.
    pub fn items(&self) -> usize {
        match self {
            QuestionPlan::Single { codes, .. } => codes.len(),
            QuestionPlan::Multi { items, .. } => *items,
        }
    }

    /// Its nets: per net, the indices of the items it combines.
    pub fn nets(&self) -> &[Vec<usize>] {
        match self {
            QuestionPlan::Single { nets, .. } | QuestionPlan::Multi { nets, .. } => nets,
        }
    }

    /// Rows of sums: the items, then the nets.
    pub fn rows(&self) -> usize {
        self.items() + self.nets().len()
    }

    /// Whether row `i` (an item, or past the items a net) is selected in state `s`: a net
    /// when any of its answered items is.
    #[inline]
    pub fn selected(&self, s: State, i: usize) -> bool {
        let items = self.items();
        if i >= items {
            return self.nets()[i - items]
                .iter()
                .any(|&m| self.item_selected(s, m) && !self.item_unanswered(s, m));
        }
        self.item_selected(s, i)
    }

    /// Whether row `i` is outside its own base in state `s` (blank, with a base per item):
    /// a net when every item it combines is.
    #[inline]
    pub fn unanswered(&self, s: State, i: usize) -> bool {
        let items = self.items();
        if i >= items {
            return self.nets()[i - items]
                .iter()
                .all(|&m| self.item_unanswered(s, m));
        }
        self.item_unanswered(s, i)
    }

    #[inline]
    fn item_selected(&self, s: State, i: usize) -> bool {
        match self {
            QuestionPlan::Single { .. } => s == states::single(i),
            QuestionPlan::Multi { .. } => states::has(s, states::selected_bit(i)),
        }
    }

    #[inline]
    fn item_unanswered(&self, s: State, i: usize) -> bool {
        match self {
            QuestionPlan::Multi { items, .. } if self.each_item() => {
                states::has(s, states::blank_bit(*items, i))
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
pub enum QuestionPlan {
    Single {
        column: usize,
        codes: Codes,
        rule: usize,
        nets: Vec<Vec<usize>>,
    },
    Multi {
        items: usize,
        form: MultiForm,
        nets: Vec<Vec<usize>>,
    },
}

#[derive(Debug, Clone)]
pub enum MultiForm {
    /// One column per item; `rules[i]` guards column i.
    Dichotomies {
        columns: Vec<usize>,
        coding: Coding,
        /// A blank item is outside that item's base (`base = "each_item"`).
        each_item: bool,
        rules: Vec<usize>,
    },
    /// One column of codes joined by a separator.
    Delimited {
        column: usize,
        separator: Separator,
        /// (code, item index), longest code first so codes containing the delimiter win.
        codes: Vec<(Vec<u8>, usize)>,
        unlisted: Option<usize>,
        rule: usize,
    },
}

/// What joins the codes of a delimited cell. White space around a separator is not part of
/// it (`" ; "` is `;`), so a separator of white space alone (a space, a tab) is any run of
/// white space. The SQL of `concerns sql` splits cells by the same rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Separator {
    Text(Vec<u8>),
    Space,
}

impl Separator {
    /// The separator a codebook's `delimiter` stands for.
    pub fn of(delimiter: &str) -> Separator {
        match delimiter.as_bytes().trim_ascii() {
            [] => Separator::Space,
            text => Separator::Text(text.to_vec()),
        }
    }

    /// What follows one separator at the start of `after` (white space around it skipped),
    /// or `None` when `after` does not start with one. `after` is what follows a code.
    fn after<'a>(&self, after: &'a [u8]) -> Option<&'a [u8]> {
        let rest = after.trim_ascii_start();
        match self {
            Separator::Text(t) => rest
                .strip_prefix(t.as_slice())
                .map(<[u8]>::trim_ascii_start),
            Separator::Space => (rest.len() < after.len()).then_some(rest),
        }
    }

    /// Where the first separator in `cell` starts, and where the text after it starts.
    fn find(&self, cell: &[u8]) -> Option<(usize, usize)> {
        match self {
            Separator::Text(t) => find(cell, t).map(|at| (at, at + t.len())),
            Separator::Space => cell
                .iter()
                .position(u8::is_ascii_whitespace)
                .map(|at| (at, at)),
        }
    }
}

impl std::fmt::Display for Separator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Separator::Text(t) => write!(f, "'{}'", String::from_utf8_lossy(t)),
            Separator::Space => write!(f, "white space"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExclusionPlan {
    pub column: usize,
    pub codes: Codes,
    /// Per code: does it exclude the respondent?
    pub excludes: Vec<bool>,
    pub rule: usize,
}

/// The codebook against one header.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Fields the header has; a record with another number is ragged.
    pub width: usize,
    pub id: Option<usize>,
    pub weight: Option<(usize, usize)>,
    pub exclusions: Vec<ExclusionPlan>,
    pub questions: Vec<QuestionPlan>,
    /// Columns whose values form groups: `--by` segments, then contrast questions.
    pub groupings: Vec<usize>,
    pub synthetic_prefix: Option<Vec<u8>>,
    pub rules: Vec<Rule>,
    /// The rule that the respondent ID is not blank.
    id_rule: Option<usize>,
    /// Segments that list their values: (column, codes, rule).
    segment_rules: Vec<(usize, Codes, usize)>,
    /// Strata, clusters and finite population correction, when the design has them.
    pub design: Option<DesignPlan>,
    /// `--where`: respondents outside it stay in the design but in no base.
    pub filter: Option<crate::codebook::domain::Filter>,
    /// Places that read codes through a [`Memo`] (see [`Eval::memos`]).
    memo_places: usize,
}

/// Where the design's columns are, and the rules their values follow.
#[derive(Debug, Clone)]
pub struct DesignPlan {
    /// (column, rule): a stratum is not empty.
    pub strata: Option<(usize, usize)>,
    /// (column, rule): a PSU is not empty.
    pub psu: Option<(usize, usize)>,
    /// (column, rule): a positive number.
    pub fpc: Option<(usize, usize)>,
    pub lonely: crate::codebook::LonelyPsu,
}

/// The codes of one column. This lookup runs for every field of every record, on answers
/// in random order, so it avoids branches that depend on the answer: each code has a key
/// (length, first and last byte), every key is compared, and only the one candidate is
/// checked byte by byte.
#[derive(Debug, Clone)]
pub struct Codes {
    codes: Vec<Vec<u8>>,
    keys: Vec<u32>,
}

/// Length, first and last byte of a short value, in one comparable word.
#[inline(always)]
fn code_key(v: &[u8]) -> u32 {
    match v {
        [] => 0,
        [first, .., last] => (v.len() as u32) << 16 | (*first as u32) << 8 | *last as u32,
        [only] => 1 << 16 | (*only as u32) << 8 | *only as u32,
    }
}

impl Codes {
    pub fn new(codes: &[String]) -> Codes {
        Codes {
            codes: codes.iter().map(|c| c.as_bytes().to_vec()).collect(),
            keys: codes.iter().map(|c| code_key(c.as_bytes())).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// The codes, in order.
    pub fn values(&self) -> &[Vec<u8>] {
        &self.codes
    }

    /// Position of `v` among the codes.
    #[inline]
    pub fn find(&self, v: &[u8]) -> Option<usize> {
        if v.is_empty() {
            return None;
        }
        let key = code_key(v);
        let mut candidate = usize::MAX;
        for (k, &x) in self.keys.iter().enumerate() {
            candidate = if x == key { k } else { candidate };
        }
        match self.codes.get(candidate) {
            Some(c) if same(c, v) => Some(candidate),
            // Two codes with one key, or no code at all.
            _ => self.codes.iter().position(|c| same(c, v)),
        }
    }
}

/// What [`Plan::eval`] makes of one valid record.
#[derive(Debug, Clone, Default)]
pub struct Eval {
    /// 1.0 when unweighted.
    pub weight: f64,
    /// The weight in billionths when its text is a decimal with at most nine decimals
    /// (as survey weights are), so sums of it are exact integers.
    pub fixed: Option<u64>,
    /// Index of the exclusion that applies, if any.
    pub excluded_by: Option<usize>,
    pub states: Vec<State>,
    /// The finite population correction of the record, when the design has one.
    pub fpc: Option<f64>,
    /// Per question: a "check all" answered in some item columns and left blank in others.
    pub partial: Vec<bool>,
    /// Outside the `--where` filter.
    pub filtered_out: bool,
    /// Per place of the plan that reads codes: screeners, segments, then per question one
    /// (a single choice) or one per item (0/1 items).
    pub memos: Vec<Memo>,
}

/// What [`Plan::eval`] made of each entry of the last table (see [`Entry`]) met at one place
/// of the plan: a code column read through a dictionary is matched once per entry.
#[derive(Debug, Clone, Default)]
pub struct Memo {
    table: u64,
    /// Per key: 0 while not made, else what was made + 1.
    made: Vec<u32>,
}

impl Memo {
    /// `make` of the field's trimmed text, made once per entry when the input has a table.
    #[inline(always)]
    pub fn of<F: Fields>(&mut self, rec: &F, c: usize, mut make: impl FnMut(&[u8]) -> u32) -> u32 {
        let text = |make: &mut dyn FnMut(&[u8]) -> u32| {
            let raw = rec.get(c).unwrap_or(Cow::Borrowed(&[]));
            make(trim(&raw))
        };
        // A table larger than any code list (a dictionary of free text) is read as text:
        // the memo stays small whatever a file declares.
        let Some(e) = rec.entry(c).filter(|e| e.keys <= MEMO_MOST) else {
            return text(&mut make);
        };
        if self.table != e.table {
            self.table = e.table;
            self.made.clear();
            self.made.resize(e.keys as usize, 0);
        }
        match self.made.get_mut(e.key as usize) {
            Some(0) => {
                let v = text(&mut make);
                self.made[e.key as usize] = v.saturating_add(1);
                v
            }
            Some(v) => *v - 1,
            None => text(&mut make),
        }
    }
}

/// Entries of a table a [`Memo`] keeps verdicts for.
const MEMO_MOST: u32 = 1 << 16;

/// A value among codes, as a [`Memo`] keeps it: [`BLANK`], [`OTHER`] or the code's index + 2.
const BLANK: u32 = 0;
const OTHER: u32 = 1;

#[inline(always)]
fn code_found(codes: &Codes, v: &[u8]) -> u32 {
    if v.is_empty() {
        BLANK
    } else {
        codes.find(v).map_or(OTHER, |i| i as u32 + 2)
    }
}

/// A 0/1 item's value as bits: blank, "1", "0" (none of them: something else).
#[inline(always)]
fn dichotomy_found(v: &[u8]) -> u32 {
    v.is_empty() as u32 | ((v == b"1") as u32) << 1 | ((v == b"0") as u32) << 2
}

fn quoted_list(codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Byte equality for the short values of survey data, without a library call for the
/// lengths that matter (codes, IDs and grouping values are mostly under 17 bytes).
#[inline(always)]
pub fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word =
        |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or_default());
    let half =
        |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or_default());
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n - 1] == b[n - 1] && a[n / 2] == b[n / 2],
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        17..=32 => {
            word(a, 0) == word(b, 0)
                && word(a, 8) == word(b, 8)
                && word(a, n - 16) == word(b, n - 16)
                && word(a, n - 8) == word(b, n - 8)
        }
        _ => a == b,
    }
}

/// `(length, bytes)` order: IDs of one width, numeric or zero-padded, sort as numbers.
#[inline(always)]
pub fn id_less(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return a.len() < b.len();
    }
    let n = a.len();
    if (8..=16).contains(&n) {
        let word =
            |s: &[u8], at: usize| u64::from_be_bytes(s[at..at + 8].try_into().unwrap_or_default());
        let (x, y) = (word(a, 0), word(b, 0));
        if x != y {
            return x < y;
        }
        return word(a, n - 8) < word(b, n - 8);
    }
    a < b
}

/// Surrounding spaces are not part of a code (SPSS pads strings, spreadsheets add them).
pub fn trim(v: &[u8]) -> &[u8] {
    v.trim_ascii()
}

/// A value as a problem quotes it (clipped: a cell may hold megabytes).
fn text(v: &[u8]) -> String {
    crate::text::clip(&String::from_utf8_lossy(v))
}

/// A column the plan needs and the header lacks (the header check names it first, so
/// this is a safeguard, not a message users see).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingColumn(pub String);

/// A column's position in the header.
pub fn position(columns: &[String], name: &str) -> Option<usize> {
    columns.iter().position(|c| c == name)
}

impl Plan {
    /// The rule that the respondent ID is not blank.
    pub fn id_rule(&self) -> Option<usize> {
        self.id_rule
    }

    /// Segments that list their values: (column, codes, rule).
    pub fn segment_rules(&self) -> &[(usize, Codes, usize)] {
        &self.segment_rules
    }

    /// Compiles `codebook` against `columns` (the header, already checked to hold every
    /// needed column), with the weight column in use and the grouping columns.
    /// `segments`: the segments whose values are checked (those that list values).
    pub fn new(
        codebook: &Codebook,
        columns: &[String],
        weight: Option<&str>,
        groupings: &[String],
        segments: &[&Segment],
    ) -> Result<Plan, MissingColumn> {
        // Every name is looked up; the first one missing is the error.
        let missing = std::cell::RefCell::new(None);
        let at = |name: &str| {
            position(columns, name).unwrap_or_else(|| {
                missing.borrow_mut().get_or_insert_with(|| name.to_string());
                columns.len()
            })
        };
        let mut rules = Vec::new();
        let mut rule = |column: &str, expected: Expect, hint: Option<String>| {
            rules.push(Rule {
                column: column.to_string(),
                expected,
                hint,
            });
            rules.len() - 1
        };
        let id_rule = codebook
            .respondent_id
            .as_deref()
            .map(|c| rule(c, Expect::new("expect_id", &[]), None));
        let weight = weight.map(|w| (at(w), weight_rule(w, &mut rule)));
        let design =
            (codebook.design.is_complex()).then(|| design_plan(&codebook.design, &at, &mut rule));
        let exclusions: Vec<_> = codebook
            .exclude
            .iter()
            .map(|e| exclusion_plan(e, &at, &mut rule))
            .collect();
        let questions: Vec<_> = codebook
            .questions
            .iter()
            .map(|q| question_plan(q, &at, &mut rule))
            .collect();
        let segment_rules: Vec<_> = segments
            .iter()
            .filter(|s| !s.values.is_empty() && position(columns, &s.column).is_some())
            .map(|s| segment_plan(s, &at, &mut rule))
            .collect();
        let memo_places = exclusions.len()
            + segment_rules.len()
            + questions.iter().map(memo_places).sum::<usize>();
        let plan = Plan {
            memo_places,
            width: columns.len(),
            id: codebook.respondent_id.as_deref().map(at),
            weight,
            exclusions,
            questions,
            groupings: groupings.iter().map(|g| at(g)).collect(),
            synthetic_prefix: codebook
                .survey
                .synthetic_id_prefix
                .as_ref()
                .map(|p| p.as_bytes().to_vec()),
            rules,
            id_rule,
            segment_rules,
            design,
            filter: None,
        };
        match missing.into_inner() {
            Some(name) => Err(MissingColumn(name)),
            None => Ok(plan),
        }
    }

    /// Restricts the bases to the `--where` domain, compiled against the header's
    /// `columns` (the reader's and the query's plans compile it here alike).
    pub fn restrict(
        &mut self,
        filter: Option<&str>,
        codebook: &Codebook,
        columns: &[String],
    ) -> crate::error::Result<()> {
        self.filter = filter
            .map(|f| crate::codebook::domain::compile(f, "--where", codebook, columns))
            .transpose()?;
        Ok(())
    }

    /// A plan that reads nothing: records are only counted and their width checked.
    pub fn structure(width: usize) -> Plan {
        Plan {
            memo_places: 0,
            width,
            id: None,
            weight: None,
            exclusions: Vec::new(),
            questions: Vec::new(),
            groupings: Vec::new(),
            synthetic_prefix: None,
            rules: Vec::new(),
            id_rule: None,
            segment_rules: Vec::new(),
            design: None,
            filter: None,
        }
    }

    /// Header positions of every field the plan reads.
    pub fn columns(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.id.into_iter().collect();
        v.extend(self.weight.map(|(c, _)| c));
        if let Some(d) = &self.design {
            v.extend(
                [d.strata, d.psu, d.fpc]
                    .into_iter()
                    .flatten()
                    .map(|(c, _)| c),
            );
        }
        v.extend(self.exclusions.iter().map(|e| e.column));
        for q in &self.questions {
            match q {
                QuestionPlan::Single { column, .. } => v.push(*column),
                QuestionPlan::Multi { form, .. } => match form {
                    MultiForm::Dichotomies { columns, .. } => v.extend(columns),
                    MultiForm::Delimited { column, .. } => v.push(*column),
                },
            }
        }
        v.extend(&self.groupings);
        v.extend(self.segment_rules.iter().map(|s| s.0));
        if let Some(f) = &self.filter {
            f.test.columns(&mut v);
        }
        v
    }

    /// Evaluates one record into `out`; every broken rule goes to `bad_values` (in the
    /// order of the rules). The record is valid when none was added.
    // It stays whole: the hot loop, once per record and field (10M rows in about a second);
    // its steps share the record's fields and `out` without copying them between calls.
    pub fn eval<F: Fields>(&self, rec: &F, out: &mut Eval, bad_values: &mut Vec<BadValue>) {
        let field = |c: usize| rec.get(c).unwrap_or(Cow::Borrowed(&[]));
        out.weight = 1.0;
        out.fixed = Some(FIXED_ONE);
        if let (Some(c), Some(rule)) = (self.id, self.id_rule) {
            if trim(&field(c)).is_empty() {
                bad_values.push(BadValue { rule, value: None });
            }
        }
        if let Some((c, rule)) = self.weight {
            let parsed = match rec.number(c) {
                // A stored number, read as its CSV text would be (no text made).
                Some(x) => {
                    out.fixed = x.and_then(fixed_number);
                    match out.fixed {
                        Some(m) => Some(m as f64 / FIXED_ONE as f64),
                        None => x.filter(|w| (MIN_WEIGHT..=MAX_WEIGHT).contains(w)),
                    }
                }
                None => {
                    let raw = field(c);
                    let v = trim(&raw);
                    out.fixed = fixed_weight(v);
                    match out.fixed {
                        Some(m) => Some(m as f64 / FIXED_ONE as f64),
                        None => parse_weight(v),
                    }
                }
            };
            match parsed {
                Some(w) => out.weight = w,
                None => {
                    let raw = field(c);
                    bad_values.push(BadValue {
                        rule,
                        value: (!trim(&raw).is_empty()).then(|| text(&raw)),
                    })
                }
            }
        }
        if let Some(d) = &self.design {
            for (c, rule) in [d.strata, d.psu].into_iter().flatten() {
                if trim(&field(c)).is_empty() {
                    bad_values.push(BadValue { rule, value: None });
                }
            }
            out.fpc = None;
            if let Some((c, rule)) = d.fpc {
                let raw = field(c);
                let v = trim(&raw);
                match parse_fpc(v) {
                    Some(f) => out.fpc = Some(f),
                    None => bad_values.push(BadValue {
                        rule,
                        value: (!v.is_empty()).then(|| text(v)),
                    }),
                }
            }
        }
        out.excluded_by = None;
        if out.memos.len() != self.memo_places {
            out.memos = vec![Memo::default(); self.memo_places];
        }
        let (screeners, memos) = out.memos.split_at_mut(self.exclusions.len());
        let (segments, mut memos) = memos.split_at_mut(self.segment_rules.len());
        let value = |c: usize| {
            let raw = field(c);
            let v = trim(&raw);
            (!v.is_empty()).then(|| text(v))
        };
        for (k, (e, memo)) in self.exclusions.iter().zip(screeners).enumerate() {
            match memo.of(rec, e.column, |v| code_found(&e.codes, v)) {
                BLANK | OTHER => bad_values.push(BadValue {
                    rule: e.rule,
                    value: value(e.column),
                }),
                i => {
                    if e.excludes[i as usize - 2] && out.excluded_by.is_none() {
                        out.excluded_by = Some(k);
                    }
                }
            }
        }
        for ((c, codes, rule), memo) in self.segment_rules.iter().zip(segments) {
            if memo.of(rec, *c, |v| code_found(codes, v)) == OTHER {
                bad_values.push(BadValue {
                    rule: *rule,
                    value: value(*c),
                });
            }
        }
        out.filtered_out = self.filter.as_ref().is_some_and(|f| !f.test.keeps(&field));
        out.states.clear();
        out.partial.clear();
        for q in &self.questions {
            let mut partial = false;
            let state = match q {
                QuestionPlan::Single {
                    column,
                    codes,
                    rule,
                    ..
                } => {
                    let (memo, rest) = std::mem::take(&mut memos).split_at_mut(1);
                    memos = rest;
                    match memo[0].of(rec, *column, |v| code_found(codes, v)) {
                        BLANK => states::NONE,
                        OTHER => {
                            bad_values.push(BadValue {
                                rule: *rule,
                                value: value(*column),
                            });
                            states::NONE
                        }
                        i => states::single(i as usize - 2),
                    }
                }
                QuestionPlan::Multi { form, .. } => {
                    let places = memo_places(q);
                    let (mine, rest) = std::mem::take(&mut memos).split_at_mut(places);
                    memos = rest;
                    multi_state(form, (rec, mine), bad_values, &mut partial)
                }
            };
            out.states.push(state);
            out.partial.push(partial);
        }
    }
}

/// Places of a question that read codes through a [`Memo`]: a single choice's column, each
/// 0/1 item's column (a delimited column is read whole).
fn memo_places(q: &QuestionPlan) -> usize {
    match q {
        QuestionPlan::Single { .. } => 1,
        QuestionPlan::Multi {
            form: MultiForm::Dichotomies { columns, .. },
            ..
        } => columns.len(),
        QuestionPlan::Multi { .. } => 0,
    }
}

/// The state of a "check all" question in one record (see [`State`]).
// It stays whole: the innermost hot loop, once per item of every record, written without
// branches on the answers (answers are random; branches mispredict).
fn multi_state<F: Fields>(
    form: &MultiForm,
    (rec, memos): (&F, &mut [Memo]),
    bad_values: &mut Vec<BadValue>,
    partial: &mut bool,
) -> State {
    let field = |c: usize| rec.get(c).unwrap_or(Cow::Borrowed(&[]));
    let mut state: State = states::NONE;
    match form {
        MultiForm::Dichotomies {
            columns,
            coding,
            each_item,
            rules,
        } => {
            let mut blanks = 0u32;
            let k = columns.len();
            for (i, ((&c, &rule), memo)) in columns.iter().zip(rules).zip(memos).enumerate() {
                let found = memo.of(rec, c, dichotomy_found);
                let blank = found & 1;
                blanks += blank;
                state |= ((blank == 1 && *each_item) as u64) << states::blank_bit(k, i);
                // Without branches on the answer: answers are random, branches mispredict.
                let one = (found >> 1 & 1) as u64;
                let zero = (found >> 2 & 1) as u64;
                let filled = (blank ^ 1) as u64;
                match coding {
                    Coding::ZeroOne => {
                        state |= (one | zero) * states::ANSWERED | one << states::selected_bit(i);
                        if filled & !(one | zero) & 1 == 1 {
                            bad_values.push(BadValue {
                                rule,
                                value: Some(text(trim(&field(c)))),
                            });
                        }
                    }
                    Coding::Filled => {
                        state |= filled * states::ANSWERED | filled << states::selected_bit(i)
                    }
                }
            }
            // With 0/1 coding a blank item beside answered ones is not "not selected" by
            // itself: it is counted and said. (Filled coding has no blank answers.)
            let answered = state & states::ANSWERED;
            *partial = *coding == Coding::ZeroOne && answered != 0 && blanks > 0;
            // No item answered: not in the base, whatever the blank bits say.
            state &= answered.wrapping_neg();
        }
        MultiForm::Delimited {
            column,
            separator,
            codes,
            unlisted,
            rule,
        } => {
            let raw = field(*column);
            let mut rest = trim(&raw);
            if rest.is_empty() {
                return states::NONE;
            }
            state = states::ANSWERED;
            while !rest.is_empty() {
                // The longest code that ends at a separator or at the end of the cell.
                let hit = codes.iter().find_map(|(code, item)| {
                    let after = rest.strip_prefix(code.as_slice())?;
                    if after.trim_ascii_start().is_empty() {
                        Some((*item, &after[after.len()..]))
                    } else {
                        separator.after(after).map(|a| (*item, a))
                    }
                });
                match hit {
                    Some((item, after)) => {
                        state |= 1 << states::selected_bit(item);
                        rest = after;
                    }
                    None => {
                        let (end, next) = separator.find(rest).unwrap_or((rest.len(), rest.len()));
                        let token = trim(&rest[..end]);
                        match unlisted {
                            Some(item) if !token.is_empty() => {
                                state |= 1 << states::selected_bit(*item)
                            }
                            _ if token.is_empty() => {}
                            _ => bad_values.push(BadValue {
                                rule: *rule,
                                value: Some(text(token)),
                            }),
                        }
                        rest = rest.get(next..).unwrap_or_default().trim_ascii_start();
                    }
                }
            }
        }
    }
    state
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// A finite population correction: a positive, finite number.
pub fn parse_fpc(v: &[u8]) -> Option<f64> {
    std::str::from_utf8(v)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|f| f.is_finite() && *f > 0.0)
}

/// One in the units of [`Eval::fixed`].
pub const FIXED_ONE: u64 = 1_000_000_000;

/// Largest fixed-point weight (10⁶): squares of 10⁸ such weights still fit in a u128.
const FIXED_MAX: u64 = 1_000_000 * FIXED_ONE;

/// A positive weight written as plain decimal digits with at most nine decimals, in
/// billionths; `None` for anything else (which [`parse_weight`] then reads as a float).
#[inline]
pub fn fixed_weight(v: &[u8]) -> Option<u64> {
    let (int, frac) = match memchr::memchr(b'.', v) {
        Some(dot) => (&v[..dot], &v[dot + 1..]),
        None => (v, &v[..0]),
    };
    if int.len() > 7 || frac.len() > 9 || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    let mut m: u64 = 0;
    for &b in int.iter().chain(frac) {
        if !b.is_ascii_digit() {
            return None;
        }
        m = m * 10 + (b - b'0') as u64;
    }
    m *= 10u64.pow(9 - frac.len() as u32);
    (m > 0 && m <= FIXED_MAX).then_some(m)
}

/// [`fixed_weight`] of the shortest text of `x` (the text a CSV export writes), without
/// making it: that text has at most nine decimals exactly when `x` is the double nearest
/// some number of billionths m, and then m = ⌊x·10⁹ + ½⌋ (for m up to [`FIXED_MAX`] the
/// product is within 0.2 of m, and no other multiple of 10⁻⁹ rounds to the same double).
#[inline]
pub fn fixed_number(x: f64) -> Option<u64> {
    // Rounded by a saturating cast (one instruction; `round` is a library call): negative,
    // NaN and huge values give 0 or u64::MAX, which the checks refuse.
    let m = (x * FIXED_ONE as f64 + 0.5) as u64;
    (m > 0 && m <= FIXED_MAX && m as f64 / FIXED_ONE as f64 == x).then_some(m)
}

/// Smallest and largest survey weight accepted. Only ratios of weights matter, and within
/// these bounds every sum of weights and of their squares stays far from overflow and
/// underflow (10⁹ rows of 10⁹ give Σw² = 10²⁷).
pub const MIN_WEIGHT: f64 = 1e-9;
pub const MAX_WEIGHT: f64 = 1e9;

/// A weight's text as every path reads it (the file reader, the sums reader, `weight`'s
/// base weights): a decimal exactly, else a number from [`MIN_WEIGHT`] to [`MAX_WEIGHT`].
pub fn read_weight(v: &[u8]) -> Option<f64> {
    fixed_weight(v)
        .map(|m| m as f64 / FIXED_ONE as f64)
        .or_else(|| parse_weight(v))
}

/// A survey weight: a number from [`MIN_WEIGHT`] to [`MAX_WEIGHT`].
pub fn parse_weight(v: &[u8]) -> Option<f64> {
    let w: f64 = fast_float2::parse(v).ok()?;
    (MIN_WEIGHT..=MAX_WEIGHT).contains(&w).then_some(w)
}

/// A screener: its column, codes, which of them exclude, and its rule.
fn exclusion_plan(
    e: &crate::codebook::Exclusion,
    at: &impl Fn(&str) -> usize,
    rule: &mut impl FnMut(&str, Expect, Option<String>) -> usize,
) -> ExclusionPlan {
    ExclusionPlan {
        column: at(&e.column),
        codes: Codes::new(&e.codes),
        excludes: e.codes.iter().map(|c| e.exclude.contains(c)).collect(),
        rule: rule(
            &e.column,
            Expect::new("expect_one_of", &[("codes", quoted_list(&e.codes))]),
            None,
        ),
    }
}

/// A segment that lists its values: (column, codes, rule).
fn segment_plan(
    s: &Segment,
    at: &impl Fn(&str) -> usize,
    rule: &mut impl FnMut(&str, Expect, Option<String>) -> usize,
) -> (usize, Codes, usize) {
    let codes: Vec<String> = s.values.iter().map(|v| v.code.clone()).collect();
    let expected = Expect::new(
        "expect_segment",
        &[("codes", quoted_list(&codes)), ("segment", s.id.clone())],
    );
    (
        at(&s.column),
        Codes::new(&codes),
        rule(&s.column, expected, None),
    )
}

/// The rule of the weight column.
fn weight_rule(w: &str, rule: &mut impl FnMut(&str, Expect, Option<String>) -> usize) -> usize {
    let range = [
        ("min", format!("{MIN_WEIGHT:e}")),
        ("max", format!("{MAX_WEIGHT:e}")),
    ];
    rule(w, Expect::new("expect_weight", &range), None)
}

/// The columns of a design with strata, clusters or an fpc, each with its rule.
fn design_plan(
    d: &crate::codebook::Design,
    at: &impl Fn(&str) -> usize,
    rule: &mut impl FnMut(&str, Expect, Option<String>) -> usize,
) -> DesignPlan {
    let mut unit = |c: &Option<String>, key: &'static str| {
        c.as_deref()
            .map(|c| (at(c), rule(c, Expect::new(key, &[]), None)))
    };
    DesignPlan {
        strata: unit(&d.strata, "expect_stratum"),
        psu: unit(&d.psu, "expect_psu"),
        fpc: unit(&d.fpc, "expect_fpc"),
        lonely: d.lonely_psu,
    }
}

fn question_plan(
    q: &Question,
    at: &impl Fn(&str) -> usize,
    rule: &mut impl FnMut(&str, Expect, Option<String>) -> usize,
) -> QuestionPlan {
    let codes: Vec<String> = q.items.iter().filter_map(|i| i.code.clone()).collect();
    // The codebook checked that every net names its question's items.
    let nets: Vec<Vec<usize>> = q
        .nets
        .iter()
        .map(|n| {
            n.items
                .iter()
                .filter_map(|id| q.items.iter().position(|i| &i.id == id))
                .collect()
        })
        .collect();
    match q.kind {
        Kind::SingleChoice => {
            let column = q.column.as_deref().unwrap_or_default();
            QuestionPlan::Single {
                column: at(column),
                codes: Codes::new(&codes),
                rule: rule(
                    column,
                    Expect::new("expect_single", &[("codes", quoted_list(&codes))]),
                    None,
                ),
                nets,
            }
        }
        Kind::MultiResponse => {
            let columns: Vec<&str> = q.columns();
            let expected = match q.coding {
                Coding::ZeroOne => Expect::new("expect_zero_one", &[]),
                Coding::Filled => Expect::new("expect_filled", &[]),
            };
            QuestionPlan::Multi {
                items: columns.len(),
                form: MultiForm::Dichotomies {
                    columns: columns.iter().map(|c| at(c)).collect(),
                    coding: q.coding,
                    each_item: q.base == ItemBase::EachItem,
                    rules: columns
                        .iter()
                        .map(|c| rule(c, expected.clone(), None))
                        .collect(),
                },
                nets,
            }
        }
        Kind::MultiResponseDelimited => delimited_plan(q, &codes, nets, at, rule),
    }
}

/// The plan of a "check all" question whose codes are joined in one column: its codes
/// longest first (so the longest code matches), its separator and rule.
fn delimited_plan(
    q: &Question,
    codes: &[String],
    nets: Vec<Vec<usize>>,
    at: &impl Fn(&str) -> usize,
    rule: &mut impl FnMut(&str, Expect, Option<String>) -> usize,
) -> QuestionPlan {
    let column = q.column.as_deref().unwrap_or_default();
    let mut by_length: Vec<(Vec<u8>, usize)> = codes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_bytes().to_vec(), i))
        .collect();
    by_length.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
    let unlisted = q
        .unlisted
        .as_ref()
        .and_then(|u| q.items.iter().position(|i| &i.id == u));
    QuestionPlan::Multi {
        items: q.items.len(),
        form: MultiForm::Delimited {
            column: at(column),
            separator: Separator::of(q.delimiter()),
            codes: by_length,
            unlisted,
            rule: rule(
                column,
                match Separator::of(q.delimiter()) {
                    Separator::Space => Expect::new(
                        "expect_codes_spaced",
                        &[("codes", quoted_list(&codes))],
                    ),
                    separator => Expect::new(
                        "expect_codes",
                        &[
                            ("codes", quoted_list(&codes)),
                            ("separator", separator.to_string()),
                        ],
                    ),
                },
                // Answers typed by respondents ("Other: …") are not codes.
                unlisted.is_none().then(|| {
                    let other = q.items.iter().find(|i| i.last).map_or("other", |i| i.id.as_str());
                    format!(
                        "if respondents typed their own answers, set unlisted = \"{other}\" on question '{}' to count them under that item",
                        q.id
                    )
                }),
            ),
        },
        nets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record of string fields.
    struct Row(Vec<&'static str>);

    impl Fields for Row {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn get(&self, c: usize) -> Option<Cow<'_, [u8]>> {
            self.0.get(c).map(|s| Cow::Borrowed(s.as_bytes()))
        }
    }

    /// A plan of one delimited question (column `q`, delimiter `,`) with these items.
    fn delimited(items: &str, unlisted: Option<&str>) -> Plan {
        let toml = format!(
            r#"
[survey]
id = "t"
title.en = "t"
[[questions]]
id = "q"
kind = "multi_response_delimited"
column = "q"
text.en = "q"
delimiter = ","
{}
items = [{items}]
"#,
            unlisted
                .map(|u| format!("unlisted = \"{u}\""))
                .unwrap_or_default()
        );
        let cb = Codebook::parse(&toml, "t.toml").unwrap();
        Plan::new(&cb, &["q".to_string()], None, &[], &[]).unwrap()
    }

    const WORDS: &str = r#"
  { id = "a", code = "Yes, always", label.en = "A" },
  { id = "b", code = "Always", label.en = "B" },
  { id = "c", code = "No", label.en = "C" },
  { id = "other", code = "Other", label.en = "Other" },
"#;

    fn state_of(plan: &Plan, cell: &'static str) -> (State, Vec<BadValue>) {
        let mut e = Eval::default();
        let mut v = Vec::new();
        plan.eval(&Row(vec![cell]), &mut e, &mut v);
        (e.states[0], v)
    }

    #[test]
    fn delimited_codes_that_contain_the_delimiter_are_matched_whole() {
        let plan = delimited(WORDS, None);
        // "Yes, always" holds the delimiter; it must not split into "Yes" + "always".
        assert_eq!(state_of(&plan, "Yes, always, No").0, 1 | 1 << 1 | 1 << 3);
        assert_eq!(state_of(&plan, "Always").0, 1 | 1 << 2);
        assert_eq!(state_of(&plan, " No ,Always ").0, 1 | 1 << 2 | 1 << 3);
        assert_eq!(state_of(&plan, "").0, 0);
        let (s, v) = state_of(&plan, "No, Sometimes");
        assert_eq!(s, 1 | 1 << 3);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].value.as_deref(), Some("Sometimes"));
    }

    #[test]
    fn numeric_choice_codes_as_qualtrics_exports_them() {
        let plan = delimited(
            r#"{ id = "a", code = "1", label.en = "A" },
               { id = "b", code = "2", label.en = "B" },
               { id = "j", code = "10", label.en = "J" }"#,
            None,
        );
        // "10" is its own code, not "1" followed by junk.
        assert_eq!(state_of(&plan, "1,10").0, 1 | 1 << 1 | 1 << 3);
        assert_eq!(state_of(&plan, "2").0, 1 | 1 << 2);
        let (_, v) = state_of(&plan, "1,3");
        assert_eq!(v[0].value.as_deref(), Some("3"));
    }

    #[test]
    fn unlisted_answers_count_as_the_named_item() {
        let plan = delimited(WORDS, Some("other"));
        let (s, v) = state_of(&plan, "No, my own words, with a comma");
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(s, 1 | 1 << 3 | 1 << 4);
    }

    #[test]
    fn a_base_per_item_marks_blank_items_apart_from_unselected_ones() {
        let toml = r#"
[survey]
id = "t"
title.en = "t"
[[questions]]
id = "q"
kind = "multi_response"
base = "each_item"
text.en = "q"
items = [
  { id = "a", column = "a", label.en = "A" },
  { id = "b", column = "b", label.en = "B" },
  { id = "c", column = "c", label.en = "C" },
]
"#;
        let cb = Codebook::parse(toml, "t.toml").unwrap();
        let columns = ["a", "b", "c"].map(String::from);
        let plan = Plan::new(&cb, &columns, None, &[], &[]).unwrap();
        let q = &plan.questions[0];
        assert!(q.each_item());
        assert_eq!(
            dense_states(q),
            Some(1 << 7),
            "answered + 3 selected + 3 blank bits"
        );
        let state = |cells: Vec<&'static str>| {
            let mut e = Eval::default();
            plan.eval(&Row(cells), &mut e, &mut Vec::new());
            (e.states[0], e.partial[0])
        };
        // a selected, b not selected, c blank: in c's base no more.
        let (s, partial) = state(vec!["1", "0", ""]);
        assert_eq!(s, 1 | 1 << 1 | 1 << (4 + 2));
        assert!(partial);
        assert!(q.selected(s, 0) && !q.unanswered(s, 0));
        assert!(!q.selected(s, 1) && !q.unanswered(s, 1));
        assert!(!q.selected(s, 2) && q.unanswered(s, 2));
        // Nothing answered: outside the question's base altogether.
        assert_eq!(state(vec!["", "", ""]).0, 0);
    }

    #[test]
    fn short_comparisons_agree_with_the_slice_ones() {
        let words: Vec<&[u8]> = vec![
            b"",
            b"a",
            b"ab",
            b"abc",
            b"abd",
            b"yes",
            b"no",
            b"0",
            b"1",
            b"unsure",
            b"gen_z",
            b"syn-000001",
            b"syn-000002",
            b"syn-000010",
            b"syn-100000",
            b"very_familiar",
            b"not_very_familiar",
            b"somewhat_familiar",
            b"dont_know_ai",
            b"99",
            b"100",
            b"a-very-long-respondent-id-0001",
            b"a-very-long-respondent-id-0002",
        ];
        for a in &words {
            for b in &words {
                assert_eq!(same(a, b), a == b, "{a:?} {b:?}");
                assert_eq!(id_less(a, b), (a.len(), *a) < (b.len(), *b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn decimal_weights_are_read_exactly_in_billionths() {
        assert_eq!(fixed_weight(b"0.5939"), Some(593_900_000));
        assert_eq!(fixed_weight(b"1"), Some(FIXED_ONE));
        assert_eq!(fixed_weight(b"12.000000001"), Some(12_000_000_001));
        assert_eq!(fixed_weight(b".25"), Some(250_000_000));
        assert_eq!(fixed_weight(b"3."), Some(3 * FIXED_ONE));
        assert_eq!(fixed_weight(b"1000000"), Some(1_000_000 * FIXED_ONE));
        // Left to the float reader: too many decimals, exponents, zero, signs, junk.
        for other in [
            &b"0.1234567891"[..],
            b"1e3",
            b"0",
            b"0.000",
            b"-1",
            b"+1",
            b".",
            b"",
            b"1,5",
            b"10000000",
        ] {
            assert_eq!(
                fixed_weight(other),
                None,
                "{}",
                String::from_utf8_lossy(other)
            );
        }
        // Both readings agree where both apply.
        for text in [
            "0.5939",
            "1.3087",
            "22.912",
            "0.000000001",
            "999999.999999999",
        ] {
            let m = fixed_weight(text.as_bytes()).unwrap();
            assert_eq!(
                m as f64 / FIXED_ONE as f64,
                text.parse::<f64>().unwrap(),
                "{text}"
            );
        }
    }

    /// A Parquet double read as a number gives the weight its CSV text gives.
    fn same_as_its_text(x: f64) {
        let text = crate::load::frame::number_text(x);
        assert_eq!(
            fixed_number(x),
            fixed_weight(text.as_bytes()),
            "{x:?} as {text}"
        );
    }

    #[test]
    fn a_stored_double_is_read_as_its_text() {
        for x in [
            0.5939,
            1.0,
            22.912,
            0.000000001,
            999999.999999999,
            1e6,
            1e6 + 1.0,
            0.1 + 0.2,
            1e-10,
            0.0,
            -0.5,
            1e300,
            5e-324,
            7.0,
            0.3333333333333333,
        ] {
            same_as_its_text(x);
        }
    }

    proptest::proptest! {
        #[test]
        fn stored_doubles_are_read_as_their_texts(
            m in 0u64..2_000_000_000_000_000,
            decimals in 0u32..13,
            bits in proptest::num::f64::POSITIVE | proptest::num::f64::NORMAL,
        ) {
            same_as_its_text(m as f64 / 10f64.powi(decimals as i32));
            same_as_its_text(bits);
        }
    }

    #[test]
    fn weights_must_be_positive_finite_numbers() {
        assert_eq!(parse_weight(b"1.25"), Some(1.25));
        assert_eq!(parse_weight(b"2e-1"), Some(0.2));
        for bad in [
            &b"0"[..],
            b"-1",
            b"NaN",
            b"inf",
            b"",
            b"1,5",
            b"x",
            b"1e200",
            b"1e308",
            b"1e-320",
            b"2e9",
            b"1e-10",
        ] {
            assert_eq!(
                parse_weight(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn the_canonical_codebook_compiles_to_one_rule_per_column_it_checks() {
        let cb = Codebook::canonical();
        let header: Vec<String> = crate::tools::simulate::HEADER
            .iter()
            .map(|s| s.to_string())
            .collect();
        let at = |n: &str| header.iter().position(|h| h == n).unwrap();
        let plan = Plan::new(&cb, &header, Some("weight"), &["generation".into()], &[]).unwrap();
        assert_eq!(plan.width, header.len());
        assert_eq!(plan.id, Some(at("respondent_id")));
        assert_eq!(plan.weight.map(|w| w.0), Some(at("weight")));
        assert_eq!(plan.groupings, vec![at("generation")]);
        assert_eq!(plan.exclusions[0].column, at("ai_familiarity"));
        // ID, weight, screener, then each question's columns: six dichotomies and two
        // single choices.
        let columns: Vec<&str> = plan.rules.iter().map(|r| r.column.as_str()).collect();
        assert_eq!(&columns[..3], ["respondent_id", "weight", "ai_familiarity"]);
        assert_eq!(columns.len(), 3 + 6 + 2, "{columns:?}");
        // Every column it reads is in the header, once per role.
        assert!(plan.columns().iter().all(|&c| c < header.len()));
        // A header without a needed column is refused, naming it.
        let short: Vec<String> = header
            .iter()
            .filter(|h| *h != "switch_intent")
            .cloned()
            .collect();
        let missing = Plan::new(&cb, &short, Some("weight"), &[], &[]).unwrap_err();
        assert_eq!(missing, MissingColumn("switch_intent".into()));
    }

    #[test]
    fn a_record_breaking_a_rule_names_the_rule_and_the_value() {
        let plan = delimited(WORDS, None);
        let (_, bad) = state_of(&plan, "Yes, always,Maybe");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].value.as_deref(), Some("Maybe"));
        assert_eq!(plan.rules[bad[0].rule].column, "q");
        // The hint names the setting that would accept typed answers.
        let hint = plan.rules[bad[0].rule].hint.as_deref().unwrap();
        assert!(
            hint.contains("unlisted = \"other\" on question 'q'"),
            "{hint}"
        );
        assert!(delimited(WORDS, Some("other")).rules[0].hint.is_none());
    }
}
