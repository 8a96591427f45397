#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// CONCATENATION, one dispatch per input: copies input rows of vec4 groups into the output.  Rows are grouped in
// blocks (the axis and everything inside it): input row r goes to output row
//   (r / block_in) * block_out + row_off + r % block_in.
// Along the channel axis (blocks of 1 row) the input lands at channel offset ch_off: ALIGNED (ch_off % 4 == 0)
// writes whole vec4s (the input's zero padding lanes are overwritten by the next input's dispatch, which comes
// later); otherwise element by element.  LAST: this input ends the output's channels and also writes its padding.
#include "common.glsl"

layout(constant_id = 0) const uint ACT = 0;
layout(constant_id = 1) const uint ALIGNED = 1;
layout(constant_id = 2) const uint LAST = 0;
layout(constant_id = 3) const uint PER = 4;  // vec4 groups per invocation

layout(std430, binding = 0) readonly buffer Src { SVEC4 src[]; };
layout(std430, binding = 1) buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P {
  int total;      // input vec4 groups (rows * in_c4)
  int in_c, in_c4;
  int out_c, out_c4;
  int block_in, block_out, row_off;
  int ch_off;
} p;

void copy_group(int idx) {
  int r = idx / p.in_c4;
  int g = idx - r * p.in_c4;
  int blk = r / p.block_in;
  int orow = blk * p.block_out + p.row_off + (r - blk * p.block_in);
  AVEC4 v = apply_act(AVEC4(src[idx]), ACT);
  int obase = orow * p.out_c4;
  if (ALIGNED != 0u) {
    dst[obase + (p.ch_off >> 2) + g] = SVEC4(v);
  } else {
    int c0 = p.ch_off + g * 4;
    int n = min(4, p.in_c - g * 4);
    for (int j = 0; j < 4; j++) {
      int c = c0 + j;
      if (j < n) dst[obase + (c >> 2)][c & 3] = SFLOAT(v[j]);
    }
    if (LAST != 0u && g == p.in_c4 - 1) {
      for (int c = p.out_c; c < p.out_c4 * 4; c++) dst[obase + (c >> 2)][c & 3] = SFLOAT(0);  // output padding
    }
  }
}

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    copy_group(idx);
  }
}
