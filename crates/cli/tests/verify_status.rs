//! `binvault verify` and `binvault status` as a user runs them, on archives built from the
//! real MariaDB binlogs of testdata/: exit codes, the report naming file and offset, the
//! JSON fields and values, read-only operation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use binvault_parser::{frame, Frame};
use binvault_sink::{Archive, SinkOptions};
use serde_json::Value;

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

const CHAIN3: [&str; 3] = [
    "mariadb-bin.000001",
    "mariadb-bin.000002",
    "mariadb-bin.000003",
];

/// Archives crc32-full's files 1–3 (each ending with a rotate) in `root/server-1`, event by
/// event as `binvault stream` does.
fn build(root: &Path, compress: bool) -> PathBuf {
    let dir = root.join("server-1");
    let (mut archive, _) = Archive::open(
        &dir,
        SinkOptions {
            compress,
            ..SinkOptions::default()
        },
    )
    .unwrap();
    for name in CHAIN3 {
        let data = std::fs::read(testdata(&format!("crc32-full/{name}"))).unwrap();
        let mut pos = 4;
        while pos < data.len() {
            let Ok(Frame::Complete(n)) = frame(&data[pos..], 1 << 30) else {
                panic!("bad test file")
            };
            archive
                .append(name, pos as u64, &data[pos..pos + n])
                .unwrap();
            pos += n;
        }
    }
    archive.close().unwrap();
    dir
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_binvault"))
        .args(args)
        .output()
        .expect("run binvault");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `dir` with its content and modification time.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let m = std::fs::metadata(&p).unwrap();
        out.push((p.clone(), std::fs::read(&p).unwrap(), m.modified().unwrap()));
    }
    out.sort();
    out
}

/// size and sha256 of a file, from testdata/crc32-full/SERVER.txt (written when the data
/// was generated, by sha256sum).
fn recorded(name: &str) -> (u64, String) {
    let txt = std::fs::read_to_string(testdata("crc32-full/SERVER.txt")).unwrap();
    let line = txt
        .lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap();
    let w: Vec<&str> = line.split_whitespace().collect();
    (w[1].parse().unwrap(), w[4].to_owned())
}

