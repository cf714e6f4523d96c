// Random API sequences on one context of the tiny model: decodes of random
// batches (several sequences), KV removes and copies, state save and load,
// sampling. Every call either succeeds or fails with a status; after any
// failure the context stays usable.
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz::Bytes in(data, size);
    const loom_model *m = fuzz::tiny_model();
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = 16 + in.take<uint8_t>() % 48;
    p.n_batch = 1 + in.take<uint8_t>() % p.n_ctx;
    p.n_seq_max = 1 + in.take<uint8_t>() % 4;
    p.n_threads = 1;
    p.kv_type = (in.take<uint8_t>() & 1) ? LOOM_TYPE_F32 : LOOM_TYPE_F16;
    loom_context *c = nullptr;
    loom_batch *b = nullptr;
    loom_sampler *s = nullptr;
    FUZZ_ASSERT(loom_context_new(m, &p, &c) == LOOM_OK);
    FUZZ_ASSERT(loom_batch_new(int32_t(p.n_batch), &b) == LOOM_OK);
    FUZZ_ASSERT(loom_sampler_new(&s) == LOOM_OK);
    FUZZ_ASSERT(loom_sampler_add_dist(s, 1) == LOOM_OK);
    std::vector<uint8_t> saved;
    for (int step = 0; step < 32 && in.left(); step++) {
        const uint8_t op = in.take<uint8_t>() % 6;
        const int32_t seq = in.take<uint8_t>() % 5, a = in.take<uint8_t>() % 70, z = int32_t(in.take<int8_t>());
        if (op == 0) {
            loom_batch_clear(b);
            const int n = 1 + in.take<uint8_t>() % p.n_batch;
            for (int i = 0; i < n; i++)
                (void)loom_batch_add(b, in.take<uint8_t>() % 70, a + i, (seq + i * (z & 1)) % 5, in.take<uint8_t>() & 1);
            (void)loom_decode(c, b);
        } else if (op == 1) {
            (void)loom_kv_seq_remove(c, seq - 1, a, z);
        } else if (op == 2) {
            (void)loom_kv_seq_copy(c, seq, (seq + 1) % 5, a, z);
        } else if (op == 3) {
            size_t n = 0;
            (void)loom_state_save(c, nullptr, 0, &n);
            saved.resize(n);
            FUZZ_ASSERT(loom_state_save(c, saved.data(), n, &n) == LOOM_OK);
        } else if (op == 4) {
            if (!saved.empty()) FUZZ_ASSERT(loom_state_load(c, saved.data(), saved.size()) == LOOM_OK);
        } else {
            int32_t tok = -1;
            if (loom_sample(s, c, z < 0 ? -1 : z % 8, &tok) == LOOM_OK) FUZZ_ASSERT(tok >= 0 && tok < loom_model_n_vocab(m));
        }
        int32_t pos = 0;
        for (int32_t q = 0; q < int32_t(p.n_seq_max); q++) FUZZ_ASSERT(loom_kv_seq_pos_max(c, q, &pos) == LOOM_OK);
    }
    loom_sampler_free(s);
    loom_batch_free(b);
    loom_context_free(c);
    return 0;
}
