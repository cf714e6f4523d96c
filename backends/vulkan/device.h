// A Vulkan device for compute: the instance (or the host application's),
// one physical device chosen by index or name, a logical device with one
// compute queue, and an optional validation messenger that counts messages.
#pragma once

#include "common/log.h"
#include "common/status.h"
#include "vulkan/vk_api.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace loom::vk {

struct DeviceInfo {
    int index = 0;                 // position in vkEnumeratePhysicalDevices order
    std::string name;
    VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
    uint32_t vendor_id = 0, device_id = 0, api_version = 0;
    uint64_t device_local_bytes = 0;
    uint32_t subgroup_size = 0;
    bool subgroup_arithmetic = false; // subgroupAdd & co. in compute shaders
};

// Handles of a host application's own Vulkan objects (not owned by loom).
struct HostHandles {
    PFN_vkGetInstanceProcAddr get_instance_proc_addr = nullptr;
    VkInstance instance = VK_NULL_HANDLE;
    VkPhysicalDevice physical_device = VK_NULL_HANDLE;
    VkDevice device = VK_NULL_HANDLE;
    VkQueue queue = VK_NULL_HANDLE;
    uint32_t queue_family = 0;
};

struct DeviceOptions {
    int device_index = -1;         // -1: by name if set, else the preferred device
    std::string device_name;       // substring of the device name (case-sensitive)
    bool validation = false;       // enable VK_LAYER_KHRONOS_validation (error if absent)
    const LogSink *log = nullptr;
    const HostHandles *host = nullptr; // use these instead of creating our own
};

const char *device_type_name(VkPhysicalDeviceType type);

// The devices the loader reports (opens a temporary instance).
// Errors: UNSUPPORTED (no loader / no driver), BACKEND.
Status list_devices(std::vector<DeviceInfo> *out);

class Device {
public:
    // Errors: UNSUPPORTED (no loader, no device, no compute queue), NOT_FOUND
    // (index/name matches nothing), BACKEND.
    static Status create(const DeviceOptions &opts, std::unique_ptr<Device> *out);
    ~Device();
    Device(const Device &) = delete;
    Device &operator=(const Device &) = delete;

    const VkFns &fn() const { return fns_; }
    VkInstance instance() const { return instance_; }
    VkDevice handle() const { return device_; }
    VkQueue queue() const { return queue_; }
    uint32_t queue_family() const { return queue_family_; }
    VkPhysicalDevice physical() const { return physical_; }
    const DeviceInfo &info() const { return info_; }
    const VkPhysicalDeviceProperties &properties() const { return props_; }
    const VkPhysicalDeviceMemoryProperties &memory_properties() const { return mem_props_; }
    const LogSink *log() const { return log_; }
    // vkQueueSubmit needs the queue externally synchronized (sessions share it).
    std::mutex &queue_mutex() const { return queue_mutex_; }

    // Validation/debug messages of severity warning or error seen so far.
    uint64_t validation_messages() const { return messages_.load(); }
    bool validation_enabled() const { return messenger_ != VK_NULL_HANDLE; }

private:
    Device() = default;
    Status create_instance(bool validation);
    Status pick_physical(const DeviceOptions &opts);
    Status create_logical();
    static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                     VkDebugUtilsMessageTypeFlagsEXT types,
                                                     const VkDebugUtilsMessengerCallbackDataEXT *data,
                                                     void *self);

    VkFns fns_;
    void *loader_ = nullptr;
    bool owns_ = true;             // false with host handles
    VkInstance instance_ = VK_NULL_HANDLE;
    VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
    VkPhysicalDevice physical_ = VK_NULL_HANDLE;
    VkDevice device_ = VK_NULL_HANDLE;
    VkQueue queue_ = VK_NULL_HANDLE;
    uint32_t queue_family_ = 0;
    DeviceInfo info_;
    VkPhysicalDeviceProperties props_{};
    VkPhysicalDeviceMemoryProperties mem_props_{};
    const LogSink *log_ = nullptr;
    std::atomic<uint64_t> messages_{0};
    mutable std::mutex queue_mutex_;
};

} // namespace loom::vk
