//! The RSA step shared by `sha256_password` and `caching_sha2_password` full authentication
//! over an unencrypted connection
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_caching_sha2_authentication_exchanges.html)).
//!
//! The client XORs `password + NUL` with the nonce ([`xor_password`]) and encrypts the result
//! with the server's RSA public key, using OAEP padding with SHA-1 (OpenSSL's
//! `RSA_PKCS1_OAEP_PADDING`, as `encrypt_RSA_public_key` in MySQL's
//! `sql-common/client_authentication.cc`). The key comes from a file the user gives, or from
//! the server itself (AuthMoreData after a public-key request).

use rand_core::CryptoRngCore;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, RsaPublicKey};

use crate::auth::sha256_password::xor_password;
use crate::error::{Error, Result};

/// Bytes of OAEP overhead with SHA-1: `2 * 20 + 2`. A key of `k` bytes encrypts at most
/// `k - 42` bytes (MySQL: "the password length must be less than RSA_size(rsa) - 41").
const OAEP_SHA1_OVERHEAD: usize = 42;

/// PEM label of a PKCS#1 `RSAPublicKey` (the other accepted form is SPKI, `PUBLIC KEY`).
const PKCS1_LABEL: &str = "-----BEGIN RSA PUBLIC KEY-----";

/// RSA-OAEP(SHA-1) encryption of [`xor_password`]`(password, nonce)` with the server's public
/// key, given as PEM: SPKI (`BEGIN PUBLIC KEY`, what MySQL sends and writes to
/// `public_key.pem`) or PKCS#1 (`BEGIN RSA PUBLIC KEY`). Surrounding whitespace and trailing
/// NULs are ignored.
///
/// The result is as long as the key's modulus (256 bytes for MySQL's default 2048-bit key)
/// and different on every call (OAEP is randomised by `rng`).
///
/// Fails with [`Error::PublicKey`] if the PEM is not an RSA public key, with
/// [`Error::PasswordTooLongForKey`] if `password + NUL` does not fit the key, and with
/// [`Error::InvalidArgument`] on an empty nonce.
pub fn encrypt_password(
    password: &[u8],
    nonce: &[u8],
    public_key_pem: &[u8],
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>> {
    let key = parse_public_key(public_key_pem)?;
    let max = key.size().saturating_sub(OAEP_SHA1_OVERHEAD);
    let mut plaintext = xor_password(password, nonce)?;
    if plaintext.len() > max {
        let len = plaintext.len();
        plaintext.fill(0);
        return Err(Error::PasswordTooLongForKey { len, max });
    }
    let encrypted = key.encrypt(rng, Oaep::new::<sha1_010::Sha1>(), &plaintext);
    // The XOR with a nonce the server sent in clear hides nothing: wipe it.
    plaintext.fill(0);
    std::hint::black_box(&plaintext);
    encrypted.map_err(|e| Error::PublicKey {
        reason: format!("RSA-OAEP encryption failed: {e}"),
    })
}

/// Parses an RSA public key from SPKI or PKCS#1 PEM.
fn parse_public_key(pem: &[u8]) -> Result<RsaPublicKey> {
    let pem = std::str::from_utf8(pem).map_err(|e| Error::PublicKey {
        reason: format!("not a PEM text: {e}"),
    })?;
    let pem = pem.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    if pem.starts_with(PKCS1_LABEL) {
        RsaPublicKey::from_pkcs1_pem(pem).map_err(|e| Error::PublicKey {
            reason: format!("bad PKCS#1 RSA PUBLIC KEY: {e}"),
        })
    } else {
        RsaPublicKey::from_public_key_pem(pem).map_err(|e| Error::PublicKey {
            reason: format!("not an RSA PUBLIC KEY (SPKI or PKCS#1 PEM): {e}"),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::auth::mysql_native_password::tests::hex;
    use crate::auth::TEST_NONCE;
    use rand_core::OsRng;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::RsaPrivateKey;

    // A throwaway 2048-bit key pair made for these tests:
    //   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out priv.pem
    //   openssl pkey -in priv.pem -pubout -out pub.pem                 # SPKI
    //   openssl rsa -in priv.pem -RSAPublicKey_out -out pub_pkcs1.pem  # PKCS#1

    /// SPKI public key (`pub.pem`).
    pub(crate) const TEST_PUBLIC_KEY_SPKI: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnGV6Rn9gOrzAOd5wrmJZ
agUHVtJEnnqISiItSk87A0IXLMbCc48L4C7R+IIbnX266cVcosrEymS/KDaaGLMt
ZEpj1FIVd+L0OcPnmATSvwK5DYSzq5nUifcU4Vyz1CpfuT9GOQtqNaTY6cFQZakZ
r8eRF4kfK5fUBtWUrv9s26fZDNflUabc+Zb7LWeIstjz+SikoAQc79f9ZRPphyyp
Oz40FL2QDIJIDb+QyzmHcs668LNX/76I3Zk2pLsytZfKeiWWJJG94Fy7O1Z26i8P
0w4r05TUDGOmUwr/bq/CXf0K6UXJqmkXMX11Ll1IweHGMyxUtMj/vF20ZFRmyoeC
lQIDAQAB
-----END PUBLIC KEY-----
";

    /// The same key as PKCS#1 (`pub_pkcs1.pem`).
    pub(crate) const TEST_PUBLIC_KEY_PKCS1: &str = "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAnGV6Rn9gOrzAOd5wrmJZagUHVtJEnnqISiItSk87A0IXLMbCc48L
4C7R+IIbnX266cVcosrEymS/KDaaGLMtZEpj1FIVd+L0OcPnmATSvwK5DYSzq5nU
ifcU4Vyz1CpfuT9GOQtqNaTY6cFQZakZr8eRF4kfK5fUBtWUrv9s26fZDNflUabc
+Zb7LWeIstjz+SikoAQc79f9ZRPphyypOz40FL2QDIJIDb+QyzmHcs668LNX/76I
3Zk2pLsytZfKeiWWJJG94Fy7O1Z26i8P0w4r05TUDGOmUwr/bq/CXf0K6UXJqmkX
MX11Ll1IweHGMyxUtMj/vF20ZFRmyoeClQIDAQAB
-----END RSA PUBLIC KEY-----
";

    /// The private key (`priv.pem`, PKCS#8), to decrypt in tests.
    const TEST_PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCcZXpGf2A6vMA5
3nCuYllqBQdW0kSeeohKIi1KTzsDQhcsxsJzjwvgLtH4ghudfbrpxVyiysTKZL8o
NpoYsy1kSmPUUhV34vQ5w+eYBNK/ArkNhLOrmdSJ9xThXLPUKl+5P0Y5C2o1pNjp
wVBlqRmvx5EXiR8rl9QG1ZSu/2zbp9kM1+VRptz5lvstZ4iy2PP5KKSgBBzv1/1l
E+mHLKk7PjQUvZAMgkgNv5DLOYdyzrrws1f/vojdmTakuzK1l8p6JZYkkb3gXLs7
VnbqLw/TDivTlNQMY6ZTCv9ur8Jd/QrpRcmqaRcxfXUuXUjB4cYzLFS0yP+8XbRk
VGbKh4KVAgMBAAECggEAGfDxF7lwBj4hqlednCc/Colb/sgwzpKngZhqp709nhw7
yNcNEOrkvuI1PMGj//sHYlg0teHpQ2LznCF2bOtnd4+pQGH/IpwYA27dvsbqB/nV
JQtiW+/Po7TCl2DviR0gNJNsu/CLROubeSZyBfLHCnOROvSpIWt1JU8O8vn2HfbW
cLrDj6ed/Tasvvl4n1gM0w3MB7rKHUpIp1L/Zg0dKj/ZIVNSyYpo2yMx9Z8YCT2p
oYP+6pBkeH1TO1jYG6/GFEOjAQ0rBCfE9FN1pSN68QjpOMfVjBTL48ge3CdmlYDq
n4A47oHdwuN5z2SkD+zzhX/HmOD7bIKLfDh8+tKTwQKBgQDNM5j62fODGq/OhKkv
J+Xfum9a9WCcx749OnDyMZkNpvu6CrvrPFxM/hLwGvueZtLkcumVVh2RWmyp0XWe
RViqZFLp8rosihehMxNkY9L5thyPD5A+JCY7+MXP0qFFdLJBbBvG4as7wtzOCdkL
CgsdHZu85pQ1XNbBGO54stfqNQKBgQDDHOlsMczRJL+WgEGLXfoOxGcAjhas6Veh
KRQnYwj8y/F6us8XU/n64iywruXyjZkej9YRHjGiLo1PzaE5wjEGQAH0ZP0RyF/m
Iz2S+dKBawz+tJ1qzQsaApHljNxYLPOCBEYhkgElFyhIx+5Vs8OZGFAlbmox2hf+
qbRk0v1C4QKBgQCFg/cb8UhCm9CcXTD/38PwaIwf8Nyl5klf6XCoBaGCgo3zpRxU
mPetmPuVgtkJXfoGbsaRRnECrIVbkVAoZRKl+5T/Z9G/PTLWzjbl8RXLKLU4WHYQ
GNFP4DRFXtVULfP2IXOJWjhiMA4fecThK+3DSgqVRKpWdku9ZI11t1hJqQKBgBQk
sfyXj5uv/Y+eIiYvR5eqsy+de73SQVfEE+6VDOJ8c6vGCYdRBifendqH0/mcoMhE
9UbDJUCnKbOpeRGreMA6b3k5y97AHxZ1YPABlrgBw0+weegCzziaN1HJnx4DVgiA
RHVGy5N2tpP9ACAc9P6jQfL7WT9YUs3Z22PlXHxBAoGAdx70DlfuTU3tbn4ppTz3
ljSpEFCENcumB8WFOSXGh6/Sk6fHzQ1Hy806eHcForWxhT6IyTHTnvsYpuTRiR3H
aVkUKbJLW/tUhWZHJqulAjoTL990OxG24EnZACG6lsBQWKLc/4QqyDLLfqrHsPcn
4lOlR3ApnezkuM/k30R/bas=
-----END PRIVATE KEY-----
";

    /// Decrypts `ciphertext` (RSA-OAEP with SHA-1) with the test private key.
    pub(crate) fn decrypt(ciphertext: &[u8]) -> Vec<u8> {
        let key = RsaPrivateKey::from_pkcs8_pem(TEST_PRIVATE_KEY).unwrap();
        key.decrypt(Oaep::new::<sha1_010::Sha1>(), ciphertext)
            .unwrap()
    }

    #[test]
    fn encrypts_xor_password_with_spki_and_pkcs1_keys() {
        // python3 -c "n=bytes(range(1,21)); x=b'hunter2!\0'; print(bytes(c^n[i%len(n)] for i,c in enumerate(x)).hex())"
        let want = "69776d706074352909";
        for pem in [TEST_PUBLIC_KEY_SPKI, TEST_PUBLIC_KEY_PKCS1] {
            let ct =
                encrypt_password(b"hunter2!", &TEST_NONCE, pem.as_bytes(), &mut OsRng).unwrap();
            assert_eq!(ct.len(), 256);
            assert_eq!(hex(&decrypt(&ct)), want);
        }
    }

    #[test]
    fn oaep_is_randomised() {
        let pem = TEST_PUBLIC_KEY_SPKI.as_bytes();
        let a = encrypt_password(b"pw", &TEST_NONCE, pem, &mut OsRng).unwrap();
        let b = encrypt_password(b"pw", &TEST_NONCE, pem, &mut OsRng).unwrap();
        assert_ne!(a, b);
        assert_eq!(decrypt(&a), decrypt(&b));
    }

    #[test]
    fn tolerates_crlf_and_trailing_nul() {
        let pem = format!("\n{}\0", TEST_PUBLIC_KEY_SPKI.replace('\n', "\r\n"));
        let ct = encrypt_password(b"secret", &TEST_NONCE, pem.as_bytes(), &mut OsRng).unwrap();
        // Same vector as `sha256_password::tests::matches_python`.
        assert_eq!(hex(&decrypt(&ct)), "72676076607207");
    }

    #[test]
    fn longest_password_that_fits() {
        let pem = TEST_PUBLIC_KEY_SPKI.as_bytes();
        // 256-byte modulus: 214 bytes of plaintext, i.e. 213 password bytes plus the NUL.
        let ok = vec![b'x'; 213];
        let ct = encrypt_password(&ok, &TEST_NONCE, pem, &mut OsRng).unwrap();
        assert_eq!(decrypt(&ct), xor_password(&ok, &TEST_NONCE).unwrap());
        assert!(matches!(
            encrypt_password(&[b'x'; 214], &TEST_NONCE, pem, &mut OsRng),
            Err(Error::PasswordTooLongForKey { len: 215, max: 214 })
        ));
    }

    #[test]
    fn bad_keys_are_typed_errors() {
        let truncated = &TEST_PUBLIC_KEY_SPKI[..200];
        let wrong_label = TEST_PUBLIC_KEY_SPKI.replace("PUBLIC KEY", "RSA PUBLIC KEY");
        // An Ed25519 SPKI key: a valid PEM, but not RSA.
        let ed25519 = "-----BEGIN PUBLIC KEY-----\n\
            MCowBQYDK2VwAyEAI7xUkSwebpLEqGglyGfif/3FVb/71CRPF6Jqv//ull0=\n\
            -----END PUBLIC KEY-----\n";
        for pem in [
            &b""[..],
            b"garbage",
            &[0xff, 0xfe, 0x00],
            truncated.as_bytes(),
            wrong_label.as_bytes(),
            ed25519.as_bytes(),
        ] {
            assert!(
                matches!(
                    encrypt_password(b"pw", &TEST_NONCE, pem, &mut OsRng),
                    Err(Error::PublicKey { .. })
                ),
                "{pem:?}"
            );
        }
    }

    #[test]
    fn empty_nonce_rejected() {
        let pem = TEST_PUBLIC_KEY_SPKI.as_bytes();
        assert!(matches!(
            encrypt_password(b"pw", b"", pem, &mut OsRng),
            Err(Error::InvalidArgument { .. })
        ));
    }
}
