//! Replica set-up and the binlog stream over a [`Connection`].
//!
//! Set-up, in order: learn the source (flavour and version from the greeting, `@@server_id`,
//! `@@server_uuid`, `@@log_bin`, `@@binlog_checksum`, the GTID state), negotiate checksums
//! (`@master_binlog_checksum`, also `@source_binlog_checksum` on MySQL 8.0.26+), the heartbeat
//! period, MariaDB's `@mariadb_slave_capability` and `@slave_connect_state`, semi-sync
//! (`@rpl_semi_sync_slave` / `@rpl_semi_sync_replica`) when the source has it enabled, then
//! COM_REGISTER_SLAVE and COM_BINLOG_DUMP (or COM_BINLOG_DUMP_GTID on MySQL).

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tracing::{debug, info};

use crate::binlog::{BinlogEvent, BinlogStream, StreamConfig, StreamItem};
use crate::command::{self, dump_flags, BinlogDump, BinlogDumpGtid, RegisterSlave};
use crate::driver::Connection;
use crate::error::{Error, Result};
use crate::gtid::{MariadbGtidList, MysqlGtidSet};
use crate::response::ServerError;
use crate::semisync;

/// Server family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// MariaDB.
    MariaDb,
    /// MySQL (and Percona Server).
    MySql,
}

/// What the source told us about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// Server family.
    pub flavor: Flavor,
    /// Version string without MariaDB's `5.5.5-` prefix.
    pub version: String,
    /// `(major, minor, patch)` parsed from the version.
    pub version_number: (u32, u32, u32),
    /// `@@server_id`.
    pub server_id: u32,
    /// `@@server_uuid` (MySQL only).
    pub server_uuid: Option<String>,
    /// `@@binlog_checksum` is CRC32 (events carry a CRC32).
    pub checksum: bool,
    /// GTID state when the stream started: `@@gtid_binlog_pos` (MariaDB) or `@@gtid_executed`
    /// (MySQL), if the server has one.
    pub gtid_position: Option<String>,
    /// Semi-sync is enabled on the source (`rpl_semi_sync_master_enabled` or
    /// `rpl_semi_sync_source_enabled` is ON).
    pub semi_sync_enabled: bool,
}

impl SourceInfo {
    /// True for MySQL 8.0.26 and later, which renamed "master"/"slave" in variables.
    fn mysql_new_names(&self) -> bool {
        self.flavor == Flavor::MySql && self.version_number >= (8, 0, 26)
    }
}

/// Where the stream starts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StartPosition {
    /// The oldest binlog file the source still has, from its beginning.
    #[default]
    Oldest,
    /// A file and position (4 = the file's first event).
    File {
        /// Binlog file name, e.g. `mariadb-bin.000002`.
        name: String,
        /// Position in it.
        position: u64,
    },
    /// MySQL: every transaction not in this set.
    MysqlGtid(MysqlGtidSet),
    /// MariaDB: every transaction after this GTID position.
    MariadbGtid(MariadbGtidList),
}

/// How to replicate.
#[derive(Debug, Clone)]
pub struct ReplicaOptions {
    /// The replica's server id; must differ from the source's and every other replica's.
    pub server_id: u32,
    /// Start.
    pub start: StartPosition,
    /// Heartbeat period asked of the source (it sends a heartbeat when idle this long).
    pub heartbeat_period: Duration,
    /// The connection is declared dead after this long without any packet (default:
    /// twice the heartbeat period plus 5 s).
    pub idle_timeout: Option<Duration>,
    /// Non-blocking dump: the stream ends with [`StreamItem::End`] at the end of the binlog.
    pub stop_at_end: bool,
    /// Register as a semi-sync replica when the source has semi-sync enabled.
    pub semi_sync: bool,
    /// Host name shown in the source's `SHOW SLAVE HOSTS`.
    pub report_host: String,
}

impl Default for ReplicaOptions {
    fn default() -> Self {
        ReplicaOptions {
            server_id: 0x6276_0001,
            start: StartPosition::Oldest,
            heartbeat_period: Duration::from_secs(5),
            idle_timeout: None,
            stop_at_end: false,
            semi_sync: false,
            report_host: "binvault".into(),
        }
    }
}

