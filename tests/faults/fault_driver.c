/* The embedder's paths under fault injection (tests/faults/run.sh): load a
 * model, create a context, decode a prompt and a token, save and restore the
 * state (memory and file), read the logits, free everything. Uses only
 * loom.h, plus fault_shim_arm from the LD_PRELOAD shim (weak: without the
 * shim it runs plain).
 *
 * Every step runs armed (the shim counts and may fail the calls it makes).
 * A step that fails must return OUT_OF_MEMORY, BACKEND or IO with a
 * non-empty message, and then succeed when retried: the handle it failed
 * on stays usable. The last line is a digest of the final logits and the
 * state size, which the sweep compares with a run that injected nothing.
 *
 *   fault_driver MODEL.gguf STATE_PATH [cpu|vulkan]
 * Exit status: 0 when every check held, 1 otherwise. */
#include "loom.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern void fault_shim_arm(int on) __attribute__((weak));

enum { kThreads = 4, kPrompt = 8, kMaxVocab = 4096 };

struct run {
    const char *model_path, *state_path;
    int32_t backend;
    loom_model *model;
    loom_context *ctx;
    loom_batch *batch;
    int32_t n_vocab;
    float logits[kMaxVocab];          /* after the last decode */
    unsigned char state[1 << 20];
    size_t state_size;
    int bad;                          /* checks that failed */
};

static void arm(int on) {
    if (fault_shim_arm) fault_shim_arm(on);
}

static void fail(struct run *r, const char *step, const char *what) {
    printf("FAIL %s: %s\n", step, what);
    r->bad++;
}

/* ---- the steps ------------------------------------------------------------ */

static loom_status load(struct run *r) {
    loom_model_params p;
    loom_model_default_params(&p);
    p.backend = r->backend;
    return loom_model_load(r->model_path, &p, &r->model);
}

static loom_status context(struct run *r) {
    loom_context_params p;
    loom_context_default_params(&p);
    p.n_ctx = 64;
    p.n_batch = 16;
    p.n_threads = kThreads;
    return loom_context_new(r->model, &p, &r->ctx);
}

static loom_status batch(struct run *r) { return loom_batch_new(16, &r->batch); }

static loom_status decode_tokens(struct run *r, int32_t first_pos, int32_t n) {
    loom_batch_clear(r->batch);
    for (int32_t i = 0; i < n; i++) {
        int32_t pos = first_pos + i;
        loom_status s = loom_batch_add(r->batch, (pos * 7 + 3) % r->n_vocab, pos, 0, i == n - 1);
        if (s != LOOM_OK) return s;
    }
    return loom_decode(r->ctx, r->batch);
}

static loom_status prompt(struct run *r) { return decode_tokens(r, 0, kPrompt); }

static loom_status next_token(struct run *r) { return decode_tokens(r, kPrompt, 1); }

static loom_status read_logits(struct run *r) {
    const float *l = NULL;
    loom_status s = loom_get_logits(r->ctx, -1, &l);
    if (s == LOOM_OK) memcpy(r->logits, l, sizeof(float) * (size_t)r->n_vocab);
    return s;
}

static loom_status save(struct run *r) { return loom_state_save(r->ctx, r->state, sizeof r->state, &r->state_size); }

static loom_status restore(struct run *r) { return loom_state_load(r->ctx, r->state, r->state_size); }

static loom_status save_file(struct run *r) { return loom_state_save_file(r->ctx, r->state_path); }

static loom_status restore_file(struct run *r) { return loom_state_load_file(r->ctx, r->state_path); }

/* ---- checks ---------------------------------------------------------------- */

/* Runs a step armed; a failure must be a resource status with a message,
 * and the retry must succeed. 1 if the step finally succeeded. */
static int step(struct run *r, const char *name, loom_status (*fn)(struct run *)) {
    arm(1);
    loom_status s = fn(r);
    arm(0);
    if (s == LOOM_OK) return 1;
    const char *msg = loom_last_error();
    printf("step %s: %s: %s\n", name, loom_status_string(s), msg);
    if (s != LOOM_ERR_OUT_OF_MEMORY && s != LOOM_ERR_BACKEND && s != LOOM_ERR_IO)
        fail(r, name, "a failure other than OUT_OF_MEMORY, BACKEND or IO");
    if (msg == NULL || msg[0] == '\0') fail(r, name, "a failure with an empty loom_last_error()");
    arm(1);
    s = fn(r);
    arm(0);
    if (s == LOOM_OK) return 1;
    printf("step %s retried: %s: %s\n", name, loom_status_string(s), loom_last_error());
    fail(r, name, "the retry after the failure failed too");
    return 0;
}

/* The logits now equal those kept in r->logits (a restored state brings them back). */
static void check_logits_kept(struct run *r, const char *name) {
    const float *l = NULL;
    arm(1);
    loom_status s = loom_get_logits(r->ctx, -1, &l);
    arm(0);
    if (s != LOOM_OK || memcmp(l, r->logits, sizeof(float) * (size_t)r->n_vocab) != 0)
        fail(r, name, "the restored state does not give back the saved logits");
}

static uint64_t fnv1a(const void *data, size_t n) {
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void free_all(struct run *r) {
    arm(1);
    loom_batch_free(r->batch);
    loom_context_free(r->ctx);
    loom_model_free(r->model);
    arm(0);
}

static int run_steps(struct run *r) {
    if (!step(r, "load", load)) return 0;
    r->n_vocab = loom_model_n_vocab(r->model);
    if (r->n_vocab <= 0 || r->n_vocab > kMaxVocab) {
        fail(r, "load", "n_vocab out of range");
        return 0;
    }
    if (!step(r, "context", context) || !step(r, "batch", batch)) return 0;
    if (!step(r, "prompt", prompt) || !step(r, "token", next_token) || !step(r, "logits", read_logits)) return 0;
    if (!step(r, "save", save) || !step(r, "restore", restore)) return 0;
    check_logits_kept(r, "restore");
    if (!step(r, "save_file", save_file) || !step(r, "restore_file", restore_file)) return 0;
    check_logits_kept(r, "restore_file");
    return 1;
}

static struct run g_run;

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.gguf STATE_PATH [cpu|vulkan]\n", argv[0]);
        return 2;
    }
    struct run *r = &g_run;
    r->model_path = argv[1];
    r->state_path = argv[2];
    r->backend = argc > 3 && strcmp(argv[3], "vulkan") == 0 ? LOOM_BACKEND_VULKAN : LOOM_BACKEND_CPU;
    int done = run_steps(r);
    free_all(r);
    if (done)
        printf("digest %016llx state %zu\n", (unsigned long long)fnv1a(r->logits, sizeof(float) * (size_t)r->n_vocab),
               r->state_size);
    else
        printf("incomplete\n");
    return r->bad ? 1 : 0;
}
