"""The catalog record: schema validation and typed access (catalog I/O is in ``catalog``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import fastjsonschema
import jsonschema

from cae_export.core.paths import resolve
from cae_export.core.problems import MAX_QUOTED, RecordError, quoted
from cae_export.core.resources import schema_path
from cae_export.record_types import (
    Approval,
    ClassificationEclassItem,
    ClassificationEtimItem,
    Commercial,
    Connection,
    ConnectionSection,
    Download,
    Geometry,
    Manufacturer,
    Material,
    Mechanical,
    Rating,
    RecordData,
    RelatedItem,
    Temperatures,
)

RECORD_SCHEMA_FILE = "record.schema.json"


@cache
def record_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(schema_path(RECORD_SCHEMA_FILE).read_text(encoding="utf-8"))
    cls = jsonschema.Draft202012Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def json_path(parts: Any) -> str:
    """``['electrical', 'ratings', 0, 'value']`` -> ``electrical.ratings[0].value``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(record)"


@cache
def fast_record_check() -> Callable[[Any], Any]:
    """The record schema compiled to Python code: about 10x faster than the jsonschema
    validator, so it decides the common case (a valid record); jsonschema words the errors."""
    return fastjsonschema.compile(inline_local_refs(record_validator().schema))


LOCAL_DEF = "#/$defs/"


def inline_local_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema with every ``{"$ref": "#/$defs/x"}`` replaced by the definition itself.

    fastjsonschema compiles a reference into a function call whose field name it formats
    before the call, valid or not; inlined, the name is only formatted for an error. That
    makes checking a valid record about 40% faster. (The record schema is not recursive.)
    """
    defs = schema.get("$defs", {})

    def inline(node: Any, depth: int) -> Any:
        if depth > len(defs):
            raise ValueError("recursive $defs cannot be inlined")
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(LOCAL_DEF) and len(node) == 1:
                return inline(defs[ref.removeprefix(LOCAL_DEF)], depth + 1)
            return {key: inline(value, depth) for key, value in node.items() if key != "$defs"}
        if isinstance(node, list):
            return [inline(value, depth) for value in node]
        return node

    return inline(schema, 0)


def schema_problems(data: Any) -> list[tuple[str, str]]:
    """(field path, message) for every schema violation, in a stable order."""
    try:
        fast_record_check()(data)
        return []
    except fastjsonschema.JsonSchemaException:
        pass  # jsonschema is the authority: it names every problem (or finds none)
    errors = sorted(record_validator().iter_errors(data), key=lambda e: (json_path(e.path), e.message))
    return [(json_path(e.path), readable_message(e)) for e in errors]


def readable_message(error: jsonschema.ValidationError) -> str:
    """jsonschema's message with the value it quotes shortened (a 1 MB value, a 300-digit
    number): the line stays readable and says how long the value really is."""
    if isinstance(error.instance, (str, int, float)) and not isinstance(error.instance, bool):
        full = repr(error.instance)
        if len(full) > MAX_QUOTED:
            return error.message.replace(full, quoted(error.instance))
    return error.message


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _ordered(value: Any, node: dict[str, Any], root: dict[str, Any]) -> Any:
    node = _resolve(node, root)
    if isinstance(value, dict) and "properties" in node:
        props = node["properties"]
        known = [k for k in props if k in value]
        result = {k: _ordered(value[k], props[k], root) for k in known}
        result.update({k: v for k, v in value.items() if k not in props})
        return result
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return [_ordered(v, node["items"], root) for v in value]
    return value


def order_record(record: dict[str, Any]) -> dict[str, Any]:
    """Keys in the schema's order at every level: records diff well across sheets."""
    schema = record_validator().schema
    return _ordered({"schema_version": 1, **record}, schema, schema)


# the fields a record cannot do without: a source value that does not fit one refuses it
ESSENTIAL_FIELDS = ("schema_version", "item_number", "manufacturer", "description")
MAX_FIT_ROUNDS = 50


