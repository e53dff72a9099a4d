//! TRANSACTION_PAYLOAD_EVENT (type 40, MySQL 8.0.20+ `binlog_transaction_compression=ON`):
//! a whole transaction (its events after the GTID event) compressed into one event.
//!
//! Layout (MySQL `libs/mysql/binlog/event/codecs/binary.cpp`, `Transaction_payload::decode`
//! and `encode`; `control_events.h`, `Transaction_payload_event`): the body starts with a
//! sequence of fields `type length value`, each a packed (length-encoded) integer, closed by
//! the end marker `type = 0`; the payload follows.
//!
//! | type | name | value |
//! |---|---|---|
//! | 0 | `OTW_PAYLOAD_HEADER_END_MARK` | (no length, no value) |
//! | 1 | `OTW_PAYLOAD_SIZE_FIELD` | size of the payload in bytes (required) |
//! | 2 | `OTW_PAYLOAD_COMPRESSION_TYPE_FIELD` | 0 = ZSTD, 255 = NONE (required) |
//! | 3 | `OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD` | size after decompression (written unless NONE; MySQL calls it informational) |
//!
//! Fields of other types are skipped by their length, as MySQL does. MySQL writes compression
//! type, uncompressed size, payload size, end marker, in that order.
//!
//! Decompressed, the payload is a plain sequence of v4 events (header + body) **without**
//! checksums, whatever `binlog_checksum` says for the file, and with `log_pos = 0`. They
//! follow the format of the enclosing file. [`TransactionPayloadEvent::events`] decodes them
//! as a stream, one event in memory at a time.
//!
//! See <https://dev.mysql.com/doc/refman/8.0/en/binary-log-transaction-compression.html> and
//! <https://dev.mysql.com/doc/dev/mysql-server/latest/classmysql_1_1binlog_1_1event_1_1Transaction__payload__event.html>.

use crate::decoder::{Decoder, DecoderOptions};
use crate::error::{Error, ErrorKind, Result};
use crate::events::Event;
use crate::fde::{ChecksumAlg, Format};
use crate::header::EventType;
use crate::nom_ext::{invalid, run, take_n, u16_, u24_, u64_, u8_, PResult};
use crate::reader::BinlogReader;
use std::fmt;
use std::io::{self, Read};

/// `OTW_PAYLOAD_HEADER_END_MARK`: the end of the payload header fields.
pub const OTW_PAYLOAD_HEADER_END_MARK: u64 = 0;
/// `OTW_PAYLOAD_SIZE_FIELD`: the size of the payload.
pub const OTW_PAYLOAD_SIZE_FIELD: u64 = 1;
/// `OTW_PAYLOAD_COMPRESSION_TYPE_FIELD`: the compression algorithm.
pub const OTW_PAYLOAD_COMPRESSION_TYPE_FIELD: u64 = 2;
/// `OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD`: the size of the payload once decompressed.
pub const OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD: u64 = 3;

/// A packed integer as MySQL's `net_field_length_ll` reads it (1, 3, 4 or 9 bytes). Unlike the
/// row-format `lenenc`, the NULL marker 251 is rejected: `net_store_length` never writes it.
pub(crate) fn net_field_length<'a>(what: &'static str) -> impl Fn(&'a [u8]) -> PResult<'a, u64> {
    move |i: &'a [u8]| {
        let (rest, first) = u8_(what)(i)?;
        match first {
            0..=250 => Ok((rest, u64::from(first))),
            251 => invalid(i, what, 251),
            252 => u16_(what)(rest).map(|(r, v)| (r, u64::from(v))),
            253 => u24_(what)(rest).map(|(r, v)| (r, u64::from(v))),
            _ => u64_(what)(rest),
        }
    }
}

/// The compression algorithm of a transaction payload (`mysql::binlog::event::compression::type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadCompression {
    /// `ZSTD` (0): a zstd stream.
    Zstd,
    /// `NONE` (255): the events are stored as they are.
    None,
    /// A code this crate does not know: the event is kept, its events cannot be read.
    Unknown(u64),
}

impl PayloadCompression {
    /// The algorithm for a type code.
    pub fn from_code(code: u64) -> Self {
        match code {
            0 => PayloadCompression::Zstd,
            255 => PayloadCompression::None,
            other => PayloadCompression::Unknown(other),
        }
    }

    /// The type code.
    pub fn code(self) -> u64 {
        match self {
            PayloadCompression::Zstd => 0,
            PayloadCompression::None => 255,
            PayloadCompression::Unknown(c) => c,
        }
    }
}

