// checkasm-style parity of the load-time weight layout (kernels.h repack +
// matmul_packed): for every type with a repack at every ISA level this
// machine has, random weights are repacked into a guarded buffer and
// matmul_packed (over the whole tensor and over 16-row-aligned sub-ranges)
// is compared with the SCALAR level's plain matmul on the original rows.
//
// Tolerance (as test_kernels.cpp): the per-block integer sums are exact at
// every level; only the f32 scaling and summation order differ, so
// |got - want| <= 2e-5 * sum|w*a| with w, a the decoded weights and
// quantized activations.
#include "kernel_fixture.h"

#include "cpu/kernels/packed.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace kt;
using loom::cpu::MatmulKernels;

namespace {

constexpr size_t kGuard = 64;

std::vector<loom_type> packed_types() {
    std::vector<loom_type> out;
    for (loom_type t : all_weight_types())
        for (Isa isa : isa_levels())
            if (loom::cpu::matmul_kernels(t, isa)->repack) {
                out.push_back(t);
                break;
            }
    return out;
}

struct Shape {
    int64_t k, n_rows, n_act;
};

std::vector<Shape> shapes_for(int64_t block) {
    std::vector<Shape> out;
    const bool k_quant = block == 256;
    const std::vector<int64_t> nbs = k_quant ? std::vector<int64_t>{1, 2, 5, 9} : std::vector<int64_t>{1, 2, 9, 28, 261};
    for (int64_t nb : nbs)
        for (int64_t n_rows : {16, 32, 48})
            for (int64_t n_act : {1, 2, 3, 7, 16}) {
                if (nb == 261 && (n_rows > 16 || n_act == 7)) continue; // keep it fast
                out.push_back({nb * block, n_rows, n_act});
            }
#if defined(__x86_64__) || defined(_M_X64)
    // The shapes below reach the thresholds of x86_packed512.h's code paths;
    // elsewhere only the scalar level has a packed layout, which the shapes
    // above cover (its chunks of kUnpackBytes: several from 28 legacy / 5
    // k-quant blocks on). Under qemu-aarch64 these took most of the test's time.
    if (k_quant) { // x86_packed512.h: super-blocks in two passes (> 128) and activation rows in two panels
        out.push_back({130 * block, 16, 9});
        out.push_back({9 * block, 128, 16});
        return out;
    }
    // x86_packed512.h: calls of >= 2 groups with >= 3 activation rows take
    // the prepared-activation form (one group: the signed form; Q5_0 / Q5_1:
    // their direct forms), activation rows
    // in several panels (n_act x blocks > 4096), blocks in several passes
    // (> 1024 blocks; the signed form: > 64)
    for (int64_t nb : {1, 9, 28})
        for (int64_t n_act : {3, 16})
            for (int64_t rows : {16, 32}) out.push_back({nb * block, rows, n_act});
    out.push_back({261 * block, 144, 17});
    out.push_back({1100 * block, 16, 5});
    out.push_back({1100 * block, 128, 5});
#endif
    return out;
}

// Quantized activation rows (the scalar converter; SIMD ones are bit-identical).
std::vector<uint8_t> make_acts(const MatmulKernels *mk, const Shape &s, size_t act_stride, std::mt19937 &rng) {
    std::normal_distribution<float> n(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(s.k));
    std::vector<uint8_t> a(act_stride * s.n_act, kGuardByte);
    for (int64_t j = 0; j < s.n_act; ++j) {
        for (float &v : x) v = n(rng);
        x[(j * 7) % s.k] *= 8.0f;
        mk->convert_act(x.data(), &a[j * act_stride], s.k);
    }
    return a;
}

} // namespace

TEST_CASE("packed_types_repack_at_the_scalar_level", "[kernels_packed]") {
    // The scalar level carries the reference of every packed type, so the
    // backend can use the layout at any level.
    const auto types = packed_types();
    REQUIRE(!types.empty());
    for (loom_type t : types) {
        CAPTURE(loom::type_traits(t)->name);
        const MatmulKernels *mk = loom::cpu::matmul_kernels(t, Isa::Scalar);
        REQUIRE(mk->repack != nullptr);
        REQUIRE(mk->matmul_packed != nullptr);
    }
}

TEST_CASE("q5_types_have_a_packed_layout_at_the_scalar_level", "[kernels_packed]") {
    // The Qwen2 llama.cpp files' k=896 matrices are Q5_0 / Q5_1: both go
    // through every check below.
    const auto types = packed_types();
    for (loom_type t : {LOOM_TYPE_Q5_0, LOOM_TYPE_Q5_1}) {
        CAPTURE(loom::type_traits(t)->name);
        REQUIRE(std::find(types.begin(), types.end(), t) != types.end());
        REQUIRE(loom::cpu::matmul_kernels(t, Isa::Scalar)->repack != nullptr);
    }
}

