// loom_state_load of any bytes into a context of the tiny model. The input
// either is the state (byte 0 even) or patches a valid saved state (byte 0
// odd: (offset, byte) pairs, then the body size and checksum resealed with
// byte 0's bit 1), so the mutations reach past the checksum. A load that
// succeeds leaves a context that decodes and answers every getter.
#include "fuzz_support.h"

#include <cmath>
#include "common/xxhash_inline.h"

namespace {

std::vector<uint8_t> valid_state(loom_context *c, loom_batch *b) {
    for (int32_t i = 0; i < 5; i++) FUZZ_ASSERT(loom_batch_add(b, i * 7, i, 0, i % 2) == LOOM_OK);
    FUZZ_ASSERT(loom_decode(c, b) == LOOM_OK);
    size_t n = 0;
    (void)loom_state_save(c, nullptr, 0, &n);
    std::vector<uint8_t> s(n);
    FUZZ_ASSERT(loom_state_save(c, s.data(), n, &n) == LOOM_OK);
    return s;
}

void reseal(std::vector<uint8_t> &s) {
    if (s.size() < 28) return;
    const uint64_t body = s.size() - 28, sum = XXH3_64bits(s.data() + 28, body);
    std::memcpy(s.data() + 12, &body, 8);
    std::memcpy(s.data() + 20, &sum, 8);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz::Bytes in(data, size);
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = 8;
    p.n_threads = 1;
    p.embeddings = 1;
    loom_context *c = nullptr;
    loom_batch *b = nullptr;
    FUZZ_ASSERT(loom_context_new(fuzz::tiny_model(), &p, &c) == LOOM_OK);
    FUZZ_ASSERT(loom_batch_new(8, &b) == LOOM_OK);
    static const std::vector<uint8_t> base = valid_state(c, b);
    const uint8_t mode = in.take<uint8_t>();
    std::vector<uint8_t> state;
    if (!(mode & 1)) {
        state.assign(data + (size ? 1 : 0), data + size);
    } else {
        state = base;
        if (mode & 4) state.resize(state.size() - (in.take<uint16_t>() % state.size()));
        while (in.left() >= 3) {
            const size_t at = in.take<uint16_t>();
            const uint8_t v = in.take<uint8_t>();
            if (!state.empty()) state[at % state.size()] = v;
        }
        if (mode & 2) reseal(state);
    }
    loom_kv_clear(c);
    if (loom_state_load(c, state.data(), state.size()) == LOOM_OK) {
        const float *l = nullptr, *e = nullptr;
        for (int32_t i = -1; i < 8; i++) {
            if (loom_get_logits(c, i, &l) == LOOM_OK) FUZZ_ASSERT(l != nullptr && std::isfinite(l[0]) + 1);
            if (loom_get_embeddings(c, i, &e) == LOOM_OK) FUZZ_ASSERT(e != nullptr);
        }
        loom_batch_clear(b);
        int32_t pos = -1;
        FUZZ_ASSERT(loom_kv_seq_pos_max(c, 0, &pos) == LOOM_OK);
        if (pos < 7) {
            FUZZ_ASSERT(loom_batch_add(b, 3, pos + 1, 0, 1) == LOOM_OK);
            (void)loom_decode(c, b);
        }
    }
    loom_batch_free(b);
    loom_context_free(c);
    return 0;
}
