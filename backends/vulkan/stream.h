// A stream of compute work: dispatches and copies recorded into command
// buffers (one per graph, or one per segment when a stepped graph is cut at
// op boundaries), then submitted with a single fence: all at once, or one
// segment at a time. Descriptor sets come from pools that are reset when the
// stream is reused. Segments are ordered by the barriers recorded at the
// start of the next one (a barrier's scope covers earlier submissions to the
// queue), so cutting changes no result. Every fence wait is bounded
// (wait_timeout_us): a submission that does not finish in time fails the
// call with BACKEND and stays pending; the next begin() or wait() waits
// for it again before anything it may still touch is reused.
#pragma once

#include "vulkan/memory.h"
#include "vulkan/pipeline.h"

#include <vector>

namespace loom::vk {

// loom_vulkan_params defaults: the longest fence wait, and the ops of a
// whole graph recorded into one submission (the abort callback runs between them).
constexpr int64_t kDefaultWaitTimeoutUs = 60 * 1000 * 1000;
constexpr uint32_t kDefaultOpsPerSubmission = 64;

class Stream {
public:
    explicit Stream(const Device &dev, int64_t wait_timeout_us = kDefaultWaitTimeoutUs);
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
    // Ends the current segment and starts the next (nothing if it is empty).
    Status cut();
    // Ends recording without submitting: segments() command buffers to be
    // given to submit_segment(0), (1), ... in order.
    Status end_segments();
    size_t segments() const { return used_; }
    // Submits segment i (after end_segments) and waits for it.
    Status submit_segment(size_t i);
    // Drops what was recorded and not submitted (a cancelled graph).
    void abandon();
    // Waits for the last submission if it has not finished (a wait that
    // timed out before). Errors: BACKEND (timed out again, device lost).
    Status wait();
    bool pending() const { return pending_; }
    bool recording() const { return recording_; }
    uint32_t dispatch_count() const { return dispatches_; }

private:
    Status allocate_set(VkDescriptorSetLayout layout, VkDescriptorSet *out);
    void barrier();
    Status begin_buffer();
    Status end_recording();
    Status submit(const VkCommandBuffer *cmds, uint32_t n);

    const Device &dev_;
    uint64_t wait_timeout_ns_;
    VkCommandPool pool_ = VK_NULL_HANDLE;
    VkCommandBuffer cmd_ = VK_NULL_HANDLE;     // the one being recorded: cmds_[used_ - 1]
    std::vector<VkCommandBuffer> cmds_;        // segments, allocated as needed and kept
    size_t used_ = 0;                          // segments begun since begin()
    uint32_t segment_commands_ = 0;            // recorded into cmd_ since it began
    VkFence fence_ = VK_NULL_HANDLE;
    std::vector<VkDescriptorPool> desc_pools_;
    size_t desc_pool_ = 0;         // the pool sets are taken from now
    bool recording_ = false;
    bool pending_ = false;         // submitted, fence not yet waited
    bool wrote_ = false;           // something recorded since the last barrier
    uint32_t dispatches_ = 0;
};

} // namespace loom::vk
