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
    /// Whether the whole record is UTF-8 text (loaders that decode text always are).
    fn is_utf8(&self) -> bool {
        true
    }
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
