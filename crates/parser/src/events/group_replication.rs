//! The group-replication events: TRANSACTION_CONTEXT_EVENT (type 36) and VIEW_CHANGE_EVENT
//! (type 37), written by MySQL Group Replication into the relay logs (and binlogs) of group
//! members.
//!
//! Layouts (MySQL `libs/mysql/binlog/event/control_events.{h,cpp}`, classes
//! `Transaction_context_event` and `View_change_event`; `event_reader.cpp`, `read_data_set`
//! and `read_data_map`). Integers are little-endian.
//!
//! TRANSACTION_CONTEXT_EVENT:
//!
//! | bytes | field |
//! |---|---|
//! | 1 | server UUID length `u` |
//! | 4 | thread id |
//! | 1 | gtid specified (bool) |
//! | 4 | snapshot version length `s` |
//! | 4 | write set item count `w` |
//! | 4 | read set item count `r` |
//! | `u` | server UUID (text) |
//! | `s` | snapshot version: an encoded GTID set (as in PREVIOUS_GTIDS) |
//! | `w` × (2 + n) | write set: items of a 2-byte length `n` and `n` bytes (row hashes) |
//! | `r` × (2 + n) | read set: same layout (unused by MySQL, always empty) |
//!
//! VIEW_CHANGE_EVENT:
//!
//! | bytes | field |
//! |---|---|
//! | 40 | view id, NUL-padded text (must not be empty) |
//! | 8 | sequence number |
//! | 4 | certification info entry count `c` |
//! | `c` × (2 + k + 4 + v) | entries: 2-byte key length `k`, key, 4-byte value length `v`, value |
//!
//! Every count is checked against the bytes that remain before anything is read, and the
//! sets and the map are kept as validated byte ranges iterated on demand: decoding allocates
//! nothing, whatever a count says.
//!
//! See <https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Transaction__context__event.html>
//! and <https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1View__change__event.html>.

use crate::error::Result;
use crate::events::gtid::GtidSet;
use crate::fde::Format;
use crate::nom_ext::{invalid, run, take_n, u16_, u32_, u64_, u8_, PResult};

/// Length of the view id field of a VIEW_CHANGE_EVENT (`ENCODED_VIEW_ID_MAX_LEN`).
pub const VIEW_ID_LEN: usize = 40;

/// TRANSACTION_CONTEXT_EVENT: what Group Replication certifies a transaction with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionContextEvent<'a> {
    /// The UUID of the server that executed the transaction (text form).
    pub server_uuid: &'a [u8],
    /// The id of the thread that executed it.
    pub thread_id: u32,
    /// True when the transaction's GTID was specified (`SET gtid_next`) rather than generated.
    pub gtid_specified: bool,
    /// The snapshot version: the GTID set the transaction saw, encoded as in
    /// PREVIOUS_GTIDS_LOG_EVENT (see [`TransactionContextEvent::snapshot_version_set`]).
    pub snapshot_version: &'a [u8],
    /// The write set: hashes of the rows the transaction changed.
    pub write_set: ItemSet<'a>,
    /// The read set (always empty from current servers).
    pub read_set: ItemSet<'a>,
    /// Bytes after the documented fields (none from current servers).
    pub trailing: &'a [u8],
}

impl<'a> TransactionContextEvent<'a> {
    /// Decodes the body. Errors are relative to `body`.
    pub fn parse(body: &'a [u8], _format: &Format) -> Result<Self> {
        let (_, ev) = run(body, parse_transaction_context)?;
        Ok(ev)
    }

    /// Decodes the snapshot version as a GTID set. Errors are relative to
    /// [`TransactionContextEvent::snapshot_version`].
    pub fn snapshot_version_set(&self) -> Result<GtidSet<'a>> {
        GtidSet::parse(self.snapshot_version)
    }
}

fn parse_transaction_context(i: &[u8]) -> PResult<'_, TransactionContextEvent<'_>> {
    let (i, uuid_len) = u8_("transaction context server uuid length")(i)?;
    let (i, thread_id) = u32_("transaction context thread id")(i)?;
    let (i, gtid_specified) = u8_("transaction context gtid specified")(i)?;
    let (i, snapshot_len) = u32_("transaction context snapshot version length")(i)?;
    let (i, write_count) = u32_("transaction context write set count")(i)?;
    let (i, read_count) = u32_("transaction context read set count")(i)?;
    let (i, server_uuid) = take_n(usize::from(uuid_len), "transaction context server uuid")(i)?;
    let (i, snapshot_version) = take_n(
        len_usize(snapshot_len),
        "transaction context snapshot version",
    )(i)?;
    let (i, write_set) = item_set(write_count, "transaction context write set")(i)?;
    let (i, read_set) = item_set(read_count, "transaction context read set")(i)?;
    let ev = TransactionContextEvent {
        server_uuid,
        thread_id,
        gtid_specified: gtid_specified != 0,
        snapshot_version,
        write_set,
        read_set,
        trailing: i,
    };
    Ok((&i[i.len()..], ev))
}

