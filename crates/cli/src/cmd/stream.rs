//! `binvault stream`: replicate from a source and archive its binlog files, byte for byte,
//! durably (binvault-sink): group commit, semi-sync acknowledgement after fsync, resume
//! after the archive's durable position, reconnect after transient failures.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use binvault_protocol::binlog::{StreamItem, FORMAT_DESCRIPTION_EVENT};
use binvault_protocol::driver::{
    ConnectOptions, Connection, Flavor, ReplicaOptions, SourceInfo, StartPosition,
};
use binvault_protocol::gtid::{MariadbGtidList, MysqlGtidSet};
use binvault_sink::{Archive, SinkOptions, SyncPolicy};
use tokio::sync::Notify;

use super::failover;
use crate::metrics::Metrics;
use binvault_sink::timeline::{now_secs, Segment, Timeline};
use tracing::{error, info, warn};

/// Arguments of `binvault stream`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The source: mysql://USER[:PASSWORD]@HOST[:PORT]. Several servers (a primary and its
    /// replicas): mysql://USER@h1:p1,h2:p2, or the option repeated; the writable primary is
    /// archived and, when it goes, the promoted one. Prefer BINVAULT_PASSWORD or
    /// --password-file to a password in the URL (argv is visible to other users).
    #[arg(long, value_name = "URL")]
    source: Vec<String>,
    /// With several sources: the query that tells the primary (its first value is 1 there).
    #[arg(
        long,
        value_name = "SQL",
        default_value = "SELECT @@GLOBAL.read_only = 0"
    )]
    primary_check: String,
    /// With several sources: how often every source is polled (the current one must stay
    /// the primary; the others' own writes while they are replicas are remembered as
    /// errant suspects).
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    watch_interval: f64,
    /// Archive directory (created if missing). Each source server gets a directory in it.
    #[arg(long, value_name = "DIR")]
    archive: Option<PathBuf>,
    /// Read settings from a TOML file: the same names as the options (`source`, `archive`,
    /// `sync = "commit"`, `semi-sync = true`, ...); options on the command line win.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// First start only: begin at the source's current position (archive only what comes).
    #[arg(long, conflicts_with_all = ["start", "start_gtid"])]
    from_now: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics and a health check at /healthz.
    #[arg(long, value_name = "ADDR")]
    metrics_addr: Option<String>,
    /// /healthz fails when the replication lag exceeds this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    lag_threshold: f64,
    /// First start only: begin at a binlog file, optionally at a position (default 4).
    /// Default: the oldest binlog the source has. Later starts resume after the archive.
    #[arg(long, value_name = "FILE[:POS]", conflicts_with = "start_gtid")]
    start: Option<String>,
    /// First start only: begin after a GTID set: MariaDB `domain-server-seq,...` or MySQL
    /// `uuid:1-5,...`.
    #[arg(long, value_name = "SET")]
    start_gtid: Option<String>,
    /// Exit 0 once caught up with the source (non-blocking dump); errors are not retried.
    #[arg(long)]
    stop_at_end: bool,
    /// TLS mode: disabled, preferred, required, verify-ca, verify-full.
    #[arg(long, value_name = "MODE", default_value = "preferred")]
    tls_mode: String,
    /// PEM file of the CA to verify the source's certificate with.
    #[arg(long, value_name = "FILE")]
    tls_ca: Option<PathBuf>,
    /// File holding the password (first line). Also: the BINVAULT_PASSWORD variable.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// PEM file of the source's RSA public key (caching_sha2_password/sha256_password
    /// over plain TCP).
    #[arg(long, value_name = "FILE")]
    server_public_key: Option<PathBuf>,
    /// Allow asking the source for its RSA public key over plain TCP.
    #[arg(long)]
    get_server_public_key: bool,
    /// Server id to register with (unique among the source's replicas).
    #[arg(long, default_value_t = 0x6276_0001)]
    server_id: u32,
    /// Heartbeat period in seconds; the connection counts as dead after twice that plus 5 s
    /// of silence.
    #[arg(long, default_value_t = 5.0)]
    heartbeat: f64,
    /// Register as a semi-sync replica: acknowledge each transaction once it is fsynced.
    #[arg(long)]
    semi_sync: bool,
    /// Use the compressed protocol.
    #[arg(long)]
    compress: bool,
    /// When to fsync: `commit` (group commit: one fsync covers every transaction that
    /// arrived meanwhile), `<N>ms`, or `<N>kib`/`<N>mib` of unsynced data.
    #[arg(long, value_name = "POLICY", default_value = "commit")]
    sync: String,
    /// gzip files once sealed (verified before the original is removed).
    #[arg(long)]
    compress_sealed: bool,
}

