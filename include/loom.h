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
 *   matching loom_X_default_params(&p) macro: it passes the size the caller
 *   was compiled with (sizeof p) to loom_X_default_params_sized(), which
 *   zero-fills exactly that many bytes, writes the defaults it knows and sets
 *   struct_size to it. The library reads and writes only min(struct_size, its
 *   own size) bytes of a caller's struct and strides arrays of structs by the
 *   caller's struct_size, so a program built against an older header keeps
 *   working against a newer library and never has memory past its structs
 *   touched. A program built against a newer header than the library: the
 *   library ignores nothing silently; bytes past the fields it knows must be
 *   zero (as its default function leaves them), else the call fails with
 *   LOOM_ERR_INVALID_ARGUMENT ("a field this library does not know was set").
 *   Structs have no hidden padding: what would be padding is a field named
 *   reservedN (keep it 0; the library ignores it), so every version of a
 *   struct has its own sizeof. No struct is ever passed or returned by value.
 * - Strings are UTF-8. Input strings are borrowed for the duration of the call
 *   unless stated. Returned `const char *` pointers are owned by the library
 *   and live as long as the handle they came from, unless stated.
 * - Output buffers are (pointer, capacity) pairs plus a `size_t *` that
 *   receives the size needed. If the buffer is too small the function returns
 *   LOOM_ERR_BUFFER_TOO_SMALL and still writes the needed size, so a caller
 *   can call once with capacity 0 to size the buffer.
 * - The library never aborts, never exits, never throws a C++ exception across
 *   this API, and never prints: diagnostics go to a log callback if one is set.
 *   When memory or threads run out, the call returns LOOM_ERR_OUT_OF_MEMORY
 *   (or LOOM_ERR_BACKEND for a thread the OS refuses, LOOM_ERR_IO for a file)
 *   with a message, and the handles involved stay usable and freeable: a
 *   failed loom_decode leaves the KV cache as it was before the call. The
 *   fault-injection sweep in tests/faults proves this for every allocation
 *   and thread creation of load, context creation, decode and state I/O.
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
 * The exported symbols carry the version node LOOM_<major> (LOOM_0), and
 * every release is checked against the previous one's ABI (tests/abi).
 *
 * ---------------------------------------------------------------------------
 * Contents: the sections below (their ===== banners), in this order
 * ---------------------------------------------------------------------------
 *   Version                          loom_version, LOOM_VERSION_*
 *   Status codes and errors          loom_status, loom_last_error
 *   Logging                          loom_set_log_callback
 *   The host's allocator             loom_set_allocator
 *   Tensor types and codecs          loom_type_name, loom_quantize, loom_dequantize
 *   GGUF files                       loom_gguf_*: metadata and tensors of a file
 *   Quantizing model files           loom_model_quantize
 *   Models                           loom_model_load, loom_model_estimate, facts
 *   Tokenizer, detokenizer, chat     loom_tokenize, loom_detokenizer_*, loom_chat_*
 *   Contexts, decoding, KV cache     loom_context_new, loom_batch_*, loom_decode,
 *                                    loom_decode_begin/step, loom_kv_*, state
 *   Importance matrices              loom_imatrix_*
 *   Vulkan devices and host interop  loom_vulkan_*
 *   Sampling                         loom_sampler_* (grammar, JSON schema, logprobs)
 *   Speculative decoding             loom_speculative_*
 */
#ifndef LOOM_H
#define LOOM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* On Windows a program that links loom.dll (through its import library) sees
 * the API as dllimport; a program that links the static library defines
 * LOOM_STATIC before including this header (or with -DLOOM_STATIC).
 * LOOM_BUILDING is defined only while loom itself is compiled. */
#if defined(_WIN32) && !defined(LOOM_STATIC)
#if defined(LOOM_BUILDING)
#define LOOM_API __declspec(dllexport)
#else
#define LOOM_API __declspec(dllimport)
#endif
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
/* The host's allocator                                                       */
/* ========================================================================= */

/* A host (a game with its own memory tracker or arenas) may give loom its
 * allocation functions. Every large block loom keeps on the heap goes
 * through them: the model's heap copies (the whole file with use_mmap = 0
 * or loom_gguf_open_memory(copy = 1), repacked or converted weights, norms
 * and biases widened to f32), the CPU backend's tensors (KV cache,
 * activations, logits, mask) and scratch, the context's host copies of the
 * logits and embeddings, the KV cells' tags, the vocabulary's tables and
 * the sampler's candidate array: everything loom_memory_plan counts.
 * Not through them: small bookkeeping (C++ strings, maps and lists of the
 * parsers, the graph, the tokenizer's pieces and merges, grammars, error
 * messages; a few MiB at most for a 150k vocabulary), what the C++ runtime,
 * libc and the OS take (thread stacks, file mappings: mapped weights are
 * not heap), and everything inside a Vulkan driver. loom cannot reroute
 * operator new for its own code alone, so those stay on the C++ heap.
 *
 * The setting is process-wide (one allocator for every handle: a block is
 * always returned to the allocator that gave it). */

typedef struct loom_allocator {
    size_t struct_size;   /* the caller's sizeof(loom_allocator) */
    /* `size` bytes (> 0) aligned to `alignment` (a power of two, 16 to
     * 4096), or NULL when out of memory: the loom call that asked then fails
     * with LOOM_ERR_OUT_OF_MEMORY and its handles stay usable, as when
     * malloc fails. The contents may be anything (loom zeroes what it needs,
     * so with an allocator a KV cache is touched when its context is made
     * rather than as it fills). Called from the thread of the loom call
     * (never from loom's worker threads or the host's parallel_for tasks),
     * possibly from several threads at once for different handles: it must
     * be thread-safe. */
    void *(*alloc)(void *user_data, size_t size, size_t alignment);
    /* Returns a block of alloc, with the same size and alignment it was
     * asked for. Never called with NULL. Same threads as alloc. */
    void (*free)(void *user_data, void *ptr, size_t size, size_t alignment);
    void *user_data;
} loom_allocator;

/** Installs `allocator` (copied; NULL: back to the C heap, the default) for
 *  every later allocation. Call it before making any loom handle, or when
 *  every handle has been freed, and never while another thread is inside a
 *  loom call. Errors: INVALID_ARGUMENT (alloc or free NULL, struct_size
 *  smaller than the three fields, or blocks from the current allocator still
 *  allocated: a handle is alive; the count is in the message, and the
 *  current allocator stays). */
LOOM_API loom_status loom_set_allocator(const loom_allocator *allocator);

/* ========================================================================= */
/* Tensor types and the reference codecs                                      */
/* ========================================================================= */
/* SECTION quant: owned by lib/quant (exactness per type: lib/quant/quant.h). */

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

/** The type's name as llama.cpp spells it ("Q4_K", "IQ4_XS", "BF16"), or
 *  NULL for a number that is not a known type (4, 5 and anything past
 *  LOOM_TYPE_TQ2_0). Static storage, never freed. Thread-safe. */
LOOM_API const char *loom_type_name(int32_t type);

/** Values per block: 1 for F32/F16/BF16 and the integer types, 32 for the
 *  legacy types, IQ4_NL and Q4_0_4_4/Q4_0_4_8/Q4_0_8_8, 256 for the K, IQ and
 *  TQ types; 0 for an unknown type. Thread-safe. */
LOOM_API int64_t loom_type_block_size(int32_t type);

/** Bytes per block (e.g. 18 for Q4_0, 144 for Q4_K); 0 for an unknown type.
 *  Thread-safe. */
LOOM_API size_t loom_type_block_bytes(int32_t type);

/** Bytes of one row of `n` values of `type` into *out:
 *  n / block_size * block_bytes. `n` may be 0 (gives 0).
 *  Errors: INVALID_ARGUMENT (unknown type, negative n, n not a multiple of
 *  the block size, a size that overflows size_t, NULL out); *out is left
 *  untouched on failure. Thread-safe. */
LOOM_API loom_status loom_row_size(int32_t type, int64_t n, size_t *out);

/** Dequantizes `n_rows` rows of `row_len` values of `type` from `src` into
 *  `dst`. `src` holds `src_size` bytes, of which the first
 *  n_rows * loom_row_size(type, row_len) are read; `dst` receives
 *  n_rows * row_len floats. Both are borrowed for the call; `src` needs no
 *  alignment. Decodes every type but I8/I16/I32/I64/F64, bit for bit as
 *  llama.cpp does (NaN and Inf scales included). The row-interleaved legacy
 *  types Q4_0_4_4 and Q4_0_4_8 (groups of 4 rows) and Q4_0_8_8 (8 rows) need
 *  n_rows to be a multiple of their group. Nothing to do (n_rows or row_len
 *  0) succeeds with NULL pointers.
 *  Errors: INVALID_ARGUMENT (unknown type, NULL src or dst, negative n_rows,
 *  row_len not a multiple of the block size, n_rows not a multiple of the row
 *  group, src_size too small, sizes that overflow), UNSUPPORTED (the integer
 *  and F64 types). Thread-safe; reentrant. */
LOOM_API loom_status loom_dequantize(int32_t type, const void *src, size_t src_size, int64_t n_rows,
                                     int64_t row_len, float *dst);

/** Quantizes `n_rows` rows of `row_len` floats from `src` (borrowed) into
 *  `dst` (`dst_capacity` bytes, no alignment needed); *written receives the
 *  bytes needed, n_rows * loom_row_size(type, row_len), also when the buffer
 *  is too small. Encodes F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1,
 *  Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K, IQ4_NL, IQ4_XS, TQ1_0, TQ2_0, IQ1_M,
 *  IQ2_S, IQ3_XXS, IQ3_S, byte for byte as llama.cpp's quantizer without an
 *  importance matrix (ggml_quantize_chunk; Q8_1/Q8_K as
 *  quantize_row_q8_1/q8_K_ref) for finite input, except IQ3_S blocks with a
 *  32-value group of zeros (llama.cpp stores the later groups of such a block
 *  in the wrong slots; loom in the right ones). Inf/NaN input gives a defined
 *  but unspecified block (only that block: rows are quantized block by block).
 *  Errors: INVALID_ARGUMENT (unknown type, NULL src, dst or written, bad
 *  sizes as loom_dequantize), BUFFER_TOO_SMALL, UNSUPPORTED (IQ1_S, IQ2_XXS
 *  and IQ2_XS, which need an importance matrix: loom_model_quantize with
 *  imatrix_path encodes them; the Q4_0_x_x types; the integer types).
 *  Thread-safe; reentrant. */
LOOM_API loom_status loom_quantize(int32_t type, const float *src, int64_t n_rows, int64_t row_len,
                                   void *dst, size_t dst_capacity, size_t *written);

/* END SECTION quant */

/* ========================================================================= */
/* GGUF files                                                                 */
/* ========================================================================= */
/* SECTION gguf: owned by lib/gguf. */

/* Read-only access to a GGUF file: its metadata (key/value pairs) and its
 * tensor table. Opening validates the whole header, metadata and tensor table
 * (every count, length, type, shape, offset and size is checked against the
 * file's real size before anything is allocated), so a file that opens is
 * consistent; anything malformed fails with LOOM_ERR_FORMAT and a message
 * naming what is wrong and where (byte offset, key or tensor name).
 *
 * Accepted: GGUF versions 2 and 3, little-endian. Version 1 and big-endian
 * files are rejected (FORMAT, saying so). Also rejected: keys or tensor names
 * that are empty, not valid UTF-8 or contain NUL; duplicate keys or tensor
 * names; unknown value types; arrays of arrays; bool values other than 0/1;
 * general.alignment that is not a u32 power of two in 1..1048576; tensors
 * with n_dims outside 1..4, any extent < 1 (empty tensors), an unknown type,
 * ne[0] not a multiple of the type's block size, offsets that are unaligned,
 * past the end of the file or overlapping. Limits: 2^20 keys, 2^20 tensors,
 * keys of 65535 bytes, string values of 2^28 bytes, arrays of 2^24 elements,
 * tensor names of 1024 bytes. String values are returned as stored (not
 * checked for UTF-8).
 *
 * Thread safety: a loom_gguf is immutable once open; every getter may be
 * called from any number of threads at once. Pointers returned by getters
 * (strings, tensor data) live until loom_gguf_close (or, for the handle of
 * loom_model_gguf, until loom_model_free). */

typedef struct loom_gguf loom_gguf;

/** Metadata value types, numbered as in the GGUF format. */
typedef enum loom_gguf_type {
    LOOM_GGUF_TYPE_U8 = 0,
    LOOM_GGUF_TYPE_I8 = 1,
    LOOM_GGUF_TYPE_U16 = 2,
    LOOM_GGUF_TYPE_I16 = 3,
    LOOM_GGUF_TYPE_U32 = 4,
    LOOM_GGUF_TYPE_I32 = 5,
    LOOM_GGUF_TYPE_F32 = 6,
    LOOM_GGUF_TYPE_BOOL = 7,
    LOOM_GGUF_TYPE_STRING = 8,
    LOOM_GGUF_TYPE_ARRAY = 9,
    LOOM_GGUF_TYPE_U64 = 10,
    LOOM_GGUF_TYPE_I64 = 11,
    LOOM_GGUF_TYPE_F64 = 12,
} loom_gguf_type;

/** "u8", "i8", ..., "bool", "string", "array", "u64", "i64", "f64"; NULL for a
 *  number that is not a loom_gguf_type. Static storage. Thread-safe. */
LOOM_API const char *loom_gguf_type_name(int32_t type);

/** Bytes of one element of a numeric or bool `type` (1, 2, 4 or 8); 0 for
 *  STRING, ARRAY and unknown numbers. Thread-safe. */
LOOM_API size_t loom_gguf_type_size(int32_t type);

