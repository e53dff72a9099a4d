use super::*;

/// Concatenates annotated pieces of a hand-built packet.
fn cat(pieces: &[&[u8]]) -> Vec<u8> {
    pieces.concat()
}

/// Hex to bytes, for captured vectors.
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .filter_map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

/// A MySQL 8.0 greeting, built from the documented `Protocol::HandshakeV10` layout.
fn mysql8_greeting() -> Vec<u8> {
    cat(&[
        &[0x0a],                    // int<1> protocol version = 10
        b"8.0.36\0",                // string<NUL> server version
        &[0x0e, 0, 0, 0],           // int<4> connection id = 14
        b"abcdefgh",                // string[8] auth-plugin-data-part-1
        &[0],                       // int<1> filler
        &[0xff, 0xff],              // int<2> capability flags, lower 2 bytes
        &[0xff],                    // int<1> character set (255 = utf8mb4_0900_ai_ci)
        &[0x02, 0x00],              // int<2> status flags (SERVER_STATUS_AUTOCOMMIT)
        &[0xff, 0xdf],              // int<2> capability flags, upper 2 bytes
        &[21],                      // int<1> length of auth-plugin-data (8 + 12 + NUL)
        &[0; 10],                   // string[10] reserved
        b"ijklmnopqrst\0",          // $len = MAX(13, 21 - 8) auth-plugin-data-part-2
        b"caching_sha2_password\0", // string<NUL> auth plugin name
    ])
}

#[test]
fn parse_mysql8_greeting() {
    let h = InitialHandshake::decode(&mysql8_greeting());
    let h = h.as_ref().ok();
    assert_eq!(h.map(|h| h.protocol_version), Some(10));
    assert_eq!(h.map(|h| h.server_version.as_str()), Some("8.0.36"));
    assert_eq!(h.map(|h| h.version()), Some("8.0.36"));
    assert_eq!(h.map(|h| h.connection_id), Some(14));
    assert_eq!(
        h.map(|h| &h.auth_plugin_data[..]),
        Some(&b"abcdefghijklmnopqrst"[..])
    );
    assert_eq!(
        h.map(|h| h.capabilities),
        Some(CapabilityFlags(0xdfff_ffff))
    );
    assert_eq!(h.map(|h| h.character_set), Some(255));
    assert_eq!(h.map(|h| h.status_flags), Some(2));
    assert_eq!(
        h.and_then(|h| h.auth_plugin_name.as_deref()),
        Some("caching_sha2_password")
    );
    assert_eq!(h.map(InitialHandshake::is_mariadb), Some(false));
}

/// Captured from MariaDB 10.11.19 (Debian 12 `mariadb-server`, started with
/// `scripts/mariadb-test-server.sh`) with a Python socket: the whole first packet, header
/// included.
///
/// ```text
/// 68 00 00 00                     packet header: length 104, sequence 0
/// 0a                              protocol version 10
/// "5.5.5-10.11.19-MariaDB-0+deb12u1-log" 00
/// 05 00 00 00                     connection id 5
/// 5c 74 53 22 4d 3e 2e 6a         auth-plugin-data-part-1
/// 00                              filler
/// fe f7                           capabilities lower (bit 0 CLIENT_MYSQL clear: MariaDB)
/// e0                              character set 224 (utf8mb4_unicode_ci)
/// 02 00                           status: autocommit
/// ff 81                           capabilities upper
/// 15                              auth-plugin-data length 21
/// 00 00 00 00 00 00               6 bytes filler
/// 1d 00 00 00                     MariaDB extended capabilities: PROGRESS | STMT_BULK_OPERATIONS
///                                 | EXTENDED_METADATA | CACHE_METADATA
/// 4d 22 5e 35 2b 78 3f 6e 2d 32 54 2f 00   auth-plugin-data-part-2 (12 + NUL)
/// "mysql_native_password" 00
/// ```
const MARIADB_10_11_GREETING: &str = "680000000a352e352e352d31302e31312e31392d4d6172696144422d302b646562313275312d6c6f6700050000005c7453224d3e2e6a00fef7e00200ff81150000000000001d0000004d225e352b783f6e2d32542f006d7973716c5f6e61746976655f70617373776f726400";

