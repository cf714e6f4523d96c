#!/usr/bin/env bash
# Builds the C# binding with Mono's C# compiler (no NuGet, no msbuild):
#   bin/Loom.dll (+ Loom.dll.config), bin/generate.exe, bin/Loom.Tests.exe
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p bin
flags=(-warn:4 -warnaserror+ -optimize+ -debug -nologo)
mcs "${flags[@]}" -target:library -out:bin/Loom.dll src/*.cs
cp Loom.dll.config bin/
mcs "${flags[@]}" -target:exe -out:bin/generate.exe -r:bin/Loom.dll examples/generate.cs
mcs "${flags[@]}" -target:exe -out:bin/Loom.Tests.exe -r:bin/Loom.dll tests/*.cs
