// GGUF parsing from memory, then every key and tensor read back.
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    loom_gguf *g = nullptr;
    if (loom_gguf_open_memory(data, size, 1, &g) != LOOM_OK) return 0;
    for (int64_t i = 0; i < loom_gguf_kv_count(g); i++) {
        loom_gguf_kv_info kv{};
        kv.struct_size = sizeof kv;
        FUZZ_ASSERT(loom_gguf_get_kv_info(g, i, &kv) == LOOM_OK);
        int64_t v = 0;
        const char *s = nullptr;
        size_t n = 0;
        (void)loom_gguf_get_int(g, kv.key, &v);
        (void)loom_gguf_get_string(g, kv.key, &s, &n);
    }
    for (int64_t i = 0; i < loom_gguf_tensor_count(g); i++) {
        loom_gguf_tensor_info t{};
        t.struct_size = sizeof t;
        FUZZ_ASSERT(loom_gguf_get_tensor_info(g, i, &t) == LOOM_OK);
    }
    loom_gguf_close(g);
    return 0;
}
