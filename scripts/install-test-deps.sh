#!/bin/sh
# install-test-deps.sh - install what binvault's tests and testdata/generate.sh need on a fresh Debian/Ubuntu
# machine: the MariaDB server and client tools (mariadbd, mariadb-install-db, mariadb, mariadb-admin,
# mariadb-binlog = the decoding oracle of crates/cli/tests/oracle.rs, mariadb-dump for the restore tests) plus gzip.
# Idempotent: does nothing when the tools are already there. Needs root (or sudo) to install.
# Does not start the system MariaDB service (tests run their own servers on free loopback ports).
set -eu

missing=""
for tool in mariadbd mariadb-install-db mariadb mariadb-admin mariadb-binlog mariadb-dump; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing="$missing $tool"
done
command -v gzip >/dev/null 2>&1 || missing="$missing gzip"

if [ -z "$missing" ]; then
    echo "install-test-deps: all present ($(mariadbd --version 2>/dev/null | sed 's/^.*Ver //'))"
    exit 0
fi
echo "install-test-deps: missing:$missing - installing mariadb-server mariadb-client gzip"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install-test-deps: need root or sudo" >&2; exit 1; }
    SUDO="sudo"
fi
command -v apt-get >/dev/null 2>&1 || { echo "install-test-deps: only apt-based systems are supported" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
# keep the package's postinst from starting the system server (on 3306): tests start their own servers
policy_added=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    $SUDO sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d' && policy_added=1
fi
cleanup() { [ -z "$policy_added" ] || $SUDO rm -f /usr/sbin/policy-rc.d; }
trap cleanup EXIT

$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    mariadb-server mariadb-client gzip > /dev/null
echo "install-test-deps: installed $(mariadbd --version 2>/dev/null || /usr/sbin/mariadbd --version)"
