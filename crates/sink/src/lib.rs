//! `binvault-sink`: the durable archive of binlog files.
//!
//! An archive directory holds, per source server, a directory with that server's binlog
//! files under their source names, byte-identical to the source's files, plus `index.json`
//! (per file: size, seal state, sha256, timestamps, GTID ranges, checkpoints) and
//! `state.json` (the durable position). See [`archive::Archive`].
//!
//! The sink knows nothing of sockets: it takes events with the file and offset the source
//! gave them ([`archive::Archive::append`]), makes them durable by group commit
//! ([`archive::Archive::sync`], [`archive::SyncPolicy`]), seals files when the source
//! rotates, and on open recovers from a crash by cutting a torn or incomplete tail back to
//! the last whole transaction.

#![warn(missing_docs)]

pub mod archive;
pub mod error;
pub mod fs;
pub mod gtid;
pub mod index;
pub mod scan;
pub mod seal;
pub mod status;
pub mod timeline;
pub mod txn;
pub mod verify;

pub use archive::{
    Appended, Archive, Durable, Recovery, ResumePoint, SinkOptions, SyncPolicy, Truncation,
};
pub use error::{Error, Result};
pub use verify::{verify_archive, VerifyReport};
