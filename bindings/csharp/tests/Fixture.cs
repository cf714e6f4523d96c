// What the tests share: the tiny model, the loom CLI (the C API's reference
// outputs), the layout program compiled from loom.h, and a process helper.
using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading.Tasks;

namespace Loom.Tests
{
    static class Fixture
    {
        public static string ModelPath, LoomCli, LayoutProgram;
        static Model _model;

        // Reads the options; returns the name filter ("" for all), null on bad usage.
        public static string Parse(string[] args)
        {
            string filter = "";
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] == "--model" && i + 1 < args.Length) ModelPath = args[++i];
                else if (args[i] == "--loom" && i + 1 < args.Length) LoomCli = args[++i];
                else if (args[i] == "--layout" && i + 1 < args.Length) LayoutProgram = args[++i];
                else filter = args[i];
            }
            if (ModelPath == null || LoomCli == null || LayoutProgram == null)
            {
                Console.Error.WriteLine("usage: Loom.Tests.exe --model TINY.gguf --loom LOOM_CLI --layout LAYOUT_PROGRAM [FILTER]");
                return null;
            }
            return filter;
        }

        // One model shared by the tests (a Model is safe to share).
        public static Model Model => _model ?? (_model = Model.Load(ModelPath));

        public static void Cleanup() => _model?.Dispose();

        public static readonly UTF8Encoding Utf8 = new UTF8Encoding(false);

        public sealed class Result
        {
            public int ExitCode;
            public byte[] Stdout;
            public string Stderr;
        }

        // Runs a program with arguments (no shell), `stdin` as its input.
        public static Result Run(string program, byte[] stdin, params string[] args)
        {
            var info = new ProcessStartInfo(program, string.Join(" ", Array.ConvertAll(args, Quote)))
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                StandardErrorEncoding = Utf8,
            };
            using (Process p = Process.Start(info))
            {
                var stdout = new MemoryStream();
                Task copy = p.StandardOutput.BaseStream.CopyToAsync(stdout);
                Task<string> stderr = p.StandardError.ReadToEndAsync();
                if (stdin != null) p.StandardInput.BaseStream.Write(stdin, 0, stdin.Length);
                p.StandardInput.Close();
                copy.Wait();
                p.WaitForExit();
                return new Result { ExitCode = p.ExitCode, Stdout = stdout.ToArray(), Stderr = stderr.Result };
            }
        }

        public static Result RunLoom(byte[] stdin, params string[] args) => Run(LoomCli, stdin, args);

        // Mono and .NET split the argument string like a C runtime: quote everything.
        static string Quote(string a) => "\"" + a.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

        public static string TempFile(string name) => Path.Combine(Path.GetTempPath(), $"loom-cs-{Process.GetCurrentProcess().Id}-{name}");
    }
}
