//! The binlog network stream: what the source sends after COM_BINLOG_DUMP or
//! COM_BINLOG_DUMP_GTID ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_replication_binlog_event.html)).
//!
//! Each packet is `0x00`, the optional semi-sync header ([`crate::semisync`]), then one whole
//! binlog event (common header of 19 bytes, body, CRC32 when negotiated). The stream ends with
//! EOF (non-blocking dump caught up) or ERR (e.g. 1236, the requested binlog was purged).
//!
//! [`BinlogStream`] classifies each reassembled packet payload and tracks where every event
//! sits in the source's binlog files, with 64-bit positions (the header's `log_pos` is 32-bit
//! and wraps in files beyond 4 GiB). It decodes only the few header fields it needs: parsing
//! the events is the caller's business (`binvault-parser`).
//!
//! Events the source makes up for the replica are reported with `position: None`: the
//! *artificial* rotate (flag `LOG_EVENT_ARTIFICIAL_F`) that names the file the stream starts
//! in, fake GTID lists, and the format description re-sent with `log_pos = 0` when the dump
//! starts in the middle of a file. They are not part of any file's bytes.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::response::{ServerError, EOF_HEADER, ERR_HEADER, OK_HEADER};
use crate::semisync;

/// Size of the v4 common event header.
pub const EVENT_HEADER_LEN: usize = 19;
/// `ROTATE_EVENT`.
pub const ROTATE_EVENT: u8 = 4;
/// `FORMAT_DESCRIPTION_EVENT`.
pub const FORMAT_DESCRIPTION_EVENT: u8 = 15;
/// `HEARTBEAT_LOG_EVENT`.
pub const HEARTBEAT_LOG_EVENT: u8 = 27;
/// `HEARTBEAT_LOG_EVENT_V2` (MySQL 8.0.26+).
pub const HEARTBEAT_LOG_EVENT_V2: u8 = 41;
/// `LOG_EVENT_ARTIFICIAL_F`: made up by the source for the replica, not in the binlog.
pub const LOG_EVENT_ARTIFICIAL_F: u16 = 0x20;

/// How the dump was negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamConfig {
    /// Event packets carry the semi-sync header (`@rpl_semi_sync_slave` was set and the
    /// source has semi-sync enabled).
    pub semi_sync: bool,
    /// Events end with a 4-byte CRC32 (`@master_binlog_checksum` negotiated CRC32).
    pub checksum: bool,
    /// The connection is declared dead when no packet arrives for this long (typically
    /// twice the heartbeat period plus slack). `None`: never.
    pub idle_timeout: Option<Duration>,
}

/// One binlog event as received, with where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinlogEvent {
    /// The whole event (header, body, checksum): a slice of the received packet, not a copy.
    pub raw: Bytes,
    /// The file the event belongs to (as last named by a rotate event).
    pub file: Bytes,
    /// Offset of the event in `file`, or `None` for an event the source made up (see the
    /// module documentation).
    pub position: Option<u64>,
    /// The source asks for a semi-sync acknowledgement once this event is durable.
    pub needs_ack: bool,
}

impl BinlogEvent {
    /// Event type code.
    pub fn event_type(&self) -> u8 {
        self.raw[4]
    }

    /// Event timestamp (seconds since the epoch).
    pub fn timestamp(&self) -> u32 {
        u32::from_le_bytes([self.raw[0], self.raw[1], self.raw[2], self.raw[3]])
    }

    /// Header flags.
    pub fn flags(&self) -> u16 {
        u16::from_le_bytes([self.raw[17], self.raw[18]])
    }

    /// Header `log_pos`: the (32-bit) position after the event, 0 for some made-up events.
    pub fn log_pos(&self) -> u32 {
        u32::from_le_bytes([self.raw[13], self.raw[14], self.raw[15], self.raw[16]])
    }

    /// Offset just after the event in `file` (the position to resume from, and to ack).
    pub fn end_position(&self) -> Option<u64> {
        self.position.map(|p| p + self.raw.len() as u64)
    }
}

/// A heartbeat: the source is alive and has nothing newer than `position` in `file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// The source's current binlog file.
    pub file: Bytes,
    /// The header's `log_pos` (the source's position in that file, 32-bit).
    pub log_pos: u32,
    /// Event timestamp (0 on most servers).
    pub timestamp: u32,
}

