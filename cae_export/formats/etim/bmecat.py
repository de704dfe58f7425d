"""``bmecat``: one BMEcat 2005 catalog with the ETIM guideline 5.0 extensions per build
(``bmecat/bmecat-etim.xml``), for wholesalers and data pools.

Each product is built as an lxml element, held to the guideline's field rules (XML-legal
text, lengths; a record that breaks one is refused naming its field), checked against the
project's schema ``templates/etim/bmecat.xsd`` inside its transaction element (in the
workers of a parallel build) and spooled to disk; ``finish`` writes the header, which needs
the whole catalog (its id is a digest of the products, its languages theirs), then streams
the spooled products behind it, so memory stays flat however large the catalog.

With prices (``--prices``) the catalog is a price catalog, ``T_NEW_CATALOG``, whose products
must each have a price and an ETIM classification (the XSD makes both mandatory). Without
prices it is ``T_NEW_PRODUCTDATA``, BMEcat's transaction for product data without order and
price details: the ETIM guideline's XSD has no way to mark a price "on request" inside
``T_NEW_CATALOG`` (``PRICE_AMOUNT`` is mandatory), and an invented price is never written.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Any, ClassVar

from lxml import etree

from cae_export.core.atomic import atomic_output
from cae_export.core.numbers import canonical
from cae_export.core.problems import OutputInvalid, Problem, RecordError, Report
from cae_export.core.resources import template_path
from cae_export.core.spool import TextSpool
from cae_export.core.timings import measure, timings_of
from cae_export.core.xml import (
    PROLOG_BYTES,
    SAFE_PARSE_OPTIONS,
    doctype_refusal,
    safe_parser,
    xml_illegal_character,
)
from cae_export.core.xml_residual import (
    Keys,
    Op,
    additions_only,
    apply_xml_residual,
    fingerprint,
)
from cae_export.formats.etim.bmecat_inputs import BmecatInputs, HeaderSettings, Price, load_inputs
from cae_export.formats.etim.catalogue import shorten, validity_start
from cae_export.formats.etim.classification import (
    ClassificationView,
    ClassifiedProduct,
    FeatureValue,
    number_text,
)
from cae_export.formats.etim.mapping import load_mapping
from cae_export.pipeline.options import BuildOptions, ChangeSet
from cae_export.pipeline.target import Derived, Target
from cae_export.record import Record

NS = "https://www.etim-international.com/bmecat/50"
OUT_FILE = Path("bmecat") / "bmecat-etim.xml"
SCHEMA_FILE = ("etim", "bmecat.xsd")
NEW_CATALOG, PRODUCT_DATA = "T_NEW_CATALOG", "T_NEW_PRODUCTDATA"
# a change build's transaction: products new, updated or deleted since the older catalog;
# like a price catalog it needs order and price details for every product
UPDATE_PRODUCTS = "T_UPDATE_PRODUCTS"
PRICED = (NEW_CATALOG, UPDATE_PRODUCTS)
CHANGE_FILE = Path("bmecat") / "bmecat-etim-changes.xml"
GENERATOR = "cae-export"
FULL_CHECK_MAX_PRODUCTS = 1000
MAX_REPORTED_ERRORS = 20
_XMLNS = f' xmlns="{NS}"'


def q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(template_path(*SCHEMA_FILE)), safe_parser()))


TRANSACTIONS = {"auto": None, "catalog": NEW_CATALOG, "productdata": PRODUCT_DATA}
PASSTHROUGH = "bmecat"
# how repeated elements are told apart when an imported file's facts are put back
KEYS: Keys = {
    "LANGUAGE": lambda e: e.text,
    "DESCRIPTION_SHORT": lambda e: e.get("lang", "-"),
    "DESCRIPTION_LONG": lambda e: e.get("lang", "-"),
    "CATALOG_NAME": lambda e: e.get("lang", "-"),
    "UDX.EDXF.PRODUCT_SERIES": lambda e: e.get("lang", "-"),
    "UDX.EDXF.MIME_DESIGNATION": lambda e: e.get("lang", "-"),
    "INTERNATIONAL_PID": lambda e: e.get("type"),
    "BUYER_ID": lambda e: e.get("type"),
    "SUPPLIER_ID": lambda e: e.get("type"),
    "DATETIME": lambda e: e.get("type"),
    "PRODUCT_PRICE": lambda e: e.get("price_type"),
    "PRODUCT_FEATURES": lambda e: f"{e.findtext(q('REFERENCE_FEATURE_SYSTEM_NAME'))}/"
                                  f"{e.findtext(q('REFERENCE_FEATURE_GROUP_ID'))}",
    "FEATURE": lambda e: e.findtext(q("FNAME")),
    "PRODUCT_REFERENCE": lambda e: f"{e.get('type')}/{e.findtext(q('PROD_ID_TO'))}",
    "UDX.EDXF.MIME": lambda e: e.findtext(q("UDX.EDXF.MIME_SOURCE")),
}


@dataclass(frozen=True)
class BmecatContext:
    """Per build: the user's header settings and prices, the mapping, the catalog's date and
    the transaction (``T_NEW_CATALOG`` with prices, else ``T_NEW_PRODUCTDATA``)."""

    inputs: BmecatInputs
    config: dict[str, Any]
    date: str
    transaction: str
    changes: ChangeSet | None = None  # a change build: each product's mode

    @property
    def transaction_attributes(self) -> dict[str, str]:
        if self.transaction != UPDATE_PRODUCTS:
            return {}
        return {"prev_version": str(self.inputs.header.prev_version)}


@dataclass(frozen=True)
class BmecatProduct:
    """One record's PRODUCT, checked, as text without its namespace declaration."""

    xml: str
    languages: tuple[str, ...]
    supplier: tuple[tuple[str, str], ...]  # the record's manufacturer, for the header
    own: str | None = None            # with an imported file's facts put back: the checked
    header_ops: tuple[Op, ...] = ()   # product without them; and that file's header edits
    note: str | None = None           # kept facts that this transaction has no place for


