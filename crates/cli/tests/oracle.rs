//! Oracle test: every row value that `binvault inspect --format json` decodes from the binlogs under
//! `testdata/` (and the shared samples in `../shared/testdata/mariadb-10.11`) must equal what MariaDB's own
//! `mariadb-binlog -vv --base64-output=DECODE-ROWS` prints for the same file.
//!
//! * The oracle is run live: `TZ=UTC mariadb-binlog --no-defaults -vv --print-table-metadata
//!   --base64-output=DECODE-ROWS FILE` (`--print-table-metadata` only adds `# Columns(...)` comments, from which
//!   the UNSIGNED flags are taken). Override the tool with `BINVAULT_ORACLE_TOOL=/path/to/mariadb-binlog`.
//! * `.gz` binlogs are gunzipped into a temporary directory first; any file starting with the binlog magic
//!   `fe 62 69 6e` is a binlog (so `.in-use` / `.pulled-while-active` copies are included).
//! * Rows are matched by position: the rows events of one statement (a "group", see `oracle/vv.rs`) are looked
//!   up by their `# at` offsets among binvault's events (`pos`), and their rows are compared in order, column by
//!   column (`@N` = key "N"), before and after images. Normalisation rules: `oracle/compare.rs`.
//! * The comparison is strict: every mismatch is counted, the first 20 are printed (file, pos, row, column, type,
//!   expected, actual) and the test fails; it also fails unless the number of compared values equals the number
//!   of `@N=` lines the oracle printed and is > 0, so it cannot pass vacuously.
//! * Shared samples also carry stored oracle output (`FILE.decoded-vv.txt`, made without
//!   `--print-table-metadata`); those are compared too (integer signedness then accepts either reading).
//! * Missing `mariadb-binlog` or missing shared folder: the test fails when `CI=true`, otherwise it is skipped
//!   with a loud warning (`scripts/install-test-deps.sh` installs the tool).

// Test code: a panic is a test failure, so unwrap/expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// helpers in tests/oracle/ (a subfolder without main.rs is not a test target of its own)
#[path = "oracle/compare.rs"]
mod compare;
#[path = "oracle/vv.rs"]
mod vv;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use compare::Matched;
use serde_json::Value;
use vv::{Cell, OracleOutput, RowKind};

