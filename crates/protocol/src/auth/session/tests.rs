//! Scripted servers for every exchange, in and out of order.

use super::*;
use crate::auth::public_key::tests::{decrypt, TEST_PUBLIC_KEY_PKCS1, TEST_PUBLIC_KEY_SPKI};
use crate::auth::sha256_password::xor_password;
use crate::auth::TEST_NONCE;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use rand_core::OsRng;

const CAPS: CapabilityFlags = CapabilityFlags::CLIENT_PROTOCOL_41;
const PASSWORD: &[u8] = b"hunter2";

/// A second 20-byte nonce, for switches: bytes 101..=120.
fn nonce2() -> Vec<u8> {
    (101..=120).collect()
}

/// A 32-byte ed25519 nonce ending in 0 (bytes 1..=31, 0).
fn ed_nonce() -> Vec<u8> {
    (1..=31).chain([0]).collect()
}

fn ok() -> Bytes {
    // header, affected rows, last insert id, status (autocommit), warnings
    Bytes::from_static(&[0x00, 0, 0, 0x02, 0x00, 0, 0])
}

fn err_1045() -> Bytes {
    let mut p = vec![0xff, 0x15, 0x04];
    p.extend_from_slice(b"#28000Access denied for user 'repl'");
    p.into()
}

fn more(data: &[u8]) -> Bytes {
    [&[0x01], data].concat().into()
}

/// AuthSwitchRequest; `data` as the server sends it (20-byte scrambles NUL-terminated).
fn switch(plugin: &str, data: &[u8]) -> Bytes {
    [&[0xfe], plugin.as_bytes(), &[0], data].concat().into()
}

fn config() -> AuthConfig<'static> {
    AuthConfig {
        password: PASSWORD,
        ..AuthConfig::default()
    }
}

fn session(plugin: AuthPlugin, config: &AuthConfig<'_>) -> AuthSession {
    AuthSession::new(plugin, &TEST_NONCE, config)
}

/// Feeds one packet.
fn feed(s: &mut AuthSession, packet: Bytes) -> Result<AuthStep> {
    s.handle_packet(&packet, CAPS, &mut OsRng)
}

fn sent(step: Result<AuthStep>) -> Vec<u8> {
    match step {
        Ok(AuthStep::Send(payload)) => payload,
        other => panic!("expected Send, got {other:?}"),
    }
}

fn assert_done(step: Result<AuthStep>) {
    assert!(
        matches!(&step, Ok(AuthStep::Done(ok)) if ok.status_flags == 2),
        "{step:?}"
    );
}

fn assert_unexpected(step: Result<AuthStep>, plugin: &str) {
    assert!(
        matches!(&step, Err(Error::UnexpectedAuthPacket { plugin: p, .. }) if *p == plugin),
        "{step:?}"
    );
}

fn with_nul(password: &[u8]) -> Vec<u8> {
    [password, &[0]].concat()
}

// --- mysql_native_password ---

#[test]
fn native_password_ok() {
    let mut s = session(AuthPlugin::MysqlNativePassword, &config());
    let first = s.initial_response(&mut OsRng).unwrap();
    assert_eq!(
        first,
        mysql_native_password::scramble(PASSWORD, &TEST_NONCE)
    );
    assert_done(feed(&mut s, ok()));
}

#[test]
fn err_packet_is_server_error_and_ends_the_session() {
    let mut s = session(AuthPlugin::MysqlNativePassword, &config());
    s.initial_response(&mut OsRng).unwrap();
    assert!(matches!(feed(&mut s, err_1045()), Err(Error::Server(e)) if e.code == 1045));
    assert_unexpected(feed(&mut s, ok()), MYSQL_NATIVE_PASSWORD);
}

// --- caching_sha2_password ---

#[test]
fn caching_sha2_fast_auth() {
    let mut s = session(AuthPlugin::CachingSha2Password, &config());
    let first = s.initial_response(&mut OsRng).unwrap();
    assert_eq!(
        first,
        caching_sha2_password::scramble(PASSWORD, &TEST_NONCE)
    );
    assert_eq!(feed(&mut s, more(&[0x03])).unwrap(), AuthStep::Wait);
    assert_done(feed(&mut s, ok()));
}

#[test]
fn caching_sha2_ok_without_status_byte() {
    let mut s = session(AuthPlugin::CachingSha2Password, &config());
    s.initial_response(&mut OsRng).unwrap();
    assert_done(feed(&mut s, ok()));
}

