// Batch: the (token, position, sequence, want-logits) entries of one decode.
using System;
using Loom.Native;

namespace Loom
{
    /// <summary>A list of tokens to decode; at most <see cref="Capacity"/> entries.
    /// One thread at a time.</summary>
    public sealed class Batch : IDisposable
    {
        internal readonly BatchHandle Handle = new BatchHandle();

        public int Capacity { get; }

        /// <exception cref="LoomException">InvalidArgument (capacity &lt; 1), OutOfMemory.</exception>
        public Batch(int capacity)
        {
            IntPtr p;
            LoomException.Check(NativeMethods.loom_batch_new(capacity, out p));
            Handle.Adopt(p);
            Capacity = capacity;
        }

        /// <summary>Appends one entry; <paramref name="wantLogits"/>: compute its logits.</summary>
        /// <exception cref="LoomException">InvalidArgument (negative pos or seq), BufferTooSmall (full).</exception>
        public void Add(int token, int pos, int seqId = 0, bool wantLogits = false) =>
            LoomException.Check(NativeMethods.loom_batch_add(Handle, token, pos, seqId, wantLogits ? 1 : 0));

        /// <summary>Empties the batch (keeps its capacity).</summary>
        public void Clear() => NativeMethods.loom_batch_clear(Handle);

        public int Count => NativeMethods.loom_batch_size(Handle);

        public void Dispose() => Handle.Dispose();
    }
}
