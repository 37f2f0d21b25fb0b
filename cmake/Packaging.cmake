# Packaging.cmake - CPack .deb for camstreamd: the daemon, its systemd unit and default config.
#
# cpack --config BUILD/CPackConfig.cmake  ->  camstreamd_VERSION_ARCH.deb in BUILD
# Package builds are configured with -DCMAKE_INSTALL_PREFIX=/usr (the presets do that), the
# place the unit's ExecStart and Debian expect.
include(GNUInstallDirs)

install(FILES ${PROJECT_SOURCE_DIR}/packaging/camstreamd.service
  DESTINATION lib/systemd/system COMPONENT camstreamd)
# Under /etc, so dpkg keeps a user's edits across upgrades (a conffile, listed below).
install(FILES ${PROJECT_SOURCE_DIR}/packaging/camstreamd.conf
  DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/camstream COMPONENT camstreamd)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/deployment.md
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/camstreamd COMPONENT camstreamd)

# Debian's name for the target architecture: from the toolchain file when cross building.
if(CAMSTREAM_DEB_ARCH)
  set(_camstream_deb_arch ${CAMSTREAM_DEB_ARCH})
else()
  find_program(CAMSTREAM_DPKG dpkg)
  if(CAMSTREAM_DPKG)
    execute_process(COMMAND ${CAMSTREAM_DPKG} --print-architecture
      OUTPUT_VARIABLE _camstream_deb_arch OUTPUT_STRIP_TRAILING_WHITESPACE)
  endif()
endif()

# The binary's Depends come from dpkg-shlibdeps, which knows which package (and version)
# provides each library it links. Against Debian multiarch that works for a cross build too
# (cmake/CPackProject.cmake tells it the target architecture). Against a sysroot it reads the
# sysroot's own dpkg database (scripts/make-sysroot copies the board's), through
# cmake/sysroot-dpkg/dpkg-query. Only a sysroot without one falls back to a given list.
set(CAMSTREAM_DEB_DEPENDS "libc6 (>= 2.34), libstdc++6 (>= 12), libgcc-s1, libturbojpeg0, libssl3"
  CACHE STRING "Depends of the .deb for a sysroot without a dpkg database (made by an old make-sysroot)")
set(CAMSTREAM_SYSROOT_DPKG OFF)
if(CMAKE_SYSROOT AND EXISTS "${CMAKE_SYSROOT}/var/lib/dpkg/status")
  set(CAMSTREAM_SYSROOT_DPKG ON)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME camstreamd)
set(CPACK_PACKAGE_VENDOR camstream)
set(CPACK_PACKAGE_CONTACT "camstream maintainers <camstream@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "camera server: captures frames, serves them as JPEG over TCP and HTTP")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Debug info stays in the build tree; the board gets a small binary (the toolchain's strip).
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL camstreamd)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_NAME camstreamd)
set(CPACK_DEBIAN_PACKAGE_SECTION video)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${_camstream_deb_arch})
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "camstreamd captures camera frames (libcamera, or a test pattern), compresses them to JPEG\n with libjpeg-turbo and serves them over TCP to camview and as MJPEG over HTTP.\n Runs as a systemd service under its own user; settings in /etc/camstream/camstreamd.conf.")
if(CMAKE_SYSROOT AND NOT CAMSTREAM_SYSROOT_DPKG)
  message(WARNING "${CMAKE_SYSROOT} has no dpkg database (var/lib/dpkg/status), so the .deb's "
                  "Depends are CAMSTREAM_DEB_DEPENDS (${CAMSTREAM_DEB_DEPENDS}) instead of what "
                  "the binary links; run scripts/make-sysroot again to copy the board's database")
  if(CAMSTREAM_HAVE_LIBCAMERA AND NOT CAMSTREAM_DEB_DEPENDS MATCHES "libcamera")
    message(WARNING "camstreamd links the sysroot's libcamera but CAMSTREAM_DEB_DEPENDS does "
                    "not name its package; add it (e.g. libcamera0.3: 'dpkg -S libcamera.so' on "
                    "the board says which)")
  endif()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${CAMSTREAM_DEB_DEPENDS}, adduser")
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  if(CAMSTREAM_SYSROOT_DPKG)
    # Where dpkg-shlibdeps looks for the libraries (before this machine's own multiarch ones).
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS
      "${CMAKE_SYSROOT}/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}" "${CMAKE_SYSROOT}/lib/${CMAKE_LIBRARY_ARCHITECTURE}")
  endif()
  # adduser is what postinst creates the user with; shlibdeps adds the libraries.
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
  ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# Read by cpack when it runs (not at configure time): sets up dpkg-shlibdeps for the target.
configure_file(${PROJECT_SOURCE_DIR}/cmake/CPackProject.cmake.in
  ${PROJECT_BINARY_DIR}/CPackProject.cmake @ONLY)
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_BINARY_DIR}/CPackProject.cmake)

include(CPack)

# The package test: cpack, then tests/e2e/test_package.py on the .deb (contents, Depends, the
# unit through systemd-analyze, and the packaged daemon serving a native camview, under the
# emulator for a cross build). Needs the /usr prefix and a camview; not for sanitizer builds,
# whose binaries are no package material.
if(CAMSTREAM_BUILD_TESTS AND NOT CAMSTREAM_SANITIZE)
  if(TARGET camview AND NOT CAMSTREAM_E2E_VIEWER)
    set(_camstream_pkg_viewer $<TARGET_FILE:camview>)
  else()
    set(_camstream_pkg_viewer ${CAMSTREAM_E2E_VIEWER})
  endif()
  if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    message(STATUS "package test left out: configure with -DCMAKE_INSTALL_PREFIX=/usr for it")
  elseif(NOT _camstream_pkg_viewer)
    message(STATUS "package test left out: it needs camview (-DCAMSTREAM_E2E_VIEWER=PATH)")
  else()
    find_package(Python3 REQUIRED COMPONENTS Interpreter)
    list(JOIN CMAKE_CROSSCOMPILING_EMULATOR " " _camstream_pkg_emulator)
    add_test(NAME package_build
      COMMAND ${CMAKE_CPACK_COMMAND} --config ${PROJECT_BINARY_DIR}/CPackConfig.cmake
      WORKING_DIRECTORY ${PROJECT_BINARY_DIR})
    add_test(NAME package_deb
      COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tests/e2e/test_package.py
              --deb ${PROJECT_BINARY_DIR}/camstreamd_${PROJECT_VERSION}_${_camstream_deb_arch}.deb
              --arch ${_camstream_deb_arch} --viewer ${_camstream_pkg_viewer})
    set_tests_properties(package_build PROPERTIES LABELS package TIMEOUT 300
      FIXTURES_SETUP camstream_deb)
    set_tests_properties(package_deb PROPERTIES LABELS package TIMEOUT 300
      FIXTURES_REQUIRED camstream_deb
      ENVIRONMENT "CAMSTREAM_EMULATOR=${_camstream_pkg_emulator}")
  endif()
endif()
