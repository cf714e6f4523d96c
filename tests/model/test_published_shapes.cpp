// The published Qwen2-7B and Qwen2-72B shapes (their config.json: hidden
// size, layers, heads, KV heads, FFN width, vocabulary) as GGUF files with
// the real tensor table and llama-quantize's Q4_K_M (or Q4_0) type mix, and
// a sparse data section (ftruncate: no disk blocks, reads give zeros). Checks
// the hyper-parameters loom reads, the parameter counts against the model
// cards (7.62B, 72.71B), the memory plan against the file, the choice to read
// weights in place when the repacked copies would not fit in a 24 GiB host,
// and that a 7B file loads on the CPU without touching its weight pages.
#include "context/memory_plan.h"
#include "gguf/gguf.h"
#include "model/hparams.h"
#include "platform/platform.h"
#include "published_shapes.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using shapes::kQwen2_72B;
using shapes::kQwen2_7B;
using shapes::Published;

// A sparse file in the build's test folder, removed when the case ends.
struct SparseModel {
    std::string path;
    uint64_t data_bytes = 0;
    std::unique_ptr<loom::GgufFile> g;
    SparseModel(const Published &p, int32_t ftype) {
        path = testdata::scratch_dir() + "/shape-" + p.name + "-t" + std::to_string(ftype) + "-" +
               std::to_string(getpid()) + ".gguf";
        REQUIRE(shapes::write_published_model(path, p, ftype, shapes::Fill::Hole, &data_bytes).is_ok());
        REQUIRE(loom::GgufFile::open_file(path, loom::GgufOpenOptions{}, &g).is_ok());
    }
    ~SparseModel() { std::remove(path.c_str()); }
};

// Pages of `path` in the page cache (mincore over a mapping of our own).
uint64_t resident_bytes(const std::string &path, uint64_t size) {
    const int fd = open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    void *p = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    REQUIRE(p != MAP_FAILED);
    const uint64_t page = uint64_t(sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> v((size + page - 1) / page);
    REQUIRE(mincore(p, size, v.data()) == 0);
    munmap(p, size);
    uint64_t n = 0;
    for (unsigned char c : v) n += (c & 1) ? page : 0;
    return n;
}

} // namespace

TEST_CASE("published_qwen2_shapes_read_back_with_the_model_cards_parameter_counts", "[published_shapes]") {
    for (const Published *p : {&kQwen2_7B, &kQwen2_72B}) {
        INFO(p->name);
        SparseModel f(*p, 15);   // Q4_K_M
        loom::HParams h;
        REQUIRE(loom::read_hparams(*f.g, &h).is_ok());
        CHECK(h.arch == "qwen2");
        CHECK(h.n_embd == p->embd);
        CHECK(h.n_layer == p->layers);
        CHECK(h.n_head == p->heads);
        CHECK(h.n_head_kv == p->heads_kv);
        CHECK(h.head_dim == 128);
        CHECK(h.n_ff == p->ff);
        CHECK(h.n_vocab == p->vocab);
        CHECK(!h.moe());
        double params = 0;
        for (const auto &t : f.g->tensors()) params += double(t.n_elements());
        CHECK(std::abs(params / 1e9 - p->params_billion) < 0.005);
    }
}