# checked text -------------------------------------------------------------------------------

def text(value: Any, field: str, limit: int, element: str) -> str:
    """A text for ``element``: XML-legal, not empty, within the guideline's length; else the
    record is refused naming its field (and the element, by its path under PRODUCT)."""
    value = str(value)
    path = f"PRODUCT/{ELEMENT_PATHS.get(element, element)}"
    bad = xml_illegal_character(value)
    if bad is not None:
        raise RecordError(f"character U+{ord(bad):04X} cannot be written to XML ({element})",
                          field=field, rule="bmecat.character", path=path)
    if not value.strip():
        raise RecordError(f"{element} would be empty", field=field, rule="bmecat.empty",
                          path=path)
    if len(value) > limit:
        raise RecordError(f"{len(value)} characters, {element} takes at most {limit}", field=field,
                          rule="bmecat.length", path=path)
    return value


# where each checked element sits under PRODUCT (the path a data pool names)
ELEMENT_PATHS = {
    "DESCRIPTION_SHORT": "PRODUCT_DETAILS/DESCRIPTION_SHORT",
    "DESCRIPTION_LONG": "PRODUCT_DETAILS/DESCRIPTION_LONG",
    "MANUFACTURER_PID": "PRODUCT_DETAILS/MANUFACTURER_PID",
    "MANUFACTURER_NAME": "PRODUCT_DETAILS/MANUFACTURER_NAME",
    "UDX.EDXF.MIME_SOURCE": "USER_DEFINED_EXTENSIONS/UDX.EDXF.MIME_INFO/UDX.EDXF.MIME/"
                            "UDX.EDXF.MIME_SOURCE",
    "UDX.EDXF.MIME_DESIGNATION": "USER_DEFINED_EXTENSIONS/UDX.EDXF.MIME_INFO/UDX.EDXF.MIME/"
                                 "UDX.EDXF.MIME_DESIGNATION",
    "UDX.EDXF.PRODUCT_SERIES": "USER_DEFINED_EXTENSIONS/UDX.EDXF.PRODUCT_SERIES",
    "PROD_ID_TO": "PRODUCT_REFERENCE/PROD_ID_TO",
}


