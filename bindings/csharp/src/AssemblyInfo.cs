using System.Reflection;
using System.Runtime.CompilerServices;

[assembly: AssemblyTitle("Loom")]
[assembly: AssemblyDescription("C# binding of the loom C API (include/loom.h)")]
[assembly: AssemblyVersion("0.1.0.0")]
// The tests reach the raw structs (layout test) and the abort-check hook.
[assembly: InternalsVisibleTo("Loom.Tests")]
