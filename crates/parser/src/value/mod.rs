//! Column values of row images: decoding one value of a column from row bytes.
//!
//! [`decode_value`] reads the value of one non-NULL column at the start of a slice and returns
//! a [`Value`] that borrows from it, plus the number of bytes the value occupies. It never
//! allocates and never panics: every length is checked against the bytes left, and bad data
//! gives a typed [`Error`] whose offset is relative to the slice.
//!
//! Storage formats follow MySQL's `Field::unpack`/`log_event.cc` and MariaDB's equivalents:
//! integers, floats, dates and length prefixes are little-endian; `DECIMAL`, `BIT`, and the
//! `*2` temporal types (MySQL 5.6.4+) are big-endian. Text, JSON and decimals are decoded
//! lazily by the types that wrap them ([`Decimal`], [`Json`]).
//!
//! | column type (code) | bytes | value |
//! |---|---|---|
//! | TINYINT 1, SMALLINT 2, MEDIUMINT 9, INT 3, BIGINT 8 | 1, 2, 3, 4, 8 | `Signed` / `Unsigned` (`col.unsigned`) |
//! | FLOAT 4, DOUBLE 5 | 4, 8 | `Float`, `Double` |
//! | YEAR 13 | 1 | `Year` (0, or 1900 + byte) |
//! | NEWDECIMAL 246 | `Decimal::binary_size` | `Decimal` (meta `precision << 8 \| scale`) |
//! | DATE 10 | 3 | `Date` |
//! | TIME 11 / TIME2 19 | 3 / 3 + (fsp+1)/2 | `Time` |
//! | DATETIME 12 / DATETIME2 18 | 8 / 5 + (fsp+1)/2 | `DateTime` |
//! | TIMESTAMP 7 / TIMESTAMP2 17 | 4 / 4 + (fsp+1)/2 | `Timestamp { seconds, micros, fsp }` |
//! | VARCHAR 15, VAR_STRING 253, CHAR 254 | 1- or 2-byte length (max length < 256 or not) | `Text` / `Binary` / `Bytes` (`col.charset`) |
//! | BLOB/TEXT 249–252 | 1–4-byte length (meta) | `Text` / `Binary` / `Bytes` |
//! | ENUM 247, SET 248 | 1–2, 1–8 (meta) | `Enum`, `Set` |
//! | BIT 16 | `bytes + (bits > 0)` | `Bit { bytes, bits }` |
//! | JSON 245 | length (meta bytes) + binary JSON | `Json` |
//! | GEOMETRY 255, VECTOR 242 | length (meta bytes) + data | `Geometry`, `Vector` |
//! | MariaDB VARCHAR/BLOB COMPRESSED 141/140 | as VARCHAR/BLOB | `Compressed` (raw stored bytes) |
//! | NULL 6 | 0 | `Null` |
//!
//! A JSON column whose partial-update bit is set in a `PARTIAL_UPDATE_ROWS` after image holds
//! a diff vector instead: decode it with [`decode_json_diffs`].

mod decimal;
mod json;
mod json_diff;
mod temporal;

#[cfg(test)]
mod tests;

pub use decimal::Decimal;
pub use json::{Json, JsonArray, JsonNode, JsonObject, JsonOpaque, JSON_MAX_DEPTH};
pub use json_diff::{decode_json_diffs, JsonDiff, JsonDiffIter, JsonDiffOp, JsonDiffs};
pub use temporal::{Date, DateTime, Time, Timestamp};

use crate::column::{ColumnDef, ColumnType, BINARY_CHARSET};
use crate::error::{Error, Result};
use std::fmt;

