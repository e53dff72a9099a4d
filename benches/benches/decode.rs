//! Decoding throughput on a large generated MariaDB binlog (`benches/generate-data.sh`), with
//! `mysql_common` on the same bytes as the baseline.
//!
//! Groups:
//! - `parse_event`: `header_walk_crc` (frame every event, parse its header, verify its CRC32) and
//!   `crc32fast_one_call` (one `crc32fast::hash` over the same bytes: the physical limit).
//!   Bytes/s of the input file and events/s.
//! - `rows_decode`: `full` (binvault: every event, every row, every value) and `mysql_common` (the
//!   same with `mysql_common`, CRC32 checked too). Bytes/s of the input file and rows/s.
//!
//! `cargo bench -p binvault-benches` (about 2.5 minutes on 2 cores, most of it in mysql_common).
//! `BINVAULT_BENCH_DATA=FILE` reads another binlog.

use binvault_benches::{binvault_full, header_walk_crc, load_data, mysql_common_full};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::Duration;

fn benches(c: &mut Criterion) {
    let data = load_data();
    let bytes = data.len() as u64;

    // Count first (and check that both decoders do the same work on this input).
    let events = header_walk_crc(&data).unwrap_or_else(|e| panic!("header walk: {e}"));
    let ours = binvault_full(&data).unwrap_or_else(|e| panic!("binvault: {e}"));
    let theirs = mysql_common_full(&data, true).unwrap_or_else(|e| panic!("mysql_common: {e}"));
    eprintln!(
        "bench data: {} ({:.1} MB): {} events, {} rows events, {} rows, {} values",
        binvault_benches::data_path().display(),
        bytes as f64 / 1e6,
        ours.events,
        ours.rows_events,
        ours.rows,
        ours.values
    );
    assert_eq!(
        events, ours.events,
        "header walk and decoder disagree on the event count"
    );
    assert_eq!(
        ours, theirs,
        "binvault and mysql_common did not decode the same rows and values"
    );

    // Criterion prints both rates for ElementsAndBytes: bytes/s of the input file and
    // events/s (parse_event) or rows/s (rows_decode).
    let mut g = c.benchmark_group("parse_event");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::ElementsAndBytes {
        elements: events,
        bytes,
    });
    g.bench_function("header_walk_crc", |b| {
        b.iter(|| header_walk_crc(black_box(&data)))
    });
    g.bench_function("crc32fast_one_call", |b| {
        b.iter(|| crc32fast::hash(black_box(&data[4..])))
    });
    g.finish();

    // mysql_common takes seconds per pass: 10 samples of one pass each is the minimum.
    let mut g = c.benchmark_group("rows_decode");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    g.throughput(Throughput::ElementsAndBytes {
        elements: ours.rows,
        bytes,
    });
    g.bench_function("full", |b| b.iter(|| binvault_full(black_box(&data))));
    g.bench_function("mysql_common", |b| {
        b.iter(|| mysql_common_full(black_box(&data), true))
    });
    g.finish();
}

criterion_group!(decode, benches);
criterion_main!(decode);
