//! `binvault restore --archive DIR [start] [stop] [--dry-run | --apply URL]`: point-in-time
//! restore from the archive (binvault-restore), as a SQL script on stdout for the `mariadb`
//! client or applied to a target server directly.
//!
//! Exit codes: 0 done; 2 the archive cannot cover the range (a hole, missing GTIDs, a file
//! failing verify, a diverged server directory) or an archived event cannot be restored;
//! 1 bad usage, an I/O error, or the target server refused a statement.

use super::Format;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use binvault_protocol::driver::ConnectOptions;
use binvault_restore::apply::ApplySink;
use binvault_restore::time::{format_utc, parse_datetime};
use binvault_restore::{
    plan, replay, FilePos, GtidSpec, Plan, Progress, Request, Sink, Start, Stop, Summary, TextSink,
};
use indicatif::{ProgressBar, ProgressStyle};

/// The archive and the range: shared by `restore` and `drill`.
#[derive(Debug, clap::Args)]
pub struct RangeArgs {
    /// The archive directory (root, or one server directory).
    #[arg(long, value_name = "DIR")]
    pub archive: PathBuf,
    /// Start after the transactions of this GTID position (MariaDB `0-1-100,1-2-5`) or GTID
    /// set (MySQL): the point a base backup was taken at.
    #[arg(long, value_name = "SET", conflicts_with = "start_position")]
    pub start_gtid: Option<String>,
    /// Start at this transaction boundary: `FILE:POS` or `SERVER_DIR/FILE:POS`.
    #[arg(long, value_name = "FILE:POS")]
    pub start_position: Option<String>,
    /// Stop before the first transaction at or after this time: 'YYYY-MM-DD HH:MM:SS' (UTC),
    /// RFC 3339, or @UNIX_SECONDS.
    #[arg(long, value_name = "TIME")]
    pub stop_datetime: Option<String>,
    /// Stop after this transaction (inclusive): a MariaDB GTID (one per domain) or a MySQL
    /// GTID.
    #[arg(long, value_name = "GTID")]
    pub stop_gtid: Option<String>,
    /// Stop at this position: the transactions that end at or before it.
    #[arg(long, value_name = "FILE:POS")]
    pub stop_position: Option<String>,
    /// Do not verify the archived files of the range before restoring (every event's
    /// checksum is still checked while reading).
    #[arg(long)]
    pub skip_verify: bool,
    /// The source ran with gtid_strict_mode=OFF (see `binvault verify`).
    #[arg(long)]
    pub non_strict_gtids: bool,
}

/// Arguments of `binvault restore`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub range: RangeArgs,
    /// Only say which files and ranges would be used; refuse (exit 2) when the archive cannot
    /// cover the range.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format of --dry-run: text or json (one object).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Execute the restore on this server (`mysql://USER@HOST:PORT`) instead of printing SQL.
    /// The password comes from BINVAULT_PASSWORD or --password-file.
    #[arg(long, value_name = "URL")]
    pub apply: Option<String>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Write the SQL here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Directory for the data files of LOAD DATA statements in the SQL output (the client
    /// reads them with LOAD DATA LOCAL INFILE). Default: a new directory under $TMPDIR.
    #[arg(long, value_name = "DIR")]
    pub local_load: Option<PathBuf>,
    /// A `# at SERVER/FILE:POS` line before each transaction in the SQL output.
    #[arg(long)]
    pub comments: bool,
}

/// How to log in to a target server.
#[derive(Debug, clap::Args)]
pub struct TargetArgs {
    /// File holding the target's password (first line); else BINVAULT_PASSWORD.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// TLS to the target: disabled, preferred, required, verify-ca, verify-full.
    #[arg(long, default_value = "preferred")]
    pub tls_mode: String,
    /// CA certificate for --tls-mode verify-ca/verify-full.
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
}

/// The request described by the options.
pub fn request(args: &RangeArgs) -> Result<Request> {
    let start = match (&args.start_gtid, &args.start_position) {
        (Some(g), _) => Start::Gtid(GtidSpec::parse(g)?),
        (None, Some(p)) => Start::Position(FilePos::parse(p)?),
        (None, None) => Start::Beginning,
    };
    let stop = Stop {
        datetime: args
            .stop_datetime
            .as_deref()
            .map(parse_datetime)
            .transpose()?,
        gtid: args.stop_gtid.as_deref().map(GtidSpec::parse).transpose()?,
        position: args
            .stop_position
            .as_deref()
            .map(FilePos::parse)
            .transpose()?,
    };
    Ok(Request {
        archive: args.archive.clone(),
        start,
        stop,
        verify: !args.skip_verify,
        non_strict_gtids: args.non_strict_gtids,
    })
}

/// Exit status for a library error: 2 when the archive cannot serve the range, else 1.
pub fn exit_for(e: &binvault_restore::Error) -> ExitCode {
    match e {
        binvault_restore::Error::NotCovered(_) | binvault_restore::Error::Data { .. } => {
            ExitCode::from(2)
        }
        _ => ExitCode::from(1),
    }
}

