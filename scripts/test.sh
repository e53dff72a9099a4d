#!/usr/bin/env bash
# The full test suite, on a fresh Debian machine: installs what the tests need (MariaDB server
# and client tools: the tests start their own throwaway servers and use mariadb-binlog as the
# decoding oracle), then runs every test of the workspace's default members.
set -euo pipefail
cd "$(dirname "$0")/.."
sh scripts/install-test-deps.sh
cargo test --locked --workspace --exclude binvault-benches --all-targets
cargo test --locked --workspace --exclude binvault-benches --doc
