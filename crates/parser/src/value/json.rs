//! MySQL binary JSON (`MYSQL_TYPE_JSON` columns, MySQL 5.7+; format of `sql-common/json_binary.h`).
//!
//! ```text
//! doc       ::= type value
//! object    ::= element-count size key-entry* value-entry* key* value*
//! array     ::= element-count size value-entry* value*
//! count/size/offset ::= uint16 (small containers) | uint32 (large containers)
//! key-entry ::= key-offset key-length(uint16)
//! value-entry ::= type offset-or-inlined-value
//! string    ::= data-length utf8mb4-data          (data-length: 7 bits per byte, LSB first)
//! opaque    ::= field-type(uint8) data-length data
//! ```
//! Offsets are relative to the start of the enclosing container (its element count). Literals
//! and 16-bit integers are inlined in value entries, and 32-bit integers too in large containers.
//!
//! [`Json`] only borrows the bytes; nothing is checked until it is read. [`Json::write_json`]
//! prints the document as MySQL does (`Json_wrapper::to_string`): `{"a": 1, "b": [true, null]}`.
//! Every offset and size is checked against the bytes, nesting is limited to
//! [`JSON_MAX_DEPTH`] levels, and the work done is bounded by the document size (a document
//! whose entries point at shared or overlapping data cannot make the output blow up).

use super::decimal::{binary_size, Decimal};
use super::temporal::{datetime_from_packed, time_from_packed};
use crate::error::{Error, ErrorKind, Result};
use std::fmt::{self, Write as _};

/// Deepest nesting of arrays and objects accepted (MySQL's `JSON_DOCUMENT_MAX_DEPTH`).
pub const JSON_MAX_DEPTH: u32 = 100;

const SMALL_OBJECT: u8 = 0x00;
const LARGE_OBJECT: u8 = 0x01;
const SMALL_ARRAY: u8 = 0x02;
const LARGE_ARRAY: u8 = 0x03;
const LITERAL: u8 = 0x04;
const INT16: u8 = 0x05;
const UINT16: u8 = 0x06;
const INT32: u8 = 0x07;
const UINT32: u8 = 0x08;
const INT64: u8 = 0x09;
const UINT64: u8 = 0x0a;
const DOUBLE: u8 = 0x0b;
const STRING: u8 = 0x0c;
const OPAQUE: u8 = 0x0f;

const LITERAL_NULL: u8 = 0x00;
const LITERAL_TRUE: u8 = 0x01;
const LITERAL_FALSE: u8 = 0x02;

/// Field types that have a special text form inside JSON opaque values.
const FT_TIMESTAMP: u8 = 7;
const FT_DATE: u8 = 10;
const FT_TIME: u8 = 11;
const FT_DATETIME: u8 = 12;
const FT_NEWDECIMAL: u8 = 246;
const FT_VAR_STRING: u8 = 253;

/// A binary JSON document borrowed from a row. An empty value is JSON `null` (MySQL logs a
/// NULL-equivalent empty JSON value that way).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Json<'a> {
    bytes: &'a [u8],
}

