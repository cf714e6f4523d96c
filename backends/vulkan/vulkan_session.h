// The Vulkan backend's classes: VulkanBackend (device, weights, pipelines,
// shared by the model's contexts) and VulkanSession (one per context: its
// buffers and the command stream each graph is recorded into).
#pragma once

#include "backends/step_pacer.h"
#include "vulkan/shader_table.h"
#include "vulkan/stream.h"
#include "vulkan/vulkan_backend.h"

#include <set>
#include <string>

namespace loom::vk {

// "q4_k" for LOOM_TYPE_Q4_K: the suffix of typed shader names.
std::string shader_type_suffix(loom_type type);

// mul_mat_rows (the matmul on CPU-type devices): workgroup size, the most
// columns one pass computes, and its specialization for a weight of `type`
// with rows of k values, X rows `x_stride` floats apart and `cols` columns.
constexpr uint32_t kRowsKernelWg = 32;
constexpr int64_t kRowsKernelCols = 2;
struct RowsKernelShape {
    uint32_t nc = 1;      // columns per pass (constant_id 1)
    bool x_vec = false;   // X read 4 floats a load (constant_id 2)
    uint32_t rpi = 1;     // weight rows per invocation (constant_id 3)
    bool loop_chunks = false; // decoders with tables: chunks looped, not unrolled (constant_id 4)
    std::vector<uint32_t> consts() const { return {nc, uint32_t(x_vec), rpi, uint32_t(loop_chunks)}; }
};
RowsKernelShape rows_kernel_shape(loom_type type, int64_t k, int64_t x_stride, int64_t cols);

// Creates mul_mat_rows' pipelines for decode and batches of weight `w` and
// runs each once on one row: lavapipe JIT-compiles a pipeline at its first
// dispatch (about a second for the unrolled kernel), which belongs to model
// load, not to the first token. `warmed` holds the variants already run.
Status warm_rows_kernel(const Device &dev, Allocator &alloc, PipelineSet &pipelines, const VkTensor &w,
                        std::set<std::string> *warmed);

class VulkanBackend : public Backend {
public:
    ~VulkanBackend() override;
    Status init(const VulkanBackendOptions &opts);
    const char *name() const override { return "vulkan"; }
    bool supports_experts() const override { return true; }
    Status create_weight(loom_type type, int64_t cols, int64_t rows, const void *data, Tensor **out) override;
    Status new_session(const SessionParams &params, std::unique_ptr<Session> *out) const override;
    uint64_t device_bytes_in_use() const override { return alloc_ ? alloc_->device_bytes_in_use() : 0; }

    const Device &device() const { return *dev_; }
    int64_t wait_timeout_us() const { return wait_timeout_us_; }
    uint32_t ops_per_submission() const { return ops_per_submission_; }
    VkMatmulKernels matmul_kernels() const { return matmul_; }
    bool subgroups() const { return subgroups_; }
    PipelineSet &pipelines() const { return *pipelines_; }

private:
    Status upload(const BufferRange &dst, const void *src, size_t size);
    Status upload_iq_grids_for(loom_type type);
    void save_pipeline_cache() noexcept;   // logs a failure; never throws

    std::shared_ptr<const Device> dev_;          // shared with the other models on it (device_registry.h)
    const LogSink *log_ = nullptr;               // attached to dev_ while this backend lives
    int64_t wait_timeout_us_ = kDefaultWaitTimeoutUs;
    uint32_t ops_per_submission_ = kDefaultOpsPerSubmission;
    uint64_t max_buffer_bytes_ = 0;
    VkMatmulKernels matmul_ = VkMatmulKernels::Gpu;
    bool subgroups_ = true;
    std::unique_ptr<Allocator> alloc_;           // weights
    std::unique_ptr<PipelineSet> pipelines_;
    std::vector<std::unique_ptr<VkTensor>> weights_;
    BufferRange iq_grids_;                       // the IQ grid table, with the first IQ1/IQ2/IQ3 weight
    std::set<std::string> warmed_;               // mul_mat_rows variants run once (warm_rows_kernel)
};

class VulkanSession : public Session {
public:
    explicit VulkanSession(const VulkanBackend &backend);
    ~VulkanSession() override;
    Status init();

