//! Parquet files, decoded by polars' Parquet reader at the Arrow level (`polars-parquet`: no
//! DataFrame engine is compiled in, benches/README.md "The first build"), and the text block
//! the SPSS reader shares. Only the needed columns are read, a row group at a time, on every
//! core. The pass reads the decoded arrays in place: text borrowed from them, dictionaries,
//! booleans and codes through a table of their distinct values' texts (made once per row
//! group), weights as numbers. A text it asks for is the one a CSV export writes (`1`, not
//! `1.0`), so the rules and the results are those of the same data as CSV.

use std::borrow::Cow;
use std::io::{Cursor, Read, Seek, SeekFrom};

use polars_arrow::array::{
    Array, BooleanArray, DictionaryArray, DictionaryKey, PrimitiveArray, Utf8Array, Utf8ViewArray,
};
use polars_arrow::datatypes::{ArrowDataType, Field, IntegerType};
use polars_arrow::types::NativeType;
use polars_parquet::read::{
    column_iter_to_arrays, infer_schema, read_metadata, BasicDecompressor, FileMetadata,
    PageReader, RowGroupMetadata,
};

use crate::error::{Error, Result};

use super::{Header, Source};
use crate::error::DataError;
use crate::load::record::Consumer;
use crate::load::record::{Entry, Fields};

/// Some columns of a block of rows, as text, addressed by header position.
pub struct TextBlock {
    width: usize,
    /// Header position → index into `columns`.
    slot: Vec<Option<usize>>,
    columns: Vec<TextColumn>,
    pub rows: usize,
}

/// One column's cells of a block, as one text and where each cell ends (a missing value is
/// empty, as in a CSV export): one buffer per column, not a string per cell.
#[derive(Debug, Default)]
struct TextColumn {
    text: String,
    ends: Vec<usize>,
}

impl TextColumn {
    fn of<T: AsRef<str>>(cells: impl IntoIterator<Item = T>) -> TextColumn {
        let mut column = TextColumn::default();
        for cell in cells {
            column.text.push_str(cell.as_ref());
            column.ends.push(column.text.len());
        }
        column
    }

