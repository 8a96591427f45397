#version 450
#extension GL_GOOGLE_include_directive : require
// Backward of FULLY_CONNECTED with respect to its input (training, float32) when the input's NHWC4 rows are not the
// [batch, depth] rows (its last dimension is not depth): dx[b][d] += sum over u of dy[b][u] * W[u][d], each input
// element reached through its dense flat index e = row*in_c + c (b = e / depth, d = e % depth).  (Inputs whose last
// dimension is depth take the GEMM, grad_conv2d_1x1.comp.)  One invocation per dx vec4 group, one add into dx.
// Weights (transposed): vec4 w[d*out4 + u4] = W[u4*4 .. u4*4+3][d] (zero padded).
#include "common.glsl"

layout(std430, binding = 0) readonly buffer DY { vec4 dy[]; };
layout(std430, binding = 1) readonly buffer W { vec4 w[]; };
layout(std430, binding = 2) buffer DX { vec4 dx[]; };
layout(push_constant) uniform P { int total, depth, out4, in_c, in_c4; } p;  // total: dx vec4 groups

void main() {
  int idx = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int r = idx / p.in_c4;
  int c4 = idx - r * p.in_c4;
  vec4 s = vec4(0);
  for (int l = 0; l < 4; l++) {
    int c = c4 * 4 + l;
    if (c >= p.in_c) break;
    int e = r * p.in_c + c;
    int b = e / p.depth;
    int d = e - b * p.depth;
    float a = 0.0;
    for (int u4 = 0; u4 < p.out4; u4++) a += dot(dy[b * p.out4 + u4], w[d * p.out4 + u4]);
    s[l] = a;
  }
  dx[idx] += s;
}
