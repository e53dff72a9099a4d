//! MySQL GTID events: GTID_LOG_EVENT, ANONYMOUS_GTID_LOG_EVENT and PREVIOUS_GTIDS_LOG_EVENT.

use crate::error::{Error, Result};
use crate::header::EventType;
use crate::nom_ext::{lenenc, run, take_n, u32_, u64_, u8_, PResult};
use std::fmt;

/// A server UUID (source id of a GTID).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uuid(pub [u8; 16]);

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// GTID_LOG_EVENT / ANONYMOUS_GTID_LOG_EVENT: the start of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GtidEvent<'a> {
    /// True for ANONYMOUS_GTID_LOG_EVENT (gtid_mode=OFF).
    pub anonymous: bool,
    /// Flags (bit 0: may have been committed as a single statement with no rollback).
    pub flags: u8,
    /// Source UUID.
    pub sid: Uuid,
    /// Transaction number.
    pub gno: i64,
    /// Logical clock (5.7+): last committed and sequence number.
    pub logical_clock: Option<(i64, i64)>,
    /// Immediate commit timestamp in microseconds (8.0.1+).
    pub immediate_commit_timestamp: Option<u64>,
    /// Original commit timestamp in microseconds (8.0.1+; equal to the immediate one when
    /// the event was not replicated).
    pub original_commit_timestamp: Option<u64>,
    /// Transaction length in bytes, GTID event included (8.0.2+).
    pub transaction_length: Option<u64>,
    /// Immediate server version, e.g. 80032 (8.0.14+).
    pub immediate_server_version: Option<u32>,
    /// Original server version (8.0.14+).
    pub original_server_version: Option<u32>,
    /// Bytes after the fields this crate knows (future versions).
    pub rest: &'a [u8],
}

const HAS_ORIGINAL_TS: u64 = 1 << 55;
const HAS_ORIGINAL_VERSION: u32 = 1 << 31;

fn u56(what: &'static str) -> impl Fn(&[u8]) -> PResult<'_, u64> {
    move |i| {
        let (i, b) = take_n(7, what)(i)?;
        let mut v = 0u64;
        for (n, &x) in b.iter().enumerate() {
            v |= u64::from(x) << (8 * n);
        }
        Ok((i, v))
    }
}

impl<'a> GtidEvent<'a> {
    pub(crate) fn parse(body: &'a [u8], ty: EventType) -> Result<Self> {
        let (_, ev) = run(body, |i| {
            let (i, flags) = u8_("gtid flags")(i)?;
            let (i, sid) = take_n(16, "gtid source id")(i)?;
            let (i, gno) = u64_("gtid number")(i)?;
            let mut ev = GtidEvent {
                anonymous: ty == EventType::AnonymousGtid,
                flags,
                sid: Uuid(sid.try_into().unwrap_or([0; 16])),
                gno: gno as i64,
                logical_clock: None,
                immediate_commit_timestamp: None,
                original_commit_timestamp: None,
                transaction_length: None,
                immediate_server_version: None,
                original_server_version: None,
                rest: &[],
            };
            if i.is_empty() {
                return Ok((i, ev));
            }
            let (i, lt_type) = u8_("logical timestamp type")(i)?;
            if lt_type != 2 {
                return crate::nom_ext::invalid(i, "logical timestamp type", u64::from(lt_type));
            }
            let (i, last) = u64_("last committed")(i)?;
            let (mut i, seq) = u64_("sequence number")(i)?;
            ev.logical_clock = Some((last as i64, seq as i64));
            if i.len() >= 7 {
                let (j, imm) = u56("immediate commit timestamp")(i)?;
                i = j;
                if imm & HAS_ORIGINAL_TS != 0 {
                    let (j, orig) = u56("original commit timestamp")(i)?;
                    i = j;
                    ev.immediate_commit_timestamp = Some(imm & !HAS_ORIGINAL_TS);
                    ev.original_commit_timestamp = Some(orig);
                } else {
                    ev.immediate_commit_timestamp = Some(imm);
                    ev.original_commit_timestamp = Some(imm);
                }
                if !i.is_empty() {
                    let (j, len) = lenenc("transaction length")(i)?;
                    i = j;
                    ev.transaction_length = Some(len);
                }
                if i.len() >= 4 {
                    let (j, v) = u32_("immediate server version")(i)?;
                    i = j;
                    if v & HAS_ORIGINAL_VERSION != 0 {
                        let (j, o) = u32_("original server version")(i)?;
                        i = j;
                        ev.immediate_server_version = Some(v & !HAS_ORIGINAL_VERSION);
                        ev.original_server_version = Some(o);
                    } else {
                        ev.immediate_server_version = Some(v);
                        ev.original_server_version = Some(v);
                    }
                }
            }
            ev.rest = i;
            Ok((&i[i.len()..], ev))
        })?;
        Ok(ev)
    }
}

/// A GTID set as PREVIOUS_GTIDS_LOG_EVENT stores it (untagged format): decoded lazily.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GtidSet<'a> {
    /// Number of source ids.
    pub n_sids: u64,
    raw: &'a [u8],
}