/// A TRANSACTION_PAYLOAD_EVENT, borrowing its payload from the event bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionPayloadEvent<'a> {
    /// The compression algorithm.
    pub compression: PayloadCompression,
    /// The declared size of the decompressed payload, when the event carries one (MySQL
    /// writes it for every algorithm except NONE). Trusted only as an upper bound.
    pub uncompressed_size: Option<u64>,
    /// The payload (compressed events), exactly as many bytes as its size field says.
    pub payload: &'a [u8],
    /// Offset of `payload` in the body.
    pub payload_offset: usize,
    /// Number of header fields of unknown type that were skipped (newer servers).
    pub skipped_fields: u32,
    /// Bytes after the payload (none from current servers; MySQL ignores them too).
    pub trailing: &'a [u8],
}

impl<'a> TransactionPayloadEvent<'a> {
    /// Decodes the body. Errors are relative to `body`.
    pub fn parse(body: &'a [u8], _format: &Format) -> Result<Self> {
        let (_, ev) = run(body, |i| parse_body(body.len(), i))?;
        Ok(ev)
    }

    /// The inner events, decoded one at a time as the payload is decompressed: memory stays
    /// bounded by the largest inner event (plus zstd's window, at most 128 MiB by zstd's
    /// default limit), whatever the size of the payload.
    ///
    /// Inner events are decoded by their own [`Decoder`] in `format` with checksums off (the
    /// inner events carry none); it keeps the TABLE_MAPs of the payload, so inner rows events
    /// come with their table. Positions and error offsets of inner events are relative to
    /// the start of the decompressed payload.
    ///
    /// Limits: the decompressed payload may not exceed the declared uncompressed size (nor,
    /// for NONE, the payload size) nor `options.max_decompressed_size`
    /// ([`ErrorKind::TooLarge`]); a TRANSACTION_PAYLOAD inside a payload is rejected
    /// ([`ErrorKind::TooDeep`]); corrupt compressed data is [`ErrorKind::Decompress`]; a
    /// payload that ends inside an event is [`ErrorKind::Truncated`].
    pub fn events(&self, format: &Format, options: &DecoderOptions) -> Result<PayloadEvents<'a>> {
        let what = "transaction payload";
        let declared = match (self.compression, self.uncompressed_size) {
            (PayloadCompression::None, _) => Some(self.payload.len() as u64),
            (_, declared) => declared,
        };
        let max = options.max_decompressed_size;
        if let Some(d) = declared {
            if d > max {
                return Err(Error::new(
                    0,
                    ErrorKind::TooLarge {
                        what,
                        size: d,
                        limit: max,
                    },
                ));
            }
        }
        let source = match self.compression {
            PayloadCompression::None => Source::Plain(self.payload),
            PayloadCompression::Zstd => {
                let dec = zstd::stream::read::Decoder::with_buffer(self.payload).map_err(|e| {
                    Error::new(
                        0,
                        ErrorKind::Decompress {
                            what,
                            detail: e.to_string(),
                        },
                    )
                })?;
                Source::Zstd(Box::new(dec))
            }
            PayloadCompression::Unknown(code) => {
                return Err(Error::invalid(
                    0,
                    "transaction payload compression type",
                    code,
                ));
            }
        };
        let limited = Limited {
            inner: source,
            produced: 0,
            limit: declared.map_or(max, |d| d.min(max)),
            declared,
        };
        let mut inner_format = format.clone();
        inner_format.checksum = ChecksumAlg::Off;
        let mut decoder = Decoder::with_format(inner_format);
        decoder.set_options(options.clone());
        Ok(PayloadEvents {
            reader: BinlogReader::events_only(limited, decoder, 0),
            done: false,
        })
    }
}

