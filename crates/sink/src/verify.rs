//! End-to-end verification of an archive, read only: every binlog file of every server
//! directory is read back (`.gz` decompressed) and checked —
//!
//! - the magic, each event's length, CRC32 (when the file has checksums) and the position
//!   chain (`log_pos` of each event = its end), with [`crate::scan::scan`], as recovery
//!   reads files;
//! - against the index: the file exists, its size, the sha256 of sealed files, and for
//!   sealed files the facts the index caches (next file, transaction count, GTID ranges,
//!   holes; checkpoints must sit on transaction boundaries);
//! - the end of each file: only the last file may end inside a transaction; a file ending
//!   with ROTATE must be followed by the file it names; a file ending without one (the
//!   source was shut down, crashed or restarted) must be followed by the next file in the
//!   source's numbering (a note, not a problem);
//! - GTID continuity across the whole server directory, in file order: MariaDB sequence
//!   numbers strictly increase per replication domain, whatever the server id (MariaDB
//!   continues a domain's sequence when another server writes to it), with no gap; each
//!   file's GTID_LIST (the source's binlog state when it opened the file) must match the
//!   last GTID of each domain and server in the files before it. A hole (a stream that began
//!   mid-file) restarts the checks. MySQL: no GTID may appear twice.
//! - `state.json`: the durable position names an archived file and a transaction boundary
//!   within what the file holds.
//!
//! Each file gets the first problem found in it, with its offset and the reason, or none.
//! Sources run with `gtid_strict_mode=OFF` may legitimately log MariaDB GTIDs out of order,
//! repeated or with gaps (`SET gtid_seq_no`, replication from several masters into one
//! domain): [`VerifyOptions::strict_gtids`] `false` turns those into notes.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use binvault_parser::events::EventData;
use binvault_parser::{Decoder, DecoderOptions, ErrorKind, EventType};
use binvault_protocol::gtid::MysqlGtidSet;
use serde::Serialize;

use crate::archive::{Durable, STATE_FILE};
use crate::error::{Error, Result};
use crate::index::{FileEntry, Index, INDEX_FILE};
use crate::scan::{classify, gtid_text, scan_source, track, Damage, Scan, Source, MAX_EVENT_SIZE};
use crate::seal::{sha256_file, sha256_hex};
use crate::status::{data_files, load_state, next_binlog_name, server_dirs};
use crate::txn::{TxGtid, TxnTracker};

/// At most this many notes are kept per file (the rest are counted).
const MAX_NOTES: usize = 20;

/// How strict the checks are.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// MariaDB GTIDs out of order, repeated or with a gap are problems (the source runs
    /// with `gtid_strict_mode=ON`). When `false` they are notes.
    pub strict_gtids: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions { strict_gtids: true }
    }
}

/// Progress, reported before each file and once at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// The server directory's name.
    pub server: String,
    /// The file about to be checked (empty at the end).
    pub file: String,
    /// Files checked so far.
    pub files_done: u64,
    /// Files to check in all.
    pub files_total: u64,
    /// Bytes (uncompressed, as the index records them) checked so far.
    pub bytes_done: u64,
    /// Bytes to check in all (an estimate where the index is missing).
    pub bytes_total: u64,
}

/// The kind of a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// The index lists the file, it is not on disk.
    Missing,
    /// A binlog file the index does not list.
    NotInIndex,
    /// The file could not be read (an operating-system error, not its content).
    Unreadable,
    /// A `.gz` file does not decompress.
    BadGzip,
    /// The file does not start with `fe 62 69 6e`.
    BadMagic,
    /// An event's header or length is invalid, or its content does not decode.
    BadEvent,
    /// An event's CRC32 does not match its bytes.
    Checksum,
    /// An event's `log_pos` is not where the event ends.
    PositionChain,
    /// The file ends inside an event, or is shorter than the index records.
    Truncated,
    /// The file's length differs from the index's (sealed files).
    SizeMismatch,
    /// The sha256 of a sealed file differs from the index's.
    Sha256Mismatch,
    /// The index records facts the file does not hold.
    IndexMismatch,
    /// A file other than the last ends inside a transaction.
    IncompleteTransaction,
    /// The rotate chain between files is broken (a file missing or out of place).
    RotateChain,
    /// MariaDB: a sequence number not above the previous one of its domain.
    GtidOrder,
    /// MySQL: a GTID that appeared before.
    GtidRepeated,
    /// MariaDB: sequence numbers of a domain skip some.
    GtidGap,
    /// MariaDB: a file's GTID_LIST disagrees with the GTIDs of the files before it.
    GtidListMismatch,
    /// `index.json` is damaged.
    BadIndex,
    /// `state.json` is damaged.
    BadState,
    /// `state.json`'s durable position is not a transaction boundary the archive holds.
    DurableMismatch,
    /// `timeline.json` disagrees with the server directories: a switch that doubles or
    /// skips transactions, a segment start the directory does not hold, a divergent
    /// server's history archived, or a damaged timeline.
    Timeline,
}

