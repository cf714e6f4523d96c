// loom perplexity -m MODEL -f TEXT [-c 512] [-b N] [--chunks K] [-t N]:
// llama-perplexity's method. The text is tokenized once (as llama.cpp does:
// no NFC normalization, special-token texts not parsed, one trailing newline
// of the file dropped, a BOS only when the model asks for one), then cut into
// chunks of n_ctx tokens. Each chunk is decoded from an empty cache and the
// second half of it is scored: the negative log-likelihood of each next token
// under the logits (a log-softmax in double). Prints the running [i]ppl after
// each chunk and the final estimate with its standard error, in
// llama-perplexity's format, so the two numbers can be compared directly.
//
// --kl-divergence-base FILE saves every scored position's log-probabilities
// (llama-perplexity's file format, see logprob_file.h); then
// --kl-divergence-base FILE --kl-divergence runs another model (a quant of
// the same one) over the tokens saved in FILE and reports the KL divergence,
// top-token agreement and the perplexity change against the base.
#include "cli.h"
#include "common_options.h"
#include "infer_common.h"
#include "kld_stats.h"
#include "logprob_file.h"
#include "text_corpus.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace {

struct Options {
    std::string model_path, text_path, base_path;
    bool kl_divergence = false;
    long long n_ctx = 512;
    long long n_batch = 512;
    long long n_chunks = -1; // all
    int32_t n_threads = 0;
};

// Sums of the negative log-likelihoods of the scored tokens and of their squares.
struct NllSums {
    double nll = 0.0, nll2 = 0.0;
    long long count = 0;

    void add(double v) {
        nll += v;
        nll2 += v * v;
        count++;
    }
    double ppl() const { return std::exp(nll / double(count)); }
    // Standard error of the mean NLL times ppl (d exp(x) = exp(x) dx): the
    // uncertainty llama-perplexity prints; NaN when it cannot be estimated.
    double ppl_error() const {
        const double mean = nll / double(count);
        const double var = nll2 / double(count) - mean * mean;
        if (count < 2 || !(var > 0)) return std::nan("");
        return std::sqrt(var / double(count - 1)) * ppl();
    }
};

// -log softmax(logits)[tok], in double, stable (max subtracted).
double token_nll(const float *logits, int32_t n_vocab, int32_t tok) {
    float max = logits[0];
    for (int32_t i = 1; i < n_vocab; i++) max = logits[i] > max ? logits[i] : max;
    double sum = 0.0;
    for (int32_t i = 0; i < n_vocab; i++) sum += std::exp(double(logits[i]) - double(max));
    return double(max) + std::log(sum) - double(logits[tok]);
}

bool parse_args(int argc, char **argv, Options *o, int *rc) {
    cli::CommonOptions common;
    common.n_ctx = o->n_ctx;
    cli::Options opts("loom perplexity -m MODEL -f TEXT [options]",
                      "llama-perplexity's method: the text in chunks of -c tokens, each from an empty cache, the\n"
                      "second half of each scored; prints [i]ppl per chunk and the estimate with its error.");
    opts.text("-m, --model", "FILE", &o->model_path, "the GGUF model (required)");
    opts.text("-f, --file", "TEXT", &o->text_path, "the text file (required unless --kl-divergence)");
    opts.integer("-b, --batch-size", "N", &o->n_batch, 1, 1 << 24, "tokens per decode step");
    opts.integer("--chunks", "K", &o->n_chunks, 1, INT32_MAX, "score the first K chunks only", "all");
    opts.text("--kl-divergence-base", "FILE", &o->base_path,
              "write the base model's log-probabilities there (with --kl-divergence: read them)", "none");
    opts.flag("--kl-divergence", &o->kl_divergence, "compare this model with the base saved in FILE (-f not needed)");
    cli::add_common_options(&opts, &common, "512");
    if ((*rc = opts.parse(argc, argv)) >= 0) return false;
    if (common.n_ctx != 0 && common.n_ctx < 4) return *rc = opts.usage_error("-c " + std::to_string(common.n_ctx) +
                                                                               ": must be 4..16777216"), false;
    o->n_ctx = common.n_ctx ? common.n_ctx : 512;
    o->n_threads = int32_t(common.threads);
    if (o->model_path.empty() || (o->text_path.empty() && !o->kl_divergence))
        return *rc = opts.usage_error("-m MODEL and -f TEXT are required"), false;
    if (o->kl_divergence && o->base_path.empty())
        return *rc = cli::fail("--kl-divergence needs --kl-divergence-base FILE (the base model's saved log-probabilities)"), false;
    return true;
}