    fn cell(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

impl TextBlock {
    /// `columns[k]` holds header position `positions[k]`.
    pub fn new(width: usize, positions: &[usize], columns: Vec<Vec<Option<String>>>) -> TextBlock {
        let columns = columns
            .into_iter()
            .map(|cells| {
                let mut column = TextColumn::default();
                for cell in cells {
                    column.text.push_str(cell.as_deref().unwrap_or_default());
                    column.ends.push(column.text.len());
                }
                column
            })
            .collect();
        TextBlock::of_columns(width, positions, columns)
    }

    fn of_columns(width: usize, positions: &[usize], columns: Vec<TextColumn>) -> TextBlock {
        let slot = slots(width, positions);
        let rows = columns.first().map_or(0, |c| c.ends.len());
        TextBlock {
            width,
            slot,
            columns,
            rows,
        }
    }

    /// Hands the rows to `consumer`: `first` rows of the file come before this block,
    /// `index` of the consumer's own (its chunk's) records.
    pub fn feed<C: Consumer>(&self, consumer: &mut C, first: u64, index: u64) {
        for i in 0..self.rows {
            let n = i as u64;
            consumer.record(&BlockRow { block: self, i }, first + n, index + n);
        }
    }
}

/// Header position → index of the column read, for a header of `width` columns of which
/// `positions[k]` is read as column k.
fn slots(width: usize, positions: &[usize]) -> Vec<Option<usize>> {
    let mut slot = vec![None; width];
    for (k, &p) in positions.iter().enumerate() {
        slot[p] = Some(k);
    }
    slot
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
        Some(Cow::Borrowed(self.block.columns[k].cell(self.i).as_bytes()))
    }
}

/// A number as a CSV export writes it: whole numbers without a decimal point.
pub fn number_text(x: f64) -> String {
    let mut text = String::new();
    push_number(&mut text, x);
    text
}

/// [`number_text`] appended to a buffer (no allocation per cell).
fn push_number(buf: &mut String, x: f64) -> bool {
    use std::fmt::Write;
    if x.fract() == 0.0 && x.abs() < 1e15 {
        write!(buf, "{}", x as i64).is_ok()
    } else {
        write!(buf, "{x}").is_ok()
    }
}

/// Largest page the decoder may allocate for (compressed or not): a page header claiming
/// more is corrupt or hostile; writers use about 1 MB.
const MAX_PAGE: usize = 256 << 20;

fn read_error(src: &Source, e: impl std::fmt::Display) -> Error {
    let s = e.to_string();
    let first = s.lines().next().unwrap_or_default().trim();
    DataError::new(&src.name, format!("cannot read the file: {first}")).into()
}

/// The error for a Parquet file the reader cannot decode (or panics on).
fn not_parquet(src: &Source, why: &str) -> Error {
    DataError::new(&src.name, format!("not a valid Parquet file: {why}")).into()
}

/// Appends cell `i`'s text to the buffer; `false` for a missing value.
type Cells<'a> = Box<dyn Fn(usize, &mut String) -> bool + 'a>;

/// The cells of an array of text, numbers or booleans as text; `None` for any other type.
fn cells<'a>(array: &'a dyn Array, booleans: &'a (String, String)) -> Option<Cells<'a>> {
    use ArrowDataType as D;
    let any = array.as_any();
    Some(match array.dtype() {
        D::Utf8View => {
            let a = any.downcast_ref::<Utf8ViewArray>()?;
            Box::new(move |i, buf| a.is_valid(i) && push(buf, a.value(i)))
        }
        D::Utf8 => {
            let a = any.downcast_ref::<Utf8Array<i32>>()?;
            Box::new(move |i, buf| a.is_valid(i) && push(buf, a.value(i)))
        }
        D::LargeUtf8 => {
            let a = any.downcast_ref::<Utf8Array<i64>>()?;
            Box::new(move |i, buf| a.is_valid(i) && push(buf, a.value(i)))
        }
        D::Boolean => {
            let a = any.downcast_ref::<BooleanArray>()?;
            let (yes, no) = booleans;
            Box::new(move |i, buf| {
                a.get(i)
                    .is_some_and(|b| push(buf, if b { yes } else { no }))
            })
        }
        D::Int8 => integers::<i8>(array)?,
        D::Int16 => integers::<i16>(array)?,
        D::Int32 => integers::<i32>(array)?,
        D::Int64 => integers::<i64>(array)?,
        D::UInt8 => integers::<u8>(array)?,
        D::UInt16 => integers::<u16>(array)?,
        D::UInt32 => integers::<u32>(array)?,
        D::UInt64 => integers::<u64>(array)?,
        D::Float32 => {
            let a = any.downcast_ref::<PrimitiveArray<f32>>()?;
            // Through the f32's own shortest text: 1.3087f32 is read as 1.3087.
            Box::new(move |i, buf| {
                let x = a.is_valid(i).then(|| a.value(i));
                let x = x.and_then(|x| x.to_string().parse::<f64>().ok());
                x.filter(|x| !x.is_nan())
                    .is_some_and(|x| push_number(buf, x))
            })
        }
        D::Float64 => {
            let a = any.downcast_ref::<PrimitiveArray<f64>>()?;
            Box::new(move |i, buf| {
                let x = a.is_valid(i).then(|| a.value(i));
                x.filter(|x| !x.is_nan())
                    .is_some_and(|x| push_number(buf, x))
            })
        }
        D::Decimal(_, scale) => decimals::<i128>(array, *scale)?,
        D::Decimal64(_, scale) => decimals::<i64>(array, *scale)?,
        D::Decimal32(_, scale) => decimals::<i32>(array, *scale)?,
        _ => return None,
    })
}

/// Appends `text`; a cell that is there.
fn push(buf: &mut String, text: &str) -> bool {
    buf.push_str(text);
    true
}

fn integers<T: NativeType + std::fmt::Display + Into<i128>>(
    array: &dyn Array,
) -> Option<Cells<'_>> {
    use std::fmt::Write;
    let a = array.as_any().downcast_ref::<PrimitiveArray<T>>()?;
    Some(Box::new(move |i, buf| {
        if !a.is_valid(i) {
            return false;
        }
        let v = a.value(i);
        // Codes are mostly one digit (0/1 dichotomies, 1–5 scales): no formatter for them.
        match v.into() {
            d @ 0..=9 => push(buf, DIGITS[d as usize]),
            _ => write!(buf, "{v}").is_ok(),
        }
    }))
}

const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// Decimals (an integer and a scale) written exactly: `12.340000000` for 12340000000 at
/// scale 9.
fn decimals<T: NativeType + Into<i128>>(array: &dyn Array, scale: usize) -> Option<Cells<'_>> {
    let a = array.as_any().downcast_ref::<PrimitiveArray<T>>()?;
    Some(Box::new(move |i, buf| {
        a.is_valid(i) && push(buf, &decimal_text(a.value(i).into(), scale))
    }))
}

