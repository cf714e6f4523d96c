#!/usr/bin/env bash
# Side-by-side speed of loom and llama.cpp (../shared/ref/llref bench) on the
# same files: a synthetic Qwen2 model (mkgguf.py --preset PRESET) quantized by
# llama.cpp's own quantizer to each type, then for every type and every round
# `loom bench` and `llref bench` one after the other (interleaved, so both
# see the same machine load). Prints each measurement, the best per tool, and
# the ratios loom/llama.cpp. Benchmark only: it never fails on a timing.
#
#   tests/bench/compare.sh [-b BUILD_DIR] [-P PRESET] [-p 512] [-n 128] [-t 2] [-r 3] [-R ROUNDS]
#                          [--depth D] [TYPE...]
# TYPE: Q4_0 Q4_K_M Q5_K_M Q8_0 IQ4_XS F16 BF16 (default: all).
# --depth D: loom runs `--depth D`; llama.cpp has no such option, so its
# prompt is D tokens and its tg is measured after them (the same cache
# depth); the pp ratio is then not reported.
# Before each round and after the last BUILD_DIR/tests/bench/read_bandwidth
# measures what the machine reads now with the same threads; a second table ("reads" rows)
# puts each tool's decode in GB/s (the weights a token reads, from `loom
# gguf info`, times tg tok/s) beside the best of those measurements (not
# with --depth, where a token also reads the KV cache).
# Models are cached in $LOOM_BENCH_DIR (default BUILD_DIR/bench-models).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ref=${LOOM_REF_DIR:-$root/../shared/ref}
build=$root/build
preset=qwen2-0.5b
pp=512 tg=128 threads=2 reps=3 rounds=2 depth=0
types=()
while [ $# -gt 0 ]; do
    case $1 in
        -b) build=$2; shift 2 ;;
        -P) preset=$2; shift 2 ;;
        -p) pp=$2; shift 2 ;;
        -n) tg=$2; shift 2 ;;
        -t) threads=$2; shift 2 ;;
        -r) reps=$2; shift 2 ;;
        -R) rounds=$2; shift 2 ;;
        --depth) depth=$2; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) types+=("$1"); shift ;;
    esac
done
[ ${#types[@]} -gt 0 ] || types=(Q4_0 Q4_K_M Q5_K_M Q8_0 IQ4_XS F16 BF16)
loom=$build/examples/loom/loom
[ -x "$loom" ] || { echo "compare.sh: no $loom (build the loom target)" >&2; exit 1; }
bw=$build/tests/bench/read_bandwidth
[ -x "$bw" ] || { echo "compare.sh: no $bw (build the read_bandwidth target)" >&2; exit 1; }
models=${LOOM_BENCH_DIR:-$build/bench-models}
mkdir -p "$models"

. "$here/models.sh"

# "pp<P> X tok/s" / "tg<N> Y tok/s" -> "X Y"
speeds() { awk '/^pp/ {p=$2} /^tg/ {t=$2} END {print p+0, t+0}'; }
# The MB of weights a decoded token reads: every tensor, but of
# token_embd one row when the file has its own output.weight.
token_mb() {
    "$loom" gguf info "$1" | awk '$1 ~ /\.(weight|bias)$/ && $NF ~ /^[0-9]+$/ { s += $NF; if ($1 == "token_embd.weight") e = $NF; if ($1 == "output.weight") o = 1 }
        END { printf "%.1f", (s - (o ? e : 0)) / 1e6 }'
}
reads=()

echo "$(machine_line); preset=$preset pp=$pp tg=$tg threads=$threads reps=$reps rounds=$rounds depth=$depth"
printf '%-8s %10s %10s %10s %10s %8s %8s\n' type loom_pp llama_pp loom_tg llama_tg pp_ratio tg_ratio
for type in "${types[@]}"; do
    m=$(model_for "$type")
    lp=0 lt=0 rp=0 rt=0 wall=0
    for ((i = 0; i < rounds; i++)); do
        w=$("$bw" "$threads" 1024 3 | awk '{print $4}')
        wall=$(max "$wall" "$w")
        if [ "$depth" -gt 0 ]; then
            read -r a b < <("$loom" bench -m "$m" -p "$pp" -n "$tg" -t "$threads" -r "$reps" --depth "$depth" | speeds)
            read -r c d < <("$ref/llref" bench "$m" "$depth" "$tg" "$threads" "$reps" | speeds)
            c=0
        else
            read -r a b < <("$loom" bench -m "$m" -p "$pp" -n "$tg" -t "$threads" -r "$reps" | speeds)
            read -r c d < <("$ref/llref" bench "$m" "$pp" "$tg" "$threads" "$reps" | speeds)
        fi
        echo "#   round $i $type: loom pp=$a tg=$b   llama.cpp pp=$c tg=$d   read $w GB/s"
        lp=$(max "$lp" "$a"); lt=$(max "$lt" "$b"); rp=$(max "$rp" "$c"); rt=$(max "$rt" "$d")
    done
    w=$("$bw" "$threads" 1024 3 | awk '{print $4}')   # and after the last
    wall=$(max "$wall" "$w")
    printf '%-8s %10s %10s %10s %10s %8s %8s\n' "$type" "$lp" "$rp" "$lt" "$rt" "$(ratio "$lp" "$rp")" "$(ratio "$lt" "$rt")"
    reads+=("$(awk -v t="$type" -v mb="$(token_mb "$m")" -v l="$lt" -v r="$rt" -v w="$wall" 'BEGIN {
        printf "reads %-8s %9s %9.1f %9.1f %9.1f %8.0f%% %8.0f%%", t, mb, mb * l / 1e3, mb * r / 1e3, w, 100 * mb * l / 1e3 / w, 100 * mb * r / 1e3 / w }')")
done
# (Not at depth: a token then reads the KV cache as well.)
if [ "$depth" -eq 0 ]; then
    echo "# decode reads: MB of weights per token, each tool's GB/s at its best tg, the best read_bandwidth of the rounds"
    printf 'reads %-8s %9s %9s %9s %9s %9s %9s\n' type MB/token loom_GB/s llama_GB/s read_GB/s loom_wall llama_wall
    printf '%s\n' "${reads[@]}"
fi
