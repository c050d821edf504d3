#!/usr/bin/env bash
# Builds tests/consumer/main.cpp against flowpool one way and checks what it prints.
# Usage: consumer.sh find_package|pkg-config|add_subdirectory SOURCE_DIR BUILD_DIR
#        consumer.sh installed SOURCE_DIR: find_package and pkg-config on flowpool as installed in
#        /usr (by the .deb: scripts/deb_check.sh), with no path given to either.
set -euo pipefail
mode=$1 src=$2 build=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

case $mode in
    find_package)
        cmake --install "$build" --prefix "$work/prefix" >/dev/null
        cmake -S "$src/tests/consumer" -B "$work/app" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
        cmake --build "$work/app" >/dev/null
        app=$work/app/app ;;
    pkg-config)
        cmake --install "$build" --prefix "$work/prefix" >/dev/null
        PKG_CONFIG_PATH=$(dirname "$(find "$work/prefix" -name flowpool.pc)")
        export PKG_CONFIG_PATH
        # shellcheck disable=SC2046
        g++ -O2 "$src/tests/consumer/main.cpp" -o "$work/app" $(pkg-config --cflags --libs --static flowpool)
        app=$work/app ;;
    add_subdirectory)
        # Unoptimised (-O0, no -g): this checks that the targets configure, build and link from
        # source; at -O3 building the library was 268 s of a CI suite's 438 s.
        cmake -S "$src/tests/consumer" -B "$work/app" -DFLOWPOOL_SOURCE="$src" \
            -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0 >/dev/null
        cmake --build "$work/app" -j2 >/dev/null
        app=$work/app/app ;;
    installed)
        cmake -S "$src/tests/consumer" -B "$work/app" >/dev/null
        cmake --build "$work/app" >/dev/null
        found=$(sed -n 's/^flowpool_DIR:PATH=//p' "$work/app/CMakeCache.txt")
        [[ $found == /usr/lib/* ]] || { echo "FAIL: find_package found flowpool in '$found'" >&2; exit 1; }
        [[ $(pkg-config --variable=pcfiledir flowpool) == /usr/lib/* ]] ||
            { echo "FAIL: pkg-config finds no flowpool.pc in /usr/lib" >&2; exit 1; }
        # shellcheck disable=SC2046
        g++ -O2 "$src/tests/consumer/main.cpp" -o "$work/app_pc" $(pkg-config --cflags --libs --static flowpool)
        [[ $("$work/app_pc") == "$("$work/app/app")" ]] || { echo "FAIL: the pkg-config build differs" >&2; exit 1; }
        app=$work/app/app ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
esac

out=$("$app")
echo "$out"
version=$(sed -n 's/^project(flowpool VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[[ $out == "sum=332833500 version=$version" ]] || { echo "FAIL: unexpected output" >&2; exit 1; }
