//! FORMAT_DESCRIPTION_EVENT: the event that says how to read every other event of a file.

use crate::error::{Error, Result};
use crate::header::{EventType, CHECKSUM_LEN, HEADER_LEN};
use crate::nom_ext::{run, take_n, u16_, u32_, u8_};

/// The checksum algorithm of a binlog (`binlog_checksum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlg {
    /// No checksum trailer.
    Off,
    /// A CRC32 trailer of 4 bytes on every event.
    Crc32,
}

/// The server family that wrote a binlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// MySQL (and Percona Server, Aurora MySQL, ...).
    MySql,
    /// MariaDB.
    MariaDb,
}

/// A decoded FORMAT_DESCRIPTION_EVENT, borrowing from the event bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatDescriptionEvent<'a> {
    /// Binlog format version (4 for every server since 5.0).
    pub binlog_version: u16,
    /// Server version string, NUL padding removed (e.g. `10.11.19-MariaDB-log`).
    pub server_version: &'a [u8],
    /// When the binlog was created (0 except in the first binlog after startup).
    pub create_timestamp: u32,
    /// Length of the common header (19 for v4).
    pub header_len: u8,
    /// Post-header length of each event type, indexed by `type_code - 1`.
    pub post_header_lens: &'a [u8],
    /// The checksum algorithm byte, for servers that write one (MySQL ≥ 5.6.1, MariaDB ≥ 5.3).
    pub checksum_alg: Option<u8>,
}

/// Offset of the post-header-lengths array in the FDE body.
const FIXED_LEN: usize = 2 + 50 + 4 + 1;

impl<'a> FormatDescriptionEvent<'a> {
    /// Decodes an FDE from its whole event bytes (header included, checksum included if any).
    /// Errors are relative to the start of the event.
    pub fn parse(event: &'a [u8]) -> Result<Self> {
        let body = event.get(HEADER_LEN..).ok_or_else(|| {
            Error::truncated(
                0,
                "format description header",
                HEADER_LEN as u64,
                event.len() as u64,
            )
        })?;
        let (rest, (binlog_version, sv, create_timestamp, header_len)) = run(body, |i| {
            let (i, v) = u16_("binlog version")(i)?;
            let (i, sv) = take_n(50, "server version")(i)?;
            let (i, ts) = u32_("create timestamp")(i)?;
            let (i, hl) = u8_("header length")(i)?;
            Ok((i, (v, sv, ts, hl)))
        })
        .map_err(|e| e.rebase(HEADER_LEN as u64))?;
        let server_version = match sv.iter().position(|&b| b == 0) {
            Some(p) => &sv[..p],
            None => sv,
        };
        if binlog_version != 4 {
            // Versions 1-3 (MySQL 3.23/4.x) use START_EVENT_V3 and other header sizes.
            return Err(Error::invalid(
                HEADER_LEN as u64,
                "binlog version",
                u64::from(binlog_version),
            ));
        }
        if usize::from(header_len) < HEADER_LEN {
            return Err(Error::invalid(
                HEADER_LEN as u64 + 56,
                "header length",
                u64::from(header_len),
            ));
        }
        let has_alg = checksum_aware(server_version);
        let (post_header_lens, checksum_alg) = if has_alg {
            let n = rest.len().checked_sub(1 + CHECKSUM_LEN).ok_or_else(|| {
                Error::truncated(
                    (HEADER_LEN + FIXED_LEN) as u64,
                    "checksum algorithm",
                    (1 + CHECKSUM_LEN) as u64,
                    rest.len() as u64,
                )
            })?;
            (&rest[..n], Some(rest[n]))
        } else {
            (rest, None)
        };
        Ok(FormatDescriptionEvent {
            binlog_version,
            server_version,
            create_timestamp,
            header_len,
            post_header_lens,
            checksum_alg,
        })
    }

    /// The checksum algorithm of the events that follow.
    pub fn checksum(&self) -> ChecksumAlg {
        match self.checksum_alg {
            Some(1) => ChecksumAlg::Crc32,
            _ => ChecksumAlg::Off,
        }
    }

    /// The format this FDE announces, as an owned value a decoder can keep.
    pub fn to_format(&self) -> Format {
        let (flavor, version) = parse_version(self.server_version);
        // Those servers listed 22 event types, and type 16 had a post header (TABLE_MAP's),
        // where XID (16 since) never has one.
        let pre_ga_type_codes = flavor == Flavor::MySql
            && matches!(version, (5, 1, 0..=15) | (5, 2, _))
            && self.post_header_lens.len() == 22
            && self.post_header_lens.get(15).is_some_and(|&n| n != 0);
        Format {
            pre_ga_type_codes,
            server_version: String::from_utf8_lossy(self.server_version).into_owned(),
            flavor,
            version,
            header_len: self.header_len,
            post_header_lens: self.post_header_lens.to_vec(),
            checksum: self.checksum(),
        }
    }
}

/// What a decoder must know to read events: owned, built once per FDE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    /// Server version string.
    pub server_version: String,
    /// MySQL or MariaDB.
    pub flavor: Flavor,
    /// (major, minor, patch) from the server version.
    pub version: (u16, u16, u16),
    /// Common header length.
    pub header_len: u8,
    /// Post-header length per event type (`type_code - 1`).
    pub post_header_lens: Vec<u8>,
    /// Checksum algorithm of the events.
    pub checksum: ChecksumAlg,
    /// Pre-GA MySQL 5.1 numbering (5.1.0–5.1.15 and the 5.2 "a_drop" builds): type codes
    /// 16–22 meant TABLE_MAP, PRE_GA_WRITE/UPDATE/DELETE_ROWS, XID, BEGIN_LOAD_QUERY and
    /// EXECUTE_LOAD_QUERY.
    pub pre_ga_type_codes: bool,
}

