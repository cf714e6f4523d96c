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
targets="gguf model_load tokenizer detokenizer chat stop_matcher sampler state api_sequence grammar"
if [ ! -d build-fuzz ]; then
  CC=clang-14 CXX=clang++-14 meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized -Dvulkan=disabled >/dev/null
fi
# shellcheck disable=SC2046
meson compile -C build-fuzz $(for t in $targets; do printf 'fuzz_%s ' "$t"; done)
export LOOM_FUZZ_VOCAB=${LOOM_FUZZ_VOCAB:-$HOME/.cache/llref/src/models/ggml-vocab-qwen2.gguf}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p build-fuzz/findings
for t in $targets; do
  work=build-fuzz/corpus/$t
  mkdir -p "$work"
  log=build-fuzz/findings/$t.log
  if ! build-fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=3072 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix=build-fuzz/findings/"$t"- "$work" tests/fuzz/corpus/"$t" >"$log" 2>&1; then
    tail -60 "$log" >&2
    echo "fuzz: fuzz_$t found a failure (build-fuzz/findings/)" >&2
    exit 1
  fi
  echo "fuzz_$t: ${secs}s, $(grep -o 'number_of_executed_runs: *[0-9]*' "$log" | grep -o '[0-9]*$') runs, corpus $(ls "$work" | wc -l) inputs"
done
