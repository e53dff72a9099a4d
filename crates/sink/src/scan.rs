//! Reading an archived binlog file back: every event's length, CRC32 and position chain,
//! transaction boundaries, timestamps and GTIDs. Used by recovery, by index rebuilds and by
//! `verify`.

use std::path::Path;

use binvault_parser::decoder::verify_crc;
use binvault_parser::events::{Event, EventData};
use binvault_parser::{Decoder, DecoderOptions, EventHeader, EventType};

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
pub(crate) fn classify<'a>(
    decoder: &mut Decoder,
    pos: u64,
    raw: &'a [u8],
) -> binvault_parser::Result<Event<'a>> {
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
    Ok(Event {
        pos,
        header,
        event_type: ty,
        raw,
        body_offset: header_len,
        body,
        data: EventData::Other(body),
    })
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

/// Bytes to scan, read by position: a file (memory stays bounded by the largest event) or
/// a buffer (a decompressed `.gz`).
#[allow(clippy::len_without_is_empty)] // a length to bound reads, not a collection
pub trait Source {
    /// Total length.
    fn len(&self) -> u64;
    /// Fills `buf` from `pos`.
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> std::io::Result<()>;
}

impl Source for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let start = usize::try_from(pos).map_err(|_| std::io::ErrorKind::UnexpectedEof)?;
        let src = self
            .get(start..start + buf.len())
            .ok_or(std::io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

impl Source for Vec<u8> {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.as_slice().read_at(pos, buf)
    }
}

impl Source for std::fs::File {
    fn len(&self) -> u64 {
        self.metadata().map_or(0, |m| m.len())
    }
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, pos)
    }
}

const CHUNK: usize = 64 * 1024;

/// True when `[from, to)` holds only zeros.
fn all_zero(src: &dyn Source, from: u64, to: u64) -> std::io::Result<bool> {
    let mut buf = vec![0u8; CHUNK];
    let mut pos = from;
    while pos < to {
        let n = (to - pos).min(CHUNK as u64) as usize;
        src.read_at(pos, &mut buf[..n])?;
        if buf[..n].iter().any(|&b| b != 0) {
            return Ok(false);
        }
        pos += n as u64;
    }
    Ok(true)
}

/// A plausible event at `c`: its header's `log_pos` is where it ends.
fn event_at(src: &dyn Source, c: u64) -> bool {
    let mut head = [0u8; 19];
    c + 19 <= src.len()
        && src.read_at(c, &mut head).is_ok()
        && EventHeader::parse(&head).ok().is_some_and(|h| {
            h.event_size >= 19 && h.log_pos == (c + u64::from(h.event_size)) as u32
        })
}

/// After a boundary, where the next event starts past a run of zeros (a hole the source
/// left), found from the first non-zero byte and the event's `log_pos`.
fn find_after_hole(src: &dyn Source, from: u64) -> std::io::Result<Option<u64>> {
    if event_at(src, from) {
        return Ok(None); // an event whose timestamp starts with a zero byte, not a hole
    }
    let len = src.len();
    let mut buf = vec![0u8; CHUNK];
    let mut pos = from;
    let mut nz = None;
    while pos < len {
        let n = (len - pos).min(CHUNK as u64) as usize;
        src.read_at(pos, &mut buf[..n])?;
        if let Some(i) = buf[..n].iter().position(|&b| b != 0) {
            nz = Some(pos + i as u64);
            break;
        }
        pos += n as u64;
    }
    let Some(nz) = nz else { return Ok(None) };
    Ok((nz.saturating_sub(3).max(from + 1)..=nz).find(|&c| event_at(src, c)))
}

/// Scans `data`, the content of the archived file `name` (see [`scan_source`]).
pub fn scan(
    path: &Path,
    name: &str,
    data: &[u8],
    holes: &[[u64; 2]],
    checkpoint_bytes: u64,
) -> Scan {
    match scan_source(path, name, &data, holes, checkpoint_bytes) {
        Ok(s) => s,
        Err(e) => Scan {
            entry: FileEntry::new(name),
            gtids: GtidTracker::default(),
            end: 0,
            last_boundary: 0,
            damage: Some(Damage::Corrupt {
                offset: 0,
                reason: e.to_string(),
            }),
            events: 0,
        },
    }
}

/// Scans the archived file at `path` without reading it into memory.
pub fn scan_file(
    path: &Path,
    name: &str,
    holes: &[[u64; 2]],
    checkpoint_bytes: u64,
) -> crate::Result<Scan> {
    let file = std::fs::File::open(path).map_err(crate::error::io("open", path))?;
    scan_source(path, name, &file, holes, checkpoint_bytes).map_err(crate::error::io("read", path))
}

