// `tare devices`: the Vulkan devices and the features Tare uses.
#include <cstdio>

#include "cli.h"

namespace tare_cli {
namespace {

const char* device_type_name(tare_device_type t) {
  switch (t) {
    case TARE_DEVICE_INTEGRATED_GPU: return "integrated GPU";
    case TARE_DEVICE_DISCRETE_GPU: return "discrete GPU";
    case TARE_DEVICE_VIRTUAL_GPU: return "virtual GPU";
    case TARE_DEVICE_CPU: return "CPU";
    case TARE_DEVICE_OTHER: break;
  }
  return "other";
}

int run_devices(const Args&) {
  uint32_t n = 0;
  check(tare_device_count(&n), "enumerating the Vulkan devices");
  Json list = Json::array();
  text("%u Vulkan device%s\n", n, n == 1 ? "" : "s");
  for (uint32_t i = 0; i < n; i++) {
    tare_device_info d;
    tare_device_info_init(&d);
    check(tare_device_get_info(i, &d), "reading the device info");
    const unsigned major = (d.api_version >> 22) & 0x7F, minor = (d.api_version >> 12) & 0x3FF,
                   patch = d.api_version & 0xFFF;
    text("\n[%u] %s (%s)\n", i, d.name, device_type_name(d.type));
    text("    vendor 0x%04x, device 0x%04x, Vulkan %u.%u.%u\n", d.vendor_id, d.device_id, major, minor, patch);
    text("    fp16 arithmetic %s, fp16 storage %s, int8 arithmetic %s, int8 storage %s\n",
         d.fp16_arithmetic ? "yes" : "no", d.fp16_storage ? "yes" : "no", d.int8_arithmetic ? "yes" : "no",
         d.int8_storage ? "yes" : "no");
    text("    integer dot product %s, int64 %s, timestamps %s (period %g ns)\n", d.integer_dot_product ? "yes" : "no",
         d.int64 ? "yes" : "no", d.timestamps ? "yes" : "no", double(d.timestamp_period_ns));
    text("    subgroup size %u, subgroup operations 0x%x\n", d.subgroup_size, d.subgroup_operations);
    text("    max workgroup invocations %u, shared memory %s, max storage buffer range %s\n",
         d.max_workgroup_invocations, bytes_string(d.max_shared_memory_bytes).c_str(),
         bytes_string(d.max_storage_buffer_range).c_str());
    text("    device-local memory %s\n", bytes_string(d.device_local_bytes).c_str());
    Json j = Json::object();
    j["index"] = i;
    j["name"] = d.name;
    j["type"] = device_type_name(d.type);
    j["vendor_id"] = d.vendor_id;
    j["device_id"] = d.device_id;
    j["vulkan_version"] = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
    j["fp16_arithmetic"] = d.fp16_arithmetic != 0;
    j["fp16_storage"] = d.fp16_storage != 0;
    j["int8_arithmetic"] = d.int8_arithmetic != 0;
    j["int8_storage"] = d.int8_storage != 0;
    j["integer_dot_product"] = d.integer_dot_product != 0;
    j["int64"] = d.int64 != 0;
    j["timestamps"] = d.timestamps != 0;
    j["timestamp_period_ns"] = d.timestamp_period_ns;
    j["subgroup_size"] = d.subgroup_size;
    j["subgroup_operations"] = d.subgroup_operations;
    j["max_workgroup_invocations"] = d.max_workgroup_invocations;
    j["max_shared_memory_bytes"] = d.max_shared_memory_bytes;
    j["max_storage_buffer_range"] = d.max_storage_buffer_range;
    j["device_local_bytes"] = d.device_local_bytes;
    list.push(std::move(j));
  }
  if (g_json) {
    Json doc = Json::object();
    doc["devices"] = std::move(list);
    print_json(doc);
  }
  return 0;
}

}  // namespace

const Command& devices_command() {
  static const Command c{
      {"tare devices", "[--json]", "list the Vulkan devices and their features", "", 0, 0, {opt::json()}}, run_devices};
  return c;
}

}  // namespace tare_cli