#[test]
fn good_archive() {
    let root = tempfile::tempdir().unwrap();
    let dir = build(root.path(), true);
    let root_s = root.path().to_str().unwrap();
    let before = snapshot(&dir);

    let (code, out, err) = run(&["verify", "--archive", root_s]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("all OK: 3 file(s) in 1 server directory (3 OK)"),
        "{out}"
    );
    assert!(
        err.is_empty(),
        "no progress bar when stderr is not a terminal: {err}"
    );

    let (code, out, _) = run(&["verify", "--archive", root_s, "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let sizes: u64 = CHAIN3.iter().map(|n| recorded(n).0).sum();
    assert_eq!(v["summary"]["files"], 3);
    assert_eq!(v["summary"]["problems"], 0);
    assert_eq!(v["summary"]["bytes"], sizes);
    assert_eq!(v["servers"][0]["files"][1]["name"], "mariadb-bin.000002");
    assert_eq!(v["servers"][0]["files"][1]["problem"], Value::Null);

    let (code, out, err) = run(&["status", "--archive", root_s, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let server = &v["servers"][0];
    assert_eq!(server["name"], "server-1");
    assert_eq!(server["dir"], dir.to_str().unwrap());
    assert_eq!(server["index"], "index.json");
    assert_eq!(server["index_problem"], Value::Null);
    let files = server["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    for (i, name) in CHAIN3.iter().enumerate() {
        let f = &files[i];
        let (size, sha) = recorded(name);
        assert_eq!(f["name"], *name);
        assert_eq!(f["path"], dir.join(format!("{name}.gz")).to_str().unwrap());
        assert_eq!(
            (f["size"].as_u64(), f["sha256"].as_str()),
            (Some(size), Some(sha.as_str()))
        );
        assert_eq!(
            (f["sealed"].as_bool(), f["compressed"].as_bool()),
            (Some(true), Some(true))
        );
        assert_eq!(f["holes"], serde_json::json!([]));
        assert_eq!(f["transactions"], index["files"][i]["transactions"]);
        assert_eq!(f["first_timestamp"], index["files"][i]["first_timestamp"]);
        assert_eq!(f["next_file"], format!("mariadb-bin.00000{}", i + 2));
    }
    // file 1: the format description at 02:36:19, the rotate a second later; GTIDs of
    // domain 0 by servers 1 and 77 (77 wrote 0-77-94 between 0-1-93 and 0-1-95) and 1-1-1
    assert_eq!(files[0]["first_timestamp"], 1_795_314_979);
    assert_eq!(files[0]["first_time"], "2026-11-22T02:36:19Z");
    assert_eq!(files[0]["last_time"], "2026-11-22T02:36:20Z");
    assert_eq!(files[0]["gtids"], "0-1-1..93,0-1-95..109,0-77-94,1-1-1");
    assert_eq!(files[0]["transactions"], 110);
    assert_eq!(files[2]["gtids"], "0-1-123..127");
    let durable = &server["durable"];
    assert_eq!(durable["file"], "mariadb-bin.000003");
    assert_eq!(durable["offset"], recorded("mariadb-bin.000003").0);
    assert_eq!(durable["gtid_position"], "0-1-127,1-1-1");
    assert_eq!(durable["mysql_gtids"], "");
    assert_eq!(durable["last_timestamp"], 1_795_314_980);
    assert_eq!(durable["source"], "state.json");
    assert_eq!(server["gtid_set"], "0-1-1..93,0-1-95..127,0-77-94,1-1-1");
    assert_eq!(server["last_time"], "2026-11-22T02:36:20Z");

    // The text table: one row per file, columns aligned under the header.
    let (code, out, _) = run(&["status", "--archive", root_s]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("server-1 ({})", dir.display()));
    let header = lines[1];
    for (i, name) in CHAIN3.iter().enumerate() {
        let row = lines[2 + i];
        assert!(
            row.trim_start().starts_with(&format!("{name}.gz ")),
            "{row}"
        );
        assert_eq!(
            row.find(" yes ").map(|j| j + 1),
            header.find("SEALED"),
            "{header}\n{row}"
        );
        assert!(row.contains(&recorded(name).1[..12]));
    }
    assert!(
        out.contains("  durable:       mariadb-bin.000003 at offset 2372\n"),
        "{out}"
    );
    assert!(out.contains("  GTID position: 0-1-127,1-1-1\n"), "{out}");
    assert!(
        out.contains("  last event:    2026-11-22T02:36:20Z\n"),
        "{out}"
    );

    assert!(
        snapshot(&dir) == before,
        "verify or status modified the archive"
    );
}

#[test]
fn damaged_archive() {
    let root = tempfile::tempdir().unwrap();
    let dir = build(root.path(), false);
    // Flip a byte inside the 8th event of file 2 (a table map or rows event): its CRC32
    // no longer matches.
    let path = dir.join("mariadb-bin.000002");
    let mut data = std::fs::read(&path).unwrap();
    let mut pos = 4;
    for _ in 0..8 {
        let Ok(Frame::Complete(n)) = frame(&data[pos..], 1 << 30) else {
            panic!()
        };
        pos += n;
    }
    data[pos + 22] ^= 0x10;
    std::fs::write(&path, &data).unwrap();
    let root_s = root.path().to_str().unwrap();

    let (code, out, _) = run(&["verify", "--archive", root_s]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("  PROBLEM  mariadb-bin.000002 "), "{out}");
    assert!(
        out.contains(&format!("checksum at offset {pos}: ")),
        "{out}"
    );
    assert!(
        out.contains("1 problem(s): 3 file(s) in 1 server directory (2 OK)"),
        "{out}"
    );

    let (code, out, _) = run(&[
        "verify",
        "--archive",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&out).unwrap();
    let p = &v["servers"][0]["files"][1]["problem"];
    assert_eq!(
        (p["kind"].as_str(), p["file"].as_str(), p["offset"].as_u64()),
        (
            Some("checksum"),
            Some("mariadb-bin.000002"),
            Some(pos as u64)
        )
    );
    assert_eq!(v["servers"][0]["files"][0]["problem"], Value::Null);
}

#[test]
fn missing_or_empty_directory() {
    let root = tempfile::tempdir().unwrap();
    let missing = root.path().join("no-such-archive");
    for cmd in ["verify", "status"] {
        let (code, out, err) = run(&[cmd, "--archive", missing.to_str().unwrap()]);
        assert_eq!(code, 1, "{cmd}: {out}{err}");
        assert!(
            err.contains("no-such-archive") && err.contains("No such file or directory"),
            "{cmd}: {err}"
        );
    }
    let (code, _, err) = run(&["verify", "--archive", root.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("holds no archive"), "{err}");
    let (code, out, _) = run(&[
        "status",
        "--archive",
        root.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["servers"],
        serde_json::json!([])
    );
}

#[test]
fn status_without_index_scans_read_only() {
    let root = tempfile::tempdir().unwrap();
    let dir = build(root.path(), false);
    std::fs::remove_file(dir.join("index.json")).unwrap();
    std::fs::remove_file(dir.join("state.json")).unwrap();
    let before = snapshot(&dir);
    let (code, out, _) = run(&["status", "--archive", root.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("warning: index.json missing: the files were scanned (read only) instead"),
        "{out}"
    );
    assert!(out.contains("durable:       mariadb-bin.000003 at offset 2372 (state.json missing: computed from the files)"), "{out}");
    let (code, out, _) = run(&[
        "status",
        "--archive",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let server = &v["servers"][0];
    assert_eq!(server["index"], "computed from the binlog files");
    assert_eq!(
        server["files"][1]["sha256"],
        recorded("mariadb-bin.000002").1
    );
    assert_eq!(server["files"][2]["sealed"], true);
    assert_eq!(server["durable"]["gtid_position"], "0-1-127,1-1-1");
    assert!(snapshot(&dir) == before, "status modified the archive");
    assert!(!dir.join("index.json").exists());
}
