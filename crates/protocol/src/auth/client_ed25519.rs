//! MariaDB `client_ed25519`
//! ([MariaDB docs](https://mariadb.com/kb/en/authentication-plugin-ed25519/)).
//!
//! The server sends a 32-byte nonce; the client answers with its 64-byte Ed25519 signature of
//! that nonce. The key pair is derived from the password as RFC 8032 derives it from a seed,
//! except that the password may have any length: `h = SHA-512(password)`, the secret scalar is
//! `clamp(h[0..32])`, the nonce prefix `h[32..64]` (`crypto_sign` in MariaDB's
//! `plugin/auth_ed25519/ref10/sign.c`). For a 32-byte password this is exactly Ed25519 with
//! that seed. The server stores the public key, which `ed25519_password('...')` returns
//! base64-encoded.

use ed25519_dalek::hazmat::{raw_sign, ExpandedSecretKey};
use ed25519_dalek::VerifyingKey;
// `raw_sign` needs a SHA-512 implementing the digest-0.10 traits that ed25519-dalek 2 uses.
// `ed25519_dalek::Sha512` is that type but sits behind the crate's `digest` feature, which
// we do not enable; rsa 0.9 re-exports the same sha2 0.10 crate.
use rsa::sha2::{Digest, Sha512};

/// Length of the server's nonce.
pub const NONCE_LEN: usize = 32;

/// The Ed25519 signature of `nonce` with the key derived from `password`: the response the
/// client sends. `nonce` should be the server's [`NONCE_LEN`] bytes.
pub fn sign(password: &[u8], nonce: &[u8]) -> [u8; 64] {
    let key = expanded_secret_key(password);
    let public = VerifyingKey::from(&key);
    raw_sign::<Sha512>(&key, nonce, &public).to_bytes()
}

/// The Ed25519 public key derived from `password`: what MariaDB stores for the account
/// (`ed25519_password('...')`, base64 without padding).
pub fn public_key(password: &[u8]) -> [u8; 32] {
    VerifyingKey::from(&expanded_secret_key(password)).to_bytes()
}

/// `SHA-512(password)` as an expanded secret key (`from_bytes` clamps the scalar half). The
/// key zeroes itself on drop; the hash is wiped here.
fn expanded_secret_key(password: &[u8]) -> ExpandedSecretKey {
    let mut hash: [u8; 64] = Sha512::digest(password).into();
    let key = ExpandedSecretKey::from_bytes(&hash);
    hash.fill(0);
    std::hint::black_box(&hash);
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::mysql_native_password::tests::hex;
    use ed25519_dalek::{Signature, Verifier};

    /// Bytes 1..=32.
    fn nonce() -> [u8; 32] {
        std::array::from_fn(|i| i as u8 + 1)
    }

    #[test]
    fn thirty_two_byte_password_is_rfc8032_with_that_seed() {
        // Signed with OpenSSL, the password as the raw Ed25519 seed:
        //   SEED=$(printf 0123456789abcdef0123456789abcdef | xxd -p -c 64)
        //   echo "302e020100300506032b657004220420$SEED" | xxd -r -p > ed.der
        //   openssl pkey -inform DER -in ed.der -out ed.pem
        //   python3 -c "import sys; sys.stdout.buffer.write(bytes(range(1,33)))" > nonce.bin
        //   openssl pkeyutl -sign -inkey ed.pem -rawin -in nonce.bin | xxd -p -c 64
        //   openssl pkey -in ed.pem -pubout -outform DER | tail -c 32 | xxd -p -c 64
        // MariaDB 10.11 agrees on the public key: ed25519_password('0123456789abcdef0123456789abcdef')
        // = I7xUkSwebpLEqGglyGfif/3FVb/71CRPF6Jqv//ull0 (base64 of the same 32 bytes).
        let password = b"0123456789abcdef0123456789abcdef";
        let want_sig = "0282d995f357e82c92c2c451c83b091479a8651822b3e28bb076b412ee5d53a7\
                        3d78fee969c0403559a952bf049a5a81814a0c28acd1e958d2ad584f73b65201";
        let want_pub = "23bc54912c1e6e92c4a86825c867e27ffdc555bffbd4244f17a26abfffee965d";
        assert_eq!(hex(&sign(password, &nonce())), want_sig);
        assert_eq!(hex(&public_key(password)), want_pub);
    }

    #[test]
    fn public_key_matches_mariadb() {
        // A scratch MariaDB 10.11 (scripts/mariadb-test-server.sh):
        //   CREATE FUNCTION ed25519_password RETURNS STRING SONAME 'auth_ed25519.so';
        //   SELECT ed25519_password('secret');  -- ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY
        // python3 -c "import base64; print(base64.b64decode('ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY=').hex())"
        let want = "648814444520e4f56043a2ec9215e63be7992d2d270bc6dee873e36164786096";
        assert_eq!(hex(&public_key(b"secret")), want);
    }

    #[test]
    fn signature_verifies_with_the_public_key() {
        for password in [&b"secret"[..], b"", &[0xa5; 100]] {
            let public = VerifyingKey::from_bytes(&public_key(password)).unwrap();
            let sig = Signature::from_bytes(&sign(password, &nonce()));
            assert!(public.verify(&nonce(), &sig).is_ok());
            let mut other = nonce();
            other[0] ^= 1;
            assert!(public.verify(&other, &sig).is_err());
        }
    }

    #[test]
    fn deterministic() {
        assert_eq!(sign(b"secret", &nonce()), sign(b"secret", &nonce()));
        assert_ne!(sign(b"secret", &nonce()), sign(b"secreT", &nonce()));
    }
}
