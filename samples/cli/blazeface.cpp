#include "blazeface.h"

#include <algorithm>
#include <cmath>

namespace tare_cli {

namespace {

// SSD anchors of the short-range model: 128x128 input, strides 8, 16, 16, 16 with 2 anchors per cell each; layers
// of equal stride share one grid, so stride 8 gives 16x16x2 = 512 anchors and stride 16 gives 8x8x6 = 384.
std::vector<std::pair<float, float>> anchors_short_range() {
  std::vector<std::pair<float, float>> a;
  const int strides[] = {8, 16, 16, 16};
  int layer = 0;
  while (layer < 4) {
    int last = layer, per_cell = 0;
    while (last < 4 && strides[last] == strides[layer]) {
      per_cell += 2;
      last++;
    }
    int grid = 128 / strides[layer];
    for (int y = 0; y < grid; y++)
      for (int x = 0; x < grid; x++)
        for (int k = 0; k < per_cell; k++) a.emplace_back((x + 0.5f) / grid, (y + 0.5f) / grid);
    layer = last;
  }
  return a;
}
}  // namespace

float iou(const Detection& a, const Detection& b) {
  float x0 = std::max(a.cx - a.w / 2, b.cx - b.w / 2), x1 = std::min(a.cx + a.w / 2, b.cx + b.w / 2);
  float y0 = std::max(a.cy - a.h / 2, b.cy - b.h / 2), y1 = std::min(a.cy + a.h / 2, b.cy + b.h / 2);
  float inter = std::max(0.0f, x1 - x0) * std::max(0.0f, y1 - y0);
  float uni = a.w * a.h + b.w * b.h - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

std::vector<Detection> decode_blazeface(const float* reg, const float* cls, int n, int input_size, float threshold) {
  std::vector<Detection> all;
  auto anchors = anchors_short_range();
  if ((int)anchors.size() != n || input_size <= 0) return all;
  for (int i = 0; i < n; i++) {
    float logit = std::max(-100.0f, std::min(100.0f, cls[i]));
    float score = 1.0f / (1.0f + std::exp(-logit));
    if (score < threshold) continue;
    const float* r = reg + 16 * i;
    Detection d;
    d.score = score;
    d.cx = r[0] / input_size + anchors[i].first;
    d.cy = r[1] / input_size + anchors[i].second;
    d.w = r[2] / input_size;
    d.h = r[3] / input_size;
    all.push_back(d);
  }
  std::sort(all.begin(), all.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  for (const Detection& d : all) {
    bool overlaps = false;
    for (const Detection& k : kept) overlaps = overlaps || iou(d, k) > 0.3f;
    if (!overlaps) kept.push_back(d);
  }
  return kept;
}

}  // namespace tare_cli
