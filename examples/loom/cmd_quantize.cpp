// loom quantize: a GGUF model to a quantized GGUF model, with llama-quantize's
// file types, per-tensor choices and metadata (loom_model_quantize).
#include "cli.h"
#include "infer_common.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>

namespace {

constexpr const char *kUsage =
    "loom quantize IN.gguf OUT.gguf TYPE [options]\n"
    "  TYPE                        a file type: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M\n"
    "                              Q5_K_S Q5_K_M Q6_K IQ4_NL IQ4_XS TQ1_0 TQ2_0 F16 BF16 F32 (or llama.cpp's number)\n"
    "  --token-embedding-type T    tensor type of token_embd.weight (e.g. q8_0)\n"
    "  --output-tensor-type T      tensor type of output.weight (q8_0 with the option above: the _L files)\n"
    "  --pure                      no per-layer mix: every weight gets TYPE's tensor type\n"
    "  --imatrix FILE              importance matrix (loom imatrix / llama-imatrix, GGUF or .dat); weighted\n"
    "                              encoders so far: Q4_0 Q5_0 (Q8_0 F16 BF16 TQ1_0 TQ2_0 ignore it)\n"
    "  --allow-requantize          accept an already quantized input (quality suffers)\n"
    "  -t N                        threads (default: all cores)\n"
    "  -q, --quiet                 no progress line";

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

int run(int argc, char **argv) {
    loom_model_quantize_params p;
    loom_model_quantize_default_params(&p);
    Progress progress;
    progress.quiet = !isatty(STDERR_FILENO); // a progress line only on a terminal
    std::string positional[3];
    int n_pos = 0;
    for (int i = 1; i < argc; ++i) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : nullptr;
        if (!std::strcmp(a, "-h") || !std::strcmp(a, "--help")) {
            std::printf("usage: %s\n", kUsage);
            return 0;
        } else if (!std::strcmp(a, "--token-embedding-type") || !std::strcmp(a, "--output-tensor-type")) {
            int32_t *dst = a[2] == 't' ? &p.token_embedding_type : &p.output_tensor_type;
            if (!next) return cli::fail("%s: needs a tensor type (e.g. q8_0)", a);
            if (!parse_tensor_type(next, dst)) return cli::fail("%s %s: not a tensor type (e.g. q8_0, q6_K, f16)", a, next);
            ++i;
        } else if (!std::strcmp(a, "--imatrix")) {
            if (!next) return cli::fail("%s: needs a file (from loom imatrix or llama-imatrix)", a);
            p.imatrix_path = next;
            ++i;
        } else if (!std::strcmp(a, "--pure")) {
            p.pure = 1;
        } else if (!std::strcmp(a, "--allow-requantize")) {
            p.allow_requantize = 1;
        } else if (!std::strcmp(a, "-q") || !std::strcmp(a, "--quiet")) {
            progress.quiet = true;
        } else if (!std::strcmp(a, "-t") || !std::strcmp(a, "--threads")) {
            long long v = 0;
            if (!next) return cli::fail("%s: needs a thread count", a);
            if (!cli::parse_int(next, &v) || v < 1 || v > 256)
                return cli::fail("%s %s: not a thread count in 1..256", a, next);
            p.n_threads = int32_t(v);
            ++i;
        } else if (a[0] == '-' && a[1]) {
            return cli::fail("%s: unknown option (see loom quantize --help)", a);
        } else if (n_pos < 3) {
            positional[n_pos++] = a;
        } else {
            return cli::fail("%s: one argument too many (IN OUT TYPE)", a);
        }
    }
    if (n_pos < 3) return cli::usage(kUsage);
    if (!parse_file_type(positional[2].c_str(), &p.file_type))
        return cli::fail("%s: not a file type (e.g. Q4_K_M, Q8_0, IQ4_XS, F16; see loom quantize --help)",
                         positional[2].c_str());
    p.progress = on_progress;
    p.progress_user_data = &progress;
    loom_status st = loom_model_quantize(positional[0].c_str(), positional[1].c_str(), &p);
    if (!progress.quiet) std::fprintf(stderr, "\r\033[K");
    if (st != LOOM_OK) return cli::fail_status(st, "quantize");
    std::fprintf(stderr, "loom: wrote %s (%s)\n", positional[1].c_str(), loom_file_type_name(p.file_type));
    return 0;
}

} // namespace

LOOM_COMMAND("quantize", "quantize a GGUF model (llama-quantize's types: Q4_K_M, Q8_0, ...)", run);
