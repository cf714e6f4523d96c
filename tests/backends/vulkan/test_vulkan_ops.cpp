// Every Vulkan op and every shader variant against references computed here
// from the math, with weights decoded by lib/quant's reference codecs
// (checkasm-style: random blocks, odd sizes). Tolerances are stated per op.
#include <catch2/catch.hpp>

#include "vk_fixture.h"

#include "quant/quant.h"
#include "vulkan/shader_table.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

using loom::Tensor;

namespace {

struct Run {
    std::unique_ptr<loom::Session> s;
    explicit Run(loom::Backend &b = vktest::backend()) {
        loom::SessionParams sp;
        REQUIRE(b.new_session(sp, &s).is_ok());
    }
    Tensor *tensor(loom_type type, int64_t cols, int64_t rows, const void *data = nullptr, size_t size = 0) {
        Tensor *t = nullptr;
        loom::Status st = s->alloc(type, cols, rows, &t);
        INFO(st.message());
        REQUIRE(st.is_ok());
        if (data) REQUIRE(s->upload(t, 0, data, size).is_ok());
        return t;
    }
    Tensor *f32(int64_t cols, int64_t rows, const std::vector<float> &v) {
        return tensor(LOOM_TYPE_F32, cols, rows, v.data(), v.size() * 4);
    }
    Tensor *i32(const std::vector<int32_t> &v) {
        return tensor(LOOM_TYPE_I32, int64_t(v.size()), 1, v.data(), v.size() * 4);
    }
    std::vector<float> read(const Tensor *t, size_t n) {
        std::vector<float> v(n);
        REQUIRE(s->download(t, 0, v.data(), n * 4).is_ok());
        return v;
    }
};

Tensor *weight(loom_type type, int64_t cols, int64_t rows, const std::vector<uint8_t> &bytes,
               loom::Backend &b = vktest::backend()) {
    Tensor *w = nullptr;
    loom::Status st = b.create_weight(type, cols, rows, bytes.data(), &w);
    INFO(st.message());
    REQUIRE(st.is_ok());
    return w;
}

std::vector<int64_t> test_lengths(loom_type type) {
    int64_t bs = loom::type_traits(type)->block_size;
    if (bs == 1) return {1, 17, 64, 131};
    if (bs == 32) return {32, 96, 160};
    return {256, 768};
}

void require_validation_clean() { REQUIRE(vktest::validation_messages() == 0); }

} // namespace

