"""Shared classification logic: record fields -> ETIM features (and ECLASS properties).

The mapping is data (``cae_export/data/classification.yaml``); this module reads it, resolves
name-based entries against a loaded ETIM model, converts units and computes how complete a
record is against its class. The spreadsheet and xChange targets only format the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from cae_export.etim_model import ClassFeature, EtimModel, EtimModelError, load_model
from cae_export.numbers import canonical
from cae_export.problems import Problem, RecordError
from cae_export.record import Record
from cae_export.resources import data_path

MAPPING_FILE = "classification.yaml"
FEATURE_CODE = re.compile(r"^EF[0-9]{6}$")
CLASS_CODE = re.compile(r"^EC[0-9]{6}$")
VALUE_CODE = re.compile(r"^EV[0-9]{6}$")
UNIT_CODE = re.compile(r"^EU[0-9]{6}$")
IRDI = re.compile(r"^0173-1#02-[A-Z]{3}[0-9]{3}#[0-9]{3}$")
REASONS = ("MV", "NA", "UN")

# unit symbol -> (dimension, factor to the dimension's base unit); Decimal avoids float noise
UNITS: dict[str, tuple[str, Decimal]] = {
    "mm": ("length", Decimal("0.001")), "cm": ("length", Decimal("0.01")),
    "m": ("length", Decimal(1)), "in": ("length", Decimal("0.0254")),
    "mm²": ("area", Decimal("0.000001")), "cm²": ("area", Decimal("0.0001")),
    "m²": ("area", Decimal(1)),
    "g": ("mass", Decimal("0.001")), "kg": ("mass", Decimal(1)),
    "mV": ("voltage", Decimal("0.001")), "V": ("voltage", Decimal(1)),
    "kV": ("voltage", Decimal(1000)),
    "mA": ("current", Decimal("0.001")), "A": ("current", Decimal(1)),
    "kA": ("current", Decimal(1000)),
    "N": ("force", Decimal(1)), "kN": ("force", Decimal(1000)),
    "J": ("energy", Decimal(1)), "kJ": ("energy", Decimal(1000)),
    "MJ": ("energy", Decimal(1000000)),
    "°C": ("temperature", Decimal(1)), "°": ("angle", Decimal(1)), "pcs": ("count", Decimal(1)),
    "mΩ": ("resistance", Decimal("0.001")),
}


class MappingError(ValueError):
    """The mapping file is not usable; names the file and the entry."""


# mapping ----------------------------------------------------------------------------------

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
class EclassProperty:
    irdi: str
    name: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Mapping:
    features: tuple[FeatureMapping, ...]
    reason_no_value: str
    units: dict[str, str]
    unit_names: dict[str, str]
    eclass: tuple[EclassProperty, ...]
    xchange: dict[str, Any]
    source: str = ""

    def eclass_property(self, irdi: str) -> EclassProperty | None:
        return next((p for p in self.eclass if p.irdi == irdi), None)


def _fields(value: Any, where: str) -> tuple[str, ...]:
    paths = [value] if isinstance(value, str) else value
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
        raise MappingError(f"{where}: 'field' must be a path or a list of paths")
    for path in paths:
        list(_path_steps(path, where))
    return tuple(paths)


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
    return FeatureMapping(_fields(entry.get("field"), where), entry["type"], code, by_name,
                          entry.get("name"), unit,
                          tuple((str(k), str(v)) for k, v in values.items()), classes)


def _eclass_property(entry: Any, where: str) -> EclassProperty:
    if not isinstance(entry, dict) or not IRDI.match(str(entry.get("irdi", ""))):
        raise MappingError(f"{where}: 'irdi' must match {IRDI.pattern}")
    return EclassProperty(entry["irdi"], str(entry.get("name", "")),
                          _fields(entry.get("field"), where))


def parse_mapping(data: Any, source: str) -> Mapping:
    if not isinstance(data, dict) or not isinstance(data.get("etim"), dict):
        raise MappingError(f"{source}: expected sections 'etim', 'eclass', 'xchange'")
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
    eclass = tuple(_eclass_property(e, f"{source}: eclass.properties[{n}]")
                   for n, e in enumerate((data.get("eclass") or {}).get("properties") or []))
    unit_names = {str(k).casefold(): str(v) for k, v in (etim.get("unit_names") or {}).items()}
    return Mapping(features, reason, units, unit_names, eclass, data.get("xchange") or {}, source)


@cache
def load_mapping(path: Path | None = None) -> Mapping:
    """The mapping file (the bundled one unless ``path`` is given), read and checked once."""
    path = path or data_path(MAPPING_FILE)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot read mapping: {exc}") from None
    return parse_mapping(data, str(path))


# record paths -----------------------------------------------------------------------------

_STEP = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)|(\.)")


def _path_steps(path: str, where: str = "") -> Iterator[tuple[str, str]]:
    """``a.b[0][k=v]`` -> ("key", "a"), ("key", "b"), ("index", "0"), ("filter", "k=v")."""
    position = 0
    while position < len(path):
        match = _STEP.match(path, position)
        if not match:
            raise MappingError(f"{where}: cannot read path {path!r}")
        bracket, key, _dot = match.groups()
        if bracket is not None:
            if bracket.isdigit():
                yield "index", bracket
            elif "=" in bracket:
                yield "filter", bracket
            else:
                raise MappingError(f"{where}: [{bracket}] in {path!r} is neither [N] nor [k=v]")
        elif key is not None:
            yield "key", key
        position = match.end()


def resolve(data: Any, path: str) -> Any:
    """The value at ``path`` in a record's data, or None."""
    node = data
    for kind, arg in _path_steps(path):
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
    if isinstance(node, list):
        return node[0] if node else None
    return node