impl ProblemKind {
    /// The name used in reports (`checksum`, `rotate_chain`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::Missing => "missing",
            ProblemKind::NotInIndex => "not_in_index",
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::BadGzip => "bad_gzip",
            ProblemKind::BadMagic => "bad_magic",
            ProblemKind::BadEvent => "bad_event",
            ProblemKind::Checksum => "checksum",
            ProblemKind::PositionChain => "position_chain",
            ProblemKind::Truncated => "truncated",
            ProblemKind::SizeMismatch => "size_mismatch",
            ProblemKind::Sha256Mismatch => "sha256_mismatch",
            ProblemKind::IndexMismatch => "index_mismatch",
            ProblemKind::IncompleteTransaction => "incomplete_transaction",
            ProblemKind::RotateChain => "rotate_chain",
            ProblemKind::GtidOrder => "gtid_order",
            ProblemKind::GtidRepeated => "gtid_repeated",
            ProblemKind::GtidGap => "gtid_gap",
            ProblemKind::GtidListMismatch => "gtid_list_mismatch",
            ProblemKind::BadIndex => "bad_index",
            ProblemKind::BadState => "bad_state",
            ProblemKind::DurableMismatch => "durable_mismatch",
            ProblemKind::Timeline => "timeline",
        }
    }

    /// True for the GTID continuity checks' kinds.
    pub fn is_gtid(self) -> bool {
        matches!(
            self,
            ProblemKind::GtidOrder
                | ProblemKind::GtidRepeated
                | ProblemKind::GtidGap
                | ProblemKind::GtidListMismatch
        )
    }

    /// True for a failure to read (an I/O error), as opposed to damaged or inconsistent data.
    pub fn is_io(self) -> bool {
        self == ProblemKind::Unreadable
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One problem: what, where, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// The file (stored name) it concerns, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Byte offset in the (uncompressed) file, when the problem has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// What is wrong, in words.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        f.write_str(self.kind.name())?;
        if let Some(o) = self.offset {
            write!(f, " at offset {o}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// The verdict on one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The source's file name.
    pub name: String,
    /// Where it is stored (`NAME` or `NAME.gz`).
    pub path: String,
    /// Bytes of binlog data read (uncompressed).
    pub size: u64,
    /// The index says the file is sealed.
    pub sealed: bool,
    /// Stored gzip-compressed.
    pub compressed: bool,
    /// Whole events read.
    pub events: u64,
    /// Committed transactions read.
    pub transactions: u64,
    /// The first problem found in the file; `None` when the file is OK.
    pub problem: Option<Problem>,
    /// Facts worth knowing that are not problems (a torn tail the next start cuts off, a
    /// file ending without rotate, ...).
    pub notes: Vec<String>,
}

impl FileReport {
    /// No problem found.
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }

    fn note(&mut self, note: String) {
        match self.notes.len() {
            n if n < MAX_NOTES => self.notes.push(note),
            n if n == MAX_NOTES => self.notes.push("(more notes left out)".into()),
            _ => {}
        }
    }

    /// Records `p` unless a problem was found first.
    fn problem(&mut self, p: Problem) {
        if self.problem.is_none() {
            self.problem = Some(p);
        }
    }
}

/// The verdict on one server directory.
#[derive(Debug, Clone, Serialize)]
pub struct ServerReport {
    /// The directory's name (`server-1`).
    pub name: String,
    /// The directory.
    pub dir: String,
    /// Problems of the directory itself (damaged index or state, a durable position
    /// outside the archive).
    pub problems: Vec<Problem>,
    /// Notes about the directory.
    pub notes: Vec<String>,
    /// The files, in stream order.
    pub files: Vec<FileReport>,
}

impl ServerReport {
    /// No problem in the directory nor in any file.
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && self.files.iter().all(FileReport::ok)
    }
}

/// Totals.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Server directories checked.
    pub servers: u64,
    /// Files checked.
    pub files: u64,
    /// Files without a problem.
    pub files_ok: u64,
    /// Problems found (at most one per file, plus the directories' own).
    pub problems: u64,
    /// Events read.
    pub events: u64,
    /// Transactions read.
    pub transactions: u64,
    /// Bytes of binlog data read (uncompressed).
    pub bytes: u64,
}

/// What [`verify_archive`] found.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// The directory given.
    pub archive: String,
    /// Totals.
    pub summary: Summary,
    /// Per server directory.
    pub servers: Vec<ServerReport>,
    /// Problems of the history across servers (`timeline.json`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<Problem>,
}

impl VerifyReport {
    /// No problem anywhere.
    pub fn ok(&self) -> bool {
        self.summary.problems == 0
    }

    /// Every problem, in report order.
    pub fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.timeline
            .iter()
            .chain(self.servers.iter().flat_map(|s| {
                s.problems
                    .iter()
                    .chain(s.files.iter().filter_map(|f| f.problem.as_ref()))
            }))
    }
}

/// Verifies the archive at `dir`: an archive root (every subdirectory holding an
/// `index.json`, a `state.json` or binlog files is a server directory) or one server
/// directory. Problems in the data are in the report; `Err` only when the directory cannot
/// be read at all (missing, not a directory, unreadable listing).
pub fn verify_archive(dir: &Path, progress: &mut dyn FnMut(Progress)) -> Result<VerifyReport> {
    verify_archive_with(dir, &VerifyOptions::default(), progress)
}

