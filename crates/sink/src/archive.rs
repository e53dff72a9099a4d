//! The archive of one source server: its binlog files, appended event by event, made durable
//! by group commit, sealed when the source rotates, recovered after a crash.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use binvault_parser::events::EventData;
use binvault_parser::{Decoder, DecoderOptions};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::error::{io, Error, Result};
use crate::fs::{create_dir, open_rw, sync_dir, FileIo, OsFileIo};
use crate::gtid::GtidTracker;
use crate::index::{Checkpoint, FileEntry, Index, INDEX_FILE};
use crate::scan::{classify, gtid_text, scan, track, Damage, MAGIC, MAX_EVENT_SIZE};
use crate::seal;
use crate::txn::{TxGtid, TxnTracker};
use sha2::{Digest, Sha256};

/// Name of the state file in a server directory.
pub const STATE_FILE: &str = "state.json";

/// When appended transactions are fsynced. Whatever the policy, one fsync covers every
/// transaction appended before it (group commit), and only whole transactions are ever
/// reported durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncPolicy {
    /// As soon as a transaction is complete (and no fsync is running).
    EveryCommit,
    /// When the oldest unsynced complete transaction is this old.
    Interval(Duration),
    /// When this many bytes are unsynced (and a transaction is complete).
    Bytes(u64),
}

impl std::str::FromStr for SyncPolicy {
    type Err = Error;
    /// `commit`, `<N>ms` or `<N>b`/`<N>kib`/`<N>mib`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::Usage(format!(
                "sync policy {s:?}: expected commit, <N>ms or <N>kib/<N>mib/<N>b"
            ))
        };
        let s = s.trim().to_ascii_lowercase();
        if s == "commit" {
            return Ok(SyncPolicy::EveryCommit);
        }
        let num = |suffix: &str| {
            s.strip_suffix(suffix)
                .and_then(|n| n.trim().parse::<u64>().ok())
        };
        if let Some(ms) = num("ms") {
            return Ok(SyncPolicy::Interval(Duration::from_millis(ms)));
        }
        for (suffix, mul) in [("mib", 1 << 20), ("kib", 1 << 10), ("b", 1)] {
            if let Some(n) = num(suffix) {
                return n
                    .checked_mul(mul)
                    .filter(|&b| b > 0)
                    .map(SyncPolicy::Bytes)
                    .ok_or_else(bad);
            }
        }
        Err(bad())
    }
}

/// Settings of an archive.
#[derive(Debug, Clone)]
pub struct SinkOptions {
    /// Group-commit policy.
    pub sync: SyncPolicy,
    /// gzip sealed files (verified by decompressing before the original is removed).
    pub compress: bool,
    /// Distance between index checkpoints.
    pub checkpoint_bytes: u64,
    /// `state.json` (and the active file's index entry) are rewritten after an fsync at
    /// most this often (each rewrite costs two more fsyncs).
    pub state_interval: Duration,
}

impl Default for SinkOptions {
    fn default() -> Self {
        SinkOptions {
            sync: SyncPolicy::EveryCommit,
            compress: false,
            checkpoint_bytes: 1 << 20,
            state_interval: Duration::from_secs(1),
        }
    }
}

/// What is durable: everything up to `offset` in `file`, whole transactions only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Durable {
    /// The file (empty while the archive is empty).
    pub file: String,
    /// Offset after the last durable transaction (64-bit: files may exceed 4 GiB).
    pub offset: u64,
    /// MariaDB GTID position (`@@gtid_binlog_pos` form) of the archive, empty if none.
    #[serde(default)]
    pub gtid_position: String,
    /// MySQL GTID set of the archive, empty if none.
    #[serde(default)]
    pub mysql_gtids: String,
    /// Timestamp of the last durable event.
    #[serde(default)]
    pub last_timestamp: u32,
}

/// A tail cut off by recovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    /// The file.
    pub file: String,
    /// Its length before.
    pub from: u64,
    /// Its length after (the last transaction boundary).
    pub to: u64,
    /// Why: a torn event, or an incomplete transaction.
    pub reason: String,
}

/// What opening the archive found and did.
#[derive(Debug, Clone, Default)]
pub struct Recovery {
    /// The index was missing or damaged and was rebuilt from the files.
    pub index_rebuilt: Option<String>,
    /// Tails cut off.
    pub truncated: Vec<Truncation>,
}

/// Where the stream resumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumePoint {
    /// The file.
    pub file: String,
    /// The offset.
    pub offset: u64,
}

/// What an append did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Appended {
    /// The event completed a transaction (or was a standalone control event).
    pub boundary: bool,
    /// A file was sealed (the source rotated).
    pub sealed: Option<String>,
    /// The event committed a transaction.
    pub committed: bool,
}

