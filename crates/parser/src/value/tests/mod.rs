//! Tests of value decoding. Expected values are worked out by hand from the format
//! descriptions, taken from SQL statements and tables of the binlogs' provenance, or computed
//! independently (a Python transcription of MySQL's *encoding* routines); never produced by the
//! code under test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod corpus;
mod encode;
mod json_tests;
mod props;

use super::*;
use crate::column::{ColumnDef, ColumnType};

/// A column definition for tests.
pub(crate) fn col(t: ColumnType, meta: u16) -> ColumnDef {
    ColumnDef {
        col_type: t,
        meta,
        unsigned: false,
        charset: None,
        nullable: true,
    }
}

pub(crate) fn ucol(t: ColumnType, meta: u16) -> ColumnDef {
    ColumnDef {
        unsigned: true,
        ..col(t, meta)
    }
}

pub(crate) fn cscol(t: ColumnType, meta: u16, charset: Option<u32>) -> ColumnDef {
    ColumnDef {
        charset,
        ..col(t, meta)
    }
}

/// Decodes and checks the size; trailing bytes after the value must be ignored.
#[track_caller]
pub(crate) fn dec<'a>(c: &ColumnDef, bytes: &'a [u8]) -> Value<'a> {
    let mut padded = bytes.to_vec();
    padded.extend_from_slice(&[0xa5; 3]);
    let (v, n) = decode_value(c, &padded).expect("decodes");
    assert_eq!(n, bytes.len(), "consumed size for {:?}", c.col_type);
    let (v2, n2) = decode_value(c, bytes).expect("decodes exactly");
    assert_eq!(n2, bytes.len());
    assert_eq!(format!("{v:?}"), format!("{v2:?}"));
    v2
}

/// Every strict prefix of `bytes` must give a truncation error.
#[track_caller]
pub(crate) fn all_prefixes_truncated(c: &ColumnDef, bytes: &[u8]) {
    for k in 0..bytes.len() {
        match decode_value(c, &bytes[..k]) {
            Err(e) => assert!(e.is_truncated(), "{:?} prefix {k}: {e}", c.col_type),
            Ok(v) => panic!("{:?} prefix {k} of {bytes:02x?} decoded: {v:?}", c.col_type),
        }
    }
}

#[test]
fn integers_at_their_limits() {
    use ColumnType::*;
    let cases: &[(ColumnType, &[u8], i64, u64)] = &[
        (Tiny, &[0x80], -128, 128),
        (Tiny, &[0x7f], 127, 127),
        (Tiny, &[0xff], -1, 255),
        (Tiny, &[0x00], 0, 0),
        (Short, &[0x00, 0x80], -32768, 32768),
        (Short, &[0xff, 0x7f], 32767, 32767),
        (Short, &[0xff, 0xff], -1, 65535),
        (Int24, &[0x00, 0x00, 0x80], -8_388_608, 8_388_608),
        (Int24, &[0xff, 0xff, 0x7f], 8_388_607, 8_388_607),
        (Int24, &[0xff, 0xff, 0xff], -1, 16_777_215),
        (Int24, &[0x01, 0x00, 0x01], 65537, 65537),
        (
            Long,
            &[0x00, 0x00, 0x00, 0x80],
            -2_147_483_648,
            2_147_483_648,
        ),
        (
            Long,
            &[0xff, 0xff, 0xff, 0x7f],
            2_147_483_647,
            2_147_483_647,
        ),
        (Long, &[0xff, 0xff, 0xff, 0xff], -1, 4_294_967_295),
        (LongLong, &[0, 0, 0, 0, 0, 0, 0, 0x80], i64::MIN, 1 << 63),
        (
            LongLong,
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
            i64::MAX,
            i64::MAX as u64,
        ),
        (LongLong, &[0xff; 8], -1, u64::MAX),
        (
            LongLong,
            &[0x01, 0, 0, 0, 0x01, 0, 0, 0],
            4_294_967_297,
            4_294_967_297,
        ),
    ];
    for &(t, bytes, s, u) in cases {
        assert_eq!(
            dec(&col(t, 0), bytes),
            Value::Signed(s),
            "{t:?} {bytes:02x?}"
        );
        assert_eq!(
            dec(&ucol(t, 0), bytes),
            Value::Unsigned(u),
            "{t:?} {bytes:02x?} unsigned"
        );
        all_prefixes_truncated(&col(t, 0), bytes);
    }
}