/// One source id of a [`GtidSet`] with its intervals (`[start, end)`, end exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GtidSetEntry {
    /// Source id.
    pub sid: Uuid,
    /// Tag (MySQL 8.4 tagged GTIDs), empty when untagged.
    pub tag: String,
    /// Intervals `[start, end)`.
    pub intervals: Vec<(i64, i64)>,
}

impl<'a> GtidSet<'a> {
    /// Parses and validates the set (every length checked against the body).
    pub fn parse(body: &'a [u8]) -> Result<Self> {
        let set = GtidSet {
            n_sids: 0,
            raw: body,
        };
        let n = set.entries()?.len() as u64;
        Ok(GtidSet {
            n_sids: n,
            raw: body,
        })
    }

    /// The entries. Allocates; intended for display and tests, not the hot path.
    pub fn entries(&self) -> Result<Vec<GtidSetEntry>> {
        let (_, v) = run(self.raw, |i| {
            let (mut i, word) = u64_("gtid set sid count")(i)?;
            let format = (word >> 56) as u8;
            // Untagged (format 0): the count is the low 56 bits. Tagged (format 1, MySQL 8.4+):
            // `format << 56 | n_sids << 8 | format` (`encode_nsids_format` in
            // sql/rpl_gtid_set.cc), so bytes 1..7 hold the count.
            let n = if format == 1 {
                (word & 0x00ff_ffff_ffff_ff00) >> 8
            } else {
                word
            };
            if format > 1 {
                return crate::nom_ext::invalid(i, "gtid set format", u64::from(format));
            }
            if n > i.len() as u64 / 24 {
                return crate::nom_ext::invalid(i, "gtid set sid count", n);
            }
            let mut out = Vec::with_capacity(n as usize);
            for _ in 0..n {
                let (j, sid) = take_n(16, "gtid set sid")(i)?;
                let mut j = j;
                let mut tag = String::new();
                if format == 1 {
                    // Every entry of a tagged set has a tag (empty when untagged), stored
                    // as a serialization-library string: varlen length (<= 32), bytes.
                    let (k, t) = crate::events::gtid_tagged::parse_tag("gtid tag")(j)?;
                    tag = String::from_utf8_lossy(t).into_owned();
                    j = k;
                }
                let (j, ni) = u64_("gtid interval count")(j)?;
                if ni > j.len() as u64 / 16 {
                    return crate::nom_ext::invalid(j, "gtid interval count", ni);
                }
                let mut intervals = Vec::with_capacity(ni as usize);
                let mut j = j;
                for _ in 0..ni {
                    let (k, s) = u64_("gtid interval start")(j)?;
                    let (k, e) = u64_("gtid interval end")(k)?;
                    intervals.push((s as i64, e as i64));
                    j = k;
                }
                out.push(GtidSetEntry {
                    sid: Uuid(sid.try_into().unwrap_or([0; 16])),
                    tag,
                    intervals,
                });
                i = j;
            }
            Ok((i, out))
        })?;
        Ok(v)
    }
}