/// What a packet of the stream was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    /// A binlog event.
    Event(BinlogEvent),
    /// A heartbeat event (not part of any binlog file).
    Heartbeat(Heartbeat),
    /// EOF: a non-blocking dump reached the end of the binlog.
    End,
}

/// Sans-IO decoder of the binlog stream; feed it the payloads a
/// [`crate::packet::PacketReader`] reassembles.
#[derive(Debug)]
pub struct BinlogStream {
    config: StreamConfig,
    file: Bytes,
    next_position: u64,
    last_packet: Option<Instant>,
    ended: bool,
}

impl BinlogStream {
    /// A stream that starts at `position` in `file` (the values sent in the dump command;
    /// the source's first, artificial rotate event confirms or corrects them).
    pub fn new(config: StreamConfig, file: Bytes, position: u64) -> Self {
        BinlogStream {
            config,
            file,
            next_position: position,
            last_packet: None,
            ended: false,
        }
    }

    /// The negotiated configuration.
    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    /// The file and position after the last event received.
    pub fn position(&self) -> (&Bytes, u64) {
        (&self.file, self.next_position)
    }

    /// When the connection counts as dead if nothing arrives before (from the last packet's
    /// `now` and [`StreamConfig::idle_timeout`]).
    pub fn deadline(&self) -> Option<Instant> {
        Some(self.last_packet? + self.config.idle_timeout?)
    }

    /// Starts the idle clock (call when the dump command is sent).
    pub fn start_clock(&mut self, now: Instant) {
        self.last_packet = Some(now);
    }