#[test]
fn floats_and_year() {
    // 1.5f32 = 0x3fc00000, 2.5f64 = 0x4004000000000000, both little-endian.
    assert_eq!(
        dec(&col(ColumnType::Float, 4), &[0, 0, 0xc0, 0x3f]),
        Value::Float(1.5)
    );
    assert_eq!(
        dec(&col(ColumnType::Double, 8), &[0, 0, 0, 0, 0, 0, 0x04, 0x40]),
        Value::Double(2.5)
    );
    all_prefixes_truncated(&col(ColumnType::Double, 8), &[0; 8]);
    let y = col(ColumnType::Year, 0);
    assert_eq!(dec(&y, &[0]), Value::Year(0));
    assert_eq!(dec(&y, &[1]), Value::Year(1901));
    assert_eq!(dec(&y, &[124]), Value::Year(2024));
    assert_eq!(dec(&y, &[255]), Value::Year(2155));
    all_prefixes_truncated(&y, &[1]);
}

#[test]
fn decimals_through_decode_value() {
    let c = |p: u16, s: u16| col(ColumnType::NewDecimal, p << 8 | s);
    // DECIMAL(18,9) -123456789.123456789: two full groups 123456789 = 0x075bcd15, first byte
    // with the sign bit set (0x87), then all bytes inverted for the negative value.
    let neg = [0x78, 0xa4, 0x32, 0xea, 0xf8, 0xa4, 0x32, 0xea];
    match dec(&c(18, 9), &neg) {
        Value::Decimal(d) => assert_eq!(d.to_string(), "-123456789.123456789"),
        v => panic!("{v:?}"),
    }
    all_prefixes_truncated(&c(18, 9), &neg);
    // DECIMAL(5,0) 12345: 5 digits = 3 bytes, 0x003039 with the sign bit: 80 30 39.
    match dec(&c(5, 0), &[0x80, 0x30, 0x39]) {
        Value::Decimal(d) => assert_eq!(d.to_string(), "12345"),
        v => panic!("{v:?}"),
    }
    // DECIMAL(4,4) -0.0001: frac 4 digits = 2 bytes 0x0001 -> 80 01 inverted.
    match dec(&c(4, 4), &[0x7f, 0xfe]) {
        Value::Decimal(d) => assert_eq!(d.to_string(), "-0.0001"),
        v => panic!("{v:?}"),
    }
    // precision 0 and scale > precision are invalid metadata.
    assert!(decode_value(&c(0, 0), &[0x80]).is_err());
    assert!(decode_value(&c(3, 4), &[0x80; 8]).is_err());
    assert!(decode_value(&col(ColumnType::Decimal, 0), &[0x80; 8]).is_err());
}

