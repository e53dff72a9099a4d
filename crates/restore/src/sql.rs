//! Turning archived events into the SQL statements a `mariadb`/`mysql` client (or `--apply`)
//! executes to redo them, with the session context each statement ran under on the source.
//!
//! - Row events (and their table maps) become `BINLOG '<base64>'` statements, preceded once per
//!   format by the file's FORMAT_DESCRIPTION event, as `mysqlbinlog` does.
//! - Statement events get what the source's session had: `SET TIMESTAMP` (with microseconds),
//!   `pseudo_thread_id` (temporary tables), the `flags2` options (foreign_key_checks,
//!   unique_checks, autocommit, sql_auto_is_null, and MariaDB's check_constraint_checks,
//!   sql_if_exists, explicit_defaults_for_timestamp, system_versioning_insert_history),
//!   sql_mode, auto_increment_increment/offset, character set and collations, time zone,
//!   lc_time_names, collation_database and the default database; INTVAR (`INSERT_ID`,
//!   `LAST_INSERT_ID`), RAND seeds and user variables before the statement that used them.
//!   Each is emitted only when it differs from what the restore session already has.
//! - GTIDs: MariaDB `SET @@session.gtid_domain_id/server_id/gtid_seq_no`, MySQL
//!   `SET @@SESSION.GTID_NEXT`, so that the restored server logs the same GTIDs.
//! - LOAD DATA: the file's blocks (BEGIN_LOAD_QUERY, APPEND_BLOCK) are collected and handed to
//!   the [`Sink`] with the statement rewritten to `LOAD DATA LOCAL INFILE`.
//!
//! `mariadb-binlog`'s output was the reference for what context a statement needs.

use std::collections::HashMap;
use std::io::Write as _;

use base64::Engine as _;
use binvault_parser::events::mariadb::{FL_COMPLETED_XA, FL_PREPARED_XA, FL_STANDALONE};
use binvault_parser::events::statement::{QueryEvent, StatusVar, UserVarEvent};
use binvault_parser::value::Decimal;
use binvault_parser::{Decoder, Event, EventData, Flavor};

use crate::collations::collation;
use crate::sink::Sink;

/// Event header flag: the statement must run without `use` of its default database.
const LOG_EVENT_SUPPRESS_USE_F: u16 = 0x8;

/// `q` is the keyword `word` (a transaction keyword) alone.
fn is_word(q: &[u8], word: &[u8]) -> bool {
    q.trim_ascii().eq_ignore_ascii_case(word)
}

/// Rows event flag: the last event of a statement.
const STMT_END_F: u16 = 1;

/// flags2 bits the servers write to the binlog (`OPTIONS_WRITTEN_TO_BIN_LOG`), with the
/// session variable each stands for and whether a set bit means the variable is 1.
const FLAGS2_COMMON: &[(u32, &str, bool)] = &[
    (1 << 26, "foreign_key_checks", false),
    (1 << 14, "sql_auto_is_null", true),
    (1 << 27, "unique_checks", false),
    (1 << 19, "autocommit", false),
];
/// MariaDB's further flags2 bits (10.x/11.x).
const FLAGS2_MARIADB: &[(u32, &str, bool)] = &[
    (1 << 15, "check_constraint_checks", false),
    (1 << 28, "sql_if_exists", true),
    (1 << 24, "explicit_defaults_for_timestamp", true),
    (1 << 30, "system_versioning_insert_history", true),
];

/// What a statement failed on: the reason; the caller adds the file and offset.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// The sink failed (output, target server).
    Sink(crate::Error),
    /// The event cannot be restored.
    Unsupported(String),
}

impl From<crate::Error> for WriteError {
    fn from(e: crate::Error) -> Self {
        WriteError::Sink(e)
    }
}

type WResult<T = ()> = std::result::Result<T, WriteError>;