// The tests below loop over vktest::shader_types(): it must name exactly the
// weight types shaders/meson.build compiles, each with every typed op.
TEST_CASE("every_weight_type_with_shaders_is_tested_with_every_op") {
    const std::vector<loom_type> &tested = vktest::shader_types();
    for (int n = 0; n <= LOOM_TYPE_TQ2_0; n++) {
        const loom::TypeTraits *t = loom::type_traits(loom_type(n));
        if (!t) continue;
        std::string suffix = t->name;
        std::transform(suffix.begin(), suffix.end(), suffix.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        INFO("type " << t->name);
        bool has = loom::vk::find_shader(("get_rows_" + suffix).c_str()) != nullptr;
        REQUIRE(has == (std::find(tested.begin(), tested.end(), loom_type(n)) != tested.end()));
        if (!has) continue;
        for (const char *op : {"mul_mat_vec_", "mul_mat_vec_sg_", "mul_mm_", "mul_mat_rows_", "mul_mat_id_"}) {
            INFO("op " << op);
            REQUIRE(loom::vk::find_shader((op + suffix).c_str()) != nullptr);
        }
    }
}

// Tolerance: an f32 sum of k products (strided per thread, then a tree)
// errs by at most ~k*2^-24*sum|w*x| in the worst case and ~sqrt(k)*2^-24 in
// practice; 1e-5*sum|w*x| (= 168 ulp) bounds k <= 768 used here.
// Both kernel families: mul_mat_rows (per-row, the default on CPU-type
// devices) and mul_mat_vec + mul_mm (GPU style, tiled from 4 rows on).
TEST_CASE("matmul_matches_reference_for_every_type_and_kernel") {
    std::mt19937 rng(1234);
    for (loom::Backend *backend : {&vktest::backend(), &vktest::gpu_kernels_backend()}) {
    Run run(*backend);
    for (loom_type type : vktest::shader_types()) {
        const char *name = loom::type_traits(type)->name;
        for (int64_t k : test_lengths(type)) {
            for (int64_t n_out : {1, 7, 70}) {
                for (int64_t rows : {1, 3, 37}) { // 37: the tiled mul_mm path, two column tiles
                    INFO("type " << name << " k " << k << " n_out " << n_out << " rows " << rows);
                    std::vector<uint8_t> bytes;
                    std::vector<float> w;
                    if (!vktest::random_rows(type, n_out, k, rng, &bytes, &w)) {
                        WARN("lib/quant has no reference decoder for " << name << " yet: not tested");
                        goto next_type;
                    }
                    {
                        Tensor *W = weight(type, k, n_out, bytes, *backend);
                        std::vector<float> x = vktest::random_floats(size_t(k * rows), rng);
                        std::vector<float> bias = vktest::random_floats(size_t(n_out), rng);
                        bool with_bias = rows != 1;
                        Tensor *X = run.f32(k, rows, x), *Y = run.tensor(LOOM_TYPE_F32, n_out, rows);
                        Tensor *B = with_bias ? run.f32(n_out, 1, bias) : nullptr;
                        REQUIRE(run.s->begin_graph().is_ok());
                        REQUIRE(run.s->matmul(Y, W, X, B, rows).is_ok());
                        REQUIRE(run.s->compute(nullptr).is_ok());
                        std::vector<float> y = run.read(Y, size_t(n_out * rows));
                        for (int64_t j = 0; j < rows; j++) {
                            for (int64_t r = 0; r < n_out; r++) {
                                double ref = with_bias ? bias[size_t(r)] : 0.0, mag = std::fabs(ref);
                                for (int64_t i = 0; i < k; i++) {
                                    double p = double(w[size_t(r * k + i)]) * x[size_t(j * k + i)];
                                    ref += p;
                                    mag += std::fabs(p);
                                }
                                INFO("row " << r << " col " << j);
                                REQUIRE(std::fabs(y[size_t(j * n_out + r)] - ref) <= 1e-5 * mag + 1e-30);
                            }
                        }
                    }
                }
            }
        }
    next_type:;
    }
    }
    require_validation_clean();
}

// Dequantization is exact up to one rounding of d*q + m (fused or not):
// 1e-6 of the row's largest magnitude.
TEST_CASE("get_rows_matches_reference_for_every_type") {
    std::mt19937 rng(99);
    Run run;
    const int64_t n_table = 9;
    const std::vector<int32_t> ids = {3, 0, 8, 3, 5};
    for (loom_type type : vktest::shader_types()) {
        const char *name = loom::type_traits(type)->name;
        for (int64_t k : test_lengths(type)) {
            INFO("type " << name << " k " << k);
            std::vector<uint8_t> bytes;
            std::vector<float> table;
            if (!vktest::random_rows(type, n_table, k, rng, &bytes, &table)) {
                WARN("lib/quant has no reference decoder for " << name << " yet: not tested");
                break;
            }
            Tensor *T = weight(type, k, n_table, bytes);
            Tensor *I = run.i32(ids), *D = run.tensor(LOOM_TYPE_F32, k, int64_t(ids.size()));
            REQUIRE(run.s->begin_graph().is_ok());
            REQUIRE(run.s->get_rows(D, T, I, int64_t(ids.size())).is_ok());
            REQUIRE(run.s->compute(nullptr).is_ok());
            std::vector<float> d = run.read(D, ids.size() * size_t(k));
            for (size_t i = 0; i < ids.size(); i++) {
                const float *ref = table.data() + size_t(ids[i] * k);
                double mag = 0;
                for (int64_t c = 0; c < k; c++) mag = std::max(mag, double(std::fabs(ref[c])));
                for (int64_t c = 0; c < k; c++) {
                    INFO("id " << ids[i] << " value " << c);
                    REQUIRE(std::fabs(d[i * size_t(k) + size_t(c)] - ref[c]) <= 1e-6 * mag);
                }
            }
        }
    }
    require_validation_clean();
}

// A weight larger than one storage-buffer range is split into row parts:
// matmul and get_rows must stitch them (the fixture caps ranges at 64 KiB).
TEST_CASE("weights_split_across_buffer_ranges_compute_like_one") {
    std::mt19937 rng(7);
    Run run;
    const int64_t k = 131, n_out = 200; // 200 * 131 * 4 bytes > 64 KiB
    std::vector<uint8_t> bytes;
    std::vector<float> w;
    REQUIRE(vktest::random_rows(LOOM_TYPE_F32, n_out, k, rng, &bytes, &w));
    Tensor *W = weight(LOOM_TYPE_F32, k, n_out, bytes);
    REQUIRE(static_cast<loom::vk::VkTensor *>(W)->parts.size() > 1);
    std::vector<float> x = vktest::random_floats(size_t(k), rng);
    std::vector<int32_t> ids = {199, 0, 150, 31};
    Tensor *X = run.f32(k, 1, x), *Y = run.tensor(LOOM_TYPE_F32, n_out, 1), *I = run.i32(ids);
    Tensor *G = run.tensor(LOOM_TYPE_F32, k, int64_t(ids.size()));
    REQUIRE(run.s->begin_graph().is_ok());
    REQUIRE(run.s->matmul(Y, W, X, nullptr, 1).is_ok());
    REQUIRE(run.s->get_rows(G, W, I, int64_t(ids.size())).is_ok());
    REQUIRE(run.s->compute(nullptr).is_ok());
    std::vector<float> y = run.read(Y, size_t(n_out)), g = run.read(G, ids.size() * size_t(k));
    for (int64_t r = 0; r < n_out; r++) {
        double ref = 0, mag = 0;
        for (int64_t i = 0; i < k; i++) ref += double(w[size_t(r * k + i)]) * x[size_t(i)], mag += std::fabs(w[size_t(r * k + i)] * x[size_t(i)]);
        REQUIRE(std::fabs(y[size_t(r)] - ref) <= 1e-5 * mag);
    }
    for (size_t i = 0; i < ids.size(); i++)
        for (int64_t c = 0; c < k; c++) REQUIRE(g[i * size_t(k) + size_t(c)] == w[size_t(ids[i] * k + c)]);
    require_validation_clean();
}

// f32 sum of squares in another order, then 1/sqrt: 1e-5 relative.
TEST_CASE("rmsnorm_matches_reference") {
    std::mt19937 rng(5);
    Run run;
    for (int64_t n : {1, 5, 64, 300}) {
        const int64_t rows = 3;
        std::vector<float> x = vktest::random_floats(size_t(n * rows), rng, -3, 3), w = vktest::random_floats(size_t(n), rng);
        Tensor *X = run.f32(n, rows, x), *W = run.f32(n, 1, w), *D = run.tensor(LOOM_TYPE_F32, n, rows);
        REQUIRE(run.s->begin_graph().is_ok());
        REQUIRE(run.s->rmsnorm(D, X, W, 1e-6f, rows).is_ok());
        REQUIRE(run.s->compute(nullptr).is_ok());
        std::vector<float> d = run.read(D, size_t(n * rows));
        for (int64_t r = 0; r < rows; r++) {
            double ss = 0;
            for (int64_t i = 0; i < n; i++) ss += double(x[size_t(r * n + i)]) * x[size_t(r * n + i)];
            double scale = 1.0 / std::sqrt(ss / double(n) + 1e-6);
            for (int64_t i = 0; i < n; i++) {
                double ref = x[size_t(r * n + i)] * scale * w[size_t(i)];
                INFO("n " << n << " row " << r << " i " << i);
                REQUIRE(std::fabs(d[size_t(r * n + i)] - ref) <= 1e-5 * std::fabs(ref) + 1e-6);
            }
        }
    }
    require_validation_clean();
}

// The angle pos*base^(-2j/d) is formed in f32 (relative error ~1e-7, so
// ~4e-4 rad at pos 4095) and Vulkan only promises sin/cos to 2^-11 absolute:
// 2e-3 of the pair's magnitude covers both.
TEST_CASE("rope_matches_reference_in_neox_and_normal_modes") {
    std::mt19937 rng(11);
    Run run;
    const std::vector<int32_t> pos = {0, 5, 100, 4095};
    const int64_t rows = int64_t(pos.size());
    for (int head_dim : {8, 64}) {
        for (loom::RopeMode mode : {loom::RopeMode::Neox, loom::RopeMode::Normal}) {
            const int n_head = 3;
            const int64_t n = n_head * head_dim;
            std::vector<float> x = vktest::random_floats(size_t(n * rows), rng);
            Tensor *X = run.f32(n, rows, x), *P = run.i32(pos);
            REQUIRE(run.s->begin_graph().is_ok());
            REQUIRE(run.s->rope(X, P, mode, n_head, head_dim, 1e6f, rows).is_ok());
            REQUIRE(run.s->compute(nullptr).is_ok());
            std::vector<float> y = run.read(X, size_t(n * rows));
            for (int64_t r = 0; r < rows; r++)
                for (int h = 0; h < n_head; h++)
                    for (int j = 0; j < head_dim / 2; j++) {
                        size_t base = size_t(r * n + h * head_dim);
                        size_t i0 = mode == loom::RopeMode::Neox ? base + size_t(j) : base + size_t(2 * j);
                        size_t i1 = mode == loom::RopeMode::Neox ? i0 + size_t(head_dim / 2) : i0 + 1;
                        double th = pos[size_t(r)] * std::pow(1e6, -2.0 * j / head_dim);
                        double a = x[i0], b = x[i1], mag = std::hypot(a, b);
                        INFO("head_dim " << head_dim << " row " << r << " head " << h << " pair " << j);
                        REQUIRE(std::fabs(y[i0] - (a * std::cos(th) - b * std::sin(th))) <= 2e-3 * mag + 1e-7);
                        REQUIRE(std::fabs(y[i1] - (a * std::sin(th) + b * std::cos(th))) <= 2e-3 * mag + 1e-7);
                    }
        }
    }
    require_validation_clean();
}

// F32 caches keep the bits; F16 caches round to nearest (GLSL leaves the
// rounding of packHalf2x16 to the implementation: at most 1 ulp from RNE).
TEST_CASE("kv_store_writes_cells_in_cache_type") {
    std::mt19937 rng(3);
    Run run;
    const int64_t n = 6, n_ctx = 8;
    const std::vector<int32_t> cells = {5, 0, 2};
    const int64_t rows = int64_t(cells.size());
    for (loom_type type : {LOOM_TYPE_F16, LOOM_TYPE_F32}) {
        std::vector<float> src = vktest::random_floats(size_t(n * rows), rng, -100, 100);
        Tensor *C = run.tensor(type, n, n_ctx), *S = run.f32(n, rows, src), *I = run.i32(cells);
        REQUIRE(run.s->begin_graph().is_ok());
        REQUIRE(run.s->kv_store(C, S, I, rows).is_ok());
        REQUIRE(run.s->compute(nullptr).is_ok());
        size_t esz = type == LOOM_TYPE_F16 ? 2 : 4;
        std::vector<uint8_t> cache(size_t(n * n_ctx) * esz);
        REQUIRE(run.s->download(C, 0, cache.data(), cache.size()).is_ok());
        for (int64_t r = 0; r < rows; r++)
            for (int64_t i = 0; i < n; i++) {
                float v = src[size_t(r * n + i)];
                size_t at = size_t(cells[size_t(r)] * n + i);
                if (type == LOOM_TYPE_F32) {
                    float got;
                    std::memcpy(&got, cache.data() + at * 4, 4);
                    REQUIRE(got == v);
                } else {
                    uint16_t got;
                    std::memcpy(&got, cache.data() + at * 2, 2);
                    REQUIRE(std::abs(int(got) - int(loom::fp32_to_fp16(v))) <= 1);
                }
            }
        // Cells not written stay zero.
        for (int64_t c : {1, 3, 4, 6, 7})
            for (size_t b = 0; b < size_t(n) * esz; b++) REQUIRE(cache[size_t(c * n) * esz + b] == 0);
    }
    require_validation_clean();
}

// Scores, softmax and the weighted sum in f32 against a double reference:
// Vulkan's exp is good to ~3 ulp and sums run over <= 300 cells; 1e-4 of
// the output magnitude (values and weights are O(1)).
TEST_CASE("attention_matches_reference_with_gqa_masks_and_long_caches") {
    std::mt19937 rng(21);
    Run run;
    const int n_head = 4, n_head_kv = 2, head_dim = 16, rows = 3;
    const int64_t nq = n_head * head_dim, nkv = n_head_kv * head_dim;
    for (loom_type type : {LOOM_TYPE_F16, LOOM_TYPE_F32}) {
        for (int64_t n_kv : {1, 7, 300}) {
            std::vector<float> q = vktest::random_floats(size_t(nq * rows), rng, -2, 2);
            std::vector<float> kf = vktest::random_floats(size_t(nkv * n_kv), rng, -2, 2);
            std::vector<float> vf = vktest::random_floats(size_t(nkv * n_kv), rng, -2, 2);
            std::vector<float> mask(size_t(rows * n_kv), 0.0f);
            for (int64_t c = 0; c < n_kv; c++) {
                if (c > 0 && c > n_kv - 2) mask[size_t(0 * n_kv + c)] = -INFINITY; // causal-like (a row keeps one cell)
                if (c % 3 == 1) mask[size_t(1 * n_kv + c)] = -INFINITY;     // another sequence's cells
                if (n_kv > 260 && c < n_kv - 21) mask[size_t(2 * n_kv + c)] = -INFINITY; // whole first tile masked
            }
            // Row 1 reads only cells [lo1, n_kv) (its own range; the mask is
            // relative to it); the reference sees cells before it as masked.
            const int64_t lo1 = n_kv > 1 ? 1 : 0;
            for (int64_t c = 0; c < lo1; c++) mask[size_t(1 * n_kv + c)] = -INFINITY;
            std::vector<int32_t> ranges = {0, int32_t(n_kv), int32_t(lo1), int32_t(n_kv), 0, int32_t(n_kv)};
            std::vector<float> rel = mask;
            std::copy(mask.begin() + n_kv + lo1, mask.begin() + 2 * n_kv, rel.begin() + n_kv);
            // The cache as stored (f16-rounded for F16 caches) is the reference's K/V.
            std::vector<uint8_t> kb, vb;
            auto store = [&](std::vector<float> &f, std::vector<uint8_t> &b) {
                if (type == LOOM_TYPE_F32) {
                    b.resize(f.size() * 4);
                    std::memcpy(b.data(), f.data(), b.size());
                    return;
                }
                b.resize(f.size() * 2);
                for (size_t i = 0; i < f.size(); i++) {
                    uint16_t h = loom::fp32_to_fp16(f[i]);
                    std::memcpy(b.data() + 2 * i, &h, 2);
                    f[i] = loom::fp16_to_fp32(h);
                }
            };
            store(kf, kb);
            store(vf, vb);
            Tensor *Q = run.f32(nq, rows, q), *M = run.f32(n_kv, rows, rel), *O = run.tensor(LOOM_TYPE_F32, nq, rows);
            Tensor *R = run.tensor(LOOM_TYPE_I32, 2, rows, ranges.data(), ranges.size() * 4);
            Tensor *K = run.tensor(type, nkv, n_kv, kb.data(), kb.size()), *V = run.tensor(type, nkv, n_kv, vb.data(), vb.size());
            const float scale = 1.0f / std::sqrt(float(head_dim));
            REQUIRE(run.s->begin_graph().is_ok());
            REQUIRE(run.s->attention(O, Q, K, V, R, M, n_head, n_head_kv, head_dim, scale, n_kv, rows).is_ok());
            REQUIRE(run.s->compute(nullptr).is_ok());
            std::vector<float> o = run.read(O, size_t(nq * rows));
            for (int i = 0; i < rows; i++)
                for (int h = 0; h < n_head; h++) {
                    int hk = h / (n_head / n_head_kv);
                    std::vector<double> s(static_cast<size_t>(n_kv));
                    double mx = -INFINITY, sum = 0;
                    for (int64_t c = 0; c < n_kv; c++) {
                        double d = 0;
                        for (int e = 0; e < head_dim; e++)
                            d += double(q[size_t(i * nq + h * head_dim + e)]) * kf[size_t(c * nkv + hk * head_dim + e)];
                        s[size_t(c)] = d * scale + mask[size_t(i * n_kv + c)];
                        mx = std::max(mx, s[size_t(c)]);
                    }
                    for (double &x : s) sum += (x = std::exp(x - mx));
                    for (int e = 0; e < head_dim; e++) {
                        double ref = 0;
                        for (int64_t c = 0; c < n_kv; c++) ref += s[size_t(c)] * vf[size_t(c * nkv + hk * head_dim + e)];
                        ref /= sum;
                        INFO("type " << (type == LOOM_TYPE_F16 ? "F16" : "F32") << " n_kv " << n_kv << " row " << i << " head " << h << " dim " << e);
                        REQUIRE(std::fabs(o[size_t(i * nq + h * head_dim + e)] - ref) <= 1e-4 * (1 + std::fabs(ref)));
                    }
                }
        }
    }
    require_validation_clean();
}

// silu uses exp (~3 ulp in Vulkan): 1e-5 relative.
TEST_CASE("swiglu_and_add_match_reference_and_allow_aliasing") {
    std::mt19937 rng(8);
    Run run;
    const int64_t n = 37, rows = 3;
    std::vector<float> a = vktest::random_floats(size_t(n * rows), rng, -6, 6), b = vktest::random_floats(size_t(n * rows), rng, -6, 6);
    Tensor *A = run.f32(n, rows, a), *B = run.f32(n, rows, b), *D = run.tensor(LOOM_TYPE_F32, n, rows);
    REQUIRE(run.s->begin_graph().is_ok());
    REQUIRE(run.s->swiglu(D, A, B, rows).is_ok());
    REQUIRE(run.s->add(A, A, B, rows - 1).is_ok()); // in place, leading rows only
    REQUIRE(run.s->compute(nullptr).is_ok());
    std::vector<float> d = run.read(D, size_t(n * rows)), s = run.read(A, size_t(n * rows));
    for (size_t i = 0; i < d.size(); i++) {
        double g = a[i], ref = g / (1 + std::exp(-g)) * b[i];
        REQUIRE(std::fabs(d[i] - ref) <= 1e-5 * std::fabs(ref) + 1e-7);
        float add_ref = i < size_t(n * (rows - 1)) ? a[i] + b[i] : a[i];
        REQUIRE(s[i] == add_ref);
    }
    require_validation_clean();
}

// --- mixture of experts ---------------------------------------------------------

namespace {

// The expected choice of moe_route: softmax, then the k largest (ties: lower expert first).
void route_reference(const float *l, int n_expert, int k, std::vector<int32_t> *ids, std::vector<double> *p) {
    double mx = -INFINITY, sum = 0;
    for (int e = 0; e < n_expert; e++) mx = std::max(mx, double(l[e]));
    for (int e = 0; e < n_expert; e++) sum += std::exp(double(l[e]) - mx);
    std::vector<int> order(static_cast<size_t>(n_expert));
    for (int e = 0; e < n_expert; e++) order[size_t(e)] = e;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return l[a] > l[b]; });
    for (int j = 0; j < k; j++) {
        ids->push_back(order[size_t(j)]);
        p->push_back(std::exp(double(l[order[size_t(j)]]) - mx) / sum);
    }
}

