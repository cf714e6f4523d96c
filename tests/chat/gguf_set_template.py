#!/usr/bin/env python3
"""Copies a GGUF with tokenizer.chat_template replaced, or removed when no
template is given (tensor infos and data are copied as they are, the data
re-aligned). Used by the chat parity test to make NONE and OTHER template
models, and by the serve tests to give the tiny model Qwen2.5's template.
Usage: gguf_set_template.py IN OUT [TEMPLATE | @TEMPLATE_FILE]"""
import struct
import sys

SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
KEY = b"tokenizer.chat_template"


def gguf_string(b):
    return struct.pack("<Q", len(b)) + b


def main():
    data = open(sys.argv[1], "rb").read()
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", data, 4)
    assert data[:4] == b"GGUF", "not a GGUF file"
    pos, kvs, alignment = 24, [], 32
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
            if key == b"general.alignment":
                (alignment,) = struct.unpack_from("<I", data, pos)
            pos += SCALAR[typ]
        if key != KEY:
            kvs.append(data[start:pos])
    infos_at = pos
    for _ in range(n_tensors):   # name, n_dims, dims, type, offset
        pos += 8 + struct.unpack_from("<Q", data, pos)[0]
        (n_dims,) = struct.unpack_from("<I", data, pos)
        pos += 4 + 8 * n_dims + 4 + 8
    infos = data[infos_at:pos]
    tensor_data = data[pos + (-pos % alignment):] if n_tensors else b""
    if len(sys.argv) > 3:
        text = sys.argv[3]
        if text.startswith("@"):
            text = open(text[1:], encoding="utf-8").read()
        kvs.append(gguf_string(KEY) + struct.pack("<I", 8) + gguf_string(text.encode()))
    out = b"GGUF" + struct.pack("<IQQ", version, n_tensors, len(kvs)) + b"".join(kvs) + infos
    out += b"\0" * (-len(out) % alignment) + tensor_data
    open(sys.argv[2], "wb").write(out)


if __name__ == "__main__":
    main()
