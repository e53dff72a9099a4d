//! The restore plan: which archived files, from which offset to which, in history order, for a
//! start and a stop point — and the refusals when the archive cannot cover that range (a hole,
//! a gap between GTIDs, a file failing verify, a divergent server directory).
//!
//! The history is read from `timeline.json` ([`crate::timeline`]) when the archive has one,
//! otherwise the archive must hold a single server directory (one segment covering it all).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use binvault_protocol::gtid::MysqlGtidSet;
use binvault_sink::index::{Checkpoint, FileEntry};
use binvault_sink::status::{is_server_dir, server_dirs, server_status};
use binvault_sink::verify::{verify_archive_with, VerifyOptions};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::timeline::{Timeline, TIMELINE_FILE};

/// A GTID position or set given by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GtidSpec {
    /// MariaDB `domain-server-seq[,...]`: at most one per domain.
    Maria(BTreeMap<u32, (u32, u64)>),
    /// A MySQL GTID set `uuid:1-5[,...]`.
    Mysql(MysqlGtidSet),
}

impl GtidSpec {
    /// Parses a MariaDB GTID position (`0-1-100,1-2-5`) or a MySQL GTID set.
    pub fn parse(text: &str) -> Result<GtidSpec> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(GtidSpec::Maria(BTreeMap::new()));
        }
        if text.contains(':') {
            return text
                .parse::<MysqlGtidSet>()
                .map(GtidSpec::Mysql)
                .map_err(|e| Error::Usage(format!("{text:?} is not a MySQL GTID set: {e}")));
        }
        let mut map = BTreeMap::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let bad = || {
                Error::Usage(format!(
                    "{part:?} is not a MariaDB GTID (domain-server-sequence, e.g. 0-1-100)"
                ))
            };
            let mut it = part.splitn(3, '-');
            let d = it
                .next()
                .and_then(|x| x.parse::<u32>().ok())
                .ok_or_else(bad)?;
            let s = it
                .next()
                .and_then(|x| x.parse::<u32>().ok())
                .ok_or_else(bad)?;
            let q = it
                .next()
                .and_then(|x| x.parse::<u64>().ok())
                .ok_or_else(bad)?;
            if map.insert(d, (s, q)).is_some() {
                return Err(Error::Usage(format!(
                    "{text:?}: domain {d} is given twice (a GTID position has one GTID per domain)"
                )));
            }
        }
        Ok(GtidSpec::Maria(map))
    }
}

/// A position `FILE:OFFSET`, optionally in a given server directory (`server-2/FILE:OFFSET`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePos {
    /// The server directory's name, when given.
    pub dir: Option<String>,
    /// The binlog file name.
    pub file: String,
    /// The offset.
    pub offset: u64,
}

impl FilePos {
    /// Parses `[DIR/]FILE:OFFSET`.
    pub fn parse(text: &str) -> Result<FilePos> {
        let bad = || {
            Error::Usage(format!(
                "{text:?} is not a position: expected FILE:OFFSET, e.g. mariadb-bin.000002:1234 \
                 (or SERVER_DIR/FILE:OFFSET)"
            ))
        };
        let (path, off) = text.rsplit_once(':').ok_or_else(bad)?;
        let offset = off.trim().parse::<u64>().map_err(|_| bad())?;
        let (dir, file) = match path.rsplit_once('/') {
            Some((d, f)) => (Some(d.to_owned()), f.to_owned()),
            None => (None, path.to_owned()),
        };
        if file.is_empty()
            || dir
                .as_deref()
                .is_some_and(|d| d.is_empty() || d.contains('/'))
        {
            return Err(bad());
        }
        Ok(FilePos { dir, file, offset })
    }
}

/// Where the restore starts (the point the base backup was taken at).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Start {
    /// The archive's beginning.
    #[default]
    Beginning,
    /// After every transaction of this GTID position/set.
    Gtid(GtidSpec),
    /// At this position (a transaction boundary).
    Position(FilePos),
}

/// Where the restore stops; the first one reached wins.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stop {
    /// Before the first transaction whose first event is at or after this time (Unix seconds).
    pub datetime: Option<u32>,
    /// After the transaction(s) with these GTIDs (inclusive).
    pub gtid: Option<GtidSpec>,
    /// At this position: the transactions that end at or before it.
    pub position: Option<FilePos>,
}

