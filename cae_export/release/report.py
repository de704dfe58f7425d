"""A catalog diff as text, as a JSON document (``templates/diff/diff.schema.json``) or as a
self-contained HTML page; each is checked before it is written."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import fastjsonschema

from cae_export.core.problems import OutputInvalid, printable
from cae_export.core.resources import template_path
from cae_export.core.templating import environment
from cae_export.release.diff import ABSENT, CatalogDiff

MARKS = {"added": "+", "removed": "-", "changed": "~"}


def value_text(value: Any) -> str | None:
    """A field value as one line of JSON; None for a field the side does not have."""
    if value is ABSENT:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def document(diff: CatalogDiff) -> dict[str, Any]:
    return {
        "diff": "cae-export diff", "diff_version": 1, "old": diff.old, "new": diff.new,
        "summary": {"added": diff.count("added"), "removed": diff.count("removed"),
                    "changed": diff.count("changed"), "unchanged": diff.unchanged},
        "items": [{"item_number": item.item_number, "change": item.change,
                   "fields": [f.as_json() for f in item.fields]} for item in diff.items],
    }


@cache
def _check() -> Any:
    schema = json.loads(template_path("diff", "diff.schema.json").read_text(encoding="utf-8"))
    return fastjsonschema.compile(schema)


def json_text(diff: CatalogDiff, name: str) -> str:
    doc = document(diff)
    try:
        _check()(doc)
    except fastjsonschema.JsonSchemaException as exc:
        raise OutputInvalid(name, [exc.message]) from None
    head = json.dumps({**doc, "items": []}, ensure_ascii=False, indent=2)
    opening, closing = head.rsplit('"items": []', 1)
    lines = [json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in doc["items"]]
    body = "[\n    " + ",\n    ".join(lines) + "\n  ]" if lines else "[]"
    return f'{opening}"items": {body}{closing}\n'


def text(diff: CatalogDiff) -> str:
    """``+ added``, ``- removed``, ``~ changed`` with one line per field, then the counts."""
    lines = []
    for item in diff.items:
        lines.append(f"{MARKS[item.change]} {printable(item.item_number)}")
        for f in item.fields:
            old, new = value_text(f.old), value_text(f.new)
            lines.append(f"    {f.path}: {old if old is not None else '(none)'} → "
                         f"{new if new is not None else '(none)'}")
    lines.append(f"{diff.old} → {diff.new}: {diff.count('added')} added, "
                 f"{diff.count('removed')} removed, {diff.count('changed')} changed, "
                 f"{diff.unchanged} unchanged")
    return "\n".join(lines) + "\n"


def html(diff: CatalogDiff) -> str:
    doc = document(diff)
    items = [{"item_number": item.item_number, "change": item.change,
              "fields": [{"path": f.path, "old": value_text(f.old), "new": value_text(f.new)}
                         for f in item.fields]} for item in diff.items]
    template = environment("diff").get_template("diff.html.j2")
    return template.render(old=diff.old, new=diff.new, summary=doc["summary"], items=items)


__all__ = ["document", "html", "json_text", "text"]
