//! The crate's error type.

use crate::response::ServerError;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while framing, decoding or encoding protocol messages.
///
/// Every variant that comes from untrusted input names what was being decoded and where.
/// After any error other than [`Error::Server`] the connection's framing state is unknown:
/// close the connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A packet header carried a sequence id other than the one expected.
    #[error("{layer} sequence id mismatch: expected {expected}, found {found}")]
    SequenceMismatch {
        /// `"packet"` or `"compressed packet"`.
        layer: &'static str,
        /// The sequence id the protocol requires next.
        expected: u8,
        /// The sequence id on the wire.
        found: u8,
    },
    /// A (reassembled) payload would exceed the configured maximum. Detected from the headers,
    /// before the bytes are buffered.
    #[error("{layer} payload of at least {size} bytes exceeds the maximum of {max} bytes")]
    PayloadTooLarge {
        /// `"packet"` or `"compressed packet"`.
        layer: &'static str,
        /// Size declared so far (lower bound of the whole payload).
        size: u64,
        /// The configured maximum.
        max: usize,
    },
    /// A compressed packet did not inflate to the length its header declared.
    #[error("compressed packet (sequence {sequence}) declared {declared} uncompressed bytes, inflated to {actual}")]
    DecompressedLength {
        /// Compressed sequence id of the packet.
        sequence: u8,
        /// Uncompressed length from the header.
        declared: usize,
        /// Bytes actually produced (capped at `declared + 1`).
        actual: usize,
    },
    /// The zlib stream of a compressed packet is corrupt.
    #[error("compressed packet (sequence {sequence}): corrupt zlib stream")]
    Inflate {
        /// Compressed sequence id of the packet.
        sequence: u8,
        /// The underlying zlib error.
        #[source]
        source: flate2::DecompressError,
    },
    /// A message ended before a field was complete.
    #[error("{message}: truncated {field} at offset {offset}: needed {needed} bytes, {available} available")]
    Truncated {
        /// The message being decoded, e.g. `"Initial Handshake v10"`.
        message: &'static str,
        /// The field being read, e.g. `"connection id"`.
        field: &'static str,
        /// Offset of the field within the payload.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A NUL-terminated string had no NUL before the end of the payload.
    #[error("{message}: unterminated {field} at offset {offset}")]
    Unterminated {
        /// The message being decoded.
        message: &'static str,
        /// The field being read.
        field: &'static str,
        /// Offset where the string starts.
        offset: usize,
    },
    /// A byte had a value the protocol does not allow at that place.
    #[error("{message}: unexpected {field} {found:#04x} at offset {offset}")]
    Unexpected {
        /// The message being decoded.
        message: &'static str,
        /// What the byte is, e.g. `"header"`, `"length-encoded integer prefix"`.
        field: &'static str,
        /// Offset of the byte.
        offset: usize,
        /// The byte found.
        found: u8,
    },
    /// A message had bytes left over after its last field.
    #[error("{message}: {extra} unexpected trailing bytes at offset {offset}")]
    TrailingBytes {
        /// The message being decoded.
        message: &'static str,
        /// Offset of the first extra byte.
        offset: usize,
        /// Number of extra bytes.
        extra: usize,
    },
    /// The server greeted with a protocol version other than 10.
    #[error("unsupported handshake protocol version {found} (only v10 is supported)")]
    UnsupportedProtocolVersion {
        /// The version byte.
        found: u8,
    },
    /// A value given by the caller cannot be encoded (e.g. a NUL inside a NUL-terminated string).
    #[error("cannot encode {field}: {reason}")]
    InvalidArgument {
        /// The field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The result-set decoder was fed a payload in a state that does not accept one
    /// (for example after the result set ended).
    #[error("result set decoder: payload received in state {state}")]
    UnexpectedPayload {
        /// The decoder state.
        state: &'static str,
    },
    /// A binlog event's header declares a size other than the bytes its packet carried.
    #[error("binlog event declares {declared} bytes but its packet carried {received}")]
    EventLength {
        /// `event_size` from the header.
        declared: usize,
        /// Bytes received.
        received: usize,
    },
    /// A setting given by the user is invalid or a file it names cannot be used.
    #[error("{0}")]
    Config(String),
    /// Reading from or writing to the server failed.
    #[error("{context}: {source}")]
    Io {
        /// What the driver was doing, e.g. `"connecting to 127.0.0.1:3306"`.
        context: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The server closed the connection.
    #[error("the server closed the connection ({context})")]
    ConnectionClosed {
        /// What the driver was waiting for.
        context: &'static str,
    },
    /// Nothing arrived in time (a dead connection, or a server that stopped answering).
    #[error("timed out after {seconds:.1} s {what}")]
    Timeout {
        /// What the driver was waiting for.
        what: &'static str,
        /// The limit.
        seconds: f64,
    },
    /// The TLS handshake or TLS configuration failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// TLS was required but the server does not offer it.
    #[error("TLS is required (--tls-mode {mode}) but the server does not support it (no CLIENT_SSL in its greeting; is it started with ssl-cert/ssl-key?)")]
    TlsUnavailable {
        /// The mode that required TLS.
        mode: &'static str,
    },
    /// The source refused to let this user replicate (COM_REGISTER_SLAVE or the dump
    /// answered 1045/1227).
    #[error("the source refused replication for this user ({0}): grant it REPLICATION SLAVE, e.g. GRANT REPLICATION SLAVE ON *.* TO 'user'@'host'")]
    ReplicationDenied(ServerError),
    /// The source does not write a binary log.
    #[error("the source has binary logging disabled (@@log_bin = 0): start it with --log-bin")]
    BinlogDisabled,
    /// An RSA public key (from a key file, or sent by the server) cannot be used for
    /// `sha256_password`/`caching_sha2_password` full authentication.
    #[error("RSA public key: {reason}")]
    PublicKey {
        /// What is wrong with the key.
        reason: String,
    },
    /// `password + NUL` is longer than RSA-OAEP (SHA-1) can encrypt with the server's key
    /// (modulus bytes − 42).
    #[error("password of {len} bytes (with its NUL) is too long for the server's RSA key: at most {max} bytes fit")]
    PasswordTooLongForKey {
        /// `password.len() + 1`.
        len: usize,
        /// The most the key can encrypt.
        max: usize,
    },
    /// Authenticating would expose the password: a plugin that sends it in clear without
    /// TLS, or RSA full authentication without a key to encrypt with.
    #[error("{plugin}: {reason}")]
    InsecureAuth {
        /// The authentication plugin.
        plugin: &'static str,
        /// Why, and how to fix it.
        reason: &'static str,
    },
    /// The server asked for an authentication plugin this crate does not implement.
    #[error("unsupported authentication plugin {plugin:?} (supported: mysql_native_password, caching_sha2_password, sha256_password, client_ed25519, mysql_clear_password)")]
    UnsupportedAuthPlugin {
        /// The plugin name from the server.
        plugin: String,
    },
    /// During authentication the server sent a packet that the plugin's exchange does not
    /// allow at this point.
    #[error("{plugin} authentication: expected {expected}, got {found}")]
    UnexpectedAuthPacket {
        /// The authentication plugin in use.
        plugin: &'static str,
        /// What the exchange allows next.
        expected: &'static str,
        /// What arrived (packet kind and first bytes; never password material).
        found: String,
    },
    /// The server sent more AuthSwitchRequests than a real exchange needs.
    #[error("authentication: more than {max} plugin switches")]
    TooManyAuthSwitches {
        /// The limit.
        max: usize,
    },
    /// The server answered with an ERR packet (with advice for the errors a user can fix,
    /// see [`ServerError::hint`]).
    #[error("{0}{hint}", hint = .0.hint().map(|h| format!(" (hint: {h})")).unwrap_or_default())]
    Server(#[from] ServerError),
}
