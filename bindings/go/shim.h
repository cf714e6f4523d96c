/* shim.h: the C side of the Go binding, included by the cgo preamble of each
 * Go file that calls loom.
 *
 * loom_last_error() is thread-local, and a goroutine may move to another OS
 * thread between two cgo calls. So every fallible loom function is called
 * through a helper here that runs it and, when it fails, copies the message
 * into *err (malloc'd; the Go side frees it) in the same cgo call, on the
 * same thread. */
#ifndef LOOM_GO_SHIM_H
#define LOOM_GO_SHIM_H

#include <loom.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline loom_status lg_take(loom_status st, char **err) {
    if (st != LOOM_OK) {
        const char *m = loom_last_error();
        size_t n = strlen(m);
        char *copy = (char *)malloc(n + 1);
        if (copy) memcpy(copy, m, n + 1);
        *err = copy;
    }
    return st;
}

/* One helper per fallible function: the same arguments plus `err`. */
#define LG_WRAP(name, params, args) \
    static inline loom_status lg_##name params { return lg_take(loom_##name args, err); }

/* Params defaults (callers pass sizeof their struct: the caller-sized scheme). */
LG_WRAP(model_default_params_sized, (loom_model_params *p, size_t size, char **err), (p, size))
LG_WRAP(context_default_params_sized, (loom_context_params *p, size_t size, char **err), (p, size))

/* Models. */
LG_WRAP(model_load, (const char *path, const loom_model_params *p, loom_model **out, char **err), (path, p, out))

/* Tokenizer, detokenizer, chat, FIM. */
LG_WRAP(tokenize, (const loom_model *m, const char *text, size_t len, int32_t flags, int32_t *tokens, size_t cap,
                   size_t *n, char **err), (m, text, len, flags, tokens, cap, n))
LG_WRAP(token_to_piece, (const loom_model *m, int32_t token, char *buf, size_t cap, size_t *size, char **err),
        (m, token, buf, cap, size))
LG_WRAP(token_find, (const loom_model *m, const char *text, int32_t *token, char **err), (m, text, token))
LG_WRAP(model_eog_tokens, (const loom_model *m, int32_t *ids, size_t cap, size_t *n, char **err), (m, ids, cap, n))
LG_WRAP(detokenizer_new, (const loom_model *m, int32_t flags, loom_detokenizer **out, char **err), (m, flags, out))
LG_WRAP(detokenizer_push, (loom_detokenizer *d, int32_t token, char *buf, size_t cap, size_t *size, char **err),
        (d, token, buf, cap, size))
LG_WRAP(detokenizer_flush, (loom_detokenizer *d, char *buf, size_t cap, size_t *size, char **err), (d, buf, cap, size))
LG_WRAP(chat_template_kind, (const loom_model *m, int32_t *kind, char **err), (m, kind))
LG_WRAP(chat_apply, (const loom_model *m, const char *const *roles, const char *const *contents, size_t n,
                     int32_t flags, char *buf, size_t cap, size_t *size, char **err),
        (m, roles, contents, n, flags, buf, cap, size))
LG_WRAP(fim_prompt, (const loom_model *m, const char *prefix, const char *suffix, char *buf, size_t cap, size_t *size,
                     char **err), (m, prefix, suffix, buf, cap, size))
LG_WRAP(fim_repo_prompt, (const loom_model *m, const char *repo, const char *const *paths,
                          const char *const *contents, size_t n, const char *path, const char *prefix,
                          const char *suffix, char *buf, size_t cap, size_t *size, char **err),
        (m, repo, paths, contents, n, path, prefix, suffix, buf, cap, size))

/* Contexts, batches, KV cache, state. */
LG_WRAP(batch_new, (int32_t capacity, loom_batch **out, char **err), (capacity, out))
LG_WRAP(batch_add, (loom_batch *b, int32_t token, int32_t pos, int32_t seq, int32_t logits, char **err),
        (b, token, pos, seq, logits))
