//! Binary JSON and JSON diff tests. Documents are assembled by hand (bytes commented) or with
//! the test encoder; the expected text is written by hand following MySQL's printing rules.

use super::encode::{self, TJ};
use crate::error::ErrorKind;
use crate::value::{decode_json_diffs, Json, JsonDiffOp, JsonNode, JSON_MAX_DEPTH};

#[track_caller]
fn text(doc: &[u8]) -> String {
    match Json::new(doc).to_json_string() {
        Ok(s) => {
            assert_eq!(Json::new(doc).to_string(), s, "Display = write_json");
            s
        }
        Err(e) => panic!("{doc:02x?}: {e}"),
    }
}

#[track_caller]
fn err(doc: &[u8]) -> crate::Error {
    match Json::new(doc).to_json_string() {
        Ok(s) => panic!("{doc:02x?} printed {s}"),
        Err(e) => {
            assert!(Json::new(doc).to_string().starts_with("<invalid JSON: "));
            e
        }
    }
}

fn s(b: &str) -> Vec<u8> {
    b.as_bytes().to_vec()
}

#[test]
fn scalars() {
    assert_eq!(text(&[]), "null");
    assert_eq!(text(&[0x04, 0x00]), "null");
    assert_eq!(text(&[0x04, 0x01]), "true");
    assert_eq!(text(&[0x04, 0x02]), "false");
    assert_eq!(text(&[0x05, 0xff, 0xff]), "-1");
    assert_eq!(text(&[0x05, 0x00, 0x80]), "-32768");
    assert_eq!(text(&[0x06, 0xff, 0xff]), "65535");
    assert_eq!(text(&[0x07, 0x00, 0x00, 0x00, 0x80]), "-2147483648");
    assert_eq!(text(&[0x08, 0xff, 0xff, 0xff, 0xff]), "4294967295");
    assert_eq!(
        text(&[0x09, 0, 0, 0, 0, 0, 0, 0, 0x80]),
        "-9223372036854775808"
    );
    assert_eq!(
        text(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        "18446744073709551615"
    );
    // string "abc": length 3 (one 7-bit byte).
    assert_eq!(text(&[0x0c, 0x03, b'a', b'b', b'c']), "\"abc\"");
    // a 200-byte string needs a 2-byte length: 200 = 0b1_1001000 -> c8 01.
    let mut long = vec![0x0c, 0xc8, 0x01];
    long.extend(std::iter::repeat_n(b'q', 200));
    assert_eq!(text(&long), format!("\"{}\"", "q".repeat(200)));
}

#[test]
fn doubles_print_like_my_gcvt() {
    // (IEEE bytes little-endian, MySQL text)
    let cases: &[(&str, &str)] = &[
        ("000000000000f83f", "1.5"),
        ("0000000000000840", "3.0"),
        ("000000000000e03f", "0.5"),
        ("0000000000005940", "100.0"),
        ("000000000000f0bf", "-1.0"),
        ("0000000000000080", "-0.0"),
        ("0000000000000000", "0.0"),
        ("9a9999999999b93f", "0.1"),
        ("50efe2d6e41a4b44", "1e21"),
        ("355800662deb417e", "1.5e300"),
        ("48afbc9af2d77a3e", "0.0000001"),
        ("00003426f56b0c43", "1e15"),
        ("0000901ec4bcd642", "100000000000000.0"),
        ("dabc047e3ac51a44", "1.2345678901234568e20"),
        ("0100000000000000", "5e-324"),
        ("9b2ba1869b84e6bc", "-0.0000000000000025"),
        ("1656e79eaf03d23c", "0.000000000000001"),
        ("03eb2af2548b1143", "1234567890123456.8"),
        ("ffffffffffffef7f", "1.7976931348623157e308"),
    ];
    for (hex, want) in cases {
        let mut doc = vec![0x0b];
        doc.extend((0..8).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0)));
        assert_eq!(text(&doc), *want, "{hex}");
    }
}

#[test]
fn strings_are_escaped_like_mysql() {
    // a " \ newline tab CR backspace formfeed 0x01 0x1f DEL é(c3 a9) 😀(f0 9f 98 80) /
    let raw: &[u8] = b"a\"\\\n\t\r\x08\x0c\x01\x1f\x7f\xc3\xa9\xf0\x9f\x98\x80/";
    let mut doc = vec![0x0c, raw.len() as u8];
    doc.extend_from_slice(raw);
    assert_eq!(
        text(&doc),
        "\"a\\\"\\\\\\n\\t\\r\\b\\f\\u0001\\u001f\u{7f}é😀/\""
    );
    // invalid UTF-8 becomes U+FFFD
    assert_eq!(text(&[0x0c, 0x03, b'a', 0xff, b'b']), "\"a\u{fffd}b\"");
}

