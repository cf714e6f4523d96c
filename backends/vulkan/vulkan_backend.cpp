#include "vulkan/vulkan_backend.h"

#include "quant/quant.h"
#include "vulkan/device_registry.h"
#include "vulkan/vulkan_session.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace loom {
namespace vk {

std::string shader_type_suffix(loom_type type) {
    const TypeTraits *t = type_traits(type);
    std::string s = t ? t->name : "?";
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

// A destructor must not throw (it runs inside loom_model_free): saving the
// pipeline cache allocates and writes a file, so a failure, out of memory
// included, is logged through the model's sink and the model still frees.
void VulkanBackend::save_pipeline_cache() noexcept {
    if (!pipelines_) return;
    try {
        Status s = pipelines_->save_cache();
        if (!s) log(log_, LOOM_LOG_WARN, "%s", s.message().c_str());
    } catch (...) {
        log(log_, LOOM_LOG_WARN, "vulkan: cannot save the pipeline cache: out of memory");
    }
}

VulkanBackend::~VulkanBackend() {
    save_pipeline_cache();
    for (auto &w : weights_)
        for (auto &part : w->parts) alloc_->free(&part.buf);
    if (alloc_) alloc_->free(&iq_grids_);
    if (dev_) dev_->detach_log(log_);
}

Status VulkanBackend::init(const VulkanBackendOptions &opts) {
    LOOM_TRY(acquire_device(opts.device, &dev_));
    log_ = opts.device.log;
    wait_timeout_us_ = opts.wait_timeout_us > 0 ? opts.wait_timeout_us : kDefaultWaitTimeoutUs;
    ops_per_submission_ = opts.ops_per_submission > 0 ? opts.ops_per_submission : kDefaultOpsPerSubmission;
    max_buffer_bytes_ = opts.max_buffer_bytes;
    subgroups_ = opts.subgroups;
    // Lavapipe runs a workgroup's invocations as SIMD lanes on one core and a
    // barrier switches coroutines: the barrier-free per-row kernel wins there.
    // LOOM_VULKAN_MATMUL=gpu|rows overrides Auto (benchmarks, tuning).
    const char *env = std::getenv("LOOM_VULKAN_MATMUL");
    VkMatmulKernels want = opts.matmul;
    if (want == VkMatmulKernels::Auto && env && !std::strcmp(env, "gpu")) want = VkMatmulKernels::Gpu;
    if (want == VkMatmulKernels::Auto && env && !std::strcmp(env, "rows")) want = VkMatmulKernels::PerRow;
    matmul_ = want != VkMatmulKernels::Auto ? want
              : dev_->info().type == VK_PHYSICAL_DEVICE_TYPE_CPU ? VkMatmulKernels::PerRow : VkMatmulKernels::Gpu;
    alloc_ = std::make_unique<Allocator>(*dev_);
    pipelines_ = std::make_unique<PipelineSet>(*dev_, opts.pipeline_cache_path);
    return pipelines_->init();
}

// Copies host bytes into a device range: directly when it is mapped, else
// through a host staging buffer and a copy command.
Status VulkanBackend::upload(const BufferRange &dst, const void *src, size_t size) {
    if (dst.mapped) {
        std::memcpy(dst.mapped, src, size);
        return Status::ok();
    }
    const VkDeviceSize kStaging = VkDeviceSize(16) << 20;
    BufferRange staging;
    LOOM_TRY(alloc_->alloc(MemKind::Host, std::min<VkDeviceSize>(kStaging, size), &staging));
    Stream stream(*dev_, wait_timeout_us_);
    Status s = stream.init();
    for (size_t done = 0; s && done < size;) {
        size_t n = std::min<size_t>(size - done, size_t(staging.size));
        std::memcpy(staging.mapped, static_cast<const uint8_t *>(src) + done, n);
        s = stream.begin();
        if (s) stream.copy(staging, 0, dst, done, n);
        if (s) s = stream.submit_and_wait();
        done += n;
    }
    alloc_->free(&staging);
    return s;
}

// The shaders of the IQ1/IQ2/IQ3 types read their lattice grids from one
// storage buffer (shaders/gen_iq_grids.py): uploaded with the first weight
// whose shaders read it, about 9 KiB, and bound once as their set 1.
Status VulkanBackend::upload_iq_grids_for(loom_type type) {
    if (pipelines_->has_iq_grids()) return Status::ok();
    const ShaderCode *code = find_shader(("get_rows_" + shader_type_suffix(type)).c_str());
    SpirvLayout layout;
    LOOM_TRY(spirv_layout(code->words, code->n_words, &layout));
    if (!layout.reads_iq_grids) return Status::ok();
    size_t n_words = 0;
    const uint32_t *words = iq_grid_words(&n_words);
    if (!iq_grids_.buffer) LOOM_TRY(alloc_->alloc(MemKind::Device, n_words * sizeof(uint32_t), &iq_grids_));
    LOOM_TRY(upload(iq_grids_, words, n_words * sizeof(uint32_t)));
    return pipelines_->bind_iq_grids(iq_grids_);
}

Status VulkanBackend::create_weight(loom_type type, int64_t cols, int64_t rows, const void *data, Tensor **out) {
    if (cols <= 0 || rows <= 0) return error(LOOM_ERR_INVALID_ARGUMENT, "vulkan: weight of %lld x %lld", (long long)rows, (long long)cols);
    if (!find_shader(("get_rows_" + shader_type_suffix(type)).c_str()))
        return error(LOOM_ERR_UNSUPPORTED, "vulkan: no shaders for weight type %s", type_traits(type) ? type_traits(type)->name : "?");
    LOOM_TRY(upload_iq_grids_for(type));
    auto t = std::make_unique<VkTensor>();
    t->type = type;
    t->ne[0] = cols;
    t->ne[1] = rows;
    LOOM_TRY(row_bytes(type, cols, &t->row_bytes));
    // Parts of at most the storage-buffer range (128 MiB on lavapipe): a
    // 151936-row embedding table does not fit one descriptor.
    VkDeviceSize limit = std::min<VkDeviceSize>(dev_->properties().limits.maxStorageBufferRange, VkDeviceSize(1) << 30);
    if (max_buffer_bytes_) limit = std::min<VkDeviceSize>(limit, max_buffer_bytes_);
    int64_t part_rows = std::max<int64_t>(1, int64_t((limit - 256) / t->row_bytes));
    for (int64_t r0 = 0; r0 < rows; r0 += part_rows) {
        VkTensor::Part part;
        part.row0 = r0;
        part.rows = std::min(part_rows, rows - r0);
        size_t bytes = size_t(part.rows) * t->row_bytes;
        LOOM_TRY(alloc_->alloc(MemKind::Device, bytes + kWeightPad, &part.buf));
        t->parts.push_back(part);
        LOOM_TRY(upload(part.buf, static_cast<const uint8_t *>(data) + size_t(r0) * t->row_bytes, bytes));
    }
    t->holds_copy = true;   // the bytes now live in device memory; the host copy is never read again
    // Lavapipe compiles a pipeline at its first dispatch: do it at load, not in the first token.
    if (matmul_ == VkMatmulKernels::PerRow && rows > 1) // (one-row weights are norms and biases)
        LOOM_TRY(warm_rows_kernel(*dev_, *alloc_, *pipelines_, *t, &warmed_));
    *out = t.get();
    weights_.push_back(std::move(t));
    return Status::ok();
}

Status VulkanBackend::new_session(const SessionParams &, std::unique_ptr<Session> *out) const {
    auto s = std::make_unique<VulkanSession>(*this);
    LOOM_TRY(s->init());
    *out = std::move(s);
    return Status::ok();
}

} // namespace vk

Status create_vulkan_backend(const VulkanBackendOptions &opts, std::unique_ptr<Backend> *out) {
    auto b = std::make_unique<vk::VulkanBackend>();
    LOOM_TRY(b->init(opts));
    *out = std::move(b);
    return Status::ok();
}

const vk::Device *vulkan_backend_device(const Backend *backend) {
    auto *vb = dynamic_cast<const vk::VulkanBackend *>(backend);
    return vb ? &vb->device() : nullptr;
}

} // namespace loom
