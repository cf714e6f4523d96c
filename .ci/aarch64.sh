#!/usr/bin/env bash
# The whole library on 64-bit ARM: cross-built with Meson and Debian's
# g++-aarch64-linux-gnu (.ci/cross/aarch64-linux-gnu.ini), then under
# qemu-aarch64 (user mode):
#   1. the `unit` suite, on qemu's "max" CPU (dotprod and i8mm: the Neon
#      level runs arm_i8mm.cpp);
#   2. the CPU kernel tests again on a Neoverse N1 (dotprod only:
#      arm_dotprod.cpp) and a Cortex-A53 (armv8.0: the baseline arm_neon.cpp);
#   3. `loom run --temp 0` on the tiny synthetic Qwen2 model
#      (../shared/ref/mkgguf.py --preset tiny, f16 and Q4_0 via llref
#      quantize): the greedy tokens must equal the native x86-64 build's.
# Vulkan is disabled in this build: qemu-user has no GPU or lavapipe for
# aarch64 to run it on, and the backend's host code is not
# architecture-specific (the native build compiles and tests it).
#
#   .ci/aarch64.sh [NATIVE_BUILD_DIR] [CROSS_BUILD_DIR]    (defaults: build, build-aarch64)
#
# Needs g++-aarch64-linux-gnu, qemu-user, catch2, python3-numpy and the
# reference (../shared/ref, for the tiny model). Exits 77 (skipped) when one
# is missing, except in CI (CI=true), where that fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
native=$(cd "$root" && realpath -m "${1:-build}")
cross=$(cd "$root" && realpath -m "${2:-build-aarch64}")
ref=${LOOM_REF_DIR:-$root/../shared/ref}
missing() {
    echo "aarch64: $1" >&2
    [ "${CI:-}" = true ] && exit 1
    exit 77
}
command -v aarch64-linux-gnu-g++ >/dev/null || missing "no aarch64-linux-gnu-g++ (apt-get install g++-aarch64-linux-gnu)"
command -v qemu-aarch64 >/dev/null || missing "no qemu-aarch64 (apt-get install qemu-user)"
[ -f /usr/include/catch2/catch.hpp ] || missing "no /usr/include/catch2/catch.hpp (apt-get install catch2)"
[ -x "$native/examples/loom/loom" ] || missing "no native build in $native (meson setup build && meson compile -C build)"
[ -x "$ref/mkgguf.py" ] && [ -x "$ref/llref" ] || missing "no reference tools in $ref"
# qemu-user finds the target's loader and shared libraries here.
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu

# Catch2 v2 is one portable header; the cross compiler must not search the
# build machine's /usr/include, so it gets a folder holding only that header.
mkdir -p "$cross-include/catch2"
ln -sf /usr/include/catch2/catch.hpp "$cross-include/catch2/catch.hpp"
if [ ! -f "$cross/build.ninja" ]; then
    meson setup "$cross" "$root" --cross-file "$root/.ci/cross/aarch64-linux-gnu.ini" \
        -Dvulkan=disabled -Dcpp_args="-isystem$cross-include" >/dev/null
fi
meson compile -C "$cross"

meson test -C "$cross" --suite unit --print-errorlogs
for cpu in neoverse-n1 cortex-a53; do
    echo "== cpu_kernels, cpu_kernels_packed on qemu -cpu $cpu"
    QEMU_CPU=$cpu meson test -C "$cross" cpu_kernels cpu_kernels_packed --print-errorlogs
done

# Greedy tokens on the tiny model: the same on both architectures.
models=$cross/models
mkdir -p "$models"
[ -f "$models/tiny-f16.gguf" ] || python3 "$ref/mkgguf.py" "$models/tiny-f16.gguf" --preset tiny --seed 1 >/dev/null
[ -f "$models/tiny-q4_0.gguf" ] || "$ref/llref" quantize "$models/tiny-f16.gguf" "$models/tiny-q4_0.gguf" 2 >/dev/null 2>&1
prompt="The quick brown fox jumps over the lazy dog. Once upon a time"
for model in tiny-f16 tiny-q4_0; do
    args=(run -m "$models/$model.gguf" -p "$prompt" -n 24 --temp 0 -t 2)
    "$native/examples/loom/loom" "${args[@]}" >"$models/$model.x86_64.txt"
    qemu-aarch64 "$cross/examples/loom/loom" "${args[@]}" >"$models/$model.aarch64.txt"
    if ! cmp -s "$models/$model.x86_64.txt" "$models/$model.aarch64.txt"; then
        echo "aarch64: greedy output on $model differs from x86-64:" >&2
        diff <(od -c "$models/$model.x86_64.txt") <(od -c "$models/$model.aarch64.txt") | head -20 >&2
        exit 1
    fi
    echo "aarch64: greedy output on $model equals x86-64's ($(wc -c <"$models/$model.x86_64.txt") bytes)"
done
