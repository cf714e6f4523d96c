// A saved state restores a context: the same logits and the same continuation.
using System;
using System.Linq;

namespace Loom.Tests
{
    static class StateTests
    {
        [Test]
        public static void saved_state_restores_logits_and_continuation()
        {
            var options = new ContextOptions { NCtx = 128 };
            byte[] state;
            float[] logits;
            string continuation;
            using (var ctx = new Context(Fixture.Model, options))
            using (var sampler = Sampler.Greedy())
            {
                ctx.DecodePrompt(Fixture.Model.Tokenize("The loom weaves"));
                logits = ctx.GetLogits();
                state = ctx.SaveState();
                continuation = string.Concat(ctx.Generate(sampler, 8));
            }
            using (var ctx = new Context(Fixture.Model, options))
            using (var sampler = Sampler.Greedy())
            {
                ctx.LoadState(state);
                Assert.SequenceEqual(logits, ctx.GetLogits(), "restored logits");
                Assert.Equal(continuation, string.Concat(ctx.Generate(sampler, 8)), "continuation after restore");

                byte[] bad = state.ToArray();
                bad[0] ^= 0xff;
                var e = Assert.Throws<LoomException>(() => ctx.LoadState(bad), "a state with a broken magic");
                Assert.Equal(LoomStatus.Format, e.Status, "status");
            }
        }
    }
}
