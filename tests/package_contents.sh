#!/usr/bin/env bash
# The .deb that `cpack -G DEB` builds holds what an operator and an application need, under /usr,
# and declares the Debian packages of the libraries the CLI links.
# Usage: package_contents.sh SOURCE_DIR BUILD_DIR REDIS (1 or 0: FLOWPOOL_REDIS)
set -euo pipefail
src=$1 build=$2 redis=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Into a directory of its own, so that runs beside the other tests touch nothing in BUILD_DIR.
(cd "$work" && cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work" >"$work/cpack.log") ||
    { cat "$work/cpack.log" >&2; fail "cpack -G DEB"; }
version=$(sed -n 's/^project(flowpool VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
deb=$work/flowpool_${version}_$(dpkg --print-architecture).deb
[[ -f $deb ]] || fail "no $(basename "$deb"); cpack wrote: $(cd "$work" && echo *.deb)"

# The control fields.
[[ $(dpkg-deb -f "$deb" Package) == flowpool ]] || fail "Package is not flowpool"
[[ $(dpkg-deb -f "$deb" Version) == "$version" ]] || fail "Version is not $version"
depends=$(dpkg-deb -f "$deb" Depends)
recommends=$(dpkg-deb -f "$deb" Recommends)
echo "Depends: $depends"
echo "Recommends: $recommends"

# The names of the packages a control field lists, one a line ("a (>= 1), b | c" -> a b c).
names() { tr ',|' '\n' <<<"$1" | awk 'NF { print $1 }'; }
# The package that holds a library file. dpkg knows each file by the path its package gives it,
# /lib/... or /usr/lib/... (/lib is a link to /usr/lib): try both, for the file and its target.
owner_of() {
    local file path
    for file in "$1" "$(readlink -f "$1")"; do
        for path in "$file" "${file#/usr}" "/usr${file#/usr}"; do
            dpkg -S "$path" 2>/dev/null | sed -n '1s/[:,].*//p' | grep . && return 0
        done
    done
    return 1
}

# Every library the CLI links directly comes from a Debian package named in Depends.
declare -A wanted=()
while read -r soname; do
    # "libz.so.1 => /lib/.../libz.so.1 (0x...)", or for the dynamic loader "/lib64/ld-linux... (0x...)"
    path=$(ldd "$build/flowpool" | awk -v n="$soname" '$1 == n { print $3 } $1 ~ "/" n "$" { print $1 }')
    [[ -n $path ]] || fail "ldd does not resolve $soname"
    [[ $path == "$build"/* ]] && continue  # a shared libflowpool: in the package itself
    owner=$(owner_of "$path") || fail "no installed package holds $path"
    wanted[$owner]=1
done < <(readelf -d "$build/flowpool" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
# Named here too, so that an empty ldd cannot make the test pass: the families of ./CMakeLists.txt.
families=(libtbb libspdlog libfmt libyaml-cpp libre2 libsimdjson zlib1g libzstd libcivetweb
          libstdc++6 libc6)
[[ $redis == 1 ]] && families+=(libhiredis)
for family in "${families[@]}"; do
    printf '%s\n' "${!wanted[@]}" | grep -qF "$family" ||
        fail "the CLI links no library of $family (ldd $build/flowpool)"
done
# Named by the package, or by a name it Provides (libspdlog1.10's shlibs file asks for
# libspdlog1.10-fmt9: spdlog's ABI depends on the fmt it was built with).
for package in "${!wanted[@]}"; do
    provides=$(dpkg-query -W -f='${Provides}' "$package" 2>/dev/null || true)
    { echo "$package"; names "$provides"; } >"$work/accepted"
    names "$depends" | grep -qxF -f "$work/accepted" ||
        fail "Depends names neither $package nor a name it provides"
done
# What find_package(flowpool) and `pkg-config --static flowpool` need, for applications.
dev=(libtbb-dev libspdlog-dev libyaml-cpp-dev libsimdjson-dev zlib1g-dev libre2-dev libzstd-dev
     pkg-config)
[[ $redis == 1 ]] && dev+=(libhiredis-dev)
for package in "${dev[@]}"; do
    names "$recommends" | grep -qxF "$package" || fail "Recommends lacks $package"
done

# The files: everything under /usr, nothing of /usr/local or of the build tree.
dpkg-deb --contents "$deb" | awk '{ print $NF }' | sed 's|^\./|/|; s|/$||' >"$work/files"
grep -vE '^/$|^/usr(/|$)' "$work/files" && fail "files outside /usr"
grep -E '^/usr/local' "$work/files" && fail "files under /usr/local"
has() { grep -qxE "$1" "$work/files" || fail "the package has no $1"; }
libdir='/usr/lib(/[a-z0-9_]+-linux-gnu[a-z0-9_]*)?'
has /usr/bin/flowpool
has "$libdir/libflowpool\.(a|so\.[0-9]+)"
has /usr/include/flowpool/version.hpp
for header in "$src"/include/flowpool/*.hpp "$src"/include/flowpool/detail/*.hpp; do
    has "/usr/include/${header#"$src"/include/}"
done
has "$libdir/cmake/flowpool/flowpoolConfig\.cmake"
has "$libdir/cmake/flowpool/flowpoolConfigVersion\.cmake"
has "$libdir/cmake/flowpool/flowpoolTargets\.cmake"
has "$libdir/pkgconfig/flowpool\.pc"
has /usr/share/flowpool/graphs/schema.json
# Every example graph but those that load a plugin: the package has no plugin to load.
for graph in "$src"/graphs/*.yaml "$src"/graphs/data/*; do
    installed="/usr/share/flowpool/graphs/${graph#"$src"/graphs/}"
    if [[ $graph == *.yaml ]] && grep -q '^plugins:' "$graph"; then
        grep -qxF "$installed" "$work/files" && fail "the package has $installed, without its plugin"
        continue
    fi
    has "$installed"
done

# The installed CMake package and .pc file find their prefix from where they are, not from here.
dpkg-deb -x "$deb" "$work/root"
if grep -rlF "$src" "$work/root/usr" | grep -vE '\.a$|/usr/bin/flowpool$'; then
    fail "installed files name the source or build directory"
fi
pc=$(find "$work/root" -name flowpool.pc)
# shellcheck disable=SC2016
grep -qxF 'prefix=${pcfiledir}/../..' "$pc" || fail "flowpool.pc's prefix is not relative"
echo "ok: $(basename "$deb"), $(wc -l <"$work/files") paths"
