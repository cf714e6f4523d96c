#!/usr/bin/env bash
# tests/serve/run.sh [BUILD_DIR [TEST.mjs...]]: the `loom serve` tests (all,
# or the files named), on loopback only. A sanitizer build runs as well
# (tests/serve/run.sh build-asan concurrency.test.mjs).
# Installs the pinned npm packages (package-lock.json: the official `openai`
# client and `playwright-core`) into BUILD_DIR/serve-tests, makes the tiny
# synthetic model with ../shared/ref/mkgguf.py (and a copy with Qwen2.5's
# chat template, tests/chat/gguf_set_template.py), then runs every
# tests/serve/*.test.mjs with node's test runner against BUILD_DIR's `loom`.
# The chat page test drives Debian's chromium; the scale-out test runs nginx.
# Outside CI a missing tool skips (exit 77); in CI (CI=true) it fails.
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$src/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
shift || true
tests=${*:-openai_client.test.mjs tools.test.mjs concurrency.test.mjs hostile.test.mjs speculative.test.mjs chat_page.test.mjs scale_out.test.mjs}
work=$build/serve-tests

missing() {
  echo "serve tests: $1 not found" >&2
  if [ "${CI:-}" = true ]; then exit 1; else exit 77; fi
}
command -v node >/dev/null || missing node
command -v npm >/dev/null || missing npm
chromium=${LOOM_CHROMIUM:-$(command -v chromium || true)}
[ -x "$chromium" ] || missing chromium
[ -x "${LOOM_NGINX:-/usr/sbin/nginx}" ] || missing nginx
[ -f "$root/../shared/ref/mkgguf.py" ] || missing "../shared/ref/mkgguf.py"
[ -x "$build/examples/loom/loom" ] || missing "$build/examples/loom/loom (build first)"

mkdir -p "$work" "$build/testdata"
cp "$src"/package.json "$src"/package-lock.json "$src"/*.mjs "$work"/
if ! cmp -s "$src/package-lock.json" "$work/node_modules/.installed-lock" 2>/dev/null; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$src/package-lock.json" "$work/node_modules/.installed-lock"
fi

model=$build/testdata/serve-tiny-s7-f16.gguf
if [ ! -f "$model" ]; then
  /usr/bin/python3 "$root/../shared/ref/mkgguf.py" "$model.tmp" --preset tiny --seed 7 >/dev/null
  mv "$model.tmp" "$model"
fi

# The same model with Qwen2.5-Instruct's chat template (tools.test.mjs).
tools_model=$build/testdata/serve-tiny-s7-f16-qwen25.gguf
if [ ! -f "$tools_model" ] || [ "$root/tests/chat/templates/qwen2.5-instruct.jinja" -nt "$tools_model" ]; then
  /usr/bin/python3 "$root/tests/chat/gguf_set_template.py" "$model" "$tools_model.tmp" "@$root/tests/chat/templates/qwen2.5-instruct.jinja"
  mv "$tools_model.tmp" "$tools_model"
fi

export LOOM_EXE=$build/examples/loom/loom LOOM_SERVE_MODEL=$model LOOM_CHROMIUM=$chromium LOOM_SERVE_OUT=$work
export LOOM_SERVE_TOOLS_MODEL=$tools_model LOOM_SRC=$root
cd "$work"
# As meson test sets them (tests/meson.build), for sanitizer builds.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/support/lsan.supp:print_suppressions=0}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:suppressions=$root/tests/support/tsan.supp:print_suppressions=0}
# shellcheck disable=SC2086
node --test --test-concurrency=1 $tests
[ ! -f "$work/chat_page.png" ] || echo "serve tests: the chat page screenshot is $work/chat_page.png"
