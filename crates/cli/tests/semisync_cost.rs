//! The cost of semi-sync (issue 6, "What must be shown"): commit latency on a MariaDB source
//! with `binvault stream --semi-sync` as its only semi-sync replica, beside the same source
//! configuration with a stock MariaDB replica as its only semi-sync replica, and the
//! asynchronous baseline, in one run.
//!
//! ```sh
//! cargo test --release -p binvault --test semisync_cost -- --ignored --nocapture
//! ```
//!
//! (`--release` builds the `binvault` binary the test runs with optimizations; without it the
//! archiver is a debug build and the test says so.) `BINVAULT_SEMISYNC_COST_COMMITS` sets the
//! commits per phase (default 2000).
//!
//! Set-up, all on this machine, all MariaDB 10.11 started by the testkit:
//!
//! * sources A and B, configured alike: `sync_binlog=1`, `innodb_flush_log_at_trx_commit=1`
//!   (a durable source: its own commit pays its fsyncs), `rpl_semi_sync_master_enabled=ON`,
//!   `rpl_semi_sync_master_wait_point=AFTER_SYNC` (10.11's default is AFTER_COMMIT; AFTER_SYNC is
//!   the lossless mode), a 60 s timeout, `rpl_semi_sync_master_wait_no_slave=OFF`;
//! * A's only replica: `binvault stream --semi-sync --sync commit` (it acks after the fsync that
//!   covers the transaction);
//! * B's only replica: a stock MariaDB (`rpl_semi_sync_slave_enabled=ON`, GTID replication,
//!   `log_slave_updates`, `sync_binlog=1`, `innodb_flush_log_at_trx_commit=1`). Its IO thread
//!   acks once it has queued the event in the relay log, and fsyncs the relay log after every
//!   `sync_relay_log` events: measured with `sync_relay_log=1` (each event fsynced before the
//!   ack, 5 fsyncs per single-row transaction by strace: GTID, Annotate_rows, Table_map,
//!   Write_rows, Xid: the fair comparison with binvault, whose ack is durable too) and with the
//!   default 10000 (the ack follows a write into the page cache: not durable against a power
//!   cut). Applying the transaction (SQL thread, its own binlog and redo fsyncs) happens after
//!   the ack, off the commit path, but on the same machine.
//!
//! The workload: single-row autocommit INSERTs, each client on one persistent connection
//! (binvault-protocol's client, COM_QUERY over loopback TCP), each commit timed around its
//! round trip on the client; 1 client, then 8 concurrent clients (group commit). The five
//! configurations take turns in 4 rounds (so that other load on this shared machine falls on all
//! alike); each turn starts once the stock replica has applied everything, after an untimed
//! warm-up.
//!
//! Asserted (whatever the timings): in each semi-sync phase the source counted every commit as
//! acknowledged (`Rpl_semi_sync_master_yes_tx` up by the number of commits, `no_tx` not at all);
//! in each asynchronous phase none was; right after each semi-sync phase binvault's archive file
//! already holds the source's binlog up to its end (respectively the stock replica's IO thread
//! has every GTID), without waiting; at the end the archive's durable GTID position is the
//! source's, `binvault verify` passes and the archive holds every inserted row, and the stock
//! replica has applied every row. No timing is asserted: the figures are printed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use binvault_protocol::driver::{ConnectOptions, Connection, TlsMode, TlsOptions};
use binvault_testkit::{free_port, MariaDb, MariaDbConfig, UserAuth, DEFAULT_GRANTS};

/// Concurrent clients of the second round.
const MANY_CLIENTS: usize = 8;
/// Untimed commits before each phase.
const WARM_UP: usize = 20;

