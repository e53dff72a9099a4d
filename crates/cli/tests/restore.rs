//! `binvault restore` end to end against real MariaDB 10.11 servers the test starts (issue 7).
//!
//! One source runs a base workload, is dumped with `mariadb-dump --master-data=2 --gtid` (the
//! base backup, at GTID G0), then runs phases of every statement kind (DDL, triggers, stored
//! procedures and functions, temporary tables, LOAD DATA, user variables, RAND(), NOW(),
//! AUTO_INCREMENT with session increments, time zones, latin1 clients, a non-transactional
//! table) under binlog_format STATEMENT, MIXED and ROW, across binlog rotations; per-table
//! checksums (CHECKSUM TABLE and row counts) and the GTID position are recorded at quiesced
//! points between phases. The source is archived with `binvault stream` (sealed files gzipped).
//! Each test restores the dump into its own fresh server and replays the archive to a point:
//! the checksums must be those of the source at that point, exactly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use binvault_testkit::{workload::Workload, MariaDb, MariaDbConfig};

/// Databases whose tables are compared.
const DATABASES: &[&str] = &["rt", "bv_w71", "bv_w72", "bv_w73"];

/// Table → (CHECKSUM TABLE EXTENDED, row count), for every table of [`DATABASES`].
type Sums = BTreeMap<String, (String, String)>;

/// A quiesced point of the source's history.
#[derive(Debug, Clone)]
struct Point {
    sums: Sums,
    gtid: String,
    file: String,
    pos: u64,
    /// A time after every transaction of the point and before every later one.
    time_after: u64,
}

struct Fixture {
    source: MariaDb,
    _dir: tempfile::TempDir,
    archive: PathBuf,
    dump: PathBuf,
    /// G0: the dump's GTID position, and its binlog position.
    g0: String,
    g0_file: String,
    g0_pos: u64,
    points: Vec<Point>,
    /// Copies of the source's binlog files (uncompressed), for mariadb-binlog.
    binlogs: Vec<PathBuf>,
}

fn sums(server: &MariaDb) -> Sums {
    let mut out = Sums::new();
    for db in DATABASES {
        for (table, sum) in binvault_testkit::workload::checksums(server, db).unwrap() {
            let count = server
                .sql_value(&format!("SELECT COUNT(*) FROM `{db}`.`{table}`"))
                .unwrap()
                .unwrap();
            out.insert(format!("{db}.{table}"), (sum, count));
        }
    }
    out
}

fn unix_now(server: &MariaDb) -> u64 {
    server
        .sql_value("SELECT UNIX_TIMESTAMP()")
        .unwrap()
        .unwrap()
        .parse()
        .unwrap()
}

/// A quiesced point: the state now, and a time strictly between the transactions before and
/// after it (the phases are separated by more than a second on both sides).
fn point(server: &MariaDb) -> Point {
    std::thread::sleep(Duration::from_millis(1100));
    let time_after = unix_now(server);
    std::thread::sleep(Duration::from_millis(1100));
    let (file, pos) = server.master_status().unwrap();
    Point {
        sums: sums(server),
        gtid: server.gtid_binlog_pos().unwrap(),
        file,
        pos,
        time_after,
    }
}

