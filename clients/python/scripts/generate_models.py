"""Writes workhive/models.py: one TypedDict (or alias) per schema of the server's OpenAPI document.

    python scripts/generate_models.py [path/to/openapi.yaml]

The tests regenerate it and fail when the committed file differs, so the types follow the API.
"""
from __future__ import annotations

import keyword
import pathlib
import sys

import yaml

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_SPEC = HERE.parents[2] / "Sources/WorkhiveServer/Resources/openapi.yaml"
TARGET = HERE.parent / "workhive/models.py"
SCALARS = {"integer": "int", "number": "float", "boolean": "bool", "string": "str", "null": "None"}


def annotation(schema: dict) -> str:
    if "$ref" in schema:
        return repr(schema["$ref"].rsplit("/", 1)[-1])
    if "enum" in schema:
        return "Literal[" + ", ".join(repr(v) for v in schema["enum"]) + "]"
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            return "Union[" + ", ".join(annotation(s) for s in schema[combinator]) + "]"
    kind = schema.get("type")
    if isinstance(kind, list):
        return "Union[" + ", ".join(annotation({**schema, "type": k}) for k in kind) + "]"
    if kind == "array":
        return f"list[{annotation(schema.get('items', {}))}]"
    if kind == "object":
        extra = schema.get("additionalProperties")
        value = annotation(extra) if isinstance(extra, dict) else "Any"
        return f"dict[str, {value}]"
    return SCALARS.get(kind, "Any")


def definition(name: str, schema: dict) -> str:
    doc = (schema.get("description") or "").strip().replace("\\", "\\\\").replace('"""', "'''")
    properties = schema.get("properties")
    if schema.get("type") != "object" or not properties:
        comment = "".join(f"# {line}\n" for line in doc.splitlines())
        return f"{comment}{name} = {annotation(schema)}\n"
    required = set(schema.get("required", []))
    fields = []
    for key, prop in properties.items():
        kind = annotation(prop)
        fields.append((key, kind if key in required else f"NotRequired[{kind}]"))
    if all(k.isidentifier() and not keyword.iskeyword(k) for k, _ in fields):
        lines = [f"class {name}(TypedDict):"]
        if doc:
            lines.append(f'    """{doc}"""')
        lines += [f"    {k}: {t}" for k, t in fields]
        return "\n".join(lines) + "\n"
    members = ", ".join(f"{k!r}: {t}" for k, t in fields)
    return f"{name} = TypedDict({name!r}, {{{members}}})\n"


def generate(spec_path: pathlib.Path = DEFAULT_SPEC) -> str:
    spec = yaml.safe_load(spec_path.read_text())
    parts = [
        '"""Types of the Workhive REST API, generated from its OpenAPI document by',
        'scripts/generate_models.py: do not edit by hand."""',
        "from __future__ import annotations",
        "",
        "from typing import Any, Literal, NotRequired, TypedDict, Union",
        "",
    ]
    for name, schema in spec["components"]["schemas"].items():
        parts.append("")
        parts.append(definition(name, schema))
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    TARGET.write_text(generate(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SPEC))
    print(f"wrote {TARGET}")
