//! Read-only views of an archive: which server directories it holds, and what each one's
//! `index.json` and `state.json` record (files, durable position, GTIDs), without the repairs
//! [`crate::Archive::open`] makes. When the index is missing or damaged, the binlog files
//! are scanned (read only) as an index rebuild would scan them.
//!
//! Used by `binvault status` and by [`crate::verify`].

use std::cmp::Ordering;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::archive::{Durable, STATE_FILE};
use crate::error::{io, Error, Result};
use crate::gtid::{GtidRanges, GtidTracker};
use crate::index::{FileEntry, Index, INDEX_FILE, INDEX_VERSION};
use crate::scan::{scan, scan_file, MAGIC};
use crate::seal;

/// gzip's magic bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// True for a name the archive may hold a binlog file under (the rule of
/// [`crate::Archive::open`]: not hidden, not `index.json`/`state.json`, not a temporary or
/// JSON file).
pub fn is_data_file_name(name: &str) -> bool {
    !name.starts_with('.')
        && name != INDEX_FILE
        && name != STATE_FILE
        && !name.ends_with(".tmp")
        && !name.ends_with(".json")
}

/// Orders binlog names as the source numbers them: `NAME.999999` before `NAME.1000000`
/// (plain string order would not), then by the whole name.
pub fn binlog_name_order(a: &str, b: &str) -> Ordering {
    fn key(n: &str) -> (&str, Option<u64>) {
        let n = n.strip_suffix(".gz").unwrap_or(n);
        match n.rsplit_once('.') {
            Some((base, num)) if !num.is_empty() && num.bytes().all(|c| c.is_ascii_digit()) => {
                (base, num.parse().ok())
            }
            _ => (n, None),
        }
    }
    key(a).cmp(&key(b)).then_with(|| a.cmp(b))
}

/// The name that follows `name` in the source's numbering (`mariadb-bin.000009` →
/// `mariadb-bin.000010`), or `None` when `name` has no numeric extension.
pub fn next_binlog_name(name: &str) -> Option<String> {
    let (base, num) = name.rsplit_once('.')?;
    if num.is_empty() || !num.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let next = num.parse::<u64>().ok()?.checked_add(1)?;
    Some(format!("{base}.{next:0width$}", width = num.len()))
}

/// The data files of a server directory (sorted in the source's numbering; `.gz` names
/// as stored).
pub fn data_files(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io("list", dir))? {
        let entry = entry.map_err(io("list", dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_data_file_name(&name)
            && entry
                .file_type()
                .map_err(io("stat", &entry.path()))?
                .is_file()
        {
            names.push(name);
        }
    }
    names.sort_by(|a, b| binlog_name_order(a, b));
    Ok(names)
}

/// True when `path` starts like a binlog file (`fe 62 69 6e`) or a gzip file.
fn looks_like_binlog(path: &Path) -> bool {
    let mut head = [0u8; 4];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    head.get(..n)
        .is_some_and(|h| h == MAGIC || h.starts_with(&GZIP_MAGIC))
}

/// True when `dir` is the directory of one server: it holds `index.json`, `state.json` or
/// a binlog file.
pub fn is_server_dir(dir: &Path) -> bool {
    if dir.join(INDEX_FILE).is_file() || dir.join(STATE_FILE).is_file() {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        is_data_file_name(&name)
            && e.file_type().is_ok_and(|t| t.is_file())
            && looks_like_binlog(&e.path())
    })
}

