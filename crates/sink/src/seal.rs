//! Sealing a finished binlog file: fsync, sha256, and optional gzip compression that is
//! verified (decompressed and hashed) before the original is removed.

use std::fs::File;
use std::io::{Read, Write};
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

fn hex(b: &[u8]) -> String {
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
/// `compress` gzip to `NAME.gz` (written, fsynced, decompressed and compared by sha256,
/// renamed into place, directory fsynced), and only then the original removed.
pub fn seal(dir: &Path, entry: &mut FileEntry, compress: bool) -> Result<()> {
    let path = dir.join(&entry.name);
    File::open(&path)
        .and_then(|f| f.sync_all())
        .map_err(io("fsync", &path))?;
    let (sha, size) = sha256_file(&path)?;
    entry.sha256 = Some(sha.clone());
    entry.size = size;
    entry.sealed = true;
    if !compress {
        return Ok(());
    }
    let gz = dir.join(format!("{}.gz", entry.name));
    let tmp = dir.join(format!("{}.gz.tmp", entry.name));
    {
        let mut src = File::open(&path).map_err(io("open", &path))?;
        let out = File::create(&tmp).map_err(io("create", &tmp))?;
        let mut enc = GzEncoder::new(out, flate2::Compression::default());
        std::io::copy(&mut src, &mut enc).map_err(io("gzip", &tmp))?;
        let out = enc.finish().map_err(io("gzip", &tmp))?;
        out.sync_all().map_err(io("fsync", &tmp))?;
    }
    let f = File::open(&tmp).map_err(io("open", &tmp))?;
    let (check, n) = hash_reader(&mut GzDecoder::new(f), &tmp)?;
    if check != sha || n != size {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Corrupt {
            path: tmp,
            offset: 0,
            reason: "compressed copy does not decompress to the original".into(),
        });
    }
    std::fs::rename(&tmp, &gz).map_err(io("rename", &gz))?;
    sync_dir(dir)?;
    std::fs::remove_file(&path).map_err(io("remove", &path))?;
    sync_dir(dir)?;
    entry.compressed = true;
    let _ = Write::flush(&mut std::io::sink());
    Ok(())
}
