// Parity of the AMX int8 tile matmuls (kernels/x86_amx.cpp: Q4_0, IQ4_NL,
// Q8_0 at the Avx512 level) with the scalar reference, within the
// tolerance of test_kernels.cpp (|got - want| <= 2e-5 * sum|w*a|: exact
// block sums, f32 scaling), and bit for bit with the Avx512 kernels where
// those sum the same blocks in one pass (x86_amx.cpp). Shapes hit the
// fallback (< 16 activation rows), full and overlapping tail activation
// tiles, passes of 32 blocks and odd block counts.
//
// On CPUs (or OSes, or under valgrind) without AMX the parity test has
// nothing to run: it says so with WARN (Catch2 2.x has no SKIP) and checks
// only that the table fell back to the Avx512 kernels.
#include "kernel_fixture.h"

#include "cpu/kernels/cpuid.h"
#include "cpu/kernels/packed.h"
#include "cpu/kernels/simd_tables.h"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace kt;
using loom::cpu::MatmulKernels;

namespace {

constexpr loom_type kAmxTypes[] = {LOOM_TYPE_Q4_0, LOOM_TYPE_IQ4_NL, LOOM_TYPE_Q8_0};

struct Shape {
    int64_t k, n_rows, n_act;
};

std::vector<Shape> amx_shapes() {
    std::vector<Shape> out;
    for (int64_t k : {32, 64, 96, 896})
        for (int64_t n_rows : {16, 40, 48, 160})
            for (int64_t n_act : {5, 16, 17, 33, 64}) out.push_back({k, n_rows, n_act});
    out.push_back({896, 16, 512});
    out.push_back({64, 48, 512});
    out.push_back({32, 160, 512});
    out.push_back({4864, 16, 17}); // 152 blocks: 5 passes, the last of 24
    out.push_back({4864, 48, 33});
    out.push_back({4864, 160, 16});
    out.push_back({4864, 40, 20});
    return out;
}

// out = fn(...) in a guard-filled buffer with a row stride wider than n_rows.
template <class Fn>
std::vector<float> run(const Fn &fn, const Shape &s, const uint8_t *w, size_t ws, const std::vector<uint8_t> &a,
                       size_t as, size_t os) {
    std::vector<float> out(os * s.n_act + 16, guard_float());
    fn(s.k, w, ws, s.n_rows, a.data(), as, s.n_act, out.data(), os);
    for (size_t i = 0; i < out.size(); ++i) {
        const bool inside = int64_t(i / os) < s.n_act && int64_t(i % os) < s.n_rows;
        if (inside == is_guard(out[i])) {
            CAPTURE(i, out[i]);
            REQUIRE(inside != is_guard(out[i]));
        }
    }
    return out;
}

void require_near(const std::vector<float> &got, const std::vector<float> &want, const std::vector<double> &mag,
                  const Shape &s, size_t os) {
    for (int64_t j = 0; j < s.n_act; ++j)
        for (int64_t r = 0; r < s.n_rows; ++r) {
            const double g = got[j * os + r], ref = want[j * os + r], m = mag[j * s.n_rows + r];
            if (!std::isfinite(m) || std::fabs(g - ref) <= 2e-5 * m + 1e-30) continue;
            CAPTURE(j, r, g, ref, m);
            REQUIRE(std::fabs(g - ref) <= 2e-5 * m + 1e-30);
        }
}

void require_same(const std::vector<float> &got, const std::vector<float> &want) {
    if (std::memcmp(got.data(), want.data(), 4 * got.size()) == 0) return;
    for (size_t i = 0; i < got.size(); ++i) {
        if (std::memcmp(&got[i], &want[i], 4) == 0) continue;
        CAPTURE(i, got[i], want[i]);
        REQUIRE(std::memcmp(&got[i], &want[i], 4) == 0);
    }
}

} // namespace

