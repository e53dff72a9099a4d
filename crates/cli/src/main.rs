//! `binvault`: the command-line front end. Thin over the libraries: argument parsing here,
//! real work in `binvault-parser` (and later the protocol and sink crates).
//!
//! Exit codes: 0 success; 1 bad usage or an I/O error (file missing, unreadable); 2 corrupt
//! or truncated data (everything before the damage was printed).

mod cmd;
mod metrics;
mod render;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// MySQL/MariaDB binlog archiver and inspector.
#[derive(Debug, Parser)]
#[command(name = "binvault", version, about, args_override_self = true)]
struct Cli {
    /// Log format on stderr: text or json (one object per line).
    #[arg(long, global = true, value_name = "FORMAT", default_value = "text")]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode binlog files and print their events.
    Inspect(cmd::inspect::Args),
    /// Replicate from a MySQL/MariaDB source and archive its binlog files byte for byte.
    Stream(Box<cmd::stream::Args>),
    /// Check every archived binlog file end to end (exit 0 OK, 2 problems found, 1 I/O).
    Verify(cmd::verify::Args),
    /// Show what an archive holds: files, durable position, GTIDs (read only).
    Status(cmd::status::Args),
    /// Point-in-time restore: SQL for the mariadb client on stdout, or --apply to a server.
    Restore(Box<cmd::restore::Args>),
    /// Restore drill: base backup + archive replay into a scratch server, checksums compared.
    Drill(Box<cmd::drill::Args>),
}

/// Logs go to stderr; `RUST_LOG` overrides the default level (info).
fn init_logging(format: &str) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        "text" => {
            let _ = builder
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .try_init();
        }
        "json" => {
            let _ = builder.json().with_current_span(false).try_init();
        }
        other => return Err(format!("--log-format {other}: expected text or json")),
    }
    Ok(())
}

/// Parses the command line; for `stream --config FILE`, the file's settings are placed
/// before the command line's options, which therefore win.
fn parse() -> Result<Cli, String> {
    let cli = Cli::parse();
    let Command::Stream(args) = &cli.command else {
        return Ok(cli);
    };
    let Some(path) = args.config.clone() else {
        return Ok(cli);
    };
    let from_file = cmd::stream::config_args(&path).map_err(|e| format!("{e:#}"))?;
    let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let at = argv
        .iter()
        .position(|a| a == "stream")
        .map_or(argv.len(), |i| i + 1);
    argv.splice(at..at, from_file);
    Ok(Cli::parse_from(argv))
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("binvault: {e}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = init_logging(&cli.log_format) {
        eprintln!("binvault: {e}");
        return ExitCode::from(1);
    }
    let result = match cli.command {
        Command::Inspect(args) => cmd::inspect::run(&args),
        Command::Stream(args) => cmd::stream::run(&args),
        Command::Verify(args) => cmd::verify::run(&args),
        Command::Status(args) => cmd::status::run(&args),
        Command::Restore(args) => cmd::restore::run(&args),
        Command::Drill(args) => cmd::drill::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`binvault inspect ... | head`) is not an error.
            if err
                .chain()
                .filter_map(|e| e.downcast_ref::<std::io::Error>())
                .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("binvault: {err:#}");
            ExitCode::from(1)
        }
    }
}
