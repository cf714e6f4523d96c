#!/usr/bin/env bash
# Tokenizer throughput: the same large text through `loom tokenize` and
# `llref tokenize` (llama.cpp), interleaved, best of REPS runs each; prints
# both times and the ratio. A benchmark, never a timed test.
#
#   tests/bench/tokenizer.sh [BUILD_DIR] [MB] [REPS]
#
# Text: English prose (GPL and other licenses from /usr/share/common-licenses),
# C source (ggml.c from the llref cache) and llama.cpp's
# multilingual tokenizer test strings, repeated to MB megabytes, NFC so both
# tokenizers must agree (the ids are compared too; llama.cpp differs from the
# HF tokenizer on texts like "</s>", which it forces to a control token). Model: llama.cpp's
# vocab-only Qwen2 GGUF. Both times include loading the vocabulary.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
mb="${2:-8}"
reps="${3:-5}"
ref="$root/../shared/ref"
llref="$("$ref/setup" | tail -n 1)"  # the llref binary itself (the wrapper reruns setup)
home="${LLREF_HOME:-$HOME/.cache/llref}"
model="$home/src/models/ggml-vocab-qwen2.gguf"
loom="$build/examples/loom/loom"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

{
    cat /usr/share/common-licenses/GPL-3 /usr/share/common-licenses/Apache-2.0
    cat "$home/src/ggml/src/ggml.c"
    cat "$model.inp"
} > "$work/seed.txt"
python3 - "$work/seed.txt" "$work/text.txt" "$mb" <<'PY'
import sys, unicodedata
seed = unicodedata.normalize("NFC", open(sys.argv[1], encoding="utf-8", errors="replace").read())
want = int(float(sys.argv[3]) * 1e6)
out = (seed * (want // len(seed.encode()) + 1))
open(sys.argv[2], "w", encoding="utf-8").write(out[:want])
PY
bytes=$(wc -c < "$work/text.txt")

best() { sort -g | head -1; }
time_cmd() {  # prints seconds of one run of "$@" < text
    local t0 t1
    t0=$(date +%s.%N); "$@" < "$work/text.txt" > "$work/out.$BASHPID"; t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
: > "$work/loom.t"; : > "$work/llama.t"
for ((i = 0; i < reps; i++)); do
    ( time_cmd "$loom" tokenize -m "$model" >> "$work/loom.t"; mv "$work"/out.* "$work/loom.ids" )
    ( export LLREF_VOCAB_ONLY=1; time_cmd "$llref" tokenize "$model" >> "$work/llama.t"; mv "$work"/out.* "$work/llama.ids" )
done
if cmp -s "$work/loom.ids" "$work/llama.ids"; then same=identical; else same=DIFFERENT; fi
l=$(best < "$work/loom.t"); r=$(best < "$work/llama.t")
n=$(wc -l < "$work/loom.ids")
printf 'text: %d bytes, %d tokens (ids %s)\n' "$bytes" "$n" "$same"
printf 'loom tokenize:  %.3f s  (%.1f MB/s)\n' "$l" "$(echo "$bytes / $l / 1000000" | bc -l)"
printf 'llref tokenize: %.3f s  (%.1f MB/s)\n' "$r" "$(echo "$bytes / $r / 1000000" | bc -l)"
printf 'speedup: %.2fx (best of %d each, interleaved)\n' "$(echo "$r / $l" | bc -l)" "$reps"
