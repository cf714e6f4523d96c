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

} // namespace

bool take_backend_args(int *argc, char **argv) {
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        bool is_backend = !std::strcmp(argv[i], "--backend"), is_device = !std::strcmp(argv[i], "--device");
        if (!is_backend && !is_device) {
            argv[out++] = argv[i];
            continue;
        }
        if (i + 1 >= *argc) {
            usage(is_backend ? "--backend auto|cpu|vulkan" : "--device N (see 'loom devices')");
            return false;
        }
        const char *v = argv[++i];
        if (is_backend ? !parse_backend(v, &g_args.backend) : !parse_device(v, &g_args.device)) {
            fail(is_backend ? "--backend '%s': expected auto, cpu or vulkan" : "--device '%s': expected a device index (see 'loom devices')", v);
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
}

} // namespace cli
