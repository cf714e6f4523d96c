// Partial offload (loom_model_params.n_gpu_layers): the last N layers on the
// Vulkan device, the rest on the CPU, one graph across both with the
// activations crossing at the boundaries (backends/split). For every N in
// {0, 1, n_layer/2, n_layer, n_layer + 1, -1} (F16; Q8_0 and Q4_K without 0
// and -1, the CPU and whole-device paths) the logits must match the all-CPU
// `exact` run within the Vulkan bounds of vulkan_model_parity (float
// weights 1e-3, quantized 2e-2 relative RMS), and greedy continuations must
// equal the CPU's; the memory plans must move the weights and KV cache of
// each offloaded layer from the host to the device. The tiny model is built
// in memory (tests/model/tiny_model): no reference needed; without a Vulkan
// device the executable exits 77 (1 under CI=true).
#include <catch2/catch.hpp>

#include "loom.h"
#include "tiny_model.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int kLayers = 4;

// Four layers of K-quant-sized rows (256 columns), an untied output matrix.
std::vector<uint8_t> tiny_file(loom_type type) {
    tinymodel::Spec spec;
    spec.n_embd = 256;
    spec.n_ff = 512;
    spec.n_head = 4;
    spec.n_head_kv = 2;
    spec.n_layer = kLayers;
    spec.n_vocab = 96;
    spec.tied = false;
    spec.weight_type = type;
    return tinymodel::build(spec);
}

loom_model_params model_params(int32_t backend, int32_t n_gpu_layers) {
    loom_model_params mp;
    loom_model_default_params(&mp);
    mp.backend = backend;
    mp.n_gpu_layers = n_gpu_layers;
    return mp;
}

loom_context_params context_params() {
    loom_context_params cp;
    loom_context_default_params(&cp);
    cp.matmul_precision = LOOM_MATMUL_EXACT;
    cp.n_ctx = 64;
    cp.n_batch = 32;
    cp.n_threads = 2;
    return cp;
}

struct Run {
    loom_model *m = nullptr;
    loom_context *ctx = nullptr;
    loom_batch *batch = nullptr;
    Run(const std::vector<uint8_t> &file, int32_t backend, int32_t n_gpu_layers) {
        loom_model_params mp = model_params(backend, n_gpu_layers);
        loom_status st = loom_model_load_from_memory(file.data(), file.size(), &mp, &m);
        INFO(loom_last_error());
        REQUIRE(st == LOOM_OK);
        loom_context_params cp = context_params();
        REQUIRE(loom_context_new(m, &cp, &ctx) == LOOM_OK);
        REQUIRE(loom_batch_new(32, &batch) == LOOM_OK);
    }
    ~Run() {
        loom_batch_free(batch);
        loom_context_free(ctx);
        loom_model_free(m);
    }
    int32_t n_vocab() const { return loom_model_n_vocab(m); }

    // Logits of every position of `ids` decoded as one batch, then of `steps`
    // single-token decodes (their ids fixed): [rows][n_vocab]. `stepped`:
    // through loom_decode_begin / loom_decode_step with a 1 us budget.
    std::vector<float> logits(const std::vector<int32_t> &ids, int steps, bool stepped = false) {
        std::vector<float> out;
        loom_kv_clear(ctx);
        loom_batch_clear(batch);
        for (size_t i = 0; i < ids.size(); i++) REQUIRE(loom_batch_add(batch, ids[i], int32_t(i), 0, 1) == LOOM_OK);
        decode(stepped);
        for (size_t i = 0; i < ids.size(); i++) take(int32_t(i), &out);
        for (int t = 0; t < steps; t++) {
            loom_batch_clear(batch);
            REQUIRE(loom_batch_add(batch, (7 * t + 3) % n_vocab(), int32_t(ids.size()) + t, 0, 1) == LOOM_OK);
            decode(stepped);
            take(-1, &out);
        }
        return out;
    }

    // Greedy continuation of `prompt` for n tokens.
    std::vector<int32_t> greedy(const std::vector<int32_t> &prompt, int n) {
        loom_kv_clear(ctx);
        loom_batch_clear(batch);
        for (size_t i = 0; i < prompt.size(); i++)
            REQUIRE(loom_batch_add(batch, prompt[i], int32_t(i), 0, i + 1 == prompt.size()) == LOOM_OK);
        decode(false);
        std::vector<int32_t> out;
        for (int t = 0; t < n; t++) {
            const float *l = nullptr;
            REQUIRE(loom_get_logits(ctx, -1, &l) == LOOM_OK);
            int32_t best = 0;
            for (int32_t j = 1; j < n_vocab(); j++)
                if (l[j] > l[best]) best = j;
            out.push_back(best);
            loom_batch_clear(batch);
            REQUIRE(loom_batch_add(batch, best, int32_t(prompt.size()) + t, 0, 1) == LOOM_OK);
            decode(false);
        }
        return out;
    }

private:
    void decode(bool stepped) {
        if (!stepped) {
            INFO(loom_last_error());
            REQUIRE(loom_decode(ctx, batch) == LOOM_OK);
            return;
        }
        REQUIRE(loom_decode_begin(ctx, batch) == LOOM_OK);
        int32_t done = 0;
        int steps = 0;
        while (!done) {
            INFO(loom_last_error());
            REQUIRE(loom_decode_step(ctx, 1, &done) == LOOM_OK);
            steps++;
        }
        REQUIRE(steps > 1);
    }
    void take(int32_t row, std::vector<float> *out) {
        const float *l = nullptr;
        REQUIRE(loom_get_logits(ctx, row, &l) == LOOM_OK);
        out->insert(out->end(), l, l + n_vocab());
    }
};

