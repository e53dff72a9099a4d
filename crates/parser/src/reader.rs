//! Reading whole binlog files: from memory ([`SliceReader`], zero-copy) or from any
//! [`std::io::Read`] ([`BinlogReader`], one event in memory at a time).

use crate::decoder::{frame, Decoder, Frame};
use crate::error::{Error, ErrorKind, Result};
use crate::events::Event;
use crate::header::{BINLOG_MAGIC, HEADER_LEN};
use std::io::{self, Read};

/// Checks the 4-byte magic at the start of a binlog file.
pub fn check_magic(head: &[u8]) -> Result<()> {
    if head.len() < BINLOG_MAGIC.len() {
        if BINLOG_MAGIC.starts_with(head) {
            return Err(Error::truncated(0, "binlog magic", 4, head.len() as u64));
        }
    } else if head[..4] == BINLOG_MAGIC {
        return Ok(());
    }
    Err(Error::new(
        0,
        ErrorKind::BadMagic {
            found: head[..head.len().min(4)].to_vec(),
        },
    ))
}

/// Iterates the events of a binlog file held in memory. Events borrow from the slice.
/// After the first error the iterator ends.
#[derive(Debug)]
pub struct SliceReader<'a> {
    data: &'a [u8],
    pos: usize,
    decoder: Decoder,
    done: bool,
    started: bool,
}

impl<'a> SliceReader<'a> {
    /// A reader over a whole file (starting with the magic).
    pub fn new(data: &'a [u8]) -> SliceReader<'a> {
        SliceReader::with_decoder(data, Decoder::new())
    }

    /// A reader with a configured decoder.
    pub fn with_decoder(data: &'a [u8], decoder: Decoder) -> SliceReader<'a> {
        SliceReader {
            data,
            pos: 0,
            decoder,
            done: false,
            started: false,
        }
    }

    /// The decoder (format, table maps).
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// Offset of the next event.
    pub fn position(&self) -> u64 {
        self.pos as u64
    }

    fn step(&mut self) -> Result<Option<Event<'a>>> {
        if !self.started {
            self.started = true;
            check_magic(self.data.get(..4).unwrap_or(self.data))?;
            self.pos = 4;
        }
        let rest = &self.data[self.pos..];
        if rest.is_empty() {
            return Ok(None);
        }
        let pos = self.pos as u64;
        match frame(rest, self.decoder.options().max_event_size).map_err(|e| e.rebase(pos))? {
            Frame::Incomplete(n) => Err(Error::truncated(
                pos,
                if rest.len() < HEADER_LEN {
                    "event header"
                } else {
                    "event"
                },
                (rest.len() + n) as u64,
                rest.len() as u64,
            )),
            Frame::Complete(len) => {
                let raw = &rest[..len];
                let ev = self.decoder.decode(pos, raw)?;
                self.pos += len;
                Ok(Some(ev))
            }
        }
    }
}

impl<'a> Iterator for SliceReader<'a> {
    type Item = Result<Event<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(ev)) => Some(Ok(ev)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Reads a binlog from any [`Read`]: one event in memory at a time, so files of any size
/// (and events larger than any buffer) are read in memory bounded by the largest event.
/// Allocation follows the bytes actually read, never a size announced by the input.
#[derive(Debug)]
pub struct BinlogReader<R> {
    inner: R,
    buf: Vec<u8>,
    pos: u64,
    decoder: Decoder,
    started: bool,
    expect_magic: bool,
    done: bool,
}

impl<R: Read> BinlogReader<R> {
    /// A reader over a whole file (starting with the magic).
    pub fn new(inner: R) -> Self {
        BinlogReader::with_decoder(inner, Decoder::new(), true)
    }

    /// A reader over a stream of events with no magic (e.g. the inside of a transaction
    /// payload), starting at position `start`.
    pub fn events_only(inner: R, decoder: Decoder, start: u64) -> Self {
        let mut r = BinlogReader::with_decoder(inner, decoder, false);
        r.pos = start;
        r
    }

    fn with_decoder(inner: R, decoder: Decoder, expect_magic: bool) -> Self {
        BinlogReader {
            inner,
            buf: Vec::new(),
            pos: 0,
            decoder,
            started: false,
            expect_magic,
            done: false,
        }
    }

    /// The decoder (format, table maps).
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// Mutable access to the decoder (options).
    pub fn decoder_mut(&mut self) -> &mut Decoder {
        &mut self.decoder
    }

    /// Offset of the next event.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The next event, or `None` at a clean end of input (at an event boundary).
    /// After an error every later call returns `Ok(None)`.
    #[allow(clippy::should_implement_trait)]
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>> {
        Ok(self.next_with_decoder()?.map(|(ev, _)| ev))
    }

    /// Like [`BinlogReader::next_event`], with the decoder as it is after the event (its
    /// format, needed to read a TRANSACTION_PAYLOAD's inner events).
    pub fn next_with_decoder(&mut self) -> Result<Option<(Event<'_>, &Decoder)>> {
        if self.done {
            return Ok(None);
        }
        match self.fill() {
            Ok(true) => {}
            Ok(false) => {
                self.done = true;
                return Ok(None);
            }
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        }
        let pos = self.pos;
        self.pos += self.buf.len() as u64;
        match self.decoder.decode(pos, &self.buf) {
            Ok(ev) => Ok(Some((ev, &self.decoder))),
            Err(e) => {
                self.done = true;
                Err(e)
            }
        }
    }

    /// Reads the next whole event into `buf`. Ok(false) at a clean end.
    fn fill(&mut self) -> Result<bool> {
        if !self.started {
            self.started = true;
            if self.expect_magic {
                let mut m = [0u8; 4];
                let n = read_full(&mut self.inner, &mut m)?;
                check_magic(&m[..n])?;
                self.pos = 4;
            }
        }
        self.buf.clear();
        self.buf.resize(HEADER_LEN, 0);
        let n = read_full(&mut self.inner, &mut self.buf)?;
        if n == 0 {
            return Ok(false);
        }
        if n < HEADER_LEN {
            return Err(Error::truncated(
                self.pos,
                "event header",
                HEADER_LEN as u64,
                n as u64,
            ));
        }
        let Frame::Incomplete(more) = frame(&self.buf, self.decoder.options().max_event_size)
            .map_err(|e| e.rebase(self.pos))?
        else {
            return Ok(true); // a header-only event
        };
        let got = (&mut self.inner)
            .take(more as u64)
            .read_to_end(&mut self.buf)
            .map_err(|e| Error::new(self.pos, ErrorKind::Io(e)))?;
        if got < more {
            return Err(Error::truncated(
                self.pos,
                "event",
                (HEADER_LEN + more) as u64,
                (HEADER_LEN + got) as u64,
            ));
        }
        Ok(true)
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::new(0, ErrorKind::Io(e))),
        }
    }
    Ok(n)
}