impl Format {
    /// The format assumed before any FDE has been seen: binlog v4 with the given checksum,
    /// post-header lengths of a MySQL 5.7 server (every length this crate reads is checked).
    pub fn assumed(flavor: Flavor, checksum: ChecksumAlg) -> Format {
        let mut post = vec![0u8; 42];
        let set = |p: &mut Vec<u8>, t: EventType, n: u8| {
            if let Some(slot) = p.get_mut(usize::from(t.code()) - 1) {
                *slot = n;
            }
        };
        set(&mut post, EventType::Query, 13);
        set(&mut post, EventType::Rotate, 8);
        set(&mut post, EventType::FormatDescription, 84);
        set(&mut post, EventType::BeginLoadQuery, 4);
        set(&mut post, EventType::ExecuteLoadQuery, 26);
        set(&mut post, EventType::TableMap, 8);
        set(&mut post, EventType::WriteRowsV1, 8);
        set(&mut post, EventType::UpdateRowsV1, 8);
        set(&mut post, EventType::DeleteRowsV1, 8);
        set(&mut post, EventType::Incident, 2);
        set(&mut post, EventType::WriteRows, 10);
        set(&mut post, EventType::UpdateRows, 10);
        set(&mut post, EventType::DeleteRows, 10);
        set(&mut post, EventType::Gtid, 42);
        set(&mut post, EventType::AnonymousGtid, 42);
        set(&mut post, EventType::PartialUpdateRows, 10);
        Format {
            server_version: String::new(),
            flavor,
            version: (0, 0, 0),
            header_len: HEADER_LEN as u8,
            post_header_lens: post,
            checksum,
            pre_ga_type_codes: false,
        }
    }

    /// The event type of a type code under this format.
    #[inline]
    pub fn event_type(&self, code: u8) -> EventType {
        if self.pre_ga_type_codes {
            let t = match code {
                16 => EventType::TableMap,
                17 => EventType::PreGaWriteRows,
                18 => EventType::PreGaUpdateRows,
                19 => EventType::PreGaDeleteRows,
                20 => EventType::Xid,
                21 => EventType::BeginLoadQuery,
                22 => EventType::ExecuteLoadQuery,
                _ => EventType::from_code(code),
            };
            return t;
        }
        EventType::from_code(code)
    }

    /// The post-header length for an event type, or `default` when the FDE does not list it.
    #[inline]
    pub fn post_header_len(&self, t: u8, default: u8) -> u8 {
        match usize::from(t)
            .checked_sub(1)
            .and_then(|i| self.post_header_lens.get(i))
        {
            Some(&n) => n,
            None => default,
        }
    }

    /// Length of the checksum trailer of each event.
    #[inline]
    pub fn checksum_len(&self) -> usize {
        match self.checksum {
            ChecksumAlg::Crc32 => CHECKSUM_LEN,
            ChecksumAlg::Off => 0,
        }
    }
}

/// (flavor, (major, minor, patch)) from a server version string.
pub fn parse_version(v: &[u8]) -> (Flavor, (u16, u16, u16)) {
    let flavor = if v.windows(7).any(|w| w.eq_ignore_ascii_case(b"mariadb")) {
        Flavor::MariaDb
    } else {
        Flavor::MySql
    };
    let mut parts = [0u16; 3];
    let mut idx = 0;
    let mut seen_digit = false;
    for &b in v {
        match b {
            b'0'..=b'9' => {
                parts[idx] = parts[idx]
                    .saturating_mul(10)
                    .saturating_add(u16::from(b - b'0'));
                seen_digit = true;
            }
            b'.' if seen_digit && idx < 2 => {
                idx += 1;
                seen_digit = false;
            }
            _ => break,
        }
    }
    // MariaDB 5.5 replication-compatible "5.5.5-10.x" prefix.
    if flavor == Flavor::MariaDb && parts == [5, 5, 5] {
        if let Some(rest) = v.get(6..) {
            return (flavor, parse_version(rest).1);
        }
    }
    (flavor, (parts[0], parts[1], parts[2]))
}

/// True when a server of this version writes the checksum-algorithm byte in its FDE
/// (MySQL ≥ 5.6.1, MariaDB ≥ 5.3.0).
pub fn checksum_aware(server_version: &[u8]) -> bool {
    let (flavor, v) = parse_version(server_version);
    match flavor {
        Flavor::MariaDb => v >= (5, 3, 0),
        Flavor::MySql => v >= (5, 6, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(
            parse_version(b"10.11.19-MariaDB-log"),
            (Flavor::MariaDb, (10, 11, 19))
        );
        assert_eq!(
            parse_version(b"5.5.5-10.3.8-MariaDB"),
            (Flavor::MariaDb, (10, 3, 8))
        );
        assert_eq!(parse_version(b"8.0.32"), (Flavor::MySql, (8, 0, 32)));
        assert!(checksum_aware(b"5.6.1"));
        assert!(!checksum_aware(b"5.6.0-m4"));
        assert!(!checksum_aware(b"5.1.23-rc-debug-log"));
        assert!(checksum_aware(b"10.0.15-MariaDB-log"));
    }
}
