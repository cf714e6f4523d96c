// The Vulkan backend's cost model (BackendCost, backends/backend.h): the
// device ranges create_weight and Session::alloc take from the allocator
// (vulkan/memory.h), without a device. The allocator rounds every range to
// its alignment, 256 bytes on every known device; weights are split into
// parts of at most the storage-buffer range (assumed 128 MiB, lavapipe's:
// a device with a larger range has fewer parts, each kWeightPad bytes less).
#include "vulkan/vulkan_backend.h"

#include "quant/quant.h"

#include <algorithm>

namespace loom {

namespace vk {

namespace {

constexpr uint64_t kAlign = 256;
constexpr uint64_t kAssumedRange = uint64_t(128) << 20;

uint64_t range_bytes(uint64_t size) { return (std::max<uint64_t>(size, 4) + kAlign - 1) / kAlign * kAlign; }

uint64_t tensor_row_bytes(loom_type type, int64_t cols) {
    size_t rb = 0;
    if (type == LOOM_TYPE_I32) return uint64_t(cols) * 4;
    return row_bytes(type, cols, &rb) ? uint64_t(rb) : 0;
}

class VulkanCost final : public BackendCost {
public:
    MemoryCost weight(loom_type type, int64_t cols, int64_t rows) const override {
        const uint64_t rb = tensor_row_bytes(type, cols);
        if (rb == 0 || rows <= 0) return {};
        const int64_t part_rows = std::max<int64_t>(1, int64_t((kAssumedRange - 256) / rb));
        MemoryCost c;
        for (int64_t r0 = 0; r0 < rows; r0 += part_rows)
            c.device += range_bytes(uint64_t(std::min(part_rows, rows - r0)) * rb + kWeightPad);
        c.host = heap_block_bytes(sizeof(VkTensor));
        return c;
    }

    MemoryCost tensor(loom_type type, int64_t cols, int64_t rows) const override {
        return MemoryCost{heap_block_bytes(sizeof(VkTensor)), range_bytes(tensor_row_bytes(type, cols) * uint64_t(rows) + 64), false};
    }

    // A session holds one 256-byte dummy range (VulkanSession::init).
    MemoryCost session(const SessionShape &) const override { return MemoryCost{0, range_bytes(256), false}; }
};

} // namespace

} // namespace vk

std::unique_ptr<BackendCost> vulkan_backend_cost() { return std::make_unique<vk::VulkanCost>(); }

} // namespace loom
