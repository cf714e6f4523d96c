// A sampler chain built from the input (any stage, any parameter, accepted
// or rejected) run over input logits (NaN and infinities included): a
// successful sample is an id in range.
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz::Bytes in(data, size);
    loom_sampler *s = nullptr;
    FUZZ_ASSERT(loom_sampler_new(&s) == LOOM_OK);
    const int n_stages = in.take<uint8_t>() % 8;
    for (int i = 0; i < n_stages; i++) {
        const uint8_t kind = in.take<uint8_t>() % 10;
        const float f = in.take<float>();
        const int32_t k = in.take<int32_t>();
        switch (kind) {
        case 0: (void)loom_sampler_add_temperature(s, f); break;
        case 1: (void)loom_sampler_add_top_k(s, k); break;
        case 2: (void)loom_sampler_add_top_p(s, f); break;
        case 3: (void)loom_sampler_add_min_p(s, f); break;
        case 4: (void)loom_sampler_add_typical(s, f); break;
        case 5: (void)loom_sampler_add_penalties(s, k % 64, f, in.take<float>(), in.take<float>()); break;
        case 6: {
            const int32_t tok = k & 0xff;
            (void)loom_sampler_add_logit_bias(s, &tok, &f, 1);
            break;
        }
        case 7: (void)loom_sampler_add_dist(s, uint64_t(k)); break;
        case 8: (void)loom_sampler_add_greedy(s); break;
        default: (void)loom_sampler_accept(s, k & 0xff); break;
        }
    }
    const int32_t n_vocab = 1 + in.take<uint8_t>();
    std::vector<float> logits(size_t(n_vocab), 0.0f);
    for (float &l : logits) l = in.take<float>();
    for (int round = 0; round < 3; round++) {
        int32_t tok = -1;
        if (loom_sampler_sample_logits(s, logits.data(), n_vocab, &tok) == LOOM_OK) {
            FUZZ_ASSERT(tok >= 0 && tok < n_vocab);
            (void)loom_sampler_accept(s, tok);
        }
    }
    loom_sampler_free(s);
    return 0;
}