fn parse_body(body_len: usize, mut i: &[u8]) -> PResult<'_, TransactionPayloadEvent<'_>> {
    let mut payload_size = None;
    let mut compression = None;
    let mut uncompressed_size = None;
    let mut skipped_fields = 0u32;
    loop {
        let (j, ty) = net_field_length("transaction payload field type")(i)?;
        if ty == OTW_PAYLOAD_HEADER_END_MARK {
            let Some(size) = payload_size else {
                return invalid(
                    j,
                    "transaction payload without a payload size field",
                    OTW_PAYLOAD_SIZE_FIELD,
                );
            };
            let Some(compression) = compression else {
                return invalid(
                    j,
                    "transaction payload without a compression type field",
                    OTW_PAYLOAD_COMPRESSION_TYPE_FIELD,
                );
            };
            let payload_offset = body_len - j.len();
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            let (trailing, payload) = take_n(size, "transaction payload")(j)?;
            let ev = TransactionPayloadEvent {
                compression,
                uncompressed_size,
                payload,
                payload_offset,
                skipped_fields,
                trailing,
            };
            return Ok((&trailing[trailing.len()..], ev));
        }
        let (j, len) = net_field_length("transaction payload field length")(j)?;
        let len_usize = usize::try_from(len).unwrap_or(usize::MAX);
        let (j, value) = take_n(len_usize, "transaction payload field value")(j)?;
        let what = match ty {
            OTW_PAYLOAD_SIZE_FIELD => "transaction payload size",
            OTW_PAYLOAD_COMPRESSION_TYPE_FIELD => "transaction payload compression type",
            OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD => "transaction payload uncompressed size",
            _ => {
                skipped_fields = skipped_fields.saturating_add(1);
                i = j;
                continue;
            }
        };
        let (rest, v) = net_field_length(what)(value)?;
        if !rest.is_empty() {
            // The field's length and its packed integer disagree.
            return invalid(value, what, len);
        }
        match ty {
            OTW_PAYLOAD_SIZE_FIELD => payload_size = Some(v),
            OTW_PAYLOAD_COMPRESSION_TYPE_FIELD => {
                compression = Some(PayloadCompression::from_code(v))
            }
            _ => uncompressed_size = Some(v),
        }
        i = j;
    }
}

/// The events inside a [`TransactionPayloadEvent`], decoded one at a time (see
/// [`TransactionPayloadEvent::events`]).
#[derive(Debug)]
pub struct PayloadEvents<'a> {
    reader: BinlogReader<Limited<'a>>,
    done: bool,
}

impl PayloadEvents<'_> {
    /// The next inner event, or `None` after the last one. After an error every later call
    /// returns `Ok(None)`.
    #[allow(clippy::should_implement_trait)]
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>> {
        if self.done {
            return Ok(None);
        }
        match self.reader.next_event() {
            Ok(Some(ev)) => {
                if ev.event_type() == EventType::TransactionPayload {
                    let pos = ev.pos;
                    self.done = true;
                    return Err(Error::new(
                        pos,
                        ErrorKind::TooDeep {
                            what: "transaction payload",
                            limit: 1,
                        },
                    )
                    .in_event(EventType::TransactionPayload));
                }
                Ok(Some(ev))
            }
            Ok(None) => {
                self.done = true;
                Ok(None)
            }
            Err(e) => {
                self.done = true;
                Err(typed_stream_error(e))
            }
        }
    }

    /// The inner decoder (format, inner table maps).
    pub fn decoder(&self) -> &Decoder {
        self.reader.decoder()
    }

    /// Bytes of decompressed payload consumed so far (the position of the next inner event).
    pub fn position(&self) -> u64 {
        self.reader.position()
    }
}

/// Turns the I/O error a [`Limited`] reader raised (and the reader wrapped into
/// `ErrorKind::Io`) back into the typed error it stands for.
fn typed_stream_error(e: Error) -> Error {
    let Error {
        offset,
        event,
        kind,
    } = e;
    let kind = match kind {
        ErrorKind::Io(io_err) => match io_err
            .get_ref()
            .and_then(|r| r.downcast_ref::<StreamFault>())
        {
            Some(fault) => {
                let err = fault.to_error();
                return Error { event, ..err };
            }
            None => ErrorKind::Io(io_err),
        },
        other => other,
    };
    Error {
        offset,
        event,
        kind,
    }
}

/// The decompressed bytes of a payload.
enum Source<'a> {
    Plain(&'a [u8]),
    Zstd(Box<zstd::stream::read::Decoder<'a, &'a [u8]>>),
}

impl fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Plain(p) => write!(f, "Plain({} bytes)", p.len()),
            Source::Zstd(_) => f.write_str("Zstd"),
        }
    }
}

impl Read for Source<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Source::Plain(p) => p.read(buf),
            Source::Zstd(d) => d.read(buf),
        }
    }
}

/// Why a [`Limited`] reader stopped: carried through `io::Error` and recovered by
/// [`typed_stream_error`].
#[derive(Debug)]
enum StreamFault {
    /// The payload decompresses to more than `limit` bytes.
    TooLarge {
        produced: u64,
        limit: u64,
        declared: bool,
    },
    /// The decompressor failed after `produced` bytes.
    Decompress { produced: u64, detail: String },
}

impl StreamFault {
    fn to_error(&self) -> Error {
        match self {
            StreamFault::TooLarge {
                produced,
                limit,
                declared,
            } => Error::new(
                *limit,
                ErrorKind::TooLarge {
                    what: if *declared {
                        "decompressed transaction payload (declared uncompressed size)"
                    } else {
                        "decompressed transaction payload (max_decompressed_size)"
                    },
                    size: *produced,
                    limit: *limit,
                },
            ),
            StreamFault::Decompress { produced, detail } => Error::new(
                *produced,
                ErrorKind::Decompress {
                    what: "transaction payload",
                    detail: detail.clone(),
                },
            ),
        }
    }
}

