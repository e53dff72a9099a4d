//! Statement events: QUERY (and MariaDB's QUERY_COMPRESSED), INTVAR, RAND, USER_VAR and the
//! LOAD DATA events (BEGIN_LOAD_QUERY, APPEND_BLOCK, EXECUTE_LOAD_QUERY).

use crate::decoder::DecoderOptions;
use crate::error::{Error, Result};
use crate::events::mariadb::uncompress;
use crate::fde::Format;
use crate::nom_ext::{nul_terminated, run, take_n, u16_, u24_, u32_, u64_, u8_};
use std::borrow::Cow;

/// QUERY_EVENT: a statement, with the session state it ran under.
#[derive(Debug, Clone)]
pub struct QueryEvent<'a> {
    /// Thread (connection) id on the source.
    pub thread_id: u32,
    /// Seconds the statement took.
    pub exec_time: u32,
    /// Error code the statement ended with on the source (0 normally).
    pub error_code: u16,
    /// The raw status-variable block; iterate it with [`QueryEvent::status_vars`].
    pub status_vars_raw: &'a [u8],
    /// Default database (may be empty).
    pub schema: &'a [u8],
    /// The statement text (decompressed for QUERY_COMPRESSED_EVENT).
    pub query: Cow<'a, [u8]>,
}

impl<'a> QueryEvent<'a> {
    pub(crate) fn parse(
        body: &'a [u8],
        fmt: &Format,
        code: u8,
        compressed: bool,
        opts: &DecoderOptions,
    ) -> Result<Self> {
        let post = usize::from(fmt.post_header_len(code, 13)).max(11);
        let (q, _) = parse_query_like(body, post, compressed, opts)?;
        Ok(q)
    }

    /// Iterates the status variables.
    pub fn status_vars(&self) -> StatusVars<'a> {
        StatusVars {
            rest: self.status_vars_raw,
            offset: 0,
        }
    }
}

/// Parses the part QUERY and EXECUTE_LOAD_QUERY share; `post` is the post-header length.
/// Returns the event and the post-header bytes after the first 13.
fn parse_query_like<'a>(
    body: &'a [u8],
    post: usize,
    compressed: bool,
    opts: &DecoderOptions,
) -> Result<(QueryEvent<'a>, &'a [u8])> {
    let (rest, (thread_id, exec_time, db_len, error_code, sv_len, extra)) = run(body, |i| {
        let (i, thread_id) = u32_("thread id")(i)?;
        let (i, exec_time) = u32_("execution time")(i)?;
        let (i, db_len) = u8_("schema length")(i)?;
        let (i, error_code) = u16_("error code")(i)?;
        let (i, sv_len) = if post >= 13 {
            u16_("status variables length")(i)?
        } else {
            (i, 0)
        };
        let (i, extra) = take_n(post.saturating_sub(13), "post header")(i)?;
        Ok((i, (thread_id, exec_time, db_len, error_code, sv_len, extra)))
    })?;
    let start = body.len() - rest.len();
    let (rest2, (status_vars_raw, schema)) = run(rest, |i| {
        let (i, sv) = take_n(usize::from(sv_len), "status variables")(i)?;
        let (i, schema) = take_n(usize::from(db_len), "schema name")(i)?;
        let (i, _) = take_n(1, "schema name terminator")(i)?;
        Ok((i, (sv, schema)))
    })
    .map_err(|e| e.rebase(start as u64))?;
    let query_off = (body.len() - rest2.len()) as u64;
    let query = if compressed {
        Cow::Owned(
            uncompress(rest2, "compressed query", opts.max_decompressed_size)
                .map_err(|e| e.rebase(query_off))?,
        )
    } else {
        Cow::Borrowed(rest2)
    };
    Ok((
        QueryEvent {
            thread_id,
            exec_time,
            error_code,
            status_vars_raw,
            schema,
            query,
        },
        extra,
    ))
}

