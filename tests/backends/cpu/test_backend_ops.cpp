// The CPU backend's ops through the backends/backend.h interface, each
// against the plain math written here (double accumulation). These pin the
// interface's semantics for every backend: a Vulkan session must give the
// same answers to the same calls.
#include "backends/backend.h"
#include "cpu/cpu_tensor.h"
#include "cpu/kernels.h"
#include "quant/quant.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <vector>

namespace {

using loom::Tensor;

struct Fixture {
    std::unique_ptr<loom::Backend> backend;
    std::unique_ptr<loom::Session> s;
    std::mt19937 rng{42};

    explicit Fixture(int threads = 3, bool repack = true, bool copy = false) {
        REQUIRE(loom::create_cpu_backend(&backend, repack, copy).is_ok());
        loom::SessionParams p;
        p.n_threads = threads;
        REQUIRE(backend->new_session(p, &s).is_ok());
    }
    std::vector<float> random(size_t n, float scale = 1.0f) {
        std::normal_distribution<float> d(0.0f, scale);
        std::vector<float> v(n);
        for (float &x : v) x = d(rng);
        return v;
    }
    Tensor *f32(int64_t cols, int64_t rows, const std::vector<float> &v) {
        Tensor *t = nullptr;
        REQUIRE(s->alloc(LOOM_TYPE_F32, cols, rows, &t).is_ok());
        if (!v.empty()) REQUIRE(s->upload(t, 0, v.data(), v.size() * 4).is_ok());
        return t;
    }
    Tensor *i32(const std::vector<int32_t> &v) {
        Tensor *t = nullptr;
        REQUIRE(s->alloc(LOOM_TYPE_I32, int64_t(v.size()), 1, &t).is_ok());
        REQUIRE(s->upload(t, 0, v.data(), v.size() * 4).is_ok());
        return t;
    }
    std::vector<float> read(const Tensor *t, size_t n) {
        std::vector<float> v(n);
        REQUIRE(s->download(t, 0, v.data(), n * 4).is_ok());
        return v;
    }
    void run() { REQUIRE(s->compute(nullptr).is_ok()); }
};

// Quantized bytes of rows x cols floats, and the floats they decode to.
std::vector<uint8_t> quantize(loom_type type, const std::vector<float> &f, int64_t rows, int64_t cols,
                              std::vector<float> *decoded) {
    size_t row = 0, written = 0;
    REQUIRE(loom_row_size(type, cols, &row) == LOOM_OK);
    std::vector<uint8_t> q(row * size_t(rows));
    REQUIRE(loom_quantize(type, f.data(), rows, cols, q.data(), q.size(), &written) == LOOM_OK);
    decoded->resize(f.size());
    REQUIRE(loom_dequantize(type, q.data(), q.size(), rows, cols, decoded->data()) == LOOM_OK);
    return q;
}

double max_rel(const std::vector<float> &a, const std::vector<double> &b) {
    double num = 0, den = 0;
    for (size_t i = 0; i < a.size(); i++) {
        num = std::max(num, std::fabs(double(a[i]) - b[i]));
        den = std::max(den, std::fabs(b[i]));
    }
    return num / den;
}

} // namespace

TEST_CASE("matmul_with_quantized_weight_and_bias_matches_dequantized_math", "[cpu_backend]") {
    for (loom_type type : {LOOM_TYPE_F32, LOOM_TYPE_F16, LOOM_TYPE_BF16, LOOM_TYPE_Q8_0, LOOM_TYPE_Q4_0, LOOM_TYPE_Q4_K,
                           LOOM_TYPE_Q6_K}) {
        Fixture f;
        const int64_t k = 256, n_out = 40, rows = 5;
        std::vector<float> wf = f.random(size_t(k * n_out)), deq;
        std::vector<uint8_t> wq = quantize(type, wf, n_out, k, &deq);
        Tensor *w = nullptr;
        REQUIRE(f.backend->create_weight(type, k, n_out, wq.data(), &w).is_ok());
        std::vector<float> x = f.random(size_t(k * rows)), b = f.random(size_t(n_out));
        Tensor *src = f.f32(k, rows, x), *bias = f.f32(n_out, 1, b), *dst = f.f32(n_out, rows, {});
        REQUIRE(f.s->begin_graph().is_ok());
        REQUIRE(f.s->matmul(dst, w, src, bias, rows).is_ok());
        f.run();
        std::vector<double> want(size_t(n_out * rows));
        for (int64_t j = 0; j < rows; j++)
            for (int64_t r = 0; r < n_out; r++) {
                double acc = b[size_t(r)];
                for (int64_t i = 0; i < k; i++) acc += double(deq[size_t(r * k + i)]) * x[size_t(j * k + i)];
                want[size_t(j * n_out + r)] = acc;
            }
        INFO(loom_type_name(type));
        // f32 sums of 256 terms; quantized types: two-part 8-bit activations (~1e-4).
        CHECK(max_rel(f.read(dst, want.size()), want) < 3e-4);
    }
}

