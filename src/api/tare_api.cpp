// The C ABI: every entry point catches every exception and turns it into a tare_status plus a thread-local
// message.  Handles are reference-counted internally (shared_ptr) so they can be destroyed in any order.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "api/api_internal.h"
#include "calib/calibrate.h"
#include "common/error.h"
#include "engine/session.h"
#include "model/graph.h"
#include "model/op_desc.h"
#include "model/tflite_export.h"
#include "model/tflite_import.h"
#include "quant/quantizer.h"
#include "tare/tare.h"
#include "tflite_schema_generated.h"
#include "vk/context.h"

namespace tare::api {

thread_local std::string g_last_error;
thread_local const char* g_fixed_error = nullptr;  // instead of g_last_error when it could not be stored

tare_status set_error(tare_status st, const char* msg) {
  try {
    g_last_error = msg;
    g_fixed_error = nullptr;
  } catch (const std::bad_alloc&) {  // out of memory: the status still goes out, with a fixed message
    g_last_error.clear();
    g_fixed_error = "out of host memory (the message could not be stored)";
  }
  return st;
}

tare_status set_error(tare_status st, const std::string& msg) { return set_error(st, msg.c_str()); }

}  // namespace tare::api

using namespace tare::api;

namespace {

void copy_name(char* dst, size_t cap, const std::string& s) { std::snprintf(dst, cap, "%s", s.c_str()); }

tare_device_info to_info(const tare::vk::DeviceCaps& c) {
  tare_device_info i;
  std::memset(&i, 0, sizeof(i));
  i.struct_size = sizeof(i);
  copy_name(i.name, sizeof(i.name), c.name);
  switch (c.type) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: i.type = TARE_DEVICE_INTEGRATED_GPU; break;
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: i.type = TARE_DEVICE_DISCRETE_GPU; break;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: i.type = TARE_DEVICE_VIRTUAL_GPU; break;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: i.type = TARE_DEVICE_CPU; break;
    default: i.type = TARE_DEVICE_OTHER;
  }
  i.vendor_id = c.vendor_id;
  i.device_id = c.device_id;
  i.api_version = c.api_version;
  i.fp16_arithmetic = c.fp16_arithmetic;
  i.fp16_storage = c.fp16_storage;
  i.int8_storage = c.int8_storage;
  i.int8_arithmetic = c.int8_arithmetic;
  i.integer_dot_product = c.integer_dot_product;
  i.int64 = c.int64;
  i.subgroup_size = c.subgroup_size;
  i.subgroup_operations = c.subgroup_operations;
  i.timestamps = c.timestamps;
  i.timestamp_period_ns = c.timestamp_period_ns;
  i.max_workgroup_invocations = c.max_workgroup_invocations;
  i.max_shared_memory_bytes = c.max_shared_memory;
  i.max_storage_buffer_range = c.max_storage_buffer_range;
  i.device_local_bytes = c.device_local_bytes;
  return i;
}

tare_dtype to_dtype(tare::DType t) {
  switch (t) {
    case tare::DType::F32: return TARE_DTYPE_FLOAT32;
    case tare::DType::F16: return TARE_DTYPE_FLOAT16;
    case tare::DType::I32: return TARE_DTYPE_INT32;
    case tare::DType::U8: return TARE_DTYPE_UINT8;
    case tare::DType::I8: return TARE_DTYPE_INT8;
    case tare::DType::I64: return TARE_DTYPE_INT64;
    case tare::DType::I16: return TARE_DTYPE_INT16;
    case tare::DType::Bool: return TARE_DTYPE_BOOL;
  }
  return TARE_DTYPE_FLOAT32;
}

