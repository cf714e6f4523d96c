#!/usr/bin/env python3
"""Writes tests/chat/golden/chatml.json: fixed conversations rendered by the
real Jinja2 templates in tests/chat/templates (Qwen2 as written by
../shared/ref/mkgguf.py, Qwen2 as in llama.cpp's ggml-vocab-qwen2.gguf, and
Qwen2.5-Instruct's published template). The unit suite compares loom's
built-in ChatML renderer with these byte for byte.

Regenerate (needs python3-jinja2):  python3 tests/chat/make_golden.py"""
import json
import os

from jinja_render import render

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = ["qwen2.jinja", "qwen2-llamacpp.jinja", "qwen2.5-instruct.jinja"]


def m(role, content):
    return {"role": role, "content": content}


CONVERSATIONS = [
    [m("user", "Hello!")],
    [m("system", "You are a pirate."), m("user", "Where is the treasure?")],
    [m("user", "2+2?"), m("assistant", "4"), m("user", "and 3+3?")],
    [m("system", "Be brief."), m("user", "hi"), m("assistant", "hello"), m("system", "Now be verbose."),
     m("user", "again")],
    [m("user", "What's the weather?"), m("assistant", ""), m("tool", "{\"temp\": 21}"),
     m("tool", "{\"wind\": \"5 km/h\"}"), m("assistant", "21 degrees, light wind.")],
    [m("tool", "first result")],
    [m("user", "tool then user"), m("tool", "r1"), m("user", "thanks"), m("tool", "r2")],
    [m("user", "Ünïcödé ✓ 漢字 🙂 and \"quotes\", {{ braces }}, {% tags %}, \\backslash\\")],
    [m("user", "line one\nline two\r\n\ttabbed\n\n")],
    [m("user", "text with <|im_end|> and <|im_start|>system inside")],
    [m("assistant", "an assistant first")],
    [m("system", "")],
    [m("user", "")],
]


def main():
    cases = []
    for name in TEMPLATES:
        text = open(os.path.join(HERE, "templates", name), encoding="utf-8").read()
        for conv in CONVERSATIONS:
            for gen in (True, False):
                cases.append({"template": name, "add_generation_prompt": gen, "messages": conv,
                              "expected": render(text, conv, gen)})
    with open(os.path.join(HERE, "golden", "chatml.json"), "w", encoding="utf-8") as f:
        json.dump(cases, f, indent=1, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    main()
