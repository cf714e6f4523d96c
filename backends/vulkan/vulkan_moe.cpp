// The Vulkan session's mixture-of-experts ops (qwen2moe): the router's
// softmax + top-k, the expert matmul over a stacked weight, the weighted sum
// of the chosen experts and the shared expert's sigmoid gate. Shaders:
// moe_route.comp, mul_mat_id.comp (one per weight type), moe_sum.comp,
// scale_sigmoid.comp.
#include "vulkan/vulkan_session.h"

#include "vulkan/op_util.h"

#include <algorithm>

namespace loom::vk {

namespace {

// Push-constant blocks, laid out as in the shaders (4-byte fields).
struct MoeRoutePush { uint32_t n_expert, n_used, rows, stride; };
struct MatIdPush {
    uint32_t k, n, w_stride, x_stride, y_stride, part_row0, part_rows, n_used, src_per_slot, row0, slot0, n_expert;
};
struct MoeGroupPush { uint32_t n_expert, slots; };
struct MoeSumPush { uint32_t n, n_used, total; };
struct ScaleSigmoidPush { uint32_t n, total; };

// mul_mat_id's workgroup: threads striding over one weight row's chunks.
constexpr uint32_t kMatIdWg = 32;
// Batch rows from which mul_mat_id groups the slots by expert (decode has
// one slot per chosen expert: nothing to share).
constexpr int64_t kGroupedMinRows = 4;

bool is_f32(const Tensor *t) { return t && t->type == LOOM_TYPE_F32; }

} // namespace

Status VulkanSession::moe_route(Tensor *ids, Tensor *weights, const Tensor *logits, int k, int64_t rows) {
    LOOM_TRY(op_boundary());   // a stepped decode may submit here
    LOOM_TRY(need(ids->type == LOOM_TYPE_I32 && is_f32(weights) && is_f32(logits), "moe_route",
                  "ids must be I32, weights and logits F32"));
    LOOM_TRY(need(k >= 1 && k <= logits->ne[0] && ids->ne[0] == k && weights->ne[0] == k && rows > 0 &&
                      rows <= ids->ne[1] && rows <= weights->ne[1] && rows <= logits->ne[1],
                  "moe_route", "shapes do not match ([rows][k] ids and weights, k <= experts)"));
    const Pipeline *p = nullptr;
    LOOM_TRY(pipeline("moe_route", kWorkgroup, &p));
    MoeRoutePush pc{uint32_t(logits->ne[0]), uint32_t(k), uint32_t(rows), uint32_t(logits->ne[0])};
    return dispatch_flat(*p, {range(ids), range(weights), range(logits)}, &pc, sizeof pc, uint64_t(rows));
}

Status VulkanSession::matmul_id(Tensor *dst, const Tensor *w, const Tensor *src, const Tensor *ids, int n_expert,
                                int k, bool src_per_slot, int64_t rows) {
    LOOM_TRY(op_boundary());   // a stepped decode may submit here
    LOOM_TRY(need(n_expert >= 1 && k >= 1 && k <= n_expert && w->ne[1] % n_expert == 0, "matmul_id",
                  "the weight's rows are not n_expert stacked matrices"));
    const int64_t n = w->ne[1] / n_expert, slots = rows * k;
    LOOM_TRY(need(ids->type == LOOM_TYPE_I32 && ids->ne[0] == k && rows > 0 && rows <= ids->ne[1], "matmul_id",
                  "ids must be I32 [rows][k]"));
    LOOM_TRY(need(is_f32(src) && src->ne[0] == w->ne[0] && (src_per_slot ? slots : rows) <= src->ne[1], "matmul_id",
                  "src must be F32 [rows or rows*k][k_in]"));
    LOOM_TRY(need(is_f32(dst) && dst->ne[0] == n && slots <= dst->ne[1], "matmul_id", "dst must be F32 [rows*k][n]"));
    // Decode: a workgroup per (output row, slot). Batches: the slots grouped
    // by expert first, then a workgroup per (output row, expert) reads the
    // row once per kGroupSlots of its slots.
    const bool grouped = rows >= kGroupedMinRows;
    const Pipeline *p = nullptr;
    LOOM_TRY(pipeline((grouped ? "mul_mat_id_grouped_" : "mul_mat_id_") + shader_type_suffix(w->type), kMatIdWg, &p));
    if (grouped) {
        const Pipeline *g = nullptr;
        LOOM_TRY(pipeline("moe_group", 1, &g));
        LOOM_TRY(reserve_groups(VkDeviceSize(2 * n_expert + 1 + slots) * 4));
        MoeGroupPush gp{uint32_t(n_expert), uint32_t(slots)};
        LOOM_TRY(stream_.dispatch(*g, {groups_, range(ids)}, &gp, sizeof gp, 1));
    }
    const int64_t cols = grouped ? n_expert : slots; // the grid's second dimension
    // One dispatch per weight part (its workgroups for rows of other parts
    // return at once) and per 65535 x 65535 block of the grid.
    for (const VkTensor::Part &part : vt(w)->parts) {
        for (int64_t c0 = 0; c0 < cols; c0 += kMaxGroups) {
            for (int64_t r0 = 0; r0 < n; r0 += kMaxGroups) {
                MatIdPush pc{uint32_t(w->ne[0]),   uint32_t(n),          uint32_t(w->row_bytes),
                             uint32_t(src->ne[0]), uint32_t(dst->ne[0]), uint32_t(part.row0),
                             uint32_t(part.rows),  uint32_t(k),          src_per_slot ? 1u : 0u,
                             uint32_t(r0),         uint32_t(c0),         uint32_t(n_expert)};
                const uint32_t gx = uint32_t(std::min<int64_t>(kMaxGroups, n - r0));
                const uint32_t gy = uint32_t(std::min<int64_t>(kMaxGroups, cols - c0));
                LOOM_TRY(stream_.dispatch(*p, {part.buf, range(src), range(dst), grouped ? groups_ : range(ids)}, &pc,
                                          sizeof pc, gx, gy));
            }
        }
    }
    return Status::ok();
}

Status VulkanSession::reserve_groups(VkDeviceSize bytes) {
    if (groups_.block >= 0 && groups_.size >= bytes) return Status::ok();
    BufferRange b;
    LOOM_TRY(alloc_.alloc(MemKind::Device, std::max<VkDeviceSize>(bytes, 4096), &b));
    if (groups_.block >= 0) retired_.push_back(groups_);   // a dispatch recorded earlier may still read it
    groups_ = b;
    return Status::ok();
}

Status VulkanSession::moe_sum(Tensor *dst, const Tensor *src, const Tensor *weights, int k, int64_t rows) {
    LOOM_TRY(op_boundary());   // a stepped decode may submit here
    LOOM_TRY(need(is_f32(dst) && is_f32(src) && is_f32(weights) && k >= 1 && src->ne[0] == dst->ne[0] &&
                      weights->ne[0] == k && rows > 0 && rows <= dst->ne[1] && rows * k <= src->ne[1] &&
                      rows <= weights->ne[1],
                  "moe_sum", "shapes or types do not match (dst [rows][n], src [rows*k][n], weights [rows][k], F32)"));
    const Pipeline *p = nullptr;
    LOOM_TRY(pipeline("moe_sum", kWorkgroup, &p));
    const uint64_t total = uint64_t(rows) * uint64_t(dst->ne[0]);
    MoeSumPush pc{uint32_t(dst->ne[0]), uint32_t(k), uint32_t(total)};
    return dispatch_flat(*p, {range(dst), range(src), range(weights)}, &pc, sizeof pc, total);
}

Status VulkanSession::scale_sigmoid(Tensor *x, const Tensor *g, int64_t rows) {
    LOOM_TRY(op_boundary());   // a stepped decode may submit here
    LOOM_TRY(need(is_f32(x) && is_f32(g) && g->ne[0] == 1 && rows > 0 && rows <= x->ne[1] && rows <= g->ne[1],
                  "scale_sigmoid", "x must be F32 [rows][n] and g F32 [rows][1]"));
    const Pipeline *p = nullptr;
    LOOM_TRY(pipeline("scale_sigmoid", kWorkgroup, &p));
    const uint64_t total = uint64_t(rows) * uint64_t(x->ne[0]);
    ScaleSigmoidPush pc{uint32_t(x->ne[0]), uint32_t(total)};
    return dispatch_flat(*p, {range(x), range(g)}, &pc, sizeof pc, total);
}

} // namespace loom::vk