/// Turns a TOML config file into command-line options placed before the real ones (which
/// therefore win): `key = "v"` → `--key v`, `key = true` → `--key`, numbers as text.
pub fn config_args(path: &std::path::Path) -> Result<Vec<std::ffi::OsString>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{}: invalid TOML", path.display()))?;
    let mut out = Vec::new();
    for (key, value) in table {
        if key == "password" {
            bail!("{}: put the password in a file (password-file) or BINVAULT_PASSWORD, not in the config", path.display());
        }
        if key == "config" {
            bail!(
                "{}: a config file cannot name another config file",
                path.display()
            );
        }
        let flag = format!("--{}", key.replace('_', "-"));
        match value {
            toml::Value::Boolean(true) => out.push(flag.into()),
            toml::Value::Boolean(false) => {}
            toml::Value::String(v) => {
                out.push(flag.into());
                out.push(v.into());
            }
            toml::Value::Integer(v) => {
                out.push(flag.into());
                out.push(v.to_string().into());
            }
            toml::Value::Float(v) => {
                out.push(flag.into());
                out.push(v.to_string().into());
            }
            toml::Value::Array(items) => {
                for item in items {
                    let toml::Value::String(v) = item else {
                        bail!("{}: {key}: expected a list of strings", path.display());
                    };
                    out.push(flag.clone().into());
                    out.push(v.into());
                }
            }
            other => bail!(
                "{}: {key} = {other}: expected a string, number or boolean",
                path.display()
            ),
        }
    }
    Ok(out)
}

fn connect_options(args: &Args) -> Result<Vec<ConnectOptions>> {
    if args.source.is_empty() {
        bail!("--source is required (or `source` in --config)")
    }
    let mut out = Vec::new();
    for source in &args.source {
        for url in failover::split_source_url(source)? {
            out.push(one_connect_options(args, &url)?);
        }
    }
    Ok(out)
}

fn one_connect_options(args: &Args, source: &str) -> Result<ConnectOptions> {
    let mut opts = super::login::connect_options(
        source,
        args.password_file.as_deref(),
        &args.tls_mode,
        args.tls_ca.as_ref(),
    )?;
    if let Some(path) = &args.server_public_key {
        opts.server_public_key = Some(
            std::fs::read(path)
                .with_context(|| format!("cannot read the public key {}", path.display()))?,
        );
    }
    opts.request_public_key = args.get_server_public_key;
    opts.compress = args.compress;
    Ok(opts)
}

/// The start asked for on the command line (first start of an archive only).
fn requested_start(args: &Args) -> Result<Option<StartPosition>> {
    if let Some(start) = &args.start {
        let (name, pos) = match start.rsplit_once(':') {
            Some((n, p)) => (
                n,
                p.parse::<u64>()
                    .with_context(|| format!("--start {start}: bad position"))?,
            ),
            None => (start.as_str(), 4),
        };
        if name.is_empty() || name.contains('/') || pos < 4 {
            bail!("--start {start}: expected FILE[:POS] with a plain file name and POS >= 4");
        }
        return Ok(Some(StartPosition::File {
            name: name.to_owned(),
            position: pos,
        }));
    }
    if let Some(set) = &args.start_gtid {
        if set.contains(':') || set.contains(|c: char| c.is_ascii_alphabetic()) {
            return Ok(Some(StartPosition::MysqlGtid(set.parse::<MysqlGtidSet>()?)));
        }
        return Ok(Some(StartPosition::MariadbGtid(
            set.parse::<MariadbGtidList>()?,
        )));
    }
    Ok(None)
}

