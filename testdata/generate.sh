#!/bin/sh
# generate.sh - regenerate the MariaDB binlogs under testdata/ (see README.md).
#
#   testdata/generate.sh [VARIANT...]      default: all variants (crc32-full none-minimal crc32-nometa)
#
# For each variant: start a throwaway MariaDB (scripts/mariadb-test-server.sh) in a fresh temporary datadir on a
# free loopback port, run the workload sections (workload/NN-*.sql) with FLUSH BINARY LOGS after each one, stop
# the server cleanly, and copy the binlog files into testdata/VARIANT/ (files over 4 MB gzip-compressed, *.gz).
# Needs a Debian mariadb-server (scripts/install-test-deps.sh); was run with MariaDB 10.11 (Debian 12).
# Env: TMPDIR (scratch location, default /tmp), KEEP=1 keeps the scratch directories for inspection.
set -eu
export TZ=UTC LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd -P)
ROOT=$(cd "$HERE/.." && pwd -P)
SRV=$ROOT/scripts/mariadb-test-server.sh
WL=$HERE/workload

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bvgen.XXXXXX")
CURRENT=""
cleanup() {
    [ -z "$CURRENT" ] || "$SRV" stop "$CURRENT" >/dev/null 2>&1 || true
    [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

sql() {   # sql DIR [mariadb client args...] < input
    d=$1; shift
    (cd "$WL" && mariadb --no-defaults --default-character-set=utf8mb4 --local-infile=1 --max-allowed-packet=1G \
        --socket="$d/sock" -uroot "$@")
}

# variant NAME "SECTIONS" [mariadbd options...]
variant() {
    name=$1; sections=$2; shift 2
    d=$WORK/$name; out=$HERE/$name
    port=$("$SRV" free-port)
    echo "== $name: port $port, sections: $sections, options: $*"
    CURRENT=$d
    "$SRV" start "$d" "$port" --gtid-strict-mode=ON "$@"
    for s in $sections; do
        f=$(ls "$WL/$s"-*.sql)
        echo "   running $(basename "$f")"
        sql "$d" < "$f" > "$d/client-$s.log"
        sql "$d" -e 'FLUSH BINARY LOGS'
    done
    info=$(sql "$d" -N -e "SELECT CONCAT('server ', VERSION(), '; binlog_checksum=', @@binlog_checksum,
        '; binlog_row_metadata=', @@binlog_row_metadata, '; binlog_format=', @@binlog_format,
        '; gtid_binlog_pos=', @@gtid_binlog_pos)")
    "$SRV" stop "$d"
    CURRENT=""
    rm -rf "$out"; mkdir -p "$out"
    for f in "$d"/binlog/mariadb-bin.[0-9]*; do
        b=$(basename "$f")
        if [ "$(wc -c < "$f")" -gt 4000000 ]; then
            gzip -9 -n -c "$f" > "$out/$b.gz"
        else
            cp "$f" "$out/$b"; chmod 644 "$out/$b"
        fi
    done
    {
        echo "$info"
        echo "mariadbd options: $*"
        echo "workload sections (one binlog file each, then the empty tail file): $sections"
        for f in "$d"/binlog/mariadb-bin.[0-9]*; do
            printf '%s %s bytes sha256 %s\n' "$(basename "$f")" "$(wc -c < "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"
        done
    } > "$out/SERVER.txt"
    echo "   -> $out: $(ls "$out" | tr '\n' ' ')"
}

run() {
    case "$1" in
        crc32-full)   variant crc32-full "10 20 25 30" --binlog-checksum=CRC32 --binlog-row-metadata=FULL ;;
        none-minimal) variant none-minimal "10 20 25" --binlog-checksum=NONE --binlog-row-metadata=MINIMAL ;;
        crc32-nometa) variant crc32-nometa "10 20 25" --binlog-checksum=CRC32 --binlog-row-metadata=NO_LOG ;;
        *) echo "unknown variant: $1" >&2; exit 2 ;;
    esac
}

[ $# -gt 0 ] || set -- crc32-full none-minimal crc32-nometa
for v in "$@"; do run "$v"; done
echo "done"
