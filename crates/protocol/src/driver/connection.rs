//! A client connection: TCP (+ TLS), the connection phase, and text-protocol queries.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tracing::debug;

use crate::auth::session::{AuthConfig, AuthSession, AuthStep};
use crate::auth::AuthPlugin;
use crate::command;
use crate::compressed::{encode_compressed, CompressedPacketReader};
use crate::driver::tls::{self, TlsMode};
use crate::driver::ConnectOptions;
use crate::error::{Error, Result};
use crate::handshake::{self, CapabilityFlags, HandshakeResponse, InitialHandshake};
use crate::packet::{encode_packet, PacketReader};
use crate::response::{ResultSetDecoder, ResultSetEvent, TextRow};

/// Collation sent in the handshake: utf8mb4_general_ci (45), known to every server version.
const CHARSET: u8 = 45;

/// The socket, plain or encrypted.
#[derive(Debug)]
enum Transport {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    /// Only while the TLS handshake owns the socket.
    Closed,
}

fn closed() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotConnected, "connection closed")
}

impl Transport {
    async fn read_buf(&mut self, buf: &mut BytesMut) -> std::io::Result<usize> {
        match self {
            Transport::Plain(s) => s.read_buf(buf).await,
            Transport::Tls(s) => s.read_buf(buf).await,
            Transport::Closed => Err(closed()),
        }
    }

    async fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            Transport::Plain(s) => {
                s.write_all(data).await?;
                s.flush().await
            }
            Transport::Tls(s) => {
                s.write_all(data).await?;
                s.flush().await
            }
            Transport::Closed => Err(closed()),
        }
    }
}

#[derive(Debug)]
enum Framing {
    Plain(PacketReader),
    Compressed(CompressedPacketReader),
}

/// Reads beyond this many buffered bytes wait until the framing layer consumed some: the
/// read buffer never holds more than one maximal packet plus one read.
const READ_CHUNK: usize = 64 * 1024;

/// A connection to a MySQL or MariaDB server, after authentication.
#[derive(Debug)]
pub struct Connection {
    transport: Transport,
    framing: Framing,
    read_buf: BytesMut,
    capabilities: CapabilityFlags,
    greeting: InitialHandshake,
    tls: bool,
    read_timeout: Duration,
    peer: String,
}

/// A text-protocol result: column names and rows (empty for statements without a result set).
#[derive(Debug, Clone, Default)]
pub struct QueryResult {
    /// Column names.
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<TextRow>,
}

impl QueryResult {
    /// The value of column `column` in the first row, as a string (`None` for NULL or no row).
    pub fn first_value(&self, column: usize) -> Option<String> {
        let row = self.rows.first()?;
        let cell = row.get(column)??;
        Some(String::from_utf8_lossy(cell).into_owned())
    }
}

async fn with_timeout<T>(
    limit: Duration,
    what: &'static str,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r,
        Err(_) => Err(Error::Timeout {
            what,
            seconds: limit.as_secs_f64(),
        }),
    }
}

impl Connection {
    /// Connects, negotiates TLS as `options.tls` says, and authenticates.
    pub async fn connect(options: &ConnectOptions) -> Result<Connection> {
        let peer = format!("{}:{}", options.host, options.port);
        with_timeout(
            options.connect_timeout,
            "connecting and authenticating",
            Self::connect_inner(options, peer),
        )
        .await
    }

