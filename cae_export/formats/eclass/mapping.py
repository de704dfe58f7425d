"""The ECLASS mapping (``mapping.yaml`` beside this module): which record field feeds which
ECLASS property, by IRDI. Read and checked once; a problem names the file and the entry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cae_export.core.paths import first_single
from cae_export.core.problems import RecordError
from cae_export.core.resources import MappingError, mapping_fields, read_mapping
from cae_export.record import Record

MAPPING_FILE = Path(__file__).with_name("mapping.yaml")
IRDI = re.compile(r"^0173-1#02-[A-Z]{3}[0-9]{3}#[0-9]{3}$")


@dataclass(frozen=True)
class EclassProperty:
    irdi: str
    name: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class EclassMapping:
    properties: tuple[EclassProperty, ...]
    source: str = ""

    def property(self, irdi: str) -> EclassProperty | None:
        return next((p for p in self.properties if p.irdi == irdi), None)


def _property(entry: Any, where: str) -> EclassProperty:
    if not isinstance(entry, dict) or not IRDI.match(str(entry.get("irdi", ""))):
        raise MappingError(f"{where}: 'irdi' must match {IRDI.pattern}")
    return EclassProperty(entry["irdi"], str(entry.get("name", "")),
                          mapping_fields(entry.get("field"), where))


@cache
def load_mapping(path: Path | None = None) -> EclassMapping:
    """The mapping file (the bundled one unless ``path`` is given), read and checked once."""
    path = path or MAPPING_FILE
    data = read_mapping(path)
    entries = ((data or {}).get("eclass") or {}).get("properties") or []
    return EclassMapping(tuple(_property(e, f"{path}: eclass.properties[{n}]")
                               for n, e in enumerate(entries)), str(path))


def eclass_value(record: Record, prop: EclassProperty) -> str | int | float | None:
    value, path = first_single(record.data, prop.fields)
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, dict) and isinstance(value.get("value"), (int, float)):
        return value["value"]
    raise RecordError(f"ECLASS {prop.irdi} ({prop.name}) wants a single value, the record has "
                      f"{value!r}", field=path)
