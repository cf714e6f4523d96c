# Sourced by compare.sh and batched.sh: the synthetic models both measure.
# Needs: $ref (../shared/ref), $models (the cache folder), $preset.
#   model_for TYPE  ->  prints the path of $models/$preset-TYPE.gguf, made on
#   first use: mkgguf.py --preset $preset --seed 1 (f16), then llama.cpp's own
#   quantizer (llref quantize) to TYPE.

ftype_of() {
    case $1 in
        F16) echo 1 ;; Q4_0) echo 2 ;; Q8_0) echo 7 ;; Q4_K_M) echo 15 ;; Q5_K_M) echo 17 ;;
        IQ4_XS) echo 30 ;; BF16) echo 32 ;; *) echo "unknown type $1 (Q4_0 Q4_K_M Q5_K_M Q8_0 IQ4_XS F16 BF16)" >&2; exit 1 ;;
    esac
}

model_for() {
    local src=$models/$preset-f16-src.gguf out=$models/$preset-$1.gguf
    if [ ! -s "$src" ]; then
        /usr/bin/python3 "$ref/mkgguf.py" "$src.tmp" --preset "$preset" --seed 1 >&2 && mv "$src.tmp" "$src"
    fi
    if [ ! -s "$out" ]; then
        "$ref/llref" quantize "$src" "$out.tmp" "$(ftype_of "$1")" >&2 && mv "$out.tmp" "$out"
    fi
    echo "$out"
}

max() { awk -v a="$1" -v b="$2" 'BEGIN {print (a > b ? a : b)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }

# One line naming the machine and the time, for every result block.
machine_line() {
    echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -m) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
         "$(nproc) cpus"
}
