#!/usr/bin/env bash
# bindings/rust/ci.sh BUILD_DIR: the Rust binding against the libloom just
# built in BUILD_DIR (a meson build folder): runs its tests (shared library,
# found through LOOM_LIB_DIR), then checks that the generate example prints
# byte for byte what `loom run ... --temp 0` prints, linked both ways: shared
# (LOOM_LIB_DIR) and static (LOOM_STATIC=1 through `pkg-config --static`).
# Cargo runs offline with its home and targets inside BUILD_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)

skip() { # a missing tool fails in CI, skips (77) elsewhere
  echo "rust binding: $1" >&2
  if [ "${CI:-}" = true ]; then exit 1; else exit 77; fi
}
command -v cargo >/dev/null || skip "cargo not found"
command -v pkg-config >/dev/null || skip "pkg-config not found"
cli="$build/examples/loom/loom"
[ -x "$cli" ] || skip "$cli not built"

export CARGO_HOME="$build/rust/cargo-home" CARGO_TARGET_DIR="$build/rust/target"
export LOOM_LIB_DIR="$build" LOOM_CLI="$cli"
unset LOOM_STATIC

# The tiny model (random weights, the real Qwen2.5 vocabulary): the one the
# C tests make (tests/support/testdata.cpp), else made here under their lock.
/usr/bin/python3 -c 'import numpy' 2>/dev/null || skip "no python3-numpy (to make the tiny model)"
model="$build/testdata/tiny-s1-f16.gguf"
mkdir -p "$build/testdata" "$build/rust"
flock "$build/testdata/.lock" sh -c 'set -e; [ -f "$1" ] && exit 0
  /usr/bin/python3 "$2/mkgguf.py" "$1.tmp" --preset tiny --seed 1 >/dev/null; mv "$1.tmp" "$1"' \
  sh "$model" "${LOOM_REF_DIR:-$root/../shared/ref}"
export LOOM_TEST_MODEL="$model"

cd "$here"
cargo --version
cargo test --offline --release

# generate MODEL PROMPT N == loom run -m MODEL -p PROMPT -n N --temp 0, byte for byte.
check_generate() { # $1: the generate binary
  local prompt n
  for case in "Hello world|24" "The quick brown fox|40" "<|im_start|>user
日本語で|16" "Once upon a time|120" "x|0"; do
    prompt=${case%|*} n=${case##*|}
    "$1" "$model" "$prompt" "$n" >"$build/rust/generate.out"
    "$cli" run -m "$model" -p "$prompt" -n "$n" --temp 0 >"$build/rust/loom-run.out"
    cmp "$build/rust/generate.out" "$build/rust/loom-run.out" || {
      echo "rust binding: generate differs from loom run for prompt '$prompt' -n $n" >&2; exit 1; }
  done
}
cargo run --offline --release -q --example generate -- "$model" "Hello world" 24 >"$build/rust/cargo-run.out"
"$cli" run -m "$model" -p "Hello world" -n 24 --temp 0 | cmp - "$build/rust/cargo-run.out"
check_generate "$CARGO_TARGET_DIR/release/examples/generate"

# Static: libloom.a through pkg-config --static (the uninstalled loom.pc of the build).
(
  unset LOOM_LIB_DIR
  export LOOM_STATIC=1 PKG_CONFIG_PATH="$build/meson-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  export CARGO_TARGET_DIR="$build/rust/target-static"
  cargo build --offline --release -q --example generate
  if ldd "$CARGO_TARGET_DIR/release/examples/generate" | grep -q libloom; then
    echo "rust binding: the static build links libloom.so" >&2; exit 1
  fi
  check_generate "$CARGO_TARGET_DIR/release/examples/generate"
)
echo "rust binding: tests and generate == loom run (shared and static): ok"
