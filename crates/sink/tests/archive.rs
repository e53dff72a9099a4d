//! The archive with real MariaDB binlog files from testdata/: appended event by event it
//! reproduces them byte for byte; recovery cuts torn tails at every byte offset back to the
//! last whole transaction; mid-file corruption is reported, never cut; a lost or damaged
//! index is rebuilt; a failing disk leaves the archive consistent and resumable.

#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use binvault_parser::{frame, Frame};
use binvault_sink::fs::FileIo;
use binvault_sink::{Archive, Error, SinkOptions};

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

/// (offset, event bytes) of every event after the magic.
fn events(data: &[u8]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pos = 4;
    while pos < data.len() {
        let Ok(Frame::Complete(n)) = frame(&data[pos..], 1 << 30) else {
            panic!("bad test file at {pos}")
        };
        out.push((pos as u64, data[pos..pos + n].to_vec()));
        pos += n;
    }
    out
}

fn append_all(archive: &mut Archive, name: &str, evs: &[(u64, Vec<u8>)]) {
    for (pos, raw) in evs {
        archive.append(name, *pos, raw).unwrap();
    }
}

/// Files of the crc32 and checksum-less variants, each ending with a rotate.
const FILES: [&str; 3] = [
    "crc32-full/mariadb-bin.000001",
    "none-minimal/mariadb-bin.000002",
    "crc32-nometa/mariadb-bin.000003",
];

#[test]
fn appended_files_are_byte_identical_sealed_and_indexed() {
    for rel in FILES {
        let src = std::fs::read(testdata(rel)).unwrap();
        let name = Path::new(rel).file_name().unwrap().to_str().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (mut archive, rec) = Archive::open(
            dir.path(),
            SinkOptions {
                compress: true,
                checkpoint_bytes: 4096,
                ..SinkOptions::default()
            },
        )
        .unwrap();
        assert!(rec.truncated.is_empty() && rec.index_rebuilt.is_none());
        let evs = events(&src);
        let mut sealed = None;
        for (pos, raw) in &evs {
            let a = archive.append(name, *pos, raw).unwrap();
            sealed = sealed.or(a.sealed);
        }
        assert_eq!(
            sealed.as_deref(),
            Some(name),
            "{rel}: the rotate seals the file"
        );
        // sealed at once with the sha256 hashed while writing; gzipped in the background
        let entry = archive.index().get(name).unwrap().clone();
        assert!(entry.sealed);
        assert_eq!(entry.size, src.len() as u64);
        assert_eq!(
            entry.sha256.as_deref(),
            Some(binvault_sink::seal::sha256_hex(&src).as_str())
        );
        assert!(
            entry.transactions > 0 && !entry.gtids.is_empty(),
            "{rel}: {entry:?}"
        );
        assert!(entry.first_timestamp > 0 && entry.last_timestamp >= entry.first_timestamp);
        assert!(
            entry.checkpoints.len() as u64 >= entry.size / 4096 / 8,
            "{rel}: {} checkpoints",
            entry.checkpoints.len()
        );
        let durable = archive.close().unwrap(); // waits for the compression
        assert!(!durable.gtid_position.is_empty());
        let index = binvault_sink::index::Index::load(dir.path())
            .unwrap()
            .unwrap();
        assert!(index.get(name).unwrap().compressed);
        let gz = binvault_sink::seal::gunzip(&dir.path().join(format!("{name}.gz"))).unwrap();
        assert!(gz == src, "{rel}: archived bytes differ");
        assert!(
            !dir.path().join(name).exists(),
            "original removed after verified compression"
        );
        // Reopened: the resume point is the next file.
        let (archive, _) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
        let next = archive.resume_point().unwrap();
        assert_eq!((next.offset, next.file.as_str() > name), (4, true));
    }
}

