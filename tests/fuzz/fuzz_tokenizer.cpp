// Tokenizing any bytes, with and without special-token parsing and NFC; every
// id is in the vocabulary and, for ASCII text without NFC or specials, the
// pieces put back together are the input (ill-formed UTF-8 reads as U+FFFD,
// as loom.h documents, so other text need not come back byte for byte).
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz::Bytes in(data, size);
    const int32_t flags = in.take<uint8_t>() & 3;
    const std::string text = in.rest();
    const loom_model *m = fuzz::vocab_model();
    size_t n = 0;
    loom_status st = loom_tokenize(m, text.data(), text.size(), flags, nullptr, 0, &n);
    FUZZ_ASSERT(st == LOOM_OK || st == LOOM_ERR_BUFFER_TOO_SMALL);
    std::vector<int32_t> ids(n);
    FUZZ_ASSERT(loom_tokenize(m, text.data(), text.size(), flags, ids.data(), ids.size(), &n) == LOOM_OK);
    std::string back;
    char piece[4096];
    for (int32_t id : ids) {
        FUZZ_ASSERT(id >= 0 && id < loom_model_n_vocab(m));
        size_t len = 0;
        FUZZ_ASSERT(loom_token_to_piece(m, id, piece, sizeof piece, &len) == LOOM_OK);
        back.append(piece, len);
    }
    bool ascii = true;
    for (char ch : text) ascii = ascii && (unsigned char)ch < 0x80;
    if (flags == LOOM_TOKENIZE_NO_NFC && ascii) FUZZ_ASSERT(back == text);
    return 0;
}
