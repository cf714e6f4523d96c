// Model: a loaded GGUF model (weights, tokenizer, chat template). Immutable
// once loaded: share one Model between any number of threads and Contexts.
using System;
using System.Runtime.InteropServices;
using System.Threading;
using Loom.Native;

namespace Loom
{
    /// <summary>Which compute backend runs a model (loom_backend_kind).</summary>
    public enum Backend { Auto = 0, Cpu = 1, Vulkan = 2 }

    /// <summary>Options of <see cref="Model.Load"/>; unset members keep loom's defaults.</summary>
    public sealed class ModelOptions
    {
        /// <summary>Map the file (default) or read it into memory.</summary>
        public bool UseMmap { get; set; } = true;
        public Backend Backend { get; set; } = Backend.Auto;
        /// <summary>Backend device, -1 (default): the backend's choice.</summary>
        public int DeviceIndex { get; set; } = -1;
        /// <summary>Load only metadata and tokenizer (no weights; no Context possible).</summary>
        public bool VocabOnly { get; set; }
        /// <summary>Read every CPU weight in place from the file mapping (llama.cpp's
        /// --no-repack): pages shared with other processes, slower decode. Default
        /// false: the CPU copies the weights into its own (huge-page) memory where they fit.</summary>
        public bool WeightsInPlace { get; set; }
        /// <summary>Threads that copy the CPU weights at load (the loading thread
        /// included; started and stopped within the load). Default 0: the cores,
        /// at most 8; 1: the loading thread alone.</summary>
        public int LoadThreads { get; set; }
        /// <summary>Called on the loading thread with the fraction loaded, 0 to 1.</summary>
        public Action<float> Progress { get; set; }
    }

    public sealed partial class Model : IDisposable
    {
        private readonly ModelHandle _handle;
        private volatile bool _disposed;

        private Model(ModelHandle handle) { _handle = handle; }

        // Checked here, not only by the SafeHandle: while Contexts hold references
        // Mono's SafeHandle stays open after Dispose, .NET's does not.
        internal ModelHandle Handle
        {
            get
            {
                if (_disposed) throw new ObjectDisposedException(nameof(Model));
                return _handle;
            }
        }

        /// <summary>Loads the GGUF model at <paramref name="path"/>. Cancelling
        /// <paramref name="cancellationToken"/> stops the load at the next progress
        /// step with an OperationCanceledException.</summary>
        /// <exception cref="LoomException">Io (cannot open or read), Format (not a valid
        /// GGUF model), Unsupported, OutOfMemory, Backend.</exception>
        public static Model Load(string path, ModelOptions options = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] zpath = Utf8.Z(path, nameof(path));
            options = options ?? new ModelOptions();
            var p = new loom_model_params();
            LoomException.Check(NativeMethods.loom_model_default_params_sized(ref p, (UIntPtr)Marshal.SizeOf<loom_model_params>()));
            p.use_mmap = options.UseMmap ? 1 : 0;
            p.backend = (int)options.Backend;
            p.device_index = options.DeviceIndex;
            p.vocab_only = options.VocabOnly ? 1 : 0;
            p.weights_in_place = options.WeightsInPlace ? 1 : 0;
            p.n_threads = options.LoadThreads;

            var load = new LoadState { Progress = options.Progress, Token = cancellationToken };
            GCHandle state = GCHandle.Alloc(load);
            try
            {
                if (options.Progress != null || cancellationToken.CanBeCanceled)
                {
                    p.progress = LoadState.ThunkPointer;
                    p.progress_user_data = GCHandle.ToIntPtr(state);
                }
                var handle = new ModelHandle();
                IntPtr model;
                int st = NativeMethods.loom_model_load(zpath, ref p, out model);
                if (st != 0)
                {
                    LoomException e = LoomException.FromLastError(st);
                    if (load.Failure != null) throw load.Failure;
                    if (st == (int)LoomStatus.Cancelled && cancellationToken.IsCancellationRequested)
                        throw new OperationCanceledException(e.Message, e, cancellationToken);
                    throw e;
                }
                handle.Adopt(model);
                return new Model(handle);
            }
            finally
            {
                state.Free();
            }
        }

        // The progress callback's state for one load; the thunk is static so
        // the delegate lives as long as the process (never collected mid-call).
        private sealed class LoadState
        {
            internal Action<float> Progress;
            internal CancellationToken Token;
            internal Exception Failure;   // thrown by Progress: rethrown after the load

            private static readonly loom_progress_fn Thunk = OnProgress;
            internal static readonly IntPtr ThunkPointer = Marshal.GetFunctionPointerForDelegate(Thunk);

            private static int OnProgress(IntPtr user, float fraction)
            {
                var s = (LoadState)GCHandle.FromIntPtr(user).Target;
                try
                {
                    s.Progress?.Invoke(fraction);
                }
                catch (Exception e) // an exception must not unwind through native frames
                {
                    s.Failure = e;
                    return 1;
                }
                return s.Token.IsCancellationRequested ? 1 : 0;
            }
        }

        /// <summary>Frees the model once every Context and Detokenizer made from it is
        /// disposed too (they keep it alive until then).</summary>
        public void Dispose()
        {
            _disposed = true;
            _handle.Dispose();
        }

        /// <summary>Vocabulary size (logits per position).</summary>
        public int NVocab => NativeMethods.loom_model_n_vocab(Handle);
        /// <summary>Hidden size; 0 for a vocab-only model.</summary>
        public int NEmbd => NativeMethods.loom_model_n_embd(Handle);
        public int NLayer => NativeMethods.loom_model_n_layer(Handle);
        /// <summary>Training context length from the metadata; 0 if unknown.</summary>
        public int NCtxTrain => NativeMethods.loom_model_n_ctx_train(Handle);
        /// <summary>"cpu", "vulkan", "vulkan+cpu" (a partial offload), or "none" for a vocab-only model.</summary>
        public string BackendName => Utf8.FromNative(NativeMethods.loom_model_backend_name(Handle));
    }
}
