//! Temporal column values: `DATE`, `TIME`/`TIME2`, `DATETIME`/`DATETIME2`, `TIMESTAMP`/`TIMESTAMP2`.
//!
//! The `*2` formats (MySQL 5.6.4+, MariaDB 10.1+ with `mysql56_temporal_format`) are big-endian
//! with an offset that makes them sort as unsigned bytes, followed by `(fsp + 1) / 2` big-endian
//! bytes of fractional seconds: hundredths for fsp 1–2, ten-thousandths for fsp 3–4, microseconds
//! for fsp 5–6. The decoding follows MySQL `mysys/my_time.cc` (`my_time_packed_from_binary`,
//! `my_datetime_packed_from_binary`, `my_timestamp_from_binary`, `TIME_from_longlong_*_packed`).

use crate::error::{Error, Result};
use std::fmt;

/// Largest fractional-second precision.
pub const MAX_FSP: u8 = 6;

/// `DATE` (`YYYY-MM-DD`; zero dates and zero parts are kept as stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    /// Year, 0–9999.
    pub year: u16,
    /// Month, 0–12 (0 in zero dates).
    pub month: u8,
    /// Day, 0–31 (0 in zero dates).
    pub day: u8,
}

/// `TIME`: a signed duration `[-]HHH:MM:SS[.ffffff]` (MySQL's range is ±838:59:59).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Time {
    /// The value is negative.
    pub negative: bool,
    /// Hours (may exceed 24).
    pub hours: u32,
    /// Minutes.
    pub minutes: u8,
    /// Seconds.
    pub seconds: u8,
    /// Microseconds.
    pub micros: u32,
    /// Fractional-second precision of the column (digits printed after the point).
    pub fsp: u8,
}

/// `DATETIME`: `YYYY-MM-DD HH:MM:SS[.ffffff]`, no time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// Year, 0–9999.
    pub year: u16,
    /// Month, 0–12.
    pub month: u8,
    /// Day, 0–31.
    pub day: u8,
    /// Hour.
    pub hour: u8,
    /// Minute.
    pub minute: u8,
    /// Second.
    pub second: u8,
    /// Microseconds.
    pub micros: u32,
    /// Fractional-second precision of the column.
    pub fsp: u8,
}

/// `TIMESTAMP`: seconds since the Unix epoch (UTC) plus microseconds; 0 is the zero timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    /// Seconds since 1970-01-01 00:00:00 UTC.
    pub seconds: u32,
    /// Microseconds.
    pub micros: u32,
    /// Fractional-second precision of the column.
    pub fsp: u8,
}

/// Writes `.` and the first `fsp` digits of `micros` (nothing for fsp 0), as MySQL does.
fn write_frac(f: &mut fmt::Formatter<'_>, micros: u32, fsp: u8) -> fmt::Result {
    if fsp == 0 {
        return Ok(());
    }
    let fsp = fsp.min(MAX_FSP);
    let div = 10u32.pow(u32::from(MAX_FSP - fsp));
    write!(f, ".{:0width$}", micros / div, width = usize::from(fsp))
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        write!(
            f,
            "{:02}:{:02}:{:02}",
            self.hours, self.minutes, self.seconds
        )?;
        write_frac(f, self.micros, self.fsp)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        write_frac(f, self.micros, self.fsp)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.seconds)?;
        write_frac(f, self.micros, self.fsp)
    }
}

/// Offset of the integer part of `TIME2` (`TIMEF_INT_OFS`).
const TIMEF_INT_OFS: i64 = 0x80_0000;
/// Offset of the 6-byte `TIME2` with fsp 5–6 (`TIMEF_OFS`).
const TIMEF_OFS: i64 = 0x8000_0000_0000;
/// Offset of the integer part of `DATETIME2` (`DATETIMEF_INT_OFS`).
const DATETIMEF_INT_OFS: i64 = 0x80_0000_0000;

/// `N` bytes at the start of `input`, or a truncation error naming `what`.
#[inline(always)]
fn fixed<const N: usize>(input: &[u8], what: &'static str) -> Result<[u8; N]> {
    match input.get(..N).and_then(|b| <[u8; N]>::try_from(b).ok()) {
        Some(a) => Ok(a),
        None => Err(truncated(what, N, input.len())),
    }
}

#[cold]
#[inline(never)]
fn truncated(what: &'static str, needed: usize, available: usize) -> Error {
    Error::truncated(0, what, needed as u64, available as u64)
}

#[cold]
#[inline(never)]
fn invalid(what: &'static str, value: u64) -> Error {
    Error::invalid(0, what, value)
}

/// Big-endian unsigned integer of up to 8 bytes.
#[inline(always)]
fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b))
}

