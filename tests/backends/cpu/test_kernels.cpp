// checkasm-style parity of the CPU kernel table: every weight type x every
// ISA level this machine has, against (1) an f64 dot of lib/quant's f32
// decode of the weights with the decoded converted activations, (2) the same
// with the original f32 activations, and (3) the scalar level. Outputs live in
// guard-filled buffers with a row stride wider than n_rows; odd sizes.
//
// Tolerances (why not exact): the per-block integer sums are exact at every
// level, but the f32 scaling and the summation over blocks run in a different
// order (and with FMA) in SIMD code, so levels agree to f32 rounding:
// |got - want| <= 2e-5 * sum|w*a| (+ for the _1 types the fp16 rounding of the
// stored s = d*sum(q): 2^-10 * sum over blocks of |m|*|s|, bounded by max|w|*|s|).
// Against the unquantized activations the 8-bit activation step adds
// sum|w_i| * amax_block/127.
// A level whose activation type differs from the scalar level's (BF16
// weights with AVX512_BF16: bf16 activations, scalar f32) is held to (1)
// with its own decoded activations, to (2) and (3) with the bf16 step
// sum|w_i| * |x_i| * 2^-8 added, and its conversion must equal lib/quant's
// fp32_to_bf16 bit for bit.
#include "kernel_fixture.h"
#include "cpu/kernels/swiglu.h"
#include "cpu/kernels/cpuid.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>

using namespace kt;
using loom::cpu::MatmulKernels;

namespace {

struct Case {
    int64_t k, n_rows, n_act;
};

struct Result {
    std::vector<float> out; // n_act x out_stride, guards included
    std::vector<uint8_t> act;
    size_t act_stride;
};

constexpr size_t kActGuard = 64;

Result run(const MatmulKernels *mk, const std::vector<uint8_t> &w, size_t w_stride, const std::vector<float> &x,
           const Case &c, size_t out_stride) {
    Result r;
    const size_t row = loom::cpu::act_row_bytes(mk->act_type, c.k);
    r.act_stride = row + kActGuard;
    r.act.assign(r.act_stride * c.n_act, kGuardByte);
    for (int64_t j = 0; j < c.n_act; ++j) mk->convert_act(&x[j * c.k], &r.act[j * r.act_stride], c.k);
    r.out.assign(out_stride * c.n_act + 16, guard_float());
    mk->matmul(c.k, w.data(), w_stride, c.n_rows, r.act.data(), r.act_stride, c.n_act, r.out.data(),
               out_stride);
    return r;
}

void check_guards(const Result &r, const Case &c, size_t row_bytes, size_t out_stride) {
    for (int64_t j = 0; j < c.n_act; ++j)
        for (size_t b = row_bytes; b < r.act_stride; ++b)
            REQUIRE(r.act[j * r.act_stride + b] == kGuardByte);
    for (size_t i = 0; i < r.out.size(); ++i) {
        const bool inside = i < out_stride * c.n_act && int64_t(i % out_stride) < c.n_rows;
        if (!inside) REQUIRE(is_guard(r.out[i]));
        else REQUIRE(!is_guard(r.out[i]));
    }
}

std::vector<Case> cases_for(int64_t block) {
    const int64_t kb = block == 256 ? 256 : 32;
    return {{kb, 1, 1}, {kb * 3, 5, 2}, {kb * 7, 13, 9}, {kb * 2, 17, 4}, {kb * 4, 8, 3}, {kb, 31, 7},
            {kb * 5, 3, 5}, {kb * 2, 16, 1}, {kb * 3, 33, 6}, {kb, 4, 8},
            // decode (one activation row): odd block counts, rows not a multiple of the tile,
            // and rows longer than one pass of prepared activation blocks (x86_gemv512.h)
            {kb * 9, 7, 1}, {kb * 3, 19, 1}, {kb * 28, 16, 1}, {kb * 261, 5, 1},
            // two activation rows (the exact precision's two-part decode)
            {kb * 9, 16, 2}, {kb * 261, 6, 2},
            // three and four (a few sequences decoding together: Q8_0's single stream)
            {kb * 9, 7, 3}, {kb * 261, 5, 4}};
}

// Float weights (block size 1) also take k that is no multiple of 32 (SIMD tails).
std::vector<Case> cases_for_type(const loom::TypeTraits *tt) {
    std::vector<Case> out = cases_for(tt->block_size);
    if (tt->block_size == 1)
        for (Case c : {Case{37, 9, 5}, Case{45, 5, 1}, Case{903, 6, 2}, Case{7, 3, 4}, Case{129, 17, 3}})
            out.push_back(c);
    return out;
}

// The converted activations decoded to f32 (BF16 here; the rest in the fixture).
std::vector<float> decode_level_act(loom_type act_type, const uint8_t *a, int64_t k) {
    if (act_type != LOOM_TYPE_BF16) return decode_act(act_type, a, k);
    std::vector<float> f(static_cast<size_t>(k));
    for (int64_t i = 0; i < k; ++i) {
        uint16_t h;
        std::memcpy(&h, a + 2 * i, 2);
        f[i] = loom::bf16_to_fp32(h);
    }
    return f;
}

// A level's activation row equals the scalar level's (same type) or, for
// bf16 activations, lib/quant's fp32_to_bf16 of every value.
void check_converted(loom_type act_type, const uint8_t *got, const uint8_t *scalar, const float *x, int64_t k,
                     size_t row_bytes, bool same_type) {
    if (same_type) {
        REQUIRE(std::memcmp(got, scalar, row_bytes) == 0);
        return;
    }
    REQUIRE(act_type == LOOM_TYPE_BF16);
    for (int64_t i = 0; i < k; ++i) {
        uint16_t h;
        std::memcpy(&h, got + 2 * i, 2);
        CAPTURE(i, x[i]);
        REQUIRE(h == loom::fp32_to_bf16(x[i]));
    }
}

std::vector<float> random_acts(const Case &c, std::mt19937 &rng) {
    std::normal_distribution<float> n(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(c.k * c.n_act));
    for (float &v : x) v = n(rng);
    // An outlier per row, as in real activations.
    for (int64_t j = 0; j < c.n_act; ++j) x[j * c.k + (j * 7) % c.k] *= 8.0f;
    return x;
}

} // namespace

