#!/usr/bin/env python3
"""Renders chat templates with Jinja2 the way Hugging Face transformers does
(ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks): the reference for
loom's built-in ChatML renderer. Needs python3-jinja2 (Debian package).

As a filter (used by the parity test):
  stdin:  {"template": TEXT, "cases": [{"messages": [{"role", "content"}...],
                                        "add_generation_prompt": bool,
                                        "tools": [...] (optional)}, ...]}
          (messages may carry "tool_calls", as Hugging Face's chat format has them)
  stdout: a JSON list with one rendered string per case (ASCII-escaped)."""
import json
import sys

from jinja2.sandbox import ImmutableSandboxedEnvironment


def compile_template(template_text):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = lambda x, **kw: json.dumps(x, ensure_ascii=False, **kw)
    return env.from_string(template_text)


def render(template, messages, add_generation_prompt, tools=None):
    """template: a compiled template or the template text."""
    if isinstance(template, str):
        template = compile_template(template)
    return template.render(messages=messages, add_generation_prompt=add_generation_prompt, tools=tools)


def main():
    req = json.load(sys.stdin)
    template = compile_template(req["template"])
    out = [render(template, c["messages"], c["add_generation_prompt"], c.get("tools")) for c in req["cases"]]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