#[test]
fn durable_only_covers_whole_synced_transactions() {
    let src = std::fs::read(testdata(FILES[0])).unwrap();
    let evs = events(&src);
    let dir = tempfile::tempdir().unwrap();
    let (mut archive, _) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    let name = "mariadb-bin.000001";
    let mut last_boundary = 0;
    let mut mid_tx = None;
    for (i, (pos, raw)) in evs.iter().enumerate() {
        let a = archive.append(name, *pos, raw).unwrap();
        if a.boundary {
            last_boundary = pos + raw.len() as u64;
        } else if i > 10 {
            mid_tx = Some(pos + raw.len() as u64);
            break;
        }
    }
    assert!(mid_tx.is_some());
    // Before the fsync nothing new is durable; after it, the last whole transaction only.
    assert!(archive.durable().offset < last_boundary);
    assert!(archive.needs_sync(std::time::Instant::now()));
    let d = archive.sync().unwrap().clone();
    assert_eq!((d.file.as_str(), d.offset), (name, last_boundary));
    assert!(!archive.needs_sync(std::time::Instant::now()));
}

/// Every cut inside the last transaction of a file (which ends the data at a boundary) is
/// recovered to that transaction's start, and appending the rest rebuilds the file exactly.
#[test]
fn torn_tail_at_every_byte_of_the_last_transaction() {
    let src = std::fs::read(testdata(FILES[0])).unwrap();
    let evs = events(&src);
    let name = "mariadb-bin.000001";
    // Find the boundaries by appending once.
    let dir = tempfile::tempdir().unwrap();
    let (mut archive, _) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    let mut boundaries = vec![];
    for (pos, raw) in &evs[..evs.len() - 1] {
        if archive.append(name, *pos, raw).unwrap().boundary {
            boundaries.push(pos + raw.len() as u64);
        }
    }
    drop(archive);
    // the data without the final rotate; the last transaction spans (b_prev, b_last]
    let end = *boundaries.last().unwrap();
    let prev = boundaries[boundaries.len() - 2];
    let whole = &src[..end as usize];
    let mut cuts = 0;
    for cut in prev + 1..end {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(name), &whole[..cut as usize]).unwrap();
        // no index: recovery rebuilds it, then cuts the tail
        let (mut archive, rec) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
        assert!(rec.index_rebuilt.is_some());
        assert_eq!(rec.truncated.len(), 1, "cut at {cut}");
        assert_eq!(
            (rec.truncated[0].from, rec.truncated[0].to),
            (cut, prev),
            "cut at {cut}"
        );
        let resume = archive.resume_point().unwrap();
        assert_eq!((resume.file.as_str(), resume.offset), (name, prev));
        for (pos, raw) in evs.iter().filter(|(p, _)| *p >= prev) {
            archive.append(name, *pos, raw).unwrap();
        }
        archive.close().unwrap();
        assert!(
            std::fs::read(dir.path().join(name)).unwrap() == src,
            "cut at {cut}: rebuilt file differs"
        );
        cuts += 1;
    }
    assert!(cuts > 100, "only {cuts} cut points");
}

#[test]
fn corruption_in_the_middle_is_reported_never_cut() {
    let src = std::fs::read(testdata(FILES[0])).unwrap();
    let evs = events(&src);
    let name = "mariadb-bin.000001";
    let dir = tempfile::tempdir().unwrap();
    let (mut archive, _) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    append_all(&mut archive, name, &evs[..evs.len() - 1]); // not sealed: the last file is checked on open
    archive.close().unwrap();
    let path = dir.path().join(name);
    let mut data = std::fs::read(&path).unwrap();
    let victim = &evs[evs.len() / 2];
    let at = victim.0 as usize + 25;
    data[at] ^= 0x40;
    std::fs::write(&path, &data).unwrap();
    match Archive::open(dir.path(), SinkOptions::default()) {
        Err(Error::Corrupt { offset, reason, .. }) => {
            assert_eq!(offset, victim.0, "{reason}");
        }
        other => panic!("expected corruption, got {other:?}"),
    }
    assert!(
        std::fs::read(&path).unwrap() == data,
        "the damaged file was modified"
    );
}