#[test]
fn small_object_by_hand() {
    // {"a": 1, "b": [true, false, null]}
    // object: count 2, size 33; key entries (18,1) (19,1); values: int16 1 inline, array @20.
    let doc = [
        0x00, // small object
        0x02, 0x00, 0x21, 0x00, // count 2, size 33
        0x12, 0x00, 0x01, 0x00, // key "a" at 18, length 1
        0x13, 0x00, 0x01, 0x00, // key "b" at 19, length 1
        0x05, 0x01, 0x00, // int16 1, inlined
        0x02, 0x14, 0x00, // small array at 20
        b'a', b'b', // keys
        0x03, 0x00, 0x0d, 0x00, // array: count 3, size 13
        0x04, 0x01, 0x00, 0x04, 0x02, 0x00, 0x04, 0x00, 0x00, // true, false, null inlined
    ];
    assert_eq!(text(&doc), r#"{"a": 1, "b": [true, false, null]}"#);
    // navigation
    let JsonNode::Object(o) = Json::new(&doc).root().unwrap_or(JsonNode::Null) else {
        panic!("object expected")
    };
    assert_eq!(o.len(), 2);
    assert_eq!(o.key(1).ok(), Some(&b"b"[..]));
    assert_eq!(o.get(b"a").ok().flatten(), Some(JsonNode::Int(1)));
    assert_eq!(o.get(b"zz").ok().flatten(), None);
    let Some(JsonNode::Array(a)) = o.get(b"b").ok().flatten() else {
        panic!("array expected")
    };
    let items: Vec<_> = a.iter().map(|r| r.ok()).collect();
    assert_eq!(
        items,
        [
            Some(JsonNode::Bool(true)),
            Some(JsonNode::Bool(false)),
            Some(JsonNode::Null)
        ]
    );
    assert!(a.get(3).is_err());
    // the same document built by the test encoder
    let tree = TJ::Obj(
        vec![
            (s("a"), TJ::Int(1)),
            (
                s("b"),
                TJ::Arr(vec![TJ::Bool(true), TJ::Bool(false), TJ::Null], false),
            ),
        ],
        false,
    );
    assert_eq!(encode::json(&tree), doc);
}

#[test]
fn large_containers_and_nesting() {
    // large object with large values: int32 inlined in large containers, strings by offset.
    let tree = TJ::Obj(
        vec![
            (s("k"), TJ::Int(-100_000)),
            (s("u"), TJ::UInt(4_000_000_000)),
            (s("big"), TJ::Int(1 << 40)),
            (s("s"), TJ::Str(s("v"))),
            (
                s("arr"),
                TJ::Arr(vec![TJ::UInt(7), TJ::Int(-7), TJ::Double(0.25)], true),
            ),
            (s("o"), TJ::Obj(vec![], true)),
            (s("e"), TJ::Arr(vec![], false)),
        ],
        true,
    );
    let doc = encode::json(&tree);
    assert_eq!(doc[0], 0x01);
    assert_eq!(
        text(&doc),
        r#"{"k": -100000, "u": 4000000000, "big": 1099511627776, "s": "v", "arr": [7, -7, 0.25], "o": {}, "e": []}"#
    );
    // a 70 000-element array needs a large container (counts > 65535).
    let big = TJ::Arr(vec![TJ::Int(1); 70_000], true);
    let doc = encode::json(&big);
    let out = text(&doc);
    assert_eq!(out.len(), 2 + 70_000 + 2 * 69_999);
    // opaque values inside a container
    let tree = TJ::Arr(
        vec![TJ::Opaque(15, vec![0xca, 0xfe]), TJ::Opaque(253, s("t"))],
        false,
    );
    assert_eq!(text(&encode::json(&tree)), r#"["base64:type15:yv4=", "t"]"#);
    // a small object with string keys needing escapes
    let tree = TJ::Obj(vec![(s("a\"b"), TJ::Str(s("\n")))], false);
    assert_eq!(text(&encode::json(&tree)), r#"{"a\"b": "\n"}"#);
}

#[test]
fn depth_limit() {
    let nest = |n: usize| {
        let mut t = TJ::Arr(vec![], false);
        for _ in 1..n {
            t = TJ::Arr(vec![t], false);
        }
        encode::json(&t)
    };
    let ok = nest(JSON_MAX_DEPTH as usize);
    assert_eq!(text(&ok), format!("{}{}", "[".repeat(100), "]".repeat(100)));
    let e = err(&nest(JSON_MAX_DEPTH as usize + 1));
    assert!(
        matches!(e.kind, ErrorKind::TooDeep { limit: 100, .. }),
        "{e}"
    );
    // objects count too
    let mut t = TJ::Null;
    for _ in 0..101 {
        t = TJ::Obj(vec![(s("a"), t)], false);
    }
    assert!(matches!(
        err(&encode::json(&t)).kind,
        ErrorKind::TooDeep { .. }
    ));
}

#[test]
fn opaque_values() {
    // DECIMAL(6,3) 123.456 (bytes from json-opaque.binlog): precision 6, scale 3, 80 7b 01 c8.
    assert_eq!(
        text(&[0x0f, 0xf6, 0x06, 0x06, 0x03, 0x80, 0x7b, 0x01, 0xc8]),
        "123.456"
    );
    // TIME -01:02:03.5: packed = -((1 << 12 | 2 << 6 | 3) << 24 | 500000), little-endian.
    let hms: i64 = 1 << 12 | 2 << 6 | 3;
    let packed = -((hms << 24) + 500_000);
    let mut doc = vec![0x0f, 11, 8];
    doc.extend_from_slice(&packed.to_le_bytes());
    assert_eq!(text(&doc), "\"-01:02:03.500000\"");
    // DATETIME 2012-03-18 11:30:45.000007 and the same as DATE and TIMESTAMP.
    let ymd: i64 = (2012 * 13 + 3) << 5 | 18;
    let hms: i64 = 11 << 12 | 30 << 6 | 45;
    let packed = ((ymd << 17 | hms) << 24) + 7;
    for (ft, want) in [
        (12u8, "\"2012-03-18 11:30:45.000007\""),
        (7, "\"2012-03-18 11:30:45.000007\""),
        (10, "\"2012-03-18\""),
    ] {
        let mut doc = vec![0x0f, ft, 8];
        doc.extend_from_slice(&packed.to_le_bytes());
        assert_eq!(text(&doc), want);
    }
    // other types: base64 with MySQL's type number; 0xca 0xfe -> "yv4=".
    assert_eq!(text(&[0x0f, 15, 2, 0xca, 0xfe]), "\"base64:type15:yv4=\"");
    assert_eq!(text(&[0x0f, 252, 0]), "\"base64:type252:\"");
    // 60 zero bytes: 80 base64 characters, a line break (escaped) after 76.
    let mut doc = vec![0x0f, 15, 60];
    doc.extend_from_slice(&[0; 60]);
    assert_eq!(
        text(&doc),
        format!("\"base64:type15:{}\\n{}\"", "A".repeat(76), "AAAA")
    );
    // 57 bytes make exactly 76 characters and no break.
    let mut doc = vec![0x0f, 15, 57];
    doc.extend(0..57u8);
    assert_eq!(
        text(&doc),
        "\"base64:type15:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\""
    );
    // VAR_STRING opaque prints as a plain string.
    assert_eq!(text(&[0x0f, 253, 2, b'h', b'"']), "\"h\\\"\"");
    // bad opaque payloads
    err(&[0x0f, 246, 1, 6]);
    err(&[0x0f, 246, 4, 6, 3, 0x80, 0x7b]);
    err(&[0x0f, 12, 2, 0, 0]);
}

#[test]
fn malformed_documents_are_errors() {
    // unknown type byte, bad literal
    err(&[0x0d]);
    err(&[0x04, 0x03]);
    // truncated scalars and strings
    err(&[0x05, 0x01]);
    err(&[0x0b, 0, 0, 0]);
    err(&[0x0c, 0x05, b'a']);
    // a 7-bit length that never ends or exceeds 32 bits
    err(&[0x0c, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    err(&[0x0c, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    // container: size beyond the data, element count beyond the size
    let e = err(&[0x02, 0x01, 0x00, 0x40, 0x00, 0x04, 0x00, 0x00]);
    assert!(e.is_truncated());
    err(&[0x02, 0xff, 0x00, 0x07, 0x00, 0x04, 0x00, 0x00]);
    // value offset pointing into the header (would loop back on the container itself)
    err(&[0x02, 0x01, 0x00, 0x07, 0x00, 0x02, 0x00, 0x00]);
    // value offset past the end
    err(&[0x02, 0x01, 0x00, 0x07, 0x00, 0x0c, 0x09, 0x00]);
    // {"a": null} by hand, then its key offset inside the header, then its key past the end
    let ok = [
        0x00, 0x01, 0x00, 0x0c, 0x00, 0x0b, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, b'a',
    ];
    assert_eq!(text(&ok), r#"{"a": null}"#);
    err(&[
        0x00, 0x01, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, b'a',
    ]);
    err(&[
        0x00, 0x01, 0x00, 0x0c, 0x00, 0x0b, 0x00, 0x05, 0x00, 0x04, 0x00, 0x00, b'a',
    ]);
    // regression (found by mutated_json_never_panics): an empty key whose offset lies past
    // the end of the document used to slice out of bounds
    err(&[
        0x00, 0x01, 0x00, 0x0c, 0x00, 0xc8, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, b'a',
    ]);
    // errors carry the offset of the problem in the document
    let e = Json::new(&[0x02, 0x01, 0x00, 0x07, 0x00, 0x0c, 0x09, 0x00])
        .to_json_string()
        .unwrap_err();
    assert_eq!(e.offset, 6);
}

#[test]
fn shared_subtrees_cannot_blow_up() {
    // Each level: an array of 2 entries that both point at the same nested array right after
    // the header. Valid offsets, but printing would be 2^depth work: refused as TooLarge.
    let depth = 60;
    let mut body = vec![0x00, 0x00, 0x04, 0x00]; // innermost: empty array (count 0, size 4)
    for _ in 0..depth {
        let inner_size = body.len();
        let size = 4 + 2 * 3 + inner_size;
        let mut level = vec![0x02, 0x00];
        level.extend_from_slice(&(size as u16).to_le_bytes());
        for _ in 0..2 {
            level.extend_from_slice(&[0x02, 0x0a, 0x00]); // small array at offset 10
        }
        level.extend_from_slice(&body);
        body = level;
    }
    // keep the nesting below the depth limit but the fan-out exponential
    assert!(depth < JSON_MAX_DEPTH as usize);
    let mut doc = vec![0x02];
    doc.extend(body);
    let e = err(&doc);
    assert!(matches!(e.kind, ErrorKind::TooLarge { .. }), "{e}");
}

#[test]
fn diffs_from_mysql_8_binlog() {
    // json.binlog.000001 (MySQL 8.0.22), PARTIAL_UPDATE_ROWS: REPLACE $.age with 26
    // 0b000000 | 00 | 05 "$.age" | 03 | 05 1a00
    let bytes = [
        0x0b, 0x00, 0x00, 0x00, 0x00, 0x05, b'$', b'.', b'a', b'g', b'e', 0x03, 0x05, 0x1a, 0x00,
        0xee,
    ];
    let (diffs, n) = decode_json_diffs(&bytes).expect("diffs");
    assert_eq!(n, 15);
    assert_eq!(diffs.len(), 1);
    let d: Vec<_> = diffs.iter().collect();
    assert_eq!(d[0].op, JsonDiffOp::Replace);
    assert_eq!(d[0].path, "$.age");
    assert_eq!(d[0].value.map(|v| v.to_string()).as_deref(), Some("26"));
    assert_eq!(diffs.to_string(), "REPLACE $.age = 26");
}

#[test]
fn diffs_insert_remove_and_errors() {
    // INSERT $.n "x"; REMOVE $[0]
    let mut body = vec![0x01, 0x03, b'$', b'.', b'n', 0x03, 0x0c, 0x01, b'x'];
    body.extend_from_slice(&[0x02, 0x04, b'$', b'[', b'0', b']']);
    let mut bytes = (body.len() as u32).to_le_bytes().to_vec();
    bytes.extend_from_slice(&body);
    let (diffs, n) = decode_json_diffs(&bytes).expect("diffs");
    assert_eq!(n, bytes.len());
    let d: Vec<_> = diffs.into_iter().collect();
    assert_eq!(d.len(), 2);
    assert_eq!((d[0].op, d[0].path), (JsonDiffOp::Insert, "$.n"));
    assert_eq!(d[0].value.map(|v| v.to_string()).as_deref(), Some("\"x\""));
    assert_eq!(
        (d[1].op, d[1].path, d[1].value),
        (JsonDiffOp::Remove, "$[0]", None)
    );
    assert_eq!(diffs.to_string(), "INSERT $.n = \"x\"; REMOVE $[0]");
    // empty vector
    let (diffs, n) = decode_json_diffs(&[0, 0, 0, 0]).expect("empty");
    assert!(diffs.is_empty());
    assert_eq!(n, 4);
    // every strict prefix is truncated
    for k in 0..bytes.len() {
        let e = decode_json_diffs(&bytes[..k]).unwrap_err();
        assert!(e.is_truncated(), "prefix {k}: {e}");
    }
    // the stored length cuts a diff short: truncated at the right offset
    let mut short = bytes.clone();
    short[0] -= 1;
    let e = decode_json_diffs(&short).unwrap_err();
    assert!(e.is_truncated());
    assert_eq!(e.offset, 15);
    // bad operation, NULL length marker, non-UTF-8 path
    let e = decode_json_diffs(&[2, 0, 0, 0, 0x03, 0x00]).unwrap_err();
    assert_eq!((e.offset, e.is_truncated()), (4, false));
    assert!(decode_json_diffs(&[2, 0, 0, 0, 0x02, 0xfb]).is_err());
    assert!(decode_json_diffs(&[3, 0, 0, 0, 0x02, 0x01, 0xff]).is_err());
    // a 3-byte lenenc length that claims more than there is
    let e = decode_json_diffs(&[6, 0, 0, 0, 0x02, 0xfd, 0xff, 0xff, 0xff, b'$']).unwrap_err();
    assert!(e.is_truncated());
}
