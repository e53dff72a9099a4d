//! `binvault drill`: the automated restore test. Starts a scratch MariaDB server (with
//! `scripts/mariadb-test-server.sh`, the script the tests use) or uses `--target URL`, loads
//! the base backup (a `mariadb-dump` file) with the `mariadb` client, replays the archive up
//! to the chosen point through binvault's driver, and compares `CHECKSUM TABLE ... EXTENDED`
//! and row counts with the expected values given in a file. It writes a JSON report (stdout
//! or `--report FILE`) and, with `--metrics FILE`, Prometheus text-format metrics (for the
//! node_exporter textfile collector), so a scheduler can alert.
//!
//! Exit codes: 0 the restore reproduced every expected checksum; 3 a checksum or row count
//! differs; 2 the archive cannot cover the range (or an archived event cannot be restored);
//! 1 anything else (bad usage, the scratch server or the base backup failed).
//!
//! Expected values (`--expected FILE`):
//! `{"tables": {"db.table": {"checksum": "3127929286", "rows": 57}, ...}}`. Every listed table
//! is compared; a table of a listed database that the file does not list is a mismatch too.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use binvault_protocol::driver::{ConnectOptions, Connection, TlsMode, TlsOptions};
use binvault_restore::plan;
use serde::{Deserialize, Serialize};

use super::restore::{apply, connect_options, exit_for, request, RangeArgs, TargetArgs};

/// Arguments of `binvault drill`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub range: RangeArgs,
    /// The base backup: a SQL dump (`mariadb-dump --master-data=2 --gtid ...`) taken at the
    /// start point.
    #[arg(long, value_name = "FILE")]
    pub base_backup: PathBuf,
    /// The expected checksums (see the module docs for the format).
    #[arg(long, value_name = "FILE")]
    pub expected: PathBuf,
    /// Restore into this (empty, scratch) server instead of starting one.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    #[command(flatten)]
    pub login: TargetArgs,
    /// The script that starts and stops the scratch server.
    #[arg(long, value_name = "FILE")]
    pub server_script: Option<PathBuf>,
    /// An extra option for the scratch `mariadbd` (repeatable).
    #[arg(long = "server-arg", value_name = "OPTION", allow_hyphen_values = true)]
    pub server_args: Vec<String>,
    /// The `mariadb` client that loads the base backup.
    #[arg(long, default_value = "mariadb", value_name = "PROGRAM")]
    pub client: String,
    /// Write the JSON report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Write Prometheus text-format metrics here.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
}

/// Expected values of one table.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Expected {
    /// `CHECKSUM TABLE ... EXTENDED`.
    pub checksum: String,
    /// `SELECT COUNT(*)`.
    pub rows: u64,
}

#[derive(Debug, Deserialize)]
struct ExpectedFile {
    tables: BTreeMap<String, Expected>,
}

/// The comparison of one table.
#[derive(Debug, Serialize)]
struct TableReport {
    table: String,
    expected: Option<Expected>,
    actual: Option<Expected>,
    ok: bool,
}

/// The drill's report.
#[derive(Debug, Serialize, Default)]
struct Report {
    ok: bool,
    archive: String,
    target: String,
    started_at: u64,
    error: Option<String>,
    files: usize,
    plan_bytes: u64,
    replay: Option<binvault_restore::Summary>,
    load_seconds: f64,
    replay_seconds: f64,
    total_seconds: f64,
    tables: Vec<TableReport>,
    mismatches: u64,
}

/// A scratch server started with the test-server script; stopped (and its directory
/// removed) when dropped.
struct Scratch {
    script: PathBuf,
    dir: Option<tempfile::TempDir>,
    port: u16,
}

