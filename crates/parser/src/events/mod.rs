//! Event bodies, one module per group of the MySQL/MariaDB binlog documentation:
//! statement events, control events, GTID events, table map and rows events, MariaDB events,
//! transaction payloads, and the group-replication events.

pub mod control;
pub mod group_replication;
pub mod gtid;
pub mod gtid_tagged;
pub mod heartbeat;
pub mod mariadb;
pub mod payload;
pub mod rows;
pub mod statement;
pub mod table_map;

use crate::decoder::Decoder;
use crate::error::Result;
use crate::fde::FormatDescriptionEvent;
use crate::header::{EventHeader, EventType};

pub use control::{IncidentEvent, RotateEvent, XaPrepareEvent};
pub use group_replication::{TransactionContextEvent, ViewChangeEvent};
pub use gtid::{GtidEvent, GtidSet};
pub use gtid_tagged::GtidTaggedEvent;
pub use heartbeat::HeartbeatEvent;
pub use mariadb::{MariaGtidEvent, MariaGtidListEvent, StartEncryptionEvent};
pub use payload::TransactionPayloadEvent;
pub use rows::RowsEvent;
pub use statement::{
    BeginLoadQueryEvent, ExecuteLoadQueryEvent, IntvarEvent, QueryEvent, RandEvent, UserVarEvent,
};
pub use table_map::{TableInfo, TableMapEvent};

/// One decoded event, borrowing from the bytes it was decoded from.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Absolute position of the event's first byte in its file or stream.
    pub pos: u64,
    /// The common header.
    pub header: EventHeader,
    /// The event type (from the type code, under the file's format).
    pub event_type: EventType,
    /// The whole event: header, body and checksum.
    pub raw: &'a [u8],
    /// Offset of `body` inside `raw`.
    pub body_offset: usize,
    /// The body: between header and checksum.
    pub body: &'a [u8],
    /// The decoded body.
    pub data: EventData<'a>,
}

impl Event<'_> {
    /// Position just past the event (computed from the stream, not from `log_pos`).
    pub fn end(&self) -> u64 {
        self.pos + self.raw.len() as u64
    }

    /// The event type.
    pub fn event_type(&self) -> EventType {
        self.event_type
    }
}

