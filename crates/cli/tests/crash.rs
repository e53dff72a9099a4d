//! Crash test: `binvault stream` archives a real MariaDB under a running workload and is
//! killed with SIGKILL at 100 random moments (seeded; the seed is printed, and
//! `BINVAULT_CRASH_SEED` replays a run). After each kill the next run recovers the archive
//! and resumes. At the end every archived file is byte-identical to the source's, the GTID
//! position equals the source's, and the archive passes the recovery checks again.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use binvault_testkit::{assert_archived_copies, workload, MariaDb, MariaDbConfig, Rng, UserAuth};

fn stream_cmd(server: &MariaDb, archive: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_binvault"));
    c.arg("stream")
        .arg("--source")
        .arg(format!("mysql://repl@127.0.0.1:{}", server.port()))
        .arg("--archive")
        .arg(archive)
        .args(["--heartbeat", "1"])
        .env("BINVAULT_PASSWORD", "pw")
        .env("RUST_LOG", "warn");
    c
}

/// Cuts the unsealed last file of the archive at a random offset within its last 64 KiB, or
/// (one time in four) appends 4 KiB of zeros. Returns whether it damaged anything.
fn damage_tail(dir: &Path, rng: &mut Rng) -> bool {
    let Ok(index) = std::fs::read(dir.join("index.json")) else {
        return false;
    };
    let index: serde_json::Value = serde_json::from_slice(&index).unwrap();
    let Some(last) = index["files"].as_array().and_then(|f| f.last()) else {
        return false;
    };
    if last["sealed"].as_bool() == Some(true) {
        return false;
    }
    let path = dir.join(last["name"].as_str().unwrap());
    let Ok(len) = std::fs::metadata(&path).map(|m| m.len()) else {
        return false;
    };
    if len <= 4 {
        return false;
    }
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    if rng.next_u64().is_multiple_of(4) {
        f.set_len(len + 4096).unwrap();
    } else {
        let lo = len.saturating_sub(65536).max(4);
        f.set_len(lo + rng.below(len - lo)).unwrap();
    }
    true
}

#[test]
fn sigkill_at_100_random_points_loses_nothing() {
    let seed: u64 = std::env::var("BINVAULT_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_b1a5);
    println!("crash test seed: {seed} (replay with BINVAULT_CRASH_SEED={seed})");
    eprintln!("crash test seed: {seed}");
    let mut rng = Rng::new(seed);
    let server =
        Arc::new(MariaDb::start(MariaDbConfig::new().arg("--max-binlog-size=262144")).unwrap());
    server
        .create_user("repl", "pw", UserAuth::NativePassword)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");

    // The workload runs the whole time, rotating binlogs by size (256 KiB) and by FLUSH.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (server, stop) = (server.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut round = 0u64;
            while !stop.load(Ordering::Relaxed) {
                round += 1;
                workload::run(&server, 1000 + round, 15).unwrap();
                if round.is_multiple_of(7) {
                    server.flush_binary_logs().unwrap();
                }
            }
            round
        })
    };

    let mut kills = 0;
    let mut exited = 0;
    let (mut cuts, mut rebuilt, mut damaged) = (0, 0, 0);
    let t0 = Instant::now();
    while kills < 100 {
        let mut child = stream_cmd(&server, &archive)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let wait = Duration::from_millis(5 + rng.below(395));
        std::thread::sleep(wait);
        match child.try_wait().unwrap() {
            None => {
                child.kill().unwrap(); // SIGKILL
                let out = child.wait_with_output().unwrap();
                let log = String::from_utf8_lossy(&out.stderr);
                cuts += log.matches("recovery cut the archive back").count();
                rebuilt += log.matches("index rebuilt").count();
                kills += 1;
                // Every third kill also loses unsynced data the way a power cut does: the
                // open file's tail is cut at a random byte (or grows zeros).
                if kills % 3 == 0 {
                    damaged += damage_tail(&archive.join("server-1"), &mut rng) as usize;
                }
            }
            Some(status) => {
                // it must not stop by itself: show why
                let out = child.wait_with_output().unwrap();
                panic!(
                    "binvault stream exited on its own ({status}): {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        exited += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let rounds = writer.join().unwrap();
    println!(
        "{kills} SIGKILLs in {:?} over {rounds} workload rounds; tails damaged by the test: {damaged}; recoveries that cut a torn or partial tail: {cuts}; index rebuilds: {rebuilt}",
        t0.elapsed()
    );
    assert!(
        damaged >= 5 && cuts >= 3,
        "recovery was not exercised enough ({damaged} damaged, {cuts} cut)"
    );
    assert!(rounds >= 5, "the workload barely ran ({rounds} rounds)");
    let _ = exited;

    // Recovery and catch-up, then every file compared.
    server.flush_binary_logs().unwrap();
    let out = stream_cmd(&server, &archive)
        .arg("--stop-at-end")
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "final catch-up failed: {log}");
    let ours = archive.join("server-1");
    let files = server.binlog_files().unwrap();
    assert!(files.len() >= 5, "only {} binlog files", files.len());
    assert_archived_copies(&server, &ours, 0).unwrap();
    // The archive's GTID position is the source's.
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(ours.join("state.json")).unwrap()).unwrap();
    assert_eq!(
        state["gtid_position"].as_str().unwrap(),
        server.gtid_binlog_pos().unwrap()
    );
    // Reopening finds nothing to repair, and verify passes when the command exists.
    let (_, rec) =
        binvault_sink::Archive::open(&ours, binvault_sink::SinkOptions::default()).unwrap();
    assert!(
        rec.truncated.is_empty() && rec.index_rebuilt.is_none(),
        "{rec:?}"
    );
    let verify = Command::new(env!("CARGO_BIN_EXE_binvault"))
        .arg("verify")
        .arg("--archive")
        .arg(&archive)
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&verify.stderr);
    if !help.contains("unrecognized subcommand") {
        assert!(
            verify.status.success(),
            "verify failed: {}{}",
            String::from_utf8_lossy(&verify.stdout),
            help
        );
    }
}
