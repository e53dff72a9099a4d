//! TABLE_MAP_EVENT: the table that the following rows events change, with its column types,
//! metadata and (optionally, `binlog_row_metadata=FULL`) names, signedness, charsets, ENUM/SET
//! values, primary key and geometry types.

use crate::column::{ColumnDef, ColumnType};
use crate::error::{Error, Result};
use crate::fde::Format;
use crate::nom_ext::{invalid, lenenc, lenenc_bytes, run, take_n, u16_, u32_, u48_, u8_};

/// A decoded TABLE_MAP_EVENT, borrowing from the event bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableMapEvent<'a> {
    /// Table id (valid until the table is closed; rows events refer to it).
    pub table_id: u64,
    /// Flags.
    pub flags: u16,
    /// Schema name.
    pub schema: &'a [u8],
    /// Table name.
    pub table: &'a [u8],
    /// Column type codes, one per column.
    pub column_types: &'a [u8],
    /// Packed per-column metadata.
    pub metadata: &'a [u8],
    /// Nullability bitmap (bit set = nullable).
    pub null_bitmap: &'a [u8],
    /// Optional metadata TLVs (may be empty).
    pub optional_metadata: &'a [u8],
    body: &'a [u8],
}

/// Optional metadata field types (`binlog_row_metadata`).
mod opt {
    pub const SIGNEDNESS: u8 = 1;
    pub const DEFAULT_CHARSET: u8 = 2;
    pub const COLUMN_CHARSET: u8 = 3;
    pub const COLUMN_NAME: u8 = 4;
    pub const SET_STR_VALUE: u8 = 5;
    pub const ENUM_STR_VALUE: u8 = 6;
    pub const GEOMETRY_TYPE: u8 = 7;
    pub const SIMPLE_PRIMARY_KEY: u8 = 8;
    pub const PRIMARY_KEY_WITH_PREFIX: u8 = 9;
    pub const ENUM_AND_SET_DEFAULT_CHARSET: u8 = 10;
    pub const ENUM_AND_SET_COLUMN_CHARSET: u8 = 11;
    #[allow(dead_code)]
    pub const COLUMN_VISIBILITY: u8 = 12;
}

impl<'a> TableMapEvent<'a> {
    pub(crate) fn parse(body: &'a [u8], fmt: &Format, code: u8) -> Result<Self> {
        let post = fmt.post_header_len(code, 8);
        let (_, ev) = run(body, |i| {
            let (i, table_id) = if post == 6 {
                let (i, v) = u32_("table id")(i)?;
                (i, u64::from(v))
            } else {
                u48_("table id")(i)?
            };
            let (i, flags) = u16_("table map flags")(i)?;
            let (i, n) = u8_("schema name length")(i)?;
            let (i, schema) = take_n(usize::from(n), "schema name")(i)?;
            let (i, _) = take_n(1, "schema name terminator")(i)?;
            let (i, n) = u8_("table name length")(i)?;
            let (i, table) = take_n(usize::from(n), "table name")(i)?;
            let (i, _) = take_n(1, "table name terminator")(i)?;
            let (i, cols) = lenenc("column count")(i)?;
            // One type byte per column: a count beyond the bytes left is a truncation, caught
            // here before anything is sized from it.
            let cols = usize::try_from(cols).unwrap_or(usize::MAX);
            let (i, column_types) = take_n(cols, "column types")(i)?;
            // Pre-GA 5.1 table maps (before 5.1.15) end here: no metadata, no null bitmap.
            if i.is_empty() {
                return Ok((
                    i,
                    TableMapEvent {
                        table_id,
                        flags,
                        schema,
                        table,
                        column_types,
                        metadata: i,
                        null_bitmap: i,
                        optional_metadata: i,
                        body,
                    },
                ));
            }
            let (i, metadata) = lenenc_bytes("column metadata")(i)?;
            let (i, null_bitmap) = take_n(cols.div_ceil(8), "null bitmap")(i)?;
            Ok((
                &i[i.len()..],
                TableMapEvent {
                    table_id,
                    flags,
                    schema,
                    table,
                    column_types,
                    metadata,
                    null_bitmap,
                    optional_metadata: i,
                    body,
                },
            ))
        })?;
        Ok(ev)
    }

