use bytes::BytesMut;

use super::*;
use crate::handshake::tests::unhex;
use crate::packet::PacketReader;

const P41: CapabilityFlags = CapabilityFlags::CLIENT_PROTOCOL_41;

#[test]
fn ok_packet_protocol_41() {
    // 00 | lenenc affected rows 0xfc 0x2c01 (300) | lenenc last insert id 5 | status 0x0002 |
    // warnings 1 | info "Rows matched" (string<EOF>)
    let p = Bytes::from(
        [
            &[0x00, 0xfc, 0x2c, 0x01, 0x05, 0x02, 0x00, 0x01, 0x00][..],
            b"Rows matched",
        ]
        .concat(),
    );
    let ok = OkPacket::decode(&p, P41).ok();
    assert_eq!(
        ok,
        Some(OkPacket {
            header: 0,
            affected_rows: 300,
            last_insert_id: 5,
            status_flags: 2,
            warnings: 1,
            info: Bytes::from_static(b"Rows matched"),
            session_state_changes: None,
        })
    );
}

#[test]
fn ok_packet_session_track() {
    let caps = P41 | CapabilityFlags::CLIENT_SESSION_TRACK;
    // status has SERVER_SESSION_STATE_CHANGED (0x4000); info lenenc "" ; state lenenc 3 bytes
    let p = Bytes::from_static(&[0x00, 0, 0, 0x02, 0x40, 0, 0, 0x00, 0x03, 1, 2, 3]);
    let ok = OkPacket::decode(&p, caps).ok();
    assert_eq!(ok.as_ref().map(|o| o.status_flags), Some(0x4002));
    assert_eq!(
        ok.and_then(|o| o.session_state_changes),
        Some(Bytes::from_static(&[1, 2, 3]))
    );
}

#[test]
fn ok_packet_truncated() {
    let p = Bytes::from_static(&[0x00, 0x00, 0x00, 0x02]);
    assert!(matches!(
        OkPacket::decode(&p, P41),
        Err(Error::Truncated {
            field: "status flags",
            offset: 3,
            needed: 2,
            available: 1,
            ..
        })
    ));
}

#[test]
fn err_packet() {
    // ff | code 1236 (0x04d4) | '#' | "HY000" | message
    let p = [
        &[0xff, 0xd4, 0x04][..],
        b"#HY000",
        b"Could not find first log file name in binary log index file",
    ]
    .concat();
    let e = ServerError::decode(&p).ok();
    assert_eq!(
        e,
        Some(ServerError {
            code: 1236,
            sql_state: Some("HY000".into()),
            message: "Could not find first log file name in binary log index file".into(),
        })
    );
    assert_eq!(
        e.map(|e| e.to_string()).as_deref(),
        Some("server error 1236 (HY000): Could not find first log file name in binary log index file")
    );
    assert!(matches!(
        Response::decode(&Bytes::from(p), P41),
        Err(Error::Server(ServerError { code: 1236, .. }))
    ));
}

#[test]
fn err_packet_truncated_sql_state() {
    assert!(matches!(
        ServerError::decode(&[0xff, 0x15, 0x04, b'#', b'2', b'8']),
        Err(Error::Truncated {
            field: "SQL state",
            offset: 4,
            needed: 5,
            available: 2,
            ..
        })
    ));
}

#[test]
fn eof_packet_with_and_without_deprecate_eof() {
    let p = Bytes::from_static(&[0xfe, 0x01, 0x00, 0x22, 0x00]);
    assert_eq!(
        Response::decode(&p, P41).ok(),
        Some(Response::Eof(EofPacket {
            warnings: 1,
            status_flags: 0x22
        }))
    );
    assert!(is_eof(&p, P41));
    // With CLIENT_DEPRECATE_EOF the terminator is an OK packet with header 0xfe.
    let caps = P41 | CapabilityFlags::CLIENT_DEPRECATE_EOF;
    let p = Bytes::from_static(&[0xfe, 0x00, 0x00, 0x22, 0x00, 0x01, 0x00]);
    assert!(is_eof(&p, caps));
    match Response::decode(&p, caps) {
        Ok(Response::Ok(ok)) => {
            assert_eq!((ok.header, ok.status_flags, ok.warnings), (0xfe, 0x22, 1))
        }
        other => panic!("{other:?}"),
    }
    // A row whose first value is a lenenc string with an 8-byte length is not an EOF.
    let row = [0xfeu8, 1, 0, 0, 0, 0, 0, 0, 0, b'x'];
    assert!(!is_eof(&row, P41));
}

