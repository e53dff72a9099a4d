//! Text-protocol commands the replica sends before it starts a binlog dump
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase.html)).
//!
//! Each function appends the command's payload (no packet header) to `out`; send it with
//! [`crate::packet::encode_packet`] and sequence id 0. Replication commands
//! (COM_REGISTER_SLAVE, COM_BINLOG_DUMP, COM_BINLOG_DUMP_GTID) are not here yet (issue 3).

use bytes::{BufMut, BytesMut};

/// Command bytes (`enum_server_command`). Only those binvault sends are listed.
pub mod code {
    /// COM_QUIT.
    pub const COM_QUIT: u8 = 0x01;
    /// COM_QUERY.
    pub const COM_QUERY: u8 = 0x03;
    /// COM_PING.
    pub const COM_PING: u8 = 0x0e;
    /// COM_BINLOG_DUMP.
    pub const COM_BINLOG_DUMP: u8 = 0x12;
    /// COM_REGISTER_SLAVE.
    pub const COM_REGISTER_SLAVE: u8 = 0x15;
    /// COM_BINLOG_DUMP_GTID (MySQL).
    pub const COM_BINLOG_DUMP_GTID: u8 = 0x1e;
}

/// COM_QUERY: the statement text, answered by OK, ERR or a text result set (decode it with
/// [`crate::response::ResultSetDecoder`]). Query attributes (`CLIENT_QUERY_ATTRIBUTES`) are
/// not supported: do not negotiate that flag.
pub fn query(sql: &str, out: &mut BytesMut) {
    out.reserve(1 + sql.len());
    out.put_u8(code::COM_QUERY);
    out.put_slice(sql.as_bytes());
}

/// COM_PING, answered by OK.
pub fn ping(out: &mut BytesMut) {
    out.put_u8(code::COM_PING);
}

/// COM_QUIT; the server closes the connection (or answers ERR).
pub fn quit(out: &mut BytesMut) {
    out.put_u8(code::COM_QUIT);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        let mut out = BytesMut::new();
        query("SELECT @@server_id", &mut out);
        assert_eq!(&out[..], b"\x03SELECT @@server_id");
        out.clear();
        ping(&mut out);
        quit(&mut out);
        assert_eq!(&out[..], &[0x0e, 0x01]);
    }
}
