#!/bin/sh
# loom.dll exports exactly the functions libloom.so exports (the same loom_
# C API on both platforms), read from the DLL's export table and the ELF
# dynamic symbol table. The ELF names carry the version node (loom_x@@LOOM_0,
# and LOOM_0 itself as an absolute symbol); a DLL has no symbol versions, so
# the comparison is by function name.
# usage: dll_exports.sh OBJDUMP LOOM.DLL NM LIBLOOM.so
set -eu
objdump=$1 dll=$2 nm=$3 so=$4
# objdump -p prints the export table as "[ordinal] name" lines after "[Ordinal/Name Pointer] Table".
win=$("$objdump" -p "$dll" | awk '/\[Ordinal\/Name Pointer\] Table/ {on = 1; next} on && NF == 0 {on = 0} on && /^\t*\[/ {print $NF}' | sort)
lin=$("$nm" -D --defined-only "$so" | awk '$2 != "A" {sub(/@.*/, "", $3); print $3}' | sort)
[ -n "$win" ] || { echo "no exports found in $dll"; exit 1; }
if [ "$win" != "$lin" ]; then
    echo "loom.dll and libloom.so export different sets (< only Linux, > only Windows):"
    tmp=$(mktemp)
    printf '%s\n' "$lin" > "$tmp"
    printf '%s\n' "$win" | diff "$tmp" - || true
    rm -f "$tmp"
    exit 1
fi
echo "loom.dll exports the same $(printf '%s\n' "$win" | wc -l) functions as libloom.so"