/// One status variable of a QUERY event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusVar<'a> {
    /// Q_FLAGS2_CODE: session option bits.
    Flags2(u32),
    /// Q_SQL_MODE_CODE.
    SqlMode(u64),
    /// Q_CATALOG_CODE / Q_CATALOG_NZ_CODE.
    Catalog(&'a [u8]),
    /// Q_AUTO_INCREMENT.
    AutoIncrement {
        /// auto_increment_increment.
        increment: u16,
        /// auto_increment_offset.
        offset: u16,
    },
    /// Q_CHARSET_CODE.
    Charset {
        /// character_set_client.
        client: u16,
        /// collation_connection.
        connection: u16,
        /// collation_server.
        server: u16,
    },
    /// Q_TIME_ZONE_CODE.
    TimeZone(&'a [u8]),
    /// Q_LC_TIME_NAMES_CODE.
    LcTimeNames(u16),
    /// Q_CHARSET_DATABASE_CODE.
    CharsetDatabase(u16),
    /// Q_TABLE_MAP_FOR_UPDATE_CODE.
    TableMapForUpdate(u64),
    /// Q_MASTER_DATA_WRITTEN_CODE.
    MasterDataWritten(u32),
    /// Q_INVOKER.
    Invoker {
        /// User.
        user: &'a [u8],
        /// Host.
        host: &'a [u8],
    },
    /// Q_UPDATED_DB_NAMES: `count` NUL-terminated names in `names` (count 254 = too many, none listed).
    UpdatedDbNames {
        /// Number of names.
        count: u8,
        /// The names, each NUL-terminated.
        names: &'a [u8],
    },
    /// Q_MICROSECONDS.
    Microseconds(u32),
    /// Q_COMMIT_TS (NDB).
    CommitTs(u64),
    /// Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP.
    ExplicitDefaultsForTimestamp(u8),
    /// Q_DDL_LOGGED_WITH_XID.
    DdlLoggedWithXid(u64),
    /// Q_DEFAULT_COLLATION_FOR_UTF8MB4.
    DefaultCollationForUtf8mb4(u16),
    /// Q_SQL_REQUIRE_PRIMARY_KEY.
    SqlRequirePrimaryKey(u8),
    /// Q_DEFAULT_TABLE_ENCRYPTION.
    DefaultTableEncryption(u8),
    /// MariaDB Q_HRNOW: microseconds of the statement's start.
    Hrnow(u32),
    /// MariaDB Q_XID.
    Xid(u64),
    /// MariaDB Q_GTID_FLAGS3.
    GtidFlags3(u8),
    /// MariaDB Q_CHARACTER_SET_COLLATIONS: `count` pairs of (charset, collation) ids.
    CharacterSetCollations(&'a [u8]),
    /// A code this crate does not know: its length is unknown, so it and everything after
    /// it in the block are kept raw.
    Unknown {
        /// The code.
        code: u8,
        /// The rest of the block.
        rest: &'a [u8],
    },
}

/// Iterator over the status variables of a QUERY event.
#[derive(Debug, Clone)]
pub struct StatusVars<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Iterator for StatusVars<'a> {
    type Item = Result<StatusVar<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let input = self.rest;
        let (&code, after) = input.split_first()?;
        let parsed = run(after, |i| {
            Ok(match code {
                0 => u32_("Q_FLAGS2")(i).map(|(i, v)| (i, StatusVar::Flags2(v)))?,
                1 => u64_("Q_SQL_MODE")(i).map(|(i, v)| (i, StatusVar::SqlMode(v)))?,
                2 => {
                    let (i, n) = u8_("Q_CATALOG length")(i)?;
                    let (i, c) = take_n(usize::from(n), "Q_CATALOG")(i)?;
                    let (i, _) = take_n(1, "Q_CATALOG terminator")(i)?;
                    (i, StatusVar::Catalog(c))
                }
                3 => {
                    let (i, increment) = u16_("Q_AUTO_INCREMENT")(i)?;
                    let (i, offset) = u16_("Q_AUTO_INCREMENT")(i)?;
                    (i, StatusVar::AutoIncrement { increment, offset })
                }
                4 => {
                    let (i, client) = u16_("Q_CHARSET")(i)?;
                    let (i, connection) = u16_("Q_CHARSET")(i)?;
                    let (i, server) = u16_("Q_CHARSET")(i)?;
                    (
                        i,
                        StatusVar::Charset {
                            client,
                            connection,
                            server,
                        },
                    )
                }
                5 | 6 => {
                    let (i, n) = u8_("status variable length")(i)?;
                    let (i, s) = take_n(usize::from(n), "status variable")(i)?;
                    (
                        i,
                        if code == 5 {
                            StatusVar::TimeZone(s)
                        } else {
                            StatusVar::Catalog(s)
                        },
                    )
                }
                7 => u16_("Q_LC_TIME_NAMES")(i).map(|(i, v)| (i, StatusVar::LcTimeNames(v)))?,
                8 => u16_("Q_CHARSET_DATABASE")(i)
                    .map(|(i, v)| (i, StatusVar::CharsetDatabase(v)))?,
                9 => u64_("Q_TABLE_MAP_FOR_UPDATE")(i)
                    .map(|(i, v)| (i, StatusVar::TableMapForUpdate(v)))?,
                10 => u32_("Q_MASTER_DATA_WRITTEN")(i)
                    .map(|(i, v)| (i, StatusVar::MasterDataWritten(v)))?,
                11 => {
                    let (i, n) = u8_("Q_INVOKER user length")(i)?;
                    let (i, user) = take_n(usize::from(n), "Q_INVOKER user")(i)?;
                    let (i, n) = u8_("Q_INVOKER host length")(i)?;
                    let (i, host) = take_n(usize::from(n), "Q_INVOKER host")(i)?;
                    (i, StatusVar::Invoker { user, host })
                }
                12 => {
                    let (mut j, count) = u8_("Q_UPDATED_DB_NAMES count")(i)?;
                    let start = j;
                    if count != 254 {
                        for _ in 0..count {
                            j = nul_terminated("Q_UPDATED_DB_NAMES name")(j)?.0;
                        }
                    }
                    let names = &start[..start.len() - j.len()];
                    (j, StatusVar::UpdatedDbNames { count, names })
                }
                13 => u24_("Q_MICROSECONDS")(i).map(|(i, v)| (i, StatusVar::Microseconds(v)))?,
                14 => u64_("Q_COMMIT_TS")(i).map(|(i, v)| (i, StatusVar::CommitTs(v)))?,
                16 => u8_("Q_EXPLICIT_DEFAULTS_FOR_TIMESTAMP")(i)
                    .map(|(i, v)| (i, StatusVar::ExplicitDefaultsForTimestamp(v)))?,
                17 => u64_("Q_DDL_LOGGED_WITH_XID")(i)
                    .map(|(i, v)| (i, StatusVar::DdlLoggedWithXid(v)))?,
                18 => u16_("Q_DEFAULT_COLLATION_FOR_UTF8MB4")(i)
                    .map(|(i, v)| (i, StatusVar::DefaultCollationForUtf8mb4(v)))?,
                19 => u8_("Q_SQL_REQUIRE_PRIMARY_KEY")(i)
                    .map(|(i, v)| (i, StatusVar::SqlRequirePrimaryKey(v)))?,
                20 => u8_("Q_DEFAULT_TABLE_ENCRYPTION")(i)
                    .map(|(i, v)| (i, StatusVar::DefaultTableEncryption(v)))?,
                128 => u24_("Q_HRNOW")(i).map(|(i, v)| (i, StatusVar::Hrnow(v)))?,
                129 => u64_("Q_XID")(i).map(|(i, v)| (i, StatusVar::Xid(v)))?,
                130 => u8_("Q_GTID_FLAGS3")(i).map(|(i, v)| (i, StatusVar::GtidFlags3(v)))?,
                131 => {
                    let (i, n) = u8_("Q_CHARACTER_SET_COLLATIONS count")(i)?;
                    let (i, pairs) = take_n(usize::from(n) * 4, "Q_CHARACTER_SET_COLLATIONS")(i)?;
                    (i, StatusVar::CharacterSetCollations(pairs))
                }
                _ => (&i[i.len()..], StatusVar::Unknown { code, rest: i }),
            })
        });
        match parsed {
            Ok((rest, v)) => {
                self.offset += input.len() - rest.len();
                self.rest = rest;
                Some(Ok(v))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e.rebase(self.offset as u64 + 1)))
            }
        }
    }
}

