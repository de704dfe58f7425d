"""Locate the files that ship with the tool (templates, schemas, mapping data)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

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


__all__ = ["PACKAGE_DIR", "SafeDumper", "SafeLoader", "load_yaml_file", "schema_path",
           "template_path", "templates_dir"]
