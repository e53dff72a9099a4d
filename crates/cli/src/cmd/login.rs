//! Connection options shared by the commands that connect to a server (`stream`,
//! `restore --apply`, `drill --target`): the URL, the password (URL, `--password-file`,
//! or `BINVAULT_PASSWORD`; never logged) and TLS.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use binvault_protocol::driver::{ConnectOptions, Password, TlsMode, TlsOptions};

/// Options for `url` with the password and TLS settings the user gave.
pub fn connect_options(
    url: &str,
    password_file: Option<&Path>,
    tls_mode: &str,
    tls_ca: Option<&PathBuf>,
) -> Result<ConnectOptions> {
    let mut opts = ConnectOptions::from_url(url)?;
    if let Some(path) = password_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?;
        opts.password = Password::new(text.lines().next().unwrap_or("").as_bytes().to_vec());
    } else if opts.password.is_empty() {
        if let Some(pw) = std::env::var_os("BINVAULT_PASSWORD") {
            opts.password = Password::new(pw.into_encoded_bytes());
        }
    }
    let mode: TlsMode = tls_mode.parse()?;
    opts.tls = TlsOptions {
        mode,
        ca_file: tls_ca.cloned(),
        server_name: None,
    };
    Ok(opts)
}
