// The split backend (backends/split) over two CPU backends: the same kernels
// on both sides, so every split must give the logits of one CPU backend bit
// for bit. A crossing left out (an op reading the stale copy of an activation
// on its side) or one copying too few rows changes them. No Vulkan needed:
// this runs in every build; tests/backends/vulkan/test_vulkan_offload.cpp
// covers the CPU + Vulkan split.
#include <catch2/catch.hpp>

#include "backends/split/split_backend.h"
#include "context/context.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "tiny_model.h"

#include <cstring>
#include <vector>

namespace {

constexpr int kLayers = 3;

struct Loaded {
    std::vector<uint8_t> bytes;
    std::unique_ptr<loom::GgufFile> file;
    std::unique_ptr<loom::Model> model;
    std::unique_ptr<loom_context> ctx;
};

// The tiny model on one CPU backend (split < 0) or split at layer `split`
// between two, with a context of 32 cells.
void load(int split, Loaded *out) {
    tinymodel::Spec spec;
    spec.n_layer = kLayers;
    spec.tied = false;
    spec.weight_type = LOOM_TYPE_Q8_0;
    out->bytes = tinymodel::build(spec);
    REQUIRE(loom::GgufFile::open_memory(out->bytes.data(), out->bytes.size(), false, &out->file));
    std::unique_ptr<loom::Backend> backend, device;
    REQUIRE(loom::create_cpu_backend(&backend));
    if (split >= 0) {
        REQUIRE(loom::create_cpu_backend(&device));
        REQUIRE(loom::create_split_backend(std::move(backend), std::move(device), split, "cpu+cpu", &backend));
        REQUIRE(backend->split_layer() == split);
    }
    REQUIRE(loom::Model::load(*out->file, std::move(backend), {}, &out->model));
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = p.n_batch = 32;
    p.n_threads = 2;
    REQUIRE(loom::resolve_context_params(*out->model, &p));
    REQUIRE(loom::context_create(*out->model, *out->file, p, &out->ctx));
}

// Logits of a 7-token prompt (every row), then of 3 single-token decodes;
// `stepped`: through the stepped decode with a 1 us budget.
std::vector<float> run(loom_context &ctx, int32_t n_vocab, bool stepped) {
    std::vector<float> out;
    int32_t pos = 0;
    loom_kv_clear(&ctx);
    const auto decode = [&](const std::vector<int32_t> &ids) {
        loom_batch b;
        b.capacity = 32;
        for (int32_t id : ids) {
            b.token.push_back(id);
            b.pos.push_back(pos++);
            b.seq.push_back(0);
            b.want.push_back(1);
        }
        if (!stepped) {
            REQUIRE(loom::context_decode(ctx, b));
        } else {
            REQUIRE(loom::context_decode_begin(ctx, b, true));
            bool done = false;
            while (!done) REQUIRE(loom::context_decode_step(ctx, 1, &done));
        }
        out.insert(out.end(), ctx.logits.begin(), ctx.logits.begin() + long(ids.size()) * n_vocab);
    };
    decode({3, 14, 15, 9, 26, 5, 35});
    for (int32_t t : {8, 9, 7}) decode({t});
    return out;
}

} // namespace

TEST_CASE("split_backend_over_two_cpus_matches_one_cpu_bit_for_bit") {
    Loaded whole;
    load(-1, &whole);
    const int32_t n_vocab = whole.model->hparams().n_vocab;
    const std::vector<float> want = run(*whole.ctx, n_vocab, false);
    for (int split = 0; split < kLayers; split++) {
        INFO("split at layer " << split);
        Loaded s;
        load(split, &s);
        REQUIRE(std::string(s.model->backend().name()) == "cpu+cpu");
        const std::vector<float> got = run(*s.ctx, n_vocab, false);
        REQUIRE(got.size() == want.size());
        REQUIRE(std::memcmp(got.data(), want.data(), want.size() * sizeof(float)) == 0);
        const std::vector<float> stepped = run(*s.ctx, n_vocab, true);
        REQUIRE(std::memcmp(stepped.data(), want.data(), want.size() * sizeof(float)) == 0);
    }
}

TEST_CASE("split_backend_rejects_a_missing_side") {
    std::unique_ptr<loom::Backend> cpu, out;
    REQUIRE(loom::create_cpu_backend(&cpu));
    REQUIRE(loom::create_split_backend(std::move(cpu), nullptr, 1, "x", &out).code() == LOOM_ERR_INVALID_ARGUMENT);
    REQUIRE(!out);
}
