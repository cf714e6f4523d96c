#!/usr/bin/env bash
# Cost of concurrent sequences: one decode step advancing N sequences by a
# token each, every sequence D tokens deep (loom bench --sequences N), per
# build, interleaved over rounds (the machine is shared); prints the best step
# time per (build, N) and its ratio to the same build's single-sequence step.
#   tests/bench/seq_decode.sh MODEL BUILD_DIR... [env: D=512 NS="1 4 8" STEPS=8 ROUNDS=3 THREADS=2]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 MODEL BUILD_DIR..." >&2; exit 2; }
model="$1"; shift
D="${D:-512}"; NS="${NS:-1 4 8}"; STEPS="${STEPS:-8}"; ROUNDS="${ROUNDS:-3}"; THREADS="${THREADS:-2}"
declare -A best
for ((r = 1; r <= ROUNDS; r++)); do
  for n in $NS; do
    for b in "$@"; do
      # ms of one step (the single-sequence run prints tok/s only: 1000 / tok/s).
      out="$("$b/examples/loom/loom" bench -m "$model" -p 0 -n "$STEPS" -r 1 -t "$THREADS" --depth "$D" --sequences "$n")"
      ms="$(echo "$out" | awk -v n="$n" '/^step/ {print $2; f=1} /^tg/ {t=$2} END {if (!f) printf "%.3f\n", 1000 * n / t}')"
      key="$b|$n"
      if [ -z "${best[$key]:-}" ] || awk -v a="$ms" -v b="${best[$key]}" 'BEGIN {exit !(a < b)}'; then best[$key]="$ms"; fi
      echo "round $r  N=$n  $b  step ${ms} ms" >&2
    done
  done
done
printf '%-40s %4s %12s %10s\n' build N "step ms" "x N=1"
for b in "$@"; do
  one="${best[$b|${NS%% *}]}"
  for n in $NS; do
    printf '%-40s %4s %12s %10s\n' "$b" "$n" "${best[$b|$n]}" "$(awk -v a="${best[$b|$n]}" -v o="$one" 'BEGIN {printf "%.2f", a / o}')"
  done
done
