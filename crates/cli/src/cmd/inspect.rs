//! `binvault inspect [--format text|json] FILE...`: decode binlog files.

use crate::render::{JsonRenderer, Renderer, TextRenderer};
use anyhow::Context;
use binvault_parser::BinlogReader;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people, like `mysqlbinlog --verbose`.
    Text,
    /// One JSON object per event per line.
    Json,
}

/// Arguments of `inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Do not verify CRC32 checksums.
    #[arg(long)]
    pub no_verify_checksums: bool,
    /// Binlog files (`.gz` files are decompressed on the fly).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let mut failed = false;
    for path in &args.files {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let input: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
                1 << 16,
                file,
            )))
        } else {
            Box::new(BufReader::with_capacity(1 << 16, file))
        };
        let name = path.display().to_string();
        let mut reader = BinlogReader::new(input);
        let mut opts = reader.decoder().options().clone();
        opts.verify_checksums = !args.no_verify_checksums;
        reader.decoder_mut().set_options(opts);
        let result = match args.format {
            Format::Json => JsonRenderer::new(&name).render_all(&mut reader, &mut out),
            Format::Text => TextRenderer::new(&name).render_all(&mut reader, &mut out),
        };
        match result {
            Ok(()) => {}
            Err(crate::render::RenderError::Io(e)) => return Err(e.into()),
            Err(crate::render::RenderError::Data(e)) => {
                out.flush()?;
                eprintln!("binvault: {name}: {e}");
                failed = true;
            }
        }
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