// The largest relative RMS difference of a row of b from the row of a.
double worst_row_error(const std::vector<float> &a, const std::vector<float> &b, size_t n_vocab) {
    REQUIRE(a.size() == b.size());
    double worst = 0;
    for (size_t r = 0; r < a.size() / n_vocab; r++) {
        double d2 = 0, a2 = 0;
        for (size_t j = r * n_vocab; j < (r + 1) * n_vocab; j++)
            d2 += double(a[j] - b[j]) * (a[j] - b[j]), a2 += double(a[j]) * a[j];
        worst = std::max(worst, std::sqrt(d2 / a2));
    }
    return worst;
}

std::vector<int32_t> prompt_ids(int n) {
    std::vector<int32_t> ids;
    for (int i = 0; i < n; i++) ids.push_back((5 + i * 37) % 96);
    return ids;
}

struct TypeCase {
    const char *name;
    loom_type type;
    double bound;   // vulkan_model_parity's: f32 math vs 8-bit CPU activations
};
const TypeCase kTypes[] = {{"F16", LOOM_TYPE_F16, 1e-3}, {"Q8_0", LOOM_TYPE_Q8_0, 2e-2}, {"Q4_K", LOOM_TYPE_Q4_K, 2e-2}};
// 0 (the CPU backend) and -1 (the whole-device path of n_layer + 1) for F16 only.
const std::vector<int32_t> kSplits = {0, 1, kLayers / 2, kLayers, kLayers + 1, -1};
const std::vector<int32_t> kQuantSplits = {1, kLayers / 2, kLayers, kLayers + 1};

const char *expected_backend(int32_t n) {
    if (n == 0) return "cpu";
    return n > 0 && n <= kLayers ? "vulkan+cpu" : "vulkan";
}

} // namespace

TEST_CASE("offload_logits_match_cpu_exact_for_every_split") {
    const std::vector<int32_t> ids = prompt_ids(12);
    for (const TypeCase &tc : kTypes) {
        const std::vector<uint8_t> file = tiny_file(tc.type);
        REQUIRE(!file.empty());
        std::vector<float> cpu;
        std::vector<int32_t> cpu_greedy;
        {
            Run r(file, LOOM_BACKEND_CPU, -1);
            cpu = r.logits(ids, 4);
            cpu_greedy = r.greedy(ids, 8);
        }
        for (int32_t n : tc.type == LOOM_TYPE_F16 ? kSplits : kQuantSplits) {
            INFO(tc.name << " n_gpu_layers " << n);
            Run r(file, LOOM_BACKEND_VULKAN, n);
            REQUIRE(std::string(loom_model_backend_name(r.m)) == expected_backend(n));
            const double err = worst_row_error(cpu, r.logits(ids, 4), size_t(r.n_vocab()));
            std::printf("%-5s n_gpu_layers %2d (%s): rel rms max %.2e\n", tc.name, int(n), expected_backend(n), err);
            REQUIRE(err <= tc.bound);
            REQUIRE(r.greedy(ids, 8) == cpu_greedy);
        }
    }
}

// loom_decode_step through a split graph: the same logits as loom_decode,
// in more than one step (each side's segment is stepped on its own).
TEST_CASE("offload_stepped_decode_matches_whole_decode") {
    const std::vector<uint8_t> file = tiny_file(LOOM_TYPE_F16);
    Run r(file, LOOM_BACKEND_VULKAN, kLayers / 2);
    const std::vector<int32_t> ids = prompt_ids(6);
    const std::vector<float> whole = r.logits(ids, 3), stepped = r.logits(ids, 3, true);
    REQUIRE(worst_row_error(whole, stepped, size_t(r.n_vocab())) <= 1e-6);
}

