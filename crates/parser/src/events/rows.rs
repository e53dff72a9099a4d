//! Rows events: WRITE/UPDATE/DELETE_ROWS v0 (pre-GA), v1 and v2, PARTIAL_UPDATE_ROWS (JSON
//! diffs) and MariaDB's compressed rows events, with the row images they carry.
//!
//! Decoding a row image needs the TABLE_MAP of the table: the [`Decoder`] attaches it
//! ([`RowsEvent::table`]). Rows are read with a [`RowReader`] into reusable [`Row`] buffers,
//! so decoding allocates nothing per row or per value once the buffers have grown.

use crate::column::ColumnType;
use crate::decoder::Decoder;
use crate::error::{Error, ErrorKind, Result};
use crate::events::mariadb::uncompress;
use crate::events::table_map::TableInfo;
use crate::fde::Format;
use crate::header::EventType;
use crate::nom_ext::{invalid, lenenc, run, take_n, u16_, u32_, u48_};
use crate::value::{decode_json_diffs, decode_value, Value};
use std::borrow::Cow;
use std::sync::Arc;

/// What a rows event does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowsKind {
    /// INSERT: after images only.
    Write,
    /// UPDATE: before and after images.
    Update,
    /// DELETE: before images only.
    Delete,
    /// UPDATE with JSON partial updates (MySQL 8.0 `binlog_row_value_options=PARTIAL_JSON`).
    PartialUpdate,
}

/// Rows event flag: the last rows event of a statement.
pub const STMT_END_F: u16 = 1;

/// A rows event, borrowing from the event bytes (or owning its rows when it was compressed).
#[derive(Debug, Clone)]
pub struct RowsEvent<'a> {
    /// What the event does.
    pub kind: RowsKind,
    /// Table id (see the TABLE_MAP before it).
    pub table_id: u64,
    /// Flags (`STMT_END_F`, ...).
    pub flags: u16,
    /// v2 extra data (without its length).
    pub extra_data: &'a [u8],
    /// Number of columns.
    pub column_count: usize,
    /// Bitmap of the columns present in before images (after images for WRITE).
    pub columns_before: &'a [u8],
    /// Bitmap of the columns present in after images (UPDATE only; same as `columns_before`
    /// otherwise).
    pub columns_after: &'a [u8],
    /// The row images (decompressed for MariaDB's compressed rows events).
    pub rows_data: Cow<'a, [u8]>,
    /// Offset of the row images in the body (of the compressed block when compressed).
    pub rows_offset: usize,
    /// The table, when its TABLE_MAP was seen.
    pub table: Option<Arc<TableInfo>>,
    /// Pre-GA (5.1 beta, "v0") row images: their null bitmap is the table record's, whose
    /// first bit is MyISAM's delete mark, so column `n` is bit `n + 1`.
    pub pre_ga: bool,
}

impl<'a> RowsEvent<'a> {
    pub(crate) fn parse(
        body: &'a [u8],
        fmt: &Format,
        ty: EventType,
        code: u8,
        dec: &Decoder,
    ) -> Result<Self> {
        use EventType::*;
        let kind = match ty {
            PreGaWriteRows
            | WriteRowsV1
            | WriteRows
            | MariaWriteRowsCompressedV1
            | MariaWriteRowsCompressed => RowsKind::Write,
            PreGaUpdateRows
            | UpdateRowsV1
            | UpdateRows
            | MariaUpdateRowsCompressedV1
            | MariaUpdateRowsCompressed => RowsKind::Update,
            PartialUpdateRows => RowsKind::PartialUpdate,
            _ => RowsKind::Delete,
        };
        let v2 = matches!(
            ty,
            WriteRows
                | UpdateRows
                | DeleteRows
                | PartialUpdateRows
                | MariaWriteRowsCompressed
                | MariaUpdateRowsCompressed
                | MariaDeleteRowsCompressed
        );
        let compressed = matches!(
            ty,
            MariaWriteRowsCompressedV1
                | MariaUpdateRowsCompressedV1
                | MariaDeleteRowsCompressedV1
                | MariaWriteRowsCompressed
                | MariaUpdateRowsCompressed
                | MariaDeleteRowsCompressed
        );
        let post = fmt.post_header_len(code, if v2 { 10 } else { 8 });
        // Pre-GA UPDATE events have one columns bitmap for both images.
        let pre_ga = matches!(ty, PreGaWriteRows | PreGaUpdateRows | PreGaDeleteRows);
        let two_bitmaps = matches!(kind, RowsKind::Update | RowsKind::PartialUpdate) && !pre_ga;
        let (rows, (table_id, flags, extra_data, column_count, columns_before, columns_after)) =
            run(body, |i| {
                let (i, table_id) = if post == 6 {
                    let (i, v) = u32_("table id")(i)?;
                    (i, u64::from(v))
                } else {
                    u48_("table id")(i)?
                };
                let (i, flags) = u16_("rows flags")(i)?;
                let (i, extra) = if v2 {
                    let (i, n) = u16_("extra data length")(i)?;
                    if n < 2 {
                        return invalid(i, "extra data length", u64::from(n));
                    }
                    take_n(usize::from(n) - 2, "extra data")(i)?
                } else {
                    (i, &i[..0])
                };
                let (i, width) = lenenc("column count")(i)?;
                // A count beyond the bitmap bytes left fails as a truncated bitmap below;
                // nothing is sized from it before `rows()` checks it against the table map.
                let width = usize::try_from(width).unwrap_or(usize::MAX);
                let (i, before) = take_n(width.div_ceil(8), "columns bitmap")(i)?;
                let (i, after) = if two_bitmaps {
                    take_n(width.div_ceil(8), "after-image columns bitmap")(i)?
                } else {
                    (i, before)
                };
                Ok((i, (table_id, flags, extra, width, before, after)))
            })?;
        let rows_offset = body.len() - rows.len();
        let rows_data = if compressed {
            Cow::Owned(
                uncompress(rows, "compressed rows", dec.options().max_decompressed_size)
                    .map_err(|e| e.rebase(rows_offset as u64))?,
            )
        } else {
            Cow::Borrowed(rows)
        };
        Ok(RowsEvent {
            kind,
            table_id,
            flags,
            extra_data,
            column_count,
            columns_before,
            columns_after,
            rows_data,
            rows_offset,
            table: dec.tables().get(&table_id).cloned(),
            pre_ga,
        })
    }

