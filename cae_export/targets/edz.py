"""Target ``edz``: one EDZ package per part (``edz/<part number>.edz``), laid out the way the
EPLAN Data Portal ships them: a 7-Zip archive with ``manifest.xml`` at its root and the part
XML and the manufacturer XML under ``items/partxml/``. Each archive is checked (opened again,
manifest against entries, every XML item against the schema) before it is renamed into place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from cae_export.atomic import write_validated
from cae_export.eplan.edz import Item, manifest_xml, package_key, validate_edz, write_edz
from cae_export.eplan.parts import RenderedPart, render_record, single_part_document
from cae_export.eplan.xml import document_chunks
from cae_export.problems import Report
from cae_export.record import Record
from cae_export.targets import register
from cae_export.targets.base import BuildOptions, Target
from cae_export.timings import timings_of


@register
class EdzTarget(Target):
    name: ClassVar[str] = "edz"
    summary: ClassVar[str] = "EDZ packages for the EPLAN Data Portal format (one per part)"
    folder: ClassVar[str] = "edz"

    def __init__(self, out_dir: Path, options: BuildOptions, report: Report) -> None:
        super().__init__(out_dir, options, report)
        self.written: list[Path] = []
        self.part_numbers: set[str] = set()

    @classmethod
    def render(cls, record: Record, options: BuildOptions, context: Any) -> RenderedPart:
        return render_record(record)

    def add(self, record: Record, rendered: RenderedPart) -> None:
        if rendered.part_number in self.part_numbers:
            return  # the eplan target reports the clash; one package per part number
        self.part_numbers.add(rendered.part_number)
        items = package_items(rendered)
        manifest = manifest_xml(package_key(rendered.record_key), rendered.part_number, items)
        path = self.out_dir / self.folder / f"{rendered.part_number}.edz"
        with timings_of(self.report).measure("write"):
            write_validated(path, lambda tmp: write_edz(tmp, manifest, items), validate_edz)
        self.written.append(path)

    def finish(self) -> list[Path]:
        return self.written


def package_items(rendered: RenderedPart) -> list[Item]:
    part = _document(1, single_part_document(rendered, with_address=False))
    manufacturer = _document(0, [rendered.address_xml])
    return [Item("partxml", "part", f"{rendered.part_number}.part.xml", part),
            Item("partxml", "manufacturer", f"{rendered.manufacturer}.manufacturer.xml",
                 manufacturer)]


def _document(count: int, body: list[str]) -> bytes:
    return "".join(document_chunks(count, body)).encode("utf-8")
