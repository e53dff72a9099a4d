//! The driver against a scripted fake MySQL server (`common/`), for the paths a MariaDB test
//! server cannot take: `caching_sha2_password` fast and full authentication (RSA key request,
//! configured key, TLS), `sha256_password`, an authentication plugin switch, MySQL's
//! COM_BINLOG_DUMP_GTID with MySQL 5.7/8.0/8.4 set-up statements, and semi-sync acks.
//!
//! The fake server checks what the client sends with values it computes itself (scrambles
//! from the documented formulas, RSA decryption with its own private key, the documented
//! layout of COM_BINLOG_DUMP_GTID), never with the crate's own functions.

// Test code: a failed step panics with its message. clippy.toml allows unwrap/expect inside
// #[test] functions only; the async helpers and server scripts here need it too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use binvault_protocol::binlog::{BinlogEvent, StreamItem};
use binvault_protocol::driver::{
    ConnectOptions, Connection, Flavor, ReplicaOptions, ReplicationStream, StartPosition, TlsMode,
    TlsOptions,
};
use binvault_protocol::handshake::CapabilityFlags;
use binvault_protocol::Error;
use common::{
    artificial_rotate, caps, client_options, crc32, event_type, format_description_body,
    native_scramble, rsa_recover_password, sha2_scramble, spawn_server, tls_acceptor, uuid_bytes,
    BinlogWriter, Cursor, Greeting, Source, SERVER_PUBLIC_KEY,
};

const PASSWORD: &str = "s3cret-pässwörd";

/// Every client step of these tests finishes well within this.
const LIMIT: Duration = Duration::from_secs(10);

async fn within<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .expect("the client step took too long")
}

fn with_nul(password: &str) -> Vec<u8> {
    [password.as_bytes(), &[0]].concat()
}

// ---------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------

async fn fast_auth_then_query(deprecate_eof: bool) {
    let mut greeting = Greeting::mysql("8.0.36", "caching_sha2_password");
    if !deprecate_eof {
        greeting.capabilities &= !caps::DEPRECATE_EOF;
    }
    let g = greeting.clone();
    let (port, server) = spawn_server(move |mut s| async move {
        let hello = s.greet(&g, None).await.unwrap();
        assert_eq!(hello.user, "repl");
        assert_eq!(hello.plugin.as_deref(), Some("caching_sha2_password"));
        assert_eq!(
            hello.auth_response,
            sha2_scramble(PASSWORD.as_bytes(), &g.nonce),
            "fast-auth scramble"
        );
        assert_eq!(hello.auth_response.len(), 32);
        s.send(&[0x01, 0x03]).await.unwrap(); // fast_auth_success
        s.send_ok().await.unwrap();
        assert_eq!(s.recv_command().await.unwrap(), b"\x03SELECT 1");
        s.send_result_set(&["1"], &[vec![Some("1")]]).await.unwrap();
        assert_eq!(s.recv_command().await.unwrap(), b"\x03SELECT a, b FROM t");
        s.send_result_set(
            &["a", "b"],
            &[vec![Some("x"), None], vec![Some(""), Some("é")]],
        )
        .await
        .unwrap();
        hello
    })
    .await;
    let mut conn = within(Connection::connect(&client_options(port, PASSWORD)))
        .await
        .unwrap();
    assert_eq!(conn.greeting().server_version, "8.0.36");
    assert!(!conn.is_tls());
    let r = within(conn.query("SELECT 1")).await.unwrap();
    assert_eq!(r.columns, ["1"]);
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.first_value(0).as_deref(), Some("1"));
    let r = within(conn.query("SELECT a, b FROM t")).await.unwrap();
    assert_eq!(r.columns, ["a", "b"]);
    let rows: Vec<Vec<Option<&[u8]>>> = r.rows.iter().map(|row| row.iter().collect()).collect();
    assert_eq!(
        rows,
        [
            vec![Some(&b"x"[..]), None],
            vec![Some(&b""[..]), Some("é".as_bytes())]
        ]
    );

    let hello = server.await.unwrap();
    assert!(!hello.tls);
    assert_eq!(
        hello.capabilities & caps::DEPRECATE_EOF != 0,
        deprecate_eof,
        "DEPRECATE_EOF iff offered"
    );
    assert_eq!(
        conn.capabilities()
            .contains(CapabilityFlags::CLIENT_DEPRECATE_EOF),
        deprecate_eof
    );
    for flag in [
        caps::PROTOCOL_41,
        caps::SECURE_CONNECTION,
        caps::PLUGIN_AUTH,
        caps::PLUGIN_AUTH_LENENC_CLIENT_DATA,
    ] {
        assert!(
            hello.capabilities & flag != 0,
            "client capability {flag:#x}"
        );
    }
    assert_eq!(
        hello.capabilities & (caps::SSL | caps::COMPRESS | caps::CONNECT_WITH_DB),
        0
    );
    assert!(
        hello
            .attrs
            .contains(&("_client_name".into(), "binvault".into())),
        "{:?}",
        hello.attrs
    );
}