/// One node of a binary JSON document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum JsonNode<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A signed integer (int16, int32 or int64 in the document).
    Int(i64),
    /// An unsigned integer (uint16, uint32 or uint64 in the document).
    UInt(u64),
    /// A double.
    Double(f64),
    /// A string: utf8mb4 bytes, unescaped.
    String(&'a [u8]),
    /// A MySQL value of another SQL type (DECIMAL, DATETIME, binary strings…).
    Opaque(JsonOpaque<'a>),
    /// An object.
    Object(JsonObject<'a>),
    /// An array.
    Array(JsonArray<'a>),
}

/// An opaque JSON scalar: an SQL value stored with its field type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JsonOpaque<'a> {
    /// The `enum_field_types` code (e.g. 246 DECIMAL, 12 DATETIME, 15 VARCHAR, 252 BLOB).
    pub field_type: u8,
    /// The value bytes (for DECIMAL: precision, scale, binary decimal; for temporal types: the
    /// 8-byte little-endian packed value).
    pub data: &'a [u8],
}

/// Where a container sits in its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Container<'a> {
    /// The whole document (offsets in errors are relative to it).
    doc: &'a [u8],
    /// Position of the element count in `doc`.
    start: usize,
    /// Bytes of the container (its `size` field, checked to fit in `doc`).
    size: usize,
    /// Number of elements.
    count: usize,
    /// Large container: 4-byte counts and offsets.
    large: bool,
}

/// A JSON object of a binary document. Keys are in storage order (MySQL sorts them by length,
/// then bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JsonObject<'a>(Container<'a>);

/// A JSON array of a binary document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JsonArray<'a>(Container<'a>);

#[cold]
#[inline(never)]
fn truncated(offset: usize, what: &'static str, needed: usize, available: usize) -> Error {
    Error::truncated(offset as u64, what, needed as u64, available as u64)
}

#[cold]
#[inline(never)]
fn invalid(offset: usize, what: &'static str, value: u64) -> Error {
    Error::invalid(offset as u64, what, value)
}

/// `doc[pos..pos + n]` within `end`, or a truncation error.
#[inline]
fn slice<'a>(
    doc: &'a [u8],
    pos: usize,
    n: usize,
    end: usize,
    what: &'static str,
) -> Result<&'a [u8]> {
    let limit = end.min(doc.len());
    let avail = limit.saturating_sub(pos);
    match pos.checked_add(n) {
        Some(stop) if stop <= limit => Ok(&doc[pos..stop]),
        // An offset stored in the document may point past it: the error names the end of
        // the document, never a position outside it.
        _ => Err(truncated(pos.min(limit), what, n, avail)),
    }
}

/// Little-endian unsigned integer of up to 8 bytes.
#[inline]
fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &b| acc << 8 | u64::from(b))
}

/// The 7-bits-per-byte length of strings and opaque values: `(length, bytes used)`.
fn var_len(doc: &[u8], pos: usize, end: usize, what: &'static str) -> Result<(usize, usize)> {
    let mut len: u64 = 0;
    for i in 0..5 {
        let b = *slice(doc, pos + i, 1, end, what)?.first().unwrap_or(&0);
        len |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            if len > u64::from(u32::MAX) {
                return Err(invalid(pos, what, len));
            }
            return Ok((len as usize, i + 1));
        }
    }
    Err(invalid(pos, what, len))
}

impl<'a> Json<'a> {
    /// Wraps binary JSON bytes (the column value without its length prefix). Nothing is checked.
    pub fn new(bytes: &'a [u8]) -> Json<'a> {
        Json { bytes }
    }

    /// The binary document.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The top-level node (`Null` for an empty value). Errors are relative to the document.
    pub fn root(&self) -> Result<JsonNode<'a>> {
        match self.bytes.split_first() {
            None => Ok(JsonNode::Null),
            Some((&t, _)) => parse_value(self.bytes, t, 1, self.bytes.len()),
        }
    }

    /// Writes the document as JSON text, formatted as MySQL prints it. On error the output may
    /// hold a prefix of the text. Errors are relative to the document; a failing writer gives
    /// an [`ErrorKind::Io`] error.
    pub fn write_json<W: fmt::Write + ?Sized>(&self, out: &mut W) -> Result<()> {
        let mut w = Writer::new(out, self.bytes.len());
        match w.document(*self) {
            Ok(()) => Ok(()),
            Err(WErr::Data(e)) => Err(e),
            Err(WErr::Fmt) => Err(Error::new(
                0,
                ErrorKind::Io(std::io::Error::other("formatter error")),
            )),
        }
    }