/// [`verify_archive`] with options.
pub fn verify_archive_with(
    dir: &Path,
    options: &VerifyOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<VerifyReport> {
    let mut plans = Vec::new();
    for server in server_dirs(dir)? {
        plans.push(plan(&server)?);
    }
    let files_total = plans.iter().map(|p| p.files.len() as u64).sum();
    let bytes_total = plans.iter().flat_map(|p| &p.files).map(|f| f.bytes).sum();
    let mut tick = Tick {
        progress,
        files_done: 0,
        files_total,
        bytes_done: 0,
        bytes_total,
    };
    let mut servers = Vec::new();
    for p in plans {
        servers.push(verify_server(p, options, &mut tick));
    }
    (tick.progress)(Progress {
        server: String::new(),
        file: String::new(),
        files_done: tick.files_done,
        files_total,
        bytes_done: tick.bytes_done,
        bytes_total,
    });
    let mut summary = Summary {
        servers: servers.len() as u64,
        ..Summary::default()
    };
    for s in &servers {
        summary.problems += s.problems.len() as u64;
        for f in &s.files {
            summary.files += 1;
            summary.files_ok += u64::from(f.ok());
            summary.problems += u64::from(!f.ok());
            summary.events += f.events;
            summary.transactions += f.transactions;
            summary.bytes += f.size;
        }
    }
    let timeline = verify_timeline(dir);
    summary.problems += timeline.len() as u64;
    Ok(VerifyReport {
        archive: dir.display().to_string(),
        summary,
        servers,
        timeline,
    })
}

/// Checks the history across servers: every segment's directory holds its start, no
/// transaction is in two segments, MariaDB sequence numbers go on across each switch
/// without a gap, and no divergent server's directory is in the archive.
fn verify_timeline(root: &Path) -> Vec<Problem> {
    use crate::timeline::{GtidKey, History, Timeline};
    let problem = |reason: String| Problem {
        kind: ProblemKind::Timeline,
        file: Some(crate::timeline::TIMELINE_FILE.into()),
        offset: None,
        reason,
    };
    let t = match Timeline::load(root) {
        Ok(Some(t)) => t,
        Ok(None) => return Vec::new(),
        Err(e) => return vec![problem(e.to_string())],
    };
    let mut out = Vec::new();
    let mut prev: Option<(String, History)> = None;
    for seg in &t.segments {
        let dir = root.join(&seg.server_dir);
        let index = match crate::index::Index::load(&dir) {
            Ok(Some(ix)) => ix,
            Ok(None) => {
                if seg.end_file.is_some() || dir.exists() {
                    out.push(problem(format!(
                        "{}: no index for the segment",
                        seg.server_dir
                    )));
                }
                continue;
            }
            Err(e) => {
                out.push(problem(format!("{}: {e}", seg.server_dir)));
                continue;
            }
        };
        if let (Some(file), Some(offset)) = (&seg.start_file, seg.start_offset) {
            match index.get(file) {
                None => out.push(problem(format!(
                    "{}: the segment starts in {file}, which the directory does not hold",
                    seg.server_dir
                ))),
                Some(e) if offset > 4 && !e.holes.iter().any(|h| h[1] == offset) && e.size < offset => {
                    out.push(problem(format!(
                        "{}: the segment starts at {file}:{offset}, beyond what the directory holds ({})",
                        seg.server_dir, e.size
                    )))
                }
                Some(_) => {}
            }
        }
        let mut gtids = crate::gtid::GtidTracker::default();
        for f in &index.files {
            gtids.merge(&crate::gtid::GtidTracker::from_ranges(&f.gtids));
        }
        let ranges = gtids.ranges();
        let history = History::from_ranges(&ranges);
        if let Some((prev_dir, prev_h)) = &prev {
            for r in &ranges.mariadb {
                let key = GtidKey::Maria(r.domain, r.server);
                if !prev_h.within(&key, r.first, r.last).is_empty() {
                    out.push(problem(format!(
                        "{} and {prev_dir} both hold transactions of {}",
                        seg.server_dir,
                        key.range_text(r.first, r.last)
                    )));
                }
            }
            // per domain: the new segment's first sequence number follows the old one's last
            let last_of = |h: &[crate::gtid::MariaRange], d: u32, first: bool| {
                let it = h.iter().filter(|r| r.domain == d);
                if first {
                    it.map(|r| r.first).min()
                } else {
                    it.map(|r| r.last).max()
                }
            };
            let prev_ranges = prev_h.maria_ranges();
            let domains: std::collections::BTreeSet<u32> =
                ranges.mariadb.iter().map(|r| r.domain).collect();
            for d in domains {
                if let (Some(end), Some(begin)) = (
                    last_of(&prev_ranges, d, false),
                    last_of(&ranges.mariadb, d, true),
                ) {
                    if begin != end + 1 {
                        out.push(problem(format!(
                            "domain {d}: {prev_dir} ends at sequence number {end}, {} begins at {begin}",
                            seg.server_dir
                        )));
                    }
                }
            }
        }
        prev = Some((seg.server_dir.clone(), history));
    }
    for d in &t.diverged {
        if root
            .join(&d.server_dir)
            .join(crate::index::INDEX_FILE)
            .exists()
            && !t.segments.iter().any(|s| s.server_dir == d.server_dir)
        {
            out.push(problem(format!(
                "{} is recorded as divergent but its history is in the archive",
                d.server_dir
            )));
        }
    }
    out
}

struct Tick<'a> {
    progress: &'a mut dyn FnMut(Progress),
    files_done: u64,
    files_total: u64,
    bytes_done: u64,
    bytes_total: u64,
}

/// A file to check.
#[derive(Debug)]
struct Planned {
    name: String,
    stored: String,
    entry: Option<FileEntry>,
    on_disk: bool,
    /// Listed in the index (false: found on disk only, while an index exists).
    listed: bool,
    /// Size for the progress bar.
    bytes: u64,
}

#[derive(Debug)]
struct Plan {
    dir: PathBuf,
    name: String,
    files: Vec<Planned>,
    problems: Vec<Problem>,
    notes: Vec<String>,
    state: Option<Durable>,
}

