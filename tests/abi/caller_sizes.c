/* A program as an older or newer caller builds it: compiled against a copy of
 * loom.h whose caller-sized structs lost their last field (older) or gained
 * one (newer), run against today's library. Every struct sits between guard
 * words; the library must write only the caller's struct_size bytes, and the
 * model must still load, decode and sample. Prints the greedy tokens, which
 * the driver script compares across header variants.
 *
 * usage: caller_sizes MODEL.gguf     (exit 0: every check held) */
#include "loom.h"

#include <stdio.h>
#include <string.h>

#define GUARD 0xA5A5A5A5A5A5A5A5ull
#define BOX(T) struct { uint64_t pre; T v; uint64_t post[8]; }

static int failures;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);             \
            fprintf(stderr, __VA_ARGS__);                                    \
            fprintf(stderr, " [%s]\n", loom_last_error());                   \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static void fill_guards(uint64_t *pre, uint64_t *post) {
    int i;
    *pre = GUARD;
    for (i = 0; i < 8; i++) post[i] = GUARD;
}

static void check_guards(const char *what, const uint64_t *pre, const uint64_t *post) {
    int i;
    CHECK(*pre == GUARD, "%s: the word before the struct was overwritten", what);
    for (i = 0; i < 8; i++) CHECK(post[i] == GUARD, "%s: word %d after the struct was overwritten", what, i);
}

#define GUARDED(box) fill_guards(&(box).pre, (box).post)
#define CHECK_GUARDS(what, box) check_guards(what, &(box).pre, (box).post)

static void gguf_checks(const char *path) {
    BOX(loom_gguf_params) gp;
    BOX(loom_gguf_kv_info) kv;
    BOX(loom_gguf_tensor_info) ti;
    loom_gguf *g = NULL;
    memset(&gp, 0x5A, sizeof gp);
    GUARDED(gp);
    CHECK(loom_gguf_default_params(&gp.v) == LOOM_OK, "gguf defaults");
    CHECK(gp.v.struct_size == sizeof gp.v, "gguf params struct_size %zu != %zu", gp.v.struct_size, sizeof gp.v);
    CHECK(gp.v.use_mmap == 1, "gguf params use_mmap default");
    CHECK_GUARDS("loom_gguf_params", gp);
    CHECK(loom_gguf_open(path, &gp.v, &g) == LOOM_OK, "gguf open");
    if (!g) return;
    GUARDED(kv);
    kv.v.struct_size = sizeof kv.v;
    CHECK(loom_gguf_get_kv_info(g, 0, &kv.v) == LOOM_OK, "kv info");
    CHECK(kv.v.struct_size == sizeof kv.v && kv.v.key && kv.v.key[0], "kv info contents");
    CHECK_GUARDS("loom_gguf_kv_info", kv);
    GUARDED(ti);
    ti.v.struct_size = sizeof ti.v;
    CHECK(loom_gguf_get_tensor_info(g, 0, &ti.v) == LOOM_OK, "tensor info");
    CHECK(ti.v.struct_size == sizeof ti.v && ti.v.name && ti.v.n_dims >= 1, "tensor info contents");
    CHECK_GUARDS("loom_gguf_tensor_info", ti);
    loom_gguf_close(g);
}

static void vulkan_checks(void) {
    BOX(loom_vulkan_params) vp;
    struct { uint64_t pre; loom_vulkan_device_info v[2]; uint64_t post[8]; } devs;
    size_t count = 0;
    loom_status st;
    GUARDED(vp);
    CHECK(loom_vulkan_default_params(&vp.v) == LOOM_OK && vp.v.struct_size == sizeof vp.v, "vulkan defaults");
    CHECK_GUARDS("loom_vulkan_params", vp);
    GUARDED(devs);
    memset(devs.v, 0, sizeof devs.v);
    devs.v[0].struct_size = devs.v[1].struct_size = sizeof devs.v[0];
    st = loom_vulkan_devices(devs.v, 2, &count);
    CHECK(st == LOOM_OK || st == LOOM_ERR_BUFFER_TOO_SMALL || st == LOOM_ERR_UNSUPPORTED, "vulkan devices: %d", st);
    if (st != LOOM_ERR_UNSUPPORTED && count > 0)
        CHECK(devs.v[0].struct_size == sizeof devs.v[0] && devs.v[0].index == 0, "vulkan device entry 0");
    if (st != LOOM_ERR_UNSUPPORTED && count > 1)
        CHECK(devs.v[1].struct_size == sizeof devs.v[1] && devs.v[1].index == 1, "vulkan device entry 1 (stride)");
    CHECK_GUARDS("loom_vulkan_device_info[2]", devs);
    printf("vulkan devices: %s\n", st == LOOM_ERR_UNSUPPORTED ? "none" : "listed");
}

/* Memory plans: written up to the caller's struct_size only (a newer
 * caller's unknown tail zeroed), and the same numbers in every variant. */
static void plan_checks(const char *path, loom_model *model) {
    BOX(loom_memory_plan) plan;
    loom_context_params cp;
    GUARDED(plan);
    memset(&plan.v, 0x5A, sizeof plan.v);
    plan.v.struct_size = sizeof plan.v;
    CHECK(loom_model_estimate(path, NULL, &plan.v) == LOOM_OK, "model estimate");
    CHECK(plan.v.struct_size == sizeof plan.v && plan.v.weights_mapped > 0 && plan.v.reserved0 == 0,
          "model estimate contents");
#ifdef NEWER_HEADER
    CHECK(plan.v.future0 == 0, "the library zero-fills the plan fields it does not know");
#endif
    CHECK_GUARDS("loom_memory_plan (model)", plan);
    loom_context_default_params(&cp);
    cp.n_ctx = 64;
    GUARDED(plan);
    plan.v.struct_size = sizeof plan.v;
    CHECK(loom_context_estimate(model, &cp, &plan.v) == LOOM_OK, "context estimate");
    CHECK(plan.v.kv_cache > 0 && plan.v.weights_mapped == 0, "context estimate contents");
    CHECK_GUARDS("loom_memory_plan (context)", plan);
}

