# cross-linux-gnu.cmake - shared part of the toolchain files: set CAMSTREAM_TRIPLET, include this.
#
# Two ways to find the target's libraries (docs/cross-compiling.md says when to use which):
#  - Debian multiarch (no CMAKE_SYSROOT): the :arm64 / :armhf -dev packages installed on this
#    machine, in /usr/lib/TRIPLET and /usr/include. scripts/install-deps --arch installs them.
#  - a board's sysroot (-DCMAKE_SYSROOT=DIR, made by scripts/make-sysroot): the board's own
#    headers and libraries, so the binary matches the board's libcamera exactly. Debian's cross
#    g++ still compiles and links against its own glibc and libstdc++ (before the sysroot's),
#    so it must be the one of the board's Debian release: scripts/cross-build picks it.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${CAMSTREAM_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${CAMSTREAM_TRIPLET}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${CAMSTREAM_TRIPLET})

# Build tools (python3, pkg-config, qemu) always come from this machine.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

if(CMAKE_SYSROOT)
  if(NOT EXISTS "${CMAKE_SYSROOT}/usr/include")
    message(FATAL_ERROR "CMAKE_SYSROOT=${CMAKE_SYSROOT} has no usr/include; make one with "
                        "scripts/make-sysroot USER@BOARD ${CMAKE_SYSROOT}")
  endif()
  # Only the board's files: a header or library of this machine would build but not run there.
  set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${CMAKE_SYSROOT}")
  set(ENV{PKG_CONFIG_LIBDIR}
      "${CMAKE_SYSROOT}/usr/lib/${CAMSTREAM_TRIPLET}/pkgconfig:${CMAKE_SYSROOT}/usr/lib/pkgconfig:${CMAKE_SYSROOT}/usr/share/pkgconfig")
  # libcamera and friends pull in further libraries; the linker must look for those in the
  # sysroot too, not on this machine.
  set(_camstream_rpath_link
      "-Wl,-rpath-link,${CMAKE_SYSROOT}/usr/lib/${CAMSTREAM_TRIPLET}:${CMAKE_SYSROOT}/lib/${CAMSTREAM_TRIPLET}")
  set(CMAKE_EXE_LINKER_FLAGS_INIT "${_camstream_rpath_link}")
  set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_camstream_rpath_link}")
  # The sysroot's own loader and libc belong together, so qemu may use them.
  set(_camstream_qemu_args -L "${CMAKE_SYSROOT}")
else()
  # Multiarch: the target's .pc files only, never this machine's (which would link x86 libs).
  unset(ENV{PKG_CONFIG_SYSROOT_DIR})
  set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${CAMSTREAM_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
  # No -L: qemu then takes the multiarch loader (/lib/ld-linux-*.so) and libraries. Pointing
  # it at /usr/${CAMSTREAM_TRIPLET} mixes the cross loader with multiarch libc and hangs
  # threaded programs on Debian 12.
  set(_camstream_qemu_args)
endif()

# Lets ctest (and gtest_discover_tests at build time) run the target's programs here.
if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  find_program(CAMSTREAM_QEMU NAMES qemu-${CAMSTREAM_QEMU_ARCH} qemu-${CAMSTREAM_QEMU_ARCH}-static)
  if(CAMSTREAM_QEMU)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${CAMSTREAM_QEMU} ${_camstream_qemu_args})
  endif()
endif()
