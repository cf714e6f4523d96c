// Small helpers the Vulkan session's op files share (vulkan_session.cpp,
// vulkan_moe.cpp): tensor access, argument checks, dispatch sizes.
#pragma once

#include "vulkan/vulkan_backend.h"

#include <cstdint>

namespace loom::vk {

inline const VkTensor *vt(const Tensor *t) { return static_cast<const VkTensor *>(t); }

// The whole single-part range of a session tensor (or a one-part weight).
inline const BufferRange &range(const Tensor *t) { return vt(t)->parts.front().buf; }

// INVALID_ARGUMENT naming the op and what is wrong, unless ok.
inline Status need(bool ok, const char *op, const char *what) {
    if (ok) return Status::ok();
    return error(LOOM_ERR_INVALID_ARGUMENT, "vulkan %s: %s", op, what);
}

inline uint32_t div_up(uint64_t a, uint64_t b) { return uint32_t((a + b - 1) / b); }

// Workgroups per dispatch dimension every device supports.
constexpr uint32_t kMaxGroups = 65535;

} // namespace loom::vk