/// INTVAR_EVENT: LAST_INSERT_ID() or INSERT_ID for the next statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntvarEvent {
    /// 1 = LAST_INSERT_ID, 2 = INSERT_ID.
    pub kind: u8,
    /// The value.
    pub value: u64,
}

impl IntvarEvent {
    pub(crate) fn parse(body: &[u8]) -> Result<Self> {
        let (_, (kind, value)) = run(body, |i| {
            let (i, k) = u8_("intvar type")(i)?;
            let (i, v) = u64_("intvar value")(i)?;
            Ok((i, (k, v)))
        })?;
        Ok(IntvarEvent { kind, value })
    }
}

/// RAND_EVENT: the seeds of RAND() for the next statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandEvent {
    /// First seed.
    pub seed1: u64,
    /// Second seed.
    pub seed2: u64,
}

impl RandEvent {
    pub(crate) fn parse(body: &[u8]) -> Result<Self> {
        let (_, (seed1, seed2)) = run(body, |i| {
            let (i, a) = u64_("rand seed1")(i)?;
            let (i, b) = u64_("rand seed2")(i)?;
            Ok((i, (a, b)))
        })?;
        Ok(RandEvent { seed1, seed2 })
    }
}

/// USER_VAR_EVENT: a user variable the next statement uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserVarEvent<'a> {
    /// Variable name.
    pub name: &'a [u8],
    /// `None` when the variable is NULL.
    pub value: Option<UserVarValue<'a>>,
}

