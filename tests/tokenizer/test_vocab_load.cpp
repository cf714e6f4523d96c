// Tokenizer::create on small GGUF files built in memory (self-contained):
// metadata validation errors, and BPE merge order on a hand-made vocabulary
// whose expected splits follow from the BPE definition (lowest rank first,
// leftmost among equal pairs).
#include "../gguf/gguf_builder.h"
#include "gguf/gguf.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer.h"

#include <catch2/catch.hpp>

#include <memory>

using gguf_test::GgufBuilder;

namespace {

std::string piece_of(const std::string &bytes) {
    std::string out;
    for (unsigned char b : bytes) {
        uint32_t cp = loom::byte_to_code_point(b);
        if (cp < 0x80) out += char(cp);
        else out += char(0xC0 | (cp >> 6)), out += char(0x80 | (cp & 0x3F));  // all are < U+0800
    }
    return out;
}

// 256 byte tokens (ids 0..255 in byte order), then "ab" (256), "bc" (257),
// "aa" (258), " a" (259), then <|end|> (260, control) and <x> (261, user-defined).
GgufBuilder tiny_vocab() {
    std::vector<std::string> tokens;
    for (int b = 0; b < 256; ++b) tokens.push_back(piece_of(std::string(1, char(b))));
    for (const char *t : {"ab", "bc", "aa", " a"}) tokens.push_back(piece_of(t));
    tokens.push_back("<|end|>");
    tokens.push_back("<x>");
    std::vector<int32_t> types(tokens.size(), 1);
    types[260] = 3;
    types[261] = 4;
    GgufBuilder g;
    g.string("tokenizer.ggml.model", "gpt2")
        .string("tokenizer.ggml.pre", "qwen2")
        .string_array("tokenizer.ggml.tokens", tokens)
        .array<int32_t>("tokenizer.ggml.token_type", gguf_test::kI32, types)
        .string_array("tokenizer.ggml.merges", {piece_of("a") + " " + piece_of("b"), piece_of("b") + " " + piece_of("c"),
                                                piece_of("a") + " " + piece_of("a"), piece_of(" ") + " " + piece_of("a")})
        .scalar<uint32_t>("tokenizer.ggml.eos_token_id", gguf_test::kU32, 260);
    return g;
}

loom::Status create(const GgufBuilder &g, std::unique_ptr<loom::Tokenizer> *out) {
    std::vector<uint8_t> bytes = g.build();
    std::unique_ptr<loom::GgufFile> file;
    loom::Status s = loom::GgufFile::open_memory(bytes.data(), bytes.size(), true, &file);
    REQUIRE(s.is_ok());
    return loom::Tokenizer::create(*file, out);
}

std::vector<int32_t> encode(const loom::Tokenizer &t, const std::string &text, bool special = true) {
    std::vector<int32_t> ids;
    loom::EncodeOptions o;
    o.parse_special = special;
    REQUIRE(t.encode(text, o, &ids).is_ok());
    return ids;
}

// Replaces the value of `key` in a builder.
GgufBuilder with(GgufBuilder g, const std::string &key, const GgufBuilder &replacement) {
    for (auto &kv : g.kvs)
        if (kv.key == key) kv = replacement.kvs.at(0);
    return g;
}

} // namespace

TEST_CASE("merges_lowest_rank_first_and_leftmost_on_ties") {
    std::unique_ptr<loom::Tokenizer> t;
    REQUIRE(create(tiny_vocab(), &t).is_ok());
    CHECK(t->n_vocab() == 262);
    CHECK(encode(*t, "abc") == std::vector<int32_t>{256, 'c'});       // (a,b) rank 0 beats (b,c) rank 1
    CHECK(encode(*t, "bc") == std::vector<int32_t>{257});
    CHECK(encode(*t, "aaa") == std::vector<int32_t>{258, 'a'});       // leftmost (a,a) first
    CHECK(encode(*t, "aaaa") == std::vector<int32_t>{258, 258});
    CHECK(encode(*t, " ab") == std::vector<int32_t>{' ', 256});       // (a,b) rank 0 before ( ,a) rank 3
    CHECK(encode(*t, " a") == std::vector<int32_t>{259});
}

