//! Inputs read by polars: Parquet files, and CSV for the property test that cross-checks
//! the scanner (polars' CSV reader fills ragged rows, so it is not offered to users). Only the needed columns are read; their values are handed to the pass as text,
//! with numbers written the way a CSV export would write them (`1`, not `1.0`).

use std::borrow::Cow;

use crate::error::{Error, Result};
use polars_core::prelude::*;
use polars_io::prelude::*;

use super::{Header, Source};
use crate::error::DataError;
use crate::record::Consumer;
use crate::record::Fields;

/// Rows converted to text at a time, to bound memory on large files.
const BLOCK: usize = 1 << 16;

/// Some columns of a block of rows, as text, addressed by header position.
pub struct TextBlock {
    width: usize,
    /// Header position → index into `columns`.
    slot: Vec<Option<usize>>,
    columns: Vec<Vec<Option<String>>>,
    pub rows: usize,
}

impl TextBlock {
    /// `columns[k]` holds header position `positions[k]`.
    pub fn new(width: usize, positions: &[usize], columns: Vec<Vec<Option<String>>>) -> TextBlock {
        let mut slot = vec![None; width];
        for (k, &p) in positions.iter().enumerate() {
            slot[p] = Some(k);
        }
        let rows = columns.first().map(Vec::len).unwrap_or(0);
        TextBlock {
            width,
            slot,
            columns,
            rows,
        }
    }

    /// Hands the rows to `consumer`; `first` is the number of rows before this block.
    pub fn feed<C: Consumer>(&self, consumer: &mut C, first: u64) {
        for i in 0..self.rows {
            let n = first + i as u64;
            consumer.record(&BlockRow { block: self, i }, n, n);
        }
    }
}

struct BlockRow<'a> {
    block: &'a TextBlock,
    i: usize,
}

impl Fields for BlockRow<'_> {
    fn len(&self) -> usize {
        self.block.width
    }

    fn get(&self, column: usize) -> Option<Cow<'_, [u8]>> {
        let k = (*self.block.slot.get(column)?)?;
        Some(Cow::Borrowed(
            self.block.columns[k][self.i]
                .as_deref()
                .unwrap_or_default()
                .as_bytes(),
        ))
    }
}

/// A number as a CSV export writes it: whole numbers without a decimal point.
pub fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn polars_error(src: &Source, e: PolarsError) -> Error {
    let s = e.to_string();
    let first = s.lines().next().unwrap_or_default().trim();
    DataError::new(&src.name, format!("cannot read the file: {first}")).into()
}

/// One column as text.
fn column_text(c: &Column) -> PolarsResult<Vec<Option<String>>> {
    let s = c.as_materialized_series();
    Ok(match s.dtype() {
        DataType::String => s.str()?.iter().map(|v| v.map(str::to_string)).collect(),
        DataType::Boolean => s
            .bool()?
            .iter()
            .map(|v| v.map(|b| if b { "1" } else { "0" }.to_string()))
            .collect(),
        d if d.is_integer() => s
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|v| v.map(|x| x.to_string()))
            .collect(),
        d if d.is_float() => s
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .map(|v| v.filter(|x| !x.is_nan()).map(number_text))
            .collect(),
        _ => s
            .cast(&DataType::String)?
            .str()?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
    })
}

/// Feeds a collected frame of the needed columns, block by block.
fn feed_frame<C: Consumer>(
    df: &DataFrame,
    width: usize,
    needed: &[usize],
    consumer: &mut C,
) -> PolarsResult<()> {
    let mut first = 0;
    while first < df.height() {
        let part = df.slice(first as i64, BLOCK);
        let columns = part
            .columns()
            .iter()
            .map(column_text)
            .collect::<PolarsResult<Vec<_>>>()?;
        TextBlock::new(width, needed, columns).feed(consumer, first as u64);
        first += BLOCK;
    }
    Ok(())
}

/// polars' eager Parquet reader (the lazy engine is not compiled in: it doubles the
/// first build, benches/README.md).
fn parquet_reader(src: &Source) -> Result<ParquetReader<std::fs::File>> {
    let f = std::fs::File::open(&src.path)
        .map_err(|e| DataError::new(&src.name, format!("cannot read the file: {e}")))?;
    Ok(ParquetReader::new(f))
}

