#!/bin/sh
# include/loom.h compiles cleanly as C99, C11, C17 and C++11/17 with
# -Wall -Wextra -pedantic -Werror (C89 is not supported: the header uses
# <stdint.h> and trailing commas in enums).
# usage: header_compiles.sh CC CXX SOURCE_ROOT OUTDIR
set -eu
cc=$1 cxx=$2 src=$3 out=$4
mkdir -p "$out"
printf '#include "loom.h"\n#include "loom.h"\nint main(void) { loom_model *m = 0; loom_model_free(m); return loom_version() == 0; }\n' > "$out/header.c"
cp "$out/header.c" "$out/header.cpp"
for std in c99 c11 c17; do
    $cc -std=$std -Wall -Wextra -pedantic -Werror -Wstrict-prototypes -Wmissing-prototypes -I"$src/include" \
        -fsyntax-only "$out/header.c" || { echo "loom.h fails as $std"; exit 1; }
done
for std in c++11 c++17 c++20; do
    $cxx -std=$std -Wall -Wextra -pedantic -Werror -I"$src/include" -fsyntax-only "$out/header.cpp" \
        || { echo "loom.h fails as $std"; exit 1; }
done
echo "loom.h compiles as c99 c11 c17 c++11 c++17 c++20"