// llama-quantize's Q4_K_M: Q4_K and Q6_K (7B); the 72B's ffn_down rows of
// 29568 values are no multiple of 256, so they fall back to Q5_0 / Q8_0, and
// its 80-layer (LLM_TYPE_70B) attn_v takes Q5_K. The plan counts the weights
// read in place as mapped and the repacked ones (Q5_0 on x86) as host bytes;
// together with the widened vectors they are the file's data.
TEST_CASE("published_qwen2_shapes_q4_k_m_plans_match_the_file", "[published_shapes]") {
    for (const Published *p : {&kQwen2_7B, &kQwen2_72B}) {
        INFO(p->name);
        SparseModel f(*p, 15);
        uint64_t by_type[64] = {};
        for (const auto &t : f.g->tensors()) by_type[t.type] += t.nbytes;
        CHECK(by_type[LOOM_TYPE_Q4_K] > 0);
        CHECK(by_type[LOOM_TYPE_Q6_K] > 0);
        const bool big = p->layers == 80;
        CHECK((by_type[LOOM_TYPE_Q5_0] > 0) == big);
        CHECK((by_type[LOOM_TYPE_Q8_0] > 0) == big);
        CHECK((by_type[LOOM_TYPE_Q5_K] > 0) == big);
        // The published Q4_K_M files: 4.68 GB (7B), 47.4 GB (72B); this table's data within 1%.
        const double gb = double(f.data_bytes) / 1e9;
        CHECK(std::abs(gb - (big ? 47.4 : 4.68)) < (big ? 0.474 : 0.0468));

        loom_model_params mp;
        loom_model_default_params(&mp);
        mp.backend = LOOM_BACKEND_CPU;
        loom_memory_plan plan;
        plan.struct_size = sizeof plan;
        REQUIRE(loom_model_estimate(f.path.c_str(), &mp, &plan) == LOOM_OK);
        const double data = double(f.data_bytes);
        // Copied where the copies fit this machine, else in place: the file's bytes either way.
        CHECK(std::abs(double(plan.weights_mapped + plan.weights_host) - data) < 0.01 * data);
        mp.weights_in_place = 1;
        REQUIRE(loom_model_estimate(f.path.c_str(), &mp, &plan) == LOOM_OK);
        CHECK(std::abs(double(plan.weights_mapped + plan.weights_host) - data) < 0.01 * data);
        CHECK(plan.weights_mapped > 0.99 * data);
        CHECK(plan.weights_host < 0.01 * data);   // nothing copied: the file's bytes only
    }
}

// A 72B file of Q4_0 weights: repacked (on x86 and arm), its copies would
// take ~41 GB of heap; with a 24 GiB host the load reads them in place from
// the mapping instead, the plan's host bytes then well under a GiB.
TEST_CASE("a_72b_q4_0_plan_reads_weights_in_place_on_a_24_gib_host", "[published_shapes]") {
    SparseModel f(kQwen2_72B, 2);
    const uint64_t limit = uint64_t(24) << 30;
    loom_memory_plan packed, chosen;
    REQUIRE(loom::plan_model_memory(*f.g, LOOM_BACKEND_CPU, -1, loom::WeightSource::Mapped, true, &packed).is_ok());
    bool repack = true;
    REQUIRE(loom::plan_model_load(*f.g, LOOM_BACKEND_CPU, -1, loom::WeightSource::Mapped, limit, &repack, &chosen).is_ok());
    if (packed.host < limit) {
        WARN("this CPU has no repacked layout for Q4_0: nothing to choose");
        CHECK(repack);
        return;
    }
    CHECK(packed.host > uint64_t(30) << 30);
    CHECK(!repack);
    CHECK(chosen.host < uint64_t(1) << 30);
    CHECK(chosen.weights_mapped > uint64_t(38) << 30);
    CHECK(loom::check_memory_plan(chosen, 0, "the model").is_ok());
    // Reading the file into the heap (use_mmap = 0) cannot fit either way.
    REQUIRE(loom::plan_model_load(*f.g, LOOM_BACKEND_CPU, -1, loom::WeightSource::Heap, limit, &repack, &chosen).is_ok());
    CHECK(chosen.host > limit);
}

// The 7B Q4_K_M loads on the CPU in place (weights_in_place): its 4.7 GB of
// weights stay unread holes (nothing copied): the load brings under 0.2% of
// the file into the page cache, the pages of the norms and biases it widens
// (read without readahead: with the 8 MiB read_ahead_kb of this machine's
// disk, 680 MB, 15% of the file, came in around them).
TEST_CASE("a_7b_q4_k_m_loads_on_the_cpu_without_reading_its_weights", "[published_shapes][host_kernel]") {
    SparseModel f(kQwen2_7B, 15);
    loom_model_params mp;
    loom_model_default_params(&mp);
    mp.backend = LOOM_BACKEND_CPU;
    mp.weights_in_place = 1;
    loom_model *m = nullptr;
    REQUIRE(loom_model_load(f.path.c_str(), &mp, &m) == LOOM_OK);
    CHECK(loom_model_n_layer(m) == 28);
    CHECK(loom_model_n_embd(m) == 3584);
    CHECK(loom_model_n_vocab(m) == 152064);
    CHECK(std::string(loom_model_backend_name(m)) == "cpu");
    const uint64_t size = std::filesystem::file_size(f.path);
    const uint64_t resident = resident_bytes(f.path, size);
    INFO(resident << " of " << size << " bytes resident after the load");
    CHECK(resident < size / 500);
    loom_model_free(m);
}

