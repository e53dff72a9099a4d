//! GTID bookkeeping: the GTIDs a file (or the whole archive) holds, as ranges, and the
//! position a replica resumes from.

use std::collections::BTreeMap;
use std::fmt;

use binvault_protocol::gtid::MysqlGtidSet;
use serde::{Deserialize, Serialize};

use crate::txn::TxGtid;

/// GTIDs seen, in a form that prints as the servers print them and serializes to the index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GtidRanges {
    /// MariaDB: per `(domain, server)`, the sequence-number ranges (inclusive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mariadb: Vec<MariaRange>,
    /// MySQL: the GTID set text (`uuid:1-5,uuid:tag:1-3`), empty if none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mysql: String,
}

/// A run of consecutive MariaDB sequence numbers of one domain and server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MariaRange {
    /// Replication domain.
    pub domain: u32,
    /// Originating server.
    pub server: u32,
    /// First sequence number.
    pub first: u64,
    /// Last sequence number.
    pub last: u64,
}

impl GtidRanges {
    /// True when no GTID was recorded.
    pub fn is_empty(&self) -> bool {
        self.mariadb.is_empty() && self.mysql.is_empty()
    }
}

impl fmt::Display for GtidRanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for r in &self.mariadb {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if r.first == r.last {
                write!(f, "{}-{}-{}", r.domain, r.server, r.first)?;
            } else {
                write!(f, "{}-{}-{}..{}", r.domain, r.server, r.first, r.last)?;
            }
        }
        if !self.mysql.is_empty() {
            if !first {
                f.write_str(",")?;
            }
            f.write_str(&self.mysql)?;
        }
        Ok(())
    }
}

/// Accumulates GTIDs into [`GtidRanges`], and the last GTID per MariaDB domain (the resume
/// position).
#[derive(Debug, Clone, Default)]
pub struct GtidTracker {
    maria: BTreeMap<(u32, u32), Vec<(u64, u64)>>,
    last_per_domain: BTreeMap<u32, (u32, u64)>,
    mysql: MysqlGtidSet,
}

impl GtidTracker {
    /// Starts from recorded ranges.
    pub fn from_ranges(r: &GtidRanges) -> Self {
        let mut t = GtidTracker::default();
        for m in &r.mariadb {
            t.maria
                .entry((m.domain, m.server))
                .or_default()
                .push((m.first, m.last));
            let last = t
                .last_per_domain
                .entry(m.domain)
                .or_insert((m.server, m.last));
            if m.last >= last.1 {
                *last = (m.server, m.last);
            }
        }
        if let Ok(set) = r.mysql.parse() {
            t.mysql = set;
        }
        t
    }

    /// Records one committed transaction's GTID.
    pub fn add(&mut self, gtid: &TxGtid) {
        match gtid {
            TxGtid::Maria {
                domain,
                server,
                seq,
            } => {
                let list = self.maria.entry((*domain, *server)).or_default();
                match list.last_mut() {
                    Some(last) if last.1.checked_add(1) == Some(*seq) => last.1 = *seq,
                    _ => list.push((*seq, *seq)),
                }
                self.last_per_domain.insert(*domain, (*server, *seq));
            }
            TxGtid::Mysql { sid, tag, gno } => self.mysql.insert(*sid, tag, *gno, *gno),
        }
    }

    /// Merges another tracker's GTIDs in (for archive-wide totals).
    pub fn merge(&mut self, other: &GtidTracker) {
        for (&(d, s), list) in &other.maria {
            for &(a, b) in list {
                let mine = self.maria.entry((d, s)).or_default();
                mine.push((a, b));
                mine.sort_unstable();
                let mut merged: Vec<(u64, u64)> = Vec::new();
                for &(x, y) in mine.iter() {
                    match merged.last_mut() {
                        Some(l) if x <= l.1.saturating_add(1) => l.1 = l.1.max(y),
                        _ => merged.push((x, y)),
                    }
                }
                *mine = merged;
            }
        }
        for (&d, &(s, q)) in &other.last_per_domain {
            let e = self.last_per_domain.entry(d).or_insert((s, q));
            if q >= e.1 {
                *e = (s, q);
            }
        }
        let text = other.mysql.to_string();
        if let Ok(set) = format!("{},{}", self.mysql, text).parse() {
            self.mysql = set;
        }
    }

    /// The ranges recorded.
    pub fn ranges(&self) -> GtidRanges {
        let mut mariadb = Vec::new();
        for (&(domain, server), list) in &self.maria {
            for &(first, last) in list {
                mariadb.push(MariaRange {
                    domain,
                    server,
                    first,
                    last,
                });
            }
        }
        GtidRanges {
            mariadb,
            mysql: self.mysql.to_string(),
        }
    }

    /// MariaDB resume position: the last GTID of each domain, as `@@gtid_binlog_pos`
    /// prints it (`0-1-100,1-2-5`); empty when no MariaDB GTID was seen.
    pub fn mariadb_position(&self) -> String {
        self.last_per_domain
            .iter()
            .map(|(d, (s, q))| format!("{d}-{s}-{q}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The MySQL GTID set.
    pub fn mysql_set(&self) -> &MysqlGtidSet {
        &self.mysql
    }
}
