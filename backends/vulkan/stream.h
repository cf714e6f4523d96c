// A stream of compute work: dispatches and copies recorded into one command
// buffer (one per graph), then submitted with a single fence. Descriptor sets
// come from pools that are reset when the stream is reused.
#pragma once

#include "vulkan/memory.h"
#include "vulkan/pipeline.h"

#include <vector>

namespace loom::vk {

class Stream {
public:
    explicit Stream(const Device &dev);
    ~Stream();
    Stream(const Stream &) = delete;
    Stream &operator=(const Stream &) = delete;

    Status init();
    // Starts recording (waits for the previous submission, recycles descriptor sets).
    Status begin();
    // Records one dispatch; `buffers` bind to bindings 0..n-1 (must match the
    // pipeline's count), `push` (<= kPushConstantBytes) to the push constants.
    // A barrier orders it after everything recorded before. Errors: INVALID_ARGUMENT, BACKEND.
    Status dispatch(const Pipeline &p, const std::vector<BufferRange> &buffers, const void *push, uint32_t push_bytes,
                    uint32_t groups_x, uint32_t groups_y = 1, uint32_t groups_z = 1);
    // Records a buffer copy of `bytes` (after a barrier).
    void copy(const BufferRange &src, VkDeviceSize src_offset, const BufferRange &dst, VkDeviceSize dst_offset,
              VkDeviceSize bytes);
    // Ends recording, submits and waits for completion.
    Status submit_and_wait();
    bool recording() const { return recording_; }
    uint32_t dispatch_count() const { return dispatches_; }

private:
    Status allocate_set(VkDescriptorSetLayout layout, VkDescriptorSet *out);
    void barrier();

    const Device &dev_;
    VkCommandPool pool_ = VK_NULL_HANDLE;
    VkCommandBuffer cmd_ = VK_NULL_HANDLE;
    VkFence fence_ = VK_NULL_HANDLE;
    std::vector<VkDescriptorPool> desc_pools_;
    size_t desc_pool_ = 0;         // the pool sets are taken from now
    bool recording_ = false;
    bool pending_ = false;         // submitted, fence not yet waited
    bool wrote_ = false;           // something recorded since the last barrier
    uint32_t dispatches_ = 0;
};

} // namespace loom::vk
