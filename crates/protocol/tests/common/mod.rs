//! A scripted fake MySQL server for the driver's tests: it listens on a free loopback port,
//! accepts one connection and runs the test's script against it.
//!
//! Everything server-side is written here from the protocol documentation, independently of
//! the crate under test: packet framing, the greeting, the parsing of HandshakeResponse41,
//! the expected scrambles (computed with `sha1`/`sha2` per the documented formulas), RSA-OAEP
//! decryption with the server's private key, result sets, binlog events and their CRC32.
//! The crate is only used as the client.

// Each test binary uses a different part of this module.
#![allow(dead_code)]
// Test scaffolding: a failed step should panic with its message (clippy.toml allows
// unwrap/expect in #[test] functions only, not in helpers like these).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use binvault_protocol::driver::{ConnectOptions, Password, TlsMode, TlsOptions};
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Oaep, RsaPrivateKey};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// How long the fake server waits for any client packet before giving up.
pub const SERVER_READ_LIMIT: Duration = Duration::from_secs(5);

/// Capability flags, from the protocol documentation (`CLIENT_*`).
pub mod caps {
    pub const LONG_PASSWORD: u32 = 1;
    pub const FOUND_ROWS: u32 = 1 << 1;
    pub const LONG_FLAG: u32 = 1 << 2;
    pub const CONNECT_WITH_DB: u32 = 1 << 3;
    pub const NO_SCHEMA: u32 = 1 << 4;
    pub const COMPRESS: u32 = 1 << 5;
    pub const LOCAL_FILES: u32 = 1 << 7;
    pub const IGNORE_SPACE: u32 = 1 << 8;
    pub const PROTOCOL_41: u32 = 1 << 9;
    pub const INTERACTIVE: u32 = 1 << 10;
    pub const SSL: u32 = 1 << 11;
    pub const TRANSACTIONS: u32 = 1 << 13;
    pub const SECURE_CONNECTION: u32 = 1 << 15;
    pub const MULTI_STATEMENTS: u32 = 1 << 16;
    pub const MULTI_RESULTS: u32 = 1 << 17;
    pub const PS_MULTI_RESULTS: u32 = 1 << 18;
    pub const PLUGIN_AUTH: u32 = 1 << 19;
    pub const CONNECT_ATTRS: u32 = 1 << 20;
    pub const PLUGIN_AUTH_LENENC_CLIENT_DATA: u32 = 1 << 21;
    pub const SESSION_TRACK: u32 = 1 << 23;
    pub const DEPRECATE_EOF: u32 = 1 << 24;

    /// What a MySQL 8.0 server announces (without SSL, which the greeting adds on demand).
    pub const MYSQL_8: u32 = LONG_PASSWORD
        | FOUND_ROWS
        | LONG_FLAG
        | CONNECT_WITH_DB
        | NO_SCHEMA
        | COMPRESS
        | LOCAL_FILES
        | IGNORE_SPACE
        | PROTOCOL_41
        | INTERACTIVE
        | TRANSACTIONS
        | SECURE_CONNECTION
        | MULTI_STATEMENTS
        | MULTI_RESULTS
        | PS_MULTI_RESULTS
        | PLUGIN_AUTH
        | CONNECT_ATTRS
        | PLUGIN_AUTH_LENENC_CLIENT_DATA
        | SESSION_TRACK
        | DEPRECATE_EOF;
}

// ---------------------------------------------------------------------------------------
// Keys and certificates
// ---------------------------------------------------------------------------------------

