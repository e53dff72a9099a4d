//! Framing and the stateful event decoder.
//!
//! [`frame`] splits a byte buffer into events (and says how many bytes are missing when the
//! buffer ends inside one); [`Decoder`] turns one event's bytes into an [`Event`], verifying its
//! CRC32, following FORMAT_DESCRIPTION events and remembering TABLE_MAPs so that rows events
//! come with the table they refer to.

use crate::error::{Error, ErrorKind, Result};
use crate::events::table_map::TableInfo;
use crate::events::{self, Event, EventData};
use crate::fde::{ChecksumAlg, Flavor, Format, FormatDescriptionEvent};
use crate::header::{EventHeader, EventType, CHECKSUM_LEN, FLAG_BINLOG_IN_USE, HEADER_LEN};
use std::collections::HashMap;
use std::sync::Arc;

/// Largest event accepted by default: 1 GiB (MySQL's and MariaDB's `max_allowed_packet`
/// ceiling) plus headroom for the header.
pub const DEFAULT_MAX_EVENT_SIZE: u64 = (1 << 30) + (1 << 20);

/// What [`frame`] found at the start of a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// A whole event of this many bytes starts the buffer.
    Complete(usize),
    /// The buffer ends inside an event: this many more bytes are needed (at least).
    Incomplete(usize),
}

/// Finds the event at the start of `buf`. Errors are relative to `buf`.
#[inline]
pub fn frame(buf: &[u8], max_event_size: u64) -> Result<Frame> {
    // The header is checked only once it is whole, so a cut header reads as truncated
    // whatever bytes it happens to hold.
    let Some(size) = buf.get(..HEADER_LEN).map(|h| &h[9..13]) else {
        return Ok(Frame::Incomplete(HEADER_LEN - buf.len()));
    };
    let size = u64::from(u32::from_le_bytes([size[0], size[1], size[2], size[3]]));
    if size < HEADER_LEN as u64 {
        return Err(Error::invalid(9, "event size", size));
    }
    if size > max_event_size {
        return Err(Error::new(
            9,
            ErrorKind::TooLarge {
                what: "event",
                size,
                limit: max_event_size,
            },
        ));
    }
    let size = usize::try_from(size).map_err(|_| Error::invalid(9, "event size", size))?;
    if buf.len() < size {
        Ok(Frame::Incomplete(size - buf.len()))
    } else {
        Ok(Frame::Complete(size))
    }
}

/// Options of a [`Decoder`].
#[derive(Debug, Clone)]
pub struct DecoderOptions {
    /// Verify the CRC32 of every event when the binlog has checksums (default: true).
    pub verify_checksums: bool,
    /// Largest event accepted.
    pub max_event_size: u64,
    /// Largest decompressed size accepted for a compressed event or payload.
    pub max_decompressed_size: u64,
}

impl Default for DecoderOptions {
    fn default() -> Self {
        DecoderOptions {
            verify_checksums: true,
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
            max_decompressed_size: DEFAULT_MAX_EVENT_SIZE,
        }
    }
}

/// Decodes events one at a time, keeping what later events depend on: the current format
/// (from the last FORMAT_DESCRIPTION event) and the table maps of the current transaction.
#[derive(Debug, Clone)]
pub struct Decoder {
    format: Format,
    seen_fde: bool,
    options: DecoderOptions,
    tables: HashMap<u64, Arc<TableInfo>>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder that expects a FORMAT_DESCRIPTION event first (as in every binlog file).
    /// Until one arrives it assumes binlog v4 without checksums.
    pub fn new() -> Decoder {
        Decoder::with_format(Format::assumed(Flavor::MySql, ChecksumAlg::Off))
    }

    /// A decoder that starts with a known format (e.g. the checksum negotiated on a
    /// replication connection, before the server sends its FDE).
    pub fn with_format(format: Format) -> Decoder {
        Decoder {
            format,
            seen_fde: false,
            options: DecoderOptions::default(),
            tables: HashMap::new(),
        }
    }

    /// Replaces the options.
    pub fn set_options(&mut self, options: DecoderOptions) {
        self.options = options;
    }

    /// The options.
    pub fn options(&self) -> &DecoderOptions {
        &self.options
    }

    /// The current format.
    pub fn format(&self) -> &Format {
        &self.format
    }

    /// True once a FORMAT_DESCRIPTION event has been decoded.
    pub fn seen_format_description(&self) -> bool {
        self.seen_fde
    }

    /// The table map for a table id, if one was seen.
    pub fn table(&self, table_id: u64) -> Option<&Arc<TableInfo>> {
        self.tables.get(&table_id)
    }

