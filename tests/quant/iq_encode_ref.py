#!/usr/bin/python3
"""llama.cpp's IQ1-IQ3 encoders (ggml_quantize_chunk in libggml-base, through
refcodec.py's loading of ../shared/ref/quantref.py), with or without an
importance matrix, for tests/quant/test_iq_encode.cpp.

  iq_encode_ref.py MANIFEST
MANIFEST lines (paths relative to its folder):
  quant TYPE IN.f32 OUT.q ROWLEN [WEIGHTS.f32]   WEIGHTS: ROWLEN floats
"""
import ctypes, importlib.util, os, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("refcodec", os.path.join(HERE, "refcodec.py"))
refcodec = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(refcodec)
quantref, ggml = refcodec.quantref, refcodec.ggml


def quant(t, x, rowlen, w):
    n = quantref.type_num(t)
    nrows = x.size // rowlen
    out = np.zeros(int(ggml.ggml_row_size(n, rowlen)) * nrows, dtype=np.uint8)
    ggml.ggml_quantize_chunk(n, x.ctypes.data, out.ctypes.data, 0, nrows, rowlen,
                             w.ctypes.data if w is not None else None)
    return out.tobytes()


def main(manifest):
    base = os.path.dirname(os.path.abspath(manifest))
    p = lambda name: os.path.join(base, name)
    for line in open(manifest):
        a = line.split()
        if not a:
            continue
        if a[0] != "quant":
            sys.exit("unknown manifest line: " + line)
        x = np.fromfile(p(a[2]), dtype=np.float32)
        w = np.fromfile(p(a[5]), dtype=np.float32) if len(a) > 5 else None
        open(p(a[3]), "wb").write(quant(a[1], x, int(a[4]), w))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
