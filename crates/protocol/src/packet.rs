//! The packet layer: a 3-byte payload length and a 1-byte sequence id before every payload
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html)).
//!
//! A payload of `0xffffff` bytes or more is sent as several packets of `0xffffff` bytes and a
//! last, shorter one — an empty one when the payload length is an exact multiple of `0xffffff`.
//! The sequence id starts at 0 with each command and increments (wrapping) with every packet in
//! either direction.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{Error, Result};

/// Length of a packet header: `int<3>` payload length + `int<1>` sequence id.
pub const HEADER_LEN: usize = 4;

/// Largest payload of a single packet (`0xffffff`, 16 MiB - 1). A packet of exactly this length
/// means the payload continues in the next packet.
pub const MAX_PACKET_PAYLOAD: usize = 0xff_ffff;

/// Default for [`PacketReader::new`]'s `max_payload_size`: 1 GiB, the largest
/// `max_allowed_packet` a MySQL/MariaDB server accepts.
pub const DEFAULT_MAX_PAYLOAD_SIZE: usize = 1 << 30;

/// Appends `payload` to `out` as one or more packets, the first with sequence id `sequence`.
/// Returns the sequence id that follows the last packet written.
pub fn encode_packet(payload: &[u8], sequence: u8, out: &mut BytesMut) -> u8 {
    let mut seq = sequence;
    let mut rest = payload;
    out.reserve(payload.len() + HEADER_LEN * (payload.len() / MAX_PACKET_PAYLOAD + 1));
    loop {
        let n = rest.len().min(MAX_PACKET_PAYLOAD);
        let (chunk, tail) = rest.split_at(n);
        out.put_uint_le(n as u64, 3);
        out.put_u8(seq);
        out.put_slice(chunk);
        seq = seq.wrapping_add(1);
        rest = tail;
        if n < MAX_PACKET_PAYLOAD {
            return seq;
        }
    }
}

/// Reads the packet header at the start of `buf`, if there are 4 bytes.
fn peek_header(buf: &[u8]) -> Option<(usize, u8)> {
    match buf {
        [a, b, c, seq, ..] => Some((u32::from_le_bytes([*a, *b, *c, 0]) as usize, *seq)),
        _ => None,
    }
}

/// Sans-IO packet decoder: feed it the bytes read from the connection, get whole payloads back.
///
/// * A payload that fits in one packet is returned as a [`Bytes`] split off the input buffer,
///   without copying. A payload split over several packets is reassembled into one buffer.
/// * Each packet's sequence id is checked ([`Error::SequenceMismatch`]).
/// * The reassembled size is checked against `max_payload_size` from the packet headers, before
///   the packet's bytes are buffered or copied ([`Error::PayloadTooLarge`]). Memory held is
///   therefore at most `max_payload_size` plus one packet of input.
///
/// Errors are fatal: close the connection.
#[derive(Debug)]
pub struct PacketReader {
    max_payload_size: usize,
    next_sequence: u8,
    partial: Option<BytesMut>,
    relaxed: bool,
}

impl PacketReader {
    /// A reader expecting sequence id 0 next.
    pub fn new(max_payload_size: usize) -> Self {
        PacketReader {
            max_payload_size,
            next_sequence: 0,
            partial: None,
            relaxed: false,
        }
    }

    /// The configured maximum payload size.
    pub fn max_payload_size(&self) -> usize {
        self.max_payload_size
    }

    /// The sequence id expected on the next packet; also the id to use on the next packet sent.
    pub fn sequence(&self) -> u8 {
        self.next_sequence
    }

    /// Sets the sequence id expected next: 0 before a new command, or the value
    /// [`encode_packet`] returned after sending a reply.
    pub fn set_sequence(&mut self, sequence: u8) {
        self.next_sequence = sequence;
    }

    /// Relaxed mode accepts any sequence id on the first packet of a payload (the packets
    /// continuing it must still follow on). For the semi-sync binlog stream, where the
    /// source restarts its numbering after reading an acknowledgement.
    pub fn set_relaxed_sequence(&mut self, relaxed: bool) {
        self.relaxed = relaxed;
    }

    /// True while a multi-packet payload is partly received.
    pub fn is_reassembling(&self) -> bool {
        self.partial.is_some()
    }

