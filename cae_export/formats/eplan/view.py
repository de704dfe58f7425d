"""The EPLAN view of a record, shared by the ``eplan`` and ``edz`` targets: the part modelled,
rendered and checked against the schema once per record (picklable, so worker processes can
produce it), and its part number claimed across the build, so two records that map to one
part number are caught whichever of the two targets is built."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from cae_export.core.problems import Problem, RecordError
from cae_export.formats.eplan.model import build_part
from cae_export.formats.eplan.passthrough import kept, stale_lists, with_passthrough
from cae_export.formats.eplan.xml import (
    document_digest,
    render_address,
    render_part,
    validated_document,
)
from cae_export.pipeline.options import BuildOptions
from cae_export.pipeline.target import Findings, View
from cae_export.record import Record


@dataclass(frozen=True)
class RenderedPart:
    record_key: str
    item_number: str
    part_number: str
    part_xml: str
    manufacturer: str
    address_xml: str
    warnings: tuple[tuple[str, str], ...] = ()  # (record field, text)
    address_kept: bool = False  # the address carries what an import kept of it
    # digests of the one-record documents (part; manufacturer's address) checked against the
    # schema as a whole: an EDZ package holding these exact bytes needs no second check
    checked: frozenset[bytes] = frozenset()


class PartView(View):
    name: ClassVar[str] = "EPLAN part"
    clash_rule: ClassVar[str] = "eplan.part-number-clash"

    @classmethod
    def derive(cls, record: Record, options: BuildOptions, context: Any) -> RenderedPart:
        return render_record(record)

    @classmethod
    def claim(cls, value: RenderedPart) -> str:
        # EPLAN would overwrite one part with the other on import
        return value.part_number

    @classmethod
    def clash(cls, key: str, first: str) -> str:
        return f"part number {key} is already used by item {first}"

    @classmethod
    def findings(cls, record: Record, value: RenderedPart) -> Findings:
        return Findings(warnings=tuple(
            Problem(f"eplan: {text}", file=record.source or None, record=record.item_number,
                    field=field, severity="warning",
                    rule="eplan.function-definitions" if field == "kind" else "import.edited")
            for field, text in value.warnings))


def render_record(record: Record) -> RenderedPart:
    """Model, render and schema-check one record; RecordError names the record and field."""
    kept_block = kept(record)
    built = build_part(record)
    stale = stale_lists(built, kept_block)
    part = with_passthrough(built, kept_block)
    warnings = tuple(("kind", text) for text in part.warnings) + tuple(
        ("passthrough.eplan", f"the {name.replace('_', ' ')} kept by the import no longer "
         "apply (the record changed since): written from the record") for name in stale)
    part_xml = render_part(part)
    address_xml = render_address(part.address)
    checked = frozenset((document_digest(validated_document(1, part_xml, part.part_number)),
                         address_digest(address_xml, part.part_number)))
    return RenderedPart(record.key, record.item_number, part.part_number, part_xml,
                        part.address.short_name, address_xml, warnings,
                        "address" in kept_block, checked)


def address_digest(address_xml: str, part_number: str) -> bytes:
    """The digest of the checked one-address document; RecordError naming the part if the
    address fails the schema."""
    digest = _valid_address_digest(address_xml)
    if digest is None:
        validated_document(0, address_xml, part_number)  # raises, worded for this part
    assert digest is not None
    return digest


# Most parts of a catalog share their maker's address: its document is checked once per
# process, not once per part.
@lru_cache(maxsize=256)
def _valid_address_digest(address_xml: str) -> bytes | None:
    try:
        return document_digest(validated_document(0, address_xml, ""))
    except RecordError:
        return None


def single_part_document(rendered: RenderedPart, with_address: bool = True) -> list[str]:
    """The body of a document holding one part (and its manufacturer's address)."""
    return [rendered.part_xml, rendered.address_xml] if with_address else [rendered.part_xml]