/** Read progress: `done` of `total` bytes. Return nonzero to cancel (the open
 *  then fails with LOOM_ERR_CANCELLED). Called on the opening thread: after
 *  each chunk (16 MiB) when the file is read into memory, once when mapped. */
typedef int (*loom_gguf_progress_fn)(void *user_data, uint64_t done, uint64_t total);

typedef struct loom_gguf_params {
    size_t struct_size;               /* the caller's sizeof(loom_gguf_params), set by loom_gguf_default_params */
    int32_t use_mmap;                 /* 1 (default): map the file read-only, falling back to reading it
                                         when mapping fails; 0: read it into memory */
    int32_t reserved0;                /* 0; ignored */
    loom_gguf_progress_fn progress;   /* optional (default NULL) */
    void *progress_user_data;
} loom_gguf_params;

/** Fills the first `size` bytes of *params (the caller's sizeof) with the
 *  defaults and sets struct_size = size; bytes past the fields this library
 *  knows are zeroed. Use the macro below. Errors: INVALID_ARGUMENT (NULL
 *  params, size < sizeof(size_t) or above 64 KiB). Thread-safe. */
LOOM_API loom_status loom_gguf_default_params_sized(loom_gguf_params *params, size_t size);
/** loom_gguf_default_params(&p): defaults for a loom_gguf_params p of this header's size. */
#define loom_gguf_default_params(params) loom_gguf_default_params_sized((params), sizeof *(params))

/** Opens and validates the GGUF file at `path` (UTF-8). `params` may be NULL
 *  for defaults. On success *out owns a new handle: close it with
 *  loom_gguf_close. Tensor data is not copied: with mmap it is read from the
 *  file on first touch (a file truncated by someone else while mapped may
 *  then fault, as with any mapping). Errors: INVALID_ARGUMENT (NULL path or
 *  out, bad params), IO (cannot open, stat, read; not a regular file),
 *  FORMAT (malformed file: the message names what and where), OUT_OF_MEMORY,
 *  CANCELLED (the progress callback asked to stop). Thread-safe. */
LOOM_API loom_status loom_gguf_open(const char *path, const loom_gguf_params *params, loom_gguf **out);

/** Opens and validates a GGUF image of `size` bytes at `data`. copy = 0: the
 *  bytes are borrowed and must stay valid and unchanged until loom_gguf_close
 *  (tensor data pointers point into them; they are aligned to the file's
 *  alignment relative to `data`, so pass a buffer aligned at least that
 *  much, e.g. 32 bytes, to get aligned tensors). copy = 1: the bytes are copied
 *  into a page-aligned buffer the handle owns. Errors: INVALID_ARGUMENT (NULL
 *  out, NULL data with size > 0), FORMAT, OUT_OF_MEMORY. Thread-safe. */
LOOM_API loom_status loom_gguf_open_memory(const void *data, size_t size, int32_t copy, loom_gguf **out);

/** Closes a handle from loom_gguf_open or loom_gguf_open_memory. NULL is
 *  ignored. Never pass the handle of loom_model_gguf (the model owns it). */
LOOM_API void loom_gguf_close(loom_gguf *gguf);

/** The file's GGUF version (2 or 3); 0 for NULL. Thread-safe. */
LOOM_API uint32_t loom_gguf_version(const loom_gguf *gguf);

/** The tensor data alignment (general.alignment, 32 when absent); 0 for NULL. */
LOOM_API size_t loom_gguf_alignment(const loom_gguf *gguf);

/** File offset of the tensor data section (tensor offsets count from it); 0 for NULL. */
LOOM_API uint64_t loom_gguf_data_offset(const loom_gguf *gguf);

/* ---- Metadata ------------------------------------------------------------ */

/** Number of metadata keys; 0 for NULL. Keys are indexed 0..count-1 in file order. */
LOOM_API int64_t loom_gguf_kv_count(const loom_gguf *gguf);

/** Describes one key (filled by loom_gguf_get_kv_info). */
typedef struct loom_gguf_kv_info {
    size_t struct_size;      /* set by the caller to sizeof(loom_gguf_kv_info) */
    const char *key;         /* NUL-terminated UTF-8, owned by the handle */
    int32_t type;            /* loom_gguf_type of the value */
    int32_t array_type;      /* element type when type == ARRAY, else -1 */
    uint64_t array_count;    /* elements when type == ARRAY, else 0 */
} loom_gguf_kv_info;

/** Fills *info for key number `index`. The caller sets info->struct_size
 *  first; only that many bytes are written (older callers get a prefix).
 *  Errors: INVALID_ARGUMENT (NULL gguf or info, struct_size too small, index
 *  outside 0..count-1). */
LOOM_API loom_status loom_gguf_get_kv_info(const loom_gguf *gguf, int64_t index, loom_gguf_kv_info *info);

/** The index of `key` into *index. Errors: INVALID_ARGUMENT (NULL argument),
 *  NOT_FOUND (no such key; *index untouched). */
LOOM_API loom_status loom_gguf_find_key(const loom_gguf *gguf, const char *key, int64_t *index);

/* Typed getters by key. Each requires the stored type to be exactly the one
 * named (u8 getter: LOOM_GGUF_TYPE_U8, ...), except loom_gguf_get_int which
 * takes any integer type. Errors, for all: INVALID_ARGUMENT (NULL gguf, key
 * or out), NOT_FOUND (no such key), TYPE_MISMATCH (the value has another
 * type; the message names both). *out is untouched on error. */
LOOM_API loom_status loom_gguf_get_u8(const loom_gguf *gguf, const char *key, uint8_t *out);
LOOM_API loom_status loom_gguf_get_i8(const loom_gguf *gguf, const char *key, int8_t *out);
LOOM_API loom_status loom_gguf_get_u16(const loom_gguf *gguf, const char *key, uint16_t *out);
LOOM_API loom_status loom_gguf_get_i16(const loom_gguf *gguf, const char *key, int16_t *out);
LOOM_API loom_status loom_gguf_get_u32(const loom_gguf *gguf, const char *key, uint32_t *out);
LOOM_API loom_status loom_gguf_get_i32(const loom_gguf *gguf, const char *key, int32_t *out);
LOOM_API loom_status loom_gguf_get_u64(const loom_gguf *gguf, const char *key, uint64_t *out);
LOOM_API loom_status loom_gguf_get_i64(const loom_gguf *gguf, const char *key, int64_t *out);
LOOM_API loom_status loom_gguf_get_f32(const loom_gguf *gguf, const char *key, float *out);
LOOM_API loom_status loom_gguf_get_f64(const loom_gguf *gguf, const char *key, double *out);
/** Bool: *out is 0 or 1. */
LOOM_API loom_status loom_gguf_get_bool(const loom_gguf *gguf, const char *key, int32_t *out);
/** Any integer type (u8..i64) whose value fits in int64 (a u64 above
 *  INT64_MAX is TYPE_MISMATCH). Writers differ in the integer type they use
 *  for the same key; this getter absorbs that. */
LOOM_API loom_status loom_gguf_get_int(const loom_gguf *gguf, const char *key, int64_t *out);

/** A string value: *str receives a NUL-terminated pointer owned by the handle;
 *  *len (may be NULL) its length in bytes (the value may itself contain NUL
 *  bytes: use *len). Bytes as stored, not checked for UTF-8. */
LOOM_API loom_status loom_gguf_get_string(const loom_gguf *gguf, const char *key, const char **str, size_t *len);

/* Arrays. Errors, for all: INVALID_ARGUMENT (NULL argument, range outside the
 * array), NOT_FOUND (no such key), TYPE_MISMATCH (not an array, or another
 * element type than the one asked for). */

/** Element type (loom_gguf_type; never ARRAY) and element count of an array
 *  value. Either out pointer may be NULL. */
LOOM_API loom_status loom_gguf_get_array_info(const loom_gguf *gguf, const char *key, int32_t *elem_type,
                                              uint64_t *count);

/** Element `i` of an array of strings, like loom_gguf_get_string (len may be NULL). */
LOOM_API loom_status loom_gguf_get_array_string(const loom_gguf *gguf, const char *key, uint64_t i, const char **str,
                                                size_t *len);

/** Copies elements [start, start + count) of a numeric or bool array into
 *  `buf` (`capacity` bytes) as native values of `elem_type` (bools as one byte
 *  0/1), which must equal the stored element type. *size receives the bytes
 *  needed, count * loom_gguf_type_size(elem_type); if capacity is smaller the
 *  call fails with BUFFER_TOO_SMALL, writes nothing to buf and still sets
 *  *size. count = 0 is allowed (with start <= the array's count). */
LOOM_API loom_status loom_gguf_get_array_data(const loom_gguf *gguf, const char *key, int32_t elem_type,
                                              uint64_t start, uint64_t count, void *buf, size_t capacity,
                                              size_t *size);

/* ---- Tensors ------------------------------------------------------------- */

/** Number of tensors; 0 for NULL (and for vocabulary-only files). Indexed
 *  0..count-1 in file order. */
LOOM_API int64_t loom_gguf_tensor_count(const loom_gguf *gguf);

/** Describes one tensor (filled by loom_gguf_get_tensor_info). */
typedef struct loom_gguf_tensor_info {
    size_t struct_size;      /* set by the caller to sizeof(loom_gguf_tensor_info) */
    const char *name;        /* NUL-terminated UTF-8, owned by the handle */
    int32_t type;            /* loom_type (a number loom_type_name knows) */
    int32_t n_dims;          /* 1..4 */
    int64_t ne[4];           /* extents, ne[0] contiguous (row length); unused dims are 1 */
    uint64_t offset;         /* from the start of the data section (loom_gguf_data_offset) */
    uint64_t nbytes;         /* bytes of data: ne[1]*ne[2]*ne[3] rows of loom_row_size(type, ne[0]) */
    const void *data;        /* the bytes, zero-copy: inside the mapping or buffer; read-only */
} loom_gguf_tensor_info;

/** Fills *info for tensor number `index`; the caller sets info->struct_size
 *  first (only that many bytes are written). Errors: INVALID_ARGUMENT (NULL
 *  gguf or info, struct_size too small, index outside 0..count-1). */
LOOM_API loom_status loom_gguf_get_tensor_info(const loom_gguf *gguf, int64_t index, loom_gguf_tensor_info *info);

/** The index of the tensor named `name` into *index. Errors: INVALID_ARGUMENT
 *  (NULL argument), NOT_FOUND. */
LOOM_API loom_status loom_gguf_find_tensor(const loom_gguf *gguf, const char *name, int64_t *index);

/* END SECTION gguf */

/* ========================================================================= */
/* Quantizing model files                                                     */
/* ========================================================================= */
/* SECTION quantize: owned by lib/quantize (rules: lib/quantize/quant_mix.h). */

/* A GGUF model file to a quantized one, as llama.cpp's llama-quantize makes
 * it: the same tensor types per file type ("Q4_K_M": Q6_K output, Q6_K in
 * some layers' attn_v and ffn_down, Q4_K elsewhere), the same fallbacks for
 * rows that do not fill a type's blocks (Q4_K -> Q5_0, Q6_K -> Q8_0, ...),
 * the same metadata (general.file_type and general.quantization_version set,
 * split keys removed) and tensor order, and the same bytes (tests/quantize
 * compares both tools' files byte for byte). File types are llama.cpp's
 * llama_ftype numbers, as stored in general.file_type. */

/** The name of file type `file_type` as llama-quantize spells it (2 "Q4_0",
 *  15 "Q4_K_M", 32 "BF16", ...), or NULL for a number loom does not know
 *  (the removed 4-6 and 33-35, MXFP4 and later ones). Static storage.
 *  Thread-safe. */
LOOM_API const char *loom_file_type_name(int32_t file_type);

/** The file type named `name` into *out: case-insensitive, a name of
 *  loom_file_type_name or llama-quantize's aliases Q3_K, Q4_K, Q5_K (the _M
 *  mixes). Errors: INVALID_ARGUMENT (NULL argument), NOT_FOUND (no such
 *  name; *out untouched). Thread-safe. */
LOOM_API loom_status loom_file_type_from_name(const char *name, int32_t *out);

/** Quantization progress: called on the calling thread before tensor `index`
 *  (0-based) of `count`, with its name (valid during the call) and its input
 *  and output loom_type (equal when it is copied). Return nonzero to cancel
 *  (loom_model_quantize then fails with LOOM_ERR_CANCELLED and leaves no
 *  output file). */
typedef int (*loom_quantize_progress_fn)(void *user_data, int64_t index, int64_t count, const char *tensor_name,
                                         int32_t from_type, int32_t to_type);

typedef struct loom_model_quantize_params {
    size_t struct_size;               /* the caller's sizeof, set by loom_model_quantize_default_params */
    int32_t file_type;                /* the mix (llama_ftype number); default 7, Q8_0 */
    int32_t token_embedding_type;     /* a loom_type for token_embd.weight, or -1 (default): the mix's choice */
    int32_t output_tensor_type;       /* a loom_type for output.weight (and a tied token_embd.weight), or -1
                                         (default). Q8_0 for both gives bartowski's "_L" files. */
    int32_t pure;                     /* 1: every quantizable weight gets the file type's type (no per-layer
                                         mix; rows that do not fill its blocks still fall back); default 0 */
    int32_t allow_requantize;         /* 1: tensors already quantized may be requantized (they are decoded
                                         first, losing quality); default 0: that is an error */
    int32_t n_threads;                /* threads quantizing each tensor; 0 (default): the machine's cores,
                                         at most 64; at most 256. The bytes written do not depend on it. */
    loom_quantize_progress_fn progress; /* optional (default NULL) */
    void *progress_user_data;
    const char *imatrix_path;         /* an importance matrix (UTF-8 path, borrowed for the call), or NULL
                                         (default): the GGUF imatrix of llama-imatrix / loom_imatrix_save or
                                         its legacy .dat. Weights each blk weight's quantization error as
                                         llama-quantize --imatrix does (same bytes), changes the mixes as it
                                         does, and records quantize.imatrix.file/dataset/entries_count/
                                         chunks_count. Encoders that use it: Q4_0, Q4_1, Q5_0, Q5_1, Q2_K..Q6_K,
                                         IQ4_NL, IQ4_XS, IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS,
                                         IQ3_S (F16, BF16, Q8_0, TQ1_0, TQ2_0 ignore it, as in llama.cpp). */
} loom_model_quantize_params;

