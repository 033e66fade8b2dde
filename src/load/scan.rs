//! The CSV scanner: one pass over a file, in parallel over fixed-size chunks, handing each
//! record to a [`Consumer`]. Correct with quoted fields and embedded newlines:
//!
//! A chunk cannot know whether it starts inside a quoted field, so it guesses that it does
//! not and starts at its first line. Each chunk reports where its last record ended, which
//! is a true record boundary when the chunk itself started on one. Going through the
//! chunks in order, a chunk whose guess equals the previous chunk's end is proven right;
//! any other is parsed again from the true boundary (only a quoted newline right at a
//! chunk boundary causes that). Chunks are a fixed number of bytes, whatever the number of
//! threads, so every run splits a file the same way.

use std::borrow::Cow;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

/// What went wrong, in words; the caller names the file.
type Result<T> = std::result::Result<T, String>;

fn io(e: std::io::Error) -> String {
    format!("cannot read the file: {e}")
}
use simd_csv::{ZeroCopyByteRecord, ZeroCopyReaderBuilder};

use super::MAX_RECORD;
use crate::record::{Consumer, Fields};

/// Bytes per chunk. Large enough that per-chunk work is negligible, small enough that
/// two cores share the work of a 70 MB file evenly.
pub const CHUNK: u64 = 4 << 20;

impl Fields for ZeroCopyByteRecord<'_> {
    fn len(&self) -> usize {
        ZeroCopyByteRecord::len(self)
    }

    #[inline]
    fn get(&self, column: usize) -> Option<Cow<'_, [u8]>> {
        self.unescape(column)
    }

    fn is_utf8(&self) -> bool {
        simdutf8::basic::from_utf8(self.as_slice()).is_ok()
    }
}

/// What the scan needs to know about the file.
#[derive(Debug, Clone)]
pub struct CsvFile<'a> {
    pub path: &'a Path,
    /// Byte offset of the first data record (after the header rows).
    pub data_start: u64,
    pub delimiter: u8,
    /// Bytes per chunk; [`CHUNK`] unless a test wants many chunks.
    pub chunk: u64,
}

/// One parsed chunk.
pub struct Chunk<C> {
    pub consumer: C,
    /// Records parsed.
    pub records: u64,
    /// Where parsing started and where the last record ended.
    start: u64,
    end: u64,
}

/// The first line start at or after `at` (the file length if there is none).
fn line_start(file: &mut File, at: u64, len: u64) -> Result<u64> {
    if at == 0 {
        return Ok(0);
    }
    file.seek(SeekFrom::Start(at - 1)).map_err(io)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut pos = at - 1;
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            return Ok(len);
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return Ok(pos + i as u64 + 1);
        }
        pos += n as u64;
    }
}

/// Parses records starting at `start` until one ends at or after `stop` (or the file ends).
fn parse_chunk<C: Consumer>(
    f: &CsvFile,
    start: u64,
    stop: u64,
    mut consumer: C,
) -> Result<Chunk<C>> {
    let mut file = File::open(f.path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if start >= len {
        return Ok(Chunk {
            consumer,
            records: 0,
            start,
            end: start,
        });
    }
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    // No record may run more than MAX_RECORD past the chunk: the reader's buffer stays
    // bounded whatever the file holds.
    let limit = stop.saturating_sub(start).saturating_add(MAX_RECORD);
    let mut reader = ZeroCopyReaderBuilder::new()
        .delimiter(f.delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 18)
        .from_reader(file.take(limit));
    let too_long = |at: u64| {
        format!(
            "the record at byte {at} is longer than {} MiB (is a quote never closed?)",
            MAX_RECORD >> 20
        )
    };
    let mut records = 0u64;
    let mut end = start;
    loop {
        let at = start + reader.position();
        if at >= stop {
            end = at;
            break;
        }
        match reader
            .read_byte_record()
            .map_err(|e| format!("cannot read as CSV: {e}"))?
        {
            Some(rec) => {
                if rec.as_slice().len() as u64 > MAX_RECORD {
                    return Err(too_long(at));
                }
                consumer.record(&rec, at, records);
                records += 1;
            }
            None => {
                if start + limit < len {
                    return Err(too_long(at));
                }
                end = end.max(len);
                break;
            }
        }
    }
    Ok(Chunk {
        consumer,
        records,
        start,
        end,
    })
}

/// Scans the data records of `f` with one consumer per chunk on up to `threads` threads,
/// and merges the chunks into one consumer in file order as they complete, so only the
pub fn scan<C: Consumer>(
    f: &CsvFile,
    threads: usize,
    make: &(dyn Fn() -> C + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<C> {
    let len = std::fs::metadata(f.path).map_err(io)?.len();
    let size = len.saturating_sub(f.data_start);
    let n = size.div_ceil(f.chunk).max(1) as usize;
    let bounds = Bounds { f, len };
    let workers = threads.clamp(1, n);
    let slots = Slots::new(n, workers);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| work(f, &bounds, &slots, make, progress));
        }
        let mut total = make();
        let mut boundary = f.data_start;
        let mut before = 0u64;
        for i in 0..n {
            let chunk = match slots.take(i) {
                Ok(chunk) => chunk,
                Err(e) => {
                    // Stop the other workers before reporting.
                    slots.stop();
                    return Err(e);
                }
            };
            let chunk = if chunk.start == boundary {
                chunk
            } else if boundary >= bounds.at(i + 1) {
                // The previous chunk's last record ran past this whole chunk.
                Chunk {
                    consumer: make(),
                    records: 0,
                    start: boundary,
                    end: boundary,
                }
            } else {
                // The guess fell inside a quoted field: parse again from the true boundary.
                parse_chunk(f, boundary, bounds.at(i + 1), make())?
            };
            boundary = chunk.end;
            total.absorb(chunk.consumer, before);
            before += chunk.records;
        }
        Ok(total)
    })
}

