// The devices models share: one Device per host queue (a loom_vulkan_host's
// device and queue) and one per physical device loom creates itself (its
// request: device index or name, and validation), reference-counted so the
// last model that lets go of one destroys it. This process-wide table is
// loom's one piece of global state besides the log callback: sharing a
// VkDevice and its queue lock between models is its whole point (two
// models on one queue must not submit at once, loom.h: loom_vulkan_host).
#pragma once

#include "vulkan/device.h"

#include <memory>

namespace loom::vk {

// The Device for `opts`: the one already in use for the same host device
// and queue, or for the same request (or the same physical device, found
// once created), else a new one. Thread-safe.
// Errors: as Device::create; INVALID_ARGUMENT when a host queue already in
// use comes with other queue-lock callbacks.
Status acquire_device(const DeviceOptions &opts, std::shared_ptr<const Device> *out);

} // namespace loom::vk
