"""Reading ETIM xChange 2.0 catalogues back into catalog records (the reverse of ``xchange``).

The file is read as a stream twice (ijson): once for the catalogue header and the suppliers'
own fields (product lists skipped, not built), once for the products, one at a time, so a
100,000-product file imports in flat memory.

Each product maps back with the xChange settings of the ETIM mapping read the other way:
identification (manufacturer, item number, GTIN, customs number, origin), descriptions per
language, the product page, relations (counterparts, accessories), attachments (downloads),
ETIM classifications with their features as stated, ECLASS and UNSPSC. Whatever the record
cannot hold is found by rendering the record with the xChange writer and keeping the
difference (``core.residual``) in ``passthrough.xchange``, which the writer merges back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

import ijson

from cae_export.core.problems import Problem, RecordError
from cae_export.core.residual import fingerprint, residual
from cae_export.formats.etim.catalogue import DEFAULT_VALIDITY_START
from cae_export.formats.etim.classification import (
    build_context,
    classify,
    fields_from_features,
)
from cae_export.formats.etim.mapping import load_mapping
from cae_export.formats.etim.xchange import CATALOGUE_COMPUTED, IDENTITIES, product_json
from cae_export.pipeline.reader import Imported, Reader, Sample
from cae_export.record import Record, fitted, order_record

FORMAT = "xchange"
SCHEMA_VERSION = "2.0"
SUPPLIER_OWN = ("SupplierName", "Product")
SHORT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,19}")


class XchangeError(Exception):
    pass


class XchangeReader(Reader):
    name: ClassVar[str] = "etim-xchange"
    summary: ClassVar[str] = "ETIM xChange 2.0 JSON catalogue"

    @classmethod
    def recognises(cls, sample: Sample) -> bool:
        return "SchemaVersion" in sample.json_keys or '"Supplier"' in sample.json_text

    @classmethod
    def read(cls, path: Path) -> Iterator[Imported | Problem]:
        source = str(path)
        try:
            with path.open("rb") as handle:
                header, suppliers = read_frame(handle)
        except (ijson.JSONError, XchangeError, UnicodeDecodeError) as exc:
            yield Problem(f"not an ETIM xChange file that can be read: {exc}", file=source)
            return
        version = str(header.get("SchemaVersion", ""))
        if version != SCHEMA_VERSION:
            yield Problem(f"ETIM xChange SchemaVersion {version or '(none)'}: only xChange "
                          f"{SCHEMA_VERSION} is read (convert 1.x files with ETIM's tools first)",
                          file=source, field="SchemaVersion")
            return
        context = build_context(None)
        config = load_mapping().xchange
        catalogue = {k: v for k, v in header.items() if k not in CATALOGUE_COMPUTED}
        yield from computed_fields(header, source)
        # the catalogue's and each supplier's own fields go with the first product imported
        # under them (the writer puts them back where that record is written)
        pending = set(range(len(suppliers)))
        with path.open("rb") as handle:
            products = ijson.items(handle, "Supplier.item.Product.item", use_float=True)
            try:
                for number, (index, product) in enumerate(_with_supplier(products, suppliers)):
                    supplier = suppliers[index]
                    extras: dict[str, Any] = {}
                    if catalogue:
                        extras["catalogue"] = catalogue
                    own = {k: v for k, v in supplier.items()
                           if k not in SUPPLIER_OWN and not k.startswith("_")}
                    if index in pending and own:
                        extras["supplier"] = own
                    item = import_product(product, supplier.get("SupplierName"), extras, config,
                                          context, source, number)
                    if isinstance(item, Imported):
                        catalogue = {}
                        pending.discard(index)
                    yield item
            except ijson.JSONError as exc:
                yield Problem(f"not valid JSON past the products read so far: {exc}",
                              file=source)


def computed_fields(header: dict[str, Any], source: str) -> Iterator[Problem]:
    """The catalogue fields the xChange writer sets itself, where the file has its own: said,
    since they are not kept (a file this tool wrote has the values it would write again)."""
    catalogue_id = header.get("CatalogueId")
    if catalogue_id is not None and not str(catalogue_id).startswith("CAE-"):
        yield Problem(f"CatalogueId {catalogue_id!r} is not kept: the writer derives the id "
                      "from the products", file=source, field="CatalogueId", severity="warning")
    start = header.get("CatalogueValidityStart")
    if start is not None and start != DEFAULT_VALIDITY_START:
        yield Problem(f"CatalogueValidityStart {start!r} is not kept: give it at export with "
                      f"build --validity-start {start}", file=source,
                      field="CatalogueValidityStart", severity="warning")
    kind = header.get("CatalogueType")
    if kind is not None and kind != "FULL":
        yield Problem(f"CatalogueType {kind!r} is not kept: the writer writes FULL catalogues",
                      file=source, field="CatalogueType", severity="warning")


def read_frame(handle: IO[bytes]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The catalogue's own fields and each supplier's own fields (with its product count),
    without building any product."""
    header: dict[str, Any] = {}
    suppliers: list[dict[str, Any]] = []
    events = ijson.parse(handle, use_float=True)
    first = next(events, None)
    if first is None or first[1] != "start_map":
        raise XchangeError("the file is not a JSON object")
    for prefix, event, value in events:
        if event == "map_key" and prefix == "":
            key = value
            if key == "Supplier":
                suppliers = _suppliers(events)
            else:
                header[key] = _value(events)
    return header, suppliers


