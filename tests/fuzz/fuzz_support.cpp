#include "fuzz_support.h"

#include "tiny_model.h"

namespace fuzz {

namespace {

loom_model *load(const std::vector<uint8_t> &bytes, int32_t vocab_only) {
    loom_model_params p;
    loom_model_default_params(&p);
    p.backend = LOOM_BACKEND_CPU;
    p.vocab_only = vocab_only;
    loom_model *m = nullptr;
    if (loom_model_load_from_memory(bytes.data(), bytes.size(), &p, &m) != LOOM_OK) std::abort();
    return m;
}

} // namespace

const loom_model *tiny_model() {
    static std::vector<uint8_t> bytes = [] {
        tinymodel::Spec s;
        s.n_embd = 32;
        s.n_head = 2;
        s.n_head_kv = 1;
        s.n_ff = 32;
        s.n_vocab = 64;
        return tinymodel::build(s);
    }();
    static loom_model *m = load(bytes, 0);
    return m;
}

const loom_model *vocab_model() {
    static loom_model *m = [] {
        const char *path = std::getenv("LOOM_FUZZ_VOCAB");
        loom_model_params p;
        loom_model_default_params(&p);
        p.vocab_only = 1;
        loom_model *v = nullptr;
        if (path && *path && loom_model_load(path, &p, &v) == LOOM_OK) return v;
        static std::vector<uint8_t> bytes = [] {
            tinymodel::Spec s;
            tinymodel::add_byte_vocab(&s);
            for (const char *t : {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|fim_prefix|>", "<|fim_suffix|>",
                                  "<|fim_middle|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"}) {
                s.tokens.push_back(t);
                s.token_types.push_back(3);
            }
            s.n_vocab = int(s.tokens.size());
            return tinymodel::build(s);
        }();
        return load(bytes, 1);
    }();
    return m;
}

} // namespace fuzz
