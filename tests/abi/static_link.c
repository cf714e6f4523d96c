/* A plain C program linked against the whole static libloom.a. It defines
 * functions with names common in other inference libraries: a clash with
 * anything inside loom would fail the link. */
#include "loom.h"

#include <stdio.h>
#include <string.h>

int tokenize(const char *text) { return (int)strlen(text); }
int decode(int token) { return token + 1; }
void log_message(const char *msg) { (void)msg; }
void *gguf_init_from_file(const char *path) { (void)path; return NULL; }
void dequantize_row_q4_0(const void *x, float *y, long k) { (void)x; (void)y; (void)k; }
int detokenize(int token) { return token; }
int sample(int n) { return n; }

int main(void) {
    if (loom_version() != LOOM_VERSION) { fprintf(stderr, "version mismatch\n"); return 1; }
    if (strcmp(loom_status_string(LOOM_ERR_NOT_FOUND), "not found") != 0) return 1;
    if (strcmp(loom_type_name(LOOM_TYPE_Q4_K), "Q4_K") != 0) return 1;
    if (tokenize("abc") != 3 || decode(1) != 2 || gguf_init_from_file("x") != NULL) return 1;
    log_message("ok");
    dequantize_row_q4_0(NULL, NULL, 0);
    printf("static link ok: loom %s\n", loom_version_string());
    return detokenize(0) + sample(0);
}
