# Shared by the 32-bit and ARM toolchain files (i386.cmake, arm64.cmake, armhf.cmake): the compiler is the
# toolchain's (its own C library and libstdc++), the target's other libraries (libjpeg, libpng, zlib) come from the
# folder scripts/sysroot.sh unpacks (TARE_SYSROOT: its root/), and the architecture-independent headers (Vulkan,
# volk, FlatBuffers, doctest) and every build tool (glslangValidator, spirv-opt, flatc) from the host.
if(DEFINED ENV{TARE_SYSROOT})  # try_compile projects see the environment, not the cache
  set(TARE_SYSROOT "$ENV{TARE_SYSROOT}" CACHE PATH "Target libraries unpacked by scripts/sysroot.sh" FORCE)
endif()
if(NOT TARE_SYSROOT)
  message(FATAL_ERROR "TARE_SYSROOT: the root/ folder of scripts/sysroot.sh ${TARE_TARGET_ARCH} DIR")
endif()
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_LIBRARY_ARCHITECTURE ${TARE_TARGET_TRIPLET})
set(CMAKE_FIND_ROOT_PATH ${TARE_SYSROOT} ${TARE_TOOLCHAIN_ROOT} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# Headers the toolchain lacks are looked up after its own (never before: the host's glibc headers must not shadow
# the target's), first the target's (jconfig.h is per architecture), then the host's.
set(_tare_after "-idirafter ${TARE_SYSROOT}/usr/include/${TARE_TARGET_TRIPLET} -idirafter ${TARE_SYSROOT}/usr/include")
string(APPEND _tare_after " -idirafter /usr/include")
foreach(dir ${TARE_TARGET_INCLUDES_AFTER})
  string(APPEND _tare_after " -idirafter ${dir}")
endforeach()
set(CMAKE_C_FLAGS_INIT "${TARE_TARGET_FLAGS} ${_tare_after}")
set(CMAKE_CXX_FLAGS_INIT "${TARE_TARGET_FLAGS} ${_tare_after}")
# libpng's libz and the sysroot's other indirect dependencies, at link time.
set(_tare_link "-Wl,-rpath-link,${TARE_SYSROOT}/usr/lib/${TARE_TARGET_TRIPLET}")
string(APPEND _tare_link " -Wl,-rpath-link,${TARE_SYSROOT}/lib/${TARE_TARGET_TRIPLET}")
foreach(kind EXE SHARED MODULE)
  set(CMAKE_${kind}_LINKER_FLAGS_INIT "${TARE_TARGET_FLAGS} ${_tare_link}")
endforeach()