/// Statement-based SQL: everything whose replay needs session context.
fn statement_phase(load_file: &Path, round: i64) -> String {
    let f = load_file.display();
    let zero_id = -round + 1; // 0 the first time: NO_AUTO_VALUE_ON_ZERO keeps it
    format!(
        r#"
SET SESSION binlog_format = STATEMENT;
USE rt;
SET @name := 'Grüße 🚀 O''Reilly', @bal := 10.25, @ratio := 1.5e0, @n := 7, @nothing := NULL;
INSERT INTO acc (name, bal, r, created) VALUES (@name, @bal, @ratio * @n, NOW(6));
INSERT INTO audit (acc_id, delta, at) VALUES (LAST_INSERT_ID(), @bal, NOW());
INSERT INTO acc (name, bal, r, created) VALUES (CONCAT('rand', IFNULL(@nothing, '-')), 2, RAND(), NOW());
INSERT INTO acc (name, bal, r, created) VALUES ('rand2', 3, RAND() * 1000, SYSDATE());
SET SESSION auto_increment_increment = 5, auto_increment_offset = 3;
INSERT INTO acc (name, bal, created) VALUES ('inc1', 4, NOW()), ('inc2', 5, NOW());
SET SESSION auto_increment_increment = 1, auto_increment_offset = 1;
INSERT INTO acc (name, bal, created) VALUES ('inc back a', 4, NOW()), ('inc back b', 4, NOW());
SET SESSION lc_time_names = 'de_DE';
INSERT INTO acc (name, bal, created) VALUES (DATE_FORMAT('2026-03-02', '%W %M'), 4, NOW());
SET SESSION lc_time_names = DEFAULT;
INSERT INTO acc (name, bal, created) VALUES (DATE_FORMAT('2026-03-02', '%W %M'), 4, NOW());
CALL add_acc('from proc', 6.5);
INSERT INTO acc (name, bal, r, created) VALUES ('func', f_double(21), 0, NOW());
CREATE TEMPORARY TABLE tmp_ids (id INT PRIMARY KEY);
INSERT INTO tmp_ids SELECT id FROM acc WHERE bal > 5;
UPDATE acc SET bal = bal + 100 WHERE id IN (SELECT id FROM tmp_ids);
DROP TEMPORARY TABLE tmp_ids;
CREATE TEMPORARY TABLE tmp_keep (v VARCHAR(20));
INSERT INTO tmp_keep VALUES ('kept'), ('for later');
SELECT id, name, bal INTO OUTFILE '{f}' FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' FROM acc ORDER BY id;
LOAD DATA INFILE '{f}' INTO TABLE ld FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' (a, b, @ldbal) SET c = @ldbal * 2;
LOAD DATA INFILE '{f}' REPLACE INTO TABLE ldk FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"' (id, name, @x);
INSERT INTO ld (a, b) SELECT LENGTH(v), v FROM tmp_keep;
SET SESSION time_zone = '+05:30';
INSERT INTO acc (name, bal, created, ts) VALUES ('tz', 8, NOW(), NOW());
SET SESSION time_zone = '+00:00';
SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO';
INSERT INTO acc (id, name, bal, created) VALUES ({zero_id}, 'zero id', 9, NOW());
SET SESSION sql_mode = DEFAULT;
SET SESSION foreign_key_checks = 0;
INSERT INTO child (parent) VALUES (999);
SET SESSION foreign_key_checks = 1;
BEGIN;
INSERT INTO ari (v) VALUES ('aria in txn');
INSERT INTO audit (acc_id, delta, at) VALUES (1, 1, NOW());
COMMIT;
SET NAMES latin1;
INSERT INTO acc (name, bal, created) VALUES ('latin1 bytes ü', 11, NOW());
SET NAMES utf8mb4;
ALTER TABLE acc ADD COLUMN IF NOT EXISTS flags SET('a','b','c') NOT NULL DEFAULT 'a';
UPDATE acc SET flags = 'a,c' WHERE bal > 50;
CREATE INDEX IF NOT EXISTS acc_bal ON acc (bal);
RENAME TABLE ld TO ld2;
RENAME TABLE ld2 TO ld;
DELETE FROM acc WHERE name = 'rand2' LIMIT 1;
"#
    )
}

/// MIXED: unsafe statements switch to rows by themselves.
const MIXED_PHASE: &str = r#"
SET SESSION binlog_format = MIXED;
USE rt;
INSERT INTO acc (name, bal, created, note) VALUES ('mixed uuid', 12, NOW(), UUID());
INSERT INTO acc (name, bal, r, created) VALUES ('mixed rand', 13, RAND(), NOW(6));
UPDATE acc SET note = CONCAT('user ', CURRENT_USER()) WHERE name = 'mixed rand';
SET @m := 42;
INSERT INTO ari (v) VALUES (CONCAT('m', @m));
CALL add_acc('mixed proc', 14);
"#;

/// The schema of `rt`, created before the dump.
const SCHEMA: &str = r#"
CREATE DATABASE rt CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE rt;
CREATE TABLE acc (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(60) NOT NULL,
  bal DECIMAL(12,2) NOT NULL, r DOUBLE, created DATETIME(6) NOT NULL,
  ts TIMESTAMP NULL DEFAULT NULL, note TEXT) ENGINE=InnoDB;
CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, acc_id INT, delta DECIMAL(12,2), at DATETIME) ENGINE=InnoDB;
CREATE TABLE totals (id INT PRIMARY KEY, n INT NOT NULL, s DECIMAL(14,2) NOT NULL) ENGINE=InnoDB;
INSERT INTO totals VALUES (1, 0, 0);
CREATE TABLE ld (a INT, b VARCHAR(60), c DECIMAL(14,2)) ENGINE=InnoDB;
CREATE TABLE ldk (id INT PRIMARY KEY, name VARCHAR(60)) ENGINE=InnoDB;
CREATE TABLE ari (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(40)) ENGINE=Aria;
CREATE TABLE parent (id INT PRIMARY KEY) ENGINE=InnoDB;
CREATE TABLE child (id INT AUTO_INCREMENT PRIMARY KEY, parent INT, FOREIGN KEY (parent) REFERENCES parent (id)) ENGINE=InnoDB;
CREATE TRIGGER acc_ai AFTER INSERT ON acc FOR EACH ROW UPDATE totals SET n = n + 1, s = s + NEW.bal WHERE id = 1;
DELIMITER //
CREATE PROCEDURE add_acc(p_name VARCHAR(60), p_bal DECIMAL(12,2))
BEGIN
  INSERT INTO acc (name, bal, created) VALUES (p_name, p_bal, NOW());
  UPDATE acc SET note = CONCAT('proc ', p_name, ' ', LAST_INSERT_ID()) WHERE id = LAST_INSERT_ID();
