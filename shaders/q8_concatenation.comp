#version 450
#extension GL_GOOGLE_include_directive : require
// TARE_VARIANT_INT8_STORAGE
// 8-bit CONCATENATION, one dispatch per input.  An input whose parameters differ from the output's is requantized as
// TFLite's kernel does: round(q * scale + bias) + zo in float32 (q, zo: the tensors' own values), clamped to the
// type's range and the fused activation's.
//  Channel axis (CHANNEL): one invocation per output word that this input touches (words first..last of each row;
//  the LAST input also writes the output's padding lanes); lanes from other inputs are kept (read-modify-write:
//  the dispatches run one after another).
//  Other axes: one invocation per input word; input row r goes to output row
//  (r / block_in) * block_out + row_off + r % block_in.
#include "common.glsl"
#include "quant.glsl"
#include "q8_exact.glsl"

layout(constant_id = 0) const bool CHANNEL = false;
layout(constant_id = 1) const bool SAME = true;  // equal parameters: copy
layout(constant_id = 2) const bool LAST = false;

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) buffer Dst { uint dst[]; };
layout(push_constant) uniform P {
  int total;
  int in_c, in_c4, out_c, out_c4;
  int block_in, block_out, row_off;
  int ch_off, first, words;  // channel axis: channel offset, first output word, output words per row
  int flip_in, flip_out, zo_raw, lo, hi;  // lo, hi: raw clamp bounds
  float scale, bias;
} p;

int convert(int d) {
  int q = d + p.flip_in;
  int v;
  if (SAME) {
    v = q;
  } else {
    precise float t = float(q) * p.scale;
    precise float u = t + p.bias;
    v = int(round_away(u)) + p.zo_raw;
  }
  return clamp(v, p.lo, p.hi) - p.flip_out;
}

void main() {
  int idx = int(gl_GlobalInvocationID.x) + int(gl_WorkGroupID.z) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (idx >= p.total) return;
  int zo = p.zo_raw - p.flip_out;
  if (CHANNEL) {
    int row = idx / p.words;
    int og = p.first + (idx - row * p.words);
    int obase = row * p.out_c4;
    int ibase = row * p.in_c4;
    if ((p.ch_off & 3) == 0 && (p.in_c & 3) == 0) {  // whole words: input word og - first, one load
      ivec4 d = word_unpack(src[ibase + og - p.first]);
      ivec4 v;
      for (int l = 0; l < 4; l++) v[l] = convert(d[l]);
      dst[obase + og] = word_pack(v);
      return;
    }
    ivec4 old = ivec4(0);
    bool need_old = og * 4 < p.ch_off;
    if (!LAST && og * 4 + 3 >= p.ch_off + p.in_c) need_old = true;
    if (need_old) old = word_unpack(dst[obase + og]);
    ivec4 v;
    for (int l = 0; l < 4; l++) {
      int c = og * 4 + l;
      int ic = c - p.ch_off;
      if (ic >= 0 && ic < p.in_c) {
        v[l] = convert(word_unpack(src[ibase + (ic >> 2)])[ic & 3]);
      } else if (c >= p.out_c) {
        v[l] = zo;
      } else {
        v[l] = old[l];
      }
    }
    dst[obase + og] = word_pack(v);
  } else {
    int r = idx / p.in_c4;
    int g = idx - r * p.in_c4;
    int blk = r / p.block_in;
    int orow = blk * p.block_out + p.row_off + (r - blk * p.block_in);
    ivec4 d = word_unpack(src[idx]);
    ivec4 v;
    for (int l = 0; l < 4; l++) v[l] = convert(d[l]);
    dst[orow * p.out_c4 + g] = word_pack(q8_mask(v, g, p.in_c, zo));
  }
}
