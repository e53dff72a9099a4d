#!/bin/sh
# seed.sh - (re)build the seed corpora of the fuzz targets from the binlogs under testdata/.
#
#   fuzz/seed.sh [OUT_DIR]        default: fuzz/corpus (one folder per target)
#
# Runs the ignored test `write_seeds` of crates/parser/tests/fuzz_corpus.rs, which writes:
#   stream/   whole binlogs (big ones cut near 64 KiB at an event boundary)
#   event/    single events (rows events with their TABLE_MAP), with the fuzzing::event header
#   rows/     TABLE_MAP + rows event in the fuzzing::rows format
#   json/     hand-made binary JSON documents (MariaDB logs JSON as text: none in testdata/)
#   decimal/  DECIMALs of many precisions and scales
# Seeds are named seed-<crc32>; existing files are kept. Minimize afterwards with
# `cargo fuzz cmin TARGET` (see fuzz/README.md).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd -P)
OUT=${1:-$HERE/corpus}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
cd "$HERE/.."
FUZZ_SEED_OUT="$OUT" cargo test -q -p binvault-parser --test fuzz_corpus -- --ignored --exact write_seeds --nocapture
