#!/usr/bin/env python3
"""Copies a tensor-less GGUF (a vocab-only file such as llama.cpp's
ggml-vocab-qwen2.gguf) with tokenizer.chat_template replaced, or removed when
no template is given. Used by the chat parity test to make NONE and OTHER
template models. Usage: gguf_set_template.py IN OUT [TEMPLATE]"""
import struct
import sys

SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
KEY = b"tokenizer.chat_template"


def gguf_string(b):
    return struct.pack("<Q", len(b)) + b


def main():
    data = open(sys.argv[1], "rb").read()
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", data, 4)
    assert data[:4] == b"GGUF" and n_tensors == 0, "only tensor-less GGUF files"
    pos, kvs = 24, []
    for _ in range(n_kv):
        start = pos
        (n,) = struct.unpack_from("<Q", data, pos)
        key = data[pos + 8:pos + 8 + n]
        pos += 8 + n
        (typ,) = struct.unpack_from("<I", data, pos)
        pos += 4
        if typ == 8:
            pos += 8 + struct.unpack_from("<Q", data, pos)[0]
        elif typ == 9:
            et, count = struct.unpack_from("<IQ", data, pos)
            pos += 12
            if et == 8:
                for _ in range(count):
                    pos += 8 + struct.unpack_from("<Q", data, pos)[0]
            else:
                pos += SCALAR[et] * count
        else:
            pos += SCALAR[typ]
        if key != KEY:
            kvs.append(data[start:pos])
    if len(sys.argv) > 3:
        kvs.append(gguf_string(KEY) + struct.pack("<I", 8) + gguf_string(sys.argv[3].encode()))
    out = b"GGUF" + struct.pack("<IQQ", version, 0, len(kvs)) + b"".join(kvs)
    out += b"\0" * (-len(out) % 32)
    open(sys.argv[2], "wb").write(out)


if __name__ == "__main__":
    main()