#[test]
fn date_and_old_temporal_types() {
    // 2024-02-29: 2024 << 9 | 2 << 5 | 29 = 0x0fd05d, little-endian.
    let d = col(ColumnType::Date, 0);
    assert_eq!(
        dec(&d, &[0x5d, 0xd0, 0x0f]).to_string_for_test(),
        "2024-02-29"
    );
    assert_eq!(dec(&d, &[0, 0, 0]).to_string_for_test(), "0000-00-00");
    all_prefixes_truncated(&d, &[0x5d, 0xd0, 0x0f]);
    // old TIME: ±HHMMSS as a signed 3-byte integer: -123456 = 0xfe1dc0, 8385959 = 0x7ff5a7.
    let t = col(ColumnType::Time, 0);
    assert_eq!(
        dec(&t, &[0xc0, 0x1d, 0xfe]).to_string_for_test(),
        "-12:34:56"
    );
    assert_eq!(
        dec(&t, &[0xa7, 0xf5, 0x7f]).to_string_for_test(),
        "838:59:59"
    );
    assert_eq!(
        dec(&t, &[0x59, 0x0a, 0x80]).to_string_for_test(),
        "-838:59:59"
    );
    assert_eq!(dec(&t, &[0, 0, 0]).to_string_for_test(), "00:00:00");
    all_prefixes_truncated(&t, &[0, 0, 0]);
    // old DATETIME: 20240229235959 as a little-endian u64.
    let dt = col(ColumnType::DateTime, 0);
    let b = [0xf7, 0x7c, 0xac, 0x8b, 0x68, 0x12, 0x00, 0x00];
    assert_eq!(dec(&dt, &b).to_string_for_test(), "2024-02-29 23:59:59");
    assert_eq!(
        dec(&dt, &[0; 8]).to_string_for_test(),
        "0000-00-00 00:00:00"
    );
    all_prefixes_truncated(&dt, &b);
    // a year above 9999 cannot be printed as MySQL does: invalid.
    assert!(decode_value(&dt, &[0xff; 8]).is_err());
    // old TIMESTAMP: 1709251199 little-endian.
    let ts = col(ColumnType::Timestamp, 0);
    assert_eq!(
        dec(&ts, &[0x7f, 0x1a, 0xe1, 0x65]),
        Value::Timestamp {
            seconds: 1_709_251_199,
            micros: 0,
            fsp: 0
        }
    );
    all_prefixes_truncated(&ts, &[0; 4]);
}

/// Text form of temporal values, for comparisons.
trait ToStringForTest {
    fn to_string_for_test(&self) -> String;
}

impl ToStringForTest for Value<'_> {
    fn to_string_for_test(&self) -> String {
        match self {
            Value::Date(d) => d.to_string(),
            Value::Time(t) => t.to_string(),
            Value::DateTime(t) => t.to_string(),
            Value::Timestamp { .. } => self.timestamp().map(|t| t.to_string()).unwrap_or_default(),
            Value::Decimal(d) => d.to_string(),
            v => format!("{v:?}"),
        }
    }
}