/// The fake server's RSA key (1024 bits: fast in debug builds; MySQL uses 2048), made with
///   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out priv.pem
///   openssl pkey -in priv.pem -pubout -out pub.pem
pub const SERVER_PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBAKpl4TWkLIMgs/ay
nEfYqDebrpOVenhB/JITwA028ezbFNZUSsvLv8gjcUnlHutPBHg1RwGyivL6RVta
tj0P7z+VsMFFAlZ2E2ig9niEZHYrcGQSHrHl+aKBS5YmT7JJz+xgsfxYKfkPwsVW
nMWcLN0s5zUbwURI61mTussYOyfpAgMBAAECgYAfddfy03D0dOFFNwzrpvDH85Jz
5TFLasN7JPJcfjyEgp6CQ+XbYq7yALk173uZ7mjg2NVXVuOYoOSVTVZAR+TgByxv
3zxiWvoiUD/n7mC1O/nBoATEFh6uv5B/aIvkL3nyuxvSL3e4Vobo03fRgKO7yK5b
3usRYNh79UOHJik+QQJBAOBvIE/YdgFgD9+64Ph+giHJ5YTL+3Ck0LEooM8xLKWJ
0pxswBA6/Wdawy0aI79asnaqMoBPkle2B/ePEsXaDf0CQQDCXScvTDO+URDwk9ry
Xo54Mi500KMaINbthLm9cwzOX5yUUSQB/YsOD4BK1xIR20w3QDbhXpAXwmB3tPph
b09dAkBq9WrfwphShXZrOIO4yYm5EqAYjqIRB+sRUvx4YcYWSj2eINHTqllT5VR4
7Sk2K8I7fVc+AS4MMQtQ9tWKhyX9AkAbLMEMyN+3LUhsCpAjMPtEbOe352/WeF70
iIkbptlUhWO0DQA20wc9KQer7xQUsQ+f7fd+XSVSXRf1xLT5KIH1AkEAuEPZ2iub
b0eYyjrS5T8QMNccFLQyeHSMcqRA/OI0LVGnz47/tI4g1MhER/BXOB5Vx1+6JiZj
0nHvOcUUid3kpA==
-----END PRIVATE KEY-----
";

/// The public half (SPKI PEM, as MySQL sends it and writes to `public_key.pem`).
pub const SERVER_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCqZeE1pCyDILP2spxH2Kg3m66T
lXp4QfySE8ANNvHs2xTWVErLy7/II3FJ5R7rTwR4NUcBsory+kVbWrY9D+8/lbDB
RQJWdhNooPZ4hGR2K3BkEh6x5fmigUuWJk+ySc/sYLH8WCn5D8LFVpzFnCzdLOc1
G8FESOtZk7rLGDsn6QIDAQAB
-----END PUBLIC KEY-----
";

/// A rustls acceptor with a throwaway certificate (binvault-testkit's CA and server cert).
pub fn tls_acceptor() -> TlsAcceptor {
    let certs = binvault_testkit::TestCerts::generate().expect("test certificates");
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&certs.server_cert)
        .expect("server cert")
        .collect::<Result<_, _>>()
        .expect("server cert PEM");
    let key = PrivateKeyDer::from_pem_file(&certs.server_key).expect("server key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("server TLS config");
    TlsAcceptor::from(Arc::new(config))
}

// ---------------------------------------------------------------------------------------
// The expected authentication data, computed server-side
// ---------------------------------------------------------------------------------------

fn xor(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().zip(b).map(|(x, y)| x ^ y).collect()
}

/// `mysql_native_password`: `SHA1(pw) XOR SHA1(nonce + SHA1(SHA1(pw)))`.
pub fn native_scramble(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    let stage1 = Sha1::digest(password);
    let stage2 = Sha1::digest(stage1);
    let mut h = Sha1::new();
    h.update(nonce);
    h.update(stage2);
    xor(&stage1, &h.finalize())
}

/// `caching_sha2_password`: `SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + nonce)`.
pub fn sha2_scramble(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    let stage1 = Sha256::digest(password);
    let stage2 = Sha256::digest(stage1);
    let mut h = Sha256::new();
    h.update(stage2);
    h.update(nonce);
    xor(&stage1, &h.finalize())
}

/// What the server recovers from an RSA full-authentication packet: decrypts it
/// (RSA-OAEP with SHA-1) with [`SERVER_PRIVATE_KEY`] and XORs it with the nonce, repeated.
/// For a correct client this is `password + NUL`.
pub fn rsa_recover_password(ciphertext: &[u8], nonce: &[u8]) -> Vec<u8> {
    let key = RsaPrivateKey::from_pkcs8_pem(SERVER_PRIVATE_KEY).expect("server private key");
    let plain = key
        .decrypt(Oaep::new::<sha1_010::Sha1>(), ciphertext)
        .expect("the client's ciphertext decrypts with the server key");
    plain
        .iter()
        .zip(nonce.iter().cycle())
        .map(|(p, n)| p ^ n)
        .collect()
}

