#!/usr/bin/env bash
# Partial offload: decode (tg) and prompt (pp) speed on the CPU backend, then
# with the last N layers on the Vulkan device (loom bench --backend vulkan
# -ngl N), interleaved over rounds (the machine is shared), best per N.
# -ngl 0 is the CPU backend; -1 the whole model on the device.
#   tests/bench/offload.sh MODEL [BUILD_DIR] [env: NGLS="0 1 12 24 -1" P=16 TG=16 ROUNDS=2 THREADS=2]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 MODEL [BUILD_DIR]" >&2; exit 2; }
model="$1"; build="${2:-build}"
NGLS="${NGLS:-0 1 -1}"; P="${P:-16}"; TG="${TG:-16}"; ROUNDS="${ROUNDS:-2}"; THREADS="${THREADS:-2}"
declare -A pp tg
keep_max() {   # keep_max ARRAY KEY VALUE
  local -n a="$1"
  if [ -z "${a[$2]:-}" ] || awk -v x="$3" -v y="${a[$2]}" 'BEGIN {exit !(x > y)}'; then a[$2]="$3"; fi
}
for ((r = 1; r <= ROUNDS; r++)); do
  for n in $NGLS; do
    out="$("$build/examples/loom/loom" bench -m "$model" -p "$P" -n "$TG" -r 1 -t "$THREADS" --backend vulkan -ngl "$n")"
    keep_max pp "$n" "$(echo "$out" | awk '/^pp/ {print $2}')"
    keep_max tg "$n" "$(echo "$out" | awk '/^tg/ {print $2}')"
    echo "round $r  -ngl $n  $(echo "$out" | tr '\n' ' ')" >&2
  done
done
echo "$model, $THREADS thread(s), pp$P / tg$TG, best of $ROUNDS rounds"
printf '%6s %12s %12s\n' -ngl "pp tok/s" "tg tok/s"
for n in $NGLS; do printf '%6s %12s %12s\n' "$n" "${pp[$n]}" "${tg[$n]}"; done
