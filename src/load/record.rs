//! A record as every reader hands it on, and what receives it: the bottom of the crate.
//! Readers (`load`) produce records, the plan reads their fields, passes (`tabulate`,
//! `validate`) consume them; none of those needs to know the others.

use std::borrow::Cow;

/// One record's fields, whatever the input.
pub trait Fields {
    /// Number of fields the record has (a CSV row may be ragged).
    #[allow(clippy::len_without_is_empty)]
    fn len(&self) -> usize;
    /// The field at header position `column`, unescaped; `None` past the end.
    fn get(&self, column: usize) -> Option<Cow<'_, [u8]>>;
    /// The field at `column` as a number, when the input stores it as one (a Parquet
    /// double or integer): `Some(None)` for a missing value, `None` for an input of text.
    /// Its text, from [`Fields::get`], is the one a CSV export of the number writes.
    fn number(&self, _column: usize) -> Option<Option<f64>> {
        None
    }
    /// Where the field's text sits in a table of its column's distinct texts, when the
    /// input has one (a Parquet dictionary, a boolean or code column).
    fn entry(&self, _column: usize) -> Option<Entry> {
        None
    }
    /// Whether the whole record is UTF-8 text (loaders that decode text always are).
    fn is_utf8(&self) -> bool {
        true
    }
}

/// A field's place in a table of its column's distinct texts: one table and key always
/// hold one text, so what a reader makes of the text can be made once per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Unique to the table within the process (never 0).
    pub table: u64,
    /// Below `keys`.
    pub key: u32,
    pub keys: u32,
}

/// Receives the records of one chunk, in order.
pub trait Consumer: Send {
    /// `offset`: byte offset of the record in the file (its number for inputs without
    /// bytes); `index`: its number within the chunk.
    fn record<F: Fields>(&mut self, rec: &F, offset: u64, index: u64);
    /// Appends the next chunk's results; `before` records came before that chunk.
    fn absorb(&mut self, next: Self, before: u64)
    where
        Self: Sized;
}