def _suppliers(events: Iterator[tuple[str, str, Any]]) -> list[dict[str, Any]]:
    _prefix, event, _ = next(events)
    if event != "start_array":
        raise XchangeError("Supplier is not a list")
    suppliers: list[dict[str, Any]] = []
    for prefix, event, value in events:
        if event == "end_array" and prefix == "Supplier":
            return suppliers
        if event == "start_map" and prefix == "Supplier.item":
            suppliers.append({"_products": 0})
        elif event == "map_key" and prefix == "Supplier.item":
            if value == "Product":
                suppliers[-1]["_products"] += _count_items(events)
            else:
                suppliers[-1][value] = _value(events)
    raise XchangeError("the Supplier list does not end")


def _count_items(events: Iterator[tuple[str, str, Any]]) -> int:
    """Skip a list, counting its items."""
    _prefix, event, _ = next(events)
    if event != "start_array":
        raise XchangeError("Product is not a list")
    depth, count = 1, 0
    for _prefix, event, _value in events:
        if event in ("start_map", "start_array"):
            if depth == 1:
                count += 1
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                return count
        elif depth == 1:
            count += 1  # a scalar item
    raise XchangeError("a Product list does not end")


def _value(events: Iterator[tuple[str, str, Any]]) -> Any:
    """The next complete value of the event stream."""
    builder = ijson.ObjectBuilder()
    depth = 0
    for _prefix, event, value in events:
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
        if depth == 0:
            return builder.value
    raise XchangeError("the file ends inside a value")


def _with_supplier(products: Iterator[Any], suppliers: list[dict[str, Any]]
                   ) -> Iterator[tuple[int, Any]]:
    """Each product with the index of the supplier it belongs to (from the counts)."""
    index, left = 0, suppliers[0]["_products"] if suppliers else 0
    for product in products:
        while left == 0 and index + 1 < len(suppliers):
            index += 1
            left = suppliers[index]["_products"]
        left -= 1
        yield index, product


# one product -----------------------------------------------------------------------------------

def import_product(product: Any, supplier_name: str | None, extras: dict[str, Any],
                   config: dict[str, Any], context: Any, source: str,
                   number: int) -> Imported | Problem:
    where = f"Supplier.Product[{number}]"
    if not isinstance(product, dict):
        return Problem("a product is not a JSON object", file=source, record=where)
    ident = product.get("ProductIdentification") or {}
    item = ident.get("ManufacturerProductNumber") if isinstance(ident, dict) else None
    label = item if isinstance(item, str) and item else where
    if not isinstance(item, str) or not item:
        return Problem("product without ManufacturerProductNumber", file=source, record=label,
                       field="ProductIdentification.ManufacturerProductNumber")
    try:
        mapped, tags = record_data(product, supplier_name, config)
        fields_from_features(mapped, load_mapping())
        if tags:
            mapped["passthrough"] = {FORMAT: {"languages": tags}}
        data, dropped = fitted(order_record(mapped))
        record = Record.from_data(data, source)
        rendered = product_json(record, classify(record, context), config)
    except RecordError as exc:
        return exc.with_context(record=label, file=source).problem
    rest = residual(product, rendered, IDENTITIES)
    supplier = {"supplier_name": supplier_name} if supplier_name and \
        supplier_name != record.manufacturer["name"] else {}
    passthrough = {**({"languages": tags} if tags else {}), **supplier,
                   **({"product": rest, "made": fingerprint(rendered)} if rest else {}),
                   **extras}
    if passthrough:
        data["passthrough"] = {FORMAT: passthrough}
    warnings = tuple(Problem(f"{message}: kept in passthrough.{FORMAT} only", file=source,
                             record=label, field=path, severity="warning")
                     for path, message in dropped)
    return Imported(data, label, warnings)


