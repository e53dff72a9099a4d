//! PLACEHOLDER (owned by the MySQL-events helper).

use crate::error::Result;
use crate::fde::Format;

/// Placeholder.
#[derive(Debug, Clone)]
pub struct GtidTaggedEvent<'a> {
    /// The raw body.
    pub body: &'a [u8],
}

impl<'a> GtidTaggedEvent<'a> {
    /// Decodes the body. Errors are relative to `body`.
    pub fn parse(body: &'a [u8], _format: &Format) -> Result<Self> {
        Ok(GtidTaggedEvent { body })
    }
}