// ---------------------------------------------------------------------------------------
// Encoding helpers
// ---------------------------------------------------------------------------------------

/// `int<lenenc>`.
pub fn put_lenenc(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=250 => out.push(n as u8),
        251..=0xffff => {
            out.push(0xfc);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xff_ffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
        }
        _ => {
            out.push(0xfe);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

/// `string<lenenc>`.
pub fn put_lenenc_str(out: &mut Vec<u8>, s: &[u8]) {
    put_lenenc(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// CRC-32 (IEEE, reflected, as zlib and MySQL's `binlog_checksum = CRC32` compute it).
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xedb8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// The 16 bytes of a textual UUID.
pub fn uuid_bytes(text: &str) -> [u8; 16] {
    let hex: Vec<u8> = text.bytes().filter(|&b| b != b'-').collect();
    assert_eq!(hex.len(), 32, "{text}");
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap();
    }
    out
}

/// A byte cursor that panics (failing the test) on malformed client packets.
pub struct Cursor<'a> {
    pub buf: &'a [u8],
    pub pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        assert!(
            self.pos + n <= self.buf.len(),
            "client packet too short: need {n} at {}",
            self.pos
        );
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        s
    }
    pub fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take(2).try_into().unwrap())
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().unwrap())
    }
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().unwrap())
    }
    pub fn lenenc(&mut self) -> u64 {
        match self.u8() {
            n @ 0..=250 => u64::from(n),
            0xfc => u64::from(self.u16()),
            0xfd => {
                let b = self.take(3);
                u64::from(u32::from_le_bytes([b[0], b[1], b[2], 0]))
            }
            0xfe => self.u64(),
            other => panic!("bad lenenc prefix {other:#x}"),
        }
    }
    pub fn lenenc_bytes(&mut self) -> &'a [u8] {
        let n = self.lenenc() as usize;
        self.take(n)
    }
    pub fn nul_str(&mut self) -> String {
        let rest = &self.buf[self.pos..];
        let n = rest
            .iter()
            .position(|&b| b == 0)
            .expect("NUL-terminated string");
        self.pos += n + 1;
        String::from_utf8(rest[..n].to_vec()).unwrap()
    }
    pub fn rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos..];
        self.pos = self.buf.len();
        s
    }
}

// ---------------------------------------------------------------------------------------
// Greeting and HandshakeResponse41
// ---------------------------------------------------------------------------------------

/// The server's Initial Handshake v10.
#[derive(Debug, Clone)]
pub struct Greeting {
    pub version: String,
    pub connection_id: u32,
    /// 20 bytes, none of them NUL (MySQL draws printable characters).
    pub nonce: [u8; 20],
    pub capabilities: u32,
    pub plugin: String,
}

impl Greeting {
    /// A MySQL greeting for `version` with default plugin `plugin`.
    pub fn mysql(version: &str, plugin: &str) -> Self {
        Greeting {
            version: version.into(),
            connection_id: 42,
            nonce: *b"Yt3$k9!Q@a#Fp2&Lz7*W",
            capabilities: caps::MYSQL_8,
            plugin: plugin.into(),
        }
    }

    /// The same, also offering TLS.
    pub fn with_tls(mut self) -> Self {
        self.capabilities |= caps::SSL;
        self
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut p = vec![10];
        p.extend_from_slice(self.version.as_bytes());
        p.push(0);
        p.extend_from_slice(&self.connection_id.to_le_bytes());
        p.extend_from_slice(&self.nonce[..8]);
        p.push(0); // filler
        p.extend_from_slice(&(self.capabilities as u16).to_le_bytes());
        p.push(255); // utf8mb4_0900_ai_ci
        p.extend_from_slice(&2u16.to_le_bytes()); // SERVER_STATUS_AUTOCOMMIT
        p.extend_from_slice(&((self.capabilities >> 16) as u16).to_le_bytes());
        p.push(21); // auth-plugin-data length: 8 + 12 + NUL
        p.extend_from_slice(&[0; 10]); // reserved
        p.extend_from_slice(&self.nonce[8..]);
        p.push(0);
        p.extend_from_slice(self.plugin.as_bytes());
        p.push(0);
        p
    }
}

