#version 450
// NHWC4 int8 words -> dense 8-bit output bytes [rows][C] (uint8 values shifted back: flip = 1).  One invocation per
// dense output word (4 consecutive bytes).
layout(local_size_x_id = 100, local_size_y_id = 101, local_size_z_id = 102) in;
layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(push_constant) uniform P { int rows, C, C4, words, flip, zero; } p;

void main() {
  int w = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (w >= p.words) return;
  uint word = 0u;
  int total = p.rows * p.C;
  for (int l = 0; l < 4; l++) {
    int i = w * 4 + l;
    if (i >= total) break;
    int row = i / p.C;
    int c = i - row * p.C;
    int lane = row * p.C4 * 4 + c;
    uint b = (src[lane >> 2] >> (8 * (lane & 3))) & 0xffu;
    if (p.flip != 0) b ^= 0x80u;
    word |= b << (8 * l);
  }
  dst[w] = word;
}
