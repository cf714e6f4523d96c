/*
 * simple.c: the smallest complete use of loom's C API. Loads a model,
 * tokenizes a prompt, decodes it in one batch, then samples and streams up to
 * N tokens.
 *
 *   simple MODEL.gguf "PROMPT" [N]
 */
#include "loom.h"

#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what, loom_status st) {
    fprintf(stderr, "simple: %s: %s (%s)\n", what, loom_last_error(), loom_status_string(st));
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: simple MODEL.gguf PROMPT [N]\n");
        return 2;
    }
    const char *text = argv[2];
    int n_predict = argc > 3 ? atoi(argv[3]) : 32;
    loom_model *model = NULL;
    loom_context *ctx = NULL;
    loom_batch *batch = NULL;
    loom_sampler *sampler = NULL;
    loom_detokenizer *detok = NULL;
    int32_t *tokens = NULL;
    int rc = 1;
    loom_status st;

    if ((st = loom_model_load(argv[1], NULL, &model)) != LOOM_OK) return fail("load", st);

    /* Tokenize: first call sizes the buffer. */
    size_t n_tokens = 0, i;
    size_t len = 0;
    while (text[len]) len++;
    st = loom_tokenize(model, text, len, LOOM_TOKENIZE_PARSE_SPECIAL, NULL, 0, &n_tokens);
    if (st != LOOM_OK && st != LOOM_ERR_BUFFER_TOO_SMALL) { rc = fail("tokenize", st); goto done; }
    tokens = malloc((n_tokens ? n_tokens : 1) * sizeof *tokens);
    if (!tokens) goto done;
    if ((st = loom_tokenize(model, text, len, LOOM_TOKENIZE_PARSE_SPECIAL, tokens, n_tokens, &n_tokens)) != LOOM_OK) {
        rc = fail("tokenize", st);
        goto done;
    }

    /* A context with room for the prompt and the reply. */
    loom_context_params cp;
    loom_context_default_params(&cp);
    cp.n_ctx = (uint32_t)(n_tokens + (size_t)n_predict + 1);
    cp.n_batch = (uint32_t)(n_tokens ? n_tokens : 1);
    if ((st = loom_context_new(model, &cp, &ctx)) != LOOM_OK) { rc = fail("context", st); goto done; }
    if ((st = loom_batch_new((int32_t)cp.n_batch, &batch)) != LOOM_OK) { rc = fail("batch", st); goto done; }

    /* Sampler chain: top-k 40, temperature 0.7, a seeded draw. */
    if ((st = loom_sampler_new(&sampler)) != LOOM_OK || (st = loom_sampler_add_top_k(sampler, 40)) != LOOM_OK ||
        (st = loom_sampler_add_temperature(sampler, 0.7f)) != LOOM_OK || (st = loom_sampler_add_dist(sampler, 42)) != LOOM_OK) {
        rc = fail("sampler", st);
        goto done;
    }
    if ((st = loom_detokenizer_new(model, 0, &detok)) != LOOM_OK) { rc = fail("detokenizer", st); goto done; }

    /* The prompt in one batch; logits only for its last token. */
    for (i = 0; i < n_tokens; i++)
        loom_batch_add(batch, tokens[i], (int32_t)i, 0, i + 1 == n_tokens);
    if ((st = loom_decode(ctx, batch)) != LOOM_OK) { rc = fail("decode", st); goto done; }

    printf("%s", text);
    int32_t pos = (int32_t)n_tokens;
    for (int step = 0; step < n_predict; step++) {
        int32_t tok;
        if ((st = loom_sample(sampler, ctx, -1, &tok)) != LOOM_OK) { rc = fail("sample", st); goto done; }
        if (loom_token_is_eog(model, tok)) break;
        char piece[256];
        size_t n = 0;
        if (loom_detokenizer_push(detok, tok, piece, sizeof piece, &n) == LOOM_OK) fwrite(piece, 1, n, stdout);
        fflush(stdout);
        loom_batch_clear(batch);
        loom_batch_add(batch, tok, pos++, 0, 1);
        if ((st = loom_decode(ctx, batch)) != LOOM_OK) { rc = fail("decode", st); goto done; }
    }
    {
        char tail[8];
        size_t n = 0;
        if (loom_detokenizer_flush(detok, tail, sizeof tail, &n) == LOOM_OK) fwrite(tail, 1, n, stdout);
    }
    printf("\n");
    rc = 0;

done:
    free(tokens);
    loom_detokenizer_free(detok);
    loom_sampler_free(sampler);
    loom_batch_free(batch);
    loom_context_free(ctx);
    loom_model_free(model);
    return rc;
}
