//! Basic data types: fixed-length and length-encoded integers and strings
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_data_types.html)).

use bytes::{BufMut, BytesMut};

use crate::error::{Error, Result};

/// A bounds-checked cursor over one payload. Every read names the message and field, so an
/// error says what was expected and where.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    message: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`, which holds one `message` (used in errors).
    pub fn new(buf: &'a [u8], message: &'static str) -> Self {
        Reader {
            buf,
            pos: 0,
            message,
        }
    }

    /// Offset of the next byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// True when everything has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next byte without consuming it.
    pub fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// `n` bytes.
    pub fn bytes(&mut self, n: usize, field: &'static str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.buf.get(self.pos..end)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(Error::Truncated {
                message: self.message,
                field,
                offset: self.pos,
                needed: n,
                available: self.remaining(),
            }),
        }
    }

    /// A fixed-size array.
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        let s = self.bytes(N, field)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// `int<1>`.
    pub fn u8(&mut self, field: &'static str) -> Result<u8> {
        Ok(self.array::<1>(field)?[0])
    }

    /// `int<2>`, little endian.
    pub fn u16(&mut self, field: &'static str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    /// `int<3>`, little endian.
    pub fn u24(&mut self, field: &'static str) -> Result<u32> {
        let [a, b, c] = self.array(field)?;
        Ok(u32::from_le_bytes([a, b, c, 0]))
    }

    /// `int<4>`, little endian.
    pub fn u32(&mut self, field: &'static str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    /// `int<8>`, little endian.
    pub fn u64(&mut self, field: &'static str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }

    /// `int<lenenc>`. `0xfb` (NULL in rows) and `0xff` are rejected here; callers that accept
    /// NULL check [`Reader::peek`] first.
    pub fn lenenc_int(&mut self, field: &'static str) -> Result<u64> {
        let offset = self.pos;
        let first = self.u8(field)?;
        match first {
            0..=0xfa => Ok(u64::from(first)),
            0xfc => self.u16(field).map(u64::from),
            0xfd => self.u24(field).map(u64::from),
            0xfe => self.u64(field),
            found => Err(Error::Unexpected {
                message: self.message,
                field: "length-encoded integer prefix",
                offset,
                found,
            }),
        }
    }

    /// `string<lenenc>`: the length is checked against the bytes present before slicing.
    pub fn lenenc_bytes(&mut self, field: &'static str) -> Result<&'a [u8]> {
        let offset = self.pos;
        let len = self.lenenc_int(field)?;
        match usize::try_from(len) {
            Ok(n) if n <= self.remaining() => self.bytes(n, field),
            _ => Err(Error::Truncated {
                message: self.message,
                field,
                offset,
                needed: usize::try_from(len).unwrap_or(usize::MAX),
                available: self.remaining(),
            }),
        }
    }

    /// `string<NUL>`: the bytes before the next NUL; the NUL is consumed.
    pub fn null_terminated(&mut self, field: &'static str) -> Result<&'a [u8]> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        match rest.iter().position(|&b| b == 0) {
            Some(n) => {
                let s = &rest[..n];
                self.pos += n + 1;
                Ok(s)
            }
            None => Err(Error::Unterminated {
                message: self.message,
                field,
                offset: self.pos,
            }),
        }
    }

    /// `string<EOF>`: everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        self.pos = self.buf.len();
        rest
    }

    /// Fails with [`Error::TrailingBytes`] unless everything has been read.
    pub fn finish(&self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes {
                message: self.message,
                offset: self.pos,
                extra: self.remaining(),
            })
        }
    }
}

/// Writes `int<lenenc>`.
pub fn put_lenenc_int(n: u64, out: &mut BytesMut) {
    match n {
        0..=0xfa => out.put_u8(n as u8),
        0xfb..=0xffff => {
            out.put_u8(0xfc);
            out.put_u16_le(n as u16);
        }
        0x1_0000..=0xff_ffff => {
            out.put_u8(0xfd);
            out.put_uint_le(n, 3);
        }
        _ => {
            out.put_u8(0xfe);
            out.put_u64_le(n);
        }
    }
}

/// Writes `string<lenenc>`.
pub fn put_lenenc_bytes(s: &[u8], out: &mut BytesMut) {
    put_lenenc_int(s.len() as u64, out);
    out.put_slice(s);
}

/// Writes `string<NUL>`; fails if `s` contains a NUL.
pub fn put_null_terminated(s: &[u8], field: &'static str, out: &mut BytesMut) -> Result<()> {
    if s.contains(&0) {
        return Err(Error::InvalidArgument {
            field,
            reason: "contains a NUL byte",
        });
    }
    out.put_slice(s);
    out.put_u8(0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenenc_round_trip() {
        for n in [
            0u64,
            0xfa,
            0xfb,
            0xffff,
            0x1_0000,
            0xff_ffff,
            0x100_0000,
            u64::MAX,
        ] {
            let mut out = BytesMut::new();
            put_lenenc_int(n, &mut out);
            let mut r = Reader::new(&out, "test");
            assert_eq!(r.lenenc_int("n").ok(), Some(n));
            assert!(r.finish().is_ok());
        }
    }

    #[test]
    fn lenenc_string_longer_than_input_is_truncated() {
        // claims 0xffffff bytes, has 2
        let buf = [0xfd, 0xff, 0xff, 0xff, b'a', b'b'];
        let mut r = Reader::new(&buf, "test");
        assert!(matches!(
            r.lenenc_bytes("s"),
            Err(Error::Truncated {
                needed: 0xff_ffff,
                available: 2,
                offset: 0,
                ..
            })
        ));
    }

    #[test]
    fn null_prefix_rejected() {
        let mut r = Reader::new(&[0xfb], "test");
        assert!(matches!(
            r.lenenc_int("n"),
            Err(Error::Unexpected { found: 0xfb, .. })
        ));
    }
}
