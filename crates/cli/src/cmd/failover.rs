//! Several sources: picking the writable primary, watching the others, and switching the
//! archive to a promoted primary after checking its history against the archive's
//! (binvault-sink's `timeline`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use binvault_protocol::binlog::StreamItem;
use binvault_protocol::driver::{
    ConnectOptions, Connection, Flavor, ReplicaOptions, SourceInfo, StartPosition,
};
use binvault_sink::timeline::{
    now_secs, parse_list_text, Divergence, GtidKey, History, Reconcile, Segment, Timeline, Verdict,
};
use tokio::sync::Notify;
use tracing::{info, warn};

/// Splits `mysql://USER:PASS@h1:p1,h2:p2/...` into one URL per host.
pub fn split_source_url(url: &str) -> Result<Vec<String>> {
    let Some((scheme, rest)) = url.split_once("://") else {
        bail!(
            "--source {}: expected mysql://USER@HOST[:PORT][,HOST[:PORT]...]",
            redact(url)
        )
    };
    let (userinfo, hostpart) = match rest.rfind('@') {
        Some(i) => rest.split_at(i + 1),
        None => ("", rest),
    };
    let end = hostpart.find(['/', '?']).unwrap_or(hostpart.len());
    let (hosts, tail) = hostpart.split_at(end);
    let mut out = Vec::new();
    for h in hosts.split(',') {
        if h.trim().is_empty() {
            bail!("--source {}: an empty host in the list", redact(url));
        }
        out.push(format!("{scheme}://{userinfo}{}{tail}", h.trim()));
    }
    Ok(out)
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let user = &url[s + 3..at];
            let user = user.split_once(':').map_or(user, |(u, _)| u);
            format!("{}{user}{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// True when `info` is the server of `seg`.
pub fn same_server(seg: &Segment, info: &SourceInfo) -> bool {
    seg.server_id == info.server_id
        && (seg.server_uuid.is_none()
            || info.server_uuid.is_none()
            || seg.server_uuid == info.server_uuid)
}

/// Runs the primary check (a query whose first value is 1 on the primary).
pub async fn is_primary(conn: &mut Connection, check: &str) -> Result<bool> {
    let r = conn
        .query(check)
        .await
        .with_context(|| format!("primary check {check:?}"))?;
    Ok(matches!(r.first_value(0).as_deref(), Some("1")))
}

/// What the watcher learnt about the other sources.
#[derive(Debug, Default)]
pub struct WatchState {
    /// `host:port` of the source streamed now.
    pub current: Option<String>,
    /// Per server id: for each GTID key, the highest sequence number the server itself
    /// wrote while it was not the primary (errant unless the archive holds it).
    pub suspects: BTreeMap<u32, BTreeMap<GtidKey, u64>>,
}

/// Polls every source every `interval`: the current one must stay the primary (else
/// `demoted` is notified); the others' own writes while they are replicas are remembered
/// as suspects.
pub async fn watch(
    sources: Vec<ConnectOptions>,
    check: String,
    interval: Duration,
    state: Arc<Mutex<WatchState>>,
    demoted: Arc<Notify>,
) {
    let mut conns: Vec<Option<(Connection, SourceInfo)>> = sources.iter().map(|_| None).collect();
    loop {
        tokio::time::sleep(interval).await;
        let current = state.lock().ok().and_then(|s| s.current.clone());
        for (i, opts) in sources.iter().enumerate() {
            let addr = format!("{}:{}", opts.host, opts.port);
            if conns[i].is_none() {
                let mut o = opts.clone();
                o.connect_timeout = o.connect_timeout.min(interval);
                if let Ok(mut c) = Connection::connect(&o).await {
                    if let Ok(info) = c.source_info().await {
                        conns[i] = Some((c, info));
                    }
                }
            }
            let Some((conn, info)) = conns[i].as_mut() else {
                continue;
            };
            let primary = match is_primary(conn, &check).await {
                Ok(p) => p,
                Err(_) => {
                    conns[i] = None;
                    continue;
                }
            };
            if current.as_deref() == Some(addr.as_str()) {
                if !primary {
                    warn!(source = %addr, "the source is no longer the primary: looking for the new one");
                    demoted.notify_one();
                }
                continue;
            }
            if primary || info.flavor != Flavor::MariaDb {
                continue;
            }
            let own = info.server_id;
            let Ok(r) = conn.query("SELECT @@GLOBAL.gtid_binlog_state").await else {
                conns[i] = None;
                continue;
            };
            let text = r.first_value(0).unwrap_or_default();
            let list = parse_list_text(&format!("[{text}]")).unwrap_or_default();
            if let Ok(mut s) = state.lock() {
                let mine = s.suspects.entry(own).or_default();
                for (k, q) in list {
                    if matches!(k, GtidKey::Maria(_, server) if server == own) {
                        let e = mine.entry(k).or_insert(0);
                        *e = (*e).max(q);
                    }
                }
            }
        }
    }
}

/// A candidate's history diverged from the archive's.
#[derive(Debug)]
pub struct Diverged(pub String);

impl std::fmt::Display for Diverged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Diverged {}

/// Checks the candidate's history against the archive's and finds where the archive
/// continues on it. `dir_name` is the candidate's server directory.
#[allow(clippy::too_many_arguments)]
pub async fn reconcile(
    root: &Path,
    timeline: &mut Timeline,
    opts: &ConnectOptions,
    info: &SourceInfo,
    dir_name: &str,
    server_id: u32,
    report_host: &str,
    suspects: BTreeMap<GtidKey, u64>,
) -> Result<Option<(String, u64, Option<String>)>> {
    let history = History::from_tracker(&timeline.history(root)?);
    if history.is_empty() {
        return Ok(None);
    }
    let baseline = timeline.baseline(root)?;
    let mut rec = Reconcile::new(history, baseline, suspects);
    let mut conn = Connection::connect(opts).await?;
    // the newest file whose starting GTID state the archive covers
    let logs = conn.query("SHOW BINARY LOGS").await?;
    let names: Vec<String> = logs
        .rows
        .iter()
        .filter_map(|r| r.get(0).flatten())
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    let Some(mut start) = names.first().cloned() else {
        bail!("{}: SHOW BINARY LOGS lists no file", opts.host)
    };
    for name in names.iter().rev() {
        let events = conn
            .query(&format!(
                "SHOW BINLOG EVENTS IN '{}' LIMIT 4",
                name.replace('\'', "")
            ))
            .await?;
        let list = events.rows.iter().find_map(|row| {
            let ty = String::from_utf8_lossy(row.get(2)??).into_owned();
            let text = String::from_utf8_lossy(row.get(5)??).into_owned();
            match ty.as_str() {
                "Gtid_list" => parse_list_text(&text),
                "Previous_gtids" => parse_list_text(&text),
                _ => None,
            }
        });
        if list.as_ref().is_some_and(|l| rec.covers(l)) {
            start = name.clone();
            break;
        }
    }
    info!(candidate = %format!("{}:{}", opts.host, opts.port), from = %start, "checking the candidate's history against the archive's");
    let replica = ReplicaOptions {
        server_id,
        start: StartPosition::File {
            name: start.clone(),
            position: 4,
        },
        stop_at_end: true,
        report_host: report_host.to_owned(),
        ..ReplicaOptions::default()
    };
    let mut stream = conn.start_replication(&replica).await?;
    loop {
        match stream.next().await? {
            StreamItem::Event(e) => {
                rec.event(&String::from_utf8_lossy(&e.file), e.position, &e.raw)?;
            }
            StreamItem::Heartbeat(_) => {}
            StreamItem::End => break,
        }
    }
    drop(stream);
    let source = format!("{}:{}", opts.host, opts.port);
    match rec.finish() {
        Verdict::Continue(sw) => Ok(Some((
            sw.file,
            sw.offset,
            sw.first_new
                .as_ref()
                .map(|g| binvault_sink::scan::gtid_text(Some(g))),
        ))),
        Verdict::Diverged { missing, errant } => {
            let mut report = format!(
                "the history of {source} (server_id {}) diverges from the archive's; it is not archived and the archive is left as it is.",
                info.server_id
            );
            if !missing.is_empty() {
                report.push_str(&format!(
                    " It lacks archived transactions: {}.",
                    missing.join(", ")
                ));
            }
            if !errant.is_empty() {
                report.push_str(&format!(
                    " It has transactions the archive's history never had (errant): {}.",
                    errant.join(", ")
                ));
            }
            report.push_str(" Recorded in timeline.json; repair the server (or archive it into another directory) and restart.");
            timeline.record_divergence(Divergence {
                server_dir: dir_name.to_owned(),
                server_id: info.server_id,
                source,
                detected_at: now_secs(),
                missing,
                errant,
                report: report.clone(),
            });
            timeline.save(root)?;
            Err(Diverged(report).into())
        }
    }
}
