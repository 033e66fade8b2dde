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
//!
//! The scan also computes the file's BLAKE3 digest: chunks are aligned to multiples of their
//! size in the file (a power of two), so each is a subtree of BLAKE3's hash tree, hashed by
//! the thread that parses it from the bytes it reads anyway; the subtrees are joined in file
//! order. No thread reads the file a second time for its digest.

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
use blake3::hazmat::{merge_subtrees_non_root, merge_subtrees_root, HasherExt, Mode};
use simd_csv::{ZeroCopyByteRecord, ZeroCopyReaderBuilder};

use super::MAX_RECORD;
use crate::load::record::{Consumer, Fields};

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
    /// Bytes per chunk; [`CHUNK`] unless a test wants many chunks. The digest needs a power
    /// of two of at least 1 KiB (BLAKE3's chunk).
    pub chunk: u64,
    /// Whether to compute the file's digest during the scan.
    pub digest: bool,
}

/// The file's BLAKE3 digest and its number of quote characters (odd when a quoted field is
/// never closed).
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    pub hash: blake3::Hash,
    pub quotes: u64,
}

/// One chunk's part of the digest: the subtree of bytes `[i·chunk, (i+1)·chunk)`.
struct Part {
    hasher: blake3::Hasher,
    quotes: u64,
    /// Absolute offsets of the part still to hash.
    at: u64,
    end: u64,
}

impl Part {
    fn new(start: u64, end: u64) -> Part {
        let mut hasher = blake3::Hasher::new();
        hasher.set_input_offset(start);
        Part {
            hasher,
            quotes: 0,
            at: start,
            end,
        }
    }

    /// Takes the bytes read at absolute offset `from`, keeping those that are next.
    fn take(&mut self, from: u64, bytes: &[u8]) {
        if from > self.at || from + bytes.len() as u64 <= self.at || self.at >= self.end {
            return;
        }
        let skip = (self.at - from) as usize;
        let n = (bytes.len() - skip).min((self.end - self.at) as usize);
        let mine = &bytes[skip..skip + n];
        self.hasher.update(mine);
        self.quotes += memchr::memchr_iter(b'"', mine).count() as u64;
        self.at += n as u64;
    }

    /// Reads and takes whatever of the part lies before `before` and is not taken yet.
    fn fill(&mut self, file: &mut File, before: u64) -> Result<()> {
        let stop = before.min(self.end);
        if self.at >= stop {
            return Ok(());
        }
        file.seek(SeekFrom::Start(self.at)).map_err(io)?;
        let mut buf = vec![0u8; (stop - self.at).min(1 << 20) as usize];
        while self.at < stop {
            let want = ((stop - self.at) as usize).min(buf.len());
            file.read_exact(&mut buf[..want]).map_err(io)?;
            let at = self.at;
            self.take(at, &buf[..want]);
        }
        Ok(())
    }
}

/// A reader that shows the parser's bytes to a [`Part`] on their way.
struct Tee<'a, R> {
    inner: R,
    pos: u64,
    part: Option<&'a mut Part>,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(part) = self.part.as_deref_mut() {
            part.take(self.pos, &buf[..n]);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// The digest of the whole file from its parts' subtrees, in file order.
fn join(parts: Vec<Part>, chunk: u64, len: u64) -> Digest {
    let quotes = parts.iter().map(|p| p.quotes).sum();
    let hash = if parts.len() == 1 {
        parts[0].hasher.finalize()
    } else {
        let cvs: Vec<_> = parts.iter().map(|p| p.hasher.finalize_non_root()).collect();
        let (left, right) = halves(&cvs, chunk, len);
        merge_subtrees_root(&left, &right, Mode::Hash)
    };
    Digest { hash, quotes }
}

