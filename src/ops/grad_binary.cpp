// Backward of the binary family (shaders/grad_binary.comp): one dispatch per non-constant operand (an operand used
// twice, x + x or x * x, gets both contributions), reducing the output gradient over the positions the operand was
// broadcast to without atomics.  A constant operand gets no gradient.
#include "common/error.h"
#include "ops/kernel.h"
#include "ops/op_common.h"
#include "ops/ste_fold.h"

namespace tare::ops {

namespace {

constexpr uint32_t kLocal = 64;
constexpr int64_t kReduceAt = 64;  // broadcast positions per item from which a workgroup shares one item

struct Push {
  int32_t items;
  int32_t c4, w, h;
  int32_t xc4, xw, xh;
  int32_t bn, bh, bw;
  int32_t count;
  BroadcastStrides other;
  SteKeys keys;
};

}  // namespace

KernelPtr make_grad_binary(BuildContext& b, const Op& op, BinaryOp f) {
  const Graph& g = b.graph();
  const std::string where = op_where(op);
  TARE_CHECK(!b.fp16(), TARE_ERROR_UNSUPPORTED, where + "backward kernels are float32 only");
  const BinaryGeometry geo = binary_geometry(g, op, where);
  TARE_CHECK(op.params.activation == Activation::None, TARE_ERROR_UNSUPPORTED,
             where + "backward needs the fused activation split out (NONE)");
  const Shape4& so = geo.out;
  std::vector<Dispatch> parts;
  for (int i = 0; i < 2; i++) {
    const int x = op.inputs[i], o = op.inputs[1 - i];
    if (g.tensors[x].is_const) continue;
    const Shape4 sx = shape4(g.tensors[x].shape);
    const bool cb = sx.c != so.c;
    Push pc{};
    pc.items = (int32_t)(cb ? sx.rows() : sx.rows() * sx.c4());
    pc.c4 = so.c4();
    pc.w = so.w;
    pc.h = so.h;
    pc.xc4 = sx.c4();
    pc.xw = sx.w;
    pc.xh = sx.h;
    pc.bn = sx.n == so.n ? 1 : so.n;
    pc.bh = sx.h == so.h ? 1 : so.h;
    pc.bw = sx.w == so.w ? 1 : so.w;
    const int64_t count = (int64_t)pc.bn * pc.bh * pc.bw * (cb ? so.c4() : 1);
    TARE_CHECK(count < INT32_MAX, TARE_ERROR_UNSUPPORTED, where + "tensor too large");
    pc.count = (int32_t)count;
    pc.other = i == 0 ? geo.head.b : geo.head.a;
    const uint32_t mode = i == 0 ? geo.mode_b : geo.mode_a;
    const bool reduce = count >= kReduceAt;
    const uint32_t wg = reduce ? kLocal : 1;
    const GradTarget dx = grad_target(b, op, i);
    pc.keys = dx.keys;
    auto pipe = b.context().pipeline("grad_binary",
                                     {(uint32_t)f, mode, cb ? 1u : 0u, wg, (uint32_t)i, dx.store ? 0u : 1u, dx.mask},
                                     sizeof(Push), 5, kLocal, 1, 1);
    parts.push_back(Dispatch::make(std::move(pipe),
                                   {Binding::t(o), Binding::g(op.outputs[0]), Binding::g(dx.tensor), Binding::t(x),
                                    Binding::t(dx.tensor)},
                                   pc, reduce ? grid_xy(pc.items, 1) : grid_xy(pc.items, kLocal)));
  }
  return std::make_unique<DispatchKernel>(std::move(parts));
}

}  // namespace tare::ops