/// What to restore.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The archive root or one server directory.
    pub archive: PathBuf,
    /// The start point.
    pub start: Start,
    /// The stop point.
    pub stop: Stop,
    /// Verify the files of the plan first (`binvault verify`'s checks) and refuse on a problem.
    pub verify: bool,
    /// MariaDB GTIDs out of order or with gaps are notes for verify, not problems.
    pub non_strict_gtids: bool,
}

/// One archived file to read, from `from` to `to`.
#[derive(Debug, Clone, Serialize)]
pub struct FileRange {
    /// The server directory's name (`server-1`).
    pub server: String,
    /// The server directory.
    #[serde(skip)]
    pub dir: PathBuf,
    /// The file's index entry.
    #[serde(skip)]
    pub entry: FileEntry,
    /// The source's file name.
    pub file: String,
    /// Stored gzip-compressed.
    pub compressed: bool,
    /// First byte to read (an event start at a transaction boundary).
    pub from: u64,
    /// Where reading stops (a transaction boundary).
    pub to: u64,
    /// The index lists the file but it is not on disk.
    #[serde(skip)]
    pub missing: bool,
}

impl FileRange {
    /// The file on disk.
    pub fn path(&self) -> PathBuf {
        self.dir.join(self.entry.stored_name())
    }
}

/// What a restore will read.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The files and ranges, in history order.
    pub ranges: Vec<FileRange>,
    /// Transactions of this GTID position/set are skipped (a GTID start).
    #[serde(skip)]
    pub skip_gtids: Option<GtidSpec>,
    /// Stop before the first transaction at or after this time.
    pub stop_datetime: Option<u32>,
    /// Stop after these GTIDs.
    #[serde(skip)]
    pub stop_gtid: Option<GtidSpec>,
    /// Facts worth knowing (not refusals).
    pub notes: Vec<String>,
}

impl Plan {
    /// Bytes the plan reads (sum of the ranges).
    pub fn bytes(&self) -> u64 {
        self.ranges
            .iter()
            .map(|r| r.to.saturating_sub(r.from))
            .sum()
    }
}

/// A segment resolved to a directory and its files.
struct ResolvedSegment {
    name: String,
    dir: PathBuf,
    files: Vec<FileEntry>,
    start: Option<(String, u64)>,
    end: Option<(String, Option<u64>)>,
    /// The durable end of the directory's last file (state.json), when it names it.
    durable: Option<(String, u64)>,
    /// Files the index lists that are not on disk (stored names).
    missing: Vec<String>,
}