TEST_CASE("control_and_user_defined_tokens_are_special") {
    std::unique_ptr<loom::Tokenizer> t;
    REQUIRE(create(tiny_vocab(), &t).is_ok());
    CHECK(encode(*t, "ab<|end|><x>") == std::vector<int32_t>{256, 260, 261});
    CHECK(t->is_special(260));
    CHECK(t->is_special(261));
    CHECK(t->eos_id() == 260);
    CHECK(t->bos_id() == -1);
    CHECK(t->find_token("<x>") == 261);
    CHECK(t->token_text(259) == " a");
}

TEST_CASE("rejects_tokenizer_model_other_than_gpt2") {
    std::unique_ptr<loom::Tokenizer> t;
    GgufBuilder r;
    r.string("tokenizer.ggml.model", "llama");
    loom::Status s = create(with(tiny_vocab(), "tokenizer.ggml.model", r), &t);
    CHECK(s.code() == LOOM_ERR_UNSUPPORTED);
    CHECK(s.message().find("llama") != std::string::npos);
}

TEST_CASE("rejects_unknown_pre_tokenizer") {
    std::unique_ptr<loom::Tokenizer> t;
    GgufBuilder r;
    r.string("tokenizer.ggml.pre", "falcon");
    loom::Status s = create(with(tiny_vocab(), "tokenizer.ggml.pre", r), &t);
    CHECK(s.code() == LOOM_ERR_UNSUPPORTED);
    CHECK(s.message().find("falcon") != std::string::npos);
}

TEST_CASE("rejects_merge_of_unknown_piece") {
    std::unique_ptr<loom::Tokenizer> t;
    GgufBuilder r;
    r.string_array("tokenizer.ggml.merges", {piece_of("x") + " " + piece_of("y")});  // "xy" is no token
    loom::Status s = create(with(tiny_vocab(), "tokenizer.ggml.merges", r), &t);
    CHECK(s.code() == LOOM_ERR_FORMAT);
    CHECK(s.message().find("merge 0") != std::string::npos);
    r.kvs.clear();
    r.string_array("tokenizer.ggml.merges", {"nospace"});
    CHECK(create(with(tiny_vocab(), "tokenizer.ggml.merges", r), &t).code() == LOOM_ERR_FORMAT);
}

TEST_CASE("rejects_token_type_count_mismatch_and_unknown_type") {
    std::unique_ptr<loom::Tokenizer> t;
    GgufBuilder r;
    r.array<int32_t>("tokenizer.ggml.token_type", gguf_test::kI32, {1, 1, 1});
    CHECK(create(with(tiny_vocab(), "tokenizer.ggml.token_type", r), &t).code() == LOOM_ERR_FORMAT);
    r.kvs.clear();
    r.array<int32_t>("tokenizer.ggml.token_type", gguf_test::kI32, std::vector<int32_t>(262, 9));
    CHECK(create(with(tiny_vocab(), "tokenizer.ggml.token_type", r), &t).code() == LOOM_ERR_FORMAT);
}

TEST_CASE("rejects_special_id_outside_vocabulary") {
    std::unique_ptr<loom::Tokenizer> t;
    GgufBuilder r;
    r.scalar<uint32_t>("tokenizer.ggml.eos_token_id", gguf_test::kU32, 262);
    loom::Status s = create(with(tiny_vocab(), "tokenizer.ggml.eos_token_id", r), &t);
    CHECK(s.code() == LOOM_ERR_FORMAT);
    CHECK(s.message().find("eos_token_id") != std::string::npos);
}

TEST_CASE("rejects_vocabulary_without_every_byte") {
    std::unique_ptr<loom::Tokenizer> t;
    GgufBuilder g = tiny_vocab();
    GgufBuilder r;
    std::vector<std::string> tokens;
    for (int b = 0; b < 256; ++b) tokens.push_back(b == 'q' ? "[PADq]" : piece_of(std::string(1, char(b))));
    for (const char *x : {"ab", "bc", "aa", " a", "<|end|>", "<x>"}) tokens.push_back(x[0] == '<' ? x : piece_of(x));
    r.string_array("tokenizer.ggml.tokens", tokens);
    loom::Status s = create(with(g, "tokenizer.ggml.tokens", r), &t);
    CHECK(s.code() == LOOM_ERR_FORMAT);
    CHECK(s.message().find("0x71") != std::string::npos);
}

TEST_CASE("missing_vocabulary_is_not_found") {
    std::unique_ptr<loom::Tokenizer> t;
    GgufBuilder g;
    g.string("tokenizer.ggml.model", "gpt2").string("tokenizer.ggml.pre", "qwen2");
    CHECK(create(g, &t).code() == LOOM_ERR_NOT_FOUND);
}