tare_tensor_info tensor_info(const tare::Tensor& t) {
  tare_tensor_info i;
  std::memset(&i, 0, sizeof(i));
  i.struct_size = sizeof(i);
  copy_name(i.name, sizeof(i.name), t.name);
  i.dtype = to_dtype(t.dtype);
  TARE_CHECK(t.shape.size() <= TARE_MAX_RANK, TARE_ERROR_UNSUPPORTED, "tensor rank above TARE_MAX_RANK");
  i.rank = (int32_t)t.shape.size();
  for (size_t k = 0; k < t.shape.size(); k++) i.shape[k] = t.shape[k];
  i.byte_size = t.bytes();
  i.quantized = t.quant.quantized();
  i.scale = i.quantized ? t.quant.scale[0] : 0.0f;
  i.zero_point = i.quantized && !t.quant.zero_point.empty() ? t.quant.zero_point[0] : 0;
  i.quantized_dimension = t.quant.scale.size() > 1 ? t.quant.axis : -1;
  i.num_scales = (int32_t)t.quant.scale.size();
  return i;
}

// Bytes handed to the caller in memory it releases with tare_free.
void copy_to_caller(const std::vector<uint8_t>& bytes, void** data, size_t* size) {
  void* p = std::malloc(bytes.size() ? bytes.size() : 1);
  if (!p) tare::fail(TARE_ERROR_OUT_OF_MEMORY, "out of host memory");
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  *data = p;
  *size = bytes.size();
}

// A model file: a regular file whose 8-byte header is a TFLite model's, checked before the rest is read (a wrong
// file must not cost its size in memory).
std::vector<uint8_t> read_model_file(const char* path) {
  const std::string p = path;
  std::error_code ec;
  const auto status = std::filesystem::status(p, ec);
  if (ec || !std::filesystem::exists(status)) tare::fail(TARE_ERROR_IO, "cannot open '" + p + "'");
  if (!std::filesystem::is_regular_file(status)) tare::fail(TARE_ERROR_IO, "'" + p + "' is not a regular file");
  std::ifstream f(p, std::ios::binary);
  const uint64_t size = std::filesystem::file_size(p, ec);
  if (!f || ec) tare::fail(TARE_ERROR_IO, "cannot open '" + p + "'");
  uint8_t head[8] = {0};
  f.read(reinterpret_cast<char*>(head), (std::streamsize)std::min<uint64_t>(size, sizeof(head)));
  if (!f) tare::fail(TARE_ERROR_IO, "cannot read '" + p + "'");
  try {
    tare::check_tflite_header(head, size);
  } catch (const tare::Error& e) {
    throw tare::Error(e.status(), p + ": " + e.what());
  }
  std::vector<uint8_t> data((size_t)size);
  std::memcpy(data.data(), head, sizeof(head));
  if (!f.read(reinterpret_cast<char*>(data.data() + sizeof(head)), (std::streamsize)(size - sizeof(head))))
    tare::fail(TARE_ERROR_IO, "cannot read '" + p + "'");
  return data;
}

}  // namespace

