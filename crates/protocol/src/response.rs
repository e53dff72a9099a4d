//! Generic response packets — OK, ERR, EOF
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_response_packets.html)) —
//! and the text-protocol result set of COM_QUERY
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset.html)).

use bytes::Bytes;

use crate::basic::Reader;
use crate::error::{Error, Result};
use crate::handshake::CapabilityFlags;

/// First byte of an OK packet.
pub const OK_HEADER: u8 = 0x00;
/// First byte of an EOF packet, and of the OK packet that replaces it with
/// `CLIENT_DEPRECATE_EOF`.
pub const EOF_HEADER: u8 = 0xfe;
/// First byte of an ERR packet.
pub const ERR_HEADER: u8 = 0xff;
/// First byte of a LOCAL INFILE request in a COM_QUERY response.
pub const LOCAL_INFILE_HEADER: u8 = 0xfb;
/// A NULL value in a text-protocol row.
pub const NULL_VALUE: u8 = 0xfb;

/// Server status flags (`SERVER_STATUS_flags_enum`).
pub mod status {
    /// A transaction is active.
    pub const SERVER_STATUS_IN_TRANS: u16 = 0x0001;
    /// Autocommit is on.
    pub const SERVER_STATUS_AUTOCOMMIT: u16 = 0x0002;
    /// Another result set follows this one.
    pub const SERVER_MORE_RESULTS_EXISTS: u16 = 0x0008;
    /// The OK packet carries session state changes.
    pub const SERVER_SESSION_STATE_CHANGED: u16 = 0x4000;
}

/// An ERR packet from the server (`ERR_Packet`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("server error {code}{}: {message}", sql_state.as_deref().map(|s| format!(" ({s})")).unwrap_or_default())]
pub struct ServerError {
    /// Error code, e.g. 1045 (`ER_ACCESS_DENIED_ERROR`), 1236 (binlog read error).
    pub code: u16,
    /// Five-character SQL state, when the packet carries one (after the `#` marker; absent
    /// in errors sent before capabilities are negotiated).
    pub sql_state: Option<String>,
    /// Human-readable message.
    pub message: String,
}

impl ServerError {
    /// What a user can do about the errors a replica commonly meets.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self.code {
            1045 | 1698 => "wrong user name or password, or the user may not log in from this host",
            1130 => "the user may not connect from this host: check its host part (CREATE USER 'u'@'%')",
            1227 => "the user lacks a privilege: a replica needs GRANT REPLICATION SLAVE ON *.* (and REPLICATION CLIENT / BINLOG MONITOR for status queries)",
            1236 => "the source cannot serve the requested start: the binlog file was purged or the position/GTID is not in its binlogs; restart from a point it still has (SHOW BINARY LOGS)",
            1251 | 1524 => "the server asks for an authentication plugin this client does not support",
            3159 | 4151 => "the server requires TLS: use --tls-mode required (or verify-ca/verify-full)",
            _ => return None,
        })
    }

    /// Decodes an ERR packet payload (starting with `0xff`).
    ///
    /// MariaDB progress reports (code `0xffff`) are not handled: we never set
    /// `MARIADB_CLIENT_PROGRESS`.
    pub fn decode(payload: &[u8]) -> Result<Self> {
        let mut r = Reader::new(payload, "ERR packet");
        expect_header(&mut r, ERR_HEADER)?;
        let code = r.u16("error code")?;
        let sql_state = if r.peek() == Some(b'#') {
            r.u8("SQL state marker")?;
            let s = r.bytes(5, "SQL state")?;
            Some(String::from_utf8_lossy(s).into_owned())
        } else {
            None
        };
        let message = String::from_utf8_lossy(r.rest()).into_owned();
        Ok(ServerError {
            code,
            sql_state,
            message,
        })
    }
}

fn expect_header(r: &mut Reader<'_>, header: u8) -> Result<()> {
    let found = r.u8("header")?;
    if found == header {
        Ok(())
    } else {
        Err(Error::Unexpected {
            message: "response",
            field: "header",
            offset: 0,
            found,
        })
    }
}

/// An OK packet (`OK_Packet`), or the OK packet with header `0xfe` that ends a result set
/// under `CLIENT_DEPRECATE_EOF`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OkPacket {
    /// `0x00`, or `0xfe` for an end-of-result-set OK.
    pub header: u8,
    /// Rows affected.
    pub affected_rows: u64,
    /// Last insert id.
    pub last_insert_id: u64,
    /// Server status flags ([`status`]).
    pub status_flags: u16,
    /// Warning count (0 without `CLIENT_PROTOCOL_41`).
    pub warnings: u16,
    /// Human-readable status information.
    pub info: Bytes,
    /// Raw session state change information (with `CLIENT_SESSION_TRACK` and
    /// `SERVER_SESSION_STATE_CHANGED`), not decoded further.
    pub session_state_changes: Option<Bytes>,
}

