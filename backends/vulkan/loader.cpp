#include "vulkan/loader.h"

#include "platform/platform.h"

#include <cstdlib>

namespace loom::vk {

namespace {
#ifdef _WIN32
constexpr const char *kLoaderName = "vulkan-1.dll";
#else
constexpr const char *kLoaderName = "libvulkan.so.1";
#endif
} // namespace

Status open_loader(VkFns *fns, void **handle) {
    const char *name = std::getenv("LOOM_VULKAN_LOADER");
    if (!name || !name[0]) name = kLoaderName;
    std::string why;
    void *lib = platform::open_library(name, &why);
    if (!lib) return error(LOOM_ERR_UNSUPPORTED, "vulkan: cannot open the loader %s: %s", name, why.c_str());
    auto gipa = reinterpret_cast<PFN_vkGetInstanceProcAddr>(platform::library_symbol(lib, "vkGetInstanceProcAddr"));
    if (!gipa) {
        platform::close_library(lib);
        return error(LOOM_ERR_UNSUPPORTED, "vulkan: %s has no vkGetInstanceProcAddr", name);
    }
    fns->vkGetInstanceProcAddr = gipa;
#define LOOM_VK_LOAD(fn) fns->fn = reinterpret_cast<PFN_##fn>(gipa(VK_NULL_HANDLE, #fn));
    LOOM_VK_GLOBAL_FNS(LOOM_VK_LOAD)
#undef LOOM_VK_LOAD
    if (!fns->vkCreateInstance || !fns->vkEnumerateInstanceExtensionProperties) {
        platform::close_library(lib);
        return error(LOOM_ERR_UNSUPPORTED, "vulkan: %s lacks vkCreateInstance", name);
    }
    *handle = lib;
    return Status::ok();
}

void close_loader(void *handle) {
    platform::close_library(handle);
}

Status load_instance_fns(VkFns *fns, VkInstance instance) {
    PFN_vkGetInstanceProcAddr gipa = fns->vkGetInstanceProcAddr;
#define LOOM_VK_LOAD(fn)                                                                           \
    fns->fn = reinterpret_cast<PFN_##fn>(gipa(instance, #fn));                                     \
    if (!fns->fn) return error(LOOM_ERR_BACKEND, "vulkan: instance lacks %s", #fn);
    LOOM_VK_INSTANCE_FNS(LOOM_VK_LOAD)
#undef LOOM_VK_LOAD
#define LOOM_VK_LOAD_OPT(fn) fns->fn = reinterpret_cast<PFN_##fn>(gipa(instance, #fn));
    LOOM_VK_DEBUG_FNS(LOOM_VK_LOAD_OPT)
#undef LOOM_VK_LOAD_OPT
    return Status::ok();
}

Status load_device_fns(VkFns *fns, VkDevice device) {
    PFN_vkGetDeviceProcAddr gdpa = fns->vkGetDeviceProcAddr;
#define LOOM_VK_LOAD(fn)                                                                           \
    fns->fn = reinterpret_cast<PFN_##fn>(gdpa(device, #fn));                                       \
    if (!fns->fn) return error(LOOM_ERR_BACKEND, "vulkan: device lacks %s", #fn);
    LOOM_VK_DEVICE_FNS(LOOM_VK_LOAD)
#undef LOOM_VK_LOAD
    return Status::ok();
}

const char *result_name(VkResult r) {
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
    default: return "VkResult(other)";
    }
}

} // namespace loom::vk
