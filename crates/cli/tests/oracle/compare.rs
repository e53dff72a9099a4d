//! Turns one oracle cell (`@N=... /* TYPE meta=.. */`) into an expected value and checks a value of
//! `binvault inspect --format json` against it.
//!
//! Normalisation of the oracle's printing quirks (mariadb-binlog 10.11 -vv):
//! * integers: `-1 (255)` = signed value, then the unsigned reading; which one is expected depends on the
//!   column's UNSIGNED flag from `# Columns(` (signed when the table map carries no signedness, as binvault
//!   then prints signed too). Unknown signedness (stored oracle text without metadata) accepts either.
//! * YEAR 0 is printed as `1900` (the tool adds 1900 to the stored byte); real years are 1901..2155, so 1900 -> 0.
//! * SET is printed as a bit string `b'00000101'`; binvault prints the bitmask as a number.
//! * DATE is printed `'YYYY:MM:DD'`; TIME/DATETIME/TIMESTAMP fractions are compared by value (`.5` == `.500000`).
//! * FLOAT is printed with `%-20g` (6 significant digits): both sides are formatted to 6 significant digits.
//!   DOUBLE is printed with `%.20g`, which parses back to the exact double: compared exactly.
//! * DECIMAL: compared as exact decimal numbers (leading/trailing zeros and `-0` normalised).
//! * strings/blobs/geometry/JSON: compared as bytes (binvault: JSON string = its UTF-8 bytes, `{"hex": ..}`).
//! * `... COMPRESSED` columns (MariaDB column compression): the tool prints the stored bytes (1 header byte,
//!   optional original length, zlib data). binvault may print either those stored bytes or the decompressed
//!   value; both are accepted and counted separately.

use serde_json::Value;

use super::vv::{unquote, Cell};

#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    Null,
    /// `a`: value as printed first (signed reading), `b`: the unsigned reading printed in parentheses
    Int {
        a: i128,
        b: Option<i128>,
        unsigned: Option<bool>,
    },
    Year(i64),
    Enum(u64),
    Set(u64),
    Bit(String),
    Decimal(String),
    Float(f64),
    Double(f64),
    Bytes(Vec<u8>),
    Compressed {
        stored: Vec<u8>,
        plain: Option<Vec<u8>>,
    },
    Date(String),
    /// (negative, hours, minutes, seconds, microseconds)
    Time(bool, u32, u32, u32, u32),
    /// (date "YYYY-MM-DD", hh, mm, ss, microseconds)
    DateTime(String, u32, u32, u32, u32),
    /// (seconds, microseconds)
    Timestamp(u64, u32),
}

/// Which representation of a value matched (for statistics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Matched {
    Exact,
    SignednessUnknown,
    CompressedStored,
    CompressedPlain,
}

fn text(raw: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(raw)
        .map_err(|_| "value is not UTF-8".to_string())
        .map(str::trim_end)
}

fn parse_int_text(s: &str) -> Result<(i128, Option<i128>), String> {
    let (a, b) = match s.split_once(" (") {
        Some((a, b)) => (
            a,
            Some(b.strip_suffix(')').ok_or("bad '(unsigned)' suffix")?),
        ),
        None => (s, None),
    };
    let a: i128 = a.parse().map_err(|e| format!("bad integer {a:?}: {e}"))?;
    let b = match b {
        Some(b) => Some(
            b.parse::<i128>()
                .map_err(|e| format!("bad integer {b:?}: {e}"))?,
        ),
        None => None,
    };
    Ok((a, b))
}

fn parse_bits(s: &str) -> Result<String, String> {
    let inner = s
        .strip_prefix("b'")
        .and_then(|r| r.strip_suffix('\''))
        .ok_or("bit value not b'...'")?;
    if inner.is_empty() || !inner.bytes().all(|c| c == b'0' || c == b'1') {
        return Err(format!("bad bit string {s:?}"));
    }
    Ok(inner.to_string())
}

fn bits_value(bits: &str) -> Option<u128> {
    if bits.is_empty() || bits.len() > 128 {
        return None;
    }
    u128::from_str_radix(bits, 2).ok()
}

/// fraction digits -> microseconds (".5" -> 500000); at most 6 digits
fn micros(frac: &str) -> Result<u32, String> {
    if frac.len() > 6 || !frac.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("bad fraction {frac:?}"));
    }
    let padded = format!("{frac:0<6}");
    padded.parse().map_err(|_| format!("bad fraction {frac:?}"))
}

