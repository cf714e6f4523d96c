// Context: an inference state (KV cache, work buffers, worker threads) over a
// shared Model. One thread at a time; many Contexts may share one Model.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;
using Loom.Native;

namespace Loom
{
    /// <summary>How quantized matmuls treat activations (loom_matmul_precision).</summary>
    public enum MatmulPrecision { Exact = 0, Fast = 1 }

    /// <summary>Options of a <see cref="Context"/>; null members keep loom's defaults.</summary>
    public sealed class ContextOptions
    {
        /// <summary>KV cache cells; default min(4096, training length).</summary>
        public uint? NCtx { get; set; }
        /// <summary>Most tokens one decode may carry; default 512 (at most NCtx).</summary>
        public uint? NBatch { get; set; }
        /// <summary>Distinct sequence ids allowed; default 1.</summary>
        public uint? NSeqMax { get; set; }
        /// <summary>CPU threads; default: the number of cores, at most 8.</summary>
        public int? NThreads { get; set; }
        /// <summary>Keep the last hidden state per output (<see cref="Context.GetEmbeddings"/>).</summary>
        public bool Embeddings { get; set; }
        public MatmulPrecision? MatmulPrecision { get; set; }
    }

    public sealed partial class Context : IDisposable
    {
        internal readonly ContextHandle Handle = new ContextHandle();
        private readonly AbortState _abort = new AbortState();

        /// <summary>The model this context runs (kept alive while the context lives).</summary>
        public Model Model { get; }

        /// <summary>Most tokens one <see cref="Decode"/> may carry.</summary>
        public int NBatch { get; }

        /// <exception cref="LoomException">InvalidArgument (bad options, vocab-only model),
        /// Unsupported, OutOfMemory, Backend.</exception>
        public Context(Model model, ContextOptions options = null)
        {
            Model = model ?? throw new ArgumentNullException(nameof(model));
            options = options ?? new ContextOptions();
            var p = new loom_context_params();
            LoomException.Check(NativeMethods.loom_context_default_params_sized(ref p, (UIntPtr)Marshal.SizeOf<loom_context_params>()));
            p.n_ctx = options.NCtx ?? p.n_ctx;
            p.n_batch = options.NBatch ?? p.n_batch;
            p.n_seq_max = options.NSeqMax ?? p.n_seq_max;
            p.n_threads = options.NThreads ?? p.n_threads;
            p.embeddings = options.Embeddings ? 1 : 0;
            p.matmul_precision = (int?)options.MatmulPrecision ?? p.matmul_precision;
            p.abort_callback = AbortState.ThunkPointer;

            Handle.Bind(model.Handle);
            Handle.AbortState = GCHandle.Alloc(_abort);
            p.abort_user_data = GCHandle.ToIntPtr(Handle.AbortState);
            IntPtr ctx;
            int st = NativeMethods.loom_context_new(model.Handle, ref p, out ctx);
            if (st != 0)
            {
                LoomException e = LoomException.FromLastError(st);
                Handle.AbortState.Free();
                Handle.Unbind();
                throw e;
            }
            Handle.Adopt(ctx);
            uint n_ctx = NCtx;
            NBatch = (int)Math.Min(p.n_batch, n_ctx);
        }

        /// <summary>KV capacity in tokens.</summary>
        public uint NCtx => NativeMethods.loom_context_n_ctx(Handle);

        /// <summary>Runs the model over every entry of <paramref name="batch"/>. Cancelling
        /// <paramref name="cancellationToken"/> stops the decode between two ops (loom's
        /// abort callback) with an OperationCanceledException; the KV cache is then as
        /// before the call.</summary>
        /// <exception cref="LoomException">InvalidArgument, ContextFull, Backend.</exception>
        public void Decode(Batch batch, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (batch == null) throw new ArgumentNullException(nameof(batch));
            cancellationToken.ThrowIfCancellationRequested();
            _abort.Token = cancellationToken;
            int st;
            try
            {
                st = NativeMethods.loom_decode(Handle, batch.Handle);
            }
            finally
            {
                _abort.Token = CancellationToken.None;
            }
            if (st == 0) return;
            LoomException e = LoomException.FromLastError(st);
            if (e.Status == LoomStatus.Cancelled && cancellationToken.IsCancellationRequested)
                throw new OperationCanceledException(e.Message, e, cancellationToken);
            throw e;
        }

