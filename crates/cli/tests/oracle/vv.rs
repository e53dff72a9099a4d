//! Parser for `mariadb-binlog -vv --base64-output=DECODE-ROWS [--print-table-metadata]` output (MariaDB 10.11),
//! the decoding oracle of `tests/oracle.rs`.
//!
//! The output is read as bytes: string values are printed raw (non-UTF-8 bytes as they are), only bytes below
//! 0x20 are escaped as `\xNN`; `'` and `\` are NOT escaped (so `'it's'` is a valid value, and data containing a
//! backslash followed by `x` and two hex digits would be ambiguous - the workload avoids it).
//!
//! Shape of the parts we use:
//! ```text
//! # at 85777                        <- start offsets, one per event, possibly several in a row
//! # at 93937
//! #231114 22:13:20 server id 1  end_log_pos 93937 CRC32 0x783436ce \tWrite_rows: table id 40
//! #231114 22:13:20 server id 1  end_log_pos 106838 CRC32 0x... \tWrite_rows: table id 40 flags: STMT_END_F
//! ### INSERT INTO `bv`.`bulk`       <- rows of ALL rows events of the statement, printed after the last header
//! ### SET
//! ###   @1=1 /* INT meta=0 nullable=0 is_null=0 */
//! ```
//! `# at` lines and event header lines pair up in FIFO order (the header carries `end_log_pos`, the `# at` line
//! the start). mariadb-binlog buffers the rows events of one statement and prints their rows together after the
//! last header, so rows cannot be attributed to a single event: they are collected per *group* (the rows events
//! whose headers were printed since the previous rows block), in event order.
//!
//! With `--print-table-metadata`, a `Table_map` header is followed by `# Columns(...)`, one column per line
//! (except `INVALID_TYPE(N)` columns, which the tool prints without a separator), from which we take the
//! UNSIGNED flag: the -vv value of a negative-looking integer is printed as `-1 (255)` whatever the signedness.

use std::collections::HashMap;

/// One event header line with its start offset.
#[derive(Debug, Clone, PartialEq)]
pub struct EventHead {
    pub pos: u64,
    pub end: u64,
    /// e.g. `Write_rows`, `Table_map`, `Query`, `Write_compressed_rows`
    pub name: String,
    pub stmt_end: bool,
    /// 1-based line number in the oracle output
    pub line: usize,
}

impl EventHead {
    pub fn is_rows(&self) -> bool {
        is_rows_event_name(&self.name)
    }
}

pub fn is_rows_event_name(name: &str) -> bool {
    let n = name.strip_suffix("_v1").unwrap_or(name);
    matches!(
        n,
        "Write_rows"
            | "Update_rows"
            | "Delete_rows"
            | "Write_compressed_rows"
            | "Update_compressed_rows"
            | "Delete_compressed_rows"
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Insert,
    Update,
    Delete,
}

/// One `@N=VALUE /* TYPE meta=M nullable=X is_null=Y */` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub col: u32,
    /// text before ` meta=` in the comment, e.g. `TINYINT`, `DECIMAL(10,2)`, `VARSTRING(400) COMPRESSED`
    pub type_name: String,
    pub meta: u32,
    pub nullable: bool,
    pub is_null: bool,
    /// the value text exactly as printed (bytes between `@N=` and the type comment, trailing spaces kept)
    pub raw: Vec<u8>,
    /// UNSIGNED flag from `# Columns(...)`; None when the tool did not print (or we could not read) it
    pub unsigned: Option<bool>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OracleRow {
    pub kind: RowKind,
    pub schema: String,
    pub table: String,
    pub before: Option<Vec<Cell>>,
    pub after: Option<Vec<Cell>>,
    pub line: usize,
}

/// The rows events of one statement (headers printed together) and all their rows, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowsGroup {
    pub events: Vec<EventHead>,
    pub rows: Vec<OracleRow>,
}

