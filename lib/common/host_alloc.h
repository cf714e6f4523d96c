// Host memory through the host's allocator (loom_set_allocator): every large
// block loom keeps on the heap (weights copies, KV cache, activations,
// scratch, logits, the vocabulary's tables) comes from here, so a game's
// memory tracker sees it. Without a hook the blocks come from the C heap
// exactly as before (malloc, calloc, the platform's aligned allocation), so
// the memory plan's heap_block_bytes still describes them.
//
// The hook is process-wide and changes only while no block from here is
// live (set_host_allocator refuses otherwise), so a block is always freed
// through the allocator that gave it. Small bookkeeping (std::string,
// std::map, the graph's lists) still uses operator new: a library cannot
// replace it for its own code alone.
//
// Owner: lib/common.
#pragma once

#include "common/status.h"
#include "loom.h"

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace loom {

// Installs `a` (nullptr: the C heap again). Errors: INVALID_ARGUMENT (a
// missing function, bad struct_size, blocks still live: the count is named).
Status set_host_allocator(const loom_allocator *a);

// Blocks from the current allocator that are not yet freed (all of loom's
// handles' large buffers; 0 when no handle exists).
int64_t host_blocks_live();

// `size` bytes (> 0) aligned to `align` (a power of two, at most 4096);
// nullptr when the allocator says no. Free with host_free(p, size, align).
void *host_alloc(size_t size, size_t align) noexcept;
void host_free(void *p, size_t size, size_t align) noexcept;

// An owned block: `size` bytes at data(), aligned to `align`, zeroed when
// asked. Without a hook a zeroed block is calloc'd (fresh pages the OS maps
// only when touched: a long context's KV cache takes memory as it fills);
// with one it is allocated and zeroed here.
class HostBlock {
public:
    HostBlock() = default;
    HostBlock(HostBlock &&o) noexcept { *this = static_cast<HostBlock &&>(o); }
    HostBlock &operator=(HostBlock &&o) noexcept;
    HostBlock(const HostBlock &) = delete;
    HostBlock &operator=(const HostBlock &) = delete;
    ~HostBlock() { reset(); }

    // False (and an empty block) when the allocator says no.
    bool allocate(size_t size, size_t align, bool zeroed) noexcept;
    // A block for data every decode streams (weight copies), 64-byte aligned,
    // not zeroed: from the hook when one is installed (exactly as allocate),
    // else whole pages from the OS (platform::alloc_pages: transparent huge
    // pages on Linux where the block spans them).
    bool allocate_streamed(size_t size) noexcept;
    void reset() noexcept;
    uint8_t *data() const { return data_; }
    size_t size() const { return size_; }

    // What the C heap is asked for without a hook (the memory plan counts it):
    // a zeroed block over 16-byte alignment is calloc'd `align` bytes larger.
    static size_t heap_request(size_t size, size_t align, bool zeroed) {
        return zeroed && align > 16 ? size + align : size;
    }

private:
    enum class From : uint8_t { None, Hook, Heap, Calloc, Pages };
    void *base_ = nullptr;
    uint8_t *data_ = nullptr;
    size_t size_ = 0, align_ = 0;
    From from_ = From::None;
};

// A std allocator over host_alloc: the big std::vectors of the handles.
// Throws std::bad_alloc when the allocator says no (as operator new would).
template <typename T>
struct HostAllocator {
    using value_type = T;
    HostAllocator() noexcept = default;
    template <typename U>
    HostAllocator(const HostAllocator<U> &) noexcept {}
    static constexpr size_t kAlign = alignof(T) < 16 ? 16 : alignof(T);
    T *allocate(size_t n) {
        if (n > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
        void *p = host_alloc(n * sizeof(T), kAlign);
        if (!p) throw std::bad_alloc();
        return static_cast<T *>(p);
    }
    void deallocate(T *p, size_t n) noexcept { host_free(p, n * sizeof(T), kAlign); }
    template <typename U>
    bool operator==(const HostAllocator<U> &) const noexcept { return true; }
    template <typename U>
    bool operator!=(const HostAllocator<U> &) const noexcept { return false; }
};

template <typename T>
using HostVector = std::vector<T, HostAllocator<T>>;

} // namespace loom
