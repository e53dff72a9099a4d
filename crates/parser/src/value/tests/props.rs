//! Property tests: encode (test-only encoders) → decode → equal, and arbitrary bytes never make
//! a decoder panic.

use super::encode::{self, TJ};
use super::{col, ucol};
use crate::column::{ColumnDef, ColumnType};
use crate::value::{decode_json_diffs, decode_value, Decimal, Json, Time, Value};
use proptest::prelude::*;

/// The MySQL text of a decimal from its digit strings (independent of the decoder).
fn decimal_text(negative: bool, int_digits: &str, frac_digits: &str) -> String {
    let int = int_digits.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let all_zero = int_digits
        .bytes()
        .chain(frac_digits.bytes())
        .all(|b| b == b'0');
    // MySQL keeps "-" on a negative zero unless the scale is 0
    let sign = negative && !(all_zero && frac_digits.is_empty());
    let mut s = String::new();
    if sign {
        s.push('-');
    }
    s.push_str(int);
    if !frac_digits.is_empty() {
        s.push('.');
        s.push_str(frac_digits);
    }
    s
}

fn digits(n: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, n)
        .prop_map(|v| v.into_iter().map(|d| char::from(b'0' + d)).collect())
}

fn decimal_case() -> impl Strategy<Value = (u8, u8, bool, String, String)> {
    (1u8..=65)
        .prop_flat_map(|p| (Just(p), 0..=p.min(38)))
        .prop_flat_map(|(p, s)| {
            (
                Just(p),
                Just(s),
                any::<bool>(),
                // bias towards leading zeros and zero values
                prop_oneof![
                    digits(usize::from(p - s)),
                    Just("0".repeat(usize::from(p - s)))
                ],
                digits(usize::from(s)),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn decimal_round_trip((p, s, neg, int, frac) in decimal_case()) {
        let bytes = encode::decimal(neg, &int, &frac);
        prop_assert_eq!(bytes.len(), crate::value::decimal::binary_size(p, s));
        let c = col(ColumnType::NewDecimal, u16::from(p) << 8 | u16::from(s));
        let mut input = bytes.clone();
        input.push(0xee);
        let (v, n) = decode_value(&c, &input).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(n, bytes.len());
        let Value::Decimal(d) = v else { return Err(TestCaseError::fail("not a decimal")) };
        prop_assert_eq!(d.to_string(), decimal_text(neg, &int, &frac));
        if p <= 38 {
            let m: i128 = format!("{int}{frac}").parse().unwrap_or(0);
            prop_assert_eq!(d.mantissa(), Some(if neg { -m } else { m }));
        }
        // every strict prefix is a truncation
        for k in 0..bytes.len() {
            prop_assert!(Decimal::decode(&bytes[..k], p, s).is_err());
        }
    }

    #[test]
    fn time2_round_trip(neg in any::<bool>(), h in 0u32..=838, m in 0u32..60, sec in 0u32..60,
                        us in 0u32..1_000_000, fsp in 0u8..=6) {
        let unit = 10u32.pow(u32::from(6 - fsp));
        let us = us / unit * unit;
        let packed = encode::time_packed(neg, h, m, sec, us);
        let bytes = encode::time2(packed, fsp);
        let (v, n) = decode_value(&col(ColumnType::Time2, u16::from(fsp)), &bytes)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(n, bytes.len());
        let want = Time { negative: neg && packed != 0, hours: h, minutes: m as u8, seconds: sec as u8, micros: us, fsp };
        prop_assert_eq!(v, Value::Time(want));
        let frac = if fsp > 0 { format!(".{:0w$}", us / unit, w = usize::from(fsp)) } else { String::new() };
        let text = format!("{}{h:02}:{m:02}:{sec:02}{frac}", if want.negative { "-" } else { "" });
        let Value::Time(t) = v else { return Err(TestCaseError::fail("not a time")) };
        prop_assert_eq!(t.to_string(), text);
    }

    #[test]
    fn datetime2_and_timestamp2_round_trip(y in 0u32..=9999, mo in 0u32..=12, d in 0u32..=31, h in 0u32..24,
                                           mi in 0u32..60, s in 0u32..60, us in 0u32..1_000_000,
                                           fsp in 0u8..=6, secs in any::<u32>()) {
        let unit = 10u32.pow(u32::from(6 - fsp));
        let us = us / unit * unit;
        let bytes = encode::datetime2(encode::datetime_packed(y, mo, d, h, mi, s, us), fsp);
        let (v, n) = decode_value(&col(ColumnType::DateTime2, u16::from(fsp)), &bytes)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(n, bytes.len());
        let Value::DateTime(t) = v else { return Err(TestCaseError::fail("not a datetime")) };
        prop_assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second, t.micros, t.fsp),
            (y as u16, mo as u8, d as u8, h as u8, mi as u8, s as u8, us, fsp)
        );
        let frac = if fsp > 0 { format!(".{:0w$}", us / unit, w = usize::from(fsp)) } else { String::new() };
        prop_assert_eq!(t.to_string(), format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{frac}"));

        let bytes = encode::timestamp2(secs, us, fsp);
        let (v, n) = decode_value(&col(ColumnType::Timestamp2, u16::from(fsp)), &bytes)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(n, bytes.len());
        prop_assert_eq!(v, Value::Timestamp { seconds: secs, micros: us, fsp });
    }

    #[test]
    fn old_temporal_round_trip(y in 0u32..=9999, mo in 0u32..=12, d in 0u32..=31, h in 0u32..=838,
                               mi in 0u32..60, s in 0u32..60, neg in any::<bool>()) {
        let date = (y << 9 | mo << 5 | d).to_le_bytes();
        let Value::Date(v) = decode_value(&col(ColumnType::Date, 0), &date[..3])
            .map_err(|e| TestCaseError::fail(e.to_string()))?.0 else { return Err(TestCaseError::fail("date")) };
        prop_assert_eq!((v.year, v.month, v.day), (y as u16, mo as u8, d as u8));
        let hms = (h * 10_000 + mi * 100 + s) as i32;
        let stored = if neg { -hms } else { hms };
        let Value::Time(t) = decode_value(&col(ColumnType::Time, 0), &stored.to_le_bytes()[..3])
            .map_err(|e| TestCaseError::fail(e.to_string()))?.0 else { return Err(TestCaseError::fail("time")) };
        prop_assert_eq!((t.negative, t.hours, t.minutes, t.seconds), (neg && hms != 0, h, mi as u8, s as u8));
        let dt = u64::from(y) * 10_000_000_000 + u64::from(mo) * 100_000_000 + u64::from(d) * 1_000_000
            + u64::from(h % 24) * 10_000 + u64::from(mi) * 100 + u64::from(s);
        let Value::DateTime(t) = decode_value(&col(ColumnType::DateTime, 0), &dt.to_le_bytes())
            .map_err(|e| TestCaseError::fail(e.to_string()))?.0 else { return Err(TestCaseError::fail("datetime")) };
        prop_assert_eq!((t.year, t.month, t.day, t.hour, t.minute, t.second),
                        (y as u16, mo as u8, d as u8, (h % 24) as u8, mi as u8, s as u8));
    }

    #[test]
    fn integers_round_trip(v in any::<i64>()) {
        let b = v.to_le_bytes();
        for (t, n) in [(ColumnType::Tiny, 1usize), (ColumnType::Short, 2), (ColumnType::Int24, 3),
                       (ColumnType::Long, 4), (ColumnType::LongLong, 8)] {
            let bits = 8 * n as u32;
            let unsigned = if bits == 64 { v as u64 } else { (v as u64) & ((1u64 << bits) - 1) };
            let signed = if bits == 64 { v } else { ((unsigned << (64 - bits)) as i64) >> (64 - bits) };
            prop_assert_eq!(decode_value(&col(t, 0), &b[..n]).ok(), Some((Value::Signed(signed), n)));
            prop_assert_eq!(decode_value(&ucol(t, 0), &b[..n]).ok(), Some((Value::Unsigned(unsigned), n)));
        }
    }
}

/// Column types and metadata worth fuzzing (all codes, metadata biased to plausible values).
fn any_column() -> impl Strategy<Value = ColumnDef> {
    (
        any::<u8>(),
        prop_oneof![
            0u16..=8,
            any::<u16>(),
            (0u16..=65, 0u16..=40).prop_map(|(p, s)| p << 8 | s)
        ],
        any::<bool>(),
        prop_oneof![Just(None), Just(Some(63u32)), Just(Some(45u32))],
    )
        .prop_map(|(code, meta, unsigned, charset)| ColumnDef {
            col_type: ColumnType::from_code(code),
            meta,
            unsigned,
            charset,
            nullable: true,
        })
}

/// Exercises every lazy part of a value (Display, JSON printing).
fn touch(v: &Value<'_>) {
    let _ = format!("{v:?}");
    match v {
        Value::Decimal(d) => {
            let _ = d.to_string();
            let _ = d.mantissa();
        }
        Value::Date(d) => drop(d.to_string()),
        Value::Time(t) => drop(t.to_string()),
        Value::DateTime(t) => drop(t.to_string()),
        Value::Json(j) => {
            let _ = j.to_json_string();
            let _ = j.to_string();
        }
        Value::Bit { .. } => drop(v.bit_literal().map(|b| b.to_string())),
        _ => {}
    }
    let _ = v.into_owned().as_value();
}

/// A JSON tree of bounded size (unique object keys).
fn json_tree() -> impl Strategy<Value = TJ> {
    let leaf = prop_oneof![
        Just(TJ::Null),
        any::<bool>().prop_map(TJ::Bool),
        any::<i64>().prop_map(TJ::Int),
        any::<i16>().prop_map(|i| TJ::Int(i64::from(i))),
        any::<u64>().prop_map(TJ::UInt),
        any::<f64>()
            .prop_filter("finite", |d| d.is_finite())
            .prop_map(TJ::Double),
        ".{0,20}".prop_map(|s: String| TJ::Str(s.into_bytes())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            (
                proptest::collection::vec(inner.clone(), 0..6),
                any::<bool>()
            )
                .prop_map(|(v, l)| TJ::Arr(v, l)),
            (proptest::collection::vec(inner, 0..6), any::<bool>()).prop_map(|(v, l)| {
                TJ::Obj(
                    v.into_iter()
                        .enumerate()
                        .map(|(i, x)| (format!("k{i}\"é").into_bytes(), x))
                        .collect(),
                    l,
                )
            }),
        ]
    })
}

fn to_serde(t: &TJ) -> serde_json::Value {
    use serde_json::Value as V;
    match t {
        TJ::Null => V::Null,
        TJ::Bool(b) => V::Bool(*b),
        TJ::Int(i) => V::from(*i),
        TJ::UInt(u) => V::from(*u),
        TJ::Double(d) => V::from(*d),
        TJ::Str(s) => V::String(String::from_utf8_lossy(s).into_owned()),
        TJ::Opaque(..) => V::Null,
        TJ::Arr(v, _) => V::Array(v.iter().map(to_serde).collect()),
        TJ::Obj(m, _) => V::Object(
            m.iter()
                .map(|(k, v)| (String::from_utf8_lossy(k).into_owned(), to_serde(v)))
                .collect(),
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn decode_value_never_panics(c in any_column(), bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        match decode_value(&c, &bytes) {
            Ok((v, n)) => {
                prop_assert!(n <= bytes.len());
                touch(&v);
            }
            Err(e) => prop_assert!(e.offset <= bytes.len() as u64),
        }
    }

    #[test]
    fn json_never_panics_and_prints_valid_json(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(text) = Json::new(&bytes).to_json_string() {
            prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{}", text);
        }
        let _ = Json::new(&bytes).to_string();
        let _ = decode_json_diffs(&bytes);
    }

    #[test]
    fn json_tree_round_trip(t in json_tree()) {
        let doc = encode::json(&t);
        let text = Json::new(&doc).to_json_string().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let parsed: serde_json::Value = serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        prop_assert_eq!(parsed, to_serde(&t), "{}", text);
    }

    #[test]
    fn mutated_json_never_panics(t in json_tree(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let mut doc = encode::json(&t);
        for (i, b) in flips {
            let n = doc.len();
            doc[i % n] = b;
        }
        if let Ok(text) = Json::new(&doc).to_json_string() {
            prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{}", text);
        }
    }
}
