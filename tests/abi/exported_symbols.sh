#!/bin/sh
# The shared library exports only loom_-prefixed functions.
# usage: exported_symbols.sh NM LIBLOOM.so
set -eu
nm=$1 lib=$2
list=$("$nm" -D --defined-only "$lib")
[ -n "$list" ] || { echo "no dynamic symbols in $lib"; exit 1; }
# Each line: ADDRESS TYPE NAME. Functions are T; anything else, or any other name, is a leak.
bad=$(printf '%s\n' "$list" | awk '!($2 == "T" && $3 ~ /^loom_/)')
if [ -n "$bad" ]; then
    echo "exported symbols that are not loom_ functions:"
    printf '%s\n' "$bad" | head -50
    exit 1
fi
for need in loom_version loom_status_string loom_model_load loom_chat_apply loom_sampler_new; do
    printf '%s\n' "$list" | awk '{print $3}' | grep -qx "$need" || { echo "missing export: $need"; exit 1; }
done
echo "$(printf '%s\n' "$list" | wc -l) exports, all loom_ functions"
