//! The SQL generator over recorded binlogs, without a server: every file of the repository's
//! `testdata/` (MariaDB 10.11) and of the shared corpus (`../shared/testdata`: MySQL 5.0–9.x,
//! MariaDB 10.0–11.x, damaged files among them) is replayed into a recording sink.
//!
//! - Nothing panics, whatever the bytes (damaged files end with a typed error naming the file
//!   and offset).
//! - MariaDB 10.11 files replay completely: every transaction's statements are there, every
//!   `BINLOG` of rows comes after its format description, GTIDs become `gtid_seq_no`
//!   assignments, one `COMMIT`/standalone statement per transaction.
//! - MySQL files with GTIDs set `GTID_NEXT`, and end with `GTID_NEXT= 'AUTOMATIC'`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use binvault_restore::plan::FileRange;
use binvault_restore::{replay, Plan, Sink};
use binvault_sink::index::FileEntry;

#[derive(Default)]
struct Recorder {
    statements: Vec<Vec<u8>>,
    loads: usize,
}

impl Sink for Recorder {
    fn statement(&mut self, sql: &[u8]) -> binvault_restore::Result<()> {
        self.statements.push(sql.to_vec());
        Ok(())
    }
    fn load_data(
        &mut self,
        before: &[u8],
        after: &[u8],
        _data: &[u8],
    ) -> binvault_restore::Result<()> {
        self.loads += 1;
        let mut s = before.to_vec();
        s.extend_from_slice(b" LOCAL INFILE 'x'");
        s.extend_from_slice(after);
        self.statements.push(s);
        Ok(())
    }
}

fn plan_for(path: &Path) -> Plan {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let compressed = name.ends_with(".gz");
    let data_len = if compressed {
        binvault_sink::seal::gunzip(path).unwrap().len() as u64
    } else {
        std::fs::metadata(path).unwrap().len()
    };
    let mut entry = FileEntry::new(name.strip_suffix(".gz").unwrap_or(&name));
    entry.size = data_len;
    entry.compressed = compressed;
    Plan {
        ranges: vec![FileRange {
            server: "corpus".into(),
            dir: path.parent().unwrap().to_path_buf(),
            file: entry.name.clone(),
            compressed,
            entry,
            from: 4,
            to: data_len,
            missing: false,
        }],
        skip_gtids: None,
        stop_datetime: None,
        stop_gtid: None,
        notes: Vec::new(),
    }
}

fn binlogs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            binlogs(&p, out);
        } else if std::fs::File::open(&p)
            .and_then(|mut f| {
                let mut m = [0u8; 4];
                std::io::Read::read_exact(&mut f, &mut m).map(|()| m)
            })
            .is_ok_and(|m| &m == b"\xfebin" || m[..2] == [0x1f, 0x8b])
        {
            out.push(p);
        }
    }
}

fn text(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

#[test]
fn mariadb_testdata_replays_completely() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    let mut files = Vec::new();
    binlogs(&root, &mut files);
    assert!(files.len() >= 5, "testdata has binlogs: {files:?}");
    let mut rows_seen = 0;
    for f in &files {
        let mut rec = Recorder::default();
        let summary =
            replay(&plan_for(f), &mut rec).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let sts: Vec<String> = rec.statements.iter().map(|s| text(s)).collect();
        // every BINLOG of rows comes after a BINLOG of the format description (type 15,
        // whose base64 starts with a timestamp and then 'D' for 0x0f... checked by decoding)
        let mut fde_seen = false;
        for s in &sts {
            if let Some(b64) = s.strip_prefix("BINLOG '\n") {
                let first: String = b64.chars().take(8).collect();
                let bytes = base64_decode(&first);
                if bytes.get(4) == Some(&15) {
                    fde_seen = true;
                } else {
                    assert!(
                        fde_seen,
                        "{}: rows before the format description",
                        f.display()
                    );
                    rows_seen += 1;
                }
            }
        }
        let gtids = sts
            .iter()
            .filter(|s| s.contains("@@session.gtid_seq_no="))
            .count() as u64;
        assert_eq!(
            gtids,
            summary.transactions,
            "{}: one GTID per transaction",
            f.display()
        );
        assert_eq!(
            sts.first().map(String::as_str),
            Some("/*!50530 SET @@SESSION.PSEUDO_SLAVE_MODE=1*/")
        );
        assert_eq!(
            sts.last().map(String::as_str),
            Some("/*!50530 SET @@SESSION.PSEUDO_SLAVE_MODE=0*/")
        );
    }
    assert!(rows_seen > 10);
}

