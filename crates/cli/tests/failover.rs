//! Following a failover: a MariaDB primary and a GTID replica (`--log-slave-updates`), both
//! given to `binvault stream` as sources. The primary is killed with SIGKILL, the test
//! promotes the replica (as an operator or orchestrator would) and the workload goes on
//! there. The archive must hold exactly the replica's history (the union of both servers'
//! transactions, in order, none missing or doubled) across the two server directories, the
//! timeline must record the switch, and `verify` must pass. A replica with an errant
//! transaction (written on it while it was a replica) is refused with a report naming it,
//! both when the primary's transactions follow it in the replica's binlog and when it is the
//! last thing before the promotion (seen by the watcher while the replica was read-only).

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use binvault_testkit::{workload, MariaDb, MariaDbConfig, UserAuth};

const GRANTS: &str = "REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR, SELECT ON *.*";

fn binvault() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_binvault"));
    c.env("BINVAULT_PASSWORD", "pw").env("RUST_LOG", "info");
    c
}

/// A primary (server id 1) and its GTID replica (server id 2, read-only), replicating.
fn pair() -> (MariaDb, MariaDb) {
    let primary = MariaDb::start(MariaDbConfig::new().server_id(1)).unwrap();
    let replica = MariaDb::start(
        MariaDbConfig::new()
            .server_id(2)
            .arg("--log-slave-updates=ON")
            .arg("--read-only=ON"),
    )
    .unwrap();
    for s in [&primary, &replica] {
        s.create_user_with_grants("repl", "pw", UserAuth::NativePassword, GRANTS)
            .unwrap();
    }
    replica.replicate_from(&primary, "repl", "pw").unwrap();
    (primary, replica)
}

