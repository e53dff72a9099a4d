//! Control events: ROTATE, XID, INCIDENT, ROWS_QUERY, XA_PREPARE.

use crate::error::Result;
use crate::fde::Format;
use crate::nom_ext::{run, take_n, u16_, u32_, u64_, u8_};

/// ROTATE_EVENT: the next binlog file and the position to continue at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotateEvent<'a> {
    /// Position in the next file (4 normally).
    pub position: u64,
    /// Name of the next file.
    pub next_file: &'a [u8],
}

impl<'a> RotateEvent<'a> {
    pub(crate) fn parse(body: &'a [u8], fmt: &Format) -> Result<Self> {
        let post = usize::from(fmt.post_header_len(4, 8));
        let (next_file, position) = run(body, |i| {
            if post >= 8 {
                let (i, p) = u64_("rotate position")(i)?;
                let (i, _) = take_n(post - 8, "post header")(i)?;
                Ok((i, p))
            } else {
                Ok((i, 4))
            }
        })?;
        Ok(RotateEvent {
            position,
            next_file,
        })
    }
}

/// XID_EVENT body: the XA transaction id of a commit.
pub(crate) fn parse_xid(body: &[u8]) -> Result<u64> {
    Ok(run(body, u64_("xid"))?.1)
}

/// ROWS_QUERY_LOG_EVENT body: a length byte (which saturates at 255, so it is ignored) and
/// the statement text up to the end of the body.
pub(crate) fn parse_rows_query(body: &[u8]) -> Result<&[u8]> {
    Ok(run(body, u8_("rows query length"))?.0)
}

/// INCIDENT_EVENT: something happened on the source that replicas cannot follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentEvent<'a> {
    /// Incident number (1 = LOST_EVENTS).
    pub incident: u16,
    /// Message.
    pub message: &'a [u8],
}

impl<'a> IncidentEvent<'a> {
    pub(crate) fn parse(body: &'a [u8]) -> Result<Self> {
        let (_, ev) = run(body, |i| {
            let (i, incident) = u16_("incident number")(i)?;
            if i.is_empty() {
                return Ok((
                    i,
                    IncidentEvent {
                        incident,
                        message: b"",
                    },
                ));
            }
            let (i, n) = u8_("incident message length")(i)?;
            let (i, message) = take_n(usize::from(n), "incident message")(i)?;
            Ok((i, IncidentEvent { incident, message }))
        })?;
        Ok(ev)
    }
}

/// XA_PREPARE_LOG_EVENT: the end of an XA PREPARE'd transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XaPrepareEvent<'a> {
    /// XA COMMIT ... ONE PHASE.
    pub one_phase: bool,
    /// XID format id.
    pub format_id: u32,
    /// Global transaction id.
    pub gtrid: &'a [u8],
    /// Branch qualifier.
    pub bqual: &'a [u8],
}

impl<'a> XaPrepareEvent<'a> {
    pub(crate) fn parse(body: &'a [u8]) -> Result<Self> {
        let (_, ev) = run(body, |i| {
            let (i, one_phase) = u8_("one phase flag")(i)?;
            let (i, format_id) = u32_("xid format id")(i)?;
            let (i, g) = u32_("gtrid length")(i)?;
            let (i, b) = u32_("bqual length")(i)?;
            if g > 64 || b > 64 {
                return crate::nom_ext::invalid(i, "xid length", u64::from(g.max(b)));
            }
            let (i, gtrid) = take_n(g as usize, "gtrid")(i)?;
            let (i, bqual) = take_n(b as usize, "bqual")(i)?;
            Ok((
                i,
                XaPrepareEvent {
                    one_phase: one_phase != 0,
                    format_id,
                    gtrid,
                    bqual,
                },
            ))
        })?;
        Ok(ev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fde::{ChecksumAlg, Flavor};

    #[test]
    fn rotate() {
        let mut body = 4u64.to_le_bytes().to_vec();
        body.extend_from_slice(b"mysql-bin.000002");
        let r =
            RotateEvent::parse(&body, &Format::assumed(Flavor::MySql, ChecksumAlg::Off)).unwrap();
        assert_eq!(r.position, 4);
        assert_eq!(r.next_file, b"mysql-bin.000002");
        assert!(RotateEvent::parse(
            &body[..5],
            &Format::assumed(Flavor::MySql, ChecksumAlg::Off)
        )
        .is_err());
    }

    #[test]
    fn xa_prepare() {
        let mut body = vec![0u8];
        body.extend_from_slice(&1u32.to_le_bytes());
        body.extend_from_slice(&3u32.to_le_bytes());
        body.extend_from_slice(&2u32.to_le_bytes());
        body.extend_from_slice(b"abcxy");
        let x = XaPrepareEvent::parse(&body).unwrap();
        assert_eq!(
            (x.one_phase, x.format_id, x.gtrid, x.bqual),
            (false, 1, &b"abc"[..], &b"xy"[..])
        );
        assert!(XaPrepareEvent::parse(&body[..body.len() - 1])
            .unwrap_err()
            .is_truncated());
    }
}
