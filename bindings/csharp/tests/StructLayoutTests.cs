// The C# mirrors of loom.h's structs have the C layout: Marshal.SizeOf and
// Marshal.OffsetOf of each field equal sizeof/offsetof printed by
// tests/layout.c compiled from the header, and both list the same fields.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Loom.Native;

namespace Loom.Tests
{
    static class StructLayoutTests
    {
        static readonly Type[] Mirrors = { typeof(loom_model_params), typeof(loom_context_params) };

        static Dictionary<string, long> CLayout()
        {
            var r = Fixture.Run(Fixture.LayoutProgram, null);
            Assert.Equal(0, r.ExitCode, "layout program exit status");
            return Encoding.ASCII.GetString(r.Stdout).Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(' ')).ToDictionary(p => p[0], p => long.Parse(p[1]));
        }

        [Test]
        public static void struct_sizes_and_offsets_equal_the_c_header()
        {
            Dictionary<string, long> c = CLayout();
            foreach (Type t in Mirrors)
            {
                Assert.Equal(c[t.Name], (long)Marshal.SizeOf(t), "sizeof " + t.Name);
                FieldInfo[] fields = t.GetFields(BindingFlags.Public | BindingFlags.Instance);
                foreach (FieldInfo f in fields)
                {
                    string key = t.Name + "." + f.Name;
                    Assert.True(c.ContainsKey(key), key + " is not in the C struct");
                    Assert.Equal(c[key], Marshal.OffsetOf(t, f.Name).ToInt64(), "offsetof " + key);
                }
                int cFields = c.Keys.Count(k => k.StartsWith(t.Name + "."));
                Assert.Equal(cFields, fields.Length, "fields of " + t.Name);
            }
        }

        [Test]
        public static void default_params_fill_the_struct_size_given()
        {
            var p = new loom_context_params();
            int size = Marshal.SizeOf<loom_context_params>();
            LoomException.Check(NativeMethods.loom_context_default_params_sized(ref p, (UIntPtr)size));
            Assert.Equal((ulong)size, p.struct_size.ToUInt64(), "struct_size");
            Assert.Equal(512u, p.n_batch, "default n_batch (loom.h)");
            Assert.Equal(1u, p.n_seq_max, "default n_seq_max (loom.h)");
            var m = new loom_model_params();
            LoomException.Check(NativeMethods.loom_model_default_params_sized(ref m, (UIntPtr)Marshal.SizeOf<loom_model_params>()));
            Assert.Equal(1, m.use_mmap, "default use_mmap (loom.h)");
            Assert.Equal(-1, m.device_index, "default device_index (loom.h)");
            var e = Assert.Throws<LoomException>(() =>
                LoomException.Check(NativeMethods.loom_context_default_params_sized(ref p, (UIntPtr)4)), "size 4");
            Assert.Equal(LoomStatus.InvalidArgument, e.Status, "a size below sizeof(size_t)");
        }
    }
}