#[test]
fn lost_or_damaged_index_is_rebuilt_from_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let (mut archive, _) = Archive::open(
        dir.path(),
        SinkOptions {
            checkpoint_bytes: 4096,
            ..SinkOptions::default()
        },
    )
    .unwrap();
    for rel in [
        "crc32-full/mariadb-bin.000001",
        "crc32-full/mariadb-bin.000002",
        "crc32-full/mariadb-bin.000003",
    ] {
        let src = std::fs::read(testdata(rel)).unwrap();
        append_all(
            &mut archive,
            Path::new(rel).file_name().unwrap().to_str().unwrap(),
            &events(&src),
        );
    }
    let durable = archive.close().unwrap();
    let index = std::fs::read(dir.path().join("index.json")).unwrap();
    let original: serde_json::Value = serde_json::from_slice(&index).unwrap();
    for damage in [None, Some(&b"{\"version\": 1, \"files\": [tru"[..])] {
        match damage {
            None => std::fs::remove_file(dir.path().join("index.json")).unwrap(),
            Some(bytes) => std::fs::write(dir.path().join("index.json"), bytes).unwrap(),
        }
        std::fs::remove_file(dir.path().join("state.json")).ok();
        let (archive, rec) = Archive::open(
            dir.path(),
            SinkOptions {
                checkpoint_bytes: 4096,
                ..SinkOptions::default()
            },
        )
        .unwrap();
        assert!(rec.index_rebuilt.is_some());
        let rebuilt: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("index.json")).unwrap()).unwrap();
        assert_eq!(rebuilt, original, "rebuilt index differs");
        assert_eq!(archive.durable(), &durable);
    }
}

/// Fails every write once `budget` bytes have been written, like a full disk; the budget can
/// be raised ("space is back").
#[derive(Debug, Clone)]
struct FullDisk(Arc<Mutex<u64>>);

impl FileIo for FullDisk {
    fn write_all(&mut self, file: &mut File, data: &[u8]) -> std::io::Result<()> {
        let mut left = self.0.lock().unwrap();
        if (data.len() as u64) > *left {
            // a partial write, as a full disk does
            let part = *left as usize;
            std::io::Write::write_all(file, &data[..part])?;
            *left = 0;
            return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
        }
        *left -= data.len() as u64;
        std::io::Write::write_all(file, data)
    }
    fn sync_data(&mut self, file: &File) -> std::io::Result<()> {
        file.sync_data()
    }
}

#[test]
fn disk_full_keeps_the_archive_consistent_and_resumes() {
    let src = std::fs::read(testdata(FILES[0])).unwrap();
    let evs = events(&src);
    let name = "mariadb-bin.000001";
    let dir = tempfile::tempdir().unwrap();
    let budget = Arc::new(Mutex::new(src.len() as u64 / 2));
    let (mut archive, _) = Archive::open_with_io(
        dir.path(),
        SinkOptions::default(),
        Box::new(FullDisk(budget.clone())),
    )
    .unwrap();
    let mut failed_at = None;
    for (pos, raw) in &evs {
        match archive.append(name, *pos, raw) {
            Ok(a) => {
                if a.boundary {
                    archive.sync().unwrap();
                }
            }
            Err(e) => {
                assert!(
                    matches!(e, Error::Io { .. }) && e.to_string().contains("No space left"),
                    "{e}"
                );
                failed_at = Some(*pos);
                break;
            }
        }
    }
    assert!(failed_at.is_some());
    assert!(archive.is_poisoned());
    assert!(
        archive.append(name, failed_at.unwrap(), &evs[0].1).is_err(),
        "appends refused until reset"
    );
    let durable = archive.durable().clone();
    assert!(durable.offset > 4 && durable.offset <= failed_at.unwrap());
    // Space is back: cut back to the durable position and resume from there.
    *budget.lock().unwrap() = u64::MAX;
    archive.reset_to_durable().unwrap();
    let resume = archive.resume_point().unwrap();
    assert_eq!(
        (resume.file.as_str(), resume.offset),
        (name, durable.offset)
    );
    for (pos, raw) in evs.iter().filter(|(p, _)| *p >= resume.offset) {
        archive.append(name, *pos, raw).unwrap();
    }
    archive.close().unwrap();
    assert!(std::fs::read(dir.path().join(name)).unwrap() == src);
    // The same after a crash instead of a reset: reopening recovers to a boundary.
}

