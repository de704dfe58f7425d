"""Marking jobs: the parts a panel builder placed, read from CSV or YAML.

A job line names a device tag, an item number and a quantity, and may override the marker text
of single poles. Every problem is tied to the job file, its line and the field, and only that
line is dropped: the rest of the job is still produced.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from cae_export.core.limits import MAX_JOB_BYTES, InputTooLarge, read_capped
from cae_export.core.problems import Problem
from cae_export.core.resources import SafeLoader, check_yaml_nodes
from cae_export.core.xml import XML_ILLEGAL

REQUIRED_COLUMNS = ("device_tag", "item_number", "quantity")
OPTIONAL_COLUMNS = ("texts", "card")
# CSV: per-pole texts in pole order, separated by this; an empty entry keeps the default text.
TEXT_SEPARATOR = ";"
MAX_QUANTITY = 10_000
MAX_TEXT = 200
# What XML 1.0 cannot carry (the SVG would break), and a tab, carriage return or DEL, which are
# no use on a marker either (a line break starts a second text line).
_ILLEGAL = re.compile(f"{XML_ILLEGAL.pattern}|[\t\r\x7f]")


# Marker texts that start like a spreadsheet formula are this domain's normal texts: IEC 81346
# reference designations (-X5:N, =A1+B2-X3:4, +24V) are printed exactly as given. What would
# act as a formula beyond a designation is refused unless asked for (--allow-formula-text):
# a text starting with @, or starting with = + - and holding a function call, a DDE link or a
# sheet reference (one of ( | ! ").
_FORMULA_SIGNS = re.compile(r'[(|!"]')


def formula_problem(text: str) -> str | None:
    """Why a marker text would act as a spreadsheet formula, or None."""
    if text.startswith("@"):
        return (f"text {text!r} starts with @, which spreadsheet programs run as a function; "
                "use --allow-formula-text if it is meant")
    if text.startswith(("=", "+", "-")) and _FORMULA_SIGNS.search(text):
        return (f"text {text!r} would act as a spreadsheet formula (a function call, DDE link or "
                "sheet reference: ( | ! \"); designations use letters, digits and . : = + - "
                "only; use --allow-formula-text if it is meant")
    return None


@dataclass(frozen=True)
class PlacedPart:
    """One job line: ``quantity`` parts of ``item_number`` placed under ``device_tag``."""

    source: str
    line: int
    device_tag: str
    item_number: str
    quantity: int
    positional: tuple[tuple[str, ...] | None, ...] = ()   # per pole, in pole order
    by_pole: tuple[tuple[str, tuple[str, ...]], ...] = ()  # pole designation -> text lines
    card: str | None = None
    lines: dict[str, int] = field(default_factory=dict, compare=False)  # field -> line

    def line_of(self, name: str) -> int:
        return self.lines.get(name, self.line)


@dataclass
class Job:
    name: str
    parts: list[PlacedPart]
    problems: list[Problem]
    lines_read: int = 0


def read_job(path: Path) -> Job:
    """Read a job file (``.csv`` or ``.yaml``/``.yml``); never raises for bad content."""
    try:
        data = read_capped(path, MAX_JOB_BYTES, "the job file")
    except InputTooLarge as exc:
        return Job(path.stem, [], [Problem(str(exc), file=str(path))])
    except OSError as exc:
        return Job(path.stem, [], [Problem(f"cannot read job file: {exc.strerror}", file=str(path))])
    if path.suffix.lower() in (".yaml", ".yml"):
        return _read_yaml(path, data)
    if path.suffix.lower() == ".csv":
        return _read_csv(path, data)
    return Job(path.stem, [], [Problem("job file must end in .csv, .yaml or .yml", file=str(path))])


# text checks ------------------------------------------------------------------------------

def normalise_header(name: str) -> str:
    """``Device tag`` / ``device-tag`` / ``DEVICE_TAG`` -> ``device_tag``."""
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").lower())


def check_text(value: str, what: str) -> str | None:
    """Why a text cannot go on a marker, or None."""
    bad = _ILLEGAL.search(value)
    if bad:
        return f"{what} contains the control character U+{ord(bad.group()):04X}"
    if len(value) > MAX_TEXT:
        return f"{what} is {len(value)} characters long (at most {MAX_TEXT})"
    return None


def parse_quantity(value: Any) -> tuple[int | None, str | None]:
    """(quantity, None) or (None, why not). Whole numbers 1..MAX_QUANTITY only."""
    if isinstance(value, bool):
        return None, f"quantity must be a whole number, got {value!r}"
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None, "quantity is empty"
        if not re.fullmatch(r"[+-]?\d+", text):
            return None, f"quantity must be a whole number, got {text!r}"
        value = int(text)
    if not isinstance(value, int):
        return None, f"quantity must be a whole number, got {value!r}"
    if value < 1:
        return None, f"quantity must be at least 1, got {value}"
    if value > MAX_QUANTITY:
        return None, f"quantity {value} is more than {MAX_QUANTITY}"
    return value, None


def text_lines(value: Any) -> tuple[str, ...] | None:
    """A marker text as its lines: ``"A\\nB"`` or ``["A", "B"]`` -> ``("A", "B")``."""
    if isinstance(value, list):
        lines = [str(v) for v in value]
    else:
        lines = str(value).replace("\r\n", "\n").split("\n")
    lines = [line.strip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return tuple(lines) or None


# CSV --------------------------------------------------------------------------------------

def _decoded_lines(path: Path, data: bytes, problems: list[Problem]) -> list[tuple[int, str]]:
    """(line number, text) of every line that is UTF-8; a line that is not becomes a problem."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append((number, raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            column = raw[:exc.start].count(b",") + 1
            problems.append(Problem(
                f"not UTF-8 (byte 0x{raw[exc.start]:02x} in column {column}); save the job file "
                "as UTF-8, this line was skipped", file=str(path), line=number,
                field="encoding"))
    return lines