#[test]
fn time2_negative_fractions_at_every_fsp() {
    // Bytes from a transcription of MySQL's my_time_packed_to_binary (the encoder); the text is
    // the SQL value truncated to fsp digits. The fsp-2 rows of MySQL's own table
    // (my_time.cc: 7FFFFF.FF = -00:00:00.01, 7FFFFE.F6 = -00:00:01.10) are included.
    let cases: &[(u16, &[u8], &str)] = &[
        (0, &[0x7f, 0xef, 0x7d], "-01:02:03"),
        (0, &[0x7f, 0xff, 0xff], "-00:00:01"),
        (0, &[0x80, 0x00, 0x00], "00:00:00"),
        (0, &[0xb4, 0x6e, 0xfb], "838:59:59"),
        (0, &[0x4b, 0x91, 0x05], "-838:59:59"),
        (1, &[0x7f, 0xef, 0x7c, 0xd8], "-01:02:03.4"),
        (1, &[0x7f, 0xff, 0xfe, 0xce], "-00:00:01.5"),
        (1, &[0x7f, 0xff, 0xff, 0xf6], "-00:00:00.1"),
        (1, &[0xb4, 0x6e, 0xfb, 0x28], "838:59:59.4"),
        (1, &[0x4b, 0x91, 0x05, 0x00], "-838:59:59.0"),
        (2, &[0x7f, 0xef, 0x7c, 0xd3], "-01:02:03.45"),
        (2, &[0x7f, 0xff, 0xfe, 0xce], "-00:00:01.50"),
        (2, &[0x7f, 0xff, 0xff, 0xff], "-00:00:00.01"),
        (2, &[0x7f, 0xff, 0xff, 0x9d], "-00:00:00.99"),
        (2, &[0x7f, 0xff, 0xff, 0x00], "-00:00:01.00"),
        (2, &[0x7f, 0xff, 0xfe, 0xff], "-00:00:01.01"),
        (2, &[0x7f, 0xff, 0xfe, 0xf6], "-00:00:01.10"),
        (2, &[0xb4, 0x6e, 0xfb, 0x2d], "838:59:59.45"),
        (3, &[0x7f, 0xef, 0x7c, 0xee, 0x30], "-01:02:03.456"),
        (3, &[0x7f, 0xff, 0xfe, 0xec, 0x78], "-00:00:01.500"),
        (3, &[0x7f, 0xff, 0xff, 0xff, 0xf6], "-00:00:00.001"),
        (3, &[0xb4, 0x6e, 0xfb, 0x11, 0xd0], "838:59:59.456"),
        (3, &[0x4b, 0x91, 0x05, 0x00, 0x00], "-838:59:59.000"),
        (4, &[0x7f, 0xef, 0x7c, 0xee, 0x29], "-01:02:03.4567"),
        (4, &[0x7f, 0xff, 0xfe, 0xec, 0x78], "-00:00:01.5000"),
        (4, &[0x7f, 0xff, 0xff, 0xff, 0xff], "-00:00:00.0001"),
        (4, &[0xb4, 0x6e, 0xfb, 0x11, 0xd7], "838:59:59.4567"),
        (5, &[0x7f, 0xef, 0x7c, 0xf9, 0x07, 0xb4], "-01:02:03.45678"),
        (5, &[0x7f, 0xff, 0xfe, 0xf8, 0x5e, 0xe0], "-00:00:01.50000"),
        (5, &[0x7f, 0xff, 0xff, 0xff, 0xff, 0xf6], "-00:00:00.00001"),
        (5, &[0xb4, 0x6e, 0xfb, 0x06, 0xf8, 0x4c], "838:59:59.45678"),
        (6, &[0x7f, 0xef, 0x7c, 0xf9, 0x07, 0xab], "-01:02:03.456789"),
        (6, &[0x7f, 0xff, 0xfe, 0xf8, 0x5e, 0xe0], "-00:00:01.500000"),
        (6, &[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff], "-00:00:00.000001"),
        (6, &[0xb4, 0x6e, 0xfb, 0x06, 0xf8, 0x55], "838:59:59.456789"),
        (
            6,
            &[0x4b, 0x91, 0x05, 0x00, 0x00, 0x00],
            "-838:59:59.000000",
        ),
    ];
    for &(fsp, bytes, text) in cases {
        let c = col(ColumnType::Time2, fsp);
        assert_eq!(
            dec(&c, bytes).to_string_for_test(),
            text,
            "fsp {fsp} {bytes:02x?}"
        );
        all_prefixes_truncated(&c, bytes);
    }
    // The fields, not just the text.
    match dec(&col(ColumnType::Time2, 1), &[0x7f, 0xff, 0xfe, 0xce]) {
        Value::Time(t) => assert_eq!(
            t,
            Time {
                negative: true,
                hours: 0,
                minutes: 0,
                seconds: 1,
                micros: 500_000,
                fsp: 1
            }
        ),
        v => panic!("{v:?}"),
    }
    assert!(decode_value(&col(ColumnType::Time2, 7), &[0x80; 8]).is_err());
}

