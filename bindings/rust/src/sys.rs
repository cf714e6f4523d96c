//! Raw declarations of include/loom.h, one to one (same names, same order of
//! sections). Layouts and constants are checked against the header by
//! tests/layout.rs, which compiles a C program from loom.h.
#![allow(non_camel_case_types, dead_code)]

use std::os::raw::{c_char, c_int, c_void};

// ---- Version -----------------------------------------------------------------
pub const LOOM_VERSION_MAJOR: u32 = 0;
pub const LOOM_VERSION_MINOR: u32 = 1;
pub const LOOM_VERSION_PATCH: u32 = 0;
pub const LOOM_VERSION: u32 = LOOM_VERSION_MAJOR * 10000 + LOOM_VERSION_MINOR * 100 + LOOM_VERSION_PATCH;

// ---- Status codes ------------------------------------------------------------
pub type loom_status = i32;
pub const LOOM_OK: loom_status = 0;
pub const LOOM_ERR_INVALID_ARGUMENT: loom_status = -1;
pub const LOOM_ERR_OUT_OF_MEMORY: loom_status = -2;
pub const LOOM_ERR_IO: loom_status = -3;
pub const LOOM_ERR_FORMAT: loom_status = -4;
pub const LOOM_ERR_UNSUPPORTED: loom_status = -5;
pub const LOOM_ERR_NOT_FOUND: loom_status = -6;
pub const LOOM_ERR_TYPE_MISMATCH: loom_status = -7;
pub const LOOM_ERR_BUFFER_TOO_SMALL: loom_status = -8;
pub const LOOM_ERR_CANCELLED: loom_status = -9;
pub const LOOM_ERR_CONTEXT_FULL: loom_status = -10;
pub const LOOM_ERR_BACKEND: loom_status = -11;
pub const LOOM_ERR_INTERNAL: loom_status = -12;

// ---- Logging -----------------------------------------------------------------
pub type loom_log_level = c_int;
pub const LOOM_LOG_DEBUG: loom_log_level = 0;
pub const LOOM_LOG_INFO: loom_log_level = 1;
pub const LOOM_LOG_WARN: loom_log_level = 2;
pub const LOOM_LOG_ERROR: loom_log_level = 3;
pub type loom_log_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, level: loom_log_level, message: *const c_char)>;

// ---- The host's allocator -----------------------------------------------------

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct loom_allocator {
    pub struct_size: usize,
    pub alloc: Option<unsafe extern "C" fn(user_data: *mut c_void, size: usize, alignment: usize) -> *mut c_void>,
    pub free: Option<unsafe extern "C" fn(user_data: *mut c_void, ptr: *mut c_void, size: usize, alignment: usize)>,
    pub user_data: *mut c_void,
}

// ---- Tensor types ------------------------------------------------------------
pub const LOOM_TYPE_F32: i32 = 0;
pub const LOOM_TYPE_F16: i32 = 1;
pub const LOOM_TYPE_Q4_0: i32 = 2;
pub const LOOM_TYPE_Q4_1: i32 = 3;
pub const LOOM_TYPE_Q5_0: i32 = 6;
pub const LOOM_TYPE_Q5_1: i32 = 7;
pub const LOOM_TYPE_Q8_0: i32 = 8;
pub const LOOM_TYPE_Q8_1: i32 = 9;
pub const LOOM_TYPE_Q2_K: i32 = 10;
pub const LOOM_TYPE_Q3_K: i32 = 11;
pub const LOOM_TYPE_Q4_K: i32 = 12;
pub const LOOM_TYPE_Q5_K: i32 = 13;
pub const LOOM_TYPE_Q6_K: i32 = 14;
pub const LOOM_TYPE_Q8_K: i32 = 15;
pub const LOOM_TYPE_IQ2_XXS: i32 = 16;
pub const LOOM_TYPE_IQ2_XS: i32 = 17;
pub const LOOM_TYPE_IQ3_XXS: i32 = 18;
pub const LOOM_TYPE_IQ1_S: i32 = 19;
pub const LOOM_TYPE_IQ4_NL: i32 = 20;
pub const LOOM_TYPE_IQ3_S: i32 = 21;
pub const LOOM_TYPE_IQ2_S: i32 = 22;
pub const LOOM_TYPE_IQ4_XS: i32 = 23;
pub const LOOM_TYPE_I8: i32 = 24;
pub const LOOM_TYPE_I16: i32 = 25;
pub const LOOM_TYPE_I32: i32 = 26;
pub const LOOM_TYPE_I64: i32 = 27;
pub const LOOM_TYPE_F64: i32 = 28;
pub const LOOM_TYPE_IQ1_M: i32 = 29;
pub const LOOM_TYPE_BF16: i32 = 30;
pub const LOOM_TYPE_Q4_0_4_4: i32 = 31;
pub const LOOM_TYPE_Q4_0_4_8: i32 = 32;
pub const LOOM_TYPE_Q4_0_8_8: i32 = 33;
pub const LOOM_TYPE_TQ1_0: i32 = 34;
pub const LOOM_TYPE_TQ2_0: i32 = 35;