#[derive(Debug, Default)]
pub struct OracleOutput {
    pub events: Vec<EventHead>,
    pub groups: Vec<RowsGroup>,
    /// Independent raw count of `###   @N=` lines, to prove that every value line was parsed and compared.
    pub value_lines: usize,
    /// Whether any `# Columns(` block was seen (i.e. the output was made with --print-table-metadata).
    pub has_table_metadata: bool,
}

impl OracleOutput {
    pub fn cells(&self) -> usize {
        self.groups
            .iter()
            .flat_map(|g| g.rows.iter())
            .map(|r| r.before.as_ref().map_or(0, Vec::len) + r.after.as_ref().map_or(0, Vec::len))
            .sum()
    }
}

fn err<T>(line: usize, msg: impl AsRef<str>, text: &[u8]) -> Result<T, String> {
    let shown: String = String::from_utf8_lossy(&text[..text.len().min(160)]).into_owned();
    Err(format!(
        "oracle output line {line}: {}: {shown:?}",
        msg.as_ref()
    ))
}

fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// `#231114 22:13:20 server id 1  end_log_pos 93937 CRC32 0x783436ce \tWrite_rows: table id 40 flags: STMT_END_F`
/// -> (end_log_pos, name, rest after the tab). None if the line is not an event header.
fn parse_header(line: &[u8]) -> Option<(u64, String, Vec<u8>)> {
    let rest = line.strip_prefix(b"#")?;
    if rest.len() < 7 || !rest[..6].iter().all(u8::is_ascii_digit) || rest[6] != b' ' {
        return None;
    }
    // Most headers end with "\t<Name>: ..."; a few (Begin_load_query) end after the checksum and carry their
    // name on the next line ("#Begin_load_query: file_id: ..."), then the name is empty here.
    let tab = rest.iter().position(|&c| c == b'\t');
    let text = std::str::from_utf8(&rest[..tab.unwrap_or(rest.len())]).ok()?;
    let mut words = text.split_whitespace();
    let _date = words.next()?;
    let _time = words.next()?;
    if words.next()? != "server" || words.next()? != "id" {
        return None;
    }
    words.next()?.parse::<u64>().ok()?;
    if words.next()? != "end_log_pos" {
        return None;
    }
    let end: u64 = words.next()?.parse().ok()?;
    let after = match tab {
        Some(t) => &rest[t + 1..],
        None => &[][..],
    };
    let name_end = after
        .iter()
        .position(|&c| c == b':' || c == b' ')
        .unwrap_or(after.len());
    let name = String::from_utf8_lossy(&after[..name_end]).into_owned();
    Some((end, name, after.to_vec()))
}

/// "`db`.`table`" -> (db, table)
fn parse_qualified(b: &[u8]) -> Option<(String, String)> {
    let s = std::str::from_utf8(b).ok()?.trim();
    let s = s.strip_prefix('`')?.strip_suffix('`')?;
    let (db, table) = s.split_once("`.`")?;
    Some((db.to_string(), table.to_string()))
}

/// Parses one `###   @N=...` line (without the `###   ` prefix).
fn parse_cell(body: &[u8], line: usize) -> Result<Cell, String> {
    let full = body;
    let body = match body.strip_prefix(b"@") {
        Some(b) => b,
        None => return err(line, "value line without @", full),
    };
    let eq = match body.iter().position(|&c| c == b'=') {
        Some(p) => p,
        None => return err(line, "value line without =", full),
    };
    let col = match parse_u64(&body[..eq]) {
        Some(c) if c > 0 && c <= u32::MAX as u64 => c as u32,
        _ => return err(line, "bad column number", full),
    };
    let rest = &body[eq + 1..];
    // The type comment is the last " /* ... */" on the line; values never contain a raw newline.
    let Some(rest) = rest.strip_suffix(b" */") else {
        return err(line, "value line does not end with ' */'", full);
    };
    let Some(open) = find_last(rest, b" /* ") else {
        return err(line, "no type comment", full);
    };
    let raw = rest[..open].to_vec();
    let comment = match std::str::from_utf8(&rest[open + 4..]) {
        Ok(c) => c,
        Err(_) => return err(line, "type comment is not UTF-8", full),
    };
    let Some(mpos) = comment.find(" meta=") else {
        return err(line, "type comment without meta=", full);
    };
    let type_name = comment[..mpos].to_string();
    let mut meta = None;
    let mut nullable = None;
    let mut is_null = None;
    for kv in comment[mpos + 1..].split_whitespace() {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        let v: Option<u32> = v.parse().ok();
        match k {
            "meta" => meta = v,
            "nullable" => nullable = v,
            "is_null" => is_null = v,
            _ => return err(line, format!("unknown key {k:?} in type comment"), full),
        }
    }
    let (Some(meta), Some(nullable), Some(is_null)) = (meta, nullable, is_null) else {
        return err(line, "incomplete type comment", full);
    };
    if is_null == 1 && raw != b"NULL" {
        return err(line, "is_null=1 but the value is not NULL", full);
    }
    Ok(Cell {
        col,
        type_name,
        meta,
        nullable: nullable == 1,
        is_null: is_null == 1,
        raw,
        unsigned: None,
        line,
    })
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| &hay[i..i + needle.len()] == needle)
}

