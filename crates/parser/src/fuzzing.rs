//! Fuzzing entry points: each function takes arbitrary bytes and asserts the invariants of one
//! part of the decoder (panicking when one does not hold). The cargo-fuzz targets in `fuzz/` call
//! them, and `tests/fuzz_corpus.rs` replays the committed corpora and regressions through them
//! in ordinary `cargo test`.
//!
//! Not a public API: hidden from the docs, may change at any time.
//!
//! | function | input | invariants |
//! | --- | --- | --- |
//! | [`stream`] | a binlog file (the magic is added when missing) | events are contiguous and sum to at most the input; errors point inside the input; every row of every rows event decodes without reading past its row data; [`BinlogReader`] yields the same events and error as [`SliceReader`] |
//! | [`event`] | a FORMAT_DESCRIPTION choice, then one or more events | the FDE is taken; each event decodes or fails without panic, inside its bytes; rows as above |
//! | [`rows`] | a table map built from column types and metadata, then a rows event | rows never read past the row data; every row consumes bytes; every value renders |
//! | [`json`] | binary JSON | `write_json` never panics; its output is valid JSON of bounded size |
//! | [`decimal`] | precision, scale, binary DECIMAL | decode → text → encode → decode is the identity on the text, which has the scale's digits |

use crate::decoder::{Decoder, DecoderOptions, Frame};
use crate::error::{Error, ErrorKind};
use crate::events::rows::{Row, RowsEvent};
use crate::events::EventData;
use crate::fde::{ChecksumAlg, Flavor, Format};
use crate::header::{BINLOG_MAGIC, CHECKSUM_LEN, HEADER_LEN};
use crate::reader::{BinlogReader, SliceReader};
use crate::value::{decode_json_diffs, Decimal, Json, Value};
use std::borrow::Cow;

/// Decompression limit used by the fuzzing decoders (the default of 1 GiB would let a small
/// input exhaust the fuzzer's memory).
pub const MAX_DECOMPRESSED: u64 = 16 << 20;

/// Decoder options of the fuzzing decoders.
pub fn options(verify_checksums: bool) -> DecoderOptions {
    DecoderOptions {
        verify_checksums,
        max_decompressed_size: MAX_DECOMPRESSED,
        ..DecoderOptions::default()
    }
}

/// True when the known bug `name` is listed in `$BINVAULT_FUZZ_TOLERATE` (comma-separated):
/// its invariant is then not asserted, so that a fuzzing run can look for other bugs until it is
/// fixed. Unset in `cargo test`, so the regressions under `fuzz/regressions/` keep failing until
/// the bug is fixed. Names used so far (all fixed): `json-error-offset` (a binary JSON error about
/// an offset read from the document named that offset, past the end of the document).
pub fn tolerated(name: &str) -> bool {
    static LIST: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        std::env::var("BINVAULT_FUZZ_TOLERATE")
            .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default()
    })
    .iter()
    .any(|s| s == name)
}

fn same_kind(a: &ErrorKind, b: &ErrorKind) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// True when `inner` lies inside `outer` (same allocation, by address).
fn within(inner: &[u8], outer: &[u8]) -> bool {
    let (o, i) = (outer.as_ptr() as usize, inner.as_ptr() as usize);
    inner.is_empty() || (i >= o && i + inner.len() <= o + outer.len())
}

// ------------------------------------------------------------------------------------------
// stream