fn column(name: &[u8]) -> Vec<u8> {
    [
        &[3][..],
        b"def", // catalog
        &[2],
        b"db", // schema
        &[1],
        b"t", // table
        &[1],
        b"t", // org_table
        &[name.len() as u8],
        name,
        &[name.len() as u8],
        name,
        &[0x0c],          // length of fixed fields
        &[0x2d, 0x00],    // character set 45
        &[0x40, 0, 0, 0], // column length 64
        &[0xfd],          // MYSQL_TYPE_VAR_STRING
        &[0, 0],          // flags
        &[0],             // decimals
        &[0, 0],          // filler
    ]
    .concat()
}

fn run(decoder: &mut ResultSetDecoder, payloads: &[Vec<u8>]) -> Vec<Result<ResultSetEvent>> {
    payloads
        .iter()
        .map(|p| decoder.handle_payload(Bytes::from(p.clone())))
        .collect()
}

#[test]
fn result_set_with_eof() {
    let payloads = vec![
        vec![2], // column count
        column(b"id"),
        column(b"name"),
        vec![0xfe, 0, 0, 0x02, 0],               // EOF after columns
        [&[1][..], b"1", &[3], b"abc"].concat(), // row "1", "abc"
        vec![1, b'2', 0xfb],                     // row "2", NULL
        vec![0xfe, 0, 0, 0x02, 0],               // EOF
    ];
    let mut d = ResultSetDecoder::new(P41);
    let ev = run(&mut d, &payloads);
    assert!(matches!(ev[0], Ok(ResultSetEvent::ColumnCount(2))));
    assert!(
        matches!(&ev[1], Ok(ResultSetEvent::Column(c)) if &c.name[..] == b"id" && &c.schema[..] == b"db" && c.column_type == 0xfd && c.character_set == 45)
    );
    assert!(matches!(&ev[2], Ok(ResultSetEvent::Column(c)) if &c.name[..] == b"name"));
    assert!(matches!(ev[3], Ok(ResultSetEvent::ColumnsDone)));
    assert!(
        matches!(&ev[4], Ok(ResultSetEvent::Row(r)) if r.iter().collect::<Vec<_>>() == [Some(&b"1"[..]), Some(&b"abc"[..])])
    );
    assert!(
        matches!(&ev[5], Ok(ResultSetEvent::Row(r)) if r.get(1) == Some(None) && r.get(0) == Some(Some(&b"2"[..])) && r.get(2).is_none())
    );
    assert!(matches!(
        ev[6],
        Ok(ResultSetEvent::Done {
            status_flags: 2,
            warnings: 0
        })
    ));
    assert!(d.is_done());
    assert!(matches!(
        d.handle_payload(Bytes::from_static(&[0])),
        Err(Error::UnexpectedPayload { state: "done" })
    ));
}

#[test]
fn result_set_deprecate_eof() {
    let caps = P41 | CapabilityFlags::CLIENT_DEPRECATE_EOF;
    let payloads = vec![
        vec![1],
        column(b"v"),
        vec![3, b'a', b'b', b'c'],
        vec![0xfe, 0, 0, 0x02, 0, 0, 0], // OK with 0xfe header ends it
    ];
    let mut d = ResultSetDecoder::new(caps);
    let ev = run(&mut d, &payloads);
    assert!(matches!(&ev[1], Ok(ResultSetEvent::Column(c)) if &c.name[..] == b"v"));
    assert!(
        matches!(&ev[2], Ok(ResultSetEvent::Row(r)) if r.get_bytes(0) == Some(Some(Bytes::from_static(b"abc"))))
    );
    assert!(matches!(
        ev[3],
        Ok(ResultSetEvent::Done {
            status_flags: 2,
            ..
        })
    ));
    assert!(d.is_done());
}

#[test]
fn no_result_set_ok() {
    let mut d = ResultSetDecoder::new(P41);
    let ev = d.handle_payload(Bytes::from_static(&[0, 1, 0, 2, 0, 0, 0]));
    assert!(matches!(
        ev,
        Ok(ResultSetEvent::Ok(OkPacket {
            affected_rows: 1,
            ..
        }))
    ));
    assert!(d.is_done());
}

#[test]
fn more_results_restart_decoder() {
    let mut d = ResultSetDecoder::new(P41);
    // OK with SERVER_MORE_RESULTS_EXISTS (0x0008), then a second OK
    assert!(d
        .handle_payload(Bytes::from_static(&[0, 0, 0, 0x0a, 0, 0, 0]))
        .is_ok());
    assert!(!d.is_done());
    assert!(d
        .handle_payload(Bytes::from_static(&[0, 0, 0, 0x02, 0, 0, 0]))
        .is_ok());
    assert!(d.is_done());
}

