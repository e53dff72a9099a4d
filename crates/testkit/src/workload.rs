//! A deterministic mixed workload that fills a server's binlog with varied events.
//!
//! [`Workload::sql`] generates, from a seed alone, one SQL script that
//!
//! * recreates the database (`bv_w<seed>` unless set otherwise) with six tables covering INT,
//!   BIGINT (signed and unsigned), TINYINT, SMALLINT, MEDIUMINT, FLOAT, DOUBLE, DECIMAL (up to
//!   65,30), DATE, TIME(3), DATETIME(6), TIMESTAMP(6), YEAR, BIT, ENUM, SET, CHAR, VARCHAR,
//!   VARBINARY, TEXT, LONGTEXT, BLOB, MEDIUMBLOB, LONGBLOB and JSON columns, NULLs, non-ASCII
//!   text (umlauts, CJK, 4-byte emoji), a table without a primary key and a non-transactional
//!   (Aria) table;
//! * runs `transactions` units of work: multi-statement transactions (INSERT / UPDATE / DELETE,
//!   multi-row statements), single autocommit statements, rolled-back transactions and
//!   savepoints (which leave nothing in the binlog), JSON updates;
//! * does some DDL along the way (`ALTER TABLE .. ADD COLUMN` at 1/4, `CREATE INDEX`,
//!   `CREATE/RENAME/DROP TABLE` and `TRUNCATE` at 3/4);
//! * inserts one large row (`big_row_bytes`, 1 MiB by default, pseudo-random bytes) at the
//!   middle and then updates another column of it (with the default full row image that row
//!   event carries the large value twice).
//!
//! The script runs through a single `mariadb` client invocation ([`MariaDb::sql`]), so 1000
//! transactions take a second or two. The same seed always gives the same SQL and so the same
//! table contents ([`checksums`]) on any server; the binlog differs only in timestamps, server
//! ids and positions.

use anyhow::Context;

use crate::server::sql_string;
use crate::MariaDb;

/// The tables the workload creates (and leaves) in its database, in name order.
pub const TABLES: &[&str] = &["accounts", "aria_log", "blobs", "events", "nopk", "types"];

/// Runs `transactions` units of the workload for `seed` on `server` (database `bv_w<seed>`,
/// recreated; a 1 MiB row). Shorthand for `Workload::new(seed, transactions).run(server)`.
pub fn run(server: &MariaDb, seed: u64, transactions: usize) -> anyhow::Result<()> {
    Workload::new(seed, transactions).run(server)
}

/// The SQL [`run`] sends for `seed` and `transactions`.
pub fn generate_sql(seed: u64, transactions: usize) -> String {
    Workload::new(seed, transactions).sql()
}

/// `CHECKSUM TABLE .. EXTENDED` of every table in `database`, as `(table, checksum)` pairs in
/// table name order: equal on two servers when their contents are equal (compare a source and
/// its restored copy).
pub fn checksums(server: &MariaDb, database: &str) -> anyhow::Result<Vec<(String, String)>> {
    let tables = server.sql_rows(&format!(
        "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} ORDER BY TABLE_NAME",
        sql_string(database)
    ))?;
    if tables.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = tables
        .iter()
        .filter_map(|row| row.first())
        .map(|t| format!("{}.{}", ident(database), ident(t)))
        .collect();
    let rows = server
        .sql_rows(&format!("CHECKSUM TABLE {} EXTENDED", list.join(", ")))
        .with_context(|| format!("checksum the tables of {database}"))?;
    Ok(rows
        .into_iter()
        .filter_map(|row| match row.as_slice() {
            [name, sum, ..] => {
                let table = name.rsplit_once('.').map_or(name.as_str(), |(_, t)| t);
                Some((table.to_string(), sum.clone()))
            }
            _ => None,
        })
        .collect())
}

/// A workload's parameters. [`Workload::new`] gives the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Seeds everything; the same seed gives the same SQL.
    pub seed: u64,
    /// How many units of work (most are transactions, some single statements or DDL).
    pub transactions: usize,
    /// The database, dropped and recreated first. Default `bv_w<seed>`.
    pub database: String,
    /// Size of the large row's LONGBLOB value. Default 1 MiB. More than 16 MiB makes the row
    /// event larger than one protocol packet (the server's `max_allowed_packet` is 1 GiB).
    pub big_row_bytes: usize,
    /// `FLUSH BINARY LOGS` after every this many units (so one run spans several binlog
    /// files). Default `None`.
    pub flush_binary_logs_every: Option<usize>,
}