/// A whole binlog through [`SliceReader`] and [`BinlogReader`] side by side.
///
/// Invariants: event `k + 1` starts where event `k` ends (the first at 4); each event's bytes
/// are the input's bytes at its position, `event_size` long, with the body inside them; the
/// events add up to at most `input.len() - 4`; an error's offset is at most the input length;
/// after an error the reader stops. [`BinlogReader`] over the same bytes yields the same
/// events (same position, bytes and decoded data) and then the same error (kind and offset),
/// or the same clean end. Every rows event's rows are decoded ([`check_rows`]), and the inner
/// events of transaction payloads are walked.
pub fn stream(data: &[u8]) {
    let input: Cow<'_, [u8]> = if data.starts_with(&BINLOG_MAGIC) {
        Cow::Borrowed(data)
    } else {
        let mut v = Vec::with_capacity(data.len() + 4);
        v.extend_from_slice(&BINLOG_MAGIC);
        v.extend_from_slice(data);
        Cow::Owned(v)
    };
    let input = &*input;
    let mut dec = Decoder::new();
    dec.set_options(options(true));
    let mut slice = SliceReader::with_decoder(input, dec);
    let mut stream = BinlogReader::new(input);
    stream.decoder_mut().set_options(options(true));

    let mut expected_pos = 4u64;
    let mut total = 0usize;
    loop {
        let a = slice.next();
        let b = stream.next_event();
        match (a, b) {
            (None, Ok(None)) => break,
            (Some(Ok(ev)), Ok(Some(ev2))) => {
                assert_eq!(ev.pos, expected_pos, "events are not contiguous");
                let pos = ev.pos as usize;
                assert_eq!(ev.raw.len() as u64, u64::from(ev.header.event_size), "raw length != event_size");
                assert!(ev.raw.len() >= HEADER_LEN, "event shorter than its header");
                assert!(
                    input.get(pos..pos + ev.raw.len()).is_some_and(|s| s.as_ptr() == ev.raw.as_ptr()),
                    "event bytes are not the input's bytes at its position"
                );
                assert!(within(ev.body, ev.raw), "body outside the event");
                assert!(ev.body_offset + ev.body.len() <= ev.raw.len(), "body_offset past the event");
                total += ev.raw.len();
                assert!(total + 4 <= input.len(), "events add up to more than the input");
                expected_pos = ev.end();

                assert_eq!(ev2.pos, ev.pos, "BinlogReader: different position");
                assert_eq!(ev2.raw, ev.raw, "BinlogReader: different event bytes");
                assert_eq!(
                    format!("{:?}", ev2.data),
                    format!("{:?}", ev.data),
                    "BinlogReader: different decoded event at {}",
                    ev.pos
                );
                assert_eq!(slice.position(), expected_pos, "SliceReader::position");
                assert_eq!(stream.position(), expected_pos, "BinlogReader::position");
                check_event_data(&ev.data, slice.decoder().format());
            }
            (Some(Err(e)), Err(e2)) => {
                assert!(e.offset <= input.len() as u64, "error offset {} past the input ({}): {e}", e.offset, input.len());
                assert!(
                    same_kind(&e.kind, &e2.kind) && e.offset == e2.offset,
                    "SliceReader and BinlogReader disagree on the error:\n  slice:  {e}\n  stream: {e2}"
                );
                assert!(slice.next().is_none(), "SliceReader goes on after an error");
                assert!(matches!(stream.next_event(), Ok(None)), "BinlogReader goes on after an error");
                break;
            }
            (a, b) => panic!(
                "SliceReader and BinlogReader disagree at {expected_pos}:\n  slice:  {}\n  stream: {}",
                describe(a.as_ref().map(|r| r.as_ref().map(|e| e.pos))),
                describe_stream(b.as_ref().map(|o| o.as_ref().map(|e| e.pos)))
            ),
        }
    }
    assert!(total + 4 <= input.len());
}

fn describe(a: Option<Result<u64, &Error>>) -> String {
    match a {
        None => "end".into(),
        Some(Ok(p)) => format!("event at {p}"),
        Some(Err(e)) => format!("error {e}"),
    }
}

fn describe_stream(b: Result<Option<u64>, &Error>) -> String {
    match b {
        Ok(None) => "end".into(),
        Ok(Some(p)) => format!("event at {p}"),
        Err(e) => format!("error {e}"),
    }
}

