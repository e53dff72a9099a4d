//! Append throughput of `binvault-sink`'s [`Archive`] under each fsync policy, with plain
//! sequential writes of the same bytes to the same file system as the baselines, in the same run.
//!
//! Input: the events of the real MariaDB binlog `testdata/crc32-full/mariadb-bin.000001` (~140 KB,
//! 110 transactions of every column type, ~1.3 KB each: OLTP-sized) made into one file of a few MB:
//! its header events (FORMAT_DESCRIPTION, GTID_LIST, BINLOG_CHECKPOINT) once, then its transactions
//! `BINVAULT_SINK_BENCH_COPIES` times (default 32: 4.5 MB, 3,520 transactions), without the final
//! ROTATE (a steady-state active file: no sealing). Each copy gets the offsets it has in the new file
//! (`log_pos` rewritten) and GTID sequence numbers continuing per domain, with every CRC32
//! recomputed, so the stream is a valid binlog; before timing it is appended once and checked: the
//! archived file equals it byte for byte, the archive counts every transaction, and reopening
//! (recovery scans the file: lengths, CRC32s, position chain) cuts nothing.
//!
//! Each iteration (creating and removing the temporary directory is not timed) writes the whole
//! stream into a fresh directory under `$TMPDIR` (default `/tmp`):
//! - `archive/every_commit`, `archive/interval_10ms`, `archive/bytes_1mib`: `Archive::open` with
//!   the policy, `append` of every event with `sync()` whenever `needs_sync(Instant::now())` says
//!   so, checked after every event (a source whose events arrive one at a time: no group commit
//!   from batching), then `close()`.
//! - `archive/sync_at_close`: the same with `Bytes(u64::MAX)`: no policy fsync at all, only the
//!   ones of `open` and `close` (8 fsyncs of the file, the index, the state file and the directory,
//!   whatever the policy); the archive's CPU cost (decoding, CRC32 checks, bookkeeping).
//! - `plain/write_per_event_fsync`: `write_all` event by event (the archive's write calls), one
//!   `fsync`: between it and `archive/sync_at_close` is the archive's own cost.
//! - `plain/write_fsync`: one `write_all` of the same bytes to a new file, one `fsync`.
//! - `plain/write_fdatasync_per_txn`: `write_all` event by event (the archive's write calls) and an
//!   `fdatasync` at exactly the offsets where `every_commit` syncs (the same number of fsyncs), a
//!   final `fsync`: the baseline of `archive/every_commit`.
//!
//! Criterion reports transactions/s and MiB/s; after the group a summary prints, per bench, the
//! fsyncs per iteration, MB/s, transactions/s and fsyncs/s (means over every iteration run,
//! warm-up included).
//!
//! `cargo bench -p binvault-benches --bench sink` (2–3 minutes, most of it in the two benches with
//! an fsync per transaction).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use binvault_parser::{frame, EventHeader, Frame, SliceReader};
use binvault_sink::{Archive, SinkOptions, SyncPolicy};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The source of the events, relative to `testdata/`.
const SOURCE: &str = "crc32-full/mariadb-bin.000001";
/// Environment variable: how many times the transactions are repeated.
const COPIES_ENV: &str = "BINVAULT_SINK_BENCH_COPIES";
/// The archived file's name.
const NAME: &str = "bench-bin.000001";

const MARIA_GTID: u8 = 162;
const ROTATE: u8 = 4;
const HEADER_LEN: usize = 19;

/// The stream the benches write.
struct Stream {
    /// The whole file, magic included.
    data: Vec<u8>,
    /// Where each event is in `data`.
    events: Vec<Range<usize>>,
    /// Transactions (GTID event groups).
    transactions: u64,
    /// Copies of the source's transactions.
    copies: u64,
}

fn split(data: &[u8]) -> Vec<Range<usize>> {
    assert_eq!(&data[..4], b"\xfebin", "no binlog magic");
    let mut out = Vec::new();
    let mut pos = 4;
    while pos < data.len() {
        let Ok(Frame::Complete(n)) = frame(&data[pos..], 1 << 30) else {
            panic!("bad event at {pos}")
        };
        out.push(pos..pos + n);
        pos += n;
    }
    out
}

fn set_crc(raw: &mut [u8]) {
    let n = raw.len() - 4;
    let crc = crc32fast::hash(&raw[..n]);
    raw[n..].copy_from_slice(&crc.to_le_bytes());
}

fn crc_ok(raw: &[u8]) -> bool {
    let n = raw.len() - 4;
    crc32fast::hash(&raw[..n]).to_le_bytes() == raw[n..]
}

