//! The archive's timeline: which source server's directory holds which part of the history,
//! where one server's history ends and the next one's begins after a failover, and the
//! servers refused because their history diverged (`ARCHIVE/timeline.json`).
//!
//! A switch to a new server is decided by [`Reconcile`]: it walks the candidate's binlog from
//! a file whose starting GTID state the archive already covers, and finds the point after
//! which everything is new (the *switch point*). On the way, a transaction the archive never
//! had is *errant* (written on the candidate while it was a replica), and an archived
//! transaction the candidate skipped or never received is *missing*; either one is a
//! divergence, and the candidate's history is kept apart.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use binvault_parser::events::EventData;
use binvault_parser::{Decoder, DecoderOptions};
use serde::{Deserialize, Serialize};

use crate::error::{io, Error, Result};
use crate::gtid::{GtidRanges, GtidTracker};
use crate::index::Index;
use crate::scan::{classify, track};
use crate::txn::{TxGtid, TxnTracker};

/// Name of the timeline file in the archive root.
pub const TIMELINE_FILE: &str = "timeline.json";

/// The archive's history across source servers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// The segments, oldest first; the last one is the server archived now.
    pub segments: Vec<Segment>,
    /// Servers refused because their history diverged from the archive's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diverged: Vec<Divergence>,
}

/// A stretch of history archived from one server, in its directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// The server directory (`server-2`), relative to the archive root.
    pub server_dir: String,
    /// The server's `server_id`.
    #[serde(default)]
    pub server_id: u32,
    /// MySQL `server_uuid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_uuid: Option<String>,
    /// `host:port` it was reached at.
    #[serde(default)]
    pub source: String,
    /// Where the segment begins in the server's binlog (`None`: at the start of what the
    /// directory holds).
    pub start_file: Option<String>,
    /// Offset in `start_file`.
    pub start_offset: Option<u64>,
    /// The archive's GTID position when the segment began (empty for the first).
    #[serde(default)]
    pub start_gtid: String,
    /// The first transaction of the segment, when it was known at the switch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_gtid: Option<String>,
    /// Where the segment ends (`None` while it is the current one).
    pub end_file: Option<String>,
    /// Offset in `end_file` (exclusive).
    pub end_offset: Option<u64>,
    /// The archive's GTID position at the end (the last transaction of the segment).
    pub end_gtid: Option<String>,
    /// When the segment began (Unix seconds).
    #[serde(default)]
    pub began_at: u64,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<u64>,
}

/// A server whose history diverged from the archive's; nothing of it was archived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    /// The directory the server would have had.
    pub server_dir: String,
    /// Its `server_id`.
    #[serde(default)]
    pub server_id: u32,
    /// `host:port`.
    #[serde(default)]
    pub source: String,
    /// When it was found (Unix seconds).
    #[serde(default)]
    pub detected_at: u64,
    /// Archived transactions the server lacks.
    #[serde(default)]
    pub missing: Vec<String>,
    /// Transactions of the server the archive's history never had, before the point where
    /// it would have taken over.
    #[serde(default)]
    pub errant: Vec<String>,
    /// The whole report, as printed.
    #[serde(default)]
    pub report: String,
}

impl Segment {
    /// A segment of `server_dir` beginning now, at the start of what the directory holds.
    pub fn new(
        server_dir: &str,
        server_id: u32,
        server_uuid: Option<String>,
        source: &str,
    ) -> Self {
        Segment {
            server_dir: server_dir.to_owned(),
            server_id,
            server_uuid,
            source: source.to_owned(),
            start_file: None,
            start_offset: None,
            start_gtid: String::new(),
            first_gtid: None,
            end_file: None,
            end_offset: None,
            end_gtid: None,
            began_at: now_secs(),
            ended_at: None,
        }
    }
}

