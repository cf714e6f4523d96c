// The raw layer: include/loom.h mirrored one to one (the parts this binding
// wraps). Nothing here is public; the safe types (Model, Context, ...) sit on
// top. Conventions of the mirror:
// - size_t is UIntPtr (C# 9's nuint is the same type; mcs has no nuint).
// - Strings go in as NUL-terminated UTF-8 byte[] (Utf8.Z) and come out as
//   IntPtr decoded by Utf8.FromNative: the default string marshalling is not
//   UTF-8 on every runtime and platform.
// - Handles go in as SafeHandle (the marshaller holds a reference for the
//   call, so a concurrent Dispose cannot free the object mid-call) and come
//   out as IntPtr, wrapped by the caller right away.
// - The params structs are filled with the caller-sized *_default_params_sized
//   functions (the loom.h macros cannot be called from C#) with
//   Marshal.SizeOf of the mirror; tests/StructLayoutTests.cs checks every
//   mirror's size and field offsets against a C program compiled from loom.h.
using System;
using System.Runtime.InteropServices;

namespace Loom.Native
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int loom_abort_fn(IntPtr user_data);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int loom_progress_fn(IntPtr user_data, float fraction);

    [StructLayout(LayoutKind.Sequential)]
    internal struct loom_model_params
    {
        public UIntPtr struct_size;
        public int use_mmap;
        public int backend;
        public int device_index;
        public int vocab_only;
        public IntPtr progress;           // loom_progress_fn
        public IntPtr progress_user_data;
        public IntPtr log;                // loom_log_fn (not wrapped)
        public IntPtr log_user_data;
        public IntPtr vulkan;             // const loom_vulkan_params *
        public ulong memory_budget;
        public int n_gpu_layers;
        public int reserved1;
        public int weights_in_place;
        public int reserved2;
        public int n_threads;
        public int reserved3;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct loom_context_params
    {
        public UIntPtr struct_size;
        public uint n_ctx;
        public uint n_batch;
        public uint n_seq_max;
        public int n_threads;
        public int kv_type;
        public int embeddings;
        public IntPtr abort_callback;     // loom_abort_fn
        public IntPtr abort_user_data;
        public int matmul_precision;
        public int reserved0;
        public int pooling_type;          // loom_pooling_type
        public int embd_normalize;
        public ulong memory_budget;
        public IntPtr parallel_for;       // loom_parallel_for_fn
        public IntPtr parallel_for_user_data;
    }

    internal static class NativeMethods
    {
        internal const string Lib = "loom"; // libloom.so(.0) / loom.dll / libloom.dylib: see README

        // ---- Version and errors ----
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern uint loom_version();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr loom_version_string();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr loom_status_string(int status);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr loom_last_error();

        // ---- Models ----
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_model_default_params_sized(ref loom_model_params p, UIntPtr size);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_model_load(byte[] path, ref loom_model_params p, out IntPtr model);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void loom_model_free(IntPtr model);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_model_n_vocab(ModelHandle m);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_model_n_embd(ModelHandle m);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_model_n_layer(ModelHandle m);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_model_n_ctx_train(ModelHandle m);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr loom_model_backend_name(ModelHandle m);

        // ---- Tokenizer and detokenizer ----
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_tokenize(ModelHandle m, byte[] text, UIntPtr len, int flags, int[] tokens,
                                                 UIntPtr capacity, out UIntPtr n_tokens);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_token_to_piece(ModelHandle m, int token, byte[] buf, UIntPtr capacity, out UIntPtr size);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_token_find(ModelHandle m, byte[] text, out int token);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_token_type_of(ModelHandle m, int token);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_token_is_special(ModelHandle m, int token);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_token_bos(ModelHandle m);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_token_eos(ModelHandle m);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_token_pad(ModelHandle m);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_token_is_eog(ModelHandle m, int token);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_model_eog_tokens(ModelHandle m, int[] ids, UIntPtr capacity, out UIntPtr n);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_detokenizer_new(ModelHandle m, int flags, out IntPtr detok);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void loom_detokenizer_free(IntPtr detok);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_detokenizer_push(DetokenizerHandle d, int token, byte[] buf, UIntPtr capacity, out UIntPtr size);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_detokenizer_flush(DetokenizerHandle d, byte[] buf, UIntPtr capacity, out UIntPtr size);

        // ---- Chat templates and fill-in-the-middle ----
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_chat_template_kind(ModelHandle m, out int kind);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_chat_apply(ModelHandle m, IntPtr[] roles, IntPtr[] contents, UIntPtr n_messages,
                                                   int flags, byte[] buf, UIntPtr capacity, out UIntPtr size);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_fim_prompt(ModelHandle m, byte[] prefix, byte[] suffix, byte[] buf, UIntPtr capacity,
                                                   out UIntPtr size);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_fim_repo_prompt(ModelHandle m, byte[] repo_name, IntPtr[] paths, IntPtr[] contents,
                                                        UIntPtr n_files, byte[] path, byte[] prefix, byte[] suffix,
                                                        byte[] buf, UIntPtr capacity, out UIntPtr size);

        // ---- Contexts, batches, decoding, KV cache ----
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_context_default_params_sized(ref loom_context_params p, UIntPtr size);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_context_new(ModelHandle m, ref loom_context_params p, out IntPtr ctx);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void loom_context_free(IntPtr ctx);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern uint loom_context_n_ctx(ContextHandle c);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_batch_new(int capacity, out IntPtr batch);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void loom_batch_free(IntPtr batch);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void loom_batch_clear(BatchHandle b);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_batch_add(BatchHandle b, int token, int pos, int seq_id, int want_logits);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_batch_size(BatchHandle b);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_decode(ContextHandle c, BatchHandle b);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_get_logits(ContextHandle c, int i, out IntPtr logits);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_get_embeddings(ContextHandle c, int i, out IntPtr embd);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void loom_kv_clear(ContextHandle c);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_kv_seq_remove(ContextHandle c, int seq_id, int p0, int p1);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_kv_seq_copy(ContextHandle c, int src, int dst, int p0, int p1);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_kv_seq_pos_max(ContextHandle c, int seq_id, out int pos);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_state_save(ContextHandle c, byte[] buf, UIntPtr capacity, out UIntPtr size);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_state_load(ContextHandle c, byte[] buf, UIntPtr size);

        // ---- Sampling ----
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_sampler_new(out IntPtr sampler);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void loom_sampler_free(IntPtr sampler);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_sampler_add_greedy(SamplerHandle s);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_sampler_add_temperature(SamplerHandle s, float t);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_sampler_add_top_k(SamplerHandle s, int k);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_sampler_add_top_p(SamplerHandle s, float p);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_sampler_add_min_p(SamplerHandle s, float p);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_sampler_add_typical(SamplerHandle s, float p);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_sampler_add_penalties(SamplerHandle s, int last_n, float repeat, float frequency, float presence);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_sampler_add_logit_bias(SamplerHandle s, int[] tokens, float[] biases, UIntPtr n);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_sampler_add_dist(SamplerHandle s, ulong seed);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int loom_sampler_accept(SamplerHandle s, int token);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void loom_sampler_reset(SamplerHandle s);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_sampler_sample_logits(SamplerHandle s, float[] logits, int n_vocab, out int token);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int loom_sample(SamplerHandle s, ContextHandle c, int i, out int token);
    }
}
