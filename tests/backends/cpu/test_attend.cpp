// The attention chunk kernel (backends/cpu/kernels/attend.h) at every level
// this CPU has, against double-precision softmax math and against the scalar
// level: f32 (read in place), f16 and q8_0 caches; head_dim 64, 128 and 72
// (72 % 16 == 8, the AVX-512 level's masked tail); groups 1, 6 and 7; scores
// spread over [-80, 0] below the max (the whole range of the x86 levels'
// vector exp); masked cells, whole masked blocks and a whole masked chunk;
// 300 cells (not a multiple of 32 or 8) in 1, 3 or 7 chunks merged with
// attend_merge; and f32 keys packed by the level's attend_key_packer.
#include "cpu/kernels/attend.h"
#include "kernel_fixture.h"
#include "quant/quant.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace loom::cpu;
using loom::TypeTraits;
using loom::type_traits;
using kt::isa_levels;

namespace {

constexpr int kCells = 300;
constexpr int kHeadsKv = 2, kHead = 1;   // cache rows hold 2 KV heads; the chunks read the second

struct Shape {
    loom_type type;
    int group, d;
};

struct Case {
    Shape shape;
    std::vector<float> q, mask;
    std::vector<float> k, v;           // [kCells][kHeadsKv * d] as the cache decodes them
    std::vector<uint8_t> kraw, vraw;   // the cache rows in `type`
    size_t row_bytes = 0;
};

// Rows of f32 values stored as `type`; `vals` becomes what the cache decodes to.
std::vector<uint8_t> store(loom_type type, std::vector<float> &vals, int64_t row, size_t &row_bytes) {
    const TypeTraits *tt = type_traits(type);
    row_bytes = static_cast<size_t>(row / tt->block_size) * tt->block_bytes;
    std::vector<uint8_t> raw(row_bytes * kCells);
    for (int c = 0; c < kCells; c++) {
        float *r = &vals[size_t(c) * size_t(row)];
        if (type == LOOM_TYPE_F32) std::memcpy(&raw[size_t(c) * row_bytes], r, row_bytes);
        else tt->from_float(r, &raw[size_t(c) * row_bytes], row);
        if (type != LOOM_TYPE_F32) tt->to_float(&raw[size_t(c) * row_bytes], r, row);
    }
    return raw;
}

Case make_case(Shape shape, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.0f, 1.0f);
    Case c;
    c.shape = shape;
    const int d = shape.d, row = kHeadsKv * d;
    for (int i = 0; i < shape.group * d; i++) c.q.push_back(n(rng) * 20.0f);   // scores (scale 1/sqrt(d)): sd ~20
    for (int i = 0; i < kCells * row; i++) c.k.push_back(n(rng)), c.v.push_back(n(rng));
    // Every 5th cell, and cells 64..135: whole blocks of a chunk starting at
    // 0, and all of the 7-chunk split's third chunk (cells 86..128).
    for (int i = 0; i < kCells; i++) c.mask.push_back(i % 5 == 3 || (i >= 64 && i < 136) ? -INFINITY : 0.0f);
    c.kraw = store(shape.type, c.k, row, c.row_bytes);
    c.vraw = store(shape.type, c.v, row, c.row_bytes);
    return c;
}

// Softmax output per head, in double, over the decoded cache.
std::vector<double> reference(const Case &c, float scale) {
    const int g = c.shape.group, d = c.shape.d, row = kHeadsKv * d;
    std::vector<double> out(size_t(g * d), 0.0);
    for (int h = 0; h < g; h++) {
        std::vector<double> s(kCells, -INFINITY);
        double mx = -INFINITY, sum = 0;
        for (int i = 0; i < kCells; i++) {
            if (c.mask[size_t(i)] != 0.0f) continue;
            double dot = 0;
            for (int j = 0; j < d; j++) dot += double(c.q[size_t(h * d + j)]) * c.k[size_t(i * row + kHead * d + j)];
            s[size_t(i)] = scale * dot;
            mx = std::max(mx, s[size_t(i)]);
        }
        for (int i = 0; i < kCells; i++) {
            if (s[size_t(i)] == -INFINITY) continue;
            const double p = std::exp(s[size_t(i)] - mx);
            sum += p;
            for (int j = 0; j < d; j++) out[size_t(h * d + j)] += p * c.v[size_t(i * row + kHead * d + j)];
        }
        for (int j = 0; j < d; j++) out[size_t(h * d + j)] /= sum;
    }
    return out;
}

