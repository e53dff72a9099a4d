//! Reading the plan's ranges event by event and handing each transaction that belongs to the
//! restore to the [`SqlWriter`]: transactions a GTID start already has are skipped, the stop
//! conditions are checked at each transaction's first event (time) and commit (GTID).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use binvault_parser::{BinlogReader, Decoder, DecoderOptions, EventData, EventHeader};
use binvault_sink::txn::{TxGtid, TxnTracker};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::plan::{FileRange, GtidSpec, Plan};
use crate::sink::{Progress, Sink};
use crate::sql::{SqlWriter, WriteError};

/// What a replay did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Transactions replayed.
    pub transactions: u64,
    /// Transactions skipped (already in the `--start-gtid` set).
    pub skipped: u64,
    /// Events read.
    pub events: u64,
    /// Archive bytes read.
    pub bytes: u64,
    /// What ended the replay: `end`, `stop-datetime`, `stop-gtid`, `stop-position`.
    pub stopped_by: String,
    /// Where the replay ended: `server/file:offset` after the last transaction replayed.
    pub end: String,
    /// The GTID of the last transaction replayed (empty when none had one).
    pub last_gtid: String,
}

fn open(range: &FileRange) -> Result<Box<dyn Read>> {
    let path = range.path();
    let f = File::open(&path).map_err(crate::error::io("open", &path))?;
    Ok(if range.compressed {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            1 << 16,
            f,
        )))
    } else {
        Box::new(BufReader::with_capacity(1 << 18, f))
    })
}

fn read_exact(r: &mut dyn Read, buf: &mut [u8], path: &Path, offset: u64) -> Result<()> {
    r.read_exact(buf).map_err(|e| Error::Data {
        path: path.to_path_buf(),
        offset,
        reason: format!("cannot read {} bytes: {e}", buf.len()),
    })
}

/// Reads the magic and the format description of a file; returns the decoder, the raw FDE
/// and the offset after it.
fn read_header(r: &mut dyn Read, path: &Path) -> Result<(Decoder, Vec<u8>, u64)> {
    let mut magic = [0u8; 4];
    read_exact(r, &mut magic, path, 0)?;
    if &magic != binvault_sink::scan::MAGIC {
        return Err(Error::Data {
            path: path.to_path_buf(),
            offset: 0,
            reason: "not a binlog file (bad magic)".into(),
        });
    }
    let mut head = [0u8; 19];
    read_exact(r, &mut head, path, 4)?;
    let h = EventHeader::parse(&head).map_err(|e| Error::Data {
        path: path.to_path_buf(),
        offset: 4,
        reason: e.to_string(),
    })?;
    let size = u64::from(h.event_size);
    if !(19..=1 << 20).contains(&size) {
        return Err(Error::Data {
            path: path.to_path_buf(),
            offset: 4,
            reason: format!("format description of {size} bytes"),
        });
    }
    let mut raw = vec![0u8; size as usize];
    raw[..19].copy_from_slice(&head);
    read_exact(r, &mut raw[19..], path, 23)?;
    let mut decoder = Decoder::new();
    decoder.set_options(DecoderOptions {
        verify_checksums: true,
        ..DecoderOptions::default()
    });
    let ev = decoder.decode(4, &raw).map_err(|e| Error::Data {
        path: path.to_path_buf(),
        offset: 4,
        reason: e.to_string(),
    })?;
    if !matches!(ev.data, EventData::FormatDescription(_)) {
        return Err(Error::Data {
            path: path.to_path_buf(),
            offset: 4,
            reason: format!(
                "the first event is {}, not a format description",
                ev.event_type.name()
            ),
        });
    }
    Ok((decoder, raw, 4 + size))
}

fn skip(r: &mut dyn Read, n: u64, path: &Path, offset: u64) -> Result<()> {
    let copied = std::io::copy(&mut r.take(n), &mut std::io::sink())
        .map_err(crate::error::io("read", path))?;
    if copied < n {
        return Err(Error::Data {
            path: path.to_path_buf(),
            offset: offset + copied,
            reason: "the file ends before the planned range".into(),
        });
    }
    Ok(())
}