extern "C" {

TARE_API const char* tare_version(void) { return TARE_VERSION_STRING; }
TARE_API int tare_abi_version(void) { return TARE_ABI_VERSION; }
TARE_API const char* tare_last_error(void) {
  return tare::api::g_fixed_error ? tare::api::g_fixed_error : tare::api::g_last_error.c_str();
}

TARE_API const char* tare_status_string(tare_status status) {
  int32_t s;  // any int may come from C: compared as one (see checked_enum)
  std::memcpy(&s, &status, sizeof s);
  switch (s) {
    case TARE_OK: return "TARE_OK";
    case TARE_ERROR_INVALID_ARGUMENT: return "TARE_ERROR_INVALID_ARGUMENT";
    case TARE_ERROR_INVALID_MODEL: return "TARE_ERROR_INVALID_MODEL";
    case TARE_ERROR_UNSUPPORTED: return "TARE_ERROR_UNSUPPORTED";
    case TARE_ERROR_NO_VULKAN: return "TARE_ERROR_NO_VULKAN";
    case TARE_ERROR_DEVICE: return "TARE_ERROR_DEVICE";
    case TARE_ERROR_OUT_OF_MEMORY: return "TARE_ERROR_OUT_OF_MEMORY";
    case TARE_ERROR_IO: return "TARE_ERROR_IO";
    case TARE_ERROR_CANCELLED: return "TARE_ERROR_CANCELLED";
    case TARE_ERROR_INTERNAL: return "TARE_ERROR_INTERNAL";
    case TARE_ERROR_TIMEOUT: return "TARE_ERROR_TIMEOUT";
    case TARE_ERROR_DEVICE_LOST: return "TARE_ERROR_DEVICE_LOST";
  }
  return "TARE_ERROR_UNKNOWN";
}

TARE_API void tare_device_info_init_sized(tare_device_info* info, size_t size) {
  init_sized(info, size, [](tare_device_info&) {});
}

TARE_API tare_status tare_device_count(uint32_t* count) {
  return guarded([&] {
    TARE_ARG(count, "count is NULL");
    *count = 0;
    *count = (uint32_t)tare::vk::enumerate_devices().size();
  });
}

TARE_API tare_status tare_device_get_info(uint32_t index, tare_device_info* info) {
  return guarded([&] {
    TARE_ARG(info, "info is NULL");
    auto devs = tare::vk::enumerate_devices();
    TARE_ARG(index < devs.size(), "device index " + std::to_string(index) + " out of range");
    write_out(info, to_info(devs[index]));
  });
}

TARE_API void tare_context_options_init_sized(tare_context_options* o, size_t size) {
  init_sized(o, size, [](tare_context_options& d) { d.device_index = -1; });
}

TARE_API tare_status tare_context_create(const tare_context_options* options, tare_context** out) {
  return guarded([&] {
    TARE_ARG(out, "out is NULL");
    *out = nullptr;
    tare_context_options defaults;
    tare_context_options_init(&defaults);
    tare_context_options o = read_options(options, defaults);
    tare::vk::ContextOptions co;
    co.device_index = o.device_index;
    if (o.device_name) co.device_name = o.device_name;
    co.validation = o.validation != 0;
    co.fence_timeout_ms = o.fence_timeout_ms;
    if (o.pipeline_cache_data && o.pipeline_cache_size) {
      const uint8_t* b = static_cast<const uint8_t*>(o.pipeline_cache_data);
      co.pipeline_cache.assign(b, b + o.pipeline_cache_size);
    }
    auto c = std::make_unique<tare_context_s>();
    c->ctx = std::make_shared<tare::vk::Context>(co);
    *out = publish(std::move(c));
  });
}

TARE_API void tare_context_destroy(tare_context* context) { destroy_handle(context); }

TARE_API tare_status tare_context_get_device_info(const tare_context* context, tare_device_info* info) {
  return guarded([&] {
    const HandleUse use_context(context);
    TARE_ARG(context && info, "context or info is NULL");
    write_out(info, to_info(context->ctx->caps()));
  });
}

TARE_API tare_status tare_context_pipeline_cache(const tare_context* context, void** data, size_t* size) {
  return guarded([&] {
    const HandleUse use_context(context);
    TARE_ARG(context && data && size, "NULL argument");
    *data = nullptr;
    *size = 0;
    copy_to_caller(context->ctx->pipeline_cache_data(), data, size);
  });
}

TARE_API tare_status tare_context_validation_messages(const tare_context* context, uint64_t* count) {
  return guarded([&] {
    const HandleUse use_context(context);
    TARE_ARG(context && count, "context or count is NULL");
    *count = context->ctx->validation_messages();
  });
}

TARE_API tare_status tare_model_load_memory(tare_context* context, const void* data, size_t size, tare_model** out) {
  return guarded([&] {
    TARE_ARG(out, "out is NULL");
    *out = nullptr;
    const HandleUse use_context(context);
    TARE_ARG(context, "context is NULL");
    TARE_ARG(data || size == 0, "data is NULL");
    auto m = std::make_unique<tare_model_s>();
    m->ctx = context->ctx;
    m->graph = std::make_shared<const tare::Graph>(tare::import_tflite(static_cast<const uint8_t*>(data), size));
    *out = publish(std::move(m));
  });
}

TARE_API tare_status tare_model_load_file(tare_context* context, const char* path, tare_model** out) {
  return guarded([&] {
    TARE_ARG(out, "out is NULL");
    *out = nullptr;
    const HandleUse use_context(context);
    TARE_ARG(context && path, "context or path is NULL");
    std::vector<uint8_t> bytes = read_model_file(path);
    auto m = std::make_unique<tare_model_s>();
    m->ctx = context->ctx;
    m->name = path;
    if (size_t slash = m->name.find_last_of("/\\"); slash != std::string::npos) m->name.erase(0, slash + 1);
    try {
      m->graph = std::make_shared<const tare::Graph>(tare::import_tflite(bytes.data(), bytes.size()));
    } catch (const tare::Error& e) {
      throw tare::Error(e.status(), std::string(path) + ": " + e.what());
    }
    *out = publish(std::move(m));
  });
}

TARE_API void tare_model_destroy(tare_model* model) { destroy_handle(model); }

TARE_API void tare_tensor_info_init_sized(tare_tensor_info* info, size_t size) {
  init_sized(info, size, [](tare_tensor_info&) {});
}

TARE_API tare_status tare_model_input_count(const tare_model* model, uint32_t* count) {
  return guarded([&] {
    const HandleUse use_model(model);
    TARE_ARG(model && count, "model or count is NULL");
    *count = (uint32_t)model->graph->inputs.size();
  });
}

TARE_API tare_status tare_model_output_count(const tare_model* model, uint32_t* count) {
  return guarded([&] {
    const HandleUse use_model(model);
    TARE_ARG(model && count, "model or count is NULL");
    *count = (uint32_t)model->graph->outputs.size();
  });
}

TARE_API tare_status tare_model_input_info(const tare_model* model, uint32_t index, tare_tensor_info* info) {
  return guarded([&] {
    const HandleUse use_model(model);
    TARE_ARG(model && info, "model or info is NULL");
    TARE_ARG(index < model->graph->inputs.size(), "input index " + std::to_string(index) + " out of range");
    write_out(info, tensor_info(model->graph->tensors[model->graph->inputs[index]]));
  });
}

TARE_API tare_status tare_model_output_info(const tare_model* model, uint32_t index, tare_tensor_info* info) {
  return guarded([&] {
    const HandleUse use_model(model);
    TARE_ARG(model && info, "model or info is NULL");
    TARE_ARG(index < model->graph->outputs.size(), "output index " + std::to_string(index) + " out of range");
    write_out(info, tensor_info(model->graph->tensors[model->graph->outputs[index]]));
  });
}

TARE_API tare_status tare_model_tensor_count(const tare_model* model, uint32_t* count) {
  return guarded([&] {
    const HandleUse use_model(model);
    TARE_ARG(model && count, "model or count is NULL");
    *count = (uint32_t)model->graph->tensors.size();
  });
}

TARE_API tare_status tare_model_tensor_info(const tare_model* model, uint32_t index, tare_tensor_info* info) {
  return guarded([&] {
    const HandleUse use_model(model);
    TARE_ARG(model && info, "model or info is NULL");
    TARE_ARG(index < model->graph->tensors.size(), "tensor index " + std::to_string(index) + " out of range");
    write_out(info, tensor_info(model->graph->tensors[index]));
  });
}

TARE_API void tare_op_info_init_sized(tare_op_info* info, size_t size) {
  init_sized(info, size, [](tare_op_info&) {});
}

TARE_API tare_status tare_model_op_count(const tare_model* model, uint32_t* count) {
  return guarded([&] {
    const HandleUse use_model(model);
    TARE_ARG(model && count, "model or count is NULL");
    *count = (uint32_t)model->graph->ops.size();
  });
}

TARE_API tare_status tare_model_op_info(const tare_model* model, uint32_t index, tare_op_info* info) {
  return guarded([&] {
    const HandleUse use_model(model);
    TARE_ARG(model && info, "model or info is NULL");
    const tare::Graph& g = *model->graph;
    TARE_ARG(index < g.ops.size(), "operator index " + std::to_string(index) + " out of range");
    const tare::Op& op = g.ops[index];
    tare_op_info r;
    tare_op_info_init(&r);
    copy_name(r.type, sizeof(r.type), tare::op_name(op.type));
    r.source_index = op.source_index;
    r.num_inputs = (uint32_t)op.inputs.size();
    r.num_outputs = (uint32_t)op.outputs.size();
    for (size_t i = 0; i < op.inputs.size() && i < TARE_OP_MAX_INPUTS; i++) r.inputs[i] = op.inputs[i];
    for (size_t i = 0; i < op.outputs.size() && i < TARE_OP_MAX_OUTPUTS; i++) r.outputs[i] = op.outputs[i];
    int64_t macs = tare::op_macs(g, op);
    int batch = g.inputs.empty() || g.tensors[g.inputs[0]].shape.empty() ? 1 : g.tensors[g.inputs[0]].shape[0];
    r.macs = (uint64_t)(batch > 1 ? macs / batch : macs);
    write_out(info, r);
  });
}

// ---- supported operators: the op table (src/model/op_desc.h) --------------------------------------------------

TARE_API void tare_op_support_info_init_sized(tare_op_support_info* info, size_t size) {
  init_sized(info, size, [](tare_op_support_info& d) {
    d.builtin_code = -1;
    d.alt_builtin_code = -1;
  });
}

TARE_API tare_status tare_op_count(uint32_t* count) {
  return guarded([&] {
    TARE_ARG(count, "count is NULL");
    *count = (uint32_t)tare::op_descs().size();
  });
}

TARE_API tare_status tare_op_support(uint32_t index, tare_op_support_info* info) {
  return guarded([&] {
    TARE_ARG(info, "info is NULL");
    auto descs = tare::op_descs();
    TARE_ARG(index < descs.size(), "op index " + std::to_string(index) + " out of range");
    const tare::OpDesc& d = *descs[index];
    tare_op_support_info r;
    tare_op_support_info_init(&r);
    copy_name(r.name, sizeof(r.name), d.name);
    r.builtin_code = d.builtin;
    r.alt_builtin_code = d.builtin_alt;
    if (d.builtin_alt >= 0) {
      const char* alt = tflite::EnumNameBuiltinOperator(static_cast<tflite::BuiltinOperator>(d.builtin_alt));
      copy_name(r.alt_name, sizeof(r.alt_name), alt ? alt : "");
    }
    if (d.custom) copy_name(r.custom_name, sizeof(r.custom_name), d.custom);
    r.is_internal = d.builtin < 0;
    r.has_float = d.make_float != nullptr;
    r.has_int8 = d.make_q8 != nullptr && d.ref_int != nullptr;
    r.has_gradient = d.make_grad != nullptr;
    r.can_import = d.read != nullptr;
    r.can_export = d.write != nullptr;
    write_out(info, r);
  });
}

TARE_API void tare_session_options_init_sized(tare_session_options* o, size_t size) {
  init_sized(o, size, [](tare_session_options& d) { d.precision = TARE_PRECISION_FP32; });
}

TARE_API tare_status tare_session_create(tare_model* model, const tare_session_options* options, tare_session** out) {
  return guarded([&] {
    TARE_ARG(out, "out is NULL");
    *out = nullptr;
    const HandleUse use_model(model);
    TARE_ARG(model, "model is NULL");
    tare_session_options defaults;
    tare_session_options_init(&defaults);
    tare_session_options o = read_options(options, defaults);
    const tare_precision precision = checked_enum(o.precision, 2, "precision");
    TARE_ARG(o.batch >= 0, "batch must be >= 0");
    tare::SessionOptions so;
    so.fp16 = precision == TARE_PRECISION_FP16;
    so.batch = o.batch;
    so.profiling = o.profiling != 0;
    auto s = std::make_unique<tare_session_s>();
    s->graph = model->graph;
    s->session = std::make_unique<tare::Session>(model->ctx, *model->graph, so);
    *out = publish(std::move(s));
  });
}

TARE_API void tare_session_destroy(tare_session* session) { destroy_handle(session); }

TARE_API tare_status tare_session_input_info(const tare_session* session, uint32_t index, tare_tensor_info* info) {
  return guarded([&] {
    const HandleUse use_session(session);
    TARE_ARG(session && info, "session or info is NULL");
    TARE_ARG(index < session->session->num_inputs(), "input index " + std::to_string(index) + " out of range");
    write_out(info, tensor_info(session->session->input(index)));
  });
}

TARE_API tare_status tare_session_output_info(const tare_session* session, uint32_t index, tare_tensor_info* info) {
  return guarded([&] {
    const HandleUse use_session(session);
    TARE_ARG(session && info, "session or info is NULL");
    TARE_ARG(index < session->session->num_outputs(), "output index " + std::to_string(index) + " out of range");
    write_out(info, tensor_info(session->session->output(index)));
  });
}

TARE_API tare_status tare_session_set_input(tare_session* session, uint32_t index, const void* data, size_t size) {
  return guarded([&] {
    const HandleUse use_session(session);
    TARE_ARG(session && data, "session or data is NULL");
    TARE_ARG(index < session->session->num_inputs(), "input index " + std::to_string(index) + " out of range");
    const tare::Tensor& t = session->session->input(index);
    TARE_ARG(size == t.bytes(),
             "input '" + t.name + "' takes " + std::to_string(t.bytes()) + " bytes, got " + std::to_string(size));
    session->session->set_input_bytes(index, data, size);
  });
}

TARE_API tare_status tare_session_run(tare_session* session) {
  return guarded([&] {
    const HandleUse use_session(session);
    TARE_ARG(session, "session is NULL");
    session->session->run();
    session->profile_names.clear();
    session->profile_ms.clear();
    for (auto& [name, ms] : session->session->profile()) {
      session->profile_names.push_back(name);
      session->profile_ms.push_back(ms);
    }
  });
}

TARE_API tare_status tare_session_get_output(tare_session* session, uint32_t index, void* data, size_t size) {
  return guarded([&] {
    const HandleUse use_session(session);
    TARE_ARG(session && data, "session or data is NULL");
    TARE_ARG(index < session->session->num_outputs(), "output index " + std::to_string(index) + " out of range");
    const tare::Tensor& t = session->session->output(index);
    TARE_ARG(size == t.bytes(), "output '" + t.name + "' has " + std::to_string(t.bytes()) + " bytes, got room for " +
                                    std::to_string(size));
    session->session->get_output_bytes(index, data, size);
  });
}

TARE_API void tare_memory_report_init_sized(tare_memory_report* r, size_t size) {
  init_sized(r, size, [](tare_memory_report&) {});
}

TARE_API tare_status tare_session_memory(const tare_session* session, tare_memory_report* report) {
  return guarded([&] {
    const HandleUse use_session(session);
    TARE_ARG(session && report, "session or report is NULL");
    tare::MemoryReport m = session->session->memory();
    tare_memory_report r;
    tare_memory_report_init(&r);
    r.constant_bytes = m.constant_bytes;
    r.activation_bytes = m.activation_bytes;
    r.unplanned_bytes = m.unplanned_bytes;
    r.staging_bytes = m.staging_bytes;
    write_out(report, r);
  });
}

TARE_API void tare_pipeline_report_init_sized(tare_pipeline_report* r, size_t size) {
  init_sized(r, size, [](tare_pipeline_report&) {});
}

TARE_API tare_status tare_session_pipelines(const tare_session* session, tare_pipeline_report* report) {
  return guarded([&] {
    const HandleUse use_session(session);
    TARE_ARG(session && report, "session or report is NULL");
    const tare::PipelineReport p = session->session->pipelines();
    tare_pipeline_report r;
    tare_pipeline_report_init(&r);
    r.pipelines = p.pipelines;
    r.shaders = p.shaders;
    r.compiled = p.compiled;
    r.threads = p.threads;
    r.compile_ms = p.compile_ms;
    r.compile_sum_ms = p.compile_sum_ms;
    write_out(report, r);
  });
}

TARE_API tare_status tare_session_profile_count(const tare_session* session, uint32_t* count) {
  return guarded([&] {
    const HandleUse use_session(session);
    TARE_ARG(session && count, "session or count is NULL");
    *count = (uint32_t)session->profile_names.size();
  });
}

TARE_API tare_status tare_session_profile_entry(const tare_session* session, uint32_t index, const char** name,
                                                double* milliseconds) {
  return guarded([&] {
    const HandleUse use_session(session);
    TARE_ARG(session && name && milliseconds, "NULL argument");
    TARE_ARG(index < session->profile_names.size(), "profile index out of range");
    *name = session->profile_names[index].c_str();
    *milliseconds = session->profile_ms[index];
  });
}

TARE_API void tare_run_timing_init_sized(tare_run_timing* t, size_t size) {
  init_sized(t, size, [](tare_run_timing&) {});
}

TARE_API tare_status tare_session_run_timing(const tare_session* session, tare_run_timing* timing) {
  return guarded([&] {
    const HandleUse use_session(session);
    TARE_ARG(session && timing, "session or timing is NULL");
    const tare::vk::RunTimes rt = session->session->run_times();
    tare_run_timing t;
    tare_run_timing_init(&t);
    t.run_ms = rt.total_ms;
    t.queue_wait_ms = rt.host.queue_wait_ms;
    t.submit_ms = rt.host.submit_ms;
    t.fence_wait_ms = rt.host.fence_wait_ms;
    t.profile_read_ms = rt.timestamps_read_ms;
    t.gpu_span_ms = rt.gpu_span_ms;
    for (double ms : session->profile_ms) t.gpu_ops_ms += ms;
    write_out(timing, t);
  });
}

TARE_API void tare_quantize_options_init_sized(tare_quantize_options* o, size_t size) {
  init_sized(o, size, [](tare_quantize_options& d) {
    d.drop_dead_channels = 1;
    d.rounding = TARE_ROUND_NEAREST_AWAY;
    d.input_type = TARE_DTYPE_FLOAT32;
    d.output_type = TARE_DTYPE_FLOAT32;
    d.calibration_batch = 8;
    d.ranges = TARE_RANGES_MINMAX;
    d.percentile = 99.99;
  });
}

TARE_API void tare_quantize_report_init_sized(tare_quantize_report* r, size_t size) {
  init_sized(r, size, [](tare_quantize_report&) {});
}

namespace {

tare::DType io_type(const tare_dtype& type, const char* what) {
  switch (checked_enum(type, TARE_DTYPE_BOOL + 1, what)) {
    case TARE_DTYPE_FLOAT32: return tare::DType::F32;
    case TARE_DTYPE_INT8: return tare::DType::I8;
    case TARE_DTYPE_UINT8: return tare::DType::U8;
    default: tare::fail(TARE_ERROR_INVALID_ARGUMENT, std::string(what) + " must be FLOAT32, INT8 or UINT8");
  }
}

void quantize_impl(tare_model* model, uint32_t count, const std::function<void(uint32_t, float*)>& fill,
                   const tare_quantize_options* options, tare_model** out, tare_quantize_report* report) {
  TARE_ARG(out, "out is NULL");
  *out = nullptr;
  TARE_ARG(model, "model is NULL");
  TARE_ARG(count > 0, "quantization needs at least one calibration input");
  tare_quantize_options defaults;
  tare_quantize_options_init(&defaults);
  tare_quantize_options o = read_options(options, defaults);
  tare::quant::QuantizeOptions qo;
  qo.per_channel = o.per_channel != 0;
  qo.bias_16bit = o.bias_16bit != 0;
  qo.drop_dead_channels = o.drop_dead_channels != 0;
  qo.rounding = checked_enum(o.rounding, 2, "rounding") == TARE_ROUND_NEAREST_EVEN
                    ? tare::quant::WeightRounding::NearestEven
                    : tare::quant::WeightRounding::NearestAway;
  qo.input_type = io_type(o.input_type, "input_type");
  qo.output_type = io_type(o.output_type, "output_type");
  tare::quant::RangeOptions ranges;
  ranges.method = (tare::quant::RangeMethod)checked_enum(o.ranges, TARE_RANGES_MSE + 1, "ranges");
  ranges.percentile = o.percentile;
  TARE_ARG(ranges.method != tare::quant::RangeMethod::Percentile || (o.percentile > 50 && o.percentile <= 100),
           "percentile must be in (50, 100]");
  const tare::Graph& g = *model->graph;
  TARE_ARG(g.inputs.size() == 1, "quantization supports models with one input");
  auto t0 = std::chrono::steady_clock::now();
  auto progress = [&](uint32_t done, uint32_t total) {
    return !o.progress || o.progress(o.user_data, "calibrate", done, total) == 0;
  };
  tare::quant::Stats stats = tare::calib::calibrate(model->ctx, g, count,
                                                    (int)std::max<uint32_t>(1, o.calibration_batch), fill, progress,
                                                    ranges);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  tare::quant::QuantizeReport rep;
  auto q = std::make_shared<const tare::Graph>(tare::quant::quantize_graph(g, stats, qo, &rep));
  auto m = std::make_unique<tare_model_s>();
  m->ctx = model->ctx;
  m->graph = q;
  m->name = model->name;
  if (report) {
    tare_quantize_report r;
    tare_quantize_report_init(&r);
    r.dead_channels = (uint32_t)rep.dead_channels;
    r.quantized_weights = (uint32_t)rep.quantized_weights;
    r.activations = (uint32_t)rep.activations;
    r.calibration_ms = ms;
    write_out(report, r);
  }
  *out = publish(std::move(m));
}

size_t per_image_floats(const tare::Graph& g) {
  TARE_ARG(g.inputs.size() == 1, "quantization supports models with one input");
  const tare::Tensor& t = g.tensors[g.inputs[0]];
  TARE_ARG(t.dtype == tare::DType::F32 && !t.shape.empty() && t.shape[0] > 0, "the model's input is not float32");
  return (size_t)(t.elements() / t.shape[0]);
}

}  // namespace

TARE_API tare_status tare_quantize(tare_model* model, uint32_t count, tare_input_fn inputs, void* user,
                                   const tare_quantize_options* options, tare_model** out,
                                   tare_quantize_report* report) {
  return guarded([&] {
    const HandleUse use_model(model);
    TARE_ARG(inputs, "inputs callback is NULL");
    TARE_ARG(model, "model is NULL");
    size_t n = per_image_floats(*model->graph);
    quantize_impl(
        model, count,
        [&](uint32_t i, float* dst) {
      tare_status st = inputs(user, i, dst, n * 4);
      if (st != TARE_OK) tare::fail(st, "the calibration input callback failed on input " + std::to_string(i));
        },
        options, out, report);
  });
}

TARE_API tare_status tare_quantize_array(tare_model* model, const float* data, uint32_t count,
                                         const tare_quantize_options* options, tare_model** out,
                                         tare_quantize_report* report) {
  return guarded([&] {
    const HandleUse use_model(model);
    TARE_ARG(data, "inputs is NULL");
    TARE_ARG(model, "model is NULL");
    size_t n = per_image_floats(*model->graph);
    quantize_impl(
        model, count, [&](uint32_t i, float* dst) { std::memcpy(dst, data + (size_t)i * n, n * 4); }, options, out,
        report);
  });
}

TARE_API tare_status tare_model_export_file(const tare_model* model, const char* path) {
  return guarded([&] {
    const HandleUse use_model(model);
    TARE_ARG(model && path, "model or path is NULL");
    std::vector<uint8_t> bytes = tare::export_tflite(*model->graph);
    std::string tmp = std::string(path) + ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      if (!f) tare::fail(TARE_ERROR_IO, "cannot write '" + tmp + "'");
      f.write(reinterpret_cast<const char*>(bytes.data()), (std::streamsize)bytes.size());
      if (!f) tare::fail(TARE_ERROR_IO, "cannot write '" + tmp + "'");
    }
    if (std::rename(tmp.c_str(), path) != 0) {
      std::remove(tmp.c_str());
      tare::fail(TARE_ERROR_IO, std::string("cannot write '") + path + "'");
    }
  });
}

TARE_API tare_status tare_model_export_memory(const tare_model* model, void** data, size_t* size) {
  return guarded([&] {
    const HandleUse use_model(model);
    TARE_ARG(model && data && size, "NULL argument");
    *data = nullptr;
    *size = 0;
    copy_to_caller(tare::export_tflite(*model->graph), data, size);
  });
}

TARE_API void tare_free(void* data) { std::free(data); }

}  // extern "C"
