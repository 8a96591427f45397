#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_FP16
// FAKE_QUANT (Tare's internal fake-quantization op) over NHWC4 storage:
//   y = (clamp(round(x / scale) + zp, qmin, qmax) - zp) * scale
// with x / scale rounded half away from zero as QUANTIZE rounds it (TFLite divides in double: the exact quotient)
// and the product a float32 product, as the CPU reference computes it.  q never decreases as x grows, so the host
// tabulates, per level q of the range, the smallest float (as an order key, src/ops/fake_quant_keys.h) that
// reaches it: a float32 estimate of q is corrected to the exact level by integer compares with the table (usually
// none or one step).  Ranges too wide for a table (TABLE = 0) divide exactly by integer long division instead.
// Most values need neither: where the estimate lies farther from a tie than its error can reach, rounding it gives
// the exact level (`sure`), and only the other lanes (at most 1 in 500 on an 8-bit grid) look at the table.
// SHIFT: x + shift[c] (float32 add) replaces x first: IBC's rerun of a layer whose bias changed
// (src/calib/layer_runner.cpp), one pass over the layer's output instead of a shift pass and a FAKE_QUANT pass.
// A fused activation (ACT: RELU, RELU_N1_TO_1, RELU6) clamps x next.  The fp16 variant reads and writes float16 and
// computes in float32.  Each invocation handles PER vec4 groups,
// strided by the workgroup width; the grid is flattened over x and y.  Padding lanes are written as 0.
#include "common.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const uint PER = 4;  // vec4 groups per invocation
layout(constant_id = 1) const bool TABLE = true;
layout(constant_id = 2) const bool ACT = false;  // a fused activation: x clamped to [act_lo, act_hi] (keys) first
layout(constant_id = 3) const bool SHIFT = false;  // x + shift[c] before the activation and the quantization

#if TARE_FP16
layout(std430, binding = 0) readonly buffer Src { f16vec4 src[]; };
#else
layout(std430, binding = 0) readonly buffer Src { uvec4 src[]; };  // raw bits: denormals must not be flushed
#endif
layout(std430, binding = 1) readonly buffer Keys { int first_key[]; };  // [q - qmin]: smallest key with level >= q
layout(std430, binding = 2) writeonly buffer Dst { SVEC4 dst[]; };
layout(std430, binding = 3) readonly buffer Shift { vec4 shift[]; };  // per channel group (SHIFT; unread otherwise)
layout(push_constant) uniform P {
  int total, C, C4;  // total: vec4 groups (rows * C4)
  uint scale_bits;   // the scale's float32 bits
  int zp, qmin, qmax;
  int act_lo, act_hi;  // order keys (ACT)
} p;

#include "fake_quant.glsl"

void main() {
  uint wg = gl_WorkGroupID.x + gl_WorkGroupID.y * gl_NumWorkGroups.x;
  float scale = uintBitsToFloat(p.scale_bits);
  float inv_scale = 1.0 / scale;
  bool padded = p.C < p.C4 * 4;
  bool estimate = scale < 1e30;  // 1 / scale normal: division within 2.5 ulp
  for (uint i = 0; i < PER; i++) {
    int idx = int((wg * PER + i) * gl_WorkGroupSize.x + gl_LocalInvocationID.x);
    if (idx >= p.total) return;
#if TARE_FP16
    uvec4 bits = floatBitsToUint(vec4(src[idx]));
#else
    uvec4 bits = src[idx];
#endif
    int g = SHIFT || padded ? idx % p.C4 : 0;  // the channel group
    if (SHIFT) {
      precise vec4 moved = uintBitsToFloat(bits) + shift[g];
      bits = floatBitsToUint(moved);
    }
    if (ACT) bits = fq_activate(bits);
    ivec4 q = fq_levels(bits, inv_scale, estimate);
    precise vec4 y = vec4(q - p.zp) * scale;
    if (padded) {
      y = mix(vec4(0), y, lessThan(ivec4(g * 4) + ivec4(0, 1, 2, 3), ivec4(p.C)));
    }
    dst[idx] = SVEC4(y);
  }
}
