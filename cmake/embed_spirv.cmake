# cmake -DIN=file.spv -DOUT=file.cpp -DNAME=name -P embed_spirv.cmake
# SPIR-V words are little-endian on disk: bytes b0 b1 b2 b3 become the word 0xb3b2b1b0.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])([0-9a-f][0-9a-f])([0-9a-f][0-9a-f])([0-9a-f][0-9a-f])"
       "0x\\4\\3\\2\\1u," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f]+u,){8})" "\\1\n" body "${body}")
file(WRITE ${OUT} "// Generated from ${NAME}.comp\n#include <cstddef>\n#include <cstdint>\nextern const uint32_t tare_spv_${NAME}[] = {\n${body}};\nextern const size_t tare_spv_${NAME}_size = sizeof(tare_spv_${NAME});\n")
