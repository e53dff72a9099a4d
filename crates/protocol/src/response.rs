//! Generic response packets: OK, ERR, EOF, and the text-protocol result set.

/// An ERR packet from the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("server error {code}{}: {message}", sql_state.as_deref().map(|s| format!(" ({s})")).unwrap_or_default())]
pub struct ServerError {
    /// Error code, e.g. 1045 (`ER_ACCESS_DENIED_ERROR`).
    pub code: u16,
    /// Five-character SQL state, when the packet carries one (after the `#` marker).
    pub sql_state: Option<String>,
    /// Human-readable message.
    pub message: String,
}