/// MariaDB GTID event body: seq_no (u64), domain_id (u32), flags...
fn gtid_seq_domain(raw: &[u8]) -> (u64, u32) {
    let b = &raw[HEADER_LEN..];
    (
        u64::from_le_bytes(b[..8].try_into().unwrap()),
        u32::from_le_bytes(b[8..12].try_into().unwrap()),
    )
}

fn build_stream(copies: u64) -> Stream {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(SOURCE);
    let src = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let evs = split(&src);
    let ty = |r: &Range<usize>| EventHeader::parse(&src[r.clone()]).unwrap().type_code;
    assert_eq!(
        evs.last().map(ty),
        Some(ROTATE),
        "{SOURCE} ends with a ROTATE"
    );
    assert!(
        evs.iter().all(|r| crc_ok(&src[r.clone()])),
        "{SOURCE} has CRC32 checksums"
    );
    let first_tx = evs.iter().position(|r| ty(r) == MARIA_GTID).unwrap();
    let (head, body) = (&evs[..first_tx], &evs[first_tx..evs.len() - 1]);
    // Sequence numbers per domain: copy k adds k * (max - min + 1).
    let mut span: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    let mut tx_per_copy = 0;
    for r in body.iter().filter(|r| ty(r) == MARIA_GTID) {
        let (seq, domain) = gtid_seq_domain(&src[r.clone()]);
        let e = span.entry(domain).or_insert((seq, seq));
        *e = (e.0.min(seq), e.1.max(seq));
        tx_per_copy += 1;
    }
    let mut data = src[..head.last().unwrap().end].to_vec();
    let mut events: Vec<Range<usize>> = head.to_vec();
    for k in 0..copies {
        for r in body {
            let start = data.len();
            data.extend_from_slice(&src[r.clone()]);
            let raw = &mut data[start..];
            let end = u32::try_from(start + raw.len()).expect("stream under 4 GiB");
            raw[13..17].copy_from_slice(&end.to_le_bytes());
            if raw[4] == MARIA_GTID {
                let (seq, domain) = gtid_seq_domain(raw);
                let (lo, hi) = span[&domain];
                let seq = seq + k * (hi - lo + 1);
                raw[HEADER_LEN..HEADER_LEN + 8].copy_from_slice(&seq.to_le_bytes());
            }
            set_crc(raw);
            events.push(start..data.len());
        }
    }
    Stream {
        data,
        events,
        transactions: tx_per_copy * copies,
        copies,
    }
}

/// Appends the stream to a new archive in `dir`; returns how many times the policy asked for
/// an fsync, and (with `record`) after which events.
fn archive_run(
    dir: &Path,
    policy: SyncPolicy,
    s: &Stream,
    mut record: Option<&mut Vec<usize>>,
) -> u64 {
    let (mut archive, _) = Archive::open(
        dir,
        SinkOptions {
            sync: policy,
            ..SinkOptions::default()
        },
    )
    .unwrap();
    let mut syncs = 0;
    for (i, r) in s.events.iter().enumerate() {
        archive
            .append(NAME, r.start as u64, &s.data[r.clone()])
            .unwrap();
        if archive.needs_sync(Instant::now()) {
            archive.sync().unwrap();
            syncs += 1;
            if let Some(rec) = record.as_deref_mut() {
                rec.push(i);
            }
        }
    }
    archive.close().unwrap();
    syncs
}

fn plain_write_fsync(dir: &Path, s: &Stream) -> u64 {
    let mut f = File::create(dir.join(NAME)).unwrap();
    f.write_all(&s.data).unwrap();
    f.sync_all().unwrap();
    1
}

/// `sync_after[i]`: fdatasync after event `i` (`data[..4]`, the magic, is written first).
fn plain_write_fdatasync_at(dir: &Path, s: &Stream, sync_after: &[bool]) -> u64 {
    let mut f = File::create(dir.join(NAME)).unwrap();
    f.write_all(&s.data[..4]).unwrap();
    let mut syncs = 0;
    for (r, &sync) in s.events.iter().zip(sync_after) {
        f.write_all(&s.data[r.clone()]).unwrap();
        if sync {
            f.sync_data().unwrap();
            syncs += 1;
        }
    }
    f.sync_all().unwrap();
    syncs
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("binvault-sink-bench")
        .tempdir()
        .unwrap()
}