/// The text of `v` × 10^-scale.
pub fn decimal_text(v: i128, scale: usize) -> String {
    let digits = v.unsigned_abs().to_string();
    let sign = if v < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

/// The frame of a Parquet file: magic bytes at both ends and a footer that fits are
/// checked first, and any panic of the reader on a corrupt file becomes an error.
fn guarded<T>(src: &Source, f: impl FnOnce() -> Result<T>) -> Result<T> {
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

/// The file, its length and its footer.
fn open(src: &Source) -> Result<(std::fs::File, u64, FileMetadata)> {
    let mut file = std::fs::File::open(&src.path).map_err(|e| read_error(src, e))?;
    let len = file.metadata().map_err(|e| read_error(src, e))?.len();
    check_footer(&mut file, len).map_err(|why| not_parquet(src, why))?;
    let metadata = read_metadata(&mut file).map_err(|e| read_error(src, e))?;
    Ok((file, len, metadata))
}

/// Reads the footer with the bounded Thrift reader first: polars' own decoder allocates
/// the lists the footer declares (a few bytes claiming a billion columns aborted the process
/// asking for 34 GB, found by the fuzzer). Every list element takes at least a byte of the
/// footer, so an allocation budget of 16 bytes per footer byte holds any true footer.
fn check_footer(file: &mut std::fs::File, len: u64) -> std::result::Result<(), &'static str> {
    use polars_parquet_format::thrift::protocol::TCompactInputProtocol;
    let mut tail = [0u8; 8];
    file.seek(SeekFrom::End(-8))
        .and_then(|_| file.read_exact(&mut tail))
        .map_err(|_| "its footer cannot be read")?;
    let footer = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as u64;
    if footer + 8 > len {
        return Err("its footer is longer than the file");
    }
    let mut bytes = vec![0u8; footer as usize];
    file.seek(SeekFrom::Start(len - 8 - footer))
        .and_then(|_| file.read_exact(&mut bytes))
        .map_err(|_| "its footer cannot be read")?;
    file.seek(SeekFrom::Start(0))
        .map_err(|_| "its footer cannot be read")?;
    let budget = (bytes.len() * 16).max(1 << 20);
    polars_parquet_format::FileMetaData::read_from_in_protocol(&mut TCompactInputProtocol::new(
        bytes.as_slice(),
        budget,
    ))
    .map(|_| ())
    .map_err(|_| "its footer is corrupt or declares more than it holds")
}

/// The column names of a Parquet file (from its footer; no data is read).
pub fn parquet_columns(src: &Source) -> Result<Vec<String>> {
    guarded(src, || {
        let (_, _, metadata) = open(src)?;
        let schema = infer_schema(&metadata).map_err(|e| read_error(src, e))?;
        Ok(schema.iter_names().map(|n| n.to_string()).collect())
    })
}

fn unsupported(src: &Source, field: &Field) -> Error {
    DataError::new(
        &src.name,
        format!(
            "column {:?} holds {:?}; expected text, integers, decimals or booleans",
            field.name.as_str(),
            field.dtype
        ),
    )
    .into()
}

/// One column of one row group, decoded.
fn read_column(
    src: &Source,
    file: &mut std::fs::File,
    len: u64,
    group: &RowGroupMetadata,
    field: &Field,
) -> Result<Box<dyn Array>> {
    let chunks: Vec<_> = group
        .columns_under_root_iter(&field.name)
        .map(|c| c.collect())
        .unwrap_or_default();
    let [chunk] = chunks[..] else {
        return Err(unsupported(src, field));
    };
    let range = chunk.byte_range();
    if range.start > range.end || range.end > len {
        return Err(not_parquet(src, "a column chunk lies outside the file"));
    }
    // Bounded by the file's own length (checked above).
    let mut bytes = vec![0u8; (range.end - range.start) as usize];
    file.seek(SeekFrom::Start(range.start))
        .and_then(|_| file.read_exact(&mut bytes))
        .map_err(|e| read_error(src, e))?;
    check_pages(&bytes, group.num_rows()).map_err(|why| not_parquet(src, why))?;
    // Shared, not copied, by the two decodings below.
    let bytes = Cursor::new(bytes.into());
    let decode = |field: Field| -> std::result::Result<Box<dyn Array>, String> {
        let pages = PageReader::new(bytes.clone(), chunk, vec![], MAX_PAGE);
        let (mut arrays, _) = column_iter_to_arrays(
            vec![BasicDecompressor::new(pages, vec![])],
            vec![&chunk.descriptor().descriptor.primitive_type],
            field,
            None,
        )
        .map_err(|e| e.to_string())?;
        if arrays.len() == 1 {
            if let Some(array) = arrays.pop() {
                return Ok(array);
            }
        }
        let parts: Vec<&dyn Array> = arrays.iter().map(|a| a.as_ref()).collect();
        polars_arrow::compute::concatenate::concatenate(&parts).map_err(|e| e.to_string())
    };
    // Text stored through a dictionary (codes, as writers store them) stays one: each entry
    // is matched once, not once per row. A chunk whose writer fell back to plain pages (too
    // many distinct values, as IDs have) is decoded as plain text.
    if field.dtype == ArrowDataType::Utf8View {
        if let Ok(array) = decode(as_dictionary(field)) {
            return Ok(array);
        }
    }
    decode(field.clone()).map_err(|e| read_error(src, e))
}

/// A text field asked for as a dictionary of its text (polars' categorical decoding, which
/// reads dictionary-encoded pages only).
fn as_dictionary(field: &Field) -> Field {
    let metadata = [(
        polars_arrow::datatypes::DTYPE_CATEGORICAL_NEW.into(),
        Default::default(),
    )];
    Field {
        dtype: ArrowDataType::Dictionary(
            IntegerType::UInt32,
            Box::new(ArrowDataType::Utf8View),
            false,
        ),
        metadata: Some(std::sync::Arc::new(metadata.into_iter().collect())),
        ..field.clone()
    }
}

/// Checks what each page of a column chunk declares before the decoder allocates for it:
/// every page within [`MAX_PAGE`] (compressed and not) and within the chunk, a dictionary
/// of no more entries than its bytes, and no more values in all than the row group's rows.
fn check_pages(chunk: &[u8], rows: usize) -> std::result::Result<(), &'static str> {
    use polars_parquet_format::thrift::protocol::TCompactInputProtocol;
    use polars_parquet_format::{PageHeader, PageType};
    let (mut at, mut values) = (0usize, 0usize);
    while at < chunk.len() {
        let mut cursor = Cursor::new(&chunk[at..]);
        let header = PageHeader::read_from_in_protocol(&mut TCompactInputProtocol::new(
            &mut cursor,
            MAX_PAGE,
        ))
        .map_err(|_| "a page header cannot be read")?;
        at += cursor.position() as usize;
        let size = |n: i32| usize::try_from(n).ok().filter(|&n| n <= MAX_PAGE);
        let (Some(stored), Some(unpacked)) = (
            size(header.compressed_page_size),
            size(header.uncompressed_page_size),
        ) else {
            return Err("a page declares more than 256 MiB, or a negative size");
        };
        if stored > chunk.len() - at {
            return Err("a page runs past its column chunk");
        }
        let declared = match header.type_ {
            PageType::DICTIONARY_PAGE => {
                let n = header.dictionary_page_header.map_or(0, |d| d.num_values);
                let n = usize::try_from(n).map_err(|_| "a negative count of values")?;
                if n > unpacked + 1 {
                    return Err("a dictionary declares more entries than it has bytes");
                }
                0
            }
            PageType::DATA_PAGE => header.data_page_header.map_or(0, |d| d.num_values),
            PageType::DATA_PAGE_V2 => header.data_page_header_v2.map_or(0, |d| d.num_values),
            _ => 0,
        };
        values = usize::try_from(declared)
            .ok()
            .and_then(|n| values.checked_add(n))
            .filter(|&v| v <= rows)
            .ok_or("a column declares more values than its row group has rows")?;
        at += stored;
    }
    Ok(())
}