    /// Number of columns.
    pub fn column_count(&self) -> usize {
        self.column_types.len()
    }

    /// Builds the owned table description (the decode plan of its rows).
    pub fn to_table_info(&self) -> Result<TableInfo> {
        let meta_off = (self.body.len()
            - self.optional_metadata.len()
            - self.null_bitmap.len()
            - self.metadata.len()) as u64;
        let mut columns = Vec::with_capacity(self.column_types.len());
        let mut m = self.metadata;
        for (idx, &code) in self.column_types.iter().enumerate() {
            let n = ColumnType::from_code(code).metadata_len();
            let pre_ga = self.metadata.is_empty() && self.null_bitmap.is_empty();
            let raw = if pre_ga {
                &[][..]
            } else {
                m.get(..n).unwrap_or(&[])
            };
            if !pre_ga && raw.len() < n {
                return Err(Error::truncated(
                    meta_off + (self.metadata.len() - m.len()) as u64,
                    "column metadata",
                    n as u64,
                    m.len() as u64,
                ));
            }
            m = &m[raw.len()..];
            let mut c = ColumnDef::from_table_map(code, raw);
            c.nullable = self
                .null_bitmap
                .get(idx / 8)
                .is_some_and(|b| b & (1 << (idx % 8)) != 0);
            columns.push(c);
        }
        let mut info = TableInfo {
            table_id: self.table_id,
            schema: self.schema.into(),
            table: self.table.into(),
            columns,
            column_names: Vec::new(),
            enum_values: Vec::new(),
            set_values: Vec::new(),
            geometry_types: Vec::new(),
            primary_key: Vec::new(),
            has_signedness: false,
            raw: self.body.into(),
        };
        let opt_off = (self.body.len() - self.optional_metadata.len()) as u64;
        info.apply_optional_metadata(self.optional_metadata)
            .map_err(|e| e.rebase(opt_off))?;
        Ok(info)
    }
}

/// An owned table description built from a TABLE_MAP: what decoding its rows needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    /// Table id.
    pub table_id: u64,
    /// Schema name.
    pub schema: Box<[u8]>,
    /// Table name.
    pub table: Box<[u8]>,
    /// One decode plan entry per column.
    pub columns: Vec<ColumnDef>,
    /// Column names (empty without `binlog_row_metadata=FULL`).
    pub column_names: Vec<Box<[u8]>>,
    /// Member names of each ENUM column, in column order (FULL metadata only).
    pub enum_values: Vec<Vec<Box<[u8]>>>,
    /// Member names of each SET column, in column order (FULL metadata only).
    pub set_values: Vec<Vec<Box<[u8]>>>,
    /// Geometry type of each GEOMETRY column (FULL metadata only).
    pub geometry_types: Vec<u64>,
    /// Primary key: (column index, prefix length or 0).
    pub primary_key: Vec<(u32, u32)>,
    /// True when the table map carried signedness metadata.
    pub has_signedness: bool,
    raw: Box<[u8]>,
}

impl TableInfo {
    /// True when `ev` describes exactly this table (same bytes): its plan can be reused.
    pub fn same_as(&self, ev: &TableMapEvent<'_>) -> bool {
        *self.raw == *ev.body
    }

    /// Schema and table as text (lossy).
    pub fn name(&self) -> (String, String) {
        (
            String::from_utf8_lossy(&self.schema).into_owned(),
            String::from_utf8_lossy(&self.table).into_owned(),
        )
    }

    fn apply_optional_metadata(&mut self, mut tlv: &[u8]) -> Result<()> {
        let total = tlv.len();
        while !tlv.is_empty() {
            let at = (total - tlv.len()) as u64;
            let (rest, (ty, value)) = run(tlv, |i| {
                let (i, ty) = u8_("optional metadata type")(i)?;
                let (i, v) = lenenc_bytes("optional metadata field")(i)?;
                Ok((i, (ty, v)))
            })
            .map_err(|e| e.rebase(at))?;
            let value_at = at + (tlv.len() - rest.len() - value.len()) as u64;
            self.apply_field(ty, value)
                .map_err(|e| e.rebase(value_at))?;
            tlv = rest;
        }
        Ok(())
    }

