//! GTID sets in the forms a replica hands to the source: MySQL's `uuid[:tag]:interval…`
//! sets (text and the binary encoding of COM_BINLOG_DUMP_GTID), and MariaDB's
//! `domain-server-sequence` lists (the value of `@slave_connect_state`).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use bytes::{BufMut, BytesMut};

use crate::error::{Error, Result};

/// Longest tag MySQL accepts (`mysql::gtid::tag_max_length`).
const TAG_MAX_LEN: usize = 32;

/// A MySQL GTID set: for each source UUID and tag (empty = untagged), ordered, disjoint,
/// non-adjacent intervals of transaction numbers, stored half-open `[start, end)` as on
/// the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MysqlGtidSet {
    entries: BTreeMap<SidTag, Vec<(u64, u64)>>,
}

/// Source UUID and tag.
type SidTag = ([u8; 16], String);

impl MysqlGtidSet {
    /// True when the set holds no transaction.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds the closed interval `first..=last` for `uuid` and `tag`.
    pub fn insert(&mut self, uuid: [u8; 16], tag: &str, first: u64, last: u64) {
        if first == 0 || last < first {
            return;
        }
        let list = self.entries.entry((uuid, tag.to_owned())).or_default();
        list.push((first, last.saturating_add(1)));
        list.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(list.len());
        for &(s, e) in list.iter() {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        *list = merged;
    }

    /// Each source UUID and tag with its intervals, closed (`first..=last`), in order.
    pub fn intervals(&self) -> impl Iterator<Item = ([u8; 16], &str, Vec<(u64, u64)>)> + '_ {
        self.entries.iter().map(|((uuid, tag), list)| {
            (
                *uuid,
                tag.as_str(),
                list.iter().map(|&(s, e)| (s, e - 1)).collect(),
            )
        })
    }

    /// True when the transaction `uuid[:tag]:gno` is in the set.
    pub fn contains(&self, uuid: [u8; 16], tag: &str, gno: u64) -> bool {
        self.entries
            .get(&(uuid, tag.to_owned()))
            .is_some_and(|l| l.iter().any(|&(s, e)| s <= gno && gno < e))
    }

    /// Appends the binary encoding of COM_BINLOG_DUMP_GTID (`Gtid_set::encode`): the
    /// untagged format when no entry has a tag, else the tagged format of MySQL 8.3+.
    pub fn encode(&self, out: &mut BytesMut) {
        let tagged = self.entries.keys().any(|(_, tag)| !tag.is_empty());
        let n = self.entries.len() as u64;
        if tagged {
            out.put_u64_le((1 << 56) | (n << 8) | 1);
        } else {
            out.put_u64_le(n);
        }
        for ((uuid, tag), intervals) in &self.entries {
            out.put_slice(uuid);
            if tagged {
                // serialization-library varlen length (≤ 32 fits one byte: len << 1), bytes
                out.put_u8((tag.len() as u8) << 1);
                out.put_slice(tag.as_bytes());
            }
            out.put_u64_le(intervals.len() as u64);
            for &(s, e) in intervals {
                out.put_u64_le(s);
                out.put_u64_le(e);
            }
        }
    }
}

fn bad(reason: &'static str) -> Error {
    Error::InvalidArgument {
        field: "GTID set",
        reason,
    }
}

fn parse_uuid(s: &str) -> Result<[u8; 16]> {
    let hex: Vec<u8> = s.bytes().filter(|&b| b != b'-').collect();
    if hex.len() != 32 || s.len() != 36 {
        return Err(bad(
            "a source UUID must look like 3e11fa47-71ca-11e1-9e33-c80aa9429562",
        ));
    }
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        let text = std::str::from_utf8(pair).map_err(|_| bad("non-hex digit in a UUID"))?;
        out[i] = u8::from_str_radix(text, 16).map_err(|_| bad("non-hex digit in a UUID"))?;
    }
    Ok(out)
}

fn valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= TAG_MAX_LEN
        && tag
            .bytes()
            .enumerate()
            .all(|(n, c)| c.is_ascii_alphabetic() || c == b'_' || (n > 0 && c.is_ascii_digit()))
}

impl FromStr for MysqlGtidSet {
    type Err = Error;

    /// Parses `uuid:1-5:7,uuid2:tag:1-3` (whitespace and newlines allowed around the
    /// commas, as `@@gtid_executed` prints them; tags are lower-cased as MySQL does).
    fn from_str(s: &str) -> Result<Self> {
        let mut set = MysqlGtidSet::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut fields = part.split(':');
            let uuid = parse_uuid(fields.next().unwrap_or_default().trim())?;
            let mut tag = String::new();
            let mut any = false;
            for field in fields {
                let field = field.trim();
                if field.starts_with(|c: char| c.is_ascii_digit()) {
                    let (first, last) = match field.split_once('-') {
                        Some((a, b)) => (a, b),
                        None => (field, field),
                    };
                    let first: u64 = first.parse().map_err(|_| bad("bad interval number"))?;
                    let last: u64 = last.parse().map_err(|_| bad("bad interval number"))?;
                    if first == 0 || last < first || last >= i64::MAX as u64 {
                        return Err(bad("an interval must be 1 ≤ first ≤ last < 2^63"));
                    }
                    set.insert(uuid, &tag, first, last);
                    any = true;
                } else if valid_tag(field) {
                    tag = field.to_ascii_lowercase();
                } else {
                    return Err(bad(
                        "a tag must be 1-32 letters, digits or _, not starting with a digit",
                    ));
                }
            }
            if !any {
                return Err(bad("each UUID needs at least one interval"));
            }
        }
        Ok(set)
    }
}