/// The value of a user variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserVarValue<'a> {
    /// Item result type: 0 STRING, 1 REAL, 2 INT, 3 ROW, 4 DECIMAL.
    pub kind: u8,
    /// Collation id.
    pub charset: u32,
    /// The value bytes (little-endian integer/double, decimal binary, or string).
    pub bytes: &'a [u8],
    /// Flags (bit 0: unsigned), when present.
    pub flags: Option<u8>,
}

impl<'a> UserVarEvent<'a> {
    pub(crate) fn parse(body: &'a [u8]) -> Result<Self> {
        let (_, ev) = run(body, |i| {
            let (i, n) = u32_("user variable name length")(i)?;
            let (i, name) = take_n(n as usize, "user variable name")(i)?;
            let (i, is_null) = u8_("user variable null flag")(i)?;
            if is_null != 0 {
                return Ok((i, UserVarEvent { name, value: None }));
            }
            let (i, kind) = u8_("user variable type")(i)?;
            let (i, charset) = u32_("user variable charset")(i)?;
            let (i, len) = u32_("user variable value length")(i)?;
            let (i, bytes) = take_n(len as usize, "user variable value")(i)?;
            let (i, flags) = match i.split_first() {
                Some((&f, rest)) => (rest, Some(f)),
                None => (i, None),
            };
            Ok((
                i,
                UserVarEvent {
                    name,
                    value: Some(UserVarValue {
                        kind,
                        charset,
                        bytes,
                        flags,
                    }),
                },
            ))
        })?;
        Ok(ev)
    }
}

/// BEGIN_LOAD_QUERY_EVENT / APPEND_BLOCK_EVENT: a block of the file of a LOAD DATA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeginLoadQueryEvent<'a> {
    /// File id shared with the EXECUTE_LOAD_QUERY event.
    pub file_id: u32,
    /// The block.
    pub data: &'a [u8],
}

