//! The replication client against real MariaDB 10.11 servers, each started by the test in a
//! temporary datadir on a free loopback port (binvault-testkit).
//!
//! The central check: every event received at a file position is byte-identical to the
//! source's own binlog file at that position, and a stream from the start of a file rebuilds
//! the whole file (`cmp`). The one byte a live file differs in is the format description's
//! `LOG_EVENT_BINLOG_IN_USE_F` flag, which the source clears when it sends the event (and in
//! the file when it closes it): files still open on the source are compared with that flag
//! masked, closed ones exactly.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use binvault_protocol::binlog::{BinlogEvent, StreamItem, FORMAT_DESCRIPTION_EVENT};
use binvault_protocol::driver::{
    ConnectOptions, Connection, Password, ReplicaOptions, ReplicationStream, StartPosition,
    TlsMode, TlsOptions,
};
use binvault_protocol::gtid::MariadbGtidList;
use binvault_protocol::Error;
use binvault_testkit::{workload, MariaDb, MariaDbConfig, TestCerts, UserAuth};

const GTID_EVENT: u8 = 162;

fn options(server: &MariaDb, user: &str, password: &str) -> ConnectOptions {
    ConnectOptions {
        host: "127.0.0.1".into(),
        port: server.port(),
        user: user.into(),
        password: Password::new(password.as_bytes().to_vec()),
        tls: TlsOptions {
            mode: TlsMode::Disabled,
            ..TlsOptions::default()
        },
        ..ConnectOptions::default()
    }
}

fn replica(start: StartPosition) -> ReplicaOptions {
    ReplicaOptions {
        start,
        stop_at_end: true,
        ..ReplicaOptions::default()
    }
}

/// Streams until the source says it has nothing more (non-blocking dump).
async fn collect(
    opts: &ConnectOptions,
    replica: &ReplicaOptions,
) -> Result<Vec<BinlogEvent>, Error> {
    let conn = Connection::connect(opts).await?;
    let mut stream = conn.start_replication(replica).await?;
    let mut events = Vec::new();
    loop {
        match stream.next().await? {
            StreamItem::Event(e) => events.push(e),
            StreamItem::Heartbeat(_) => {}
            StreamItem::End => return Ok(events),
        }
    }
}

/// Every positioned event equals the source's file bytes at its position. Returns the bytes
/// rebuilt per file (magic + events) for files streamed from position 4.
fn check_against_source(server: &MariaDb, events: &[BinlogEvent]) -> BTreeMap<String, Vec<u8>> {
    let mut rebuilt: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut checked = 0;
    for e in events {
        let Some(pos) = e.position else { continue };
        let name = String::from_utf8(e.file.to_vec()).unwrap();
        let source = std::fs::read(server.binlog_dir().join(&name)).unwrap();
        let end = pos as usize + e.raw.len();
        assert!(
            end <= source.len(),
            "{name}:{pos}: event beyond the source file"
        );
        let mut want = source[pos as usize..end].to_vec();
        let mut got = e.raw.to_vec();
        if e.event_type() == FORMAT_DESCRIPTION_EVENT {
            want[17] &= !1; // LOG_EVENT_BINLOG_IN_USE_F: set in the file while it is open
            got[17] &= !1;
        }
        assert!(
            got == want,
            "{name}:{pos}: received event differs from the source file"
        );
        checked += 1;
        let file = rebuilt.entry(name).or_default();
        if file.is_empty() && pos == 4 {
            file.extend_from_slice(b"\xfebin");
        }
        if file.len() as u64 == pos {
            file.extend_from_slice(&e.raw);
        }
    }
    assert!(checked > 0, "no event was checked");
    rebuilt
}

