// A small test runner (no NUnit needed): runs every public static void method
// marked [Test] in this assembly, prints PASS/FAIL lines and "N passed, N
// failed", and exits 1 if any failed.
//   mono Loom.Tests.exe --model TINY.gguf --loom PATH/TO/loom --layout PATH/TO/layout [NAME_FILTER]
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;

namespace Loom.Tests
{
    [AttributeUsage(AttributeTargets.Method)]
    sealed class TestAttribute : Attribute { }

    static class Runner
    {
        static int Main(string[] args)
        {
            string filter = Fixture.Parse(args);
            if (filter == null) return 2;
            var tests = typeof(Runner).Assembly.GetTypes()
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
                .Where(m => m.GetCustomAttribute<TestAttribute>() != null)
                .Where(m => Name(m).Contains(filter))
                .OrderBy(Name)
                .ToList();
            int passed = 0, failed = 0;
            foreach (MethodInfo test in tests)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    test.Invoke(null, null);
                    passed++;
                    Console.WriteLine($"PASS {Name(test)} ({clock.Elapsed.TotalSeconds:F2} s)");
                }
                catch (TargetInvocationException e)
                {
                    failed++;
                    Console.WriteLine($"FAIL {Name(test)}: {e.InnerException}");
                }
            }
            Fixture.Cleanup();
            Console.WriteLine($"{passed} passed, {failed} failed");
            return failed == 0 && passed > 0 ? 0 : 1;
        }

        static string Name(MethodInfo m) => m.DeclaringType.Name + "." + m.Name;
    }

    class AssertionException : Exception
    {
        public AssertionException(string message) : base(message) { }
    }

    static class Assert
    {
        public static void True(bool condition, string what)
        {
            if (!condition) throw new AssertionException(what);
        }

        public static void Equal<T>(T expected, T actual, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                throw new AssertionException($"{what}: expected <{expected}>, got <{actual}>");
        }

        public static void SequenceEqual<T>(IList<T> expected, IList<T> actual, string what)
        {
            Equal(expected.Count, actual.Count, what + " (length)");
            for (int i = 0; i < expected.Count; i++)
                if (!EqualityComparer<T>.Default.Equals(expected[i], actual[i]))
                    throw new AssertionException($"{what}: first difference at [{i}]: expected <{expected[i]}>, got <{actual[i]}>");
        }

        public static TException Throws<TException>(Action action, string what) where TException : Exception
        {
            try
            {
                action();
            }
            catch (TException e)
            {
                return e;
            }
            catch (Exception e)
            {
                throw new AssertionException($"{what}: expected {typeof(TException).Name}, got {e}");
            }
            throw new AssertionException($"{what}: expected {typeof(TException).Name}, nothing was thrown");
        }
    }
}