/// Appends once with every-commit and checks the result; returns the events after which
/// every-commit syncs.
fn check(s: &Stream) -> Vec<usize> {
    let n = SliceReader::new(&s.data)
        .map(|e| e.map(|_| ()))
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .len();
    assert_eq!(n, s.events.len(), "the stream decodes, CRC32s checked");
    let dir = tempdir();
    let mut at = Vec::new();
    let syncs = archive_run(dir.path(), SyncPolicy::EveryCommit, s, Some(&mut at));
    assert_eq!(syncs, at.len() as u64);
    assert!(
        std::fs::read(dir.path().join(NAME)).unwrap() == s.data,
        "archived bytes differ"
    );
    let (archive, rec) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    assert!(
        rec.truncated.is_empty() && rec.index_rebuilt.is_none(),
        "recovery: {rec:?}"
    );
    let entry = archive.index().get(NAME).unwrap();
    assert_eq!(
        entry.transactions, s.transactions,
        "transactions counted by the archive"
    );
    assert_eq!(entry.size, s.data.len() as u64);
    eprintln!(
        "sink bench data: {SOURCE} transactions x {}: {:.2} MB, {} events, {} transactions; GTIDs {}; \
         every-commit asks for {} fsyncs; temporary directories in {}",
        s.copies,
        s.data.len() as f64 / 1e6,
        s.events.len(),
        s.transactions,
        entry.gtids,
        syncs,
        std::env::temp_dir().display()
    );
    at
}

#[derive(Default)]
struct Tally {
    iters: Cell<u64>,
    time: Cell<Duration>,
    syncs: Cell<u64>,
}

fn benches(c: &mut Criterion) {
    let copies = std::env::var(COPIES_ENV)
        .ok()
        .map_or(32, |v| v.parse::<u64>().expect(COPIES_ENV));
    let s = &build_stream(copies);
    let at = check(s);
    let no_sync = vec![false; s.events.len()];
    let mut sync_after = no_sync.clone();
    for i in at {
        sync_after[i] = true;
    }

    type Run<'a> = Box<dyn Fn(&Path) -> u64 + 'a>;
    let policy =
        |p: SyncPolicy| -> Run<'_> { Box::new(move |d: &Path| archive_run(d, p, s, None)) };
    // Each archive run next to its baseline: the load of this shared machine drifts.
    let runs: Vec<(&str, Run<'_>)> = vec![
        ("archive/every_commit", policy(SyncPolicy::EveryCommit)),
        (
            "plain/write_fdatasync_per_txn",
            Box::new(|d: &Path| plain_write_fdatasync_at(d, s, &sync_after)),
        ),
        (
            "archive/interval_10ms",
            policy(SyncPolicy::Interval(Duration::from_millis(10))),
        ),
        ("archive/bytes_1mib", policy(SyncPolicy::Bytes(1 << 20))),
        ("archive/sync_at_close", policy(SyncPolicy::Bytes(u64::MAX))),
        (
            "plain/write_per_event_fsync",
            Box::new(|d: &Path| plain_write_fdatasync_at(d, s, &no_sync)),
        ),
        (
            "plain/write_fsync",
            Box::new(|d: &Path| plain_write_fsync(d, s)),
        ),
    ];
    let tallies: Vec<Tally> = runs.iter().map(|_| Tally::default()).collect();

    let mut g = c.benchmark_group("sink_append");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6));
    g.throughput(Throughput::ElementsAndBytes {
        elements: s.transactions,
        bytes: s.data.len() as u64,
    });
    for ((name, run), t) in runs.iter().zip(&tallies) {
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let dir = tempdir();
                    let start = Instant::now();
                    let syncs = run(dir.path());
                    total += start.elapsed();
                    drop(dir);
                    t.syncs.set(t.syncs.get() + syncs);
                }
                t.iters.set(t.iters.get() + iters);
                t.time.set(t.time.get() + total);
                total
            })
        });
    }
    g.finish();

    eprintln!("\nsink_append summary (means over all iterations, warm-up included):");
    eprintln!(
        "{:<32} {:>6} {:>10} {:>9} {:>10} {:>10}",
        "bench", "iters", "fsyncs/it", "MB/s", "txn/s", "fsyncs/s"
    );
    for ((name, _), t) in runs.iter().zip(&tallies) {
        if t.iters.get() == 0 {
            continue; // filtered out
        }
        let (n, secs) = (
            t.iters.get().max(1) as f64,
            t.time.get().as_secs_f64().max(1e-9),
        );
        eprintln!(
            "{:<32} {:>6} {:>10.0} {:>9.1} {:>10.0} {:>10.0}",
            name,
            t.iters.get(),
            t.syncs.get() as f64 / n,
            s.data.len() as f64 * n / secs / 1e6,
            s.transactions as f64 * n / secs,
            t.syncs.get() as f64 / secs
        );
    }
}

criterion_group!(sink, benches);
criterion_main!(sink);
