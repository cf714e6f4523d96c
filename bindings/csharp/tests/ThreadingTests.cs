// One Model shared by threads and tasks, each with its own Context, gives the
// same tokens as running them one at a time.
using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Loom.Tests
{
    static class ThreadingTests
    {
        static readonly string[] Prompts = { "Once upon a time", "def fibonacci(n):", "Le café est", "1, 2, 3," };
        const int N = 16;

        static string Greedy(string prompt)
        {
            using (var ctx = new Context(Fixture.Model, new ContextOptions { NCtx = 128, NThreads = 1 }))
            using (var sampler = Sampler.Greedy())
            {
                ctx.DecodePrompt(Fixture.Model.Tokenize(prompt), sampler);
                return string.Concat(ctx.Generate(sampler, N));
            }
        }

        [Test]
        public static void threads_with_own_contexts_match_sequential_runs()
        {
            string[] sequential = Prompts.Select(Greedy).ToArray();
            var parallel = new string[Prompts.Length];
            var errors = new Exception[Prompts.Length];
            var threads = Enumerable.Range(0, Prompts.Length).Select(i => new Thread(() =>
            {
                try { parallel[i] = Greedy(Prompts[i]); }
                catch (Exception e) { errors[i] = e; }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            for (int i = 0; i < Prompts.Length; i++)
            {
                Assert.Equal(null, errors[i], "thread " + i + " error");
                Assert.Equal(sequential[i], parallel[i], "text of thread " + i);
            }
        }

        [Test]
        public static void tasks_with_generate_async_match_sequential_runs()
        {
            string[] sequential = Prompts.Select(Greedy).ToArray();
            var contexts = Prompts.Select(_ => new Context(Fixture.Model, new ContextOptions { NCtx = 128, NThreads = 1 })).ToArray();
            var samplers = Prompts.Select(_ => Sampler.Greedy()).ToArray();
            var pieces = Prompts.Select(_ => new Pieces()).ToArray();
            try
            {
                var tasks = Prompts.Select((p, i) =>
                {
                    contexts[i].DecodePrompt(Fixture.Model.Tokenize(p), samplers[i]);
                    return contexts[i].GenerateAsync(samplers[i], N, pieces[i]);
                }).ToArray();
                Task.WaitAll(tasks);
                for (int i = 0; i < Prompts.Length; i++)
                {
                    Assert.Equal(sequential[i], tasks[i].Result, "text of task " + i);
                    Assert.Equal(sequential[i], pieces[i].Text.ToString(), "pieces reported by task " + i);
                }
            }
            finally
            {
                foreach (var c in contexts) c.Dispose();
                foreach (var s in samplers) s.Dispose();
            }
        }

        // Collects reported pieces in order (Progress<T> would post them to the thread pool).
        sealed class Pieces : IProgress<string>
        {
            public readonly System.Text.StringBuilder Text = new System.Text.StringBuilder();
            public void Report(string piece) => Text.Append(piece);
        }

        [Test]
        public static void errors_are_read_on_the_failing_thread()
        {
            // Two threads fail at once with different errors; each sees its own message.
            string a = null, b = null;
            var barrier = new Barrier(2);
            var ta = new Thread(() =>
            {
                barrier.SignalAndWait();
                try { new SamplerBuilder().TopK(0).Build(); } catch (LoomException e) { a = e.Message; }
            });
            var tb = new Thread(() =>
            {
                barrier.SignalAndWait();
                try { Fixture.Model.FindToken("no such token text \u2603"); } catch (LoomException e) { b = e.Message; }
            });
            ta.Start(); tb.Start(); ta.Join(); tb.Join();
            Assert.True(a != null && b != null && a != b, $"distinct messages: <{a}> and <{b}>");
        }
    }
}
