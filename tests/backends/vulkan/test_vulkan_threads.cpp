// Several contexts on one Vulkan model, each decoding on its own thread at
// the same time (loom.h: "a loom_model may be shared by any number of threads
// and contexts"): the sessions share the device, its queue and the pipeline
// set. Every thread's logits must equal what the same context computes alone.
// The tiny model is built in memory (tests/model/tiny_model), so no reference
// is needed; without a Vulkan device the executable exits 77 (1 under CI=true).
// The TSan build (.ci/sanitizers.sh) runs this test.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "loom.h"
#include "testdata.h"
#include "vk_main.h"
#include "vk_tiny_model.h"

#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Context {
    loom_context *c = nullptr;
    loom_batch *b = nullptr;
    Context() = default;
    Context(const Context &) = delete;
    ~Context() {
        loom_batch_free(b);
        loom_context_free(c);
    }
};

// A context of 32 positions decoding with 2 CPU threads (the host-side work).
bool open_context(loom_model *m, Context *out) {
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = p.n_batch = 32;
    p.n_threads = 2;
    return loom_context_new(m, &p, &out->c) == LOOM_OK && loom_batch_new(32, &out->b) == LOOM_OK;
}

// Logits of every position of `ids` decoded from an empty cache, then `steps`
// single-token steps (the decode path): [rows][n_vocab]; empty on a failure
// (REQUIRE is not thread-safe in Catch2: worker threads report by value).
std::vector<float> run(Context &c, int32_t n_vocab, const std::vector<int32_t> &ids, int steps) {
    std::vector<float> out;
    loom_kv_clear(c.c);
    loom_batch_clear(c.b);
    for (size_t i = 0; i < ids.size(); i++)
        if (loom_batch_add(c.b, ids[i], int32_t(i), 0, 1) != LOOM_OK) return {};
    if (loom_decode(c.c, c.b) != LOOM_OK) return {};
    for (size_t i = 0; i < ids.size(); i++) {
        const float *l = nullptr;
        if (loom_get_logits(c.c, int32_t(i), &l) != LOOM_OK) return {};
        out.insert(out.end(), l, l + n_vocab);
    }
    for (int t = 0; t < steps; t++) {
        loom_batch_clear(c.b);
        const int32_t tok = (ids[size_t(t) % ids.size()] * 7 + t) % n_vocab;
        if (loom_batch_add(c.b, tok, int32_t(ids.size()) + t, 0, 1) != LOOM_OK) return {};
        if (loom_decode(c.c, c.b) != LOOM_OK) return {};
        const float *l = nullptr;
        if (loom_get_logits(c.c, -1, &l) != LOOM_OK) return {};
        out.insert(out.end(), l, l + n_vocab);
    }
    return out;
}

std::vector<int32_t> ids_for(int i, int32_t n_vocab) {
    std::vector<int32_t> ids;
    for (int k = 0; k < 6 + i; k++) ids.push_back(int32_t((k * 37 + i * 11 + 3) % n_vocab));
    return ids;
}

} // namespace

TEST_CASE("contexts_on_one_vulkan_model_decode_concurrently_on_threads") {
    for (loom_type wt : {LOOM_TYPE_F16, LOOM_TYPE_Q8_0}) {
        INFO("weight type " << loom_type_name(wt));
        std::vector<uint8_t> bytes;
        loom_model *m = nullptr;
        loom_status st = vktest::load_tiny_model(wt, &bytes, &m);
        INFO(loom_last_error());
        REQUIRE(st == LOOM_OK);
        REQUIRE(std::string(loom_model_backend_name(m)) == "vulkan");
        const int32_t nv = loom_model_n_vocab(m);
        const int kThreads = 4, kSteps = 4, kReps = 3;
        std::vector<std::vector<float>> want(kThreads), got(kThreads);
        {
            Context c;
            REQUIRE(open_context(m, &c));
            for (int i = 0; i < kThreads; i++) {
                want[size_t(i)] = run(c, nv, ids_for(i, nv), kSteps);
                REQUIRE(!want[size_t(i)].empty());
            }
        }
        std::vector<int> mismatches(kThreads, 0);
        std::vector<std::thread> threads;
        for (int i = 0; i < kThreads; i++)
            threads.emplace_back([&, i] {
                Context c;
                if (!open_context(m, &c)) {
                    mismatches[size_t(i)] = -1;
                    return;
                }
                for (int rep = 0; rep < kReps; rep++) {
                    got[size_t(i)] = run(c, nv, ids_for(i, nv), kSteps);
                    mismatches[size_t(i)] += got[size_t(i)] != want[size_t(i)];
                }
            });
        for (std::thread &t : threads) t.join();
        for (int i = 0; i < kThreads; i++) {
            INFO("thread " << i);
            CHECK(mismatches[size_t(i)] == 0);
        }
        loom_model_free(m);
    }
}

int main(int argc, char **argv) { return vktest::run_with_a_device(argc, argv); }
