#include "vulkan/vulkan_session.h"

#include "quant/quant.h"
#include "vulkan/op_util.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace loom::vk {

namespace {

// Push-constant blocks, laid out as in the shaders (4-byte fields).
struct MatVecPush { uint32_t k, n_rows, n_cols, w_stride, x_stride, y_stride, w_row0, y_row0, has_bias; };
struct GetRowsPush { uint32_t k, n_ids, w_stride, dst_stride, row0, n_table_rows; };
struct RmsNormPush { uint32_t n, n_rows, x_stride, dst_stride; float eps; };
struct RopePush { uint32_t n_head, head_dim, rows, x_stride, neox; float freq_base; };
struct KvStorePush { uint32_t n, rows, src_stride; };
struct AttentionPush { uint32_t n_head, n_head_kv, head_dim, width, n_cells, q_stride, kv_stride, mask_stride; float scale; };
struct ElementwisePush { uint32_t n; };

// mul_mm's tile (BM x BN in shaders/mul_mm.comp) and the batch from which it beats mul_mat_vec.
constexpr uint32_t kTileRows = 64, kTileCols = 32;
constexpr int64_t kTiledMinRows = 4;

} // namespace

RowsKernelShape rows_kernel_shape(loom_type type, int64_t k, int64_t x_stride, int64_t cols) {
    const TypeTraits *t = type_traits(type);
    // 16-value chunks in the shader's unit (UNIT_VALUES in mul_mat_rows.comp).
    const int64_t block = t ? t->block_size : 1;
    const int64_t unit_values = block == 1 ? 128 / int64_t(t ? t->block_bytes : 4) : block == 32 ? 128 : block;
    const int64_t chunks = std::max<int64_t>(1, unit_values / 16);
    RowsKernelShape r;
    r.nc = uint32_t(std::min<int64_t>(cols, kRowsKernelCols));
    r.x_vec = k % 16 == 0 && x_stride % 4 == 0;
    // Rows per invocation: more rows share each X load, but the unrolled
    // body (rows x chunks x columns) is JIT-compiled by the driver, in
    // seconds beyond about 128 chunk-columns; 256-value blocks decode slower.
    const int64_t budget = block == 256 ? 32 : 128;
    r.rpi = uint32_t(std::clamp<int64_t>(budget / (chunks * r.nc), 1, 16));
    // Types whose decoders read lookup tables: one row, chunks looped (LOOP_CHUNKS).
    static const loom_type kUnrolled[] = {LOOM_TYPE_F32,  LOOM_TYPE_F16,  LOOM_TYPE_BF16, LOOM_TYPE_Q4_0, LOOM_TYPE_Q4_1,
                                          LOOM_TYPE_Q5_0, LOOM_TYPE_Q5_1, LOOM_TYPE_Q8_0, LOOM_TYPE_Q2_K, LOOM_TYPE_Q3_K,
                                          LOOM_TYPE_Q4_K, LOOM_TYPE_Q5_K, LOOM_TYPE_Q6_K, LOOM_TYPE_TQ2_0};
    r.loop_chunks = std::find(std::begin(kUnrolled), std::end(kUnrolled), type) == std::end(kUnrolled);
    if (r.loop_chunks) r.rpi = 1;
    return r;
}

Status warm_rows_kernel(const Device &dev, Allocator &alloc, PipelineSet &pipelines, const VkTensor &w,
                        std::set<std::string> *warmed) {
    for (int64_t cols : {int64_t(1), kRowsKernelCols}) {
        const RowsKernelShape rk = rows_kernel_shape(w.type, w.ne[0], w.ne[0], cols);
        const std::string name = "mul_mat_rows_" + shader_type_suffix(w.type);
        std::string key = name;
        for (uint32_t c : rk.consts()) key += "," + std::to_string(c);
        if (!warmed->insert(key).second) continue;
        const Pipeline *p = nullptr;
        LOOM_TRY(pipelines.get(name, kRowsKernelWg, rk.consts(), &p));
        // One row of W against `cols` columns of whatever X holds; the result is dropped.
        BufferRange x, y;
        Status s = alloc.alloc(MemKind::Device, VkDeviceSize(w.ne[0] * cols * 4 + 64), &x);
        if (s) s = alloc.alloc(MemKind::Device, VkDeviceSize(cols * 4 + 64), &y);
        Stream stream(dev);
        if (s) s = stream.init();
        if (s) s = stream.begin();
        MatVecPush pc{uint32_t(w.ne[0]), 1, uint32_t(cols), uint32_t(w.row_bytes), uint32_t(w.ne[0]), 1, 0, 0, 0};
        if (s) s = stream.dispatch(*p, {w.parts.front().buf, x, y, y}, &pc, sizeof pc, 1, 1);
        if (s) s = stream.submit_and_wait();
        alloc.free(&x);
        alloc.free(&y);
        LOOM_TRY(s);
    }
    return Status::ok();
}

