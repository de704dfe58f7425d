"""Past FULL_CHECK_MAX_PARTS the parts document is checked as validated parts plus its frame."""

from __future__ import annotations

from pathlib import Path

from conftest import CATALOG

from cae_export.catalog import iter_catalog
from cae_export.core.problems import Report
from cae_export.formats.eplan import parts_target as eplan_module
from cae_export.pipeline import BuildOptions, run_build


def build(out: Path) -> Report:
    report = Report()
    run_build(iter_catalog(CATALOG), [eplan_module.EplanTarget], out, BuildOptions(), report)
    return report


def test_frame_check_gives_the_same_document(tmp_path: Path, monkeypatch) -> None:
    assert not build(tmp_path / "full").errors
    monkeypatch.setattr(eplan_module, "FULL_CHECK_MAX_PARTS", 0)
    calls: list[Path] = []
    original = eplan_module.EplanTarget.validate_frame
    monkeypatch.setattr(eplan_module.EplanTarget, "validate_frame",
                        lambda self, path: (calls.append(path), original(self, path))[1])
    assert not build(tmp_path / "frame").errors
    assert len(calls) == 1
    full = (tmp_path / "full" / "eplan" / "parts.xml").read_bytes()
    assert (tmp_path / "frame" / "eplan" / "parts.xml").read_bytes() == full


def test_frame_check_refuses_a_broken_frame(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(eplan_module, "FULL_CHECK_MAX_PARTS", 0)
    original_add = eplan_module.EplanTarget.add

    def add_with_bad_address(self, record, rendered) -> None:
        original_add(self, record, rendered)
        self.addresses["WAGO"] = '  <address P_PART_ADDRESS_SHORTNAME=""/>\n'

    monkeypatch.setattr(eplan_module.EplanTarget, "add", add_with_bad_address)
    report = build(tmp_path)
    assert report.errors and "output refused" in str(report.errors[0])
    leftovers = list((tmp_path / "eplan").iterdir()) if (tmp_path / "eplan").exists() else []
    assert leftovers == []  # neither the document nor a temporary file



def test_eplan_and_edz_share_one_rendering_per_record(tmp_path: Path, monkeypatch) -> None:
    from cae_export.formats.eplan import edz_target, view

    calls: list[str] = []
    original = view.render_record
    monkeypatch.setattr(view, "render_record", lambda record: (calls.append(record.item_number),
                                                               original(record))[1])
    first, second = [r for r in iter_catalog(CATALOG)][:2]
    report = Report()
    run_build([first, second], [eplan_module.EplanTarget, edz_target.EdzTarget], tmp_path,
              BuildOptions(), report)
    assert not report.errors and len(list((tmp_path / "edz").iterdir())) == 2
    assert calls == [first.item_number, second.item_number]