#[test]
fn sync_policies_parse() {
    use binvault_sink::SyncPolicy;
    use std::time::Duration;
    assert_eq!(
        "commit".parse::<SyncPolicy>().unwrap(),
        SyncPolicy::EveryCommit
    );
    assert_eq!(
        "20ms".parse::<SyncPolicy>().unwrap(),
        SyncPolicy::Interval(Duration::from_millis(20))
    );
    assert_eq!(
        "4mib".parse::<SyncPolicy>().unwrap(),
        SyncPolicy::Bytes(4 << 20)
    );
    for bad in ["", "often", "0b", "-1ms"] {
        assert!(bad.parse::<SyncPolicy>().is_err(), "{bad}");
    }
}

/// A GTID start: the source sends the format description at 4, then skips to the first
/// wanted transaction; the skipped range becomes a recorded hole and the file keeps the
/// source's offsets (also after a rebuild of the index).
#[test]
fn skipped_range_becomes_a_hole() {
    let src = std::fs::read(testdata(FILES[0])).unwrap();
    let evs = events(&src);
    let name = "mariadb-bin.000001";
    let dir = tempfile::tempdir().unwrap();
    let (mut archive, _) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    archive.append(name, evs[0].0, &evs[0].1).unwrap();
    // find a transaction start in the middle: a MariaDB GTID event (type 162)
    let from = evs
        .iter()
        .skip(evs.len() / 2)
        .position(|(_, e)| e[4] == 162)
        .unwrap()
        + evs.len() / 2;
    for (pos, raw) in &evs[from..] {
        archive.append(name, *pos, raw).unwrap();
    }
    let hole_from = evs[0].0 + evs[0].1.len() as u64;
    assert_eq!(
        archive.index().get(name).unwrap().holes,
        vec![[hole_from, evs[from].0]]
    );
    archive.close().unwrap();
    let ours = std::fs::read(dir.path().join(name)).unwrap();
    assert_eq!(ours.len(), src.len());
    assert!(ours[evs[from].0 as usize..] == src[evs[from].0 as usize..]);
    std::fs::remove_file(dir.path().join("index.json")).unwrap();
    let (archive, rec) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    assert!(rec.index_rebuilt.is_some() && rec.truncated.is_empty());
    assert_eq!(
        archive.index().get(name).unwrap().holes,
        vec![[hole_from, evs[from].0]]
    );
}

/// A file beyond 4 GiB (one huge transaction, here a sparse hole): positions in the index and
/// the durable state are 64-bit, the 32-bit `log_pos` of the events wraps, and recovery and
/// resume work past 4 GiB.
#[test]
fn positions_beyond_4_gib() {
    let src = std::fs::read(testdata(FILES[0])).unwrap();
    let evs = events(&src);
    let name = "mariadb-bin.000001";
    // one whole transaction: from a MariaDB GTID event to the next boundary
    let start = evs.iter().position(|(_, e)| e[4] == 162).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (mut archive, _) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    archive.append(name, evs[0].0, &evs[0].1).unwrap();
    let base: u64 = (1 << 32) - 100; // the transaction straddles 4 GiB
    let mut pos = base;
    let mut end_of_tx = 0;
    for (_, raw) in &evs[start..] {
        let mut e = raw.clone();
        let end = pos + e.len() as u64;
        e[13..17].copy_from_slice(&(end as u32).to_le_bytes());
        let n = e.len();
        let crc = crc32fast::hash(&e[..n - 4]);
        e[n - 4..].copy_from_slice(&crc.to_le_bytes());
        let a = archive.append(name, pos, &e).unwrap();
        pos = end;
        if a.boundary {
            end_of_tx = end;
            break;
        }
    }
    assert!(end_of_tx > 1 << 32);
    let d = archive.close().unwrap();
    assert_eq!(d.offset, end_of_tx);
    let (archive, rec) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    assert!(rec.truncated.is_empty(), "{rec:?}");
    assert_eq!(archive.index().get(name).unwrap().size, end_of_tx);
    assert_eq!(archive.resume_point().unwrap().offset, end_of_tx);
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("state.json")).unwrap()).unwrap();
    assert_eq!(state["offset"].as_u64(), Some(end_of_tx));
    // A torn tail past 4 GiB is cut back to the 64-bit boundary.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.path().join(name))
        .unwrap();
    f.set_len(end_of_tx + 7).unwrap();
    drop(f);
    drop(archive);
    let (archive, rec) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    assert_eq!(rec.truncated.len(), 1);
    assert_eq!(
        (rec.truncated[0].from, rec.truncated[0].to),
        (end_of_tx + 7, end_of_tx)
    );
    assert_eq!(archive.durable().offset, end_of_tx);
}