/** Defaults into the first `size` bytes of *params, as
 *  loom_gguf_default_params_sized. Use the macro below. */
LOOM_API loom_status loom_model_quantize_default_params_sized(loom_model_quantize_params *params, size_t size);
/** loom_model_quantize_default_params(&p): defaults for a p of this header's size. */
#define loom_model_quantize_default_params(params) \
    loom_model_quantize_default_params_sized((params), sizeof *(params))

/** Quantizes the GGUF model at `input_path` into a new GGUF file at
 *  `output_path` (UTF-8 paths; `params` NULL for defaults). The input's
 *  tensors must be F32, F16 or BF16 (or already quantized with
 *  allow_requantize); 1-D tensors, norms and the other tensors llama-quantize
 *  keeps are copied unchanged. The file is written to output_path + ".tmp"
 *  and renamed over output_path only when complete: on any error or cancel
 *  the temporary is removed and output_path is untouched. Reads the input
 *  through mmap; memory use is the input's parsed metadata plus at most 32 MiB of
 *  conversion buffers (tensors go through in slabs of rows).
 *  Errors: INVALID_ARGUMENT (NULL path, unknown file type or tensor type,
 *  n_threads out of range, params as in loom.h's conventions), IO (cannot
 *  read the input, create or write the temporary, or rename it), FORMAT (not
 *  a GGUF model: bad file, no general.architecture or block_count),
 *  UNSUPPORTED (a type loom cannot encode: IQ1/IQ2/IQ3 mixes and Q2_K_S
 *  need an importance matrix; a type with no weighted encoder yet when
 *  imatrix_path is set; an already quantized input without
 *  allow_requantize), FORMAT (also: an unreadable importance matrix, or one
 *  whose entry does not fit its tensor), CANCELLED, BACKEND (a thread the OS refuses),
 *  OUT_OF_MEMORY. Thread-safe: concurrent calls must use different output paths. */
LOOM_API loom_status loom_model_quantize(const char *input_path, const char *output_path,
                                         const loom_model_quantize_params *params);

/* END SECTION quantize */

/* ========================================================================= */
/* Models                                                                     */
/* ========================================================================= */
/* SECTION model: owned by lib/model. */

typedef struct loom_model loom_model;

/** Which compute backend runs a model. */
typedef enum loom_backend_kind {
    LOOM_BACKEND_AUTO = 0,   /* Vulkan if a usable device exists, else CPU */
    LOOM_BACKEND_CPU = 1,
    LOOM_BACKEND_VULKAN = 2,
} loom_backend_kind;

/** Load progress: `fraction` in [0, 1]. Return nonzero to cancel the load
 *  (loom_model_load then fails with LOOM_ERR_CANCELLED). Called on the loading thread. */
typedef int (*loom_progress_fn)(void *user_data, float fraction);

typedef struct loom_model_params {
    size_t struct_size;          /* the caller's sizeof(loom_model_params), set by loom_model_default_params */
    int32_t use_mmap;            /* 1 (default): map the file; 0: read it into memory */
    int32_t backend;             /* loom_backend_kind; default LOOM_BACKEND_AUTO */
    int32_t device_index;        /* backend device, -1 (default): the backend's choice */
    int32_t vocab_only;          /* 1: load only metadata and tokenizer (no weights) */
    loom_progress_fn progress;   /* optional */
    void *progress_user_data;
    loom_log_fn log;             /* optional per-model log sink (else the global one) */
    void *log_user_data;
    /* Vulkan device options (SECTION vulkan), NULL for defaults; borrowed for
       the duration of loom_model_load only. Ignored by the CPU backend. */
    const struct loom_vulkan_params *vulkan;
    /* Most bytes the model may take (loom_memory_plan.total of its
       loom_model_estimate); 0 (default): no limit. A load that would need
       more fails with LOOM_ERR_OUT_OF_MEMORY naming the numbers, before any
       weight is allocated. */
    uint64_t memory_budget;
    /* Partial offload (llama.cpp's n_gpu_layers / -ngl), where the backend
       chosen is a Vulkan device: how many layers run on it, counted from the
       last repeating layer back, with the output head (output norm and
       matrix) as layer n_layer + 1. -1 (default) or more than n_layer: the
       whole model on the device (the token embeddings too). 0: the CPU
       backend (nothing on the device). 1 .. n_layer: the last n_gpu_layers
       layers on the device, the other layers, the token embeddings and the
       output head on the CPU; loom_model_backend_name says "vulkan+cpu".
       Each layer's weights and KV cache live only where it runs (the memory
       plans count them there); the activations cross between the two once
       per boundary per decode (n_tokens rows of n_embd floats into the
       device, the rows that want outputs back; docs/performance.md). A
       stepped decode (loom_decode_step) steps through both sides. Ignored
       by the CPU backend, and where AUTO finds no GPU. Below -1:
       LOOM_ERR_INVALID_ARGUMENT. */
    int32_t n_gpu_layers;
    int32_t reserved1;           /* 0; ignored */
    /* CPU weights (llama.cpp's --no-repack): 0 (default): where the copies
       fit in memory (loom_model_estimate counts them), the CPU backend
       copies the weights it streams every decode out of the file mapping
       into its own memory, in its kernels' load-time layouts (Q4_0, IQ4_NL,
       IQ4_XS, Q5_0, Q5_1 on x86) and on Linux in transparent huge pages,
       and releases the file's pages: decode runs faster, and each process
       holds its own copy (RSS about the file's size). With use_mmap = 0 or
       loom_model_load_from_memory only the repacked types are copied.
       1: every weight is read in place from the mapping (or buffer): pages
       shared with other processes mapping the file and evictable under
       memory pressure, slower to decode. The Vulkan device's weights are
       unaffected. */
    int32_t weights_in_place;
    int32_t reserved2;           /* 0; ignored */
    /* Threads that make the CPU weight copies at load, the loading thread
       included (started for the load and stopped before it returns); 0 or
       less (default): the number of cores, at most 8; 1: the loading thread
       alone. Most of a copy's time is the OS zeroing fresh pages on the
       thread that first writes them, so a 7B load takes several times longer
       on one thread (docs/large-models.md). Where the OS refuses a thread,
       the load goes on on the loading thread alone. Above 256:
       LOOM_ERR_INVALID_ARGUMENT. */
    int32_t n_threads;
    int32_t reserved3;           /* 0; ignored */
} loom_model_params;

/** Fills the first `size` bytes of *params (the caller's sizeof) with the
 *  defaults and sets struct_size = size, like loom_gguf_default_params_sized.
 *  Errors: INVALID_ARGUMENT (NULL params, size < sizeof(size_t) or above 64 KiB). Thread-safe. */
LOOM_API loom_status loom_model_default_params_sized(loom_model_params *params, size_t size);
/** loom_model_default_params(&p): defaults for a loom_model_params p of this header's size. */
#define loom_model_default_params(params) loom_model_default_params_sized((params), sizeof *(params))

/** Loads a GGUF model from a file path (UTF-8). `params` may be NULL for
 *  defaults. On success *out owns a new model: free it with loom_model_free.
 *  Before any weight is allocated, the model's memory plan (see
 *  loom_model_estimate) is compared with params.memory_budget and its heap
 *  copies with what the machine can give (physical memory, the process's
 *  cgroup limits, RLIMIT_AS). On the CPU, weights of the types repacked at
 *  load (Q4_0, Q5_0, Q5_1, IQ4_NL, IQ4_XS on x86) and the other weights
 *  copied out of a file mapping (params.weights_in_place) are instead read
 *  in place when their copies would not fit and the mapping would
 *  (an INFO log line says so): a mapped file larger than memory loads, and
 *  its pages are read from the file as the decodes need them.
 *  Errors: INVALID_ARGUMENT, IO (cannot open/map/read), FORMAT (malformed GGUF,
 *  missing or misshapen tensors), UNSUPPORTED (architecture or tensor type),
 *  OUT_OF_MEMORY (also: over the budget or the machine, numbers named),
 *  CANCELLED, BACKEND. Thread-safe (distinct models). */
LOOM_API loom_status loom_model_load(const char *path, const loom_model_params *params, loom_model **out);

/** Loads a GGUF model from memory (a game's packed asset). The `size` bytes at
 *  `data` are borrowed, not copied: they must stay valid and unchanged until
 *  loom_model_free. Same errors as loom_model_load. */
LOOM_API loom_status loom_model_load_from_memory(const void *data, size_t size, const loom_model_params *params,
                                                 loom_model **out);

/** Frees a model. NULL is ignored. All contexts made from it must be freed first. */
LOOM_API void loom_model_free(loom_model *model);

/** Vocabulary size (number of logits per position); 0 for NULL. Thread-safe. */
LOOM_API int32_t loom_model_n_vocab(const loom_model *model);
/** Hidden size (embedding length); 0 for NULL or vocab-only models. Thread-safe. */
LOOM_API int32_t loom_model_n_embd(const loom_model *model);
/** Number of layers; 0 for NULL or vocab-only models. Thread-safe. */
LOOM_API int32_t loom_model_n_layer(const loom_model *model);
/** Training context length from metadata; 0 if unknown. Thread-safe. */
LOOM_API int32_t loom_model_n_ctx_train(const loom_model *model);
/** The GGUF file behind the model (borrowed; lives as long as the model), for
 *  metadata access with the loom_gguf_* functions. NULL for NULL. */
LOOM_API const struct loom_gguf *loom_model_gguf(const loom_model *model);
/** Name of the backend the model runs on ("cpu", "vulkan", "vulkan+cpu" for a
 *  partial offload, see loom_model_params.n_gpu_layers); "none" for NULL
 *  or a vocab-only model. Static storage. Thread-safe. */
LOOM_API const char *loom_model_backend_name(const loom_model *model);

/* Memory plans: what a model load or a context will take, per kind, computed
 * from the file's tensor table and the params without allocating any of it.
 * Every field is in bytes. The numbers follow loom's own allocations exactly
 * (heap blocks as requested, device ranges as the Vulkan allocator hands
 * them out); not counted: the GGUF metadata and tokenizer tables (a few MiB
 * for a 150k vocabulary), thread stacks, the graph's small bookkeeping,
 * short-lived copies during a call (Vulkan staging and zero-fill buffers),
 * the Vulkan driver's own memory and the rounding of device memory into
 * 64 MiB blocks. Mixture-of-experts models' expert scratch is approximate.
 * The estimate is checked against measured peaks (tests/model/test_memory_plan.cpp:
 * within 5% on CPU and lavapipe). With a partial offload
 * (loom_model_params.n_gpu_layers) each layer's weights and KV cache count
 * where the layer runs (device or host), the activations on both sides, and
 * `backend` is LOOM_BACKEND_VULKAN. */
typedef struct loom_memory_plan {
    size_t struct_size;          /* the caller's sizeof(loom_memory_plan), set by the caller */
    int32_t backend;             /* loom_backend_kind the plan is for (CPU or VULKAN; never AUTO) */
    int32_t reserved0;           /* written as 0 */
    /* loom_model_estimate: */
    uint64_t weights_mapped;     /* file bytes read in place at run time (mapped, or the caller's
                                    buffer of loom_model_load_from_memory): resident as they are read */
    uint64_t weights_host;       /* heap copies made at load: repacked or converted weights, norms
                                    and biases widened to f32, the whole file when use_mmap = 0 */
    uint64_t weights_device;     /* device memory of the weights (Vulkan) */
    /* loom_context_estimate (worst case: a full batch of n_batch entries over
       all n_ctx cells, every entry asking for logits): */
    uint64_t kv_cache;           /* K/V rows of every layer and the cells' tags */
    uint64_t activations;        /* the graph's inputs and n_batch rows of every activation */
    uint64_t scratch;            /* the backend's working memory (CPU: per-thread and shared scratch) */
    uint64_t logits;             /* n_batch logits rows (backend tensor and the host copy; embeddings too) */
    uint64_t mask;               /* the attention mask at its largest, n_batch x n_ctx floats */
    /* Sums: */
    uint64_t host;               /* heap bytes of all of the above */
    uint64_t device;             /* device bytes of all of the above */
    uint64_t total;              /* host + device + weights_mapped: what memory_budget bounds */
} loom_memory_plan;

/** The memory plan of loading the model at `path` with `params` (NULL:
 *  defaults) into *plan: the weights_* fields and the sums; the context
 *  fields are 0. Only the file's header and metadata are read: nothing of
 *  the weights is allocated or read. The backend is chosen as
 *  loom_model_load would (AUTO probes the Vulkan devices), and so is the
 *  CPU's choice to read repacked types in place. The caller sets
 *  plan->struct_size to its sizeof(loom_memory_plan); only that many bytes
 *  are written (whole fields), and bytes past the fields this library knows
 *  are zeroed. Errors: INVALID_ARGUMENT (NULL path or plan, bad struct_size,
 *  bad params), IO, FORMAT, UNSUPPORTED (as loom_model_load would fail on
 *  the file or backend), OUT_OF_MEMORY. A vocab-only load plans 0 bytes.
 *  Thread-safe. */
