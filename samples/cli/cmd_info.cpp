// `tare info`: a model's inputs, outputs, operators with MACs and the GPU memory a session plans.
#include <algorithm>
#include <cinttypes>

#include "cli.h"

namespace tare_cli {
namespace {

void print_tensor(const char* kind, uint32_t index, const tare_tensor_info& t) {
  text("  %s %u: %-32s %-8s %-20s %s", kind, index, t.name, dtype_name(t.dtype), shape_string(t).c_str(),
       bytes_string(t.byte_size).c_str());
  if (t.quantized) {
    if (t.num_scales > 1)
      text("  quantized: %d scales on axis %d (first %g, zero point %" PRId64 ")", t.num_scales, t.quantized_dimension,
           double(t.scale), t.zero_point);
    else text("  quantized: scale %g, zero point %" PRId64, double(t.scale), t.zero_point);
  }
  text("\n");
}

int run_info(const Args& a) {
  const std::string& path = a.positional[0];
  Gpu gpu(a);
  ModelPtr model = load_model(gpu.get(), path);
  Json doc = Json::object();
  doc["model"] = path;
  doc["device"] = gpu.device().name;
  text("model   %s\n", path.c_str());
  text("device  %s\n", gpu.device().name);
  uint32_t ni = input_count(model.get()), no = output_count(model.get());
  text("inputs (%u):\n", ni);
  Json inputs = Json::array(), outputs = Json::array();
  for (uint32_t i = 0; i < ni; i++) {
    tare_tensor_info t;
    tare_tensor_info_init(&t);
    check(tare_model_input_info(model.get(), i, &t), "reading the input info");
    print_tensor("input ", i, t);
    inputs.push(tensor_json(t));
  }
  text("outputs (%u):\n", no);
  for (uint32_t i = 0; i < no; i++) {
    tare_tensor_info t;
    tare_tensor_info_init(&t);
    check(tare_model_output_info(model.get(), i, &t), "reading the output info");
    print_tensor("output", i, t);
    outputs.push(tensor_json(t));
  }
  doc["inputs"] = std::move(inputs);
  doc["outputs"] = std::move(outputs);
  uint32_t nops = 0, ntensors = 0;
  check(tare_model_op_count(model.get(), &nops), "counting operators");
  check(tare_model_tensor_count(model.get(), &ntensors), "counting tensors");
  text("operators (%u), tensors (%u):\n", nops, ntensors);
  uint64_t total_macs = 0;
  std::vector<std::pair<std::string, std::pair<uint32_t, uint64_t>>> by_type;
  Json op_list = Json::array();
  for (uint32_t i = 0; i < nops; i++) {
    tare_op_info op;
    tare_op_info_init(&op);
    check(tare_model_op_info(model.get(), i, &op), "reading an operator");
    total_macs += op.macs;
    auto it = std::find_if(by_type.begin(), by_type.end(), [&](const auto& e) { return e.first == op.type; });
    if (it == by_type.end()) by_type.push_back({op.type, {1, op.macs}});
    else {
      it->second.first++;
      it->second.second += op.macs;
    }
    if (a.flag("--ops")) {
      tare_tensor_info out;
      tare_tensor_info_init(&out);
      check(tare_model_tensor_info(model.get(), (uint32_t)op.outputs[0], &out), "reading a tensor");
      text("  %4u %-20s -> %-40s %s  %.2f MMAC\n", i, op.type, out.name, shape_string(out).c_str(),
           double(op.macs) * 1e-6);
      Json j = Json::object();
      j["index"] = i;
      j["type"] = op.type;
      j["output"] = out.name;
      j["shape"] = shape_json(out);
      j["macs"] = op.macs;
      op_list.push(std::move(j));
    }
  }
  Json types = Json::array();
  for (const auto& [type, v] : by_type) {
    text("  %-20s x%-4u %10.2f MMAC\n", type.c_str(), v.first, double(v.second) * 1e-6);
    Json j = Json::object();
    j["type"] = type;
    j["count"] = v.first;
    j["macs"] = v.second;
    types.push(std::move(j));
  }
  text("  total %.2f MMAC per image (--ops lists every operator)\n", double(total_macs) * 1e-6);
  doc["op_count"] = nops;
  doc["tensor_count"] = ntensors;
  doc["macs"] = total_macs;
  doc["op_types"] = std::move(types);
  if (a.flag("--ops")) doc["ops"] = std::move(op_list);

  const bool fp16 = a.flag("--fp16");
  SessionPtr session = make_session(model.get(), fp16, false);
  tare_memory_report m;
  tare_memory_report_init(&m);
  check(tare_session_memory(session.get(), &m), "reading the memory report");
  text("GPU memory (%s session):\n", fp16 ? "fp16" : "fp32");
  text("  constants (weights)     %s\n", bytes_string(m.constant_bytes).c_str());
  text("  activations (planned)   %s", bytes_string(m.activation_bytes).c_str());
  if (m.unplanned_bytes)
    text("   (%s without sharing: %.1fx saved)", bytes_string(m.unplanned_bytes).c_str(),
         m.activation_bytes ? double(m.unplanned_bytes) / double(m.activation_bytes) : 0.0);
  text("\n  staging (inputs/outputs) %s\n", bytes_string(m.staging_bytes).c_str());
  text("  total                   %s\n", bytes_string(m.constant_bytes + m.activation_bytes + m.staging_bytes).c_str());
  Json mem = Json::object();
  mem["session_precision"] = fp16 ? "fp16" : "fp32";
  mem["constant_bytes"] = m.constant_bytes;
  mem["activation_bytes"] = m.activation_bytes;
  mem["unplanned_bytes"] = m.unplanned_bytes;
  mem["staging_bytes"] = m.staging_bytes;
  doc["memory"] = std::move(mem);
  if (g_json) print_json(doc);
  return 0;
}

}  // namespace

const Command& info_command() {
  static const Command c{
      {"tare info", "MODEL [options]", "inputs, outputs, operators with MACs, planned GPU memory of a model", "", 1, 1,
       opt::with_gpu({{"--ops", "", "list every operator with its output tensor, shape and MACs", ""}, opt::fp16()})},
      run_info};
  return c;
}

}  // namespace tare_cli