    async fn connect_inner(options: &ConnectOptions, peer: String) -> Result<Connection> {
        let tcp = TcpStream::connect((options.host.as_str(), options.port))
            .await
            .map_err(|source| Error::Io {
                context: format!("connecting to {peer}"),
                source,
            })?;
        let _ = tcp.set_nodelay(true);
        let mut conn = Connection {
            transport: Transport::Plain(tcp),
            framing: Framing::Plain(PacketReader::new(options.max_packet_size)),
            read_buf: BytesMut::with_capacity(READ_CHUNK),
            capabilities: CapabilityFlags::empty(),
            greeting: InitialHandshake {
                protocol_version: 10,
                server_version: String::new(),
                connection_id: 0,
                auth_plugin_data: Vec::new(),
                capabilities: CapabilityFlags::empty(),
                character_set: 0,
                status_flags: 0,
                auth_plugin_name: None,
            },
            tls: false,
            read_timeout: options.read_timeout,
            peer,
        };
        let payload = conn.read_payload("the server greeting").await?;
        let greeting = InitialHandshake::decode(&payload)?;
        debug!(peer = %conn.peer, version = %greeting.server_version, connection_id = greeting.connection_id, "greeting");

        let server = greeting.capabilities;
        let server_tls = server.contains(CapabilityFlags::CLIENT_SSL);
        let use_tls = match options.tls.mode {
            TlsMode::Disabled => false,
            TlsMode::Preferred => server_tls,
            mode => {
                if !server_tls {
                    return Err(Error::TlsUnavailable {
                        mode: mode_name(mode),
                    });
                }
                true
            }
        };
        let wanted = CapabilityFlags::CLIENT_LONG_PASSWORD
            | CapabilityFlags::CLIENT_LONG_FLAG
            | CapabilityFlags::CLIENT_PROTOCOL_41
            | CapabilityFlags::CLIENT_TRANSACTIONS
            | CapabilityFlags::CLIENT_SECURE_CONNECTION
            | CapabilityFlags::CLIENT_MULTI_RESULTS
            | CapabilityFlags::CLIENT_PLUGIN_AUTH
            | CapabilityFlags::CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
            | CapabilityFlags::CLIENT_CONNECT_ATTRS
            | CapabilityFlags::CLIENT_DEPRECATE_EOF;
        let mut caps = server & wanted;
        if options.compress && server.contains(CapabilityFlags::CLIENT_COMPRESS) {
            caps = caps | CapabilityFlags::CLIENT_COMPRESS;
        }
        if use_tls {
            caps = caps | CapabilityFlags::CLIENT_SSL;
        }
        // A MariaDB server clears CLIENT_MYSQL to announce extended capabilities; we use none.
        caps.set(CapabilityFlags::CLIENT_MYSQL, true);
        if options.local_infile {
            caps = caps | CapabilityFlags::CLIENT_LOCAL_FILES;
        }
        if options.multi_statements {
            caps = caps | CapabilityFlags::CLIENT_MULTI_STATEMENTS;
        }
        let max_packet = u32::try_from(options.max_packet_size).unwrap_or(u32::MAX);

        let mut seq = conn.reader_sequence();
        if use_tls {
            let mut payload = BytesMut::new();
            handshake::ssl_request(caps, max_packet, CHARSET, &mut payload);
            seq = conn.write_packet(&payload, seq).await?;
            conn.start_tls(options).await?;
        }

        // An unknown default plugin: answer as mysql_native_password and let the server
        // switch us to the user's plugin (what libmysqlclient does).
        let plugin = match AuthPlugin::from_name(
            greeting
                .auth_plugin_name
                .as_deref()
                .unwrap_or(crate::auth::MYSQL_NATIVE_PASSWORD),
        ) {
            AuthPlugin::Unknown(_) => AuthPlugin::MysqlNativePassword,
            known => known,
        };
        let config = AuthConfig {
            password: options.password.as_bytes(),
            tls: use_tls,
            server_public_key: options.server_public_key.as_deref(),
            request_public_key: options.request_public_key,
        };
        let mut rng = rand_core::OsRng;
        let mut auth = AuthSession::new(plugin, &greeting.auth_plugin_data, &config);
        let auth_response = auth.initial_response(&mut rng)?;
        let attrs = [
            ("_client_name", "binvault"),
            ("_client_version", env!("CARGO_PKG_VERSION")),
            ("program_name", "binvault"),
        ];
        let response = HandshakeResponse {
            capabilities: caps,
            max_packet_size: max_packet,
            character_set: CHARSET,
            username: options.user.as_bytes(),
            auth_response: &auth_response,
            database: None,
            auth_plugin_name: auth.plugin().name().as_bytes(),
            connect_attrs: Some(&attrs),
        };
        let caps = response.effective_capabilities() & (server | CapabilityFlags::CLIENT_MYSQL);
        let mut payload = BytesMut::new();
        handshake::handshake_response(&response, &mut payload)?;
        let next = conn.write_packet(&payload, seq).await?;
        conn.set_reader_sequence(next);
        conn.capabilities = caps;
        conn.tls = use_tls;
        loop {
            let payload = conn.read_payload("the authentication result").await?;
            match auth.handle_packet(&payload, caps, &mut rng)? {
                AuthStep::Send(data) => {
                    let seq = conn.reader_sequence();
                    let next = conn.write_packet(&data, seq).await?;
                    conn.set_reader_sequence(next);
                }
                AuthStep::Wait => {}
                AuthStep::Done(_) => break,
            }
        }
        if caps.contains(CapabilityFlags::CLIENT_COMPRESS) {
            conn.framing =
                Framing::Compressed(CompressedPacketReader::new(options.max_packet_size));
        }
        debug!(peer = %conn.peer, tls = use_tls, plugin = auth.plugin().name(), "authenticated");
        conn.greeting = greeting;
        Ok(conn)
    }

