#!/bin/sh
# Links tests/abi/static_link.c with the C compiler against the whole static
# library (every member pulled in, so any symbol clash fails), then runs it.
# usage: static_link.sh CC LIBLOOM.a SOURCE_ROOT OUTDIR SANITIZE (meson's b_sanitize: none, address,undefined, ...)
set -eu
cc=$1 lib=$2 src=$3 out=$4 san=$5
[ "$san" = none ] || cc="$cc -fsanitize=$san"
mkdir -p "$out"
$cc -std=c99 -Wall -Wextra -Werror -I"$src/include" -c "$src/tests/abi/static_link.c" -o "$out/static_link.o"
$cc "$out/static_link.o" -Wl,--whole-archive "$lib" -Wl,--no-whole-archive \
    $(pkg-config --libs libxxhash) -lstdc++ -lm -lpthread -ldl -o "$out/static_link"
"$out/static_link"