TEST_CASE("repack_round_trips_to_the_gguf_rows", "[kernels_packed]") {
    std::mt19937 rng(11);
    for (loom_type t : packed_types())
        for (int64_t nb : {1, 2, 3, 9}) {
            const int64_t k = nb * loom::type_traits(t)->block_size, n_rows = 48;
            CAPTURE(loom::type_traits(t)->name, k);
            const auto w = random_weights(t, n_rows, k, rng);
            for (Isa isa : isa_levels()) {
                const MatmulKernels *mk = loom::cpu::matmul_kernels(t, isa);
                if (!mk->repack) continue;
                CAPTURE(loom::cpu::isa_name(isa));
                std::vector<uint8_t> packed(w.size() + 2 * kGuard, kGuardByte);
                mk->repack(w.data(), packed.data() + kGuard, n_rows, k);
                for (size_t i = 0; i < kGuard; ++i) {
                    REQUIRE(packed[i] == kGuardByte);
                    REQUIRE(packed[kGuard + w.size() + i] == kGuardByte);
                }
                REQUIRE(packed != std::vector<uint8_t>(packed.size(), kGuardByte));
                std::vector<uint8_t> back(w.size());
                REQUIRE(loom::cpu::unpack_rows(t, packed.data() + kGuard, back.data(), n_rows, k));
                REQUIRE(back == w);
            }
        }
}

TEST_CASE("matmul_packed_matches_scalar_matmul_on_the_original_rows", "[kernels_packed]") {
    std::mt19937 rng(4321);
    for (loom_type t : packed_types()) {
        const loom::TypeTraits *tt = loom::type_traits(t);
        const MatmulKernels *scalar = loom::cpu::matmul_kernels(t, Isa::Scalar);
        for (const Shape &s : shapes_for(tt->block_size)) {
            CAPTURE(tt->name, s.k, s.n_rows, s.n_act);
            const auto w = random_weights(t, s.n_rows, s.k, rng);
            const size_t w_stride = w.size() / s.n_rows;
            const size_t act_stride = loom::cpu::act_row_bytes(scalar->act_type, s.k) + kGuard;
            const auto a = make_acts(scalar, s, act_stride, rng);
            const size_t out_stride = s.n_rows + 5;
            std::vector<float> want(out_stride * s.n_act);
            scalar->matmul(s.k, w.data(), w_stride, s.n_rows, a.data(), act_stride, s.n_act, want.data(),
                           out_stride);
            const auto mag = magnitudes(t, w, s.n_rows, s.k, scalar->act_type, a, act_stride, s.n_act);
            for (Isa isa : isa_levels()) {
                const MatmulKernels *mk = loom::cpu::matmul_kernels(t, isa);
                if (!mk->repack) continue;
                CAPTURE(loom::cpu::isa_name(isa));
                REQUIRE(mk->matmul_packed != nullptr);
                REQUIRE(mk->act_type == scalar->act_type);
                std::vector<uint8_t> packed(w.size() + 2 * kGuard, kGuardByte);
                mk->repack(w.data(), packed.data() + kGuard, s.n_rows, s.k);
                const std::vector<uint8_t> packed_copy = packed;
                // the whole tensor, then every 16-row-aligned sub-range [r0, r1)
                for (int64_t r0 = 0; r0 < s.n_rows; r0 += loom::cpu::kPackRows)
                    for (int64_t r1 = s.n_rows; r1 > r0; r1 -= loom::cpu::kPackRows) {
                        if (r0 > 0 && r1 < s.n_rows && s.n_rows > 32) continue; // enough sub-ranges
                        if (s.n_rows > 48 && r0 > 16 && r1 - r0 > 32) continue;
                        CAPTURE(r0, r1);
                        std::vector<float> out(out_stride * s.n_act + 16, guard_float());
                        mk->matmul_packed(s.k, packed.data() + kGuard + r0 * w_stride, w_stride, r1 - r0,
                                          a.data(), act_stride, s.n_act, out.data() + r0, out_stride);
                        REQUIRE(packed == packed_copy); // read-only, guards intact
                        for (size_t i = 0; i < out.size(); ++i) {
                            const int64_t j = int64_t(i / out_stride), r = int64_t(i % out_stride);
                            const bool inside = j < s.n_act && r >= r0 && r < r1;
                            if (!inside) {
                                if (is_guard(out[i])) continue;
                                CAPTURE(i, j, r, out[i]);
                                REQUIRE(is_guard(out[i]));
                            }
                            const float got = out[i], ref = want[j * out_stride + r];
                            const double m = mag[j * s.n_rows + r];
                            if (!std::isfinite(m)) continue; // a random block decoded to inf/NaN
                            if (std::fabs(double(got) - ref) <= 2e-5 * m + 1e-30) continue;
                            // Catch's CAPTURE formats its values at once: only for a failing element
                            // (per element it was most of this test's time under qemu).
                            CAPTURE(i, j, r, got, ref, m);
                            REQUIRE(std::fabs(double(got) - ref) <= 2e-5 * m + 1e-30);
                        }
                    }
            }
        }
    }
}
