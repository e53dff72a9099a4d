//! Restore speed, measured against `mariadb-binlog FILES | mariadb` on the same range, in one
//! run (issue 7). Ignored by default (a few minutes); run it with
//!
//! ```sh
//! cargo test --release -p binvault --test restore_speed -- --ignored --nocapture
//! ```
//!
//! `BINVAULT_SPEED_UNITS` sets the workload size (default 20000 units of work in ROW format
//! plus a fifth of that in STATEMENT format). Every way of restoring must give the source's
//! checksums; the figures are printed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use binvault_testkit::{workload::Workload, MariaDb, MariaDbConfig};

fn sums(server: &MariaDb, dbs: &[String]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for db in dbs {
        for (t, s) in binvault_testkit::workload::checksums(server, db).unwrap() {
            out.insert(format!("{db}.{t}"), s);
        }
    }
    out
}

/// Pipes `producer`'s stdout into the target's `mariadb` client (over the unix socket, or TCP
/// like `--apply`); returns the wall time.
fn pipe(mut producer: Command, target: &MariaDb, tcp: bool) -> Duration {
    let t = Instant::now();
    let mut p = producer.stdout(Stdio::piped()).spawn().unwrap();
    let out = p.stdout.take().unwrap();
    let mut client = if tcp {
        target.tcp_client("root", None)
    } else {
        target.client()
    };
    let client = client
        .args([
            "--binary-mode",
            "--local-infile=1",
            "--max-allowed-packet=1G",
        ])
        .stdin(out)
        .output()
        .unwrap();
    let status = p.wait().unwrap();
    assert!(status.success());
    assert!(
        client.status.success(),
        "{}",
        String::from_utf8_lossy(&client.stderr)
    );
    t.elapsed()
}

fn fresh_target() -> MariaDb {
    // no fsync per commit: the figures compare the restore tools, not this VM's disk
    MariaDb::start(
        MariaDbConfig::new()
            .arg("--binlog-format=MIXED")
            .arg("--innodb-flush-log-at-trx-commit=0")
            .arg("--sync-binlog=0"),
    )
    .unwrap()
}

#[test]
#[ignore = "a measurement of a few minutes: run with --ignored --nocapture"]
fn restore_speed_against_mariadb_binlog() {
    let units: usize = std::env::var("BINVAULT_SPEED_UNITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let source = MariaDb::start(MariaDbConfig::new()).unwrap();
    let mut row = Workload::new(81, units);
    row.big_row_bytes = 256 << 10;
    row.flush_binary_logs_every = Some(units / 4);
    let mut stmt = Workload::new(82, units / 5);
    stmt.big_row_bytes = 64 << 10;
    let t = Instant::now();
    source.sql(&row.sql()).unwrap();
    source
        .sql(&format!(
            "SET SESSION binlog_format=STATEMENT;\n{}",
            stmt.sql()
        ))
        .unwrap();
    eprintln!("workload: {:.1} s", t.elapsed().as_secs_f64());
    let dbs = vec![row.database.clone(), stmt.database.clone()];
    let want = sums(&source, &dbs);
    let rows: u64 = source
        .sql_value(&format!(
            "SELECT SUM(TABLE_ROWS) FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ('{}','{}')",
            dbs[0], dbs[1]
        ))
        .unwrap()
        .unwrap()
        .parse()
        .unwrap_or(0);

    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let out = Command::new(env!("CARGO_BIN_EXE_binvault"))
        .args(["stream", "--source"])
        .arg(format!("mysql://root@127.0.0.1:{}", source.port()))
        .arg("--archive")
        .arg(&archive)
        .args(["--stop-at-end", "--tls-mode", "disabled"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let files: Vec<std::path::PathBuf> = source.binlog_files().unwrap();
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    let transactions = source.gtid_binlog_pos().unwrap();
    eprintln!(
        "range: {} files, {:.1} MB, GTIDs up to {transactions}, about {rows} rows in the end",
        files.len(),
        bytes as f64 / 1e6
    );
    let loads = dir.path().join("loads");

    // generating the SQL alone
    let gen = |cmd: &mut Command| {
        let t = Instant::now();
        let out = cmd.stdout(Stdio::piped()).output().unwrap();
        assert!(out.status.success());
        (t.elapsed(), out.stdout.len())
    };
    let (ours_gen, ours_len) = gen(Command::new(env!("CARGO_BIN_EXE_binvault"))
        .arg("restore")
        .arg("--archive")
        .arg(&archive)
        .arg("--skip-verify")
        .arg("--local-load")
        .arg(&loads));
    let (theirs_gen, theirs_len) = gen(Command::new("mariadb-binlog")
        .arg(format!("--local-load={}", loads.display()))
        .args(&files));
    eprintln!(
        "SQL generation: binvault restore {:.2} s ({:.1} MB of SQL), mariadb-binlog {:.2} s ({:.1} MB)",
        ours_gen.as_secs_f64(),
        ours_len as f64 / 1e6,
        theirs_gen.as_secs_f64(),
        theirs_len as f64 / 1e6
    );

    // applied, each way in turn, several rounds (this VM's speed drifts: the order rotates)
    let rounds: usize = std::env::var("BINVAULT_SPEED_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let ways = [
        "binvault restore | mariadb (socket)",
        "mariadb-binlog | mariadb (socket)",
        "binvault restore | mariadb (TCP)",
        "mariadb-binlog | mariadb (TCP)",
        "binvault restore --apply (TCP)",
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); ways.len()];
    for round in 0..rounds {
        for k in 0..ways.len() {
            let way = (k + round) % ways.len();
            let target = fresh_target();
            let ours = || {
                let mut c = Command::new(env!("CARGO_BIN_EXE_binvault"));
                c.arg("restore")
                    .arg("--archive")
                    .arg(&archive)
                    .arg("--local-load")
                    .arg(&loads);
                c
            };
            let theirs = || {
                let mut c = Command::new("mariadb-binlog");
                c.arg(format!("--local-load={}", loads.display()))
                    .args(&files);
                c
            };
            let d = match way {
                0 => pipe(ours(), &target, false),
                1 => pipe(theirs(), &target, false),
                2 => pipe(ours(), &target, true),
                3 => pipe(theirs(), &target, true),
                _ => {
                    let t = Instant::now();
                    let out = Command::new(env!("CARGO_BIN_EXE_binvault"))
                        .arg("restore")
                        .arg("--archive")
                        .arg(&archive)
                        .arg("--apply")
                        .arg(format!("mysql://root@127.0.0.1:{}", target.port()))
                        .args(["--tls-mode", "disabled"])
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    t.elapsed()
                }
            };
            assert_eq!(sums(&target, &dbs), want, "{}", ways[way]);
            eprintln!("round {round}: {}: {:.2} s", ways[way], d.as_secs_f64());
            times[way].push(d.as_secs_f64());
        }
    }
    let tx: f64 = transactions
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    eprintln!(
        "{:.1} MB of binlog, {tx} transactions; median (min..max) of {rounds} rounds:",
        bytes as f64 / 1e6
    );
    for (way, t) in ways.iter().zip(&mut times) {
        t.sort_by(f64::total_cmp);
        let med = t[t.len() / 2];
        eprintln!(
            "  {way:<38} {med:6.2} s ({:.2}..{:.2})  {:5.1} MB/s  {:6.0} transactions/s",
            t[0],
            t[t.len() - 1],
            bytes as f64 / 1e6 / med,
            tx / med
        );
    }
    let _ = std::io::stderr().flush();
}
