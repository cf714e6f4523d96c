#!/usr/bin/env bash
# CI of the Go binding: bindings/go/ci.sh BUILD_DIR (a meson build dir of
# this tree, already compiled). Builds, vets and tests the binding against the
# library in BUILD_DIR (cgo through its uninstalled loom.pc) under the race
# detector and GODEBUG=cgocheck=2, and checks that
# examples/generate prints what `loom run --temp 0` prints, byte for byte.
# Offline: standard library only, caches under BUILD_DIR/go.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: bindings/go/ci.sh BUILD_DIR" >&2; exit 2; }
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
skip() { # a missing tool fails in CI, skips (77) elsewhere
  echo "bindings/go/ci.sh: $1" >&2
  if [ "${CI:-}" = true ]; then exit 1; else exit 77; fi
}
command -v go >/dev/null || skip "no go toolchain (Debian: golang-go)"
command -v pkg-config >/dev/null || skip "no pkg-config"
/usr/bin/python3 -c 'import numpy' 2>/dev/null || skip "no python3-numpy (to make the tiny model)"
cli=$build/examples/loom/loom
[ -x "$cli" ] && [ -e "$build/libloom.so" ] || { echo "bindings/go/ci.sh: build $build first" >&2; exit 1; }

# The tiny model: the one the C tests make (tests/support/testdata.cpp), else made here.
model=$build/testdata/tiny-s1-f16.gguf
# Same lock as testdata.cpp, so a parallel test run and this script never race.
mkdir -p "$build/testdata"
flock "$build/testdata/.lock" sh -c 'set -e; [ -f "$1" ] && exit 0
  /usr/bin/python3 "$2/mkgguf.py" "$1.tmp" --preset tiny --seed 1 >/dev/null; mv "$1.tmp" "$1"' \
  sh "$model" "${LOOM_REF_DIR:-$src/../shared/ref}"

export PKG_CONFIG_PATH=$build/meson-uninstalled LD_LIBRARY_PATH=$build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export CGO_ENABLED=1 GOFLAGS="-mod=mod -buildvcs=false" GOPROXY=off GOCACHE=$build/go/cache GOPATH=$build/go/path
export LOOM_BUILD_DIR=$build LOOM_TEST_MODEL=$model
cd "$src/bindings/go"

unformatted=$(gofmt -l .)
[ -z "$unformatted" ] || { echo "bindings/go/ci.sh: not gofmt'd: $unformatted" >&2; exit 1; }
go vet ./...
# Every test once, under the race detector and cgo's full pointer checks.
GODEBUG=cgocheck=2 go test -race -count=1 ./...

go build -o "$build/go/generate" ./examples/generate
for prompt in "Hello world" "Grüße, 世界 <|im_start|>" "fn main() {"; do
  for n in 0 17; do
    "$cli" run -m "$model" -p "$prompt" -n "$n" --temp 0 >"$build/go/want.txt"
    "$build/go/generate" "$model" "$prompt" "$n" >"$build/go/got.txt"
    cmp "$build/go/want.txt" "$build/go/got.txt" || { echo "generate '$prompt' $n differs from loom run" >&2; exit 1; }
  done
done
echo "bindings/go: ok"
