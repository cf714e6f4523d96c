#!/usr/bin/env bash
# CI: the Windows build, cross-compiled with mingw-w64 and tested under wine.
#   1. loom.dll, its import library, libloom.a and loom.exe (.ci/cross/x86_64-w64-mingw32.ini)
#   2. loom.dll exports the same functions as the Linux libloom.so
#   3. the unit suite under wine (meson's exe_wrapper)
#   4. a C program linked with the static libloom.a (LOOM_STATIC) runs
#   5. a greedy run of the tiny model gives the Linux build's text, byte for byte
#      (the model under a non-ASCII path: UTF-8 paths reach CreateFileW)
# Vulkan is built but not tested here: wine's vulkan-1.dll finds no device on
# a headless machine, so loom.exe falls back to the CPU.
# usage: .ci/windows.sh [LINUX_BUILD_DIR] [WINDOWS_BUILD_DIR]   (defaults: build, build-win)
set -euo pipefail
cd "$(dirname "$0")/.."
linux=${1:-build} win=${2:-build-win}
skip() { # a missing tool fails CI, and skips elsewhere
    echo "windows: $1"
    if [ "${CI:-}" = true ]; then exit 1; else exit 77; fi
}
for tool in x86_64-w64-mingw32-g++-posix wine wineserver; do
    command -v "$tool" >/dev/null || skip "$tool not found (apt-get install mingw-w64 wine wine64)"
done
[ -x "$linux/examples/loom/loom" ] || skip "no Linux build in $linux (meson compile -C $linux first)"
ref=../shared/ref
[ -f "$ref/mkgguf.py" ] || skip "no $ref/mkgguf.py for the tiny model"

# A private, headless wine: no Mono/Gecko installers, no debug chatter, one
# wineserver for all the runs (each wine start then takes ~0.1 s, not ~3 s).
export WINEPREFIX="$PWD/$win/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
export LLREF_HOME="${LLREF_HOME:-$HOME/.cache/llref}" # wine drops HOME; tokenizer tests find the vocab here

SECONDS=0
# -Dpull=disabled: no `loom pull`/-hf in loom.exe. mingw-w64 has no libcurl
# (Debian's libcurl4-openssl-dev is the Linux build's); the code is tested
# natively (tests/pull).
meson setup "$win" --cross-file .ci/cross/x86_64-w64-mingw32.ini -Dpull=disabled >/dev/null 2>&1 \
    || meson setup "$win" --reconfigure -Dpull=disabled >/dev/null
meson compile -C "$win"
for f in loom.dll loom.dll.a libloom.a examples/loom/loom.exe; do
    [ -f "$win/$f" ] || { echo "windows: $win/$f was not built"; exit 1; }
done
sh tests/abi/dll_exports.sh x86_64-w64-mingw32-objdump "$win/loom.dll" nm "$linux/libloom.so"

t_build=$SECONDS
mkdir -p "$WINEPREFIX"
wineserver -p # persistent until wineserver -k
trap 'wineserver -k || true' EXIT
wineboot -i >/dev/null 2>&1 # creates the prefix (~15 s the first time)
t_prefix=$SECONDS
meson test -C "$win" --suite unit --print-errorlogs
t_tests=$SECONDS

# A program linking the static library, as docs/platforms.md's Windows section says.
printf '#include <stdio.h>\n#include "loom.h"\nint main(void) { puts(loom_version_string()); return 0; }\n' > "$win/static_user.c"
x86_64-w64-mingw32-gcc-posix -c -DLOOM_STATIC -Iinclude "$win/static_user.c" -o "$win/static_user.o"
x86_64-w64-mingw32-g++-posix "$win/static_user.o" "$win/libloom.a" -static -o "$win/static_user.exe"
if x86_64-w64-mingw32-objdump -p "$win/static_user.exe" | grep -q "loom_"; then
    echo "windows: a program linked with libloom.a exports loom_ functions"; exit 1
fi
got=$(wine "$win/static_user.exe" | tr -d '\r')
[ "$got" = "$(meson introspect --projectinfo "$win" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')" ] \
    || { echo "windows: static_user.exe printed '$got'"; exit 1; }

# Greedy decoding: the same text from loom.exe under wine as from Linux loom.
model="$win/testdata/tïny-ŵin.gguf"
mkdir -p "$win/testdata"
[ -f "$model" ] || /usr/bin/python3 "$ref/mkgguf.py" "$model" --preset tiny --seed 3 >/dev/null
args=(run -p "Once upon a time" -n 16 --temp 0 -t 2)
"$linux/examples/loom/loom" "${args[@]}" -m "$model" > "$win/greedy-linux.txt"
WINEPATH="Z:$PWD/$win" wine "$win/examples/loom/loom.exe" "${args[@]}" -m "$model" > "$win/greedy-windows.txt"
cmp "$win/greedy-linux.txt" "$win/greedy-windows.txt" \
    || { echo "windows: greedy text differs:"; cat "$win/greedy-linux.txt" "$win/greedy-windows.txt"; exit 1; }
echo "windows: greedy 16 tokens match Linux: $(cat "$win/greedy-linux.txt")"
echo "windows: ${t_build}s build, $((t_prefix - t_build))s wine prefix, $((t_tests - t_prefix))s unit suite, $((SECONDS - t_tests))s static link and greedy run"