LOOM_API loom_status loom_model_estimate(const char *path, const loom_model_params *params, loom_memory_plan *plan);

/** loom_model_estimate for a model in memory (see
 *  loom_model_load_from_memory; the bytes are only read during the call). */
LOOM_API loom_status loom_model_estimate_from_memory(const void *data, size_t size, const loom_model_params *params,
                                                     loom_memory_plan *plan);
/* END SECTION model */

/* ========================================================================= */
/* Tokenizer, detokenizer, chat templates, fill-in-the-middle                 */
/* ========================================================================= */
/* SECTION tokenizer: owned by lib/tokenizer and lib/chat. */
/* Tokenizer. loom_model_load builds it from the GGUF metadata alone
 * (tokenizer.ggml.model "gpt2" byte-level BPE, tokenizer.ggml.pre "qwen2",
 * .tokens, .token_type, .merges, the special ids); a file with another
 * tokenizer model or pre-tokenizer fails to load with LOOM_ERR_UNSUPPORTED.
 * loom_model_params.vocab_only loads just this part.
 *
 * How text becomes tokens (equal to the model's own Hugging Face tokenizer):
 *  1. With LOOM_TOKENIZE_PARSE_SPECIAL, the texts of control and
 *     user-defined tokens (<|im_start|>, <|endoftext|>, <|fim_prefix|>, ...)
 *     found in the input become those tokens, the longest match first.
 *     Without it the whole input is plain text ("<|im_end|>" becomes the
 *     ordinary tokens of "<", "|", "im", ...).
 *  2. Each piece of plain text is read as UTF-8. Ill-formed bytes are never an
 *     error: each maximal ill-formed subpart (the Unicode Standard's U+FFFD
 *     substitution rule, also used by web browsers) is read as U+FFFD and
 *     tokenized as its bytes EF BF BD. This includes UTF-8-encoded surrogates
 *     (ED A0 80 reads as three U+FFFD), overlong forms, truncated sequences
 *     and bytes F5..FF. Control characters and NUL are ordinary characters.
 *  3. Unless LOOM_TOKENIZE_NO_NFC is set, each piece is NFC-normalized
 *     (Unicode 15.0 data), as Qwen's tokenizer.json specifies; pieces are
 *     normalized separately, never across a special token.
 *  4. The Qwen2 pre-tokenizer splits the text into words, and each word's
 *     UTF-8 bytes are merged by BPE rank.
 * So detokenizing the result gives back NFC(text) (text itself with
 * LOOM_TOKENIZE_NO_NFC) for well-formed UTF-8. Empty text gives no tokens.
 * No beginning-of-sequence token is added (Qwen models use none). */

/** Token types, numbered as in tokenizer.ggml.token_type. */
typedef enum loom_token_type {
    LOOM_TOKEN_TYPE_UNDEFINED = 0,    /* also returned for an invalid id */
    LOOM_TOKEN_TYPE_NORMAL = 1,
    LOOM_TOKEN_TYPE_UNKNOWN = 2,
    LOOM_TOKEN_TYPE_CONTROL = 3,      /* <|endoftext|>, <|im_start|>, <|im_end|>, ... */
    LOOM_TOKEN_TYPE_USER_DEFINED = 4, /* <tool_call>, <|fim_prefix|>, ... */
    LOOM_TOKEN_TYPE_UNUSED = 5,
    LOOM_TOKEN_TYPE_BYTE = 6,
} loom_token_type;

/** loom_tokenize flags (bitwise or). */
#define LOOM_TOKENIZE_PARSE_SPECIAL 1 /* match special-token texts in the input */
#define LOOM_TOKENIZE_NO_NFC 2        /* skip NFC normalization (llama.cpp's behaviour) */

/** Tokenizes `len` bytes of `text` (any bytes; NULL only when len is 0) into
 *  `tokens` (`capacity` entries); *n_tokens gets the number of tokens. Call
 *  with capacity 0 to size the buffer (the text is tokenized in full either
 *  way). Time is linear in len (n log n in the length of a single long
 *  word); huge inputs are fine. Memory: the text is processed in blocks, so
 *  during the call the library holds at most about 8 MiB of work space plus
 *  12 bytes per output token, whatever len is; only a single pre-tokenizer
 *  word longer than a block (16384 characters: a run of letters, of
 *  punctuation or of whitespace) or an equally long run of combining marks
 *  is held whole, adding up to 32 bytes per byte of that run.
 *  Errors: INVALID_ARGUMENT (NULL model or n_tokens, NULL text with len > 0,
 *  NULL tokens with capacity > 0, unknown flag bits), NOT_FOUND (the model has
 *  no tokenizer), BUFFER_TOO_SMALL (*n_tokens written, tokens untouched),
 *  OUT_OF_MEMORY. Thread-safe: many threads may tokenize with one model. */
LOOM_API loom_status loom_tokenize(const loom_model *model, const char *text, size_t len, int32_t flags,
                                   int32_t *tokens, size_t capacity, size_t *n_tokens);

/** The bytes `token` stands for in text (no terminating NUL) into `buf`
 *  (`capacity` bytes); *size gets their count. For a normal token these are
 *  raw bytes and may be part of a UTF-8 character (use a loom_detokenizer
 *  to print a stream); a special token gives its text ("<|im_end|>").
 *  Errors: INVALID_ARGUMENT (NULL model/size, NULL buf with capacity > 0,
 *  token outside the vocabulary), NOT_FOUND (no tokenizer), BUFFER_TOO_SMALL
 *  (*size written). Thread-safe. */
LOOM_API loom_status loom_token_to_piece(const loom_model *model, int32_t token, char *buf, size_t capacity,
                                         size_t *size);

/** The token whose text (as loom_token_to_piece gives it) is exactly the
 *  NUL-terminated `text` into *token; special tokens win over a normal token
 *  with the same text. E.g. "<|im_start|>", " hello". Errors:
 *  INVALID_ARGUMENT (NULL arguments), NOT_FOUND (no such token, or no
 *  tokenizer; the message says which). Thread-safe. */
LOOM_API loom_status loom_token_find(const loom_model *model, const char *text, int32_t *token);

/** The loom_token_type of `token`; LOOM_TOKEN_TYPE_UNDEFINED for a NULL
 *  model, a model without tokenizer or an invalid id. Thread-safe. */
LOOM_API int32_t loom_token_type_of(const loom_model *model, int32_t token);

/** 1 if `token` is a special token (CONTROL or USER_DEFINED type), else 0
 *  (also for NULL model or an invalid id). Thread-safe. */
LOOM_API int32_t loom_token_is_special(const loom_model *model, int32_t token);

/** The metadata's special ids (tokenizer.ggml.bos_token_id, eos_token_id,
 *  padding_token_id), or -1 when absent, for a NULL model or one without
 *  tokenizer. Thread-safe. */
LOOM_API int32_t loom_token_bos(const loom_model *model);
LOOM_API int32_t loom_token_eos(const loom_model *model);
LOOM_API int32_t loom_token_pad(const loom_model *model);

/* Streaming detokenizer: turns generated ids into printable text as they
 * come. Each push returns only complete UTF-8 characters: a token that ends
 * inside a character is held back until the next token completes it. Bytes
 * that cannot become well-formed UTF-8 are passed through unchanged at once,
 * never dropped or replaced. Everything pushed, plus the final flush, is
 * byte for byte the concatenation of the tokens' pieces (special tokens
 * skipped unless LOOM_DETOKENIZE_RENDER_SPECIAL). One thread at a time. */
typedef struct loom_detokenizer loom_detokenizer;

/** loom_detokenizer_new flags. */
#define LOOM_DETOKENIZE_RENDER_SPECIAL 1 /* emit special tokens' text ("<|im_end|>"); default: emit nothing for them */

/** A new detokenizer over `model`'s vocabulary; the model must outlive it.
 *  Free with loom_detokenizer_free. Errors: INVALID_ARGUMENT (NULL model or
 *  out, unknown flag bits), NOT_FOUND (no tokenizer), OUT_OF_MEMORY. */
LOOM_API loom_status loom_detokenizer_new(const loom_model *model, int32_t flags, loom_detokenizer **out);

/** Frees a detokenizer. NULL is ignored. */
LOOM_API void loom_detokenizer_free(loom_detokenizer *detok);

/** Adds `token`; the text now complete (no terminating NUL, possibly empty)
 *  goes to `buf` (`capacity` bytes) and *size gets its length: at most the
 *  token's piece (loom_token_to_piece's size; 128 bytes at most in Qwen's
 *  vocabularies) plus 3 held-back bytes. On BUFFER_TOO_SMALL the
 *  detokenizer is unchanged (retry with a larger buffer). Errors:
 *  INVALID_ARGUMENT (NULL detok/size, NULL buf with capacity > 0, token
 *  outside the vocabulary: state unchanged), BUFFER_TOO_SMALL (*size written). */
LOOM_API loom_status loom_detokenizer_push(loom_detokenizer *detok, int32_t token, char *buf, size_t capacity,
                                           size_t *size);

/** End of stream: writes the held-back bytes (0 to 3 bytes of an unfinished
 *  character, as they are) like loom_detokenizer_push and resets the
 *  detokenizer for a new stream. On BUFFER_TOO_SMALL nothing is reset.
 *  Errors: INVALID_ARGUMENT, BUFFER_TOO_SMALL (*size written). */
LOOM_API loom_status loom_detokenizer_flush(loom_detokenizer *detok, char *buf, size_t capacity, size_t *size);

/* chat */
/* Chat templates. loom renders ChatML (Qwen2 / Qwen2.5 style) built in, byte
 * for byte as the model's Jinja template would: with no system message, the
 * default system prompt is the one written in the GGUF's own
 * tokenizer.chat_template (Qwen2: "You are a helpful assistant.", Qwen2.5:
 * "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.").
 * A Qwen2.5 template (one that mentions <tool_response>) also puts the system
 * turn first and groups consecutive "tool" messages into one user turn of
 * <tool_response> blocks. loom_chat_apply_tools adds the Jinja template's
 * tool list and the assistant messages' tool calls (Qwen2.5 templates only). */

/** What kind of chat template a model carries. */
typedef enum loom_chat_kind {
    LOOM_CHAT_KIND_NONE = 0,   /* no tokenizer.chat_template in the GGUF */
    LOOM_CHAT_KIND_CHATML = 1, /* a ChatML template (has <|im_start|> and <|im_end|>): rendered built in */
    LOOM_CHAT_KIND_OTHER = 2,  /* another template language: loom_chat_apply refuses it unless forced */
} loom_chat_kind;

/** loom_chat_apply flags (bitwise or). */
#define LOOM_CHAT_ADD_GENERATION_PROMPT 1 /* end with "<|im_start|>assistant\n" */
#define LOOM_CHAT_FORCE_CHATML 2          /* render ChatML even for a NONE or OTHER template */

/** The kind (loom_chat_kind) of the model's chat template into *kind.
 *  Errors: INVALID_ARGUMENT (NULL model or kind). Thread-safe. */
LOOM_API loom_status loom_chat_template_kind(const loom_model *model, int32_t *kind);

/** Renders `n_messages` messages into the prompt text. roles[i] is "system",
 *  "user", "assistant" or "tool"; contents[i] is the message's UTF-8 text
 *  (inserted verbatim: special-token text in it is not escaped). Both arrays
 *  have n_messages non-NULL entries (may be NULL when n_messages is 0).
 *  The text (no terminating NUL) goes to `buf` (`capacity` bytes); *size gets
 *  its length in bytes. Errors: INVALID_ARGUMENT (NULL model/size/entries,
 *  unknown role or flag), UNSUPPORTED (the model's template is NONE or OTHER
 *  and LOOM_CHAT_FORCE_CHATML is not set; the message says which),
 *  BUFFER_TOO_SMALL (*size written). Thread-safe. */
LOOM_API loom_status loom_chat_apply(const loom_model *model, const char *const *roles, const char *const *contents,
                                     size_t n_messages, int32_t flags, char *buf, size_t capacity, size_t *size);

/** loom_chat_apply with tools, as Qwen2.5's template renders them (byte for
 *  byte as Jinja2 with Hugging Face's tojson: ", " and ": " separators, keys
 *  in the given order, non-ASCII as it is, floats as Python writes them).
 *  `tools`: NULL, or the JSON text of the tool list, an array (OpenAI's
 *  [{"type": "function", "function": {"name", "description", "parameters"}}];
 *  each item is rendered as given, one line per tool in the system turn's
 *  "# Tools" block; [] means no tools). `tool_calls`: NULL, or n_messages
 *  entries, each NULL or the JSON text of that message's tool calls: an array
 *  of OpenAI's {"id", "type", "function": {"name", "arguments"}} or of
 *  {"name", "arguments"}; arguments may be any JSON value or, as OpenAI sends
 *  it, a string holding JSON text (rendered as that JSON; a string that is
 *  not JSON is rendered as a JSON string). An assistant message with calls
 *  renders each as <tool_call>\n{"name": NAME, "arguments": ARGS}\n</tool_call>
 *  after its content (none when the content is ""); calls on other roles are
 *  ignored, as the template ignores them. "tool" messages are the tool
 *  results (their content), grouped into <tool_response> user turns.
 *  Each JSON text is at most 1 MiB. Errors: those of loom_chat_apply, and
 *  INVALID_ARGUMENT (malformed JSON, tools not an array, a call without a
 *  string name or without arguments; the message names which), UNSUPPORTED
 *  (tools or tool calls with a chat template that has no tool support, as
 *  Qwen2's). Thread-safe. */
LOOM_API loom_status loom_chat_apply_tools(const loom_model *model, const char *const *roles,
                                           const char *const *contents, const char *const *tool_calls,
                                           size_t n_messages, const char *tools, int32_t flags, char *buf,
                                           size_t capacity, size_t *size);

