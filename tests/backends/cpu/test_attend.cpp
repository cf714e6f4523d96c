// The attention chunk kernel (backends/cpu/kernels/attend.h) at every level
// this CPU has, against double-precision softmax math, with scores spread
// over [-80, 0] below the max (the whole range of the x86 level's vector
// exp), masked cells, and chunks merged with attend_merge.
#include "cpu/kernels/attend.h"
#include "quant/quant.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

using namespace loom::cpu;

namespace {

constexpr int kGroup = 3, kD = 64, kCells = 300;

struct Case {
    std::vector<float> q, k, v, mask;
};

Case make_case(unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.0f, 1.0f);
    Case c;
    for (int i = 0; i < kGroup * kD; i++) c.q.push_back(n(rng) * 20.0f);   // scores: sd ~20, spread over [-80, 0] below the max
    for (int i = 0; i < kCells * kD; i++) c.k.push_back(n(rng)), c.v.push_back(n(rng));
    for (int i = 0; i < kCells; i++) c.mask.push_back(i % 5 == 3 ? -INFINITY : 0.0f);
    return c;
}

// Softmax output per head, in double.
std::vector<double> reference(const Case &c, float scale) {
    std::vector<double> out(size_t(kGroup * kD), 0.0);
    for (int h = 0; h < kGroup; h++) {
        std::vector<double> s(kCells, -INFINITY);
        double mx = -INFINITY, sum = 0;
        for (int i = 0; i < kCells; i++) {
            if (c.mask[size_t(i)] != 0.0f) continue;
            double dot = 0;
            for (int j = 0; j < kD; j++) dot += double(c.q[size_t(h * kD + j)]) * c.k[size_t(i * kD + j)];
            s[size_t(i)] = scale * dot;
            mx = std::max(mx, s[size_t(i)]);
        }
        for (int i = 0; i < kCells; i++) {
            if (s[size_t(i)] == -INFINITY) continue;
            const double p = std::exp(s[size_t(i)] - mx);
            sum += p;
            for (int j = 0; j < kD; j++) out[size_t(h * kD + j)] += p * c.v[size_t(i * kD + j)];
        }
        for (int j = 0; j < kD; j++) out[size_t(h * kD + j)] /= sum;
    }
    return out;
}

// The kernel over `n_chunks` chunks of the cells, merged.
std::vector<float> run(AttendFn fn, const Case &c, float scale, int n_chunks) {
    const int per = (kCells + n_chunks - 1) / n_chunks;
    std::vector<float> m(size_t(n_chunks * kGroup)), l(m.size()), acc(size_t(n_chunks * kGroup * kD));
    std::vector<float> work(attend_work_floats(kGroup, kD));
    for (int ch = 0; ch < n_chunks; ch++) {
        const int c0 = ch * per, n = std::min(kCells, c0 + per) - c0;
        float *cm = &m[size_t(ch * kGroup)], *cl = &l[size_t(ch * kGroup)], *ca = &acc[size_t(ch * kGroup * kD)];
        attend_reset(kGroup, kD, cm, cl, ca);
        AttendChunk job{c.q.data(), reinterpret_cast<const uint8_t *>(c.k.data() + size_t(c0) * kD),
                        reinterpret_cast<const uint8_t *>(c.v.data() + size_t(c0) * kD), kD * sizeof(float),
                        LOOM_TYPE_F32, c.mask.data() + c0, n, kGroup, kD, scale, cm, cl, ca, work.data()};
        fn(job);
    }
    std::vector<float> out(size_t(kGroup * kD));
    for (int h = 0; h < kGroup; h++)
        attend_merge(n_chunks, &m[size_t(h)], &l[size_t(h)], kGroup, &acc[size_t(h * kD)], size_t(kGroup * kD), kD,
                     &out[size_t(h * kD)]);
    return out;
}

} // namespace

TEST_CASE("attend_chunks_match_softmax_math_at_every_level", "[attend]") {
    const Case c = make_case(7);
    const float scale = 0.125f;
    const std::vector<double> want = reference(c, scale);
    for (Isa isa : {Isa::Scalar, detected_isa()}) {
        for (int n_chunks : {1, 3, 7}) {
            const std::vector<float> got = run(attend_kernel(isa), c, scale, n_chunks);
            double err = 0, mag = 0;
            for (size_t i = 0; i < got.size(); i++) {
                err = std::max(err, std::fabs(got[i] - want[i]));
                mag = std::max(mag, std::fabs(want[i]));
            }
            INFO(isa_name(isa) << ", " << n_chunks << " chunks: max abs error " << err);
            CHECK(err < 1e-5 * mag);
        }
    }
}
