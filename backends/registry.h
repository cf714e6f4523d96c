// Backend selection: which backend a model runs on, from the public
// loom_model_params fields (backend, device_index, vulkan) as lib/api has
// read them. The model loader calls create_backend() and never names a
// concrete backend; the C API functions live in lib/api (api_vulkan.cpp).
//
//   CPU     the CPU backend.
//   VULKAN  the Vulkan device `device_index` (-1: the preferred one, which
//           may be a CPU-type device such as lavapipe); errors if unusable.
//   AUTO    the preferred Vulkan GPU (discrete, integrated, virtual) when one
//           exists, else the CPU with an INFO log line saying why. A
//           software Vulkan device is slower than the CPU backend, so AUTO
//           never picks one unless device_index names it. A model that
//           needs the mixture-of-experts ops gets a backend whose
//           supports_experts() is true (CPU and Vulkan both are).
//
// Partial offload (n_gpu_layers, counted as llama.cpp does: the repeating
// layers from the last one back, then the output head as one more) applies
// where the choice is a Vulkan device: 0 takes the CPU backend instead, 1 ..
// n_layer a split backend (backends/split) with the last n_gpu_layers layers
// on the device and the rest, the token embeddings and the output head on
// the CPU; -1 or more than n_layer the whole model on the device.
//
// Owner: backends/vulkan (selection logic); the model loader calls it.
#pragma once

#include "backend.h"
#include "common/log.h"

#include <memory>
#include <string>
#include <vector>

namespace loom {

struct BackendRequest {
    int32_t kind = LOOM_BACKEND_AUTO;        // loom_backend_kind
    int32_t device_index = -1;
    // loom_vulkan_params, read and size-checked by lib/api:
    bool vulkan_validation = false;
    std::string pipeline_cache_path;         // "" = no persistent cache
    const loom_vulkan_host *vulkan_host = nullptr; // a full-size copy, or nullptr (valid during the call)
    int64_t vulkan_wait_timeout_us = 0;      // 0: the default
    int32_t vulkan_ops_per_submission = 0;   // 0: the default
    const LogSink *log = nullptr;            // must outlive the backend
    bool needs_experts = false;              // a mixture-of-experts model: AUTO picks a backend that runs it
    bool repack_weights = true;              // the CPU backend's (create_cpu_backend)
    bool copy_weights = false;               // the CPU backend's (create_cpu_backend)
    int32_t load_threads = 1;                // the CPU backend's (create_cpu_backend)
    int32_t n_gpu_layers = -1;               // loom_model_params.n_gpu_layers (checked >= -1 by lib/api)
    int32_t n_layer = 0;                     // the model's repeating layers
};

// The first layer a Vulkan choice puts on the device: 0 .. n_layer - 1 for a
// split, -1 for the whole model on the device, n_layer for none (the CPU).
int offload_split_layer(int32_t n_gpu_layers, int32_t n_layer);

// Errors: INVALID_ARGUMENT (unknown kind, bad vulkan params), and for
// VULKAN: UNSUPPORTED (built without Vulkan, no loader/driver), NOT_FOUND
// (device_index), BACKEND.
Status create_backend(const BackendRequest &req, std::unique_ptr<Backend> *out);

// The backend kind create_backend would pick (CPU or VULKAN) without
// creating it; AUTO lists the Vulkan devices. Errors: INVALID_ARGUMENT,
// UNSUPPORTED (VULKAN in a build without it).
Status resolve_backend_kind(const BackendRequest &req, int32_t *kind);

// A Vulkan device as the loader reports it (no Vulkan types).
struct VulkanDeviceSummary {
    int32_t index = 0;
    std::string name;
    int32_t type = 0;                        // VkPhysicalDeviceType
    uint32_t vendor_id = 0, device_id = 0, api_version = 0, subgroup_size = 0;
    uint64_t device_local_bytes = 0;
};

// Errors: UNSUPPORTED (built without Vulkan, no loader or driver), BACKEND.
Status list_vulkan_devices(std::vector<VulkanDeviceSummary> *out);

} // namespace loom