def fitted(data: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """``data`` (mapped from a source file) with every optional value the record schema
    refuses taken out: the list item or key at the error's path. Returns the data and the
    (path, message) of each value taken out; raises RecordError where an essential field
    (``ESSENTIAL_FIELDS``) does not fit, naming it."""
    dropped: list[tuple[str, str]] = []
    for _round in range(MAX_FIT_ROUNDS):
        try:
            fast_record_check()(data)
            return data, dropped  # the common case, decided by the compiled check
        except fastjsonschema.JsonSchemaException:
            pass
        errors = sorted(record_validator().iter_errors(data), key=lambda e: json_path(e.path))
        if not errors:
            return data, dropped
        for error in errors:
            path = list(error.absolute_path)
            if not path or path[0] in ESSENTIAL_FIELDS:
                raise RecordError(readable_message(error), field=json_path(path),
                                  record=data.get("item_number") if isinstance(
                                      data.get("item_number"), str) else None,
                                  rule="record.schema")
        error = errors[0]
        path = list(error.absolute_path)
        dropped.append((json_path(path), readable_message(error)))
        _remove(data, path)
    raise RecordError("the mapped record does not fit the record schema", field="(record)",
                      rule="record.schema")


def _remove(data: Any, path: list[Any]) -> None:
    """Take out the innermost list item on ``path`` (the whole related item, download, …), or
    the key at its end; a container left empty goes too."""
    cut = max((n for n, step in enumerate(path) if isinstance(step, int)), default=len(path) - 1)
    parents = [data]
    for step in path[:cut]:
        parents.append(parents[-1][step])
    del parents[-1][path[cut]]
    for level in range(cut, 0, -1):  # empty containers on the way up
        if parents[level] in ({}, []):
            del parents[level - 1][path[level - 1]]
        else:
            break


@dataclass(frozen=True)
class Record:
    """A validated catalog record with typed access to its parts.

    ``data`` stays the plain mapping that was loaded and schema-checked (no copy, no objects
    built per record: loading stays as fast as parsing); the properties give its parts their
    types from ``record_types``, generated from the record schema.
    """

    data: RecordData
    source: str = ""

    @classmethod
    def from_data(cls, data: Any, source: str = "") -> Record:
        problems = schema_problems(data)
        if problems:
            field, message = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            item = data.get("item_number") if isinstance(data, dict) else None
            raise RecordError(message + more, field=field, record=item if isinstance(item, str) else None,
                              file=source or None, rule="record.schema")
        return cls(data, source)

    # identity -----------------------------------------------------------------------------
    @property
    def item_number(self) -> str:
        return self.data["item_number"]

    @property
    def manufacturer(self) -> Manufacturer:
        return self.data["manufacturer"]

    @property
    def manufacturer_short(self) -> str:
        return self.data["manufacturer"]["short_name"]

    @property
    def key(self) -> str:
        """Stable identity across the catalog: manufacturer short name + item number."""
        return f"{self.manufacturer_short}.{self.item_number}"

    @property
    def descriptions(self) -> dict[str, str]:
        return self.data["description"]

    def description(self, lang: str = "en") -> str:
        texts = self.descriptions
        return texts.get(lang) or next(iter(texts.values()))

    @property
    def kind(self) -> str | None:
        return self.data.get("kind")

    @property
    def url(self) -> str | None:
        return self.data.get("url")

    def get(self, path: str, default: Any = None) -> Any:
        """The value at a record path (``core.paths`` syntax, as the mapping files use), for
        data-driven lookups; code reads the record through the typed properties."""
        value = resolve(self.data, path)
        return default if value is None else value

    @property
    def features(self) -> list[str]:
        return self.data.get("features", [])

    @property
    def overview(self) -> list[str]:
        return self.data.get("overview", [])

    # sections -----------------------------------------------------------------------------
    @property
    def ratings(self) -> list[Rating]:
        return self.data.get("electrical", {}).get("ratings", [])

    @property
    def connection(self) -> ConnectionSection:
        return self.data.get("connection", {})

    @property
    def connections(self) -> list[Connection]:
        return self.connection.get("connections", [])

    @property
    def geometry(self) -> Geometry:
        return self.data.get("geometry", {})

    @property
    def mechanical(self) -> Mechanical:
        return self.data.get("mechanical", {})

    @property
    def material(self) -> Material:
        return self.data.get("material", {})

    @property
    def temperatures(self) -> Temperatures:
        return self.data.get("temperatures", {})

    @property
    def commercial(self) -> Commercial:
        return self.data.get("commercial", {})

    @property
    def gtin(self) -> str | None:
        return self.commercial.get("gtin")

    @property
    def etim(self) -> list[ClassificationEtimItem]:
        return self.data.get("classification", {}).get("etim", [])

    @property
    def eclass(self) -> list[ClassificationEclassItem]:
        return self.data.get("classification", {}).get("eclass", [])

    @property
    def unspsc(self) -> str | None:
        return self.data.get("classification", {}).get("unspsc")

    @property
    def approvals(self) -> list[Approval]:
        return self.data.get("approvals", [])

    @property
    def counterparts(self) -> list[RelatedItem]:
        return self.data.get("counterparts", [])

    @property
    def accessories(self) -> list[RelatedItem]:
        return self.data.get("accessories", [])

    @property
    def downloads(self) -> list[Download]:
        return self.data.get("downloads", [])

    # connections --------------------------------------------------------------------------
    @property
    def pole_count(self) -> int | None:
        conn = self.connection
        if "poles" in conn:
            return conn["poles"]
        per_connection = [c["poles"] for c in conn.get("connections", []) if "poles" in c]
        return max(per_connection) if per_connection else None

    @property
    def connection_points(self) -> int | None:
        conn = self.connection
        return conn.get("connection_points") or conn.get("clamping_units") or self.pole_count

    @property
    def points_per_pole(self) -> int:
        poles, points = self.pole_count, self.connection_points
        if poles and points and points % poles == 0:
            return points // poles
        return 1

    @property
    def marking_field(self) -> str:
        """The record field the pole designations come from."""
        return ("mechanical.potential_marking" if self.mechanical.get("potential_marking")
                else "mechanical.marking")

    @property
    def pole_designations(self) -> list[str]:
        """Per pole: the potential marking (N, PE1, …) if the sheet gives one, else the pole number."""
        mech = self.mechanical
        marking = mech.get("potential_marking") or mech.get("marking")
        poles = self.pole_count
        if marking and (poles is None or len(marking) == poles):
            return list(marking)
        return [str(n) for n in range(1, (poles or 0) + 1)]
