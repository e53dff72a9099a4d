//! Replays the fuzzing corpora in ordinary `cargo test`: every file under `fuzz/corpus/<target>/`
//! and `fuzz/regressions/<target>/` goes through `binvault_parser::fuzzing::<target>`, which
//! asserts the target's invariants. A missing or empty corpus folder fails the test, so it
//! cannot pass without checking anything.
//!
//! `write_seeds` (ignored; run by `fuzz/seed.sh`) builds the seed corpora from `testdata/`.

use binvault_parser::events::rows::RowsKind;
use binvault_parser::fuzzing;
use binvault_parser::header::BINLOG_MAGIC;
use binvault_parser::{EventData, SliceReader};
use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    v.sort();
    v
}

fn replay(target: &str, check: fn(&[u8])) {
    let corpus = root().join("fuzz/corpus").join(target);
    let regressions = root().join("fuzz/regressions").join(target);
    let corpus_files = files(&corpus);
    assert!(
        !corpus_files.is_empty(),
        "no corpus for the {target} fuzz target in {} (fuzz/seed.sh builds the seeds)",
        corpus.display()
    );
    let mut failures = Vec::new();
    let all: Vec<PathBuf> = corpus_files
        .into_iter()
        .chain(files(&regressions))
        .collect();
    for path in &all {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {msg}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {target} inputs fail:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn stream() {
    replay("stream", fuzzing::stream);
}

#[test]
fn event() {
    replay("event", fuzzing::event);
}

#[test]
fn rows() {
    replay("rows", fuzzing::rows);
}

#[test]
fn json() {
    replay("json", |d| {
        fuzzing::json(d);
    });
}

#[test]
fn decimal() {
    replay("decimal", fuzzing::decimal);
}

// ------------------------------------------------------------------------------------------
// Seeds

/// Every binlog under testdata/, decompressed.
fn testdata_binlogs() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let td = root().join("testdata");
    let Ok(rd) = std::fs::read_dir(&td) else {
        return out;
    };
    let mut dirs: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        for f in files(&dir) {
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !name.contains("-bin.") {
                continue;
            }
            let raw = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            let data = if name.ends_with(".gz") {
                let mut v = Vec::new();
                flate2::read::GzDecoder::new(&raw[..])
                    .read_to_end(&mut v)
                    .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                v
            } else {
                raw
            };
            if data.starts_with(&BINLOG_MAGIC) {
                let variant = dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.push((format!("{variant}-{name}"), data));
            }
        }
    }
    out
}

/// A tiny binary JSON encoder for the json seeds (MariaDB logs JSON as text, so testdata/ has none).
enum J {
    Null,
    Bool(bool),
    I16(i16),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(&'static str),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
    Opaque(u8, Vec<u8>),
}

fn var_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// (type, bytes): scalars and containers as they are stored after their type byte.
fn encode_json(v: &J) -> (u8, Vec<u8>) {
    match v {
        J::Null => (4, vec![0]),
        J::Bool(b) => (4, vec![if *b { 1 } else { 2 }]),
        J::I16(i) => (5, i.to_le_bytes().to_vec()),
        J::I64(i) => (9, i.to_le_bytes().to_vec()),
        J::U64(u) => (10, u.to_le_bytes().to_vec()),
        J::F64(f) => (11, f.to_le_bytes().to_vec()),
        J::Str(s) => {
            let mut b = Vec::new();
            var_len(&mut b, s.len());
            b.extend_from_slice(s.as_bytes());
            (12, b)
        }
        J::Opaque(t, data) => {
            let mut b = vec![*t];
            var_len(&mut b, data.len());
            b.extend_from_slice(data);
            (15, b)
        }
        J::Arr(items) => (2, container(None, items.iter().collect())),
        J::Obj(members) => (
            0,
            container(
                Some(members.iter().map(|(k, _)| *k).collect()),
                members.iter().map(|(_, v)| v).collect(),
            ),
        ),
    }
}

/// A small container (16-bit counts and offsets).
fn container(keys: Option<Vec<&str>>, values: Vec<&J>) -> Vec<u8> {
    let n = values.len();
    let nkeys = keys.as_ref().map_or(0, |k| k.len());
    let header = 4 + nkeys * 4 + n * 3;
    let mut tail = Vec::new();
    let mut key_entries = Vec::new();
    if let Some(keys) = &keys {
        for k in keys {
            key_entries.extend_from_slice(&((header + tail.len()) as u16).to_le_bytes());
            key_entries.extend_from_slice(&(k.len() as u16).to_le_bytes());
            tail.extend_from_slice(k.as_bytes());
        }
    }
    let mut value_entries = Vec::new();
    for v in values {
        let (t, bytes) = encode_json(v);
        value_entries.push(t);
        match t {
            4 => value_entries.extend_from_slice(&[bytes[0], 0]),
            5 => value_entries.extend_from_slice(&bytes),
            _ => {
                value_entries.extend_from_slice(&((header + tail.len()) as u16).to_le_bytes());
                tail.extend_from_slice(&bytes);
            }
        }
    }
    let size = header + tail.len();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&(size as u16).to_le_bytes());
    out.extend_from_slice(&key_entries);
    out.extend_from_slice(&value_entries);
    out.extend_from_slice(&tail);
    out
}

