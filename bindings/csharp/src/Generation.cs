// Context: prompt decoding and text generation, the loop of `loom run`
// (examples/loom/generate.cpp): sample, accept, stop at end-of-generation,
// print the token's complete UTF-8, decode it at the next position.
using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Loom
{
    public sealed partial class Context
    {
        /// <summary>Decodes <paramref name="tokens"/> in sequence 0 after what the cache
        /// holds, in chunks of <see cref="NBatch"/>, with logits for the last token only.
        /// Each token is first accepted into <paramref name="sampler"/> when given (its
        /// penalty window then sees the prompt, as loom run does).</summary>
        public void DecodePrompt(IReadOnlyList<int> tokens, Sampler sampler = null,
                                 CancellationToken cancellationToken = default(CancellationToken))
        {
            if (tokens == null) throw new ArgumentNullException(nameof(tokens));
            if (sampler != null)
                foreach (int t in tokens) sampler.Accept(t);
            int start = KvSeqPosMax(0) + 1;
            using (var batch = new Batch(NBatch))
            {
                for (int i = 0; i < tokens.Count; i += NBatch)
                {
                    batch.Clear();
                    int end = Math.Min(i + NBatch, tokens.Count);
                    for (int j = i; j < end; j++) batch.Add(tokens[j], start + j, 0, j + 1 == tokens.Count);
                    Decode(batch, cancellationToken);
                }
            }
        }

        /// <summary>Generates up to <paramref name="maxTokens"/> tokens (negative: until
        /// end-of-generation or a full cache) after the last decode, and yields the
        /// text as it completes: raw bytes, each piece whole UTF-8 characters (bytes
        /// that can never be UTF-8 pass through unchanged). Stops at an
        /// end-of-generation token (not printed, not decoded). Lazy: nothing runs
        /// until enumerated; cancellation is checked before each token and inside
        /// each decode.</summary>
        public IEnumerable<byte[]> GenerateBytes(Sampler sampler, int maxTokens,
                                                 CancellationToken cancellationToken = default(CancellationToken))
        {
            if (sampler == null) throw new ArgumentNullException(nameof(sampler));
            return GenerateIterator(sampler, maxTokens, cancellationToken);
        }

        private IEnumerable<byte[]> GenerateIterator(Sampler sampler, int maxTokens, CancellationToken ct)
        {
            using (var detok = new Detokenizer(Model))
            using (var batch = new Batch(1))
            {
                int nPast = KvSeqPosMax(0) + 1;
                uint nCtx = NCtx;
                for (int n = 0; maxTokens < 0 || n < maxTokens; n++)
                {
                    ct.ThrowIfCancellationRequested();
                    int token = sampler.Sample(this);
                    sampler.Accept(token);
                    if (Model.IsEndOfGeneration(token)) break;
                    byte[] piece = detok.PushBytes(token);
                    if (piece.Length > 0) yield return piece;
                    if ((uint)nPast >= nCtx) break; // the cache is full: stop here
                    batch.Clear();
                    batch.Add(token, nPast, 0, true);
                    Decode(batch, ct);
                    nPast++;
                }
                byte[] tail = detok.FlushBytes();
                if (tail.Length > 0) yield return tail;
            }
        }

        /// <summary><see cref="GenerateBytes"/> as text pieces (a piece that is not
        /// UTF-8 reads as U+FFFD; use GenerateBytes to keep such bytes).</summary>
        public IEnumerable<string> Generate(Sampler sampler, int maxTokens,
                                            CancellationToken cancellationToken = default(CancellationToken))
        {
            foreach (byte[] piece in GenerateBytes(sampler, maxTokens, cancellationToken))
                yield return Utf8.Decode(piece, piece.Length);
        }

        /// <summary>Task-based streaming (IAsyncEnumerable needs C# 8 and, on
        /// netstandard2.0, Microsoft.Bcl.AsyncInterfaces): runs <see cref="Generate"/>
        /// on a thread-pool thread, reports each piece to <paramref name="onPiece"/>
        /// (may be null) and returns the whole text. Do not touch the context until
        /// the task completes.</summary>
        public Task<string> GenerateAsync(Sampler sampler, int maxTokens, IProgress<string> onPiece = null,
                                          CancellationToken cancellationToken = default(CancellationToken))
        {
            if (sampler == null) throw new ArgumentNullException(nameof(sampler));
            return Task.Run(() =>
            {
                var text = new StringBuilder();
                foreach (string piece in Generate(sampler, maxTokens, cancellationToken))
                {
                    text.Append(piece);
                    onPiece?.Report(piece);
                }
                return text.ToString();
            }, cancellationToken);
        }
    }
}