/// The client's `HandshakeResponse41`, parsed as a server does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeResponse {
    pub capabilities: u32,
    pub max_packet_size: u32,
    pub charset: u8,
    pub user: String,
    pub auth_response: Vec<u8>,
    pub database: Option<String>,
    pub plugin: Option<String>,
    pub attrs: Vec<(String, String)>,
    /// An SSLRequest came first and the rest arrived over TLS.
    pub tls: bool,
}

pub fn parse_handshake_response(payload: &[u8], tls: bool) -> HandshakeResponse {
    let mut c = Cursor::new(payload);
    let capabilities = c.u32();
    assert!(
        capabilities & caps::PROTOCOL_41 != 0,
        "only HandshakeResponse41 is supported"
    );
    let max_packet_size = c.u32();
    let charset = c.u8();
    c.take(23);
    let user = c.nul_str();
    let auth_response = if capabilities & caps::PLUGIN_AUTH_LENENC_CLIENT_DATA != 0 {
        c.lenenc_bytes().to_vec()
    } else {
        let n = c.u8() as usize;
        c.take(n).to_vec()
    };
    let database = (capabilities & caps::CONNECT_WITH_DB != 0).then(|| c.nul_str());
    let plugin = (capabilities & caps::PLUGIN_AUTH != 0).then(|| c.nul_str());
    let mut attrs = Vec::new();
    if capabilities & caps::CONNECT_ATTRS != 0 {
        let all = c.lenenc_bytes();
        let mut a = Cursor::new(all);
        while a.pos < all.len() {
            let k = String::from_utf8(a.lenenc_bytes().to_vec()).unwrap();
            let v = String::from_utf8(a.lenenc_bytes().to_vec()).unwrap();
            attrs.push((k, v));
        }
    }
    assert_eq!(
        c.pos,
        payload.len(),
        "trailing bytes in HandshakeResponse41"
    );
    HandshakeResponse {
        capabilities,
        max_packet_size,
        charset,
        user,
        auth_response,
        database,
        plugin,
        attrs,
        tls,
    }
}

// ---------------------------------------------------------------------------------------
// The connection
// ---------------------------------------------------------------------------------------

enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    Gone,
}

/// The server end of one client connection.
pub struct ServerConn {
    stream: Stream,
    seq: u8,
    /// Capabilities from the client's HandshakeResponse41 (0 before it).
    pub client_caps: u32,
    /// Bytes written so far.
    pub written: u64,
}

fn timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "fake server: no client packet in time",
    )
}

impl ServerConn {
    fn new(tcp: TcpStream) -> Self {
        ServerConn {
            stream: Stream::Plain(tcp),
            seq: 0,
            client_caps: 0,
            written: 0,
        }
    }

    /// The sequence id of the next packet either way.
    pub fn seq(&self) -> u8 {
        self.seq
    }

    pub fn set_seq(&mut self, seq: u8) {
        self.seq = seq;
    }

    /// Writes bytes as they are (no framing).
    pub async fn write_raw(&mut self, data: &[u8]) -> io::Result<()> {
        match &mut self.stream {
            Stream::Plain(s) => {
                s.write_all(data).await?;
                s.flush().await?;
            }
            Stream::Tls(s) => {
                s.write_all(data).await?;
                s.flush().await?;
            }
            Stream::Gone => return Err(io::ErrorKind::NotConnected.into()),
        }
        self.written += data.len() as u64;
        Ok(())
    }

