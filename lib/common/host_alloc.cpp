#include "common/host_alloc.h"

#include "platform/platform.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace loom {

namespace {

struct Hook {
    decltype(loom_allocator::alloc) alloc = nullptr;
    decltype(loom_allocator::free) free = nullptr;
    void *user_data = nullptr;
};

// Written only by set_host_allocator while no block is live and (as the
// header requires) no other loom call runs; `installed` publishes it.
Hook g_hook;
std::atomic<bool> g_installed{false};
std::atomic<int64_t> g_live{0};

const Hook *hook() { return g_installed.load(std::memory_order_acquire) ? &g_hook : nullptr; }

size_t round_up(size_t n, size_t align) { return (n + align - 1) / align * align; }

} // namespace

Status set_host_allocator(const loom_allocator *a) {
    if (a) {
        const size_t need = offsetof(loom_allocator, user_data) + sizeof(void *);
        if (a->struct_size < need || a->struct_size > 64 * 1024)
            return error(LOOM_ERR_INVALID_ARGUMENT,
                         "allocator->struct_size = %zu is not sizeof(loom_allocator) (%zu or more)", a->struct_size,
                         need);
        if (!a->alloc || !a->free)
            return error(LOOM_ERR_INVALID_ARGUMENT, "allocator->%s is NULL (both alloc and free are needed)",
                         a->alloc ? "free" : "alloc");
    }
    const int64_t live = g_live.load();
    if (live != 0)
        return error(LOOM_ERR_INVALID_ARGUMENT,
                     "cannot change the allocator: %lld blocks from the current one are still allocated (free every "
                     "loom handle first)",
                     (long long)live);
    g_installed.store(false, std::memory_order_release);
    if (!a) return Status::ok();
    g_hook = Hook{a->alloc, a->free, a->user_data};
    g_installed.store(true, std::memory_order_release);
    return Status::ok();
}

int64_t host_blocks_live() { return g_live.load(); }

void *host_alloc(size_t size, size_t align) noexcept {
    void *p = nullptr;
    if (const Hook *h = hook()) p = h->alloc(h->user_data, size, align);
    else if (align <= 16) p = std::malloc(size);
    else if (size <= SIZE_MAX - align) p = platform::aligned_malloc(align, round_up(size, align));
    if (p) g_live.fetch_add(1, std::memory_order_relaxed);
    return p;
}

void host_free(void *p, size_t size, size_t align) noexcept {
    if (!p) return;
    g_live.fetch_sub(1, std::memory_order_relaxed);
    if (const Hook *h = hook()) h->free(h->user_data, p, size, align);
    else if (align <= 16) std::free(p);
    else platform::aligned_free(p);
}

HostBlock &HostBlock::operator=(HostBlock &&o) noexcept {
    if (this == &o) return *this;
    reset();
    base_ = o.base_;
    data_ = o.data_;
    size_ = o.size_;
    align_ = o.align_;
    from_ = o.from_;
    o.base_ = nullptr;
    o.data_ = nullptr;
    o.size_ = o.align_ = 0;
    o.from_ = From::None;
    return *this;
}

bool HostBlock::allocate(size_t size, size_t align, bool zeroed) noexcept {
    reset();
    if (size == 0 || size > SIZE_MAX - 2 * align) return false;
    if (hook() || !zeroed) {
        base_ = host_alloc(size, align);
        if (!base_) return false;
        from_ = hook() ? From::Hook : From::Heap;
        data_ = static_cast<uint8_t *>(base_);
        if (zeroed) std::memset(base_, 0, size);
    } else {
        // calloc for its lazily mapped zero pages, aligned inside a larger block.
        base_ = std::calloc(1, heap_request(size, align, true));
        if (!base_) return false;
        g_live.fetch_add(1, std::memory_order_relaxed);
        from_ = From::Calloc;
        const uintptr_t at = reinterpret_cast<uintptr_t>(base_);
        data_ = static_cast<uint8_t *>(base_) + (align > 16 ? (align - at % align) % align : 0);
    }
    size_ = size;
    align_ = align;
    return true;
}

bool HostBlock::allocate_streamed(size_t size) noexcept {
    if (hook()) return allocate(size, 64, false);
    reset();
    if (size == 0) return false;
    base_ = platform::alloc_pages(size);
    if (!base_) return false;
    g_live.fetch_add(1, std::memory_order_relaxed);
    from_ = From::Pages;
    data_ = static_cast<uint8_t *>(base_);
    size_ = size;
    align_ = 64;
    return true;
}

void HostBlock::reset() noexcept {
    if (from_ == From::Calloc) {
        g_live.fetch_sub(1, std::memory_order_relaxed);
        std::free(base_);
    } else if (from_ == From::Pages) {
        g_live.fetch_sub(1, std::memory_order_relaxed);
        platform::free_pages(base_, size_);
    } else if (from_ != From::None) {
        host_free(base_, size_, align_);
    }
    base_ = nullptr;
    data_ = nullptr;
    size_ = align_ = 0;
    from_ = From::None;
}

} // namespace loom