fn plan(dir: &Path) -> Result<Plan> {
    let name = dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let names = data_files(dir)?;
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let index = match Index::load(dir) {
        Ok(i) => {
            if i.is_none() && !names.is_empty() {
                notes.push(format!("no {INDEX_FILE}: files checked in name order, without sizes or sha256 to compare"));
            }
            i
        }
        Err(Error::Metadata { reason, .. }) => {
            problems.push(Problem {
                kind: ProblemKind::BadIndex,
                file: Some(INDEX_FILE.into()),
                offset: None,
                reason: format!(
                    "{reason}; files checked in name order, without sizes or sha256 to compare"
                ),
            });
            None
        }
        Err(e) => return Err(e),
    };
    let state = match load_state(dir) {
        Ok(s) => {
            if s.is_none() && !names.is_empty() {
                notes.push(format!(
                    "no {STATE_FILE}: the durable position is not recorded"
                ));
            }
            s
        }
        Err(Error::Metadata { reason, .. }) => {
            problems.push(Problem {
                kind: ProblemKind::BadState,
                file: Some(STATE_FILE.into()),
                offset: None,
                reason,
            });
            None
        }
        Err(e) => return Err(e),
    };
    let disk_size = |stored: &str| std::fs::metadata(dir.join(stored)).map_or(0, |m| m.len());
    let mut files: Vec<Planned> = Vec::new();
    match index {
        Some(index) => {
            for entry in index.files {
                let stored = entry.stored_name();
                files.push(Planned {
                    name: entry.name.clone(),
                    on_disk: names.contains(&stored),
                    stored,
                    bytes: entry.size,
                    entry: Some(entry),
                    listed: true,
                });
            }
            for n in &names {
                if !files.iter().any(|f| &f.stored == n) {
                    files.push(Planned {
                        name: n.strip_suffix(".gz").unwrap_or(n).to_owned(),
                        stored: n.clone(),
                        entry: None,
                        on_disk: true,
                        listed: false,
                        bytes: 0,
                    });
                }
            }
        }
        None => {
            for n in &names {
                files.push(Planned {
                    name: n.strip_suffix(".gz").unwrap_or(n).to_owned(),
                    stored: n.clone(),
                    entry: None,
                    on_disk: true,
                    listed: true,
                    bytes: disk_size(n),
                });
            }
        }
    }
    if let Some(s) = &state {
        if !s.file.is_empty() && !files.iter().any(|f| f.listed && f.name == s.file) {
            problems.push(Problem {
                kind: ProblemKind::DurableMismatch,
                file: Some(STATE_FILE.into()),
                offset: None,
                reason: format!(
                    "the durable position is in {}, which the archive does not hold",
                    s.file
                ),
            });
        }
    }
    Ok(Plan {
        dir: dir.to_path_buf(),
        name,
        files,
        problems,
        notes,
        state,
    })
}

/// How a file ended, for the rotate chain.
#[derive(Debug, Clone)]
enum Ending {
    /// A ROTATE event at `offset` naming the next file.
    Rotate { offset: u64, next: String },
    /// A STOP event (the source shut down).
    Stop,
    /// Some other event (the source crashed or restarted, or the file is still open).
    Other,
    /// Nothing is known (the file is missing or damaged).
    Unknown,
}

fn verify_server(plan: Plan, options: &VerifyOptions, tick: &mut Tick<'_>) -> ServerReport {
    let mut gtids = Continuity::new(options.strict_gtids);
    let mut files: Vec<FileReport> = Vec::new();
    // The files in the chain: those the index lists (or all, without an index).
    let chain: Vec<usize> = plan
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.listed)
        .map(|(i, _)| i)
        .collect();
    for (i, f) in plan.files.iter().enumerate() {
        (tick.progress)(Progress {
            server: plan.name.clone(),
            file: f.stored.clone(),
            files_done: tick.files_done,
            files_total: tick.files_total,
            bytes_done: tick.bytes_done,
            bytes_total: tick.bytes_total,
        });
        let at = chain.iter().position(|&c| c == i);
        let next = at
            .and_then(|a| chain.get(a + 1))
            .and_then(|&n| plan.files.get(n))
            .map(|n| n.name.as_str());
        let is_last = at.is_some_and(|a| a + 1 == chain.len());
        let state = plan.state.as_ref().filter(|s| s.file == f.name && f.listed);
        let report = verify_file(&plan.dir, f, next, is_last, state, &mut gtids);
        tick.files_done += 1;
        tick.bytes_done += f.bytes;
        files.push(report);
    }
    ServerReport {
        name: plan.name,
        dir: plan.dir.display().to_string(),
        problems: plan.problems,
        notes: plan.notes,
        files,
    }
}

/// A stored file's binlog data: a plain file is read by position (memory stays bounded by
/// the largest event), a `.gz` is decompressed into memory.
#[derive(Debug)]
enum Content {
    File(std::fs::File),
    Memory(Memory),
}

/// Decompressed binlog data.
#[derive(Debug)]
struct Memory(Vec<u8>);

impl Source for Memory {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.0.as_slice().read_at(pos, buf)
    }
}

impl Content {
    fn source(&self) -> &dyn Source {
        match self {
            Content::File(f) => f,
            Content::Memory(m) => m,
        }
    }
}

/// Opens a stored file; `Err` is the problem (unreadable, bad gzip).
fn open_stored(path: &Path, stored: &str) -> std::result::Result<Content, Problem> {
    let problem = |kind, reason: String| Problem {
        kind,
        file: Some(stored.to_owned()),
        offset: None,
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| {
        problem(
            ProblemKind::Unreadable,
            format!("cannot open {}: {e}", path.display()),
        )
    })?;
    if !stored.ends_with(".gz") {
        return Ok(Content::File(file));
    }
    let mut data = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut data)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData
            | std::io::ErrorKind::InvalidInput
            | std::io::ErrorKind::UnexpectedEof => problem(
                ProblemKind::BadGzip,
                format!(
                    "does not decompress ({e}) after {} bytes of binlog data",
                    data.len()
                ),
            ),
            _ => problem(
                ProblemKind::Unreadable,
                format!("cannot read {}: {e}", path.display()),
            ),
        })?;
    Ok(Content::Memory(Memory(data)))
}

