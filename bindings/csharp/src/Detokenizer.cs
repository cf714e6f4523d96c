// Detokenizer: generated ids to text, one complete UTF-8 character at a time.
using System;
using Loom.Native;

namespace Loom
{
    /// <summary>Streams token ids to text: each push gives only complete UTF-8
    /// characters (a token ending inside one is held back until the next completes
    /// it); bytes that can never form UTF-8 pass through at once. Everything pushed
    /// plus the flush is byte for byte the tokens' pieces. One thread at a time.</summary>
    public sealed class Detokenizer : IDisposable
    {
        internal readonly DetokenizerHandle Handle = new DetokenizerHandle();

        /// <param name="renderSpecial">Emit special tokens' text ("&lt;|im_end|&gt;");
        /// default: nothing for them.</param>
        public Detokenizer(Model model, bool renderSpecial = false)
        {
            if (model == null) throw new ArgumentNullException(nameof(model));
            Handle.Bind(model.Handle);
            IntPtr p;
            int st = NativeMethods.loom_detokenizer_new(model.Handle, renderSpecial ? 1 : 0, out p);
            if (st != 0)
            {
                LoomException e = LoomException.FromLastError(st);
                Handle.Unbind();
                throw e;
            }
            Handle.Adopt(p);
        }

        /// <summary>Adds a token; returns the bytes now complete (possibly none).</summary>
        // 256 bytes: a piece is at most 128 bytes (Qwen vocabularies) plus 3 held back.
        public byte[] PushBytes(int token) =>
            Buffers.Fill((byte[] buf, UIntPtr cap, out UIntPtr size) => NativeMethods.loom_detokenizer_push(Handle, token, buf, cap, out size), 256);

        /// <summary>End of stream: the held-back bytes (0 to 3); resets for a new stream.</summary>
        public byte[] FlushBytes() =>
            Buffers.Fill((byte[] buf, UIntPtr cap, out UIntPtr size) => NativeMethods.loom_detokenizer_flush(Handle, buf, cap, out size), 256);

        /// <summary><see cref="PushBytes"/> as text (bytes that are not UTF-8 become U+FFFD).</summary>
        public string Push(int token)
        {
            byte[] b = PushBytes(token);
            return Utf8.Decode(b, b.Length);
        }

        public string Flush()
        {
            byte[] b = FlushBytes();
            return Utf8.Decode(b, b.Length);
        }

        public void Dispose() => Handle.Dispose();
    }
}