/// Rows a Parquet file may declare: 1,024 per byte of the file (survey data holds IDs and
/// weights, a byte or more per row; even a column of one repeated value takes a bit per
/// thousand rows), and always 2^21 (two row groups of pyarrow's default size). Past that, a
/// few bytes could make the decoder allocate gigabytes.
fn most_rows(file_len: u64) -> u64 {
    (1u64 << 21).max(file_len.saturating_mul(1024))
}

/// The rows the row groups declare, refused past what a file of `len` bytes can hold.
fn check_rows(src: &Source, metadata: &FileMetadata, len: u64) -> Result<()> {
    let declared = metadata
        .row_groups
        .iter()
        .try_fold(0u64, |a, g| a.checked_add(g.num_rows() as u64));
    if declared.is_none_or(|rows| rows > most_rows(len)) {
        return Err(not_parquet(
            src,
            &format!(
                "it declares more rows than a file of {len} bytes can hold (at most {})",
                most_rows(len)
            ),
        ));
    }
    Ok(())
}

/// The Parquet fields of the needed columns.
fn needed_fields(
    src: &Source,
    header: &Header,
    needed: &[usize],
    metadata: &FileMetadata,
) -> Result<Vec<Field>> {
    let schema = infer_schema(metadata).map_err(|e| read_error(src, e))?;
    needed
        .iter()
        .map(|&i| {
            let name = &header.columns[i];
            schema.get(name).cloned().ok_or_else(|| {
                Error::from(DataError::new(&src.name, format!("no column {name:?}")))
            })
        })
        .collect()
}

/// Feeds the needed columns of a Parquet file to one consumer, a row group and then a block
/// of rows at a time, in file order.
pub fn parquet<C: Consumer>(
    src: &Source,
    header: &Header,
    needed: &[usize],
    consumer: &mut C,
) -> Result<()> {
    guarded(src, || {
        let (mut file, len, metadata) = open(src)?;
        let fields = needed_fields(src, header, needed, &metadata)?;
        check_rows(src, &metadata, len)?;
        let mut first = 0u64;
        for group in &metadata.row_groups {
            let at = RowGroupAt {
                first,
                local: false,
            };
            row_group(
                src,
                (header, needed, &fields),
                (&mut file, len),
                group,
                at,
                consumer,
            )?;
            first += group.num_rows() as u64;
        }
        Ok(())
    })
}

/// Feeds the needed columns of a Parquet file to a consumer per row group, decoding the row
/// groups on `threads` threads at once (each with its own handle on the file); the consumers
/// are absorbed in file order as they arrive, as the CSV scanner's chunks are, so memory
/// holds the row groups in flight only.
pub fn parquet_parallel<C: Consumer>(
    src: &Source,
    header: &Header,
    needed: &[usize],
    threads: usize,
    make: &(dyn Fn() -> C + Sync),
) -> Result<C> {
    guarded(src, || {
        let (_, len, metadata) = open(src)?;
        let fields = needed_fields(src, header, needed, &metadata)?;
        check_rows(src, &metadata, len)?;
        let groups = &metadata.row_groups;
        let firsts: Vec<u64> = (groups.iter())
            .scan(0u64, |rows, g| {
                let first = *rows;
                *rows += g.num_rows() as u64;
                Some(first)
            })
            .collect();
        let shared = InFlight::new(threads.clamp(1, groups.len().max(1)));
        let read = |k: usize, file: &mut std::fs::File| -> Result<C> {
            let mut consumer = make();
            let at = RowGroupAt {
                first: firsts[k],
                local: true,
            };
            let columns = (header, needed, fields.as_slice());
            row_group(src, columns, (file, len), &groups[k], at, &mut consumer)?;
            Ok(consumer)
        };
        std::thread::scope(|scope| {
            for _ in 0..shared.workers {
                scope.spawn(|| shared.work(src, groups.len(), &read));
            }
            shared.absorb_in_order(src, &firsts, make())
        })
    })
}

