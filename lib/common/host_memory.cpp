#include "common/host_memory.h"

#include "platform/platform.h"

#include <algorithm>

namespace loom {

uint64_t host_memory_limit() {
    const uint64_t phys = platform::physical_memory_bytes(), lim = platform::process_memory_limit();
    if (!phys) return lim;
    return lim ? std::min(phys, lim) : phys;
}

} // namespace loom