fn split_frac(s: &str) -> Result<(&str, u32), String> {
    match s.split_once('.') {
        Some((w, f)) => Ok((w, micros(f)?)),
        None => Ok((s, 0)),
    }
}

fn num<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("bad number {s:?}"));
    }
    s.parse().map_err(|_| format!("bad number {s:?}"))
}

/// "[-]H+:MM:SS[.f]" -> Time
pub fn parse_time(s: &str) -> Result<Expected, String> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (hms, us) = split_frac(body)?;
    let parts: Vec<&str> = hms.split(':').collect();
    let [h, m, sec] = parts.as_slice() else {
        return Err(format!("bad time {s:?}"));
    };
    if m.len() != 2 || sec.len() != 2 {
        return Err(format!("bad time {s:?}"));
    }
    Ok(Expected::Time(neg, num(h)?, num(m)?, num(sec)?, us))
}

fn check_date(d: &str) -> Result<(), String> {
    let b = d.as_bytes();
    if b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        Ok(())
    } else {
        Err(format!("bad date {d:?}"))
    }
}

/// "YYYY-MM-DD HH:MM:SS[.f]" -> DateTime
pub fn parse_datetime(s: &str) -> Result<Expected, String> {
    let (d, t) = s
        .split_once(' ')
        .ok_or_else(|| format!("bad datetime {s:?}"))?;
    check_date(d)?;
    match parse_time(t)? {
        Expected::Time(false, h, m, sec, us) if h < 24 => {
            Ok(Expected::DateTime(d.to_string(), h, m, sec, us))
        }
        _ => Err(format!("bad datetime {s:?}")),
    }
}

/// "SECONDS[.f]" -> Timestamp
pub fn parse_timestamp(s: &str) -> Result<Expected, String> {
    let (w, us) = split_frac(s)?;
    Ok(Expected::Timestamp(num(w)?, us))
}

/// Canonical form of an exact decimal: no leading zeros in the integer part, no trailing zeros in the
/// fraction, no "-0".
pub fn normalize_decimal(s: &str) -> Result<String, String> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (ip, fp) = body.split_once('.').unwrap_or((body, ""));
    if (ip.is_empty() && fp.is_empty()) || !ip.bytes().chain(fp.bytes()).all(|c| c.is_ascii_digit())
    {
        return Err(format!("bad decimal {s:?}"));
    }
    let ip = ip.trim_start_matches('0');
    let fp = fp.trim_end_matches('0');
    let ip = if ip.is_empty() { "0" } else { ip };
    let mut out = String::new();
    if neg && !(ip == "0" && fp.is_empty()) {
        out.push('-');
    }
    out.push_str(ip);
    if !fp.is_empty() {
        out.push('.');
        out.push_str(fp);
    }
    Ok(out)
}

/// MariaDB column compression (sql/field_comp.cc): header byte 0 = stored as is; otherwise
/// 0x80 | (raw deflate ? 0x08 : 0) | n, then n bytes of original length (big-endian), then the zlib data.
pub fn decompress_column(stored: &[u8]) -> Option<Vec<u8>> {
    // an empty value is stored as zero bytes, without a header
    let Some((&h, rest)) = stored.split_first() else {
        return Some(Vec::new());
    };
    if h == 0 {
        return Some(rest.to_vec());
    }
    if h & 0x80 == 0 {
        return None;
    }
    let n = (h & 0x07) as usize;
    let raw = h & 0x08 != 0;
    if n == 0 || n > 4 || rest.len() < n {
        return None;
    }
    let len = rest[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize);
    let data = &rest[n..];
    let mut out = Vec::with_capacity(len.min(64 << 20));
    let mut d = flate2::Decompress::new(!raw);
    loop {
        let before_in = d.total_in() as usize;
        out.reserve(len.saturating_sub(out.len()).max(64));
        let st = d
            .decompress_vec(
                &data[before_in..],
                &mut out,
                flate2::FlushDecompress::Finish,
            )
            .ok()?;
        match st {
            flate2::Status::StreamEnd => break,
            _ if d.total_in() as usize == before_in && out.len() < out.capacity() => return None,
            _ => {}
        }
        if out.len() > len {
            return None;
        }
    }
    (out.len() == len).then_some(out)
}

