#version 450
// Dense 8-bit input bytes [rows][C] (uint8 or int8, read as packed words) -> NHWC4 int8 words.  uint8 values are
// shifted to int8 (flip = 1: q - 128); padding lanes get the device zero point.  One invocation per output word.
layout(local_size_x_id = 100, local_size_y_id = 101, local_size_z_id = 102) in;
layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(push_constant) uniform P { int rows, C, C4, words, flip, zero; } p;

void main() {
  int w = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (w >= p.words) return;
  int row = w / p.C4;
  int g = w - row * p.C4;
  uint word = 0u;
  for (int l = 0; l < 4; l++) {
    int c = g * 4 + l;
    uint b;
    if (c < p.C) {
      int i = row * p.C + c;
      b = (src[i >> 2] >> (8 * (i & 3))) & 0xffu;
      if (p.flip != 0) b ^= 0x80u;
    } else {
      b = uint(p.zero) & 0xffu;
    }
    word |= b << (8 * l);
  }
  dst[w] = word;
}