impl OkPacket {
    /// Decodes an OK payload (header `0x00` or `0xfe`) under the negotiated `capabilities`.
    pub fn decode(payload: &Bytes, capabilities: CapabilityFlags) -> Result<Self> {
        let mut r = Reader::new(payload, "OK packet");
        let offset = r.position();
        let header = r.u8("header")?;
        if header != OK_HEADER && header != EOF_HEADER {
            return Err(Error::Unexpected {
                message: "OK packet",
                field: "header",
                offset,
                found: header,
            });
        }
        let affected_rows = r.lenenc_int("affected rows")?;
        let last_insert_id = r.lenenc_int("last insert id")?;
        let (mut status_flags, mut warnings) = (0, 0);
        if capabilities.contains(CapabilityFlags::CLIENT_PROTOCOL_41) {
            status_flags = r.u16("status flags")?;
            warnings = r.u16("warnings")?;
        } else if capabilities.contains(CapabilityFlags::CLIENT_TRANSACTIONS) {
            status_flags = r.u16("status flags")?;
        }
        let mut session_state_changes = None;
        let info;
        if capabilities.contains(CapabilityFlags::CLIENT_SESSION_TRACK) && !r.is_empty() {
            info = payload.slice_ref(r.lenenc_bytes("info")?);
            if status_flags & status::SERVER_SESSION_STATE_CHANGED != 0 {
                session_state_changes =
                    Some(payload.slice_ref(r.lenenc_bytes("session state info")?));
            }
        } else {
            info = payload.slice_ref(r.rest());
        }
        Ok(OkPacket {
            header,
            affected_rows,
            last_insert_id,
            status_flags,
            warnings,
            info,
            session_state_changes,
        })
    }
}

/// An EOF packet (`EOF_Packet`), sent without `CLIENT_DEPRECATE_EOF`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EofPacket {
    /// Warning count.
    pub warnings: u16,
    /// Server status flags ([`status`]).
    pub status_flags: u16,
}

impl EofPacket {
    /// Decodes an EOF payload: `0xfe`, then with `CLIENT_PROTOCOL_41` warnings and status.
    pub fn decode(payload: &[u8], capabilities: CapabilityFlags) -> Result<Self> {
        let mut r = Reader::new(payload, "EOF packet");
        expect_header(&mut r, EOF_HEADER)?;
        let (mut warnings, mut status_flags) = (0, 0);
        if capabilities.contains(CapabilityFlags::CLIENT_PROTOCOL_41) {
            warnings = r.u16("warnings")?;
            status_flags = r.u16("status flags")?;
        }
        r.finish()?;
        Ok(EofPacket {
            warnings,
            status_flags,
        })
    }
}

/// True if `payload` is an EOF packet (or, with `CLIENT_DEPRECATE_EOF`, the OK packet that
/// replaces it) and not a row that happens to start with `0xfe` (a length-encoded integer
/// prefix, which needs at least 9 bytes).
pub fn is_eof(payload: &[u8], capabilities: CapabilityFlags) -> bool {
    let limit = if capabilities.contains(CapabilityFlags::CLIENT_DEPRECATE_EOF) {
        crate::packet::MAX_PACKET_PAYLOAD
    } else {
        9
    };
    payload.first() == Some(&EOF_HEADER) && payload.len() < limit
}

/// A generic response: what a command without a result set gets back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// OK.
    Ok(OkPacket),
    /// EOF (e.g. the reply to some commands, or the end of a column list).
    Eof(EofPacket),
}

impl Response {
    /// Decodes OK or EOF; an ERR packet becomes `Err(Error::Server(..))`.
    pub fn decode(payload: &Bytes, capabilities: CapabilityFlags) -> Result<Self> {
        match payload.first() {
            Some(&ERR_HEADER) => Err(ServerError::decode(payload)?.into()),
            Some(&OK_HEADER) => Ok(Response::Ok(OkPacket::decode(payload, capabilities)?)),
            Some(&EOF_HEADER) if !capabilities.contains(CapabilityFlags::CLIENT_DEPRECATE_EOF) => {
                Ok(Response::Eof(EofPacket::decode(payload, capabilities)?))
            }
            Some(&EOF_HEADER) => Ok(Response::Ok(OkPacket::decode(payload, capabilities)?)),
            Some(&found) => Err(Error::Unexpected {
                message: "response",
                field: "header",
                offset: 0,
                found,
            }),
            None => Err(Error::Truncated {
                message: "response",
                field: "header",
                offset: 0,
                needed: 1,
                available: 0,
            }),
        }
    }
}

