//! `binvault`: the command-line front end. Thin over the libraries: argument parsing here,
//! real work in `binvault-parser` (and later the protocol and sink crates).
//!
//! Exit codes: 0 success; 1 bad usage or an I/O error (file missing, unreadable); 2 corrupt
//! or truncated data (everything before the damage was printed).

mod cmd;
mod render;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// MySQL/MariaDB binlog archiver and inspector.
#[derive(Debug, Parser)]
#[command(name = "binvault", version, about)]
struct Cli {
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
}

/// Logs go to stderr; `RUST_LOG` overrides the default level (info).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Inspect(args) => cmd::inspect::run(&args),
        Command::Stream(args) => cmd::stream::run(&args),
        Command::Verify(args) => cmd::verify::run(&args),
        Command::Status(args) => cmd::status::run(&args),
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
