//! The binlog v4 common event header (19 bytes) and the event type codes.

use crate::error::{Error, Result};

/// The four bytes every binlog file starts with.
pub const BINLOG_MAGIC: [u8; 4] = [0xfe, b'b', b'i', b'n'];
/// Length of the v4 common header.
pub const HEADER_LEN: usize = 19;
/// Length of a CRC32 checksum trailer.
pub const CHECKSUM_LEN: usize = 4;

/// `LOG_EVENT_BINLOG_IN_USE_F`: set in the FDE of a file the server has open.
pub const FLAG_BINLOG_IN_USE: u16 = 0x1;
/// `LOG_EVENT_ARTIFICIAL_F`: an event made up by the server (e.g. the fake ROTATE of a dump).
pub const FLAG_ARTIFICIAL: u16 = 0x20;
/// `LOG_EVENT_RELAY_LOG_F`: an event written by a replica's SQL thread to its relay log.
pub const FLAG_RELAY_LOG: u16 = 0x40;
/// `LOG_EVENT_IGNORABLE_F`: a reader that does not know the event may skip it.
pub const FLAG_IGNORABLE: u16 = 0x80;

/// The common header of every binlog v4 event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventHeader {
    /// Seconds since the Unix epoch when the statement began.
    pub timestamp: u32,
    /// The raw type code.
    pub type_code: u8,
    /// Server id of the server that first wrote the event.
    pub server_id: u32,
    /// Size of the whole event: header, body and checksum.
    pub event_size: u32,
    /// Position of the next event as the writer saw it (0 in some MariaDB 11.4+ headers and in
    /// events inside a TRANSACTION_PAYLOAD; never rely on it alone).
    pub log_pos: u32,
    /// Event flags (`FLAG_*`).
    pub flags: u16,
}

impl EventHeader {
    /// Reads the 19-byte header at the start of `b`.
    #[inline]
    pub fn parse(b: &[u8]) -> Result<EventHeader> {
        let h: &[u8; HEADER_LEN] = b
            .get(..HEADER_LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| {
                Error::truncated(0, "event header", HEADER_LEN as u64, b.len() as u64)
            })?;
        Ok(EventHeader {
            timestamp: u32::from_le_bytes([h[0], h[1], h[2], h[3]]),
            type_code: h[4],
            server_id: u32::from_le_bytes([h[5], h[6], h[7], h[8]]),
            event_size: u32::from_le_bytes([h[9], h[10], h[11], h[12]]),
            log_pos: u32::from_le_bytes([h[13], h[14], h[15], h[16]]),
            flags: u16::from_le_bytes([h[17], h[18]]),
        })
    }

    /// The event type.
    #[inline]
    pub fn event_type(&self) -> EventType {
        EventType::from_code(self.type_code)
    }
}

macro_rules! event_types {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal => $name:literal, )*) => {
        /// Every event type of MySQL 5.0–9.x and MariaDB 10.x–11.x.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum EventType {
            $( $(#[$doc])* $variant, )*
            /// A type code this crate does not know.
            Unknown(u8),
        }

        impl EventType {
            /// The type for a type code.
            #[inline]
            pub fn from_code(code: u8) -> EventType {
                match code {
                    $( $code => EventType::$variant, )*
                    other => EventType::Unknown(other),
                }
            }

            /// The type code.
            pub fn code(self) -> u8 {
                match self {
                    $( EventType::$variant => $code, )*
                    EventType::Unknown(c) => c,
                }
            }

            /// The snake_case name used in JSON output (`write_rows`, `gtid`, ...).
            pub fn name(self) -> &'static str {
                match self {
                    $( EventType::$variant => $name, )*
                    EventType::Unknown(_) => "unknown",
                }
            }
        }
    };
}

