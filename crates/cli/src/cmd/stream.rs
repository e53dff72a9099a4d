//! `binvault stream`: replicate from a source and write its binlog files, byte for byte, into
//! an archive directory.
//!
//! The archive here is the plain first version: one file per source binlog file, under the
//! source's name, holding the source's bytes at the source's offsets. A file whose stream began
//! in the middle (`--start FILE:POS` with POS > 4, or a GTID start) holds the magic and the
//! format description, then zeros (a sparse hole) up to the first archived event, so that
//! offsets stay the source's. Files are fsynced when the source rotates, at every semi-sync
//! acknowledgement and at exit. The durable archive with recovery and an index comes with the
//! sink (`binvault-sink`).

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use binvault_protocol::binlog::{StreamItem, FORMAT_DESCRIPTION_EVENT, ROTATE_EVENT};
use binvault_protocol::driver::{
    ConnectOptions, Connection, Password, ReplicaOptions, StartPosition, TlsMode, TlsOptions,
};
use binvault_protocol::gtid::{MariadbGtidList, MysqlGtidSet};
use bytes::Bytes;
use tracing::{info, warn};

/// Binlog file magic.
const MAGIC: &[u8; 4] = b"\xfebin";

/// Arguments of `binvault stream`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The source: mysql://USER[:PASSWORD]@HOST[:PORT]. Prefer BINVAULT_PASSWORD or
    /// --password-file to a password in the URL (argv is visible to other users).
    #[arg(long, value_name = "URL")]
    source: String,
    /// Archive directory (created if missing).
    #[arg(long, value_name = "DIR")]
    archive: PathBuf,
    /// Start at a binlog file, optionally at a position (default 4). Default: resume after
    /// the archive's last file, or the oldest binlog the source has.
    #[arg(long, value_name = "FILE[:POS]", conflicts_with = "start_gtid")]
    start: Option<String>,
    /// Start after a GTID set: MariaDB `domain-server-seq,...` or MySQL `uuid:1-5,...`.
    #[arg(long, value_name = "SET")]
    start_gtid: Option<String>,
    /// Exit 0 once caught up with the source (non-blocking dump).
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
    /// Register as a semi-sync replica (acknowledge each transaction once fsynced).
    #[arg(long)]
    semi_sync: bool,
    /// Use the compressed protocol.
    #[arg(long)]
    compress: bool,
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

fn parse_start(args: &Args, archive: &Archive) -> Result<StartPosition> {
    if let Some(start) = &args.start {
        let (name, pos) = match start.rsplit_once(':') {
            Some((n, p)) => (n, p.parse::<u64>().with_context(|| format!("--start {start}: bad position"))?),
            None => (start.as_str(), 4),
        };
        if name.is_empty() || name.contains('/') || pos < 4 {
            bail!("--start {start}: expected FILE[:POS] with a plain file name and POS >= 4");
        }
        return Ok(StartPosition::File { name: name.to_owned(), position: pos });
    }
    if let Some(set) = &args.start_gtid {
        if set.contains(':') || set.contains(|c: char| c.is_ascii_alphabetic()) {
            return Ok(StartPosition::MysqlGtid(set.parse::<MysqlGtidSet>()?));
        }
        return Ok(StartPosition::MariadbGtid(set.parse::<MariadbGtidList>()?));
    }
    if let Some((name, len)) = archive.last_file()? {
        info!(file = %name, position = len, "resuming after the archive's last file");
        return Ok(StartPosition::File { name, position: len });
    }
    Ok(StartPosition::Oldest)
}

/// The binlog files of the archive directory, written at the source's offsets.
#[derive(Debug)]
struct Archive {
    dir: PathBuf,
    current: Option<OpenFile>,
    /// The format description the source re-sent for a mid-file start (log_pos 0).
    pending_fde: Option<Bytes>,
}

#[derive(Debug)]
struct OpenFile {
    name: Bytes,
    file: File,
    len: u64,
}

fn is_binlog_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains('/') && name != "." && name != ".."
}