fn parse_version(v: &str) -> (u32, u32, u32) {
    let mut nums = v
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap_or(0));
    (
        nums.next().unwrap_or(0),
        nums.next().unwrap_or(0),
        nums.next().unwrap_or(0),
    )
}

fn sql_quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

impl Connection {
    /// Asks the source about itself (see [`SourceInfo`]).
    pub async fn source_info(&mut self) -> Result<SourceInfo> {
        let greeting = self.greeting();
        let flavor = if greeting.is_mariadb() {
            Flavor::MariaDb
        } else {
            Flavor::MySql
        };
        let version = greeting.version().to_owned();
        let version_number = parse_version(&version);
        let gtid_var = match flavor {
            Flavor::MariaDb => "@@GLOBAL.gtid_binlog_pos",
            Flavor::MySql => "@@GLOBAL.gtid_executed",
        };
        let r = self
            .query(&format!(
                "SELECT @@GLOBAL.server_id, @@GLOBAL.log_bin, {gtid_var}"
            ))
            .await?;
        let server_id = r.first_value(0).and_then(|v| v.parse().ok()).unwrap_or(0);
        let log_bin = r.first_value(1).unwrap_or_default();
        if log_bin == "0" || log_bin.eq_ignore_ascii_case("OFF") {
            return Err(Error::BinlogDisabled);
        }
        let gtid_position = r.first_value(2).map(|s| s.replace('\n', ""));
        let checksum = match self.query("SELECT @@GLOBAL.binlog_checksum").await {
            Ok(r) => r
                .first_value(0)
                .is_some_and(|v| !v.eq_ignore_ascii_case("NONE")),
            Err(Error::Server(ServerError { code: 1193, .. })) => false, // before MySQL 5.6
            Err(e) => return Err(e),
        };
        let server_uuid = match flavor {
            Flavor::MySql => self
                .query("SELECT @@GLOBAL.server_uuid")
                .await
                .ok()
                .and_then(|r| r.first_value(0)),
            Flavor::MariaDb => None,
        };
        let semi = self
            .query("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('rpl_semi_sync_master_enabled', 'rpl_semi_sync_source_enabled')")
            .await?;
        let semi_sync_enabled = semi.rows.iter().any(|row| {
            row.get(1)
                .flatten()
                .is_some_and(|v| v.eq_ignore_ascii_case(b"ON"))
        });
        Ok(SourceInfo {
            flavor,
            version,
            version_number,
            server_id,
            server_uuid,
            checksum,
            gtid_position,
            semi_sync_enabled,
        })
    }

    /// The source's current binlog file and position (`SHOW BINARY LOG STATUS` on MySQL 8.2+,
    /// `SHOW MASTER STATUS` elsewhere). Needs REPLICATION CLIENT / BINLOG MONITOR.
    pub async fn binlog_status(&mut self, info: &SourceInfo) -> Result<Option<(String, u64)>> {
        let sql = if info.flavor == Flavor::MySql && info.version_number >= (8, 2, 0) {
            "SHOW BINARY LOG STATUS"
        } else {
            "SHOW MASTER STATUS"
        };
        let r = self.query(sql).await?;
        Ok(
            match (
                r.first_value(0),
                r.first_value(1).and_then(|p| p.parse().ok()),
            ) {
                (Some(f), Some(p)) => Some((f, p)),
                _ => None,
            },
        )
    }

