#!/usr/bin/env bash
# The whole library on 64-bit ARM: cross-built with Meson and Debian's
# g++-aarch64-linux-gnu (.ci/cross/aarch64-linux-gnu.ini), then run under
# qemu-aarch64 (user mode):
#   1. the `unit` suite on qemu's "max" CPU (dotprod and i8mm: the CPU
#      kernels' Neon level runs its arm_i8mm.cpp build);
#   2. the CPU kernel parity tests (cpu_kernels: every level against
#      lib/quant's f32 decode and the scalar level; cpu_kernels_packed: the
#      packed layouts) again on a Neoverse N1 (dotprod only: arm_dotprod.cpp)
#      and a Cortex-A53 (armv8.0: the baseline arm_neon.cpp), so every Neon
#      build is checked; LOOM_QEMU_CPUS="..." picks other CPUs;
#   3. `loom run --backend cpu --temp 0` on the tiny synthetic Qwen2 model
#      (../shared/ref/mkgguf.py --preset tiny; f16, and Q4_0 via llref
#      quantize): the greedy tokens must equal the native x86-64 build's.
#
#   .ci/aarch64.sh [NATIVE_BUILD_DIR] [CROSS_BUILD_DIR]    (defaults: build, build-aarch64)
#
# Left out of the cross build, each for a reason:
#   - Vulkan (-Dvulkan=disabled, so the vulkan_backend test): qemu-user has
#     no GPU, and lavapipe would need Debian's arm64 Mesa and loader
#     (multiarch), not installed; the backend's host code is not
#     architecture-specific (the native build compiles and tests it).
#   - `loom serve` (-Dserve=disabled): Debian's cpp-httplib is a compiled
#     library installed for the build machine only; its code is not
#     architecture-specific (tests/serve/run.sh runs it natively).
#   - `loom pull` and -hf (-Dpull=disabled): Debian's libcurl4-openssl-dev
#     is installed for the build machine only; the code is not
#     architecture-specific (tests/pull runs it natively).
#   - abi_static_link and abi_pkgconfig (tests/abi/meson.build): they run
#     the build machine's ldd, pkg-config and meson install on what they link.
#   - tests/faults (an LD_PRELOAD shim): qemu-user's own allocations would
#     go through it; CI runs it natively under ASan.
#   - published_shapes' [host_kernel] cases (tests/model/meson.build): they
#     measure the page cache after madvise and RLIMIT_AS accounting, which
#     under qemu-user are the emulator's, not the target's.
# Needs g++-aarch64-linux-gnu, qemu-user, catch2, nlohmann-json3-dev,
# python3-numpy (for /usr/bin/python3) and the reference (../shared/ref or LOOM_REF_DIR, for the
# tiny model). Exits 77 (skipped) when one is missing, except in CI
# (CI=true), where that fails.
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
[ -f /usr/include/nlohmann/json.hpp ] || missing "no /usr/include/nlohmann/json.hpp (apt-get install nlohmann-json3-dev)"
[ -x "$native/examples/loom/loom" ] || missing "no native build in $native (meson setup build && meson compile -C build)"
[ -x "$ref/mkgguf.py" ] && [ -x "$ref/llref" ] || missing "no reference tools in $ref"
# qemu-user finds the target's loader and shared libraries here.
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu

# Catch2 v2 and nlohmann-json are portable headers; the cross compiler must
# not search the build machine's /usr/include, so it gets a folder holding
# only those.
mkdir -p "$cross-include/catch2"
ln -sfn /usr/include/catch2/catch.hpp "$cross-include/catch2/catch.hpp"
ln -sfn /usr/include/nlohmann "$cross-include/nlohmann"
if [ ! -f "$cross/build.ninja" ]; then
    meson setup "$cross" "$root" --cross-file "$root/.ci/cross/aarch64-linux-gnu.ini" \
        -Dvulkan=disabled -Dserve=disabled -Dpull=disabled -Dcpp_args="-isystem$cross-include" >"$cross-setup.log" \
        || { tail -20 "$cross-setup.log" >&2; echo "aarch64: meson setup failed (log: $cross-setup.log)" >&2; exit 1; }
fi
meson compile -C "$cross"

# qemu runs a test 5 to 10 times slower than the build machine would.
echo "== unit suite on qemu -cpu max"
QEMU_CPU=max meson test -C "$cross" --suite unit --print-errorlogs --timeout-multiplier 4
for cpu in ${LOOM_QEMU_CPUS:-neoverse-n1 cortex-a53}; do
    echo "== cpu_kernels, cpu_kernels_packed on qemu -cpu $cpu"
    QEMU_CPU=$cpu meson test -C "$cross" cpu_kernels cpu_kernels_packed --print-errorlogs --timeout-multiplier 4
done

# Greedy tokens on the tiny model: the same on both architectures. `loom run`
# prints the prompt, then each sampled token's text; --verbose adds the
# number of tokens sampled (stderr), which must be the same too.
models=$cross/models
mkdir -p "$models"
[ -f "$models/tiny-f16.gguf" ] || /usr/bin/python3 "$ref/mkgguf.py" "$models/tiny-f16.gguf" --preset tiny --seed 1 >/dev/null
[ -f "$models/tiny-q4_0.gguf" ] || "$ref/llref" quantize "$models/tiny-f16.gguf" "$models/tiny-q4_0.gguf" 2 >/dev/null 2>&1
prompt="The quick brown fox jumps over the lazy dog. Once upon a time"
greedy() { # LOOM_EXE... MODEL OUT: stdout to OUT.txt, the sampled token count to OUT.n
    local out=${*: -1} model=${*: -2:1}
    "${@:1:$#-2}" run --backend cpu -m "$model" -p "$prompt" -n 24 --temp 0 -t 2 --verbose >"$out.txt" 2>"$out.err" \
        || { cat "$out.err" >&2; exit 1; }
    sed -n 's/^generate: \([0-9]*\) tokens.*/\1/p' "$out.err" >"$out.n"
}
for model in tiny-f16 tiny-q4_0; do
    greedy "$native/examples/loom/loom" "$models/$model.gguf" "$models/$model.x86_64"
    greedy qemu-aarch64 "$cross/examples/loom/loom" "$models/$model.gguf" "$models/$model.aarch64"
    n=$(cat "$models/$model.x86_64.n")
    if [ -z "$n" ] || [ "$n" -eq 0 ] || [ "$(wc -c <"$models/$model.x86_64.txt")" -le "$((${#prompt} + 1))" ]; then
        echo "aarch64: the x86-64 run on $model sampled no tokens" >&2
        exit 1
    fi
    if ! cmp -s "$models/$model.x86_64.txt" "$models/$model.aarch64.txt" \
        || ! cmp -s "$models/$model.x86_64.n" "$models/$model.aarch64.n"; then
        echo "aarch64: greedy output on $model differs from x86-64's:" >&2
        diff "$models/$model.x86_64.txt" "$models/$model.aarch64.txt" >&2 || true
        echo "tokens sampled: x86-64 $n, aarch64 $(cat "$models/$model.aarch64.n")" >&2
        exit 1
    fi
    echo "aarch64: greedy output on $model equals x86-64's ($n tokens)"
done