TEST_CASE("every_type_has_a_matmul_at_every_level", "[kernels]") {
    for (loom_type t : all_weight_types())
        for (Isa isa : isa_levels()) {
            CAPTURE(loom::type_traits(t)->name, loom::cpu::isa_name(isa));
            const MatmulKernels *mk = loom::cpu::matmul_kernels(t, isa);
            REQUIRE(mk != nullptr);
            REQUIRE(loom::cpu::act_row_bytes(mk->act_type, 256) > 0);
        }
}

TEST_CASE("matmul_matches_f32_reference_and_scalar_at_every_level", "[kernels]") {
    std::mt19937 rng(1234);
    for (loom_type t : all_weight_types()) {
        const loom::TypeTraits *tt = loom::type_traits(t);
        for (const Case &c : cases_for_type(tt)) {
            CAPTURE(tt->name, c.k, c.n_rows, c.n_act);
            const auto w = random_weights(t, c.n_rows, c.k, rng);
            const size_t w_stride = w.size() / c.n_rows;
            const auto wf = decode_weights(t, w, c.n_rows, c.k);
            const auto x = random_acts(c, rng);
            const size_t out_stride = c.n_rows + 3;
            const MatmulKernels *scalar = loom::cpu::matmul_kernels(t, Isa::Scalar);
            const Result ref = run(scalar, w, w_stride, x, c, out_stride);
            const int64_t ab = act_block(scalar->act_type);
            for (Isa isa : isa_levels()) {
                CAPTURE(loom::cpu::isa_name(isa));
                const MatmulKernels *mk = loom::cpu::matmul_kernels(t, isa);
                const bool same_act = mk->act_type == scalar->act_type;
                REQUIRE((same_act || (t == LOOM_TYPE_BF16 && mk->act_type == LOOM_TYPE_BF16)));
                const Result r = run(mk, w, w_stride, x, c, out_stride);
                const size_t row_bytes = loom::cpu::act_row_bytes(mk->act_type, c.k);
                check_guards(r, c, row_bytes, out_stride);
                for (int64_t j = 0; j < c.n_act; ++j)
                    check_converted(mk->act_type, &r.act[j * r.act_stride], &ref.act[j * ref.act_stride],
                                    &x[j * c.k], c.k, row_bytes, same_act);
                if (wf.empty()) continue; // no f32 decoder in lib/quant yet: parity with scalar only
                for (int64_t j = 0; j < c.n_act; ++j) {
                    const auto aq = decode_level_act(mk->act_type, &r.act[j * r.act_stride], c.k);
                    for (int64_t row = 0; row < c.n_rows; ++row) {
                        double want_q = 0, want_x = 0, mag = 0, wabs_step = 0, s_term = 0, bf16_step = 0;
                        for (int64_t b0 = 0; b0 < c.k; b0 += ab) {
                            float amax = 0, wmax = 0;
                            double wsum = 0;
                            for (int64_t i = b0; i < b0 + ab; ++i) {
                                const double wi = wf[row * c.k + i];
                                want_q += wi * aq[i];
                                want_x += wi * x[j * c.k + i];
                                mag += std::fabs(wi * aq[i]);
                                wsum += std::fabs(wi);
                                if (!same_act) bf16_step += std::fabs(wi * x[j * c.k + i]) * (1.0 / 256);
                                amax = std::max(amax, std::fabs(x[j * c.k + i]));
                                wmax = std::max(wmax, float(std::fabs(wi)));
                            }
                            if (ab > 1) wabs_step += wsum * amax / 127.0;
                            if (mk->act_type == LOOM_TYPE_Q8_1) {
                                double s = 0;
                                for (int64_t i = b0; i < b0 + ab; ++i) s += aq[i];
                                s_term += wmax * std::fabs(s) * (1.0 / 1024);
                            }
                        }
                        const float got = r.out[j * out_stride + row];
                        const float sref = ref.out[j * out_stride + row];
                        if (!std::isfinite(want_q)) continue; // a random block decoded to inf/NaN
                        const double tol = 2e-5 * mag + s_term + 1e-30;
                        const bool near_q = std::fabs(got - want_q) <= tol;
                        const bool near_scalar = std::fabs(got - sref) <= (same_act ? tol : 2 * tol + bf16_step);
                        const bool near_x = std::fabs(got - want_x) <= tol + wabs_step + bf16_step + 1e-3 * mag;
                        if (near_q && near_scalar && near_x) continue;
                        // Catch's CAPTURE formats its values at once: only for a failing element
                        // (per element it was most of this test's time under qemu).
                        CAPTURE(row, j, got, sref, want_q, want_x, tol, wabs_step, bf16_step, mag);
                        CHECK(near_q);
                        CHECK(near_scalar);
                        REQUIRE(near_x);
                    }
                }
            }
        }
    }
}

