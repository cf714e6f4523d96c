#!/usr/bin/env bash
# CI for the C# binding: builds it with Mono's mcs, runs its tests against the
# libloom just built in BUILD_DIR, and checks that examples/generate.cs prints
# byte for byte what `loom run --temp 0` prints.
#   bindings/csharp/ci.sh BUILD_DIR      (from the repository root; ~1 min)
# Needs mono-complete, a C compiler, python3 with numpy and ../shared/ref
# (LOOM_REF_DIR). Outside CI a missing tool skips (exit 77); in CI it fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: bindings/csharp/ci.sh BUILD_DIR}" && pwd)
here=$root/bindings/csharp
ref=${LOOM_REF_DIR:-$root/../shared/ref}
start=$SECONDS

missing() {
  echo "csharp ci: $1" >&2
  if [ "${CI:-}" = true ]; then exit 1; else exit 77; fi
}
for tool in mono mcs cc; do command -v "$tool" >/dev/null || missing "$tool not found (apt-get install mono-complete gcc)"; done
/usr/bin/python3 -c 'import numpy' 2>/dev/null || missing "python3-numpy not found"
[ -f "$ref/mkgguf.py" ] || missing "$ref/mkgguf.py not found (set LOOM_REF_DIR)"
[ -x "$build/examples/loom/loom" ] && [ -e "$build/libloom.so.0" ] || missing "build $build first (meson compile -C $build)"

out=$build/csharp
mkdir -p "$out"
model=$out/tiny-s1.gguf
if [ ! -f "$model" ]; then
  /usr/bin/python3 "$ref/mkgguf.py" "$model.tmp" --preset tiny --seed 1 >/dev/null
  mv "$model.tmp" "$model"
fi

"$here/build.sh"

# Loom.dll uses only types of .NET Standard 2.0: every type it references is
# one Mono's netstandard.dll facade forwards (types only; members unchecked).
facade=$(dirname "$(command -v mono)")/../lib/mono/4.5/Facades/netstandard.dll
[ -f "$facade" ] || missing "$facade not found"
monodis --exported "$facade" | sed -n 's/^[0-9]*: \([^ ]*\) is in.*/\1/p' | sort -u >"$out/netstandard.types"
monodis --typeref "$here/bin/Loom.dll" | sed -n 's/^[0-9]*: \[[^]]*\]\([^/]*\).*/\1/p' | sort -u >"$out/loom.types"
if [ ! -s "$out/loom.types" ] || [ -n "$(comm -23 "$out/loom.types" "$out/netstandard.types")" ]; then
  echo "csharp ci: Loom.dll references types outside .NET Standard 2.0:" >&2
  comm -23 "$out/loom.types" "$out/netstandard.types" >&2
  exit 1
fi
cc -std=c11 -Wall -Werror -I"$root/include" -o "$out/layout" "$here/tests/layout.c"

export LD_LIBRARY_PATH=$build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
loom=$build/examples/loom/loom
mono --debug "$here/bin/Loom.Tests.exe" --model "$model" --loom "$loom" --layout "$out/layout"

# generate.exe against loom run, byte for byte (stdout), and nothing on stderr.
check_generate() {
  local prompt=$1 n=$2
  mono "$here/bin/generate.exe" "$model" "$prompt" "$n" >"$out/gen.cs.out" 2>"$out/gen.cs.err"
  "$loom" run -m "$model" -p "$prompt" -n "$n" --temp 0 >"$out/gen.c.out"
  if ! cmp "$out/gen.c.out" "$out/gen.cs.out" || [ -s "$out/gen.cs.err" ]; then
    echo "csharp ci: generate.exe differs from loom run for prompt '$prompt' -n $n" >&2
    cat "$out/gen.cs.err" >&2
    exit 1
  fi
}
check_generate "Hello world" 32
check_generate $'Gr\xc3\xbc\xc3\x9fe, \xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x99\x82 "quoted" $HOME \\n' 48
check_generate $'<|im_start|>user\nWrite a haiku<|im_end|>\n<|im_start|>assistant\n' 40
check_generate "x" 0
echo "csharp ci: generate.exe matches loom run; $((SECONDS - start)) s"
