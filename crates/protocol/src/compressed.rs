//! The compressed protocol: plain packets (see [`crate::packet`]) carried inside zlib-compressed
//! packets with a 7-byte header
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_compression_packet.html)).
//!
//! ```text
//! int<3>  length of the compressed payload
//! int<1>  compressed sequence id (its own counter, reset to 0 with each command)
//! int<3>  length of the payload before compression; 0 = the payload is not compressed
//! ```
//!
//! A compressed packet carries at most `0xffffff` bytes of the plain packet stream; plain
//! packets may span compressed packets.

use std::io::Write;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use flate2::{write::ZlibEncoder, Compression, Decompress, FlushDecompress, Status};

use crate::error::{Error, Result};
use crate::packet::{PacketReader, MAX_PACKET_PAYLOAD};

/// Length of a compressed packet header.
pub const COMPRESSED_HEADER_LEN: usize = 7;

/// Payloads shorter than this are sent uncompressed (the value the MySQL client library uses).
pub const MIN_COMPRESS_LENGTH: usize = 50;

/// Appends `data` — bytes of the plain packet stream, i.e. the output of
/// [`crate::packet::encode_packet`] — to `out` as compressed packets, the first with compressed
/// sequence id `sequence`. Chunks shorter than [`MIN_COMPRESS_LENGTH`] or that zlib does not
/// shrink are sent uncompressed. Returns the next compressed sequence id.
pub fn encode_compressed(data: &[u8], sequence: u8, level: Compression, out: &mut BytesMut) -> u8 {
    let mut seq = sequence;
    let mut chunks = data.chunks(MAX_PACKET_PAYLOAD).peekable();
    if chunks.peek().is_none() {
        put_header(0, seq, 0, out);
        return seq.wrapping_add(1);
    }
    for chunk in chunks {
        let deflated = if chunk.len() < MIN_COMPRESS_LENGTH {
            None
        } else {
            let mut enc = ZlibEncoder::new(Vec::with_capacity(chunk.len() / 2), level);
            // Writing to a Vec cannot fail.
            enc.write_all(chunk)
                .and_then(|()| enc.finish())
                .ok()
                .filter(|z| z.len() < chunk.len())
        };
        match deflated {
            Some(z) => {
                put_header(z.len(), seq, chunk.len(), out);
                out.put_slice(&z);
            }
            None => {
                put_header(chunk.len(), seq, 0, out);
                out.put_slice(chunk);
            }
        }
        seq = seq.wrapping_add(1);
    }
    seq
}

fn put_header(len: usize, seq: u8, uncompressed: usize, out: &mut BytesMut) {
    out.put_uint_le(len as u64, 3);
    out.put_u8(seq);
    out.put_uint_le(uncompressed as u64, 3);
}

/// Sans-IO decoder for the compressed protocol: feed it bytes from the connection, get whole
/// plain payloads back, with the guarantees of [`PacketReader`]:
///
/// * The compressed sequence ids are checked ([`Error::SequenceMismatch`], layer
///   `"compressed packet"`), and so are the plain packets' ids inside (layer `"packet"`): the
///   two counters are independent (a captured MariaDB 10.11 reply to COM_QUERY has compressed
///   sequence 1 carrying plain packets 1..=6).
/// * A payload in an uncompressed compressed-packet that fits in one plain packet is returned
///   without copying when nothing else is buffered.
/// * Inflation writes at most the declared uncompressed length (≤ 16 MiB by the header's width);
///   any other length is [`Error::DecompressedLength`].
/// * Reassembled payloads are limited to `max_payload_size` ([`Error::PayloadTooLarge`]), so
///   memory held is at most `max_payload_size` plus two compressed packets (2 × 16 MiB).
///
/// Errors are fatal: close the connection.
#[derive(Debug)]
pub struct CompressedPacketReader {
    next_sequence: u8,
    relaxed: bool,
    plain: BytesMut,
    packets: PacketReader,
}