/// Bytes a `*2` temporal value of this precision occupies, or an error for fsp > 6.
#[inline(always)]
fn frac_len(fsp: u16) -> Result<usize> {
    if fsp > u16::from(MAX_FSP) {
        return Err(invalid("fractional seconds precision", u64::from(fsp)));
    }
    Ok(usize::from(fsp).div_ceil(2))
}

#[inline(always)]
fn check_micros(micros: u64, what: &'static str) -> Result<u32> {
    if micros > 999_999 {
        return Err(invalid(what, micros));
    }
    Ok(micros as u32)
}

/// `DATE` (3 bytes little-endian: day in bits 0–4, month in 5–8, year above).
#[inline(always)]
pub(crate) fn decode_date(input: &[u8]) -> Result<(Date, usize)> {
    let b = fixed::<3>(input, "DATE")?;
    let v = u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
    Ok((
        Date {
            year: (v >> 9) as u16,
            month: ((v >> 5) & 15) as u8,
            day: (v & 31) as u8,
        },
        3,
    ))
}

/// Old `TIME` (type 11): 3-byte little-endian signed integer `±HHMMSS`.
#[inline(always)]
pub(crate) fn decode_time_old(input: &[u8]) -> Result<(Time, usize)> {
    let b = fixed::<3>(input, "TIME")?;
    let v = (i32::from_le_bytes([0, b[0], b[1], b[2]])) >> 8;
    let a = v.unsigned_abs();
    Ok((
        Time {
            negative: v < 0,
            hours: a / 10_000,
            minutes: (a / 100 % 100) as u8,
            seconds: (a % 100) as u8,
            micros: 0,
            fsp: 0,
        },
        3,
    ))
}

/// `TIME2` (type 19) with precision `fsp`.
#[inline(always)]
pub(crate) fn decode_time2(input: &[u8], fsp: u16) -> Result<(Time, usize)> {
    let n = 3 + frac_len(fsp)?;
    let b = match input.get(..n) {
        Some(b) => b,
        None => return Err(truncated("TIME2", n, input.len())),
    };
    let packed = time2_packed(b, fsp);
    let negative = packed < 0;
    let abs = packed.unsigned_abs();
    let hms = abs >> 24;
    let micros = check_micros(abs & 0xff_ffff, "TIME2 fractional seconds")?;
    Ok((
        Time {
            negative,
            hours: ((hms >> 12) % (1 << 10)) as u32,
            minutes: ((hms >> 6) % (1 << 6)) as u8,
            seconds: (hms % (1 << 6)) as u8,
            micros,
            fsp: fsp as u8,
        },
        n,
    ))
}

/// MySQL's in-memory packed time (`intpart << 24 | micros`, signed) from `TIME2` bytes
/// (`b.len() == 3 + (fsp + 1) / 2`). Negative values store their fraction counted back from
/// the next integer ("reverse fractional part order"), so a non-zero fraction borrows one second.
fn time2_packed(b: &[u8], fsp: u16) -> i64 {
    let int_part = be(&b[..3]) as i64 - TIMEF_INT_OFS;
    match fsp {
        1 | 2 => {
            let (mut i, mut frac) = (int_part, be(&b[3..4]) as i64);
            if i < 0 && frac != 0 {
                i += 1;
                frac -= 0x100;
            }
            (i << 24) + frac * 10_000
        }
        3 | 4 => {
            let (mut i, mut frac) = (int_part, be(&b[3..5]) as i64);
            if i < 0 && frac != 0 {
                i += 1;
                frac -= 0x1_0000;
            }
            (i << 24) + frac * 100
        }
        5 | 6 => be(&b[..6]) as i64 - TIMEF_OFS,
        _ => int_part << 24,
    }
}

/// Old `DATETIME` (type 12): 8-byte little-endian integer `YYYYMMDDhhmmss`.
#[inline(always)]
pub(crate) fn decode_datetime_old(input: &[u8]) -> Result<(DateTime, usize)> {
    let v = u64::from_le_bytes(fixed::<8>(input, "DATETIME")?);
    let (d, t) = (v / 1_000_000, v % 1_000_000);
    let year = d / 10_000;
    if year > 9999 {
        return Err(invalid("DATETIME value", v));
    }
    Ok((
        DateTime {
            year: year as u16,
            month: (d / 100 % 100) as u8,
            day: (d % 100) as u8,
            hour: (t / 10_000) as u8,
            minute: (t / 100 % 100) as u8,
            second: (t % 100) as u8,
            micros: 0,
            fsp: 0,
        },
        8,
    ))
}

