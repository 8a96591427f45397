#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit RESIZE_NEAREST_NEIGHBOR (equal input / output parameters): each output pixel copies the channel groups of the input pixel that the host's table names (TFLite's
// GetNearestNeighbor, computed on the host in its exact float arithmetic).  One channel group per invocation; padding
// lanes come along with the input's.
#include "common.glsl"
#include "quant.glsl"

layout(std430, binding = 0) readonly buffer Src { Q8T src[]; };
layout(std430, binding = 1) writeonly buffer Dst { Q8T dst[]; };
layout(std430, binding = 2) readonly buffer Pos { int pos[]; };  // OH source rows, then OW source columns
layout(push_constant) uniform P {
  int H, W, C4;
  int OH, OW;
  int total;  // N * OH * OW * C4
} p;

void main() {
  int idx = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int g = idx % p.C4;
  int t = idx / p.C4;
  int ox = t % p.OW;
  t /= p.OW;
  int oy = t % p.OH;
  int n = t / p.OH;
  dst[idx] = src[((n * p.H + pos[oy]) * p.W + pos[p.OH + ox]) * p.C4 + g];
}
