"""``etim-xlsx``: one workbook with a Products sheet and a Features sheet (one row per feature)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cae_export.classification import (
    ClassificationContext,
    ClassifiedProduct,
    FeatureValue,
    build_context,
    classify,
)
from cae_export.problems import RecordError, Report
from cae_export.record import Record
from cae_export.resources import template_path
from cae_export.tables import RowSpool, TableSchema, validate_rows, write_xlsx
from cae_export.targets import register
from cae_export.targets.base import BuildOptions, Target

OUT_FILE = Path("etim") / "etim-features.xlsx"
PRODUCTS = TableSchema.load(template_path("etim-xlsx", "products.table.yaml"))
FEATURES = TableSchema.load(template_path("etim-xlsx", "features.table.yaml"))
NO_MODEL_NOTE = ("ETIM: no --etim-model given: only the mapped features are emitted, class names "
                 "and completeness are unknown")


def report_context(context: ClassificationContext, options: BuildOptions, report: Report) -> None:
    """Say once per build what the ETIM exporters are working with."""
    if context.model_problem is not None and context.model_problem not in report.problems:
        report.error(context.model_problem)
    if context.model is None and NO_MODEL_NOTE not in report.notes:
        report.notes.append(NO_MODEL_NOTE)


def report_product(item_number: str, products: list[ClassifiedProduct], report: Report) -> None:
    """Completeness lines and warnings (both ETIM targets report the same ones: no duplicates)."""
    for product in products:
        line = product.completeness(item_number)
        if report.first_time(item_number, line):
            report.note(line)
        for warning in product.warnings:
            if report.first_time(item_number, warning):
                report.error(warning)


def checked(schema: TableSchema, rows: list[list[Any]]) -> list[list[Any]]:
    """Hold one record's rows to the sheet layout now, so a bad record fails alone."""
    problems = validate_rows(schema, rows)
    if problems:
        raise RecordError(problems[0].split(": ", 1)[-1], field=schema.name)
    return rows


def value_cells(feature: FeatureValue) -> list[Any]:
    return [feature.value, feature.upper, feature.unit_code, feature.unit, feature.text,
            feature.reason, feature.source]


@register
class EtimXlsx(Target):
    name = "etim-xlsx"
    summary = "ETIM products and features workbook (etim/etim-features.xlsx)"

    def __init__(self, out_dir: Path, options: BuildOptions, report: Report) -> None:
        super().__init__(out_dir, options, report)
        report_context(self.prepare(options), options, report)
        self.products = RowSpool()
        self.features = RowSpool()

    @classmethod
    def prepare(cls, options: BuildOptions) -> ClassificationContext:
        return build_context(options.etim_model)

    @classmethod
    def render(cls, record: Record, options: BuildOptions, context: Any) -> Any:
        products = classify(record, context)
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
        return (checked(PRODUCTS, product_rows), checked(FEATURES, feature_rows), products)

    def add(self, record: Record, rendered: Any) -> None:
        product_rows, feature_rows, products = rendered
        for row in product_rows:
            self.products.add(row)
        for row in feature_rows:
            self.features.add(row)
        report_product(record.item_number, products, self.report)

    def finish(self) -> int:
        try:
            write_xlsx(self.out_dir / OUT_FILE, [(PRODUCTS, self.products.rows()),
                                                        (FEATURES, self.features.rows())])
        finally:
            self.abort()
        return 1

    def abort(self) -> None:
        self.products.close()
        self.features.close()