fn verify_file(
    dir: &Path,
    f: &Planned,
    next: Option<&str>,
    is_last: bool,
    state: Option<&Durable>,
    gtids: &mut Continuity,
) -> FileReport {
    let entry = f.entry.as_ref();
    let mut r = FileReport {
        name: f.name.clone(),
        path: dir.join(&f.stored).display().to_string(),
        size: 0,
        sealed: entry.is_some_and(|e| e.sealed),
        compressed: f.stored.ends_with(".gz"),
        events: 0,
        transactions: 0,
        problem: None,
        notes: Vec::new(),
    };
    let at = |kind, offset: Option<u64>, reason: String| Problem {
        kind,
        file: Some(f.stored.clone()),
        offset,
        reason,
    };
    if !f.on_disk {
        let other = if f.stored.ends_with(".gz") {
            f.name.clone()
        } else {
            format!("{}.gz", f.name)
        };
        let hint = if dir.join(&other).is_file() {
            format!(" ({other} is there, which the index does not list)")
        } else {
            String::new()
        };
        r.problem(at(
            ProblemKind::Missing,
            None,
            format!(
                "the index lists {}, it is not in {}{hint}",
                f.stored,
                dir.display()
            ),
        ));
        gtids.restart();
        return r;
    }
    if !f.listed {
        r.problem(at(
            ProblemKind::NotInIndex,
            None,
            format!("{INDEX_FILE} does not list this file (a leftover, or a file the archive does not know of)"),
        ));
        return r;
    }
    let path = dir.join(&f.stored);
    let unreadable = |r: &mut FileReport, gtids: &mut Continuity, e: &dyn fmt::Display| {
        r.problem(at(
            ProblemKind::Unreadable,
            None,
            format!("cannot read {}: {e}", path.display()),
        ));
        gtids.restart();
    };
    let content = match open_stored(&path, &f.stored) {
        Ok(c) => c,
        Err(p) => {
            r.problem(p);
            gtids.restart();
            return r;
        }
    };
    let src = content.source();
    let len = src.len();
    r.size = len;
    let holes: &[[u64; 2]] = entry.map_or(&[], |e| &e.holes);
    let s = match scan_source(&path, &f.name, src, holes, u64::MAX) {
        Ok(s) => s,
        Err(e) => {
            unreadable(&mut r, gtids, &e);
            return r;
        }
    };
    let mut targets: Vec<u64> = entry
        .map(|e| e.checkpoints.iter().map(|c| c.offset).collect())
        .unwrap_or_default();
    if let Some(d) = state {
        targets.push(d.offset);
    }
    let w = match walk(src, &s, &targets) {
        Ok(w) => w,
        Err(e) => {
            unreadable(&mut r, gtids, &e);
            return r;
        }
    };
    r.events = s.events;
    r.transactions = s.entry.transactions;
    let sealed = r.sealed;
    let whole = s.damage.is_none();

    // 1. The bytes: magic, lengths, CRC32, position chain.
    match &s.damage {
        Some(Damage::Corrupt { offset, reason }) => {
            r.problem(at(
                w.damage_kind.unwrap_or(ProblemKind::BadEvent),
                Some(*offset),
                reason.clone(),
            ));
        }
        Some(Damage::Torn { offset, reason }) => {
            let recorded = entry.map_or(0, |e| e.size);
            let kind = w.damage_kind.unwrap_or(ProblemKind::Truncated);
            if sealed || !is_last {
                let why = match entry {
                    Some(e) => format!(
                        "{reason}; the file is {len} bytes, the index records {}",
                        e.size
                    ),
                    None => format!("{reason}; a later file follows, so this one should be whole"),
                };
                r.problem(at(kind, Some(*offset), why));
            } else if *offset < recorded {
                r.problem(at(
                    kind,
                    Some(*offset),
                    format!("{reason}; the index records whole transactions up to {recorded}"),
                ));
            } else {
                r.note(format!(
                    "torn tail at {offset} ({} bytes: {reason}): the file is being written, or the writer stopped; \
                     the next `binvault stream` cuts it back to {}",
                    len - offset,
                    s.last_boundary
                ));
            }
        }
        None => {}
    }

    // 2. Against the index.
    if let Some(e) = entry {
        if sealed && len != e.size {
            r.problem(at(
                ProblemKind::SizeMismatch,
                Some(e.size.min(len)),
                format!(
                    "the file is {len} bytes, the index records {} for this sealed file",
                    e.size
                ),
            ));
        } else if !sealed && (len) < e.size {
            r.problem(at(
                ProblemKind::Truncated,
                Some(len),
                format!(
                    "the file is {len} bytes, the index records whole transactions up to {}",
                    e.size
                ),
            ));
        } else if !sealed && len > e.size && is_last {
            r.note(format!(
                "{} bytes after the size the index records ({}): written since the index was saved",
                len - e.size,
                e.size
            ));
        }
        if sealed {
            match &e.sha256 {
                None => r.problem(at(
                    ProblemKind::IndexMismatch,
                    None,
                    "sealed, but the index records no sha256".into(),
                )),
                Some(want) => {
                    let got = match &content {
                        Content::Memory(m) => Ok(sha256_hex(&m.0)),
                        Content::File(_) => sha256_file(&path).map(|(h, _)| h),
                    };
                    match got {
                        Ok(got) if &got != want => {
                            r.problem(at(
                                ProblemKind::Sha256Mismatch,
                                None,
                                format!("sha256 is {got}, the index records {want}"),
                            ));
                        }
                        Ok(_) => {}
                        Err(e) => r.problem(at(ProblemKind::Unreadable, None, e.to_string())),
                    }
                }
            }
        }
        if !sealed && !is_last {
            r.note("not sealed, although later files follow".into());
        }
        for c in &e.checkpoints {
            if c.offset <= s.last_boundary && !w.boundaries.contains(&c.offset) {
                r.problem(at(
                    ProblemKind::IndexMismatch,
                    Some(c.offset),
                    "the index has a checkpoint here, which is not a transaction boundary".into(),
                ));
            }
        }
    }
    for h in &s.entry.holes {
        r.note(format!("hole [{}, {}): a range the source skipped (the stream began mid-file); GTID checks restart after it", h[0], h[1]));
    }

    // 3. How the file ends.
    if whole && s.last_boundary < s.end {
        if sealed || !is_last {
            r.problem(at(
                ProblemKind::IncompleteTransaction,
                Some(s.last_boundary),
                format!("the file ends inside a transaction that starts at {} ({} bytes); only the last file may", s.last_boundary, s.end - s.last_boundary),
            ));
        } else {
            r.note(format!("ends inside a transaction from {} (not yet durable, or cut back on the next start)", s.last_boundary));
        }
    }
    let ending = if whole {
        w.ending.clone()
    } else {
        Ending::Unknown
    };
    let mut chain_broken = !whole;
    match (&ending, next) {
        (
            Ending::Rotate {
                offset,
                next: named,
            },
            Some(n),
        ) if named != n => {
            r.problem(at(
                ProblemKind::RotateChain,
                Some(*offset),
                format!("the file's ROTATE names {named}, but the next archived file is {n}: {named} is missing or out of place"),
            ));
            chain_broken = true;
        }
        (Ending::Rotate { next: named, .. }, None) => {
            r.note(format!(
                "the source went on to {named}, which is not archived yet"
            ));
        }
        (Ending::Stop | Ending::Other, Some(n)) => {
            let how = match ending {
                Ending::Stop => "ends with STOP (the source was shut down)",
                _ => "ends without ROTATE or STOP (the source crashed or was restarted)",
            };
            if next_binlog_name(&f.name).as_deref() == Some(n) {
                r.note(format!("{how}; {n} continues"));
            } else {
                r.problem(at(
                    ProblemKind::RotateChain,
                    Some(s.end),
                    format!(
                        "{how}, and the next archived file is {n}, not {}: files are missing",
                        next_binlog_name(&f.name).unwrap_or_else(|| "the next in sequence".into())
                    ),
                ));
                chain_broken = true;
            }
        }
        _ => {}
    }

    // 4. The facts the index caches.
    if let Some(e) = entry.filter(|_| whole && sealed) {
        index_facts(&mut r, e, &s, &at);
    }

    // 5. GTID continuity (fed even after a problem, so that the next file is checked
    //    against the right state).
    let stored: Rc<str> = Rc::from(f.stored.as_str());
    for item in &w.items {
        if let Some((kind, offset, reason)) = gtids.feed(&stored, item) {
            // A GTID_LIST holds the last GTID of each domain and server in binlog order,
            // strict mode or not; MySQL never logs a GTID twice.
            if gtids.strict
                || matches!(
                    kind,
                    ProblemKind::GtidRepeated | ProblemKind::GtidListMismatch
                )
            {
                r.problem(at(kind, Some(offset), reason));
            } else {
                r.note(format!(
                    "{kind} at offset {offset}: {reason} (allowed: GTID checks are not strict)"
                ));
            }
        }
    }
    // After a file whose content is not what it should be (damaged, incomplete, out of
    // place), the next one is checked afresh: its GTID list seeds the state, and the loss
    // is not reported twice.
    let structural = r.problem.as_ref().is_some_and(|p| !p.kind.is_gtid());
    if chain_broken || structural {
        gtids.restart();
    }

    // 6. The durable position.
    if let Some(d) = state {
        if d.offset > s.last_boundary {
            r.problem(at(
                ProblemKind::DurableMismatch,
                Some(d.offset),
                format!("{STATE_FILE} says whole transactions are durable up to {}, the file holds them up to {}", d.offset, s.last_boundary),
            ));
        } else if !w.boundaries.contains(&d.offset) {
            r.problem(at(
                ProblemKind::DurableMismatch,
                Some(d.offset),
                format!(
                    "{STATE_FILE}'s durable position {} is not a transaction boundary",
                    d.offset
                ),
            ));
        }
    }
    r
}

