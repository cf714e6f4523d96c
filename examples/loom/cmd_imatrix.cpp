// loom imatrix -m MODEL -f TEXT [-o FILE] [-c 512] [--chunks N] [-t N]:
// llama-imatrix's importance matrix. The text is tokenized once as
// llama-perplexity does (text_corpus.h) and cut into chunks of n_ctx tokens;
// each chunk is decoded from an empty cache while the library sums the
// squared inputs of every layer weight matrix (loom_imatrix_*). The file is
// the GGUF imatrix llama-imatrix writes, so `llama-quantize --imatrix` and
// `loom quantize --imatrix` both read it.
#include "cli.h"
#include "common_options.h"
#include "infer_common.h"
#include "text_corpus.h"

#include <cstdio>

namespace {

struct Options {
    std::string model_path, text_path, out_path = "imatrix.gguf";
    long long n_ctx = 512;
    long long n_chunks = -1; // all
    int32_t n_threads = 0;
};

bool parse_args(int argc, char **argv, Options *o, int *rc) {
    cli::CommonOptions common;
    common.n_ctx = o->n_ctx;
    cli::Options opts("loom imatrix -m MODEL -f TEXT [-o FILE] [options]",
                      "llama-imatrix's importance matrix: the text in chunks of -c tokens, each from an empty\n"
                      "cache; for every layer weight, the mean squared input per column, in llama.cpp's GGUF\n"
                      "imatrix format (for `loom quantize --imatrix` and `llama-quantize --imatrix`).");
    opts.text("-m, --model", "FILE", &o->model_path, "the GGUF model (required)");
    opts.text("-f, --file", "TEXT", &o->text_path, "the text file (required)");
    opts.text("-o, --output", "FILE", &o->out_path, "where to write the matrix", "imatrix.gguf");
    opts.integer("--chunks", "N", &o->n_chunks, 1, INT32_MAX, "use the first N chunks only", "all");
    cli::add_common_options(&opts, &common, "512");
    if ((*rc = opts.parse(argc, argv)) >= 0) return false;
    o->n_ctx = common.n_ctx ? common.n_ctx : 512;
    o->n_threads = int32_t(common.threads);
    if (o->model_path.empty() || o->text_path.empty())
        return *rc = opts.usage_error("-m MODEL and -f TEXT are required"), false;
    return true;
}

// Decodes tokens[start, start + n_ctx) at positions 0.. from an empty cache,
// the first token replaced by BOS when bos >= 0 (as llama-imatrix does).
loom_status decode_chunk(loom_context *ctx, loom_batch *batch, const std::vector<int32_t> &tokens, size_t start,
                         int32_t n_ctx, int32_t bos) {
    loom_kv_clear(ctx);
    loom_batch_clear(batch);
    for (int32_t p = 0; p < n_ctx; p++) {
        const int32_t tok = p == 0 && bos >= 0 ? bos : tokens[start + size_t(p)];
        loom_status st = loom_batch_add(batch, tok, p, 0, 0);
        if (st != LOOM_OK) return st;
    }
    return loom_decode(ctx, batch);
}

int cmd_imatrix(int argc, char **argv) {
    Options o;
    int rc = 0;
    if (!parse_args(argc, argv, &o, &rc)) return rc;

    cli::ModelHandle model;
    loom_status st = cli::load_model(o.model_path, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, o.model_path.c_str());
    const int32_t n_ctx = int32_t(o.n_ctx);
    std::vector<int32_t> tokens;
    long long n_chunk = 0;
    if ((rc = cli::corpus_chunks(model.m, o.text_path, n_ctx, o.n_chunks, "an importance matrix", &tokens, &n_chunk)))
        return rc;
    const bool bos_wanted = cli::model_wants_bos(model.m);
    const int32_t bos = bos_wanted ? loom_token_bos(model.m) : -1;
    if (bos_wanted && bos < 0) return cli::fail("%s asks for a BOS token but has none", o.model_path.c_str());

    cli::ContextOptions co;
    co.n_threads = o.n_threads;
    co.n_ctx = uint32_t(n_ctx);
    co.n_batch = uint32_t(n_ctx);
    cli::ContextHandle ctx;
    if ((st = cli::new_context(model.m, co, nullptr, nullptr, &ctx)) != LOOM_OK) return cli::fail_status(st, "context");
    cli::BatchHandle batch;
    if ((st = loom_batch_new(n_ctx, &batch.b)) != LOOM_OK) return cli::fail_status(st, "batch");
    if ((st = loom_imatrix_begin(ctx.c)) != LOOM_OK) return cli::fail_status(st, "imatrix");

    std::fprintf(stderr, "imatrix: %zu tokens, %lld chunks of %d\n", tokens.size(), n_chunk, n_ctx);
    const double t0 = cli::now_seconds();
    for (long long c = 0; c < n_chunk; c++) {
        if ((st = decode_chunk(ctx.c, batch.b, tokens, size_t(c) * size_t(n_ctx), n_ctx, bos)) != LOOM_OK)
            return cli::fail_status(st, "decode");
        if (c == 0) std::fprintf(stderr, "imatrix: %.2f seconds per chunk\n", cli::now_seconds() - t0);
        std::fprintf(stderr, "\rimatrix: chunk %lld/%lld", c + 1, n_chunk);
    }
    std::fputc('\n', stderr);
    if ((st = loom_imatrix_save(ctx.c, o.out_path.c_str(), o.text_path.c_str(), n_ctx)) != LOOM_OK)
        return cli::fail_status(st, o.out_path.c_str());
    std::fprintf(stderr, "imatrix: saved %s (%lld chunks)\n", o.out_path.c_str(), n_chunk);
    return 0;
}

} // namespace

LOOM_COMMAND("imatrix", "importance matrix of a text file for quantization, llama-imatrix's method", cmd_imatrix);
