"""The record's Python types are generated from the record JSON Schema and cannot drift."""

from __future__ import annotations

import typing

from conftest import REPO

from cae_export import record_types
from cae_export.record import Record
from cae_export.typegen import ROOT, load_schema, render_module


def test_record_types_module_is_generated_from_the_schema() -> None:
    committed = (REPO / "cae_export" / "record_types.py").read_text(encoding="utf-8")
    assert render_module(load_schema()) == committed, (
        "the record schema changed: run `python -m cae_export.typegen` and commit the result")


def test_types_name_every_schema_property_with_its_required_keys() -> None:
    schema = load_schema()
    root = getattr(record_types, ROOT)
    assert set(typing.get_type_hints(root)) == set(schema["properties"])
    assert root.__required_keys__ == frozenset(schema["required"])
    rating = schema["$defs"]["rating"]
    assert set(typing.get_type_hints(record_types.Rating)) == set(rating["properties"])
    assert record_types.Rating.__required_keys__ == frozenset(rating["required"])


def test_typed_sections_read_what_the_record_holds() -> None:
    from conftest import CATALOG

    from cae_export.catalog import load_record_file

    record: Record = load_record_file(CATALOG / "wago" / "770-1324.yaml")
    assert record.ratings == record.data["electrical"]["ratings"]
    assert record.connections == record.data["connection"]["connections"]
    assert record.geometry["width"] == record.get("geometry.width")
    assert record.etim == record.data.get("classification", {}).get("etim", [])
