// 8-bit CONCATENATION on every GPU path vs the integer reference (bit-exact), including inputs requantized to the
// output's parameters and constant inputs.
#include "q8_harness.h"

namespace tare::test {

namespace {

struct In {
  std::vector<int> shape;
  float scale;
  int zp;
  bool is_const;
};

struct ConcatCase {
  std::vector<In> ins;
  int axis;
  float so;
  int zo;
  DType dtype;
  Activation act;
};

Graph concat_graph(const ConcatCase& c) {
  Q8Builder b;
  std::vector<int> xs;
  std::vector<int> out = c.ins[0].shape;
  out[c.axis] = 0;
  for (const In& in : c.ins) {
    xs.push_back(in.is_const ? b.q8_constant(in.shape, in.scale, in.zp, c.dtype)
                             : b.q8_input(in.shape, in.scale, in.zp, c.dtype));
    out[c.axis] += in.shape[c.axis];
  }
  OpParams p;
  p.axis = c.axis;
  p.activation = c.act;
  b.q8_output_op(OpType::Concatenation, xs, out, p, c.so, c.zo, c.dtype);
  return b.g;
}

const DType I8 = DType::I8, U8 = DType::U8;
const Activation NONE = Activation::None;

const std::vector<ConcatCase> kCases = {
    // channel axis, equal parameters, aligned and unaligned offsets
    {{{{1, 5, 7, 8}, 0.1f, 3, false}, {{1, 5, 7, 16}, 0.1f, 3, false}}, 3, 0.1f, 3, I8, NONE},
    {{{{2, 3, 5, 3}, 0.1f, 3, false}, {{2, 3, 5, 5}, 0.1f, 3, false}, {{2, 3, 5, 1}, 0.1f, 3, false}},
     3,
     0.1f,
     3,
     I8,
     NONE},
    // channel axis, requantized inputs, constant input, activation
    {{{{1, 4, 6, 13}, 0.05f, -10, false}, {{1, 4, 6, 7}, 0.1f, 3, false}, {{1, 4, 6, 6}, 0.02f, 0, true}},
     3,
     0.08f,
     -4,
     I8,
     Activation::Relu},
    {{{{2, 3, 3, 33}, 0.2f, 100, false}, {{2, 3, 3, 2}, 0.01f, 5, false}}, 3, 0.1f, 128, U8, Activation::Relu6},
    {{{{1, 1, 1, 3}, 0.03f, 0, false}, {{1, 1, 1, 1}, 0.06f, 50, false}, {{1, 1, 1, 9}, 0.03f, 0, false}},
     3,
     0.03f,
     0,
     U8,
     Activation::ReluN1To1},
    // other axes
    {{{{1, 3, 5, 7}, 0.1f, 3, false}, {{1, 4, 5, 7}, 0.1f, 3, false}}, 1, 0.1f, 3, I8, NONE},
    {{{{2, 3, 2, 5}, 0.1f, 3, false}, {{2, 3, 4, 5}, 0.07f, -20, false}}, 2, 0.1f, 3, I8, Activation::Relu},
    {{{{1, 3, 2, 6}, 0.1f, 3, false}, {{2, 3, 2, 6}, 0.05f, 200, true}}, 0, 0.1f, 30, U8, NONE},
    {{{{5, 3}, 0.1f, 3, false}, {{5, 10}, 0.2f, 1, false}}, 1, 0.15f, 0, I8, NONE},
    {{{{3, 9}, 0.1f, 3, false}, {{2, 9}, 0.2f, 1, false}}, 0, 0.15f, 0, I8, NONE},
};

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("q8 CONCATENATION matches the integer reference bit-exactly") {
    for (size_t i = 0; i < kCases.size(); i++) {
      CAPTURE(i);
      if (!check_q8_gpu_vs_ref(concat_graph(kCases[i]), 0)) return;
    }
  }
}

}  // namespace tare::test
