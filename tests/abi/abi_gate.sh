#!/bin/sh
# The ABI gate: libloom.so against the committed baseline of its major
# version (tests/abi/baseline/libloom.so.MAJOR.abi, from abidw). Fails on an
# incompatible change: a function or variable removed, or changed (its
# signature, or any type it reaches: a struct field's type, order or
# offset, an enum value). Additions are allowed: new functions, and new
# fields at the end of the struct_size-guarded structs (tests/abi/abi.suppr).
# When LOOM_VERSION_MAJOR (include/loom.h) moves to a major that has no
# baseline yet, the gate passes and says so: commit that major's baseline,
# on its own, with tests/abi/update_baseline.sh.
#
#   tests/abi/abi_gate.sh LIBLOOM.so    (a build with debug info: -g, e.g. debugoptimized)
#
# Exits 77 (skipped) when abidiff is missing, except in CI (CI=true), where that fails.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
so=$1
if ! command -v abidiff >/dev/null; then
    echo "abi gate: no abidiff (apt-get install abigail-tools)" >&2
    [ "${CI:-}" = true ] && exit 1
    exit 77
fi
readelf -S "$so" | grep -q '\.debug_info' || { echo "abi gate: $so has no debug info (build with -g)" >&2; exit 1; }
major=$(sed -n 's/^#define LOOM_VERSION_MAJOR \([0-9][0-9]*\).*/\1/p' "$root/include/loom.h")
[ -n "$major" ] || { echo "abi gate: no LOOM_VERSION_MAJOR in include/loom.h" >&2; exit 1; }
baseline=$root/tests/abi/baseline/libloom.so.$major.abi
if [ ! -f "$baseline" ]; then
    if ls "$root"/tests/abi/baseline/libloom.so.*.abi >/dev/null 2>&1; then
        echo "abi gate: LOOM_VERSION_MAJOR is $major, which has no baseline yet: a new major version may break the ABI."
        echo "abi gate: commit its baseline on its own: tests/abi/update_baseline.sh"
        exit 0
    fi
    echo "abi gate: no baseline in tests/abi/baseline" >&2
    exit 1
fi
report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
# No --headers-dir2: the baseline XML carries no source locations (--no-show-locs), so
# abidiff would count every type as private and filter every change out; the
# exported functions (loom_* only) reach only public types anyway.
abidiff --suppressions "$root/tests/abi/abi.suppr" --no-show-locs \
    "$baseline" "$so" >"$report" 2>&1 || status=$?
# abidiff's status is a bit set: 1 error, 2 usage error, 4 ABI change, 8 incompatible change.
if [ $((status & 3)) -ne 0 ]; then
    cat "$report"
    echo "abi gate: abidiff failed (status $status)" >&2
    exit 1
fi
# Bit 4 alone covers additions and changes; the summaries tell which ("N Removed, N Changed, N Added").
if [ $((status & 8)) -ne 0 ] || grep -Eq '(^|[ ,:])[1-9][0-9]* (Removed|Changed)' "$report"; then
    cat "$report"
    echo "abi gate: incompatible ABI change against $(basename "$baseline") (LOOM_VERSION_MAJOR is still $major)" >&2
    exit 1
fi
if [ $((status & 4)) -ne 0 ]; then
    cat "$report"
    echo "abi gate: compatible additions only (the baseline may be updated on purpose: tests/abi/update_baseline.sh)"
else
    echo "abi gate: libloom.so matches $(basename "$baseline")"
fi