def first_value(record: Record, fields: tuple[str, ...]) -> tuple[Any, str]:
    for path in fields:
        value = resolve(record.data, path)
        if value is not None:
            return value, path
    return None, fields[0]


# units ------------------------------------------------------------------------------------

def convert(value: int | float, unit: str | None, target: str | None, *, where: str) -> float | int:
    """``32.4 mm`` -> ``0.0324`` in m. A value or feature without a unit (counts, AWG) is kept."""
    if unit is None or target is None or unit == target:
        return value
    source_dim, target_dim = UNITS.get(unit), UNITS.get(target)
    if source_dim is None or target_dim is None or source_dim[0] != target_dim[0]:
        raise RecordError(f"cannot convert {unit} to {target}", field=where)
    result = Decimal(repr(value)) * source_dim[1] / target_dim[1]
    return int(result) if result == result.to_integral_value() else float(result)


def number_text(value: int | float) -> str:
    """Period decimal, at most 4 decimals (the xChange numeric pattern)."""
    return canonical(value, max_decimals=4)


# classification ---------------------------------------------------------------------------

@dataclass(frozen=True)
class FeatureValue:
    """One ETIM feature of one product, with its value or the reason it has none."""

    code: str
    name: str
    type: str
    unit_code: str | None = None
    unit: str | None = None
    value: str | int | float | bool | None = None   # EV code, number, bool, or range lower
    upper: int | float | None = None                # range upper
    text: str | None = None                         # value description
    reason: str | None = None                       # MV | NA | UN when there is no value
    source: str | None = None                       # record field


@dataclass(frozen=True)
class ClassifiedProduct:
    release: str
    class_code: str
    class_name: str | None
    features: tuple[FeatureValue, ...]
    with_model: bool
    warnings: tuple[Problem, ...] = ()
    skipped: tuple[str, ...] = field(default=())  # mapped features not emitted, and why

    @property
    def filled(self) -> int:
        return sum(1 for f in self.features if f.reason is None)

    def completeness(self, item_number: str) -> str:
        head = f"{item_number} {self.class_code} ETIM {self.release}"
        if not self.with_model:
            return (f"{head}: {self.filled} mapped features emitted (no ETIM model for this "
                    "release: only mapped features are emitted, completeness unknown)")
        total = len(self.features)
        percent = round(100 * self.filled / total) if total else 100
        return f"{head}: {self.filled} of {total} features ({percent} %)"


@dataclass
class ClassificationContext:
    """What the ETIM targets share per build: the mapping and the model (if any)."""

    mapping: Mapping
    model: EtimModel | None = None
    model_problem: Problem | None = None


_CONTEXTS: dict[tuple[str, float, int] | None, ClassificationContext] = {}


