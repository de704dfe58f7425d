"""Workbooks and CSV tables: a sheet layout declared once, rows validated after read-back.

A ``TableSchema`` (loaded from a ``*.table.yaml`` file next to a target's templates) names the
columns of one sheet with their types, required flags and patterns. ``write_xlsx`` and
``write_csv`` stream rows into a temporary file, read that file back with a real parser (the
sheet XML with lxml, row by row, or the csv module), check every row against the schema and
only then rename it into place; otherwise they raise ``OutputInvalid`` and leave nothing
behind.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import math
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError

from cae_export.core import atomic
from cae_export.core.atomic import temp_path_for, write_validated
from cae_export.core.numbers import canonical
from cae_export.core.problems import OutputInvalid, RecordError
from cae_export.core.sheet_stream import Cell, Sheet, SheetReader, SheetReadError
from cae_export.core.xml import XML_ILLEGAL

# "scalar": text, number or boolean in one column (ETIM "value 1": EV code, number, true/false)
COLUMN_TYPES = ("string", "integer", "number", "boolean", "scalar")

# Excel's hard limit, header row included; past it rows continue on "<name> 2", "<name> 3", …
MAX_ROWS_PER_SHEET = 1_048_576
# Longest text a cell may hold in Excel.
MAX_CELL_TEXT = 32_767
# Sheet names: at most 31 characters, none of these.
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MAX_SHEET_NAME = 31
# Spreadsheet programs evaluate a cell whose text starts with one of these (formula injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Stop collecting after this many problems: one broken column should not flood the report.
MAX_MESSAGES = 50
# Fixed document properties and zip timestamps keep re-runs byte-identical.
FIXED_TIME = datetime.datetime(2000, 1, 1, 0, 0, 0)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
DOCUMENT_CREATOR = "cae-export"
COPY_BLOCK = 1 << 20
# entries this large need zip64 headers, which must be chosen before streaming the entry
ZIP64_SIZE = zipfile.ZIP64_LIMIT // 2


class TableSchemaError(ValueError):
    """A ``*.table.yaml`` file that does not describe a usable sheet layout."""


@dataclass(frozen=True)
class Column:
    name: str                     # header text, stable and documented
    type: str                     # "string" | "integer" | "number" | "boolean"
    required: bool = False
    pattern: str | None = None    # regex a string value must fully match
    width: float | None = None    # xlsx column width
    note: str | None = None       # header comment / documentation

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise TableSchemaError(f"column {self.name!r}: type {self.type!r} is not one of "
                                   f"{', '.join(COLUMN_TYPES)}")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise TableSchemaError(f"column {self.name!r}: bad pattern: {exc}") from None


@dataclass(frozen=True)
class TableSchema:
    name: str                     # sheet name / table name
    columns: tuple[Column, ...]

    def __post_init__(self) -> None:
        check_sheet_name(self.name)
        names = [c.name for c in self.columns]
        if not names:
            raise TableSchemaError(f"table {self.name!r}: no columns")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise TableSchemaError(f"table {self.name!r}: duplicate columns {duplicates}")

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def index(self, column_name: str) -> int:
        """Position of a column (targets build rows by name through this)."""
        return self.headers.index(column_name)

    @classmethod
    def load(cls, path: Path) -> TableSchema:
        """Read a layout such as ``templates/etim-xlsx/products.table.yaml``."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise TableSchemaError(f"{path}: cannot read table schema: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
            raise TableSchemaError(f"{path}: expected a mapping with 'name' and 'columns'")
        allowed = {"name", "type", "required", "pattern", "width", "note"}
        columns = []
        for number, item in enumerate(data["columns"], start=1):
            if not isinstance(item, dict) or "name" not in item or "type" not in item:
                raise TableSchemaError(f"{path}: column {number}: needs 'name' and 'type'")
            unknown = sorted(set(item) - allowed)
            if unknown:
                raise TableSchemaError(f"{path}: column {number}: unknown keys {unknown}")
            try:
                columns.append(Column(**{k: item[k] for k in item}))
            except TableSchemaError as exc:
                raise TableSchemaError(f"{path}: {exc}") from None
        try:
            return cls(name=str(data.get("name", "")), columns=tuple(columns))
        except TableSchemaError as exc:
            raise TableSchemaError(f"{path}: {exc}") from None


