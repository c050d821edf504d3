#!/usr/bin/env bash
# Runs one of the input-layer fuzzers (csv_fuzz, decompress_fuzz) for SECONDS (default 60),
# seeded from the committed seeds in SEED_DIR (tests/fuzz/corpus/csv/ or .../decompress/). New
# inputs that reach new code are kept in WORK_DIR/corpus; an input that crashes is written to
# WORK_DIR/crash-* and fails the run.
# Usage: run_input.sh FUZZER SEED_DIR WORK_DIR [SECONDS]
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 seconds=${4:-60}
mkdir -p "$work/corpus"
# -max_len: 64 KiB reaches the readers' refills (128 KiB chunks only with luck) and stays fast.
"$fuzzer" "$work/corpus" "$seeds" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="$work/" -print_final_stats=1
