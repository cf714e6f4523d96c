/*
 * loom.h: the whole public C API of loom, an embeddable library that runs
 * GGUF-quantized language models (the Qwen2 family first).
 *
 * ---------------------------------------------------------------------------
 * Conventions (read once, they hold for every function below)
 * ---------------------------------------------------------------------------
 * - Every name is prefixed `loom_` (functions, types) or `LOOM_` (macros,
 *   enum constants).
 * - Objects are opaque handles. Each has exactly one create function and one
 *   destroy function; every destroy function accepts NULL and does nothing.
 * - Every call that can fail returns a `loom_status`: LOOM_OK (0) on success,
 *   a negative LOOM_ERR_* code otherwise. On failure, out-parameters are left
 *   untouched unless the function says otherwise, and a message naming what is
 *   wrong can be read with loom_last_error() on the same thread.
 * - Parameter structs begin with `size_t struct_size`. Fill them with the
 *   matching loom_*_default_params() function, which sets struct_size to the
 *   size the caller was compiled with; the library reads only that many bytes,
 *   so a program built against an older header keeps working when fields are
 *   appended. No struct is ever passed or returned by value.
 * - Strings are UTF-8. Input strings are borrowed for the duration of the call
 *   unless stated. Returned `const char *` pointers are owned by the library
 *   and live as long as the handle they came from, unless stated.
 * - Output buffers are (pointer, capacity) pairs plus a `size_t *` that
 *   receives the size needed. If the buffer is too small the function returns
 *   LOOM_ERR_BUFFER_TOO_SMALL and still writes the needed size, so a caller
 *   can call once with capacity 0 to size the buffer.
 * - The library never aborts, never exits, never throws a C++ exception across
 *   this API, and never prints: diagnostics go to a log callback if one is set.
 *
 * Thread safety: functions on different handles may run concurrently. A
 * loom_model is immutable after loading and may be shared by any number of
 * threads and contexts; a loom_context, loom_batch, loom_sampler or
 * loom_detokenizer must be used by one thread at a time. Global functions
 * (status strings, version, type table) are thread-safe.
 *
 * ---------------------------------------------------------------------------
 * ABI policy
 * ---------------------------------------------------------------------------
 * Within one major version (LOOM_VERSION_MAJOR, also the shared library's
 * SONAME number) loom only adds: new functions, new enum values, new fields at
 * the end of parameter structs (guarded by struct_size). Existing functions
 * keep their signature and meaning, enum values keep their numbers, and no
 * field is removed or reordered. Callers must tolerate unknown enum values in
 * outputs (e.g. a newer tensor type) and unknown negative status codes.
 * Anything under LOOM_EXPERIMENTAL may change in any release.
 */
#ifndef LOOM_H
#define LOOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(LOOM_BUILDING) && !defined(LOOM_STATIC)
#define LOOM_API __declspec(dllexport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#define LOOM_API __attribute__((visibility("default")))
#else
#define LOOM_API
#endif

/* ========================================================================= */
/* Version                                                                    */
/* ========================================================================= */

#define LOOM_VERSION_MAJOR 0
#define LOOM_VERSION_MINOR 1
#define LOOM_VERSION_PATCH 0
/** The version this header belongs to, as one number: major*10000 + minor*100 + patch. */
#define LOOM_VERSION (LOOM_VERSION_MAJOR * 10000 + LOOM_VERSION_MINOR * 100 + LOOM_VERSION_PATCH)

/** The version of the library actually linked (same encoding as LOOM_VERSION).
 *  Compare its major part with LOOM_VERSION_MAJOR to detect a mismatch. Thread-safe. */
LOOM_API uint32_t loom_version(void);

/** The linked library's version as "MAJOR.MINOR.PATCH"; static storage. Thread-safe. */
LOOM_API const char *loom_version_string(void);

/* ========================================================================= */
/* Status codes and errors                                                    */
/* ========================================================================= */

