#version 450
#extension GL_GOOGLE_include_directive : require
// Bias fine-tuning, stage 2 and the update: sums the chunks' partial bias gradients (channel_sum.comp) of one layer
// and applies Adam (Kingma & Ba) to its float32 biases in place:
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  b -= lr * (m * a1) / (sqrt(v * a2) + eps)
// with a1 = 1 / (1 - b1^t), a2 = 1 / (1 - b2^t) given by the host.  With lr = 0 it only stores the gradient
// (tests).  One invocation per channel.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Partial { float partial[]; };  // [chunks][C4 * 4]
layout(std430, binding = 1) buffer Bias { float bias[]; };                 // C values (the session's constant)
layout(std430, binding = 2) buffer State { float state[]; };               // [3][C]: m, v, last gradient
layout(push_constant) uniform P { int chunks, C, C4; float lr, b1, b2, eps, a1, a2; } p;

void main() {
  int c = int(gl_GlobalInvocationID.x);
  if (c >= p.C) return;
  float g = 0.0;
  for (int k = 0; k < p.chunks; k++) g += partial[k * p.C4 * 4 + c];
  float m = p.b1 * state[c] + (1.0 - p.b1) * g;
  float v = p.b2 * state[p.C + c] + (1.0 - p.b2) * g * g;
  state[c] = m;
  state[p.C + c] = v;
  state[2 * p.C + c] = g;
  if (p.lr != 0.0) bias[c] -= p.lr * (m * p.a1) / (sqrt(v * p.a2) + p.eps);
}