fn stream(primary: &MariaDb, replica: &MariaDb, archive: &Path) -> Child {
    let log = std::fs::File::create(archive.with_extension("log")).unwrap();
    binvault()
        .arg("stream")
        .arg("--source")
        .arg(format!(
            "mysql://repl@127.0.0.1:{},127.0.0.1:{}",
            primary.port(),
            replica.port()
        ))
        .arg("--archive")
        .arg(archive)
        .args(["--heartbeat", "1", "--watch-interval", "0.5"])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn log_of(archive: &Path) -> String {
    std::fs::read_to_string(archive.with_extension("log")).unwrap_or_default()
}

/// The MariaDB GTIDs of the transactions in binlog files or archive directories, in order
/// (`binvault inspect --format json`, which steps over an archive's holes).
fn gtids(paths: &[&Path]) -> Vec<String> {
    let out = binvault()
        .args(["inspect", "--format", "json"])
        .args(paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "inspect: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "mariadb_gtid")
        .map(|v| v["gtid"].as_str().unwrap().to_owned())
        .collect()
}

/// The GTIDs of a server's own binlog files, in order.
fn server_gtids(server: &MariaDb) -> Vec<String> {
    let files = server.binlog_files().unwrap();
    gtids(&files.iter().map(|p| p.as_path()).collect::<Vec<_>>())
}

fn timeline(archive: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(archive.join("timeline.json")).unwrap()).unwrap()
}

fn wait_for(what: &str, limit: Duration, archive: &Path, mut done: impl FnMut() -> bool) {
    let t = Instant::now();
    while !done() {
        assert!(
            t.elapsed() < limit,
            "timed out waiting for {what}; binvault log:\n{}",
            log_of(archive)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn sigterm(child: &mut Child) {
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit after SIGTERM: {status}");
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The workload databases' table checksums.
fn checksums(server: &MariaDb, seeds: &[u64]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for seed in seeds {
        out.extend(workload::checksums(server, &format!("bv_w{seed}")).unwrap());
    }
    assert!(!out.is_empty());
    out
}

/// A fresh server with `binvault restore --archive ARCHIVE ARGS` applied.
fn restore_into(archive: &Path, args: &[&str]) -> MariaDb {
    let out = binvault()
        .args(["restore", "--archive"])
        .arg(archive)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "restore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let target = MariaDb::start(MariaDbConfig::new().server_id(9)).unwrap();
    target.apply_sql(&out.stdout).unwrap();
    target
}

/// Waits until binvault stops by itself, which must be a failure; returns its log.
fn refused(child: &mut Child, archive: &Path) -> String {
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(90),
            "binvault did not stop on the divergent server:\n{}",
            log_of(archive)
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let log = log_of(archive);
    assert!(!status.success(), "{log}");
    log
}

/// Durable GTID position of a server directory (its state.json).
fn durable_gtid(dir: &Path) -> String {
    std::fs::read(dir.join("state.json"))
        .ok()
        .and_then(|d| serde_json::from_slice::<serde_json::Value>(&d).ok())
        .and_then(|v| v["gtid_position"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[test]
fn follows_the_promoted_replica_by_gtid() {
    let (mut primary, replica) = pair();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a");
    let mut child = stream(&primary, &replica, &archive);

    workload::run(&primary, 61, 120).unwrap();
    primary.flush_binary_logs().unwrap();
    workload::run(&primary, 62, 80).unwrap();
    let primary_end = primary.gtid_binlog_pos().unwrap();
    replica
        .wait_for_gtid(&primary_end, Duration::from_secs(60))
        .unwrap();
    let at_switch = checksums(&replica, &[61, 62]);
    // the archiver is streaming from the primary, not the replica
    wait_for(
        "the first transactions archived",
        Duration::from_secs(60),
        &archive,
        || !durable_gtid(&archive.join("server-1")).is_empty(),
    );
    primary.kill().unwrap();
    replica.promote().unwrap();
    workload::run(&replica, 63, 100).unwrap();
    replica.flush_binary_logs().unwrap();
    workload::run(&replica, 64, 40).unwrap();
    let replica_end = replica.gtid_binlog_pos().unwrap();
    assert!(replica_end.starts_with("0-2-"), "{replica_end}");
    wait_for(
        "the promoted server's last transaction archived",
        Duration::from_secs(90),
        &archive,
        || durable_gtid(&archive.join("server-2")) == replica_end,
    );
    sigterm(&mut child);
    let log = log_of(&archive);

    // the timeline records the switch
    let t = timeline(&archive);
    let segs = t["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 2, "{t:#}\n{log}");
    assert_eq!(segs[0]["server_dir"], "server-1");
    assert_eq!(segs[1]["server_dir"], "server-2");
    assert_eq!(segs[0]["end_gtid"].as_str().unwrap(), primary_end, "{t:#}");
    assert_eq!(
        segs[1]["start_gtid"].as_str().unwrap(),
        primary_end,
        "{t:#}"
    );
    let last_of_primary: u64 = primary_end.rsplit('-').next().unwrap().parse().unwrap();
    assert_eq!(
        segs[1]["first_gtid"].as_str().unwrap(),
        format!("0-2-{}", last_of_primary + 1),
        "{t:#}"
    );
    assert!(t.get("diverged").is_none(), "{t:#}");

    // the archive's transactions, in order, are exactly the promoted server's history (its
    // binlog holds the primary's transactions, replicated, and then its own)
    let expected = server_gtids(&replica);
    let archived = gtids(&[&archive.join("server-1"), &archive.join("server-2")]);
    assert!(expected.len() > 300, "{}", expected.len());
    assert_eq!(
        archived.len(),
        expected.len(),
        "missing or doubled transactions\n{log}"
    );
    assert_eq!(archived, expected, "order differs");
    let mut unique = archived.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), archived.len(), "a GTID archived twice");

    // verify passes across the switch; status shows the timeline
    let out = binvault()
        .args(["verify", "--archive"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // restored across the switch into fresh servers: the whole archive gives the promoted
    // server's tables, and a stop at the old primary's last transaction its state then
    let all = restore_into(&archive, &[]);
    assert_eq!(
        checksums(&all, &[61, 62, 63, 64]),
        checksums(&replica, &[61, 62, 63, 64])
    );
    assert_eq!(all.gtid_binlog_pos().unwrap(), replica_end);
    let before = restore_into(&archive, &["--stop-gtid", &primary_end]);
    assert_eq!(checksums(&before, &[61, 62]), at_switch);
    assert!(before
        .sql_value("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'bv_w63'")
        .unwrap()
        .is_some_and(|n| n == "0"));

    // a timeline that disagrees with the directories is a problem verify reports
    let good = std::fs::read_to_string(archive.join("timeline.json")).unwrap();
    let mut bad: serde_json::Value = serde_json::from_str(&good).unwrap();
    bad["segments"][1]["start_file"] = "mariadb-bin.999999".into();
    std::fs::write(archive.join("timeline.json"), bad.to_string()).unwrap();
    let out = binvault()
        .args(["verify", "--archive"])
        .arg(&archive)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("timeline") && text.contains("mariadb-bin.999999"),
        "{text}"
    );
    std::fs::write(archive.join("timeline.json"), good).unwrap();
    let out = binvault()
        .args(["status", "--archive"])
        .arg(&archive)
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{status}");
    assert!(status.contains("Timeline"), "{status}");
    assert!(status.contains(&format!("after {primary_end}")), "{status}");
}

/// Runs the failover with an errant transaction on the replica, injected by `inject`
/// (between the primary's workloads); binvault must refuse the promoted replica.
fn refuses_errant(inject_then_more_on_primary: bool) {
    let (mut primary, replica) = pair();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a");
    let mut child = stream(&primary, &replica, &archive);
    workload::run(&primary, 71, 60).unwrap();
    replica
        .wait_for_gtid(&primary.gtid_binlog_pos().unwrap(), Duration::from_secs(60))
        .unwrap();
    // written on the replica itself (root is not stopped by read_only)
    replica
        .sql("CREATE DATABASE errant; CREATE TABLE errant.t (id INT PRIMARY KEY); INSERT INTO errant.t VALUES (1)")
        .unwrap();
    let errant_pos = replica.gtid_binlog_pos().unwrap();
    let errant_seq: u64 = errant_pos.rsplit('-').next().unwrap().parse().unwrap();
    assert!(errant_pos.starts_with("0-2-"), "{errant_pos}");
    if inject_then_more_on_primary {
        workload::run(&primary, 72, 40).unwrap();
        replica
            .wait_for_gtid(&primary.gtid_binlog_pos().unwrap(), Duration::from_secs(60))
            .unwrap();
    } else {
        // the errant transactions are the replica's last before the promotion: only the
        // watcher, which saw them while the replica was read-only, can tell them apart
        std::thread::sleep(Duration::from_secs(2));
    }
    wait_for(
        "the primary's transactions archived",
        Duration::from_secs(60),
        &archive,
        || durable_gtid(&archive.join("server-1")).starts_with("0-1-"),
    );
    let archived_before = gtids(&[&archive.join("server-1")]);
    primary.kill().unwrap();
    replica.promote().unwrap();
    workload::run(&replica, 73, 20).unwrap();
    // binvault stops with a report
    let log = refused(&mut child, &archive);
    assert!(log.contains("errant"), "{log}");
    let first_errant = format!("0-2-{}", errant_seq - 2);
    assert!(
        log.contains(&first_errant),
        "{first_errant} not named:\n{log}"
    );
    let t = timeline(&archive);
    assert_eq!(t["segments"].as_array().unwrap().len(), 1, "{t:#}");
    let d = &t["diverged"][0];
    assert_eq!(d["server_dir"], "server-2", "{t:#}");
    let errant = d["errant"].to_string();
    assert!(errant.contains(&first_errant), "{t:#}");
    assert!(
        errant.contains(&errant_pos) || errant.contains(&format!("..{errant_seq}")),
        "{t:#}"
    );
    assert!(
        !archive.join("server-2").exists(),
        "the divergent history was archived"
    );
    // the archive is untouched and still verifies
    assert_eq!(gtids(&[&archive.join("server-1")]), archived_before);
    let out = binvault()
        .args(["verify", "--archive"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = binvault()
        .args(["status", "--archive"])
        .arg(&archive)
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(
        status.contains("diverged") && status.contains(&first_errant),
        "{status}"
    );
    eprintln!("{log}\n{status}");
}

#[test]
fn refuses_a_promoted_replica_with_an_errant_transaction_before_the_primarys_last() {
    refuses_errant(true);
}

#[test]
fn refuses_a_promoted_replica_whose_errant_transaction_is_its_last_as_a_replica() {
    refuses_errant(false);
}

/// The replica stopped replicating before the primary's last transactions, which the
/// archive holds: promoting it would lose them, and binvault says which.
#[test]
fn refuses_a_promoted_replica_that_lacks_archived_transactions() {
    let (mut primary, replica) = pair();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a");
    let mut child = stream(&primary, &replica, &archive);
    workload::run(&primary, 81, 40).unwrap();
    replica
        .wait_for_gtid(&primary.gtid_binlog_pos().unwrap(), Duration::from_secs(60))
        .unwrap();
    let replica_had = primary.gtid_binlog_pos().unwrap();
    replica.sql("STOP SLAVE").unwrap();
    workload::run(&primary, 82, 10).unwrap();
    let primary_end = primary.gtid_binlog_pos().unwrap();
    wait_for(
        "the primary's last transaction archived",
        Duration::from_secs(60),
        &archive,
        || durable_gtid(&archive.join("server-1")) == primary_end,
    );
    primary.kill().unwrap();
    replica.promote().unwrap();
    let log = refused(&mut child, &archive);
    let seq = |pos: &str| pos.rsplit('-').next().unwrap().parse::<u64>().unwrap();
    let missing = format!("0-1-{}..{}", seq(&replica_had) + 1, seq(&primary_end));
    assert!(
        log.contains(&format!("lacks archived transactions: {missing}")),
        "{missing}:\n{log}"
    );
    let t = timeline(&archive);
    assert_eq!(
        t["diverged"][0]["missing"][0].as_str().unwrap(),
        missing,
        "{t:#}"
    );
    assert!(
        t["diverged"][0]["errant"].as_array().unwrap().is_empty(),
        "{t:#}"
    );
    assert!(!archive.join("server-2").exists());
}

/// A planned switchover: the primary stays up but is made read-only, the replica is
/// promoted. The watcher sees that the archived server is no longer the primary, and the
/// archive follows the new one.
#[test]
fn follows_a_planned_switchover() {
    let (primary, replica) = pair();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a");
    let mut child = stream(&primary, &replica, &archive);
    workload::run(&primary, 91, 50).unwrap();
    primary.sql("SET GLOBAL read_only = 1").unwrap();
    let primary_end = primary.gtid_binlog_pos().unwrap();
    replica
        .wait_for_gtid(&primary_end, Duration::from_secs(60))
        .unwrap();
    replica.promote().unwrap();
    workload::run(&replica, 92, 30).unwrap();
    let replica_end = replica.gtid_binlog_pos().unwrap();
    wait_for(
        "the new primary's transactions archived",
        Duration::from_secs(60),
        &archive,
        || durable_gtid(&archive.join("server-2")) == replica_end,
    );
    sigterm(&mut child);
    let t = timeline(&archive);
    let segs = t["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 2, "{t:#}");
    assert_eq!(segs[0]["end_gtid"].as_str().unwrap(), primary_end, "{t:#}");
    let expected = server_gtids(&replica);
    let archived = gtids(&[&archive.join("server-1"), &archive.join("server-2")]);
    assert_eq!(archived, expected);
    assert!(
        log_of(&archive).contains("no longer the primary"),
        "{}",
        log_of(&archive)
    );
}
