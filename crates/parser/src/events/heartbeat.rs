//! PLACEHOLDER (owned by the MySQL-events helper).

use crate::error::Result;
use crate::header::EventType;

/// Placeholder.
#[derive(Debug, Clone)]
pub struct HeartbeatEvent<'a> {
    /// The raw body.
    pub body: &'a [u8],
}

impl<'a> HeartbeatEvent<'a> {
    /// Decodes the body (v1: HEARTBEAT_LOG_EVENT, v2: HEARTBEAT_LOG_EVENT_V2).
    pub fn parse(body: &'a [u8], _ty: EventType) -> Result<Self> {
        Ok(HeartbeatEvent { body })
    }
}