def check_sheet_name(name: str) -> None:
    if not name or len(name) > MAX_SHEET_NAME or _SHEET_NAME_FORBIDDEN.search(name):
        raise TableSchemaError(f"sheet name {name!r}: 1-{MAX_SHEET_NAME} characters, "
                               "none of []:*?/\\")


# cell values ------------------------------------------------------------------------------

def _cell_problem(column: Column, value: Any) -> str | None:
    """Why ``value`` cannot stand in ``column``, or None."""
    if value is None or value == "":
        return "is required" if column.required else None
    kind = column.type
    if kind == "scalar" and not isinstance(value, str):
        if isinstance(value, bool):
            return None
        return _cell_problem(Column(column.name, "number"), value)
    if kind in ("string", "scalar"):
        if not isinstance(value, str):
            return f"{value!r} is not text"
        if XML_ILLEGAL.search(value):  # an xlsx is XML inside: refuse, do not corrupt
            return f"{value!r} contains a control character a spreadsheet cannot hold"
        if len(value) > MAX_CELL_TEXT:
            return f"text of {len(value)} characters is longer than {MAX_CELL_TEXT}"
        if column.pattern and not re.fullmatch(column.pattern, value):
            return f"{value!r} does not match {column.pattern}"
        return None
    if isinstance(value, bool):
        return None if kind == "boolean" else f"{value!r} is not {_article(kind)}"
    if kind == "integer":
        return None if isinstance(value, int) else f"{value!r} is not an integer"
    if kind == "number":
        if not isinstance(value, (int, float)):
            return f"{value!r} is not a number"
        return None if math.isfinite(value) else f"{value!r} is not a finite number"
    return f"{value!r} is not a boolean"


def _article(kind: str) -> str:
    return "an integer" if kind == "integer" else f"a {kind}"


def row_problems(schema: TableSchema, row: Sequence[Any], row_number: int) -> Iterator[str]:
    where = f"sheet {schema.name} row {row_number}"
    width = len(schema.columns)
    extra = [v for v in row[width:] if v not in (None, "")]
    if extra:
        yield f"{where}: {len(row)} cells, the layout has {width} columns"
    for position, column in enumerate(schema.columns):
        value = row[position] if position < len(row) else None
        problem = _cell_problem(column, value)
        if problem:
            yield f"{where} column {column.name!r}: {problem}"


def validate_rows(schema: TableSchema, rows: Iterable[Sequence[Any]], *,
                  first_row: int = 2) -> list[str]:
    """Every way the rows break the layout. Rows are numbered as a spreadsheet shows them:
    the header is row 1, so the first data row is row 2 (``first_row``)."""
    messages: list[str] = []
    for number, row in enumerate(rows, start=first_row):
        messages.extend(row_problems(schema, row, number))
        if len(messages) >= MAX_MESSAGES:
            return [*messages[:MAX_MESSAGES], "(further problems not listed)"]
    return messages


def checked_rows(schema: TableSchema, rows: list[list[Any]]) -> list[list[Any]]:
    """Hold one record's rows to the sheet layout now, so a bad record fails alone."""
    problems = validate_rows(schema, rows)
    if problems:
        raise RecordError(problems[0].split(": ", 1)[-1], field=schema.name)
    return rows


