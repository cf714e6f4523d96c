// A whole model load from memory (metadata, hyper-parameters, tokenizer,
// weights bound on the CPU backend); a model that loads must decode a token.
#include "fuzz_support.h"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::vector<uint8_t> bytes(data, data + size);   // the model borrows them
    loom_model_params p;
    loom_model_default_params(&p);
    p.backend = LOOM_BACKEND_CPU;
    loom_model *m = nullptr;
    if (loom_model_load_from_memory(bytes.data(), bytes.size(), &p, &m) != LOOM_OK) return 0;
    loom_context_params cp;
    loom_context_default_params(&cp);
    cp.n_ctx = 8;
    cp.n_threads = 1;
    loom_context *c = nullptr;
    loom_batch *b = nullptr;
    if (loom_context_new(m, &cp, &c) == LOOM_OK && loom_batch_new(2, &b) == LOOM_OK) {
        FUZZ_ASSERT(loom_batch_add(b, 0, 0, 0, 1) == LOOM_OK);
        if (loom_decode(c, b) == LOOM_OK) {
            const float *l = nullptr;
            FUZZ_ASSERT(loom_get_logits(c, 0, &l) == LOOM_OK && l != nullptr);
        }
    }
    loom_batch_free(b);
    loom_context_free(c);
    loom_model_free(m);
    return 0;
}
