# aarch64-linux-gnu.cmake - cross build for 64-bit ARM boards (Raspberry Pi 3, 4, 5 on a 64-bit OS).
# cmake -S . -B build-arm64 --toolchain toolchains/aarch64-linux-gnu.cmake [-DCMAKE_SYSROOT=DIR]
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CAMSTREAM_TRIPLET aarch64-linux-gnu)
set(CAMSTREAM_QEMU_ARCH aarch64)
set(CAMSTREAM_DEB_ARCH arm64)
include(${CMAKE_CURRENT_LIST_DIR}/cross-linux-gnu.cmake)