#[test]
fn datetime2_and_timestamp2_at_every_fsp() {
    // 2024-02-29 23:59:59.999999 truncated to fsp; TIMESTAMP2 1709251199 with the same fraction.
    type Case<'a> = (u16, &'a [u8], &'a str, &'a [u8], &'a str);
    let cases: &[Case<'_>] = &[
        (
            0,
            &[0x99, 0xb2, 0xbb, 0x7e, 0xfb],
            "2024-02-29 23:59:59",
            &[0x65, 0xe1, 0x1a, 0x7f],
            "1709251199",
        ),
        (
            1,
            &[0x99, 0xb2, 0xbb, 0x7e, 0xfb, 0x5a],
            "2024-02-29 23:59:59.9",
            &[0x65, 0xe1, 0x1a, 0x7f, 0x5a],
            "1709251199.9",
        ),
        (
            2,
            &[0x99, 0xb2, 0xbb, 0x7e, 0xfb, 0x63],
            "2024-02-29 23:59:59.99",
            &[0x65, 0xe1, 0x1a, 0x7f, 0x63],
            "1709251199.99",
        ),
        (
            3,
            &[0x99, 0xb2, 0xbb, 0x7e, 0xfb, 0x27, 0x06],
            "2024-02-29 23:59:59.999",
            &[0x65, 0xe1, 0x1a, 0x7f, 0x27, 0x06],
            "1709251199.999",
        ),
        (
            4,
            &[0x99, 0xb2, 0xbb, 0x7e, 0xfb, 0x27, 0x0f],
            "2024-02-29 23:59:59.9999",
            &[0x65, 0xe1, 0x1a, 0x7f, 0x27, 0x0f],
            "1709251199.9999",
        ),
        (
            5,
            &[0x99, 0xb2, 0xbb, 0x7e, 0xfb, 0x0f, 0x42, 0x36],
            "2024-02-29 23:59:59.99999",
            &[0x65, 0xe1, 0x1a, 0x7f, 0x0f, 0x42, 0x36],
            "1709251199.99999",
        ),
        (
            6,
            &[0x99, 0xb2, 0xbb, 0x7e, 0xfb, 0x0f, 0x42, 0x3f],
            "2024-02-29 23:59:59.999999",
            &[0x65, 0xe1, 0x1a, 0x7f, 0x0f, 0x42, 0x3f],
            "1709251199.999999",
        ),
    ];
    for &(fsp, dt, dt_text, ts, ts_text) in cases {
        let c = col(ColumnType::DateTime2, fsp);
        assert_eq!(dec(&c, dt).to_string_for_test(), dt_text);
        all_prefixes_truncated(&c, dt);
        let c = col(ColumnType::Timestamp2, fsp);
        assert_eq!(dec(&c, ts).to_string_for_test(), ts_text);
        all_prefixes_truncated(&c, ts);
        // zero values
        let zero = [0x80, 0, 0, 0, 0, 0, 0, 0];
        let n = 5 + usize::from(fsp).div_ceil(2);
        let z = dec(&col(ColumnType::DateTime2, fsp), &zero[..n]).to_string_for_test();
        assert!(z.starts_with("0000-00-00 00:00:00"), "{z}");
        assert_eq!(z.len(), 19 + if fsp > 0 { 1 + usize::from(fsp) } else { 0 });
        let z = dec(&col(ColumnType::Timestamp2, fsp), &[0; 7][..n - 1]);
        assert_eq!(
            z,
            Value::Timestamp {
                seconds: 0,
                micros: 0,
                fsp: fsp as u8
            }
        );
    }
    match dec(
        &col(ColumnType::DateTime2, 6),
        &[0x99, 0xb2, 0xbb, 0x7e, 0xfb, 0x0f, 0x42, 0x3f],
    ) {
        Value::DateTime(t) => assert_eq!(
            t,
            DateTime {
                year: 2024,
                month: 2,
                day: 29,
                hour: 23,
                minute: 59,
                second: 59,
                micros: 999_999,
                fsp: 6
            }
        ),
        v => panic!("{v:?}"),
    }
    // a fraction above 999999 (fsp 6: 0x0f4240 = 1000000) is invalid.
    assert!(decode_value(
        &col(ColumnType::DateTime2, 6),
        &[0x99, 0xb2, 0xbb, 0x7e, 0xfb, 0x0f, 0x42, 0x40]
    )
    .is_err());
    assert!(decode_value(
        &col(ColumnType::Timestamp2, 6),
        &[0, 0, 0, 1, 0x0f, 0x42, 0x40]
    )
    .is_err());
    // below the offset: a negative DATETIME2 is invalid.
    assert!(decode_value(
        &col(ColumnType::DateTime2, 0),
        &[0x7f, 0xff, 0xff, 0xff, 0xff]
    )
    .is_err());
    assert!(decode_value(&col(ColumnType::DateTime2, 9), &[0x80; 10]).is_err());
}