/// One decoded column value, borrowing from the row bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// SQL NULL (also the value of a `MYSQL_TYPE_NULL` column).
    Null,
    /// A signed integer column (TINYINT … BIGINT).
    Signed(i64),
    /// An `UNSIGNED` integer column.
    Unsigned(u64),
    /// FLOAT.
    Float(f32),
    /// DOUBLE.
    Double(f64),
    /// YEAR: 0 (the zero year) or 1901–2155.
    Year(u16),
    /// DECIMAL.
    Decimal(Decimal<'a>),
    /// DATE.
    Date(Date),
    /// TIME (old and `TIME2`).
    Time(Time),
    /// DATETIME (old and `DATETIME2`).
    DateTime(DateTime),
    /// TIMESTAMP (old and `TIMESTAMP2`): seconds since the epoch (UTC); see [`Timestamp`] for
    /// the `<seconds>[.ffffff]` text form ([`Value::timestamp`]).
    Timestamp {
        /// Seconds since 1970-01-01 00:00:00 UTC (0 for the zero timestamp).
        seconds: u32,
        /// Microseconds.
        micros: u32,
        /// Fractional-second precision of the column.
        fsp: u8,
    },
    /// A character string of a column with a known non-binary charset (bytes in that charset).
    Text(&'a [u8]),
    /// A string of a column with the `binary` charset (BINARY, VARBINARY, BLOB).
    Binary(&'a [u8]),
    /// A string of a column whose charset is unknown (no charset metadata in the table map).
    Bytes(&'a [u8]),
    /// ENUM: the 1-based index of the member (0 for the empty error value).
    Enum(u16),
    /// SET: bit `i` set when member `i + 1` is in the set.
    Set(u64),
    /// BIT(`bits`): the value as a big-endian bit string of `(bits + 7) / 8` bytes; see
    /// [`BitLiteral`] and [`bit_to_u64`].
    Bit {
        /// The stored bytes, most significant first.
        bytes: &'a [u8],
        /// The column width in bits (`M` in `BIT(M)`).
        bits: u16,
    },
    /// JSON (MySQL binary JSON; MariaDB logs JSON columns as text BLOBs).
    Json(Json<'a>),
    /// GEOMETRY and the spatial types: the stored value (4-byte SRID, then WKB).
    Geometry(&'a [u8]),
    /// VECTOR (MySQL 9): little-endian `f32`s; see [`vector_f32`].
    Vector(&'a [u8]),
    /// A MariaDB `COMPRESSED` column (types 140/141): the stored bytes, starting with the
    /// compression header byte (0 = stored as is, else zlib), as `mariadb-binlog` prints them.
    Compressed(&'a [u8]),
}

#[cold]
#[inline(never)]
fn truncated(offset: usize, what: &'static str, needed: u64, available: usize) -> Error {
    Error::truncated(offset as u64, what, needed, available as u64)
}

#[cold]
#[inline(never)]
fn invalid(what: &'static str, value: u64) -> Error {
    Error::invalid(0, what, value)
}

/// `N` bytes at the start of `input`, or a truncation error naming `what`.
#[inline(always)]
fn fixed<const N: usize>(input: &[u8], what: &'static str) -> Result<[u8; N]> {
    match input.get(..N).and_then(|b| <[u8; N]>::try_from(b).ok()) {
        Some(a) => Ok(a),
        None => Err(truncated(0, what, N as u64, input.len())),
    }
}

/// A value with a `width`-byte little-endian length prefix: `(bytes, total size)`.
#[inline(always)]
fn prefixed<'a>(input: &'a [u8], width: usize, what: &'static str) -> Result<(&'a [u8], usize)> {
    let len = match width {
        1 => input.first().map(|&b| usize::from(b)),
        2 => input
            .get(..2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]]))),
        3 => input
            .get(..3)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], 0]) as usize),
        _ => input
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize),
    };
    let len = match len {
        Some(l) => l,
        None => return Err(truncated(0, what, width as u64, input.len())),
    };
    match width.checked_add(len).and_then(|end| input.get(width..end)) {
        Some(bytes) => Ok((bytes, width + len)),
        None => Err(truncated(
            width,
            what,
            len as u64,
            input.len().saturating_sub(width),
        )),
    }
}

/// The string variant for a column's charset.
#[inline(always)]
fn string_value<'a>(col: &ColumnDef, bytes: &'a [u8]) -> Value<'a> {
    match col.charset {
        Some(BINARY_CHARSET) => Value::Binary(bytes),
        Some(_) => Value::Text(bytes),
        None => Value::Bytes(bytes),
    }
}

