//! The driver against a hostile or broken server (the scripted fake of `common/`): truncated
//! packets, lengths that lie, sequence-id jumps, a payload announced as 1 GiB, garbage
//! greetings, silence. Each case must end in a typed error within 2 s, with bounded memory.
//!
//! Memory is measured (on Linux) as the process's peak resident set (`VmHWM` in
//! `/proc/self/status`, reset through `/proc/self/clear_refs`), not with a counting
//! `#[global_allocator]`: that needs `unsafe impl GlobalAlloc`, which the workspace forbids
//! (`unsafe_code = "forbid"` cannot be relaxed per file). The tests of this binary run one at
//! a time (`SERIAL`), so the peak is the running test's own.

// Test code: a failed step panics with its message. clippy.toml allows unwrap/expect inside
// #[test] functions only; the async helpers and server scripts here need it too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use binvault_protocol::binlog::{StreamItem, ROTATE_EVENT};
use binvault_protocol::driver::{
    ConnectOptions, Connection, ReplicaOptions, ReplicationStream, StartPosition,
};
use binvault_protocol::Error;
use common::{
    artificial_rotate, client_options, event, event_type, format_description_body, spawn_server,
    BinlogWriter, Greeting, ServerConn, Source,
};
use tokio::sync::Mutex;

/// One test at a time: the memory figures are per process.
static SERIAL: Mutex<()> = Mutex::const_new(());

/// Every failure must be reported within this.
const QUICK: Duration = Duration::from_secs(2);

/// Runs the failing client step; it must end within [`QUICK`]. Prints and returns its time.
async fn quick<T>(case: &str, fut: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let out = tokio::time::timeout(QUICK, fut)
        .await
        .unwrap_or_else(|_| panic!("{case}: no error within {QUICK:?}"));
    let elapsed = started.elapsed();
    eprintln!("{case}: failed after {:.1} ms", elapsed.as_secs_f64() * 1e3);
    (out, elapsed)
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"));
    line.split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("a number of kB")
}

/// Resident memory now and the peak since [`reset_peak`], in bytes.
fn rss() -> u64 {
    status_kib("VmRSS:") * 1024
}

fn peak_rss() -> u64 {
    status_kib("VmHWM:") * 1024
}

/// Resets the peak to the current resident size (Linux ≥ 4.0). If the kernel refuses, the
/// peak covers the whole process so far, which only makes the bound stricter.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

const MIB: u64 = 1 << 20;

fn replica_options() -> ReplicaOptions {
    ReplicaOptions {
        start: StartPosition::File {
            name: "binlog.000001".into(),
            position: 4,
        },
        stop_at_end: true,
        ..ReplicaOptions::default()
    }
}

async fn replica_stream(options: &ConnectOptions, replica: &ReplicaOptions) -> ReplicationStream {
    let conn = Connection::connect(options).await.expect("connect");
    conn.start_replication(replica)
        .await
        .expect("start replication")
}

/// A fake source that runs the replica set-up, sends the artificial rotate and the format
/// description, then runs `then` (the hostile part).
async fn hostile_source<F, Fut>(then: F) -> u16
where
    F: FnOnce(ServerConn) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (port, _server) = spawn_server(move |mut s| async move {
        let src = Source::default();
        s.accept_replica(&Greeting::mysql("8.0.36", "mysql_native_password"), &src)
            .await
            .unwrap();
        let mut file = BinlogWriter::new(src.server_id, true);
        s.send_event(
            &artificial_rotate(src.server_id, "binlog.000001", 4, true),
            None,
        )
        .await
        .unwrap();
        let (_, fde) = file.next(
            event_type::FORMAT_DESCRIPTION,
            &format_description_body("8.0.36", true),
        );
        s.send_event(&fde, None).await.unwrap();
        then(s).await;
    })
    .await;
    port
}

/// The stream of [`hostile_source`] with its two good events read.
async fn stream_past_the_good_events(port: u16) -> ReplicationStream {
    let mut stream = replica_stream(&client_options(port, "pw"), &replica_options()).await;
    for _ in 0..2 {
        assert!(matches!(stream.next().await.unwrap(), StreamItem::Event(_)));
    }
    stream
}

