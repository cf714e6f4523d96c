// Sampler: a chain of stages that picks the next token from logits, built
// with SamplerBuilder (stages run in the order they are added).
using System;
using System.Collections.Generic;
using System.Linq;
using Loom.Native;

namespace Loom
{
    /// <summary>Builds a <see cref="Sampler"/>. Arguments are checked by loom when
    /// <see cref="Build"/> runs (a LoomException names the bad one).</summary>
    public sealed class SamplerBuilder
    {
        private readonly List<Func<SamplerHandle, int>> _stages = new List<Func<SamplerHandle, int>>();

        private SamplerBuilder Add(Func<SamplerHandle, int> stage)
        {
            _stages.Add(stage);
            return this;
        }

        /// <summary>Repetition penalties over the last <paramref name="lastN"/> accepted tokens.</summary>
        public SamplerBuilder Penalties(int lastN, float repeat, float frequency = 0f, float presence = 0f) =>
            Add(h => NativeMethods.loom_sampler_add_penalties(h, lastN, repeat, frequency, presence));
        public SamplerBuilder TopK(int k) => Add(h => NativeMethods.loom_sampler_add_top_k(h, k));
        public SamplerBuilder TopP(float p) => Add(h => NativeMethods.loom_sampler_add_top_p(h, p));
        public SamplerBuilder MinP(float p) => Add(h => NativeMethods.loom_sampler_add_min_p(h, p));
        public SamplerBuilder Typical(float p) => Add(h => NativeMethods.loom_sampler_add_typical(h, p));
        public SamplerBuilder Temperature(float t) => Add(h => NativeMethods.loom_sampler_add_temperature(h, t));

        /// <summary>Adds a bias to the logits of the given tokens (-infinity bans a token).</summary>
        public SamplerBuilder LogitBias(IDictionary<int, float> biases)
        {
            int[] tokens = biases.Keys.ToArray();
            float[] values = tokens.Select(t => biases[t]).ToArray();
            return Add(h => NativeMethods.loom_sampler_add_logit_bias(h, tokens, values, (UIntPtr)tokens.Length));
        }

        /// <summary>Pick stage: the highest logit. Must come last.</summary>
        public SamplerBuilder Greedy() => Add(NativeMethods.loom_sampler_add_greedy);

        /// <summary>Pick stage: a seeded draw (the same on every platform). Must come last.</summary>
        public SamplerBuilder Dist(ulong seed) => Add(h => NativeMethods.loom_sampler_add_dist(h, seed));

        /// <summary>Creates the native chain.</summary>
        /// <exception cref="LoomException">InvalidArgument: an argument out of range or a
        /// stage after a pick stage.</exception>
        public Sampler Build()
        {
            var sampler = new Sampler();
            try
            {
                foreach (var stage in _stages) LoomException.Check(stage(sampler.Handle));
            }
            catch
            {
                sampler.Dispose();
                throw;
            }
            return sampler;
        }
    }

    /// <summary>A sampler chain. One thread at a time.</summary>
    public sealed class Sampler : IDisposable
    {
        internal readonly SamplerHandle Handle = new SamplerHandle();

        internal Sampler()
        {
            IntPtr p;
            LoomException.Check(NativeMethods.loom_sampler_new(out p));
            Handle.Adopt(p);
        }

        /// <summary>A chain that always picks the highest logit (loom run --temp 0).</summary>
        public static Sampler Greedy() => new SamplerBuilder().Greedy().Build();

        /// <summary>Records a token as generated or as prompt (feeds the penalty windows).</summary>
        public void Accept(int token) => LoomException.Check(NativeMethods.loom_sampler_accept(Handle, token));

        /// <summary>Forgets accepted tokens and reseeds, as if the chain were new.</summary>
        public void Reset() => NativeMethods.loom_sampler_reset(Handle);

        /// <summary>Picks from the logits of batch entry <paramref name="i"/> of the context's
        /// last decode (-1: the last entry with logits). Does not accept the token.</summary>
        public int Sample(Context context, int i = -1)
        {
            int token;
            LoomException.Check(NativeMethods.loom_sample(Handle, context.Handle, i, out token));
            return token;
        }

        /// <summary>Picks from <paramref name="logits"/> (not modified).</summary>
        public int Sample(float[] logits)
        {
            if (logits == null) throw new ArgumentNullException(nameof(logits));
            int token;
            LoomException.Check(NativeMethods.loom_sampler_sample_logits(Handle, logits, logits.Length, out token));
            return token;
        }

        public void Dispose() => Handle.Dispose();
    }
}