// matmul_id's reference: dst[i*k + j] = W_{ids[i*k+j]} . src[per_slot ? i*k+j : i] in double; |terms| summed in mag.
void expert_matmul_reference(const std::vector<float> &w, const std::vector<float> &x, const std::vector<int32_t> &ids,
                             int64_t n, int64_t k_in, int k, bool per_slot, int64_t slots, std::vector<double> *ref,
                             std::vector<double> *mag) {
    for (int64_t s = 0; s < slots; s++) {
        const int64_t e = ids[size_t(s)], src = per_slot ? s : s / k;
        for (int64_t r = 0; r < n; r++) {
            double acc = 0, m = 0;
            for (int64_t i = 0; i < k_in; i++) {
                const double t = double(w[size_t((e * n + r) * k_in + i)]) * x[size_t(src * k_in + i)];
                acc += t;
                m += std::fabs(t);
            }
            ref->push_back(acc);
            mag->push_back(m);
        }
    }
}

// Runs matmul_id of W (decoded: w) on random inputs and the routing `ids`
// ([rows][k]) and checks it against the reference (the matmul's bound: 1e-5 of sum |w*x|).
void check_matmul_id(Run &run, Tensor *W, const std::vector<float> &w, int n_expert, int k,
                     const std::vector<int32_t> &ids, bool per_slot, std::mt19937 &rng) {
    const int64_t k_in = W->ne[0], n = W->ne[1] / n_expert, rows = int64_t(ids.size()) / k, slots = rows * k;
    std::vector<float> x = vktest::random_floats(size_t(k_in * (per_slot ? slots : rows)), rng);
    Tensor *X = run.f32(k_in, per_slot ? slots : rows, x);
    Tensor *I = run.tensor(LOOM_TYPE_I32, k, rows, ids.data(), ids.size() * 4), *Y = run.tensor(LOOM_TYPE_F32, n, slots);
    REQUIRE(run.s->begin_graph().is_ok());
    REQUIRE(run.s->matmul_id(Y, W, X, I, n_expert, k, per_slot, rows).is_ok());
    REQUIRE(run.s->compute(nullptr).is_ok());
    std::vector<float> y = run.read(Y, size_t(n * slots));
    std::vector<double> ref, mag;
    expert_matmul_reference(w, x, ids, n, k_in, k, per_slot, slots, &ref, &mag);
    for (size_t i = 0; i < ref.size(); i++) {
        INFO("slot " << i / size_t(n) << " row " << i % size_t(n));
        REQUIRE(std::fabs(y[i] - ref[i]) <= 1e-5 * mag[i] + 1e-30);
    }
}

} // namespace