    async fn start_tls(&mut self, options: &ConnectOptions) -> Result<()> {
        let config = tls::client_config(&options.tls)?;
        let name = tls::server_name(&options.tls, &options.host)?;
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
        let Transport::Plain(tcp) = std::mem::replace(&mut self.transport, Transport::Closed)
        else {
            return Err(Error::Tls(
                "TLS can only be started on a plain connection".into(),
            ));
        };
        let tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| Error::Tls(format!("handshake with {} failed: {e}", self.peer)))?;
        self.transport = Transport::Tls(Box::new(tls));
        Ok(())
    }

    /// The server's greeting.
    pub fn greeting(&self) -> &InitialHandshake {
        &self.greeting
    }

    /// Negotiated capabilities.
    pub fn capabilities(&self) -> CapabilityFlags {
        self.capabilities
    }

    /// True when the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// `host:port` of the server.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    fn reader_sequence(&self) -> u8 {
        match &self.framing {
            Framing::Plain(r) => r.sequence(),
            Framing::Compressed(r) => r.packet_sequence(),
        }
    }

    fn set_reader_sequence(&mut self, seq: u8) {
        match &mut self.framing {
            Framing::Plain(r) => r.set_sequence(seq),
            Framing::Compressed(r) => r.set_packet_sequence(seq),
        }
    }

    /// Writes one payload as packets starting at sequence `seq`; returns the next sequence.
    async fn write_packet(&mut self, payload: &[u8], seq: u8) -> Result<u8> {
        let mut out = BytesMut::with_capacity(payload.len() + 8);
        let next = encode_packet(payload, seq, &mut out);
        let out = match &mut self.framing {
            Framing::Plain(_) => out,
            Framing::Compressed(r) => {
                let mut c = BytesMut::with_capacity(out.len() + 16);
                let cnext =
                    encode_compressed(&out, r.sequence(), flate2::Compression::fast(), &mut c);
                r.set_sequence(cnext);
                c
            }
        };
        self.transport
            .write_all(&out)
            .await
            .map_err(|source| Error::Io {
                context: format!("writing to {}", self.peer),
                source,
            })?;
        Ok(next)
    }

    /// Sends a command payload (sequence 0) and prepares to read its response.
    pub(crate) async fn send_command(&mut self, payload: &[u8]) -> Result<()> {
        if let Framing::Compressed(r) = &mut self.framing {
            r.reset_sequences();
        }
        let next = self.write_packet(payload, 0).await?;
        self.set_reader_sequence(next);
        Ok(())
    }

    /// Reads the next whole payload, with no time limit.
    pub(crate) async fn read_payload_untimed(&mut self, what: &'static str) -> Result<Bytes> {
        loop {
            if let Some(p) = self.try_buffered_payload()? {
                return Ok(p);
            }
            self.read_buf.reserve(READ_CHUNK);
            let n = self
                .transport
                .read_buf(&mut self.read_buf)
                .await
                .map_err(|source| Error::Io {
                    context: format!("reading {what} from {}", self.peer),
                    source,
                })?;
            if n == 0 {
                return Err(Error::ConnectionClosed { context: what });
            }
        }
    }

    /// The next whole payload if it is already buffered (no socket read).
    pub(crate) fn try_buffered_payload(&mut self) -> Result<Option<Bytes>> {
        match &mut self.framing {
            Framing::Plain(r) => r.decode(&mut self.read_buf),
            Framing::Compressed(r) => r.decode(&mut self.read_buf),
        }
    }

    /// Reads the next whole payload within the read timeout.
    pub(crate) async fn read_payload(&mut self, what: &'static str) -> Result<Bytes> {
        let limit = self.read_timeout;
        with_timeout(limit, what, self.read_payload_untimed(what)).await
    }

    /// Runs a statement with COM_QUERY and collects its text result (all rows in memory:
    /// meant for the replica's small set-up queries). An ERR answer is [`Error::Server`].
    pub async fn query(&mut self, sql: &str) -> Result<QueryResult> {
        let mut payload = BytesMut::new();
        command::query(sql, &mut payload);
        self.send_command(&payload).await?;
        let mut decoder = ResultSetDecoder::new(self.capabilities);
        let mut result = QueryResult::default();
        loop {
            let payload = self.read_payload("a query result").await?;
            match decoder.handle_payload(payload)? {
                ResultSetEvent::Column(c) => result
                    .columns
                    .push(String::from_utf8_lossy(&c.name).into_owned()),
                ResultSetEvent::Row(r) => result.rows.push(r),
                ResultSetEvent::Ok(_)
                | ResultSetEvent::Done { .. }
                | ResultSetEvent::ColumnCount(_)
                | ResultSetEvent::ColumnsDone => {}
            }
            if decoder.is_done() {
                return Ok(result);
            }
        }
    }

    /// See [`PacketReader::set_relaxed_sequence`].
    pub(crate) fn set_relaxed_sequence(&mut self, relaxed: bool) {
        match &mut self.framing {
            Framing::Plain(r) => r.set_relaxed_sequence(relaxed),
            Framing::Compressed(r) => r.set_relaxed_sequence(relaxed),
        }
    }

    /// Sends raw bytes already framed by the caller (used for semi-sync acks).
    pub(crate) async fn send_raw_command(&mut self, payload: &[u8]) -> Result<()> {
        if let Framing::Compressed(r) = &mut self.framing {
            let seq = r.sequence();
            // keep the reader's compressed sequence: acks are interleaved with the stream
            r.set_sequence(0);
            let res = self.write_packet(payload, 0).await;
            if let Framing::Compressed(r) = &mut self.framing {
                r.set_sequence(seq);
            }
            return res.map(|_| ());
        }
        let mut out = BytesMut::with_capacity(payload.len() + 4);
        encode_packet(payload, 0, &mut out);
        self.transport
            .write_all(&out)
            .await
            .map_err(|source| Error::Io {
                context: format!("writing to {}", self.peer),
                source,
            })
    }

    /// Runs one statement given as bytes (an archived statement's text need not be UTF-8) with
    /// COM_QUERY and discards its result. When the server asks for the file of a `LOAD DATA
    /// LOCAL INFILE` (only possible with [`super::ConnectOptions::local_infile`]), `local_data`
    /// is sent as its content, whatever file name the statement gives; without `local_data`
    /// an empty file is sent and the statement is reported as an error.
    pub async fn execute(&mut self, sql: &[u8], local_data: Option<&[u8]>) -> Result<()> {
        let mut payload = BytesMut::with_capacity(sql.len() + 1);
        payload.extend_from_slice(&[0x03]); // COM_QUERY
        payload.extend_from_slice(sql);
        self.send_command(&payload).await?;
        let mut decoder = ResultSetDecoder::new(self.capabilities);
        let mut first = true;
        let mut refused = false;
        loop {
            let payload = self.read_payload("a statement's result").await?;
            if first && payload.first() == Some(&crate::response::LOCAL_INFILE_HEADER) {
                first = false;
                let mut seq = self.reader_sequence();
                let data = local_data.unwrap_or(&[]);
                refused = local_data.is_none();
                for chunk in data.chunks(1 << 20) {
                    seq = self.write_packet(chunk, seq).await?;
                }
                seq = self.write_packet(&[], seq).await?;
                self.set_reader_sequence(seq);
                continue;
            }
            first = false;
            decoder.handle_payload(payload)?;
            if decoder.is_done() {
                break;
            }
        }
        if refused {
            return Err(Error::Unexpected {
                message: "COM_QUERY response",
                field: "LOCAL INFILE request without data to send",
                offset: 0,
                found: crate::response::LOCAL_INFILE_HEADER,
            });
        }
        Ok(())
    }

    /// Closes the connection politely (COM_QUIT); errors are ignored.
    pub async fn close(mut self) {
        let mut payload = BytesMut::new();
        command::quit(&mut payload);
        let _ = self.send_command(&payload).await;
    }
}

fn mode_name(mode: TlsMode) -> &'static str {
    match mode {
        TlsMode::Disabled => "disabled",
        TlsMode::Preferred => "preferred",
        TlsMode::Required => "required",
        TlsMode::VerifyCa => "verify-ca",
        TlsMode::VerifyFull => "verify-full",
    }
}
