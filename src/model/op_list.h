// The op list: one line per operator type, in OpType order.  X(Type) expands to the enum (model/graph.h) and to the
// descriptor table (src/ops/op_table.cpp), whose entry for Type is the object `ops::k<Type>` defined in that op's
// descriptor file (src/ops/op_<name>.cpp).  Adding an op adds one line here (see docs/adding-an-op.md).
#pragma once

#define TARE_OPS(X) \
  X(Conv2D) \
  X(DepthwiseConv2D) \
  X(FullyConnected) \
  X(Add) \
  X(Mul) \
  X(AveragePool2D) \
  X(MaxPool2D) \
  X(Mean) \
  X(Concatenation) \
  X(Reshape) \
  X(Squeeze) \
  X(Pad) \
  X(Softmax) \
  X(Logistic) \
  X(Relu) \
  X(Relu6) \
  X(HardSwish) \
  X(LeakyRelu) \
  X(ResizeBilinear) \
  X(Dequantize) \
  X(Quantize) \
  X(FakeQuant) \
  X(Abs) \
  X(Neg) \
  X(Square) \
  X(Sqrt) \
  X(Rsqrt) \
  X(Exp) \
  X(Log) \
  X(Tanh) \
  X(Elu) \
  X(ReluN1To1) \
  X(Sub) \
  X(Maximum) \
  X(Minimum) \
  X(SquaredDifference) \
  X(Div) \
  X(ResizeNearestNeighbor) \
  X(ReduceMax) \
  X(ReduceMin) \
  X(Sum) \
  X(ReduceProd) \
  X(Slice) \
  X(StridedSlice) \
  X(Transpose) \
  X(DepthToSpace) \
  X(SpaceToDepth) \
  X(Gather) \
  X(Prelu) \
  X(Pow) \
  X(MirrorPad) \
  X(Tile) \
  X(LogSoftmax) \
  X(TransposeConv) \
  X(Split) \
  X(SplitV) \
  X(Unpack) \
  X(Pack) \
  X(BatchMatmul) \
  X(L2Normalization) \
  X(Cast)
