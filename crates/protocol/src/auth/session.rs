//! The client side of the authentication exchange as a sans-IO state machine
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html)).
//!
//! # Call order
//!
//! 1. [`AuthSession::new`] with the plugin and nonce of the server's greeting.
//! 2. [`AuthSession::initial_response`]: the auth-response of HandshakeResponse41; send it with
//!    the plugin name [`AuthSession::plugin`].
//! 3. For every packet the server sends, [`AuthSession::handle_packet`]:
//!    [`AuthStep::Send`] → write the payload as the next packet (the sequence id continues)
//!    and read the next one; [`AuthStep::Wait`] → just read the next one;
//!    [`AuthStep::Done`] → authenticated. Any error ends the exchange; close the connection.
//!
//! Randomness (RSA-OAEP padding) comes from the caller's `rng`.

use std::fmt;

use bytes::Bytes;
use rand_core::CryptoRngCore;

use crate::auth::caching_sha2_password::{self, FAST_AUTH_SUCCESS, PERFORM_FULL_AUTHENTICATION};
use crate::auth::{
    client_ed25519, mysql_native_password, public_key, sha256_password, AuthPlugin,
    CACHING_SHA2_PASSWORD, CLIENT_ED25519, MYSQL_CLEAR_PASSWORD, MYSQL_NATIVE_PASSWORD,
    SHA256_PASSWORD,
};
use crate::error::{Error, Result};
use crate::handshake::{AuthPacket, AuthSwitchRequest, CapabilityFlags};
use crate::response::OkPacket;

/// The most AuthSwitchRequests accepted in one exchange (a real server sends at most one or
/// two); one more fails with [`Error::TooManyAuthSwitches`].
pub const MAX_AUTH_SWITCHES: usize = 8;

/// What the session may do with the password.
#[derive(Clone, Copy, Default)]
pub struct AuthConfig<'a> {
    /// The password (empty for none). The session keeps its own copy and wipes it on drop.
    pub password: &'a [u8],
    /// The connection is encrypted with TLS: `sha256_password`, `caching_sha2_password` (full
    /// authentication) and `mysql_clear_password` then send the password in clear.
    pub tls: bool,
    /// The server's RSA public key as PEM (SPKI or PKCS#1), e.g. read from the file the user
    /// named (MySQL's `--server-public-key-path`). Used over plain TCP.
    pub server_public_key: Option<&'a [u8]>,
    /// Over plain TCP without `server_public_key`, ask the server for its public key (MySQL's
    /// `--get-server-public-key`). A man in the middle can answer with its own key.
    pub request_public_key: bool,
}

impl fmt::Debug for AuthConfig<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("password", &"<redacted>")
            .field("tls", &self.tls)
            .field("server_public_key", &self.server_public_key.is_some())
            .field("request_public_key", &self.request_public_key)
            .finish()
    }
}

/// What the driver does next, returned by [`AuthSession::handle_packet`].
#[derive(Clone, PartialEq, Eq)]
pub enum AuthStep {
    /// Send this payload as the next packet, then read the server's answer. It may hold the
    /// password in clear (over TLS): do not log it.
    Send(Vec<u8>),
    /// Read the next packet (e.g. the OK after `caching_sha2_password`'s fast-auth success).
    Wait,
    /// Authenticated; the server's OK packet.
    Done(OkPacket),
}

impl fmt::Debug for AuthStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthStep::Send(payload) => write!(f, "Send({} bytes)", payload.len()),
            AuthStep::Wait => f.write_str("Wait"),
            AuthStep::Done(ok) => f.debug_tuple("Done").field(ok).finish(),
        }
    }
}

/// Where the exchange stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// [`AuthSession::initial_response`] not called yet.
    Start,
    /// The plugin has sent everything: OK (or a switch) must follow.
    AwaitOk,
    /// `caching_sha2_password` sent its scramble: AuthMoreData `0x03`/`0x04` (or OK, or a
    /// switch) must follow.
    FastAuthStatus,
    /// A public-key request was sent: AuthMoreData with the PEM must follow.
    AwaitPublicKey,
    /// Authenticated.
    Done,
    /// An error ended the exchange.
    Failed,
}