    /// The document as a JSON text string.
    pub fn to_json_string(&self) -> Result<String> {
        let mut s = String::with_capacity(self.bytes.len().saturating_mul(2).min(1 << 20));
        self.write_json(&mut s)?;
        Ok(s)
    }

    /// Checks the whole document can be read (what `write_json` checks), writing nothing.
    pub fn validate(&self) -> Result<()> {
        self.write_json(&mut Sink)
    }
}

/// Display prints the JSON text; an undecodable document prints `<invalid JSON: error>`
/// instead (checked first, so nothing partial is printed).
impl fmt::Display for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Err(e) = self.validate() {
            return write!(f, "<invalid JSON: {e}>");
        }
        let mut w = Writer::new(f, self.bytes.len());
        match w.document(*self) {
            Ok(()) => Ok(()),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl fmt::Debug for Json<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Json({self})")
    }
}

/// A writer that discards everything.
struct Sink;

impl fmt::Write for Sink {
    fn write_str(&mut self, _: &str) -> fmt::Result {
        Ok(())
    }
}

/// Parses the value of type `t` stored at `doc[pos..end]`.
fn parse_value(doc: &[u8], t: u8, pos: usize, end: usize) -> Result<JsonNode<'_>> {
    match t {
        SMALL_OBJECT | LARGE_OBJECT => parse_container(doc, pos, end, t == LARGE_OBJECT, true)
            .map(|c| JsonNode::Object(JsonObject(c))),
        SMALL_ARRAY | LARGE_ARRAY => parse_container(doc, pos, end, t == LARGE_ARRAY, false)
            .map(|c| JsonNode::Array(JsonArray(c))),
        _ => parse_scalar(doc, t, pos, end),
    }
}

/// Parses a scalar of type `t` stored at `doc[pos..end]`.
fn parse_scalar(doc: &[u8], t: u8, pos: usize, end: usize) -> Result<JsonNode<'_>> {
    Ok(match t {
        LITERAL => match slice(doc, pos, 1, end, "JSON literal")?[0] {
            LITERAL_NULL => JsonNode::Null,
            LITERAL_TRUE => JsonNode::Bool(true),
            LITERAL_FALSE => JsonNode::Bool(false),
            other => return Err(invalid(pos, "JSON literal", u64::from(other))),
        },
        INT16 => JsonNode::Int(i64::from(
            le(slice(doc, pos, 2, end, "JSON int16")?) as u16 as i16
        )),
        UINT16 => JsonNode::UInt(le(slice(doc, pos, 2, end, "JSON uint16")?)),
        INT32 => JsonNode::Int(i64::from(
            le(slice(doc, pos, 4, end, "JSON int32")?) as u32 as i32
        )),
        UINT32 => JsonNode::UInt(le(slice(doc, pos, 4, end, "JSON uint32")?)),
        INT64 => JsonNode::Int(le(slice(doc, pos, 8, end, "JSON int64")?) as i64),
        UINT64 => JsonNode::UInt(le(slice(doc, pos, 8, end, "JSON uint64")?)),
        DOUBLE => JsonNode::Double(f64::from_bits(le(slice(doc, pos, 8, end, "JSON double")?))),
        STRING => {
            let (len, n) = var_len(doc, pos, end, "JSON string length")?;
            JsonNode::String(slice(doc, pos + n, len, end, "JSON string")?)
        }
        OPAQUE => {
            let field_type = slice(doc, pos, 1, end, "JSON opaque type")?[0];
            let (len, n) = var_len(doc, pos + 1, end, "JSON opaque length")?;
            JsonNode::Opaque(JsonOpaque {
                field_type,
                data: slice(doc, pos + 1 + n, len, end, "JSON opaque value")?,
            })
        }
        other => {
            return Err(invalid(
                pos.saturating_sub(1),
                "JSON value type",
                u64::from(other),
            ))
        }
    })
}

