# 64-bit ARM (aarch64) with Debian's cross compiler (g++-12-aarch64-linux-gnu); scripts/build_arm.sh arm64.
set(TARE_TARGET_ARCH arm64)
set(TARE_TARGET_TRIPLET aarch64-linux-gnu)
set(TARE_TOOLCHAIN_ROOT /usr/aarch64-linux-gnu)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc-12)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++-12)
set(TARE_TARGET_FLAGS "")
include(${CMAKE_CURRENT_LIST_DIR}/linux-sysroot.cmake)