// ---------------------------------------------------------------------------------------
// Truncation
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn greeting_cut_mid_packet() {
    let _serial = SERIAL.lock().await;
    let (port, _server) = spawn_server(|mut s| async move {
        let greeting = Greeting::mysql("8.0.36", "caching_sha2_password").encode();
        let mut raw = (greeting.len() as u32).to_le_bytes().to_vec();
        raw[3] = 0;
        raw.extend_from_slice(&greeting[..20]);
        s.write_raw(&raw).await.unwrap();
        // dropping `s` closes the connection
    })
    .await;
    let (r, _) = quick(
        "greeting cut mid-packet",
        Connection::connect(&client_options(port, "pw")),
    )
    .await;
    let err = r.unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err:?}");
}

#[tokio::test]
async fn greeting_packet_with_a_truncated_payload() {
    let _serial = SERIAL.lock().await;
    let (port, _server) = spawn_server(|mut s| async move {
        let greeting = Greeting::mysql("8.0.36", "caching_sha2_password").encode();
        s.send(&greeting[..20]).await.unwrap();
        s.wait_closed(QUICK).await;
    })
    .await;
    let (r, _) = quick(
        "greeting payload truncated",
        Connection::connect(&client_options(port, "pw")),
    )
    .await;
    let err = r.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Truncated {
                message: "Initial Handshake v10",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn query_answer_shorter_than_its_length() {
    let _serial = SERIAL.lock().await;
    let (port, _server) = spawn_server(|mut s| async move {
        s.accept_login(&Greeting::mysql("8.0.36", "mysql_native_password"))
            .await
            .unwrap();
        s.recv_command().await.unwrap();
        // says 1000 bytes, sends 10, closes
        let mut raw = vec![0xe8, 0x03, 0x00, s.seq()];
        raw.extend_from_slice(&[1; 10]);
        s.write_raw(&raw).await.unwrap();
    })
    .await;
    let mut conn = Connection::connect(&client_options(port, "pw"))
        .await
        .unwrap();
    let (r, _) = quick("packet length 1000, 10 bytes sent", conn.query("SELECT 1")).await;
    let err = r.unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err:?}");
}

#[tokio::test]
async fn event_packet_cut_mid_stream() {
    let _serial = SERIAL.lock().await;
    let port = hostile_source(|mut s| async move {
        let e = event(event_type::QUERY, 1, 500, 0, &[0; 100], true);
        let mut raw = ((e.len() + 1) as u32).to_le_bytes().to_vec();
        raw[3] = s.seq();
        raw.push(0);
        raw.extend_from_slice(&e[..50]);
        s.write_raw(&raw).await.unwrap();
    })
    .await;
    let mut stream = stream_past_the_good_events(port).await;
    let (r, _) = quick("event packet cut", stream.next()).await;
    let err = r.unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------
// Lengths that lie
// ---------------------------------------------------------------------------------------

async fn event_size_lie(case: &str, declared: u32) {
    let port = hostile_source(move |mut s| async move {
        let mut e = event(event_type::QUERY, 1, 500, 0, &[0; 100], true);
        e[9..13].copy_from_slice(&declared.to_le_bytes());
        s.send_event(&e, None).await.unwrap();
        s.wait_closed(QUICK).await;
    })
    .await;
    let mut stream = stream_past_the_good_events(port).await;
    let (r, _) = quick(case, stream.next()).await;
    let err = r.unwrap_err();
    let real = 19 + 100 + 4;
    assert!(
        matches!(err, Error::EventLength { declared: d, received }
            if d == declared as usize && received == real),
        "{err:?}"
    );
}

#[tokio::test]
async fn event_size_larger_than_the_packet() {
    let _serial = SERIAL.lock().await;
    event_size_lie("event_size > packet", 19 + 100 + 4 + 1).await;
}

#[tokio::test]
async fn event_size_smaller_than_the_packet() {
    let _serial = SERIAL.lock().await;
    event_size_lie("event_size < packet", 30).await;
}

#[tokio::test]
async fn event_size_of_a_gigabyte() {
    let _serial = SERIAL.lock().await;
    let before = rss();
    reset_peak();
    event_size_lie("event_size 1 GiB", 1 << 30).await;
    let grown = peak_rss().saturating_sub(before);
    eprintln!(
        "event_size 1 GiB: peak RSS growth {:.1} MiB",
        grown as f64 / MIB as f64
    );
    assert!(grown < 16 * MIB);
}

#[tokio::test]
async fn rotate_too_short_for_its_position() {
    let _serial = SERIAL.lock().await;
    let port = hostile_source(|mut s| async move {
        // a real rotate (log_pos set) whose body lacks the 8-byte position
        s.send_event(&event(ROTATE_EVENT, 1, 200, 0, &[1, 2, 3], true), None)
            .await
            .unwrap();
        s.wait_closed(QUICK).await;
    })
    .await;
    let mut stream = stream_past_the_good_events(port).await;
    let (r, _) = quick("rotate without position", stream.next()).await;
    let err = r.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Truncated {
                message: "rotate event",
                ..
            }
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Sequence ids
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn sequence_id_jump_in_the_binlog_stream() {
    let _serial = SERIAL.lock().await;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let port = hostile_source(|mut s| async move {
        let expected = s.seq();
        s.set_seq(expected.wrapping_add(3));
        let _ = tx.send(expected);
        s.send_event(&event(event_type::QUERY, 1, 500, 0, &[0; 10], true), None)
            .await
            .unwrap();
        s.wait_closed(QUICK).await;
    })
    .await;
    let mut stream = stream_past_the_good_events(port).await;
    let (r, _) = quick("sequence id jump", stream.next()).await;
    let err = r.unwrap_err();
    let expected = rx.await.unwrap();
    assert!(
        matches!(err, Error::SequenceMismatch { layer: "packet", expected: e, found }
            if e == expected && found == expected.wrapping_add(3)),
        "{err:?}"
    );
}

#[tokio::test]
async fn sequence_id_jump_during_authentication() {
    let _serial = SERIAL.lock().await;
    let (port, _server) = spawn_server(|mut s| async move {
        s.greet(&Greeting::mysql("8.0.36", "mysql_native_password"), None)
            .await
            .unwrap();
        s.set_seq(7); // the OK should have sequence id 2
        s.send_ok().await.unwrap();
        s.wait_closed(QUICK).await;
    })
    .await;
    let (r, _) = quick(
        "sequence id jump (auth)",
        Connection::connect(&client_options(port, "pw")),
    )
    .await;
    let err = r.unwrap_err();
    assert!(
        matches!(
            err,
            Error::SequenceMismatch {
                expected: 2,
                found: 7,
                ..
            }
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Payloads announced as huge
// ---------------------------------------------------------------------------------------

/// 64 packets of `0xffffff` bytes chained: a binlog event of 1 GiB − 64 bytes. With a 64 MiB
/// limit the client must stop at the fifth header (the declared total passes the limit),
/// having buffered at most the limit.
#[tokio::test]
async fn gigabyte_payload_is_refused_from_its_headers() {
    let _serial = SERIAL.lock().await;
    const MAX: usize = 64 << 20;
    const FULL: u64 = 0xff_ffff;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let port = hostile_source(|mut s| async move {
        let zeros = vec![0u8; 1 << 20];
        'packets: for _ in 0..64 {
            let seq = s.seq();
            s.set_seq(seq.wrapping_add(1));
            if s.write_raw(&[0xff, 0xff, 0xff, seq]).await.is_err() {
                break;
            }
            let mut left = FULL as usize;
            while left > 0 {
                let n = left.min(zeros.len());
                if s.write_raw(&zeros[..n]).await.is_err() {
                    break 'packets;
                }
                left -= n;
            }
        }
        let _ = tx.send(s.written);
    })
    .await;
    let options = ConnectOptions {
        max_packet_size: MAX,
        ..client_options(port, "pw")
    };
    let mut stream = replica_stream(&options, &replica_options()).await;
    for _ in 0..2 {
        assert!(matches!(stream.next().await.unwrap(), StreamItem::Event(_)));
    }
    let before = rss();
    reset_peak();
    let (r, _) = quick("1 GiB payload (64 MiB limit)", stream.next()).await;
    let peak = peak_rss();
    drop(stream);
    let written = rx.await.unwrap();
    let err = r.unwrap_err();
    assert!(
        matches!(err, Error::PayloadTooLarge { layer: "packet", size, max }
            if size == 5 * FULL && max == MAX),
        "{err:?}"
    );
    let grown = peak.saturating_sub(before);
    eprintln!(
        "1 GiB payload: peak RSS growth {:.1} MiB (limit {} MiB); the server got {:.1} MiB out",
        grown as f64 / MIB as f64,
        MAX >> 20,
        written as f64 / MIB as f64
    );
    assert!(grown < 100 * MIB, "peak RSS grew by {grown} bytes");
    // The client stopped reading: the source could not push much beyond the limit (the rest
    // is socket buffers).
    assert!(
        written < MAX as u64 + 2 * FULL,
        "the server wrote {written} bytes"
    );
}

#[tokio::test]
async fn packet_larger_than_the_limit_is_refused_from_its_header() {
    let _serial = SERIAL.lock().await;
    let (port, _server) = spawn_server(|mut s| async move {
        s.write_raw(&[0xff, 0xff, 0xff, 0]).await.unwrap();
        s.wait_closed(QUICK).await;
    })
    .await;
    let options = ConnectOptions {
        max_packet_size: 1 << 20,
        ..client_options(port, "pw")
    };
    let (r, _) = quick(
        "16 MiB greeting (1 MiB limit)",
        Connection::connect(&options),
    )
    .await;
    let err = r.unwrap_err();
    assert!(
        matches!(
            err,
            Error::PayloadTooLarge {
                size: 0xff_ffff,
                max: 0x10_0000,
                ..
            }
        ),
        "{err:?}"
    );
}

/// A query answered with length-encoded integers that claim up to 1 GiB.
async fn lying_result_set(case: &str, packets: Vec<Vec<u8>>) -> Error {
    let (port, _server) = spawn_server(move |mut s| async move {
        s.accept_login(&Greeting::mysql("8.0.36", "mysql_native_password"))
            .await
            .unwrap();
        s.recv_command().await.unwrap();
        for p in packets {
            s.send(&p).await.unwrap();
        }
        s.wait_closed(QUICK).await;
    })
    .await;
    let mut conn = Connection::connect(&client_options(port, "pw"))
        .await
        .unwrap();
    let (r, _) = quick(case, conn.query("SELECT x")).await;
    r.unwrap_err()
}

#[tokio::test]
async fn lenenc_lengths_that_lie() {
    let _serial = SERIAL.lock().await;
    let before = rss();
    reset_peak();
    let column = ServerConn::column_definition("x");
    let gib = (1u64 << 30).to_le_bytes();

    // column count 0xfe + 8 bytes = 2^30 columns, then the end-of-rows packet where the next
    // column definition should be
    let count = [&[0xfe][..], &gib].concat();
    let err = lying_result_set(
        "column count 2^30",
        vec![count, column.clone(), vec![0xfe, 0, 0, 2, 0, 0, 0]],
    )
    .await;
    assert!(
        matches!(
            err,
            Error::Truncated {
                message: "ColumnDefinition41",
                ..
            }
        ),
        "{err:?}"
    );

    // column count cut inside its 8-byte integer
    let err = lying_result_set("column count truncated", vec![vec![0xfe, 0, 0, 0, 0x40]]).await;
    assert!(
        matches!(
            err,
            Error::Truncated {
                message: "column count",
                ..
            }
        ),
        "{err:?}"
    );

    // a column name of 16 MiB − 1 (0xfd) in a 30-byte packet
    let mut def = Vec::new();
    for s in ["def", "", "", ""] {
        common::put_lenenc_str(&mut def, s.as_bytes());
    }
    def.extend_from_slice(&[0xfd, 0xff, 0xff, 0xff, b'x', b'y']);
    let err = lying_result_set("column name 16 MiB", vec![vec![1], def]).await;
    assert!(
        matches!(
            err,
            Error::Truncated {
                message: "ColumnDefinition41",
                field: "name",
                ..
            }
        ),
        "{err:?}"
    );

    // rows of two columns whose second value claims 1 GiB (0xfe) or 64 KiB (0xfc) and has a
    // few bytes. (A row whose *first* byte is 0xfe in a packet under 16 MiB is, by the
    // protocol, the end-of-rows packet, not a row.)
    for (case, value) in [
        ("row value 1 GiB", [&[0xfe][..], &gib, b"abc"].concat()),
        ("row value 64 KiB", vec![0xfc, 0xff, 0xff, b'a']),
    ] {
        let row = [&[1, b'v'][..], &value].concat();
        let err = lying_result_set(case, vec![vec![2], column.clone(), column.clone(), row]).await;
        assert!(
            matches!(
                err,
                Error::Truncated {
                    message: "text result row",
                    ..
                }
            ),
            "{case}: {err:?}"
        );
    }
    let grown = peak_rss().saturating_sub(before);
    eprintln!(
        "lenenc lies: peak RSS growth {:.1} MiB",
        grown as f64 / MIB as f64
    );
    assert!(grown < 16 * MIB);
}

// ---------------------------------------------------------------------------------------
// Garbage, errors and silence
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn protocol_version_9_greeting() {
    let _serial = SERIAL.lock().await;
    let (port, _server) = spawn_server(|mut s| async move {
        let mut greeting = Greeting::mysql("8.0.36", "caching_sha2_password").encode();
        greeting[0] = 9;
        s.send(&greeting).await.unwrap();
        s.wait_closed(QUICK).await;
    })
    .await;
    let (r, _) = quick(
        "protocol version 9",
        Connection::connect(&client_options(port, "pw")),
    )
    .await;
    let err = r.unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedProtocolVersion { found: 9 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn err_packet_instead_of_a_greeting() {
    let _serial = SERIAL.lock().await;
    let (port, _server) = spawn_server(|mut s| async move {
        s.send_err(1040, "08004", "Too many connections")
            .await
            .unwrap();
        s.wait_closed(QUICK).await;
    })
    .await;
    let (r, _) = quick(
        "ERR greeting",
        Connection::connect(&client_options(port, "pw")),
    )
    .await;
    let err = r.unwrap_err();
    assert!(
        matches!(&err, Error::Server(e) if e.code == 1040),
        "{err:?}"
    );
}

/// xorshift64*: reproducible bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[tokio::test]
async fn random_greetings() {
    let _serial = SERIAL.lock().await;
    let mut rng = Rng(0x6276_5f67_7265_6574);
    let mut slowest = Duration::ZERO;
    for i in 0..64 {
        let len = (rng.next() % 120) as usize;
        let mut payload = rng.bytes(len);
        if i % 2 == 0 && !payload.is_empty() {
            payload[0] = 10; // get past the version check
        }
        let (port, _server) = spawn_server(move |mut s| async move {
            s.send(&payload).await.unwrap();
            // take the client's answer, if it sends one, then hang up
            let _ = s.recv_within(Duration::from_millis(300)).await;
        })
        .await;
        let options = ConnectOptions {
            connect_timeout: QUICK * 2,
            ..client_options(port, "pw")
        };
        let started = Instant::now();
        let r = tokio::time::timeout(QUICK, Connection::connect(&options))
            .await
            .expect("random greeting: hang");
        slowest = slowest.max(started.elapsed());
        let err = r.expect_err("a random greeting cannot log in");
        assert!(
            matches!(
                err,
                Error::UnsupportedProtocolVersion { .. }
                    | Error::Truncated { .. }
                    | Error::Unterminated { .. }
                    | Error::Unexpected { .. }
                    | Error::Server(_)
                    | Error::ConnectionClosed { .. }
                    | Error::Io { .. }
            ),
            "greeting {i}: {err:?}"
        );
    }
    eprintln!(
        "64 random greetings: slowest failed after {:.1} ms",
        slowest.as_secs_f64() * 1e3
    );
}

#[tokio::test]
async fn endless_auth_switches() {
    let _serial = SERIAL.lock().await;
    let (port, _server) = spawn_server(|mut s| async move {
        s.greet(&Greeting::mysql("8.0.36", "mysql_native_password"), None)
            .await
            .unwrap();
        loop {
            let mut switch = b"\xfemysql_native_password\0".to_vec();
            switch.extend_from_slice(b"01234567890123456789\0");
            if s.send(&switch).await.is_err() || s.recv().await.is_err() {
                return;
            }
        }
    })
    .await;
    let (r, _) = quick(
        "endless auth switches",
        Connection::connect(&client_options(port, "pw")),
    )
    .await;
    let err = r.unwrap_err();
    assert!(matches!(err, Error::TooManyAuthSwitches { .. }), "{err:?}");
}

#[tokio::test]
async fn garbage_public_key() {
    let _serial = SERIAL.lock().await;
    let (port, _server) = spawn_server(|mut s| async move {
        s.greet(&Greeting::mysql("8.0.36", "caching_sha2_password"), None)
            .await
            .unwrap();
        s.send(&[0x01, 0x04]).await.unwrap();
        assert_eq!(s.recv().await.unwrap(), [0x02]);
        s.send(b"\x01-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n")
            .await
            .unwrap();
        s.wait_closed(QUICK).await;
    })
    .await;
    let options = ConnectOptions {
        request_public_key: true,
        ..client_options(port, "pw")
    };
    let (r, _) = quick("garbage public key", Connection::connect(&options)).await;
    let err = r.unwrap_err();
    assert!(matches!(err, Error::PublicKey { .. }), "{err:?}");
}

#[tokio::test]
async fn silent_server_times_out_the_connect() {
    let _serial = SERIAL.lock().await;
    let (port, _server) = spawn_server(|mut s| async move {
        s.wait_closed(QUICK * 2).await;
    })
    .await;
    let options = ConnectOptions {
        connect_timeout: Duration::from_millis(500),
        ..client_options(port, "pw")
    };
    let (r, elapsed) = quick(
        "silent server (connect_timeout 500 ms)",
        Connection::connect(&options),
    )
    .await;
    let err = r.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { seconds, .. } if seconds == 0.5),
        "{err:?}"
    );
    assert!(elapsed >= Duration::from_millis(500));
}

#[tokio::test]
async fn silent_server_times_out_a_query() {
    let _serial = SERIAL.lock().await;
    let (port, _server) = spawn_server(|mut s| async move {
        s.accept_login(&Greeting::mysql("8.0.36", "mysql_native_password"))
            .await
            .unwrap();
        s.wait_closed(QUICK * 2).await;
    })
    .await;
    let options = ConnectOptions {
        read_timeout: Duration::from_millis(500),
        ..client_options(port, "pw")
    };
    let mut conn = Connection::connect(&options).await.unwrap();
    let (r, elapsed) = quick(
        "silent server (read_timeout 500 ms)",
        conn.query("SELECT 1"),
    )
    .await;
    let err = r.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { seconds, .. } if seconds == 0.5),
        "{err:?}"
    );
    assert!(elapsed >= Duration::from_millis(500));
}

#[tokio::test]
async fn silent_source_times_out_the_stream() {
    let _serial = SERIAL.lock().await;
    let port = hostile_source(|mut s| async move {
        s.wait_closed(QUICK * 2).await;
    })
    .await;
    let replica = ReplicaOptions {
        idle_timeout: Some(Duration::from_millis(500)),
        ..replica_options()
    };
    let mut stream = replica_stream(&client_options(port, "pw"), &replica).await;
    for _ in 0..2 {
        assert!(matches!(stream.next().await.unwrap(), StreamItem::Event(_)));
    }
    let (r, _) = quick("silent source (idle_timeout 500 ms)", stream.next()).await;
    let err = r.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { seconds, .. } if seconds == 0.5),
        "{err:?}"
    );
}