/// Compares the facts the index caches for a sealed file with the file's.
fn index_facts(
    r: &mut FileReport,
    e: &FileEntry,
    s: &Scan,
    at: &dyn Fn(ProblemKind, Option<u64>, String) -> Problem,
) {
    let mut differ = |what: &str, recorded: String, found: String| {
        r.problem(at(
            ProblemKind::IndexMismatch,
            None,
            format!("the index records {what} {recorded}, the file holds {found}"),
        ));
    };
    let show = |n: &Option<String>| n.clone().unwrap_or_else(|| "none".into());
    if e.next_file != s.entry.next_file {
        differ("next file", show(&e.next_file), show(&s.entry.next_file));
    }
    if e.transactions != s.entry.transactions {
        differ(
            "transactions",
            e.transactions.to_string(),
            s.entry.transactions.to_string(),
        );
    }
    if e.gtids != s.entry.gtids {
        differ(
            "GTIDs",
            format!("[{}]", e.gtids),
            format!("[{}]", s.entry.gtids),
        );
    }
    if e.holes != s.entry.holes {
        differ(
            "holes",
            format!("{:?}", e.holes),
            format!("{:?}", s.entry.holes),
        );
    }
}

/// What the second pass over a file collects, in stream order.
#[derive(Debug)]
enum Item {
    /// A range the source skipped.
    Hole,
    /// MariaDB GTID_LIST at `offset`: `(domain, server, seq)`.
    GtidList {
        offset: u64,
        gtids: Vec<(u32, u32, u64)>,
    },
    /// A committed transaction's GTID; `offset` is where the transaction starts.
    Gtid { offset: u64, gtid: TxGtid },
}