def record_data(product: dict[str, Any], supplier_name: str | None, config: dict[str, Any]
                ) -> tuple[dict[str, Any], dict[str, str]]:
    """The record fields an xChange product maps to (the xChange settings read backwards),
    and the language tags of its descriptions that differ from the mapping's."""
    ident = product.get("ProductIdentification") or {}
    name = ident.get("ManufacturerName") or supplier_name or ""
    data: dict[str, Any] = {
        "schema_version": 1,
        "item_number": ident["ManufacturerProductNumber"],
        "manufacturer": {"name": name,
                         "short_name": ident.get("ManufacturerShortname") or short_name(name)},
    }
    descriptions = (product.get("ProductDetails") or {}).get("ProductDescriptions") or []
    data["description"], tags = texts(descriptions, config.get("languages") or {})
    url = next((d["ProductPageUrl"] for d in descriptions
                if isinstance(d, dict) and d.get("ProductPageUrl")), None)
    if url:
        data["url"] = url
    commercial = {}
    gtins = ident.get("ProductGtin") or []
    if gtins:
        commercial["gtin"] = gtins[0]
    if ident.get("CustomsCommodityCode"):
        commercial["customs_tariff_number"] = ident["CustomsCommodityCode"]
    origins = ident.get("CountryOfOrigin") or []
    if origins:
        commercial["country_of_origin"] = origins[0]
    if commercial:
        data["commercial"] = commercial
    classification = classifications(product)
    if classification:
        data["classification"] = classification
    counterparts, accessories = relations(product.get("ProductRelations") or [],
                                          config.get("relations") or {})
    if counterparts:
        data["counterparts"] = counterparts
    if accessories:
        data["accessories"] = accessories
    downloads = attachments(product.get("ProductAttachments") or [], url,
                            config.get("attachments") or {})
    if downloads:
        data["downloads"] = downloads
    return data, tags


def short_name(name: str) -> str:
    """A manufacturer short name from its name where the file gives none (``Maker Company``
    -> ``Maker``)."""
    for word in re.split(r"[^A-Za-z0-9_-]+", name):
        match = SHORT_NAME.match(word)
        if match:
            return match.group()
    return "unknown"


def texts(descriptions: list[Any], languages: dict[str, str]
          ) -> tuple[dict[str, str], dict[str, str]]:
    """Record language -> the longest description the file gives in it; and record language
    -> the file's tag where it is not the mapping's (``de-AT`` for ``de``), for the writer."""
    by_tag = {tag: lang for lang, tag in languages.items()}
    result: dict[str, str] = {}
    tags: dict[str, str] = {}
    for entry in descriptions:
        if not isinstance(entry, dict):
            continue
        tag = str(entry.get("DescriptionLanguage", ""))
        lang = by_tag.get(tag) or tag[:2].lower()
        text = entry.get("FullProductDescription") or entry.get(
            "UniqueMainProductDescription") or entry.get("MinimalProductDescription")
        if not text or lang in result:
            continue  # a second tag of one language stays in the passthrough block
        result[lang] = text
        if languages.get(lang) != tag:
            tags[lang] = tag
    return result, tags