impl State {
    /// What the state accepts, for [`Error::UnexpectedAuthPacket`].
    fn expected(self) -> &'static str {
        match self {
            State::Start => "no packet before initial_response()",
            State::AwaitOk => "OK or AuthSwitchRequest",
            State::FastAuthStatus => "AuthMoreData 0x03 or 0x04, OK or AuthSwitchRequest",
            State::AwaitPublicKey => "AuthMoreData with the server's PEM public key",
            State::Done => "no packet after OK",
            State::Failed => "no packet after a failed exchange",
        }
    }
}

/// The client side of one authentication exchange (see the [module docs](self) for the call
/// order). Holds a copy of the password, overwritten with zeros on drop; `Debug` omits it.
pub struct AuthSession {
    plugin: AuthPlugin,
    nonce: Vec<u8>,
    password: Vec<u8>,
    tls: bool,
    server_public_key: Option<Vec<u8>>,
    request_public_key: bool,
    state: State,
    switches: usize,
}

impl fmt::Debug for AuthSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSession")
            .field("plugin", &self.plugin)
            .field("state", &self.state)
            .field("tls", &self.tls)
            .field("server_public_key", &self.server_public_key.is_some())
            .field("request_public_key", &self.request_public_key)
            .field("switches", &self.switches)
            .finish_non_exhaustive()
    }
}

impl Drop for AuthSession {
    fn drop(&mut self) {
        self.password.fill(0);
        // Keeps the compiler from dropping the writes to memory about to be freed.
        std::hint::black_box(&self.password);
    }
}

impl AuthSession {
    /// A session for the greeting's plugin ([`crate::handshake::InitialHandshake::auth_plugin_name`],
    /// `mysql_native_password` if absent) and nonce
    /// ([`crate::handshake::InitialHandshake::auth_plugin_data`]).
    pub fn new(plugin: AuthPlugin, nonce: &[u8], config: &AuthConfig<'_>) -> Self {
        AuthSession {
            plugin,
            nonce: nonce.to_vec(),
            password: config.password.to_vec(),
            tls: config.tls,
            server_public_key: config.server_public_key.map(<[u8]>::to_vec),
            request_public_key: config.request_public_key,
            state: State::Start,
            switches: 0,
        }
    }

    /// The plugin in use: the one given to [`AuthSession::new`], or the last one the server
    /// switched to. Its name goes into HandshakeResponse41.
    pub fn plugin(&self) -> &AuthPlugin {
        &self.plugin
    }

    /// The auth-response bytes for HandshakeResponse41. Call once, before
    /// [`AuthSession::handle_packet`]. Per plugin:
    ///
    /// * `mysql_native_password`: its scramble (empty for an empty password).
    /// * `caching_sha2_password`: its scramble (`[0x00]` for an empty password, as
    ///   libmysqlclient sends).
    /// * `sha256_password`: `[0x00]` for an empty password; else over TLS `password + NUL`;
    ///   else the RSA-encrypted password with a configured key; else `[0x01]` (asks for the
    ///   server's key) if allowed; else [`Error::InsecureAuth`].
    /// * `mysql_clear_password`: `password + NUL` over TLS, else [`Error::InsecureAuth`].
    /// * `client_ed25519`: the signature of a 32-byte nonce; for any other nonce (the greeting's
    ///   20-byte scramble) an empty response, and the server's AuthSwitchRequest brings the
    ///   real nonce.
    /// * Unknown plugins: [`Error::UnsupportedAuthPlugin`]. (libmysqlclient would answer with
    ///   its default plugin instead and let the server switch; a driver can do the same by
    ///   passing [`AuthPlugin::MysqlNativePassword`] to [`AuthSession::new`].)
    pub fn initial_response(&mut self, rng: &mut impl CryptoRngCore) -> Result<Vec<u8>> {
        if self.state != State::Start {
            return Err(Error::InvalidArgument {
                field: "authentication session",
                reason: "initial_response called after the exchange started",
            });
        }
        let response = self.first_response(true, rng);
        if response.is_err() {
            self.state = State::Failed;
        }
        response
    }

