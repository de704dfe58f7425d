"""Target ``eplan``: one EPLAN parts-management document per build (``eplan/parts.xml``) and,
with ``--per-part``, one document per part (``eplan/parts/<part number>.xml``).

Parts are streamed to a spool file as they arrive and the document is written from it at the
end (the ``count`` attribute comes first), so memory stays flat however large the catalog.
Every part was validated against the XSD when it was rendered (as its one-part document, in the
workers of a parallel build). Before the rename, a document of up to ``FULL_CHECK_MAX_PARTS``
parts is validated again as a whole (streaming); a larger one has its frame validated instead
(the root with its attributes and the address records, i.e. everything that is not a validated
part): re-parsing 100,000 parts in the main process would double the build time and add nothing
the per-part checks and the frame check do not already cover (part numbers are unique: the part
view claims each one, and a second claim is refused before it reaches this target).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from cae_export.core.atomic import atomic_output
from cae_export.core.filenames import portable_name
from cae_export.core.problems import Problem
from cae_export.core.spool import TextSpool
from cae_export.core.timings import timings_of
from cae_export.formats.eplan.checks import part_checks
from cae_export.formats.eplan.view import PartView, RenderedPart, single_part_document
from cae_export.formats.eplan.xml import document_chunks, validate_document, write_document
from cae_export.pipeline.target import Derived, Target
from cae_export.record import Record

FULL_CHECK_MAX_PARTS = 1000


class EplanTarget(Target):
    name: ClassVar[str] = "eplan"
    summary: ClassVar[str] = "EPLAN parts-management XML (parts.xml; --per-part: one per part)"
    views = (PartView,)
    output_files = ("eplan/parts.xml", "eplan/parts/*.xml")
    change_form = True
    change_files = ("eplan/parts-changes.xml",)
    folder: ClassVar[str] = "eplan"
    document_name: ClassVar[str] = "parts.xml"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.spool = TextSpool(".xml")  # lives until finish() or abort() closes it
        self.count = 0
        self.addresses: dict[str, str] = {}
        self.kept_addresses: set[str] = set()
        self.files = 0
        self.removed: list[str] = []  # change build: parts of the old catalog that are gone
        self.kept: set[str] = set()   # per-part documents the earlier build wrote alike

    @classmethod
    def checks(cls, record: Record, context: Any) -> tuple[Problem, ...]:
        return part_checks(record)

    @classmethod
    def render(cls, record: Record, derived: Derived, options: Any, context: Any) -> RenderedPart:
        return derived[PartView]

    def add(self, record: Record, rendered: RenderedPart) -> None:
        changes = self.options.changes
        if changes is not None and record.item_number in changes.removed:
            # EPLAN's import adds and updates parts; it has no way to delete one
            self.removed.append(rendered.part_number)
            return
        self.spool.write(rendered.part_xml)
        self.count += 1
        # one address per manufacturer: the first record's, or the first one an import kept
        # facts of (the maker's own address record as read)
        if rendered.manufacturer not in self.addresses or (
                rendered.address_kept and rendered.manufacturer not in self.kept_addresses):
            self.addresses[rendered.manufacturer] = rendered.address_xml
            if rendered.address_kept:
                self.kept_addresses.add(rendered.manufacturer)
        if self.options.per_part and changes is None:
            name = f"{self.folder}/parts/{portable_name(f'{rendered.part_number}.xml')}"
            text = "".join(document_chunks(1, single_part_document(rendered)))
            data = text.encode("utf-8")
            if self.same_as_earlier(name, data):
                self.kept.add(name)  # the earlier build's document is this one
            else:
                self.write(self.out_dir / name, [text])
                self.wrote_per_part(name, data)

    def address_records(self) -> Iterator[str]:
        for short_name in sorted(self.addresses):
            yield self.addresses[short_name]

    def body(self) -> Iterator[str]:
        yield from self.spool.chunks()
        yield from self.address_records()

    def write(self, path: Path, chunks: Iterable[str],
              validate: Callable[[Path], None] = validate_document) -> None:
        """Write a document's text, validated, then renamed into place."""
        with timings_of(self.report).measure("write"), \
                atomic_output(path, validate, binary=False) as handle:
            handle.writelines(chunks)
        self.files += 1

    def kept_files(self) -> frozenset[str]:
        return frozenset(self.kept)

    def validate_frame(self, _path: Path) -> None:
        """The document without its (already validated) parts: root, attributes, addresses."""
        with tempfile.TemporaryDirectory() as folder:
            frame = Path(folder) / "frame.xml"
            with frame.open("w", encoding="utf-8") as handle:
                write_document(handle, self.count, self.address_records())
            with timings_of(self.report).measure("validate"):
                validate_document(frame)

    def finish(self) -> int:
        try:
            changes = self.options.changes
            if changes is not None and self.removed:
                listed = ", ".join(self.removed[:20]) + (" …" if len(self.removed) > 20 else "")
                self.report.notes.append(
                    f"{self.name}: {len(self.removed)} parts left the catalog since "
                    f"{changes.old}; EPLAN's import cannot delete parts, remove them in EPLAN's "
                    f"parts management: {listed}")
            if not self.count:
                return self.files
            name = "parts-changes.xml" if changes is not None else self.document_name
            validate = validate_document if self.count <= FULL_CHECK_MAX_PARTS else self.validate_frame
            self.write(self.out_dir / self.folder / name, document_chunks(self.count, self.body()),
                       validate)
        finally:
            self.spool.close()
        return self.files

    def abort(self) -> None:
        self.spool.close()