const BINLOG_MAGIC: &[u8; 4] = b"\xfebin";
/// How many mismatches to print (override with BINVAULT_ORACLE_SHOW=N).
fn max_shown() -> usize {
    std::env::var("BINVAULT_ORACLE_SHOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Writes to the real stderr: the test harness captures `eprintln!` of passing tests, which would hide a skip.
fn uncaptured(msg: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(msg.as_bytes());
}

fn loud_skip(what: &str) {
    let bar = "!".repeat(100);
    uncaptured(&format!(
        "\n{bar}\n!!! WARNING: oracle test SKIPPED: {what}\n!!! (set CI=true to turn this into a failure; scripts/install-test-deps.sh installs mariadb-binlog)\n{bar}\n\n"
    ));
}

fn oracle_tool() -> Option<String> {
    let tool =
        std::env::var("BINVAULT_ORACLE_TOOL").unwrap_or_else(|_| "mariadb-binlog".to_string());
    let ok = Command::new(&tool)
        .arg("--no-defaults")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(tool)
}

fn tmp_dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("oracle-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

/// A binlog to check: `path` is the readable file (gunzipped copy for .gz), `label` the name to report.
struct Binlog {
    label: String,
    path: PathBuf,
    /// stored oracle output next to the original file (`FILE.decoded-vv.txt`), if any
    stored_oracle: Option<PathBuf>,
}

fn collect_binlogs(dir: &Path, label_root: &Path, tmp: &Path, out: &mut Vec<Binlog>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_binlogs(&p, label_root, tmp, out);
            continue;
        }
        let label = p
            .strip_prefix(label_root)
            .unwrap_or(&p)
            .display()
            .to_string();
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if let Some(stem) = name.strip_suffix(".gz") {
            let mut head = [0u8; 4];
            let mut gz = flate2::read::GzDecoder::new(std::fs::File::open(&p).expect("open .gz"));
            if gz.read_exact(&mut head).is_err() || &head != BINLOG_MAGIC {
                continue;
            }
            let dst = tmp.join(label.replace('/', "__").trim_end_matches(".gz"));
            let mut gz = flate2::read::GzDecoder::new(std::fs::File::open(&p).expect("open .gz"));
            let mut f = std::fs::File::create(&dst).expect("create gunzip target");
            std::io::copy(&mut gz, &mut f)
                .unwrap_or_else(|e| panic!("gunzip {}: {e}", p.display()));
            let stored = p.with_file_name(format!("{stem}.decoded-vv.txt"));
            out.push(Binlog {
                label,
                path: dst,
                stored_oracle: stored.exists().then_some(stored),
            });
        } else {
            let mut head = [0u8; 4];
            let is_binlog = std::fs::File::open(&p)
                .and_then(|mut f| f.read_exact(&mut head))
                .is_ok()
                && &head == BINLOG_MAGIC;
            if !is_binlog {
                continue;
            }
            let stored = p.with_file_name(format!("{name}.decoded-vv.txt"));
            out.push(Binlog {
                label,
                path: p.clone(),
                stored_oracle: stored.exists().then_some(stored),
            });
        }
    }
}

fn run_oracle(tool: &str, file: &Path) -> Result<Vec<u8>, String> {
    let out = Command::new(tool)
        .env("TZ", "UTC")
        .args([
            "--no-defaults",
            "-vv",
            "--print-table-metadata",
            "--base64-output=DECODE-ROWS",
        ])
        .arg(file)
        .output()
        .map_err(|e| format!("cannot run {tool}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{tool} failed ({}) on {}: {}",
            out.status,
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

/// Runs `binvault inspect --format json FILE`; returns the events (one JSON object per line) and an error
/// description when the command failed or printed something that is not a JSON object.
fn run_binvault(file: &Path) -> (Vec<Value>, Option<String>) {
    let out = match Command::new(env!("CARGO_BIN_EXE_binvault"))
        .env("TZ", "UTC")
        .args(["inspect", "--format", "json"])
        .arg(file)
        .output()
    {
        Ok(o) => o,
        Err(e) => return (Vec::new(), Some(format!("cannot run binvault: {e}"))),
    };
    let mut events = Vec::new();
    let mut problem = None;
    for (i, line) in out.stdout.split(|&c| c == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(v @ Value::Object(_)) => events.push(v),
            Ok(_) | Err(_) => {
                problem.get_or_insert_with(|| {
                    format!(
                        "stdout line {} is not a JSON object: {}",
                        i + 1,
                        String::from_utf8_lossy(&line[..line.len().min(200)])
                    )
                });
            }
        }
    }
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        problem = Some(format!(
            "binvault inspect exited with {} after {} events; stderr: {}",
            out.status,
            events.len(),
            stderr.chars().take(600).collect::<String>()
        ));
    }
    (events, problem)
}

#[derive(Default)]
struct Report {
    files: usize,
    rows_events: usize,
    rows: usize,
    /// values compared (equal or not); must equal `oracle_value_lines`
    checked: usize,
    oracle_value_lines: usize,
    value_mismatches: usize,
    /// structural problems: missing/extra events or rows, wrong table, missing/extra columns, tool failures
    problems: usize,
    matched: BTreeMap<Matched, usize>,
    by_type: BTreeMap<String, usize>,
    shown: Vec<String>,
}

impl Report {
    fn problem(&mut self, msg: String) {
        self.problems += 1;
        if self.shown.len() < max_shown() {
            self.shown.push(format!("PROBLEM {msg}"));
        }
    }
    fn mismatch(&mut self, msg: String) {
        self.value_mismatches += 1;
        if self.shown.len() < max_shown() {
            self.shown.push(format!("MISMATCH {msg}"));
        }
    }
}

fn num_field(v: &Value, k: &str) -> Option<u64> {
    v.get(k).and_then(Value::as_u64)
}

fn image_of<'a>(row: &'a Value, k: &str) -> Option<&'a serde_json::Map<String, Value>> {
    row.get(k).and_then(Value::as_object)
}

