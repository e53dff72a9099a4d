//! Test support for binvault: throwaway MariaDB servers, TLS certificates and workloads.
//!
//! Integration tests across the workspace (protocol client, archiver, restore) start their own
//! MariaDB 10.11 servers with [`MariaDb::start`]. The project's rules for test servers, which this
//! crate enforces:
//!
//! * a server lives in a fresh temporary directory under `/tmp` (a short path, so that the unix
//!   socket path fits in the ~100 bytes the kernel allows) and listens on a free loopback port
//!   ([`free_port`], never 3306);
//! * it is configured per test ([`MariaDbConfig`]) and reads no option file (`--no-defaults`);
//! * it is stopped and its directory removed when the [`MariaDb`] value is dropped, also when the
//!   test panics; a watchdog process stops it too if the test process dies without running `Drop`
//!   (killed by a timeout, or the server was kept in a `static`);
//! * no test ever relies on a server started by hand.
//!
//! Starting goes through the repository's verified shell recipe `scripts/mariadb-test-server.sh`
//! (see [`test_server_script`]). Done here instead: stopping (the same SIGTERM-then-SIGKILL, but
//! without waiting for init to reap the zombie, see [`MariaDb::stop`]), SIGKILL
//! ([`MariaDb::kill`]), the watchdog, and port reservation between parallel tests
//! ([`free_port`]). The script is also given a private `TMPDIR`, without which parallel starts
//! sometimes fail in `mariadb-install-db`.
//!
//! Needs the Debian `mariadb-server` and `mariadb-client` packages (`mariadbd`,
//! `mariadb-install-db`, `mariadb`, `mariadb-admin`, `mariadb-binlog`): run
//! `scripts/install-test-deps.sh` on a fresh machine.
//!
//! Environment:
//!
//! * `BINVAULT_KEEP_TEST_SERVERS=1`: servers are still stopped on drop, but their directories
//!   (datadir, binlogs, error log) are kept and their path is printed to stderr.
//!
//! # Example
//!
//! ```no_run
//! use binvault_testkit::{MariaDb, MariaDbConfig, UserAuth, workload};
//!
//! # fn main() -> anyhow::Result<()> {
//! let server = MariaDb::start(MariaDbConfig::default())?;
//! server.create_user("repl", "secret", UserAuth::NativePassword)?;
//! workload::run(&server, 7, 100)?;
//! server.flush_binary_logs()?;
//! for file in server.binlog_files()? {
//!     println!("{}", file.display());
//! }
//! let (file, pos) = server.master_status()?;
//! println!("replicate from {file}:{pos} on 127.0.0.1:{}", server.port());
//! # Ok(())
//! # }
//! ```

mod certs;
mod files;
mod port;
mod proxy;
mod server;
pub mod workload;

pub use workload::Rng;

pub use certs::TestCerts;
pub use files::{assert_archived_copies, cmp_files};
pub use port::free_port;
pub use proxy::Proxy;
pub use server::{
    sql_string, test_server_script, MariaDb, MariaDbConfig, UserAuth, DEFAULT_GRANTS,
    DEFAULT_SERVER_ARGS, KEEP_ENV,
};
