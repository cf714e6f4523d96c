// The tiny model of the unit tests (tests/model/tiny_model) with weights of
// one type, loaded on the Vulkan backend (the tests that need no reference).
#pragma once

#include "loom.h"
#include "tiny_model.h"

#include <vector>

namespace vktest {

// *bytes holds the file and must outlive *out; `vulkan`: loom_model_params.vulkan.
inline loom_status load_tiny_model(loom_type weight_type, std::vector<uint8_t> *bytes, loom_model **out,
                                   const loom_vulkan_params *vulkan = nullptr) {
    tinymodel::Spec spec;
    spec.weight_type = weight_type;
    *bytes = tinymodel::build(spec);
    if (bytes->empty()) return LOOM_ERR_INTERNAL;
    loom_model_params mp;
    loom_model_default_params(&mp);
    mp.backend = LOOM_BACKEND_VULKAN;
    mp.vulkan = vulkan;
    return loom_model_load_from_memory(bytes->data(), bytes->size(), &mp, out);
}

} // namespace vktest