TEST_CASE("matmuls_over_one_input_run_as_a_group_and_match_math", "[cpu_backend]") {
    // q/k/v-like matmuls recorded back to back over one input, with weights
    // of different activation types (Q8_0, Q8_K, f32) and sizes, one bias;
    // then a matmul writing its own input, which must not join the group.
    Fixture f;
    const int64_t k = 256, rows = 3;
    const loom_type types[] = {LOOM_TYPE_Q8_0, LOOM_TYPE_Q4_K, LOOM_TYPE_F16, LOOM_TYPE_Q6_K};
    const int64_t n_out[] = {40, 24, 8, 256};
    std::vector<float> x = f.random(size_t(k * rows)), b = f.random(size_t(n_out[1]));
    Tensor *src = f.f32(k, rows, x), *bias = f.f32(n_out[1], 1, b);
    std::vector<std::vector<float>> deq(4);
    std::vector<std::vector<uint8_t>> bytes(4);
    Tensor *w[4] = {}, *dst[4] = {};
    for (int i = 0; i < 4; i++) {
        bytes[size_t(i)] = quantize(types[i], f.random(size_t(k * n_out[i])), n_out[i], k, &deq[size_t(i)]);
        REQUIRE(f.backend->create_weight(types[i], k, n_out[i], bytes[size_t(i)].data(), &w[i]).is_ok());
        dst[i] = f.f32(n_out[i], rows, {});
    }
    REQUIRE(f.s->begin_graph().is_ok());
    for (int i = 0; i < 3; i++) REQUIRE(f.s->matmul(dst[i], w[i], src, i == 1 ? bias : nullptr, rows).is_ok());
    REQUIRE(f.s->matmul(src, w[3], src, nullptr, rows).is_ok());   // in place: reads the original input
    f.run();
    for (int i = 0; i < 4; i++) {
        std::vector<double> want(size_t(n_out[i] * rows));
        for (int64_t j = 0; j < rows; j++)
            for (int64_t r = 0; r < n_out[i]; r++) {
                double acc = i == 1 ? b[size_t(r)] : 0.0;
                for (int64_t c = 0; c < k; c++) acc += double(deq[size_t(i)][size_t(r * k + c)]) * x[size_t(j * k + c)];
                want[size_t(j * n_out[i] + r)] = acc;
            }
        INFO(loom_type_name(types[i]));
        CHECK(max_rel(f.read(i == 3 ? src : dst[i], want.size()), want) < 3e-4);
    }
}

// Session::set_op_times (tests/bench/op_profile): every op run while set is
// timed under its label, a matmul group's naming its weights' types, k, the
// output rows and input rows, with the weight bytes it read; nothing after
// it is unset.
TEST_CASE("op_times_label_each_op_and_count_a_matmul_groups_weight_bytes", "[cpu_backend]") {
    Fixture f;
    const int64_t k = 256, rows = 2;
    const loom_type types[] = {LOOM_TYPE_Q8_0, LOOM_TYPE_Q4_K};
    const int64_t n_out[] = {40, 32};
    Tensor *src = f.f32(k, rows, f.random(size_t(k * rows))), *w[2] = {}, *dst[2] = {};
    std::vector<std::vector<uint8_t>> bytes(2);
    std::vector<float> deq;
    for (int i = 0; i < 2; i++) {
        bytes[size_t(i)] = quantize(types[i], f.random(size_t(k * n_out[i])), n_out[i], k, &deq);
        REQUIRE(f.backend->create_weight(types[i], k, n_out[i], bytes[size_t(i)].data(), &w[i]).is_ok());
        dst[i] = f.f32(n_out[i], rows, {});
    }
    Tensor *norm_w = f.f32(k, 1, f.random(size_t(k))), *normed = f.f32(k, rows, {});
    auto graph = [&] {
        REQUIRE(f.s->begin_graph().is_ok());
        REQUIRE(f.s->matmul(dst[0], w[0], src, nullptr, rows).is_ok());
        REQUIRE(f.s->matmul(dst[1], w[1], src, nullptr, rows).is_ok());
        REQUIRE(f.s->rmsnorm(normed, src, norm_w, 1e-6f, rows).is_ok());
        f.run();
    };
    loom::OpTimes times;
    f.s->set_op_times(&times);
    graph();
    graph();
    f.s->set_op_times(nullptr);
    graph();
    REQUIRE(times.entries.size() == 2);
    const loom::OpTimes::Entry &mm = times.entries[0], &norm = times.entries[1];
    CHECK(mm.label == "matmul Q8_0+Q4_K k=256 n=72 rows=2");
    CHECK(mm.calls == 2);
    CHECK(mm.bytes == 2 * (bytes[0].size() + bytes[1].size()));
    CHECK(mm.seconds > 0);
    CHECK(norm.label == "rmsnorm");
    CHECK(norm.calls == 2);
    CHECK(norm.bytes == 0);
}

