#!/bin/sh
# The generated loom.pc (build/meson-private) is valid and usable: with its
# prefix pointed at a staging tree holding the header and the shared library
# where loom.pc says they are installed, `pkg-config --cflags --libs` builds a
# C program that runs, and it does not ask for libvulkan (dlopen'd).
# usage: pkgconfig.sh PKG_CONFIG CC BUILD_ROOT SOURCE_ROOT LIBLOOM.so OUTDIR SANITIZE
set -eu
pc=$1 cc=$2 build=$3 src=$4 so=$5 out=$6 san=$7
[ "$san" = none ] || cc="$cc -fsanitize=$san" # an instrumented libloom needs the runtime first
export PKG_CONFIG_PATH="$build/meson-private"
"$pc" --validate loom
"$pc" --cflags --libs loom >/dev/null
# Vulkan is dlopen'd at run time: a static link of loom must not need libvulkan.
if "$pc" --print-requires-private loom | grep -q vulkan; then
  echo "loom.pc requires vulkan, but libloom only dlopens it" >&2
  exit 1
fi
stage="$out/stage"
rm -rf "$stage" && mkdir -p "$stage"
define="--define-variable=prefix=$stage"
incdir=$("$pc" $define --variable=includedir loom)
libdir=$("$pc" $define --variable=libdir loom)
mkdir -p "$incdir" "$libdir"
cp "$src/include/loom.h" "$incdir/"
cp "$so" "$libdir/libloom.so"
cp "$so" "$libdir/libloom.so.0"
cat > "$out/pc_prog.c" <<'C'
#include <loom.h>
#include <stdio.h>
int main(void) { printf("loom %s via pkg-config\n", loom_version_string()); return loom_version() == LOOM_VERSION ? 0 : 1; }
C
# shellcheck disable=SC2046
$cc -std=c99 -Wall -Werror "$out/pc_prog.c" -o "$out/pc_prog" $("$pc" $define --cflags --libs loom)
LD_LIBRARY_PATH="$libdir" "$out/pc_prog"