/// Splits one line of a `# Columns(` block into column descriptions. The tool prints `INVALID_TYPE(N)` columns
/// without a separator: "`t` INVALID_TYPE(11)`dt` INVALID_TYPE(12)`ts` INVALID_TYPE(7))".
fn split_column_line(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(p) = rest.find("INVALID_TYPE(") {
        let after = &rest[p + "INVALID_TYPE(".len()..];
        let Some(close) = after.find(')') else { break };
        let end = p + "INVALID_TYPE(".len() + close + 1;
        out.push(rest[..end].trim().to_string());
        rest = &rest[end..];
    }
    let rest = rest.trim();
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// UNSIGNED flag of one `# Columns` entry such as "`biu` BIGINT UNSIGNED NOT NULL" or "TINYINT UNSIGNED".
fn column_is_unsigned(desc: &str) -> bool {
    // skip a backquoted column name (names may contain anything but we only print simple ones)
    let ty = match desc.strip_prefix('`') {
        Some(r) => r.split_once("` ").map_or("", |(_, t)| t),
        None => desc,
    };
    // only the type part before any quoted ENUM/SET member list or CHARSET clause matters
    let ty =
        ty.split('(').next().unwrap_or("").to_string() + " " + ty.rsplit(')').next().unwrap_or("");
    ty.split_whitespace().any(|w| w == "UNSIGNED")
}

/// Parses the whole oracle output.
pub fn parse(out: &[u8]) -> Result<OracleOutput, String> {
    let mut res = OracleOutput::default();
    let mut pending_at: std::collections::VecDeque<u64> = Default::default();
    // table "db.t" -> per-column UNSIGNED flags, from the latest Table_map with a Columns block
    let mut columns: HashMap<(String, String), Vec<bool>> = HashMap::new();
    let mut cur = RowsGroup::default();
    let mut cur_has_rows = false;
    // state for ### lines
    let mut row: Option<OracleRow> = None;
    let mut image: Option<u8> = None; // b'W' (before) or b'S' (after)
                                      // state for a Columns block
    let mut col_block: Option<((String, String), Vec<bool>)> = None;
    let mut last_table_map: Option<(String, String)> = None;

    fn flush_row(row: &mut Option<OracleRow>, cur: &mut RowsGroup) {
        if let Some(r) = row.take() {
            cur.rows.push(r);
        }
    }
    fn flush_group(cur: &mut RowsGroup, cur_has_rows: &mut bool, groups: &mut Vec<RowsGroup>) {
        if !cur.events.is_empty() || !cur.rows.is_empty() {
            groups.push(std::mem::take(cur));
        }
        *cur_has_rows = false;
    }

    let lines: Vec<&[u8]> = out.split(|&c| c == b'\n').collect();
    for (idx, raw_line) in lines.iter().enumerate() {
        let lineno = idx + 1;
        let line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);

        // ---- inside a "# Columns(" block
        if let Some((key, flags)) = col_block.as_mut() {
            let Some(body) = line.strip_prefix(b"#         ") else {
                return err(lineno, "unterminated # Columns( block", line);
            };
            let s = String::from_utf8_lossy(body).into_owned();
            let (content, done) = strip_terminator(&s);
            flags.extend(
                split_column_line(content)
                    .iter()
                    .map(|d| column_is_unsigned(d)),
            );
            if done {
                let (k, f) = col_block.take().expect("checked above");
                columns.insert(k, f);
            } else {
                let _ = key;
            }
            continue;
        }

        if let Some(rest) = line.strip_prefix(b"###") {
            res_line_rows(
                rest,
                line,
                lineno,
                &mut res,
                &mut row,
                &mut image,
                &mut cur,
                &mut cur_has_rows,
                &columns,
            )?;
            continue;
        }
        // any non-### line ends the current row
        flush_row(&mut row, &mut cur);
        image = None;

        if let Some(p) = line.strip_prefix(b"# at ") {
            match parse_u64(p) {
                Some(pos) => pending_at.push_back(pos),
                None => return err(lineno, "bad '# at' line", line),
            }
            continue;
        }
        if let Some((end, mut name, after)) = parse_header(line) {
            if name.is_empty() {
                // "#Begin_load_query: file_id: 1  block_len: 45" on the next line
                let next = lines.get(idx + 1).copied().unwrap_or_default();
                if let Some(n) = next.strip_prefix(b"#") {
                    let e = n
                        .iter()
                        .position(|&c| c == b':' || c == b' ')
                        .unwrap_or(n.len());
                    name = String::from_utf8_lossy(&n[..e]).into_owned();
                }
            }
            let Some(pos) = pending_at.pop_front() else {
                return err(lineno, "event header without a preceding '# at' line", line);
            };
            let stmt_end = find_last(&after, b"STMT_END_F").is_some();
            let head = EventHead {
                pos,
                end,
                name,
                stmt_end,
                line: lineno,
            };
            if head.is_rows() {
                if cur_has_rows {
                    flush_group(&mut cur, &mut cur_has_rows, &mut res.groups);
                }
                cur.events.push(head.clone());
            } else if cur_has_rows {
                flush_group(&mut cur, &mut cur_has_rows, &mut res.groups);
            }
            if head.name == "Table_map" {
                // "Table_map: `db`.`t` mapped to number N"
                let a = String::from_utf8_lossy(&after).into_owned();
                let q = a
                    .strip_prefix("Table_map: ")
                    .and_then(|r| r.split(" mapped to number").next());
                match q.and_then(|q| parse_qualified(q.as_bytes())) {
                    Some(k) => last_table_map = Some(k),
                    None => return err(lineno, "cannot read the table name of a Table_map", line),
                }
            } else {
                last_table_map = None;
            }
            res.events.push(head);
            continue;
        }
        if let Some(body) = line.strip_prefix(b"# Columns(") {
            let Some(key) = last_table_map.clone() else {
                return err(lineno, "# Columns( without a Table_map", line);
            };
            res.has_table_metadata = true;
            let s = String::from_utf8_lossy(body).into_owned();
            let (content, done) = strip_terminator(&s);
            let flags: Vec<bool> = split_column_line(content)
                .iter()
                .map(|d| column_is_unsigned(d))
                .collect();
            if done {
                columns.insert(key, flags);
            } else {
                col_block = Some((key, flags));
            }
            continue;
        }
        // everything else (SQL text, SET statements, #Q> annotate lines, comments) is not needed
    }
    flush_row(&mut row, &mut cur);
    flush_group(&mut cur, &mut cur_has_rows, &mut res.groups);
    if col_block.is_some() {
        return Err("oracle output ends inside a # Columns( block".into());
    }
    // every group must consist of rows events and have rows; every row needs its images
    for g in &res.groups {
        let l = g.events.first().map_or(0, |e| e.line);
        if g.events.is_empty() {
            return Err(format!(
                "oracle output line {}: rows printed without a rows event header",
                g.rows.first().map_or(0, |r| r.line)
            ));
        }
        if g.rows.is_empty() {
            return Err(format!(
                "oracle output line {l}: rows event(s) without any printed row"
            ));
        }
        if !g.events.last().is_some_and(|e| e.stmt_end) {
            return Err(format!(
                "oracle output line {l}: rows group does not end with STMT_END_F"
            ));
        }
    }
    Ok(res)
}

