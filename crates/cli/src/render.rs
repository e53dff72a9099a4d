//! Printing decoded events: JSON lines (for tools and tests) and text (for people).
//!
//! Both renderers stream: each event is written as it is decoded, values are formatted
//! straight into the output buffer, and row buffers are reused, so nothing is allocated per
//! value.

use binvault_parser::events::payload::PayloadCompression;
use binvault_parser::events::rows::{Image, Row, RowsKind};
use binvault_parser::events::statement::QueryEvent;
use binvault_parser::events::table_map::TableInfo;
use binvault_parser::value::{decode_json_diffs, BitLiteral, JsonDiffOp, Value};
use binvault_parser::{BinlogReader, Error, Event, EventData};
use std::fmt::Write as _;
use std::io::{self, Read, Write};

/// What stopped rendering: the output (fatal) or the input data (reported per file).
#[derive(Debug)]
pub enum RenderError {
    /// Writing the output failed.
    Io(io::Error),
    /// The input is corrupt or truncated.
    Data(Error),
}

impl From<io::Error> for RenderError {
    fn from(e: io::Error) -> Self {
        RenderError::Io(e)
    }
}

impl From<Error> for RenderError {
    fn from(e: Error) -> Self {
        RenderError::Data(e)
    }
}

/// Renders every event of a reader.
pub trait Renderer {
    /// Renders one event.
    fn event(&mut self, ev: &Event<'_>, out: &mut dyn Write) -> Result<(), RenderError>;

    /// The events that follow are inside the TRANSACTION_PAYLOAD at `pos` (their positions
    /// are offsets in the decompressed payload).
    fn enter_payload(&mut self, pos: u64);

    /// The payload's inner events are over.
    fn leave_payload(&mut self);

    /// Renders every event until the end or the first data error.
    fn render_all<R: Read>(
        &mut self,
        reader: &mut BinlogReader<R>,
        out: &mut dyn Write,
    ) -> Result<(), RenderError>
    where
        Self: Sized,
    {
        while let Some((ev, decoder)) = reader.next_with_decoder()? {
            self.event(&ev, out)?;
            if let EventData::TransactionPayload(p) = &ev.data {
                // The inner events, one at a time (memory bounded whatever the payload size).
                let base = ev.pos + ev.body_offset as u64 + p.payload_offset as u64;
                let mut inner = p
                    .events(decoder.format(), decoder.options())
                    .map_err(|e| e.rebase(base))?;
                self.enter_payload(ev.pos);
                let result = (|| {
                    while let Some(iev) = inner.next_event()? {
                        self.event(&iev, out)?;
                    }
                    Ok(())
                })();
                self.leave_payload();
                result.map_err(|e| match e {
                    RenderError::Data(d) => RenderError::Data(d.rebase(base)),
                    other => other,
                })?;
            }
        }
        Ok(())
    }
}

/// JSON lines: one object per event.
#[derive(Debug)]
pub struct JsonRenderer {
    file_json: String,
    line: String,
    payload: Option<u64>,
    spare: Row<'static>,
}

impl JsonRenderer {
    pub fn new(file: &str) -> Self {
        JsonRenderer {
            file_json: json_string(file),
            line: String::with_capacity(4096),
            payload: None,
            spare: Row::default(),
        }
    }
}

/// A JSON string literal for `s`.
fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Appends a JSON string literal of `bytes` when they are UTF-8, else `{"hex": ...}`.
fn push_bytes_json(out: &mut String, bytes: &[u8], text: bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) if text => push_json_str(out, s),
        _ => {
            out.push_str("{\"hex\":\"");
            push_hex(out, bytes);
            out.push_str("\"}");
        }
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
}