fn dir_name(dir: &Path) -> String {
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The server directories of the history, in order.
fn segments(archive: &Path) -> Result<Vec<ResolvedSegment>> {
    let meta = std::fs::metadata(archive).map_err(|e| Error::Io {
        op: "open archive directory",
        path: archive.to_path_buf(),
        source: e,
    })?;
    if !meta.is_dir() {
        return Err(Error::Usage(format!(
            "{} is not a directory",
            archive.display()
        )));
    }
    let load = |dir: PathBuf, s: Option<&crate::timeline::Segment>| -> Result<ResolvedSegment> {
        let status = server_status(&dir)?;
        let durable = (!status.durable.file.is_empty())
            .then(|| (status.durable.file.clone(), status.durable.offset));
        Ok(ResolvedSegment {
            name: dir_name(&dir),
            dir,
            files: status.files,
            start: s.and_then(|s| {
                s.start_file
                    .clone()
                    .map(|f| (f, s.start_offset.unwrap_or(4)))
            }),
            end: s.and_then(|s| s.end_file.clone().map(|f| (f, s.end_offset))),
            durable,
            missing: status.missing,
        })
    };
    if is_server_dir(archive) {
        // one server directory given: refuse it when the root's timeline says it diverged
        let name = dir_name(archive);
        if let Some(parent) = archive.parent() {
            if let Some(t) = Timeline::load(parent)? {
                if let Some(d) = t.diverged(&name) {
                    return Err(Error::NotCovered(format!(
                        "{name} is listed as diverged in {}: {} (its history is kept apart and \
                         never restored)",
                        parent.join(TIMELINE_FILE).display(),
                        d.report
                    )));
                }
            }
        }
        return Ok(vec![load(archive.to_path_buf(), None)?]);
    }
    if let Some(t) = Timeline::load(archive)? {
        if t.segments.is_empty() {
            return Err(Error::NotCovered(format!(
                "{} lists no segment",
                archive.join(TIMELINE_FILE).display()
            )));
        }
        let mut out = Vec::new();
        for s in &t.segments {
            if let Some(d) = t.diverged(&s.server_dir) {
                return Err(Error::NotCovered(format!(
                    "the timeline lists {} both as a segment and as diverged ({})",
                    s.server_dir, d.report
                )));
            }
            let dir = archive.join(&s.server_dir);
            if !dir.is_dir() {
                return Err(Error::NotCovered(format!(
                    "the timeline's segment {} is missing from the archive",
                    s.server_dir
                )));
            }
            out.push(load(dir, Some(s))?);
        }
        return Ok(out);
    }
    let dirs = server_dirs(archive)?;
    match dirs.len() {
        0 => Err(Error::Usage(format!(
            "{} holds no server directory (is it a binvault archive?)",
            archive.display()
        ))),
        1 => Ok(vec![load(dirs[0].clone(), None)?]),
        _ => Err(Error::Usage(format!(
            "{} holds {} server directories and no {TIMELINE_FILE}: pass one server directory \
             as --archive",
            archive.display(),
            dirs.len()
        ))),
    }
}

/// The ranges of a segment: its files from its start to its end.
fn segment_ranges(seg: &ResolvedSegment) -> Result<Vec<FileRange>> {
    let mut files: &[FileEntry] = &seg.files;
    if let Some((f, _)) = &seg.start {
        let i = files.iter().position(|e| &e.name == f).ok_or_else(|| {
            Error::NotCovered(format!(
                "{}: the timeline's start file {f} is not in the archive",
                seg.name
            ))
        })?;
        files = &files[i..];
    }
    if let Some((f, _)) = &seg.end {
        let i = files.iter().position(|e| &e.name == f).ok_or_else(|| {
            Error::NotCovered(format!(
                "{}: the timeline's end file {f} is not in the archive",
                seg.name
            ))
        })?;
        files = &files[..=i];
    }
    let n = files.len();
    let mut out = Vec::with_capacity(n);
    for (i, e) in files.iter().enumerate() {
        let mut from = 4;
        let mut to = e.size;
        if i + 1 == n && seg.end.is_none() {
            if let Some((f, off)) = &seg.durable {
                if f == &e.name {
                    to = to.max(*off);
                }
            }
        }
        if i == 0 {
            if let Some((_, off)) = &seg.start {
                from = *off;
            }
        }
        if i + 1 == n {
            if let Some((_, Some(off))) = &seg.end {
                to = *off;
            }
        }
        out.push(FileRange {
            server: seg.name.clone(),
            dir: seg.dir.clone(),
            entry: e.clone(),
            file: e.name.clone(),
            compressed: e.compressed,
            missing: seg.missing.contains(&e.stored_name()),
            from,
            to,
        });
    }
    Ok(out)
}

/// Every transaction boundary of an archived file (scanned).
pub fn boundaries(range: &FileRange) -> Result<Vec<Checkpoint>> {
    let path = range.path();
    let scan = if range.entry.compressed {
        let data = binvault_sink::seal::gunzip(&path)?;
        binvault_sink::scan::scan(&path, &range.entry.name, &data, &range.entry.holes, 0)
    } else {
        binvault_sink::scan::scan_file(&path, &range.entry.name, &range.entry.holes, 0)?
    };
    if let Some(d) = &scan.damage {
        tracing::debug!(?d, file = %path.display(), "scan found damage");
    }
    Ok(scan.entry.checkpoints)
}

/// Finds the range holding `pos` (a file of one of the segments).
fn find(ranges: &[FileRange], pos: &FilePos, what: &str) -> Result<usize> {
    let hits: Vec<usize> = ranges
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.file == pos.file
                && pos.dir.as_ref().is_none_or(|d| d == &r.server)
                && r.from <= pos.offset
                && pos.offset <= r.to
        })
        .map(|(i, _)| i)
        .collect();
    match hits.as_slice() {
        [i] => Ok(*i),
        [] => Err(Error::NotCovered(format!(
            "{what} {}:{} is not in the archive's history{}",
            pos.file,
            pos.offset,
            match ranges.iter().find(|r| r.file == pos.file) {
                Some(r) => format!(" ({} holds {}..{} of it)", r.server, r.from, r.to),
                None => String::new(),
            }
        ))),
        _ => Err(Error::Usage(format!(
            "{what} {}:{} is in several server directories: name one, e.g. {}/{}:{}",
            pos.file, pos.offset, ranges[hits[0]].server, pos.file, pos.offset
        ))),
    }
}

