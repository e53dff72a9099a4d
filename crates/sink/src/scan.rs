//! Reading an archived binlog file back: every event's length, CRC32 and position chain,
//! transaction boundaries, timestamps and GTIDs. Used by recovery, by index rebuilds and by
//! `verify`.

use std::path::Path;

use binvault_parser::decoder::verify_crc;
use binvault_parser::events::{Event, EventData};
use binvault_parser::{frame, Decoder, DecoderOptions, EventHeader, EventType, Frame};

use crate::gtid::GtidTracker;
use crate::index::{Checkpoint, FileEntry};
use crate::txn::{TxGtid, TxnTracker};

/// Binlog file magic.
pub const MAGIC: &[u8; 4] = b"\xfebin";
/// Largest event accepted when reading the archive back (MySQL/MariaDB cap events at 1 GiB
/// by `max_allowed_packet`).
pub const MAX_EVENT_SIZE: u64 = 1 << 30;

/// How a file's readable part ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// The tail was being written when the writer stopped (an event cut short, a last event
    /// failing its checksum, zeros the file system left): safe to cut off.
    Torn {
        /// Offset where the tail starts.
        offset: u64,
        /// Details.
        reason: String,
    },
    /// Damage followed by more data: never cut off automatically.
    Corrupt {
        /// Offset of the first bad event.
        offset: u64,
        /// Details.
        reason: String,
    },
}

/// What a scan found.
#[derive(Debug, Clone)]
pub struct Scan {
    /// The facts for the index (size = [`Scan::end`]).
    pub entry: FileEntry,
    /// GTIDs of the complete transactions up to [`Scan::last_boundary`].
    pub gtids: GtidTracker,
    /// Offset after the last whole, valid event.
    pub end: u64,
    /// Offset after the last transaction boundary (≤ `end`).
    pub last_boundary: u64,
    /// The damage that ended the scan before the end of the data, if any.
    pub damage: Option<Damage>,
    /// Number of whole events read.
    pub events: u64,
}

/// One event classified for the sink: fully decoded when it matters for transaction
/// boundaries, otherwise only its checksum verified.
pub(crate) fn classify<'a>(decoder: &mut Decoder, pos: u64, raw: &'a [u8]) -> binvault_parser::Result<Event<'a>> {
    let header = EventHeader::parse(raw).map_err(|e| e.rebase(pos))?;
    let ty = decoder.format().event_type(header.type_code);
    let decode = matches!(
        ty,
        EventType::FormatDescription
            | EventType::Query
            | EventType::MariaQueryCompressed
            | EventType::Rotate
            | EventType::Xid
            | EventType::Gtid
            | EventType::AnonymousGtid
            | EventType::GtidTagged
            | EventType::MariaGtid
            | EventType::XaPrepare
            | EventType::Stop
    ) || !decoder.seen_format_description();
    if decode {
        return decoder.decode(pos, raw);
    }
    let header_len = usize::from(decoder.format().header_len).min(raw.len());
    let crc = decoder.format().checksum_len();
    if raw.len() < header_len + crc {
        return decoder.decode(pos, raw); // reports the truncation
    }
    if crc > 0 {
        verify_crc(raw, pos, false)?;
    }
    let body = &raw[header_len..raw.len() - crc];
    // Context, rows and payload events only need to keep the transaction open, which
    // `EventData::Other` does; TRANSACTION_PAYLOAD ends one, so it is marked by type below.
    Ok(Event { pos, header, event_type: ty, raw, body_offset: header_len, body, data: EventData::Other(body) })
}

/// Feeds one event to the tracker, treating a TRANSACTION_PAYLOAD (kept undecoded) as the
/// commit it is.
pub(crate) fn track(tracker: &mut TxnTracker, event: &Event<'_>) -> crate::txn::Step {
    match event.event_type {
        EventType::TransactionPayload => tracker.commit_payload(),
        // kept undecoded, but control events all the same
        EventType::PreviousGtids
        | EventType::MariaGtidList
        | EventType::MariaBinlogCheckpoint
        | EventType::MariaStartEncryption
        | EventType::Heartbeat
        | EventType::Incident => tracker.control(),
        _ => tracker.step(event),
    }
}

fn all_zero(b: &[u8]) -> bool {
    b.iter().all(|&x| x == 0)
}

/// After the format description of a file whose stream began mid-way: where the first
/// archived event starts, found from the first non-zero byte and the event's `log_pos`.
fn find_after_hole(data: &[u8], from: usize) -> Option<usize> {
    let event_at = |c: usize| {
        data.get(c..c + 19)
            .and_then(|head| EventHeader::parse(head).ok())
            .is_some_and(|h| h.event_size >= 19 && h.log_pos == (c as u64 + u64::from(h.event_size)) as u32)
    };
    if event_at(from) {
        return None; // an event whose timestamp starts with a zero byte, not a hole
    }
    let nz = from + data.get(from..)?.iter().position(|&b| b != 0)?;
    (nz.saturating_sub(3).max(from + 1)..=nz).find(|&c| event_at(c))
}

