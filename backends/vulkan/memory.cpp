#include "vulkan/memory.h"

#include "vulkan/loader.h"

#include <algorithm>

namespace loom::vk {

static VkDeviceSize round_up(VkDeviceSize v, VkDeviceSize a) { return (v + a - 1) / a * a; }

Allocator::Allocator(const Device &dev, VkDeviceSize block_bytes) : dev_(dev), block_bytes_(block_bytes) {
    // 256 covers minStorageBufferOffsetAlignment on every known device.
    align_ = std::max<VkDeviceSize>(256, dev.properties().limits.minStorageBufferOffsetAlignment);
}

Allocator::~Allocator() {
    const VkFns &f = dev_.fn();
    for (Block &b : blocks_) {
        f.vkDestroyBuffer(dev_.handle(), b.buffer, nullptr);
        f.vkFreeMemory(dev_.handle(), b.memory, nullptr); // unmaps implicitly
    }
}

int Allocator::memory_type(MemKind kind) const {
    const VkPhysicalDeviceMemoryProperties &mp = dev_.memory_properties();
    const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    int best = -1, best_score = -1;
    for (uint32_t i = 0; i < mp.memoryTypeCount; i++) {
        VkMemoryPropertyFlags fl = mp.memoryTypes[i].propertyFlags;
        int score = -1;
        if (kind == MemKind::Device && (fl & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT))
            score = ((fl & host) == host) ? 2 : 1; // mapped device memory saves the staging copy
        if (kind == MemKind::Host && (fl & host) == host)
            score = (fl & VK_MEMORY_PROPERTY_HOST_CACHED_BIT) ? 2 : 1; // cached: fast read-back
        if (score > best_score) best = int(i), best_score = score;
    }
    return best;
}

bool Allocator::device_memory_mapped() const {
    int t = memory_type(MemKind::Device);
    const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    return t >= 0 && (dev_.memory_properties().memoryTypes[t].propertyFlags & host) == host;
}

Status Allocator::new_block(MemKind kind, VkDeviceSize size) {
    const VkFns &f = dev_.fn();
    int type = memory_type(kind);
    if (type < 0) return error(LOOM_ERR_OUT_OF_MEMORY, "vulkan: no memory type for %s buffers", kind == MemKind::Host ? "host" : "device");
    Block b;
    b.kind = kind;
    b.size = size;
    VkBufferCreateInfo bi{};
    bi.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
    bi.size = size;
    bi.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
    bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    LOOM_VK_CHECK(f.vkCreateBuffer(dev_.handle(), &bi, nullptr, &b.buffer));
    VkMemoryRequirements req{};
    f.vkGetBufferMemoryRequirements(dev_.handle(), b.buffer, &req);
    if (!(req.memoryTypeBits & (1u << type))) {
        f.vkDestroyBuffer(dev_.handle(), b.buffer, nullptr);
        return error(LOOM_ERR_BACKEND, "vulkan: storage buffers cannot live in memory type %d", type);
    }
    VkMemoryAllocateInfo ai{};
    ai.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
    ai.allocationSize = req.size;
    ai.memoryTypeIndex = uint32_t(type);
    VkResult r = f.vkAllocateMemory(dev_.handle(), &ai, nullptr, &b.memory);
    if (r != VK_SUCCESS) {
        f.vkDestroyBuffer(dev_.handle(), b.buffer, nullptr);
        return error(LOOM_ERR_OUT_OF_MEMORY, "vulkan: allocating %llu bytes failed: %s", (unsigned long long)size, result_name(r));
    }
    LOOM_VK_CHECK(f.vkBindBufferMemory(dev_.handle(), b.buffer, b.memory, 0));
    const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    if ((dev_.memory_properties().memoryTypes[type].propertyFlags & host) == host) {
        void *p = nullptr;
        LOOM_VK_CHECK(f.vkMapMemory(dev_.handle(), b.memory, 0, VK_WHOLE_SIZE, 0, &p));
        b.mapped = static_cast<uint8_t *>(p);
    }
    b.free_ranges[0] = size;
    blocks_.push_back(std::move(b));
    return Status::ok();
}

Status Allocator::alloc(MemKind kind, VkDeviceSize size, BufferRange *out) {
    if (size == 0) size = 4;
    size = round_up(size, align_);
    VkDeviceSize limit = dev_.properties().limits.maxStorageBufferRange;
    if (size > limit)
        return error(LOOM_ERR_UNSUPPORTED, "vulkan: a %llu-byte buffer exceeds the device's storage-buffer range %llu",
                     (unsigned long long)size, (unsigned long long)limit);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < blocks_.size(); i++) {
            Block &b = blocks_[i];
            if (b.kind != kind) continue;
            for (auto it = b.free_ranges.begin(); it != b.free_ranges.end(); ++it) {
                if (it->second < size) continue;
                VkDeviceSize off = it->first, rest = it->second - size;
                b.free_ranges.erase(it);
                if (rest) b.free_ranges[off + size] = rest;
                *out = BufferRange{b.buffer, off, size, b.mapped ? b.mapped + off : nullptr, int32_t(i)};
                in_use_ += size;
                if (kind == MemKind::Device) {
                    device_in_use_ += size;
                    device_peak_ = std::max(device_peak_, device_in_use_);
                }
                return Status::ok();
            }
        }
        if (pass == 0) LOOM_TRY(new_block(kind, std::max(size, block_bytes_)));
    }
    return error(LOOM_ERR_INTERNAL, "vulkan: allocator found no room in a fresh block");
}

void Allocator::free(BufferRange *range) noexcept {
    if (!range || range->block < 0) return;
    Block &b = blocks_[size_t(range->block)];
    VkDeviceSize off = range->offset, size = range->size;
    in_use_ -= size;
    if (b.kind == MemKind::Device) device_in_use_ -= size;
    auto next = b.free_ranges.lower_bound(off);
    if (next != b.free_ranges.end() && next->first == off + size) { // merge with the following range
        size += next->second;
        next = b.free_ranges.erase(next);
    }
    if (next != b.free_ranges.begin()) { // merge with the preceding range
        auto prev = std::prev(next);
        if (prev->first + prev->second == off) {
            prev->second += size;
            *range = BufferRange{};
            return;
        }
    }
    try {
        b.free_ranges.emplace(off, size);
    } catch (...) {
        // No memory for the list node: the range stays unusable until the
        // block itself is freed with the allocator (free runs in destructors).
    }
    *range = BufferRange{};
}

} // namespace loom::vk