TEST_CASE("bf16_weights_take_bf16_activations_where_the_cpu_has_avx512_bf16", "[kernels]") {
    const loom_type want = loom::cpu::x86_has_avx512_bf16() ? LOOM_TYPE_BF16 : LOOM_TYPE_F32;
    for (Isa isa : isa_levels()) {
        CAPTURE(loom::cpu::isa_name(isa));
        const loom_type got = loom::cpu::matmul_kernels(LOOM_TYPE_BF16, isa)->act_type;
        REQUIRE(got == (isa == Isa::Avx512 ? want : LOOM_TYPE_F32));
        REQUIRE(loom::cpu::act_row_bytes(got, 37) == (got == LOOM_TYPE_BF16 ? 74u : 148u));
    }
}

TEST_CASE("bf16_activations_round_to_nearest_even_like_lib_quant", "[kernels]") {
    // Ties both ways, carries into the exponent and to Inf, NaNs (quieted),
    // Inf, zeros, subnormals, then random bit patterns; odd lengths for the tails.
    std::vector<uint32_t> bits = {0x3f808000u, 0x3f818000u, 0x3f80ffffu, 0x3f817fffu, 0x3fffffffu, 0x7f7fffffu,
                                  0xff7fffffu, 0x7f800000u, 0xff800000u, 0x7f800001u, 0xffc00001u, 0x7fbfffffu,
                                  0x00000000u, 0x80000000u, 0x00000001u, 0x807fffffu, 0x00008000u, 0x00018000u};
    std::mt19937 rng(99);
    while (bits.size() < 613) bits.push_back(rng());
    for (Isa isa : isa_levels()) {
        const MatmulKernels *mk = loom::cpu::matmul_kernels(LOOM_TYPE_BF16, isa);
        if (mk->act_type != LOOM_TYPE_BF16) continue;
        CAPTURE(loom::cpu::isa_name(isa));
        for (int64_t k : {int64_t(1), int64_t(15), int64_t(16), int64_t(17), int64_t(613)}) {
            std::vector<float> x(static_cast<size_t>(k));
            std::memcpy(x.data(), bits.data() + (bits.size() - size_t(k)) % 7, 4 * size_t(k));
            std::vector<uint8_t> a(2 * size_t(k) + kActGuard, kGuardByte);
            mk->convert_act(x.data(), a.data(), k);
            for (size_t b = 2 * size_t(k); b < a.size(); ++b) REQUIRE(a[b] == kGuardByte);
            check_converted(LOOM_TYPE_BF16, a.data(), nullptr, x.data(), k, 2 * size_t(k), false);
        }
    }
}