/// The row groups being read on several threads, and those read waiting to be absorbed.
struct InFlight<C> {
    workers: usize,
    done: std::sync::Mutex<std::collections::BTreeMap<usize, Result<C>>>,
    arrived: std::sync::Condvar,
    /// The next row group to take, and the workers that stopped taking them.
    next: std::sync::atomic::AtomicUsize,
    stopped: std::sync::atomic::AtomicUsize,
}

impl<C: Consumer> InFlight<C> {
    fn new(workers: usize) -> InFlight<C> {
        InFlight {
            workers,
            done: Default::default(),
            arrived: Default::default(),
            next: Default::default(),
            stopped: Default::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<usize, Result<C>>> {
        self.done.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One worker: takes row groups in file order (every one taken gets its result) until
    /// none is left or one fails.
    fn work(
        &self,
        src: &Source,
        groups: usize,
        read: &(dyn Fn(usize, &mut std::fs::File) -> Result<C> + Sync),
    ) {
        use std::sync::atomic::Ordering::SeqCst;
        let mut file = std::fs::File::open(&src.path);
        loop {
            let k = self.next.fetch_add(1, SeqCst);
            if k >= groups {
                break;
            }
            // A third-party decoder may panic on a corrupt file: that row group fails as
            // `guarded` fails a whole file, and nothing waits for it in vain.
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let file = file.as_mut().map_err(|e| read_error(src, e))?;
                read(k, file)
            }))
            .unwrap_or_else(|_| Err(not_parquet(src, "its contents are corrupt")));
            let failed = out.is_err();
            self.lock().insert(k, out);
            self.arrived.notify_all();
            if failed {
                break;
            }
        }
        // Under the lock: the absorbing thread checks it before it waits.
        let held = self.lock();
        self.stopped.fetch_add(1, SeqCst);
        drop(held);
        self.arrived.notify_all();
    }

    /// Absorbs the row groups' consumers into `total` in file order as they arrive; the
    /// first failure in file order is the error (the workers then stop taking groups).
    fn absorb_in_order(&self, src: &Source, firsts: &[u64], mut total: C) -> Result<C> {
        use std::sync::atomic::Ordering::SeqCst;
        for (k, &first) in firsts.iter().enumerate() {
            let mut ready = self.lock();
            let out = loop {
                if let Some(out) = ready.remove(&k) {
                    break out;
                }
                if self.stopped.load(SeqCst) == self.workers {
                    break Err(read_error(src, "a row group was not read"));
                }
                ready = self.arrived.wait(ready).unwrap_or_else(|p| p.into_inner());
            };
            drop(ready);
            match out {
                Ok(consumer) => total.absorb(consumer, first),
                Err(e) => {
                    self.next.store(firsts.len(), SeqCst);
                    return Err(e);
                }
            }
        }
        Ok(total)
    }
}

/// Where a row group's rows are: the rows before it, and whether its consumer numbers its
/// records from 0 (a consumer of its own) or from `first` (one consumer for the file).
struct RowGroupAt {
    first: u64,
    local: bool,
}

/// Decodes one row group and feeds its rows.
fn row_group<C: Consumer>(
    src: &Source,
    (header, needed, fields): (&Header, &[usize], &[Field]),
    (file, len): (&mut std::fs::File, u64),
    group: &RowGroupMetadata,
    at: RowGroupAt,
    consumer: &mut C,
) -> Result<()> {
    let first = at.first;
    let arrays = fields
        .iter()
        .map(|f| read_column(src, file, len, group, f))
        .collect::<Result<Vec<_>>>()?;
    let rows = group.num_rows();
    if arrays.iter().any(|a| a.len() != rows) {
        return Err(not_parquet(
            src,
            "a column's length differs from its row group's",
        ));
    }
    let columns = arrays
        .iter()
        .zip(fields)
        .map(|(a, f)| {
            let view = ColumnView::of(a.as_ref(), &header.booleans, rows)
                .ok_or_else(|| unsupported(src, f))?;
            if let Some((row, len)) = view.longest_past(super::MAX_RECORD as usize) {
                return Err(Error::from(
                    DataError::new(
                        &src.name,
                        format!(
                            "a value of {len} bytes in column {:?}: longer than any answer (at most {} MiB)",
                            f.name.as_str(),
                            super::MAX_RECORD >> 20
                        ),
                    )
                    .row(first + row as u64 + 2),
                ));
            }
            Ok(view)
        })
        .collect::<Result<Vec<_>>>()?;
    let group = GroupView {
        width: header.columns.len(),
        slot: slots(header.columns.len(), needed),
        columns,
    };
    let index = if at.local { 0 } else { first };
    for i in 0..rows {
        let n = i as u64;
        consumer.record(&GroupRow { group: &group, i }, first + n, index + n);
    }
    Ok(())
}