/// `DATETIME2` (type 18): 5 bytes big-endian minus `0x8000000000`: sign bit, 17 bits
/// `year * 13 + month`, 5 bits day, 5 bits hour, 6 bits minute, 6 bits second; then the fraction.
#[inline(always)]
pub(crate) fn decode_datetime2(input: &[u8], fsp: u16) -> Result<(DateTime, usize)> {
    let n = 5 + frac_len(fsp)?;
    let b = match input.get(..n) {
        Some(b) => b,
        None => return Err(truncated("DATETIME2", n, input.len())),
    };
    let int_part = be(&b[..5]) as i64 - DATETIMEF_INT_OFS;
    // my_datetime_packed_from_binary reads the fraction as a signed number.
    let frac: i64 = match fsp {
        1 | 2 => i64::from(b[5] as i8) * 10_000,
        3 | 4 => i64::from(i16::from_be_bytes([b[5], b[6]])) * 100,
        5 | 6 => i64::from(i32::from_be_bytes([b[5], b[6], b[7], 0]) >> 8),
        _ => 0,
    };
    let packed = (int_part << 24) + frac;
    if packed < 0 {
        return Err(invalid("DATETIME2 value", be(&b[..5])));
    }
    let packed = packed as u64;
    let micros = check_micros(packed & 0xff_ffff, "DATETIME2 fractional seconds")?;
    let ymdhms = packed >> 24;
    let ymd = ymdhms >> 17;
    let ym = ymd >> 5;
    let hms = ymdhms % (1 << 17);
    Ok((
        DateTime {
            year: (ym / 13) as u16,
            month: (ym % 13) as u8,
            day: (ymd % (1 << 5)) as u8,
            hour: (hms >> 12) as u8,
            minute: ((hms >> 6) % (1 << 6)) as u8,
            second: (hms % (1 << 6)) as u8,
            micros,
            fsp: fsp as u8,
        },
        n,
    ))
}

/// Old `TIMESTAMP` (type 7): 4-byte little-endian seconds.
#[inline(always)]
pub(crate) fn decode_timestamp_old(input: &[u8]) -> Result<(Timestamp, usize)> {
    let seconds = u32::from_le_bytes(fixed::<4>(input, "TIMESTAMP")?);
    Ok((
        Timestamp {
            seconds,
            micros: 0,
            fsp: 0,
        },
        4,
    ))
}

/// `TIMESTAMP2` (type 17): 4-byte big-endian seconds, then the fraction.
#[inline(always)]
pub(crate) fn decode_timestamp2(input: &[u8], fsp: u16) -> Result<(Timestamp, usize)> {
    let n = 4 + frac_len(fsp)?;
    let b = match input.get(..n) {
        Some(b) => b,
        None => return Err(truncated("TIMESTAMP2", n, input.len())),
    };
    let seconds = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    // my_timestamp_from_binary: fsp 1-2 unsigned, 3-6 signed.
    let micros: i64 = match fsp {
        1 | 2 => i64::from(b[4]) * 10_000,
        3 | 4 => i64::from(i16::from_be_bytes([b[4], b[5]])) * 100,
        5 | 6 => i64::from(i32::from_be_bytes([b[4], b[5], b[6], 0]) >> 8),
        _ => 0,
    };
    if micros < 0 {
        return Err(invalid("TIMESTAMP2 fractional seconds", be(&b[4..])));
    }
    let micros = check_micros(micros as u64, "TIMESTAMP2 fractional seconds")?;
    Ok((
        Timestamp {
            seconds,
            micros,
            fsp: fsp as u8,
        },
        n,
    ))
}

/// A `TIME` from MySQL's packed `longlong` form (JSON opaque values), without precision checks.
pub(crate) fn time_from_packed(packed: i64) -> Time {
    let abs = packed.unsigned_abs();
    let hms = abs >> 24;
    Time {
        negative: packed < 0,
        hours: ((hms >> 12) % (1 << 10)) as u32,
        minutes: ((hms >> 6) % (1 << 6)) as u8,
        seconds: (hms % (1 << 6)) as u8,
        micros: (abs % (1 << 24)) as u32,
        fsp: MAX_FSP,
    }
}

/// A `DATETIME` from MySQL's packed `longlong` form (JSON opaque values); the sign is dropped
/// as MySQL's printing does.
pub(crate) fn datetime_from_packed(packed: i64) -> DateTime {
    let abs = packed.unsigned_abs();
    let ymdhms = abs >> 24;
    let ymd = ymdhms >> 17;
    let ym = ymd >> 5;
    let hms = ymdhms % (1 << 17);
    DateTime {
        year: (ym / 13).min(u64::from(u16::MAX)) as u16,
        month: (ym % 13) as u8,
        day: (ymd % (1 << 5)) as u8,
        hour: (hms >> 12) as u8,
        minute: ((hms >> 6) % (1 << 6)) as u8,
        second: (hms % (1 << 6)) as u8,
        micros: (abs % (1 << 24)) as u32,
        fsp: MAX_FSP,
    }
}
