// Model: tokenizer queries (thread-safe; many threads may tokenize with one model).
using System;
using Loom.Native;

namespace Loom
{
    /// <summary>loom_tokenize flags.</summary>
    [Flags]
    public enum TokenizeFlags
    {
        None = 0,
        /// <summary>Special-token texts ("&lt;|im_start|&gt;") in the input become those tokens.</summary>
        ParseSpecial = 1,
        /// <summary>Skip NFC normalization (llama.cpp's behaviour).</summary>
        NoNfc = 2,
    }

    /// <summary>Token types, numbered as in tokenizer.ggml.token_type.</summary>
    public enum TokenType { Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

    public sealed partial class Model
    {
        /// <summary>Token ids of <paramref name="text"/> (as UTF-8). The default flags
        /// parse special tokens, as the loom CLI does.</summary>
        public int[] Tokenize(string text, TokenizeFlags flags = TokenizeFlags.ParseSpecial) =>
            Tokenize(Utf8.Bytes(text, nameof(text)), flags);

        /// <summary>Token ids of raw bytes (ill-formed UTF-8 reads as U+FFFD, never an error).</summary>
        public int[] Tokenize(byte[] utf8, TokenizeFlags flags = TokenizeFlags.ParseSpecial)
        {
            if (utf8 == null) throw new ArgumentNullException(nameof(utf8));
            // A first guess that fits most text; the exact size otherwise.
            var ids = new int[utf8.Length / 2 + 16];
            UIntPtr n;
            int st = NativeMethods.loom_tokenize(Handle, utf8, (UIntPtr)utf8.Length, (int)flags, ids, (UIntPtr)ids.Length, out n);
            if (st == Buffers.BufferTooSmall)
            {
                ids = new int[checked((int)n.ToUInt64())];
                st = NativeMethods.loom_tokenize(Handle, utf8, (UIntPtr)utf8.Length, (int)flags, ids, (UIntPtr)ids.Length, out n);
            }
            LoomException.Check(st);
            Array.Resize(ref ids, checked((int)n.ToUInt64()));
            return ids;
        }

        /// <summary>The bytes a token stands for. A normal token's bytes may be part
        /// of a UTF-8 character: use a <see cref="Detokenizer"/> to print a stream.</summary>
        public byte[] TokenToPiece(int token) =>
            Buffers.Fill((byte[] buf, UIntPtr cap, out UIntPtr size) =>
                NativeMethods.loom_token_to_piece(Handle, token, buf, cap, out size), 64);

        /// <summary>The token whose text is exactly <paramref name="text"/> (special tokens first).</summary>
        /// <exception cref="LoomException">NotFound: no such token.</exception>
        public int FindToken(string text)
        {
            int token;
            LoomException.Check(NativeMethods.loom_token_find(Handle, Utf8.Z(text, nameof(text)), out token));
            return token;
        }

        public TokenType TokenTypeOf(int token) => (TokenType)NativeMethods.loom_token_type_of(Handle, token);
        public bool IsSpecial(int token) => NativeMethods.loom_token_is_special(Handle, token) != 0;
        /// <summary>tokenizer.ggml.bos_token_id, or -1 when absent.</summary>
        public int BosToken => NativeMethods.loom_token_bos(Handle);
        public int EosToken => NativeMethods.loom_token_eos(Handle);
        public int PadToken => NativeMethods.loom_token_pad(Handle);

        /// <summary>True if <paramref name="token"/> ends a reply (eos, eot, &lt;|im_end|&gt;, ...).</summary>
        public bool IsEndOfGeneration(int token) => NativeMethods.loom_token_is_eog(Handle, token) != 0;

        /// <summary>The end-of-generation ids, ascending.</summary>
        public int[] EndOfGenerationTokens()
        {
            UIntPtr n;
            int st = NativeMethods.loom_model_eog_tokens(Handle, null, UIntPtr.Zero, out n);
            if (st != Buffers.BufferTooSmall) LoomException.Check(st);
            var ids = new int[checked((int)n.ToUInt64())];
            if (ids.Length > 0) LoomException.Check(NativeMethods.loom_model_eog_tokens(Handle, ids, (UIntPtr)ids.Length, out n));
            return ids;
        }
    }
}
