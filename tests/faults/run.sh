#!/usr/bin/env bash
# The never-abort sweep: runs tests/faults/fault_driver (load, context,
# decode, state save/restore, free, on the CPU backend) once clean, then
# once per fault, with tests/faults/fault_shim.so preloaded:
#   - every pthread_create the run makes failing in turn (N = 1, 2, ...),
#   - every allocation the run makes failing in turn (N = 1, 2, ...),
# until a run completes without reaching the Nth call. Each run must exit 0
# (the driver checked that a failed step returned OUT_OF_MEMORY, BACKEND or
# IO with a message and succeeded on retry), print the clean run's digest
# (same final logits and state size: nothing half-done survived the
# failure), and, in a sanitizer build, report no leak and no error.
#
# Stride: 1 (every call) while the count stays under MAX_RUNS (the tiny
# model's path makes ~810 allocations: 814 runs, 55 s under ASan on a
# 2-core machine); beyond that the stride grows to keep the runs near
# MAX_RUNS, and the script says so.
#
#   tests/faults/run.sh BUILD_DIR [cpu|vulkan]
# BUILD_DIR: a configured, compiled loom build (the ASan build in CI).
set -euo pipefail

build=${1:?usage: run.sh BUILD_DIR [cpu|vulkan]}
backend=${2:-cpu}
max_runs=${LOOM_FAULT_MAX_RUNS:-1200}
dir="$build/tests/faults"
shim="$(cd "$dir" && pwd)/fault_shim.so"
driver="$dir/fault_driver"
model="$dir/fault_tiny.gguf"
for f in "$shim" "$driver" "$model"; do
  [ -e "$f" ] || { echo "faults: $f is missing (build $build first)"; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The shim goes before the ASan runtime in the preload order (it must see the
# calls first), which ASan would refuse by default. Leaks and errors exit 23.
export ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1:exitcode=23:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
lsan_supp="$(cd "$(dirname "$0")/.." && pwd)/support/lsan.supp"
export LSAN_OPTIONS="suppressions=$lsan_supp:print_suppressions=0"

# One run: prints "rc digest-line shim-line" fields to the named files.
run_one() {   # VAR=N ...
  local out="$work/out" err="$work/err"
  set +e
  env "$@" LD_PRELOAD="$shim" "$driver" "$model" "$work/state.bin" "$backend" >"$out" 2>"$err"
  rc=$?
  set -e
  digest=$(grep '^digest ' "$out" || true)
  shim_line=$(grep '^fault_shim: ' "$err" || true)
  injected=$(sed -n 's/.*injected=\([01]\).*/\1/p' <<<"$shim_line")
}

fail() {   # WHAT
  echo "faults: FAIL: $1"
  echo "--- driver output"; cat "$work/out"
  echo "--- stderr"; head -60 "$work/err"
  exit 1
}

run_one LOOM_FAULT_ALLOC=0
[ "$rc" = 0 ] && [ -n "$digest" ] || fail "the run without faults (rc $rc)"
clean=$digest
allocs=$(sed -n 's/.*allocs=\([0-9]*\).*/\1/p' <<<"$shim_line")
threads=$(sed -n 's/.*threads=\([0-9]*\).*/\1/p' <<<"$shim_line")
echo "faults: clean run ($backend): $allocs allocations, $threads thread creations; $clean"

# sweep VAR COUNT: fails call N = 1, 1+stride, ... of kind VAR, up to and
# past COUNT, until a run reaches no Nth call.
sweep() {
  local var=$1 count=$2 stride=1 n=1 runs=0 failed_steps=0
  if [ "$count" -gt "$max_runs" ]; then
    stride=$(( (count + max_runs - 1) / max_runs ))
    echo "faults: $var: $count calls exceed $max_runs runs; every ${stride}th call fails (stride $stride)"
  fi
  while :; do
    run_one "$var=$n"
    runs=$((runs + 1))
    [ "$rc" = 0 ] || fail "$var=$n: exit status $rc (1: a check failed; 23: a sanitizer report; >128: a signal)"
    [ "$digest" = "$clean" ] || fail "$var=$n: the final logits or state differ from the clean run ($digest)"
    [ "$injected" = 1 ] || break
    grep -q '^step ' "$work/out" && failed_steps=$((failed_steps + 1))
    n=$((n + stride))
  done
  echo "faults: $var: $runs runs (N = 1..$((n - stride)), stride $stride): no abort, no leak, same result;" \
       "$failed_steps returned a status, the others were absorbed (libc stdio buffers)"
}

start=$SECONDS
sweep LOOM_FAULT_THREAD "$threads"
sweep LOOM_FAULT_ALLOC "$allocs"
echo "faults: passed in $((SECONDS - start)) s"
