//! `binvault status --archive DIR [--format text|json]`: what the archive holds — per server
//! directory its files (size, seal, sha256, first/last event time, GTID ranges), the durable
//! position, the GTID set and the last event time — read from `index.json` and `state.json`
//! without changing anything. A missing or damaged index is reported, and the files are
//! then scanned read only instead.
//!
//! Exit codes: 0 success (even when the index had to be replaced by a scan: that is
//! reported); 1 bad usage or an I/O error.

use super::Format;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Result};
use binvault_sink::status::{server_dirs, server_status, ServerStatus, Source};
use binvault_sink::timeline::Timeline;
use serde_json::{json, Value};

/// Arguments of `binvault status`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The archive directory (as given to `binvault stream`), or one server directory in it.
    #[arg(long, value_name = "DIR")]
    archive: PathBuf,
    /// Output format: text (a table per server directory) or json (one object).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub fn run(args: &Args) -> Result<ExitCode> {
    // The sink's errors already name the path and the OS error: no chain to append.
    let dirs = server_dirs(&args.archive)
        .map_err(|e| anyhow!("cannot read the archive {}: {e}", args.archive.display()))?;
    let mut servers = Vec::new();
    for d in dirs {
        servers.push(server_status(&d).map_err(|e| anyhow!("cannot read {}: {e}", d.display()))?);
    }
    let timeline = Timeline::load(&args.archive).map_err(|e| {
        anyhow!(
            "cannot read the timeline of {}: {e}",
            args.archive.display()
        )
    })?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let v = json!({
                "archive": args.archive.display().to_string(),
                "servers": servers.iter().map(server_json).collect::<Vec<_>>(),
                "timeline": timeline,
            });
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        Format::Text => {
            if servers.is_empty() {
                writeln!(out, "no server directory in {}", args.archive.display())?;
            }
            for (i, s) in servers.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                write_text(&mut out, s)?;
            }
            if let Some(t) = &timeline {
                write_timeline(&mut out, t)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The history across servers: one line per segment, then the refused servers.
fn write_timeline(out: &mut impl Write, t: &Timeline) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "Timeline ({} segment{})",
        t.segments.len(),
        if t.segments.len() == 1 { "" } else { "s" }
    )?;
    for (i, seg) in t.segments.iter().enumerate() {
        writeln!(out, "  {}. {seg}", i + 1)?;
        if let Some(first) = &seg.first_gtid {
            writeln!(out, "     first transaction {first}")?;
        }
    }
    if !t.diverged.is_empty() {
        writeln!(
            out,
            "Servers refused because their history diverged (not archived)"
        )?;
        for d in &t.diverged {
            writeln!(
                out,
                "  {} (server_id {}, {}), diverged at {}:",
                d.server_dir,
                d.server_id,
                d.source,
                rfc3339(d.detected_at as u32)
            )?;
            if !d.missing.is_empty() {
                writeln!(out, "     missing: {}", d.missing.join(", "))?;
            }
            if !d.errant.is_empty() {
                writeln!(out, "     errant: {}", d.errant.join(", "))?;
            }
        }
    }
    Ok(())
}

fn source_name(s: Source, recorded: &str) -> &str {
    match s {
        Source::Recorded => recorded,
        Source::Computed => "computed from the binlog files",
    }
}

/// A timestamp as RFC 3339 UTC, `null` for 0 (no event).
fn time_json(ts: u32) -> Value {
    if ts == 0 {
        Value::Null
    } else {
        Value::from(rfc3339(ts))
    }
}

fn server_json(s: &ServerStatus) -> Value {
    let files: Vec<Value> = s
        .files
        .iter()
        .map(|f| {
            json!({
                "name": f.name,
                "path": s.dir.join(f.stored_name()).display().to_string(),
                "size": f.size,
                "sealed": f.sealed,
                "sha256": f.sha256,
                "compressed": f.compressed,
                "first_timestamp": f.first_timestamp,
                "last_timestamp": f.last_timestamp,
                "first_time": time_json(f.first_timestamp),
                "last_time": time_json(f.last_timestamp),
                "gtids": f.gtids.to_string(),
                "transactions": f.transactions,
                "holes": f.holes,
                "next_file": f.next_file,
            })
        })
        .collect();
    let d = &s.durable;
    json!({
        "name": s.name(),
        "dir": s.dir.display().to_string(),
        "index": source_name(s.files_source, "index.json"),
        "index_problem": s.index_problem,
        "files": files,
        "unlisted_files": s.unlisted,
        "missing_files": s.missing,
        "durable": {
            "file": d.file,
            "offset": d.offset,
            "gtid_position": d.gtid_position,
            "mysql_gtids": d.mysql_gtids,
            "last_timestamp": d.last_timestamp,
            "last_time": time_json(d.last_timestamp),
            "source": source_name(s.durable_source, "state.json"),
        },
        "state_problem": s.state_problem,
        "gtid_set": s.gtids.to_string(),
        "last_timestamp": s.last_timestamp(),
        "last_time": time_json(s.last_timestamp()),
    })
}