event_types! {
    /// START_EVENT_V3 (binlog v1–v3).
    StartV3 = 1 => "start_v3",
    /// QUERY_EVENT.
    Query = 2 => "query",
    /// STOP_EVENT.
    Stop = 3 => "stop",
    /// ROTATE_EVENT.
    Rotate = 4 => "rotate",
    /// INTVAR_EVENT.
    Intvar = 5 => "intvar",
    /// LOAD_EVENT (old LOAD DATA).
    Load = 6 => "load",
    /// SLAVE_EVENT (never written).
    Slave = 7 => "slave",
    /// CREATE_FILE_EVENT.
    CreateFile = 8 => "create_file",
    /// APPEND_BLOCK_EVENT.
    AppendBlock = 9 => "append_block",
    /// EXEC_LOAD_EVENT.
    ExecLoad = 10 => "exec_load",
    /// DELETE_FILE_EVENT.
    DeleteFile = 11 => "delete_file",
    /// NEW_LOAD_EVENT.
    NewLoad = 12 => "new_load",
    /// RAND_EVENT.
    Rand = 13 => "rand",
    /// USER_VAR_EVENT.
    UserVar = 14 => "user_var",
    /// FORMAT_DESCRIPTION_EVENT.
    FormatDescription = 15 => "format_description",
    /// XID_EVENT.
    Xid = 16 => "xid",
    /// BEGIN_LOAD_QUERY_EVENT.
    BeginLoadQuery = 17 => "begin_load_query",
    /// EXECUTE_LOAD_QUERY_EVENT.
    ExecuteLoadQuery = 18 => "execute_load_query",
    /// TABLE_MAP_EVENT.
    TableMap = 19 => "table_map",
    /// PRE_GA_WRITE_ROWS_EVENT (5.1 betas).
    PreGaWriteRows = 20 => "pre_ga_write_rows",
    /// PRE_GA_UPDATE_ROWS_EVENT (5.1 betas).
    PreGaUpdateRows = 21 => "pre_ga_update_rows",
    /// PRE_GA_DELETE_ROWS_EVENT (5.1 betas).
    PreGaDeleteRows = 22 => "pre_ga_delete_rows",
    /// WRITE_ROWS_EVENT_V1.
    WriteRowsV1 = 23 => "write_rows",
    /// UPDATE_ROWS_EVENT_V1.
    UpdateRowsV1 = 24 => "update_rows",
    /// DELETE_ROWS_EVENT_V1.
    DeleteRowsV1 = 25 => "delete_rows",
    /// INCIDENT_EVENT.
    Incident = 26 => "incident",
    /// HEARTBEAT_LOG_EVENT (stream only).
    Heartbeat = 27 => "heartbeat",
    /// IGNORABLE_LOG_EVENT.
    Ignorable = 28 => "ignorable",
    /// ROWS_QUERY_LOG_EVENT.
    RowsQuery = 29 => "rows_query",
    /// WRITE_ROWS_EVENT (v2).
    WriteRows = 30 => "write_rows",
    /// UPDATE_ROWS_EVENT (v2).
    UpdateRows = 31 => "update_rows",
    /// DELETE_ROWS_EVENT (v2).
    DeleteRows = 32 => "delete_rows",
    /// GTID_LOG_EVENT.
    Gtid = 33 => "gtid",
    /// ANONYMOUS_GTID_LOG_EVENT.
    AnonymousGtid = 34 => "anonymous_gtid",
    /// PREVIOUS_GTIDS_LOG_EVENT.
    PreviousGtids = 35 => "previous_gtids",
    /// TRANSACTION_CONTEXT_EVENT (group replication).
    TransactionContext = 36 => "transaction_context",
    /// VIEW_CHANGE_EVENT (group replication).
    ViewChange = 37 => "view_change",
    /// XA_PREPARE_LOG_EVENT.
    XaPrepare = 38 => "xa_prepare",
    /// PARTIAL_UPDATE_ROWS_EVENT (JSON diffs).
    PartialUpdateRows = 39 => "partial_update_rows",
    /// TRANSACTION_PAYLOAD_EVENT (compressed transaction).
    TransactionPayload = 40 => "transaction_payload",
    /// HEARTBEAT_LOG_EVENT_V2 (stream only).
    HeartbeatV2 = 41 => "heartbeat_v2",
    /// GTID_TAGGED_LOG_EVENT (MySQL 8.4+).
    GtidTagged = 42 => "gtid_tagged",
    /// MariaDB ANNOTATE_ROWS_EVENT.
    MariaAnnotateRows = 160 => "annotate_rows",
    /// MariaDB BINLOG_CHECKPOINT_EVENT.
    MariaBinlogCheckpoint = 161 => "binlog_checkpoint",
    /// MariaDB GTID_EVENT.
    MariaGtid = 162 => "mariadb_gtid",
    /// MariaDB GTID_LIST_EVENT.
    MariaGtidList = 163 => "gtid_list",
    /// MariaDB START_ENCRYPTION_EVENT.
    MariaStartEncryption = 164 => "start_encryption",
    /// MariaDB QUERY_COMPRESSED_EVENT.
    MariaQueryCompressed = 165 => "query_compressed",
    /// MariaDB WRITE_ROWS_COMPRESSED_EVENT_V1.
    MariaWriteRowsCompressedV1 = 166 => "write_rows_compressed",
    /// MariaDB UPDATE_ROWS_COMPRESSED_EVENT_V1.
    MariaUpdateRowsCompressedV1 = 167 => "update_rows_compressed",
    /// MariaDB DELETE_ROWS_COMPRESSED_EVENT_V1.
    MariaDeleteRowsCompressedV1 = 168 => "delete_rows_compressed",
    /// MariaDB WRITE_ROWS_COMPRESSED_EVENT.
    MariaWriteRowsCompressed = 169 => "write_rows_compressed",
    /// MariaDB UPDATE_ROWS_COMPRESSED_EVENT.
    MariaUpdateRowsCompressed = 170 => "update_rows_compressed",
    /// MariaDB DELETE_ROWS_COMPRESSED_EVENT.
    MariaDeleteRowsCompressed = 171 => "delete_rows_compressed",
    /// MariaDB PARTIAL_ROW_DATA_EVENT (fragment of a large event).
    MariaPartialRowData = 172 => "partial_row_data",
}

