"""Target ``eplan``: one EPLAN parts-management document per build (``eplan/parts.xml``) and,
with ``--per-part``, one document per part (``eplan/parts/<part number>.xml``).

Parts are streamed to a spool file as they arrive and the document is written from it at the
end (the ``count`` attribute comes first), so memory stays flat however large the catalog.
Every part fragment was validated against the XSD when it was rendered (in the workers of a
parallel build). Before the rename, a document of up to ``FULL_CHECK_MAX_PARTS`` parts is
validated again as a whole (streaming); a larger one has its frame validated instead (the root
with its attributes and the address records, i.e. everything that is not a validated part):
re-parsing 100,000 parts in the main process would double the build time and add nothing the
per-part checks and the frame check do not already cover (part numbers are unique by
construction: a second claim is refused).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

from cae_export.atomic import atomic_output
from cae_export.eplan.parts import RenderedPart, render_record, single_part_document
from cae_export.eplan.xml import validate_document, write_document
from cae_export.problems import Problem, Report
from cae_export.record import Record
from cae_export.targets import register
from cae_export.targets.base import BuildOptions, Target
from cae_export.timings import timings_of

SPOOL_CHUNK = 1 << 20
FULL_CHECK_MAX_PARTS = 1000


@register
class EplanTarget(Target):
    name: ClassVar[str] = "eplan"
    summary: ClassVar[str] = "EPLAN parts-management XML (parts.xml; --per-part: one per part)"
    folder: ClassVar[str] = "eplan"
    document_name: ClassVar[str] = "parts.xml"

    def __init__(self, out_dir: Path, options: BuildOptions, report: Report) -> None:
        super().__init__(out_dir, options, report)
        # the spool lives until finish() or abort() closes it
        self.spool: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.count = 0
        self.part_numbers: dict[str, str] = {}  # part number -> item number that claimed it
        self.addresses: dict[str, str] = {}
        self.files = 0

    @classmethod
    def render(cls, record: Record, options: BuildOptions, context: Any) -> RenderedPart:
        return render_record(record)

    def add(self, record: Record, rendered: RenderedPart) -> None:
        if not self.claim(rendered):
            return
        self.spool.write(rendered.part_xml)
        self.count += 1
        self.addresses.setdefault(rendered.manufacturer, rendered.address_xml)
        if self.options.per_part:
            path = self.out_dir / self.folder / "parts" / f"{rendered.part_number}.xml"
            self.write(path, 1, single_part_document(rendered))

    def claim(self, rendered: RenderedPart) -> bool:
        """Two records mapping to one part number would make EPLAN overwrite one with the
        other: the second is reported and left out."""
        first = self.part_numbers.get(rendered.part_number)
        if first is None:
            self.part_numbers[rendered.part_number] = rendered.item_number
            return True
        self.report.error(Problem(f"{self.name}: part number {rendered.part_number} is already "
                                  f"used by item {first}", record=rendered.item_number,
                                  field="item_number"))
        return False

    def body(self) -> Iterator[str]:
        self.spool.seek(0)
        while chunk := self.spool.read(SPOOL_CHUNK):
            yield chunk
        for short_name in sorted(self.addresses):
            yield self.addresses[short_name]

    def write(self, path: Path, count: int, body: Any, validate: Any = validate_document) -> None:
        with timings_of(self.report).measure("write"), \
                atomic_output(path, validate, binary=False) as handle:
            write_document(handle, count, body)
        self.files += 1

    def validate_frame(self, _path: Path) -> None:
        """The document without its (already validated) parts: root, attributes, addresses."""
        with tempfile.TemporaryDirectory() as folder:
            frame = Path(folder) / "frame.xml"
            with frame.open("w", encoding="utf-8") as handle:
                write_document(handle, self.count, iter(self.addresses[k] for k in sorted(self.addresses)))
            with timings_of(self.report).measure("validate"):
                validate_document(frame)

    def finish(self) -> int:
        try:
            validate = validate_document if self.count <= FULL_CHECK_MAX_PARTS else self.validate_frame
            self.write(self.out_dir / self.folder / self.document_name, self.count, self.body(),
                       validate)
        finally:
            self.spool.close()
        return self.files

    def abort(self) -> None:
        self.spool.close()
