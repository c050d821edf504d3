#!/usr/bin/env bash
# Builds tests/consumer/main.cpp against flowpool one way and checks what it prints.
# Usage: consumer.sh find_package|pkg-config|add_subdirectory SOURCE_DIR BUILD_DIR
set -euo pipefail
mode=$1 src=$2 build=$3
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
        cmake -S "$src/tests/consumer" -B "$work/app" -DFLOWPOOL_SOURCE="$src" >/dev/null
        cmake --build "$work/app" -j2 >/dev/null
        app=$work/app/app ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
esac

out=$("$app")
echo "$out"
version=$(sed -n 's/^project(flowpool VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
[[ $out == "sum=332833500 version=$version" ]] || { echo "FAIL: unexpected output" >&2; exit 1; }
