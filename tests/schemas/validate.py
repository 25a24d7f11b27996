#!/usr/bin/env python3
"""Validates a report file against a vendored published schema.

    validate.py sarif|cyclonedx FILE

Exit 0 when valid; otherwise prints each error with its path and exits 1."""
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return json.load(f)


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if kind == "sarif":
        schema = load("sarif-2.1.0-rtm.5.json")
        validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    elif kind == "cyclonedx":
        schema = load("bom-1.5.SNAPSHOT.schema.json")
        # The BOM schema names its neighbours by relative $ref: serve them from here.
        neighbours = {"http://cyclonedx.org/schema/" + name: load(name)
                      for name in ("spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json")}
        try:  # jsonschema >= 4.18
            from referencing import Registry, Resource
            registry = Registry().with_resources(
                (uri, Resource.from_contents(s)) for uri, s in neighbours.items())
            validator = jsonschema.Draft7Validator(schema, registry=registry,
                                                   format_checker=jsonschema.FormatChecker())
        except ImportError:  # Debian 12's 4.10
            resolver = jsonschema.RefResolver.from_schema(
                schema, store=neighbours)
            validator = jsonschema.Draft7Validator(schema, resolver=resolver,
                                                   format_checker=jsonschema.FormatChecker())
    else:
        sys.exit(f"unknown kind {kind}: sarif or cyclonedx")
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors[:20]:
        print(f"{kind}: {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:300]}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
