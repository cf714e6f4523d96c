//! Checks the `sys` declarations against include/loom.h: a C program built
//! from the header prints sizeof and offsetof of every struct and the value
//! of every constant, and each must equal what Rust computes from `sys`.
//! Also every LOOM_API function of the header is declared in sys.rs and
//! sys.rs declares no function the header lacks. The header is
//! CARGO_MANIFEST_DIR/../../include (LOOM_INCLUDE_DIR overrides); the C
//! compiler is $CC or `cc`.
use crate::sys::*;
use std::collections::BTreeMap;
use std::mem::{size_of, MaybeUninit};
use std::path::PathBuf;
use std::process::Command;

/// (key, Rust value) rows: "sizeof T", "offsetof T.field", "const NAME".
macro_rules! layouts {
    ($($t:ident { $($f:ident),* },)*) => {{
        let mut rows: Vec<(String, i64)> = Vec::new();
        $(
            rows.push((format!("sizeof {}", stringify!($t)), size_of::<$t>() as i64));
            let u = MaybeUninit::<$t>::uninit();
            let base = u.as_ptr() as usize;
            $(
                // SAFETY: addr_of! on a field of uninitialized memory reads nothing.
                let at = unsafe { std::ptr::addr_of!((*u.as_ptr()).$f) } as usize;
                rows.push((format!("offsetof {}.{}", stringify!($t), stringify!($f).trim_start_matches("r#")),
                           (at - base) as i64));
            )*
        )*
        rows
    }};
}

macro_rules! consts {
    ($($c:ident,)*) => {
        vec![$((format!("const {}", stringify!($c)), $c as i64)),*]
    };
}

