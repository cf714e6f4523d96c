// The Vulkan loader, opened at run time: a loom built with Vulkan runs on a
// machine without libvulkan and falls back to the CPU.
#pragma once

#include "common/status.h"
#include "vulkan/vk_api.h"

namespace loom::vk {

// Opens the loader (LOOM_VULKAN_LOADER overrides "libvulkan.so.1", on Windows
// "vulkan-1.dll") with platform::open_library and fills
// fns->vkGetInstanceProcAddr and the global entry points. *handle gets the
// library handle (close with close_loader). Errors: UNSUPPORTED (no loader).
Status open_loader(VkFns *fns, void **handle);
void close_loader(void *handle);

// Fills the instance-level (and optional debug-utils) entry points.
Status load_instance_fns(VkFns *fns, VkInstance instance);
// Fills the device-level entry points.
Status load_device_fns(VkFns *fns, VkDevice device);

const char *result_name(VkResult r);

} // namespace loom::vk

// Returns a BACKEND error naming the call and its VkResult when it fails.
#define LOOM_VK_CHECK(call)                                                                        \
    do {                                                                                           \
        VkResult loom_vk_r_ = (call);                                                              \
        if (loom_vk_r_ != VK_SUCCESS)                                                              \
            return ::loom::error(LOOM_ERR_BACKEND, "vulkan: %s failed: %s (%s:%d)", #call,          \
                                 ::loom::vk::result_name(loom_vk_r_), __FILE__, __LINE__);         \
    } while (0)
