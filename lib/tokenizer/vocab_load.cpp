// Tokenizer::create: the vocabulary, token types, merges and special ids from
// GGUF metadata (tokenizer.ggml.*).
#include "gguf/gguf.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/tokenizer_impl.h"

#include <algorithm>

namespace loom {

namespace {

constexpr size_t kMaxVocab = size_t(1) << 24;

Status read_model_kind(const GgufFile &g, Tokenizer::Impl *t) {
    std::string model;
    Status s = g.get_string("tokenizer.ggml.model", &model);
    if (!s) return error(s.code(), "tokenizer: tokenizer.ggml.model: %s", s.message().c_str());
    if (model != "gpt2")
        return error(LOOM_ERR_UNSUPPORTED, "tokenizer: tokenizer.ggml.model '%s' is not supported (only 'gpt2' byte-level BPE)",
                     model.c_str());
    s = g.get_string("tokenizer.ggml.pre", &t->pre_name);
    if (!s) return error(s.code(), "tokenizer: tokenizer.ggml.pre: %s", s.message().c_str());
    if (!pre_tokenizer_from_name(t->pre_name, &t->pre))
        return error(LOOM_ERR_UNSUPPORTED, "tokenizer: pre-tokenizer '%s' (tokenizer.ggml.pre) is not supported (only 'qwen2')",
                     t->pre_name.c_str());
    return Status::ok();
}

Status read_tokens(const GgufFile &g, Tokenizer::Impl *t) {
    const std::vector<std::string> *tokens = nullptr;
    Status s = g.get_string_array("tokenizer.ggml.tokens", &tokens);
    if (!s) return error(s.code(), "tokenizer: tokenizer.ggml.tokens: %s", s.message().c_str());
    if (tokens->empty() || tokens->size() > kMaxVocab)
        return error(LOOM_ERR_FORMAT, "tokenizer: tokenizer.ggml.tokens has %zu entries (1..%zu allowed)", tokens->size(), kMaxVocab);
    t->pieces.assign(tokens->begin(), tokens->end());
    std::vector<int64_t> types;
    s = g.get_int_array("tokenizer.ggml.token_type", &types);
    if (s.code() == LOOM_ERR_NOT_FOUND) types.assign(tokens->size(), int64_t(TokenType::Normal));
    else if (!s) return error(s.code(), "tokenizer: tokenizer.ggml.token_type: %s", s.message().c_str());
    if (types.size() != tokens->size())
        return error(LOOM_ERR_FORMAT, "tokenizer: tokenizer.ggml.token_type has %zu entries, tokens has %zu", types.size(),
                     tokens->size());
    t->types.resize(types.size());
    for (size_t i = 0; i < types.size(); ++i) {
        if (types[i] < 0 || types[i] > int64_t(TokenType::Byte))
            return error(LOOM_ERR_FORMAT, "tokenizer: token %zu has unknown type %lld", i, (long long)types[i]);
        t->types[i] = TokenType(types[i]);
    }
    return Status::ok();
}

bool special_type(TokenType ty) { return ty == TokenType::Control || ty == TokenType::UserDefined; }

// Texts, the text -> id map (specials first so they win), specials by length.
void index_tokens(Tokenizer::Impl *t) {
    size_t n = t->pieces.size();
    t->texts.resize(n);
    t->text_to_id.reset(&t->texts, n);
    for (size_t i = 0; i < n; ++i) {
        bool special = special_type(t->types[i]);
        t->texts[i] = special ? t->pieces[i] : byte_level_decode(t->pieces[i]);
        if (special && !t->texts[i].empty()) {
            t->specials.push_back(int32_t(i));
            t->text_to_id.insert(int32_t(i));
        }
    }
    for (size_t i = 0; i < n; ++i) t->text_to_id.insert(int32_t(i));
    std::stable_sort(t->specials.begin(), t->specials.end(),
                     [t](int32_t a, int32_t b) { return t->texts[a].size() > t->texts[b].size(); });
    for (int32_t id : t->specials) t->specials_by_first_byte[uint8_t(t->texts[id][0])].push_back(id);
}

// The first normal (not special) token of each single byte: a one-byte
// special token's text must not hide the byte's own token.
Status find_byte_tokens(Tokenizer::Impl *t) {
    std::fill(std::begin(t->byte_token), std::end(t->byte_token), -1);
    for (size_t i = 0; i < t->texts.size(); ++i)
        if (t->texts[i].size() == 1 && !special_type(t->types[i]) && t->byte_token[uint8_t(t->texts[i][0])] < 0)
            t->byte_token[uint8_t(t->texts[i][0])] = int32_t(i);
    for (int b = 0; b < 256; ++b)
        if (t->byte_token[b] < 0)
            return error(LOOM_ERR_FORMAT, "tokenizer: the vocabulary has no (non-special) token for byte 0x%02x", b);
    return Status::ok();
}

Status read_merges(const GgufFile &g, Tokenizer::Impl *t) {
    const std::vector<std::string> *merges = nullptr;
    Status s = g.get_string_array("tokenizer.ggml.merges", &merges);
    if (!s) return error(s.code(), "tokenizer: tokenizer.ggml.merges: %s", s.message().c_str());
    StringIndex piece_to_id;
    piece_to_id.reset(&t->pieces, t->pieces.size());
    for (size_t i = 0; i < t->pieces.size(); ++i) piece_to_id.insert(int32_t(i));
    t->merges.reserve(merges->size());
    std::string joined;
    for (size_t r = 0; r < merges->size(); ++r) {
        std::string_view m = (*merges)[r];
        size_t sp = m.find(' ', 1);
        if (sp == std::string::npos)
            return error(LOOM_ERR_FORMAT, "tokenizer: merge %zu '%s' is not two pieces separated by a space", r, (*merges)[r].c_str());
        joined.assign(m.data(), sp);
        joined.append(m.data() + sp + 1, m.size() - sp - 1);
        int32_t left = piece_to_id.find(m.substr(0, sp)), right = piece_to_id.find(m.substr(sp + 1));
        int32_t merged = piece_to_id.find(joined);
        if (left < 0 || right < 0 || merged < 0)
            return error(LOOM_ERR_FORMAT, "tokenizer: merge %zu '%s' names a piece that is not in the vocabulary", r, (*merges)[r].c_str());
        t->merges.insert(left, right, Merge{int32_t(r), merged});  // duplicates: first rank kept
    }
    return Status::ok();
}

Status read_special_id(const GgufFile &g, const char *key, size_t n_vocab, int32_t *out) {
    int64_t v;
    Status s = g.get_int(key, &v);
    if (s.code() == LOOM_ERR_NOT_FOUND) return Status::ok();
    if (!s) return error(s.code(), "tokenizer: %s: %s", key, s.message().c_str());
    if (v < 0 || uint64_t(v) >= n_vocab)
        return error(LOOM_ERR_FORMAT, "tokenizer: %s = %lld is outside the vocabulary (%zu tokens)", key, (long long)v, n_vocab);
    *out = int32_t(v);
    return Status::ok();
}

} // namespace

Status Tokenizer::create(const GgufFile &gguf, std::unique_ptr<Tokenizer> *out) {
    auto t = std::make_unique<Impl>();
    LOOM_TRY(read_model_kind(gguf, t.get()));
    LOOM_TRY(read_tokens(gguf, t.get()));
    index_tokens(t.get());
    LOOM_TRY(find_byte_tokens(t.get()));
    LOOM_TRY(read_merges(gguf, t.get()));
    size_t n = t->pieces.size();
    LOOM_TRY(read_special_id(gguf, "tokenizer.ggml.bos_token_id", n, &t->bos));
    LOOM_TRY(read_special_id(gguf, "tokenizer.ggml.eos_token_id", n, &t->eos));
    LOOM_TRY(read_special_id(gguf, "tokenizer.ggml.padding_token_id", n, &t->pad));
    out->reset(new Tokenizer(std::move(t)));
    return Status::ok();
}

} // namespace loom