def build_context(model_path: Path | None) -> ClassificationContext:
    """Load mapping and model once per build (each ETIM target asks; the second gets the cache)."""
    key = None
    if model_path is not None:
        try:
            stat = model_path.stat()
            key = (str(model_path.resolve()), stat.st_mtime, stat.st_size)
        except OSError:
            key = (str(model_path), 0.0, 0)
    if key not in _CONTEXTS:
        context = ClassificationContext(load_mapping())
        if model_path is not None:
            try:
                context.model = load_model(model_path)
            except EtimModelError as exc:
                context.model_problem = exc.problem
        _CONTEXTS.clear()
        _CONTEXTS[key] = context
    return _CONTEXTS[key]


def classify(record: Record, context: ClassificationContext) -> list[ClassifiedProduct]:
    """The ETIM features of each of the record's classifications."""
    products = []
    for index, entry in enumerate(record.etim):
        where = f"classification.etim[{index}]"
        model = context.model
        if model is not None and model.release not in (None, entry["release"]):
            model = None  # the model is another release: mapped features only
        if model is None:
            products.append(_classify_mapped(record, entry, context.mapping, where))
        else:
            products.append(_classify_with_model(record, entry, context.mapping, model, where))
    return products


def _classify_mapped(record: Record, entry: dict[str, str], mapping: Mapping,
                     where: str) -> ClassifiedProduct:
    features, skipped, warnings = [], [], []
    for fm in mapping.features:
        if not fm.applies_to(entry["class"]):
            continue
        value, path = first_value(record, fm.fields)
        if value is None:
            continue
        if fm.code is None:
            skipped.append(f"{fm.label}: needs an ETIM model to find its code")
            continue
        unit_code = next((c for c, s in mapping.units.items() if s == fm.unit), None)
        feature = ClassFeature(fm.code, fm.name or fm.code, fm.type, unit_code, 0)
        if fm.type == "A" and not VALUE_CODE.match(fm.value_name(str(value))):
            skipped.append(f"{fm.code} {feature.name}: {value!r} needs an ETIM model to find "
                           "its value code")
            continue
        result = _feature_value(record, fm, feature, value, path, fm.unit, None)
        if isinstance(result, Problem):
            warnings.append(result)
        else:
            features.append(result)
    return ClassifiedProduct(entry["release"], entry["class"], None, tuple(features), False,
                             tuple(warnings), tuple(skipped))


def _resolved_mappings(mapping: Mapping, model: EtimModel, class_code: str
                       ) -> dict[str, FeatureMapping]:
    resolved: dict[str, FeatureMapping] = {}
    etim_class = model.classes[class_code]
    for fm in mapping.features:
        if not fm.applies_to(class_code):
            continue
        codes = [fm.code] if fm.code else model.features_named(fm.feature_name or "")
        in_class = [c for c in codes if etim_class.feature(c) is not None]
        if in_class and in_class[0] not in resolved:
            resolved[in_class[0]] = fm
    return resolved


def _classify_with_model(record: Record, entry: dict[str, str], mapping: Mapping,
                         model: EtimModel, where: str) -> ClassifiedProduct:
    class_code = entry["class"]
    etim_class = model.classes.get(class_code)
    if etim_class is None:
        raise RecordError(f"ETIM class {class_code} is not in the ETIM model {model.source}",
                          field=f"{where}.class")
    resolved = _resolved_mappings(mapping, model, class_code)
    features, warnings = [], []
    for feature in etim_class.features:
        fm = resolved.get(feature.code)
        value, path = first_value(record, fm.fields) if fm else (None, None)
        unit = _model_unit(mapping, model, feature.unit)
        if value is None or fm is None or path is None:
            features.append(_no_value(feature, mapping, unit))
            continue
        result = _feature_value(record, fm, feature, value, path, unit, model)
        if isinstance(result, Problem):
            warnings.append(result)
            features.append(_no_value(feature, mapping, unit))
        else:
            features.append(result)
    return ClassifiedProduct(entry["release"], class_code, etim_class.name, tuple(features),
                             True, tuple(warnings))


def _model_unit(mapping: Mapping, model: EtimModel, unit_code: str | None) -> str | None:
    if unit_code is None:
        return None
    return mapping.units.get(unit_code) or mapping.unit_names.get(
        model.unit_names.get(unit_code, "").casefold())