    async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        match &mut self.stream {
            Stream::Plain(s) => s.read_exact(buf).await.map(|_| ()),
            Stream::Tls(s) => s.read_exact(buf).await.map(|_| ()),
            Stream::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    /// Sends one payload (under 16 MiB) as one packet with the current sequence id.
    pub async fn send(&mut self, payload: &[u8]) -> io::Result<()> {
        assert!(
            payload.len() < 0xff_ffff,
            "the fake server sends small payloads only"
        );
        let mut p = Vec::with_capacity(payload.len() + 4);
        p.extend_from_slice(&(payload.len() as u32).to_le_bytes()[..3]);
        p.push(self.seq);
        p.extend_from_slice(payload);
        self.seq = self.seq.wrapping_add(1);
        self.write_raw(&p).await
    }

    /// Reads one whole client payload; its packets must carry the expected sequence ids.
    pub async fn recv(&mut self) -> io::Result<Vec<u8>> {
        tokio::time::timeout(SERVER_READ_LIMIT, self.recv_untimed())
            .await
            .map_err(|_| timed_out())?
    }

    async fn recv_untimed(&mut self) -> io::Result<Vec<u8>> {
        let mut payload = Vec::new();
        loop {
            let mut h = [0u8; 4];
            self.read_exact(&mut h).await?;
            let len = u32::from_le_bytes([h[0], h[1], h[2], 0]) as usize;
            assert_eq!(h[3], self.seq, "sequence id of the client's packet");
            self.seq = self.seq.wrapping_add(1);
            let start = payload.len();
            payload.resize(start + len, 0);
            self.read_exact(&mut payload[start..]).await?;
            if len < 0xff_ffff {
                return Ok(payload);
            }
        }
    }

    /// A client payload arriving within `limit`, or `None`.
    pub async fn recv_within(&mut self, limit: Duration) -> Option<io::Result<Vec<u8>>> {
        tokio::time::timeout(limit, self.recv_untimed()).await.ok()
    }

    /// Reads a command (a new exchange: sequence id 0).
    pub async fn recv_command(&mut self) -> io::Result<Vec<u8>> {
        self.seq = 0;
        self.recv().await
    }

    /// Waits until the client closes the connection (or `limit` passes); true if it closed.
    pub async fn wait_closed(&mut self, limit: Duration) -> bool {
        let read = async {
            let mut sink = [0u8; 4096];
            loop {
                let n = match &mut self.stream {
                    Stream::Plain(s) => s.read(&mut sink).await,
                    Stream::Tls(s) => s.read(&mut sink).await,
                    Stream::Gone => Ok(0),
                };
                if !matches!(n, Ok(1..)) {
                    return;
                }
            }
        };
        tokio::time::timeout(limit, read).await.is_ok()
    }

    async fn start_tls(&mut self, acceptor: &TlsAcceptor) -> io::Result<()> {
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Gone) else {
            panic!("TLS over TLS");
        };
        let tls = tokio::time::timeout(SERVER_READ_LIMIT, acceptor.accept(tcp))
            .await
            .map_err(|_| timed_out())??;
        self.stream = Stream::Tls(Box::new(tls));
        Ok(())
    }

    /// Sends the greeting and reads the client's HandshakeResponse41, upgrading to TLS first
    /// when the client sends an SSLRequest (`tls` must then be given).
    pub async fn greet(
        &mut self,
        greeting: &Greeting,
        tls: Option<&TlsAcceptor>,
    ) -> io::Result<HandshakeResponse> {
        self.seq = 0;
        self.send(&greeting.encode()).await?;
        let mut payload = self.recv().await?;
        let mut over_tls = false;
        if payload.len() == 32 {
            let client_caps = u32::from_le_bytes(payload[..4].try_into().unwrap());
            assert!(
                client_caps & caps::SSL != 0,
                "a 32-byte response must be an SSLRequest"
            );
            assert!(
                greeting.capabilities & caps::SSL != 0,
                "SSLRequest to a server without SSL"
            );
            self.start_tls(tls.expect("SSLRequest but the script has no TLS acceptor"))
                .await?;
            over_tls = true;
            payload = self.recv().await?;
        }
        let hello = parse_handshake_response(&payload, over_tls);
        assert_eq!(
            hello.capabilities & caps::SSL != 0,
            over_tls,
            "CLIENT_SSL in the response"
        );
        self.client_caps = hello.capabilities;
        Ok(hello)
    }

    /// Greets and lets the client in without checking its credentials.
    pub async fn accept_login(&mut self, greeting: &Greeting) -> io::Result<HandshakeResponse> {
        let hello = self.greet(greeting, None).await?;
        self.send_ok().await?;
        Ok(hello)
    }

    /// OK packet (autocommit status).
    pub async fn send_ok(&mut self) -> io::Result<()> {
        self.send(&[0x00, 0, 0, 2, 0, 0, 0]).await
    }