def sub(parent: etree._Element, tag: str, value: str | None = None,
        **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, q(tag), attributes)
    if value is not None:
        element.text = value
    return element


# the product ---------------------------------------------------------------------------------

def languages_of(record: Record, config: dict[str, Any]) -> dict[str, str]:
    """Record language -> BMEcat language (ISO 639-2; an imported file's own code where it
    used the other documented one, ``ger`` for ``deu``), English first."""
    codes = {**config["languages"], **passthrough(record).get("languages", {})}
    result = {}
    for lang in sorted(record.descriptions, key=lambda code: (code != "en", code)):
        if lang not in codes:
            raise RecordError(f"language {lang!r} has no BMEcat language code in the mapping "
                              "(bmecat.languages)", field=f"description.{lang}",
                              rule="bmecat.language", path="HEADER/CATALOG/LANGUAGE")
        result[lang] = codes[lang]
    return result


def lang_attribute(code: str, default: str) -> dict[str, str]:
    """Texts of the catalog's default language carry no ``lang``; others do."""
    return {} if code == default else {"lang": code}


def product_details(product: etree._Element, record: Record, languages: dict[str, str],
                    default: str) -> None:
    details = sub(product, "PRODUCT_DETAILS")
    for lang, code in languages.items():
        field = f"description.{lang}"
        sub(details, "DESCRIPTION_SHORT", text(shorten(record.descriptions[lang], 150), field,
                                               150, "DESCRIPTION_SHORT"),
            **lang_attribute(code, default))
    long_text = "\n".join(record.features or record.overview)
    if long_text and "en" in languages:
        sub(details, "DESCRIPTION_LONG", text(long_text, "features", 64000, "DESCRIPTION_LONG"),
            **lang_attribute(languages["en"], default))
    if record.gtin:
        sub(details, "INTERNATIONAL_PID", record.gtin, type="gtin")
    sub(details, "MANUFACTURER_PID", text(record.item_number, "item_number", 50,
                                          "MANUFACTURER_PID"))
    sub(details, "MANUFACTURER_NAME", text(record.manufacturer["name"], "manufacturer.name", 50,
                                           "MANUFACTURER_NAME"))


def feature_values(feature: FeatureValue) -> list[str]:
    """FVALUE texts: an EV code, a number (period decimal), true/false, a range as two
    values; ``-`` where the feature has no value (its reason goes to FVALUE_DETAILS)."""
    if feature.reason is not None:
        return ["-"]
    if feature.type == "A":
        return [str(feature.value)]
    if feature.type == "L":
        return ["true" if feature.value else "false"]
    if feature.type == "R":
        return [number_text(feature.value), number_text(feature.upper)]  # type: ignore[arg-type]
    return [number_text(feature.value)]  # type: ignore[arg-type]


def product_features(product: etree._Element, classified: list[ClassifiedProduct]) -> None:
    for classification in classified:
        features = sub(product, "PRODUCT_FEATURES")
        sub(features, "REFERENCE_FEATURE_SYSTEM_NAME", f"ETIM-{classification.release}")
        sub(features, "REFERENCE_FEATURE_GROUP_ID", classification.class_code)
        for value in classification.features:
            feature = sub(features, "FEATURE")
            sub(feature, "FNAME", value.code)
            for item in feature_values(value):
                sub(feature, "FVALUE", item)
            if value.unit_code:
                sub(feature, "FUNIT", value.unit_code)
            if value.reason is not None:
                sub(feature, "FVALUE_DETAILS", value.reason)


def packaging_quantity(record: Record) -> str | None:
    packaging = record.commercial.get("packaging_unit")
    if packaging and packaging.get("unit") == "pcs":
        return canonical(packaging["value"])
    return None