/// Strips the trailing "," (more columns follow) or ")" (end of block) of a Columns line.
fn strip_terminator(s: &str) -> (&str, bool) {
    let t = s.trim_end();
    if let Some(c) = t.strip_suffix(',') {
        (c, false)
    } else if let Some(c) = t.strip_suffix(')') {
        (c, true)
    } else {
        (t, false)
    }
}

#[allow(clippy::too_many_arguments)]
fn res_line_rows(
    rest: &[u8],
    line: &[u8],
    lineno: usize,
    res: &mut OracleOutput,
    row: &mut Option<OracleRow>,
    image: &mut Option<u8>,
    cur: &mut RowsGroup,
    cur_has_rows: &mut bool,
    columns: &HashMap<(String, String), Vec<bool>>,
) -> Result<(), String> {
    let start_row = |kind: RowKind,
                     q: &[u8],
                     row: &mut Option<OracleRow>,
                     cur: &mut RowsGroup|
     -> Result<(), String> {
        if let Some(r) = row.take() {
            cur.rows.push(r);
        }
        let Some((schema, table)) = parse_qualified(q) else {
            return err(lineno, "cannot read table name", line);
        };
        *row = Some(OracleRow {
            kind,
            schema,
            table,
            before: None,
            after: None,
            line: lineno,
        });
        Ok(())
    };
    if let Some(q) = rest.strip_prefix(b" INSERT INTO ") {
        start_row(RowKind::Insert, q, row, cur)?;
        *image = None;
        *cur_has_rows = true;
    } else if let Some(q) = rest.strip_prefix(b" UPDATE ") {
        start_row(RowKind::Update, q, row, cur)?;
        *image = None;
        *cur_has_rows = true;
    } else if let Some(q) = rest.strip_prefix(b" DELETE FROM ") {
        start_row(RowKind::Delete, q, row, cur)?;
        *image = None;
        *cur_has_rows = true;
    } else if rest == b" WHERE" || rest == b" SET" {
        let Some(r) = row.as_mut() else {
            return err(lineno, "WHERE/SET outside a row", line);
        };
        let which = if rest == b" WHERE" { b'W' } else { b'S' };
        let ok = match (r.kind, which) {
            (RowKind::Insert, b'S') => r.after.is_none(),
            (RowKind::Delete, b'W') => r.before.is_none(),
            (RowKind::Update, b'W') => r.before.is_none() && r.after.is_none(),
            (RowKind::Update, b'S') => r.before.is_some() && r.after.is_none(),
            _ => false,
        };
        if !ok {
            return err(lineno, "unexpected WHERE/SET for this row kind", line);
        }
        if which == b'W' {
            r.before = Some(Vec::new());
        } else {
            r.after = Some(Vec::new());
        }
        *image = Some(which);
    } else if let Some(body) = rest.strip_prefix(b"   @") {
        res.value_lines += 1;
        let Some(r) = row.as_mut() else {
            return err(lineno, "value outside a row", line);
        };
        let mut cell = parse_cell(&line[6..], lineno)?;
        let _ = body;
        if let Some(flags) = columns.get(&(r.schema.clone(), r.table.clone())) {
            cell.unsigned = flags.get(cell.col as usize - 1).copied();
        }
        let img = match image {
            Some(b'W') => r.before.as_mut(),
            Some(b'S') => r.after.as_mut(),
            _ => None,
        };
        match img {
            Some(v) => {
                if v.last().is_some_and(|c: &Cell| c.col >= cell.col) {
                    return err(lineno, "column numbers not increasing", line);
                }
                v.push(cell)
            }
            None => return err(lineno, "value before WHERE/SET", line),
        }
    } else {
        return err(lineno, "unknown ### line", line);
    }
    Ok(())
}