#[test]
fn parse_captured_mariadb_10_11_greeting() {
    let wire = unhex(MARIADB_10_11_GREETING);
    let mut buf = BytesMut::from(&wire[..]);
    let mut reader = crate::packet::PacketReader::new(1 << 20);
    let payload = reader.decode(&mut buf).ok().flatten().unwrap_or_default();
    assert_eq!(payload.len(), 104);
    let h = InitialHandshake::decode(&payload);
    let h = h.as_ref().ok();
    assert_eq!(
        h.map(|h| h.server_version.as_str()),
        Some("5.5.5-10.11.19-MariaDB-0+deb12u1-log")
    );
    assert_eq!(
        h.map(|h| h.version()),
        Some("10.11.19-MariaDB-0+deb12u1-log")
    );
    assert_eq!(h.map(InitialHandshake::is_mariadb), Some(true));
    assert_eq!(h.map(|h| h.connection_id), Some(5));
    assert_eq!(
        h.map(|h| h.auth_plugin_data.clone()),
        Some(unhex("5c7453224d3e2e6a4d225e352b783f6e2d32542f"))
    );
    assert_eq!(
        h.map(|h| h.capabilities),
        Some(CapabilityFlags(0x1d_81ff_f7fe))
    );
    let caps = h.map(|h| h.capabilities).unwrap_or_default();
    assert!(caps.contains(CapabilityFlags::MARIADB_CLIENT_STMT_BULK_OPERATIONS));
    assert!(!caps.contains(CapabilityFlags::CLIENT_MYSQL));
    assert!(caps.contains(CapabilityFlags::CLIENT_DEPRECATE_EOF));
    assert_eq!(h.map(|h| h.character_set), Some(224));
    assert_eq!(
        h.and_then(|h| h.auth_plugin_name.as_deref()),
        Some("mysql_native_password")
    );
}

