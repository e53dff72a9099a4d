//! Transaction boundaries: where in a binlog a reader (a replica, a restore) may stop or
//! resume without splitting a transaction.
//!
//! A transaction starts with a GTID event (MariaDB `GTID_EVENT`, MySQL `GTID_LOG_EVENT`,
//! anonymous or tagged) or, in old binlogs, with a `BEGIN` query. It ends with `XID`, a
//! `COMMIT`/`ROLLBACK` query, `XA_PREPARE`, a `TRANSACTION_PAYLOAD` (MySQL compressed
//! transactions), or — for a single-statement transaction such as DDL (MariaDB's
//! `FL_STANDALONE`, MySQL's GTID followed by a query other than `BEGIN`) — with its statement.
//! Control events (format description, rotate, GTID lists, checkpoints) stand alone.

use binvault_parser::events::{Event, EventData};

/// The GTID of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TxGtid {
    /// MariaDB `domain-server-seq`.
    Maria {
        /// Replication domain.
        domain: u32,
        /// Originating server.
        server: u32,
        /// Sequence number.
        seq: u64,
    },
    /// MySQL `uuid[:tag]:gno`.
    Mysql {
        /// Source UUID.
        sid: [u8; 16],
        /// Tag (empty when untagged).
        tag: String,
        /// Transaction number.
        gno: u64,
    },
}

/// MariaDB `FL_STANDALONE`: the transaction is one statement with no COMMIT.
const FL_STANDALONE: u8 = 1;

#[derive(Debug, Clone)]
struct Open {
    gtid: Option<TxGtid>,
    /// MariaDB standalone flag, or MySQL GTID not yet followed by BEGIN: the next statement
    /// ends the transaction.
    statement_ends: bool,
    /// The GTID-announced transaction has not seen its first statement yet (MySQL).
    awaiting_first: bool,
}

/// What one event did to the transaction state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// After this event the stream is outside any transaction (a safe stop/resume point).
    pub boundary: bool,
    /// The transaction this event committed (with its GTID, if it had one).
    pub committed: Option<Option<TxGtid>>,
}

/// Follows transaction boundaries event by event.
#[derive(Debug, Clone, Default)]
pub struct TxnTracker {
    open: Option<Open>,
}

fn is_word(q: &[u8], word: &str) -> bool {
    let q = q.trim_ascii();
    q.len() >= word.len()
        && q[..word.len()].eq_ignore_ascii_case(word.as_bytes())
        && q[word.len()..]
            .iter()
            .all(|b| b.is_ascii_whitespace() || *b == b';')
}

fn starts_with_ci(q: &[u8], prefix: &str) -> bool {
    let q = q.trim_ascii_start();
    q.len() >= prefix.len() && q[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

impl TxnTracker {
    /// A tracker outside any transaction.
    pub fn new() -> Self {
        Self::default()
    }

    /// True while inside a transaction.
    pub fn in_transaction(&self) -> bool {
        self.open.is_some()
    }

    fn end(&mut self) -> Step {
        let open = self.open.take();
        Step {
            boundary: true,
            committed: Some(open.and_then(|o| o.gtid)),
        }
    }

    fn stay(&self) -> Step {
        Step {
            boundary: self.open.is_none(),
            committed: None,
        }
    }

    fn begin(&mut self, gtid: Option<TxGtid>, statement_ends: bool, awaiting_first: bool) -> Step {
        self.open = Some(Open {
            gtid,
            statement_ends,
            awaiting_first,
        });
        Step {
            boundary: false,
            committed: None,
        }
    }

    /// A TRANSACTION_PAYLOAD event: the whole transaction after its GTID, committed.
    pub fn commit_payload(&mut self) -> Step {
        self.end()
    }

    /// A control event (GTID list, checkpoint, ...): changes nothing.
    pub fn control(&mut self) -> Step {
        self.stay()
    }

    /// Feeds one decoded event.
    pub fn step(&mut self, event: &Event<'_>) -> Step {
        match &event.data {
            EventData::MariaGtid(g) => {
                let gtid = TxGtid::Maria {
                    domain: g.domain_id,
                    server: event.header.server_id,
                    seq: g.seq_no,
                };
                self.begin(Some(gtid), g.flags & FL_STANDALONE != 0, false)
            }
            EventData::Gtid(g) => {
                let gtid = (!g.anonymous).then(|| TxGtid::Mysql {
                    sid: g.sid.0,
                    tag: String::new(),
                    gno: g.gno as u64,
                });
                self.begin(gtid, true, true)
            }
            EventData::GtidTagged(g) => {
                let gtid = TxGtid::Mysql {
                    sid: g.sid.0,
                    tag: String::from_utf8_lossy(g.tag).into_owned(),
                    gno: g.gno as u64,
                };
                self.begin(Some(gtid), true, true)
            }
            EventData::Query(q) => self.statement(&q.query),
            EventData::ExecuteLoadQuery(_) => self.statement(b"LOAD DATA"),
            EventData::Xid(_) | EventData::XaPrepare(_) | EventData::TransactionPayload(_) => {
                self.end()
            }
            EventData::FormatDescription(_)
            | EventData::Rotate(_)
            | EventData::Stop
            | EventData::Incident(_)
            | EventData::Heartbeat(_)
            | EventData::PreviousGtids(_)
            | EventData::MariaGtidList(_)
            | EventData::MariaBinlogCheckpoint(_)
            | EventData::MariaStartEncryption(_) => self.stay(),
            // Context events (INTVAR, RAND, USER_VAR, annotations) precede a statement;
            // table maps and rows belong to the open transaction. Outside one, they open an
            // implicit one that the next statement or commit closes.
            _ => {
                if let Some(open) = &mut self.open {
                    if open.awaiting_first {
                        // MySQL: GTID then rows without BEGIN does not happen; keep waiting for
                        // the commit.
                        open.awaiting_first = false;
                        open.statement_ends = false;
                    }
                    Step {
                        boundary: false,
                        committed: None,
                    }
                } else {
                    self.begin(None, true, false)
                }
            }
        }
    }

    fn statement(&mut self, query: &[u8]) -> Step {
        let Some(open) = &mut self.open else {
            if is_word(query, "BEGIN") || starts_with_ci(query, "XA START") {
                return self.begin(None, false, false);
            }
            return Step {
                boundary: true,
                committed: Some(None),
            };
        };
        if is_word(query, "BEGIN") || starts_with_ci(query, "XA START") {
            open.statement_ends = false;
            open.awaiting_first = false;
            return Step {
                boundary: false,
                committed: None,
            };
        }
        // MariaDB writes an XA transaction's completion as its own group: a GTID, then
        // `XA COMMIT 'xid'` (or ROLLBACK), which ends it as COMMIT would
        if is_word(query, "COMMIT")
            || is_word(query, "ROLLBACK")
            || starts_with_ci(query, "XA COMMIT")
            || starts_with_ci(query, "XA ROLLBACK")
            || open.statement_ends
        {
            return self.end();
        }
        Step {
            boundary: false,
            committed: None,
        }
    }
}
