#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "vk_fixture.h"
#include "testdata.h"

#include "quant/quant.h"

#include <dlfcn.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace vktest {

// The Vulkan loader dlclose()s drivers and layers at vkDestroyInstance; what
// they keep until exit then has no module name, and LeakSanitizer's
// suppressions (tests/support/lsan.supp) cannot match it. Pinning them with
// RTLD_NODELETE keeps their names. Missing libraries are simply skipped.
static const bool g_drivers_pinned = [] {
    for (const char *lib : {"libvulkan_lvp.so", "libVkLayer_khronos_validation.so", "libVkLayer_MESA_device_select.so"})
        dlopen(lib, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    return true;
}();

static std::unique_ptr<loom::Backend> g_backend, g_gpu_backend;

loom::Backend &backend() { return *g_backend; }
loom::Backend &gpu_kernels_backend() { return *g_gpu_backend; }
const loom::vk::Device &device() { return *loom::vulkan_backend_device(g_backend.get()); }
uint64_t validation_messages() {
    return device().validation_messages() + loom::vulkan_backend_device(g_gpu_backend.get())->validation_messages();
}

const std::vector<loom_type> &shader_types() {
    static const std::vector<loom_type> types = {
        LOOM_TYPE_F32,  LOOM_TYPE_F16,  LOOM_TYPE_BF16, LOOM_TYPE_Q4_0,   LOOM_TYPE_Q4_1,
        LOOM_TYPE_Q5_0, LOOM_TYPE_Q5_1, LOOM_TYPE_Q8_0, LOOM_TYPE_Q2_K,   LOOM_TYPE_Q3_K,
        LOOM_TYPE_Q4_K, LOOM_TYPE_Q5_K, LOOM_TYPE_Q6_K, LOOM_TYPE_IQ4_NL, LOOM_TYPE_IQ4_XS,
        LOOM_TYPE_TQ1_0, LOOM_TYPE_TQ2_0,
        LOOM_TYPE_IQ2_XXS, LOOM_TYPE_IQ2_XS, LOOM_TYPE_IQ2_S, LOOM_TYPE_IQ3_XXS, LOOM_TYPE_IQ3_S,
        LOOM_TYPE_IQ1_S, LOOM_TYPE_IQ1_M,
    };
    return types;
}

std::vector<float> random_floats(size_t n, std::mt19937 &rng, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (float &x : v) x = d(rng);
    return v;
}

static bool block_ok(const float *v, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!std::isfinite(v[i]) || std::fabs(v[i]) > 1e6f) return false;
    return true;
}

bool random_rows(loom_type type, int64_t n_rows, int64_t row_len, std::mt19937 &rng, std::vector<uint8_t> *bytes,
                 std::vector<float> *ref) {
    const loom::TypeTraits *t = loom::type_traits(type);
    if (!t || !t->to_float) return false;
    const int64_t bs = t->block_size, n_blocks = n_rows * row_len / bs;
    bytes->assign(size_t(n_blocks) * t->block_bytes, 0);
    ref->assign(size_t(n_rows * row_len), 0.0f);
    if (type == LOOM_TYPE_F32) {
        std::vector<float> v = random_floats(size_t(n_rows * row_len), rng);
        std::memcpy(bytes->data(), v.data(), bytes->size());
        *ref = v;
        return true;
    }
    // Random bytes reach every bit pattern of quants and scales; a block whose
    // scale decodes to inf/NaN (or is absurdly large) is drawn again.
    std::uniform_int_distribution<int> byte(0, 255);
    for (int64_t b = 0; b < n_blocks; b++) {
        uint8_t *blk = bytes->data() + size_t(b) * t->block_bytes;
        float *out = ref->data() + size_t(b * bs);
        do {
            for (size_t i = 0; i < t->block_bytes; i++) blk[i] = uint8_t(byte(rng));
            t->to_float(blk, out, bs);
        } while (!block_ok(out, bs));
    }
    return true;
}

} // namespace vktest

static void log_to_stderr(void *, loom_log_level level, const char *message) {
    if (level >= LOOM_LOG_WARN) std::fprintf(stderr, "%s\n", message);
}

int main(int argc, char **argv) {
    static loom::LogSink sink{log_to_stderr, nullptr};
    loom::VulkanBackendOptions opts;
    const char *v = std::getenv("LOOM_VULKAN_VALIDATION");
    opts.device.validation = !(v && !std::strcmp(v, "0"));
    opts.device.log = &sink;
    opts.max_buffer_bytes = 64 << 10; // small weights already span several buffer ranges
    loom::Status s = loom::create_vulkan_backend(opts, &vktest::g_backend);
    if (!s) {
        std::fprintf(stderr, "no usable Vulkan device: %s\n", s.message().c_str());
        // Without the validation layer the tests cannot prove "validation clean": a failure, not a skip.
        return s.code() == LOOM_ERR_UNSUPPORTED && s.message().find("validation") == std::string::npos
                   ? testdata::missing("a Vulkan device")
                   : 1;
    }
    opts.matmul = loom::VkMatmulKernels::Gpu;
    opts.subgroups = false; // the workgroup-reduction mul_mat_vec
    s = loom::create_vulkan_backend(opts, &vktest::g_gpu_backend);
    if (!s) {
        std::fprintf(stderr, "second Vulkan backend failed: %s\n", s.message().c_str());
        return 1;
    }
    int rc = Catch::Session().run(argc, argv);
    vktest::g_gpu_backend.reset();
    vktest::g_backend.reset();
    return rc;
}
