# arm-linux-gnueabihf.cmake - cross build for 32-bit ARMv7 boards with hard float (Debian armhf).
# Debian's armhf compiler targets ARMv7: Raspberry Pi 2 and later on a 32-bit OS. A Pi Zero or
# Pi 1 (ARMv6) needs a native build on the board.
# cmake -S . -B build-armhf --toolchain toolchains/arm-linux-gnueabihf.cmake [-DCMAKE_SYSROOT=DIR]
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CAMSTREAM_TRIPLET arm-linux-gnueabihf)
set(CAMSTREAM_QEMU_ARCH arm)
set(CAMSTREAM_DEB_ARCH armhf)
include(${CMAKE_CURRENT_LIST_DIR}/cross-linux-gnu.cmake)