/// Checks what can be checked of one decoded event: rows of rows events, inner events of
/// transaction payloads.
fn check_event_data(data: &EventData<'_>, format: &Format) {
    match data {
        EventData::Rows(r) => check_rows(r),
        EventData::TransactionPayload(p) => {
            let Ok(mut inner) = p.events(format, &options(false)) else {
                return;
            };
            let mut expected = 0u64;
            let mut n = 0u64;
            loop {
                match inner.next_event() {
                    Ok(Some(ev)) => {
                        assert_eq!(ev.pos, expected, "payload events are not contiguous");
                        expected = ev.end();
                        assert!(
                            expected <= MAX_DECOMPRESSED,
                            "payload past the decompression limit"
                        );
                        n += 1;
                        assert!(n <= MAX_DECOMPRESSED / HEADER_LEN as u64);
                        if let EventData::Rows(r) = &ev.data {
                            check_rows(r);
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        assert!(
                            e.offset <= MAX_DECOMPRESSED,
                            "payload error offset {} too large: {e}",
                            e.offset
                        );
                        break;
                    }
                }
            }
        }
        _ => {}
    }
}

// ------------------------------------------------------------------------------------------
// rows

/// Reads every row of a rows event (when its table map is known) and checks it.
///
/// Invariants: every row consumes at least one byte of row data (so a rows event cannot yield
/// more rows than it has bytes, nor loop forever); the cells of an image are in increasing
/// column order, below the column count; every borrowed value lies inside the row data; every
/// value renders ([`check_value`]); errors point inside the rows event.
pub fn check_rows(r: &RowsEvent<'_>) {
    let Ok(mut reader) = r.rows() else { return };
    let data: &[u8] = &r.rows_data;
    let mut row = Row::default();
    let mut n = 0usize;
    loop {
        match reader.next_row(&mut row) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let end = (r.rows_offset + data.len()) as u64;
                assert!(
                    e.offset <= end,
                    "row error offset {} past the rows ({end}): {e}",
                    e.offset
                );
                break;
            }
        }
        n += 1;
        assert!(
            n <= data.len(),
            "the row reader returned {n} rows from {} bytes of row data: a row consumed no bytes \
             (column count {}, columns bitmap {:02x?})",
            data.len(),
            r.column_count,
            r.columns_before
        );
        for img in [&row.before, &row.after].into_iter().flatten() {
            let mut last: Option<u32> = None;
            for (c, v) in &img.cells {
                assert!(
                    (*c as usize) < r.column_count,
                    "cell column {c} >= column count {}",
                    r.column_count
                );
                assert!(last.is_none_or(|l| l < *c), "cells out of column order");
                last = Some(*c);
                check_value(v, data);
            }
            for (c, diff) in &img.json_diffs {
                assert!((*c as usize) < r.column_count);
                assert!(within(diff, data), "JSON diff outside the row data");
                if let Ok((diffs, used)) = decode_json_diffs(diff) {
                    assert!(used <= diff.len());
                    let _ = diffs.to_string();
                }
            }
        }
    }
}

/// Checks one value: borrowed bytes inside `data`, text forms well formed, the owned copy equal.
pub fn check_value(v: &Value<'_>, data: &[u8]) {
    if let Some(b) = v.as_bytes() {
        assert!(within(b, data), "value bytes outside the row data: {v:?}");
    }
    match v {
        Value::Decimal(d) => {
            assert!(
                within(d.as_bytes(), data),
                "DECIMAL bytes outside the row data"
            );
            check_decimal_text(d);
        }
        Value::Json(j) => {
            if let Ok(s) = j.to_json_string() {
                check_json_text(&s, j.as_bytes().len());
            }
        }
        Value::Date(d) => drop(d.to_string()),
        Value::Time(t) => drop(t.to_string()),
        Value::DateTime(t) => drop(t.to_string()),
        _ => {}
    }
    if let Some(t) = v.timestamp() {
        drop(t.to_string());
    }
    if let Some(b) = v.bit_literal() {
        drop(b.to_string());
    }
    let owned = v.into_owned();
    assert_eq!(
        format!("{:?}", owned.as_value()),
        format!("{v:?}"),
        "owned copy differs"
    );
}

/// Rows event kinds of the [`rows`] input: (event type code, two bitmaps).
const ROWS_TYPES: [u8; 8] = [30, 31, 32, 39, 23, 24, 25, 39];