TEST_CASE("repacked_or_in_place_weights_match_dequantized_math_and_get_rows_reads_the_original", "[cpu_backend]") {
    // Whole groups of kPackRows rows: the types whose kernels have a
    // load-time layout are repacked (holds_copy) unless the backend reads
    // weights in place (repack_weights = false, for models larger than RAM),
    // and every matmul path (decode, the two-part exact activations, a
    // prompt) reads the packed or the original bytes while get_rows still
    // decodes the original rows. With copy_weights the other types get a
    // plain copy, which every path reads: the source bytes are overwritten
    // after create_weight.
    for (loom_type type : {LOOM_TYPE_Q4_0, LOOM_TYPE_IQ4_NL, LOOM_TYPE_IQ4_XS, LOOM_TYPE_Q5_0, LOOM_TYPE_Q5_1,
                           LOOM_TYPE_Q8_0, LOOM_TYPE_Q4_K, LOOM_TYPE_F16}) {
        INFO(loom_type_name(type));
        const int64_t k = 512, n_out = 3 * loom::cpu::kPackRows;
        for (int mode = 0; mode < 8; mode++) {
            const bool fast = mode & 1, repack = !(mode & 2), copy = mode & 4;
            INFO("fast " << fast << " repack " << repack << " copy " << copy);
            Fixture f(3, repack, copy);
            loom::SessionParams p;
            p.n_threads = 3;
            p.fast_matmul = fast;
            REQUIRE(f.backend->new_session(p, &f.s).is_ok());
            std::vector<float> wf = f.random(size_t(k * n_out)), deq;
            std::vector<uint8_t> wq = quantize(type, wf, n_out, k, &deq);
            Tensor *w = nullptr;
            REQUIRE(f.backend->create_weight(type, k, n_out, wq.data(), &w).is_ok());
            const loom::cpu::MatmulKernels *mk = loom::cpu::matmul_kernels(type, loom::cpu::active_isa());
            CHECK(w->holds_copy == (repack && (mk->repack != nullptr || copy)));
            const bool plain_copy = repack && copy && !mk->repack;
            if (plain_copy) std::fill(wq.begin(), wq.end(), uint8_t(0x55));   // only the copy may be read
            for (int64_t rows : {1, 2, 7}) {
                INFO("rows " << rows);
                std::vector<float> x = f.random(size_t(k * rows));
                Tensor *src = f.f32(k, rows, x), *dst = f.f32(n_out, rows, {});
                REQUIRE(f.s->begin_graph().is_ok());
                REQUIRE(f.s->matmul(dst, w, src, nullptr, rows).is_ok());
                f.run();
                std::vector<double> want(size_t(n_out * rows)), s_term(want.size(), 0.0);
                // The _1 types (Q8_1 activations) store each block's s = d*sum(q) as fp16: the
                // m*s term of a block carries up to 2^-11 of |m| |s| per activation part.
                const bool q8_1 = mk->act_type == LOOM_TYPE_Q8_1;
                for (int64_t j = 0; j < rows; j++)
                    for (int64_t r = 0; r < n_out; r++) {
                        double acc = 0;
                        for (int64_t i = 0; i < k; i++) acc += double(deq[size_t(r * k + i)]) * x[size_t(j * k + i)];
                        want[size_t(j * n_out + r)] = acc;
                        for (int64_t b0 = 0; q8_1 && b0 < k; b0 += 32) {
                            // |m| <= max|w| of the block; |s| <= sum|x| + 32 half-steps of d = amax/127.
                            double wmax = 0, xsum = 0, amax = 0;
                            for (int64_t i = b0; i < b0 + 32; i++) {
                                wmax = std::max(wmax, std::fabs(double(deq[size_t(r * k + i)])));
                                xsum += std::fabs(double(x[size_t(j * k + i)]));
                                amax = std::max(amax, std::fabs(double(x[size_t(j * k + i)])));
                            }
                            s_term[size_t(j * n_out + r)] += wmax * (xsum + 16 * amax / 127) * (fast ? 1.0 : 2.0) / 2048;
                        }
                    }
                // exact: two-part activations (~1e-4); fast: one 8-bit pass (the 3e-2 band of test_model).
                const std::vector<float> got = f.read(dst, want.size());
                double mag = 0;
                for (double v : want) mag = std::max(mag, std::fabs(v));
                for (size_t i = 0; i < want.size(); i++) {
                    INFO("output " << i << ": " << got[i] << " vs " << want[i]);
                    REQUIRE(std::fabs(got[i] - want[i]) <= (fast ? 3e-2 : 3e-4) * mag + s_term[i]);
                }
            }
            const std::vector<int32_t> ids = {int32_t(n_out - 1), 0, 17};
            Tensor *rows_out = f.f32(k, 3, {});
            REQUIRE(f.s->begin_graph().is_ok());
            REQUIRE(f.s->get_rows(rows_out, w, f.i32(ids), 3).is_ok());
            f.run();
            std::vector<float> got = f.read(rows_out, size_t(k * 3));
            for (size_t i = 0; i < ids.size(); i++)
                for (int64_t c = 0; c < k; c++) REQUIRE(got[i * k + size_t(c)] == deq[size_t(ids[i] * k + c)]);
        }
    }
}

#if defined(__linux__)
// The VmFlags of the mapping of /proc/self/smaps that holds `p` ("" if none).
std::string vm_flags_at(const void *p) {
    std::ifstream smaps("/proc/self/smaps");
    const auto at = reinterpret_cast<uintptr_t>(p);
    std::string line;
    bool inside = false;
    while (std::getline(smaps, line)) {
        unsigned long lo = 0, hi = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find(' ')) {
            inside = at >= lo && at < hi;
        } else if (inside && line.rfind("VmFlags:", 0) == 0) {
            return line;
        }
    }
    return "";
}