    /// ERR packet.
    pub async fn send_err(&mut self, code: u16, sql_state: &str, message: &str) -> io::Result<()> {
        let mut p = vec![0xff];
        p.extend_from_slice(&code.to_le_bytes());
        p.push(b'#');
        p.extend_from_slice(sql_state.as_bytes());
        p.extend_from_slice(message.as_bytes());
        self.send(&p).await
    }

    /// A `ColumnDefinition41` payload for a VARCHAR column.
    pub fn column_definition(name: &str) -> Vec<u8> {
        let mut p = Vec::new();
        for s in ["def", "", "", "", name, ""] {
            put_lenenc_str(&mut p, s.as_bytes());
        }
        p.push(0x0c);
        p.extend_from_slice(&255u16.to_le_bytes()); // utf8mb4
        p.extend_from_slice(&1024u32.to_le_bytes());
        p.push(0xfd); // MYSQL_TYPE_VAR_STRING
        p.extend_from_slice(&0u16.to_le_bytes());
        p.push(0x1f);
        p.extend_from_slice(&[0, 0]);
        p
    }

    /// The packet ending a result set: OK with header 0xfe under CLIENT_DEPRECATE_EOF, else
    /// EOF.
    pub fn end_of_rows(&self) -> Vec<u8> {
        if self.client_caps & caps::DEPRECATE_EOF != 0 {
            vec![0xfe, 0, 0, 2, 0, 0, 0]
        } else {
            vec![0xfe, 0, 0, 2, 0]
        }
    }

    /// A text result set, framed as the negotiated capabilities require.
    pub async fn send_result_set(
        &mut self,
        columns: &[&str],
        rows: &[Vec<Option<&str>>],
    ) -> io::Result<()> {
        let mut count = Vec::new();
        put_lenenc(&mut count, columns.len() as u64);
        self.send(&count).await?;
        for c in columns {
            self.send(&Self::column_definition(c)).await?;
        }
        if self.client_caps & caps::DEPRECATE_EOF == 0 {
            self.send(&[0xfe, 0, 0, 2, 0]).await?;
        }
        for row in rows {
            let mut p = Vec::new();
            for v in row {
                match v {
                    Some(v) => put_lenenc_str(&mut p, v.as_bytes()),
                    None => p.push(0xfb),
                }
            }
            self.send(&p).await?;
        }
        let end = self.end_of_rows();
        self.send(&end).await
    }

    /// Answers COM_QUERY commands as `source` would until another command arrives; returns
    /// that command's payload. Each statement is appended to `log`.
    pub async fn serve_queries(
        &mut self,
        source: &Source,
        log: &mut Vec<String>,
    ) -> io::Result<Vec<u8>> {
        loop {
            let cmd = self.recv_command().await?;
            if cmd.first() != Some(&0x03) {
                return Ok(cmd);
            }
            let sql = String::from_utf8(cmd[1..].to_vec()).expect("UTF-8 statement");
            log.push(sql.clone());
            self.answer(source, &sql, log).await?;
        }
    }

    async fn answer(&mut self, src: &Source, sql: &str, log: &[String]) -> io::Result<()> {
        let upper = sql.to_ascii_uppercase();
        let checksum_set = log
            .iter()
            .any(|s| s.starts_with("SET @master_binlog_checksum"));
        if upper.starts_with("SET ") {
            self.send_ok().await
        } else if sql.contains("@@GLOBAL.server_id") {
            let id = src.server_id.to_string();
            let cols = [
                "@@GLOBAL.server_id",
                "@@GLOBAL.log_bin",
                "@@GLOBAL.gtid_executed",
            ];
            self.send_result_set(
                &cols,
                &[vec![Some(&id), Some("1"), Some(&src.gtid_executed)]],
            )
            .await
        } else if upper.starts_with("SELECT @@GLOBAL.BINLOG_CHECKSUM") {
            self.send_result_set(&["@@GLOBAL.binlog_checksum"], &[vec![Some(src.checksum)]])
                .await
        } else if upper.starts_with("SELECT @@GLOBAL.SERVER_UUID") {
            self.send_result_set(&["@@GLOBAL.server_uuid"], &[vec![Some(&src.server_uuid)]])
                .await
        } else if upper.starts_with("SHOW GLOBAL VARIABLES") {
            let rows: Vec<Vec<Option<&str>>> = match src.semi_sync_variable {
                Some(v) if sql.contains(v) => vec![vec![Some(v), Some("ON")]],
                _ => Vec::new(),
            };
            self.send_result_set(&["Variable_name", "Value"], &rows)
                .await
        } else if upper.starts_with("SELECT @MASTER_BINLOG_CHECKSUM")
            || upper.starts_with("SELECT @SOURCE_BINLOG_CHECKSUM")
        {
            let v = checksum_set.then_some(src.checksum);
            self.send_result_set(&[sql.trim_start_matches("SELECT ")], &[vec![v]])
                .await
        } else {
            self.send_err(1064, "42000", "fake server: statement not scripted")
                .await
        }
    }

