//! `sha256_password`
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods_sha256_password.html)),
//! and the full-authentication step it shares with `caching_sha2_password`.
//!
//! Over TLS the client sends `password + NUL` in clear. Over plain TCP it sends
//! RSA-OAEP(server public key, [`xor_password`]) ([`crate::auth::public_key`]), first asking
//! for the key with [`REQUEST_PUBLIC_KEY`] if it has none; an empty password is a single NUL.
//! [`crate::auth::session::AuthSession`] runs the exchange.

use crate::error::{Error, Result};

/// What the client sends to ask for the server's RSA public key (AuthMoreData with the PEM
/// follows).
pub const REQUEST_PUBLIC_KEY: u8 = 0x01;

/// `(password + NUL) XOR nonce`, the nonce repeated as often as needed: the plaintext that
/// is RSA-encrypted with the server's public key. Fails on an empty nonce.
pub fn xor_password(password: &[u8], nonce: &[u8]) -> Result<Vec<u8>> {
    if nonce.is_empty() {
        return Err(Error::InvalidArgument {
            field: "nonce",
            reason: "empty",
        });
    }
    Ok(password
        .iter()
        .chain(std::iter::once(&0u8))
        .zip(nonce.iter().cycle())
        .map(|(p, n)| p ^ n)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::mysql_native_password::tests::hex;
    use crate::auth::TEST_NONCE;

    #[test]
    fn matches_python() {
        // python3 -c "n=bytes(range(1,21)); x=b'secret\0'; print(bytes(c^n[i%len(n)] for i,c in enumerate(x)).hex())"
        let got = xor_password(b"secret", &TEST_NONCE).ok();
        assert_eq!(got.as_deref().map(hex).as_deref(), Some("72676076607207"));
    }

    #[test]
    fn password_longer_than_nonce_repeats_nonce() {
        // python3 -c "n=bytes(range(1,21)); x=b'a much longer password than twenty bytes\0';
        //   print(bytes(c^n[i%len(n)] for i,c in enumerate(x)).hex())"
        let want =
            "60226e71666e276466646c697f2e7f716261647b736623706d6769287d7d6e6279772f726866766701";
        let got = xor_password(b"a much longer password than twenty bytes", &TEST_NONCE).ok();
        assert_eq!(got.as_deref().map(hex).as_deref(), Some(want));
    }

    #[test]
    fn empty_nonce_rejected() {
        assert!(matches!(
            xor_password(b"x", b""),
            Err(Error::InvalidArgument { .. })
        ));
    }
}
