//! Deterministic garbage-input tests: every decoder, fed pseudo-random bytes and truncations of
//! valid messages, returns (typed errors) without panicking. A stand-in until cargo-fuzz targets
//! exist (issue 3).

use bytes::{Bytes, BytesMut};

use crate::compressed::CompressedPacketReader;
use crate::handshake::{AuthPacket, AuthSwitchRequest, CapabilityFlags, InitialHandshake};
use crate::packet::PacketReader;
use crate::response::{
    ColumnDefinition, OkPacket, Response, ResultSetDecoder, ServerError, TextRow,
};

/// xorshift64*: a fixed seed so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = (self.next() % (max as u64 + 1)) as usize;
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn all_caps() -> [CapabilityFlags; 3] {
    let p41 = CapabilityFlags::CLIENT_PROTOCOL_41;
    [
        CapabilityFlags::empty(),
        p41,
        p41 | CapabilityFlags::CLIENT_DEPRECATE_EOF | CapabilityFlags::CLIENT_SESSION_TRACK,
    ]
}

fn decode_everything(p: &[u8]) {
    let b = Bytes::copy_from_slice(p);
    let _ = InitialHandshake::decode(p);
    let _ = AuthSwitchRequest::decode(&b);
    let _ = ServerError::decode(p);
    let _ = ColumnDefinition::decode(&b);
    for cols in [0, 1, 3, usize::MAX] {
        let _ = TextRow::decode(b.clone(), cols);
    }
    for caps in all_caps() {
        let _ = AuthPacket::decode(&b, caps);
        let _ = OkPacket::decode(&b, caps);
        let _ = Response::decode(&b, caps);
        let mut d = ResultSetDecoder::new(caps);
        for _ in 0..3 {
            let _ = d.handle_payload(b.clone());
        }
    }
}

#[test]
fn random_payloads_do_not_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let mut p = rng.bytes(64);
        // bias the first byte towards the interesting headers
        if let Some(first) = p.first_mut() {
            *first =
                [0x00, 0x01, 0x0a, 0xfb, 0xfc, 0xfd, 0xfe, 0xff, *first][(*first % 9) as usize];
        }
        decode_everything(&p);
    }
}

#[test]
fn every_truncation_of_captured_messages_does_not_panic() {
    let greeting = crate::handshake::tests::unhex(
        "0a352e352e352d31302e31312e31392d4d6172696144422d302b646562313275312d6c6f6700050000005c7453224d3e2e6a00fef7e00200ff81150000000000001d0000004d225e352b783f6e2d32542f006d7973716c5f6e61746976655f70617373776f726400",
    );
    for cut in 0..=greeting.len() {
        decode_everything(&greeting[..cut]);
    }
}

#[test]
fn random_streams_conserve_bytes_or_fail() {
    // Packet reader invariant: on success, payload bytes + 4 per packet header consumed
    // == bytes consumed from the input.
    let mut rng = Rng(42);
    for _ in 0..5_000 {
        let wire = rng.bytes(200);
        let mut buf = BytesMut::from(&wire[..]);
        let mut r = PacketReader::new(1 << 20);
        r.set_sequence(wire.get(3).copied().unwrap_or(0));
        let mut payload_bytes = 0;
        let mut packets = 0usize;
        let before = buf.len();
        loop {
            let seq_before = r.sequence();
            match r.decode(&mut buf) {
                Ok(Some(p)) => {
                    payload_bytes += p.len();
                    packets += usize::from(r.sequence().wrapping_sub(seq_before));
                }
                Ok(None) | Err(_) => break,
            }
        }
        assert_eq!(before - buf.len(), payload_bytes + 4 * packets);

        let mut buf = BytesMut::from(&wire[..]);
        let mut c = CompressedPacketReader::new(1 << 20);
        c.set_sequence(wire.get(3).copied().unwrap_or(0));
        while let Ok(Some(_)) = c.decode(&mut buf) {}
    }
}
