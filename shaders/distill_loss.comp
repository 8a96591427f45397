#version 450
#extension GL_GOOGLE_include_directive : require
// Bias fine-tuning loss (src/calib/bft.cpp): cross-entropy between the teacher's softmax p (given, dense [rows, C])
// and the student's log-softmax of its logits s (NHWC4 rows of C4 vec4), averaged over the rows.  One invocation
// per row writes the row's loss and dL/ds = (softmax(s) - p) / rows into the logits' gradient (padding lanes 0).
#include "common.glsl"

layout(std430, binding = 0) readonly buffer S { float s[]; };      // student logits, NHWC4
layout(std430, binding = 1) readonly buffer T { float p[]; };      // teacher probabilities, dense
layout(std430, binding = 2) writeonly buffer G { float g[]; };     // dL/ds, NHWC4
layout(std430, binding = 3) writeonly buffer L { float loss[]; };  // per row
layout(push_constant) uniform P { int rows, C, C4; } pc;

void main() {
  int r = int(gl_GlobalInvocationID.x);
  if (r >= pc.rows) return;
  int base = r * pc.C4 * 4;
  float m = s[base];
  for (int c = 1; c < pc.C; c++) m = max(m, s[base + c]);
  float z = 0.0;
  for (int c = 0; c < pc.C; c++) z += exp(s[base + c] - m);
  float logz = log(z) + m, l = 0.0;
  for (int c = 0; c < pc.C; c++) {
    float t = p[r * pc.C + c];
    float lsm = s[base + c] - logz;
    l -= t * lsm;
    g[base + c] = (exp(lsm) - t) / float(pc.rows);
  }
  for (int c = pc.C; c < pc.C4 * 4; c++) g[base + c] = 0.0;
  loss[r] = l;
}
