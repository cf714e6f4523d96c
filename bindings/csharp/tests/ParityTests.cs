// The binding adds no behaviour of its own: token ids, logits, greedy text,
// detokenized text and chat prompts equal the loom CLI's (the C API's) on the
// tiny model.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace Loom.Tests
{
    static class ParityTests
    {
        static readonly string[] Texts =
        {
            "Hello world",
            "The quick brown fox jumps over the lazy dog. 1234567890",
            "<|im_start|>user\nnaïve café 日本語 🙂<|im_end|>\n",
        };

        static int[] CliTokenize(byte[] text)
        {
            var r = Fixture.RunLoom(text, "tokenize", "-m", Fixture.ModelPath);
            Assert.Equal(0, r.ExitCode, "loom tokenize exit status; stderr: " + r.Stderr);
            return Encoding.ASCII.GetString(r.Stdout).Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries)
                .Select(int.Parse).ToArray();
        }

        [Test]
        public static void token_ids_equal_loom_tokenize()
        {
            foreach (string text in Texts)
                Assert.SequenceEqual(CliTokenize(Fixture.Utf8.GetBytes(text)), Fixture.Model.Tokenize(text), "ids of " + text);
            // Ill-formed UTF-8 is read as U+FFFD by both.
            byte[] bad = { 0x61, 0xff, 0xed, 0xa0, 0x80, 0x62, 0xe6, 0x97 };
            Assert.SequenceEqual(CliTokenize(bad), Fixture.Model.Tokenize(bad), "ids of ill-formed bytes");
        }

        [Test]
        public static void detokenized_text_equals_loom_detokenize()
        {
            int[] ids = Fixture.Model.Tokenize(Texts[2]);
            var r = Fixture.RunLoom(Fixture.Utf8.GetBytes(string.Join(" ", ids)), "detokenize", "-m", Fixture.ModelPath);
            Assert.Equal(0, r.ExitCode, "loom detokenize exit status; stderr: " + r.Stderr);
            var bytes = new List<byte>();
            using (var d = new Detokenizer(Fixture.Model, renderSpecial: true))
            {
                foreach (int id in ids) bytes.AddRange(d.PushBytes(id));
                bytes.AddRange(d.FlushBytes());
            }
            Assert.SequenceEqual(r.Stdout, bytes.ToArray(), "detokenized bytes");
            Assert.Equal(Texts[2], Fixture.Utf8.GetString(r.Stdout), "round trip");
        }

        [Test]
        public static void logits_equal_loom_logits()
        {
            int[] ids = Fixture.Model.Tokenize(Texts[1]);
            string outPath = Fixture.TempFile("logits.f32");
            var r = Fixture.RunLoom(Fixture.Utf8.GetBytes(string.Join(" ", ids)), "logits", "-m", Fixture.ModelPath, "-o", outPath);
            Assert.Equal(0, r.ExitCode, "loom logits exit status; stderr: " + r.Stderr);
            byte[] raw = File.ReadAllBytes(outPath);
            File.Delete(outPath);
            int nVocab = Fixture.Model.NVocab;
            Assert.Equal(ids.Length * nVocab * 4, raw.Length, "logits file size");

            // The CLI's context: n_ctx max(64, n), one batch of every token, all logits.
            var options = new ContextOptions { NCtx = (uint)Math.Max(64, ids.Length), NBatch = (uint)ids.Length };
            using (var ctx = new Context(Fixture.Model, options))
            using (var batch = new Batch(ids.Length))
            {
                for (int i = 0; i < ids.Length; i++) batch.Add(ids[i], i, 0, true);
                ctx.Decode(batch);
                foreach (int pos in new[] { 0, ids.Length / 2, ids.Length - 1 })
                {
                    float[] expected = new float[nVocab];
                    Buffer.BlockCopy(raw, pos * nVocab * 4, expected, 0, nVocab * 4);
                    Assert.SequenceEqual(expected, ctx.GetLogits(pos), $"logits at position {pos}");
                }
                Assert.SequenceEqual(ctx.GetLogits(ids.Length - 1), ctx.GetLogits(-1), "logits of entry -1");
            }
        }

        [Test]
        public static void greedy_text_equals_loom_run()
        {
            foreach (string prompt in new[] { Texts[0], Texts[2] })
            {
                var r = Fixture.RunLoom(null, "run", "-m", Fixture.ModelPath, "-p", prompt, "-n", "24", "--temp", "0");
                Assert.Equal(0, r.ExitCode, "loom run exit status; stderr: " + r.Stderr);
                var text = new StringBuilder(prompt);
                using (var ctx = new Context(Fixture.Model))
                using (var sampler = Sampler.Greedy())
                {
                    ctx.DecodePrompt(Fixture.Model.Tokenize(prompt), sampler);
                    foreach (string piece in ctx.Generate(sampler, 24)) text.Append(piece);
                }
                text.Append('\n');
                // Compared as text: Generate decodes bytes that are not UTF-8 as U+FFFD.
                Assert.Equal(Fixture.Utf8.GetString(r.Stdout), text.ToString(), "greedy text of " + prompt);
            }
        }

        [Test]
        public static void chat_prompt_equals_loom_chat_template()
        {
            const string json = "[{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi, café?\"}]";
            var r = Fixture.RunLoom(Fixture.Utf8.GetBytes(json), "chat-template", "-m", Fixture.ModelPath);
            Assert.Equal(0, r.ExitCode, "loom chat-template exit status; stderr: " + r.Stderr);
            string text = Fixture.Model.ApplyChat(new[] { ChatMessage.System("Be brief."), ChatMessage.User("Hi, café?") });
            Assert.Equal(Fixture.Utf8.GetString(r.Stdout), text, "chat prompt");
            Assert.Equal(ChatTemplateKind.ChatMl, Fixture.Model.ChatTemplateKind, "template kind");
        }

        [Test]
        public static void fim_prompts_follow_loom_h()
        {
            Assert.Equal("<|fim_prefix|>def f(<|fim_suffix|>)\n<|fim_middle|>", Fixture.Model.FimPrompt("def f(", ")\n"), "fim prompt");
            string repo = Fixture.Model.FimRepoPrompt("loom", new[] { new FimFile("a.py", "x = 1\n") }, "b.py", "y = ", "\n");
            Assert.Equal("<|repo_name|>loom\n<|file_sep|>a.py\nx = 1\n<|file_sep|>b.py\n<|fim_prefix|>y = <|fim_suffix|>\n<|fim_middle|>",
                         repo, "repo fim prompt");
            int prefix = Fixture.Model.FindToken("<|fim_prefix|>");
            Assert.Equal(prefix, Fixture.Model.Tokenize(Fixture.Model.FimPrompt("a", "b"))[0], "fim prompt starts with <|fim_prefix|>");
            Assert.True(Fixture.Model.IsSpecial(prefix), "<|fim_prefix|> is special");
        }

        [Test]
        public static void end_of_generation_tokens_are_consistent()
        {
            int[] eog = Fixture.Model.EndOfGenerationTokens();
            Assert.True(eog.Length > 0, "the model has end-of-generation tokens");
            Assert.True(eog.Contains(Fixture.Model.FindToken("<|im_end|>")), "<|im_end|> ends a reply");
            foreach (int id in eog) Assert.True(Fixture.Model.IsEndOfGeneration(id), $"IsEndOfGeneration({id})");
            Assert.True(!Fixture.Model.IsEndOfGeneration(Fixture.Model.Tokenize("Hello")[0]), "Hello does not end a reply");
        }
    }
}