TEST_CASE("amx_table_is_picked_iff_the_cpu_has_amx_int8_or_amx_bf16", "[kernels_amx]") {
    const bool int8 = loom::cpu::x86_has_amx_int8(), bf16 = loom::cpu::x86_has_amx_bf16();
    if (int8 || bf16) REQUIRE(loom::cpu::detected_isa() == Isa::Avx512);
    if (bf16) REQUIRE(loom::cpu::x86_has_avx512_bf16());
    for (Isa isa : isa_levels())
        for (loom_type t : all_weight_types()) {
            CAPTURE(loom::cpu::isa_name(isa), loom::type_traits(t)->name);
            const bool int8_type = t == LOOM_TYPE_Q4_0 || t == LOOM_TYPE_IQ4_NL || t == LOOM_TYPE_Q8_0;
            const bool want = isa == Isa::Avx512 && ((int8 && int8_type) || (bf16 && t == LOOM_TYPE_BF16));
            const MatmulKernels *got = loom::cpu::matmul_kernels(t, isa);
            REQUIRE((got == loom::cpu::amx_kernels(t)) == want);
            if (!want) continue;
            // the same act conversion and repack as the level they replace
            const MatmulKernels *base =
                t == LOOM_TYPE_BF16 ? loom::cpu::avx512bf16_kernels(t) : loom::cpu::avx512_kernels(t);
            REQUIRE(got->act_type == base->act_type);
            REQUIRE(got->convert_act == base->convert_act);
            REQUIRE(got->repack == base->repack);
        }
}

TEST_CASE("loom_cpu_amx_0_and_isa_caps_below_avx512_turn_amx_off", "[kernels_amx]") {
    using loom::cpu::amx_allowed;
    REQUIRE(amx_allowed(nullptr, nullptr));
    REQUIRE_FALSE(amx_allowed("0", nullptr));
    REQUIRE(amx_allowed("1", nullptr));
    REQUIRE(amx_allowed("", nullptr));
    REQUIRE(amx_allowed(nullptr, "avx512"));
    REQUIRE_FALSE(amx_allowed(nullptr, "avx2"));
    REQUIRE_FALSE(amx_allowed(nullptr, "scalar"));
    REQUIRE_FALSE(amx_allowed("1", "avx2"));
    REQUIRE(amx_allowed(nullptr, "neon")); // another family: ignored, as LOOM_CPU_ISA is
    REQUIRE_FALSE(amx_allowed("0", "avx512"));
    // The process-wide choice honours the environment the test runs in.
    if (!amx_allowed(std::getenv("LOOM_CPU_AMX"), std::getenv("LOOM_CPU_ISA")))
        REQUIRE_FALSE((loom::cpu::x86_has_amx_int8() || loom::cpu::x86_has_amx_bf16()));
}

TEST_CASE("amx_matmuls_match_scalar_and_avx512", "[kernels_amx]") {
    if (!loom::cpu::x86_has_amx_int8()) {
        WARN("AMX-INT8 not usable here (CPU, OS, LOOM_CPU_AMX=0 or valgrind): the AMX kernels were not run");
        return;
    }
    std::mt19937 rng(2024);
    for (loom_type t : kAmxTypes) {
        const MatmulKernels *amx = loom::cpu::amx_kernels(t), *avx = loom::cpu::avx512_kernels(t);
        const MatmulKernels *scalar = loom::cpu::matmul_kernels(t, Isa::Scalar);
        for (const Shape &s : amx_shapes()) {
            CAPTURE(loom::type_traits(t)->name, s.k, s.n_rows, s.n_act);
            const auto w = random_weights(t, s.n_rows, s.k, rng);
            const size_t ws = w.size() / s.n_rows, as = loom::cpu::act_row_bytes(LOOM_TYPE_Q8_0, s.k) + 40;
            std::vector<uint8_t> a(as * s.n_act, kGuardByte);
            std::normal_distribution<float> nd(0.0f, 1.0f);
            std::vector<float> x(static_cast<size_t>(s.k));
            for (int64_t j = 0; j < s.n_act; ++j) {
                for (float &v : x) v = nd(rng);
                scalar->convert_act(x.data(), &a[j * as], s.k);
            }
            const size_t os = s.n_rows + 3;
            const auto want = run(scalar->matmul, s, w.data(), ws, a, as, os);
            const auto mag = magnitudes(t, w, s.n_rows, s.k, LOOM_TYPE_Q8_0, a, as, s.n_act);
            const auto got = run(amx->matmul, s, w.data(), ws, a, as, os);
            require_near(got, want, mag, s, os);
            require_same(got, run(avx->matmul, s, w.data(), ws, a, as, os)); // gemm16's passes
            if (!amx->repack || s.n_rows % loom::cpu::kPackRows) continue;
            std::vector<uint8_t> packed(w.size() + 64, kGuardByte);
            amx->repack(w.data(), packed.data(), s.n_rows, s.k);
            const std::vector<uint8_t> packed_copy = packed;
            const auto got_p = run(amx->matmul_packed, s, packed.data(), ws, a, as, os);
            REQUIRE(packed == packed_copy);
            require_near(got_p, want, mag, s, os);
            // matmul_packed512 sums in one pass up to 64 blocks (calls of < 8 groups) or 1024
            const int64_t nb = s.k / 32;
            if (nb <= 64 || s.n_rows >= 128) require_same(got_p, run(avx->matmul_packed, s, packed.data(), ws, a, as, os));
        }
    }
}