/// The session state the restore session has been given so far.
#[derive(Debug, Default)]
struct Session {
    flags2: Option<u32>,
    sql_mode: Option<u64>,
    auto_increment: Option<(u16, u16)>,
    charset: Option<(u16, u16, u16)>,
    time_zone: Option<Vec<u8>>,
    lc_time_names: Option<u16>,
    collation_database: Option<Option<u16>>,
    db: Option<Vec<u8>>,
    pseudo_thread_id: Option<u32>,
    gtid_domain: Option<u32>,
    server_id: Option<u32>,
    explicit_defaults: Option<u8>,
    /// MySQL 8: default_collation_for_utf8mb4, sql_require_primary_key,
    /// default_table_encryption.
    mysql8: (Option<u16>, Option<u8>, Option<u8>),
}

/// Writes statements for events, keeping the session state.
#[derive(Debug)]
pub struct SqlWriter {
    session: Session,
    flavor: Flavor,
    /// The current FORMAT_DESCRIPTION event, raw.
    fde: Vec<u8>,
    /// The sink's session has been given `fde`.
    fde_sent: bool,
    /// A BINLOG statement being built (table maps and rows of one statement).
    binlog: Vec<u8>,
    /// LOAD DATA files by file id.
    load_files: HashMap<u32, Vec<u8>>,
    /// A MySQL GTID_NEXT was set (reset to AUTOMATIC at the end).
    mysql_gtid_next: bool,
    /// `SET a=1, b=2` being built (see [`SqlWriter::set`]).
    pending_set: Vec<u8>,
    buf: Vec<u8>,
}

impl Default for SqlWriter {
    fn default() -> Self {
        Self::new()
    }
}

fn push_ident(out: &mut Vec<u8>, name: &[u8]) {
    out.push(b'`');
    for &b in name {
        if b == b'`' {
            out.push(b'`');
        }
        out.push(b);
    }
    out.push(b'`');
}

fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 15)]);
    }
}

/// Appends `data` base64-encoded in lines of 76 characters (57 bytes each).
fn push_base64(out: &mut Vec<u8>, data: &[u8]) {
    let engine = &base64::engine::general_purpose::STANDARD;
    for chunk in data.chunks(57) {
        let at = out.len();
        out.resize(at + 76, 0);
        // 57 bytes encode to exactly 76 characters; a shorter last chunk to fewer
        let n = engine.encode_slice(chunk, &mut out[at..]).unwrap_or(0);
        out.truncate(at + n);
        out.push(b'\n');
    }
}

impl SqlWriter {
    /// A writer for a new session.
    pub fn new() -> Self {
        SqlWriter {
            session: Session::default(),
            flavor: Flavor::MariaDb,
            fde: Vec::new(),
            fde_sent: false,
            binlog: Vec::new(),
            load_files: HashMap::new(),
            mysql_gtid_next: false,
            pending_set: Vec::with_capacity(256),
            buf: Vec::with_capacity(4096),
        }
    }

    /// The statements that open a restore session.
    pub fn begin(&mut self, sink: &mut dyn Sink) -> crate::Result<()> {
        sink.statement(b"/*!50530 SET @@SESSION.PSEUDO_SLAVE_MODE=1*/")?;
        sink.statement(b"/*!50003 SET @OLD_COMPLETION_TYPE=@@COMPLETION_TYPE,COMPLETION_TYPE=0*/")?;
        sink.statement(b"/*!40019 SET @@session.max_delayed_threads=0*/")
    }

    /// The statements that close it.
    pub fn finish(&mut self, sink: &mut dyn Sink) -> crate::Result<()> {
        self.flush_set(sink)?;
        self.flush_binlog(sink)?;
        if self.mysql_gtid_next {
            sink.statement(b"SET @@SESSION.GTID_NEXT= 'AUTOMATIC'")?;
        }
        sink.statement(b"/*!50003 SET COMPLETION_TYPE=@OLD_COMPLETION_TYPE*/")?;
        sink.statement(b"/*!50530 SET @@SESSION.PSEUDO_SLAVE_MODE=0*/")
    }

    /// A transaction was cut short (the range ended inside it): roll it back.
    pub fn abandon(&mut self, sink: &mut dyn Sink) -> crate::Result<()> {
        self.binlog.clear();
        self.pending_set.clear();
        sink.statement(b"ROLLBACK")
    }

