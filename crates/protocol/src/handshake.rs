//! Connection phase: the server's Initial Handshake v10, capability flags, the client's
//! SSLRequest and HandshakeResponse41, AuthSwitchRequest and AuthMoreData
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html),
//! [MariaDB](https://mariadb.com/kb/en/connection/)).

use bytes::{BufMut, Bytes, BytesMut};

use crate::basic::{put_lenenc_bytes, put_lenenc_int, put_null_terminated, Reader};
use crate::error::{Error, Result};
use crate::response::{OkPacket, ServerError, EOF_HEADER, ERR_HEADER, OK_HEADER};

/// Capability flags (`CLIENT_*`), 32 bits from the protocol plus MariaDB's extended
/// capabilities (`MARIADB_CLIENT_*`) in the upper 32 bits
/// ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/group__group__cs__capabilities__flags.html)).
/// Unknown bits are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CapabilityFlags(pub u64);

#[allow(missing_docs)] // each constant is the protocol name of the bit
impl CapabilityFlags {
    pub const CLIENT_LONG_PASSWORD: Self = Self(1);
    /// MariaDB: this bit clear in the server's greeting means "MariaDB, extended capabilities
    /// in the reserved bytes". Same bit as `CLIENT_LONG_PASSWORD`.
    pub const CLIENT_MYSQL: Self = Self(1);
    pub const CLIENT_FOUND_ROWS: Self = Self(1 << 1);
    pub const CLIENT_LONG_FLAG: Self = Self(1 << 2);
    pub const CLIENT_CONNECT_WITH_DB: Self = Self(1 << 3);
    pub const CLIENT_NO_SCHEMA: Self = Self(1 << 4);
    pub const CLIENT_COMPRESS: Self = Self(1 << 5);
    pub const CLIENT_ODBC: Self = Self(1 << 6);
    pub const CLIENT_LOCAL_FILES: Self = Self(1 << 7);
    pub const CLIENT_IGNORE_SPACE: Self = Self(1 << 8);
    pub const CLIENT_PROTOCOL_41: Self = Self(1 << 9);
    pub const CLIENT_INTERACTIVE: Self = Self(1 << 10);
    pub const CLIENT_SSL: Self = Self(1 << 11);
    pub const CLIENT_IGNORE_SIGPIPE: Self = Self(1 << 12);
    pub const CLIENT_TRANSACTIONS: Self = Self(1 << 13);
    pub const CLIENT_RESERVED: Self = Self(1 << 14);
    pub const CLIENT_SECURE_CONNECTION: Self = Self(1 << 15);
    pub const CLIENT_MULTI_STATEMENTS: Self = Self(1 << 16);
    pub const CLIENT_MULTI_RESULTS: Self = Self(1 << 17);
    pub const CLIENT_PS_MULTI_RESULTS: Self = Self(1 << 18);
    pub const CLIENT_PLUGIN_AUTH: Self = Self(1 << 19);
    pub const CLIENT_CONNECT_ATTRS: Self = Self(1 << 20);
    pub const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA: Self = Self(1 << 21);
    pub const CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS: Self = Self(1 << 22);
    pub const CLIENT_SESSION_TRACK: Self = Self(1 << 23);
    pub const CLIENT_DEPRECATE_EOF: Self = Self(1 << 24);
    pub const CLIENT_OPTIONAL_RESULTSET_METADATA: Self = Self(1 << 25);
    pub const CLIENT_ZSTD_COMPRESSION_ALGORITHM: Self = Self(1 << 26);
    pub const CLIENT_QUERY_ATTRIBUTES: Self = Self(1 << 27);
    pub const MULTI_FACTOR_AUTHENTICATION: Self = Self(1 << 28);
    pub const CLIENT_CAPABILITY_EXTENSION: Self = Self(1 << 29);
    pub const CLIENT_SSL_VERIFY_SERVER_CERT: Self = Self(1 << 30);
    pub const CLIENT_REMEMBER_OPTIONS: Self = Self(1 << 31);
    pub const MARIADB_CLIENT_PROGRESS: Self = Self(1 << 32);
    pub const MARIADB_CLIENT_COM_MULTI: Self = Self(1 << 33);
    pub const MARIADB_CLIENT_STMT_BULK_OPERATIONS: Self = Self(1 << 34);
    pub const MARIADB_CLIENT_EXTENDED_METADATA: Self = Self(1 << 35);
    pub const MARIADB_CLIENT_CACHE_METADATA: Self = Self(1 << 36);
    pub const MARIADB_CLIENT_BULK_UNIT_RESULTS: Self = Self(1 << 37);