#[derive(Debug)]
struct Walk {
    items: Vec<Item>,
    ending: Ending,
    /// What is wrong at the damage the scan stopped at.
    damage_kind: Option<ProblemKind>,
    /// The targets that are transaction boundaries.
    boundaries: HashSet<u64>,
}

/// Reads the event at `pos` into `buf`; the inner `Err` says why no whole event with a
/// valid length starts there.
fn read_event(
    src: &dyn Source,
    pos: u64,
    buf: &mut Vec<u8>,
) -> std::io::Result<Result<(), EventRead>> {
    let rest = src.len().saturating_sub(pos);
    if rest < 19 {
        return Ok(Err(EventRead::CutShort));
    }
    let mut head = [0u8; 19];
    src.read_at(pos, &mut head)?;
    let size = u64::from(u32::from_le_bytes([head[9], head[10], head[11], head[12]]));
    if !(19..=MAX_EVENT_SIZE).contains(&size) {
        return Ok(Err(EventRead::BadLength));
    }
    if size > rest {
        return Ok(Err(EventRead::CutShort));
    }
    buf.resize(usize::try_from(size).unwrap_or(usize::MAX), 0);
    src.read_at(pos, buf)?;
    Ok(Ok(()))
}

/// Why no event could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventRead {
    /// The file ends inside it.
    CutShort,
    /// Its length field is impossible.
    BadLength,
}

/// True when `[from, end of src)` holds only zeros.
fn zeros_to_end(src: &dyn Source, from: u64) -> std::io::Result<bool> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut pos = from;
    let len = src.len();
    while pos < len {
        let n = usize::try_from(len - pos)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let chunk = &mut buf[..n];
        src.read_at(pos, chunk)?;
        if chunk.iter().any(|&b| b != 0) {
            return Ok(false);
        }
        pos += n as u64;
    }
    Ok(true)
}

/// Second pass over the valid part of a file (up to `s.end`): GTIDs with their offsets,
/// GTID lists, holes, the last event, transaction boundaries among `targets`; and what kind
/// of damage stopped the scan.
fn walk(src: &dyn Source, s: &Scan, targets: &[u64]) -> std::io::Result<Walk> {
    let mut w = Walk {
        items: Vec::new(),
        ending: Ending::Unknown,
        damage_kind: None,
        boundaries: HashSet::new(),
    };
    let mark = |w: &mut Walk, pos: u64| {
        if targets.contains(&pos) {
            w.boundaries.insert(pos);
        }
    };
    let len = src.len();
    if s.end < 4 || len < 4 {
        if s.damage.is_some() {
            w.damage_kind = Some(if len < 4 {
                ProblemKind::Truncated
            } else {
                ProblemKind::BadMagic
            });
        }
        return Ok(w);
    }
    let mut decoder = Decoder::new();
    decoder.set_options(DecoderOptions {
        verify_checksums: true,
        max_event_size: MAX_EVENT_SIZE,
        ..DecoderOptions::default()
    });
    let mut tracker = TxnTracker::new();
    let end = s.end.min(len);
    let mut pos = 4u64;
    let mut tx_start = 4u64;
    let mut raw = Vec::new();
    mark(&mut w, 4);
    while pos < end {
        if let Some(h) = s.entry.holes.iter().find(|h| h[0] == pos) {
            w.items.push(Item::Hole);
            pos = h[1];
            mark(&mut w, h[1]);
            continue;
        }
        if read_event(src, pos, &mut raw)?.is_err() || pos + raw.len() as u64 > end {
            break;
        }
        let Ok(event) = classify(&mut decoder, pos, &raw) else {
            break;
        };
        if event.event_type == EventType::MariaGtidList {
            if let Ok(full) = decoder.decode(pos, &raw) {
                if let EventData::MariaGtidList(l) = full.data {
                    let gtids = l
                        .gtids()
                        .map(|g| (g.domain_id, g.server_id, g.seq_no))
                        .collect();
                    w.items.push(Item::GtidList { offset: pos, gtids });
                }
            }
        }
        let starts = matches!(
            event.data,
            EventData::MariaGtid(_) | EventData::Gtid(_) | EventData::GtidTagged(_)
        );
        let was_in = tracker.in_transaction();
        let step = track(&mut tracker, &event);
        if starts || (!was_in && tracker.in_transaction()) {
            tx_start = pos;
        }
        if let Some(Some(gtid)) = step.committed {
            w.items.push(Item::Gtid {
                offset: tx_start,
                gtid,
            });
        }
        w.ending = match &event.data {
            EventData::Rotate(r) => Ending::Rotate {
                offset: pos,
                next: String::from_utf8_lossy(r.next_file).into_owned(),
            },
            EventData::Stop => Ending::Stop,
            _ => Ending::Other,
        };
        pos += raw.len() as u64;
        if step.boundary {
            mark(&mut w, pos);
        }
    }
    if s.damage.is_some() && pos == end {
        w.damage_kind = Some(damage_kind(&mut decoder, src, pos, &s.entry.holes)?);
    }
    Ok(w)
}

