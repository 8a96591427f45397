// The conformance harness: runs a table entry's cases on every path (see conformance.h).
#include "conformance.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "common/error.h"
#include "engine/session.h"
#include "engine/training_session.h"
#include "finite_differences.h"
#include "model/op_desc.h"
#include "model/tflite_export.h"
#include "model/tflite_import.h"
#include "q8_harness.h"
#include "ref/backward.h"
#include "ref/int_reference.h"
#include "ref/reference.h"
#include "test_util.h"
#include "tflite_oracle.h"

namespace tare::test::conformance {

const char* path_name(Path p) {
  switch (p) {
    case Path::Fp32: return "fp32";
    case Path::Fp16: return "fp16";
    case Path::Q8Packed: return "q8 packed";
    case Path::Q8PackedDot: return "q8 packed+dot";
    case Path::Q8Storage: return "q8 int8-storage";
    case Path::Q8StorageDot: return "q8 int8-storage+dot";
    case Path::Grad: return "grad";
    case Path::GradFd: return "grad-fd";
    case Path::RoundTrip: return "roundtrip";
    case Path::Tflite: return "tflite";
  }
  return "?";
}

std::vector<OpType> all_op_types() {
  std::vector<OpType> v;
  for (const OpDesc* d : op_descs()) v.push_back(d->type);
  return v;
}

Paths descriptor_paths(OpType t) {
  const OpDesc& d = op_desc(t);
  Paths p = 0;
  if (d.make_float && d.ref_float) p |= kFloatPaths;
  if (d.make_q8 && d.ref_int) p |= kQ8Paths;
  if (d.make_grad && d.ref_grad) p |= bit(Path::Grad);
  if (d.ref_grad && d.ref_float) p |= bit(Path::GradFd);
  if (d.read && d.write) p |= bit(Path::RoundTrip);
  if (d.write && d.make_q8 && d.ref_int) p |= bit(Path::Tflite);
  return p;
}

Case& Case::fixed_floats(const std::vector<std::vector<float>>& in) {
  fixed.clear();
  for (const auto& v : in) {
    std::vector<uint8_t> b(v.size() * 4);
    std::memcpy(b.data(), v.data(), b.size());
    fixed.push_back(std::move(b));
  }
  return *this;
}

namespace {

// ---- counts ---------------------------------------------------------------------------------------------------

std::vector<std::array<int, kPathCount>>& counts() {
  static std::vector<std::array<int, kPathCount>> c(all_op_types().size(), std::array<int, kPathCount>{});
  return c;
}
std::array<double, kPathCount>& seconds() {
  static std::array<double, kPathCount> s{};
  return s;
}
std::vector<bool>& ran_entry() {
  static std::vector<bool> r(all_op_types().size(), false);
  return r;
}

// ---- small helpers --------------------------------------------------------------------------------------------

bool is_8bit(DType d) { return d == DType::I8 || d == DType::U8; }

bool has_8bit_activation(const Graph& g) {
  for (const Tensor& t : g.tensors)
    if (!t.is_const && is_8bit(t.dtype)) return true;
  return false;
}

bool has_fused_activation(const Graph& g) {
  for (const Op& op : g.ops)
    if (op.params.activation != Activation::None) return true;
  return false;
}

std::vector<float> floats_of(const std::vector<uint8_t>& b) {
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

std::vector<uint8_t> bytes_of(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// Float inputs of a float graph: fixed, generated or uniform in [lo, hi].
std::vector<std::vector<float>> float_inputs(const Graph& g, const Case& c, float lo, float hi, unsigned seed) {
  std::vector<std::vector<float>> in;
  if (!c.fixed.empty()) {
    REQUIRE(c.fixed.size() == g.inputs.size());
    for (const auto& b : c.fixed) in.push_back(floats_of(b));
    return in;
  }
  std::mt19937 rng(seed);
  for (size_t i = 0; i < g.inputs.size(); i++) {
    if (c.gen) {
      in.push_back(c.gen(g, i, rng));
      REQUIRE((int64_t)in.back().size() == g.tensors[g.inputs[i]].elements());
      continue;
    }
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v((size_t)g.tensors[g.inputs[i]].elements());
    for (auto& x : v) x = d(rng);
    in.push_back(std::move(v));
  }
  return in;
}

// Raw inputs of a graph with 8-bit tensors: fixed, or random (floats generated or uniform in [-3, 3], 8-bit
// values uniform over all 256).
std::vector<std::vector<uint8_t>> raw_inputs(const Graph& g, const Case& c) {
  if (!c.fixed.empty()) {
    REQUIRE(c.fixed.size() == g.inputs.size());
    return c.fixed;
  }
  auto in = random_raw_inputs(g, c.seed + 4, 3.0f);
  if (c.gen) {
    std::mt19937 rng(c.seed);
    for (size_t i = 0; i < g.inputs.size(); i++)
      if (g.tensors[g.inputs[i]].dtype == DType::F32) in[i] = bytes_of(c.gen(g, i, rng));
  }
  return in;
}

// An output's raw bytes as numbers (floats, or the 8-bit integers).
std::vector<double> values_of(const Tensor& t, const std::vector<uint8_t>& raw) {
  std::vector<double> v;
  if (t.dtype == DType::F32) {
    for (float f : floats_of(raw)) v.push_back(f);
  } else if (t.dtype == DType::U8) {
    for (uint8_t b : raw) v.push_back(b);
  } else {
    for (uint8_t b : raw) v.push_back((int8_t)b);
  }
  return v;
}

void check_expect(const Case& c, const Tensor& out, const std::vector<uint8_t>& raw, const char* who) {
  if (c.expect.empty()) return;
  const std::vector<double> got = values_of(out, raw);
  REQUIRE(got.size() == c.expect.size());
  int bad = 0;
  for (size_t i = 0; i < got.size(); i++) {
    if (std::fabs(got[i] - c.expect[i]) <= c.expect_tol) continue;
    if (bad++ < 5) MESSAGE(who << ": element " << i << " is " << got[i] << ", hand-computed " << c.expect[i]);
  }
  CHECK_MESSAGE(bad == 0, who << ": " << bad << " of " << got.size() << " values differ from the hand-computed ones");
}

// Compares one raw output with the reference: 8-bit values within `q8_tol` steps, floats within `float_tol`
// (max relative error).
void compare_output(const Tensor& out, const std::vector<uint8_t>& got, const std::vector<uint8_t>& want, int q8_tol,
                    double float_tol, size_t index) {
  REQUIRE(got.size() == want.size());
  if (out.dtype == DType::F32) {
    const double e = max_rel_error(floats_of(got), floats_of(want));
    CHECK_MESSAGE(e <= float_tol, "output " << index << ": max relative error " << e << " > " << float_tol);
    return;
  }
  const std::vector<double> a = values_of(out, got), b = values_of(out, want);
  double maxd = 0;
  size_t bad = 0;
  for (size_t k = 0; k < a.size(); k++) {
    const double d = std::fabs(a[k] - b[k]);
    maxd = std::max(maxd, d);
    if (d > q8_tol) bad++;
  }
  CHECK_MESSAGE(bad == 0, "output " << index << ": " << bad << " of " << a.size() << " values differ by more than "
                                    << q8_tol << " (max " << maxd << ")");
}

void set_inputs(Session& s, const Graph& g, const std::vector<std::vector<uint8_t>>& raw) {
  for (size_t i = 0; i < raw.size(); i++) {
    if (g.tensors[g.inputs[i]].dtype == DType::F32) {
      const std::vector<float> f = floats_of(raw[i]);
      s.set_input(i, f.data(), f.size());
    } else {
      s.set_input_bytes(i, raw[i].data(), raw[i].size());
    }
  }
}

std::vector<uint8_t> get_output(const Session& s, const Graph& g, size_t i) {
  const Tensor& t = g.tensors[g.outputs[i]];
  if (t.dtype == DType::F32) {
    std::vector<float> f((size_t)t.elements());
    s.get_output(i, f.data(), f.size());
    return bytes_of(f);
  }
  std::vector<uint8_t> b(t.bytes());
  s.get_output_bytes(i, b.data(), b.size());
  return b;
}

// ---- device paths -------------------------------------------------------------------------------------------

bool is_q8_path(Path p) { return (bit(p) & kQ8Paths) != 0; }

Q8Path q8_path_of(Path p) {
  const bool packed = p == Path::Q8Packed || p == Path::Q8PackedDot;
  const bool dot = p == Path::Q8PackedDot || p == Path::Q8StorageDot;
  return {packed, dot ? Q8Dot::On : Q8Dot::Off, path_name(p)};
}

bool device_offers(Path p) {
  if (p == Path::GradFd || p == Path::RoundTrip) return true;
  if (p == Path::Tflite) return tflite_missing_reason().empty();
  auto ctx = gpu();
  if (!ctx) return false;
  const auto& caps = ctx->caps();
  if (p == Path::Fp16) return caps.fp16_arithmetic && caps.fp16_storage;
  if (is_q8_path(p)) return q8_path_offered(*ctx, q8_path_of(p));
  return true;
}

// ---- fp32 / fp16 / q8 -----------------------------------------------------------------------------------------

// A float graph on the GPU (fp32 or fp16) vs ref::run.
void run_float(const Graph& g, const Case& c, bool fp16) {
  const auto inputs = float_inputs(g, c, c.lo, c.hi, c.seed);
  const ref::Values want = ref::run(g, inputs);
  SessionOptions o;
  o.fp16 = fp16;
  Session s(gpu(), g, o);
  for (size_t i = 0; i < inputs.size(); i++) s.set_input(i, inputs[i].data(), inputs[i].size());
  s.run();
  const double tol = fp16 ? c.fp16_tol : c.fp32_tol;
  for (size_t i = 0; i < g.outputs.size(); i++) {
    const Tensor& t = g.tensors[g.outputs[i]];
    const std::vector<uint8_t> got = get_output(s, g, i);
    compare_output(t, got, bytes_of(want[g.outputs[i]]), 0, tol, i);
    if (i == 0 && !fp16) {
      check_expect(c, t, got, "GPU");
      check_expect(c, t, bytes_of(want[g.outputs[0]]), "reference");
    }
  }
  check_validation();
}

// A graph with 8-bit tensors on the GPU (a q8 path, or an fp16 session) vs the integer reference.
void run_int(const Graph& g, const Case& c, const Q8Path* path, bool fp16) {
  const auto inputs = raw_inputs(g, c);
  const auto want = ref::run_int(g, inputs);
  SessionOptions o;
  o.fp16 = fp16;
  Session s(gpu(), g, o, path ? q8_features(*path) : vk::FeatureOverride{});
  set_inputs(s, g, inputs);
  s.run();
  for (size_t i = 0; i < g.outputs.size(); i++) {
    const Tensor& t = g.tensors[g.outputs[i]];
    const std::vector<uint8_t> got = get_output(s, g, i);
    compare_output(t, got, want[i], c.q8_tol, fp16 ? c.fp16_tol : 1e-6, i);
    if (i == 0 && !fp16) {
      check_expect(c, t, got, "GPU");
      check_expect(c, t, want[0], "integer reference");
    }
  }
  check_validation();
}

// ---- gradients ------------------------------------------------------------------------------------------------

// Up to `n` distinct indices of [0, size) (all of them when size <= n).
std::vector<size_t> sample_indices(size_t size, size_t n, std::mt19937& rng) {
  std::vector<size_t> idx(size);
  for (size_t i = 0; i < size; i++) idx[i] = i;
  if (size <= n) return idx;
  std::shuffle(idx.begin(), idx.end(), rng);
  idx.resize(n);
  return idx;
}

// The loss L = sum over the graph outputs of r * y, r random in [-1, 1]: one seed (dL/dy = r) per output.
using Seeds = std::vector<std::pair<int, std::vector<float>>>;
Seeds output_seeds(const Graph& g, std::mt19937& rng) {
  std::uniform_real_distribution<float> dr(-1, 1);
  Seeds seeds;
  for (int out : g.outputs) {
    std::vector<float> r((size_t)g.tensors[out].elements());
    for (auto& x : r) x = dr(rng);
    seeds.emplace_back(out, std::move(r));
  }
  return seeds;
}
double seeded_loss(const ref::Values& v, const Seeds& seeds) {
  double l = 0;
  for (const auto& [t, r] : seeds) l += projected(v[t], r);
  return l;
}

// GPU backward kernels vs ref::backward (every gradient the reference reaches) and the graph inputs' gradients vs
// finite differences of ref::run at a few elements.  L = sum r * y over every output (output_seeds).
void run_grad(const Graph& g, const Case& c) {
  const auto inputs = float_inputs(g, c, c.grad_lo, c.grad_hi, c.seed);
  std::mt19937 rng(c.seed + 1);
  const Seeds seeds = output_seeds(g, rng);

  const ref::Values fwd = ref::run(g, inputs);
  const ref::Gradients want = ref::backward(g, fwd, seeds);
  TrainingSession s(gpu(), g, {});
  for (size_t i = 0; i < inputs.size(); i++) s.set_input(i, inputs[i].data(), inputs[i].size());
  s.run();
  s.backward(seeds);
  int compared = 0;
  for (size_t t = 0; t < g.tensors.size(); t++) {
    const bool seeded = std::find(g.outputs.begin(), g.outputs.end(), (int)t) != g.outputs.end();
    if (g.tensors[t].is_const || want.activations[t].empty() || seeded) continue;
    const std::vector<float> got = s.grad((int)t);
    REQUIRE(got.size() == want.activations[t].size());
    const double e = max_rel_error(got, want.activations[t]);
    CHECK_MESSAGE(e <= c.grad_tol, "gradient of tensor " << t << ": max relative error " << e << " > " << c.grad_tol);
    compared++;
  }
  if (c.grad_tensors >= 0)
    CHECK_MESSAGE(compared == c.grad_tensors, compared << " gradients compared, expected " << c.grad_tensors);
  else CHECK(compared >= 1);
  if (c.grad_fd) {
    auto loss = [&](const std::vector<std::vector<float>>& in) { return seeded_loss(ref::run(g, in), seeds); };
    for (size_t k = 0; k < g.inputs.size(); k++) {
      const std::vector<float> got = s.grad(g.inputs[k]);
      double m = 0, e = 0;
      for (float x : got) m = std::max(m, (double)std::fabs(x));
      auto in = inputs;
      for (size_t i : sample_indices(got.size(), 12, rng)) {
        const double fd = central_difference(
            in[k][i], [&](float v) { in[k][i] = v; }, [&] { return loss(in); });
        e = std::max(e, std::fabs(fd - got[i]));
      }
      e /= std::max(m, 1e-12);
      CHECK_MESSAGE(e <= c.fd_tol, "input " << k << " gradient vs finite differences: relative error " << e);
    }
  }
  check_validation();
}

// ref::backward vs finite differences of ref::run for inputs and biases, inputs redrawn until no kink is near.
// Returns false (nothing run) when no such inputs were found.
bool run_grad_fd(Graph g, const Case& c) {
  std::vector<std::vector<float>> inputs;
  ref::Values fwd;
  bool found = false;
  for (unsigned attempt = 0; attempt < 40 && !found; attempt++) {
    inputs = float_inputs(g, c, c.lo, c.hi, c.seed + 7919 * attempt);
    fwd = ref::run(g, inputs);
    found = kink_margin(g, fwd) >= kKinkMargin;
  }
  if (!found) return false;
  std::mt19937 rng(c.seed + 2);
  const Seeds seeds = output_seeds(g, rng);
  const ref::Gradients grads = ref::backward(g, fwd, seeds);
  auto loss = [&] { return seeded_loss(ref::run(g, inputs), seeds); };
  auto check_against = [&](const std::vector<float>& analytic, const std::vector<size_t>& idx,
                           const std::vector<double>& fd, const std::string& what) {
    double m = 0, e = 0;
    for (float a : analytic) m = std::max(m, (double)std::fabs(a));
    for (size_t j = 0; j < idx.size(); j++) {
      m = std::max(m, std::fabs(fd[j]));
      e = std::max(e, std::fabs((double)analytic[idx[j]] - fd[j]));
    }
    e /= std::max(m, 1e-12);
    CHECK_MESSAGE(e <= c.fd_tol, what << ": relative error vs finite differences " << e << " > " << c.fd_tol);
  };
  for (size_t k = 0; k < g.inputs.size(); k++) {
    const std::vector<float>& a = grads.activations[g.inputs[k]];
    REQUIRE_MESSAGE(a.size() == inputs[k].size(), "no gradient for input " << k);
    const std::vector<size_t> idx = sample_indices(a.size(), 24, rng);
    std::vector<double> fd;
    for (size_t i : idx)
      fd.push_back(central_difference(
          inputs[k][i], [&](float v) { inputs[k][i] = v; }, loss));
    check_against(a, idx, fd, "input " + std::to_string(k));
  }
  for (const auto& [b, gb] : grads.biases) {
    Tensor& t = g.tensors[b];
    const std::vector<size_t> idx = sample_indices(gb.size(), 16, rng);
    std::vector<double> fd;
    for (size_t j : idx) {
      float x;
      std::memcpy(&x, t.data.data() + 4 * j, 4);
      fd.push_back(central_difference(
          x, [&](float v) { std::memcpy(t.data.data() + 4 * j, &v, 4); }, loss));
    }
    check_against(gb, idx, fd, "bias (tensor " + std::to_string(b) + ")");
  }
  return true;
}

// ---- export -> import -----------------------------------------------------------------------------------------

std::string tensor_diff(const Tensor& a, const Tensor& b) {
  if (a.dtype != b.dtype) return "dtype";
  if (a.shape != b.shape) return "shape";
  if (a.is_const != b.is_const) return "constness";
  if (a.is_const && a.data != b.data) return "constant bytes";
  if (a.quant.scale != b.quant.scale) return "quantization scales";
  auto zps = [](const QuantParams& q) {
    std::vector<int64_t> z = q.zero_point;
    z.resize(q.scale.size(), 0);
    return z;
  };
  if (zps(a.quant) != zps(b.quant)) return "zero points";
  if (a.quant.scale.size() > 1 && a.quant.axis != b.quant.axis) return "quantized dimension";
  return "";
}

void run_roundtrip(const Graph& g, const Case& c) {
  const std::vector<uint8_t> file = export_tflite(g);
  const Graph h = import_tflite(file.data(), file.size());
  REQUIRE(h.ops.size() == g.ops.size());
  REQUIRE(h.inputs.size() == g.inputs.size());
  REQUIRE(h.outputs.size() == g.outputs.size());
  auto same_tensor = [&](int a, int b, const std::string& what) {
    if (a < 0 || b < 0) {
      CHECK_MESSAGE(a == b, what << ": optional input present on one side only");
      return;
    }
    const std::string d = tensor_diff(g.tensors[a], h.tensors[b]);
    CHECK_MESSAGE(d.empty(), what << ": " << d << " differ after the round trip");
  };
  for (size_t i = 0; i < g.ops.size(); i++) {
    const Op &a = g.ops[i], &b = h.ops[i];
    const std::string where = "operator " + std::to_string(i);
    REQUIRE_MESSAGE(a.type == b.type, where << ": " << op_name(a.type) << " came back as " << op_name(b.type));
    const std::string d = params_diff(a.params, b.params);
    CHECK_MESSAGE(d.empty(), where << " (" << op_name(a.type) << "): option " << d << " differs after the round trip");
    REQUIRE(a.outputs.size() == b.outputs.size());
    for (size_t k = 0; k < a.outputs.size(); k++) same_tensor(a.outputs[k], b.outputs[k], where + " output");
    // Parameter inputs the exporter writes from the options (MEAN's axes, ...) may be new: compare what g has.
    for (size_t k = 0; k < a.inputs.size() && k < b.inputs.size(); k++)
      if (a.inputs[k] >= 0) same_tensor(a.inputs[k], b.inputs[k], where + " input " + std::to_string(k));
  }
  for (size_t i = 0; i < g.inputs.size(); i++) same_tensor(g.inputs[i], h.inputs[i], "graph input");
  for (size_t i = 0; i < g.outputs.size(); i++) same_tensor(g.outputs[i], h.outputs[i], "graph output");
  // The reference runs of both.
  if (has_8bit_activation(g)) {
    const auto in = raw_inputs(g, c);
    CHECK_MESSAGE(ref::run_int(g, in) == ref::run_int(h, in), "integer reference outputs differ after the round trip");
  } else {
    const auto in = float_inputs(g, c, c.lo, c.hi, c.seed);
    const ref::Values a = ref::run(g, in), b = ref::run(h, in);
    for (size_t i = 0; i < g.outputs.size(); i++)
      CHECK_MESSAGE(bytes_of(a[g.outputs[i]]) == bytes_of(b[h.outputs[i]]),
                    "reference output " << i << " differs after the round trip");
  }
}

// Runs `c` (shapes inferred) on `p`; false if it did not run (grad-fd found no kink-free inputs).
// ---- TFLite ----------------------------------------------------------------------------------------------------

// The integer reference vs TensorFlow Lite's own builtin int8 kernels (WASM, XNNPACK off) on the exported graph:
// bit for bit.  Runs the first few 8-bit cases of each op (each starts Node: about 0.2 s) and those that ask
// (Case::on_tflite: an op whose every option combination must meet TFLite's own arithmetic); a case whose parameters
// TFLite's kernels refuse (e.g. a LOGISTIC output scale other than 1/256, which Tare's kernels accept) is not
// counted, and says so.
bool run_tflite_oracle(const Graph& g, const Case& c) {
  const auto inputs = raw_inputs(g, c);
  const auto want = ref::run_int(g, inputs);
  const TfliteRun run = run_tflite_graph(g, inputs);
  if (!run.ok) {
    MESSAGE("TFLite refuses case '" << c.name << "' (not counted): " << run.log.substr(0, 300));
    return false;
  }
  REQUIRE(run.outputs.size() == g.outputs.size());
  for (size_t i = 0; i < g.outputs.size(); i++)
    compare_output(g.tensors[g.outputs[i]], run.outputs[i], want[i], 0, 0.0, i);
  return true;
}

bool run_path(const Graph& g, const Case& c, Path p) {
  try {
    switch (p) {
      case Path::Fp32: run_float(g, c, false); break;
      case Path::Fp16:
        if (has_8bit_activation(g)) run_int(g, c, nullptr, true);
        else run_float(g, c, true);
        break;
      case Path::Grad: run_grad(g, c); break;
      case Path::GradFd: return run_grad_fd(g, c);
      case Path::RoundTrip: run_roundtrip(g, c); break;
      case Path::Tflite: return run_tflite_oracle(g, c);
      default: {
        const Q8Path qp = q8_path_of(p);
        run_int(g, c, &qp, false);
      }
    }
  } catch (const std::exception& ex) {
    FAIL_CHECK("threw: " << std::string(ex.what()));
  }
  return true;
}

// ---- absent paths -----------------------------------------------------------------------------------------------

// An entry that leaves out roundtrip or the gradients: the code must refuse that path for the operator.
void check_absent(const Entry& e, const Graph& g) {
  const auto refused = [&](const char* path, auto&& f) {
    const std::string where = std::string(op_name(e.op)) + ": the entry declares no " + path + " path";
    INFO(where);
    try {
      f();
      FAIL_CHECK("but it ran");
    } catch (const Error& err) {
      CHECK_MESSAGE(err.status() == TARE_ERROR_UNSUPPORTED,
                    "refused with status " << (int)err.status() << ": " << err.what());
      CHECK_MESSAGE(std::string(err.what()).find(op_name(e.op)) != std::string::npos,
                    "the refusal does not name the operator: " << err.what());
    }
  };
  if (!(e.paths & bit(Path::RoundTrip))) refused("roundtrip", [&] { export_tflite(g); });
  // (grad-fd is left out on its own where finite differences do not apply: FAKE_QUANT's straight-through rule.)
  if (!(e.paths & kGradPaths)) {
    ref::Values zero(g.tensors.size());
    for (size_t t = 0; t < g.tensors.size(); t++) zero[t].assign((size_t)g.tensors[t].elements(), 0.0f);
    const int out = g.outputs.at(0);
    refused("grad-fd", [&] { ref::backward(g, zero, {{out, zero[out]}}); });
  }
  if (!(e.paths & bit(Path::Grad)) && gpu()) {
    refused("grad", [&] { TrainingSession s(gpu(), g, {}); });
  }
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> r;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) r.push_back(item);
  return r;
}

}  // namespace

// ---- input generators ---------------------------------------------------------------------------------------------

InputGen away_from(std::vector<float> kinks, float lo, float hi, float margin) {
  return [=](const Graph& g, size_t index, std::mt19937& rng) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v((size_t)g.tensors[g.inputs[index]].elements());
    for (auto& x : v) {
      do x = d(rng);
      while (std::any_of(kinks.begin(), kinks.end(), [&](float k) { return std::fabs(x - k) < margin; }));
    }
    return v;
  };
}

InputGen tie_free(int fh, int fw, int sh, int sw, Padding pad, float gap, float lo, float hi) {
  return [=](const Graph& g, size_t index, std::mt19937& rng) {
    const std::vector<int>& s = g.tensors[g.inputs[index]].shape;
    std::uniform_real_distribution<float> d(lo, hi);
    const int n = s[0], h = s[1], w = s[2], ch = s[3];
    std::vector<float> v((size_t)n * h * w * ch);
    for (auto& x : v) x = d(rng);
    const int oh = conv_out_size(h, fh, sh, 1, pad), ow = conv_out_size(w, fw, sw, 1, pad);
    const int pt = conv_pad_before(h, fh, sh, 1, pad), pl = conv_pad_before(w, fw, sw, 1, pad);
    for (bool changed = true; changed;) {
      changed = false;
      for (int b = 0; b < n; b++)
        for (int oy = 0; oy < oh; oy++)
          for (int ox = 0; ox < ow; ox++)
            for (int k = 0; k < ch; k++) {
              std::vector<size_t> win;
              for (int ky = 0; ky < fh; ky++)
                for (int kx = 0; kx < fw; kx++) {
                  const int y = oy * sh - pt + ky, x = ox * sw - pl + kx;
                  if (y >= 0 && y < h && x >= 0 && x < w) win.push_back((((size_t)b * h + y) * w + x) * ch + k);
                }
              for (size_t i = 0; i < win.size(); i++)
                for (size_t j = 0; j < i; j++)
                  if (std::fabs(v[win[i]] - v[win[j]]) <= gap) {
                    v[win[i]] = d(rng);
                    changed = true;
                  }
            }
    }
    return v;
  };
}

void check_case(const Case& c, Path p) {
  if (!device_offers(p)) return;
  Graph g = c.graph;
  infer_shapes(g);
  INFO("case '" << c.name << "' on path " << path_name(p));
  CHECK_MESSAGE(run_path(g, c, p), "no inputs without kinks found");
}

// ---- the run ----------------------------------------------------------------------------------------------------

bool selected(OpType t) {
  const char* env = std::getenv("TARE_CONFORMANCE_OPS");
  if (!env || !*env) return true;
  for (const std::string& name : split(env))
    if (name == op_name(t)) return true;
  return false;
}

// 8-bit cases per op run on TFLite (TARE_CONFORMANCE_TFLITE_CASES, default 3).
int tflite_cases_per_op() {
  const char* v = std::getenv("TARE_CONFORMANCE_TFLITE_CASES");
  return v ? std::atoi(v) : 3;
}

void run_entry(const Entry& e) {
  auto& count = counts()[(size_t)e.op];
  ran_entry()[(size_t)e.op] = true;
  const std::vector<Case> cases = e.cases();
  REQUIRE_MESSAGE(!cases.empty(), op_name(e.op) << ": the entry has no cases");
  for (const Case& c : cases) {
    Graph g = c.graph;
    try {
      infer_shapes(g);
    } catch (const std::exception& ex) {
      FAIL_CHECK(op_name(e.op) << " case '" << c.name << "': invalid graph: " << ex.what());
      continue;
    }
    const bool q8 = has_8bit_activation(g);
    Paths fits = bit(Path::RoundTrip);
    if (q8) {
      fits |= kQ8Paths | (c.only & bit(Path::Fp16));
      if (c.tflite_always || count[(size_t)Path::Tflite] < tflite_cases_per_op()) fits |= bit(Path::Tflite);
    } else {
      fits |= kFloatPaths | bit(Path::GradFd);
      if (!has_fused_activation(g)) fits |= bit(Path::Grad);
      if (!c.fixed.empty()) fits &= ~bit(Path::GradFd);
    }
    const Paths run = e.paths & fits & (c.only ? c.only : kAllPaths) & ~c.skip;
    for (int pi = 0; pi < kPathCount; pi++) {
      const Path p = (Path)pi;
      if (!(run & bit(p)) || !device_offers(p)) continue;
      const std::string where = std::string(op_name(e.op)) + " case '" + c.name + "' on path " + path_name(p);
      INFO(where);
      const auto t0 = std::chrono::steady_clock::now();
      if (run_path(g, c, p)) count[(size_t)pi]++;
      seconds()[(size_t)pi] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  }
  // Paths the entry leaves out are really absent (checked on its first case).
  Graph g = cases.front().graph;
  infer_shapes(g);
  check_absent(e, g);
}

std::string count_table(std::vector<std::string>& problems) {
  std::ostringstream os;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%-18s", "op");
  os << buf;
  for (int p = 0; p < kPathCount; p++) {
    std::snprintf(buf, sizeof buf, " %*s", std::max(5, (int)std::strlen(path_name((Path)p))), path_name((Path)p));
    os << buf;
  }
  os << "\n";
  const auto& tbl = table();
  for (OpType t : all_op_types()) {
    if (!selected(t)) continue;
    const Entry* e = nullptr;
    for (const Entry& x : tbl)
      if (x.op == t) e = &x;
    std::snprintf(buf, sizeof buf, "%-18s", op_name(t));
    os << buf;
    if (!e) {
      os << " (no entry)\n";
      problems.push_back(std::string(op_name(t)) + " has no conformance entry");
      continue;
    }
    const Paths has = descriptor_paths(t);
    // An fp16 session also runs an op with only 8-bit kernels (QUANTIZE's float input stored as float16).
    const Paths allowed = has | ((has & kQ8Paths) ? bit(Path::Fp16) : 0);
    if (e->paths & ~allowed)
      problems.push_back(std::string(op_name(t)) + ": the entry runs paths its descriptor does not have");
    if (has & ~(e->paths | e->untested))
      problems.push_back(std::string(op_name(t)) + ": its descriptor has paths the entry neither runs nor explains");
    if (e->untested && !e->why_untested)
      problems.push_back(std::string(op_name(t)) + ": untested paths without a reason");
    for (int p = 0; p < kPathCount; p++) {
      const int w = std::max(5, (int)std::strlen(path_name((Path)p)));
      const int n = counts()[(size_t)t][(size_t)p];
      std::string cell;
      if (!(e->paths & bit((Path)p))) {
        cell = "-";
      } else if (!device_offers((Path)p)) {
        cell = "n/a";
        // The TFLite oracle is part of the data a full run needs (TARE_REQUIRE_DATA=1, as in CI).
        const char* require = std::getenv("TARE_REQUIRE_DATA");
        if ((Path)p == Path::Tflite && require && std::string(require) == "1")
          problems.push_back(std::string(op_name(t)) +
                             ": TFLite is required but unavailable: " + tflite_missing_reason());
      } else {
        cell = std::to_string(n);
        if (n == 0)
          problems.push_back(std::string(op_name(t)) + ": no case ran on path " + path_name((Path)p) +
                             (ran_entry()[(size_t)t] ? "" : " (the entry did not run)"));
      }
      std::snprintf(buf, sizeof buf, " %*s", w, cell.c_str());
      os << buf;
    }
    os << "\n";
  }
  std::snprintf(buf, sizeof buf, "%-18s", "seconds");
  os << buf;
  for (int p = 0; p < kPathCount; p++) {
    std::snprintf(buf, sizeof buf, " %*.1f", std::max(5, (int)std::strlen(path_name((Path)p))), seconds()[(size_t)p]);
    os << buf;
  }
  os << "\n(-: the operator has no such path; n/a: this device does not offer it)\n";
  return os.str();
}

}  // namespace tare::test::conformance
