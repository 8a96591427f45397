#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// LOG_SOFTMAX over the channels of each row: x - max - log(sum exp(x - max)), as TFLite's reference.  Two schedules:
//   WG == 1: one invocation per row (many rows), three passes over the row;
//   WG > 1:  one workgroup of WG invocations per row (few long rows), partial max/sum per invocation, combined
//            through shared memory (two barriers).
// Arithmetic in fp32 in both variants (the fp16 variant only stores fp16).  Padding lanes are excluded from the
// max and the sum and written as 0.
#include "common.glsl"

layout(constant_id = 0) const uint WG = 1;

layout(std430, binding = 0) readonly buffer Src { SVEC4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { SVEC4 dst[]; };
layout(push_constant) uniform P { int rows; int C; int C4; } p;

shared float red_max[WG];
shared float red_sum[WG];

void main() {
  int row, first, step;
  if (WG == 1u) {
    row = int(gl_GlobalInvocationID.x + gl_GlobalInvocationID.y * gl_NumWorkGroups.x * gl_WorkGroupSize.x);
    first = 0;
    step = 1;
  } else {
    row = int(gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x);
    first = int(gl_LocalInvocationID.x);
    step = int(WG);
  }
  if (row >= p.rows) return;  // uniform per workgroup in the WG > 1 schedule
  int base = row * p.C4;
  int full = p.C / 4;  // groups without padding lanes
  int rem = p.C - full * 4;
  bool has_last = rem > 0 && first == 0;  // the partial group (handled by invocation 0)
  vec4 m4 = vec4(-3.402823466e38);
  for (int g = first; g < full; g += step) m4 = max(m4, vec4(src[base + g]));
  float m = max(max(m4.x, m4.y), max(m4.z, m4.w));
  vec4 last = vec4(0);
  if (has_last) {
    last = vec4(src[base + full]);
    m = max(m, last.x);
    if (rem > 1) m = max(m, last.y);
    if (rem > 2) m = max(m, last.z);
  }
  if (WG > 1u) {
    red_max[first] = m;
    barrier();
    for (uint i = 0; i < WG; i++) m = max(m, red_max[i]);
  }
  vec4 s4 = vec4(0);
  for (int g = first; g < full; g += step) s4 += exp(vec4(src[base + g]) - m);
  vec4 el = exp(last - m);
  el = vec4(el.x, rem > 1 ? el.y : 0.0, rem > 2 ? el.z : 0.0, 0.0);
  if (has_last) s4 += el;
  float s = (s4.x + s4.y) + (s4.z + s4.w);
  if (WG > 1u) {
    red_sum[first] = s;
    barrier();
    s = 0.0;
    for (uint i = 0; i < WG; i++) s += red_sum[i];
  }
  float ls = log(s);
  for (int g = first; g < full; g += step) dst[base + g] = SVEC4(vec4(src[base + g]) - m - ls);
  if (has_last) {
    vec4 r = last - m - ls;
    dst[base + full] = SVEC4(r.x, rem > 1 ? r.y : 0.0, rem > 2 ? r.z : 0.0, 0.0);
  }
}