    /// A new file: its format description (raw event) applies to the events that follow.
    pub fn format_description(&mut self, raw: &[u8], flavor: Flavor) {
        if self.fde != raw {
            self.fde.clear();
            self.fde.extend_from_slice(raw);
            self.fde_sent = false;
        }
        self.flavor = flavor;
    }

    fn flush_binlog(&mut self, sink: &mut dyn Sink) -> crate::Result<()> {
        if self.binlog.is_empty() {
            return Ok(());
        }
        self.flush_set(sink)?;
        self.binlog.push(b'\'');
        let r = sink.statement(&self.binlog);
        self.binlog.clear();
        r
    }

    fn add_binlog_event(&mut self, raw: &[u8], sink: &mut dyn Sink) -> crate::Result<()> {
        if !self.fde_sent {
            let mut st = Vec::with_capacity(self.fde.len() * 4 / 3 + 16);
            st.extend_from_slice(b"BINLOG '\n");
            push_base64(&mut st, &self.fde);
            st.push(b'\'');
            self.emit(sink, &st)?;
            self.fde_sent = true;
        }
        if self.binlog.is_empty() {
            self.binlog.extend_from_slice(b"BINLOG '\n");
        }
        push_base64(&mut self.binlog, raw);
        Ok(())
    }

    /// Queues one assignment (`name=value`) of the next `SET` statement: consecutive
    /// assignments go out as one statement (one round trip for the client or the target).
    fn set(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        if self.pending_set.is_empty() {
            self.pending_set.extend_from_slice(b"SET ");
        } else {
            self.pending_set.extend_from_slice(b", ");
        }
        f(&mut self.pending_set);
    }

    fn flush_set(&mut self, sink: &mut dyn Sink) -> crate::Result<()> {
        if self.pending_set.is_empty() {
            return Ok(());
        }
        let r = sink.statement(&self.pending_set);
        self.pending_set.clear();
        r
    }

    /// Emits a statement after the queued assignments.
    fn emit(&mut self, sink: &mut dyn Sink, sql: &[u8]) -> crate::Result<()> {
        self.flush_set(sink)?;
        sink.statement(sql)
    }

    /// Emits `self.buf` after the queued assignments.
    fn emit_buf(&mut self, sink: &mut dyn Sink) -> crate::Result<()> {
        self.flush_set(sink)?;
        sink.statement(&self.buf)
    }