TEST_CASE("interleaved_q4_0_converts_to_plain_rows", "[kernels]") {
    std::mt19937 rng(7);
    for (loom_type t : {LOOM_TYPE_Q4_0_4_4, LOOM_TYPE_Q4_0_4_8, LOOM_TYPE_Q4_0_8_8}) {
        const loom::TypeTraits *tt = loom::type_traits(t);
        CAPTURE(tt->name);
        const int64_t n_rows = 16, k = 96;
        std::vector<uint8_t> src(static_cast<size_t>(n_rows * k / 32 * 18));
        for (uint8_t &b : src) b = static_cast<uint8_t>(rng());
        for (size_t g = 0; g < src.size(); g += 18 * tt->row_group)
            for (int64_t r = 0; r < tt->row_group; ++r) put_fp16(&src[g + 2 * r], 0.01f * (r + 1));
        std::vector<uint8_t> dst(src.size() + 32, kGuardByte);
        REQUIRE(loom::cpu::interleaved_to_q4_0(t, src.data(), dst.data(), n_rows, k));
        for (size_t i = src.size(); i < dst.size(); ++i) REQUIRE(dst[i] == kGuardByte);
        if (!tt->rows_to_float) continue;
        std::vector<float> want(static_cast<size_t>(n_rows * k)), got(want.size());
        tt->rows_to_float(src.data(), want.data(), n_rows, k);
        loom::type_traits(LOOM_TYPE_Q4_0)->to_float(dst.data(), got.data(), n_rows * k);
        REQUIRE(got == want);
    }
    std::vector<uint8_t> buf(18 * 8);
    REQUIRE_FALSE(loom::cpu::interleaved_to_q4_0(LOOM_TYPE_Q4_0_8_8, buf.data(), buf.data(), 4, 32));
    REQUIRE_FALSE(loom::cpu::interleaved_to_q4_0(LOOM_TYPE_Q4_0, buf.data(), buf.data(), 4, 32));
}

