#!/usr/bin/python3
"""The reference side of loom's codec tests: llama.cpp's block codecs through
../shared/ref/quantref.py (libggml-base), plus the few cases quantref.py's
command line does not cover, each built from a codec it does cover:

  F32        identity (no codec to call).
  Q8_1       dequant: ggml has none; a Q8_1 block is a Q8_0 block plus the
             fp16 field s = d*sum(q), so the Q8_0 decoder of [d, qs] is its dequant.
             quant: quantize_row_q8_1_ref (not in ggml_quantize_chunk).
  Q8_K       quant: quantize_row_q8_K_ref (not in ggml_quantize_chunk).
  Q4_0_4_4, Q4_0_4_8, Q4_0_8_8
             modern ggml has no decoder. A tensor of these types is a Q4_0
             tensor whose rows are interleaved in groups (layout in
             interleave() below), so the reference is: Q4_0 blocks ->
             interleave() -> the tensor; Q4_0 dequant of the blocks -> its values.

Batch mode (one python start-up for a whole test):
  refcodec.py batch MANIFEST
MANIFEST lines (paths relative to the manifest's folder):
  dequant TYPE IN.blocks OUT.f32
  quant TYPE IN.f32 OUT.q ROWLEN
  quantw TYPE IN.f32 IN.weights OUT.q ROWLEN   (ROWLEN float32 importance weights)
  interleave TYPE IN.q4_0 OUT.blocks OUT.f32 ROWS ROWLEN
"""
import ctypes, importlib.util, os, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.environ.get("LOOM_REF_DIR", os.path.join(HERE, "..", "..", "..", "shared", "ref"))

_spec = importlib.util.spec_from_file_location("quantref", os.path.join(REF, "quantref.py"))
quantref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(quantref)
ggml = quantref.ggml

# Q4_0_<rows>_<interleave bytes>
INTERLEAVED = {"q4_0_4_4": (4, 4), "q4_0_4_8": (4, 8), "q4_0_8_8": (8, 8)}


def block_geometry(t):
    n = quantref.type_num(t)
    bs = int(ggml.ggml_blck_size(n))
    return bs, int(ggml.ggml_row_size(n, bs))


def dequant(t, raw):
    """raw block bytes -> float32 values"""
    t = t.lower()
    raw = np.frombuffer(bytes(raw), dtype=np.uint8)
    if t == "f32":
        return raw.view(np.float32).copy()
    if t == "q8_1":
        blocks = raw.reshape(-1, 36)
        return dequant("q8_0", np.concatenate([blocks[:, 0:2], blocks[:, 4:]], axis=1).tobytes())
    n = quantref.type_num(t)
    bs, bb = block_geometry(t)
    out = np.zeros(raw.size // bb * bs, dtype=np.float32)
    quantref.to_float_fn(n)(raw.ctypes.data, out.ctypes.data, out.size)
    return out


def _row_ref(fn_name, x, bytes_per_256):
    fn = getattr(ggml, fn_name)
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    fn.restype = None
    out = np.zeros(x.size // 256 * bytes_per_256, dtype=np.uint8)
    fn(x.ctypes.data, out.ctypes.data, x.size)
    return out.tobytes()


def quant(t, x, rowlen):
    """float32 values (rows of rowlen) -> block bytes, as ggml_quantize_chunk (no imatrix)"""
    t = t.lower()
    x = np.ascontiguousarray(x, dtype=np.float32)
    if t == "f32":
        return x.tobytes()
    if t == "q8_1":
        return _row_ref("quantize_row_q8_1_ref", x, 36 * 8)
    if t == "q8_k":
        return _row_ref("quantize_row_q8_K_ref", x, 292)
    n = quantref.type_num(t)
    nrows = x.size // rowlen
    out = np.zeros(int(ggml.ggml_row_size(n, rowlen)) * nrows, dtype=np.uint8)
    imat = np.ones(rowlen, dtype=np.float32) if ggml.ggml_quantize_requires_imatrix(n) else None
    ggml.ggml_quantize_chunk(n, x.ctypes.data, out.ctypes.data, 0, nrows, rowlen,
                             imat.ctypes.data if imat is not None else None)
    return out.tobytes()


def quant_weighted(t, x, weights, rowlen):
    """float32 values (rows of rowlen) -> block bytes, as ggml_quantize_chunk
    with quant_weights (one importance weight per column)"""
    n = quantref.type_num(t)
    x = np.ascontiguousarray(x, dtype=np.float32)
    weights = np.ascontiguousarray(weights, dtype=np.float32)
    assert weights.size == rowlen
    nrows = x.size // rowlen
    out = np.zeros(int(ggml.ggml_row_size(n, rowlen)) * nrows, dtype=np.uint8)
    ggml.ggml_quantize_chunk(n, x.ctypes.data, out.ctypes.data, 0, nrows, rowlen, weights.ctypes.data)
    return out.tobytes()


def interleave(t, q4_0, rows, rowlen):
    """Q4_0 blocks of a rows x rowlen tensor (row-major) -> the tensor in the
    row-interleaved layout of the old ggml-aarch64.c (make_block_q4_0x4/x8,
    quantize_q4_0_nr_bl): for each group of R rows and each block column x,
    one super-block = the R fp16 scales d of block x of rows 0..R-1, then R*16
    quant bytes where byte i comes from row (i % (R*B)) // B, byte
    (i // (R*B)) * B + i % B of its block's qs, xor 0x88 (the nibbles stored
    as signed q-8 instead of q)."""
    R, B = INTERLEAVED[t.lower()]
    nb = rowlen // 32
    blocks = np.frombuffer(bytes(q4_0), dtype=np.uint8).reshape(rows // R, R, nb, 18)
    out = bytearray()
    for group in blocks:
        for x in range(nb):
            out += b"".join(group[r, x, 0:2].tobytes() for r in range(R))
            qs = bytearray(R * 16)
            for i in range(R * 16):
                src_row = (i % (R * B)) // B
                src_byte = (i // (R * B)) * B + i % B
                qs[i] = group[src_row, x, 2 + src_byte] ^ 0x88
            out += qs
    return bytes(out)


def batch(manifest):
    base = os.path.dirname(os.path.abspath(manifest))
    p = lambda name: os.path.join(base, name)
    for line in open(manifest):
        a = line.split()
        if not a:
            continue
        if a[0] == "dequant":
            dequant(a[1], open(p(a[2]), "rb").read()).tofile(p(a[3]))
        elif a[0] == "quant":
            open(p(a[3]), "wb").write(quant(a[1], np.fromfile(p(a[2]), dtype=np.float32), int(a[4])))
        elif a[0] == "quantw":
            x = np.fromfile(p(a[2]), dtype=np.float32)
            w = np.fromfile(p(a[3]), dtype=np.float32)
            open(p(a[4]), "wb").write(quant_weighted(a[1], x, w, int(a[5])))
        elif a[0] == "interleave":
            raw = open(p(a[2]), "rb").read()
            open(p(a[3]), "wb").write(interleave(a[1], raw, int(a[5]), int(a[6])))
            dequant("q4_0", raw).tofile(p(a[4]))
        else:
            sys.exit("unknown manifest line: " + line)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "batch":
        sys.exit(__doc__)
    batch(sys.argv[2])
