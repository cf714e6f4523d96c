#!/bin/sh
# Older and newer callers against today's library: tests/abi/caller_sizes.c
# compiled against loom.h as it is, with the last field of every
# caller-sized struct removed (an older header) and with a field appended (a
# newer one; built with -DNEWER_HEADER), each run on the tiny model. Guard
# words around every struct must survive, and the three must sample the same
# greedy tokens.
# usage: caller_sizes.sh CC SOURCE_ROOT LIBLOOM.so WRITE_TINY_MODEL OUTDIR SANITIZE
# In a cross build LOOM_EXE_WRAPPER (tests/meson.build) runs the target's programs (qemu-aarch64).
set -eu
cc=$1 src=$2 so=$3 writer=$4 out=$5 san=$6
[ "$san" = none ] || cc="$cc -fsanitize=$san"
libdir=$(dirname "$so")
mkdir -p "$out/current" "$out/older" "$out/newer"
run=${LOOM_EXE_WRAPPER:-}
$run "$writer" "$out/tiny.gguf"
cp "$src/include/loom.h" "$out/current/loom.h"
python3 "$src/tests/abi/make_header_variant.py" older "$src/include/loom.h" "$out/older/loom.h"
python3 "$src/tests/abi/make_header_variant.py" newer "$src/include/loom.h" "$out/newer/loom.h"
for v in current older newer; do
    def=""
    [ $v = newer ] && def=-DNEWER_HEADER
    $cc -std=c99 -Wall -Wextra -Werror $def -I"$out/$v" "$src/tests/abi/caller_sizes.c" -o "$out/$v/caller_sizes" \
        -L"$libdir" -Wl,-rpath,"$libdir" -lloom
    echo "== $v header"
    $run "$out/$v/caller_sizes" "$out/tiny.gguf" | tee "$out/$v/stdout"
done
# The older struct really is smaller, or the test proves nothing.
grep -q "tokens: [0-9]" "$out/current/stdout" || { echo "no tokens sampled"; exit 1; }
for v in older newer; do
    cmp "$out/current/stdout" "$out/$v/stdout" || { echo "the $v caller sampled other tokens"; exit 1; }
done
echo "older and newer callers: guards intact, same tokens"