    /// Decodes one whole event (`raw` = header + body + checksum) found at absolute position
    /// `pos`. Errors carry absolute offsets.
    pub fn decode<'a>(&mut self, pos: u64, raw: &'a [u8]) -> Result<Event<'a>> {
        let header = EventHeader::parse(raw).map_err(|e| e.rebase(pos))?;
        let ty = self.format.event_type(header.type_code);
        self.decode_inner(pos, raw, header)
            .map_err(|e| e.in_event(ty))
    }

    fn decode_inner<'a>(
        &mut self,
        pos: u64,
        raw: &'a [u8],
        header: EventHeader,
    ) -> Result<Event<'a>> {
        if u64::from(header.event_size) != raw.len() as u64 {
            return Err(Error::invalid(9, "event size", u64::from(header.event_size)).rebase(pos));
        }
        if header.event_type() == EventType::FormatDescription {
            let fde = FormatDescriptionEvent::parse(raw).map_err(|e| e.rebase(pos))?;
            // Servers that write the algorithm byte also write a CRC32 after it, even with
            // binlog_checksum=NONE; it is computed with the IN_USE flag cleared.
            if fde.checksum_alg.is_some() && self.options.verify_checksums {
                verify_crc(raw, pos, true)?;
            }
            self.format = fde.to_format();
            self.seen_fde = true;
            self.tables.clear();
            let body_end = raw.len()
                - if fde.checksum_alg.is_some() {
                    CHECKSUM_LEN
                } else {
                    0
                };
            return Ok(Event {
                pos,
                header,
                event_type: EventType::FormatDescription,
                raw,
                body_offset: HEADER_LEN,
                body: &raw[HEADER_LEN..body_end],
                data: EventData::FormatDescription(fde),
            });
        }
        let header_len = usize::from(self.format.header_len);
        let crc_len = self.format.checksum_len();
        if raw.len() < header_len + crc_len {
            return Err(Error::truncated(
                0,
                "event",
                (header_len + crc_len) as u64,
                raw.len() as u64,
            )
            .rebase(pos));
        }
        if crc_len > 0 && self.options.verify_checksums {
            verify_crc(raw, pos, false)?;
        }
        let body = &raw[header_len..raw.len() - crc_len];
        let ty = self.format.event_type(header.type_code);
        let data = events::decode_body(self, ty, header.type_code, body)
            .map_err(|e| e.rebase(pos + header_len as u64))?;
        if let EventData::TableMap(tm) = &data {
            // Build the table's decode plan once; an identical TABLE_MAP (the same table in
            // the next transaction) keeps the one there is.
            let id = tm.table_id;
            if !self.tables.get(&id).is_some_and(|t| t.same_as(tm)) {
                let info = tm
                    .to_table_info()
                    .map_err(|e| e.rebase(pos + header_len as u64))?;
                self.tables.insert(id, Arc::new(info));
            }
        }
        Ok(Event {
            pos,
            header,
            event_type: ty,
            raw,
            body_offset: header_len,
            body,
            data,
        })
    }

    /// Forgets table maps (call at a transaction boundary if memory matters; a new FDE
    /// also clears them).
    pub fn clear_tables(&mut self) {
        self.tables.clear();
    }

    pub(crate) fn tables(&self) -> &HashMap<u64, Arc<TableInfo>> {
        &self.tables
    }
}

/// Verifies the CRC32 trailer of a whole event. `fde`: clear the IN_USE flag first.
pub fn verify_crc(raw: &[u8], pos: u64, fde: bool) -> Result<()> {
    let n = raw.len();
    let Some(data_len) = n.checked_sub(CHECKSUM_LEN) else {
        return Err(Error::truncated(
            pos,
            "checksum",
            CHECKSUM_LEN as u64,
            n as u64,
        ));
    };
    let stored = u32::from_le_bytes([raw[n - 4], raw[n - 3], raw[n - 2], raw[n - 1]]);
    let computed = if fde && data_len >= HEADER_LEN && raw[17] & (FLAG_BINLOG_IN_USE as u8) != 0 {
        let mut h = crc32fast::Hasher::new();
        h.update(&raw[..17]);
        h.update(&[raw[17] & !(FLAG_BINLOG_IN_USE as u8)]);
        h.update(&raw[18..data_len]);
        h.finalize()
    } else {
        crc32fast::hash(&raw[..data_len])
    };
    if stored != computed {
        return Err(Error::new(
            pos + data_len as u64,
            ErrorKind::BadChecksum { stored, computed },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_reports_missing_bytes() {
        assert_eq!(frame(&[0; 5], 1 << 20).unwrap(), Frame::Incomplete(14));
        let mut ev = vec![0u8; 19];
        ev[9] = 30;
        assert_eq!(frame(&ev, 1 << 20).unwrap(), Frame::Incomplete(11));
        ev.resize(30, 0);
        assert_eq!(frame(&ev, 1 << 20).unwrap(), Frame::Complete(30));
        ev[9] = 3;
        assert!(matches!(
            frame(&ev, 1 << 20).unwrap_err().kind,
            ErrorKind::Invalid {
                what: "event size",
                value: 3
            }
        ));
        ev[9] = 0;
        ev[12] = 0x80;
        assert!(matches!(
            frame(&ev, 1 << 20).unwrap_err().kind,
            ErrorKind::TooLarge { .. }
        ));
    }
}
