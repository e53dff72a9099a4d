//! `caching_sha2_password`
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_caching_sha2_authentication_exchanges.html)).
//!
//! Exchange: the client sends [`scramble`]; the server answers with AuthMoreData
//! [`FAST_AUTH_SUCCESS`] (then OK) or [`PERFORM_FULL_AUTHENTICATION`]. For full authentication
//! the client sends `password + NUL` in clear over TLS, or over plain TCP the RSA-encrypted
//! [`crate::auth::sha256_password::xor_password`] ([`crate::auth::public_key`]), requesting
//! the server's public key with [`REQUEST_PUBLIC_KEY`] if it has none.
//! [`crate::auth::session::AuthSession`] runs the exchange.

use sha2::{Digest, Sha256};

/// AuthMoreData status byte: the cached hash matched, an OK packet follows.
pub const FAST_AUTH_SUCCESS: u8 = 0x03;
/// AuthMoreData status byte: the client must send the full password.
pub const PERFORM_FULL_AUTHENTICATION: u8 = 0x04;
/// What the client sends to ask for the server's RSA public key.
pub const REQUEST_PUBLIC_KEY: u8 = 0x02;

/// Fast-path scramble, as `generate_sha2_scramble` in MySQL's `sha2_password_common.cc`:
/// `XOR(SHA256(password), SHA256(SHA256(SHA256(password)) + nonce))`; empty for an empty
/// password (for which the client sends `[0x00]` instead, as libmysqlclient does).
pub fn scramble(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    if password.is_empty() {
        return Vec::new();
    }
    let stage1 = Sha256::digest(password);
    let stage2 = Sha256::digest(stage1);
    let mut h = Sha256::new();
    h.update(stage2);
    h.update(nonce);
    let mix = h.finalize();
    stage1.iter().zip(mix.iter()).map(|(a, b)| a ^ b).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::mysql_native_password::tests::hex;
    use crate::auth::TEST_NONCE;

    #[test]
    fn matches_python_hashlib() {
        // python3 -c "import hashlib; pw=b'secret'; n=bytes(range(1,21)); d1=hashlib.sha256(pw).digest();
        //   d2=hashlib.sha256(d1).digest(); print(bytes(a^b for a,b in zip(d1, hashlib.sha256(d2+n).digest())).hex())"
        let want = "746ebe205d56a0707acb3e796e834e0dd7b1d61743b26bd5202c7a623230c7c9";
        assert_eq!(hex(&scramble(b"secret", &TEST_NONCE)), want);
    }

    #[test]
    fn empty_password_sends_nothing() {
        assert!(scramble(b"", &TEST_NONCE).is_empty());
    }
}
