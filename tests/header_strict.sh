#!/usr/bin/env bash
# The public headers compile cleanly under an application's strictest warnings, with no
# yaml-cpp, CLI11 or oneTBB include path needed. Usage: header_strict.sh COMPILER SOURCE_DIR BUILD_DIR
set -euo pipefail
compiler=$1 src=$2 build=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#include <flowpool/flowpool.hpp>\nint main() { return 0; }\n' > "$work/tu.cpp"
"$compiler" -std=c++20 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror \
    -I"$src/include" -I"$build/include" -c "$work/tu.cpp" -o "$work/tu.o"
# Nothing but the standard library and flowpool's own headers may be pulled in. (libstdc++'s
# parallel algorithms include oneTBB's headers by themselves when it is installed, so oneTBB is
# checked on flowpool's own include lines.)
if grep -rnE '#include <(yaml-cpp|CLI|tbb|oneapi|spdlog|fmt)/' "$src/include"; then
    echo "FAIL: a public header includes a dependency's header" >&2; exit 1
fi
"$compiler" -std=c++20 -I"$src/include" -I"$build/include" -M "$work/tu.cpp" |
    tr ' \\' '\n\n' | grep -E '/(yaml-cpp|CLI|spdlog|fmt)/' && { echo "FAIL: a dependency's header leaks" >&2; exit 1; }
echo "ok: $compiler"
