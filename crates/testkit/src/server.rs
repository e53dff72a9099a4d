//! Throwaway MariaDB servers.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};

use crate::{free_port, TestCerts};

/// Set this environment variable to `1` to keep the directories of test servers (datadir,
/// binlogs, error log) after they are stopped; their paths are printed to stderr.
pub const KEEP_ENV: &str = "BINVAULT_KEEP_TEST_SERVERS";

/// Options every test server gets after the script's base options and before
/// [`MariaDbConfig::args`] (which therefore win): a small memory and disk footprint and quick
/// shutdowns.
///
/// The script's base options (see `scripts/mariadb-test-server.sh`) are: `--no-defaults`,
/// `--user=root` when run as root, datadir/tmpdir/socket/pid file/error log inside the server's
/// directory, `--port`, `--bind-address=127.0.0.1`, `--skip-name-resolve`,
/// `--log-bin=DIR/binlog/mariadb-bin`, `--binlog-format=ROW`, `--server-id=1`,
/// `--max-allowed-packet=1G`, `--default-time-zone=+00:00`, `--character-set-server=utf8mb4`,
/// `--collation-server=utf8mb4_unicode_ci`. Everything else (binlog checksum, row image,
/// row metadata, GTID strict mode) is MariaDB 10.11's default unless a test sets it.
pub const DEFAULT_SERVER_ARGS: &[&str] = &[
    "--innodb-buffer-pool-size=32M",
    "--innodb-log-file-size=16M",
    "--innodb-log-buffer-size=4M",
    "--innodb-buffer-pool-dump-at-shutdown=OFF",
    "--innodb-buffer-pool-load-at-startup=OFF",
    "--performance-schema=OFF",
    "--aria-pagecache-buffer-size=8M",
    "--key-buffer-size=1M",
    "--max-connections=100",
];

/// The grants [`MariaDb::create_user`] gives: enough to run a replica's set-up queries
/// (`SELECT @@...`, `SHOW MASTER STATUS`, `SHOW BINARY LOGS`, `SHOW VARIABLES`) and to stream the
/// binlog (`COM_BINLOG_DUMP[_GTID]`), and to read the tables (checksums after a restore).
pub const DEFAULT_GRANTS: &str =
    "REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR, SELECT ON *.*";

/// How long [`MariaDb::stop`] waits after SIGTERM before it sends SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// How long [`MariaDb::kill`] waits for a SIGKILLed server to disappear.
const KILL_WAIT: Duration = Duration::from_secs(30);

/// The repository's `scripts/mariadb-test-server.sh`, which starts, stops and inspects the test
/// servers (located from this crate's manifest directory at compile time).
pub fn test_server_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/mariadb-test-server.sh")
}

/// How a test server is configured.
///
/// `MariaDbConfig::default()` is a plain server with `server_id` 1 and no TLS. The builder
/// methods ([`arg`](Self::arg), [`tls`](Self::tls), [`server_id`](Self::server_id)) are
/// shorthands for setting the public fields.
#[derive(Debug, Clone)]
pub struct MariaDbConfig {
    /// Extra `mariadbd` options (e.g. `--binlog-checksum=NONE`, `--gtid-strict-mode=ON`),
    /// appended after everything else, so they win.
    pub args: Vec<String>,
    /// With certificates the server enables TLS (`--ssl-cert`, `--ssl-key`, `--ssl-ca`).
    pub tls: Option<TestCerts>,
    /// `--server-id`.
    pub server_id: u32,
}

impl Default for MariaDbConfig {
    fn default() -> Self {
        MariaDbConfig {
            args: Vec::new(),
            tls: None,
            server_id: 1,
        }
    }
}

impl MariaDbConfig {
    /// The same as `MariaDbConfig::default()`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one `mariadbd` option, e.g. `.arg("--binlog-row-metadata=FULL")`.
    pub fn arg(mut self, option: impl Into<String>) -> Self {
        self.args.push(option.into());
        self
    }

    /// Enables TLS with these certificates.
    pub fn tls(mut self, certs: TestCerts) -> Self {
        self.tls = Some(certs);
        self
    }