/// True when `[from, to)` overlaps one of the file's holes.
fn hole_in(r: &FileRange) -> Option<[u64; 2]> {
    r.entry
        .holes
        .iter()
        .copied()
        .find(|h| h[0] < r.to && r.from < h[1])
}

/// Builds the plan for `req`, refusing when the archive cannot cover it.
pub fn plan(req: &Request) -> Result<Plan> {
    let segs = segments(&req.archive)?;
    let mut ranges = Vec::new();
    for s in &segs {
        ranges.extend(segment_ranges(s)?);
    }
    let mut notes = Vec::new();
    let mut skip_gtids = None;

    // the start
    match &req.start {
        Start::Beginning => skip_leading_hole(&mut ranges),
        Start::Position(p) => {
            let i = find(&ranges, p, "--start-position")?;
            ranges.drain(..i);
            let r = &mut ranges[0];
            if r.entry
                .holes
                .iter()
                .any(|h| h[0] <= p.offset && p.offset < h[1])
            {
                return Err(Error::NotCovered(format!(
                    "--start-position {}:{} falls in a range of {} the archive never received",
                    p.file, p.offset, r.server
                )));
            }
            r.from = p.offset;
            check_boundary(r, p.offset, "--start-position")?;
        }
        Start::Gtid(spec) => {
            skip_leading_hole(&mut ranges);
            if let GtidSpec::Maria(pos) = spec {
                // files every transaction of which the position already has are not read
                let covered = |e: &FileEntry| {
                    e.gtids.mysql.is_empty()
                        && e.gtids
                            .mariadb
                            .iter()
                            .all(|r| pos.get(&r.domain).is_some_and(|&(_, seq)| r.last <= seq))
                };
                let first = ranges
                    .iter()
                    .position(|r| {
                        !covered(&r.entry) || r.entry.gtids.is_empty() && r.entry.transactions > 0
                    })
                    .unwrap_or(ranges.len());
                if first == ranges.len() && !ranges.is_empty() {
                    notes.push(
                        "every archived transaction is already in --start-gtid; nothing to replay"
                            .to_string(),
                    );
                }
                ranges.drain(..first.min(ranges.len().saturating_sub(1)));
                // a gap: the archive's first GTID of a domain comes after the next one needed
                for (&domain, &(_, seq)) in pos {
                    let first_seq = ranges
                        .iter()
                        .flat_map(|r| r.entry.gtids.mariadb.iter())
                        .filter(|g| g.domain == domain)
                        .map(|g| g.first)
                        .min();
                    if let Some(f) = first_seq {
                        if f > seq.saturating_add(1) {
                            return Err(Error::NotCovered(format!(
                                "--start-gtid has domain {domain} at {seq}, but the archive's \
                                 first transaction of that domain is {f}: {} to {} are missing",
                                seq + 1,
                                f - 1
                            )));
                        }
                    }
                }
            }
            skip_gtids = Some(spec.clone());
        }
    }

    // the stop
    if let Some(p) = &req.stop.position {
        let i = find(&ranges, p, "--stop-position")?;
        ranges.truncate(i + 1);
        let r = &mut ranges[i];
        let b = boundaries(r)?;
        let at = b
            .iter()
            .map(|c| c.offset)
            .filter(|&o| o <= p.offset)
            .max()
            .unwrap_or(r.from)
            .max(r.from);
        if at != p.offset {
            notes.push(format!(
                "--stop-position {}:{} is inside a transaction: stopping at the boundary before \
                 it, {}",
                p.file, p.offset, at
            ));
        }
        r.to = at;
    }
    if let Some(GtidSpec::Maria(stop)) = &req.stop.gtid {
        for (&d, &(s, q)) in stop {
            let held = ranges.iter().any(|r| {
                r.entry
                    .gtids
                    .mariadb
                    .iter()
                    .any(|g| g.domain == d && g.server == s && g.first <= q && q <= g.last)
            });
            if !held {
                return Err(Error::NotCovered(format!(
                    "--stop-gtid {d}-{s}-{q} is not in the archive's history after the start"
                )));
            }
        }
    }
    if let Some(t) = req.stop.datetime {
        let last = ranges
            .iter()
            .map(|r| r.entry.last_timestamp)
            .max()
            .unwrap_or(0);
        if last < t {
            return Err(Error::NotCovered(format!(
                "--stop-datetime {} is after the archive's last event ({}): the archive cannot \
                 tell what happened in between (give an earlier time, or no stop)",
                crate::time::format_utc(t),
                crate::time::format_utc(last)
            )));
        }
    }

    // the rotate chain inside each server directory: a file the source rotated to must be the
    // next one read (a missing file is a gap, whether or not verify runs)
    for w in ranges.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        if a.dir == b.dir {
            if let Some(next) = &a.entry.next_file {
                if next != &b.file {
                    return Err(Error::NotCovered(format!(
                        "{}/{} rotates to {next}, but the next archived file is {} ({next} is \
                         missing: a gap)",
                        a.server, a.file, b.file
                    )));
                }
            }
        }
    }

    // holes inside what is read
    for r in &ranges {
        if r.missing {
            return Err(Error::NotCovered(format!(
                "{}/{} is listed in the index but missing from the directory (a gap)",
                r.server,
                r.entry.stored_name()
            )));
        }
        if let Some(h) = hole_in(r) {
            return Err(Error::NotCovered(format!(
                "{}/{}: bytes {}..{} were never received (a hole), inside the range {}..{}",
                r.server, r.file, h[0], h[1], r.from, r.to
            )));
        }
        if r.to < r.from {
            return Err(Error::NotCovered(format!(
                "{}/{}: the range ends ({}) before it starts ({})",
                r.server, r.file, r.to, r.from
            )));
        }
    }

    if req.verify {
        verify_ranges(&ranges, req.non_strict_gtids)?;
    }
    Ok(Plan {
        ranges,
        skip_gtids,
        stop_datetime: req.stop.datetime,
        stop_gtid: req.stop.gtid.clone(),
        notes,
    })
}

