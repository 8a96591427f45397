#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of CONCATENATION for one input (training, float32): dx += the slice of dy the input was copied to, with
// shaders/concatenation.comp's row mapping (input row r <- output row (r / block_in) * block_out + row_off +
// r % block_in) and channel offset ch_off along the channel axis.  ALIGNED (ch_off % 4 == 0): whole vec4 reads,
// the lanes past the input's channels (the next input's) masked off; otherwise lane by lane.  One invocation per
// PER vec4 groups of the input.
#include "common.glsl"

layout(constant_id = 0) const uint ALIGNED = 1;
layout(constant_id = 1) const uint PER = 4;

layout(std430, binding = 0) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 1) buffer DX { vec4 dx[]; };
layout(push_constant) uniform P {
  int total;  // input vec4 groups
  int in_c, in_c4;
  int out_c, out_c4;
  int block_in, block_out, row_off;
  int ch_off;
} p;

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
    int r = idx / p.in_c4;
    int g = idx - r * p.in_c4;
    int blk = r / p.block_in;
    int obase = (blk * p.block_out + p.row_off + (r - blk * p.block_in)) * p.out_c4;
    vec4 v = vec4(0);
    if (ALIGNED != 0u) {
      v = mask_pad(dy[obase + (p.ch_off >> 2) + g], g, p.in_c);
    } else {
      for (int j = 0; j < 4; j++) {
        int c = g * 4 + j;
        int oc = p.ch_off + c;
        if (c < p.in_c) v[j] = dy[obase + (oc >> 2)][oc & 3];
      }
    }
    dx[idx] += v;
  }
}
