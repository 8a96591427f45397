// CONV_2D on the GPU vs the CPU reference: general window and 1x1 (GEMM) paths, fp32 and fp16.
#include "op_harness.h"

using namespace tare;
using namespace tare::test;

namespace {

Graph conv_graph(int n, int h, int w, int cin, int cout, int kh, int kw, int stride, int dil, Padding pad,
                 Activation act, bool bias) {
  GraphBuilder b;
  int x = b.input({n, h, w, cin});
  int wt = b.random_constant({cout, kh, kw, cin});
  std::vector<int> ins = {x, wt};
  ins.push_back(bias ? b.random_constant({cout}) : -1);
  const OpParams p = conv_params(stride, dil, pad, act);
  int y = b.op(OpType::Conv2D, ins, conv_out_shape(n, h, w, cout, kh, kw, p), p);
  b.output(y);
  return b.g;
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("conv2d: general window sweep") {
    struct Case {
      int n, h, w, cin, cout, k, stride, dil;
      Padding pad;
      Activation act;
    } cases[] = {
        {1, 9, 11, 3, 8, 3, 2, 1, Padding::Same, Activation::Relu6},   // MobileNet stem shape, odd size
        {1, 8, 8, 3, 5, 3, 2, 1, Padding::Same, Activation::None},     // even size, SAME stride 2
        {2, 7, 6, 5, 7, 3, 1, 1, Padding::Valid, Activation::Relu},    // batch 2, VALID
        {1, 10, 9, 4, 13, 3, 1, 2, Padding::Same, Activation::ReluN1To1},  // dilation 2
        {1, 5, 5, 13, 33, 5, 1, 1, Padding::Same, Activation::None},   // 5x5 window, odd channels
        {1, 6, 7, 1, 1, 1, 2, 1, Padding::Same, Activation::None},     // 1x1 stride 2: general path
        {1, 4, 4, 8, 4, 2, 2, 1, Padding::Valid, Activation::Relu},
    };
    for (const Case& c : cases) {
      for (bool bias : {true, false}) {
        CAPTURE(c.h);
        CAPTURE(c.cin);
        CAPTURE(c.cout);
        CAPTURE(c.k);
        CAPTURE(bias);
        Graph g = conv_graph(c.n, c.h, c.w, c.cin, c.cout, c.k, c.k, c.stride, c.dil, c.pad, c.act, bias);
        if (!check_gpu_vs_ref(g, 1e-5)) return;
        check_gpu_vs_ref(g, 1e-2, true);
      }
    }
  }

  TEST_CASE("conv2d: 1x1 GEMM path sweep") {
    struct Case {
      int n, h, w, cin, cout;
      Activation act;
    } cases[] = {
        {1, 7, 7, 32, 16, Activation::None}, {1, 5, 3, 3, 5, Activation::Relu6}, {2, 3, 5, 17, 9, Activation::Relu},
        {1, 1, 1, 256, 1001, Activation::None}, {1, 14, 14, 96, 24, Activation::None}, {1, 2, 2, 1, 1, Activation::None},
    };
    for (const Case& c : cases) {
      CAPTURE(c.cin);
      CAPTURE(c.cout);
      Graph g = conv_graph(c.n, c.h, c.w, c.cin, c.cout, 1, 1, 1, 1, Padding::Same, c.act, true);
      if (!check_gpu_vs_ref(g, 1e-5)) return;
      check_gpu_vs_ref(g, 1e-2, true);
    }
  }
}
