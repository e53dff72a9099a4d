//! The restore crate's error type.

use std::path::PathBuf;

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can stop a restore. Every variant that concerns the archive names the file (and the
/// offset) involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad input from the user: an option that cannot be parsed or does not fit the archive.
    #[error("{0}")]
    Usage(String),
    /// The archive cannot cover the requested range (a gap, a hole, a file failing verify, a
    /// divergent timeline): nothing was restored.
    #[error("the archive cannot cover the range: {0}")]
    NotCovered(String),
    /// An operating-system error reading the archive or writing the output.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Writing the SQL output failed.
    #[error("writing the output: {0}")]
    Output(#[source] std::io::Error),
    /// An archived event could not be decoded or is not supported by restore.
    #[error("{path}: at offset {offset}: {reason}")]
    Data {
        /// The archived file.
        path: PathBuf,
        /// Offset of the event in the (uncompressed) file.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A metadata file (timeline.json, index.json) is damaged.
    #[error("{path}: {reason}")]
    Metadata {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The archive library reported an error.
    #[error(transparent)]
    Sink(#[from] binvault_sink::Error),
    /// The target server refused a statement or the connection failed (`--apply`).
    #[error("target server: {context}: {source}")]
    Target {
        /// What was being done (the start of the statement, or "connecting").
        context: String,
        /// The driver's error.
        #[source]
        source: binvault_protocol::Error,
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