#[test]
fn err_in_the_middle_of_rows() {
    let mut d = ResultSetDecoder::new(P41);
    let payloads = vec![vec![1], column(b"v"), vec![0xfe, 0, 0, 2, 0], vec![1, b'x']];
    assert!(run(&mut d, &payloads).iter().all(Result::is_ok));
    let err = [
        &[0xff, 0x14, 0x05][..],
        b"#70100",
        b"Query execution was interrupted",
    ]
    .concat();
    assert!(matches!(
        d.handle_payload(Bytes::from(err)),
        Err(Error::Server(ServerError { code: 1300, .. }))
    ));
}

#[test]
fn row_with_wrong_value_count_or_lying_length() {
    // 2 columns expected, 1 present
    assert!(matches!(
        TextRow::decode(Bytes::from_static(&[1, b'a']), 2),
        Err(Error::Truncated { .. })
    ));
    // 1 column expected, 2 present
    assert!(matches!(
        TextRow::decode(Bytes::from_static(&[1, b'a', 0xfb]), 1),
        Err(Error::TrailingBytes {
            offset: 2,
            extra: 1,
            ..
        })
    ));
    // a value claiming 0xffffff bytes
    assert!(matches!(
        TextRow::decode(Bytes::from_static(&[0xfd, 0xff, 0xff, 0xff, b'a']), 1),
        Err(Error::Truncated {
            needed: 0xff_ffff,
            ..
        })
    ));
    // a huge column count does not allocate beyond the payload
    assert!(TextRow::decode(Bytes::from_static(&[0xfb]), usize::MAX).is_err());
}

#[test]
fn local_infile_refused() {
    let mut d = ResultSetDecoder::new(P41);
    assert!(matches!(
        d.handle_payload(Bytes::from_static(b"\xfb/etc/passwd")),
        Err(Error::Unexpected {
            field: "LOCAL INFILE request",
            ..
        })
    ));
}

/// Captured from MariaDB 10.11.19: the reply to COM_QUERY
/// `SELECT 1 AS a, NULL AS b, 'xyz' AS c UNION ALL SELECT 2, 'q', ''`, client capabilities
/// LONG_PASSWORD | PROTOCOL_41 | TRANSACTIONS | SECURE_CONNECTION | PLUGIN_AUTH |
/// PLUGIN_AUTH_LENENC_CLIENT_DATA (no DEPRECATE_EOF). Packets with headers, sequence 1..8:
/// column count 3, three ColumnDefinition41 (`def`, empty schema/table, names a/b/c), EOF,
/// rows `1,NULL,xyz` and `2,q,''`, EOF.
const CAPTURED_RESULT_SET: &str = "010000010317000002036465660000000161000c3f000200000003810000000017000003036465660000000162000c2d0004000000fd000027000017000004036465660000000163000c2d000c000000fd010027000005000005fe00000200070000060131fb0378797a05000007013201710005000008fe00000200";

#[test]
fn captured_mariadb_result_set_fed_one_byte_at_a_time() {
    let wire = unhex(CAPTURED_RESULT_SET);
    let mut reader = PacketReader::new(1 << 20);
    reader.set_sequence(1);
    let mut d = ResultSetDecoder::new(P41 | CapabilityFlags::CLIENT_TRANSACTIONS);
    let mut buf = BytesMut::new();
    let mut names = Vec::new();
    let mut rows = Vec::new();
    for b in wire {
        buf.extend_from_slice(&[b]);
        while let Some(p) = reader.decode(&mut buf).ok().flatten() {
            match d.handle_payload(p) {
                Ok(ResultSetEvent::Column(c)) => names.push(c.name),
                Ok(ResultSetEvent::Row(r)) => {
                    rows.push(r.iter().map(|v| v.map(<[u8]>::to_vec)).collect::<Vec<_>>())
                }
                Ok(_) => {}
                Err(e) => panic!("{e}"),
            }
        }
    }
    assert!(d.is_done());
    assert_eq!(
        names,
        ["a", "b", "c"].map(|s| Bytes::from_static(s.as_bytes()))
    );
    assert_eq!(
        rows,
        vec![
            vec![Some(b"1".to_vec()), None, Some(b"xyz".to_vec())],
            vec![Some(b"2".to_vec()), Some(b"q".to_vec()), Some(Vec::new())],
        ]
    );
}
