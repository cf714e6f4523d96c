// loom quantize: a GGUF model to a quantized GGUF model, with llama-quantize's
// file types, per-tensor choices and metadata (loom_model_quantize).
#include "cli.h"
#include "common_options.h"
#include "infer_common.h"
#include "options.h"

#include <cctype>
#include <cstdio>
#include <string>

namespace {

struct Progress {
    bool quiet = false;
};

int on_progress(void *user, int64_t index, int64_t count, const char *name, int32_t from, int32_t to) {
    if (static_cast<Progress *>(user)->quiet) return 0;
    std::fprintf(stderr, "\r\033[K[%4lld/%4lld] %-32s %6s -> %-6s", static_cast<long long>(index + 1),
                 static_cast<long long>(count), name, loom_type_name(from), loom_type_name(to));
    std::fflush(stderr);
    return 0;
}

bool same_text_ignoring_case(const char *a, const char *b) {
    for (; *a && *b; ++a, ++b)
        if (std::tolower(static_cast<unsigned char>(*a)) != std::tolower(static_cast<unsigned char>(*b))) return false;
    return *a == *b;
}

// A tensor type by name (case-insensitive: "q8_0", "Q6_K") or number.
bool parse_tensor_type(const char *s, int32_t *out) {
    for (int32_t t = 0; t < 64; ++t) {
        const char *n = loom_type_name(t);
        if (n && same_text_ignoring_case(n, s)) return (*out = t), true;
    }
    long long v = 0;
    if (cli::parse_int(s, &v) && v >= 0 && v < 64 && loom_type_name(int32_t(v))) return (*out = int32_t(v)), true;
    return false;
}

bool parse_file_type(const char *s, int32_t *out) {
    if (loom_file_type_from_name(s, out) == LOOM_OK) return true;
    long long v = 0;
    if (cli::parse_int(s, &v) && v >= 0 && v < 1024 && loom_file_type_name(int32_t(v))) return (*out = int32_t(v)), true;
    return false;
}

cli::Options::Parser tensor_type_option(int32_t *dst) {
    return [dst](const char *v, std::string *why) {
        if (parse_tensor_type(v, dst)) return true;
        *why = "not a tensor type (e.g. q8_0, q6_K, f16)";
        return false;
    };
}

struct Args {
    std::string in, out, type, imatrix;
    bool pure = false, allow_requantize = false, quiet = false;
};

// Fills `p` from argv; returns -1 to go on or the exit status.
int parse_args(int argc, char **argv, Args *a, loom_model_quantize_params *p) {
    cli::CommonOptions common;
    cli::Options opts("loom quantize IN.gguf OUT.gguf TYPE [options]",
                      "Quantizes a GGUF model with llama-quantize's file types, per-tensor choices and metadata\n"
                      "(the same bytes as llama-quantize on the same input and options).");
    opts.positional("IN.gguf", &a->in, "the model to quantize (F32, F16 or BF16 weights)");
    opts.positional("OUT.gguf", &a->out, "the file to write (replaced only when complete)");
    opts.positional("TYPE", &a->type,
                    "a file type: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M\n"
                    "                               Q6_K IQ4_NL IQ4_XS TQ1_0 TQ2_0 F16 BF16 F32 (or llama.cpp's number)");
    opts.custom("--token-embedding-type", "T", tensor_type_option(&p->token_embedding_type),
                "tensor type of token_embd.weight (e.g. q8_0)", "TYPE's choice");
    opts.custom("--output-tensor-type", "T", tensor_type_option(&p->output_tensor_type),
                "tensor type of output.weight (q8_0 with the option above: the _L files)", "TYPE's choice");
    opts.flag("--pure", &a->pure, "no per-layer mix: every weight gets TYPE's tensor type");
    opts.text("--imatrix", "FILE", &a->imatrix,
              "importance matrix (loom imatrix / llama-imatrix, GGUF or .dat); weighs the quantization\n"
              "                               error as llama-quantize --imatrix does");
    opts.flag("--allow-requantize", &a->allow_requantize, "accept an already quantized input (quality suffers)");
    opts.flag("-q, --quiet", &a->quiet, "no progress line");
    cli::add_common_options(&opts, &common, "not used",
                            "threads quantizing each tensor; 0: the machine's cores, at most 64");
    int rc = opts.parse(argc, argv);
    if (rc >= 0) return rc;
    if (!parse_file_type(a->type.c_str(), &p->file_type))
        return opts.usage_error(a->type + ": not a file type (e.g. Q4_K_M, Q8_0, IQ4_XS, F16)");
    p->n_threads = int32_t(common.threads);
    p->pure = a->pure;
    p->allow_requantize = a->allow_requantize;
    if (!a->imatrix.empty()) p->imatrix_path = a->imatrix.c_str();
    return -1;
}

int run(int argc, char **argv) {
    loom_model_quantize_params p;
    loom_model_quantize_default_params(&p);
    Args a;
    int rc = parse_args(argc, argv, &a, &p);
    if (rc >= 0) return rc;
    if (cli::verbose()) cli::log_to_stderr();
    Progress progress;
    progress.quiet = a.quiet || !cli::stderr_is_terminal(); // a progress line only on a terminal
    p.progress = on_progress;
    p.progress_user_data = &progress;
    loom_status st = loom_model_quantize(a.in.c_str(), a.out.c_str(), &p);
    if (!progress.quiet) std::fprintf(stderr, "\r\033[K");
    if (st != LOOM_OK) return cli::fail_status(st, "quantize");
    std::fprintf(stderr, "loom: wrote %s (%s)\n", a.out.c_str(), loom_file_type_name(p.file_type));
    return 0;
}

} // namespace

LOOM_COMMAND("quantize", "quantize a GGUF model (llama-quantize's types: Q4_K_M, Q8_0, ...)", run);
