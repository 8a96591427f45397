// The bodies of the fuzz targets (fuzz_model.cpp, fuzz_image.cpp), shared with tare_tests, which replays the seed
// corpus and every regression file of tests/fuzz through them in the normal build.  A finding is anything but a
// clean return: a crash, a sanitizer report, a hang, or an exception other than the library's own error types.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "common/error.h"
#include "engine/session.h"
#include "model/tflite_import.h"
#include "vk/context.h"

#if TARE_HAVE_IMAGE
#include "image.h"
#endif

namespace tare::fuzz {

// Harness limits (not the library's): what libFuzzer's 2 GB memory limit and a quick iteration allow.
constexpr uint64_t kMaxSessionBytes = uint64_t(64) << 20;  // tensors' bytes for which a session is created
constexpr uint64_t kMaxRunBytes = uint64_t(4) << 20;       // ... and run
constexpr size_t kMaxRunOps = 256;

// Model bytes -> import (FlatBuffers verifier, semantic checks, shape inference) -> a session on `ctx` (when not
// null) -> one run with inputs made of the model's own bytes when it is small.  Returns TARE_OK when the model went
// all the way, else the status of the tare::Error that stopped it.
inline tare_status model_one(const uint8_t* data, size_t size, const std::shared_ptr<vk::Context>& ctx) {
  try {
    Graph g = import_tflite(data, size);
    uint64_t bytes = 0;
    for (const Tensor& t : g.tensors) bytes += t.bytes();
    if (!ctx || bytes > kMaxSessionBytes) return TARE_OK;
    Session s(ctx, g, {});
    if (bytes > kMaxRunBytes || g.ops.size() > kMaxRunOps) return TARE_OK;
    for (size_t i = 0; i < s.num_inputs(); i++) {
      std::vector<uint8_t> in(s.input(i).bytes());
      for (size_t k = 0; k < in.size(); k++) in[k] = data[(k * 7919) % size];
      if (s.input(i).dtype == DType::F32)  // finite values: a NaN input says nothing about the kernels
        for (size_t k = 3; k < in.size(); k += 4) in[k] &= 0x3f;
      s.set_input_bytes(i, in.data(), in.size());
    }
    s.run();
    for (size_t i = 0; i < s.num_outputs(); i++) {
      std::vector<uint8_t> out(s.output(i).bytes());
      s.get_output_bytes(i, out.data(), out.size());
    }
    return TARE_OK;
  } catch (const Error& e) {
    return e.status();
  }
}

#if TARE_HAVE_IMAGE
// Image bytes -> decode -> the CLI's preprocessing (central crop, Pillow's bilinear resize, float conversion).
// Returns true when the image decoded.
inline bool image_one(const uint8_t* data, size_t size) {
  try {
    image::Image img = image::decode_memory(data, size);
    image::PreprocessOptions o;
    std::vector<float> f = image::to_float(image::preprocess_rgb(img, 224, 224, o), o.norm);
    o.crop_fraction = 1.0;  // no crop, a non-square upscale
    f = image::to_float(image::preprocess_rgb(std::move(img), 37, 300, o), o.norm);
    return !f.empty();
  } catch (const image::ImageError&) {
    return false;
  }
}
#endif

}  // namespace tare::fuzz