/// Compares one file: oracle output vs binvault events.
fn compare_file(label: &str, oracle: &OracleOutput, events: &[Value], rep: &mut Report) {
    rep.files += 1;
    rep.oracle_value_lines += oracle.value_lines;
    let by_pos: HashMap<u64, &Value> = events
        .iter()
        .filter_map(|e| Some((num_field(e, "pos")?, e)))
        .collect();

    // framing: every event the oracle printed must be at the same offsets in binvault's output
    for h in &oracle.events {
        match by_pos.get(&h.pos) {
            None => rep.problem(format!(
                "{label} pos {}: binvault has no event there (oracle: {} ending at {})",
                h.pos, h.name, h.end
            )),
            Some(e) if num_field(e, "end") != Some(h.end) => rep.problem(format!(
                "{label} pos {}: binvault end {:?} != oracle end_log_pos {} ({})",
                h.pos,
                e.get("end"),
                h.end,
                h.name
            )),
            Some(_) => {}
        }
    }

    let mut covered: std::collections::HashSet<u64> = Default::default();
    for g in &oracle.groups {
        // binvault rows of the group's events, in order
        let mut brows: Vec<(u64, usize, &Value, &Value)> = Vec::new();
        for h in &g.events {
            covered.insert(h.pos);
            rep.rows_events += 1;
            let Some(ev) = by_pos.get(&h.pos) else {
                continue;
            }; // reported above
            let ty = ev
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_lowercase();
            let verb = h.name.split('_').next().unwrap_or("").to_ascii_lowercase();
            if !ty.contains(&verb)
                || !ty.contains("rows")
                || (h.name.contains("compressed") && !ty.contains("compress"))
            {
                rep.problem(format!(
                    "{label} pos {}: binvault type {ty:?} for oracle {}",
                    h.pos, h.name
                ));
            }
            match ev.get("rows").and_then(Value::as_array) {
                Some(rows) => {
                    brows.extend(rows.iter().enumerate().map(|(i, r)| (h.pos, i, r, *ev)))
                }
                None => rep.problem(format!(
                    "{label} pos {}: binvault {ty:?} event has no \"rows\" list",
                    h.pos
                )),
            }
        }
        if brows.len() != g.rows.len() {
            rep.problem(format!(
                "{label} pos {:?}: oracle printed {} rows for this statement's rows events, binvault {}",
                g.events.iter().map(|e| e.pos).collect::<Vec<_>>(),
                g.rows.len(),
                brows.len()
            ));
        }
        for (i, orow) in g.rows.iter().enumerate() {
            rep.rows += 1;
            let Some(&(pos, ri, brow, ev)) = brows.get(i) else {
                // no binvault row to compare with: every oracle value of this row is a mismatch
                let n = orow.before.as_ref().map_or(0, Vec::len)
                    + orow.after.as_ref().map_or(0, Vec::len);
                rep.checked += n;
                rep.value_mismatches += n;
                continue;
            };
            let schema = ev.get("schema").and_then(Value::as_str);
            let table = ev.get("table").and_then(Value::as_str);
            if schema != Some(orow.schema.as_str()) || table != Some(orow.table.as_str()) {
                rep.problem(format!(
                    "{label} pos {pos} row {ri}: binvault table {schema:?}.{table:?}, oracle `{}`.`{}`",
                    orow.schema, orow.table
                ));
            }
            let kind = match orow.kind {
                RowKind::Insert => "insert",
                RowKind::Update => "update",
                RowKind::Delete => "delete",
            };
            for (img_name, cells) in [("before", &orow.before), ("after", &orow.after)] {
                let bimg = image_of(brow, img_name);
                let Some(cells) = cells else {
                    if brow.get(img_name).is_some_and(|v| !v.is_null()) {
                        rep.problem(format!("{label} pos {pos} row {ri} ({kind}): binvault has a {img_name} image, the oracle none"));
                    }
                    continue;
                };
                let Some(bimg) = bimg else {
                    rep.problem(format!("{label} pos {pos} row {ri} ({kind}): binvault has no {img_name} image object"));
                    rep.checked += cells.len();
                    rep.value_mismatches += cells.len();
                    continue;
                };
                for c in cells {
                    rep.checked += 1;
                    *rep.by_type.entry(type_family(&c.type_name)).or_default() += 1;
                    let at = format!(
                        "{label} pos {pos} row {ri} {img_name} @{} ({}{}, oracle line {})",
                        c.col,
                        c.type_name,
                        match c.unsigned {
                            Some(true) => " unsigned",
                            _ => "",
                        },
                        c.line
                    );
                    let Some(actual) = bimg.get(&c.col.to_string()) else {
                        rep.mismatch(format!(
                            "{at}: column missing in binvault's image (expected {})",
                            show_cell(c)
                        ));
                        continue;
                    };
                    match compare::expected(c) {
                        Err(e) => rep.mismatch(format!(
                            "{at}: cannot interpret oracle value {}: {e}",
                            show_cell(c)
                        )),
                        Ok(exp) => match compare::check(&exp, actual) {
                            Ok(m) => *rep.matched.entry(m).or_default() += 1,
                            Err(e) => rep.mismatch(format!("{at}: {e}")),
                        },
                    }
                }
                let known: std::collections::HashSet<String> =
                    cells.iter().map(|c| c.col.to_string()).collect();
                let extra: Vec<&String> = bimg.keys().filter(|k| !known.contains(*k)).collect();
                if !extra.is_empty() {
                    rep.problem(format!("{label} pos {pos} row {ri} {img_name}: binvault has columns {extra:?} the oracle does not print"));
                }
            }
        }
    }
    // rows events that binvault decoded but the oracle printed no rows for
    for e in events {
        if e.get("rows").is_some_and(Value::is_array) {
            let pos = num_field(e, "pos").unwrap_or(0);
            if !covered.contains(&pos) {
                rep.problem(format!(
                    "{label} pos {pos}: binvault rows event {:?} has no oracle counterpart",
                    e.get("type")
                ));
            }
        }
    }
}