impl EventType {
    /// True for every WRITE/UPDATE/DELETE/PARTIAL_UPDATE rows event, compressed or not.
    pub fn is_rows(self) -> bool {
        matches!(
            self,
            EventType::PreGaWriteRows
                | EventType::PreGaUpdateRows
                | EventType::PreGaDeleteRows
                | EventType::WriteRowsV1
                | EventType::UpdateRowsV1
                | EventType::DeleteRowsV1
                | EventType::WriteRows
                | EventType::UpdateRows
                | EventType::DeleteRows
                | EventType::PartialUpdateRows
                | EventType::MariaWriteRowsCompressedV1
                | EventType::MariaUpdateRowsCompressedV1
                | EventType::MariaDeleteRowsCompressedV1
                | EventType::MariaWriteRowsCompressed
                | EventType::MariaUpdateRowsCompressed
                | EventType::MariaDeleteRowsCompressed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_are_little_endian() {
        let b = [
            0x01, 0x02, 0x03, 0x04, 0x0f, 0x05, 0, 0, 0, 0x79, 0, 0, 0, 0x7d, 0, 0, 0, 0x01, 0x00,
        ];
        let h = EventHeader::parse(&b).unwrap();
        assert_eq!(h.timestamp, 0x0403_0201);
        assert_eq!(h.event_type(), EventType::FormatDescription);
        assert_eq!(h.server_id, 5);
        assert_eq!(h.event_size, 0x79);
        assert_eq!(h.log_pos, 0x7d);
        assert_eq!(h.flags, FLAG_BINLOG_IN_USE);
    }

    #[test]
    fn short_header_is_truncated() {
        let e = EventHeader::parse(&[0; 18]).unwrap_err();
        assert!(e.is_truncated());
    }

    #[test]
    fn codes_round_trip() {
        for c in 0..=255u8 {
            assert_eq!(EventType::from_code(c).code(), c);
        }
    }
}
