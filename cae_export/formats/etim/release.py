"""Read an ETIM classification release in the official CSV layout (folder or zip).

One file per table, named after the table (``ETIMARTCLASS.csv`` …), a header row, semicolon
separated, UTF-16LE without BOM. Only what the exporters need is kept: classes with their
features (type, unit, order, allowed values), feature/unit/value names. Every problem is an
``EtimModelError`` naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from cae_export.core.problems import Problem

FEATURE_TYPES = {"A": "alphanumeric", "N": "numeric", "L": "logical", "R": "range"}

# table -> columns the loader reads (more columns are allowed and ignored)
TABLES: dict[str, tuple[str, ...]] = {
    "ETIMFEATURE": ("FEATUREID", "FEATUREDESC"),
    "ETIMUNIT": ("UNITOFMEASID", "UNITDESC"),
    "ETIMVALUE": ("VALUEID", "VALUEDESC"),
    "ETIMARTCLASS": ("ARTCLASSID", "ARTGROUPID", "ARTCLASSDESC", "ARTCLASSVERSION"),
    "ETIMARTCLASSFEATUREMAP": ("ARTCLASSFEATURENR", "ARTCLASSID", "FEATUREID", "FEATURETYPE",
                               "UNITOFMEASID", "SORTNR"),
    "ETIMARTCLASSFEATUREVALUEMAP": ("ARTCLASSFEATUREVALUENR", "ARTCLASSFEATURENR", "VALUEID",
                                    "SORTNR"),
}

CODE_PATTERNS = {
    "ARTCLASSID": re.compile(r"EC[0-9]{6}"),
    "FEATUREID": re.compile(r"EF[0-9]{6}"),
    "UNITOFMEASID": re.compile(r"EU[0-9]{6}"),
    "VALUEID": re.compile(r"EV[0-9]{6}"),
}
_RELEASE_IN_NAME = re.compile(r"ETIM[-_ ]?([0-9]{1,2}\.[0-9])", re.IGNORECASE)
_BOM = b"\xff\xfe"


class EtimModelError(Exception):
    """The ETIM model cannot be read; names file, line and column."""

    def __init__(self, message: str, *, file: str, line: int | None = None,
                 column: str | None = None) -> None:
        super().__init__(message)
        self.problem = Problem(message, file=file, line=line, field=column)

    def __str__(self) -> str:
        return str(self.problem)


@dataclass(frozen=True)
class ClassFeature:
    """One feature as a class uses it."""

    code: str
    name: str
    type: str                      # A | N | L | R
    unit: str | None               # ETIM unit code (EU…) for N and R features
    sort: int
    values: tuple[str, ...] = ()   # allowed value codes (EV…) for A features


@dataclass(frozen=True)
class EtimClass:
    code: str
    name: str
    group: str
    version: int | None
    features: tuple[ClassFeature, ...]

    def feature(self, code: str) -> ClassFeature | None:
        return next((f for f in self.features if f.code == code), None)


@dataclass
class EtimModel:
    """What the exporters need from one ETIM release."""

    source: str
    release: str | None
    classes: dict[str, EtimClass]
    feature_names: dict[str, str]
    unit_names: dict[str, str]
    value_names: dict[str, str]
    _feature_by_name: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        by_name: dict[str, list[str]] = {}
        for code, name in sorted(self.feature_names.items()):
            by_name.setdefault(name.casefold(), []).append(code)
        self._feature_by_name = by_name

    def features_named(self, name: str) -> list[str]:
        """Feature codes whose ETIM name is ``name`` (case-insensitive)."""
        return self._feature_by_name.get(name.casefold(), [])

    def value_code(self, feature: ClassFeature, text: str) -> str | None:
        """The allowed value of ``feature`` whose name is ``text`` (case-insensitive)."""
        wanted = text.casefold()
        for code in feature.values:
            if self.value_names.get(code, "").casefold() == wanted:
                return code
        return None


# reading ----------------------------------------------------------------------------------

def release_from_name(path: Path) -> str | None:
    """``ETIM-10.0-ALL-SECTORS-CSV-METRIC-EI-2024-12-05.zip`` -> ``10.0``."""
    match = _RELEASE_IN_NAME.search(path.name)
    return match.group(1) if match else None


def _table_sources(path: Path) -> dict[str, tuple[str, bytes | Path]]:
    """Table name -> (display name, bytes or file) for a folder or a zip."""
    found: dict[str, tuple[str, bytes | Path]] = {}
    if path.is_dir():
        for file in sorted(path.rglob("*")):
            if file.is_file() and file.stem.upper() in TABLES:
                found.setdefault(file.stem.upper(), (str(file), file))
        return found
    try:
        with zipfile.ZipFile(path) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                stem = Path(info.filename).stem.upper()
                if not info.is_dir() and stem in TABLES and stem not in found:
                    found[stem] = (f"{path}!{info.filename}", archive.read(info))
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise EtimModelError(f"not a readable zip archive ({exc})", file=str(path)) from None
    return found


def _decode(raw: bytes, name: str) -> str:
    """UTF-16LE without BOM, with errors that say what the file looks like instead."""
    if not raw:
        raise EtimModelError("empty file", file=name)
    if raw.startswith(_BOM):  # tolerated: some tools add one
        raw = raw[2:]
    if raw[:1] == b"\x00" and raw[1:2] not in (b"", b"\x00"):
        raise EtimModelError("wrong encoding: looks like UTF-16 big-endian, expected UTF-16LE",
                             file=name, line=1)
    if b"\x00" not in raw[:400]:
        raise EtimModelError("wrong encoding: looks like UTF-8 or an 8-bit code page, "
                             "expected UTF-16LE (as in the official ETIM CSV release)",
                             file=name, line=1)
    if len(raw) % 2:
        lines = raw[: len(raw) - 1].decode("utf-16-le", errors="replace").count("\n") + 1
        raise EtimModelError("truncated: odd number of bytes in a UTF-16LE file", file=name,
                             line=lines)
    try:
        return raw.decode("utf-16-le")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start - exc.start % 2].decode("utf-16-le", errors="replace").count("\n")
        raise EtimModelError(f"not valid UTF-16LE ({exc.reason})", file=name,
                             line=line + 1) from None


def _rows(table: str, name: str, raw: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: value}) for each data row, checked for completeness."""
    text = _decode(raw, name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        header = next(reader, None)
        if not header:
            raise EtimModelError("no header row", file=name, line=1)
        columns = [h.strip().upper() for h in header]
        positions = {}
        for wanted in TABLES[table]:
            position = _column_position(columns, wanted)
            if position is None:
                raise EtimModelError(f"table {table}: column {wanted} missing (header: "
                                     f"{';'.join(header)[:120]})", file=name, line=1,
                                     column=wanted)
            positions[wanted] = position
        for row in reader:
            if not row or row == [""]:
                continue
            if len(row) < len(columns):
                raise EtimModelError(f"{len(row)} fields, the header has {len(columns)} "
                                     "(truncated file?)", file=name, line=reader.line_num)
            yield reader.line_num, {c: row[p].strip() for c, p in positions.items()}
    except csv.Error as exc:
        raise EtimModelError(f"not valid CSV: {exc}", file=name, line=reader.line_num) from None


def _column_position(columns: list[str], wanted: str) -> int | None:
    # official files have no language suffix; some exports add one (ARTCLASSDESC_EN)
    for candidate in (wanted, wanted + "_EN"):
        if candidate in columns:
            return columns.index(candidate)
    return None


def _code(value: str, column: str, name: str, line: int, *, optional: bool = False) -> str:
    if optional and value == "":
        return ""
    if not CODE_PATTERNS[column].fullmatch(value):
        raise EtimModelError(f"{value!r} is not a valid {column}", file=name, line=line,
                             column=column)
    return value


def _int(value: str, column: str, name: str, line: int) -> int:
    try:
        return int(value)
    except ValueError:
        raise EtimModelError(f"{value!r} is not a whole number", file=name, line=line,
                             column=column) from None


def _names(table: str, sources: dict[str, tuple[str, bytes | Path]], key: str,
           text: str) -> dict[str, str]:
    name, raw = _source_bytes(table, sources)
    result = {}
    for line, row in _rows(table, name, raw):
        result[_code(row[key], key, name, line)] = row[text]
    return result


def _source_bytes(table: str, sources: dict[str, tuple[str, bytes | Path]]) -> tuple[str, bytes]:
    name, source = sources[table]
    return name, source.read_bytes() if isinstance(source, Path) else source


def load_model(path: Path) -> EtimModel:
    """Load the tables of an ETIM CSV release from a folder or a zip."""
    if not path.exists():
        raise EtimModelError("ETIM model not found", file=str(path))
    sources = _table_sources(path)
    missing = [t for t in TABLES if t not in sources]
    if missing:
        raise EtimModelError(f"table(s) missing: {', '.join(missing)} (expected one file per "
                             "table, named after it, e.g. ETIMARTCLASS.csv)", file=str(path))
    features = _names("ETIMFEATURE", sources, "FEATUREID", "FEATUREDESC")
    units = _names("ETIMUNIT", sources, "UNITOFMEASID", "UNITDESC")
    values = _names("ETIMVALUE", sources, "VALUEID", "VALUEDESC")
    classes = _read_classes(sources)
    class_features = _read_class_features(sources, classes, features, units)
    allowed = _read_allowed_values(sources, class_features, values)
    per_class: dict[str, list[tuple[ClassFeature, str]]] = {}
    for class_code, feature, number in class_features.values():
        per_class.setdefault(class_code, []).append((feature, number))
    built = {}
    for code, (name, group, version) in sorted(classes.items()):
        ordered = sorted(per_class.get(code, []), key=lambda fn: (fn[0].sort, fn[0].code))
        built[code] = EtimClass(code, name, group, version, tuple(
            replace(feature, values=tuple(v for _, v in sorted(allowed.get(number, []))))
            for feature, number in ordered))
    return EtimModel(str(path), release_from_name(path), built, features, units, values)


def _read_classes(sources: dict[str, tuple[str, bytes | Path]]
                  ) -> dict[str, tuple[str, str, int | None]]:
    name, raw = _source_bytes("ETIMARTCLASS", sources)
    classes = {}
    for line, row in _rows("ETIMARTCLASS", name, raw):
        code = _code(row["ARTCLASSID"], "ARTCLASSID", name, line)
        version = _int(row["ARTCLASSVERSION"], "ARTCLASSVERSION", name, line) \
            if row["ARTCLASSVERSION"] else None
        classes[code] = (row["ARTCLASSDESC"], row["ARTGROUPID"], version)
    return classes


def _read_class_features(sources: dict[str, tuple[str, bytes | Path]],
                         classes: dict[str, tuple[str, str, int | None]],
                         features: dict[str, str], units: dict[str, str]
                         ) -> dict[str, tuple[str, ClassFeature, str]]:
    table = "ETIMARTCLASSFEATUREMAP"
    name, raw = _source_bytes(table, sources)
    result = {}
    for line, row in _rows(table, name, raw):
        class_code = _code(row["ARTCLASSID"], "ARTCLASSID", name, line)
        feature = _code(row["FEATUREID"], "FEATUREID", name, line)
        unit = _code(row["UNITOFMEASID"], "UNITOFMEASID", name, line, optional=True) or None
        kind = row["FEATURETYPE"]
        if kind not in FEATURE_TYPES:
            raise EtimModelError(f"feature type {kind!r} is not one of A, N, L, R", file=name,
                                 line=line, column="FEATURETYPE")
        for code, known, column in ((class_code, classes, "ARTCLASSID"),
                                    (feature, features, "FEATUREID"),
                                    (unit, units, "UNITOFMEASID")):
            if code is not None and code not in known:
                raise EtimModelError(f"{code} is not defined in its table", file=name, line=line,
                                     column=column)
        number = row["ARTCLASSFEATURENR"]
        sort = _int(row["SORTNR"], "SORTNR", name, line)
        result[number] = (class_code,
                          ClassFeature(feature, features[feature], kind, unit, sort), number)
    return result


def _read_allowed_values(sources: dict[str, tuple[str, bytes | Path]],
                         class_features: dict[str, tuple[str, ClassFeature, str]],
                         values: dict[str, str]) -> dict[str, list[tuple[int, str]]]:
    table = "ETIMARTCLASSFEATUREVALUEMAP"
    name, raw = _source_bytes(table, sources)
    allowed: dict[str, list[tuple[int, str]]] = {}
    for line, row in _rows(table, name, raw):
        number = row["ARTCLASSFEATURENR"]
        value = _code(row["VALUEID"], "VALUEID", name, line)
        if number not in class_features:
            raise EtimModelError(f"{number} is not an ARTCLASSFEATURENR of "
                                 "ETIMARTCLASSFEATUREMAP", file=name, line=line,
                                 column="ARTCLASSFEATURENR")
        if value not in values:
            raise EtimModelError(f"{value} is not defined in ETIMVALUE", file=name, line=line,
                                 column="VALUEID")
        allowed.setdefault(number, []).append(
            (_int(row["SORTNR"], "SORTNR", name, line), value))
    return allowed


# writing (test fixtures, and users who trim a release to their classes) --------------------

def write_table(folder: Path, table: str, header: list[str], rows: list[list[str]]) -> Path:
    """Write one table the way ETIM ships it: ``;``-separated, CRLF, UTF-16LE, no BOM."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = folder / f"{table}.csv"
    path.write_bytes(buffer.getvalue().encode("utf-16-le"))
    return path


__all__ = ["FEATURE_TYPES", "TABLES", "ClassFeature", "EtimClass", "EtimModel", "EtimModelError",
           "load_model", "release_from_name", "write_table"]