fn type_family(t: &str) -> String {
    let base = t.strip_suffix(" COMPRESSED").unwrap_or(t);
    let base = base.split('(').next().unwrap_or(base);
    if t.ends_with(" COMPRESSED") {
        format!("{base} COMPRESSED")
    } else {
        base.to_string()
    }
}

fn show_cell(c: &Cell) -> String {
    compare::show_bytes(&c.raw)
}

fn summarize(title: &str, rep: &Report) -> String {
    format!(
        "{title}: {} files, {} rows events, {} rows, {} values compared ({} @N lines in the oracle output), \
         {} value mismatches, {} other problems\n  matched: {:?}\n  values by oracle type: {:?}",
        rep.files,
        rep.rows_events,
        rep.rows,
        rep.checked,
        rep.oracle_value_lines,
        rep.value_mismatches,
        rep.problems,
        rep.matched,
        rep.by_type
    )
}

fn assert_report(title: &str, rep: &Report) {
    let summary = summarize(title, rep);
    uncaptured(&format!("{summary}\n"));
    let mut failures = Vec::new();
    if rep.checked == 0 {
        failures.push("no values were compared".to_string());
    }
    if rep.checked != rep.oracle_value_lines {
        failures.push(format!(
            "compared {} values but the oracle printed {} @N lines",
            rep.checked, rep.oracle_value_lines
        ));
    }
    if rep.value_mismatches + rep.problems > 0 {
        failures.push(format!(
            "{} value mismatches and {} other problems; first {}:\n    {}",
            rep.value_mismatches,
            rep.problems,
            rep.shown.len(),
            rep.shown.join("\n    ")
        ));
    }
    assert!(failures.is_empty(), "{summary}\n{}", failures.join("\n"));
}

