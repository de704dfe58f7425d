"""The main job: ``cae-export build`` on the bundled catalog writes every target's files."""

from __future__ import annotations

import json
import re
from pathlib import Path

from conftest import REPO, published


def test_build_bundled_catalog_writes_every_target(tmp_path: Path, cli) -> None:
    result = cli("build", "--out", tmp_path / "out", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = tmp_path / "out"
    written = sorted(str(p.relative_to(out)) for p in published(out))
    assert written == [
        "bmecat/bmecat-etim.xml",
        "eclass/eclass-properties.xlsx",
        "edz/WAGO.2004-407.edz", "edz/WAGO.770-1324.edz", "edz/WAGO.770-744_062-000.edz",
        "edz/WAGO.831-1104_322-004.edz",
        "eplan/parts.xml",
        "etim/etim-features.xlsx", "etim/etim-xchange.json",
        "markers/markers.csv", "markers/markers.pdf", "markers/markers.svg",
        "markers/markers.xlsx",
        "report.html", "report.json",
    ]
    assert "records ok" in result.stdout
    assert re.search(r"files written\W+15\b", result.stdout), result.stdout


def test_build_from_repo_root_uses_the_bundled_catalog(tmp_path: Path, cli) -> None:
    result = cli("build", "--target", "eplan", "--out", tmp_path / "out", cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "eplan" / "parts.xml").read_bytes().count(b"<part ") == 4


def test_validity_start_option(tmp_path: Path, cli) -> None:
    result = cli("build", "--target", "etim-xchange", "--out", tmp_path,
                 "--validity-start", "2026-01-01")
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "etim" / "etim-xchange.json").read_text(encoding="utf-8"))
    assert data["CatalogueValidityStart"] == "2026-01-01"
    bad = cli("build", "--target", "etim-xchange", "--out", tmp_path, "--validity-start", "2026-13-01")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_missing_catalog_is_a_clear_error(tmp_path: Path, cli) -> None:
    result = cli("build", tmp_path / "nope", "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "catalog not found" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