#[tokio::test]
async fn caching_sha2_fast_auth_then_query_deprecate_eof() {
    fast_auth_then_query(true).await;
}

#[tokio::test]
async fn caching_sha2_fast_auth_then_query_with_eof_packets() {
    fast_auth_then_query(false).await;
}

#[tokio::test]
async fn caching_sha2_wrong_password_is_the_servers_error() {
    let g = Greeting::mysql("8.0.36", "caching_sha2_password");
    let (port, server) = spawn_server(move |mut s| async move {
        let hello = s.greet(&g, None).await.unwrap();
        assert_ne!(
            hello.auth_response,
            sha2_scramble(PASSWORD.as_bytes(), &g.nonce)
        );
        s.send_err(
            1045,
            "28000",
            "Access denied for user 'repl'@'localhost' (using password: YES)",
        )
        .await
        .unwrap();
    })
    .await;
    let err = within(Connection::connect(&client_options(port, "wrong")))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Server(e) if e.code == 1045),
        "{err:?}"
    );
    server.await.unwrap();
}

/// Full authentication over plain TCP; the server asks for it with `0x04`. Returns every
/// packet the client sent after its HandshakeResponse41.
async fn caching_sha2_full_auth_plain(
    options: ConnectOptions,
) -> (Result<Connection, Error>, Vec<Vec<u8>>) {
    let g = Greeting::mysql("8.0.36", "caching_sha2_password");
    let (port, server) = spawn_server(move |mut s| async move {
        let mut sent = Vec::new();
        let hello = s.greet(&g, None).await.unwrap();
        assert_eq!(
            hello.auth_response,
            sha2_scramble(PASSWORD.as_bytes(), &g.nonce)
        );
        s.send(&[0x01, 0x04]).await.unwrap(); // perform_full_authentication
        let Ok(mut packet) = s.recv().await else {
            return sent;
        };
        sent.push(packet.clone());
        if packet == [0x02] {
            let mut key = vec![0x01];
            key.extend_from_slice(SERVER_PUBLIC_KEY.as_bytes());
            s.send(&key).await.unwrap();
            packet = s.recv().await.unwrap();
            sent.push(packet.clone());
        }
        assert_eq!(packet.len(), 128, "RSA ciphertext of the 1024-bit key");
        assert_eq!(rsa_recover_password(&packet, &g.nonce), with_nul(PASSWORD));
        s.send_ok().await.unwrap();
        sent
    })
    .await;
    let mut options = options;
    options.port = port;
    let conn = within(Connection::connect(&options)).await;
    (conn, server.await.unwrap())
}

#[tokio::test]
async fn caching_sha2_full_auth_requests_the_public_key() {
    let options = ConnectOptions {
        request_public_key: true,
        ..client_options(0, PASSWORD)
    };
    let (conn, sent) = caching_sha2_full_auth_plain(options).await;
    conn.unwrap();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0], [0x02], "request_public_key");
}

#[tokio::test]
async fn caching_sha2_full_auth_with_a_configured_public_key() {
    let options = ConnectOptions {
        server_public_key: Some(SERVER_PUBLIC_KEY.as_bytes().to_vec()),
        ..client_options(0, PASSWORD)
    };
    let (conn, sent) = caching_sha2_full_auth_plain(options).await;
    conn.unwrap();
    assert_eq!(sent.len(), 1, "the ciphertext only");
    assert!(
        !sent.iter().any(|p| p == &[0x02]),
        "the client asked for the key it was given"
    );
}

