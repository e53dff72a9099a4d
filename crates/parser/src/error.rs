//! Typed errors. Every error says where it happened (`offset`) and what was expected.
//!
//! Convention: a function that decodes a slice reports offsets relative to the start of that
//! slice; the caller that knows where the slice sits moves the offset with [`Error::rebase`].
//! The event decoder rebases to the absolute position of the event in its file or stream, so
//! errors that reach a user name an absolute byte offset.

use crate::header::EventType;
use std::fmt;

/// A decoding error: what went wrong, where, and in which event.
#[derive(Debug)]
pub struct Error {
    /// Byte offset of the problem (absolute once it leaves the event decoder).
    pub offset: u64,
    /// The event being decoded, when known.
    pub event: Option<EventType>,
    /// What went wrong.
    pub kind: ErrorKind,
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ends before a structure does.
    #[error("truncated {what}: needed {needed} bytes, {available} available")]
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Bytes it needs.
        needed: u64,
        /// Bytes that were left.
        available: u64,
    },
    /// A binlog file does not start with `fe 62 69 6e`.
    #[error("not a binlog file: expected magic fe 62 69 6e, found {found:02x?}")]
    BadMagic {
        /// The first bytes found.
        found: Vec<u8>,
    },
    /// A CRC32 stored in an event does not match its bytes.
    #[error("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    BadChecksum {
        /// CRC32 stored in the event.
        stored: u32,
        /// CRC32 computed over the event.
        computed: u32,
    },
    /// A field holds a value that is not allowed there.
    #[error("invalid {what}: {value}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// The value found.
        value: u64,
    },
    /// A declared size is larger than the configured limit.
    #[error("{what} of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// What is too large.
        what: &'static str,
        /// Declared size.
        size: u64,
        /// Limit.
        limit: u64,
    },
    /// A compressed payload could not be decompressed.
    #[error("cannot decompress {what}: {detail}")]
    Decompress {
        /// The payload.
        what: &'static str,
        /// What the decompressor said.
        detail: String,
    },
    /// A structure nests deeper than allowed.
    #[error("{what} nests deeper than {limit} levels")]
    TooDeep {
        /// The structure.
        what: &'static str,
        /// The limit.
        limit: u32,
    },
    /// A rows event refers to a table id with no preceding TABLE_MAP.
    #[error("rows event for table id {table_id} without a table map")]
    NoTableMap {
        /// The table id.
        table_id: u64,
    },
    /// Reading the input failed.
    #[error("I/O error: {0}")]
    Io(#[source] std::io::Error),
}

impl Error {
    /// An error at `offset` (relative to the slice being decoded).
    pub fn new(offset: u64, kind: ErrorKind) -> Self {
        Error {
            offset,
            event: None,
            kind,
        }
    }

    /// A truncation error.
    pub fn truncated(offset: u64, what: &'static str, needed: u64, available: u64) -> Self {
        Self::new(
            offset,
            ErrorKind::Truncated {
                what,
                needed,
                available,
            },
        )
    }

    /// An invalid-value error.
    pub fn invalid(offset: u64, what: &'static str, value: u64) -> Self {
        Self::new(offset, ErrorKind::Invalid { what, value })
    }

    /// Moves the offset by `base` (the position of the decoded slice in its container).
    #[must_use]
    pub fn rebase(mut self, base: u64) -> Self {
        self.offset = self.offset.saturating_add(base);
        self
    }

    /// Records the event being decoded, unless one is recorded already.
    #[must_use]
    pub fn in_event(mut self, event: EventType) -> Self {
        if self.event.is_none() {
            self.event = Some(event);
        }
        self
    }

    /// True when more input would let decoding proceed (the input ended early).
    pub fn is_truncated(&self) -> bool {
        matches!(self.kind, ErrorKind::Truncated { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at offset {}", self.offset)?;
        if let Some(ev) = self.event {
            write!(f, " in {} event", ev.name())?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(0, ErrorKind::Io(e))
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
