//! `DECIMAL` in MySQL's binary format (`MYSQL_TYPE_NEWDECIMAL`, MySQL 5.0+ and MariaDB).
//!
//! A decimal of precision `p` and scale `s` stores `p - s` integer digits and `s` fraction digits
//! in groups of 9 decimal digits per 4 bytes; a group of fewer digits takes
//! `[0, 1, 1, 2, 2, 3, 3, 4, 4, 4][digits]` bytes. The order is: the leftover integer digits, the
//! full integer groups, the full fraction groups, the leftover fraction digits, every group
//! big-endian. The top bit of the first byte is inverted (set for non-negative numbers), and a
//! negative number has every byte inverted. (MySQL `strings/decimal.cc`, `bin2decimal`.)

use crate::error::{Error, Result};
use std::fmt;

/// Bytes used by a group of `n` decimal digits (`n` < 9).
const DIG2BYTES: [usize; 10] = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
/// Decimal digits in one full 4-byte group.
const DIGITS_PER_GROUP: u32 = 9;
/// Largest precision MySQL and MariaDB allow (`DECIMAL_MAX_PRECISION`).
pub const MAX_PRECISION: u8 = 65;
/// `10^n` for `n` in `0..=9`.
const POW10: [u32; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];
/// Longest text: sign, `0`, point, 65 digits.
const MAX_TEXT: usize = 72;

/// Bytes a `DECIMAL(precision, scale)` occupies in a row (`scale <= precision`).
pub fn binary_size(precision: u8, scale: u8) -> usize {
    let intg = usize::from(precision.saturating_sub(scale));
    let frac = usize::from(scale);
    (intg / 9) * 4 + DIG2BYTES[intg % 9] + (frac / 9) * 4 + DIG2BYTES[frac % 9]
}

#[cold]
#[inline(never)]
fn bad_digits(v: u32) -> Error {
    Error::invalid(0, "DECIMAL digits", u64::from(v))
}

/// A `DECIMAL` value borrowing its binary representation. `Display` prints it exactly as MySQL
/// does (`decimal2string`): `-12.3400` for `DECIMAL(10,4)`, `0.00`, `-0.50`, `12345` for scale 0.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal<'a> {
    bytes: &'a [u8],
    precision: u8,
    scale: u8,
}

/// One digit group of a decimal: its value and how many digits it holds.
#[derive(Clone, Copy)]
struct Group {
    value: u32,
    digits: u32,
}

impl<'a> Decimal<'a> {
    /// Decodes a `DECIMAL(precision, scale)` at the start of `input`; returns it and the bytes it
    /// occupies. Fails on an impossible precision/scale, on truncated input, and on a digit group
    /// out of range (as MySQL's `bin2decimal` does). Errors are relative to `input`.
    #[inline(always)]
    pub fn decode(input: &'a [u8], precision: u8, scale: u8) -> Result<(Decimal<'a>, usize)> {
        if precision == 0 || precision > MAX_PRECISION || scale > precision {
            return Err(Error::invalid(
                0,
                "DECIMAL precision/scale",
                u64::from(precision) << 8 | u64::from(scale),
            ));
        }
        let size = binary_size(precision, scale);
        let bytes = match input.get(..size) {
            Some(b) => b,
            None => {
                return Err(Error::truncated(
                    0,
                    "DECIMAL",
                    size as u64,
                    input.len() as u64,
                ))
            }
        };
        let d = Decimal {
            bytes,
            precision,
            scale,
        };
        d.validate()?;
        Ok((d, size))
    }

    /// Bytes a `DECIMAL(precision, scale)` occupies in a row (`scale <= precision`).
    pub fn binary_size(precision: u8, scale: u8) -> usize {
        binary_size(precision, scale)
    }