    /// Writes the statements for one event. `decoder`: the decoder after the event (for the
    /// inner events of a TRANSACTION_PAYLOAD).
    pub(crate) fn event(
        &mut self,
        ev: &Event<'_>,
        decoder: &Decoder,
        sink: &mut dyn Sink,
    ) -> WResult {
        match &ev.data {
            EventData::TableMap(_) => self.add_binlog_event(ev.raw, sink)?,
            EventData::Rows(r) => {
                match uncompressed_type(ev.event_type) {
                    // MariaDB's BINLOG statement refuses compressed rows events: they go in
                    // as the plain event they stand for (as mariadb-binlog does)
                    Some(code) => {
                        let plain = uncompressed_rows(ev, r, code).ok_or_else(|| {
                            WriteError::Unsupported("compressed rows event cut short".into())
                        })?;
                        self.add_binlog_event(&plain, sink)?;
                    }
                    None => self.add_binlog_event(ev.raw, sink)?,
                }
                if r.flags & STMT_END_F != 0 {
                    self.flush_binlog(sink)?;
                }
            }
            EventData::FormatDescription(f) => {
                self.format_description(ev.raw, f.to_format().flavor)
            }
            EventData::MariaGtid(g) => {
                self.flush_binlog(sink)?;
                let server = ev.header.server_id;
                if self.session.gtid_domain != Some(g.domain_id) {
                    let d = g.domain_id;
                    self.set(|b| {
                        let _ = write!(b, "@@session.gtid_domain_id={d}");
                    });
                    self.session.gtid_domain = Some(d);
                }
                if self.session.server_id != Some(server) {
                    self.set(|b| {
                        let _ = write!(b, "@@session.server_id={server}");
                    });
                    self.session.server_id = Some(server);
                }
                let seq = g.seq_no;
                self.set(|b| {
                    let _ = write!(b, "@@session.gtid_seq_no={seq}");
                });
                if g.flags & FL_PREPARED_XA != 0 {
                    // an XA transaction's first phase: XA START, its events, XA END (a
                    // statement), then an XA_PREPARE event
                    let xid = maria_gtid_xid(ev.body).ok_or_else(|| {
                        WriteError::Unsupported("XA GTID event without its XID".into())
                    })?;
                    let mut st = b"XA START ".to_vec();
                    st.extend_from_slice(&xid);
                    self.emit(sink, &st)?;
                } else if g.flags & FL_COMPLETED_XA != 0 {
                    // XA COMMIT/ROLLBACK of a prepared transaction: the statement follows
                } else if g.flags & FL_STANDALONE == 0 {
                    self.emit(sink, b"START TRANSACTION")?;
                }
            }
            EventData::Gtid(g) => {
                self.flush_binlog(sink)?;
                if g.anonymous {
                    self.emit(sink, b"SET @@SESSION.GTID_NEXT= 'ANONYMOUS'")?;
                } else {
                    let text =
                        binvault_sink::scan::gtid_text(Some(&binvault_sink::txn::TxGtid::Mysql {
                            sid: g.sid.0,
                            tag: String::new(),
                            gno: g.gno as u64,
                        }));
                    let st = format!("SET @@SESSION.GTID_NEXT= '{text}'");
                    self.emit(sink, st.as_bytes())?;
                }
                self.mysql_gtid_next = true;
            }
            EventData::GtidTagged(g) => {
                self.flush_binlog(sink)?;
                let text =
                    binvault_sink::scan::gtid_text(Some(&binvault_sink::txn::TxGtid::Mysql {
                        sid: g.sid.0,
                        tag: String::from_utf8_lossy(g.tag).into_owned(),
                        gno: g.gno as u64,
                    }));
                let st = format!("SET @@SESSION.GTID_NEXT= '{text}'");
                self.emit(sink, st.as_bytes())?;
                self.mysql_gtid_next = true;
            }
            EventData::Query(q) => {
                self.flush_binlog(sink)?;
                self.context(ev, q, sink)?;
                self.emit(sink, &q.query)?;
            }
            EventData::Xid(_) => {
                self.flush_binlog(sink)?;
                self.emit(sink, b"COMMIT")?;
            }
            EventData::Intvar(i) => {
                let (name, v) = (
                    if i.kind == 1 {
                        "LAST_INSERT_ID"
                    } else {
                        "INSERT_ID"
                    },
                    i.value,
                );
                self.set(|b| {
                    let _ = write!(b, "{name}={v}");
                });
            }
            EventData::Rand(r) => {
                let (a, c) = (r.seed1, r.seed2);
                self.set(|b| {
                    let _ = write!(b, "@@RAND_SEED1={a}, @@RAND_SEED2={c}");
                });
            }
            EventData::UserVar(u) => {
                let mut assignment = Vec::with_capacity(64);
                user_var(&mut assignment, u)?;
                self.set(|b| b.extend_from_slice(&assignment));
            }
            EventData::BeginLoadQuery(b) => {
                let start = ev.event_type == binvault_parser::EventType::BeginLoadQuery;
                let data = self.load_files.entry(b.file_id).or_default();
                if start {
                    data.clear();
                }
                data.extend_from_slice(b.data);
            }
            EventData::ExecuteLoadQuery(e) => {
                self.flush_binlog(sink)?;
                let q = &e.query;
                self.context(ev, q, sink)?;
                let data = self.load_files.remove(&e.file_id).ok_or_else(|| {
                    WriteError::Unsupported(format!(
                        "LOAD DATA of file id {} without its data (BEGIN_LOAD_QUERY not in the range)",
                        e.file_id
                    ))
                })?;
                let (s, t) = (e.start_pos as usize, e.end_pos as usize);
                let (Some(before), Some(after)) = (q.query.get(..s), q.query.get(t..)) else {
                    return Err(WriteError::Unsupported(format!(
                        "LOAD DATA file name position {s}..{t} outside the statement"
                    )));
                };
                let dup: &[u8] = match e.dup_handling {
                    2 => b" REPLACE",
                    1 => b" IGNORE",
                    _ => b"",
                };
                let mut tail = Vec::with_capacity(after.len() + 16);
                tail.extend_from_slice(dup);
                tail.extend_from_slice(b" INTO");
                tail.extend_from_slice(after);
                self.flush_set(sink)?;
                sink.load_data(before, &tail, &data)?;
            }
            EventData::TransactionPayload(p) => {
                let mut inner = p
                    .events(decoder.format(), decoder.options())
                    .map_err(|e| WriteError::Unsupported(format!("transaction payload: {e}")))?;
                let mut dec = decoder.clone();
                loop {
                    let next = inner.next_event().map_err(|e| {
                        WriteError::Unsupported(format!("transaction payload: {e}"))
                    })?;
                    let Some(iev) = next else { break };
                    self.event(&iev, &dec, sink)?;
                }
                dec.clear_tables();
            }
            EventData::XaPrepare(x) => {
                self.flush_binlog(sink)?;
                let mut st = Vec::with_capacity(64);
                st.extend_from_slice(if x.one_phase {
                    b"XA COMMIT "
                } else {
                    b"XA PREPARE "
                });
                push_xid(&mut st, x.gtrid, x.bqual, x.format_id);
                if x.one_phase {
                    st.extend_from_slice(b" ONE PHASE");
                }
                self.emit(sink, &st)?;
            }
            EventData::Incident(i) => {
                return Err(WriteError::Unsupported(format!(
                    "an INCIDENT event (the source lost events: {:?}): the archive cannot be \
                     replayed past it",
                    String::from_utf8_lossy(i.message)
                )))
            }
            EventData::MariaStartEncryption(_) => {
                return Err(WriteError::Unsupported(
                    "the binlog is encrypted from here on".into(),
                ))
            }
            // nothing to redo: control events, annotations, heartbeats, ignorable events
            EventData::Rotate(_)
            | EventData::Stop
            | EventData::Heartbeat(_)
            | EventData::Ignorable(_)
            | EventData::RowsQuery(_)
            | EventData::MariaAnnotateRows(_)
            | EventData::MariaBinlogCheckpoint(_)
            | EventData::MariaGtidList(_)
            | EventData::PreviousGtids(_)
            | EventData::TransactionContext(_)
            | EventData::ViewChange(_) => {}
            EventData::Other(_) => {
                if ev.header.flags & binvault_parser::header::FLAG_IGNORABLE == 0 {
                    return Err(WriteError::Unsupported(format!(
                        "event type {} ({}) cannot be restored",
                        ev.header.type_code,
                        ev.event_type.name()
                    )));
                }
            }
            _ => {
                return Err(WriteError::Unsupported(format!(
                    "event type {} cannot be restored",
                    ev.event_type.name()
                )))
            }
        }
        Ok(())
    }