    fn apply_field(&mut self, ty: u8, v: &[u8]) -> Result<()> {
        let character: Vec<usize> = self.indexes(|c| c.col_type.is_character());
        let enum_set: Vec<usize> =
            self.indexes(|c| matches!(c.col_type, ColumnType::Enum | ColumnType::Set));
        match ty {
            opt::SIGNEDNESS => {
                self.has_signedness = true;
                let numeric = self.indexes(|c| c.col_type.is_numeric());
                for (n, idx) in numeric.into_iter().enumerate() {
                    let bit = v.get(n / 8).is_some_and(|b| b & (0x80 >> (n % 8)) != 0);
                    self.columns[idx].unsigned = bit;
                }
            }
            opt::DEFAULT_CHARSET | opt::ENUM_AND_SET_DEFAULT_CHARSET => {
                let cols = if ty == opt::DEFAULT_CHARSET {
                    &character
                } else {
                    &enum_set
                };
                let (mut i, default) = run(v, lenenc("default charset"))?;
                for &c in cols {
                    self.columns[c].charset = Some(default as u32);
                }
                while !i.is_empty() {
                    let at = (v.len() - i.len()) as u64;
                    let (j, (idx, cs)) = run(i, |k| {
                        let (k, idx) = lenenc("charset column index")(k)?;
                        let (k, cs) = lenenc("column charset")(k)?;
                        Ok((k, (idx, cs)))
                    })
                    .map_err(|e| e.rebase(at))?;
                    let col = cols
                        .get(idx as usize)
                        .copied()
                        .ok_or_else(|| Error::invalid(at, "charset column index", idx))?;
                    self.columns[col].charset = Some(cs as u32);
                    i = j;
                }
            }
            opt::COLUMN_CHARSET | opt::ENUM_AND_SET_COLUMN_CHARSET => {
                let cols = if ty == opt::COLUMN_CHARSET {
                    &character
                } else {
                    &enum_set
                };
                let mut i = v;
                for &c in cols {
                    let at = (v.len() - i.len()) as u64;
                    let (j, cs) = run(i, lenenc("column charset")).map_err(|e| e.rebase(at))?;
                    self.columns[c].charset = Some(cs as u32);
                    i = j;
                }
            }
            opt::COLUMN_NAME => {
                let mut i = v;
                let mut names = Vec::with_capacity(self.columns.len());
                while !i.is_empty() && names.len() < self.columns.len() {
                    let at = (v.len() - i.len()) as u64;
                    let (j, name) =
                        run(i, lenenc_bytes("column name")).map_err(|e| e.rebase(at))?;
                    names.push(name.into());
                    i = j;
                }
                self.column_names = names;
            }
            opt::SET_STR_VALUE | opt::ENUM_STR_VALUE => {
                let mut i = v;
                let mut all = Vec::new();
                while !i.is_empty() {
                    let at = (v.len() - i.len()) as u64;
                    let (j, members) = run(i, |k| {
                        let (mut k, n) = lenenc("member count")(k)?;
                        if n > k.len() as u64 {
                            return invalid(k, "member count", n);
                        }
                        let mut m = Vec::with_capacity(n as usize);
                        for _ in 0..n {
                            let (l, s) = lenenc_bytes("member name")(k)?;
                            m.push(Box::<[u8]>::from(s));
                            k = l;
                        }
                        Ok((k, m))
                    })
                    .map_err(|e| e.rebase(at))?;
                    all.push(members);
                    i = j;
                }
                if ty == opt::SET_STR_VALUE {
                    self.set_values = all;
                } else {
                    self.enum_values = all;
                }
            }
            opt::GEOMETRY_TYPE => {
                let mut i = v;
                while !i.is_empty() {
                    let at = (v.len() - i.len()) as u64;
                    let (j, g) = run(i, lenenc("geometry type")).map_err(|e| e.rebase(at))?;
                    self.geometry_types.push(g);
                    i = j;
                }
            }
            opt::SIMPLE_PRIMARY_KEY | opt::PRIMARY_KEY_WITH_PREFIX => {
                let mut i = v;
                while !i.is_empty() {
                    let at = (v.len() - i.len()) as u64;
                    let (j, (c, p)) = run(i, |k| {
                        let (k, c) = lenenc("primary key column")(k)?;
                        if ty == opt::SIMPLE_PRIMARY_KEY {
                            return Ok((k, (c, 0)));
                        }
                        let (k, p) = lenenc("primary key prefix")(k)?;
                        Ok((k, (c, p)))
                    })
                    .map_err(|e| e.rebase(at))?;
                    self.primary_key.push((c as u32, p as u32));
                    i = j;
                }
            }
            // COLUMN_VISIBILITY (opt 12) and types of newer servers: nothing decoding needs.
            _ => {}
        }
        Ok(())
    }

