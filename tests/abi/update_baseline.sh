#!/bin/sh
# Writes the ABI gate's baseline (tests/abi/baseline/libloom.so.MAJOR.abi,
# MAJOR = LOOM_VERSION_MAJOR) with abidw from a libloom.so built with debug
# info, restricted to the types of the public header (include/). Commit the
# result on its own, on purpose: at a release, or when the major version
# changes (then the gate compares against the new baseline from there on).
#
#   tests/abi/update_baseline.sh [BUILD_DIR]
#
# BUILD_DIR defaults to build-asan, the debugoptimized ASan build whose
# libloom.so CI gates (.ci/run), set up here as CI sets it up if it does not
# exist yet; any build with debug info (-g) gives the same ABI.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-asan}
command -v abidw >/dev/null || { echo "no abidw (apt-get install abigail-tools)" >&2; exit 1; }
[ -f "$build/build.ninja" ] ||
    meson setup "$build" "$root" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized
meson compile -C "$build" loom:shared_library
major=$(sed -n 's/^#define LOOM_VERSION_MAJOR \([0-9][0-9]*\).*/\1/p' "$root/include/loom.h")
out=$root/tests/abi/baseline/libloom.so.$major.abi
mkdir -p "$(dirname "$out")"
abidw --headers-dir "$root/include" --no-show-locs --no-corpus-path --out-file "$out" "$build/libloom.so"
echo "wrote $out ($(grep -c '<elf-symbol ' "$out") ELF symbols)"