VulkanSession::VulkanSession(const VulkanBackend &backend)
    : backend_(backend), dev_(backend.device()), alloc_(backend.device(), VkDeviceSize(16) << 20),
      stream_(backend.device(), backend.wait_timeout_us()) {}

VulkanSession::~VulkanSession() {
    (void)stream_.wait();   // a submission that timed out: give it its time again before freeing under it
    for (auto &t : tensors_) alloc_.free(&t->parts.front().buf);
    alloc_.free(&dummy_);
    alloc_.free(&groups_);
    for (BufferRange &b : retired_) alloc_.free(&b);
}

Status VulkanSession::init() {
    LOOM_TRY(stream_.init());
    return alloc_.alloc(MemKind::Device, 256, &dummy_);
}

Status VulkanSession::pipeline(const std::string &name, uint32_t wg, const Pipeline **out,
                               const std::vector<uint32_t> &consts) {
    return backend_.pipelines().get(name, wg, consts, out);
}

// --- memory -------------------------------------------------------------------

Status VulkanSession::alloc(loom_type type, int64_t cols, int64_t rows, Tensor **out) {
    if (type != LOOM_TYPE_F32 && type != LOOM_TYPE_F16 && type != LOOM_TYPE_I32 && type != LOOM_TYPE_Q8_0)
        return error(LOOM_ERR_UNSUPPORTED, "vulkan: session tensors of type %s are not supported (F32, F16, Q8_0, I32)",
                     type_traits(type) ? type_traits(type)->name : "?");
    if (cols <= 0 || rows <= 0) return error(LOOM_ERR_INVALID_ARGUMENT, "vulkan: tensor of %lld x %lld", (long long)rows, (long long)cols);
    auto t = std::make_unique<VkTensor>();
    t->type = type;
    t->ne[0] = cols;
    t->ne[1] = rows;
    LOOM_TRY(row_bytes(type, cols, &t->row_bytes));
    VkTensor::Part part;
    part.rows = rows;
    // +64 bytes bound past the last row: shaders may read (and discard) a few values there.
    size_t bytes = size_t(rows) * t->row_bytes;
    LOOM_TRY(alloc_.alloc(MemKind::Device, bytes + 64, &part.buf));
    t->parts.push_back(part);
    std::vector<uint8_t> zeros(bytes, 0);
    Status s = transfer(t.get(), 0, zeros.data(), bytes, true);
    if (!s) {
        alloc_.free(&t->parts.front().buf);
        return s;
    }
    *out = t.get();
    tensors_.push_back(std::move(t));
    return Status::ok();
}

Status VulkanSession::transfer(const VkTensor *t, size_t offset, void *host, size_t size, bool to_device) {
    if (stream_.recording()) return error(LOOM_ERR_INVALID_ARGUMENT, "vulkan: upload/download while a graph is recorded");
    const BufferRange &r = t->parts.front().buf;
    const size_t limit = size_t(t->ne[1]) * t->row_bytes;
    if (t->parts.size() != 1 || offset > limit || size > limit - offset)
        return error(LOOM_ERR_INVALID_ARGUMENT, "vulkan: transfer of %zu bytes at %zu outside the tensor", size, offset);
    if (r.mapped) {
        LOOM_TRY(stream_.wait());   // a submission that timed out may still use the tensor
        if (to_device) std::memcpy(r.mapped + offset, host, size);
        else std::memcpy(host, r.mapped + offset, size);
        return Status::ok();
    }
    BufferRange staging;
    LOOM_TRY(alloc_.alloc(MemKind::Host, size, &staging));
    if (to_device) std::memcpy(staging.mapped, host, size);
    Status s = stream_.begin();
    if (s) {
        if (to_device) stream_.copy(staging, 0, r, offset, size);
        else stream_.copy(r, offset, staging, 0, size);
        s = stream_.submit_and_wait();
    }
    if (s && !to_device) std::memcpy(host, staging.mapped, size);
    alloc_.free(&staging);
    return s;
}

