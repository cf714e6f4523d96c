// The params structs' layouts, pinned, and the entry points of loom 0.1.0.
//
// loom 0.1.0 exported loom_X_default_params(p) functions that wrote the
// library's own sizeof. Programs built against 0.1.0 still call them: they
// stay exported (not declared in loom.h, where the names are now macros over
// the _sized functions) and fill exactly the 0.1.0 sizes below, which were
// those programs' sizeof. Fields appended later never reach their memory.
#include "api/guard.h"

#include <cstddef>

#undef loom_gguf_default_params
#undef loom_model_default_params
#undef loom_context_default_params
#undef loom_vulkan_default_params

namespace {

// sizeof of each struct in loom 0.1.0 (LP64 and LLP64).
constexpr size_t kGgufParams010 = 32, kModelParams010 = 64, kContextParams010 = 56, kVulkanParams010 = 32;

// Layouts on 64-bit targets: a change here is an ABI break (append fields
// instead), and sizeof must equal the end of the last field (no tail padding,
// so each version of a struct has its own size).
#if UINTPTR_MAX == UINT64_MAX
static_assert(offsetof(loom_gguf_params, progress) == 16 && sizeof(loom_gguf_params) == 32, "loom_gguf_params layout");
static_assert(offsetof(loom_gguf_kv_info, array_count) == 24 && sizeof(loom_gguf_kv_info) == 32, "loom_gguf_kv_info layout");
static_assert(offsetof(loom_gguf_tensor_info, data) == 72 && sizeof(loom_gguf_tensor_info) == 80,
              "loom_gguf_tensor_info layout");
static_assert(offsetof(loom_model_params, vulkan) == 56 && offsetof(loom_model_params, memory_budget) == 64 &&
                  offsetof(loom_model_params, n_gpu_layers) == 72 && offsetof(loom_model_params, reserved1) == 76 &&
                  offsetof(loom_model_params, weights_in_place) == 80 &&
                  offsetof(loom_model_params, n_threads) == 88 && sizeof(loom_model_params) == 96,
              "loom_model_params layout");
static_assert(offsetof(loom_context_params, matmul_precision) == 48 && offsetof(loom_context_params, reserved0) == 52 &&
                  offsetof(loom_context_params, pooling_type) == 56 &&
                  offsetof(loom_context_params, embd_normalize) == 60 &&
                  offsetof(loom_context_params, memory_budget) == 64 &&
                  offsetof(loom_context_params, parallel_for_user_data) == 80 && sizeof(loom_context_params) == 88,
              "loom_context_params layout");
static_assert(offsetof(loom_memory_plan, weights_mapped) == 16 && offsetof(loom_memory_plan, total) == 96 &&
                  sizeof(loom_memory_plan) == 104,
              "loom_memory_plan layout");
static_assert(offsetof(loom_vulkan_device_info, name) == 40 && sizeof(loom_vulkan_device_info) == 296,
              "loom_vulkan_device_info layout");
static_assert(offsetof(loom_vulkan_host, reserved0) == 52 && offsetof(loom_vulkan_host, queue_lock) == 56 &&
                  offsetof(loom_vulkan_host, queue_lock_user_data) == 72 && sizeof(loom_vulkan_host) == 80,
              "loom_vulkan_host layout");
static_assert(offsetof(loom_vulkan_params, reserved0) == 28 && offsetof(loom_vulkan_params, wait_timeout_us) == 32 &&
                  offsetof(loom_vulkan_params, reserved1) == 44 && sizeof(loom_vulkan_params) == 48,
              "loom_vulkan_params layout");
static_assert(offsetof(loom_model_quantize_params, progress_user_data) == 40 &&
                  offsetof(loom_model_quantize_params, imatrix_path) == 48 && sizeof(loom_model_quantize_params) == 56,
              "loom_model_quantize_params layout");
static_assert(offsetof(loom_speculative_params, draft_p_min) == 20 && offsetof(loom_speculative_params, seed) == 24 &&
                  sizeof(loom_speculative_params) == 32,
              "loom_speculative_params layout");
static_assert(sizeof(loom_gguf_params) >= kGgufParams010 && sizeof(loom_model_params) >= kModelParams010 &&
                  sizeof(loom_context_params) >= kContextParams010 && sizeof(loom_vulkan_params) >= kVulkanParams010,
              "structs only grow");
#endif

} // namespace

extern "C" {

// Declared here only: loom.h spells these names as macros.
LOOM_API void loom_gguf_default_params(loom_gguf_params *params);
LOOM_API void loom_model_default_params(loom_model_params *params);
LOOM_API void loom_context_default_params(loom_context_params *params);
LOOM_API void loom_vulkan_default_params(loom_vulkan_params *params);

LOOM_API void loom_gguf_default_params(loom_gguf_params *params) {
    if (params) loom_gguf_default_params_sized(params, kGgufParams010);
}
LOOM_API void loom_model_default_params(loom_model_params *params) {
    if (params) loom_model_default_params_sized(params, kModelParams010);
}
LOOM_API void loom_context_default_params(loom_context_params *params) {
    if (params) loom_context_default_params_sized(params, kContextParams010);
}
LOOM_API void loom_vulkan_default_params(loom_vulkan_params *params) {
    if (params) loom_vulkan_default_params_sized(params, kVulkanParams010);
}

} // extern "C"
