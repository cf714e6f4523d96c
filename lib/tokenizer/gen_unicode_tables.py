#!/usr/bin/env python3
"""Generates lib/tokenizer/unicode_tables.cpp from the Unicode Character Database.

    python3 lib/tokenizer/gen_unicode_tables.py [UCD_DIR] > lib/tokenizer/unicode_tables.cpp

UCD_DIR defaults to /usr/share/unicode (Debian package `unicode-data`, Unicode 15.0).
Reads UnicodeData.txt (general category, combining class, decompositions),
PropList.txt (White_Space) and DerivedNormalizationProps.txt (NFC_QC,
Full_Composition_Exclusion).

Tables (all looked up in unicode.cpp / unicode.h):
  - per-code-point flags, two-stage (cp >> 8 -> 256-entry block, blocks deduplicated):
      kLetter  = \\p{L}  (Lu Ll Lt Lm Lo)
      kNumber  = \\p{N}  (Nd Nl No)
      kSpace   = \\s = the White_Space property (PropList.txt), as Oniguruma
                 (HF tokenizers) and tokenizers.js (which rewrites \\s to
                 \\p{White_Space}) read it: includes U+0085, not U+FEFF.
      kNfcCheck = canonical combining class != 0 or NFC_QC is No/Maybe: text
                 without such a code point is already NFC.
  - canonical combining class, two-stage the same way;
  - full canonical decompositions (recursively expanded), sorted by code point;
  - canonical compositions (pairs -> composite) without Full_Composition_Exclusion.
Hangul syllables are algorithmic and not in the tables.

Version note: the reference tokenizer (hftok: node 20, ICU with Unicode 17.0)
knows 9661 letters/numbers assigned after Unicode 15.0 (CJK extensions I/J,
new scripts); with these 15.0 tables they are neither letter nor number, so
text using them may split differently. No code point assigned in 15.0 has a
different letter/number/White_Space class in 17.0 (checked 2026-11 against
node's \\p{L}, \\p{N}, \\p{White_Space}). Rerun with a newer UCD_DIR to update.
"""
import os
import sys

LETTER, NUMBER, SPACE, NFC_CHECK = 1, 2, 4, 8
MAX_CP = 0x110000


def parse_unicode_data(path):
    gc, ccc, decomp = {}, {}, {}
    first = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split(";")
            cp, name, cat, cc, dm = int(fields[0], 16), fields[1], fields[2], int(fields[3]), fields[5]
            if name.endswith(", First>"):
                first = cp
                continue
            lo = first if name.endswith(", Last>") else cp
            first = None
            for c in range(lo, cp + 1):
                gc[c] = cat
                if cc:
                    ccc[c] = cc
            if dm and not dm.startswith("<"):
                decomp[cp] = [int(x, 16) for x in dm.split()]
    return gc, ccc, decomp


def parse_derived_norm(path):
    nfc_qc, exclusions = set(), set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#")[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(";")]
            rng = fields[0].split("..")
            lo, hi = int(rng[0], 16), int(rng[-1], 16)
            if fields[1] == "NFC_QC" and fields[2] in ("N", "M"):
                nfc_qc.update(range(lo, hi + 1))
            elif fields[1] == "Full_Composition_Exclusion":
                exclusions.update(range(lo, hi + 1))
    return nfc_qc, exclusions


def parse_white_space(path):
    out = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = [x.strip() for x in line.split("#")[0].split(";")]
            if len(fields) == 2 and fields[1] == "White_Space":
                rng = fields[0].split("..")
                out.update(range(int(rng[0], 16), int(rng[-1], 16) + 1))
    return out


def full_decomposition(cp, decomp):
    if cp not in decomp:
        return [cp]
    out = []
    for c in decomp[cp]:
        out.extend(full_decomposition(c, decomp))
    return out


def two_stage(values):
    """values: list of MAX_CP small ints -> (stage1 list, stage2 flat list)."""
    blocks, index, stage1 = [], {}, []
    for hi in range(MAX_CP >> 8):
        block = tuple(values[hi << 8:(hi + 1) << 8])
        if block not in index:
            index[block] = len(blocks)
            blocks.append(block)
        stage1.append(index[block])
    return stage1, [v for b in blocks for v in b]


def emit_array(out, ctype, name, values, per_line=24):
    out.append(f"extern const {ctype} {name}[{len(values)}] = {{")
    for i in range(0, len(values), per_line):
        out.append("    " + ", ".join(str(v) for v in values[i:i + per_line]) + ",")
    out.append("};")


def main():
    ucd = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode"
    gc, ccc, decomp = parse_unicode_data(os.path.join(ucd, "UnicodeData.txt"))
    nfc_qc, exclusions = parse_derived_norm(os.path.join(ucd, "DerivedNormalizationProps.txt"))

    flags = [0] * MAX_CP
    for cp, cat in gc.items():
        if cat[0] == "L":
            flags[cp] |= LETTER
        elif cat[0] == "N":
            flags[cp] |= NUMBER
    for cp in parse_white_space(os.path.join(ucd, "PropList.txt")):
        flags[cp] |= SPACE
    for cp in set(ccc) | nfc_qc:
        flags[cp] |= NFC_CHECK
    cccs = [0] * MAX_CP
    for cp, c in ccc.items():
        cccs[cp] = c

    f1, f2 = two_stage(flags)
    c1, c2 = two_stage(cccs)

    dec_cps = sorted(decomp)
    dec_index, dec_data = [], []
    for cp in dec_cps:
        seq = full_decomposition(cp, decomp)
        assert len(seq) < 8
        dec_index.append((cp << 32) | (len(dec_data) << 3) | len(seq))
        dec_data.extend(seq)

    comps = []
    for cp in dec_cps:
        d = decomp[cp]
        if len(d) == 2 and cp not in exclusions:
            comps.append(((d[0] << 21) | d[1], cp))
    comps.sort()

    out = [
        "// Generated by lib/tokenizer/gen_unicode_tables.py from the Unicode Character",
        "// Database (Debian unicode-data). Do not edit: rerun the generator.",
        "//   python3 lib/tokenizer/gen_unicode_tables.py > lib/tokenizer/unicode_tables.cpp",
        "#include <cstdint>",
        "",
        "namespace loom {",
        "namespace unicode {",
        "",
        "// flags: 1 letter \\p{L}, 2 number \\p{N}, 4 White_Space, 8 may change under NFC",
    ]
    emit_array(out, "uint16_t", "kFlagsStage1", f1)
    emit_array(out, "uint8_t", "kFlagsStage2", f2, 32)
    out.append("// canonical combining class")
    emit_array(out, "uint16_t", "kCccStage1", c1)
    emit_array(out, "uint8_t", "kCccStage2", c2, 32)
    out.append("// full canonical decompositions: (cp << 32 | offset << 3 | length), sorted; code points in kDecompData")
    emit_array(out, "uint64_t", "kDecompIndex", [f"0x{v:x}ull" for v in dec_index], 6)
    emit_array(out, "uint32_t", "kDecompData", [f"0x{v:x}" for v in dec_data], 12)
    out.append("// canonical compositions: key (first << 21 | second), sorted; composite in kComposeValue")
    emit_array(out, "uint64_t", "kComposeKey", [f"0x{k:x}ull" for k, _ in comps], 6)
    emit_array(out, "uint32_t", "kComposeValue", [f"0x{v:x}" for _, v in comps], 12)
    out.append(f"extern const uint32_t kDecompCount = {len(dec_index)};")
    out.append(f"extern const uint32_t kComposeCount = {len(comps)};")
    out += ["", "} // namespace unicode", "} // namespace loom", ""]
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
