// Decoding of MediaPipe BlazeFace (face_detection_short_range) outputs into boxes, for `tare run`'s summary.
#pragma once

#include <vector>

namespace tare_cli {

struct Detection {
  float score;         // sigmoid of the class logit
  float cx, cy, w, h;  // box centre and size, relative to the input image (0..1)
};

// Intersection over union of two boxes.
float iou(const Detection& a, const Detection& b);

// regressors: [896][16] (box + 6 keypoints, in input pixels relative to the anchor), classificators: [896].
// Returns detections with score >= threshold after greedy non-maximum suppression (IoU 0.3), best first.
std::vector<Detection> decode_blazeface(const float* regressors, const float* classificators, int anchors,
                                        int input_size, float threshold);

}  // namespace tare_cli
