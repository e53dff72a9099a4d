//! Sans-IO core of the MySQL/MariaDB client/server protocol, replica side.
//!
//! Nothing here touches a socket, a clock or a random number generator: a driver reads bytes
//! from the connection, feeds them in, and writes out the bytes the encoders produce.
//! Module names follow the protocol documentation:
//!
//! * [`packet`]: framing (3-byte length + sequence id, payloads ≥ 16 MiB split and
//!   reassembled), [`packet::PacketReader`] and [`packet::encode_packet`].
//! * [`compressed`]: the zlib compressed protocol around that framing.
//! * [`basic`]: fixed and length-encoded integers and strings.
//! * [`handshake`]: the server greeting, capability flags, SSLRequest, HandshakeResponse41,
//!   AuthSwitchRequest and AuthMoreData.
//! * [`auth`]: password scrambles for the authentication plugins.
//! * [`response`]: OK, ERR ([`response::ServerError`]), EOF and text result sets.
//! * [`command`]: COM_QUERY and friends.
//!
//! # Call order of the connection phase
//!
//! 1. Feed bytes to a [`packet::PacketReader`] until it yields the greeting; decode it with
//!    [`handshake::InitialHandshake::decode`].
//! 2. For TLS, send [`handshake::ssl_request`] (sequence 1) and run the TLS handshake.
//! 3. Compute the plugin's answer to the nonce ([`auth`]), send
//!    [`handshake::handshake_response`] with the reader's [`packet::PacketReader::sequence`].
//! 4. Decode each reply with [`handshake::AuthPacket::decode`] until `Ok` (or an error), answering
//!    `Switch`/`MoreData` as the plugin requires.
//! 5. For each command: [`packet::PacketReader::set_sequence`]`(0)`, encode the command with
//!    sequence 0, set the reader's sequence to 1, decode the reply.
//!
//! ```
//! use binvault_protocol::{auth, handshake, packet};
//! use bytes::BytesMut;
//!
//! # fn main() -> binvault_protocol::Result<()> {
//! // A MariaDB 10.11 greeting, as read from the socket (possibly in several pieces).
//! # let captured: Vec<u8> = [
//! #     &[0x5a, 0, 0, 0, 0x0a][..], b"10.11.6-MariaDB\0", &[5, 0, 0, 0], b"12345678", &[0],
//! #     &[0xfe, 0xf7, 0x2d, 0x02, 0x00, 0xff, 0x81, 21], &[0; 6], &[0x1d, 0, 0, 0],
//! #     b"abcdefghijkl\0", b"mysql_native_password\0",
//! # ].concat();
//! # let captured = { let mut c = captured; c[0] = (c.len() - 4) as u8; c };
//! let mut input = BytesMut::from(&captured[..]);
//! let mut reader = packet::PacketReader::new(packet::DEFAULT_MAX_PAYLOAD_SIZE);
//! let Some(payload) = reader.decode(&mut input)? else { unreachable!("whole packet given") };
//! let greeting = handshake::InitialHandshake::decode(&payload)?;
//! assert!(greeting.is_mariadb());
//!
//! let scramble = auth::mysql_native_password::scramble(b"secret", &greeting.auth_plugin_data);
//! let response = handshake::HandshakeResponse {
//!     capabilities: greeting.capabilities & handshake::CapabilityFlags::CLIENT_DEPRECATE_EOF,
//!     max_packet_size: 1 << 30,
//!     character_set: 45,
//!     username: b"repl",
//!     auth_response: &scramble,
//!     database: None,
//!     auth_plugin_name: auth::MYSQL_NATIVE_PASSWORD.as_bytes(),
//!     connect_attrs: None,
//! };
//! let mut payload = BytesMut::new();
//! handshake::handshake_response(&response, &mut payload)?;
//! let mut output = BytesMut::new();
//! let next = packet::encode_packet(&payload, reader.sequence(), &mut output);
//! reader.set_sequence(next);
//! // write `output` to the socket, then feed replies to `reader` …
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![doc(test(attr(deny(warnings))))]

pub mod auth;
pub mod basic;
pub mod binlog;
pub mod command;
pub mod compressed;
#[cfg(feature = "driver")]
pub mod driver;
pub mod error;
pub mod gtid;
pub mod handshake;
pub mod packet;
pub mod response;
pub mod semisync;

pub use error::{Error, Result};

#[cfg(test)]
mod robustness;