/// The decoded body of an event.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum EventData<'a> {
    /// FORMAT_DESCRIPTION_EVENT.
    FormatDescription(FormatDescriptionEvent<'a>),
    /// QUERY_EVENT, and MariaDB's QUERY_COMPRESSED_EVENT (decompressed).
    Query(QueryEvent<'a>),
    /// ROTATE_EVENT.
    Rotate(RotateEvent<'a>),
    /// STOP_EVENT.
    Stop,
    /// INTVAR_EVENT.
    Intvar(IntvarEvent),
    /// RAND_EVENT.
    Rand(RandEvent),
    /// USER_VAR_EVENT.
    UserVar(UserVarEvent<'a>),
    /// XID_EVENT: the transaction id of a commit.
    Xid(u64),
    /// INCIDENT_EVENT.
    Incident(IncidentEvent<'a>),
    /// HEARTBEAT_LOG_EVENT and HEARTBEAT_LOG_EVENT_V2.
    Heartbeat(HeartbeatEvent<'a>),
    /// IGNORABLE_LOG_EVENT (its body).
    Ignorable(&'a [u8]),
    /// ROWS_QUERY_LOG_EVENT: the statement text of the rows events that follow.
    RowsQuery(&'a [u8]),
    /// BEGIN_LOAD_QUERY_EVENT and APPEND_BLOCK_EVENT: a block of a LOAD DATA file.
    BeginLoadQuery(BeginLoadQueryEvent<'a>),
    /// EXECUTE_LOAD_QUERY_EVENT.
    ExecuteLoadQuery(ExecuteLoadQueryEvent<'a>),
    /// TABLE_MAP_EVENT.
    TableMap(TableMapEvent<'a>),
    /// Every WRITE/UPDATE/DELETE/PARTIAL_UPDATE rows event, compressed or not.
    Rows(RowsEvent<'a>),
    /// GTID_LOG_EVENT and ANONYMOUS_GTID_LOG_EVENT.
    Gtid(GtidEvent<'a>),
    /// GTID_TAGGED_LOG_EVENT (MySQL 8.4+).
    GtidTagged(GtidTaggedEvent<'a>),
    /// PREVIOUS_GTIDS_LOG_EVENT.
    PreviousGtids(GtidSet<'a>),
    /// TRANSACTION_CONTEXT_EVENT.
    TransactionContext(TransactionContextEvent<'a>),
    /// VIEW_CHANGE_EVENT.
    ViewChange(ViewChangeEvent<'a>),
    /// XA_PREPARE_LOG_EVENT.
    XaPrepare(XaPrepareEvent<'a>),
    /// TRANSACTION_PAYLOAD_EVENT.
    TransactionPayload(TransactionPayloadEvent<'a>),
    /// MariaDB ANNOTATE_ROWS_EVENT: the statement text of the rows events that follow.
    MariaAnnotateRows(&'a [u8]),
    /// MariaDB BINLOG_CHECKPOINT_EVENT: the oldest binlog file still needed for recovery.
    MariaBinlogCheckpoint(&'a [u8]),
    /// MariaDB GTID_EVENT.
    MariaGtid(MariaGtidEvent),
    /// MariaDB GTID_LIST_EVENT.
    MariaGtidList(MariaGtidListEvent<'a>),
    /// MariaDB START_ENCRYPTION_EVENT.
    MariaStartEncryption(StartEncryptionEvent<'a>),
    /// An event kept as raw bytes: an unknown type, or an obsolete one (LOAD, CREATE_FILE,
    /// EXEC_LOAD, DELETE_FILE, NEW_LOAD, START_V3, SLAVE). Never stops a stream.
    Other(&'a [u8]),
}

/// Decodes a body (between header and checksum). Errors are relative to `body`.
pub(crate) fn decode_body<'a>(
    dec: &Decoder,
    ty: EventType,
    code: u8,
    body: &'a [u8],
) -> Result<EventData<'a>> {
    let fmt = dec.format();
    Ok(match ty {
        EventType::Query => {
            EventData::Query(QueryEvent::parse(body, fmt, code, false, dec.options())?)
        }
        EventType::MariaQueryCompressed => {
            EventData::Query(QueryEvent::parse(body, fmt, code, true, dec.options())?)
        }
        EventType::Rotate => EventData::Rotate(RotateEvent::parse(body, fmt)?),
        EventType::Stop => EventData::Stop,
        EventType::Intvar => EventData::Intvar(IntvarEvent::parse(body)?),
        EventType::Rand => EventData::Rand(RandEvent::parse(body)?),
        EventType::UserVar => EventData::UserVar(UserVarEvent::parse(body)?),
        EventType::Xid => EventData::Xid(control::parse_xid(body)?),
        EventType::Incident => EventData::Incident(IncidentEvent::parse(body)?),
        EventType::Heartbeat | EventType::HeartbeatV2 => {
            EventData::Heartbeat(HeartbeatEvent::parse(body, ty)?)
        }
        EventType::Ignorable => EventData::Ignorable(body),
        EventType::RowsQuery => EventData::RowsQuery(control::parse_rows_query(body)?),
        EventType::BeginLoadQuery | EventType::AppendBlock => {
            EventData::BeginLoadQuery(BeginLoadQueryEvent::parse(body, fmt, code)?)
        }
        EventType::ExecuteLoadQuery => {
            EventData::ExecuteLoadQuery(ExecuteLoadQueryEvent::parse(body, fmt, dec.options())?)
        }
        EventType::TableMap => EventData::TableMap(TableMapEvent::parse(body, fmt, code)?),
        t if t.is_rows() => EventData::Rows(RowsEvent::parse(body, fmt, t, code, dec)?),
        EventType::Gtid | EventType::AnonymousGtid => EventData::Gtid(GtidEvent::parse(body, ty)?),
        EventType::GtidTagged => EventData::GtidTagged(GtidTaggedEvent::parse(body, fmt)?),
        EventType::PreviousGtids => EventData::PreviousGtids(GtidSet::parse(body)?),
        EventType::TransactionContext => {
            EventData::TransactionContext(TransactionContextEvent::parse(body, fmt)?)
        }
        EventType::ViewChange => EventData::ViewChange(ViewChangeEvent::parse(body, fmt)?),
        EventType::XaPrepare => EventData::XaPrepare(XaPrepareEvent::parse(body)?),
        EventType::TransactionPayload => {
            EventData::TransactionPayload(TransactionPayloadEvent::parse(body, fmt)?)
        }
        EventType::MariaAnnotateRows => EventData::MariaAnnotateRows(body),
        EventType::MariaBinlogCheckpoint => {
            EventData::MariaBinlogCheckpoint(mariadb::parse_binlog_checkpoint(body)?)
        }
        EventType::MariaGtid => EventData::MariaGtid(MariaGtidEvent::parse(body)?),
        EventType::MariaGtidList => EventData::MariaGtidList(MariaGtidListEvent::parse(body)?),
        EventType::MariaStartEncryption => {
            EventData::MariaStartEncryption(StartEncryptionEvent::parse(body)?)
        }
        _ => EventData::Other(body),
    })
}
