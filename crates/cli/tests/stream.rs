//! `binvault stream` end to end against real MariaDB servers started by the test: the
//! archive's files are byte-identical to the source's (`cmp`), by position, by GTID, over TLS,
//! resumed by a second run; bad input fails clearly and never touches what is archived.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use binvault_testkit::{
    assert_archived_copies, workload, MariaDb, MariaDbConfig, TestCerts, UserAuth,
};

fn stream(server: &MariaDb, user: &str, archive: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_binvault"))
        .arg("stream")
        .arg("--source")
        .arg(format!("mysql://{user}@127.0.0.1:{}", server.port()))
        .arg("--archive")
        .arg(archive)
        .arg("--stop-at-end")
        .args(extra)
        .env("BINVAULT_PASSWORD", "Pa55:w@rd")
        .output()
        .unwrap()
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "binvault stream failed ({:?}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn assert_archive_matches(server: &MariaDb, archive: &Path, skip: usize) {
    assert_archived_copies(server, &archive.join("server-1"), skip).unwrap();
}

#[test]
fn archives_byte_identical_files_and_resumes() {
    let server = MariaDb::start(MariaDbConfig::new()).unwrap();
    server
        .create_user("repl", "Pa55:w@rd", UserAuth::NativePassword)
        .unwrap();
    workload::run(&server, 21, 120).unwrap();
    server.flush_binary_logs().unwrap();
    workload::run(&server, 22, 40).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    ok(&stream(&server, "repl", &archive, &[]));
    assert_archive_matches(&server, &archive, 0);
    let files = std::fs::read_dir(archive.join("server-1"))
        .unwrap()
        .filter(|e| {
            !e.as_ref()
                .unwrap()
                .file_name()
                .to_str()
                .unwrap()
                .ends_with(".json")
        })
        .count();
    assert_eq!(files, server.binlog_files().unwrap().len());
    // owner-only permissions
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(
        archive
            .join("server-1")
            .join(server.binlog_files().unwrap()[0].file_name().unwrap()),
    )
    .unwrap()
    .permissions()
    .mode();
    assert_eq!(mode & 0o777, 0o600);

    // A second run resumes after the archive's last file: new events and a new file.
    server.flush_binary_logs().unwrap();
    workload::run(&server, 23, 40).unwrap();
    let out = stream(&server, "repl", &archive, &[]);
    ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("connected"));
    assert_archive_matches(&server, &archive, 0);

    // The password never shows in the logs.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("Pa55"));
}

#[test]
fn start_mid_file_by_position_and_by_gtid_over_tls() {
    let certs = TestCerts::generate().unwrap();
    let server = MariaDb::start(MariaDbConfig::new().tls(certs.clone())).unwrap();
    server
        .create_user("edrepl", "Pa55:w@rd", UserAuth::Ed25519)
        .unwrap();
    workload::run(&server, 24, 60).unwrap();
    let (file, pos) = server.master_status().unwrap();
    let gtid = server.gtid_binlog_pos().unwrap();
    workload::run(&server, 25, 30).unwrap();
    server.flush_binary_logs().unwrap();
    workload::run(&server, 26, 20).unwrap();
    let tls: Vec<String> = vec![
        "--tls-mode".into(),
        "verify-full".into(),
        "--tls-ca".into(),
        certs.ca_pem.display().to_string(),
    ];
    let tls: Vec<&str> = tls.iter().map(String::as_str).collect();

    for (label, start) in [
        (
            "position",
            vec!["--start".to_owned(), format!("{file}:{pos}")],
        ),
        ("gtid", vec!["--start-gtid".to_owned(), gtid.clone()]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join(label);
        let mut args: Vec<&str> = start.iter().map(String::as_str).collect();
        args.extend_from_slice(&tls);
        ok(&stream(&server, "edrepl", &archive, &args));
        // The first file is archived from `pos` on, at the source's offsets.
        let src = std::fs::read(server.binlog_dir().join(&file)).unwrap();
        let ours = std::fs::read(archive.join("server-1").join(&file)).unwrap();
        assert_eq!(ours.len(), src.len(), "{label}");
        assert_eq!(&ours[..4], b"\xfebin");
        assert!(
            ours[pos as usize..] == src[pos as usize..],
            "{label}: tail of {file} differs"
        );
        // The later files are whole.
        assert_archive_matches(&server, &archive, 1);
        // `inspect` reads the whole archive directory, stepping over the hole.
        let out = Command::new(env!("CARGO_BIN_EXE_binvault"))
            .args(["inspect", "--format", "json"])
            .arg(&archive)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{label}: inspect: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let first_file: Vec<&serde_json::Value> = lines
            .iter()
            .filter(|v| v["file"].as_str().unwrap().ends_with(&file))
            .collect();
        assert_eq!(first_file[0]["type"], "format_description");
        assert!(
            first_file.iter().any(|v| v["pos"].as_u64().unwrap() == pos),
            "{label}: no event at {pos} after the hole"
        );
        assert!(
            lines.len() > first_file.len(),
            "{label}: the later files are listed too"
        );
    }
}

#[test]
fn bad_input_fails_clearly_and_keeps_the_archive() {
    let server = MariaDb::start(MariaDbConfig::new()).unwrap();
    server
        .create_user("repl", "Pa55:w@rd", UserAuth::NativePassword)
        .unwrap();
    workload::run(&server, 27, 10).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a");
    ok(&stream(&server, "repl", &archive, &[]));
    let first = server.binlog_files().unwrap()[0]
        .file_name()
        .unwrap()
        .to_owned();
    let before = std::fs::read(archive.join("server-1").join(&first)).unwrap();

    // Asking an archive that holds data to start again from the beginning: it resumes after
    // what it holds instead, and nothing archived is rewritten.
    let out = stream(
        &server,
        "repl",
        &archive,
        &["--start", &format!("{}:4", first.to_str().unwrap())],
    );
    ok(&out);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("resuming after it"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(archive.join("server-1").join(&first)).unwrap(),
        before
    );

    // A wrong password: a clear message, exit 1, the password not echoed.
    let out = Command::new(env!("CARGO_BIN_EXE_binvault"))
        .args(["stream", "--stop-at-end", "--archive"])
        .arg(&archive)
        .arg("--source")
        .arg(format!(
            "mysql://repl:WrongSecret@127.0.0.1:{}",
            server.port()
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("1045") && err.contains("password"), "{err}");
    assert!(!err.contains("WrongSecret"), "{err}");

    // Malformed options.
    for args in [
        vec!["--source", "http://x@h:1"],
        vec!["--source", "mysql://repl@127.0.0.1:1", "--start", "f:3"],
        vec![
            "--source",
            "mysql://repl@127.0.0.1:1",
            "--start-gtid",
            "0-1",
        ],
        vec![
            "--source",
            "mysql://repl@127.0.0.1:1",
            "--tls-mode",
            "sometimes",
        ],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_binvault"))
            .arg("stream")
            .arg("--archive")
            .arg(dir.path().join("b"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("binvault: "),
            "{args:?}"
        );
    }
}
