//! Zero-copy decoder for MySQL and MariaDB binary logs (binlog v4).
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![forbid(unsafe_code)]

pub mod column;
pub mod error;
pub mod header;
pub(crate) mod nom_ext;
pub mod value;

pub use column::{ColumnDef, ColumnType};
pub use error::{Error, ErrorKind, Result};
pub use header::{EventHeader, EventType};
pub use value::{decode_value, Value};
