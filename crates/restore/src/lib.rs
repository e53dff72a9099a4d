//! `binvault-restore`: point-in-time restore from a binvault archive.
//!
//! 1. [`plan::plan`] turns a start point (the archive's beginning, a GTID position, a
//!    `FILE:POS`) and a stop point (a time, a GTID, a position) into the archived files and
//!    byte ranges to read, in history order across rotations and failover segments
//!    (`timeline.json`), and refuses when the archive cannot cover them: a hole, missing
//!    GTIDs, a file failing verify, a diverged server directory.
//! 2. [`replay::replay`] reads those ranges and hands each transaction to a [`sink::Sink`] as
//!    SQL statements ([`sql`]): a script for the `mariadb` client ([`sink::TextSink`]) or a
//!    target server ([`apply::ApplySink`]).
#![warn(missing_docs)]

pub mod apply;
mod collations;
pub mod error;
pub mod plan;
pub mod replay;
pub mod sink;
pub mod sql;
pub mod time;
pub mod timeline;

pub use error::{Error, Result};
pub use plan::{plan, FilePos, GtidSpec, Plan, Request, Start, Stop};
pub use replay::{replay, Summary};
pub use sink::{Progress, Sink, TextSink};
