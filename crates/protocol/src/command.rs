//! Text-protocol commands the replica sends before it starts a binlog dump
//! ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase.html)).
//!
//! Each function appends the command's payload (no packet header) to `out`; send it with
//! [`crate::packet::encode_packet`] and sequence id 0.
//!
//! Replication commands: [`register_slave`] announces the replica (it then shows in
//! `SHOW SLAVE HOSTS`), [`binlog_dump`] starts the stream at a file and position (MariaDB also
//! uses it for a GTID start, after `SET @slave_connect_state`), [`binlog_dump_gtid`] starts a
//! MySQL stream after a GTID set. The server answers a dump with a stream of packets: decode
//! them with [`crate::binlog::BinlogStream`].

use bytes::{BufMut, BytesMut};

use crate::error::{Error, Result};
use crate::gtid::MysqlGtidSet;

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

/// COM_REGISTER_SLAVE arguments
/// ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_register_slave.html)).
/// The host, user, password and port are only what `SHOW SLAVE HOSTS` displays; binvault
/// sends its own host name and never a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterSlave<'a> {
    /// The replica's server id (must be unique among the source's replicas, non-zero).
    pub server_id: u32,
    /// Reported host name (at most 255 bytes).
    pub hostname: &'a str,
    /// Reported user (at most 255 bytes).
    pub user: &'a str,
    /// Reported port.
    pub port: u16,
}

/// COM_REGISTER_SLAVE: answered by OK or ERR.
pub fn register_slave(args: &RegisterSlave<'_>, out: &mut BytesMut) -> Result<()> {
    out.put_u8(code::COM_REGISTER_SLAVE);
    out.put_u32_le(args.server_id);
    for (field, value) in [
        ("hostname", args.hostname),
        ("user", args.user),
        ("password", ""),
    ] {
        let len = u8::try_from(value.len()).map_err(|_| Error::InvalidArgument {
            field,
            reason: "longer than 255 bytes",
        })?;
        out.put_u8(len);
        out.put_slice(value.as_bytes());
    }
    out.put_u16_le(args.port);
    out.put_u32_le(0); // replication rank, ignored
    out.put_u32_le(0); // master id, filled in by the server
    Ok(())
}

/// Flags of COM_BINLOG_DUMP and COM_BINLOG_DUMP_GTID.
pub mod dump_flags {
    /// Answer with EOF at the end of the binlog instead of waiting for new events.
    pub const BINLOG_DUMP_NON_BLOCK: u16 = 0x01;
    /// MariaDB (COM_BINLOG_DUMP only): also send ANNOTATE_ROWS events.
    pub const BINLOG_SEND_ANNOTATE_ROWS_EVENT: u16 = 0x02;
    /// MySQL (COM_BINLOG_DUMP_GTID only): the file name and position are used.
    pub const BINLOG_THROUGH_POSITION: u16 = 0x02;
    /// MySQL (COM_BINLOG_DUMP_GTID only): a GTID set follows.
    pub const BINLOG_THROUGH_GTID: u16 = 0x04;
}

/// COM_BINLOG_DUMP arguments
/// ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_binlog_dump.html)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinlogDump<'a> {
    /// The replica's server id.
    pub server_id: u32,
    /// [`dump_flags`].
    pub flags: u16,
    /// File to start in; empty for "the first file" (or, on MariaDB, for a GTID start).
    pub filename: &'a [u8],
    /// Position to start at (4 = the first event). The command carries 32 bits only: MySQL
    /// and MariaDB binlog files restart positions after 4 GiB anyway.
    pub position: u32,
}

/// COM_BINLOG_DUMP: answered by a binlog stream, or ERR.
pub fn binlog_dump(args: &BinlogDump<'_>, out: &mut BytesMut) {
    out.reserve(11 + args.filename.len());
    out.put_u8(code::COM_BINLOG_DUMP);
    out.put_u32_le(args.position);
    out.put_u16_le(args.flags);
    out.put_u32_le(args.server_id);
    out.put_slice(args.filename);
}

