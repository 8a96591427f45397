// CONCATENATION on the GPU vs the CPU reference: every axis, channel offsets not a multiple of 4, many inputs,
// constant inputs, fused activations.
#include "op_harness.h"

namespace tare::test {

namespace {

struct ConcatCase {
  std::vector<std::vector<int>> inputs;
  int axis;
  int const_input;  // -1: none
};

Graph concat_graph(const ConcatCase& c, Activation act) {
  GraphBuilder b;
  std::vector<int> ins;
  for (size_t i = 0; i < c.inputs.size(); i++)
    ins.push_back((int)i == c.const_input ? b.random_constant(c.inputs[i], -2, 2) : b.input(c.inputs[i]));
  std::vector<int> os = c.inputs[0];
  os[c.axis] = 0;
  for (const auto& s : c.inputs) os[c.axis] += s[c.axis];
  OpParams p;
  p.axis = c.axis;
  p.activation = act;
  b.output(b.op(OpType::Concatenation, ins, os, p));
  return b.g;
}

const std::vector<ConcatCase> kConcatCases = {
    {{{1, 4, 5, 3}, {1, 4, 5, 5}, {1, 4, 5, 1}, {1, 4, 5, 8}}, 3, -1},  // offsets 3, 8, 9 (unaligned, aligned)
    {{{2, 3, 3, 4}, {2, 3, 3, 4}}, 3, -1},                              // aligned
    {{{1, 2, 2, 13}, {1, 2, 2, 13}, {1, 2, 2, 13}}, 3, -1},
    {{{1, 3, 3, 2}, {1, 3, 3, 3}}, 3, -1},                              // last input unaligned, output C=5
    {{{1, 3, 3, 3}, {1, 3, 3, 2}}, 3, -1},                              // output C=5: padding lanes 5..7
    {{{2, 2, 1, 1}, {2, 2, 1, 1}, {2, 2, 1, 1}, {2, 2, 1, 1}, {2, 2, 1, 1}, {2, 2, 1, 1}}, 3, -1},  // 6 inputs
    {{{1, 4, 5, 3}, {1, 4, 5, 6}}, 3, 0},                               // constant first
    {{{2, 3, 4, 5}, {2, 1, 4, 5}}, 1, -1},                              // H axis
    {{{2, 3, 4, 5}, {2, 3, 2, 5}, {2, 3, 1, 5}}, 2, 1},                 // W axis, constant in the middle
    {{{1, 3, 4, 7}, {2, 3, 4, 7}}, 0, -1},                              // N axis
    {{{3, 7}, {3, 2}}, 1, -1},                                          // rank 2, channels
    {{{3, 7}, {2, 7}}, 0, -1},                                          // rank 2, rows
    {{{2, 3, 5}, {2, 4, 5}}, 1, -1},                                    // rank 3, middle axis
    {{{2, 3, 5}, {2, 3, 6}}, 2, -1},                                    // rank 3, channels
    {{{5}, {3}, {1}}, 0, -1},                                           // rank 1
    {{{1, 6, 6, 33}}, 3, -1},                                           // single input
};

void run_concat(bool fp16) {
  last_max_rel_error = 0;
  const Activation acts[] = {Activation::None, Activation::Relu, Activation::ReluN1To1, Activation::Relu6};
  int k = 0;
  for (const ConcatCase& c : kConcatCases) {
    Activation act = acts[k++ % 4];
    CAPTURE(k);
    if (!check_gpu_vs_ref(concat_graph(c, act), fp16 ? 1e-2 : 1e-5, fp16)) return;
  }
  MESSAGE("concatenation " << (fp16 ? "fp16" : "fp32") << ": max relative error " << last_max_rel_error);
}

}  // namespace

TEST_SUITE("ops") {
  TEST_CASE("op concatenation: fp32") { run_concat(false); }
  TEST_CASE("op concatenation: fp16") { run_concat(true); }

  TEST_CASE("op concatenation: hand-computed channel concat at offset 3") {
    auto ctx = gpu();
    if (!ctx) return;
    GraphBuilder b;
    int x = b.input({1, 1, 2, 3});
    int y = b.input({1, 1, 2, 2});
    OpParams p;
    p.axis = 3;
    b.output(b.op(OpType::Concatenation, {x, y}, {1, 1, 2, 5}, p));
    infer_shapes(b.g);
    Session s(ctx, b.g, {});
    std::vector<float> xv = {1, 2, 3, 4, 5, 6}, yv = {10, 11, 12, 13};
    s.set_input(0, xv.data(), xv.size());
    s.set_input(1, yv.data(), yv.size());
    s.run();
    std::vector<float> got(10);
    s.get_output(0, got.data(), got.size());
    const std::vector<float> want = {1, 2, 3, 10, 11, 4, 5, 6, 12, 13};
    for (size_t i = 0; i < want.size(); i++) CHECK(got[i] == want[i]);
    check_validation();
  }
}

}  // namespace tare::test
