// Streaming detokenization of any id sequence (ids outside the vocabulary
// included): the output is the concatenation of the pieces, byte for byte.
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz::Bytes in(data, size);
    const loom_model *m = fuzz::vocab_model();
    const int32_t flags = in.take<uint8_t>() & 1, n_vocab = loom_model_n_vocab(m);
    loom_detokenizer *d = nullptr;
    FUZZ_ASSERT(loom_detokenizer_new(m, flags, &d) == LOOM_OK);
    std::string out, want;
    char buf[512];
    while (in.left() >= 2) {
        int32_t id = int32_t(in.take<uint16_t>()) % (n_vocab + 8) - 4;   // a few invalid ids too
        size_t len = 0;
        loom_status st = loom_detokenizer_push(d, id, buf, sizeof buf, &len);
        if (id < 0 || id >= n_vocab) {
            FUZZ_ASSERT(st == LOOM_ERR_INVALID_ARGUMENT);
            continue;
        }
        FUZZ_ASSERT(st == LOOM_OK);
        out.append(buf, len);
        if (flags || !loom_token_is_special(m, id)) {
            char piece[512];
            FUZZ_ASSERT(loom_token_to_piece(m, id, piece, sizeof piece, &len) == LOOM_OK);
            want.append(piece, len);
        }
    }
    size_t len = 0;
    FUZZ_ASSERT(loom_detokenizer_flush(d, buf, sizeof buf, &len) == LOOM_OK);
    out.append(buf, len);
    FUZZ_ASSERT(out == want);
    loom_detokenizer_free(d);
    return 0;
}