/// Width of the length prefix of a BLOB-like column: the metadata (1–4), or the type's own
/// width when the metadata is 0.
#[inline(always)]
fn blob_width(col: &ColumnDef) -> Result<usize> {
    match col.meta {
        1..=4 => Ok(usize::from(col.meta)),
        0 => match col.col_type {
            ColumnType::TinyBlob => Ok(1),
            ColumnType::Blob => Ok(2),
            ColumnType::MediumBlob => Ok(3),
            ColumnType::LongBlob | ColumnType::Json | ColumnType::Geometry | ColumnType::Vector => {
                Ok(4)
            }
            _ => Err(invalid("BLOB length width", 0)),
        },
        m => Err(invalid("BLOB length width", u64::from(m))),
    }
}

/// Width of the length prefix of a VARCHAR or CHAR of at most `max_len` bytes.
#[inline(always)]
fn varchar_width(max_len: u16) -> usize {
    if max_len < 256 {
        1
    } else {
        2
    }
}

/// Decodes one non-NULL value of `col` at the start of `input`.
/// Returns the value and the number of bytes it occupies. Errors are relative to `input`.
///
/// Integers are `Signed` or `Unsigned` after `col.unsigned`; strings are `Text`, `Binary` or
/// `Bytes` after `col.charset` (see [`Value`]). Old `DECIMAL` (type 0) and the types that
/// never appear in row images (`BOOL`, typed arrays, unknown codes) are rejected as invalid.
#[inline]
pub fn decode_value<'a>(col: &ColumnDef, input: &'a [u8]) -> Result<(Value<'a>, usize)> {
    use ColumnType as T;
    match col.col_type {
        T::Tiny => {
            let [b] = fixed::<1>(input, "TINYINT")?;
            let v = if col.unsigned {
                Value::Unsigned(u64::from(b))
            } else {
                Value::Signed(i64::from(b as i8))
            };
            Ok((v, 1))
        }
        T::Short => {
            let b = fixed::<2>(input, "SMALLINT")?;
            let v = if col.unsigned {
                Value::Unsigned(u64::from(u16::from_le_bytes(b)))
            } else {
                Value::Signed(i64::from(i16::from_le_bytes(b)))
            };
            Ok((v, 2))
        }
        T::Int24 => {
            let b = fixed::<3>(input, "MEDIUMINT")?;
            let v = if col.unsigned {
                Value::Unsigned(u64::from(u32::from_le_bytes([b[0], b[1], b[2], 0])))
            } else {
                Value::Signed(i64::from(i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8))
            };
            Ok((v, 3))
        }
        T::Long => {
            let b = fixed::<4>(input, "INT")?;
            let v = if col.unsigned {
                Value::Unsigned(u64::from(u32::from_le_bytes(b)))
            } else {
                Value::Signed(i64::from(i32::from_le_bytes(b)))
            };
            Ok((v, 4))
        }
        T::LongLong => {
            let b = fixed::<8>(input, "BIGINT")?;
            let v = if col.unsigned {
                Value::Unsigned(u64::from_le_bytes(b))
            } else {
                Value::Signed(i64::from_le_bytes(b))
            };
            Ok((v, 8))
        }
        T::Float => {
            let b = fixed::<4>(input, "FLOAT")?;
            Ok((Value::Float(f32::from_le_bytes(b)), 4))
        }
        T::Double => {
            let b = fixed::<8>(input, "DOUBLE")?;
            Ok((Value::Double(f64::from_le_bytes(b)), 8))
        }
        T::Year => {
            let [b] = fixed::<1>(input, "YEAR")?;
            let y = if b == 0 { 0 } else { 1900 + u16::from(b) };
            Ok((Value::Year(y), 1))
        }
        T::NewDecimal => {
            let (d, n) = Decimal::decode(input, (col.meta >> 8) as u8, (col.meta & 0xff) as u8)?;
            Ok((Value::Decimal(d), n))
        }
        T::Date | T::NewDate => {
            let (d, n) = temporal::decode_date(input)?;
            Ok((Value::Date(d), n))
        }
        T::Time => {
            let (t, n) = temporal::decode_time_old(input)?;
            Ok((Value::Time(t), n))
        }
        T::Time2 => {
            let (t, n) = temporal::decode_time2(input, col.meta)?;
            Ok((Value::Time(t), n))
        }
        T::DateTime => {
            let (t, n) = temporal::decode_datetime_old(input)?;
            Ok((Value::DateTime(t), n))
        }
        T::DateTime2 => {
            let (t, n) = temporal::decode_datetime2(input, col.meta)?;
            Ok((Value::DateTime(t), n))
        }
        T::Timestamp => {
            let (t, n) = temporal::decode_timestamp_old(input)?;
            Ok((Value::from(t), n))
        }
        T::Timestamp2 => {
            let (t, n) = temporal::decode_timestamp2(input, col.meta)?;
            Ok((Value::from(t), n))
        }
        T::VarChar | T::VarString => {
            let (b, n) = prefixed(input, varchar_width(col.meta), "VARCHAR")?;
            Ok((string_value(col, b), n))
        }
        T::String => {
            let (b, n) = prefixed(input, varchar_width(col.meta), "CHAR")?;
            Ok((string_value(col, b), n))
        }
        T::Blob | T::TinyBlob | T::MediumBlob | T::LongBlob => {
            let (b, n) = prefixed(input, blob_width(col)?, "BLOB")?;
            Ok((string_value(col, b), n))
        }
        T::Json => {
            let (b, n) = prefixed(input, blob_width(col)?, "JSON")?;
            Ok((Value::Json(Json::new(b)), n))
        }
        T::Geometry => {
            let (b, n) = prefixed(input, blob_width(col)?, "GEOMETRY")?;
            Ok((Value::Geometry(b), n))
        }
        T::Vector => {
            let (b, n) = prefixed(input, blob_width(col)?, "VECTOR")?;
            if b.len() % 4 != 0 {
                return Err(Error::invalid(0, "VECTOR length", b.len() as u64));
            }
            Ok((Value::Vector(b), n))
        }
        T::Enum => match col.meta {
            1 => Ok((Value::Enum(u16::from(fixed::<1>(input, "ENUM")?[0])), 1)),
            2 => Ok((
                Value::Enum(u16::from_le_bytes(fixed::<2>(input, "ENUM")?)),
                2,
            )),
            m => Err(invalid("ENUM pack length", u64::from(m))),
        },
        T::Set => {
            let n = usize::from(col.meta);
            if !(1..=8).contains(&n) {
                return Err(invalid("SET pack length", u64::from(col.meta)));
            }
            match input.get(..n) {
                Some(b) => {
                    let v = b.iter().rev().fold(0u64, |a, &x| a << 8 | u64::from(x));
                    Ok((Value::Set(v), n))
                }
                None => Err(truncated(0, "SET", n as u64, input.len())),
            }
        }
        T::Bit => {
            let (nbytes, rem) = (usize::from(col.meta >> 8), col.meta & 0xff);
            if rem > 7 {
                return Err(invalid("BIT metadata", u64::from(col.meta)));
            }
            let n = nbytes + usize::from(rem > 0);
            match input.get(..n) {
                Some(bytes) => Ok((
                    Value::Bit {
                        bytes,
                        bits: (nbytes * 8) as u16 + rem,
                    },
                    n,
                )),
                None => Err(truncated(0, "BIT", n as u64, input.len())),
            }
        }
        T::Null => Ok((Value::Null, 0)),
        T::Decimal => Err(invalid("column type (pre-5.0 DECIMAL is not supported)", 0)),
        T::VarCharCompressed => {
            let (b, n) = prefixed(input, varchar_width(col.meta), "VARCHAR COMPRESSED")?;
            Ok((Value::Compressed(b), n))
        }
        T::BlobCompressed => {
            let width = match col.meta {
                1..=4 => usize::from(col.meta),
                m => return Err(invalid("BLOB length width", u64::from(m))),
            };
            let (b, n) = prefixed(input, width, "BLOB COMPRESSED")?;
            Ok((Value::Compressed(b), n))
        }
        other => Err(invalid("column type", u64::from(other.code()))),
    }
}