fn rust_rows() -> Vec<(String, i64)> {
    let mut rows = layouts! {
        loom_allocator { struct_size, alloc, free, user_data },
        loom_gguf_params { struct_size, use_mmap, reserved0, progress, progress_user_data },
        loom_gguf_kv_info { struct_size, key, r#type, array_type, array_count },
        loom_gguf_tensor_info { struct_size, name, r#type, n_dims, ne, offset, nbytes, data },
        loom_model_params { struct_size, use_mmap, backend, device_index, vocab_only, progress, progress_user_data, log, log_user_data, vulkan, memory_budget, n_gpu_layers, reserved1, weights_in_place, reserved2, n_threads, reserved3 },
        loom_memory_plan { struct_size, backend, reserved0, weights_mapped, weights_host, weights_device, kv_cache, activations, scratch, logits, mask, host, device, total },
        loom_context_params { struct_size, n_ctx, n_batch, n_seq_max, n_threads, kv_type, embeddings, abort_callback, abort_user_data, matmul_precision, reserved0, pooling_type, embd_normalize, memory_budget, parallel_for, parallel_for_user_data },
        loom_vulkan_device_info { struct_size, index, r#type, vendor_id, device_id, api_version, subgroup_size, device_local_bytes, name },
        loom_vulkan_host { struct_size, get_instance_proc_addr, instance, physical_device, device, queue, queue_family_index, reserved0, queue_lock, queue_unlock, queue_lock_user_data },
        loom_vulkan_params { struct_size, host, pipeline_cache_path, validation, reserved0, wait_timeout_us, ops_per_submission, reserved1 },
        loom_model_quantize_params { struct_size, file_type, token_embedding_type, output_tensor_type, pure, allow_requantize, n_threads, progress, progress_user_data, imatrix_path },
        loom_speculative_params { struct_size, draft_max, ngram_min, ngram_max, draft_p_min, seed },
    };
    rows.extend(consts! {
        LOOM_VERSION_MAJOR, LOOM_VERSION_MINOR, LOOM_VERSION_PATCH, LOOM_VERSION,
        LOOM_OK, LOOM_ERR_INVALID_ARGUMENT, LOOM_ERR_OUT_OF_MEMORY, LOOM_ERR_IO,
        LOOM_ERR_FORMAT, LOOM_ERR_UNSUPPORTED, LOOM_ERR_NOT_FOUND, LOOM_ERR_TYPE_MISMATCH,
        LOOM_ERR_BUFFER_TOO_SMALL, LOOM_ERR_CANCELLED, LOOM_ERR_CONTEXT_FULL, LOOM_ERR_BACKEND,
        LOOM_ERR_INTERNAL, LOOM_LOG_DEBUG, LOOM_LOG_INFO, LOOM_LOG_WARN,
        LOOM_LOG_ERROR, LOOM_TYPE_F32, LOOM_TYPE_F16, LOOM_TYPE_Q4_0,
        LOOM_TYPE_Q4_1, LOOM_TYPE_Q5_0, LOOM_TYPE_Q5_1, LOOM_TYPE_Q8_0,
        LOOM_TYPE_Q8_1, LOOM_TYPE_Q2_K, LOOM_TYPE_Q3_K, LOOM_TYPE_Q4_K,
        LOOM_TYPE_Q5_K, LOOM_TYPE_Q6_K, LOOM_TYPE_Q8_K, LOOM_TYPE_IQ2_XXS,
        LOOM_TYPE_IQ2_XS, LOOM_TYPE_IQ3_XXS, LOOM_TYPE_IQ1_S, LOOM_TYPE_IQ4_NL,
        LOOM_TYPE_IQ3_S, LOOM_TYPE_IQ2_S, LOOM_TYPE_IQ4_XS, LOOM_TYPE_I8,
        LOOM_TYPE_I16, LOOM_TYPE_I32, LOOM_TYPE_I64, LOOM_TYPE_F64,
        LOOM_TYPE_IQ1_M, LOOM_TYPE_BF16, LOOM_TYPE_Q4_0_4_4, LOOM_TYPE_Q4_0_4_8,
        LOOM_TYPE_Q4_0_8_8, LOOM_TYPE_TQ1_0, LOOM_TYPE_TQ2_0, LOOM_GGUF_TYPE_U8,
        LOOM_GGUF_TYPE_I8, LOOM_GGUF_TYPE_U16, LOOM_GGUF_TYPE_I16, LOOM_GGUF_TYPE_U32,
        LOOM_GGUF_TYPE_I32, LOOM_GGUF_TYPE_F32, LOOM_GGUF_TYPE_BOOL, LOOM_GGUF_TYPE_STRING,
        LOOM_GGUF_TYPE_ARRAY, LOOM_GGUF_TYPE_U64, LOOM_GGUF_TYPE_I64, LOOM_GGUF_TYPE_F64,
        LOOM_BACKEND_AUTO, LOOM_BACKEND_CPU, LOOM_BACKEND_VULKAN, LOOM_TOKEN_TYPE_UNDEFINED,
        LOOM_TOKEN_TYPE_NORMAL, LOOM_TOKEN_TYPE_UNKNOWN, LOOM_TOKEN_TYPE_CONTROL, LOOM_TOKEN_TYPE_USER_DEFINED,
        LOOM_TOKEN_TYPE_UNUSED, LOOM_TOKEN_TYPE_BYTE, LOOM_TOKENIZE_PARSE_SPECIAL, LOOM_TOKENIZE_NO_NFC,
        LOOM_DETOKENIZE_RENDER_SPECIAL, LOOM_CHAT_KIND_NONE, LOOM_CHAT_KIND_CHATML, LOOM_CHAT_KIND_OTHER,
        LOOM_CHAT_ADD_GENERATION_PROMPT, LOOM_CHAT_FORCE_CHATML, LOOM_MATMUL_EXACT, LOOM_MATMUL_FAST,
        LOOM_DEVICE_OTHER, LOOM_DEVICE_INTEGRATED_GPU, LOOM_DEVICE_DISCRETE_GPU, LOOM_DEVICE_VIRTUAL_GPU,
        LOOM_DEVICE_CPU, LOOM_EMBEDDINGS_NONE, LOOM_EMBEDDINGS_WITH_LOGITS, LOOM_EMBEDDINGS_ONLY,
        LOOM_POOLING_NONE, LOOM_POOLING_MEAN, LOOM_POOLING_LAST, LOOM_BATCH_OUTPUTS_NONE,
        LOOM_BATCH_OUTPUTS_LAST, LOOM_BATCH_OUTPUTS_ALL,
    });
    rows
}

fn include_dir() -> PathBuf {
    match std::env::var_os("LOOM_INCLUDE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../include"),
    }
}

/// The C program's source: one printf per row, from the header's own types.
fn c_source(rows: &[(String, i64)]) -> String {
    let mut src = String::from("#include <stddef.h>\n#include <stdio.h>\n#include \"loom.h\"\nint main(void) {\n");
    for (key, _) in rows {
        let expr = if let Some(t) = key.strip_prefix("sizeof ") {
            format!("sizeof({t})")
        } else if let Some(tf) = key.strip_prefix("offsetof ") {
            let (t, f) = tf.split_once('.').unwrap();
            format!("offsetof({t}, {f})")
        } else {
            key.strip_prefix("const ").unwrap().to_string()
        };
        src += &format!("    printf(\"%s %lld\\n\", \"{key}\", (long long)({expr}));\n");
    }
    src + "    return 0;\n}\n"
}

fn c_rows(rows: &[(String, i64)]) -> BTreeMap<String, i64> {
    let dir = std::env::temp_dir().join(format!("loom-rs-layout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (c_file, exe) = (dir.join("layout.c"), dir.join("layout"));
    std::fs::write(&c_file, c_source(rows)).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let built = Command::new(&cc)
        .arg("-std=c11")
        .arg("-I")
        .arg(include_dir())
        .arg(&c_file)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler {cc}: {e}"));
    assert!(built.status.success(), "compiling the layout program failed:\n{}", String::from_utf8_lossy(&built.stderr));
    let out = Command::new(&exe).output().unwrap();
    assert!(out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect()
}

#[test]
fn structs_and_constants_match_the_header() {
    let rows = rust_rows();
    let c = c_rows(&rows);
    let mismatches: Vec<String> = rows
        .iter()
        .filter(|(k, v)| c.get(k) != Some(v))
        .map(|(k, v)| format!("{k}: Rust {v}, C {:?}", c.get(k)))
        .collect();
    assert!(mismatches.is_empty(), "sys differs from loom.h:\n{}", mismatches.join("\n"));
    assert!(rows.len() > 100, "only {} rows checked", rows.len());
}

#[test]
fn every_sys_constant_is_checked() {
    let checked: Vec<String> = rust_rows().into_iter().map(|r| r.0).collect();
    let sys = include_str!("sys.rs");
    for line in sys.lines() {
        if let Some(rest) = line.strip_prefix("pub const ") {
            let name = rest.split(':').next().unwrap();
            assert!(checked.contains(&format!("const {name}")), "{name} is not in the layout test's list");
        }
    }
}

/// Function names declared with LOOM_API in the header.
fn header_functions() -> Vec<String> {
    let header = std::fs::read_to_string(include_dir().join("loom.h")).unwrap();
    let mut names = Vec::new();
    for decl in header.split("LOOM_API ").skip(1) {
        let before_paren = decl.split('(').next().unwrap();
        let name = before_paren.rsplit(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap();
        if name.starts_with("loom_") {
            names.push(name.to_string());
        }
    }
    names
}

#[test]
fn every_header_function_is_declared_and_no_other() {
    let header = header_functions();
    assert!(header.len() > 100, "found only {} LOOM_API functions in loom.h", header.len());
    let sys = include_str!("sys.rs");
    let declared: Vec<&str> = sys.split("pub fn ").skip(1).map(|d| d.split('(').next().unwrap()).collect();
    let missing: Vec<&String> = header.iter().filter(|h| !declared.contains(&h.as_str())).collect();
    let extra: Vec<&&str> = declared.iter().filter(|d| !header.contains(&d.to_string())).collect();
    assert!(missing.is_empty(), "loom.h functions missing from sys.rs: {missing:?}");
    assert!(extra.is_empty(), "sys.rs declares functions loom.h lacks: {extra:?}");
}
