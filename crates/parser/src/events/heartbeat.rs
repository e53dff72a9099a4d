//! HEARTBEAT_LOG_EVENT (type 27) and HEARTBEAT_LOG_EVENT_V2 (type 41): the events a source's
//! dump thread sends when it has nothing else to send. They are never written to a binlog.
//!
//! Layouts (MySQL `libs/mysql/binlog/event/control_events.{h,cpp}`, `Heartbeat_event` and
//! `Heartbeat_event_v2`; `codecs/binary.cpp`, `Heartbeat::decode`/`encode`):
//!
//! * v1: the body is the name of the binlog file being sent, without a trailing NUL, up to
//!   the end of the body. The position is the `log_pos` of the common header.
//! * v2 (MySQL 8.0.26+, sent when the position no longer fits the 4-byte `log_pos`): a
//!   sequence of fields `type length value`, where `type` and `length` are packed
//!   (length-encoded) integers, closed by the end marker `type = 0`:
//!   * `OTW_HB_LOG_FILENAME_FIELD = 1`: `value` is the file name, `length` bytes;
//!   * `OTW_HB_LOG_POSITION_FIELD = 2`: `value` is a packed integer of `length` bytes;
//!   * any other type: skipped (`length` bytes), as MySQL does for fields of newer servers.
//!
//! See <https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Heartbeat__event__v2.html>.

use crate::error::Result;
use crate::header::EventType;
use crate::nom_ext::{run, take_n, PResult};

use super::payload::net_field_length;

/// `OTW_HB_HEADER_END_MARK`: the end of the fields of a v2 heartbeat.
pub const OTW_HB_HEADER_END_MARK: u64 = 0;
/// `OTW_HB_LOG_FILENAME_FIELD`: the binlog file name.
pub const OTW_HB_LOG_FILENAME_FIELD: u64 = 1;
/// `OTW_HB_LOG_POSITION_FIELD`: the position in that file (a packed integer).
pub const OTW_HB_LOG_POSITION_FIELD: u64 = 2;

/// HEARTBEAT_LOG_EVENT / HEARTBEAT_LOG_EVENT_V2: the coordinates of the last event the source
/// sent, so that an idle replica knows the source is alive and where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatEvent<'a> {
    /// True for HEARTBEAT_LOG_EVENT_V2.
    pub v2: bool,
    /// The binlog file name (empty if a v2 event carries no file-name field).
    pub log_file: &'a [u8],
    /// The position, for v2 events that carry one. For v1 events the position is the
    /// `log_pos` of the event header, so this is `None`.
    pub log_pos: Option<u64>,
    /// Number of v2 fields of unknown type that were skipped (from servers newer than this
    /// crate).
    pub skipped_fields: u32,
}

impl<'a> HeartbeatEvent<'a> {
    /// Decodes the body (v1: HEARTBEAT_LOG_EVENT, v2: HEARTBEAT_LOG_EVENT_V2; any other type
    /// is decoded as v1). Errors are relative to `body`.
    pub fn parse(body: &'a [u8], ty: EventType) -> Result<Self> {
        if ty != EventType::HeartbeatV2 {
            return Ok(HeartbeatEvent {
                v2: false,
                log_file: body,
                log_pos: None,
                skipped_fields: 0,
            });
        }
        let (_, ev) = run(body, parse_v2)?;
        Ok(ev)
    }
}

fn parse_v2(mut i: &[u8]) -> PResult<'_, HeartbeatEvent<'_>> {
    let mut ev = HeartbeatEvent {
        v2: true,
        log_file: &[],
        log_pos: None,
        skipped_fields: 0,
    };
    loop {
        // The encoder always writes the end marker, so a body that ends without one was cut.
        let (j, ty) = net_field_length("heartbeat field type")(i)?;
        if ty == OTW_HB_HEADER_END_MARK {
            // Bytes after the end marker are ignored, as MySQL does.
            return Ok((&j[j.len()..], ev));
        }
        let (j, len) = net_field_length("heartbeat field length")(j)?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let (j, value) = take_n(len, "heartbeat field value")(j)?;
        match ty {
            OTW_HB_LOG_FILENAME_FIELD => ev.log_file = value,
            OTW_HB_LOG_POSITION_FIELD => {
                let (rest, pos) = net_field_length("heartbeat log position")(value)?;
                if !rest.is_empty() {
                    // The declared length and the packed integer disagree.
                    return crate::nom_ext::invalid(
                        value,
                        "heartbeat log position length",
                        len as u64,
                    );
                }
                ev.log_pos = Some(pos);
            }
            _ => ev.skipped_fields = ev.skipped_fields.saturating_add(1),
        }
        i = j;
    }
}