/// Reads and checks a container header at `doc[pos..end]`.
fn parse_container(
    doc: &[u8],
    pos: usize,
    end: usize,
    large: bool,
    object: bool,
) -> Result<Container<'_>> {
    let osz = if large { 4 } else { 2 };
    let head = slice(doc, pos, 2 * osz, end, "JSON container header")?;
    let count = le(&head[..osz]);
    let size = le(&head[osz..]);
    let avail = end.min(doc.len()) - pos;
    if size > avail as u64 {
        return Err(truncated(pos, "JSON container", size as usize, avail));
    }
    let entry = if object {
        key_entry_size(large) + value_entry_size(large)
    } else {
        value_entry_size(large)
    };
    let header = (2 * osz) as u64 + count * entry as u64;
    if header > size {
        return Err(invalid(pos, "JSON container element count", count));
    }
    Ok(Container {
        doc,
        start: pos,
        size: size as usize,
        count: count as usize,
        large,
    })
}

fn key_entry_size(large: bool) -> usize {
    if large {
        6
    } else {
        4
    }
}

fn value_entry_size(large: bool) -> usize {
    if large {
        5
    } else {
        3
    }
}

/// Types whose value is stored in the value entry itself.
fn inlined(t: u8, large: bool) -> bool {
    match t {
        LITERAL | INT16 | UINT16 => true,
        INT32 | UINT32 => large,
        _ => false,
    }
}

impl<'a> Container<'a> {
    fn offset_size(&self) -> usize {
        if self.large {
            4
        } else {
            2
        }
    }

    fn end(&self) -> usize {
        self.start + self.size
    }

    /// Size of the header (counts, key entries, value entries).
    fn header_size(&self, object: bool) -> usize {
        let entry = if object {
            key_entry_size(self.large) + value_entry_size(self.large)
        } else {
            value_entry_size(self.large)
        };
        2 * self.offset_size() + self.count * entry
    }

    fn key(&self, i: usize) -> Result<&'a [u8]> {
        if i >= self.count {
            return Err(invalid(self.start, "JSON object member index", i as u64));
        }
        let osz = self.offset_size();
        let entry = self.start + 2 * osz + i * key_entry_size(self.large);
        let e = slice(self.doc, entry, osz + 2, self.end(), "JSON key entry")?;
        let off = le(&e[..osz]) as usize;
        let len = le(&e[osz..]) as usize;
        if off < self.header_size(true) {
            return Err(invalid(entry, "JSON key offset", off as u64));
        }
        slice(self.doc, self.start + off, len, self.end(), "JSON key")
    }

    fn value(&self, i: usize, object: bool) -> Result<JsonNode<'a>> {
        if i >= self.count {
            return Err(invalid(self.start, "JSON element index", i as u64));
        }
        let osz = self.offset_size();
        let vsz = value_entry_size(self.large);
        let keys = if object {
            self.count * key_entry_size(self.large)
        } else {
            0
        };
        let entry = self.start + 2 * osz + keys + i * vsz;
        let e = slice(self.doc, entry, vsz, self.end(), "JSON value entry")?;
        let t = e[0];
        if inlined(t, self.large) {
            return parse_scalar(self.doc, t, entry + 1, entry + vsz);
        }
        let off = le(&e[1..]) as usize;
        if off < self.header_size(object) || off > self.size {
            return Err(invalid(entry + 1, "JSON value offset", off as u64));
        }
        parse_value(self.doc, t, self.start + off, self.end())
    }
}

impl<'a> JsonObject<'a> {
    /// Number of members.
    pub fn len(&self) -> usize {
        self.0.count
    }

    /// True when the object has no members.
    pub fn is_empty(&self) -> bool {
        self.0.count == 0
    }