fn time_text(ts: u32) -> String {
    if ts == 0 {
        "-".into()
    } else {
        rfc3339(ts)
    }
}

fn write_text(out: &mut impl Write, s: &ServerStatus) -> std::io::Result<()> {
    writeln!(out, "{} ({})", s.name(), s.dir.display())?;
    if let Some(p) = &s.index_problem {
        writeln!(
            out,
            "  warning: {p}: the files were scanned (read only) instead"
        )?;
    }
    for n in &s.missing {
        writeln!(out, "  warning: the index lists {n}, which is not on disk")?;
    }
    for n in &s.unlisted {
        writeln!(out, "  warning: {n} is not in the index")?;
    }
    let header = [
        "FILE",
        "SIZE",
        "SEALED",
        "SHA256",
        "FIRST EVENT",
        "LAST EVENT",
        "TRANSACTIONS",
        "GTIDS",
    ];
    let mut rows: Vec<[String; 8]> = vec![header.map(str::to_owned)];
    for f in &s.files {
        let sha = f
            .sha256
            .as_deref()
            .map_or_else(|| "-".to_owned(), |h| h.get(..12).unwrap_or(h).to_owned());
        let gtids = if f.gtids.is_empty() {
            "-".to_owned()
        } else {
            f.gtids.to_string()
        };
        rows.push([
            f.stored_name(),
            f.size.to_string(),
            if f.sealed { "yes" } else { "no" }.to_owned(),
            sha,
            time_text(f.first_timestamp),
            time_text(f.last_timestamp),
            f.transactions.to_string(),
            gtids,
        ]);
    }
    let mut width = [0usize; 8];
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    for r in &rows {
        let mut line = String::new();
        for (i, (c, w)) in r.iter().zip(width).enumerate() {
            // numbers right-aligned, text left-aligned; the last column unpadded
            let numeric = matches!(i, 1 | 6);
            if i + 1 == r.len() {
                line.push_str(&format!("  {c}"));
            } else if numeric {
                line.push_str(&format!("  {c:>w$}"));
            } else {
                line.push_str(&format!("  {c:<w$}"));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    let d = &s.durable;
    let from = match s.durable_source {
        Source::Recorded => String::new(),
        Source::Computed => format!(
            " ({}: computed from the files)",
            s.state_problem.as_deref().unwrap_or("state.json unusable")
        ),
    };
    if d.file.is_empty() {
        writeln!(out, "  durable:       nothing yet{from}")?;
    } else {
        writeln!(
            out,
            "  durable:       {} at offset {}{from}",
            d.file, d.offset
        )?;
    }
    if !d.gtid_position.is_empty() {
        writeln!(out, "  GTID position: {}", d.gtid_position)?;
    }
    if !d.mysql_gtids.is_empty() {
        writeln!(out, "  MySQL GTIDs:   {}", d.mysql_gtids)?;
    }
    writeln!(
        out,
        "  GTID set:      {}",
        if s.gtids.is_empty() {
            "-".to_owned()
        } else {
            s.gtids.to_string()
        }
    )?;
    writeln!(out, "  last event:    {}", time_text(s.last_timestamp()))
}

/// `ts` (seconds since 1970, UTC) as RFC 3339: `2023-11-14T22:13:20Z`.
pub fn rfc3339(ts: u32) -> String {
    let secs = i64::from(ts);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn rfc3339_utc() {
        assert_eq!(rfc3339(1), "1970-01-01T00:00:01Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(u32::MAX), "2106-02-07T06:28:15Z");
    }
}