fn check_live(title: &str, tool: &str, binlogs: &[Binlog], rep: &mut Report) {
    for b in binlogs {
        let raw = match run_oracle(tool, &b.path) {
            Ok(r) => r,
            Err(e) => {
                rep.problem(format!("{}: {e}", b.label));
                continue;
            }
        };
        let oracle = match vv::parse(&raw) {
            Ok(o) => o,
            Err(e) => {
                rep.problem(format!("{}: cannot parse the oracle output: {e}", b.label));
                continue;
            }
        };
        drop(raw);
        let (events, problem) = run_binvault(&b.path);
        if let Some(p) = problem {
            rep.problem(format!("{}: {p}", b.label));
        }
        let before = (rep.checked, rep.value_mismatches, rep.problems);
        compare_file(&b.label, &oracle, &events, rep);
        eprintln!(
            "[{title}] {}: {} events, {} rows groups, {} values compared, {} mismatches, {} problems",
            b.label,
            events.len(),
            oracle.groups.len(),
            rep.checked - before.0,
            rep.value_mismatches - before.1,
            rep.problems - before.2
        );
    }
}

fn check_stored(title: &str, binlogs: &[Binlog], rep: &mut Report) {
    for b in binlogs {
        let Some(txt) = &b.stored_oracle else {
            continue;
        };
        let raw = std::fs::read(txt).unwrap_or_else(|e| panic!("read {}: {e}", txt.display()));
        let oracle = match vv::parse(&raw) {
            Ok(o) => o,
            Err(e) => {
                rep.problem(format!("{}: cannot parse {}: {e}", b.label, txt.display()));
                continue;
            }
        };
        let (events, problem) = run_binvault(&b.path);
        if let Some(p) = problem {
            rep.problem(format!("{}: {p}", b.label));
        }
        let label = format!("{} [stored .decoded-vv.txt]", b.label);
        let before = (rep.checked, rep.value_mismatches, rep.problems);
        compare_file(&label, &oracle, &events, rep);
        eprintln!(
            "[{title}] {label}: {} values compared, {} mismatches, {} problems",
            rep.checked - before.0,
            rep.value_mismatches - before.1,
            rep.problems - before.2
        );
    }
}

#[test]
fn rows_match_oracle_on_testdata() {
    let root = workspace_root().join("testdata");
    let tmp = tmp_dir("testdata");
    let mut binlogs = Vec::new();
    collect_binlogs(&root, &root, &tmp, &mut binlogs);
    assert!(
        !binlogs.is_empty(),
        "no binlogs under {} (run testdata/generate.sh)",
        root.display()
    );
    let Some(tool) = oracle_tool() else {
        let msg = "mariadb-binlog not found (or BINVAULT_ORACLE_TOOL not runnable)";
        if is_ci() {
            panic!(
                "{msg}: it is required under CI=true; install it with scripts/install-test-deps.sh"
            );
        }
        loud_skip(msg);
        let _ = std::fs::remove_dir_all(&tmp);
        return;
    };
    let mut rep = Report::default();
    check_live("testdata", &tool, &binlogs, &mut rep);
    let _ = std::fs::remove_dir_all(&tmp);
    assert_report("testdata vs mariadb-binlog", &rep);
}

#[test]
fn rows_match_oracle_on_shared_testdata() {
    let dir = std::env::var_os("BINVAULT_SHARED_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/testdata/mariadb-10.11"));
    if !dir.is_dir() {
        let msg = format!("shared sample folder {} is absent", dir.display());
        if is_ci() {
            panic!("{msg} (required under CI=true; or point BINVAULT_SHARED_TESTDATA at it)");
        }
        loud_skip(&msg);
        return;
    }
    let tmp = tmp_dir("shared");
    let mut binlogs = Vec::new();
    collect_binlogs(&dir, &dir, &tmp, &mut binlogs);
    assert!(!binlogs.is_empty(), "no binlogs under {}", dir.display());
    let mut rep = Report::default();
    match oracle_tool() {
        Some(tool) => check_live("shared", &tool, &binlogs, &mut rep),
        None => {
            let msg = "mariadb-binlog not found: shared binlogs are checked only against their stored .decoded-vv.txt";
            if is_ci() {
                panic!("{msg}; the tool is required under CI=true (scripts/install-test-deps.sh)");
            }
            loud_skip(msg);
        }
    }
    check_stored("shared", &binlogs, &mut rep);
    let _ = std::fs::remove_dir_all(&tmp);
    assert_report("shared samples vs mariadb-binlog", &rep);
}