    /// Sets the replica session up and starts the binlog dump.
    pub async fn start_replication(
        mut self,
        options: &ReplicaOptions,
    ) -> Result<ReplicationStream> {
        if options.server_id == 0 {
            return Err(Error::Config("the replica server id must not be 0".into()));
        }
        let info = self.source_info().await?;
        if info.server_id == options.server_id {
            return Err(Error::Config(format!(
                "the replica server id {} equals the source's @@server_id: choose another (--server-id)",
                options.server_id
            )));
        }
        let mut set = vec!["SET @master_binlog_checksum = @@GLOBAL.binlog_checksum".to_owned()];
        if info.mysql_new_names() {
            set.push("SET @source_binlog_checksum = @@GLOBAL.binlog_checksum".into());
        }
        let hb = options.heartbeat_period.as_nanos().max(1_000_000);
        set.push(format!("SET @master_heartbeat_period = {hb}"));
        if info.mysql_new_names() {
            set.push(format!("SET @source_heartbeat_period = {hb}"));
        }
        if info.flavor == Flavor::MariaDb {
            // 4 = MARIA_SLAVE_CAPABILITY_GTID: send every event as it is in the binlog.
            set.push("SET @mariadb_slave_capability = 4".into());
        }
        let semi_sync = options.semi_sync && info.semi_sync_enabled;
        if semi_sync {
            set.push("SET @rpl_semi_sync_slave = 1".into());
            if info.mysql_new_names() {
                set.push("SET @rpl_semi_sync_replica = 1".into());
            }
        }
        match &options.start {
            StartPosition::MariadbGtid(list) => {
                if info.flavor != Flavor::MariaDb {
                    return Err(Error::Config(
                        "a MariaDB GTID start (domain-server-seq) needs a MariaDB source".into(),
                    ));
                }
                set.push(format!(
                    "SET @slave_connect_state = {}",
                    sql_quote(&list.to_string())
                ));
                set.push("SET @slave_gtid_strict_mode = 1".into());
                set.push("SET @slave_gtid_ignore_duplicates = 0".into());
            }
            StartPosition::MysqlGtid(_) if info.flavor != Flavor::MySql => {
                return Err(Error::Config(
                    "a MySQL GTID set start (uuid:1-5) needs a MySQL source".into(),
                ));
            }
            _ => {}
        }
        for sql in &set {
            self.query(sql).await?;
        }
        let checksum = if info.checksum {
            let r = self.query("SELECT @master_binlog_checksum").await?;
            r.first_value(0)
                .is_some_and(|v| !v.eq_ignore_ascii_case("NONE"))
        } else {
            false
        };

        let mut payload = BytesMut::new();
        command::register_slave(
            &RegisterSlave {
                server_id: options.server_id,
                hostname: &options.report_host,
                user: "",
                port: 0,
            },
            &mut payload,
        )?;
        self.send_command(&payload).await?;
        let reply = self.read_payload("the COM_REGISTER_SLAVE answer").await?;
        if reply.first() == Some(&0xff) {
            let e = ServerError::decode(&reply)?;
            if matches!(e.code, 1045 | 1227) {
                return Err(Error::ReplicationDenied(e));
            }
            return Err(e.into());
        }

        let mut flags = 0;
        if options.stop_at_end {
            flags |= dump_flags::BINLOG_DUMP_NON_BLOCK;
        }
        payload.clear();
        let (file, position) = match &options.start {
            StartPosition::Oldest | StartPosition::MariadbGtid(_) => {
                if info.flavor == Flavor::MariaDb {
                    flags |= dump_flags::BINLOG_SEND_ANNOTATE_ROWS_EVENT;
                }
                command::binlog_dump(
                    &BinlogDump {
                        server_id: options.server_id,
                        flags,
                        filename: b"",
                        position: 4,
                    },
                    &mut payload,
                );
                (Bytes::new(), 4)
            }
            StartPosition::File { name, position } => {
                if info.flavor == Flavor::MariaDb {
                    flags |= dump_flags::BINLOG_SEND_ANNOTATE_ROWS_EVENT;
                }
                let pos = u32::try_from(*position).map_err(|_| {
                    Error::Config(format!(
                        "start position {position} does not fit the 32-bit COM_BINLOG_DUMP field"
                    ))
                })?;
                command::binlog_dump(
                    &BinlogDump {
                        server_id: options.server_id,
                        flags,
                        filename: name.as_bytes(),
                        position: pos,
                    },
                    &mut payload,
                );
                (Bytes::from(name.clone().into_bytes()), *position)
            }
            StartPosition::MysqlGtid(set) => {
                command::binlog_dump_gtid(
                    &BinlogDumpGtid {
                        server_id: options.server_id,
                        flags,
                        filename: b"",
                        position: 4,
                        gtid_set: Some(set),
                    },
                    &mut payload,
                )?;
                (Bytes::new(), 4)
            }
        };
        let idle = options
            .idle_timeout
            .unwrap_or(options.heartbeat_period * 2 + Duration::from_secs(5));
        let config = StreamConfig {
            semi_sync,
            checksum,
            idle_timeout: Some(idle),
        };
        let mut stream = BinlogStream::new(config, file, position);
        self.send_command(&payload).await?;
        if semi_sync {
            // the source restarts its packet numbering after reading each ack
            self.set_relaxed_sequence(true);
        }
        stream.start_clock(Instant::now());
        info!(source = %self.peer(), version = %info.version, start = ?options.start, checksum, semi_sync, "binlog dump started");
        Ok(ReplicationStream {
            conn: self,
            stream,
            info,
            semi_sync,
        })
    }
}

