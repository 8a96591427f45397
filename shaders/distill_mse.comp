#version 450
#extension GL_GOOGLE_include_directive : require
// Bias fine-tuning loss of a model whose output is not classifier logits (a mask, a heat map, box regressions:
// src/calib/bft.cpp): the mean squared difference between the student's output s (NHWC4 rows of C4 vec4) and the
// teacher's t (given, dense [rows, C]), averaged over each image's values and over the batch.  One invocation per
// row writes the row's share of the loss (sum of squares x lscale) and dL/ds = (s - t) x gscale into the output's
// gradient (padding lanes 0).
#include "common.glsl"

layout(std430, binding = 0) readonly buffer S { float s[]; };      // student output, NHWC4
layout(std430, binding = 1) readonly buffer T { float t[]; };      // teacher output, dense
layout(std430, binding = 2) writeonly buffer G { float g[]; };     // dL/ds, NHWC4
layout(std430, binding = 3) writeonly buffer L { float loss[]; };  // per row
layout(push_constant) uniform P {
  int rows, C, C4;
  float lscale;  // 1 / values per image
  float gscale;  // 2 / (values per image x images)
} pc;

void main() {
  int r = int(gl_GlobalInvocationID.x);
  if (r >= pc.rows) return;
  int base = r * pc.C4 * 4;
  float l = 0.0;
  for (int c = 0; c < pc.C; c++) {
    float d = s[base + c] - t[r * pc.C + c];
    l += d * d;
    g[base + c] = d * pc.gscale;
  }
  for (int c = pc.C; c < pc.C4 * 4; c++) g[base + c] = 0.0;
  loss[r] = l * pc.lscale;
}