    Status alloc(loom_type type, int64_t cols, int64_t rows, Tensor **out) override;
    Status upload(Tensor *t, size_t offset, const void *src, size_t size) override;
    Status download(const Tensor *t, size_t offset, void *dst, size_t size) override;
    void release(Tensor *t) override;

    Status begin_graph() override;
    Status compute(const AbortFn &abort) override;
    Status begin_stepped_graph(int64_t shape_key) override;
    Status compute_step(const AbortFn &abort, int64_t budget_us, bool *done) override;
    void cancel_graph() override;

    Status get_rows(Tensor *dst, const Tensor *table, const Tensor *ids, int64_t rows) override;
    Status rmsnorm(Tensor *dst, const Tensor *src, const Tensor *weight, float eps, int64_t rows) override;
    Status matmul(Tensor *dst, const Tensor *w, const Tensor *src, const Tensor *bias, int64_t rows) override;
    Status rope(Tensor *x, const Tensor *pos, RopeMode mode, int n_head, int head_dim, float freq_base,
                int64_t rows) override;
    Status kv_store(Tensor *cache, const Tensor *src, const Tensor *cells, int64_t rows) override;
    Status attention(Tensor *out, const Tensor *q, const Tensor *k, const Tensor *v, const Tensor *ranges,
                     const Tensor *mask, int n_head, int n_head_kv, int head_dim, float scale, int64_t width,
                     int64_t rows) override;
    Status swiglu(Tensor *dst, const Tensor *gate, const Tensor *up, int64_t rows) override;
    Status add(Tensor *dst, const Tensor *a, const Tensor *b, int64_t rows) override;

    // Mixture of experts (vulkan_moe.cpp).
    Status moe_route(Tensor *ids, Tensor *weights, const Tensor *logits, int k, int64_t rows) override;
    Status matmul_id(Tensor *dst, const Tensor *w, const Tensor *src, const Tensor *ids, int n_expert, int k,
                     bool src_per_slot, int64_t rows) override;
    Status moe_sum(Tensor *dst, const Tensor *src, const Tensor *weights, int k, int64_t rows) override;
    Status scale_sigmoid(Tensor *x, const Tensor *g, int64_t rows) override;
    uint64_t device_bytes_in_use() const override { return alloc_.device_bytes_in_use(); }
    uint64_t device_bytes_peak() const override { return alloc_.device_bytes_peak(); }

private:
    Status pipeline(const std::string &name, uint32_t wg, const Pipeline **out, const std::vector<uint32_t> &consts = {});
    Status transfer(const VkTensor *t, size_t offset, void *host, size_t size, bool to_device);
    // Called as each op (or matmul slice) starts recording: a stepped graph
    // gets a segment per op, a whole graph one per ops_per_submission ops.
    Status op_boundary();
    void free_retired();
    Status elementwise(const char *shader, Tensor *dst, const Tensor *a, const Tensor *b, int64_t rows);
    // One value per invocation over `n` values: a 2-D grid when one dimension is not enough.
    Status dispatch_flat(const Pipeline &p, const std::vector<BufferRange> &buffers, const void *push,
                         uint32_t push_bytes, uint64_t n);

    const VulkanBackend &backend_;
    const Device &dev_;
    Allocator alloc_;
    Stream stream_;
    BufferRange dummy_;            // bound where an optional buffer is absent
    std::vector<std::unique_ptr<VkTensor>> tensors_;
    // matmul_id's slots grouped by expert (moe_group.comp), grown at record
    // time; a replaced buffer is freed after the graph that used it ran.
    Status reserve_groups(VkDeviceSize bytes);
    BufferRange groups_;
    std::vector<BufferRange> retired_;
    bool stepped_ = false;         // recording a stepped graph
    uint32_t segment_ops_ = 0;     // whole graph: ops recorded into the current submission
    size_t next_segment_ = 0;      // stepped: the segment to submit next
    int64_t shape_key_ = -1;
    StepPacer pacer_;
};

} // namespace loom::vk