// Receives every scored position: its logits and the token that follows.
struct RowSink {
    virtual ~RowSink() = default;
    virtual bool row(const float *logits, int32_t next) = 0;
};

// Perplexity, optionally saving each position's log-probabilities (--kl-divergence-base).
struct PplSink : RowSink {
    NllSums sums;
    int32_t n_vocab = 0;
    FILE *base = nullptr;
    std::vector<uint16_t> code;

    bool row(const float *logits, int32_t next) override {
        sums.add(token_nll(logits, n_vocab, next));
        if (!base) return true;
        code.resize(cli::logprob_row_width(n_vocab));
        cli::logprob_encode(logits, n_vocab, code.data());
        return std::fwrite(code.data(), sizeof(uint16_t), code.size(), base) == code.size();
    }
};

// KL divergence against the base rows read from a file (--kl-divergence).
struct KldSink : RowSink {
    cli::KldStats stats;
    int32_t n_vocab = 0;
    FILE *base = nullptr;
    std::vector<uint16_t> code;

    bool row(const float *logits, int32_t next) override {
        code.resize(cli::logprob_row_width(n_vocab));
        if (std::fread(code.data(), sizeof(uint16_t), code.size(), base) != code.size()) return false;
        stats.add(logits, code.data(), n_vocab, next);
        return true;
    }
};

// Decodes tokens[start, start + n_ctx) at positions 0.. from an empty cache in
// batches of n_batch and hands each position of the chunk's second half (but
// the last) to `sink`. LOOM_ERR_IO when the sink fails.
loom_status score_chunk(loom_context *ctx, loom_batch *batch, const std::vector<int32_t> &tokens, size_t start,
                        int32_t n_ctx, int32_t n_batch, int32_t bos, RowSink *sink) {
    const int32_t first = n_ctx / 2;
    loom_kv_clear(ctx);
    for (int32_t b0 = 0; b0 < n_ctx; b0 += n_batch) {
        const int32_t b1 = b0 + n_batch < n_ctx ? b0 + n_batch : n_ctx;
        loom_batch_clear(batch);
        for (int32_t p = b0; p < b1; p++) {
            const int32_t tok = p == 0 && bos >= 0 ? bos : tokens[start + size_t(p)];
            loom_status st = loom_batch_add(batch, tok, p, 0, p >= first && p + 1 < n_ctx);
            if (st != LOOM_OK) return st;
        }
        loom_status st = loom_decode(ctx, batch);
        if (st != LOOM_OK) return st;
        for (int32_t p = b0 < first ? first : b0; p < b1 && p + 1 < n_ctx; p++) {
            const float *row = nullptr;
            if ((st = loom_get_logits(ctx, p - b0, &row)) != LOOM_OK) return st;
            if (!sink->row(row, tokens[start + size_t(p) + 1])) return LOOM_ERR_IO;
        }
    }
    return LOOM_OK;
}

struct FileHandle {
    FILE *f = nullptr;
    ~FileHandle() {
        if (f) std::fclose(f);
    }
};

// The tokens to score and how to cut them: from the text (-f), or with
// --kl-divergence from the base file, whose header is read here.
struct Plan {
    std::vector<int32_t> tokens;
    int32_t n_ctx = 0;
    long long n_chunk = 0;
};

int plan_from_text(const Options &o, const loom_model *m, Plan *plan) {
    plan->n_ctx = int32_t(o.n_ctx);
    return cli::corpus_chunks(m, o.text_path, plan->n_ctx, o.n_chunks, "perplexity", &plan->tokens, &plan->n_chunk);
}

int plan_from_base(const Options &o, const loom_model *m, FILE *base, Plan *plan) {
    cli::LogProbHeader h;
    std::string error;
    if (!cli::logprob_read_header(base, &h, &error)) return cli::fail("%s: %s", o.base_path.c_str(), error.c_str());
    if (h.n_vocab != loom_model_n_vocab(m))
        return cli::fail("%s holds a %d-token vocabulary; %s has %d", o.base_path.c_str(), h.n_vocab,
                         o.model_path.c_str(), loom_model_n_vocab(m));
    for (int32_t t : h.tokens)
        if (t < 0 || t >= h.n_vocab) return cli::fail("%s: token id %d outside the vocabulary", o.base_path.c_str(), t);
    plan->tokens = std::move(h.tokens);
    plan->n_ctx = h.n_ctx;
    plan->n_chunk = o.n_chunks < 0 || o.n_chunks > h.n_chunk ? h.n_chunk : o.n_chunks;
    return 0;
}