    /// The key of member `i` (utf8mb4 bytes).
    pub fn key(&self, i: usize) -> Result<&'a [u8]> {
        self.0.key(i)
    }

    /// The value of member `i`.
    pub fn value(&self, i: usize) -> Result<JsonNode<'a>> {
        self.0.value(i, true)
    }

    /// The value of the member named `key`, if any (linear scan).
    pub fn get(&self, key: &[u8]) -> Result<Option<JsonNode<'a>>> {
        for i in 0..self.len() {
            if self.key(i)? == key {
                return self.value(i).map(Some);
            }
        }
        Ok(None)
    }

    /// The members in storage order.
    pub fn iter(&self) -> impl Iterator<Item = Result<(&'a [u8], JsonNode<'a>)>> + 'a {
        let o = *self;
        (0..o.len()).map(move |i| Ok((o.key(i)?, o.value(i)?)))
    }
}

impl<'a> JsonArray<'a> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.0.count
    }

    /// True when the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.0.count == 0
    }

    /// Element `i`.
    pub fn get(&self, i: usize) -> Result<JsonNode<'a>> {
        self.0.value(i, false)
    }

    /// The elements in order.
    pub fn iter(&self) -> impl Iterator<Item = Result<JsonNode<'a>>> + 'a {
        let a = *self;
        (0..a.len()).map(move |i| a.get(i))
    }
}

/// Why writing stopped.
enum WErr {
    /// The output writer failed.
    Fmt,
    /// The document is invalid.
    Data(Error),
}

impl From<fmt::Error> for WErr {
    fn from(_: fmt::Error) -> Self {
        WErr::Fmt
    }
}

impl From<Error> for WErr {
    fn from(e: Error) -> Self {
        WErr::Data(e)
    }
}

/// Prints a document, counting work against a budget proportional to its size.
struct Writer<'w, W: fmt::Write + ?Sized> {
    out: &'w mut W,
    /// Work units left: one per node plus one per byte of strings, keys and opaque data.
    budget: usize,
    limit: usize,
}

impl<'w, W: fmt::Write + ?Sized> Writer<'w, W> {
    fn new(out: &'w mut W, doc_len: usize) -> Self {
        // In a well-formed document every node has its own entry (≥ 3 bytes) or type byte, and
        // strings, keys and opaque data do not overlap: the work is at most twice the size.
        let limit = doc_len.saturating_mul(2).saturating_add(16);
        Writer {
            out,
            budget: limit,
            limit,
        }
    }

    fn spend(&mut self, units: usize, offset: usize) -> Result<(), WErr> {
        match self.budget.checked_sub(units) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => Err(WErr::Data(Error::new(
                offset as u64,
                ErrorKind::TooLarge {
                    what: "expanded JSON document (overlapping references)",
                    size: (self.limit - self.budget + units) as u64,
                    limit: self.limit as u64,
                },
            ))),
        }
    }

    fn document(&mut self, json: Json<'_>) -> Result<(), WErr> {
        let root = json.root()?;
        self.node(root, 0, 0)
    }

    fn node(&mut self, node: JsonNode<'_>, depth: u32, offset: usize) -> Result<(), WErr> {
        self.spend(1, offset)?;
        match node {
            JsonNode::Null => self.out.write_str("null")?,
            JsonNode::Bool(b) => self.out.write_str(if b { "true" } else { "false" })?,
            JsonNode::Int(v) => write!(self.out, "{v}")?,
            JsonNode::UInt(v) => write!(self.out, "{v}")?,
            JsonNode::Double(d) => write_double(self.out, d)?,
            JsonNode::String(s) => {
                self.spend(s.len(), offset)?;
                write_string(self.out, s)?;
            }
            JsonNode::Opaque(o) => {
                self.spend(o.data.len(), offset)?;
                write_opaque(self.out, o, offset)?;
            }
            JsonNode::Object(JsonObject(c)) => {
                let depth = enter(depth, c.start)?;
                self.out.write_char('{')?;
                for i in 0..c.count {
                    if i > 0 {
                        self.out.write_str(", ")?;
                    }
                    let key = c.key(i)?;
                    self.spend(key.len(), c.start)?;
                    write_string(self.out, key)?;
                    self.out.write_str(": ")?;
                    let v = c.value(i, true)?;
                    self.node(v, depth, c.start)?;
                }
                self.out.write_char('}')?;
            }
            JsonNode::Array(JsonArray(c)) => {
                let depth = enter(depth, c.start)?;
                self.out.write_char('[')?;
                for i in 0..c.count {
                    if i > 0 {
                        self.out.write_str(", ")?;
                    }
                    let v = c.value(i, false)?;
                    self.node(v, depth, c.start)?;
                }
                self.out.write_char(']')?;
            }
        }
        Ok(())
    }
}

