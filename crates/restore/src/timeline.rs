//! Reading `ARCHIVE/timeline.json`, the history of an archive that followed a failover: the
//! server directories in history order, each from a start position to an end position, and the
//! directories whose history diverged (never used for a restore).
//!
//! ```json
//! {"segments":[{"server_dir":"server-1","server_id":1,"server_uuid":null,"source":"127.0.0.1:4000",
//!   "start_file":"mariadb-bin.000001","start_offset":4,"start_gtid":"",
//!   "end_file":"mariadb-bin.000003","end_offset":1234,"end_gtid":"0-1-500"},
//!  {"server_dir":"server-2","start_file":"mariadb-bin.000002","start_offset":5678,
//!   "start_gtid":"0-1-500","end_file":null,"end_offset":null,"end_gtid":null}],
//!  "diverged":[{"server_dir":"server-3","report":"..."}]}
//! ```
//!
//! Without `timeline.json` an archive with one server directory is one segment covering
//! everything. The writer of the file (the failover code in `binvault-sink`) is separate: only
//! the fields read here are relied on, unknown fields are ignored.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// Name of the timeline file at the archive root.
pub const TIMELINE_FILE: &str = "timeline.json";

/// One stretch of history served by one server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Segment {
    /// The server directory (relative to the archive root), e.g. `server-2`.
    pub server_dir: String,
    /// The source's `@@server_id`, when recorded.
    #[serde(default)]
    pub server_id: Option<u32>,
    /// The file the segment starts in (`None`: the directory's first file).
    #[serde(default)]
    pub start_file: Option<String>,
    /// The offset it starts at (`None`: the start of the file).
    #[serde(default)]
    pub start_offset: Option<u64>,
    /// The GTID position the segment starts after (informational).
    #[serde(default)]
    pub start_gtid: Option<String>,
    /// The file the segment ends in (`None`: to the end of the directory).
    #[serde(default)]
    pub end_file: Option<String>,
    /// The offset it ends at (`None`: the end of `end_file`, or of the directory).
    #[serde(default)]
    pub end_offset: Option<u64>,
    /// The last GTID of the segment (informational).
    #[serde(default)]
    pub end_gtid: Option<String>,
}

/// A server directory whose history diverged from the archive's.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Diverged {
    /// The server directory.
    pub server_dir: String,
    /// What the archiver found.
    #[serde(default)]
    pub report: String,
}

/// The archive's history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Timeline {
    /// Segments in history order.
    #[serde(default)]
    pub segments: Vec<Segment>,
    /// Directories never to restore from.
    #[serde(default)]
    pub diverged: Vec<Diverged>,
}

impl Timeline {
    /// Reads `ROOT/timeline.json`: `Ok(None)` when absent.
    pub fn load(root: &Path) -> Result<Option<Timeline>> {
        let path = root.join(TIMELINE_FILE);
        let data = match std::fs::read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(Error::Io {
                    op: "read",
                    path,
                    source,
                })
            }
        };
        let t: Timeline = serde_json::from_slice(&data).map_err(|e| Error::Metadata {
            path: path.clone(),
            reason: format!("damaged timeline: {e}"),
        })?;
        for s in &t.segments {
            check_dir_name(&path, &s.server_dir)?;
        }
        Ok(Some(t))
    }

    /// The divergence report of `dir` (a directory name), if it is listed as diverged.
    pub fn diverged(&self, dir: &str) -> Option<&Diverged> {
        self.diverged.iter().find(|d| d.server_dir == dir)
    }
}

/// A server directory named in the timeline must be a plain name inside the archive.
fn check_dir_name(path: &Path, name: &str) -> Result<()> {
    let p = PathBuf::from(name);
    let plain = p.components().count() == 1
        && matches!(p.components().next(), Some(std::path::Component::Normal(_)));
    if plain {
        Ok(())
    } else {
        Err(Error::Metadata {
            path: path.to_path_buf(),
            reason: format!("server_dir {name:?} is not a directory name inside the archive"),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reads_the_documented_example() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(TIMELINE_FILE),
            r#"{"segments":[{"server_dir":"server-1","server_id":1,"server_uuid":null,"source":"127.0.0.1:4000",
  "start_file":"mariadb-bin.000001","start_offset":4,"start_gtid":"",
  "end_file":"mariadb-bin.000003","end_offset":1234,"end_gtid":"0-1-500"},
 {"server_dir":"server-2","start_file":"mariadb-bin.000002","start_offset":5678,"start_gtid":"0-1-500","end_file":null,"end_offset":null,"end_gtid":null}],
 "diverged":[{"server_dir":"server-3","report":"errant 0-3-7"}]}"#,
        )
        .unwrap();
        let t = Timeline::load(dir.path()).unwrap().unwrap();
        assert_eq!(t.segments.len(), 2);
        assert_eq!(t.segments[0].end_offset, Some(1234));
        assert_eq!(t.segments[1].end_file, None);
        assert_eq!(t.diverged("server-3").unwrap().report, "errant 0-3-7");
        assert!(t.diverged("server-2").is_none());
    }

    #[test]
    fn refuses_paths_outside_the_archive() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(TIMELINE_FILE),
            r#"{"segments":[{"server_dir":"../etc"}]}"#,
        )
        .unwrap();
        assert!(Timeline::load(dir.path()).is_err());
        assert!(Timeline::load(&dir.path().join("none")).unwrap().is_none());
    }
}
