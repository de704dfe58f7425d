"""Target ``edz``: one EDZ package per part (``edz/<part number>.edz``), laid out the way the
EPLAN Data Portal ships them: a 7-Zip archive with ``manifest.xml`` at its root and the part
XML and the manufacturer XML under ``items/partxml/``.

Each package is built and checked in ``render`` - in a worker process with ``--jobs N``: its
entries before they are packed (manifest against entries, every XML item against the schema),
the finished archive against its entries (names, lengths, 7-Zip's CRC of each). ``add`` in
the main process only writes those bytes to a temporary file and renames it into place, so
the main process stays light however many parts there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from cae_export.core.atomic import write_checked_bytes
from cae_export.core.filenames import portable_name
from cae_export.core.problems import Problem, RecordError
from cae_export.core.timings import measure, timings_of
from cae_export.formats.eplan.checks import part_checks
from cae_export.formats.eplan.edz import (
    MANIFEST,
    Item,
    edz_bytes,
    manifest_xml,
    package_errors,
    package_key,
    sealed_errors,
)
from cae_export.formats.eplan.view import PartView, RenderedPart
from cae_export.formats.eplan.xml import address_document, one_record_document
from cae_export.pipeline.target import Derived, Target
from cae_export.record import Record

MAX_REPORTED_ERRORS = 5


@dataclass(frozen=True)
class EdzPackage:
    """A finished, checked package: what a worker sends back (picklable, a few kB)."""

    part_number: str
    data: bytes


class EdzTarget(Target):
    name: ClassVar[str] = "edz"
    summary: ClassVar[str] = "EDZ packages for the EPLAN Data Portal format (one per part)"
    views = (PartView,)
    output_files = ("edz/*.edz",)
    folder: ClassVar[str] = "edz"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.files = 0
        self.kept: set[str] = set()

    @classmethod
    def checks(cls, record: Record, context: Any) -> tuple[Problem, ...]:
        return part_checks(record)

    @classmethod
    def render(cls, record: Record, derived: Derived, options: Any, context: Any) -> EdzPackage:
        return build_package(derived[PartView])

    def add(self, record: Record, rendered: EdzPackage) -> None:
        # one package per part number: the part view refused a second claim before this
        name = f"{self.folder}/{portable_name(f'{rendered.part_number}.edz')}"
        if self.same_as_earlier(name, rendered.data):
            self.kept.add(name)  # the earlier build's package is this one: left as it is
            return
        with timings_of(self.report).measure("write"):
            # checked in render: no second look needed
            status = write_checked_bytes(self.out_dir / name, rendered.data)
        self.wrote_per_part(name, rendered.data, status)
        self.files += 1

    def kept_files(self) -> frozenset[str]:
        return frozenset(self.kept)

    def finish(self) -> int:
        return self.files


def build_package(rendered: RenderedPart) -> EdzPackage:
    """Build one part's archive in memory and check it; RecordError if it is unsound.

    What goes in is checked before it is packed (the manifest against its schema and the
    entries; each part XML document against the EPLAN schema, unless the part view checked
    those exact bytes already), and what comes out is checked against it: the archive lists
    exactly those entries, and each unpacks to their length and CRC-32."""
    items = package_items(rendered)
    manifest = manifest_xml(package_key(rendered.record_key), rendered.part_number, items)
    entries = {MANIFEST: manifest, **{item.path: item.data for item in items}}
    with measure("validate"):
        errors = package_errors(list(entries), entries, rendered.checked)
    if not errors:
        with measure("write"):
            data = edz_bytes(manifest, items)
        with measure("validate"):
            errors = sealed_errors(data, entries)
    if errors:
        raise RecordError(f"EDZ package {rendered.part_number} refused: "
                          + "; ".join(errors[:MAX_REPORTED_ERRORS]), record=rendered.item_number,
                          rule="edz.package")
    return EdzPackage(rendered.part_number, data)


def package_items(rendered: RenderedPart) -> list[Item]:
    part = one_record_document(1, rendered.part_xml)
    manufacturer = address_document(rendered.address_xml)
    return [Item("partxml", "part", f"{rendered.part_number}.part.xml", part),
            Item("partxml", "manufacturer", f"{rendered.manufacturer}.manufacturer.xml",
                 manufacturer)]