    /// Handles one packet from the server (the payload of a whole packet, as
    /// [`AuthPacket::decode`] takes it) and says what to do next. An ERR packet becomes
    /// [`Error::Server`]; a packet the current plugin does not expect,
    /// [`Error::UnexpectedAuthPacket`]. After any error the session accepts nothing more.
    pub fn handle_packet(
        &mut self,
        payload: &Bytes,
        capabilities: CapabilityFlags,
        rng: &mut impl CryptoRngCore,
    ) -> Result<AuthStep> {
        let step = self.step(payload, capabilities, rng);
        if step.is_err() {
            self.state = State::Failed;
        }
        step
    }

    fn step(
        &mut self,
        payload: &Bytes,
        capabilities: CapabilityFlags,
        rng: &mut impl CryptoRngCore,
    ) -> Result<AuthStep> {
        if matches!(self.state, State::Start | State::Done | State::Failed) {
            return Err(self.unexpected(describe_bytes("packet", payload)));
        }
        match (self.state, AuthPacket::decode(payload, capabilities)?) {
            (_, AuthPacket::Switch(request)) => self.switch(&request, payload, rng),
            (State::AwaitOk | State::FastAuthStatus, AuthPacket::Ok(ok)) => {
                self.state = State::Done;
                Ok(AuthStep::Done(ok))
            }
            (State::FastAuthStatus, AuthPacket::MoreData(data)) => match data[..] {
                [FAST_AUTH_SUCCESS] => {
                    self.state = State::AwaitOk;
                    Ok(AuthStep::Wait)
                }
                [PERFORM_FULL_AUTHENTICATION] => self
                    .full_authentication(
                        caching_sha2_password::REQUEST_PUBLIC_KEY,
                        "full authentication needs TLS or the server's RSA public key: \
                         use TLS, give the key file, or allow requesting it",
                        rng,
                    )
                    .map(AuthStep::Send),
                _ => Err(self.unexpected(describe_bytes("AuthMoreData", &data))),
            },
            (State::AwaitPublicKey, AuthPacket::MoreData(pem)) => {
                let encrypted =
                    public_key::encrypt_password(&self.password, &self.nonce, &pem, rng)?;
                self.state = State::AwaitOk;
                Ok(AuthStep::Send(encrypted))
            }
            (_, AuthPacket::Ok(_)) => Err(self.unexpected("OK".to_owned())),
            (_, AuthPacket::MoreData(data)) => {
                Err(self.unexpected(describe_bytes("AuthMoreData", &data)))
            }
        }
    }

    /// Restarts with the plugin and nonce of an AuthSwitchRequest.
    fn switch(
        &mut self,
        request: &AuthSwitchRequest,
        payload: &Bytes,
        rng: &mut impl CryptoRngCore,
    ) -> Result<AuthStep> {
        self.switches += 1;
        if self.switches > MAX_AUTH_SWITCHES {
            return Err(Error::TooManyAuthSwitches {
                max: MAX_AUTH_SWITCHES,
            });
        }
        let plugin = AuthPlugin::from_name(&request.plugin_name);
        // `AuthSwitchRequest::decode` drops a trailing NUL: right for the 20-byte scrambles,
        // which servers send NUL-terminated, but MariaDB sends the 32 bytes of an ed25519
        // nonce bare, and they may end in 0. Take them from the payload: 0xfe, name, NUL.
        let nonce = match plugin {
            AuthPlugin::ClientEd25519 => payload.get(CLIENT_ED25519.len() + 2..).unwrap_or(&[]),
            _ => &request.plugin_data[..],
        };
        tracing::debug!(
            from = self.plugin.name(),
            to = plugin.name(),
            "authentication plugin switch"
        );
        self.nonce = nonce.to_vec();
        self.plugin = plugin;
        self.first_response(false, rng).map(AuthStep::Send)
    }

