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
#include "gguf/gguf_writer.h"
#include "model/hparams.h"
#include "quantize/quant_mix.h"
#include "quant/quant.h"
#include "testdata.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace {

struct Published {
    const char *name;
    int64_t embd, layers, heads, heads_kv, ff, vocab;
    double params_billion;   // the model card's count, to its 0.01 B
};

constexpr Published kQwen2_7B{"qwen2-7b", 3584, 28, 28, 4, 18944, 152064, 7.62};
constexpr Published kQwen2_72B{"qwen2-72b", 8192, 80, 64, 8, 29568, 152064, 72.71};

loom::GgufKV u32(const std::string &key, uint32_t v) {
    loom::GgufKV kv;
    kv.key = key;
    kv.type = loom::GgufValueType::U32;
    kv.u64 = v;
    kv.i64 = int64_t(v);
    return kv;
}

loom::GgufKV f32(const std::string &key, double v) {
    loom::GgufKV kv;
    kv.key = key;
    kv.type = loom::GgufValueType::F32;
    kv.f64 = v;
    return kv;
}

loom::GgufKV str(const std::string &key, const std::string &v) {
    loom::GgufKV kv;
    kv.key = key;
    kv.type = loom::GgufValueType::String;
    kv.str = v;
    return kv;
}

// The tensor table of a qwen2 model of shape `p` (mkgguf.py's order), as F16/F32.
std::vector<loom::TensorShape> qwen2_tensors(const Published &p) {
    const int64_t kv = p.embd / p.heads * p.heads_kv;
    std::vector<loom::TensorShape> t;
    auto mat = [&](const std::string &n, int64_t cols, int64_t rows) { t.push_back({n, LOOM_TYPE_F16, {cols, rows, 1, 1}}); };
    auto vec = [&](const std::string &n, int64_t len) { t.push_back({n, LOOM_TYPE_F32, {len, 1, 1, 1}}); };
    mat("token_embd.weight", p.embd, p.vocab);
    for (int64_t l = 0; l < p.layers; l++) {
        const std::string b = "blk." + std::to_string(l) + ".";
        vec(b + "attn_norm.weight", p.embd);
        mat(b + "attn_q.weight", p.embd, p.embd);
        vec(b + "attn_q.bias", p.embd);
        mat(b + "attn_k.weight", p.embd, kv);
        vec(b + "attn_k.bias", kv);
        mat(b + "attn_v.weight", p.embd, kv);
        vec(b + "attn_v.bias", kv);
        mat(b + "attn_output.weight", p.embd, p.embd);
        vec(b + "ffn_norm.weight", p.embd);
        mat(b + "ffn_gate.weight", p.embd, p.ff);
        mat(b + "ffn_up.weight", p.embd, p.ff);
        mat(b + "ffn_down.weight", p.ff, p.embd);
    }
    vec("output_norm.weight", p.embd);
    mat("output.weight", p.embd, p.vocab);
    return t;
}

