"""What an import of an EPLAN part kept for the EPLAN writer (``passthrough.eplan`` of the
record), and how the writer puts it back into the part it builds.

The differences are kept at the level of the part model (``model.Part``), so that a part read
from a file this tool wrote is written back byte for byte by the same template:

- ``attributes`` / ``address``: ``{"set": {name: value}, "was": {name: value}, "remove":
  [name], "order": [name]}`` against the attributes the writer derives from the record; a
  kept value applies while the writer still makes what it made at the import (``was``), so a
  record field edited since comes through;
- ``free_properties`` (``[pos, description, value, unit]``), ``accessories`` (``[pos, partnr,
  variant, parttype, necessary]``), ``function_templates`` (``[pos, [[name, value], …]]``):
  the part's own lists where the record does not give the same, with a fingerprint of the
  writer's list at the import (``made``): once the record gives another list, the writer's
  list is written;
- ``variant_attributes``; ``part_xml``, ``variant_xml``, ``more_variants_xml``: records the
  model has no place for, as XML.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

from cae_export.formats.eplan.model import (
    AccessoryPosition,
    Address,
    FreeProperty,
    FunctionTemplate,
    Part,
)
from cae_export.record import Record

PASSTHROUGH = "eplan"
Attributes = tuple[tuple[str, str], ...]


def kept(record: Record) -> dict[str, Any]:
    return record.data.get("passthrough", {}).get(PASSTHROUGH, {})


# attributes -------------------------------------------------------------------------------------

def attribute_diff(source: Attributes, rendered: Attributes) -> dict[str, Any] | None:
    """What turns ``rendered`` into ``source``: values to set (with the value the writer made
    at the import, ``was``), names to remove, the order."""
    wanted, made = dict(source), dict(rendered)
    diff: dict[str, Any] = {}
    changed = {name: value for name, value in source if made.get(name) != value}
    if changed:
        diff["set"] = changed
        was = {name: made[name] for name in changed if name in made}
        if was:
            diff["was"] = was
    removed = [name for name in made if name not in wanted]
    if removed:
        diff["remove"] = removed
    order = [name for name, _ in source]
    if [name for name, _ in with_attributes(rendered, diff)] != order:
        diff["order"] = order
    return diff or None


def with_attributes(attributes: Attributes, diff: dict[str, Any] | None) -> Attributes:
    """``attributes`` with a kept diff applied. A kept value applies while the writer still
    makes what it made at the import (``was``): where the record field behind it was edited
    since, the writer's new value wins."""
    if not diff:
        return attributes
    made = dict(attributes)
    was = diff.get("was") or {}
    values = {name: value for name, value in attributes
              if name not in set(diff.get("remove") or ())}
    values.update({str(k): str(v) for k, v in (diff.get("set") or {}).items()
                   if k not in was or made.get(k) == was[k]})
    order = {name: n for n, name in enumerate(diff.get("order") or ())}
    names = sorted(values, key=lambda name: order.get(name, len(order)))
    return tuple((name, values[name]) for name in names)


# lists ------------------------------------------------------------------------------------------

def free_property_rows(items: tuple[FreeProperty, ...]) -> list[list[Any]]:
    return [[p.pos, p.description, p.value, p.unit] for p in items]


def accessory_rows(items: tuple[AccessoryPosition, ...]) -> list[list[Any]]:
    return [[a.pos, a.partnr, a.variant, a.parttype, a.necessary] for a in items]


def template_rows(items: tuple[FunctionTemplate, ...]) -> list[list[Any]]:
    return [[t.pos, [list(pair) for pair in t.attributes]] for t in items]


LISTS = (("free_properties", free_property_rows), ("accessories", accessory_rows),
         ("function_templates", template_rows))


def digest(rows: list[list[Any]]) -> str:
    """A short fingerprint of a list as the writer made it at the import."""
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def stale_lists(part: Part, kept_block: dict[str, Any]) -> list[str]:
    """The kept lists that no longer apply: the writer makes another list from the record
    than at the import (a field behind it was edited), so the writer's list is written."""
    made = kept_block.get("made") or {}
    return [name for name, rows in LISTS
            if name in kept_block and name in made and digest(rows(getattr(part, name))) != made[name]]


def part_diff(source: Part, rendered: Part) -> dict[str, Any]:
    """The passthrough block for a part read from a file, against the part the writer builds
    from the record mapped from it."""
    diff: dict[str, Any] = {}
    attributes = attribute_diff(source.attributes, rendered.attributes)
    if attributes:
        diff["attributes"] = attributes
    for name, rows in LISTS:
        mine, theirs = rows(getattr(source, name)), rows(getattr(rendered, name))
        if mine != theirs:
            diff[name] = mine
            diff.setdefault("made", {})[name] = digest(theirs)
    if source.variant_attributes != rendered.variant_attributes:
        diff["variant_attributes"] = [list(pair) for pair in source.variant_attributes]
    for name in ("part_xml", "variant_xml", "more_variants_xml"):
        if getattr(source, name):
            diff[name] = list(getattr(source, name))
    return diff


def with_passthrough(part: Part, kept_block: dict[str, Any]) -> Part:
    """The part the writer built, with what an import kept put back."""
    if not kept_block:
        return part
    changes: dict[str, Any] = {"attributes": with_attributes(part.attributes,
                                                             kept_block.get("attributes"))}
    stale = stale_lists(part, kept_block)
    kept_block = {k: v for k, v in kept_block.items() if k not in stale}
    if "free_properties" in kept_block:
        changes["free_properties"] = tuple(
            FreeProperty(int(pos), str(description), str(value), str(unit or ""))
            for pos, description, value, unit in kept_block["free_properties"])
    if "accessories" in kept_block:
        changes["accessories"] = tuple(
            AccessoryPosition(int(pos), str(partnr), str(necessary), str(parttype), str(variant))
            for pos, partnr, variant, parttype, necessary in kept_block["accessories"])
    if "function_templates" in kept_block:
        changes["function_templates"] = tuple(
            FunctionTemplate(int(pos), tuple((str(k), str(v)) for k, v in attributes))
            for pos, attributes in kept_block["function_templates"])
    if "variant_attributes" in kept_block:
        changes["variant_attributes"] = tuple((str(k), str(v))
                                              for k, v in kept_block["variant_attributes"])
    for name in ("part_xml", "variant_xml", "more_variants_xml"):
        if name in kept_block:
            changes[name] = tuple(str(x) for x in kept_block[name])
    if "address" in kept_block:
        changes["address"] = Address(with_attributes(part.address.attributes,
                                                     kept_block["address"]))
    return replace(part, **changes)


__all__ = ["PASSTHROUGH", "attribute_diff", "kept", "part_diff", "stale_lists",
           "with_attributes", "with_passthrough"]