impl<'a> BeginLoadQueryEvent<'a> {
    pub(crate) fn parse(body: &'a [u8], fmt: &Format, code: u8) -> Result<Self> {
        let post = usize::from(fmt.post_header_len(code, 4)).max(4);
        let (data, file_id) = run(body, |i| {
            let (i, id) = u32_("file id")(i)?;
            let (i, _) = take_n(post - 4, "post header")(i)?;
            Ok((i, id))
        })?;
        Ok(BeginLoadQueryEvent { file_id, data })
    }
}

/// EXECUTE_LOAD_QUERY_EVENT: the LOAD DATA statement, with where the file name sits in it.
#[derive(Debug, Clone)]
pub struct ExecuteLoadQueryEvent<'a> {
    /// The statement (as a QUERY event).
    pub query: QueryEvent<'a>,
    /// File id of the BEGIN_LOAD_QUERY event.
    pub file_id: u32,
    /// Start of the file name in the query.
    pub start_pos: u32,
    /// End of the file name in the query.
    pub end_pos: u32,
    /// 0 error, 1 ignore, 2 replace.
    pub dup_handling: u8,
}

impl<'a> ExecuteLoadQueryEvent<'a> {
    pub(crate) fn parse(body: &'a [u8], fmt: &Format, opts: &DecoderOptions) -> Result<Self> {
        let post = usize::from(fmt.post_header_len(18, 26)).max(26);
        let (query, extra) = parse_query_like(body, post, false, opts)?;
        let (_, (file_id, start_pos, end_pos, dup_handling)) = run(extra, |i| {
            let (i, f) = u32_("file id")(i)?;
            let (i, s) = u32_("start position")(i)?;
            let (i, e) = u32_("end position")(i)?;
            let (i, d) = u8_("duplicate handling")(i)?;
            Ok((i, (f, s, e, d)))
        })
        .map_err(|e: Error| e.rebase(13))?;
        Ok(ExecuteLoadQueryEvent {
            query,
            file_id,
            start_pos,
            end_pos,
            dup_handling,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fde::{ChecksumAlg, Flavor};

    /// The TRUNCATE example of MariaDB's QUERY_EVENT documentation (body only).
    #[test]
    fn query_from_mariadb_docs() {
        let body: Vec<u8> = [
            &[0x66, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1a, 0][..],
            &[
                0, 0, 0, 0, 0, 1, 0, 0, 0, 0x50, 0, 0, 0, 0, 6, 3, b's', b't', b'd', 4, 8, 0, 8, 0,
                8, 0,
            ],
            &[0],
            b"TRUNCATE TABLE test.t4",
        ]
        .concat();
        let fmt = Format::assumed(Flavor::MariaDb, ChecksumAlg::Crc32);
        let q = QueryEvent::parse(&body, &fmt, 2, false, &DecoderOptions::default()).unwrap();
        assert_eq!(q.thread_id, 358);
        assert_eq!(q.schema, b"");
        assert_eq!(&*q.query, b"TRUNCATE TABLE test.t4");
        let vars: Vec<_> = q.status_vars().collect::<Result<_>>().unwrap();
        assert_eq!(
            vars,
            vec![
                StatusVar::Flags2(0),
                StatusVar::SqlMode(0x5000_0000),
                StatusVar::Catalog(b"std"),
                StatusVar::Charset {
                    client: 8,
                    connection: 8,
                    server: 8
                },
            ]
        );
    }

    #[test]
    fn truncated_status_vars_are_an_error() {
        let body = [0x66, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1a, 0, 0, 0];
        let fmt = Format::assumed(Flavor::MariaDb, ChecksumAlg::Crc32);
        let e = QueryEvent::parse(&body, &fmt, 2, false, &DecoderOptions::default()).unwrap_err();
        assert!(e.is_truncated());
        assert_eq!(e.offset, 13);
    }
}
