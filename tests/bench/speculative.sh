#!/usr/bin/env bash
# tests/bench/speculative.sh [BUILD_DIR] (env N=48 R=3 T=2 K=4 TYPE=Q8_0 DIR=BUILD_DIR/spec-bench):
# speculative decoding against plain greedy decoding with `loom bench`'s
# speculative mode (each repetition runs plain then speculative on the same
# prompt, interleaved, so a drifting machine load hits both; the texts must
# be equal or the bench fails). Synthetic random-weight models from
# ../shared/ref/mkgguf.py (qwen2-1.5b shapes as the target, qwen2-0.5b as the
# draft, quantized to TYPE with `loom quantize`), made once under DIR. Cases:
#   lookup      prompt lookup on a code-editing prompt (the 1.5B target)
#   draft-0.5b  the 0.5B draft for the 1.5B target
#   self-1.5b   the 1.5B target as its own draft (every proposal kept: the
#               upper bound of acceptance, at the cost of a second 1.5B)
# Random weights make unrelated models: the 0.5B draft agrees with the 1.5B
# target about as often as chance, so its acceptance (and speedup) say
# nothing about a trained pair; the numbers measure the machinery.
# Results: docs/speculative.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
loom="$build/examples/loom/loom"
N=${N:-48} R=${R:-3} T=${T:-2} K=${K:-4} TYPE=${TYPE:-Q8_0}
dir=${DIR:-$build/spec-bench}
mkdir -p "$dir"
[ -x "$loom" ] || { echo "speculative.sh: $loom not built" >&2; exit 1; }

model() { # preset -> quantized file (made once)
  local out="$dir/$1-$TYPE.gguf"
  if [ ! -f "$out" ]; then
    /usr/bin/python3 "$root/../shared/ref/mkgguf.py" --preset "$1" --seed 1 "$dir/$1-f16.gguf" >&2
    "$loom" quantize "$dir/$1-f16.gguf" "$out" "$TYPE" >&2
    rm -f "$dir/$1-f16.gguf"
  fi
  echo "$out"
}
target=$(model qwen2-1.5b)
draft=$(model qwen2-0.5b)

# A code-editing request: the code to edit is in the prompt, so the reply
# (the same code with a change) can be proposed from it.
prompt="$dir/code_edit_prompt.txt"
cat > "$prompt" <<'PROMPT'
Rename the variable `total` to `running_sum` in this function and return the code.

def summarize(values):
    total = 0
    count = 0
    for v in values:
        if v is None:
            continue
        total += v
        count += 1
    mean = total / count if count else 0.0
    return {"total": total, "count": count, "mean": mean}

def summarize(values):
    running_sum = 0
    count = 0
    for v in values:
PROMPT

run() { # name, extra args
  echo "== $1 (loom bench -m $(basename "$target") $2 -f code_edit_prompt.txt -n $N -r $R -t $T)"
  # shellcheck disable=SC2086
  "$loom" bench -m "$target" --backend cpu $2 -f "$prompt" -n "$N" -r "$R" -t "$T"
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
run lookup "--lookup --draft-max $K"
run draft-0.5b "--draft-model $draft --draft-max $K"
run self-1.5b "--draft-model $target --draft-max $K"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
