#!/bin/sh
# The README's link recipes, on an installed tree: `meson install --destdir`
# into a staging folder (libloom.so and libloom.a side by side in one libdir,
# as every install has them), then with loom.pc and loom-static.pc pointed at
# it (prefix redefined):
#   cc app.c $(pkg-config --cflags --libs loom) -o app          needs libloom.so.0
#   cc app.c $(pkg-config --cflags --libs loom-static) -o app   needs no libloom (ldd)
# and neither .pc names libxxhash (compiled in) nor libvulkan (dlopen'd).
# usage: pkgconfig.sh MESON PKG_CONFIG CC BUILD_ROOT OUTDIR SANITIZE
set -eu
meson=$1 pc=$2 cc=$3 build=$4 out=$5 san=$6
[ "$san" = none ] || cc="$cc -fsanitize=$san" # an instrumented libloom needs the runtime first
stage="$out/stage"
rm -rf "$out" && mkdir -p "$out"
"$meson" install -C "$build" --destdir "$stage" --no-rebuild --quiet >"$out/install.log" 2>&1 \
    || { cat "$out/install.log"; exit 1; }
prefix=$(PKG_CONFIG_PATH="$build/meson-private" "$pc" --variable=prefix loom)
libdir=$(PKG_CONFIG_PATH="$build/meson-private" "$pc" --variable=libdir loom)
export PKG_CONFIG_PATH="$stage$libdir/pkgconfig"
define="--define-variable=prefix=$stage$prefix"
for f in libloom.so libloom.so.0 libloom.a pkgconfig/loom.pc pkgconfig/loom-static.pc; do
    [ -e "$stage$libdir/$f" ] || { echo "meson install put no $f in $libdir"; exit 1; }
done
for mod in loom loom-static; do
    "$pc" --validate "$mod"
    all=$("$pc" $define --static --libs --print-requires --print-requires-private "$mod")
    if printf '%s\n' "$all" | grep -Eq 'xxhash|vulkan'; then
        echo "$mod.pc names libxxhash or libvulkan: $all" >&2
        exit 1
    fi
done
cat >"$out/app.c" <<'C'
#include <loom.h>
#include <stdio.h>
int main(void) { printf("loom %s\n", loom_version_string()); return loom_version() == LOOM_VERSION ? 0 : 1; }
C
cd "$out"
# shellcheck disable=SC2046
$cc app.c $("$pc" $define --cflags --libs loom) -o app_shared
readelf -d app_shared | grep -q 'NEEDED.*libloom\.so\.0' || { echo "pkg-config --libs loom did not link libloom.so.0"; exit 1; }
LD_LIBRARY_PATH="$stage$libdir" ./app_shared
# shellcheck disable=SC2046
$cc app.c $("$pc" $define --cflags --libs loom-static) -o app_static
if ldd app_static | grep -q libloom; then echo "pkg-config --libs loom-static linked libloom.so:"; ldd app_static; exit 1; fi
./app_static
echo "installed: loom.pc links libloom.so.0, loom-static.pc links libloom.a (no libloom in ldd)"
