"""Locate the files that ship with the tool (templates, schemas, mapping data)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from cae_export.core.paths import PathError, path_list

PACKAGE_DIR = Path(__file__).resolve().parent.parent

try:  # the C loader is several times faster on large catalogs
    from yaml import CSafeDumper as SafeDumper
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper, SafeLoader  # type: ignore[assignment]


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
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=SafeLoader)


class MappingError(ValueError):
    """A mapping file that is not usable; the message names the file and the entry."""


def read_mapping(path: Path) -> Any:
    """A mapping file users edit (YAML); MappingError names the file if it cannot be read."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot read mapping: {exc}") from None


def mapping_fields(value: Any, where: str) -> tuple[str, ...]:
    """A mapping entry's ``field``: one record path or a list of them, each checked."""
    try:
        return path_list(value)
    except PathError as exc:
        raise MappingError(f"{where}: {exc}") from None


__all__ = ["PACKAGE_DIR", "MappingError", "SafeDumper", "SafeLoader", "load_yaml_file",
           "mapping_fields", "read_mapping", "schema_path", "template_path", "templates_dir"]
