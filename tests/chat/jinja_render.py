#!/usr/bin/env python3
"""Renders chat templates with Jinja2 the way Hugging Face transformers does
(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks): the reference for
loom's built-in ChatML renderer. Needs python3-jinja2 (Debian package).

As a filter (used by the parity test):
  stdin:  {"template": TEXT, "cases": [{"messages": [{"role", "content"}...],
                                        "add_generation_prompt": bool}, ...]}
  stdout: a JSON list with one rendered string per case (ASCII-escaped)."""
import json
import sys

from jinja2.sandbox import ImmutableSandboxedEnvironment


def render(template_text, messages, add_generation_prompt):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = lambda x, **kw: json.dumps(x, ensure_ascii=False, **kw)
    return env.from_string(template_text).render(messages=messages, add_generation_prompt=add_generation_prompt,
                                                  tools=None)


def main():
    req = json.load(sys.stdin)
    out = [render(req["template"], c["messages"], c["add_generation_prompt"]) for c in req["cases"]]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
