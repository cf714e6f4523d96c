#!/usr/bin/env python3
"""Prints the ids of the given token texts in a GGUF's tokenizer.ggml.tokens,
found by a minimal GGUF metadata walker written from the format spec (an
independent reference for loom's reader). Usage: gguf_token_ids.py FILE TEXT..."""
import struct
import sys

SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def main():
    data = open(sys.argv[1], "rb").read()
    assert data[:4] == b"GGUF"
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", data, 4)
    pos = 24

    def string(pos):
        (n,) = struct.unpack_from("<Q", data, pos)
        return data[pos + 8:pos + 8 + n], pos + 8 + n

    for _ in range(n_kv):
        key, pos = string(pos)
        (typ,) = struct.unpack_from("<I", data, pos)
        pos += 4
        if typ == 8:
            _, pos = string(pos)
        elif typ == 9:
            et, count = struct.unpack_from("<IQ", data, pos)
            pos += 12
            if et == 8:
                items = []
                for _ in range(count):
                    s, pos = string(pos)
                    items.append(s)
                if key == b"tokenizer.ggml.tokens":
                    print(" ".join(str(items.index(t.encode())) for t in sys.argv[2:]))
                    return
            else:
                pos += SCALAR[et] * count
        else:
            pos += SCALAR[typ]
    sys.exit("no tokenizer.ggml.tokens")


if __name__ == "__main__":
    main()