/// The expected value for one oracle cell.
pub fn expected(cell: &Cell) -> Result<Expected, String> {
    if cell.is_null {
        return Ok(Expected::Null);
    }
    let t = cell.type_name.as_str();
    let paren = |p: &str| t.strip_prefix(p).and_then(|r| r.strip_suffix(')'));
    let string_type = t.starts_with("STRING(")
        || t.starts_with("VARSTRING(")
        || t.ends_with("BLOB/TEXT")
        || t.ends_with("BLOB/LONGTEXT")
        || t.ends_with("BLOB/MEDIUMTEXT")
        || t.ends_with("BLOB/TINYTEXT")
        || t == "GEOMETRY";
    let exp = match t {
        "TINYINT" | "SHORTINT" | "MEDIUMINT" | "INT" | "LONGINT" => {
            let (a, b) = parse_int_text(text(&cell.raw)?)?;
            if let Some(b) = b {
                if a >= 0 || b <= 0 {
                    return Err(format!("unexpected signed/unsigned pair {a} ({b})"));
                }
            }
            Expected::Int {
                a,
                b,
                unsigned: cell.unsigned,
            }
        }
        "YEAR" => {
            let y: i64 = text(&cell.raw)?
                .parse()
                .map_err(|_| "bad YEAR".to_string())?;
            Expected::Year(if y == 1900 { 0 } else { y })
        }
        "FLOAT" => Expected::Float(
            text(&cell.raw)?
                .parse()
                .map_err(|_| "bad FLOAT".to_string())?,
        ),
        "DOUBLE" => Expected::Double(
            text(&cell.raw)?
                .parse()
                .map_err(|_| "bad DOUBLE".to_string())?,
        ),
        "DATE" => {
            let b = unquote(&cell.raw).ok_or("DATE not quoted")?;
            let s = String::from_utf8(b)
                .map_err(|_| "DATE not UTF-8")?
                .replace(':', "-");
            check_date(&s)?;
            Expected::Date(s)
        }
        _ if t == "TIME" || paren("TIME(").is_some() => {
            let b = unquote(&cell.raw).ok_or("TIME not quoted")?;
            parse_time(std::str::from_utf8(&b).map_err(|_| "TIME not UTF-8")?)?
        }
        _ if t == "DATETIME" || paren("DATETIME(").is_some() => {
            let b = unquote(&cell.raw).ok_or("DATETIME not quoted")?;
            parse_datetime(std::str::from_utf8(&b).map_err(|_| "DATETIME not UTF-8")?)?
        }
        _ if t == "TIMESTAMP" || paren("TIMESTAMP(").is_some() => {
            parse_timestamp(text(&cell.raw)?)?
        }
        _ if paren("DECIMAL(").is_some() => Expected::Decimal(normalize_decimal(text(&cell.raw)?)?),
        _ if paren("BIT(").is_some() => Expected::Bit(parse_bits(text(&cell.raw)?)?),
        _ if paren("ENUM(").is_some() => {
            Expected::Enum(text(&cell.raw)?.parse().map_err(|_| "bad ENUM")?)
        }
        _ if paren("SET(").is_some() => {
            // the tool prints the stored bytes in storage order, i.e. little-endian: b'<byte0><byte1>...'
            let bits = parse_bits(text(&cell.raw)?)?;
            if bits.len() % 8 != 0 || bits.len() > 64 {
                return Err(format!("SET bit string of {} bits", bits.len()));
            }
            let v = bits
                .as_bytes()
                .chunks(8)
                .enumerate()
                .try_fold(0u64, |acc, (i, byte)| {
                    let b = u8::from_str_radix(std::str::from_utf8(byte).ok()?, 2).ok()?;
                    Some(acc | (u64::from(b) << (8 * i)))
                });
            Expected::Set(v.ok_or("bad SET bit string")?)
        }
        _ if t.ends_with(" COMPRESSED") => {
            let stored = unquote(&cell.raw).ok_or("compressed value not quoted")?;
            let plain = decompress_column(&stored);
            Expected::Compressed { stored, plain }
        }
        _ if string_type => Expected::Bytes(unquote(&cell.raw).ok_or("string value not quoted")?),
        _ => {
            return Err(format!(
                "oracle type {t:?} is not handled by the test (extend compare.rs)"
            ))
        }
    };
    Ok(exp)
}