TEST_CASE("loom_cpu_isa_only_lowers_the_level", "[kernels]") {
    using loom::cpu::capped_isa;
    REQUIRE(capped_isa(nullptr, Isa::Avx512) == Isa::Avx512);
    REQUIRE(capped_isa("scalar", Isa::Avx512) == Isa::Scalar);
    REQUIRE(capped_isa("avx2", Isa::Avx512) == Isa::Avx2);
    REQUIRE(capped_isa("avx512", Isa::Avx2) == Isa::Avx2);   // never above what the CPU has
    REQUIRE(capped_isa("avx2", Isa::Scalar) == Isa::Scalar);
    REQUIRE(capped_isa("neon", Isa::Avx512) == Isa::Avx512); // other family: ignored
    REQUIRE(capped_isa("avx2", Isa::Neon) == Isa::Neon);
    REQUIRE(capped_isa("scalar", Isa::Neon) == Isa::Scalar);
    REQUIRE(capped_isa("AVX2", Isa::Avx512) == Isa::Avx512); // names are exact
    // The process-wide choice honours the environment the test runs in.
    REQUIRE(loom::cpu::active_isa() == capped_isa(std::getenv("LOOM_CPU_ISA"), loom::cpu::detected_isa()));
}

TEST_CASE("act_row_bytes_follows_the_block_layouts", "[kernels]") {
    REQUIRE(loom::cpu::act_row_bytes(LOOM_TYPE_F32, 896) == 896 * 4);
    REQUIRE(loom::cpu::act_row_bytes(LOOM_TYPE_Q8_0, 896) == 28 * 34);
    REQUIRE(loom::cpu::act_row_bytes(LOOM_TYPE_Q8_1, 896) == 28 * 36);
    REQUIRE(loom::cpu::act_row_bytes(LOOM_TYPE_Q8_K, 4864) == 19 * 292);
    REQUIRE(loom::cpu::act_row_bytes(LOOM_TYPE_Q4_K, 256) == 0); // not an activation type
}

TEST_CASE("swiglu_matches_double_math_at_every_level", "[kernels]") {
    // Gates over the whole useful range (silu saturates past |g| ~ 90), the
    // special values, and lengths that leave a scalar tail.
    std::mt19937 rng(7);
    std::normal_distribution<float> n(0.0f, 6.0f);
    std::vector<float> g, u;
    for (int i = 0; i < 1000; ++i) g.push_back(n(rng)), u.push_back(n(rng));
    for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 87.0f, -87.0f, 88.5f, -88.5f, 100.0f, -100.0f, 1e30f, -1e30f})
        g.push_back(v), u.push_back(1.5f);
    for (Isa isa : isa_levels()) {
        CAPTURE(loom::cpu::isa_name(isa));
        const loom::cpu::SwigluFn fn = loom::cpu::swiglu_kernel(isa);
        for (int64_t len : {int64_t(g.size()), int64_t(7), int64_t(13)}) {
            std::vector<float> y(size_t(len) + 4, guard_float());
            fn(g.data(), u.data(), y.data(), len);
            for (int64_t i = 0; i < len; ++i) {
                const double x = g[size_t(i)], want = x / (1.0 + std::exp(-x)) * u[size_t(i)];
                CAPTURE(i, x, y[size_t(i)], want);
                // + the x86 exp's flush to 0 below e^-87.3 (~1.2e-38) where silu(g) ~ g * e^g.
                REQUIRE(std::fabs(y[size_t(i)] - want) <= 4e-7 * std::fabs(want) + std::fabs(x * u[size_t(i)]) * 1.3e-38);
            }
            for (size_t i = size_t(len); i < y.size(); ++i) REQUIRE(is_guard(y[i]));
        }
    }
    // The AVX-512 level takes the AVX2 level's steps over 16 lanes: the same floats.
    bool avx2 = false, avx512 = false;
    for (Isa isa : isa_levels()) avx2 |= isa == Isa::Avx2, avx512 |= isa == Isa::Avx512;
    if (avx2 && avx512) {
        const int64_t len = int64_t(g.size());
        std::vector<float> y2(g.size()), y16(g.size());
        loom::cpu::swiglu_kernel(Isa::Avx2)(g.data(), u.data(), y2.data(), len);
        loom::cpu::swiglu_kernel(Isa::Avx512)(g.data(), u.data(), y16.data(), len);
        CHECK(std::memcmp(y2.data(), y16.data(), y2.size() * sizeof(float)) == 0);
    }
}
