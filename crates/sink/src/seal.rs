//! Sealing a finished binlog file: fsync, sha256, and optional gzip compression that is
//! verified (decompressed and hashed) before the original is removed.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

use crate::error::{io, Error, Result};
use crate::fs::sync_dir;
use crate::index::FileEntry;

/// Lower-case hex sha256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Lower-case hex of bytes.
pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let mut f = File::open(path).map_err(io("open", path))?;
    hash_reader(&mut f, path)
}

fn hash_reader(r: &mut impl Read, path: &Path) -> Result<(String, u64)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = r.read(&mut buf).map_err(io("read", path))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex(&h.finalize()), n))
}

/// The whole content of a `.gz` file.
pub fn gunzip(path: &Path) -> Result<Vec<u8>> {
    let f = File::open(path).map_err(io("open", path))?;
    let mut out = Vec::new();
    GzDecoder::new(f)
        .read_to_end(&mut out)
        .map_err(io("gunzip", path))?;
    Ok(out)
}

/// Seals `entry`'s file in `dir`: fsync, sha256 (and size) from the bytes on disk, then with
/// `compress` gzip to `NAME.gz` (see [`compress_copy`]) and the original removed.
pub fn seal(dir: &Path, entry: &mut FileEntry, compress: bool) -> Result<()> {
    seal_known(dir, entry, None)?;
    if !compress {
        return Ok(());
    }
    let sha = entry.sha256.clone().unwrap_or_default();
    compress_copy(dir, &entry.name, &sha, entry.size)?;
    replace_with_copy(dir, entry)
}

/// Seals without compressing: fsync, then the sha256 and size given (`known`: hashed while
/// the file was written) or else read back from the file.
pub fn seal_known(dir: &Path, entry: &mut FileEntry, known: Option<(String, u64)>) -> Result<()> {
    let path = dir.join(&entry.name);
    File::open(&path)
        .and_then(|f| f.sync_all())
        .map_err(io("fsync", &path))?;
    let (sha, size) = match known {
        Some(k) => k,
        None => sha256_file(&path)?,
    };
    entry.sha256 = Some(sha);
    entry.size = size;
    entry.sealed = true;
    Ok(())
}

/// Writes a verified gzip copy `NAME.gz` beside the sealed file `NAME` (whose sha256 and
/// size are given): compressed into a temporary file of its own, fsynced, decompressed
/// and compared by sha256, renamed into place, the directory fsynced. The original stays:
/// [`replace_with_copy`] removes it once the index says the copy is the file. Runs on a
/// background thread while the stream goes on.
pub fn compress_copy(dir: &Path, name: &str, sha: &str, size: u64) -> Result<()> {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let path = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    let tmp = dir.join(format!(
        "{name}.gz.{}-{}.tmp",
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let result = (|| {
        let mut src = File::open(&path).map_err(io("open", &path))?;
        let out = File::create(&tmp).map_err(io("create", &tmp))?;
        let mut enc = GzEncoder::new(out, flate2::Compression::default());
        std::io::copy(&mut src, &mut enc).map_err(io("gzip", &tmp))?;
        let out = enc.finish().map_err(io("gzip", &tmp))?;
        out.sync_all().map_err(io("fsync", &tmp))?;
        let f = File::open(&tmp).map_err(io("open", &tmp))?;
        let (check, n) = hash_reader(&mut GzDecoder::new(f), &tmp)?;
        if check != sha || n != size {
            return Err(Error::Corrupt {
                path: tmp.clone(),
                offset: 0,
                reason: "compressed copy does not decompress to the original".into(),
            });
        }
        std::fs::rename(&tmp, &gz).map_err(io("rename", &gz))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// After [`compress_copy`]: marks the entry compressed and removes the original. The
/// caller saves the index first when it matters which of the two a crash leaves
/// authoritative (see `Archive::open`).
pub fn remove_original(dir: &Path, name: &str) -> Result<()> {
    let path = dir.join(name);
    std::fs::remove_file(&path).map_err(io("remove", &path))?;
    sync_dir(dir)
}

fn replace_with_copy(dir: &Path, entry: &mut FileEntry) -> Result<()> {
    remove_original(dir, &entry.name)?;
    entry.compressed = true;
    Ok(())
}