/// The archive's identity file: which source it belongs to, and the host name this archiver
/// registers with (unique, so that another replica with the same server id is told apart).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Identity {
    source_server_id: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_server_uuid: Option<String>,
    source: String,
    report_host: String,
}

const IDENTITY_FILE: &str = "binvault.json";

/// Loads or creates the identity (the first source archived, and this archiver's report
/// host). Which servers may continue the archive is the timeline's business.
fn load_identity(root: &std::path::Path, info: &SourceInfo, source: &str) -> Result<Identity> {
    binvault_sink::fs::create_dir(root)?;
    let path = root.join(IDENTITY_FILE);
    if let Ok(data) = std::fs::read(&path) {
        let id: Identity = serde_json::from_slice(&data)
            .with_context(|| format!("{}: damaged identity file", path.display()))?;
        return Ok(id);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let id = Identity {
        source_server_id: info.server_id,
        source_server_uuid: info.server_uuid.clone(),
        source: source.to_owned(),
        report_host: format!(
            "binvault-{:08x}",
            (nanos as u64 ^ u64::from(std::process::id()).rotate_left(32)) as u32
        ),
    };
    let data = serde_json::to_vec_pretty(&id)?;
    binvault_sink::fs::atomic_write(&path, &data)?;
    Ok(id)
}

/// Refuses a server id another replica of the source already uses (SHOW SLAVE HOSTS; skipped
/// when the user may not run it).
async fn check_server_id(conn: &mut Connection, server_id: u32, report_host: &str) -> Result<()> {
    let Ok(hosts) = conn.query("SHOW SLAVE HOSTS").await else {
        return Ok(());
    };
    let id_col = hosts
        .columns
        .iter()
        .position(|c| c.eq_ignore_ascii_case("Server_id"))
        .unwrap_or(0);
    let host_col = hosts
        .columns
        .iter()
        .position(|c| c.eq_ignore_ascii_case("Host"))
        .unwrap_or(1);
    for row in &hosts.rows {
        let id = row
            .get(id_col)
            .flatten()
            .and_then(|v| std::str::from_utf8(v).ok()?.parse::<u32>().ok());
        let host = row
            .get(host_col)
            .flatten()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        if id == Some(server_id) && host != report_host {
            bail!(
                "server id {server_id} is already used by another replica of the source (host {host:?}): choose another --server-id (two replicas with one id disconnect each other)"
            );
        }
    }
    Ok(())
}

/// The directory of a source server inside the archive.
fn server_dir_name(info: &SourceInfo) -> String {
    match (&info.flavor, &info.server_uuid) {
        (Flavor::MySql, Some(uuid)) => format!("server-{uuid}"),
        _ => format!("server-{}", info.server_id),
    }
}

enum Exit {
    CaughtUp,
    Signal,
}

/// Errors a reconnect cannot heal.
fn is_fatal(e: &anyhow::Error) -> bool {
    use binvault_protocol::Error as P;
    if let Some(p) = e.downcast_ref::<P>() {
        return match p {
            P::Io { .. } | P::ConnectionClosed { .. } | P::Timeout { .. } => false,
            P::Server(s) => !matches!(
                s.code,
                1040 | 1053 | 1152 | 1158 | 1159 | 1160 | 1161 | 2013 | 1927
            ),
            _ => true,
        };
    }
    if let Some(s) = e.downcast_ref::<binvault_sink::Error>() {
        return !matches!(s, binvault_sink::Error::Io { .. });
    }
    true
}

struct Session<'a> {
    args: &'a Args,
    sources: &'a [ConnectOptions],
    timeline: Timeline,
    watch: Arc<std::sync::Mutex<failover::WatchState>>,
    demoted: Arc<Notify>,
    root: PathBuf,
    sink: SinkOptions,
    archive: Option<Archive>,
    stop: Arc<Notify>,
    stopping: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
}