/// The needed columns of one decoded row group, addressed by header position.
struct GroupView<'a> {
    width: usize,
    slot: Vec<Option<usize>>,
    columns: Vec<ColumnView<'a>>,
}

struct GroupRow<'a> {
    group: &'a GroupView<'a>,
    i: usize,
}

impl Fields for GroupRow<'_> {
    fn len(&self) -> usize {
        self.group.width
    }

    fn get(&self, column: usize) -> Option<Cow<'_, [u8]>> {
        let k = (*self.group.slot.get(column)?)?;
        Some(Cow::Borrowed(self.group.columns[k].text(self.i)))
    }

    fn number(&self, column: usize) -> Option<Option<f64>> {
        let k = (*self.group.slot.get(column)?)?;
        self.group.columns[k].number.as_ref().map(|n| n(self.i))
    }

    #[inline]
    fn entry(&self, column: usize) -> Option<Entry> {
        let k = (*self.group.slot.get(column)?)?;
        match &self.group.columns[k].text {
            TextOf::Entries {
                table,
                keys,
                entries,
            } => {
                // A missing value is the key past the entries.
                let n = entries.ends.len() as u32;
                let key = keys.get(self.i);
                Some(Entry {
                    table: *table,
                    key: if key == MISSING { n } else { key },
                    keys: n + 1,
                })
            }
            _ => None,
        }
    }
}

/// Tables of entries made so far in the process: each gets its own number.
static TABLES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn new_table() -> u64 {
    TABLES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// One column of a row group as the pass reads it, without a text per row: text borrowed
/// from the decoded array or from a table of its distinct values, and numbers as numbers.
struct ColumnView<'a> {
    text: TextOf<'a>,
    /// A double or integer column's value (`None` when missing), for weights.
    number: Option<Numbers<'a>>,
}

type Numbers<'a> = Box<dyn Fn(usize) -> Option<f64> + 'a>;