/// One more level of nesting, or `TooDeep`.
fn enter(depth: u32, offset: usize) -> Result<u32, WErr> {
    let depth = depth + 1;
    if depth > JSON_MAX_DEPTH {
        return Err(WErr::Data(Error::new(
            offset as u64,
            ErrorKind::TooDeep {
                what: "JSON document",
                limit: JSON_MAX_DEPTH,
            },
        )));
    }
    Ok(depth)
}

/// Writes a quoted JSON string, escaping as MySQL's `double_quote` does (`"`, `\`, and control
/// characters; `\b \t \n \f \r` by name, others as `\u00xx`). Bytes that are not UTF-8 become
/// U+FFFD.
pub(crate) fn write_string<W: fmt::Write + ?Sized>(out: &mut W, s: &[u8]) -> fmt::Result {
    out.write_char('"')?;
    for chunk in s.utf8_chunks() {
        write_escaped(out, chunk.valid())?;
        if !chunk.invalid().is_empty() {
            out.write_char(char::REPLACEMENT_CHARACTER)?;
        }
    }
    out.write_char('"')
}

fn write_escaped<W: fmt::Write + ?Sized>(out: &mut W, s: &str) -> fmt::Result {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0c => "\\f",
            b'\r' => "\\r",
            0..=0x1f => "",
            _ => continue,
        };
        out.write_str(&s[start..i])?;
        if esc.is_empty() {
            write!(out, "\\u00{b:02x}")?;
        } else {
            out.write_str(esc)?;
        }
        start = i + 1;
    }
    out.write_str(&s[start..])
}

/// Writes an opaque value as MySQL prints it.
fn write_opaque<W: fmt::Write + ?Sized>(
    out: &mut W,
    o: JsonOpaque<'_>,
    offset: usize,
) -> Result<(), WErr> {
    match o.field_type {
        FT_NEWDECIMAL => {
            // precision, scale, then exactly the binary decimal.
            let (p, s) = match o.data {
                [p, s, ..] => (*p, *s),
                _ => {
                    return Err(WErr::Data(invalid(
                        offset,
                        "JSON DECIMAL value length",
                        o.data.len() as u64,
                    )))
                }
            };
            let bin = &o.data[2..];
            if s > p || bin.len() != binary_size(p, s) {
                return Err(WErr::Data(invalid(
                    offset,
                    "JSON DECIMAL value length",
                    o.data.len() as u64,
                )));
            }
            let (d, _) = Decimal::decode(bin, p, s).map_err(|e| e.rebase(offset as u64))?;
            write!(out, "{d}")?;
        }
        FT_DATE | FT_TIME | FT_DATETIME | FT_TIMESTAMP => {
            let packed = match <[u8; 8]>::try_from(o.data) {
                Ok(b) => i64::from_le_bytes(b),
                Err(_) => {
                    return Err(WErr::Data(invalid(
                        offset,
                        "JSON temporal value length",
                        o.data.len() as u64,
                    )))
                }
            };
            // my_TIME_to_str(…, 6): dates without time, the rest with 6 fractional digits.
            match o.field_type {
                FT_TIME => write!(out, "\"{}\"", time_from_packed(packed))?,
                FT_DATE => {
                    let dt = datetime_from_packed(packed);
                    write!(out, "\"{:04}-{:02}-{:02}\"", dt.year, dt.month, dt.day)?
                }
                _ => write!(out, "\"{}\"", datetime_from_packed(packed))?,
            }
        }
        FT_VAR_STRING => write_string(out, o.data)?,
        t => {
            out.write_str("\"base64:type")?;
            write!(out, "{t}:")?;
            write_base64(out, o.data)?;
            out.write_char('"')?;
        }
    }
    Ok(())
}