    /// The current plugin's first response to the current nonce; sets the next state.
    fn first_response(&mut self, initial: bool, rng: &mut impl CryptoRngCore) -> Result<Vec<u8>> {
        let password = &self.password[..];
        let nonce = &self.nonce[..];
        let (response, next) = match &self.plugin {
            AuthPlugin::MysqlNativePassword => (
                mysql_native_password::scramble(password, nonce),
                State::AwaitOk,
            ),
            // "No password", as libmysqlclient sends it; OK or ERR follows.
            AuthPlugin::CachingSha2Password | AuthPlugin::Sha256Password if password.is_empty() => {
                (vec![0], State::AwaitOk)
            }
            AuthPlugin::CachingSha2Password => (
                caching_sha2_password::scramble(password, nonce),
                State::FastAuthStatus,
            ),
            AuthPlugin::Sha256Password => {
                return self.full_authentication(
                    sha256_password::REQUEST_PUBLIC_KEY,
                    "sending the password needs TLS or the server's RSA public key: \
                     use TLS, give the key file, or allow requesting it",
                    rng,
                );
            }
            AuthPlugin::MysqlClearPassword if self.tls => (with_nul(password), State::AwaitOk),
            AuthPlugin::MysqlClearPassword => {
                return Err(Error::InsecureAuth {
                    plugin: MYSQL_CLEAR_PASSWORD,
                    reason: "refusing to send the password in clear text without TLS",
                });
            }
            AuthPlugin::ClientEd25519 if nonce.len() == client_ed25519::NONCE_LEN => (
                client_ed25519::sign(password, nonce).to_vec(),
                State::AwaitOk,
            ),
            AuthPlugin::ClientEd25519 if initial => (Vec::new(), State::AwaitOk),
            AuthPlugin::ClientEd25519 => {
                return Err(Error::UnexpectedAuthPacket {
                    plugin: CLIENT_ED25519,
                    expected: "AuthSwitchRequest with a 32-byte nonce",
                    found: format!("AuthSwitchRequest with a {}-byte nonce", nonce.len()),
                });
            }
            AuthPlugin::Unknown(name) => {
                return Err(Error::UnsupportedAuthPlugin {
                    plugin: name.clone(),
                });
            }
        };
        self.state = next;
        Ok(response)
    }

    /// Sends the password for `sha256_password` or `caching_sha2_password` full
    /// authentication: in clear over TLS, RSA-encrypted with a configured key, or asks for
    /// the server's key with `request` (if allowed; else [`Error::InsecureAuth`] with
    /// `refusal`).
    fn full_authentication(
        &mut self,
        request: u8,
        refusal: &'static str,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Vec<u8>> {
        let response = if self.tls {
            with_nul(&self.password)
        } else if let Some(pem) = &self.server_public_key {
            public_key::encrypt_password(&self.password, &self.nonce, pem, rng)?
        } else if self.request_public_key {
            self.state = State::AwaitPublicKey;
            return Ok(vec![request]);
        } else {
            return Err(Error::InsecureAuth {
                plugin: self.plugin_name(),
                reason: refusal,
            });
        };
        self.state = State::AwaitOk;
        Ok(response)
    }

    /// [`Error::UnexpectedAuthPacket`] for the current plugin and state.
    fn unexpected(&self, found: String) -> Error {
        Error::UnexpectedAuthPacket {
            plugin: self.plugin_name(),
            expected: self.state.expected(),
            found,
        }
    }

    /// The plugin's name as a constant, for errors.
    fn plugin_name(&self) -> &'static str {
        match self.plugin {
            AuthPlugin::MysqlNativePassword => MYSQL_NATIVE_PASSWORD,
            AuthPlugin::CachingSha2Password => CACHING_SHA2_PASSWORD,
            AuthPlugin::Sha256Password => SHA256_PASSWORD,
            AuthPlugin::MysqlClearPassword => MYSQL_CLEAR_PASSWORD,
            AuthPlugin::ClientEd25519 => CLIENT_ED25519,
            // No state after the first response has an unknown plugin.
            AuthPlugin::Unknown(_) => "unknown plugin",
        }
    }
}

/// `password + NUL`.
fn with_nul(password: &[u8]) -> Vec<u8> {
    [password, &[0]].concat()
}

/// `"<what> of N bytes [first bytes in hex]"`, for errors.
fn describe_bytes(what: &str, bytes: &[u8]) -> String {
    let shown: String = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let more = if bytes.len() > 8 { "…" } else { "" };
    format!("{what} of {} bytes [{shown}{more}]", bytes.len())
}

#[cfg(test)]
mod tests;