    /// The session context of a statement: only what changed since the last one.
    fn context(&mut self, ev: &Event<'_>, q: &QueryEvent<'_>, sink: &mut dyn Sink) -> WResult {
        let mut micros = None;
        let mut charset = None;
        let mut tz = None;
        let mut cdb = None;
        let mut flags2 = None;
        let mut sql_mode = None;
        let mut edt = None;
        let mut mysql8: (Option<u16>, Option<u8>, Option<u8>) = (None, None, None);
        // MariaDB and MySQL leave these out when they have their default value: absent means
        // auto_increment 1/1, lc_time_names 0 (en_US) and collation_database DEFAULT
        let mut ai = Some((1, 1));
        let mut lc = Some(0);
        for v in q.status_vars() {
            let v = v.map_err(|e| WriteError::Unsupported(format!("status variables: {e}")))?;
            match v {
                StatusVar::Flags2(f) => flags2 = Some(f),
                StatusVar::SqlMode(m) => sql_mode = Some(m),
                StatusVar::AutoIncrement { increment, offset } => ai = Some((increment, offset)),
                StatusVar::Charset {
                    client,
                    connection,
                    server,
                } => charset = Some((client, connection, server)),
                StatusVar::TimeZone(z) => tz = Some(z),
                StatusVar::LcTimeNames(n) => lc = Some(n),
                StatusVar::CharsetDatabase(c) => cdb = Some(c),
                StatusVar::Microseconds(u) | StatusVar::Hrnow(u) => micros = Some(u),
                StatusVar::ExplicitDefaultsForTimestamp(x) => edt = Some(x),
                StatusVar::DefaultCollationForUtf8mb4(c) => mysql8.0 = Some(c),
                StatusVar::SqlRequirePrimaryKey(x) => mysql8.1 = Some(x),
                StatusVar::DefaultTableEncryption(x) => mysql8.2 = Some(x),
                _ => {}
            }
        }
        if ev.header.flags & LOG_EVENT_SUPPRESS_USE_F != 0 {
            // CREATE/DROP DATABASE and the like: the server logs them without a `use`, which
            // would fail before the database exists
            if !is_word(&q.query, b"BEGIN") && !is_word(&q.query, b"COMMIT") {
                self.session.db = None;
            }
        } else if !q.schema.is_empty() && self.session.db.as_deref() != Some(q.schema) {
            self.buf.clear();
            self.buf.extend_from_slice(b"use ");
            push_ident(&mut self.buf, q.schema);
            self.emit_buf(sink)?;
            self.session.db = Some(q.schema.to_vec());
        }
        let ts = ev.header.timestamp;
        self.set(|b| {
            let _ = match micros {
                Some(u) => write!(b, "TIMESTAMP={ts}.{u:06}"),
                None => write!(b, "TIMESTAMP={ts}"),
            };
        });
        if self.session.pseudo_thread_id != Some(q.thread_id) {
            let t = q.thread_id;
            self.set(|b| {
                let _ = write!(b, "@@session.pseudo_thread_id={t}");
            });
            self.session.pseudo_thread_id = Some(t);
        }
        if let Some(f) = flags2 {
            let old = self.session.flags2;
            if old != Some(f) {
                let maria = self.flavor == Flavor::MariaDb;
                self.set(|b| {
                    let mut first = true;
                    let all = FLAGS2_COMMON
                        .iter()
                        .chain(if maria { FLAGS2_MARIADB } else { &[] });
                    for &(bit, name, set_means_one) in all {
                        if old.is_some_and(|o| o & bit == f & bit) {
                            continue;
                        }
                        if !first {
                            b.extend_from_slice(b", ");
                        }
                        first = false;
                        let one = (f & bit != 0) == set_means_one;
                        let _ = write!(b, "@@session.{name}={}", u8::from(one));
                    }
                });
                self.session.flags2 = Some(f);
            }
        }
        // MySQL 8's session variables, when the event carries them
        let known = self.session.mysql8;
        if let Some(c) = mysql8.0.filter(|&c| known.0 != Some(c)) {
            self.set(|b| {
                let _ = write!(b, "@@session.default_collation_for_utf8mb4={c}");
            });
            self.session.mysql8.0 = Some(c);
        }
        if let Some(x) = mysql8.1.filter(|&x| known.1 != Some(x)) {
            self.set(|b| {
                let _ = write!(b, "@@session.sql_require_primary_key={x}");
            });
            self.session.mysql8.1 = Some(x);
        }
        if let Some(x) = mysql8.2.filter(|&x| known.2 != Some(x)) {
            self.set(|b| {
                let _ = write!(b, "@@session.default_table_encryption={x}");
            });
            self.session.mysql8.2 = Some(x);
        }
        if let Some(x) = edt {
            if self.session.explicit_defaults != Some(x) {
                self.set(|b| {
                    let _ = write!(b, "@@session.explicit_defaults_for_timestamp={x}");
                });
                self.session.explicit_defaults = Some(x);
            }
        }
        if let Some(m) = sql_mode {
            if self.session.sql_mode != Some(m) {
                self.set(|b| {
                    let _ = write!(b, "@@session.sql_mode={m}");
                });
                self.session.sql_mode = Some(m);
            }
        }
        if let Some((inc, off)) = ai {
            if self.session.auto_increment != Some((inc, off)) {
                self.set(|b| {
                    let _ = write!(
                        b,
                        "@@session.auto_increment_increment={inc}, @@session.auto_increment_offset={off}"
                    );
                });
                self.session.auto_increment = Some((inc, off));
            }
        }
        if let Some((client, conn, server)) = charset {
            if self.session.charset != Some((client, conn, server)) {
                if let Some((cs, _)) = collation(u32::from(client)) {
                    sink.client_charset(cs)?;
                }
                self.set(|b| {
                    let _ = match collation(u32::from(client)) {
                        Some((cs, _)) => write!(b, "@@session.character_set_client={cs}"),
                        None => write!(b, "@@session.character_set_client={client}"),
                    };
                    let _ = write!(
                        b,
                        ",@@session.collation_connection={conn},@@session.collation_server={server}"
                    );
                });
                self.session.charset = Some((client, conn, server));
            }
        }
        if let Some(z) = tz {
            if self.session.time_zone.as_deref() != Some(z) {
                self.set(|b| {
                    b.extend_from_slice(b"@@session.time_zone=");
                    push_string_literal(b, z);
                });
                self.session.time_zone = Some(z.to_vec());
            }
        }
        if let Some(n) = lc {
            if self.session.lc_time_names != Some(n) {
                self.set(|b| {
                    let _ = write!(b, "@@session.lc_time_names={n}");
                });
                self.session.lc_time_names = Some(n);
            }
        }
        if self.session.collation_database != Some(cdb)
            && (cdb.is_some() || self.session.collation_database.is_some())
        {
            self.set(|b| {
                let _ = match cdb {
                    Some(c) => write!(b, "@@session.collation_database={c}"),
                    None => write!(b, "@@session.collation_database=DEFAULT"),
                };
            });
            self.session.collation_database = Some(cdb);
        }
        Ok(())
    }
}

