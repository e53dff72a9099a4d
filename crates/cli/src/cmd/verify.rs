//! `binvault verify --archive DIR [--format text|json]`: check every archived binlog file
//! end to end (binvault-sink's `verify`), read only.
//!
//! Exit codes: 0 every file OK; 2 a problem in the data (damage, a broken chain, GTIDs out
//! of order, ...), reported with its file and offset; 1 bad usage or an I/O error (the
//! directory does not exist, a file cannot be read).

use super::Format;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use binvault_sink::verify::{verify_archive_with, Progress, VerifyOptions, VerifyReport};
use indicatif::{ProgressBar, ProgressStyle};

/// Arguments of `binvault verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The archive directory (as given to `binvault stream`), or one server directory in it.
    #[arg(long, value_name = "DIR")]
    archive: PathBuf,
    /// Output format: text (a line per file, with the first problem and notes under it) or
    /// json (the whole report as one object).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The source runs with gtid_strict_mode=OFF: MariaDB GTIDs out of order, repeated or
    /// with gaps are notes, not problems.
    #[arg(long)]
    non_strict_gtids: bool,
}

/// A progress bar on stderr, only when stderr is a terminal.
fn progress_bar() -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(0);
    let style = ProgressStyle::with_template(
        "{spinner} [{elapsed}] {wide_bar} {bytes}/{total_bytes} {msg}",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

pub fn run(args: &Args) -> Result<ExitCode> {
    let bar = progress_bar();
    let mut on_progress = |p: Progress| {
        if let Some(bar) = &bar {
            bar.set_length(p.bytes_total);
            bar.set_position(p.bytes_done);
            bar.set_message(if p.file.is_empty() {
                String::new()
            } else {
                format!("{}/{}", p.server, p.file)
            });
        }
    };
    let options = VerifyOptions {
        strict_gtids: !args.non_strict_gtids,
    };
    let report = verify_archive_with(&args.archive, &options, &mut on_progress);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    // The sink's error already names the path and the OS error: no chain to append.
    let report =
        report.map_err(|e| anyhow::anyhow!("cannot verify {}: {e}", args.archive.display()))?;
    if report.servers.is_empty() {
        anyhow::bail!(
            "{} holds no archive: no server directory (one with index.json, state.json or binlog files) in it",
            args.archive.display()
        );
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Text => write_text(&mut out, &report)?,
    }
    out.flush()?;
    let data_problem = report.problems().any(|p| !p.kind.is_io());
    Ok(if data_problem {
        ExitCode::from(2)
    } else if !report.ok() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn write_text(out: &mut impl Write, report: &VerifyReport) -> std::io::Result<()> {
    for server in &report.servers {
        writeln!(out, "{} ({})", server.name, server.dir)?;
        for p in &server.problems {
            writeln!(out, "  PROBLEM  {p}")?;
        }
        for n in &server.notes {
            writeln!(out, "  note: {n}")?;
        }
        let width = server
            .files
            .iter()
            .map(|f| stored_name(&f.path).len())
            .max()
            .unwrap_or(0);
        for f in &server.files {
            let status = if f.ok() { "OK" } else { "PROBLEM" };
            writeln!(
                out,
                "  {status:<7}  {:<width$}  {:>12} bytes  {:>9} events  {:>8} transactions",
                stored_name(&f.path),
                f.size,
                f.events,
                f.transactions
            )?;
            if let Some(p) = &f.problem {
                match p.offset {
                    Some(o) => writeln!(out, "           {} at offset {o}: {}", p.kind, p.reason)?,
                    None => writeln!(out, "           {}: {}", p.kind, p.reason)?,
                }
            }
            for n in &f.notes {
                writeln!(out, "           note: {n}")?;
            }
        }
    }
    if !report.timeline.is_empty() {
        writeln!(out, "timeline (history across servers)")?;
        for p in &report.timeline {
            writeln!(out, "  PROBLEM  {p}")?;
        }
    }
    let s = &report.summary;
    let verdict = if report.ok() {
        "all OK".to_owned()
    } else {
        format!("{} problem(s)", s.problems)
    };
    writeln!(
        out,
        "{verdict}: {} file(s) in {} server director{} ({} OK), {} events, {} transactions, {} bytes",
        s.files,
        s.servers,
        if s.servers == 1 { "y" } else { "ies" },
        s.files_ok,
        s.events,
        s.transactions,
        s.bytes
    )
}

/// The stored name (`NAME` or `NAME.gz`) from a path.
fn stored_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
