// loom logits -m MODEL -o OUT.f32 [-t N]: token ids on stdin, decoded from an
// empty cache in batches of at most 512 (each batch's rows written before the
// next, so memory does not grow with the input); writes float32 logits of
// every position, row-major [n_tokens][n_vocab] (the contract of
// ../shared/ref/llref logits).
#include "cli.h"
#include "infer_common.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace {

constexpr const char *kUsage = "loom logits -m MODEL -o OUT.f32 [-t THREADS] [--kv-type f16|f32|q8_0]  (token ids on stdin)";

// --kv-type NAME: the KV cache type (llama.cpp's -ctk/-ctv in one).
bool parse_kv_type(const char *v, int32_t *out) {
    if (!std::strcmp(v, "f16")) *out = LOOM_TYPE_F16;
    else if (!std::strcmp(v, "f32")) *out = LOOM_TYPE_F32;
    else if (!std::strcmp(v, "q8_0")) *out = LOOM_TYPE_Q8_0;
    else return false;
    return true;
}

int cmd_logits(int argc, char **argv) {
    std::string model_path, out_path;
    cli::ContextOptions co;
    for (int i = 1; i < argc; i++) {
        long long v = 0;
        if (!std::strcmp(argv[i], "-m") && i + 1 < argc) model_path = argv[++i];
        else if (!std::strcmp(argv[i], "-o") && i + 1 < argc) out_path = argv[++i];
        else if (!std::strcmp(argv[i], "-t") && i + 1 < argc && cli::parse_int(argv[++i], &v) && v > 0) co.n_threads = int32_t(v);
        else if (!std::strcmp(argv[i], "--kv-type") && i + 1 < argc) {
            if (!parse_kv_type(argv[++i], &co.kv_type)) return cli::fail("--kv-type '%s': expected f16, f32 or q8_0", argv[i]);
        } else return cli::usage(kUsage);
    }
    if (model_path.empty() || out_path.empty()) return cli::usage(kUsage);
    std::string text;
    std::string why;
    if (!cli::read_stdin(&text, &why)) return cli::fail("cannot read stdin: %s", why.c_str());
    std::vector<int32_t> tokens;
    std::istringstream in(text);
    long long id;
    while (in >> id) tokens.push_back(static_cast<int32_t>(id));
    if (!in.eof()) return cli::fail("stdin must hold whitespace-separated token ids");
    if (tokens.empty()) return cli::fail("no token ids on stdin");

    cli::ModelHandle model;
    loom_status st = cli::load_model(model_path, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, model_path.c_str());
    co.n_ctx = static_cast<uint32_t>(tokens.size() < 64 ? 64 : tokens.size());
    co.n_batch = static_cast<uint32_t>(tokens.size() < 512 ? tokens.size() : 512);
    cli::ContextHandle ctx;
    if ((st = cli::new_context(model.m, co, nullptr, nullptr, &ctx)) != LOOM_OK) return cli::fail_status(st, "context");
    cli::BatchHandle batch;
    if ((st = loom_batch_new(static_cast<int32_t>(co.n_batch), &batch.b)) != LOOM_OK) return cli::fail_status(st, "batch");

    FILE *f = std::fopen(out_path.c_str(), "wb");
    if (!f) return cli::fail("cannot create %s: %s", out_path.c_str(), std::strerror(errno));
    const int32_t n_vocab = loom_model_n_vocab(model.m);
    for (size_t i = 0; i < tokens.size(); i += co.n_batch) {
        const size_t n = std::min<size_t>(co.n_batch, tokens.size() - i);
        const std::vector<int32_t> chunk(tokens.begin() + long(i), tokens.begin() + long(i + n));
        if ((st = cli::decode_tokens(ctx.c, batch.b, chunk, int32_t(i), co.n_batch, true)) != LOOM_OK) {
            std::fclose(f);
            return cli::fail_status(st, "decode");
        }
        for (size_t j = 0; j < n; j++) {
            const float *row = nullptr;
            if ((st = loom_get_logits(ctx.c, static_cast<int32_t>(j), &row)) != LOOM_OK) {
                std::fclose(f);
                return cli::fail_status(st, "logits");
            }
            std::fwrite(row, sizeof(float), static_cast<size_t>(n_vocab), f);
        }
    }
    if (std::fclose(f) != 0) return cli::fail("cannot write %s", out_path.c_str());
    return 0;
}

} // namespace

LOOM_COMMAND("logits", "token ids on stdin -> float32 logits of every position", cmd_logits);
