// Device memory with suballocation: a few large VkDeviceMemory blocks, each
// bound to one VkBuffer, carved into ranges by a first-fit free list. Shaders
// see a range as (VkBuffer, offset, size) in a storage-buffer descriptor.
#pragma once

#include "vulkan/device.h"

#include <map>
#include <vector>

namespace loom::vk {

enum class MemKind {
    Device, // device-local: weights, activations, KV (host-mapped too on UMA devices)
    Host,   // host-visible and coherent: staging and read-back
};

struct BufferRange {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceSize offset = 0;
    VkDeviceSize size = 0;
    uint8_t *mapped = nullptr;     // host pointer to the range's first byte, null if not mappable
    int32_t block = -1;            // owning block (for free)
};

class Allocator {
public:
    explicit Allocator(const Device &dev, VkDeviceSize block_bytes = VkDeviceSize(64) << 20);
    ~Allocator();
    Allocator(const Allocator &) = delete;
    Allocator &operator=(const Allocator &) = delete;

    // A range of at least `size` bytes (aligned for storage-buffer offsets).
    // Errors: OUT_OF_MEMORY (no memory type or allocation failed), BACKEND.
    Status alloc(MemKind kind, VkDeviceSize size, BufferRange *out);
    // Returns a range to its block; a null range is ignored.
    void free(BufferRange *range) noexcept;

    // True when device-local memory is host-mapped (uploads skip staging).
    bool device_memory_mapped() const;
    VkDeviceSize bytes_in_use() const { return in_use_; }
    // Of those, the MemKind::Device ranges now and at most so far (the
    // memory plan's device bytes; staging is Host).
    VkDeviceSize device_bytes_in_use() const { return device_in_use_; }
    VkDeviceSize device_bytes_peak() const { return device_peak_; }

private:
    struct Block {
        MemKind kind;
        VkDeviceMemory memory = VK_NULL_HANDLE;
        VkBuffer buffer = VK_NULL_HANDLE;
        VkDeviceSize size = 0;
        uint8_t *mapped = nullptr;
        std::map<VkDeviceSize, VkDeviceSize> free_ranges; // offset -> size
    };
    Status new_block(MemKind kind, VkDeviceSize size);
    int memory_type(MemKind kind) const;

    const Device &dev_;
    VkDeviceSize block_bytes_;
    VkDeviceSize align_;
    VkDeviceSize in_use_ = 0;
    VkDeviceSize device_in_use_ = 0, device_peak_ = 0;
    std::vector<Block> blocks_;
};

} // namespace loom::vk
