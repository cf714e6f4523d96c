// C API: Vulkan backend options and device listing (SECTION vulkan of
// include/loom.h). Device discovery itself is in backends/registry.
#include "api/guard.h"
#include "api/params.h"
#include "api/vulkan_params.h"

#include <cstring>

namespace loom {

namespace {

// Writes the caller's o->struct_size bytes of one entry (checked by the caller).
void copy_info(const VulkanDeviceSummary &d, loom_vulkan_device_info *o) {
    size_t want = o->struct_size;
    loom_vulkan_device_info full{};
    full.struct_size = want;
    full.index = d.index;
    full.type = d.type;
    full.vendor_id = d.vendor_id;
    full.device_id = d.device_id;
    full.api_version = d.api_version;
    full.subgroup_size = d.subgroup_size;
    full.device_local_bytes = d.device_local_bytes;
    std::strncpy(full.name, d.name.c_str(), sizeof full.name - 1);
    std::memcpy(static_cast<void *>(o), &full, want < sizeof full ? want : sizeof full);
}

} // namespace

Status read_vulkan_params(const loom_vulkan_params *in, BackendRequest *req, loom_vulkan_host *host) {
    loom_vulkan_params vp;
    loom_vulkan_default_params(&vp);
    LOOM_TRY(read_params(in, &vp, "vulkan params"));
    if (vp.wait_timeout_us < 0)
        return error(LOOM_ERR_INVALID_ARGUMENT, "vulkan params: wait_timeout_us = %lld is negative (0: the default)",
                     (long long)vp.wait_timeout_us);
    if (vp.ops_per_submission < 0)
        return error(LOOM_ERR_INVALID_ARGUMENT, "vulkan params: ops_per_submission = %d is negative (0: the default)",
                     vp.ops_per_submission);
    req->vulkan_validation = vp.validation != 0;
    req->vulkan_wait_timeout_us = vp.wait_timeout_us;
    req->vulkan_ops_per_submission = vp.ops_per_submission;
    if (vp.pipeline_cache_path) req->pipeline_cache_path = vp.pipeline_cache_path;
    if (vp.host) {
        *host = loom_vulkan_host{};
        host->struct_size = sizeof *host;
        LOOM_TRY(read_params(vp.host, host, "vulkan host"));
        req->vulkan_host = host;
    }
    return Status::ok();
}

} // namespace loom

extern "C" LOOM_API loom_status loom_vulkan_default_params_sized(loom_vulkan_params *params, size_t size) {
    return loom::api_call([&] { return loom::write_default_params(params, size, loom_vulkan_params{}, "vulkan params"); });
}

extern "C" LOOM_API loom_status loom_vulkan_devices(loom_vulkan_device_info *out, size_t capacity, size_t *count) {
    return loom::api_call([&] {
        LOOM_CHECK_ARG(count != nullptr, "count is NULL");
        LOOM_CHECK_ARG(out != nullptr || capacity == 0, "out is NULL but capacity > 0");
        // Entries are strided by the caller's struct size, which every entry repeats.
        size_t stride = capacity ? out[0].struct_size : 0;
        if (capacity) LOOM_TRY(loom::check_params_size(stride, "out[0]"));
        if (stride % alignof(loom_vulkan_device_info) != 0)
            return loom::error(LOOM_ERR_INVALID_ARGUMENT, "out[0].struct_size = %zu is not a multiple of %zu", stride,
                               alignof(loom_vulkan_device_info));
        auto entry = [&](size_t i) {
            return reinterpret_cast<loom_vulkan_device_info *>(reinterpret_cast<char *>(out) + i * stride);
        };
        for (size_t i = 1; i < capacity; i++)
            if (entry(i)->struct_size != stride)
                return loom::error(LOOM_ERR_INVALID_ARGUMENT,
                                   "out[%zu].struct_size = %zu differs from out[0].struct_size = %zu; set it in every entry",
                                   i, entry(i)->struct_size, stride);
        std::vector<loom::VulkanDeviceSummary> devs;
        LOOM_TRY(loom::list_vulkan_devices(&devs));
        *count = devs.size();
        for (size_t i = 0; i < devs.size() && i < capacity; i++) loom::copy_info(devs[i], entry(i));
        if (devs.size() > capacity)
            return loom::error(LOOM_ERR_BUFFER_TOO_SMALL, "%zu Vulkan devices, room for %zu", devs.size(), capacity);
        return loom::Status::ok();
    });
}