    /// Classifies one packet payload received at `now`.
    pub fn handle_packet(&mut self, payload: Bytes, now: Instant) -> Result<StreamItem> {
        if self.ended {
            return Err(Error::UnexpectedPayload {
                state: "binlog stream ended",
            });
        }
        self.last_packet = Some(now);
        match payload.first() {
            Some(&OK_HEADER) => {}
            Some(&ERR_HEADER) => {
                self.ended = true;
                return Err(ServerError::decode(&payload)?.into());
            }
            Some(&EOF_HEADER) if payload.len() < 9 => {
                self.ended = true;
                return Ok(StreamItem::End);
            }
            Some(&found) => {
                return Err(Error::Unexpected {
                    message: "binlog stream packet",
                    field: "header",
                    offset: 0,
                    found,
                })
            }
            None => {
                return Err(Error::Truncated {
                    message: "binlog stream packet",
                    field: "header",
                    offset: 0,
                    needed: 1,
                    available: 0,
                })
            }
        }
        let (needs_ack, event) = if self.config.semi_sync {
            semisync::strip_header(&payload[1..])?
        } else {
            (false, &payload[1..])
        };
        let offset = payload.len() - event.len();
        let header = event.get(..EVENT_HEADER_LEN).ok_or(Error::Truncated {
            message: "binlog event",
            field: "common header",
            offset,
            needed: EVENT_HEADER_LEN,
            available: event.len(),
        })?;
        let size = u32::from_le_bytes([header[9], header[10], header[11], header[12]]) as usize;
        if size != event.len() {
            return Err(Error::EventLength {
                declared: size,
                received: event.len(),
            });
        }
        let raw = payload.slice(offset..);
        let ty = raw[4];
        let log_pos = u32::from_le_bytes([raw[13], raw[14], raw[15], raw[16]]);
        let flags = u16::from_le_bytes([raw[17], raw[18]]);
        let crc = if self.config.checksum { 4 } else { 0 };

        if ty == HEARTBEAT_LOG_EVENT || ty == HEARTBEAT_LOG_EVENT_V2 {
            let file = if ty == HEARTBEAT_LOG_EVENT {
                let end = raw.len().saturating_sub(crc).max(EVENT_HEADER_LEN);
                raw.slice(EVENT_HEADER_LEN..end)
            } else {
                self.file.clone()
            };
            let timestamp = u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
            return Ok(StreamItem::Heartbeat(Heartbeat {
                file,
                log_pos,
                timestamp,
            }));
        }

        let artificial = flags & LOG_EVENT_ARTIFICIAL_F != 0 || log_pos == 0;
        let position = if artificial {
            None
        } else {
            // The source skips events (GTID starts), so the header's log_pos places the
            // event; only its low 32 bits are known: keep the high bits of our own count
            // and move forward, never back.
            let start32 = log_pos.wrapping_sub(size as u32);
            let mut start = (self.next_position & !0xffff_ffff) | u64::from(start32);
            if start < self.next_position {
                start += 1 << 32;
            }
            let end = start + size as u64;
            self.next_position = end;
            Some(start)
        };
        let event = BinlogEvent {
            raw: raw.clone(),
            file: self.file.clone(),
            position,
            needs_ack,
        };
        if ty == ROTATE_EVENT {
            // body: position (8), file name, [CRC32]
            let body_end = raw
                .len()
                .checked_sub(crc)
                .filter(|&e| e >= EVENT_HEADER_LEN + 8)
                .ok_or(Error::Truncated {
                    message: "rotate event",
                    field: "position",
                    offset: offset + EVENT_HEADER_LEN,
                    needed: 8,
                    available: raw.len().saturating_sub(EVENT_HEADER_LEN + crc),
                })?;
            let mut pos = [0u8; 8];
            pos.copy_from_slice(&raw[EVENT_HEADER_LEN..EVENT_HEADER_LEN + 8]);
            self.file = raw.slice(EVENT_HEADER_LEN + 8..body_end);
            self.next_position = u64::from_le_bytes(pos);
        }
        Ok(StreamItem::Event(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn event(ty: u8, flags: u16, log_pos: u32, body: &[u8], crc: bool) -> Vec<u8> {
        let size = (EVENT_HEADER_LEN + body.len() + if crc { 4 } else { 0 }) as u32;
        let mut e = Vec::new();
        e.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        e.push(ty);
        e.extend_from_slice(&1u32.to_le_bytes());
        e.extend_from_slice(&size.to_le_bytes());
        e.extend_from_slice(&log_pos.to_le_bytes());
        e.extend_from_slice(&flags.to_le_bytes());
        e.extend_from_slice(body);
        if crc {
            e.extend_from_slice(&[0xaa; 4]);
        }
        e
    }

    fn packet(prefix: &[u8], e: &[u8]) -> Bytes {
        Bytes::from([prefix, e].concat())
    }

    fn rotate_body(pos: u64, name: &str) -> Vec<u8> {
        [&pos.to_le_bytes()[..], name.as_bytes()].concat()
    }

    #[test]
    fn tracks_positions_across_rotations() {
        let now = Instant::now();
        let cfg = StreamConfig {
            semi_sync: false,
            checksum: true,
            idle_timeout: Some(Duration::from_secs(3)),
        };
        let mut s = BinlogStream::new(cfg, Bytes::new(), 4);
        s.start_clock(now);
        assert_eq!(s.deadline(), Some(now + Duration::from_secs(3)));
        // artificial rotate naming the first file
        let fake = event(
            ROTATE_EVENT,
            LOG_EVENT_ARTIFICIAL_F,
            0,
            &rotate_body(4, "bin.000001"),
            true,
        );
        let StreamItem::Event(e) = s.handle_packet(packet(&[0], &fake), now).unwrap() else {
            panic!()
        };
        assert_eq!((e.position, &e.file[..]), (None, &b""[..]));
        assert_eq!(s.position(), (&Bytes::from_static(b"bin.000001"), 4));
        // FDE at 4 (100 bytes), a query, then the real rotate at the end of the file
        let fde = event(FORMAT_DESCRIPTION_EVENT, 0, 104, &[0; 77], true);
        let StreamItem::Event(e) = s.handle_packet(packet(&[0], &fde), now).unwrap() else {
            panic!()
        };
        assert_eq!((e.position, e.end_position()), (Some(4), Some(104)));
        let rot = event(
            ROTATE_EVENT,
            0,
            104 + 41,
            &rotate_body(4, "bin.000002"),
            true,
        );
        let StreamItem::Event(e) = s.handle_packet(packet(&[0], &rot), now).unwrap() else {
            panic!()
        };
        assert_eq!((&e.file[..], e.position), (&b"bin.000001"[..], Some(104)));
        assert_eq!(s.position(), (&Bytes::from_static(b"bin.000002"), 4));
        // heartbeat with its CRC stripped from the file name
        let hb = event(HEARTBEAT_LOG_EVENT, 0, 4, b"bin.000002", true);
        let item = s.handle_packet(packet(&[0], &hb), now).unwrap();
        assert_eq!(
            item,
            StreamItem::Heartbeat(Heartbeat {
                file: Bytes::from_static(b"bin.000002"),
                log_pos: 4,
                timestamp: 1_700_000_000
            })
        );
        // the FDE re-sent with log_pos 0 is not placed in the file
        let fde0 = event(FORMAT_DESCRIPTION_EVENT, 0, 0, &[0; 77], true);
        let StreamItem::Event(e) = s.handle_packet(packet(&[0], &fde0), now).unwrap() else {
            panic!()
        };
        assert_eq!(e.position, None);
        assert_eq!(
            s.handle_packet(Bytes::from_static(&[0xfe, 0, 0, 2, 0]), now)
                .unwrap(),
            StreamItem::End
        );
        assert!(s.handle_packet(packet(&[0], &fde), now).is_err());
    }

    #[test]
    fn positions_beyond_4_gib() {
        let now = Instant::now();
        let cfg = StreamConfig {
            semi_sync: false,
            checksum: false,
            idle_timeout: None,
        };
        let start = (1u64 << 32) + 10;
        let mut s = BinlogStream::new(cfg, Bytes::from_static(b"f"), start);
        let e = event(2, 0, 10 + 30, &[0; 11], false);
        let StreamItem::Event(e) = s.handle_packet(packet(&[0], &e), now).unwrap() else {
            panic!()
        };
        assert_eq!(e.end_position(), Some(start + 30));
        // a skipped range (GTID start): the event is placed by its log_pos, never backwards
        let jump = event(2, 0, 1000, &[0; 11], false);
        let StreamItem::Event(e) = s.handle_packet(packet(&[0], &jump), now).unwrap() else {
            panic!()
        };
        assert_eq!(e.position, Some((1u64 << 32) + 970));
        let wrap = event(2, 0, 20, &[0; 11], false);
        let StreamItem::Event(e) = s.handle_packet(packet(&[0], &wrap), now).unwrap() else {
            panic!()
        };
        assert_eq!(e.end_position(), Some((2u64 << 32) + 20));
    }

    #[test]
    fn semi_sync_errors_and_lies() {
        let now = Instant::now();
        let cfg = StreamConfig {
            semi_sync: true,
            checksum: false,
            idle_timeout: None,
        };
        let mut s = BinlogStream::new(cfg, Bytes::from_static(b"f"), 4);
        let e = event(2, 0, 4 + 30, &[0; 11], false);
        let StreamItem::Event(ev) = s.handle_packet(packet(&[0, 0xef, 1], &e), now).unwrap() else {
            panic!()
        };
        assert!(ev.needs_ack);
        assert_eq!(ev.raw, Bytes::from(e.clone()));
        assert!(
            s.handle_packet(packet(&[0], &e), now).is_err(),
            "missing semi-sync magic"
        );
        // a length that lies, a truncated header, a foreign header byte
        let mut lie = event(2, 0, 64, &[0; 11], false);
        lie[9] = 200;
        assert!(matches!(
            s.handle_packet(packet(&[0, 0xef, 0], &lie), now),
            Err(Error::EventLength {
                declared: 200,
                received: 30
            })
        ));
        assert!(matches!(
            s.handle_packet(packet(&[0, 0xef, 0], &e[..10]), now),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            s.handle_packet(Bytes::from_static(&[7]), now),
            Err(Error::Unexpected { found: 7, .. })
        ));
        assert!(s.handle_packet(Bytes::new(), now).is_err());
        // ERR 1236 becomes a server error with its code
        let mut err = vec![0xff, 0xd4, 0x04, b'#'];
        err.extend_from_slice(b"HY000Could not find first log file name in binary log index file");
        match s.handle_packet(Bytes::from(err), now) {
            Err(Error::Server(e)) => assert_eq!(e.code, 1236),
            other => panic!("{other:?}"),
        }
    }
}
