#include "vk/context.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/error.h"
#include "vk/fault.h"
#include "vk/pipeline.h"

namespace tare::vk {

const char* result_name(VkResult r) {
  switch (r) {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_NOT_READY: return "VK_NOT_READY";
    case VK_TIMEOUT: return "VK_TIMEOUT";
    case VK_INCOMPLETE: return "VK_INCOMPLETE";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
    case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
    case VK_ERROR_FORMAT_NOT_SUPPORTED: return "VK_ERROR_FORMAT_NOT_SUPPORTED";
    case VK_ERROR_FRAGMENTED_POOL: return "VK_ERROR_FRAGMENTED_POOL";
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
    default: return "VkResult(unknown)";
  }
}

void check(VkResult r, const char* what) {
  if (r == VK_SUCCESS) return;
  tare_status st = TARE_ERROR_DEVICE;
  if (r == VK_ERROR_OUT_OF_HOST_MEMORY || r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_POOL_MEMORY)
    st = TARE_ERROR_OUT_OF_MEMORY;
  if (r == VK_ERROR_DEVICE_LOST) st = TARE_ERROR_DEVICE_LOST;
  fail(st, std::string(what) + " failed: " + result_name(r));
}

namespace {

std::mutex g_volk_mutex;
bool g_volk_ok = false;
// volk's function pointers are process-wide.  They are loaded once, from the first instance, through
// vkGetInstanceProcAddr: the loader's trampolines, which dispatch on the handle they are given, so they serve every
// instance and device of the process (volkLoadDevice's per-device pointers would not, with several contexts).
// Instance-extension functions (debug utils) are fetched per context.
bool g_volk_loaded = false;

void load_vulkan() {
  std::lock_guard<std::mutex> lock(g_volk_mutex);
  if (g_volk_ok) return;
  if (volkInitialize() != VK_SUCCESS)
    fail(TARE_ERROR_NO_VULKAN, "no Vulkan loader found (libvulkan.so.1 could not be loaded)");
  g_volk_ok = true;
}

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::strcmp(v, "0") != 0;
}

bool has_layer(const char* name) {
  uint32_t n = 0;
  vkEnumerateInstanceLayerProperties(&n, nullptr);
  std::vector<VkLayerProperties> layers(n);
  vkEnumerateInstanceLayerProperties(&n, layers.data());
  for (auto& l : layers)
    if (std::strcmp(l.layerName, name) == 0) return true;
  return false;
}

std::vector<std::string> instance_extensions() {
  uint32_t n = 0;
  vkEnumerateInstanceExtensionProperties(nullptr, &n, nullptr);
  std::vector<VkExtensionProperties> ext(n);
  vkEnumerateInstanceExtensionProperties(nullptr, &n, ext.data());
  std::vector<std::string> out;
  for (auto& e : ext) out.push_back(e.extensionName);
  return out;
}

bool contains(const std::vector<std::string>& v, const char* s) {
  return std::find(v.begin(), v.end(), std::string(s)) != v.end();
}

// The instance's API version: the loader's, capped at 1.3 (what Tare knows), at least 1.1.
uint32_t instance_api_version() {
  uint32_t v = VK_API_VERSION_1_0;
  if (vkEnumerateInstanceVersion) vkEnumerateInstanceVersion(&v);
  v = VK_MAKE_API_VERSION(0, VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v), 0);
  if (v > VK_API_VERSION_1_3) v = VK_API_VERSION_1_3;
  if (v < VK_API_VERSION_1_1) v = VK_API_VERSION_1_1;
  return v;
}

