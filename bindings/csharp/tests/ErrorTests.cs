// Failures arrive as LoomException with the C status and loom's own message
// (the text the loom CLI prints after "loom: error: <what>: ").
using System;
using System.IO;
using System.Linq;

namespace Loom.Tests
{
    static class ErrorTests
    {
        // The message `loom run` prints for a model it cannot load.
        static string CliLoadError(string path)
        {
            var r = Fixture.RunLoom(null, "run", "-m", path, "-p", "x");
            Assert.Equal(1, r.ExitCode, "loom run exit status");
            string prefix = "loom: error: " + path + ": ";
            Assert.True(r.Stderr.StartsWith(prefix), "loom run's stderr starts with " + prefix + ": " + r.Stderr);
            return r.Stderr.Substring(prefix.Length).TrimEnd('\n');
        }

        [Test]
        public static void missing_file_is_io_error_with_loom_message()
        {
            string path = Fixture.TempFile("does-not-exist.gguf");
            var e = Assert.Throws<LoomException>(() => Model.Load(path), "load of a missing file");
            Assert.Equal(LoomStatus.Io, e.Status, "status");
            Assert.Equal(CliLoadError(path), e.Message, "message");
            Assert.True(e.Message.Contains(path), "the message names the file: " + e.Message);
        }

        [Test]
        public static void non_gguf_file_is_format_error_with_loom_message()
        {
            string path = Fixture.TempFile("not-a-model.gguf");
            File.WriteAllText(path, "this is not a GGUF file, just some text long enough to be read\n");
            try
            {
                var e = Assert.Throws<LoomException>(() => Model.Load(path), "load of a text file");
                Assert.Equal(LoomStatus.Format, e.Status, "status");
                Assert.Equal(CliLoadError(path), e.Message, "message");
            }
            finally
            {
                File.Delete(path);
            }
        }

        [Test]
        public static void invalid_arguments_are_invalid_argument_errors()
        {
            var e = Assert.Throws<LoomException>(() => new SamplerBuilder().TopK(0).Greedy().Build(), "top-k 0");
            Assert.Equal(LoomStatus.InvalidArgument, e.Status, "top-k 0 status");
            Assert.True(e.Message.Length > 0 && e.Message != e.StatusName, "a message from loom_last_error: " + e.Message);

            e = Assert.Throws<LoomException>(() => new Context(Fixture.Model, new ContextOptions { NSeqMax = 100000 }), "n_seq_max 100000");
            Assert.Equal(LoomStatus.InvalidArgument, e.Status, "n_seq_max status");
            Assert.True(e.Message.Contains("n_seq_max"), "the message names n_seq_max: " + e.Message);

            e = Assert.Throws<LoomException>(() => Model.Load(Fixture.ModelPath, new ModelOptions { LoadThreads = 257 }), "257 load threads");
            Assert.Equal(LoomStatus.InvalidArgument, e.Status, "load threads status");
            Assert.True(e.Message.Contains("n_threads = 257"), "the message names n_threads: " + e.Message);

            e = Assert.Throws<LoomException>(() => new SamplerBuilder().Greedy().TopK(5).Build(), "stage after a pick stage");
            Assert.Equal(LoomStatus.InvalidArgument, e.Status, "stage order status");

            using (var ctx = new Context(Fixture.Model, new ContextOptions { NCtx = 64 }))
            using (var batch = new Batch(1))
            {
                batch.Add(Fixture.Model.NVocab + 5, 0, 0, true);
                e = Assert.Throws<LoomException>(() => ctx.Decode(batch), "decode of a token outside the vocabulary");
                Assert.Equal(LoomStatus.InvalidArgument, e.Status, "token range status");
                Assert.Equal(-1, ctx.KvSeqPosMax(0), "the cache is as before");
                e = Assert.Throws<LoomException>(() => batch.Add(1, 1), "add to a full batch");
                Assert.Equal(LoomStatus.BufferTooSmall, e.Status, "full batch status");
            }
            Assert.Throws<ArgumentNullException>(() => Fixture.Model.Tokenize((string)null), "null text");
        }

        [Test]
        public static void version_and_status_names_come_from_the_library()
        {
            var r = Fixture.RunLoom(null, "--version");
            Assert.Equal("loom " + LoomLibrary.VersionString + "\n", Fixture.Utf8.GetString(r.Stdout), "loom --version");
            int[] parts = LoomLibrary.VersionString.Split('.').Select(int.Parse).ToArray();
            Assert.Equal((uint)(parts[0] * 10000 + parts[1] * 100 + parts[2]), LoomLibrary.Version, "version number");
            Assert.Equal("unknown status", LoomLibrary.StatusString((LoomStatus)(-1000)), "an unknown code's name");
        }

        [Test]
        public static void use_after_dispose_is_object_disposed()
        {
            var sampler = Sampler.Greedy();
            sampler.Dispose();
            Assert.Throws<ObjectDisposedException>(() => sampler.Accept(1), "sampler after Dispose");
            var batch = new Batch(4);
            batch.Dispose();
            Assert.Throws<ObjectDisposedException>(() => batch.Add(1, 0), "batch after Dispose");
        }
    }
}