fn commits_per_phase() -> usize {
    std::env::var("BINVAULT_SEMISYNC_COST_COMMITS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000)
}

/// A durable semi-sync source.
fn source_config(server_id: u32) -> MariaDbConfig {
    MariaDbConfig::new()
        .server_id(server_id)
        .arg("--sync-binlog=1")
        .arg("--innodb-flush-log-at-trx-commit=1")
        .arg("--rpl-semi-sync-master-enabled=ON")
        .arg("--rpl-semi-sync-master-timeout=60000")
        .arg("--rpl-semi-sync-master-wait-point=AFTER_SYNC")
        // without a semi-sync replica the set-up statements must not wait for the timeout; a
        // replica lost during a phase shows as no_tx, which the test asserts is 0
        .arg("--rpl-semi-sync-master-wait-no-slave=OFF")
}

fn set_up_source(server: &MariaDb) {
    server
        .create_user("repl", "pw", UserAuth::NativePassword)
        .unwrap();
    server
        .create_user_with_grants(
            "bench",
            "pw",
            UserAuth::NativePassword,
            &format!("INSERT, {DEFAULT_GRANTS}"),
        )
        .unwrap();
    server
        .sql(
            "CREATE DATABASE bench; \
             CREATE TABLE bench.t (id BIGINT PRIMARY KEY, client INT NOT NULL, at DATETIME(6) NOT NULL)",
        )
        .unwrap();
}

/// `SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_%'`, names lower-cased.
fn semi_status(server: &MariaDb) -> HashMap<String, String> {
    server
        .sql_rows("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_%'")
        .unwrap()
        .into_iter()
        .filter_map(|row| match row.as_slice() {
            [name, value] => Some((name.to_ascii_lowercase(), value.clone())),
            _ => None,
        })
        .collect()
}

fn counter(status: &HashMap<String, String>, name: &str) -> u64 {
    status
        .get(name)
        .unwrap_or_else(|| panic!("status variable {name} missing: {status:?}"))
        .parse()
        .unwrap_or_else(|e| panic!("status variable {name}: {e}: {status:?}"))
}

fn wait_for_status(server: &MariaDb, name: &str, want: &str, what: &str) {
    let t = Instant::now();
    loop {
        let status = semi_status(server);
        if status.get(name).map(String::as_str) == Some(want) {
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "{what}: {name} never became {want}: {status:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One client's timings: per-commit latencies, and when it started and finished.
type ClientRun = (Vec<Duration>, Instant, Instant);

/// `clients` connections insert `per_client` rows each, one autocommit INSERT at a time, ids
/// from `first_id`; returns every commit's latency and the wall time from the first start to
/// the last finish.
fn run_clients(
    rt: &tokio::runtime::Runtime,
    port: u16,
    clients: usize,
    per_client: usize,
    first_id: u64,
) -> (Vec<Duration>, Duration) {
    let runs: Vec<ClientRun> = rt.block_on(async {
        let barrier = Arc::new(tokio::sync::Barrier::new(clients));
        let mut tasks = Vec::new();
        for c in 0..clients {
            let barrier = barrier.clone();
            tasks.push(tokio::spawn(async move {
                let opts = ConnectOptions {
                    host: "127.0.0.1".into(),
                    port,
                    user: "bench".into(),
                    password: binvault_protocol::driver::Password::new("pw"),
                    tls: TlsOptions {
                        mode: TlsMode::Disabled,
                        ..TlsOptions::default()
                    },
                    // a semi-sync commit may wait up to the source's 60 s timeout
                    read_timeout: Duration::from_secs(120),
                    ..ConnectOptions::default()
                };
                let mut conn = Connection::connect(&opts).await.unwrap();
                let mut lat = Vec::with_capacity(per_client);
                let first = first_id + (c * per_client) as u64;
                barrier.wait().await;
                let start = Instant::now();
                for id in first..first + per_client as u64 {
                    let sql = format!("INSERT INTO bench.t VALUES ({id}, {c}, NOW(6))");
                    let t = Instant::now();
                    conn.query(&sql)
                        .await
                        .unwrap_or_else(|e| panic!("client {c}: INSERT {id}: {e}"));
                    lat.push(t.elapsed());
                }
                let end = Instant::now();
                conn.close().await;
                (lat, start, end)
            }));
        }
        let mut runs = Vec::new();
        for t in tasks {
            runs.push(t.await.unwrap());
        }
        runs
    });
    let start = runs.iter().map(|r| r.1).min().unwrap();
    let end = runs.iter().map(|r| r.2).max().unwrap();
    let lat = runs.into_iter().flat_map(|r| r.0).collect();
    (lat, end - start)
}

/// A Prometheus histogram's totals and cumulative buckets (`le`, count).
#[derive(Debug, Default, Clone)]
struct Hist {
    count: f64,
    sum: f64,
    buckets: Vec<(f64, f64)>,
}

impl Hist {
    fn parse(text: &str, name: &str) -> Hist {
        let mut h = Hist::default();
        for line in text.lines() {
            let Some((key, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let Ok(value) = value.parse::<f64>() else {
                continue;
            };
            if key == format!("{name}_count") {
                h.count = value;
            } else if key == format!("{name}_sum") {
                h.sum = value;
            } else if let Some(le) = key
                .strip_prefix(&format!("{name}_bucket{{le=\""))
                .and_then(|rest| rest.strip_suffix("\"}"))
            {
                let le = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().unwrap()
                };
                h.buckets.push((le, value));
            }
        }
        h
    }

    /// What was observed between `before` and `self`.
    fn since(&self, before: &Hist) -> Hist {
        Hist {
            count: self.count - before.count,
            sum: self.sum - before.sum,
            buckets: self
                .buckets
                .iter()
                .map(|&(le, n)| {
                    let was = before
                        .buckets
                        .iter()
                        .find(|b| b.0 == le)
                        .map_or(0.0, |b| b.1);
                    (le, n - was)
                })
                .collect(),
        }
    }

    /// The upper bound of the bucket holding quantile `q`.
    fn quantile_bound(&self, q: f64) -> f64 {
        let want = q * self.count;
        self.buckets
            .iter()
            .find(|b| b.1 >= want)
            .map_or(f64::INFINITY, |b| b.0)
    }

    fn summary(&self) -> String {
        if self.count == 0.0 {
            return "none".into();
        }
        format!(
            "{:.0} observed, mean {}, p50 <= {}, p99 <= {}",
            self.count,
            us(self.sum / self.count),
            us(self.quantile_bound(0.5)),
            us(self.quantile_bound(0.99)),
        )
    }
}

fn us(seconds: f64) -> String {
    if seconds.is_infinite() {
        return "inf".into();
    }
    format!("{:.0} µs", seconds * 1e6)
}

fn metrics(port: u16) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

/// binvault's fsync and ack histograms.
fn binvault_hists(port: u16) -> (Hist, Hist) {
    let text = metrics(port);
    (
        Hist::parse(&text, "binvault_fsync_duration_seconds"),
        Hist::parse(&text, "binvault_semisync_ack_delay_seconds"),
    )
}

fn archiver(port: u16, archive: &Path, metrics_port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_binvault"))
        .arg("stream")
        .arg("--source")
        .arg(format!("mysql://repl@127.0.0.1:{port}"))
        .arg("--archive")
        .arg(archive)
        .args(["--semi-sync", "--sync", "commit", "--heartbeat", "1"])
        .arg("--metrics-addr")
        .arg(format!("127.0.0.1:{metrics_port}"))
        .env("BINVAULT_PASSWORD", "pw")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(archive.with_extension("log")).unwrap(),
        ))
        .spawn()
        .unwrap()
}

fn stop_archiver(child: &mut Child, log: &Path) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -TERM the archiver");
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(
                status.success(),
                "the archiver exited with {status} after SIGTERM; its log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the archiver did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// What the source (and binvault) counted during a phase, summed over its rounds.
#[derive(Debug, Default)]
struct Tally {
    latencies: Vec<Duration>,
    wall: Duration,
    yes_tx: u64,
    no_tx: u64,
    tx_waits: u64,
    tx_wait_us: u64,
    fsync: Hist,
    ack: Hist,
}

impl Hist {
    fn add(&mut self, other: &Hist) {
        if self.buckets.is_empty() {
            self.buckets = other.buckets.iter().map(|&(le, _)| (le, 0.0)).collect();
        }
        self.count += other.count;
        self.sum += other.sum;
        for (b, o) in self.buckets.iter_mut().zip(&other.buckets) {
            b.1 += o.1;
        }
    }
}

/// One configuration measured: which source, semi-sync on or off, and the stock replica's
/// `sync_relay_log` while it runs.
#[derive(Debug)]
struct Phase {
    label: &'static str,
    source_b: bool,
    semi: bool,
    sync_relay_log: u32,
}

const PHASES: [Phase; 5] = [
    Phase {
        label: "A async (binvault attached, not acking)",
        source_b: false,
        semi: false,
        sync_relay_log: 1,
    },
    Phase {
        label: "A semi-sync: binvault --sync commit",
        source_b: false,
        semi: true,
        sync_relay_log: 1,
    },
    Phase {
        label: "B async (stock replica attached)",
        source_b: true,
        semi: false,
        sync_relay_log: 1,
    },
    Phase {
        label: "B semi-sync: stock, sync_relay_log=1",
        source_b: true,
        semi: true,
        sync_relay_log: 1,
    },
    Phase {
        label: "B semi-sync: stock, sync_relay_log=10000",
        source_b: true,
        semi: true,
        sync_relay_log: 10000,
    },
];

/// Rounds each phase is split into; the phases take turns, so that the other load on this
/// shared machine falls on all of them alike.
const ROUNDS: usize = 4;

fn stats(lat: &mut [Duration]) -> (Duration, Duration, Duration) {
    lat.sort_unstable();
    let n = lat.len();
    assert!(n > 0, "no commit timed");
    let mean = lat.iter().sum::<Duration>() / n as u32;
    (lat[n / 2], lat[(n * 99).div_ceil(100) - 1], mean)
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn print_table(tallies: &mut HashMap<(usize, usize), Tally>) {
    println!(
        "{:<42} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9} {:>11} {:>15} {:>11}",
        "phase",
        "clients",
        "commits",
        "commits/s",
        "median",
        "p99",
        "mean",
        "+median",
        "source ack wait",
        "yes/no_tx"
    );
    for clients in [1, MANY_CLIENTS] {
        let mut baseline = [Duration::ZERO; 2];
        for (i, phase) in PHASES.iter().enumerate() {
            let t = tallies.get_mut(&(i, clients)).unwrap();
            let n = t.latencies.len();
            let (median, p99, mean) = stats(&mut t.latencies);
            let own = usize::from(phase.source_b);
            let extra = if phase.semi {
                let d = median.as_secs_f64() - baseline[own].as_secs_f64();
                format!("{:+.2} ms", d * 1e3)
            } else {
                baseline[own] = median;
                "-".into()
            };
            let wait = if phase.semi {
                format!("{:.0} µs", t.tx_wait_us as f64 / t.tx_waits.max(1) as f64)
            } else {
                "-".into()
            };
            println!(
                "{:<42} {:>7} {:>7} {:>9.0} {:>9} {:>9} {:>9} {:>11} {:>15} {:>11}",
                phase.label,
                clients,
                n,
                n as f64 / t.wall.as_secs_f64(),
                ms(median),
                ms(p99),
                ms(mean),
                extra,
                wait,
                format!("{}/{}", t.yes_tx, t.no_tx)
            );
        }
    }
    for clients in [1, MANY_CLIENTS] {
        for (i, phase) in PHASES.iter().enumerate().filter(|(_, p)| !p.source_b) {
            let t = &tallies[&(i, clients)];
            println!(
                "binvault in \"{}\", {clients} client(s): fsync {} ({:.2} commits per fsync); ack delay {}",
                phase.label,
                t.fsync.summary(),
                t.latencies.len() as f64 / t.fsync.count.max(1.0),
                t.ack.summary()
            );
        }
    }
}

/// Counts the rows of `bench.t` in every archived file (decoded by `binvault inspect`).
fn archived_rows(dir: &Path) -> u64 {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("mariadb-bin.0"))
        })
        .collect();
    files.sort();
    let out = Command::new(env!("CARGO_BIN_EXE_binvault"))
        .args(["inspect", "--format", "json"])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "binvault inspect of the archive failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rows = 0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if v["type"] == "write_rows" && v["schema"] == "bench" && v["table"] == "t" {
            rows += v["rows"].as_array().map_or(0, |r| r.len() as u64);
        }
    }
    rows
}

