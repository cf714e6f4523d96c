// Resource hygiene: create/free cycles do not grow the process (RSS from
// /proc/self/status), finalizers free what was not disposed, and SafeHandle
// releases each native object exactly once whatever the order of Dispose,
// finalization and dependent objects.
using System;
using System.IO;
using System.Linq;
using System.Threading;

namespace Loom.Tests
{
    static class ResourceTests
    {
        static long RssKiB()
        {
            string line = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmRSS:"));
            return long.Parse(line.Substring(6).Trim().Split(' ')[0]);
        }

        static void Collect()
        {
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }

        // One cycle: every handle type created, used and freed (a decode in
        // `decode` cycles only: the first decode of a context costs ~20 ms).
        static void Cycle(int token, bool dispose, bool decode)
        {
            var ctx = new Context(Fixture.Model, new ContextOptions { NCtx = 32, NBatch = 8, NThreads = 1 });
            var batch = new Batch(8);
            var sampler = new SamplerBuilder().TopK(4).Temperature(0.5f).Dist(7).Build();
            var detok = new Detokenizer(Fixture.Model);
            batch.Add(token, 0, 0, true);
            if (decode) ctx.Decode(batch);
            detok.PushBytes(decode ? sampler.Sample(ctx) : token);
            if (!dispose) return; // left to the finalizers
            detok.Dispose();
            sampler.Dispose();
            batch.Dispose();
            ctx.Dispose();
        }

        // RSS growth over `cycles` cycles after a warm-up. Undisposed objects are
        // collected every 20 cycles: the GC does not see native memory, so
        // without that a thousand dead contexts would all wait for one
        // collection and the heap's high-water mark would be measured, not a leak.
        static long GrowthKiB(int cycles, bool dispose)
        {
            int token = Fixture.Model.Tokenize("Hi")[0];
            Action<int> run = n =>
            {
                for (int i = 0; i < n; i++)
                {
                    Cycle(token, dispose, i % 10 == 0);
                    if (i % 20 == 19) Collect();
                }
                Collect();
            };
            run(100); // warm up the allocators
            long before = RssKiB();
            run(cycles);
            return RssKiB() - before;
        }

        [Test]
        public static void thousand_disposed_cycles_do_not_grow_rss()
        {
            long growth = GrowthKiB(1000, true);
            Console.WriteLine($"    RSS growth over 1000 disposed cycles: {growth} KiB");
            Assert.True(growth < 8 * 1024, $"RSS grew by {growth} KiB over 1000 cycles");
        }

        [Test]
        public static void thousand_finalized_cycles_do_not_grow_rss()
        {
            long growth = GrowthKiB(1000, false);
            Console.WriteLine($"    RSS growth over 1000 finalized cycles: {growth} KiB");
            Assert.True(growth < 8 * 1024, $"RSS grew by {growth} KiB over 1000 cycles");
        }

        [Test]
        public static void model_load_cycles_do_not_grow_rss()
        {
            for (int i = 0; i < 3; i++) Model.Load(Fixture.ModelPath).Dispose();
            Collect();
            long before = RssKiB();
            for (int i = 0; i < 8; i++) Model.Load(Fixture.ModelPath).Dispose();
            Collect();
            long growth = RssKiB() - before;
            Console.WriteLine($"    RSS growth over 8 model loads: {growth} KiB");
            Assert.True(growth < 16 * 1024, $"RSS grew by {growth} KiB over 8 model loads");
        }

        [Test]
        public static void dispose_twice_frees_once()
        {
            var ctx = new Context(Fixture.Model, new ContextOptions { NCtx = 32 });
            var detok = new Detokenizer(Fixture.Model);
            var batch = new Batch(2);
            var sampler = Sampler.Greedy();
            foreach (IDisposable d in new IDisposable[] { ctx, detok, batch, sampler })
            {
                d.Dispose();
                d.Dispose(); // a second free would corrupt the heap (glibc aborts)
            }
            Assert.True(ctx.Handle.IsClosed && detok.Handle.IsClosed && batch.Handle.IsClosed && sampler.Handle.IsClosed, "closed");
        }

        [Test]
        public static void model_disposed_first_lives_until_its_last_context()
        {
            var model = Model.Load(Fixture.ModelPath);
            var ctx = new Context(model, new ContextOptions { NCtx = 32 });
            var detok = new Detokenizer(model);
            model.Dispose();
            model.Dispose();
            Assert.Throws<ObjectDisposedException>(() => model.Tokenize("x"), "model call after Dispose");
            // The context still holds the native model: it decodes, samples, detokenizes.
            using (var batch = new Batch(1))
            using (var sampler = Sampler.Greedy())
            {
                batch.Add(1, 0, 0, true);
                ctx.Decode(batch);
                detok.PushBytes(sampler.Sample(ctx));
            }
            ctx.Dispose();
            detok.Dispose(); // the last holder: frees the model now (once)
        }

        [Test]
        public static void finalizers_release_dependents_and_model_in_any_order()
        {
            // Unreachable model, contexts and detokenizers finalized together.
            for (int i = 0; i < 3; i++)
            {
                MakeGarbage();
                Collect();
            }
            long before = RssKiB();
            for (int i = 0; i < 8; i++)
            {
                MakeGarbage();
                Collect();
            }
            long growth = RssKiB() - before;
            Assert.True(growth < 16 * 1024, $"RSS grew by {growth} KiB over 8 unreachable models with contexts");
        }

        static void MakeGarbage()
        {
            var model = Model.Load(Fixture.ModelPath);
            new Context(model, new ContextOptions { NCtx = 32 });
            new Detokenizer(model);
        }
    }
}