impl Timeline {
    /// Reads `ROOT/timeline.json`: `Ok(None)` when there is none.
    pub fn load(root: &Path) -> Result<Option<Timeline>> {
        let path = root.join(TIMELINE_FILE);
        let Some(t) = crate::fs::read_json::<Timeline>(&path, "timeline")? else {
            return Ok(None);
        };
        let names = t.segments.iter().map(|s| &s.server_dir);
        for name in names.chain(t.diverged.iter().map(|d| &d.server_dir)) {
            let p = Path::new(name);
            let plain = p.components().count() == 1
                && matches!(p.components().next(), Some(std::path::Component::Normal(_)));
            if !plain {
                return Err(Error::Metadata {
                    path,
                    reason: format!(
                        "server_dir {name:?} is not a directory name inside the archive"
                    ),
                });
            }
        }
        Ok(Some(t))
    }

    /// The divergence recorded for a server directory, if any.
    pub fn diverged(&self, server_dir: &str) -> Option<&Divergence> {
        self.diverged.iter().find(|d| d.server_dir == server_dir)
    }

    /// Writes `ROOT/timeline.json` atomically and durably.
    pub fn save(&self, root: &Path) -> Result<()> {
        crate::fs::write_json(&root.join(TIMELINE_FILE), self)
    }

    /// The segment archived now.
    pub fn current(&self) -> Option<&Segment> {
        self.segments.last()
    }

    /// Records (or replaces) a divergence for its server directory.
    pub fn record_divergence(&mut self, d: Divergence) {
        self.diverged.retain(|x| x.server_dir != d.server_dir);
        self.diverged.push(d);
    }

    /// The GTIDs of the whole history: every segment's directory, from its index.
    pub fn history(&self, root: &Path) -> Result<GtidTracker> {
        let mut all = GtidTracker::default();
        let mut seen = Vec::new();
        for seg in &self.segments {
            if seen.contains(&&seg.server_dir) {
                continue;
            }
            seen.push(&seg.server_dir);
            if let Some(index) = Index::load(&root.join(&seg.server_dir))? {
                for f in &index.files {
                    all.merge(&GtidTracker::from_ranges(&f.gtids));
                }
            }
        }
        Ok(all)
    }

    /// The GTID state before the archive's first transaction, from the GTID list (MariaDB)
    /// or previous-GTIDs (MySQL) event at the start of the first archived file, when it is
    /// there (a stream that began mid-file has a hole instead).
    pub fn baseline(&self, root: &Path) -> Result<History> {
        let Some(first) = self.segments.first() else {
            return Ok(History::default());
        };
        let dir = root.join(&first.server_dir);
        let Some(index) = Index::load(&dir)? else {
            return Ok(History::default());
        };
        let Some(entry) = index.files.first() else {
            return Ok(History::default());
        };
        let data = if entry.compressed {
            crate::seal::gunzip(&dir.join(entry.stored_name()))?
        } else {
            read_prefix(&dir.join(&entry.name), 1 << 20)?
        };
        Ok(start_list(&data)
            .map(History::from_list)
            .unwrap_or_default())
    }
}

fn read_prefix(path: &Path, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(io("open", path))?;
    let mut out = Vec::new();
    f.take(max)
        .read_to_end(&mut out)
        .map_err(io("read", path))?;
    Ok(out)
}

/// The GTID list / previous-GTIDs event among the first events of a binlog file.
fn start_list(data: &[u8]) -> Option<Vec<(GtidKey, u64)>> {
    let mut decoder = Decoder::new();
    decoder.set_options(DecoderOptions {
        verify_checksums: false,
        ..DecoderOptions::default()
    });
    let mut pos = 4usize;
    for _ in 0..8 {
        let head = data.get(pos..pos + 19)?;
        let size = u32::from_le_bytes([head[9], head[10], head[11], head[12]]) as usize;
        let raw = data.get(pos..pos.checked_add(size)?)?;
        let event = decoder.decode(pos as u64, raw).ok()?;
        if let Some(list) = list_of(&event.data) {
            return Some(list);
        }
        pos += size.max(19);
    }
    None
}

