#!/usr/bin/env python3
"""Checks one `tare CMD --json` document (stdin) against docs/cli-json.md: stdin is exactly one JSON document, every
field is documented for CMD, has the documented type, and every required field is present.

Usage: check_cli_json.py DOCS/cli-json.md CMD [REQUIRED_PATH ...]  (REQUIRED_PATH: optional fields that must appear)
"""
import json
import re
import sys

PRIMITIVE = {"string", "integer", "number", "boolean", "array", "object"}


def tables(doc):
    """{section title: {path: (type, nullable, optional)}} for every field table of the page."""
    out, title, rows = {}, None, None
    for line in doc.splitlines():
        m = re.match(r"^#{2,3} `([^`]+)`( object)?", line)
        if m:
            title, rows = m.group(1) + (m.group(2) or ""), {}
            out[title] = rows
            continue
        m = re.match(r"^\| `([^`]+)` \| ([^|]+) \|", line)
        if m and rows is not None:
            kind = m.group(2).strip()
            optional = kind.endswith("(optional)")
            kind = kind.replace("(optional)", "").strip()
            nullable = kind.endswith("?")
            rows[m.group(1)] = (kind.rstrip("?"), nullable, optional)
    return out


def expand(fields, types, prefix=""):
    """Fields with object-type references (`tensor`, `layer`, ...) replaced by that type's fields."""
    out = {}
    for path, (kind, nullable, optional) in fields.items():
        full = prefix + path
        if kind in PRIMITIVE:
            out[full] = (kind, nullable, optional)
        else:
            if kind not in types:
                sys.exit(f"docs: unknown type '{kind}' of '{full}'")
            out[full] = ("object", nullable, optional)
            out.update(expand(types[kind], types, full + "."))
    # An array's elements need no row of their own when their members have rows: `a[].x` implies object `a[]`.
    for path in list(out):
        for m in re.finditer(r"\[\]", path):
            element = path[: m.end()]
            out.setdefault(element, ("object", False, False))
    return out


def type_ok(value, kind):
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, {"string": str, "boolean": bool, "array": list, "object": dict}[kind])


def check(value, path, fields, errors):
    if path:
        kind, nullable, _ = fields[path]
        if value is None:
            if not nullable:
                errors.append(f"{path}: null, documented as {kind}")
            return
        if not type_ok(value, kind):
            errors.append(f"{path}: {type(value).__name__} {json.dumps(value)[:60]}, documented as {kind}")
            return
    if isinstance(value, dict):
        for key, child in value.items():
            sub = f"{path}.{key}" if path else key
            if sub not in fields and f"{path}.*" in fields:
                sub = f"{path}.*"
            if sub not in fields:
                errors.append(f"{sub}: not documented")
                continue
            check(child, sub, fields, errors)
        for doc_path, (_, _, optional) in fields.items():
            parent, _, name = doc_path.rpartition(".")
            if parent == path and not optional and name != "*" and not name.endswith("]") and name not in value:
                errors.append(f"{doc_path}: documented but missing")
    elif isinstance(value, list):
        for child in value:
            check(child, path + "[]", fields, errors)


def main():
    doc_path, command, required = sys.argv[1], sys.argv[2], sys.argv[3:]
    sections = tables(open(doc_path, encoding="utf-8").read())
    types = {t[: -len(" object")]: f for t, f in sections.items() if t.endswith(" object")}
    title = f"tare {command} --json"
    if title not in sections:
        sys.exit(f"docs: no table for `{title}`")
    fields = expand(sections[title], types)
    text = sys.stdin.read()
    try:
        value = json.loads(text)  # exactly one document: anything after it fails here
    except json.JSONDecodeError as e:
        sys.exit(f"stdout is not one JSON document: {e}\n{text[:300]}")
    if not isinstance(value, dict):
        sys.exit("the document is not an object")
    errors = []
    check(value, "", fields, errors)
    for path in required:
        node = value
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            errors.append(f"{path}: expected in this run, absent or null")
    if errors:
        sys.exit(f"tare {command} --json does not match docs/cli-json.md:\n  " + "\n  ".join(errors[:20]))
    print(f"tare {command} --json: {len(fields)} documented fields, output conforms")


if __name__ == "__main__":
    main()