/// A TABLE_MAP built from fuzz bytes, then a rows event on it, decoded and checked with
/// [`check_rows`].
///
/// Input (see [`rows_input`], which builds one from a real table map and rows event):
/// `kind` (low 3 bits: WRITE/UPDATE/DELETE/PARTIAL_UPDATE v2, WRITE/UPDATE/DELETE v1, PARTIAL),
/// `n` (columns), `n` column type codes, `u16` metadata length + metadata, the null bitmap
/// (`(n + 7) / 8` bytes), `u16` optional-metadata length + optional metadata, then the rest of
/// the rows event after its post-header: column count (lenenc), bitmap(s), rows.
pub fn rows(data: &[u8]) {
    let Some((tm_body, ty, rows_part)) = parse_rows_input(data) else {
        return;
    };
    let mut dec = Decoder::new();
    dec.set_options(options(false));
    let tm = build_event(19, &tm_body);
    if dec.decode(4, &tm).is_err() {
        return;
    }
    let mut body = Vec::with_capacity(rows_part.len() + 10);
    body.extend_from_slice(&[1, 0, 0, 0, 0, 0]); // table id 1
    body.extend_from_slice(&1u16.to_le_bytes()); // STMT_END_F
    if !matches!(ty, 23..=25) {
        body.extend_from_slice(&2u16.to_le_bytes()); // no extra data
    }
    body.extend_from_slice(rows_part);
    let ev = build_event(ty, &body);
    let pos = 4 + tm.len() as u64;
    match dec.decode(pos, &ev) {
        Ok(e) => {
            if let EventData::Rows(r) = &e.data {
                assert!(r.table.is_some(), "rows event did not get its table map");
                check_rows(r);
            } else {
                panic!("a rows event decoded as {:?}", e.event_type());
            }
        }
        Err(e) => assert!(
            e.offset <= pos + ev.len() as u64,
            "error offset {} past the event: {e}",
            e.offset
        ),
    }
}

fn take<'a>(data: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (a, b) = (data.get(..n)?, data.get(n..)?);
    *data = b;
    Some(a)
}