#[test]
fn greeting_truncated_everywhere_is_an_error_not_a_panic() {
    let g = mysql8_greeting();
    // Cutting inside part 2 or before must fail; cutting inside the plugin name is accepted
    // (servers that omit its NUL), so stop before it.
    let name_start = g.len() - b"caching_sha2_password\0".len();
    for cut in 0..name_start {
        if cut == 1 + 7 + 4 + 8 + 1 + 2 {
            // The protocol allows a greeting to end right after the lower capability flags.
            assert!(InitialHandshake::decode(&g[..cut]).is_ok());
            continue;
        }
        assert!(InitialHandshake::decode(&g[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn greeting_wrong_protocol_version() {
    let mut g = mysql8_greeting();
    g[0] = 9;
    assert!(matches!(
        InitialHandshake::decode(&g),
        Err(Error::UnsupportedProtocolVersion { found: 9 })
    ));
}

#[test]
fn greeting_err_packet_is_server_error() {
    // ERR 1040 "Too many connections", no SQL state (sent before capabilities are known)
    let p = cat(&[&[0xff, 0x10, 0x04], b"Too many connections"]);
    match InitialHandshake::decode(&p) {
        Err(Error::Server(e)) => {
            assert_eq!(e.code, 1040);
            assert_eq!(e.sql_state, None);
            assert_eq!(e.message, "Too many connections");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ssl_request_layout() {
    let caps = CapabilityFlags::CLIENT_PROTOCOL_41 | CapabilityFlags::CLIENT_MYSQL;
    let mut out = BytesMut::new();
    ssl_request(caps, 0x0100_0000, 45, &mut out);
    let want = cat(&[
        &[0x01, 0x0a, 0, 0], // int<4> client flags: LONG_PASSWORD | PROTOCOL_41 | SSL
        &[0, 0, 0, 1],       // int<4> max packet size 16 MiB
        &[45],               // int<1> character set
        &[0; 23],            // filler
    ]);
    assert_eq!(&out[..], &want[..]);
}

#[test]
fn handshake_response_layout() {
    // The same shape the MariaDB capture above accepted (see response tests for the OK).
    let scramble = [0xaa; 20];
    let attrs = [("_client_name", "binvault")];
    let resp = HandshakeResponse {
        capabilities: CapabilityFlags::CLIENT_MYSQL | CapabilityFlags::CLIENT_TRANSACTIONS,
        max_packet_size: 1 << 24,
        character_set: 45,
        username: b"bv",
        auth_response: &scramble,
        database: Some(b"db1"),
        auth_plugin_name: b"mysql_native_password",
        connect_attrs: Some(&attrs),
    };
    let mut out = BytesMut::new();
    assert!(handshake_response(&resp, &mut out).is_ok());
    // flags: LONG_PASSWORD 0x1 | CONNECT_WITH_DB 0x8 | PROTOCOL_41 0x200 | TRANSACTIONS 0x2000
    // | SECURE_CONNECTION 0x8000 | PLUGIN_AUTH 0x80000 | CONNECT_ATTRS 0x100000
    // | PLUGIN_AUTH_LENENC_CLIENT_DATA 0x200000 = 0x38a209
    let want = cat(&[
        &[0x09, 0xa2, 0x38, 0x00],  // int<4> client flags
        &[0, 0, 0, 1],              // int<4> max packet size
        &[45],                      // int<1> character set
        &[0; 23],                   // filler
        b"bv\0",                    // string<NUL> username
        &[20],                      // lenenc auth response length
        &[0xaa; 20],                // auth response
        b"db1\0",                   // string<NUL> database
        b"mysql_native_password\0", // string<NUL> client plugin name
        &[22],                      // lenenc length of all key-values
        &[12],
        b"_client_name", // lenenc key
        &[8],
        b"binvault", // lenenc value
    ]);
    assert_eq!(&out[..], &want[..]);
}

#[test]
fn handshake_response_to_mariadb_carries_extended_caps() {
    let resp = HandshakeResponse {
        capabilities: CapabilityFlags::MARIADB_CLIENT_PROGRESS,
        max_packet_size: 0,
        character_set: 45,
        username: b"u",
        auth_response: b"",
        database: None,
        auth_plugin_name: b"client_ed25519",
        connect_attrs: None,
    };
    let mut out = BytesMut::new();
    assert!(handshake_response(&resp, &mut out).is_ok());
    assert_eq!(&out[28..32], &[1, 0, 0, 0]); // last 4 filler bytes
    assert_eq!(&out[32..], b"u\0\0client_ed25519\0");
}

#[test]
fn nul_in_username_rejected() {
    let resp = HandshakeResponse {
        capabilities: CapabilityFlags::empty(),
        max_packet_size: 0,
        character_set: 45,
        username: b"a\0b",
        auth_response: b"",
        database: None,
        auth_plugin_name: b"mysql_native_password",
        connect_attrs: None,
    };
    assert!(matches!(
        handshake_response(&resp, &mut BytesMut::new()),
        Err(Error::InvalidArgument {
            field: "username",
            ..
        })
    ));
}

#[test]
fn auth_switch_request() {
    let p = Bytes::from(cat(&[
        &[0xfe],
        b"caching_sha2_password\0",
        b"01234567890123456789\0",
    ]));
    match AuthPacket::decode(&p, CapabilityFlags::CLIENT_PROTOCOL_41) {
        Ok(AuthPacket::Switch(s)) => {
            assert_eq!(s.plugin_name, "caching_sha2_password");
            assert_eq!(&s.plugin_data[..], b"01234567890123456789");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn old_auth_switch_request_rejected() {
    let p = Bytes::from_static(&[0xfe]);
    assert!(matches!(
        AuthSwitchRequest::decode(&p),
        Err(Error::Unterminated { .. })
    ));
}

#[test]
fn auth_more_data_fast_auth_success() {
    let p = Bytes::from_static(&[0x01, 0x03]);
    assert_eq!(
        AuthPacket::decode(&p, CapabilityFlags::CLIENT_PROTOCOL_41).ok(),
        Some(AuthPacket::MoreData(Bytes::from_static(&[
            crate::auth::caching_sha2_password::FAST_AUTH_SUCCESS
        ])))
    );
}

#[test]
fn captured_access_denied() {
    // MariaDB 10.11 answer to a wrong mysql_native_password scramble (packet with header).
    let wire = unhex("46000002ff15042332383030304163636573732064656e69656420666f722075736572202762762740273132372e302e302e312720287573696e672070617373776f72643a2059455329");
    let mut buf = BytesMut::from(&wire[..]);
    let mut reader = crate::packet::PacketReader::new(1 << 20);
    reader.set_sequence(2);
    let payload = reader.decode(&mut buf).ok().flatten().unwrap_or_default();
    match AuthPacket::decode(&payload, CapabilityFlags::CLIENT_PROTOCOL_41) {
        Err(Error::Server(e)) => {
            assert_eq!(e.code, 1045);
            assert_eq!(e.sql_state.as_deref(), Some("28000"));
            assert_eq!(
                e.message,
                "Access denied for user 'bv'@'127.0.0.1' (using password: YES)"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn captured_auth_ok() {
    let payload = Bytes::from(unhex("00000002000000"));
    match AuthPacket::decode(&payload, CapabilityFlags::CLIENT_PROTOCOL_41) {
        Ok(AuthPacket::Ok(ok)) => {
            assert_eq!((ok.affected_rows, ok.status_flags, ok.warnings), (0, 2, 0));
        }
        other => panic!("{other:?}"),
    }
}
