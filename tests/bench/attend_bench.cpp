// Micro-benchmark of the attention chunk kernel (backends/cpu/kernels/attend.h;
// not a test: never run by meson test). One thread, one chunk of n cells of
// one KV head's group, per level and shape: Qwen2 0.5B (group 7, d 64),
// 1.5B (6, 128) and 7B (7, 128); an f32 cache read in place (a prompt's
// widened copy; "F32p": its keys packed, at a level with a packer) and an
// f16 cache (decode). Prints thread CPU ns per cell
// (best of reps) and the heads x cells x d multiply-adds per ns of the
// scores and the weighted sum together.
//
//   attend_bench [--cells 4096] [--reps 20]
#include "cpu/kernels.h"
#include "cpu/kernels/attend.h"
#include "quant/quant.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <time.h>
#include <vector>

using namespace loom::cpu;

namespace {

double thread_seconds() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

struct Shape {
    const char *name;
    int group, d;
};

// Best CPU seconds of `reps` runs of one chunk of n cells.
double time_chunk(Isa isa, loom_type type, bool packed, Shape s, int n, int reps) {
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    const int row = 2 * s.d;   // two KV heads per cache row, like a model's
    std::vector<float> q(size_t(s.group * s.d)), kf(size_t(n) * row), vf(kf.size()), mask(size_t(n), 0.0f);
    for (float &x : q) x = nd(rng);
    for (size_t i = 0; i < kf.size(); i++) kf[i] = nd(rng), vf[i] = nd(rng);
    const size_t row_bytes = type == LOOM_TYPE_F32 ? row * sizeof(float) : row * sizeof(uint16_t);
    std::vector<uint8_t> k(row_bytes * size_t(n)), v(k.size());
    if (type == LOOM_TYPE_F32) {
        std::memcpy(k.data(), kf.data(), k.size());
        std::memcpy(v.data(), vf.data(), v.size());
    } else {
        loom::type_traits(type)->from_float(kf.data(), k.data(), int64_t(kf.size()));
        loom::type_traits(type)->from_float(vf.data(), v.data(), int64_t(vf.size()));
    }
    std::vector<float> kt;
    if (packed) {
        kt.resize(kf.size());
        for (int c0 = 0; c0 < n; c0 += 16)
            attend_key_packer(isa)(kf.data() + size_t(c0) * row, std::min(16, n - c0), row, size_t(row), kt.data() + c0,
                                   size_t(n));
    }
    std::vector<float> m(size_t(s.group)), l(m.size()), acc(size_t(s.group * s.d)), work(attend_work_floats(s.group, s.d));
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        attend_reset(s.group, s.d, m.data(), l.data(), acc.data());
        AttendChunk job{q.data(), k.data(), v.data(), row_bytes, type, packed ? kt.data() : nullptr, size_t(n),
                        mask.data(), n, s.group, s.d,
                        1.0f / std::sqrt(float(s.d)), m.data(), l.data(), acc.data(), work.data()};
        const double t0 = thread_seconds();
        attend_kernel(isa)(job);
        best = std::min(best, thread_seconds() - t0);
    }
    return best;
}

} // namespace

int main(int argc, char **argv) {
    int cells = 4096, reps = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--cells")) cells = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--reps")) reps = std::atoi(argv[i + 1]);
    }
    const Shape shapes[] = {{"0.5B g7 d64", 7, 64}, {"1.5B g6 d128", 6, 128}, {"7B g7 d128", 7, 128}};
    std::vector<Isa> levels{Isa::Scalar};
    if (detected_isa() == Isa::Avx2 || detected_isa() == Isa::Avx512) levels.push_back(Isa::Avx2);
    if (detected_isa() == Isa::Avx512) levels.push_back(Isa::Avx512);
    std::printf("%-8s %-5s %-13s %12s %12s\n", "level", "cache", "shape", "ns/cell", "madd/ns");
    for (int mode = 0; mode < 3; mode++)   // f32, f32 packed, f16
        for (const Shape &s : shapes)
            for (Isa isa : levels) {
                const bool packed = mode == 1;
                if (packed && !attend_key_packer(isa)) continue;
                const loom_type type = mode == 2 ? LOOM_TYPE_F16 : LOOM_TYPE_F32;
                const double t = time_chunk(isa, type, packed, s, cells, reps);
                std::printf("%-8s %-5s %-13s %12.2f %12.2f\n", isa_name(isa), packed ? "F32p" : loom::type_traits(type)->name,
                            s.name, 1e9 * t / cells, 2.0 * s.group * s.d * cells / (1e9 * t));
            }
    return 0;
}
