# The Debian package (cmake/packaging.cmake): `cpack -G DEB` into a temporary directory, then its
# contents and control fields checked. Label `package`: .ci/run leaves it out of the sanitizer
# build, whose CLI links libasan and whose package nobody installs.
find_program(FLOWPOOL_DPKG_DEB dpkg-deb)
find_program(FLOWPOOL_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(TARGET flowpool_cli AND FLOWPOOL_INSTALL AND FLOWPOOL_TOP_LEVEL)
    if(FLOWPOOL_DPKG_DEB AND FLOWPOOL_DPKG_SHLIBDEPS)
        add_test(NAME package.deb_contents
                 COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/package_contents.sh ${PROJECT_SOURCE_DIR}
                         ${PROJECT_BINARY_DIR} $<BOOL:${FLOWPOOL_REDIS}>)
        set_tests_properties(package.deb_contents PROPERTIES TIMEOUT 300 LABELS package)
    else()
        message(WARNING "dpkg-deb or dpkg-shlibdeps missing: package.deb_contents is left out "
                        "(scripts/build.sh installs dpkg-dev)")
    endif()
endif()
