#!/usr/bin/env bash
# Builds the CPU kernel parity test for aarch64 with Debian's cross compiler
# and runs it under qemu-aarch64 (user mode) three times: on qemu's "max"
# CPU (dotprod and i8mm: the Neon level runs arm_i8mm.cpp), on a Neoverse N1
# (dotprod only: arm_dotprod.cpp) and on a Cortex-A53 (armv8.0: the
# baseline arm_neon.cpp build).
# Each run checks the scalar and Neon levels against lib/quant's f32 decode
# and each other (tests/backends/cpu/test_kernels.cpp), and the packed
# weight layouts' scalar reference (test_kernels_packed.cpp: the round trip
# and matmul_packed vs the plain matmul), on a 64-bit ARM, FMA-contracting
# target. LOOM_QEMU_CPUS="..." picks other CPUs.
# Exits 77 (skipped) only when the cross compiler or qemu is missing, and
# not under CI=true, where that is a failure; any test failure fails the
# script. CI runs it (.ci/run).
#
#   apt-get install g++-aarch64-linux-gnu qemu-user
#   tests/backends/cpu/run_kernels_aarch64.sh [OUT_DIR]
#
# Compiled directly (not a meson cross build): the test needs only
# lib/common, lib/quant, backends/cpu/kernels and the header-only Catch2.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
out=${1:-$root/build-aarch64-kernels}
[ $# -gt 0 ] && shift
cxx=${CXX_AARCH64:-aarch64-linux-gnu-g++}
missing() {
    if [ "${CI:-}" = true ]; then echo "$1 is missing: a failure under CI=true" >&2; exit 1; fi
    echo "$1 is missing: skipped" >&2; exit 77
}
command -v "$cxx" >/dev/null || missing "$cxx (apt-get install g++-aarch64-linux-gnu)"
command -v qemu-aarch64 >/dev/null || missing "qemu-aarch64 (apt-get install qemu-user)"
mkdir -p "$out"
srcs=(
    "$root"/lib/common/*.cpp
    "$root"/lib/quant/*.cpp
    "$root"/backends/cpu/kernels/arm_*.cpp
    "$root"/backends/cpu/kernels/cpuid.cpp
    "$root"/backends/cpu/kernels/dispatch.cpp
    "$root"/backends/cpu/kernels/interleaved.cpp
    "$root"/backends/cpu/kernels/scalar_*.cpp
    "$root"/backends/cpu/kernels/swiglu.cpp
    "$root"/tests/backends/cpu/test_kernels.cpp
    "$root"/tests/backends/cpu/test_kernels_packed.cpp
    "$root"/tests/support/catch_main.cpp
)
# An object is rebuilt when it is missing or older than its source or any
# project header it included (the compiler's -MMD list).
stale() {
    [ -f "$1" ] && [ -f "$1.d" ] || return 0
    local dep
    for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$1.d"); do [ "$dep" -nt "$1" ] && return 0; done
    return 1
}
objs=()
for s in "${srcs[@]}"; do
    o=$out/$(echo "${s#$root/}" | tr / _).o
    if stale "$o"; then
        "$cxx" -std=c++17 -O2 -Wall -Wextra -DLOOM_BUILDING -I"$root/include" -I"$root/lib" -I"$root/backends" \
            -I"$root" -I"$root/tests/support" -MMD -MF "$o.d" -c "$s" -o "$o"
    fi
    objs+=("$o")
done
"$cxx" -o "$out/test_cpu_kernels" "${objs[@]}" -static -pthread
# The Neon level runs its i8mm build on "max" (dotprod + i8mm), its dotprod
# build on the Neoverse N1 (dotprod only) and its baseline build on the
# Cortex-A53 (armv8.0), so every build is checked.
for cpu in ${LOOM_QEMU_CPUS:-max neoverse-n1 cortex-a53}; do
    echo "== qemu-aarch64 -cpu $cpu"
    qemu-aarch64 -cpu "$cpu" "$out/test_cpu_kernels" "$@"
done
