//! File-system primitives: owner-only creation, directory fsync, atomic replacement, and the
//! [`FileIo`] seam through which tests inject write failures (disk full).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use crate::error::{io, Error, Result};

/// Writes and syncs of archive data files. The real implementation is [`OsFileIo`]; tests
/// substitute one that fails after a budget of bytes, as a full disk does.
pub trait FileIo: std::fmt::Debug + Send {
    /// Writes all of `data` at the file's current end.
    fn write_all(&mut self, file: &mut File, data: &[u8]) -> std::io::Result<()>;
    /// `fdatasync`.
    fn sync_data(&mut self, file: &File) -> std::io::Result<()>;
}

/// The operating system, unchanged.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsFileIo;

impl FileIo for OsFileIo {
    fn write_all(&mut self, file: &mut File, data: &[u8]) -> std::io::Result<()> {
        file.write_all(data)
    }
    fn sync_data(&mut self, file: &File) -> std::io::Result<()> {
        file.sync_data()
    }
}

/// Creates `dir` (and parents) with mode 0700 when missing.
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io("create directory", dir))
}

/// fsyncs a directory, making the creation, removal and renaming of its entries durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("fsync directory", dir))
}

/// Opens (creating with mode 0600 if missing) a file for reading and appending.
pub fn open_rw(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(io("open", path))
}

/// Replaces `path` atomically with `data`: a temporary file in the same directory,
/// written, fsynced, renamed over `path`, then the directory fsynced.
pub fn atomic_write(path: &Path, data: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = dir.join(tmp_name);
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io("create", &tmp))?;
    f.write_all(data).map_err(io("write", &tmp))?;
    f.sync_all().map_err(io("fsync", &tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io("rename", path))?;
    sync_dir(dir)
}

/// Reads a metadata file (index, state, timeline): `Ok(None)` when it does not exist, a
/// `Metadata` error saying "damaged {what}" when it does not parse.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<Option<T>> {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("read", path)(e)),
    };
    serde_json::from_slice(&data)
        .map(Some)
        .map_err(|e| Error::Metadata {
            path: path.to_path_buf(),
            reason: format!("damaged {what}: {e}"),
        })
}

/// Writes a metadata file as pretty JSON, atomically and durably ([`atomic_write`]).
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let data = serde_json::to_vec_pretty(value).map_err(|e| Error::Metadata {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    atomic_write(path, &data)
}
