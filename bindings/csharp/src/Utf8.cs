// UTF-8 marshalling done by hand: Mono's and .NET Framework's default string
// marshalling is the ANSI code page on some platforms, never reliably UTF-8.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace Loom
{
    internal static class Utf8
    {
        // Invalid UTF-16 (lone surrogates) becomes U+FFFD, as loom would read it.
        private static readonly Encoding NoBom = new UTF8Encoding(false, false);

        internal static byte[] Bytes(string s, string name)
        {
            if (s == null) throw new ArgumentNullException(name);
            return NoBom.GetBytes(s);
        }

        // NUL-terminated UTF-8 of `s` for a const char * parameter.
        internal static byte[] Z(string s, string name)
        {
            if (s == null) throw new ArgumentNullException(name);
            var bytes = new byte[NoBom.GetByteCount(s) + 1];
            NoBom.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        internal static string Decode(byte[] bytes, int count) => NoBom.GetString(bytes, 0, count);

        // A NUL-terminated UTF-8 string owned by the library.
        internal static string FromNative(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            var bytes = new byte[n];
            Marshal.Copy(p, bytes, 0, n);
            return NoBom.GetString(bytes);
        }
    }

    // An array of NUL-terminated UTF-8 strings in unmanaged memory, for a
    // `const char *const *` parameter; Dispose frees them.
    internal sealed class NativeStringArray : IDisposable
    {
        internal readonly IntPtr[] Pointers;

        internal NativeStringArray(IList<string> strings, string name)
        {
            Pointers = new IntPtr[strings.Count];
            try
            {
                for (int i = 0; i < strings.Count; i++)
                {
                    byte[] z = Utf8.Z(strings[i], name);
                    Pointers[i] = Marshal.AllocHGlobal(z.Length);
                    Marshal.Copy(z, 0, Pointers[i], z.Length);
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            for (int i = 0; i < Pointers.Length; i++)
            {
                if (Pointers[i] != IntPtr.Zero) Marshal.FreeHGlobal(Pointers[i]);
                Pointers[i] = IntPtr.Zero;
            }
        }
    }

    // The (buf, capacity, size_t *size) convention: one call with a first
    // guess, a second with the size loom asked for on BUFFER_TOO_SMALL.
    internal delegate int FillBuffer(byte[] buf, UIntPtr capacity, out UIntPtr size);

    internal static class Buffers
    {
        internal const int BufferTooSmall = (int)LoomStatus.BufferTooSmall;

        internal static byte[] Fill(FillBuffer fill, int guess)
        {
            var buf = new byte[guess];
            UIntPtr size;
            int st = fill(buf, (UIntPtr)buf.Length, out size);
            if (st == BufferTooSmall)
            {
                buf = new byte[checked((int)size.ToUInt64())];
                st = fill(buf, (UIntPtr)buf.Length, out size);
            }
            LoomException.Check(st);
            int n = checked((int)size.ToUInt64());
            if (n != buf.Length) Array.Resize(ref buf, n);
            return buf;
        }
    }
}