fn len_usize(n: u32) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// A validated list of byte strings, each stored as a 2-byte length and its bytes (the write
/// and read sets of a [`TransactionContextEvent`]). Iterate with [`ItemSet::iter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemSet<'a> {
    count: u32,
    raw: &'a [u8],
}

impl<'a> ItemSet<'a> {
    /// Number of items.
    pub fn len(&self) -> usize {
        len_usize(self.count)
    }

    /// True when there are no items.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The encoded items (lengths included).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The items, in order.
    pub fn iter(&self) -> ItemSetIter<'a> {
        ItemSetIter {
            left: self.count,
            rest: self.raw,
        }
    }
}

impl<'a> IntoIterator for &ItemSet<'a> {
    type Item = &'a [u8];
    type IntoIter = ItemSetIter<'a>;
    fn into_iter(self) -> ItemSetIter<'a> {
        self.iter()
    }
}

/// Iterator over the items of an [`ItemSet`].
#[derive(Debug, Clone)]
pub struct ItemSetIter<'a> {
    left: u32,
    rest: &'a [u8],
}

impl<'a> Iterator for ItemSetIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        self.left = self.left.checked_sub(1)?;
        // The set was validated when it was parsed: these reads cannot fail.
        let (rest, item) = parse_item(self.rest).ok()?;
        self.rest = rest;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (len_usize(self.left), Some(len_usize(self.left)))
    }
}

fn parse_item(i: &[u8]) -> PResult<'_, &[u8]> {
    let (i, n) = u16_("set item length")(i)?;
    take_n(usize::from(n), "set item")(i)
}

/// Validates `count` items; returns them as an [`ItemSet`].
fn item_set<'a>(count: u32, what: &'static str) -> impl Fn(&'a [u8]) -> PResult<'a, ItemSet<'a>> {
    move |start: &'a [u8]| {
        // Each item takes at least its 2-byte length.
        if u64::from(count) > start.len() as u64 / 2 {
            return invalid(start, what, u64::from(count));
        }
        let mut i = start;
        for _ in 0..count {
            let (j, _) = parse_item(i).map_err(|e| rename(e, what))?;
            i = j;
        }
        let raw = &start[..start.len() - i.len()];
        Ok((i, ItemSet { count, raw }))
    }
}

/// Names an inner failure after the structure being read.
fn rename<'a>(
    e: nom::Err<crate::nom_ext::PErr<'a>>,
    what: &'static str,
) -> nom::Err<crate::nom_ext::PErr<'a>> {
    e.map(|mut p| {
        p.what = what;
        p
    })
}

/// VIEW_CHANGE_EVENT: a member joined or left the group; the new view and the certification
/// state the members agree on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewChangeEvent<'a> {
    /// The view id (the 40-byte field up to its first NUL), e.g. `15964128364541221:3`.
    pub view_id: &'a [u8],
    /// The next sequence number to give a certified transaction.
    pub seq_number: u64,
    /// The certification info: (write-set hash key, encoded GTID set) pairs.
    pub certification_info: CertificationInfo<'a>,
    /// Bytes after the documented fields (none from current servers).
    pub trailing: &'a [u8],
}

impl<'a> ViewChangeEvent<'a> {
    /// Decodes the body. Errors are relative to `body`.
    pub fn parse(body: &'a [u8], _format: &Format) -> Result<Self> {
        let (_, ev) = run(body, parse_view_change)?;
        Ok(ev)
    }
}

fn parse_view_change(i: &[u8]) -> PResult<'_, ViewChangeEvent<'_>> {
    let (j, id_field) = take_n(VIEW_ID_LEN, "view change view id")(i)?;
    let view_id = match id_field.iter().position(|&b| b == 0) {
        Some(p) => &id_field[..p],
        None => id_field,
    };
    if view_id.is_empty() {
        // MySQL: "Invalid View_change information".
        return invalid(i, "view change view id (empty)", 0);
    }
    let (j, seq_number) = u64_("view change sequence number")(j)?;
    let (j, count) = u32_("view change certification info count")(j)?;
    let (j, certification_info) = cert_map(count)(j)?;
    let ev = ViewChangeEvent {
        view_id,
        seq_number,
        certification_info,
        trailing: j,
    };
    Ok((&j[j.len()..], ev))
}

/// The certification info of a [`ViewChangeEvent`]: a validated map of (key, value) byte
/// strings, iterated with [`CertificationInfo::iter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificationInfo<'a> {
    count: u32,
    raw: &'a [u8],
}

