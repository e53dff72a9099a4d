//! `ARCHIVE/timeline.json`, the history of an archive that followed a failover: the server
//! directories in history order, each from a start position to an end position, and the
//! directories whose history diverged (never used for a restore). Written by `binvault
//! stream` and defined in `binvault_sink::timeline`; without it an archive with one server
//! directory is one segment covering everything.

pub use binvault_sink::timeline::{Divergence as Diverged, Segment, Timeline, TIMELINE_FILE};
