// loom logits -m MODEL -o OUT.f32 [-t N] ('-o -': stdout): token ids on stdin, decoded from an
// empty cache in batches of at most 512 (each batch's rows written before the
// next, so memory does not grow with the input); writes float32 logits of
// every position, row-major [n_tokens][n_vocab] (the contract of
// ../shared/ref/llref logits).
#include "cli.h"
#include "common_options.h"
#include "infer_common.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace {

// --kv-type NAME: the KV cache type (llama.cpp's -ctk/-ctv in one).
bool parse_kv_type(const char *v, int32_t *out) {
    if (!std::strcmp(v, "f16")) *out = LOOM_TYPE_F16;
    else if (!std::strcmp(v, "f32")) *out = LOOM_TYPE_F32;
    else if (!std::strcmp(v, "q8_0")) *out = LOOM_TYPE_Q8_0;
    else return false;
    return true;
}

// Token ids from text; false with *why for a word that is not an id of the model.
bool parse_ids(const std::string &text, int32_t n_vocab, std::vector<int32_t> *out, std::string *why) {
    std::istringstream in(text);
    std::string word;
    while (in >> word) {
        long long id = 0;
        std::string bad;
        if (!cli::parse_integer_text(word.c_str(), &id, &bad) || id < 0 || id >= n_vocab)
            return *why = "stdin: '" + word + "' is not a token id (0.." + std::to_string(n_vocab - 1) + ")", false;
        out->push_back(int32_t(id));
    }
    if (out->empty()) return *why = "no token ids on stdin", false;
    return true;
}

int close_output(FILE *f, bool is_stdout) { return is_stdout ? std::fflush(f) : std::fclose(f); }

int cmd_logits(int argc, char **argv) {
    std::string model_path, out_path;
    cli::ContextOptions co;
    cli::CommonOptions common;
    cli::Options opts("loom logits -m MODEL -o OUT.f32 [options] < IDS",
                      "Token ids on stdin -> float32 logits of every position, row-major [n_tokens][n_vocab].");
    opts.text("-m, --model", "FILE", &model_path, "the GGUF model (required)");
    opts.text("-o, --output", "FILE", &out_path, "where the logits go ('-': stdout; required)");
    opts.custom("--kv-type", "f16|f32|q8_0", [&co](const char *v, std::string *why) {
        return parse_kv_type(v, &co.kv_type) || (*why = "expected f16, f32 or q8_0", false);
    }, "the KV cache type", "f16");
    cli::add_common_options(&opts, &common, "the number of ids, at least 64");
    if (int rc = opts.parse(argc, argv); rc >= 0) return rc;
    if (model_path.empty() || out_path.empty()) return opts.usage_error("-m MODEL and -o OUT are required");
    co.n_threads = int32_t(common.threads);
    std::string text, why;
    if (!cli::read_stdin(&text, &why)) return cli::fail("cannot read stdin: %s", why.c_str());

    cli::ModelHandle model;
    loom_status st = cli::load_model(model_path, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, model_path.c_str());
    std::vector<int32_t> tokens;
    if (!parse_ids(text, loom_model_n_vocab(model.m), &tokens, &why)) return cli::fail("%s", why.c_str());
    co.n_ctx = static_cast<uint32_t>(tokens.size() < 64 ? 64 : tokens.size());
    if (common.n_ctx && uint64_t(common.n_ctx) < tokens.size())
        return cli::fail("%s", cli::prompt_fit_problem(tokens.size(), uint32_t(common.n_ctx)).c_str());
    if (common.n_ctx) co.n_ctx = uint32_t(common.n_ctx);
    co.n_batch = static_cast<uint32_t>(tokens.size() < 512 ? tokens.size() : 512);
    cli::ContextHandle ctx;
    if ((st = cli::new_context(model.m, co, nullptr, nullptr, &ctx)) != LOOM_OK) return cli::fail_status(st, "context");
    cli::BatchHandle batch;
    if ((st = loom_batch_new(static_cast<int32_t>(co.n_batch), &batch.b)) != LOOM_OK) return cli::fail_status(st, "batch");

    const bool to_stdout = out_path == "-";
    FILE *f = to_stdout ? stdout : std::fopen(out_path.c_str(), "wb");
    if (!f) return cli::fail("cannot create %s: %s", out_path.c_str(), std::strerror(errno));
    const int32_t n_vocab = loom_model_n_vocab(model.m);
    for (size_t i = 0; i < tokens.size(); i += co.n_batch) {
        const size_t n = std::min<size_t>(co.n_batch, tokens.size() - i);
        const std::vector<int32_t> chunk(tokens.begin() + long(i), tokens.begin() + long(i + n));
        if ((st = cli::decode_tokens(ctx.c, batch.b, chunk, int32_t(i), co.n_batch, true)) != LOOM_OK) {
            close_output(f, to_stdout);
            return cli::fail_status(st, "decode");
        }
        for (size_t j = 0; j < n; j++) {
            const float *row = nullptr;
            if ((st = loom_get_logits(ctx.c, static_cast<int32_t>(j), &row)) != LOOM_OK) {
                close_output(f, to_stdout);
                return cli::fail_status(st, "logits");
            }
            std::fwrite(row, sizeof(float), static_cast<size_t>(n_vocab), f);
        }
    }
    if (close_output(f, to_stdout) != 0) return cli::fail("cannot write %s", to_stdout ? "stdout" : out_path.c_str());
    return 0;
}

} // namespace

LOOM_COMMAND("logits", "token ids on stdin -> float32 logits of every position", cmd_logits);