/// The rebuilt files equal the source's: closed files byte for byte, the open one with the
/// in-use flag masked. Every source file must have been rebuilt.
fn assert_files_identical(
    server: &MariaDb,
    rebuilt: &BTreeMap<String, Vec<u8>>,
    expect_files: usize,
) {
    let files = server.binlog_files().unwrap();
    assert_eq!(
        rebuilt.len(),
        files.len(),
        "files streamed: {:?}",
        rebuilt.keys().collect::<Vec<_>>()
    );
    assert!(
        files.len() >= expect_files,
        "expected at least {expect_files} binlog files"
    );
    let last = files.last().unwrap().clone();
    let out = tempfile::tempdir().unwrap();
    for path in &files {
        let name = path.file_name().unwrap().to_str().unwrap();
        let mut got = rebuilt
            .get(name)
            .unwrap_or_else(|| panic!("{name} not streamed"))
            .clone();
        let written = out.path().join(name);
        if *path == last {
            // The open file may have grown since (MariaDB appends its binlog checkpoint event
            // asynchronously): what was streamed must be a prefix ending on an event boundary.
            let mut src = std::fs::read(path).unwrap();
            src[4 + 17] &= !1;
            got[4 + 17] &= !1;
            assert!(
                src.starts_with(&got),
                "{name} (open file) differs: {} vs {} bytes",
                src.len(),
                got.len()
            );
        } else {
            std::fs::write(&written, &got).unwrap();
            binvault_testkit::cmp_files(path, &written).unwrap();
        }
    }
}

fn repl_server(config: MariaDbConfig) -> MariaDb {
    let server = MariaDb::start(config).unwrap();
    server
        .create_user("repl", "s3cret", UserAuth::NativePassword)
        .unwrap();
    server
}

#[tokio::test]
async fn by_position_crc32_across_rotation_and_restart() {
    let mut server = repl_server(MariaDbConfig::new().arg("--binlog-checksum=CRC32"));
    workload::run(&server, 1, 150).unwrap();
    server.flush_binary_logs().unwrap();
    workload::run(&server, 2, 60).unwrap();
    let opts = options(&server, "repl", "s3cret");

    // A blocking stream reads up to the source's current position ...
    let conn = Connection::connect(&opts).await.unwrap();
    let blocking = ReplicaOptions {
        heartbeat_period: Duration::from_secs(1),
        ..ReplicaOptions::default()
    };
    let mut stream = conn.start_replication(&blocking).await.unwrap();
    assert!(stream.source().checksum);
    let mut events = Vec::new();
    let (file, pos) = server.master_status().unwrap();
    while !(stream.position().0 == file.as_bytes() && stream.position().1 >= pos) {
        if let StreamItem::Event(e) = stream.next().await.unwrap() {
            events.push(e);
        }
    }
    // ... the source restarts under it: the stream fails with a connection error ...
    server.restart().unwrap();
    let err = loop {
        match stream.next().await {
            Ok(StreamItem::Event(e)) => events.push(e),
            Ok(_) => {}
            Err(e) => break e,
        }
    };
    assert!(
        matches!(
            err,
            Error::ConnectionClosed { .. } | Error::Io { .. } | Error::Server(_)
        ),
        "unexpected error after a restart: {err}"
    );
    // ... and resumes from exactly where it was, across the new file the restart began.
    let (name, position) = stream.position();
    let resume = StartPosition::File {
        name: String::from_utf8(name.to_vec()).unwrap(),
        position,
    };
    workload::run(&server, 3, 40).unwrap();
    server.flush_binary_logs().unwrap();
    events.extend(collect(&opts, &replica(resume)).await.unwrap());
    let rebuilt = check_against_source(&server, &events);
    assert_files_identical(&server, &rebuilt, 4);
}