/// Scans `data`, the content of the archived file `name`. `holes`: the ranges the index
/// says the source skipped; without them, a run of zeros where an event should start is
/// taken for a hole when an event with a matching position follows it.
pub fn scan(path: &Path, name: &str, data: &[u8], holes: &[[u64; 2]], checkpoint_bytes: u64) -> Scan {
    let _ = path;
    let mut entry = FileEntry::new(name);
    let mut gtids = GtidTracker::default();
    let out = |entry: FileEntry, gtids, end, last_boundary, damage, events| Scan { entry, gtids, end, last_boundary, damage, events };
    if data.len() < MAGIC.len() {
        let damage = Some(Damage::Torn { offset: 0, reason: format!("file of {} bytes has no complete magic", data.len()) });
        return out(entry, gtids, 0, 0, damage, 0);
    }
    if &data[..4] != MAGIC {
        return out(entry, gtids, 0, 0, Some(Damage::Corrupt { offset: 0, reason: "not a binlog file (bad magic)".into() }), 0);
    }
    let mut decoder = Decoder::new();
    decoder.set_options(DecoderOptions { verify_checksums: true, max_event_size: MAX_EVENT_SIZE, ..DecoderOptions::default() });
    let mut tracker = TxnTracker::new();
    let mut file_gtids = GtidTracker::default();
    let mut pos = 4usize;
    let mut last_boundary = 4u64;
    let mut events = 0u64;
    let mut last_checkpoint = 0u64;
    let mut damage = None;
    let mut last_gtid: Option<TxGtid> = None;
    loop {
        if pos == data.len() {
            break;
        }
        // Outside a transaction, skip a hole the source left (a mid-file or GTID start).
        if events >= 1 && !tracker.in_transaction() {
            let target = match holes.iter().find(|h| h[0] == pos as u64) {
                Some(h) => Some(h[1] as usize),
                None if data[pos] == 0 => find_after_hole(data, pos),
                None => None,
            };
            if let Some(t) = target {
                if t > data.len() || !all_zero(&data[pos..t]) {
                    damage = Some(Damage::Corrupt { offset: pos as u64, reason: format!("expected a hole of zeros up to {t}") });
                    break;
                }
                entry.holes.push([pos as u64, t as u64]);
                pos = t;
                last_boundary = t as u64;
                if pos == data.len() {
                    break;
                }
            }
        }
        let rest = &data[pos..];
        let cut = |reason: String| {
            // the tail is torn when nothing valid can follow: it runs to the end of the file
            Damage::Torn { offset: pos as u64, reason }
        };
        let len = match frame(rest, MAX_EVENT_SIZE) {
            Ok(Frame::Complete(len)) => len,
            Ok(Frame::Incomplete(_)) => {
                damage = Some(cut(format!("event cut short at the end of the file ({} bytes left)", rest.len())));
                break;
            }
            Err(e) => {
                damage = Some(if all_zero(rest) {
                    cut(format!("{} zero bytes at the end of the file", rest.len()))
                } else {
                    Damage::Corrupt { offset: pos as u64, reason: format!("bad event header: {e}") }
                });
                break;
            }
        };
        let raw = &rest[..len];
        let event = match classify(&mut decoder, pos as u64, raw) {
            Ok(e) => e,
            Err(e) => {
                damage = Some(if pos + len == data.len() || all_zero(rest) {
                    cut(format!("last event unreadable (torn write): {e}"))
                } else {
                    Damage::Corrupt { offset: pos as u64, reason: e.to_string() }
                });
                break;
            }
        };
        let end = (pos + len) as u64;
        if event.header.log_pos != 0 && event.header.log_pos != end as u32 {
            damage = Some(Damage::Corrupt {
                offset: pos as u64,
                reason: format!("position chain broken: the event at {pos} says it ends at {}, it ends at {end}", event.header.log_pos),
            });
            break;
        }
        events += 1;
        let ts = event.header.timestamp;
        if ts != 0 {
            if entry.first_timestamp == 0 {
                entry.first_timestamp = ts;
            }
            entry.last_timestamp = ts;
        }
        if let EventData::Rotate(r) = &event.data {
            entry.next_file = Some(String::from_utf8_lossy(r.next_file).into_owned());
        }
        let step = track(&mut tracker, &event);
        if let Some(g) = step.committed {
            entry.transactions += 1;
            if let Some(g) = g {
                file_gtids.add(&g);
                last_gtid = Some(g);
            }
        }
        pos += len;
        if step.boundary {
            last_boundary = end;
            gtids = file_gtids.clone();
            if end - last_checkpoint >= checkpoint_bytes {
                last_checkpoint = end;
                entry.checkpoints.push(Checkpoint { offset: end, timestamp: entry.last_timestamp, gtid: gtid_text(last_gtid.as_ref()) });
            }
        }
    }
    // The entry describes what is safe: whole transactions only.
    entry.size = last_boundary;
    entry.gtids = gtids.ranges();
    out(entry, gtids, pos as u64, last_boundary, damage, events)
}

/// A GTID as text.
pub fn gtid_text(g: Option<&TxGtid>) -> String {
    match g {
        None => String::new(),
        Some(TxGtid::Maria { domain, server, seq }) => format!("{domain}-{server}-{seq}"),
        Some(TxGtid::Mysql { sid, tag, gno }) => {
            let mut set = binvault_protocol::gtid::MysqlGtidSet::default();
            set.insert(*sid, tag, *gno, *gno);
            set.to_string()
        }
    }
}
