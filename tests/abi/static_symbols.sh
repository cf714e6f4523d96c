#!/bin/sh
# The static library defines no strong global symbol outside the C API
# (loom_*) and the C++ namespace loom::, so it cannot clash with a program's
# own symbols. Weak symbols (W, V: template instantiations, inline functions)
# and unique globals (u) are merged by the linker and allowed.
# usage: static_symbols.sh NM CXXFILT LIBLOOM.a
set -eu
nm=$1 cxxfilt=$2 lib=$3
# __odr_asan.* are AddressSanitizer's ODR indicators (sanitizer builds only).
strong=$("$nm" -g --defined-only -P "$lib" | awk 'NF >= 2 && $2 ~ /^[TDBRGSIi]$/ && $1 !~ /^__odr_asan/ {print $1}')
[ -n "$strong" ] || { echo "no global symbols in $lib"; exit 1; }
bad=$(printf '%s\n' "$strong" | "$cxxfilt" | grep -Ev \
    '^(loom_|loom::|(vtable|typeinfo|typeinfo name|VTT|guard variable|TLS init function|TLS wrapper function|non-virtual thunk to|virtual thunk to|construction vtable) for loom::|non-virtual thunk to loom::|virtual thunk to loom::)' || true)
if [ -n "$bad" ]; then
    echo "strong global symbols outside loom_ and loom:: in $lib:"
    printf '%s\n' "$bad" | head -50
    exit 1
fi
echo "$(printf '%s\n' "$strong" | wc -l) strong globals, all loom_ or loom::"