impl fmt::Display for StreamFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_error(), f)
    }
}

impl std::error::Error for StreamFault {}

/// Passes at most `limit` bytes of `inner` through; fails (instead of ending quietly, as
/// `Read::take` would) when `inner` has more, and tags decompressor failures so that they
/// are reported as corrupt data, not as I/O errors.
#[derive(Debug)]
struct Limited<'a> {
    inner: Source<'a>,
    produced: u64,
    limit: u64,
    declared: Option<u64>,
}

impl Limited<'_> {
    fn fault(&self, fault: StreamFault) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, fault)
    }

    fn inner_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(self.fault(StreamFault::Decompress {
                        produced: self.produced,
                        detail: e.to_string(),
                    }))
                }
                Ok(n) => return Ok(n),
            }
        }
    }
}

impl Read for Limited<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let room = self.limit - self.produced;
        if room == 0 {
            // At the limit: the payload must end here.
            let mut probe = [0u8; 1];
            if self.inner_read(&mut probe)? == 0 {
                return Ok(0);
            }
            return Err(self.fault(StreamFault::TooLarge {
                produced: self.produced + 1,
                limit: self.limit,
                declared: self.declared == Some(self.limit),
            }));
        }
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner_read(&mut buf[..want])?;
        self.produced += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventData;
    use crate::fde::Flavor;
    use crate::reader::SliceReader;
    use std::path::PathBuf;

    /// A file of the shared external corpus, or `None` (loudly) when the corpus is absent;
    /// under CI a missing corpus fails.
    fn external(rel: &str) -> Option<Vec<u8>> {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata/external")
            .join(rel);
        match std::fs::read(&p) {
            Ok(d) => Some(d),
            Err(e) => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("{}: {e} (CI=true requires the shared corpus)", p.display());
                }
                eprintln!(
                    "\n===== WARNING: {} is absent ({e}): SKIPPING =====\n",
                    p.display()
                );
                None
            }
        }
    }

    /// What one inner event looked like.
    #[derive(Debug, PartialEq)]
    struct Inner {
        ty: EventType,
        pos: u64,
        table: Option<(String, String)>,
        /// Decoded rows: (before, after) images, each cell as `index=value` (Debug form).
        values: Vec<(Vec<String>, Vec<String>)>,
        xid: Option<u64>,
        text: Option<Vec<u8>>,
    }

    /// `index=value`, strings as (lossy) text.
    fn cell(n: u32, v: &crate::value::Value<'_>) -> String {
        use crate::value::Value;
        match v {
            Value::Text(b) | Value::Binary(b) | Value::Bytes(b) => {
                format!("{n}={:?}", String::from_utf8_lossy(b))
            }
            other => format!("{n}={other:?}"),
        }
    }

    /// Decodes every event of a file; for each TRANSACTION_PAYLOAD, every inner event.
    fn payloads_of(file: &[u8]) -> Vec<(TransactionPayloadEvent<'_>, Vec<Inner>)> {
        let mut out = Vec::new();
        let mut reader = SliceReader::new(file);
        while let Some(ev) = reader.next() {
            let ev = ev.unwrap();
            let EventData::TransactionPayload(p) = ev.data else {
                continue;
            };
            let mut inner = Vec::new();
            let mut events = p
                .events(reader.decoder().format(), &DecoderOptions::default())
                .unwrap();
            while let Some(e) = events.next_event().unwrap() {
                let mut i = Inner {
                    ty: e.event_type(),
                    pos: e.pos,
                    table: None,
                    values: Vec::new(),
                    xid: None,
                    text: None,
                };
                assert_eq!(e.header.log_pos, 0, "inner events have log_pos 0");
                match &e.data {
                    EventData::Rows(r) => {
                        let t = r
                            .table
                            .as_ref()
                            .expect("inner rows event resolves its inner table map");
                        i.table = Some(t.name());
                        let mut reader = r.rows().unwrap();
                        let mut row = crate::events::rows::Row::default();
                        let cells = |img: &Option<crate::events::rows::Image<'_>>| -> Vec<String> {
                            img.iter()
                                .flat_map(|im| im.cells.iter().map(|(n, v)| cell(*n, v)))
                                .collect()
                        };
                        while reader.next_row(&mut row).unwrap() {
                            i.values.push((cells(&row.before), cells(&row.after)));
                        }
                    }
                    EventData::TableMap(t) => {
                        i.table = Some((
                            String::from_utf8_lossy(t.schema).into_owned(),
                            String::from_utf8_lossy(t.table).into_owned(),
                        ))
                    }
                    EventData::Xid(x) => i.xid = Some(*x),
                    EventData::Query(q) => i.text = Some(q.query.to_vec()),
                    EventData::RowsQuery(q) => i.text = Some(q.to_vec()),
                    _ => {}
                }
                inner.push(i);
            }
            assert!(events.next_event().unwrap().is_none());
            out.push((p, inner));
        }
        out
    }

    fn types(inner: &[Inner]) -> Vec<EventType> {
        inner.iter().map(|i| i.ty).collect()
    }

    use EventType::{Query, RowsQuery, TableMap, UpdateRows, WriteRows, Xid};

    #[test]
    fn mysql_8_0_32_transaction_compression() {
        let Some(file) = external("blackbeam-rust_mysql_common/transaction_compression.000001")
        else {
            return;
        };
        let p = payloads_of(&file);
        assert_eq!(p.len(), 1);
        let (ev, inner) = &p[0];
        assert_eq!(ev.compression, PayloadCompression::Zstd);
        assert_eq!(ev.uncompressed_size, Some(179));
        assert_eq!(ev.payload.len(), 124);
        assert_eq!(types(inner), [Query, TableMap, WriteRows, Xid]);
        assert_eq!(
            inner.iter().map(|i| i.pos).collect::<Vec<_>>(),
            [0, 71, 116, 152]
        );
        assert_eq!(inner[0].text.as_deref(), Some(&b"BEGIN"[..]));
        let tb1 = Some(("test".to_string(), "tb1".to_string()));
        assert_eq!(inner[1].table, tb1);
        assert_eq!(inner[2].table, tb1);
        // One row, one INT column (INSERT INTO tb1 VALUES (1)).
        assert_eq!(inner[2].values, [(vec![], vec!["0=Signed(1)".to_string()])]);
        assert_eq!(inner[3].xid, Some(462));
    }

    #[test]
    fn mysql_8_0_28_compressed() {
        let Some(file) = external("osheroff-mysql-binlog-connector-java/mysql-bin.compressed")
        else {
            return;
        };
        let p = payloads_of(&file);
        assert_eq!(p.len(), 1);
        let (ev, inner) = &p[0];
        assert_eq!(
            (ev.compression, ev.uncompressed_size, ev.payload.len()),
            (PayloadCompression::Zstd, Some(960), 451)
        );
        assert_eq!(types(inner), [Query, TableMap, UpdateRows, Xid]);
        let movies = Some(("demo".to_string(), "movies".to_string()));
        assert_eq!(inner[1].table, movies);
        assert_eq!(inner[2].table, movies);
        // One row of 11 columns; the UPDATE changes the genre (column 4) only.
        let [(before, after)] = &inner[2].values[..] else {
            panic!("{:?}", inner[2].values)
        };
        assert_eq!(before.len(), 11);
        assert_eq!(
            before[..4],
            [
                "0=Signed(1)",
                "1=\"Once Upon a Time in the West\"",
                "2=Signed(1968)",
                "3=\"Italy\""
            ]
        );
        assert_eq!(
            (before[4].as_str(), after[4].as_str()),
            ("4=\"Western\"", "4=\"Western|Action\"")
        );
        assert_eq!(before[10], "10=\"Paramount Pictures\"");
        for c in (0..11).filter(|&c| c != 4) {
            assert_eq!(before[c], after[c]);
        }
        assert_eq!(inner[3].xid, Some(31));
    }

    #[test]
    fn mysql_8_0_31_two_payloads() {
        let Some(file) = external("apecloud-mysql-binlog-connector-rust/mysql-bin.000057") else {
            return;
        };
        let p = payloads_of(&file);
        assert_eq!(p.len(), 2);
        let (ev, inner) = &p[0];
        assert_eq!((ev.uncompressed_size, ev.payload.len()), (Some(214), 161));
        assert_eq!(types(inner), [Query, RowsQuery, TableMap, WriteRows, Xid]);
        assert_eq!(
            inner[1].text.as_deref(),
            Some(&b"insert into b values(1)"[..])
        );
        assert_eq!(inner[3].table, Some(("a".to_string(), "b".to_string())));
        assert_eq!(inner[3].values, [(vec![], vec!["0=Signed(1)".to_string()])]);
        assert_eq!(inner[4].xid, Some(10));
        let (ev, inner) = &p[1];
        assert_eq!((ev.uncompressed_size, ev.payload.len()), (Some(1255), 516));
        assert_eq!(
            types(inner),
            [Query, RowsQuery, TableMap, UpdateRows, RowsQuery, TableMap, WriteRows, Xid]
        );
        assert!(inner[1]
            .text
            .as_deref()
            .unwrap_or_default()
            .starts_with(b"update test_table_3 set enum_field='large'"));
        assert!(inner[4]
            .text
            .as_deref()
            .unwrap_or_default()
            .starts_with(b"insert into test_table_3 values(6666, "));
        let t3 = Some(("a".to_string(), "test_table_3".to_string()));
        assert_eq!(inner[3].table, t3);
        assert_eq!(inner[6].table, t3);
        // update test_table_3 set enum_field='large', set_field='c',
        //   product_item_2='product_3_value' where product_id=55555
        let [(before, after)] = &inner[3].values[..] else {
            panic!("{:?}", inner[3].values)
        };
        assert_eq!((before.len(), after.len()), (20, 20));
        assert_eq!(
            (before[0].as_str(), after[0].as_str()),
            ("0=Signed(55555)", "0=Signed(55555)")
        );
        assert_eq!(after[6], "6=Enum(4)"); // 'large'
        assert_eq!(
            (before[7].as_str(), after[7].as_str()),
            ("7=Set(8)", "7=Set(4)")
        ); // 'd' -> 'c'
        assert_eq!(
            (before[10].as_str(), after[10].as_str()),
            ("10=\"product_item_2_value\"", "10=\"product_3_value\"")
        );
        // insert into test_table_3 values(6666, 'product_item_value_2', now(), 111,
        //   'description_1', now(), 'large', 'd', 'b3', '{"c": 1}', 'product_item_2_value',
        //   now(), now(), 2222, 'description_3_value', now(), now(), 222, 'description_4_value', now())
        let [(before, after)] = &inner[6].values[..] else {
            panic!("{:?}", inner[6].values)
        };
        assert!(before.is_empty());
        let want = [
            (0, "0=Signed(6666)"),
            (1, "1=\"product_item_value_2\""),
            (3, "3=Signed(111)"),
            (4, "4=\"description_1\""),
            (6, "6=Enum(4)"),
            (7, "7=Set(8)"),
            (8, "8=\"b3\""),
            (10, "10=\"product_item_2_value\""),
            (13, "13=Signed(2222)"),
            (14, "14=\"description_3_value\""),
            (17, "17=Signed(222)"),
            (18, "18=\"description_4_value\""),
        ];
        for (c, v) in want {
            assert_eq!(after[c], v);
        }
        assert_eq!(inner[7].xid, Some(22));
    }

    fn fmt() -> Format {
        Format::assumed(Flavor::MySql, ChecksumAlg::Crc32)
    }

    /// Packed integer as `net_store_length` writes it.
    fn packed(v: u64, out: &mut Vec<u8>) {
        if v < 251 {
            out.push(v as u8);
        } else if v < 1 << 16 {
            out.push(0xfc);
            out.extend_from_slice(&(v as u16).to_le_bytes());
        } else if v < 1 << 24 {
            out.push(0xfd);
            out.extend_from_slice(&v.to_le_bytes()[..3]);
        } else {
            out.push(0xfe);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }

    fn field(ty: u64, v: u64, out: &mut Vec<u8>) {
        let mut val = Vec::new();
        packed(v, &mut val);
        packed(ty, out);
        packed(val.len() as u64, out);
        out.extend_from_slice(&val);
    }

    /// A body as `Transaction_payload::encode` writes it.
    fn body(compression: u64, uncompressed: Option<u64>, payload: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        field(OTW_PAYLOAD_COMPRESSION_TYPE_FIELD, compression, &mut b);
        if let Some(u) = uncompressed {
            field(OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD, u, &mut b);
        }
        field(OTW_PAYLOAD_SIZE_FIELD, payload.len() as u64, &mut b);
        b.push(0);
        b.extend_from_slice(payload);
        b
    }

    /// A whole event without checksum: header (log_pos 0) + body.
    fn event(ty: EventType, body: &[u8]) -> Vec<u8> {
        let mut e = Vec::new();
        e.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        e.push(ty.code());
        e.extend_from_slice(&1u32.to_le_bytes());
        e.extend_from_slice(&((19 + body.len()) as u32).to_le_bytes());
        e.extend_from_slice(&0u32.to_le_bytes());
        e.extend_from_slice(&0u16.to_le_bytes());
        e.extend_from_slice(body);
        e
    }

    /// Three XID events (27 bytes each), uncompressed.
    fn xids() -> Vec<u8> {
        let mut v = Vec::new();
        for x in [7u64, 8, 9] {
            v.extend_from_slice(&event(EventType::Xid, &x.to_le_bytes()));
        }
        v
    }

    fn all(
        p: &TransactionPayloadEvent<'_>,
        opts: &DecoderOptions,
    ) -> Result<Vec<(EventType, u64)>> {
        let mut events = p.events(&fmt(), opts)?;
        let mut out = Vec::new();
        while let Some(e) = events.next_event()? {
            out.push((e.event_type(), e.pos));
        }
        Ok(out)
    }

    #[test]
    fn hand_built_zstd_and_none() {
        let plain = xids();
        let z = zstd::stream::encode_all(&plain[..], 3).unwrap();
        let want = vec![(Xid, 0), (Xid, 27), (Xid, 54)];
        let b = body(0, Some(plain.len() as u64), &z);
        let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
        assert_eq!(p.payload, &z[..]);
        assert_eq!(p.payload_offset, b.len() - z.len());
        assert!(p.trailing.is_empty());
        assert_eq!(all(&p, &DecoderOptions::default()).unwrap(), want);
        // NONE: no uncompressed size field, the payload is the events.
        let b = body(255, None, &plain);
        let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
        assert_eq!(
            (p.compression, p.uncompressed_size),
            (PayloadCompression::None, None)
        );
        assert_eq!(all(&p, &DecoderOptions::default()).unwrap(), want);
    }

    #[test]
    fn lying_uncompressed_size_is_too_large() {
        let plain = xids();
        let z = zstd::stream::encode_all(&plain[..], 3).unwrap();
        // Declared sizes below the real 81 bytes: inside the first event, at an event
        // boundary, inside a later event.
        for declared in [0u64, 10, 27, 40, 54, 80] {
            let b = body(0, Some(declared), &z);
            let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
            let e = all(&p, &DecoderOptions::default()).unwrap_err();
            match e.kind {
                ErrorKind::TooLarge { size, limit, .. } => {
                    assert_eq!(limit, declared);
                    assert!(size > declared);
                }
                other => panic!("declared {declared}: {other:?}"),
            }
        }
        // A declared size above the real one is harmless (MySQL calls it informational).
        let b = body(0, Some(1000), &z);
        let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
        assert_eq!(all(&p, &DecoderOptions::default()).unwrap().len(), 3);
    }

    #[test]
    fn max_decompressed_size_is_enforced() {
        let plain = xids();
        let z = zstd::stream::encode_all(&plain[..], 3).unwrap();
        let opts = DecoderOptions {
            max_decompressed_size: 60,
            ..DecoderOptions::default()
        };
        // Declared size over the limit: refused before decompressing anything.
        let b = body(0, Some(81), &z);
        let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
        let e = p.events(&fmt(), &opts).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::TooLarge {
                    size: 81,
                    limit: 60,
                    ..
                }
            ),
            "{e}"
        );
        // No declared size: the limit stops decompression.
        let b = body(0, None, &z);
        let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
        let e = all(&p, &opts).unwrap_err();
        assert!(
            matches!(e.kind, ErrorKind::TooLarge { limit: 60, .. }),
            "{e}"
        );
        // NONE counts too.
        let b = body(255, None, &plain);
        let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
        assert!(matches!(
            p.events(&fmt(), &opts).unwrap_err().kind,
            ErrorKind::TooLarge { size: 81, .. }
        ));
    }

    #[test]
    fn zip_bomb_is_stopped_at_the_limit() {
        // An event header announcing a 1 GiB event, then 16 MiB of zeros (a few KiB once
        // compressed); the declared size says 4096: decompression stops there.
        let mut data = event(EventType::Query, &[]);
        data[9..13].copy_from_slice(&(1u32 << 30).to_le_bytes());
        data.resize(16 << 20, 0);
        let z = zstd::stream::encode_all(&data[..], 3).unwrap();
        assert!(z.len() < 64 << 10);
        let b = body(0, Some(4096), &z);
        let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
        let e = all(&p, &DecoderOptions::default()).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::TooLarge {
                    size: 4097,
                    limit: 4096,
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(e.offset, 4096);
    }

    #[test]
    fn truncated_and_garbage_payloads_are_typed_errors() {
        let plain = xids();
        let z = zstd::stream::encode_all(&plain[..], 3).unwrap();
        for cut in 0..z.len() {
            let b = body(0, Some(plain.len() as u64), &z[..cut]);
            let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
            let e = all(&p, &DecoderOptions::default()).unwrap_err();
            assert!(
                matches!(
                    e.kind,
                    ErrorKind::Decompress { .. } | ErrorKind::Truncated { .. }
                ),
                "cut {cut}: {e}"
            );
        }
        // Uncompressed payload cut inside an event.
        let b = body(255, None, &plain[..40]);
        let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
        let e = all(&p, &DecoderOptions::default()).unwrap_err();
        assert!(e.is_truncated(), "{e}");
        assert_eq!(e.offset, 27);
        // Garbage instead of a zstd frame.
        let garbage: Vec<u8> = (0u8..200).map(|x| x.wrapping_mul(37) ^ 0x5a).collect();
        let b = body(0, Some(81), &garbage);
        let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
        let e = all(&p, &DecoderOptions::default()).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Decompress { .. }), "{e}");
        // A valid frame followed by garbage.
        let mut zg = z.clone();
        zg.extend_from_slice(&garbage);
        let b = body(0, Some(81), &zg);
        let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
        assert!(all(&p, &DecoderOptions::default()).is_err());
        // Unknown compression: the event decodes, its events cannot be read.
        let b = body(7, Some(81), &z);
        let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
        assert_eq!(p.compression, PayloadCompression::Unknown(7));
        assert!(matches!(
            p.events(&fmt(), &DecoderOptions::default())
                .unwrap_err()
                .kind,
            ErrorKind::Invalid { value: 7, .. }
        ));
    }

    #[test]
    fn nested_payload_is_rejected() {
        let inner = body(255, None, &xids());
        let mut plain = xids();
        plain.extend_from_slice(&event(EventType::TransactionPayload, &inner));
        let z = zstd::stream::encode_all(&plain[..], 3).unwrap();
        let b = body(0, Some(plain.len() as u64), &z);
        let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
        let mut events = p.events(&fmt(), &DecoderOptions::default()).unwrap();
        for _ in 0..3 {
            assert_eq!(
                events.next_event().unwrap().map(|e| e.event_type()),
                Some(Xid)
            );
        }
        let e = events.next_event().unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::TooDeep {
                    what: "transaction payload",
                    limit: 1
                }
            ),
            "{e}"
        );
        assert_eq!(e.offset, 81);
        assert!(events.next_event().unwrap().is_none());
    }

    #[test]
    fn header_fields() {
        // Unknown fields are skipped; the order of fields does not matter.
        let mut b = Vec::new();
        field(OTW_PAYLOAD_SIZE_FIELD, 3, &mut b);
        b.extend_from_slice(&[9, 2, 0xaa, 0xbb]);
        field(OTW_PAYLOAD_COMPRESSION_TYPE_FIELD, 255, &mut b);
        b.push(0);
        b.extend_from_slice(b"abcXY");
        let p = TransactionPayloadEvent::parse(&b, &fmt()).unwrap();
        assert_eq!(
            (p.payload, p.trailing, p.skipped_fields),
            (&b"abc"[..], &b"XY"[..], 1)
        );
        // Missing required fields.
        let mut b = Vec::new();
        field(OTW_PAYLOAD_COMPRESSION_TYPE_FIELD, 0, &mut b);
        b.push(0);
        let e = TransactionPayloadEvent::parse(&b, &fmt()).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::Invalid {
                    value: OTW_PAYLOAD_SIZE_FIELD,
                    ..
                }
            ),
            "{e}"
        );
        let mut b = Vec::new();
        field(OTW_PAYLOAD_SIZE_FIELD, 0, &mut b);
        b.push(0);
        let e = TransactionPayloadEvent::parse(&b, &fmt()).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::Invalid {
                    value: OTW_PAYLOAD_COMPRESSION_TYPE_FIELD,
                    ..
                }
            ),
            "{e}"
        );
        // A payload size larger than the body.
        let mut b = Vec::new();
        field(OTW_PAYLOAD_COMPRESSION_TYPE_FIELD, 0, &mut b);
        field(OTW_PAYLOAD_SIZE_FIELD, u64::MAX, &mut b);
        b.push(0);
        b.extend_from_slice(b"abc");
        let e = TransactionPayloadEvent::parse(&b, &fmt()).unwrap_err();
        assert!(
            matches!(
                e.kind,
                ErrorKind::Truncated {
                    what: "transaction payload",
                    available: 3,
                    ..
                }
            ),
            "{e}"
        );
        // A field length that disagrees with its packed value.
        let b = [OTW_PAYLOAD_SIZE_FIELD as u8, 2, 1, 0, 0];
        assert!(matches!(
            TransactionPayloadEvent::parse(&b, &fmt()).unwrap_err().kind,
            ErrorKind::Invalid { .. }
        ));
    }

    #[test]
    fn every_truncation_of_a_body_is_a_typed_error() {
        let plain = xids();
        let z = zstd::stream::encode_all(&plain[..], 3).unwrap();
        let b = body(0, Some(70_000), &z);
        for cut in 0..b.len() {
            let e = TransactionPayloadEvent::parse(&b[..cut], &fmt()).unwrap_err();
            assert!(e.is_truncated(), "cut {cut}: {e}");
            assert!(e.offset <= cut as u64);
        }
    }
}
