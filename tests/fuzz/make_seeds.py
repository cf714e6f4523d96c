#!/usr/bin/env python3
"""Writes the committed seed corpora (corpus/<target>/): a 7 KB qwen2 GGUF
with seeded random f32 weights for the GGUF and model-load targets, and small
hand-made inputs for the others. Run from anywhere; rewrites the seeds."""
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def gguf_tiny(seed=1):
    rnd = random.Random(seed)
    E, H, HKV, FF, V = 16, 2, 1, 16, 8
    hd = E // H
    kv = [("general.architecture", 8, "qwen2"), ("qwen2.block_count", 4, 1), ("qwen2.context_length", 4, 64),
          ("qwen2.embedding_length", 4, E), ("qwen2.feed_forward_length", 4, FF),
          ("qwen2.attention.head_count", 4, H), ("qwen2.attention.head_count_kv", 4, HKV),
          ("qwen2.rope.freq_base", 6, 10000.0), ("qwen2.attention.layer_norm_rms_epsilon", 6, 1e-6)]
    tensors = [("token_embd.weight", [E, V]), ("blk.0.attn_norm.weight", [E]), ("blk.0.attn_q.weight", [E, E]),
               ("blk.0.attn_k.weight", [E, hd * HKV]), ("blk.0.attn_v.weight", [E, hd * HKV]),
               ("blk.0.attn_q.bias", [E]), ("blk.0.attn_k.bias", [hd * HKV]), ("blk.0.attn_v.bias", [hd * HKV]),
               ("blk.0.attn_output.weight", [E, E]), ("blk.0.ffn_norm.weight", [E]),
               ("blk.0.ffn_gate.weight", [E, FF]), ("blk.0.ffn_up.weight", [E, FF]),
               ("blk.0.ffn_down.weight", [FF, E]), ("output_norm.weight", [E])]

    def s(x):
        b = x.encode()
        return struct.pack("<Q", len(b)) + b

    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv))
    for k, t, v in kv:
        out += s(k) + struct.pack("<I", t)
        out += s(v) if t == 8 else struct.pack("<I", v) if t == 4 else struct.pack("<f", v)
    data, off = b"", 0
    for name, ne in tensors:
        out += s(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<Q", n) for n in ne)
        out += struct.pack("<IQ", 0, off)
        n = 1
        for d in ne:
            n *= d
        blob = b"".join(struct.pack("<f", rnd.gauss(1.0 if len(ne) == 1 else 0.0, 0.2)) for _ in range(n))
        blob += b"\0" * (-len(blob) % 32)
        data += blob
        off += len(blob)
    out += b"\0" * (-len(out) % 32)
    return out + data


JSON_GBNF = rb"""root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null") ws
object ::= "{" ws ( string ":" ws value ("," ws string ":" ws value)* )? "}" ws
array  ::= "[" ws ( value ("," ws value)* )? "]" ws
string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) )* "\"" ws
number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws
ws ::= | " " | "\n" [ \t]{0,20}
"""

SEEDS = {
    "gguf": {"tiny_qwen2.gguf": gguf_tiny(), "header_only.gguf": b"GGUF" + struct.pack("<IQQ", 3, 0, 0)},
    "model_load": {"tiny_qwen2.gguf": gguf_tiny(2)},
    "tokenizer": {"plain": b"\x02Hello world, 12345!", "special": b"\x01<|im_start|>user\nhi<|im_end|>\n",
                  "nfc": b"\x00caf\xc3\xa9 e\xcc\x81 \xef\xac\x81", "spaces": b"\x03  \t\n\n  x   \r\n",
                  "bad_utf8": b"\x02\xff\xfe\xc3(\xe2\x82"},
    "detokenizer": {"ids": bytes(range(0, 64)), "special": b"\x01" + bytes([0, 1, 2, 1, 255, 255, 3, 1])},
    "chat": {"two": b"\x03\x01\x05hello\x02\x03hi!", "tool": b"\x01\x00\x02sys\x03\x04tool1\x03\x04tool2"},
    "stop_matcher": {"one": b"\x01\x04stop\x05hello\x03 st\x02op", "overlap": b"\x02\x03aab\x02ab\x04aaaa\x02ab"},
    "sampler": {"chain": bytes(random.Random(3).randrange(256) for _ in range(96))},
    "state": {"patch": b"\x01", "patch_reseal": b"\x03\x30\x00\x41\x40\x00\x00", "raw": b"\x00LOOMSTAT\x02\x00\x00\x00"},
    "grammar": {
        "json": JSON_GBNF + b'\0{"a": [1, "x\xc3\xa9"], "b": -0.5e3}',
        "repeat": b'root ::= ("ab" | [c-e]){2,5} x*\nx ::= [^\\n\\x00-\\x1f] # any\n\0abdcxyz',
        "nested": b'root ::= "(" root ")" | "."\0((((.))))',
        "utf8": b'root ::= [\xe3\x81\x81-\xe3\x82\x9f]+ "\\U0001F600"?\0\xe3\x81\x82\xf0\x9f\x98\x80',
        "errors": b'root ::= (x | "\\q"\n x ::= y{3,1}\0abc',
    },
    "json_schema": {
        "object": b'{"type": "object", "properties": {"a": {"type": "integer", "minimum": -5, "maximum": 120},'
                  b' "b": {"type": "string", "maxLength": 4}}, "required": ["a"], "additionalProperties": {"type": "number"}}',
        "refs": b'{"$defs": {"n": {"type": "object", "properties": {"k": {"type": "array", "items": {"$ref": "#/$defs/n"},'
                b' "maxItems": 2}}}}, "anyOf": [{"$ref": "#/$defs/n"}, {"enum": [1, "x", null]}]}',
        "formats": b'{"type": ["string", "null"], "format": "date-time"}',
        "numbers": b'{"type": "array", "items": {"type": "number", "exclusiveMinimum": -3, "maximum": 7}, "minItems": 1}',
        "keys": b'{"properties": {"ab": {"const": true}, "a\\u00e9": {}}, "additionalProperties": true}',
        "errors": b'{"type": "string", "pattern": "x", "items": [1, {"a": "\\ud800"}]',
    },
    "api_sequence": {"mixed": bytes(random.Random(4).randrange(256) for _ in range(160))},
}

for target, files in SEEDS.items():
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