impl Workload {
    /// The defaults for `seed` and `transactions`: database `bv_w<seed>`, a 1 MiB row, no flushes.
    pub fn new(seed: u64, transactions: usize) -> Self {
        Workload {
            seed,
            transactions,
            database: format!("bv_w{seed}"),
            big_row_bytes: 1 << 20,
            flush_binary_logs_every: None,
        }
    }

    /// Runs the workload's SQL on `server` through one `mariadb` client invocation.
    pub fn run(&self, server: &MariaDb) -> anyhow::Result<()> {
        server.sql(&self.sql()).with_context(|| {
            format!(
                "workload seed {} ({} transactions)",
                self.seed, self.transactions
            )
        })?;
        Ok(())
    }

    /// The workload as one SQL script (deterministic in all fields).
    pub fn sql(&self) -> String {
        Gen::new(self).generate()
    }
}

/// xorshift64* seeded through splitmix64: tiny, deterministic, good enough for test data and
/// for the seeded random moments of the crash and chaos tests.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// In `lo..=hi` (`lo <= hi`).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (i128::from(hi) - i128::from(lo) + 1) as u128;
        (i128::from(lo) + (u128::from(self.next_u64()) % span) as i128) as i64
    }

    /// True with probability 1/n.
    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "Grüße",
    "naïve café",
    "日本語テキスト",
    "emoji 🚀🦀",
    "O'Reilly",
    "back\\slash",
    "tab\there",
    "line1\nline2",
    "percent % under_score",
    "\"quoted\"",
    "",
    "zulu",
];

const STATUSES: &[&str] = &["new", "active", "frozen", "closed"];
const KINDS: &[&str] = &["open", "deposit", "withdraw", "transfer", "close", "note"];

struct Gen<'a> {
    w: &'a Workload,
    rng: Rng,
    out: String,
    accounts: Vec<i64>,
    next_account: i64,
    events: Vec<i64>,
    next_event: i64,
    types: Vec<i64>,
    next_types: i64,
    next_aria: i64,
    note_column: bool,
}

impl<'a> Gen<'a> {
    fn new(w: &'a Workload) -> Self {
        Gen {
            w,
            rng: Rng::new(w.seed),
            out: String::new(),
            accounts: Vec::new(),
            next_account: 1,
            events: Vec::new(),
            next_event: 1,
            types: Vec::new(),
            next_types: 1,
            next_aria: 1,
            note_column: false,
        }
    }

