//! JSON partial updates (`PARTIAL_UPDATE_ROWS_EVENT`, MySQL 8.0 `binlog_row_value_options =
//! PARTIAL_JSON`): the after-image value of a JSON column whose "partial" bit is set is a diff
//! vector instead of a document (MySQL `sql/json_diff.cc`, `Json_diff_vector::write_binary`):
//!
//! ```text
//! diff-vector ::= length(uint32 LE, bytes that follow) diff*
//! diff        ::= operation(uint8: 0 REPLACE, 1 INSERT, 2 REMOVE)
//!                 path-length(lenenc) path(JSON path text, e.g. `$.a[1]`)
//!                 [value-length(lenenc) value(binary JSON)]      -- absent for REMOVE
//! ```

use super::json::Json;
use crate::error::{Error, Result};
use std::fmt;

/// What a [`JsonDiff`] does at its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonDiffOp {
    /// Replace the value at the path (`JSON_SET`/`JSON_REPLACE` of an existing member).
    Replace,
    /// Insert a value at the path (new object member or array element).
    Insert,
    /// Remove the value at the path.
    Remove,
}

impl JsonDiffOp {
    /// The operation for its binary code.
    pub fn from_code(code: u8) -> Option<JsonDiffOp> {
        match code {
            0 => Some(JsonDiffOp::Replace),
            1 => Some(JsonDiffOp::Insert),
            2 => Some(JsonDiffOp::Remove),
            _ => None,
        }
    }

    /// The binary code.
    pub fn code(self) -> u8 {
        match self {
            JsonDiffOp::Replace => 0,
            JsonDiffOp::Insert => 1,
            JsonDiffOp::Remove => 2,
        }
    }
}

/// One change of a partial JSON update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JsonDiff<'a> {
    /// The operation.
    pub op: JsonDiffOp,
    /// The JSON path it applies to, as MySQL prints it (e.g. `$.a[1]`).
    pub path: &'a str,
    /// The new value (`None` for [`JsonDiffOp::Remove`]).
    pub value: Option<Json<'a>>,
}

/// The diffs of one partial JSON value, checked when decoded. Iterate it to get [`JsonDiff`]s.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct JsonDiffs<'a> {
    /// The diffs (after the 4-byte length).
    data: &'a [u8],
    /// Number of diffs.
    count: usize,
}

/// Iterator over [`JsonDiffs`].
#[derive(Debug, Clone)]
pub struct JsonDiffIter<'a> {
    data: &'a [u8],
    pos: usize,
    left: usize,
}

#[cold]
#[inline(never)]
fn truncated(offset: usize, what: &'static str, needed: u64, available: usize) -> Error {
    Error::truncated(offset as u64, what, needed, available as u64)
}

/// A MySQL length-encoded integer at `data[pos..]`: `(value, bytes used)`. `0xfb` (NULL) and
/// `0xff` are invalid here.
fn lenenc(data: &[u8], pos: usize, what: &'static str) -> Result<(u64, usize)> {
    let first = match data.get(pos) {
        Some(&b) => b,
        None => return Err(truncated(pos, what, 1, 0)),
    };
    let n = match first {
        0..=250 => return Ok((u64::from(first), 1)),
        0xfc => 2,
        0xfd => 3,
        0xfe => 8,
        _ => return Err(Error::invalid(pos as u64, what, u64::from(first))),
    };
    match data.get(pos + 1..pos + 1 + n) {
        Some(b) => Ok((
            b.iter().rev().fold(0u64, |a, &x| a << 8 | u64::from(x)),
            1 + n,
        )),
        None => Err(truncated(
            pos + 1,
            what,
            n as u64,
            data.len().saturating_sub(pos + 1),
        )),
    }
}

/// `data[pos..pos + len]`, or a truncation error.
fn take<'a>(data: &'a [u8], pos: usize, len: u64, what: &'static str) -> Result<&'a [u8]> {
    let avail = data.len().saturating_sub(pos);
    match usize::try_from(len).ok().and_then(|l| pos.checked_add(l)) {
        Some(stop) if stop <= data.len() => Ok(&data[pos..stop]),
        _ => Err(truncated(pos, what, len, avail)),
    }
}