    /// Sets `--server-id`.
    pub fn server_id(mut self, id: u32) -> Self {
        self.server_id = id;
        self
    }

    /// The options passed to the script after its base options: [`DEFAULT_SERVER_ARGS`],
    /// `--server-id`, the TLS options, then [`MariaDbConfig::args`].
    pub fn server_args(&self) -> Vec<String> {
        let mut out: Vec<String> = DEFAULT_SERVER_ARGS.iter().map(|s| s.to_string()).collect();
        out.push(format!("--server-id={}", self.server_id));
        if let Some(certs) = &self.tls {
            out.push(format!("--ssl-cert={}", certs.server_cert.display()));
            out.push(format!("--ssl-key={}", certs.server_key.display()));
            out.push(format!("--ssl-ca={}", certs.ca_pem.display()));
        }
        out.extend(self.args.iter().cloned());
        out
    }
}

/// How a user created by [`MariaDb::create_user`] authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserAuth {
    /// `mysql_native_password` (`IDENTIFIED VIA mysql_native_password USING PASSWORD('..')`).
    NativePassword,
    /// MariaDB's `ed25519` plugin (`IDENTIFIED VIA ed25519 USING PASSWORD('..')`); the server
    /// plugin is installed first (`INSTALL SONAME 'auth_ed25519'`) when it is not active yet: it
    /// ships with the server package but is not loaded by default.
    Ed25519,
    /// Any other authentication clause, used verbatim after `CREATE USER 'name'@'%'`, e.g.
    /// `"IDENTIFIED VIA unix_socket"`; the password argument is ignored.
    Clause(String),
}

/// A throwaway MariaDB server (see the crate docs for the rules it follows).
///
/// Layout of [`dir`](Self::dir) (made by `scripts/mariadb-test-server.sh`): `data/` datadir,
/// `binlog/` binlogs (`mariadb-bin.NNNNNN` and `mariadb-bin.index`), `tmp/`, `sock` unix socket,
/// `pid`, `err.err` error log (mariadbd appends `.err` to the script's `--log-error=DIR/err`),
/// `out` stdout/stderr, `cmdline` the last command line, `install.log`.
///
/// `root@localhost` (socket) and `root@127.0.0.1` (TCP) have no password.
///
/// Dropping the value stops the server (SIGTERM, SIGKILL after 60 s) and removes its directory
/// unless [`KEEP_ENV`] is `1`. Errors during drop are printed, never panicked on.
#[derive(Debug)]
pub struct MariaDb {
    dir: PathBuf,
    tmp: Option<tempfile::TempDir>,
    port: u16,
    config: MariaDbConfig,
    server_args: Vec<String>,
    watchdog: Option<Child>,
    started_in: Duration,
}

impl MariaDb {
    /// Starts a new server in a fresh directory `/tmp/bvXXXXXX` on a [`free_port`].
    ///
    /// Initialises the datadir (`mariadb-install-db`) and waits until the server answers; takes
    /// about 1-3 s. When the port turns out to be taken (another process grabbed it between
    /// [`free_port`] and the server's bind) it retries with a new port, up to 5 times.
    ///
    /// Errors carry the script's output and the new lines of the server's error log.
    pub fn start(config: MariaDbConfig) -> anyhow::Result<MariaDb> {
        let tmp = tempfile::Builder::new()
            .prefix("bv")
            .rand_bytes(6)
            .tempdir_in("/tmp")
            .context("create the test server directory under /tmp")?;
        let dir = tmp
            .path()
            .canonicalize()
            .context("canonicalize the test server directory")?;
        let server_args = config.server_args();
        let mut server = MariaDb {
            dir,
            tmp: Some(tmp),
            port: 0,
            config,
            server_args,
            watchdog: None,
            started_in: Duration::ZERO,
        };
        server.watchdog = Some(server.spawn_watchdog()?);
        let mut attempt = 0;
        loop {
            attempt += 1;
            server.port = free_port()?;
            match server.launch() {
                Ok(()) => return Ok(server),
                Err(e) if attempt < 5 && format!("{e:#}").contains("already in use") => {
                    eprintln!(
                        "binvault-testkit: port {} was taken, retrying with another one",
                        server.port
                    );
                }
                // dropping `server` stops whatever may have started and removes the directory
                Err(e) => return Err(e),
            }
        }
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The host to connect to over TCP: always `"127.0.0.1"`.
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// The server's directory (see the type docs for its layout).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The datadir, `dir()/data`.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The unix socket, `dir()/sock`.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("sock")
    }

