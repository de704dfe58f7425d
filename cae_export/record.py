"""The catalog record: loading, schema validation, typed access, canonical YAML."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema
import yaml

from cae_export.problems import Problem, RecordError
from cae_export.resources import SafeDumper, SafeLoader, schema_path

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
    return [(json_path(e.path), e.message) for e in errors]


@dataclass(frozen=True)
class Record:
    """A validated catalog record with typed access to what the targets need."""

    data: dict[str, Any]
    source: str = ""

    @classmethod
    def from_data(cls, data: Any, source: str = "") -> Record:
        problems = schema_problems(data)
        if problems:
            field, message = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            item = data.get("item_number") if isinstance(data, dict) else None
            raise RecordError(message + more, field=field, record=item if isinstance(item, str) else None,
                              file=source or None)
        return cls(data, source)

    # identity -----------------------------------------------------------------------------
    @property
    def item_number(self) -> str:
        return self.data["item_number"]

    @property
    def manufacturer(self) -> dict[str, str]:
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

    def get(self, dotted: str, default: Any = None) -> Any:
        """``record.get("geometry.width.value")``."""
        node: Any = self.data
        for part in dotted.split("."):
            if isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return default
        return node

    # connections --------------------------------------------------------------------------
    @property
    def pole_count(self) -> int | None:
        conn = self.data.get("connection", {})
        if "poles" in conn:
            return conn["poles"]
        per_connection = [c["poles"] for c in conn.get("connections", []) if "poles" in c]
        return max(per_connection) if per_connection else None

    @property
    def connection_points(self) -> int | None:
        conn = self.data.get("connection", {})
        return conn.get("connection_points") or conn.get("clamping_units") or self.pole_count

    @property
    def points_per_pole(self) -> int:
        poles, points = self.pole_count, self.connection_points
        if poles and points and points % poles == 0:
            return points // poles
        return 1

    @property
    def pole_designations(self) -> list[str]:
        """Per pole: the potential marking (N, PE1, …) if the sheet gives one, else the pole number."""
        mech = self.data.get("mechanical", {})
        marking = mech.get("potential_marking") or mech.get("marking")
        poles = self.pole_count
        if marking and (poles is None or len(marking) == poles):
            return list(marking)
        return [str(n) for n in range(1, (poles or 0) + 1)]

    @property
    def gtin(self) -> str | None:
        return self.get("commercial.gtin")

    @property
    def counterparts(self) -> list[dict[str, Any]]:
        return self.data.get("counterparts", [])

    @property
    def accessories(self) -> list[dict[str, Any]]:
        return self.data.get("accessories", [])

    @property
    def etim(self) -> list[dict[str, str]]:
        return self.get("classification.etim", [])


# YAML -------------------------------------------------------------------------------------

class _RecordDumper(SafeDumper):  # type: ignore[misc,valid-type]
    pass


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_RecordDumper.add_representer(str, _str_representer)


def dump_yaml(data: dict[str, Any]) -> str:
    """Readable, diffable, deterministic: key order as built, unicode kept, block style."""
    return yaml.dump(data, Dumper=_RecordDumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)


def load_yaml_text(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise RecordError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=source,
                          line=line) from None


def load_record_file(path: Path) -> Record:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"not UTF-8 (byte {exc.start})", file=str(path)) from None
    data = load_yaml_text(text, str(path))
    return Record.from_data(data, str(path))


# catalogs ---------------------------------------------------------------------------------

def catalog_files(root: Path) -> list[Path]:
    """Record files of a catalog folder in a stable order."""
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def iter_catalog(root: Path) -> Iterator[Record | Problem]:
    """Yield each record of a catalog (folder of YAML files or a JSON Lines file), or the problem
    that kept it from loading. Never raises for a bad record."""
    from cae_export.bulk import iter_pending, load_all  # bulk builds on this module

    yield from load_all(iter_pending(root))


def record_filename(item_number: str) -> str:
    """``770-744/062-000`` -> ``770-744_062-000.yaml`` (a ``/`` cannot be in a file name)."""
    return item_number.replace("/", "_") + ".yaml"