    /// A reader over the rows. Fails when the table map is missing or does not fit the event.
    pub fn rows(&self) -> Result<RowReader<'_>> {
        let table = self.table.as_deref().ok_or_else(|| {
            Error::new(
                0,
                ErrorKind::NoTableMap {
                    table_id: self.table_id,
                },
            )
        })?;
        if self.column_count > table.columns.len() {
            return Err(Error::invalid(
                0,
                "rows event column count",
                self.column_count as u64,
            ));
        }
        let present = |bitmap: &[u8]| -> Vec<u32> {
            (0..self.column_count)
                .filter(|&i| bitmap.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0))
                .map(|i| i as u32)
                .collect()
        };
        let before = present(self.columns_before);
        let after = if matches!(self.kind, RowsKind::Update | RowsKind::PartialUpdate) {
            present(self.columns_after)
        } else {
            before.clone()
        };
        Ok(RowReader {
            data: &self.rows_data,
            pos: 0,
            base: self.rows_offset as u64,
            kind: self.kind,
            table,
            before,
            after,
            null_shift: usize::from(self.pre_ga),
        })
    }
}

/// One row image: the values of the columns present in it, in column order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Image<'r> {
    /// (0-based column index, value).
    pub cells: Vec<(u32, Value<'r>)>,
    /// JSON partial updates (PARTIAL_UPDATE_ROWS after images): (column index, the stored
    /// diff vector with its 4-byte length, validated; iterate it with
    /// [`crate::value::decode_json_diffs`]).
    pub json_diffs: Vec<(u32, &'r [u8])>,
}

impl Image<'_> {
    fn clear(&mut self) {
        self.cells.clear();
        self.json_diffs.clear();
    }
}

/// One row: before image (UPDATE, DELETE) and after image (WRITE, UPDATE).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row<'r> {
    /// Before image, when the event has one.
    pub before: Option<Image<'r>>,
    /// After image, when the event has one.
    pub after: Option<Image<'r>>,
}

impl<'r> Row<'r> {
    /// Empties the row and hands its buffers to a row of another event: decoding the next
    /// event reuses the memory instead of allocating.
    pub fn recycle<'b>(self) -> Row<'b> {
        fn image<'b>(i: Option<Image<'_>>) -> Option<Image<'b>> {
            i.map(|i| Image {
                cells: reuse(i.cells),
                json_diffs: reuse(i.json_diffs),
            })
        }
        Row {
            before: image(self.before),
            after: image(self.after),
        }
    }
}

/// An empty vector of another element type in the same allocation (the element types differ
/// only in lifetimes, so the in-place collect keeps the buffer).
fn reuse<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

/// Reads the rows of a [`RowsEvent`] one at a time into reusable buffers.
#[derive(Debug, Clone)]
pub struct RowReader<'r> {
    data: &'r [u8],
    pos: usize,
    base: u64,
    kind: RowsKind,
    table: &'r TableInfo,
    before: Vec<u32>,
    after: Vec<u32>,
    null_shift: usize,
}

/// `binlog_row_value_options` bit: PARTIAL_JSON_UPDATES.
const PARTIAL_JSON_UPDATES: u64 = 1;