#[derive(Debug)]
struct Active {
    name: String,
    path: PathBuf,
    file: File,
    written: u64,
    boundary: u64,
    synced: u64,
    decoder: Decoder,
    tracker: TxnTracker,
    /// GTIDs of the file's complete transactions.
    gtids: GtidTracker,
    /// GTIDs of the transaction in progress.
    open_gtid: Option<TxGtid>,
    events: u64,
    last_checkpoint: u64,
    unsynced_since: Option<Instant>,
    entry: FileEntry,
    /// Entry values at the last boundary.
    boundary_entry: FileEntry,
    /// The last boundary covered by an fsync, and the entry and GTIDs as of then.
    synced_boundary: u64,
    synced_gtids: GtidTracker,
    synced_entry: FileEntry,
    /// sha256 of every byte written so far (holes as zeros), for the seal; `None` when the
    /// file was not written whole by this process or was cut back (then the seal reads it).
    hasher: Option<Sha256>,
}

/// The archive directory of one source server.
#[derive(Debug)]
pub struct Archive {
    dir: PathBuf,
    options: SinkOptions,
    index: Index,
    io: Box<dyn FileIo>,
    active: Option<Active>,
    /// GTIDs of every file but the active one.
    past_gtids: GtidTracker,
    durable: Durable,
    pending_fde: Option<Vec<u8>>,
    poisoned: bool,
    state_saved: Instant,
    /// The durable position moved since state.json was last written.
    state_stale: bool,
    /// Sealed files being gzipped on background threads.
    compressing: Vec<(String, std::thread::JoinHandle<Result<()>>)>,
}

/// Holes larger than this are not hashed while streaming (the seal reads the file instead):
/// a mid-file start deep into a big file should not stall the stream.
const HASHED_HOLE_MAX: u64 = 16 << 20;

/// Feeds `n` zero bytes (a hole) to a hash.
fn hash_zeros(h: &mut Sha256, mut n: u64) {
    let zeros = [0u8; 8192];
    while n > 0 {
        let k = n.min(zeros.len() as u64) as usize;
        h.update(&zeros[..k]);
        n -= k as u64;
    }
}

fn is_data_file(name: &str) -> bool {
    !name.starts_with('.')
        && name != INDEX_FILE
        && name != STATE_FILE
        && !name.ends_with(".tmp")
        && !name.ends_with(".json")
}

impl Archive {
    /// Opens (creating if needed) the archive directory `dir` and recovers it: the index
    /// is loaded or rebuilt, the last file's tail is checked and cut back to its last whole
    /// transaction.
    pub fn open(dir: &Path, options: SinkOptions) -> Result<(Archive, Recovery)> {
        Self::open_with_io(dir, options, Box::new(OsFileIo))
    }