// Copies of weights of 2 MiB or more (load-time copies of a mapped file's
// weights) start on a 2 MiB boundary in a mapping advised for transparent
// huge pages ("hg": madvise MADV_HUGEPAGE), hold the source bytes, and are
// what the tensor reads.
TEST_CASE("weight_copies_are_2_mib_aligned_and_advised_for_huge_pages", "[cpu_backend]") {
    std::unique_ptr<loom::Backend> backend;
    REQUIRE(loom::create_cpu_backend(&backend, true, true).is_ok());
    const int64_t k = 2048, n = 1040;   // 4.06 MiB of F16
    std::vector<uint8_t> src(size_t(k * n * 2));
    for (size_t i = 0; i < src.size(); i++) src[i] = uint8_t(i * 2654435761u >> 13) & 0x3B;   // finite halves
    Tensor *w = nullptr;
    REQUIRE(backend->create_weight(LOOM_TYPE_F16, k, n, src.data(), &w).is_ok());
    CHECK(w->holds_copy);
    const uint8_t *data = loom::cpu::cpu(w)->data;
    CHECK(data != src.data());
    CHECK(reinterpret_cast<uintptr_t>(data) % (uintptr_t(2) << 20) == 0);
    CHECK(std::memcmp(data, src.data(), src.size()) == 0);
    const std::string flags = vm_flags_at(data);
    INFO(flags);
    // Where the kernel records the advice at all: qemu-user (the aarch64 CI
    // run) accepts madvise and drops it, so a mapping of our own is probed.
    const size_t probe_bytes = size_t(4) << 20;
    void *probe = mmap(nullptr, probe_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(probe != MAP_FAILED);
    const uintptr_t at = (reinterpret_cast<uintptr_t>(probe) + (uintptr_t(2) << 20) - 1) & ~((uintptr_t(2) << 20) - 1);
    const bool advice_shows = madvise(reinterpret_cast<void *>(at), size_t(2) << 20, MADV_HUGEPAGE) == 0 &&
                              vm_flags_at(reinterpret_cast<void *>(at)).find(" hg") != std::string::npos;
    munmap(probe, probe_bytes);
    if (advice_shows) CHECK(flags.find(" hg") != std::string::npos);
    else WARN("madvise(MADV_HUGEPAGE) leaves no hg flag on this system (qemu-user?): the advice is not checked");
}
#endif

// Announced weights (Backend::expect_weight, as Model::load does before it
// creates them) get their load-time copies, repacked and plain, one after
// another in one arena (on Linux starting on a 2 MiB boundary), small
// matrices included; a weight not announced gets a block of its own. Each copy holds
// the bytes a copy of its own would.
TEST_CASE("announced_weight_copies_share_one_arena", "[cpu_backend]") {
    std::unique_ptr<loom::Backend> backend;
    REQUIRE(loom::create_cpu_backend(&backend, true, true).is_ok());
    Fixture f;
    std::vector<float> decoded;
    const int64_t k = 896;
    const std::vector<uint8_t> q4 = quantize(LOOM_TYPE_Q4_0, f.random(size_t(k * 128)), 128, k, &decoded);
    const std::vector<uint8_t> q8 = quantize(LOOM_TYPE_Q8_0, f.random(size_t(k * 37)), 37, k, &decoded);
    std::vector<uint8_t> h(size_t(k * 1200 * 2));
    for (size_t i = 0; i < h.size(); i++) h[i] = uint8_t(i * 2654435761u >> 13) & 0x3B;   // finite halves
    backend->expect_weight(LOOM_TYPE_Q8_0, k, 37);
    backend->expect_weight(LOOM_TYPE_F16, k, 1200);
    backend->expect_weight(LOOM_TYPE_Q4_0, k, 128);
    Tensor *w8 = nullptr, *wh = nullptr, *w4 = nullptr, *extra = nullptr;
    REQUIRE(backend->create_weight(LOOM_TYPE_Q8_0, k, 37, q8.data(), &w8).is_ok());
    REQUIRE(backend->create_weight(LOOM_TYPE_F16, k, 1200, h.data(), &wh).is_ok());
    REQUIRE(backend->create_weight(LOOM_TYPE_Q4_0, k, 128, q4.data(), &w4).is_ok());
    REQUIRE(backend->create_weight(LOOM_TYPE_Q8_0, k, 37, q8.data(), &extra).is_ok());
    backend->finish_load();
    const loom::cpu::CpuTensor *c8 = loom::cpu::cpu(w8), *ch = loom::cpu::cpu(wh), *c4 = loom::cpu::cpu(w4);
#if defined(__linux__)   // platform::alloc_pages aligns for transparent huge pages there only
    CHECK(reinterpret_cast<uintptr_t>(c8->data) % (uintptr_t(2) << 20) == 0);
#endif
    CHECK(ch->data == c8->data + loom::cpu::weight_copy_bytes(q8.size()));
    CHECK(std::memcmp(c8->data, q8.data(), q8.size()) == 0);
    CHECK(std::memcmp(ch->data, h.data(), h.size()) == 0);
    // Q4_0: repacked where this ISA has a layout for it (then beside the F16 copy), else a plain copy.
    const uint8_t *q4_copy = c4->packed ? c4->packed : c4->data;
    CHECK(q4_copy == ch->data + loom::cpu::weight_copy_bytes(h.size()));
    std::vector<uint8_t> want = q4;
    const loom::cpu::MatmulKernels *kq = loom::cpu::matmul_kernels(LOOM_TYPE_Q4_0, loom::cpu::active_isa());
    if (c4->packed) kq->repack(q4.data(), want.data(), 128, k);
    CHECK(std::memcmp(q4_copy, want.data(), q4.size()) == 0);
    CHECK(loom::cpu::weight_copy_size(true, true, LOOM_TYPE_Q4_0, k, 128) == loom::cpu::weight_copy_bytes(q4.size()));
    // Not announced: a copy of its own, outside the arena.
    const uint8_t *e = loom::cpu::cpu(extra)->data;
    CHECK(extra->holds_copy);
    CHECK((e < c8->data || e >= q4_copy + q4.size()));
    CHECK(std::memcmp(e, q8.data(), q8.size()) == 0);
}

#if defined(__linux__)
// Threads of this process (/proc/self/task).
int thread_count() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
    return -1;
}
#endif