/** End of generation: 1 if `token` ends a reply, else 0 (also for NULL model
 *  or an id outside the vocabulary). The set is the metadata's eos and eot
 *  ids plus those of the vocabulary's <|im_end|>, <|endoftext|>,
 *  <|fim_pad|>, <|repo_name|> and <|file_sep|> tokens (Qwen instruct models
 *  end turns with <|im_end|>; coder models end infills with the others).
 *  Constant time. Thread-safe. */
LOOM_API int32_t loom_token_is_eog(const loom_model *model, int32_t token);

/** The end-of-generation ids (see loom_token_is_eog), ascending, into `ids`
 *  (`capacity` entries); *n gets the count. Errors: INVALID_ARGUMENT,
 *  NOT_FOUND (no vocabulary), BUFFER_TOO_SMALL (*n written). Thread-safe. */
LOOM_API loom_status loom_model_eog_tokens(const loom_model *model, int32_t *ids, size_t capacity, size_t *n);

/* Stop strings: a matcher over streamed text that releases only the bytes
 * that can no longer be part of a stop string. Feed it the detokenized text
 * of each new token; show what it releases. A tail that could still grow into
 * a stop string is held back; when a stop string completes, the text before
 * it is released, the stop string and all later text are dropped, and the
 * matcher stays stopped until loom_stop_matcher_reset. A push costs time
 * linear in its length times the number of stop strings (not in their
 * lengths); the held-back tail is shorter than the longest stop string.
 * One thread at a time. */
typedef struct loom_stop_matcher loom_stop_matcher;

/** A matcher for `n_stops` stop strings (copied; each non-NULL and non-empty).
 *  n_stops may be 0 (everything is released at once). Free with
 *  loom_stop_matcher_free. Errors: INVALID_ARGUMENT, OUT_OF_MEMORY. */
LOOM_API loom_status loom_stop_matcher_new(const char *const *stops, size_t n_stops, loom_stop_matcher **out);
/** Frees a matcher. NULL is ignored. */
LOOM_API void loom_stop_matcher_free(loom_stop_matcher *matcher);
/** Appends `len` bytes of `text`. *release / *release_len get the bytes now
 *  safe to emit (owned by the matcher, valid until its next call); *stopped
 *  gets 1 once a stop string has been seen (then nothing more is released).
 *  Errors: INVALID_ARGUMENT (NULL arguments). */
LOOM_API loom_status loom_stop_matcher_push(loom_stop_matcher *matcher, const char *text, size_t len,
                                            const char **release, size_t *release_len, int32_t *stopped);
/** End of generation without a stop string: releases the held-back tail
 *  (nothing if stopped) like loom_stop_matcher_push. Errors: INVALID_ARGUMENT. */
LOOM_API loom_status loom_stop_matcher_flush(loom_stop_matcher *matcher, const char **release, size_t *release_len);
/** Forgets held text and the stopped state, for the next reply. NULL is ignored. */
LOOM_API void loom_stop_matcher_reset(loom_stop_matcher *matcher);

/* Fill-in-the-middle (Qwen2.5-Coder). The special tokens are looked up by
 * text in the model's vocabulary; a model without them gives NOT_FOUND with
 * the missing token named. The result is text: tokenize it with special
 * tokens parsed. */

/** Builds "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>" into
 *  `buf` (`capacity` bytes, no terminating NUL); *size gets the length.
 *  Errors: INVALID_ARGUMENT (NULL pointers), NOT_FOUND, BUFFER_TOO_SMALL
 *  (*size written). Thread-safe. */
LOOM_API loom_status loom_fim_prompt(const loom_model *model, const char *prefix, const char *suffix, char *buf,
                                     size_t capacity, size_t *size);

/** The repository-level form, with `n_files` context files before the file
 *  being edited (`path`):
 *    <|repo_name|>{repo_name}\n
 *    <|file_sep|>{paths[i]}\n{contents[i]}      for each file, content verbatim
 *    <|file_sep|>{path}\n<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>
 *  paths/contents may be NULL when n_files is 0. Output and errors as
 *  loom_fim_prompt (NOT_FOUND also for <|repo_name|> and <|file_sep|>). */
LOOM_API loom_status loom_fim_repo_prompt(const loom_model *model, const char *repo_name, const char *const *paths,
                                          const char *const *contents, size_t n_files, const char *path,
                                          const char *prefix, const char *suffix, char *buf, size_t capacity,
                                          size_t *size);
/* END SECTION tokenizer */

/* ========================================================================= */
/* Contexts, batches, decoding, KV cache, state                               */
/* ========================================================================= */
/* SECTION context: owned by lib/context. */

typedef struct loom_context loom_context;
typedef struct loom_batch loom_batch;

/** Abort callback, checked between ops during loom_decode (on the CPU; on
 *  Vulkan before each submission of the graph: loom_vulkan_params
 *  ops_per_submission): return nonzero to stop (loom_decode then fails with
 *  LOOM_ERR_CANCELLED; the KV cache keeps only what was complete before the
 *  batch). Called on the decoding thread. */
typedef int (*loom_abort_fn)(void *user_data);

/** One task of a loop loom hands to the host's job system: run it once for
 *  each task index in [0, n_tasks), on a thread that identifies itself by
 *  `worker`, an index in [0, n_threads) (loom_context_params.n_threads)
 *  that no other task running at the same moment uses (loom keeps per-worker
 *  scratch memory). Tasks of one loop may run in any order and at the same
 *  time. A task never blocks on another task. */
typedef void (*loom_task_fn)(void *task_ctx, int64_t task, int32_t worker);

/** The host's "parallel for" (loom_context_params.parallel_for): run
 *  task(task_ctx, t, worker) for every t in [0, n_tasks) on the host's
 *  worker threads or fibers (the calling thread may take part), and return
 *  only when every task has returned. Called on the thread running
 *  loom_decode / loom_decode_step, one loop at a time per context (several
 *  contexts may call it at once from their own threads), a few hundred
 *  times per decode. A worker index outside [0, n_threads) is a host bug:
 *  the task does not run and the decode fails with LOOM_ERR_INTERNAL naming
 *  the index. */
typedef void (*loom_parallel_for_fn)(void *user_data, int64_t n_tasks, loom_task_fn task, void *task_ctx);

/** How quantized matmuls treat activations (CPU backend). */
typedef enum loom_matmul_precision {
    /* Activations are rounded to 8 bits in two parts (the value and its
     * rounding residual), so results stay at f32 accuracy on the dequantized
     * weights (~4e-4 relative RMS on the logits) at about twice the integer
     * work of one pass. For evaluations and reference runs. */
    LOOM_MATMUL_EXACT = 0,
    /* The default (loom_context_default_params). One 8-bit pass per
     * activation block, llama.cpp's method and error (logits about 2e-2
     * relative RMS from the exact result on random-weight models). */
    LOOM_MATMUL_FAST = 1,
} loom_matmul_precision;

/** What a context keeps per output (loom_context_params.embeddings). */
typedef enum loom_embeddings_mode {
    LOOM_EMBEDDINGS_NONE = 0,        /* logits only (the default) */
    LOOM_EMBEDDINGS_WITH_LOGITS = 1, /* logits and the last hidden state */
    /* The last hidden state only: the output matmul (n_embd x n_vocab, e.g.
     * 151,936 rows on Qwen2) is never run and no logits rows are allocated;
     * loom_get_logits, loom_get_logprobs and loom_sample fail with
     * UNSUPPORTED on such a context. */
    LOOM_EMBEDDINGS_ONLY = 2,
} loom_embeddings_mode;

/** How loom_get_embeddings_seq pools the hidden states of a sequence
 *  (loom_context_params.pooling_type). */
typedef enum loom_pooling_type {
    LOOM_POOLING_NONE = 0, /* no pooled vectors (per entry: loom_get_embeddings) */
    LOOM_POOLING_MEAN = 1, /* the mean over the sequence's output entries of the last decode */
    LOOM_POOLING_LAST = 2, /* the sequence's last output entry (in batch order) of the last decode */
} loom_pooling_type;

typedef struct loom_context_params {
    size_t struct_size;          /* the caller's sizeof(loom_context_params), set by loom_context_default_params */
    uint32_t n_ctx;              /* KV cache cells (tokens over all sequences); 0: min(4096, training length) */
    uint32_t n_batch;            /* most tokens one loom_decode may carry; default 512 (at most n_ctx) */
    uint32_t n_seq_max;          /* distinct sequence ids allowed, ids 0..n_seq_max-1; default 1, at most 256.
                                    The cache is cut into n_seq_max regions of n_ctx / n_seq_max cells: a
                                    sequence's tokens go to its own region first (then to the nearest free
                                    cells), and a token's attention reads only the range of cells its
                                    sequence spans, so N sequences decoded together cost about N times one. */
    int32_t n_threads;           /* CPU threads; 0 (default): the number of cores, at most 8 */
    int32_t kv_type;             /* loom_type of the KV cache: F16 (default), F32 or Q8_0 (needs
                                    n_head_kv * head size to be a multiple of 32) */
    int32_t embeddings;          /* loom_embeddings_mode: 1 keeps the last hidden state (after the
                                    final norm) per output besides the logits, 2 keeps only it */
    loom_abort_fn abort_callback;/* optional */
    void *abort_user_data;
    int32_t matmul_precision;    /* loom_matmul_precision; default LOOM_MATMUL_FAST */
    int32_t reserved0;           /* 0; ignored */
    /* Appended fields (a caller built against an older header gets their defaults).
     * embd_normalize 1: pooled vectors are scaled to unit L2 norm (a zero vector
     * stays zero); 0 (default): as pooled. Per-entry embeddings are never scaled. */
    int32_t pooling_type;        /* loom_pooling_type; default LOOM_POOLING_NONE; needs embeddings != 0 */
    int32_t embd_normalize;      /* 0 or 1, see above */
    /* Most bytes the context may take (loom_memory_plan.total of its
       loom_context_estimate, the worst case); 0 (default): no limit. A
       context whose worst case needs more is not created
       (LOOM_ERR_OUT_OF_MEMORY naming the numbers), so its decodes never
       exceed it. */
    uint64_t memory_budget;
    /* Optional (NULL: loom's own threads, n_threads of them, the decoding
     * thread included). Set, CPU kernels run their loops through it and loom
     * starts no threads; n_threads is then the number of worker indices the
     * host's workers use (0: as for loom's own). See loom_parallel_for_fn. */
    loom_parallel_for_fn parallel_for;
    void *parallel_for_user_data;
} loom_context_params;

/** Fills the first `size` bytes of *params (the caller's sizeof) with the
 *  defaults and sets struct_size = size, like loom_gguf_default_params_sized.
 *  Errors: INVALID_ARGUMENT (NULL params, size < sizeof(size_t) or above 64 KiB). Thread-safe. */
LOOM_API loom_status loom_context_default_params_sized(loom_context_params *params, size_t size);
/** loom_context_default_params(&p): defaults for a loom_context_params p of this header's size. */
#define loom_context_default_params(params) loom_context_default_params_sized((params), sizeof *(params))

/** Creates an inference context (KV cache and work buffers) over `model`.
 *  `params` may be NULL for defaults. The model must outlive the context.
 *  Many contexts may share one model, each used by its own thread (the model
 *  is only read; each context has its own cache, buffers and worker threads).
 *  Memory: the KV cache (2 x n_layer x n_ctx rows of the KV width in
 *  kv_type, plus about 40 bytes of bookkeeping per cell) and n_batch rows of
 *  activations are reserved here; the attention mask and the logits rows grow
 *  with the decodes (a decode of n tokens over c cached cells needs n x c
 *  floats of mask). Host memory is taken as it is used. What a context needs
 *  is compared with what the machine can give (physical RAM, or a lower
 *  cgroup or address-space limit) before allocating.
 *  Errors: INVALID_ARGUMENT (NULL model or out, bad params, vocab-only
 *  model), UNSUPPORTED (Q8_0 cache on a model whose KV width is not a
 *  multiple of 32), OUT_OF_MEMORY (the message gives what the context needs
 *  and what the machine can give, in MiB; or, with params.memory_budget set,
 *  the worst case of loom_context_estimate and the budget, in bytes),
 *  BACKEND. */
LOOM_API loom_status loom_context_new(const loom_model *model, const loom_context_params *params, loom_context **out);

/** The memory plan of loom_context_new(model, params) into *plan (struct
 *  size handling as loom_model_estimate): the context fields (kv_cache,
 *  activations, scratch, logits, mask) at their worst case and the sums; the
 *  weights_* fields are 0. Nothing is allocated. `params` may be NULL.
 *  Errors: INVALID_ARGUMENT (NULL model or plan, bad params or struct_size,
 *  a vocab-only model), UNSUPPORTED (as loom_context_new). Thread-safe. */
LOOM_API loom_status loom_context_estimate(const loom_model *model, const loom_context_params *params,
                                           loom_memory_plan *plan);

/** Frees a context. NULL is ignored. A stepped decode in progress
 *  (loom_decode_begin) is dropped with it. */
LOOM_API void loom_context_free(loom_context *ctx);

/** Changes the number of CPU threads (or, with params.parallel_for, of the
 *  host's worker indices) for the decodes that follow: loom's pool is
 *  stopped and a new one started (a GPU backend ignores the count). Loom's
 *  pool and the host's job system with the same n_threads split the work
 *  the same way, so their logits are bit-equal. Between decodes only, on
 *  the context's thread.
 *  Idle policy: loom's workers spin for about 200 microseconds after each
 *  loop (a decode runs hundreds of short loops back to back), then sleep on
 *  a condition variable; between decodes (a game's frame) they use no CPU.
 *  Errors: INVALID_ARGUMENT (NULL ctx, n_threads outside [1, 256], a
 *  stepped decode in progress), BACKEND (the OS refused a thread; the
 *  previous threads stay in use). */
