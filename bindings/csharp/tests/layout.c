/* Prints sizeof and every field's offsetof of the params structs the C#
 * binding mirrors (src/NativeMethods.cs), one "name value" per line, for
 * tests/StructLayoutTests.cs. Built by ci.sh from include/loom.h. */
#include "loom.h"

#include <stddef.h>
#include <stdio.h>

#define SIZE(T) printf(#T " %zu\n", sizeof(T))
#define FIELD(T, f) printf(#T "." #f " %zu\n", offsetof(T, f))

int main(void) {
    SIZE(loom_model_params);
    FIELD(loom_model_params, struct_size);
    FIELD(loom_model_params, use_mmap);
    FIELD(loom_model_params, backend);
    FIELD(loom_model_params, device_index);
    FIELD(loom_model_params, vocab_only);
    FIELD(loom_model_params, progress);
    FIELD(loom_model_params, progress_user_data);
    FIELD(loom_model_params, log);
    FIELD(loom_model_params, log_user_data);
    FIELD(loom_model_params, vulkan);
    FIELD(loom_model_params, memory_budget);
    FIELD(loom_model_params, n_gpu_layers);
    FIELD(loom_model_params, reserved1);
    FIELD(loom_model_params, weights_in_place);
    FIELD(loom_model_params, reserved2);
    FIELD(loom_model_params, n_threads);
    FIELD(loom_model_params, reserved3);

    SIZE(loom_context_params);
    FIELD(loom_context_params, struct_size);
    FIELD(loom_context_params, n_ctx);
    FIELD(loom_context_params, n_batch);
    FIELD(loom_context_params, n_seq_max);
    FIELD(loom_context_params, n_threads);
    FIELD(loom_context_params, kv_type);
    FIELD(loom_context_params, embeddings);
    FIELD(loom_context_params, abort_callback);
    FIELD(loom_context_params, abort_user_data);
    FIELD(loom_context_params, matmul_precision);
    FIELD(loom_context_params, reserved0);
    FIELD(loom_context_params, pooling_type);
    FIELD(loom_context_params, embd_normalize);
    FIELD(loom_context_params, memory_budget);
    FIELD(loom_context_params, parallel_for);
    FIELD(loom_context_params, parallel_for_user_data);
    return 0;
}