fn take_u16(data: &mut &[u8]) -> Option<usize> {
    take(data, 2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
}

fn lenenc(out: &mut Vec<u8>, n: usize) {
    if n < 251 {
        out.push(n as u8);
    } else if n < 1 << 16 {
        out.push(0xfc);
        out.extend_from_slice(&(n as u16).to_le_bytes());
    } else {
        out.push(0xfd);
        out.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
    }
}

/// (TABLE_MAP body, rows event type, rows event part after the post-header).
fn parse_rows_input(mut data: &[u8]) -> Option<(Vec<u8>, u8, &[u8])> {
    let d = &mut data;
    let kind = take(d, 1)?[0];
    let n = usize::from(take(d, 1)?[0]);
    let types = take(d, n)?;
    let meta_len = take_u16(d)?;
    let meta = take(d, meta_len)?;
    let nulls = take(d, n.div_ceil(8))?;
    let opt_len = take_u16(d)?;
    let opt = take(d, opt_len)?;
    let mut tm = Vec::with_capacity(32 + n + meta_len + opt_len);
    tm.extend_from_slice(&[1, 0, 0, 0, 0, 0, 1, 0]); // table id 1, flags
    tm.extend_from_slice(&[1, b's', 0, 1, b't', 0]); // schema, table
    lenenc(&mut tm, n);
    tm.extend_from_slice(types);
    lenenc(&mut tm, meta.len());
    tm.extend_from_slice(meta);
    tm.extend_from_slice(nulls);
    tm.extend_from_slice(opt);
    Some((tm, ROWS_TYPES[usize::from(kind & 7)], data))
}

/// Builds a [`rows`] input from a real TABLE_MAP body and the part of a rows event after its
/// post-header (and extra data): used to seed the corpus from `testdata/`.
pub fn rows_input(
    tm: &crate::events::TableMapEvent<'_>,
    kind: u8,
    rows_part: &[u8],
) -> Option<Vec<u8>> {
    let n = tm.column_types.len();
    if n > 255 || tm.metadata.len() > 0xffff || tm.optional_metadata.len() > 0xffff {
        return None;
    }
    let mut out = vec![kind, n as u8];
    out.extend_from_slice(tm.column_types);
    out.extend_from_slice(&(tm.metadata.len() as u16).to_le_bytes());
    out.extend_from_slice(tm.metadata);
    out.extend_from_slice(tm.null_bitmap);
    out.extend_from_slice(&(tm.optional_metadata.len() as u16).to_le_bytes());
    out.extend_from_slice(tm.optional_metadata);
    out.extend_from_slice(rows_part);
    Some(out)
}

/// The [`rows`] kind byte of a rows event type code (`None` for compressed or pre-GA types).
pub fn rows_kind(type_code: u8) -> Option<u8> {
    ROWS_TYPES
        .iter()
        .position(|&t| t == type_code)
        .map(|k| k as u8)
}

/// A whole event without checksum: header (timestamp 0, server id 1) + body.
fn build_event(type_code: u8, body: &[u8]) -> Vec<u8> {
    let size = (HEADER_LEN + body.len()) as u32;
    let mut ev = Vec::with_capacity(size as usize);
    ev.extend_from_slice(&0u32.to_le_bytes());
    ev.push(type_code);
    ev.extend_from_slice(&1u32.to_le_bytes());
    ev.extend_from_slice(&size.to_le_bytes());
    ev.extend_from_slice(&size.wrapping_add(4).to_le_bytes());
    ev.extend_from_slice(&0u16.to_le_bytes());
    ev.extend_from_slice(body);
    ev
}

// ------------------------------------------------------------------------------------------
// event

/// Post-header lengths of MariaDB 10.11 (from the FDE of `testdata/crc32-full`), types 1–171.
fn mariadb_post_header_lens() -> Vec<u8> {
    let mut p = vec![
        56, 13, 0, 8, 0, 18, 0, 4, 4, 4, 4, 18, 0, 0, 228, 0, 4, 26, 8, 0, 0, 0, 8, 8, 8, 2, 0, 0,
        0, 10, 10, 10, 0, 0, 0, 0, 0, 0, 10, 10, 10,
    ];
    p.resize(160, 0);
    p.extend_from_slice(&[4, 19, 4, 0, 13, 8, 8, 8, 10, 10, 10]);
    p
}

/// Post-header lengths of MySQL 8.0, types 1–41.
const MYSQL80_POST_HEADER_LENS: [u8; 41] = [
    0, 13, 0, 8, 0, 0, 0, 0, 4, 0, 4, 0, 0, 0, 98, 0, 4, 26, 8, 0, 0, 0, 8, 8, 8, 2, 0, 0, 0, 10,
    10, 10, 42, 42, 0, 18, 52, 0, 10, 40, 0,
];

/// Post-header lengths of MySQL 5.5 (no checksum byte), types 1–27.
const MYSQL55_POST_HEADER_LENS: [u8; 27] = [
    56, 13, 0, 8, 0, 18, 0, 4, 4, 4, 4, 18, 0, 0, 84, 0, 4, 26, 8, 0, 0, 0, 8, 8, 8, 2, 0,
];

/// A FORMAT_DESCRIPTION event: binlog v4, `version`, header length 19, `post` lengths, and
/// (servers that write one) the checksum-algorithm byte followed by a correct CRC32.
pub fn build_fde(version: &[u8], post: &[u8], alg: Option<u8>) -> Vec<u8> {
    let mut body = Vec::with_capacity(57 + post.len() + 5);
    body.extend_from_slice(&4u16.to_le_bytes());
    let mut v = [0u8; 50];
    let n = version.len().min(50);
    v[..n].copy_from_slice(&version[..n]);
    body.extend_from_slice(&v);
    body.extend_from_slice(&0u32.to_le_bytes());
    body.push(HEADER_LEN as u8);
    body.extend_from_slice(post);
    if let Some(a) = alg {
        body.push(a);
        body.extend_from_slice(&[0; CHECKSUM_LEN]);
    }
    let mut ev = build_event(15, &body);
    if alg.is_some() {
        fix_crc(&mut ev);
    }
    ev
}

/// Rewrites the CRC32 trailer of a whole event.
fn fix_crc(ev: &mut [u8]) {
    if let Some(n) = ev.len().checked_sub(CHECKSUM_LEN) {
        let crc = crc32fast::hash(&ev[..n]);
        ev[n..].copy_from_slice(&crc.to_le_bytes());
    }
}

/// Events decoded after a FORMAT_DESCRIPTION chosen by the input.
///
/// Input: `flags`, `k`, then `k & 3` pairs (index, length) that override post-header lengths,
/// then events. `flags` bits 0–1: the FDE (MariaDB 10.11, MySQL 8.0, MySQL 5.5 without
/// checksum byte, or none: [`Format::assumed`]); bits 2–3: the checksum algorithm byte (CRC32,
/// OFF, the next input byte, the base's); bit 4: keep the events' CRC32 trailers as they are
/// (else they are recomputed, so that the body is decoded); bit 5: keep each event's size field
/// (else it is set to the bytes given); bit 6: do not verify checksums. Events are framed by
/// their size field; the last one takes every byte left.
///
/// Invariants: the FDE is accepted; each event decodes or fails without panic; a decoded event
/// spans exactly its bytes with its body inside; errors point inside the event; rows of rows
/// events are checked ([`check_rows`]).
pub fn event(data: &[u8]) {
    let mut d = data;
    let Some(&[flags, k]) = take(&mut d, 2) else {
        return;
    };
    let mut post_overrides = Vec::new();
    for _ in 0..(k & 3) {
        let Some(&[i, v]) = take(&mut d, 2) else {
            return;
        };
        post_overrides.push((usize::from(i), v));
    }
    let alg_choice = (flags >> 2) & 3;
    let alg_byte = if alg_choice == 2 {
        let Some(&[b]) = take(&mut d, 1) else { return };
        Some(b)
    } else {
        None
    };
    let alg = |base: Option<u8>| match alg_choice {
        0 => Some(1),
        1 => Some(0),
        2 => alg_byte,
        _ => base,
    };
    let mut dec;
    let mut pos = 4u64;
    let base = flags & 3;
    if base == 3 {
        let checksum = if alg(Some(0)) == Some(1) {
            ChecksumAlg::Crc32
        } else {
            ChecksumAlg::Off
        };
        let flavor = if k & 4 != 0 {
            Flavor::MariaDb
        } else {
            Flavor::MySql
        };
        let mut fmt = Format::assumed(flavor, checksum);
        for &(i, v) in &post_overrides {
            let n = fmt.post_header_lens.len();
            fmt.post_header_lens[i % n] = v;
        }
        dec = Decoder::with_format(fmt);
    } else {
        let (version, mut post, base_alg): (&[u8], Vec<u8>, Option<u8>) = match base {
            0 => (
                b"10.11.14-MariaDB-0+deb12u2-log",
                mariadb_post_header_lens(),
                Some(1),
            ),
            1 => (b"8.0.36", MYSQL80_POST_HEADER_LENS.to_vec(), Some(1)),
            _ => (b"5.5.62-log", MYSQL55_POST_HEADER_LENS.to_vec(), None),
        };
        for &(i, v) in &post_overrides {
            let n = post.len();
            post[i % n] = v;
        }
        // A checksum-unaware version has no algorithm byte.
        let alg = if base == 2 { None } else { alg(base_alg) };
        let fde = build_fde(version, &post, alg);
        dec = Decoder::new();
        dec.set_options(options(true));
        if dec.decode(pos, &fde).is_err() {
            return;
        }
        assert!(dec.seen_format_description());
        pos += fde.len() as u64;
    }
    dec.set_options(options(flags & 0x40 == 0));
    let crc = dec.format().checksum == ChecksumAlg::Crc32;

    let mut rest = d;
    let mut count = 0usize;
    while !rest.is_empty() {
        count += 1;
        assert!(count <= data.len());
        let len = match crate::decoder::frame(rest, u64::MAX) {
            Ok(Frame::Complete(n)) if n < rest.len() => n,
            _ => rest.len(),
        };
        let mut raw = rest[..len].to_vec();
        rest = &rest[len..];
        if flags & 0x20 == 0 && raw.len() >= 13 {
            raw[9..13].copy_from_slice(&(len as u32).to_le_bytes());
        }
        if crc && flags & 0x10 == 0 && raw.len() >= HEADER_LEN + CHECKSUM_LEN {
            fix_crc(&mut raw);
        }
        match dec.decode(pos, &raw) {
            Ok(ev) => {
                assert_eq!(ev.pos, pos);
                assert_eq!(ev.raw.len(), raw.len(), "event does not span its bytes");
                assert!(within(ev.body, ev.raw), "body outside the event");
                assert!(ev.body_offset + ev.body.len() <= ev.raw.len());
                check_event_data(&ev.data, dec.format());
            }
            Err(e) => {
                let end = pos + raw.len() as u64;
                assert!(
                    e.offset <= end,
                    "error offset {} past the event end {end}: {e}",
                    e.offset
                );
            }
        }
        pos += raw.len() as u64;
    }
}

// ------------------------------------------------------------------------------------------
// json

/// Arbitrary bytes as a binary JSON document: [`Json::write_json`] never panics; when it
/// succeeds the text is valid JSON ([`check_json_text`]) and [`Json::validate`] agrees.
/// Returns the text, for callers that check it with a JSON parser of their own.
pub fn json(data: &[u8]) -> Option<String> {
    let j = Json::new(data);
    let mut s = String::new();
    let r = j.write_json(&mut s);
    assert_eq!(
        r.is_ok(),
        j.validate().is_ok(),
        "write_json and validate disagree"
    );
    if let Ok(root) = j.root() {
        let _ = format!("{root:?}");
    }
    match r {
        Ok(()) => {
            check_json_text(&s, data.len());
            Some(s)
        }
        Err(e) => {
            assert!(
                e.offset <= data.len() as u64 || tolerated("json-error-offset"),
                "JSON error offset {} past the document ({} bytes): {e}",
                e.offset,
                data.len()
            );
            None
        }
    }
}

/// Asserts that `s` is one valid JSON value (RFC 8259), of a size bounded by the document's.
pub fn check_json_text(s: &str, doc_len: usize) {
    // Work is bounded to twice the document size plus 16 units; no unit prints more than ~80 bytes.
    let bound = 80 * (2 * doc_len + 16);
    assert!(
        s.len() <= bound,
        "JSON text of {} bytes from a {doc_len}-byte document",
        s.len()
    );
    let b = s.as_bytes();
    let mut p = JsonCheck { b, i: 0 };
    p.ws();
    if let Err(at) = p.value(0) {
        panic!("invalid JSON text at byte {at}: {s:?}");
    }
    p.ws();
    assert!(
        p.i == b.len(),
        "trailing bytes after the JSON value at {}: {s:?}",
        p.i
    );
}

/// A strict JSON recognizer.
struct JsonCheck<'a> {
    b: &'a [u8],
    i: usize,
}