VkInstance create_instance(bool validation, bool debug_utils, bool portability) {
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "tare";
  app.pEngineName = "tare";
  app.apiVersion = instance_api_version();
  std::vector<const char*> layers, exts;
  if (validation) layers.push_back("VK_LAYER_KHRONOS_validation");
  if (debug_utils) exts.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
  VkInstanceCreateInfo ci{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  if (portability) {
    exts.push_back("VK_KHR_portability_enumeration");
    ci.flags |= 0x00000001;  // VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR
  }
  ci.pApplicationInfo = &app;
  ci.enabledLayerCount = (uint32_t)layers.size();
  ci.ppEnabledLayerNames = layers.data();
  ci.enabledExtensionCount = (uint32_t)exts.size();
  ci.ppEnabledExtensionNames = exts.data();
  VkInstance inst = VK_NULL_HANDLE;
  VkResult r = vkCreateInstance(&ci, nullptr, &inst);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER || r == VK_ERROR_INITIALIZATION_FAILED)
    fail(TARE_ERROR_NO_VULKAN, std::string("vkCreateInstance failed: ") + result_name(r));
  check(r, "vkCreateInstance");
  {
    std::lock_guard<std::mutex> lock(g_volk_mutex);
    if (!g_volk_loaded) {
      volkLoadInstance(inst);
      g_volk_loaded = true;
    }
  }
  return inst;
}

std::vector<std::string> device_extensions(VkPhysicalDevice pd) {
  uint32_t n = 0;
  vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, nullptr);
  std::vector<VkExtensionProperties> ext(n);
  vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, ext.data());
  std::vector<std::string> out;
  for (auto& e : ext) out.push_back(e.extensionName);
  return out;
}

// Feature structs queried and (a subset) enabled.
struct FeatureChain {
  VkPhysicalDeviceFeatures2 f2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  VkPhysicalDevice16BitStorageFeatures s16{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  VkPhysicalDevice8BitStorageFeatures s8{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES};
  VkPhysicalDeviceShaderFloat16Int8Features f16i8{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
  VkPhysicalDeviceShaderIntegerDotProductFeatures dot{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES};
  void link(bool has8, bool hasf16i8, bool hasdot) {
    void** next = &f2.pNext;
    *next = &s16;
    next = &s16.pNext;
    if (has8) {
      *next = &s8;
      next = &s8.pNext;
    }
    if (hasf16i8) {
      *next = &f16i8;
      next = &f16i8.pNext;
    }
    if (hasdot) {
      *next = &dot;
      next = &dot.pNext;
    }
    *next = nullptr;
  }
};

struct Probe {
  uint32_t effective_api = VK_API_VERSION_1_1;
  DeviceCaps caps;
  bool ext_8bit = false, ext_f16i8 = false, ext_dot = false, ext_budget = false;
  FeatureChain features;
};

Probe probe_device(VkPhysicalDevice pd) {
  Probe p;
  VkPhysicalDeviceProperties props{};
  vkGetPhysicalDeviceProperties(pd, &props);
  DeviceCaps& c = p.caps;
  c.name = props.deviceName;
  c.type = props.deviceType;
  c.vendor_id = props.vendorID;
  c.device_id = props.deviceID;
  c.api_version = props.apiVersion;
  c.max_workgroup_invocations = props.limits.maxComputeWorkGroupInvocations;
  for (int i = 0; i < 3; i++) {
    c.max_workgroup_size[i] = props.limits.maxComputeWorkGroupSize[i];
    c.max_workgroup_count[i] = props.limits.maxComputeWorkGroupCount[i];
  }
  c.max_shared_memory = props.limits.maxComputeSharedMemorySize;
  c.max_push_constants = props.limits.maxPushConstantsSize;
  c.max_storage_buffer_range = props.limits.maxStorageBufferRange;
  c.min_storage_buffer_offset_alignment = props.limits.minStorageBufferOffsetAlignment;
  c.timestamp_period_ns = props.limits.timestampPeriod;

  auto exts = device_extensions(pd);
  // Core features count only up to the version both the instance and the device speak.
  uint32_t effective = std::min(props.apiVersion, instance_api_version());
  bool v12 = effective >= VK_API_VERSION_1_2;
  bool v13 = effective >= VK_API_VERSION_1_3;
  p.effective_api = effective;
  p.ext_8bit = v12 || contains(exts, "VK_KHR_8bit_storage");
  p.ext_f16i8 = v12 || contains(exts, "VK_KHR_shader_float16_int8");
  p.ext_dot = v13 || contains(exts, "VK_KHR_shader_integer_dot_product");
  p.ext_budget = contains(exts, "VK_EXT_memory_budget");
  p.features.link(p.ext_8bit, p.ext_f16i8, p.ext_dot);
  vkGetPhysicalDeviceFeatures2(pd, &p.features.f2);
  c.int16 = p.features.f2.features.shaderInt16;
  c.int64 = p.features.f2.features.shaderInt64;
  c.fp16_storage = p.features.s16.storageBuffer16BitAccess;
  c.int8_storage = p.ext_8bit && p.features.s8.storageBuffer8BitAccess;
  c.fp16_arithmetic = p.ext_f16i8 && p.features.f16i8.shaderFloat16;
  c.int8_arithmetic = p.ext_f16i8 && p.features.f16i8.shaderInt8;
  c.integer_dot_product = p.ext_dot && p.features.dot.shaderIntegerDotProduct;
  c.memory_budget = p.ext_budget;

  VkPhysicalDeviceSubgroupProperties sg{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceShaderIntegerDotProductProperties dotp{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_PROPERTIES};
  VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  p2.pNext = &sg;
  if (p.ext_dot) sg.pNext = &dotp;
  vkGetPhysicalDeviceProperties2(pd, &p2);
  c.subgroup_size = sg.subgroupSize;
  c.integer_dot_accelerated = c.integer_dot_product && dotp.integerDotProduct4x8BitPackedSignedAccelerated;
  c.subgroup_operations = (sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) ? sg.supportedOperations : 0;

  uint32_t nq = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, nullptr);
  std::vector<VkQueueFamilyProperties> qf(nq);
  vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, qf.data());
  for (auto& q : qf)
    if ((q.queueFlags & VK_QUEUE_COMPUTE_BIT) && q.timestampValidBits > 0 && props.limits.timestampPeriod > 0)
      c.timestamps = true;

  VkPhysicalDeviceMemoryProperties mp{};
  vkGetPhysicalDeviceMemoryProperties(pd, &mp);
  for (uint32_t i = 0; i < mp.memoryHeapCount; i++)
    if (mp.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      c.device_local_bytes = std::max<uint64_t>(c.device_local_bytes, mp.memoryHeaps[i].size);
  return p;
}

int type_rank(VkPhysicalDeviceType t) {
  switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
    default: return 4;
  }
}

std::vector<VkPhysicalDevice> physical_devices(VkInstance inst) {
  uint32_t n = 0;
  check(vkEnumeratePhysicalDevices(inst, &n, nullptr), "vkEnumeratePhysicalDevices");
  std::vector<VkPhysicalDevice> pds(n);
  check(vkEnumeratePhysicalDevices(inst, &n, pds.data()), "vkEnumeratePhysicalDevices");
  pds.resize(n);
  return pds;
}

bool has_compute_queue(VkPhysicalDevice pd) {
  uint32_t nq = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, nullptr);
  std::vector<VkQueueFamilyProperties> qf(nq);
  vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, qf.data());
  for (auto& q : qf)
    if (q.queueFlags & VK_QUEUE_COMPUTE_BIT) return true;
  return false;
}

