#!/usr/bin/python3
"""Writes the raw bytes of one tensor of a GGUF file, located independently of
loom: a plain reading of the format (as ../shared/ref/ggufinfo.py does) and
llama.cpp's own ggml_row_size (through ../shared/ref/quantref.py) for the size.
  ref_tensor_bytes.py REF_DIR FILE TENSOR OUT.bin"""
import importlib.util, os, struct, sys

def load_quantref(ref_dir):
    spec = importlib.util.spec_from_file_location("quantref", os.path.join(ref_dir, "quantref.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod

def main(ref_dir, path, name, out):
    qr = load_quantref(ref_dir)
    f = open(path, "rb")
    rd = lambda fmt: struct.unpack("<" + fmt, f.read(struct.calcsize("<" + fmt)))[0]
    rs = lambda: f.read(rd("Q"))
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
    def skip(t):
        if t == 8: rs()
        elif t == 9:
            et, n = rd("I"), rd("Q")
            for _ in range(n): skip(et)
        else: f.read(sizes[t])
    assert f.read(4) == b"GGUF"
    _, nt, nkv = rd("I"), rd("Q"), rd("Q")
    align = 32
    for _ in range(nkv):
        k = rs(); t = rd("I")
        if k == b"general.alignment": align = rd("I")
        else: skip(t)
    found = None
    for _ in range(nt):
        n = rs(); nd = rd("I"); dims = [rd("Q") for _ in range(nd)]; t = rd("I"); off = rd("Q")
        if n.decode() == name: found = (dims, t, off)
    dims, t, off = found
    start = (f.tell() + align - 1) // align * align + off
    rows = 1
    for d in dims[1:]: rows *= d
    nbytes = qr.ggml.ggml_row_size(t, dims[0]) * rows
    f.seek(start)
    open(out, "wb").write(f.read(nbytes))

if __name__ == "__main__":
    if len(sys.argv) != 5: sys.exit(__doc__)
    main(*sys.argv[1:])