/// What kind of damage starts at `pos` (where the scan stopped), read with the decoder
/// state of the events before it.
fn damage_kind(
    decoder: &mut Decoder,
    src: &dyn Source,
    pos: u64,
    holes: &[[u64; 2]],
) -> std::io::Result<ProblemKind> {
    if zeros_to_end(src, pos)? {
        return Ok(ProblemKind::Truncated); // zeros to the end: a tail the file system lost
    }
    if holes.iter().any(|h| h[0] == pos) {
        return Ok(ProblemKind::BadEvent); // not the zeros a hole should hold
    }
    let mut raw = Vec::new();
    Ok(match read_event(src, pos, &mut raw)? {
        Err(EventRead::CutShort) => ProblemKind::Truncated,
        Err(EventRead::BadLength) => ProblemKind::BadEvent,
        Ok(()) => match classify(decoder, pos, &raw) {
            Err(e) if matches!(e.kind, ErrorKind::BadChecksum { .. }) => ProblemKind::Checksum,
            Err(_) => ProblemKind::BadEvent,
            Ok(ev)
                if ev.header.log_pos != 0
                    && u64::from(ev.header.log_pos) != pos + raw.len() as u64 =>
            {
                ProblemKind::PositionChain
            }
            Ok(_) => ProblemKind::BadEvent,
        },
    })
}

/// Where a GTID was seen.
#[derive(Debug, Clone)]
struct Seen {
    server: u32,
    seq: u64,
    /// The file (stored name) and offset of the transaction, or of the GTID list.
    file: Rc<str>,
    offset: u64,
    /// Seen in a GTID list, not as a transaction.
    listed: bool,
    epoch: u64,
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.listed {
            f.write_str("the GTID list of ")?;
        }
        write!(f, "{} at offset {}", self.file, self.offset)
    }
}

/// GTID continuity across the files of one server directory.
#[derive(Debug)]
struct Continuity {
    strict: bool,
    /// Incremented by a hole or a break in the chain: what was seen before no longer counts.
    epoch: u64,
    /// MariaDB: the highest sequence number of each domain.
    domains: BTreeMap<u32, Seen>,
    /// MariaDB: the last sequence number of each domain and server, in stream order.
    last: BTreeMap<(u32, u32), (u64, u64)>,
    /// MySQL: every GTID seen.
    mysql: MysqlGtidSet,
}

impl Continuity {
    fn new(strict: bool) -> Self {
        Continuity {
            strict,
            epoch: 0,
            domains: BTreeMap::new(),
            last: BTreeMap::new(),
            mysql: MysqlGtidSet::default(),
        }
    }

    fn restart(&mut self) {
        self.epoch += 1;
    }

    /// Feeds one item; returns the problem it shows, if any.
    fn feed(&mut self, file: &Rc<str>, item: &Item) -> Option<(ProblemKind, u64, String)> {
        match item {
            Item::Hole => {
                self.restart();
                None
            }
            Item::GtidList { offset, gtids } => {
                let mut problem = None;
                for &(d, s, n) in gtids {
                    if let Some(&(m, epoch)) = self.last.get(&(d, s)) {
                        if epoch == self.epoch && m != n && problem.is_none() {
                            let what = if n > m {
                                format!(
                                    "transactions {d}-{s}-{}..{n} are missing from the archive",
                                    m + 1
                                )
                            } else {
                                format!("the archive holds {d}-{s}-{m}, which the source had not logged")
                            };
                            problem = Some((
                                ProblemKind::GtidListMismatch,
                                *offset,
                                format!("the GTID list says the source's last GTID of domain {d} server {s} was {d}-{s}-{n}, the files before end with {d}-{s}-{m}: {what}"),
                            ));
                        }
                    }
                    self.last.insert((d, s), (n, self.epoch));
                    let known = self
                        .domains
                        .get(&d)
                        .is_some_and(|x| x.epoch == self.epoch && x.seq >= n);
                    if !known {
                        let seen = Seen {
                            server: s,
                            seq: n,
                            file: file.clone(),
                            offset: *offset,
                            listed: true,
                            epoch: self.epoch,
                        };
                        self.domains.insert(d, seen);
                    }
                }
                problem
            }
            Item::Gtid {
                offset,
                gtid:
                    TxGtid::Maria {
                        domain,
                        server,
                        seq,
                    },
            } => {
                let (d, s, n) = (*domain, *server, *seq);
                let mut problem = None;
                let seen = Seen {
                    server: s,
                    seq: n,
                    file: file.clone(),
                    offset: *offset,
                    listed: false,
                    epoch: self.epoch,
                };
                match self.domains.get(&d).filter(|x| x.epoch == self.epoch) {
                    Some(prev) if n <= prev.seq => {
                        let how = if n == prev.seq && s == prev.server {
                            "repeats"
                        } else {
                            "does not follow"
                        };
                        problem = Some((
                            ProblemKind::GtidOrder,
                            *offset,
                            format!(
                                "{d}-{s}-{n} {how} {d}-{}-{} ({prev}): the sequence numbers of domain {d} must increase",
                                prev.server, prev.seq
                            ),
                        ));
                    }
                    Some(prev) if n > prev.seq.saturating_add(1) => {
                        problem = Some((
                            ProblemKind::GtidGap,
                            *offset,
                            format!(
                                "domain {d} jumps from {d}-{}-{} ({prev}) to {d}-{s}-{n}: {} transaction(s) missing",
                                prev.server,
                                prev.seq,
                                n - prev.seq - 1
                            ),
                        ));
                        self.domains.insert(d, seen);
                    }
                    _ => {
                        self.domains.insert(d, seen);
                    }
                }
                self.last.insert((d, s), (n, self.epoch));
                problem
            }
            Item::Gtid {
                offset,
                gtid: g @ TxGtid::Mysql { sid, tag, gno },
            } => {
                if self.mysql.contains(*sid, tag, *gno) {
                    return Some((
                        ProblemKind::GtidRepeated,
                        *offset,
                        format!("{} appears earlier in the archive", gtid_text(Some(g))),
                    ));
                }
                self.mysql.insert(*sid, tag, *gno, *gno);
                None
            }
        }
    }
}