/// Where a cell's text comes from (a missing value is empty, as in a CSV export).
enum TextOf<'a> {
    View(&'a Utf8ViewArray),
    Utf8(&'a Utf8Array<i32>),
    LargeUtf8(&'a Utf8Array<i64>),
    /// Each row's entry in a table of texts made once per row group: dictionaries,
    /// booleans, whole numbers of a narrow range (codes).
    Entries {
        table: u64,
        keys: Keys,
        entries: TextColumn,
    },
    /// Other numbers (weights, decimals, wide-ranging IDs): their text, made for the row
    /// group only if a reader asks for it (the plan reads a weight as a number).
    Lazy {
        cells: Cells<'a>,
        rows: usize,
        text: std::cell::OnceCell<TextColumn>,
    },
}

/// The key of a missing value in [`TextOf::Entries`].
const MISSING: u32 = u32::MAX;

/// Each row's key into a table of entries: a byte a row when the table is small (codes), so
/// the keys of a row group's columns, read a row at a time, stay in the cache together.
enum Keys {
    Small(Vec<u8>),
    Wide(Vec<u32>),
}

impl Keys {
    fn of(keys: Vec<u32>, entries: usize) -> Keys {
        if entries < u8::MAX as usize {
            let small = |k: u32| if k == MISSING { u8::MAX } else { k as u8 };
            Keys::Small(keys.into_iter().map(small).collect())
        } else {
            Keys::Wide(keys)
        }
    }

    #[inline]
    fn get(&self, i: usize) -> u32 {
        match self {
            Keys::Small(k) => match k[i] {
                u8::MAX => MISSING,
                k => k as u32,
            },
            Keys::Wide(k) => k[i],
        }
    }

    fn len(&self) -> usize {
        match self {
            Keys::Small(k) => k.len(),
            Keys::Wide(k) => k.len(),
        }
    }
}

/// Whole numbers of a column get a table of texts when their range spans at most this many.
const WIDEST_CODES: i128 = 1 << 12;

impl<'a> ColumnView<'a> {
    fn of(array: &'a dyn Array, booleans: &'a (String, String), rows: usize) -> Option<Self> {
        use ArrowDataType as D;
        let any = array.as_any();
        let number = numbers(array);
        let text = match array.dtype() {
            D::Utf8View => TextOf::View(any.downcast_ref()?),
            D::Utf8 => TextOf::Utf8(any.downcast_ref()?),
            D::LargeUtf8 => TextOf::LargeUtf8(any.downcast_ref()?),
            D::Boolean => {
                let a = any.downcast_ref::<BooleanArray>()?;
                let keys = (0..rows)
                    .map(|i| a.get(i).map_or(MISSING, |b| b as u32))
                    .collect();
                TextOf::Entries {
                    table: new_table(),
                    keys: Keys::of(keys, 2),
                    entries: TextColumn::of([booleans.1.as_str(), booleans.0.as_str()]),
                }
            }
            D::Dictionary(..) => {
                let (keys, entries) = dictionary_entries(array, booleans)?;
                TextOf::Entries {
                    table: new_table(),
                    keys: Keys::of(keys, entries.ends.len()),
                    entries,
                }
            }
            _ => match whole_entries(array) {
                Some((keys, entries)) => TextOf::Entries {
                    table: new_table(),
                    keys: Keys::of(keys, entries.ends.len()),
                    entries,
                },
                None => TextOf::Lazy {
                    cells: cells(array, booleans)?,
                    rows,
                    text: Default::default(),
                },
            },
        };
        Some(ColumnView { text, number })
    }

    #[inline]
    fn text(&self, i: usize) -> &[u8] {
        match &self.text {
            TextOf::View(a) => utf8_cell(a.is_valid(i), || a.value(i)),
            TextOf::Utf8(a) => utf8_cell(a.is_valid(i), || a.value(i)),
            TextOf::LargeUtf8(a) => utf8_cell(a.is_valid(i), || a.value(i)),
            TextOf::Entries { keys, entries, .. } => match keys.get(i) {
                MISSING => b"",
                k => entries.cell(k as usize).as_bytes(),
            },
            TextOf::Lazy { cells, rows, text } => text
                .get_or_init(|| {
                    let mut column = TextColumn::default();
                    for i in 0..*rows {
                        cells(i, &mut column.text);
                        column.ends.push(column.text.len());
                    }
                    column
                })
                .cell(i)
                .as_bytes(),
        }
    }

    /// The first row with a text longer than `most` bytes, and its length.
    fn longest_past(&self, most: usize) -> Option<(usize, usize)> {
        let first = |len: &dyn Fn(usize) -> usize, rows: usize| {
            (0..rows).map(|i| (i, len(i))).find(|&(_, n)| n > most)
        };
        match &self.text {
            TextOf::View(a) if a.total_bytes_len() > most => first(&|i| a.value(i).len(), a.len()),
            TextOf::Utf8(a) if a.values().len() > most => first(&|i| a.value(i).len(), a.len()),
            TextOf::LargeUtf8(a) if a.values().len() > most => {
                first(&|i| a.value(i).len(), a.len())
            }
            TextOf::Entries { keys, entries, .. } if entries.text.len() > most => {
                let long = |k: u32| k != MISSING && entries.cell(k as usize).len() > most;
                let i = (0..keys.len()).position(|i| long(keys.get(i)))?;
                Some((i, entries.cell(keys.get(i) as usize).len()))
            }
            // Numbers: a few dozen bytes at most.
            _ => None,
        }
    }
}

fn utf8_cell<'s>(valid: bool, value: impl FnOnce() -> &'s str) -> &'s [u8] {
    if valid {
        value().as_bytes()
    } else {
        b""
    }
}

/// A double or integer column's values as numbers; `None` for other types.
fn numbers(array: &dyn Array) -> Option<Numbers<'_>> {
    use ArrowDataType as D;
    fn whole<T: NativeType + Into<i128>>(array: &dyn Array) -> Option<Numbers<'_>> {
        let a = array.as_any().downcast_ref::<PrimitiveArray<T>>()?;
        Some(Box::new(move |i| {
            a.is_valid(i).then(|| a.value(i).into() as f64)
        }))
    }
    match array.dtype() {
        D::Float64 => {
            let a = array.as_any().downcast_ref::<PrimitiveArray<f64>>()?;
            // NaN is a missing value, as a CSV export writes it (nothing).
            Some(Box::new(move |i| {
                a.is_valid(i).then(|| a.value(i)).filter(|x| !x.is_nan())
            }))
        }
        D::Int8 => whole::<i8>(array),
        D::Int16 => whole::<i16>(array),
        D::Int32 => whole::<i32>(array),
        D::Int64 => whole::<i64>(array),
        D::UInt8 => whole::<u8>(array),
        D::UInt16 => whole::<u16>(array),
        D::UInt32 => whole::<u32>(array),
        D::UInt64 => whole::<u64>(array),
        _ => None,
    }
}

/// Keys into a table of the texts of the whole numbers a column holds, when they are whole
/// and span at most [`WIDEST_CODES`]; `None` otherwise.
fn whole_entries(array: &dyn Array) -> Option<(Vec<u32>, TextColumn)> {
    use ArrowDataType as D;
    fn of<T: NativeType + TryInto<i64>>(array: &dyn Array) -> Option<(Vec<u32>, TextColumn)> {
        let a = array.as_any().downcast_ref::<PrimitiveArray<T>>()?;
        // Past i64 (u64 above 2^63) is no code: read as text.
        let values: Vec<i64> = (a.values().iter())
            .map(|&v| v.try_into().ok())
            .collect::<Option<_>>()?;
        keys_of(&values, a.validity())
    }
    match array.dtype() {
        D::Int8 => of::<i8>(array),
        D::Int16 => of::<i16>(array),
        D::Int32 => of::<i32>(array),
        D::Int64 => of::<i64>(array),
        D::UInt8 => of::<u8>(array),
        D::UInt16 => of::<u16>(array),
        D::UInt32 => of::<u32>(array),
        D::UInt64 => of::<u64>(array),
        D::Float64 => {
            // Doubles that are all whole (codes written by pandas, which stores integer
            // columns with missing values as doubles); NaN is missing.
            let a = array.as_any().downcast_ref::<PrimitiveArray<f64>>()?;
            let valid = |i: usize| a.is_valid(i) && !a.value(i).is_nan();
            let whole = |x: f64| x.fract() == 0.0 && x.abs() < 1e15;
            if !(0..a.len()).all(|i| !valid(i) || whole(a.value(i))) {
                return None;
            }
            let values: Vec<i64> = a.values().iter().map(|&x| x as i64).collect();
            let validity: polars_arrow::bitmap::Bitmap = (0..a.len()).map(valid).collect();
            keys_of(&values, Some(&validity))
        }
        _ => None,
    }
}