impl<'a> CertificationInfo<'a> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        len_usize(self.count)
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The encoded entries (lengths included).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The (key, value) entries, in order.
    pub fn iter(&self) -> CertificationInfoIter<'a> {
        CertificationInfoIter {
            left: self.count,
            rest: self.raw,
        }
    }
}

impl<'a> IntoIterator for &CertificationInfo<'a> {
    type Item = (&'a [u8], &'a [u8]);
    type IntoIter = CertificationInfoIter<'a>;
    fn into_iter(self) -> CertificationInfoIter<'a> {
        self.iter()
    }
}

/// Iterator over the entries of a [`CertificationInfo`].
#[derive(Debug, Clone)]
pub struct CertificationInfoIter<'a> {
    left: u32,
    rest: &'a [u8],
}

impl<'a> Iterator for CertificationInfoIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        // The map was validated when it was parsed: these reads cannot fail.
        let (rest, entry) = parse_entry(self.rest).ok()?;
        self.rest = rest;
        Some(entry)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (len_usize(self.left), Some(len_usize(self.left)))
    }
}

fn parse_entry(i: &[u8]) -> PResult<'_, (&[u8], &[u8])> {
    let (i, klen) = u16_("certification info key length")(i)?;
    let (i, key) = take_n(usize::from(klen), "certification info key")(i)?;
    let (i, vlen) = u32_("certification info value length")(i)?;
    let (i, value) = take_n(len_usize(vlen), "certification info value")(i)?;
    Ok((i, (key, value)))
}