LOOM_API loom_status loom_context_set_n_threads(loom_context *ctx, int32_t n_threads);

/** The context's KV capacity in tokens (n_ctx after defaults). 0 for NULL. */
LOOM_API uint32_t loom_context_n_ctx(const loom_context *ctx);

/** A batch: a list of (token, position, sequence id, want-logits) entries.
 *  `capacity` entries at most. Free with loom_batch_free. Errors: INVALID_ARGUMENT, OUT_OF_MEMORY. */
LOOM_API loom_status loom_batch_new(int32_t capacity, loom_batch **out);
LOOM_API void loom_batch_free(loom_batch *batch);
/** Empties the batch (keeps its capacity). NULL is ignored. */
LOOM_API void loom_batch_clear(loom_batch *batch);
/** Appends one entry. want_logits nonzero: logits are computed for it.
 *  Errors: INVALID_ARGUMENT (NULL batch, negative pos/seq), BUFFER_TOO_SMALL (batch full). */
LOOM_API loom_status loom_batch_add(loom_batch *batch, int32_t token, int32_t pos, int32_t seq_id, int32_t want_logits);
/** Which entries of loom_batch_add_tokens ask for outputs. */
typedef enum loom_batch_outputs {
    LOOM_BATCH_OUTPUTS_NONE = 0, /* none (a prompt prefix) */
    LOOM_BATCH_OUTPUTS_LAST = 1, /* the last of the n tokens (generation) */
    LOOM_BATCH_OUTPUTS_ALL = 2,  /* every one (embeddings with pooling, perplexity) */
} loom_batch_outputs;

/** Appends `n` entries of one sequence: tokens[k] at position pos0 + k of
 *  `seq_id`, k = 0..n-1, with outputs as `outputs` (a loom_batch_outputs)
 *  says; the same as n loom_batch_add calls. `tokens` (n values) is only
 *  read during the call. All or nothing: when the n entries do not fit, none
 *  is added. n = 0 adds nothing (tokens may then be NULL).
 *  Errors: INVALID_ARGUMENT (NULL batch, NULL tokens with n > 0, negative n,
 *  pos0 or seq_id, pos0 + n - 1 past INT32_MAX, outputs not a
 *  loom_batch_outputs), BUFFER_TOO_SMALL (the batch has fewer than n free
 *  entries: the message gives both). Tokens are checked by loom_decode. */
LOOM_API loom_status loom_batch_add_tokens(loom_batch *batch, const int32_t *tokens, int32_t n, int32_t pos0,
                                           int32_t seq_id, int32_t outputs);
/** Number of entries in the batch; 0 for NULL. */
LOOM_API int32_t loom_batch_size(const loom_batch *batch);

/** Runs the model over every entry of `batch`, writing their K/V into the
 *  cache and computing logits for entries that asked. Entries may belong to
 *  several sequences; each attends to its own sequence's cached positions
 *  and to earlier entries of the same sequence in the batch.
 *  Errors: INVALID_ARGUMENT (token out of range, seq_id >= n_seq_max, empty
 *  batch, more than n_batch entries), CONTEXT_FULL (not enough free cells:
 *  nothing is written), OUT_OF_MEMORY (the mask or logits would outgrow the
 *  machine; sizes named), CANCELLED, BACKEND. On error the cache is as before.
 *  INVALID_ARGUMENT too while a stepped decode (loom_decode_begin) is in
 *  progress: finish it with loom_decode_step or drop it with loom_decode_cancel. */
LOOM_API loom_status loom_decode(loom_context *ctx, const loom_batch *batch);

/* Stepped decoding, for a host that cannot block for a whole decode (a game
 * frame): loom_decode_begin does what loom_decode does up to running the
 * model's graph (checks, cells, inputs, recording); loom_decode_step, called
 * once per frame, runs the graph for about budget_us microseconds and
 * returns, and the next call resumes where it stopped: between ops on the
 * CPU, between submissions on Vulkan (the command stream is cut into one
 * submission per op; large matmuls into several, on both). When the last
 * step reports *done = 1 the outputs are exactly those one loom_decode of
 * the batch gives (bit-equal), and loom_get_logits reads them.
 * docs/embedding.md gives the granularity measured (the longest piece). */

/** Starts a stepped decode of `batch` (copied: the batch may be cleared or
 *  freed at once). The previous decode's outputs are no longer readable.
 *  Errors: as loom_decode (nothing is then in progress and the cache is as
 *  before), INVALID_ARGUMENT also when a stepped decode is already in
 *  progress. On one context's thread, like loom_decode. */
LOOM_API loom_status loom_decode_begin(loom_context *ctx, const loom_batch *batch);

/** Runs the stepped decode for about budget_us microseconds (>= 0). The
 *  graph runs in pieces (an op, or part of a large matmul: at most about 2M
 *  multiply-adds); each runs only if it is predicted to end within the
 *  budget (from what the same piece took in the last decode of the same
 *  batch size; for a new size, from the piece just run). When the first
 *  piece does not fit, the call runs nothing, unless the call before also
 *  ran nothing: then it runs one anyway, so a budget smaller than a piece
 *  still advances (a piece every other call). budget_us 0 runs exactly one
 *  piece. A call can overrun its budget when a piece is slower than
 *  predicted (docs/embedding.md gives what was measured). A host stepping
 *  again within the same frame should stop when *done comes back 0. *done
 *  gets 1 when the decode has finished (its outputs are then readable), 0
 *  otherwise. The abort callback is checked before each piece.
 *  Errors: INVALID_ARGUMENT (NULL ctx or done, negative budget: the decode
 *  stays in progress; no stepped decode in progress), CANCELLED, BACKEND,
 *  OUT_OF_MEMORY. After CANCELLED, BACKEND or OUT_OF_MEMORY nothing is in
 *  progress and the KV cache is as before loom_decode_begin. */
LOOM_API loom_status loom_decode_step(loom_context *ctx, int64_t budget_us, int32_t *done);

/** Drops a stepped decode in progress: the cells it took are freed, so the
 *  KV cache is as before loom_decode_begin. Nothing in progress (or NULL
 *  ctx): does nothing. loom_kv_clear also cancels one; loom_kv_seq_remove,
 *  loom_kv_seq_copy, loom_state_save(_file), loom_state_load(_file) and
 *  loom_context_set_n_threads fail with INVALID_ARGUMENT while one is in
 *  progress (the cache holds cells whose K/V are not written yet). */
LOOM_API void loom_decode_cancel(loom_context *ctx);

/** Logits (n_vocab floats) of batch entry `i` of the last loom_decode
 *  (i = -1: the last entry that asked for logits). The pointer is owned by
 *  the context and valid until the next loom_decode or loom_context_free.
 *  Errors: INVALID_ARGUMENT, NOT_FOUND (entry i did not ask for logits),
 *  UNSUPPORTED (an embeddings-only context: LOOM_EMBEDDINGS_ONLY). */
LOOM_API loom_status loom_get_logits(loom_context *ctx, int32_t i, const float **logits);

/** Last hidden state (n_embd floats) of batch entry `i`, like loom_get_logits;
 *  needs params.embeddings = 1 or 2 (else NOT_FOUND). */
LOOM_API loom_status loom_get_embeddings(loom_context *ctx, int32_t i, const float **embd);

/** The pooled vector (n_embd floats) of sequence `seq_id` over the entries of
 *  the last loom_decode that belong to it and asked for outputs, as
 *  params.pooling_type says (mean or last; pooled in double, then
 *  L2-normalised when params.embd_normalize = 1). The pointer is owned by the
 *  context and valid until the next loom_decode, loom_state_load or
 *  loom_context_free; loom_state_load does not restore pooled vectors.
 *  Errors: INVALID_ARGUMENT (NULL ctx or embd, seq_id not in [0, n_seq_max)),
 *  UNSUPPORTED (the context's pooling_type is LOOM_POOLING_NONE),
 *  NOT_FOUND (no entry of seq_id asked for outputs in the last decode). */
LOOM_API loom_status loom_get_embeddings_seq(loom_context *ctx, int32_t seq_id, const float **embd);


/* KV cache, per sequence. Positions p0..p1 are half-open [p0, p1); p1 < 0 means "to the end". */

/** Drops every cached token of every sequence (and cancels a stepped decode
 *  in progress, see loom_decode_cancel). NULL is ignored. */
LOOM_API void loom_kv_clear(loom_context *ctx);
/** Drops positions [p0, p1) of sequence `seq_id` (seq_id < 0: of all sequences). Errors: INVALID_ARGUMENT. */
LOOM_API loom_status loom_kv_seq_remove(loom_context *ctx, int32_t seq_id, int32_t p0, int32_t p1);
/** Makes positions [p0, p1) of `src` also belong to `dst` (prefix sharing; no copy of K/V data). dst's later
 *  tokens go to its own region, so its attention spans from src's cells to its own (the cells between are
 *  masked out, at some cost). Errors: INVALID_ARGUMENT. */
LOOM_API loom_status loom_kv_seq_copy(loom_context *ctx, int32_t src, int32_t dst, int32_t p0, int32_t p1);
/** Highest cached position of `seq_id` into *pos, -1 if the sequence is empty. Errors: INVALID_ARGUMENT. */
LOOM_API loom_status loom_kv_seq_pos_max(const loom_context *ctx, int32_t seq_id, int32_t *pos);

/* State: the KV cache and the last logits, to resume a context later. */

/** Serialises the context state into `buf` (`capacity` bytes); *size gets the
 *  size needed. Call with capacity 0 to size the buffer. Errors: INVALID_ARGUMENT, BUFFER_TOO_SMALL. */
LOOM_API loom_status loom_state_save(const loom_context *ctx, void *buf, size_t capacity, size_t *size);
/** Restores a state saved from a context with the same model and the same
 *  n_ctx, n_seq_max, kv_type and embeddings setting. A state starts with a
 *  header (magic "LOOMSTAT", format version, body size and an XXH3-64
 *  checksum of the body); the body records a fingerprint of the model's
 *  tensor table and every size that shapes what it carries. All of it is
 *  checked before anything changes; on any error the context is left as it
 *  was. `buf` is untrusted: a corrupted, truncated or crafted state fails.
 *  Errors: INVALID_ARGUMENT, FORMAT (not a loom state, truncated, bytes after
 *  its end, checksum mismatch, another version, model or shape; the message
 *  says which). */
LOOM_API loom_status loom_state_load(loom_context *ctx, const void *buf, size_t size);
/** The same to and from a file. Errors: also IO. */
LOOM_API loom_status loom_state_save_file(const loom_context *ctx, const char *path);
LOOM_API loom_status loom_state_load_file(loom_context *ctx, const char *path);
/* END SECTION context */

/* ========================================================================= */
/* Importance matrices                                                        */
/* ========================================================================= */
/* SECTION imatrix: owned by lib/quantize (file format: lib/quantize/imatrix_file.h). */

/* An importance matrix as llama.cpp's llama-imatrix computes it: for each
 * weight matrix of the model's layers (blk.N.attn_q/attn_k/attn_v,
 * attn_output, ffn_gate, ffn_up, ffn_down .weight), the sum over every
 * decoded row of the squares of the activations entering it, per input
 * column, with the number of rows. output.weight and token_embd.weight are
 * not collected (llama-imatrix's default). loom_model_quantize's `imatrix`
 * weights the quantization error with it (mean = sum / rows).
 * To reproduce llama-imatrix: tokenize the text once, decode it in chunks of
 * n_ctx tokens, each from an empty cache (loom_kv_clear), then save with
 * chunk_size n_ctx (the `loom imatrix` command does exactly this). */

/** Starts collecting on `ctx`: every later successful loom_decode adds its
 *  rows (all entries of the batch, whether they want outputs or not). Calling
 *  it again restarts from zero. The accumulators live in the context (one f32
 *  per input column per layer matrix input: a few KiB per layer). A failed or
 *  cancelled decode leaves the sums undefined: begin again.
 *  Errors: INVALID_ARGUMENT (NULL ctx), UNSUPPORTED (mixture-of-experts
 *  models; a backend other than the CPU one), OUT_OF_MEMORY.
 *  Not thread-safe with other calls on the same context. */
LOOM_API loom_status loom_imatrix_begin(loom_context *ctx);

/** Rows added since loom_imatrix_begin into *out.
 *  Errors: INVALID_ARGUMENT (NULL argument, not collecting). */
LOOM_API loom_status loom_imatrix_rows(const loom_context *ctx, int64_t *out);

/** Writes what was collected to `path` (UTF-8) in llama-imatrix's GGUF
 *  format: general.type "imatrix", imatrix.datasets (`dataset`, e.g. the
 *  text file's name, or none when NULL), imatrix.chunk_count (rows /
 *  chunk_size), imatrix.chunk_size (`chunk_size`, > 0: the tokens per
 *  chunk), and per weight "<name>.in_sum2" (F32 sums) and "<name>.counts"
 *  (F32 rows), sorted by name. llama-quantize --imatrix reads it. Written to
 *  path + ".tmp" and renamed when complete. Collection continues.
 *  Errors: INVALID_ARGUMENT (NULL ctx or path, chunk_size <= 0, not
 *  collecting), IO. */
LOOM_API loom_status loom_imatrix_save(loom_context *ctx, const char *path, const char *dataset,
                                       int32_t chunk_size);

/** Stops collecting and frees the accumulators. NULL or not collecting: no-op. */
LOOM_API void loom_imatrix_end(loom_context *ctx);

/* END SECTION imatrix */

/* ========================================================================= */
/* Vulkan devices and host interop                                            */
/* ========================================================================= */
/* SECTION vulkan: owned by backends/vulkan. */

