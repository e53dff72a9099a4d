#!/bin/sh
# mariadb-test-server.sh - a throwaway MariaDB server for tests and test-data generation.
#
#   mariadb-test-server.sh start DIR PORT [mariadbd options...]
#   mariadb-test-server.sh stop DIR
#   mariadb-test-server.sh status DIR
#   mariadb-test-server.sh free-port [FIRST [LAST]]     prints an unused loopback TCP port (default 33100..33999)
#
# Needs a stock Debian `mariadb-server` (mariadb-install-db, mariadbd, mariadb-admin); see
# scripts/install-test-deps.sh. Reads no option files (--no-defaults) and never touches the system
# server: everything lives under DIR (keep DIR short, the unix socket path must fit in ~100 bytes):
#   DIR/data/  datadir (initialised on first start)   DIR/binlog/  mariadb-bin.NNNNNN + index
#   DIR/tmp/   tmpdir       DIR/sock  socket          DIR/pid      pid file       DIR/err  error log
# The server listens on 127.0.0.1:PORT only; PORT 3306 is refused. root@localhost has no password
# (scratch use only). Base options (extra options are appended, so they win):
#   --log-bin=DIR/binlog/mariadb-bin --binlog-format=ROW --server-id=1 --max-allowed-packet=1G
#   --skip-name-resolve --bind-address=127.0.0.1 --default-time-zone=+00:00
#   --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci
# `start` waits until the server answers (max 60 s) and prints "ready port=.. socket=.. pid=..".
# `stop` sends SIGTERM to the pid recorded in DIR/pid (only if it is a mariadbd started on DIR), waits up to
# 60 s for a clean shutdown, then SIGKILL. It never kills by name. DIR is left in place (rm -rf it yourself).
# Client: mariadb --no-defaults --socket=DIR/sock -uroot
set -u
PATH=$PATH:/usr/sbin:/usr/local/sbin   # mariadbd lives in /usr/sbin, often not in a user's PATH

die() { echo "mariadb-test-server: $*" >&2; exit 1; }
usage() { sed -n '4,7p' "$0" >&2; exit 2; }

# pid of the mariadbd serving DIR, or nothing
server_pid() {
    [ -f "$1/pid" ] || return 0
    p=$(cat "$1/pid" 2>/dev/null)
    case "$p" in ''|*[!0-9]*) return 0 ;; esac
    kill -0 "$p" 2>/dev/null || return 0
    if [ -r "/proc/$p/cmdline" ]; then
        case "$(tr '\0' ' ' < "/proc/$p/cmdline")" in *mariadbd*"--datadir=$1/data"*) echo "$p" ;; esac
    else
        echo "$p"
    fi
}

port_in_use() {
    # ss is in iproute2; fall back to /proc/net/tcp (hex ports, LISTEN state 0A)
    if command -v ss >/dev/null 2>&1; then
        ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
    else
        hex=$(printf '%04X' "$1")
        cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v h=":$hex" '$2 ~ h"$" && $4 == "0A" { f = 1 } END { exit !f }'
    fi
}

cmd_free_port() {
    first=${1:-33100}; last=${2:-33999}
    # start at a pseudo-random offset so parallel callers rarely collide
    span=$((last - first + 1))
    off=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % span ))
    i=0
    while [ $i -lt $span ]; do
        p=$((first + (off + i) % span))
        if [ "$p" -ne 3306 ] && ! port_in_use "$p"; then echo "$p"; return 0; fi
        i=$((i + 1))
    done
    die "no free port in $first..$last"
}

