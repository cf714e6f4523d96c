#!/bin/sh
# The installed libloom.a (lib/api/static_archive.sh) is one pre-linked
# object whose only global definitions are the C API's loom_* functions: no
# std:: instantiation, inline function, unique (u) or weak (V, W) symbol of
# loom's can merge with a host program's, and no XXH symbol is defined or
# referenced (xxHash is compiled in). What loom needs from the C++ runtime
# and libc stays undefined, to be resolved from the host's libstdc++ at the
# final link: operator new (_Znwm), std::thread's start, __cxa_begin_catch.
# usage: static_symbols.sh NM LIBLOOM.a
set -eu
nm=$1 lib=$2
members=$(ar t "$lib" | wc -l)
[ "$members" -eq 1 ] || { echo "$lib has $members members, expected one pre-linked object"; exit 1; }
# -P: NAME TYPE [VALUE SIZE]; the first line names the member ("libloom.a[loom.o]:").
defined=$("$nm" -g --defined-only -P "$lib" | awk 'NF >= 2 && $1 !~ /:$/')
[ -n "$defined" ] || { echo "no global symbols in $lib"; exit 1; }
bad=$(printf '%s\n' "$defined" | awk '!($2 == "T" && $1 ~ /^loom_/)')
if [ -n "$bad" ]; then
    echo "global symbols in $lib that are not loom_ functions:"
    printf '%s\n' "$bad" | head -50
    exit 1
fi
undefined=$("$nm" -u -P "$lib" | awk 'NF >= 2 && $1 !~ /:$/ {print $1}')
xxh=$(printf '%s\n' "$undefined" | grep '^XXH' || true)
[ -z "$xxh" ] || { echo "$lib references xxHash symbols: $xxh"; exit 1; }
renamed=$(printf '%s\n' "$undefined" | grep '\.loom\.' || true)
[ -z "$renamed" ] || { echo "$lib references renamed symbols it does not define: $renamed"; exit 1; }
for need in _Znwm _ZNSt6thread15_M_start_threadESt10unique_ptrINS_6_StateESt14default_deleteIS1_EEPFvvE __cxa_begin_catch; do
    printf '%s\n' "$undefined" | grep -qx -- "$need" || { echo "$lib does not leave $need to the host's C++ runtime"; exit 1; }
done
echo "$(printf '%s\n' "$defined" | wc -l) global symbols, all loom_ functions; $(printf '%s\n' "$undefined" | wc -l) left to the host's runtime"