#[test]
fn caching_sha2_full_auth_over_tls_sends_password() {
    let config = AuthConfig {
        tls: true,
        ..config()
    };
    let mut s = session(AuthPlugin::CachingSha2Password, &config);
    s.initial_response(&mut OsRng).unwrap();
    assert_eq!(sent(feed(&mut s, more(&[0x04]))), with_nul(PASSWORD));
    assert_done(feed(&mut s, ok()));
}

#[test]
fn caching_sha2_full_auth_with_key_file() {
    for pem in [TEST_PUBLIC_KEY_SPKI, TEST_PUBLIC_KEY_PKCS1] {
        let config = AuthConfig {
            server_public_key: Some(pem.as_bytes()),
            ..config()
        };
        let mut s = session(AuthPlugin::CachingSha2Password, &config);
        s.initial_response(&mut OsRng).unwrap();
        let encrypted = sent(feed(&mut s, more(&[0x04])));
        assert_eq!(encrypted.len(), 256);
        assert_eq!(
            decrypt(&encrypted),
            xor_password(PASSWORD, &TEST_NONCE).unwrap()
        );
        assert_done(feed(&mut s, ok()));
    }
}

#[test]
fn caching_sha2_full_auth_requests_the_key() {
    let config = AuthConfig {
        request_public_key: true,
        ..config()
    };
    let mut s = session(AuthPlugin::CachingSha2Password, &config);
    s.initial_response(&mut OsRng).unwrap();
    assert_eq!(sent(feed(&mut s, more(&[0x04]))), [0x02]);
    let encrypted = sent(feed(&mut s, more(TEST_PUBLIC_KEY_SPKI.as_bytes())));
    assert_eq!(
        decrypt(&encrypted),
        xor_password(PASSWORD, &TEST_NONCE).unwrap()
    );
    assert_done(feed(&mut s, ok()));
}