    /// Consumes whole packets from the front of `buf` and returns the next whole payload, or
    /// `Ok(None)` if more bytes are needed (bytes of an incomplete packet stay in `buf`).
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>> {
        loop {
            let Some((len, seq)) = peek_header(buf) else {
                return Ok(None);
            };
            if self.relaxed && self.partial.is_none() {
                self.next_sequence = seq;
            }
            if seq != self.next_sequence {
                return Err(Error::SequenceMismatch {
                    layer: "packet",
                    expected: self.next_sequence,
                    found: seq,
                });
            }
            let so_far = self.partial.as_ref().map_or(0, BytesMut::len);
            let total = so_far as u64 + len as u64;
            if total > self.max_payload_size as u64 {
                return Err(Error::PayloadTooLarge {
                    layer: "packet",
                    size: total,
                    max: self.max_payload_size,
                });
            }
            if buf.len() - HEADER_LEN < len {
                // Room for the rest of this packet only (bounded by MAX_PACKET_PAYLOAD).
                buf.reserve(HEADER_LEN + len - buf.len());
                return Ok(None);
            }
            buf.advance(HEADER_LEN);
            let chunk = buf.split_to(len);
            self.next_sequence = self.next_sequence.wrapping_add(1);
            let last = len < MAX_PACKET_PAYLOAD;
            let whole = match self.partial.take() {
                None if last => return Ok(Some(chunk.freeze())),
                None => chunk,
                Some(mut partial) => {
                    partial.extend_from_slice(&chunk);
                    partial
                }
            };
            if last {
                return Ok(Some(whole.freeze()));
            }
            self.partial = Some(whole);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic payload whose bytes depend on their offset.
    fn payload(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8).collect()
    }

    fn decode_all(reader: &mut PacketReader, wire: &[u8], step: usize) -> Result<Vec<Bytes>> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in wire.chunks(step) {
            buf.extend_from_slice(piece);
            while let Some(p) = reader.decode(&mut buf)? {
                out.push(p);
            }
        }
        assert!(buf.is_empty(), "{} bytes left undecoded", buf.len());
        Ok(out)
    }

    #[test]
    fn relaxed_mode_accepts_a_restart_but_not_a_jump_inside_a_payload() {
        let mut wire = BytesMut::new();
        encode_packet(b"a", 5, &mut wire);
        encode_packet(b"b", 1, &mut wire);
        let big = payload(MAX_PACKET_PAYLOAD + 3);
        let mut split = BytesMut::new();
        encode_packet(&big, 7, &mut split);
        split[MAX_PACKET_PAYLOAD + HEADER_LEN + 3] = 42; // second packet of the payload
        let mut strict = PacketReader::new(1 << 30);
        assert!(matches!(
            decode_all(&mut strict, &wire, 7),
            Err(Error::SequenceMismatch { .. })
        ));
        let mut relaxed = PacketReader::new(1 << 30);
        relaxed.set_relaxed_sequence(true);
        assert_eq!(decode_all(&mut relaxed, &wire, 7).unwrap().len(), 2);
        let mut buf = BytesMut::from(&split[..]);
        assert!(matches!(
            relaxed.decode(&mut buf),
            Err(Error::SequenceMismatch { found: 42, .. })
        ));
    }

    #[test]
    fn small_payload_layout() {
        let mut out = BytesMut::new();
        assert_eq!(encode_packet(b"\x03SELECT 1", 0, &mut out), 1);
        assert_eq!(&out[..], b"\x09\x00\x00\x00\x03SELECT 1");
    }

    #[test]
    fn empty_payload_is_one_empty_packet() {
        let mut out = BytesMut::new();
        assert_eq!(encode_packet(b"", 7, &mut out), 8);
        assert_eq!(&out[..], b"\x00\x00\x00\x07");
        let mut r = PacketReader::new(16);
        r.set_sequence(7);
        assert_eq!(decode_all(&mut r, &out, 1).ok(), Some(vec![Bytes::new()]));
    }

    #[test]
    fn single_packet_payload_is_not_copied() {
        let mut wire = BytesMut::new();
        encode_packet(b"hello", 0, &mut wire);
        let base = wire.as_ptr() as usize;
        let mut r = PacketReader::new(1024);
        let p = r.decode(&mut wire).ok().flatten();
        let p = p.as_deref().unwrap_or_default();
        assert_eq!(p, b"hello");
        assert_eq!(
            p.as_ptr() as usize,
            base + HEADER_LEN,
            "payload should point into the input"
        );
    }

    #[test]
    fn exact_16_mib_minus_1_has_empty_trailer() {
        // 0xffffff bytes: one full packet plus an empty one.
        let data = payload(MAX_PACKET_PAYLOAD);
        let mut wire = BytesMut::new();
        assert_eq!(encode_packet(&data, 0, &mut wire), 2);
        assert_eq!(wire.len(), MAX_PACKET_PAYLOAD + 2 * HEADER_LEN);
        assert_eq!(&wire[wire.len() - 4..], b"\x00\x00\x00\x01");
        let mut r = PacketReader::new(DEFAULT_MAX_PAYLOAD_SIZE);
        let got = decode_all(&mut r, &wire, 1 << 20).ok();
        assert_eq!(got.as_deref().map(|v| v.len()), Some(1));
        assert!(got.is_some_and(|v| v[0][..] == data[..]));
        assert_eq!(r.sequence(), 2);
    }