#[test]
#[ignore = "a measurement (about a minute): cargo test --release -p binvault --test semisync_cost -- --ignored --nocapture"]
fn semi_sync_commit_latency_binvault_beside_a_stock_replica() {
    let n = commits_per_phase();
    if cfg!(debug_assertions) {
        println!(
            "NOTE: a debug build: the binvault archiver runs unoptimized; measure with --release"
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    // A: binvault is its only semi-sync replica
    let a = MariaDb::start(source_config(1)).unwrap();
    set_up_source(&a);
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let log = archive.with_extension("log");
    let metrics_port = free_port().unwrap();
    let mut child = archiver(a.port(), &archive, metrics_port);
    wait_for_status(&a, "rpl_semi_sync_master_clients", "1", "binvault on A");

    // B: a stock MariaDB replica is its only semi-sync replica
    let b = MariaDb::start(source_config(11)).unwrap();
    set_up_source(&b);
    let replica = MariaDb::start(
        MariaDbConfig::new()
            .server_id(12)
            .arg("--log-slave-updates")
            .arg("--read-only=ON")
            .arg("--rpl-semi-sync-slave-enabled=ON")
            .arg("--sync-binlog=1")
            .arg("--innodb-flush-log-at-trx-commit=1")
            .arg("--sync-relay-log=1"),
    )
    .unwrap();
    replica.replicate_from(&b, "repl", "pw").unwrap();
    wait_for_status(&b, "rpl_semi_sync_master_clients", "1", "the replica of B");
    let version = a.sql_value("SELECT VERSION()").unwrap().unwrap_or_default();
    for server in [&a, &b] {
        assert_eq!(
            server
                .sql_value("SELECT @@rpl_semi_sync_master_wait_point")
                .unwrap()
                .as_deref(),
            Some("AFTER_SYNC")
        );
    }

    let mut next_id = [1u64, 1u64]; // per source
    let mut tallies: HashMap<(usize, usize), Tally> = HashMap::new();
    let started = Instant::now();
    for clients in [1, MANY_CLIENTS] {
        let per_client = n.div_ceil(clients * ROUNDS);
        for round in 0..ROUNDS {
            for (i, phase) in PHASES.iter().enumerate() {
                let label = phase.label;
                let src = usize::from(phase.source_b);
                let server = if phase.source_b { &b } else { &a };
                // nothing left over from the phase before: the replica has applied all of B
                replica
                    .wait_for_gtid(&b.gtid_binlog_pos().unwrap(), Duration::from_secs(60))
                    .unwrap();
                replica
                    .sql(&format!(
                        "SET GLOBAL sync_relay_log = {}",
                        phase.sync_relay_log
                    ))
                    .unwrap();
                server
                    .sql(&format!(
                        "SET GLOBAL rpl_semi_sync_master_enabled = {}",
                        if phase.semi { "ON" } else { "OFF" }
                    ))
                    .unwrap();
                // untimed warm-up; it also lets semi-sync switch back on after an async phase
                run_clients(&rt, server.port(), 1, WARM_UP, next_id[src]);
                next_id[src] += WARM_UP as u64;
                wait_for_status(
                    server,
                    "rpl_semi_sync_master_status",
                    if phase.semi { "ON" } else { "OFF" },
                    label,
                );
                let hists_before = (!phase.source_b).then(|| binvault_hists(metrics_port));
                let before = semi_status(server);
                let (lat, wall) =
                    run_clients(&rt, server.port(), clients, per_client, next_id[src]);
                let after = semi_status(server);
                let commits = lat.len() as u64;
                next_id[src] += commits;
                let d = |name: &str| counter(&after, name) - counter(&before, name);
                let (yes, no) = (
                    d("rpl_semi_sync_master_yes_tx"),
                    d("rpl_semi_sync_master_no_tx"),
                );
                let what = format!("{label}, {clients} client(s), round {round}");
                if phase.semi {
                    assert_eq!(
                        (yes, no),
                        (commits, 0),
                        "{what}: every commit must have waited for the ack and got it (yes_tx, no_tx)"
                    );
                    // acked means already there: look right away, without waiting
                    if phase.source_b {
                        let pos = b.gtid_binlog_pos().unwrap();
                        let io_pos = replica
                            .replica_status()
                            .unwrap()
                            .into_iter()
                            .find(|(k, _)| k == "Gtid_IO_Pos")
                            .map(|(_, v)| v);
                        assert_eq!(
                            io_pos.as_deref(),
                            Some(pos.as_str()),
                            "{what}: every commit returned acked, but the replica's IO thread lacks some"
                        );
                    } else {
                        let (file, pos) = a.master_status().unwrap();
                        let archived = std::fs::metadata(archive.join("server-1").join(&file))
                            .map(|m| m.len())
                            .unwrap_or(0);
                        assert!(
                            archived >= pos,
                            "{what}: every commit returned acked, but the archive's {file} has {archived} bytes, the source's {pos}"
                        );
                    }
                } else {
                    assert_eq!(
                        yes, 0,
                        "{what}: semi-sync is off, yet the source counted acked commits"
                    );
                }
                let t = tallies.entry((i, clients)).or_default();
                t.latencies.extend(lat);
                t.wall += wall;
                t.yes_tx += yes;
                t.no_tx += no;
                t.tx_waits += d("rpl_semi_sync_master_tx_waits");
                t.tx_wait_us += d("rpl_semi_sync_master_tx_wait_time");
                if let Some((f0, a0)) = hists_before {
                    let (f1, a1) = binvault_hists(metrics_port);
                    t.fsync.add(&f1.since(&f0));
                    t.ack.add(&a1.since(&a0));
                }
            }
        }
    }
    let took = started.elapsed();

    println!();
    println!(
        "semi-sync cost: {version}; about {n} commits per phase and client count, in {ROUNDS} interleaved rounds ({:.0} s); \
         sources sync_binlog=1, innodb_flush_log_at_trx_commit=1, AFTER_SYNC, timeout 60 s",
        took.as_secs_f64()
    );
    print_table(&mut tallies);
    println!(
        "(latency: client side, per commit, loopback TCP; +median: over the same source's async median; \
         source ack wait: Rpl_semi_sync_master_tx_wait_time / tx_waits)"
    );

    // everything the clients committed on A is in the archive, durably
    let gtid_a = a.gtid_binlog_pos().unwrap();
    stop_archiver(&mut child, &log);
    let status = Command::new(env!("CARGO_BIN_EXE_binvault"))
        .args(["status", "--format", "json", "--archive"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "binvault status: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(
        status["servers"][0]["durable"]["gtid_position"].as_str(),
        Some(gtid_a.as_str()),
        "the archive's durable GTID position must be the source's"
    );
    let verify = Command::new(env!("CARGO_BIN_EXE_binvault"))
        .args(["verify", "--archive"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "binvault verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let inserted_a = next_id[0] - 1;
    let count_a: u64 = a
        .sql_value("SELECT COUNT(*) FROM bench.t")
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(count_a, inserted_a, "rows on source A");
    assert_eq!(
        archived_rows(&archive.join("server-1")),
        inserted_a,
        "rows in binvault's archive"
    );

    // and on the stock replica
    let gtid_b = b.gtid_binlog_pos().unwrap();
    replica
        .wait_for_gtid(&gtid_b, Duration::from_secs(60))
        .unwrap();
    let inserted_b = next_id[1] - 1;
    let count_replica: u64 = replica
        .sql_value("SELECT COUNT(*) FROM bench.t")
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(count_replica, inserted_b, "rows on the stock replica");
    println!(
        "checked: archive durable at {gtid_a} with all {inserted_a} rows, verify OK; stock replica at {gtid_b} with all {inserted_b} rows"
    );
}