    /// Builds a decimal from bytes already validated by [`Decimal::decode`].
    pub(crate) fn from_validated(bytes: &'a [u8], precision: u8, scale: u8) -> Decimal<'a> {
        Decimal {
            bytes,
            precision,
            scale,
        }
    }

    /// Total number of digits (`M` in `DECIMAL(M,D)`).
    pub fn precision(&self) -> u8 {
        self.precision
    }

    /// Digits after the decimal point (`D` in `DECIMAL(M,D)`).
    pub fn scale(&self) -> u8 {
        self.scale
    }

    /// The binary representation as stored in the row.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// True when the sign bit says negative (a negative zero is possible in the format).
    pub fn is_negative(&self) -> bool {
        matches!(self.bytes.first(), Some(b) if b & 0x80 == 0)
    }

    /// True when every digit is zero.
    pub fn is_zero(&self) -> bool {
        self.groups().all(|g| g.value == 0)
    }

    /// The unscaled value (`value * 10^scale`) as an `i128`, when it fits (always for a
    /// precision up to 38).
    pub fn mantissa(&self) -> Option<i128> {
        let mut m: i128 = 0;
        for g in self.groups() {
            m = m
                .checked_mul(i128::from(POW10[g.digits as usize]))?
                .checked_add(i128::from(g.value))?;
        }
        Some(if self.is_negative() { -m } else { m })
    }

    /// XOR mask for every byte: `0xff` for negative numbers.
    fn mask(&self) -> u8 {
        if self.is_negative() {
            0xff
        } else {
            0
        }
    }

    /// The digit groups, most significant first.
    fn groups(&self) -> impl Iterator<Item = Group> + 'a {
        let intg = u32::from(self.precision - self.scale);
        let frac = u32::from(self.scale);
        let mask = self.mask();
        let bytes = self.bytes;
        let sizes = std::iter::once(intg % DIGITS_PER_GROUP)
            .chain(std::iter::repeat_n(
                DIGITS_PER_GROUP,
                (intg / DIGITS_PER_GROUP) as usize,
            ))
            .chain(std::iter::repeat_n(
                DIGITS_PER_GROUP,
                (frac / DIGITS_PER_GROUP) as usize,
            ))
            .chain(std::iter::once(frac % DIGITS_PER_GROUP))
            .filter(|&d| d > 0);
        let mut pos = 0usize;
        sizes.map(move |digits| {
            let n = DIG2BYTES[digits as usize];
            let mut value: u32 = 0;
            for i in pos..pos + n {
                let mut b = bytes.get(i).copied().unwrap_or(0) ^ mask;
                if i == 0 {
                    b ^= 0x80;
                }
                value = value << 8 | u32::from(b);
            }
            pos += n;
            Group { value, digits }
        })
    }

    /// Checks every group holds at most its number of digits (the hot path of decoding: a plain
    /// loop over the groups).
    #[inline(always)]
    fn validate(&self) -> Result<()> {
        let intg = usize::from(self.precision - self.scale);
        let frac = usize::from(self.scale);
        let mask = self.mask();
        let bytes = self.bytes;
        // A big-endian group of n (1..=4) bytes at pos; the sign bit is the top bit of byte 0.
        let read = |pos: usize, n: usize| -> u32 {
            let mut v: u32 = 0;
            if let Some(chunk) = bytes.get(pos..pos + n) {
                for &b in chunk {
                    v = v << 8 | u32::from(b ^ mask);
                }
            }
            if pos == 0 {
                v ^= 0x80 << (8 * (n - 1));
            }
            v
        };
        let mut pos = 0;
        let lead = intg % 9;
        if lead > 0 {
            let n = DIG2BYTES[lead];
            let v = read(0, n);
            if v >= POW10[lead] {
                return Err(bad_digits(v));
            }
            pos = n;
        }
        for _ in 0..intg / 9 + frac / 9 {
            let v = read(pos, 4);
            if v >= POW10[9] {
                return Err(bad_digits(v));
            }
            pos += 4;
        }
        let tail = frac % 9;
        if tail > 0 {
            let v = read(pos, DIG2BYTES[tail]);
            if v >= POW10[tail] {
                return Err(bad_digits(v));
            }
        }
        Ok(())
    }

    /// Writes the MySQL text form into `buf`; returns its length.
    fn format(&self, buf: &mut [u8; MAX_TEXT]) -> usize {
        let intg = u32::from(self.precision - self.scale);
        // All digits, integer part first.
        let mut digits = [b'0'; 2 * MAX_PRECISION as usize];
        let mut n = 0usize;
        for g in self.groups() {
            let mut v = g.value;
            for k in (0..g.digits as usize).rev() {
                if let Some(slot) = digits.get_mut(n + k) {
                    *slot = b'0' + (v % 10) as u8;
                }
                v /= 10;
            }
            n += g.digits as usize;
        }
        let (int_digits, frac_digits) = digits[..n].split_at(intg as usize);
        let first_nonzero = int_digits.iter().position(|&d| d != b'0');
        let int_part: &[u8] = match first_nonzero {
            Some(p) => &int_digits[p..],
            None => b"0",
        };
        // MySQL keeps the sign of a negative zero unless the value has no digits at all (scale 0).
        let sign = self.is_negative() && !(first_nonzero.is_none() && self.scale == 0);
        let mut len = 0usize;
        let mut put = |bytes: &[u8]| {
            for &b in bytes {
                if let Some(slot) = buf.get_mut(len) {
                    *slot = b;
                    len += 1;
                }
            }
        };
        if sign {
            put(b"-");
        }
        put(int_part);
        if !frac_digits.is_empty() {
            put(b".");
            put(frac_digits);
        }
        len
    }
}