impl JsonCheck<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn lit(&mut self, l: &[u8]) -> Result<(), usize> {
        if self.b.get(self.i..self.i + l.len()) == Some(l) {
            self.i += l.len();
            Ok(())
        } else {
            Err(self.i)
        }
    }

    fn value(&mut self, depth: u32) -> Result<(), usize> {
        if depth > 512 {
            return Err(self.i);
        }
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    self.string()?;
                    self.ws();
                    self.lit(b":")?;
                    self.ws();
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(self.i),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    self.value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return Err(self.i),
                    }
                }
            }
            Some(b'"') => self.string(),
            Some(b't') => self.lit(b"true"),
            Some(b'f') => self.lit(b"false"),
            Some(b'n') => self.lit(b"null"),
            _ => self.number(),
        }
    }

    fn string(&mut self) -> Result<(), usize> {
        self.lit(b"\"")?;
        loop {
            match self.peek() {
                None => return Err(self.i),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            self.i += 1;
                            for _ in 0..4 {
                                if !self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                                    return Err(self.i);
                                }
                                self.i += 1;
                            }
                        }
                        _ => return Err(self.i),
                    }
                }
                Some(c) if c < 0x20 => return Err(self.i),
                Some(_) => self.i += 1,
            }
        }
    }

    fn digits(&mut self) -> Result<(), usize> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        if self.i == start {
            Err(self.i)
        } else {
            Ok(())
        }
    }

    fn number(&mut self) -> Result<(), usize> {
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        if self.peek() == Some(b'0') {
            self.i += 1;
        } else {
            self.digits()?;
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.digits()?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------------------------------------
// decimal

/// Bytes used by a group of `n` decimal digits (`n` < 9); 4 for a full group of 9.
const DIG2BYTES: [usize; 10] = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];

/// Encodes the text form of a `DECIMAL(precision, scale)` (as [`Decimal`]'s `Display` prints
/// it: `-`? integer digits, then `.` and exactly `scale` digits when `scale > 0`) in MySQL's
/// binary format (`decimal2bin`). `None` when the text does not fit.
pub fn encode_decimal(text: &str, precision: u8, scale: u8) -> Option<Vec<u8>> {
    if precision == 0 || scale > precision {
        return None;
    }
    let (neg, t) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, f),
        None => (t, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    if int.is_empty() || !all_digits(int) || !all_digits(frac) || frac.len() != usize::from(scale) {
        return None;
    }
    let intg = usize::from(precision - scale);
    let int = int.trim_start_matches('0');
    if int.len() > intg {
        return None;
    }
    // Every digit, integer part left-padded to `intg` digits.
    let mut digits = vec![0u8; intg - int.len()];
    digits.extend(int.bytes().map(|c| c - b'0'));
    digits.extend(frac.bytes().map(|c| c - b'0'));
    let frac_n = usize::from(scale);
    let sizes = std::iter::once(intg % 9)
        .chain(std::iter::repeat_n(9, intg / 9))
        .chain(std::iter::repeat_n(9, frac_n / 9))
        .chain(std::iter::once(frac_n % 9))
        .filter(|&n| n > 0);
    let mut out = Vec::with_capacity(32);
    let mut at = 0usize;
    for n in sizes {
        let value = digits[at..at + n]
            .iter()
            .fold(0u32, |a, &d| a * 10 + u32::from(d));
        at += n;
        let bytes = DIG2BYTES[n];
        out.extend_from_slice(&value.to_be_bytes()[4 - bytes..]);
    }
    if let Some(b) = out.first_mut() {
        *b ^= 0x80;
    }
    if neg {
        for b in &mut out {
            *b ^= 0xff;
        }
    }
    Some(out)
}

/// Asserts that a decimal's text has the form `-?D+(.D{scale})?` with at most
/// `precision - scale` integer digits (a single `0` when there are none).
pub fn check_decimal_text(d: &Decimal<'_>) -> String {
    let s = d.to_string();
    let t = s.strip_prefix('-').unwrap_or(&s);
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let scale = usize::from(d.scale());
    let intg = usize::from(d.precision() - d.scale());
    assert!(
        !int.is_empty() && int.bytes().all(|c| c.is_ascii_digit()),
        "bad integer part: {s:?}"
    );
    assert!(int == "0" || !int.starts_with('0'), "leading zero: {s:?}");
    assert!(
        int.len() <= intg.max(1),
        "{} integer digits for precision {} scale {}: {s:?}",
        int.len(),
        d.precision(),
        d.scale()
    );
    assert!(
        frac.bytes().all(|c| c.is_ascii_digit()),
        "bad fraction: {s:?}"
    );
    assert_eq!(frac.len(), scale, "fraction digits != scale: {s:?}");
    assert_eq!(
        t.contains('.'),
        scale > 0,
        "decimal point iff scale > 0: {s:?}"
    );
    if let Some(m) = d.mantissa() {
        // The unscaled value, printed with the scale, is the text (up to the sign of zero).
        let digits: String = format!("{}{}", int, frac)
            .trim_start_matches('0')
            .to_string();
        let expected = m.unsigned_abs().to_string();
        assert_eq!(
            if digits.is_empty() { "0" } else { &digits },
            expected,
            "mantissa differs from text {s:?}"
        );
    }
    s
}

/// `precision`, `scale`, then a binary DECIMAL: decode → text → encode → decode gives the same
/// text; the text has the right form ([`check_decimal_text`]); a canonical value (anything
/// but a negative zero) re-encodes to the same bytes.
pub fn decimal(data: &[u8]) {
    let [p, s, rest @ ..] = data else { return };
    // Mostly valid precision/scale pairs, sometimes raw bytes (which must be rejected cleanly).
    let (precision, scale) = if p & 0x80 == 0 {
        let precision = p % 65 + 1;
        (precision, s % (precision.min(38) + 1))
    } else {
        (p & 0x7f, *s)
    };
    let Ok((d, used)) = Decimal::decode(rest, precision, scale) else {
        return;
    };
    assert!(
        used <= rest.len() && used == d.as_bytes().len(),
        "decode used {used} of {}",
        rest.len()
    );
    assert_eq!((d.precision(), d.scale()), (precision, scale));
    let text = check_decimal_text(&d);
    let Some(bin) = encode_decimal(&text, precision, scale) else {
        panic!("the text {text:?} of a DECIMAL({precision},{scale}) does not encode back");
    };
    assert_eq!(bin.len(), used, "re-encoded size differs");
    let (d2, used2) = match Decimal::decode(&bin, precision, scale) {
        Ok(x) => x,
        Err(e) => panic!("re-encoded {text:?} does not decode: {e}"),
    };
    assert_eq!(used2, used);
    assert_eq!(d2.to_string(), text, "decode(encode(text)) != text");
    // Canonical input (not a negative zero) re-encodes to the same bytes.
    if !(d.is_negative() && d.is_zero()) {
        assert_eq!(bin, d.as_bytes(), "re-encoding {text:?} gives other bytes");
    }
}
