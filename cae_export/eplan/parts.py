"""One record rendered for EPLAN: the validated <part> and <address> fragments (picklable, so
worker processes can produce them), and file names derived from the part number."""

from __future__ import annotations

from dataclasses import dataclass

from cae_export.eplan.model import build_part
from cae_export.eplan.xml import render_address, render_part, validated_fragment
from cae_export.record import Record


@dataclass(frozen=True)
class RenderedPart:
    record_key: str
    item_number: str
    part_number: str
    part_xml: str
    manufacturer: str
    address_xml: str


class _LastRendered:
    """The eplan and edz targets render the same record one after the other (in the same
    process): the second one reuses the first one's result instead of doing it again."""

    record: Record | None = None
    rendered: RenderedPart | None = None


def render_record(record: Record) -> RenderedPart:
    """Model, render and schema-check one record; RecordError names the record and field."""
    if _LastRendered.record is record and _LastRendered.rendered is not None:
        return _LastRendered.rendered
    rendered = _render(record)
    _LastRendered.record, _LastRendered.rendered = record, rendered
    return rendered


def _render(record: Record) -> RenderedPart:
    part = build_part(record)
    part_xml = validated_fragment(render_part(part), part.part_number)
    address_xml = validated_fragment(render_address(part.address), part.part_number)
    return RenderedPart(record.key, record.item_number, part.part_number, part_xml,
                        part.address.short_name, address_xml)


def single_part_document(rendered: RenderedPart, with_address: bool = True) -> list[str]:
    """The body of a document holding one part (and its manufacturer's address)."""
    return [rendered.part_xml, rendered.address_xml] if with_address else [rendered.part_xml]
