"""Record fields -> ETIM features: the classification every ETIM target shares.

The mapping is data (``mapping.yaml``, read by ``mapping``); this module resolves name-based
entries against a loaded ETIM model, converts units and computes how complete a record is
against its class. ``ClassificationView`` does it once per record for every ETIM target
(workbook, xChange); they only format the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from cae_export.core.numbers import canonical
from cae_export.core.paths import first_single
from cae_export.core.problems import Problem, RecordError, Report
from cae_export.core.units import UnitError, plain_number
from cae_export.core.units import convert as convert_units
from cae_export.formats.etim.mapping import VALUE_CODE, FeatureMapping, Mapping, load_mapping
from cae_export.formats.etim.release import ClassFeature, EtimModel, EtimModelError, load_model
from cae_export.pipeline.options import BuildOptions
from cae_export.pipeline.target import Findings, View
from cae_export.record import Record

# the completeness finding names this many features without value, then counts the rest
MAX_LISTED_MISSING = 12

NO_MODEL_NOTE = ("ETIM: no --etim-model given: only the mapped features are emitted, class names "
                 "and completeness are unknown")


# units ------------------------------------------------------------------------------------

def convert(value: int | float, unit: str | None, target: str | None, *, where: str) -> float | int:
    """``32.4 mm`` -> ``0.0324`` in m. A value or feature without a unit (counts, AWG) is kept."""
    if unit is None or target is None or unit == target:
        return value
    try:
        return plain_number(convert_units(value, unit, target))
    except UnitError as exc:
        raise RecordError(str(exc), field=where, rule="etim.unit") from None


def number_text(value: int | float | Decimal) -> str:
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
    value: str | int | float | Decimal | bool | None = None  # EV code, number, bool, range lower
    upper: int | float | Decimal | None = None               # range upper
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


def build_context(model_path: Path | None) -> ClassificationContext:
    """The mapping and, if given, the ETIM model (a model that cannot be read is a problem to
    report; the build goes on with the mapped features only)."""
    context = ClassificationContext(load_mapping())
    if model_path is not None:
        try:
            context.model = load_model(model_path)
        except EtimModelError as exc:
            context.model_problem = exc.problem
    return context


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


def stated_features(entry: Any, mapping: Mapping, where: str) -> dict[str, FeatureValue]:
    """The features a source file stated for this classification (``features`` of the entry,
    as an import keeps them), by code, in their order."""
    stated: dict[str, FeatureValue] = {}
    for n, item in enumerate(entry.get("features") or []):
        code = item["code"]
        value = item.get("value")
        kind = item.get("type") or ("L" if isinstance(value, bool) else
                                    "A" if isinstance(value, str) and VALUE_CODE.match(value)
                                    else "R" if "upper" in item else "N")
        unit_code = item.get("unit")
        feature = FeatureValue(code, code, kind, unit_code, mapping.units.get(unit_code or ""),
                               source=f"{where}.features[{n}]")
        if item.get("reason") is not None or value is None:
            feature = replace(feature, reason=item.get("reason") or mapping.reason_no_value)
        elif kind in ("N", "R"):
            feature = replace(feature, value=Decimal(str(value)),
                              upper=Decimal(item["upper"]) if kind == "R" else None)
        else:
            feature = replace(feature, value=value, text=value if kind == "A" else None)
        stated[code] = feature
    return stated


def fields_from_features(data: dict[str, Any], mapping: Mapping) -> None:
    """Fill record fields from stated numeric features where the mapping ties a confirmed
    feature code to one plain field with a unit (EF000008 -> ``geometry.width`` in mm), so
    the other targets get them too; a field the record has already is left as it is."""
    for entry in data.get("classification", {}).get("etim", []):
        for item in entry.get("features") or []:
            if item.get("type") != "N" or item.get("reason") or "value" not in item:
                continue
            fm = next((f for f in mapping.features if f.code == item["code"] and f.type == "N"
                       and f.unit and len(f.fields) == 1 and "[" not in f.fields[0]), None)
            if fm is None or (item.get("unit") and mapping.units.get(item["unit"]) != fm.unit):
                continue
            *parents, last = fm.fields[0].split(".")
            node = data
            for key in parents:
                node = node.setdefault(key, {})
                if not isinstance(node, dict):
                    break
            else:
                if last not in node:
                    number = Decimal(str(item["value"]))
                    node[last] = {"value": int(number) if number == number.to_integral_value()
                                  else float(number), "unit": fm.unit}


def _classify_mapped(record: Record, entry: dict[str, str], mapping: Mapping,
                     where: str) -> ClassifiedProduct:
    stated = stated_features(entry, mapping, where)
    features: list[FeatureValue] = list(stated.values())
    skipped, warnings = [], []
    for fm in mapping.features:
        if not fm.applies_to(entry["class"]) or (fm.code is not None and fm.code in stated):
            continue
        value, path = first_single(record.data, fm.fields)
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
                          field=f"{where}.class", rule="etim.class-unknown")
    resolved = _resolved_mappings(mapping, model, class_code)
    stated = stated_features(entry, mapping, where)
    features, warnings = [], []
    for code in stated:
        if etim_class.feature(code) is None:
            warnings.append(Problem(f"ETIM {code} is not a feature of {class_code} in the ETIM "
                                    f"model {model.source}; left out", record=record.item_number,
                                    field=stated[code].source, severity="warning",
                                    rule="etim.feature-not-in-class"))
    for feature in etim_class.features:
        given = stated.get(feature.code)
        if given is not None:
            features.append(_stated_in_class(record, given, feature, mapping, model, warnings))
            continue
        fm = resolved.get(feature.code)
        value, path = first_single(record.data, fm.fields) if fm else (None, None)
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


def _stated_in_class(record: Record, given: FeatureValue, feature: ClassFeature,
                     mapping: Mapping, model: EtimModel, warnings: list[Problem]) -> FeatureValue:
    """A stated feature checked against the model: its name and unit from the model; a value
    of another type, or an EV code the class does not list, is a warning and no value."""
    unit = _model_unit(mapping, model, feature.unit)
    named = replace(given, name=feature.name, type=feature.type, unit_code=feature.unit,
                    unit=unit)
    if given.reason is not None:
        return named
    problem, rule = None, None
    if given.type != feature.type:
        problem = f"type {given.type} stated, the model has type {feature.type}"
        rule = "etim.value-type"
    elif feature.type == "A" and given.value not in feature.values:
        problem = f"{given.value} is not one of the class's values for this feature"
        rule = "etim.value-list"
    elif given.unit_code not in (None, feature.unit):
        problem = f"unit {given.unit_code} stated, the model has {feature.unit}"
        rule = "etim.unit"
    if problem is not None:
        warnings.append(Problem(f"ETIM {feature.code} ({feature.name}): {problem}; left without "
                                "value", record=record.item_number, field=given.source,
                                severity="warning", rule=rule))
        return _no_value(feature, mapping, unit)
    if feature.type == "A":
        return replace(named, text=model.value_names.get(str(given.value), str(given.value)))
    return named


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
                       field=path, severity="warning", rule="etim.unit")
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
                              field=path, rule="etim.value-type")
        return _replace(base, value=value)
    if not isinstance(value, str):
        raise RecordError(f"{described} wants a text value, the record has {value!r}", field=path,
                          rule="etim.value-type")
    wanted = fm.value_name(value)
    if VALUE_CODE.match(wanted):
        code = wanted if model is None or wanted in feature.values else None
    else:
        code = model.value_code(feature, wanted) if model else None
    if code is None:
        return Problem(f"{described}: {value!r} is not one of the class's values for this "
                       "feature (add it under 'values' in the mapping); left without value",
                       record=record.item_number, field=path, severity="warning",
                       rule="etim.value-list")
    text = model.value_names.get(code, value) if model else value
    return _replace(base, value=code, text=text)


def _has_unit(value: Any) -> bool:
    return isinstance(value, dict) and "unit" in value


def _replace(base: FeatureValue, **changes: Any) -> FeatureValue:
    return replace(base, **changes)


def _number(value: Any, described: str, path: str) -> tuple[int | float, str | None]:
    if isinstance(value, bool):
        raise RecordError(f"{described} wants a number, the record has {value!r}", field=path,
                      rule="etim.value-type")
    if isinstance(value, (int, float)):
        return value, None
    if isinstance(value, dict) and isinstance(value.get("value"), (int, float)):
        return value["value"], value.get("unit")
    if isinstance(value, dict) and "min" in value and value.get("min") == value.get("max"):
        return value["min"], value.get("unit")
    raise RecordError(f"{described} wants a number, the record has {value!r}", field=path,
                      rule="etim.value-type")


def _range(value: Any, described: str, path: str
           ) -> tuple[int | float, int | float, str | None]:
    if isinstance(value, dict) and "min" in value and "max" in value:
        low, high = value["min"], value["max"]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)):
            return low, high, value.get("unit")
    if isinstance(value, dict) and isinstance(value.get("value"), (int, float)):
        return value["value"], value["value"], value.get("unit")
    raise RecordError(f"{described} wants a range with min and max, the record has {value!r}",
                      field=path, rule="etim.value-type")


# the view ------------------------------------------------------------------------------------

class ClassificationView(View):
    """The record's ETIM classifications, computed once per record for every ETIM target; the
    completeness line and the warnings are said once, whichever ETIM targets are built."""

    name: ClassVar[str] = "ETIM classification"

    @classmethod
    def prepare(cls, options: BuildOptions) -> ClassificationContext:
        return build_context(options.etim_model)

    @classmethod
    def announce(cls, context: ClassificationContext, report: Report) -> None:
        if context.model_problem is not None:
            report.error(context.model_problem)
        if context.model is None:
            report.notes.append(NO_MODEL_NOTE)

    @classmethod
    def derive(cls, record: Record, options: BuildOptions,
               context: ClassificationContext) -> list[ClassifiedProduct]:
        return classify(record, context)

    @classmethod
    def findings(cls, record: Record, value: list[ClassifiedProduct]) -> Findings:
        # two releases of one class may warn alike: each is said once
        return Findings(tuple(dict.fromkeys(p.completeness(record.item_number) for p in value)),
                        tuple(dict.fromkeys(w for p in value for w in p.warnings)))

    @classmethod
    def facts(cls, record: Record, value: list[ClassifiedProduct]) -> dict[str, Any]:
        """Per classification: release, class, the class's feature count (None without a
        model) and how many have a value; the completeness findings of the check."""
        classes = [(p.release, p.class_code, len(p.features) if p.with_model else None,
                    p.filled) for p in value]
        found = []
        if not value:
            found.append(Problem("no ETIM classification: data pools sort products by class",
                                 file=record.source or None, record=record.item_number,
                                 field="classification.etim", severity="warning",
                                 rule="etim.class-missing"))
        for n, product in enumerate(value):
            missing = [f.code for f in product.features if f.reason is not None]
            if product.with_model and missing:
                listed = ", ".join(missing[:MAX_LISTED_MISSING])
                more = (f" and {len(missing) - MAX_LISTED_MISSING} more"
                        if len(missing) > MAX_LISTED_MISSING else "")
                found.append(Problem(
                    f"{product.class_code} (ETIM {product.release}): {product.filled} of "
                    f"{len(product.features)} features have a value; sent with ReasonNoValue: "
                    f"{listed}{more}", file=record.source or None, record=record.item_number,
                    field=f"classification.etim[{n}]", severity="info",
                    rule="etim.completeness"))
        return {"classes": classes, "findings": tuple(found)}


__all__ = ["ClassificationContext", "ClassificationView", "ClassifiedProduct", "FeatureValue",
           "build_context", "classify", "convert", "fields_from_features", "number_text"]