/// Decodes the first bytes of a base64 line (enough to read an event's type).
fn base64_decode(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let v: Vec<u8> = s
        .bytes()
        .filter_map(|c| A.iter().position(|&a| a == c).map(|p| p as u8))
        .collect();
    let mut out = Vec::new();
    for c in v.chunks(4) {
        if c.len() == 4 {
            out.push(c[0] << 2 | c[1] >> 4);
            out.push(c[1] << 4 | c[2] >> 2);
            out.push(c[2] << 6 | c[3]);
        }
    }
    out
}

#[test]
fn shared_corpus_never_panics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata");
    if !root.is_dir() {
        assert!(
            std::env::var("CI").ok().as_deref() != Some("true"),
            "the shared corpus {} is missing under CI",
            root.display()
        );
        eprintln!("SKIPPED: the shared corpus {} is missing", root.display());
        return;
    }
    let mut files = Vec::new();
    binlogs(&root, &mut files);
    assert!(files.len() > 20, "{} binlogs", files.len());
    let (mut ok, mut failed, mut mysql_gtid) = (0, 0, 0);
    for f in &files {
        let mut rec = Recorder::default();
        match replay(&plan_for(f), &mut rec) {
            Ok(_) => {
                ok += 1;
                let sts: Vec<String> = rec.statements.iter().map(|s| text(s)).collect();
                if sts.iter().any(|s| {
                    s.starts_with("SET @@SESSION.GTID_NEXT= '")
                        && !s.contains("ANONYMOUS")
                        && !s.contains("AUTOMATIC")
                }) {
                    mysql_gtid += 1;
                    assert_eq!(
                        sts.iter().rev().nth(2).map(String::as_str),
                        Some("SET @@SESSION.GTID_NEXT= 'AUTOMATIC'"),
                        "{}",
                        f.display()
                    );
                }
            }
            Err(e) => {
                failed += 1;
                // a typed error that names the file
                let m = e.to_string();
                assert!(
                    m.contains(&*f.file_name().unwrap().to_string_lossy())
                        || m.contains("cannot be restored")
                        || m.contains("not supported"),
                    "{}: {m}",
                    f.display()
                );
            }
        }
    }
    eprintln!("{ok} files replayed, {failed} refused with an error, {mysql_gtid} with MySQL GTIDs");
    assert!(ok > failed, "{ok} ok, {failed} failed");
    assert!(mysql_gtid > 0);
}

#[test]
fn damaged_bytes_give_errors_not_panics() {
    let src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/crc32-full/mariadb-bin.000002");
    let data = std::fs::read(&src).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mariadb-bin.000002");
    let mut errors = 0;
    for i in (0..data.len()).step_by(97) {
        let mut d = data.clone();
        d[i] ^= 0xa5;
        std::fs::write(&path, &d).unwrap();
        if replay(&plan_for(&path), &mut Recorder::default()).is_err() {
            errors += 1;
        }
        // cut short too
        std::fs::write(&path, &data[..i]).unwrap();
        let mut p = plan_for(&path);
        p.ranges[0].to = data.len() as u64; // the plan says more than the file holds
        let _ = replay(&p, &mut Recorder::default());
    }
    // the CRC32 catches every flipped byte past the magic
    assert!(errors >= data.len() / 97, "{errors}");
}