/** Kind of a Vulkan physical device (the values of VkPhysicalDeviceType). */
typedef enum loom_device_type {
    LOOM_DEVICE_OTHER = 0,
    LOOM_DEVICE_INTEGRATED_GPU = 1,
    LOOM_DEVICE_DISCRETE_GPU = 2,
    LOOM_DEVICE_VIRTUAL_GPU = 3,
    LOOM_DEVICE_CPU = 4,             /* a software rasterizer such as Mesa's lavapipe */
} loom_device_type;

/** One Vulkan device as the loader reports it. */
typedef struct loom_vulkan_device_info {
    size_t struct_size;              /* the caller's sizeof(loom_vulkan_device_info), set by the caller */
    int32_t index;                   /* the value for loom_model_params.device_index */
    int32_t type;                    /* loom_device_type */
    uint32_t vendor_id;
    uint32_t device_id;
    uint32_t api_version;            /* VK_MAKE_API_VERSION encoding */
    uint32_t subgroup_size;
    uint64_t device_local_bytes;     /* sum of the device-local heaps */
    char name[256];                  /* UTF-8, NUL-terminated */
} loom_vulkan_device_info;

/** Lists the Vulkan devices: fills up to `capacity` entries of `out` (the
 *  caller sets every entry's struct_size to its sizeof(loom_vulkan_device_info);
 *  entries are strided by that size and only that many bytes of each are
 *  written; NULL allowed when capacity is 0) and writes the number of
 *  devices to *count. The loader (libvulkan.so.1; vulkan-1.dll on Windows)
 *  is opened at run time, so this works, and reports an error, on machines
 *  without Vulkan. LOOM_BACKEND_AUTO uses the first
 *  discrete, integrated or virtual GPU; a CPU-type device (lavapipe) is used
 *  only when asked for by backend = LOOM_BACKEND_VULKAN.
 *  Errors: INVALID_ARGUMENT (NULL count, NULL out with capacity > 0, bad
 *  struct_size), UNSUPPORTED (built without Vulkan, no loader or no driver:
 *  the message says which), BUFFER_TOO_SMALL (count still written), BACKEND.
 *  Thread-safe. */
LOOM_API loom_status loom_vulkan_devices(loom_vulkan_device_info *out, size_t capacity, size_t *count);

/** A lock the host holds while it submits to a queue (loom_vulkan_host). */
typedef void (*loom_queue_lock_fn)(void *user_data);

/** A host application's own Vulkan objects, for running loom on the device
 *  and queue a game already renders with. All handles are borrowed: loom
 *  never destroys them, and they must outlive every model using them. The
 *  device must have been created with a queue of `queue_family_index`
 *  supporting compute. Pointers are typed void* so this header needs no
 *  Vulkan header.
 *
 *  Sharing: every model loaded with the same device and queue shares one
 *  loom device object (its queue lock, its validation messenger), whatever
 *  loom_vulkan_host struct each load was given; a model loaded without a
 *  host shares loom's own VkDevice with every other model on the same
 *  physical device (same device_index, or the same default, and the same
 *  `validation`). The shared device lives until its last model is freed.
 *
 *  The queue's lock: Vulkan requires a queue to be externally synchronized
 *  (no two vkQueueSubmit on it at once). loom calls vkQueueSubmit, and
 *  nothing else on the queue (no vkQueueWaitIdle, vkQueueBindSparse or
 *  present), once per submission of a graph (loom_vulkan_params:
 *  ops_per_submission). With queue_lock and queue_unlock set, loom calls
 *  queue_lock(queue_lock_user_data) just before each vkQueueSubmit and
 *  queue_unlock(queue_lock_user_data) right after it, from whichever thread
 *  decodes (several at once when several contexts or models decode), and
 *  takes no lock of its own: the host guards its own submissions to the
 *  queue with the same lock, and may then render while loom decodes. The
 *  callbacks must not call loom. Without them, loom serializes its own
 *  submissions (all models and contexts on the device) with a mutex, and
 *  the host must not use the queue while any loom call that decodes runs.
 *  Set both callbacks or neither (INVALID_ARGUMENT). Models sharing a
 *  device and queue must give the same callbacks and user data
 *  (INVALID_ARGUMENT otherwise: the second load names the difference). */
typedef struct loom_vulkan_host {
    size_t struct_size;              /* the caller's sizeof(loom_vulkan_host), set by the caller */
    void *get_instance_proc_addr;    /* PFN_vkGetInstanceProcAddr */
    void *instance;                  /* VkInstance */
    void *physical_device;           /* VkPhysicalDevice */
    void *device;                    /* VkDevice */
    void *queue;                     /* VkQueue */
    uint32_t queue_family_index;
    uint32_t reserved0;              /* 0; ignored */
    loom_queue_lock_fn queue_lock;   /* NULL: loom's own mutex (see above) */
    loom_queue_lock_fn queue_unlock; /* NULL exactly when queue_lock is */
    void *queue_lock_user_data;      /* passed to both; may be NULL */
} loom_vulkan_host;

/** Options of the Vulkan backend, given to a model load through
 *  loom_model_params.vulkan (NULL: defaults). Borrowed during the load call;
 *  `host` (if set) must outlive the model.
 *
 *  Submissions and waits: a graph (one loom_decode) is recorded into
 *  command buffers of at most ops_per_submission ops each, submitted one
 *  after the other; the context's abort callback is checked before each
 *  (CANCELLED, the KV cache as before the call), and each is waited for
 *  with a fence for at most wait_timeout_us. A wait that runs out fails
 *  the call with BACKEND ("did not finish within ... us"): the cache is as
 *  before, the submission may still be running on the device, and the
 *  context's next call waits for it again (BACKEND again while it has not
 *  finished) before touching its buffers, so nothing is overwritten under
 *  the device. A stepped decode (loom_decode_step) submits one op (or part
 *  of a large matmul) at a time whatever ops_per_submission says. */
typedef struct loom_vulkan_params {
    size_t struct_size;              /* the caller's sizeof(loom_vulkan_params), set by loom_vulkan_default_params */
    const loom_vulkan_host *host;    /* NULL: loom creates its own instance and device */
    const char *pipeline_cache_path; /* NULL: no persistent cache; else a file loom reads at
                                        load and rewrites when the model is freed (a failure
                                        to write it is logged as a warning) */
    int32_t validation;              /* 1: enable VK_LAYER_KHRONOS_validation, with its
                                        synchronization validation (errors if absent) */
    int32_t reserved0;               /* 0; ignored */
    int64_t wait_timeout_us;         /* longest wait for one submission; 0: 60 s; < 0: INVALID_ARGUMENT */
    int32_t ops_per_submission;      /* ops per submission of a graph; 0: 64; < 0: INVALID_ARGUMENT */
    int32_t reserved1;               /* 0; ignored */
} loom_vulkan_params;

/** Fills the first `size` bytes of *params (the caller's sizeof) with the
 *  defaults (all NULL / 0) and sets struct_size = size, like
 *  loom_gguf_default_params_sized. Errors: INVALID_ARGUMENT (NULL params,
 *  size < sizeof(size_t) or above 64 KiB). Thread-safe. */
LOOM_API loom_status loom_vulkan_default_params_sized(loom_vulkan_params *params, size_t size);
/** loom_vulkan_default_params(&p): defaults for a loom_vulkan_params p of this header's size. */
#define loom_vulkan_default_params(params) loom_vulkan_default_params_sized((params), sizeof *(params))
/* END SECTION vulkan */

/* ========================================================================= */
/* Sampling                                                                   */
/* ========================================================================= */
/* SECTION sample: owned by lib/sample. */

typedef struct loom_sampler loom_sampler;

/** A new empty sampler chain. Stages run in the order they are added; the
 *  chain ends by picking a token: greedily if it has a greedy stage or no
 *  random stage, else by a seeded draw (loom_sampler_add_dist). Free with
 *  loom_sampler_free. Errors: INVALID_ARGUMENT, OUT_OF_MEMORY. */
LOOM_API loom_status loom_sampler_new(loom_sampler **out);
/** Frees a sampler chain. NULL is ignored. */
LOOM_API void loom_sampler_free(loom_sampler *sampler);

/* Stages, in the order they are added (all "add" functions: Errors:
 * INVALID_ARGUMENT for a NULL sampler, an argument out of range, or a stage
 * added after a pick stage (greedy or dist), which must come last;
 * OUT_OF_MEMORY). Every stage keeps at least one candidate. Probabilities are
 * the softmax of the candidates' current logits. Non-finite logits: NaN is
 * treated as -infinity (never picked while any other token remains); if some
 * logits are +infinity they share all the probability equally. */

/** Pick stage: the highest logit (the lowest id among equal ones). */
LOOM_API loom_status loom_sampler_add_greedy(loom_sampler *sampler);
/** Divides logits by `t` (finite, >= 0). t = 0 keeps only the highest logit.
 *  A t so small that the highest logit / t overflows a float keeps the
 *  logits equal to the highest (the limit as t -> 0+: they share the mass). */
LOOM_API loom_status loom_sampler_add_temperature(loom_sampler *sampler, float t);
/** Keeps the `k` (>= 1) highest logits (ties broken by lower id). */
LOOM_API loom_status loom_sampler_add_top_k(loom_sampler *sampler, int32_t k);
/** Nucleus: keeps the fewest highest-probability tokens whose total
 *  probability reaches `p` (in (0, 1]; 1 keeps all). */
LOOM_API loom_status loom_sampler_add_top_p(loom_sampler *sampler, float p);
/** Keeps tokens whose probability is at least `p` (in [0, 1]) times the
 *  highest probability. */
LOOM_API loom_status loom_sampler_add_min_p(loom_sampler *sampler, float p);
/** Locally typical sampling: orders tokens by |-log(prob) - entropy| and keeps
 *  the fewest first ones whose total probability reaches `p` (in (0, 1]). */
LOOM_API loom_status loom_sampler_add_typical(loom_sampler *sampler, float p);
/** Penalties over the last `last_n` (>= 0; 0 disables) accepted tokens. For a
 *  token seen c > 0 times there: logit = logit > 0 ? logit / repeat :
 *  logit * repeat, then logit -= c * frequency + presence. repeat > 0 (1: none),
 *  frequency and presence finite (0: none). */
LOOM_API loom_status loom_sampler_add_penalties(loom_sampler *sampler, int32_t last_n, float repeat,
                                                float frequency, float presence);
/** Adds biases[i] to the logit of tokens[i] for i < n (arrays copied; tokens
 *  >= 0; a bias is finite or -INFINITY, which bans the token). A token beyond
 *  the vocabulary makes sampling fail with INVALID_ARGUMENT. */
LOOM_API loom_status loom_sampler_add_logit_bias(loom_sampler *sampler, const int32_t *tokens, const float *biases,
                                                 size_t n);
/** Pick stage: draws from the softmax of the remaining logits with a
 *  xoshiro256** generator seeded by `seed` (splitmix64 expansion). The same
 *  seed, chain and logits give the same tokens on every platform. */
LOOM_API loom_status loom_sampler_add_dist(loom_sampler *sampler, uint64_t seed);
/** Grammar stage: keeps only the tokens whose bytes continue `gbnf` (a
 *  NUL-terminated grammar in llama.cpp's GBNF format, UTF-8) from the text
 *  accepted so far, starting at the rule named `root` (NULL: "root"). Tokens
 *  may span several terminals and split UTF-8 sequences; special tokens are
 *  never allowed as text, and the model's end-of-generation tokens (see
 *  loom_token_is_eog) pass exactly where the grammar may end. The grammar's
 *  state advances with loom_sampler_accept (so accept only generated tokens
 *  into a chain with a grammar, not the prompt's) and restarts with
 *  loom_sampler_reset. Add it first: it then masks the whole vocabulary with
 *  one walk of a token trie; after a top-k it checks only the survivors.
 *  `model` is only read here (its vocabulary is copied): it may be freed
 *  before the sampler. Building the stage walks the whole vocabulary (tens of
 *  milliseconds for 150k tokens).
 *  Errors: INVALID_ARGUMENT (NULL sampler/model/gbnf, a stage after a pick
 *  stage), NOT_FOUND (a model without a vocabulary), FORMAT (a malformed
 *  grammar: the message gives line and column; also undefined or twice
 *  defined rules, left recursion, no rule named root, and grammars past the
 *  limits of 1 MiB of text, 2^20 symbols, 64 nested groups or a repetition
 *  count over 4096), OUT_OF_MEMORY. While sampling, the stage fails with
 *  INVALID_ARGUMENT when no candidate continues the grammar and with
 *  UNSUPPORTED when the text makes the grammar too ambiguous (over 4096
 *  parses at once) or nests it deeper than 8192 levels. */
LOOM_API loom_status loom_sampler_add_grammar(loom_sampler *sampler, const loom_model *model, const char *gbnf,
                                              const char *root);

