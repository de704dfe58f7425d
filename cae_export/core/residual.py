"""What a writer would not reproduce of a source document, and how to put it back.

A reader maps what it understands of a source product into a record; everything else must
survive. Rather than list what each reader leaves out, the reader renders its record with the
format's own writer and keeps the **residual**: the parts of the source that the rendered
product lacks or has otherwise. The writer later **merges** the residual back into what it
renders, so a file exported again carries every fact of the source, whatever the record holds.

Documents are JSON-like (dicts, lists, scalars). Lists of objects are matched item by item by
an identity (per list name, the paths of the values that name an item: a description by its
language, a feature by its code); a list without an identity, or whose identities repeat, is
kept whole. A residual item keeps the fields its identity reads, so it can be matched again.
What the writer renders and the source does not have (a key, a list item) is marked
``{"$omit": true}`` in the residual, and the merge leaves it out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

OMIT = "$omit"
Path = tuple[str | int, ...]
Identity = tuple[Path, ...]
Identities = Mapping[str, Identity]


def key_of(item: dict[str, Any], identity: Identity) -> tuple[Any, ...]:
    """The values ``identity`` names in ``item`` (KeyError/IndexError/TypeError if absent)."""
    values = []
    for path in identity:
        value: Any = item
        for step in path:
            value = value[step]
        if isinstance(value, (dict, list)):
            raise TypeError("an identity names a scalar")
        values.append(value)
    return tuple(values)


def residual(source: Any, rendered: Any, identities: Identities, name: str = "") -> Any:
    """The part of ``source`` that ``rendered`` does not reproduce, or None if it all is."""
    if isinstance(source, dict) and isinstance(rendered, dict):
        kept: dict[str, Any] = {}
        for key, value in source.items():
            if key not in rendered:
                kept[key] = value
                continue
            rest = residual(value, rendered[key], identities, key)
            if rest is not None:
                kept[key] = rest
        for key in rendered:
            if key not in source:
                kept[key] = {OMIT: True}
        return kept or None
    identity = identities.get(name)
    if identity is not None and _matchable(source, identity) and _matchable(rendered, identity):
        by_identity = {key_of(item, identity): item for item in rendered}
        items = []
        for item in source:
            counterpart = by_identity.get(key_of(item, identity))
            if counterpart is None:
                items.append(item)
                continue
            rest = residual(item, counterpart, identities, name)
            if rest is not None:
                items.append({**_named(item, identity), **rest})
        in_source = {key_of(item, identity) for item in source}
        items += [{**_named(item, identity), OMIT: True} for item in rendered
                  if key_of(item, identity) not in in_source]
        return items or None
    return None if source == rendered else source


def merged(rendered: Any, rest: Any, identities: Identities, name: str = "") -> Any:
    """``rendered`` with a residual put back: the residual's values win where both have one;
    its extra keys and list items come after the rendered ones."""
    if rest is None:
        return rendered
    if isinstance(rendered, dict) and isinstance(rest, dict):
        result = dict(rendered)
        for key, value in rest.items():
            if _omitted(value):
                result.pop(key, None)
            elif key in rendered:
                result[key] = merged(rendered[key], value, identities, key)
            else:
                result[key] = value
        return result
    identity = identities.get(name)
    if identity is not None and _matchable(rendered, identity) and _matchable(rest, identity):
        result: list[Any] = list(rendered)
        positions = {key_of(item, identity): n for n, item in enumerate(rendered)}
        for item in rest:
            at = positions.get(key_of(item, identity))
            if at is None:
                result.append(item)
            elif _omitted(item):
                result[at] = None
            else:
                result[at] = merged(rendered[at], item, identities, name)
        return [item for item in result if item is not None]
    return rest


def additions(rest: Any, rendered: Any, identities: Identities, name: str = "",
              owned: frozenset[str] = frozenset()) -> Any:
    """The part of a residual that adds to ``rendered`` (keys, list items and omissions it
    does not have a value for) without replacing a value the writer renders: what still
    applies once the record behind ``rendered`` was edited after the import. ``owned`` keys
    are the writer's even where it leaves them out (a description it makes no long form of):
    a kept value of one is dropped."""
    if isinstance(rest, dict) and isinstance(rendered, dict):
        kept = {}
        for key, value in rest.items():
            if key in owned and not isinstance(value, dict):
                continue
            if key not in rendered or _omitted(value):
                kept[key] = value
            else:
                inner = additions(value, rendered[key], identities, key, owned)
                if inner is not None:
                    kept[key] = inner
        return kept or None
    identity = identities.get(name)
    if identity is not None and _matchable(rendered, identity) and _matchable(rest, identity):
        positions = {key_of(item, identity): item for item in rendered}
        items = []
        for item in rest:
            counterpart = positions.get(key_of(item, identity))
            if counterpart is None or _omitted(item):
                items.append(item)
                continue
            inner = additions(item, counterpart, identities, name, owned)
            if inner is not None:
                items.append({**_named(item, identity), **inner})
        return items or None
    return None  # a value the writer renders: the record's (edited) value wins


def fingerprint(document: Any) -> str:
    """A short fingerprint of a JSON document as a writer made it: an import keeps it to tell
    later whether the record behind the document was edited."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _named(item: dict[str, Any], identity: Identity) -> dict[str, Any]:
    """The top-level fields of ``item`` its identity reads: enough to match it again."""
    return {path[0]: item[path[0]] for path in identity}  # type: ignore[index]


def _omitted(value: Any) -> bool:
    return isinstance(value, dict) and value.get(OMIT) is True


def _matchable(items: Any, identity: Identity) -> bool:
    """A list of objects whose identities can be computed and do not repeat."""
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return False
    try:
        keys = [key_of(item, identity) for item in items]
    except (KeyError, IndexError, TypeError):
        return False
    return len(set(keys)) == len(keys)


__all__ = ["OMIT", "Identities", "Identity", "additions", "fingerprint", "key_of", "merged",
           "residual"]