impl<'r> RowReader<'r> {
    /// The table the rows belong to.
    pub fn table(&self) -> &'r TableInfo {
        self.table
    }

    /// Reads the next row into `row` (reusing its buffers). Returns false after the last row.
    /// Errors carry offsets relative to the event body.
    pub fn next_row(&mut self, row: &mut Row<'r>) -> Result<bool> {
        if self.pos >= self.data.len() {
            return Ok(false);
        }
        let (has_before, has_after) = match self.kind {
            RowsKind::Write => (false, true),
            RowsKind::Delete => (true, false),
            RowsKind::Update | RowsKind::PartialUpdate => (true, true),
        };
        let take = |slot: &mut Option<Image<'r>>, wanted: bool| -> Option<Image<'r>> {
            let mut img = slot.take().unwrap_or_default();
            img.clear();
            wanted.then_some(img)
        };
        let mut before = take(&mut row.before, has_before);
        let mut after = take(&mut row.after, has_after);
        let result: Result<usize> = (|| {
            let mut pos = self.pos;
            if let Some(img) = before.as_mut() {
                pos = read_image(
                    self.data,
                    pos,
                    self.table,
                    &self.before,
                    false,
                    self.null_shift,
                    img,
                )?;
            }
            if let Some(img) = after.as_mut() {
                let partial = self.kind == RowsKind::PartialUpdate;
                pos = read_image(
                    self.data,
                    pos,
                    self.table,
                    &self.after,
                    partial,
                    self.null_shift,
                    img,
                )?;
            }
            Ok(pos)
        })();
        row.before = before;
        row.after = after;
        match result {
            // A row whose images have no columns takes no bytes: it would repeat forever.
            Ok(pos) if pos == self.pos => {
                let at = self.pos as u64;
                self.pos = self.data.len();
                Err(Error::invalid(at, "row image without columns", 0).rebase(self.base))
            }
            Ok(pos) => {
                self.pos = pos;
                Ok(true)
            }
            Err(e) => {
                self.pos = self.data.len();
                Err(e.rebase(self.base))
            }
        }
    }
}

