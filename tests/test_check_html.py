"""The HTML check report in a real browser (Debian's chromium through chromedriver): the
summary is the document's, the parts table filters, sorts and pages, a part's detail shows
every finding, data is only ever text, and the page makes no request at all."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import REPO
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from cae_export.check.html import CHUNK_RECORDS, html_chunks, render_html

CHROMIUM = Path("/usr/bin/chromium")
SCHEMA = json.loads((REPO / "templates" / "check" / "report.schema.json").read_text(encoding="utf-8"))
TARGETS = ["eplan", "etim-xchange", "bmecat"]
HOSTILE = "</script><img src=x onerror=alert(1)>"
BANDS = [(low, low + 9) for low in range(0, 100, 10)] + [(100, 100)]


# ---- report documents


def finding(severity: str, rule: str, target: str | None, message: str) -> dict[str, Any]:
    return {"severity": severity, "rule": rule, "target": target, "field": "commercial.gtin",
            "path": "T_NEW_CATALOG/PRODUCT/USER_DEFINED_EXTENSIONS", "message": message,
            "file": None, "line": None}


def record_findings(number: int) -> list[dict[str, Any]]:
    """Every 4th record has errors (1 to 3, and a warning), the next one warnings only, the
    others none or an info."""
    if number % 4 == 1:
        errors = [finding("error", "bmecat.gtin-check-digit", "bmecat", f"GTIN of {number} is wrong")]
        errors += [finding("error", "record.required", None, f"field {k} of {number} is missing")
                   for k in range(number % 3)]
        return [*errors, finding("warning", "etim.feature-unit", "etim-xchange", f"unit {number}")]
    if number % 4 == 2:
        return [finding("warning", "eplan.description-length", "eplan", f"long text {number}"),
                finding("warning", "etim.feature-missing", None, f"EF000{number} has no value")]
    if number % 8 == 3:
        return [finding("info", "eclass.absent", None, f"no ECLASS class for {number}")]
    return []


def make_document(count: int, hostile: bool = False, etim_model: str | None = "ETIM-9.0",
                  general: int = 1) -> dict[str, Any]:
    """A schema-valid check report of ``count`` records whose summary adds up."""
    records = []
    for number in range(1, count + 1):
        findings = record_findings(number)
        item = f"PX-{number}"
        if hostile and number == 5:
            item = f"PX-{number}{HOSTILE}"
            findings = [*findings, finding("error", "record.text", None, f"bad text {HOSTILE}")]
        status = {}
        for target in TARGETS:
            mine = {f["severity"] for f in findings if f["target"] in (None, target)}
            status[target] = "errors" if "error" in mine else "warnings" if "warning" in mine else "ready"
        features = 10 + number % 7
        filled = features if number % 5 == 0 else number % features
        completeness = None if etim_model is None or number % 6 == 0 else round(100 * filled / features, 1)
        etim = [] if completeness is None else [
            {"release": "ETIM-9.0", "class": f"EC00{number:04d}", "features": features, "filled": filled,
             "completeness": completeness}]
        records.append({"item_number": item, "file": f"records/{item}.yaml",
                        "kind": None if number % 7 == 0 else ("terminal" if number % 2 else "breaker"),
                        "status": status, "completeness": completeness, "etim": etim,
                        "findings": findings})
    severities = [{f["severity"] for f in r["findings"]} for r in records]
    known = [r["completeness"] for r in records if r["completeness"] is not None]
    bins = [0] * len(BANDS)
    for value in known:
        bins[10 if value >= 100 else int(value // 10)] += 1
    document = {
        "report": "cae-export check", "report_version": 1,
        "catalog": f"catalog{HOSTILE}" if hostile else "catalog", "targets": TARGETS,
        "etim_model": etim_model,
        "summary": {
            "records": count,
            "records_with_errors": sum("error" in s for s in severities),
            "records_with_warnings": sum("warning" in s and "error" not in s for s in severities),
            "records_clean": sum(not s & {"error", "warning"} for s in severities),
            "findings": {severity: sum(f["severity"] == severity for r in records for f in r["findings"])
                         for severity in ("error", "warning", "info")},
            "readiness": [{"target": t, **{key: sum(r["status"][t] == key for r in records)
                                           for key in ("ready", "warnings", "errors")}}
                          for t in TARGETS],
            "etim_completeness": {
                "records": len(known), "mean": round(sum(known) / len(known), 1) if known else None,
                "bins": [{"from": low, "to": high, "records": bins[i]}
                         for i, (low, high) in enumerate(BANDS)],
            },
        },
        "rules": [{"id": "bmecat.gtin-check-digit", "severity": "error", "level": "schema",
                   "target": "bmecat", "checks": "the GTIN's check digit"}],
        "general": [finding("warning", "model.read", None, f"the model could not be read {HOSTILE}")
                    for _ in range(general)],
        "records": records,
    }
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    return document


def grade(record: dict[str, Any]) -> str:
    severities = {f["severity"] for f in record["findings"]}
    return "errors" if "error" in severities else "warnings" if "warning" in severities else "clean"


def count_of(record: dict[str, Any], severity: str) -> int:
    return sum(f["severity"] == severity for f in record["findings"])


# ---- the browser


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    chromedriver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not CHROMIUM.exists() or not Path(chromedriver).exists():
        pytest.skip("needs /usr/bin/chromium and chromedriver (apt packages chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                     "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def open_report(driver: WebDriver, document: dict[str, Any], folder: Path, hash_: str = "") -> str:
    """Write the page, load it afresh and wait for its first table page; return its URL."""
    page = folder / "report.html"
    page.write_text(render_html(document), encoding="utf-8")
    driver.get("about:blank")
    url = page.as_uri()
    driver.get(url + hash_)
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
    return url


def console_errors(driver: WebDriver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def rows(driver: WebDriver) -> list[list[str]]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#parts tbody tr'))"
        ".map(tr => Array.from(tr.cells).map(td => td.textContent))")


def page_info(driver: WebDriver) -> str:
    return driver.find_element(By.ID, "page-info").text


def wait_info(driver: WebDriver, expected: str) -> None:
    WebDriverWait(driver, 10).until(lambda d: page_info(d) == expected, f"page info {expected!r}")


def items(driver: WebDriver) -> list[str]:
    return [row[0] for row in rows(driver)]


ERRORS_COLUMN = 2 + len(TARGETS) + 1  # item, kind, the targets, completeness, errors, warnings


# ---- the page, rendered


def test_the_page_is_self_contained_and_the_same_each_time() -> None:
    document = make_document(12, hostile=True)
    html = render_html(document)
    assert html == render_html(document)
    assert html.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)  # nothing to fetch
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert data is not None and "<" not in data.group(1) and ">" not in data.group(1)
    embedded = json.loads(data.group(1))
    assert embedded["targets"] == TARGETS
    assert [r[0] for r in embedded["records"]] == [r["item_number"] for r in document["records"]]
    assert HOSTILE not in html  # neither in the JSON nor in the static summary
    for element_id in ("summary-records", "summary-errors", "summary-warnings", "summary-records-with-errors",
                       "readiness", "completeness-chart", "parts", "detail", "pager", "page-prev",
                       "page-next", "page-info", "filter-text", "filter-status", "filter-target", "general"):
        assert f'id="{element_id}"' in html, element_id


def test_the_page_can_be_written_as_the_records_come() -> None:
    document = make_document(2 * CHUNK_RECORDS + 1, general=0)
    head = {key: value for key, value in document.items() if key != "records"}
    chunks = list(html_chunks(head, iter(document["records"])))
    assert len(chunks) > 3 and "".join(chunks) == render_html(document)
    data = re.search(r'id="report-data">(.*?)</script>', "".join(chunks), re.S)
    assert data is not None
    embedded = json.loads(data.group(1))
    assert [r[0] for r in embedded["records"]] == [r["item_number"] for r in document["records"]]
    last = document["records"][-1]
    assert [[embedded["rules"][f[1]], f[5]] for f in embedded["records"][-1][6]] == [
        [f["rule"], f["message"]] for f in last["findings"]]


def test_without_an_etim_model_the_completeness_is_unknown() -> None:
    html = render_html(make_document(3, etim_model=None, general=0))
    assert "unknown: no ETIM model" in html
    assert 'id="general"' not in html


# ---- the page, in the browser


def test_one_row_per_part_and_the_summary_is_the_documents(driver: WebDriver, tmp_path: Path) -> None:
    document = make_document(12)
    open_report(driver, document, tmp_path)
    assert items(driver) == [r["item_number"] for r in document["records"]]
    assert page_info(driver) == "1–12 of 12"
    summary = document["summary"]

    def value(element_id: str) -> int:
        element = driver.find_element(By.ID, element_id)
        assert element.text.replace(",", "") == element.get_attribute("data-value")
        return int(element.get_attribute("data-value"))

    assert value("summary-records") == 12
    assert value("summary-errors") == summary["findings"]["error"]
    assert value("summary-warnings") == summary["findings"]["warning"]
    assert value("summary-records-with-errors") == summary["records_with_errors"]
    readiness = driver.execute_script(
        "return Array.from(document.querySelectorAll('#readiness tbody tr')).map(tr => [tr.dataset.target,"
        " ...Array.from(tr.querySelectorAll('td[data-key]')).map(td => Number(td.dataset.value))])")
    assert readiness == [[r["target"], r["ready"], r["warnings"], r["errors"]] for r in summary["readiness"]]
    bands = driver.execute_script(
        "return Array.from(document.querySelectorAll('#completeness-chart svg g.band'))"
        ".map(g => [g.querySelector('text.label').textContent, Number(g.dataset.records)])")
    assert [b[1] for b in bands] == [b["records"] for b in summary["etim_completeness"]["bins"]]
    assert bands[0][0] == "0–9" and bands[-1][0] == "100"
    general = driver.find_elements(By.CSS_SELECTOR, "#general tbody tr")
    assert len(general) == 1 and HOSTILE in general[0].text
    statuses = [row[2:2 + len(TARGETS)] for row in rows(driver)]
    assert statuses == [[r["status"][t] for t in TARGETS] for r in document["records"]]


def test_the_status_and_text_filters(driver: WebDriver, tmp_path: Path) -> None:
    document = make_document(12)
    records = document["records"]
    open_report(driver, document, tmp_path)
    status = Select(driver.find_element(By.ID, "filter-status"))
    with_errors = [r["item_number"] for r in records if grade(r) == "errors"]
    status.select_by_value("errors")
    wait_info(driver, f"1–{len(with_errors)} of {len(with_errors)}")
    assert items(driver) == with_errors
    assert items(driver) != [] and len(with_errors) == document["summary"]["records_with_errors"]
    status.select_by_value("warnings")
    wait_info(driver, f"1–{document['summary']['records_with_warnings']} of "
                      f"{document['summary']['records_with_warnings']}")
    assert items(driver) == [r["item_number"] for r in records if grade(r) == "warnings"]
    status.select_by_value("clean")
    assert items(driver) == [r["item_number"] for r in records if grade(r) == "clean"]
    # one target: the status filter reads that target's status
    Select(driver.find_element(By.ID, "filter-target")).select_by_value("eplan")
    assert items(driver) == [r["item_number"] for r in records if r["status"]["eplan"] == "ready"]
    status.select_by_value("warnings")
    assert items(driver) == [r["item_number"] for r in records if r["status"]["eplan"] == "warnings"]
    Select(driver.find_element(By.ID, "filter-target")).select_by_value("all")
    status.select_by_value("all")
    wait_info(driver, "1–12 of 12")

    text = driver.find_element(By.ID, "filter-text")
    text.send_keys("GTIN-CHECK")  # a rule id, any case
    expected = [r["item_number"] for r in records if any(f["rule"] == "bmecat.gtin-check-digit"
                                                          for f in r["findings"])]
    wait_info(driver, f"1–{len(expected)} of {len(expected)}")
    assert items(driver) == expected
    text.clear()
    text.send_keys("PX-1")  # an item number: PX-1, PX-10, PX-11, PX-12
    wait_info(driver, "1–4 of 4")
    assert items(driver) == ["PX-1", "PX-10", "PX-11", "PX-12"]
    text.clear()
    text.send_keys("breaker")  # a kind
    breakers = [r["item_number"] for r in records if r["kind"] == "breaker"]
    wait_info(driver, f"1–{len(breakers)} of {len(breakers)}")
    assert items(driver) == breakers
    text.clear()
    text.send_keys("no such thing")
    wait_info(driver, "0 of 0")
    assert driver.find_element(By.CSS_SELECTOR, "#parts tbody td.empty").text == "No part matches the filter."
    assert console_errors(driver) == []


def test_clicking_a_header_sorts(driver: WebDriver, tmp_path: Path) -> None:
    document = make_document(12)
    records = document["records"]
    open_report(driver, document, tmp_path)
    errors = driver.find_element(By.CSS_SELECTOR, f'#parts thead th[data-col="{ERRORS_COLUMN}"]')
    errors.click()
    assert errors.get_attribute("aria-sort") == "ascending"
    # stable: parts with as many errors keep their catalog order
    assert items(driver) == [r["item_number"] for r in sorted(records, key=lambda r: count_of(r, "error"))]
    errors.click()
    assert errors.get_attribute("aria-sort") == "descending"
    assert items(driver) == [r["item_number"] for r in sorted(records, key=lambda r: -count_of(r, "error"))]
    completeness = driver.find_element(By.CSS_SELECTOR, f'#parts thead th[data-col="{ERRORS_COLUMN - 1}"]')
    completeness.click()  # numeric (100 after 9.1), unknown last
    known = sorted((r for r in records if r["completeness"] is not None), key=lambda r: r["completeness"])
    unknown = [r for r in records if r["completeness"] is None]
    assert items(driver) == [r["item_number"] for r in known + unknown]
    assert errors.get_attribute("aria-sort") is None
    item = driver.find_element(By.CSS_SELECTOR, '#parts thead th[data-col="0"]')
    item.click()
    assert items(driver) == [f"PX-{n}" for n in range(1, 13)]  # numbers within the text in order
    item.click()
    assert items(driver) == [f"PX-{n}" for n in range(12, 0, -1)]
    Select(driver.find_element(By.ID, "filter-status")).select_by_value("errors")  # the sort stays
    assert items(driver) == [r["item_number"] for r in reversed(records) if grade(r) == "errors"]


def detail_findings(driver: WebDriver) -> list[list[str]]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#detail table.findings tbody tr'))"
        ".map(tr => Array.from(tr.cells).map(td => td.textContent))")


def test_clicking_an_item_shows_its_detail(driver: WebDriver, tmp_path: Path) -> None:
    document = make_document(12)
    record = document["records"][4]  # PX-5: three errors and a warning
    assert len(record["findings"]) == 4
    open_report(driver, document, tmp_path)
    assert not driver.find_element(By.ID, "detail").is_displayed()
    driver.find_element(By.LINK_TEXT, record["item_number"]).click()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "detail").is_displayed())
    assert driver.execute_script("return location.hash") == "#part=PX-5"
    detail = driver.find_element(By.ID, "detail").text
    assert record["file"] in detail and record["kind"] in detail
    assert [row[:6] for row in detail_findings(driver)] == [
        [f["severity"], f["rule"], f["target"] or "all", f["field"], f["path"], f["message"]]
        for f in record["findings"]]
    statuses = driver.execute_script(
        "return Array.from(document.querySelectorAll('#detail table.targets tbody tr'))"
        ".map(tr => [tr.cells[0].textContent, tr.cells[1].textContent])")
    assert statuses == [[t, record["status"][t]] for t in TARGETS]
    etim = driver.execute_script(
        "return Array.from(document.querySelectorAll('#detail table.etim tbody tr'))"
        ".map(tr => tr.cells[1].textContent)")
    assert etim == [c["class"] for c in record["etim"]]
    # another part, through the URL alone
    other = document["records"][1]
    driver.execute_script("location.hash = arguments[0]", "#part=" + other["item_number"])
    WebDriverWait(driver, 10).until(lambda d: other["file"] in d.find_element(By.ID, "detail").text)
    assert [row[5] for row in detail_findings(driver)] == [f["message"] for f in other["findings"]]
    # and a page loaded with the part in its address
    open_report(driver, document, tmp_path, "#part=PX-5")
    assert driver.find_element(By.ID, "detail").is_displayed()
    assert len(detail_findings(driver)) == 4


def test_a_large_report_is_paged(driver: WebDriver, tmp_path: Path) -> None:
    document = make_document(1000, general=0)
    open_report(driver, document, tmp_path)
    assert len(rows(driver)) == 100
    assert page_info(driver) == "1–100 of 1,000"
    assert driver.find_element(By.ID, "page-prev").get_attribute("disabled") is not None
    driver.find_element(By.ID, "page-next").click()
    wait_info(driver, "101–200 of 1,000")
    assert items(driver) == [f"PX-{n}" for n in range(101, 201)]
    driver.find_element(By.ID, "page-prev").click()
    wait_info(driver, "1–100 of 1,000")
    Select(driver.find_element(By.ID, "filter-status")).select_by_value("errors")
    wait_info(driver, "1–100 of 250")
    for _ in range(2):
        driver.find_element(By.ID, "page-next").click()
    wait_info(driver, "201–250 of 250")
    assert len(rows(driver)) == 50
    assert driver.find_element(By.ID, "page-next").get_attribute("disabled") is not None


def test_data_is_shown_as_text(driver: WebDriver, tmp_path: Path) -> None:
    document = make_document(12, hostile=True)
    hostile = document["records"][4]
    open_report(driver, document, tmp_path)
    assert items(driver)[4] == hostile["item_number"]
    assert document["catalog"] in driver.find_element(By.ID, "summary-catalog").text
    driver.find_element(By.PARTIAL_LINK_TEXT, HOSTILE).click()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "detail").is_displayed())
    assert HOSTILE in driver.find_element(By.ID, "detail-heading").text
    assert [row[5] for row in detail_findings(driver)] == [f["message"] for f in hostile["findings"]]
    assert driver.execute_script("return document.querySelectorAll('img').length") == 0
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - reading it is what asks for the alert


def test_an_empty_report(driver: WebDriver, tmp_path: Path) -> None:
    open_report(driver, make_document(0, general=0), tmp_path)
    assert page_info(driver) == "0 of 0"
    assert driver.find_element(By.CSS_SELECTOR, "#parts tbody td.empty").text == "The catalog has no records."
    assert "unknown" in driver.find_element(By.ID, "completeness-chart").text


def test_a_screenshot(driver: WebDriver, tmp_path: Path) -> None:
    open_report(driver, make_document(12), tmp_path)
    shot = tmp_path / "report.png"
    assert driver.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_the_page_makes_no_request(driver: WebDriver, tmp_path: Path) -> None:
    driver.get("about:blank")
    driver.get_log("performance")  # what came before
    url = open_report(driver, make_document(12, hostile=True), tmp_path)
    driver.find_element(By.PARTIAL_LINK_TEXT, HOSTILE).click()  # the detail, with the hostile texts
    driver.find_element(By.CSS_SELECTOR, f'#parts thead th[data-col="{ERRORS_COLUMN}"]').click()
    driver.find_element(By.ID, "filter-text").send_keys("px")
    driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
    assert [r for r in requests if r.split("#")[0] not in (url, "about:blank")] == []
    assert url in [r.split("#")[0] for r in requests]  # the log does see requests
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert console_errors(driver) == []


# ---- the report of a real check


def test_the_report_of_a_catalog_with_defects(driver: WebDriver, tmp_path: Path, cli) -> None:
    """``check --format html`` on the planted-defect catalog: one row per part, the summary
    counts of the JSON report, the errors filter shows exactly the parts with errors, no
    request. ``UPDATE_GOLDEN=1`` also refreshes the README's screenshot (docs/check-report.png)."""
    from test_check import MODEL, plant_defects

    plant_defects(tmp_path / "catalog")
    shutil.copytree(MODEL, tmp_path / "ETIM-9.0")
    page = tmp_path / "report.html"
    # run where the catalog is, so the page names it as a user would see it
    args = ("check", "catalog", "--etim-model", "ETIM-9.0")
    assert cli(*args, "--format", "html", "--output", page, cwd=tmp_path).returncode == 1
    document = json.loads(cli(*args, "--format", "json", cwd=tmp_path).stdout)
    driver.get("about:blank")
    driver.get_log("performance")
    driver.get(page.as_uri())
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(
        "return document.body.dataset.ready === '1'"))
    assert items(driver) == [r["item_number"] for r in document["records"]]
    summary = document["summary"]
    for element_id, expected in (("summary-records", summary["records"]),
                                 ("summary-errors", summary["findings"]["error"]),
                                 ("summary-warnings", summary["findings"]["warning"]),
                                 ("summary-records-with-errors", summary["records_with_errors"])):
        assert int(driver.find_element(By.ID, element_id).get_attribute("data-value")) == expected
    Select(driver.find_element(By.ID, "filter-status")).select_by_value("errors")
    with_errors = [r["item_number"] for r in document["records"]
                   if any(f["severity"] == "error" for f in r["findings"])]
    wait_info(driver, f"1–{len(with_errors)} of {len(with_errors)}")
    assert items(driver) == with_errors and len(with_errors) == 4
    driver.find_element(By.PARTIAL_LINK_TEXT, "770-9999").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "detail").is_displayed())
    assert "a plug needs a pole count" in driver.find_element(By.ID, "detail").text
    shot = tmp_path / "check-report.png"
    driver.set_window_size(1400, 1900)  # the summary, the filtered table and the detail
    try:
        driver.execute_script("window.scrollTo(0, 0)")
        assert driver.save_screenshot(str(shot))
    finally:
        driver.set_window_size(1400, 1000)
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    if os.environ.get("UPDATE_GOLDEN"):
        shutil.copy(shot, REPO / "docs" / "check-report.png")
    requests = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
    urls = [m["params"]["request"]["url"].split("#")[0] for m in requests
            if m["method"] == "Network.requestWillBeSent"]
    assert set(urls) <= {page.as_uri(), "about:blank"}
    assert console_errors(driver) == []