def order_details(product: etree._Element, record: Record) -> None:
    """Ordered per piece (C62), priced per piece; the packaging unit as the minimum and the
    step of an order."""
    details = sub(product, "PRODUCT_ORDER_DETAILS")
    sub(details, "ORDER_UNIT", "C62")
    sub(details, "CONTENT_UNIT", "C62")
    sub(details, "NO_CU_PER_OU", "1")
    sub(details, "PRICE_QUANTITY", "1")
    quantity = packaging_quantity(record)
    if quantity:
        sub(details, "QUANTITY_MIN", quantity)
        sub(details, "QUANTITY_INTERVAL", quantity)


def price_details(product: etree._Element, price: Price, date: str) -> None:
    details = sub(product, "PRODUCT_PRICE_DETAILS")
    start = sub(details, "DATETIME", type="valid_start_date")
    sub(start, "DATE", price.valid_start or date)
    entry = sub(details, "PRODUCT_PRICE", price_type=price.price_type)
    sub(entry, "PRICE_AMOUNT", price.amount)
    sub(entry, "PRICE_CURRENCY", price.currency)


def mime_code(title: str, config: dict[str, Any]) -> str:
    for rule in config["mime"]["downloads"]:
        if re.search(rule["match"], title, re.IGNORECASE):
            return str(rule["code"])
    return str(config["mime"]["other"])


def mime_info(udx: etree._Element, record: Record, config: dict[str, Any], default: str,
              english: str) -> None:
    documents: list[tuple[str, str, str | None, str | None, str]] = []
    if record.url:
        documents.append((record.url, config["mime"]["product_page"], None, None, "url"))
    for n, download in enumerate(record.downloads):
        if download.get("url"):
            documents.append((download["url"], mime_code(download["title"], config),
                              download["title"], download.get("date"), f"downloads[{n}]"))
    if not documents:
        return
    info = sub(udx, "UDX.EDXF.MIME_INFO")
    for order, (url, code, title, issued, field) in enumerate(documents, start=1):
        mime = sub(info, "UDX.EDXF.MIME")
        sub(mime, "UDX.EDXF.MIME_SOURCE", text(url, field if field == "url" else f"{field}.url",
                                               512, "UDX.EDXF.MIME_SOURCE"))
        sub(mime, "UDX.EDXF.MIME_CODE", code)
        if title:
            sub(mime, "UDX.EDXF.MIME_DESIGNATION",
                text(shorten(title, 250), f"{field}.title", 250, "UDX.EDXF.MIME_DESIGNATION"),
                **lang_attribute(english, default))
        if issued:
            sub(mime, "UDX.EDXF.MIME_ISSUE_DATE", issued)
        sub(mime, "UDX.EDXF.MIME_ORDER", str(order))


def extensions(product: etree._Element, record: Record, context: BmecatContext, default: str,
               english: str) -> None:
    config = context.config
    udx = sub(product, "USER_DEFINED_EXTENSIONS")
    mime_info(udx, record, config, default, english)
    acronym = record.manufacturer_short
    if len(acronym) <= 10:
        sub(udx, "UDX.EDXF.MANUFACTURER_ACRONYM", acronym)
    series = record.data.get("series") or record.data.get("family")
    if series:
        sub(udx, "UDX.EDXF.PRODUCT_SERIES", text(series, "series" if record.data.get("series")
                                                 else "family", 50, "UDX.EDXF.PRODUCT_SERIES"),
            **lang_attribute(english, default))
    if context.transaction in PRICED:
        quantity = packaging_quantity(record)
        code = config["packing_codes"].get(str(record.commercial.get("packaging_type", ""))
                                           .lower())
        if quantity and code:
            units = sub(sub(udx, "UDX.EDXF.PACKING_UNITS"), "UDX.EDXF.PACKING_UNIT")
            sub(units, "UDX.EDXF.QUANTITY_MIN", quantity)
            sub(units, "UDX.EDXF.QUANTITY_MAX", quantity)
            sub(units, "UDX.EDXF.PACKING_UNIT_CODE", code)
        rohs = config["rohs"].get(str(record.data.get("compliance", {}).get("rohs", "")).lower())
        if rohs:
            sub(udx, "UDX.EDXF.ROHS_INDICATOR", rohs)
    if context.transaction == PRODUCT_DATA and len(udx) == 0:
        product.remove(udx)  # optional here: never an empty element


