#!/bin/sh
# Makes the installed libloom.a: the static counterpart of exports.map.
#
# An archive of loom's objects as compiled would carry, beside the C API, the
# std:: template instantiations and inline functions the C++ core uses (weak,
# default visibility, in COMDAT groups): a linker merges those with the host
# program's own copies, so the host's and loom's code would share them. Here
# all objects are pre-linked into one relocatable object (`-r`) and then
#   - every defined global symbol except loom_* is renamed NAME<SUFFIX>
#     (SUFFIX is ".loom.<version>", which demanglers show as "[clone .loom.X]"):
#     the linker discards a COMDAT group whose signature name it has seen
#     before even when the symbol is local, so localizing alone would let the
#     host's group replace loom's and leave loom's references dangling;
#   - every symbol except loom_* (and hidden ones) is made local.
# What stays undefined (operator new, std::thread's start, __cxa_*, libc, ...)
# is resolved at the final link from the host's libstdc++ and libc.
# tests/abi/static_symbols.sh and static_link.sh check the result.
#
# usage: static_archive.sh OUT.a INTERNAL.a SUFFIX NM OBJCOPY AR CXX [CXX ARGS...]
set -eu
out=$1 in=$2 suffix=$3 nm=$4 objcopy=$5 ar=$6
shift 6
tmp=$out.parts
rm -rf "$tmp" && mkdir -p "$tmp"
"$@" -r -nostdlib -Wl,--whole-archive "$in" -Wl,--no-whole-archive -o "$tmp/prelinked.o"
"$nm" --defined-only --extern-only --format=posix "$tmp/prelinked.o" |
    awk -v suffix="$suffix" '$1 !~ /^loom_/ { print $1, $1 suffix }' >"$tmp/renames"
"$objcopy" --redefine-syms="$tmp/renames" --localize-hidden --wildcard --keep-global-symbol='loom_*' \
    "$tmp/prelinked.o" "$tmp/loom.o"
rm -f "$out"
"$ar" rcsD "$out" "$tmp/loom.o"