/// Reads the diff at `data[pos..]`: the diff and its end.
fn read_diff(data: &[u8], pos: usize) -> Result<(JsonDiff<'_>, usize)> {
    let code = match data.get(pos) {
        Some(&b) => b,
        None => return Err(truncated(pos, "JSON diff operation", 1, 0)),
    };
    let op = match JsonDiffOp::from_code(code) {
        Some(op) => op,
        None => {
            return Err(Error::invalid(
                pos as u64,
                "JSON diff operation",
                u64::from(code),
            ))
        }
    };
    let mut p = pos + 1;
    let (path_len, n) = lenenc(data, p, "JSON diff path length")?;
    p += n;
    let path = take(data, p, path_len, "JSON diff path")?;
    let path = match std::str::from_utf8(path) {
        Ok(s) => s,
        Err(e) => {
            return Err(Error::invalid(
                (p + e.valid_up_to()) as u64,
                "JSON diff path (not UTF-8)",
                u64::from(path[e.valid_up_to()]),
            ))
        }
    };
    p += path.len();
    let value = if op == JsonDiffOp::Remove {
        None
    } else {
        let (value_len, n) = lenenc(data, p, "JSON diff value length")?;
        p += n;
        let v = take(data, p, value_len, "JSON diff value")?;
        p += v.len();
        Some(Json::new(v))
    };
    Ok((JsonDiff { op, path, value }, p))
}

/// Decodes the partial value of a JSON column at the start of `input`: returns the diffs and
/// the bytes consumed (4 + the stored length). The structure of every diff is checked here
/// (operation, lengths, UTF-8 path); the JSON values are read lazily. Errors are relative to
/// `input`.
pub fn decode_json_diffs<'a>(input: &'a [u8]) -> Result<(JsonDiffs<'a>, usize)> {
    let len = match input.get(..4) {
        Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize,
        None => return Err(truncated(0, "JSON diff length", 4, input.len())),
    };
    let data = match input.get(4..).and_then(|r| r.get(..len)) {
        Some(d) => d,
        None => {
            return Err(truncated(
                4,
                "JSON diffs",
                len as u64,
                input.len().saturating_sub(4),
            ))
        }
    };
    let mut pos = 0;
    let mut count = 0;
    while pos < data.len() {
        let (_, end) = read_diff(data, pos).map_err(|e| e.rebase(4))?;
        pos = end;
        count += 1;
    }
    Ok((JsonDiffs { data, count }, 4 + len))
}

impl<'a> JsonDiffs<'a> {
    /// Number of diffs.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when there are no diffs.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The encoded diffs (without the 4-byte length).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// The diffs in order.
    pub fn iter(&self) -> JsonDiffIter<'a> {
        JsonDiffIter {
            data: self.data,
            pos: 0,
            left: self.count,
        }
    }
}

impl<'a> IntoIterator for JsonDiffs<'a> {
    type Item = JsonDiff<'a>;
    type IntoIter = JsonDiffIter<'a>;
    fn into_iter(self) -> JsonDiffIter<'a> {
        self.iter()
    }
}

impl<'a> Iterator for JsonDiffIter<'a> {
    type Item = JsonDiff<'a>;

    fn next(&mut self) -> Option<JsonDiff<'a>> {
        if self.left == 0 {
            return None;
        }
        // Checked by decode_json_diffs; an error cannot happen, and ends the iteration if it did.
        match read_diff(self.data, self.pos) {
            Ok((d, end)) => {
                self.pos = end;
                self.left -= 1;
                Some(d)
            }
            Err(_) => {
                self.left = 0;
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for JsonDiffIter<'_> {}

impl fmt::Debug for JsonDiffs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Prints the diffs for humans: `REPLACE $.a = 26; REMOVE $.b`.
impl fmt::Display for JsonDiffs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            let op = match d.op {
                JsonDiffOp::Replace => "REPLACE",
                JsonDiffOp::Insert => "INSERT",
                JsonDiffOp::Remove => "REMOVE",
            };
            write!(f, "{op} {}", d.path)?;
            if let Some(v) = d.value {
                write!(f, " = {v}")?;
            }
        }
        Ok(())
    }
}