    /// No flags.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// True if every bit of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Bits set in either.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Bits set in both.
    #[must_use]
    pub const fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// `self` with the bits of `other` cleared.
    #[must_use]
    pub const fn difference(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// Sets or clears the bits of `other`.
    pub fn set(&mut self, other: Self, on: bool) {
        *self = if on {
            self.union(other)
        } else {
            self.difference(other)
        };
    }

    /// The lower 32 bits (the protocol's `capability_flags`).
    pub const fn lower32(self) -> u32 {
        self.0 as u32
    }

    /// MariaDB's extended capabilities (the upper 32 bits).
    pub const fn mariadb_extended(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

impl std::ops::BitOr for CapabilityFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

impl std::ops::BitAnd for CapabilityFlags {
    type Output = Self;
    fn bitand(self, rhs: Self) -> Self {
        self.intersection(rhs)
    }
}

/// `Protocol::HandshakeV10`, the server's greeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialHandshake {
    /// Always 10.
    pub protocol_version: u8,
    /// Server version, e.g. `8.0.36` or `5.5.5-10.11.6-MariaDB-log` (MariaDB prefixes
    /// `5.5.5-` for old replication clients; see [`InitialHandshake::is_mariadb`]).
    pub server_version: String,
    /// Connection (thread) id.
    pub connection_id: u32,
    /// The nonce: auth-plugin-data part 1 (8 bytes) and part 2 without its trailing NUL
    /// (usually 12 bytes), i.e. 20 bytes for all current plugins.
    pub auth_plugin_data: Vec<u8>,
    /// Server capabilities: lower and upper 16 bits, plus MariaDB's extended capabilities
    /// (upper 32 bits) when `CLIENT_MYSQL` is clear.
    pub capabilities: CapabilityFlags,
    /// Default collation id (low 8 bits), if sent.
    pub character_set: u8,
    /// Server status flags, if sent.
    pub status_flags: u16,
    /// Default auth plugin name (with `CLIENT_PLUGIN_AUTH`).
    pub auth_plugin_name: Option<String>,
}

impl InitialHandshake {
    /// Decodes a greeting payload. An ERR packet instead of a greeting (too many
    /// connections, host blocked) becomes [`Error::Server`].
    pub fn decode(payload: &[u8]) -> Result<Self> {
        const MSG: &str = "Initial Handshake v10";
        if payload.first() == Some(&ERR_HEADER) {
            return Err(ServerError::decode(payload)?.into());
        }
        let mut r = Reader::new(payload, MSG);
        let protocol_version = r.u8("protocol version")?;
        if protocol_version != 10 {
            return Err(Error::UnsupportedProtocolVersion {
                found: protocol_version,
            });
        }
        let server_version =
            String::from_utf8_lossy(r.null_terminated("server version")?).into_owned();
        let connection_id = r.u32("connection id")?;
        let mut auth_plugin_data = r.bytes(8, "auth-plugin-data-part-1")?.to_vec();
        r.u8("filler")?;
        let lower = r.u16("capability flags (lower)")?;
        let mut capabilities = CapabilityFlags(u64::from(lower));
        let mut character_set = 0;
        let mut status_flags = 0;
        let mut auth_plugin_name = None;
        if !r.is_empty() {
            character_set = r.u8("character set")?;
            status_flags = r.u16("status flags")?;
            let upper = r.u16("capability flags (upper)")?;
            capabilities = CapabilityFlags(u64::from(lower) | (u64::from(upper) << 16));
            let auth_data_len = r.u8("auth-plugin-data length")?;
            r.bytes(6, "reserved")?;
            let ext = r.u32("reserved / MariaDB extended capabilities")?;
            if !capabilities.contains(CapabilityFlags::CLIENT_MYSQL) {
                capabilities.0 |= u64::from(ext) << 32;
            }
            if capabilities.contains(CapabilityFlags::CLIENT_SECURE_CONNECTION) {
                // $len = MAX(13, length of auth-plugin-data - 8)
                let len = usize::from(auth_data_len).saturating_sub(8).max(13);
                let part2 = r.bytes(len, "auth-plugin-data-part-2")?;
                let part2 = part2.strip_suffix(&[0]).unwrap_or(part2);
                auth_plugin_data.extend_from_slice(part2);
            }
            if capabilities.contains(CapabilityFlags::CLIENT_PLUGIN_AUTH) {
                // Some servers (MySQL bug #59453) omit the NUL: take the rest then.
                let rest = r.rest();
                let name = rest.strip_suffix(&[0]).unwrap_or(rest);
                auth_plugin_name = Some(String::from_utf8_lossy(name).into_owned());
            }
        }
        Ok(InitialHandshake {
            protocol_version,
            server_version,
            connection_id,
            auth_plugin_data,
            capabilities,
            character_set,
            status_flags,
            auth_plugin_name,
        })
    }

    /// True for a MariaDB server: `CLIENT_MYSQL` clear, or "MariaDB" in the version.
    pub fn is_mariadb(&self) -> bool {
        !self.capabilities.contains(CapabilityFlags::CLIENT_MYSQL)
            || self.server_version.contains("MariaDB")
    }

    /// The version without MariaDB's `5.5.5-` replication prefix.
    pub fn version(&self) -> &str {
        match self.server_version.strip_prefix("5.5.5-") {
            Some(v) if self.is_mariadb() => v,
            _ => &self.server_version,
        }
    }
}

/// Length of the fixed part shared by SSLRequest and HandshakeResponse41.
pub const FIXED_RESPONSE_LEN: usize = 32;

fn put_fixed_part(
    capabilities: CapabilityFlags,
    max_packet_size: u32,
    character_set: u8,
    out: &mut BytesMut,
) {
    out.put_u32_le(capabilities.lower32());
    out.put_u32_le(max_packet_size);
    out.put_u8(character_set);
    // 23 filler bytes; MariaDB reads its extended client capabilities from the last 4 when the
    // client clears CLIENT_MYSQL.
    out.put_bytes(0, 19);
    if capabilities.contains(CapabilityFlags::CLIENT_MYSQL) {
        out.put_u32_le(0);
    } else {
        out.put_u32_le(capabilities.mariadb_extended());
    }
}

/// Encodes `Protocol::SSLRequest` (payload only): the first 32 bytes of
/// HandshakeResponse41, with `CLIENT_SSL` set. The TLS handshake follows.
pub fn ssl_request(
    capabilities: CapabilityFlags,
    max_packet_size: u32,
    character_set: u8,
    out: &mut BytesMut,
) {
    put_fixed_part(
        capabilities | CapabilityFlags::CLIENT_SSL,
        max_packet_size,
        character_set,
        out,
    );
}

/// Fields of `Protocol::HandshakeResponse41`.
#[derive(Debug, Clone, Copy)]
pub struct HandshakeResponse<'a> {
    /// Client capabilities, already intersected with the server's. [`handshake_response`]
    /// sets `CLIENT_PROTOCOL_41`, `CLIENT_SECURE_CONNECTION`, `CLIENT_PLUGIN_AUTH` and
    /// `CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA`, and sets or clears `CLIENT_CONNECT_WITH_DB`
    /// and `CLIENT_CONNECT_ATTRS` from `database` and `connect_attrs`.
    pub capabilities: CapabilityFlags,
    /// Largest packet the client will send.
    pub max_packet_size: u32,
    /// Collation id, e.g. 45 (`utf8mb4_general_ci`) or 255 (`utf8mb4_0900_ai_ci`).
    pub character_set: u8,
    /// User name.
    pub username: &'a [u8],
    /// The plugin's answer to the nonce (e.g. [`crate::auth::mysql_native_password::scramble`]).
    pub auth_response: &'a [u8],
    /// Initial database.
    pub database: Option<&'a [u8]>,
    /// The auth plugin `auth_response` was computed for.
    pub auth_plugin_name: &'a [u8],
    /// Connection attributes (`_client_name`, `program_name`, ...); `None` to send none.
    pub connect_attrs: Option<&'a [(&'a str, &'a str)]>,
}

impl HandshakeResponse<'_> {
    /// The capability flags [`handshake_response`] sends.
    pub fn effective_capabilities(&self) -> CapabilityFlags {
        let mut caps = self.capabilities
            | CapabilityFlags::CLIENT_PROTOCOL_41
            | CapabilityFlags::CLIENT_SECURE_CONNECTION
            | CapabilityFlags::CLIENT_PLUGIN_AUTH
            | CapabilityFlags::CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;
        caps.set(
            CapabilityFlags::CLIENT_CONNECT_WITH_DB,
            self.database.is_some(),
        );
        caps.set(
            CapabilityFlags::CLIENT_CONNECT_ATTRS,
            self.connect_attrs.is_some(),
        );
        caps
    }
}

