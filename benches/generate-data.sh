#!/bin/sh
# generate-data.sh - generate the benchmark binlog benches/data/large.binlog (>= 100 MB; never committed).
#
#   benches/generate-data.sh [MIN_MB]        default MIN_MB=100 (MiB)
#
# Starts a throwaway MariaDB (scripts/mariadb-test-server.sh) in a fresh temporary datadir on a free
# loopback port (never 3306), with binlog_format=ROW, binlog_checksum=CRC32, binlog_row_metadata=FULL and
# binlog_row_image=FULL, creates a few realistic tables (signed/unsigned integers, DECIMAL, utf8mb4
# VARCHAR/TEXT, DATETIME(6), TIMESTAMP(6), DATE, TIME, YEAR, ENUM, SET, BIT, JSON (a LONGTEXT in MariaDB),
# DOUBLE, FLOAT, BLOB) and runs rounds of an OLTP-like workload (INSERT ... SELECT from seq_1_to_N,
# multi-statement transactions, UPDATEs with full before/after images, DELETEs) until the binlog is at
# least MIN_MB megabytes. Then it stops the server cleanly and copies the binlog to benches/data/large.binlog
# (the largest file if the server rotated; max_binlog_size is raised so it does not).
# The data is deterministic (RAND(seed) and sequence-derived values; fixed @@timestamp), so two runs give
# binlogs of the same shape, not byte-identical (server ids, GTIDs, and timestamps of the DDL may differ).
# Needs a Debian mariadb-server (scripts/install-test-deps.sh); written for MariaDB 10.11.
# Env: TMPDIR (scratch location, default /tmp), KEEP=1 keeps the scratch directory.
set -eu
export TZ=UTC LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd -P)
ROOT=$(cd "$HERE/.." && pwd -P)
SRV=$ROOT/scripts/mariadb-test-server.sh
MIN_MB=${1:-100}
OUT=$HERE/data/large.binlog

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bvbench.XXXXXX")
STARTED=""
cleanup() {
    [ -z "$STARTED" ] || "$SRV" stop "$WORK/srv" >/dev/null 2>&1 || true
    [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

sql() { mariadb --no-defaults --default-character-set=utf8mb4 --max-allowed-packet=1G \
    --socket="$WORK/srv/sock" -uroot "$@"; }

binlog_bytes() {
    n=0
    for f in "$WORK"/srv/binlog/mariadb-bin.[0-9]*; do
        [ -f "$f" ] || continue
        s=$(wc -c < "$f"); n=$((n + s))
    done
    echo "$n"
}

port=$("$SRV" free-port)
echo "== starting MariaDB on 127.0.0.1:$port in $WORK/srv"
STARTED=1
"$SRV" start "$WORK/srv" "$port" --binlog-checksum=CRC32 --binlog-row-metadata=FULL \
    --binlog-row-image=FULL --max-binlog-size=1073741824 --innodb-flush-log-at-trx-commit=2 \
    --sync-binlog=0 --innodb-buffer-pool-size=256M --innodb-log-file-size=256M

sql <<'SQL'
SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION';
SET @@timestamp = 1700000000.250000;
CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE shop;
CREATE TABLE customers (
  id          INT UNSIGNED NOT NULL PRIMARY KEY,
  email       VARCHAR(190) NOT NULL,
  name        VARCHAR(100) NOT NULL,
  country     CHAR(2) NOT NULL,
  tier        ENUM('free','basic','pro','enterprise') NOT NULL DEFAULT 'free',
  prefs       SET('email','sms','push','post'),
  balance     DECIMAL(18,6) NOT NULL DEFAULT 0,
  credit      DECIMAL(10,2) UNSIGNED,
  score       FLOAT,
  age         TINYINT UNSIGNED,
  tz_offset   SMALLINT,
  visits      MEDIUMINT UNSIGNED NOT NULL DEFAULT 0,
  birth       DATE,
  signup_year YEAR,
  created_at  DATETIME(6) NOT NULL,
  last_login  TIMESTAMP(6) NULL,
  bio         TEXT,
  flags       BIT(8) NOT NULL DEFAULT b'0'
) ENGINE=InnoDB;
CREATE TABLE orders (
  id          BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  status      ENUM('new','paid','shipped','delivered','cancelled','refunded') NOT NULL,
  currency    CHAR(3) NOT NULL,
  amount      DECIMAL(12,2) NOT NULL,
  tax         DECIMAL(10,4) NOT NULL,
  discount    DECIMAL(5,2),
  weight_kg   DOUBLE,
  items       SMALLINT NOT NULL,
  priority    TINYINT NOT NULL,
  delta       BIGINT,
  note        VARCHAR(255),
  attrs       JSON,
  created_at  DATETIME(6) NOT NULL,
  updated_at  TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  ship_date   DATE,
  ship_window TIME(3),
  KEY (customer_id)
) ENGINE=InnoDB;
CREATE TABLE audit_log (
  id          BIGINT NOT NULL PRIMARY KEY,
  order_id    BIGINT UNSIGNED NOT NULL,
  actor       VARCHAR(64) NOT NULL,
  action      VARCHAR(32) NOT NULL,
  at          DATETIME(6) NOT NULL,
  payload     BLOB,
  message     TEXT
) ENGINE=InnoDB;

-- 200,000 customers in multi-row INSERT ... SELECT statements of 5,000 rows.
DELIMITER //
CREATE PROCEDURE load_customers()
BEGIN
  DECLARE b INT DEFAULT 0;
  WHILE b < 40 DO
    INSERT INTO customers
    SELECT b * 5000 + seq,
           CONCAT('user', b * 5000 + seq, '@example', (b * 5000 + seq) % 97, '.com'),
           CONCAT(ELT(1 + seq % 8, 'Jürgen', 'Zoë', 'Ana', 'Søren', 'Chloé', '李', 'José', 'Ólafur'), ' ',
                  ELT(1 + (seq DIV 8) % 6, 'Müller', 'García', 'Nguyễn', 'Smith', 'Øster', 'Kowalski'), ' #', seq),
           ELT(1 + seq % 7, 'DE', 'FR', 'US', 'BR', 'JP', 'IS', 'VN'),
           1 + seq % 4,
           seq % 16,
           ROUND((RAND(seq) - 0.3) * 100000, 6),
           IF(seq % 10 = 0, NULL, ROUND(RAND(seq + 1) * 5000, 2)),
           RAND(seq + 2) * 100,
           IF(seq % 13 = 0, NULL, 18 + seq % 70),
           (CAST(seq % 27 AS SIGNED) - 13) * 60,
           seq % 5000,
           IF(seq % 11 = 0, NULL, DATE('1950-01-01') + INTERVAL (seq * 7) % 20000 DAY),
           1990 + seq % 35,
           TIMESTAMP('2020-01-01 00:00:00') + INTERVAL (b * 5000 + seq) * 37 SECOND + INTERVAL seq MICROSECOND,
           IF(seq % 3 = 0, NULL, FROM_UNIXTIME(1600000000 + seq * 41) + INTERVAL seq % 999999 MICROSECOND),
           IF(seq % 4 = 0, NULL, REPEAT(CONCAT('Bio of customer ', seq, ' — likes ☕ and 📦. '), 1 + seq % 5)),
           seq % 256
    FROM seq_1_to_5000;
    SET b = b + 1;
  END WHILE;
END //

-- One workload round r: new orders (several multi-statement transactions), status updates with full
-- images, customer updates, audit rows, deletes of old audit rows and cancelled orders.
CREATE PROCEDURE round(IN r INT)
BEGIN
  DECLARE t INT DEFAULT 0;
  DECLARE base BIGINT DEFAULT r * 100000;
  WHILE t < 5 DO
    START TRANSACTION;
    INSERT INTO orders
    SELECT base + t * 10000 + seq,
           1 + (seq * 7919 + r) % 200000,
           'new',
           ELT(1 + seq % 4, 'EUR', 'USD', 'BRL', 'JPY'),
           ROUND(RAND(base + seq) * 2000, 2),
           ROUND(RAND(base + seq + 1) * 300, 4),
           IF(seq % 5 = 0, NULL, (seq % 50) + 0.25),
           IF(seq % 9 = 0, NULL, RAND(seq) * 40),
           1 + seq % 12,
           CAST(seq % 5 AS SIGNED) - 2,
           IF(seq % 6 = 0, NULL, (CAST(seq AS SIGNED) - 5000) * 1234567),
           IF(seq % 3 = 0, NULL, CONCAT('Order ', base + t * 10000 + seq, ': livraison à ', ELT(1 + seq % 4, 'Zürich', 'São Paulo', 'Reykjavík', '東京'))),
           JSON_OBJECT('sku', CONCAT('SKU-', seq % 1000), 'qty', 1 + seq % 12, 'gift', seq % 7 = 0,
                       'tags', JSON_ARRAY('t', seq % 10, 'promo'), 'price', ROUND(RAND(seq) * 100, 2)),
           TIMESTAMP('2023-01-01') + INTERVAL base + t * 10000 + seq SECOND + INTERVAL seq * 13 MICROSECOND,
           FROM_UNIXTIME(1700000000 + r * 3600 + seq) + INTERVAL seq % 1000 MICROSECOND,
           IF(seq % 4 = 0, NULL, DATE('2023-01-01') + INTERVAL (r * 10 + seq % 30) DAY),
           IF(seq % 8 = 0, NULL, SEC_TO_TIME(seq % 86400) + INTERVAL (seq % 1000) * 1000 MICROSECOND)
    FROM seq_1_to_10000;
    INSERT INTO audit_log
    SELECT base + t * 10000 + seq, base + t * 10000 + seq,
           CONCAT('svc-', seq % 17), 'create',
           TIMESTAMP('2023-06-01') + INTERVAL base + seq SECOND,
           IF(seq % 2 = 0, NULL, UNHEX(SHA2(CONCAT('p', seq), 256))),
           IF(seq % 5 = 0, NULL, CONCAT('created by batch ', t, ' in round ', r))
    FROM seq_1_to_4000;
    COMMIT;
    SET t = t + 1;
  END WHILE;
  -- status updates: full before and after images
  UPDATE orders SET status = 'paid', updated_at = updated_at + INTERVAL 1 HOUR,
         attrs = JSON_SET(attrs, '$.paid', TRUE) WHERE id BETWEEN base + 1 AND base + 30000;
  UPDATE orders SET status = 'shipped', ship_date = DATE('2023-02-01') + INTERVAL r DAY, weight_kg = weight_kg + 0.5
         WHERE id BETWEEN base + 1 AND base + 15000 AND id % 3 <> 0;
  START TRANSACTION;
  UPDATE customers SET visits = visits + 1, balance = balance - 1.5,
         last_login = FROM_UNIXTIME(1700000000 + r * 3600) WHERE id % 20 = r % 20;
  UPDATE orders SET status = 'cancelled', note = CONCAT(COALESCE(note, ''), ' [cancelled]')
         WHERE id BETWEEN base + 40001 AND base + 45000;
  COMMIT;
  DELETE FROM orders WHERE id BETWEEN base + 40001 AND base + 42000;
  DELETE FROM audit_log WHERE id BETWEEN base + 1 AND base + 10000 AND id % 2 = 0;
END //
DELIMITER ;
CALL load_customers();
SQL

r=0
while :; do
    have=$(binlog_bytes)
    echo "   binlog: $((have / 1048576)) MB after $r rounds"
    [ "$have" -lt $((MIN_MB * 1048576)) ] || break
    r=$((r + 1))
    sql shop -e "SET @@timestamp = 1700000000 + $r * 3600; CALL round($r)"
    [ $r -lt 200 ] || { echo "generate-data: no progress after 200 rounds" >&2; exit 1; }
done

info=$(sql -N -e "SELECT CONCAT('server ', VERSION(), '; binlog_checksum=', @@binlog_checksum,
    '; binlog_row_metadata=', @@binlog_row_metadata, '; binlog_row_image=', @@binlog_row_image,
    '; rounds=', $r)")
"$SRV" stop "$WORK/srv"
STARTED=""

# The largest binlog file (there is one unless the server rotated).
src=$(ls -S "$WORK"/srv/binlog/mariadb-bin.[0-9]* | head -n 1)
mkdir -p "$HERE/data"
cp "$src" "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
{
    echo "$info"
    printf '%s (%s) %s bytes sha256 %s\n' "$(basename "$OUT")" "$(basename "$src")" "$(wc -c < "$OUT")" \
        "$(sha256sum < "$OUT" | cut -d' ' -f1)"
} > "$HERE/data/INFO.txt"
cat "$HERE/data/INFO.txt"
echo "-> $OUT"