/// Where chunk `i` starts: a fixed number of bytes after the header.
struct Bounds<'a> {
    f: &'a CsvFile<'a>,
    len: u64,
}

impl Bounds<'_> {
    fn at(&self, i: usize) -> u64 {
        (self.f.data_start + i as u64 * self.f.chunk).min(self.len)
    }
}

/// One worker: claims chunk after chunk, parses it from its first line, and leaves it in
/// its slot for the merger.
fn work<C: Consumer>(
    f: &CsvFile,
    bounds: &Bounds,
    slots: &Slots<C>,
    make: &(dyn Fn() -> C + Sync),
    progress: &(dyn Fn(u64) + Sync),
) {
    let _leaving = Leaving(slots);
    let mut file = File::open(f.path);
    while let Some(i) = slots.claim() {
        let chunk = match &mut file {
            Err(e) => Err(format!("cannot open the file: {e}")),
            Ok(file) => {
                let start = if i == 0 {
                    Ok(f.data_start)
                } else {
                    line_start(file, bounds.at(i), bounds.len)
                };
                start.and_then(|st| parse_chunk(f, st, bounds.at(i + 1), make()))
            }
        };
        progress(bounds.at(i + 1) - bounds.at(i));
        slots.put(i, chunk);
    }
}

/// Parsed chunks waiting to be merged in order, and the workers still running.
struct Slots<C> {
    chunks: Mutex<Vec<Option<Result<Chunk<C>>>>>,
    ready: Condvar,
    next: AtomicUsize,
    alive: AtomicUsize,
    n: usize,
}

impl<C> Slots<C> {
    fn new(n: usize, workers: usize) -> Slots<C> {
        Slots {
            chunks: Mutex::new((0..n).map(|_| None).collect()),
            ready: Condvar::new(),
            next: AtomicUsize::new(0),
            alive: AtomicUsize::new(workers),
            n,
        }
    }

    /// The next chunk to parse, if any is left.
    fn claim(&self) -> Option<usize> {
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        (i < self.n).then_some(i)
    }

    /// No chunk is claimed after this.
    fn stop(&self) {
        self.next.store(self.n, Ordering::SeqCst);
    }

    fn put(&self, i: usize, chunk: Result<Chunk<C>>) {
        if let Ok(mut chunks) = self.chunks.lock() {
            chunks[i] = Some(chunk);
        }
        self.ready.notify_all();
    }

    /// Chunk `i`, once parsed; an error if every worker ended without it (a panic).
    fn take(&self, i: usize) -> Result<Chunk<C>> {
        let failed = || "a scanning thread failed".to_string();
        let mut guard = self.chunks.lock().map_err(|_| failed())?;
        loop {
            if let Some(chunk) = guard[i].take() {
                return chunk;
            }
            if self.alive.load(Ordering::SeqCst) == 0 {
                return Err(failed());
            }
            guard = self.ready.wait(guard).map_err(|_| failed())?;
        }
    }
}

/// Counts a worker out however it ends (a panic included), and wakes the merger.
struct Leaving<'a, C>(&'a Slots<C>);

impl<C> Drop for Leaving<'_, C> {
    fn drop(&mut self) {
        self.0.alive.fetch_sub(1, Ordering::SeqCst);
        self.0.ready.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects every record as owned fields.
    #[derive(Default)]
    struct Collect(Vec<Vec<String>>);

    impl Consumer for Collect {
        fn record<F: Fields>(&mut self, rec: &F, _: u64, _: u64) {
            self.0.push(
                (0..rec.len())
                    .map(|i| String::from_utf8_lossy(&rec.get(i).unwrap_or_default()).into_owned())
                    .collect(),
            );
        }
        fn absorb(&mut self, next: Self, _: u64) {
            self.0.extend(next.0);
        }
    }

    fn records(bytes: &[u8], chunk: u64) -> Vec<Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, bytes).unwrap();
        let f = CsvFile {
            path: &path,
            data_start: 0,
            delimiter: b',',
            chunk,
        };
        scan(&f, 3, &Collect::default, &|_| {}).unwrap().0
    }

    #[test]
    fn every_chunking_gives_the_same_records() {
        let data = b"a,b\n\"x\ny\",2\n3,\"q\"\"\n\n\n\"\"\"\n\n\n,4\r\n5,6\n\"long\nquoted\nfield\n\",7\n8,9";
        let whole = records(data, 1 << 20);
        assert_eq!(whole.len(), 7, "{whole:?}");
        assert_eq!(whole[1], vec!["x\ny", "2"]);
        assert_eq!(whole[2], vec!["3", "q\"\n\n\n\""]);
        assert_eq!(whole[3], vec!["", "4"]);
        assert_eq!(whole[4], vec!["5", "6"]);
        assert_eq!(whole[5], vec!["long\nquoted\nfield\n", "7"]);
        assert_eq!(whole[6], vec!["8", "9"]);
        for chunk in 1..=data.len() as u64 {
            assert_eq!(records(data, chunk), whole, "chunk size {chunk}");
        }
    }
}
