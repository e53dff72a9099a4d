//! `binvault stream` as the long-running archiving server, end to end against real MariaDB:
//! it keeps going through archiver SIGKILLs, source restarts and network cuts (a TCP proxy
//! cutting connections at seeded random moments) with no gap and no duplicate; its metrics
//! report lag rising while the source is ahead and falling after catching up; it refuses an
//! archive from another source and a server id another replica uses; settings come from a
//! TOML file too.

#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use binvault_testkit::{
    assert_archived_copies, free_port, workload, MariaDb, MariaDbConfig, Proxy, Rng, UserAuth,
};

fn binvault() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_binvault"));
    c.env("BINVAULT_PASSWORD", "pw").env("RUST_LOG", "info");
    c
}

fn spawn_stream(port: u16, archive: &Path, extra: &[&str]) -> Child {
    binvault()
        .arg("stream")
        .arg("--source")
        .arg(format!("mysql://repl@127.0.0.1:{port}"))
        .arg("--archive")
        .arg(archive)
        .args(["--heartbeat", "1"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(log_file(archive))
        .spawn()
        .unwrap()
}

/// The archiver's stderr goes to a file beside the archive (a pipe nobody reads would fill
/// up and block it).
fn log_file(archive: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(archive.with_extension("log"))
        .unwrap()
}

fn read_log(archive: &Path) -> String {
    std::fs::read_to_string(archive.with_extension("log")).unwrap_or_default()
}

fn log_tail(archive: &Path) -> String {
    let log = read_log(archive);
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

fn http_get(port: u16, path: &str) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
        .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn metric(port: u16, name: &str) -> Option<f64> {
    let (_, body) = http_get(port, "/metrics");
    body.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.split_whitespace().last()?.parse().ok())
}

fn state_gtid(dir: &Path) -> String {
    std::fs::read(dir.join("state.json"))
        .ok()
        .and_then(|d| serde_json::from_slice::<serde_json::Value>(&d).ok())
        .and_then(|v| v["gtid_position"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Stops the archiver with SIGTERM and checks it exits 0 within a second.
fn sigterm(child: &mut Child) {
    let t = Instant::now();
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit after SIGTERM: {status}");
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "no exit within a second of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn keeps_going_through_kills_restarts_and_network_cuts() {
    let seed: u64 = std::env::var("BINVAULT_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xc4a05);
    println!("chaos seed: {seed} (replay with BINVAULT_CHAOS_SEED={seed})");
    let mut rng = Rng::new(seed);
    let server = MariaDb::start(MariaDbConfig::new().arg("--max-binlog-size=262144")).unwrap();
    server
        .create_user("repl", "pw", UserAuth::NativePassword)
        .unwrap();
    let server = Arc::new(Mutex::new(server));
    let port = server.lock().unwrap().port();
    let proxy = Proxy::start(port).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a");
    let ours = archive.join("server-1");

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (server, stop) = (server.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut round = 0u64;
            let mut ok = 0;
            while !stop.load(Ordering::Relaxed) {
                round += 1;
                let s = server.lock().unwrap();
                // a round may fail while the source restarts: that is part of the test
                if workload::run(&s, 2000 + round, 10).is_ok() {
                    ok += 1;
                }
                drop(s);
                std::thread::sleep(Duration::from_millis(20));
            }
            ok
        })
    };

    let mut child = spawn_stream(proxy.port(), &archive, &[]);
    let (mut cuts, mut kills, mut restarts) = (0, 0, 0);
    for step in 0..24 {
        std::thread::sleep(Duration::from_millis(100 + rng.below(600)));
        match (step, rng.next_u64() % 6) {
            (_, 0..=2) => {
                proxy.cut_all();
                cuts += 1;
            }
            (_, 3 | 4) => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                child = spawn_stream(proxy.port(), &archive, &[]);
                kills += 1;
            }
            _ => {
                server.lock().unwrap().restart().unwrap();
                restarts += 1;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let rounds = writer.join().unwrap();
    println!("{cuts} network cuts, {kills} archiver SIGKILLs, {restarts} source restarts, {rounds} workload rounds");
    assert!(cuts > 0 && kills > 0 && restarts > 0 && rounds > 3);

    // The running archiver catches up by itself (reconnecting as needed) ...
    let server = server.lock().unwrap();
    server.flush_binary_logs().unwrap();
    let want = server.gtid_binlog_pos().unwrap();
    let t = Instant::now();
    while state_gtid(&ours) != want
        || !ours
            .join(
                server
                    .binlog_files()
                    .unwrap()
                    .last()
                    .unwrap()
                    .file_name()
                    .unwrap(),
            )
            .exists()
    {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "not caught up: {} vs {want}\n{}",
            state_gtid(&ours),
            log_tail(&archive)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    // ... and stops cleanly on SIGTERM.
    sigterm(&mut child);
    let log = read_log(&archive);
    assert!(log.contains("reconnecting"), "{log}");
    assert_archived_copies(&server, &ours, 0).unwrap();
    assert_eq!(state_gtid(&ours), want);
    let verify = binvault()
        .arg("verify")
        .arg("--archive")
        .arg(&archive)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&verify.stderr);
    if !err.contains("unrecognized subcommand") {
        assert!(
            verify.status.success(),
            "verify: {}{err}",
            String::from_utf8_lossy(&verify.stdout)
        );
    }
}

#[test]
fn metrics_report_lag_rising_and_falling() {
    let server = MariaDb::start(MariaDbConfig::new()).unwrap();
    server
        .create_user("repl", "pw", UserAuth::NativePassword)
        .unwrap();
    workload::run(&server, 31, 20).unwrap();
    let proxy = Proxy::start(server.port()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mport = free_port().unwrap();
    let addr = format!("127.0.0.1:{mport}");
    let mut child = spawn_stream(
        proxy.port(),
        &dir.path().join("a"),
        &["--metrics-addr", &addr, "--lag-threshold", "2.5"],
    );
    let wait_for = |what: &str, cond: &dyn Fn() -> bool| {
        let t = Instant::now();
        while !cond() {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    // caught up: lag ~0, healthy
    wait_for("the backlog", &|| {
        metric(mport, "binvault_archived_transactions_total").unwrap_or(0.0) >= 20.0
    });
    wait_for("health", &|| http_get(mport, "/healthz").0 == 200);
    assert!(metric(mport, "binvault_replication_lag_seconds").unwrap() < 2.0);
    // the source runs ahead while the network stalls: lag rises, health fails
    proxy.pause(true);
    workload::run(&server, 32, 20).unwrap();
    wait_for("lag to rise", &|| {
        metric(mport, "binvault_replication_lag_seconds").unwrap_or(0.0) >= 3.0
    });
    let (code, body) = http_get(mport, "/healthz");
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("lag"), "{body}");
    // the network is back: it catches up, lag falls to ~0
    proxy.pause(false);
    wait_for("lag to fall", &|| {
        metric(mport, "binvault_replication_lag_seconds").unwrap_or(99.0) < 1.5
    });
    assert_eq!(http_get(mport, "/healthz").0, 200);
    wait_for("all transactions", &|| {
        metric(mport, "binvault_archived_transactions_total").unwrap_or(0.0) >= 40.0
    });
    let (_, all) = http_get(mport, "/metrics");
    for name in [
        "binvault_archived_bytes_total",
        "binvault_archived_events_total",
        "binvault_durable_offset_bytes",
        "binvault_reconnects_total",
        "binvault_last_error_timestamp_seconds",
        "binvault_fsync_duration_seconds_bucket",
    ] {
        assert!(all.contains(name), "{name} missing:\n{all}");
    }
    sigterm(&mut child);
}

#[test]
fn refuses_another_source_and_a_taken_server_id_and_reads_a_config_file() {
    let a = MariaDb::start(MariaDbConfig::new().server_id(11)).unwrap();
    let b = MariaDb::start(MariaDbConfig::new().server_id(12)).unwrap();
    for s in [&a, &b] {
        s.create_user_with_grants("repl", "pw", UserAuth::NativePassword, "REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR, REPLICATION MASTER ADMIN, SELECT ON *.*").unwrap();
        workload::run(s, 41, 10).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a");
    // settings from a TOML file; the command line adds --stop-at-end
    let config = dir.path().join("binvault.toml");
    std::fs::write(
        &config,
        format!("source = \"mysql://repl@127.0.0.1:{}\"\narchive = \"{}\"\nsync = \"10ms\"\nheartbeat = 1\ncompress-sealed = true\n", a.port(), archive.display()),
    )
    .unwrap();
    let out = binvault()
        .args([
            "--log-format",
            "json",
            "stream",
            "--stop-at-end",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    // JSON logs: one object per line, one line per connect/seal, none per event
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "connected"),
        "{log}"
    );
    assert!(
        lines.len() < 30,
        "{} log lines for a few files: {log}",
        lines.len()
    );
    assert!(archive.join("server-11").join("index.json").exists());
    // a password in the config is refused
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "password = \"x\"\n").unwrap();
    let out = binvault()
        .args(["stream", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in the config"));

    // the same archive against an unrelated server: its history diverges (it lacks every
    // archived transaction and has its own), so it is refused and nothing written for it
    let out = binvault()
        .args(["stream", "--stop-at-end", "--source"])
        .arg(format!("mysql://repl@127.0.0.1:{}", b.port()))
        .arg("--archive")
        .arg(&archive)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("diverges from the archive's"), "{err}");
    assert!(
        err.contains("lacks archived transactions: 0-11-1.."),
        "{err}"
    );
    assert!(err.contains("(errant): 0-12-1"), "{err}");
    assert!(!archive.join("server-12").exists());

    // a second archiver with the same server id as a running one: refused
    let mut first = spawn_stream(b.port(), &dir.path().join("b1"), &["--server-id", "777"]);
    let t = Instant::now();
    while !b.sql("SHOW SLAVE HOSTS").unwrap().contains("777") {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "first archiver never registered"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = binvault()
        .args(["stream", "--stop-at-end", "--server-id", "777", "--source"])
        .arg(format!("mysql://repl@127.0.0.1:{}", b.port()))
        .arg("--archive")
        .arg(dir.path().join("b2"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("already used by another replica"), "{err}");
    sigterm(&mut first);
}