/// A running binlog dump.
#[derive(Debug)]
pub struct ReplicationStream {
    conn: Connection,
    stream: BinlogStream,
    info: SourceInfo,
    semi_sync: bool,
}

impl ReplicationStream {
    /// The next event, heartbeat or end. Errors: the server's ERR (e.g. 1236),
    /// [`Error::ConnectionClosed`], or [`Error::Timeout`] when nothing (not even a heartbeat)
    /// arrived within the idle timeout.
    pub async fn next(&mut self) -> Result<StreamItem> {
        let read = self.conn.read_payload_untimed("the binlog stream");
        let payload = match self.stream.deadline() {
            Some(deadline) => match tokio::time::timeout_at(deadline.into(), read).await {
                Ok(r) => r?,
                Err(_) => {
                    return Err(Error::Timeout {
                        what: "waiting for binlog events or heartbeats (is the source alive?)",
                        seconds: self.idle_timeout().as_secs_f64(),
                    });
                }
            },
            None => read.await?,
        };
        let item = match self.stream.handle_packet(payload, Instant::now()) {
            Err(Error::Server(e)) if e.code == 1227 => return Err(Error::ReplicationDenied(e)),
            other => other?,
        };
        if let StreamItem::Event(e) = &item {
            debug!(file = %String::from_utf8_lossy(&e.file), position = ?e.position, len = e.raw.len(), "event");
        }
        Ok(item)
    }

    /// The next item if its bytes have already arrived, without waiting: lets a caller
    /// take every event that came in meanwhile before one fsync (group commit).
    pub fn try_next(&mut self) -> Result<Option<StreamItem>> {
        let Some(payload) = self.conn.try_buffered_payload()? else {
            return Ok(None);
        };
        match self.stream.handle_packet(payload, Instant::now()) {
            Err(Error::Server(e)) if e.code == 1227 => Err(Error::ReplicationDenied(e)),
            other => other.map(Some),
        }
    }

    fn idle_timeout(&self) -> Duration {
        self.stream.config().idle_timeout.unwrap_or_default()
    }

    /// Acknowledges (semi-sync) that everything up to the end of `event` is durable. Only
    /// events with [`BinlogEvent::needs_ack`] need it; other calls are ignored.
    pub async fn ack(&mut self, event: &BinlogEvent) -> Result<()> {
        let (true, true, Some(end)) = (self.semi_sync, event.needs_ack, event.end_position())
        else {
            return Ok(());
        };
        let mut payload = BytesMut::new();
        semisync::ack(&event.file, end, &mut payload);
        self.conn.send_raw_command(&payload).await
    }

    /// Acknowledges (semi-sync) that everything up to `position` in `file` is durable; the
    /// source releases every commit waiting at or before it. Ignored when the stream is not
    /// semi-sync.
    pub async fn ack_position(&mut self, file: &[u8], position: u64) -> Result<()> {
        if !self.semi_sync {
            return Ok(());
        }
        let mut payload = BytesMut::new();
        semisync::ack(file, position, &mut payload);
        self.conn.send_raw_command(&payload).await
    }

    /// What the source told about itself at set-up.
    pub fn source(&self) -> &SourceInfo {
        &self.info
    }

    /// True when the stream carries semi-sync headers.
    pub fn is_semi_sync(&self) -> bool {
        self.semi_sync
    }

    /// The file and position after the last event.
    pub fn position(&self) -> (&Bytes, u64) {
        self.stream.position()
    }

    /// Closes the connection.
    pub async fn close(self) {
        self.conn.close().await;
    }
}
