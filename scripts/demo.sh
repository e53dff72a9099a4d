#!/usr/bin/env bash
# demo.sh - binvault end to end on this machine, in one command:  bash scripts/demo.sh
#
# Starts a scratch MariaDB (the Debian package, installed when missing; a temporary datadir on a
# free loopback port), runs a workload, archives it live with `binvault stream`, kills the
# archiver (SIGKILL) and restarts the source mid-way, and ends with `binvault verify` passing,
# every archived file compared with the source's, and a `binvault status` summary.
# Everything lives under a temporary directory that is removed at the end (KEEP=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "installing what is missing (MariaDB server and client)"
sh scripts/install-test-deps.sh
say "building binvault (release)"
cargo build --release --locked -p binvault
BV=$ROOT/target/release/binvault

WORK=$(mktemp -d /tmp/bvdemo.XXXXXX)
DB=$WORK/db
ARCHIVE=$WORK/archive
PORT=$(sh scripts/mariadb-test-server.sh free-port)
METRICS=$(sh scripts/mariadb-test-server.sh free-port 34000 34999)
ARCHIVER=""
cleanup() {
    [ -z "$ARCHIVER" ] || kill "$ARCHIVER" 2>/dev/null || true
    sh "$ROOT/scripts/mariadb-test-server.sh" stop "$DB" >/dev/null 2>&1 || true
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

sql() { mariadb --no-defaults --socket="$DB/sock" -uroot "$@"; }
workload() { # $1: first id, $2: count
    {
        echo "CREATE TABLE IF NOT EXISTS demo.orders (id INT PRIMARY KEY, customer VARCHAR(40), amount DECIMAL(10,2), note TEXT, at DATETIME(6));"
        for i in $(seq "$1" $(($1 + $2 - 1))); do
            echo "BEGIN; INSERT INTO demo.orders VALUES ($i, 'customer-$((i % 97))', $i.25, REPEAT('x', $((i % 500))), NOW(6)); UPDATE demo.orders SET amount = amount + 1 WHERE id = $((i / 2)); COMMIT;"
        done
    } | sql
}

say "starting a scratch MariaDB on 127.0.0.1:$PORT"
sh scripts/mariadb-test-server.sh start "$DB" "$PORT" --max-binlog-size=262144 --rpl-semi-sync-master-enabled=1 --rpl-semi-sync-master-timeout=2000
sql -e "CREATE USER repl@'%' IDENTIFIED BY 'demo-secret'; GRANT REPLICATION SLAVE, REPLICATION CLIENT, BINLOG MONITOR, SELECT ON *.* TO repl@'%'; CREATE DATABASE demo;"
export BINVAULT_PASSWORD=demo-secret   # never on the command line

start_archiver() {
    "$BV" stream --source "mysql://repl@127.0.0.1:$PORT" --archive "$ARCHIVE" --heartbeat 1 \
        --semi-sync --metrics-addr "127.0.0.1:$METRICS" >>"$WORK/archiver.log" 2>&1 &
    ARCHIVER=$!
}

say "archiving live (log: $WORK/archiver.log, metrics: http://127.0.0.1:$METRICS/metrics)"
start_archiver
workload 1 400
say "SIGKILL the archiver mid-way, keep writing, start it again"
kill -9 "$ARCHIVER"; wait "$ARCHIVER" 2>/dev/null || true
workload 401 300
start_archiver
workload 701 200
say "restart the source under the archiver"
sh scripts/mariadb-test-server.sh stop "$DB" >/dev/null
sh scripts/mariadb-test-server.sh start "$DB" "$PORT" --max-binlog-size=262144 --rpl-semi-sync-master-enabled=1 --rpl-semi-sync-master-timeout=2000 >/dev/null
workload 901 300
sql -e "FLUSH BINARY LOGS"

say "waiting until the archive has every transaction"
WANT=$(sql -N -e "SELECT @@gtid_binlog_pos")
for _ in $(seq 1 300); do
    HAVE=$(sed -n 's/.*"gtid_position": "\([^"]*\)".*/\1/p' "$ARCHIVE"/server-1/state.json 2>/dev/null || true)
    [ "$HAVE" = "$WANT" ] && break
    sleep 0.2
done
echo "source GTID position: $WANT   archive: $HAVE"
curl -fsS "http://127.0.0.1:$METRICS/healthz" 2>/dev/null && echo || true
kill -TERM "$ARCHIVER"; wait "$ARCHIVER" || true; ARCHIVER=""
grep -E "recovery|reconnecting|sealed" "$WORK/archiver.log" | cut -c1-160 | tail -n 8 || true

say "every file the source has closed, compared byte for byte"
LAST=$(tail -n 1 "$DB/binlog/mariadb-bin.index")
for f in $(cat "$DB/binlog/mariadb-bin.index"); do
    [ "$f" = "$LAST" ] && continue
    cmp "$f" "$ARCHIVE/server-1/$(basename "$f")" && echo "identical: $(basename "$f")"
done
say "binvault verify"
"$BV" verify --archive "$ARCHIVE"
say "binvault status"
"$BV" status --archive "$ARCHIVE"
[ "$HAVE" = "$WANT" ] || { echo "demo: the archive did not catch up" >&2; exit 1; }
say "demo passed"
