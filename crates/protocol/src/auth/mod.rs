//! Authentication methods: the scrambles a client sends in reply to the server's nonce
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods.html)),
//! one module per plugin, and [`session::AuthSession`], the state machine that runs the whole
//! exchange (plugin switches, `caching_sha2_password` fast and full authentication, RSA
//! public-key requests).
//!
//! Every function takes the nonce (the server's "auth plugin data", without its trailing NUL)
//! as an argument and is deterministic, except RSA-OAEP ([`public_key`]), which takes the
//! caller's random number generator. Nothing here logs passwords; the session wipes its copy
//! on drop. Passwords are only sent in clear over TLS: `mysql_clear_password` without TLS,
//! and RSA full authentication without TLS or a public key, fail with
//! [`crate::Error::InsecureAuth`].

pub mod caching_sha2_password;
pub mod client_ed25519;
pub mod mysql_native_password;
pub mod public_key;
pub mod session;
pub mod sha256_password;

pub use session::{AuthConfig, AuthSession, AuthStep};

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

/// An authentication plugin named by the server (greeting or AuthSwitchRequest). Unknown
/// names are kept so the caller can report them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthPlugin {
    /// `mysql_native_password`.
    MysqlNativePassword,
    /// `caching_sha2_password`.
    CachingSha2Password,
    /// `sha256_password`.
    Sha256Password,
    /// `mysql_clear_password`.
    MysqlClearPassword,
    /// MariaDB `client_ed25519`.
    ClientEd25519,
    /// Any other plugin.
    Unknown(String),
}

impl AuthPlugin {
    /// The plugin for a name from the wire.
    pub fn from_name(name: &str) -> Self {
        match name {
            MYSQL_NATIVE_PASSWORD => AuthPlugin::MysqlNativePassword,
            CACHING_SHA2_PASSWORD => AuthPlugin::CachingSha2Password,
            SHA256_PASSWORD => AuthPlugin::Sha256Password,
            MYSQL_CLEAR_PASSWORD => AuthPlugin::MysqlClearPassword,
            CLIENT_ED25519 => AuthPlugin::ClientEd25519,
            other => AuthPlugin::Unknown(other.to_owned()),
        }
    }

    /// The plugin's name on the wire.
    pub fn name(&self) -> &str {
        match self {
            AuthPlugin::MysqlNativePassword => MYSQL_NATIVE_PASSWORD,
            AuthPlugin::CachingSha2Password => CACHING_SHA2_PASSWORD,
            AuthPlugin::Sha256Password => SHA256_PASSWORD,
            AuthPlugin::MysqlClearPassword => MYSQL_CLEAR_PASSWORD,
            AuthPlugin::ClientEd25519 => CLIENT_ED25519,
            AuthPlugin::Unknown(name) => name,
        }
    }

    /// The first auth response for this plugin, sent in HandshakeResponse41 or after an
    /// AuthSwitchRequest, or `None` where it cannot be computed. A shorthand for
    /// [`AuthSession::initial_response`] without a public-key file and with key requests
    /// allowed; see there for each plugin. In short:
    ///
    /// * `mysql_native_password`, `caching_sha2_password`: the scramble of the nonce
    ///   (`caching_sha2_password` sends `[0x00]` for an empty password).
    /// * `sha256_password`: `[0x00]` for an empty password, else `password + NUL` over TLS,
    ///   else `[0x01]` (asks for the server's public key).
    /// * `mysql_clear_password`: `password + NUL`, over TLS only (`None` otherwise).
    /// * `client_ed25519`: the signature of a 32-byte nonce, empty for other nonces.
    /// * Unknown plugins: `None`.
    pub fn initial_response(&self, password: &[u8], nonce: &[u8], tls: bool) -> Option<Vec<u8>> {
        let config = AuthConfig {
            password,
            tls,
            server_public_key: None,
            request_public_key: true,
        };
        // Without a key file no first response is RSA-encrypted, so the generator is never
        // drawn from; it only satisfies the signature.
        AuthSession::new(self.clone(), nonce, &config)
            .initial_response(&mut rand_core::OsRng)
            .ok()
    }
}

/// Test nonce shared by the plugin tests: bytes 1..=20.
#[cfg(test)]
pub(crate) const TEST_NONCE: [u8; 20] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_kept() {
        for name in [
            MYSQL_NATIVE_PASSWORD,
            CACHING_SHA2_PASSWORD,
            SHA256_PASSWORD,
            MYSQL_CLEAR_PASSWORD,
            CLIENT_ED25519,
            "authentication_ldap_sasl_client",
        ] {
            assert_eq!(AuthPlugin::from_name(name).name(), name);
        }
        assert!(matches!(AuthPlugin::from_name("x"), AuthPlugin::Unknown(n) if n == "x"));
    }

    #[test]
    fn clear_password_only_over_tls() {
        let p = AuthPlugin::MysqlClearPassword;
        assert_eq!(p.initial_response(b"pw", &TEST_NONCE, false), None);
        assert_eq!(
            p.initial_response(b"pw", &TEST_NONCE, true),
            Some(b"pw\0".to_vec())
        );
    }

    #[test]
    fn sha256_password_plain_tcp_requests_public_key() {
        let p = AuthPlugin::Sha256Password;
        assert_eq!(p.initial_response(b"pw", &TEST_NONCE, false), Some(vec![1]));
        assert_eq!(p.initial_response(b"", &TEST_NONCE, false), Some(vec![0]));
    }

    #[test]
    fn caching_sha2_and_ed25519_first_responses() {
        let p = AuthPlugin::CachingSha2Password;
        assert_eq!(p.initial_response(b"", &TEST_NONCE, false), Some(vec![0]));
        let nonce: [u8; 32] = std::array::from_fn(|i| i as u8);
        let p = AuthPlugin::ClientEd25519;
        assert_eq!(
            p.initial_response(b"pw", &nonce, false),
            Some(client_ed25519::sign(b"pw", &nonce).to_vec())
        );
        assert_eq!(p.initial_response(b"pw", &TEST_NONCE, false), Some(vec![]));
        assert_eq!(
            AuthPlugin::from_name("x").initial_response(b"pw", &TEST_NONCE, true),
            None
        );
    }

    #[test]
    fn native_dispatches_to_scramble() {
        let p = AuthPlugin::from_name(MYSQL_NATIVE_PASSWORD);
        assert_eq!(
            p.initial_response(b"secret", &TEST_NONCE, false),
            Some(mysql_native_password::scramble(b"secret", &TEST_NONCE))
        );
    }
}
