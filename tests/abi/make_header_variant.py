#!/usr/bin/env python3
"""Writes a copy of loom.h as an older or a newer caller would have it.

  older: every caller-sized struct loses its last field (and a reservedN
         field before it was padding, so it goes too): the sizeof of a
         release that had not appended that field yet.
  newer: every caller-sized struct gains `int64_t future0;` at its end: a
         field this library does not know.

usage: make_header_variant.py older|newer IN_LOOM_H OUT_LOOM_H
"""
import re
import sys

STRUCTS = ["loom_gguf_params", "loom_gguf_kv_info", "loom_gguf_tensor_info", "loom_model_params",
           "loom_context_params", "loom_vulkan_device_info", "loom_vulkan_host", "loom_vulkan_params",
           "loom_memory_plan", "loom_speculative_params"]
FIELD = re.compile(r"^\s+[A-Za-z_][^;/]*;")


def struct_span(lines, name):
    start = next(i for i, l in enumerate(lines) if l.startswith(f"typedef struct {name} {{"))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(f"}} {name};"))
    return start, end


def main():
    kind, src, dst = sys.argv[1:4]
    lines = open(src).read().split("\n")
    for name in STRUCTS:
        start, end = struct_span(lines, name)
        if kind == "newer":
            lines.insert(end, "    int64_t future0;             /* a field from a later loom.h */")
            continue
        fields = [i for i in range(start + 1, end) if FIELD.match(lines[i])]
        drop = [fields[-1]]
        if "reserved" in lines[fields[-1]]:
            drop.append(fields[-2])
        for i in sorted(drop, reverse=True):
            del lines[i]
    open(dst, "w").write("\n".join(lines))


if __name__ == "__main__":
    main()
