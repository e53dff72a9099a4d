//! The archive index (`index.json` in each server directory): for every binlog file, its
//! size, seal state and sha256, first and last event timestamps, the GTID ranges it holds
//! and transaction boundaries at intervals ("checkpoints"), so that a time, a GTID or a
//! position maps to a file and an offset without reading everything.
//!
//! The index is a cache of facts the binlog files themselves hold: it is written atomically
//! (temporary file, fsync, rename, directory fsync) when a file is created, sealed or the
//! archive closed, and rebuilt from the files when missing or damaged.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fs::{read_json, write_json};
use crate::gtid::GtidRanges;

/// Name of the index file in a server directory.
pub const INDEX_FILE: &str = "index.json";
/// Version of the index format.
pub const INDEX_VERSION: u32 = 1;

/// A transaction boundary recorded in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Offset just after a transaction (a safe start or stop point).
    pub offset: u64,
    /// Timestamp of the last event before it.
    pub timestamp: u32,
    /// The GTID of the transaction that ends there, as text (empty if none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub gtid: String,
}

/// One binlog file of the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// The source's file name (`mariadb-bin.000003`).
    pub name: String,
    /// Ranges `[from, to)` the source skipped (a stream that began mid-file, a GTID start):
    /// the file holds zeros there (a sparse hole), so that every event keeps the source's
    /// offset. Empty for a whole file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holes: Vec<[u64; 2]>,
    /// Length of the binlog data (of the uncompressed file).
    pub size: u64,
    /// The source finished the file (rotated); it will not change any more.
    pub sealed: bool,
    /// sha256 of the (uncompressed) file, recorded when sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The file is stored gzip-compressed as `NAME.gz`.
    #[serde(default)]
    pub compressed: bool,
    /// Timestamp of the first event (0 if none).
    pub first_timestamp: u32,
    /// Timestamp of the last event.
    pub last_timestamp: u32,
    /// The file ends with a ROTATE event naming this next file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_file: Option<String>,
    /// GTIDs of the transactions in the file.
    #[serde(default)]
    pub gtids: GtidRanges,
    /// Number of committed transactions in the file.
    #[serde(default)]
    pub transactions: u64,
    /// Transaction boundaries, about every [`crate::SinkOptions::checkpoint_bytes`].
    #[serde(default)]
    pub checkpoints: Vec<Checkpoint>,
}

impl FileEntry {
    /// An entry for a new, empty file.
    pub fn new(name: &str) -> Self {
        FileEntry {
            name: name.to_owned(),
            holes: Vec::new(),
            size: 0,
            sealed: false,
            sha256: None,
            compressed: false,
            first_timestamp: 0,
            last_timestamp: 0,
            next_file: None,
            gtids: GtidRanges::default(),
            transactions: 0,
            checkpoints: Vec::new(),
        }
    }

    /// The name of the file on disk (`NAME` or `NAME.gz`).
    pub fn stored_name(&self) -> String {
        if self.compressed {
            format!("{}.gz", self.name)
        } else {
            self.name.clone()
        }
    }
}

/// The index of one server directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// Format version.
    pub version: u32,
    /// The files, in stream order.
    pub files: Vec<FileEntry>,
}

impl Index {
    /// Reads `DIR/index.json`; `Ok(None)` when missing, `Err` when unreadable or damaged.
    pub fn load(dir: &Path) -> Result<Option<Index>> {
        let path = dir.join(INDEX_FILE);
        let Some(index) = read_json::<Index>(&path, "index")? else {
            return Ok(None);
        };
        if index.version != INDEX_VERSION {
            return Err(Error::Metadata {
                path,
                reason: format!("unknown index version {}", index.version),
            });
        }
        Ok(Some(index))
    }

    /// Writes `DIR/index.json` atomically.
    pub fn save(&self, dir: &Path) -> Result<()> {
        write_json(&dir.join(INDEX_FILE), self)
    }

    /// The entry for `name`.
    pub fn get(&self, name: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.name == name)
    }

    /// Where to start reading to find the first event at or after `timestamp`: a file and a
    /// transaction boundary in it (the last checkpoint before that time, else the file's
    /// first event). `None` when every archived event is older.
    pub fn locate_time(&self, timestamp: u32) -> Option<(&FileEntry, u64)> {
        let file = self
            .files
            .iter()
            .find(|f| f.last_timestamp >= timestamp && f.size > 4)?;
        let offset = file
            .checkpoints
            .iter()
            .take_while(|c| c.timestamp < timestamp)
            .last()
            .map_or(4, |c| c.offset);
        Some((file, offset))
    }

    /// Where to start reading to find the MariaDB transaction `domain-server-seq`: the file
    /// whose GTID ranges hold it and the last checkpoint before it. `None` if not archived.
    pub fn locate_mariadb_gtid(
        &self,
        domain: u32,
        server: u32,
        seq: u64,
    ) -> Option<(&FileEntry, u64)> {
        let file = self.files.iter().find(|f| {
            f.gtids.mariadb.iter().any(|r| {
                r.domain == domain && r.server == server && r.first <= seq && seq <= r.last
            })
        })?;
        let before = |c: &&Checkpoint| {
            let mut it = c.gtid.splitn(3, '-');
            let (d, s, q) = (it.next(), it.next(), it.next());
            matches!((d.and_then(|d| d.parse::<u32>().ok()), s, q.and_then(|q| q.parse::<u64>().ok())), (Some(cd), Some(_), Some(cq)) if cd == domain && cq < seq)
        };
        let offset = file
            .checkpoints
            .iter()
            .rfind(before)
            .map_or(4, |c| c.offset);
        Some((file, offset))
    }

    /// The file holding source position `name:offset`, if archived (offsets are 64-bit).
    pub fn locate_position(&self, name: &str, offset: u64) -> Option<&FileEntry> {
        self.get(name).filter(|f| {
            offset >= 4
                && offset <= f.size
                && !f.holes.iter().any(|h| h[0] < offset && offset < h[1])
        })
    }

    /// The entry for `name`, mutable.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut FileEntry> {
        self.files.iter_mut().find(|f| f.name == name)
    }
}
