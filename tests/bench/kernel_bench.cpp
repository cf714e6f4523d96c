// Micro-benchmark of the CPU kernel table (not a test: never run by meson
// test). For each type and ISA level: the decode matmul (one activation row)
// over a weight matrix bigger than the caches, in GB/s of weight bytes, and
// the prompt matmul (n activation rows) in weight-row x activation-row dots
// per second. Threads split the weight rows like the backend does. Times
// are thread CPU times (best of reps, busiest thread). On CPUs with AMX-INT8
// the avx512 rows show the AVX-512 kernels and an extra amx row the tile
// kernels of Q4_0, IQ4_NL and Q8_0 (kernels/x86_amx.cpp; --isa amx for
// only those).
//
//   kernel_bench [--type Q4_K] [--isa avx2|amx] [--k 896] [--rows 151936] [--acts 64] [--threads 2] [--reps 5]
//                [--file 1]   (decode only, weights in a read-only file mapping)
//                [--pages 1]  (decode only, weights in platform::alloc_pages memory, as the CPU
//                              backend's load-time copies: huge pages on Linux)
//                [--sweep N]  (N decode tokens over Qwen2-0.5B shapes, mean CPU ms per token)
//                [--packed 1] (types with a load-time layout: repack, then time matmul_packed)
//                [--call N]   (weight rows per matmul call, default 16; a multiple of 16 with --packed)
#include "cpu/kernels.h"
#include "cpu/kernels/cpuid.h"
#include "cpu/kernels/simd_tables.h"
#include "platform/platform.h"
#include "quant/quant.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <time.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

using loom::cpu::Isa;
using loom::cpu::MatmulKernels;