/// The type code of the plain rows event a MariaDB compressed one stands for.
fn uncompressed_type(t: binvault_parser::EventType) -> Option<u8> {
    use binvault_parser::EventType as T;
    Some(match t {
        T::MariaWriteRowsCompressedV1 => 23,
        T::MariaUpdateRowsCompressedV1 => 24,
        T::MariaDeleteRowsCompressedV1 => 25,
        T::MariaWriteRowsCompressed => 30,
        T::MariaUpdateRowsCompressed => 31,
        T::MariaDeleteRowsCompressed => 32,
        _ => return None,
    })
}

/// A compressed rows event rebuilt as the plain event: the same header (type and size
/// changed), the same body up to the row images, the decompressed images, a new CRC32 when
/// the binlog has checksums.
fn uncompressed_rows(
    ev: &Event<'_>,
    r: &binvault_parser::events::RowsEvent<'_>,
    code: u8,
) -> Option<Vec<u8>> {
    let head = ev.raw.get(..ev.body_offset)?;
    let before_rows = ev.body.get(..r.rows_offset)?;
    let crc = ev.raw.len().checked_sub(ev.body_offset + ev.body.len())? == 4;
    let total = head.len() + before_rows.len() + r.rows_data.len() + if crc { 4 } else { 0 };
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(head);
    out.extend_from_slice(before_rows);
    out.extend_from_slice(&r.rows_data);
    *out.get_mut(4)? = code;
    out.get_mut(9..13)?
        .copy_from_slice(&u32::try_from(total).ok()?.to_le_bytes());
    if crc {
        let sum = crc32fast::hash(&out);
        out.extend_from_slice(&sum.to_le_bytes());
    }
    Some(out)
}

