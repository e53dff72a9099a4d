//! Authentication methods: the scrambles a client sends in reply to the server's nonce
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods.html)).
//!
//! Every function takes the nonce (the server's 20-byte "auth plugin data", without its
//! trailing NUL) as an argument and is deterministic. Nothing here logs or keeps passwords.
//!
//! Not yet here (issue 3): RSA-OAEP encryption of the XOR-ed password for
//! `sha256_password`/`caching_sha2_password` full authentication over plain TCP (needs an
//! RSA crate), MariaDB `client_ed25519` (needs an ed25519 crate), and `mysql_clear_password`
//! (trivially `password + NUL`, but must only be sent over TLS — a policy for the driver).

pub mod caching_sha2_password;
pub mod mysql_native_password;
pub mod sha256_password;

/// Name of the `mysql_native_password` plugin.
pub const MYSQL_NATIVE_PASSWORD: &str = "mysql_native_password";
/// Name of the `caching_sha2_password` plugin.
pub const CACHING_SHA2_PASSWORD: &str = "caching_sha2_password";
/// Name of the `sha256_password` plugin.
pub const SHA256_PASSWORD: &str = "sha256_password";
/// Name of the `mysql_clear_password` plugin.
pub const MYSQL_CLEAR_PASSWORD: &str = "mysql_clear_password";
/// Name of MariaDB's `client_ed25519` plugin.
pub const CLIENT_ED25519: &str = "client_ed25519";

/// Test nonce shared by the plugin tests: bytes 1..=20.
#[cfg(test)]
pub(crate) const TEST_NONCE: [u8; 20] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
];