    /// Runs a replica's set-up: login (credentials not checked), the queries, COM_REGISTER_SLAVE
    /// (answered OK), then reads the dump command. The next packet sent is the stream's first.
    pub async fn accept_replica(
        &mut self,
        greeting: &Greeting,
        source: &Source,
    ) -> io::Result<ReplicaSetup> {
        let hello = self.accept_login(greeting).await?;
        let mut queries = Vec::new();
        let register = self.serve_queries(source, &mut queries).await?;
        assert_eq!(register.first(), Some(&0x15), "COM_REGISTER_SLAVE expected");
        self.send_ok().await?;
        let dump = self.serve_queries(source, &mut queries).await?;
        assert!(
            matches!(dump.first(), Some(0x12 | 0x1e)),
            "a binlog dump command expected, got {:?}",
            dump.first()
        );
        Ok(ReplicaSetup {
            hello,
            queries,
            register,
            dump,
        })
    }

    /// Sends one binlog event packet: `0x00`, the semi-sync header if given (`0xef`, flags),
    /// the event.
    pub async fn send_event(
        &mut self,
        event: &[u8],
        semi_sync_flags: Option<u8>,
    ) -> io::Result<()> {
        let mut p = vec![0x00];
        if let Some(flags) = semi_sync_flags {
            p.extend_from_slice(&[0xef, flags]);
        }
        p.extend_from_slice(event);
        self.send(&p).await
    }

    /// The EOF that ends a non-blocking dump.
    pub async fn send_eof(&mut self) -> io::Result<()> {
        self.send(&[0xfe, 0, 0, 2, 0]).await
    }
}

/// What the fake source answers to the replica's set-up queries.
#[derive(Debug, Clone)]
pub struct Source {
    pub server_id: u32,
    pub server_uuid: String,
    pub gtid_executed: String,
    /// `@@binlog_checksum`: `CRC32` or `NONE`.
    pub checksum: &'static str,
    /// The semi-sync variable that is ON (`rpl_semi_sync_master_enabled` or
    /// `rpl_semi_sync_source_enabled`), if any.
    pub semi_sync_variable: Option<&'static str>,
}

impl Default for Source {
    fn default() -> Self {
        Source {
            server_id: 1,
            server_uuid: "3e11fa47-71ca-11e1-9e33-c80aa9429562".into(),
            gtid_executed: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-20".into(),
            checksum: "CRC32",
            semi_sync_variable: None,
        }
    }
}

/// What the client sent while setting up replication.
#[derive(Debug, Clone)]
pub struct ReplicaSetup {
    pub hello: HandshakeResponse,
    /// Every COM_QUERY statement, in order.
    pub queries: Vec<String>,
    /// The COM_REGISTER_SLAVE payload.
    pub register: Vec<u8>,
    /// The COM_BINLOG_DUMP / COM_BINLOG_DUMP_GTID payload.
    pub dump: Vec<u8>,
}

/// Binds a listener on a free loopback port and runs `script` on the first connection.
/// Returns the port and the script's handle (await it for its result; a failed assertion in
/// the script surfaces as a panic there).
pub async fn spawn_server<F, Fut, T>(script: F) -> (u16, JoinHandle<T>)
where
    F: FnOnce(ServerConn) -> Fut + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("local addr").port();
    let handle = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        let _ = tcp.set_nodelay(true);
        script(ServerConn::new(tcp)).await
    });
    (port, handle)
}

