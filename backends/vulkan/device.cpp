#include "vulkan/device.h"

#include "vulkan/loader.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#define LOOM_VK_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LOOM_VK_LSAN 1
#endif
#endif
#ifdef LOOM_VK_LSAN
#include <sanitizer/lsan_interface.h>
#endif

namespace loom::vk {

static const char *const kValidationLayer = "VK_LAYER_KHRONOS_validation";

// Wraps the driver calls that set up its process-lifetime state: while one
// lives, LeakSanitizer (ASan builds only; nothing otherwise) does not report
// what this thread allocates. Mesa's lavapipe reads the CPU topology once
// per process on AMD CPUs (a pthread_once in vkEnumeratePhysicalDevices) and
// keeps it in a static; the loader unloads the driver at vkDestroyInstance,
// so the allocation loses its last pointer and its stack every name a
// suppression could match (tests/support/lsan.supp). Loom passes the
// driver no allocation callbacks: its only allocation inside a scope is
// the device list that enumerate fills.
struct DriverSetup {
#ifdef LOOM_VK_LSAN
    DriverSetup() { __lsan_disable(); }
    ~DriverSetup() { __lsan_enable(); }
#else
    DriverSetup() {}
    ~DriverSetup() {}
#endif
    DriverSetup(const DriverSetup &) = delete;
    DriverSetup &operator=(const DriverSetup &) = delete;
};

const char *device_type_name(VkPhysicalDeviceType type) {
    switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
    }
}

// Lower is preferred: GPUs before software devices.
static int type_rank(VkPhysicalDeviceType type) {
    switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
    default: return 4;
    }
}

static bool has_instance_extension(const VkFns &fns, const char *name) {
    uint32_t n = 0;
    if (fns.vkEnumerateInstanceExtensionProperties(nullptr, &n, nullptr) != VK_SUCCESS) return false;
    std::vector<VkExtensionProperties> exts(n);
    if (fns.vkEnumerateInstanceExtensionProperties(nullptr, &n, exts.data()) != VK_SUCCESS) return false;
    for (const auto &e : exts)
        if (!std::strcmp(e.extensionName, name)) return true;
    return false;
}

static bool has_layer(const VkFns &fns, const char *name) {
    uint32_t n = 0;
    if (fns.vkEnumerateInstanceLayerProperties(&n, nullptr) != VK_SUCCESS) return false;
    std::vector<VkLayerProperties> layers(n);
    if (fns.vkEnumerateInstanceLayerProperties(&n, layers.data()) != VK_SUCCESS) return false;
    for (const auto &l : layers)
        if (!std::strcmp(l.layerName, name)) return true;
    return false;
}

// The layer may also come from the environment (VK_INSTANCE_LAYERS).
static bool env_requests_validation() {
    const char *env = std::getenv("VK_INSTANCE_LAYERS");
    return env && std::strstr(env, kValidationLayer);
}

static bool has_device_extension(const VkFns &fns, VkPhysicalDevice pd, const char *name) {
    uint32_t n = 0;
    if (fns.vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, nullptr) != VK_SUCCESS) return false;
    std::vector<VkExtensionProperties> exts(n);
    if (fns.vkEnumerateDeviceExtensionProperties(pd, nullptr, &n, exts.data()) != VK_SUCCESS) return false;
    for (uint32_t i = 0; i < n; i++)
        if (!std::strcmp(exts[i].extensionName, name)) return true;
    return false;
}