def references(product: etree._Element, record: Record, config: dict[str, Any]) -> None:
    seen: set[tuple[str, str]] = set()
    for section, items in (("counterparts", record.counterparts),
                           ("accessories", record.accessories)):
        kind = config["references"][section]
        for n, item in enumerate(items):
            key = (kind, item["item_number"])
            if key in seen:
                continue
            seen.add(key)
            reference = sub(product, "PRODUCT_REFERENCE", type=kind)
            sub(reference, "PROD_ID_TO", text(item["item_number"], f"{section}[{n}].item_number",
                                              80, "PROD_ID_TO"))


def logistic_details(product: etree._Element, record: Record) -> None:
    commercial = record.commercial
    customs, origin = commercial.get("customs_tariff_number"), commercial.get("country_of_origin")
    if not customs and not origin:
        return
    details = sub(product, "PRODUCT_LOGISTIC_DETAILS")
    if customs:
        sub(sub(details, "CUSTOMS_TARIFF_NUMBER"), "CUSTOMS_NUMBER", customs)
    if origin:
        sub(details, "COUNTRY_OF_ORIGIN", origin)


def product_element(record: Record, classified: list[ClassifiedProduct],
                    context: BmecatContext) -> tuple[etree._Element, dict[str, str]]:
    """The record's PRODUCT for the build's transaction (order as in the guideline's XSD)."""
    languages = languages_of(record, context.config)
    english = default = context.config["languages"]["en"]
    transaction = context.transaction
    mode = context.changes.mode(record.item_number) if context.changes else "new"
    product = etree.Element(q("PRODUCT"), {"mode": mode}, nsmap={None: NS})
    sub(product, "SUPPLIER_PID", text(record.item_number, "item_number", 32, "SUPPLIER_PID"))
    product_details(product, record, languages, default)
    if transaction in PRICED:
        if not classified and transaction == NEW_CATALOG:
            raise RecordError("a price catalog (T_NEW_CATALOG) needs an ETIM classification: "
                              "PRODUCT_FEATURES is mandatory there", field="classification.etim",
                              rule="bmecat.features", path="T_NEW_CATALOG/PRODUCT/PRODUCT_FEATURES")
        product_features(product, classified)
        price = (context.inputs.prices or {}).get(record.item_number) or kept_price(record)
        if price is None:
            raise RecordError(f"no price in the price file (nor one kept by an import): "
                              f"{transaction} needs one for every product",
                              field="item_number", rule="bmecat.price",
                              path=f"{transaction}/PRODUCT/PRODUCT_PRICE_DETAILS")
        order_details(product, record)
        price_details(product, price, context.date)
    else:
        product_features(product, classified)
    extensions(product, record, context, default, english)
    references(product, record, context.config)
    if transaction in PRICED:
        logistic_details(product, record)
    return product, languages


def passthrough(record: Record) -> dict[str, Any]:
    """What an import kept of a BMEcat file for this writer (``passthrough.bmecat``)."""
    return record.data.get("passthrough", {}).get(PASSTHROUGH, {})


def kept_price(record: Record) -> Price | None:
    price = passthrough(record).get("price")
    if not isinstance(price, dict) or not price.get("amount") or not price.get("currency"):
        return None
    return Price(str(price["amount"]), str(price["currency"]),
                 str(price.get("price_type") or "net_list"), price.get("valid_start"))


