// The operator conformance table (in the spirit of ggml's test-backend-ops): every operator has one entry
// (tests/test_conformance.cpp) that lists its shape / option cases once and declares which paths the operator has;
// one harness (tests/conformance.cpp) runs every case on every path that fits it:
//
//   fp32        GPU float32 session vs the float CPU reference (src/ref/reference.h)
//   fp16        GPU float16 session vs the same reference (graphs with 8-bit tensors: vs the integer reference)
//   q8 ...      8-bit graphs on every storage path the device offers (packed 32-bit words, 8-bit storage buffers,
//               each with and without packed dot products), bit-exact vs the integer reference (int_reference.h)
//   (grad, grad-fd: the loss is a random projection of every graph output, so each output of a SPLIT is seeded)
//   grad        GPU backward kernels (training session) vs the CPU backward reference (src/ref/backward.h), and
//               the graph inputs' gradients vs central finite differences of ref::run at a few elements
//   grad-fd     the CPU backward reference vs central finite differences of ref::run (inputs and biases), inputs
//               redrawn until no kink lies near (as docs/architecture.md "Backward reference" describes)
//   roundtrip   export_tflite -> import_tflite gives the same operators (type, options), tensors (dtype, shape,
//               quantization, constant bytes), and the reference runs of both give the same outputs
//
// A float graph (no 8-bit tensor) fits fp32, fp16, grad (when no operator has a fused activation: the backward
// kernels refuse them), grad-fd and roundtrip; an 8-bit graph fits the q8 paths and roundtrip (and fp16 when the
// case asks for it).  A case may leave paths out (`skip`) or name the only ones it runs (`only`).
//
// The run prints the number of cases per operator and path and fails when an operator has no entry, or a path that
// its entry declares (and the device offers) ran no case.  TARE_CONFORMANCE_OPS=CONV_2D,ADD limits the run (and
// the check) to those operators.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "model/graph.h"

namespace tare::test::conformance {

enum class Path : int { Fp32, Fp16, Q8Packed, Q8PackedDot, Q8Storage, Q8StorageDot, Grad, GradFd, RoundTrip, Tflite };
constexpr int kPathCount = 10;
const char* path_name(Path p);

using Paths = uint32_t;
constexpr Paths bit(Path p) { return 1u << (int)p; }
constexpr Paths kFloatPaths = bit(Path::Fp32) | bit(Path::Fp16);
constexpr Paths kQ8Paths = bit(Path::Q8Packed) | bit(Path::Q8PackedDot) | bit(Path::Q8Storage) |
                           bit(Path::Q8StorageDot);
constexpr Paths kGradPaths = bit(Path::Grad) | bit(Path::GradFd);
constexpr Paths kAllPaths = (1u << kPathCount) - 1;

// Makes the float inputs of a case: graph input `index` of `g` (`rng` seeded per case and attempt).
using InputGen = std::function<std::vector<float>(const Graph& g, size_t index, std::mt19937& rng)>;

struct Case {
  std::string name;
  Graph graph;     // shapes are inferred (and checked) by the harness
  Paths only = 0;  // non-zero: the case runs these paths only (where they fit)
  Paths skip = 0;  // paths the case leaves out
  // Float inputs: uniform in [lo, hi] (grad: [grad_lo, grad_hi]) unless `gen` makes them.  8-bit inputs: uniform
  // over all 256 values.  `fixed` (raw bytes per graph input) replaces both on every path; grad-fd, which redraws
  // its inputs, then does not run.
  float lo = -2, hi = 2, grad_lo = -1, grad_hi = 1;
  InputGen gen;
  std::vector<std::vector<uint8_t>> fixed;
  unsigned seed = 7;
  // Tolerances: max |gpu - ref| / max |ref| per output (fp32, fp16, grad), 8-bit outputs in steps (q8),
  // finite differences relative to max |analytic| (fd).
  double fp32_tol = 1e-5, fp16_tol = 1e-2, grad_tol = 1e-5, fd_tol = 1e-3;
  int q8_tol = 0;
  bool tflite_always = false;  // run on TFLite even past the op's first few 8-bit cases
  bool grad_fd = true;         // grad: also compare input gradients with finite differences (false: not smooth there)
  int grad_tensors = -1;       // grad: number of gradients compared (-1: at least one)
  // Hand-computed values of the first output (8-bit outputs as integers), checked on the reference and on the fp32
  // and q8 paths: |got - want| <= expect_tol.
  std::vector<double> expect;
  double expect_tol = 0;

