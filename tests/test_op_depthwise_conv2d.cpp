// DEPTHWISE_CONV_2D on the GPU vs the CPU reference, depth multipliers 1..3, fp32 and fp16.
#include "op_harness.h"

using namespace tare;
using namespace tare::test;

TEST_SUITE("ops") {
  TEST_CASE("depthwise_conv2d: sweep") {
    struct Case {
      int n, h, w, cin, mult, k, stride, dil;
      Padding pad;
      Activation act;
    } cases[] = {
        {1, 9, 11, 8, 1, 3, 2, 1, Padding::Same, Activation::Relu6}, {1, 8, 8, 5, 1, 3, 2, 1, Padding::Same, Activation::None},
        {2, 7, 6, 3, 1, 3, 1, 1, Padding::Valid, Activation::Relu},  {1, 10, 9, 13, 1, 3, 1, 2, Padding::Same, Activation::None},
        {1, 6, 5, 3, 2, 3, 1, 1, Padding::Same, Activation::None},   {1, 7, 7, 5, 3, 5, 2, 1, Padding::Same, Activation::ReluN1To1},
        {1, 4, 4, 1, 1, 1, 1, 1, Padding::Valid, Activation::None},  {1, 12, 12, 32, 1, 3, 1, 1, Padding::Same, Activation::Relu6},
    };
    for (const Case& c : cases) {
      for (bool bias : {true, false}) {
        CAPTURE(c.h);
        CAPTURE(c.cin);
        CAPTURE(c.mult);
        CAPTURE(c.k);
        CAPTURE(bias);
        GraphBuilder b;
        int x = b.input({c.n, c.h, c.w, c.cin});
        int cout = c.cin * c.mult;
        int wt = b.random_constant({1, c.k, c.k, cout});
        std::vector<int> ins = {x, wt, bias ? b.random_constant({cout}) : -1};
        OpParams p = conv_params(c.stride, c.dil, c.pad, c.act);
        p.depth_multiplier = c.mult;
        b.output(b.op(OpType::DepthwiseConv2D, ins, conv_out_shape(c.n, c.h, c.w, cout, c.k, c.k, p), p));
        if (!check_gpu_vs_ref(b.g, 1e-5)) return;
        check_gpu_vs_ref(b.g, 1e-2, true);
      }
    }
  }
}
