#!/bin/sh
# The static libloom.a for Windows: the core's (thin) archive copied member by
# member without the -export directives (.drectve sections) that dllexport
# leaves in each object for loom.dll, so a program linking the archive does
# not export loom's functions itself. GCC puts nothing else in .drectve here.
# usage: win_static_archive.sh OBJCOPY AR THIN_ARCHIVE OUT
set -eu
objcopy=$1 ar=$2 thin=$3 out=$4
dir=$out.d
rm -rf "$dir" "$out"
mkdir -p "$dir"
base=$(cd "$(dirname "$thin")" && pwd)
i=0
for member in $("$ar" t "$thin"); do
    case $member in /*) src=$member ;; *) src=$base/$member ;; esac
    i=$((i + 1))
    "$objcopy" --remove-section=.drectve "$src" "$dir/$i-$(basename "$member")"
done
"$ar" rcs "$out" "$dir"/*
rm -rf "$dir"