impl CompressedPacketReader {
    /// A reader expecting compressed sequence id 0 next.
    pub fn new(max_payload_size: usize) -> Self {
        CompressedPacketReader {
            next_sequence: 0,
            relaxed: false,
            plain: BytesMut::new(),
            packets: PacketReader::new(max_payload_size),
        }
    }

    /// The compressed sequence id expected next; also the one to send next.
    pub fn sequence(&self) -> u8 {
        self.next_sequence
    }

    /// Sets the compressed sequence id expected next (0 before a new command).
    pub fn set_sequence(&mut self, sequence: u8) {
        self.next_sequence = sequence;
    }

    /// The plain packet sequence id expected next; also the one to send next.
    pub fn packet_sequence(&self) -> u8 {
        self.packets.sequence()
    }

    /// Sets the plain packet sequence id expected next.
    pub fn set_packet_sequence(&mut self, sequence: u8) {
        self.packets.set_sequence(sequence);
    }

    /// Relaxed mode: any sequence id on the first (compressed and plain) packet of a payload,
    /// see [`PacketReader::set_relaxed_sequence`].
    pub fn set_relaxed_sequence(&mut self, relaxed: bool) {
        self.relaxed = relaxed;
        self.packets.set_relaxed_sequence(relaxed);
    }

    /// Before a new command: both sequence ids back to 0.
    pub fn reset_sequences(&mut self) {
        self.next_sequence = 0;
        self.packets.set_sequence(0);
    }