// Routing picks the same experts as the reference, ties included (logits
// drawn from a few values so equal ones are common); the weights are the
// softmax probabilities, exp to ~3 ulp and an f32 sum of <= 60 terms: 1e-5 relative.
TEST_CASE("moe_route_picks_the_top_k_with_ties_to_the_lower_expert") {
    std::mt19937 rng(31);
    Run run;
    for (int n_expert : {4, 8, 60}) {
        for (int k : {1, 2, 4}) {
            const int64_t rows = 5;
            std::vector<float> l(size_t(n_expert * rows));
            for (float &v : l) v = float(int(rng() % 7) - 3) * 0.5f; // many ties
            Tensor *L = run.f32(n_expert, rows, l), *I = run.tensor(LOOM_TYPE_I32, k, rows);
            Tensor *W = run.tensor(LOOM_TYPE_F32, k, rows);
            REQUIRE(run.s->begin_graph().is_ok());
            REQUIRE(run.s->moe_route(I, W, L, k, rows).is_ok());
            REQUIRE(run.s->compute(nullptr).is_ok());
            std::vector<int32_t> ids(size_t(k * rows));
            REQUIRE(run.s->download(I, 0, ids.data(), ids.size() * 4).is_ok());
            std::vector<float> w = run.read(W, size_t(k * rows));
            for (int64_t i = 0; i < rows; i++) {
                std::vector<int32_t> ref_ids;
                std::vector<double> ref_p;
                route_reference(l.data() + i * n_expert, n_expert, k, &ref_ids, &ref_p);
                for (int j = 0; j < k; j++) {
                    INFO("experts " << n_expert << " k " << k << " row " << i << " slot " << j);
                    REQUIRE(ids[size_t(i * k + j)] == ref_ids[size_t(j)]);
                    REQUIRE(std::fabs(w[size_t(i * k + j)] - ref_p[size_t(j)]) <= 1e-5 * ref_p[size_t(j)]);
                }
            }
        }
    }
    require_validation_clean();
}

