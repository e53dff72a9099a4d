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
    ConnectOptions, Connection, Flavor, Password, ReplicaOptions, SourceInfo, StartPosition,
    TlsMode, TlsOptions,
};
use binvault_protocol::gtid::{MariadbGtidList, MysqlGtidSet};
use binvault_sink::{Archive, SinkOptions, SyncPolicy};
use tokio::sync::Notify;
use tracing::{error, info, warn};

/// Arguments of `binvault stream`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The source: mysql://USER[:PASSWORD]@HOST[:PORT]. Prefer BINVAULT_PASSWORD or
    /// --password-file to a password in the URL (argv is visible to other users).
    #[arg(long, value_name = "URL")]
    source: String,
    /// Archive directory (created if missing). Each source server gets a directory in it.
    #[arg(long, value_name = "DIR")]
    archive: PathBuf,
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

fn connect_options(args: &Args) -> Result<ConnectOptions> {
    let mut opts = ConnectOptions::from_url(&args.source)?;
    if let Some(path) = &args.password_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?;
        opts.password = Password::new(text.lines().next().unwrap_or("").as_bytes().to_vec());
    } else if opts.password.is_empty() {
        if let Some(pw) = std::env::var_os("BINVAULT_PASSWORD") {
            opts.password = Password::new(pw.into_encoded_bytes());
        }
    }
    let mode: TlsMode = args.tls_mode.parse()?;
    opts.tls = TlsOptions { mode, ca_file: args.tls_ca.clone(), server_name: None };
    if let Some(path) = &args.server_public_key {
        opts.server_public_key = Some(
            std::fs::read(path).with_context(|| format!("cannot read the public key {}", path.display()))?,
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
            Some((n, p)) => (n, p.parse::<u64>().with_context(|| format!("--start {start}: bad position"))?),
            None => (start.as_str(), 4),
        };
        if name.is_empty() || name.contains('/') || pos < 4 {
            bail!("--start {start}: expected FILE[:POS] with a plain file name and POS >= 4");
        }
        return Ok(Some(StartPosition::File { name: name.to_owned(), position: pos }));
    }
    if let Some(set) = &args.start_gtid {
        if set.contains(':') || set.contains(|c: char| c.is_ascii_alphabetic()) {
            return Ok(Some(StartPosition::MysqlGtid(set.parse::<MysqlGtidSet>()?)));
        }
        return Ok(Some(StartPosition::MariadbGtid(set.parse::<MariadbGtidList>()?)));
    }
    Ok(None)
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
            P::Server(s) => !matches!(s.code, 1040 | 1053 | 1152 | 1158 | 1159 | 1160 | 1161 | 2013 | 1927),
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
    opts: &'a ConnectOptions,
    sink: SinkOptions,
    archive: Option<Archive>,
    stop: Arc<Notify>,
    stopping: Arc<AtomicBool>,
}

impl Session<'_> {
    async fn run_once(&mut self) -> Result<Exit> {
        let mut conn = Connection::connect(self.opts)
            .await
            .with_context(|| format!("connecting to {}:{}", self.opts.host, self.opts.port))?;
        let info = conn.source_info().await?;
        let dir = self.args.archive.join(server_dir_name(&info));
        if self.archive.as_ref().is_none_or(|a| a.dir() != dir) {
            let (archive, recovery) = Archive::open(&dir, self.sink.clone())?;
            if let Some(why) = &recovery.index_rebuilt {
                warn!(dir = %dir.display(), reason = %why, "index rebuilt from the binlog files");
            }
            for t in &recovery.truncated {
                warn!(file = %t.file, from = t.from, to = t.to, reason = %t.reason, "recovery cut the archive back to its last whole transaction");
            }
            self.archive = Some(archive);
        }
        let Some(archive) = self.archive.as_mut() else { bail!("archive not open") };
        if archive.is_poisoned() {
            archive.reset_to_durable()?;
        }
        let start = match archive.resume_point() {
            Some(p) => {
                if self.args.start.is_some() || self.args.start_gtid.is_some() {
                    info!("the archive already holds data: --start/--start-gtid ignored, resuming after it");
                }
                StartPosition::File { name: p.file, position: p.offset }
            }
            None => requested_start(self.args)?.unwrap_or(StartPosition::Oldest),
        };
        let replica = ReplicaOptions {
            server_id: self.args.server_id,
            start,
            heartbeat_period: Duration::from_secs_f64(self.args.heartbeat.max(0.001)),
            stop_at_end: self.args.stop_at_end,
            semi_sync: self.args.semi_sync,
            ..ReplicaOptions::default()
        };
        info!(source = %format!("{}:{}", self.opts.host, self.opts.port), version = %info.version, server_id = info.server_id, dir = %dir.display(), start = ?replica.start, "connected");
        let mut stream = conn.start_replication(&replica).await?;
        let mut pending_ack: Option<(bytes::Bytes, u64)> = None;
        loop {
            let deadline = archive.sync_deadline();
            let item = tokio::select! {
                item = stream.next() => Some(item?),
                _ = sleep_until(deadline) => None,
                _ = self.stop.notified() => {
                    archive.sync()?;
                    return Ok(Exit::Signal);
                }
            };
            let mut ended = false;
            let mut next = item;
            while let Some(item) = next.take() {
                match item {
                    StreamItem::Event(e) => match e.position {
                        None => {
                            if e.event_type() == FORMAT_DESCRIPTION_EVENT {
                                archive.set_pending_format_description(&e.raw);
                            }
                        }
                        Some(pos) => {
                            let file = String::from_utf8_lossy(&e.file);
                            archive.append(&file, pos, &e.raw)?;
                            if e.needs_ack {
                                pending_ack = e.end_position().map(|end| (e.file.clone(), end));
                            }
                        }
                    },
                    StreamItem::Heartbeat(_) => {}
                    StreamItem::End => ended = true,
                }
                if ended {
                    break;
                }
                // group commit: take whatever else has already arrived before syncing
                next = stream.try_next()?;
            }
            if archive.needs_sync(Instant::now()) || ended {
                let durable = archive.sync()?.clone();
                if let Some((file, end)) = &pending_ack {
                    let covered = durable.file.as_bytes() > &file[..]
                        || (durable.file.as_bytes() == &file[..] && durable.offset >= *end);
                    if covered {
                        stream.ack_position(file, *end).await?;
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

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

/// Runs `binvault stream`.
pub fn run(args: &Args) -> Result<ExitCode> {
    let opts = connect_options(args)?;
    let sync: SyncPolicy = args.sync.parse()?;
    requested_start(args)?; // reject a malformed start before connecting
    let sink = SinkOptions { sync, compress: args.compress_sealed, ..SinkOptions::default() };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
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
        let mut session = Session { args, opts: &opts, sink, archive: None, stop, stopping };
        let mut delay = Duration::from_millis(200);
        loop {
            let began = Instant::now();
            let result = session.run_once().await;
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
                }
            }
        }
    })
}
