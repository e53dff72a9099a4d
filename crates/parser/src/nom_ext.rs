//! Glue between `nom` and this crate's [`Error`]: a nom error type that remembers where it
//! failed and what it was reading, plus the few primitives every decoder needs.
//!
//! Decoders are written as `fn(&'a [u8]) -> PResult<'a, T>` with nom's complete-input parsers;
//! [`run`] turns the outcome into a typed [`Error`] whose offset is relative to the slice given
//! to `run`. Nothing from nom leaks into the public API.

use crate::error::{Error, ErrorKind};
use nom::error::{ContextError, ErrorKind as NomKind, ParseError};
use nom::IResult;

/// The nom error type used by every decoder in this crate.
#[derive(Debug)]
pub(crate) struct PErr<'a> {
    /// Input left when the failure happened.
    pub input: &'a [u8],
    /// What was being read.
    pub what: &'static str,
    /// Bytes the failing read needed, when known.
    pub needed: Option<u64>,
    /// A value that was rejected (for `Invalid`), when any.
    pub invalid: Option<u64>,
}

impl<'a> ParseError<&'a [u8]> for PErr<'a> {
    fn from_error_kind(input: &'a [u8], _kind: NomKind) -> Self {
        // Every parser here names what it reads through `take_n`/`u8_`/...; a bare nom
        // failure is named by the caller's context, if any.
        PErr {
            input,
            what: "field",
            needed: None,
            invalid: None,
        }
    }
    fn append(_: &'a [u8], _: NomKind, other: Self) -> Self {
        other
    }
}

impl<'a> ContextError<&'a [u8]> for PErr<'a> {
    fn add_context(_input: &'a [u8], ctx: &'static str, mut other: Self) -> Self {
        if other.what == "field" {
            other.what = ctx;
        }
        other
    }
}

pub(crate) type PResult<'a, T> = IResult<&'a [u8], T, PErr<'a>>;

/// Fails with "truncated `what`" unless `n` bytes are left; returns them.
#[inline]
pub(crate) fn take_n<'a>(
    n: usize,
    what: &'static str,
) -> impl Fn(&'a [u8]) -> PResult<'a, &'a [u8]> {
    move |i: &'a [u8]| match i.get(..n) {
        Some(head) => Ok((&i[n..], head)),
        None => Err(nom::Err::Error(PErr {
            input: i,
            what,
            needed: Some(n as u64),
            invalid: None,
        })),
    }
}

/// Fails with "invalid `what`: `value`" at `input`.
pub(crate) fn invalid<'a, T>(input: &'a [u8], what: &'static str, value: u64) -> PResult<'a, T> {
    Err(nom::Err::Error(PErr {
        input,
        what,
        needed: None,
        invalid: Some(value),
    }))
}

/// A fixed-width little-endian read with a name for errors.
macro_rules! le_named {
    ($name:ident, $nom:path, $t:ty, $n:expr) => {
        #[inline]
        pub(crate) fn $name<'a>(what: &'static str) -> impl Fn(&'a [u8]) -> PResult<'a, $t> {
            move |i: &'a [u8]| {
                $nom(i).map_err(|_: nom::Err<PErr<'a>>| {
                    nom::Err::Error(PErr {
                        input: i,
                        what,
                        needed: Some($n),
                        invalid: None,
                    })
                })
            }
        }
    };
}
le_named!(u8_, nom::number::complete::le_u8, u8, 1);
le_named!(u16_, nom::number::complete::le_u16, u16, 2);
le_named!(u24_, nom::number::complete::le_u24, u32, 3);
le_named!(u32_, nom::number::complete::le_u32, u32, 4);
le_named!(u48_, le_u48, u64, 6);
le_named!(u64_, nom::number::complete::le_u64, u64, 8);

fn le_u48<'a>(i: &'a [u8]) -> PResult<'a, u64> {
    match i.get(..6) {
        Some(b) => Ok((
            &i[6..],
            u64::from(b[0])
                | u64::from(b[1]) << 8
                | u64::from(b[2]) << 16
                | u64::from(b[3]) << 24
                | u64::from(b[4]) << 32
                | u64::from(b[5]) << 40,
        )),
        None => Err(nom::Err::Error(PErr::from_error_kind(i, NomKind::Eof))),
    }
}

/// A length-encoded integer (MySQL "packed integer": 1, 3, 4 or 9 bytes).
pub(crate) fn lenenc<'a>(what: &'static str) -> impl Fn(&'a [u8]) -> PResult<'a, u64> {
    move |i: &'a [u8]| {
        let (rest, first) = u8_(what)(i)?;
        match first {
            0..=250 => Ok((rest, u64::from(first))),
            251 => Ok((rest, 0)), // NULL marker in row contexts; callers that care check first
            252 => u16_(what)(rest).map(|(r, v)| (r, u64::from(v))),
            253 => u24_(what)(rest).map(|(r, v)| (r, u64::from(v))),
            _ => u64_(what)(rest),
        }
    }
}

/// A length-encoded string.
pub(crate) fn lenenc_bytes<'a>(what: &'static str) -> impl Fn(&'a [u8]) -> PResult<'a, &'a [u8]> {
    move |i: &'a [u8]| {
        let (rest, n) = lenenc(what)(i)?;
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        take_n(n, what)(rest)
    }
}

/// Bytes up to (not including) a NUL; consumes the NUL. Fails when there is none.
pub(crate) fn nul_terminated<'a>(what: &'static str) -> impl Fn(&'a [u8]) -> PResult<'a, &'a [u8]> {
    move |i: &'a [u8]| match i.iter().position(|&b| b == 0) {
        Some(p) => Ok((&i[p + 1..], &i[..p])),
        None => Err(nom::Err::Error(PErr {
            input: &i[i.len()..],
            what,
            needed: Some(1),
            invalid: None,
        })),
    }
}

/// Runs `parser` on `input`; errors get offsets relative to `input`.
pub(crate) fn run<'a, T>(
    input: &'a [u8],
    mut parser: impl FnMut(&'a [u8]) -> PResult<'a, T>,
) -> Result<(&'a [u8], T), Error> {
    parser(input).map_err(|e| to_error(input, e))
}

/// Converts a nom failure on `full` into an [`Error`] relative to `full`.
pub(crate) fn to_error<'a>(full: &'a [u8], e: nom::Err<PErr<'a>>) -> Error {
    match e {
        nom::Err::Incomplete(n) => {
            let needed = match n {
                nom::Needed::Size(s) => s.get() as u64,
                nom::Needed::Unknown => 1,
            };
            Error::truncated(full.len() as u64, "input", needed, 0)
        }
        nom::Err::Error(p) | nom::Err::Failure(p) => {
            let offset = (full.len() - p.input.len().min(full.len())) as u64;
            if let Some(v) = p.invalid {
                Error::new(
                    offset,
                    ErrorKind::Invalid {
                        what: p.what,
                        value: v,
                    },
                )
            } else {
                Error::truncated(offset, p.what, p.needed.unwrap_or(1), p.input.len() as u64)
            }
        }
    }
}