Status VulkanSession::upload(Tensor *t, size_t offset, const void *src, size_t size) {
    return transfer(vt(t), offset, const_cast<void *>(src), size, true);
}

Status VulkanSession::download(const Tensor *t, size_t offset, void *dst, size_t size) {
    return transfer(vt(t), offset, dst, size, false);
}

void VulkanSession::release(Tensor *t) {
    if (!t) return;
    for (auto it = tensors_.begin(); it != tensors_.end(); ++it) {
        if (it->get() != t) continue;
        alloc_.free(&(*it)->parts.front().buf);
        tensors_.erase(it);
        return;
    }
}

// --- graph --------------------------------------------------------------------

Status VulkanSession::begin_graph() {
    stepped_ = false;
    segment_ops_ = 0;
    return stream_.begin();
}

Status VulkanSession::op_boundary() {
    if (stepped_) return stream_.cut();
    if (++segment_ops_ <= backend_.ops_per_submission()) return Status::ok();
    segment_ops_ = 1;
    return stream_.cut();
}

// Buffers replaced while recording, once no submission can use them.
void VulkanSession::free_retired() {
    if (stream_.pending()) return;
    for (BufferRange &b : retired_) alloc_.free(&b);
    retired_.clear();
}

Status VulkanSession::begin_stepped_graph(int64_t shape_key) {
    LOOM_TRY(begin_graph());
    stepped_ = true;
    next_segment_ = 0;
    shape_key_ = shape_key;
    return Status::ok();
}

// Pieces are submissions of one op's segment each; the first call ends the recording.
Status VulkanSession::compute_step(const AbortFn &abort, int64_t budget_us, bool *done) {
    *done = false;
    if (!stepped_) return error(LOOM_ERR_INTERNAL, "vulkan: compute_step without begin_stepped_graph");
    Status s;
    if (stream_.recording()) {
        s = stream_.end_segments();
        pacer_.start(stream_.segments(), shape_key_);
    }
    if (s) s = pacer_.step(stream_.segments(), &next_segment_, abort, budget_us,
                           [&](size_t i) { return stream_.submit_segment(i); });
    *done = s && next_segment_ == stream_.segments();
    if (!s || *done) cancel_graph();
    return s;
}

void VulkanSession::cancel_graph() {
    stream_.abandon();
    stepped_ = false;
    next_segment_ = 0;
}

// The graph's submissions one after the other, each waited for: the abort
// callback is honoured before each (what ran wrote only this graph's cells).
Status VulkanSession::compute(const AbortFn &abort) {
    Status s = stream_.end_segments();
    const size_t n = stream_.segments();
    for (size_t i = 0; s && i < n; i++) {
        if (abort && abort()) {
            s = error(LOOM_ERR_CANCELLED, "vulkan: graph cancelled by the abort callback before submission %zu of %zu",
                      i + 1, n);
            break;
        }
        s = stream_.submit_segment(i);
    }
    free_retired();
    return s;
}

// --- ops ------------------------------------------------------------------------

