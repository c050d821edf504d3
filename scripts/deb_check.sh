#!/usr/bin/env bash
# Installs flowpool as an operator does and takes it away again: builds the .deb from a build
# directory (cpack -G DEB), installs it with apt-get, runs /usr/bin/flowpool on an installed
# example graph, builds an application against the installed library (find_package and
# pkg-config, tests/consumer.sh installed), then purges the package and checks nothing is left.
# Run as root: it writes to /usr. .ci/run runs it after the test suites, never beside them.
# Usage: scripts/deb_check.sh [BUILD_DIR]   (default: build, as scripts/build.sh leaves it)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=$(realpath "${1:-build}")
fail() { echo "deb_check: FAIL: $*" >&2; exit 1; }

# Touch nothing that is not ours: an installed flowpool, or a flowpool in /usr/bin from
# elsewhere, stays as it is and the check stops.
if dpkg-query -W -f='${Status}' flowpool 2>/dev/null | grep -q 'installed'; then
    fail "a flowpool package is installed already: purge it first (apt-get purge flowpool)"
fi
[[ -e /usr/bin/flowpool ]] && fail "/usr/bin/flowpool exists and belongs to no flowpool package"

work=$(mktemp -d)
installed=0
cleanup() {
    if ((installed)); then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq flowpool >/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== cpack -G DEB ($build)"
(cd "$work" && cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work" >"$work/cpack.log") ||
    { cat "$work/cpack.log" >&2; fail "cpack -G DEB"; }
debs=("$work"/flowpool_*.deb)
[[ -f ${debs[0]} ]] || fail "cpack wrote no flowpool_*.deb"
echo "built $(basename "${debs[0]}")"

echo "== apt-get install ./$(basename "${debs[0]}")"
installed=1
(cd "$work" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$(basename "${debs[0]}")" \
    >"$work/apt.log" 2>&1) || { cat "$work/apt.log" >&2; fail "apt-get install"; }
[[ $(dpkg-query -W -f='${Status}' flowpool) == "install ok installed" ]] || fail "dpkg does not list flowpool"

echo "== /usr/bin/flowpool"
version=$(sed -n 's/^project(flowpool VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
/usr/bin/flowpool --version | tee "$work/version"
grep -qF "$version" "$work/version" || fail "flowpool --version does not say $version"
# The worker-pool example as installed, from a directory that has no graphs/ of its own.
(cd "$work" && /usr/bin/flowpool run /usr/share/flowpool/graphs/worker_pool.yaml >"$work/out")
# Each job's result, and the line its worker logged, in any order.
grep '^Result: ' "$work/out" | sort >"$work/got"
for id in 0 1 2 3 4 5 6 7 8 9; do echo "Result: Job $id Value $id"; done | sort >"$work/want"
diff "$work/want" "$work/got" || fail "worker_pool.yaml printed other results"
[[ $(grep -cE '^Job [0-9] processed by worker [0-2]$' "$work/out") == 10 ]] ||
    fail "worker_pool.yaml's workers did not log each job once"
echo "worker_pool.yaml: 10 results"
# Every installed graph validates (none loads a plugin: examples/plugin is not in the package).
for graph in /usr/share/flowpool/graphs/*.yaml; do
    /usr/bin/flowpool validate "$graph" >/dev/null || fail "the installed $graph does not validate"
done

echo "== an application built against the installed flowpool"
tests/consumer.sh installed "$src"

echo "== apt-get purge -y flowpool"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq flowpool >"$work/apt.log" 2>&1 ||
    { cat "$work/apt.log" >&2; fail "apt-get purge"; }
installed=0
for path in /usr/bin/flowpool /usr/include/flowpool /usr/share/flowpool; do
    [[ -e $path ]] && fail "$path is still there after the purge"
done
find /usr/lib -path '*cmake/flowpool*' -o -name 'flowpool.pc' -o -name 'libflowpool*' |
    grep . && fail "library files are still there after the purge"
dpkg-query -W -f='${Status}' flowpool 2>/dev/null | grep -q installed && fail "dpkg still lists flowpool"
echo "deb_check: ok"