#[tokio::test]
async fn by_position_checksum_none_and_mid_file_start() {
    let server = repl_server(MariaDbConfig::new().arg("--binlog-checksum=NONE"));
    workload::run(&server, 4, 80).unwrap();
    server.flush_binary_logs().unwrap();
    workload::run(&server, 5, 30).unwrap();
    let opts = options(&server, "repl", "s3cret");
    let events = collect(&opts, &replica(StartPosition::Oldest))
        .await
        .unwrap();
    let rebuilt = check_against_source(&server, &events);
    assert_files_identical(&server, &rebuilt, 2);

    // Start in the middle of the first file, at an event boundary.
    let first = events
        .iter()
        .find(|e| e.position.is_some())
        .unwrap()
        .file
        .clone();
    let mid = events
        .iter()
        .filter(|e| e.file == first && e.event_type() == GTID_EVENT)
        .nth(20)
        .and_then(|e| e.position)
        .unwrap();
    let name = String::from_utf8(first.to_vec()).unwrap();
    let tail = collect(
        &opts,
        &replica(StartPosition::File {
            name: name.clone(),
            position: mid,
        }),
    )
    .await
    .unwrap();
    let positioned: Vec<_> = tail.iter().filter(|e| e.position.is_some()).collect();
    assert_eq!(positioned[0].position, Some(mid));
    assert!(tail
        .iter()
        .any(|e| e.position.is_none() && e.event_type() == FORMAT_DESCRIPTION_EVENT));
    check_against_source(&server, &tail);
    // the tail of the first file, byte for byte
    let source = std::fs::read(server.binlog_dir().join(&name)).unwrap();
    let got: Vec<u8> = positioned
        .iter()
        .filter(|e| e.file == first)
        .flat_map(|e| e.raw.to_vec())
        .collect();
    assert!(
        source[mid as usize..] == got[..],
        "tail of {name} from {mid} differs"
    );
}

fn mariadb_gtid(raw: &[u8]) -> (u32, u64) {
    // GTID_EVENT body: seq_no (8), domain_id (4), ...
    let seq = u64::from_le_bytes(raw[19..27].try_into().unwrap());
    let domain = u32::from_le_bytes(raw[27..31].try_into().unwrap());
    (domain, seq)
}

#[tokio::test]
async fn by_gtid_with_ed25519_user() {
    let server = MariaDb::start(MariaDbConfig::new()).unwrap();
    server
        .create_user("edrepl", "ed-pass", UserAuth::Ed25519)
        .unwrap();
    workload::run(&server, 6, 60).unwrap();
    let middle = server.gtid_binlog_pos().unwrap();
    server.flush_binary_logs().unwrap();
    workload::run(&server, 7, 40).unwrap();
    let end = server.gtid_binlog_pos().unwrap();
    let opts = options(&server, "edrepl", "ed-pass");

    // From the beginning (empty GTID position) every file is rebuilt.
    let all = collect(
        &opts,
        &replica(StartPosition::MariadbGtid("".parse().unwrap())),
    )
    .await
    .unwrap();
    let rebuilt = check_against_source(&server, &all);
    assert_files_identical(&server, &rebuilt, 2);

    // From the middle: exactly the transactions after it, each byte-identical to the source.
    let start: MariadbGtidList = middle.parse().unwrap();
    let tail = collect(&opts, &replica(StartPosition::MariadbGtid(start.clone())))
        .await
        .unwrap();
    check_against_source(&server, &tail);
    let seqs: Vec<u64> = tail
        .iter()
        .filter(|e| e.position.is_some() && e.event_type() == GTID_EVENT)
        .map(|e| mariadb_gtid(&e.raw).1)
        .collect();
    let first_seq = start.gtids[0].sequence + 1;
    let last: MariadbGtidList = end.parse().unwrap();
    let want: Vec<u64> = (first_seq..=last.gtids[0].sequence).collect();
    assert_eq!(seqs, want, "GTID start {middle}: transactions received");

    // A wrong password is a typed server error with advice.
    let mut bad = opts.clone();
    bad.password = Password::new(b"nope".to_vec());
    match Connection::connect(&bad).await {
        Err(Error::Server(e)) => {
            assert_eq!(e.code, 1045);
            assert!(Error::Server(e)
                .to_string()
                .contains("wrong user name or password"));
        }
        other => panic!("expected 1045, got {other:?}"),
    }
}

async fn tls_stream(
    server: &MariaDb,
    mode: TlsMode,
    ca: Option<&Path>,
    host: &str,
) -> Result<Vec<BinlogEvent>, Error> {
    let mut opts = options(server, "repl", "s3cret");
    opts.host = host.into();
    opts.tls = TlsOptions {
        mode,
        ca_file: ca.map(Path::to_path_buf),
        server_name: None,
    };
    let conn = Connection::connect(&opts).await?;
    assert!(conn.is_tls());
    drop(conn);
    collect(&opts, &replica(StartPosition::Oldest)).await
}