Status VulkanSession::get_rows(Tensor *dst, const Tensor *table, const Tensor *ids, int64_t rows) {
    LOOM_TRY(op_boundary());
    LOOM_TRY(need(dst->type == LOOM_TYPE_F32 && ids->type == LOOM_TYPE_I32, "get_rows", "dst must be F32 and ids I32"));
    LOOM_TRY(need(dst->ne[0] == table->ne[0] && rows <= dst->ne[1] && rows <= ids->ne[0] * ids->ne[1] && rows > 0,
                  "get_rows", "shapes do not match"));
    const Pipeline *p = nullptr;
    LOOM_TRY(pipeline("get_rows_" + shader_type_suffix(table->type), kWorkgroup, &p));
    uint32_t chunks = div_up(uint64_t(table->ne[0]), 16);
    for (const VkTensor::Part &part : vt(table)->parts) {
        GetRowsPush pc{uint32_t(table->ne[0]), uint32_t(rows), uint32_t(table->row_bytes), uint32_t(dst->ne[0]),
                       uint32_t(part.row0), uint32_t(part.rows)};
        LOOM_TRY(stream_.dispatch(*p, {part.buf, range(ids), range(dst)}, &pc, sizeof pc, div_up(chunks, kWorkgroup),
                                  uint32_t(rows)));
    }
    return Status::ok();
}

Status VulkanSession::rmsnorm(Tensor *dst, const Tensor *src, const Tensor *weight, float eps, int64_t rows) {
    LOOM_TRY(op_boundary());
    LOOM_TRY(need(weight->type == LOOM_TYPE_F32 && weight->ne[0] == src->ne[0] && dst->ne[0] == src->ne[0] &&
                      rows > 0 && rows <= src->ne[1] && rows <= dst->ne[1],
                  "rmsnorm", "shapes or types do not match"));
    const Pipeline *p = nullptr;
    LOOM_TRY(pipeline("rms_norm", kWorkgroup, &p));
    RmsNormPush pc{uint32_t(src->ne[0]), uint32_t(rows), uint32_t(src->ne[0]), uint32_t(dst->ne[0]), eps};
    return stream_.dispatch(*p, {range(src), range(weight), range(dst)}, &pc, sizeof pc, uint32_t(rows));
}

Status VulkanSession::matmul(Tensor *dst, const Tensor *w, const Tensor *src, const Tensor *bias, int64_t rows) {
    LOOM_TRY(op_boundary());
    LOOM_TRY(need(src->type == LOOM_TYPE_F32 && dst->type == LOOM_TYPE_F32 && src->ne[0] == w->ne[0] &&
                      dst->ne[0] == w->ne[1] && rows > 0 && rows <= src->ne[1] && rows <= dst->ne[1],
                  "matmul", "shapes or types do not match"));
    LOOM_TRY(need(!bias || (bias->type == LOOM_TYPE_F32 && bias->ne[0] == w->ne[1]), "matmul", "bias must be F32 [1][n_out]"));
    LOOM_TRY(need(rows <= kMaxGroups, "matmul", "too many rows for one dispatch"));
    // Few columns (decode): one workgroup per output, no reuse to gain.
    // More (prompt): 64 x 32 tiles that dequantize each weight once per tile.
    // Decode (few rows): a subgroup per weight row reduced with subgroupAdd
    // where the device has it, else a workgroup per row. More rows: the
    // per-row kernel (one invocation per weight row, CPU-type devices) or the tiles.
    const DeviceInfo &dev = dev_.info();
    const bool decode = rows < kTiledMinRows;
    const bool rows_kernel = backend_.matmul_kernels() == VkMatmulKernels::PerRow;
    const bool sg = decode && !rows_kernel && backend_.subgroups() && dev.subgroup_arithmetic && dev.subgroup_size >= 4 && dev.subgroup_size <= 64;
    const bool per_row = rows_kernel;
    const bool tiled = !per_row && !decode;
    const uint32_t sg_rows = sg ? 64 / dev.subgroup_size : 1; // rows per 64-wide workgroup
    const char *shader = sg ? "mul_mat_vec_sg_" : per_row ? "mul_mat_rows_" : tiled ? "mul_mm_" : "mul_mat_vec_";
    const Pipeline *p = nullptr;
    std::vector<uint32_t> consts;
    if (sg) consts = {sg_rows};
    const RowsKernelShape rk = rows_kernel_shape(w->type, w->ne[0], src->ne[0], rows);
    if (per_row) consts = rk.consts();
    LOOM_TRY(pipeline(shader + shader_type_suffix(w->type), sg ? 64 : per_row ? kRowsKernelWg : tiled ? 128 : 32, &p, consts));
    const int64_t rows_per_group = int64_t(kRowsKernelWg) * rk.rpi;
    int64_t slice = per_row ? int64_t(kMaxGroups) * rows_per_group
                    : tiled ? int64_t(kMaxGroups) * kTileRows
                            : int64_t(kMaxGroups) * sg_rows;
    // A stepped graph's pieces stay short: dispatches over ranges of weight
    // rows, each its own submission (op_boundary below).
    const int64_t unit = per_row ? rows_per_group : tiled ? int64_t(kTileRows) : int64_t(sg_rows);
    if (stepped_) slice = std::min(slice, step_piece_rows(w->ne[0], rows, unit));
    for (const VkTensor::Part &part : vt(w)->parts) {
        for (int64_t r0 = 0; r0 < part.rows; r0 += slice) {
            LOOM_TRY(op_boundary());
            uint32_t n = uint32_t(std::min<int64_t>(slice, part.rows - r0));
            MatVecPush pc{uint32_t(w->ne[0]), n, uint32_t(rows), uint32_t(w->row_bytes), uint32_t(src->ne[0]),
                          uint32_t(dst->ne[0]), uint32_t(r0), uint32_t(part.row0 + r0), bias ? 1u : 0u};
            uint32_t gx = per_row ? div_up(n, uint64_t(rows_per_group)) : tiled ? div_up(n, kTileRows) : div_up(n, sg_rows);
            uint32_t gy = per_row ? 1 : tiled ? div_up(uint64_t(rows), kTileCols) : uint32_t(rows);
            LOOM_TRY(stream_.dispatch(*p, {part.buf, range(src), range(dst), bias ? range(bias) : dummy_}, &pc,
                                      sizeof pc, gx, gy));
        }
    }
    return Status::ok();
}

