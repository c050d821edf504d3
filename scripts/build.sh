#!/usr/bin/env bash
# Installs the Debian 12 packages flowpool needs (only those missing), then configures and builds
# it in ./build. Run as root on a fresh machine; extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ make libtbb-dev libspdlog-dev libyaml-cpp-dev libcli11-dev
          libgtest-dev libgmock-dev libbenchmark-dev time pkg-config clang
          python3-jsonschema python3-yaml libhiredis-dev libre2-dev redis-server graphviz clang-format
          zlib1g-dev libzstd-dev libsimdjson-dev libcivetweb-dev python3-prometheus-client curl tmux
          dpkg-dev file)  # dpkg-dev, file: `cpack -G DEB` (cmake/packaging.cmake)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build -j"$(nproc)"
