// Defaults of the optional Session ops: a backend that does not implement
// them says so (the model checks Backend::supports_experts() at load, so
// these are reached only through a bug).
#include "backends/backend.h"

namespace loom {

namespace {
Status no_experts(const char *op) {
    return error(LOOM_ERR_UNSUPPORTED, "this backend has no %s op (mixture-of-experts models run on the CPU and Vulkan backends)", op);
}
} // namespace

Status Session::moe_route(Tensor *, Tensor *, const Tensor *, int, int64_t) { return no_experts("moe_route"); }
Status Session::matmul_id(Tensor *, const Tensor *, const Tensor *, const Tensor *, int, int, bool, int64_t) {
    return no_experts("matmul_id");
}
Status Session::moe_sum(Tensor *, const Tensor *, const Tensor *, int, int64_t) { return no_experts("moe_sum"); }
Status Session::scale_sigmoid(Tensor *, const Tensor *, int64_t) { return no_experts("scale_sigmoid"); }
Status Session::sum_squares(Tensor *, const Tensor *, int64_t) {
    return error(LOOM_ERR_UNSUPPORTED, "this backend has no sum_squares op (importance matrices are collected on the "
                                       "CPU backend)");
}

} // namespace loom
