#include "vulkan/stream.h"

#include "vulkan/loader.h"

namespace loom::vk {

static const uint32_t kSetsPerPool = 512, kBuffersPerSet = 8;

static uint64_t timeout_ns(int64_t us) {
    if (us <= 0) us = kDefaultWaitTimeoutUs;
    return uint64_t(us) > UINT64_MAX / 1000 ? UINT64_MAX - 1 : uint64_t(us) * 1000;
}

Stream::Stream(const Device &dev, int64_t wait_timeout_us) : dev_(dev), wait_timeout_ns_(timeout_ns(wait_timeout_us)) {}

Stream::~Stream() {
    const VkFns &f = dev_.fn();
    VkDevice d = dev_.handle();
    // Objects the device may still use are leaked rather than destroyed
    // under it (a submission that never finished: a hung or lost device).
    if (pending_ && !wait()) return;
    for (VkDescriptorPool p : desc_pools_) f.vkDestroyDescriptorPool(d, p, nullptr);
    if (fence_) f.vkDestroyFence(d, fence_, nullptr);
    if (pool_) f.vkDestroyCommandPool(d, pool_, nullptr); // frees cmd_
}

Status Stream::init() {
    const VkFns &f = dev_.fn();
    VkCommandPoolCreateInfo pi{};
    pi.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
    pi.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pi.queueFamilyIndex = dev_.queue_family();
    LOOM_VK_CHECK(f.vkCreateCommandPool(dev_.handle(), &pi, nullptr, &pool_));
    VkFenceCreateInfo fi{};
    fi.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
    LOOM_VK_CHECK(f.vkCreateFence(dev_.handle(), &fi, nullptr, &fence_));
    return Status::ok();
}

Status Stream::begin() {
    const VkFns &f = dev_.fn();
    LOOM_TRY(wait());
    for (VkDescriptorPool p : desc_pools_) LOOM_VK_CHECK(f.vkResetDescriptorPool(dev_.handle(), p, 0));
    desc_pool_ = 0;
    used_ = 0;
    LOOM_TRY(begin_buffer());
    recording_ = true;
    wrote_ = false;
    dispatches_ = 0;
    return Status::ok();
}

// Starts recording the next segment's command buffer (allocated the first time).
Status Stream::begin_buffer() {
    const VkFns &f = dev_.fn();
    if (used_ == cmds_.size()) {
        VkCommandBufferAllocateInfo ai{};
        ai.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
        ai.commandPool = pool_;
        ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
        ai.commandBufferCount = 1;
        VkCommandBuffer c = VK_NULL_HANDLE;
        LOOM_VK_CHECK(f.vkAllocateCommandBuffers(dev_.handle(), &ai, &c));
        cmds_.push_back(c);
    }
    cmd_ = cmds_[used_++];
    LOOM_VK_CHECK(f.vkResetCommandBuffer(cmd_, 0));
    VkCommandBufferBeginInfo bi{};
    bi.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    LOOM_VK_CHECK(f.vkBeginCommandBuffer(cmd_, &bi));
    segment_commands_ = 0;
    if (VkEvent gate = dev_.test_gate()) // Device::set_test_gate: held until the host sets it
        f.vkCmdWaitEvents(cmd_, 1, &gate, VK_PIPELINE_STAGE_HOST_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, nullptr,
                          0, nullptr, 0, nullptr);
    return Status::ok();
}

Status Stream::cut() {
    if (!recording_) return error(LOOM_ERR_INTERNAL, "vulkan: cut outside begin()/submit");
    if (segment_commands_ == 0) return Status::ok();
    LOOM_VK_CHECK(dev_.fn().vkEndCommandBuffer(cmd_));
    return begin_buffer();
}

Status Stream::allocate_set(VkDescriptorSetLayout layout, VkDescriptorSet *out) {
    const VkFns &f = dev_.fn();
    for (;; desc_pool_++) {
        if (desc_pool_ == desc_pools_.size()) {
            VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kSetsPerPool * kBuffersPerSet};
            VkDescriptorPoolCreateInfo ci{};
            ci.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
            ci.maxSets = kSetsPerPool;
            ci.poolSizeCount = 1;
            ci.pPoolSizes = &size;
            VkDescriptorPool pool = VK_NULL_HANDLE;
            LOOM_VK_CHECK(f.vkCreateDescriptorPool(dev_.handle(), &ci, nullptr, &pool));
            desc_pools_.push_back(pool);
        }
        VkDescriptorSetAllocateInfo ai{};
        ai.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
        ai.descriptorPool = desc_pools_[desc_pool_];
        ai.descriptorSetCount = 1;
        ai.pSetLayouts = &layout;
        VkResult r = f.vkAllocateDescriptorSets(dev_.handle(), &ai, out);
        if (r == VK_SUCCESS) return Status::ok();
        if (r != VK_ERROR_OUT_OF_POOL_MEMORY && r != VK_ERROR_FRAGMENTED_POOL)
            return error(LOOM_ERR_BACKEND, "vulkan: vkAllocateDescriptorSets failed: %s", result_name(r));
    }
}

void Stream::barrier() {
    if (!wrote_) return;
    VkMemoryBarrier mb{};
    mb.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
    mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                       VK_ACCESS_TRANSFER_WRITE_BIT;
    VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    dev_.fn().vkCmdPipelineBarrier(cmd_, stages, stages, 0, 1, &mb, 0, nullptr, 0, nullptr);
    wrote_ = false;
}