  // Chainable setters for the table.
  Case& only_paths(Paths p) {
    only = p;
    return *this;
  }
  Case& skipping(Paths p) {
    skip |= p;
    return *this;
  }
  Case& inputs_in(float l, float h) {
    lo = l;
    hi = h;
    return *this;
  }
  Case& grad_inputs_in(float l, float h) {
    grad_lo = l;
    grad_hi = h;
    return *this;
  }
  Case& generated(InputGen g) {
    gen = std::move(g);
    return *this;
  }
  Case& fixed_floats(const std::vector<std::vector<float>>& in);
  Case& fixed_bytes(std::vector<std::vector<uint8_t>> in) {
    fixed = std::move(in);
    return *this;
  }
  Case& seeded(unsigned s) {
    seed = s;
    return *this;
  }
  Case& fp32_within(double t) {
    fp32_tol = t;
    return *this;
  }
  Case& fp16_within(double t) {
    fp16_tol = t;
    return *this;
  }
  Case& grad_within(double t) {
    grad_tol = t;
    return *this;
  }
  Case& expecting(std::vector<double> v, double tol = 0) {
    expect = std::move(v);
    expect_tol = tol;
    return *this;
  }
  Case& gradients(int n) {
    grad_tensors = n;
    return *this;
  }
  Case& on_tflite() {
    tflite_always = true;
    return *this;
  }
  Case& no_grad_fd() {
    grad_fd = false;
    return *this;
  }
};

inline Case make_case(std::string name, Graph g) {
  Case c;
  c.name = std::move(name);
  c.graph = std::move(g);
  return c;
}

// One operator's entry: the paths it has (a fact of the code: src/ops/registry.cpp float and q8 kernels,
// src/ops/grad_registry.cpp, src/ref, src/model/tflite_export.cpp) and its cases.
struct Entry {
  OpType op;
  Paths paths;
  std::function<std::vector<Case>()> cases;
  // Paths the op's descriptor has that the entry does not run as such, and why (checked: every other path of the
  // descriptor must be in `paths`, and `paths` may name no path the descriptor lacks).
  Paths untested = 0;
  const char* why_untested = nullptr;
};

// Every operator type, from the descriptor table (model/op_desc.h).
std::vector<OpType> all_op_types();
// The paths an op's descriptor provides: kernels and references present, exportable.
Paths descriptor_paths(OpType t);

// The table (tests/test_conformance.cpp).
const std::vector<Entry>& table();

// One float case per operator (not the weighted layers: bench_internal_kernels has those) at a typical CNN
// activation size, with one graph input: bench/bench_internal_ops.cpp times each next to an ADD of the same output
// size, in fp32 and int8.
std::vector<Case> bench_cases();
// Their baseline: ADD(x, c) of two tensors of `shape` (x the graph input, c a constant).
Case bench_add_case(const std::vector<int>& shape);

// Runs every case of `e` on its paths, adding to the counts; then checks, for each path the entry leaves out,
// that it is really absent (export refuses the operator, the backward references refuse it).
void run_entry(const Entry& e);

// Runs one case on one path without counting it (multi-operator graphs outside the table); nothing where the
// device lacks the path.
void check_case(const Case& c, Path p);

// The count table of the run so far, and whether every selected operator has an entry and a non-zero count on
// every path it declares and the device offers (`problems` lists what is missing).
std::string count_table(std::vector<std::string>& problems);
// Operators selected by TARE_CONFORMANCE_OPS (all when unset).
bool selected(OpType t);

// ---- input generators -----------------------------------------------------------------------------------------

// Uniform in [lo, hi], at least `margin` away from every kink.
InputGen away_from(std::vector<float> kinks, float lo, float hi, float margin);
// For a pool of window fh x fw, strides sh, sw and `pad` over an NHWC input: uniform in [lo, hi] with any two
// values of one channel inside one window more than `gap` apart (no ties; finite differences never move the max).
InputGen tie_free(int fh, int fw, int sh, int sw, Padding pad, float gap, float lo = -1, float hi = 1);

}  // namespace tare::test::conformance
