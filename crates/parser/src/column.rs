//! Column types and per-column metadata, as a TABLE_MAP event describes them.

/// MySQL/MariaDB column type codes (`enum_field_types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnType {
    /// DECIMAL before 5.0 (type 0).
    Decimal,
    /// TINYINT.
    Tiny,
    /// SMALLINT.
    Short,
    /// INT.
    Long,
    /// FLOAT.
    Float,
    /// DOUBLE.
    Double,
    /// NULL.
    Null,
    /// TIMESTAMP before 5.6.4 (4-byte seconds).
    Timestamp,
    /// BIGINT.
    LongLong,
    /// MEDIUMINT.
    Int24,
    /// DATE (3 bytes).
    Date,
    /// TIME before 5.6.4 (3 bytes).
    Time,
    /// DATETIME before 5.6.4 (8 bytes).
    DateTime,
    /// YEAR.
    Year,
    /// NEWDATE (internal).
    NewDate,
    /// VARCHAR / VARBINARY.
    VarChar,
    /// BIT.
    Bit,
    /// TIMESTAMP with fractional seconds (5.6.4+).
    Timestamp2,
    /// DATETIME with fractional seconds (5.6.4+).
    DateTime2,
    /// TIME with fractional seconds (5.6.4+).
    Time2,
    /// Typed array (multi-valued index internals, MySQL 8.0).
    TypedArray,
    /// VECTOR (MySQL 9.0+).
    Vector,
    /// MariaDB `BLOB`/`TEXT ... COMPRESSED` (140).
    BlobCompressed,
    /// MariaDB `VARCHAR ... COMPRESSED` (141).
    VarCharCompressed,
    /// BOOL (internal).
    Bool,
    /// JSON (MySQL binary JSON; MariaDB logs JSON as a BLOB of text).
    Json,
    /// DECIMAL (5.0+ binary format).
    NewDecimal,
    /// ENUM.
    Enum,
    /// SET.
    Set,
    /// TINYBLOB / TINYTEXT.
    TinyBlob,
    /// MEDIUMBLOB / MEDIUMTEXT.
    MediumBlob,
    /// LONGBLOB / LONGTEXT.
    LongBlob,
    /// BLOB / TEXT (every size in a TABLE_MAP: the metadata gives the length width).
    Blob,
    /// VAR_STRING (old VARCHAR).
    VarString,
    /// CHAR / BINARY, and ENUM/SET in a TABLE_MAP (real type in the metadata).
    String,
    /// GEOMETRY.
    Geometry,
    /// A type code this crate does not know.
    Unknown(u8),
}

impl ColumnType {
    /// The type for a type code.
    pub fn from_code(c: u8) -> ColumnType {
        use ColumnType::*;
        match c {
            0 => Decimal,
            1 => Tiny,
            2 => Short,
            3 => Long,
            4 => Float,
            5 => Double,
            6 => Null,
            7 => Timestamp,
            8 => LongLong,
            9 => Int24,
            10 => Date,
            11 => Time,
            12 => DateTime,
            13 => Year,
            14 => NewDate,
            15 => VarChar,
            16 => Bit,
            17 => Timestamp2,
            18 => DateTime2,
            19 => Time2,
            20 => TypedArray,
            140 => BlobCompressed,
            141 => VarCharCompressed,
            242 => Vector,
            244 => Bool,
            245 => Json,
            246 => NewDecimal,
            247 => Enum,
            248 => Set,
            249 => TinyBlob,
            250 => MediumBlob,
            251 => LongBlob,
            252 => Blob,
            253 => VarString,
            254 => String,
            255 => Geometry,
            other => Unknown(other),
        }
    }

    /// The type code.
    pub fn code(self) -> u8 {
        use ColumnType::*;
        match self {
            Decimal => 0,
            Tiny => 1,
            Short => 2,
            Long => 3,
            Float => 4,
            Double => 5,
            Null => 6,
            Timestamp => 7,
            LongLong => 8,
            Int24 => 9,
            Date => 10,
            Time => 11,
            DateTime => 12,
            Year => 13,
            NewDate => 14,
            VarChar => 15,
            Bit => 16,
            Timestamp2 => 17,
            DateTime2 => 18,
            Time2 => 19,
            TypedArray => 20,
            BlobCompressed => 140,
            VarCharCompressed => 141,
            Vector => 242,
            Bool => 244,
            Json => 245,
            NewDecimal => 246,
            Enum => 247,
            Set => 248,
            TinyBlob => 249,
            MediumBlob => 250,
            LongBlob => 251,
            Blob => 252,
            VarString => 253,
            String => 254,
            Geometry => 255,
            Unknown(c) => c,
        }
    }

    /// How many metadata bytes a TABLE_MAP stores for a column of this type.
    pub fn metadata_len(self) -> usize {
        use ColumnType::*;
        match self {
            Float | Double | Blob | TinyBlob | MediumBlob | LongBlob | Geometry | Json | Vector
            | Timestamp2 | DateTime2 | Time2 | BlobCompressed => 1,
            VarChar | VarString | Bit | NewDecimal | String | Enum | Set | Decimal
            | VarCharCompressed => 2,
            TypedArray => 1,
            _ => 0,
        }
    }

    /// True for the integer types (the ones the signedness metadata covers).
    pub fn is_numeric(self) -> bool {
        use ColumnType::*;
        matches!(
            self,
            Tiny | Short | Int24 | Long | LongLong | Float | Double | NewDecimal | Decimal
        )
    }