impl Session<'_> {
    /// Connects to the source to archive: the only one, or the writable primary among
    /// several (the current segment's server first).
    async fn pick_source(&mut self) -> Result<(Connection, SourceInfo, usize)> {
        if let [opts] = self.sources {
            let mut conn = Connection::connect(opts)
                .await
                .with_context(|| format!("connecting to {}:{}", opts.host, opts.port))?;
            let info = conn.source_info().await?;
            return Ok((conn, info, 0));
        }
        let mut found = Vec::new();
        let mut why = Vec::new();
        for (i, opts) in self.sources.iter().enumerate() {
            let addr = format!("{}:{}", opts.host, opts.port);
            let mut conn = match Connection::connect(opts).await {
                Ok(c) => c,
                Err(e) => {
                    why.push(format!("{addr}: {e}"));
                    continue;
                }
            };
            let info = conn.source_info().await?;
            if failover::is_primary(&mut conn, &self.args.primary_check).await? {
                found.push((conn, info, i));
            } else {
                why.push(format!("{addr}: not the primary"));
            }
        }
        if found.len() > 1 {
            warn!(
                primaries = found.len(),
                "more than one source passes the primary check"
            );
        }
        let current = found.iter().position(|(_, info, _)| {
            self.timeline
                .current()
                .is_some_and(|seg| failover::same_server(seg, info))
        });
        match current {
            Some(i) => Ok(found.swap_remove(i)),
            None if !found.is_empty() => Ok(found.swap_remove(0)),
            None => Err(binvault_protocol::Error::ConnectionClosed {
                context: "no source is the writable primary",
            })
            .with_context(|| why.join("; ")),
        }
    }

    async fn run_once(&mut self) -> Result<Exit> {
        let (mut conn, info, picked) = self.pick_source().await?;
        let opts = &self.sources[picked];
        let source = format!("{}:{}", opts.host, opts.port);
        let identity = load_identity(&self.root, &info, &source)?;
        check_server_id(&mut conn, self.args.server_id, &identity.report_host).await?;
        let dir_name = server_dir_name(&info);
        let dir = self.root.join(&dir_name);
        if let Ok(mut w) = self.watch.lock() {
            w.current = Some(source.clone());
        }
        // the timeline: a first segment, the same server again, or a switch
        // `segment_start`: where this server's segment begins (used while its directory
        // holds nothing of it); `switched`: it begins there now, whatever the directory holds
        let (segment_start, switched) = match self.timeline.current().cloned() {
            None => {
                self.timeline.segments.push(Segment::new(
                    &dir_name,
                    info.server_id,
                    info.server_uuid.clone(),
                    &source,
                ));
                self.timeline.save(&self.root)?;
                (None, false)
            }
            Some(seg) if failover::same_server(&seg, &info) => {
                let start = seg
                    .start_file
                    .clone()
                    .zip(seg.start_offset)
                    .map(|(name, position)| StartPosition::File { name, position });
                (start, false)
            }
            Some(seg) => {
                let start = self.switch(&seg, opts, &info, &dir_name, &identity).await?;
                let switched = start.is_some();
                (start, switched)
            }
        };
        if self.archive.as_ref().is_none_or(|a| a.dir() != dir) {
            if let Some(old) = self.archive.take() {
                old.close()?;
            }
            let (archive, recovery) = Archive::open(&dir, self.sink.clone())?;
            if let Some(why) = &recovery.index_rebuilt {
                warn!(dir = %dir.display(), reason = %why, "index rebuilt from the binlog files");
            }
            for t in &recovery.truncated {
                warn!(file = %t.file, from = t.from, to = t.to, reason = %t.reason, "recovery cut the archive back to its last whole transaction");
            }
            self.archive = Some(archive);
        }
        let Some(archive) = self.archive.as_mut() else {
            bail!("archive not open")
        };
        // an interrupted stream may have left half a transaction: cut it, resume before it
        archive.rewind_to_boundary()?;
        let resume = if switched {
            None
        } else {
            archive.resume_point()
        };
        let resuming = resume.is_some();
        let start = match (resume, segment_start) {
            (Some(p), _) => {
                if self.args.start.is_some() || self.args.start_gtid.is_some() {
                    info!("the archive already holds data: --start/--start-gtid ignored, resuming after it");
                }
                StartPosition::File { name: p.file, position: p.offset }
            }
            (None, Some(start)) => start,
            (None, None) if self.args.from_now => match conn.binlog_status(&info).await? {
                Some((name, position)) => StartPosition::File { name, position },
                None => bail!("--from-now: the source reports no binlog position (SHOW MASTER STATUS is empty)"),
            },
            (None, None) => requested_start(self.args)?.unwrap_or(StartPosition::Oldest),
        };
        let replica = ReplicaOptions {
            server_id: self.args.server_id,
            start,
            heartbeat_period: Duration::from_secs_f64(self.args.heartbeat.max(0.001)),
            stop_at_end: self.args.stop_at_end,
            semi_sync: self.args.semi_sync,
            report_host: identity.report_host.clone(),
            ..ReplicaOptions::default()
        };
        info!(source = %source, version = %info.version, server_id = info.server_id, dir = %dir.display(), start = ?replica.start, "connected");
        let mut stream = conn.start_replication(&replica).await?;
        self.metrics.set_connected(true);
        let mut pending_ack: Option<(bytes::Bytes, u64, Instant)> = None;
        let mut checked_fde = !resuming;
        loop {
            let deadline = archive.sync_deadline();
            let item = tokio::select! {
                item = stream.next() => Some(item?),
                _ = sleep_until(deadline) => None,
                _ = self.stop.notified() => {
                    archive.sync()?;
                    return Ok(Exit::Signal);
                }
                _ = self.demoted.notified() => {
                    archive.sync()?;
                    return Err(binvault_protocol::Error::ConnectionClosed {
                        context: "the source is no longer the primary",
                    }
                    .into());
                }
            };
            let mut ended = false;
            let mut next = item;
            while let Some(item) = next.take() {
                match item {
                    StreamItem::Event(e) => match e.position {
                        None => {
                            if e.event_type() == FORMAT_DESCRIPTION_EVENT {
                                if !checked_fde {
                                    archive.check_format_description(
                                        &String::from_utf8_lossy(&e.file),
                                        &e.raw,
                                    )?;
                                    checked_fde = true;
                                }
                                archive.set_pending_format_description(&e.raw);
                            }
                        }
                        Some(pos) => {
                            let file = String::from_utf8_lossy(&e.file);
                            if !checked_fde && e.event_type() == FORMAT_DESCRIPTION_EVENT {
                                archive.check_format_description(&file, &e.raw)?;
                                checked_fde = true;
                            }
                            let appended = archive.append(&file, pos, &e.raw)?;
                            self.metrics.events.inc();
                            self.metrics.bytes.inc_by(e.raw.len() as u64);
                            if appended.committed {
                                self.metrics.transactions.inc();
                            }
                            self.metrics.event_archived(e.timestamp());
                            if e.needs_ack {
                                pending_ack = e
                                    .end_position()
                                    .map(|end| (e.file.clone(), end, Instant::now()));
                            }
                        }
                    },
                    StreamItem::Heartbeat(_) => {
                        self.metrics.caught_up();
                        // idle: lets state.json and index.json catch up
                        archive.sync()?;
                    }
                    StreamItem::End if !self.args.stop_at_end => {
                        // a blocking dump only ends when the source goes away (shutdown)
                        archive.sync()?;
                        return Err(binvault_protocol::Error::ConnectionClosed {
                            context: "the source ended the binlog stream (shutting down?)",
                        }
                        .into());
                    }
                    StreamItem::End => {
                        self.metrics.caught_up();
                        ended = true
                    }
                }
                if ended {
                    break;
                }
                // group commit: take whatever else has already arrived before syncing
                next = stream.try_next()?;
            }
            if archive.needs_sync(Instant::now()) || ended {
                let t = Instant::now();
                let durable = archive.sync()?.clone();
                self.metrics
                    .fsync_seconds
                    .observe(t.elapsed().as_secs_f64());
                self.metrics.durable_offset.set(durable.offset as i64);
                if let Some((file, end, received)) = &pending_ack {
                    let covered = durable.file.as_bytes() > &file[..]
                        || (durable.file.as_bytes() == &file[..] && durable.offset >= *end);
                    if covered {
                        stream.ack_position(file, *end).await?;
                        self.metrics
                            .ack_seconds
                            .observe(received.elapsed().as_secs_f64());
                        pending_ack = None;
                    }
                }
            }
            if ended {
                return Ok(Exit::CaughtUp);
            }
            if self.stopping.load(Ordering::Relaxed) {
                archive.sync()?;
                return Ok(Exit::Signal);
            }
        }
    }
}

