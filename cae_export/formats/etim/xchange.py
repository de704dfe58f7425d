"""``etim-xchange``: one ETIM xChange 2.0 JSON catalogue per build, written incrementally.

Products are rendered (and checked against the project schema
``templates/etim-xchange/xchange.schema.json``) one by one and spooled to disk; ``finish``
writes the catalogue header, then streams the spooled products behind it. Nothing in the file
depends on the clock: ``CatalogueValidityStart`` comes from ``BuildOptions.validity_start``,
else from ``SOURCE_DATE_EPOCH``, else it is the fixed date 2000-01-01;
``CatalogueId`` is ``CAE-`` + the first 16 hex digits of the SHA-256 of the products.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import fastjsonschema
import ijson
import jsonschema

from cae_export.core.atomic import atomic_output
from cae_export.core.problems import OutputInvalid, Problem, RecordError
from cae_export.core.residual import additions, fingerprint, merged
from cae_export.core.resources import template_path
from cae_export.core.spool import TextSpool
from cae_export.formats.etim.catalogue import shorten, validity_start
from cae_export.formats.etim.classification import (
    ClassificationView,
    ClassifiedProduct,
    FeatureValue,
    number_text,
)
from cae_export.formats.etim.mapping import load_mapping
from cae_export.pipeline.options import BuildOptions
from cae_export.pipeline.target import Derived, Target
from cae_export.record import Record, inline_local_refs

OUT_FILE = Path("etim") / "etim-xchange.json"
CHANGE_FILE = Path("etim") / "etim-xchange-changes.json"
# how a change catalogue says a product is gone: the schema's ProductStatus for a product
# that is no longer supplied (xChange 2.0 has no product deletion of its own)
REMOVED_STATUS = "OBSOLETE"
PASSTHROUGH = "xchange"
# the catalogue fields the writer computes (an imported file's own are not kept)
CATALOGUE_COMPUTED = ("SchemaVersion", "CatalogueId", "CatalogueType", "CatalogueValidityStart",
                      "Language", "Supplier")
# the fields the writer makes from record fields, also where it leaves one out: after an edit
# of the record, a value an import kept of one of them no longer applies
OWNED = frozenset({"ManufacturerName", "ManufacturerShortname", "ManufacturerProductNumber",
                   "ProductGtin", "CustomsCommodityCode", "CountryOfOrigin",
                   "MinimalProductDescription", "UniqueMainProductDescription",
                   "FullProductDescription", "ProductPageUrl"})
# how the items of a list are told apart, to put an imported file's facts back in place
IDENTITIES = {
    "ProductDescriptions": (("DescriptionLanguage",),),
    "ProductRelations": (("RelationType",),),
    "RelatedProducts": (("RelatedManufacturerProductNumber",),),
    "ProductAttachments": (("AttachmentType",), ("AttachmentDetails", 0, "AttachmentUri")),
    "AttachmentDetails": (("AttachmentUri",),),
    "AttachmentDescription": (("Language",),),
    "EtimClassification": (("EtimReleaseVersion",), ("EtimClassCode",)),
    "EtimFeatures": (("EtimFeatureCode",),),
    "OtherClassifications": (("ClassificationName",), ("ClassificationClassCode",)),
}
SCHEMA_FILE = ("etim", "xchange.schema.json")
FAST_FORMATS = ("date", "uri")  # the formats the schema uses
PRODUCT_PREFIX = "Supplier.item.Product.item"  # where ijson finds each product
INDENT = "        "  # a product sits three levels deep: root > Supplier[] > Product[]


@cache
def project_schema() -> dict[str, Any]:
    return json.loads(template_path(*SCHEMA_FILE).read_text(encoding="utf-8"))


@cache
def validator(definition: str | None = None) -> jsonschema.Draft202012Validator:
    schema = project_schema()
    if definition:
        schema = {"$ref": f"#/$defs/{definition}", "$defs": schema["$defs"]}
    cls = jsonschema.Draft202012Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@cache
def fast_check(definition: str | None = None) -> Callable[[Any], Any]:
    """The same schema compiled to Python code (fastjsonschema), with jsonschema's own format
    checkers: it decides the common case, a valid product, about ten times faster; jsonschema
    stays the authority that words the errors (or finds none)."""
    full = project_schema()
    if definition:
        schema = {**full["$defs"][definition], "$defs": full["$defs"]}
    else:  # no $id: fastjsonschema would try to fetch it
        schema = {key: value for key, value in full.items() if key not in ("$id", "$schema")}
    checkers = jsonschema.Draft202012Validator.FORMAT_CHECKER.checkers
    formats = {name: _format_check(*checkers[name]) for name in FAST_FORMATS}
    return fastjsonschema.compile(inline_local_refs(schema), formats=formats)


def _format_check(check: Callable[[Any], Any], raises: Any) -> Callable[[Any], bool]:
    def checked(value: Any) -> bool:
        try:
            return bool(check(value))
        except raises:
            return False
    return checked


def schema_errors(instance: Any, definition: str | None = None) -> list[str]:
    try:
        fast_check(definition)(instance)
        return []
    except fastjsonschema.JsonSchemaException:
        pass
    errors = sorted(validator(definition).iter_errors(instance), key=lambda e: list(e.path))
    return [f"{'/'.join(str(p) for p in e.path) or '(root)'}: {e.message}" for e in errors]


# products ---------------------------------------------------------------------------------

def descriptions(record: Record, languages: dict[str, str]) -> list[dict[str, Any]]:
    result = []
    for lang, text in sorted(record.descriptions.items()):
        tag = languages.get(lang)
        if tag is None:
            raise RecordError(f"language {lang!r} has no xChange language tag in the mapping "
                              "(xchange.languages)", field=f"description.{lang}",
                              rule="xchange.language",
                              path="Supplier/Product/ProductDetails/ProductDescriptions")
        entry: dict[str, Any] = {"DescriptionLanguage": tag,
                                 "MinimalProductDescription": shorten(text, 80)}
        if len(text) > 80:
            entry["UniqueMainProductDescription"] = shorten(text, 255)
        if len(text) > 255:
            entry["FullProductDescription"] = text
        if record.url:
            entry["ProductPageUrl"] = record.url
        result.append(entry)
    return result


def relations(record: Record, config: dict[str, Any]) -> list[dict[str, Any]]:
    by_type: dict[str, list[dict[str, str]]] = {}
    categories = config.get("accessory_categories") or {}
    for item in record.counterparts:
        by_type.setdefault(config.get("counterparts", "OTHER"), []).append(item)
    for item in record.accessories:
        kind = categories.get(item.get("category"), config.get("accessories", "ACCESSORY"))
        by_type.setdefault(kind, []).append(item)
    return [{"RelationType": kind,
             "RelatedProducts": [{"RelatedManufacturerProductNumber": i["item_number"]}
                                 for i in items]}
            for kind, items in by_type.items()]


def attachments(record: Record, config: dict[str, Any], language: str) -> list[dict[str, Any]]:
    result = []
    if record.url and config.get("product_page"):
        result.append({"AttachmentType": config["product_page"],
                       "AttachmentDetails": [{"AttachmentUri": record.url}]})
    sections = config.get("download_sections") or {}
    for download in record.downloads:
        if not download.get("url"):
            continue
        kind = sections.get(download.get("section"), config.get("downloads"))
        if not kind:
            continue
        detail: dict[str, Any] = {"AttachmentUri": download["url"], "AttachmentDescription": [
            {"Language": language, "AttachmentDescription": shorten(download["title"], 255)}]}
        if download.get("date"):
            detail["AttachmentIssueDate"] = download["date"]
        result.append({"AttachmentType": kind, "AttachmentDetails": [detail]})
    return result


def feature_json(feature: FeatureValue) -> dict[str, Any]:
    entry: dict[str, Any] = {"EtimFeatureCode": feature.code}
    if feature.reason is not None:
        entry["ReasonNoValue"] = feature.reason
    elif feature.type == "A":
        entry["EtimValueCode"] = feature.value
    elif feature.type == "L":
        entry["EtimValueLogical"] = feature.value
    elif feature.type == "R":
        entry["EtimValueRangeLower"] = number_text(feature.value)  # type: ignore[arg-type]
        entry["EtimValueRangeUpper"] = number_text(feature.upper)  # type: ignore[arg-type]
    else:
        entry["EtimValueNumeric"] = number_text(feature.value)  # type: ignore[arg-type]
    return entry


def other_classifications(record: Record) -> list[dict[str, str]]:
    result = []
    for entry in record.eclass:
        item = {"ClassificationName": "ECLASS", "ClassificationClassCode": entry["class"]}
        if entry.get("release"):
            item["ClassificationVersion"] = entry["release"]
        result.append(item)
    if record.unspsc:
        result.append({"ClassificationName": "UNSPSC", "ClassificationClassCode": record.unspsc})
    return result


def product_json(record: Record, classified: list[ClassifiedProduct],
                 config: dict[str, Any]) -> dict[str, Any]:
    maker = record.manufacturer
    ident: dict[str, Any] = {"ManufacturerName": maker["name"]}
    if len(maker["short_name"]) <= 15:
        ident["ManufacturerShortname"] = maker["short_name"]
    ident["ManufacturerProductNumber"] = record.item_number
    if record.gtin:
        ident["ProductGtin"] = [record.gtin]
    commercial = record.commercial
    if commercial.get("customs_tariff_number"):
        ident["CustomsCommodityCode"] = commercial["customs_tariff_number"]
    if commercial.get("country_of_origin"):
        ident["CountryOfOrigin"] = [commercial["country_of_origin"]]
    languages = {**(config.get("languages") or {}), **passthrough(record).get("languages", {})}
    product: dict[str, Any] = {
        "ProductIdentification": ident,
        "ProductDetails": {"ProductDescriptions": descriptions(record, languages)}}
    if record.counterparts or record.accessories:
        product["ProductRelations"] = relations(record, config.get("relations") or {})
    first_language = product["ProductDetails"]["ProductDescriptions"][0]["DescriptionLanguage"]
    files = attachments(record, config.get("attachments") or {}, first_language)
    if files:
        product["ProductAttachments"] = files
    if classified:
        product["EtimClassification"] = [
            {"EtimReleaseVersion": c.release, "EtimClassCode": c.class_code,
             "EtimFeatures": [feature_json(f) for f in c.features]} for c in classified]
    others = other_classifications(record)
    if others:
        product["OtherClassifications"] = others
    return product


def passthrough(record: Record) -> dict[str, Any]:
    """What an import kept of the source file for this writer (``passthrough.xchange``)."""
    return record.data.get("passthrough", {}).get(PASSTHROUGH, {})


def indented(document: Any) -> str:
    text = json.dumps(document, ensure_ascii=False, indent=2)
    return "\n".join(INDENT + line for line in text.splitlines())


# header -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class XchangeProduct:
    """One record's product, checked against the schema and indented for its place."""

    supplier: str
    text: str
    languages: list[str]
    supplier_fields: dict[str, Any] | None = None   # an imported file's own, for its block
    catalogue_fields: dict[str, Any] | None = None  # an imported file's own, for the header
    note: str | None = None                          # said once the record is added