/// A stream cut in the middle of a transaction: the archive drops the incomplete part and
/// resumes exactly before it, so the source's re-sent transaction fits with no duplicate.
#[test]
fn rewind_after_an_interrupted_transaction() {
    let src = std::fs::read(testdata(FILES[0])).unwrap();
    let evs = events(&src);
    let name = "mariadb-bin.000001";
    let dir = tempfile::tempdir().unwrap();
    let (mut archive, _) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    let mut boundary = 0;
    let mut cut_at = 0;
    for (i, (pos, raw)) in evs.iter().enumerate() {
        let a = archive.append(name, *pos, raw).unwrap();
        if a.boundary {
            boundary = pos + raw.len() as u64;
        } else if i > evs.len() / 2 {
            cut_at = i + 1;
            break;
        }
    }
    archive.rewind_to_boundary().unwrap();
    let resume = archive.resume_point().unwrap();
    assert_eq!((resume.file.as_str(), resume.offset), (name, boundary));
    assert!(evs[cut_at].0 > boundary);
    for (pos, raw) in evs.iter().filter(|(p, _)| *p >= boundary) {
        archive.append(name, *pos, raw).unwrap();
    }
    archive.close().unwrap();
    assert!(std::fs::read(dir.path().join(name)).unwrap() == src);
}

/// The source's format description is checked against the archived one when the stream
/// resumes in a file: another source's file of the same name is refused; the same file
/// passes, also re-sent with log_pos 0, the in-use flag and the `created` field cleared; a
/// file that holds only the magic passes.
#[test]
fn format_description_identity() {
    let src = std::fs::read(testdata(FILES[0])).unwrap();
    let evs = events(&src);
    let name = "mariadb-bin.000001";
    let dir = tempfile::tempdir().unwrap();
    let (mut archive, _) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    append_all(&mut archive, name, &evs[..5]);
    let fde = evs[0].1.clone();
    archive.check_format_description(name, &fde).unwrap();
    let mut resent = fde.clone();
    resent[13..17].copy_from_slice(&[0; 4]); // log_pos
    resent[17] &= !1;
    resent[19 + 52..19 + 56].copy_from_slice(&[0; 4]); // created
    archive.check_format_description(name, &resent).unwrap();
    let mut other = fde.clone();
    other[0] ^= 1; // another creation time: another server's file
    assert!(archive
        .check_format_description(name, &other)
        .unwrap_err()
        .to_string()
        .contains("another source"));
    archive
        .check_format_description("mariadb-bin.000009", &other)
        .unwrap(); // not archived
    drop(archive);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), b"\xfebin").unwrap();
    let (archive, _) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    archive.check_format_description(name, &other).unwrap();
}

/// A crash right after a new file was created and before the index recorded it: only the new
/// file is scanned and added (no rebuild of the whole index).
#[test]
fn file_created_just_before_a_crash_is_added_to_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let (mut archive, _) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    let one = std::fs::read(testdata("crc32-full/mariadb-bin.000001")).unwrap();
    let two = std::fs::read(testdata("crc32-full/mariadb-bin.000002")).unwrap();
    append_all(&mut archive, "mariadb-bin.000001", &events(&one));
    let evs2 = events(&two);
    append_all(&mut archive, "mariadb-bin.000002", &evs2[..3]);
    archive.close().unwrap();
    let path = dir.path().join("index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    index["files"].as_array_mut().unwrap().pop();
    std::fs::write(&path, serde_json::to_vec(&index).unwrap()).unwrap();
    let (archive, rec) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    assert!(rec.index_rebuilt.is_none(), "{rec:?}");
    let entry = archive.index().get("mariadb-bin.000002").unwrap();
    assert!(!entry.sealed);
    let resume = archive.resume_point().unwrap();
    let end3 = evs2[2].0 + evs2[2].1.len() as u64;
    assert_eq!(
        (resume.file.as_str(), resume.offset),
        ("mariadb-bin.000002", end3)
    );
}