// Load-time copies split into 2 MiB tasks over load_threads threads (the
// last task short, a repack's tasks whole groups of 16 rows) hold exactly
// the bytes one thread makes; the threads run from the first copy until
// finish_load().
TEST_CASE("load_threads_make_the_same_copies_as_one_thread", "[cpu_backend]") {
    Fixture f;
    const int64_t k = 4096, n = 2000;   // Q4_0: 4.4 MiB, 125 groups; F16 at k = 2048, n = 1100: 4.3 MiB
    std::vector<float> decoded;
    std::vector<uint8_t> q4 = quantize(LOOM_TYPE_Q4_0, f.random(size_t(k * n)), n, k, &decoded);
    std::vector<uint8_t> h(size_t(2048 * 1100 * 2));
    for (size_t i = 0; i < h.size(); i++) h[i] = uint8_t(i * 2654435761u >> 13) & 0x3B;
    struct Made {
        std::unique_ptr<loom::Backend> backend;
        Tensor *q4 = nullptr, *h = nullptr;
    } made[2];
    const int load_threads[2] = {1, 4};
    for (int i = 0; i < 2; i++) {
#if defined(__linux__)
        const int before = thread_count();
#endif
        REQUIRE(loom::create_cpu_backend(&made[i].backend, true, true, load_threads[i]).is_ok());
        REQUIRE(made[i].backend->create_weight(LOOM_TYPE_Q4_0, k, n, q4.data(), &made[i].q4).is_ok());
        REQUIRE(made[i].backend->create_weight(LOOM_TYPE_F16, 2048, 1100, h.data(), &made[i].h).is_ok());
#if defined(__linux__)
        CHECK(thread_count() == before + load_threads[i] - 1);
        made[i].backend->finish_load();
        // A joined thread leaves the count a moment after pthread_join
        // returns (the kernel wakes the joiner before it releases the task;
        // under qemu-user, later still): wait up to 5 s for it.
        for (int waited = 0; thread_count() != before && waited < 500; waited++)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        CHECK(thread_count() == before);
#else
        made[i].backend->finish_load();
#endif
    }
    const loom::cpu::CpuTensor *a = loom::cpu::cpu(made[0].q4), *b = loom::cpu::cpu(made[1].q4);
    REQUIRE((a->packed != nullptr) == (b->packed != nullptr));
    const uint8_t *qa = a->packed ? a->packed : a->data, *qb = b->packed ? b->packed : b->data;
    CHECK((qa != q4.data() && qb != q4.data()));
    // What one repack of the whole tensor makes (or, without a load-time
    // layout on this ISA, the source bytes).
    std::vector<uint8_t> want = q4;
    const loom::cpu::MatmulKernels *kq = loom::cpu::matmul_kernels(LOOM_TYPE_Q4_0, loom::cpu::active_isa());
    if (a->packed) kq->repack(q4.data(), want.data(), n, k);
    CHECK(std::memcmp(qa, want.data(), q4.size()) == 0);
    CHECK(std::memcmp(qb, want.data(), q4.size()) == 0);
    const uint8_t *ha = loom::cpu::cpu(made[0].h)->data, *hb = loom::cpu::cpu(made[1].h)->data;
    CHECK((ha != h.data() && hb != h.data()));
    CHECK(std::memcmp(hb, h.data(), h.size()) == 0);
    CHECK(std::memcmp(ha, hb, h.size()) == 0);
}

TEST_CASE("get_rows_decodes_the_selected_rows", "[cpu_backend]") {
    Fixture f;
    const int64_t cols = 64, rows = 10;
    std::vector<float> tf = f.random(size_t(cols * rows)), deq;
    std::vector<uint8_t> tq = quantize(LOOM_TYPE_Q8_0, tf, rows, cols, &deq);
    Tensor *table = nullptr;
    REQUIRE(f.backend->create_weight(LOOM_TYPE_Q8_0, cols, rows, tq.data(), &table).is_ok());
    const std::vector<int32_t> ids = {7, 0, 7, 9};
    Tensor *dst = f.f32(cols, 4, {});
    REQUIRE(f.s->begin_graph().is_ok());
    REQUIRE(f.s->get_rows(dst, table, f.i32(ids), 4).is_ok());
    f.run();
    std::vector<float> got = f.read(dst, size_t(cols * 4));
    for (size_t i = 0; i < ids.size(); i++)
        for (int64_t c = 0; c < cols; c++) CHECK(got[i * cols + size_t(c)] == deq[size_t(ids[i] * cols + c)]);
}

TEST_CASE("rmsnorm_scales_rows_to_unit_rms_times_weight", "[cpu_backend]") {
    Fixture f;
    const int64_t n = 48, rows = 3;
    std::vector<float> x = f.random(size_t(n * rows), 3.0f), g = f.random(size_t(n));
    Tensor *dst = f.f32(n, rows, {});
    REQUIRE(f.s->begin_graph().is_ok());
    REQUIRE(f.s->rmsnorm(dst, f.f32(n, rows, x), f.f32(n, 1, g), 1e-6f, rows).is_ok());
    f.run();
    std::vector<double> want(x.size());
    for (int64_t r = 0; r < rows; r++) {
        double ss = 0;
        for (int64_t i = 0; i < n; i++) ss += double(x[size_t(r * n + i)]) * x[size_t(r * n + i)];
        for (int64_t i = 0; i < n; i++)
            want[size_t(r * n + i)] = x[size_t(r * n + i)] / std::sqrt(ss / n + 1e-6) * g[size_t(i)];
    }
    CHECK(max_rel(f.read(dst, x.size()), want) < 1e-6);
}

