// generate MODEL PROMPT N: prints what `loom run -m MODEL -p PROMPT -n N --temp 0`
// prints (the prompt, its greedy continuation of N tokens, a newline) and
// nothing else. Text goes to stdout as raw bytes: the binding's byte pieces,
// not Console.Out, whose encoding is the platform's.
using System;
using System.IO;
using System.Text;
using Loom;

static class Generate
{
    static int Main(string[] args)
    {
        int n;
        if (args.Length != 3 || !int.TryParse(args[2], out n))
        {
            Console.Error.WriteLine("usage: generate MODEL PROMPT N");
            return 2;
        }
        try
        {
            Run(args[0], args[1], n);
            return 0;
        }
        catch (LoomException e)
        {
            Console.Error.WriteLine($"generate: {e.Message}");
            return 1;
        }
    }

    static void Run(string modelPath, string prompt, int n)
    {
        using (var model = Model.Load(modelPath))
        using (var context = new Context(model))
        using (var sampler = Sampler.Greedy())
        using (Stream stdout = Console.OpenStandardOutput())
        {
            int[] tokens = model.Tokenize(prompt);
            if (tokens.Length == 0) throw new LoomException(LoomStatus.InvalidArgument, "the prompt has no tokens");
            context.DecodePrompt(tokens, sampler);
            Write(stdout, new UTF8Encoding(false).GetBytes(prompt));
            foreach (byte[] piece in context.GenerateBytes(sampler, n)) Write(stdout, piece);
            Write(stdout, new[] { (byte)'\n' });
        }
    }

    static void Write(Stream s, byte[] bytes)
    {
        s.Write(bytes, 0, bytes.Length);
        s.Flush();
    }
}
