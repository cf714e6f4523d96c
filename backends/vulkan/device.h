// A Vulkan device for compute: the instance (or the host application's),
// one physical device chosen by index or name, a logical device with one
// compute queue, and an optional validation messenger that counts messages.
// Models share one Device per physical device or host queue
// (device_registry.h); every submission to its queue goes through submit(),
// which holds the queue's lock (the host's callbacks, else a mutex).
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
    // VK_EXT_subgroup_size_control (subgroupSizeControl and
    // computeFullSubgroups, compute among its stages): a pipeline may
    // require a subgroup size in [min_subgroup_size, max_subgroup_size].
    bool subgroup_size_control = false;
    uint32_t min_subgroup_size = 0, max_subgroup_size = 0;
};

// Handles of a host application's own Vulkan objects (not owned by loom).
struct HostHandles {
    PFN_vkGetInstanceProcAddr get_instance_proc_addr = nullptr;
    VkInstance instance = VK_NULL_HANDLE;
    VkPhysicalDevice physical_device = VK_NULL_HANDLE;
    VkDevice device = VK_NULL_HANDLE;
    VkQueue queue = VK_NULL_HANDLE;
    uint32_t queue_family = 0;
    // Both or neither: taken around every vkQueueSubmit (loom_vulkan_host.queue_lock).
    void (*queue_lock)(void *user_data) = nullptr;
    void (*queue_unlock)(void *user_data) = nullptr;
    void *queue_lock_user_data = nullptr;
};

struct DeviceOptions {
    int device_index = -1;         // -1: by name if set, else the preferred device
    std::string device_name;       // substring of the device name (case-sensitive)
    bool validation = false;       // enable VK_LAYER_KHRONOS_validation with synchronization
                                   // validation (error if the layer is absent)
    const LogSink *log = nullptr;  // creation messages; attached (attach_log) for the device's life
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
    const HostHandles *host() const { return owns_ ? nullptr : &host_; }
    // The subgroup size every pipeline whose shader uses subgroup operations
    // is created with (full subgroups required): the device's reported
    // subgroup_size, which the session sizes such dispatches by, where loom
    // created the device with VK_EXT_subgroup_size_control enabled; 0 (the
    // driver picks) otherwise, a host application's device included.
    uint32_t required_subgroup_size() const { return required_subgroup_size_; }

    // vkQueueSubmit under the queue's lock: Vulkan requires the queue to be
    // externally synchronized, and every session of every model on this
    // device (and the host, through its callbacks) submits to it.
    VkResult submit(const VkSubmitInfo &info, VkFence fence) const;

    // Where validation messages are logged: every attached sink (the global
    // log when none; each attached sink once). A sink must stay valid until
    // detached; each attach_log needs its own detach_log.
    void attach_log(const LogSink *sink) const;
    void detach_log(const LogSink *sink) const;

    // Test hook: while set, every command buffer begun (Stream) first waits
    // for this event to be set from the host, so a test can hold a
    // submission on the device and make a fence wait time out.
    void set_test_gate(VkEvent event) const { test_gate_.store(event); }
    VkEvent test_gate() const { return test_gate_.load(); }

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
    HostHandles host_;             // with host handles: the host's, lock callbacks included
    uint32_t required_subgroup_size_ = 0;
    std::atomic<uint64_t> messages_{0};
    mutable std::mutex queue_mutex_;  // the queue's lock when the host gives none
    mutable std::mutex log_mutex_;
    mutable std::vector<const LogSink *> sinks_;
    mutable std::atomic<VkEvent> test_gate_{VK_NULL_HANDLE};
};

} // namespace loom::vk