impl Session<'_> {
    /// Moves the archive to a new server after the old one went: checks the new server's
    /// history against the archive's, then ends the old segment and begins a new one at the
    /// switch point. `None`: the old segment archived nothing, so the new server starts as
    /// a first start would.
    async fn switch(
        &mut self,
        old: &Segment,
        opts: &ConnectOptions,
        info: &SourceInfo,
        dir_name: &str,
        identity: &Identity,
    ) -> Result<Option<StartPosition>> {
        let old_dir = self.root.join(&old.server_dir);
        // the old directory, recovered and closed: its durable end ends the segment
        let durable = match self.archive.take() {
            Some(a) if a.dir() == old_dir => a.close()?,
            other => {
                if let Some(a) = other {
                    a.close()?;
                }
                let (mut a, _) = Archive::open(&old_dir, self.sink.clone())?;
                a.rewind_to_boundary()?;
                a.close()?
            }
        };
        let suspects = self
            .watch
            .lock()
            .ok()
            .and_then(|w| w.suspects.get(&info.server_id).cloned())
            .unwrap_or_default();
        let history = self.timeline.history(&self.root)?;
        let end_gtid = if history.mariadb_position().is_empty() {
            history.mysql_set().to_string()
        } else {
            history.mariadb_position()
        };
        let source = format!("{}:{}", opts.host, opts.port);
        warn!(from = %old.source, to = %source, archive_gtid = %end_gtid, "the archived server is gone: checking the new primary's history");
        let found = failover::reconcile(
            &self.root,
            &mut self.timeline,
            opts,
            info,
            dir_name,
            self.args.server_id,
            &identity.report_host,
            suspects,
        )
        .await?;
        let now = now_secs();
        let new_segment = |start: Option<(String, u64)>, first: Option<String>| Segment {
            start_offset: start.as_ref().map(|s| s.1),
            start_file: start.map(|s| s.0),
            start_gtid: end_gtid.clone(),
            first_gtid: first,
            ..Segment::new(dir_name, info.server_id, info.server_uuid.clone(), &source)
        };
        let Some((file, offset, first)) = found else {
            // nothing archived yet: the new server simply replaces the old one
            self.timeline.segments.pop();
            self.timeline.segments.push(new_segment(None, None));
            self.timeline.save(&self.root)?;
            return Ok(None);
        };
        if let Some(seg) = self.timeline.segments.last_mut() {
            seg.end_file = Some(durable.file.clone());
            seg.end_offset = Some(durable.offset);
            seg.end_gtid = Some(end_gtid.clone());
            seg.ended_at = Some(now);
        }
        self.timeline
            .segments
            .push(new_segment(Some((file.clone(), offset)), first.clone()));
        self.timeline.save(&self.root)?;
        warn!(to = %source, after = %end_gtid, file = %file, offset, first = first.as_deref().unwrap_or(""), "switched to the new primary: its history continues the archive's");
        Ok(Some(StartPosition::File {
            name: file,
            position: offset,
        }))
    }
}

