//! Runs binvault's full decode of the bench data `N` times (default 10): a target for
//! profilers (`perf record`, `valgrind --tool=callgrind`) without criterion or mysql_common.
fn main() {
    let data = binvault_benches::load_data();
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let start = std::time::Instant::now();
    let mut counts = binvault_benches::Counts::default();
    for _ in 0..n {
        counts = binvault_benches::binvault_full(&data).unwrap_or_else(|e| panic!("{e}"));
    }
    let secs = start.elapsed().as_secs_f64() / n as f64;
    eprintln!(
        "{counts:?}: {:.3} s per pass, {:.0} MB/s, {:.2} M rows/s",
        secs,
        data.len() as f64 / secs / 1e6,
        counts.rows as f64 / secs / 1e6
    );
}
