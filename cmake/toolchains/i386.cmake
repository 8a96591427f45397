# 32-bit x86 (i386) with the host's GCC and g++-multilib (-m32); scripts/build_i386.sh.
set(TARE_TARGET_ARCH i386)
set(TARE_TARGET_TRIPLET i386-linux-gnu)
set(TARE_TOOLCHAIN_ROOT /usr/lib32)
set(CMAKE_SYSTEM_PROCESSOR i686)
set(CMAKE_C_COMPILER gcc)
set(CMAKE_CXX_COMPILER g++)
# SSE2 arithmetic, not x87's 80-bit registers, so that float code rounds as on every other target.
set(TARE_TARGET_FLAGS "-m32 -msse2 -mfpmath=sse")
# The kernel's <asm/...> headers: the host's serve both widths (what gcc-multilib's /usr/include/asm link does;
# gcc-multilib itself conflicts with Debian's cross compilers, so only g++-12-multilib is installed).
set(TARE_TARGET_INCLUDES_AFTER /usr/include/x86_64-linux-gnu)
include(${CMAKE_CURRENT_LIST_DIR}/linux-sysroot.cmake)