impl fmt::Display for GtidSet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries = self.entries().map_err(|_: Error| fmt::Error)?;
        for (n, e) in entries.iter().enumerate() {
            if n > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}", e.sid)?;
            if !e.tag.is_empty() {
                write!(f, ":{}", e.tag)?;
            }
            for (s, end) in &e.intervals {
                if *end == s + 1 {
                    write!(f, ":{s}")?;
                } else {
                    write!(f, ":{s}-{}", end - 1)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtid_set_round_trip() {
        let mut b = 1u64.to_le_bytes().to_vec();
        b.extend_from_slice(&[
            0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42,
            0x95, 0x62,
        ]);
        b.extend_from_slice(&2u64.to_le_bytes());
        for (s, e) in [(1i64, 6i64), (11, 12)] {
            b.extend_from_slice(&s.to_le_bytes());
            b.extend_from_slice(&e.to_le_bytes());
        }
        let s = GtidSet::parse(&b).unwrap();
        assert_eq!(s.to_string(), "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:11");
        // A count larger than the body can hold is rejected before allocating.
        let mut bad = b.clone();
        bad[0] = 0xff;
        bad[1] = 0xff;
        assert!(GtidSet::parse(&bad).is_err());
        assert!(GtidSet::parse(&b[..b.len() - 3]).is_err());
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|k| u8::from_str_radix(&s[k..k + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn real_previous_gtids_untagged_and_tagged() {
        // PREVIOUS_GTIDS bodies of blackbeam-rust_mysql_common's
        // binlog_transaction_previous_GTID_no_tag.000001 (8.0.40, untagged format) and
        // binlog_transaction_with_GTID_TAG.000001 (9.6.0, tagged format: the count word is
        // 01 | n_sids (6 bytes) | 01, and every entry has a varlen-length tag).
        let untagged = hex("0100000000000000b9b88c66075511f198994a9da94c4d71010000000000000001000000000000000300000000000000");
        let s = GtidSet::parse(&untagged).unwrap();
        assert_eq!(s.n_sids, 1);
        assert_eq!(s.to_string(), "b9b88c66-0755-11f1-9899-4a9da94c4d71:1-2");
        let tagged = hex(concat!(
            "0102000000000001",
            "55778904029911f1b1b84ef0c4956feb",
            "00",
            "0100000000000000",
            "0100000000000000",
            "0e00000000000000",
            "55778904029911f1b1b84ef0c4956feb",
            "0a6d79746167",
            "0100000000000000",
            "0100000000000000",
            "0300000000000000",
        ));
        let s = GtidSet::parse(&tagged).unwrap();
        assert_eq!(s.n_sids, 2);
        let e = s.entries().unwrap();
        assert_eq!(
            (e[0].tag.as_str(), &e[0].intervals[..]),
            ("", &[(1, 14)][..])
        );
        assert_eq!(
            (e[1].tag.as_str(), &e[1].intervals[..]),
            ("mytag", &[(1, 3)][..])
        );
        for body in [&untagged, &tagged] {
            for cut in 0..body.len() {
                assert!(GtidSet::parse(&body[..cut]).is_err(), "cut {cut}");
            }
        }
        // A tag with a character MySQL refuses, and a format byte above 1.
        let mut bad = tagged.clone();
        bad[66] = b'-';
        assert!(GtidSet::parse(&bad).is_err());
        let mut bad = tagged.clone();
        bad[7] = 2;
        assert!(GtidSet::parse(&bad).is_err());
    }

    #[test]
    fn mysql8_gtid_event() {
        let mut b = vec![1u8];
        b.extend_from_slice(&[0xaa; 16]);
        b.extend_from_slice(&7i64.to_le_bytes());
        b.push(2);
        b.extend_from_slice(&3i64.to_le_bytes());
        b.extend_from_slice(&4i64.to_le_bytes());
        let ts: u64 = 1_700_000_000_123_456;
        b.extend_from_slice(&(ts | HAS_ORIGINAL_TS).to_le_bytes()[..7]);
        b.extend_from_slice(&(ts - 5).to_le_bytes()[..7]);
        b.push(0xfc);
        b.extend_from_slice(&300u16.to_le_bytes());
        b.extend_from_slice(&(80032u32 | HAS_ORIGINAL_VERSION).to_le_bytes());
        b.extend_from_slice(&80026u32.to_le_bytes());
        let g = GtidEvent::parse(&b, EventType::Gtid).unwrap();
        assert_eq!(g.gno, 7);
        assert_eq!(g.logical_clock, Some((3, 4)));
        assert_eq!(g.immediate_commit_timestamp, Some(ts));
        assert_eq!(g.original_commit_timestamp, Some(ts - 5));
        assert_eq!(g.transaction_length, Some(300));
        assert_eq!(g.immediate_server_version, Some(80032));
        assert_eq!(g.original_server_version, Some(80026));
        for cut in 1..b.len() {
            // Every prefix either decodes (optional fields absent) or fails cleanly.
            let _ = GtidEvent::parse(&b[..cut], EventType::Gtid);
        }
    }
}