impl fmt::Display for MysqlGtidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first_entry = true;
        let mut last_uuid = None;
        for ((uuid, tag), intervals) in &self.entries {
            if last_uuid != Some(uuid) {
                if !first_entry {
                    f.write_str(",")?;
                }
                for (i, b) in uuid.iter().enumerate() {
                    if matches!(i, 4 | 6 | 8 | 10) {
                        f.write_str("-")?;
                    }
                    write!(f, "{b:02x}")?;
                }
                last_uuid = Some(uuid);
            }
            first_entry = false;
            if !tag.is_empty() {
                write!(f, ":{tag}")?;
            }
            for &(s, e) in intervals {
                if e - 1 == s {
                    write!(f, ":{s}")?;
                } else {
                    write!(f, ":{s}-{}", e - 1)?;
                }
            }
        }
        Ok(())
    }
}

/// One MariaDB GTID: `domain-server-sequence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MariadbGtid {
    /// Replication domain.
    pub domain_id: u32,
    /// Server that committed the transaction.
    pub server_id: u32,
    /// Sequence number within the domain.
    pub sequence: u64,
}

impl fmt::Display for MariadbGtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.domain_id, self.server_id, self.sequence)
    }
}

/// A MariaDB GTID position: the last GTID of each replication domain, as
/// `@@gtid_binlog_pos` prints it and `@slave_connect_state` takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MariadbGtidList {
    /// At most one GTID per domain, ordered by domain.
    pub gtids: Vec<MariadbGtid>,
}

impl FromStr for MariadbGtidList {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let mut gtids: Vec<MariadbGtid> = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut it = part.splitn(3, '-');
            let mut next = || it.next().map(str::trim).unwrap_or_default();
            let (d, sv, q) = (next(), next(), next());
            let gtid = MariadbGtid {
                domain_id: d
                    .parse()
                    .map_err(|_| bad("a MariaDB GTID is domain-server-sequence"))?,
                server_id: sv
                    .parse()
                    .map_err(|_| bad("a MariaDB GTID is domain-server-sequence"))?,
                sequence: q
                    .parse()
                    .map_err(|_| bad("a MariaDB GTID is domain-server-sequence"))?,
            };
            if gtids.iter().any(|g| g.domain_id == gtid.domain_id) {
                return Err(bad("a MariaDB GTID position has one GTID per domain"));
            }
            gtids.push(gtid);
        }
        gtids.sort();
        Ok(MariadbGtidList { gtids })
    }
}

impl fmt::Display for MariadbGtidList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, g) in self.gtids.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{g}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const U1: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

    #[test]
    fn mysql_text_round_trip_and_merge() {
        let s: MysqlGtidSet = format!("{U1}:7:1-3, {U1}:4-5,\n{U1}:tag_a:2")
            .parse()
            .unwrap();
        assert_eq!(s.to_string(), format!("{U1}:1-5:7:tag_a:2"));
        let u = parse_uuid(U1).unwrap();
        assert!(s.contains(u, "", 5) && !s.contains(u, "", 6) && s.contains(u, "tag_a", 2));
        assert!("".parse::<MysqlGtidSet>().unwrap().is_empty());
    }

    #[test]
    fn mysql_text_errors() {
        for bad in [
            "zz",
            U1,
            &format!("{U1}:0-3"),
            &format!("{U1}:5-3"),
            &format!("{U1}:1x"),
            &format!("{U1}:9tag:1"),
            &format!("{U1}:1-99999999999999999999"),
        ] {
            assert!(bad.parse::<MysqlGtidSet>().is_err(), "{bad}");
        }
    }

    #[test]
    fn tagged_encoding_matches_mysql_layout() {
        // Same layout as the PREVIOUS_GTIDS body of MySQL 9.6's
        // binlog_transaction_with_GTID_TAG.000001 (checked by the parser's tests):
        // word 01 | n (6 bytes) | 01, then per entry uuid, varlen tag, count, intervals.
        let s: MysqlGtidSet = format!("{U1}:mytag:1-3").parse().unwrap();
        let mut out = BytesMut::new();
        s.encode(&mut out);
        assert_eq!(&out[..8], &[1, 1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(&out[24..30], &[10, b'm', b'y', b't', b'a', b'g']);
        assert_eq!(
            &out[30..],
            &[1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn mariadb_list() {
        let l: MariadbGtidList = "1-2-30, 0-1-100".parse().unwrap();
        assert_eq!(l.to_string(), "0-1-100,1-2-30");
        assert!("0-1".parse::<MariadbGtidList>().is_err());
        assert!("0-1-2,0-3-4".parse::<MariadbGtidList>().is_err());
        assert!("a-b-c".parse::<MariadbGtidList>().is_err());
        assert!("".parse::<MariadbGtidList>().unwrap().gtids.is_empty());
    }
}