// The expert matmul for every weight type, inputs per row and per slot,
// against the reference decoding.
TEST_CASE("matmul_id_matches_reference_for_every_type") {
    std::mt19937 rng(77);
    Run run;
    const int n_expert = 5, k = 2;
    const int64_t n = 7;
    // 3 rows (decode kernel: a workgroup per slot); 5 rows (slots grouped by
    // expert, 4 a time: expert 4 has 5 slots, expert 1 none).
    const std::vector<int32_t> ids3 = {4, 0, 2, 4, 1, 3}, ids5 = {4, 0, 2, 4, 0, 4, 4, 3, 4, 2};
    for (loom_type type : vktest::shader_types()) {
        const char *name = loom::type_traits(type)->name;
        const int64_t k_in = test_lengths(type).back();
        std::vector<uint8_t> bytes;
        std::vector<float> w;
        if (!vktest::random_rows(type, n_expert * n, k_in, rng, &bytes, &w)) {
            WARN("lib/quant has no reference decoder for " << name << " yet: not tested");
            continue;
        }
        Tensor *Wt = weight(type, k_in, n_expert * n, bytes);
        for (const std::vector<int32_t> *ids : {&ids3, &ids5}) {
            for (bool per_slot : {false, true}) {
                INFO("type " << name << " k_in " << k_in << " rows " << ids->size() / k << " src per slot " << per_slot);
                check_matmul_id(run, Wt, w, n_expert, k, *ids, per_slot, rng);
            }
        }
    }
    require_validation_clean();
}

