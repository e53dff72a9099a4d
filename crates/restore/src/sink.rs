//! Where the restore's statements go: a SQL text stream for the `mariadb`/`mysql` client
//! ([`TextSink`]) or a target server ([`crate::apply::ApplySink`]).

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;

use crate::error::{Error, Result};

/// Progress after a committed transaction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Transactions replayed so far.
    pub transactions: u64,
    /// Archive bytes read so far (of the plan's total).
    pub bytes: u64,
}

/// Receives the statements of a restore, in order, in one session.
pub trait Sink {
    /// Runs (or writes) one statement; `sql` has no delimiter.
    fn statement(&mut self, sql: &[u8]) -> Result<()>;

    /// The statements that follow are in this client character set (`\C` for the client,
    /// which must parse them; a server connection has it from the `SET` that follows).
    fn client_charset(&mut self, _charset: &str) -> Result<()> {
        Ok(())
    }

    /// A LOAD DATA: `LOAD DATA` + `before` + ` LOCAL INFILE '<file>'` + `after`, with `data`
    /// as the file's content.
    fn load_data(&mut self, before: &[u8], after: &[u8], data: &[u8]) -> Result<()>;

    /// A transaction is starting at this archive position (for comments in the text).
    fn position(&mut self, _server: &str, _file: &str, _offset: u64) -> Result<()> {
        Ok(())
    }

    /// A transaction was committed.
    fn progress(&mut self, _p: Progress) {}

    /// A transaction (replayed or not) ended, and at the end of the restore: whatever the
    /// sink holds back must be executed now (and errors reported).
    fn end_of_transaction(&mut self) -> Result<()> {
        Ok(())
    }
}

/// The delimiter of the text stream (as `mysqlbinlog` uses it: statements may hold `;`).
const DELIMITER: &[u8] = b"/*!*/;";

/// Writes a SQL script for the `mariadb` client (`mariadb --binary-mode --local-infile=1`).
#[derive(Debug)]
pub struct TextSink<W: Write> {
    out: W,
    /// Directory for the files of LOAD DATA statements.
    load_dir: Option<PathBuf>,
    load_count: u64,
    comments: bool,
}

impl<W: Write> TextSink<W> {
    /// A text sink writing to `out`; LOAD DATA files go to `load_dir` (created when needed);
    /// `comments`: a `# at FILE:POS` line before each transaction.
    pub fn new(mut out: W, load_dir: Option<PathBuf>, comments: bool) -> Result<Self> {
        out.write_all(b"DELIMITER /*!*/;\n")
            .map_err(Error::Output)?;
        Ok(TextSink {
            out,
            load_dir,
            load_count: 0,
            comments,
        })
    }

    /// Ends the script and returns the writer.
    pub fn finish(mut self) -> Result<W> {
        self.out
            .write_all(b"DELIMITER ;\n")
            .and_then(|()| self.out.flush())
            .map_err(Error::Output)?;
        Ok(self.out)
    }
}

impl<W: Write> Sink for TextSink<W> {
    fn statement(&mut self, sql: &[u8]) -> Result<()> {
        // the delimiter on its own line: a statement may end with a `-- comment`
        self.out
            .write_all(sql)
            .and_then(|()| self.out.write_all(b"\n"))
            .and_then(|()| self.out.write_all(DELIMITER))
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(Error::Output)
    }

    fn client_charset(&mut self, charset: &str) -> Result<()> {
        writeln!(self.out, "/*!\\C {charset} *//*!*/;").map_err(Error::Output)
    }

    fn load_data(&mut self, before: &[u8], after: &[u8], data: &[u8]) -> Result<()> {
        let dir = match &self.load_dir {
            Some(d) => d.clone(),
            None => {
                return Err(Error::Usage(
                    "the range holds a LOAD DATA statement: give --local-load DIR for its file"
                        .into(),
                ))
            }
        };
        // the archived data may be confidential: owner only
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(crate::error::io("create", &dir))?;
        self.load_count += 1;
        let path = dir.join(format!(
            "binvault-load-{}-{}.data",
            std::process::id(),
            self.load_count
        ));
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut f| f.write_all(data))
            .map_err(crate::error::io("write", &path))?;
        let mut st = Vec::with_capacity(before.len() + after.len() + 64);
        st.extend_from_slice(before);
        st.extend_from_slice(b" LOCAL INFILE '");
        for &c in path.as_os_str().as_encoded_bytes() {
            match c {
                b'\'' => st.extend_from_slice(b"\\'"),
                b'\\' => st.extend_from_slice(b"\\\\"),
                c => st.push(c),
            }
        }
        st.push(b'\'');
        st.extend_from_slice(after);
        self.statement(&st)
    }

    fn position(&mut self, server: &str, file: &str, offset: u64) -> Result<()> {
        if self.comments {
            writeln!(self.out, "# at {server}/{file}:{offset}").map_err(Error::Output)?;
        }
        Ok(())
    }
}