/// The timeline, or for an archive made before timelines, one segment for its server.
fn load_timeline(root: &std::path::Path) -> Result<Timeline> {
    if let Some(t) = Timeline::load(root)? {
        return Ok(t);
    }
    let Ok(data) = std::fs::read(root.join(IDENTITY_FILE)) else {
        return Ok(Timeline::default());
    };
    let id: Identity = serde_json::from_slice(&data).with_context(|| {
        format!(
            "{}: damaged identity file",
            root.join(IDENTITY_FILE).display()
        )
    })?;
    let by_uuid = id
        .source_server_uuid
        .as_ref()
        .map(|u| format!("server-{u}"));
    let server_dir = by_uuid
        .filter(|d| root.join(d).is_dir())
        .unwrap_or_else(|| format!("server-{}", id.source_server_id));
    Ok(Timeline {
        segments: vec![Segment::new(
            &server_dir,
            id.source_server_id,
            id.source_server_uuid,
            &id.source,
        )],
        diverged: Vec::new(),
    })
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

/// Runs `binvault stream`.
pub fn run(args: &Args) -> Result<ExitCode> {
    let sources = connect_options(args)?;
    let Some(root) = args.archive.clone() else {
        bail!("--archive is required (or `archive` in --config)")
    };
    let timeline = load_timeline(&root)?;
    let metrics = Metrics::new(Duration::from_secs_f64(args.lag_threshold.max(0.0)));
    if let Some(addr) = &args.metrics_addr {
        crate::metrics::serve(addr, metrics.clone())?;
    }
    let sync: SyncPolicy = args.sync.parse()?;
    requested_start(args)?; // reject a malformed start before connecting
    let sink = SinkOptions {
        sync,
        compress: args.compress_sealed,
        ..SinkOptions::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let stop = Arc::new(Notify::new());
        let stopping = Arc::new(AtomicBool::new(false));
        {
            let (stop, stopping) = (stop.clone(), stopping.clone());
            tokio::spawn(async move {
                let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => return,
                };
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
                stopping.store(true, Ordering::Relaxed);
                stop.notify_one();
            });
        }
        let watch = Arc::new(std::sync::Mutex::new(failover::WatchState::default()));
        let demoted = Arc::new(Notify::new());
        if sources.len() > 1 {
            tokio::spawn(failover::watch(
                sources.clone(),
                args.primary_check.clone(),
                Duration::from_secs_f64(args.watch_interval.max(0.1)),
                watch.clone(),
                demoted.clone(),
            ));
        }
        let mut session = Session { args, sources: &sources, timeline, watch, demoted, root, sink, archive: None, stop, stopping, metrics };
        let mut delay = Duration::from_millis(200);
        loop {
            let began = Instant::now();
            let result = session.run_once().await;
            session.metrics.set_connected(false);
            if result.is_err() {
                session.metrics.error();
            }
            if began.elapsed() > Duration::from_secs(30) {
                delay = Duration::from_millis(200); // it had been streaming: start over
            }
            match result {
                Ok(exit) => {
                    if let Some(archive) = session.archive.take() {
                        let d = archive.close()?;
                        info!(file = %d.file, offset = d.offset, gtid = %d.gtid_position, "archive closed");
                    }
                    if matches!(exit, Exit::Signal) {
                        info!("stopped by signal: archive synced");
                    } else {
                        info!("caught up with the source (--stop-at-end)");
                    }
                    return Ok(ExitCode::SUCCESS);
                }
                Err(e) if args.stop_at_end || is_fatal(&e) => {
                    if let Some(archive) = session.archive.take() {
                        if !archive.is_poisoned() {
                            let _ = archive.close();
                        }
                    }
                    return Err(e);
                }
                Err(e) => {
                    // capped exponential backoff with jitter
                    let nanos = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.subsec_nanos());
                    let jitter = delay.mul_f64(f64::from(nanos % 1000) / 4000.0);
                    error!(error = %format!("{e:#}"), retry_in_ms = (delay + jitter).as_millis() as u64, "stream interrupted; reconnecting");
                    tokio::select! {
                        _ = tokio::time::sleep(delay + jitter) => {}
                        _ = session.stop.notified() => {
                            if let Some(archive) = session.archive.take() {
                                let _ = archive.close();
                            }
                            return Ok(ExitCode::SUCCESS);
                        }
                    }
                    delay = (delay * 2).min(Duration::from_secs(30));
                    session.metrics.reconnects.inc();
                }
            }
        }
    })
}