impl HeartbeatEvent<'_> {
    /// The position the heartbeat reports: the v2 field, or `header_log_pos` (the `log_pos`
    /// of the event header) for v1 events and v2 events without a position field.
    pub fn position(&self, header_log_pos: u32) -> u64 {
        self.log_pos.unwrap_or(u64::from(header_log_pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    /// A v2 body as `Heartbeat::encode` writes it: file name field, position field (length =
    /// size of the packed position), end marker.
    fn v2_body(name: &[u8], pos: u64) -> Vec<u8> {
        let mut b = vec![OTW_HB_LOG_FILENAME_FIELD as u8, name.len() as u8];
        b.extend_from_slice(name);
        b.push(OTW_HB_LOG_POSITION_FIELD as u8);
        if pos < 251 {
            b.extend_from_slice(&[1, pos as u8]);
        } else if pos < 1 << 16 {
            b.extend_from_slice(&[3, 0xfc]);
            b.extend_from_slice(&(pos as u16).to_le_bytes());
        } else if pos < 1 << 24 {
            b.extend_from_slice(&[4, 0xfd]);
            b.extend_from_slice(&(pos as u32).to_le_bytes()[..3]);
        } else {
            b.extend_from_slice(&[9, 0xfe]);
            b.extend_from_slice(&pos.to_le_bytes());
        }
        b.push(OTW_HB_HEADER_END_MARK as u8);
        b
    }

    #[test]
    fn v1_body_is_the_file_name() {
        let h = HeartbeatEvent::parse(b"binlog.000042", EventType::Heartbeat).unwrap();
        assert!(!h.v2);
        assert_eq!(h.log_file, b"binlog.000042");
        assert_eq!(h.log_pos, None);
        assert_eq!(h.position(1234), 1234);
        // Every prefix is a (shorter) file name: no panic, no error.
        let body = b"binlog.000042";
        for cut in 0..body.len() {
            assert_eq!(
                HeartbeatEvent::parse(&body[..cut], EventType::Heartbeat)
                    .unwrap()
                    .log_file,
                &body[..cut]
            );
        }
    }

    #[test]
    fn v2_fields() {
        for pos in [4u64, 250, 251, 65_535, 65_536, 16_777_216, 5_000_000_000] {
            let b = v2_body(b"binlog.000007", pos);
            let h = HeartbeatEvent::parse(&b, EventType::HeartbeatV2).unwrap();
            assert!(h.v2);
            assert_eq!(h.log_file, b"binlog.000007");
            assert_eq!(h.log_pos, Some(pos));
            assert_eq!(h.position(0), pos);
            assert_eq!(h.skipped_fields, 0);
        }
    }

    #[test]
    fn v2_unknown_field_is_skipped() {
        let mut b = v2_body(b"b.1", 9);
        b.pop();
        b.extend_from_slice(&[7, 3, 0xaa, 0xbb, 0xcc, 0]);
        let h = HeartbeatEvent::parse(&b, EventType::HeartbeatV2).unwrap();
        assert_eq!(
            (h.log_file, h.log_pos, h.skipped_fields),
            (&b"b.1"[..], Some(9), 1)
        );
    }

    #[test]
    fn v2_every_truncation_is_a_typed_error() {
        let b = v2_body(b"binlog.000007", 5_000_000_000);
        for cut in 0..b.len() {
            let e = HeartbeatEvent::parse(&b[..cut], EventType::HeartbeatV2).unwrap_err();
            assert!(e.is_truncated(), "cut {cut}: {e}");
            assert!(e.offset <= cut as u64);
        }
    }

    #[test]
    fn v2_bad_lengths() {
        // A position whose declared length is longer than its packed integer.
        let b = [OTW_HB_LOG_POSITION_FIELD as u8, 2, 9, 9, 0];
        let e = HeartbeatEvent::parse(&b, EventType::HeartbeatV2).unwrap_err();
        assert!(matches!(
            e.kind,
            ErrorKind::Invalid {
                what: "heartbeat log position length",
                ..
            }
        ));
        // A file name longer than the body.
        let b = [
            OTW_HB_LOG_FILENAME_FIELD as u8,
            0xfe,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            0xff,
            b'x',
        ];
        let e = HeartbeatEvent::parse(&b, EventType::HeartbeatV2).unwrap_err();
        assert!(matches!(
            e.kind,
            ErrorKind::Truncated {
                what: "heartbeat field value",
                ..
            }
        ));
        // The 251 NULL marker is not a valid packed length here.
        let b = [OTW_HB_LOG_FILENAME_FIELD as u8, 251, 0];
        assert!(HeartbeatEvent::parse(&b, EventType::HeartbeatV2).is_err());
    }
}