def header_element(settings: HeaderSettings, codes: list[str], supplier: dict[str, Any],
                   catalog_id: str, date: str, config: dict[str, Any]) -> etree._Element:
    """The catalog's HEADER: English is the default language (texts in it carry no ``lang``),
    the products' other languages follow; the supplier is the records' manufacturer."""
    default = config["languages"]["en"]
    header = etree.Element(q("HEADER"), nsmap={None: NS})
    sub(header, "GENERATOR_INFO", GENERATOR)
    catalog = sub(header, "CATALOG")
    sub(catalog, "LANGUAGE", default, default="true")
    for code in codes:
        if code != default:
            sub(catalog, "LANGUAGE", code)
    sub(catalog, "CATALOG_ID", catalog_id)
    sub(catalog, "CATALOG_VERSION", settings.catalog_version)
    names = settings.catalog_name or (("en", shorten(f"{supplier.get('name', '')} catalog"
                                                     .strip(), 100)),)
    for lang, name in names:
        sub(catalog, "CATALOG_NAME", name,
            **lang_attribute(config["languages"].get(lang, default), default))
    generated = sub(catalog, "DATETIME", type="generation_date")
    sub(generated, "DATE", date)
    if settings.currency:
        sub(catalog, "CURRENCY", settings.currency)
    buyer = sub(header, "BUYER")
    for kind, value in settings.buyer_ids:
        sub(buyer, "BUYER_ID", value, type=kind)
    sub(buyer, "BUYER_NAME", settings.buyer_name)
    party = sub(header, "SUPPLIER")
    name = supplier.get("name", "")
    sub(party, "SUPPLIER_NAME", name if len(name) <= 50 else supplier.get("short_name", name[:50]))
    if supplier.get("email"):
        address = sub(party, "ADDRESS", type="supplier")
        for key, tag in (("street", "STREET"), ("postal_code", "ZIP"), ("city", "CITY")):
            if supplier.get(key):
                sub(address, tag, supplier[key][:20 if tag == "ZIP" else 50])
        sub(address, "EMAIL", supplier["email"])
        if supplier.get("web"):
            sub(address, "URL", supplier["web"])
    sub(sub(header, "USER_DEFINED_EXTENSIONS"), "UDX.EDXF.VERSION", "5.0")
    return header


def validated(product: etree._Element, transaction: str,
              attributes: dict[str, str] | None = None) -> str:
    """The product checked against the project schema inside its transaction element, as text
    indented for its place in the document and without its namespace declaration."""
    wrapper = etree.Element(q(transaction), attributes or {}, nsmap={None: NS})
    wrapper.append(product)
    with measure("validate"):
        valid = schema().validate(wrapper)
    if not valid:
        errors = "; ".join(_error_lines(schema().error_log)[:5])
        raise RecordError(f"BMEcat product fails the schema: {errors}", field="(bmecat product)",
                          rule="bmecat.schema", path=f"{transaction}/PRODUCT")
    return as_text(product, 2)


def as_text(element: etree._Element, level: int) -> str:
    """An element indented for its place in the document, without the namespace declaration."""
    etree.indent(element, space="  ", level=level)
    return "  " * level + etree.tostring(element, encoding="unicode").replace(_XMLNS, "", 1)


def _error_lines(log: Any) -> list[str]:
    return [f"{entry.path.replace('{' + NS + '}', '')}: "
            f"{entry.message.replace('{' + NS + '}', '')}" for entry in log]


# the target ---------------------------------------------------------------------------------

