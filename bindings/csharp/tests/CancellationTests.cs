// A CancellationToken stops a decode through loom's abort callback: the call
// throws OperationCanceledException (its inner LoomException has status
// Cancelled and loom's message) and the KV cache is as before the call.
using System;
using System.Linq;
using System.Threading;

namespace Loom.Tests
{
    static class CancellationTests
    {
        static int[] LongPrompt() =>
            Fixture.Model.Tokenize(string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 24)));

        // Abort checks of one uncancelled decode of `tokens`.
        static int ChecksOfFullDecode(int[] tokens)
        {
            using (var ctx = new Context(Fixture.Model, new ContextOptions { NCtx = 512 }))
            {
                int checks = 0;
                ctx.Abort.OnCheck = () => checks++;
                ctx.DecodePrompt(tokens);
                return checks;
            }
        }

        [Test]
        public static void cancel_mid_prompt_throws_operation_canceled_and_keeps_the_cache()
        {
            int[] tokens = LongPrompt();
            int full = ChecksOfFullDecode(tokens);
            Assert.True(full > 10, "a decode checks for abort between ops: " + full);
            float[] expected;
            using (var ctx = new Context(Fixture.Model, new ContextOptions { NCtx = 512 }))
            {
                ctx.DecodePrompt(tokens);
                expected = ctx.GetLogits();
            }

            using (var ctx = new Context(Fixture.Model, new ContextOptions { NCtx = 512 }))
            using (var cts = new CancellationTokenSource())
            {
                // At the fifth abort check, in the middle of the prompt's decode, another
                // thread cancels (joined before the check reads the token).
                int checks = 0;
                ctx.Abort.OnCheck = () =>
                {
                    if (++checks != 5) return;
                    var canceller = new Thread(cts.Cancel);
                    canceller.Start();
                    canceller.Join();
                };
                var e = Assert.Throws<OperationCanceledException>(() => ctx.DecodePrompt(tokens, null, cts.Token), "cancelled decode");
                Assert.Equal(cts.Token, e.CancellationToken, "the exception carries the token");
                var inner = e.InnerException as LoomException;
                Assert.True(inner != null && inner.Status == LoomStatus.Cancelled, "inner LoomException with status Cancelled: " + e.InnerException);
                Assert.True(checks == 5, $"the decode stopped at the check that saw the cancellation ({checks} of {full})");
                Assert.Equal(-1, ctx.KvSeqPosMax(0), "the cache is as before the cancelled decode");

                // The context is usable afterwards and gives the uncancelled result.
                ctx.Abort.OnCheck = null;
                ctx.DecodePrompt(tokens);
                Assert.SequenceEqual(expected, ctx.GetLogits(), "logits after a cancelled decode");
            }
        }

        [Test]
        public static void cancel_from_another_thread_stops_generation()
        {
            using (var ctx = new Context(Fixture.Model, new ContextOptions { NCtx = 256 }))
            using (var sampler = Sampler.Greedy())
            using (var cts = new CancellationTokenSource())
            {
                ctx.DecodePrompt(Fixture.Model.Tokenize("Hello"), sampler);
                int pieces = 0;
                Assert.Throws<OperationCanceledException>(() =>
                {
                    foreach (string piece in ctx.Generate(sampler, 200, cts.Token))
                    {
                        if (++pieces < 3) continue;
                        var canceller = new Thread(cts.Cancel);
                        canceller.Start();
                        canceller.Join();
                    }
                }, "generation cancelled from another thread");
                Assert.Equal(3, pieces, "no piece after the cancellation");
            }
        }

        [Test]
        public static void cancelled_token_throws_before_decoding()
        {
            using (var ctx = new Context(Fixture.Model, new ContextOptions { NCtx = 64 }))
            using (var batch = new Batch(1))
            {
                batch.Add(Fixture.Model.Tokenize("Hi")[0], 0, 0, true);
                Assert.Throws<OperationCanceledException>(() => ctx.Decode(batch, new CancellationToken(true)), "pre-cancelled token");
                Assert.Equal(-1, ctx.KvSeqPosMax(0), "nothing decoded");
            }
        }

        [Test]
        public static void cancelled_load_throws_operation_canceled()
        {
            using (var cts = new CancellationTokenSource())
            {
                float seen = -1;
                var options = new ModelOptions { Progress = f => { seen = f; cts.Cancel(); } };
                Assert.Throws<OperationCanceledException>(() => Model.Load(Fixture.ModelPath, options, cts.Token), "cancelled load");
                Assert.True(seen >= 0 && seen <= 1, "progress was reported: " + seen);
            }
        }
    }
}
