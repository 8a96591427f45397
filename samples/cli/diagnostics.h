// Pieces shared by `tare calibrate` and `tare analyze`: quantization on an image feed and the per-layer error
// tables (text and JSON) of a tare_diagnostics.
#pragma once

#include "cli.h"

namespace tare_cli {

// tare_quantize with --per-channel, --bias-16bit and --batch of `a`; fills `report`.
ModelPtr quantize_on_images(tare_model* model, ImageFeed& feed, uint32_t count, const Args& a,
                            tare_quantize_report& report);
// Mean over layers of the per-layer RMS MAS.
double mean_mas(tare_diagnostics* d, tare_error_point point, tare_error_stage stage);
// A per-layer table of the errors (RMS over channels), before -> after; every layer.
void print_layers(tare_diagnostics* d, tare_error_point point);
// Every layer: name, op, channels, activation and the errors of every stage at both points.
Json layers_json(tare_diagnostics* d);
// Per measured stage (pipeline order): the means over layers of the post-activation MAS and rQNSR RMS.
Json stage_errors_json(tare_diagnostics* d);

}  // namespace tare_cli
