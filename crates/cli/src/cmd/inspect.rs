//! `binvault inspect [--format text|json] FILE...`: decode binlog files.

use super::Format;
use crate::render::{JsonRenderer, Renderer, TextRenderer};
use anyhow::Context;
use binvault_parser::BinlogReader;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `inspect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format: text (like `mysqlbinlog --verbose`) or json (one object per event per line).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Do not verify CRC32 checksums.
    #[arg(long)]
    pub no_verify_checksums: bool,
    /// Binlog files (`.gz` files are decompressed on the fly), or archive directories (an
    /// archive root or one server's directory: its files in stream order, holes skipped).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// One file to decode, and the ranges the source skipped (zeros in an archived file).
struct Input {
    path: PathBuf,
    holes: Vec<[u64; 2]>,
}

/// Expands archive directories into their files, in stream order.
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<Input>> {
    let mut out = Vec::new();
    for path in paths {
        if !path.is_dir() {
            out.push(Input {
                path: path.clone(),
                holes: Vec::new(),
            });
            continue;
        }
        let mut servers = Vec::new();
        if path.join(binvault_sink::index::INDEX_FILE).exists() {
            servers.push(path.clone());
        } else {
            let mut subdirs: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot list {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join(binvault_sink::index::INDEX_FILE).exists())
                .collect();
            subdirs.sort();
            servers.extend(subdirs);
        }
        if servers.is_empty() {
            anyhow::bail!(
                "{} is a directory but not a binvault archive (no index.json)",
                path.display()
            );
        }
        for dir in servers {
            let index = binvault_sink::index::Index::load(&dir)?
                .with_context(|| format!("{}: no index", dir.display()))?;
            for f in index.files {
                out.push(Input {
                    path: dir.join(f.stored_name()),
                    holes: f.holes,
                });
            }
        }
    }
    Ok(out)
}

fn open(path: &std::path::Path) -> anyhow::Result<Box<dyn Read>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            1 << 16,
            file,
        )))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, file))
    })
}

/// Skips `n` bytes of a reader (a hole).
fn skip(r: &mut dyn Read, n: u64) -> io::Result<()> {
    let copied = io::copy(&mut r.take(n), &mut io::sink())?;
    if copied < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "file ends inside a recorded hole",
        ));
    }
    Ok(())
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let mut failed = false;
    for input in expand(&args.files)? {
        let name = input.path.display().to_string();
        let mut raw = open(&input.path)?;
        // Segments between holes: the first with the magic, the others events only, decoded
        // with the format learnt from the first.
        let mut decoder: Option<binvault_parser::Decoder> = None;
        let mut at = 0u64;
        let mut bounds: Vec<(u64, Option<u64>)> = Vec::new();
        for h in &input.holes {
            bounds.push((at, Some(h[0])));
            at = h[1];
        }
        bounds.push((at, None));
        for (start, end) in bounds {
            let len = end.map_or(u64::MAX, |e| e.saturating_sub(start));
            let segment: Box<dyn Read + '_> = Box::new((&mut raw).take(len));
            let mut reader = match decoder.take() {
                None => BinlogReader::new(segment),
                Some(d) => BinlogReader::events_only(segment, d, start),
            };
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
                    break;
                }
            }
            decoder = Some(reader.decoder().clone());
            drop(reader);
            if let Some(e) = end {
                let next = input.holes.iter().find(|h| h[0] == e).map_or(e, |h| h[1]);
                skip(&mut raw, next - e)?;
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
