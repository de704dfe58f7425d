"""Locate the files that ship with the tool (templates, schemas, mapping data)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cae_export.core.paths import PathError, path_list

PACKAGE_DIR = Path(__file__).resolve().parent.parent

try:  # the C loader is several times faster on large catalogs
    from yaml import CSafeDumper as SafeDumper
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper, SafeLoader  # type: ignore[assignment]


# YAML nested deeper than this is refused (no record, job or mapping file needs it, and a
# deeper one would exhaust the recursion of whatever reads it)
MAX_YAML_DEPTH = 64
_NON_FINITE = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
FLOAT_TAG = "tag:yaml.org,2002:float"


def load_yaml_text(text: str) -> Any:
    """YAML the way every input of the tool is read: safe types only, and refused (a
    ``yaml.YAMLError`` naming the line) where it has a duplicate key (the last one would
    silently win), an alias (``*name``: an alias bomb expands exponentially), ``.inf`` or
    ``.nan``, or nesting deeper than ``MAX_YAML_DEPTH``."""
    node = yaml.compose(text, Loader=SafeLoader)
    if node is None:
        return None
    check_yaml_nodes(node)
    return SafeConstructor().construct_document(node)


def check_yaml_nodes(root: Node) -> None:
    """Walk the composed document once (no recursion, linear in its size) and refuse what
    ``load_yaml_text`` refuses."""
    seen: set[int] = set()
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:  # the composer hands out the same node again for an alias
            raise ConstructorError(None, None, "YAML aliases (*name) are not accepted",
                                   node.start_mark)
        seen.add(id(node))
        if depth > MAX_YAML_DEPTH:
            raise ConstructorError(None, None, f"nested deeper than {MAX_YAML_DEPTH} levels",
                                   node.start_mark)
        if isinstance(node, ScalarNode):
            if node.tag == FLOAT_TAG and _NON_FINITE.fullmatch(node.value):
                raise ConstructorError(None, None, f"{node.value} is not a finite number",
                                       node.start_mark)
        elif isinstance(node, MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    if key.value in first:
                        raise ConstructorError(
                            None, None, f"duplicate key {key.value!r} (first at line "
                            f"{first[key.value]})", key.start_mark)
                    first[key.value] = key.start_mark.line + 1
                stack += [(key, depth + 1), (value, depth + 1)]
        elif isinstance(node, SequenceNode):
            stack += [(item, depth + 1) for item in node.value]


def templates_dir() -> Path:
    """``templates/`` ships inside the wheel as ``cae_export/templates``; in a checkout it sits beside it."""
    bundled = PACKAGE_DIR / "templates"
    return bundled if bundled.is_dir() else PACKAGE_DIR.parent / "templates"


def template_path(*parts: str) -> Path:
    return templates_dir().joinpath(*parts)


def schema_path(name: str) -> Path:
    return PACKAGE_DIR / "schemas" / name


@cache
def load_yaml_file(path: Path) -> Any:
    """A mapping table shipped beside a format's code (YAML), read once per process."""
    return load_yaml_text(path.read_text(encoding="utf-8"))


class MappingError(ValueError):
    """A mapping file that is not usable; the message names the file and the entry."""


def read_mapping(path: Path) -> Any:
    """A mapping file users edit (YAML); MappingError names the file if it cannot be read."""
    try:
        return load_yaml_text(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot read mapping: {exc}") from None


def mapping_fields(value: Any, where: str) -> tuple[str, ...]:
    """A mapping entry's ``field``: one record path or a list of them, each checked."""
    try:
        return path_list(value)
    except PathError as exc:
        raise MappingError(f"{where}: {exc}") from None


__all__ = ["PACKAGE_DIR", "MappingError", "SafeDumper", "SafeLoader", "check_yaml_nodes",
           "load_yaml_file", "load_yaml_text",
           "mapping_fields", "read_mapping", "schema_path", "template_path", "templates_dir"]