/// Power-loss shapes: a cut event followed by zeros the file system left, and a file created
/// but empty.
#[test]
fn zero_filled_tails_and_empty_new_files() {
    let src = std::fs::read(testdata(FILES[0])).unwrap();
    let evs = events(&src);
    let name = "mariadb-bin.000001";
    let (last_pos, last_raw) = &evs[evs.len() - 2];
    let prev = *last_pos; // the last commit event starts here; the cut falls inside it
    for cut in [prev + 1, prev + 20, prev + last_raw.len() as u64 - 1] {
        let dir = tempfile::tempdir().unwrap();
        let mut data = src[..cut as usize].to_vec();
        data.extend_from_slice(&[0u8; 4096]);
        std::fs::write(dir.path().join(name), &data).unwrap();
        let (archive, rec) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
        assert_eq!(rec.truncated.len(), 1, "cut at {cut}: {rec:?}");
        assert!(rec.truncated[0].to <= prev, "cut at {cut}: {rec:?}");
        assert!(archive.resume_point().unwrap().offset <= prev);
    }
    // an empty file created just before a crash goes away, the previous one is the resume point
    let dir = tempfile::tempdir().unwrap();
    let (mut archive, _) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    append_all(&mut archive, name, &evs);
    archive.close().unwrap();
    std::fs::write(dir.path().join("mariadb-bin.000002"), b"").unwrap();
    let (archive, rec) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    assert_eq!(rec.truncated.len(), 1, "{rec:?}");
    assert!(!dir.path().join("mariadb-bin.000002").exists());
    assert_eq!(archive.resume_point().unwrap().file, "mariadb-bin.000002");
    assert_eq!(archive.resume_point().unwrap().offset, 4);
}

/// The index maps a time, a GTID or a position to a file and a transaction boundary without
/// reading the files.
#[test]
fn index_locates_time_gtid_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let (mut archive, _) = Archive::open(
        dir.path(),
        SinkOptions {
            checkpoint_bytes: 2048,
            ..SinkOptions::default()
        },
    )
    .unwrap();
    let mut all = Vec::new();
    for rel in [
        "crc32-full/mariadb-bin.000001",
        "crc32-full/mariadb-bin.000002",
        "crc32-full/mariadb-bin.000003",
    ] {
        let src = std::fs::read(testdata(rel)).unwrap();
        let name = Path::new(rel)
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let evs = events(&src);
        append_all(&mut archive, &name, &evs);
        all.push((name, evs));
    }
    let index = archive.index().clone();
    // a GTID in the second file: the located boundary comes before its GTID event, in that file
    let (file, offset) = index.locate_mariadb_gtid(0, 1, 118).unwrap();
    assert_eq!(file.name, "mariadb-bin.000002");
    let gtid_event = all[1]
        .1
        .iter()
        .find(|(_, e)| e[4] == 162 && u64::from_le_bytes(e[19..27].try_into().unwrap()) == 118)
        .unwrap()
        .0;
    assert!(
        offset <= gtid_event && offset >= 4,
        "{offset} vs {gtid_event}"
    );
    assert!(index.locate_mariadb_gtid(0, 1, 999_999).is_none());
    // a time: the first file whose events reach it
    let t = index.files[1].first_timestamp;
    let (file, offset) = index.locate_time(t).unwrap();
    assert!(file.last_timestamp >= t && offset >= 4);
    assert!(index.locate_time(u32::MAX).is_none());
    // a position
    assert_eq!(
        index.locate_position("mariadb-bin.000003", 4).unwrap().name,
        "mariadb-bin.000003"
    );
    assert!(index
        .locate_position("mariadb-bin.000003", 1 << 40)
        .is_none());
}