/// From the beginning: a stream that began mid-file left a hole after the first format
/// description; the history starts after it.
fn skip_leading_hole(ranges: &mut [FileRange]) {
    if let Some(r) = ranges.first_mut() {
        // anything before the last hole of the first file is cut off from what follows
        if let Some(end) = r
            .entry
            .holes
            .iter()
            .map(|h| h[1])
            .filter(|&e| e > r.from)
            .max()
        {
            r.from = end;
        }
    }
}

/// `offset` must be a transaction boundary of the range's file.
fn check_boundary(r: &FileRange, offset: u64, what: &str) -> Result<()> {
    if offset <= 4 {
        return Ok(());
    }
    let b = boundaries(r)?;
    if b.iter().any(|c| c.offset == offset) || r.entry.holes.iter().any(|h| h[1] == offset) {
        return Ok(());
    }
    let before = b.iter().map(|c| c.offset).filter(|&o| o < offset).max();
    let after = b.iter().map(|c| c.offset).find(|&o| o > offset);
    Err(Error::Usage(format!(
        "{what} {}:{offset} is not a transaction boundary of {}/{} (nearest before: {}, after: \
         {})",
        r.file,
        r.server,
        r.file,
        before.map_or("none".into(), |o| o.to_string()),
        after.map_or("none".into(), |o| o.to_string())
    )))
}

/// Runs `verify` on the server directories of the plan and refuses on a problem in one of the
/// files read.
fn verify_ranges(ranges: &[FileRange], non_strict: bool) -> Result<()> {
    let mut dirs: Vec<&PathBuf> = Vec::new();
    for r in ranges {
        if !dirs.contains(&&r.dir) {
            dirs.push(&r.dir);
        }
    }
    let options = VerifyOptions {
        strict_gtids: !non_strict,
    };
    for dir in dirs {
        let report = verify_archive_with(dir, &options, &mut |_| {})?;
        for server in &report.servers {
            for f in &server.files {
                let used = ranges.iter().any(|r| {
                    &r.dir == dir && (r.file == f.name || r.entry.stored_name() == f.path)
                });
                if let (true, Some(p)) = (used, &f.problem) {
                    return Err(Error::NotCovered(format!(
                        "{}: verify failed: {p}",
                        server.name
                    )));
                }
            }
        }
    }
    Ok(())
}