Status VulkanSession::rope(Tensor *x, const Tensor *pos, RopeMode mode, int n_head, int head_dim, float freq_base,
                           int64_t rows) {
    LOOM_TRY(op_boundary());
    LOOM_TRY(need(x->type == LOOM_TYPE_F32 && pos->type == LOOM_TYPE_I32 && head_dim % 2 == 0 &&
                      int64_t(n_head) * head_dim <= x->ne[0] && rows > 0 && rows <= x->ne[1],
                  "rope", "shapes or types do not match"));
    const Pipeline *p = nullptr;
    LOOM_TRY(pipeline("rope", kWorkgroup, &p));
    RopePush pc{uint32_t(n_head), uint32_t(head_dim), uint32_t(rows), uint32_t(x->ne[0]),
                mode == RopeMode::Neox ? 1u : 0u, freq_base};
    return stream_.dispatch(*p, {range(x), range(pos)}, &pc, sizeof pc,
                            div_up(uint64_t(n_head) * uint64_t(head_dim / 2), kWorkgroup), uint32_t(rows));
}

Status VulkanSession::kv_store(Tensor *cache, const Tensor *src, const Tensor *cells, int64_t rows) {
    LOOM_TRY(op_boundary());
    LOOM_TRY(need((cache->type == LOOM_TYPE_F16 || cache->type == LOOM_TYPE_F32 || cache->type == LOOM_TYPE_Q8_0) &&
                      src->type == LOOM_TYPE_F32 && cells->type == LOOM_TYPE_I32 && cache->ne[0] == src->ne[0] &&
                      rows > 0 && rows <= src->ne[1],
                  "kv_store", "shapes or types do not match (cache F16, F32 or Q8_0)"));
    LOOM_TRY(need(cache->type != LOOM_TYPE_F16 || cache->ne[0] % 2 == 0, "kv_store", "an F16 cache needs even rows"));
    LOOM_TRY(need(cache->type != LOOM_TYPE_Q8_0 || cache->ne[0] % 32 == 0, "kv_store", "a Q8_0 cache needs rows of 32k values"));
    const Pipeline *p = nullptr;
    LOOM_TRY(pipeline("kv_store_" + shader_type_suffix(cache->type), kWorkgroup, &p));
    KvStorePush pc{uint32_t(src->ne[0]), uint32_t(rows), uint32_t(src->ne[0])};
    // Invocations per row: one per stored word (F16: two values), per value (F32) or per block (Q8_0).
    uint64_t per_row = cache->type == LOOM_TYPE_F16    ? uint64_t(src->ne[0] / 2)
                       : cache->type == LOOM_TYPE_Q8_0 ? uint64_t(src->ne[0] / 32)
                                                       : uint64_t(src->ne[0]);
    return stream_.dispatch(*p, {range(cache), range(src), range(cells)}, &pc, sizeof pc, div_up(per_row, kWorkgroup),
                            uint32_t(rows));
}

