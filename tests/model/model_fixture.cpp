#include "model_fixture.h"

#include "reference_forward.h"

#include "gguf/gguf.h"

#include <random>

namespace fixture {

std::unique_ptr<Model> load(const tinymodel::Spec &spec, loom_status *status) {
    auto m = std::make_unique<Model>();
    m->bytes = tinymodel::build(spec);
    loom_model_params p;
    loom_model_default_params(&p);
    p.backend = LOOM_BACKEND_CPU;   // these tests pin the CPU backend
    loom_status st = m->bytes.empty() ? LOOM_ERR_INTERNAL
                                      : loom_model_load_from_memory(m->bytes.data(), m->bytes.size(), &p, &m->m);
    if (status) *status = st;
    return m;
}

std::unique_ptr<Context> context(const Model &m, uint32_t n_ctx, uint32_t n_seq, int32_t kv_type, int32_t n_threads,
                                 int32_t precision) {
    auto c = std::make_unique<Context>();
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = n_ctx;
    p.n_batch = n_ctx;
    p.n_seq_max = n_seq;
    p.kv_type = kv_type;
    p.n_threads = n_threads;
    p.matmul_precision = precision;
    if (loom_context_new(m.m, &p, &c->c) != LOOM_OK) return nullptr;
    if (loom_batch_new(int32_t(n_ctx), &c->b) != LOOM_OK) return nullptr;
    return c;
}

std::vector<float> decode(Context &c, const Model &m, const std::vector<int32_t> &tokens, int32_t start, int32_t seq,
                          loom_status *status) {
    loom_batch_clear(c.b);
    for (size_t i = 0; i < tokens.size(); i++) loom_batch_add(c.b, tokens[i], start + int32_t(i), seq, 1);
    loom_status st = loom_decode(c.c, c.b);
    if (status) *status = st;
    if (st != LOOM_OK) return {};
    std::vector<float> out;
    for (size_t i = 0; i < tokens.size(); i++) {
        const float *row = nullptr;
        if (loom_get_logits(c.c, int32_t(i), &row) != LOOM_OK) return {};
        out.insert(out.end(), row, row + m.n_vocab());
    }
    return out;
}

std::vector<float> reference(const Model &m, const std::vector<int32_t> &tokens) {
    std::unique_ptr<loom::GgufFile> g;
    if (!loom::GgufFile::open_memory(m.bytes.data(), m.bytes.size(), false, &g)) return {};
    std::string err;
    return reftest::reference_logits(*g, tokens, &err);
}

std::vector<int32_t> tokens(size_t n, int32_t n_vocab, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> t(n);
    for (int32_t &x : t) x = int32_t(rng() % uint32_t(n_vocab));
    return t;
}

} // namespace fixture