int cmd_perplexity(int argc, char **argv) {
    Options o;
    int rc = 0;
    if (!parse_args(argc, argv, &o, &rc)) return rc;

    cli::ModelHandle model;
    loom_status st = cli::load_model(o.model_path, false, &model);
    if (st != LOOM_OK) return cli::fail_status(st, o.model_path.c_str());
    FileHandle base;
    if (!o.base_path.empty() && !(base.f = std::fopen(o.base_path.c_str(), o.kl_divergence ? "rb" : "wb")))
        return cli::fail("cannot %s %s: %s", o.kl_divergence ? "open" : "create", o.base_path.c_str(),
                         std::strerror(errno));
    Plan plan;
    if ((rc = o.kl_divergence ? plan_from_base(o, model.m, base.f, &plan) : plan_from_text(o, model.m, &plan)) != 0)
        return rc;
    const int32_t n_ctx = plan.n_ctx, n_vocab = loom_model_n_vocab(model.m);
    const int32_t n_batch = o.n_batch < n_ctx ? int32_t(o.n_batch) : n_ctx;
    const int32_t bos = cli::model_wants_bos(model.m) ? loom_token_bos(model.m) : -1;
    if (cli::model_wants_bos(model.m) && bos < 0) return cli::fail("%s asks for a BOS token but has none", o.model_path.c_str());
    if (base.f && !o.kl_divergence) {
        cli::LogProbHeader h;
        h.n_ctx = n_ctx;
        h.n_vocab = n_vocab;
        h.n_chunk = int32_t(plan.n_chunk);
        h.tokens.assign(plan.tokens.begin(), plan.tokens.begin() + plan.n_chunk * n_ctx);
        if (!cli::logprob_write_header(base.f, h)) return cli::fail("cannot write %s", o.base_path.c_str());
    }

    cli::ContextOptions co;
    co.n_threads = o.n_threads;
    co.n_ctx = uint32_t(n_ctx);
    co.n_batch = uint32_t(n_batch);
    cli::ContextHandle ctx;
    if ((st = cli::new_context(model.m, co, nullptr, nullptr, &ctx)) != LOOM_OK) return cli::fail_status(st, "context");
    cli::BatchHandle batch;
    if ((st = loom_batch_new(n_batch, &batch.b)) != LOOM_OK) return cli::fail_status(st, "batch");

    std::fprintf(stderr, "perplexity: %zu tokens, %lld chunks of %d, batch %d, scoring the last %d of each\n",
                 plan.tokens.size(), plan.n_chunk, n_ctx, n_batch, n_ctx - n_ctx / 2 - 1);
    PplSink ppl;
    KldSink kld;
    ppl.n_vocab = kld.n_vocab = n_vocab;
    ppl.base = kld.base = base.f;
    RowSink *sink = o.kl_divergence ? static_cast<RowSink *>(&kld) : &ppl;
    if (o.kl_divergence) cli::KldStats::print_chunk_heading(stdout);
    const double t0 = cli::now_seconds();
    for (long long c = 0; c < plan.n_chunk; c++) {
        st = score_chunk(ctx.c, batch.b, plan.tokens, size_t(c) * size_t(n_ctx), n_ctx, n_batch, bos, sink);
        if (st == LOOM_ERR_IO)
            return cli::fail("cannot %s %s", o.kl_divergence ? "read (truncated?)" : "write", o.base_path.c_str());
        if (st != LOOM_OK) return std::fputc('\n', stdout), cli::fail_status(st, "decode");
        if (c == 0) std::fprintf(stderr, "perplexity: %.2f seconds per chunk\n", cli::now_seconds() - t0);
        if (o.kl_divergence) kld.stats.print_chunk(stdout, c + 1);
        else std::printf("[%lld]%.4f,", c + 1, ppl.sums.ppl());
        std::fflush(stdout);
    }
    if (o.kl_divergence) {
        std::printf("\n");
        kld.stats.print_summary(stdout);
    } else {
        std::printf("\nFinal estimate: PPL = %.4f +/- %.5f\n", ppl.sums.ppl(), ppl.sums.ppl_error());
    }
    if (base.f && !o.kl_divergence && std::fflush(base.f) != 0) return cli::fail("cannot write %s", o.base_path.c_str());
    return 0;
}

} // namespace

LOOM_COMMAND("perplexity", "perplexity of a text file, llama-perplexity's method", cmd_perplexity);
