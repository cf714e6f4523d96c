#!/usr/bin/python3
"""Writes the committed golden vectors of tests/quant (test_quant_golden.cpp).

Run from the source root, with the reference installed (../shared/ref):

    /usr/bin/python3 tests/quant/make_golden.py

Per decodable type T (lower-case name):
  golden/T.blocks  raw blocks: random ones, then adversarial ones (every fp16
                   scale NaN / sNaN / Inf / zero / -0 / subnormal / max, codes
                   all zero or all ones)
  golden/T.f32     llama.cpp's dequantization of them (refcodec.dequant)
Row-interleaved Q4_0_x_x (8 rows x 64 values): T.blocks is the interleaved
tensor built from Q4_0 blocks, T.f32 the Q4_0 dequantization of those blocks.
Per type loom quantizes to:
  golden/T.in.f32  4 rows x 256 floats (normal, outliers, zero runs, large;
                   for F32/F16/BF16 also Inf, NaNs, rounding ties)
  golden/T.q       llama.cpp's quantization (refcodec.quant, no imatrix)
And golden/ggml_types.txt: "number name block_size type_size" for types
0..35 from libggml's own table (ggml_type_name/ggml_blck_size/ggml_type_size).
Deterministic: the seed is fixed, so re-running gives the same files."""
import os, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import refcodec  # noqa: E402

OUT = os.path.join(HERE, "golden")

# fp16 fields (byte offsets) of a block that scale its values
FP16_FIELDS = {
    "q4_0": [0], "q4_1": [0, 2], "q5_0": [0], "q5_1": [0, 2], "q8_0": [0], "q8_1": [0, 2],
    "q2_k": [80, 82], "q3_k": [108], "q4_k": [0, 2], "q5_k": [0, 2], "q6_k": [208],
    "iq2_xxs": [0], "iq2_xs": [0], "iq2_s": [0], "iq3_xxs": [0], "iq3_s": [0], "iq1_s": [0],
    "iq4_nl": [0], "iq4_xs": [0], "tq1_0": [52], "tq2_0": [64],
    "iq1_m": [], "q8_k": [],  # special cases below
}
# zero, -0, smallest/largest subnormal, smallest normal, 1, max, Inf, -Inf, qNaN, sNaN, -NaN with payload
FP16_SPECIAL = [0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe5a]
F32_SPECIAL = [0x00000000, 0x80000000, 0x00000001, 0x007fffff, 0x3f800000, 0x7f7fffff, 0x7f800000,
               0xff800000, 0x7fc00000, 0x7f800001, 0xffc12345]
QUANT_TYPES = ["f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q8_1", "q8_k",
               "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_nl", "iq4_xs", "tq1_0", "tq2_0"]
N_RANDOM = 6
INTERLEAVED_SHAPE = (8, 64)  # rows, values per row


def put_u16(block, off, v):
    block[off:off + 2] = np.frombuffer(np.uint16(v).tobytes(), dtype=np.uint8)


def iq1_m_scale(block, v):
    # IQ1_M keeps its fp16 scale in the top nibbles of its four uint16 scale words (bytes 48..55)
    for i in range(4):
        w = int(np.frombuffer(block[48 + 2 * i:50 + 2 * i].tobytes(), dtype=np.uint16)[0])
        w = (w & 0x0fff) | (((v >> (4 * i)) & 0xf) << 12)
        put_u16(block, 48 + 2 * i, w)


def adversarial(t, block, k):
    """Block k of the adversarial set: extreme codes, then special scales."""
    if k % 3 == 1:
        block[:] = 0xff
    elif k % 3 == 2:
        block[:] = 0x00
    v = FP16_SPECIAL[k % len(FP16_SPECIAL)]
    if t == "q8_k":
        block[0:4] = np.frombuffer(np.uint32(F32_SPECIAL[k % len(F32_SPECIAL)]).tobytes(), dtype=np.uint8)
    elif t == "iq1_m":
        iq1_m_scale(block, v)
    for i, off in enumerate(FP16_FIELDS[t]):
        # a second field gets another special (NaN with NaN, Inf with -Inf, ...)
        put_u16(block, off, FP16_SPECIAL[(k + 3 * i) % len(FP16_SPECIAL)])
    return block


def dequant_blocks(t, rng):
    if t in ("f16", "bf16"):
        vals = np.concatenate([rng.integers(0, 1 << 16, 200), FP16_SPECIAL, [0x7f80, 0xff81, 0x7fc1, 0x0001, 0x8080]])
        return vals.astype(np.uint16).tobytes()
    if t == "f32":
        vals = np.concatenate([rng.integers(0, 1 << 32, 53), F32_SPECIAL])
        return vals.astype(np.uint32).tobytes()
    bs, bb = refcodec.block_geometry(t)
    n_adv = len(FP16_SPECIAL) if bs == 256 else 2 * len(FP16_SPECIAL)
    blocks = [rng.integers(0, 256, bb, dtype=np.uint8) for _ in range(N_RANDOM)]
    blocks += [adversarial(t, rng.integers(0, 256, bb, dtype=np.uint8), k) for k in range(n_adv)]
    return b"".join(b.tobytes() for b in blocks)


def quant_input(rng):
    rows = [rng.standard_normal(256),
            rng.uniform(-1, 1, 256) * np.where(rng.random(256) < 0.05, 40.0, 1.0),
            np.concatenate([np.zeros(32), np.full(32, 0.5), rng.standard_normal(192) * 1e-3]),
            rng.standard_normal(256) * 3e3]
    return np.concatenate(rows).astype(np.float32)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def ggml_type_table():
    g = refcodec.ggml
    g.ggml_type_name.restype = __import__("ctypes").c_char_p
    g.ggml_type_size.restype = __import__("ctypes").c_size_t
    lines = []
    for n in range(36):
        name = g.ggml_type_name(n)
        if name is None:
            continue  # numbers 4 and 5 (Q4_2, Q4_3) were removed long ago
        name = name.decode().split()[0]
        lines.append(f"{n} {name} {g.ggml_blck_size(n)} {g.ggml_type_size(n)}\n")
    return "".join(lines).encode()


def main():
    os.makedirs(OUT, exist_ok=True)
    write("ggml_types.txt", ggml_type_table())
    rng = np.random.default_rng(20261122)
    for t in list(FP16_FIELDS) + ["f32", "f16", "bf16"]:
        raw = dequant_blocks(t, rng)
        write(t + ".blocks", raw)
        write(t + ".f32", refcodec.dequant(t, raw).tobytes())
    rows, rowlen = INTERLEAVED_SHAPE
    for t in refcodec.INTERLEAVED:
        q4 = dequant_blocks("q4_0", rng)
        q4 = (q4 * 2)[: 18 * (rowlen // 32) * rows]
        write(t + ".blocks", refcodec.interleave(t, q4, rows, rowlen))
        write(t + ".f32", refcodec.dequant("q4_0", q4).tobytes())
    for t in QUANT_TYPES:
        x = quant_input(rng)
        if t in ("f32", "f16", "bf16"):  # element formats convert Inf/NaN too: pin them
            x[-len(F32_SPECIAL) - 4:] = np.array(F32_SPECIAL + [0x477ff000, 0x477fefff, 0x33000000, 0x33000001],
                                                 dtype=np.uint32).view(np.float32)
        write(t + ".in.f32", x.tobytes())
        write(t + ".q", refcodec.quant(t, x, 256))


if __name__ == "__main__":
    main()
