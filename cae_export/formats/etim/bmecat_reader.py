"""Reading BMEcat ETIM 5.0 catalogs back into catalog records (the reverse of ``bmecat``).

The file is read as a stream (lxml iterparse, entities, DTDs and network off): the HEADER
first, then one PRODUCT at a time, each dropped once read, so a large catalog imports in flat
memory. A product maps back with the BMEcat settings of the ETIM mapping read the other way:
item number, descriptions per language, GTIN, manufacturer (with the header's supplier
address), ETIM features as stated, packaging, price, documents (MIME), series, RoHS,
references, customs number and origin. Everything else is found by rendering the record with
the BMEcat writer and keeping the difference as element edits (``core.xml_residual``) in
``passthrough.bmecat``; the writer applies them again, in the source's element order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from cae_export.core.problems import Problem, RecordError
from cae_export.core.xml import SAFE_PARSE_OPTIONS
from cae_export.core.xml_residual import fingerprint, local, xml_residual
from cae_export.formats.etim.bmecat import (
    KEYS,
    NEW_CATALOG,
    NS,
    PASSTHROUGH,
    PRODUCT_DATA,
    BmecatContext,
    header_element,
    product_element,
    q,
)
from cae_export.formats.etim.bmecat_inputs import BmecatInputs, HeaderSettings
from cae_export.formats.etim.catalogue import DEFAULT_VALIDITY_START
from cae_export.formats.etim.classification import (
    build_context,
    classify,
    fields_from_features,
)
from cae_export.formats.etim.mapping import load_mapping
from cae_export.formats.etim.xchange_reader import short_name
from cae_export.pipeline.reader import Imported, Reader, Sample
from cae_export.record import Record, fitted, order_record

TRANSACTIONS = (NEW_CATALOG, PRODUCT_DATA, "T_UPDATE_PRODUCTS")
# ISO 639-2 has a second (bibliographic) code for some languages; both are documented
ALIASES = {"ger": "deu", "dut": "nld", "fre": "fra", "cze": "ces", "chi": "zho"}
SYSTEM_NAME = re.compile(r"ETIM-([0-9]+\.[0-9]+)")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
# header elements the writer sets itself (not kept; said where a file has its own)
HEADER_COMPUTED = (("GENERATOR_INFO#1",), ("CATALOG#1", "CATALOG_ID#1"),
                   ("CATALOG#1", "DATETIME[generation_date]"))


class BmecatReader(Reader):
    name: ClassVar[str] = "bmecat"
    summary: ClassVar[str] = "BMEcat ETIM 5.0 catalog"

    @classmethod
    def recognises(cls, sample: Sample) -> bool:
        root = sample.xml_root
        return root is not None and root.localname == "BMECAT"

    @classmethod
    def read(cls, path: Path) -> Iterator[Imported | Problem]:
        source = str(path)
        root = Sample(path).xml_root
        if root is not None and root.namespace != NS:
            yield Problem(f"BMEcat namespace {root.namespace or '(none)'}: only the ETIM "
                          f"guideline 5.0 namespace {NS} is read", file=source)
            return
        state = ReadState(source)
        try:
            for _event, element in etree.iterparse(
                    source, events=("end",), tag=(q("HEADER"), q("PRODUCT")),
                    **SAFE_PARSE_OPTIONS):
                if element.tag == q("HEADER"):
                    yield from state.header(element)
                    continue
                parent = element.getparent()
                transaction = local(parent) if parent is not None else ""
                if transaction in TRANSACTIONS:
                    yield state.product(element, transaction)
                    element.clear()
                    while element.getprevious() is not None:
                        del parent[0]
        except etree.XMLSyntaxError as exc:
            yield Problem(f"not well-formed XML: {exc}", file=source)


class ReadState:
    """What the header says, for the products after it."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.mapping = load_mapping()
        self.config = self.mapping.bmecat
        self.languages = {code: lang for lang, code in self.config["languages"].items()}
        self.default = "eng"
        self.supplier: dict[str, str] = {}
        self.header_source: etree._Element | None = None
        self.date = DEFAULT_VALIDITY_START
        self.context = build_context(None)
        self.number = 0
        self.tags: dict[str, str] = {}          # record language -> the file's code
        self.short_names: dict[str, str] = {}   # manufacturer name -> its short name

    def header(self, element: etree._Element) -> Iterator[Problem]:
        catalog = element.find(q("CATALOG"))
        if catalog is not None:
            default = next((e.text for e in catalog.findall(q("LANGUAGE"))
                            if e.get("default") == "true"), None)
            self.default = ALIASES.get(default or "", default or "eng")
            date = catalog.findtext(f"{q('DATETIME')}[@type='generation_date']/{q('DATE')}")
            if date:
                self.date = date
            catalog_id = catalog.findtext(q("CATALOG_ID"))
            if catalog_id and not catalog_id.startswith("CAE-"):
                yield Problem(f"CATALOG_ID {catalog_id!r} is not kept: the writer derives the "
                              "id from the products", file=self.source, field="CATALOG_ID",
                              severity="warning")
            if date and date != DEFAULT_VALIDITY_START:
                yield Problem(f"generation date {date} is not kept: give it at export with "
                              f"build --validity-start {date}", file=self.source,
                              field="CATALOG/DATETIME", severity="warning")
        party = element.find(q("SUPPLIER"))
        if party is not None:
            self.supplier = {"name": party.findtext(q("SUPPLIER_NAME")) or ""}
            address = party.find(q("ADDRESS"))
            if address is not None:
                for tag, key in (("STREET", "street"), ("ZIP", "postal_code"), ("CITY", "city"),
                                 ("EMAIL", "email"), ("URL", "web")):
                    value = address.findtext(q(tag))
                    if value:
                        self.supplier[key] = value
        self.header_source = element

    # one product --------------------------------------------------------------------------

    def product(self, element: etree._Element, transaction: str) -> Imported | Problem:
        self.number += 1
        where = f"PRODUCT[{self.number}]"
        item = element.findtext(q("SUPPLIER_PID"))
        label = item or where
        if not item:
            return Problem("product without SUPPLIER_PID", file=self.source, record=label,
                           field="SUPPLIER_PID")
        if element.get("mode") == "delete":
            return Problem("mode=\"delete\": a deletion is not a record, not imported",
                           file=self.source, record=label, field="mode", severity="warning")
        kind = NEW_CATALOG if transaction == NEW_CATALOG else PRODUCT_DATA
        self.tags = {}
        try:
            mapped = order_record(self.record_data(element, item))
            fields_from_features(mapped, self.mapping)
            price = self.price(element)
            early = {**({"price": price} if price else {}),
                     **({"languages": dict(self.tags)} if self.tags else {})}
            if early:
                mapped["passthrough"] = {PASSTHROUGH: early}
            data, dropped = fitted(mapped)
            record = Record.from_data(data, self.source)
            context = BmecatContext(BmecatInputs(prices={} if kind == NEW_CATALOG else None),
                                    self.config, self.date, kind)
            rendered, _languages = product_element(record, classify(record, self.context),
                                                   context)
        except RecordError as exc:
            return exc.with_context(record=label, file=self.source).problem
        kept: dict[str, Any] = {"transaction": kind, **early}
        ops = xml_residual(element, rendered, KEYS, NS)
        if transaction != kind:  # T_UPDATE_PRODUCTS: its mode is the record's only change
            ops = [op for op in ops if not (op["op"] == "attributes" and not op["at"])]
        if ops:
            kept["product"] = ops
            kept["made"] = fingerprint(rendered)
        header_ops = self.header_residual(record)
        if header_ops:
            kept["header"] = header_ops
        if set(kept) != {"transaction"}:
            data["passthrough"] = {PASSTHROUGH: kept}
        warnings = tuple(Problem(f"{message}: kept in passthrough.bmecat only", file=self.source,
                                 record=label, field=path, severity="warning")
                         for path, message in dropped)
        return Imported(data, label, warnings)

    def header_residual(self, record: Record) -> list[dict[str, Any]]:
        """The header's own facts, once (with the first product imported): the edits from the
        header the writer would make for this record to the file's header."""
        if self.header_source is None:
            return []
        source, self.header_source = self.header_source, None
        codes = {**self.config["languages"], **self.tags}
        languages = [codes[lang] for lang in record.descriptions if lang in codes]
        rendered = header_element(HeaderSettings(), languages, dict(record.manufacturer),
                                  "-", self.date, self.config)
        ops = xml_residual(source, rendered, KEYS, NS)
        return [op for op in ops if not _computed(op)]

    def record_data(self, element: etree._Element, item: str) -> dict[str, Any]:
        details = element.find(q("PRODUCT_DETAILS"))
        udx = element.find(q("USER_DEFINED_EXTENSIONS"))
        maker = (details.findtext(q("MANUFACTURER_NAME")) if details is not None else None) \
            or self.supplier.get("name") or ""
        acronym = udx.findtext(q("UDX.EDXF.MANUFACTURER_ACRONYM")) if udx is not None else None
        # one short name per manufacturer (its records share a catalog folder)
        short = self.short_names.setdefault(maker, acronym or short_name(maker))
        manufacturer: dict[str, str] = {"name": maker, "short_name": short}
        if maker == self.supplier.get("name"):
            manufacturer.update({k: v for k, v in self.supplier.items() if k != "name"})
        data: dict[str, Any] = {"schema_version": 1, "item_number": item,
                                "manufacturer": manufacturer,
                                "description": self.texts(details, "DESCRIPTION_SHORT")}
        long_texts = self.texts(details, "DESCRIPTION_LONG")
        long_text = long_texts.get("en") or next(iter(long_texts.values()), None)
        if long_text:
            data["features"] = long_text.split("\n")
        commercial: dict[str, Any] = {}
        gtin = details.findtext(f"{q('INTERNATIONAL_PID')}[@type='gtin']") \
            if details is not None else None
        if gtin:
            commercial["gtin"] = gtin
        self.packaging(element, udx, commercial)
        self.logistics(element, commercial)
        if commercial:
            data["commercial"] = commercial
        etim = self.features(element)
        if etim:
            data["classification"] = {"etim": etim}
        if udx is not None:
            self.extensions(udx, data)
        self.references(element, data)
        return data

    def language(self, element: etree._Element) -> str | None:
        code = element.get("lang") or self.default
        lang = self.languages.get(ALIASES.get(code, code))
        if lang is not None and code != self.config["languages"][lang] and element.get("lang"):
            self.tags[lang] = code  # the file's own code for it, for the writer
        return lang

    def texts(self, details: etree._Element | None, tag: str) -> dict[str, str]:
        result: dict[str, str] = {}
        for entry in details.findall(q(tag)) if details is not None else []:
            lang = self.language(entry)
            if lang and entry.text and lang not in result:
                result[lang] = entry.text
        return result

    def features(self, element: etree._Element) -> list[dict[str, Any]]:
        result = []
        for block in element.findall(q("PRODUCT_FEATURES")):
            match = SYSTEM_NAME.fullmatch(block.findtext(q("REFERENCE_FEATURE_SYSTEM_NAME"))
                                          or "")
            if match is None:
                continue  # another classification system: kept as an element edit
            entry: dict[str, Any] = {"release": match.group(1),
                                     "class": block.findtext(q("REFERENCE_FEATURE_GROUP_ID"))}
            stated = [stated_feature(f) for f in block.findall(q("FEATURE"))]
            if stated:
                entry["features"] = stated
            result.append(entry)
        return result

    def packaging(self, element: etree._Element, udx: etree._Element | None,
                  commercial: dict[str, Any]) -> None:
        unit = udx.find(f"{q('UDX.EDXF.PACKING_UNITS')}/{q('UDX.EDXF.PACKING_UNIT')}") \
            if udx is not None else None
        quantity = unit.findtext(q("UDX.EDXF.QUANTITY_MIN")) if unit is not None else None
        if quantity is None:
            quantity = element.findtext(f"{q('PRODUCT_ORDER_DETAILS')}/{q('QUANTITY_MIN')}")
        if quantity and NUMBER.fullmatch(quantity):
            number = float(quantity)
            commercial["packaging_unit"] = {"value": int(number) if number.is_integer()
                                            else number, "unit": "pcs"}
        code = unit.findtext(q("UDX.EDXF.PACKING_UNIT_CODE")) if unit is not None else None
        kinds = {c: kind for kind, c in self.config["packing_codes"].items()}
        if code in kinds:
            commercial["packaging_type"] = kinds[code]

    def logistics(self, element: etree._Element, commercial: dict[str, Any]) -> None:
        details = element.find(q("PRODUCT_LOGISTIC_DETAILS"))
        if details is None:
            return
        customs = details.findtext(f"{q('CUSTOMS_TARIFF_NUMBER')}/{q('CUSTOMS_NUMBER')}")
        if customs:
            commercial["customs_tariff_number"] = customs
        origin = details.findtext(q("COUNTRY_OF_ORIGIN"))
        if origin:
            commercial["country_of_origin"] = origin

    def price(self, element: etree._Element) -> dict[str, str] | None:
        details = element.find(q("PRODUCT_PRICE_DETAILS"))
        entry = details.find(q("PRODUCT_PRICE")) if details is not None else None
        if entry is None:
            return None
        price = {"amount": entry.findtext(q("PRICE_AMOUNT")) or "",
                 "currency": entry.findtext(q("PRICE_CURRENCY")) or "",
                 "price_type": entry.get("price_type") or "net_list"}
        start = details.findtext(f"{q('DATETIME')}[@type='valid_start_date']/{q('DATE')}")
        if start:
            price["valid_start"] = start
        return price

    def extensions(self, udx: etree._Element, data: dict[str, Any]) -> None:
        mime = self.config["mime"]
        downloads = []
        for entry in udx.iterfind(f"{q('UDX.EDXF.MIME_INFO')}/{q('UDX.EDXF.MIME')}"):
            url = entry.findtext(q("UDX.EDXF.MIME_SOURCE"))
            code = entry.findtext(q("UDX.EDXF.MIME_CODE"))
            if not url:
                continue
            if code == mime["product_page"] and "url" not in data:
                data["url"] = url
                continue
            title = entry.findtext(q("UDX.EDXF.MIME_DESIGNATION")) or \
                url.rstrip("/").rsplit("/", 1)[-1] or url
            download = {"title": title, "url": url}
            issued = entry.findtext(q("UDX.EDXF.MIME_ISSUE_DATE"))
            if issued:
                download["date"] = issued
            downloads.append(download)
        if downloads:
            data["downloads"] = downloads
        series = udx.findtext(q("UDX.EDXF.PRODUCT_SERIES"))
        if series:
            data["series"] = series
        rohs = udx.findtext(q("UDX.EDXF.ROHS_INDICATOR"))
        texts = {value: text for text, value in self.config["rohs"].items()}
        if rohs in texts:
            data["compliance"] = {"rohs": texts[rohs]}

    def references(self, element: etree._Element, data: dict[str, Any]) -> None:
        kinds = {kind: section for section, kind in self.config["references"].items()}
        for reference in element.findall(q("PRODUCT_REFERENCE")):
            section = kinds.get(reference.get("type") or "")
            target = reference.findtext(q("PROD_ID_TO"))
            if section and target:
                data.setdefault(section, []).append({"item_number": target})


def stated_feature(feature: etree._Element) -> dict[str, Any]:
    code = feature.findtext(q("FNAME")) or ""
    values = [e.text or "" for e in feature.findall(q("FVALUE"))]
    item: dict[str, Any] = {"code": code}
    unit = feature.findtext(q("FUNIT"))
    details = feature.findtext(q("FVALUE_DETAILS"))
    if values == ["-"] or not values:
        item["reason"] = details if details in ("MV", "NA", "UN") else "UN"
    elif len(values) == 2:
        item.update(type="R", value=values[0], upper=values[1])
    elif values[0] in ("true", "false"):
        item.update(type="L", value=values[0] == "true")
    elif values[0].startswith("EV"):
        item.update(type="A", value=values[0])
    else:
        item.update(type="N", value=values[0])
    if unit:
        item["unit"] = unit
    return item


def _computed(op: dict[str, Any]) -> bool:
    """An edit of a header element the writer sets itself (its generator, the catalog id,
    the generation date): those are the writer's, not kept."""
    at = list(op.get("at") or [])
    return any(at[:len(path)] == list(path) for path in HEADER_COMPUTED)


__all__ = ["BmecatReader"]