class BmecatTarget(Target):
    name: ClassVar[str] = "bmecat"
    summary: ClassVar[str] = "BMEcat 2005 ETIM 5.0 catalog (bmecat/bmecat-etim.xml)"
    views = (ClassificationView,)
    output_files = (str(OUT_FILE),)
    change_form = True
    change_files = (str(CHANGE_FILE),)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.spool = TextSpool(".xml")
        self.digest = hashlib.sha256()
        self.products = 0
        self.languages: dict[str, None] = {}
        self.supplier: tuple[tuple[str, str], ...] | None = None
        self.first_own: str | None = None    # the first product as the writer checked it
        self.foreign = False                 # some product carries an imported file's facts
        self.header_ops: tuple[Op, ...] = ()

    @classmethod
    def prepare(cls, options: BuildOptions) -> BmecatContext:
        inputs = load_inputs(options.bmecat_header, options.prices)
        transaction = TRANSACTIONS[options.bmecat_transaction] or (
            NEW_CATALOG if inputs.prices is not None else PRODUCT_DATA)
        if options.changes is not None:
            transaction = UPDATE_PRODUCTS
        return BmecatContext(inputs, load_mapping().bmecat, validity_start(options), transaction,
                             options.changes)

    @classmethod
    def announce(cls, context: BmecatContext, report: Report) -> bool:
        for problem in context.inputs.problems:
            report.error(problem)
        if not context.inputs.usable:
            report.notes.append("bmecat: the header file is not usable, so no catalog is "
                                "written and the earlier one is kept")
        return context.inputs.usable

    @classmethod
    def render(cls, record: Record, derived: Derived, options: BuildOptions,
               context: BmecatContext) -> BmecatProduct:
        product, languages = product_element(record, derived[ClassificationView], context)
        supplier = tuple((k, v) for k, v in record.manufacturer.items())
        own = validated(product, context.transaction, context.transaction_attributes)
        kept = passthrough(record)
        header_ops = tuple(kept.get("header") or ())
        ops = kept.get("product")
        if not ops:
            return BmecatProduct(own, tuple(languages.values()), supplier,
                                 header_ops=header_ops)
        if kept.get("transaction", context.transaction) != context.transaction:
            note = (f"bmecat: {record.item_number}: the facts kept from its "
                    f"{kept.get('transaction')} product have no place in "
                    f"{context.transaction} and are not written")
            return BmecatProduct(own, tuple(languages.values()), supplier,
                                 header_ops=header_ops, note=note)
        # the facts an import kept of its source, put back in the source's element order;
        # the product's own elements were checked above, the kept ones are as read; once the
        # record was edited, only the edits that add, never over an edited value
        note = None
        if kept.get("made") and fingerprint(product) != kept["made"]:
            ops = additions_only(ops)
            note = (f"bmecat: {record.item_number}: the record changed since the import: the "
                    "values it kept of the source are replaced by the record's")
        apply_xml_residual(product, ops, KEYS, NS)
        return BmecatProduct(as_text(product, 2), tuple(languages.values()), supplier, own,
                             header_ops, note)

    def add(self, record: Record, rendered: BmecatProduct) -> None:
        chunk = rendered.xml + "\n"
        self.spool.write(chunk)
        self.digest.update(chunk.encode("utf-8"))
        self.products += 1
        self.languages.update(dict.fromkeys(rendered.languages))
        if self.first_own is None:
            self.first_own = (rendered.own or rendered.xml) + "\n"
        self.foreign = self.foreign or rendered.own is not None
        if not self.header_ops and rendered.header_ops:
            self.header_ops = rendered.header_ops
        if rendered.note:
            self.report.error(Problem(rendered.note, record=record.item_number,
                                      severity="warning", rule="import.edited"))
        # the header's supplier: the first record's manufacturer, completed by later ones
        known = dict(self.supplier or ())
        for key, value in rendered.supplier:
            known.setdefault(key, value)
        self.supplier = tuple(known.items())

    def header(self) -> tuple[str, str]:
        """The header as written and as the writer made it (before an imported file's header
        edits, which apply where no header file is given)."""
        context: BmecatContext = self.context
        element = header_element(context.inputs.header, list(self.languages),
                                 dict(self.supplier or ()),
                                 "CAE-" + self.digest.hexdigest()[:16].upper(), context.date,
                                 context.config)
        own = as_text(element, 1)
        if not self.header_ops or self.options.bmecat_header is not None:
            return own, own
        apply_xml_residual(element, list(self.header_ops), KEYS, NS)
        return as_text(element, 1), own

    def write_document(self, handle: IO[str], header: str, products: Any) -> None:
        transaction = self.context.transaction
        attributes = "".join(f' {k}="{v}"' for k, v in self.context.transaction_attributes.items())
        handle.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<BMECAT version="2005" '
                     f'xmlns="{NS}">\n{header}\n  <{transaction}{attributes}>\n')
        for chunk in products:
            handle.write(chunk)
        handle.write(f"  </{transaction}>\n</BMECAT>\n")

    def finish(self) -> int:
        try:
            if not self.products:
                return 0
            header, own_header = self.header()
            if self.foreign or header != own_header:
                validate = self.validate_with_kept_facts(own_header)
            elif self.products <= FULL_CHECK_MAX_PRODUCTS:
                validate = validate_document
            else:
                validate = self.validate_frame(header)
            with timings_of(self.report).measure("write"), \
                    atomic_output(self.out_dir / (CHANGE_FILE if self.options.changes else OUT_FILE),
                                  validate, binary=False) as handle:
                self.write_document(handle, header, self.spool.chunks())
            return 1
        finally:
            self.spool.close()

    def validate_frame(self, header: str, first: str | None = None) -> Any:
        """Above ``FULL_CHECK_MAX_PRODUCTS`` the products were each checked as they were
        rendered: the document is checked as its header with its first product."""
        def check(_path: Path) -> None:
            product = first or next(self.spool.chunks(), "").split("\n    <PRODUCT ", 1)[0]
            with tempfile.TemporaryDirectory() as folder:
                frame = Path(folder) / "frame.xml"
                with frame.open("w", encoding="utf-8") as handle:
                    self.write_document(handle, header, [product.rstrip("\n") + "\n"])
                validate_document(frame)
        return check

    def validate_with_kept_facts(self, own_header: str) -> Any:
        """With an imported file's facts put back (elements the project schema, the subset
        the tool writes, does not have): what the writer made is checked (each product as it
        was rendered; here its header with the first product), and the file as XML."""
        frame = self.validate_frame(own_header, self.first_own)

        def check(path: Path) -> None:
            frame(path)
            try:
                for _event, element in etree.iterparse(str(path), events=("end",),
                                                       **SAFE_PARSE_OPTIONS):
                    if element.tag == q("PRODUCT"):
                        element.clear()
            except etree.XMLSyntaxError as exc:
                raise OutputInvalid(str(path), [f"not well-formed XML: {exc}"]) from None
        return check

    def abort(self) -> None:
        self.spool.close()