END //
CREATE FUNCTION f_double(x INT) RETURNS INT DETERMINISTIC RETURN x * 2 //
DELIMITER ;
INSERT INTO acc (name, bal, created) VALUES ('before dump', 1, NOW());
"#;

/// A workload's SQL under a binlog format.
fn workload(seed: u64, transactions: usize, format: &str) -> String {
    let mut w = Workload::new(seed, transactions);
    w.big_row_bytes = 64 << 10;
    format!("SET SESSION binlog_format = {format};\n{}", w.sql())
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_binvault")
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(build_fixture)
}

fn build_fixture() -> Fixture {
    let source =
        MariaDb::start(MariaDbConfig::new().arg("--log-bin-trust-function-creators=1")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    source.sql(SCHEMA).unwrap();
    source.sql(&workload(71, 40, "ROW")).unwrap();
    // the base backup, at G0
    let dump = dir.path().join("base.sql");
    let out = Command::new("mariadb-dump")
        .arg("--no-defaults")
        .arg(format!("--socket={}", source.socket().display()))
        .args([
            "-uroot",
            "--single-transaction",
            "--master-data=2",
            "--gtid",
        ])
        .args(["--routines", "--triggers", "--databases"])
        .args(DATABASES.iter().take(2))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&dump, &out.stdout).unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let g0 = between(&text, "gtid_slave_pos='", "'").to_string();
    let g0_file = between(&text, "MASTER_LOG_FILE='", "'").to_string();
    let g0_pos: u64 = between(&text, "MASTER_LOG_POS=", ";").parse().unwrap();
    assert_eq!(
        g0,
        source.gtid_binlog_pos().unwrap(),
        "the dump's GTID is G0"
    );

    let load_file = source.dir().join("tmp").join("acc.csv");
    let mut points = Vec::new();
    std::thread::sleep(Duration::from_millis(1100));
    source.sql(&statement_phase(&load_file, 1)).unwrap();
    source.sql(&workload(72, 60, "STATEMENT")).unwrap();
    points.push(point(&source));
    source.flush_binary_logs().unwrap();
    source.sql(MIXED_PHASE).unwrap();
    source.sql(&workload(73, 40, "MIXED")).unwrap();
    source.flush_binary_logs().unwrap();
    let load_file2 = source.dir().join("tmp").join("acc2.csv");
    source.sql(&statement_phase(&load_file2, 2)).unwrap();
    points.push(point(&source));
    source.sql(&workload(72, 30, "ROW")).unwrap();
    source
        .sql("USE rt; SET SESSION binlog_format=ROW; DELETE FROM acc WHERE id % 3 = 0; UPDATE ld SET c = c + 1;")
        .unwrap();
    points.push(point(&source));

    // archive it; sealed files gzipped
    let archive = dir.path().join("archive");
    let out = Command::new(bin())
        .args(["stream", "--source"])
        .arg(format!("mysql://root@127.0.0.1:{}", source.port()))
        .arg("--archive")
        .arg(&archive)
        .args([
            "--stop-at-end",
            "--compress-sealed",
            "--tls-mode",
            "disabled",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copies = dir.path().join("binlogs");
    std::fs::create_dir_all(&copies).unwrap();
    let mut binlogs = Vec::new();
    for f in source.binlog_files().unwrap() {
        let to = copies.join(f.file_name().unwrap());
        std::fs::copy(&f, &to).unwrap();
        binlogs.push(to);
    }
    Fixture {
        source,
        _dir: dir,
        archive,
        dump,
        g0,
        g0_file,
        g0_pos,
        points,
        binlogs,
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let i = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in the dump"))
        + start.len();
    let j = text[i..].find(end).unwrap() + i;
    &text[i..j]
}

/// A fresh target with the base backup loaded. It logs in MIXED format, as the source: a
/// target logging ROW leaves transactions that only touch temporary tables out of its binlog,
/// and so their GTIDs (the source's last transaction at P2 is such a one).
fn target_with_dump(f: &Fixture) -> MariaDb {
    let t = MariaDb::start(MariaDbConfig::new().arg("--binlog-format=MIXED")).unwrap();
    reset_target(&t, f);
    t
}

/// Drops what a replay made and loads the dump again.
fn reset_target(t: &MariaDb, f: &Fixture) {
    let drops: String = DATABASES
        .iter()
        .map(|d| format!("DROP DATABASE IF EXISTS `{d}`;"))
        .collect();
    t.sql(&format!("{drops} RESET MASTER;")).unwrap();
    pipe_into(t, &std::fs::read(&f.dump).unwrap());
}

/// Feeds SQL to the target's `mariadb` client as a restore would.
fn pipe_into(t: &MariaDb, sql: &[u8]) {
    t.apply_sql(sql).unwrap();
}

fn restore(args: &[&str]) -> Output {
    Command::new(bin())
        .arg("restore")
        .args(args)
        .output()
        .unwrap()
}

fn restore_sql(f: &Fixture, args: &[&str], load_dir: &Path) -> Vec<u8> {
    let mut all = vec!["--archive", f.archive.to_str().unwrap()];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--local-load", load_dir.to_str().unwrap()]);
    let out = restore(&all);
    assert!(
        out.status.success(),
        "binvault restore {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn assert_point(t: &MariaDb, p: &Point, what: &str) {
    let got = sums(t);
    assert_eq!(got.len(), p.sums.len(), "{what}: tables {:?}", got.keys());
    for (table, want) in &p.sums {
        assert_eq!(got.get(table), Some(want), "{what}: table {table}");
    }
    assert_eq!(
        t.gtid_binlog_pos().unwrap(),
        p.gtid,
        "{what}: GTID position"
    );
}

#[test]
fn restore_reproduces_the_checksums_at_each_point() {
    let f = fixture();
    let t = target_with_dump(f);
    let loads = tempfile::tempdir().unwrap();
    let [p1, p2, p3] = [&f.points[0], &f.points[1], &f.points[2]];
    // the points differ, or the test would prove little
    assert_ne!(p1.sums, p2.sums);
    assert_ne!(p2.sums, p3.sums);

    // by GTID: start after G0, stop after P1's last transaction
    let sql = restore_sql(
        f,
        &["--start-gtid", &f.g0, "--stop-gtid", &p1.gtid],
        loads.path(),
    );
    pipe_into(&t, &sql);
    assert_point(&t, p1, "--start-gtid G0 --stop-gtid P1");

    // by position: from the dump's binlog position, across two rotations
    reset_target(&t, f);
    let start = format!("{}:{}", f.g0_file, f.g0_pos);
    let stop = format!("{}:{}", p2.file, p2.pos);
    let sql = restore_sql(
        f,
        &["--start-position", &start, "--stop-position", &stop],
        loads.path(),
    );

    pipe_into(&t, &sql);
    assert_point(&t, p2, "--start-position --stop-position P2");

    // by time
    for (p, name) in [(p1, "P1"), (p2, "P2")] {
        reset_target(&t, f);
        let at = format!("@{}", p.time_after);
        let sql = restore_sql(
            f,
            &["--start-gtid", &f.g0, "--stop-datetime", &at],
            loads.path(),
        );
        pipe_into(&t, &sql);
        assert_point(&t, p, &format!("--stop-datetime {name}"));
    }

    // to the end
    reset_target(&t, f);
    let sql = restore_sql(f, &["--start-gtid", &f.g0], loads.path());
    pipe_into(&t, &sql);
    assert_point(&t, p3, "to the end");

    // an archive that began at the dump's position (a hole before it): from its beginning
    let dir = tempfile::tempdir().unwrap();
    let holed = hole_archive(f, dir.path());
    reset_target(&t, f);
    let out = restore(&[
        "--archive",
        holed.to_str().unwrap(),
        "--local-load",
        loads.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    pipe_into(&t, &out.stdout);
    assert_point(&t, p3, "an archive with a hole, from its beginning");
}

/// `binvault stream --start G0_FILE:G0_POS` of the fixture's source: the first file holds a
/// hole (never received) between its format description and G0.
fn hole_archive(f: &Fixture, dir: &Path) -> PathBuf {
    let archive = dir.join("holed");
    let out = Command::new(bin())
        .args(["stream", "--source"])
        .arg(format!("mysql://root@127.0.0.1:{}", f.source.port()))
        .arg("--archive")
        .arg(&archive)
        .args(["--stop-at-end", "--tls-mode", "disabled", "--start"])
        .arg(format!("{}:{}", f.g0_file, f.g0_pos))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    archive
}

#[test]
fn restore_output_equals_mariadb_binlog_applied_the_same_way() {
    let f = fixture();
    let t = target_with_dump(f);
    let loads = tempfile::tempdir().unwrap();
    let start = format!("{}:{}", f.g0_file, f.g0_pos);
    let sql = restore_sql(f, &["--start-position", &start], loads.path());
    pipe_into(&t, &sql);
    let ours = sums(&t);
    let ours_gtid = t.gtid_binlog_pos().unwrap();

    reset_target(&t, f);
    let first = f
        .binlogs
        .iter()
        .position(|b| b.file_name().unwrap() == f.g0_file.as_str())
        .unwrap();
    let out = Command::new("mariadb-binlog")
        .arg(format!("--start-position={}", f.g0_pos))
        .arg(format!("--local-load={}", loads.path().display()))
        .args(&f.binlogs[first..])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    pipe_into(&t, &out.stdout);
    let theirs = sums(&t);
    assert_eq!(ours, theirs, "binvault restore vs mariadb-binlog");
    assert_eq!(ours_gtid, t.gtid_binlog_pos().unwrap());
    assert_eq!(ours, f.points[2].sums, "both equal the source");
}

/// Copies a directory tree.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

fn refused(out: &Output, code: i32, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{needle}: {err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert!(out.stdout.is_empty() || code == 0, "no SQL when refused");
}

#[test]
fn dry_run_plans_and_refusals() {
    let f = fixture();
    let archive = f.archive.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();

    // the plan: every file from the dump's position on, the sealed ones gzipped
    let start = format!("{}:{}", f.g0_file, f.g0_pos);
    let out = restore(&[
        "--archive",
        archive,
        "--start-position",
        &start,
        "--dry-run",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("server-1/{} (.gz)  {}..", f.g0_file, f.g0_pos)),
        "{text}"
    );
    assert!(text.contains("3 files"), "{text}");
    let out = restore(&[
        "--archive",
        archive,
        "--start-gtid",
        &f.g0,
        "--stop-position",
        &format!("{}:{}", f.points[1].file, f.points[1].pos),
        "--dry-run",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ranges = v["ranges"].as_array().unwrap();
    let last = ranges.last().unwrap();
    assert_eq!(last["file"], f.points[1].file.as_str());
    assert_eq!(last["to"], f.points[1].pos);

    // bad input: exit 1 with a clear message
    refused(
        &restore(&["--archive", archive, "--stop-datetime", "yesterday"]),
        1,
        "is not a time",
    );
    refused(
        &restore(&[
            "--archive",
            archive,
            "--start-position",
            "mariadb-bin.000001",
        ]),
        1,
        "is not a position",
    );
    refused(
        &restore(&["--archive", archive, "--start-gtid", "0-1"]),
        1,
        "is not a MariaDB GTID",
    );
    refused(
        &restore(&[
            "--archive",
            archive,
            "--start-position",
            &format!("{}:{}", f.g0_file, f.g0_pos + 1),
        ]),
        1,
        "is not a transaction boundary",
    );
    // the archive cannot cover it: exit 2
    refused(
        &restore(&[
            "--archive",
            archive,
            "--stop-gtid",
            "0-1-999999",
            "--dry-run",
        ]),
        2,
        "not in the archive",
    );
    refused(
        &restore(&[
            "--archive",
            archive,
            "--stop-datetime",
            "2099-01-01 00:00:00",
        ]),
        2,
        "after the archive's last event",
    );

    // before the hole of an archive that began mid-file: never received
    let holed = hole_archive(f, dir.path());
    refused(
        &restore(&[
            "--archive",
            holed.to_str().unwrap(),
            "--start-position",
            &format!("{}:4", f.g0_file),
            "--dry-run",
        ]),
        2,
        "never received",
    );
    // GTIDs before the archive's first one: a gap
    refused(
        &restore(&[
            "--archive",
            holed.to_str().unwrap(),
            "--start-gtid",
            "0-1-3",
            "--dry-run",
        ]),
        2,
        "are missing",
    );
    let out = restore(&["--archive", holed.to_str().unwrap(), "--dry-run"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("{}  {}..", f.g0_file, f.g0_pos)),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // a missing file: a gap (verify says it, and so does the rotate chain without verify)
    let gap = dir.path().join("gap");
    copy_dir(&f.archive, &gap);
    std::fs::remove_file(gap.join("server-1/mariadb-bin.000002.gz")).unwrap();
    for extra in [&[][..], &["--skip-verify"][..]] {
        let mut args = vec!["--archive", gap.to_str().unwrap(), "--dry-run"];
        args.extend_from_slice(extra);
        refused(&restore(&args), 2, "mariadb-bin.000002");
    }

    // a damaged byte in the middle of a file: verify fails, with the file and offset
    let bad = dir.path().join("bad");
    copy_dir(&f.archive, &bad);
    let last = bad.join("server-1").join(&f.points[2].file);
    let mut data = std::fs::read(&last).unwrap();
    let at = data.len() / 2;
    data[at] ^= 0x55;
    std::fs::write(&last, &data).unwrap();
    let out = restore(&["--archive", bad.to_str().unwrap(), "--dry-run"]);
    refused(&out, 2, "verify failed");
    refused(&out, 2, &f.points[2].file);

    // several server directories and no timeline: which one?
    let two = dir.path().join("two");
    copy_dir(&f.archive, &two);
    copy_dir(&two.join("server-1"), &two.join("server-3"));
    std::fs::remove_file(two.join("timeline.json")).unwrap(); // written by `binvault stream`
    refused(
        &restore(&["--archive", two.to_str().unwrap(), "--dry-run"]),
        1,
        "no timeline.json",
    );
    // a timeline: server-3 diverged and is never used
    std::fs::write(
        two.join("timeline.json"),
        r#"{"segments":[{"server_dir":"server-1","start_file":null,"end_file":null}],
            "diverged":[{"server_dir":"server-3","report":"errant GTID 0-3-1"}]}"#,
    )
    .unwrap();
    let out = restore(&["--archive", two.to_str().unwrap(), "--dry-run"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("server-3"));
    refused(
        &restore(&[
            "--archive",
            two.join("server-3").to_str().unwrap(),
            "--dry-run",
        ]),
        2,
        "diverged",
    );
    std::fs::write(
        two.join("timeline.json"),
        r#"{"segments":[{"server_dir":"server-3"}],"diverged":[{"server_dir":"server-3","report":"x"}]}"#,
    )
    .unwrap();
    refused(
        &restore(&["--archive", two.to_str().unwrap(), "--dry-run"]),
        2,
        "diverged",
    );
}

/// A history in two segments (a failover between the second and third file) gives the same
/// SQL as the one directory it was cut from.
#[test]
fn restore_walks_timeline_segments_in_order() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let split = dir.path().join("split");
    std::fs::create_dir_all(&split).unwrap();
    copy_dir(&f.archive.join("server-1"), &split.join("server-1"));
    copy_dir(&f.archive.join("server-1"), &split.join("server-2"));
    let third = &f.points[2].file;
    std::fs::write(
        split.join("timeline.json"),
        format!(
            r#"{{"segments":[
  {{"server_dir":"server-1","server_id":1,"start_file":"mariadb-bin.000001","start_offset":4,
    "start_gtid":"","end_file":"mariadb-bin.000002","end_offset":null,"end_gtid":null}},
  {{"server_dir":"server-2","server_id":2,"start_file":"{third}","start_offset":4,
    "start_gtid":"","end_file":null,"end_offset":null,"end_gtid":null}}],"diverged":[]}}"#
        ),
    )
    .unwrap();
    let run = |archive: &Path| {
        let out = restore(&[
            "--archive",
            archive.to_str().unwrap(),
            "--start-gtid",
            &f.g0,
            "--local-load",
            dir.path().join("loads").to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // LOAD DATA file names hold the pid: compare without them
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.contains("LOCAL INFILE"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let whole = run(&f.archive);
    let split_sql = run(&split);
    assert!(whole.len() > 10_000);
    assert!(whole == split_sql, "the split history gives other SQL");
    let out = restore(&["--archive", split.to_str().unwrap(), "--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("server-1/mariadb-bin.000002") && text.contains(&format!("server-2/{third}")),
        "{text}"
    );
    assert!(!text.contains(&format!("server-1/{third}")), "{text}");
}

/// `--apply`: the same restore executed over binvault's own driver (LOAD DATA through the
/// LOCAL INFILE protocol), with a summary; the password comes from the environment and never
/// shows.
#[test]
fn apply_executes_the_restore_on_a_target() {
    let f = fixture();
    let t = target_with_dump(f);
    t.create_user_with_grants(
        "restorer",
        "S3cret:pw",
        binvault_testkit::UserAuth::NativePassword,
        "ALL ON *.*",
    )
    .unwrap();
    let p2 = &f.points[1];
    let out = Command::new(bin())
        .arg("restore")
        .arg("--archive")
        .arg(&f.archive)
        .args(["--start-gtid", &f.g0, "--stop-gtid", &p2.gtid])
        .arg("--apply")
        .arg(format!("mysql://restorer@127.0.0.1:{}", t.port()))
        .args(["--tls-mode", "disabled"])
        .env("BINVAULT_PASSWORD", "S3cret:pw")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.contains("transactions") && err.contains("bytes in"),
        "{err}"
    );
    assert!(err.contains(&format!("last GTID {}", p2.gtid)), "{err}");
    assert!(!err.contains("S3cret"), "the password leaked: {err}");
    assert_point(&t, p2, "--apply to P2");

    // the target refuses a transaction half-way (a row the replay deletes is gone): exit 1,
    // and the error says where to resume
    t.sql("SET SESSION sql_log_bin = 0; DELETE FROM rt.acc WHERE id = 3;")
        .unwrap();
    let out = Command::new(bin())
        .arg("restore")
        .arg("--archive")
        .arg(&f.archive)
        .args(["--start-gtid", &p2.gtid])
        .arg("--apply")
        .arg(format!("mysql://restorer@127.0.0.1:{}", t.port()))
        .args(["--tls-mode", "disabled"])
        .env("BINVAULT_PASSWORD", "S3cret:pw")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let hint = err
        .split("resume with --start-position ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap_or_else(|| panic!("no resume hint in: {err}"));
    assert!(hint.starts_with("server-1/"), "{hint}");
    let out = restore(&[
        "--archive",
        f.archive.to_str().unwrap(),
        "--start-position",
        hint,
        "--dry-run",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // a wrong password: exit 1, nothing applied
    let out = Command::new(bin())
        .arg("restore")
        .arg("--archive")
        .arg(&f.archive)
        .arg("--apply")
        .arg(format!("mysql://restorer@127.0.0.1:{}", t.port()))
        .args(["--tls-mode", "disabled"])
        .env("BINVAULT_PASSWORD", "wrong")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        t.sql_value("SELECT COUNT(*) FROM rt.acc WHERE id = 3")
            .unwrap()
            .as_deref(),
        Some("0")
    );
}

fn expected_file(p: &Point, path: &Path, tamper: bool) {
    let mut tables = serde_json::Map::new();
    for (i, (name, (sum, rows))) in p.sums.iter().enumerate() {
        let sum = if tamper && i == 3 {
            "12345".to_string()
        } else {
            sum.clone()
        };
        tables.insert(
            name.clone(),
            serde_json::json!({"checksum": sum, "rows": rows.parse::<u64>().unwrap()}),
        );
    }
    std::fs::write(path, serde_json::json!({ "tables": tables }).to_string()).unwrap();
}

/// `binvault drill`: a scratch server (or `--target`), the base backup, the archive replayed
/// to a point, checksums compared; exit status, JSON report and metrics say how it went.
#[test]
fn drill_reports_success_mismatch_and_refusal() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let p2 = &f.points[1];
    let expected = dir.path().join("expected.json");
    expected_file(p2, &expected, false);
    let report = dir.path().join("report.json");
    let metrics = dir.path().join("drill.prom");
    let drill = |extra: &[&str], expected: &Path| {
        Command::new(bin())
            .arg("drill")
            .arg("--archive")
            .arg(&f.archive)
            .arg("--base-backup")
            .arg(&f.dump)
            .arg("--expected")
            .arg(expected)
            .arg("--report")
            .arg(&report)
            .arg("--metrics")
            .arg(&metrics)
            .args(["--start-gtid", &f.g0])
            .args(extra)
            .output()
            .unwrap()
    };
    let read_report = || -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap()
    };

    // a scratch server started by the drill: every checksum reproduced
    let out = drill(&["--stop-gtid", &p2.gtid], &expected);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = read_report();
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["mismatches"], 0);
    assert_eq!(r["tables"].as_array().unwrap().len(), p2.sums.len());
    assert!(r["replay"]["transactions"].as_u64().unwrap() > 100, "{r}");
    let m = std::fs::read_to_string(&metrics).unwrap();
    assert!(m.contains("binvault_drill_success 1\n"), "{m}");
    assert!(m.contains("binvault_drill_tables_mismatched 0\n"), "{m}");

    // --target, and one expected checksum that the archive does not reproduce: exit 3
    let t = MariaDb::start(MariaDbConfig::new().arg("--binlog-format=MIXED")).unwrap();
    let wrong = dir.path().join("wrong.json");
    expected_file(p2, &wrong, true);
    let url = format!("mysql://root@127.0.0.1:{}", t.port());
    let out = drill(
        &[
            "--stop-gtid",
            &p2.gtid,
            "--target",
            &url,
            "--tls-mode",
            "disabled",
        ],
        &wrong,
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = read_report();
    assert_eq!(r["ok"], false);
    assert_eq!(r["mismatches"], 1, "{r}");
    assert!(std::fs::read_to_string(&metrics)
        .unwrap()
        .contains("binvault_drill_success 0\n"));
    assert_point(&t, p2, "drill --target");

    // a range the archive cannot cover: exit 2, the reason in the report
    let out = drill(&["--stop-gtid", "0-1-999999"], &expected);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = read_report();
    assert!(
        r["error"].as_str().unwrap().contains("not in the archive"),
        "{r}"
    );
}

/// Runs a SQL script with `mariadb --force` (the repository's testdata holds one update that
/// cannot be replayed: it fails the same way for both tools) and returns the error lines
/// without their line numbers.
fn pipe_forced(t: &MariaDb, sql: &[u8]) -> Vec<String> {
    let mut child = t
        .client()
        .args(["--force", "--binary-mode", "--local-infile=1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = sql.to_vec();
    let w = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    w.join().unwrap().unwrap();
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("ERROR"))
        .map(|l| match l.split_once(" at line ") {
            Some((a, b)) => format!("{a}{}", b.split_once(':').map_or("", |x| x.1)),
            None => l.to_string(),
        })
        .collect()
}

/// The repository's testdata (every column type, XA transactions, compressed rows events and
/// columns, MyISAM and Aria tables, several domains) restored by binvault and by
/// `mariadb-binlog` into the same kind of server: the same tables, checksums and GTIDs.
#[test]
fn testdata_restore_equals_mariadb_binlog() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/crc32-full");
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let server = archive.join("server-1");
    let plain = dir.path().join("plain");
    std::fs::create_dir_all(&server).unwrap();
    std::fs::create_dir_all(&plain).unwrap();
    let mut files = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("mariadb-bin."))
        .collect();
    names.sort();
    for n in &names {
        std::fs::copy(src.join(n), server.join(n)).unwrap();
        let p = plain.join(n.strip_suffix(".gz").unwrap_or(n));
        if n.ends_with(".gz") {
            let mut d = Vec::new();
            std::io::Read::read_to_end(
                &mut flate2::read::GzDecoder::new(std::fs::File::open(src.join(n)).unwrap()),
                &mut d,
            )
            .unwrap();
            std::fs::write(&p, d).unwrap();
        } else {
            std::fs::copy(src.join(n), &p).unwrap();
        }
        files.push(p);
    }
    let loads = dir.path().join("loads");
    let t = MariaDb::start(MariaDbConfig::new().arg("--binlog-format=MIXED")).unwrap();
    let state = |t: &MariaDb| {
        let dbs = t
            .sql_rows("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'bv%' ORDER BY 1")
            .unwrap();
        let mut all = BTreeMap::new();
        for db in dbs.iter().filter_map(|r| r.first()) {
            for (table, sum) in binvault_testkit::workload::checksums(t, db).unwrap() {
                all.insert(format!("{db}.{table}"), sum);
            }
        }
        (all, t.gtid_binlog_pos().unwrap())
    };
    let out = restore(&[
        "--archive",
        archive.to_str().unwrap(),
        "--local-load",
        loads.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let our_errors = pipe_forced(&t, &out.stdout);
    let ours = state(&t);
    t.sql("DROP DATABASE IF EXISTS bv; DROP DATABASE IF EXISTS bv2; RESET MASTER;")
        .unwrap();
    let out = Command::new("mariadb-binlog")
        .arg(format!("--local-load={}", loads.display()))
        .args(&files)
        .output()
        .unwrap();
    assert!(out.status.success());
    let their_errors = pipe_forced(&t, &out.stdout);
    let theirs = state(&t);
    assert!(ours.0.len() >= 20, "{:?}", ours.0.keys());
    assert_eq!(ours, theirs);
    assert_eq!(our_errors, their_errors);
    assert!(our_errors.len() <= 1, "{our_errors:?}");
}

/// GTID starts and stops per replication domain on the repository's testdata (domains 0 and
/// 1), without a server: the statements skip exactly what the start position holds.
#[test]
fn start_and_stop_gtid_per_domain() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/crc32-full");
    let dir = tempfile::tempdir().unwrap();
    let server = dir.path().join("archive/server-1");
    std::fs::create_dir_all(&server).unwrap();
    // the first three files (GTIDs 0-1-1..127, 0-77-94, 1-1-1): the fourth is 72 MB
    for n in [
        "mariadb-bin.000001",
        "mariadb-bin.000002",
        "mariadb-bin.000003",
    ] {
        std::fs::copy(src.join(n), server.join(n)).unwrap();
    }
    let gtids = |args: &[&str]| -> Vec<(u32, u64)> {
        let mut all = vec!["--archive", server.parent().unwrap().to_str().unwrap()];
        all.extend_from_slice(args);
        // --skip-verify: the third file's ROTATE names a file left out
        all.extend_from_slice(&[
            "--local-load",
            dir.path().to_str().unwrap(),
            "--skip-verify",
        ]);
        let out = restore(&all);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut domain = 0u32;
        let mut out_gtids = Vec::new();
        for part in String::from_utf8_lossy(&out.stdout).split(['\n', ',', ' ']) {
            if let Some(d) = part.strip_prefix("@@session.gtid_domain_id=") {
                domain = d.parse().unwrap();
            } else if let Some(q) = part.strip_prefix("@@session.gtid_seq_no=") {
                out_gtids.push((domain, q.parse().unwrap()));
            }
        }
        out_gtids
    };
    let all = gtids(&[]);
    assert_eq!(all.iter().filter(|g| g.0 == 0).count(), 127, "{all:?}");
    assert_eq!(all.iter().filter(|g| g.0 == 1).count(), 1);
    let after = gtids(&["--start-gtid", "0-1-100,1-1-1"]);
    assert_eq!(after.first(), Some(&(0, 101)));
    assert_eq!(after.len(), 27, "{after:?}");
    assert!(after.iter().all(|g| g.0 == 0 && g.1 > 100));
    // domain 1 not in the start position: its transaction is replayed
    let d0 = gtids(&["--start-gtid", "0-1-100"]);
    assert_eq!(d0.len(), 28);
    assert!(d0.contains(&(1, 1)));
    let until = gtids(&["--start-gtid", "0-1-100,1-1-1", "--stop-gtid", "0-1-120"]);
    assert_eq!(until.last(), Some(&(0, 120)));
    assert_eq!(until.len(), 20);
}
