#!/usr/bin/env bash
# The word-count benchmark (bench/README.md, "Expressions and aggregates"): the ten most frequent
# words of a big text, by
#   flowpool   flowpool run graphs/word_count.yaml --set text.path=words.txt
#   shell      tr -s ' ' '\n' < words.txt | tr A-Z a-z | sort | uniq -c | sort -rn | head
#              (LC_ALL=C: the text is ASCII, and byte order is what flowpool's grouping uses)
# alternating, one line per run: wall, user and sys seconds and peak RSS from /usr/bin/time (for
# the shell: CPU summed over the pipeline, RSS of its largest process), and the 1-minute load
# average before the run. Then the two top tens are compared as sets of (count, word): ties may
# be printed in another order.
#
# The text: a deterministic generator (Python's random.Random(SEED)) draws 5,000 made-up words,
# a fifth of them capitalised (so that lower-casing matters), and writes a 2 MB block of lines of
# 4-16 of them, single spaces between, chosen with Zipf weights (1/rank); the block is repeated
# up to SIZE. Every count is then a multiple of the repeats.
#
# Usage: bench/words_bench.sh [DIR]    (BUILD=build, SIZE_MB=200, SEED=1, RUNS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build}
runs=${RUNS:-3}
size_mb=${SIZE_MB:-200}
dir=${1:-}
if [[ -z $dir ]]; then
    dir=$(mktemp -d)
    trap 'rm -rf "$dir"' EXIT
fi
mkdir -p "$dir"
text=$dir/words-${size_mb}M.txt
timing=$dir/time.txt
fmt='%e s wall %U user %S sys %M KB'

if [[ ! -s $text ]]; then
    python3 - "${SEED:-1}" >"$dir/block.txt" <<'EOF'
import random, sys
rng = random.Random(int(sys.argv[1]))
letters = "abcdefghijklmnopqrstuvwxyz"
vocabulary, seen = [], set()
while len(vocabulary) < 5000:
    word = "".join(rng.choice(letters) for _ in range(rng.randint(2, 9)))
    if word not in seen:
        seen.add(word)
        vocabulary.append(word.capitalize() if rng.random() < 0.2 else word)
weights = [1 / rank for rank in range(1, len(vocabulary) + 1)]
size = 0
lines = []
while size < 2_000_000:
    line = " ".join(rng.choices(vocabulary, weights, k=rng.randint(4, 16)))
    lines.append(line)
    size += len(line) + 1
sys.stdout.write("\n".join(lines) + "\n")
EOF
    block_bytes=$(stat -c %s "$dir/block.txt")
    repeats=$(((size_mb * 1000000 + block_bytes - 1) / block_bytes))
    for ((i = 0; i < repeats; i++)); do cat "$dir/block.txt"; done >"$text"
    echo "wrote $text: $repeats repeats of a $block_bytes-byte block"
fi
cat "$text" >/dev/null  # in the page cache before the first run
echo "text: $(stat -c %s "$text") bytes, $(wc -l <"$text") lines, $(wc -w <"$text") words"

shell_pipeline="tr -s ' ' '\\n' < '$text' | tr A-Z a-z | sort | uniq -c | sort -rn | head"
command_of() {
    case $1 in
        flowpool) cmd=("$build/flowpool" run graphs/word_count.yaml --set "text.path=$text") ;;
        shell) cmd=(env LC_ALL=C bash -c "$shell_pipeline") ;;
    esac
}

names=(flowpool shell)
printf 'run\tname\ttime\tload\n'
for ((run = 1; run <= runs; run++)); do
    for name in "${names[@]}"; do
        command_of "$name"
        load=$(cut -d' ' -f1 /proc/loadavg)
        /usr/bin/time -f "$fmt" -o "$timing" "${cmd[@]}" >"$dir/top.$name.txt" \
            2>"$dir/err.$name.txt"
        printf '%d\t%s\t%s\t%s\n' "$run" "$name" "$(cat "$timing")" "$load"
    done
done

echo "flowpool: $(cat "$dir/err.flowpool.txt")"
echo "flowpool's top ten:"
cat "$dir/top.flowpool.txt"
if cmp -s <(awk '{ print $1, $2 }' "$dir/top.flowpool.txt" | sort) \
    <(awk '{ print $1, $2 }' "$dir/top.shell.txt" | sort); then
    echo "same top ten (count, word) as the shell's"
else
    echo "DIFFERENT top ten; the shell's:"
    cat "$dir/top.shell.txt"
    exit 1
fi