    fn line(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn generate(mut self) -> String {
        self.schema();
        let n = self.w.transactions;
        for i in 0..n {
            if i == n / 4 {
                self.line("ALTER TABLE accounts ADD COLUMN note VARCHAR(64) NULL DEFAULT NULL AFTER owner;");
                self.note_column = true;
            }
            if i == n / 2 {
                self.big_row();
            }
            if i == n / 2 + 1 {
                self.line("UPDATE blobs SET tag = 'updated' WHERE id = 1;");
            }
            if i == 3 * n / 4 && i > 0 {
                self.ddl_batch();
            }
            self.unit(i as u64);
            if let Some(k) = self.w.flush_binary_logs_every {
                if k > 0 && (i + 1) % k == 0 && i + 1 < n {
                    self.line("FLUSH BINARY LOGS;");
                }
            }
        }
        if n == 0 {
            self.big_row();
        }
        self.out
    }

    fn schema(&mut self) {
        let db = ident(&self.w.database);
        self.line(&format!("DROP DATABASE IF EXISTS {db};"));
        self.line(&format!(
            "CREATE DATABASE {db} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
        ));
        self.line(&format!("USE {db};"));
        self.line("SET SESSION time_zone = '+00:00';");
        self.line(
            "CREATE TABLE accounts (
  id INT NOT NULL PRIMARY KEY,
  balance DECIMAL(20,6) NOT NULL,
  owner VARCHAR(100) NOT NULL,
  status ENUM('new','active','frozen','closed') NOT NULL DEFAULT 'new',
  created DATETIME(6) NOT NULL,
  counter BIGINT NOT NULL DEFAULT 0,
  KEY owner_idx (owner)
) ENGINE=InnoDB;",
        );
        self.line(
            "CREATE TABLE events (
  id BIGINT NOT NULL PRIMARY KEY,
  account_id INT NOT NULL,
  kind ENUM('open','deposit','withdraw','transfer','close','note') NOT NULL,
  amount DECIMAL(12,2) NULL,
  note TEXT NULL,
  payload JSON NULL,
  at DATETIME(6) NOT NULL,
  raw BLOB NULL,
  KEY account_idx (account_id)
) ENGINE=InnoDB;",
        );
        self.line(
            "CREATE TABLE types (
  id INT NOT NULL PRIMARY KEY,
  ti TINYINT NULL, tu TINYINT UNSIGNED NULL, si SMALLINT NULL, mi MEDIUMINT NULL,
  bu BIGINT UNSIGNED NULL, f FLOAT NULL, d DOUBLE NULL, dz DECIMAL(65,30) NULL,
  dt DATE NULL, tm TIME(3) NULL, ts TIMESTAMP(6) NULL DEFAULT NULL, yr YEAR NULL,
  bits BIT(10) NULL, flags SET('a','b','c','d') NULL, ch CHAR(10) NULL,
  vb VARBINARY(64) NULL, lt LONGTEXT NULL, mb MEDIUMBLOB NULL
) ENGINE=InnoDB;",
        );
        self.line(
            "CREATE TABLE nopk (a INT NULL, b VARCHAR(20) NULL, c DOUBLE NULL) ENGINE=InnoDB;",
        );
        self.line(
            "CREATE TABLE aria_log (id INT NOT NULL PRIMARY KEY, msg VARCHAR(200) NULL, at DATETIME NULL) ENGINE=Aria;",
        );
        self.line(
            "CREATE TABLE blobs (id INT NOT NULL PRIMARY KEY, tag VARCHAR(20) NOT NULL, len INT NOT NULL, data LONGBLOB NOT NULL) ENGINE=InnoDB;",
        );
    }

    fn big_row(&mut self) {
        let n = self.w.big_row_bytes;
        let mut sql = String::with_capacity(2 * n + 100);
        sql.push_str(&format!(
            "INSERT INTO blobs (id, tag, len, data) VALUES (1, 'big', {n}, "
        ));
        if n == 0 {
            sql.push_str("''");
        } else {
            sql.push_str("X'");
            let mut left = n;
            while left > 0 {
                let word = self.rng.next_u64().to_le_bytes();
                for b in word.iter().take(left.min(8)) {
                    push_hex(&mut sql, *b);
                }
                left = left.saturating_sub(8);
            }
            sql.push('\'');
        }
        sql.push_str(");");
        self.line(&sql);
    }

    fn ddl_batch(&mut self) {
        self.line("CREATE INDEX at_idx ON events (at);");
        self.line("CREATE TABLE scratch (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB;");
        self.line("INSERT INTO scratch VALUES (1, 'one'), (2, 'two');");
        self.line("RENAME TABLE scratch TO scratch_old;");
        self.line("DROP TABLE scratch_old;");
        self.line("TRUNCATE TABLE nopk;");
    }

    /// One unit of work.
    fn unit(&mut self, i: u64) {
        let r = self.rng.below(20);
        match r {
            0..=4 => self.new_accounts(),
            5..=8 => self.transfer(),
            9 | 10 => self.bulk_update(),
            11 => self.delete_some(),
            12 | 13 => self.types_upsert(),
            14 => self.types_delete(),
            15 => self.nopk(),
            16 => self.aria(),
            17 => self.rolled_back(i),
            18 => self.json_update(),
            _ => self.savepoint(),
        }
    }

    fn account_row(&mut self, id: i64) -> String {
        // headroom for transfers: DECIMAL(20,6) holds 14 integer digits
        let balance = self.decimal(12, 6);
        let owner = sql_string(&self.words(1, 3, 100));
        let status = sql_string(self.rng.pick_str(STATUSES));
        let created = self.datetime6();
        // headroom for `counter + 1000` (rolled back, but still evaluated)
        let counter = self.rng.range(-(1 << 62), 1 << 62);
        if self.note_column {
            let note = if self.rng.one_in(3) {
                "NULL".to_string()
            } else {
                sql_string(&self.words(1, 2, 64))
            };
            format!("({id}, {balance}, {owner}, {note}, {status}, {created}, {counter})")
        } else {
            format!("({id}, {balance}, {owner}, {status}, {created}, {counter})")
        }
    }

    fn insert_accounts_sql(&mut self, rows: usize) -> String {
        let cols = if self.note_column {
            "id, balance, owner, note, status, created, counter"
        } else {
            "id, balance, owner, status, created, counter"
        };
        let mut values = Vec::with_capacity(rows);
        for _ in 0..rows {
            let id = self.next_account;
            self.next_account += 1;
            self.accounts.push(id);
            values.push(self.account_row(id));
        }
        format!(
            "INSERT INTO accounts ({cols}) VALUES {};",
            values.join(", ")
        )
    }

    fn event_sql(&mut self, account: i64, kind: &str) -> String {
        let id = self.next_event;
        self.next_event += 1;
        self.events.push(id);
        self.event_sql_with_id(id, account, kind)
    }

    fn event_sql_with_id(&mut self, id: i64, account: i64, kind: &str) -> String {
        let amount = if self.rng.one_in(4) {
            "NULL".to_string()
        } else {
            self.decimal(10, 2)
        };
        let note = if self.rng.one_in(3) {
            "NULL".to_string()
        } else {
            sql_string(&self.words(1, 8, 10_000))
        };
        let payload = if self.rng.one_in(4) {
            "NULL".to_string()
        } else {
            sql_string(&self.json())
        };
        let at = self.datetime6();
        let raw = if self.rng.one_in(2) {
            "NULL".to_string()
        } else {
            self.hex_bytes(0, 300)
        };
        let kind = sql_string(kind);
        format!(
            "INSERT INTO events (id, account_id, kind, amount, note, payload, at, raw) VALUES ({id}, {account}, {kind}, {amount}, {note}, {payload}, {at}, {raw});"
        )
    }

    fn new_accounts(&mut self) {
        let rows = self.rng.range(1, 4) as usize;
        let insert = self.insert_accounts_sql(rows);
        let first = self.next_account - rows as i64;
        let event = self.event_sql(first, "open");
        self.line("BEGIN;");
        self.line(&insert);
        self.line(&event);
        self.line("COMMIT;");
    }

    fn two_accounts(&mut self) -> Option<(i64, i64)> {
        if self.accounts.len() < 2 {
            return None;
        }
        let a = *self.rng.pick(&self.accounts);
        let b = *self.rng.pick(&self.accounts);
        Some((a, if a == b { self.accounts[0] } else { b }))
    }

    fn transfer(&mut self) {
        let Some((a, b)) = self.two_accounts() else {
            return self.new_accounts();
        };
        let amount = self.decimal(6, 6);
        let event = self.event_sql(a, "transfer");
        self.line("BEGIN;");
        self.line(&format!("UPDATE accounts SET balance = balance - {amount}, counter = counter + 1 WHERE id = {a};"));
        self.line(&format!("UPDATE accounts SET balance = balance + {amount}, counter = counter + 1 WHERE id = {b};"));
        if self.note_column && self.rng.one_in(2) {
            let note = sql_string(&self.words(1, 2, 64));
            self.line(&format!(
                "UPDATE accounts SET note = {note} WHERE id = {b};"
            ));
        }
        self.line(&event);
        self.line("COMMIT;");
    }

    fn bulk_update(&mut self) {
        if self.accounts.is_empty() {
            return self.new_accounts();
        }
        let lo = *self.rng.pick(&self.accounts);
        let hi = lo + self.rng.range(0, 20);
        let status = sql_string(self.rng.pick_str(STATUSES));
        let created = self.datetime6();
        self.line(&format!(
            "UPDATE accounts SET status = {status}, created = {created} WHERE id BETWEEN {lo} AND {hi};"
        ));
    }

    fn delete_some(&mut self) {
        if self.events.len() < 4 || self.accounts.len() < 3 {
            return self.new_accounts();
        }
        let mut ids = Vec::new();
        for _ in 0..self.rng.range(1, 3) {
            let idx = self.rng.below(self.events.len() as u64) as usize;
            ids.push(self.events.swap_remove(idx));
        }
        let idx = self.rng.below(self.accounts.len() as u64) as usize;
        let account = self.accounts.swap_remove(idx);
        let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        self.line("BEGIN;");
        self.line(&format!(
            "DELETE FROM events WHERE id IN ({});",
            list.join(", ")
        ));
        self.line(&format!("DELETE FROM accounts WHERE id = {account};"));
        self.line("COMMIT;");
    }

    fn types_values(&mut self) -> Vec<(&'static str, String)> {
        let mut v: Vec<(&'static str, String)> = Vec::new();
        let ti = self.rng.range(-128, 127).to_string();
        v.push(("ti", ti));
        v.push(("tu", self.rng.range(0, 255).to_string()));
        v.push(("si", self.rng.range(-32768, 32767).to_string()));
        v.push(("mi", self.rng.range(-8_388_608, 8_388_607).to_string()));
        let bu = match self.rng.below(4) {
            0 => u64::MAX.to_string(),
            1 => "0".to_string(),
            _ => self.rng.next_u64().to_string(),
        };
        v.push(("bu", bu));
        v.push((
            "f",
            format!("{}", self.rng.range(-100_000, 100_000) as f64 / 4.0),
        ));
        v.push((
            "d",
            format!(
                "{:e}",
                self.rng.range(-1_000_000_000, 1_000_000_000) as f64 / 1024.0
            ),
        ));
        v.push(("dz", self.decimal(35, 30)));
        let dt = format!(
            "'{:04}-{:02}-{:02}'",
            self.rng.range(1000, 9999),
            self.rng.range(1, 12),
            self.rng.range(1, 28)
        );
        v.push(("dt", dt));
        let sign = if self.rng.one_in(3) { "-" } else { "" };
        let tm = format!(
            "'{sign}{}:{:02}:{:02}.{:03}'",
            self.rng.range(0, 838),
            self.rng.range(0, 59),
            self.rng.range(0, 59),
            self.rng.range(0, 999)
        );
        v.push(("tm", tm));
        let ts = format!(
            "'{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}'",
            self.rng.range(1971, 2037),
            self.rng.range(1, 12),
            self.rng.range(1, 28),
            self.rng.range(0, 23),
            self.rng.range(0, 59),
            self.rng.range(0, 59),
            self.rng.range(0, 999_999)
        );
        v.push(("ts", ts));
        v.push(("yr", self.rng.range(1901, 2155).to_string()));
        v.push(("bits", format!("b'{:010b}'", self.rng.range(0, 1023))));
        let flags: Vec<&str> = ["a", "b", "c", "d"]
            .into_iter()
            .filter(|_| self.rng.one_in(2))
            .collect();
        v.push(("flags", sql_string(&flags.join(","))));
        v.push(("ch", sql_string(&self.words(1, 1, 10))));
        v.push(("vb", self.hex_bytes(0, 64)));
        v.push(("lt", sql_string(&self.words(0, 60, 100_000))));
        v.push(("mb", self.hex_bytes(0, 4000)));
        for (_, value) in v.iter_mut() {
            if self.rng.one_in(8) {
                *value = "NULL".to_string();
            }
        }
        v
    }

    fn types_upsert(&mut self) {
        let values = self.types_values();
        if self.types.is_empty() || self.rng.one_in(2) {
            let id = self.next_types;
            self.next_types += 1;
            self.types.push(id);
            let cols: Vec<&str> = values.iter().map(|(c, _)| *c).collect();
            let vals: Vec<&str> = values.iter().map(|(_, v)| v.as_str()).collect();
            self.line(&format!(
                "INSERT INTO types (id, {}) VALUES ({id}, {});",
                cols.join(", "),
                vals.join(", ")
            ));
        } else {
            let id = *self.rng.pick(&self.types);
            // update a few columns only
            let set: Vec<String> = values
                .iter()
                .filter(|_| self.rng.one_in(3))
                .map(|(c, v)| format!("{c} = {v}"))
                .collect();
            let set = if set.is_empty() {
                "ti = NULL".to_string()
            } else {
                set.join(", ")
            };
            self.line(&format!("UPDATE types SET {set} WHERE id = {id};"));
        }
    }

    fn types_delete(&mut self) {
        if self.types.len() < 3 {
            return self.types_upsert();
        }
        let idx = self.rng.below(self.types.len() as u64) as usize;
        let id = self.types.swap_remove(idx);
        self.line(&format!("DELETE FROM types WHERE id = {id};"));
    }

    fn nopk(&mut self) {
        match self.rng.below(3) {
            0 => {
                let k = self.rng.range(0, 9);
                self.line(&format!(
                    "UPDATE nopk SET c = c + 1.5, b = 'upd' WHERE a = {k};"
                ));
            }
            1 => {
                let k = self.rng.range(0, 9);
                self.line(&format!("DELETE FROM nopk WHERE a = {k};"));
            }
            _ => {
                let rows: Vec<String> = (0..self.rng.range(1, 5))
                    .map(|_| {
                        let a = self.rng.range(0, 9);
                        let b = if self.rng.one_in(4) {
                            "NULL".to_string()
                        } else {
                            sql_string(&self.words(1, 1, 20))
                        };
                        let c = self.rng.range(-1000, 1000) as f64 / 8.0;
                        format!("({a}, {b}, {c})")
                    })
                    .collect();
                self.line(&format!(
                    "INSERT INTO nopk (a, b, c) VALUES {};",
                    rows.join(", ")
                ));
            }
        }
    }

    fn aria(&mut self) {
        let id = self.next_aria;
        self.next_aria += 1;
        let msg = sql_string(&self.words(1, 5, 200));
        let at = format!(
            "'{:04}-{:02}-{:02} {:02}:{:02}:{:02}'",
            self.rng.range(2000, 2030),
            self.rng.range(1, 12),
            self.rng.range(1, 28),
            self.rng.range(0, 23),
            self.rng.range(0, 59),
            self.rng.range(0, 59)
        );
        self.line(&format!(
            "INSERT INTO aria_log (id, msg, at) VALUES ({id}, {msg}, {at});"
        ));
        if id > 1 && self.rng.one_in(2) {
            let target = self.rng.range(1, id - 1);
            self.line(&format!(
                "UPDATE aria_log SET msg = CONCAT(msg, '+') WHERE id = {target};"
            ));
        }
    }

    fn rolled_back(&mut self, i: u64) {
        // nothing of this reaches the binlog
        let account = self.accounts.first().copied().unwrap_or(1);
        let event = self.event_sql_with_id(9_000_000_000 + i as i64, account, "note");
        self.line("BEGIN;");
        self.line("UPDATE accounts SET counter = counter + 1000;");
        self.line(&event);
        self.line("ROLLBACK;");
    }

    fn json_update(&mut self) {
        if self.events.is_empty() {
            return self.new_accounts();
        }
        let id = *self.rng.pick(&self.events);
        let n = self.rng.range(-1000, 1000);
        self.line(&format!(
            "UPDATE events SET payload = JSON_SET(COALESCE(payload, '{{}}'), '$.seen', {n}) WHERE id = {id};"
        ));
    }

    fn savepoint(&mut self) {
        let first = self.insert_accounts_sql(1);
        let account = self.next_account - 1;
        let discarded = self.decimal(4, 2);
        let kind = self.rng.pick_str(KINDS);
        let event = self.event_sql(account, kind);
        self.line("BEGIN;");
        self.line(&first);
        self.line("SAVEPOINT sp1;");
        self.line(&format!(
            "UPDATE accounts SET balance = balance + {discarded} WHERE id = {account};"
        ));
        self.line("ROLLBACK TO SAVEPOINT sp1;");
        self.line(&event);
        self.line("COMMIT;");
    }

    // ---- values ----

    /// A DECIMAL literal with up to `int_digits` integer digits and exactly `frac` fraction
    /// digits, sometimes negative.
    fn decimal(&mut self, int_digits: u32, frac: u32) -> String {
        let mut s = String::new();
        if self.rng.one_in(3) {
            s.push('-');
        }
        let digits = self.rng.range(1, i64::from(int_digits)) as u32;
        for k in 0..digits {
            let d = self.rng.below(10) as u8;
            let d = if k == 0 && digits > 1 && d == 0 { 1 } else { d };
            s.push(char::from(b'0' + d));
        }
        if frac > 0 {
            s.push('.');
            for _ in 0..frac {
                s.push(char::from(b'0' + self.rng.below(10) as u8));
            }
        }
        s
    }

    fn datetime6(&mut self) -> String {
        match self.rng.below(30) {
            0 => "'1000-01-01 00:00:00.000000'".to_string(),
            1 => "'9999-12-31 23:59:59.999999'".to_string(),
            _ => format!(
                "'{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}'",
                self.rng.range(1970, 2040),
                self.rng.range(1, 12),
                self.rng.range(1, 28),
                self.rng.range(0, 23),
                self.rng.range(0, 59),
                self.rng.range(0, 59),
                self.rng.range(0, 999_999)
            ),
        }
    }

    fn bigint(&mut self) -> String {
        match self.rng.below(10) {
            0 => i64::MIN.to_string(),
            1 => i64::MAX.to_string(),
            2 => "0".to_string(),
            _ => (self.rng.next_u64() as i64).to_string(),
        }
    }

    /// Between `min` and `max` words, at most `max_chars` characters.
    fn words(&mut self, min: i64, max: i64, max_chars: usize) -> String {
        let n = self.rng.range(min, max);
        let mut s = String::new();
        for k in 0..n {
            let w = self.rng.pick_str(WORDS);
            if s.chars().count() + w.chars().count() + 1 > max_chars {
                break;
            }
            if k > 0 {
                s.push(' ');
            }
            s.push_str(w);
        }
        s
    }

    fn json(&mut self) -> String {
        let n = self.bigint();
        let word = json_string(self.rng.pick_str(WORDS));
        let arr: Vec<String> = (0..self.rng.range(0, 4))
            .map(|_| self.rng.range(-50, 50).to_string())
            .collect();
        let ok = self.rng.one_in(2);
        let f = self.rng.range(-1000, 1000) as f64 / 4.0;
        format!(
            r#"{{"n": {n}, "s": {word}, "arr": [{}], "nested": {{"ok": {ok}, "none": null, "f": {f}}}}}"#,
            arr.join(", ")
        )
    }

    /// `X'..'` with between `min` and `max` pseudo-random bytes.
    fn hex_bytes(&mut self, min: i64, max: i64) -> String {
        let n = self.rng.range(min, max) as usize;
        let mut s = String::with_capacity(2 * n + 3);
        s.push_str("X'");
        for _ in 0..n {
            push_hex(&mut s, self.rng.next_u64() as u8);
        }
        s.push('\'');
        s
    }
}