/// Client options for the fake server: user `repl`, no TLS, short limits.
pub fn client_options(port: u16, password: &str) -> ConnectOptions {
    ConnectOptions {
        host: "127.0.0.1".into(),
        port,
        user: "repl".into(),
        password: Password::new(password.as_bytes().to_vec()),
        tls: TlsOptions {
            mode: TlsMode::Disabled,
            ..TlsOptions::default()
        },
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
        ..ConnectOptions::default()
    }
}

// ---------------------------------------------------------------------------------------
// Binlog events
// ---------------------------------------------------------------------------------------

/// Binlog event type codes used by the tests.
pub mod event_type {
    pub const QUERY: u8 = 2;
    pub const ROTATE: u8 = 4;
    pub const FORMAT_DESCRIPTION: u8 = 15;
    pub const XID: u8 = 16;
    pub const GTID: u8 = 33;
    pub const PREVIOUS_GTIDS: u8 = 35;
}

/// `LOG_EVENT_ARTIFICIAL_F`.
pub const ARTIFICIAL: u16 = 0x20;

/// A v4 binlog event: 19-byte header, `body`, and a CRC32 of both when `checksum`.
pub fn event(
    ty: u8,
    server_id: u32,
    log_pos: u32,
    flags: u16,
    body: &[u8],
    checksum: bool,
) -> Vec<u8> {
    let size = 19 + body.len() + if checksum { 4 } else { 0 };
    let mut e = Vec::with_capacity(size);
    e.extend_from_slice(&1_718_000_000u32.to_le_bytes());
    e.push(ty);
    e.extend_from_slice(&server_id.to_le_bytes());
    e.extend_from_slice(&(size as u32).to_le_bytes());
    e.extend_from_slice(&log_pos.to_le_bytes());
    e.extend_from_slice(&flags.to_le_bytes());
    e.extend_from_slice(body);
    if checksum {
        let crc = crc32(&e);
        e.extend_from_slice(&crc.to_le_bytes());
    }
    e
}

/// The rotate event a source makes up at the start of a dump (artificial, `log_pos` 0).
pub fn artificial_rotate(server_id: u32, file: &str, position: u64, checksum: bool) -> Vec<u8> {
    let mut body = position.to_le_bytes().to_vec();
    body.extend_from_slice(file.as_bytes());
    event(
        event_type::ROTATE,
        server_id,
        0,
        ARTIFICIAL,
        &body,
        checksum,
    )
}

/// A FORMAT_DESCRIPTION_EVENT body for `server_version` (plausible post-header lengths; the
/// client does not parse them), with the checksum algorithm byte.
pub fn format_description_body(server_version: &str, checksum: bool) -> Vec<u8> {
    let mut body = 4u16.to_le_bytes().to_vec();
    let mut version = [0u8; 50];
    version[..server_version.len()].copy_from_slice(server_version.as_bytes());
    body.extend_from_slice(&version);
    body.extend_from_slice(&0u32.to_le_bytes());
    body.push(19);
    body.extend_from_slice(&[
        0, 13, 0, 8, 0, 0, 0, 0, 4, 0, 4, 0, 0, 0, 98, 0, 4, 26, 8, 0, 0, 0, 8, 8, 8, 2, 0, 0, 0,
        10, 10, 10, 42, 42, 0, 18, 52, 0, 10, 40, 0,
    ]);
    body.push(u8::from(checksum));
    body
}

/// Writes events at consecutive positions of one binlog file, each with the right `log_pos`.
#[derive(Debug, Clone)]
pub struct BinlogWriter {
    pub server_id: u32,
    pub checksum: bool,
    /// Position of the next event.
    pub pos: u64,
}

impl BinlogWriter {
    pub fn new(server_id: u32, checksum: bool) -> Self {
        BinlogWriter {
            server_id,
            checksum,
            pos: 4,
        }
    }

    /// The next event of the file: returns its start position and bytes.
    pub fn next(&mut self, ty: u8, body: &[u8]) -> (u64, Vec<u8>) {
        let size = 19 + body.len() as u64 + if self.checksum { 4 } else { 0 };
        let start = self.pos;
        self.pos += size;
        (
            start,
            event(ty, self.server_id, self.pos as u32, 0, body, self.checksum),
        )
    }

    /// Leaves a gap (events the source skips, e.g. transactions the replica has).
    pub fn skip(&mut self, bytes: u64) {
        self.pos += bytes;
    }
}