/// Encodes `Protocol::HandshakeResponse41` (payload only). Fails if a NUL-terminated field
/// contains a NUL.
pub fn handshake_response(resp: &HandshakeResponse<'_>, out: &mut BytesMut) -> Result<()> {
    let caps = resp.effective_capabilities();
    put_fixed_part(caps, resp.max_packet_size, resp.character_set, out);
    put_null_terminated(resp.username, "username", out)?;
    put_lenenc_bytes(resp.auth_response, out);
    if let Some(db) = resp.database {
        put_null_terminated(db, "database", out)?;
    }
    put_null_terminated(resp.auth_plugin_name, "auth plugin name", out)?;
    if let Some(attrs) = resp.connect_attrs {
        let mut kv = BytesMut::new();
        for (k, v) in attrs {
            put_lenenc_bytes(k.as_bytes(), &mut kv);
            put_lenenc_bytes(v.as_bytes(), &mut kv);
        }
        put_lenenc_int(kv.len() as u64, out);
        out.put_slice(&kv);
    }
    Ok(())
}

/// `Protocol::AuthSwitchRequest`: the server asks the client to use another plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSwitchRequest {
    /// Plugin name.
    pub plugin_name: String,
    /// Plugin data (the new nonce), without its trailing NUL.
    pub plugin_data: Bytes,
}