TEST_CASE("rope_rotates_neox_and_normal_pairs", "[cpu_backend]") {
    // d = 160: 80 pairs, more than op_rope takes at a time (64)
    for (loom::RopeMode mode : {loom::RopeMode::Neox, loom::RopeMode::Normal})
        for (const int d : {16, 160}) {
            CAPTURE(d);
            Fixture f;
            const int n_head = 3, rows = 4;
            std::vector<float> x = f.random(size_t(n_head * d * rows));
            const std::vector<int32_t> pos = {0, 1, 17, 1000};
            Tensor *t = f.f32(n_head * d, rows, x);
            REQUIRE(f.s->begin_graph().is_ok());
            REQUIRE(f.s->rope(t, f.i32(pos), mode, n_head, d, 10000.0f, rows).is_ok());
            f.run();
            std::vector<double> want(x.begin(), x.end());
            for (int r = 0; r < rows; r++)
                for (int h = 0; h < n_head; h++)
                    for (int j = 0; j < d / 2; j++) {
                        const double th = pos[size_t(r)] * std::pow(10000.0, -2.0 * j / d);
                        const size_t base = size_t(r * n_head * d + h * d);
                        const size_t a = base + size_t(mode == loom::RopeMode::Neox ? j : 2 * j);
                        const size_t b = base + size_t(mode == loom::RopeMode::Neox ? j + d / 2 : 2 * j + 1);
                        want[a] = x[a] * std::cos(th) - x[b] * std::sin(th);
                        want[b] = x[a] * std::sin(th) + x[b] * std::cos(th);
                    }
            CHECK(max_rel(f.read(t, x.size()), want) < 1e-6);
        }
}

// Attention of query rows each over its own range of n_ctx cells, seeing
// cell c of its range iff visible(row, c), vs double-precision softmax math
// over the cache's own rounding of K and V. Cells in no row's range hold
// 60,000 (a finite f16): reading one for a row would swamp its output.
struct AttnRow {
    int lo, hi;
};
void check_attention(loom_type kv, int n_ctx, const std::vector<AttnRow> &ranges,
                     const std::function<bool(int, int)> &visible) {
    Fixture f;
    const int rows = int(ranges.size()), n_head = 4, n_kv_head = 2, d = 32, w = n_kv_head * d;
    int width = 0;
    for (const AttnRow &r : ranges) width = std::max(width, r.hi - r.lo);
    std::vector<float> q = f.random(size_t(rows * n_head * d)), kf = f.random(size_t(n_ctx * w)),
                       vf = f.random(size_t(n_ctx * w));
    std::vector<bool> in_range(size_t(n_ctx), false);
    for (const AttnRow &r : ranges)
        for (int c = r.lo; c < r.hi; c++) in_range[size_t(c)] = true;
    for (int c = 0; c < n_ctx; c++)
        for (int j = 0; j < w && !in_range[size_t(c)]; j++) kf[size_t(c * w + j)] = vf[size_t(c * w + j)] = 6.0e4f;
    Tensor *k = nullptr, *v = nullptr;
    REQUIRE(f.s->alloc(kv, w, n_ctx, &k).is_ok());
    REQUIRE(f.s->alloc(kv, w, n_ctx, &v).is_ok());
    std::vector<int32_t> cells(static_cast<size_t>(n_ctx)), flat;
    for (int i = 0; i < n_ctx; i++) cells[size_t(i)] = i;
    std::vector<float> mask(size_t(rows * width), -INFINITY);
    for (int r = 0; r < rows; r++) {
        flat.insert(flat.end(), {ranges[size_t(r)].lo, ranges[size_t(r)].hi});
        for (int c = ranges[size_t(r)].lo; c < ranges[size_t(r)].hi; c++)
            if (visible(r, c)) mask[size_t(r * width + c - ranges[size_t(r)].lo)] = 0.0f;
    }
    Tensor *out = f.f32(n_head * d, rows, {});
    REQUIRE(f.s->begin_graph().is_ok());
    REQUIRE(f.s->kv_store(k, f.f32(w, n_ctx, kf), f.i32(cells), n_ctx).is_ok());
    REQUIRE(f.s->kv_store(v, f.f32(w, n_ctx, vf), f.i32(cells), n_ctx).is_ok());
    Tensor *rt = nullptr;
    REQUIRE(f.s->alloc(LOOM_TYPE_I32, 2, rows, &rt).is_ok());
    REQUIRE(f.s->upload(rt, 0, flat.data(), flat.size() * 4).is_ok());
    REQUIRE(f.s->attention(out, f.f32(n_head * d, rows, q), k, v, rt, f.f32(width, rows, mask), n_head, n_kv_head, d,
                           0.125f, width, rows).is_ok());
    f.run();
    // What the cache holds: K and V rounded through its type.
    std::vector<float> kr = kf, vr = vf;
    if (kv != LOOM_TYPE_F32) {
        quantize(kv, kf, n_ctx, w, &kr);
        quantize(kv, vf, n_ctx, w, &vr);
    }
    std::vector<double> want(size_t(rows * n_head * d));
    for (int r = 0; r < rows; r++)
        for (int h = 0; h < n_head; h++) {
            const int g = h / (n_head / n_kv_head);
            std::vector<double> p(size_t(n_ctx), 0.0);
            double mx = -INFINITY, sum = 0;
            for (int c = ranges[size_t(r)].lo; c < ranges[size_t(r)].hi; c++) {
                if (!visible(r, c)) continue;
                double s = 0;
                for (int j = 0; j < d; j++) s += double(q[size_t((r * n_head + h) * d + j)]) * kr[size_t(c * w + g * d + j)];
                p[size_t(c)] = 0.125 * s;
                mx = std::max(mx, p[size_t(c)]);
            }
            for (int c = ranges[size_t(r)].lo; c < ranges[size_t(r)].hi; c++)
                sum += p[size_t(c)] = visible(r, c) ? std::exp(p[size_t(c)] - mx) : 0.0;
            for (int j = 0; j < d; j++) {
                double o = 0;
                for (int c = ranges[size_t(r)].lo; c < ranges[size_t(r)].hi; c++)
                    if (p[size_t(c)] != 0.0) o += p[size_t(c)] * vr[size_t(c * w + g * d + j)];
                want[size_t((r * n_head + h) * d + j)] = o / sum;
            }
        }
    INFO(loom_type_name(kv) << " rows " << rows << " width " << width);
    CHECK(max_rel(f.read(out, want.size()), want) < 1e-5);
}