/// Whether `g` is in the start set (already in the base backup).
fn in_set(spec: &GtidSpec, g: &TxGtid) -> bool {
    match (spec, g) {
        (GtidSpec::Maria(pos), TxGtid::Maria { domain, seq, .. }) => {
            pos.get(domain).is_some_and(|&(_, s)| *seq <= s)
        }
        (GtidSpec::Mysql(set), TxGtid::Mysql { sid, tag, gno }) => set.contains(*sid, tag, *gno),
        _ => false,
    }
}

fn gtid_of(data: &EventData<'_>, server_id: u32) -> Option<TxGtid> {
    match data {
        EventData::MariaGtid(g) => Some(TxGtid::Maria {
            domain: g.domain_id,
            server: server_id,
            seq: g.seq_no,
        }),
        EventData::Gtid(g) if !g.anonymous => Some(TxGtid::Mysql {
            sid: g.sid.0,
            tag: String::new(),
            gno: g.gno as u64,
        }),
        EventData::GtidTagged(g) => Some(TxGtid::Mysql {
            sid: g.sid.0,
            tag: String::from_utf8_lossy(g.tag).into_owned(),
            gno: g.gno as u64,
        }),
        _ => None,
    }
}

fn is_control(data: &EventData<'_>) -> bool {
    matches!(
        data,
        EventData::FormatDescription(_)
            | EventData::Rotate(_)
            | EventData::Stop
            | EventData::Heartbeat(_)
            | EventData::PreviousGtids(_)
            | EventData::MariaGtidList(_)
            | EventData::MariaBinlogCheckpoint(_)
            | EventData::MariaStartEncryption(_)
    )
}

/// `XA COMMIT`/`XA ROLLBACK` of a prepared transaction.
fn ends_xa(data: &EventData<'_>) -> bool {
    let EventData::Query(q) = data else {
        return false;
    };
    let t = q.query.trim_ascii_start();
    let starts = |w: &[u8]| t.len() >= w.len() && t[..w.len()].eq_ignore_ascii_case(w);
    starts(b"XA COMMIT") || starts(b"XA ROLLBACK")
}

/// Tracks the `--stop-gtid` goal.
struct StopGtid {
    maria: BTreeMap<u32, u64>,
    mysql: Option<binvault_protocol::gtid::MysqlGtidSet>,
}

impl StopGtid {
    fn new(spec: &GtidSpec) -> Self {
        match spec {
            GtidSpec::Maria(m) => StopGtid {
                maria: m.iter().map(|(&d, &(_, q))| (d, q)).collect(),
                mysql: None,
            },
            GtidSpec::Mysql(s) => StopGtid {
                maria: BTreeMap::new(),
                mysql: Some(s.clone()),
            },
        }
    }

    /// Records a commit; true when the goal is reached.
    fn committed(&mut self, g: &TxGtid) -> bool {
        match g {
            TxGtid::Maria { domain, seq, .. } => {
                if self.maria.get(domain).is_some_and(|&q| *seq >= q) {
                    self.maria.remove(domain);
                    return self.maria.is_empty() && self.mysql.is_none();
                }
                false
            }
            TxGtid::Mysql { sid, tag, gno } => self
                .mysql
                .as_ref()
                .is_some_and(|s| s.contains(*sid, tag, *gno)),
        }
    }
}

/// Replays the plan into `sink`. When the target refuses a statement, the error says where
/// the last transaction applied ends, to resume from there with `--start-position`.
pub fn replay(plan: &Plan, sink: &mut dyn Sink) -> Result<Summary> {
    let mut summary = Summary {
        stopped_by: "end".into(),
        ..Summary::default()
    };
    match replay_into(plan, sink, &mut summary) {
        Ok(()) => Ok(summary),
        Err(Error::Target { context, source }) => Err(Error::Target {
            context: if summary.end.is_empty() {
                format!("{context} (no transaction was applied)")
            } else {
                format!(
                    "{context} (the last transaction applied ends at {}{}: resume with \
                     --start-position {})",
                    summary.end,
                    if summary.last_gtid.is_empty() {
                        String::new()
                    } else {
                        format!(", GTID {}", summary.last_gtid)
                    },
                    summary.end
                )
            },
            source,
        }),
        Err(e) => Err(e),
    }
}

