//! Test-only encoders: the *writing* side of the formats, transcribed from MySQL's encoders
//! (`decimal2bin`, `my_time_packed_to_binary`, `my_datetime_packed_to_binary`,
//! `my_timestamp_to_binary`, `json_binary::serialize`), to round-trip the decoders.

/// `[0, 1, 1, 2, 2, 3, 3, 4, 4, 4]`: bytes for a group of n < 9 digits.
const DIG2BYTES: [usize; 10] = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

/// Encodes a decimal given as sign, integer digits and fraction digits (ASCII, already padded
/// to `precision - scale` and `scale` digits) in MySQL's binary format.
pub fn decimal(negative: bool, int_digits: &str, frac_digits: &str) -> Vec<u8> {
    let num = |s: &str| s.bytes().fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
    let mut out = Vec::new();
    let mut put = |value: u32, nbytes: usize| {
        for i in (0..nbytes).rev() {
            out.push((value >> (8 * i)) as u8);
        }
    };
    let lead = int_digits.len() % 9;
    put(num(&int_digits[..lead]), DIG2BYTES[lead]);
    for chunk in int_digits.as_bytes()[lead..].chunks(9) {
        put(num(std::str::from_utf8(chunk).unwrap_or("0")), 4);
    }
    let full = frac_digits.len() / 9 * 9;
    for chunk in frac_digits.as_bytes()[..full].chunks(9) {
        put(num(std::str::from_utf8(chunk).unwrap_or("0")), 4);
    }
    let rest = &frac_digits[full..];
    put(num(rest), DIG2BYTES[rest.len()]);
    if let Some(first) = out.first_mut() {
        *first ^= 0x80;
    }
    if negative {
        for b in &mut out {
            *b = !*b;
        }
    }
    out
}

/// C's `%` (remainder with the sign of the dividend).
fn c_rem(a: i64, b: i64) -> i64 {
    a % b // Rust's % already truncates toward zero like C
}

/// MySQL's packed time: `(hms << 24) + micros`, negated for negative values.
pub fn time_packed(negative: bool, hours: u32, minutes: u32, seconds: u32, micros: u32) -> i64 {
    let hms = i64::from(hours) << 12 | i64::from(minutes) << 6 | i64::from(seconds);
    let v = (hms << 24) + i64::from(micros);
    if negative {
        -v
    } else {
        v
    }
}

/// `my_time_packed_to_binary`.
pub fn time2(packed: i64, fsp: u8) -> Vec<u8> {
    let int_part = (packed >> 24) + 0x80_0000; // arithmetic shift = C's >> on longlong
    let frac = c_rem(packed, 1 << 24);
    let mut out = int_part.to_be_bytes()[5..].to_vec();
    match fsp {
        1 | 2 => out.push((frac / 10_000) as i8 as u8),
        3 | 4 => out.extend_from_slice(&((frac / 100) as i16).to_be_bytes()),
        5 | 6 => return (packed + 0x8000_0000_0000).to_be_bytes()[2..].to_vec(),
        _ => {}
    }
    out
}

/// MySQL's packed datetime.
pub fn datetime_packed(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32, micros: u32) -> i64 {
    let ymd = (i64::from(y) * 13 + i64::from(mo)) << 5 | i64::from(d);
    let hms = i64::from(h) << 12 | i64::from(mi) << 6 | i64::from(s);
    ((ymd << 17 | hms) << 24) + i64::from(micros)
}

/// `my_datetime_packed_to_binary`.
pub fn datetime2(packed: i64, fsp: u8) -> Vec<u8> {
    let int_part = (packed >> 24) + 0x80_0000_0000;
    let frac = c_rem(packed, 1 << 24);
    let mut out = int_part.to_be_bytes()[3..].to_vec();
    match fsp {
        1 | 2 => out.push((frac / 10_000) as u8),
        3 | 4 => out.extend_from_slice(&((frac / 100) as u16).to_be_bytes()),
        5 | 6 => out.extend_from_slice(&(frac as u32).to_be_bytes()[1..]),
        _ => {}
    }
    out
}

/// `my_timestamp_to_binary`.
pub fn timestamp2(seconds: u32, micros: u32, fsp: u8) -> Vec<u8> {
    let mut out = seconds.to_be_bytes().to_vec();
    match fsp {
        1 | 2 => out.push((micros / 10_000) as u8),
        3 | 4 => out.extend_from_slice(&((micros / 100) as u16).to_be_bytes()),
        5 | 6 => out.extend_from_slice(&micros.to_be_bytes()[1..]),
        _ => {}
    }
    out
}

