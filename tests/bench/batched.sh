#!/usr/bin/env bash
# Many sequences decoding together, loom against llama.cpp's
# llama-batched-bench on the same files: each of N sequences holds a P-token
# prompt, then every step decodes one token of each (N tokens a step), G
# steps. The measure is the aggregate decode speed, N x G tokens over the
# time of the G steps (llama-batched-bench's S_TG; `loom bench --parallel N
# --depth P -p 0 -n G`'s tg line). Per type, round and N the two tools run
# one after the other (interleaved); prints each run, the best per tool and
# the ratio loom/llama.cpp. Benchmark only: it never fails on a timing.
#
#   tests/bench/batched.sh [-b BUILD_DIR] [-P PRESET] [-p 128] [-n 32] [-t 2] [-R 2]
#                          [-N "4 8 16"] [TYPE...]   (TYPE as compare.sh; default Q4_0)
# Models are compare.sh's ($LOOM_BENCH_DIR, default BUILD_DIR/bench-models).
# llama-batched-bench comes from ../shared/ref/tools (built on first use). On
# CPUs with AMX, ggml's AMX matmul segfaults with several sequences, so there
# llama.cpp runs with no_amx.c preloaded (AMX refused, its other repacked
# AVX-512 kernels kept), and the script says so.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ref=${LOOM_REF_DIR:-$root/../shared/ref}
build=$root/build
preset=qwen2-0.5b
pp=128 tg=32 threads=2 rounds=2 ns="4 8 16"
types=()
while [ $# -gt 0 ]; do
    case $1 in
        -b) build=$2; shift 2 ;;
        -P) preset=$2; shift 2 ;;
        -p) pp=$2; shift 2 ;;
        -n) tg=$2; shift 2 ;;
        -t) threads=$2; shift 2 ;;
        -R) rounds=$2; shift 2 ;;
        -N) ns=$2; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) types+=("$1"); shift ;;
    esac
done
[ ${#types[@]} -gt 0 ] || types=(Q4_0)
loom=$build/examples/loom/loom
[ -x "$loom" ] || { echo "batched.sh: no $loom (build the loom target)" >&2; exit 1; }
models=${LOOM_BENCH_DIR:-$build/bench-models}
mkdir -p "$models"
. "$here/models.sh"

tools=$("$ref/tools")   # builds llama.cpp's programs once; prints their folder
bb=$tools/llama-batched-bench
[ -x "$bb" ] || { echo "batched.sh: no $bb" >&2; exit 1; }
preload=
if grep -qw amx_int8 /proc/cpuinfo; then
    cc -O2 -shared -fPIC -o "$models/no_amx.so" "$here/no_amx.c" -ldl
    preload=$models/no_amx.so
fi

echo "$(machine_line); preset=$preset P=$pp G=$tg threads=$threads rounds=$rounds N=[$ns]"
[ -z "$preload" ] || echo "# AMX CPU: llama-batched-bench runs with $preload (ggml's AMX path refused)"
printf '%-8s %4s %12s %12s %8s\n' type N loom_tok_s llama_tok_s ratio
for type in "${types[@]}"; do
    m=$(model_for "$type")
    declare -A best_l=() best_r=()
    for ((i = 0; i < rounds; i++)); do
        for n in $ns; do
            a=$("$loom" bench -m "$m" --parallel "$n" --depth "$pp" -p 0 -n "$tg" -t "$threads" -r 1 |
                awk '/^tg/ {print $2}')
            c=$(LD_PRELOAD=$preload "$bb" -m "$m" -c $((n * (pp + tg) + 16)) -npp "$pp" -ntg "$tg" -npl "$n" \
                    -t "$threads" --output-format jsonl 2>/dev/null |
                sed -n 's/.*"speed_tg": *\([0-9.]*\).*/\1/p')
            echo "#   round $i $type N=$n: loom $a tok/s   llama.cpp $c tok/s"
            best_l[$n]=$(max "${best_l[$n]:-0}" "$a"); best_r[$n]=$(max "${best_r[$n]:-0}" "${c:-0}")
        done
    done
    for n in $ns; do
        printf '%-8s %4s %12s %12s %8s\n' "$type" "$n" "${best_l[$n]}" "${best_r[$n]}" \
               "$(ratio "${best_l[$n]}" "${best_r[$n]}")"
    done
    unset best_l best_r
done