fn replay_into(plan: &Plan, sink: &mut dyn Sink, summary: &mut Summary) -> Result<()> {
    let mut writer = SqlWriter::new();
    writer.begin(sink)?;
    let mut stop_gtid = plan.stop_gtid.as_ref().map(StopGtid::new);
    let mut bytes_before = 0u64;
    'ranges: for range in &plan.ranges {
        let path = range.path();
        let mut r = open(range)?;
        let (decoder, fde, fde_end) = read_header(&mut r, &path)?;
        let flavor = decoder.format().flavor;
        writer.format_description(&fde, flavor);
        let start = range.from.max(fde_end);
        if start > fde_end {
            skip(&mut r, start - fde_end, &path, fde_end)?;
        }
        if range.to <= start {
            bytes_before += range.to.saturating_sub(range.from);
            continue;
        }
        let mut reader = BinlogReader::events_only(r.take(range.to - start), decoder, start);
        let mut tracker = TxnTracker::new();
        let mut skipping = false;
        let mut in_txn_gtid: Option<TxGtid> = None;
        loop {
            let next = reader.next_with_decoder().map_err(|e| Error::Data {
                path: path.clone(),
                offset: e.offset,
                reason: e.to_string(),
            })?;
            let Some((ev, dec)) = next else { break };
            summary.events += 1;
            let was_in = tracker.in_transaction();
            let control = is_control(&ev.data);
            if !was_in && !control {
                // a transaction (or a standalone statement) starts here
                if plan.stop_datetime.is_some_and(|t| ev.header.timestamp >= t) {
                    summary.stopped_by = "stop-datetime".into();
                    break 'ranges;
                }
                in_txn_gtid = gtid_of(&ev.data, ev.header.server_id);
                skipping = match (&plan.skip_gtids, &in_txn_gtid) {
                    (Some(spec), Some(g)) => in_set(spec, g),
                    _ => false,
                };
                if !skipping {
                    sink.position(&range.server, &range.file, ev.pos)?;
                }
            }
            let mut step = tracker.step(&ev);
            if step.committed.is_none() && tracker.in_transaction() && ends_xa(&ev.data) {
                // binvault-sink's tracker does not end a MariaDB XA COMMIT/ROLLBACK group
                // (GTID without FL_STANDALONE, then the XA statement): it is a whole
                // transaction here
                tracker = TxnTracker::new();
                step.boundary = true;
                step.committed = Some(in_txn_gtid.clone());
            }
            if !skipping || control {
                writer.event(&ev, dec, sink).map_err(|e| match e {
                    WriteError::Sink(e) => e,
                    WriteError::Unsupported(reason) => Error::Data {
                        path: path.clone(),
                        offset: ev.pos,
                        reason,
                    },
                })?;
            }
            if let Some(committed) = step.committed {
                let end = ev.end();
                if skipping {
                    summary.skipped += 1;
                } else {
                    summary.transactions += 1;
                    summary.end = format!("{}/{}:{}", range.server, range.file, end);
                    if let Some(g) = &committed {
                        summary.last_gtid = binvault_sink::scan::gtid_text(Some(g));
                    }
                    summary.bytes = bytes_before + end.saturating_sub(range.from);
                    sink.progress(Progress {
                        transactions: summary.transactions,
                        bytes: summary.bytes,
                    });
                }
                skipping = false;
                sink.end_of_transaction()?;
                let reached = match (&mut stop_gtid, committed.or(in_txn_gtid.take())) {
                    (Some(s), Some(g)) => s.committed(&g),
                    _ => false,
                };
                if reached {
                    summary.stopped_by = "stop-gtid".into();
                    break 'ranges;
                }
            }
        }
        if tracker.in_transaction() {
            writer.abandon(sink)?;
            sink.end_of_transaction()?;
            return Err(Error::Data {
                path,
                offset: range.to,
                reason: "the range ends inside a transaction (rolled back)".into(),
            });
        }
        bytes_before += range.to - range.from;
        summary.bytes = bytes_before;
    }
    writer.finish(sink)?;
    sink.end_of_transaction()
}
