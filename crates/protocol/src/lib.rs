//! Sans-IO core of the MySQL/MariaDB client/server protocol, replica side.
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![doc(test(attr(deny(warnings))))]

pub mod auth;
pub mod basic;
pub mod compressed;
pub mod error;
pub mod handshake;
pub mod packet;
pub mod response;

pub use error::{Error, Result};