/// A crash during the background compression of a sealed file leaves the file and its copy
/// side by side, or only the copy before the index says so: each state opens consistently
/// (the verified copy wins once the index names it) and the compression is finished.
#[test]
fn interrupted_compression_is_resolved_on_open() {
    let rel = FILES[0];
    let src = std::fs::read(testdata(rel)).unwrap();
    let name = Path::new(rel).file_name().unwrap().to_str().unwrap();
    let gz_name = format!("{name}.gz");
    let opts = || SinkOptions {
        compress: true,
        ..SinkOptions::default()
    };
    let setup = || {
        let dir = tempfile::tempdir().unwrap();
        let (mut archive, _) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
        append_all(&mut archive, name, &events(&src));
        archive.close().unwrap();
        assert!(dir.path().join(name).exists());
        dir
    };
    let check = |dir: &Path| {
        let (archive, rec) = Archive::open(dir, opts()).unwrap();
        assert!(rec.index_rebuilt.is_none(), "{rec:?}");
        archive.close().unwrap();
        let index = binvault_sink::index::Index::load(dir).unwrap().unwrap();
        assert!(index.get(name).unwrap().compressed);
        assert!(!dir.join(name).exists());
        assert!(binvault_sink::seal::gunzip(&dir.join(&gz_name)).unwrap() == src);
        assert!(std::fs::read_dir(dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp")));
    };
    // 1. a sealed file never compressed (stopped before), plus a stale temporary copy
    let dir = setup();
    std::fs::write(dir.path().join(format!("{name}.gz.1-0.tmp")), b"partial").unwrap();
    check(dir.path());
    // 2. copy renamed into place, index not updated: the copy goes, then is made again
    let dir = setup();
    std::fs::write(dir.path().join(&gz_name), b"not even gzip").unwrap();
    check(dir.path());
    // 3. index updated, original not removed yet: the original goes
    let dir = setup();
    let mut index = binvault_sink::index::Index::load(dir.path())
        .unwrap()
        .unwrap();
    let sha = index.get(name).unwrap().sha256.clone().unwrap();
    binvault_sink::seal::compress_copy(dir.path(), name, &sha, src.len() as u64).unwrap();
    index.get_mut(name).unwrap().compressed = true;
    index.save(dir.path()).unwrap();
    let (archive, _) = Archive::open(dir.path(), SinkOptions::default()).unwrap();
    archive.close().unwrap();
    assert!(!dir.path().join(name).exists());
    check(dir.path());
    // 4. original removed before the index said compressed: the verified copy is the file
    let dir = setup();
    binvault_sink::seal::compress_copy(dir.path(), name, &sha, src.len() as u64).unwrap();
    std::fs::remove_file(dir.path().join(name)).unwrap();
    check(dir.path());
    // a copy that does not decompress to the original is refused and never replaces it
    let dir = setup();
    let err =
        binvault_sink::seal::compress_copy(dir.path(), name, &"0".repeat(64), src.len() as u64);
    assert!(err.is_err());
    assert!(dir.path().join(name).exists() && !dir.path().join(&gz_name).exists());
}

/// Every GTID group is one transaction, including MariaDB's XA completion groups (a GTID,
/// then `XA COMMIT 'xid'`), which the testdata files hold.
#[test]
fn every_gtid_group_is_one_transaction() {
    for rel in [
        "crc32-full/mariadb-bin.000001",
        "crc32-full/mariadb-bin.000002",
        "crc32-nometa/mariadb-bin.000001",
        "none-minimal/mariadb-bin.000001",
    ] {
        let path = testdata(rel);
        let data = std::fs::read(&path).unwrap();
        let gtid_events = events(&data)
            .iter()
            .filter(|(_, raw)| raw[4] == 162) // MariaDB GTID_EVENT
            .count() as u64;
        let s = binvault_sink::scan::scan_file(&path, "f", &[], 1 << 20).unwrap();
        assert!(s.damage.is_none(), "{rel}");
        assert_eq!(s.entry.transactions, gtid_events, "{rel}");
        assert!(
            data.windows(9).any(|w| w == b"XA COMMIT"),
            "{rel} has no XA COMMIT"
        );
    }
}
