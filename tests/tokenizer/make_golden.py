#!/usr/bin/env python3
"""Writes the tokenizer golden vectors: each line a JSON object with the input
("text", or "hex" for byte strings that are not UTF-8) and the ids of the
model's own Hugging Face tokenizer (../shared/ref/hftok, NFC included).

    python3 tests/tokenizer/make_golden.py > tests/tokenizer/golden/hftok_qwen2.jsonl

Texts use only the special tokens llama.cpp's vocab-only Qwen2 GGUF shares
with Qwen2.5 (<|endoftext|>, <|im_start|>, <|im_end|>), because the unit test
tokenizes them with that file. Byte strings go to hftok raw on stdin (node
decodes ill-formed UTF-8 to U+FFFD per maximal subpart, as loom does).
"""
import json
import os
import subprocess
import sys

REF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "ref")
HFTOK = os.path.join(REF, "hftok")

TEXTS = [
    "", " ", "  ", "\t", "\n", "\r\n", "\n\n\n", " \n ", "a", "A", "hello", " hello", "Hello world",
    "Hello, world! How are you?", "  leading spaces", "trailing spaces   ", "trailing newline\n",
    "don't I'm we'll they've you're it's he'd", "DON'T I'M WE'LL THEY'VE", "'s 't 're 've 'm 'll 'd", "''''",
    "1", "12", "123", "1234567890", "3.14159", "1,000,000", "x=1+2", "v1.2.3-rc4", "٣٤٥ १२३ ²³ ½ Ⅻ",
    "naïve café résumé", "Ünïcödé straße İstanbul ǅ ﬁ", "e\u0301 a\u030a o\u0308\u0301 n\u0303",  # decomposed
    "\u1100\u1161\u11a8 \u212b \u2126 \u00c5", "Привет, мир!", "Γειά σου Κόσμε", "こんにちは世界", "你好，世界。",
    "안녕하세요", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "สวัสดีชาวโลก", "ქართული ენა",
    "😀 👍🏽 👨‍👩‍👧‍👦 🇺🇸 ❤️ ✅🚀", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠀀𠀁", "\u00a0nbsp\u3000ideo\u2003em\u2028ls\u2029ps\u0085nel\ufeffbom",
    "zero\u200bwidth\u200djoiner", "\x01\x02\x1f\x7f control", "tab\tsep\tvalues\n", "a\r\nb\rc\nd",
    "    indented\n        more\n", "\n\n  \n\t\n", "def f(x):\n    return x ** 2\n",
    "int main(void) {\n\treturn 0;\n}\n", "for (int i = 0; i < n; ++i) { a[i] = b[i] * 2; }",
    "<div class=\"x\">&amp;</div>", "SELECT * FROM users WHERE id = 42;", "$ ls -la | grep foo > out.txt",
    "«quoted» “curly” ‘single’ — dash … ellipsis", "€100 £50 ¥1000 ₹20", "!!!???...", "-->", "<|", "|>",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|>", "text<|endoftext|>more", "<|im_start|><|im_end|>", "<|im_start", "im_end|>",
    "e<|im_end|>\u0301", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "\u0000nul\u0000", "a" + " " * 20 + "b", " " * 33, "\n" * 17,
]

BYTES = [
    b"a\xed\xa0\x80b",          # UTF-8-encoded lone surrogate U+D800
    b"\xed\xbf\xbf",            # U+DFFF
    b"\xf0\x9d\x84\x9e\xed\xa0\xbd\xed\xb8\x80",  # a real astral char, then a surrogate pair encoded as CESU-8
    b"\xff\xfe\xc0\xaf",        # never-valid bytes and an overlong '/'
    b"x\xc3",                   # truncated at the end
    b"\xe2\x82 x",              # truncated 3-byte sequence before a space
    b"caf\xe9 latin-1",         # Latin-1 text
    b"\x80\x80\x80abc",         # lone continuation bytes
    b"\xf4\x90\x80\x80",        # above U+10FFFF
    b"ok \xf0\x9f\x98 cut emoji",
]


def hftok_jsonl(texts):
    body = "".join(json.dumps(t, ensure_ascii=False) + "\n" for t in texts)
    out = subprocess.run([HFTOK, "--jsonl"], input=body.encode(), capture_output=True, check=True).stdout.decode()
    return [json.loads(line) for line in out.splitlines()]


def hftok_raw(data):
    out = subprocess.run([HFTOK], input=data, capture_output=True, check=True).stdout.decode()
    return [int(x) for x in out.split()]


def main():
    ids = hftok_jsonl(TEXTS)
    assert len(ids) == len(TEXTS)
    for t, i in zip(TEXTS, ids):
        sys.stdout.write(json.dumps({"text": t, "ids": i}, ensure_ascii=False) + "\n")
    for b in BYTES:
        sys.stdout.write(json.dumps({"hex": b.hex(), "ids": hftok_raw(b)}) + "\n")


if __name__ == "__main__":
    main()
