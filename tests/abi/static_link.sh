#!/bin/sh
# Links tests/abi/static_link.c (a C program with its own XXH64, XXH3_64bits
# and other common names) and static_host.cpp (C++ host code using the same
# std:: templates as loom) beside libloom.a with the C compiler driver, the
# host objects both before and after the archive, and once against
# libloom.so as the reference. The static programs must not need libloom.so
# (ldd), and all three must print the same greedy tokens and the same saved
# state (whose model fingerprint loom hashes with its own XXH64) on the tiny
# model.
# usage: static_link.sh CC CXX LIBLOOM.a LIBLOOM.so SOURCE_ROOT OUTDIR SANITIZE WRITE_TINY_MODEL
set -eu
cc=$1 cxx=$2 lib=$3 so=$4 src=$5 out=$6 san=$7 writer=$8
if [ "$san" != none ]; then cc="$cc -fsanitize=$san" cxx="$cxx -fsanitize=$san"; fi
runtime="-lstdc++ -lm -lpthread -ldl"
mkdir -p "$out"
"$writer" "$out/tiny.gguf"
$cc -std=c99 -Wall -Wextra -Werror -I"$src/include" -c "$src/tests/abi/static_link.c" -o "$out/static_link.o"
$cxx -std=c++17 -O2 -Wall -Wextra -Werror -c "$src/tests/abi/static_host.cpp" -o "$out/static_host.o"
# shellcheck disable=SC2086
$cc "$out/static_link.o" "$out/static_host.o" "$lib" $runtime -o "$out/static_host_first"
# shellcheck disable=SC2086
$cc "$out/static_link.o" "$lib" "$out/static_host.o" $runtime -o "$out/static_host_last"
$cc "$out/static_link.o" "$out/static_host.o" -L"$(dirname "$so")" -lloom -lstdc++ -o "$out/shared_link"
for prog in static_host_first static_host_last; do
    if ldd "$out/$prog" | grep -q libloom; then echo "$prog needs libloom.so:"; ldd "$out/$prog"; exit 1; fi
done
LD_LIBRARY_PATH="$(dirname "$so")" "$out/shared_link" "$out/tiny.gguf" >"$out/shared.txt"
grep -q '^tokens: [0-9]' "$out/shared.txt" && grep -q '^state: ' "$out/shared.txt" || { echo "libloom.so run printed:"; cat "$out/shared.txt"; exit 1; }
for prog in static_host_first static_host_last; do
    "$out/$prog" "$out/tiny.gguf" >"$out/$prog.txt"
    if ! cmp -s "$out/shared.txt" "$out/$prog.txt"; then
        echo "$prog (libloom.a) differs from libloom.so:"; cat "$out/$prog.txt" "$out/shared.txt"; exit 1
    fi
done
echo "libloom.a links beside a host's own XXH64 and std:: code, needs no libloom.so, and matches it:"
cat "$out/shared.txt"