fn print_plan(args: &Args, plan: &Plan) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let args_range = &args.range;
    match args.format {
        Format::Json => {
            let v = serde_json::json!({
                "archive": args_range.archive.display().to_string(),
                "ranges": plan.ranges,
                "bytes": plan.bytes(),
                "start_gtid": args_range.start_gtid,
                "stop_datetime": plan.stop_datetime.map(format_utc),
                "stop_gtid": args_range.stop_gtid,
                "stop_position": args_range.stop_position,
                "notes": plan.notes,
            });
            writeln!(out, "{v}")?;
        }
        Format::Text => {
            writeln!(out, "restore plan for {}:", args_range.archive.display())?;
            for r in &plan.ranges {
                writeln!(
                    out,
                    "  {}/{}{}  {}..{}  ({} bytes)",
                    r.server,
                    r.file,
                    if r.compressed { " (.gz)" } else { "" },
                    r.from,
                    r.to,
                    r.to.saturating_sub(r.from)
                )?;
            }
            if let Some(g) = &args_range.start_gtid {
                writeln!(out, "start: after GTID position {g}")?;
            }
            if let Some(t) = plan.stop_datetime {
                writeln!(
                    out,
                    "stop: before the first transaction at or after {} UTC",
                    format_utc(t)
                )?;
            }
            if let Some(g) = &args_range.stop_gtid {
                writeln!(out, "stop: after GTID {g}")?;
            }
            writeln!(
                out,
                "{} files, {} bytes to read",
                plan.ranges.len(),
                plan.bytes()
            )?;
            for n in &plan.notes {
                writeln!(out, "note: {n}")?;
            }
        }
    }
    Ok(())
}

pub fn connect_options(args: &TargetArgs, url: &str) -> Result<ConnectOptions> {
    let mut opts = super::login::connect_options(
        url,
        args.password_file.as_deref(),
        &args.tls_mode,
        args.tls_ca.as_ref(),
    )?;
    opts.read_timeout = std::time::Duration::from_secs(3600);
    Ok(opts)
}

/// A sink that draws a progress bar (bytes of the plan) around another one.
struct WithProgress<'a> {
    inner: &'a mut dyn Sink,
    bar: Option<ProgressBar>,
}

impl Sink for WithProgress<'_> {
    fn statement(&mut self, sql: &[u8]) -> binvault_restore::Result<()> {
        self.inner.statement(sql)
    }
    fn client_charset(&mut self, charset: &str) -> binvault_restore::Result<()> {
        self.inner.client_charset(charset)
    }
    fn load_data(
        &mut self,
        before: &[u8],
        after: &[u8],
        data: &[u8],
    ) -> binvault_restore::Result<()> {
        self.inner.load_data(before, after, data)
    }
    fn position(&mut self, server: &str, file: &str, offset: u64) -> binvault_restore::Result<()> {
        self.inner.position(server, file, offset)
    }
    fn end_of_transaction(&mut self) -> binvault_restore::Result<()> {
        self.inner.end_of_transaction()
    }
    fn progress(&mut self, p: Progress) {
        if let Some(bar) = &self.bar {
            bar.set_position(p.bytes);
            bar.set_message(format!("{} transactions", p.transactions));
        }
        self.inner.progress(p);
    }
}

fn progress_bar(total: u64) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total);
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} {msg}",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

fn print_summary(s: &Summary, elapsed: std::time::Duration, target: Option<&str>) {
    let secs = elapsed.as_secs_f64();
    eprintln!(
        "binvault restore: {} transactions ({} skipped), {} events, {} bytes in {:.2} s ({:.1} MB/s){}; stopped by {}{}{}",
        s.transactions,
        s.skipped,
        s.events,
        s.bytes,
        secs,
        s.bytes as f64 / 1e6 / secs.max(1e-9),
        target.map(|t| format!(", applied to {t}")).unwrap_or_default(),
        s.stopped_by,
        if s.end.is_empty() { String::new() } else { format!(", last at {}", s.end) },
        if s.last_gtid.is_empty() { String::new() } else { format!(", last GTID {}", s.last_gtid) },
    );
}

/// Replays `plan` into the target `opts` (a progress bar on a terminal, a summary on stderr).
/// Used by `drill` too. Err: the exit status and the message (already printed).
pub fn apply(
    opts: &ConnectOptions,
    label: &str,
    plan: &Plan,
) -> std::result::Result<Summary, (ExitCode, String)> {
    let started = Instant::now();
    let mut sink = ApplySink::connect(opts).map_err(|e| {
        let m = e.to_string();
        eprintln!("binvault: {m}");
        (ExitCode::from(1), m)
    })?;
    let bar = progress_bar(plan.bytes());
    let result = {
        let mut with = WithProgress {
            inner: &mut sink,
            bar: bar.clone(),
        };
        replay(plan, &mut with)
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let summary = result.map_err(|e| {
        let m = format!("restore failed: {e}");
        eprintln!("binvault: {m}");
        (exit_for(&e), m)
    })?;
    sink.close();
    print_summary(&summary, started.elapsed(), Some(label));
    Ok(summary)
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let req = request(&args.range)?;
    let plan = match plan(&req) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("binvault: {e}");
            return Ok(exit_for(&e));
        }
    };
    for n in &plan.notes {
        tracing::warn!("{n}");
    }
    if args.dry_run {
        print_plan(args, &plan)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(url) = &args.apply {
        let opts = connect_options(&args.target, url)?;
        let label = binvault_protocol::driver::redact_url(url);
        return Ok(match apply(&opts, &label, &plan) {
            Ok(_) => ExitCode::SUCCESS,
            Err((code, _)) => code,
        });
    }
    let started = Instant::now();
    let out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let load_dir = args.local_load.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("binvault-load-{}", std::process::id()))
    });
    let mut sink = TextSink::new(
        std::io::BufWriter::with_capacity(1 << 16, out),
        Some(load_dir),
        args.comments,
    )?;
    let summary = match replay(&plan, &mut sink) {
        Ok(s) => s,
        Err(binvault_restore::Error::Output(e)) => return Err(e.into()),
        Err(e) => {
            let _ = sink.finish();
            eprintln!("binvault: restore failed: {e}");
            return Ok(exit_for(&e));
        }
    };
    sink.finish()?;
    print_summary(&summary, started.elapsed(), None);
    Ok(ExitCode::SUCCESS)
}
