//! Byte-for-byte file comparison.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use anyhow::{bail, Context};

/// Compares two files byte for byte.
///
/// Returns `Ok(())` when they are identical. Otherwise the error names both paths, both lengths
/// and the offset of the first differing byte (with the two byte values); when one file is a
/// prefix of the other, the offset is the shorter file's length.
///
/// Reads both files in chunks, so large binlogs are fine.
pub fn cmp_files(a: impl AsRef<Path>, b: impl AsRef<Path>) -> anyhow::Result<()> {
    let (a, b) = (a.as_ref(), b.as_ref());
    let fa = File::open(a).with_context(|| format!("cmp_files: open {}", a.display()))?;
    let fb = File::open(b).with_context(|| format!("cmp_files: open {}", b.display()))?;
    let len_a = fa
        .metadata()
        .with_context(|| format!("cmp_files: stat {}", a.display()))?
        .len();
    let len_b = fb
        .metadata()
        .with_context(|| format!("cmp_files: stat {}", b.display()))?
        .len();
    let mut ra = BufReader::with_capacity(1 << 16, fa);
    let mut rb = BufReader::with_capacity(1 << 16, fb);
    let mut buf_a = vec![0u8; 1 << 16];
    let mut buf_b = vec![0u8; 1 << 16];
    let mut offset: u64 = 0;
    loop {
        let na = read_full(&mut ra, &mut buf_a)
            .with_context(|| format!("cmp_files: read {}", a.display()))?;
        let nb = read_full(&mut rb, &mut buf_b)
            .with_context(|| format!("cmp_files: read {}", b.display()))?;
        let n = na.min(nb);
        if let Some(i) = buf_a[..n].iter().zip(&buf_b[..n]).position(|(x, y)| x != y) {
            bail!(
                "files differ: {} ({} bytes) vs {} ({} bytes): first difference at byte offset {} (0x{:x}): 0x{:02x} vs 0x{:02x}",
                a.display(),
                len_a,
                b.display(),
                len_b,
                offset + i as u64,
                offset + i as u64,
                buf_a[i],
                buf_b[i]
            );
        }
        offset += n as u64;
        if na != nb {
            bail!(
                "files differ: {} ({} bytes) vs {} ({} bytes): first difference at byte offset {} (0x{:x}): {} ends there",
                a.display(),
                len_a,
                b.display(),
                len_b,
                offset,
                offset,
                if na < nb { a.display() } else { b.display() }
            );
        }
        if na == 0 {
            return Ok(());
        }
    }
}

/// Reads until `buf` is full or the end of the file; returns the number of bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Checks an archive directory of `server`'s binlogs: every file but the source's last
/// (open) one is byte-identical ([`cmp_files`]); the open one's archived copy is a prefix of
/// it holding more than the magic, compared with the format description's
/// `LOG_EVENT_BINLOG_IN_USE_F` bit masked (the source sets it in its open file and clears it
/// when it sends the event). The first `skip` source files are not checked.
pub fn assert_archived_copies(
    server: &crate::MariaDb,
    archived: &Path,
    skip: usize,
) -> anyhow::Result<()> {
    let files = server.binlog_files()?;
    let last = files.len().saturating_sub(1);
    for (i, src) in files.iter().enumerate().skip(skip) {
        let name = src.file_name().context("binlog file without a name")?;
        let ours = archived.join(name);
        if i < last {
            cmp_files(src, &ours)?;
            continue;
        }
        let mut a = std::fs::read(src).with_context(|| format!("read {}", src.display()))?;
        let mut b = std::fs::read(&ours).with_context(|| format!("read {}", ours.display()))?;
        if a.len() > 21 && b.len() > 21 {
            a[21] &= !1;
            b[21] &= !1;
        }
        if !(b.len() > 4 && a.starts_with(&b)) {
            bail!(
                "{}: the open file's archived copy ({} bytes) is not a prefix of the source's ({} bytes)",
                ours.display(),
                b.len(),
                a.len()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_and_different_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(p("a"), &big).unwrap();
        std::fs::write(p("b"), &big).unwrap();
        cmp_files(p("a"), p("b")).unwrap();

        let mut changed = big.clone();
        changed[150_001] ^= 0xff;
        std::fs::write(p("c"), &changed).unwrap();
        let err = cmp_files(p("a"), p("c")).unwrap_err().to_string();
        assert!(err.contains("byte offset 150001 "), "{err}");
        assert!(err.contains("200000 bytes"), "{err}");

        std::fs::write(p("d"), &big[..70_000]).unwrap();
        let err = cmp_files(p("a"), p("d")).unwrap_err().to_string();
        assert!(err.contains("byte offset 70000 "), "{err}");
        assert!(err.contains("(70000 bytes)"), "{err}");
        assert!(err.ends_with("d ends there"), "{err}");

        std::fs::write(p("e"), b"").unwrap();
        std::fs::write(p("f"), b"").unwrap();
        cmp_files(p("e"), p("f")).unwrap();
        assert!(cmp_files(p("e"), p("missing")).is_err());
    }
}