    fn indexes(&self, f: impl Fn(&ColumnDef) -> bool) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| f(c))
            .map(|(i, _)| i)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fde::{ChecksumAlg, Flavor};

    fn body() -> Vec<u8> {
        let mut b = vec![0x2a, 0, 0, 0, 0, 0, 1, 0];
        b.extend_from_slice(&[4, b't', b'e', b's', b't', 0, 1, b't', 0]);
        // 3 columns: INT, VARCHAR(300), ENUM (STRING with real type ENUM, 1 byte)
        b.extend_from_slice(&[3, 3, 15, 254]);
        b.extend_from_slice(&[4, 0x2c, 0x01, 0xf7, 1]);
        b.push(0b110);
        // signedness: first numeric column unsigned
        b.extend_from_slice(&[1, 1, 0x80]);
        // default charset 45, column 0 (the VARCHAR) -> 63
        b.extend_from_slice(&[2, 3, 45, 0, 63]);
        // enum/set default charset 8
        b.extend_from_slice(&[10, 1, 8]);
        // names
        b.extend_from_slice(&[4, 6, 1, b'a', 1, b'b', 1, b'c']);
        // enum values
        b.extend_from_slice(&[6, 5, 2, 1, b'x', 1, b'y']);
        // primary key
        b.extend_from_slice(&[8, 1, 0]);
        b
    }

    #[test]
    fn full_metadata() {
        let b = body();
        let fmt = Format::assumed(Flavor::MySql, ChecksumAlg::Off);
        let ev = TableMapEvent::parse(&b, &fmt, 19).unwrap();
        assert_eq!(ev.table_id, 42);
        assert_eq!(ev.schema, b"test");
        let t = ev.to_table_info().unwrap();
        assert_eq!(t.columns[0].col_type, ColumnType::Long);
        assert!(t.columns[0].unsigned);
        assert!(!t.columns[0].nullable);
        assert_eq!(
            (t.columns[1].col_type, t.columns[1].meta),
            (ColumnType::VarChar, 300)
        );
        assert_eq!(t.columns[1].charset, Some(63));
        assert_eq!(
            (t.columns[2].col_type, t.columns[2].meta),
            (ColumnType::Enum, 1)
        );
        assert_eq!(t.columns[2].charset, Some(8));
        assert_eq!(
            t.column_names,
            vec![
                Box::from(&b"a"[..]),
                Box::from(&b"b"[..]),
                Box::from(&b"c"[..])
            ]
        );
        assert_eq!(
            t.enum_values,
            vec![vec![Box::from(&b"x"[..]), Box::from(&b"y"[..])]]
        );
        assert_eq!(t.primary_key, vec![(0, 0)]);
        assert!(t.same_as(&ev));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let b = body();
        let fmt = Format::assumed(Flavor::MySql, ChecksumAlg::Off);
        for cut in 0..b.len() {
            if let Ok(ev) = TableMapEvent::parse(&b[..cut], &fmt, 19) {
                // Cuts inside the optional metadata parse the fixed part; the TLVs then fail
                // or are shorter, never panic.
                let _ = ev.to_table_info();
            }
        }
        assert!(TableMapEvent::parse(&b[..20], &fmt, 19)
            .unwrap_err()
            .is_truncated());
    }
}
