// The Vulkan backend: backends/backend.h over a vk::Device. Weights are
// uploaded (staged when device memory is not host-mapped) and split into
// parts that fit the device's storage-buffer range; sessions record one
// command buffer per graph and submit it with one fence.
#pragma once

#include "backend.h"
#include "vulkan/device.h"
#include "vulkan/memory.h"
#include "vulkan/pipeline.h"
#include "vulkan/stream.h"

#include <memory>
#include <string>
#include <vector>

namespace loom {

// Which matmul shaders run: GPU-style (mul_mat_vec for a few rows, the tiled
// mul_mm beyond) or one invocation per weight row (mul_mat_rows, no barriers).
enum class VkMatmulKernels { Auto, Gpu, PerRow };

struct VulkanBackendOptions {
    vk::DeviceOptions device;
    std::string pipeline_cache_path;   // "" = no persistent cache
    VkMatmulKernels matmul = VkMatmulKernels::Auto; // Auto: PerRow on CPU-type devices (lavapipe), else Gpu
    bool subgroups = true;             // false: no subgroup-reduction shaders even where supported
    uint64_t max_buffer_bytes = 0;     // cap on one weight part (0: the device's storage-buffer range); tests
    int64_t wait_timeout_us = vk::kDefaultWaitTimeoutUs;   // longest fence wait (loom_vulkan_params)
    uint32_t ops_per_submission = vk::kDefaultOpsPerSubmission; // ops per submission of a whole graph
};

// Errors: UNSUPPORTED (no loader, no device), NOT_FOUND (device index/name), BACKEND.
Status create_vulkan_backend(const VulkanBackendOptions &opts, std::unique_ptr<Backend> *out);

// The device behind a Vulkan backend (nullptr for any other backend): tests
// read its validation-message count.
const vk::Device *vulkan_backend_device(const Backend *backend);

namespace vk {

// A Vulkan tensor: one or more row ranges, each in its own buffer range.
struct VkTensor : Tensor {
    struct Part {
        BufferRange buf;
        int64_t row0 = 0, rows = 0;
    };
    std::vector<Part> parts;
};

// Workgroup size used by the simple element-wise and row ops.
constexpr uint32_t kWorkgroup = 64;
// Bytes bound past the end of every weight part: ld_u32 may touch the word
// after a block and mul_mat_rows reads a unit's 16-byte-aligned span (up to
// one unit plus 64 bytes past a row's end).
constexpr size_t kWeightPad = 512;

} // namespace vk
} // namespace loom
