//! Prometheus metrics and the health check of `binvault stream` (`--metrics-addr`).
//!
//! `/metrics` serves the text exposition format; `/healthz` answers 200 while the stream is
//! connected and its lag is under the threshold, 503 with the reason otherwise.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use tracing::{info, warn};

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The stream's live figures, shared with the HTTP thread.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    lag: Gauge<f64, AtomicU64>,
    /// Bytes archived.
    pub bytes: Counter,
    /// Events archived.
    pub events: Counter,
    /// Transactions archived.
    pub transactions: Counter,
    /// Offset of the durable position in its file.
    pub durable_offset: Gauge,
    /// Reconnections after a failure.
    pub reconnects: Counter,
    last_error: Gauge<f64, AtomicU64>,
    /// fsync latency.
    pub fsync_seconds: Histogram,
    /// Time from receiving a semi-sync event to sending its acknowledgement.
    pub ack_seconds: Histogram,
    connected: AtomicBool,
    /// Timestamp (s) of the newest archived event, and when we last knew we were caught up.
    last_event_ts: AtomicU64,
    caught_up_at_ms: AtomicU64,
    lag_threshold: f64,
}

impl Metrics {
    /// A registry with every metric; `/healthz` fails when the lag exceeds `lag_threshold`.
    pub fn new(lag_threshold: Duration) -> Arc<Metrics> {
        let mut registry = Registry::with_prefix("binvault");
        let m = Metrics {
            lag: Gauge::default(),
            bytes: Counter::default(),
            events: Counter::default(),
            transactions: Counter::default(),
            durable_offset: Gauge::default(),
            reconnects: Counter::default(),
            last_error: Gauge::default(),
            fsync_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            ack_seconds: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            connected: AtomicBool::new(false),
            last_event_ts: AtomicU64::new(0),
            caught_up_at_ms: AtomicU64::new(0),
            lag_threshold: lag_threshold.as_secs_f64(),
            registry: Registry::default(),
        };
        registry.register(
            "replication_lag_seconds",
            "Seconds the archive is behind the source (from event timestamps and heartbeats)",
            m.lag.clone(),
        );
        registry.register("archived_bytes", "Bytes archived", m.bytes.clone());
        registry.register(
            "archived_events",
            "Binlog events archived",
            m.events.clone(),
        );
        registry.register(
            "archived_transactions",
            "Transactions archived",
            m.transactions.clone(),
        );
        registry.register(
            "durable_offset_bytes",
            "Offset of the durable position in its binlog file",
            m.durable_offset.clone(),
        );
        registry.register(
            "reconnects",
            "Reconnections after a failure",
            m.reconnects.clone(),
        );
        registry.register(
            "last_error_timestamp_seconds",
            "Unix time of the last error (0: none)",
            m.last_error.clone(),
        );
        registry.register(
            "fsync_duration_seconds",
            "Latency of the archive's fsyncs",
            m.fsync_seconds.clone(),
        );
        registry.register(
            "semisync_ack_delay_seconds",
            "Time from receiving a semi-sync event to acknowledging it",
            m.ack_seconds.clone(),
        );
        Arc::new(Metrics { registry, ..m })
    }

    /// The stream is (dis)connected.
    pub fn set_connected(&self, on: bool) {
        self.connected.store(on, Ordering::Relaxed);
    }

    /// An event with this timestamp was archived.
    pub fn event_archived(&self, timestamp: u32) {
        if timestamp != 0 {
            self.last_event_ts
                .fetch_max(u64::from(timestamp), Ordering::Relaxed);
        }
    }

    /// A heartbeat or the end of a non-blocking dump: nothing newer on the source.
    pub fn caught_up(&self) {
        let ms = (now_secs() * 1000.0) as u64;
        self.caught_up_at_ms.store(ms, Ordering::Relaxed);
    }

    /// An error happened now.
    pub fn error(&self) {
        self.last_error.set(now_secs());
    }

    /// Seconds behind: now minus the newest point known to be archived (an event's
    /// timestamp, or the moment a heartbeat said we were caught up).
    pub fn lag(&self) -> f64 {
        let ev = self.last_event_ts.load(Ordering::Relaxed) as f64;
        let cu = self.caught_up_at_ms.load(Ordering::Relaxed) as f64 / 1000.0;
        let newest = ev.max(cu);
        if newest == 0.0 {
            return 0.0;
        }
        (now_secs() - newest).max(0.0)
    }

    fn render(&self) -> String {
        self.lag.set(self.lag());
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    fn health(&self) -> Result<String, String> {
        if !self.connected.load(Ordering::Relaxed) {
            return Err("not streaming (disconnected)".into());
        }
        let lag = self.lag();
        if lag > self.lag_threshold {
            return Err(format!(
                "lag {lag:.1} s exceeds {:.1} s",
                self.lag_threshold
            ));
        }
        Ok(format!("ok: streaming, lag {lag:.1} s"))
    }
}

/// Serves `/metrics` and `/healthz` on `addr` from a background thread.
pub fn serve(addr: &str, metrics: Arc<Metrics>) -> anyhow::Result<()> {
    let server = tiny_http::Server::http(addr)
        .map_err(|e| anyhow::anyhow!("cannot listen on --metrics-addr {addr}: {e}"))?;
    info!(addr, "serving /metrics and /healthz");
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let (status, body, ctype) = match request.url() {
                "/metrics" => (
                    200,
                    metrics.render(),
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
                "/healthz" => match metrics.health() {
                    Ok(msg) => (200, msg, "text/plain"),
                    Err(msg) => (503, msg, "text/plain"),
                },
                _ => (404, "not found: /metrics, /healthz".into(), "text/plain"),
            };
            let header = tiny_http::Header::from_bytes(&b"Content-Type"[..], ctype.as_bytes());
            let mut response = tiny_http::Response::from_string(body).with_status_code(status);
            if let Ok(h) = header {
                response = response.with_header(h);
            }
            if let Err(e) = request.respond(response) {
                warn!(error = %e, "metrics response failed");
            }
        }
    });
    Ok(())
}
