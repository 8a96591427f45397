# 32-bit ARM, hard float (ARMv7 + VFPv3-D16, Debian's armhf) with Debian's cross compiler
# (g++-12-arm-linux-gnueabihf); scripts/build_arm.sh armhf.
set(TARE_TARGET_ARCH armhf)
set(TARE_TARGET_TRIPLET arm-linux-gnueabihf)
set(TARE_TOOLCHAIN_ROOT /usr/arm-linux-gnueabihf)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc-12)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++-12)
set(TARE_TARGET_FLAGS "")
include(${CMAKE_CURRENT_LIST_DIR}/linux-sysroot.cmake)