typedef int32_t loom_status;

enum {
    LOOM_OK = 0,
    LOOM_ERR_INVALID_ARGUMENT = -1, /* NULL where a value is needed, out of range value, bad flags */
    LOOM_ERR_OUT_OF_MEMORY = -2,    /* an allocation failed */
    LOOM_ERR_IO = -3,               /* open/read/write/mmap failed (the message has errno text) */
    LOOM_ERR_FORMAT = -4,           /* malformed input file or buffer (the message says what and where) */
    LOOM_ERR_UNSUPPORTED = -5,      /* valid but not supported: architecture, tensor type, feature */
    LOOM_ERR_NOT_FOUND = -6,        /* a key, tensor or token that does not exist */
    LOOM_ERR_TYPE_MISMATCH = -7,    /* a metadata value exists but has another type */
    LOOM_ERR_BUFFER_TOO_SMALL = -8, /* the needed size was written to the size out-parameter */
    LOOM_ERR_CANCELLED = -9,        /* a progress or abort callback asked to stop */
    LOOM_ERR_CONTEXT_FULL = -10,    /* a batch does not fit in the context's KV cache */
    LOOM_ERR_BACKEND = -11,         /* the compute backend failed (e.g. Vulkan device lost) */
    LOOM_ERR_INTERNAL = -12,        /* a bug in loom: please report it with the message */
};

/** A short static English name for a status code, e.g. "invalid argument".
 *  Unknown codes give "unknown status". Never NULL. Thread-safe. */
LOOM_API const char *loom_status_string(loom_status status);

/** The message of the last failed loom call on the calling thread (thread-local
 *  storage, overwritten by the next failure on this thread, not cleared by
 *  successes). Empty string if none. Valid until the next loom call on this
 *  thread. Never NULL. */
LOOM_API const char *loom_last_error(void);

/* ========================================================================= */
/* Logging                                                                    */
/* ========================================================================= */

typedef enum loom_log_level {
    LOOM_LOG_DEBUG = 0,
    LOOM_LOG_INFO = 1,
    LOOM_LOG_WARN = 2,
    LOOM_LOG_ERROR = 3,
} loom_log_level;

/** A log sink. `message` is one line without a trailing newline, valid only
 *  during the call. May be called from any thread that is inside a loom call. */
typedef void (*loom_log_fn)(void *user_data, loom_log_level level, const char *message);

/** Sets the process-wide log callback (NULL: silence, the default). Handles
 *  with their own callback (see loom_model_params.log) use theirs instead.
 *  Thread-safe; a call in flight may still reach the old callback. */
LOOM_API void loom_set_log_callback(loom_log_fn fn, void *user_data);

/* ========================================================================= */
/* Tensor types and the reference codecs                                      */
/* ========================================================================= */
/* SECTION quant: owned by lib/quant (see lib/quant/README in the code). */

/** GGML tensor types, numbered as in the GGUF format. */
typedef enum loom_type {
    LOOM_TYPE_F32 = 0,
    LOOM_TYPE_F16 = 1,
    LOOM_TYPE_Q4_0 = 2,
    LOOM_TYPE_Q4_1 = 3,
    LOOM_TYPE_Q5_0 = 6,
    LOOM_TYPE_Q5_1 = 7,
    LOOM_TYPE_Q8_0 = 8,
    LOOM_TYPE_Q8_1 = 9,
    LOOM_TYPE_Q2_K = 10,
    LOOM_TYPE_Q3_K = 11,
    LOOM_TYPE_Q4_K = 12,
    LOOM_TYPE_Q5_K = 13,
    LOOM_TYPE_Q6_K = 14,
    LOOM_TYPE_Q8_K = 15,
    LOOM_TYPE_IQ2_XXS = 16,
    LOOM_TYPE_IQ2_XS = 17,
    LOOM_TYPE_IQ3_XXS = 18,
    LOOM_TYPE_IQ1_S = 19,
    LOOM_TYPE_IQ4_NL = 20,
    LOOM_TYPE_IQ3_S = 21,
    LOOM_TYPE_IQ2_S = 22,
    LOOM_TYPE_IQ4_XS = 23,
    LOOM_TYPE_I8 = 24,
    LOOM_TYPE_I16 = 25,
    LOOM_TYPE_I32 = 26,
    LOOM_TYPE_I64 = 27,
    LOOM_TYPE_F64 = 28,
    LOOM_TYPE_IQ1_M = 29,
    LOOM_TYPE_BF16 = 30,
    LOOM_TYPE_Q4_0_4_4 = 31,
    LOOM_TYPE_Q4_0_4_8 = 32,
    LOOM_TYPE_Q4_0_8_8 = 33,
    LOOM_TYPE_TQ1_0 = 34,
    LOOM_TYPE_TQ2_0 = 35,
} loom_type;