// A stack split across buffer ranges (the fixture caps them at 64 KiB) with
// experts straddling parts; the experts no slot chose hold NaN, so reading
// (and using) any of their rows would show.
TEST_CASE("matmul_id_stitches_split_stacks_and_uses_only_the_chosen_experts") {
    std::mt19937 rng(78);
    Run run;
    const int n_expert = 6, k = 2;
    // 180 rows of 524 bytes: parts of 124 rows, so expert 4 (rows 120-149) straddles two.
    const int64_t n = 30, k_in = 131;
    const std::vector<int32_t> ids2 = {3, 4, 1, 4}, ids4 = {3, 4, 1, 4, 4, 3, 1, 3}; // decode and grouped kernels
    std::vector<float> w = vktest::random_floats(size_t(n_expert * n * k_in), rng);
    for (int e : {0, 2, 5})
        std::fill(w.begin() + e * n * k_in, w.begin() + (e + 1) * n * k_in, std::nanf(""));
    std::vector<uint8_t> bytes(w.size() * 4);
    std::memcpy(bytes.data(), w.data(), bytes.size());
    Tensor *Wt = weight(LOOM_TYPE_F32, k_in, n_expert * n, bytes);
    REQUIRE(static_cast<loom::vk::VkTensor *>(Wt)->parts.size() == 2);
    REQUIRE(static_cast<loom::vk::VkTensor *>(Wt)->parts[1].row0 == 124);
    check_matmul_id(run, Wt, w, n_expert, k, ids2, false, rng);
    check_matmul_id(run, Wt, w, n_expert, k, ids4, true, rng);
    require_validation_clean();
}