#[test]
fn strings_by_charset_and_length_prefix() {
    use ColumnType::*;
    let abc = [3, b'a', b'b', b'c'];
    // VARCHAR(100) bytes: 1-byte length.
    assert_eq!(
        dec(&cscol(VarChar, 100, Some(45)), &abc),
        Value::Text(b"abc")
    );
    assert_eq!(
        dec(&cscol(VarChar, 100, Some(63)), &abc),
        Value::Binary(b"abc")
    );
    assert_eq!(dec(&cscol(VarChar, 100, None), &abc), Value::Bytes(b"abc"));
    assert_eq!(dec(&cscol(VarChar, 255, None), &abc), Value::Bytes(b"abc"));
    all_prefixes_truncated(&cscol(VarChar, 100, None), &abc);
    // 256 or more: 2-byte length.
    let abc2 = [3, 0, b'a', b'b', b'c'];
    assert_eq!(
        dec(&cscol(VarChar, 256, Some(8)), &abc2),
        Value::Text(b"abc")
    );
    assert_eq!(
        dec(&cscol(VarString, 1200, None), &abc2),
        Value::Bytes(b"abc")
    );
    all_prefixes_truncated(&cscol(VarChar, 300, None), &abc2);
    // a 300-byte value with a 2-byte length 0x012c.
    let mut long = vec![0x2c, 0x01];
    long.extend(std::iter::repeat_n(b'z', 300));
    assert_eq!(
        dec(&cscol(VarChar, 1200, Some(45)), &long),
        Value::Text(&long[2..])
    );
    // CHAR(255) utf8mb4 = 1020 bytes: 2-byte length; CHAR(10) latin1: 1 byte.
    assert_eq!(
        dec(&cscol(String, 1020, Some(45)), &abc2),
        Value::Text(b"abc")
    );
    assert_eq!(
        dec(&cscol(String, 10, Some(63)), &abc),
        Value::Binary(b"abc")
    );
    assert_eq!(dec(&cscol(String, 10, None), &[0]), Value::Bytes(b""));
    all_prefixes_truncated(&cscol(String, 1020, None), &abc2);
    // BLOB/TEXT with 1..4-byte length prefixes.
    let blobs: &[(u16, &[u8])] = &[
        (1, &[2, 0xde, 0xad]),
        (2, &[2, 0, 0xde, 0xad]),
        (3, &[2, 0, 0, 0xde, 0xad]),
        (4, &[2, 0, 0, 0, 0xde, 0xad]),
    ];
    for &(w, bytes) in blobs {
        assert_eq!(
            dec(&cscol(Blob, w, Some(63)), bytes),
            Value::Binary(&[0xde, 0xad])
        );
        assert_eq!(
            dec(&cscol(Blob, w, Some(224)), bytes),
            Value::Text(&[0xde, 0xad])
        );
        all_prefixes_truncated(&cscol(Blob, w, None), bytes);
    }
    // type-implied widths when the metadata is 0.
    assert_eq!(dec(&col(TinyBlob, 0), &[1, 7]), Value::Bytes(&[7]));
    assert_eq!(dec(&col(MediumBlob, 0), &[1, 0, 0, 7]), Value::Bytes(&[7]));
    assert_eq!(dec(&col(LongBlob, 0), &[1, 0, 0, 0, 7]), Value::Bytes(&[7]));
    assert!(decode_value(&col(Blob, 5), &[0; 8]).is_err());
    // a declared length far beyond the input: truncation, no allocation, no panic.
    let e = decode_value(&col(Blob, 4), &[0xff, 0xff, 0xff, 0xff, 1, 2]).unwrap_err();
    assert!(e.is_truncated());
    assert_eq!(e.offset, 4);
}

