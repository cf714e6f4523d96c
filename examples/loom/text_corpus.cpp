#include "text_corpus.h"

#include "cli.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace cli {

bool read_corpus_text(const std::string &path, std::string *out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    out->assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (f.bad()) return false;
    if (!out->empty() && out->back() == '\n') out->pop_back();
    return true;
}

bool model_wants_bos(const loom_model *m) {
    const loom_gguf *g = loom_model_gguf(m);
    int32_t flag = 0;
    if (loom_gguf_get_bool(g, "tokenizer.ggml.add_bos_token", &flag) == LOOM_OK) return flag != 0;
    const char *model = nullptr;
    size_t len = 0;
    if (loom_gguf_get_string(g, "tokenizer.ggml.model", &model, &len) != LOOM_OK) return false;
    return std::string(model, len) == "llama";
}

loom_status tokenize_corpus(const loom_model *m, const std::string &text, std::vector<int32_t> *out) {
    size_t n = 0;
    loom_status st = loom_tokenize(m, text.data(), text.size(), LOOM_TOKENIZE_NO_NFC, nullptr, 0, &n);
    if (st != LOOM_OK && st != LOOM_ERR_BUFFER_TOO_SMALL) return st;
    out->resize(n);
    return n ? loom_tokenize(m, text.data(), text.size(), LOOM_TOKENIZE_NO_NFC, out->data(), n, &n) : LOOM_OK;
}

int corpus_chunks(const loom_model *m, const std::string &path, int32_t n_ctx, long long n_chunks, const char *what,
                  std::vector<int32_t> *tokens, long long *n_chunk) {
    std::string text;
    if (!read_corpus_text(path, &text)) return fail("cannot read %s: %s", path.c_str(), std::strerror(errno));
    if (loom_status st = tokenize_corpus(m, text, tokens); st != LOOM_OK) return fail_status(st, "tokenize");
    if (tokens->size() < 2 * size_t(n_ctx))
        return fail("%s is %zu tokens; %s with -c %d needs at least %lld (two chunks)", path.c_str(), tokens->size(),
                    what, n_ctx, 2 * (long long)n_ctx);
    const long long n_max = static_cast<long long>(tokens->size() / size_t(n_ctx));
    *n_chunk = n_chunks < 0 || n_chunks > n_max ? n_max : n_chunks;
    return 0;
}

} // namespace cli
