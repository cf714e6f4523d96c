// What memory the machine can give this process: the physical RAM, lowered by
// a container's cgroup limit and the address-space rlimit when those are
// smaller. Contexts compare what they need with it before allocating, so an
// oversized request fails with OUT_OF_MEMORY instead of the OOM killer.
//
// Owner: lib/common.
#pragma once

#include <cstdint>

namespace loom {

// Bytes; 0 when nothing can be measured (then no limit is applied).
uint64_t host_memory_limit();

// a * b, saturating at UINT64_MAX (sizes from untrusted counts).
inline uint64_t mul_sat(uint64_t a, uint64_t b) {
    return (a != 0 && b > UINT64_MAX / a) ? UINT64_MAX : a * b;
}
inline uint64_t add_sat(uint64_t a, uint64_t b) { return b > UINT64_MAX - a ? UINT64_MAX : a + b; }

} // namespace loom
