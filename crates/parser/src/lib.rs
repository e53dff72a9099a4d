//! Zero-copy decoder for MySQL and MariaDB binary logs (binlog v4).
//!
//! The model: a binlog is a 4-byte magic followed by events. [`decoder::frame`] finds event
//! boundaries in a buffer (and says how many bytes are missing); a [`Decoder`] turns one
//! event's bytes into an [`Event`] that borrows from them, verifying its CRC32 and keeping the
//! state later events depend on (the FORMAT_DESCRIPTION and the TABLE_MAPs). Row images are
//! decoded on demand with [`events::rows::RowReader`], into reusable buffers.
//!
//! ```
//! # fn main() -> Result<(), binvault_parser::Error> {
//! use binvault_parser::{EventData, SliceReader};
//! let file = include_bytes!("../../../testdata/crc32-full/mariadb-bin.000001");
//! let mut rows = 0;
//! for event in SliceReader::new(file) {
//!     let event = event?;
//!     if let EventData::Rows(r) = &event.data {
//!         let mut reader = r.rows()?;
//!         let mut row = Default::default();
//!         while reader.next_row(&mut row)? {
//!             rows += 1;
//!         }
//!     }
//! }
//! assert!(rows > 0);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![doc(test(attr(deny(warnings))))]
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod column;
pub mod decoder;
pub mod error;
pub mod events;
pub mod fde;
#[doc(hidden)]
pub mod fuzzing;
pub mod header;
pub(crate) mod nom_ext;
pub mod reader;
pub mod value;

pub use column::{ColumnDef, ColumnType};
pub use decoder::{frame, Decoder, DecoderOptions, Frame};
pub use error::{Error, ErrorKind, Result};
pub use events::{Event, EventData};
pub use fde::{ChecksumAlg, Flavor, Format, FormatDescriptionEvent};
pub use header::{EventHeader, EventType};
pub use reader::{BinlogReader, SliceReader};
pub use value::{decode_value, Value};