#[tokio::test]
async fn tls_modes_and_certificate_checks() {
    let certs = TestCerts::generate().unwrap();
    let server = repl_server(MariaDbConfig::new().tls(certs.clone()));
    server
        .create_user("edrepl", "ed-pass", UserAuth::Ed25519)
        .unwrap();
    workload::run(&server, 8, 50).unwrap();
    server.flush_binary_logs().unwrap();

    for (mode, ca, host) in [
        (TlsMode::Required, None, "127.0.0.1"),
        (TlsMode::Preferred, None, "127.0.0.1"),
        (TlsMode::VerifyCa, Some(certs.ca_pem.as_path()), "127.0.0.1"),
        (
            TlsMode::VerifyFull,
            Some(certs.ca_pem.as_path()),
            "127.0.0.1",
        ),
        (
            TlsMode::VerifyFull,
            Some(certs.ca_pem.as_path()),
            "localhost",
        ),
    ] {
        let events = tls_stream(&server, mode, ca, host)
            .await
            .unwrap_or_else(|e| panic!("{mode:?} {host}: {e}"));
        let rebuilt = check_against_source(&server, &events);
        assert_files_identical(&server, &rebuilt, 2);
    }
    // An ed25519 user over TLS.
    let mut opts = options(&server, "edrepl", "ed-pass");
    opts.tls = TlsOptions {
        mode: TlsMode::VerifyFull,
        ca_file: Some(certs.ca_pem.clone()),
        server_name: None,
    };
    assert!(Connection::connect(&opts).await.unwrap().is_tls());
    // An unrelated CA fails verification, with a TLS error.
    match tls_stream(
        &server,
        TlsMode::VerifyCa,
        Some(&certs.other_ca_pem),
        "127.0.0.1",
    )
    .await
    {
        Err(Error::Tls(msg)) => assert!(msg.contains("handshake"), "{msg}"),
        other => panic!("expected a TLS error, got {other:?}"),
    }

    // A certificate for another name: verify-ca accepts it, verify-full refuses it.
    let wrong = TestCerts::generate_for(&["wrong.example"]).unwrap();
    let other = repl_server(MariaDbConfig::new().tls(wrong.clone()));
    assert!(
        tls_stream(&other, TlsMode::VerifyCa, Some(&wrong.ca_pem), "127.0.0.1")
            .await
            .is_ok()
    );
    assert!(matches!(
        tls_stream(
            &other,
            TlsMode::VerifyFull,
            Some(&wrong.ca_pem),
            "127.0.0.1"
        )
        .await,
        Err(Error::Tls(_))
    ));

    // A server without TLS: required fails clearly, preferred falls back to plain.
    let plain = repl_server(MariaDbConfig::new());
    let mut opts = options(&plain, "repl", "s3cret");
    opts.tls.mode = TlsMode::Required;
    let err = Connection::connect(&opts).await.unwrap_err();
    assert!(matches!(err, Error::TlsUnavailable { .. }), "{err}");
    opts.tls.mode = TlsMode::Preferred;
    assert!(!Connection::connect(&opts).await.unwrap().is_tls());
}