// Under an address-space limit (ulimit -v) below the file's size neither the
// mapping nor a heap copy fits: the open fails with OUT_OF_MEMORY saying so
// (it used to name only the failed allocation). In a child process, whose
// limit is its address space now plus 1 GiB. Not under a sanitizer, whose
// shadow memory takes terabytes of address space.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
TEST_CASE("a_file_past_the_address_space_limit_fails_naming_map_and_read", "[published_shapes][host_kernel]") {
    SparseModel f(kQwen2_7B, 15);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        std::ifstream statm("/proc/self/statm");
        uint64_t pages = 0;
        statm >> pages;
        const rlim_t lim = rlim_t(pages * uint64_t(sysconf(_SC_PAGESIZE)) + (uint64_t(1) << 30));
        struct rlimit rl {lim, lim};
        if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(3);
        std::unique_ptr<loom::GgufFile> g;
        const loom::Status s = loom::GgufFile::open_file(f.path, loom::GgufOpenOptions{}, &g);
        if (s.code() != LOOM_ERR_OUT_OF_MEMORY) _exit(1);
        const std::string &msg = s.message();
        _exit(msg.find("cannot map") != std::string::npos && msg.find("ulimit -v") != std::string::npos ? 0 : 2);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
#endif

namespace {

void put(const std::string &path, const std::string &text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
}

} // namespace

// What the machine can give a process is the tightest memory limit of its
// own cgroup and the cgroups above it (a container without a cgroup
// namespace, a systemd scope, a nested cgroup), read through
// /proc/self/cgroup; loom used to read only the hierarchy's root files.
TEST_CASE("the_memory_limit_is_the_tightest_of_the_process_cgroup_and_its_ancestors", "[published_shapes]") {
    const std::string d = testdata::scratch_dir() + "/cgroups-" + std::to_string(getpid());
    const uint64_t gib = uint64_t(1) << 30;
    put(d + "/sys/memory/memory.limit_in_bytes", "9223372036854771712\n");   // v1 root: no limit
    put(d + "/sys/memory/a/memory.limit_in_bytes", std::to_string(2 * gib) + "\n");
    put(d + "/sys/memory/a/b/memory.limit_in_bytes", std::to_string(3 * gib) + "\n");
    put(d + "/sys/x/memory.max", "max\n");                                  // v2: no limit here
    put(d + "/sys/x/y/memory.max", std::to_string(5 * gib) + "\n");
    put(d + "/v1", "5:cpu,cpuacct:/other\n4:memory:/a/b\n0::/\n");
    put(d + "/v2", "0::/x/y\n");
    put(d + "/both", "4:memory:/a/b\n0::/x/y\n");
    put(d + "/none", "4:memory:/elsewhere\n0::/\n");
    using loom::platform::cgroup_memory_limit;
    CHECK(cgroup_memory_limit(d + "/v1", d + "/sys") == 2 * gib);       // the parent's is tighter
    CHECK(cgroup_memory_limit(d + "/v2", d + "/sys") == 5 * gib);
    CHECK(cgroup_memory_limit(d + "/both", d + "/sys") == 2 * gib);
    CHECK(cgroup_memory_limit(d + "/none", d + "/sys") == 9223372036854771712ull);   // only the root's number
    CHECK(cgroup_memory_limit(d + "/missing", d + "/sys") == 9223372036854771712ull);   // no file: the root
    CHECK(cgroup_memory_limit(d + "/v2", d + "/nothing") == 0);
    std::filesystem::remove_all(d);
}
