"""The check report as one self-contained HTML page (``templates/check/report.html.j2``).

The summary is rendered here, as static HTML that reads without JavaScript. The records go
into the page as compact JSON (``<script type="application/json" id="report-data">``) that
the page's script turns into a sortable, filterable, paged parts table and a detail view:

    {"targets": [target, ...],
     "records": [[item_number, file, kind, status, completeness, etim, findings], ...],
     "rules": [rule id, ...]}               # every rule id the findings name, first seen first

    status       one character per target, in the order of ``targets``:
                 "0" ready, "1" warnings, "2" errors, "-" not given for that target
    etim         [[release, class, features, filled, completeness], ...]
    findings     [[severity, rule, target, field, path, message, file, line], ...]
                 severity 0 error, 1 warning, 2 info; rule an index into ``rules``;
                 trailing nulls left off (a finding without file and line has six items)

Records keep the document's order, so the same document gives the same bytes.
``html_chunks`` writes the page as the records come (memory stays flat); ``render_html`` is
the same text in one string.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from markupsafe import Markup

from cae_export.check.rules import SEVERITIES
from cae_export.core.templating import environment

TEMPLATE = "report.html.j2"
STATUS_CODES = {"ready": "0", "warnings": "1", "errors": "2"}
MISSING_STATUS = "-"
DATA_MARK = "\x00report-data\x00"  # where the embedded JSON goes in the rendered template
CHUNK_RECORDS = 1000

# the completeness chart (an inline SVG), in SVG user units
CHART_BAR = 40
CHART_GAP = 10
CHART_PLOT = 150  # the tallest bar
CHART_TOP = 22  # room for the count above a bar
CHART_BOTTOM = 40  # room for the band labels and the axis title
CHART_LEFT = 8

# what keeps embedded JSON inert inside <script>: no "</script>", no "<!--", no entity
SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))
# the page's own script (after the embedded data)
SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# a lone surrogate (a JSON input can hold one as an escape) has no UTF-8 form
SURROGATE = re.compile("[\ud800-\udfff]")


def render_html(document: dict[str, Any]) -> str:
    """The report page of a check report document (one that fits ``report.schema.json``)."""
    return "".join(html_chunks(document, document["records"]))


def html_chunks(head: dict[str, Any], records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The page in pieces, for a report too large to hold: ``head`` is the document without
    its records (a ``records`` key in it is ignored), ``records`` its entries in order, read
    once as the page is written. The pieces join to ``render_html``'s text."""
    template = environment("check").get_template(TEMPLATE)
    page = template.render(page_context(head, Markup(DATA_MARK)))
    # the mark is the last thing of the page that can hold data: nothing of the document
    # comes after the embedded JSON, so its last occurrence is the template's own
    before, mark, after = page.rpartition(DATA_MARK)
    if not mark:  # pragma: no cover - the template always places it
        raise ValueError(f"{TEMPLATE} has no place for the report data")
    yield with_script_hash(SURROGATE.sub("\ufffd", before), after)
    yield from embedded_json(head["targets"], records)
    yield after


def with_script_hash(before: str, after: str) -> str:
    """The policy allows only the page's own script, by its SHA-256 (not any inline script):
    data that ever reached the page as markup still could not run."""
    script = SCRIPT.search(after)
    if script is None:  # pragma: no cover - the template always has its script
        raise ValueError(f"{TEMPLATE} has no script")
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode("utf-8")).digest())
    return before.replace("script-src 'unsafe-inline'", f"script-src 'sha256-{digest.decode()}'",
                          1)


def page_context(head: dict[str, Any], data: Markup) -> dict[str, Any]:
    """What the template renders: the document's header, the summary in display form, the
    chart's geometry and, as ``data_json``, the embedded data."""
    summary = head["summary"]
    targets: list[str] = list(head["targets"])
    findings = summary["findings"]
    return {
        "catalog": head["catalog"],
        "targets": targets,
        "etim_model": head["etim_model"],
        "summary": summary,
        "counts": {
            "records": count(summary["records"]),
            "records_with_errors": count(summary["records_with_errors"]),
            "records_with_warnings": count(summary["records_with_warnings"]),
            "records_clean": count(summary["records_clean"]),
            "error": count(findings["error"]),
            "warning": count(findings["warning"]),
            "info": count(findings["info"]),
        },
        "readiness": readiness_rows(summary),
        "chart": completeness_chart(summary["etim_completeness"]),
        "rules": head["rules"],
        "general": head["general"],
        "data_json": data,
    }