static DeviceInfo describe(const VkFns &fns, VkPhysicalDevice pd, int index) {
    VkPhysicalDeviceSubgroupProperties sub{};
    sub.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES;
    VkPhysicalDeviceSubgroupSizeControlPropertiesEXT size_props{};
    size_props.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES_EXT;
    VkPhysicalDeviceSubgroupSizeControlFeaturesEXT size_features{};
    size_features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES_EXT;
    const bool size_ext = has_device_extension(fns, pd, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
    if (size_ext) sub.pNext = &size_props;
    VkPhysicalDeviceProperties2 p2{};
    p2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
    p2.pNext = &sub;
    fns.vkGetPhysicalDeviceProperties2(pd, &p2);
    if (size_ext) {
        VkPhysicalDeviceFeatures2 f2{};
        f2.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
        f2.pNext = &size_features;
        fns.vkGetPhysicalDeviceFeatures2(pd, &f2);
    }
    VkPhysicalDeviceMemoryProperties mem{};
    fns.vkGetPhysicalDeviceMemoryProperties(pd, &mem);
    DeviceInfo info;
    info.index = index;
    info.name = p2.properties.deviceName;
    info.type = p2.properties.deviceType;
    info.vendor_id = p2.properties.vendorID;
    info.device_id = p2.properties.deviceID;
    info.api_version = p2.properties.apiVersion;
    info.subgroup_size = sub.subgroupSize;
    info.subgroup_arithmetic = (sub.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                               (sub.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) &&
                               (sub.supportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT);
    info.subgroup_size_control = size_ext && size_features.subgroupSizeControl && size_features.computeFullSubgroups &&
                                 (size_props.requiredSubgroupSizeStages & VK_SHADER_STAGE_COMPUTE_BIT);
    info.min_subgroup_size = info.subgroup_size_control ? size_props.minSubgroupSize : 0;
    info.max_subgroup_size = info.subgroup_size_control ? size_props.maxSubgroupSize : 0;
    for (uint32_t i = 0; i < mem.memoryHeapCount; i++)
        if (mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) info.device_local_bytes += mem.memoryHeaps[i].size;
    return info;
}

static Status make_instance(const VkFns &fns, bool validation, bool debug_utils, VkInstance *out) {
    // Synchronization validation too: hazards between dispatches, segments
    // and the sessions of several models on one queue.
    const VkValidationFeatureEnableEXT sync = VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
    VkValidationFeaturesEXT features{};
    features.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT;
    features.enabledValidationFeatureCount = 1;
    features.pEnabledValidationFeatures = &sync;
    VkApplicationInfo app{};
    app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
    app.pApplicationName = "loom";
    app.pEngineName = "loom";
    app.apiVersion = VK_API_VERSION_1_1;
    std::vector<const char *> layers, exts;
    if (validation) layers.push_back(kValidationLayer);
    if (validation) exts.push_back(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME); // provided by the layer
    if (debug_utils) exts.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    VkInstanceCreateInfo ci{};
    ci.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
    ci.pNext = validation ? &features : nullptr;
    ci.pApplicationInfo = &app;
    ci.enabledLayerCount = uint32_t(layers.size());
    ci.ppEnabledLayerNames = layers.data();
    ci.enabledExtensionCount = uint32_t(exts.size());
    ci.ppEnabledExtensionNames = exts.data();
    VkResult r;
    {
        DriverSetup driver;
        r = fns.vkCreateInstance(&ci, nullptr, out);
    }
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER || r == VK_ERROR_INITIALIZATION_FAILED)
        return error(LOOM_ERR_UNSUPPORTED, "vulkan: no usable Vulkan driver (vkCreateInstance: %s)", result_name(r));
    if (r != VK_SUCCESS) return error(LOOM_ERR_BACKEND, "vulkan: vkCreateInstance failed: %s", result_name(r));
    return Status::ok();
}

static Status enumerate(const VkFns &fns, VkInstance inst, std::vector<VkPhysicalDevice> *out) {
    DriverSetup driver;
    uint32_t n = 0;
    LOOM_VK_CHECK(fns.vkEnumeratePhysicalDevices(inst, &n, nullptr));
    out->resize(n);
    LOOM_VK_CHECK(fns.vkEnumeratePhysicalDevices(inst, &n, out->data()));
    out->resize(n);
    return Status::ok();
}

Status list_devices(std::vector<DeviceInfo> *out) {
    VkFns fns;
    void *lib = nullptr;
    LOOM_TRY(open_loader(&fns, &lib));
    VkInstance inst = VK_NULL_HANDLE;
    Status s = make_instance(fns, false, false, &inst);
    if (s) s = load_instance_fns(&fns, inst);
    std::vector<VkPhysicalDevice> pds;
    if (s) s = enumerate(fns, inst, &pds);
    out->clear();
    for (size_t i = 0; s && i < pds.size(); i++) out->push_back(describe(fns, pds[i], int(i)));
    if (inst && fns.vkDestroyInstance) fns.vkDestroyInstance(inst, nullptr);
    close_loader(lib);
    return s;
}

Status Device::create(const DeviceOptions &opts, std::unique_ptr<Device> *out) {
    std::unique_ptr<Device> d(new Device());
    d->attach_log(opts.log);
    if (opts.host) {
        const HostHandles &h = *opts.host;
        if (!h.get_instance_proc_addr || !h.instance || !h.physical_device || !h.device || !h.queue)
            return error(LOOM_ERR_INVALID_ARGUMENT, "vulkan: host handles need get_instance_proc_addr, instance, physical device, device and queue");
        if (!h.queue_lock != !h.queue_unlock)
            return error(LOOM_ERR_INVALID_ARGUMENT, "vulkan: the host's queue_lock and queue_unlock must be set together");
        d->owns_ = false;
        d->host_ = h;
        d->fns_.vkGetInstanceProcAddr = h.get_instance_proc_addr;
        d->instance_ = h.instance;
        LOOM_TRY(load_instance_fns(&d->fns_, d->instance_));
        d->physical_ = h.physical_device;
        d->device_ = h.device;
        d->queue_ = h.queue;
        d->queue_family_ = h.queue_family;
        LOOM_TRY(load_device_fns(&d->fns_, d->device_));
        d->info_ = describe(d->fns_, d->physical_, -1);
    } else {
        LOOM_TRY(open_loader(&d->fns_, &d->loader_));
        LOOM_TRY(d->create_instance(opts.validation));
        LOOM_TRY(d->pick_physical(opts));
        LOOM_TRY(d->create_logical());
    }
    d->fns_.vkGetPhysicalDeviceProperties(d->physical_, &d->props_);
    d->fns_.vkGetPhysicalDeviceMemoryProperties(d->physical_, &d->mem_props_);
    loom::log(opts.log, LOOM_LOG_INFO, "vulkan: using device %d '%s' (%s)%s", d->info_.index, d->info_.name.c_str(),
        device_type_name(d->info_.type), d->owns_ ? "" : " from the host application");
    *out = std::move(d);
    return Status::ok();
}

Status Device::create_instance(bool validation) {
    bool want_messages = validation || env_requests_validation();
    if (validation && !has_layer(fns_, kValidationLayer))
        return error(LOOM_ERR_UNSUPPORTED, "vulkan: validation requested but %s is not installed", kValidationLayer);
    bool debug_utils = want_messages && has_instance_extension(fns_, VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    LOOM_TRY(make_instance(fns_, validation, debug_utils, &instance_));
    LOOM_TRY(load_instance_fns(&fns_, instance_));
    if (!debug_utils || !fns_.vkCreateDebugUtilsMessengerEXT) return Status::ok();
    VkDebugUtilsMessengerCreateInfoEXT mi{};
    mi.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT;
    mi.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    mi.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    mi.pfnUserCallback = &Device::on_message;
    mi.pUserData = this;
    LOOM_VK_CHECK(fns_.vkCreateDebugUtilsMessengerEXT(instance_, &mi, nullptr, &messenger_));
    return Status::ok();
}

VKAPI_ATTR VkBool32 VKAPI_CALL Device::on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                  VkDebugUtilsMessageTypeFlagsEXT,
                                                  const VkDebugUtilsMessengerCallbackDataEXT *data, void *self) {
    auto *d = static_cast<Device *>(self);
    d->messages_++;
    loom_log_level level = (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) ? LOOM_LOG_ERROR : LOOM_LOG_WARN;
    const char *text = data && data->pMessage ? data->pMessage : "(no message)";
    std::lock_guard<std::mutex> lock(d->log_mutex_);
    if (d->sinks_.empty()) loom::log(nullptr, level, "vulkan validation: %s", text);
    for (const LogSink *sink : d->sinks_) loom::log(sink, level, "vulkan validation: %s", text);
    return VK_FALSE;
}

void Device::attach_log(const LogSink *sink) const {
    if (!sink) return;
    std::lock_guard<std::mutex> lock(log_mutex_);
    sinks_.push_back(sink);
}

void Device::detach_log(const LogSink *sink) const {
    std::lock_guard<std::mutex> lock(log_mutex_);
    auto it = std::find(sinks_.begin(), sinks_.end(), sink);
    if (it != sinks_.end()) sinks_.erase(it);
}

VkResult Device::submit(const VkSubmitInfo &info, VkFence fence) const {
    if (host_.queue_lock) {
        host_.queue_lock(host_.queue_lock_user_data);
        VkResult r = fns_.vkQueueSubmit(queue_, 1, &info, fence);
        host_.queue_unlock(host_.queue_lock_user_data);
        return r;
    }
    std::lock_guard<std::mutex> lock(queue_mutex_);
    return fns_.vkQueueSubmit(queue_, 1, &info, fence);
}

Status Device::pick_physical(const DeviceOptions &opts) {
    std::vector<VkPhysicalDevice> pds;
    LOOM_TRY(enumerate(fns_, instance_, &pds));
    if (pds.empty()) return error(LOOM_ERR_UNSUPPORTED, "vulkan: the loader reports no device");
    int pick = -1;
    if (opts.device_index >= 0) {
        if (opts.device_index >= int(pds.size()))
            return error(LOOM_ERR_NOT_FOUND, "vulkan: device index %d out of range (%zu devices)", opts.device_index, pds.size());
        pick = opts.device_index;
    } else if (!opts.device_name.empty()) {
        for (size_t i = 0; i < pds.size() && pick < 0; i++)
            if (describe(fns_, pds[i], int(i)).name.find(opts.device_name) != std::string::npos) pick = int(i);
        if (pick < 0) return error(LOOM_ERR_NOT_FOUND, "vulkan: no device name contains '%s'", opts.device_name.c_str());
    } else {
        for (size_t i = 0; i < pds.size(); i++)
            if (pick < 0 || type_rank(describe(fns_, pds[i], 0).type) < type_rank(describe(fns_, pds[pick], 0).type))
                pick = int(i);
    }
    physical_ = pds[size_t(pick)];
    info_ = describe(fns_, physical_, pick);
    return Status::ok();
}

Status Device::create_logical() {
    uint32_t n = 0;
    fns_.vkGetPhysicalDeviceQueueFamilyProperties(physical_, &n, nullptr);
    std::vector<VkQueueFamilyProperties> families(n);
    fns_.vkGetPhysicalDeviceQueueFamilyProperties(physical_, &n, families.data());
    int family = -1;
    for (uint32_t i = 0; i < n; i++) {
        if (!(families[i].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
        // A compute-only family (async compute on GPUs) beats a graphics one.
        if (family < 0 || !(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) family = int(i);
    }
    if (family < 0) return error(LOOM_ERR_UNSUPPORTED, "vulkan: device '%s' has no compute queue", info_.name.c_str());
    float priority = 1.0f;
    VkDeviceQueueCreateInfo qi{};
    qi.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
    qi.queueFamilyIndex = uint32_t(family);
    qi.queueCount = 1;
    qi.pQueuePriorities = &priority;
    VkDeviceCreateInfo di{};
    di.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
    di.queueCreateInfoCount = 1;
    di.pQueueCreateInfos = &qi;
    // Subgroup-size control: the subgroup shaders (mul_mat_vec_sg_*) are
    // dispatched for the reported subgroup size; pinning it keeps a driver
    // that may compile another width (wave32 / wave64, SIMD8 / 16 / 32) from
    // leaving part of each workgroup's rows to a loop.
    const char *size_ext = VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME;
    VkPhysicalDeviceSubgroupSizeControlFeaturesEXT size_features{};
    size_features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES_EXT;
    const bool pin = info_.subgroup_size_control && info_.subgroup_size >= info_.min_subgroup_size &&
                     info_.subgroup_size <= info_.max_subgroup_size;
    if (pin) {
        size_features.subgroupSizeControl = VK_TRUE;
        size_features.computeFullSubgroups = VK_TRUE;
        di.pNext = &size_features;
        di.enabledExtensionCount = 1;
        di.ppEnabledExtensionNames = &size_ext;
    }
    LOOM_VK_CHECK(fns_.vkCreateDevice(physical_, &di, nullptr, &device_));
    required_subgroup_size_ = pin ? info_.subgroup_size : 0;
    LOOM_TRY(load_device_fns(&fns_, device_));
    queue_family_ = uint32_t(family);
    fns_.vkGetDeviceQueue(device_, queue_family_, 0, &queue_);
    return Status::ok();
}

Device::~Device() {
    if (!owns_) return;
    if (device_) {
        fns_.vkDeviceWaitIdle(device_);
        fns_.vkDestroyDevice(device_, nullptr);
    }
    if (messenger_ && fns_.vkDestroyDebugUtilsMessengerEXT) fns_.vkDestroyDebugUtilsMessengerEXT(instance_, messenger_, nullptr);
    if (instance_ && fns_.vkDestroyInstance) fns_.vkDestroyInstance(instance_, nullptr);
    close_loader(loader_);
}

} // namespace loom::vk
