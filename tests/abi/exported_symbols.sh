#!/bin/sh
# The shared library exports only loom_-prefixed functions, each with the
# default version LOOM_0 of lib/api/exports.map (nm -D prints NAME@@LOOM_0),
# and the version node itself; it needs no libxxhash (compiled in).
# usage: exported_symbols.sh NM LIBLOOM.so
set -eu
nm=$1 lib=$2
list=$("$nm" -D --defined-only "$lib")
[ -n "$list" ] || { echo "no dynamic symbols in $lib"; exit 1; }
# Each line: ADDRESS TYPE NAME. Functions are T loom_*@@LOOM_0; the node is A LOOM_0.
bad=$(printf '%s\n' "$list" | awk '!(($2 == "T" && $3 ~ /^loom_[A-Za-z0-9_]*@@LOOM_0$/) || ($2 == "A" && $3 == "LOOM_0"))')
if [ -n "$bad" ]; then
    echo "exported symbols that are not loom_ functions versioned @@LOOM_0:"
    printf '%s\n' "$bad" | head -50
    exit 1
fi
printf '%s\n' "$list" | awk '$2 == "A" && $3 == "LOOM_0"' | grep -q . || { echo "no version node LOOM_0 in $lib"; exit 1; }
for need in loom_version loom_status_string loom_model_load loom_chat_apply loom_sampler_new; do
    printf '%s\n' "$list" | awk '{print $3}' | grep -qx "$need@@LOOM_0" || { echo "missing export: $need@@LOOM_0"; exit 1; }
done
if "$nm" -D --undefined-only "$lib" | grep -q ' XXH' || readelf -d "$lib" | grep -q 'NEEDED.*xxhash'; then
    echo "$lib still needs libxxhash"; exit 1
fi
echo "$(printf '%s\n' "$list" | grep -c ' T ') exports, all loom_ functions @@LOOM_0"
