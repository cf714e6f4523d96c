#include "backend_args.h"

#include "cli.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace cli {

namespace {

struct BackendArgs {
    int32_t backend = LOOM_BACKEND_AUTO;
    int32_t device = -1;
    int32_t precision = -1;   // -1: the library's default
    int32_t gpu_layers = -1;  // -1: every layer on the device
    int32_t no_repack = 0;    // 1: loom_model_params.weights_in_place
} g_args; // the CLI's own settings (the library keeps no such state)

bool parse_backend(const char *v, int32_t *out) {
    if (!std::strcmp(v, "auto")) *out = LOOM_BACKEND_AUTO;
    else if (!std::strcmp(v, "cpu")) *out = LOOM_BACKEND_CPU;
    else if (!std::strcmp(v, "vulkan")) *out = LOOM_BACKEND_VULKAN;
    else return false;
    return true;
}

bool parse_device(const char *v, int32_t *out) {
    char *end = nullptr;
    errno = 0;
    long n = std::strtol(v, &end, 10);
    if (!*v || *end || errno || n < 0 || n > 1000) return false;
    *out = int32_t(n);
    return true;
}

bool parse_precision(const char *v, int32_t *out) {
    if (!std::strcmp(v, "exact")) *out = LOOM_MATMUL_EXACT;
    else if (!std::strcmp(v, "fast")) *out = LOOM_MATMUL_FAST;
    else return false;
    return true;
}

// -1 (all), 0 (none) or a count of layers from the last one back.
bool parse_gpu_layers(const char *v, int32_t *out) {
    char *end = nullptr;
    errno = 0;
    long n = std::strtol(v, &end, 10);
    if (!*v || *end || errno || n < -1 || n > 1000000) return false;
    *out = int32_t(n);
    return true;
}

struct Option {
    const char *names[3];     // the option and its aliases (nullptr-padded)
    const char *usage, *bad_value;
    bool (*parse)(const char *, int32_t *);   // nullptr: a flag, which sets *value = 1
    int32_t *value;
};

const Option kOptions[] = {
    {{"--backend"}, "--backend auto|cpu|vulkan", "--backend '%s': expected auto, cpu or vulkan", parse_backend,
     &g_args.backend},
    {{"--device"}, "--device N (see 'loom devices')", "--device '%s': expected a device index (see 'loom devices')",
     parse_device, &g_args.device},
    {{"--precision"}, "--precision exact|fast", "--precision '%s': expected exact or fast", parse_precision,
     &g_args.precision},
    {{"--gpu-layers", "-ngl", "--n-gpu-layers"}, "--gpu-layers N",
     "--gpu-layers '%s': expected -1 (all), 0 (none) or a number of layers", parse_gpu_layers, &g_args.gpu_layers},
    {{"--no-repack", "-nr"}, "--no-repack", nullptr, nullptr, &g_args.no_repack},
};

bool named(const Option &o, const char *arg) {
    for (const char *n : o.names)
        if (n && !std::strcmp(arg, n)) return true;
    return false;
}

} // namespace

bool take_backend_args(int *argc, char **argv) {
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        const Option *o = nullptr;
        for (const Option &c : kOptions)
            if (named(c, argv[i])) o = &c;
        if (!o) {
            argv[out++] = argv[i];
            continue;
        }
        if (!o->parse) {
            *o->value = 1;
            continue;
        }
        if (i + 1 >= *argc) {
            usage(o->usage);
            return false;
        }
        const char *v = argv[++i];
        if (!o->parse(v, o->value)) {
            fail(o->bad_value, v);
            return false;
        }
    }
    *argc = out;
    argv[out] = nullptr;
    return true;
}

void apply_backend_args(loom_model_params *params) {
    params->backend = g_args.backend;
    params->device_index = g_args.device;
    params->n_gpu_layers = g_args.gpu_layers;
    params->weights_in_place = g_args.no_repack;
}

void apply_precision_arg(loom_context_params *params) {
    if (g_args.precision >= 0) params->matmul_precision = g_args.precision;
}

} // namespace cli
