// Sampler chains built with SamplerBuilder pick what loom.h says they pick,
// checked against argmax computed here; embeddings come out when asked for.
using System;
using System.Collections.Generic;
using System.Linq;

namespace Loom.Tests
{
    static class SamplerTests
    {
        static int Argmax(float[] v, int except = -1)
        {
            int best = -1;
            for (int i = 0; i < v.Length; i++)
                if (i != except && (best < 0 || v[i] > v[best])) best = i;
            return best;
        }

        static float[] PromptLogits(out Context ctx)
        {
            ctx = new Context(Fixture.Model, new ContextOptions { NCtx = 64 });
            ctx.DecodePrompt(Fixture.Model.Tokenize("Sampling test"));
            return ctx.GetLogits();
        }

        [Test]
        public static void greedy_and_logit_bias_pick_the_expected_tokens()
        {
            Context ctx;
            float[] logits = PromptLogits(out ctx);
            using (ctx)
            using (var greedy = Sampler.Greedy())
            {
                int top = Argmax(logits);
                Assert.Equal(top, greedy.Sample(logits), "greedy over an array");
                Assert.Equal(top, greedy.Sample(ctx), "greedy over the context's logits");
                var ban = new Dictionary<int, float> { [top] = float.NegativeInfinity };
                using (var banned = new SamplerBuilder().LogitBias(ban).Greedy().Build())
                    Assert.Equal(Argmax(logits, top), banned.Sample(ctx), "greedy with the top token banned");
            }
        }

        [Test]
        public static void seeded_chains_repeat_their_draws()
        {
            Context ctx;
            float[] logits = PromptLogits(out ctx);
            using (ctx)
            {
                Func<int[]> draws = () =>
                {
                    using (var s = new SamplerBuilder().Penalties(64, 1.1f).TopK(50).TopP(0.9f).MinP(0.01f).Typical(0.95f)
                                                       .Temperature(1.5f).Dist(1234).Build())
                        return Enumerable.Range(0, 20).Select(_ => { int t = s.Sample(logits); s.Accept(t); return t; }).ToArray();
                };
                int[] a = draws(), b = draws();
                Assert.SequenceEqual(a, b, "the same seed and chain draw the same tokens");
                Assert.True(a.Distinct().Count() > 1, "a temperature-1.5 draw is not constant: " + string.Join(",", a));
            }
        }

        [Test]
        public static void embeddings_only_when_asked_for()
        {
            int[] ids = Fixture.Model.Tokenize("Embed me");
            using (var plain = new Context(Fixture.Model, new ContextOptions { NCtx = 64 }))
            {
                plain.DecodePrompt(ids);
                var e = Assert.Throws<LoomException>(() => plain.GetEmbeddings(), "embeddings without the option");
                Assert.Equal(LoomStatus.NotFound, e.Status, "status");
            }
            using (var ctx = new Context(Fixture.Model, new ContextOptions { NCtx = 64, Embeddings = true }))
            {
                ctx.DecodePrompt(ids);
                float[] embd = ctx.GetEmbeddings();
                Assert.Equal(Fixture.Model.NEmbd, embd.Length, "n_embd values");
                Assert.True(embd.All(x => !float.IsNaN(x) && !float.IsInfinity(x)) && embd.Any(x => x != 0), "finite, not all zero");
            }
        }
    }
}