/** JSON schema -> GBNF. Converts `schema` (NUL-terminated JSON text, at most
 *  1 MiB, nesting at most 64 deep) to a grammar in llama.cpp's GBNF format
 *  whose start rule is "root", matching exactly the JSON texts the schema
 *  accepts, or a subset of them where the exact set is not expressible (see
 *  docs/grammar.md): compact JSON with bounded optional whitespace between
 *  tokens, object members in the order of "properties".
 *  Supported: type (a name or an array of names), properties, required,
 *  additionalProperties (false, true, a schema; absent: no other members
 *  when "properties" is given, else any), items (a schema), minItems,
 *  maxItems, enum, const, minLength, maxLength, format (date, time,
 *  date-time, uuid, email), minimum, maximum, exclusiveMinimum,
 *  exclusiveMaximum (integers: exact; numbers: whole-number bounds only),
 *  anyOf, oneOf (treated as anyOf), $ref to "#..." JSON pointers ($defs,
 *  definitions, recursion allowed), uniqueItems false; annotations (title,
 *  description, default, examples, $schema, $id, $comment, deprecated,
 *  readOnly, writeOnly) are ignored. maxItems and maxLength above 1024
 *  generate at most 1024.
 *  The text (no terminating NUL) goes to `buf` (`capacity` bytes); *size gets
 *  its length in bytes. Errors: INVALID_ARGUMENT (NULL schema or size),
 *  FORMAT (malformed JSON, a keyword whose value has the wrong shape, a
 *  range no value fits, a $ref that resolves to nothing; the message gives
 *  the byte offset or the schema path), UNSUPPORTED (any other keyword, a
 *  format or form not listed above; the message names it and its path),
 *  BUFFER_TOO_SMALL (*size written). Thread-safe. */
LOOM_API loom_status loom_json_schema_to_grammar(const char *schema, char *buf, size_t capacity, size_t *size);
/** Grammar stage from a JSON schema: loom_json_schema_to_grammar followed by
 *  loom_sampler_add_grammar (same arguments and behaviour). Errors: those of
 *  both. */
LOOM_API loom_status loom_sampler_add_json_schema(loom_sampler *sampler, const loom_model *model,
                                                  const char *schema);

/** Records `token` as generated (or as a prompt token): feeds the penalty
 *  windows and advances grammar stages. Sampling never accepts by itself.
 *  Every stage takes the token or none does. Errors: INVALID_ARGUMENT (NULL
 *  sampler, negative token, a token a grammar stage cannot take: one that
 *  does not continue its grammar, or an end-of-generation token before the
 *  grammar may end), UNSUPPORTED (a grammar's limits, see
 *  loom_sampler_add_grammar). */
LOOM_API loom_status loom_sampler_accept(loom_sampler *sampler, int32_t token);
/** Empties the penalty windows, reseeds dist stages with their seeds and
 *  restarts grammar stages, as if the chain were new. NULL is ignored. */
LOOM_API void loom_sampler_reset(loom_sampler *sampler);

/** A token mask: `allowed` has n_vocab bytes, all 1 on entry; set to 0 the
 *  bytes of the tokens to remove. Return 0 to go on, nonzero to make the
 *  sampling call fail with LOOM_ERR_CANCELLED. Called on the sampling
 *  thread, once per sample; `allowed` is valid only during the call. */
typedef int (*loom_token_mask_fn)(void *user_data, uint8_t *allowed, int32_t n_vocab);

/** Mask stage: removes the candidates `fn` clears in its `allowed` array
 *  (see loom_token_mask_fn). Add it first so the later stages (temperature,
 *  top-p, ...) see only allowed tokens, as a grammar is. `user_data` is
 *  passed through and must live as long as the sampler. While sampling the
 *  stage fails with INVALID_ARGUMENT when it would remove every candidate,
 *  and with CANCELLED when fn returns nonzero. Errors: INVALID_ARGUMENT
 *  (NULL sampler or fn, a stage after a pick stage), OUT_OF_MEMORY. */
LOOM_API loom_status loom_sampler_add_mask(loom_sampler *sampler, loom_token_mask_fn fn, void *user_data);
/** Mask stage from a list: keeps only the candidates whose id is one of
 *  tokens[0..n-1] (copied; duplicates are fine; n >= 1; ids >= 0; ids at or
 *  past the vocabulary of a sampling call are ignored there). While sampling
 *  it fails with INVALID_ARGUMENT when no candidate is in the list. Errors:
 *  INVALID_ARGUMENT (NULL sampler or tokens, n = 0, a negative id, a stage
 *  after a pick stage), OUT_OF_MEMORY. */
LOOM_API loom_status loom_sampler_add_allowed_tokens(loom_sampler *sampler, const int32_t *tokens, size_t n);

/** Log-probabilities from `n_vocab` logits (not modified): the log-softmax
 *  log p(t) = logit[t] - log(sum_j exp(logit[j])), computed in double after
 *  subtracting the highest logit, so it is exact to float rounding for any
 *  finite logits. NaN logits count as -infinity (log-probability -infinity);
 *  when some logits are +infinity they share the probability equally (each
 *  log(1/count)) and every other token gets -infinity.
 *  token >= 0: *token_logprob receives token's log-probability (token_logprob
 *  may be NULL for token = -1). top_n > 0: top_tokens[0..top_n-1] and
 *  top_logprobs[0..top_n-1] receive the top_n most probable tokens, most
 *  probable first (ties: lower id first). Caller-owned arrays; nothing is
 *  kept. Thread-safe (no handle).
 *  Errors: INVALID_ARGUMENT (NULL logits, n_vocab <= 0, token < -1 or >=
 *  n_vocab, NULL token_logprob with token >= 0, top_n < 0 or > n_vocab,
 *  NULL top arrays with top_n > 0). */
LOOM_API loom_status loom_logprobs(const float *logits, int32_t n_vocab, int32_t token, float *token_logprob,
                                   int32_t top_n, int32_t *top_tokens, float *top_logprobs);

/** Runs the chain over `n_vocab` logits (not modified) and writes the chosen
 *  token to *token; a chain without a pick stage picks greedily. Errors:
 *  INVALID_ARGUMENT (NULL pointers, n_vocab <= 0, a logit-bias token >=
 *  n_vocab, no token with a logit above -infinity, no token a grammar stage
 *  allows), UNSUPPORTED (a grammar's limits). */
LOOM_API loom_status loom_sampler_sample_logits(loom_sampler *sampler, const float *logits, int32_t n_vocab,
                                                int32_t *token);
/** loom_sampler_sample_logits on the logits of batch entry `i` of the
 *  context's last decode (i = -1: the last entry with logits; see
 *  loom_get_logits). Errors: those of loom_get_logits and of
 *  loom_sampler_sample_logits. */
LOOM_API loom_status loom_sample(loom_sampler *sampler, loom_context *ctx, int32_t i, int32_t *token);
/** Log-probabilities of batch entry `i` of the last decode (i = -1: the last
 *  entry with logits; see loom_get_logits): loom_logprobs over its logits,
 *  limited to the tokenizer's vocabulary as loom_sample is. Errors: those of
 *  loom_get_logits and of loom_logprobs; UNSUPPORTED on an embeddings-only
 *  context. */
LOOM_API loom_status loom_get_logprobs(loom_context *ctx, int32_t i, int32_t token, float *token_logprob,
                                       int32_t top_n, int32_t *top_tokens, float *top_logprobs);
/* END SECTION sample */

/* ========================================================================= */
/* Speculative decoding                                                       */
/* ========================================================================= */
/* SECTION speculative: owned by lib/speculative (the loop: lib/api/api_speculative.cpp). */

/* A draft proposes up to draft_max tokens; the target context runs them all
 * in ONE decode (draft_max + 1 positions with logits) and keeps the longest
 * prefix its own sampling agrees with, plus one token of its own: every
 * round emits between 1 and draft_max + 1 tokens for one target decode.
 * Rejected tokens are removed from both caches (loom_kv_seq_remove).
 *
 * Two draft sources:
 *  - a draft model: a second context (its own loom_model, usually a smaller
 *    one) whose tokenizer has the same tokens as the target's, token by
 *    token (logits rows past the tokenizer, the embedding padding of e.g.
 *    152,064 against 151,936 rows, are ignored); it decodes its proposal one
 *    token at a time.
 *  - prompt lookup (draft = NULL): the last n tokens of the text so far
 *    (n from ngram_max down to ngram_min) are searched for in the prompt and
 *    the output so far; the tokens that followed their latest earlier
 *    occurrence are the proposal. No second model.
 *
 * What comes out, with the caller's sampler chain (loom_sampler_*):
 *  - a greedy chain (no dist stage), or any chain with prompt lookup: each
 *    position's token is what loom_sample of the chain picks there, so the
 *    tokens are those of plain decoding with the same chain and seed (a
 *    proposal is kept while it equals those picks), as far as the target's
 *    logits for a position do not depend on how many tokens its decode
 *    carried. They do on the CPU backend with quantized weights and
 *    LOOM_MATMUL_FAST (a verify row can differ from the single-token row by
 *    ~1% of the logits' range; about 1e-4 relative with LOOM_MATMUL_EXACT or
 *    F16 weights), so where two tokens nearly tie the text can take the
 *    other one, as plain decoding with another prompt batch size can;
 *  - a draft model and a chain ending in dist: the speculative sampling rule
 *    (Leviathan et al. 2023, Chen et al. 2023): the chain's stages before its
 *    pick give the target's distribution p at each position and, run on the
 *    draft's logits, the draft's distribution q; a drafted token x (drawn
 *    from q) is kept with probability min(1, p(x) / q(x)), else the round
 *    ends with a token drawn from max(0, p - q) normalised. Every token is
 *    then distributed exactly as the chain's sampling would draw it, but the
 *    draws use the params' seed, not the dist stage's: the text differs
 *    from plain decoding with the same seed.
 * Stages that depend on the text (penalties, grammars) see the tokens
 * accepted so far at each target position; the draft's q is computed with
 * the chain as it stood at the start of the round (it only changes how many
 * tokens are kept, never what comes out).
 *
 * Threads: a loom_speculative drives both contexts; use them and the
 * sampler on one thread at a time, and nothing else on sequence 0 of them
 * while it lives. */

typedef struct loom_speculative loom_speculative;

typedef struct loom_speculative_params {
    size_t struct_size;   /* the caller's sizeof, set by loom_speculative_default_params */
    int32_t draft_max;    /* most tokens proposed per round, 1..256; default 8 (also bounded by the
                             room left in the caches and the contexts' n_batch - 1) */
    int32_t ngram_min;    /* prompt lookup: shortest suffix matched, >= 1; default 2 */
    int32_t ngram_max;    /* prompt lookup: longest suffix matched, ngram_min..64; default 4 */
    float draft_p_min;    /* a draft model stops proposing when its most probable token has a
                             probability below this, in [0, 1]; default 0 (always draft_max) */
    uint64_t seed;        /* the acceptance draws of the sampling rule (see above); default 0 */
} loom_speculative_params;

/** Defaults into the first `size` bytes of *params, as
 *  loom_gguf_default_params_sized. Use the macro below. */
LOOM_API loom_status loom_speculative_default_params_sized(loom_speculative_params *params, size_t size);
/** loom_speculative_default_params(&p): defaults for a p of this header's size. */
#define loom_speculative_default_params(params) \
    loom_speculative_default_params_sized((params), sizeof *(params))

/** A speculative decoder over `target` with `draft` (a context of another
 *  model, or NULL for prompt lookup); `params` NULL for defaults. Both
 *  contexts are borrowed and must outlive it; it uses their sequence 0.
 *  Errors: INVALID_ARGUMENT (NULL target or out, draft == target, bad
 *  params: the message names the field), UNSUPPORTED (a context without
 *  logits: LOOM_EMBEDDINGS_ONLY), TYPE_MISMATCH (the draft's vocabulary is
 *  not the target's: the message gives the first token that differs, or the
 *  sizes), OUT_OF_MEMORY. */
LOOM_API loom_status loom_speculative_new(loom_context *target, loom_context *draft,
                                          const loom_speculative_params *params, loom_speculative **out);
/** Frees it (not the contexts). NULL is ignored. */
LOOM_API void loom_speculative_free(loom_speculative *spec);

/** Starts a text: clears sequence 0 of both contexts and decodes
 *  tokens[0..n-2] into the target (in pieces of its n_batch); the last
 *  token is decoded by the first loom_speculative_next. The draft model
 *  catches up in its first round. `tokens` is copied. Counters restart.
 *  Errors: INVALID_ARGUMENT (NULL spec or tokens, n < 1, a token out of the
 *  vocabulary), CONTEXT_FULL (n past the target's n_ctx), and those of
 *  loom_decode. On error nothing is started (next fails until a prompt
 *  succeeds). */
LOOM_API loom_status loom_speculative_prompt(loom_speculative *spec, const int32_t *tokens, int32_t n);

/** One round: drafts, verifies with one target decode, and writes the
 *  1..min(capacity, draft_max + 1) tokens it keeps to tokens[0..*n-1]. Each
 *  is accepted into `sampler` (loom_sampler_accept; do not accept them
 *  again) and appended to the text. The round stops after an
 *  end-of-generation token of the target model (loom_token_is_eog), so
 *  nothing follows one in `tokens`; capacity 1 makes a round a plain
 *  decoding step. Errors: INVALID_ARGUMENT (NULL spec, sampler, tokens or
 *  n, capacity < 1, no successful loom_speculative_prompt), CONTEXT_FULL
 *  (no room in the target's cache for another token: *n = 0), those of
 *  loom_decode and of sampling. After an error the text so far is kept and
 *  both caches are consistent with it, but the sampler may have accepted
 *  the tokens of the failed round: start again with a prompt. */
LOOM_API loom_status loom_speculative_next(loom_speculative *spec, loom_sampler *sampler, int32_t *tokens,
                                           int32_t capacity, int32_t *n);

/** Counters since the last loom_speculative_prompt (each pointer may be
 *  NULL): rounds run (= target decodes after the prompt), tokens proposed,
 *  proposed tokens kept. Acceptance rate = accepted / drafted; tokens per
 *  target decode = (accepted + rounds) / rounds, less the tokens cut by
 *  capacity or an end of generation. Errors: INVALID_ARGUMENT (NULL spec). */
LOOM_API loom_status loom_speculative_stats(const loom_speculative *spec, int64_t *rounds, int64_t *drafted,
                                            int64_t *accepted);
/* END SECTION speculative */

#ifdef __cplusplus
}
#endif

#endif /* LOOM_H */
