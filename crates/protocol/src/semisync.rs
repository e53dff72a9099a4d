//! Semi-synchronous replication, replica side
//! ([MariaDB](https://mariadb.com/kb/en/semisynchronous-replication/),
//! [MySQL](https://dev.mysql.com/doc/refman/8.4/en/replication-semisync.html)).
//!
//! A replica announces itself with `SET @rpl_semi_sync_slave = 1` (MySQL 8.0.26+:
//! `@rpl_semi_sync_replica`). From then on every event packet carries two extra bytes after
//! the `0x00` OK marker: [`MAGIC`] and a flag byte whose bit [`SYNC_FLAG`] asks for an
//! acknowledgement. The replica acknowledges by sending [`ack`] as a new command (sequence 0)
//! once the event — and so the transaction it ends — is durable; the source's commit waits for
//! that ack (or for its timeout).

use bytes::{BufMut, BytesMut};

use crate::error::{Error, Result};

/// Magic byte of the semi-sync header and of the ack packet (`ReplSemiSyncBase::kPacketMagicNum`).
pub const MAGIC: u8 = 0xef;
/// Flag bit: the source waits for an acknowledgement of this event.
pub const SYNC_FLAG: u8 = 0x01;

/// Splits the semi-sync header off an event packet (after its `0x00` marker): returns
/// whether the event asks for an ack, and the event bytes.
pub fn strip_header(data: &[u8]) -> Result<(bool, &[u8])> {
    match data {
        [MAGIC, flags, event @ ..] => Ok((flags & SYNC_FLAG != 0, event)),
        [found, ..] => Err(Error::Unexpected {
            message: "semi-sync event packet",
            field: "magic byte",
            offset: 1,
            found: *found,
        }),
        [] => Err(Error::Truncated {
            message: "semi-sync event packet",
            field: "semi-sync header",
            offset: 1,
            needed: 2,
            available: 0,
        }),
    }
}

/// The acknowledgement payload: magic, the binlog position just after the acknowledged event
/// (8 bytes), the binlog file name.
pub fn ack(file: &[u8], position: u64, out: &mut BytesMut) {
    out.reserve(9 + file.len());
    out.put_u8(MAGIC);
    out.put_u64_le(position);
    out.put_slice(file);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_ack() {
        assert_eq!(
            strip_header(&[0xef, 1, 9, 9]).unwrap(),
            (true, &[9u8, 9][..])
        );
        assert_eq!(strip_header(&[0xef, 0, 9]).unwrap(), (false, &[9u8][..]));
        assert!(matches!(
            strip_header(&[0x42, 1]),
            Err(Error::Unexpected { found: 0x42, .. })
        ));
        assert!(matches!(strip_header(&[]), Err(Error::Truncated { .. })));
        let mut out = BytesMut::new();
        ack(b"bin.000002", 0x0102, &mut out);
        let mut want = vec![0xef, 2, 1, 0, 0, 0, 0, 0, 0];
        want.extend_from_slice(b"bin.000002");
        assert_eq!(&out[..], &want[..]);
    }
}