impl fmt::Display for Decimal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; MAX_TEXT];
        let len = self.format(&mut buf);
        // Only ASCII digits, '-' and '.' are written.
        f.pad(std::str::from_utf8(&buf[..len]).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Decimal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({}: {},{})", self, self.precision, self.scale)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn text(hex: &[u8], p: u8, s: u8) -> String {
        let (d, n) = Decimal::decode(hex, p, s).unwrap();
        assert_eq!(n, hex.len());
        d.to_string()
    }

    #[test]
    fn sizes_match_the_format_table() {
        // intg 2 -> 1 byte, frac 2 -> 1 byte.
        assert_eq!(binary_size(4, 2), 2);
        assert_eq!(binary_size(5, 0), 3);
        assert_eq!(binary_size(10, 2), 5);
        assert_eq!(binary_size(18, 9), 8);
        assert_eq!(binary_size(4, 4), 2);
        // 35 int digits: 3 groups + 8 leftover (4 bytes); 30 frac: 3 groups + 3 leftover (2 bytes).
        assert_eq!(binary_size(65, 30), 12 + 4 + 12 + 2);
        // 65 digits: 7 groups + 2 leftover digits (1 byte).
        assert_eq!(binary_size(65, 0), 7 * 4 + 1);
    }

    #[test]
    fn worked_examples() {
        // DECIMAL(4,2) 12.34: int group 12 -> 0x0c, frac 34 -> 0x22; sign bit set.
        assert_eq!(text(&[0x8c, 0x22], 4, 2), "12.34");
        // -12.34: every byte of 0x8c 0x22 inverted.
        assert_eq!(text(&[0x73, 0xdd], 4, 2), "-12.34");
        // DECIMAL(10,4) -12.34 -> -12.3400: int 6 digits = 3 bytes (12), frac 4 digits = 2 bytes (3400 = 0x0d48).
        assert_eq!(
            text(&[!0x80, !0x00, !0x0c, !0x0d, !0x48], 10, 4),
            "-12.3400"
        );
        // zero with scale 2 prints 0.00; scale 0 prints 0.
        assert_eq!(text(&[0x80, 0x00, 0x00], 5, 2), "0.00");
        assert_eq!(text(&[0x80, 0x00, 0x00], 5, 0), "0");
        // -0.50 as DECIMAL(3,2): int 1 digit (1 byte) 0, frac 50 -> 0x32, inverted.
        assert_eq!(text(&[!0x80, !0x32], 3, 2), "-0.50");
        // DECIMAL(4,4) 0.9999: frac 4 digits -> 2 bytes 0x270f.
        assert_eq!(text(&[0xa7, 0x0f], 4, 4), "0.9999");
    }

    #[test]
    fn negative_zero_follows_mysql() {
        // Inverted zero: sign kept when there is a scale, dropped for scale 0.
        assert_eq!(text(&[0x7f, 0xff], 3, 2), "-0.00");
        assert_eq!(text(&[0x7f, 0xff, 0xff], 5, 0), "0");
    }

    #[test]
    fn rejects_out_of_range_groups_and_bad_meta() {
        // frac group of 2 digits holding 100, then int group of 2 digits holding 100.
        assert!(Decimal::decode(&[0x80, 100], 4, 2).is_err());
        assert!(Decimal::decode(&[0x80 | 100, 0], 4, 2).is_err());
        // full group > 999999999
        assert!(Decimal::decode(&[0xbb, 0x9a, 0xca, 0x00], 9, 0).is_err());
        assert!(Decimal::decode(&[0x80], 0, 0).is_err());
        assert!(Decimal::decode(&[0x80; 40], 66, 0).is_err());
        assert!(Decimal::decode(&[0x80; 40], 5, 6).is_err());
        let e = Decimal::decode(&[0x80, 0], 10, 2).unwrap_err();
        assert!(e.is_truncated());
    }

    #[test]
    fn mantissa() {
        let (d, _) = Decimal::decode(&[0x73, 0xdd], 4, 2).unwrap();
        assert_eq!(d.mantissa(), Some(-1234));
        assert!(d.is_negative());
        assert!(!d.is_zero());
    }
}