#[test]
fn caching_sha2_full_auth_without_tls_or_key_is_refused() {
    let mut s = session(AuthPlugin::CachingSha2Password, &config());
    s.initial_response(&mut OsRng).unwrap();
    let err = feed(&mut s, more(&[0x04])).unwrap_err();
    assert!(matches!(
        err,
        Error::InsecureAuth {
            plugin: CACHING_SHA2_PASSWORD,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "caching_sha2_password: full authentication needs TLS or the server's RSA public key: \
         use TLS, give the key file, or allow requesting it"
    );
}

#[test]
fn caching_sha2_empty_password_sends_a_nul() {
    let config = AuthConfig {
        password: b"",
        ..config()
    };
    let mut s = session(AuthPlugin::CachingSha2Password, &config);
    assert_eq!(s.initial_response(&mut OsRng).unwrap(), [0]);
    assert_done(feed(&mut s, ok()));
}

#[test]
fn caching_sha2_bad_key_from_server() {
    let config = AuthConfig {
        request_public_key: true,
        ..config()
    };
    let mut s = session(AuthPlugin::CachingSha2Password, &config);
    s.initial_response(&mut OsRng).unwrap();
    sent(feed(&mut s, more(&[0x04])));
    assert!(matches!(
        feed(&mut s, more(b"-----BEGIN PUBLIC KEY-----\nnope\n")),
        Err(Error::PublicKey { .. })
    ));
}

#[test]
fn caching_sha2_bad_key_file() {
    let config = AuthConfig {
        server_public_key: Some(b"not a key"),
        ..config()
    };
    let mut s = session(AuthPlugin::CachingSha2Password, &config);
    s.initial_response(&mut OsRng).unwrap();
    assert!(matches!(
        feed(&mut s, more(&[0x04])),
        Err(Error::PublicKey { .. })
    ));
}

#[test]
fn caching_sha2_unexpected_packets() {
    let config = AuthConfig {
        request_public_key: true,
        ..config()
    };
    // Unknown status byte, and a multi-byte status.
    for status in [&[0x05][..], &[0x03, 0x03], &[]] {
        let mut s = session(AuthPlugin::CachingSha2Password, &config);
        s.initial_response(&mut OsRng).unwrap();
        assert_unexpected(feed(&mut s, more(status)), CACHING_SHA2_PASSWORD);
    }
    // A second status byte after fast-auth success.
    let mut s = session(AuthPlugin::CachingSha2Password, &config);
    s.initial_response(&mut OsRng).unwrap();
    feed(&mut s, more(&[0x03])).unwrap();
    assert_unexpected(feed(&mut s, more(&[0x03])), CACHING_SHA2_PASSWORD);
    // OK instead of the requested public key.
    let mut s = session(AuthPlugin::CachingSha2Password, &config);
    s.initial_response(&mut OsRng).unwrap();
    sent(feed(&mut s, more(&[0x04])));
    assert_unexpected(feed(&mut s, ok()), CACHING_SHA2_PASSWORD);
    // More data after the encrypted password.
    let mut s = session(AuthPlugin::CachingSha2Password, &config);
    s.initial_response(&mut OsRng).unwrap();
    sent(feed(&mut s, more(&[0x04])));
    sent(feed(&mut s, more(TEST_PUBLIC_KEY_SPKI.as_bytes())));
    assert_unexpected(
        feed(&mut s, more(TEST_PUBLIC_KEY_SPKI.as_bytes())),
        CACHING_SHA2_PASSWORD,
    );
}

// --- sha256_password ---

#[test]
fn sha256_over_tls_sends_password() {
    let config = AuthConfig {
        tls: true,
        ..config()
    };
    let mut s = session(AuthPlugin::Sha256Password, &config);
    assert_eq!(s.initial_response(&mut OsRng).unwrap(), with_nul(PASSWORD));
    assert_done(feed(&mut s, ok()));
}

#[test]
fn sha256_with_key_file_encrypts_first_response() {
    let config = AuthConfig {
        server_public_key: Some(TEST_PUBLIC_KEY_PKCS1.as_bytes()),
        ..config()
    };
    let mut s = session(AuthPlugin::Sha256Password, &config);
    let encrypted = s.initial_response(&mut OsRng).unwrap();
    assert_eq!(
        decrypt(&encrypted),
        xor_password(PASSWORD, &TEST_NONCE).unwrap()
    );
    assert_done(feed(&mut s, ok()));
}

#[test]
fn sha256_requests_the_key() {
    let config = AuthConfig {
        request_public_key: true,
        ..config()
    };
    let mut s = session(AuthPlugin::Sha256Password, &config);
    assert_eq!(s.initial_response(&mut OsRng).unwrap(), [0x01]);
    let encrypted = sent(feed(&mut s, more(TEST_PUBLIC_KEY_SPKI.as_bytes())));
    assert_eq!(
        decrypt(&encrypted),
        xor_password(PASSWORD, &TEST_NONCE).unwrap()
    );
    assert_done(feed(&mut s, ok()));
}

#[test]
fn sha256_without_tls_or_key_is_refused() {
    let mut s = session(AuthPlugin::Sha256Password, &config());
    assert!(matches!(
        s.initial_response(&mut OsRng),
        Err(Error::InsecureAuth {
            plugin: SHA256_PASSWORD,
            ..
        })
    ));
}

#[test]
fn sha256_empty_password_sends_a_nul() {
    // Even without TLS or key: there is nothing to protect.
    let config = AuthConfig {
        password: b"",
        ..config()
    };
    let mut s = session(AuthPlugin::Sha256Password, &config);
    assert_eq!(s.initial_response(&mut OsRng).unwrap(), [0]);
    assert_done(feed(&mut s, ok()));
}

#[test]
fn sha256_password_too_long_for_key() {
    let long = [b'x'; 300];
    let config = AuthConfig {
        password: &long,
        server_public_key: Some(TEST_PUBLIC_KEY_SPKI.as_bytes()),
        ..config()
    };
    let mut s = session(AuthPlugin::Sha256Password, &config);
    assert!(matches!(
        s.initial_response(&mut OsRng),
        Err(Error::PasswordTooLongForKey { len: 301, max: 214 })
    ));
}

// --- mysql_clear_password ---

#[test]
fn clear_password_only_over_tls() {
    let tls = AuthConfig {
        tls: true,
        ..config()
    };
    let mut s = session(AuthPlugin::MysqlClearPassword, &tls);
    assert_eq!(s.initial_response(&mut OsRng).unwrap(), with_nul(PASSWORD));
    assert_done(feed(&mut s, ok()));

    // Refused even with a key: the plugin never encrypts.
    let plain = AuthConfig {
        server_public_key: Some(TEST_PUBLIC_KEY_SPKI.as_bytes()),
        request_public_key: true,
        ..config()
    };
    let mut s = session(AuthPlugin::MysqlClearPassword, &plain);
    assert!(matches!(
        s.initial_response(&mut OsRng),
        Err(Error::InsecureAuth {
            plugin: MYSQL_CLEAR_PASSWORD,
            ..
        })
    ));
}

#[test]
fn switch_to_clear_password_without_tls_is_refused() {
    let mut s = session(AuthPlugin::MysqlNativePassword, &config());
    s.initial_response(&mut OsRng).unwrap();
    assert!(matches!(
        feed(&mut s, switch(MYSQL_CLEAR_PASSWORD, b"")),
        Err(Error::InsecureAuth { .. })
    ));
}

// --- client_ed25519 ---

#[test]
fn ed25519_after_switch_from_the_greeting_plugin() {
    // MariaDB greets with mysql_native_password; an ed25519 account gets a switch carrying a
    // bare 32-byte nonce (here ending in 0, which must not be dropped as a terminator).
    let mut s = session(AuthPlugin::MysqlNativePassword, &config());
    s.initial_response(&mut OsRng).unwrap();
    let sig = sent(feed(&mut s, switch(CLIENT_ED25519, &ed_nonce())));
    assert_eq!(s.plugin(), &AuthPlugin::ClientEd25519);
    assert_eq!(sig, client_ed25519::sign(PASSWORD, &ed_nonce()));
    let public = VerifyingKey::from_bytes(&client_ed25519::public_key(PASSWORD)).unwrap();
    let sig = Signature::from_slice(&sig).unwrap();
    assert!(public.verify(&ed_nonce(), &sig).is_ok());
    assert_done(feed(&mut s, ok()));
}

#[test]
fn ed25519_as_greeting_plugin_sends_empty_then_signs() {
    let mut s = session(AuthPlugin::ClientEd25519, &config());
    assert_eq!(s.initial_response(&mut OsRng).unwrap(), b"");
    let sig = sent(feed(&mut s, switch(CLIENT_ED25519, &ed_nonce())));
    assert_eq!(sig, client_ed25519::sign(PASSWORD, &ed_nonce()));
    assert_done(feed(&mut s, ok()));
}

#[test]
fn ed25519_switch_with_wrong_nonce_length() {
    for nonce in [&TEST_NONCE[..], &[], &[7; 33]] {
        let mut s = session(AuthPlugin::MysqlNativePassword, &config());
        s.initial_response(&mut OsRng).unwrap();
        assert_unexpected(feed(&mut s, switch(CLIENT_ED25519, nonce)), CLIENT_ED25519);
    }
}

// --- switches ---

#[test]
fn switch_native_to_caching_sha2_uses_the_new_nonce() {
    let mut s = session(AuthPlugin::MysqlNativePassword, &config());
    s.initial_response(&mut OsRng).unwrap();
    let data = [&nonce2()[..], &[0]].concat();
    let scramble = sent(feed(&mut s, switch(CACHING_SHA2_PASSWORD, &data)));
    assert_eq!(s.plugin(), &AuthPlugin::CachingSha2Password);
    assert_eq!(
        scramble,
        caching_sha2_password::scramble(PASSWORD, &nonce2())
    );
    assert_eq!(feed(&mut s, more(&[0x03])).unwrap(), AuthStep::Wait);
    assert_done(feed(&mut s, ok()));
}

#[test]
fn switch_to_caching_sha2_then_rsa_uses_the_new_nonce() {
    let config = AuthConfig {
        request_public_key: true,
        ..config()
    };
    let mut s = session(AuthPlugin::MysqlNativePassword, &config);
    s.initial_response(&mut OsRng).unwrap();
    let data = [&nonce2()[..], &[0]].concat();
    sent(feed(&mut s, switch(CACHING_SHA2_PASSWORD, &data)));
    assert_eq!(sent(feed(&mut s, more(&[0x04]))), [0x02]);
    let encrypted = sent(feed(&mut s, more(TEST_PUBLIC_KEY_SPKI.as_bytes())));
    assert_eq!(
        decrypt(&encrypted),
        xor_password(PASSWORD, &nonce2()).unwrap()
    );
    assert_done(feed(&mut s, ok()));
}

#[test]
fn switch_to_unknown_plugin() {
    let mut s = session(AuthPlugin::MysqlNativePassword, &config());
    s.initial_response(&mut OsRng).unwrap();
    let step = feed(&mut s, switch("authentication_ldap_sasl_client", b"x"));
    assert!(
        matches!(&step, Err(Error::UnsupportedAuthPlugin { plugin }) if plugin == "authentication_ldap_sasl_client"),
        "{step:?}"
    );
}

#[test]
fn unknown_greeting_plugin() {
    let mut s = session(AuthPlugin::from_name("dialog"), &config());
    assert!(matches!(
        s.initial_response(&mut OsRng),
        Err(Error::UnsupportedAuthPlugin { .. })
    ));
}

#[test]
fn switches_are_bounded() {
    let mut s = session(AuthPlugin::MysqlNativePassword, &config());
    s.initial_response(&mut OsRng).unwrap();
    for _ in 0..MAX_AUTH_SWITCHES {
        sent(feed(&mut s, switch(MYSQL_NATIVE_PASSWORD, &TEST_NONCE)));
    }
    assert!(matches!(
        feed(&mut s, switch(MYSQL_NATIVE_PASSWORD, &TEST_NONCE)),
        Err(Error::TooManyAuthSwitches { max: 8 })
    ));
}

// --- order and garbage ---

#[test]
fn packets_outside_the_exchange() {
    // Before initial_response.
    let mut s = session(AuthPlugin::MysqlNativePassword, &config());
    assert_unexpected(feed(&mut s, ok()), MYSQL_NATIVE_PASSWORD);
    // After OK.
    let mut s = session(AuthPlugin::MysqlNativePassword, &config());
    s.initial_response(&mut OsRng).unwrap();
    assert_done(feed(&mut s, ok()));
    assert_unexpected(feed(&mut s, ok()), MYSQL_NATIVE_PASSWORD);
    assert!(s.initial_response(&mut OsRng).is_err());
}

#[test]
fn more_data_where_none_is_expected() {
    let mut s = session(AuthPlugin::MysqlNativePassword, &config());
    s.initial_response(&mut OsRng).unwrap();
    let step = feed(&mut s, more(&[0x03]));
    assert_unexpected(step, MYSQL_NATIVE_PASSWORD);
}

#[test]
fn error_messages_name_what_arrived() {
    let mut s = session(AuthPlugin::CachingSha2Password, &config());
    s.initial_response(&mut OsRng).unwrap();
    let err = feed(&mut s, more(&[9; 20])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "caching_sha2_password authentication: expected AuthMoreData 0x03 or 0x04, OK or \
         AuthSwitchRequest, got AuthMoreData of 20 bytes [0909090909090909…]"
    );
}

#[test]
fn malformed_packets_are_decode_errors() {
    for packet in [&[][..], &[0x42, 1, 2], &[0xfe], &[0xfe, b'x'], &[0xff, 1]] {
        let mut s = session(AuthPlugin::CachingSha2Password, &config());
        s.initial_response(&mut OsRng).unwrap();
        assert!(
            feed(&mut s, Bytes::copy_from_slice(packet)).is_err(),
            "{packet:?}"
        );
    }
}

/// Deterministic garbage in every state: errors, never panics, and after an error only
/// errors.
#[test]
fn garbage_never_panics() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let configs = [
        config(),
        AuthConfig {
            tls: true,
            ..config()
        },
        AuthConfig {
            request_public_key: true,
            ..config()
        },
    ];
    for round in 0..3000 {
        let config = &configs[round % configs.len()];
        let plugin = [
            AuthPlugin::MysqlNativePassword,
            AuthPlugin::CachingSha2Password,
            AuthPlugin::Sha256Password,
            AuthPlugin::ClientEd25519,
        ][round % 4]
            .clone();
        let mut s = session(plugin, config);
        let _ = s.initial_response(&mut OsRng);
        let mut failed = false;
        for _ in 0..4 {
            let len = (next() % 40) as usize;
            let mut packet: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            // Steer the header towards the interesting kinds.
            if let Some(first) = packet.first_mut() {
                *first = [0x00, 0x01, 0xfe, 0xff, *first][(next() % 5) as usize];
            }
            let step = feed(&mut s, packet.into());
            assert!(
                !(failed && step.is_ok()),
                "accepted a packet after an error"
            );
            failed |= step.is_err();
        }
    }
}

#[test]
fn debug_never_shows_the_password() {
    let config = AuthConfig {
        password: b"hunter2-secret",
        tls: true,
        ..AuthConfig::default()
    };
    let mut s = session(AuthPlugin::CachingSha2Password, &config);
    s.initial_response(&mut OsRng).unwrap();
    let step = feed(&mut s, more(&[0x04]));
    for shown in [format!("{config:?}"), format!("{s:?}"), format!("{step:?}")] {
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("104, 117, 110"), "{shown}"); // b"hun" as a byte list
    }
    assert_eq!(format!("{step:?}"), "Ok(Send(15 bytes))");
}