/// Appends `s` as a JSON string literal (RFC 8259 escapes), copying runs of plain bytes.
fn push_json_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        // `i` is at an ASCII byte, so both slices end on character boundaries.
        out.push_str(&s[start..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                let _ = write!(out, "\\u{:04x}", b);
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn lossy(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// Appends one value as JSON, per the `inspect --format json` contract.
pub fn push_value_json(out: &mut String, v: &Value<'_>) -> Result<(), Error> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Signed(n) => out.push_str(itoa::Buffer::new().format(*n)),
        Value::Unsigned(n) => out.push_str(itoa::Buffer::new().format(*n)),
        Value::Float(f) => push_float(out, f64::from(*f), Some(*f)),
        Value::Double(d) => push_float(out, *d, None),
        Value::Year(y) => out.push_str(itoa::Buffer::new().format(*y)),
        Value::Decimal(d) => {
            let _ = write!(out, "\"{d}\"");
        }
        Value::Date(d) => {
            let _ = write!(out, "\"{d}\"");
        }
        Value::Time(t) => {
            let _ = write!(out, "\"{t}\"");
        }
        Value::DateTime(t) => {
            let _ = write!(out, "\"{t}\"");
        }
        Value::Timestamp { .. } => {
            if let Some(t) = v.timestamp() {
                let _ = write!(out, "\"{t}\"");
            }
        }
        Value::Text(b) | Value::Bytes(b) => push_bytes_json(out, b, true),
        Value::Binary(b) | Value::Geometry(b) | Value::Vector(b) | Value::Compressed(b) => {
            push_bytes_json(out, b, false)
        }
        Value::Enum(n) => out.push_str(itoa::Buffer::new().format(*n)),
        Value::Set(n) => out.push_str(itoa::Buffer::new().format(*n)),
        Value::Bit { bytes, bits } => {
            let _ = write!(out, "\"{}\"", BitLiteral::new(bytes, *bits));
        }
        Value::Json(j) => j.write_json(out)?,
        #[allow(unreachable_patterns)]
        _ => out.push_str("null"),
    }
    Ok(())
}

fn push_float(out: &mut String, d: f64, single: Option<f32>) {
    if !d.is_finite() {
        let _ = write!(out, "\"{d}\"");
    } else if let Some(f) = single {
        // Shortest representation that reads back as the same f32.
        let _ = write!(out, "{f:?}");
    } else {
        let _ = write!(out, "{d:?}");
    }
}

impl JsonRenderer {
    fn push_image(&mut self, img: &Image<'_>) -> Result<(), Error> {
        self.line.push('{');
        for (n, (col, v)) in img.cells.iter().enumerate() {
            if n > 0 {
                self.line.push(',');
            }
            self.line.push('"');
            self.line.push_str(itoa::Buffer::new().format(col + 1));
            self.line.push_str("\":");
            push_value_json(&mut self.line, v)?;
        }
        for (n, (col, diff)) in img.json_diffs.iter().enumerate() {
            if !img.cells.is_empty() || n > 0 {
                self.line.push(',');
            }
            let _ = write!(self.line, "\"{}\":{{\"json_diff\":[", col + 1);
            let (diffs, _) = decode_json_diffs(diff)?;
            for (k, d) in diffs.iter().enumerate() {
                if k > 0 {
                    self.line.push(',');
                }
                let op = match d.op {
                    JsonDiffOp::Replace => "replace",
                    JsonDiffOp::Insert => "insert",
                    JsonDiffOp::Remove => "remove",
                };
                let _ = write!(self.line, "{{\"op\":\"{op}\",\"path\":");
                push_json_str(&mut self.line, d.path);
                if let Some(v) = &d.value {
                    self.line.push_str(",\"value\":");
                    v.write_json(&mut self.line)?;
                }
                self.line.push('}');
            }
            self.line.push_str("]}");
        }
        self.line.push('}');
        Ok(())
    }

    fn push_query(&mut self, q: &QueryEvent<'_>) {
        self.line.push_str(",\"schema\":");
        push_json_str(&mut self.line, &lossy(q.schema));
        self.line.push_str(",\"query\":");
        push_json_str(&mut self.line, &lossy(&q.query));
        let _ = write!(
            self.line,
            ",\"thread_id\":{},\"error_code\":{}",
            q.thread_id, q.error_code
        );
    }
}

impl Renderer for JsonRenderer {
    fn enter_payload(&mut self, pos: u64) {
        self.payload = Some(pos);
    }

    fn leave_payload(&mut self) {
        self.payload = None;
    }

    fn event(&mut self, ev: &Event<'_>, out: &mut dyn Write) -> Result<(), RenderError> {
        let line = &mut self.line;
        line.clear();
        let _ = write!(line, "{{\"file\":{},", self.file_json);
        if let Some(p) = self.payload {
            // Inside a transaction payload: `pos`/`end` are offsets in the decompressed payload.
            let _ = write!(line, "\"payload_pos\":{p},");
        }
        let _ = write!(
            line,
            "\"pos\":{},\"end\":{},\"type\":\"{}\",\"type_code\":{},\"timestamp\":{},\"server_id\":{},\"log_pos\":{},\"flags\":{}",
            ev.pos,
            ev.end(),
            ev.event_type().name(),
            ev.header.type_code,
            ev.header.timestamp,
            ev.header.server_id,
            ev.header.log_pos,
            ev.header.flags
        );
        match &ev.data {
            EventData::FormatDescription(f) => {
                let _ = write!(
                    line,
                    ",\"binlog_version\":{},\"server_version\":",
                    f.binlog_version
                );
                push_json_str(line, &lossy(f.server_version));
                let _ = write!(
                    line,
                    ",\"checksum\":\"{}\"",
                    match f.checksum() {
                        binvault_parser::ChecksumAlg::Crc32 => "crc32",
                        binvault_parser::ChecksumAlg::Off => "none",
                    }
                );
            }
            EventData::Query(q) => self.push_query(q),
            EventData::Rotate(r) => {
                let _ = write!(line, ",\"position\":{},\"next_file\":", r.position);
                push_json_str(line, &lossy(r.next_file));
            }
            EventData::Xid(x) => {
                let _ = write!(line, ",\"xid\":{x}");
            }
            EventData::Intvar(i) => {
                let _ = write!(line, ",\"kind\":{},\"value\":{}", i.kind, i.value);
            }
            EventData::Rand(r) => {
                let _ = write!(line, ",\"seed1\":{},\"seed2\":{}", r.seed1, r.seed2);
            }
            EventData::UserVar(u) => {
                line.push_str(",\"name\":");
                push_json_str(line, &lossy(u.name));
                match &u.value {
                    None => line.push_str(",\"value\":null"),
                    Some(v) => {
                        let _ = write!(
                            line,
                            ",\"value_type\":{},\"charset\":{},\"value\":",
                            v.kind, v.charset
                        );
                        push_bytes_json(line, v.bytes, v.kind == 0);
                    }
                }
            }
            EventData::Gtid(g) => {
                let _ = write!(line, ",\"gtid\":\"{}:{}\"", g.sid, g.gno);
                if let Some((l, s)) = g.logical_clock {
                    let _ = write!(line, ",\"last_committed\":{l},\"sequence_number\":{s}");
                }
                if let Some(t) = g.immediate_commit_timestamp {
                    let _ = write!(line, ",\"immediate_commit_timestamp\":{t}");
                }
                if let Some(t) = g.original_commit_timestamp {
                    let _ = write!(line, ",\"original_commit_timestamp\":{t}");
                }
                if let Some(t) = g.transaction_length {
                    let _ = write!(line, ",\"transaction_length\":{t}");
                }
            }
            EventData::PreviousGtids(s) => {
                line.push_str(",\"gtid_set\":");
                push_json_str(line, &s.to_string());
            }
            EventData::MariaGtid(g) => {
                let _ = write!(
                    line,
                    ",\"gtid\":\"{}-{}-{}\",\"gtid_flags\":{}",
                    g.domain_id, ev.header.server_id, g.seq_no, g.flags
                );
                if let Some(c) = g.commit_id {
                    let _ = write!(line, ",\"commit_id\":{c}");
                }
            }
            EventData::MariaGtidList(l) => {
                line.push_str(",\"gtid_list\":[");
                for (n, g) in l.gtids().enumerate() {
                    if n > 0 {
                        line.push(',');
                    }
                    let _ = write!(line, "\"{}-{}-{}\"", g.domain_id, g.server_id, g.seq_no);
                }
                line.push(']');
            }
            EventData::MariaBinlogCheckpoint(f) => {
                line.push_str(",\"binlog_file\":");
                push_json_str(line, &lossy(f));
            }
            EventData::MariaAnnotateRows(q) | EventData::RowsQuery(q) => {
                line.push_str(",\"query\":");
                push_json_str(line, &lossy(q));
            }
            EventData::XaPrepare(x) => {
                let _ = write!(
                    line,
                    ",\"one_phase\":{},\"format_id\":{},\"gtrid\":",
                    x.one_phase, x.format_id
                );
                push_bytes_json(line, x.gtrid, true);
                line.push_str(",\"bqual\":");
                push_bytes_json(line, x.bqual, true);
            }
            EventData::Incident(i) => {
                let _ = write!(line, ",\"incident\":{},\"message\":", i.incident);
                push_json_str(line, &lossy(i.message));
            }
            EventData::ExecuteLoadQuery(e) => {
                let _ = write!(line, ",\"file_id\":{}", e.file_id);
                self.push_query(&e.query);
            }
            EventData::BeginLoadQuery(b) => {
                let _ = write!(
                    self.line,
                    ",\"file_id\":{},\"block_len\":{}",
                    b.file_id,
                    b.data.len()
                );
            }
            EventData::TableMap(t) => {
                let _ = write!(line, ",\"table_id\":{},\"schema\":", t.table_id);
                push_json_str(line, &lossy(t.schema));
                line.push_str(",\"table\":");
                push_json_str(line, &lossy(t.table));
                let _ = write!(line, ",\"columns\":{}", t.column_count());
            }
            EventData::Rows(r) => {
                let _ = write!(
                    line,
                    ",\"table_id\":{},\"rows_flags\":{}",
                    r.table_id, r.flags
                );
                let reader = r
                    .rows()
                    .map_err(|e| e.rebase(ev.pos + ev.body_offset as u64));
                let mut reader = reader?;
                let t: &TableInfo = reader.table();
                self.line.push_str(",\"schema\":");
                push_json_str(&mut self.line, &lossy(&t.schema));
                self.line.push_str(",\"table\":");
                push_json_str(&mut self.line, &lossy(&t.table));
                self.line.push_str(",\"rows\":[");
                // Reuse the row buffers of the previous rows event.
                let mut row = std::mem::take(&mut self.spare).recycle();
                let mut first = true;
                let base = ev.pos + ev.body_offset as u64;
                while reader.next_row(&mut row).map_err(|e| e.rebase(base))? {
                    if !first {
                        self.line.push(',');
                    }
                    first = false;
                    self.line.push_str("{\"before\":");
                    match &row.before {
                        Some(img) => self.push_image(img)?,
                        None => self.line.push_str("null"),
                    }
                    self.line.push_str(",\"after\":");
                    match &row.after {
                        Some(img) => self.push_image(img)?,
                        None => self.line.push_str("null"),
                    }
                    self.line.push('}');
                    if self.line.len() > 1 << 20 {
                        out.write_all(self.line.as_bytes())?;
                        self.line.clear();
                    }
                }
                self.line.push(']');
                self.spare = row.recycle();
            }
            EventData::TransactionPayload(p) => {
                let _ = write!(
                    line,
                    ",\"compression\":\"{}\",\"payload_size\":{}",
                    match p.compression {
                        PayloadCompression::Zstd => "zstd",
                        PayloadCompression::None => "none",
                        _ => "unknown",
                    },
                    p.payload.len()
                );
                if let Some(u) = p.uncompressed_size {
                    let _ = write!(line, ",\"uncompressed_size\":{u}");
                }
            }
            EventData::GtidTagged(g) => {
                let _ = write!(line, ",\"gtid\":\"{}\"", g.gtid());
                let _ = write!(
                    line,
                    ",\"last_committed\":{},\"sequence_number\":{},\"transaction_length\":{}",
                    g.last_committed, g.sequence_number, g.transaction_length
                );
            }
            EventData::Heartbeat(h) => {
                line.push_str(",\"log_file\":");
                push_json_str(line, &lossy(h.log_file));
                let _ = write!(line, ",\"position\":{}", h.position(ev.header.log_pos));
            }
            EventData::Other(b) | EventData::Ignorable(b) => {
                let _ = write!(line, ",\"body_len\":{}", b.len());
            }
            _ => {}
        }
        self.line.push_str("}\n");
        out.write_all(self.line.as_bytes())?;
        Ok(())
    }
}

/// Text for people, in the spirit of `mysqlbinlog --verbose`.
#[derive(Debug)]
pub struct TextRenderer {
    file: String,
    line: String,
    payload: Option<u64>,
    spare: Row<'static>,
}

impl TextRenderer {
    pub fn new(file: &str) -> Self {
        TextRenderer {
            file: file.to_string(),
            line: String::new(),
            payload: None,
            spare: Row::default(),
        }
    }

    fn push_image(&mut self, img: &Image<'_>, table: &TableInfo) -> Result<(), Error> {
        for (col, v) in &img.cells {
            let _ = write!(self.line, "###   @{}=", col + 1);
            match v {
                Value::Text(b) | Value::Bytes(b) => {
                    self.line.push('\'');
                    self.line.push_str(&lossy(b).replace('\'', "\\'"));
                    self.line.push('\'');
                }
                _ => push_value_json(&mut self.line, v)?,
            }
            if let Some(name) = table.column_names.get(*col as usize) {
                let _ = write!(self.line, " /* {} */", lossy(name));
            }
            self.line.push('\n');
        }
        for (col, diff) in &img.json_diffs {
            let _ = writeln!(
                self.line,
                "###   @{}=<JSON partial update, {} bytes>",
                col + 1,
                diff.len()
            );
        }
        Ok(())
    }
}

impl Renderer for TextRenderer {
    fn enter_payload(&mut self, pos: u64) {
        self.payload = Some(pos);
    }

    fn leave_payload(&mut self) {
        self.payload = None;
    }

    fn event(&mut self, ev: &Event<'_>, out: &mut dyn Write) -> Result<(), RenderError> {
        self.line.clear();
        if let Some(p) = self.payload {
            let _ = write!(self.line, "# (in payload at {p}) ");
        }
        let _ = writeln!(
            self.line,
            "# at {}\n#{} server id {}  end_log_pos {}  {}",
            ev.pos,
            ev.header.timestamp,
            ev.header.server_id,
            ev.end(),
            ev.event_type().name()
        );
        match &ev.data {
            EventData::FormatDescription(f) => {
                let _ = writeln!(
                    self.line,
                    "# server version {} ({})",
                    lossy(f.server_version),
                    self.file
                );
            }
            EventData::Query(q) => {
                let _ = writeln!(
                    self.line,
                    "use `{}`;\n{};",
                    lossy(q.schema),
                    lossy(&q.query)
                );
            }
            EventData::MariaAnnotateRows(q) | EventData::RowsQuery(q) => {
                let _ = writeln!(self.line, "# Query: {}", lossy(q));
            }
            EventData::Rotate(r) => {
                let _ = writeln!(
                    self.line,
                    "# rotate to {}:{}",
                    lossy(r.next_file),
                    r.position
                );
            }
            EventData::Xid(x) => {
                let _ = writeln!(self.line, "COMMIT /* xid={x} */;");
            }
            EventData::Gtid(g) => {
                let _ = writeln!(self.line, "SET @@SESSION.GTID_NEXT= '{}:{}';", g.sid, g.gno);
            }
            EventData::MariaGtid(g) => {
                let _ = writeln!(
                    self.line,
                    "# GTID {}-{}-{}",
                    g.domain_id, ev.header.server_id, g.seq_no
                );
            }
            EventData::TableMap(t) => {
                let _ = writeln!(
                    self.line,
                    "# Table_map: `{}`.`{}` mapped to number {}",
                    lossy(t.schema),
                    lossy(t.table),
                    t.table_id
                );
            }
            EventData::Rows(r) => {
                let base = ev.pos + ev.body_offset as u64;
                let mut reader = r.rows().map_err(|e| e.rebase(base))?;
                let table = reader.table();
                let (schema, name) = table.name();
                // Reuse the row buffers of the previous rows event.
                let mut row = std::mem::take(&mut self.spare).recycle();
                while reader.next_row(&mut row).map_err(|e| e.rebase(base))? {
                    let _ = match r.kind {
                        RowsKind::Write => {
                            write!(self.line, "### INSERT INTO `{schema}`.`{name}`\n### SET\n")
                        }
                        RowsKind::Delete => write!(
                            self.line,
                            "### DELETE FROM `{schema}`.`{name}`\n### WHERE\n"
                        ),
                        _ => write!(self.line, "### UPDATE `{schema}`.`{name}`\n### WHERE\n"),
                    };
                    if let Some(img) = &row.before {
                        self.push_image(img, table)?;
                    }
                    if let Some(img) = &row.after {
                        if row.before.is_some() {
                            self.line.push_str("### SET\n");
                        }
                        self.push_image(img, table)?;
                    }
                    if self.line.len() > 1 << 20 {
                        out.write_all(self.line.as_bytes())?;
                        self.line.clear();
                    }
                }
                self.spare = row.recycle();
            }
            _ => {}
        }
        out.write_all(self.line.as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_string_escapes() {
        let mut s = String::new();
        push_json_str(&mut s, "a\"b\\c\n\u{1}é");
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\u0001é\"");
        let parsed: String = serde_json::from_str(&s).unwrap();
        assert_eq!(parsed, "a\"b\\c\n\u{1}é");
    }

    #[test]
    fn bytes_are_text_or_hex() {
        let mut s = String::new();
        push_bytes_json(&mut s, b"\xff\x00", true);
        assert_eq!(s, "{\"hex\":\"ff00\"}");
        s.clear();
        push_bytes_json(&mut s, b"ok", false);
        assert_eq!(s, "{\"hex\":\"6f6b\"}");
    }

    #[test]
    fn values_follow_the_json_contract() {
        let mut s = String::new();
        push_value_json(
            &mut s,
            &Value::Bit {
                bytes: &[0x15, 0x55],
                bits: 13,
            },
        )
        .unwrap();
        assert_eq!(s, "\"b'1010101010101'\"");
        s.clear();
        push_value_json(
            &mut s,
            &Value::Timestamp {
                seconds: 1709251199,
                micros: 123456,
                fsp: 6,
            },
        )
        .unwrap();
        assert_eq!(s, "\"1709251199.123456\"");
        s.clear();
        push_value_json(&mut s, &Value::Float(2.5e-3)).unwrap();
        assert_eq!(s, "0.0025");
        s.clear();
        push_value_json(&mut s, &Value::Unsigned(u64::MAX)).unwrap();
        assert_eq!(s, "18446744073709551615");
    }
}
