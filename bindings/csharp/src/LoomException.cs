// Errors: every failing loom call becomes a LoomException carrying the
// status code and loom's own message (loom_last_error, read on the failing
// thread right after the call, before any other loom call).
using System;
using Loom.Native;

namespace Loom
{
    /// <summary>The LOOM_ERR_* codes of loom.h (values as there). A newer library may
    /// return codes this enum does not name; they arrive as their number.</summary>
    public enum LoomStatus
    {
        Ok = 0,
        InvalidArgument = -1,
        OutOfMemory = -2,
        Io = -3,
        Format = -4,
        Unsupported = -5,
        NotFound = -6,
        TypeMismatch = -7,
        BufferTooSmall = -8,
        Cancelled = -9,
        ContextFull = -10,
        Backend = -11,
        Internal = -12,
    }

    /// <summary>A loom call failed. <see cref="Status"/> is the C status code,
    /// <see cref="Exception.Message"/> loom's message naming what is wrong (the
    /// status's name when loom gave none).</summary>
    [Serializable]
    public class LoomException : Exception
    {
        public LoomStatus Status { get; }

        public LoomException(LoomStatus status, string message) : base(message) { Status = status; }

        /// <summary>loom_status_string of the status, e.g. "i/o error".</summary>
        public string StatusName => LoomLibrary.StatusString(Status);

        public override string ToString() => $"{GetType().FullName} ({Status}): {Message}";

        // Builds the exception for `status` from loom_last_error; must run on the
        // thread of the failing call with no loom call in between.
        internal static LoomException FromLastError(int status)
        {
            string message = Utf8.FromNative(NativeMethods.loom_last_error());
            if (message.Length == 0) message = Utf8.FromNative(NativeMethods.loom_status_string(status));
            return new LoomException((LoomStatus)status, message);
        }

        internal static void Check(int status)
        {
            if (status != 0) throw FromLastError(status);
        }
    }

    /// <summary>Library-wide queries (all thread-safe).</summary>
    public static class LoomLibrary
    {
        /// <summary>The linked library's version, major*10000 + minor*100 + patch.</summary>
        public static uint Version => NativeMethods.loom_version();

        /// <summary>The linked library's version as "MAJOR.MINOR.PATCH".</summary>
        public static string VersionString => Utf8.FromNative(NativeMethods.loom_version_string());

        /// <summary>loom's short English name of a status ("invalid argument", ...).</summary>
        public static string StatusString(LoomStatus status) => Utf8.FromNative(NativeMethods.loom_status_string((int)status));
    }
}