def classifications(product: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    etim = []
    for entry in product.get("EtimClassification") or []:
        features = [stated_feature(f) for f in entry.get("EtimFeatures") or []]
        item: dict[str, Any] = {"release": entry.get("EtimReleaseVersion"),
                                "class": entry.get("EtimClassCode")}
        if features:
            item["features"] = features
        etim.append(item)
    if etim:
        result["etim"] = etim
    eclass = []
    for other in product.get("OtherClassifications") or []:
        name = other.get("ClassificationName")
        code = other.get("ClassificationClassCode")
        if name == "UNSPSC" and "unspsc" not in result:
            result["unspsc"] = code
        elif name == "ECLASS":
            eclass.append({**({"release": other["ClassificationVersion"]}
                              if other.get("ClassificationVersion") else {}),
                           "class": eclass_code(code)})
    if eclass:
        result["eclass"] = eclass
    return result


def eclass_code(code: Any) -> Any:
    """ECLASS class ids as the record keeps them, 8 digits: ``27-14-22-01`` -> ``27142201``."""
    if isinstance(code, str) and re.fullmatch(r"[0-9]{2}(-[0-9]{2}){3}", code):
        return code.replace("-", "")
    return code


def stated_feature(feature: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"code": feature.get("EtimFeatureCode")}
    if "ReasonNoValue" in feature:
        item["reason"] = feature["ReasonNoValue"]
    elif "EtimValueCode" in feature:
        item.update(type="A", value=feature["EtimValueCode"])
    elif "EtimValueLogical" in feature:
        item.update(type="L", value=feature["EtimValueLogical"])
    elif "EtimValueRangeLower" in feature or "EtimValueRangeUpper" in feature:
        item.update(type="R", value=decimal_text(feature.get("EtimValueRangeLower")),
                    upper=decimal_text(feature.get("EtimValueRangeUpper")))
    elif "EtimValueNumeric" in feature:
        item.update(type="N", value=decimal_text(feature["EtimValueNumeric"]))
    return item


def decimal_text(text: Any) -> Any:
    """xChange's number text in the record's form: ``12.`` -> ``12``, ``.5`` stays refused."""
    return text[:-1] if isinstance(text, str) and text.endswith(".") else text


def relations(groups: list[Any], config: dict[str, Any]
              ) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    categories = {kind: category for category, kind in
                  (config.get("accessory_categories") or {}).items()}
    counterparts: list[dict[str, str]] = []
    accessories: list[dict[str, str]] = []
    for group in groups:
        kind = group.get("RelationType") if isinstance(group, dict) else None
        items = [{"item_number": r["RelatedManufacturerProductNumber"]}
                 for r in (group.get("RelatedProducts") or []) if isinstance(r, dict)
                 and r.get("RelatedManufacturerProductNumber")] if kind else []
        if kind == config.get("counterparts", "OTHER"):
            counterparts += items
        elif kind in categories:
            accessories += [{**i, "category": categories[kind]} for i in items]
        elif kind == config.get("accessories", "ACCESSORY"):
            accessories += items
    return counterparts, accessories


def attachments(groups: list[Any], url: str | None, config: dict[str, Any]
                ) -> list[dict[str, str]]:
    """Downloads from the attachments of the types the writer gives downloads (the product
    page, already the record's url, is not one; other types stay in the passthrough block);
    a download's title is its description, else its file name."""
    page_type = config.get("product_page")
    sections = {kind: section for section, kind in (config.get("download_sections") or {}).items()}
    downloads = []
    for group in groups:
        if not isinstance(group, dict):
            continue
        kind = group.get("AttachmentType")
        if kind != config.get("downloads") and kind not in sections and kind != page_type:
            continue
        for detail in group.get("AttachmentDetails") or []:
            uri = detail.get("AttachmentUri") if isinstance(detail, dict) else None
            if not uri or (kind == page_type and uri == url):
                continue
            if kind not in sections and kind != config.get("downloads"):
                continue
            described = [d.get("AttachmentDescription") for d in
                         detail.get("AttachmentDescription") or [] if isinstance(d, dict)]
            title = next((d for d in described if d), None) or detail.get(
                "AttachmentFilename") or uri.rstrip("/").rsplit("/", 1)[-1] or uri
            download = {"title": title, "url": uri}
            if kind in sections:
                download["section"] = sections[kind]
            if detail.get("AttachmentIssueDate"):
                download["date"] = detail["AttachmentIssueDate"]
            downloads.append(download)
    return downloads


__all__ = ["XchangeReader"]