/// Self-check of the oracle side, independent of binvault: every value the oracle prints for our testdata
/// must be understood by `compare::expected` (a new column type or printing quirk shows up here first).
#[test]
fn oracle_output_is_fully_understood() {
    let root = workspace_root().join("testdata");
    let tmp = tmp_dir("selfcheck");
    let mut binlogs = Vec::new();
    collect_binlogs(&root, &root, &tmp, &mut binlogs);
    let Some(tool) = oracle_tool() else {
        if is_ci() {
            panic!("mariadb-binlog not found; it is required under CI=true (scripts/install-test-deps.sh)");
        }
        loud_skip("mariadb-binlog not found");
        let _ = std::fs::remove_dir_all(&tmp);
        return;
    };
    let mut errors = Vec::new();
    let mut types: BTreeMap<String, usize> = BTreeMap::new();
    let mut total = 0;
    for b in &binlogs {
        let raw = run_oracle(&tool, &b.path).unwrap_or_else(|e| panic!("{e}"));
        let o = vv::parse(&raw).unwrap_or_else(|e| panic!("{}: {e}", b.label));
        assert_eq!(
            o.cells(),
            o.value_lines,
            "{}: parsed cells vs @N lines",
            b.label
        );
        if o.value_lines > 0 {
            assert!(
                o.has_table_metadata,
                "{}: no # Columns( blocks (--print-table-metadata)",
                b.label
            );
        }
        for g in &o.groups {
            for r in &g.rows {
                for c in r.before.iter().chain(r.after.iter()).flatten() {
                    total += 1;
                    *types.entry(type_family(&c.type_name)).or_default() += 1;
                    if let Err(e) = compare::expected(c) {
                        errors.push(format!(
                            "{} line {} @{} {}: {e}: {}",
                            b.label,
                            c.line,
                            c.col,
                            c.type_name,
                            show_cell(c)
                        ));
                    }
                    if c.type_name.ends_with(" COMPRESSED") && !c.is_null {
                        if let Ok(compare::Expected::Compressed {
                            plain: None,
                            stored,
                        }) = compare::expected(c)
                        {
                            errors.push(format!(
                                "{} line {}: cannot decompress {}",
                                b.label,
                                c.line,
                                compare::show_bytes(&stored)
                            ));
                        }
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    eprintln!("oracle self-check: {total} values; by type: {types:?}");
    assert!(total > 0);
    assert!(
        errors.is_empty(),
        "{} oracle values not understood:\n{}",
        errors.len(),
        errors
            .iter()
            .take(max_shown())
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The comparison itself must notice every kind of difference (so that a green run means something).
#[test]
fn comparison_detects_differences() {
    let oracle_text = b"# at 4\n\
#231114 22:13:20 server id 1  end_log_pos 100 \tStart: binlog v 4\n\
# at 100\n\
#231114 22:13:20 server id 1  end_log_pos 150 \tTable_map: `db`.`t` mapped to number 1\n\
# Columns(`id` INT NOT NULL,\n\
#         `u` TINYINT UNSIGNED,\n\
#         `s` VARSTRING(10))\n\
# at 150\n\
# at 200\n\
#231114 22:13:20 server id 1  end_log_pos 200 \tWrite_rows: table id 1\n\
#231114 22:13:20 server id 1  end_log_pos 260 \tWrite_rows: table id 1 flags: STMT_END_F\n\
### INSERT INTO `db`.`t`\n### SET\n\
###   @1=1 /* INT meta=0 nullable=0 is_null=0 */\n\
###   @2=-1 (255) /* TINYINT meta=0 nullable=1 is_null=0 */\n\
###   @3='a\\x00' /* VARSTRING(10) meta=10 nullable=1 is_null=0 */\n\
### INSERT INTO `db`.`t`\n### SET\n\
###   @1=2 /* INT meta=0 nullable=0 is_null=0 */\n\
###   @2=NULL /* TINYINT meta=0 nullable=1 is_null=1 */\n\
###   @3='b' /* VARSTRING(10) meta=10 nullable=1 is_null=0 */\n\
# at 260\n\
#231114 22:13:20 server id 1  end_log_pos 300 \tUpdate_rows: table id 1 flags: STMT_END_F\n\
### UPDATE `db`.`t`\n### WHERE\n\
###   @1=2 /* INT meta=0 nullable=0 is_null=0 */\n\
### SET\n\
###   @3='c' /* VARSTRING(10) meta=10 nullable=1 is_null=0 */\n";
    let oracle = vv::parse(oracle_text).expect("snippet parses");
    assert_eq!(oracle.value_lines, 8);
    let good: Vec<Value> = vec![
        serde_json::json!({"pos": 4, "end": 100, "type": "format_description"}),
        serde_json::json!({"pos": 100, "end": 150, "type": "table_map"}),
        serde_json::json!({"pos": 150, "end": 200, "type": "write_rows", "schema": "db", "table": "t",
            "rows": [{"before": null, "after": {"1": 1, "2": 255, "3": {"hex": "6100"}}}]}),
        serde_json::json!({"pos": 200, "end": 260, "type": "write_rows", "schema": "db", "table": "t",
            "rows": [{"before": null, "after": {"1": 2, "2": null, "3": "b"}}]}),
        serde_json::json!({"pos": 260, "end": 300, "type": "update_rows", "schema": "db", "table": "t",
            "rows": [{"before": {"1": 2}, "after": {"3": "c"}}]}),
    ];
    let run = |events: &[Value]| {
        let mut rep = Report::default();
        compare_file("t", &oracle, events, &mut rep);
        assert_eq!(
            rep.checked, rep.oracle_value_lines,
            "every oracle value is accounted for"
        );
        (rep.value_mismatches, rep.problems)
    };
    assert_eq!(run(&good), (0, 0));

    let mutate = |f: &dyn Fn(&mut Vec<Value>)| {
        let mut ev = good.clone();
        f(&mut ev);
        run(&ev)
    };
    // wrong values: signed reading of an UNSIGNED column, a changed byte, NULL vs value
    assert_eq!(
        mutate(&|e| e[2]["rows"][0]["after"]["2"] = serde_json::json!(-1)),
        (1, 0)
    );
    assert_eq!(
        mutate(&|e| e[2]["rows"][0]["after"]["3"] = serde_json::json!("a")),
        (1, 0)
    );
    assert_eq!(
        mutate(&|e| e[3]["rows"][0]["after"]["2"] = serde_json::json!(0)),
        (1, 0)
    );
    // a column missing / an extra column / a missing or extra image
    assert_eq!(
        mutate(&|e| {
            e[4]["rows"][0]["after"]
                .as_object_mut()
                .unwrap()
                .remove("3");
        }),
        (1, 0)
    );
    assert_eq!(
        mutate(&|e| e[4]["rows"][0]["after"]["2"] = serde_json::json!(7)),
        (0, 1)
    );
    assert_eq!(mutate(&|e| e[4]["rows"][0]["before"] = Value::Null), (1, 1));
    assert_eq!(
        mutate(&|e| e[3]["rows"][0]["before"] = serde_json::json!({"1": 2})),
        (0, 1)
    );
    // rows moved between the events of one statement are fine; a lost row is not
    assert_eq!(
        mutate(&|e| {
            let r = e[3]["rows"][0].clone();
            e[2]["rows"].as_array_mut().unwrap().push(r);
            e[3]["rows"] = serde_json::json!([]);
        }),
        (0, 0)
    );
    assert_eq!(mutate(&|e| e[3]["rows"] = serde_json::json!([])), (3, 1));
    // wrong table, wrong event type, wrong end offset, a missing event, an extra rows event
    assert_eq!(mutate(&|e| e[4]["table"] = serde_json::json!("x")), (0, 1));
    assert_eq!(
        mutate(&|e| e[4]["type"] = serde_json::json!("write_rows")),
        (0, 1)
    );
    assert_eq!(mutate(&|e| e[1]["end"] = serde_json::json!(151)), (0, 1));
    assert_eq!(
        mutate(&|e| {
            e.remove(0);
        }),
        (0, 1)
    );
    assert_eq!(
        mutate(&|e| e
            .push(serde_json::json!({"pos": 300, "end": 350, "type": "delete_rows", "rows": []}))),
        (0, 1)
    );
}