#[tokio::test]
async fn caching_sha2_full_auth_without_tls_or_key_is_refused() {
    let started = Instant::now();
    let (conn, sent) = caching_sha2_full_auth_plain(client_options(0, PASSWORD)).await;
    let err = conn.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InsecureAuth {
                plugin: "caching_sha2_password",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        sent.is_empty(),
        "the client sent something after 0x04: {sent:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn caching_sha2_full_auth_over_tls() {
    let acceptor = tls_acceptor();
    let g = Greeting::mysql("8.0.36", "caching_sha2_password").with_tls();
    let (port, server) = spawn_server(move |mut s| async move {
        let hello = s.greet(&g, Some(&acceptor)).await.unwrap();
        assert!(
            hello.tls,
            "HandshakeResponse41 must come after the SSLRequest, inside TLS"
        );
        assert_eq!(
            hello.auth_response,
            sha2_scramble(PASSWORD.as_bytes(), &g.nonce)
        );
        s.send(&[0x01, 0x04]).await.unwrap();
        assert_eq!(
            s.recv().await.unwrap(),
            with_nul(PASSWORD),
            "password + NUL in clear inside TLS"
        );
        s.send_ok().await.unwrap();
        assert_eq!(s.recv_command().await.unwrap(), b"\x03SELECT 1");
        s.send_result_set(&["1"], &[vec![Some("1")]]).await.unwrap();
    })
    .await;
    let options = ConnectOptions {
        tls: TlsOptions {
            mode: TlsMode::Required,
            ..TlsOptions::default()
        },
        ..client_options(port, PASSWORD)
    };
    let mut conn = within(Connection::connect(&options)).await.unwrap();
    assert!(conn.is_tls());
    assert_eq!(
        within(conn.query("SELECT 1"))
            .await
            .unwrap()
            .first_value(0)
            .as_deref(),
        Some("1")
    );
    server.await.unwrap();
}

#[tokio::test]
async fn tls_required_but_not_offered() {
    let g = Greeting::mysql("8.0.36", "caching_sha2_password");
    let (port, _server) = spawn_server(move |mut s| async move {
        let _ = s.greet(&g, None).await;
    })
    .await;
    let options = ConnectOptions {
        tls: TlsOptions {
            mode: TlsMode::Required,
            ..TlsOptions::default()
        },
        ..client_options(port, PASSWORD)
    };
    let err = within(Connection::connect(&options)).await.unwrap_err();
    assert!(
        matches!(err, Error::TlsUnavailable { mode: "required" }),
        "{err:?}"
    );
}

#[tokio::test]
async fn sha256_password_requests_the_public_key() {
    let g = Greeting::mysql("8.0.36", "sha256_password");
    let (port, server) = spawn_server(move |mut s| async move {
        let hello = s.greet(&g, None).await.unwrap();
        assert_eq!(hello.plugin.as_deref(), Some("sha256_password"));
        assert_eq!(
            hello.auth_response,
            [0x01],
            "public key request in the first response"
        );
        let mut key = vec![0x01];
        key.extend_from_slice(SERVER_PUBLIC_KEY.as_bytes());
        s.send(&key).await.unwrap();
        let ciphertext = s.recv().await.unwrap();
        assert_eq!(
            rsa_recover_password(&ciphertext, &g.nonce),
            with_nul(PASSWORD)
        );
        s.send_ok().await.unwrap();
    })
    .await;
    let options = ConnectOptions {
        request_public_key: true,
        ..client_options(port, PASSWORD)
    };
    within(Connection::connect(&options)).await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn sha256_password_with_a_configured_public_key() {
    let g = Greeting::mysql("8.0.36", "sha256_password");
    let (port, server) = spawn_server(move |mut s| async move {
        let hello = s.greet(&g, None).await.unwrap();
        assert_eq!(
            hello.auth_response.len(),
            128,
            "the RSA ciphertext right away"
        );
        assert_eq!(
            rsa_recover_password(&hello.auth_response, &g.nonce),
            with_nul(PASSWORD)
        );
        s.send_ok().await.unwrap();
    })
    .await;
    let options = ConnectOptions {
        server_public_key: Some(SERVER_PUBLIC_KEY.as_bytes().to_vec()),
        ..client_options(port, PASSWORD)
    };
    within(Connection::connect(&options)).await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn sha256_password_over_tls() {
    let acceptor = tls_acceptor();
    let g = Greeting::mysql("8.0.36", "sha256_password").with_tls();
    let (port, server) = spawn_server(move |mut s| async move {
        let hello = s.greet(&g, Some(&acceptor)).await.unwrap();
        assert!(hello.tls);
        assert_eq!(
            hello.auth_response,
            with_nul(PASSWORD),
            "password + NUL inside TLS"
        );
        s.send_ok().await.unwrap();
    })
    .await;
    let options = ConnectOptions {
        tls: TlsOptions {
            mode: TlsMode::Required,
            ..TlsOptions::default()
        },
        ..client_options(port, PASSWORD)
    };
    let conn = within(Connection::connect(&options)).await.unwrap();
    assert!(conn.is_tls());
    server.await.unwrap();
}

#[tokio::test]
async fn sha256_password_without_tls_or_key_is_refused() {
    let g = Greeting::mysql("8.0.36", "sha256_password");
    let (port, server) = spawn_server(move |mut s| async move {
        // The client must not even answer the greeting.
        s.send(&g.encode()).await.unwrap();
        s.recv().await.is_err()
    })
    .await;
    let err = within(Connection::connect(&client_options(port, PASSWORD)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InsecureAuth {
                plugin: "sha256_password",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        server.await.unwrap(),
        "the client sent a HandshakeResponse41"
    );
}

#[tokio::test]
async fn auth_switch_from_native_to_caching_sha2() {
    let g = Greeting::mysql("8.0.36", "mysql_native_password");
    let switch_nonce: [u8; 20] = *b"0123456789abcdefghij";
    let (port, server) = spawn_server(move |mut s| async move {
        let hello = s.greet(&g, None).await.unwrap();
        assert_eq!(hello.plugin.as_deref(), Some("mysql_native_password"));
        assert_eq!(
            hello.auth_response,
            native_scramble(PASSWORD.as_bytes(), &g.nonce),
            "native scramble"
        );
        let mut switch = vec![0xfe];
        switch.extend_from_slice(b"caching_sha2_password\0");
        switch.extend_from_slice(&switch_nonce);
        switch.push(0);
        s.send(&switch).await.unwrap();
        let response = s.recv().await.unwrap();
        assert_eq!(
            response,
            sha2_scramble(PASSWORD.as_bytes(), &switch_nonce),
            "scramble of the new nonce"
        );
        s.send(&[0x01, 0x03]).await.unwrap();
        s.send_ok().await.unwrap();
        assert_eq!(s.recv_command().await.unwrap(), b"\x03SELECT 1");
        s.send_result_set(&["1"], &[vec![Some("1")]]).await.unwrap();
    })
    .await;
    let mut conn = within(Connection::connect(&client_options(port, PASSWORD)))
        .await
        .unwrap();
    assert_eq!(
        within(conn.query("SELECT 1"))
            .await
            .unwrap()
            .first_value(0)
            .as_deref(),
        Some("1")
    );
    server.await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Replication: COM_BINLOG_DUMP_GTID, set-up statements, semi-sync
// ---------------------------------------------------------------------------------------

const UUID_A: &str = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const UUID_B: &str = "0b4f2c22-1f32-11ef-8e4d-0242ac110002";

/// `Gtid_set::encode` (MySQL `sql/rpl_gtid_set.cc`), untagged format: the number of SIDs
/// (8 bytes), then per SID in UUID order: the 16 UUID bytes, the number of intervals
/// (8 bytes), and each interval as `[start, end)` (2 × 8 bytes).
fn mysql_gtid_set_encoding(sids: &[(&str, &[(u64, u64)])]) -> Vec<u8> {
    let mut sorted: Vec<_> = sids.iter().map(|(u, iv)| (uuid_bytes(u), *iv)).collect();
    sorted.sort();
    let mut out = (sorted.len() as u64).to_le_bytes().to_vec();
    for (uuid, intervals) in sorted {
        out.extend_from_slice(&uuid);
        out.extend_from_slice(&(intervals.len() as u64).to_le_bytes());
        for &(first, last) in intervals {
            out.extend_from_slice(&first.to_le_bytes());
            out.extend_from_slice(&(last + 1).to_le_bytes());
        }
    }
    out
}

async fn next_event(stream: &mut ReplicationStream) -> BinlogEvent {
    match within(stream.next()).await.unwrap() {
        StreamItem::Event(e) => e,
        other => panic!("expected an event, got {other:?}"),
    }
}

/// A MySQL source of `version`: the replica's set-up statements, COM_BINLOG_DUMP_GTID with a
/// GTID set, and a stream of events (with a gap, as when the source skips transactions the
/// replica has) that the client must place at the right positions.
async fn mysql_gtid_dump(version: &'static str, semi_sync_variable: &'static str) -> Vec<String> {
    const FILE: &str = "binlog.000003";
    let source = Source {
        server_id: 11,
        gtid_executed: format!("{UUID_A}:1-25,\n{UUID_B}:1-3"),
        ..Source::default()
    };
    let greeting = Greeting::mysql(version, "caching_sha2_password");
    assert!(
        greeting.capabilities & caps::LONG_PASSWORD != 0,
        "CLIENT_MYSQL: a MySQL server"
    );

    // What the source will send, and where each event sits.
    let mut file = BinlogWriter::new(source.server_id, true);
    let mut events: Vec<(Option<u64>, Vec<u8>)> =
        vec![(None, artificial_rotate(source.server_id, FILE, 4, true))];
    let (p, e) = file.next(
        event_type::FORMAT_DESCRIPTION,
        &format_description_body(version, true),
    );
    events.push((Some(p), e));
    let (p, e) = file.next(event_type::PREVIOUS_GTIDS, &[0u8; 16]);
    events.push((Some(p), e));
    file.skip(1_000); // transactions 1-5 and 11-18 of UUID_A: the replica has them
    for (ty, body) in [
        (event_type::GTID, vec![1u8; 42]),
        (
            event_type::QUERY,
            b"\0\0\0\0\0\0\0\0\0\0\0\0\0BEGIN".to_vec(),
        ),
        (event_type::XID, 77u64.to_le_bytes().to_vec()),
    ] {
        let (p, e) = file.next(ty, &body);
        events.push((Some(p), e));
    }
    let end = file.pos;

    let sent = events.clone();
    let src = source.clone();
    let (port, server) = spawn_server(move |mut s| async move {
        let setup = s.accept_replica(&greeting, &src).await.unwrap();
        for (_, e) in &sent {
            s.send_event(e, None).await.unwrap();
        }
        s.send_eof().await.unwrap();
        setup
    })
    .await;

    let start: binvault_protocol::gtid::MysqlGtidSet =
        format!("{UUID_A}:1-5:11-18,{UUID_B}:1-3").parse().unwrap();
    let options = ReplicaOptions {
        server_id: 0x0102_0304,
        start: StartPosition::MysqlGtid(start),
        heartbeat_period: Duration::from_secs(2),
        stop_at_end: true,
        ..ReplicaOptions::default()
    };
    let conn = within(Connection::connect(&client_options(port, PASSWORD)))
        .await
        .unwrap();
    let mut stream = within(conn.start_replication(&options)).await.unwrap();
    let info = stream.source().clone();
    assert_eq!(info.flavor, Flavor::MySql);
    assert_eq!(info.version, version);
    assert_eq!(info.server_id, 11);
    assert_eq!(info.server_uuid.as_deref(), Some(UUID_A));
    assert!(info.checksum);
    assert_eq!(
        info.gtid_position.as_deref(),
        Some(&*format!("{UUID_A}:1-25,{UUID_B}:1-3"))
    );
    assert!(!info.semi_sync_enabled);
    assert!(!stream.is_semi_sync());

    for (i, (position, raw)) in events.iter().enumerate() {
        let e = next_event(&mut stream).await;
        assert_eq!(&e.raw[..], &raw[..], "event {i} byte-identical");
        assert_eq!(e.position, *position, "event {i} position");
        if i > 0 {
            assert_eq!(&e.file[..], FILE.as_bytes(), "event {i} file");
        }
        assert!(!e.needs_ack);
    }
    assert_eq!(within(stream.next()).await.unwrap(), StreamItem::End);
    assert_eq!(
        stream.position(),
        (&bytes::Bytes::from_static(FILE.as_bytes()), end)
    );

    let setup = server.await.unwrap();
    // COM_REGISTER_SLAVE: the replica's server id.
    let mut r = Cursor::new(&setup.register);
    assert_eq!((r.u8(), r.u32()), (0x15, 0x0102_0304));
    // COM_BINLOG_DUMP_GTID, decoded field by field.
    let mut d = Cursor::new(&setup.dump);
    assert_eq!(d.u8(), 0x1e, "COM_BINLOG_DUMP_GTID");
    assert_eq!(
        d.u16(),
        0x04 | 0x01,
        "BINLOG_THROUGH_GTID | BINLOG_DUMP_NON_BLOCK"
    );
    assert_eq!(d.u32(), 0x0102_0304, "server id");
    let name_len = d.u32() as usize;
    assert_eq!(d.take(name_len), b"", "file name");
    assert_eq!(d.u64(), 4, "position");
    let data_len = d.u32() as usize;
    let data = d.take(data_len);
    assert_eq!(d.rest(), b"", "nothing after the GTID set");
    let want = mysql_gtid_set_encoding(&[(UUID_A, &[(1, 5), (11, 18)]), (UUID_B, &[(1, 3)])]);
    assert_eq!(data, &want[..], "Gtid_set::encode layout");
    assert_eq!(data_len, 8 + 2 * (16 + 8) + 3 * 16);

    // The client must have asked about semi-sync under the name the version uses.
    assert!(setup
        .queries
        .iter()
        .any(|q| q.starts_with("SHOW GLOBAL VARIABLES") && q.contains(semi_sync_variable)));
    assert!(
        setup
            .queries
            .contains(&"SET @master_heartbeat_period = 2000000000".to_owned()),
        "{:?}",
        setup.queries
    );
    assert!(
        setup
            .queries
            .iter()
            .any(|q| q.starts_with("SET @master_binlog_checksum")),
        "{:?}",
        setup.queries
    );
    assert!(
        !setup.queries.iter().any(|q| q.contains("mariadb")),
        "{:?}",
        setup.queries
    );
    setup.queries
}

#[tokio::test]
async fn mysql_8_0_binlog_dump_gtid() {
    let queries = mysql_gtid_dump("8.0.36", "rpl_semi_sync_source_enabled").await;
    assert!(
        queries
            .iter()
            .any(|q| q.starts_with("SET @source_binlog_checksum")),
        "{queries:?}"
    );
    assert!(
        queries.contains(&"SET @source_heartbeat_period = 2000000000".to_owned()),
        "{queries:?}"
    );
}

#[tokio::test]
async fn mysql_8_4_sets_the_source_variables() {
    let queries = mysql_gtid_dump("8.4.3", "rpl_semi_sync_source_enabled").await;
    assert!(
        queries
            .iter()
            .any(|q| q.starts_with("SET @source_binlog_checksum")),
        "{queries:?}"
    );
    assert!(
        queries.contains(&"SET @source_heartbeat_period = 2000000000".to_owned()),
        "{queries:?}"
    );
}

#[tokio::test]
async fn mysql_5_7_uses_the_old_names_only() {
    let queries = mysql_gtid_dump("5.7.44-log", "rpl_semi_sync_master_enabled").await;
    assert!(
        !queries.iter().any(|q| q.contains("@source_")),
        "{queries:?}"
    );
}

#[tokio::test]
async fn semi_sync_acks_only_when_asked() {
    const FILE: &str = "binlog.000001";
    let source = Source {
        semi_sync_variable: Some("rpl_semi_sync_source_enabled"),
        ..Source::default()
    };
    let greeting = Greeting::mysql("8.0.36", "caching_sha2_password");
    let mut file = BinlogWriter::new(source.server_id, true);
    let rotate = artificial_rotate(source.server_id, FILE, 4, true);
    let (_, fde) = file.next(
        event_type::FORMAT_DESCRIPTION,
        &format_description_body("8.0.36", true),
    );
    let (_, a) = file.next(event_type::QUERY, b"\0\0\0\0\0\0\0\0\0\0\0\0\0BEGIN");
    let (b_pos, b) = file.next(event_type::XID, &9u64.to_le_bytes());
    let b_end = file.pos;
    assert_eq!(b_end, b_pos + b.len() as u64);

    let src = source.clone();
    let (port, server) = spawn_server(move |mut s| async move {
        let setup = s.accept_replica(&greeting, &src).await.unwrap();
        s.send_event(&rotate, Some(0)).await.unwrap();
        s.send_event(&fde, Some(0)).await.unwrap();
        s.send_event(&a, Some(0x01)).await.unwrap();
        // The client reads A and does not call ack(): nothing may arrive.
        let unasked = s.recv_within(Duration::from_millis(400)).await;
        let resume_seq = s.seq();
        s.send_event(&b, Some(0x01)).await.unwrap();
        let ack = s.recv_command().await.unwrap();
        // Restart the numbering after the ack, as MariaDB does (the client accepts either).
        s.set_seq(1);
        s.send_eof().await.unwrap();
        (setup, unasked.map(|r| r.unwrap()), resume_seq, ack)
    })
    .await;

    let options = ReplicaOptions {
        start: StartPosition::File {
            name: FILE.into(),
            position: 4,
        },
        semi_sync: true,
        stop_at_end: true,
        ..ReplicaOptions::default()
    };
    let conn = within(Connection::connect(&client_options(port, PASSWORD)))
        .await
        .unwrap();
    let mut stream = within(conn.start_replication(&options)).await.unwrap();
    assert!(stream.source().semi_sync_enabled);
    assert!(stream.is_semi_sync());
    let e = next_event(&mut stream).await;
    assert!(!e.needs_ack);
    within(stream.ack(&e)).await.unwrap(); // ignored: nothing to acknowledge
    let e = next_event(&mut stream).await;
    assert!(!e.needs_ack);
    within(stream.ack(&e)).await.unwrap(); // ignored
    let e = next_event(&mut stream).await;
    assert!(e.needs_ack, "A asks for an ack");
    let e = next_event(&mut stream).await;
    assert!(e.needs_ack, "B asks for an ack");
    assert_eq!((e.position, e.end_position()), (Some(b_pos), Some(b_end)));
    within(stream.ack(&e)).await.unwrap();
    assert_eq!(within(stream.next()).await.unwrap(), StreamItem::End);

    let (setup, unasked, resume_seq, ack) = server.await.unwrap();
    assert!(
        unasked.is_none(),
        "the client sent {unasked:?} without ack()"
    );
    assert!(resume_seq > 1);
    let mut want = vec![0xef];
    want.extend_from_slice(&b_end.to_le_bytes());
    want.extend_from_slice(FILE.as_bytes());
    assert_eq!(ack, want, "0xef, end position (u64 LE), file name");
    assert!(
        setup
            .queries
            .contains(&"SET @rpl_semi_sync_slave = 1".to_owned()),
        "{:?}",
        setup.queries
    );
    assert!(
        setup
            .queries
            .contains(&"SET @rpl_semi_sync_replica = 1".to_owned()),
        "{:?}",
        setup.queries
    );
    // A file start on MySQL uses COM_BINLOG_DUMP: position (u32), flags, server id, file.
    let mut d = Cursor::new(&setup.dump);
    assert_eq!(d.u8(), 0x12);
    assert_eq!(d.u32(), 4);
    assert_eq!(d.u16(), 0x01, "BINLOG_DUMP_NON_BLOCK");
    assert_eq!(d.u32(), options.server_id);
    assert_eq!(d.rest(), FILE.as_bytes());
}

#[test]
fn crc32_check_value() {
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
}
