# The Debian package: `cpack -G DEB` in the build directory writes flowpool_VERSION_ARCH.deb with
# everything `cmake --install` installs (the CLI, the library, its headers, the CMake package, the
# pkg-config file, graphs/ with schema.json) under /usr. Checked by tests/package_contents.sh;
# installed, used and purged by scripts/deb_check.sh (.ci/run, after the test suites).
set(CPACK_PACKAGE_NAME flowpool)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "flowpool developers <flowpool@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # flowpool_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# The Description field: the summary line, then this text (dpkg indents it).
set(CPACK_PACKAGE_DESCRIPTION "The flowpool command runs graph files (YAML) of sources, worker
pools and sinks (run, validate, dot, exec, ops, top, bench); example graphs and
their JSON schema are in /usr/share/flowpool/graphs. The C++ library (static),
its headers, a CMake package (find_package(flowpool)) and a pkg-config file are
for applications.")

# Depends: the runtime libraries /usr/bin/flowpool links (oneTBB, spdlog, fmt, yaml-cpp, RE2,
# simdjson, zlib, zstd, hiredis, civetweb, libstdc++), found by dpkg-shlibdeps (dpkg-dev) from
# the shlibs and symbols files of the packages installed on the building machine: no network,
# and Debian's own names and minimum versions, the same as a Debian-built package would declare.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Recommends: what an application needs to build against the library. libflowpool is static, so
# its users link its dependencies themselves: flowpoolConfig.cmake calls find_dependency() on
# oneTBB, spdlog, yaml-cpp, simdjson and zlib and pkg-config on RE2, zstd and hiredis, and
# flowpool.pc lists them in Requires.private. Not Depends: the CLI, which is what an operator
# installs the package for, needs none of them, and apt installs Recommends by default, so
# `apt-get install ./flowpool_*.deb` gives a machine that builds against flowpool, while
# `--no-install-recommends` gives one that only runs graphs.
set(flowpool_dev_packages libtbb-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libsimdjson-dev
    zlib1g-dev libre2-dev libzstd-dev pkg-config)
if(FLOWPOOL_REDIS)
    list(APPEND flowpool_dev_packages libhiredis-dev)
endif()
list(JOIN flowpool_dev_packages ", " CPACK_DEBIAN_PACKAGE_RECOMMENDS)
# Plugins (examples/plugin) and applications are compiled with a C++20 compiler and CMake.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "g++ (>= 4:12), cmake (>= 3.22)")

include(CPack)