#[test]
fn enum_set_and_bit() {
    use ColumnType::*;
    assert_eq!(dec(&col(Enum, 1), &[3]), Value::Enum(3));
    assert_eq!(dec(&col(Enum, 2), &[0x2c, 0x01]), Value::Enum(300));
    all_prefixes_truncated(&col(Enum, 2), &[0x2c, 0x01]);
    assert!(decode_value(&col(Enum, 3), &[0; 4]).is_err());
    assert_eq!(dec(&col(Set, 1), &[0b101]), Value::Set(5));
    assert_eq!(dec(&col(Set, 3), &[1, 0, 0x08]), Value::Set(0x08_0001));
    assert_eq!(
        dec(&col(Set, 8), &[0, 0, 0, 0, 0, 0, 0, 0x80]),
        Value::Set(1 << 63)
    );
    for n in 1..=8u16 {
        all_prefixes_truncated(&col(Set, n), &vec![1; usize::from(n)]);
    }
    assert!(decode_value(&col(Set, 9), &[0; 9]).is_err());
    assert!(decode_value(&col(Set, 0), &[0; 9]).is_err());

    // BIT(1): 0 full bytes + 1 bit.
    let v = dec(&col(Bit, 1), &[0x01]);
    assert_eq!(
        v,
        Value::Bit {
            bytes: &[0x01],
            bits: 1
        }
    );
    assert_eq!(
        v.bit_literal().map(|b| b.to_string()).as_deref(),
        Some("b'1'")
    );
    // BIT(13) = 1 byte + 5 bits, 0x1555.
    let v = dec(&col(Bit, 1 << 8 | 5), &[0x15, 0x55]);
    assert_eq!(
        v.bit_literal().map(|b| b.to_string()).as_deref(),
        Some("b'1010101010101'")
    );
    assert_eq!(v.as_u64(), Some(0x1555));
    all_prefixes_truncated(&col(Bit, 1 << 8 | 5), &[0x15, 0x55]);
    // BIT(8) 0x81.
    let v = dec(&col(Bit, 1 << 8), &[0x81]);
    assert_eq!(
        v.bit_literal().map(|b| b.to_string()).as_deref(),
        Some("b'10000001'")
    );
    // BIT(64) all ones and 1.
    let v = dec(&col(Bit, 8 << 8), &[0xff; 8]);
    assert_eq!(
        v.bit_literal().map(|b| b.to_string()),
        Some(format!("b'{}'", "1".repeat(64)))
    );
    assert_eq!(v.as_u64(), Some(u64::MAX));
    let one = [0, 0, 0, 0, 0, 0, 0, 1];
    let v = dec(&col(Bit, 8 << 8), &one);
    assert_eq!(
        v.bit_literal().map(|b| b.to_string()),
        Some(format!("b'{}1'", "0".repeat(63)))
    );
    all_prefixes_truncated(&col(Bit, 8 << 8), &one);
    assert!(decode_value(&col(Bit, 8), &[0; 4]).is_err());
}

#[test]
fn json_geometry_vector_and_others() {
    use ColumnType::*;
    // JSON: 4-byte length, then the document (literal true: 04 01).
    match dec(&col(ColumnType::Json, 4), &[2, 0, 0, 0, 0x04, 0x01]) {
        Value::Json(j) => assert_eq!(j.to_json_string().ok().as_deref(), Some("true")),
        v => panic!("{v:?}"),
    }
    // an empty JSON value is null.
    match dec(&col(ColumnType::Json, 4), &[0, 0, 0, 0]) {
        Value::Json(j) => assert_eq!(j.to_json_string().ok().as_deref(), Some("null")),
        v => panic!("{v:?}"),
    }
    all_prefixes_truncated(&col(ColumnType::Json, 4), &[2, 0, 0, 0, 0x04, 0x01]);
    assert_eq!(
        dec(&col(Geometry, 4), &[1, 0, 0, 0, 9]),
        Value::Geometry(&[9])
    );
    // VECTOR of [1.0, -1.0]: 0x3f800000, 0xbf800000 little-endian.
    let v = dec(
        &col(Vector, 4),
        &[8, 0, 0, 0, 0, 0, 0x80, 0x3f, 0, 0, 0x80, 0xbf],
    );
    let floats: Vec<f32> = vector_f32(v.as_bytes().unwrap_or(&[])).collect();
    assert_eq!(floats, [1.0, -1.0]);
    assert!(decode_value(&col(Vector, 4), &[3, 0, 0, 0, 1, 2, 3]).is_err());
    // MariaDB compressed columns: VARCHAR-like (141) and BLOB-like (140).
    let (vcc, bc) = (ColumnType::from_code(141), ColumnType::from_code(140));
    assert_eq!(
        dec(&col(vcc, 4001), &[2, 0, 0, b'x']),
        Value::Compressed(&[0, b'x'])
    );
    assert_eq!(
        dec(&col(vcc, 10), &[2, 0, b'x']),
        Value::Compressed(&[0, b'x'])
    );
    assert_eq!(
        dec(&col(bc, 2), &[2, 0, 0, b'x']),
        Value::Compressed(&[0, b'x'])
    );
    all_prefixes_truncated(&col(bc, 3), &[2, 0, 0, 0, b'x']);
    // NULL type occupies nothing; types that never appear in rows are rejected.
    assert_eq!(
        decode_value(&col(Null, 0), &[]).ok(),
        Some((Value::Null, 0))
    );
    for t in [Bool, TypedArray, Unknown(99), ColumnType::Decimal] {
        let e = decode_value(&col(t, 0), &[0; 16]).unwrap_err();
        assert!(
            matches!(e.kind, crate::ErrorKind::Invalid { .. }),
            "{t:?}: {e}"
        );
    }
}

