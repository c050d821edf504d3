#!/usr/bin/env bash
# Runs the graph-file fuzzer for SECONDS (default 60), seeded from the committed corpus
# (tests/fuzz/corpus/graph_file/, a merged run), graphs/ and tests/data/ (every example, every bad
# graph, every past crash). New inputs that reach new code are kept in WORK_DIR/corpus, so later
# runs start from where this one stopped; an input that crashes is written to WORK_DIR/crash-*
# and fails the run: copy it to tests/data/fuzz_regressions/. To refresh the committed corpus
# after a long run, merge into an empty directory and replace tests/fuzz/corpus/graph_file/ with it:
#   FUZZER -merge=1 -max_len=8192 NEW_DIR WORK_DIR/corpus tests/fuzz/corpus/graph_file graphs tests/data
# Usage: run.sh FUZZER SOURCE_DIR WORK_DIR [SECONDS]
set -euo pipefail
fuzzer=$1 src=$2 work=$3 seconds=${4:-60}
mkdir -p "$work/corpus"
# -timeout: a graph file that takes 5 s to load is a bug too. -rss_limit_mb: so is 1 GB.
# -max_len: graph files are small; longer inputs mostly slow the search down.
# Only the first directory ($work/corpus) is written to; the others are read.
"$fuzzer" "$work/corpus" "$src/tests/fuzz/corpus/graph_file" "$src/graphs" "$src/tests/data" \
    -dict="$src/tests/fuzz/graph.dict" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
    -max_len=8192 -artifact_prefix="$work/" -print_final_stats=1
