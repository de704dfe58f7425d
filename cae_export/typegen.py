"""Generate ``record_types.py`` (typed views of a catalog record) from the record JSON Schema.

The JSON Schema is the published contract; the Python types are derived from it, so the two
cannot drift: a test regenerates the module and compares it with the committed one. After a
change to ``schemas/record.schema.json`` run ``python -m cae_export.typegen``.
"""

from __future__ import annotations

import json
import keyword
import sys
from pathlib import Path
from typing import Any

from cae_export.core.resources import schema_path

SCHEMA_FILE = "record.schema.json"
MODULE = Path(__file__).with_name("record_types.py")
ROOT = "RecordData"
HEADER = '''"""Typed views of a catalog record, generated from ``schemas/record.schema.json`` by
``python -m cae_export.typegen``: do not edit by hand. The data stays plain dicts and lists
(as loaded and schema-checked); these types let code read it by name instead of by path."""

from __future__ import annotations

from typing import Literal, TypedDict
'''


def class_name(*parts: str) -> str:
    return "".join(word.capitalize() for part in parts for word in part.split("_"))


class Generator:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.defs = schema.get("$defs", {})
        self.blocks: dict[str, str] = {}

    def annotation(self, node: dict[str, Any], name: str) -> str:
        """The Python type of one schema node; object nodes become TypedDicts named ``name``."""
        ref = node.get("$ref")
        if ref:
            return self.definition(ref.removeprefix("#/$defs/"))
        for key in ("oneOf", "anyOf"):
            typed = [n for n in node.get(key, []) if "$ref" in n or "type" in n]
            if typed and "type" not in node:
                return " | ".join(self.annotation(n, f"{name}{i}") for i, n in enumerate(typed))
        if "const" in node:
            return f"Literal[{node['const']!r}]"
        if "enum" in node:
            return f"Literal[{', '.join(repr(v) for v in node['enum'])}]"
        kind = node.get("type")
        if kind == "array":
            return f"list[{self.annotation(node['items'], name + 'Item')}]"
        if kind == "object" or "properties" in node:
            if "properties" not in node:
                values = node.get("additionalProperties")
                inner = self.annotation(values, name + "Value") if isinstance(values, dict) else "object"
                return f"dict[str, {inner}]"
            self.typed_dict(name, node)
            return name
        simple = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
        if isinstance(kind, list) and all(k in simple for k in kind):
            return " | ".join(simple[k] for k in kind)
        if kind in simple:
            return simple[kind]
        raise ValueError(f"{name}: no Python type for schema node {node!r}")

    def definition(self, key: str) -> str:
        """A ``$defs`` entry by name: a TypedDict, or an alias for anything else."""
        name, node = class_name(key), self.defs[key]
        if node.get("type") == "object" and "properties" in node:
            return self.annotation(node, name)
        if name not in self.blocks:
            self.blocks[name] = ""  # reserved: what it uses is emitted first
            alias = self.annotation(node, name)
            self.blocks.pop(name)
            self.blocks[name] = f"{name} = {alias}\n"
        return name

    def child_name(self, parent: str, key: str) -> str:
        """``Mechanical`` for the root's ``mechanical``; ``ConnectionSection`` where the root's
        key has the name of a definition (``connection``); deeper: parent name + key."""
        if parent != ROOT:
            return parent + class_name(key)
        name = class_name(key)
        return name + "Section" if name in {class_name(d) for d in self.defs} else name

    def typed_dict(self, name: str, node: dict[str, Any]) -> None:
        if name in self.blocks:
            return
        self.blocks[name] = ""  # reserve the name: dependencies are emitted first
        required = set(node.get("required", []))
        fields = {key: self.annotation(sub, self.child_name(name, key))
                  for key, sub in node["properties"].items()}
        must = {k: v for k, v in fields.items() if k in required}
        may = {k: v for k, v in fields.items() if k not in required}
        doc = node.get("description")
        self.blocks.pop(name)
        self.blocks[name] = render_typed_dict(name, must, may, doc)


def render_typed_dict(name: str, must: dict[str, str], may: dict[str, str], doc: str | None) -> str:
    """Required keys in a base class, optional keys in a ``total=False`` class on top."""
    if not must:
        return typed_dict_block(name, may, "TypedDict, total=False", doc)
    if not may:
        return typed_dict_block(name, must, "TypedDict", doc)
    base = f"_{name}Required"
    return (typed_dict_block(base, must, "TypedDict", None) + "\n\n"
            + typed_dict_block(name, may, f"{base}, total=False", doc))


def typed_dict_block(name: str, fields: dict[str, str], bases: str, doc: str | None) -> str:
    """Class syntax, or the functional form where a key is a Python keyword (``class``)."""
    if any(keyword.iskeyword(k) for k in fields):
        if bases != "TypedDict":
            raise ValueError(f"{name}: a key that is a Python keyword in a total=False part")
        items = "".join(f'    "{k}": {v},\n' for k, v in fields.items())
        return f'{name} = TypedDict("{name}", {{\n{items}}})\n'
    lines = [f"class {name}({bases}):\n"]
    if doc:
        lines.append(f'    """{wrap(doc)}"""\n\n')
    lines.extend(f"    {k}: {v}\n" for k, v in fields.items())
    return "".join(lines)


def wrap(text: str, width: int = 100) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n    ".join(lines)


def render_module(schema: dict[str, Any]) -> str:
    generator = Generator(schema)
    generator.typed_dict(ROOT, schema)
    blocks = "\n\n".join(generator.blocks.values())
    names = "".join(f'    "{n}",\n' for n in sorted(generator.blocks))
    # isort's rule: two blank lines after the imports before a class, one before an alias
    gap = "\n\n" if blocks.startswith("class") else "\n"
    return f"{HEADER}{gap}{blocks}\n\n__all__ = [\n{names}]\n"


def load_schema() -> dict[str, Any]:
    return json.loads(schema_path(SCHEMA_FILE).read_text(encoding="utf-8"))


def main() -> int:
    MODULE.write_text(render_module(load_schema()), encoding="utf-8")
    print(f"wrote {MODULE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