/// Standard base64 with padding, with a line break (written as the JSON escape `\n`) before
/// every group of 76 characters after the first, as MySQL's `base64_encode` does.
fn write_base64<W: fmt::Write + ?Sized>(out: &mut W, data: &[u8]) -> fmt::Result {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut line = 0;
    for chunk in data.chunks(3) {
        if line == 76 {
            out.write_str("\\n")?;
            line = 0;
        }
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        let c = |shift: u32| char::from(TABLE[((v >> shift) & 0x3f) as usize]);
        out.write_char(c(18))?;
        out.write_char(c(12))?;
        out.write_char(if chunk.len() > 1 { c(6) } else { '=' })?;
        out.write_char(if chunk.len() > 2 { c(0) } else { '=' })?;
        line += 4;
    }
    Ok(())
}

/// Writes a double as MySQL's JSON printing does: `my_gcvt(d, DOUBLE, 34)` (shortest
/// round-trip digits; plain notation for decimal exponents -14..=15, else `1.5e300` style with
/// no `+` and no exponent padding), then `.0` appended when neither `.` nor `e` was printed.
/// Non-finite values (impossible in MySQL JSON) print as `0.0`, as `my_gcvt` does.
pub(crate) fn write_double<W: fmt::Write + ?Sized>(out: &mut W, d: f64) -> fmt::Result {
    if !d.is_finite() {
        return out.write_str("0.0");
    }
    // Shortest digits and exponent from Rust's `{:e}` ("-1.2345e-7", "0e0").
    let mut buf = ArrayBuf::<40>::new();
    write!(buf, "{d:e}")?;
    let text = buf.as_str();
    let (neg, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exp) = rest.split_once('e').ok_or(fmt::Error)?;
    let exp: i32 = exp.parse().map_err(|_| fmt::Error)?;
    let mut digits = ArrayBuf::<24>::new();
    for c in mantissa.chars().filter(|c| c.is_ascii_digit()) {
        digits.write_char(c)?;
    }
    let digits = digits.as_str();
    let len = digits.len() as i32;
    // dtoa's decimal point position: value = 0.DIGITS * 10^decpt.
    let decpt = exp + 1;
    if neg {
        out.write_char('-')?;
    }
    if (-14..=15).contains(&decpt) || (decpt > 15 && len > decpt) {
        if decpt <= 0 {
            out.write_str("0.")?;
            for _ in decpt..0 {
                out.write_char('0')?;
            }
            out.write_str(digits)?;
        } else if decpt < len {
            let (int, frac) = digits.split_at(decpt as usize);
            out.write_str(int)?;
            out.write_char('.')?;
            out.write_str(frac)?;
        } else {
            out.write_str(digits)?;
            for _ in len..decpt {
                out.write_char('0')?;
            }
            // no '.' and no 'e': JSON printing appends ".0"
            out.write_str(".0")?;
        }
    } else {
        let (first, more) = digits.split_at(1);
        out.write_str(first)?;
        if !more.is_empty() {
            out.write_char('.')?;
            out.write_str(more)?;
        }
        write!(out, "e{}", decpt - 1)?;
    }
    Ok(())
}

/// A small fixed-capacity string buffer.
struct ArrayBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> ArrayBuf<N> {
    fn new() -> Self {
        ArrayBuf {
            buf: [0; N],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> fmt::Write for ArrayBuf<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