def _xlsx_cell(ws: Any, value: Any) -> Any:
    """What goes into a workbook cell. Text a spreadsheet would evaluate (``=…``, ``-X1``,
    ``@…``) keeps its exact value but is written as a typed string with Excel's quote prefix
    (what typing a leading ``'`` does): it is shown and printed as is and never evaluated, not
    even when the cell is edited. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    return value


def _unguarded_formula_text(cell: Cell | None) -> bool:
    """A read-back cell whose text starts like a formula but is not a quote-prefixed string
    (or is a formula)."""
    if cell is None:
        return False
    value = cell.value
    return cell.formula or (isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and (
        not cell.text_cell or not cell.quote_prefix))


# xlsx -------------------------------------------------------------------------------------

def part_name(schema: TableSchema, part: int) -> str:
    """Sheet name of the ``part``-th chunk of a table: ``Features``, ``Features 2``, …"""
    if part == 1:
        return schema.name
    suffix = f" {part}"
    return schema.name[: MAX_SHEET_NAME - len(suffix)] + suffix


def _header_cells(ws: Any, schema: TableSchema) -> list[WriteOnlyCell]:
    bold = Font(bold=True)
    cells = []
    for column in schema.columns:
        cell = WriteOnlyCell(ws, value=column.name)
        cell.font = bold
        if column.note:
            cell.comment = Comment(column.note, DOCUMENT_CREATOR, width=300, height=100)
        cells.append(cell)
    return cells


def _new_sheet(wb: Workbook, schema: TableSchema, part: int) -> Any:
    ws = wb.create_sheet(part_name(schema, part))
    # widths and panes go into the sheet head, so they must be set before the first row
    for position, column in enumerate(schema.columns, start=1):
        if column.width:
            ws.column_dimensions[get_column_letter(position)].width = column.width
    ws.freeze_panes = "A2"
    ws.append(_header_cells(ws, schema))
    return ws


def _discard(wb: Workbook) -> None:
    """Remove the per-sheet temporary files openpyxl streams rows into."""
    for ws in wb.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.xf.close()
            with contextlib.suppress(OSError, ValueError):
                writer.cleanup()


def _close_filter(ws: Any, schema: TableSchema, rows_written: int) -> None:
    last = get_column_letter(len(schema.columns))
    ws.auto_filter.ref = f"A1:{last}{rows_written + 1}"


def _fill_workbook(wb: Workbook, sheets: Sequence[tuple[TableSchema, Iterable[Sequence[Any]]]],
                   counts: dict[str, int]) -> None:
    data_rows_per_sheet = MAX_ROWS_PER_SHEET - 1
    for schema, rows in sheets:
        part, ws, in_sheet = 1, _new_sheet(wb, schema, 1), 0
        for number, row in enumerate(rows, start=1):
            if in_sheet == data_rows_per_sheet:
                _close_filter(ws, schema, in_sheet)
                counts[ws.title] = in_sheet
                part, in_sheet = part + 1, 0
                ws = _new_sheet(wb, schema, part)
            try:
                ws.append([_xlsx_cell(ws, v) for v in row])
            except (IllegalCharacterError, ValueError, TypeError) as exc:
                raise OutputInvalid(ws.title, [f"sheet {ws.title} row {in_sheet + 2} "
                                               f"(data row {number}): {exc}"]) from None
            in_sheet += 1
        _close_filter(ws, schema, in_sheet)
        counts[ws.title] = in_sheet


def _save_deterministic(wb: Workbook, path: Path) -> None:
    """Save, then rewrite the zip with fixed entry times and fixed document times."""
    wb.properties.creator = DOCUMENT_CREATOR
    wb.properties.lastModifiedBy = DOCUMENT_CREATOR
    wb.properties.created = FIXED_TIME
    wb.save(path)
    raw = path.with_name(path.name + ".raw")
    path.replace(raw)
    try:
        with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                if info.filename == "docProps/core.xml":
                    dst.writestr(entry, _fixed_core_properties(wb))
                    continue
                # copied in blocks: a sheet of a million rows is hundreds of MB unpacked
                big = info.file_size >= ZIP64_SIZE
                with src.open(info) as data, dst.open(entry, "w", force_zip64=big) as out:
                    shutil.copyfileobj(data, out, COPY_BLOCK)
    finally:
        raw.unlink(missing_ok=True)


def _fixed_core_properties(wb: Workbook) -> bytes:
    from openpyxl.xml.functions import tostring

    wb.properties.modified = FIXED_TIME
    return tostring(wb.properties.to_tree())


def _check_workbook(path: Path, sheets: Sequence[TableSchema], counts: dict[str, int]) -> None:
    """Read the written workbook back, sheet XML row by row, and hold every sheet to its
    layout."""
    messages = _workbook_problems(path, sheets, counts)
    if messages:
        raise OutputInvalid(str(path), messages)


def _workbook_problems(path: Path, sheets: Sequence[TableSchema], counts: dict[str, int],
                       titles: Sequence[str] | None = None) -> list[str]:
    """What ``_check_workbook`` finds, for the sheets ``titles`` only (default: all)."""
    with path.open("rb") as handle:
        try:
            reader = SheetReader(handle)
        except SheetReadError as exc:
            return [f"not readable as a workbook: {exc}"]
        try:
            return _check_sheets(reader, sheets, counts, titles)
        except SheetReadError as exc:
            return [f"not readable as a workbook: {exc}"]
        finally:
            reader.close()


def _check_sheets(reader: SheetReader, sheets: Sequence[TableSchema],
                  counts: dict[str, int], titles: Sequence[str] | None = None) -> list[str]:
    """The workbook's sheets against ``counts`` (title -> data rows written) and each sheet
    of ``titles`` (default: all) against its layout."""
    messages: list[str] = []
    by_name = {sheet.title: sheet for sheet in reader.sheets}
    expected = list(counts)
    if sorted(by_name) != sorted(expected):
        messages.append(f"sheets {sorted(by_name)} instead of {sorted(expected)}")
    schema_of = {part_name(s, n): s for s in sheets for n in range(1, len(counts) + 2)}
    for title in expected if titles is None else titles:
        if title in by_name:
            messages.extend(_check_sheet(reader, by_name[title], schema_of[title],
                                         counts[title]))
        if len(messages) >= MAX_MESSAGES:
            break
    return messages


def _check_sheet(reader: SheetReader, sheet: Sheet, schema: TableSchema,
                 expected_rows: int) -> list[str]:
    guard_problems: list[str] = []

    def values() -> Iterator[tuple[Any, ...]]:
        for number, cells in enumerate(reader.rows(sheet), start=1):
            if any(_unguarded_formula_text(c) for c in cells) and len(guard_problems) < 5:
                guard_problems.append(f"sheet {sheet.title} row {number}: formula-like text is "
                                      "not a quote-prefixed string")
            yield tuple(c.value if c is not None else None for c in cells)

    rows = values()
    header = next(rows, None)
    width = len(schema.columns)
    if header is None or tuple(header[:width]) != schema.headers:
        return [f"sheet {sheet.title}: header {header!r} instead of {schema.headers!r}"]
    # name the real sheet (``Features 2``) in messages, check against the table's layout
    sheet_schema = TableSchema(sheet.title, schema.columns)
    counted: list[int] = [0]

    def counting() -> Iterator[Sequence[Any]]:
        for row in rows:
            counted[0] += 1
            yield row

    messages = validate_rows(sheet_schema, counting()) + guard_problems
    if not messages and counted[0] != expected_rows:
        messages.append(f"sheet {sheet.title}: {counted[0]} rows read back, {expected_rows} "
                        "written")
    return messages


def write_xlsx(path: Path, sheets: Sequence[tuple[TableSchema, Iterable[Sequence[Any]]]]) -> Path:
    """Stream ``(layout, rows)`` pairs into one workbook, validate it after read-back, keep it."""
    counts: dict[str, int] = {}

    def produce(tmp: Path) -> None:
        counts.update(_produce_xlsx(tmp, sheets))

    def check(tmp: Path) -> None:
        _check_workbook(tmp, [s for s, _ in sheets], counts)

    return write_validated(path, produce, check)


def _produce_xlsx(tmp: Path, sheets: Sequence[tuple[TableSchema, Iterable[Sequence[Any]]]]
                  ) -> dict[str, int]:
    """Write the workbook to ``tmp`` (not checked yet); the data rows of each sheet."""
    names = [s.name for s, _ in sheets]
    if len(set(names)) != len(names):
        raise TableSchemaError(f"duplicate sheet names {names}")
    counts: dict[str, int] = {}
    wb = Workbook(write_only=True)
    try:
        _fill_workbook(wb, sheets, counts)
    except BaseException:
        _discard(wb)
        raise
    _save_deterministic(wb, tmp)
    return counts


class XlsxInWorkers:
    """``write_xlsx`` in an executor's worker processes, in two steps so that the sheets are
    checked side by side: ``start`` hands the writing to a worker; ``result`` then checks each
    sheet in a task of its own and renames the checked file into place. The same file and the
    same checks as ``write_xlsx`` (the sheets' rows must be picklable: spooled rows are)."""

    def __init__(self, path: Path,
                 sheets: Sequence[tuple[TableSchema, Iterable[Sequence[Any]]]]) -> None:
        self.path = path
        self.sheets = sheets
        self.tmp: Path | None = None
        self.running: list[Any] = []  # the tasks in flight (RunningTasks), to stop
        self.executor: Any = None
        self.timings: Any = None

    def start(self, executor: Any, timings: Any = None) -> None:
        self.executor, self.timings = executor, timings
        self.tmp = temp_path_for(self.path)
        self.running = [executor.start_tasks([partial(_produce_xlsx, self.tmp, self.sheets)],
                                             timings)]

    def result(self) -> Path:
        assert self.tmp is not None
        tmp = self.tmp
        try:
            counts = self.running[0].outcomes()[0].get()
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        schemas = [s for s, _ in self.sheets]
        # each task also holds the sheet list to what was written (said once)
        checks = self.executor.start_tasks(
            [partial(_workbook_problems, tmp, schemas, counts, [title]) for title in counts],
            self.timings)
        self.running.append(checks)

        def check(_tmp: Path) -> None:
            found = [outcome.get() for outcome in checks.outcomes()]
            messages = list(dict.fromkeys(m for problems in found for m in problems))
            if messages:
                raise OutputInvalid(str(tmp), messages[:MAX_MESSAGES])

        atomic.finish_atomic(tmp, self.path, check)  # by module: a benchmark times it
        return self.path

    def stop(self) -> None:
        for running in self.running:
            running.stop()
        self.running = []
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)