    /// The directory of the binlogs and their index, `dir()/binlog`.
    pub fn binlog_dir(&self) -> PathBuf {
        self.dir.join("binlog")
    }

    /// The binlog index file, `dir()/binlog/mariadb-bin.index`.
    pub fn binlog_index(&self) -> PathBuf {
        self.binlog_dir().join("mariadb-bin.index")
    }

    /// The server's error log (`dir()/err.err`).
    pub fn error_log(&self) -> PathBuf {
        let appended = self.dir.join("err.err");
        if appended.exists() || !self.dir.join("err").exists() {
            appended
        } else {
            self.dir.join("err")
        }
    }

    /// The configuration the server was started with.
    pub fn config(&self) -> &MariaDbConfig {
        &self.config
    }

    /// The TLS certificates, when the server has TLS.
    pub fn certs(&self) -> Option<&TestCerts> {
        self.config.tls.as_ref()
    }

    /// The options passed to the script after its base options (see
    /// [`MariaDbConfig::server_args`]).
    pub fn server_args(&self) -> &[String] {
        &self.server_args
    }

    /// How long the last start (or restart / start after a kill) took until the server answered.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// The pid of the running `mariadbd`, or `None` when it is not running.
    pub fn pid(&self) -> Option<u32> {
        let text = fs::read_to_string(self.dir.join("pid")).ok()?;
        let pid: u32 = text.trim().parse().ok()?;
        self.is_our_mariadbd(pid).then_some(pid)
    }

    /// Whether the server process is running.
    pub fn is_running(&self) -> bool {
        self.pid().is_some()
    }

    /// A `mariadb` client command connected as root over the unix socket, in batch mode without
    /// column names (`--no-defaults --socket=.. --user=root --batch --skip-column-names`,
    /// utf8mb4, 1 GiB max packet). Add `-e SQL` or pipe SQL into it.
    pub fn client(&self) -> Command {
        let mut cmd = Command::new("mariadb");
        cmd.arg("--no-defaults")
            .arg(format!("--socket={}", self.socket().display()))
            .arg("--user=root")
            .arg("--batch")
            .arg("--skip-column-names")
            .arg("--default-character-set=utf8mb4")
            .arg("--max-allowed-packet=1G");
        cmd
    }

    /// A `mariadb` client command connecting over TCP to 127.0.0.1:[`port`](Self::port) as
    /// `user` (`--no-defaults --protocol=TCP -h127.0.0.1 -P.. -u.. [-p..] --batch
    /// --skip-column-names`). The password is passed in argv: fine for tests only. Add TLS
    /// options (`--ssl`, `--ssl-ca=..`, `--ssl-verify-server-cert`) and `-e SQL` as needed.
    pub fn tcp_client(&self, user: &str, password: Option<&str>) -> Command {
        let mut cmd = Command::new("mariadb");
        cmd.arg("--no-defaults")
            .arg("--protocol=TCP")
            .arg("-h127.0.0.1")
            .arg(format!("-P{}", self.port))
            .arg(format!("-u{user}"));
        if let Some(pw) = password {
            cmd.arg(format!("-p{pw}"));
        }
        cmd.arg("--batch")
            .arg("--skip-column-names")
            .arg("--connect-timeout=10");
        cmd
    }