/// The server directories under `dir`: `dir` itself when it is one (see
/// [`is_server_dir`]), otherwise its subdirectories that are, sorted by name. Empty when
/// there is none. Fails when `dir` does not exist or is not a directory.
pub fn server_dirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(dir).map_err(io("open archive directory", dir))?;
    if !meta.is_dir() {
        return Err(Error::Usage(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    if is_server_dir(dir) {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io("list", dir))? {
        let entry = entry.map_err(io("list", dir))?;
        if entry
            .file_type()
            .map_err(io("stat", &entry.path()))?
            .is_dir()
            && is_server_dir(&entry.path())
        {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}

/// Reads `DIR/state.json`: `Ok(None)` when missing, `Err` when unreadable or damaged.
pub fn load_state(dir: &Path) -> Result<Option<Durable>> {
    crate::fs::read_json(&dir.join(STATE_FILE), "state")
}

/// The index an index rebuild would produce from the files `names` (stored names, in
/// stream order), computed without writing anything: every file but the last, and a last
/// one ending with a rotate, counts as sealed (with its sha256).
pub fn scan_index(dir: &Path, names: &[String]) -> Result<Index> {
    let mut files = Vec::new();
    for (i, stored) in names.iter().enumerate() {
        let path = dir.join(stored);
        // a plain file is read by position (bounded memory), a `.gz` decompressed
        let (s, size, sha) = match stored.strip_suffix(".gz") {
            Some(base) => {
                let data = seal::gunzip(&path)?;
                (
                    scan(&path, base, &data, &[], u64::MAX),
                    data.len() as u64,
                    seal::sha256_hex(&data),
                )
            }
            None => {
                let s = scan_file(&path, stored, &[], u64::MAX)?;
                let (sha, size) = seal::sha256_file(&path)?;
                (s, size, sha)
            }
        };
        let mut entry = s.entry;
        if i + 1 < names.len() || entry.next_file.is_some() {
            entry.sealed = true;
            entry.size = size;
            entry.sha256 = Some(sha);
            entry.compressed = stored.ends_with(".gz");
        }
        files.push(entry);
    }
    Ok(Index {
        version: INDEX_VERSION,
        files,
    })
}

/// Where a server directory's facts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The recorded file (`index.json`, `state.json`).
    Recorded,
    /// The file was missing or damaged: computed from the binlog files.
    Computed,
}

/// What one server directory holds, read only.
#[derive(Debug, Clone)]
pub struct ServerStatus {
    /// The directory.
    pub dir: PathBuf,
    /// The files, in stream order: the index's, or scanned from the files when
    /// [`ServerStatus::index_problem`] is set.
    pub files: Vec<FileEntry>,
    /// Where [`ServerStatus::files`] came from.
    pub files_source: Source,
    /// Why the index could not be used (missing, damaged), if so.
    pub index_problem: Option<String>,
    /// The durable position: `state.json`'s, or computed from the files (the end of the
    /// last file's last whole transaction) when [`ServerStatus::state_problem`] is set.
    pub durable: Durable,
    /// Where [`ServerStatus::durable`] came from.
    pub durable_source: Source,
    /// Why `state.json` could not be used (missing, damaged), if so.
    pub state_problem: Option<String>,
    /// Every GTID the archive holds (all files).
    pub gtids: GtidRanges,
    /// Files on disk the index does not list.
    pub unlisted: Vec<String>,
    /// Files the index lists that are not on disk (stored names).
    pub missing: Vec<String>,
}

impl ServerStatus {
    /// The directory's name (`server-1`).
    pub fn name(&self) -> String {
        self.dir.file_name().map_or_else(
            || self.dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// Timestamp of the last event archived (0 when none).
    pub fn last_timestamp(&self) -> u32 {
        self.files
            .iter()
            .map(|f| f.last_timestamp)
            .max()
            .unwrap_or(0)
            .max(self.durable.last_timestamp)
    }
}

/// Reads a server directory without changing anything in it.
pub fn server_status(dir: &Path) -> Result<ServerStatus> {
    let names = data_files(dir)?;
    let (index, index_problem) = match Index::load(dir) {
        Ok(Some(index)) => (Some(index), None),
        Ok(None) => (None, Some(format!("{INDEX_FILE} missing"))),
        Err(e @ Error::Metadata { .. }) => (None, Some(e.to_string())),
        Err(e) => return Err(e),
    };
    let (files, files_source, unlisted, missing) = match index {
        Some(index) => {
            let stored: Vec<String> = index.files.iter().map(FileEntry::stored_name).collect();
            let unlisted = names
                .iter()
                .filter(|n| !stored.contains(n))
                .cloned()
                .collect();
            let missing = stored
                .iter()
                .filter(|n| !names.contains(n))
                .cloned()
                .collect();
            (index.files, Source::Recorded, unlisted, missing)
        }
        None => (
            scan_index(dir, &names)?.files,
            Source::Computed,
            Vec::new(),
            Vec::new(),
        ),
    };
    let mut all = GtidTracker::default();
    for f in &files {
        all.merge(&GtidTracker::from_ranges(&f.gtids));
    }
    let (durable, durable_source, state_problem) = match load_state(dir) {
        Ok(Some(d)) => (d, Source::Recorded, None),
        Ok(None) => (
            computed_durable(&files, &all),
            Source::Computed,
            Some(format!("{STATE_FILE} missing")),
        ),
        Err(e @ Error::Metadata { .. }) => (
            computed_durable(&files, &all),
            Source::Computed,
            Some(e.to_string()),
        ),
        Err(e) => return Err(e),
    };
    Ok(ServerStatus {
        dir: dir.to_path_buf(),
        files,
        files_source,
        index_problem,
        durable,
        durable_source,
        state_problem,
        gtids: all.ranges(),
        unlisted,
        missing,
    })
}

/// The durable position the files imply: the end of the last file's last whole transaction.
fn computed_durable(files: &[FileEntry], all: &GtidTracker) -> Durable {
    match files.last() {
        Some(f) => Durable {
            file: f.name.clone(),
            offset: f.size,
            gtid_position: all.mariadb_position(),
            mysql_gtids: all.mysql_set().to_string(),
            last_timestamp: f.last_timestamp,
        },
        None => Durable::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_source_numbering() {
        assert_eq!(
            next_binlog_name("mariadb-bin.000009").as_deref(),
            Some("mariadb-bin.000010")
        );
        assert_eq!(
            next_binlog_name("binlog.999999").as_deref(),
            Some("binlog.1000000")
        );
        assert_eq!(next_binlog_name("binlog"), None);
        assert_eq!(next_binlog_name("a.b"), None);
        let mut names = vec!["b.1000000", "b.999999.gz", "b.000001", "a.000002"];
        names.sort_by(|x, y| binlog_name_order(x, y));
        assert_eq!(names, ["a.000002", "b.000001", "b.999999.gz", "b.1000000"]);
    }
}