    /// Consumes whole compressed packets from the front of `buf` and returns the next whole
    /// plain payload, or `Ok(None)` if more bytes are needed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>> {
        loop {
            if let Some(p) = self.packets.decode(&mut self.plain)? {
                return Ok(Some(p));
            }
            match self.decode_compressed(buf)? {
                Some(chunk) => self.plain.unsplit(chunk),
                None => return Ok(None),
            }
        }
    }

    /// Takes one compressed packet off `buf` and returns its plain bytes.
    fn decode_compressed(&mut self, buf: &mut BytesMut) -> Result<Option<BytesMut>> {
        let Some(header) = buf.get(..COMPRESSED_HEADER_LEN) else {
            return Ok(None);
        };
        let len = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
        let seq = header[3];
        let uncompressed = u32::from_le_bytes([header[4], header[5], header[6], 0]) as usize;
        if self.relaxed && self.plain.is_empty() && !self.packets.is_reassembling() {
            self.next_sequence = seq;
        }
        if seq != self.next_sequence {
            return Err(Error::SequenceMismatch {
                layer: "compressed packet",
                expected: self.next_sequence,
                found: seq,
            });
        }
        if buf.len() - COMPRESSED_HEADER_LEN < len {
            buf.reserve(COMPRESSED_HEADER_LEN + len - buf.len());
            return Ok(None);
        }
        buf.advance(COMPRESSED_HEADER_LEN);
        let body = buf.split_to(len);
        self.next_sequence = self.next_sequence.wrapping_add(1);
        if uncompressed == 0 {
            return Ok(Some(body));
        }
        // `decompress_vec` never grows the Vec: output is capped at the declared length.
        let mut out = Vec::with_capacity(uncompressed);
        let mut z = Decompress::new(true);
        let status = z
            .decompress_vec(&body, &mut out, FlushDecompress::Finish)
            .map_err(|source| Error::Inflate {
                sequence: seq,
                source,
            })?;
        let complete = matches!(status, Status::StreamEnd);
        if !complete || out.len() != uncompressed {
            // Output full but stream not ended: it inflates to more than declared.
            let actual = if !complete && out.len() == uncompressed {
                uncompressed + 1
            } else {
                out.len()
            };
            return Err(Error::DecompressedLength {
                sequence: seq,
                declared: uncompressed,
                actual,
            });
        }
        Ok(Some(BytesMut::from(Bytes::from(out))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{encode_packet, DEFAULT_MAX_PAYLOAD_SIZE};

    fn compress(payloads: &[&[u8]]) -> BytesMut {
        let mut plain = BytesMut::new();
        let mut seq = 0;
        for p in payloads {
            seq = encode_packet(p, seq, &mut plain);
        }
        let mut out = BytesMut::new();
        encode_compressed(&plain, 0, Compression::default(), &mut out);
        out
    }

    fn decode_all(r: &mut CompressedPacketReader, wire: &[u8], step: usize) -> Result<Vec<Bytes>> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in wire.chunks(step) {
            buf.extend_from_slice(piece);
            while let Some(p) = r.decode(&mut buf)? {
                out.push(p);
            }
        }
        assert!(buf.is_empty());
        Ok(out)
    }

    #[test]
    fn short_payload_sent_uncompressed_and_not_copied() {
        let mut wire = compress(&[b"\x03SELECT 1"]);
        // 7-byte header: length 13, sequence 0, uncompressed length 0; then the plain packet
        assert_eq!(&wire[..7], &[13, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&wire[7..11], &[9, 0, 0, 0]);
        let base = wire.as_ptr() as usize;
        let mut r = CompressedPacketReader::new(1024);
        let p = r.decode(&mut wire).ok().flatten().unwrap_or_default();
        assert_eq!(&p[..], b"\x03SELECT 1");
        assert_eq!(
            p.as_ptr() as usize,
            base + 11,
            "payload should point into the input"
        );
        assert_eq!(r.sequence(), 1);
        assert_eq!(r.packet_sequence(), 1);
    }

    #[test]
    fn compressible_payload_round_trip_one_byte_at_a_time() {
        let big = vec![b'x'; 1000];
        let wire = compress(&[&big, b"tail"]);
        assert!(wire.len() < 100, "compressed to {} bytes", wire.len());
        assert_ne!(&wire[4..7], &[0, 0, 0], "should be compressed");
        let mut r = CompressedPacketReader::new(2000);
        let got = decode_all(&mut r, &wire, 1).ok();
        assert!(got.is_some_and(|v| v.len() == 2 && v[0][..] == big[..] && &v[1][..] == b"tail"));
    }

    #[test]
    fn sixteen_mib_plus_one_spanning_compressed_packets() {
        let data: Vec<u8> = (0..(16usize << 20) + 1).map(|i| (i % 7) as u8).collect();
        let wire = compress(&[&data]);
        let mut r = CompressedPacketReader::new(DEFAULT_MAX_PAYLOAD_SIZE);
        for step in [97usize, 1 << 20] {
            let got = decode_all(&mut r, &wire, step).ok();
            assert!(
                got.is_some_and(|v| v.len() == 1 && v[0][..] == data[..]),
                "step {step}"
            );
            r = CompressedPacketReader::new(DEFAULT_MAX_PAYLOAD_SIZE);
        }
    }

    /// Captured from MariaDB 10.11.19 with CLIENT_COMPRESS: the reply to COM_QUERY
    /// `SELECT REPEAT('ab', 100) AS r, 7 AS n` (sent as compressed sequence 0, plain sequence 0).
    /// Header `50 00 00 | 01 | 1c 01 00`: 80 compressed bytes, compressed sequence 1, 284 bytes
    /// inflated, holding plain packets 1..=6: column count, 2 column definitions, EOF, the row,
    /// EOF.
    const CAPTURED_COMPRESSED_REPLY: &str = "500000011c0100789c636460606412676060624e494d6300728a1878741914981918fe3230a8333000a5986152790c3cf60c8c40167323906060656060f907d4c9701ac83e9198343c20a339d05f6c607f010038ec55de";

    #[test]
    fn captured_mariadb_compressed_reply() {
        use crate::handshake::CapabilityFlags;
        use crate::response::{ResultSetDecoder, ResultSetEvent};
        let wire = crate::handshake::tests::unhex(CAPTURED_COMPRESSED_REPLY);
        let mut r = CompressedPacketReader::new(1 << 20);
        r.set_sequence(1);
        r.set_packet_sequence(1);
        let payloads = decode_all(&mut r, &wire, 1);
        let payloads = payloads.as_deref().unwrap_or_default();
        assert_eq!(payloads.len(), 6);
        assert_eq!((r.sequence(), r.packet_sequence()), (2, 7));
        let mut d = ResultSetDecoder::new(CapabilityFlags::CLIENT_PROTOCOL_41);
        let mut row = None;
        for p in payloads {
            if let Ok(ResultSetEvent::Row(x)) = d.handle_payload(p.clone()) {
                row = Some(x);
            }
        }
        assert!(d.is_done());
        let ab = b"ab".repeat(100);
        assert_eq!(row.as_ref().and_then(|r| r.get(0)), Some(Some(&ab[..])));
        assert_eq!(row.as_ref().and_then(|r| r.get(1)), Some(Some(&b"7"[..])));
    }

    #[test]
    fn plain_sequence_mismatch_inside_compressed() {
        let mut wire = compress(&[b"hello"]);
        let mut r = CompressedPacketReader::new(1024);
        r.set_packet_sequence(3);
        assert!(matches!(
            r.decode(&mut wire),
            Err(Error::SequenceMismatch {
                layer: "packet",
                expected: 3,
                found: 0
            })
        ));
    }

    #[test]
    fn compressed_sequence_mismatch() {
        let mut wire = compress(&[b"hello"]);
        wire[3] = 5;
        let mut r = CompressedPacketReader::new(1024);
        assert!(matches!(
            r.decode(&mut wire),
            Err(Error::SequenceMismatch {
                layer: "compressed packet",
                expected: 0,
                found: 5
            })
        ));
    }

    #[test]
    fn oversize_plain_payload_rejected() {
        let big = vec![0u8; 5000];
        let mut wire = compress(&[&big]);
        let mut r = CompressedPacketReader::new(4096);
        assert!(matches!(
            r.decode(&mut wire),
            Err(Error::PayloadTooLarge {
                layer: "packet",
                size: 5000,
                max: 4096
            })
        ));
    }

    fn frame(uncompressed_len: usize, body: &[u8]) -> BytesMut {
        let mut out = BytesMut::new();
        put_header(body.len(), 0, uncompressed_len, &mut out);
        out.put_slice(body);
        out
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
        let _ = enc.write_all(data);
        enc.finish().unwrap_or_default()
    }

    #[test]
    fn header_declares_more_than_inflates() {
        // a 16 MiB claim for a 100-byte stream: typed error, allocation capped by the header
        let mut wire = frame(0xff_ffff, &zlib(&[1; 100]));
        let mut r = CompressedPacketReader::new(DEFAULT_MAX_PAYLOAD_SIZE);
        assert!(matches!(
            r.decode(&mut wire),
            Err(Error::DecompressedLength {
                declared: 0xff_ffff,
                actual: 100,
                ..
            })
        ));
    }

    #[test]
    fn header_declares_less_than_inflates() {
        let mut wire = frame(10, &zlib(&[1; 100]));
        let mut r = CompressedPacketReader::new(DEFAULT_MAX_PAYLOAD_SIZE);
        assert!(matches!(
            r.decode(&mut wire),
            Err(Error::DecompressedLength {
                declared: 10,
                actual: 11,
                ..
            })
        ));
    }

    #[test]
    fn corrupt_zlib() {
        let mut wire = frame(100, b"this is not zlib");
        let mut r = CompressedPacketReader::new(DEFAULT_MAX_PAYLOAD_SIZE);
        assert!(matches!(
            r.decode(&mut wire),
            Err(Error::Inflate { sequence: 0, .. })
        ));
    }

    #[test]
    fn empty_input_is_one_empty_compressed_packet() {
        let mut out = BytesMut::new();
        assert_eq!(
            encode_compressed(b"", 3, Compression::default(), &mut out),
            4
        );
        assert_eq!(&out[..], &[0, 0, 0, 3, 0, 0, 0]);
    }
}