#[tokio::test]
async fn errors_a_user_can_act_on() {
    let server = repl_server(MariaDbConfig::new());
    server
        .create_user_with_grants("nogrant", "pw", UserAuth::NativePassword, "SELECT ON *.*")
        .unwrap();
    workload::run(&server, 9, 20).unwrap();
    for _ in 0..3 {
        server.flush_binary_logs().unwrap();
        workload::run(&server, 10, 5).unwrap();
    }
    let files = server.binlog_files().unwrap();
    let first = files[0].file_name().unwrap().to_str().unwrap().to_owned();
    let third = files[2].file_name().unwrap().to_str().unwrap().to_owned();

    // No REPLICATION SLAVE grant: the dump is refused with 1227 and advice.
    let opts = options(&server, "nogrant", "pw");
    match collect(&opts, &replica(StartPosition::Oldest)).await {
        Err(e @ Error::ReplicationDenied(_)) => {
            assert!(e.to_string().contains("GRANT REPLICATION SLAVE"), "{e}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    // A purged binlog: 1236 with advice.
    server
        .sql(&format!("PURGE BINARY LOGS TO '{third}'"))
        .unwrap();
    let opts = options(&server, "repl", "s3cret");
    match collect(
        &opts,
        &replica(StartPosition::File {
            name: first,
            position: 4,
        }),
    )
    .await
    {
        Err(Error::Server(e)) => {
            assert_eq!(e.code, 1236, "{e}");
            assert!(Error::Server(e).to_string().contains("purged"));
        }
        other => panic!("expected 1236, got {other:?}"),
    }

    // Binlog disabled on the source.
    let nolog = MariaDb::start(MariaDbConfig::new().arg("--skip-log-bin")).unwrap();
    nolog
        .create_user("repl", "s3cret", UserAuth::NativePassword)
        .unwrap();
    let opts = options(&nolog, "repl", "s3cret");
    assert!(matches!(
        collect(&opts, &replica(StartPosition::Oldest)).await,
        Err(Error::BinlogDisabled)
    ));
}

async fn stream_to_end_of_binlog(server: &MariaDb, stream: &mut ReplicationStream) {
    let (file, pos) = server.master_status().unwrap();
    while !(stream.position().0 == file.as_bytes() && stream.position().1 >= pos) {
        stream.next().await.unwrap();
    }
}

#[tokio::test]
async fn dead_source_detected_by_missing_heartbeats_and_server_gone() {
    let mut server = repl_server(MariaDbConfig::new());
    workload::run(&server, 11, 10).unwrap();
    let opts = options(&server, "repl", "s3cret");
    let live = ReplicaOptions {
        heartbeat_period: Duration::from_millis(500),
        idle_timeout: Some(Duration::from_secs(2)),
        ..ReplicaOptions::default()
    };
    let mut stream = Connection::connect(&opts)
        .await
        .unwrap()
        .start_replication(&live)
        .await
        .unwrap();
    stream_to_end_of_binlog(&server, &mut stream).await;
    // Idle but alive: heartbeats keep coming, nothing times out.
    let mut heartbeats = 0;
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(3) {
        if let StreamItem::Heartbeat(h) = stream.next().await.unwrap() {
            assert_eq!(h.file, stream.position().0);
            heartbeats += 1;
        }
    }
    assert!(
        heartbeats >= 3,
        "{heartbeats} heartbeats in 3 s at a 0.5 s period"
    );
    // A frozen source (SIGSTOP): silence, detected after the idle timeout.
    let pid = server.pid().unwrap() as i32;
    std::process::Command::new("kill")
        .args(["-STOP", &pid.to_string()])
        .status()
        .unwrap();
    let t = Instant::now();
    let err = loop {
        match stream.next().await {
            Ok(_) => {}
            Err(e) => break e,
        }
    };
    std::process::Command::new("kill")
        .args(["-CONT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "timeout took {:?}",
        t.elapsed()
    );

    // A source that dies: the stream ends with a connection error, not a hang.
    let mut stream = Connection::connect(&opts)
        .await
        .unwrap()
        .start_replication(&live)
        .await
        .unwrap();
    stream_to_end_of_binlog(&server, &mut stream).await;
    server.kill().unwrap();
    let err = loop {
        match stream.next().await {
            Ok(_) => {}
            Err(e) => break e,
        }
    };
    assert!(
        matches!(err, Error::ConnectionClosed { .. } | Error::Io { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn semi_sync_ack_only_when_told() {
    let server = repl_server(
        MariaDbConfig::new()
            .arg("--rpl-semi-sync-master-enabled=1")
            .arg("--rpl-semi-sync-master-timeout=3000")
            .arg("--rpl-semi-sync-master-wait-point=AFTER_SYNC")
            .arg("--rpl-semi-sync-master-wait-no-slave=OFF"),
    );
    server
        .sql("CREATE DATABASE s; CREATE TABLE s.t (a INT PRIMARY KEY)")
        .unwrap();
    let opts = options(&server, "repl", "s3cret");
    let semi = ReplicaOptions {
        semi_sync: true,
        heartbeat_period: Duration::from_secs(1),
        ..ReplicaOptions::default()
    };
    let mut stream = Connection::connect(&opts)
        .await
        .unwrap()
        .start_replication(&semi)
        .await
        .unwrap();
    assert!(stream.is_semi_sync());
    stream_to_end_of_binlog(&server, &mut stream).await;
    let status = |name: &str| -> u64 {
        server
            .sql_value(&format!("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '{name}'"))
            .unwrap()
            .unwrap()
            .parse()
            .unwrap()
    };
    // wait until the source counts us as a semi-sync client
    let t = Instant::now();
    while status("RPL_SEMI_SYNC_MASTER_CLIENTS") == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "never registered as a semi-sync client"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Acked after "durable": the commit returns well before the 3 s timeout.
    let port = server.port();
    let _ = port;
    let sock = server.socket();
    let commit = |v: i32| {
        let sock = sock.clone();
        std::thread::spawn(move || {
            let t = Instant::now();
            let out = std::process::Command::new("mariadb")
                .args([
                    "--no-defaults",
                    &format!("--socket={}", sock.display()),
                    "-uroot",
                    "-e",
                ])
                .arg(format!("INSERT INTO s.t VALUES ({v})"))
                .output()
                .unwrap();
            assert!(out.status.success());
            t.elapsed()
        })
    };
    // Commits acknowledged once "durable": the first ack also turns the source's semi-sync
    // status back on (it was off while no replica had caught up).
    let mut v = 0;
    let mut acked_commit = || {
        v += 1;
        commit(v)
    };
    let mut yes_before = status("RPL_SEMI_SYNC_MASTER_YES_TX");
    for _ in 0..20 {
        if status("RPL_SEMI_SYNC_MASTER_YES_TX") > yes_before {
            break;
        }
        yes_before = status("RPL_SEMI_SYNC_MASTER_YES_TX");
        let client = acked_commit();
        let mut acked = 0;
        while acked == 0 {
            if let StreamItem::Event(e) = stream.next().await.unwrap() {
                if e.needs_ack {
                    stream.ack(&e).await.unwrap();
                    acked += 1;
                }
            }
        }
        client.join().unwrap();
    }
    yes_before = status("RPL_SEMI_SYNC_MASTER_YES_TX");
    assert!(
        yes_before > 0,
        "no commit was ever acknowledged as semi-sync"
    );
    let client = acked_commit();
    let mut acked = 0;
    while acked == 0 {
        if let StreamItem::Event(e) = stream.next().await.unwrap() {
            if e.needs_ack {
                stream.ack(&e).await.unwrap();
                acked += 1;
            }
        }
    }
    let took = client.join().unwrap();
    assert!(took < Duration::from_secs(2), "acked commit took {took:?}");
    let t = Instant::now();
    while status("RPL_SEMI_SYNC_MASTER_YES_TX") == yes_before {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the source never counted the ack: {:?} (took {took:?})",
            server
                .sql_rows("SHOW GLOBAL STATUS LIKE 'rpl_semi%'")
                .unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Not acked: the commit waits for the source's 3 s timeout and counts as not acknowledged.
    let no_before = status("RPL_SEMI_SYNC_MASTER_NO_TX");
    let client = commit(1000);
    let mut flagged = 0;
    while flagged == 0 {
        if let StreamItem::Event(e) = stream.next().await.unwrap() {
            if e.needs_ack {
                flagged += 1; // durable or not, we do not say so
            }
        }
    }
    let took = client.join().unwrap();
    assert!(
        took >= Duration::from_millis(2900),
        "un-acked commit returned after {took:?}"
    );
    assert!(status("RPL_SEMI_SYNC_MASTER_NO_TX") > no_before);
}

#[tokio::test]
async fn compressed_protocol_stream() {
    let server = repl_server(MariaDbConfig::new());
    workload::run(&server, 12, 60).unwrap();
    server.flush_binary_logs().unwrap();
    let mut opts = options(&server, "repl", "s3cret");
    opts.compress = true;
    let events = collect(&opts, &replica(StartPosition::Oldest))
        .await
        .unwrap();
    let rebuilt = check_against_source(&server, &events);
    assert_files_identical(&server, &rebuilt, 2);
}
