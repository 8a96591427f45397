// Shared definitions of Tare's compute shaders.  Include after `#version 450` and
// `#extension GL_GOOGLE_include_directive : require`.
//
// Storage/arithmetic types: SFLOAT/SVEC4 for buffers, AFLOAT/AVEC4 for arithmetic.  Shaders that mention
// TARE_VARIANT_FP16 are also compiled with TARE_FP16=1 (fp16 storage and arithmetic).
// Workgroup size comes from specialization constants 100..102.
#if TARE_FP16
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_EXT_shader_16bit_storage : require
#define SFLOAT float16_t
#define SVEC4 f16vec4
#define AFLOAT float16_t
#define AVEC4 f16vec4
#else
#define SFLOAT float
#define SVEC4 vec4
#define AFLOAT float
#define AVEC4 vec4
#endif

layout(local_size_x_id = 100, local_size_y_id = 101, local_size_z_id = 102) in;

// Fused activation: 0 none, 1 relu, 2 relu_n1_to_1, 3 relu6.
AVEC4 apply_act(AVEC4 v, uint act) {
  if (act == 1u) return max(v, AVEC4(0));
  if (act == 2u) return clamp(v, AVEC4(-1), AVEC4(1));
  if (act == 3u) return clamp(v, AVEC4(0), AVEC4(6));
  return v;
}
AFLOAT apply_act1(AFLOAT v, uint act) {
  if (act == 1u) return max(v, AFLOAT(0));
  if (act == 2u) return clamp(v, AFLOAT(-1), AFLOAT(1));
  if (act == 3u) return clamp(v, AFLOAT(0), AFLOAT(6));
  return v;
}
// A fused MINIMUM with a constant bound (BuildContext::claim_clip): TFLite's `v < c ? v : c`, lane by lane.
AVEC4 clip_to(AVEC4 v, AVEC4 bound) { return mix(bound, v, lessThan(v, bound)); }
// Zeroes the lanes of a vec4 group at channel index c4*4.. that are >= C (the padding).
AVEC4 mask_pad(AVEC4 v, int c4, int C) {
  int base = c4 * 4;
  if (base + 4 <= C) return v;
  return AVEC4(base + 0 < C ? v.x : AFLOAT(0), base + 1 < C ? v.y : AFLOAT(0), base + 2 < C ? v.z : AFLOAT(0),
               base + 3 < C ? v.w : AFLOAT(0));
}