    /// [`Archive::open`] with another [`FileIo`] (fault injection in tests).
    pub fn open_with_io(
        dir: &Path,
        options: SinkOptions,
        file_io: Box<dyn FileIo>,
    ) -> Result<(Archive, Recovery)> {
        create_dir(dir)?;
        let mut recovery = Recovery::default();
        let mut names = Self::data_files(dir)?;
        // temporary files of an interrupted compression
        for entry in std::fs::read_dir(dir).map_err(io("list", dir))?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.contains(".gz.") && name.ends_with(".tmp") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let loaded = Index::load(dir);
        // A crash while compressing a sealed file can leave NAME and NAME.gz side by side
        // (the copy is verified before it is renamed into place): when the index already
        // says compressed, the copy is the file and the original goes; otherwise the copy
        // goes (it is made again).
        let says_compressed = |base: &str| matches!(&loaded, Ok(Some(ix)) if ix.get(base).is_some_and(|e| e.compressed));
        let doubles: Vec<String> = names
            .iter()
            .filter(|n| {
                n.strip_suffix(".gz")
                    .is_some_and(|base| names.iter().any(|m| m == base))
            })
            .cloned()
            .collect();
        for gz in doubles {
            let base = gz.trim_end_matches(".gz").to_owned();
            let drop = if says_compressed(&base) { base } else { gz };
            let path = dir.join(&drop);
            warn!(file = %drop, "removing one of a file and its compressed copy left side by side by an interrupted seal");
            std::fs::remove_file(&path).map_err(io("remove", &path))?;
            names.retain(|n| *n != drop);
        }
        if !names.is_empty() {
            sync_dir(dir)?;
        }
        let mut index = match loaded {
            Ok(Some(index)) => index,
            Ok(None) if names.is_empty() => Index {
                version: crate::index::INDEX_VERSION,
                files: Vec::new(),
            },
            Ok(None) => {
                recovery.index_rebuilt = Some("index missing".into());
                Index::default()
            }
            Err(e) => {
                recovery.index_rebuilt = Some(e.to_string());
                Index::default()
            }
        };
        for e in index.files.iter_mut() {
            let gz = format!("{}.gz", e.name);
            if e.sealed && !e.compressed && !names.contains(&e.name) && names.contains(&gz) {
                warn!(file = %gz, "the original was removed after its verified compressed copy was made: the copy is the file");
                e.compressed = true;
            }
        }
        let listed: Vec<String> = index.files.iter().map(FileEntry::stored_name).collect();
        let unlisted: Vec<&String> = names.iter().filter(|n| !listed.contains(n)).collect();
        let newer = |n: &&String| {
            listed.last().is_none_or(|l| n.as_str() > l.as_str()) && !n.ends_with(".gz")
        };
        if recovery.index_rebuilt.is_none() && !unlisted.is_empty() && unlisted.iter().all(newer) {
            // A crash after creating a file and before recording it: index just the new files.
            for n in &unlisted {
                warn!(file = %n, "adding a file created just before a crash to the index");
                index.files.push(FileEntry::new(n));
            }
        } else if recovery.index_rebuilt.is_none() && !unlisted.is_empty() {
            recovery.index_rebuilt = Some("files not in the index".into());
        }
        // Files followed by others are complete: seal any left unsealed by a crash.
        let n = index.files.len();
        for entry in index
            .files
            .iter_mut()
            .take(n.saturating_sub(1))
            .filter(|e| !e.sealed && !e.compressed)
        {
            let path = dir.join(&entry.name);
            let s =
                crate::scan::scan_file(&path, &entry.name, &entry.holes, options.checkpoint_bytes)?;
            if let Some(Damage::Corrupt { offset, reason }) = &s.damage {
                return Err(Error::Corrupt {
                    path,
                    offset: *offset,
                    reason: reason.clone(),
                });
            }
            *entry = s.entry;
            seal::seal(dir, entry, options.compress)?;
        }
        if recovery.index_rebuilt.is_none() && listed.iter().any(|n| !names.contains(n)) {
            return Err(Error::Corrupt {
                path: dir.join(INDEX_FILE),
                offset: 0,
                reason: format!(
                    "the index lists files that are missing: {:?}",
                    listed
                        .iter()
                        .filter(|n| !names.contains(n))
                        .collect::<Vec<_>>()
                ),
            });
        }
        if let Some(why) = &recovery.index_rebuilt {
            warn!(dir = %dir.display(), reason = %why, "rebuilding the index from the binlog files");
            index = Self::rebuild_index(dir, &names, options.checkpoint_bytes)?;
        }
        // A last file without even its magic (a crash right after creating it) is removed:
        // the stream creates it again.
        if let Some(last) = index.files.last().filter(|l| !l.sealed && !l.compressed) {
            let path = dir.join(&last.name);
            let len = std::fs::metadata(&path).map_err(io("stat", &path))?.len();
            let mut magic = [0u8; 4];
            let has_magic = len >= 4
                && File::open(&path)
                    .and_then(|f| std::os::unix::fs::FileExt::read_exact_at(&f, &mut magic, 0))
                    .is_ok()
                && &magic == MAGIC;
            if len < 4 || (!has_magic && magic.iter().all(|&b| b == 0)) {
                warn!(file = %last.name, bytes = len, "removing a file left empty by a crash");
                recovery.truncated.push(Truncation {
                    file: last.name.clone(),
                    from: len,
                    to: 0,
                    reason: "file created but its magic never written".into(),
                });
                std::fs::remove_file(&path).map_err(io("remove", &path))?;
                sync_dir(dir)?;
                index.files.pop();
                index.save(dir)?;
            }
        }
        // Recover the last file if it is not sealed.
        if let Some(last) = index.files.last_mut() {
            if !last.sealed {
                let path = dir.join(&last.name);
                let file_len = std::fs::metadata(&path).map_err(io("stat", &path))?.len();
                let s = crate::scan::scan_file(
                    &path,
                    &last.name,
                    &last.holes,
                    options.checkpoint_bytes,
                )?;
                if let Some(Damage::Corrupt { offset, reason }) = &s.damage {
                    return Err(Error::Corrupt {
                        path,
                        offset: *offset,
                        reason: reason.clone(),
                    });
                }
                if file_len > s.last_boundary {
                    let reason = match &s.damage {
                        Some(Damage::Torn { reason, .. }) => format!("torn tail: {reason}"),
                        _ => "incomplete transaction at the end".into(),
                    };
                    let to = s.last_boundary.max(if file_len >= 4 { 4 } else { 0 });
                    warn!(file = %last.name, from = file_len, to, %reason, "recovery: cutting the tail back to the last whole transaction");
                    let f = open_rw(&path)?;
                    if to < 4 {
                        // not even the magic: start the file again
                        f.set_len(0).map_err(io("truncate", &path))?;
                    } else {
                        f.set_len(to).map_err(io("truncate", &path))?;
                    }
                    f.sync_all().map_err(io("fsync", &path))?;
                    recovery.truncated.push(Truncation {
                        file: last.name.clone(),
                        from: file_len,
                        to,
                        reason,
                    });
                }
                *last = s.entry;
                last.size = s.last_boundary.max(if file_len >= 4 { 4 } else { 0 });
                if last.next_file.is_some() && last.size == s.end {
                    // complete (it ends with the source's rotate): the crash came before sealing
                    seal::seal(dir, last, options.compress)?;
                }
            }
            index.save(dir)?;
        } else if recovery.index_rebuilt.is_some() {
            index.save(dir)?;
        }
        let mut past = GtidTracker::default();
        let n = index.files.len();
        for (i, f) in index.files.iter().enumerate() {
            if i + 1 < n || f.sealed {
                past.merge(&GtidTracker::from_ranges(&f.gtids));
            }
        }
        let mut archive = Archive {
            dir: dir.to_owned(),
            options,
            index,
            io: file_io,
            active: None,
            past_gtids: past,
            durable: Durable::default(),
            pending_fde: None,
            poisoned: false,
            state_saved: Instant::now(),
            state_stale: false,
            compressing: Vec::new(),
        };
        // sealed files a crash or stop left uncompressed (their copy was not finished)
        if archive.options.compress {
            let todo: Vec<FileEntry> = archive
                .index
                .files
                .iter()
                .filter(|f| f.sealed && !f.compressed)
                .cloned()
                .collect();
            for f in todo {
                archive.start_compression(&f);
            }
        }
        archive.durable = archive.compute_durable();
        if !recovery.truncated.is_empty() || recovery.index_rebuilt.is_some() {
            archive.save_state()?;
        }
        Ok((archive, recovery))
    }

