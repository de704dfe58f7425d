"""``eclass-xlsx``: one workbook, one row per product, one column per ECLASS property."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from cae_export.core.resources import template_path
from cae_export.core.spool import RowSpool
from cae_export.core.timings import timings_of
from cae_export.core.workbook import TableSchema, TableSchemaError, checked_rows, write_xlsx
from cae_export.formats.eclass.mapping import EclassProperty, eclass_value, load_mapping
from cae_export.pipeline.executor import FileTask
from cae_export.pipeline.options import BuildOptions
from cae_export.pipeline.target import Derived, Target
from cae_export.record import Record

OUT_FILE = Path("eclass") / "eclass-properties.xlsx"
LAYOUT = TableSchema.load(template_path("eclass", "products.table.yaml"))
_IRDI_HEADER = re.compile(r"^(0173-1#02-[A-Z]{3}[0-9]{3}#[0-9]{3}) ")


def column_properties(layout: TableSchema) -> list[EclassProperty | None]:
    """Per column: the mapped ECLASS property (IRDI columns) or None (release, class)."""
    mapping = load_mapping()
    result: list[EclassProperty | None] = []
    for column in layout.columns:
        match = _IRDI_HEADER.match(column.name)
        prop = mapping.property(match.group(1)) if match else None
        if match and prop is None:
            raise TableSchemaError(f"column {column.name!r}: IRDI {match.group(1)} has no entry "
                                   f"in eclass.properties of {mapping.source}")
        result.append(prop)
    return result


class EclassXlsx(Target):
    name: ClassVar[str] = "eclass-xlsx"
    summary: ClassVar[str] = "ECLASS property workbook (eclass/eclass-properties.xlsx)"
    output_files = (str(OUT_FILE),)
    writes_in_workers = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.rows = RowSpool()
        self.writing: FileTask[Path] = FileTask()

    @classmethod
    def prepare(cls, options: BuildOptions) -> list[EclassProperty | None]:
        return column_properties(LAYOUT)

    @classmethod
    def render(cls, record: Record, derived: Derived, options: BuildOptions,
               context: list[EclassProperty | None]) -> list[list[Any]]:
        eclass = (record.eclass or [{}])[0]
        row = []
        for column, prop in zip(LAYOUT.columns, context, strict=True):
            if prop is not None:
                row.append(eclass_value(record, prop))
            elif column.name == "ECLASS release":
                row.append(eclass.get("release"))
            else:
                row.append(eclass.get("class"))
        return checked_rows(LAYOUT, [row])

    def add(self, record: Record, rendered: list[list[Any]]) -> None:
        for row in rendered:
            self.rows.add(row)

    def start_finish(self) -> None:
        # written (and read back) in a worker while the main process finishes the others
        self.writing.start(self.executor,
                           partial(write_xlsx, self.out_dir / OUT_FILE,
                                   [(LAYOUT, self.rows.spooled())]), timings_of(self.report))

    def finish(self) -> int:
        try:
            if not self.writing.started:
                self.start_finish()
            self.writing.result()
            return 1
        finally:
            self.abort()

    def abort(self) -> None:
        self.writing.stop()  # the worker reads the spool: stop it before removing it
        self.rows.close()