// The f32 cache's keys packed [kHeadsKv * d][kCells], 16 cells per call as
// the op does; NaN where the packer should not write.
std::vector<float> pack_keys(AttendPackFn pack, const Case &c) {
    const int w = kHeadsKv * c.shape.d;
    std::vector<float> kt(size_t(w) * kCells, std::numeric_limits<float>::quiet_NaN());
    const auto *rows = reinterpret_cast<const float *>(c.kraw.data());
    for (int c0 = 0; c0 < kCells; c0 += 16)
        pack(rows + size_t(c0) * size_t(w), std::min(16, kCells - c0), w, size_t(w), kt.data() + c0, kCells);
    return kt;
}

// The kernel over `n_chunks` chunks of the cells, merged; `kt`: nullptr or
// the packed keys. The scratch starts as NaN: a kernel that reads what it
// did not write shows.
std::vector<float> run(AttendFn fn, const Case &c, float scale, int n_chunks, const float *kt = nullptr) {
    const int g = c.shape.group, d = c.shape.d;
    const int per = (kCells + n_chunks - 1) / n_chunks;
    std::vector<float> m(size_t(n_chunks * g)), l(m.size()), acc(size_t(n_chunks * g * d));
    std::vector<float> work(attend_work_floats(g, d), std::numeric_limits<float>::quiet_NaN());
    const TypeTraits *tt = type_traits(c.shape.type);
    const size_t slice = static_cast<size_t>(kHead * d / tt->block_size) * tt->block_bytes;
    for (int ch = 0; ch < n_chunks; ch++) {
        const int c0 = ch * per, n = std::min(kCells, c0 + per) - c0;
        float *cm = &m[size_t(ch * g)], *cl = &l[size_t(ch * g)], *ca = &acc[size_t(ch * g * d)];
        attend_reset(g, d, cm, cl, ca);
        const size_t off = size_t(c0) * c.row_bytes + slice;
        const float *ktc = kt ? kt + size_t(kHead * d) * kCells + size_t(c0) : nullptr;
        AttendChunk job{c.q.data(), c.kraw.data() + off, c.vraw.data() + off, c.row_bytes, c.shape.type, ktc,
                        size_t(kCells), c.mask.data() + c0, n, g, d, scale, cm, cl, ca, work.data()};
        fn(job);
    }
    std::vector<float> out(size_t(g * d));
    for (int h = 0; h < g; h++)
        attend_merge(n_chunks, &m[size_t(h)], &l[size_t(h)], g, &acc[size_t(h * d)], size_t(g * d), d,
                     &out[size_t(h * d)]);
    return out;
}

template <class T>
double max_abs_diff(const std::vector<float> &a, const std::vector<T> &b) {
    double err = 0;
    for (size_t i = 0; i < a.size(); i++) err = std::max(err, std::fabs(double(a[i]) - double(b[i])));
    return err;
}

} // namespace

TEST_CASE("attend_chunks_match_softmax_math_and_the_scalar_level_at_every_level", "[attend]") {
    for (loom_type type : {LOOM_TYPE_F32, LOOM_TYPE_F16, LOOM_TYPE_Q8_0}) {
        for (int d : {64, 128, 72}) {
            if (type == LOOM_TYPE_Q8_0 && d % 32 != 0) continue;   // the op widens such caches to f32 first
            for (int group : {1, 6, 7}) {
                const Case c = make_case({type, group, d}, unsigned(7 + d + group));
                const float scale = 1.0f / std::sqrt(float(d));
                const std::vector<double> want = reference(c, scale);
                double mag = 0;
                for (double w : want) mag = std::max(mag, std::fabs(w));
                for (int n_chunks : {1, 3, 7}) {
                    const std::vector<float> scalar = run(attend_kernel(Isa::Scalar), c, scale, n_chunks);
                    for (Isa isa : isa_levels()) {
                        const std::vector<float> got = run(attend_kernel(isa), c, scale, n_chunks);
                        const double err = max_abs_diff(got, want), vs_scalar = max_abs_diff(got, scalar);
                        INFO(isa_name(isa) << ", " << type_traits(type)->name << ", d " << d << ", group " << group
                                           << ", " << n_chunks << " chunks: max abs error " << err << ", "
                                           << vs_scalar << " from the scalar level (magnitude " << mag << ")");
                        CHECK(err < 1e-5 * mag);
                        CHECK(vs_scalar < 1e-5 * mag);
                        const AttendPackFn pack = attend_key_packer(isa);
                        if (type != LOOM_TYPE_F32 || !pack) continue;
                        const std::vector<float> kt = pack_keys(pack, c);
                        const std::vector<float> packed = run(attend_kernel(isa), c, scale, n_chunks, kt.data());
                        INFO("packed keys: " << max_abs_diff(packed, got) << " from unpacked");
                        CHECK(max_abs_diff(packed, want) < 1e-5 * mag);
                        CHECK(max_abs_diff(packed, scalar) < 1e-5 * mag);
                    }
                }
            }
        }
    }
}