// moe_sum: k products summed in slot order (as the reference): 1e-6 of sum |w*x|.
// scale_sigmoid: exp to ~3 ulp: 1e-5 relative.
TEST_CASE("moe_sum_and_scale_sigmoid_match_reference") {
    std::mt19937 rng(79);
    Run run;
    const int k = 3;
    const int64_t n = 37, rows = 4;
    std::vector<float> src = vktest::random_floats(size_t(n * rows * k), rng, -4, 4);
    std::vector<float> wts = vktest::random_floats(size_t(rows * k), rng, 0, 1);
    std::vector<float> x = vktest::random_floats(size_t(n * rows), rng, -4, 4);
    std::vector<float> g = vktest::random_floats(size_t(rows), rng, -8, 8);
    Tensor *S = run.f32(n, rows * k, src), *W = run.f32(k, rows, wts), *D = run.tensor(LOOM_TYPE_F32, n, rows);
    Tensor *X = run.f32(n, rows, x), *G = run.f32(1, rows, g);
    REQUIRE(run.s->begin_graph().is_ok());
    REQUIRE(run.s->moe_sum(D, S, W, k, rows).is_ok());
    REQUIRE(run.s->scale_sigmoid(X, G, rows - 1).is_ok()); // leading rows only
    REQUIRE(run.s->compute(nullptr).is_ok());
    std::vector<float> d = run.read(D, size_t(n * rows)), y = run.read(X, size_t(n * rows));
    for (int64_t i = 0; i < rows; i++)
        for (int64_t c = 0; c < n; c++) {
            double ref = 0, mag = 0;
            for (int j = 0; j < k; j++) {
                const double t = double(wts[size_t(i * k + j)]) * src[size_t((i * k + j) * n + c)];
                ref += t;
                mag += std::fabs(t);
            }
            INFO("row " << i << " value " << c);
            REQUIRE(std::fabs(d[size_t(i * n + c)] - ref) <= 1e-6 * mag + 1e-30);
            const double xs = i < rows - 1 ? x[size_t(i * n + c)] / (1 + std::exp(-double(g[size_t(i)]))) : x[size_t(i * n + c)];
            REQUIRE(std::fabs(y[size_t(i * n + c)] - xs) <= 1e-5 * std::fabs(xs) + 1e-30);
        }
    require_validation_clean();
}
