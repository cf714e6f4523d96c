// Backend selection: which backend a model runs on, from the public
// loom_model_params fields (backend, device_index, vulkan). The model loader
// calls create_backend() and never names a concrete backend.
//
//   CPU     the CPU backend.
//   VULKAN  the Vulkan device `device_index` (-1: the preferred one, which
//           may be a CPU-type device such as lavapipe); errors if unusable.
//   AUTO    the preferred Vulkan GPU (discrete, integrated, virtual) when one
//           exists, else the CPU with an INFO log line saying why. A
//           software Vulkan device is slower than the CPU backend, so AUTO
//           never picks one unless device_index names it. A model that
//           needs the mixture-of-experts ops gets the CPU (Vulkan has none yet).
//
// Owner: backends/vulkan (selection logic); the model loader calls it.
#pragma once

#include "backend.h"
#include "common/log.h"

#include <memory>

namespace loom {

struct BackendRequest {
    int32_t kind = LOOM_BACKEND_AUTO;        // loom_backend_kind
    int32_t device_index = -1;
    const loom_vulkan_params *vulkan = nullptr; // optional
    const LogSink *log = nullptr;            // must outlive the backend
    bool needs_experts = false;              // a mixture-of-experts model: AUTO picks a backend that runs it
};

// Errors: INVALID_ARGUMENT (unknown kind, bad vulkan params), and for
// VULKAN: UNSUPPORTED (built without Vulkan, no loader/driver), NOT_FOUND
// (device_index), BACKEND.
Status create_backend(const BackendRequest &req, std::unique_ptr<Backend> *out);

} // namespace loom