fn cert_map<'a>(count: u32) -> impl Fn(&'a [u8]) -> PResult<'a, CertificationInfo<'a>> {
    move |start: &'a [u8]| {
        // Each entry takes at least its two lengths (2 + 4 bytes).
        if u64::from(count) > start.len() as u64 / 6 {
            return invalid(
                start,
                "view change certification info count",
                u64::from(count),
            );
        }
        let mut i = start;
        for _ in 0..count {
            let (j, _) = parse_entry(i)?;
            i = j;
        }
        let raw = &start[..start.len() - i.len()];
        Ok((i, CertificationInfo { count, raw }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::fde::{ChecksumAlg, Flavor};

    fn fmt() -> Format {
        Format::assumed(Flavor::MySql, ChecksumAlg::Crc32)
    }

    const UUID: &[u8] = b"8a94f357-aab4-11df-86ab-c80aa9429562";

    /// An encoded GTID set `UUID:1-5` (untagged format).
    fn snapshot() -> Vec<u8> {
        let mut b = 1u64.to_le_bytes().to_vec();
        b.extend_from_slice(&[
            0x8a, 0x94, 0xf3, 0x57, 0xaa, 0xb4, 0x11, 0xdf, 0x86, 0xab, 0xc8, 0x0a, 0xa9, 0x42,
            0x95, 0x62,
        ]);
        b.extend_from_slice(&1u64.to_le_bytes());
        b.extend_from_slice(&1u64.to_le_bytes());
        b.extend_from_slice(&6u64.to_le_bytes());
        b
    }

    /// A body as `Transaction_context_log_event::write_data_header/body` lays it out.
    fn tce(write: &[&[u8]], read: &[&[u8]]) -> Vec<u8> {
        let snap = snapshot();
        let mut b = vec![UUID.len() as u8];
        b.extend_from_slice(&77u32.to_le_bytes());
        b.push(1);
        b.extend_from_slice(&(snap.len() as u32).to_le_bytes());
        b.extend_from_slice(&(write.len() as u32).to_le_bytes());
        b.extend_from_slice(&(read.len() as u32).to_le_bytes());
        b.extend_from_slice(UUID);
        b.extend_from_slice(&snap);
        for item in write.iter().chain(read) {
            b.extend_from_slice(&(item.len() as u16).to_le_bytes());
            b.extend_from_slice(item);
        }
        b
    }

    #[test]
    fn transaction_context() {
        let w: [&[u8]; 3] = [b"hash-1:12345678", b"", b"h3"];
        let b = tce(&w, &[b"r"]);
        let t = TransactionContextEvent::parse(&b, &fmt()).unwrap();
        assert_eq!(t.server_uuid, UUID);
        assert_eq!(t.thread_id, 77);
        assert!(t.gtid_specified);
        assert_eq!(t.snapshot_version, &snapshot()[..]);
        assert_eq!(
            t.snapshot_version_set().unwrap().to_string(),
            "8a94f357-aab4-11df-86ab-c80aa9429562:1-5"
        );
        assert_eq!(t.write_set.len(), 3);
        assert_eq!(t.write_set.iter().collect::<Vec<_>>(), w);
        assert_eq!(t.write_set.iter().size_hint(), (3, Some(3)));
        assert_eq!((&t.read_set).into_iter().collect::<Vec<_>>(), [&b"r"[..]]);
        assert!(t.trailing.is_empty());
        let empty = tce(&[], &[]);
        let t = TransactionContextEvent::parse(&empty, &fmt()).unwrap();
        assert!(t.write_set.is_empty() && t.read_set.is_empty());
        assert_eq!(t.write_set.iter().next(), None);
    }

    #[test]
    fn transaction_context_counts_are_checked_before_reading() {
        let mut b = tce(&[b"abc"], &[]);
        // A write-set count of 4 billion: refused at once, nothing allocated.
        b[10..14].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = TransactionContextEvent::parse(&b, &fmt()).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::Invalid {
                    what: "transaction context write set",
                    ..
                }
            ),
            "{e}"
        );
        // A count the bytes could hold but whose items run past the end.
        let mut b = tce(&[b"abc"], &[]);
        b[10..14].copy_from_slice(&2u32.to_le_bytes());
        let e = TransactionContextEvent::parse(&b, &fmt()).unwrap_err();
        assert!(e.is_truncated(), "{e}");
        // A snapshot length past the end.
        let mut b = tce(&[], &[]);
        b[6..10].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = TransactionContextEvent::parse(&b, &fmt()).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::Truncated {
                    what: "transaction context snapshot version",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn transaction_context_every_truncation_is_a_typed_error() {
        let b = tce(&[b"hash-1", b"hash-2"], &[b"r"]);
        for cut in 0..b.len() {
            let e = TransactionContextEvent::parse(&b[..cut], &fmt()).unwrap_err();
            assert!(
                matches!(
                    e.kind,
                    ErrorKind::Truncated { .. } | ErrorKind::Invalid { .. }
                ),
                "cut {cut}: {e}"
            );
            assert!(e.offset <= cut as u64);
        }
    }

    /// A body as `View_change_log_event::write_data_header/body` lays it out.
    fn vce(id: &[u8], entries: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut b = id.to_vec();
        b.resize(VIEW_ID_LEN, 0);
        b.extend_from_slice(&42u64.to_le_bytes());
        b.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        for (k, v) in entries {
            b.extend_from_slice(&(k.len() as u16).to_le_bytes());
            b.extend_from_slice(k);
            b.extend_from_slice(&(v.len() as u32).to_le_bytes());
            b.extend_from_slice(v);
        }
        b
    }

    #[test]
    fn view_change() {
        let snap = snapshot();
        let entries: [(&[u8], &[u8]); 2] = [(b"1234567890", &snap), (b"k2", b"")];
        let b = vce(b"15964128364541221:3", &entries);
        let v = ViewChangeEvent::parse(&b, &fmt()).unwrap();
        assert_eq!(v.view_id, b"15964128364541221:3");
        assert_eq!(v.seq_number, 42);
        assert_eq!(v.certification_info.len(), 2);
        assert_eq!(v.certification_info.iter().collect::<Vec<_>>(), entries);
        assert!(v.trailing.is_empty());
        // A view id filling all 40 bytes has no NUL.
        let b = vce(&[b'x'; VIEW_ID_LEN], &[]);
        let v = ViewChangeEvent::parse(&b, &fmt()).unwrap();
        assert_eq!(v.view_id, &[b'x'; VIEW_ID_LEN][..]);
        assert!(v.certification_info.is_empty());
    }

    #[test]
    fn view_change_errors() {
        let e = ViewChangeEvent::parse(&vce(b"", &[]), &fmt()).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::Invalid {
                    what: "view change view id (empty)",
                    ..
                }
            ),
            "{e}"
        );
        let mut b = vce(b"v:1", &[(b"k", b"v")]);
        b[48..52].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = ViewChangeEvent::parse(&b, &fmt()).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::Invalid {
                    what: "view change certification info count",
                    ..
                }
            ),
            "{e}"
        );
        // A value length past the end.
        let mut b = vce(b"v:1", &[(b"k", b"v")]);
        let n = b.len();
        b[n - 5..n - 1].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = ViewChangeEvent::parse(&b, &fmt()).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::Truncated {
                    what: "certification info value",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn view_change_every_truncation_is_a_typed_error() {
        let snap = snapshot();
        let b = vce(b"15964128364541221:3", &[(b"key", &snap), (b"k2", b"v2")]);
        for cut in 0..b.len() {
            let e = ViewChangeEvent::parse(&b[..cut], &fmt()).unwrap_err();
            assert!(
                matches!(
                    e.kind,
                    ErrorKind::Truncated { .. } | ErrorKind::Invalid { .. }
                ),
                "cut {cut}: {e}"
            );
            assert!(e.offset <= cut as u64);
        }
    }
}
