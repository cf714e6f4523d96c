#!/usr/bin/env bash
# tests/bench/serve_bench.sh MODEL [CLIENTS...]: `loom serve` against
# llama-server (../shared/ref/tools, built on first use: 5-10 min on 2 cores)
# on the same file, the same slots (= clients), context and 2 threads; one
# JSON line per server and client count from serve_bench.mjs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
model=$1; shift
counts=${*:-4 8}
loom=${LOOM_EXE:-$root/build/examples/loom/loom}
ctx_per_slot=${CTX_PER_SLOT:-512}
# Extra llama-server flags, e.g. LLAMA_SERVER_ARGS=--no-repack on a Xeon with
# AMX, where llama.cpp's AMX matmul crashes at its first decode.
read -r -a llama_extra <<<"${LLAMA_SERVER_ARGS:-}"
port=${PORT:-18931}

wait_up() { for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && return 0; sleep 0.1; done; return 1; }
bench() {   # NAME PID CLIENTS
  wait_up || { echo "$1 did not start" >&2; kill "$2"; return 1; }
  printf '%s ' "$1"
  node "$here/serve_bench.mjs" --url "http://127.0.0.1:$port" --clients "$3" --requests "${REQUESTS:-4}" \
       --max-tokens "${MAX_TOKENS:-64}"
  kill "$2"; wait "$2" 2>/dev/null || true
}
for n in $counts; do
  # A fresh port per server: the last one's connections may still hold it.
  port=$((port + 1))
  "$loom" serve -m "$model" --port "$port" -np "$n" -c $((n * ctx_per_slot)) -t 2 2>/dev/null &
  bench loom $! "$n"
  port=$((port + 1))
  "$root/../shared/ref/tools" llama-server -m "$model" --port "$port" --parallel "$n" -c $((n * ctx_per_slot)) -t 2 \
      "${llama_extra[@]}" >/dev/null 2>&1 &
  bench llama-server $! "$n"
done
