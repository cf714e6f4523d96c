// The Vulkan part of a model load's params, read for backends/registry.
#pragma once

#include "backends/registry.h"

namespace loom {

// Reads *in (NULL: defaults) into req's Vulkan fields; a caller's host struct
// is copied into *host, which req->vulkan_host then points at. Errors:
// INVALID_ARGUMENT (struct sizes, unknown fields). Defined in api_vulkan.cpp.
Status read_vulkan_params(const loom_vulkan_params *in, BackendRequest *req, loom_vulkan_host *host);

} // namespace loom