    /// Runs SQL as root over the unix socket (`mariadb --no-defaults --socket=.. -uroot -N -B`,
    /// the SQL on stdin, so several `;`-separated statements are fine) and returns its stdout:
    /// tab-separated rows without column names, special characters escaped as `\t`, `\n`, `\\`,
    /// `\0`, NULL printed as `NULL`. The client stops at the first failing statement; the error
    /// names the server and includes the client's stderr and the start of the SQL.
    pub fn sql(&self, sql: &str) -> anyhow::Result<String> {
        let mut child = self
            .client()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("run the mariadb client (is mariadb-client installed?)")?;
        let mut stdin = child.stdin.take().ok_or_else(|| anyhow!("no stdin pipe"))?;
        let input = sql.as_bytes().to_vec();
        // write from a thread: the client may produce output before it has read all its input
        let writer = std::thread::spawn(move || -> std::io::Result<()> {
            stdin.write_all(&input)?;
            stdin.write_all(b"\n")
        });
        let out = child
            .wait_with_output()
            .context("wait for the mariadb client")?;
        let write_result = writer
            .join()
            .map_err(|_| anyhow!("stdin writer thread panicked"))?;
        if !out.status.success() {
            bail!(
                "mariadb client on port {} ({}) failed ({}): {}\nSQL: {}",
                self.port,
                self.dir.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim(),
                abbreviate(sql, 500)
            );
        }
        write_result.context("write SQL to the mariadb client")?;
        String::from_utf8(out.stdout)
            .map_err(|e| anyhow!("mariadb client output is not UTF-8: {e}"))
    }

