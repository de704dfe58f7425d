"""Locate the files that ship with the tool (templates, schemas, mapping data)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

PACKAGE_DIR = Path(__file__).resolve().parent


def templates_dir() -> Path:
    """``templates/`` ships inside the wheel as ``cae_export/templates``; in a checkout it sits beside it."""
    bundled = PACKAGE_DIR / "templates"
    return bundled if bundled.is_dir() else PACKAGE_DIR.parent / "templates"


def template_path(*parts: str) -> Path:
    return templates_dir().joinpath(*parts)


def schema_path(name: str) -> Path:
    return PACKAGE_DIR / "schemas" / name


def data_path(name: str) -> Path:
    return PACKAGE_DIR / "data" / name


@cache
def load_data(name: str) -> Any:
    """A mapping table from ``cae_export/data/`` (YAML), read once."""
    with data_path(name).open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=SafeLoader)


try:  # the C loader is several times faster on large catalogs
    from yaml import CSafeDumper as SafeDumper
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper, SafeLoader  # type: ignore[assignment]

__all__ = ["SafeDumper", "SafeLoader", "data_path", "load_data", "schema_path", "template_path",
           "templates_dir"]
