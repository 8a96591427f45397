#version 450
#extension GL_GOOGLE_include_directive : require
// Range calibration (quant/ranges.h): adds every real value of a float NHWC4 tensor (padding lanes skipped) to the
// tensor's histogram: hist[0..BINS) counts bin floor((x - lo) * inv_width) (clamped to the end bins), hist[BINS]
// counts the exact zeros (a RELU's output is mostly zeros, which int8 represents exactly).  Each workgroup counts
// PER_INVOCATION x 64 channel groups in shared memory first, then adds its non-zero bins to the tensor's counts.
// The counts are integers, so the order of the atomic additions does not change them.
#include "common.glsl"

layout(constant_id = 0) const int BINS = 2048;
layout(constant_id = 1) const int PER_INVOCATION = 64;
layout(std430, binding = 0) readonly buffer In { vec4 inp[]; };
layout(std430, binding = 1) buffer Hist { uint hist[]; };
layout(push_constant) uniform P {
  int groups, C4, C;
  float lo, inv_width;
} p;

shared uint counts[BINS + 1];

void add(float x) {
  if (x == 0.0) {
    atomicAdd(counts[BINS], 1u);
  } else if (!isnan(x)) {
    atomicAdd(counts[int(clamp(floor((x - p.lo) * p.inv_width), 0.0, float(BINS - 1)))], 1u);
  }
}

void main() {
  const uint lid = gl_LocalInvocationID.x, size = gl_WorkGroupSize.x;
  for (uint i = lid; i <= uint(BINS); i += size) counts[i] = 0u;
  barrier();
  const int first = int(gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x) * int(size) * PER_INVOCATION;
  for (int k = 0; k < PER_INVOCATION; k++) {
    const int i = first + k * int(size) + int(lid);  // neighbouring invocations read neighbouring groups
    if (i >= p.groups) break;
    const vec4 v = inp[i];
    const int c = (i % p.C4) * 4;
    add(v.x);
    if (c + 1 < p.C) add(v.y);
    if (c + 2 < p.C) add(v.z);
    if (c + 3 < p.C) add(v.w);
  }
  barrier();
  for (uint i = lid; i <= uint(BINS); i += size)
    if (counts[i] != 0u) atomicAdd(hist[i], counts[i]);
}