    fn data_files(dir: &Path) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io("list", dir))? {
            let entry = entry.map_err(io("list", dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_data_file(&name)
                && entry
                    .file_type()
                    .map_err(io("stat", &entry.path()))?
                    .is_file()
            {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    fn rebuild_index(dir: &Path, names: &[String], checkpoint_bytes: u64) -> Result<Index> {
        let mut files = Vec::new();
        for (i, stored) in names.iter().enumerate() {
            let path = dir.join(stored);
            let (_name, s, compressed) = match stored.strip_suffix(".gz") {
                Some(base) => {
                    let data = seal::gunzip(&path)?;
                    (
                        base.to_owned(),
                        scan(&path, base, &data, &[], checkpoint_bytes),
                        true,
                    )
                }
                None => (
                    stored.clone(),
                    crate::scan::scan_file(&path, stored, &[], checkpoint_bytes)?,
                    false,
                ),
            };
            let mut entry = s.entry;
            let last = i + 1 == names.len();
            if !last || entry.next_file.is_some() {
                if let Some(Damage::Corrupt { offset, reason }) = &s.damage {
                    return Err(Error::Corrupt {
                        path,
                        offset: *offset,
                        reason: reason.clone(),
                    });
                }
                entry.sealed = true;
                entry.size = s.end;
                entry.sha256 = Some(if compressed {
                    seal::sha256_hex(&seal::gunzip(&path)?)
                } else {
                    seal::sha256_file(&path)?.0
                });
                entry.compressed = compressed;
            }
            files.push(entry);
        }
        let index = Index {
            version: crate::index::INDEX_VERSION,
            files,
        };
        index.save(dir)?;
        Ok(index)
    }

    fn compute_durable(&self) -> Durable {
        let mut g = self.past_gtids.clone();
        let (file, offset, ts) = match (&self.active, self.index.files.last()) {
            (Some(a), _) => {
                g.merge(&a.gtids_at_sync());
                (
                    a.name.clone(),
                    a.durable_offset(),
                    a.boundary_entry.last_timestamp,
                )
            }
            (None, Some(f)) => {
                if !f.sealed {
                    g.merge(&GtidTracker::from_ranges(&f.gtids));
                }
                (f.name.clone(), f.size, f.last_timestamp)
            }
            (None, None) => (String::new(), 0, 0),
        };
        Durable {
            file,
            offset,
            gtid_position: g.mariadb_position(),
            mysql_gtids: g.mysql_set().to_string(),
            last_timestamp: ts,
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The index (files sealed and the active one as of its last boundary).
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// What is durable now.
    pub fn durable(&self) -> &Durable {
        &self.durable
    }

    /// Where the stream must resume so that nothing is missed or duplicated: after the
    /// last durable transaction (the next file after a sealed one). `None` when empty.
    pub fn resume_point(&self) -> Option<ResumePoint> {
        let last = self.index.files.last()?;
        if self.active.is_none() && last.sealed {
            if let Some(next) = &last.next_file {
                return Some(ResumePoint {
                    file: next.clone(),
                    offset: 4,
                });
            }
        }
        Some(ResumePoint {
            file: self.durable.file.clone(),
            offset: self.durable.offset,
        })
    }

    /// Gives the format description the source re-sends (with `log_pos` 0) when a stream
    /// starts in the middle of a file: it is written at offset 4 of a new file.
    pub fn set_pending_format_description(&mut self, raw: &[u8]) {
        self.pending_fde = Some(raw.to_vec());
    }

    /// Checks that the format description the source sends for `file` (when the stream
    /// resumes in it) is the one archived at offset 4: same creation time, server id and
    /// body. A mismatch means the source is not the server this archive was made from (or
    /// it was re-initialised and reused its file names). Files not in the archive pass.
    pub fn check_format_description(&self, file: &str, raw: &[u8]) -> Result<()> {
        let Some(entry) = self.index.get(file) else {
            return Ok(());
        };
        if entry.compressed || raw.len() < 23 {
            return Ok(());
        }
        let path = self.dir.join(&entry.name);
        let f = File::open(&path).map_err(io("open", &path))?;
        let len = f.metadata().map_err(io("stat", &path))?.len();
        if len <= 4 {
            return Ok(()); // created, but its format description never arrived
        }
        let mut ours = vec![0u8; raw.len()];
        let same_len = std::os::unix::fs::FileExt::read_exact_at(&f, &mut ours, 4).is_ok()
            && u32::from_le_bytes([ours[9], ours[10], ours[11], ours[12]]) as usize == raw.len();
        // Compared: timestamp, server id, and the body without the CRC. Not compared: log_pos
        // and flags (re-sent with log_pos 0 and IN_USE cleared) and the body's `created`
        // field (19 + 2 + 50), which the source zeroes when it re-sends the event.
        let n = raw.len() - 4;
        let created = 19 + 2 + 50..19 + 2 + 50 + 4;
        let same = same_len
            && ours[..4] == raw[..4]
            && ours[5..9] == raw[5..9]
            && ours[19..created.start] == raw[19..created.start]
            && ours[created.end..n] == raw[created.end..n];
        if same {
            Ok(())
        } else {
            Err(Error::Usage(format!(
                "the source's {file} is not the file archived under that name in {} (different creation time, server or version): this archive belongs to another source; use another archive directory",
                self.dir.display()
            )))
        }
    }

    /// After an I/O error the archive refuses appends until [`Archive::reset_to_durable`].
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// Before the stream resumes after an interruption: syncs what is complete and cuts an
    /// incomplete transaction off the active file, so that [`Archive::resume_point`] is
    /// exactly where the archive ends (the source re-sends the transaction whole).
    pub fn rewind_to_boundary(&mut self) -> Result<()> {
        if self.poisoned {
            return self.reset_to_durable();
        }
        self.sync()?;
        let Some(a) = self.active.as_mut() else {
            return Ok(());
        };
        if a.written > a.boundary {
            a.file
                .set_len(a.boundary)
                .map_err(io("truncate", &a.path))?;
            a.file
                .seek(SeekFrom::Start(a.boundary))
                .map_err(io("seek", &a.path))?;
            a.file.sync_all().map_err(io("fsync", &a.path))?;
            info!(file = %a.name, from = a.written, to = a.boundary, "incomplete transaction dropped; the source sends it again");
            a.written = a.boundary;
            a.synced = a.boundary;
            a.tracker = TxnTracker::new();
            a.entry = a.boundary_entry.clone();
            a.hasher = None;
        }
        Ok(())
    }

    /// Cuts the active file back to the durable offset after a failed write or sync (a full
    /// disk), so that the stream can resume from [`Archive::resume_point`] once the cause is
    /// gone. Fails (and stays poisoned) while the file system still refuses.
    pub fn reset_to_durable(&mut self) -> Result<()> {
        if let Some(a) = self.active.take() {
            let to = a.durable_offset().max(4);
            a.file.set_len(to).map_err(io("truncate", &a.path))?;
            a.file.sync_all().map_err(io("fsync", &a.path))?;
            info!(file = %a.name, offset = to, "archive cut back to the durable position after an error");
            if let Some(e) = self.index.get_mut(&a.name) {
                *e = a.synced_entry();
                e.size = to;
            }
        }
        self.poisoned = false;
        self.durable = self.compute_durable();
        Ok(())
    }

    fn poison<T>(&mut self, e: Error) -> Result<T> {
        self.poisoned = true;
        Err(e)
    }

    /// Appends one event received at `offset` in the source's file `file`. Events must come
    /// in stream order; a new file name switches files (sealing the previous one).
    pub fn append(&mut self, file: &str, offset: u64, raw: &[u8]) -> Result<Appended> {
        if self.poisoned {
            return Err(Error::Usage(
                "the archive had a write error: call reset_to_durable and resume".into(),
            ));
        }
        if file.is_empty()
            || file.contains('/')
            || file.starts_with('.')
            || !is_data_file(file)
            || file.ends_with(".gz")
        {
            return Err(Error::Usage(format!("unsafe binlog file name {file:?}")));
        }
        let mut appended = Appended::default();
        if self.active.as_ref().is_none_or(|a| a.name != file) {
            if let Some(sealed) = self.finish_active()? {
                appended.sealed = Some(sealed);
            }
            self.open_active(file, offset)?;
        }
        let Some(a) = self.active.as_mut() else {
            return Err(Error::Usage("no active file".into()));
        };
        if offset != a.written {
            let skip = a.events >= 1 && !a.tracker.in_transaction() && offset > a.written;
            if !skip {
                return Err(Error::Usage(format!(
                    "{file}: event at {offset} but the archive holds the file up to {} (a gap or a duplicate)",
                    a.written
                )));
            }
            // A GTID start: the source skipped to the first wanted transaction. Zeros (a
            // sparse hole) keep every later event at the source's offset.
            a.file.set_len(offset).map_err(io("extend", &a.path))?;
            a.file
                .seek(SeekFrom::Start(offset))
                .map_err(io("seek", &a.path))?;
            a.entry.holes.push([a.written, offset]);
            a.boundary_entry.holes = a.entry.holes.clone();
            a.hasher = a
                .hasher
                .take()
                .filter(|_| offset - a.written <= HASHED_HOLE_MAX);
            if let Some(h) = a.hasher.as_mut() {
                hash_zeros(h, offset - a.written);
            }
            warn!(
                file,
                from = a.written,
                to = offset,
                "the source skipped a range: hole in the archived file"
            );
            a.written = offset;
            a.boundary = offset;
        }
        // Check and classify before writing: bad bytes never reach the archive.
        let event = classify(&mut a.decoder, offset, raw)
            .map_err(|e| Error::Usage(format!("{file}: refusing event at {offset}: {e}")))?;
        let path = a.path.clone();
        if let Err(e) = self.io.write_all(&mut a.file, raw) {
            return self.poison(Error::Io {
                op: "write",
                path,
                source: e,
            });
        }
        let Some(a) = self.active.as_mut() else {
            return Err(Error::Usage("no active file".into()));
        };
        a.written += raw.len() as u64;
        a.events += 1;
        if let Some(h) = a.hasher.as_mut() {
            h.update(raw);
        }
        let ts = event.header.timestamp;
        if ts != 0 {
            if a.entry.first_timestamp == 0 {
                a.entry.first_timestamp = ts;
            }
            a.entry.last_timestamp = ts;
        }
        let rotate = match &event.data {
            EventData::Rotate(r) => Some(String::from_utf8_lossy(r.next_file).into_owned()),
            _ => None,
        };
        let step = track(&mut a.tracker, &event);
        if let Some(g) = step.committed {
            appended.committed = true;
            a.entry.transactions += 1;
            if let Some(g) = g {
                a.gtids.add(&g);
                a.open_gtid = Some(g);
            }
        }
        if step.boundary {
            a.boundary = a.written;
            a.entry.size = a.written;
            a.entry.gtids = a.gtids.ranges();
            if a.written - a.last_checkpoint >= self.options.checkpoint_bytes {
                a.last_checkpoint = a.written;
                a.entry.checkpoints.push(Checkpoint {
                    offset: a.written,
                    timestamp: a.entry.last_timestamp,
                    gtid: gtid_text(a.open_gtid.as_ref()),
                });
            }
            a.boundary_entry = a.entry.clone();
            if a.unsynced_since.is_none() && a.boundary > a.synced {
                a.unsynced_since = Some(Instant::now());
            }
            appended.boundary = true;
        }
        if let Some(next) = rotate {
            if let Some(a) = self.active.as_mut() {
                a.entry.next_file = Some(next);
                a.boundary_entry.next_file = a.entry.next_file.clone();
            }
            if let Some(sealed) = self.finish_active()? {
                appended.sealed = Some(sealed);
            }
        }
        Ok(appended)
    }

    fn open_active(&mut self, name: &str, offset: u64) -> Result<()> {
        let path = self.dir.join(name);
        let existing = self.index.get(name).cloned();
        let mut decoder = Decoder::new();
        decoder.set_options(DecoderOptions {
            verify_checksums: true,
            max_event_size: MAX_EVENT_SIZE,
            ..DecoderOptions::default()
        });
        let (mut file, entry, tracker_events, hasher) = match existing {
            Some(entry) => {
                if entry.sealed {
                    return Err(Error::Usage(format!(
                        "{name} is sealed in the archive; the stream must resume after it"
                    )));
                }
                if entry.size != offset {
                    return Err(Error::Usage(format!(
                        "{name}: the stream resumes at {offset} but the archive holds it up to {}: refusing a gap or a duplicate",
                        entry.size
                    )));
                }
                let file = open_rw(&path)?;
                let len = file.metadata().map_err(io("stat", &path))?.len();
                if len != entry.size {
                    return Err(Error::Corrupt {
                        path,
                        offset: entry.size,
                        reason: format!("file is {len} bytes, the index says {}", entry.size),
                    });
                }
                // Re-read the format description so that checksums can be verified.
                let mut head = [0u8; 19];
                if len >= 23
                    && std::os::unix::fs::FileExt::read_exact_at(&file, &mut head, 4).is_ok()
                {
                    let n = u64::from(u32::from_le_bytes([head[9], head[10], head[11], head[12]]));
                    if (19..=MAX_EVENT_SIZE).contains(&n) && 4 + n <= len {
                        let mut fde = vec![0u8; n as usize];
                        if std::os::unix::fs::FileExt::read_exact_at(&file, &mut fde, 4).is_ok() {
                            let _ = decoder.decode(4, &fde);
                        }
                    }
                }
                (file, entry, 2, None)
            }
            None => {
                // The source moved on: a previous file left unsealed (a crash between its
                // last event and the seal, or a source that restarted) is complete.
                let dir = self.dir.clone();
                let compress = self.options.compress;
                if let Some(prev) = self.index.files.last_mut().filter(|p| !p.sealed) {
                    seal::seal(&dir, prev, compress)?;
                    self.past_gtids
                        .merge(&GtidTracker::from_ranges(&prev.gtids));
                }
                let file = open_rw(&path)?;
                let mut start = 4u64;
                let mut head = MAGIC.to_vec();
                if offset > 4 {
                    if let Some(fde) = self.pending_fde.take() {
                        if 4 + fde.len() as u64 <= offset {
                            let _ = decoder.decode(4, &fde);
                            head.extend_from_slice(&fde);
                        }
                    }
                    start = offset;
                }
                let mut f = file;
                f.set_len(0).map_err(io("truncate", &path))?;
                if let Err(e) = self.io.write_all(&mut f, &head) {
                    return self.poison(Error::Io {
                        op: "write",
                        path,
                        source: e,
                    });
                }
                if start > head.len() as u64 {
                    f.set_len(start).map_err(io("extend", &path))?;
                }
                f.sync_all().map_err(io("fsync", &path))?;
                sync_dir(&self.dir)?;
                let mut entry = FileEntry {
                    size: start,
                    ..FileEntry::new(name)
                };
                if start > head.len() as u64 {
                    entry.holes.push([head.len() as u64, start]);
                }
                self.index.files.push(entry.clone());
                self.index.save(&self.dir)?;
                info!(file = name, offset, "new archive file");
                let hole = start.saturating_sub(head.len() as u64);
                let hasher = (hole <= HASHED_HOLE_MAX).then(|| {
                    let mut h = Sha256::new();
                    h.update(&head);
                    hash_zeros(&mut h, hole);
                    h
                });
                (f, entry, if start > 4 { 1 } else { 0 }, hasher)
            }
        };
        file.seek(SeekFrom::Start(offset))
            .map_err(io("seek", &path))?;
        let gtids = GtidTracker::from_ranges(&entry.gtids);
        let synced_gtids_init = gtids.clone();
        self.active = Some(Active {
            name: name.to_owned(),
            path,
            file,
            written: offset,
            boundary: offset,
            synced: offset,
            decoder,
            tracker: TxnTracker::new(),
            gtids,
            open_gtid: None,
            events: tracker_events,
            last_checkpoint: entry.checkpoints.last().map_or(0, |c| c.offset),
            unsynced_since: None,
            boundary_entry: entry.clone(),
            synced_boundary: offset,
            synced_gtids: synced_gtids_init,
            synced_entry: FileEntry {
                size: offset,
                ..entry.clone()
            },
            entry,
            hasher,
        });
        Ok(())
    }

    /// Syncs and seals (when complete) the active file; returns its name if sealed.
    fn finish_active(&mut self) -> Result<Option<String>> {
        if self.active.is_none() {
            return Ok(None);
        }
        self.sync()?;
        let Some(a) = self.active.take() else {
            return Ok(None);
        };
        let mut entry = a.boundary_entry.clone();
        entry.size = a.boundary;
        let known = match a.hasher {
            Some(h) if a.boundary == a.written => Some((seal::hex(&h.finalize()), a.written)),
            _ => None,
        };
        if a.boundary != a.written {
            // The source moved to another file in the middle of a transaction (it crashed):
            // drop the incomplete tail; the source never committed it.
            a.file
                .set_len(a.boundary)
                .map_err(io("truncate", &a.path))?;
            a.file.sync_all().map_err(io("fsync", &a.path))?;
            warn!(file = %a.name, from = a.written, to = a.boundary, "the source left the file mid-transaction: tail dropped");
        }
        drop(a.file);
        let name = entry.name.clone();
        seal::seal_known(&self.dir, &mut entry, known)?;
        if self.options.compress {
            self.start_compression(&entry);
        }
        self.past_gtids
            .merge(&GtidTracker::from_ranges(&entry.gtids));
        if let Some(e) = self.index.get_mut(&name) {
            *e = entry;
        }
        self.index.save(&self.dir)?;
        self.durable = self.compute_durable();
        self.save_state()?;
        info!(file = %name, "sealed");
        Ok(Some(name))
    }

    /// True when the policy wants an fsync now.
    pub fn needs_sync(&self, now: Instant) -> bool {
        let Some(a) = &self.active else { return false };
        if a.boundary <= a.synced {
            return false;
        }
        match self.options.sync {
            SyncPolicy::EveryCommit => true,
            SyncPolicy::Interval(d) => a.unsynced_since.is_some_and(|t| now >= t + d),
            SyncPolicy::Bytes(n) => a.written - a.synced >= n,
        }
    }

    /// When the interval policy will want an fsync (to arm a timer).
    pub fn sync_deadline(&self) -> Option<Instant> {
        let a = self.active.as_ref()?;
        match self.options.sync {
            SyncPolicy::Interval(d) => a.unsynced_since.map(|t| t + d),
            _ => None,
        }
    }

    /// fsyncs the active file: every complete transaction appended so far becomes durable.
    pub fn sync(&mut self) -> Result<&Durable> {
        self.collect_compressed(false)?;
        let Some(a) = self.active.as_mut() else {
            return Ok(&self.durable);
        };
        if a.synced < a.written {
            if let Err(e) = self.io.sync_data(&a.file) {
                let path = a.path.clone();
                return self.poison(Error::Io {
                    op: "fsync",
                    path,
                    source: e,
                });
            }
            let Some(a) = self.active.as_mut() else {
                return Ok(&self.durable);
            };
            a.synced = a.written;
            a.unsynced_since = None;
            a.synced_boundary = a.boundary;
            a.synced_gtids = a.gtids.clone();
            a.synced_entry = a.boundary_entry.clone();
            a.synced_entry.size = a.boundary;
            let synced = a.synced_entry();
            if let Some(e) = self.index.get_mut(&synced.name) {
                *e = synced;
            }
            self.state_stale = true;
        }
        self.durable = self.compute_durable();
        // written at most every state_interval, and once more when the stream goes idle
        // (call `sync` on heartbeats)
        if self.state_stale && self.state_saved.elapsed() >= self.options.state_interval {
            self.index.save(&self.dir)?;
            self.save_state()?;
            self.state_saved = Instant::now();
            self.state_stale = false;
        }
        Ok(&self.durable)
    }

    /// Gzips a sealed file on a background thread ([`seal::compress_copy`]); the stream
    /// goes on meanwhile.
    fn start_compression(&mut self, entry: &FileEntry) {
        let (dir, name) = (self.dir.clone(), entry.name.clone());
        let sha = entry.sha256.clone().unwrap_or_default();
        let size = entry.size;
        let handle = std::thread::Builder::new()
            .name(format!("gzip {name}"))
            .spawn(move || seal::compress_copy(&dir, &name, &sha, size));
        match handle {
            Ok(h) => self.compressing.push((entry.name.clone(), h)),
            Err(e) => {
                warn!(file = %entry.name, error = %e, "cannot start compressing: left uncompressed")
            }
        }
    }

    /// Finished background compressions (all of them, waiting, with `wait`): the index
    /// records the copy, then the original is removed.
    fn collect_compressed(&mut self, wait: bool) -> Result<()> {
        let mut i = 0;
        while i < self.compressing.len() {
            if !wait && !self.compressing[i].1.is_finished() {
                i += 1;
                continue;
            }
            let (name, handle) = self.compressing.swap_remove(i);
            match handle.join() {
                Ok(Ok(())) => {
                    if let Some(e) = self.index.get_mut(&name) {
                        e.compressed = true;
                    }
                    self.index.save(&self.dir)?;
                    seal::remove_original(&self.dir, &name)?;
                    info!(file = %name, "compressed");
                }
                Ok(Err(e)) => {
                    warn!(file = %name, error = %e, "compressing failed: the file stays uncompressed")
                }
                Err(_) => warn!(file = %name, "the compression thread panicked"),
            }
        }
        Ok(())
    }

    /// Syncs and writes the index and state: call before exiting. Waits for running
    /// compressions.
    pub fn close(mut self) -> Result<Durable> {
        self.collect_compressed(true)?;
        self.sync()?;
        self.index.save(&self.dir)?;
        self.save_state()?;
        Ok(self.durable)
    }

    fn save_state(&self) -> Result<()> {
        crate::fs::write_json(&self.dir.join(STATE_FILE), &self.durable)
    }
}

impl Active {
    fn durable_offset(&self) -> u64 {
        self.synced_boundary
    }

    fn gtids_at_sync(&self) -> GtidTracker {
        self.synced_gtids.clone()
    }

    fn synced_entry(&self) -> FileEntry {
        self.synced_entry.clone()
    }
}