    /// Feeds a SQL script (a restore's output, a dump) to the `mariadb` client as root, in
    /// `--binary-mode` (bytes as they are, no client commands) with LOCAL INFILE allowed.
    pub fn apply_sql(&self, sql: &[u8]) -> anyhow::Result<()> {
        let mut child = self
            .client()
            .args(["--binary-mode", "--local-infile=1"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("run the mariadb client")?;
        let mut stdin = child.stdin.take().ok_or_else(|| anyhow!("no stdin pipe"))?;
        let data = sql.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&data));
        let out = child
            .wait_with_output()
            .context("wait for the mariadb client")?;
        let written = writer
            .join()
            .map_err(|_| anyhow!("stdin writer thread panicked"))?;
        if !out.status.success() {
            bail!(
                "mariadb client on port {} failed ({}): {}",
                self.port,
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        written.context("write SQL to the mariadb client")
    }

    /// Like [`sql`](Self::sql) but split into rows and columns, with the batch-mode escapes
    /// (`\t`, `\n`, `\\`, `\0`) undone. NULL is the string `"NULL"`.
    pub fn sql_rows(&self, sql: &str) -> anyhow::Result<Vec<Vec<String>>> {
        let out = self.sql(sql)?;
        Ok(out
            .lines()
            .map(|line| line.split('\t').map(unescape_batch).collect())
            .collect())
    }

    /// The first column of the first row of a query's result (`None` for an empty result).
    pub fn sql_value(&self, sql: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .sql_rows(sql)?
            .into_iter()
            .next()
            .and_then(|row| row.into_iter().next()))
    }

    /// The binlog files listed in `mariadb-bin.index`, in index order (oldest first).
    pub fn binlog_files(&self) -> anyhow::Result<Vec<PathBuf>> {
        let index = self.binlog_index();
        let text = fs::read_to_string(&index)
            .with_context(|| format!("read the binlog index {}", index.display()))?;
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let p = PathBuf::from(l);
                if p.is_absolute() {
                    p
                } else {
                    self.data_dir().join(p)
                }
            })
            .collect())
    }

    /// `FLUSH BINARY LOGS`: closes the current binlog and opens the next one.
    pub fn flush_binary_logs(&self) -> anyhow::Result<()> {
        self.sql("FLUSH BINARY LOGS").map(drop)
    }

    /// `@@GLOBAL.gtid_binlog_pos`, e.g. `"0-1-42"` (empty before the first transaction).
    pub fn gtid_binlog_pos(&self) -> anyhow::Result<String> {
        Ok(self
            .sql("SELECT @@GLOBAL.gtid_binlog_pos")?
            .trim()
            .to_string())
    }

    /// `SHOW MASTER STATUS`: the current binlog file name (without directory) and position.
    pub fn master_status(&self) -> anyhow::Result<(String, u64)> {
        let rows = self.sql_rows("SHOW MASTER STATUS")?;
        let row = rows
            .first()
            .ok_or_else(|| anyhow!("SHOW MASTER STATUS: no row (binlog off?)"))?;
        match row.as_slice() {
            [file, pos, ..] => Ok((
                file.clone(),
                pos.parse()
                    .with_context(|| format!("SHOW MASTER STATUS: position {pos:?}"))?,
            )),
            _ => bail!("SHOW MASTER STATUS: unexpected row {row:?}"),
        }
    }

    /// Stops the server cleanly: SIGTERM, then SIGKILL if it is still running after 60 s. The
    /// directory stays; [`start_again`](Self::start_again) starts it again. Does nothing when
    /// not running.
    ///
    /// This is the script's `stop` done in Rust for one reason: the script waits with `kill -0`,
    /// which also succeeds on a zombie, and the detached server's zombie is reaped by init, which
    /// took ~1.5 s here while the server itself exits ~50 ms after SIGTERM. A zombie holds no
    /// port, socket or file, so it counts as stopped here.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        let Some(pid) = self.pid() else { return Ok(()) };
        send_signal(pid, "TERM")?;
        if wait_until_gone(pid, STOP_TIMEOUT) {
            return Ok(());
        }
        eprintln!(
            "binvault-testkit: mariadbd {pid} ({}) still running {STOP_TIMEOUT:?} after SIGTERM, sending SIGKILL",
            self.dir.display()
        );
        send_signal(pid, "KILL")?;
        if !wait_until_gone(pid, KILL_WAIT) {
            bail!("mariadbd {pid} still running after SIGKILL");
        }
        Ok(())
    }

    /// Stops the server cleanly and starts it again on the same directory and port with the same
    /// options. Data and binlogs are kept; the server opens a new binlog file.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.stop()?;
        self.launch()
    }

    /// Like [`restart`](Self::restart), but with `args` replacing [`MariaDbConfig::args`] (e.g.
    /// to switch `--binlog-checksum` between binlog files). The defaults and TLS stay.
    pub fn restart_with_args(&mut self, args: Vec<String>) -> anyhow::Result<()> {
        self.stop()?;
        self.config.args = args;
        self.server_args = self.config.server_args();
        self.launch()
    }

    /// Kills the server with SIGKILL (a crash: no clean shutdown, the last binlog is left open)
    /// and waits until the process is gone (at most 30 s). Errors when it is not running.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        let pid = self
            .pid()
            .ok_or_else(|| anyhow!("kill: no server running in {}", self.dir.display()))?;
        send_signal(pid, "KILL")?;
        if !wait_until_gone(pid, KILL_WAIT) {
            bail!("kill: mariadbd {pid} still there {KILL_WAIT:?} after SIGKILL");
        }
        Ok(())
    }

    /// Starts the server again on the same directory and port with the same options, after
    /// [`kill`](Self::kill) or [`stop`](Self::stop) (the server runs crash recovery after a kill).
    /// Errors when it is already running.
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.pid() {
            bail!("start_again: the server is still running (pid {pid}); use restart()");
        }
        self.launch()
    }

    /// Creates `user@'%'` with `password` and [`DEFAULT_GRANTS`] (replication and `SELECT` on
    /// everything). See [`create_user_with_grants`](Self::create_user_with_grants).
    pub fn create_user(&self, user: &str, password: &str, auth: UserAuth) -> anyhow::Result<()> {
        self.create_user_with_grants(user, password, auth, DEFAULT_GRANTS)
    }

    /// Creates `user@'%'` with `password` authenticated by `auth`, then runs
    /// `GRANT {grants} TO user@'%'` unless `grants` is empty. `grants` is the part of a GRANT
    /// statement before `TO`, e.g. `"REPLICATION SLAVE ON *.*"` or `"ALL ON *.*"`.
    ///
    /// Runs with `sql_log_bin = 0`: the user is not written to the binlog, so tests that count or
    /// compare binlog events see only their own statements. The ed25519 plugin is installed first
    /// when needed.
    pub fn create_user_with_grants(
        &self,
        user: &str,
        password: &str,
        auth: UserAuth,
        grants: &str,
    ) -> anyhow::Result<()> {
        let account = format!("{}@'%'", sql_string(user));
        let pw = sql_string(password);
        let clause = match &auth {
            UserAuth::NativePassword => {
                format!("IDENTIFIED VIA mysql_native_password USING PASSWORD({pw})")
            }
            UserAuth::Ed25519 => {
                self.ensure_ed25519()?;
                format!("IDENTIFIED VIA ed25519 USING PASSWORD({pw})")
            }
            UserAuth::Clause(c) => c.clone(),
        };
        let mut sql = format!("SET SESSION sql_log_bin = 0;\nCREATE USER {account} {clause};\n");
        if !grants.trim().is_empty() {
            sql.push_str(&format!("GRANT {grants} TO {account};\n"));
        }
        self.sql(&sql)
            .with_context(|| format!("create user {user}"))?;
        Ok(())
    }

    /// Makes this server a GTID replica of `primary` (`CHANGE MASTER TO ... MASTER_USE_GTID =
    /// slave_pos; START SLAVE`), connecting over TCP as `user` (which needs `REPLICATION SLAVE`
    /// on the primary), and waits until both replication threads run (at most 30 s).
    ///
    /// Start the replica with `--log-slave-updates` (so its binlog holds the primary's
    /// transactions, as a promotable replica's must) and its own server id; `--read-only` is
    /// usual. The replica starts from its own `gtid_slave_pos` (empty on a fresh server: the
    /// primary's whole binlog).
    pub fn replicate_from(
        &self,
        primary: &MariaDb,
        user: &str,
        password: &str,
    ) -> anyhow::Result<()> {
        self.sql(&format!(
            "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = {}, MASTER_USER = {}, \
             MASTER_PASSWORD = {}, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1; \
             START SLAVE",
            primary.port(),
            sql_string(user),
            sql_string(password)
        ))
        .context("CHANGE MASTER TO / START SLAVE")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let status = self.replica_status()?;
            let running = |k: &str| status.iter().any(|(n, v)| n == k && v == "Yes");
            if running("Slave_IO_Running") && running("Slave_SQL_Running") {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the replica on port {} did not start replicating: {status:?}",
                    self.port
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `SHOW SLAVE STATUS` as (column, value) pairs (empty when this is no replica).
    pub fn replica_status(&self) -> anyhow::Result<Vec<(String, String)>> {
        // `sql` runs the client with --skip-column-names, which also drops the names from `\G`
        // output: ask for the names back (the last of the two options wins) and pair the batch
        // header line with the row.
        let out = self
            .client()
            .arg("--column-names")
            .arg("-e")
            .arg("SHOW SLAVE STATUS")
            .stdin(Stdio::null())
            .output()
            .context("run the mariadb client (is mariadb-client installed?)")?;
        if !out.status.success() {
            bail!(
                "SHOW SLAVE STATUS on port {} failed ({}): {}",
                self.port,
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let (Some(names), Some(values)) = (lines.next(), lines.next()) else {
            return Ok(Vec::new());
        };
        Ok(names
            .split('\t')
            .zip(values.split('\t'))
            .map(|(k, v)| (k.to_string(), unescape_batch(v)))
            .collect())
    }

    /// Waits until this replica has applied every transaction in `gtid_pos` (a MariaDB GTID
    /// position, e.g. the primary's `gtid_binlog_pos`): `MASTER_GTID_WAIT(pos, timeout)`.
    pub fn wait_for_gtid(&self, gtid_pos: &str, timeout: Duration) -> anyhow::Result<()> {
        let r = self.sql_value(&format!(
            "SELECT MASTER_GTID_WAIT({}, {})",
            sql_string(gtid_pos),
            timeout.as_secs_f64()
        ))?;
        if r.as_deref() != Some("0") {
            bail!(
                "the replica on port {} did not reach {gtid_pos} within {timeout:?} (gtid_slave_pos {:?}, status {:?})",
                self.port,
                self.sql_value("SELECT @@GLOBAL.gtid_slave_pos").ok().flatten(),
                self.replica_status().ok()
            );
        }
        Ok(())
    }

    /// Promotes this replica the way an operator or orchestrator does after its primary died:
    /// `STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0`.
    pub fn promote(&self) -> anyhow::Result<()> {
        self.sql("STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0")
            .context("promote the replica")
            .map(drop)
    }

    /// Installs the server's ed25519 authentication plugin unless it is already active.
    fn ensure_ed25519(&self) -> anyhow::Result<()> {
        let status = self.sql_value(
            "SELECT PLUGIN_STATUS FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'ed25519'",
        )?;
        if status.as_deref() != Some("ACTIVE") {
            self.sql("SET SESSION sql_log_bin = 0; INSTALL SONAME 'auth_ed25519'")
                .context("install the ed25519 authentication plugin")?;
        }
        Ok(())
    }

    // ---- internals ----

    fn dir_arg(&self) -> String {
        self.dir.display().to_string()
    }

    /// `script start DIR PORT ARGS...`, then checks that the server is there.
    fn launch(&mut self) -> anyhow::Result<()> {
        let mut args = vec!["start".to_string(), self.dir_arg(), self.port.to_string()];
        args.extend(self.server_args.iter().cloned());
        let t0 = Instant::now();
        self.run_script(&args)?;
        self.started_in = t0.elapsed();
        if self.pid().is_none() {
            bail!(
                "the script reported the server ready but no mariadbd runs in {}",
                self.dir.display()
            );
        }
        Ok(())
    }

    /// Runs `sh scripts/mariadb-test-server.sh ARGS...`; on failure the error carries its output
    /// and whatever the server wrote to its error log meanwhile.
    fn run_script(&self, args: &[String]) -> anyhow::Result<String> {
        let script = test_server_script();
        let log = self.error_log();
        let log_start = fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
        let tmpdir = self.dir.join("tmp");
        fs::create_dir_all(&tmpdir).with_context(|| format!("create {}", tmpdir.display()))?;
        let out = Command::new("sh")
            .arg(&script)
            .args(args)
            // The script runs mariadb-install-db without --tmpdir, so its bootstrap server puts
            // its temporary tables in $TMPDIR (default /tmp), where the tables of parallel
            // bootstraps collide ("Unknown table 'mysql.tmp_user_sys'", about 1 in 5 with 4 at a
            // time): give each server its own.
            .env("TMPDIR", &tmpdir)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("run {}", script.display()))?;
        if !out.status.success() {
            let new_log = read_from(&self.error_log(), log_start);
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let mut msg = format!(
                "{} {} failed ({}):\n{stdout}{stderr}\n--- new lines of {} ---\n{}",
                script.display(),
                args.join(" "),
                out.status,
                log.display(),
                tail_lines(&new_log, 40)
            );
            if stderr.contains("mariadb-install-db failed") {
                // the script shows only the log's tail, which is boilerplate: the cause is at the top
                let install = fs::read_to_string(self.dir.join("install.log")).unwrap_or_default();
                let head: Vec<&str> = install.lines().take(12).collect();
                msg.push_str(&format!(
                    "\n--- start of install.log ---\n{}",
                    head.join("\n")
                ));
            }
            bail!(msg);
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Whether `pid` is a live (not zombie) mariadbd started on this directory.
    fn is_our_mariadbd(&self, pid: u32) -> bool {
        let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
            return false;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let datadir = format!("--datadir={}/data", self.dir.display());
        if !cmdline.contains("mariadbd") || !cmdline.contains(&datadir) {
            return false;
        }
        process_exists(pid)
    }

    /// A detached shell that stops the server and removes its directory once this process is
    /// gone (covers test processes killed without running `Drop`, and servers kept in statics).
    fn spawn_watchdog(&self) -> anyhow::Result<Child> {
        const WATCHDOG: &str = r#"
            while kill -0 "$1" 2>/dev/null; do sleep 1; done
            sh "$2" stop "$3" >/dev/null 2>&1
            [ "$4" = 1 ] || rm -rf "$3"
        "#;
        Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("binvault-testkit-watchdog")
            .arg(std::process::id().to_string())
            .arg(test_server_script())
            .arg(&self.dir)
            .arg(if keep_dirs() { "1" } else { "0" })
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // its own process group: a Ctrl-C to the test run must not kill it
            .process_group(0)
            .spawn()
            .context("spawn the test server watchdog")
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!(
                "binvault-testkit: stopping the server in {}: {e:#}",
                self.dir.display()
            );
            if let Some(pid) = self.pid() {
                if let Err(e) = send_signal(pid, "KILL") {
                    eprintln!("binvault-testkit: {e:#}");
                }
                wait_until_gone(pid, KILL_WAIT);
            }
        }
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        if let Some(tmp) = self.tmp.take() {
            if keep_dirs() {
                let path = tmp.keep();
                eprintln!(
                    "binvault-testkit: kept the test server directory {} (port {}, error log {}, binlogs {})",
                    path.display(),
                    self.port,
                    self.error_log().display(),
                    self.binlog_dir().display()
                );
            } else if let Err(e) = tmp.close() {
                eprintln!("binvault-testkit: removing {}: {e}", self.dir.display());
            }
        }
    }
}

fn keep_dirs() -> bool {
    std::env::var(KEEP_ENV).is_ok_and(|v| v == "1")
}

/// Whether process `pid` exists and is not a zombie (a zombie only waits for its parent to reap
/// it: it holds no port, socket or file any more).
fn process_exists(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|state| state != 'Z' && state != 'X'),
        Err(_) => false,
    }
}

/// Waits until process `pid` has exited (see [`process_exists`]); false on timeout. Its command
/// line vanishes while it exits, so this must not look at that.
fn wait_until_gone(pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while process_exists(pid) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Sends SIG`signal` (`"TERM"`, `"KILL"`) through the shell's `kill` builtin (the workspace
/// forbids `unsafe`, so no libc).
fn send_signal(pid: u32, signal: &str) -> anyhow::Result<()> {
    let status = Command::new("sh")
        .arg("-c")
        .arg(r#"kill -"$1" "$2""#)
        .arg("sh")
        .arg(signal)
        .arg(pid.to_string())
        .status()
        .context("run kill")?;
    if !status.success() {
        bail!("kill -{signal} {pid} failed ({status})");
    }
    Ok(())
}

/// A quoted SQL string literal (`'...'`, with `\`, `'` and NUL escaped; valid unless the
/// `NO_BACKSLASH_ESCAPES` SQL mode is on).
pub fn sql_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Undoes the escaping of the mariadb client's batch mode.
fn unescape_batch(field: &str) -> String {
    if !field.contains('\\') {
        return field.to_string();
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('0') => out.push('\0'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn read_from(path: &Path, offset: u64) -> String {
    let Ok(mut f) = fs::File::open(path) else {
        return String::new();
    };
    let mut buf = Vec::new();
    if f.seek(SeekFrom::Start(offset)).is_err() || f.read_to_end(&mut buf).is_err() {
        return String::new();
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn abbreviate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes in all)", &s[..end], s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_string_escapes() {
        assert_eq!(sql_string("it's a \\ test\0"), "'it\\'s a \\\\ test\\0'");
    }

    #[test]
    fn batch_unescape() {
        assert_eq!(unescape_batch("a\\tb\\nc\\\\d\\0"), "a\tb\nc\\d\0");
        assert_eq!(unescape_batch("plain"), "plain");
    }

    #[test]
    fn server_args_order() {
        let args = MariaDbConfig::new()
            .server_id(7)
            .arg("--binlog-checksum=NONE")
            .server_args();
        assert_eq!(
            args.last().map(String::as_str),
            Some("--binlog-checksum=NONE")
        );
        assert!(args.contains(&"--server-id=7".to_string()));
        assert!(args.contains(&"--innodb-buffer-pool-size=32M".to_string()));
    }

    #[test]
    fn script_exists() {
        assert!(
            test_server_script().is_file(),
            "{}",
            test_server_script().display()
        );
    }
}
