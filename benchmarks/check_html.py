"""Benchmark: the HTML check report of a large catalog in a real browser.

    python benchmarks/check_html.py [--records 100000] [--loads 3] [--keep report.html]

Builds a synthetic check report document of N records (schema-checked against
``templates/check/report.schema.json``; about 1 in 8 records with errors, 1 in 4 with
warnings only, several findings each), renders it with ``render_html`` and prints the page's
size, then opens it ``--loads`` times in headless Chromium (``/usr/bin/chromium`` through
``chromedriver``, Selenium) and prints the median time from navigation start to the first
rendered table page (``window.reportRenderedAt``) and the median time to filter the table to
the parts with errors (from the change of ``#filter-status`` to the updated page).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]  # run from a plain checkout

import fastjsonschema  # noqa: E402

from cae_export.check.html import render_html  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
TARGETS = ["eplan", "edz", "markers", "etim-xlsx", "eclass-xlsx", "etim-xchange", "bmecat"]
KINDS = ["terminal_block", "circuit_breaker", "contactor", "relay", "power_supply", "cable", "plc_module"]
RULES = [  # (id, severity, target, field, path, message)
    ("record.gtin", "error", None, "commercial.gtin", None, "GTIN {v} has a wrong check digit"),
    ("eplan.part-number", "error", "eplan", "item_number", "part/@P_ARTICLE_PARTNR",
     "part number {v} is longer than EPLAN accepts"),
    ("bmecat.description-short", "error", "bmecat", "description.short",
     "T_NEW_CATALOG/PRODUCT/PRODUCT_DETAILS/DESCRIPTION_SHORT", "short description is missing"),
    ("etim.feature-unit", "warning", "etim-xchange", "classification.etim[0].features",
     "Product.EtimClassification.Features", "feature EF{v} has no unit the class allows"),
    ("etim.feature-missing", "warning", None, "classification.etim[0].features", None,
     "feature EF{v} of the class has no value"),
    ("markers.text-length", "warning", "markers", "markers.text", None,
     "marker text {v} does not fit the field"),
    ("eclass.class", "info", "eclass-xlsx", "classification.eclass", None, "no ECLASS class given"),
]
BANDS = [(low, low + 9) for low in range(0, 100, 10)] + [(100, 100)]


def synthetic_document(records: int, seed: int = 7) -> dict[str, Any]:
    """A check report of ``records`` synthetic records with the summary they add up to."""
    rng = random.Random(seed)
    targets = list(TARGETS)
    items: list[dict[str, Any]] = []
    findings_by = {"error": 0, "warning": 0, "info": 0}
    grades = {"errors": 0, "warnings": 0, "clean": 0}
    readiness = {t: {"ready": 0, "warnings": 0, "errors": 0} for t in targets}
    bins = [0] * len(BANDS)
    known: list[float] = []
    for number in range(1, records + 1):
        item = f"SYN-{number:06d}"
        roll = rng.random()
        if roll < 0.125:
            chosen = [rng.choice(RULES[:3]) for _ in range(rng.randint(1, 3))] + \
                     [rng.choice(RULES[3:]) for _ in range(rng.randint(0, 2))]
        elif roll < 0.375:
            chosen = [rng.choice(RULES[3:]) for _ in range(rng.randint(1, 3))]
        else:
            chosen = []
        findings = []
        status = {t: "ready" for t in targets}
        for rule, severity, target, field, path, message in chosen:
            findings.append({"severity": severity, "rule": rule, "target": target, "field": field,
                             "path": path, "message": message.format(v=rng.randint(1000, 9999)),
                             "file": None, "line": None})
            findings_by[severity] += 1
            if severity == "info":
                continue
            for name in [target] if target else targets:
                if severity == "error":
                    status[name] = "errors"
                elif status[name] == "ready":
                    status[name] = "warnings"
        severities = {f["severity"] for f in findings}
        grades["errors" if "error" in severities else "warnings" if "warning" in severities else "clean"] += 1
        for name in targets:
            readiness[name][status[name]] += 1
        features = rng.randint(8, 40)
        filled = features if rng.random() < 0.3 else rng.randint(0, features)
        completeness = round(100 * filled / features, 1)
        known.append(completeness)
        bins[10 if completeness >= 100 else int(completeness // 10)] += 1
        items.append({
            "item_number": item, "file": f"catalog/records/{item}.yaml", "kind": rng.choice(KINDS),
            "status": status, "completeness": completeness,
            "etim": [{"release": "ETIM-9.0", "class": f"EC{rng.randint(0, 3999):06d}", "features": features,
                      "filled": filled, "completeness": completeness}],
            "findings": findings,
        })
    return {
        "report": "cae-export check", "report_version": 1, "catalog": "catalog.jsonl",
        "targets": targets, "etim_model": "ETIM-9.0",
        "summary": {
            "records": records, "records_with_errors": grades["errors"],
            "records_with_warnings": grades["warnings"], "records_clean": grades["clean"],
            "findings": findings_by,
            "readiness": [{"target": t, **readiness[t]} for t in targets],
            "etim_completeness": {
                "records": len(known), "mean": round(statistics.fmean(known), 1) if known else None,
                "bins": [{"from": low, "to": high, "records": bins[i]}
                         for i, (low, high) in enumerate(BANDS)],
            },
        },
        "rules": [{"id": rule, "severity": severity, "level": "guideline", "target": target,
                   "checks": message.format(v="…")}
                  for rule, severity, target, _field, _path, message in RULES],
        "general": [],
        "records": items,
    }


def browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                     "--disable-dev-shm-usage"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                            options=options)


def wait_for(driver: Any, script: str, timeout: float = 120.0) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.01)
    raise TimeoutError(script)


def measure(page: Path, loads: int) -> tuple[list[float], list[float], int]:
    """First-render times and filter-to-errors times (ms) over ``loads`` loads, and the
    rows the filter left."""
    renders: list[float] = []
    filters: list[float] = []
    matched = 0
    driver = browser()
    try:
        driver.set_page_load_timeout(300)
        driver.set_script_timeout(300)
        for _ in range(loads):
            driver.get("about:blank")
            driver.get(page.as_uri())
            renders.append(float(wait_for(driver, "return window.reportRenderedAt")))
            # time inside the page: from the change event to the new page laid out
            elapsed, matched = driver.execute_script("""
                const select = document.getElementById('filter-status');
                const start = performance.now();
                select.value = 'errors';
                select.dispatchEvent(new Event('change'));
                void document.getElementById('parts').offsetHeight;
                const elapsed = performance.now() - start;
                const info = document.getElementById('page-info').textContent;
                return [elapsed, Number(info.split(' of ')[1].replace(/,/g, ''))];
            """)
            filters.append(float(elapsed))
    finally:
        driver.quit()
    return renders, filters, int(matched)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="also write the page here")
    parser.add_argument("--page", type=Path,
                        help="measure this report page (cae-export check --format html) "
                             "instead of a synthetic one")
    args = parser.parse_args(argv)
    if args.page:
        size = args.page.stat().st_size
        print(f"HTML file: {size / 1e6:.1f} MB ({size:,} bytes)")
        renders, filters, matched = measure(args.page.resolve(), args.loads)
        print(f"first render, median of {len(renders)}: {statistics.median(renders):.0f} ms  "
              f"[{', '.join(f'{t:.0f}' for t in renders)}]")
        print(f"filter to errors ({matched:,} parts), median of {len(filters)}: "
              f"{statistics.median(filters):.0f} ms")
        return 0

    started = time.perf_counter()
    document = synthetic_document(args.records)
    built = time.perf_counter()
    schema = json.loads((REPO / "templates" / "check" / "report.schema.json").read_text(encoding="utf-8"))
    fastjsonschema.compile(schema)(document)
    checked = time.perf_counter()
    html = render_html(document)
    rendered = time.perf_counter()
    print(f"records: {args.records:,}; document {built - started:.2f} s, "
          f"schema check {checked - built:.2f} s, render_html {rendered - checked:.2f} s")
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        page.write_text(html, encoding="utf-8")
        if args.keep:
            shutil.copyfile(page, args.keep)
        size = page.stat().st_size
        print(f"HTML file: {size / 1e6:.1f} MB ({size:,} bytes)")
        if not CHROMIUM.exists() or shutil.which("chromedriver") is None:
            print("no /usr/bin/chromium or chromedriver: browser times not measured")
            return 0
        renders, filters, matched = measure(page, args.loads)
    print(f"first render (navigation start to first table page), median of {len(renders)}: "
          f"{statistics.median(renders):.0f} ms  [{', '.join(f'{t:.0f}' for t in renders)}]")
    with_errors = document["summary"]["records_with_errors"]
    print(f"filter to errors ({matched:,} parts, of {with_errors:,} with errors), "
          f"median of {len(filters)}: {statistics.median(filters):.0f} ms  "
          f"[{', '.join(f'{t:.0f}' for t in filters)}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
