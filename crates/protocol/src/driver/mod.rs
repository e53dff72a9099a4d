//! The tokio driver: it owns the socket, feeds the sans-IO core and writes what the core
//! produces. [`Connection`] is a client connection (TCP, TLS, authentication, text queries);
//! [`Connection::start_replication`] turns it into a [`ReplicationStream`].
//!
//! ```no_run
//! # #[allow(dead_code)]
//! # async fn demo() -> binvault_protocol::Result<()> {
//! use binvault_protocol::driver::{ConnectOptions, Connection, ReplicaOptions, StartPosition};
//! use binvault_protocol::binlog::StreamItem;
//!
//! let options = ConnectOptions::from_url("mysql://repl@127.0.0.1:3307")?;
//! let conn = Connection::connect(&options).await?;
//! let replica = ReplicaOptions { start: StartPosition::Oldest, ..ReplicaOptions::default() };
//! let mut stream = conn.start_replication(&replica).await?;
//! while let StreamItem::Event(event) = stream.next().await? {
//!     println!("{} bytes at {:?}", event.raw.len(), event.position);
//! }
//! # Ok(()) }
//! ```

mod connection;
mod replica;
pub mod tls;

use std::fmt;
use std::time::Duration;

pub use connection::{Connection, QueryResult};
pub use replica::{Flavor, ReplicaOptions, ReplicationStream, SourceInfo, StartPosition};
pub use tls::{TlsMode, TlsOptions};

use crate::error::{Error, Result};
use crate::packet::DEFAULT_MAX_PAYLOAD_SIZE;

/// A password: never printed by `Debug`, overwritten when dropped.
#[derive(Clone, Default)]
pub struct Password(Vec<u8>);

impl Password {
    /// Wraps a password.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Password(bytes.into())
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "Password(empty)"
        } else {
            "Password(***)"
        })
    }
}

impl Drop for Password {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            // volatile-free best effort; the allocation is freed right after
            *b = 0;
        }
        std::hint::black_box(&self.0);
    }
}

/// How to reach and log in to a server.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// User name.
    pub user: String,
    /// Password.
    pub password: Password,
    /// TLS settings.
    pub tls: TlsOptions,
    /// PEM file contents of the server's RSA public key, for `caching_sha2_password` full
    /// authentication and `sha256_password` over plain TCP.
    pub server_public_key: Option<Vec<u8>>,
    /// Allow asking the server for its RSA public key over plain TCP (exposed to a
    /// man-in-the-middle; prefer TLS or a key file).
    pub request_public_key: bool,
    /// Use the compressed protocol when the server offers it.
    pub compress: bool,
    /// Limit for connecting and authenticating.
    pub connect_timeout: Duration,
    /// Limit for each answer to a query.
    pub read_timeout: Duration,
    /// Largest payload accepted (the source's `max_allowed_packet` must fit; default 1 GiB).
    pub max_packet_size: usize,
    /// Announce `CLIENT_LOCAL_FILES`, so that `LOAD DATA LOCAL INFILE` statements run through
    /// [`Connection::execute`] can send the data they are given (never a file the server
    /// names). Off by default.
    pub local_infile: bool,
    /// Announce `CLIENT_MULTI_STATEMENTS`: one COM_QUERY may hold several `;`-separated
    /// statements (their results are read and discarded by [`Connection::execute`]). Off by
    /// default.
    pub multi_statements: bool,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            host: "127.0.0.1".into(),
            port: 3306,
            user: String::new(),
            password: Password::default(),
            tls: TlsOptions::default(),
            server_public_key: None,
            request_public_key: false,
            compress: false,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            max_packet_size: DEFAULT_MAX_PAYLOAD_SIZE,
            local_infile: false,
            multi_statements: false,
        }
    }
}

impl ConnectOptions {
    /// Parses `mysql://USER[:PASSWORD]@HOST[:PORT]` (also `mariadb://`; user and password
    /// percent-encoded; default port 3306). The password may be left out and set from
    /// elsewhere. Query parameters are not accepted.
    pub fn from_url(url: &str) -> Result<Self> {
        let redacted = || redact_url(url);
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::Config(format!("invalid source URL {}: {e}", redacted())))?;
        if !matches!(parsed.scheme(), "mysql" | "mariadb") {
            return Err(Error::Config(format!(
                "source URL {} must start with mysql:// or mariadb://",
                redacted()
            )));
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Error::Config(format!("source URL {} has no host", redacted())))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if parsed.query().is_some() || !matches!(parsed.path(), "" | "/") {
            return Err(Error::Config(format!(
                "source URL {} must not have a path or query",
                redacted()
            )));
        }
        let decode = |s: &str| -> Result<Vec<u8>> {
            percent_decode(s).ok_or_else(|| {
                Error::Config(format!("source URL {}: bad percent-encoding", redacted()))
            })
        };
        let user = String::from_utf8(decode(parsed.username())?)
            .map_err(|_| Error::Config("source URL: the user name is not UTF-8".into()))?;
        if user.is_empty() {
            return Err(Error::Config(format!(
                "source URL {} has no user",
                redacted()
            )));
        }
        let password = Password::new(decode(parsed.password().unwrap_or(""))?);
        Ok(ConnectOptions {
            host,
            port: parsed.port().unwrap_or(3306),
            user,
            password,
            ..ConnectOptions::default()
        })
    }
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<unparsable URL>".into();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                format!("{scheme}://{user}@{host}")
            }
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parsing() {
        let o = ConnectOptions::from_url("mysql://re%40pl:p%3Ass@db.example:3307").unwrap();
        assert_eq!(
            (o.host.as_str(), o.port, o.user.as_str()),
            ("db.example", 3307, "re@pl")
        );
        assert_eq!(o.password.as_bytes(), b"p:ss");
        assert_eq!(format!("{:?}", o.password), "Password(***)");
        assert!(!format!("{o:?}").contains("p:ss"));
        let o = ConnectOptions::from_url("mariadb://u@[::1]").unwrap();
        assert_eq!((o.host.as_str(), o.port), ("::1", 3306));
        for bad in [
            "http://u@h",
            "mysql://h:1",
            "mysql://u:pw@h/db",
            "mysql://u@h?x=1",
            "nonsense",
        ] {
            let err = ConnectOptions::from_url(bad).unwrap_err().to_string();
            assert!(!err.contains("pw@"), "{err}");
        }
        assert_eq!(redact_url("mysql://u:secret@h:1"), "mysql://u:***@h:1");
    }
}