/// Prints a BIT value as `mysqlbinlog -v` does: `b'0101'` with exactly `bits` digits (the
/// low `bits` bits of the big-endian bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BitLiteral<'a> {
    bytes: &'a [u8],
    bits: u16,
}

impl<'a> BitLiteral<'a> {
    /// A literal of the low `bits` bits of `bytes` (big-endian, `(bits + 7) / 8` bytes;
    /// missing bytes read as 0).
    pub fn new(bytes: &'a [u8], bits: u16) -> BitLiteral<'a> {
        BitLiteral { bytes, bits }
    }
}

impl fmt::Display for BitLiteral<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bits = usize::from(self.bits);
        let padded = bits.div_ceil(8) * 8;
        f.write_str("b'")?;
        for bit in padded - bits..padded {
            let byte = self.bytes.get(bit / 8).copied().unwrap_or(0);
            f.write_str(if byte >> (7 - bit % 8) & 1 == 1 {
                "1"
            } else {
                "0"
            })?;
        }
        f.write_str("'")
    }
}

/// The value of a BIT column as an integer, when it has at most 8 bytes.
pub fn bit_to_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.len() > 8 {
        return None;
    }
    Some(bytes.iter().fold(0u64, |a, &b| a << 8 | u64::from(b)))
}

/// The `f32` elements of a VECTOR value (little-endian; a trailing partial element is ignored).
pub fn vector_f32(bytes: &[u8]) -> impl ExactSizeIterator<Item = f32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

