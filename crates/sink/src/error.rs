//! The sink's error type.

use std::path::PathBuf;

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in the archive. Every variant names the file (and offset) involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system error (disk full, permission, ...). The archive stays consistent:
    /// nothing after the last durable position is reported durable, and the next open
    /// recovers.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done, e.g. `"write"`, `"fsync"`.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A binlog file in the archive is damaged where it was already durable (not a torn
    /// tail): it is never truncated; a human must look.
    #[error("{path}: damaged at offset {offset}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Offset of the first bad byte or event.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The caller broke the append contract (an event at the wrong position, an unsafe
    /// file name, ...). Nothing was written.
    #[error("{0}")]
    Usage(String),
    /// A metadata file (index, state) could not be encoded.
    #[error("{path}: {reason}")]
    Metadata {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

pub(crate) fn io<'a>(
    op: &'static str,
    path: &'a std::path::Path,
) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}