fn push_hex(s: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    s.push(char::from(HEX[usize::from(b >> 4)]));
    s.push(char::from(HEX[usize::from(b & 15)]));
}

/// A JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A backquoted SQL identifier.
fn ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_per_seed() {
        assert_eq!(generate_sql(42, 200), generate_sql(42, 200));
        assert_ne!(generate_sql(42, 200), generate_sql(43, 200));
    }

    #[test]
    fn covers_the_advertised_statements() {
        let sql = generate_sql(1, 300);
        for needle in [
            "BEGIN;",
            "COMMIT;",
            "ROLLBACK;",
            "SAVEPOINT sp1;",
            "INSERT INTO accounts",
            "UPDATE accounts",
            "DELETE FROM events",
            "INSERT INTO types",
            "UPDATE types",
            "INSERT INTO nopk",
            "INSERT INTO aria_log",
            "JSON_SET",
            "ALTER TABLE accounts ADD COLUMN",
            "CREATE INDEX",
            "TRUNCATE TABLE nopk",
            "INSERT INTO blobs",
            "UPDATE blobs",
        ] {
            assert!(sql.contains(needle), "missing {needle}");
        }
        // the big row: 1 MiB as hex
        assert!(sql.len() > 2 << 20);
        let zero = generate_sql(5, 0);
        assert!(zero.contains("INSERT INTO blobs"));
    }

    #[test]
    fn flushes_when_asked() {
        let w = Workload {
            flush_binary_logs_every: Some(10),
            ..Workload::new(3, 35)
        };
        assert_eq!(w.sql().matches("FLUSH BINARY LOGS;").count(), 3);
    }

    #[test]
    fn rng_is_stable() {
        // pinned: changing the generator changes every workload's data
        let mut r = Rng::new(0);
        let first: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        let mut r2 = Rng::new(0);
        assert_eq!(first, (0..3).map(|_| r2.next_u64()).collect::<Vec<_>>());
        assert!(first.iter().all(|&x| x != 0));
    }
}