/// `X'gtrid',X'bqual',format_id`, as XA statements take an XID.
fn push_xid(b: &mut Vec<u8>, gtrid: &[u8], bqual: &[u8], format_id: u32) {
    b.extend_from_slice(b"X'");
    push_hex(b, gtrid);
    b.extend_from_slice(b"',X'");
    push_hex(b, bqual);
    let _ = write!(b, "',{format_id}");
}

/// The XID of a MariaDB GTID event of an XA transaction (`FL_PREPARED_XA`/`FL_COMPLETED_XA`):
/// seq_no (8), domain (4), flags (1), format id (4), gtrid length (1), bqual length (1),
/// gtrid, bqual. binvault-parser keeps only the format id of it, so the bytes are read here,
/// bounds-checked; `None` when the body is too short.
fn maria_gtid_xid(body: &[u8]) -> Option<Vec<u8>> {
    let format_id = u32::from_le_bytes(body.get(13..17)?.try_into().ok()?);
    let g = usize::from(*body.get(17)?);
    let q = usize::from(*body.get(18)?);
    let gtrid = body.get(19..19 + g)?;
    let bqual = body.get(19 + g..19 + g + q)?;
    let mut out = Vec::with_capacity(2 * (g + q) + 16);
    push_xid(&mut out, gtrid, bqual, format_id);
    Some(out)
}

