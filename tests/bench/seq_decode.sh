#!/usr/bin/env bash
# Cost of concurrent sequences: one decode step advancing N sequences by a
# token each, every sequence D tokens deep (loom bench --sequences N), per
# build, interleaved over rounds (the machine is shared). Prints per (build,
# N) the best step time (wall), the best process CPU time of a step (with the
# default THREADS=1 the work itself, whatever the load), and the ratios of
# both to the same build's single-sequence step.
#   tests/bench/seq_decode.sh MODEL BUILD_DIR... [env: D=512 NS="1 4 8" STEPS=8 ROUNDS=2 THREADS=1]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 MODEL BUILD_DIR..." >&2; exit 2; }
model="$1"; shift
D="${D:-512}"; NS="${NS:-1 4 8}"; STEPS="${STEPS:-8}"; ROUNDS="${ROUNDS:-2}"; THREADS="${THREADS:-1}"
declare -A wall cpu
keep_min() {   # keep_min ARRAY KEY VALUE
  local -n a="$1"
  if [ -z "${a[$2]:-}" ] || awk -v x="$3" -v y="${a[$2]}" 'BEGIN {exit !(x < y)}'; then a[$2]="$3"; fi
}
for ((r = 1; r <= ROUNDS; r++)); do
  for n in $NS; do
    for b in "$@"; do
      line="$("$b/examples/loom/loom" bench -m "$model" -p 0 -n "$STEPS" -r 1 -t "$THREADS" --depth "$D" \
               --sequences "$n" | grep '^step')"   # step <ms> ms cpu <ms> ms
      keep_min wall "$b|$n" "$(echo "$line" | awk '{print $2}')"
      keep_min cpu "$b|$n" "$(echo "$line" | awk '{print $5}')"
      echo "round $r  N=$n  $b  $line" >&2
    done
  done
done
echo "D=$D, $THREADS thread(s), $STEPS steps, best of $ROUNDS rounds"
printf '%-32s %3s %10s %8s %10s %8s\n' build N "wall ms" "x N=1" "cpu ms" "x N=1"
first="${NS%% *}"
for b in "$@"; do
  for n in $NS; do
    printf '%-32s %3s %10s %8s %10s %8s\n' "$b" "$n" "${wall[$b|$n]}" \
      "$(awk -v a="${wall[$b|$n]}" -v o="${wall[$b|$first]}" 'BEGIN {printf "%.2f", a / o}')" "${cpu[$b|$n]}" \
      "$(awk -v a="${cpu[$b|$n]}" -v o="${cpu[$b|$first]}" 'BEGIN {printf "%.2f", a / o}')"
  done
done