VKAPI_ATTR VkBool32 VKAPI_CALL debug_callback(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                              VkDebugUtilsMessageTypeFlagsEXT,
                                              const VkDebugUtilsMessengerCallbackDataEXT* data, void* user) {
  if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT)
    static_cast<Context*>(user)->on_validation_message(data && data->pMessage ? data->pMessage : "(no message)");
  return VK_FALSE;
}

}  // namespace

std::vector<DeviceCaps> enumerate_devices() {
  load_vulkan();
  auto exts = instance_extensions();
  VkInstance inst = create_instance(false, false, contains(exts, "VK_KHR_portability_enumeration"));
  std::vector<DeviceCaps> out;
  try {
    for (VkPhysicalDevice pd : physical_devices(inst)) out.push_back(probe_device(pd).caps);
  } catch (...) {
    vkDestroyInstance(inst, nullptr);
    throw;
  }
  vkDestroyInstance(inst, nullptr);
  return out;
}

Context::Context(const ContextOptions& options) {
  load_vulkan();
  validation_ = options.validation || env_flag("TARE_VALIDATION");
  if (validation_ && !has_layer("VK_LAYER_KHRONOS_validation"))
    fail(TARE_ERROR_NO_VULKAN, "validation requested but VK_LAYER_KHRONOS_validation is not installed");
  auto exts = instance_extensions();
  bool debug_utils = validation_ && contains(exts, VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
  instance_ = create_instance(validation_, debug_utils, contains(exts, "VK_KHR_portability_enumeration"));
  try {
    if (debug_utils) {
      VkDebugUtilsMessengerCreateInfoEXT mi{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
      mi.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
      mi.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
      mi.pfnUserCallback = debug_callback;
      mi.pUserData = this;
      auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
          vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
      destroy_messenger_ = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
          vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
      if (create && destroy_messenger_)
        check(create(instance_, &mi, nullptr, &messenger_), "vkCreateDebugUtilsMessengerEXT");
    }
    auto pds = physical_devices(instance_);
    std::vector<VkPhysicalDevice> usable;
    for (auto pd : pds)
      if (has_compute_queue(pd)) usable.push_back(pd);
    if (usable.empty()) fail(TARE_ERROR_NO_VULKAN, "no Vulkan device with a compute queue");

    // Choice: explicit index > name substring > TARE_DEVICE > type ranking.
    int chosen = -1;
    std::string name_sub = options.device_name;
    int index = options.device_index;
    if (index < 0 && name_sub.empty()) {
      const char* env = std::getenv("TARE_DEVICE");
      if (env && *env) {
        char* end = nullptr;
        long v = std::strtol(env, &end, 10);
        if (end && *end == 0) index = (int)v;
        else name_sub = env;
      }
    }
    if (index >= 0) {
      if (index >= (int)pds.size())
        fail(TARE_ERROR_INVALID_ARGUMENT,
             "device index " + std::to_string(index) + " out of range (" + std::to_string(pds.size()) + " devices)");
      if (!has_compute_queue(pds[index])) fail(TARE_ERROR_INVALID_ARGUMENT, "device has no compute queue");
      physical_ = pds[index];
    } else if (!name_sub.empty()) {
      for (auto pd : usable) {
        VkPhysicalDeviceProperties pr{};
        vkGetPhysicalDeviceProperties(pd, &pr);
        if (std::string(pr.deviceName).find(name_sub) != std::string::npos) {
          physical_ = pd;
          break;
        }
      }
      if (!physical_) fail(TARE_ERROR_INVALID_ARGUMENT, "no Vulkan device name contains '" + name_sub + "'");
    } else {
      int best = 99;
      for (size_t i = 0; i < usable.size(); i++) {
        VkPhysicalDeviceProperties pr{};
        vkGetPhysicalDeviceProperties(usable[i], &pr);
        int r = type_rank(pr.deviceType);
        if (r < best) {
          best = r;
          chosen = (int)i;
        }
      }
      physical_ = usable[chosen];
    }

    Probe probe = probe_device(physical_);
    caps_ = probe.caps;
    const uint32_t default_timeout_ms = caps_.type == VK_PHYSICAL_DEVICE_TYPE_CPU ? kDefaultCpuFenceTimeoutMs
                                                                                  : kDefaultFenceTimeoutMs;
    fence_timeout_ns_ = uint64_t(options.fence_timeout_ms ? options.fence_timeout_ms : default_timeout_ms) * 1000000;
    if (options.max_storage_buffer_range)
      caps_.max_storage_buffer_range = std::min(caps_.max_storage_buffer_range, options.max_storage_buffer_range);
    vkGetPhysicalDeviceMemoryProperties(physical_, &memory_props_);

    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(physical_, &nq, nullptr);
    std::vector<VkQueueFamilyProperties> qf(nq);
    vkGetPhysicalDeviceQueueFamilyProperties(physical_, &nq, qf.data());
    int family = -1;
    for (uint32_t i = 0; i < nq; i++)  // prefer a compute-only queue
      if ((qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && !(qf[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) {
        family = (int)i;
        break;
      }
    if (family < 0)
      for (uint32_t i = 0; i < nq; i++)
        if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
          family = (int)i;
          break;
        }
    queue_family_ = (uint32_t)family;
    caps_.timestamps = qf[family].timestampValidBits > 0 && caps_.timestamp_period_ns > 0;

    // Enable exactly the features we use, when present.
    FeatureChain en;
    en.f2.features.shaderInt16 = caps_.int16;
    en.f2.features.shaderInt64 = caps_.int64;
    en.s16.storageBuffer16BitAccess = caps_.fp16_storage;
    en.s16.uniformAndStorageBuffer16BitAccess = probe.features.s16.uniformAndStorageBuffer16BitAccess;
    en.s8.storageBuffer8BitAccess = caps_.int8_storage;
    en.s8.uniformAndStorageBuffer8BitAccess = probe.features.s8.uniformAndStorageBuffer8BitAccess;
    en.f16i8.shaderFloat16 = caps_.fp16_arithmetic;
    en.f16i8.shaderInt8 = caps_.int8_arithmetic;
    en.dot.shaderIntegerDotProduct = caps_.integer_dot_product;
    en.link(probe.ext_8bit, probe.ext_f16i8, probe.ext_dot);

    std::vector<const char*> dev_exts;
    auto dexts = device_extensions(physical_);
    bool v12 = probe.effective_api >= VK_API_VERSION_1_2;
    bool v13 = probe.effective_api >= VK_API_VERSION_1_3;
    if (!v12 && probe.ext_8bit) dev_exts.push_back("VK_KHR_8bit_storage");
    if (!v12 && probe.ext_f16i8) dev_exts.push_back("VK_KHR_shader_float16_int8");
    if (!v13 && probe.ext_dot) dev_exts.push_back("VK_KHR_shader_integer_dot_product");
    if (probe.ext_budget) dev_exts.push_back("VK_EXT_memory_budget");
    if (contains(dexts, "VK_KHR_portability_subset")) dev_exts.push_back("VK_KHR_portability_subset");

    float prio = 1.0f;
    VkDeviceQueueCreateInfo qi{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    qi.queueFamilyIndex = queue_family_;
    qi.queueCount = 1;
    qi.pQueuePriorities = &prio;
    VkDeviceCreateInfo di{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    di.pNext = &en.f2;
    di.queueCreateInfoCount = 1;
    di.pQueueCreateInfos = &qi;
    di.enabledExtensionCount = (uint32_t)dev_exts.size();
    di.ppEnabledExtensionNames = dev_exts.data();
    check(vkCreateDevice(physical_, &di, nullptr, &device_), "vkCreateDevice");
    vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

    free_fences_.push_back(VK_NULL_HANDLE);  // the first submission's fence, made now: a failure shows here
    VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    check(vkCreateFence(device_, &fi, nullptr, &free_fences_.back()), "vkCreateFence");
    VkPipelineCacheCreateInfo pci{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
    // Initial data only when its header names this device (VkPipelineCacheHeaderVersionOne: length, version,
    // vendor, device, UUID): drivers should ignore foreign data, but not all are careful.
    const auto& pc = options.pipeline_cache;
    if (pc.size() >= 32) {
      VkPhysicalDeviceProperties props{};
      vkGetPhysicalDeviceProperties(physical_, &props);
      uint32_t h[4];
      std::memcpy(h, pc.data(), 16);
      if (h[0] >= 32 && h[1] == VK_PIPELINE_CACHE_HEADER_VERSION_ONE && h[2] == props.vendorID &&
          h[3] == props.deviceID && std::memcmp(pc.data() + 16, props.pipelineCacheUUID, VK_UUID_SIZE) == 0) {
        pci.initialDataSize = pc.size();
        pci.pInitialData = pc.data();
      }
    }
    check(vkCreatePipelineCache(device_, &pci, nullptr, &pipeline_cache_), "vkCreatePipelineCache");
  } catch (...) {
    release();
    throw;
  }
}

Context::~Context() { release(); }

void Context::release() {
  settle();
  pipelines_.clear();
  if (abandoned_) return;  // the device, its fences and the instance are leaked (see abandoned())
  if (device_) {
    vkDeviceWaitIdle(device_);  // returns at once on a lost device
    if (pipeline_cache_) vkDestroyPipelineCache(device_, pipeline_cache_, nullptr);
    for (VkFence f : free_fences_)
      if (f) vkDestroyFence(device_, f, nullptr);
    for (VkFence f : pending_fences_) vkDestroyFence(device_, f, nullptr);
    vkDestroyDevice(device_, nullptr);
    device_ = VK_NULL_HANDLE;
    pipeline_cache_ = VK_NULL_HANDLE;
    free_fences_.clear();
    pending_fences_.clear();
  }
  if (messenger_ && destroy_messenger_) {
    destroy_messenger_(instance_, messenger_, nullptr);
    messenger_ = VK_NULL_HANDLE;
  }
  if (instance_) {
    vkDestroyInstance(instance_, nullptr);
    instance_ = VK_NULL_HANDLE;
  }
}

std::vector<uint8_t> Context::pipeline_cache_data() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t size = 0;
  check(vkGetPipelineCacheData(device_, pipeline_cache_, &size, nullptr), "vkGetPipelineCacheData");
  std::vector<uint8_t> data(size);
  if (size) check(vkGetPipelineCacheData(device_, pipeline_cache_, &size, data.data()), "vkGetPipelineCacheData");
  data.resize(size);
  return data;
}

const std::vector<std::string> Context::validation_log() const {
  std::lock_guard<std::mutex> lock(log_mutex_);
  return validation_log_;
}

void Context::on_validation_message(const char* message) {
  {
    std::lock_guard<std::mutex> lock(log_mutex_);
    if (validation_log_.size() < 1000) validation_log_.push_back(message);
  }
  validation_messages_++;
  std::fprintf(stderr, "[tare] Vulkan validation: %s\n", message);
}

int Context::find_memory_type(uint32_t type_bits, VkMemoryPropertyFlags required,
                              VkMemoryPropertyFlags preferred) const {
  int fallback = -1;
  for (uint32_t i = 0; i < memory_props_.memoryTypeCount; i++) {
    if (!(type_bits & (1u << i))) continue;
    VkMemoryPropertyFlags f = memory_props_.memoryTypes[i].propertyFlags;
    if ((f & required) != required) continue;
    if ((f & preferred) == preferred) return (int)i;
    if (fallback < 0) fallback = (int)i;
  }
  return fallback;
}

std::shared_ptr<Pipeline> Context::pipeline(const std::string& shader, const std::vector<uint32_t>& spec,
                                            uint32_t push_bytes, uint32_t num_bindings, uint32_t lx, uint32_t ly,
                                            uint32_t lz) {
  std::string key = shader + "|" + std::to_string(push_bytes) + "|" + std::to_string(num_bindings) + "|" +
                    std::to_string(lx) + "," + std::to_string(ly) + "," + std::to_string(lz);
  for (uint32_t s : spec) key += "|" + std::to_string(s);
  std::shared_ptr<Pipeline> p;
  {
    std::lock_guard<std::mutex> lock(pipelines_mutex_);
    auto it = pipelines_.find(key);
    if (it != pipelines_.end()) {
      p = it->second;
    } else {
      p = std::make_shared<Pipeline>(*this, shader, spec, push_bytes, num_bindings, lx, ly, lz);
      pipelines_[key] = p;
    }
  }
  if (PipelineCollector* c = PipelineCollector::current()) c->add(p);
  return p;
}

namespace {
thread_local PipelineCollector* t_collector = nullptr;
}  // namespace

PipelineCollector::PipelineCollector() : outer_(t_collector) { t_collector = this; }
PipelineCollector::~PipelineCollector() { t_collector = outer_; }
PipelineCollector* PipelineCollector::current() { return t_collector; }

void PipelineCollector::add(const std::shared_ptr<Pipeline>& p) {
  if (std::find(pipelines_.begin(), pipelines_.end(), p) == pipelines_.end()) pipelines_.push_back(p);
}

VkFence Context::take_fence() {
  if (!free_fences_.empty()) {
    VkFence f = free_fences_.back();
    free_fences_.pop_back();
    return f;
  }
  VkFenceCreateInfo fi{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence f = VK_NULL_HANDLE;
  check(vkCreateFence(device_, &fi, nullptr, &f), "vkCreateFence");
  return f;
}

void Context::submit_and_wait(VkCommandBuffer cb, SubmitTimes* times) {
  using Clock = std::chrono::steady_clock;
  const auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  const auto t0 = Clock::now();
  auto t1 = t0, t2 = t0;
  VkFence fence = VK_NULL_HANDLE;
  VkResult r = VK_SUCCESS;
  {
    // The queue is held for the submission only: holding it through the wait made every other thread's
    // submission wait for this one's GPU work.
    std::lock_guard<std::mutex> lock(queue_mutex_);
    t1 = Clock::now();
    check_usable();
    fence = take_fence();
    VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cb;
    r = vkQueueSubmit(queue_, 1, &si, fence);
    t2 = Clock::now();
    if (r != VK_SUCCESS) free_fences_.push_back(fence);  // nothing was submitted: still unsignalled
  }
  const bool submitted = r == VK_SUCCESS;
  if (submitted)
    r = fault::call(fault::Point::FenceWait, VK_TIMEOUT,
                    [&] { return vkWaitForFences(device_, 1, &fence, VK_TRUE, fence_timeout_ns_); });
  const auto t3 = Clock::now();
  if (times) *times = SubmitTimes{ms(t0, t1), ms(t1, t2), ms(t2, t3)};
  if (r == VK_SUCCESS) r = vkResetFences(device_, 1, &fence);
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (submitted && r == VK_SUCCESS) {
      free_fences_.push_back(fence);
      return;
    }
    if (submitted) {  // the submission may still run: settle() waits for it before anything it uses goes
      pending_fences_.push_back(fence);
      pending_ = true;
    }
    if ((r == VK_TIMEOUT || r == VK_ERROR_DEVICE_LOST) && !lost_.load()) {
      lost_reason_ = r == VK_TIMEOUT
                         ? "a submission did not finish within " + std::to_string(fence_timeout_ns_ / 1000000) + " ms"
                         : "VK_ERROR_DEVICE_LOST";
      lost_ = true;
    }
  }
  if (r == VK_TIMEOUT)
    fail(TARE_ERROR_TIMEOUT, "the GPU did not finish a submission within the fence timeout (" +
                                 std::to_string(fence_timeout_ns_ / 1000000) +
                                 " ms; tare_context_options.fence_timeout_ms); the context is lost");
  check(r, "vkQueueSubmit/vkWaitForFences");
}

void Context::check_usable() const {
  if (lost_.load())
    fail(TARE_ERROR_DEVICE_LOST,
         "the device is lost (" + lost_reason_ + "): destroy this context and create a new one");
}

void Context::settle() {
  if (!pending_.load()) return;
  std::lock_guard<std::mutex> lock(queue_mutex_);
  if (!pending_.load()) return;
  // A lost device answers at once; a hung one gets one more fence timeout, then is abandoned (no more waiting).
  // All of them in one wait, so that it stays one timeout however many threads' submissions failed.
  if (!abandoned_ && vkWaitForFences(device_, (uint32_t)pending_fences_.size(), pending_fences_.data(), VK_TRUE,
                                     fence_timeout_ns_) == VK_TIMEOUT)
    abandoned_ = true;
  pending_ = false;
}

uint64_t Context::available_device_memory() const {
  VkPhysicalDeviceMemoryBudgetPropertiesEXT budget{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT};
  VkPhysicalDeviceMemoryProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2};
  if (caps_.memory_budget) props.pNext = &budget;
  vkGetPhysicalDeviceMemoryProperties2(physical_, &props);
  const VkPhysicalDeviceMemoryProperties& mp = props.memoryProperties;
  uint64_t best = 0;
  for (uint32_t i = 0; i < mp.memoryHeapCount; i++) {
    if (!(mp.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)) continue;
    uint64_t avail = mp.memoryHeaps[i].size;
    if (caps_.memory_budget)
      avail = budget.heapBudget[i] > budget.heapUsage[i] ? budget.heapBudget[i] - budget.heapUsage[i] : 0;
    best = std::max(best, avail);
  }
  return best;
}

}  // namespace tare::vk
