//! Applying a restore to a target server directly (`binvault restore --apply URL`): one
//! connection, one session, every statement run in order with binvault-protocol's driver;
//! LOAD DATA statements send their archived file content over the LOCAL INFILE protocol.

use binvault_protocol::driver::{ConnectOptions, Connection};
use tracing::debug;

use crate::error::{Error, Result};
use crate::sink::{Progress, Sink};

/// A batch is sent once it holds this many bytes (or at each commit).
const BATCH_BYTES: usize = 1 << 20;

/// Runs the restore's statements on a target server. The statements of a transaction go in
/// one COM_QUERY (`CLIENT_MULTI_STATEMENTS`): one round trip per transaction instead of one
/// per statement.
#[derive(Debug)]
pub struct ApplySink {
    runtime: tokio::runtime::Runtime,
    conn: Option<Connection>,
    batch: Vec<u8>,
    batched: usize,
    /// Statements run.
    pub statements: u64,
    /// The last progress reported.
    pub last: Progress,
}

/// The start of a statement, for error messages (never the whole of a large one).
fn head(sql: &[u8]) -> String {
    let n = sql.len().min(200);
    let mut s = String::from_utf8_lossy(&sql[..n]).into_owned();
    if sql.len() > n {
        s.push_str("...");
    }
    s
}

impl ApplySink {
    /// Connects to the target (`options.local_infile` is turned on for LOAD DATA).
    pub fn connect(options: &ConnectOptions) -> Result<ApplySink> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Io {
                op: "start the runtime for",
                path: "--apply".into(),
                source: e,
            })?;
        let mut options = options.clone();
        options.local_infile = true;
        options.multi_statements = true;
        let conn = runtime
            .block_on(Connection::connect(&options))
            .map_err(|source| Error::Target {
                context: format!("connecting to {}:{}", options.host, options.port),
                source,
            })?;
        debug!(peer = conn.peer(), "connected to the restore target");
        Ok(ApplySink {
            runtime,
            conn: Some(conn),
            batch: Vec::with_capacity(BATCH_BYTES),
            batched: 0,
            statements: 0,
            last: Progress::default(),
        })
    }

    fn run(&mut self, sql: &[u8], data: Option<&[u8]>) -> Result<()> {
        let conn = self.conn.as_mut().ok_or_else(|| Error::Target {
            context: "the connection was closed".into(),
            source: binvault_protocol::Error::ConnectionClosed { context: "restore" },
        })?;
        self.runtime
            .block_on(conn.execute(sql, data))
            .map_err(|source| Error::Target {
                context: head(sql),
                source,
            })?;
        self.statements += 1;
        Ok(())
    }

    /// Sends the statements batched so far.
    pub fn flush(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let n = self.batched;
        self.batched = 0;
        let r = self.run(&batch, None);
        self.batch = batch;
        self.batch.clear();
        self.statements += n.saturating_sub(1) as u64;
        r
    }

    /// Closes the connection.
    pub fn close(mut self) {
        if let Some(conn) = self.conn.take() {
            self.runtime.block_on(conn.close());
        }
    }
}

impl Sink for ApplySink {
    fn statement(&mut self, sql: &[u8]) -> Result<()> {
        if !self.batch.is_empty() {
            // a newline first: a statement may end with a `-- comment`
            self.batch.extend_from_slice(b"\n;\n");
        }
        self.batch.extend_from_slice(sql);
        self.batched += 1;
        // MariaDB 10.11 answers a BINLOG statement holding row events with an OK that lacks
        // SERVER_MORE_RESULTS_EXISTS even when statements follow it in the same COM_QUERY: the
        // rest of the answers would be read as the next command's. So it ends its batch.
        if self.batch.len() >= BATCH_BYTES || sql.starts_with(b"BINLOG") {
            self.flush()?;
        }
        Ok(())
    }

    fn load_data(&mut self, before: &[u8], after: &[u8], data: &[u8]) -> Result<()> {
        // the LOCAL INFILE request must answer this statement alone
        self.flush()?;
        let mut st = Vec::with_capacity(before.len() + after.len() + 48);
        st.extend_from_slice(before);
        // the file name is only a label: the driver sends `data`, whatever the server asks
        st.extend_from_slice(b" LOCAL INFILE 'binvault-archived-load-data'");
        st.extend_from_slice(after);
        self.run(&st, Some(data))
    }

    fn progress(&mut self, p: Progress) {
        self.last = p;
    }

    fn end_of_transaction(&mut self) -> Result<()> {
        self.flush()
    }
}
