"""The ETIM mapping (``mapping.yaml`` beside this module): which record field feeds which ETIM
feature, the unit codes, and the xChange settings (language tags, relation and attachment
types). Read and checked once; every problem names the file and the entry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cae_export.core.resources import MappingError, mapping_fields, read_mapping
from cae_export.core.units import UNITS

MAPPING_FILE = Path(__file__).with_name("mapping.yaml")
FEATURE_CODE = re.compile(r"^EF[0-9]{6}$")
CLASS_CODE = re.compile(r"^EC[0-9]{6}$")
VALUE_CODE = re.compile(r"^EV[0-9]{6}$")
UNIT_CODE = re.compile(r"^EU[0-9]{6}$")
REASONS = ("MV", "NA", "UN")


@dataclass(frozen=True)
class FeatureMapping:
    fields: tuple[str, ...]
    type: str
    code: str | None = None
    feature_name: str | None = None
    name: str | None = None
    unit: str | None = None
    values: tuple[tuple[str, str], ...] = ()
    classes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.code or f"'{self.feature_name}'"

    def applies_to(self, class_code: str) -> bool:
        return not self.classes or class_code in self.classes

    def value_name(self, text: str) -> str:
        return dict(self.values).get(text, text)


@dataclass(frozen=True)
class Mapping:
    features: tuple[FeatureMapping, ...]
    reason_no_value: str
    units: dict[str, str]
    unit_names: dict[str, str]
    xchange: dict[str, Any]
    bmecat: dict[str, Any]
    source: str = ""


def _feature_mapping(entry: Any, where: str) -> FeatureMapping:
    if not isinstance(entry, dict):
        raise MappingError(f"{where}: expected a mapping")
    unknown = sorted(set(entry) - {"code", "feature_name", "name", "type", "unit", "field",
                                   "values", "classes"})
    if unknown:
        raise MappingError(f"{where}: unknown keys {unknown}")
    code, by_name = entry.get("code"), entry.get("feature_name")
    if (code is None) == (by_name is None):
        raise MappingError(f"{where}: give either 'code' or 'feature_name'")
    if code is not None and not FEATURE_CODE.match(str(code)):
        raise MappingError(f"{where}: code {code!r} does not match {FEATURE_CODE.pattern}")
    if entry.get("type") not in ("A", "N", "L", "R"):
        raise MappingError(f"{where}: type must be A, N, L or R")
    unit = entry.get("unit")
    if unit is not None and unit not in UNITS:
        raise MappingError(f"{where}: unknown unit {unit!r}")
    classes = tuple(entry.get("classes") or ())
    bad = [c for c in classes if not CLASS_CODE.match(str(c))]
    if bad:
        raise MappingError(f"{where}: class codes {bad} do not match {CLASS_CODE.pattern}")
    values = entry.get("values") or {}
    if not isinstance(values, dict):
        raise MappingError(f"{where}: 'values' must map record text to an ETIM value")
    return FeatureMapping(mapping_fields(entry.get("field"), where), entry["type"], code, by_name,
                          entry.get("name"), unit,
                          tuple((str(k), str(v)) for k, v in values.items()), classes)


def parse_mapping(data: Any, source: str) -> Mapping:
    if not isinstance(data, dict) or not isinstance(data.get("etim"), dict):
        raise MappingError(f"{source}: expected sections 'etim' and 'xchange'")
    etim = data["etim"]
    reason = etim.get("reason_no_value", "UN")
    if reason not in REASONS:
        raise MappingError(f"{source}: etim.reason_no_value must be one of {', '.join(REASONS)}")
    units = {str(k): str(v) for k, v in (etim.get("units") or {}).items()}
    for code, symbol in units.items():
        if not UNIT_CODE.match(code) or symbol not in UNITS:
            raise MappingError(f"{source}: etim.units: {code}: {symbol} is not a known pair")
    features = tuple(_feature_mapping(e, f"{source}: etim.features[{n}]")
                     for n, e in enumerate(etim.get("features") or []))
    unit_names = {str(k).casefold(): str(v) for k, v in (etim.get("unit_names") or {}).items()}
    return Mapping(features, reason, units, unit_names, data.get("xchange") or {},
                   _bmecat_settings(data.get("bmecat"), source), source)


BMECAT_KEYS = ("languages", "references", "mime", "packing_codes", "rohs")


def _bmecat_settings(section: Any, source: str) -> dict[str, Any]:
    """The BMEcat section, with every key the writer reads present and of the right kind."""
    if not isinstance(section, dict):
        raise MappingError(f"{source}: expected a section 'bmecat'")
    missing = [key for key in BMECAT_KEYS if not isinstance(section.get(key), dict)]
    if missing:
        raise MappingError(f"{source}: bmecat: missing or not a mapping: {', '.join(missing)}")
    if "en" not in section["languages"]:
        raise MappingError(f"{source}: bmecat.languages: needs 'en'")
    mime = section["mime"]
    if not all(key in mime for key in ("product_page", "downloads", "other")):
        raise MappingError(f"{source}: bmecat.mime: needs product_page, downloads and other")
    for n, rule in enumerate(mime["downloads"] or []):
        try:
            re.compile(rule["match"])
        except (TypeError, KeyError, re.error) as exc:
            raise MappingError(f"{source}: bmecat.mime.downloads[{n}]: {exc}") from None
    return section


@cache
def load_mapping(path: Path | None = None) -> Mapping:
    """The mapping file (the bundled one unless ``path`` is given), read and checked once."""
    path = path or MAPPING_FILE
    return parse_mapping(read_mapping(path), str(path))


__all__ = ["CLASS_CODE", "FEATURE_CODE", "UNIT_CODE", "VALUE_CODE", "FeatureMapping", "Mapping",
           "MappingError", "load_mapping", "parse_mapping"]
