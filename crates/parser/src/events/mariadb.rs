//! MariaDB events: GTID, GTID_LIST, BINLOG_CHECKPOINT, START_ENCRYPTION, and the zlib
//! framing of the compressed QUERY and rows events.

use crate::error::{Error, ErrorKind, Result};
use crate::nom_ext::{run, take_n, u32_, u64_, u8_};
use std::io::Read;

/// BINLOG_CHECKPOINT_EVENT body: the file name.
pub(crate) fn parse_binlog_checkpoint(body: &[u8]) -> Result<&[u8]> {
    let (rest, n) = run(body, u32_("checkpoint file name length"))?;
    Ok(run(rest, take_n(n as usize, "checkpoint file name"))
        .map_err(|e| e.rebase(4))?
        .1)
}

/// MariaDB GTID flag: a standalone event group (no BEGIN/COMMIT).
pub const FL_STANDALONE: u8 = 1;
/// MariaDB GTID flag: a group commit id follows.
pub const FL_GROUP_COMMIT_ID: u8 = 2;
/// MariaDB GTID flag: transactional.
pub const FL_TRANSACTIONAL: u8 = 4;
/// MariaDB GTID flag: allowed to run in parallel.
pub const FL_ALLOW_PARALLEL: u8 = 8;
/// MariaDB GTID flag: waited for a row lock.
pub const FL_WAITED: u8 = 16;
/// MariaDB GTID flag: DDL.
pub const FL_DDL: u8 = 32;
/// MariaDB GTID flag: XA PREPARE group; an XID follows.
pub const FL_PREPARED_XA: u8 = 64;
/// MariaDB GTID flag: XA COMMIT/ROLLBACK group; an XID follows.
pub const FL_COMPLETED_XA: u8 = 128;

/// MariaDB GTID_EVENT: the start of an event group, with its GTID `domain-server-seq_no`
/// (the server id is the event header's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MariaGtidEvent {
    /// Sequence number.
    pub seq_no: u64,
    /// Replication domain.
    pub domain_id: u32,
    /// `FL_*` flags.
    pub flags: u8,
    /// Group commit id when `FL_GROUP_COMMIT_ID` is set.
    pub commit_id: Option<u64>,
    /// XA XID (format id, gtrid+bqual lengths) when `FL_PREPARED_XA`/`FL_COMPLETED_XA`.
    pub xa_format_id: Option<u32>,
    /// Extra flags byte (10.8+), 0 when absent.
    pub flags_extra: u8,
}

impl MariaGtidEvent {
    pub(crate) fn parse(body: &[u8]) -> Result<Self> {
        let (_, ev) = run(body, |i| {
            let (i, seq_no) = u64_("gtid sequence number")(i)?;
            let (i, domain_id) = u32_("gtid domain id")(i)?;
            let (mut i, flags) = u8_("gtid flags")(i)?;
            let mut ev = MariaGtidEvent {
                seq_no,
                domain_id,
                flags,
                commit_id: None,
                xa_format_id: None,
                flags_extra: 0,
            };
            if flags & FL_GROUP_COMMIT_ID != 0 {
                let (j, c) = u64_("gtid commit id")(i)?;
                ev.commit_id = Some(c);
                i = j;
            } else if flags & (FL_PREPARED_XA | FL_COMPLETED_XA) != 0 {
                let (j, fid) = u32_("xid format id")(i)?;
                let (j, g) = u8_("gtrid length")(j)?;
                let (j, b) = u8_("bqual length")(j)?;
                let (j, _) = take_n(usize::from(g) + usize::from(b), "xid data")(j)?;
                ev.xa_format_id = Some(fid);
                i = j;
            }
            // What follows is the extra-flags byte (10.5+), or, without a commit id, the
            // reserved zero padding, which reads as no extra flags.
            ev.flags_extra = i.first().copied().unwrap_or(0);
            Ok((&i[i.len()..], ev))
        })?;
        Ok(ev)
    }
}

/// One GTID `domain-server-seq_no`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MariaGtid {
    /// Domain id.
    pub domain_id: u32,
    /// Server id.
    pub server_id: u32,
    /// Sequence number.
    pub seq_no: u64,
}

/// MariaDB GTID_LIST_EVENT: the binlog state at the start of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MariaGtidListEvent<'a> {
    /// Flags (high 4 bits of the count word).
    pub flags: u8,
    /// Number of GTIDs.
    pub count: u32,
    raw: &'a [u8],
}

impl<'a> MariaGtidListEvent<'a> {
    pub(crate) fn parse(body: &'a [u8]) -> Result<Self> {
        let (rest, word) = run(body, u32_("gtid list count"))?;
        let count = word & 0x0fff_ffff;
        let need = u64::from(count) * 16;
        if (rest.len() as u64) < need {
            return Err(Error::truncated(4, "gtid list", need, rest.len() as u64));
        }
        Ok(MariaGtidListEvent {
            flags: (word >> 28) as u8,
            count,
            raw: &rest[..need as usize],
        })
    }