fn actual_int(v: &Value) -> Option<i128> {
    if let Some(u) = v.as_u64() {
        Some(u as i128)
    } else {
        v.as_i64().map(|i| i as i128)
    }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    // hand-rolled: this runs over 17 MiB values in unoptimised test builds
    fn nib(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let mut out = Vec::with_capacity(b.len() / 2);
    for pair in b.chunks_exact(2) {
        out.push((nib(pair[0])? << 4) | nib(pair[1])?);
    }
    Some(out)
}

/// binvault's representation of a byte string: a JSON string (its UTF-8 bytes) or {"hex": "..."}.
pub fn actual_bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Object(m) if m.len() == 1 => hex_decode(m.get("hex")?.as_str()?),
        _ => None,
    }
}

fn f6(x: f64) -> String {
    format!("{x:.5e}")
}

/// Checks `actual` against `exp`. Ok(which representation matched) or Err(reason).
pub fn check(exp: &Expected, actual: &Value) -> Result<Matched, String> {
    use Expected as E;
    let bad = |what: &str| Err(format!("expected {what}, got {}", show_json(actual)));
    match exp {
        E::Null => {
            if actual.is_null() {
                Ok(Matched::Exact)
            } else {
                bad("NULL")
            }
        }
        E::Int { a, b, unsigned } => {
            let Some(x) = actual_int(actual) else {
                return bad("an integer");
            };
            let want = match (b, unsigned) {
                (None, _) => *a,
                (Some(b), Some(true)) => *b,
                (Some(_), Some(false)) => *a,
                (Some(b), None) => {
                    return if x == *a || x == *b {
                        Ok(Matched::SignednessUnknown)
                    } else {
                        Err(format!("expected {a} or {b} (signedness unknown), got {x}"))
                    }
                }
            };
            if x == want {
                Ok(Matched::Exact)
            } else {
                Err(format!("expected {want}, got {x}"))
            }
        }
        E::Year(y) => match actual.as_i64() {
            Some(x) if x == *y => Ok(Matched::Exact),
            _ => bad(&format!("YEAR {y}")),
        },
        E::Enum(n) | E::Set(n) => match actual.as_u64() {
            Some(x) if x == *n => Ok(Matched::Exact),
            _ => bad(&format!("{n}")),
        },
        E::Bit(bits) => {
            let want = format!("b'{bits}'");
            match actual.as_str() {
                Some(s) if s == want => Ok(Matched::Exact),
                Some(s) => {
                    let same_value = s
                        .strip_prefix("b'")
                        .and_then(|r| r.strip_suffix('\''))
                        .and_then(bits_value)
                        .is_some_and(|v| Some(v) == bits_value(bits));
                    if same_value {
                        Err(format!(
                            "expected {want}, got {s:?} (same value, different width)"
                        ))
                    } else {
                        Err(format!("expected {want}, got {s:?}"))
                    }
                }
                None => bad(&want),
            }
        }
        E::Decimal(d) => match actual.as_str().map(normalize_decimal) {
            Some(Ok(x)) if x == *d => Ok(Matched::Exact),
            _ => bad(&format!("decimal string {d:?}")),
        },
        // binvault may print the shortest f32 representation ("1.570795"), which read as f64 is not the stored
        // value: read it as f32 (exact for any representation of an f32), then format like %g.
        E::Float(f) => match actual
            .as_number()
            .and_then(|n| n.to_string().parse::<f32>().ok())
        {
            Some(x) if f6(f64::from(x)) == f6(*f) => Ok(Matched::Exact),
            Some(x) => Err(format!(
                "expected FLOAT {f} (6 digits: {}), got {x} ({})",
                f6(*f),
                f6(f64::from(x))
            )),
            None => bad(&format!("FLOAT {f}")),
        },
        E::Double(f) => match actual.as_f64() {
            Some(x) if x.to_bits() == f.to_bits() || (x == 0.0 && *f == 0.0) => Ok(Matched::Exact),
            Some(x) => Err(format!("expected DOUBLE {f:e}, got {x:e}")),
            None => bad(&format!("DOUBLE {f:e}")),
        },
        E::Bytes(b) => match actual_bytes(actual) {
            Some(x) if x == *b => Ok(Matched::Exact),
            Some(x) => Err(format!(
                "expected bytes {}, got {}",
                show_bytes(b),
                show_bytes(&x)
            )),
            None => bad(&format!("bytes {}", show_bytes(b))),
        },
        E::Compressed { stored, plain } => match actual_bytes(actual) {
            Some(x) if x == *stored => Ok(Matched::CompressedStored),
            Some(x) if Some(&x) == plain.as_ref() => Ok(Matched::CompressedPlain),
            Some(x) => Err(format!(
                "expected compressed column bytes {} (decompressed: {}), got {}",
                show_bytes(stored),
                plain
                    .as_ref()
                    .map_or("<cannot decompress>".into(), |p| show_bytes(p)),
                show_bytes(&x)
            )),
            None => bad(&format!("bytes {}", show_bytes(stored))),
        },
        E::Date(d) => match actual.as_str() {
            Some(s) if s == d => Ok(Matched::Exact),
            _ => bad(&format!("DATE {d:?}")),
        },
        E::Time(..) => match actual.as_str().map(parse_time) {
            Some(Ok(x)) if x == *exp => Ok(Matched::Exact),
            _ => bad(&format!("TIME {}", show_expected(exp))),
        },
        E::DateTime(..) => match actual.as_str().map(parse_datetime) {
            Some(Ok(x)) if x == *exp => Ok(Matched::Exact),
            _ => bad(&format!("DATETIME {}", show_expected(exp))),
        },
        E::Timestamp(..) => {
            let parsed = match actual {
                Value::String(s) => parse_timestamp(s).ok(),
                Value::Number(n) if n.is_u64() => Some(E::Timestamp(n.as_u64().unwrap_or(0), 0)),
                _ => None,
            };
            match parsed {
                Some(x) if x == *exp => Ok(Matched::Exact),
                _ => bad(&format!("TIMESTAMP {}", show_expected(exp))),
            }
        }
    }
}

