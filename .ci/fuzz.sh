#!/usr/bin/env bash
# CI: builds the libFuzzer targets (tests/fuzz) with clang-14 under
# ASan+UBSan, runs each for FUZZ_SECONDS (default 15) starting from its
# committed corpus, and fails on any finding (crash, sanitizer report, leak,
# timeout, out-of-memory); findings land in build-fuzz/findings/. The
# corpora are also replayed by the unit suite (fuzz_replay_*). The long run
# is the same script with FUZZ_SECONDS raised (tests/fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-15}
# FUZZ_TARGETS: a subset or another order (default: all eleven).
targets=${FUZZ_TARGETS:-"gguf model_load tokenizer detokenizer chat stop_matcher sampler state api_sequence grammar json_schema"}
if [ ! -d build-fuzz ]; then
  CC=clang-14 CXX=clang++-14 meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized -Dvulkan=disabled >/dev/null
fi
# FUZZ_BUILD=0 runs the binaries already built (tests/fuzz/long_run.sh).
if [ "${FUZZ_BUILD:-1}" != 0 ]; then
  # shellcheck disable=SC2046
  meson compile -C build-fuzz $(for t in $targets; do printf 'fuzz_%s ' "$t"; done)
fi
export LOOM_FUZZ_VOCAB=${LOOM_FUZZ_VOCAB:-$HOME/.cache/llref/src/models/ggml-vocab-qwen2.gguf}
if [ "${CI:-}" = true ] && [ ! -r "$LOOM_FUZZ_VOCAB" ]; then
  echo "fuzz: no vocabulary at $LOOM_FUZZ_VOCAB (../shared/ref/setup installs it)" >&2
  exit 1
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p build-fuzz/findings
TIMEFORMAT='%U %S'  # the CPU seconds of each run (user, system), into build-fuzz/findings/<t>.cpu
for t in $targets; do
  work=build-fuzz/corpus/$t
  mkdir -p "$work"
  log=build-fuzz/findings/$t.log
  if ! { time build-fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$secs" -timeout=60 -rss_limit_mb=3072 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix=build-fuzz/findings/"$t"- "$work" tests/fuzz/corpus/"$t" >"$log" 2>&1; } \
      2>build-fuzz/findings/"$t".cpu; then
    tail -60 "$log" >&2
    echo "fuzz: fuzz_$t found a failure (build-fuzz/findings/)" >&2
    exit 1
  fi
  cpu=$(awk '{printf "%.0f", $1 + $2}' build-fuzz/findings/"$t".cpu)
  echo "fuzz_$t: ${secs}s, ${cpu} CPU s, $(grep -o 'number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs, corpus $(ls "$work" | wc -l) inputs"
done
