"""``etim-xlsx``: one workbook with a Products sheet and a Features sheet (one row per feature)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from cae_export.core.resources import template_path
from cae_export.core.spool import RowSpool
from cae_export.core.timings import timings_of
from cae_export.core.workbook import TableSchema, XlsxInWorkers, checked_rows
from cae_export.formats.etim.classification import ClassificationView, FeatureValue
from cae_export.pipeline.target import Derived, Target
from cae_export.record import Record

OUT_FILE = Path("etim") / "etim-features.xlsx"
PRODUCTS = TableSchema.load(template_path("etim", "products.table.yaml"))
FEATURES = TableSchema.load(template_path("etim", "features.table.yaml"))

Row = list[Any]


@dataclass(frozen=True)
class WorkbookRows:
    """One record's rows, already held to the sheet layouts."""

    products: list[Row]
    features: list[Row]


def cell_value(value: Any) -> Any:
    """A stated number (kept as its exact decimal) becomes a number cell."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def value_cells(feature: FeatureValue) -> Row:
    return [cell_value(feature.value), cell_value(feature.upper), feature.unit_code, feature.unit,
            feature.text, feature.reason, feature.source]


class EtimXlsx(Target):
    name: ClassVar[str] = "etim-xlsx"
    summary: ClassVar[str] = "ETIM products and features workbook (etim/etim-features.xlsx)"
    views = (ClassificationView,)
    output_files = (str(OUT_FILE),)
    writes_in_workers = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.products = RowSpool()
        self.features = RowSpool()
        self.writing: XlsxInWorkers | None = None

    @classmethod
    def render(cls, record: Record, derived: Derived, options: Any, context: Any) -> WorkbookRows:
        products = derived[ClassificationView]
        identity = [record.manufacturer["name"], record.item_number, record.gtin,
                    record.description()]
        product_rows, feature_rows = [], []
        for product in products:
            system = f"ETIM {product.release}"
            total = len(product.features) if product.with_model else None
            percent = round(100 * product.filled / total) if total else None
            product_rows.append([*identity, system, product.class_code, product.class_name,
                                 product.filled, total, percent])
            for feature in product.features:
                feature_rows.append([record.item_number, system, product.class_code,
                                     feature.code, feature.name, feature.type,
                                     *value_cells(feature)])
        if not products:
            product_rows.append([*identity, None, None, None, None, None, None])
        return WorkbookRows(checked_rows(PRODUCTS, product_rows),
                            checked_rows(FEATURES, feature_rows))

    def add(self, record: Record, rendered: WorkbookRows) -> None:
        self.products.add_rows(rendered.products)
        self.features.add_rows(rendered.features)

    def start_finish(self) -> None:
        # written in a worker while the main process finishes the others, then its two
        # sheets read back side by side
        sheets = [(PRODUCTS, self.products.spooled()), (FEATURES, self.features.spooled())]
        self.writing = XlsxInWorkers(self.out_dir / OUT_FILE, sheets)
        self.writing.start(self.executor, timings_of(self.report))

    def finish(self) -> int:
        try:
            if self.writing is None:
                self.start_finish()
            assert self.writing is not None
            self.writing.result()
        finally:
            self.abort()
        return 1

    def abort(self) -> None:
        if self.writing is not None:  # the workers read the spools: stop them first
            self.writing.stop()
            self.writing = None
        self.products.close()
        self.features.close()