class EtimXchange(Target):
    name: ClassVar[str] = "etim-xchange"
    summary: ClassVar[str] = "ETIM xChange 2.0 JSON catalogue (etim/etim-xchange.json)"
    views = (ClassificationView,)
    output_files = (str(OUT_FILE),)
    change_form = True
    change_files = (str(CHANGE_FILE),)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.body = TextSpool(".json")
        self.digest = hashlib.sha256()
        self.supplier: str | None = None
        self.products = 0
        self.languages: set[str] = set()
        self.catalogue_fields: dict[str, Any] | None = None

    @classmethod
    def prepare(cls, options: BuildOptions) -> dict[str, Any]:
        return load_mapping().xchange

    @classmethod
    def render(cls, record: Record, derived: Derived, options: BuildOptions,
               context: dict[str, Any]) -> XchangeProduct:
        product = product_json(record, derived[ClassificationView], context)
        removed = options.changes is not None and record.item_number in options.changes.removed
        if removed:
            product["ProductDetails"] = {"ProductStatus": REMOVED_STATUS,
                                         **product["ProductDetails"]}
        errors = schema_errors(product, "product")
        if errors:
            where = errors[0].split(":")[0]
            raise RecordError(f"xChange product refused: {errors[0]}", field=where,
                              rule="xchange.schema", path=f"Supplier/Product/{where}")
        kept = passthrough(record)
        # the facts an import kept of its source, put back as read (the receiver's schema
        # judges them; what the writer itself renders was checked above); once the record
        # was edited, only what adds to the writer's product, never over an edited value
        rest, note = kept.get("product"), None
        if rest and kept.get("made") and fingerprint(product) != kept["made"]:
            rest = additions(rest, product, IDENTITIES, owned=OWNED)
            note = (f"etim-xchange: {record.item_number}: the record changed since the import: "
                    "the values it kept of the source are replaced by the record's")
        product = merged(product, rest, IDENTITIES)
        if removed:  # whatever status an import kept
            product["ProductDetails"]["ProductStatus"] = REMOVED_STATUS
        languages = sorted(d["DescriptionLanguage"]
                           for d in product["ProductDetails"]["ProductDescriptions"])
        supplier = kept.get("supplier_name") or record.manufacturer["name"]
        return XchangeProduct(supplier, indented(product), languages, kept.get("supplier"),
                              kept.get("catalogue"), note)

    def add(self, record: Record, rendered: XchangeProduct) -> None:
        if rendered.supplier != self.supplier:
            # records arrive grouped by manufacturer folder; a new one opens a new Supplier
            if self.supplier is not None:
                self._write("\n      ]\n    },")
            name = json.dumps(rendered.supplier, ensure_ascii=False)
            self._write(f'\n    {{\n      "SupplierName": {name},\n')
            for key, value in (rendered.supplier_fields or {}).items():
                if key not in ("SupplierName", "Product"):
                    text = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n      ")
                    self._write(f"      {json.dumps(key)}: {text},\n")
            self._write('      "Product": [\n')
            self.supplier = rendered.supplier
        elif self.products:
            self._write(",\n")
        self._write(rendered.text)
        self.products += 1
        self.languages.update(rendered.languages)
        if self.catalogue_fields is None and rendered.catalogue_fields:
            self.catalogue_fields = rendered.catalogue_fields
        if rendered.note:
            self.report.error(Problem(rendered.note, record=record.item_number,
                                      field="passthrough.xchange", severity="warning",
                                      rule="import.edited"))

    def _write(self, text: str) -> None:
        self.body.write(text)
        self.digest.update(text.encode("utf-8"))

    def header(self) -> dict[str, Any]:
        head = {"SchemaVersion": "2.0",
                "CatalogueId": "CAE-" + self.digest.hexdigest()[:16].upper(),
                "CatalogueType": "FULL",
                "CatalogueValidityStart": validity_start(self.options),
                "Language": sorted(self.languages)}
        changes = self.options.changes
        if changes is not None:
            head["CatalogueType"] = "CHANGE"
            if changes.xchange_reference:
                head["ChangeReferenceCatalogueVersion"] = changes.xchange_reference
        return head

    @property
    def path(self) -> Path:
        return self.out_dir / (CHANGE_FILE if self.options.changes is not None else OUT_FILE)

    def kept_header(self) -> dict[str, Any]:
        """The catalogue fields an imported file had that the writer does not compute."""
        return {k: v for k, v in (self.catalogue_fields or {}).items()
                if k not in CATALOGUE_COMPUTED}

    def finish(self) -> int:
        try:
            if not self.products:
                return 0
            head = self.header()
            suppliers = [{"SupplierName": "-", "Product": []}]
            errors = schema_errors({**head, "Supplier": suppliers})
            if errors:
                raise OutputInvalid(str(self.path), errors)
            path = self.path
            with atomic_output(path, self._check, binary=False) as handle:
                handle.write(json.dumps({**head, **self.kept_header()}, ensure_ascii=False,
                                        indent=2)[:-2])
                handle.write(',\n  "Supplier": [')
                for chunk in self.body.chunks():
                    handle.write(chunk)
                handle.write("\n      ]\n    }\n  ]\n}\n")
            return 1
        finally:
            self.abort()

    def _check(self, path: Path) -> None:
        """Header and every product were checked against the schema before writing; the whole
        file is parsed back as a stream (flat memory at any size) and its products counted."""
        products = 0
        with path.open("rb") as handle:
            try:
                for prefix, event, _ in ijson.parse(handle):
                    if event == "start_map" and prefix == PRODUCT_PREFIX:
                        products += 1
            except ijson.JSONError as exc:
                raise OutputInvalid(str(path), [f"not valid JSON: {exc}"]) from None
        if products != self.products:
            raise OutputInvalid(str(path), [f"{products} products read back, {self.products} written"])

    def abort(self) -> None:
        self.body.close()