// ---- GGUF ----------------------------------------------------------------------
#[repr(C)]
pub struct loom_gguf {
    _opaque: [u8; 0],
}
pub const LOOM_GGUF_TYPE_U8: i32 = 0;
pub const LOOM_GGUF_TYPE_I8: i32 = 1;
pub const LOOM_GGUF_TYPE_U16: i32 = 2;
pub const LOOM_GGUF_TYPE_I16: i32 = 3;
pub const LOOM_GGUF_TYPE_U32: i32 = 4;
pub const LOOM_GGUF_TYPE_I32: i32 = 5;
pub const LOOM_GGUF_TYPE_F32: i32 = 6;
pub const LOOM_GGUF_TYPE_BOOL: i32 = 7;
pub const LOOM_GGUF_TYPE_STRING: i32 = 8;
pub const LOOM_GGUF_TYPE_ARRAY: i32 = 9;
pub const LOOM_GGUF_TYPE_U64: i32 = 10;
pub const LOOM_GGUF_TYPE_I64: i32 = 11;
pub const LOOM_GGUF_TYPE_F64: i32 = 12;
pub type loom_gguf_progress_fn = Option<unsafe extern "C" fn(user_data: *mut c_void, done: u64, total: u64) -> c_int>;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct loom_gguf_params {
    pub struct_size: usize,
    pub use_mmap: i32,
    pub reserved0: i32,
    pub progress: loom_gguf_progress_fn,
    pub progress_user_data: *mut c_void,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct loom_gguf_kv_info {
    pub struct_size: usize,
    pub key: *const c_char,
    pub r#type: i32,
    pub array_type: i32,
    pub array_count: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct loom_gguf_tensor_info {
    pub struct_size: usize,
    pub name: *const c_char,
    pub r#type: i32,
    pub n_dims: i32,
    pub ne: [i64; 4],
    pub offset: u64,
    pub nbytes: u64,
    pub data: *const c_void,
}

// ---- Quantizing model files ------------------------------------------------------
pub type loom_quantize_progress_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        index: i64,
        count: i64,
        tensor_name: *const c_char,
        from_type: i32,
        to_type: i32,
    ) -> c_int,
>;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct loom_model_quantize_params {
    pub struct_size: usize,
    pub file_type: i32,
    pub token_embedding_type: i32,
    pub output_tensor_type: i32,
    pub pure: i32,
    pub allow_requantize: i32,
    pub n_threads: i32,
    pub progress: loom_quantize_progress_fn,
    pub progress_user_data: *mut c_void,
    pub imatrix_path: *const c_char,
}

// ---- Models --------------------------------------------------------------------
#[repr(C)]
pub struct loom_model {
    _opaque: [u8; 0],
}
pub const LOOM_BACKEND_AUTO: i32 = 0;
pub const LOOM_BACKEND_CPU: i32 = 1;
pub const LOOM_BACKEND_VULKAN: i32 = 2;
pub type loom_progress_fn = Option<unsafe extern "C" fn(user_data: *mut c_void, fraction: f32) -> c_int>;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct loom_model_params {
    pub struct_size: usize,
    pub use_mmap: i32,
    pub backend: i32,
    pub device_index: i32,
    pub vocab_only: i32,
    pub progress: loom_progress_fn,
    pub progress_user_data: *mut c_void,
    pub log: loom_log_fn,
    pub log_user_data: *mut c_void,
    pub vulkan: *const loom_vulkan_params,
    pub memory_budget: u64,
    pub n_gpu_layers: i32,
    pub reserved1: i32,
    pub weights_in_place: i32,
    pub reserved2: i32,
    pub n_threads: i32,
    pub reserved3: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct loom_memory_plan {
    pub struct_size: usize,
    pub backend: i32,
    pub reserved0: i32,
    pub weights_mapped: u64,
    pub weights_host: u64,
    pub weights_device: u64,
    pub kv_cache: u64,
    pub activations: u64,
    pub scratch: u64,
    pub logits: u64,
    pub mask: u64,
    pub host: u64,
    pub device: u64,
    pub total: u64,
}

// ---- Tokenizer, detokenizer, chat, FIM -----------------------------------------
pub const LOOM_TOKEN_TYPE_UNDEFINED: i32 = 0;
pub const LOOM_TOKEN_TYPE_NORMAL: i32 = 1;
pub const LOOM_TOKEN_TYPE_UNKNOWN: i32 = 2;
pub const LOOM_TOKEN_TYPE_CONTROL: i32 = 3;
pub const LOOM_TOKEN_TYPE_USER_DEFINED: i32 = 4;
pub const LOOM_TOKEN_TYPE_UNUSED: i32 = 5;
pub const LOOM_TOKEN_TYPE_BYTE: i32 = 6;
pub const LOOM_TOKENIZE_PARSE_SPECIAL: i32 = 1;
pub const LOOM_TOKENIZE_NO_NFC: i32 = 2;
#[repr(C)]
pub struct loom_detokenizer {
    _opaque: [u8; 0],
}
pub const LOOM_DETOKENIZE_RENDER_SPECIAL: i32 = 1;
pub const LOOM_CHAT_KIND_NONE: i32 = 0;
pub const LOOM_CHAT_KIND_CHATML: i32 = 1;
pub const LOOM_CHAT_KIND_OTHER: i32 = 2;
pub const LOOM_CHAT_ADD_GENERATION_PROMPT: i32 = 1;
pub const LOOM_CHAT_FORCE_CHATML: i32 = 2;
#[repr(C)]
pub struct loom_stop_matcher {
    _opaque: [u8; 0],
}

// ---- Contexts --------------------------------------------------------------------
#[repr(C)]
pub struct loom_context {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct loom_batch {
    _opaque: [u8; 0],
}
pub type loom_abort_fn = Option<unsafe extern "C" fn(user_data: *mut c_void) -> c_int>;
pub type loom_task_fn = Option<unsafe extern "C" fn(task_ctx: *mut c_void, task: i64, worker: i32)>;
pub type loom_parallel_for_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, n_tasks: i64, task: loom_task_fn, task_ctx: *mut c_void)>;
pub const LOOM_MATMUL_EXACT: i32 = 0;
pub const LOOM_MATMUL_FAST: i32 = 1;
pub const LOOM_EMBEDDINGS_NONE: i32 = 0;
pub const LOOM_EMBEDDINGS_WITH_LOGITS: i32 = 1;
pub const LOOM_EMBEDDINGS_ONLY: i32 = 2;
pub const LOOM_POOLING_NONE: i32 = 0;
pub const LOOM_POOLING_MEAN: i32 = 1;
pub const LOOM_POOLING_LAST: i32 = 2;
pub const LOOM_BATCH_OUTPUTS_NONE: i32 = 0;
pub const LOOM_BATCH_OUTPUTS_LAST: i32 = 1;
pub const LOOM_BATCH_OUTPUTS_ALL: i32 = 2;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct loom_context_params {
    pub struct_size: usize,
    pub n_ctx: u32,
    pub n_batch: u32,
    pub n_seq_max: u32,
    pub n_threads: i32,
    pub kv_type: i32,
    pub embeddings: i32,
    pub abort_callback: loom_abort_fn,
    pub abort_user_data: *mut c_void,
    pub matmul_precision: i32,
    pub reserved0: i32,
    pub pooling_type: i32,
    pub embd_normalize: i32,
    pub memory_budget: u64,
    pub parallel_for: loom_parallel_for_fn,
    pub parallel_for_user_data: *mut c_void,
}

// ---- Vulkan ------------------------------------------------------------------------
pub const LOOM_DEVICE_OTHER: i32 = 0;
pub const LOOM_DEVICE_INTEGRATED_GPU: i32 = 1;
pub const LOOM_DEVICE_DISCRETE_GPU: i32 = 2;
pub const LOOM_DEVICE_VIRTUAL_GPU: i32 = 3;
pub const LOOM_DEVICE_CPU: i32 = 4;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct loom_vulkan_device_info {
    pub struct_size: usize,
    pub index: i32,
    pub r#type: i32,
    pub vendor_id: u32,
    pub device_id: u32,
    pub api_version: u32,
    pub subgroup_size: u32,
    pub device_local_bytes: u64,
    pub name: [c_char; 256],
}

pub type loom_queue_lock_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct loom_vulkan_host {
    pub struct_size: usize,
    pub get_instance_proc_addr: *mut c_void,
    pub instance: *mut c_void,
    pub physical_device: *mut c_void,
    pub device: *mut c_void,
    pub queue: *mut c_void,
    pub queue_family_index: u32,
    pub reserved0: u32,
    pub queue_lock: loom_queue_lock_fn,
    pub queue_unlock: loom_queue_lock_fn,
    pub queue_lock_user_data: *mut c_void,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct loom_vulkan_params {
    pub struct_size: usize,
    pub host: *const loom_vulkan_host,
    pub pipeline_cache_path: *const c_char,
    pub validation: i32,
    pub reserved0: i32,
    pub wait_timeout_us: i64,
    pub ops_per_submission: i32,
    pub reserved1: i32,
}

// ---- Sampling ------------------------------------------------------------------------
#[repr(C)]
pub struct loom_sampler {
    _opaque: [u8; 0],
}
pub type loom_token_mask_fn = Option<unsafe extern "C" fn(user_data: *mut c_void, allowed: *mut u8, n_vocab: i32) -> c_int>;

// ---- Speculative decoding ------------------------------------------------------------
#[repr(C)]
pub struct loom_speculative {
    _opaque: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct loom_speculative_params {
    pub struct_size: usize,
    pub draft_max: i32,
    pub ngram_min: i32,
    pub ngram_max: i32,
    pub draft_p_min: f32,
    pub seed: u64,
}

extern "C" {
    // Version
    pub fn loom_version() -> u32;
    pub fn loom_version_string() -> *const c_char;

    // Status codes and errors
    pub fn loom_status_string(status: loom_status) -> *const c_char;
    pub fn loom_last_error() -> *const c_char;

    // Logging
    pub fn loom_set_log_callback(f: loom_log_fn, user_data: *mut c_void);

    // The host's allocator
    pub fn loom_set_allocator(allocator: *const loom_allocator) -> loom_status;

    // Tensor types and codecs
    pub fn loom_type_name(r#type: i32) -> *const c_char;
    pub fn loom_type_block_size(r#type: i32) -> i64;
    pub fn loom_type_block_bytes(r#type: i32) -> usize;
    pub fn loom_row_size(r#type: i32, n: i64, out: *mut usize) -> loom_status;
    pub fn loom_dequantize(
        r#type: i32,
        src: *const c_void,
        src_size: usize,
        n_rows: i64,
        row_len: i64,
        dst: *mut f32,
    ) -> loom_status;
    pub fn loom_quantize(
        r#type: i32,
        src: *const f32,
        n_rows: i64,
        row_len: i64,
        dst: *mut c_void,
        dst_capacity: usize,
        written: *mut usize,
    ) -> loom_status;

    // GGUF files
    pub fn loom_gguf_type_name(r#type: i32) -> *const c_char;
    pub fn loom_gguf_type_size(r#type: i32) -> usize;
    pub fn loom_gguf_default_params_sized(params: *mut loom_gguf_params, size: usize) -> loom_status;
    pub fn loom_gguf_open(
        path: *const c_char,
        params: *const loom_gguf_params,
        out: *mut *mut loom_gguf,
    ) -> loom_status;
    pub fn loom_gguf_open_memory(data: *const c_void, size: usize, copy: i32, out: *mut *mut loom_gguf) -> loom_status;
    pub fn loom_gguf_close(gguf: *mut loom_gguf);
    pub fn loom_gguf_version(gguf: *const loom_gguf) -> u32;
    pub fn loom_gguf_alignment(gguf: *const loom_gguf) -> usize;
    pub fn loom_gguf_data_offset(gguf: *const loom_gguf) -> u64;
    pub fn loom_gguf_kv_count(gguf: *const loom_gguf) -> i64;
    pub fn loom_gguf_get_kv_info(gguf: *const loom_gguf, index: i64, info: *mut loom_gguf_kv_info) -> loom_status;
    pub fn loom_gguf_find_key(gguf: *const loom_gguf, key: *const c_char, index: *mut i64) -> loom_status;
    pub fn loom_gguf_get_u8(gguf: *const loom_gguf, key: *const c_char, out: *mut u8) -> loom_status;
    pub fn loom_gguf_get_i8(gguf: *const loom_gguf, key: *const c_char, out: *mut i8) -> loom_status;
    pub fn loom_gguf_get_u16(gguf: *const loom_gguf, key: *const c_char, out: *mut u16) -> loom_status;
    pub fn loom_gguf_get_i16(gguf: *const loom_gguf, key: *const c_char, out: *mut i16) -> loom_status;
    pub fn loom_gguf_get_u32(gguf: *const loom_gguf, key: *const c_char, out: *mut u32) -> loom_status;
    pub fn loom_gguf_get_i32(gguf: *const loom_gguf, key: *const c_char, out: *mut i32) -> loom_status;
    pub fn loom_gguf_get_u64(gguf: *const loom_gguf, key: *const c_char, out: *mut u64) -> loom_status;
    pub fn loom_gguf_get_i64(gguf: *const loom_gguf, key: *const c_char, out: *mut i64) -> loom_status;
    pub fn loom_gguf_get_f32(gguf: *const loom_gguf, key: *const c_char, out: *mut f32) -> loom_status;
    pub fn loom_gguf_get_f64(gguf: *const loom_gguf, key: *const c_char, out: *mut f64) -> loom_status;
    pub fn loom_gguf_get_bool(gguf: *const loom_gguf, key: *const c_char, out: *mut i32) -> loom_status;
    pub fn loom_gguf_get_int(gguf: *const loom_gguf, key: *const c_char, out: *mut i64) -> loom_status;
    pub fn loom_gguf_get_string(
        gguf: *const loom_gguf,
        key: *const c_char,
        str: *mut *const c_char,
        len: *mut usize,
    ) -> loom_status;
    pub fn loom_gguf_get_array_info(
        gguf: *const loom_gguf,
        key: *const c_char,
        elem_type: *mut i32,
        count: *mut u64,
    ) -> loom_status;
    pub fn loom_gguf_get_array_string(
        gguf: *const loom_gguf,
        key: *const c_char,
        i: u64,
        str: *mut *const c_char,
        len: *mut usize,
    ) -> loom_status;
    pub fn loom_gguf_get_array_data(
        gguf: *const loom_gguf,
        key: *const c_char,
        elem_type: i32,
        start: u64,
        count: u64,
        buf: *mut c_void,
        capacity: usize,
        size: *mut usize,
    ) -> loom_status;
    pub fn loom_gguf_tensor_count(gguf: *const loom_gguf) -> i64;
    pub fn loom_gguf_get_tensor_info(
        gguf: *const loom_gguf,
        index: i64,
        info: *mut loom_gguf_tensor_info,
    ) -> loom_status;
    pub fn loom_gguf_find_tensor(gguf: *const loom_gguf, name: *const c_char, index: *mut i64) -> loom_status;

    // Quantizing model files
    pub fn loom_file_type_name(file_type: i32) -> *const c_char;
    pub fn loom_file_type_from_name(name: *const c_char, out: *mut i32) -> loom_status;
    pub fn loom_model_quantize_default_params_sized(params: *mut loom_model_quantize_params, size: usize)
        -> loom_status;
    pub fn loom_model_quantize(
        input_path: *const c_char,
        output_path: *const c_char,
        params: *const loom_model_quantize_params,
    ) -> loom_status;

    // Models
    pub fn loom_model_default_params_sized(params: *mut loom_model_params, size: usize) -> loom_status;
    pub fn loom_model_load(
        path: *const c_char,
        params: *const loom_model_params,
        out: *mut *mut loom_model,
    ) -> loom_status;
    pub fn loom_model_load_from_memory(
        data: *const c_void,
        size: usize,
        params: *const loom_model_params,
        out: *mut *mut loom_model,
    ) -> loom_status;
    pub fn loom_model_free(model: *mut loom_model);
    pub fn loom_model_n_vocab(model: *const loom_model) -> i32;
    pub fn loom_model_n_embd(model: *const loom_model) -> i32;
    pub fn loom_model_n_layer(model: *const loom_model) -> i32;
    pub fn loom_model_n_ctx_train(model: *const loom_model) -> i32;
    pub fn loom_model_gguf(model: *const loom_model) -> *const loom_gguf;
    pub fn loom_model_backend_name(model: *const loom_model) -> *const c_char;
    pub fn loom_model_estimate(path: *const c_char, params: *const loom_model_params, plan: *mut loom_memory_plan) -> loom_status;
    pub fn loom_model_estimate_from_memory(
        data: *const c_void,
        size: usize,
        params: *const loom_model_params,
        plan: *mut loom_memory_plan,
    ) -> loom_status;

    // Tokenizer
    pub fn loom_tokenize(
        model: *const loom_model,
        text: *const c_char,
        len: usize,
        flags: i32,
        tokens: *mut i32,
        capacity: usize,
        n_tokens: *mut usize,
    ) -> loom_status;
    pub fn loom_token_to_piece(
        model: *const loom_model,
        token: i32,
        buf: *mut c_char,
        capacity: usize,
        size: *mut usize,
    ) -> loom_status;
    pub fn loom_token_find(model: *const loom_model, text: *const c_char, token: *mut i32) -> loom_status;
    pub fn loom_token_type_of(model: *const loom_model, token: i32) -> i32;
    pub fn loom_token_is_special(model: *const loom_model, token: i32) -> i32;
    pub fn loom_token_bos(model: *const loom_model) -> i32;
    pub fn loom_token_eos(model: *const loom_model) -> i32;
    pub fn loom_token_pad(model: *const loom_model) -> i32;

    // Detokenizer
    pub fn loom_detokenizer_new(model: *const loom_model, flags: i32, out: *mut *mut loom_detokenizer) -> loom_status;
    pub fn loom_detokenizer_free(detok: *mut loom_detokenizer);
    pub fn loom_detokenizer_push(
        detok: *mut loom_detokenizer,
        token: i32,
        buf: *mut c_char,
        capacity: usize,
        size: *mut usize,
    ) -> loom_status;
    pub fn loom_detokenizer_flush(
        detok: *mut loom_detokenizer,
        buf: *mut c_char,
        capacity: usize,
        size: *mut usize,
    ) -> loom_status;

    // Chat templates
    pub fn loom_chat_template_kind(model: *const loom_model, kind: *mut i32) -> loom_status;
    pub fn loom_chat_apply(
        model: *const loom_model,
        roles: *const *const c_char,
        contents: *const *const c_char,
        n_messages: usize,
        flags: i32,
        buf: *mut c_char,
        capacity: usize,
        size: *mut usize,
    ) -> loom_status;
    pub fn loom_chat_apply_tools(
        model: *const loom_model,
        roles: *const *const c_char,
        contents: *const *const c_char,
        tool_calls: *const *const c_char,
        n_messages: usize,
        tools: *const c_char,
        flags: i32,
        buf: *mut c_char,
        capacity: usize,
        size: *mut usize,
    ) -> loom_status;
    pub fn loom_token_is_eog(model: *const loom_model, token: i32) -> i32;
    pub fn loom_model_eog_tokens(
        model: *const loom_model,
        ids: *mut i32,
        capacity: usize,
        n: *mut usize,
    ) -> loom_status;

    // Stop strings
    pub fn loom_stop_matcher_new(
        stops: *const *const c_char,
        n_stops: usize,
        out: *mut *mut loom_stop_matcher,
    ) -> loom_status;
    pub fn loom_stop_matcher_free(matcher: *mut loom_stop_matcher);
    pub fn loom_stop_matcher_push(
        matcher: *mut loom_stop_matcher,
        text: *const c_char,
        len: usize,
        release: *mut *const c_char,
        release_len: *mut usize,
        stopped: *mut i32,
    ) -> loom_status;
    pub fn loom_stop_matcher_flush(
        matcher: *mut loom_stop_matcher,
        release: *mut *const c_char,
        release_len: *mut usize,
    ) -> loom_status;
    pub fn loom_stop_matcher_reset(matcher: *mut loom_stop_matcher);

    // Fill-in-the-middle
    pub fn loom_fim_prompt(
        model: *const loom_model,
        prefix: *const c_char,
        suffix: *const c_char,
        buf: *mut c_char,
        capacity: usize,
        size: *mut usize,
    ) -> loom_status;
    pub fn loom_fim_repo_prompt(
        model: *const loom_model,
        repo_name: *const c_char,
        paths: *const *const c_char,
        contents: *const *const c_char,
        n_files: usize,
        path: *const c_char,
        prefix: *const c_char,
        suffix: *const c_char,
        buf: *mut c_char,
        capacity: usize,
        size: *mut usize,
    ) -> loom_status;

    // Contexts, batches, decoding
    pub fn loom_context_default_params_sized(params: *mut loom_context_params, size: usize) -> loom_status;
    pub fn loom_context_new(
        model: *const loom_model,
        params: *const loom_context_params,
        out: *mut *mut loom_context,
    ) -> loom_status;
    pub fn loom_context_estimate(
        model: *const loom_model,
        params: *const loom_context_params,
        plan: *mut loom_memory_plan,
    ) -> loom_status;
    pub fn loom_context_free(ctx: *mut loom_context);
    pub fn loom_context_set_n_threads(ctx: *mut loom_context, n_threads: i32) -> loom_status;
    pub fn loom_context_n_ctx(ctx: *const loom_context) -> u32;
    pub fn loom_batch_new(capacity: i32, out: *mut *mut loom_batch) -> loom_status;
    pub fn loom_batch_free(batch: *mut loom_batch);
    pub fn loom_batch_clear(batch: *mut loom_batch);
    pub fn loom_batch_add(batch: *mut loom_batch, token: i32, pos: i32, seq_id: i32, want_logits: i32) -> loom_status;
    pub fn loom_batch_add_tokens(
        batch: *mut loom_batch,
        tokens: *const i32,
        n: i32,
        pos0: i32,
        seq_id: i32,
        outputs: i32,
    ) -> loom_status;
    pub fn loom_batch_size(batch: *const loom_batch) -> i32;
    pub fn loom_decode(ctx: *mut loom_context, batch: *const loom_batch) -> loom_status;
    pub fn loom_decode_begin(ctx: *mut loom_context, batch: *const loom_batch) -> loom_status;
    pub fn loom_decode_step(ctx: *mut loom_context, budget_us: i64, done: *mut i32) -> loom_status;
    pub fn loom_decode_cancel(ctx: *mut loom_context);
    pub fn loom_get_logits(ctx: *mut loom_context, i: i32, logits: *mut *const f32) -> loom_status;
    pub fn loom_get_embeddings(ctx: *mut loom_context, i: i32, embd: *mut *const f32) -> loom_status;
    pub fn loom_get_embeddings_seq(ctx: *mut loom_context, seq_id: i32, embd: *mut *const f32) -> loom_status;

    // KV cache
    pub fn loom_kv_clear(ctx: *mut loom_context);
    pub fn loom_kv_seq_remove(ctx: *mut loom_context, seq_id: i32, p0: i32, p1: i32) -> loom_status;
    pub fn loom_kv_seq_copy(ctx: *mut loom_context, src: i32, dst: i32, p0: i32, p1: i32) -> loom_status;
    pub fn loom_kv_seq_pos_max(ctx: *const loom_context, seq_id: i32, pos: *mut i32) -> loom_status;

    // State
    pub fn loom_state_save(
        ctx: *const loom_context,
        buf: *mut c_void,
        capacity: usize,
        size: *mut usize,
    ) -> loom_status;
    pub fn loom_state_load(ctx: *mut loom_context, buf: *const c_void, size: usize) -> loom_status;
    pub fn loom_state_save_file(ctx: *const loom_context, path: *const c_char) -> loom_status;
    pub fn loom_state_load_file(ctx: *mut loom_context, path: *const c_char) -> loom_status;

    // Importance matrices
    pub fn loom_imatrix_begin(ctx: *mut loom_context) -> loom_status;
    pub fn loom_imatrix_rows(ctx: *const loom_context, out: *mut i64) -> loom_status;
    pub fn loom_imatrix_save(
        ctx: *mut loom_context,
        path: *const c_char,
        dataset: *const c_char,
        chunk_size: i32,
    ) -> loom_status;
    pub fn loom_imatrix_end(ctx: *mut loom_context);

    // Vulkan
    pub fn loom_vulkan_devices(out: *mut loom_vulkan_device_info, capacity: usize, count: *mut usize) -> loom_status;
    pub fn loom_vulkan_default_params_sized(params: *mut loom_vulkan_params, size: usize) -> loom_status;

    // Sampling
    pub fn loom_sampler_new(out: *mut *mut loom_sampler) -> loom_status;
    pub fn loom_sampler_free(sampler: *mut loom_sampler);
    pub fn loom_sampler_add_greedy(sampler: *mut loom_sampler) -> loom_status;
    pub fn loom_sampler_add_temperature(sampler: *mut loom_sampler, t: f32) -> loom_status;
    pub fn loom_sampler_add_top_k(sampler: *mut loom_sampler, k: i32) -> loom_status;
    pub fn loom_sampler_add_top_p(sampler: *mut loom_sampler, p: f32) -> loom_status;
    pub fn loom_sampler_add_min_p(sampler: *mut loom_sampler, p: f32) -> loom_status;
    pub fn loom_sampler_add_typical(sampler: *mut loom_sampler, p: f32) -> loom_status;
    pub fn loom_sampler_add_penalties(
        sampler: *mut loom_sampler,
        last_n: i32,
        repeat: f32,
        frequency: f32,
        presence: f32,
    ) -> loom_status;
    pub fn loom_sampler_add_logit_bias(
        sampler: *mut loom_sampler,
        tokens: *const i32,
        biases: *const f32,
        n: usize,
    ) -> loom_status;
    pub fn loom_sampler_add_dist(sampler: *mut loom_sampler, seed: u64) -> loom_status;
    pub fn loom_sampler_add_grammar(
        sampler: *mut loom_sampler,
        model: *const loom_model,
        gbnf: *const c_char,
        root: *const c_char,
    ) -> loom_status;
    pub fn loom_json_schema_to_grammar(
        schema: *const c_char,
        buf: *mut c_char,
        capacity: usize,
        size: *mut usize,
    ) -> loom_status;
    pub fn loom_sampler_add_json_schema(
        sampler: *mut loom_sampler,
        model: *const loom_model,
        schema: *const c_char,
    ) -> loom_status;
    pub fn loom_sampler_accept(sampler: *mut loom_sampler, token: i32) -> loom_status;
    pub fn loom_sampler_reset(sampler: *mut loom_sampler);
    pub fn loom_sampler_sample_logits(
        sampler: *mut loom_sampler,
        logits: *const f32,
        n_vocab: i32,
        token: *mut i32,
    ) -> loom_status;
    pub fn loom_sample(sampler: *mut loom_sampler, ctx: *mut loom_context, i: i32, token: *mut i32) -> loom_status;
    pub fn loom_get_logprobs(
        ctx: *mut loom_context,
        i: i32,
        token: i32,
        token_logprob: *mut f32,
        top_n: i32,
        top_tokens: *mut i32,
        top_logprobs: *mut f32,
    ) -> loom_status;
    pub fn loom_sampler_add_mask(sampler: *mut loom_sampler, f: loom_token_mask_fn, user_data: *mut c_void) -> loom_status;
    pub fn loom_sampler_add_allowed_tokens(sampler: *mut loom_sampler, tokens: *const i32, n: usize) -> loom_status;
    pub fn loom_logprobs(
        logits: *const f32,
        n_vocab: i32,
        token: i32,
        token_logprob: *mut f32,
        top_n: i32,
        top_tokens: *mut i32,
        top_logprobs: *mut f32,
    ) -> loom_status;

    // Speculative decoding
    pub fn loom_speculative_default_params_sized(params: *mut loom_speculative_params, size: usize) -> loom_status;
    pub fn loom_speculative_new(
        target: *mut loom_context,
        draft: *mut loom_context,
        params: *const loom_speculative_params,
        out: *mut *mut loom_speculative,
    ) -> loom_status;
    pub fn loom_speculative_free(spec: *mut loom_speculative);
    pub fn loom_speculative_prompt(spec: *mut loom_speculative, tokens: *const i32, n: i32) -> loom_status;
    pub fn loom_speculative_next(
        spec: *mut loom_speculative,
        sampler: *mut loom_sampler,
        tokens: *mut i32,
        capacity: i32,
        n: *mut i32,
    ) -> loom_status;
    pub fn loom_speculative_stats(
        spec: *const loom_speculative,
        rounds: *mut i64,
        drafted: *mut i64,
        accepted: *mut i64,
    ) -> loom_status;
}