impl AuthSwitchRequest {
    /// Decodes an AuthSwitchRequest payload (`0xfe`, name NUL, data). The pre-4.1
    /// `OldAuthSwitchRequest` (a lone `0xfe`) is reported as [`Error::Truncated`]:
    /// `mysql_old_password` is not supported.
    pub fn decode(payload: &Bytes) -> Result<Self> {
        let mut r = Reader::new(payload, "AuthSwitchRequest");
        let found = r.u8("header")?;
        if found != EOF_HEADER {
            return Err(Error::Unexpected {
                message: "AuthSwitchRequest",
                field: "header",
                offset: 0,
                found,
            });
        }
        let plugin_name = String::from_utf8_lossy(r.null_terminated("plugin name")?).into_owned();
        let data = r.rest();
        let data = data.strip_suffix(&[0]).unwrap_or(data);
        Ok(AuthSwitchRequest {
            plugin_name,
            plugin_data: payload.slice_ref(data),
        })
    }
}

/// First byte of `Protocol::AuthMoreData`.
pub const AUTH_MORE_DATA_HEADER: u8 = 0x01;

/// A packet the server may send during authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthPacket {
    /// Authenticated.
    Ok(OkPacket),
    /// Switch to another plugin.
    Switch(AuthSwitchRequest),
    /// `Protocol::AuthMoreData`: plugin-specific data (e.g. `caching_sha2_password`'s
    /// fast-auth status byte, or a PEM public key).
    MoreData(Bytes),
}

impl AuthPacket {
    /// Classifies and decodes a payload received during authentication; ERR becomes
    /// [`Error::Server`] (e.g. 1045, access denied).
    pub fn decode(payload: &Bytes, capabilities: CapabilityFlags) -> Result<Self> {
        match payload.first() {
            Some(&OK_HEADER) => Ok(AuthPacket::Ok(OkPacket::decode(payload, capabilities)?)),
            Some(&ERR_HEADER) => Err(ServerError::decode(payload)?.into()),
            Some(&EOF_HEADER) => Ok(AuthPacket::Switch(AuthSwitchRequest::decode(payload)?)),
            Some(&AUTH_MORE_DATA_HEADER) => Ok(AuthPacket::MoreData(payload.slice(1..))),
            Some(&found) => Err(Error::Unexpected {
                message: "authentication response",
                field: "header",
                offset: 0,
                found,
            }),
            None => Err(Error::Truncated {
                message: "authentication response",
                field: "header",
                offset: 0,
                needed: 1,
                available: 0,
            }),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