impl<'a> Value<'a> {
    /// True for [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as an `i64`, for integer and YEAR/ENUM values that fit.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Signed(v) => Some(v),
            Value::Unsigned(v) => i64::try_from(v).ok(),
            Value::Year(v) | Value::Enum(v) => Some(i64::from(v)),
            _ => None,
        }
    }

    /// The value as a `u64`, for non-negative integers, YEAR, ENUM, SET and BIT up to 64 bits.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Signed(v) => u64::try_from(v).ok(),
            Value::Unsigned(v) | Value::Set(v) => Some(v),
            Value::Year(v) | Value::Enum(v) => Some(u64::from(v)),
            Value::Bit { bytes, .. } => bit_to_u64(bytes),
            _ => None,
        }
    }

    /// The bytes of string-like values (Text, Binary, Bytes, Geometry, Vector, Compressed, the
    /// raw binary JSON, BIT).
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match *self {
            Value::Text(b)
            | Value::Binary(b)
            | Value::Bytes(b)
            | Value::Geometry(b)
            | Value::Vector(b)
            | Value::Compressed(b)
            | Value::Bit { bytes: b, .. } => Some(b),
            Value::Json(j) => Some(j.as_bytes()),
            _ => None,
        }
    }

    /// A TIMESTAMP value as a [`Timestamp`] (which prints as `<seconds>[.ffffff]`).
    pub fn timestamp(&self) -> Option<Timestamp> {
        match *self {
            Value::Timestamp {
                seconds,
                micros,
                fsp,
            } => Some(Timestamp {
                seconds,
                micros,
                fsp,
            }),
            _ => None,
        }
    }

    /// The `b'…'` form of a BIT value.
    pub fn bit_literal(&self) -> Option<BitLiteral<'a>> {
        match *self {
            Value::Bit { bytes, bits } => Some(BitLiteral::new(bytes, bits)),
            _ => None,
        }
    }

    /// An owned copy (allocates for the borrowed variants).
    pub fn into_owned(self) -> OwnedValue {
        match self {
            Value::Null => OwnedValue::Null,
            Value::Signed(v) => OwnedValue::Signed(v),
            Value::Unsigned(v) => OwnedValue::Unsigned(v),
            Value::Float(v) => OwnedValue::Float(v),
            Value::Double(v) => OwnedValue::Double(v),
            Value::Year(v) => OwnedValue::Year(v),
            Value::Decimal(d) => OwnedValue::Decimal(OwnedDecimal {
                bytes: d.as_bytes().to_vec(),
                precision: d.precision(),
                scale: d.scale(),
            }),
            Value::Date(v) => OwnedValue::Date(v),
            Value::Time(v) => OwnedValue::Time(v),
            Value::DateTime(v) => OwnedValue::DateTime(v),
            Value::Timestamp {
                seconds,
                micros,
                fsp,
            } => OwnedValue::Timestamp {
                seconds,
                micros,
                fsp,
            },
            Value::Text(b) => OwnedValue::Text(b.to_vec()),
            Value::Binary(b) => OwnedValue::Binary(b.to_vec()),
            Value::Bytes(b) => OwnedValue::Bytes(b.to_vec()),
            Value::Enum(v) => OwnedValue::Enum(v),
            Value::Set(v) => OwnedValue::Set(v),
            Value::Bit { bytes, bits } => OwnedValue::Bit {
                bytes: bytes.to_vec(),
                bits,
            },
            Value::Json(j) => OwnedValue::Json(j.as_bytes().to_vec()),
            Value::Geometry(b) => OwnedValue::Geometry(b.to_vec()),
            Value::Vector(b) => OwnedValue::Vector(b.to_vec()),
            Value::Compressed(b) => OwnedValue::Compressed(b.to_vec()),
        }
    }
}