/// A JSON tree for the test encoder.
#[derive(Debug, Clone, PartialEq)]
pub enum TJ {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(Vec<u8>),
    Opaque(u8, Vec<u8>),
    /// Members in storage order; `true` = large container.
    Obj(Vec<(Vec<u8>, TJ)>, bool),
    Arr(Vec<TJ>, bool),
}

/// The 7-bit variable length of strings and opaque values.
fn var_len(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A whole document: type byte and value.
pub fn json(v: &TJ) -> Vec<u8> {
    let (t, body) = json_value(v);
    let mut out = vec![t];
    out.extend(body);
    out
}

/// `(type, bytes)` of a value.
pub fn json_value(v: &TJ) -> (u8, Vec<u8>) {
    match v {
        TJ::Null => (0x04, vec![0]),
        TJ::Bool(true) => (0x04, vec![1]),
        TJ::Bool(false) => (0x04, vec![2]),
        TJ::Int(i) => {
            if let Ok(x) = i16::try_from(*i) {
                (0x05, x.to_le_bytes().to_vec())
            } else if let Ok(x) = i32::try_from(*i) {
                (0x07, x.to_le_bytes().to_vec())
            } else {
                (0x09, i.to_le_bytes().to_vec())
            }
        }
        TJ::UInt(u) => {
            if let Ok(x) = u16::try_from(*u) {
                (0x06, x.to_le_bytes().to_vec())
            } else if let Ok(x) = u32::try_from(*u) {
                (0x08, x.to_le_bytes().to_vec())
            } else {
                (0x0a, u.to_le_bytes().to_vec())
            }
        }
        TJ::Double(d) => (0x0b, d.to_le_bytes().to_vec()),
        TJ::Str(s) => {
            let mut out = Vec::new();
            var_len(s.len(), &mut out);
            out.extend_from_slice(s);
            (0x0c, out)
        }
        TJ::Opaque(ft, data) => {
            let mut out = vec![*ft];
            var_len(data.len(), &mut out);
            out.extend_from_slice(data);
            (0x0f, out)
        }
        TJ::Obj(members, large) => {
            let keys: Vec<&[u8]> = members.iter().map(|(k, _)| k.as_slice()).collect();
            let values: Vec<&TJ> = members.iter().map(|(_, v)| v).collect();
            (
                if *large { 0x01 } else { 0x00 },
                container(Some(&keys), &values, *large),
            )
        }
        TJ::Arr(items, large) => {
            let values: Vec<&TJ> = items.iter().collect();
            (
                if *large { 0x03 } else { 0x02 },
                container(None, &values, *large),
            )
        }
    }
}

fn container(keys: Option<&[&[u8]]>, values: &[&TJ], large: bool) -> Vec<u8> {
    let osz = if large { 4 } else { 2 };
    let put = |out: &mut Vec<u8>, v: usize| out.extend_from_slice(&(v as u32).to_le_bytes()[..osz]);
    let n = values.len();
    let key_entries = if keys.is_some() { n * (osz + 2) } else { 0 };
    let header = 2 * osz + key_entries + n * (1 + osz);
    // key bytes, then value bytes, after the header
    let mut tail = Vec::new();
    let mut key_pos = Vec::new();
    if let Some(keys) = keys {
        for k in keys {
            key_pos.push((header + tail.len(), k.len()));
            tail.extend_from_slice(k);
        }
    }
    let mut entries = Vec::new();
    for v in values {
        let (t, bytes) = json_value(v);
        let inline = match t {
            0x04..=0x06 => true,
            0x07 | 0x08 => large,
            _ => false,
        };
        entries.push(t);
        if inline {
            let mut b = bytes;
            b.resize(osz, 0);
            entries.extend_from_slice(&b);
        } else {
            put(&mut entries, header + tail.len());
            tail.extend_from_slice(&bytes);
        }
    }
    let mut out = Vec::new();
    put(&mut out, n);
    put(&mut out, header + tail.len());
    for (off, len) in key_pos {
        put(&mut out, off);
        out.extend_from_slice(&(len as u16).to_le_bytes());
    }
    out.extend(entries);
    out.extend(tail);
    out
}