/// Decodes a quoted string value as printed by the tool: `'...'` with `\xNN` escapes for control bytes and
/// everything else raw.
pub fn unquote(raw: &[u8]) -> Option<Vec<u8>> {
    let inner = raw.strip_prefix(b"'")?.strip_suffix(b"'")?;
    if !inner.contains(&b'\\') {
        return Some(inner.to_vec());
    }
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let c = inner[i];
        if c == b'\\' && i + 4 <= inner.len() && inner[i + 1] == b'x' {
            let h = std::str::from_utf8(&inner[i + 2..i + 4])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = h {
                out.push(b);
                i += 4;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNIPPET: &[u8] = b"/*!50530 SET @@SESSION.PSEUDO_SLAVE_MODE=1*/;\n\
# at 4\n\
#231114 22:13:20 server id 1  end_log_pos 256 CRC32 0x30deef9f \tStart: binlog v 4, server v 10.11.14-MariaDB-0+deb12u2-log created 231114 22:13:20 at startup\n\
ROLLBACK/*!*/;\n\
# at 256\n\
# at 300\n\
#231114 22:13:20 server id 1  end_log_pos 300 CRC32 0x00000001 \tAnnotate_rows:\n\
#Q> INSERT INTO ints VALUES (1, -1, 255)\n\
#231114 22:13:20 server id 1  end_log_pos 350 CRC32 0x00000002 \tTable_map: `bv`.`ints` mapped to number 18\n\
# Columns(`id` INT NOT NULL,\n\
#         `ti` TINYINT,\n\
#         `tiu` TINYINT UNSIGNED)\n\
# Primary Key(id)\n\
# at 350\n\
# at 400\n\
#231114 22:13:20 server id 1  end_log_pos 400 CRC32 0x00000003 \tWrite_rows: table id 18\n\
#231114 22:13:20 server id 1  end_log_pos 450 CRC32 0x00000004 \tWrite_rows: table id 18 flags: STMT_END_F\n\
### INSERT INTO `bv`.`ints`\n\
### SET\n\
###   @1=1 /* INT meta=0 nullable=0 is_null=0 */\n\
###   @2=-1 (255) /* TINYINT meta=0 nullable=1 is_null=0 */\n\
###   @3=-1 (255) /* TINYINT meta=0 nullable=1 is_null=0 */\n\
### INSERT INTO `bv`.`ints`\n\
### SET\n\
###   @1=2 /* INT meta=0 nullable=0 is_null=0 */\n\
###   @2=NULL /* TINYINT meta=0 nullable=1 is_null=1 */\n\
###   @3=3.14159              /* FLOAT meta=4 nullable=1 is_null=0 */\n\
# at 450\n\
#231114 22:13:20 server id 1  end_log_pos 500 CRC32 0x00000005 \tTable_map: `bv`.`t2` mapped to number 19\n\
# Columns(INT NOT NULL,\n\
#         `t` INVALID_TYPE(11)`dt` INVALID_TYPE(12)`u` INT UNSIGNED)\n\
# at 500\n\
#231114 22:13:20 server id 1  end_log_pos 600 CRC32 0x00000006 \tUpdate_compressed_rows: table id 19 flags: STMT_END_F\n\
### UPDATE `bv`.`t2`\n\
### WHERE\n\
###   @1=1 /* INT meta=0 nullable=0 is_null=0 */\n\
###   @2='it's a \\ x\\x09\\x00 /* c */ \xff' /* VARSTRING(40) meta=40 nullable=1 is_null=0 */\n\
### SET\n\
###   @4=-5 (4294967291) /* INT meta=0 nullable=1 is_null=0 */\n\
# at 600\n\
#231114 22:13:20 server id 1  end_log_pos 650 \tDelete_rows: table id 19 flags: STMT_END_F\n\
### DELETE FROM `bv`.`t2`\n\
### WHERE\n\
###   @1=1 /* INT meta=0 nullable=0 is_null=0 */\n\
# at 650\n\
#231114 22:13:20 server id 1  end_log_pos 660 CRC32 0xffe2aa33 \n\
#Begin_load_query: file_id: 1  block_len: 45\n\
# at 660\n\
#231114 22:13:20 server id 1  end_log_pos 700 CRC32 0x00000007 \tXid = 12\n\
COMMIT/*!*/;\n\
DELIMITER ;\n\
# End of log file\n";

    #[test]
    fn parses_groups_positions_and_values() {
        let o = parse(SNIPPET).unwrap();
        assert_eq!(o.value_lines, 10);
        assert_eq!(o.cells(), 10);
        assert!(o.has_table_metadata);
        let heads: Vec<(u64, u64, &str)> = o
            .events
            .iter()
            .map(|e| (e.pos, e.end, e.name.as_str()))
            .collect();
        assert_eq!(
            heads,
            vec![
                (4, 256, "Start"),
                (256, 300, "Annotate_rows"),
                (300, 350, "Table_map"),
                (350, 400, "Write_rows"),
                (400, 450, "Write_rows"),
                (450, 500, "Table_map"),
                (500, 600, "Update_compressed_rows"),
                (600, 650, "Delete_rows"),
                (650, 660, "Begin_load_query"),
                (660, 700, "Xid"),
            ]
        );
        assert_eq!(o.groups.len(), 3);
        let g = &o.groups[0];
        assert_eq!(
            g.events.iter().map(|e| e.pos).collect::<Vec<_>>(),
            vec![350, 400]
        );
        assert_eq!(g.rows.len(), 2);
        let r = &g.rows[0];
        assert_eq!(
            (r.kind, r.schema.as_str(), r.table.as_str()),
            (RowKind::Insert, "bv", "ints")
        );
        assert!(r.before.is_none());
        let a = r.after.as_ref().unwrap();
        assert_eq!(a.len(), 3);
        assert_eq!(
            (a[1].col, a[1].type_name.as_str(), a[1].raw.as_slice()),
            (2, "TINYINT", &b"-1 (255)"[..])
        );
        assert_eq!(a[1].unsigned, Some(false));
        assert_eq!(a[2].unsigned, Some(true));
        let b = g.rows[1].after.as_ref().unwrap();
        assert!(b[1].is_null);
        assert!(b[2].raw.starts_with(b"3.14159 ") && b[2].raw.ends_with(b"  "));
        assert_eq!((b[2].type_name.as_str(), b[2].meta), ("FLOAT", 4));

        let u = &o.groups[1].rows[0];
        assert_eq!(u.kind, RowKind::Update);
        let w = u.before.as_ref().unwrap();
        assert_eq!(
            unquote(&w[1].raw).unwrap(),
            b"it's a \\ x\t\x00 /* c */ \xff"
        );
        let s = u.after.as_ref().unwrap();
        assert_eq!(s[0].col, 4);
        // INVALID_TYPE columns are split: INT, t, dt, u -> column 4 is the unsigned one
        assert_eq!(s[0].unsigned, Some(true));
        let d = &o.groups[2];
        assert_eq!(d.rows[0].kind, RowKind::Delete);
        assert!(d.rows[0].after.is_none());
        assert_eq!(d.rows[0].before.as_ref().unwrap().len(), 1);
        // no CRC32 in the header (binlog_checksum=NONE)
        assert_eq!(d.events[0].end, 650);
    }

    #[test]
    fn unquote_escapes() {
        assert_eq!(unquote(b"''").unwrap(), b"");
        assert_eq!(unquote(b"'\\x00\\x1f'").unwrap(), b"\x00\x1f");
        assert_eq!(unquote(b"'''\\\\x00'").unwrap(), b"''\\\x00");
        assert_eq!(unquote(b"'a\\b'").unwrap(), b"a\\b");
        assert_eq!(unquote(b"'\\'").unwrap(), b"\\");
        assert_eq!(unquote(b"'\\x4'").unwrap(), b"\\x4");
        assert_eq!(unquote(b"'\xe4\xbd\xa0'").unwrap(), "你".as_bytes());
        assert!(unquote(b"NULL").is_none());
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse(b"# at 4\n### INSERT INTO `a`.`b`\n### SET\n###   @1=1\n").is_err());
        assert!(parse(b"###   @1=1 /* INT meta=0 nullable=0 is_null=0 */\n").is_err());
        assert!(parse(b"#231114 22:13:20 server id 1  end_log_pos 256 \tStart: x\n").is_err()); // no # at
        assert!(parse(b"# at 4\n#231114 22:13:20 server id 1  end_log_pos 9 \tWrite_rows: table id 1 flags: STMT_END_F\n### FOO\n").is_err());
        // rows event without rows
        assert!(parse(b"# at 4\n#231114 22:13:20 server id 1  end_log_pos 9 \tWrite_rows: table id 1 flags: STMT_END_F\n").is_err());
        // is_null=1 with a value
        assert!(parse(b"# at 4\n#231114 22:13:20 server id 1  end_log_pos 9 \tWrite_rows: table id 1 flags: STMT_END_F\n### INSERT INTO `a`.`b`\n### SET\n###   @1=1 /* INT meta=0 nullable=1 is_null=1 */\n").is_err());
    }

    #[test]
    fn multi_table_group_and_header_variants() {
        let s = b"# at 10\n# at 20\n\
#231114 22:13:20 server id 1  end_log_pos 20 \tTable_map: `a`.`x` mapped to number 1\n\
#231114 22:13:20 server id 1  end_log_pos 30 \tTable_map: `a`.`y` mapped to number 2\n\
# at 30\n# at 40\n\
#231114 22:13:20 server id 77  end_log_pos 40 \tUpdate_rows: table id 1\n\
#231114 22:13:20 server id 77  end_log_pos 50 \tUpdate_rows: table id 2 flags: STMT_END_F\n\
### UPDATE `a`.`x`\n### WHERE\n###   @1=1 /* INT meta=0 nullable=0 is_null=0 */\n### SET\n###   @1=2 /* INT meta=0 nullable=0 is_null=0 */\n\
### UPDATE `a`.`y`\n### WHERE\n###   @1=3 /* INT meta=0 nullable=0 is_null=0 */\n### SET\n###   @1=4 /* INT meta=0 nullable=0 is_null=0 */\n\
# at 50\n#231114 22:13:20 server id 1  end_log_pos 60 \tXid = 3\n";
        let o = parse(s).unwrap();
        assert!(!o.has_table_metadata);
        assert_eq!(o.groups.len(), 1);
        assert_eq!(o.groups[0].events.len(), 2);
        assert_eq!(o.groups[0].rows.len(), 2);
        assert_eq!(o.groups[0].rows[1].table, "y");
        assert_eq!(
            o.groups[0].rows[1].before.as_ref().unwrap()[0].unsigned,
            None
        );
        assert_eq!(o.value_lines, 4);
    }

    #[test]
    fn column_line_splitting() {
        assert_eq!(split_column_line("INT NOT NULL"), vec!["INT NOT NULL"]);
        assert_eq!(
            split_column_line("`t` INVALID_TYPE(11)`dt` INVALID_TYPE(12)`ts` INVALID_TYPE(7)"),
            vec![
                "`t` INVALID_TYPE(11)",
                "`dt` INVALID_TYPE(12)",
                "`ts` INVALID_TYPE(7)"
            ]
        );
        assert!(column_is_unsigned("`biu` BIGINT UNSIGNED NOT NULL"));
        assert!(column_is_unsigned("DECIMAL(5,0) UNSIGNED"));
        assert!(!column_is_unsigned(
            "`e` ENUM('UNSIGNED','b') CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ));
        assert!(!column_is_unsigned("`UNSIGNED` INT"));
        assert!(!column_is_unsigned("TINYINT"));
    }
}