    #[test]
    fn exact_16_mib_round_trip() {
        // 16 MiB = 0xffffff + 1: a full packet and a 1-byte packet.
        let data = payload(16 << 20);
        let mut wire = BytesMut::new();
        assert_eq!(encode_packet(&data, 0, &mut wire), 2);
        assert_eq!(&wire[wire.len() - 5..wire.len() - 1], b"\x01\x00\x00\x01");
        let mut r = PacketReader::new(DEFAULT_MAX_PAYLOAD_SIZE);
        let got = decode_all(&mut r, &wire, 4093).ok();
        assert!(got.is_some_and(|v| v.len() == 1 && v[0][..] == data[..]));
    }

    #[test]
    fn two_full_packets_round_trip_fed_one_byte_at_a_time() {
        // 2 * 0xffffff: two full packets and an empty one; then a small payload after it.
        let data = payload(2 * MAX_PACKET_PAYLOAD);
        let mut wire = BytesMut::new();
        let seq = encode_packet(&data, 250, &mut wire);
        assert_eq!(seq, 253);
        assert_eq!(encode_packet(b"next", seq, &mut wire), 254);
        let mut r = PacketReader::new(DEFAULT_MAX_PAYLOAD_SIZE);
        r.set_sequence(250);
        let got = decode_all(&mut r, &wire, 1).ok();
        assert!(got.is_some_and(|v| v.len() == 2 && v[0][..] == data[..] && &v[1][..] == b"next"));
        assert_eq!(r.sequence(), 254);
    }

    #[test]
    fn sixteen_mib_plus_one_round_trip_split_everywhere() {
        let data = payload((16 << 20) + 1);
        let mut wire = BytesMut::new();
        encode_packet(&data, 0, &mut wire);
        for step in [1usize, 3, 4, 5, 65536, 0xff_ffff, 0x100_0003, usize::MAX] {
            let mut r = PacketReader::new(DEFAULT_MAX_PAYLOAD_SIZE);
            let got = decode_all(&mut r, &wire, step.min(wire.len())).ok();
            assert!(
                got.is_some_and(|v| v.len() == 1 && v[0][..] == data[..]),
                "step {step}"
            );
        }
    }

    #[test]
    fn sequence_mismatch() {
        let mut wire = BytesMut::new();
        encode_packet(b"a", 0, &mut wire);
        encode_packet(b"b", 2, &mut wire);
        let mut r = PacketReader::new(64);
        assert!(matches!(r.decode(&mut wire), Ok(Some(p)) if &p[..] == b"a"));
        assert!(matches!(
            r.decode(&mut wire),
            Err(Error::SequenceMismatch {
                expected: 1,
                found: 2,
                ..
            })
        ));
    }

    #[test]
    fn sequence_mismatch_inside_multi_packet_payload() {
        let data = payload(MAX_PACKET_PAYLOAD + 10);
        let mut wire = BytesMut::new();
        encode_packet(&data, 0, &mut wire);
        // corrupt the second packet's sequence id
        wire[HEADER_LEN + MAX_PACKET_PAYLOAD + 3] = 9;
        let mut r = PacketReader::new(DEFAULT_MAX_PAYLOAD_SIZE);
        assert!(matches!(
            r.decode(&mut wire),
            Err(Error::SequenceMismatch {
                expected: 1,
                found: 9,
                ..
            })
        ));
    }

    #[test]
    fn oversize_single_packet_rejected_from_header() {
        // header only: claims 0xffffff bytes, none present; max is 1 KiB
        let mut wire = BytesMut::from(&b"\xff\xff\xff\x00"[..]);
        let mut r = PacketReader::new(1024);
        assert!(matches!(
            r.decode(&mut wire),
            Err(Error::PayloadTooLarge {
                size: 0xff_ffff,
                max: 1024,
                ..
            })
        ));
    }

    #[test]
    fn oversize_reassembly_rejected_before_buffering() {
        // A lying peer announces packet after packet of 0xffffff bytes (a "1 GiB" payload);
        // the reader must stop as soon as the headers exceed max, with bounded memory.
        let max = 2 * MAX_PACKET_PAYLOAD;
        let mut r = PacketReader::new(max);
        let mut wire = BytesMut::new();
        let body = vec![0u8; MAX_PACKET_PAYLOAD];
        let mut result = Ok(None);
        for seq in 0..64u8 {
            wire.put_slice(&[0xff, 0xff, 0xff, seq]);
            wire.put_slice(&body);
            result = r.decode(&mut wire);
            if result.is_err() {
                assert_eq!(seq, 2);
                break;
            }
        }
        assert!(matches!(
            result,
            Err(Error::PayloadTooLarge { size, .. }) if size == 3 * MAX_PACKET_PAYLOAD as u64
        ));
    }

    #[test]
    fn exact_max_payload_allowed() {
        let mut wire = BytesMut::new();
        encode_packet(&[1; 100], 0, &mut wire);
        let mut r = PacketReader::new(100);
        assert!(matches!(r.decode(&mut wire), Ok(Some(p)) if p.len() == 100));
    }
}