/// A decoded `DECIMAL` that owns its bytes; [`OwnedDecimal::as_decimal`] borrows it back.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OwnedDecimal {
    bytes: Vec<u8>,
    precision: u8,
    scale: u8,
}

impl OwnedDecimal {
    /// The decimal, borrowed.
    pub fn as_decimal(&self) -> Decimal<'_> {
        // The bytes were validated when the borrowed Decimal was decoded.
        Decimal::from_validated(&self.bytes, self.precision, self.scale)
    }
}

impl fmt::Display for OwnedDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.as_decimal(), f)
    }
}

impl fmt::Debug for OwnedDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.as_decimal(), f)
    }
}

/// An owned column value: [`Value`] with its borrowed bytes copied.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // the variants mirror Value's
pub enum OwnedValue {
    Null,
    Signed(i64),
    Unsigned(u64),
    Float(f32),
    Double(f64),
    Year(u16),
    Decimal(OwnedDecimal),
    Date(Date),
    Time(Time),
    DateTime(DateTime),
    Timestamp {
        seconds: u32,
        micros: u32,
        fsp: u8,
    },
    Text(Vec<u8>),
    Binary(Vec<u8>),
    Bytes(Vec<u8>),
    Enum(u16),
    Set(u64),
    Bit {
        bytes: Vec<u8>,
        bits: u16,
    },
    /// The binary JSON document.
    Json(Vec<u8>),
    Geometry(Vec<u8>),
    Vector(Vec<u8>),
    Compressed(Vec<u8>),
}

impl OwnedValue {
    /// The value, borrowed.
    pub fn as_value(&self) -> Value<'_> {
        match self {
            OwnedValue::Null => Value::Null,
            OwnedValue::Signed(v) => Value::Signed(*v),
            OwnedValue::Unsigned(v) => Value::Unsigned(*v),
            OwnedValue::Float(v) => Value::Float(*v),
            OwnedValue::Double(v) => Value::Double(*v),
            OwnedValue::Year(v) => Value::Year(*v),
            OwnedValue::Decimal(d) => Value::Decimal(d.as_decimal()),
            OwnedValue::Date(v) => Value::Date(*v),
            OwnedValue::Time(v) => Value::Time(*v),
            OwnedValue::DateTime(v) => Value::DateTime(*v),
            OwnedValue::Timestamp {
                seconds,
                micros,
                fsp,
            } => Value::Timestamp {
                seconds: *seconds,
                micros: *micros,
                fsp: *fsp,
            },
            OwnedValue::Text(b) => Value::Text(b),
            OwnedValue::Binary(b) => Value::Binary(b),
            OwnedValue::Bytes(b) => Value::Bytes(b),
            OwnedValue::Enum(v) => Value::Enum(*v),
            OwnedValue::Set(v) => Value::Set(*v),
            OwnedValue::Bit { bytes, bits } => Value::Bit { bytes, bits: *bits },
            OwnedValue::Json(b) => Value::Json(Json::new(b)),
            OwnedValue::Geometry(b) => Value::Geometry(b),
            OwnedValue::Vector(b) => Value::Vector(b),
            OwnedValue::Compressed(b) => Value::Compressed(b),
        }
    }
}

impl From<Timestamp> for Value<'_> {
    fn from(t: Timestamp) -> Self {
        Value::Timestamp {
            seconds: t.seconds,
            micros: t.micros,
            fsp: t.fsp,
        }
    }
}

impl From<Value<'_>> for OwnedValue {
    fn from(v: Value<'_>) -> OwnedValue {
        v.into_owned()
    }
}
