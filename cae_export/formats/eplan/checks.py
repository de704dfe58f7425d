"""What EPLAN needs of a record beyond what the part writer refuses: the check's EPLAN rules
(``eplan.dimensions``, ``eplan.product-group``; see cae_export/check/rules.py)."""

from __future__ import annotations

from cae_export.core.problems import Problem
from cae_export.formats.eplan.model import MAPPING_FILE, kind_rules
from cae_export.record import Record

DIMENSIONS = (("width", "P_ARTICLE_WIDTH"), ("height", "P_ARTICLE_HEIGHT"),
              ("depth", "P_ARTICLE_DEPTH"))


def part_checks(record: Record) -> tuple[Problem, ...]:
    found: list[Problem] = []

    def add(rule: str, field: str, message: str, severity: str = "warning") -> None:
        found.append(Problem(message, file=record.source or None, record=record.item_number,
                             field=field, severity=severity, rule=rule))

    geometry = record.data.get("geometry") or {}
    for key, attribute in DIMENSIONS:
        if key not in geometry:
            add("eplan.dimensions", f"geometry.{key}",
                f"no {key}: the part has no {attribute}, so EPLAN Pro Panel cannot place it "
                "true to size")
    rules = kind_rules(record)
    kind = record.kind or "(no kind)"
    if "group" not in rules:
        add("eplan.product-group", "kind",
            f"kind {kind!r} has no product group in {MAPPING_FILE.name}: the part is written "
            "without P_ARTICLE_PRODUCTGROUP")
    elif "sub_group" not in rules:
        add("eplan.product-group", "kind",
            f"kind {kind!r} has no confirmed subgroup code in {MAPPING_FILE.name}: the part is "
            "written without P_ARTICLE_PRODUCTSUBGROUP", "info")
    return tuple(found)


__all__ = ["part_checks"]