fn json_doc(v: &J) -> Vec<u8> {
    let (t, b) = encode_json(v);
    let mut out = vec![t];
    out.extend_from_slice(&b);
    out
}

/// Writes the seed corpora into `$FUZZ_SEED_OUT/<target>/` (default `fuzz/corpus`): whole
/// binlogs (stream), single events with their table map (event), table map + rows (rows),
/// hand-made binary JSON documents (json) and DECIMALs of many precisions (decimal).
#[test]
#[ignore = "writes files; run by fuzz/seed.sh"]
fn write_seeds() {
    let out =
        std::env::var_os("FUZZ_SEED_OUT").map_or_else(|| root().join("fuzz/corpus"), PathBuf::from);
    let mut seeds: HashMap<&str, BTreeSet<Vec<u8>>> = HashMap::new();
    let binlogs = testdata_binlogs();
    assert!(!binlogs.is_empty(), "no binlogs under testdata/");
    for (_, data) in &binlogs {
        // stream: small files whole, big ones cut at an event boundary near 64 KiB.
        let mut cut = data.len();
        if data.len() > 256 << 10 {
            cut = 4;
            for ev in SliceReader::new(data) {
                let Ok(ev) = ev else { break };
                if ev.end() > 64 << 10 {
                    break;
                }
                cut = ev.end() as usize;
            }
        }
        seeds
            .entry("stream")
            .or_default()
            .insert(data[..cut].to_vec());

        // event and rows
        let mut crc_flag = 0u8;
        let mut table_maps: HashMap<u64, Vec<u8>> = HashMap::new();
        let mut per_type: HashMap<u8, usize> = HashMap::new();
        let mut reader = SliceReader::new(data);
        while let Some(Ok(ev)) = reader.next() {
            let code = ev.header.type_code;
            match &ev.data {
                EventData::FormatDescription(fde) => {
                    // fuzzing::event flags: MariaDB FDE, algorithm CRC32 (0) or OFF (bit 2)
                    crc_flag = if fde.checksum() == binvault_parser::ChecksumAlg::Crc32 {
                        0
                    } else {
                        4
                    };
                    continue;
                }
                EventData::TableMap(tm) => {
                    table_maps.insert(tm.table_id, ev.raw.to_vec());
                }
                _ => {}
            }
            let n = per_type.entry(code).or_default();
            *n += 1;
            if *n > 12 || ev.raw.len() > 64 << 10 {
                continue;
            }
            let mut seed = vec![crc_flag, 0];
            if let EventData::Rows(r) = &ev.data {
                if let Some(tm) = table_maps.get(&r.table_id) {
                    seed.extend_from_slice(tm);
                }
            }
            seed.extend_from_slice(ev.raw);
            seeds.entry("event").or_default().insert(seed);

            if let EventData::Rows(r) = &ev.data {
                let (Some(tm_raw), Some(_)) = (table_maps.get(&r.table_id), &r.table) else {
                    continue;
                };
                let kind = match (r.kind, code) {
                    (RowsKind::PartialUpdate, _) => 3,
                    (k, 23..=25 | 166..=168) => 4 + k as u8,
                    (k, _) => k as u8,
                };
                // The TABLE_MAP again (the reader's decoder keeps only the owned table info).
                let mut d =
                    binvault_parser::Decoder::with_format(reader.decoder().format().clone());
                let Ok(tm_ev) = d.decode(0, tm_raw) else {
                    continue;
                };
                let EventData::TableMap(tm) = &tm_ev.data else {
                    continue;
                };
                let mut part = Vec::new();
                lenenc(&mut part, r.column_count);
                part.extend_from_slice(r.columns_before);
                if matches!(r.kind, RowsKind::Update | RowsKind::PartialUpdate) {
                    part.extend_from_slice(r.columns_after);
                }
                part.extend_from_slice(&r.rows_data);
                if let Some(s) = fuzzing::rows_input(tm, kind, &part) {
                    seeds.entry("rows").or_default().insert(s);
                }
            }
        }
    }

    // json: hand-made documents.
    let docs = [
        J::Null,
        J::Bool(true),
        J::I16(-7),
        J::I64(-9_000_000_000),
        J::U64(u64::MAX),
        J::F64(3.25e-7),
        J::Str("héllo \"world\"\n"),
        J::Arr(vec![
            J::I16(1),
            J::Str("x"),
            J::Bool(false),
            J::Null,
            J::F64(1.5),
        ]),
        J::Obj(vec![
            ("a", J::I16(1)),
            ("b", J::Arr(vec![J::Bool(true), J::Null])),
            ("c", J::Str("d")),
        ]),
        J::Obj(vec![(
            "nested",
            J::Obj(vec![(
                "deep",
                J::Arr(vec![J::Obj(vec![("k", J::U64(42))])]),
            )]),
        )]),
        J::Opaque(246, vec![5, 2, 0x80, 0x01, 0x02]), // DECIMAL(5,2) 1.02
        J::Opaque(12, 0x1998_8000_0000_0000u64.to_le_bytes().to_vec()), // DATETIME
        J::Opaque(10, 0x1998_8000_0000_0000u64.to_le_bytes().to_vec()), // DATE
        J::Opaque(11, 0x0000_0100_0000_0000u64.to_le_bytes().to_vec()), // TIME
        J::Opaque(252, b"\x00\x01\xfe\xff blob".to_vec()),
    ];
    for d in &docs {
        seeds.entry("json").or_default().insert(json_doc(d));
    }
    seeds.entry("json").or_default().insert(Vec::new());

    // decimal: [precision - 1, scale, bytes] (see fuzzing::decimal).
    let values = [
        "0",
        "1",
        "-1",
        "12345678901234567890123456789",
        "-0.5",
        "3.14159",
        "99999.99999",
        "-123456789.987654321",
    ];
    for (p, s) in [
        (1u8, 0u8),
        (4, 2),
        (5, 5),
        (10, 2),
        (10, 4),
        (18, 9),
        (19, 10),
        (20, 5),
        (38, 30),
        (65, 0),
        (65, 30),
    ] {
        for v in values {
            let text = fit_decimal(v, p, s);
            if let Some(bin) = fuzzing::encode_decimal(&text, p, s) {
                let mut seed = vec![p - 1, s];
                seed.extend_from_slice(&bin);
                seeds.entry("decimal").or_default().insert(seed);
            }
        }
    }

    for (target, set) in &seeds {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for s in set {
            let name = format!("seed-{:08x}", crc32fast::hash(s));
            std::fs::write(dir.join(name), s).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        eprintln!("{target}: {} seeds in {}", set.len(), dir.display());
    }
}

/// `v` as the text of a DECIMAL(p, s): integer digits cut to `p - s`, fraction padded/cut to `s`.
fn fit_decimal(v: &str, p: u8, s: u8) -> String {
    let (neg, t) = v.strip_prefix('-').map_or((false, v), |r| (true, r));
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let intg = usize::from(p - s);
    let int = &int[int.len().saturating_sub(intg)..];
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut frac: String = frac.chars().take(usize::from(s)).collect();
    while frac.len() < usize::from(s) {
        frac.push('0');
    }
    let sign = if neg { "-" } else { "" };
    if s == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

fn lenenc(out: &mut Vec<u8>, n: usize) {
    if n < 251 {
        out.push(n as u8);
    } else {
        out.push(0xfc);
        out.extend_from_slice(&(n as u16).to_le_bytes());
    }
}