impl Scratch {
    fn start(script: &Path, extra: &[String]) -> Result<Scratch> {
        let dir = tempfile::Builder::new()
            .prefix("bvdrill")
            .tempdir_in("/tmp")
            .context("create the scratch server's directory")?;
        let out = Command::new("sh")
            .arg(script)
            .arg("free-port")
            .output()
            .with_context(|| format!("run {}", script.display()))?;
        let port: u16 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .with_context(|| format!("{} free-port gave no port", script.display()))?;
        let out = Command::new("sh")
            .arg(script)
            .arg("start")
            .arg(dir.path())
            .arg(port.to_string())
            .arg("--binlog-format=MIXED")
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("run {}", script.display()))?;
        let scratch = Scratch {
            script: script.to_path_buf(),
            dir: Some(dir),
            port,
        };
        if !out.status.success() {
            bail!(
                "the scratch server did not start: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(scratch)
    }

    fn path(&self) -> &Path {
        self.dir
            .as_ref()
            .map_or(Path::new("/nonexistent"), |d| d.path())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .arg(&self.script)
            .arg("stop")
            .arg(self.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        drop(self.dir.take());
    }
}

fn default_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/mariadb-test-server.sh")
}

/// Loads the base backup with the `mariadb` client (the dump needs the client's DELIMITER
/// handling); the password goes through `MYSQL_PWD`, never argv.
fn load_backup(args: &Args, cmd: &mut Command, password: Option<&[u8]>) -> Result<()> {
    let dump = std::fs::File::open(&args.base_backup)
        .with_context(|| format!("cannot open {}", args.base_backup.display()))?;
    if let Some(pw) = password {
        cmd.env("MYSQL_PWD", String::from_utf8_lossy(pw).as_ref());
    }
    let out = cmd
        .arg("--binary-mode")
        .arg("--max-allowed-packet=1G")
        .stdin(dump)
        .output()
        .with_context(|| format!("run {}", args.client))?;
    if !out.status.success() {
        bail!(
            "loading the base backup {} failed: {}",
            args.base_backup.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

async fn actual_sums(
    opts: &ConnectOptions,
    tables: &BTreeMap<String, Expected>,
) -> Result<BTreeMap<String, Expected>> {
    let mut conn = Connection::connect(opts).await?;
    let mut names: Vec<String> = tables.keys().cloned().collect();
    let dbs: Vec<String> = {
        let mut d: Vec<String> = tables
            .keys()
            .filter_map(|t| t.split_once('.').map(|(d, _)| d.to_owned()))
            .collect();
        d.sort();
        d.dedup();
        d
    };
    for db in &dbs {
        let r = conn
            .query(&format!(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{}' \
                 AND TABLE_TYPE = 'BASE TABLE'",
                db.replace('\\', "\\\\").replace('\'', "\\'")
            ))
            .await?;
        for row in r.rows {
            if let Some(Some(t)) = row.get(0) {
                let name = format!("{db}.{}", String::from_utf8_lossy(t));
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    let ident = |s: &str| format!("`{}`", s.replace('`', "``"));
    let mut out = BTreeMap::new();
    for name in names {
        let Some((db, t)) = name.split_once('.') else {
            continue;
        };
        let q = format!("{}.{}", ident(db), ident(t));
        let sum = match conn.query(&format!("CHECKSUM TABLE {q} EXTENDED")).await {
            Ok(r) => r.first_value(1),
            Err(_) => None,
        };
        let rows = match conn.query(&format!("SELECT COUNT(*) FROM {q}")).await {
            Ok(r) => r.first_value(0).and_then(|v| v.parse().ok()),
            Err(_) => None,
        };
        if let (Some(checksum), Some(rows)) = (sum, rows) {
            out.insert(name, Expected { checksum, rows });
        }
    }
    conn.close().await;
    Ok(out)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn write_outputs(args: &Args, report: &Report) -> Result<()> {
    let json = serde_json::to_string_pretty(report)?;
    match &args.report {
        Some(p) => std::fs::write(p, json + "\n")
            .with_context(|| format!("cannot write {}", p.display()))?,
        None => writeln!(std::io::stdout().lock(), "{json}")?,
    }
    if let Some(p) = &args.metrics {
        let transactions = report.replay.as_ref().map_or(0, |s| s.transactions);
        let text = format!(
            "# HELP binvault_drill_success 1 when the last restore drill reproduced every expected checksum.\n\
             # TYPE binvault_drill_success gauge\n\
             binvault_drill_success {}\n\
             # HELP binvault_drill_last_run_timestamp_seconds When the last drill started.\n\
             # TYPE binvault_drill_last_run_timestamp_seconds gauge\n\
             binvault_drill_last_run_timestamp_seconds {}\n\
             # HELP binvault_drill_duration_seconds How long the last drill took.\n\
             # TYPE binvault_drill_duration_seconds gauge\n\
             binvault_drill_duration_seconds {:.3}\n\
             # HELP binvault_drill_transactions_replayed Transactions the last drill replayed.\n\
             # TYPE binvault_drill_transactions_replayed gauge\n\
             binvault_drill_transactions_replayed {}\n\
             # HELP binvault_drill_tables_mismatched Tables whose checksum or row count differed.\n\
             # TYPE binvault_drill_tables_mismatched gauge\n\
             binvault_drill_tables_mismatched {}\n",
            u8::from(report.ok),
            report.started_at,
            report.total_seconds,
            transactions,
            report.mismatches
        );
        // written whole, then renamed: a collector never reads half a file
        let tmp = p.with_extension("prom.tmp");
        std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, p).with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(())
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let started = Instant::now();
    let mut report = Report {
        archive: args.range.archive.display().to_string(),
        started_at: now(),
        ..Report::default()
    };
    let code = drill(args, &mut report, started);
    report.total_seconds = started.elapsed().as_secs_f64();
    let code = match code {
        Ok(c) => c,
        Err((c, msg)) => {
            report.ok = false;
            report.error = Some(msg);
            c
        }
    };
    write_outputs(args, &report)?;
    Ok(code)
}

type Step<T> = std::result::Result<T, (ExitCode, String)>;

fn fail<E: std::fmt::Display>(e: E) -> (ExitCode, String) {
    let m = format!("{e:#}");
    eprintln!("binvault drill: {m}");
    (ExitCode::from(1), m)
}

fn drill(args: &Args, report: &mut Report, started: Instant) -> Step<ExitCode> {
    let expected: ExpectedFile = std::fs::read(&args.expected)
        .map_err(anyhow::Error::from)
        .and_then(|d| serde_json::from_slice(&d).map_err(anyhow::Error::from))
        .with_context(|| {
            format!(
                "cannot read the expected checksums {}",
                args.expected.display()
            )
        })
        .map_err(fail)?;
    let req = request(&args.range).map_err(fail)?;
    let plan = plan(&req).map_err(|e| {
        let m = e.to_string();
        eprintln!("binvault drill: {m}");
        (exit_for(&e), m)
    })?;
    report.files = plan.ranges.len();
    report.plan_bytes = plan.bytes();

    // the target, and the base backup loaded into it
    let _scratch;
    let opts = match &args.target {
        Some(url) => {
            let opts = connect_options(&args.login, url).map_err(fail)?;
            report.target = binvault_protocol::driver::redact_url(url);
            let mut cmd = Command::new(&args.client);
            cmd.arg("--no-defaults")
                .arg("--protocol=TCP")
                .arg(format!("--host={}", opts.host))
                .arg(format!("--port={}", opts.port))
                .arg(format!("--user={}", opts.user));
            if opts.tls.mode != TlsMode::Disabled {
                cmd.arg("--ssl");
                if let Some(ca) = &opts.tls.ca_file {
                    cmd.arg(format!("--ssl-ca={}", ca.display()));
                }
            }
            load_backup(args, &mut cmd, Some(opts.password.as_bytes())).map_err(fail)?;
            opts
        }
        None => {
            let script = args.server_script.clone().unwrap_or_else(default_script);
            let s = Scratch::start(&script, &args.server_args).map_err(fail)?;
            report.target = format!("scratch server 127.0.0.1:{}", s.port);
            let mut cmd = Command::new(&args.client);
            cmd.arg("--no-defaults")
                .arg(format!("--socket={}", s.path().join("sock").display()))
                .arg("--user=root");
            load_backup(args, &mut cmd, None).map_err(fail)?;
            let opts = ConnectOptions {
                host: "127.0.0.1".into(),
                port: s.port,
                user: "root".into(),
                tls: TlsOptions {
                    mode: TlsMode::Disabled,
                    ..TlsOptions::default()
                },
                read_timeout: std::time::Duration::from_secs(3600),
                ..ConnectOptions::default()
            };
            _scratch = s;
            opts
        }
    };
    report.load_seconds = started.elapsed().as_secs_f64();

    // the replay
    let t = Instant::now();
    let summary = apply(&opts, &report.target.clone(), &plan)?;
    report.replay_seconds = t.elapsed().as_secs_f64();
    report.replay = Some(summary);

    // the comparison
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(fail)?;
    let actual = rt
        .block_on(actual_sums(&opts, &expected.tables))
        .map_err(fail)?;
    let mut names: Vec<&String> = expected.tables.keys().chain(actual.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let e = expected.tables.get(name).cloned();
        let a = actual.get(name).cloned();
        let ok = e.is_some() && e == a;
        if !ok {
            report.mismatches += 1;
            eprintln!(
                "binvault drill: {name}: expected {}, found {}",
                e.as_ref().map_or("no table".into(), |e| format!(
                    "checksum {} and {} rows",
                    e.checksum, e.rows
                )),
                a.as_ref().map_or("no table".into(), |a| format!(
                    "checksum {} and {} rows",
                    a.checksum, a.rows
                )),
            );
        }
        report.tables.push(TableReport {
            table: name.clone(),
            expected: e,
            actual: a,
            ok,
        });
    }
    report.ok = report.mismatches == 0;
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}