/** The type's name as llama.cpp spells it ("Q4_K"), or NULL for a number
 *  that is not a known type. Static storage. Thread-safe. */
LOOM_API const char *loom_type_name(int32_t type);

/** Values per block (1 for F32/F16/BF16, 32 for Q4_0, 256 for K-quants);
 *  0 for an unknown type. Thread-safe. */
LOOM_API int64_t loom_type_block_size(int32_t type);

/** Bytes per block; 0 for an unknown type. Thread-safe. */
LOOM_API size_t loom_type_block_bytes(int32_t type);

/** Bytes of one row of `n` values of `type` into *out.
 *  Errors: INVALID_ARGUMENT (unknown type, n not a multiple of the block
 *  size, negative n, NULL out), OUT_OF_MEMORY never. Overflow-checked. */
LOOM_API loom_status loom_row_size(int32_t type, int64_t n, size_t *out);

/** Dequantizes `n` values of `type` from `src` (`src_size` bytes, at least
 *  loom_row_size(type, n)) into `dst` (n floats). Bit-exact with the GGUF
 *  format's reference decoder. Errors: INVALID_ARGUMENT (NULL pointers, n not
 *  a multiple of the block size, src_size too small), UNSUPPORTED (a type
 *  with no decoder). Thread-safe. */
LOOM_API loom_status loom_dequantize(int32_t type, const void *src, size_t src_size, float *dst, int64_t n);

/** Quantizes `n_rows` rows of `row_len` floats from `src` into `dst`
 *  (`dst_capacity` bytes); *written receives the bytes needed
 *  (n_rows * loom_row_size(type, row_len)). Errors: INVALID_ARGUMENT,
 *  BUFFER_TOO_SMALL (needed size still written), UNSUPPORTED (types loom does
 *  not quantize to: see README). Thread-safe. */
LOOM_API loom_status loom_quantize(int32_t type, const float *src, int64_t n_rows, int64_t row_len,
                                   void *dst, size_t dst_capacity, size_t *written);

/* END SECTION quant */

/* ========================================================================= */
/* GGUF files                                                                 */
/* ========================================================================= */
/* SECTION gguf: owned by lib/gguf. */
/* END SECTION gguf */

/* ========================================================================= */
/* Models                                                                     */
/* ========================================================================= */
/* SECTION model: owned by lib/model. */
/* END SECTION model */

/* ========================================================================= */
/* Tokenizer, detokenizer, chat templates, fill-in-the-middle                 */
/* ========================================================================= */
/* SECTION tokenizer: owned by lib/tokenizer and lib/chat. */
/* END SECTION tokenizer */

/* ========================================================================= */
/* Contexts, batches, decoding, KV cache, state                               */
/* ========================================================================= */
/* SECTION context: owned by lib/context. */
/* END SECTION context */

/* ========================================================================= */
/* Sampling                                                                   */
/* ========================================================================= */
/* SECTION sample: owned by lib/sample. */
/* END SECTION sample */

#ifdef __cplusplus
}
#endif

#endif /* LOOM_H */
