// C API: tokenizer and streaming detokenizer (SECTION tokenizer of include/loom.h,
// the tokenizer half; chat/FIM live in api_chat.cpp).
#include "api/guard.h"
#include "api/handles.h"
#include "tokenizer/tokenizer.h"

#include <string>
#include <vector>

struct loom_detokenizer {
    loom::Detokenizer state;
};

namespace loom {

namespace {

constexpr int32_t kTokenizeFlags = LOOM_TOKENIZE_PARSE_SPECIAL | LOOM_TOKENIZE_NO_NFC;

Status tokenizer_of(const loom_model *model, const Tokenizer **out) {
    LOOM_CHECK_ARG(model != nullptr, "model is NULL");
    if (!model->tokenizer) return error(LOOM_ERR_NOT_FOUND, "the model has no tokenizer (no tokenizer.ggml.tokens in its GGUF)");
    *out = model->tokenizer.get();
    return Status::ok();
}

// The tokenizer or nullptr, for the functions that answer a default instead of failing.
const Tokenizer *tokenizer_or_null(const loom_model *model) { return model ? model->tokenizer.get() : nullptr; }

Status check_token(const Tokenizer &t, int32_t token) {
    if (!t.valid_id(token))
        return error(LOOM_ERR_INVALID_ARGUMENT, "token %d is outside the vocabulary (%d tokens)", token, t.n_vocab());
    return Status::ok();
}

Status tokenize(const loom_model *model, const char *text, size_t len, int32_t flags, int32_t *tokens, size_t capacity,
                size_t *n_tokens) {
    const Tokenizer *t = nullptr;
    LOOM_TRY(tokenizer_of(model, &t));
    LOOM_CHECK_ARG(n_tokens != nullptr, "n_tokens is NULL");
    LOOM_CHECK_ARG(text != nullptr || len == 0, "text is NULL but len > 0");
    LOOM_CHECK_ARG(tokens != nullptr || capacity == 0, "tokens is NULL but capacity > 0");
    if (flags & ~kTokenizeFlags) return error(LOOM_ERR_INVALID_ARGUMENT, "unknown loom_tokenize flags 0x%x", unsigned(flags));
    EncodeOptions o;
    o.parse_special = (flags & LOOM_TOKENIZE_PARSE_SPECIAL) != 0;
    o.nfc = (flags & LOOM_TOKENIZE_NO_NFC) == 0;
    std::vector<int32_t> ids;
    LOOM_TRY(t->encode(std::string_view(text ? text : "", len), o, &ids));
    *n_tokens = ids.size();
    if (ids.size() > capacity)
        return error(LOOM_ERR_BUFFER_TOO_SMALL, "the text has %zu tokens; the buffer holds %zu", ids.size(), capacity);
    std::copy(ids.begin(), ids.end(), tokens);
    return Status::ok();
}

// Runs `step` on a copy of the detokenizer and keeps the copy only if its
// output fits the caller's buffer.
template <typename Step>
Status detokenize_step(loom_detokenizer *d, char *buf, size_t capacity, size_t *size, Step step) {
    LOOM_CHECK_ARG(d != nullptr, "detokenizer is NULL");
    LOOM_CHECK_ARG(size != nullptr, "size is NULL");
    Detokenizer next = d->state;
    std::string out;
    LOOM_TRY(step(next, &out));
    LOOM_TRY(copy_out(out.data(), out.size(), buf, capacity, size));
    d->state = next;
    return Status::ok();
}

} // namespace

} // namespace loom

using loom::api_call;
using loom::Status;
using loom::Tokenizer;

extern "C" {

LOOM_API loom_status loom_tokenize(const loom_model *model, const char *text, size_t len, int32_t flags,
                                   int32_t *tokens, size_t capacity, size_t *n_tokens) {
    return api_call([&] { return loom::tokenize(model, text, len, flags, tokens, capacity, n_tokens); });
}

LOOM_API loom_status loom_token_to_piece(const loom_model *model, int32_t token, char *buf, size_t capacity,
                                         size_t *size) {
    return api_call([&] {
        const Tokenizer *t = nullptr;
        LOOM_TRY(loom::tokenizer_of(model, &t));
        LOOM_CHECK_ARG(size != nullptr, "size is NULL");
        LOOM_TRY(loom::check_token(*t, token));
        const std::string &piece = t->token_text(token);
        return loom::copy_out(piece.data(), piece.size(), buf, capacity, size);
    });
}

LOOM_API loom_status loom_token_find(const loom_model *model, const char *text, int32_t *token) {
    return api_call([&] {
        const Tokenizer *t = nullptr;
        LOOM_TRY(loom::tokenizer_of(model, &t));
        LOOM_CHECK_ARG(text != nullptr, "text is NULL");
        LOOM_CHECK_ARG(token != nullptr, "token is NULL");
        int32_t id = t->find_token(text);
        if (id < 0) return loom::error(LOOM_ERR_NOT_FOUND, "no token has the text '%s'", text);
        *token = id;
        return Status::ok();
    });
}

LOOM_API int32_t loom_token_type_of(const loom_model *model, int32_t token) {
    const Tokenizer *t = loom::tokenizer_or_null(model);
    return t ? int32_t(t->token_type(token)) : LOOM_TOKEN_TYPE_UNDEFINED;
}

LOOM_API int32_t loom_token_is_special(const loom_model *model, int32_t token) {
    const Tokenizer *t = loom::tokenizer_or_null(model);
    return t && t->is_special(token) ? 1 : 0;
}

LOOM_API int32_t loom_token_bos(const loom_model *model) {
    const Tokenizer *t = loom::tokenizer_or_null(model);
    return t ? t->bos_id() : -1;
}

LOOM_API int32_t loom_token_eos(const loom_model *model) {
    const Tokenizer *t = loom::tokenizer_or_null(model);
    return t ? t->eos_id() : -1;
}

LOOM_API int32_t loom_token_pad(const loom_model *model) {
    const Tokenizer *t = loom::tokenizer_or_null(model);
    return t ? t->pad_id() : -1;
}

LOOM_API loom_status loom_detokenizer_new(const loom_model *model, int32_t flags, loom_detokenizer **out) {
    return api_call([&] {
        const Tokenizer *t = nullptr;
        LOOM_TRY(loom::tokenizer_of(model, &t));
        LOOM_CHECK_ARG(out != nullptr, "out is NULL");
        if (flags & ~LOOM_DETOKENIZE_RENDER_SPECIAL)
            return loom::error(LOOM_ERR_INVALID_ARGUMENT, "unknown loom_detokenizer_new flags 0x%x", unsigned(flags));
        *out = new loom_detokenizer{loom::Detokenizer(*t, (flags & LOOM_DETOKENIZE_RENDER_SPECIAL) != 0)};
        return Status::ok();
    });
}

LOOM_API void loom_detokenizer_free(loom_detokenizer *detok) { delete detok; }

LOOM_API loom_status loom_detokenizer_push(loom_detokenizer *detok, int32_t token, char *buf, size_t capacity,
                                           size_t *size) {
    return api_call([&] {
        return loom::detokenize_step(detok, buf, capacity, size,
                                     [&](loom::Detokenizer &d, std::string *out) { return d.push(token, out); });
    });
}

LOOM_API loom_status loom_detokenizer_flush(loom_detokenizer *detok, char *buf, size_t capacity, size_t *size) {
    return api_call([&] {
        return loom::detokenize_step(detok, buf, capacity, size, [&](loom::Detokenizer &d, std::string *out) {
            d.flush(out);
            return Status::ok();
        });
    });
}

} // extern "C"