// Writes `p` in file type `ftype` (llama-quantize's per-tensor choices) to
// `path`: header and tensor table, then a hole to the end of the data.
// Returns the data section's bytes.
uint64_t write_sparse_model(const std::string &path, const Published &p, int32_t ftype) {
    std::vector<loom::TensorShape> shapes = qwen2_tensors(p);
    std::vector<std::string> names;
    for (const auto &s : shapes) names.push_back(s.name);
    const std::vector<size_t> order = loom::llama_tensor_order(names);
    std::vector<loom::TensorShape> ordered;
    for (size_t i : order) ordered.push_back(shapes[i]);
    loom::ModelShape m;
    m.arch = "qwen2";
    m.n_layer = p.layers;
    m.n_gqa = p.heads / p.heads_kv;
    m.is_70b = p.layers == 80;   // llama.cpp: qwen2 with 80 layers is LLM_TYPE_70B
    loom::MixOptions opts;
    opts.ftype = loom::file_type(ftype);
    REQUIRE(opts.ftype != nullptr);
    std::vector<loom_type> types;
    REQUIRE(loom::choose_tensor_types(ordered, m, opts, &types).is_ok());
    for (size_t j = 0; j < order.size(); j++) shapes[order[j]].type = types[j];

    std::vector<loom::GgufTensor> tensors;
    uint64_t off = 0;
    for (const auto &s : shapes) {
        loom::GgufTensor g;
        g.name = s.name;
        g.type = s.type;
        g.n_dims = loom::ggml_dims(s.ne);
        for (int d = 0; d < 4; d++) g.ne[d] = s.ne[d];
        g.offset = off;
        size_t rb = 0;
        REQUIRE(loom::row_bytes(s.type, s.ne[0], &rb).is_ok());
        off = loom::gguf_pad(off + uint64_t(rb) * uint64_t(s.ne[1]), 32);
        tensors.push_back(g);
    }
    const std::string a = "qwen2.";
    const std::vector<loom::GgufKV> kvs = {
        str("general.architecture", "qwen2"), str("general.name", std::string("published shape ") + p.name),
        u32("general.file_type", uint32_t(ftype)), u32(a + "block_count", uint32_t(p.layers)),
        u32(a + "context_length", 32768), u32(a + "embedding_length", uint32_t(p.embd)),
        u32(a + "feed_forward_length", uint32_t(p.ff)), u32(a + "attention.head_count", uint32_t(p.heads)),
        u32(a + "attention.head_count_kv", uint32_t(p.heads_kv)), f32(a + "rope.freq_base", 1e6),
        f32(a + "attention.layer_norm_rms_epsilon", 1e-6)};
    std::vector<uint8_t> meta;
    REQUIRE(loom::gguf_encode_meta(kvs, tensors, 32, &meta).is_ok());
    FILE *f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(std::fwrite(meta.data(), 1, meta.size(), f) == meta.size());
    REQUIRE(std::fflush(f) == 0);
    REQUIRE(ftruncate(fileno(f), off_t(meta.size() + off)) == 0);
    std::fclose(f);
    return off;
}

// A sparse file in the build's test folder, removed when the case ends.
struct SparseModel {
    std::string path;
    uint64_t data_bytes = 0;
    std::unique_ptr<loom::GgufFile> g;
    SparseModel(const Published &p, int32_t ftype) {
        path = testdata::scratch_dir() + "/shape-" + p.name + "-t" + std::to_string(ftype) + "-" +
               std::to_string(getpid()) + ".gguf";
        data_bytes = write_sparse_model(path, p, ftype);
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
        CHECK(std::abs(double(plan.weights_mapped + plan.weights_host) - data) < 0.01 * data);
        CHECK(plan.weights_mapped > 0.8 * data);
        if (!big) CHECK(plan.weights_host < 0.01 * data);   // nothing repacked: the file's bytes only
    }
}

// A 72B file of Q4_0 weights: repacked (on x86 and arm), its copies would
// take ~41 GB of heap; with a 24 GiB host the load reads them in place from
// the mapping instead, the plan's host bytes then well under a GiB.
TEST_CASE("a_72b_q4_0_plan_reads_weights_in_place_on_a_24_gib_host", "[published_shapes]") {
    SparseModel f(kQwen2_72B, 2);
    const uint64_t limit = uint64_t(24) << 30;
    loom_memory_plan packed, chosen;
    REQUIRE(loom::plan_model_memory(*f.g, LOOM_BACKEND_CPU, loom::WeightSource::Mapped, true, &packed).is_ok());
    bool repack = true;
    REQUIRE(loom::plan_model_load(*f.g, LOOM_BACKEND_CPU, loom::WeightSource::Mapped, limit, &repack, &chosen).is_ok());
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
    REQUIRE(loom::plan_model_load(*f.g, LOOM_BACKEND_CPU, loom::WeightSource::Heap, limit, &repack, &chosen).is_ok());
    CHECK(chosen.host > limit);
}

// The 7B Q4_K_M loads on the CPU in place: its 4.7 GB of weights stay
// unread holes (no repack, nothing copied): the load brings under 0.2% of
// the file into the page cache, the pages of the norms and biases it widens
// (read without readahead: with the 8 MiB read_ahead_kb of this machine's
// disk, 680 MB, 15% of the file, came in around them).
TEST_CASE("a_7b_q4_k_m_loads_on_the_cpu_without_reading_its_weights", "[published_shapes]") {
    SparseModel f(kQwen2_7B, 15);
    loom_model_params mp;
    loom_model_default_params(&mp);
    mp.backend = LOOM_BACKEND_CPU;
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