#ifdef NEWER_HEADER
/* A field the library does not know: zero is accepted, anything else is refused. */
static void unknown_field_checks(loom_model *model) {
    loom_context_params cp;
    loom_model_params mp;
    loom_context *ctx = NULL;
    loom_model *m2 = NULL;
    loom_context_default_params(&cp);
    CHECK(cp.future0 == 0, "the library zero-fills what it does not know");
    cp.n_ctx = 32;
    cp.future0 = 7;
    CHECK(loom_context_new(model, &cp, &ctx) == LOOM_ERR_INVALID_ARGUMENT && ctx == NULL,
          "an unknown non-zero field must be refused");
    CHECK(strstr(loom_last_error(), "does not know") != NULL, "the message names the unknown field: %s", loom_last_error());
    loom_model_default_params(&mp);
    mp.future0 = 1;
    CHECK(loom_model_load("/nonexistent.gguf", &mp, &m2) == LOOM_ERR_INVALID_ARGUMENT, "unknown model field refused");
}
#endif

/* Speculative decoding's params: defaults, then a prompt-lookup decoder built with them. */
static void speculative_checks(loom_context *ctx) {
    BOX(loom_speculative_params) sp;
    loom_speculative *spec = NULL;
    memset(&sp, 0x5A, sizeof sp);
    GUARDED(sp);
    CHECK(loom_speculative_default_params(&sp.v) == LOOM_OK, "speculative defaults");
    CHECK(sp.v.struct_size == sizeof sp.v && sp.v.draft_max == 8 && sp.v.ngram_min == 2, "speculative default values");
    CHECK_GUARDS("loom_speculative_params", sp);
    CHECK(loom_speculative_new(ctx, NULL, &sp.v, &spec) == LOOM_OK, "speculative new");
    CHECK_GUARDS("loom_speculative_params after speculative_new", sp);
    loom_speculative_free(spec);
}

int main(int argc, char **argv) {
    BOX(loom_model_params) mp;
    BOX(loom_context_params) cp;
    loom_model *model = NULL;
    loom_context *ctx = NULL;
    loom_batch *batch = NULL;
    loom_sampler *smp = NULL;
    int32_t tok, pos, i;
    if (argc != 2) return 2;

    gguf_checks(argv[1]);
    vulkan_checks();

    memset(&mp, 0x5A, sizeof mp);
    GUARDED(mp);
    CHECK(loom_model_default_params(&mp.v) == LOOM_OK, "model defaults");
    CHECK(mp.v.struct_size == sizeof mp.v && mp.v.use_mmap == 1 && mp.v.device_index == -1, "model defaults values");
    CHECK_GUARDS("loom_model_params", mp);
    mp.v.backend = LOOM_BACKEND_CPU;
    CHECK(loom_model_load(argv[1], &mp.v, &model) == LOOM_OK, "model load");
    CHECK_GUARDS("loom_model_params after load", mp);
    if (!model) return 1;
    plan_checks(argv[1], model);

    memset(&cp, 0x5A, sizeof cp);
    GUARDED(cp);
    CHECK(loom_context_default_params(&cp.v) == LOOM_OK, "context defaults");
    CHECK(cp.v.struct_size == sizeof cp.v && cp.v.n_batch == 512 && cp.v.n_seq_max == 1, "context default values");
    CHECK_GUARDS("loom_context_params", cp);
    cp.v.n_ctx = 64;
    cp.v.n_batch = 64;
    cp.v.n_threads = 2;
    CHECK(loom_context_new(model, &cp.v, &ctx) == LOOM_OK, "context new");
    CHECK_GUARDS("loom_context_params after context_new", cp);
#ifdef NEWER_HEADER
    unknown_field_checks(model);
#endif
    if (ctx) speculative_checks(ctx);

    if (ctx && loom_batch_new(64, &batch) == LOOM_OK && loom_sampler_new(&smp) == LOOM_OK) {
        for (i = 0; i < 8; i++) loom_batch_add(batch, 1 + 7 * i, i, 0, i == 7);
        CHECK(loom_decode(ctx, batch) == LOOM_OK, "prompt decode");
        const float *logits = NULL;
        if (loom_get_logits(ctx, -1, &logits) == LOOM_OK)
            printf("logits[0..3]: %.6f %.6f %.6f %.6f\n", logits[0], logits[1], logits[2], logits[3]);
        printf("tokens:");
        for (pos = 8; pos < 16; pos++) {
            CHECK(loom_sample(smp, ctx, -1, &tok) == LOOM_OK, "sample");
            printf(" %d", (int)tok);
            loom_batch_clear(batch);
            loom_batch_add(batch, tok, pos, 0, 1);
            CHECK(loom_decode(ctx, batch) == LOOM_OK, "decode");
        }
        printf("\n");
    }
    loom_sampler_free(smp);
    loom_batch_free(batch);
    loom_context_free(ctx);
    loom_model_free(model);
    return failures ? 1 : 0;
}
