//! `binvault inspect` as a user runs it: exit codes, output before damage, formats.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_binvault")
}

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

fn inspect(args: &[&str], file: &Path) -> (i32, String, String) {
    let out = Command::new(bin())
        .arg("inspect")
        .args(args)
        .arg(file)
        .output()
        .expect("run binvault");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A file cut inside an event: every whole event is printed, then a clear message naming the
/// file and the offset of the cut event, and exit status 2.
#[test]
fn truncated_file_prints_whole_events_then_fails() {
    let src = testdata("crc32-full/mariadb-bin.000002");
    let data = std::fs::read(&src).expect("read testdata");
    let (code, full, _) = inspect(&["--format", "json"], &src);
    assert_eq!(code, 0);
    let events: Vec<serde_json::Value> = full
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let cut_event = &events[events.len() / 2];
    let cut_pos = cut_event["pos"].as_u64().expect("pos");
    let cut = cut_pos as usize + 10;
    let dir = std::env::temp_dir().join(format!("binvault-inspect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("cut.000002");
    std::fs::write(&file, &data[..cut]).expect("write cut file");

    let (code, out, err) = inspect(&["--format", "json"], &file);
    assert_eq!(code, 2, "stderr: {err}");
    let printed: Vec<&str> = out.lines().collect();
    assert_eq!(printed.len(), events.len() / 2);
    for (a, b) in printed.iter().zip(full.lines()) {
        let a: serde_json::Value = serde_json::from_str(a).expect("JSON");
        let b: serde_json::Value = serde_json::from_str(b).expect("JSON");
        assert_eq!(a["pos"], b["pos"]);
        assert_eq!(a["type"], b["type"]);
    }
    assert!(err.contains("cut.000002"), "{err}");
    assert!(err.contains(&format!("at offset {cut_pos}")), "{err}");
    assert!(err.contains("truncated"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn not_a_binlog_and_missing_file_are_clear_errors() {
    let dir = std::env::temp_dir().join(format!("binvault-inspect-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("notes.txt");
    std::fs::write(&file, b"hello, not a binlog").expect("write");
    let (code, out, err) = inspect(&[], &file);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("not a binlog file"), "{err}");
    let (code, _, err) = inspect(&[], &dir.join("missing.000001"));
    assert_eq!(code, 1);
    assert!(err.contains("cannot open"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The text format reads like `mysqlbinlog --verbose`, and `.gz` files are read as they are.
#[test]
fn text_format_and_gzip() {
    let (code, out, err) = inspect(&[], &testdata("crc32-full/mariadb-bin.000001"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("### INSERT INTO `bv`.`ints`"));
    assert!(out.contains("###   @11=18446744073709551615 /* biu */"));
    let (code, out, err) = inspect(
        &["--format", "json"],
        &testdata("crc32-full/mariadb-bin.000004.gz"),
    );
    assert_eq!(code, 0, "{err}");
    let biggest = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON"))
        .map(|v| v["end"].as_u64().unwrap_or(0) - v["pos"].as_u64().unwrap_or(0))
        .max()
        .unwrap_or(0);
    assert!(biggest > 16 << 20, "largest event {biggest} bytes");
}