/// A column definition (`Protocol::ColumnDefinition41`). Names are slices of the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDefinition {
    /// Schema name.
    pub schema: Bytes,
    /// Table alias.
    pub table: Bytes,
    /// Physical table name.
    pub org_table: Bytes,
    /// Column alias.
    pub name: Bytes,
    /// Physical column name.
    pub org_name: Bytes,
    /// Character set number.
    pub character_set: u16,
    /// Maximum column length.
    pub column_length: u32,
    /// Column type (`enum_field_types`).
    pub column_type: u8,
    /// Column flags.
    pub flags: u16,
    /// Decimals.
    pub decimals: u8,
}

impl ColumnDefinition {
    /// Decodes a `ColumnDefinition41` payload. MariaDB's extended metadata
    /// (`MARIADB_CLIENT_EXTENDED_METADATA`) is not supported: do not negotiate it.
    pub fn decode(payload: &Bytes) -> Result<Self> {
        let mut r = Reader::new(payload, "ColumnDefinition41");
        let _catalog = r.lenenc_bytes("catalog")?;
        let schema = payload.slice_ref(r.lenenc_bytes("schema")?);
        let table = payload.slice_ref(r.lenenc_bytes("table")?);
        let org_table = payload.slice_ref(r.lenenc_bytes("org_table")?);
        let name = payload.slice_ref(r.lenenc_bytes("name")?);
        let org_name = payload.slice_ref(r.lenenc_bytes("org_name")?);
        let fixed_offset = r.position();
        let fixed_len = r.lenenc_int("length of fixed fields")?;
        if fixed_len < 0x0c {
            return Err(Error::Unexpected {
                message: "ColumnDefinition41",
                field: "length of fixed fields",
                offset: fixed_offset,
                found: fixed_len as u8,
            });
        }
        let character_set = r.u16("character set")?;
        let column_length = r.u32("column length")?;
        let column_type = r.u8("type")?;
        let flags = r.u16("flags")?;
        let decimals = r.u8("decimals")?;
        // 2 filler bytes, and anything a newer server adds to the fixed part; then (COM_FIELD_LIST
        // only) default values, which we skip.
        r.bytes(fixed_len as usize - 10, "fixed fields")?;
        Ok(ColumnDefinition {
            schema,
            table,
            org_table,
            name,
            org_name,
            character_set,
            column_length,
            column_type,
            flags,
            decimals,
        })
    }
}

/// A text-protocol row (`ProtocolText::ResultsetRow`): the payload plus the position of each
/// value, checked when the row is decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRow {
    raw: Bytes,
    values: Vec<Option<(usize, usize)>>,
}

impl TextRow {
    /// Decodes a row of exactly `columns` values (lenenc strings, or `0xfb` for NULL).
    pub fn decode(payload: Bytes, columns: usize) -> Result<Self> {
        let mut r = Reader::new(&payload, "text result row");
        // Each value takes at least one byte: bound the allocation by the payload.
        let mut values = Vec::with_capacity(columns.min(payload.len()));
        for _ in 0..columns {
            if r.peek() == Some(NULL_VALUE) {
                r.u8("NULL")?;
                values.push(None);
            } else {
                let v = r.lenenc_bytes("value")?;
                let end = r.position();
                values.push(Some((end - v.len(), end)));
            }
        }
        r.finish()?;
        Ok(TextRow {
            raw: payload,
            values,
        })
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True for a row without values.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Value `i`: `None` past the end, `Some(None)` for NULL.
    pub fn get(&self, i: usize) -> Option<Option<&[u8]>> {
        let v = *self.values.get(i)?;
        Some(v.and_then(|(s, e)| self.raw.get(s..e)))
    }

    /// Value `i` as a zero-copy [`Bytes`].
    pub fn get_bytes(&self, i: usize) -> Option<Option<Bytes>> {
        let v = *self.values.get(i)?;
        Some(v.map(|(s, e)| self.raw.slice(s..e)))
    }

    /// All values in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<&[u8]>> + '_ {
        self.values
            .iter()
            .map(|v| v.and_then(|(s, e)| self.raw.get(s..e)))
    }
}

/// What [`ResultSetDecoder::handle_payload`] found in a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultSetEvent {
    /// The statement returned no result set.
    Ok(OkPacket),
    /// The column count: column definitions follow.
    ColumnCount(u64),
    /// One column definition.
    Column(ColumnDefinition),
    /// The EOF packet after the column definitions (only without `CLIENT_DEPRECATE_EOF`;
    /// with it, rows follow the last [`ResultSetEvent::Column`] directly).
    ColumnsDone,
    /// One row.
    Row(TextRow),
    /// The result set ended. If `status_flags` has [`status::SERVER_MORE_RESULTS_EXISTS`],
    /// the decoder is ready for the next result.
    Done {
        /// Server status flags.
        status_flags: u16,
        /// Warning count.
        warnings: u16,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Columns { remaining: u64, total: u64 },
    ColumnsEof { total: u64 },
    Rows { columns: usize },
    Done,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Start => "start",
            State::Columns { .. } => "columns",
            State::ColumnsEof { .. } => "columns EOF",
            State::Rows { .. } => "rows",
            State::Done => "done",
        }
    }
}