namespace {

struct Options {
    std::string type, isa;
    int64_t k = 896, rows = 151936, acts = 64;
    int threads = 2, reps = 5;
    bool file_backed = false, packed = false, pages = false;
    int64_t call = 16; // weight rows per kernel call
    int sweep = 0; // > 0: that many Qwen2-0.5B-shaped decode tokens instead
};

// Thread CPU time: the machine is shared, so wall time measures the
// neighbours; CPU time of the busiest thread measures the kernel.
double cpu_now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Best-of-reps seconds of one matmul split over threads by rows.
double time_matmul_ptr(const MatmulKernels *mk, const Options &o, const uint8_t *w, size_t ws,
                       const std::vector<uint8_t> &act, size_t as, int64_t n_act, std::vector<float> &out) {
    double best = 1e30;
    for (int rep = 0; rep < o.reps; ++rep) {
        std::vector<std::thread> th;
        std::vector<double> spent(size_t(o.threads), 0.0);
        const int64_t per = (o.rows + o.threads - 1) / o.threads, chunk = (per + o.call - 1) / o.call * o.call;
        for (int t = 0; t < o.threads; ++t)
            th.emplace_back([&, t] {
                const double t0 = cpu_now();
                const int64_t r0 = t * chunk, r1 = std::min(o.rows, r0 + chunk);
                const auto mm = o.packed ? mk->matmul_packed : mk->matmul;
                for (int64_t r = r0; r < r1; r += o.call) // the backend's task size
                    mm(o.k, w + r * ws, ws, std::min<int64_t>(o.call, r1 - r), act.data(), as, n_act,
                       out.data() + r, size_t(o.rows));
                spent[size_t(t)] = cpu_now() - t0;
            });
        for (auto &t : th) t.join();
        best = std::min(best, *std::max_element(spent.begin(), spent.end()));
    }
    return best;
}

double time_matmul(const MatmulKernels *mk, const Options &o, const std::vector<uint8_t> &w, size_t ws,
                   const std::vector<uint8_t> &act, size_t as, int64_t n_act, std::vector<float> &out) {
    return time_matmul_ptr(mk, o, w.data(), ws, act, as, n_act, out);
}

void bench_type(loom_type t, const MatmulKernels *mk, const char *level, const Options &o) {
    const loom::TypeTraits *tt = loom::type_traits(t);
    if (!mk || !tt->from_float || o.k % tt->block_size) return;
    if (o.packed && (!mk->repack || o.rows % loom::cpu::kPackRows || o.call % loom::cpu::kPackRows)) return;
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    const size_t ws = size_t(o.k / tt->block_size) * tt->block_bytes;
    std::vector<uint8_t> w(ws * o.rows);
    std::vector<float> f(size_t(o.k) * 64);
    for (float &v : f) v = nd(rng);
    for (int64_t r = 0; r < o.rows; r += 64) // quantize 64 random rows, repeat them
        for (int64_t i = 0; i < 64 && r + i < o.rows; ++i)
            if (r == 0) tt->from_float(&f[i * o.k], &w[i * ws], o.k);
            else std::memcpy(&w[(r + i) * ws], &w[i * ws], ws);
    const size_t as = loom::cpu::act_row_bytes(mk->act_type, o.k);
    std::vector<uint8_t> act(as * o.acts);
    std::vector<float> x(size_t(o.k));
    for (int64_t j = 0; j < o.acts; ++j) {
        for (float &v : x) v = nd(rng);
        mk->convert_act(x.data(), &act[j * as], o.k);
    }
    std::vector<float> out(size_t(o.rows) * o.acts);
    if (o.packed) { // the load-time layout, as the backend makes it
        std::vector<uint8_t> p(w.size());
        const double t0 = cpu_now();
        mk->repack(w.data(), p.data(), o.rows, o.k);
        const double t1 = cpu_now();
        std::printf("%-8s %-7s repack %.1f MB in %.2f ms (%.2f GB/s)\n", tt->name, level,
                    w.size() * 1e-6, (t1 - t0) * 1e3, w.size() / (t1 - t0) * 1e-9);
        w.swap(p);
    }
    if (o.pages) { // the CPU backend's load-time copies (platform::alloc_pages)
        void *m = loom::platform::alloc_pages(w.size());
        if (!m) return;
        std::memcpy(m, w.data(), w.size());
        const auto *wp = static_cast<const uint8_t *>(m);
        const double tv = time_matmul_ptr(mk, o, wp, ws, act, as, 1, out);
        std::printf("%-8s %-7s %sdecode %7.2f GB/s (%6.2f ms) from alloc_pages memory\n", tt->name, level,
                    o.packed ? "packed " : "", double(w.size()) / tv * 1e-9, tv * 1e3);
        loom::platform::free_pages(m, w.size());
        return;
    }
    if (o.file_backed) { // weights read from a mapped file, as the backend reads a GGUF
        const std::string path = "/tmp/kernel_bench_weights.bin";
        FILE *f = std::fopen(path.c_str(), "wb");
        if (!f || std::fwrite(w.data(), 1, w.size(), f) != w.size()) return;
        std::fclose(f);
        const int fd = open(path.c_str(), O_RDONLY);
        void *m = mmap(nullptr, w.size(), PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        unlink(path.c_str());
        if (m == MAP_FAILED) return;
        std::memcpy(&out[0], m, 4); // touch
        const double tv = time_matmul_ptr(mk, o, static_cast<const uint8_t *>(m), ws, act, as, 1, out);
        std::printf("%-8s %-7s decode %7.2f GB/s (%6.2f ms) from a file mapping\n", tt->name,
                    level, double(w.size()) / tv * 1e-9, tv * 1e3);
        munmap(m, w.size());
        return;
    }
    const double tv = time_matmul(mk, o, w, ws, act, as, 1, out);
    const double tm = time_matmul(mk, o, w, ws, act, as, o.acts, out);
    std::printf("%-8s %-7s %sdecode %7.2f GB/s (%6.2f ms)   prompt x%-3lld %8.2f Gdot/s (%7.2f ms)\n", tt->name,
                level, o.packed ? "packed " : "", double(w.size()) / tv * 1e-9, tv * 1e3,
                (long long)o.acts,
                double(o.rows) * o.acts * o.k / tm * 1e-9, tm * 1e3);
}

// One decode token of a Qwen2-0.5B-shaped model (24 layers of q,k,v,o,gate,
// up,down + the 151936-row output), all weights of one type, one thread,
// mean CPU ms per token over `reps` tokens (not the best: a token's cost).
void sweep_qwen2_0_5b(loom_type t, const MatmulKernels *mk, const char *level, int reps, bool packed) {
    const loom::TypeTraits *tt = loom::type_traits(t);
    if (packed && !mk->repack) return;
    struct Shape { int64_t k, n; };
    std::vector<Shape> shapes;
    for (int l = 0; l < 24; ++l)
        for (Shape s : {Shape{896, 896}, Shape{896, 128}, Shape{896, 128}, Shape{896, 896}, Shape{896, 4864},
                        Shape{896, 4864}, Shape{4864, 896}})
            shapes.push_back(s);
    shapes.push_back({896, 151936});
    std::vector<std::vector<uint8_t>> ws;
    size_t total = 0;
    for (const Shape &s : shapes) {
        ws.emplace_back(size_t(s.k / tt->block_size) * tt->block_bytes * size_t(s.n), uint8_t(0x11));
        total += ws.back().size();
        if (packed) { // the load-time layout (every shape has rows in whole groups)
            std::vector<uint8_t> p(ws.back().size());
            mk->repack(ws.back().data(), p.data(), s.n, s.k);
            ws.back().swap(p);
        }
    }
    std::vector<float> x(4864, 0.5f), out(151936);
    std::vector<uint8_t> act(loom::cpu::act_row_bytes(mk->act_type, 4864));
    const double t0 = cpu_now();
    for (int rep = 0; rep < reps; ++rep)
        for (size_t i = 0; i < shapes.size(); ++i) {
            const size_t wstride = ws[i].size() / size_t(shapes[i].n);
            mk->convert_act(x.data(), act.data(), shapes[i].k);
            for (int64_t r = 0; r < shapes[i].n; r += 16)
                (packed ? mk->matmul_packed : mk->matmul)(shapes[i].k, ws[i].data() + r * wstride, wstride,
                                                          std::min<int64_t>(16, shapes[i].n - r), act.data(),
                                                          act.size(), 1, out.data() + r, out.size());
        }
    const double ms = (cpu_now() - t0) * 1e3 / reps;
    std::printf("%-8s %-7s %sqwen2-0.5b token sweep: %.1f MB, %.2f ms/token CPU, %.2f GB/s\n", tt->name,
                level, packed ? "packed " : "", total * 1e-6, ms, total / ms * 1e-6);
}

// The levels this machine has for type t: scalar, avx2, avx512 (without
// AMX), and amx where amx_kernels gives t tile kernels (AMX-INT8: Q4_0,
// IQ4_NL, Q8_0; AMX-BF16: BF16).
struct Level {
    const char *name;
    const MatmulKernels *mk;
};
std::vector<Level> levels(loom_type t) {
    std::vector<Level> out;
    for (Isa isa : {Isa::Scalar, Isa::Avx2, Isa::Avx512}) {
        if (int(isa) > int(loom::cpu::detected_isa())) continue;
        out.push_back({loom::cpu::isa_name(isa), loom::cpu::matmul_kernels(t, isa)});
    }
#if LOOM_KERNELS_X86
    const MatmulKernels *amx = loom::cpu::amx_kernels(t);
    if (amx) { // the same kernels without tiles
        const MatmulKernels *bf16 = loom::cpu::avx512bf16_kernels(t);
        out.back().mk = bf16 ? bf16 : loom::cpu::avx512_kernels(t);
        out.push_back({"amx", amx});
    }
#endif
    return out;
}

} // namespace

int main(int argc, char **argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--type") o.type = v;
        else if (a == "--isa") o.isa = v;
        else if (a == "--k") o.k = std::atoll(v.c_str());
        else if (a == "--rows") o.rows = std::atoll(v.c_str());
        else if (a == "--acts") o.acts = std::atoll(v.c_str());
        else if (a == "--threads") o.threads = std::atoi(v.c_str());
        else if (a == "--reps") o.reps = std::atoi(v.c_str());
        else if (a == "--file") o.file_backed = v == "1";
        else if (a == "--sweep") o.sweep = std::atoi(v.c_str());
        else if (a == "--packed") o.packed = v == "1";
        else if (a == "--pages") o.pages = v == "1";
        else if (a == "--call") o.call = std::max<int64_t>(1, std::atoll(v.c_str()));
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    std::printf("k=%lld rows=%lld acts=%lld threads=%d detected=%s\n", (long long)o.k, (long long)o.rows,
                (long long)o.acts, o.threads, loom::cpu::isa_name(loom::cpu::detected_isa()));
    const std::vector<loom_type> types = {LOOM_TYPE_Q4_0, LOOM_TYPE_Q4_1,  LOOM_TYPE_Q5_0, LOOM_TYPE_Q5_1,
                                          LOOM_TYPE_Q8_0, LOOM_TYPE_IQ4_NL, LOOM_TYPE_Q2_K, LOOM_TYPE_Q3_K,
                                          LOOM_TYPE_Q4_K, LOOM_TYPE_Q5_K,  LOOM_TYPE_Q6_K, LOOM_TYPE_IQ4_XS,
                                          LOOM_TYPE_F16,  LOOM_TYPE_BF16,  LOOM_TYPE_F32};
    for (loom_type t : types) {
        if (!o.type.empty() && o.type != loom::type_traits(t)->name) continue;
        for (const Level &l : levels(t)) {
            if (!o.isa.empty() && o.isa != l.name) continue;
            if (o.sweep > 0) sweep_qwen2_0_5b(t, l.mk, l.name, o.sweep, o.packed);
            else bench_type(t, l.mk, l.name, o);
        }
    }
    return 0;
}