/// COM_BINLOG_DUMP_GTID arguments (MySQL 5.6+)
/// ([manual](https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_binlog_dump_gtid.html)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinlogDumpGtid<'a> {
    /// The replica's server id.
    pub server_id: u32,
    /// [`dump_flags`]; [`dump_flags::BINLOG_THROUGH_GTID`] is added when `gtid_set` is given.
    pub flags: u16,
    /// File name (usually empty: the server finds the file from the GTID set).
    pub filename: &'a [u8],
    /// Position in `filename` (usually 4).
    pub position: u64,
    /// Transactions the replica already has: the server sends every other one.
    pub gtid_set: Option<&'a MysqlGtidSet>,
}

/// COM_BINLOG_DUMP_GTID: answered by a binlog stream, or ERR.
pub fn binlog_dump_gtid(args: &BinlogDumpGtid<'_>, out: &mut BytesMut) -> Result<()> {
    let mut flags = args.flags;
    if args.gtid_set.is_some() {
        flags |= dump_flags::BINLOG_THROUGH_GTID;
    }
    let name_len = u32::try_from(args.filename.len()).map_err(|_| Error::InvalidArgument {
        field: "binlog file name",
        reason: "longer than 4 GiB",
    })?;
    out.put_u8(code::COM_BINLOG_DUMP_GTID);
    out.put_u16_le(flags);
    out.put_u32_le(args.server_id);
    out.put_u32_le(name_len);
    out.put_slice(args.filename);
    out.put_u64_le(args.position);
    if let Some(set) = args.gtid_set {
        let mut data = BytesMut::new();
        set.encode(&mut data);
        let len = u32::try_from(data.len()).map_err(|_| Error::InvalidArgument {
            field: "gtid set",
            reason: "encodes to more than 4 GiB",
        })?;
        out.put_u32_le(len);
        out.put_slice(&data);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_slave_layout() {
        let mut out = BytesMut::new();
        let args = RegisterSlave {
            server_id: 0x01020304,
            hostname: "ab",
            user: "u",
            port: 3307,
        };
        register_slave(&args, &mut out).unwrap();
        assert_eq!(
            &out[..],
            &[0x15, 4, 3, 2, 1, 2, b'a', b'b', 1, b'u', 0, 0xeb, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        let long = "h".repeat(256);
        let args = RegisterSlave {
            hostname: &long,
            ..args
        };
        assert!(matches!(
            register_slave(&args, &mut out),
            Err(Error::InvalidArgument {
                field: "hostname",
                ..
            })
        ));
    }

    #[test]
    fn binlog_dump_layout() {
        let mut out = BytesMut::new();
        let args = BinlogDump {
            server_id: 7,
            flags: dump_flags::BINLOG_DUMP_NON_BLOCK,
            filename: b"mariadb-bin.000002",
            position: 0x1234,
        };
        binlog_dump(&args, &mut out);
        let mut want = vec![0x12, 0x34, 0x12, 0, 0, 1, 0, 7, 0, 0, 0];
        want.extend_from_slice(b"mariadb-bin.000002");
        assert_eq!(&out[..], &want[..]);
    }

    #[test]
    fn binlog_dump_gtid_layout() {
        // One sid, one interval 1-5 (stored as [1, 6)), as MySQL's Gtid_set::encode writes it.
        let set: MysqlGtidSet = "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5".parse().unwrap();
        let mut out = BytesMut::new();
        let args = BinlogDumpGtid {
            server_id: 2,
            flags: 0,
            filename: b"",
            position: 4,
            gtid_set: Some(&set),
        };
        binlog_dump_gtid(&args, &mut out).unwrap();
        let mut want = vec![0x1e, 4, 0, 2, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0];
        want.extend_from_slice(&[48, 0, 0, 0]); // 8 + 16 + 8 + 16
        want.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
        want.extend_from_slice(&[
            0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42,
            0x95, 0x62,
        ]);
        want.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
        want.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&out[..], &want[..]);
    }

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
