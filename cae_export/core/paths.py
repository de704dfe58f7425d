"""The one record-path syntax mapping files use to name a record field.

``a.b`` follows keys; ``[N]`` picks list item N (0-based); ``[key=value]`` keeps the list items
whose ``key`` equals ``value``; a key applied to a list looks into its first item, so
``connection.connections.conductors[kind=solid].cross_section`` is the first connection's first
solid-conductor cross section. Code reads records through their typed accessors; paths are for
the data files (``mapping.yaml``) that say which field feeds which output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

Step = tuple[str, str]  # ("key", name) | ("index", "0") | ("filter", "key=value")

_STEP = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)|(\.)")


class PathError(ValueError):
    """A record path that does not follow the syntax."""


@lru_cache(maxsize=4096)
def parse_path(path: str) -> tuple[Step, ...]:
    """``a.b[0][k=v]`` -> ("key", "a"), ("key", "b"), ("index", "0"), ("filter", "k=v")."""
    steps: list[Step] = []
    position = 0
    while position < len(path):
        match = _STEP.match(path, position)
        if not match:
            raise PathError(f"cannot read path {path!r}")
        bracket, key, _dot = match.groups()
        if bracket is not None:
            if bracket.isdigit():
                steps.append(("index", bracket))
            elif "=" in bracket:
                steps.append(("filter", bracket))
            else:
                raise PathError(f"[{bracket}] in {path!r} is neither [N] nor [k=v]")
        elif key is not None:
            steps.append(("key", key))
        position = match.end()
    if not steps:
        raise PathError(f"cannot read path {path!r}")
    return tuple(steps)


def path_list(value: Any) -> tuple[str, ...]:
    """A mapping entry's ``field``: one record path or a list of them, each checked."""
    paths = [value] if isinstance(value, str) else value
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
        raise PathError("'field' must be a path or a list of paths")
    for path in paths:
        parse_path(path)
    return tuple(paths)


def resolve(data: Any, path: str) -> Any:
    """The node at ``path`` (a list stays a list), or None where the record has nothing."""
    node = data
    for kind, arg in parse_path(path):
        if kind == "key":
            if isinstance(node, list):
                node = node[0] if node else None
            node = node.get(arg) if isinstance(node, dict) else None
        elif kind == "index":
            index = int(arg)
            node = node[index] if isinstance(node, list) and index < len(node) else None
        else:
            key, _, wanted = arg.partition("=")
            node = [i for i in node if isinstance(i, dict) and str(i.get(key)) == wanted] \
                if isinstance(node, list) else None
        if node is None:
            return None
    return node


def resolve_single(data: Any, path: str) -> Any:
    """Like ``resolve``, for outputs that take one value: a list left over gives its first item."""
    node = resolve(data, path)
    if isinstance(node, list):
        return node[0] if node else None
    return node


def first_single(data: Any, paths: Sequence[str]) -> tuple[Any, str]:
    """(value, path) of the first of ``paths`` the record has a single value for."""
    for path in paths:
        value = resolve_single(data, path)
        if value is not None:
            return value, path
    return None, paths[0]


__all__ = ["PathError", "first_single", "parse_path", "path_list", "resolve", "resolve_single"]