def count(value: int) -> str:
    """A count as people read it: 100,000."""
    return f"{value:,}"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}" if whole else "0.0"


def readiness_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for row in summary["readiness"]:
        whole = row["ready"] + row["warnings"] + row["errors"]
        rows.append({
            "target": row["target"],
            "cells": [{"key": key, "value": row[key], "text": count(row[key]),
                       "percent": percent(row[key], whole)}
                      for key in ("ready", "warnings", "errors")],
        })
    return rows


def band_label(band: dict[str, Any]) -> str:
    return str(band["from"]) if band["from"] == band["to"] else f"{band['from']}–{band['to']}"


def completeness_chart(completeness: dict[str, Any]) -> dict[str, Any]:
    """The bars of the completeness chart, scaled to the fullest band."""
    bins = completeness["bins"]
    tallest = max((band["records"] for band in bins), default=0)
    bars = []
    for index, band in enumerate(bins):
        height = round(CHART_PLOT * band["records"] / tallest, 1) if tallest else 0.0
        if band["records"] and height < 1:
            height = 1.0  # a band with records stays visible
        x = CHART_LEFT + index * (CHART_BAR + CHART_GAP)
        bars.append({
            "x": x, "y": round(CHART_TOP + CHART_PLOT - height, 1), "height": height,
            "width": CHART_BAR, "center": x + CHART_BAR // 2,
            "count_y": round(CHART_TOP + CHART_PLOT - height - 5, 1),
            "label": band_label(band), "records": band["records"], "text": count(band["records"]),
            "full": band["from"] == 100,
        })
    width = CHART_LEFT * 2 + len(bins) * CHART_BAR + max(len(bins) - 1, 0) * CHART_GAP
    mean = completeness["mean"]
    return {
        "known": completeness["records"] > 0,
        "records": count(completeness["records"]),
        "mean": None if mean is None else f"{mean:.1f}",
        "bars": bars,
        "width": width,
        "height": CHART_TOP + CHART_PLOT + CHART_BOTTOM,
        "middle": width // 2,
        "baseline": CHART_TOP + CHART_PLOT,
        "label_y": CHART_TOP + CHART_PLOT + 16,
        "title_y": CHART_TOP + CHART_PLOT + 34,
    }


def trimmed(values: list[Any], keep: int) -> list[Any]:
    """``values`` without trailing nulls past the first ``keep``."""
    end = len(values)
    while end > keep and values[end - 1] is None:
        end -= 1
    return values[:end]


def script_safe(text: str) -> str:
    """JSON text that cannot end or confuse the ``<script>`` element it sits in."""
    for char, escape in SCRIPT_ESCAPES:  # only inside JSON strings: JSON has no < > & elsewhere
        text = text.replace(char, escape)
    if SURROGATE.search(text):  # kept as the escape JSON.parse reads back
        text = SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False, separators=(",", ":"),
                      allow_nan=False)


def embedded_json(targets: list[str], records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The page's data (see the module's docstring) in pieces of ``CHUNK_RECORDS`` records,
    safe to place inside ``<script>``. ``rules`` comes last: it is known once every finding
    has been seen."""
    targets = list(targets)
    rule_index: dict[str, int] = {}
    severity_index = {name: index for index, name in enumerate(SEVERITIES)}

    def finding(item: dict[str, Any]) -> list[Any]:
        rule = rule_index.setdefault(item["rule"], len(rule_index))
        return trimmed([severity_index[item["severity"]], rule, item["target"], item["field"],
                        item["path"], item["message"], item.get("file"), item.get("line")], 6)

    def entry(record: dict[str, Any]) -> list[Any]:
        status = record["status"]
        codes = "".join(STATUS_CODES.get(status.get(target, ""), MISSING_STATUS) for target in targets)
        etim = [[c["release"], c["class"], c["features"], c["filled"], c["completeness"]]
                for c in record["etim"]]
        return [record["item_number"], record["file"], record["kind"], codes,
                record["completeness"], etim, [finding(f) for f in record["findings"]]]

    yield script_safe(f'{{"targets":{dumps(targets)},"records":[')
    batch: list[str] = []
    first = True
    for record in records:
        batch.append(dumps(entry(record)))
        if len(batch) == CHUNK_RECORDS:
            yield ("" if first else ",") + script_safe(",".join(batch))
            batch, first = [], False
    if batch:
        yield ("" if first else ",") + script_safe(",".join(batch))
    yield script_safe(f'],"rules":{dumps(list(rule_index))}}}')


__all__ = ["html_chunks", "render_html"]
