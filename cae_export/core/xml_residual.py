"""``core.residual`` for XML documents: what a writer's element would not reproduce of a
source element, as a list of edits, and how to apply them to what the writer renders.

The edits are plain data (they go into a record's passthrough block as YAML):

- ``{"op": "insert", "at": PATH, "after": ID or None, "xml": TEXT}``: a source element the
  writer does not render, put back after its source predecessor (so the source's element
  order, and with it the schema's, is kept);
- ``{"op": "replace", "at": PATH, "xml": TEXT}``: a leaf element the writer renders otherwise;
- ``{"op": "omit", "at": PATH}``: an element the writer renders that the source did not have;
- ``{"op": "attributes", "at": PATH, "set": {...}, "remove": [...]}``.

A PATH is the list of child IDs from the compared element down; an ID names a child among
its siblings (``FEATURE[EF000008]``, ``DESCRIPTION_SHORT[deu]``), by a key the format gives
per tag, else by its tag and occurrence (``DATETIME#1``). Indentation is not a fact; comments
and processing instructions are not kept.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from typing import Any

from lxml import etree

from cae_export.core.xml import safe_parser

Key = Callable[[etree._Element], str | None]   # the key of an element of one tag, or None
Keys = dict[str, Key]
Op = dict[str, Any]


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def child_ids(element: etree._Element, keys: Keys) -> list[str]:
    """An ID per child element, unique among the siblings: ``TAG[key]`` where the format
    keys the tag and the key is unique, else ``TAG#n`` (``TAG[key]#n``) by occurrence."""
    bases = []
    for child in children(element):
        name = local(child)
        key_of = keys.get(name)
        key = key_of(child) if key_of else None
        bases.append((f"{name}[{key}]", True) if key is not None else (name, False))
    counts: dict[str, int] = {}
    for base, _keyed in bases:
        counts[base] = counts.get(base, 0) + 1
    ids, seen = [], dict.fromkeys(counts, 0)
    for base, keyed in bases:
        seen[base] += 1
        ids.append(base if keyed and counts[base] == 1 else f"{base}#{seen[base]}")
    return ids


def same(a: etree._Element, b: etree._Element) -> bool:
    """Equal as facts: tag, attributes, text (indentation aside) and children."""
    if a.tag != b.tag or dict(a.attrib) != dict(b.attrib):
        return False
    ca, cb = children(a), children(b)
    if not ca and not cb:
        return (a.text or "") == (b.text or "")
    return len(ca) == len(cb) and all(same(x, y) for x, y in zip(ca, cb, strict=True))


def fragment(element: etree._Element, namespace: str | None) -> str:
    """The element as text, without indentation (the writer indents what it writes)."""
    element = copy.deepcopy(element)
    for node in element.iter():
        if node.text is not None and not node.text.strip() and len(node):
            node.text = None
        if node is not element and node.tail is not None and not node.tail.strip():
            node.tail = None
    element.tail = None
    text = etree.tostring(element, encoding="unicode", with_tail=False)
    return text.replace(f' xmlns="{namespace}"', "", 1) if namespace else text


def parse_fragment(text: str, namespace: str | None) -> etree._Element:
    declared = f' xmlns="{namespace}"' if namespace else ""
    wrapper = etree.fromstring(f"<wrap{declared}>{text}</wrap>", safe_parser())
    return children(wrapper)[0]


def xml_residual(source: etree._Element, rendered: etree._Element, keys: Keys,
                 namespace: str | None = None, path: list[str] | None = None) -> list[Op]:
    """The edits that turn ``rendered`` into ``source`` (as facts)."""
    path = path or []
    ops: list[Op] = []
    if dict(source.attrib) != dict(rendered.attrib):
        ops.append({"op": "attributes", "at": path,
                    "set": {k: v for k, v in source.attrib.items()
                            if rendered.get(k) != v},
                    "remove": [k for k in rendered.attrib if k not in source.attrib]})
    source_children, source_ids = children(source), child_ids(source, keys)
    rendered_by_id = dict(zip(child_ids(rendered, keys), children(rendered), strict=True))
    # last first: taking one out never renumbers the ones still to take out
    for rendered_id in reversed(list(rendered_by_id)):
        if rendered_id not in source_ids:
            ops.append({"op": "omit", "at": [*path, rendered_id]})
    previous: str | None = None
    for child, child_id in zip(source_children, source_ids, strict=True):
        counterpart = rendered_by_id.get(child_id)
        if counterpart is None:
            ops.append({"op": "insert", "at": path, "after": previous,
                        "xml": fragment(child, namespace)})
        elif not same(child, counterpart):
            if children(child) and children(counterpart):
                ops += xml_residual(child, counterpart, keys, namespace, [*path, child_id])
            else:
                ops.append({"op": "replace", "at": [*path, child_id],
                            "xml": fragment(child, namespace)})
        previous = child_id
    return ops


def find(root: etree._Element, path: list[str], keys: Keys) -> etree._Element | None:
    node: etree._Element | None = root
    for step in path:
        if node is None:
            return None
        node = dict(zip(child_ids(node, keys), children(node), strict=True)).get(step)
    return node


def apply_xml_residual(root: etree._Element, ops: list[Op], keys: Keys,
                       namespace: str | None = None) -> None:
    """Apply the edits of ``xml_residual`` to ``root`` (the writer's element), in place; an
    edit whose place is gone (the record changed since the import) is skipped."""
    for op in ops:
        kind, at = op.get("op"), list(op.get("at") or [])
        if kind == "insert":
            parent = find(root, at, keys)
            if parent is None:
                continue
            new = parse_fragment(op["xml"], namespace)
            if any(same(new, child) for child in children(parent)):
                continue  # already there (the writer renders it now)
            after = op.get("after")
            if after is None:
                parent.insert(0, new)
                continue
            sibling = find(parent, [after], keys)
            if sibling is None:
                parent.append(new)
            else:
                sibling.addnext(new)
        elif kind in ("replace", "omit"):
            target = find(root, at, keys) if at else None
            if target is None or target.getparent() is None:
                continue
            if kind == "omit":
                target.getparent().remove(target)
            else:
                target.getparent().replace(target, parse_fragment(op["xml"], namespace))
        elif kind == "attributes":
            target = find(root, at, keys)
            if target is None:
                continue
            for name in op.get("remove") or []:
                target.attrib.pop(name, None)
            for name, value in (op.get("set") or {}).items():
                target.set(name, value)


def additions_only(ops: list[Op]) -> list[Op]:
    """The edits that add (inserts, omissions) without replacing what the writer renders:
    what still applies once the record was edited after the import."""
    return [op for op in ops if op.get("op") in ("insert", "omit")]


def fingerprint(element: etree._Element) -> str:
    """A short fingerprint of an element as a writer made it (layout aside): an import keeps
    it to tell later whether the record behind the element was edited."""
    # a copy declares its own namespaces wherever the element sits in a tree
    canonical = etree.tostring(copy.deepcopy(element), method="c14n2", strip_text=True)
    return hashlib.sha256(canonical).hexdigest()[:16]


__all__ = ["Keys", "Op", "additions_only", "apply_xml_residual", "fingerprint",
           "xml_residual"]