#[test]
fn more_truncations_and_accessors() {
    use ColumnType::*;
    all_prefixes_truncated(&col(Float, 4), &[0, 0, 0xc0, 0x3f]);
    all_prefixes_truncated(&col(Geometry, 4), &[2, 0, 0, 0, 1, 2]);
    all_prefixes_truncated(&col(Vector, 4), &[4, 0, 0, 0, 0, 0, 0x80, 0x3f]);
    all_prefixes_truncated(&col(TinyBlob, 1), &[2, 1, 2]);
    all_prefixes_truncated(&col(VarString, 10), &[2, 1, 2]);
    all_prefixes_truncated(&col(Set, 8), &[1; 8]);
    all_prefixes_truncated(&col(NewDate, 0), &[0x5d, 0xd0, 0x0f]);
    // accessors
    assert_eq!(Value::Signed(-5).as_i64(), Some(-5));
    assert_eq!(Value::Signed(-5).as_u64(), None);
    assert_eq!(Value::Unsigned(u64::MAX).as_i64(), None);
    assert_eq!(Value::Unsigned(u64::MAX).as_u64(), Some(u64::MAX));
    assert_eq!(Value::Year(2024).as_i64(), Some(2024));
    assert_eq!(Value::Set(9).as_u64(), Some(9));
    assert_eq!(Value::Text(b"x").as_bytes(), Some(&b"x"[..]));
    assert_eq!(Value::Double(1.0).as_bytes(), None);
    assert!(Value::Null.is_null());
    assert_eq!(bit_to_u64(&[1, 0, 0, 0, 0, 0, 0, 0, 0]), None);
    assert_eq!(BitLiteral::new(&[], 3).to_string(), "b'000'");
    let j = [0x04, 0x01];
    let o = Value::Json(super::Json::new(&j)).into_owned();
    assert_eq!(o, OwnedValue::Json(j.to_vec()));
    assert_eq!(o.as_value(), Value::Json(super::Json::new(&j)));
}

#[test]
fn owned_values_round_trip() {
    let bytes = [0x73, 0xdd];
    let v = dec(&col(ColumnType::NewDecimal, 4 << 8 | 2), &bytes);
    let o = v.into_owned();
    assert_eq!(o.as_value(), v);
    match &o {
        OwnedValue::Decimal(d) => assert_eq!(d.to_string(), "-12.34"),
        other => panic!("{other:?}"),
    }
    let s = [3, b'a', b'b', b'c'];
    let v = dec(&cscol(ColumnType::VarChar, 10, Some(45)), &s);
    assert_eq!(v.into_owned(), OwnedValue::Text(b"abc".to_vec()));
    let v = Value::Timestamp {
        seconds: 5,
        micros: 120_000,
        fsp: 2,
    };
    assert_eq!(v.into_owned().as_value(), v);
    assert_eq!(
        v.timestamp().map(|t| t.to_string()).as_deref(),
        Some("5.12")
    );
    let v = Value::Bit {
        bytes: &[0x15, 0x55],
        bits: 13,
    };
    assert_eq!(OwnedValue::from(v).as_value(), v);
}
