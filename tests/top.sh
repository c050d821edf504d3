#!/usr/bin/env bash
# `flowpool top` on a run serving --metrics, driven under tmux: the table shows the run's nodes
# and its bottleneck, `q` quits at once; `--once` prints the table; an address where nothing
# answers is exit 2 with one clear line. Usage: top.sh FLOWPOOL SOURCE_DIR
set -euo pipefail
flowpool=$1 src=$2
work=$(mktemp -d)
socket=flowpool-top-test-$$
cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    [[ -n ${run:-} ]] && kill "$run" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$flowpool" run "$src/graphs/spin_summary.yaml" --set jobs.count=1000000000 \
    --metrics 127.0.0.1:0 --no-progress >/dev/null 2>"$work/err" &
run=$!
# (Up to 30 s, or until the run ends: a sanitized build on a busy machine starts slowly.)
for _ in $(seq 600); do
    grep -q '^metrics: http://.*/metrics$' "$work/err" && break
    kill -0 "$run" 2>/dev/null || break
    sleep 0.05
done
address=$(sed -n 's|^metrics: http://\([^/]*\)/metrics$|\1|p' "$work/err")
[[ -n $address ]] || fail "no metrics address on stderr: $(cat "$work/err")"

# --once: one table, the three nodes and a bottleneck (the first scrape may come before the run
# has its nodes: ask again for up to 5 s).
for _ in $(seq 50); do
    "$flowpool" top "$address" --once >"$work/once"
    grep -qE "^work +function " "$work/once" && break
    sleep 0.1
done
for node in jobs work total; do
    grep -qE "^$node +(source|function|sink) " "$work/once" || fail "no row for $node: $(cat "$work/once")"
done
grep -q -- '<- bottleneck' "$work/once" || fail "no bottleneck marked: $(cat "$work/once")"

# Live, under tmux: after two redraws the rate column holds numbers; q quits within a second.
# (Asked for up to 20 s: a sanitized build on a busy machine starts and redraws slowly.)
tmux -L "$socket" new-session -d -s top -x 120 -y 20 "'$flowpool' top '$address'; echo exit=\$? >'$work/exit'"
for _ in $(seq 100); do
    sleep 0.2
    tmux -L "$socket" capture-pane -p -t top >"$work/screen"
    grep -qE '^work +function +[0-9]+ ' "$work/screen" && break
done
grep -q "flowpool top $address: running" "$work/screen" || fail "no header: $(cat "$work/screen")"
grep -qE '^work +function +[0-9]+ ' "$work/screen" || fail "no rate for work: $(cat "$work/screen")"
# (Within 2 s, times FLOWPOOL_TEST_SLOWDOWN: a sanitized top checks for leaks as it exits.)
tmux -L "$socket" send-keys -t top q
for _ in $(seq $(( 40 * ${FLOWPOOL_TEST_SLOWDOWN:-1} ))); do [[ -s $work/exit ]] && break; sleep 0.05; done
[[ $(cat "$work/exit" 2>/dev/null) == exit=0 ]] ||
    fail "q did not quit with 0 within $(( 2 * ${FLOWPOOL_TEST_SLOWDOWN:-1} )) s"
cp "$work/screen" "${TOP_SCREEN:-/dev/null}"

# Nothing answers: exit 2 and one line naming the address.
code=0
"$flowpool" top 127.0.0.1:1 --once >/dev/null 2>"$work/none" || code=$?
[[ $code == 2 ]] || fail "nothing answering gave exit $code"
grep -q 'nothing answers at http://127.0.0.1:1/metrics' "$work/none" || fail "$(cat "$work/none")"
echo "ok: flowpool top drew the table, q quit it, and an empty address is exit 2"
