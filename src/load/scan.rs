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
/// chunks in flight are held. `progress` is told the bytes of each chunk parsed.
pub fn scan<C: Consumer>(
    f: &CsvFile,
    threads: usize,
    make: &(dyn Fn() -> C + Sync),
    progress: &(dyn Fn(u64) + Sync),
) -> Result<C> {
    let len = std::fs::metadata(f.path).map_err(io)?.len();
    let size = len.saturating_sub(f.data_start);
    let n = size.div_ceil(f.chunk).max(1) as usize;
    let bound = |i: usize| (f.data_start + i as u64 * f.chunk).min(len);
    let next = AtomicUsize::new(0);
    let workers = threads.clamp(1, n);
    let alive = AtomicUsize::new(workers);
    let slots: Mutex<Vec<Option<Result<Chunk<C>>>>> = Mutex::new((0..n).map(|_| None).collect());
    let ready = Condvar::new();

    /// Counts a worker out however it ends (a panic included), and wakes the merger.
    struct Leaving<'a>(&'a AtomicUsize, &'a Condvar);
    impl Drop for Leaving<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
            self.1.notify_all();
        }
    }

    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let _leaving = Leaving(&alive, &ready);
                let mut file = File::open(f.path);
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= n {
                        return;
                    }
                    let chunk = match &mut file {
                        Err(e) => Err(format!("cannot open the file: {e}")),
                        Ok(file) => {
                            let start = if i == 0 {
                                Ok(f.data_start)
                            } else {
                                line_start(file, bound(i), len)
                            };
                            start.and_then(|st| parse_chunk(f, st, bound(i + 1), make()))
                        }
                    };
                    progress(bound(i + 1) - bound(i));
                    if let Ok(mut slots) = slots.lock() {
                        slots[i] = Some(chunk);
                    }
                    ready.notify_all();
                }
            });
        }

        let mut total = make();
        let mut boundary = f.data_start;
        let mut before = 0u64;
        for i in 0..n {
            let taken = {
                let mut guard = slots
                    .lock()
                    .map_err(|_| "a scanning thread failed".to_string())?;
                loop {
                    if let Some(chunk) = guard[i].take() {
                        break chunk;
                    }
                    if alive.load(Ordering::SeqCst) == 0 {
                        return Err("a scanning thread failed".to_string());
                    }
                    guard = ready
                        .wait(guard)
                        .map_err(|_| "a scanning thread failed".to_string())?;
                }
            };
            let chunk = match taken {
                Ok(chunk) => chunk,
                Err(e) => {
                    // Stop the other workers before reporting.
                    next.store(n, Ordering::SeqCst);
                    return Err(e);
                }
            };
            let chunk = if chunk.start == boundary {
                chunk
            } else if boundary >= bound(i + 1) {
                // The previous chunk's last record ran past this whole chunk.
                Chunk {
                    consumer: make(),
                    records: 0,
                    start: boundary,
                    end: boundary,
                }
            } else {
                // The guess fell inside a quoted field: parse again from the true boundary.
                parse_chunk(f, boundary, bound(i + 1), make())?
            };
            boundary = chunk.end;
            total.absorb(chunk.consumer, before);
            before += chunk.records;
        }
        Ok(total)
    })
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