// The state of a split context carries the KV cache of both sides: restored
// into the same context it continues identically, restored into an all-CPU
// context of the same file it continues within the F16 bound.
TEST_CASE("offload_state_restores_both_sides_of_the_cache") {
    const std::vector<uint8_t> file = tiny_file(LOOM_TYPE_F16);
    Run split(file, LOOM_BACKEND_VULKAN, kLayers / 2), cpu(file, LOOM_BACKEND_CPU, -1);
    const std::vector<int32_t> ids = prompt_ids(6);
    split.logits(ids, 0);
    size_t size = 0;
    REQUIRE(loom_state_save(split.ctx, nullptr, 0, &size) == LOOM_ERR_BUFFER_TOO_SMALL);
    std::vector<uint8_t> state(size);
    REQUIRE(loom_state_save(split.ctx, state.data(), state.size(), &size) == LOOM_OK);
    const auto next = [&](Run &r) {
        loom_batch_clear(r.batch);
        REQUIRE(loom_batch_add(r.batch, 11, int32_t(ids.size()), 0, 1) == LOOM_OK);
        REQUIRE(loom_decode(r.ctx, r.batch) == LOOM_OK);
        const float *l = nullptr;
        REQUIRE(loom_get_logits(r.ctx, -1, &l) == LOOM_OK);
        return std::vector<float>(l, l + r.n_vocab());
    };
    const std::vector<float> first = next(split);
    loom_kv_clear(split.ctx);
    REQUIRE(loom_state_load(split.ctx, state.data(), state.size()) == LOOM_OK);
    REQUIRE(next(split) == first);
    INFO(loom_last_error());
    REQUIRE(loom_state_load(cpu.ctx, state.data(), state.size()) == LOOM_OK);
    REQUIRE(worst_row_error(next(cpu), first, size_t(split.n_vocab())) <= 1e-3);
}

// The memory plans: each layer moved to the device takes its weights and KV
// cache off the host; the ends stay on the host until N = n_layer + 1.
TEST_CASE("offload_memory_plans_split_the_weights_and_the_cache") {
    const std::vector<uint8_t> file = tiny_file(LOOM_TYPE_Q8_0);
    std::vector<loom_memory_plan> weights, contexts;
    for (int32_t n = 0; n <= kLayers + 1; n++) {
        INFO("n_gpu_layers " << n);
        loom_model_params mp = model_params(LOOM_BACKEND_VULKAN, n);
        loom_memory_plan w{};
        w.struct_size = sizeof w;
        REQUIRE(loom_model_estimate_from_memory(file.data(), file.size(), &mp, &w) == LOOM_OK);
        REQUIRE(w.backend == (n == 0 ? LOOM_BACKEND_CPU : LOOM_BACKEND_VULKAN));
        weights.push_back(w);
        if (n > 3) continue;   // contexts: a device per load; three show the trend
        Run r(file, LOOM_BACKEND_VULKAN, n);
        loom_context_params cp = context_params();
        loom_memory_plan c{};
        c.struct_size = sizeof c;
        REQUIRE(loom_context_estimate(r.m, &cp, &c) == LOOM_OK);
        contexts.push_back(c);
    }
    REQUIRE(weights[0].weights_device == 0);
    REQUIRE(contexts[0].device == 0);
    // Every layer weighs the same: the device's share grows by one layer's
    // bytes per step, the host's (file bytes read in place, heap copies) shrinks.
    const uint64_t layer = weights[1].weights_device;
    REQUIRE(layer > 0);
    for (int n = 1; n <= kLayers; n++) {
        REQUIRE(weights[size_t(n)].weights_device == uint64_t(n) * layer);
        const auto on_host = [&](size_t i) { return weights[i].weights_mapped + weights[i].weights_host; };
        REQUIRE(on_host(size_t(n)) < on_host(size_t(n) - 1));
        if (size_t(n) < contexts.size()) REQUIRE(contexts[size_t(n)].device > contexts[size_t(n) - 1].device);
    }
    // The output head and token embeddings join at n_layer + 1 (the whole model).
    REQUIRE(weights[kLayers + 1].weights_device > weights[kLayers].weights_device);
    REQUIRE(weights[kLayers + 1].weights_mapped == 0);
    // The KV cache of a layer moves with it: from N = 1 to 2, the context's
    // device bytes grow by at least one layer's K and V (2 x 64 cells x 128
    // f16 values) and its host bytes shrink by as much.
    const uint64_t kv_layer = 2 * 64 * 128 * 2;
    REQUIRE(contexts[2].device - contexts[1].device >= kv_layer);
    REQUIRE(contexts[1].host - contexts[2].host >= kv_layer);
}

TEST_CASE("offload_rejects_a_negative_layer_count") {
    const std::vector<uint8_t> file = tiny_file(LOOM_TYPE_F16);
    loom_model_params mp = model_params(LOOM_BACKEND_VULKAN, -2);
    loom_model *m = nullptr;
    REQUIRE(loom_model_load_from_memory(file.data(), file.size(), &mp, &m) == LOOM_ERR_INVALID_ARGUMENT);
    REQUIRE(m == nullptr);
    REQUIRE(std::string(loom_last_error()).find("n_gpu_layers = -2") != std::string::npos);
    loom_memory_plan plan{};
    plan.struct_size = sizeof plan;
    REQUIRE(loom_model_estimate_from_memory(file.data(), file.size(), &mp, &plan) == LOOM_ERR_INVALID_ARGUMENT);
}