/// The keys of whole numbers `values` (missing where `validity` says so) into the table of
/// the texts of their range, when it spans at most [`WIDEST_CODES`]. The range is taken over
/// every slot, missing ones too (a decoder fills them with zeros; anything else only widens
/// the range), so both passes run without a branch per value.
fn keys_of(
    values: &[i64],
    validity: Option<&polars_arrow::bitmap::Bitmap>,
) -> Option<(Vec<u32>, TextColumn)> {
    let validity = validity.filter(|v| v.unset_bits() > 0);
    if validity.is_some_and(|v| v.unset_bits() == values.len()) {
        return Some((vec![MISSING; values.len()], TextColumn::default()));
    }
    if values.is_empty() {
        return Some((Vec::new(), TextColumn::default()));
    }
    // Folds of `min` and `max` (not `Iterator::min`): they vectorise.
    let lo = values.iter().fold(i64::MAX, |a, &b| a.min(b));
    let hi = values.iter().fold(i64::MIN, |a, &b| a.max(b));
    if hi as i128 - lo as i128 >= WIDEST_CODES {
        return None;
    }
    let mut keys: Vec<u32> = values.iter().map(|&v| v.wrapping_sub(lo) as u32).collect();
    if let Some(v) = validity {
        for i in (!v).true_idx_iter() {
            keys[i] = MISSING;
        }
    }
    Some((keys, TextColumn::of((lo..=hi).map(|v| v.to_string()))))
}

/// A dictionary's entries as texts, each made once, and every row's key (a key past the
/// dictionary is corrupt data: a missing value, not a panic).
fn dictionary_entries<'a>(
    array: &'a dyn Array,
    booleans: &'a (String, String),
) -> Option<(Vec<u32>, TextColumn)> {
    use ArrowDataType as D;
    fn of<'a, K: DictionaryKey>(
        array: &'a dyn Array,
        booleans: &'a (String, String),
    ) -> Option<(Vec<u32>, TextColumn)> {
        let a = array.as_any().downcast_ref::<DictionaryArray<K>>()?;
        let values = cells(a.values().as_ref(), booleans)?;
        let n = a.values().len();
        let mut entries = TextColumn::default();
        for k in 0..n {
            values(k, &mut entries.text);
            entries.ends.push(entries.text.len());
        }
        let mut keys: Vec<u32> = (a.keys().values().iter())
            .map(|&k| match k.try_into() {
                Ok(k) if k < n && k < MISSING as usize => k as u32,
                _ => MISSING,
            })
            .collect();
        if let Some(v) = a.validity().filter(|v| v.unset_bits() > 0) {
            for i in (!v).true_idx_iter() {
                keys[i] = MISSING;
            }
        }
        Some((keys, entries))
    }
    let D::Dictionary(key, _, _) = array.dtype() else {
        return None;
    };
    match key {
        IntegerType::Int8 => of::<i8>(array, booleans),
        IntegerType::Int16 => of::<i16>(array, booleans),
        IntegerType::Int32 => of::<i32>(array, booleans),
        IntegerType::Int64 => of::<i64>(array, booleans),
        IntegerType::UInt8 => of::<u8>(array, booleans),
        IntegerType::UInt16 => of::<u16>(array, booleans),
        IntegerType::UInt32 => of::<u32>(array, booleans),
        IntegerType::UInt64 => of::<u64>(array, booleans),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::number_text;

    #[test]
    fn decimals_are_written_exactly() {
        use super::decimal_text;
        assert_eq!(decimal_text(12_340_000_000, 9), "12.340000000");
        assert_eq!(decimal_text(5, 3), "0.005");
        assert_eq!(decimal_text(-5, 3), "-0.005");
        assert_eq!(decimal_text(42, 0), "42");
        assert_eq!(
            decimal_text(i128::MIN, 18),
            "-170141183460469231731.687303715884105728"
        );
    }

    #[test]
    fn numbers_read_as_a_csv_writes_them() {
        assert_eq!(number_text(1.0), "1");
        assert_eq!(number_text(0.0), "0");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(1.3087), "1.3087");
        assert_eq!(number_text(0.1 + 0.2), "0.30000000000000004");
    }
}