    /// True for the types the charset metadata of a TABLE_MAP covers, in the servers' order:
    /// strings and BLOB/TEXT, GEOMETRY (a BLOB underneath), MySQL 9's VECTOR and MariaDB's
    /// COMPRESSED columns (seen in real table maps: their charset entries count them).
    pub fn is_character(self) -> bool {
        use ColumnType::*;
        matches!(
            self,
            VarChar
                | VarString
                | String
                | Blob
                | TinyBlob
                | MediumBlob
                | LongBlob
                | Geometry
                | Vector
                | BlobCompressed
                | VarCharCompressed
        )
    }
}

/// Charset/collation id 63: `binary` (BINARY, VARBINARY, BLOB).
pub const BINARY_CHARSET: u32 = 63;

/// Everything needed to decode one column of a row image: the decode plan of one column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDef {
    /// The type as it is stored in the row (for CHAR-encoded ENUM/SET this is `Enum`/`Set`).
    pub col_type: ColumnType,
    /// Normalized metadata:
    /// - FLOAT/DOUBLE: pack length; BLOB/GEOMETRY/JSON/VECTOR: bytes of the length prefix;
    ///   TIME2/DATETIME2/TIMESTAMP2: fractional-second precision (0–6);
    /// - VARCHAR/VAR_STRING: maximum length in bytes (the prefix is 1 byte below 256, else 2);
    /// - BIT: `bytes << 8 | bits` where the width is `bytes * 8 + bits`;
    /// - NEWDECIMAL: `precision << 8 | scale`;
    /// - STRING: maximum length in bytes (the real type is already resolved into `col_type`);
    /// - ENUM/SET: pack length in bytes.
    pub meta: u16,
    /// The column is UNSIGNED (from the signedness metadata; false when unknown).
    pub unsigned: bool,
    /// Collation id when the table map carries charset metadata.
    pub charset: Option<u32>,
    /// The column may be NULL.
    pub nullable: bool,
}

impl ColumnDef {
    /// Builds a column definition from a TABLE_MAP type code and its raw metadata bytes
    /// (`metadata_len()` bytes, in table-map order). Resolves the real type of STRING columns
    /// (CHAR, ENUM, SET) and the >255-byte CHAR length encoding.
    pub fn from_table_map(type_code: u8, raw_meta: &[u8]) -> ColumnDef {
        let t = ColumnType::from_code(type_code);
        if raw_meta.is_empty() {
            // Pre-GA 5.1 table maps carry no metadata: CHAR values then have a 1-byte length.
            return ColumnDef {
                col_type: t,
                meta: 0,
                unsigned: false,
                charset: None,
                nullable: true,
            };
        }
        let b0 = u16::from(raw_meta.first().copied().unwrap_or(0));
        let b1 = u16::from(raw_meta.get(1).copied().unwrap_or(0));
        let (col_type, meta) = match t {
            ColumnType::VarChar | ColumnType::VarString | ColumnType::VarCharCompressed => {
                (t, b0 | b1 << 8)
            }
            ColumnType::Bit => (t, b1 << 8 | b0),
            ColumnType::NewDecimal | ColumnType::Decimal => (t, b0 << 8 | b1),
            ColumnType::String | ColumnType::Enum | ColumnType::Set => {
                // byte 0: real type (with two bits of a >255 length folded in), byte 1: length.
                let (real, len) = if b0 & 0x30 != 0x30 {
                    (b0 | 0x30, b1 | (((b0 & 0x30) ^ 0x30) << 4))
                } else {
                    (b0, b1)
                };
                match ColumnType::from_code(real as u8) {
                    ColumnType::Enum => (ColumnType::Enum, len),
                    ColumnType::Set => (ColumnType::Set, len),
                    _ if t == ColumnType::String => (ColumnType::String, len),
                    other => (other, len),
                }
            }
            _ => (t, b0),
        };
        ColumnDef {
            col_type,
            meta,
            unsigned: false,
            charset: None,
            nullable: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_meta_resolves_real_type() {
        // CHAR(10) utf8mb4: real type 0xfe, length 40.
        let c = ColumnDef::from_table_map(254, &[0xfe, 40]);
        assert_eq!((c.col_type, c.meta), (ColumnType::String, 40));
        // ENUM with 2-byte pack length.
        let c = ColumnDef::from_table_map(254, &[0xf7, 2]);
        assert_eq!((c.col_type, c.meta), (ColumnType::Enum, 2));
        // SET, 8 bytes.
        let c = ColumnDef::from_table_map(254, &[0xf8, 8]);
        assert_eq!((c.col_type, c.meta), (ColumnType::Set, 8));
        // CHAR(255) utf8mb4 = 1020 bytes: 1020 = 0x3fc; folded bits ((0x300 >> 4) ^ 0x30) = 0x00.
        let c = ColumnDef::from_table_map(254, &[0xfe ^ 0x30, 0xfc]);
        assert_eq!((c.col_type, c.meta), (ColumnType::String, 1020));
    }

    #[test]
    fn varchar_and_bit_meta() {
        let c = ColumnDef::from_table_map(15, &[0x2c, 0x01]);
        assert_eq!(c.meta, 300);
        // BIT(13): 1 full byte + 5 bits -> bits=5, bytes=1.
        let c = ColumnDef::from_table_map(16, &[5, 1]);
        assert_eq!(c.meta, 1 << 8 | 5);
        let c = ColumnDef::from_table_map(246, &[10, 2]);
        assert_eq!(c.meta, 10 << 8 | 2);
    }

    #[test]
    fn type_codes_round_trip() {
        for c in 0..=255u8 {
            assert_eq!(ColumnType::from_code(c).code(), c);
        }
    }
}