    /// The GTIDs.
    pub fn gtids(&self) -> impl Iterator<Item = MariaGtid> + 'a {
        self.raw.chunks_exact(16).map(|c| MariaGtid {
            domain_id: u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
            server_id: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
            seq_no: u64::from_le_bytes([c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15]]),
        })
    }
}

/// MariaDB START_ENCRYPTION_EVENT: the rest of the file is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartEncryptionEvent<'a> {
    /// Encryption scheme (1).
    pub scheme: u8,
    /// Key version.
    pub key_version: u32,
    /// Nonce (12 bytes).
    pub nonce: &'a [u8],
}

impl<'a> StartEncryptionEvent<'a> {
    pub(crate) fn parse(body: &'a [u8]) -> Result<Self> {
        let (_, ev) = run(body, |i| {
            let (i, scheme) = u8_("encryption scheme")(i)?;
            let (i, key_version) = u32_("key version")(i)?;
            let (i, nonce) = take_n(12, "nonce")(i)?;
            Ok((
                i,
                StartEncryptionEvent {
                    scheme,
                    key_version,
                    nonce,
                },
            ))
        })?;
        Ok(ev)
    }
}

/// Decompresses MariaDB's compressed-event framing: one header byte `0x80 | alg << 4 |
/// lenlen`, the uncompressed length in `lenlen` (1–4) big-endian bytes, then a zlib stream.
/// The output is limited to the declared length and to `max`.
pub fn uncompress(data: &[u8], what: &'static str, max: u64) -> Result<Vec<u8>> {
    let Some((&h, rest)) = data.split_first() else {
        return Err(Error::truncated(0, what, 1, 0));
    };
    if h & 0x80 == 0 || (h >> 4) & 0x07 != 0 {
        return Err(Error::invalid(0, "compression header", u64::from(h)));
    }
    let lenlen = usize::from(h & 0x07);
    if !(1..=4).contains(&lenlen) {
        return Err(Error::invalid(0, "compressed length width", lenlen as u64));
    }
    let Some(lb) = rest.get(..lenlen) else {
        return Err(Error::truncated(1, what, lenlen as u64, rest.len() as u64));
    };
    let len = lb.iter().fold(0u64, |a, &b| a << 8 | u64::from(b));
    if len > max {
        return Err(Error::new(
            0,
            ErrorKind::TooLarge {
                what,
                size: len,
                limit: max,
            },
        ));
    }
    let z = &rest[lenlen..];
    let mut out = Vec::with_capacity((len as usize).min(z.len().saturating_mul(16)).min(1 << 24));
    let mut dec = flate2::read::ZlibDecoder::new(z).take(len + 1);
    dec.read_to_end(&mut out).map_err(|e| {
        Error::new(
            1 + lenlen as u64,
            ErrorKind::Decompress {
                what,
                detail: e.to_string(),
            },
        )
    })?;
    if out.len() as u64 != len {
        return Err(Error::new(
            1 + lenlen as u64,
            ErrorKind::Decompress {
                what,
                detail: format!("declared {len} bytes, got {}", out.len()),
            },
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn compress(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        let z = e.finish().unwrap();
        let mut out = vec![0x82, (data.len() >> 8) as u8, data.len() as u8];
        out.extend_from_slice(&z);
        out
    }

    #[test]
    fn uncompress_round_trip_and_limits() {
        let data = b"INSERT INTO t VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9)".repeat(5);
        let c = compress(&data);
        assert_eq!(uncompress(&c, "q", 1 << 20).unwrap(), data);
        assert!(matches!(
            uncompress(&c, "q", 10).unwrap_err().kind,
            ErrorKind::TooLarge { .. }
        ));
        // Lying about the length: decompression stops and reports it.
        let mut lie = c.clone();
        lie[2] = lie[2].wrapping_add(1);
        assert!(matches!(
            uncompress(&lie, "q", 1 << 20).unwrap_err().kind,
            ErrorKind::Decompress { .. }
        ));
        assert!(uncompress(&c[..2], "q", 1 << 20).is_err());
        assert!(uncompress(&c[..10], "q", 1 << 20).is_err());
    }

    #[test]
    fn gtid_list() {
        let mut b = 2u32.to_le_bytes().to_vec();
        for (d, s, q) in [(0u32, 1u32, 10u64), (1, 2, 3)] {
            b.extend_from_slice(&d.to_le_bytes());
            b.extend_from_slice(&s.to_le_bytes());
            b.extend_from_slice(&q.to_le_bytes());
        }
        let l = MariaGtidListEvent::parse(&b).unwrap();
        let g: Vec<_> = l.gtids().collect();
        assert_eq!(
            g[1],
            MariaGtid {
                domain_id: 1,
                server_id: 2,
                seq_no: 3
            }
        );
        assert!(MariaGtidListEvent::parse(&b[..20])
            .unwrap_err()
            .is_truncated());
    }
}
