// The tokenizer's C API (include/loom.h, SECTION tokenizer) on llama.cpp's
// vocab-only Qwen2 GGUF, loaded with loom_model_load(vocab_only). Exits 77
// (skipped) when that file is not installed. Ids come from the committed
// hftok vectors where the result is a tokenization.
#include "loom.h"
#include "testdata.h"
#include "tok_support.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

const loom_model *model() { return toktest::vocab_model(); }

std::vector<int32_t> tokenize(const std::string &text, int32_t flags) {
    size_t n = 0;
    loom_status st = loom_tokenize(model(), text.data(), text.size(), flags, nullptr, 0, &n);
    if (n == 0) {
        REQUIRE(st == LOOM_OK);
        return {};
    }
    REQUIRE(st == LOOM_ERR_BUFFER_TOO_SMALL);
    std::vector<int32_t> ids(n);
    size_t n2 = 0;
    REQUIRE(loom_tokenize(model(), text.data(), text.size(), flags, ids.data(), ids.size(), &n2) == LOOM_OK);
    REQUIRE(n2 == n);
    return ids;
}

} // namespace

TEST_CASE("loom_tokenize_sizes_the_buffer_and_matches_hftok") {
    // hftok: "<|im_start|>user\nnaïve café 123" (special tokens parsed, NFC)
    std::vector<int32_t> want = {151644, 872, 198, 3376, 37572, 586, 51950, 220, 16, 17, 18};
    CHECK(tokenize("<|im_start|>user\nnai\xCC\x88ve caf\xC3\xA9 123", LOOM_TOKENIZE_PARSE_SPECIAL) == want);
    // A buffer one short: BUFFER_TOO_SMALL, the size written, the buffer untouched.
    std::vector<int32_t> small(want.size() - 1, -7);
    size_t n = 0;
    std::string text = "<|im_start|>user\nnaïve café 123";
    CHECK(loom_tokenize(model(), text.data(), text.size(), LOOM_TOKENIZE_PARSE_SPECIAL, small.data(), small.size(), &n) ==
          LOOM_ERR_BUFFER_TOO_SMALL);
    CHECK(n == want.size());
    CHECK(small[0] == -7);
}

TEST_CASE("loom_tokenize_flags_select_specials_and_nfc") {
    std::vector<int32_t> plain = tokenize("<|im_end|>", 0);
    CHECK(plain.size() > 1);
    for (int32_t id : plain) CHECK(loom_token_is_special(model(), id) == 0);
    CHECK(tokenize("<|im_end|>", LOOM_TOKENIZE_PARSE_SPECIAL) == std::vector<int32_t>{151645});
    CHECK(tokenize("e\xCC\x81", 0) == tokenize("\xC3\xA9", 0));
    CHECK(tokenize("e\xCC\x81", LOOM_TOKENIZE_NO_NFC) != tokenize("\xC3\xA9", 0));
}

TEST_CASE("loom_tokenize_rejects_bad_arguments") {
    size_t n = 99;
    int32_t ids[4];
    CHECK(loom_tokenize(nullptr, "a", 1, 0, ids, 4, &n) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_tokenize(model(), nullptr, 1, 0, ids, 4, &n) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_tokenize(model(), "a", 1, 0, nullptr, 4, &n) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_tokenize(model(), "a", 1, 0, ids, 4, nullptr) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_tokenize(model(), "a", 1, 0x100, ids, 4, &n) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(std::strstr(loom_last_error(), "flags") != nullptr);
    CHECK(loom_tokenize(model(), nullptr, 0, 0, nullptr, 0, &n) == LOOM_OK);
    CHECK(n == 0);
}

TEST_CASE("token_to_piece_find_and_types") {
    char buf[64];
    size_t size = 0;
    REQUIRE(loom_token_to_piece(model(), 23811, buf, sizeof buf, &size) == LOOM_OK);
    CHECK(std::string(buf, size) == " hello");
    CHECK(loom_token_to_piece(model(), 151644, buf, 3, &size) == LOOM_ERR_BUFFER_TOO_SMALL);
    CHECK(size == std::strlen("<|im_start|>"));
    CHECK(loom_token_to_piece(model(), -1, buf, sizeof buf, &size) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_token_to_piece(model(), 151936, buf, sizeof buf, &size) == LOOM_ERR_INVALID_ARGUMENT);
    int32_t id = -1;
    REQUIRE(loom_token_find(model(), "<|im_end|>", &id) == LOOM_OK);
    CHECK(id == 151645);
    CHECK(loom_token_find(model(), "not a token text", &id) == LOOM_ERR_NOT_FOUND);
    CHECK(loom_token_type_of(model(), 151645) == LOOM_TOKEN_TYPE_CONTROL);
    CHECK(loom_token_type_of(model(), 23811) == LOOM_TOKEN_TYPE_NORMAL);
    CHECK(loom_token_type_of(model(), -5) == LOOM_TOKEN_TYPE_UNDEFINED);
    CHECK(loom_token_type_of(nullptr, 0) == LOOM_TOKEN_TYPE_UNDEFINED);
    CHECK(loom_token_is_special(model(), 151643) == 1);
    CHECK(loom_token_eos(model()) == 151643);
    CHECK(loom_token_bos(model()) == 151643);
    CHECK(loom_token_pad(model()) == 151643);
    CHECK(loom_token_eos(nullptr) == -1);
}

TEST_CASE("detokenizer_streams_complete_utf8_and_retries_after_small_buffer") {
    std::string text = "<|im_start|>日本語 😀 ok<|im_end|>";
    std::vector<int32_t> ids = tokenize(text, LOOM_TOKENIZE_PARSE_SPECIAL);
    for (int32_t flags : {0, LOOM_DETOKENIZE_RENDER_SPECIAL}) {
        loom_detokenizer *d = nullptr;
        REQUIRE(loom_detokenizer_new(model(), flags, &d) == LOOM_OK);
        std::string out;
        char buf[256];
        size_t size = 0;
        for (int32_t id : ids) {
            // First with no room: a non-empty result must leave the state as it was.
            loom_status st = loom_detokenizer_push(d, id, nullptr, 0, &size);
            if (st == LOOM_ERR_BUFFER_TOO_SMALL) CHECK(size > 0);
            else REQUIRE(st == LOOM_OK);
            if (st == LOOM_OK) continue;  // nothing to emit yet (held or hidden)
            REQUIRE(loom_detokenizer_push(d, id, buf, sizeof buf, &size) == LOOM_OK);
            out.append(buf, size);
        }
        REQUIRE(loom_detokenizer_flush(d, buf, sizeof buf, &size) == LOOM_OK);
        out.append(buf, size);
        CHECK(out == (flags ? text : std::string("日本語 😀 ok")));
        CHECK(loom_detokenizer_push(d, 151936, buf, sizeof buf, &size) == LOOM_ERR_INVALID_ARGUMENT);
        loom_detokenizer_free(d);
    }
    loom_detokenizer_free(nullptr);
    loom_detokenizer *d = nullptr;
    CHECK(loom_detokenizer_new(model(), 0x10, &d) == LOOM_ERR_INVALID_ARGUMENT);
    CHECK(loom_detokenizer_new(nullptr, 0, &d) == LOOM_ERR_INVALID_ARGUMENT);
}
