//! SPSS `.sav` / `.zsav` files, read with ambers. Values reach the pass as text: numbers as
//! a CSV export writes them, strings without SPSS's padding; values the file declares
//! user-missing are empty, as SPSS treats them. The file's own metadata (value labels,
//! variable labels, multiple-response sets) feeds `concerns codebook init`.

use crate::error::{Error, Result};
use arrow::array::{Array, Float64Array, StringArray, StringViewArray};
use arrow::record_batch::RecordBatch;

use super::frame::{number_text, TextBlock};
use super::{Header, Source};
use crate::error::DataError;
use crate::load::record::Consumer;

pub use ambers::{MissingSpec, MrType, SpssMetadata, Value};

fn spss_error(src: &Source, e: impl std::fmt::Display) -> Error {
    DataError::new(&src.name, format!("cannot read as an SPSS file: {e}")).into()
}

/// The file's dictionary, without reading its data.
pub fn metadata(src: &Source) -> Result<SpssMetadata> {
    guarded(src, || {
        ambers::read_sav_metadata(&src.path).map_err(|e| spss_error(src, e))
    })
}

/// Any panic of the reader on a corrupt file becomes an error.
fn guarded<T>(src: &Source, f: impl FnOnce() -> Result<T>) -> Result<T> {
    crate::error::no_panic(|| spss_error(src, "its contents are corrupt"), f)
}

/// Variable names in file order.
pub fn columns(src: &Source) -> Result<Vec<String>> {
    Ok(metadata(src)?.variable_names)
}

fn is_missing(specs: &[MissingSpec], x: f64) -> bool {
    specs.iter().any(|s| match s {
        MissingSpec::Value(v) => *v == x,
        MissingSpec::Range { lo, hi } => *lo <= x && x <= *hi,
        MissingSpec::StringValue(_) => false,
    })
}

fn is_missing_text(specs: &[MissingSpec], v: &str) -> bool {
    specs
        .iter()
        .any(|s| matches!(s, MissingSpec::StringValue(m) if m.trim_end() == v))
}

/// One column of a batch as text.
fn column_text(array: &dyn Array, missing: &[MissingSpec]) -> Vec<Option<String>> {
    let any = array.as_any();
    let text = |v: &str| {
        let v = v.trim_end();
        (!v.is_empty() && !is_missing_text(missing, v)).then(|| v.to_string())
    };
    if let Some(a) = any.downcast_ref::<Float64Array>() {
        a.iter()
            .map(|v| {
                v.filter(|x| !x.is_nan() && !is_missing(missing, *x))
                    .map(number_text)
            })
            .collect()
    } else if let Some(a) = any.downcast_ref::<StringViewArray>() {
        a.iter().map(|v| v.and_then(text)).collect()
    } else if let Some(a) = any.downcast_ref::<StringArray>() {
        a.iter().map(|v| v.and_then(text)).collect()
    } else {
        let options = arrow::util::display::FormatOptions::default();
        match arrow::util::display::ArrayFormatter::try_new(array, &options) {
            Ok(f) => (0..array.len())
                .map(|i| (!array.is_null(i)).then(|| f.value(i).to_string()))
                .collect(),
            Err(_) => vec![None; array.len()],
        }
    }
}

/// Feeds the needed variables of an SPSS file, batch by batch.
pub fn records<C: Consumer>(
    src: &Source,
    header: &Header,
    needed: &[usize],
    consumer: &mut C,
) -> Result<()> {
    guarded(src, || read_records(src, header, needed, consumer))
}

fn read_records<C: Consumer>(
    src: &Source,
    header: &Header,
    needed: &[usize],
    consumer: &mut C,
) -> Result<()> {
    let mut scanner = ambers::scan_sav(&src.path).map_err(|e| spss_error(src, e))?;
    let names: Vec<&str> = needed.iter().map(|&i| header.columns[i].as_str()).collect();
    scanner.select(&names).map_err(|e| spss_error(src, e))?;
    let missing: Vec<Vec<MissingSpec>> = names
        .iter()
        .map(|n| {
            scanner
                .metadata()
                .variable_missing_values
                .get(*n)
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    let mut first = 0u64;
    while let Some(batch) = scanner.next_batch().map_err(|e| spss_error(src, e))? {
        let block = block_of(&batch, header.columns.len(), needed, &missing);
        block.feed(consumer, first, first);
        first += block.rows as u64;
    }
    Ok(())
}

fn block_of(
    batch: &RecordBatch,
    width: usize,
    needed: &[usize],
    missing: &[Vec<MissingSpec>],
) -> TextBlock {
    let columns = batch
        .columns()
        .iter()
        .zip(missing)
        .map(|(a, m)| column_text(a.as_ref(), m))
        .collect();
    TextBlock::new(width, needed, columns)
}