cmd_start() {
    [ $# -ge 2 ] || usage
    mkdir -p "$1" || die "cannot create $1"
    DIR=$(cd "$1" && pwd -P)
    PORT=$2; shift 2
    case "$PORT" in ''|*[!0-9]*) die "PORT must be a number" ;; esac
    [ "$PORT" -ne 3306 ] || die "refusing port 3306 (reserved for real servers)"
    [ ${#DIR} -lt 90 ] || die "DIR path too long for a unix socket: $DIR"
    command -v mariadbd >/dev/null 2>&1 || die "mariadbd not found (run scripts/install-test-deps.sh)"

    pid=$(server_pid "$DIR")
    [ -z "$pid" ] || die "a server is already running on $DIR (pid $pid); stop it first"
    port_in_use "$PORT" && die "port $PORT is already in use"

    user=""
    [ "$(id -u)" -eq 0 ] && user="--user=root"
    mkdir -p "$DIR/binlog" "$DIR/tmp"
    if [ ! -d "$DIR/data/mysql" ]; then
        rm -rf "$DIR/data"; mkdir -p "$DIR/data"
        # shellcheck disable=SC2086
        # its own --tmpdir: parallel installs sharing /tmp clash on temporary tables
        mariadb-install-db --no-defaults --datadir="$DIR/data" --tmpdir="$DIR/tmp" $user --auth-root-authentication-method=normal \
            --skip-test-db --skip-name-resolve > "$DIR/install.log" 2>&1 \
            || { tail -n 20 "$DIR/install.log" >&2; die "mariadb-install-db failed, see $DIR/install.log"; }
    fi

    rm -f "$DIR/pid"
    # shellcheck disable=SC2086
    set -- --no-defaults $user --datadir="$DIR/data" --tmpdir="$DIR/tmp" \
        --socket="$DIR/sock" --port="$PORT" --bind-address=127.0.0.1 --skip-name-resolve \
        --pid-file="$DIR/pid" --log-error="$DIR/err" \
        --log-bin="$DIR/binlog/mariadb-bin" --binlog-format=ROW --server-id=1 --max-allowed-packet=1G \
        --default-time-zone=+00:00 --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
        "$@"
    echo "mariadbd $*" > "$DIR/cmdline"
    if command -v setsid >/dev/null 2>&1; then
        TZ=UTC setsid mariadbd "$@" < /dev/null >> "$DIR/out" 2>&1 &
    else
        TZ=UTC nohup mariadbd "$@" < /dev/null >> "$DIR/out" 2>&1 &
    fi
    launched=$!
    i=0
    until mariadb-admin --no-defaults --socket="$DIR/sock" -uroot --connect-timeout=2 ping >/dev/null 2>&1 \
            && [ -n "$(server_pid "$DIR")" ]; do
        if ! kill -0 "$launched" 2>/dev/null; then
            tail -n 20 "$DIR/err.err" "$DIR/out" >&2 2>/dev/null
            die "mariadbd exited during startup (see $DIR/err.err)"
        fi
        i=$((i + 1))
        [ $i -le 600 ] || { tail -n 20 "$DIR/err.err" >&2; die "mariadbd not ready after 60 s (pid $launched)"; }
        sleep 0.1
    done
    echo "ready port=$PORT socket=$DIR/sock pid=$(cat "$DIR/pid") binlog=$DIR/binlog"
}

cmd_stop() {
    [ $# -eq 1 ] || usage
    [ -d "$1" ] || { echo "not running: $1"; return 0; }
    DIR=$(cd "$1" && pwd -P)
    pid=$(server_pid "$DIR")
    [ -n "$pid" ] || { echo "not running: $DIR"; return 0; }
    kill -TERM "$pid" 2>/dev/null
    i=0
    while kill -0 "$pid" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 600 ]; then
            echo "mariadbd $pid still running after 60 s, sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null; sleep 0.5; break
        fi
        sleep 0.1
    done
    echo "stopped pid=$pid dir=$DIR"
}

cmd_status() {
    [ $# -eq 1 ] || usage
    [ -d "$1" ] || { echo "not running: $1"; return 1; }
    DIR=$(cd "$1" && pwd -P)
    pid=$(server_pid "$DIR")
    if [ -n "$pid" ]; then echo "running pid=$pid socket=$DIR/sock"; else echo "not running: $DIR"; return 1; fi
}

[ $# -ge 1 ] || usage
action=$1; shift
case "$action" in
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    free-port) cmd_free_port "$@" ;;
    *) usage ;;
esac
