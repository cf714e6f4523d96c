#!/usr/bin/env bash
# .ci/sanitizers.sh [PLAIN_BUILD]: loom under the sanitizers (issue 15).
#   1. build-asan (AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer,
#      debugoptimized): every registered suite (unit and parity; `slow` and
#      `tools` exist only with -Dslow_tests / -Dtool_parity, see tests/meson.build),
#      the four heaviest parity tests on one representative slice each.
#      tests/faults/run.sh and the ABI gate (.ci/run) then reuse this build.
#   2. build-tsan (ThreadSanitizer): only the tests that run loom on several
#      threads at once: contexts on one model on N threads (CPU: `context`,
#      Vulkan on lavapipe: `vulkan_threads`), the CPU thread pool, and one
#      tokenizer shared by threads (`tokenizer_vocab`), and `loom serve`'s
#      concurrency test (16 clients on 4 slots, abort, queue full, drain),
#      which also runs under ASan (step 1).
#   3. valgrind memcheck on one end-to-end `loom run` (CPU backend, tiny
#      synthetic model, a few tokens) of PLAIN_BUILD (default: build, the
#      unsanitized release build .ci/run makes first; configured here if absent).
# Suppressions (each with its reason): tests/support/lsan.supp, tests/support/tsan.supp.
# Prints the seconds of each part at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
plain=${1:-build}
declare -a times=()
t0=$SECONDS
mark() { times+=("$1: $((SECONDS - t0)) s"); t0=$SECONDS; }

# 1. ASan + UBSan over every suite.
meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null 2>&1 \
  || meson setup build-asan --reconfigure >/dev/null
meson compile -C build-asan
mark "asan build"
# The four heaviest parity tests (every quant type on three forwards, 17 types on
# lavapipe, the benchmark tools) run whole in the release build; under ASan they
# run one representative slice each, so this step stays within CI's time.
heavy="parity_inference parity_greedy vulkan_model_parity bench_smoke vulkan_sharing"
# shellcheck disable=SC2046
meson test -C build-asan --no-rebuild --print-errorlogs $(meson introspect build-asan --tests |
  python3 -c 'import json, sys; h = set(sys.argv[1:]); print(" ".join(t["name"] for t in json.load(sys.stdin) if t["name"] not in h))' $heavy)
slice() { meson test -C build-asan --no-rebuild --print-errorlogs "$1" --test-args "$2"; }
slice parity_inference "logits_match_llama_cpp_for_every_quant_type -c Q4_K_M"
slice parity_inference "moe_logits_match_llama_cpp_for_every_quant_type -c Q8_0"
slice parity_greedy greedy_64_tokens_equal_llama_cpp_q8_0
slice vulkan_model_parity vulkan_greedy_generation_equals_cpu_for_f16_and_q8_0
# vulkan_sharing: its two cases that destroy a validation-layer device after
# threads or an event used it leave indirect leaks from an unloaded module
# (no loom frame, LSan cannot name it: not understood yet, issue 17); the
# other three run here, all five in the plain build.
slice vulkan_sharing "models_share_one_device_per_host_queue_and_per_physical_device,rejects_half_a_queue_lock_and_negative_vulkan_limits,the_abort_callback_cancels_a_decode_between_its_submissions"
mark "asan tests (all suites; heavy parity tests sliced)"
# `loom serve` under ASan: 16 clients x 4 requests on 4 slots, aborted streams, queue full, drain.
tests/serve/run.sh build-asan concurrency.test.mjs
mark "asan loom serve concurrency"

# 2. TSan: the multi-thread tests only (their executables and what they need).
tsan_tests="context cpu_thread_pool tokenizer_vocab"
tsan_targets="test_context test_cpu_thread_pool test_tokenizer_vocab"
meson setup build-tsan -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null 2>&1 \
  || meson setup build-tsan --reconfigure >/dev/null
if meson introspect build-tsan --tests | grep -q '"name": "vulkan_threads"'; then
  tsan_tests="$tsan_tests vulkan_threads"
  tsan_targets="$tsan_targets test_vulkan_threads"
elif [ "${CI:-}" = true ]; then
  echo "sanitizers: the TSan build has no Vulkan backend (vulkan_threads not registered)" >&2
  exit 1
fi
# shellcheck disable=SC2086
meson compile -C build-tsan $tsan_targets examples/loom/loom:executable
mark "tsan build"
# shellcheck disable=SC2086
meson test -C build-tsan --no-rebuild --print-errorlogs $tsan_tests
mark "tsan tests"
# `loom serve` under TSan: its HTTP workers, the scheduler thread and the
# drain (Debian's uninstrumented httplib is ignored: tests/support/tsan.supp).
tests/serve/run.sh build-tsan concurrency.test.mjs
mark "tsan loom serve concurrency"

# 3. valgrind memcheck on `loom run`, CPU backend, 8 tokens of the tiny model.
[ -f "$plain/build.ninja" ] || meson setup "$plain" >/dev/null
meson compile -C "$plain" examples/loom/loom:executable
mkdir -p "$plain/testdata"
model=$plain/testdata/valgrind-tiny-f16.gguf
if [ ! -f "$model" ]; then
  /usr/bin/python3 ../shared/ref/mkgguf.py "$model.tmp" --preset tiny >/dev/null
  mv "$model.tmp" "$model"
fi
valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --show-leak-kinds=definite,indirect,possible -q \
  "$plain/examples/loom/loom" --backend cpu run -m "$model" -p "Once upon a time" -n 8 -t 2 --temp 0 >/dev/null
mark "valgrind loom run"

printf 'sanitizers: %s\n' "${times[@]}"