/// The error for a Parquet file polars cannot read (or panics on).
fn not_parquet(src: &Source, why: &str) -> Error {
    DataError::new(&src.name, format!("not a valid Parquet file: {why}")).into()
}

/// The frame of a Parquet file: magic bytes at both ends and a footer that fits are
/// checked first, and any panic of the reader on a corrupt file becomes an error.
fn guarded<T>(src: &Source, f: impl FnOnce() -> Result<T>) -> Result<T> {
    use std::io::{Read, Seek, SeekFrom};
    let check = || -> std::io::Result<Option<&'static str>> {
        let mut file = std::fs::File::open(&src.path)?;
        let len = file.metadata()?.len();
        if len < 12 {
            return Ok(Some("it is too short"));
        }
        let mut tail = [0u8; 8];
        file.seek(SeekFrom::End(-8))?;
        file.read_exact(&mut tail)?;
        if &tail[4..] != b"PAR1" {
            return Ok(Some("it does not end with the Parquet footer (truncated?)"));
        }
        let footer = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as u64;
        Ok((footer + 12 > len).then_some("its footer is longer than the file"))
    };
    match check() {
        Err(e) => {
            return Err(DataError::new(&src.name, format!("cannot read the file: {e}")).into())
        }
        Ok(Some(why)) => return Err(not_parquet(src, why)),
        Ok(None) => {}
    }
    crate::error::no_panic(|| not_parquet(src, "its contents are corrupt"), f)
}

/// The column names of a Parquet file (from its footer; no data is read).
pub fn parquet_columns(src: &Source) -> Result<Vec<String>> {
    guarded(src, || {
        let schema = parquet_reader(src)?
            .schema()
            .map_err(|e| polars_error(src, e))?;
        Ok(schema.iter_names().map(|n| n.to_string()).collect())
    })
}

/// Feeds the needed columns of a Parquet file.
pub fn parquet<C: Consumer>(
    src: &Source,
    header: &Header,
    needed: &[usize],
    consumer: &mut C,
) -> Result<()> {
    let names: Vec<String> = needed.iter().map(|&i| header.columns[i].clone()).collect();
    guarded(src, || {
        // Read, then put the columns in the order of `needed`.
        let df = parquet_reader(src)?
            .with_columns(Some(names.clone()))
            .finish()
            .and_then(|df| df.select(names.iter().map(String::as_str)))
            .map_err(|e| polars_error(src, e))?;
        feed_frame(&df, header.columns.len(), needed, consumer).map_err(|e| polars_error(src, e))
    })
}

#[cfg(test)]
/// Feeds the needed columns of a CSV read by polars (every column as text).
pub fn polars_csv<C: Consumer>(
    src: &Source,
    header: &Header,
    needed: &[usize],
    consumer: &mut C,
) -> Result<()> {
    let skip = (header.first_row - 1) as usize;
    // Without a header polars names the columns column_1, column_2, …
    let names: Vec<String> = needed
        .iter()
        .map(|&i| format!("column_{}", i + 1))
        .collect();
    let df = CsvReadOptions::default()
        .with_has_header(false)
        .with_skip_rows(skip)
        .with_infer_schema_length(Some(0))
        .map_parse_options(|p| {
            p.with_separator(src.delimiter)
                .with_null_values(Some(NullValues::AllColumnsSingle("".into())))
        })
        .try_into_reader_with_file_path(Some(src.path.clone()))
        .and_then(|r| r.finish())
        .and_then(|df| df.select(names.iter().map(String::as_str)))
        .map_err(|e| polars_error(src, e))?;
    feed_frame(&df, header.columns.len(), needed, consumer).map_err(|e| polars_error(src, e))
}

#[cfg(test)]
mod tests {
    use super::number_text;

    #[test]
    fn numbers_read_as_a_csv_writes_them() {
        assert_eq!(number_text(1.0), "1");
        assert_eq!(number_text(0.0), "0");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(1.3087), "1.3087");
        assert_eq!(number_text(0.1 + 0.2), "0.30000000000000004");
    }
}
