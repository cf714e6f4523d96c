#!/usr/bin/env bash
# The long fuzz run (tests/fuzz/README.md): the ten targets round robin,
# CHUNK wall seconds at a time (.ci/fuzz.sh, FUZZ_BUILD=0, so build-fuzz must
# be built), until they have used CPU_SECONDS of CPU in total (user + system,
# measured, so a loaded machine just takes longer) or UNTIL (epoch seconds)
# passes. Stops at the first finding. Writes one line per chunk and a total
# per target to build-fuzz/longrun/summary.
set -euo pipefail
cd "$(dirname "$0")/../.."
cpu_goal=${CPU_SECONDS:-3600} chunk=${CHUNK:-60} until=${UNTIL:-0}
targets=${FUZZ_TARGETS:-"gguf model_load tokenizer detokenizer chat stop_matcher sampler state api_sequence grammar"}
out=build-fuzz/longrun
mkdir -p "$out"
: >"$out/chunks"
total=0
while awk -v t="$total" -v g="$cpu_goal" 'BEGIN { exit !(t < g) }'; do
  for t in $targets; do
    if [ "$until" != 0 ] && [ "$(date +%s)" -ge "$until" ]; then break 2; fi
    FUZZ_BUILD=0 FUZZ_TARGETS=$t FUZZ_SECONDS=$chunk .ci/fuzz.sh >>"$out/chunks" 2>"$out/last_error" \
      || { cat "$out/last_error" >&2; echo "long_run: fuzz_$t found a failure" >&2; exit 1; }
    total=$(awk '{ split($0, f, ", "); c = f[2]; sub(/ CPU s/, "", c); s += c } END { print s + 0 }' "$out/chunks")
  done
done
# Per target: chunks, wall seconds, CPU seconds, executions.
awk '{ split($0, f, ", "); t = f[1]; sub(/:.*/, "", t); w = f[1]; sub(/.*: /, "", w); sub(/s$/, "", w)
       c = f[2]; sub(/ CPU s/, "", c); r = f[3]; sub(/ runs/, "", r)
       n[t]++; W[t] += w; C[t] += c; R[t] += r }
     END { for (t in n) { printf "%s %d chunks, %d s wall, %d CPU s, %d runs\n", t, n[t], W[t], C[t], R[t]; tc += C[t]; tr += R[t] }
           printf "total %d CPU s, %d runs, 0 findings\n", tc, tr }' "$out/chunks" | sort >"$out/summary"
cat "$out/summary"