/// State machine for a COM_QUERY text-protocol response, fed one payload at a time:
/// OK | ERR | column count, column definitions, (EOF,) rows, EOF/OK (or ERR).
///
/// Call [`handle_payload`](Self::handle_payload) with each reassembled payload until it
/// returns [`ResultSetEvent::Ok`] or [`ResultSetEvent::Done`] without
/// `SERVER_MORE_RESULTS_EXISTS`, or an error. An ERR packet at any point becomes
/// [`Error::Server`] and ends the response. LOCAL INFILE requests are refused
/// ([`Error::Unexpected`]); `CLIENT_OPTIONAL_RESULTSET_METADATA` is not supported.
#[derive(Debug, Clone)]
pub struct ResultSetDecoder {
    capabilities: CapabilityFlags,
    state: State,
}

impl ResultSetDecoder {
    /// A decoder for the response to one COM_QUERY, under the negotiated capabilities.
    pub fn new(capabilities: CapabilityFlags) -> Self {
        ResultSetDecoder {
            capabilities,
            state: State::Start,
        }
    }

    /// True once the whole response (all result sets) has been received.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    fn finish(&mut self, status_flags: u16) {
        self.state = if status_flags & status::SERVER_MORE_RESULTS_EXISTS != 0 {
            State::Start
        } else {
            State::Done
        };
    }

    /// Handles the next payload of the response.
    pub fn handle_payload(&mut self, payload: Bytes) -> Result<ResultSetEvent> {
        if payload.first() == Some(&ERR_HEADER) {
            self.state = State::Done;
            return Err(ServerError::decode(&payload)?.into());
        }
        let caps = self.capabilities;
        match self.state {
            State::Start => match payload.first() {
                Some(&OK_HEADER) => {
                    let ok = OkPacket::decode(&payload, caps)?;
                    self.finish(ok.status_flags);
                    Ok(ResultSetEvent::Ok(ok))
                }
                Some(&LOCAL_INFILE_HEADER) => Err(Error::Unexpected {
                    message: "COM_QUERY response",
                    field: "LOCAL INFILE request",
                    offset: 0,
                    found: LOCAL_INFILE_HEADER,
                }),
                _ => {
                    let mut r = Reader::new(&payload, "column count");
                    let n = r.lenenc_int("column count")?;
                    r.finish()?;
                    if n == 0 {
                        return Err(Error::Unexpected {
                            message: "COM_QUERY response",
                            field: "column count",
                            offset: 0,
                            found: 0,
                        });
                    }
                    self.state = State::Columns {
                        remaining: n,
                        total: n,
                    };
                    Ok(ResultSetEvent::ColumnCount(n))
                }
            },
            State::Columns { remaining, total } => {
                let col = ColumnDefinition::decode(&payload)?;
                self.state = match remaining - 1 {
                    0 if caps.contains(CapabilityFlags::CLIENT_DEPRECATE_EOF) => State::Rows {
                        columns: total as usize,
                    },
                    0 => State::ColumnsEof { total },
                    left => State::Columns {
                        remaining: left,
                        total,
                    },
                };
                Ok(ResultSetEvent::Column(col))
            }
            State::ColumnsEof { total } => {
                EofPacket::decode(&payload, caps)?;
                self.state = State::Rows {
                    columns: total as usize,
                };
                Ok(ResultSetEvent::ColumnsDone)
            }
            State::Rows { columns } => {
                if is_eof(&payload, caps) {
                    let (status_flags, warnings) =
                        if caps.contains(CapabilityFlags::CLIENT_DEPRECATE_EOF) {
                            let ok = OkPacket::decode(&payload, caps)?;
                            (ok.status_flags, ok.warnings)
                        } else {
                            let eof = EofPacket::decode(&payload, caps)?;
                            (eof.status_flags, eof.warnings)
                        };
                    self.finish(status_flags);
                    Ok(ResultSetEvent::Done {
                        status_flags,
                        warnings,
                    })
                } else {
                    Ok(ResultSetEvent::Row(TextRow::decode(payload, columns)?))
                }
            }
            State::Done => Err(Error::UnexpectedPayload {
                state: self.state.name(),
            }),
        }
    }
}

#[cfg(test)]
mod tests;