/// Decodes one image starting at `pos` of `data`; returns the position after it.
/// `present`: indexes of the columns in the image. `partial`: PARTIAL_UPDATE_ROWS after image.
#[inline]
fn read_image<'r>(
    data: &'r [u8],
    mut pos: usize,
    table: &TableInfo,
    present: &[u32],
    partial: bool,
    null_shift: usize,
    img: &mut Image<'r>,
) -> Result<usize> {
    let mut partial_bits: &[u8] = &[];
    if partial {
        let (rest, opts) =
            run(&data[pos..], lenenc("value options")).map_err(|e| e.rebase(pos as u64))?;
        pos = data.len() - rest.len();
        if opts & PARTIAL_JSON_UPDATES != 0 {
            // One bit per JSON column of the table, present in the image or not (as MySQL's
            // `unpack_row` reads it).
            let json_cols = table
                .columns
                .iter()
                .filter(|c| c.col_type == ColumnType::Json)
                .count();
            let n = json_cols.div_ceil(8);
            partial_bits = data.get(pos..pos + n).ok_or_else(|| {
                Error::truncated(
                    pos as u64,
                    "partial JSON bitmap",
                    n as u64,
                    (data.len() - pos) as u64,
                )
            })?;
            pos += n;
        }
    }
    let nbytes = (present.len() + null_shift).div_ceil(8);
    let nulls = data.get(pos..pos + nbytes).ok_or_else(|| {
        Error::truncated(
            pos as u64,
            "null bitmap",
            nbytes as u64,
            (data.len() - pos) as u64,
        )
    })?;
    pos += nbytes;
    for (n, &c) in present.iter().enumerate() {
        let col = &table.columns[c as usize];
        let bit = n + null_shift;
        if nulls[bit / 8] & (1 << (bit % 8)) != 0 {
            img.cells.push((c, Value::Null));
            continue;
        }
        if !partial_bits.is_empty() && col.col_type == ColumnType::Json {
            let json_idx = table.columns[..c as usize]
                .iter()
                .filter(|c| c.col_type == ColumnType::Json)
                .count();
            if partial_bits
                .get(json_idx / 8)
                .is_some_and(|b| b & (1 << (json_idx % 8)) != 0)
            {
                let (_, used) =
                    decode_json_diffs(&data[pos..]).map_err(|e| e.rebase(pos as u64))?;
                img.json_diffs.push((c, &data[pos..pos + used]));
                pos += used;
                continue;
            }
        }
        let (v, used) = decode_value(col, &data[pos..]).map_err(|e| e.rebase(pos as u64))?;
        img.cells.push((c, v));
        pos += used;
    }
    Ok(pos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventData;
    use crate::fde::{ChecksumAlg, Flavor};
    use crate::value::JsonDiffOp;

    fn event(code: u8, body: &[u8]) -> Vec<u8> {
        let size = (19 + body.len()) as u32;
        let mut e = vec![0, 0, 0, 0, code, 1, 0, 0, 0];
        e.extend_from_slice(&size.to_le_bytes());
        e.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        e.extend_from_slice(body);
        e
    }

    /// A table (INT, JSON, INT, JSON) whose PARTIAL_UPDATE_ROWS after image holds columns 3
    /// and 4 only: the partial bitmap has one bit per JSON column of the table, and column 4
    /// is the second JSON column (bit 1), as MySQL's `unpack_row` reads it.
    #[test]
    fn partial_json_bit_counts_every_json_column_of_the_table() {
        let mut dec = Decoder::with_format(Format::assumed(Flavor::MySql, ChecksumAlg::Off));
        let mut tm = vec![
            7, 0, 0, 0, 0, 0, 1, 0, 1, b'd', 0, 1, b't', 0, 4, 3, 245, 3, 245,
        ];
        tm.extend_from_slice(&[2, 4, 4, 0x0f]);
        dec.decode(4, &event(19, &tm)).unwrap();

        let mut body = vec![7, 0, 0, 0, 0, 0, 1, 0, 2, 0, 4, 0b0001, 0b1100];
        body.extend_from_slice(&[0, 1, 0, 0, 0]); // before: no NULL, col 1 = 1
        body.extend_from_slice(&[1, 0b10, 0]); // value options, partial bits, null bitmap
        body.extend_from_slice(&[5, 0, 0, 0]); // col 3 = 5
        let diff = [0u8, 3, b'$', b'.', b'a', 3, 5, 7, 0];
        body.extend_from_slice(&(diff.len() as u32).to_le_bytes());
        body.extend_from_slice(&diff);
        let raw = event(39, &body);
        let ev = dec.decode(100, &raw).unwrap();
        let EventData::Rows(r) = &ev.data else {
            panic!("not rows")
        };
        let mut reader = r.rows().unwrap();
        let mut row = Row::default();
        assert!(reader.next_row(&mut row).unwrap());
        assert_eq!(
            row.before.as_ref().unwrap().cells,
            vec![(0, Value::Signed(1))]
        );
        let after = row.after.as_ref().unwrap();
        assert_eq!(after.cells, vec![(2, Value::Signed(5))]);
        assert_eq!(after.json_diffs.len(), 1);
        let (col, bytes) = after.json_diffs[0];
        assert_eq!(col, 3);
        let (diffs, used) = crate::value::decode_json_diffs(bytes).unwrap();
        assert_eq!(used, bytes.len());
        let d = diffs.iter().next().unwrap();
        assert_eq!((d.op, d.path), (JsonDiffOp::Replace, "$.a"));
        assert_eq!(d.value.unwrap().to_string(), "7");
        assert!(!reader.next_row(&mut row).unwrap());
    }

    /// Every truncation of a rows body is a typed error, never a panic.
    #[test]
    fn truncated_rows_are_errors() {
        let mut dec = Decoder::with_format(Format::assumed(Flavor::MySql, ChecksumAlg::Off));
        let tm = [
            7, 0, 0, 0, 0, 0, 1, 0, 1, b'd', 0, 1, b't', 0, 2, 3, 15, 2, 0x2c, 1, 0x03,
        ];
        dec.decode(4, &event(19, &tm)).unwrap();
        let mut body = vec![7, 0, 0, 0, 0, 0, 1, 0, 2, 0b11];
        body.extend_from_slice(&[0, 9, 0, 0, 0, 2, 0, b'h', b'i']);
        for cut in 0..body.len() {
            let raw = event(23, &body[..cut]);
            match dec.decode(100, &raw) {
                Err(e) => assert!(e.is_truncated(), "cut {cut}: {e}"),
                Ok(ev) => {
                    let EventData::Rows(r) = &ev.data else {
                        panic!("not rows")
                    };
                    let mut reader = r.rows().unwrap();
                    let mut row = Row::default();
                    let res = reader.next_row(&mut row);
                    assert!(res.is_err() || cut == 10, "cut {cut}: {res:?}");
                }
            }
        }
        let raw = event(23, &body);
        let ev = dec.decode(100, &raw).unwrap();
        let EventData::Rows(r) = &ev.data else {
            panic!("not rows")
        };
        let mut reader = r.rows().unwrap();
        let mut row = Row::default();
        assert!(reader.next_row(&mut row).unwrap());
        assert_eq!(
            row.after.unwrap().cells,
            vec![(0, Value::Signed(9)), (1, Value::Bytes(b"hi"))]
        );
    }
}