Status VulkanSession::attention(Tensor *out, const Tensor *q, const Tensor *k, const Tensor *v, const Tensor *ranges,
                                const Tensor *mask, int n_head, int n_head_kv, int head_dim, float scale, int64_t width,
                                int64_t rows) {
    LOOM_TRY(op_boundary());
    LOOM_TRY(need(k->type == v->type && (k->type == LOOM_TYPE_F16 || k->type == LOOM_TYPE_F32 || k->type == LOOM_TYPE_Q8_0) &&
                      n_head_kv > 0 && n_head % n_head_kv == 0 && head_dim <= int(8 * kWorkgroup) &&
                      int64_t(n_head) * head_dim <= q->ne[0] && int64_t(n_head_kv) * head_dim <= k->ne[0] &&
                      k->ne[0] == v->ne[0] && k->ne[1] == v->ne[1] && width > 0 && width <= mask->ne[0] &&
                      ranges->type == LOOM_TYPE_I32 && ranges->ne[0] == 2 && rows <= ranges->ne[1] &&
                      rows > 0 && rows <= q->ne[1] && rows <= mask->ne[1] && out->ne[0] == q->ne[0],
                  "attention", "shapes or types do not match"));
    const Pipeline *p = nullptr;
    LOOM_TRY(pipeline("attention_" + shader_type_suffix(k->type), kWorkgroup, &p));
    AttentionPush pc{uint32_t(n_head), uint32_t(n_head_kv), uint32_t(head_dim), uint32_t(width), uint32_t(k->ne[1]),
                     uint32_t(q->ne[0]), uint32_t(k->ne[0]), uint32_t(mask->ne[0]), scale};
    return stream_.dispatch(*p, {range(out), range(q), range(k), range(v), range(ranges), range(mask)}, &pc,
                            sizeof pc, uint32_t(rows), uint32_t(n_head));
}

Status VulkanSession::elementwise(const char *shader, Tensor *dst, const Tensor *a, const Tensor *b, int64_t rows) {
    LOOM_TRY(op_boundary());
    LOOM_TRY(need(dst->type == LOOM_TYPE_F32 && a->type == LOOM_TYPE_F32 && b->type == LOOM_TYPE_F32 &&
                      a->ne[0] == dst->ne[0] && b->ne[0] == dst->ne[0] && rows > 0 && rows <= dst->ne[1] &&
                      rows <= a->ne[1] && rows <= b->ne[1],
                  shader, "shapes or types do not match"));
    const Pipeline *p = nullptr;
    LOOM_TRY(pipeline(shader, kWorkgroup, &p));
    uint64_t n = uint64_t(rows) * uint64_t(dst->ne[0]);
    ElementwisePush pc{uint32_t(n)};
    return dispatch_flat(*p, {range(dst), range(a), range(b)}, &pc, sizeof pc, n);
}

Status VulkanSession::dispatch_flat(const Pipeline &p, const std::vector<BufferRange> &buffers, const void *push,
                                    uint32_t push_bytes, uint64_t n) {
    uint32_t groups = div_up(n, kWorkgroup);
    uint32_t gx = std::min(groups, kMaxGroups), gy = div_up(groups, gx);
    return stream_.dispatch(p, buffers, push, push_bytes, gx, gy);
}

Status VulkanSession::swiglu(Tensor *dst, const Tensor *gate, const Tensor *up, int64_t rows) {
    return elementwise("swiglu", dst, gate, up, rows);
}

Status VulkanSession::add(Tensor *dst, const Tensor *a, const Tensor *b, int64_t rows) {
    return elementwise("add", dst, a, b, rows);
}

} // namespace loom::vk