# checking whole files ---------------------------------------------------------------------------

def document_errors(path: Path, xsd: etree.XMLSchema | None = None) -> list[str]:
    """Schema errors of a BMEcat file (this tool's or another's; against ``xsd`` where given,
    else the project schema), read as a stream in flat memory; a file with a DTD is refused
    unread."""
    with path.open("rb") as handle:
        refusal = doctype_refusal(handle.read(PROLOG_BYTES))
    if refusal is not None:
        return [refusal]
    checker = xsd if xsd is not None else schema()
    try:
        for _event, element in etree.iterparse(str(path), events=("end",), schema=checker,
                                               **SAFE_PARSE_OPTIONS):
            parent = element.getparent()
            if parent is not None and parent.getparent() is not None \
                    and parent.getparent().getparent() is None:
                element.clear()  # a finished PRODUCT: drop it, keep memory flat
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        log = [e for e in (getattr(exc, "error_log", None) or []) if e.line or e.message]
        lines = [(f"line {e.line}: " if e.line > 0 else "") + e.message.replace("{" + NS + "}", "")
                 for e in log]
        lines = list(dict.fromkeys(lines)) or [f"not well-formed XML: {exc}"]
        hidden = len(lines) - MAX_REPORTED_ERRORS
        return lines[:MAX_REPORTED_ERRORS] + ([f"… and {hidden} more errors"] if hidden > 0 else [])
    return []


def validate_document(path: Path) -> None:
    errors = document_errors(path)
    if errors:
        raise OutputInvalid(str(path), errors)
