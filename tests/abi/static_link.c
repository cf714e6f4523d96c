/* A plain C program linked beside libloom.a (tests/abi/static_link.sh) that
 * brings its own xxHash functions (deliberately wrong results: had loom's
 * state fingerprint called them, the state bytes would differ from the
 * libloom.so build's) and functions with names common in other inference
 * libraries, plus C++ host code in static_host.cpp. A clash with anything
 * inside loom fails the link; a merged symbol changes the output.
 *
 *   static_link MODEL.gguf   prints the greedy tokens and a hash of the saved state */
#include "loom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned long long XXH64(const void *data, size_t len, unsigned long long seed) { (void)data; return len + seed; }
unsigned long long XXH3_64bits(const void *data, size_t len) { (void)data; return len; }
void *XXH64_createState(void) { return NULL; }
int tokenize(const char *text) { return (int)strlen(text); }
int decode(int token) { return token + 1; }
void *gguf_init_from_file(const char *path) { (void)path; return NULL; }
void dequantize_row_q4_0(const void *x, float *y, long k) { (void)x; (void)y; (void)k; }

int host_cxx_work(void); /* static_host.cpp: std::string, vector, thread, map, shared_ptr, function */

static int fail(const char *what) {
    fprintf(stderr, "static_link: %s: %s\n", what, loom_last_error());
    return 1;
}

/* FNV-1a, so the program's own hash is independent of any xxHash. */
static unsigned long long fnv1a(const unsigned char *p, size_t n) {
    unsigned long long h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* Decodes a fixed prompt with 4 worker threads, then 8 greedy steps. */
static int run(const char *path) {
    loom_model *model = NULL;
    loom_context *ctx = NULL;
    loom_batch *batch = NULL;
    loom_sampler *smp = NULL;
    unsigned char *state = NULL;
    size_t state_size = 0;
    int rc = 1;
    if (loom_model_load(path, NULL, &model) != LOOM_OK) return fail("load");
    loom_context_params cp;
    loom_context_default_params(&cp);
    cp.n_ctx = 64;
    cp.n_threads = 4;
    if (loom_context_new(model, &cp, &ctx) != LOOM_OK) { rc = fail("context"); goto done; }
    if (loom_batch_new(16, &batch) != LOOM_OK || loom_sampler_new(&smp) != LOOM_OK ||
        loom_sampler_add_greedy(smp) != LOOM_OK) { rc = fail("batch/sampler"); goto done; }
    int32_t pos = 0, token = 0;
    for (; pos < 6; pos++) loom_batch_add(batch, 3 + 7 * pos, pos, 0, pos == 5);
    printf("tokens:");
    for (int step = 0; step < 8; step++) {
        if (loom_decode(ctx, batch) != LOOM_OK) { rc = fail("decode"); goto done; }
        if (loom_sample(smp, ctx, -1, &token) != LOOM_OK) { rc = fail("sample"); goto done; }
        printf(" %d", (int)token);
        loom_batch_clear(batch);
        loom_batch_add(batch, token, pos++, 0, 1);
    }
    loom_state_save(ctx, NULL, 0, &state_size); /* BUFFER_TOO_SMALL, with the size */
    state = malloc(state_size);
    if (!state || loom_state_save(ctx, state, state_size, &state_size) != LOOM_OK) { rc = fail("state"); goto done; }
    printf("\nstate: %zu bytes, fnv1a %016llx\n", state_size, fnv1a(state, state_size));
    rc = 0;
done:
    free(state);
    loom_sampler_free(smp);
    loom_batch_free(batch);
    loom_context_free(ctx);
    loom_model_free(model);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: static_link MODEL.gguf\n"); return 2; }
    if (loom_version() != LOOM_VERSION) { fprintf(stderr, "version mismatch\n"); return 1; }
    if (strcmp(loom_status_string(LOOM_ERR_NOT_FOUND), "not found") != 0) return 1;
    if (XXH64("abc", 3, 1) != 4 || XXH3_64bits("ab", 2) != 2 || XXH64_createState() != NULL) return 1;
    if (tokenize("abc") != 3 || decode(1) != 2 || gguf_init_from_file("x") != NULL) return 1;
    dequantize_row_q4_0(NULL, NULL, 0);
    if (host_cxx_work() != 0) { fprintf(stderr, "host C++ code failed\n"); return 1; }
    if (run(argv[1]) != 0) return 1;
    return host_cxx_work();
}