pub fn show_bytes(b: &[u8]) -> String {
    const MAX: usize = 48;
    let head = &b[..b.len().min(MAX)];
    let s = match std::str::from_utf8(head) {
        Ok(s) if !s.chars().any(char::is_control) => format!("{s:?}"),
        _ => format!(
            "x'{}'",
            head.iter().map(|c| format!("{c:02x}")).collect::<String>()
        ),
    };
    if b.len() > MAX {
        let h = b.iter().fold(0xcbf29ce484222325u64, |h, &c| {
            (h ^ c as u64).wrapping_mul(0x100000001b3)
        });
        format!("{s}... ({} bytes, fnv64 {h:016x})", b.len())
    } else {
        s
    }
}

pub fn show_json(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        let cut = (0..=120)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}... ({} chars)", &s[..cut], s.len())
    } else {
        s
    }
}

pub fn show_expected(e: &Expected) -> String {
    match e {
        Expected::Time(neg, h, m, s, us) => format!(
            "{}{h:02}:{m:02}:{s:02}.{us:06}",
            if *neg { "-" } else { "" }
        ),
        Expected::DateTime(d, h, m, s, us) => format!("{d} {h:02}:{m:02}:{s:02}.{us:06}"),
        Expected::Timestamp(s, us) => format!("{s}.{us:06}"),
        Expected::Bytes(b) => show_bytes(b),
        Expected::Compressed { stored, .. } => format!("compressed {}", show_bytes(stored)),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cell(ty: &str, raw: &[u8]) -> Cell {
        Cell {
            col: 1,
            type_name: ty.into(),
            meta: 0,
            nullable: true,
            is_null: raw == b"NULL",
            raw: raw.to_vec(),
            unsigned: Some(false),
            line: 1,
        }
    }
    fn ok(ty: &str, raw: &[u8], actual: Value) {
        let e = expected(&cell(ty, raw)).unwrap();
        assert!(
            check(&e, &actual).is_ok(),
            "{ty} {:?} vs {actual}: {:?}",
            String::from_utf8_lossy(raw),
            check(&e, &actual)
        );
    }
    fn no(ty: &str, raw: &[u8], actual: Value) {
        let e = expected(&cell(ty, raw)).unwrap();
        assert!(
            check(&e, &actual).is_err(),
            "{ty} {:?} vs {actual} should differ",
            String::from_utf8_lossy(raw)
        );
    }

    #[test]
    fn integers_and_signedness() {
        ok("TINYINT", b"-1 (255)", json!(-1));
        no("TINYINT", b"-1 (255)", json!(255));
        let mut c = cell("LONGINT", b"-1 (18446744073709551615)");
        c.unsigned = Some(true);
        let e = expected(&c).unwrap();
        assert_eq!(
            check(&e, &json!(18446744073709551615u64)),
            Ok(Matched::Exact)
        );
        assert!(check(&e, &json!(-1)).is_err());
        c.unsigned = None;
        let e = expected(&c).unwrap();
        assert_eq!(check(&e, &json!(-1)), Ok(Matched::SignednessUnknown));
        assert!(check(&e, &json!(1)).is_err());
        ok(
            "LONGINT",
            b"-9223372036854775808 (9223372036854775808)",
            json!(i64::MIN),
        );
        ok("INT", b"2147483647", json!(2147483647));
        no("INT", b"5", json!("5"));
        no("INT", b"5", json!(5.5));
        ok("INT", b"NULL", Value::Null);
        no("INT", b"NULL", json!(0));
        no("INT", b"0", Value::Null);
    }

    #[test]
    fn year_enum_set_bit() {
        ok("YEAR", b"1900", json!(0));
        ok("YEAR", b"2155", json!(2155));
        no("YEAR", b"1900", json!(1900));
        ok("ENUM(2 bytes)", b"300", json!(300));
        ok("SET(1 bytes)", b"b'00000101'", json!(5));
        // storage (little-endian) byte order: 'm1' of a 64-member SET, then 'm1,m9,m17,m33,m64'
        ok(
            "SET(8 bytes)",
            b"b'0000000100000000000000000000000000000000000000000000000000000000'",
            json!(1),
        );
        ok(
            "SET(8 bytes)",
            b"b'0000000100000001000000010000000000000001000000000000000010000000'",
            json!(9223372041149808897u64),
        );
        ok("SET(2 bytes)", b"b'0000000000001000'", json!(2048));
        no("SET(2 bytes)", b"b'0000000000001000'", json!(8));
        no("SET(1 bytes)", b"b'00000101'", json!("b'00000101'"));
        ok("BIT(5)", b"b'00101'", json!("b'00101'"));
        no("BIT(5)", b"b'00101'", json!("b'00000101'"));
        no("BIT(5)", b"b'00101'", json!(5));
    }

    #[test]
    #[allow(clippy::approx_constant)] // 3.14159 is the FLOAT the workload stores, not an approximation of PI
    fn decimals_and_floats() {
        ok("DECIMAL(10,3)", b"-1.500", json!("-1.500"));
        ok("DECIMAL(10,3)", b"-1.500", json!("-1.5"));
        ok("DECIMAL(4,4)", b"0.9999", json!(".9999"));
        ok("DECIMAL(5,0)", b"0", json!("-0"));
        no("DECIMAL(10,3)", b"-1.500", json!("1.500"));
        no("DECIMAL(10,3)", b"-1.500", json!(-1.5));
        ok(
            "DECIMAL(65,30)",
            b"-12345678901234567890.123456789012345678901234567890",
            json!("-12345678901234567890.12345678901234567890123456789"),
        );
        ok("FLOAT", b"3.14159              ", json!(3.141590118408203));
        ok("FLOAT", b"3.14159              ", json!(3.14159));
        ok("FLOAT", b"1.5708               ", json!(1.570795));
        ok("FLOAT", b"1.5708               ", json!(1.5707950592041016));
        no("FLOAT", b"1.5708               ", json!(1.570794));
        ok(
            "FLOAT",
            b"3.40282e+38          ",
            json!(3.4028234663852886e38),
        );
        ok("FLOAT", b"-1.5e-38             ", json!(-1.5e-38f32 as f64));
        no("FLOAT", b"3.14159              ", json!(3.14158));
        ok(
            "DOUBLE",
            b"2.7182818284590450908",
            json!(std::f64::consts::E),
        );
        ok("DOUBLE", b"4.9406564584124654418e-324", json!(5e-324));
        ok("DOUBLE", b"1.7976931348623157081e+308", json!(f64::MAX));
        ok("DOUBLE", b"1000000000", json!(1000000000));
        no(
            "DOUBLE",
            b"2.7182818284590450908",
            json!(2.7182818284590455),
        );
    }

    #[test]
    fn temporal() {
        ok("DATE", b"'2024:02:29'", json!("2024-02-29"));
        ok("DATE", b"'0000:00:00'", json!("0000-00-00"));
        no("DATE", b"'2024:02:29'", json!("2024:02:29"));
        ok("TIME(3)", b"'-01:02:03.456'", json!("-01:02:03.456"));
        ok("TIME(3)", b"'-01:02:03.456'", json!("-01:02:03.456000"));
        ok("TIME(0)", b"'-838:59:59'", json!("-838:59:59"));
        ok("TIME", b"'-838:59:59'", json!("-838:59:59.000000"));
        no("TIME(6)", b"'-00:00:00.000001'", json!("00:00:00.000001"));
        no("TIME(1)", b"'00:00:00.1'", json!("00:00:00.01"));
        ok(
            "DATETIME(2)",
            b"'2024-02-29 23:59:59.99'",
            json!("2024-02-29 23:59:59.990000"),
        );
        ok(
            "DATETIME(0)",
            b"'0000-00-00 00:00:00'",
            json!("0000-00-00 00:00:00"),
        );
        no(
            "DATETIME(6)",
            b"'2024-02-29 23:59:59.999999'",
            json!("2024-02-29 23:59:59.99999"),
        );
        ok(
            "TIMESTAMP(6)",
            b"1709251199.123456",
            json!("1709251199.123456"),
        );
        ok("TIMESTAMP(3)", b"0.000", json!("0"));
        ok("TIMESTAMP(0)", b"1709251199", json!("1709251199"));
        ok("TIMESTAMP", b"1", json!(1));
        no("TIMESTAMP(3)", b"1.001", json!("1.01"));
    }

    #[test]
    fn strings_and_blobs() {
        ok("VARSTRING(400)", "'héllo 😀'".as_bytes(), json!("héllo 😀"));
        ok(
            "VARSTRING(400)",
            "'héllo 😀'".as_bytes(),
            json!({"hex": "68c3a96c6c6f20f09f9880"}),
        );
        ok("STRING(20)", b"'Gr\xfc\xdfe'", json!({"hex": "4772FCDF65"}));
        no("STRING(20)", b"'Gr\xfc\xdfe'", json!("Grüße"));
        ok("BLOB/TEXT", b"'\\x00\\x0a'''", json!({"hex": "000a2727"}));
        ok("LONGBLOB/LONGTEXT", b"''", json!(""));
        ok(
            "GEOMETRY",
            b"'\\x00\\x00\\x00\\x00\\x01'",
            json!({"hex": "0000000001"}),
        );
        no("TINYBLOB/TINYTEXT", b"'ab'", json!({"hex": "616"}));
        no("TINYBLOB/TINYTEXT", b"'ab'", json!(["ab"]));
        no("MEDIUMBLOB/MEDIUMTEXT", b"'ab'", json!("abc"));
    }

    #[test]
    fn compressed_columns() {
        // stored uncompressed: header 0x00
        ok(
            "BLOB/TEXT COMPRESSED",
            b"'\\x00short'",
            json!({"hex": "0073686f7274"}),
        );
        ok("BLOB/TEXT COMPRESSED", b"'\\x00short'", json!("short"));
        // raw deflate of 520 bytes 'compressible ' x 40 as the server wrote it: 0x8a 0x02 0x08 <deflate>
        let plain = "compressible ".repeat(40);
        let mut enc =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut enc, plain.as_bytes()).unwrap();
        let mut stored = vec![0x8a, 0x02, 0x08];
        stored.extend(enc.finish().unwrap());
        assert_eq!(
            decompress_column(&stored).as_deref(),
            Some(plain.as_bytes())
        );
        assert_eq!(decompress_column(&[0x8a, 0x02, 0x09, 1, 2]), None);
        assert_eq!(decompress_column(b"").as_deref(), Some(&b""[..]));
        let e = Expected::Compressed {
            stored: stored.clone(),
            plain: decompress_column(&stored),
        };
        assert_eq!(check(&e, &json!(plain)), Ok(Matched::CompressedPlain));
        let hex: String = stored.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            check(&e, &json!({ "hex": hex })),
            Ok(Matched::CompressedStored)
        );
        assert!(check(&e, &json!("compressible")).is_err());
    }

    #[test]
    fn unknown_type_is_an_error() {
        assert!(expected(&cell("VECTOR(3)", b"'x'")).is_err());
        assert!(expected(&cell("TINYINT", b"'x'")).is_err());
        assert!(expected(&cell("DATE", b"2024:01:01")).is_err());
    }
}