/// Scans the archived binlog file `name`: magic, every event's length, CRC32 and position
/// chain, transactions, timestamps and GTIDs. `holes`: the ranges the index says the
/// source skipped; without them, a run of zeros where an event should start is taken for a
/// hole when an event with a matching position follows it.
pub fn scan_source(
    path: &Path,
    name: &str,
    src: &dyn Source,
    holes: &[[u64; 2]],
    checkpoint_bytes: u64,
) -> std::io::Result<Scan> {
    let _ = path;
    let mut entry = FileEntry::new(name);
    let mut gtids = GtidTracker::default();
    let len = src.len();
    let out = |entry: FileEntry, gtids, end, last_boundary, damage, events| Scan {
        entry,
        gtids,
        end,
        last_boundary,
        damage,
        events,
    };
    if len < MAGIC.len() as u64 {
        let damage = Some(Damage::Torn {
            offset: 0,
            reason: format!("file of {len} bytes has no complete magic"),
        });
        return Ok(out(entry, gtids, 0, 0, damage, 0));
    }
    let mut magic = [0u8; 4];
    src.read_at(0, &mut magic)?;
    if &magic != MAGIC {
        return Ok(out(
            entry,
            gtids,
            0,
            0,
            Some(Damage::Corrupt {
                offset: 0,
                reason: "not a binlog file (bad magic)".into(),
            }),
            0,
        ));
    }
    let mut decoder = Decoder::new();
    decoder.set_options(DecoderOptions {
        verify_checksums: true,
        max_event_size: MAX_EVENT_SIZE,
        ..DecoderOptions::default()
    });
    let mut tracker = TxnTracker::new();
    let mut file_gtids = GtidTracker::default();
    let mut pos = 4u64;
    let mut last_boundary = 4u64;
    let mut events = 0u64;
    let mut last_checkpoint = 0u64;
    let mut damage = None;
    let mut last_gtid: Option<TxGtid> = None;
    let mut raw: Vec<u8> = Vec::new();
    loop {
        if pos == len {
            break;
        }
        // Outside a transaction, skip a hole the source left (a mid-file or GTID start).
        if events >= 1 && !tracker.in_transaction() {
            let mut first = [0u8; 1];
            src.read_at(pos, &mut first)?;
            let (target, known) = match holes.iter().find(|h| h[0] == pos) {
                Some(h) => (Some(h[1]), true),
                None if first[0] == 0 => (find_after_hole(src, pos)?, false),
                None => (None, false),
            };
            if let Some(t) = target {
                // a hole the index records is sparse: not read back (it may span gigabytes)
                if t > len || (!known && !all_zero(src, pos, t)?) {
                    damage = Some(Damage::Corrupt {
                        offset: pos,
                        reason: format!("expected a hole of zeros up to {t}"),
                    });
                    break;
                }
                entry.holes.push([pos, t]);
                pos = t;
                last_boundary = t;
                if pos == len {
                    break;
                }
            }
        }
        let rest = len - pos;
        let cut = |reason: String| Damage::Torn {
            offset: pos,
            reason,
        };
        let mut head = [0u8; 19];
        let size = if rest < 19 {
            None
        } else {
            src.read_at(pos, &mut head)?;
            Some(u64::from(u32::from_le_bytes([
                head[9], head[10], head[11], head[12],
            ])))
        };
        let size = match size {
            None => {
                damage = Some(if all_zero(src, pos, len)? {
                    cut(format!("{rest} zero bytes at the end of the file"))
                } else {
                    cut(format!(
                        "event header cut short at the end of the file ({rest} bytes left)"
                    ))
                });
                break;
            }
            Some(n) if !(19..=MAX_EVENT_SIZE).contains(&n) => {
                // a header written in part, then nothing but zeros, is a torn tail too
                damage = Some(if all_zero(src, pos + 19, len)? {
                    cut(format!("{rest} zero bytes at the end of the file"))
                } else {
                    Damage::Corrupt {
                        offset: pos,
                        reason: format!("bad event header: event size {n}"),
                    }
                });
                break;
            }
            Some(n) if n > rest => {
                damage = Some(cut(format!(
                    "event of {n} bytes cut short at the end of the file ({rest} bytes left)"
                )));
                break;
            }
            Some(n) => n,
        };
        raw.resize(size as usize, 0);
        src.read_at(pos, &mut raw)?;
        let event = match classify(&mut decoder, pos, &raw) {
            Ok(e) => e,
            Err(e) => {
                // damage followed by nothing (or only zeros) is a torn tail; followed by more
                // data it is corruption
                damage = Some(if all_zero(src, pos + size, len)? {
                    cut(format!("last event unreadable (torn write): {e}"))
                } else {
                    Damage::Corrupt {
                        offset: pos,
                        reason: e.to_string(),
                    }
                });
                break;
            }
        };
        let end = pos + size;
        if event.header.log_pos != 0 && event.header.log_pos != end as u32 {
            damage = Some(Damage::Corrupt {
                offset: pos,
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
        pos = end;
        if step.boundary {
            last_boundary = end;
            gtids = file_gtids.clone();
            if end - last_checkpoint >= checkpoint_bytes {
                last_checkpoint = end;
                entry.checkpoints.push(Checkpoint {
                    offset: end,
                    timestamp: entry.last_timestamp,
                    gtid: gtid_text(last_gtid.as_ref()),
                });
            }
        }
    }
    // The entry describes what is safe: whole transactions only.
    entry.size = last_boundary;
    entry.gtids = gtids.ranges();
    Ok(out(entry, gtids, pos, last_boundary, damage, events))
}

/// A GTID as text.
pub fn gtid_text(g: Option<&TxGtid>) -> String {
    match g {
        None => String::new(),
        Some(TxGtid::Maria {
            domain,
            server,
            seq,
        }) => format!("{domain}-{server}-{seq}"),
        Some(TxGtid::Mysql { sid, tag, gno }) => {
            let mut set = binvault_protocol::gtid::MysqlGtidSet::default();
            set.insert(*sid, tag, *gno, *gno);
            set.to_string()
        }
    }
}