Status Stream::dispatch(const Pipeline &p, const std::vector<BufferRange> &buffers, const void *push,
                        uint32_t push_bytes, uint32_t gx, uint32_t gy, uint32_t gz) {
    if (!recording_) return error(LOOM_ERR_INTERNAL, "vulkan: dispatch outside begin()/submit");
    if (buffers.size() != p.n_buffers || push_bytes > kPushConstantBytes || buffers.size() > kBuffersPerSet)
        return error(LOOM_ERR_INVALID_ARGUMENT, "vulkan: dispatch with %zu buffers for a %u-buffer pipeline",
                     buffers.size(), p.n_buffers);
    const VkFns &f = dev_.fn();
    VkDescriptorSet set = VK_NULL_HANDLE;
    LOOM_TRY(allocate_set(p.set_layout, &set));
    VkDescriptorBufferInfo infos[kBuffersPerSet];
    VkWriteDescriptorSet writes[kBuffersPerSet];
    for (size_t i = 0; i < buffers.size(); i++) {
        infos[i] = {buffers[i].buffer, buffers[i].offset, buffers[i].size};
        writes[i] = {};
        writes[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
        writes[i].dstSet = set;
        writes[i].dstBinding = uint32_t(i);
        writes[i].descriptorCount = 1;
        writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        writes[i].pBufferInfo = &infos[i];
    }
    f.vkUpdateDescriptorSets(dev_.handle(), uint32_t(buffers.size()), writes, 0, nullptr);
    barrier();
    f.vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline);
    const VkDescriptorSet sets[2] = {set, p.iq_grids};
    f.vkCmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, p.layout, 0, p.iq_grids ? 2 : 1, sets, 0, nullptr);
    if (push_bytes) f.vkCmdPushConstants(cmd_, p.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_bytes, push);
    f.vkCmdDispatch(cmd_, gx, gy, gz);
    wrote_ = true;
    segment_commands_++;
    dispatches_++;
    return Status::ok();
}

void Stream::copy(const BufferRange &src, VkDeviceSize src_offset, const BufferRange &dst, VkDeviceSize dst_offset,
                  VkDeviceSize bytes) {
    barrier();
    VkBufferCopy region{src.offset + src_offset, dst.offset + dst_offset, bytes};
    dev_.fn().vkCmdCopyBuffer(cmd_, src.buffer, dst.buffer, 1, &region);
    wrote_ = true;
    segment_commands_++;
}

// Ends the last segment, with a barrier making shader writes visible to the
// host (mapped read-back).
Status Stream::end_recording() {
    const VkFns &f = dev_.fn();
    if (wrote_) {
        VkMemoryBarrier mb{};
        mb.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
        mb.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
        mb.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
        f.vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                               VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, nullptr, 0, nullptr);
        wrote_ = false;
    }
    recording_ = false;
    LOOM_VK_CHECK(f.vkEndCommandBuffer(cmd_));
    return Status::ok();
}

Status Stream::submit(const VkCommandBuffer *cmds, uint32_t n) {
    const VkFns &f = dev_.fn();
    LOOM_VK_CHECK(f.vkResetFences(dev_.handle(), 1, &fence_));
    VkSubmitInfo si{};
    si.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
    si.commandBufferCount = n;
    si.pCommandBuffers = cmds;
    VkResult r = dev_.submit(si, fence_);
    if (r != VK_SUCCESS) return error(LOOM_ERR_BACKEND, "vulkan: vkQueueSubmit failed: %s", result_name(r));
    pending_ = true;
    return wait();
}

Status Stream::wait() {
    if (!pending_) return Status::ok();
    VkResult r = dev_.fn().vkWaitForFences(dev_.handle(), 1, &fence_, VK_TRUE, wait_timeout_ns_);
    if (r == VK_TIMEOUT)
        return error(LOOM_ERR_BACKEND,
                     "vulkan: a submission did not finish within %llu us (loom_vulkan_params.wait_timeout_us); "
                     "the device may be hung or overloaded",
                     (unsigned long long)(wait_timeout_ns_ / 1000));
    if (r != VK_SUCCESS) return error(LOOM_ERR_BACKEND, "vulkan: vkWaitForFences failed: %s", result_name(r));
    pending_ = false;
    return Status::ok();
}

Status Stream::submit_and_wait() {
    if (!recording_) return error(LOOM_ERR_INTERNAL, "vulkan: submit without begin()");
    LOOM_TRY(end_recording());
    return submit(cmds_.data(), uint32_t(used_));
}

Status Stream::end_segments() {
    if (!recording_) return error(LOOM_ERR_INTERNAL, "vulkan: end_segments without begin()");
    return end_recording();
}

Status Stream::submit_segment(size_t i) {
    if (recording_ || i >= used_) return error(LOOM_ERR_INTERNAL, "vulkan: segment %zu of %zu submitted out of order", i, used_);
    return submit(&cmds_[i], 1);
}

void Stream::abandon() {
    if (recording_) dev_.fn().vkEndCommandBuffer(cmd_);   // reset at the next begin()
    recording_ = false;
    wrote_ = false;
}

} // namespace loom::vk