/// The (key, last sequence number) pairs of a GTID list or previous-GTIDs event.
fn list_of(data: &EventData<'_>) -> Option<Vec<(GtidKey, u64)>> {
    match data {
        EventData::MariaGtidList(l) => Some(
            l.gtids()
                .map(|g| (GtidKey::Maria(g.domain_id, g.server_id), g.seq_no))
                .collect(),
        ),
        EventData::PreviousGtids(set) => {
            let mut out = Vec::new();
            for e in set.entries().ok()? {
                if let Some(max) = e.intervals.iter().map(|&(_, end)| end - 1).max() {
                    out.push((GtidKey::Mysql(e.sid.0, e.tag.clone()), max.max(0) as u64));
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// Parses a GTID list as servers print it: MariaDB `[0-1-5,0-2-3]` (a `Gtid_list` event's
/// info, or `@@gtid_binlog_state` in brackets) or a MySQL set (`uuid:1-5,...`, the
/// `Previous_gtids` info) into (key, last sequence number) pairs.
pub fn parse_list_text(text: &str) -> Option<Vec<(GtidKey, u64)>> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let mut out = Vec::new();
        for item in inner.split(',').filter(|i| !i.is_empty()) {
            let mut parts = item.splitn(3, '-');
            let d = parts.next()?.parse().ok()?;
            let s = parts.next()?.parse().ok()?;
            let q = parts.next()?.parse().ok()?;
            out.push((GtidKey::Maria(d, s), q));
        }
        return Some(out);
    }
    let set: binvault_protocol::gtid::MysqlGtidSet = text.parse().ok()?;
    Some(
        set.intervals()
            .filter_map(|(sid, tag, list)| {
                Some((GtidKey::Mysql(sid, tag.to_owned()), list.last()?.1))
            })
            .collect(),
    )
}

/// What a sequence number counts within: a MariaDB domain and originating server, or a
/// MySQL source UUID and tag.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GtidKey {
    /// MariaDB `(domain, server)`.
    Maria(u32, u32),
    /// MySQL `(uuid, tag)`.
    Mysql([u8; 16], String),
}

impl GtidKey {
    /// The key and sequence number of a transaction's GTID.
    pub fn of(g: &TxGtid) -> (GtidKey, u64) {
        match g {
            TxGtid::Maria {
                domain,
                server,
                seq,
            } => (GtidKey::Maria(*domain, *server), *seq),
            TxGtid::Mysql { sid, tag, gno } => (GtidKey::Mysql(*sid, tag.clone()), *gno),
        }
    }

    /// The range `first..=last` of this key as text (`0-1-5..9`, `uuid:5-9`).
    pub fn range_text(&self, first: u64, last: u64) -> String {
        match self {
            GtidKey::Maria(d, s) if first == last => format!("{d}-{s}-{first}"),
            GtidKey::Maria(d, s) => format!("{d}-{s}-{first}..{last}"),
            GtidKey::Mysql(sid, tag) => {
                let mut set = binvault_protocol::gtid::MysqlGtidSet::default();
                set.insert(*sid, tag, first, last);
                set.to_string()
            }
        }
    }
}

/// GTIDs as closed ranges of sequence numbers per key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    ranges: BTreeMap<GtidKey, Vec<(u64, u64)>>,
}

impl History {
    /// From a tracker's GTIDs.
    pub fn from_tracker(t: &GtidTracker) -> History {
        Self::from_ranges(&t.ranges())
    }

    /// From recorded ranges.
    pub fn from_ranges(r: &GtidRanges) -> History {
        let mut h = History::default();
        for m in &r.mariadb {
            h.add(GtidKey::Maria(m.domain, m.server), m.first, m.last);
        }
        if let Ok(set) = r.mysql.parse::<binvault_protocol::gtid::MysqlGtidSet>() {
            for (sid, tag, list) in set.intervals() {
                for (a, b) in list {
                    h.add(GtidKey::Mysql(sid, tag.to_owned()), a, b);
                }
            }
        }
        h
    }

    /// Everything up to each listed sequence number (a GTID list event's meaning).
    pub fn from_list(list: Vec<(GtidKey, u64)>) -> History {
        let mut h = History::default();
        for (k, q) in list {
            if q > 0 {
                h.add(k, 1, q);
            }
        }
        h
    }

    fn add(&mut self, key: GtidKey, first: u64, last: u64) {
        let list = self.ranges.entry(key).or_default();
        list.push((first, last));
        list.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(list.len());
        for &(a, b) in list.iter() {
            match merged.last_mut() {
                Some(l) if a <= l.1.saturating_add(1) => l.1 = l.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *list = merged;
    }

    /// The MariaDB ranges, as index ranges.
    pub fn maria_ranges(&self) -> Vec<crate::gtid::MariaRange> {
        self.ranges
            .iter()
            .filter_map(|(k, l)| match k {
                GtidKey::Maria(d, s) => Some((d, s, l)),
                GtidKey::Mysql(..) => None,
            })
            .flat_map(|(d, s, l)| {
                l.iter().map(|&(first, last)| crate::gtid::MariaRange {
                    domain: *d,
                    server: *s,
                    first,
                    last,
                })
            })
            .collect()
    }

    /// True when no GTID is recorded.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// True when the transaction is in the history.
    pub fn contains(&self, key: &GtidKey, seq: u64) -> bool {
        self.ranges
            .get(key)
            .is_some_and(|l| l.iter().any(|&(a, b)| a <= seq && seq <= b))
    }

    /// The highest sequence number of a key.
    pub fn max(&self, key: &GtidKey) -> Option<u64> {
        self.ranges.get(key).and_then(|l| l.last()).map(|r| r.1)
    }

    /// The recorded ranges of `key` clipped to `from..=to`.
    pub(crate) fn within(&self, key: &GtidKey, from: u64, to: u64) -> Vec<(u64, u64)> {
        self.ranges
            .get(key)
            .map(|l| {
                l.iter()
                    .filter(|&&(a, b)| b >= from && a <= to)
                    .map(|&(a, b)| (a.max(from), b.min(to)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Where the archive continues on the new server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwitchPoint {
    /// The candidate's binlog file.
    pub file: String,
    /// Offset in it: everything from here on is new to the archive.
    pub offset: u64,
    /// The first new transaction seen after it, if any.
    pub first_new: Option<TxGtid>,
}

/// The verdict of a [`Reconcile`] walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The candidate holds the archive's history: continue at the switch point.
    Continue(SwitchPoint),
    /// The histories diverge: do not archive the candidate.
    Diverged {
        /// Archived transactions the candidate lacks (as range texts).
        missing: Vec<String>,
        /// Candidate transactions the archive's history never had (as range texts).
        errant: Vec<String>,
    },
}

/// Walks a candidate primary's binlog, event by event, against the archive's history (see
/// the module documentation).
#[derive(Debug)]
pub struct Reconcile {
    history: History,
    baseline: History,
    suspects: BTreeMap<GtidKey, u64>,
    seen: BTreeMap<GtidKey, u64>,
    missing: Vec<String>,
    /// Errant runs: key, first and last sequence number, and a note.
    errant: Vec<(GtidKey, u64, u64, &'static str)>,
    switch: Option<SwitchPoint>,
    started: bool,
    decoder: Decoder,
    tracker: TxnTracker,
    file: String,
}

impl Reconcile {
    /// `history`: the archive's GTIDs; `baseline`: the GTID state before the archive's
    /// first transaction; `suspects`: for each key, the highest sequence number seen on the
    /// candidate while it was not the primary (written there as a replica: errant unless
    /// the archive holds it).
    pub fn new(history: History, baseline: History, suspects: BTreeMap<GtidKey, u64>) -> Self {
        let mut decoder = Decoder::new();
        decoder.set_options(DecoderOptions {
            verify_checksums: true,
            ..DecoderOptions::default()
        });
        Reconcile {
            history,
            baseline,
            suspects,
            seen: BTreeMap::new(),
            missing: Vec::new(),
            errant: Vec::new(),
            switch: None,
            started: false,
            decoder,
            tracker: TxnTracker::new(),
            file: String::new(),
        }
    }

    /// A GTID state entry "everything of `key` up to `seq`" is known when the history (or
    /// the baseline) reaches that far.
    fn list_known(&self, key: &GtidKey, seq: u64) -> bool {
        self.history.max(key).is_some_and(|m| seq <= m)
            || self.baseline.max(key).is_some_and(|m| seq <= m)
    }

    fn known(&self, key: &GtidKey, seq: u64) -> bool {
        self.history.contains(key, seq) || self.baseline.max(key).is_some_and(|m| seq <= m)
    }

    /// True when the archive's history covers a GTID state (a file's starting list): the
    /// walk may start at that file.
    pub fn covers(&self, list: &[(GtidKey, u64)]) -> bool {
        list.iter().all(|(k, q)| *q == 0 || self.list_known(k, *q))
    }

    /// True once every key of the history has been seen up to its last transaction.
    fn caught_up(&self) -> bool {
        self.history.ranges.iter().all(|(k, l)| {
            let max = l.last().map_or(0, |r| r.1);
            self.seen.get(k).is_some_and(|&s| s >= max)
        })
    }

    /// The switch point, once found.
    pub fn switch_point(&self) -> Option<&SwitchPoint> {
        self.switch.as_ref()
    }

    /// Feeds one event of the candidate's stream (`pos` `None` for the source's artificial
    /// events). `file` is the binlog file it belongs to.
    pub fn event(&mut self, file: &str, pos: Option<u64>, raw: &[u8]) -> Result<()> {
        let at = pos.unwrap_or(0);
        let event = classify(&mut self.decoder, at, raw).map_err(|e| Error::Corrupt {
            path: file.into(),
            offset: at,
            reason: format!("candidate's binlog: {e}"),
        })?;
        let Some(pos) = pos else { return Ok(()) };
        self.file = file.to_owned();
        if !self.started {
            if let Some(list) = list_of(&event.data) {
                self.start(file, list);
                return Ok(());
            }
        }
        let step = track(&mut self.tracker, &event);
        if let Some(Some(g)) = step.committed {
            let end = pos + raw.len() as u64;
            self.transaction(file, end, &g);
        }
        Ok(())
    }

    fn start(&mut self, file: &str, list: Vec<(GtidKey, u64)>) {
        self.started = true;
        for (k, q) in list {
            if q == 0 {
                continue;
            }
            if !self.list_known(&k, q) {
                // the candidate's state before this file holds transactions the archive
                // never had: those not in the history are errant
                let from = self
                    .history
                    .max(&k)
                    .unwrap_or(0)
                    .max(self.baseline.max(&k).unwrap_or(0))
                    + 1;
                self.errant.push((
                    k.clone(),
                    from,
                    q,
                    "in the binlog state at the start of the walk",
                ));
            }
            let s = self.seen.entry(k).or_insert(0);
            *s = (*s).max(q);
        }
        if self.caught_up() {
            self.switch = Some(SwitchPoint {
                file: file.to_owned(),
                offset: 4,
                first_new: None,
            });
        }
    }

    fn transaction(&mut self, file: &str, end: u64, g: &TxGtid) {
        self.started = true;
        let (key, seq) = GtidKey::of(g);
        if self.switch.is_some() {
            // new history: errant only when seen there while the candidate was a replica
            if !self.known(&key, seq) && self.suspects.get(&key).is_some_and(|&m| seq <= m) {
                self.add_errant(
                    key.clone(),
                    seq,
                    "written while the server was not the primary",
                );
            }
            if let Some(sw) = self.switch.as_mut().filter(|sw| sw.first_new.is_none()) {
                sw.first_new = Some(g.clone());
            }
            return;
        }
        if !self.known(&key, seq) {
            self.add_errant(key, seq, "");
            return;
        }
        let seen = self.seen.get(&key).copied().unwrap_or(0);
        if seq > seen.saturating_add(1) {
            for (a, b) in self.history.within(&key, seen + 1, seq - 1) {
                self.missing.push(key.range_text(a, b));
            }
        }
        self.seen.insert(key, seen.max(seq));
        if self.caught_up() {
            self.switch = Some(SwitchPoint {
                file: file.to_owned(),
                offset: end,
                first_new: None,
            });
        }
    }

    /// Extends the last errant run when `seq` follows it, else starts a new one.
    fn add_errant(&mut self, key: GtidKey, seq: u64, note: &'static str) {
        if let Some(last) = self.errant.last_mut() {
            if last.0 == key && last.3 == note && last.2.checked_add(1) == Some(seq) {
                last.2 = seq;
                return;
            }
        }
        self.errant.push((key, seq, seq, note));
    }

    /// The verdict once the candidate's binlog has been read to its end.
    pub fn finish(mut self) -> Verdict {
        if self.switch.is_none() {
            let keys: Vec<(GtidKey, u64)> = self
                .history
                .ranges
                .iter()
                .map(|(k, l)| (k.clone(), l.last().map_or(0, |r| r.1)))
                .collect();
            for (k, max) in keys {
                let seen = self.seen.get(&k).copied().unwrap_or(0);
                if seen < max {
                    for (a, b) in self.history.within(&k, seen + 1, max) {
                        self.missing.push(k.range_text(a, b));
                    }
                }
            }
        }
        match self.switch {
            Some(sw) if self.missing.is_empty() && self.errant.is_empty() => Verdict::Continue(sw),
            _ => Verdict::Diverged {
                missing: self.missing,
                errant: self
                    .errant
                    .iter()
                    .map(|(k, a, b, note)| {
                        if note.is_empty() {
                            k.range_text(*a, *b)
                        } else {
                            format!("{} ({note})", k.range_text(*a, *b))
                        }
                    })
                    .collect(),
            },
        }
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (server_id {}, {})",
            self.server_dir, self.server_id, self.source
        )?;
        match (&self.start_file, self.start_offset) {
            (Some(file), Some(off)) => write!(f, " from {file}:{off}")?,
            _ => f.write_str(" from its first file")?,
        }
        if !self.start_gtid.is_empty() {
            write!(f, " after {}", self.start_gtid)?;
        }
        match (&self.end_file, self.end_offset, &self.end_gtid) {
            (Some(file), Some(off), gtid) => write!(
                f,
                " to {file}:{off}{}",
                gtid.as_deref()
                    .filter(|g| !g.is_empty())
                    .map(|g| format!(" (last {g})"))
                    .unwrap_or_default()
            ),
            _ => f.write_str(" (current)"),
        }
    }
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_gtid_lists_as_servers_print_them() {
        assert_eq!(parse_list_text("[]"), Some(vec![]));
        assert_eq!(
            parse_list_text("[0-1-5,0-2-3, 1-7-9]"),
            Some(vec![
                (GtidKey::Maria(0, 1), 5),
                (GtidKey::Maria(0, 2), 3),
                (GtidKey::Maria(1, 7), 9)
            ])
        );
        assert_eq!(parse_list_text("[0-1]"), None);
        assert_eq!(parse_list_text("[0-x-1]"), None);
        let uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        let list = parse_list_text(&format!("{uuid}:1-5:7-9,\n{uuid}:tag:1-2")).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].1, 9);
        assert_eq!(list[1].1, 2);
        assert_eq!(parse_list_text("not a set"), None);
    }

    fn history(ranges: &[(u32, u32, u64, u64)]) -> History {
        let mut h = History::default();
        for &(d, s, a, b) in ranges {
            h.add(GtidKey::Maria(d, s), a, b);
        }
        h
    }

    #[test]
    fn reads_a_timeline_and_refuses_paths_outside_the_archive() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Timeline::load(dir.path()).unwrap().is_none());
        let mut t = Timeline::default();
        t.segments.push(Segment::new("server-1", 1, None, "h:1"));
        t.record_divergence(Divergence {
            server_dir: "server-3".into(),
            server_id: 3,
            source: "h:3".into(),
            detected_at: 1,
            missing: vec![],
            errant: vec!["0-3-7".into()],
            report: "errant 0-3-7".into(),
        });
        t.save(dir.path()).unwrap();
        let back = Timeline::load(dir.path()).unwrap().unwrap();
        assert_eq!(back, t);
        assert_eq!(back.diverged("server-3").unwrap().report, "errant 0-3-7");
        assert!(back.diverged("server-1").is_none());
        for bad in ["../etc", "/tmp", "a/b", ".."] {
            let mut t = t.clone();
            t.segments[0].server_dir = bad.into();
            t.save(dir.path()).unwrap();
            assert!(Timeline::load(dir.path()).is_err(), "{bad}");
        }
        std::fs::write(dir.path().join(TIMELINE_FILE), b"{").unwrap();
        assert!(Timeline::load(dir.path()).is_err());
    }

    #[test]
    fn history_merges_and_clips_ranges() {
        let h = history(&[(0, 1, 1, 5), (0, 1, 6, 9), (0, 1, 20, 30), (0, 2, 3, 3)]);
        let k = GtidKey::Maria(0, 1);
        assert!(h.contains(&k, 9) && !h.contains(&k, 10) && h.contains(&k, 20));
        assert_eq!(h.max(&k), Some(30));
        assert_eq!(h.within(&k, 8, 25), vec![(8, 9), (20, 25)]);
        assert_eq!(h.max(&GtidKey::Maria(0, 3)), None);
        assert_eq!(k.range_text(4, 4), "0-1-4");
        assert_eq!(k.range_text(4, 6), "0-1-4..6");
    }

    fn reconcile(h: History) -> Reconcile {
        Reconcile::new(h, History::default(), BTreeMap::new())
    }

    fn g(d: u32, s: u32, q: u64) -> TxGtid {
        TxGtid::Maria {
            domain: d,
            server: s,
            seq: q,
        }
    }

    #[test]
    fn finds_the_switch_point_after_the_archives_last_transaction() {
        let mut r = reconcile(history(&[(0, 1, 1, 10)]));
        assert!(r.covers(&[(GtidKey::Maria(0, 1), 4)]));
        assert!(!r.covers(&[(GtidKey::Maria(0, 1), 11)]));
        assert!(!r.covers(&[(GtidKey::Maria(0, 2), 1)]));
        r.start("f.1", vec![(GtidKey::Maria(0, 1), 4)]);
        for q in 5..=10 {
            r.transaction("f.1", 100 + q, &g(0, 1, q));
        }
        r.transaction("f.1", 500, &g(0, 2, 11));
        assert_eq!(
            r.finish(),
            Verdict::Continue(SwitchPoint {
                file: "f.1".into(),
                offset: 110,
                first_new: Some(g(0, 2, 11)),
            })
        );
    }

    #[test]
    fn reports_errant_runs_and_missing_ranges() {
        // errant transactions before the archive's end, and a skipped range
        let mut r = reconcile(history(&[(0, 1, 1, 10)]));
        r.start("f.1", vec![]);
        for q in 1..=3 {
            r.transaction("f.1", q, &g(0, 1, q));
        }
        r.transaction("f.1", 4, &g(0, 2, 4));
        r.transaction("f.1", 5, &g(0, 2, 5));
        r.transaction("f.1", 6, &g(0, 1, 6));
        match r.finish() {
            Verdict::Diverged { missing, errant } => {
                assert_eq!(errant, vec!["0-2-4..5".to_string()]);
                assert_eq!(
                    missing,
                    vec!["0-1-4..5".to_string(), "0-1-7..10".to_string()]
                );
            }
            v => panic!("{v:?}"),
        }
        // a transaction after the switch point that the watcher saw while the server was a
        // replica is errant too
        let mut suspects = BTreeMap::new();
        suspects.insert(GtidKey::Maria(0, 2), 12);
        let mut r = Reconcile::new(history(&[(0, 1, 1, 10)]), History::default(), suspects);
        r.start("f.1", vec![(GtidKey::Maria(0, 1), 10)]);
        r.transaction("f.1", 50, &g(0, 2, 11));
        r.transaction("f.1", 60, &g(0, 2, 12));
        r.transaction("f.1", 70, &g(0, 2, 13));
        match r.finish() {
            Verdict::Diverged { missing, errant } => {
                assert!(missing.is_empty());
                assert_eq!(
                    errant,
                    vec!["0-2-11..12 (written while the server was not the primary)".to_string()]
                );
            }
            v => panic!("{v:?}"),
        }
        // a starting GTID state with a server the archive never saw
        let mut r = reconcile(history(&[(0, 1, 1, 10)]));
        r.start(
            "f.2",
            vec![(GtidKey::Maria(0, 1), 10), (GtidKey::Maria(0, 3), 2)],
        );
        assert!(
            matches!(r.finish(), Verdict::Diverged { errant, .. } if errant[0].starts_with("0-3-1..2"))
        );
    }
}