def _read_csv(path: Path, data: bytes) -> Job:
    problems: list[Problem] = []
    job = Job(path.stem, [], problems)
    lines = _decoded_lines(path, data, problems)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.append(Problem("job file is UTF-16; save it as UTF-8", file=str(path), line=1,
                                field="encoding"))
        return job
    numbered = [(n, t) for n, t in lines if t.strip()]
    if not numbered:
        problems.append(Problem("job file is empty", file=str(path)))
        return job
    header_line, header_text = numbered[0]
    delimiter = ";" if header_text.count(";") > header_text.count(",") else ","
    header = [normalise_header(h) for h in next(csv.reader([header_text], delimiter=delimiter))]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.extend(Problem(f"missing column {c!r} in the header; no line of this file can "
                                f"be used", file=str(path), line=header_line, field=c)
                        for c in missing)
        return job
    start: list[int | None] = [None]  # the line the row being read began on

    def body() -> Iterator[str]:
        # every line after the header, blank ones too: a quoted cell may hold them
        for number, text in lines:
            if number > header_line:
                if start[0] is None:
                    start[0] = number
                yield text + "\n"

    for cells in csv.reader(body(), delimiter=delimiter):
        line, start[0] = start[0] or header_line, None
        if not any(c.strip() for c in cells):
            continue
        job.lines_read += 1
        part = _csv_part(path, line, header, cells, problems)
        if part is not None:
            job.parts.append(part)
    return job


def _csv_part(path: Path, line: int, header: list[str], cells: list[str],
              problems: list[Problem]) -> PlacedPart | None:
    values = dict(zip(header, cells, strict=False))
    for name in REQUIRED_COLUMNS:
        if name not in values:
            problems.append(Problem(f"missing column {name!r} on this line ({len(cells)} of "
                                    f"{len(header)} cells)", file=str(path), line=line, field=name))
            return None
    if any(c.strip() for c in cells[len(header):]):
        hint = " (a texts cell holding the separator must be quoted)" if "texts" in header else ""
        problems.append(Problem(f"{len(cells)} cells, the header has {len(header)}{hint}",
                                file=str(path), line=line,
                                field="texts" if "texts" in header else header[-1]))
        return None
    texts = values.get("texts", "")
    positional = tuple(text_lines(t) if t.strip() else None
                       for t in texts.split(TEXT_SEPARATOR)) if texts.strip() else ()
    fields = {"device_tag": values["device_tag"], "item_number": values["item_number"],
              "quantity": values["quantity"], "card": values.get("card", "")}
    return _make_part(str(path), line, fields, positional, (), {}, problems)


# YAML -------------------------------------------------------------------------------------

