// The Vulkan device every test in this directory shares: one Vulkan backend
// with VK_LAYER_KHRONOS_validation enabled and a messenger that counts its
// messages (printed to stderr). The executable exits 77 (skipped) when the
// machine has no Vulkan loader or device.
#pragma once

#include "backend.h"
#include "vulkan/vulkan_backend.h"

#include <cstdint>
#include <random>
#include <vector>

namespace vktest {

// The shared backend (created in main before any test runs), and a second
// one on the same kind of device forced to the GPU-style matmul shaders
// without subgroups (mul_mat_vec / mul_mm), so every matmul path is tested
// on any device (the first takes mul_mat_vec_sg for decode and
// mul_mat_rows or mul_mm for batches, by device type).
loom::Backend &backend();
loom::Backend &gpu_kernels_backend();
const loom::vk::Device &device();

// Messages the validation layer has sent so far (tests REQUIRE zero).
uint64_t validation_messages();

// `n_rows` rows of `row_len` values of `type` as random blocks whose
// reference decoding (lib/quant to_float) is finite and below 1e6 in
// magnitude; *ref gets that decoding. False when lib/quant cannot decode the type.
bool random_rows(loom_type type, int64_t n_rows, int64_t row_len, std::mt19937 &rng, std::vector<uint8_t> *bytes,
                 std::vector<float> *ref);

std::vector<float> random_floats(size_t n, std::mt19937 &rng, float lo = -1.0f, float hi = 1.0f);

// Weight types with shaders (the list shaders/meson.build compiles).
const std::vector<loom_type> &shader_types();

} // namespace vktest