LG_WRAP(decode, (loom_context *c, const loom_batch *b, char **err), (c, b))
LG_WRAP(get_logits, (loom_context *c, int32_t i, const float **out, char **err), (c, i, out))
LG_WRAP(get_embeddings, (loom_context *c, int32_t i, const float **out, char **err), (c, i, out))
LG_WRAP(kv_seq_remove, (loom_context *c, int32_t seq, int32_t p0, int32_t p1, char **err), (c, seq, p0, p1))
LG_WRAP(kv_seq_copy, (loom_context *c, int32_t src, int32_t dst, int32_t p0, int32_t p1, char **err),
        (c, src, dst, p0, p1))
LG_WRAP(kv_seq_pos_max, (const loom_context *c, int32_t seq, int32_t *pos, char **err), (c, seq, pos))
LG_WRAP(state_save, (const loom_context *c, void *buf, size_t cap, size_t *size, char **err), (c, buf, cap, size))
LG_WRAP(state_load, (loom_context *c, const void *buf, size_t size, char **err), (c, buf, size))
LG_WRAP(state_save_file, (const loom_context *c, const char *path, char **err), (c, path))
LG_WRAP(state_load_file, (loom_context *c, const char *path, char **err), (c, path))

/* Sampling. */
LG_WRAP(sampler_new, (loom_sampler **out, char **err), (out))
LG_WRAP(sampler_add_greedy, (loom_sampler *s, char **err), (s))
LG_WRAP(sampler_add_temperature, (loom_sampler *s, float t, char **err), (s, t))
LG_WRAP(sampler_add_top_k, (loom_sampler *s, int32_t k, char **err), (s, k))
LG_WRAP(sampler_add_top_p, (loom_sampler *s, float p, char **err), (s, p))
LG_WRAP(sampler_add_min_p, (loom_sampler *s, float p, char **err), (s, p))
LG_WRAP(sampler_add_typical, (loom_sampler *s, float p, char **err), (s, p))
LG_WRAP(sampler_add_penalties, (loom_sampler *s, int32_t last_n, float repeat, float freq, float presence,
                                char **err), (s, last_n, repeat, freq, presence))
LG_WRAP(sampler_add_logit_bias, (loom_sampler *s, const int32_t *tokens, const float *biases, size_t n, char **err),
        (s, tokens, biases, n))
LG_WRAP(sampler_add_dist, (loom_sampler *s, uint64_t seed, char **err), (s, seed))
LG_WRAP(sampler_accept, (loom_sampler *s, int32_t token, char **err), (s, token))
LG_WRAP(sampler_sample_logits, (loom_sampler *s, const float *logits, int32_t n, int32_t *token, char **err),
        (s, logits, n, token))
LG_WRAP(sample, (loom_sampler *s, loom_context *c, int32_t i, int32_t *token, char **err), (s, c, i, token))

/* Cancellation: the abort callback reads a flag in C memory that the Go side
 * sets when a context.Context is done, so loom_decode never calls into Go. */
static inline int lg_abort_flag(void *flag) { return __atomic_load_n((const int32_t *)flag, __ATOMIC_ACQUIRE); }

static inline loom_status lg_context_new(const loom_model *m, loom_context_params *p, int32_t *abort_flag,
                                         loom_context **out, char **err) {
    p->abort_callback = lg_abort_flag;
    p->abort_user_data = abort_flag;
    return lg_take(loom_context_new(m, p, out), err);
}

/* Load progress reaches Go through the exported loomGoProgress (callbacks.go)
 * with a runtime/cgo.Handle as user data. */
extern int loomGoProgress(uintptr_t handle, float fraction);
static inline int lg_progress(void *handle, float fraction) { return loomGoProgress((uintptr_t)handle, fraction); }

static inline void lg_set_progress(loom_model_params *p, uintptr_t handle) {
    p->progress = lg_progress;
    p->progress_user_data = (void *)handle;
}

#endif