def _read_yaml(path: Path, data: bytes) -> Job:
    problems: list[Problem] = []
    job = Job(path.stem, [], problems)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        problems.append(Problem(f"not UTF-8 (byte 0x{data[exc.start]:02x}); save the job file as "
                                "UTF-8", file=str(path), line=line, field="encoding"))
        return job
    try:
        nodes = yaml.compose(text, Loader=SafeLoader)
        if nodes is not None:
            check_yaml_nodes(nodes)  # no aliases, duplicate keys, non-finite numbers
        tree = SafeConstructor().construct_document(nodes) if nodes is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(Problem(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=str(path),
                                line=mark.line + 1 if mark else None))
        return job
    parts, part_nodes = tree, nodes
    if isinstance(tree, dict):
        job.name = str(tree.get("job") or job.name)
        parts, part_nodes = tree.get("parts"), _mapping_value(nodes, "parts")
    if not isinstance(parts, list) or part_nodes is None:
        problems.append(Problem("expected a list of parts (or a mapping with `parts:`)",
                                file=str(path), line=1, field="parts"))
        return job
    for index, (item, node) in enumerate(zip(parts, part_nodes.value, strict=True)):
        job.lines_read += 1
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            problems.append(Problem("a part must be a mapping", file=str(path), line=line,
                                    field=f"parts[{index}]"))
            continue
        part = _yaml_part(str(path), line, item, node, problems)
        if part is not None:
            job.parts.append(part)
    return job


def _mapping_value(node: Any, key: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key:
                return value_node
    return None


def _yaml_part(source: str, line: int, item: dict[str, Any], node: Any,
               problems: list[Problem]) -> PlacedPart | None:
    item = {normalise_header(str(k)): v for k, v in item.items()}
    lines = {normalise_header(k.value): k.start_mark.line + 1 for k, _ in node.value}
    for name in REQUIRED_COLUMNS:
        if item.get(name) is None:
            problems.append(Problem(f"missing field {name!r}", file=source, line=line, field=name))
            return None
    positional: tuple[tuple[str, ...] | None, ...] = ()
    by_pole: tuple[tuple[str, tuple[str, ...]], ...] = ()
    texts = item.get("texts")
    if isinstance(texts, list):
        positional = tuple(text_lines(t) if t not in (None, "") else None for t in texts)
    elif isinstance(texts, dict):
        by_pole = tuple((str(k), text_lines(v) or ("",)) for k, v in texts.items())
    elif texts is not None:
        problems.append(Problem("texts must be a list (pole order) or a mapping (pole -> text)",
                                file=source, line=lines.get("texts", line), field="texts"))
        return None
    fields = {"device_tag": item["device_tag"], "item_number": item["item_number"],
              "quantity": item["quantity"], "card": item.get("card") or ""}
    return _make_part(source, line, fields, positional, by_pole, lines, problems)


# shared -----------------------------------------------------------------------------------

def _make_part(source: str, line: int, fields: dict[str, Any],
               positional: tuple[tuple[str, ...] | None, ...],
               by_pole: tuple[tuple[str, tuple[str, ...]], ...], lines: dict[str, int],
               problems: list[Problem]) -> PlacedPart | None:
    def fail(message: str, name: str) -> None:
        problems.append(Problem(message, file=source, line=lines.get(name.split("[")[0], line),
                                field=name))

    tag = str(fields["device_tag"]).strip()
    number = str(fields["item_number"]).strip()
    card = str(fields["card"]).strip() or None
    for name, value in (("device_tag", tag), ("item_number", number)):
        if not value:
            fail(f"{name} is empty", name)
            return None
    for name, value in (("device_tag", tag), ("item_number", number), ("card", card or "")):
        why = check_text(value, name) or (f"{name} has a line break" if "\n" in value else None)
        if why:
            fail(why, name)
            return None
    quantity, why = parse_quantity(fields["quantity"])
    if why:
        fail(why, "quantity")
        return None
    texts = [(f"texts[{i}]", t) for i, t in enumerate(positional) if t] + \
            [(f"texts.{pole}", t) for pole, t in by_pole]
    for name, lines_of_text in texts:
        why = check_text("\n".join(lines_of_text), "text")
        if why:
            fail(why, name)
            return None
    return PlacedPart(source, line, tag, number, quantity or 0, positional, by_pole, card, lines)