/// `'...'` with quotes, backslashes and NULs escaped.
fn push_string_literal(b: &mut Vec<u8>, s: &[u8]) {
    b.push(b'\'');
    for &c in s {
        match c {
            b'\'' => b.extend_from_slice(b"\\'"),
            b'\\' => b.extend_from_slice(b"\\\\"),
            0 => b.extend_from_slice(b"\\0"),
            c => b.push(c),
        }
    }
    b.push(b'\'');
}

/// `SET @`name`:=value` for a USER_VAR event.
fn user_var(b: &mut Vec<u8>, u: &UserVarEvent<'_>) -> WResult {
    b.push(b'@');
    push_ident(b, u.name);
    b.extend_from_slice(b":=");
    let Some(v) = &u.value else {
        b.extend_from_slice(b"NULL");
        return Ok(());
    };
    let bad = |what: &str| WriteError::Unsupported(format!("user variable: {what}"));
    let unsigned = v.flags.is_some_and(|f| f & 1 != 0);
    match v.kind {
        0 => {
            // STRING: the bytes in their collation
            match collation(v.charset) {
                Some((cs, coll)) => {
                    let _ = write!(b, "_{cs} X'");
                    push_hex(b, v.bytes);
                    let _ = write!(b, "' COLLATE `{coll}`");
                }
                None => {
                    b.extend_from_slice(b"X'");
                    push_hex(b, v.bytes);
                    b.push(b'\'');
                }
            }
        }
        1 => {
            let a: [u8; 8] = v
                .bytes
                .try_into()
                .map_err(|_| bad("REAL value is not 8 bytes"))?;
            let d = f64::from_le_bytes(a);
            if !d.is_finite() {
                return Err(bad("REAL value is not finite"));
            }
            // scientific notation keeps it a DOUBLE (a plain literal would be DECIMAL)
            let _ = write!(b, "{d:e}");
        }
        2 => {
            let a: [u8; 8] = v
                .bytes
                .try_into()
                .map_err(|_| bad("INT value is not 8 bytes"))?;
            let _ = if unsigned {
                write!(b, "{}", u64::from_le_bytes(a))
            } else {
                write!(b, "{}", i64::from_le_bytes(a))
            };
        }
        4 => {
            let (&prec, rest) = v.bytes.split_first().ok_or_else(|| bad("empty DECIMAL"))?;
            let (&scale, rest) = rest
                .split_first()
                .ok_or_else(|| bad("DECIMAL without scale"))?;
            let (d, _) =
                Decimal::decode(rest, prec, scale).map_err(|e| bad(&format!("DECIMAL: {e}")))?;
            let _ = write!(b, "{d}");
        }
        k => return Err(bad(&format!("value type {k}"))),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn base64_lines() {
        let mut out = Vec::new();
        push_base64(&mut out, &[0u8; 60]);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), 76);
        assert_eq!(lines[1], "AAAA");
    }

    #[test]
    fn identifiers_and_literals_are_quoted() {
        let mut b = Vec::new();
        push_ident(&mut b, b"a`b");
        assert_eq!(b, b"`a``b`");
        b.clear();
        push_string_literal(&mut b, b"it's \\ \0");
        assert_eq!(b, b"'it\\'s \\\\ \\0'");
    }
}