# csv --------------------------------------------------------------------------------------

def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return canonical(value, max_decimals=15) if math.isfinite(value) else repr(value)
    return str(value)  # text exactly as given: a CSV is data for a program, not a spreadsheet


def _csv_value(column: Column, text: str) -> Any:
    """Read a CSV cell back into the type its column declares (text stays text if it fails)."""
    if text == "":
        return None
    parsers: dict[str, Callable[[str], Any]] = {
        "integer": lambda t: int(t) if re.fullmatch(r"-?[0-9]+", t) else t,
        "number": lambda t: (float(t) if "." in t else int(t))
        if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", t) else t,
        "boolean": lambda t: {"true": True, "false": False}.get(t, t),
    }
    return parsers.get(column.type, str)(text)


def _check_csv(path: Path, schema: TableSchema, delimiter: str, expected_rows: int) -> None:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            header = next(reader, None)
            if header is None or tuple(header) != schema.headers:
                raise OutputInvalid(str(path), [f"header {header!r} instead of {schema.headers!r}"])
            counted = [0]

            def typed_rows() -> Iterator[list[Any]]:
                for row in reader:
                    counted[0] += 1
                    typed = [_csv_value(c, t) for c, t in zip(schema.columns, row, strict=False)]
                    yield [*typed, *row[len(schema.columns):]]

            messages = validate_rows(schema, typed_rows())
    except (UnicodeDecodeError, csv.Error) as exc:
        raise OutputInvalid(str(path), [f"not readable as CSV: {exc}"]) from None
    if not messages and counted[0] != expected_rows:
        messages.append(f"{counted[0]} rows read back, {expected_rows} written")
    if messages:
        raise OutputInvalid(str(path), messages)


def write_csv(path: Path, schema: TableSchema, rows: Iterable[Sequence[Any]], *,
              bom: bool = True, delimiter: str = ",") -> Path:
    """Stream rows into a CSV file (UTF-8, BOM so spreadsheet programs read umlauts),
    read it back with the csv module, validate, keep it. Text is written exactly as given,
    ``-X1:N`` included: a CSV has no cell types, so it carries no formula guard (the
    workbooks do, with typed string cells)."""
    written = [0]

    def produce(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
            writer.writerow(schema.headers)
            for row in rows:
                writer.writerow([_csv_text(v) for v in row])
                written[0] += 1

    def check(tmp: Path) -> None:
        _check_csv(tmp, schema, delimiter, written[0])

    return write_validated(path, produce, check)


__all__ = ["MAX_ROWS_PER_SHEET", "Column", "TableSchema", "TableSchemaError", "checked_rows",
           "validate_rows", "write_csv", "write_xlsx"]