/// The chaining values of the two halves of the tree over `len` bytes whose subtrees of
/// `chunk` bytes are `cvs` (BLAKE3's left half holds the largest power of two of its
/// 1 KiB chunks that leaves something on the right).
fn halves(cvs: &[blake3::hazmat::ChainingValue], chunk: u64, len: u64) -> ([u8; 32], [u8; 32]) {
    let left_len = blake3::hazmat::left_subtree_len(len);
    let k = (left_len / chunk) as usize;
    let side = |cvs: &[blake3::hazmat::ChainingValue], len: u64| {
        if cvs.len() == 1 {
            cvs[0]
        } else {
            let (l, r) = halves(cvs, chunk, len);
            merge_subtrees_non_root(&l, &r, Mode::Hash)
        }
    };
    (side(&cvs[..k], left_len), side(&cvs[k..], len - left_len))
}

/// One parsed chunk.
pub struct Chunk<C> {
    pub consumer: C,
    /// This chunk's part of the digest, when one is computed.
    part: Option<Part>,
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
    part: Option<&mut Part>,
) -> Result<Chunk<C>> {
    let mut file = File::open(f.path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if start >= len {
        return Ok(Chunk {
            consumer,
            part: None,
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
        .from_reader(Tee {
            inner: file.take(limit),
            pos: start,
            part,
        });
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
        part: None,
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
) -> Result<(C, Option<Digest>)> {
    let len = std::fs::metadata(f.path).map_err(io)?.len();
    if f.digest && (!f.chunk.is_power_of_two() || f.chunk < blake3::CHUNK_LEN as u64) {
        return Err(format!("cannot digest in chunks of {} bytes", f.chunk));
    }
    let n = len.div_ceil(f.chunk).max(1) as usize;
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
        let mut parts = Vec::with_capacity(if f.digest { n } else { 0 });
        for i in 0..n {
            let mut chunk = match slots.take(i) {
                Ok(chunk) => chunk,
                Err(e) => {
                    // Stop the other workers before reporting.
                    slots.stop();
                    return Err(e);
                }
            };
            parts.extend(chunk.part.take());
            let chunk = if chunk.start == boundary {
                chunk
            } else if boundary >= bounds.at(i + 1) {
                // The previous chunk's last record ran past this whole chunk.
                Chunk {
                    consumer: make(),
                    part: None,
                    records: 0,
                    start: boundary,
                    end: boundary,
                }
            } else {
                // The guess fell inside a quoted field: parse again from the true boundary.
                parse_chunk(f, boundary, bounds.at(i + 1), make(), None)?
            };
            boundary = chunk.end;
            total.absorb(chunk.consumer, before);
            before += chunk.records;
        }
        let digest = (f.digest && parts.len() == n).then(|| join(parts, f.chunk, len));
        Ok((total, digest))
    })
}

/// Where chunk `i` starts: at a multiple of the chunk size in the file (the first after
/// the header rows), so that every chunk is a subtree of the digest's hash tree.
struct Bounds<'a> {
    f: &'a CsvFile<'a>,
    len: u64,
}

impl Bounds<'_> {
    fn at(&self, i: usize) -> u64 {
        if i == 0 {
            return self.f.data_start.min(self.len);
        }
        (i as u64 * self.f.chunk)
            .max(self.f.data_start)
            .min(self.len)
    }

    /// The bytes whose digest chunk `i` computes: its share of the file, header included.
    fn hashed(&self, i: usize) -> (u64, u64) {
        let c = self.f.chunk;
        (
            (i as u64 * c).min(self.len),
            ((i as u64 + 1) * c).min(self.len),
        )
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
                start.and_then(|st| {
                    let Some((from, to)) = f.digest.then(|| bounds.hashed(i)) else {
                        return parse_chunk(f, st, bounds.at(i + 1), make(), None);
                    };
                    // The bytes before the parse's start (the header, the end of the
                    // previous chunk's last line) are read for the digest alone.
                    let mut part = Part::new(from, to);
                    part.fill(file, st)?;
                    let mut chunk = parse_chunk(f, st, bounds.at(i + 1), make(), Some(&mut part))?;
                    // Whatever the parse did not read (it stops at the end of the file).
                    part.fill(file, to)?;
                    chunk.part = Some(part);
                    Ok(chunk)
                })
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
    /// Chunks merged so far, and how far past them a worker may parse: a merge slower
    /// than the parse (a design's rows held back) must not let parsed chunks pile up.
    merged: AtomicUsize,
    ahead: usize,
    stopped: std::sync::atomic::AtomicBool,
}

impl<C> Slots<C> {
    fn new(n: usize, workers: usize) -> Slots<C> {
        Slots {
            chunks: Mutex::new((0..n).map(|_| None).collect()),
            ready: Condvar::new(),
            next: AtomicUsize::new(0),
            alive: AtomicUsize::new(workers),
            n,
            merged: AtomicUsize::new(0),
            ahead: workers + 1,
            stopped: Default::default(),
        }
    }

    /// The next chunk to parse, if any is left, once it is near enough the merge. (The
    /// chunks before it are parsed or being parsed, so the merge reaches it.)
    fn claim(&self) -> Option<usize> {
        let i = self.next.fetch_add(1, Ordering::SeqCst);
        if i >= self.n {
            return None;
        }
        let mut guard = self.chunks.lock().ok()?;
        while i >= self.merged.load(Ordering::SeqCst) + self.ahead {
            if self.stopped.load(Ordering::SeqCst) {
                return None;
            }
            guard = self.ready.wait(guard).ok()?;
        }
        Some(i)
    }

    /// No chunk is claimed after this.
    fn stop(&self) {
        self.next.store(self.n, Ordering::SeqCst);
        // Under the lock: a worker checks it before it waits.
        let guard = self.chunks.lock();
        self.stopped.store(true, Ordering::SeqCst);
        drop(guard);
        self.ready.notify_all();
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
                self.merged.store(i + 1, Ordering::SeqCst);
                drop(guard);
                self.ready.notify_all();
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
            digest: false,
        };
        scan(&f, 3, &Collect::default, &|_| {}).unwrap().0 .0
    }

    /// Scans `bytes` (header: its first line) in chunks of `chunk` bytes, with the digest.
    fn digested(bytes: &[u8], chunk: u64) -> (usize, Digest) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, bytes).unwrap();
        let data_start = bytes.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1) as u64;
        let f = CsvFile {
            path: &path,
            data_start,
            delimiter: b',',
            chunk,
            digest: true,
        };
        let (records, digest) = scan(&f, 3, &Collect::default, &|_| {}).unwrap();
        (records.0.len(), digest.unwrap())
    }

    #[test]
    fn the_scan_digests_the_whole_file_as_blake3_does() {
        // Records with quoted newlines and quotes, some longer than a chunk, and a header.
        let mut bytes = b"id,text\n".to_vec();
        let mut rows = 0;
        for i in 0..900u64 {
            let text = match i % 7 {
                0 => "\"a \"\"quoted\"\" line\nand another\"".to_string(),
                3 => format!("\"{}\"", "long ".repeat((i % 500) as usize)),
                _ => format!("plain{i}"),
            };
            bytes.extend_from_slice(format!("{i},{text}\n").as_bytes());
            rows += 1;
            let (len, quotes) = (bytes.len(), bytes.iter().filter(|&&b| b == b'"').count());
            // Files ending at many places relative to the chunk boundaries.
            if i % 97 == 0 || len < 2100 {
                for chunk in [1024, 2048, 4096, 1 << 20] {
                    let (n, d) = digested(&bytes, chunk);
                    assert_eq!(n, rows, "chunk {chunk}, {len} bytes");
                    assert_eq!(d.hash, blake3::hash(&bytes), "chunk {chunk}, {len} bytes");
                    assert_eq!(d.quotes, quotes as u64);
                }
            }
        }
        // A header longer than several chunks.
        let mut long = vec![b'h'; 5000];
        long.extend_from_slice(b"\n1\n2\n");
        for chunk in [1024, 2048] {
            let (n, d) = digested(&long, chunk);
            assert_eq!((n, d.hash), (2, blake3::hash(&long)), "chunk {chunk}");
        }
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
