//! What sealing a finished file costs the stream at a rotation, before and after hashing
//! while writing and compressing in the background.
//!
//! Input: a 64 MiB file made of the real MariaDB binlog `testdata/crc32-full/mariadb-bin.000001`
//! repeated (`BINVAULT_SEAL_BENCH_MIB` sets the size), written and fsynced once in `$TMPDIR`.
//! - `seal/read_back_sha256`: `seal(.., compress = false)` — fsync, then the sha256 read back
//!   from the file: what the stream waited for at every rotation before.
//! - `seal/read_back_sha256_gzip`: `seal(.., compress = true)` on a fresh copy (not timed):
//!   the same plus gzip, verification and the rename — what `--compress-sealed` cost inline.
//! - `seal/hashed_while_writing`: `seal_known` with the sha256 already computed: only the
//!   fsync is left at the rotation (the gzip runs on a background thread).
//! - `hash/sha256_update`: the incremental hashing itself, over the same bytes in event-sized
//!   pieces (~1.3 KB): the cost moved from the rotation into `append`.
//!
//! `cargo bench -p binvault-benches --bench seal`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use binvault_sink::index::FileEntry;
use binvault_sink::seal;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

const NAME: &str = "bench-bin.000001";

fn input() -> Vec<u8> {
    let src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/crc32-full/mariadb-bin.000001");
    let one = std::fs::read(&src).expect("testdata file");
    let mib: usize = std::env::var("BINVAULT_SEAL_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let mut out = Vec::with_capacity(mib << 20);
    while out.len() < mib << 20 {
        out.extend_from_slice(&one);
    }
    out.truncate(mib << 20);
    out
}

fn fresh(dir: &Path, data: &[u8]) -> PathBuf {
    let _ = std::fs::remove_file(dir.join(format!("{NAME}.gz")));
    let path = dir.join(NAME);
    std::fs::write(&path, data).unwrap();
    std::fs::File::open(&path).unwrap().sync_all().unwrap();
    path
}

fn bench(c: &mut Criterion) {
    let data = input();
    let dir = tempfile::tempdir().unwrap();
    fresh(dir.path(), &data);
    let sha = seal::sha256_hex(&data);
    let mut g = c.benchmark_group("seal");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("read_back_sha256", |b| {
        b.iter(|| {
            let mut e = FileEntry::new(NAME);
            seal::seal(dir.path(), &mut e, false).unwrap();
            assert_eq!(e.sha256.as_deref(), Some(sha.as_str()));
        })
    });
    g.bench_function("read_back_sha256_gzip", |b| {
        b.iter_batched(
            || fresh(dir.path(), &data),
            |_| {
                let mut e = FileEntry::new(NAME);
                seal::seal(dir.path(), &mut e, true).unwrap();
                assert!(e.compressed);
            },
            criterion::BatchSize::PerIteration,
        )
    });
    fresh(dir.path(), &data);
    g.bench_function("hashed_while_writing", |b| {
        b.iter(|| {
            let mut e = FileEntry::new(NAME);
            seal::seal_known(dir.path(), &mut e, Some((sha.clone(), data.len() as u64))).unwrap();
            assert!(e.sealed);
        })
    });
    g.finish();
    let mut g = c.benchmark_group("hash");
    g.throughput(Throughput::Bytes(data.len() as u64))
        .sample_size(10);
    g.bench_function("sha256_update", |b| {
        b.iter(|| {
            let mut h = Sha256::new();
            for piece in data.chunks(1300) {
                h.update(piece);
            }
            h.finalize()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
