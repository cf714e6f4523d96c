#!/usr/bin/env python3
"""Validates generated texts against their JSON schemas with python3-jsonschema
(Debian's package), formats checked. Input: a JSON file, a list of
{"schema": {...}, "outputs": ["text", ...]}. Exit 0 when every text parses as
JSON and validates; 1 otherwise (each failure printed); 77 (skip) without
jsonschema outside CI, 1 in CI."""
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    print("validate_schema_outputs: python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") == "true" else 77)


def main(path):
    cases = json.load(open(path, encoding="utf-8"))
    failures = checked = 0
    for case in cases:
        schema = case["schema"]
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        cls.check_schema(schema)
        # the draft's own checker: the global FormatChecker() maps "time" to draft 3's
        checker = getattr(cls, "FORMAT_CHECKER", None) or jsonschema.draft202012_format_checker
        validator = cls(schema, format_checker=checker)
        for text in case["outputs"]:
            checked += 1
            try:
                value = json.loads(text)
            except ValueError as e:
                failures += 1
                print(f"not JSON ({e}): {text!r}\n  schema {json.dumps(schema)}")
                continue
            errors = list(validator.iter_errors(value))
            if errors:
                failures += 1
                print(f"invalid: {text!r}\n  schema {json.dumps(schema)}\n  {errors[0].message}")
    print(f"{checked} outputs of {len(cases)} schemas checked, {failures} failed")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