impl Archive {
    fn open(dir: &Path) -> Result<Archive> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the archive {}", dir.display()))?;
        Ok(Archive { dir: dir.to_owned(), current: None, pending_fde: None })
    }

    /// The last binlog file (by name) and its length.
    fn last_file(&self) -> Result<Option<(String, u64)>> {
        let mut last: Option<(String, u64)> = None;
        for entry in std::fs::read_dir(&self.dir).with_context(|| format!("cannot list {}", self.dir.display()))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !is_binlog_name(&name) || !entry.file_type()?.is_file() {
                continue;
            }
            if last.as_ref().is_none_or(|(l, _)| name > *l) {
                last = Some((name, entry.metadata()?.len()));
            }
        }
        Ok(last)
    }

    fn open_file(&mut self, name: &Bytes, position: u64) -> Result<()> {
        self.close_file()?;
        let text = String::from_utf8_lossy(name).into_owned();
        if !is_binlog_name(&text) {
            bail!("the source named a binlog file {text:?} that cannot be a file name in the archive");
        }
        let path = self.dir.join(&text);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let len = file.metadata()?.len();
        if len == 0 {
            file.write_all(MAGIC)?;
            let mut len = MAGIC.len() as u64;
            if position > len {
                if let Some(fde) = self.pending_fde.take() {
                    if len + fde.len() as u64 <= position {
                        file.write_all(&fde)?;
                        len += fde.len() as u64;
                    }
                }
                warn!(file = %text, from = len, to = position, "the stream starts mid-file: the archived file has a hole before it");
                file.set_len(position)?;
            }
            file.seek(SeekFrom::Start(position))?;
            info!(file = %text, position, "new archive file");
        } else if len == position {
            file.seek(SeekFrom::Start(position))?;
            info!(file = %text, position, "appending to archive file");
        } else {
            bail!(
                "{} already holds {len} bytes but the source resumes at {position}: refusing to overwrite or leave a gap",
                path.display()
            );
        }
        self.current = Some(OpenFile { name: name.clone(), file, len: position });
        Ok(())
    }

    fn write(&mut self, name: &Bytes, position: u64, raw: &[u8]) -> Result<()> {
        if self.current.as_ref().is_none_or(|c| c.name != *name) {
            self.open_file(name, position)?;
        }
        let Some(cur) = self.current.as_mut() else { bail!("no open archive file") };
        if position < cur.len {
            bail!(
                "the source sent an event at {}:{position} that the archive already holds (up to {})",
                String::from_utf8_lossy(name),
                cur.len
            );
        }
        if position > cur.len {
            warn!(file = %String::from_utf8_lossy(name), from = cur.len, to = position, "the source skipped events: hole in the archived file");
            cur.file.set_len(position)?;
            cur.file.seek(SeekFrom::Start(position))?;
        }
        cur.file.write_all(raw).with_context(|| format!("writing {}", String::from_utf8_lossy(name)))?;
        cur.len = position + raw.len() as u64;
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        if let Some(cur) = self.current.as_mut() {
            cur.file.sync_data().context("fsync of the archive file")?;
        }
        Ok(())
    }

    fn close_file(&mut self) -> Result<()> {
        if let Some(cur) = self.current.take() {
            cur.file.sync_all().context("fsync of the archive file")?;
            info!(file = %String::from_utf8_lossy(&cur.name), size = cur.len, "archive file closed");
            File::open(&self.dir)?.sync_all()?;
        }
        Ok(())
    }
}

/// Runs `binvault stream`.
pub fn run(args: &Args) -> Result<ExitCode> {
    let opts = connect_options(args)?;
    let mut archive = Archive::open(&args.archive)?;
    let start = parse_start(args, &archive)?;
    let replica = ReplicaOptions {
        server_id: args.server_id,
        start,
        heartbeat_period: Duration::from_secs_f64(args.heartbeat.max(0.001)),
        stop_at_end: args.stop_at_end,
        semi_sync: args.semi_sync,
        ..ReplicaOptions::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let conn = Connection::connect(&opts).await.map_err(|e| anyhow::anyhow!(e).context(format!("connecting to {}:{}", opts.host, opts.port)))?;
        let mut stream = conn.start_replication(&replica).await?;
        let (mut events, mut bytes) = (0u64, 0u64);
        loop {
            let item = tokio::select! {
                item = stream.next() => item?,
                _ = tokio::signal::ctrl_c() => {
                    archive.close_file()?;
                    info!(events, bytes, "interrupted: archive synced");
                    return Ok(ExitCode::SUCCESS);
                }
            };
            match item {
                StreamItem::Event(e) => {
                    let Some(position) = e.position else {
                        if e.event_type() == FORMAT_DESCRIPTION_EVENT {
                            archive.pending_fde = Some(e.raw.clone());
                        }
                        continue;
                    };
                    archive.write(&e.file, position, &e.raw)?;
                    events += 1;
                    bytes += e.raw.len() as u64;
                    if e.event_type() == ROTATE_EVENT {
                        archive.close_file()?;
                    }
                    if e.needs_ack {
                        archive.sync()?;
                        stream.ack(&e).await?;
                    }
                }
                StreamItem::Heartbeat(_) => archive.sync()?,
                StreamItem::End => {
                    archive.close_file()?;
                    info!(events, bytes, "caught up with the source (--stop-at-end)");
                    return Ok(ExitCode::SUCCESS);
                }
            }
        }
    })
}