        /// <summary>A copy of the logits (NVocab floats) of batch entry <paramref name="i"/>
        /// of the last decode; -1: the last entry that asked for logits.</summary>
        /// <exception cref="LoomException">NotFound: entry i did not ask for logits.</exception>
        public float[] GetLogits(int i = -1)
        {
            IntPtr p;
            LoomException.Check(NativeMethods.loom_get_logits(Handle, i, out p));
            return CopyFloats(p, Model.NVocab);
        }

        /// <summary>A copy of the last hidden state (NEmbd floats) of batch entry
        /// <paramref name="i"/>; needs <see cref="ContextOptions.Embeddings"/>.</summary>
        public float[] GetEmbeddings(int i = -1)
        {
            IntPtr p;
            LoomException.Check(NativeMethods.loom_get_embeddings(Handle, i, out p));
            return CopyFloats(p, Model.NEmbd);
        }

        private static float[] CopyFloats(IntPtr p, int n)
        {
            var values = new float[n];
            Marshal.Copy(p, values, 0, n);
            return values;
        }

        /// <summary>Drops every cached token of every sequence.</summary>
        public void KvClear() => NativeMethods.loom_kv_clear(Handle);

        /// <summary>Drops positions [p0, p1) of a sequence (seqId &lt; 0: all; p1 &lt; 0: to the end).</summary>
        public void KvSeqRemove(int seqId, int p0, int p1 = -1) =>
            LoomException.Check(NativeMethods.loom_kv_seq_remove(Handle, seqId, p0, p1));

        /// <summary>Makes positions [p0, p1) of <paramref name="src"/> also belong to <paramref name="dst"/>.</summary>
        public void KvSeqCopy(int src, int dst, int p0, int p1 = -1) =>
            LoomException.Check(NativeMethods.loom_kv_seq_copy(Handle, src, dst, p0, p1));

        /// <summary>Highest cached position of a sequence, -1 if it is empty.</summary>
        public int KvSeqPosMax(int seqId = 0)
        {
            int pos;
            LoomException.Check(NativeMethods.loom_kv_seq_pos_max(Handle, seqId, out pos));
            return pos;
        }

        /// <summary>The context's state (KV cache and last logits) as bytes, for
        /// <see cref="LoadState"/> on a context of the same model and shape.</summary>
        public byte[] SaveState() =>
            Buffers.Fill((byte[] buf, UIntPtr cap, out UIntPtr size) => NativeMethods.loom_state_save(Handle, buf, cap, out size), 0);

        /// <summary>Restores a state from <see cref="SaveState"/>; on error the context is unchanged.</summary>
        /// <exception cref="LoomException">Format: not a loom state, or one of another model or shape.</exception>
        public void LoadState(byte[] state)
        {
            if (state == null) throw new ArgumentNullException(nameof(state));
            LoomException.Check(NativeMethods.loom_state_load(Handle, state, (UIntPtr)state.Length));
        }

        /// <summary>Frees the context (and releases its hold on the model).</summary>
        public void Dispose() => Handle.Dispose();

        // The abort callback's state: the token of the decode in flight. The
        // thunk is one static delegate (alive for the process, so never
        // collected while a context can call it); each context passes its own
        // state through abort_user_data (a GCHandle freed with the context).
        internal sealed class AbortState
        {
            internal CancellationToken Token;
            internal Action OnCheck; // a test hook, run at each abort check

            private static readonly loom_abort_fn Thunk = OnAbortCheck;
            internal static readonly IntPtr ThunkPointer = Marshal.GetFunctionPointerForDelegate(Thunk);

            private static int OnAbortCheck(IntPtr user)
            {
                var s = (AbortState)GCHandle.FromIntPtr(user).Target;
                try
                {
                    s.OnCheck?.Invoke();
                }
                catch (Exception) // nothing may unwind through native frames
                {
                    return 1;
                }
                return s.Token.IsCancellationRequested ? 1 : 0;
            }
        }

        internal AbortState Abort => _abort;
    }
}