def _no_value(feature: ClassFeature, mapping: Mapping, unit: str | None) -> FeatureValue:
    return FeatureValue(feature.code, feature.name, feature.type, feature.unit, unit,
                        reason=mapping.reason_no_value)


def _feature_value(record: Record, fm: FeatureMapping, feature: ClassFeature, value: Any,
                   path: str, unit: str | None, model: EtimModel | None
                   ) -> FeatureValue | Problem:
    """Turn a record value into the feature's type; a wrong type is the record's error."""
    base = FeatureValue(feature.code, feature.name, feature.type, feature.unit, unit,
                        source=path)
    described = f"ETIM {feature.code} ({feature.name}, type {feature.type})"
    kind = feature.type
    if kind in ("N", "R") and feature.unit and unit is None and _has_unit(value):
        name = model.unit_names.get(feature.unit, "?") if model else "?"
        return Problem(f"{described}: unit {feature.unit} ({name}) is not in etim.units or "
                       "etim.unit_names of the mapping; value left out", record=record.item_number,
                       field=path, severity="warning")
    if kind == "N":
        number, value_unit = _number(value, described, path)
        return _replace(base, value=convert(number, value_unit, unit, where=path))
    if kind == "R":
        low, high, value_unit = _range(value, described, path)
        return _replace(base, value=convert(low, value_unit, unit, where=path),
                        upper=convert(high, value_unit, unit, where=path))
    if kind == "L":
        if not isinstance(value, bool):
            raise RecordError(f"{described} wants true/false, the record has {value!r}",
                              field=path)
        return _replace(base, value=value)
    if not isinstance(value, str):
        raise RecordError(f"{described} wants a text value, the record has {value!r}", field=path)
    wanted = fm.value_name(value)
    if VALUE_CODE.match(wanted):
        code = wanted if model is None or wanted in feature.values else None
    else:
        code = model.value_code(feature, wanted) if model else None
    if code is None:
        return Problem(f"{described}: {value!r} is not one of the class's values for this "
                       "feature (add it under 'values' in the mapping); left without value",
                       record=record.item_number, field=path, severity="warning")
    text = model.value_names.get(code, value) if model else value
    return _replace(base, value=code, text=text)


def _has_unit(value: Any) -> bool:
    return isinstance(value, dict) and "unit" in value


def _replace(base: FeatureValue, **changes: Any) -> FeatureValue:
    return replace(base, **changes)


def _number(value: Any, described: str, path: str) -> tuple[int | float, str | None]:
    if isinstance(value, bool):
        raise RecordError(f"{described} wants a number, the record has {value!r}", field=path)
    if isinstance(value, (int, float)):
        return value, None
    if isinstance(value, dict) and isinstance(value.get("value"), (int, float)):
        return value["value"], value.get("unit")
    if isinstance(value, dict) and "min" in value and value.get("min") == value.get("max"):
        return value["min"], value.get("unit")
    raise RecordError(f"{described} wants a number, the record has {value!r}", field=path)


def _range(value: Any, described: str, path: str
           ) -> tuple[int | float, int | float, str | None]:
    if isinstance(value, dict) and "min" in value and "max" in value:
        low, high = value["min"], value["max"]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)):
            return low, high, value.get("unit")
    if isinstance(value, dict) and isinstance(value.get("value"), (int, float)):
        return value["value"], value["value"], value.get("unit")
    raise RecordError(f"{described} wants a range with min and max, the record has {value!r}",
                      field=path)


# ECLASS -----------------------------------------------------------------------------------

def eclass_value(record: Record, prop: EclassProperty) -> str | int | float | None:
    value, path = first_value(record, prop.fields)
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, dict) and isinstance(value.get("value"), (int, float)):
        return value["value"]
    raise RecordError(f"ECLASS {prop.irdi} ({prop.name}) wants a single value, the record has "
                      f"{value!r}", field=path)


__all__ = ["ClassificationContext", "ClassifiedProduct", "EclassProperty", "FeatureMapping",
           "FeatureValue", "Mapping", "MappingError", "build_context", "classify", "convert",
           "eclass_value", "first_value", "load_mapping", "number_text", "parse_mapping",
           "resolve"]