// BF16 on bf16 tiles (x86_amx.cpp, matmul_bf16_amx): against the dot
// products of the same bf16 weights and bf16 activations in double, within
// 2e-5 * sum|w*a| (f32 sums of exact products), and against the AVX512_BF16
// kernel it falls back to. Shapes: k not a multiple of 32 (all fallback),
// fewer than 16 activation or weight rows (all fallback), tails of both
// beside the tiles, odd counts of tiles and groups, several chunks of k
// (4864 = 152 blocks: 10 chunks of 16).
TEST_CASE("amx_bf16_matmul_matches_exact_dots_and_avx512_bf16", "[kernels_amx]") {
    if (!loom::cpu::x86_has_amx_bf16()) {
        WARN("AMX-BF16 not usable here (CPU, OS, LOOM_CPU_AMX=0 or valgrind): the bf16 tile kernel was not run");
        return;
    }
    const MatmulKernels *amx = loom::cpu::amx_kernels(LOOM_TYPE_BF16);
    const MatmulKernels *dp = loom::cpu::avx512bf16_kernels(LOOM_TYPE_BF16);
    REQUIRE(amx != nullptr);
    REQUIRE(amx->act_type == LOOM_TYPE_BF16);
    std::mt19937 rng(77);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    const auto bf16 = [](const uint8_t *p, int64_t i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        const uint32_t u = uint32_t(h) << 16;
        float f;
        std::memcpy(&f, &u, 4);
        return double(f);
    };
    std::vector<Shape> shapes;
    for (int64_t k : {32, 96, 896})
        for (int64_t n_rows : {16, 40, 48})
            for (int64_t n_act : {5, 16, 17, 33, 64}) shapes.push_back({k, n_rows, n_act});
    for (Shape s : {Shape{45, 32, 20}, Shape{4864, 48, 33}, Shape{4864, 16, 16}, Shape{896, 160, 48},
                    Shape{64, 15, 40}})
        shapes.push_back(s);
    for (const Shape &s : shapes) {
        CAPTURE(s.k, s.n_rows, s.n_act);
        const size_t ws = 2 * size_t(s.k) + 16, as = loom::cpu::act_row_bytes(LOOM_TYPE_BF16, s.k) + 40;
        std::vector<uint8_t> w(ws * s.n_rows, kGuardByte), a(as * s.n_act, kGuardByte);
        std::vector<float> x(static_cast<size_t>(s.k));
        for (int64_t r = 0; r < s.n_rows; ++r) {
            for (float &v : x) v = nd(rng);
            loom::type_traits(LOOM_TYPE_BF16)->from_float(x.data(), &w[r * ws], s.k);
        }
        for (int64_t j = 0; j < s.n_act; ++j) {
            for (float &v : x) v = nd(rng);
            x[(j * 7) % s.k] *= 8.0f;
            amx->convert_act(x.data(), &a[j * as], s.k);
        }
        std::vector<float> want(size_t(s.n_act * s.n_rows));
        std::vector<double> mag(want.size());
        for (int64_t j = 0; j < s.n_act; ++j)
            for (int64_t r = 0; r < s.n_rows; ++r) {
                double sum = 0, m = 0;
                for (int64_t i = 0; i < s.k; ++i) {
                    const double p = bf16(&w[r * ws], i) * bf16(&a[j * as], i);
                    sum += p;
                    m += std::fabs(p);
                }
                want[j * s.n_rows + r] = float(sum);
                mag[j * s.n_rows + r] = m;
            }
        const size_t os = s.n_rows + 3;
        const auto got = run(amx->matmul, s, w.data(), ws, a, as, os);
        const auto ref = run(dp->matmul, s, w.data(), ws, a, as, os);
        for (int64_t j = 0; j < s.n_act; ++j)
            for (int64_t r = 0; r < s.n_rows; ++r) {
                const double g = got[j * os + r], e = want[j * s.n_rows + r], m = mag[j * s.n_rows + r];
                const double d = ref[j * os + r];
                if (std::fabs(g - e) <= 2e-5 * m && std::fabs(g - d) <= 4e-5 * m) continue;
                CAPTURE(j, r, g, e, d, m);
                REQUIRE(std::fabs(g - e) <= 2e-5 * m);
                REQUIRE(std::fabs(g - d) <= 4e-5 * m);
            }
    }
}