// `rows` rows of one sequence over cells [0, n_kv): row r sees c <= r + n_kv - rows
// except every seventh cell (holes).
void check_prefix_attention(loom_type kv, int rows, int n_ctx, int n_kv) {
    check_attention(kv, n_ctx, std::vector<AttnRow>(size_t(rows), AttnRow{0, n_kv}),
                    [&](int r, int c) { return c <= r + n_kv - rows && (c % 7 != 1 || c == 1 + 7 * 3); });
}

TEST_CASE("attention_with_gqa_and_mask_matches_softmax_math", "[cpu_backend]") {
    for (loom_type kv : {LOOM_TYPE_F32, LOOM_TYPE_F16, LOOM_TYPE_Q8_0}) {
        check_prefix_attention(kv, 3, 8, 6);      // a prompt: the cache widened once, shared by the rows
        check_prefix_attention(kv, 1, 8, 6);      // decode: the cache read in place
        check_prefix_attention(kv, 5, 80, 70);    // several blocks of cells per row
    }
}

TEST_CASE("decode_attention_over_a_long_cache_splits_and_merges_chunks", "[cpu_backend]") {
    // 1,500 cells: one query row over two KV heads is split into chunks of
    // >= 256 cells for the 3 threads, then merged.
    for (loom_type kv : {LOOM_TYPE_F32, LOOM_TYPE_F16, LOOM_TYPE_Q8_0}) check_prefix_attention(kv, 1, 1600, 1500);
}

TEST_CASE("prompt_attention_over_a_long_cache_splits_its_shared_copy_into_chunks", "[cpu_backend]") {
    // Two rows of a prompt share the widened copy (at the AVX-512 level its
    // keys packed once) and, being too few for the 3 threads, split it into
    // chunks of 500 cells (not whole blocks of 32), merged after.
    for (loom_type kv : {LOOM_TYPE_F32, LOOM_TYPE_F16, LOOM_TYPE_Q8_0}) check_prefix_attention(kv, 2, 1600, 1500);
}

TEST_CASE("attention_rows_read_only_their_own_ranges_of_cells", "[cpu_backend]") {
    // A server's mixed batch: three sequences' decode rows (one long enough to
    // be split into chunks), then a prompt of four rows of a fourth sequence
    // (widened once and shared), each over its own region of the cache; the
    // cells between the regions hold poison.
    const std::vector<AttnRow> ranges = {{0, 300}, {600, 1200}, {1250, 1260},
                                         {1500, 1597}, {1500, 1598}, {1500, 1599}, {1500, 1600}};
    for (loom_type kv : {LOOM_TYPE_F32, LOOM_TYPE_F16, LOOM_TYPE_Q8_0})
        check_attention(kv, 1700, ranges, [&](int r, int c) {
            return r >= 3 ? c % 5 != 3 : c % 11 != 4;   // holes (another sequence's cells, removed ones)
        });
}

TEST_CASE("swiglu_and_add_are_elementwise", "[cpu_backend]") {
    Fixture f;
    const int64_t n = 37, rows = 2;
    std::vector<float> a = f.random(size_t(n * rows)), b = f.random(size_t(n * rows));
    Tensor *ta = f.f32(n, rows, a), *tb = f.f32(n, rows, b), *sw = f.f32(n, rows, {}), *sum = f.f32(n, rows, {});
    REQUIRE(f.s->begin_graph().is_ok());
    REQUIRE(f.s->swiglu(sw, ta, tb, rows).is_ok());
    REQUIRE(f.s->add(sum, ta, tb, rows).is_ok());
    f.run();
    std::vector<double> want_sw(a.size()), want_add(a.size());
    for (size_t i = 0; i < a.size(); i++) {
        want_sw[i] = a[i] / (1.0 + std::exp(-double(a[i]))) * b[i];
        want_add[i] = double(a[i]) + b[i];
    }
    CHECK(max_rel(f.read(sw, a.size()), want_sw) < 1e-6);
    CHECK(max_rel(f.read(sum, a.size()), want_add) < 1e-7);
}

TEST_CASE("compute_checks_abort_between_ops", "[cpu_backend]") {
    Fixture f;
    Tensor *x = f.f32(8, 1, std::vector<float>(8, 1.0f));
    REQUIRE(f.s->begin_graph().is_ok());
    for (int i = 0; i < 5; i++) REQUIRE(f.s->add(x, x, x, 1).is_ok());
    int calls = 0;
    loom::Status st = f.s->compute([&] { return ++calls > 2; });
    CHECK(st.code() == LOOM_ERR_CANCELLED);
    CHECK(calls == 3);
    CHECK(f.read(x, 1)[0] == 4.0f);   // exactly two ops ran
}

TEST_CASE("ops_reject_inconsistent_shapes", "[cpu_backend]") {
    Fixture f;
    Tensor *a = f.f32(8, 2, {}), *b = f.f32(9, 2, {});
    REQUIRE(f.s->begin_graph().is_ok());
    CHECK(!f.s->add(a, a, b, 2).is_ok());
    CHECK(!f.s->add(a, a, a, 3).is_ok());   // more rows than the tensor has
    std::vector<float> big(100);
    CHECK(!f.s->upload(a, 0, big.data(), big.size() * 4).is_ok());
}

namespace {

// matmul_id over a stack of n_expert experts of n rows, with the experts
// `poisoned` filled with 0xFF bytes (NaN in every float and every fp16 scale,
// so any product with one of their blocks is NaN); returns the [slots][n] output.
std::vector<float> run_matmul_id(Fixture &f, loom_type type, std::vector<uint8_t> bytes, int64_t k_in, int64_t n,
                                 int n_expert, const std::vector<int32_t> &ids, const std::vector<float> &x,
                                 const std::vector<int> &poisoned) {
    const size_t expert_bytes = bytes.size() / size_t(n_expert);
    for (int e : poisoned) std::fill(bytes.begin() + e * expert_bytes, bytes.begin() + (e + 1) * expert_bytes, 0xFF);
    const int k = 2;
    const int64_t rows = int64_t(ids.size()) / k, slots = rows * k;
    Tensor *w = nullptr;
    REQUIRE(f.backend->create_weight(type, k_in, n_expert * n, bytes.data(), &w).is_ok());
    Tensor *src = f.f32(k_in, rows, x), *dst = f.f32(n, slots, {}), *I = nullptr;
    REQUIRE(f.s->alloc(LOOM_TYPE_I32, k, rows, &I).is_ok());
    REQUIRE(f.s->upload(I, 0, ids.data(), ids.size() * 4).is_ok());
    REQUIRE(f.s->begin_graph().is_ok());
    REQUIRE(f.s->matmul_id(dst, w, src, I, n_expert, k, false, rows).is_ok());
    f.run();
    return f.read(dst, size_t(n * slots));
}

} // namespace

// A token reads only the experts it routes to: with every expert no slot
// chose poisoned (NaN), the expert matmul's output is finite, equal bit for
// bit to the run over clean experts, and matches the dequantized math. For
// every weight type with CPU kernels, repacked and in place, expert slices
// on and off the repacked row groups (n = 16 and 24), a decode (1 row) and a
// batch (4 rows, experts shared between rows).
TEST_CASE("matmul_id_reads_only_the_chosen_experts_for_every_type", "[cpu_backend]") {
    const int n_expert = 6;
    const int64_t k_in = 256;
    const std::vector<int> unused = {0, 2, 5};
    const std::vector<int32_t> decode = {4, 1}, batch = {3, 4, 1, 4, 4, 3, 1, 3};
    int tested = 0;
    for (int t = 0; t <= LOOM_TYPE_TQ2_0; t++) {
        const auto type = static_cast<loom_type>(t);
        const loom::TypeTraits *tt = loom::type_traits(type);
        size_t rb = 0;
        if (!tt || !tt->to_float || !loom::cpu::matmul_kernels(type, loom::cpu::active_isa()) ||
            loom_row_size(type, k_in, &rb) != LOOM_OK)
            continue;
        for (int64_t n : {int64_t(16), int64_t(24)}) {
            Fixture probe;
            std::vector<float> wf = probe.random(size_t(k_in * n * n_expert)), deq(wf.size());
            std::vector<uint8_t> q(rb * size_t(n * n_expert));
            size_t written = 0;
            if (loom_quantize(type, wf.data(), n * n_expert, k_in, q.data(), q.size(), &written) != LOOM_OK)
                continue;   // no reference quantizer (the IQ2/IQ3 grids need an importance matrix)
            REQUIRE(loom_dequantize(type, q.data(), q.size(), n * n_expert, k_in, deq.data()) == LOOM_OK);
            for (bool repack : {true, false})
                for (const std::vector<int32_t> *ids : {&decode, &batch}) {
                    INFO(tt->name << " n " << n << " repack " << repack << " rows " << ids->size() / 2);
                    Fixture f(3, repack);
                    const int64_t rows = int64_t(ids->size()) / 2;
                    const std::vector<float> x = f.random(size_t(k_in * rows));
                    const std::vector<float> clean = run_matmul_id(f, type, q, k_in, n, n_expert, *ids, x, {});
                    const std::vector<float> got = run_matmul_id(f, type, q, k_in, n, n_expert, *ids, x, unused);
                    REQUIRE(std::memcmp(got.data(), clean.data(), got.size() * 4) == 0);
                    for (size_t s = 0; s < ids->size(); s++) {
                        const int64_t e = (*ids)[s], row = int64_t(s) / 2;
                        double mag = 0;
                        std::vector<double> want(static_cast<size_t>(n));
                        for (int64_t r = 0; r < n; r++) {
                            double acc = 0;
                            for (int64_t i = 0; i < k_in; i++)
                                acc += double(deq[size_t((e * n + r) * k_in + i)]) * x[size_t(row * k_in + i)];
                            want[size_t(r)] = acc;
                            mag = std::max(mag, std::fabs(acc));
                        }
                        for (int64_t r = 0; r < n; r++) {
                            const float y = got[size_t(int64_t(s) * n + r)];
                            INFO("slot " << s << " row " << r << ": " << y << " vs " << want[size_t(r)]);
                            REQUIRE(std::isfinite(y));
                            REQUIRE(std::fabs(y - want[size_t(r)]) <= 1e-2 * mag);
                        }
                    }
                }
            tested++;
        }
    }
    CHECK(tested >= 2 * 15);   // f32, f16, bf16, the legacy, k- and IQ4 types at least
}
